/*
 * compaction.c - moving movable pages together so that free memory forms
 * large blocks again.
 *
 * A zone compaction runs two scanners over the zone, pageblock by
 * pageblock. The migrate scanner walks up from the zone start
 * (cc->migrate_pfn) isolating movable pages through the seed-004
 * interface (isolate_movable_page; there is no LRU). The free scanner walks
 * down from the zone end (cc->free_pfn) taking free pages of MOVABLE
 * pageblocks as migration targets (never a free block of a whole pageblock
 * or more: that is what we are trying to build), only as many as the
 * current batch needs, resuming inside a block where it stopped last
 * time (so cc->free_pfn may point into a block; blocks are visited going
 * down, pfns within a block going up). migrate_pages() moves the
 * isolated pages into the targets; the sources return to the buddy at the
 * bottom of the zone, where they merge. The scanners never scan the same
 * pageblock: the migrate scanner stops before the free scanner's next
 * block and the free scanner before the block after the migrate
 * scanner's. When they meet, the pass is complete.
 *
 * Stop rule: for order > 0, as soon as a free block of >= order exists that
 * the allocation's migratetype can use; for whole-zone runs (order -1) when
 * the scanners meet; for proactive runs when the zone's fragmentation
 * score reaches the target.
 *
 * Hints: PB_migrate_skip marks a pageblock where a scanner found nothing
 * to take; later runs skip it until a complete pass clears all hints of
 * the zone (blockskip_flush). Direct compaction resumes from
 * zone->compact_cached_{migrate,free}_pfn. After a failure at order o the
 * zone defers compaction of orders >= o for 1, 2, 4 ... 64 attempts
 * (zone->compact_defer_shift, compact_considered, compact_order_failed).
 *
 * Counters, exactly as Linux keeps them: compact_stall counts direct
 * compaction attempts in which at least one zone was compacted or
 * deferred (not those where every zone was skipped); each stall ends in
 * exactly one of compact_success (the allocation retried right after
 * compaction got its page) or compact_fail (it did not), so
 * stall = success + fail.
 *
 * Quality: after filling free memory with movable order-0 pages and
 * freeing three of every four, a full pass leaves all but one partly
 * filled pageblock per zone (where the scanners meet) free as order-9
 * blocks: 99.6% of free memory on a 1 GiB host simulation, the packing
 * optimum for that pattern (tests/host/test_compaction.c). Smaller
 * machines score lower only because that one block per zone (and the
 * reserved first MiB sharing pageblock 0) weighs more: 94% at 64 MiB.
 *
 * Invariants: every page on cc->migratepages is isolated (PG_isolated, one
 * core reference); every page on cc->freepages is an order-0 page with
 * refcount 1 taken out of the buddy; both lists are empty when
 * compact_zone() returns. Locks: zone->lock only around free-list work;
 * page locks are taken by migrate.c, never under zone->lock (order in
 * docs/locking.md: page lock, then a movable owner's lock, then
 * zone->lock). Two CPUs may compact one zone at once: PG_isolated keeps
 * them off each other's pages, zone->lock serializes the free scanners'
 * takes, and the hints below are lockless relaxed atomics.
 */
#include <mm/compaction.h>
#include <mm/page_alloc.h>
#include <mm/vmstat.h>
#include <mm/mm_show.h>
#include <mm/sparse.h>
#include <kernel/printk.h>
#include <errno.h>
#include <string.h>

const char * const compact_result_names[] = {
	"not_suitable_zone", "skipped", "deferred", "continue",
	"complete", "partial_skipped", "success",
};

unsigned int sysctl_compaction_proactiveness = 20;
int sysctl_extfrag_threshold = 500;
void (*compact_step_hook)(struct compact_control *cc);
void (*compaction_wakeup_hook)(int order);
unsigned long kcompactd_wakeups, kcompactd_runs;

static bool blockskip_flush[MAX_NR_ZONES];

