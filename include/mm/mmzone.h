/*
 * mmzone.h - zones, orders, migratetypes, pageblocks and per-CPU lists.
 *
 * Physical memory is split into zones: DMA (< 16 MiB), DMA32 (< 4 GiB),
 * Normal, and Movable (sections that must stay unpluggable: only
 * __GFP_MOVABLE allocations land there). Above 16 MiB a page's zone is its
 * section's zone byte (<mm/sparse.h>), so Movable sections may sit between
 * Normal ones: a zone's span is a bound, membership is zone_has_pfn(). Each zone has a buddy allocator: for every
 * order 0..MAX_ORDER a free_area with one free list per migratetype and
 * exact counts. Memory is also cut into pageblocks of 2^pageblock_order
 * pages, each tagged with one migratetype in a per-pageblock byte.
 *
 * Invariants (checked by mm_check_invariants()):
 *  - every free block is PageBuddy with its order in page->private, is
 *    aligned to its order, lies inside its zone, and sits on exactly one
 *    list: the one of its pageblock's migratetype (a block larger than a
 *    pageblock spans pageblocks that all have the same migratetype);
 *  - nr_free per order, per (order, migratetype) and per zone are exact;
 *    zone->free_pages counts the free pages on every list but ISOLATE's
 *    (isolated memory is not allocatable, so watermarks never see it).
 *
 * Locks: zone->lock (taken with interrupts off) protects the free lists,
 * counts and pageblock migratetypes of that zone. A per_cpu_pages has no
 * lock: it belongs to its CPU, which touches it only with interrupts off;
 * other CPUs ask it (an IPI) to drain it. The page lock bit nests outside
 * zone->lock (never take a page lock while holding zone->lock). The whole
 * order: docs/locking.md.
 */
#ifndef MM_MMZONE_H
#define MM_MMZONE_H

#include <kernel/compiler.h>
#include <kernel/list.h>
#include <arch/spinlock.h>
#include <arch/cpu.h>
#include <mm/page.h>

#define MAX_ORDER		10			/* inclusive: 4 MiB blocks */
#define NR_PAGE_ORDERS		(MAX_ORDER + 1)
#define MAX_ORDER_NR_PAGES	(1UL << MAX_ORDER)
BUILD_BUG_ON(MEMMAP_VALID_SHIFT != MAX_ORDER);	/* pfn_valid() in <mm/page.h> */
#define pageblock_order		9
#define pageblock_nr_pages	(1UL << pageblock_order)

static inline unsigned long pageblock_start_pfn(unsigned long pfn)
{ return pfn & ~(pageblock_nr_pages - 1); }
static inline unsigned long pageblock_end_pfn(unsigned long pfn)
{ return pageblock_start_pfn(pfn) + pageblock_nr_pages; }

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,		/* types with per-CPU lists */
	MIGRATE_ISOLATE = MIGRATE_PCPTYPES,	/* never allocated from */
	MIGRATE_TYPES,
};

extern const char * const migratetype_names[MIGRATE_TYPES];

static inline bool is_migrate_isolate(int mt) { return mt == MIGRATE_ISOLATE; }

enum zone_type {
	ZONE_DMA,	/* below 16 MiB */
	ZONE_DMA32,	/* below 4 GiB */
	ZONE_NORMAL,	/* the rest */
	ZONE_MOVABLE,	/* only movable allocations: memory that must stay unpluggable
			   (movablecore=, blocks onlined "movable"); issue 12 */
	MAX_NR_ZONES,
};

#define ZONE_DMA_END_PFN	(0x1000000UL >> PAGE_SHIFT)
#define ZONE_DMA32_END_PFN	(0x100000000ULL >> PAGE_SHIFT)

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, NR_WMARK };

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free;				/* blocks of this order, all types */
	unsigned long nr_free_mt[MIGRATE_TYPES];	/* blocks per migratetype */
};

/*
 * Per-CPU cache of order-0 pages for one zone. Pages on it are not
 * PageBuddy and not counted in zone->free_pages; page->migratetype says
 * which list they are on. Owned by its CPU (interrupts off while it is
 * changed); others read ->count racily (nr_pcp_pages()) and nothing else.
 */
struct per_cpu_pages {
	int count;		/* pages on all lists */
	int high;		/* free back to the zone above this */
	int batch;		/* pages moved per refill / spill */
	struct list_head lists[MIGRATE_PCPTYPES];
	unsigned long alloc_events;	/* pages handed out from this list (pgalloc) */
	unsigned long free_events;	/* pages freed onto this list (pgfree) */
} __aligned(64);

