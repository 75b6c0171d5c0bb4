/*
 * host_mem.c - sets up "physical memory" for host tests: a MAP_NORESERVE
 * buffer as large as the highest address of the memory map (plus room for
 * hot-add; a sparse multi-GiB layout with a PCI hole costs only the pages
 * touched), memblock filled from the map, and the page allocator brought
 * up with mm_init().
 *
 * The virtual memmap: one PROT_NONE MAP_NORESERVE reservation covering
 * the struct pages of all of MAX_PHYSMEM_BITS (4 GiB of address space),
 * made once per process. arch_vmemmap_map() makes a piece of it anonymous
 * read-write memory (a transparent huge page per section where the host
 * gives one); arch_vmemmap_unmap() puts PROT_NONE back, so a stale
 * pfn_to_page() faults as in the kernel. Unlike the kernel, the struct
 * pages do not alias the simulated RAM that memblock or the buddy gave
 * for them: that RAM is reserved and accounted exactly as in the kernel,
 * but its bytes go unused. (Aliasing needs a shared memfd, whose 512 page
 * allocations per section made every host_mem_init() of a 4 MiB fuzz
 * machine 7x slower.)
 */
#define _GNU_SOURCE	/* MADV_HUGEPAGE */
#include "host_mem.h"
#include <mm/memblock.h>
#include <mm/page_alloc.h>
#include <lib/parse.h>
#include <arch/page.h>
#include <mm/sparse.h>
#include <mm/page.h>
#include <sys/mman.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *buf;
static size_t buf_size;
static uint64_t hotplug_base;		/* first address past boot RAM, section aligned */
static void *vmemmap_area;
#define VMEMMAP_AREA_BYTES	((size_t)NR_MEM_SECTIONS * PAGES_PER_SECTION * sizeof(struct page))
unsigned long host_direct_map_adds, host_direct_map_removes;

uintptr_t arch_vmemmap_base(void)
{
	if (!vmemmap_area) {
		vmemmap_area = mmap(NULL, VMEMMAP_AREA_BYTES, PROT_NONE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (vmemmap_area == MAP_FAILED) {
			perror("host_mem: vmemmap reservation");
			abort();
		}
	}
	return (uintptr_t)vmemmap_area;
}

int arch_vmemmap_map(unsigned long pfn, unsigned long nr_pages, phys_addr_t pa)
{
	size_t len = nr_pages * sizeof(struct page);
	void *va = (char *)arch_vmemmap_base() + pfn * sizeof(struct page);

	if (pa + len > buf_size || len % PAGE_SIZE || pa % PAGE_SIZE)
		return -ENOMEM;
	if (mmap(va, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		return -ENOMEM;
	if (!((uintptr_t)va % (2UL << 20)) && !(len % (2UL << 20)))
		madvise(va, len, MADV_HUGEPAGE);	/* a hint: one fault per section */
	return 0;
}

void arch_vmemmap_unmap(unsigned long pfn, unsigned long nr_pages)
{
	size_t len = nr_pages * sizeof(struct page);
	void *va = (char *)arch_vmemmap_base() + pfn * sizeof(struct page);

	if (mmap(va, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED) {
		perror("host_mem: vmemmap unmap");
		abort();
	}
}

int arch_add_direct_map(phys_addr_t start, uint64_t size)
{
	if (start + size > buf_size)
		return -ERANGE;
	host_direct_map_adds++;
	return 0;
}

void arch_remove_direct_map(phys_addr_t start, uint64_t size)
{
	host_direct_map_removes++;
}

uint64_t host_mem_hotplug_base(void)
{
	return hotplug_base;
}

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

void host_mem_init_hotplug(const struct e820_entry *map, int n, uint64_t extra_bytes)
{
	uint64_t top = 0;

	host_mem_teardown();
	for (int i = 0; i < n; i++)
		if (map[i].type == E820_RAM && map[i].addr + map[i].size > top)
			top = map[i].addr + map[i].size;
	hotplug_base = ALIGN_UP(top, 1ULL << SECTION_SIZE_BITS);
	buf_size = (size_t)(extra_bytes ? hotplug_base + ALIGN_UP(extra_bytes, 1ULL << SECTION_SIZE_BITS)
				       : ALIGN_UP(top, 1UL << 22));
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

void host_mem_init(const struct e820_entry *map, int n)
{
	host_mem_init_hotplug(map, n, 0);
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
	if (vmemmap_area)
		arch_vmemmap_unmap(0, NR_MEM_SECTIONS * PAGES_PER_SECTION);
	munmap(buf, buf_size);
	buf = NULL;
	buf_size = 0;
	hotplug_base = 0;
	host_direct_map_adds = host_direct_map_removes = 0;
	host_phys_base = 0;
}

size_t host_mem_size(void)
{
	return buf_size;
}