/*
 * Hints (the deferral state, the cached scanner positions, blockskip_flush,
 * kcompactd_max_order) are shared by every CPU that compacts and are read
 * and written without a lock, with marked accesses (READ_ONCE/WRITE_ONCE;
 * atomics for kcompactd_max_order): a stale or lost value
 * costs a wasted or skipped scan, never correctness (docs/locking.md).
 */
static int kcompactd_max_order;
static struct alloc_slowpath_hook compaction_hook;

#define COMPACT_MAX_DEFER_SHIFT	6
#define PAGE_ALLOC_COSTLY_ORDER	3
#define COMPACTION_HPAGE_ORDER	pageblock_order

/* ------------------------------------------------------------------ */
/* deferral                                                            */
/* ------------------------------------------------------------------ */

/*
 * The deferral state and the cached scanner pfns are hints that every
 * CPU's compaction reads and writes without a lock (as in Linux): a lost
 * update only makes one compaction run early or skip once. The accesses
 * are marked (READ_ONCE/WRITE_ONCE) so that they stay single loads and
 * stores and ThreadSanitizer knows them to be deliberate.
 */
void defer_compaction(struct zone *zone, int order)
{
	unsigned int shift = READ_ONCE(zone->compact_defer_shift);

	WRITE_ONCE(zone->compact_considered, 0);
	if (shift < COMPACT_MAX_DEFER_SHIFT)
		WRITE_ONCE(zone->compact_defer_shift, shift + 1);
	if (order < READ_ONCE(zone->compact_order_failed))
		WRITE_ONCE(zone->compact_order_failed, order);
}

bool compaction_deferred(struct zone *zone, int order)
{
	unsigned long limit = 1UL << READ_ONCE(zone->compact_defer_shift);
	unsigned int considered;

	if (order < READ_ONCE(zone->compact_order_failed))
		return false;
	considered = READ_ONCE(zone->compact_considered) + 1;
	if (considered >= limit) {
		WRITE_ONCE(zone->compact_considered, (unsigned int)limit);
		return false;
	}
	WRITE_ONCE(zone->compact_considered, considered);
	return true;
}

void compaction_defer_reset(struct zone *zone, int order, bool alloc_success)
{
	if (alloc_success) {
		WRITE_ONCE(zone->compact_considered, 0);
		WRITE_ONCE(zone->compact_defer_shift, 0);
	}
	if (order >= READ_ONCE(zone->compact_order_failed))
		WRITE_ONCE(zone->compact_order_failed, order + 1);
}

/* ------------------------------------------------------------------ */
/* suitability and scores                                              */
/* ------------------------------------------------------------------ */

enum compact_result compaction_suitable(struct zone *zone, int order)
{
	struct contig_page_info info;
	int fragindex;

	if (order < 0)
		return COMPACT_CONTINUE;
	if (zone_watermark_ok(zone, (unsigned int)order, low_wmark_pages(zone), 0))
		return COMPACT_SUCCESS;
	/* migration needs free pages to copy into */
	if (!zone_watermark_ok(zone, 0, low_wmark_pages(zone) + (2UL << order), 0))
		return COMPACT_SKIPPED;
	if (order > PAGE_ALLOC_COSTLY_ORDER) {
		fill_contig_page_info(zone, (unsigned int)order, &info);
		fragindex = fragmentation_index((unsigned int)order, &info);
		if (fragindex >= 0 && fragindex <= sysctl_extfrag_threshold)
			return COMPACT_NOT_SUITABLE_ZONE;
	}
	return COMPACT_CONTINUE;
}

unsigned int fragmentation_score_zone(struct zone *zone)
{
	struct contig_page_info info;

	fill_contig_page_info(zone, COMPACTION_HPAGE_ORDER, &info);
	if (!info.free_pages)
		return 0;
	return (unsigned int)(unusable_free_index(COMPACTION_HPAGE_ORDER, &info) / 10);
}

