/*
 * page_alloc_internal.h - what the files of the page allocator share and
 * nobody else should call: free-list primitives (zone->lock held), the
 * per-subsystem reset hooks of the host harness, the failure report.
 */
#ifndef MM_PAGE_ALLOC_INTERNAL_H
#define MM_PAGE_ALLOC_INTERNAL_H

#include <mm/page_alloc.h>
#include <mm/vmstat.h>

/*
 * Count @nr pages entering (> 0) or leaving (< 0) @mt's free lists in
 * zone->free_pages. Like Linux's NR_FREE_PAGES, free pages of ISOLATE
 * pageblocks are not counted: nobody may allocate them, so watermarks and
 * MemFree must not see them (zone_isolated_free_pages() counts them).
 */
static inline void account_freepages(struct zone *zone, long nr, int mt)
{
	if (!is_migrate_isolate(mt))
		WRITE_ONCE(zone->free_pages, zone->free_pages + (unsigned long)nr);
}

/* Put the free block @page of @order on @zone's @mt list (zone->lock held). */
static inline void add_to_free_list(struct page *page, struct zone *zone,
				    unsigned int order, int mt, bool tail)
{
	struct free_area *area = &zone->free_area[order];

	/* a block enters its own list once, aligned, on its pageblock's type */
	VM_BUG_ON_PAGE(PageBuddy(page) || (page_to_pfn(page) & ((1UL << order) - 1)), page);
	VM_BUG_ON_PAGE(get_pfnblock_migratetype(page_to_pfn(page)) != mt, page);
	set_page_private(page, order);
	page->migratetype = (uint8_t)mt;
	WRITE_ONCE(page->page_type, PGTY_BUDDY);	/* lockless scanners look (compaction) */
	if (tail)
		list_add_tail(&page->lru, &area->free_list[mt]);
	else
		list_add(&page->lru, &area->free_list[mt]);
	WRITE_ONCE(area->nr_free, area->nr_free + 1);
	WRITE_ONCE(area->nr_free_mt[mt], area->nr_free_mt[mt] + 1);
	account_freepages(zone, 1L << order, mt);
}

/* Take the free block @page of @order off its list (zone->lock held); type cleared. */
static inline void del_from_free_list(struct page *page, struct zone *zone,
				      unsigned int order)
{
	struct free_area *area = &zone->free_area[order];

	VM_BUG_ON_PAGE(!PageBuddy(page) || buddy_order(page) != order, page);
	VM_BUG_ON_PAGE(!area->nr_free_mt[page->migratetype], page);
	list_del(&page->lru);
	WRITE_ONCE(area->nr_free, area->nr_free - 1);
	WRITE_ONCE(area->nr_free_mt[page->migratetype], area->nr_free_mt[page->migratetype] - 1);
	account_freepages(zone, -(1L << order), page->migratetype);
	WRITE_ONCE(page->page_type, PGTY_NONE);
	set_page_private(page, 0);
	/* free page reporting: a block leaving the lists is no longer "reported" */
	clear_page_bit(PG_reported, page);	/* atomic: see PAGEFLAG's __ variants */
}

/* Move the free block @page of @order to the @mt list (zone->lock held). */
static inline void move_to_free_list(struct page *page, struct zone *zone,
				     unsigned int order, int mt)
{
	struct free_area *area = &zone->free_area[order];

	VM_BUG_ON_PAGE(!PageBuddy(page) || buddy_order(page) != order, page);
	list_move(&page->lru, &area->free_list[mt]);
	area->nr_free_mt[page->migratetype]--;
	area->nr_free_mt[mt]++;
	account_freepages(zone, -(1L << order), page->migratetype);
	account_freepages(zone, 1L << order, mt);
	page->migratetype = (uint8_t)mt;
}

/* Tag every pageblock of the block [pfn, pfn + 2^order) with @mt (zone->lock held). */
void change_pageblock_range(unsigned long pfn, unsigned int order, int mt);

/* Fill 2^@order pages at @page with PAGE_POISON. */
void poison_pages(struct page *page, unsigned int order);

/* Print the allocation-failure report (order, gfp, free areas). */
void warn_alloc(gfp_t gfp, unsigned int order, const char *why);

/* Per-CPU list initial batch and high. */
void pcp_init_zone(struct zone *zone);
/* Recompute @zone's per-CPU batch and high from its managed pages (lists untouched). */
void pcp_update_zone(struct zone *zone);

/*
 * Give a block whose refcount is already 0 on every page (a frozen block,
 * <mm/page_offline.h>) to the buddy: the same checks and path as the last
 * __free_pages() of it. mm/page_offline.c validates the caller's block first.
 */
void __free_frozen_pages(struct page *page, unsigned int order);

/* Recompute every CPU's list limits from the zone sizes (after memory came or went). */
void zone_pcp_update(void);

/* Reset hooks used by mm_reset_for_test(). */
void page_alloc_reset(void);
void slab_reset(void);
void fault_inject_reset(void);

#endif
