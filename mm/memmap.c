/*
 * memmap.c - the memmap (one struct page per frame) and mm_init().
 *
 * Data structures:
 *   mem_map          a flat array of struct page for [memmap_start_pfn,
 *                    memmap_end_pfn), both aligned to MAX_ORDER_NR_PAGES
 *                    (1024 pages, 4 MiB); allocated from memblock.
 *   memmap_valid_map one bit per 4 MiB block: set if any RAM lies in it.
 *                    Struct pages of blocks with no RAM (a PCI hole, the
 *                    gap above 4 GiB) are never written, so a large hole
 *                    costs address space but no initialisation time.
 *   pageblock_flags  one byte per pageblock (migratetype + skip bit).
 *
 * Initialisation is arranged so that almost no per-page work is done:
 *   1. the memmap of every valid 4 MiB block is zero-filled (4 KiB at a
 *      time with arch_zero_page, the fastest fill the arch offers). A
 *      zeroed struct page is exactly "free tail page": no flags, no type,
 *      refcount 0, no mapping; and the zone is derived from the pfn.
 *   2. the pages that memblock does not call free (reservations, holes
 *      inside a valid block) are written PG_reserved with refcount 1;
 *   3. each free range is cut greedily into the largest naturally aligned
 *      blocks (order <= MAX_ORDER) and each block's head page is put on
 *      its zone's MOVABLE list. Greedy aligned cutting of a maximal range
 *      never produces two mergeable buddies, so no merging is needed.
 * Invariant after mm_init(): every valid pfn is either PG_reserved or
 * inside exactly one free buddy block.
 */
#include "page_alloc_internal.h"
#include <mm/memblock.h>
#include <mm/mm_show.h>
#include <mm/slab.h>
#include <mm/page_reporting.h>
#include <mm/shrinker.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <string.h>
#include <stdio.h>

uintptr_t vmemmap_base;
unsigned long memmap_start_pfn, memmap_end_pfn;
uint64_t *memmap_valid_map;
uint8_t *pageblock_flags;
struct mm_init_stats mm_init_stats;
bool mm_initialized;

static struct page *mem_map;

/* Where the mem_map pointer lives: VMCOREINFO's SYMBOL(mem_map), Linux's meaning. */
struct page **memmap_mem_map_var(void)
{
	return &mem_map;
}

const char * const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };

/* Set the valid bit of every 4 MiB block that overlaps RAM. */
static void memmap_mark_valid(void)
{
	for (unsigned int i = 0; i < memblock.memory.cnt; i++) {
		const struct memblock_region *r = &memblock.memory.regions[i];
		unsigned long s = PHYS_PFN(r->base), e = PHYS_PFN(r->base + r->size + PAGE_SIZE - 1);

		for (unsigned long b = (s - memmap_start_pfn) >> MAX_ORDER;
		     b <= (e - 1 - memmap_start_pfn) >> MAX_ORDER; b++)
			memmap_valid_map[b / 64] |= 1ULL << (b % 64);
	}
}

/* Zero the struct pages of every valid block (one 4 KiB memmap page at a time). */
static void memmap_zero_valid(void)
{
	unsigned long nblocks = (memmap_end_pfn - memmap_start_pfn) >> MAX_ORDER;
	const unsigned long bytes_per_block = MAX_ORDER_NR_PAGES * sizeof(struct page);

	for (unsigned long b = 0; b < nblocks; b++) {
		char *p;

		if (!((memmap_valid_map[b / 64] >> (b % 64)) & 1))
			continue;
		p = (char *)(mem_map + (b << MAX_ORDER));
		for (unsigned long off = 0; off < bytes_per_block; off += PAGE_SIZE)
			arch_zero_page(p + off);
	}
}

/* Mark valid pfns in [s, e) reserved (refcount 1: owned by "the system"). */
static unsigned long memmap_mark_reserved(unsigned long s, unsigned long e)
{
	unsigned long n = 0;

	for (unsigned long pfn = s; pfn < e; pfn++) {
		struct page *page;

		if (!pfn_valid(pfn)) {
			/* skip the rest of this hole block */
			pfn = ((pfn - memmap_start_pfn) | (MAX_ORDER_NR_PAGES - 1)) + memmap_start_pfn;
			continue;
		}
		page = pfn_to_page(pfn);
		page->flags = 1UL << PG_reserved;
		page->_refcount = 1;
		n++;
	}
	return n;
}

