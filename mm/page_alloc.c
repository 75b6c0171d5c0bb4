/*
 * page_alloc.c - the buddy allocator: zones, migratetypes, per-CPU lists,
 * the slow path, and the checks on every page that comes and goes.
 *
 * Data structures (see <mm/mmzone.h>):
 *   zone->free_area[order].free_list[mt]  free blocks; the head page of a
 *       block is PageBuddy, page->private = order, page->migratetype = mt
 *       (the list it is on), and mt is always its pageblock's migratetype.
 *   zone->pcp[cpu].lists[mt]               order-0 pages cached per CPU;
 *       not PageBuddy, not in zone->free_pages.
 *   pageblock_flags[]                       one migratetype per pageblock.
 *
 * Allocation: alloc_pages() walks the zonelist (gfp_zone(gfp) downwards),
 * checks the zone's watermark, takes order-0 pages from the CPU's list
 * (refilled in batches from the buddy) and larger blocks from the buddy
 * under zone->lock: __rmqueue_smallest() for the wanted migratetype, else
 * __rmqueue_fallback() which, like Linux, first tries to *claim* a whole
 * pageblock of another type (when the block found is large, or enough of
 * the pageblock is free or of a compatible kind), and otherwise steals the
 * smallest suitable block without relabelling anything. When the fast
 * path fails, the slow path lowers the watermark, drains the per-CPU
 * lists, runs the registered hooks (compaction, reclaim sources, balloon
 * deflate) and retries, then reports the failure.
 *
 * Free: __free_pages() drops the reference; the last one checks the page
 * (bad_page() on anything odd), poisons it if asked, and puts order-0
 * pages on the CPU's list (spilling a batch to the buddy above ->high),
 * or merges larger blocks with their buddies (pfn ^ (1 << order)) up to
 * MAX_ORDER. A block larger than a pageblock is freed pageblock by
 * pageblock, each with its own migratetype (one may have been isolated
 * while it was allocated). Merging past a pageblock joins two pageblocks:
 * of the same migratetype (two ISOLATE ones included) they merge as any
 * buddies do; of different types, only if neither is ISOLATE, and then
 * the buddy's pageblocks (entirely free) take the freeing block's
 * migratetype. Free pages of ISOLATE pageblocks are not counted in
 * zone->free_pages (watermarks ignore them).
 *
 * Locking: a CPU's per-CPU lists are its own, changed only with its
 * interrupts off (see "Per-CPU lists" below: no lock, no atomic on the
 * order-0 fast path); zone->lock is taken with interrupts off, inside
 * that section when a list refills or spills. drain_all_pages() asks
 * every online CPU to drain its own lists and waits, so it must not be
 * called from interrupt context or with zone->lock held; an allocation
 * that may wait (__GFP_DIRECT_RECLAIM) with interrupts off is reported and
 * served without waiting (slowpath_check_irqs()). The caller must
 * not migrate between CPUs during a call (Ballast has no kernel
 * preemption).
 *
 * The refcount: __free_pages() and put_page() drop it with an atomic
 * decrement, the one atomic read-modify-write left on the order-0 pair.
 * It stays because references are taken speculatively by CPUs that do
 * not own the page: compaction's and alloc_contig_range()'s migration
 * scanners call get_page_unless_zero() on any pfn they walk
 * (isolate_movable_page()), so an owner's "1 -> 0" and a scanner's
 * "1 -> 2" can meet on the same page; with a plain store the scanner's
 * reference would be lost and the page freed under it (or freed twice
 * when it puts it back). The pcp lists themselves need no atomics.
 */
#include "page_alloc_internal.h"
#include <mm/deferred_init.h>
#include <mm/fault_inject.h>
#include <mm/mm_show.h>
#include <mm/page_reporting.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <string.h>
#include <stdio.h>

struct zone zones[MAX_NR_ZONES];

const char * const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "Isolate" };

unsigned long min_free_kbytes;
unsigned int alloc_max_retries = 16;
unsigned long nr_bad_pages;
unsigned long nr_poison_errors;
unsigned long nr_reclaim_irqs_off;

static bool page_poisoning;
static unsigned long bad_pfns[16];
static int pcp_batch_override, pcp_high_override;

static DEFINE_SPINLOCK(hooks_lock);
static LIST_HEAD(slowpath_hooks);

/* ------------------------------------------------------------------ */
/* pageblocks                                                          */
/* ------------------------------------------------------------------ */