unsigned int fragmentation_score(void)
{
	unsigned long total = 0, sum = 0;
	struct zone *zone;

	for_each_populated_zone(zone)
		total += zone->present_pages;
	if (!total)
		return 0;
	for_each_populated_zone(zone)
		sum += (unsigned long)fragmentation_score_zone(zone) * zone->present_pages;
	return (unsigned int)(sum / total);
}

unsigned int fragmentation_score_wmark(bool low)
{
	unsigned int wmark_low = 100 - MIN(sysctl_compaction_proactiveness, 100u);

	if (wmark_low < 5)
		wmark_low = 5;
	return low ? wmark_low : MIN(wmark_low + 10, 100u);
}

bool should_proactive_compact(void)
{
	if (!sysctl_compaction_proactiveness)
		return false;
	return fragmentation_score() > fragmentation_score_wmark(false);
}

/* ------------------------------------------------------------------ */
/* the free scanner                                                    */
/* ------------------------------------------------------------------ */

/* May the pageblock at @page receive migrated pages? */
static bool suitable_migration_target(struct page *page)
{
	/* a free block of a pageblock or more: leave it whole */
	if (PageBuddy(page) && buddy_order_unsafe(page) >= pageblock_order)
		return false;
	return get_pageblock_migratetype(page) == MIGRATE_MOVABLE;
}

/*
 * Take free pages of [start, end) as order-0 targets, scanning up, until
 * at least @want are held (a buddy block is taken whole, so the last one
 * may overshoot) or the zone is at its min watermark. Stores in *@next
 * the pfn where the scan stopped (@end when the range was scanned to its
 * end); returns pages taken.
 */
static unsigned long isolate_freepages_block(struct compact_control *cc,
					     unsigned long start, unsigned long end,
					     unsigned long want, unsigned long *next)
{
	struct zone *zone = cc->zone;
	unsigned long pfn, taken = 0, flags;

	spin_lock_irqsave(&zone->lock, flags);
	for (pfn = start; pfn < end && taken < want; pfn++) {
		struct page *page = pfn_to_page(pfn);
		unsigned int order;

		cc->st.free_scanned++;
		if (!PageBuddy(page))
			continue;
		order = buddy_order(page);
		if (!__isolate_free_page(page, order))
			break;		/* zone at its min watermark */
		post_alloc_hook(page, order, __GFP_MOVABLE);
		split_page(page, order);
		for (unsigned long i = 0; i < (1UL << order); i++) {
			VM_BUG_ON_PAGE(page_ref_count(&page[i]) != 1 || PageBuddy(&page[i]), &page[i]);
			list_add_tail(&page[i].lru, &cc->freepages);
		}
		taken += 1UL << order;
		pfn += (1UL << order) - 1;
	}
	spin_unlock_irqrestore(&zone->lock, flags);
	*next = MIN(pfn, end);
	cc->nr_freepages += taken;
	cc->st.isolated_free += taken;
	return taken;
}

/*
 * Move the free scanner down until it holds a target for every isolated
 * page or meets the migrate scanner. Within a block it takes only what is
 * needed and resumes next time where it stopped (cc->free_pfn may then
 * point into the block), so no block is rescanned and no target is
 * isolated only to be given back.
 */
