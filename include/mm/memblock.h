/*
 * memblock.h - the early (boot-time) physical memory allocator.
 *
 * Before the buddy allocator exists, memory is two sorted lists of ranges:
 * "memory" (usable RAM, from the sanitized e820 map) and "reserved" (kernel
 * image, boot data, the first MiB, and everything memblock_alloc() handed
 * out). Free memory = memory minus reserved. The page allocator's init walks
 * the free ranges and releases them to the buddy; memblock is not used after.
 */
#ifndef MM_MEMBLOCK_H
#define MM_MEMBLOCK_H

#include <kernel/compiler.h>

#define MEMBLOCK_MAX_REGIONS 128

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
};

struct memblock_type {
	unsigned int cnt;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
	phys_addr_t alloc_limit;   /* memblock_alloc() stays below this (0 = none) */
};

extern struct memblock memblock;

/* Forget everything (used by the host harness between tests). */
void memblock_reset(void);
/* Add usable RAM [base, base+size); merges with neighbours. 0 or -ENOSPC. */
int memblock_add(phys_addr_t base, phys_addr_t size);
/* Mark [base, base+size) reserved (may lie outside memory). 0 or -ENOSPC. */
int memblock_reserve(phys_addr_t base, phys_addr_t size);
/* Undo a reservation of exactly or part of a reserved range. */
int memblock_free(phys_addr_t base, phys_addr_t size);
/*
 * Allocate @size bytes aligned to @align (a power of two) from free memory,
 * highest suitable address first below alloc_limit; the range is reserved.
 * Returns 0 when nothing fits (0 is never a valid result: the first MiB is
 * always reserved by the kernel).
 */
phys_addr_t memblock_alloc(phys_addr_t size, phys_addr_t align);
/* Total bytes in memory / reserved-and-inside-memory. */
phys_addr_t memblock_phys_mem_size(void);
phys_addr_t memblock_reserved_size(void);
/* Whole RAM pages (memblock.memory) among the pfns [start_pfn, end_pfn). */
unsigned long memblock_memory_pages_in(unsigned long start_pfn, unsigned long end_pfn);
/* Lowest and highest (exclusive) address of usable memory. */
phys_addr_t memblock_start_of_DRAM(void);
phys_addr_t memblock_end_of_DRAM(void);
/* True if [base, base+size) is entirely inside reserved ranges. */
bool memblock_is_reserved(phys_addr_t base, phys_addr_t size);

/*
 * Iterate free ranges (memory minus reserved) in address order:
 *   uint64_t idx = 0; phys_addr_t s, e;
 *   while (memblock_next_free_range(&idx, &s, &e)) ...
 */
bool memblock_next_free_range(uint64_t *idx, phys_addr_t *start, phys_addr_t *end);

/* Print both lists with printk (for the shell and boot log). */
void memblock_dump(void);

#endif