void set_pageblock_migratetype(struct page *page, int mt)
{
	uint8_t *b = pfn_pageblock_byte(page_to_pfn(page));
	uint8_t v = __atomic_load_n(b, __ATOMIC_RELAXED), nv;

	VM_BUG_ON(mt < 0 || mt >= MIGRATE_TYPES);
	/* compare-and-swap: the skip bit is set and cleared without zone->lock */
	do {
		int old = v & PB_MIGRATETYPE_MASK;

		nv = v;
		/* entering isolation: remember what to give back (seed 003,
		 * docs/references.md) */
		if (is_migrate_isolate(mt) && !is_migrate_isolate(old))
			nv = (uint8_t)((nv & ~PB_SAVED_MT_MASK) | (old << PB_SAVED_MT_SHIFT));
		nv = (uint8_t)((nv & ~PB_MIGRATETYPE_MASK) | mt);
	} while (!__atomic_compare_exchange_n(b, &v, nv, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

void set_pageblock_skip(struct page *page)
{
	uint8_t *b = pfn_pageblock_byte(page_to_pfn(page));

	__atomic_fetch_or(b, PB_MIGRATE_SKIP, __ATOMIC_RELAXED);
}

void clear_pageblock_skip(struct page *page)
{
	uint8_t *b = pfn_pageblock_byte(page_to_pfn(page));

	__atomic_fetch_and(b, (uint8_t)~PB_MIGRATE_SKIP, __ATOMIC_RELAXED);
}

void change_pageblock_range(unsigned long pfn, unsigned int order, int mt)
{
	unsigned long n = order >= pageblock_order ? 1UL << (order - pageblock_order) : 1;

	for (unsigned long i = 0; i < n; i++)
		set_pageblock_migratetype(pfn_to_page(pfn + i * pageblock_nr_pages), mt);
}

struct page *pageblock_pfn_to_page(unsigned long start_pfn, unsigned long end_pfn,
				   struct zone *zone)
{
	if (end_pfn <= start_pfn)
		return NULL;
	/* zone_has_pfn(): a memmap, online, and this zone's (spans interleave) */
	if (!zone_has_pfn(zone, start_pfn) || !zone_has_pfn(zone, end_pfn - 1))
		return NULL;
	return pfn_to_page(start_pfn);
}

/* ------------------------------------------------------------------ */
/* buddy core (zone->lock held)                                        */
/* ------------------------------------------------------------------ */

/*
 * Free the block @page (= pfn) of @order into @zone with migratetype @mt,
 * merging with free buddies. @mt must be the pageblock's migratetype.
 */
static void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone,
			    unsigned int order, int mt)
{
	/*
	 * Free page reporting: only the reporting pass hands back PageReported
	 * blocks. The merged block stays reported only if every part was
	 * (del_from_free_list() clears the buddies' flag); reported blocks go
	 * to the tail so allocations prefer memory the host still backs.
	 */
	bool reported = PageReported(page);

	__ClearPageReported(page);
	while (order < MAX_ORDER) {
		unsigned long buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy = pfn_to_page(buddy_pfn);

		/* a buddy of order < MAX_ORDER is in the same 4 MiB block: valid, same zone */
		if (!PageBuddy(buddy) || buddy_order(buddy) != order)
			break;
		reported = reported && PageReported(buddy);
		if (order >= pageblock_order) {
			int bmt = get_pfnblock_migratetype(buddy_pfn);

			if (bmt != mt) {
				if (is_migrate_isolate(mt) || is_migrate_isolate(bmt))
					break;
				/* the buddy's pageblocks are entirely free: relabel them */
				del_from_free_list(buddy, zone, order);
				change_pageblock_range(buddy_pfn, order, mt);
				goto merged;
			}
		}
		del_from_free_list(buddy, zone, order);
merged:
		pfn &= buddy_pfn;
		order++;
	}
	add_to_free_list(pfn_to_page(pfn), zone, order, mt, reported);
	if (reported)
		__SetPageReported(pfn_to_page(pfn));
	else
		page_reporting_notify_free(order);
}

/*
 * Free the block [pfn, pfn + 2^order) into @zone (zone->lock held), each
 * pageblock with its own migratetype. A block larger than a pageblock may
 * span pageblocks of different types (one was isolated while the block
 * was allocated), so it is freed one pageblock at a time; the pieces merge
 * again in __free_one_page() wherever their types allow (Linux's
 * split_large_buddy()).
 */
static void free_one_page_split(struct zone *zone, unsigned long pfn, unsigned int order)
{
	unsigned long n = 1UL << order, step = MIN(n, pageblock_nr_pages);
	unsigned int o = MIN(order, (unsigned int)pageblock_order);
	/* a reported block (page reporting hands it back) stays reported piece by piece */
	bool reported = PageReported(pfn_to_page(pfn));

	for (unsigned long i = 0; i < n; i += step) {
		if (reported)
			__SetPageReported(pfn_to_page(pfn + i));
		__free_one_page(pfn_to_page(pfn + i), pfn + i, zone, o,
				get_pfnblock_migratetype(pfn + i));
	}
}

/*
 * Split the block @page of order @high down to @low, freeing the upper
 * halves as @mt. @reported: the block was reported (free page reporting);
 * its untouched halves of the reporting order and up stay reported.
 */
static void expand(struct zone *zone, struct page *page, unsigned int low,
		   unsigned int high, int mt, bool reported)
{
	while (high > low) {
		struct page *half;

		high--;
		half = page + (1UL << high);
		add_to_free_list(half, zone, high, mt, false);
		if (reported && high >= page_reporting_order())
			__SetPageReported(half);
	}
}

/* Take the smallest block of at least @order from @mt's lists; NULL if none. */
static struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int mt)
{
	bool reported;

	for (unsigned int o = order; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];
		struct page *page;

		if (list_empty(&area->free_list[mt]))
			continue;
		page = list_first_entry(&area->free_list[mt], struct page, lru);
		reported = PageReported(page);
		del_from_free_list(page, zone, o);
		expand(zone, page, order, o, mt, reported);
		return page;
	}
	return NULL;
}

/* Where an allocation of each migratetype looks when its own lists are empty. */
static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

/*
 * May an allocation of @start_mt that found a fallback block of @order
 * claim the whole pageblock? Large blocks always; unmovable and
 * reclaimable allocations always try (they pollute blocks otherwise);
 * movable ones only from half a pageblock up.
 */
static bool can_steal_fallback(unsigned int order, int start_mt)
{
	if (order >= pageblock_order)
		return true;
	return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

/*
 * First fallback migratetype of @mt with a free block in @area; with
 * @only_stealable, only one whose block could be claimed. -1 if none.
 */
int find_suitable_fallback(struct free_area *area, unsigned int order, int mt,
			   bool only_stealable, bool *can_steal)
{
	*can_steal = false;
	if (area->nr_free == 0)
		return -1;
	for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		int fmt = fallbacks[mt][i];

		if (list_empty(&area->free_list[fmt]))
			continue;
		if (can_steal_fallback(order, mt))
			*can_steal = true;
		if (!only_stealable || *can_steal)
			return fmt;
	}
	return -1;
}

/*
 * Try to make the pageblock(s) of the free block @page (order @cur, on
 * @block_mt's list) belong to @start_mt, then allocate @order from it.
 * Returns the allocated page or NULL if the block was not claimed.
 */
static struct page *try_to_claim_block(struct zone *zone, struct page *page,
				       unsigned int cur, unsigned int order,
				       int start_mt, int block_mt)
{
	unsigned long pfn, start, end, free = 0, movable = 0, alike;

	if (cur >= pageblock_order) {
		bool reported = PageReported(page);

		del_from_free_list(page, zone, cur);
		change_pageblock_range(page_to_pfn(page), cur, start_mt);
		expand(zone, page, order, cur, start_mt, reported);
		count_vm_event(PGALLOC_STEAL_BLOCK);
		return page;
	}
	start = pageblock_start_pfn(page_to_pfn(page));
	end = start + pageblock_nr_pages;
	if (!pageblock_pfn_to_page(start, end, zone))
		return NULL;
	for (pfn = start; pfn < end; ) {
		struct page *p = pfn_to_page(pfn);

		if (PageBuddy(p)) {
			free += 1UL << buddy_order(p);
			pfn += 1UL << buddy_order(p);
		} else if (page_ref_count(p) > 0) {
			/* an estimate: another CPU may be allocating p right now */
			unsigned long n = 1UL << MIN(READ_ONCE(p->alloc_order), pageblock_order);

			if (READ_ONCE(p->migratetype) == MIGRATE_MOVABLE || __PageMovable(p))
				movable += MIN(n, end - pfn);
			pfn += n;
		} else {
			pfn++;
		}
	}
	if (start_mt == MIGRATE_MOVABLE)
		alike = movable;
	else if (block_mt == MIGRATE_MOVABLE)
		alike = pageblock_nr_pages - MIN(pageblock_nr_pages, free + movable);
	else
		alike = 0;
	if (free + alike < pageblock_nr_pages / 2)
		return NULL;
	move_freepages_block(zone, page, start_mt);
	count_vm_event(PGALLOC_STEAL_BLOCK);
	return __rmqueue_smallest(zone, order, start_mt);
}

/* Allocate @order for @start_mt from another migratetype's lists; NULL if all empty. */
static struct page *__rmqueue_fallback(struct zone *zone, unsigned int order, int start_mt)
{
	bool can_steal, reported;
	int fmt;

	/* claim: the largest stealable block first */
	for (int o = MAX_ORDER; o >= (int)order; o--) {
		struct free_area *area = &zone->free_area[o];
		struct page *page;

		fmt = find_suitable_fallback(area, o, start_mt, true, &can_steal);
		if (fmt < 0)
			continue;
		page = list_first_entry(&area->free_list[fmt], struct page, lru);
		page = try_to_claim_block(zone, page, o, order, start_mt, fmt);
		if (page) {
			count_vm_event(PGALLOC_FALLBACK);
			return page;
		}
	}
	/* steal: the smallest block, leaving every pageblock's type alone */
	for (unsigned int o = order; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];
		struct page *page;