/* Set each zone's span and present pages from the memmap range and memblock.memory. */
static void zones_init_spans(void)
{
	static const unsigned long bound[MAX_NR_ZONES + 1] = {
		0, ZONE_DMA_END_PFN, ZONE_DMA32_END_PFN, ~0UL, ~0UL };

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];
		unsigned long s = MAX(bound[z], memmap_start_pfn);
		unsigned long e = MIN(bound[z + 1], memmap_end_pfn);

		spin_lock_init(&zone->lock);
		zone->name = zone_names[z];
		for (int o = 0; o <= MAX_ORDER; o++)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				INIT_LIST_HEAD(&zone->free_area[o].free_list[mt]);
		if (s >= e) {
			zone->zone_start_pfn = s < memmap_end_pfn ? s : memmap_end_pfn;
			zone->spanned_pages = 0;
			continue;
		}
		zone->zone_start_pfn = s;
		zone->spanned_pages = e - s;
		for (unsigned int i = 0; i < memblock.memory.cnt; i++) {
			const struct memblock_region *r = &memblock.memory.regions[i];
			unsigned long rs = PHYS_PFN(r->base + PAGE_SIZE - 1);
			unsigned long re = PHYS_PFN(r->base + r->size);

			rs = MAX(rs, s);
			re = MIN(re, e);
			if (rs < re)
				zone->present_pages += re - rs;
		}
		zone->compact_cached_migrate_pfn = s;
		zone->compact_cached_free_pfn = e;
	}
}

/* Release [s, e) into the buddy as the largest aligned blocks; returns pages freed. */
static unsigned long memmap_free_range(unsigned long s, unsigned long e)
{
	unsigned long n = 0;

	while (s < e) {
		unsigned int order = MAX_ORDER;
		struct page *page;
		struct zone *zone;

		if (s & (MAX_ORDER_NR_PAGES - 1))
			order = (unsigned int)__builtin_ctzl(s);
		while (s + (1UL << order) > e)
			order--;
		page = pfn_to_page(s);
		zone = &zones[pfn_zonenum(s)];
		add_to_free_list(page, zone, order, MIGRATE_MOVABLE, true);
		zone->managed_pages += 1UL << order;
		if (page_poisoning_enabled())
			poison_pages(page, order);
		s += 1UL << order;
		n += 1UL << order;
	}
	return n;
}

/* Allocate @size bytes from memblock or panic with @what. */
static void *mm_init_alloc(phys_addr_t size, const char *what)
{
	phys_addr_t pa = memblock_alloc(ALIGN_UP(size, PAGE_SIZE), PAGE_SIZE);

	if (!pa)
		panic("mm_init: cannot allocate %s (%lu bytes) from memblock",
		      what, (unsigned long)size);
	return __va(pa);
}