static void isolate_freepages(struct compact_control *cc)
{
	struct zone *zone = cc->zone;
	/* the migrate scanner owns its block once it is inside it, not before */
	unsigned long low_pfn = cc->migrate_pfn & (pageblock_nr_pages - 1) ?
				pageblock_end_pfn(cc->migrate_pfn) : cc->migrate_pfn;
	unsigned long resume = cc->free_pfn;
	unsigned long block_start = pageblock_start_pfn(resume);

	while (block_start >= low_pfn && block_start >= pageblock_start_pfn(zone->zone_start_pfn)) {
		unsigned long s = MAX(block_start, zone->zone_start_pfn);
		unsigned long e = MIN(block_start + pageblock_nr_pages, zone_end_pfn(zone));
		unsigned long from = MAX(s, resume), next = e, taken;
		struct page *page;

		resume = 0;	/* only the first block resumes mid-way */
		memmap_walk_begin();	/* the block's memmap stays mapped until the end */
		page = pageblock_pfn_to_page(s, e, zone);
		if (page && (cc->ignore_skip_hint || !get_pageblock_skip(page)) &&
		    suitable_migration_target(page)) {
			unsigned long want = cc->nr_migratepages > cc->nr_freepages ?
					     cc->nr_migratepages - cc->nr_freepages : 1;

			taken = isolate_freepages_block(cc, from, e, want, &next);
			/* a whole block scanned without a free page: hint it */
			if (!taken && from == s && next == e && !cc->ignore_skip_hint)
				set_pageblock_skip(page);
			memmap_walk_end();
			if (next < e) {
				/* stopped inside the block: resume there next time */
				cc->free_pfn = next;
				return;
			}
			if (cc->nr_freepages >= cc->nr_migratepages) {
				/* block used up exactly: the next call starts below it */
				if (block_start >= pageblock_nr_pages)
					block_start -= pageblock_nr_pages;
				break;
			}
		} else {
			memmap_walk_end();
		}
		if (block_start < pageblock_nr_pages)
			break;
		block_start -= pageblock_nr_pages;
	}
	cc->free_pfn = block_start;
}

/* migrate_pages() target allocator: a page from cc->freepages (refilled on demand). */
static struct page *compaction_alloc(struct page *src, unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;
	struct page *page;

	if (list_empty(&cc->freepages)) {
		isolate_freepages(cc);
		if (list_empty(&cc->freepages))
			return NULL;
	}
	page = list_first_entry(&cc->freepages, struct page, lru);
	VM_BUG_ON_PAGE(page_ref_count(page) != 1 || page->alloc_order, page);
	VM_BUG_ON(!cc->nr_freepages);
	list_del(&page->lru);
	cc->nr_freepages--;
	return page;
}

/* migrate_pages() callback: an unused target goes back on cc->freepages. */
static void compaction_free(struct page *page, unsigned long data)
{
	struct compact_control *cc = (struct compact_control *)data;

	VM_BUG_ON_PAGE(page_ref_count(page) != 1, page);
	list_add(&page->lru, &cc->freepages);
	cc->nr_freepages++;
}

/* Return every unused target page to the buddy. */
static void release_freepages(struct compact_control *cc)
{
	while (!list_empty(&cc->freepages)) {
		struct page *page = list_first_entry(&cc->freepages, struct page, lru);

		list_del(&page->lru);
		__free_page(page);
	}
	cc->nr_freepages = 0;
}

/* ------------------------------------------------------------------ */
/* the migrate scanner                                                 */
/* ------------------------------------------------------------------ */

/* May pages of the pageblock at @page be migrated away in this mode? */
static bool suitable_migration_source(struct compact_control *cc, struct page *page)
{
	int mt = get_pageblock_migratetype(page);

	if (is_migrate_isolate(mt))
		return false;
	if (cc->mode == MIGRATE_ASYNC)
		return mt == MIGRATE_MOVABLE;
	return true;
}

/*
 * Isolate movable pages of [start, end) onto cc->migratepages, at most
 * COMPACT_CLUSTER_MAX in all; returns the pfn where scanning stopped.
 */