		fmt = find_suitable_fallback(area, o, start_mt, false, &can_steal);
		if (fmt < 0)
			continue;
		page = list_first_entry(&area->free_list[fmt], struct page, lru);
		reported = PageReported(page);
		del_from_free_list(page, zone, o);
		expand(zone, page, order, o, fmt, reported);
		count_vm_event(PGALLOC_FALLBACK);
		return page;
	}
	return NULL;
}

/* Take a block of @order for @mt from @zone, with fallback (zone->lock held). */
static struct page *__rmqueue(struct zone *zone, unsigned int order, int mt)
{
	struct page *page = __rmqueue_smallest(zone, order, mt);

	if (unlikely(!page))
		page = __rmqueue_fallback(zone, order, mt);
	return page;
}

long move_freepages_block(struct zone *zone, struct page *page, int mt)
{
	unsigned long start = pageblock_start_pfn(page_to_pfn(page));
	unsigned long end = start + pageblock_nr_pages;
	unsigned long hpfn = start & ~(MAX_ORDER_NR_PAGES - 1);
	struct page *head;
	long moved = 0;

	if (!pageblock_pfn_to_page(start, end, zone))
		return -1;
	/* a free MAX_ORDER block spanning this pageblock: split it in two pageblocks */
	head = pfn_to_page(hpfn);
	if (PageBuddy(head) && buddy_order(head) > pageblock_order) {
		int old = head->migratetype;
		unsigned int o = buddy_order(head);
		bool reported = PageReported(head);

		del_from_free_list(head, zone, o);
		expand(zone, head, pageblock_order, o, old, reported);
		add_to_free_list(head, zone, pageblock_order, old, false);
		if (reported)
			__SetPageReported(head);
	}
	for (unsigned long pfn = start; pfn < end; ) {
		struct page *p = pfn_to_page(pfn);

		if (PageBuddy(p)) {
			unsigned int o = buddy_order(p);

			move_to_free_list(p, zone, o, mt);
			moved += 1L << o;
			pfn += 1UL << o;
		} else {
			pfn++;
		}
	}
	set_pageblock_migratetype(pfn_to_page(start), mt);
	/* a wholly free pageblock may merge with its buddy pageblock again */
	head = pfn_to_page(start);
	if (PageBuddy(head) && buddy_order(head) == pageblock_order) {
		bool reported = PageReported(head);

		del_from_free_list(head, zone, pageblock_order);
		if (reported)
			__SetPageReported(head);	/* __free_one_page() decides after merging */
		__free_one_page(head, start, zone, pageblock_order, mt);
	}
	return moved;
}

unsigned long __isolate_free_page(struct page *page, unsigned int order)
{
	struct zone *zone = page_zone(page);
	int mt = page->migratetype;

	VM_BUG_ON_PAGE(!PageBuddy(page) || buddy_order(page) != order, page);
	if (!is_migrate_isolate(mt) &&
	    !zone_watermark_ok(zone, 0, min_wmark_pages(zone) + (1UL << order), 0))
		return 0;
	del_from_free_list(page, zone, order);
	WRITE_ONCE(page->alloc_order, (uint8_t)order);
	/* whole pageblocks taken for a migration target become MOVABLE */
	if (order >= pageblock_order && !is_migrate_isolate(mt))
		change_pageblock_range(page_to_pfn(page), order, MIGRATE_MOVABLE);
	return 1UL << order;
}

void __putback_isolated_page(struct page *page, unsigned int order, int mt)
{
	unsigned long pfn = page_to_pfn(page);

	VM_WARN_ON(mt != get_pfnblock_migratetype(pfn));
	free_one_page_split(page_zone(page), pfn, order);
}

/* ------------------------------------------------------------------ */
/* watermarks                                                          */
/* ------------------------------------------------------------------ */

/* Integer square root (floor). */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0, bit = 1UL << (sizeof(long) * 8 - 2);

	while (bit > x)
		bit >>= 2;
	while (bit) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

unsigned long totalram_pages(void)
{
	unsigned long n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += zones[z].managed_pages;
	return n;
}

void setup_per_zone_wmarks(void)
{
	unsigned long total = totalram_pages(), min_pages;

	if (!min_free_kbytes) {
		min_free_kbytes = int_sqrt(total * (PAGE_SIZE / 1024) * 16);
		min_free_kbytes = MAX(128UL, MIN(262144UL, min_free_kbytes));
	}
	min_pages = min_free_kbytes / (PAGE_SIZE / 1024);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];
		unsigned long min = total ? min_pages * zone->managed_pages / total : 0;
		unsigned long step = MAX(min / 4, zone->managed_pages * 10 / 10000);

		zone->_watermark[WMARK_MIN] = min;
		zone->_watermark[WMARK_LOW] = min + step;
		zone->_watermark[WMARK_HIGH] = min + 2 * step;
	}
}

/* The full watermark test for @free_pages free pages. */
static bool __zone_watermark_ok(struct zone *zone, unsigned int order, unsigned long mark,
				unsigned int alloc_flags, long free_pages)
{
	long min = (long)mark;

	free_pages -= (1L << order) - 1;
	if (alloc_flags & ALLOC_HIGH)
		min -= min / 2;
	if (alloc_flags & ALLOC_HARDER)
		min -= min / 4;
	if (free_pages <= min)
		return false;
	if (!order)
		return true;
	for (unsigned int o = order; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];

		if (!READ_ONCE(area->nr_free))
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (!list_empty(&area->free_list[mt]))
				return true;
	}
	return false;
}

bool zone_watermark_ok(struct zone *zone, unsigned int order, unsigned long mark,
		       unsigned int alloc_flags)
{
	return __zone_watermark_ok(zone, order, mark, alloc_flags,
				   (long)zone_page_free(zone));
}

/* ------------------------------------------------------------------ */
/* checks and poisoning                                                */
/* ------------------------------------------------------------------ */

unsigned long bad_page_pfn(unsigned int i)
{
	return i < ARRAY_SIZE(bad_pfns) ? bad_pfns[i] : 0;
}

/* Report @page; if @leak, mark it HWPoison so it never circulates again. */
static void report_bad_page(struct page *page, const char *reason, bool leak)
{
	unsigned long n = __atomic_fetch_add(&nr_bad_pages, 1, __ATOMIC_RELAXED);

	bad_pfns[n % ARRAY_SIZE(bad_pfns)] = page_to_pfn(page);
	pr_err("BUG: Bad page state: pfn:%#lx (%s)\n", page_to_pfn(page), reason);
	dump_page(page, reason);
	if (leak) {
		SetPageHWPoison(page);
		/*
		 * Never looks free or owned: drop every type but Offline (a
		 * Slab or LargeKmalloc type would let a later kfree() of the
		 * leaked page count it again). PageOffline stays: the page is
		 * logically offline until its owner says otherwise (seed 000),
		 * and kpageflags and dump tools go by it.
		 */
		if (page->page_type != PGTY_OFFLINE)
			page->page_type = PGTY_NONE;
		pr_err("page %#lx taken out of circulation\n", page_to_pfn(page));
	}
}

