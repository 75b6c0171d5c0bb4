/*
 * memmap.c - the boot memmap (one struct page per frame) and mm_init().
 *
 * Memory is in 128 MiB sections (mm/sparse.c, <mm/sparse.h>). At boot:
 *   1. every section that holds RAM is marked present; movablecore= picks
 *      the top sections for ZONE_MOVABLE before anything is allocated, and
 *      every memblock allocation of mm_init() stays below them;
 *   2. the memmap of the boot sections is one physically contiguous
 *      memblock allocation (2 MiB per section, 2 MiB aligned) for the
 *      sections [sec_start_pfn, sec_end_pfn). memmap_start_pfn and
 *      memmap_end_pfn (the flat export's range, and what pfn walkers
 *      default to) are boot RAM's extent rounded to MAX_ORDER blocks, as
 *      before sections; the struct pages beyond them up to the section
 *      end exist too (PG_reserved). The 2 MiB of a
 *      section without RAM (a PCI hole) is given back at once. Each
 *      section with RAM gets SECTION_HAS_MEMMAP and its 2 MiB is mapped
 *      into the virtual memmap (arch_vmemmap_map(): one 2 MiB page);
 *      where the arch has none (the hosted library) vmemmap_base points
 *      at the flat array itself;
 *   3. the memmap of every section with a memmap is zero-filled, 4 KiB at
 *      a time through the virtual memmap (arch_zero_page). A zeroed struct
 *      page is exactly "free tail page": no flags, no type, refcount 0;
 *      the zone comes from the section;
 *   4. sections go online into their zones (sparse_online_boot_sections);
 *   5. the pages that memblock does not call free (reservations, holes
 *      inside a section) are written PG_reserved with refcount 1;
 *   6. each free range is cut greedily into the largest naturally aligned
 *      blocks (order <= MAX_ORDER) and each block's head page is put on
 *      its zone's MOVABLE list. Greedy aligned cutting of a maximal range
 *      never produces two mergeable buddies, so no merging is needed.
 * Invariant after mm_init(): every valid pfn is either PG_reserved or
 * inside exactly one free buddy block.
 *
 * memmap_valid_map (one bit per 4 MiB block, set for each block of a
 * section with a memmap) and the mem_map pointer describe the boot memmap
 * as a flat array for the dump export (kernel/vmcoreinfo.c).
 */
#include "page_alloc_internal.h"
#include <mm/memblock.h>
#include <mm/mm_show.h>
#include <mm/slab.h>
#include <mm/page_reporting.h>
#include <mm/shrinker.h>
#include <mm/sparse.h>
#include <mm/deferred_init.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <string.h>
#include <stdio.h>

uintptr_t vmemmap_base;
unsigned long memmap_start_pfn, memmap_end_pfn;
/* The boot memmap's sections: [sec_start_pfn, sec_end_pfn), covering memmap_*_pfn. */
static unsigned long sec_start_pfn, sec_end_pfn;
uint64_t *memmap_valid_map;
struct mm_init_stats mm_init_stats;
bool mm_initialized;

static struct page *mem_map;
/* The dump export's valid map: room for every 4 MiB block of MAX_PHYSMEM_BITS (8 KiB). */
static uint64_t memmap_valid_bits[(NR_MEM_SECTIONS << (PFN_SECTION_SHIFT - MAX_ORDER)) / 64];
#ifdef MEMMAP_FLAT_READER
uint8_t *pageblock_flags;	/* the dump reader's flat copy (fuzz_dump links mm/) */
#endif

#define SECTION_MEMMAP_BYTES	(PAGES_PER_SECTION * sizeof(struct page))

/* Where the mem_map pointer lives: VMCOREINFO's SYMBOL(mem_map), Linux's meaning. */
struct page **memmap_mem_map_var(void)
{
	return &mem_map;
}

const char * const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };

/* Mark valid pfns in [s, e) reserved (refcount 1: owned by "the system"). */
static unsigned long memmap_mark_reserved(unsigned long s, unsigned long e)
{
	unsigned long n = 0;

	for (unsigned long pfn = s; pfn < e; pfn++) {
		struct page *page;

		if (!pfn_valid(pfn)) {
			/* skip the rest of this section: it has no memmap */
			pfn |= PAGES_PER_SECTION - 1;
			continue;
		}
		page = pfn_to_page(pfn);
		page->flags = 1UL << PG_reserved;
		page->_refcount = 1;
		n++;
	}
	return n;
}