static unsigned long isolate_migratepages_block(struct compact_control *cc,
						unsigned long start, unsigned long end)
{
	isolate_mode_t mode = cc->mode == MIGRATE_ASYNC ? ISOLATE_ASYNC_MIGRATE : 0;
	unsigned long pfn;

	for (pfn = start; pfn < end; pfn++) {
		struct page *page = pfn_to_page(pfn);

		cc->st.migrate_scanned++;
		if (PageBuddy(page)) {
			unsigned int order = buddy_order_unsafe(page);

			if (order <= MAX_ORDER)
				pfn += (1UL << order) - 1;
			continue;
		}
		if (!__PageMovable(page) || PageIsolated(page))
			continue;
		if (!isolate_movable_page(page, mode))
			continue;
		/* ours now: isolated, with the core's reference */
		VM_BUG_ON_PAGE(!PageIsolated(page) || page_ref_count(page) < 1, page);
		list_add_tail(&page->lru, &cc->migratepages);
		cc->nr_migratepages++;
		cc->st.isolated_migrate++;
		if (cc->nr_migratepages >= COMPACT_CLUSTER_MAX) {
			pfn++;
			break;
		}
	}
	return MIN(pfn, end);
}

/* Advance the migrate scanner to the next batch; true if pages were isolated. */
static bool isolate_migratepages(struct compact_control *cc)
{
	struct zone *zone = cc->zone;
	unsigned long pfn = cc->migrate_pfn;

	while (pageblock_end_pfn(pfn) <= cc->free_pfn) {
		unsigned long bs = pageblock_start_pfn(pfn);
		unsigned long s = MAX(bs, zone->zone_start_pfn);
		unsigned long e = MIN(bs + pageblock_nr_pages, zone_end_pfn(zone));
		unsigned long before = cc->nr_migratepages;
		struct page *page;

		memmap_walk_begin();	/* the block's memmap stays mapped until the end */
		page = pageblock_pfn_to_page(s, e, zone);
		if (!page || (!cc->ignore_skip_hint && pfn == s && get_pageblock_skip(page)) ||
		    !suitable_migration_source(cc, page)) {
			memmap_walk_end();
			pfn = bs + pageblock_nr_pages;
			continue;
		}
		pfn = isolate_migratepages_block(cc, MAX(pfn, s), e);
		/* a whole block scanned without finding anything: hint it */
		if (pfn == e && cc->nr_migratepages == before && !cc->ignore_skip_hint)
			set_pageblock_skip(page);
		memmap_walk_end();
		if (pfn == e)
			pfn = bs + pageblock_nr_pages;
		if (cc->nr_migratepages)
			break;
	}
	cc->migrate_pfn = pfn;
	return cc->nr_migratepages != 0;
}

/* ------------------------------------------------------------------ */
/* zone compaction                                                     */
/* ------------------------------------------------------------------ */

/* Have the two scanners met? */
static bool compact_scanners_met(const struct compact_control *cc)
{
	return (cc->free_pfn >> pageblock_order) <= (cc->migrate_pfn >> pageblock_order);
}

/* Does @zone hold a free block of >= @order usable by migratetype @mt? */
static bool zone_has_suitable_block(struct zone *zone, int order, int mt)
{
	for (unsigned int o = (unsigned int)order; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];
		bool can_steal;

		if (area->nr_free_mt[mt])
			return true;
		if (o >= pageblock_order && area->nr_free)
			return true;
		if (find_suitable_fallback(area, o, mt, true, &can_steal) != -1)
			return true;
	}
	return false;
}

/* Clear every skip hint of @zone. */
static void reset_isolation_suitable(struct zone *zone)
{
	unsigned long pfn = pageblock_start_pfn(zone->zone_start_pfn);

	for (; pfn < zone_end_pfn(zone); pfn += pageblock_nr_pages) {
		unsigned long p = MAX(pfn, zone->zone_start_pfn);

		memmap_walk_begin();
		if (zone_has_pfn(zone, p))
			clear_pageblock_skip(pfn_to_page(p));
		memmap_walk_end();
	}
	WRITE_ONCE(blockskip_flush[zone_idx(zone)], false);
}

/* Scanner start positions at the zone's ends. */
static unsigned long zone_first_free_block(struct zone *zone)
{
	return pageblock_start_pfn(zone_end_pfn(zone) - 1);
}

/* Stop now? */
static enum compact_result compact_finished(struct compact_control *cc)
{
	struct zone *zone = cc->zone;
	unsigned long flags;
	bool found;