void bad_page(struct page *page, const char *reason)
{
	report_bad_page(page, reason, true);
}

#define PAGE_FLAGS_CHECK_AT_FREE \
	((1UL << PG_locked) | (1UL << PG_reserved) | (1UL << PG_private) | (1UL << PG_hwpoison))

/* Why @page cannot be freed (refcount already dropped to 0), or NULL if fine. */
static const char *page_bad_reason_free(const struct page *page)
{
	if (page->page_type == PGTY_BUDDY)
		return "freeing a page already in the buddy (double free)";
	if (page->page_type != PGTY_NONE)
		return "freeing a page that still has a page type";
	if (page_ref_count(page) != 0)
		return "nonzero _refcount";
	if (page->mapping)
		return "non-NULL mapping";
	if (READ_ONCE(page->flags) & PAGE_FLAGS_CHECK_AT_FREE)
		return "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	return NULL;
}

/* Why the just-removed free page @page cannot be handed out, or NULL. */
static const char *page_bad_reason_alloc(const struct page *page)
{
	if (page->page_type != PGTY_NONE)
		return "free page has a page type";
	if (page_ref_count(page) != 0)
		return "free page has nonzero _refcount";
	if (page->mapping)
		return "free page has non-NULL mapping";
	/* a speculative isolator may try the lock bit of any page (seed 004) */
	if (READ_ONCE(page->flags))
		return "free page has flags set";
	return NULL;
}

/* Check the tail pages of a 2^@order block; report the first bad one. */
static bool tails_ok(struct page *page, unsigned int order, bool on_free)
{
#ifdef CONFIG_DEBUG_VM
	for (unsigned long i = 1; i < (1UL << order); i++) {
		const char *r = on_free ? page_bad_reason_free(page + i)
					: page_bad_reason_alloc(page + i);

		if (unlikely(r)) {
			report_bad_page(page + i, r, true);
			return false;
		}
	}
#endif
	return true;
}

void page_poison_enable(bool on)
{
	if (!on || page_poisoning) {
		page_poisoning = on;
		return;
	}
	page_poisoning = true;
	if (!mm_initialized)
		return;
	/* poison what is free now, so that verification on allocation holds */
	drain_all_pages(NULL);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];
		unsigned long flags;

		spin_lock_irqsave(&zone->lock, flags);
		for (int o = 0; o <= MAX_ORDER; o++)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				struct page *page;

				list_for_each_entry(page, &zone->free_area[o].free_list[mt], lru)
					poison_pages(page, o);
			}
		spin_unlock_irqrestore(&zone->lock, flags);
	}
}

bool page_poisoning_enabled(void)
{
	return page_poisoning;
}

void poison_pages(struct page *page, unsigned int order)
{
	for (unsigned long i = 0; i < (1UL << order); i++)
		memset(page_address(page + i), PAGE_POISON, PAGE_SIZE);
}

/* Verify the poison of 2^@order pages; report (but keep) corrupted ones. */
static void check_poison(struct page *page, unsigned int order)
{
	const uint64_t pat = 0x0101010101010101ULL * PAGE_POISON;

	for (unsigned long i = 0; i < (1UL << order); i++) {
		const uint64_t *w = page_address(page + i);

		for (unsigned int j = 0; j < PAGE_SIZE / 8; j++) {
			if (likely(w[j] == pat))
				continue;
			nr_poison_errors++;
			count_vm_event(PAGE_POISON_ERRORS);
			pr_err("pagealloc: memory corruption (write after free?) at pfn %#lx offset %#x: %016llx, expected %016llx\n",
			       page_to_pfn(page + i), j * 8, (unsigned long long)w[j],
			       (unsigned long long)pat);
			dump_page(page + i, "poison check failed");
			break;
		}
	}
}

/* post_alloc_hook(), inlined into the allocation path. */
static inline __attribute__((always_inline)) void __post_alloc_hook(struct page *page, unsigned int order, gfp_t gfp)
{
	set_page_private(page, 0);	/* compaction reads it locklessly */
	WRITE_ONCE(page->alloc_order, (uint8_t)order);	/* read by try_to_claim_block() */
	WRITE_ONCE(page->migratetype, (uint8_t)gfp_migratetype(gfp));
	set_page_count(page, 1);
	if (unlikely(page_poisoning))
		check_poison(page, order);
	if (gfp & __GFP_ZERO)
		for (unsigned long i = 0; i < (1UL << order); i++)
			arch_zero_page(page_address(page + i));
}

void post_alloc_hook(struct page *page, unsigned int order, gfp_t gfp)
{
	__post_alloc_hook(page, order, gfp);
}

/* Check and prepare a block just taken from the free lists; false if it was bad. */
static inline bool prep_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
	/* the usual case in one test (marked reads: scanners look locklessly);
	 * the reasons only when it fails */
	if (unlikely(READ_ONCE(page->page_type) != PGTY_NONE || page_ref_count(page) ||
		     READ_ONCE(page->mapping) || READ_ONCE(page->flags))) {
		report_bad_page(page, page_bad_reason_alloc(page), true);
		return false;
	}
	if (order && !tails_ok(page, order, false))
		return false;
	__post_alloc_hook(page, order, gfp);
	return true;
}

/* Report a block freed with another order than it was allocated with. */
static __attribute__((noinline, cold)) void report_free_order(struct page *page, unsigned int order)
{
	char why[96];

	snprintf(why, sizeof(why), "freed with order %u, allocated with order %u",
		 order, page->alloc_order);
	report_bad_page(page, why, true);
}

/*
 * Check a block whose last reference is gone and clear its transient
 * state; false (block reported and leaked) if it must not be freed.
 * Inlined into the free path; the reports are out of line.
 */
static inline __attribute__((always_inline)) bool free_pages_prepare(struct page *page,
								     unsigned int order)
{
	if (unlikely(order != page->alloc_order)) {
		report_free_order(page, order);
		return false;
	}
	/* seed 004: a released movable page keeps only the MOVABLE bit; clear it */
	if ((uintptr_t)page->mapping == PAGE_MAPPING_MOVABLE)
		WRITE_ONCE(page->mapping, NULL);	/* isolators test it locklessly */
	/* one cheap test on the fast path (marked reads: scanners look locklessly) */
	if (unlikely(READ_ONCE(page->page_type) != PGTY_NONE || page_ref_count(page) ||
		     READ_ONCE(page->mapping) || (READ_ONCE(page->flags) & PAGE_FLAGS_CHECK_AT_FREE))) {
		report_bad_page(page, page_bad_reason_free(page), true);
		return false;
	}
	if (order && !tails_ok(page, order, true))
		return false;
	WRITE_ONCE(page->flags, 0);
	set_page_private(page, 0);
	if (unlikely(page_poisoning))
		poison_pages(page, order);
	return true;
}

/* ------------------------------------------------------------------ */
/* per-CPU lists                                                       */
/* ------------------------------------------------------------------ */

