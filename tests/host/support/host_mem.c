/*
 * host_mem.c - sets up "physical memory" for host tests: a MAP_NORESERVE
 * buffer as large as the highest address of the memory map (so a sparse
 * multi-GiB layout with a PCI hole costs only the pages touched), memblock
 * filled from the map, and the page allocator brought up with mm_init().
 */
#include "host_mem.h"
#include <mm/memblock.h>
#include <mm/page_alloc.h>
#include <lib/parse.h>
#include <arch/page.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>

static void *buf;
static size_t buf_size;

/*
 * Every host test runs under the every-N-operations count check
 * (mm_debug_check): N from HTEST_MM_DEBUG_CHECK (0 turns it off), else
 * HOST_DEBUG_CHECK_EVERY.
 */
#define HOST_DEBUG_CHECK_EVERY 256

unsigned long host_debug_check_every(void)
{
	const char *env = getenv("HTEST_MM_DEBUG_CHECK");
	uint64_t n;

	if (env && parse_u64_str(env, 0, &n))
		return (unsigned long)n;
	return HOST_DEBUG_CHECK_EVERY;
}

void host_mem_init(const struct e820_entry *map, int n)
{
	uint64_t top = 0;

	host_mem_teardown();
	for (int i = 0; i < n; i++)
		if (map[i].type == E820_RAM && map[i].addr + map[i].size > top)
			top = map[i].addr + map[i].size;
	buf_size = (size_t)ALIGN_UP(top, 1UL << 22);
	buf = mmap(NULL, buf_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED) {
		perror("host_mem_init: mmap");
		abort();
	}
	host_phys_base = (uintptr_t)buf;
	memblock_reset();
	for (int i = 0; i < n; i++)
		if (map[i].type == E820_RAM)
			memblock_add(map[i].addr, map[i].size);
	memblock_reserve(0, 1UL << 20);
	mm_init();
	mm_debug_check_set(host_debug_check_every());
}

void host_mem_init_mb(unsigned long mb)
{
	struct e820_entry map[] = {
		{ 0, 640UL << 10, E820_RAM },
		{ 640UL << 10, (1UL << 20) - (640UL << 10), E820_RESERVED },
		{ 1UL << 20, (mb << 20) - (1UL << 20), E820_RAM },
	};

	host_mem_init(map, 3);
}

void host_mem_teardown(void)
{
	if (!buf)
		return;
	mm_reset_for_test();
	memblock_reset();
	munmap(buf, buf_size);
	buf = NULL;
	buf_size = 0;
	host_phys_base = 0;
}

size_t host_mem_size(void)
{
	return buf_size;
}
