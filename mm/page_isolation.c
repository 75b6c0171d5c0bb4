/*
 * page_isolation.c - range isolation and contiguous allocation.
 *
 * Isolating a pfn range sets each of its pageblocks to MIGRATE_ISOLATE
 * (move_freepages_block() moves their free pages to the ISOLATE free
 * lists, and the buddy never merges across an ISOLATE boundary nor
 * allocates from those lists), so free pages in the range stay free and
 * pages freed inside it land there too. Then the range is emptied:
 * movable pages are migrated out through the seed-004 interface (see
 * docs/references.md), and once test_pages_isolated() sees every page
 * free, alloc_contig_range() takes
 * them out of the buddy. Undoing the isolation gives every pageblock back
 * the migratetype it had before (remembered in its pageblock byte by
 * set_pageblock_migratetype(), so an UNMOVABLE or RECLAIMABLE block inside
 * the range does not come back MOVABLE) and moves its free pages to that
 * type's lists. While isolated, a block's free pages are not counted in
 * zone->free_pages (Linux's NR_FREE_PAGES excludes them too).
 *
 * What counts as movable (has_unmovable_pages): free buddy pages, free
 * pages on their way (refcount 0), __PageMovable pages (balloon pages,
 * PageMovableOffline, included). PageOffline pages (refcount 0 always,
 * seed 001) are skippable with SKIP_OFFLINE (memory offlining) when their
 * owner marked them Skippable - seed 003's rule in seed 001's terms - and
 * unmovable otherwise, alloc_contig_range() included. Everything else
 * allocated, and PG_reserved pages, is unmovable.
 *
 * alloc_contig_range() and alloc_contig_frozen_range() are one helper,
 * __alloc_contig_range(): the frozen variant only ends differently, each
 * page of the range with refcount 0 instead of 1 (seed 001's "frozen").
 *
 * Invariant: on return from any function here, each pageblock of the
 * range is either ISOLATE (only between start_ and undo_) or back to its
 * original migratetype, and no free page is lost (mm_check_invariants()).
 */
#include <mm/page_isolation.h>
#include <mm/page_alloc.h>
#include <mm/migrate.h>
#include <mm/page_offline.h>
#include <kernel/printk.h>
#include <errno.h>
#include <string.h>

#define CONTIG_MIGRATE_TRIES	5

struct page *has_unmovable_pages(struct zone *zone, unsigned long start, unsigned long end,
				 int flags)
{
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct page *page = pfn_to_page(pfn);

		if (PageReserved(page))
			return page;
		if (PageHWPoison(page) && (flags & SKIP_HWPOISON))
			continue;
		/* seed 001: refcount 0 always; offlining may skip it if its owner says so */
		if (PageOffline(page)) {
			if ((flags & SKIP_OFFLINE) && PageOfflineSkippable(page))
				continue;
			return page;
		}
		if (page_ref_count(page) == 0) {
			if (PageBuddy(page)) {
				unsigned int o = buddy_order_unsafe(page);

				if (o <= MAX_ORDER)
					pfn += (1UL << o) - 1;
			}
			continue;
		}
		if (__PageMovable(page))
			continue;
		return page;
	}
	return NULL;
}

/* Isolate the pageblock at @page; -EBUSY if [s, e) of it holds an unmovable page. */
static int set_migratetype_isolate(struct page *page, unsigned long s, unsigned long e,
				   int flags)
{
	struct zone *zone = page_zone(page);
	struct page *bad;
	unsigned long irq;

	spin_lock_irqsave(&zone->lock, irq);
	if (is_migrate_isolate(get_pageblock_migratetype(page))) {
		spin_unlock_irqrestore(&zone->lock, irq);
		return -EBUSY;
	}
	bad = has_unmovable_pages(zone, s, e, flags);
	if (bad || move_freepages_block(zone, page, MIGRATE_ISOLATE) < 0) {
		spin_unlock_irqrestore(&zone->lock, irq);
		if (bad && (flags & REPORT_FAILURE))
			dump_page(bad, "unmovable page");
		return -EBUSY;
	}
	spin_unlock_irqrestore(&zone->lock, irq);
	return 0;
}

/* Give the isolated pageblock at @page back the migratetype it had before. */
static void unset_migratetype_isolate(struct page *page)
{
	struct zone *zone = page_zone(page);
	unsigned long irq;

	spin_lock_irqsave(&zone->lock, irq);
	if (is_migrate_isolate(get_pageblock_migratetype(page)))
		move_freepages_block(zone, page, get_pageblock_saved_migratetype(page));
	/* the essay's promise: back to the type it had before isolation */
	VM_BUG_ON_PAGE(is_migrate_isolate(get_pageblock_migratetype(page)), page);
	spin_unlock_irqrestore(&zone->lock, irq);
}

/*
 * True if [start, end) is a non-empty range of online pfns of one zone
 * (zone_has_pfn() on every MAX_ORDER block: sections and the 16 MiB DMA
 * boundary are aligned to it; zones may interleave, so the span is not
 * enough).
 */