/*
 * Per-CPU lists. Ownership, not locks: zone->pcp[cpu] is read and written
 * only by CPU cpu, with its interrupts off (local_irq_save(); on the host,
 * a per-thread flag), so an interrupt handler that allocates cannot find
 * the list half-changed and the fast path has no lock and no atomic
 * read-modify-write. Another CPU's list is drained by asking that CPU
 * (smp_call_function_single(): an IPI, run with its interrupts off, so it
 * never lands inside a list change); a CPU that is not online owns
 * nothing and its list is drained directly. The pageblock migratetype of
 * a freed page is read inside the interrupts-off section, so a drain
 * that follows the isolation of a pageblock either runs before the read
 * (and the page goes to the zone as ISOLATE) or after the page is listed
 * (and takes it out).
 *
 * Zone->lock is taken per block, not per page: a refill takes whole free
 * blocks (the smallest ones first, up to the size still wanted) under the
 * lock and splits them into order-0 pages after dropping it; a spill
 * sorts the pages it gives back by pfn, joins buddies among them outside
 * the lock (within a pageblock, so every migratetype rule still holds in
 * __free_one_page()), and frees the joined blocks under it. The lock is
 * held for O(blocks), and two CPUs that refill and spill at once wait on
 * each other that much less.
 */

/* Largest batch a list moves at once (the spill's stack array). */
#define PCP_BATCH_MAX	256

/* Default batch for @zone: a 1/1024 of it, between 1 and PCP_BATCH_MAX. */
static int zone_batchsize(const struct zone *zone)
{
	unsigned long b = zone->managed_pages / 1024;

	return (int)MAX(1UL, MIN((unsigned long)PCP_BATCH_MAX, b));
}

/* ->high for a list of @batch: four batches; never below one batch. */
static int pcp_high_for(int batch, int high_override)
{
	return MAX(high_override ? high_override : 4 * batch, batch);
}

void pcp_init_zone(struct zone *zone)
{
	int batch = pcp_batch_override ? pcp_batch_override : zone_batchsize(zone);

	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pages *pcp = &zone->pcp[cpu];

		pcp->count = 0;
		pcp->batch = batch;
		pcp->high = pcp_high_for(batch, pcp_high_override);
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			INIT_LIST_HEAD(&pcp->lists[mt]);
	}
}

void pcp_update_zone(struct zone *zone)
{
	int batch = pcp_batch_override ? pcp_batch_override : zone_batchsize(zone);

	/* each CPU reads its own limits with interrupts off; a racy update is harmless */
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		WRITE_ONCE(zone->pcp[cpu].batch, batch);
		WRITE_ONCE(zone->pcp[cpu].high, pcp_high_for(batch, pcp_high_override));
	}
}

/* floor(log2(@n)), @n > 0. */
static inline unsigned int ilog2_ul(unsigned long n)
{
	return (unsigned int)(63 - __builtin_clzl(n));
}

/* Take one free block of @mt for a refill wanting @n pages; its order in *@order. */
static struct page *__rmqueue_for_pcp(struct zone *zone, unsigned long n, int mt,
				      unsigned int *order)
{
	unsigned int want = MIN(ilog2_ul(n), (unsigned int)pageblock_order);
	struct page *page;

	/* the smallest block already free up to @want: no needless split */
	for (unsigned int o = 0; o <= want; o++) {
		struct list_head *l = &zone->free_area[o].free_list[mt];

		if (!list_empty(l)) {
			page = list_first_entry(l, struct page, lru);
			del_from_free_list(page, zone, o);
			*order = o;
			return page;
		}
	}
	page = __rmqueue(zone, want, mt);
	if (!page && want) {
		want = 0;
		page = __rmqueue(zone, 0, mt);
	}
	*order = want;
	return page;
}

/*
 * Move up to @count order-0 pages of @mt from the buddy onto @list (the
 * owner's, interrupts off); returns how many. Blocks are taken under
 * zone->lock and split once it is dropped (they are ours by then).
 */
static __attribute__((noinline)) int rmqueue_bulk(struct zone *zone, int count, int mt, struct list_head *list)
{
	LIST_HEAD(blocks);
	struct page *page, *next;
	int got = 0;

	spin_lock(&zone->lock);
	while (got < count) {
		unsigned int o;

		page = __rmqueue_for_pcp(zone, (unsigned long)(count - got), mt, &o);
		if (unlikely(!page))
			break;
		set_page_private(page, o);	/* scanners read it locklessly */
		list_add_tail(&page->lru, &blocks);
		got += 1 << o;
	}
	spin_unlock(&zone->lock);
	list_for_each_entry_safe(page, next, &blocks, lru) {
		unsigned long n = 1UL << page->private;

		set_page_private(page, 0);
		for (unsigned long i = 0; i < n; i++) {
			page[i].migratetype = (uint8_t)mt;
			list_add_tail(&page[i].lru, list);
		}
	}
	return got;
}

/* Sort @pfn[0..n) ascending (shell sort: no recursion, no allocation, n <= PCP_BATCH_MAX). */
static void sort_pfns(unsigned long *pfn, int n)
{
	static const int gaps[] = { 132, 57, 23, 10, 4, 1 };

	for (unsigned int g = 0; g < ARRAY_SIZE(gaps); g++) {
		int gap = gaps[g];

		for (int i = gap; i < n; i++) {
			unsigned long x = pfn[i];
			int j = i;

			for (; j >= gap && pfn[j - gap] > x; j -= gap)
				pfn[j] = pfn[j - gap];
			pfn[j] = x;
		}
	}
}

/*
 * Join buddies among the sorted order-0 pfns @pfn[0..n) into blocks of up
 * to pageblock_order (a stack: the newest block merges with the one below
 * while they are buddies). Returns the number of blocks, written back to
 * @pfn with their orders in @order.
 */
static int premerge_pfns(unsigned long *pfn, uint8_t *order, int n)
{
	int top = 0;

	for (int i = 0; i < n; i++) {
		pfn[top] = pfn[i];
		order[top] = 0;
		top++;
		while (top >= 2) {
			unsigned int o = order[top - 1];

			if (o >= pageblock_order || order[top - 2] != o ||
			    pfn[top - 2] + (1UL << o) != pfn[top - 1] ||
			    (pfn[top - 2] & ((1UL << (o + 1)) - 1)))
				break;
			order[top - 2] = (uint8_t)(o + 1);
			top--;
		}
	}
	return top;
}

/* Return @count pages of @pcp (the owner's, interrupts off) to the buddy, coldest first. */
static __attribute__((noinline)) void free_pcppages_bulk(struct zone *zone, struct per_cpu_pages *pcp, int count)
{
	unsigned long pfn[PCP_BATCH_MAX];
	uint8_t order[PCP_BATCH_MAX];
	int mt = 0;

	count = MIN(count, pcp->count);
	while (count > 0) {
		int n = 0, blocks;

		while (n < PCP_BATCH_MAX && n < count) {
			struct list_head *list = &pcp->lists[mt];
			struct page *page;

			mt = (mt + 1) % MIGRATE_PCPTYPES;
			if (list_empty(list))
				continue;
			page = list_last_entry(list, struct page, lru);
			list_del(&page->lru);
			pfn[n++] = page_to_pfn(page);
		}
		pcp->count -= n;
		count -= n;
		sort_pfns(pfn, n);
		blocks = premerge_pfns(pfn, order, n);
		spin_lock(&zone->lock);
		for (int i = 0; i < blocks; i++)
			__free_one_page(pfn_to_page(pfn[i]), pfn[i], zone, order[i],
					get_pfnblock_migratetype(pfn[i]));
		spin_unlock(&zone->lock);
	}
}