void mm_init(void)
{
	uint64_t t0 = arch_cycles(), t1;
	phys_addr_t start = memblock_start_of_DRAM(), end = memblock_end_of_DRAM();
	unsigned long nr, nblocks, cursor = 0, freed = 0, reserved = 0;
	uint64_t idx = 0;
	phys_addr_t fs, fe;

	BUG_ON(mm_initialized);
	BUG_ON(end <= start);
	memset(&mm_init_stats, 0, sizeof(mm_init_stats));
	memset(zones, 0, sizeof(zones));

	memmap_start_pfn = ALIGN_DOWN(PHYS_PFN(start), MAX_ORDER_NR_PAGES);
	memmap_end_pfn = ALIGN_UP(PHYS_PFN(end + PAGE_SIZE - 1), MAX_ORDER_NR_PAGES);
	nr = memmap_end_pfn - memmap_start_pfn;
	nblocks = nr >> MAX_ORDER;

	mem_map = mm_init_alloc(nr * sizeof(struct page), "memmap");
	vmemmap_base = (uintptr_t)mem_map - memmap_start_pfn * sizeof(struct page);
	pageblock_flags = mm_init_alloc(nr >> pageblock_order, "pageblock flags");
	memmap_valid_map = mm_init_alloc(ALIGN_UP(nblocks, 64) / 8, "memmap valid map");
	memset(memmap_valid_map, 0, ALIGN_UP(nblocks, 64) / 8);
	memset(pageblock_flags, MIGRATE_MOVABLE, nr >> pageblock_order);

	memmap_mark_valid();
	memmap_zero_valid();
	zones_init_spans();
	t1 = arch_cycles();

	/* Everything memblock does not call free is reserved; the rest goes to the buddy. */
	cursor = memmap_start_pfn;
	while (memblock_next_free_range(&idx, &fs, &fe)) {
		unsigned long s = PHYS_PFN(fs + PAGE_SIZE - 1), e = PHYS_PFN(fe);

		if (s >= e)
			continue;
		reserved += memmap_mark_reserved(cursor, s);
		freed += memmap_free_range(s, e);
		cursor = e;
	}
	reserved += memmap_mark_reserved(cursor, memmap_end_pfn);

	for (int z = 0; z < MAX_NR_ZONES; z++)
		pcp_init_zone(&zones[z]);
	setup_per_zone_wmarks();
	kmem_cache_init();
	mm_initialized = true;

	mm_init_stats.memmap_cycles = t1 - t0;
	mm_init_stats.total_cycles = arch_cycles() - t0;
	mm_init_stats.buddy_cycles = mm_init_stats.total_cycles - mm_init_stats.memmap_cycles;
	mm_init_stats.memmap_pages = nr;
	mm_init_stats.memmap_bytes = nr * sizeof(struct page);
	mm_init_stats.freed_pages = freed;
	mm_init_stats.reserved_pages = reserved;
}

/* Name of a page type; "" for none. */
const char *page_type_name(unsigned int type)
{
	static const char * const names[NR_PAGETYPES] = {
		"", "buddy", "offline", "table", "slab", "large_kmalloc",
		"movable_offline" };

	return type < NR_PAGETYPES ? names[type] : "?";
}

void dump_page(const struct page *page, const char *reason)
{
	static const char * const flag_names[NR_PAGEFLAGS] = {
		"locked", "referenced", "uptodate", "dirty", "reserved", "private",
		"reclaim/isolated", "hwpoison", "owner_priv_1", "arch_1", "reported" };
	unsigned long pfn = page_to_pfn(page);
	char fl[160];
	size_t n = 0;

	fl[0] = 0;
	for (int i = 0; i < NR_PAGEFLAGS && n < sizeof(fl); i++)
		if (page->flags & (1UL << i))
			n += snprintf(fl + n, sizeof(fl) - n, "%s%s", n ? "|" : "", flag_names[i]);
	printk("page:%p pfn:%#lx refcount:%d mapping:%p index:%#lx private:%#lx\n",
	       (const void *)page, pfn, page->_refcount, (void *)page->mapping,
	       page->index, page->private);
	printk("flags: %#lx(%s) type:%s(%u) alloc_order:%u migratetype:%u",
	       page->flags, fl, page_type_name(page->page_type), page->page_type,
	       page->alloc_order, page->migratetype);
	if (pfn >= memmap_start_pfn && pfn < memmap_end_pfn)
		printk(" zone:%s pageblock:%s", zone_names[pfn_zonenum(pfn)],
		       migratetype_names[get_pfnblock_migratetype(pfn)]);
	printk("\n");
	if (reason)
		printk("page dumped because: %s\n", reason);
}

#ifdef CONFIG_LOCKDEP
struct lockdep_map page_lock_dep_map = LOCKDEP_MAP_INIT("PG_locked");
#endif

void __lock_page(struct page *page)
{
	while (!__trylock_page(page))
		while (PageLocked(page))
			cpu_relax();
}

#ifdef HOST_BUILD
void mm_reset_for_test(void)
{
	page_alloc_reset();
	page_reporting_reset();
	shrinker_reset();
	slab_reset();
	fault_inject_reset();
	vm_events_reset();
	mm_debug_check_reset();
	memset(zones, 0, sizeof(zones));
	memset(&mm_init_stats, 0, sizeof(mm_init_stats));
	mem_map = NULL;
	vmemmap_base = 0;
	memmap_start_pfn = memmap_end_pfn = 0;
	memmap_valid_map = NULL;
	pageblock_flags = NULL;
	mm_initialized = false;
}
#endif