/* Locks, names and empty free lists for every zone. */
static void zones_init_lists(void)
{
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];

		spin_lock_init(&zone->lock);
		zone->name = zone_names[z];
		for (int o = 0; o <= MAX_ORDER; o++)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				INIT_LIST_HEAD(&zone->free_area[o].free_list[mt]);
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

/* Allocate @size bytes aligned to @align from memblock or panic with @what. */
static phys_addr_t mm_init_alloc(phys_addr_t size, phys_addr_t align, const char *what)
{
	phys_addr_t pa = memblock_alloc(ALIGN_UP(size, PAGE_SIZE), align);

	if (!pa)
		panic("mm_init: cannot allocate %s (%lu bytes) from memblock",
		      what, (unsigned long)size);
	return pa;
}

/*
 * Give every boot section with RAM its slice of the flat boot memmap at
 * @pa (SECTION_HAS_MEMMAP, memmap_phys, mapped into the virtual memmap);
 * give the slices of sections without RAM back to memblock. Returns the
 * number of sections with a memmap.
 */
static unsigned long memmap_setup_sections(phys_addr_t pa, uintptr_t vbase)
{
	unsigned long n = 0;

	for (unsigned long pfn = sec_start_pfn; pfn < sec_end_pfn; pfn += PAGES_PER_SECTION) {
		struct mem_section *ms = __pfn_to_section(pfn);
		phys_addr_t mpa = pa + (pfn - sec_start_pfn) * sizeof(struct page);

		if (!(ms->state & SECTION_PRESENT)) {
			memblock_free(mpa, SECTION_MEMMAP_BYTES);
			continue;
		}
		if (vbase && arch_vmemmap_map(pfn, PAGES_PER_SECTION, mpa))
			panic("mm_init: cannot map the memmap of section %lu", pfn_to_section_nr(pfn));
		ms->memmap_phys = mpa;
		memset(ms->pageblock_flags, MIGRATE_MOVABLE, sizeof(ms->pageblock_flags));
		ms->state |= SECTION_HAS_MEMMAP;
		n++;
	}
	return n;
}

/*
 * Zero the struct pages below @end of every section with a memmap, through
 * the memmap's own addresses (the virtual memmap: the host harness
 * populated it when mapping, so this takes no page faults there).
 */
static void memmap_zero_sections(unsigned long end)
{
	for (unsigned long pfn = sec_start_pfn; pfn < end; pfn += PAGES_PER_SECTION) {
		unsigned long bytes = MIN(end - pfn, PAGES_PER_SECTION) * sizeof(struct page);
		char *p;

		if (!pfn_valid(pfn))
			continue;
		p = (char *)pfn_to_page(pfn);
		for (unsigned long off = 0; off < bytes; off += PAGE_SIZE)
			arch_zero_page(p + off);
	}
}

/* Set the dump export's valid bit of each 4 MiB block of a section with a memmap. */
static void memmap_fill_valid_map(void)
{
	unsigned long nblocks = (memmap_end_pfn - memmap_start_pfn) >> MAX_ORDER;

	memset(memmap_valid_map, 0, ALIGN_UP(nblocks, 64) / 8);
	for (unsigned long b = 0; b < nblocks; b++)
		if (pfn_valid(memmap_start_pfn + (b << MAX_ORDER)))
			memmap_valid_map[b / 64] |= 1ULL << (b % 64);
}