/*
 * The zone has no page of @mt left: this CPU's list of another type that
 * has one (the order of fallbacks[]), or NULL. Like the buddy's order-0
 * steal, it leaves pageblock types alone; without it the last pages of a
 * zone could sit on a list no allocation of this type looks at.
 */
static __attribute__((noinline)) struct list_head *pcp_fallback_list(struct per_cpu_pages *pcp, int mt)
{
	for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		struct list_head *l = &pcp->lists[fallbacks[mt][i]];

		if (!list_empty(l))
			return l;
	}
	return NULL;
}

/* Take the first page of @list, one of @pcp's (the owner's, interrupts off, not empty). */
static inline __attribute__((always_inline)) struct page *__pcp_pop(struct per_cpu_pages *pcp,
								   struct list_head *list)
{
	struct page *page = list_first_entry(list, struct page, lru);

	list_del(&page->lru);
	pcp->count--;
	pcp->alloc_events++;
	return page;
}

/* Order-0 page of @mt from this CPU's list for @zone; NULL to use the zone path. */
static inline struct page *rmqueue_pcplist(struct zone *zone, int mt, gfp_t gfp)
{
	unsigned long flags = local_irq_save();
	struct per_cpu_pages *pcp = &zone->pcp[arch_cpu_id()];
	struct list_head *list = &pcp->lists[mt];
	struct page *page;

	if (unlikely(list_empty(list))) {
		int n;

		if (unlikely(fail_page_alloc.mode != FAIL_OFF) &&
		    should_fail_alloc(FAIL_SITE_PCP_REFILL, gfp, 0)) {
			local_irq_restore(flags);
			return NULL;
		}
		/* never above ->high: count < high here (a free spills at high) */
		n = rmqueue_bulk(zone, MIN(pcp->batch, MAX(1, pcp->high - pcp->count)), mt, list);
		__count_vm_event(PCP_REFILL);
		pcp->count += n;
		if (unlikely(!n)) {
			list = pcp_fallback_list(pcp, mt);
			if (!list) {
				local_irq_restore(flags);
				return NULL;
			}
		}
	}
	page = __pcp_pop(pcp, list);
	local_irq_restore(flags);
	return page;
}

/* Free an order-0 page of an ISOLATE pageblock straight to the zone (interrupts off). */
static __attribute__((noinline)) void free_unref_page_isolated(struct zone *zone, struct page *page,
								unsigned long pfn)
{
	spin_lock(&zone->lock);
	__free_one_page(page, pfn, zone, 0, get_pfnblock_migratetype(pfn));
	zone->pgfree++;
	spin_unlock(&zone->lock);
}

/* Free an order-0 page (checked) to this CPU's list, or to the zone if isolated. */
static inline __attribute__((always_inline)) void free_unref_page(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);
	struct zone *zone = &zones[pfn_zonenum(pfn)];
	unsigned long flags = local_irq_save();
	int mt = get_pfnblock_migratetype(pfn);
	struct per_cpu_pages *pcp;

	if (likely(mt < MIGRATE_PCPTYPES)) {
		pcp = &zone->pcp[arch_cpu_id()];
		WRITE_ONCE(page->migratetype, (uint8_t)mt);
		list_add(&page->lru, &pcp->lists[mt]);
		pcp->free_events++;
		if (unlikely(++pcp->count >= pcp->high)) {
			__count_vm_event(PCP_SPILL);
			free_pcppages_bulk(zone, pcp, pcp->batch);
		}
		local_irq_restore(flags);
		return;
	}
	free_unref_page_isolated(zone, page, pfn);
	local_irq_restore(flags);
}

/* Empty @cpu's lists of @zone (NULL: every zone); the owner, or nobody's (offline). */
static void __drain_pcp(unsigned int cpu, struct zone *zone)
{
	unsigned long flags = local_irq_save();

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zn = &zones[z];
		struct per_cpu_pages *pcp = &zn->pcp[cpu];

		if ((zone && zone != zn) || !zn->managed_pages)
			continue;
		if (pcp->count)
			free_pcppages_bulk(zn, pcp, pcp->count);
	}
	local_irq_restore(flags);
}

/* smp_call_function_single() callback: drain the running CPU's lists. */
static void drain_local_pages_fn(void *zone)
{
	__drain_pcp(arch_cpu_id(), zone);
}

void drain_cpu_pages(unsigned int cpu, struct zone *zone)
{
	if (cpu >= NR_CPUS)
		return;
	/* the running CPU, or one that is online and so owns its lists; else nobody's */
	if (cpu == arch_cpu_id() || smp_call_function_single(cpu, drain_local_pages_fn,
							      zone, true) != 0)
		__drain_pcp(cpu, zone);
}

void drain_local_pages(struct zone *zone)
{
	__drain_pcp(arch_cpu_id(), zone);
}

/*
 * Every online CPU drains its own lists (on_each_cpu, waiting); the lists
 * of CPUs that are not online (the caller's too, if it is a host thread
 * that went offline) belong to nobody and are drained here.
 */
void drain_all_pages(struct zone *zone)
{
	count_vm_event(DRAIN_ALL_PAGES);
	on_each_cpu(drain_local_pages_fn, zone, true);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if (!cpu_online(cpu))
			__drain_pcp(cpu, zone);
}

unsigned long nr_pcp_pages(const struct zone *zone)
{
	unsigned long n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		if (zone && zone != &zones[z])
			continue;
		for (int cpu = 0; cpu < NR_CPUS; cpu++)
			n += (unsigned long)READ_ONCE(zones[z].pcp[cpu].count);
	}
	return n;
}

/* Set batch and high of @cpu's lists from the overrides or the zone sizes. */
static void pcp_update_limits(unsigned int cpu)
{
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];
		int b = pcp_batch_override ? pcp_batch_override : zone_batchsize(zone);

		b = MIN(b, PCP_BATCH_MAX);
		WRITE_ONCE(zone->pcp[cpu].batch, b);
		WRITE_ONCE(zone->pcp[cpu].high, pcp_high_for(b, pcp_high_override));
	}
}

static void pcp_update_limits_fn(void *unused)
{
	pcp_update_limits(arch_cpu_id());
}

void pcp_update_all_limits(void)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		pcp_update_limits(cpu);
}

void pcp_set_batch_high(int batch, int high)
{
	pcp_batch_override = batch > 0 ? batch : 0;
	pcp_high_override = high > 0 ? high : 0;
	drain_all_pages(NULL);
	on_each_cpu(pcp_update_limits_fn, NULL, true);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if (!cpu_online(cpu))
			pcp_update_limits(cpu);
}

void zone_pcp_update(void)
{
	pcp_set_batch_high(pcp_batch_override, pcp_high_override);
}

/* ------------------------------------------------------------------ */
/* allocation                                                          */
/* ------------------------------------------------------------------ */