struct zone {
	spinlock_t lock;
	const char *name;
	unsigned long zone_start_pfn;	/* first pfn (may be a hole) */
	unsigned long spanned_pages;	/* zone_end_pfn - zone_start_pfn */
	unsigned long present_pages;	/* RAM pages inside the span */
	unsigned long managed_pages;	/* pages released to the buddy at init */
	unsigned long free_pages;	/* pages in the buddy, excluding pcp lists and
					   ISOLATE pageblocks (Linux's NR_FREE_PAGES) */
	unsigned long _watermark[NR_WMARK];
	struct free_area free_area[NR_PAGE_ORDERS];
	struct per_cpu_pages pcp[NR_CPUS];
	/* zone-path event counts (under ->lock) */
	unsigned long pgalloc;		/* pages allocated outside the pcp lists */
	unsigned long pgfree;		/* pages freed outside the pcp lists */
	/* owned by mm/compaction.c */
	unsigned long compact_cached_migrate_pfn;
	unsigned long compact_cached_free_pfn;
	unsigned int compact_considered;
	unsigned int compact_defer_shift;
	int compact_order_failed;
};

extern struct zone zones[MAX_NR_ZONES];
extern const char * const zone_names[MAX_NR_ZONES];

static inline unsigned long zone_end_pfn(const struct zone *z)
{ return z->zone_start_pfn + z->spanned_pages; }
static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{ return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z); }
static inline bool populated_zone(const struct zone *z) { return z->present_pages != 0; }
static inline unsigned long wmark_pages(const struct zone *z, enum zone_watermarks w)
{ return z->_watermark[w]; }
static inline unsigned long min_wmark_pages(const struct zone *z) { return z->_watermark[WMARK_MIN]; }
static inline unsigned long low_wmark_pages(const struct zone *z) { return z->_watermark[WMARK_LOW]; }
static inline unsigned long high_wmark_pages(const struct zone *z) { return z->_watermark[WMARK_HIGH]; }
static inline unsigned long zone_page_free(const struct zone *z) { return READ_ONCE(z->free_pages); }
/* Free pages on @z's ISOLATE lists (not in zone_page_free()); zone->lock for certainty. */
static inline unsigned long zone_isolated_free_pages(const struct zone *z)
{
	unsigned long n = 0;

	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		n += READ_ONCE(z->free_area[o].nr_free_mt[MIGRATE_ISOLATE]) << o;
	return n;
}

#define for_each_zone(z) for ((z) = zones; (z) < zones + MAX_NR_ZONES; (z)++)
#define for_each_populated_zone(z) \
	for_each_zone(z) if (!populated_zone(z)) ; else

#ifdef MEMMAP_FLAT_READER
/* The dump tool: zones by address, as the flat export describes them. */
static inline enum zone_type pfn_zonenum(unsigned long pfn)
{
	if (pfn < ZONE_DMA_END_PFN)
		return ZONE_DMA;
	if (pfn < ZONE_DMA32_END_PFN)
		return ZONE_DMA32;
	return ZONE_NORMAL;
}
#else
/*
 * Zone index of an online pfn: DMA below 16 MiB, else its section's zone
 * byte. Only meaningful while the section is online (pfn_to_online_page()
 * or a page the caller holds); a walker checks pfn_section_online() first.
 */
static inline enum zone_type pfn_zonenum(unsigned long pfn)
{
	if (pfn < ZONE_DMA_END_PFN)
		return ZONE_DMA;
	return (enum zone_type)READ_ONCE(__pfn_to_section(pfn)->zone);
}
#endif
static inline enum zone_type page_zonenum(const struct page *page)
{ return pfn_zonenum(page_to_pfn(page)); }
static inline struct zone *page_zone(const struct page *page)
{ return &zones[page_zonenum(page)]; }
static inline int zone_idx(const struct zone *z) { return (int)(z - zones); }
/*
 * True if @pfn belongs to @zone: inside its span, its section online, and
 * the section's zone is @zone. Zones can interleave (Movable sections
 * between Normal ones), so a walker over a zone's span asks this, never
 * the span alone.
 */
static inline bool zone_has_pfn(const struct zone *z, unsigned long pfn)
{
	return zone_spans_pfn(z, pfn) && pfn_section_online(pfn) &&
	       pfn_zonenum(pfn) == (enum zone_type)zone_idx(z);
}

/* ---- pageblock migratetypes (mm/page_alloc.c) ---- */

/*
 * One byte per pageblock: bits 0-2 migratetype, bits 3-4 the migratetype
 * the block had before it became MIGRATE_ISOLATE (restored when the
 * isolation is undone), bit 7 PB_migrate_skip (compaction's "skip this
 * block" hint).
 */
#define PB_MIGRATETYPE_MASK	0x07
#define PB_SAVED_MT_SHIFT	3
#define PB_SAVED_MT_MASK	0x18
#define PB_MIGRATE_SKIP		0x80