	if (compact_scanners_met(cc)) {
		WRITE_ONCE(zone->compact_cached_migrate_pfn, zone->zone_start_pfn);
		WRITE_ONCE(zone->compact_cached_free_pfn, zone_first_free_block(zone));
		WRITE_ONCE(blockskip_flush[zone_idx(zone)], true);
		return COMPACT_COMPLETE;
	}
	if (cc->proactive)
		return fragmentation_score_zone(zone) <= fragmentation_score_wmark(true) ?
			COMPACT_SUCCESS : COMPACT_CONTINUE;
	if (cc->order < 0)
		return COMPACT_CONTINUE;
	spin_lock_irqsave(&zone->lock, flags);
	found = zone_has_suitable_block(zone, cc->order, cc->migratetype);
	spin_unlock_irqrestore(&zone->lock, flags);
	return found ? COMPACT_SUCCESS : COMPACT_CONTINUE;
}

enum compact_result compact_zone(struct compact_control *cc)
{
	struct zone *zone = cc->zone;
	enum compact_result ret;
	int zi = zone_idx(zone);

	INIT_LIST_HEAD(&cc->migratepages);
	INIT_LIST_HEAD(&cc->freepages);
	cc->nr_migratepages = cc->nr_freepages = 0;
	if (!populated_zone(zone) || !zone->managed_pages)
		return COMPACT_SKIPPED;
	ret = compaction_suitable(zone, cc->order);
	if (ret != COMPACT_CONTINUE)
		return ret;
	if (READ_ONCE(blockskip_flush[zi]) || cc->whole_zone)
		reset_isolation_suitable(zone);
	if (cc->whole_zone || !READ_ONCE(zone->compact_cached_free_pfn)) {
		cc->migrate_pfn = zone->zone_start_pfn;
		cc->free_pfn = zone_first_free_block(zone);
	} else {
		/* two hints that another CPU may be rewriting: each read once */
		unsigned long mpfn = READ_ONCE(zone->compact_cached_migrate_pfn);
		unsigned long fpfn = READ_ONCE(zone->compact_cached_free_pfn);

		cc->migrate_pfn = MAX(mpfn, zone->zone_start_pfn);
		cc->free_pfn = MIN(fpfn, zone_first_free_block(zone));
	}
	cc->st.runs++;
	drain_all_pages(zone);

	while ((ret = compact_finished(cc)) == COMPACT_CONTINUE) {
		unsigned int ok = 0;
		int err;

		if (!isolate_migratepages(cc))
			continue;	/* the scanners met or moved; re-check */
		err = migrate_pages(&cc->migratepages, compaction_alloc, compaction_free,
				    (unsigned long)cc, cc->mode, MR_COMPACTION, &ok);
		cc->st.moved += ok;
		if (err) {
			unsigned long left = 0;
			struct page *p;

			list_for_each_entry(p, &cc->migratepages, lru)
				left++;
			cc->st.failed += err > 0 ? (unsigned long)err : left;
			putback_movable_pages(&cc->migratepages);
		}
		cc->nr_migratepages = 0;
		/* freed sources sit on this CPU's list: let them merge */
		drain_local_pages(zone);
		if (compact_step_hook)
			compact_step_hook(cc);
		if (err == -ENOMEM) {
			ret = COMPACT_PARTIAL_SKIPPED;
			break;
		}
	}
	release_freepages(cc);
	/* the essay's promise: nothing stays isolated once compact_zone() returns */
	VM_BUG_ON(!list_empty(&cc->freepages) || !list_empty(&cc->migratepages));
	VM_BUG_ON(cc->nr_freepages || cc->nr_migratepages);
	drain_local_pages(zone);
	if (!cc->whole_zone && ret != COMPACT_COMPLETE) {
		WRITE_ONCE(zone->compact_cached_migrate_pfn, cc->migrate_pfn);
		WRITE_ONCE(zone->compact_cached_free_pfn, cc->free_pfn);
	}
	count_vm_events(COMPACTMIGRATE_SCANNED, cc->st.migrate_scanned);
	count_vm_events(COMPACTFREE_SCANNED, cc->st.free_scanned);
	count_vm_events(COMPACTISOLATED, cc->st.isolated_migrate + cc->st.isolated_free);
	return ret;
}