/* A block of @order from @zone's buddy (not the pcp lists). */
static __attribute__((noinline)) struct page *rmqueue_buddy(struct zone *zone, unsigned int order, int mt, gfp_t gfp)
{
	struct page *page;
	unsigned long flags;

	if (unlikely(fail_page_alloc.mode != FAIL_OFF) &&
	    should_fail_alloc(FAIL_SITE_ZONE, gfp, order))
		return NULL;
	spin_lock_irqsave(&zone->lock, flags);
	page = __rmqueue(zone, order, mt);
	if (page)
		zone->pgalloc += 1UL << order;
	spin_unlock_irqrestore(&zone->lock, flags);
	return page;
}

/* Try each zone of the zonelist once with @alloc_flags' watermark. */
static struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
					   unsigned int alloc_flags)
{
	int mt = gfp_migratetype(gfp);

	for (int zi = gfp_zone(gfp); zi >= 0; zi--) {
		struct zone *zone = &zones[zi];
		struct page *page;

		if (!zone->managed_pages)
			continue;
		if (!(alloc_flags & ALLOC_NO_WATERMARKS)) {
			unsigned long mark = zone->_watermark[alloc_flags & ALLOC_WMARK_MASK];
			long free = (long)zone_page_free(zone);

			/* order-0 shortcut: plenty free, no per-order scan needed */
			if (!(order == 0 && free > (long)mark) &&
			    !__zone_watermark_ok(zone, order, mark, alloc_flags, free))
				continue;
		}
try_again:
		page = NULL;
		if (likely(order == 0))
			page = rmqueue_pcplist(zone, mt, gfp);
		if (!page)
			page = rmqueue_buddy(zone, order, mt, gfp);
		if (!page)
			continue;
		if (likely(prep_new_page(page, order, gfp)))
			return page;
		goto try_again;		/* bad page leaked; take another */
	}
	return NULL;
}

/* Allocation flags for the slow path. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned int f = ALLOC_WMARK_MIN;

	if (gfp & __GFP_HIGH)
		f |= ALLOC_HIGH;
	if (gfp & __GFP_ATOMIC)
		f |= ALLOC_HARDER;
	if (gfp & __GFP_MEMALLOC)
		f |= ALLOC_NO_WATERMARKS;
	return f;
}

/* Run the slow-path hooks once; true if any made progress. Sets *pagep on success. */
static bool run_slowpath_hooks(gfp_t gfp, unsigned int order, unsigned int alloc_flags,
			       struct page **pagep)
{
	struct alloc_slowpath_hook *snap[16];
	struct alloc_slowpath_hook *h;
	unsigned long flags;
	int n = 0;
	bool progress = false;

	spin_lock_irqsave(&hooks_lock, flags);
	list_for_each_entry(h, &slowpath_hooks, list)
		if (n < (int)ARRAY_SIZE(snap))
			snap[n++] = h;
	spin_unlock_irqrestore(&hooks_lock, flags);

	for (int i = 0; i < n; i++) {
		int r = snap[i]->fn(gfp, order, snap[i]->priv);

		snap[i]->calls++;
		if (r == 0)
			continue;
		if (r > 0) {
			snap[i]->progress++;
			progress = true;
		}
		*pagep = get_page_from_freelist(gfp, order, alloc_flags);
		if (snap[i]->done)
			snap[i]->done(gfp, order, *pagep, snap[i]->priv);
		if (*pagep)
			return true;
	}
	return progress;
}

/*
 * A caller that may wait (__GFP_DIRECT_RECLAIM) with interrupts off (a
 * spinlock held with irqsave, say): reported once and counted, and served
 * without waiting, because drain_all_pages() waits for every CPU to answer
 * an IPI, and a CPU spinning on the caller's lock with interrupts off
 * never will (a deadlock). Returns the gfp to use.
 */
static gfp_t slowpath_check_irqs(gfp_t gfp)
{
	if (!(gfp & __GFP_DIRECT_RECLAIM) || !irqs_disabled())
		return gfp;
	if (__atomic_fetch_add(&nr_reclaim_irqs_off, 1, __ATOMIC_RELAXED) == 0)
		printk("page_alloc: a waiting allocation (gfp %#x) with interrupts off: "
		       "served without draining or hooks; use GFP_ATOMIC there\n", gfp);
	return gfp & ~__GFP_DIRECT_RECLAIM;
}

/* The slow path: lower watermark, drain, hooks, retries, then the failure report. */
static struct page *__alloc_pages_slowpath(gfp_t gfp, unsigned int order)
{
	unsigned int alloc_flags = gfp_to_alloc_flags(gfp);
	struct page *page;
	unsigned int retries = 0;

	count_vm_event(PGALLOC_SLOWPATH);
	gfp = slowpath_check_irqs(gfp);
	/* memory whose memmap is not initialised yet (mm/deferred_init.c) comes first */
	while (deferred_grow_zone(gfp, order)) {
		page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW);
		if (page)
			return page;
	}
	page = get_page_from_freelist(gfp, order, alloc_flags);
	if (page)
		return page;
	/* cannot wait: no draining (drain_all_pages() waits for every other CPU), no hooks */
	if (!(gfp & __GFP_DIRECT_RECLAIM))
		goto nopage;
	for (;;) {
		bool progress;

		drain_all_pages(NULL);
		page = get_page_from_freelist(gfp, order, alloc_flags);
		if (page)
			return page;
		count_vm_event(ALLOCSTALL);
		progress = run_slowpath_hooks(gfp, order, alloc_flags, &page);
		if (page)
			return page;
		if ((gfp & __GFP_NORETRY) || !progress || ++retries >= alloc_max_retries)
			break;
	}
nopage:
	count_vm_event(PGALLOC_FAIL);
	count_vm_event((enum vm_stat_item)(PGALLOC_FAIL_ORDER_0 + order));
	if (!(gfp & __GFP_NOWARN))
		warn_alloc(gfp, order, "page allocation failure");
	return NULL;
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (unlikely(order > MAX_ORDER)) {
		if (!(gfp & __GFP_NOWARN))
			pr_warn("alloc_pages: order %u > MAX_ORDER %u refused\n", order, MAX_ORDER);
		return NULL;
	}
	if (unlikely(fail_page_alloc.mode != FAIL_OFF) &&
	    should_fail_alloc(FAIL_SITE_ALLOC_PAGES, gfp, order)) {
		count_vm_event(PGALLOC_FAIL);
		count_vm_event((enum vm_stat_item)(PGALLOC_FAIL_ORDER_0 + order));
		if (!(gfp & __GFP_NOWARN))
			warn_alloc(gfp, order, "page allocation failure (injected)");
		return NULL;
	}
	page = get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW);
	if (unlikely(!page))
		page = __alloc_pages_slowpath(gfp, order);
	mm_debug_check_op();
	return page;
}

/* ------------------------------------------------------------------ */
/* free                                                                */
/* ------------------------------------------------------------------ */

/* Free a checked block of @order > 0 to the buddy. */
static __attribute__((noinline)) void free_the_block(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);
	struct zone *zone = &zones[pfn_zonenum(pfn)];
	unsigned long flags;

	if (unlikely(!free_pages_prepare(page, order)))
		return;
	spin_lock_irqsave(&zone->lock, flags);
	free_one_page_split(zone, pfn, order);
	zone->pgfree += 1UL << order;
	spin_unlock_irqrestore(&zone->lock, flags);
	mm_debug_check_op();
}