static bool range_ok(unsigned long start, unsigned long end)
{
	const struct zone *zone;

	if (start >= end || !pfn_section_online(start))
		return false;
	zone = &zones[pfn_zonenum(start)];
	for (unsigned long pfn = start; pfn < end; pfn = ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES) + MAX_ORDER_NR_PAGES)
		if (!zone_has_pfn(zone, pfn))
			return false;
	return zone_has_pfn(zone, end - 1);
}

/* Isolate blocks of [start, end), checking only [cs, ce) for unmovable pages. */
static int __start_isolate(unsigned long start, unsigned long end, unsigned long cs,
			   unsigned long ce, int migratetype, int flags)
{
	struct zone *zone;
	unsigned long pfn;

	if ((start | end) & (pageblock_nr_pages - 1) || !range_ok(start, end))
		return -EINVAL;
	zone = &zones[pfn_zonenum(start)];
	for (pfn = start; pfn < end; pfn += pageblock_nr_pages) {
		struct page *page = pageblock_pfn_to_page(pfn, pfn + pageblock_nr_pages, zone);
		unsigned long s = MAX(pfn, cs), e = MIN(pfn + pageblock_nr_pages, ce);

		if (!page || set_migratetype_isolate(page, s, e, flags)) {
			undo_isolate_page_range(start, pfn, migratetype);
			return -EBUSY;
		}
		VM_BUG_ON_PAGE(!is_migrate_isolate(get_pageblock_migratetype(page)), page);
	}
	drain_all_pages(zone);
	return 0;
}

int start_isolate_page_range(unsigned long start_pfn, unsigned long end_pfn,
			     int migratetype, int flags)
{
	return __start_isolate(start_pfn, end_pfn, start_pfn, end_pfn, migratetype, flags);
}

void undo_isolate_page_range(unsigned long start_pfn, unsigned long end_pfn, int migratetype)
{
	(void)migratetype;	/* each block remembers its own type */
	for (unsigned long pfn = start_pfn; pfn < end_pfn; pfn += pageblock_nr_pages)
		if (pfn_section_online(pfn))
			unset_migratetype_isolate(pfn_to_page(pfn));
}

/* Walk [pfn, end) under zone->lock; returns the first pfn that is not isolated-free. */
static unsigned long __test_page_isolated(unsigned long pfn, unsigned long end, int flags)
{
	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);

		if (PageBuddy(page))
			pfn += 1UL << buddy_order(page);
		else if ((flags & SKIP_HWPOISON) && PageHWPoison(page))
			pfn++;
		else if ((flags & SKIP_OFFLINE) && PageOfflineSkippable(page))
			pfn++;
		else
			break;
	}
	return pfn;
}

int test_pages_isolated(unsigned long start_pfn, unsigned long end_pfn, int flags)
{
	struct zone *zone;
	unsigned long pfn, irq;

	if (!range_ok(start_pfn, end_pfn))
		return -EINVAL;
	for (pfn = pageblock_start_pfn(start_pfn); pfn < end_pfn; pfn += pageblock_nr_pages)
		if (!is_migrate_isolate(get_pfnblock_migratetype(pfn)))
			return -EBUSY;
	zone = &zones[pfn_zonenum(start_pfn)];
	/* a free block may begin before start_pfn: start at its head */
	pfn = start_pfn;
	spin_lock_irqsave(&zone->lock, irq);
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		unsigned long h = start_pfn & ~((1UL << o) - 1);

		if (zone_has_pfn(zone, h) && PageBuddy(pfn_to_page(h)) &&
		    buddy_order(pfn_to_page(h)) >= o) {
			pfn = h;
			break;
		}
	}
	pfn = __test_page_isolated(pfn, end_pfn, flags);
	spin_unlock_irqrestore(&zone->lock, irq);
	return pfn >= end_pfn ? 0 : -EBUSY;
}

/* Migration target for alloc_contig_range: any movable page (never from the isolated range). */
static struct page *contig_new_page(struct page *page, unsigned long gfp)
{
	return alloc_page((gfp_t)gfp | __GFP_MOVABLE | __GFP_NOWARN);
}

/* Migrate every movable page of [start, end) elsewhere; 0 or -EBUSY/-ENOMEM. */
static int contig_migrate_range(unsigned long start, unsigned long end, gfp_t gfp)
{
	struct migrate_range_result res;

	for (int tries = 0; tries < CONTIG_MIGRATE_TRIES; tries++) {
		if (migrate_range_pass(start, end, contig_new_page, gfp, MR_CONTIG_RANGE, false,
				       32, &res))
			return -ENOMEM;
		if (!res.unmovable && !res.failed_batches)
			return 0;
	}
	return -EBUSY;
}