/* Add @from's figures to @to. */
static void compact_stats_add(struct compact_stats *to, const struct compact_stats *from)
{
	if (!to)
		return;
	to->migrate_scanned += from->migrate_scanned;
	to->free_scanned += from->free_scanned;
	to->isolated_migrate += from->isolated_migrate;
	to->isolated_free += from->isolated_free;
	to->moved += from->moved;
	to->failed += from->failed;
	to->runs += from->runs;
}

enum compact_result compact_zone_order(struct zone *zone, int order, gfp_t gfp,
				       enum migrate_mode mode, struct compact_stats *st)
{
	struct compact_control cc;
	enum compact_result r;

	memset(&cc, 0, sizeof(cc));
	cc.zone = zone;
	cc.order = order;
	cc.migratetype = gfp_migratetype(gfp);
	cc.mode = mode;
	r = compact_zone(&cc);
	compact_stats_add(st, &cc.st);
	return r;
}

/* Compact all of @zone from both ends, skip hints ignored, in @mode; adds to *@st. */
static enum compact_result compact_whole_zone(struct zone *zone, enum migrate_mode mode,
					      bool proactive, struct compact_stats *st)
{
	struct compact_control cc;
	enum compact_result r;

	memset(&cc, 0, sizeof(cc));
	cc.zone = zone;
	cc.order = -1;
	cc.migratetype = MIGRATE_MOVABLE;
	cc.mode = mode;
	cc.whole_zone = true;
	cc.ignore_skip_hint = true;
	cc.proactive = proactive;
	r = compact_zone(&cc);
	compact_stats_add(st, &cc.st);
	return r;
}

enum compact_result compact_zone_full(struct zone *zone, struct compact_stats *st)
{
	return compact_whole_zone(zone, MIGRATE_SYNC, false, st);
}

void compact_all(struct compact_stats *st)
{
	struct zone *zone;

	for_each_populated_zone(zone)
		compact_zone_full(zone, st);
}

unsigned long proactive_compact(struct compact_stats *st)
{
	struct compact_stats local;
	struct zone *zone;

	memset(&local, 0, sizeof(local));
	for_each_populated_zone(zone) {
		if (fragmentation_score_zone(zone) <= fragmentation_score_wmark(true))
			continue;
		compact_whole_zone(zone, MIGRATE_SYNC_LIGHT, true, &local);
	}
	compact_stats_add(st, &local);
	return local.moved;
}

/* ------------------------------------------------------------------ */
/* direct compaction and the daemon                                    */
/* ------------------------------------------------------------------ */

/*
 * The slow-path hook: compact the zonelist's zones for an order > 0
 * allocation (Linux's try_to_compact_pages). The result is the "best" of
 * the zones (enum order): if no zone was even tried (all skipped for lack
 * of memory) nothing is counted and the slow path moves on. Otherwise this
 * was a compaction stall (compact_stall, counted also when every zone was
 * deferred) and the allocation is retried at once; compaction_slowpath_done()
 * then counts compact_success or compact_fail by its outcome. Returns 1
 * when a zone reports a suitable block (progress: the slow path may loop),
 * -1 when compaction ran or was deferred without that (retry once, no
 * progress), 0 when nothing was tried.
 */