/*
 * Free a block whose last reference is gone. Order 0 (the common case) is
 * inlined into the callers: checks, list add, no call on the way.
 */
static inline __attribute__((always_inline)) void free_the_page(struct page *page, unsigned int order)
{
	if (unlikely(order)) {
		free_the_block(page, order);
		return;
	}
	if (unlikely(!free_pages_prepare(page, 0)))
		return;
	free_unref_page(page);
	mm_debug_check_op();
}

void __free_pages(struct page *page, unsigned int order)
{
	if (unlikely(page_ref_count(page) <= 0)) {
		report_bad_page(page, page->page_type == PGTY_BUDDY ?
				"double free: page is already free in the buddy" :
				"freeing a page with refcount 0 (double free?)", false);
		return;
	}
	if (page_ref_dec_and_test(page))
		free_the_page(page, order);
}

void __free_frozen_pages(struct page *page, unsigned int order)
{
	free_the_page(page, order);
}

void put_page(struct page *page)
{
	if (unlikely(page_ref_count(page) <= 0)) {
		/* seed 001: a PageOffline page has no reference to drop, ever */
		report_bad_page(page, PageOffline(page) ?
				"put_page on a PageOffline page (refcount 0 always, seed 001)" :
				"put_page on a page with refcount 0", false);
		return;
	}
	if (!page_ref_dec_and_test(page))
		return;
	/*
	 * seed 003: the last reference of a PageOffline page never frees it.
	 * With seed 001 such a page has no reference of its own; this is a
	 * speculative one (a scanner's get_page_unless_zero() that won the
	 * race with page_offline_retire()) ending.
	 */
	if (PageOffline(page))
		return;
	free_the_page(page, page->alloc_order);
}

void split_page(struct page *page, unsigned int order)
{
	VM_BUG_ON_PAGE(page_ref_count(page) != 1, page);
	VM_BUG_ON_PAGE(page->alloc_order != order, page);
	for (unsigned long i = 0; i < (1UL << order); i++) {
		page[i].alloc_order = 0;
		page[i].migratetype = page->migratetype;
		set_page_count(page + i, 1);
	}
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (!addr)
		return;
	if (!virt_addr_valid((void *)addr)) {
		pr_err("free_pages: %#lx is not a page allocator address\n", addr);
		return;
	}
	__free_pages(virt_to_page((void *)addr), order);
}

/* ------------------------------------------------------------------ */
/* hooks, counts, reset                                                */
/* ------------------------------------------------------------------ */

void register_alloc_slowpath_hook(struct alloc_slowpath_hook *hook)
{
	struct alloc_slowpath_hook *h;
	unsigned long flags;

	spin_lock_irqsave(&hooks_lock, flags);
	list_for_each_entry(h, &slowpath_hooks, list)
		if (h->stage > hook->stage)
			break;
	list_add_tail(&hook->list, &h->list);	/* before the first later stage */
	spin_unlock_irqrestore(&hooks_lock, flags);
}

void unregister_alloc_slowpath_hook(struct alloc_slowpath_hook *hook)
{
	unsigned long flags;

	spin_lock_irqsave(&hooks_lock, flags);
	list_del_init(&hook->list);
	spin_unlock_irqrestore(&hooks_lock, flags);
}

unsigned long nr_free_pages(void)
{
	unsigned long n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += zone_page_free(&zones[z]);
	return n;
}

unsigned long zone_free_pages_from_order(struct zone *zone, unsigned int order)
{
	unsigned long n = 0;

	for (unsigned int o = order; o <= MAX_ORDER; o++)
		n += READ_ONCE(zone->free_area[o].nr_free) << o;
	return n;
}

unsigned long nr_free_pages_from_order(unsigned int order)
{
	unsigned long n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += zone_free_pages_from_order(&zones[z], order);
	return n;
}

unsigned long nr_free_pages_total(void)
{
	return nr_free_pages() + nr_pcp_pages(NULL);
}

unsigned long totalreserve_pages(void)
{
	unsigned long n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += MIN(high_wmark_pages(&zones[z]), zones[z].managed_pages);
	return n;
}

unsigned long si_mem_available(void)
{
	long available = (long)nr_free_pages() - (long)totalreserve_pages();

	/* no page cache, no reclaimable slab: the per-CPU lists are the "cache" */
	available += (long)nr_pcp_pages(NULL);
	return available > 0 ? (unsigned long)available : 0;
}

char *gfp_format(gfp_t gfp, char *buf, size_t len)
{
	static const struct { gfp_t bit; const char *name; } names[] = {
		{ __GFP_DMA, "__GFP_DMA" }, { __GFP_DMA32, "__GFP_DMA32" },
		{ __GFP_MOVABLE, "__GFP_MOVABLE" }, { __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
		{ __GFP_HIGH, "__GFP_HIGH" }, { __GFP_ATOMIC, "__GFP_ATOMIC" },
		{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" }, { __GFP_ZERO, "__GFP_ZERO" },
		{ __GFP_NOWARN, "__GFP_NOWARN" }, { __GFP_NORETRY, "__GFP_NORETRY" },
		{ __GFP_MEMALLOC, "__GFP_MEMALLOC" },
	};
	size_t n = 0;
	gfp_t rest = gfp;

	buf[0] = 0;
	if ((rest & GFP_ATOMIC) == GFP_ATOMIC) {
		n += snprintf(buf + n, len - n, "GFP_ATOMIC");
		rest &= ~GFP_ATOMIC;
	} else if ((rest & GFP_HIGHUSER_MOVABLE) == GFP_HIGHUSER_MOVABLE) {
		n += snprintf(buf + n, len - n, "GFP_HIGHUSER_MOVABLE");
		rest &= ~GFP_HIGHUSER_MOVABLE;
	} else if (rest & GFP_KERNEL) {
		n += snprintf(buf + n, len - n, "GFP_KERNEL");
		rest &= ~GFP_KERNEL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(names) && n < len; i++)
		if (rest & names[i].bit) {
			n += snprintf(buf + n, len - n, "%s%s", n ? "|" : "", names[i].name);
			rest &= ~names[i].bit;
		}
	if (rest && n < len)
		n += snprintf(buf + n, len - n, "%s%#x", n ? "|" : "", rest);
	if (!n)
		snprintf(buf, len, "GFP_NOWAIT");
	return buf;
}

void warn_alloc(gfp_t gfp, unsigned int order, const char *why)
{
	char g[160];

	pr_warn("%s: order:%u, mode:%#x(%s), cpu:%u\n", why, order, gfp,
		gfp_format(gfp, g, sizeof(g)), arch_cpu_id());
	show_free_areas();
}

void page_alloc_reset(void)
{
	INIT_LIST_HEAD(&slowpath_hooks);
	spin_lock_init(&hooks_lock);
	min_free_kbytes = 0;
	alloc_max_retries = 16;
	nr_bad_pages = 0;
	nr_poison_errors = 0;
	page_poisoning = false;
	pcp_batch_override = pcp_high_override = 0;
	memset(bad_pfns, 0, sizeof(bad_pfns));
}