#ifdef MEMMAP_FLAT_READER
extern uint8_t *pageblock_flags;	/* the dump tool's flat copy */
static inline uint8_t *pfn_pageblock_byte(unsigned long pfn)
{ return &pageblock_flags[(pfn - memmap_start_pfn) >> pageblock_order]; }
#else
/* The byte lives in the pfn's section (mem_section.pageblock_flags). */
static inline uint8_t *pfn_pageblock_byte(unsigned long pfn)
{ return &__pfn_to_section(pfn)->pageblock_flags[(pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order]; }
#endif

/* Migratetype of the pageblock holding @pfn (racy read: lock for certainty). */
static inline int get_pfnblock_migratetype(unsigned long pfn)
{ return READ_ONCE(*pfn_pageblock_byte(pfn)) & PB_MIGRATETYPE_MASK; }
static inline int get_pageblock_migratetype(const struct page *page)
{ return get_pfnblock_migratetype(page_to_pfn(page)); }

/*
 * Tag @page's pageblock with @mt. Caller holds zone->lock and has already
 * moved (or knows there are no) free pages of that block to @mt's lists;
 * move_freepages_block() does both. Turning a block ISOLATE remembers its
 * previous migratetype (see get_pageblock_saved_migratetype()).
 */
void set_pageblock_migratetype(struct page *page, int mt);

/*
 * The migratetype @page's pageblock had when it last became
 * MIGRATE_ISOLATE: what undoing the isolation gives back.
 */
static inline int get_pageblock_saved_migratetype(const struct page *page)
{ return (READ_ONCE(*pfn_pageblock_byte(page_to_pfn(page))) & PB_SAVED_MT_MASK) >> PB_SAVED_MT_SHIFT; }

static inline bool get_pageblock_skip(const struct page *page)
{ return READ_ONCE(*pfn_pageblock_byte(page_to_pfn(page))) & PB_MIGRATE_SKIP; }
void set_pageblock_skip(struct page *page);
void clear_pageblock_skip(struct page *page);

/*
 * Move every free block of @page's pageblock to the free lists of @mt and
 * tag the pageblock @mt. A free block larger than a pageblock that contains
 * this one is split first. Caller holds zone->lock. Returns the number of
 * free pages moved, or -1 if the pageblock is not entirely valid memory of
 * one zone (nothing changed).
 */
long move_freepages_block(struct zone *zone, struct page *page, int mt);

/*
 * pfn walker for compaction/isolation: the first page of the pageblock
 * [start_pfn, end_pfn) if every pfn of it is valid and inside @zone,
 * else NULL.
 */
struct page *pageblock_pfn_to_page(unsigned long start_pfn, unsigned long end_pfn,
				   struct zone *zone);

/*
 * First fallback migratetype of @mt with a free block in @area (order
 * @order), or -1; with @only_stealable only one whose pageblock may be
 * claimed. *@can_steal tells whether claiming is allowed. zone->lock held
 * for a stable answer (compaction uses it racily as a hint).
 */
int find_suitable_fallback(struct free_area *area, unsigned int order, int mt,
			   bool only_stealable, bool *can_steal);

/*
 * True if @page lies inside a free buddy block (any order); zone->lock for
 * certainty. Inline (a pure function of the memmap) so that the host dump
 * tool (tools/ballast-dump) computes kpageflags with this very code.
 */
static inline bool is_free_buddy_page(const struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	for (unsigned int order = 0; order <= MAX_ORDER; order++) {
		const struct page *head = pfn_to_page(pfn & ~((1UL << order) - 1));

		if (PageBuddy(head) && buddy_order_unsafe(head) >= order)
			return true;
	}
	return false;
}

/*
 * Take the free block @page (PageBuddy, order @order) out of the buddy for
 * a compaction-style free scanner; zone->lock held. Refuses (returns 0)
 * when the zone would drop below its min watermark; else returns
 * 1 << order. The block comes back with refcount 0 on every page and
 * alloc_order @order, like an unprepared allocation; prep with
 * post_alloc_hook() or split_page().
 */
unsigned long __isolate_free_page(struct page *page, unsigned int order);

/* Give back a block taken with __isolate_free_page() (zone->lock held). */
void __putback_isolated_page(struct page *page, unsigned int order, int mt);

/* Make an allocated order-@order block into 1 << order order-0 pages (refcount 1 each). */
void split_page(struct page *page, unsigned int order);

/* Prepare a block taken out of the buddy for its user: refcount 1, checks, poison, zero. */
void post_alloc_hook(struct page *page, unsigned int order, unsigned int gfp);

/*
 * Drain this CPU's / every CPU's / one CPU's per-CPU lists back into the
 * buddy. Another online CPU drains its own, on request (an IPI, waited
 * for): the caller must not hold a lock that CPU may be spinning on with
 * interrupts off (zone->lock included).
 */
void drain_local_pages(struct zone *zone);	/* zone NULL = all zones */
void drain_all_pages(struct zone *zone);
void drain_cpu_pages(unsigned int cpu, struct zone *zone);

/* Pages currently on per-CPU lists (all CPUs, all zones or one). */
unsigned long nr_pcp_pages(const struct zone *zone);

/* The per-CPU batch and high limits (settable for experiments; drains first). */
void pcp_set_batch_high(int batch, int high);
/* Every CPU's batch and high again from the zone sizes (deferred init grew them); no drain. */
void pcp_update_all_limits(void);

#endif