void mm_init(void)
{
	uint64_t t0 = arch_cycles(), t1;
	phys_addr_t start = memblock_start_of_DRAM(), end = memblock_end_of_DRAM();
	phys_addr_t old_limit = memblock.alloc_limit, pa;
	unsigned long nr, cursor = 0, freed = 0, reserved = 0, movable_first, nsec, boot_end;
	uintptr_t vbase;
	uint64_t idx = 0;
	phys_addr_t fs, fe;

	BUG_ON(mm_initialized);
	BUG_ON(end <= start);
	if (end > (1ULL << MAX_PHYSMEM_BITS))
		panic("mm_init: RAM up to %#llx, beyond MAX_PHYSMEM_BITS (%d bits)",
		      (unsigned long long)end, MAX_PHYSMEM_BITS);
	memset(&mm_init_stats, 0, sizeof(mm_init_stats));
	memset(zones, 0, sizeof(zones));

	sparse_init_boot_sections();
	movable_first = sparse_boot_movable_first();
	if (movable_first < NR_MEM_SECTIONS) {
		phys_addr_t lim = PFN_PHYS(section_nr_to_pfn(movable_first));

		if (!memblock.alloc_limit || lim < memblock.alloc_limit)
			memblock.alloc_limit = lim;
	}

	sec_start_pfn = ALIGN_DOWN(PHYS_PFN(start), PAGES_PER_SECTION);
	sec_end_pfn = ALIGN_UP(PHYS_PFN(end + PAGE_SIZE - 1), PAGES_PER_SECTION);
	/* the flat export (and the pfn range walkers default to) stops at RAM's MAX_ORDER-rounded end */
	memmap_start_pfn = ALIGN_DOWN(PHYS_PFN(start), MAX_ORDER_NR_PAGES);
	memmap_end_pfn = ALIGN_UP(PHYS_PFN(end + PAGE_SIZE - 1), MAX_ORDER_NR_PAGES);
	nr = sec_end_pfn - sec_start_pfn;

	pa = mm_init_alloc(nr * sizeof(struct page), SECTION_MEMMAP_BYTES, "memmap");
	mem_map = (struct page *)__va(pa) + (memmap_start_pfn - sec_start_pfn);
	vbase = arch_vmemmap_base();
	vmemmap_base = vbase ? vbase : (uintptr_t)mem_map - memmap_start_pfn * sizeof(struct page);
	nsec = memmap_setup_sections(pa, vbase);
	memmap_valid_map = memmap_valid_bits;
	memmap_fill_valid_map();
	/* above boot_end the memmap is left to mm/deferred_init.c */
	boot_end = deferred_init_boot_setup(sec_start_pfn, sec_end_pfn);
	memmap_zero_sections(boot_end);
	zones_init_lists();
	sparse_online_boot_sections(movable_first, ALIGN_DOWN(PHYS_PFN(start), MAX_ORDER_NR_PAGES),
				    ALIGN_UP(PHYS_PFN(end + PAGE_SIZE - 1), MAX_ORDER_NR_PAGES));
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		zones[z].compact_cached_migrate_pfn = zones[z].zone_start_pfn;
		zones[z].compact_cached_free_pfn = zone_end_pfn(&zones[z]);
	}
	memblock.alloc_limit = old_limit;
	t1 = arch_cycles();

	/* Everything memblock does not call free is reserved; the rest goes to the buddy. */
	cursor = sec_start_pfn;
	while (memblock_next_free_range(&idx, &fs, &fe)) {
		unsigned long s = PHYS_PFN(fs + PAGE_SIZE - 1), e = PHYS_PFN(fe);

		if (s >= e)
			continue;
		if (s >= boot_end)
			break;
		e = MIN(e, boot_end);
		reserved += memmap_mark_reserved(cursor, s);
		freed += memmap_free_range(s, e);
		cursor = e;
	}
	reserved += memmap_mark_reserved(cursor, boot_end);

	for (int z = 0; z < MAX_NR_ZONES; z++)
		pcp_init_zone(&zones[z]);
	setup_per_zone_wmarks();
	kmem_cache_init();
	mm_initialized = true;

	mm_init_stats.memmap_cycles = t1 - t0;
	mm_init_stats.total_cycles = arch_cycles() - t0;
	mm_init_stats.buddy_cycles = mm_init_stats.total_cycles - mm_init_stats.memmap_cycles;
	mm_init_stats.memmap_pages = nsec * PAGES_PER_SECTION;
	mm_init_stats.memmap_bytes = nsec * SECTION_MEMMAP_BYTES;
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
	if (pfn_section_online(pfn))
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
	sec_start_pfn = sec_end_pfn = 0;
	memmap_valid_map = NULL;
	sparse_reset_for_test();
	mm_initialized = false;
}
#endif