static int compaction_slowpath(gfp_t gfp, unsigned int order, void *priv)
{
	enum compact_result rc = COMPACT_SKIPPED;

	(void)priv;
	if (order == 0)
		return 0;
	for (int zi = gfp_zone(gfp); zi >= 0; zi--) {
		struct zone *zone = &zones[zi];
		enum compact_result r;

		if (!populated_zone(zone) || !zone->managed_pages)
			continue;
		if (compaction_deferred(zone, (int)order)) {
			rc = MAX(rc, COMPACT_DEFERRED);
			continue;
		}
		r = compact_zone_order(zone, (int)order, gfp, MIGRATE_SYNC_LIGHT, NULL);
		rc = MAX(rc, r);
		if (r == COMPACT_SUCCESS) {
			/* likely to work here; confirmed by compaction_slowpath_done() */
			compaction_defer_reset(zone, (int)order, false);
			break;
		}
		if (r == COMPACT_COMPLETE || r == COMPACT_PARTIAL_SKIPPED)
			defer_compaction(zone, (int)order);
	}
	if (rc <= COMPACT_SKIPPED) {
		wakeup_kcompactd((int)order);
		return 0;
	}
	count_vm_event(COMPACTSTALL);
	return rc == COMPACT_SUCCESS ? 1 : -1;
}

/* After the post-compaction allocation attempt: success (and undefer) or failure. */
static void compaction_slowpath_done(gfp_t gfp, unsigned int order, struct page *page,
				     void *priv)
{
	(void)gfp;
	(void)priv;
	if (page) {
		compaction_defer_reset(page_zone(page), (int)order, true);
		count_vm_event(COMPACTSUCCESS);
		return;
	}
	count_vm_event(COMPACTFAIL);
	wakeup_kcompactd((int)order);
}

void wakeup_kcompactd(int order)
{
	int cur = __atomic_load_n(&kcompactd_max_order, __ATOMIC_RELAXED);

	/* any CPU may wake it while a pass runs elsewhere: raise atomically */
	while (order > cur && !__atomic_compare_exchange_n(&kcompactd_max_order, &cur, order, false,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	__atomic_fetch_add(&kcompactd_wakeups, 1, __ATOMIC_RELAXED);
	if (compaction_wakeup_hook)
		compaction_wakeup_hook(order);
}

unsigned long kcompactd_do_work(void)
{
	struct compact_stats st;
	/* take the request and clear it in one step: a wakeup meanwhile is not lost */
	int order = __atomic_exchange_n(&kcompactd_max_order, 0, __ATOMIC_RELAXED);
	struct zone *zone;

	memset(&st, 0, sizeof(st));
	__atomic_fetch_add(&kcompactd_runs, 1, __ATOMIC_RELAXED);
	if (order > 0) {
		for_each_populated_zone(zone) {
			if (compaction_deferred(zone, order))
				continue;
			if (compact_zone_order(zone, order, __GFP_MOVABLE, MIGRATE_SYNC_LIGHT,
					       &st) == COMPACT_SUCCESS)
				compaction_defer_reset(zone, order, false);
		}
	}
	if (should_proactive_compact())
		proactive_compact(&st);
	return st.moved;
}

void compaction_init(void)
{
	struct zone *zone;

	memset(blockskip_flush, 0, sizeof(blockskip_flush));
	kcompactd_max_order = 0;
	kcompactd_wakeups = kcompactd_runs = 0;
	compact_step_hook = NULL;
	for_each_zone(zone) {
		zone->compact_cached_migrate_pfn = zone->zone_start_pfn;
		zone->compact_cached_free_pfn = 0;
		zone->compact_considered = 0;
		zone->compact_defer_shift = 0;
		zone->compact_order_failed = MAX_ORDER + 1;
	}
	if (compaction_hook.fn)
		unregister_alloc_slowpath_hook(&compaction_hook);
	memset(&compaction_hook, 0, sizeof(compaction_hook));
	compaction_hook.name = "compaction";
	compaction_hook.stage = SLOWPATH_COMPACT;
	compaction_hook.fn = compaction_slowpath;
	compaction_hook.done = compaction_slowpath_done;
	INIT_LIST_HEAD(&compaction_hook.list);
	register_alloc_slowpath_hook(&compaction_hook);
}