/*
 * Take every free block covering [start, end) out of the buddy; 0 or
 * -EBUSY (nothing held). With @frozen the pages of [start, end) end with
 * refcount 0 (page_ref_freeze_wait()), else 1.
 */
static int take_isolated_range(unsigned long start, unsigned long end, gfp_t gfp, bool frozen)
{
	struct zone *zone = &zones[pfn_zonenum(start)];
	unsigned long pfn, irq, outer = start, outer_end;

	spin_lock_irqsave(&zone->lock, irq);
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		unsigned long h = start & ~((1UL << o) - 1);

		if (zone_has_pfn(zone, h) && PageBuddy(pfn_to_page(h)) &&
		    buddy_order(pfn_to_page(h)) >= o) {
			outer = h;
			break;
		}
	}
	if (__test_page_isolated(outer, end, 0) < end) {
		spin_unlock_irqrestore(&zone->lock, irq);
		return -EBUSY;
	}
	for (pfn = outer; pfn < end; ) {
		struct page *page = pfn_to_page(pfn);
		unsigned int o = buddy_order(page);

		VM_BUG_ON_PAGE(!PageBuddy(page), page);
		__isolate_free_page(page, o);
		post_alloc_hook(page, o, gfp);
		split_page(page, o);
		pfn += 1UL << o;
	}
	outer_end = pfn;
	spin_unlock_irqrestore(&zone->lock, irq);
	/* every page of the covering blocks is now ours: split, one reference each */
	for (pfn = outer; pfn < outer_end; pfn++)
		VM_BUG_ON_PAGE(page_ref_count(pfn_to_page(pfn)) != 1 || PageBuddy(pfn_to_page(pfn)),
			       pfn_to_page(pfn));
	/* give back what the covering blocks had outside the range */
	for (pfn = outer; pfn < start; pfn++)
		__free_page(pfn_to_page(pfn));
	for (pfn = end; pfn < outer_end; pfn++)
		__free_page(pfn_to_page(pfn));
	if (frozen)
		for (pfn = start; pfn < end; pfn++)
			page_ref_freeze_wait(pfn_to_page(pfn));
	return 0;
}

/* alloc_contig_range() and its frozen variant: see the essay. */
static int __alloc_contig_range(unsigned long start, unsigned long end, int migratetype,
				gfp_t gfp, bool frozen)
{
	unsigned long istart = pageblock_start_pfn(start);
	unsigned long iend = pageblock_start_pfn(end + pageblock_nr_pages - 1);
	int ret;

	if (!range_ok(start, end) || !range_ok(istart, iend))
		return -EINVAL;
	gfp &= ~(GFP_ZONEMASK | GFP_MOVABLE_MASK);
	ret = __start_isolate(istart, iend, start, end, migratetype, 0);
	if (ret)
		return ret;
	ret = contig_migrate_range(start, end, gfp);
	drain_all_pages(&zones[pfn_zonenum(start)]);
	if (!ret)
		ret = test_pages_isolated(start, end, 0);
	if (!ret)
		ret = take_isolated_range(start, end, gfp, frozen);
	undo_isolate_page_range(istart, iend, migratetype);
	return ret ? -EBUSY : 0;
}

int alloc_contig_range(unsigned long start, unsigned long end, int migratetype, gfp_t gfp)
{
	return __alloc_contig_range(start, end, migratetype, gfp, false);
}

int alloc_contig_frozen_range(unsigned long start, unsigned long end, gfp_t gfp)
{
	return __alloc_contig_range(start, end, MIGRATE_MOVABLE, gfp, true);
}

void free_contig_range(unsigned long pfn, unsigned long nr_pages)
{
	for (unsigned long i = 0; i < nr_pages; i++)
		__free_page(pfn_to_page(pfn + i));
}

/* Quick lockless look: could [pfn, pfn + n) be emptied (free or movable only)? */
static bool contig_range_candidate(unsigned long pfn, unsigned long n)
{
	struct zone *zone = &zones[pfn_zonenum(pfn)];

	if (!range_ok(pfn, pfn + n))
		return false;
	return has_unmovable_pages(zone, pfn, pfn + n, 0) == NULL;
}

unsigned long alloc_contig_pages(unsigned int order, gfp_t gfp)
{
	unsigned long n = 1UL << order;

	if (order > MAX_ORDER)
		return 0;
	for (int zi = gfp_zone(gfp); zi >= 0; zi--) {
		struct zone *zone = &zones[zi];
		unsigned long pfn;

		if (!zone->managed_pages)
			continue;
		pfn = (zone->zone_start_pfn + n - 1) & ~(n - 1);
		for (; pfn + n <= zone_end_pfn(zone); pfn += n) {
			/* this zone's pfns only: a Movable section may sit inside Normal's span */
			if (!zone_has_pfn(zone, pfn) || !contig_range_candidate(pfn, n))
				continue;
			if (!alloc_contig_range(pfn, pfn + n, MIGRATE_MOVABLE, gfp))
				return pfn;
		}
	}
	return 0;
}
