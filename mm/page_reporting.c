/*
 * page_reporting.c - free page reporting: large free blocks are reported
 * to a device (virtio-balloon), which may then give their memory back to
 * the host; they come back to the buddy marked so they are not reported
 * again until they have been used.
 *
 * Data structures. One registered device, pr_dev (Linux has one too).
 * Blocks are marked with PG_reported on their head page while they sit on
 * a free list: the free lists are the record. The one exception is
 * pr_held: the blocks of a report the device did not give back in time.
 *
 * Invariants.
 *  - PG_reported is set only on the head of a free block of order >=
 *    page_reporting_order(), or on a block this file holds while putting
 *    it back; page_bad_reason_alloc() proves no allocated page has it.
 *  - It is cleared whenever a block leaves the free lists
 *    (del_from_free_list(): allocation, split, merge, compaction's free
 *    scanner), so a reported block that was reused is reported again.
 *  - __free_one_page() keeps the flag on a merged block only when every
 *    merged part was reported, and requests a pass for any unreported
 *    block that reaches the reporting order.
 *  - A block being reported is off the free lists (page type none,
 *    refcount 0, not counted free): no allocation, compaction or isolation
 *    can take it; it always goes back, reported or not, but only once the
 *    device is done with it.
 *
 * Held blocks. virtio's rule: the pages of a buffer are reused only after
 * the device has used it. When report() gives up waiting (-EINPROGRESS:
 * a host main loop may be stalled) the device still holds the buffer and
 * may discard those pages at any moment. So the batch stays out of the
 * buddy, recorded in pr_held (at most one batch: no pass reports while it
 * is held) and counted in prdev->held_blocks/held_pages and vmstat
 * nr_reporting_held. Each later pass first asks prdev->reclaim() whether
 * the device used the buffer meanwhile: then the blocks go back reported
 * and reporting resumes; if the device was reset (it dropped the buffer)
 * they go back unreported; else the pass asks to run again later. The
 * driver's removal resets the device and calls
 * page_reporting_release_held(); if the reset did not complete (the device
 * may still hold the buffer and discard its pages at any time) it calls
 * page_reporting_retire_held() instead: the held record is dropped (so
 * another device may register) but the pages never go back to the buddy;
 * each becomes a PageOffline page (refcount 0, not Skippable) nobody owns, like a broken
 * balloon's pages at removal, counted in nr_reporting_retired.
 * mm_check_invariants() checks that no held page is on a free or pcp list,
 * inside a free block or allocated; a retired page is an allocated page to
 * it, never free.
 *
 * Ending. page_reporting_unregister() waits (bounded polling) until no
 * pass runs: a pass stops at its next batch once its device is
 * unregistered, so the wait covers at most one report(), which the driver
 * bounds. If the wait still runs out, a release or retire asked for
 * meanwhile is left pending and done by the running pass as it ends
 * (pr_held_pending): the held record never outlives the device's removal.
 *
 * One pass (page_reporting_process(), never two at once): for each zone,
 * while the zone stays above its low watermark plus one full batch, take
 * up to `capacity` unreported blocks of order >= threshold from the
 * Unmovable/Movable/Reclaimable lists (Isolate lists are skipped: those
 * blocks are on their way to someone), call report() with no lock held,
 * and put them back with PG_reported set if report() returned 0. Reported
 * blocks go to the list tails, so allocations prefer memory the host still
 * backs. At most PAGE_REPORTING_BUDGET batches per pass; then another pass
 * is requested.
 *
 * Requests (state machine, atomic): IDLE -> REQUESTED by a free, which
 * schedules the pass PAGE_REPORTING_DELAY_MS later; REQUESTED -> ACTIVE
 * when it starts; ACTIVE -> IDLE at the end, unless a free asked again
 * meanwhile (then REQUESTED and scheduled again). The delay lets freed
 * memory settle into large blocks and batches the work, as in Linux.
 *
 * Poisoning: a reported page may be discarded by the host and read as
 * zeroes afterwards, which would break the PAGE_POISON pattern that
 * allocation verifies. So while page poisoning is on, passes run only if
 * the device declared keeps_poison (virtio: PAGE_POISON negotiated);
 * otherwise they are skipped and counted in skipped_poison.
 *
 * Locks: zone->lock around every list walk, take and put back; report()
 * runs with no lock held. Registration under pr_lock, a leaf (nothing is
 * taken under it; docs/locking.md has the whole order). pr_held is written
 * under its zone's lock (so mm_check sees it whole) and only by the pass
 * or, with no pass running, by page_reporting_release_held().
 */
#include "page_alloc_internal.h"
#include <mm/page_reporting.h>
#include <mm/page_offline.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <errno.h>

enum { PR_IDLE, PR_REQUESTED, PR_ACTIVE };

static struct page_reporting_dev_info *pr_dev;
static unsigned int pr_order_cur;	/* pr_dev's order, 0 when none: read locklessly */
static int pr_state = PR_IDLE;
static int pr_running;
static DEFINE_SPINLOCK(pr_lock);

/* Blocks of one batch and the migratetype list each came from. */
struct pr_batch {
	struct page_reporting_entry ents[PAGE_REPORTING_CAPACITY];
	struct page *pages[PAGE_REPORTING_CAPACITY];
	unsigned int n;
};

/* The batch the device still holds (see "Held blocks"); n == 0 when none. */
static struct pr_batch pr_held;
static struct zone *pr_held_zone;
static struct page_reporting_dev_info *pr_held_dev;
static unsigned int pr_held_order;	/* pr_held_dev's order when the batch was taken */

/* What to do with the held batch once no pass runs (asked while one did). */
enum { PR_HELD_KEEP, PR_HELD_RELEASE, PR_HELD_RETIRE };
static int pr_held_pending = PR_HELD_KEEP;

/* Held blocks retired for good (the device kept them past its removal). */
static unsigned long pr_retired_blocks, pr_retired_pages;

/* Polls page_reporting_unregister() waits for a running pass (host tests: a few). */
#ifdef HOST_BUILD
#define PR_UNREGISTER_POLLS	(1UL << 12)
void (*page_reporting_unregister_wait_hook)(void);
#else
#define PR_UNREGISTER_POLLS	(1UL << 28)
#endif

unsigned int page_reporting_order(void)
{
	return READ_ONCE(pr_order_cur);
}

struct page_reporting_dev_info *page_reporting_device(void)
{
	return READ_ONCE(pr_dev);
}

/* Ask for a pass; schedule one unless a request is already pending or a pass runs. */
static void pr_request(unsigned int delay_ms)
{
	struct page_reporting_dev_info *prdev = READ_ONCE(pr_dev);
	int old;

	if (!prdev || prdev->disabled)
		return;
	old = __atomic_exchange_n(&pr_state, PR_REQUESTED, __ATOMIC_ACQ_REL);
	/* ACTIVE: the running pass sees REQUESTED at its end and reschedules */
	if (old == PR_IDLE && prdev->schedule)
		prdev->schedule(prdev, delay_ms);
}

void page_reporting_notify_free(unsigned int order)
{
	unsigned int threshold = READ_ONCE(pr_order_cur);

	if (likely(!threshold) || order < threshold)
		return;
	if (READ_ONCE(pr_state) == PR_REQUESTED)
		return;
	pr_request(PAGE_REPORTING_DELAY_MS);
}

int page_reporting_register(struct page_reporting_dev_info *prdev)
{
	unsigned int order = prdev->order ? prdev->order : pageblock_order;
	unsigned int cap = prdev->capacity ? prdev->capacity : PAGE_REPORTING_CAPACITY;
	unsigned long flags;

	/* validate, then act: the range page_reporting.h promises */
	if (!prdev->report || order < PAGE_REPORTING_MIN_ORDER || order > MAX_ORDER ||
	    cap > PAGE_REPORTING_CAPACITY)
		return -EINVAL;
	spin_lock_irqsave(&pr_lock, flags);
	/* a device gone without a reset may still hold blocks: nobody else reports */
	if (pr_dev || (READ_ONCE(pr_held_dev) && pr_held_dev != prdev)) {
		spin_unlock_irqrestore(&pr_lock, flags);
		return -EBUSY;
	}
	/* its held batch goes back marked for the order it was taken at: keep that */
	if (READ_ONCE(pr_held_dev) == prdev && order != pr_held_order) {
		spin_unlock_irqrestore(&pr_lock, flags);
		return -EBUSY;
	}
	prdev->order = order;
	prdev->capacity = cap;
	prdev->disabled = false;
	WRITE_ONCE(pr_dev, prdev);
	WRITE_ONCE(pr_state, PR_IDLE);
	WRITE_ONCE(pr_order_cur, order);
	spin_unlock_irqrestore(&pr_lock, flags);
	/* memory freed before the device existed is worth a first pass */
	pr_request(PAGE_REPORTING_DELAY_MS);
	return 0;
}

int page_reporting_unregister(struct page_reporting_dev_info *prdev)
{
	unsigned long flags;

	spin_lock_irqsave(&pr_lock, flags);
	/* held blocks stay held: they are the device's until it is reset */
	if (pr_dev == prdev) {
		WRITE_ONCE(pr_order_cur, 0);
		__atomic_store_n(&pr_dev, NULL, __ATOMIC_SEQ_CST);
		WRITE_ONCE(pr_state, PR_IDLE);
	}
	spin_unlock_irqrestore(&pr_lock, flags);
	/* a pass that started before sees pr_dev gone at its next batch and ends */
	for (unsigned long polls = 0; __atomic_load_n(&pr_running, __ATOMIC_SEQ_CST); polls++) {
		if (polls == PR_UNREGISTER_POLLS)
			return -EBUSY;
#ifdef HOST_BUILD
		if (page_reporting_unregister_wait_hook)
			page_reporting_unregister_wait_hook();
#endif
		cpu_relax();
	}
	return 0;
}

/* May @zone give up one more block of @order without dropping below low + one batch? */
static bool pr_zone_has_room(struct zone *zone, const struct page_reporting_dev_info *prdev,
			     unsigned int order)
{
	unsigned long keep = low_wmark_pages(zone) + ((unsigned long)prdev->capacity << prdev->order);

	return zone->free_pages >= keep + (1UL << order);
}

/* Fill @b with unreported free blocks of @zone, taken off the lists (zone->lock held). */
static void pr_take_batch(struct zone *zone, const struct page_reporting_dev_info *prdev,
			  struct pr_batch *b)
{
	VM_BUG_ON(!spin_is_locked(&zone->lock));
	VM_BUG_ON(prdev->order < PAGE_REPORTING_MIN_ORDER || prdev->capacity > PAGE_REPORTING_CAPACITY);
	b->n = 0;
	for (unsigned int o = prdev->order; o <= MAX_ORDER; o++) {
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
			struct page *page, *next;

			list_for_each_entry_safe(page, next, &zone->free_area[o].free_list[mt], lru) {
				if (b->n == prdev->capacity || !pr_zone_has_room(zone, prdev, o))
					return;
				VM_BUG_ON_PAGE(!PageBuddy(page) || buddy_order(page) != o, page);
				if (PageReported(page))
					continue;
				del_from_free_list(page, zone, o);
				VM_BUG_ON_PAGE(page_ref_count(page) || PageReported(page), page);
				b->ents[b->n].pfn = page_to_pfn(page);
				b->ents[b->n].order = o;
				b->pages[b->n] = page;
				b->n++;
			}
		}
	}
}

/*
 * Give back the taken block @page of @order (zone->lock held), marked
 * reported if @reported. Each pageblock goes back with its current
 * migratetype (it may have changed while the block was out), so a block
 * spanning two pageblocks is returned pageblock by pageblock if needed;
 * pieces below the reporting order then go back unreported (they merge
 * back unless a pageblock was isolated meanwhile).
 */
static void pr_putback(struct page *page, unsigned int order, bool reported)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long n = 1UL << order, step = n;
	int mt = get_pfnblock_migratetype(pfn);

	/* taken off the lists by pr_take_batch(): not free, not in use, unmarked */
	VM_BUG_ON_PAGE(PageBuddy(page) || page_ref_count(page) || PageReported(page), page);
	VM_BUG_ON_PAGE(pfn & (n - 1), page);
	/* PG_reported goes only on blocks of the reporting order and above */
	VM_BUG_ON_PAGE(reported && order < READ_ONCE(pr_order_cur), page);
	for (unsigned long i = pageblock_nr_pages; i < n; i += pageblock_nr_pages)
		if (get_pfnblock_migratetype(pfn + i) != mt)
			step = pageblock_nr_pages;
	for (unsigned long i = 0; i < n; i += step) {
		struct page *p = pfn_to_page(pfn + i);
		unsigned int o = step == n ? order : pageblock_order;

		/* a piece below the reporting order goes back unreported */
		if (reported && o >= READ_ONCE(pr_order_cur))
			__SetPageReported(p);
		__putback_isolated_page(p, o, get_pfnblock_migratetype(pfn + i));
	}
}

/* Return every block of @b to @zone, reported or not (zone->lock held). */
static void pr_return_batch(struct zone *zone, struct pr_batch *b, bool reported)
{
	VM_BUG_ON(!spin_is_locked(&zone->lock));
	for (unsigned int i = 0; i < b->n; i++) {
		VM_BUG_ON_PAGE(page_zone(b->pages[i]) != zone, b->pages[i]);
		pr_putback(b->pages[i], b->ents[i].order, reported);
	}
}

/* Pages in the blocks of @b. */
static unsigned long pr_batch_pages(const struct pr_batch *b)
{
	unsigned long pages = 0;

	for (unsigned int i = 0; i < b->n; i++)
		pages += 1UL << b->ents[i].order;
	return pages;
}

/* The device kept batch @b of @zone: hold it out of the buddy (zone->lock held). */
static void pr_hold_batch(struct page_reporting_dev_info *prdev, struct zone *zone,
			  const struct pr_batch *b)
{
	VM_BUG_ON(!spin_is_locked(&zone->lock));
	VM_BUG_ON(pr_held.n || pr_held_dev);	/* one held batch at most */
	VM_BUG_ON(!b->n || b->n > prdev->capacity);
	pr_held = *b;
	pr_held_zone = zone;
	pr_held_order = prdev->order;
	WRITE_ONCE(pr_held_dev, prdev);
	WRITE_ONCE(prdev->held_blocks, b->n);
	WRITE_ONCE(prdev->held_pages, pr_batch_pages(b));
}

/* Drop the record of the held batch, whose pages the caller has dealt with (zone lock held). */
static void pr_forget_held(struct page_reporting_dev_info *prdev)
{
	pr_held.n = 0;
	pr_held_zone = NULL;
	WRITE_ONCE(pr_held_dev, NULL);
	WRITE_ONCE(prdev->held_blocks, 0);
	WRITE_ONCE(prdev->held_pages, 0);
}

/* Give the held batch back to the buddy, reported or not (no pass running). */
static void pr_release_held(bool reported)
{
	struct page_reporting_dev_info *prdev = pr_held_dev;
	struct zone *zone = pr_held_zone;
	unsigned long flags;

	VM_BUG_ON(!prdev || !pr_held.n || !READ_ONCE(pr_running));
	spin_lock_irqsave(&zone->lock, flags);
	pr_return_batch(zone, &pr_held, reported);
	pr_forget_held(prdev);
	spin_unlock_irqrestore(&zone->lock, flags);
}

/*
 * The device may still discard the held batch at any time (it was removed
 * without a completed reset): drop the record but keep the pages out of
 * use for good, each a PageOffline page (refcount 0, not Skippable:
 * seed 001) nobody may free or offline (no pass running).
 */
static void pr_retire_held(void)
{
	struct page_reporting_dev_info *prdev = pr_held_dev;
	struct zone *zone = pr_held_zone;
	unsigned long flags, pages = pr_batch_pages(&pr_held);

	VM_BUG_ON(!prdev || !pr_held.n || !READ_ONCE(pr_running));
	spin_lock_irqsave(&zone->lock, flags);
	for (unsigned int i = 0; i < pr_held.n; i++) {
		struct page *page = pr_held.pages[i];

		for (unsigned long j = 0; j < 1UL << pr_held.ents[i].order; j++) {
			VM_BUG_ON_PAGE(page[j].page_type != PGTY_NONE || page_ref_count(&page[j]), &page[j]);
			/* seed 001: offline, refcount 0, not skippable (the device may still use it) */
			page_offline_mark(&page[j], 1, 0);
		}
	}
	prdev->retired_blocks += pr_held.n;
	prdev->retired_pages += pages;
	WRITE_ONCE(pr_retired_blocks, pr_retired_blocks + pr_held.n);
	WRITE_ONCE(pr_retired_pages, pr_retired_pages + pages);
	pr_forget_held(prdev);
	spin_unlock_irqrestore(&zone->lock, flags);
	pr_err("page_reporting: the device kept %lu pages past its removal; retired for good\n", pages);
}

/*
 * Do the release or retire asked for while a pass ran (pr_running held by
 * the caller). Returns the blocks given back or retired, 0 if none.
 */
static int pr_do_pending(void)
{
	int action = __atomic_exchange_n(&pr_held_pending, PR_HELD_KEEP, __ATOMIC_SEQ_CST);
	int n = (int)pr_held.n;

	if (action == PR_HELD_KEEP || !n)
		return 0;
	if (action == PR_HELD_RETIRE)
		pr_retire_held();
	else
		pr_release_held(false);
	return n;
}

/*
 * End a pass (or a release): let go of pr_running, then do a release or
 * retire asked for meanwhile. Both sides store before they look
 * (seq_cst), so one of them always sees the other's request.
 */
static void pr_pass_end(void)
{
	__atomic_store_n(&pr_running, 0, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&pr_held_pending, __ATOMIC_SEQ_CST) != PR_HELD_KEEP &&
	       !__atomic_exchange_n(&pr_running, 1, __ATOMIC_SEQ_CST)) {
		pr_do_pending();
		__atomic_store_n(&pr_running, 0, __ATOMIC_SEQ_CST);
	}
}

/* Count @b as reported by @prdev. */
static void pr_count_reported(struct page_reporting_dev_info *prdev, const struct pr_batch *b)
{
	unsigned long pages = pr_batch_pages(b);

	prdev->reported_blocks += b->n;
	prdev->reported_pages += pages;
	count_vm_events(PGREPORT_BLOCKS, b->n);
	count_vm_events(PGREPORT_PAGES, pages);
}

/*
 * A batch is held: has the device used it now? 0 if the blocks are back
 * in the buddy (reported, or unreported after a device reset),
 * -EINPROGRESS if the device still holds them.
 */
static int pr_reclaim_held(struct page_reporting_dev_info *prdev)
{
	int r = prdev->reclaim ? prdev->reclaim(prdev) : -EINPROGRESS;

	if (r == -EINPROGRESS)
		return r;
	if (r == 0) {
		prdev->late_returns++;
		pr_count_reported(prdev, &pr_held);
	}
	pr_release_held(r == 0);
	return 0;
}

/*
 * Report @zone's unreported blocks in batches, at most *@budget of them.
 * Returns blocks reported, or -EIO if the device broke (everything given
 * back unreported).
 */
static long pr_process_zone(struct page_reporting_dev_info *prdev, struct zone *zone,
			    unsigned int *budget)
{
	static struct pr_batch b;	/* passes never overlap (pr_running) */
	unsigned long flags;
	long done = 0;
	int err;

	VM_BUG_ON(!READ_ONCE(pr_running));	/* passes never overlap */
	/* once unregistered, stop at the next batch: unregister waits for us */
	while (*budget && __atomic_load_n(&pr_dev, __ATOMIC_SEQ_CST) == prdev) {
		spin_lock_irqsave(&zone->lock, flags);
		pr_take_batch(zone, prdev, &b);
		spin_unlock_irqrestore(&zone->lock, flags);
		if (!b.n)
			break;
		(*budget)--;
		prdev->requests++;
		count_vm_event(PGREPORT_REQUESTS);
		VM_BUG_ON(b.n > prdev->capacity);
		err = prdev->report(prdev, b.ents, b.n);
		spin_lock_irqsave(&zone->lock, flags);
		if (err == -EINPROGRESS)
			pr_hold_batch(prdev, zone, &b);	/* the device still has it */
		else
			pr_return_batch(zone, &b, err == 0);
		spin_unlock_irqrestore(&zone->lock, flags);
		if (err == -EINPROGRESS) {
			prdev->stalls++;
			count_vm_event(PGREPORT_STALLS);
			return -EINPROGRESS;
		}
		if (err) {
			prdev->errors++;
			count_vm_event(PGREPORT_FAILS);
			if (err == -EIO)
				return -EIO;
			break;		/* transient: the put-back blocks asked for a new pass */
		}
		pr_count_reported(prdev, &b);
		done += (long)b.n;
	}
	return done;
}

long page_reporting_process(void)
{
	struct page_reporting_dev_info *prdev;
	unsigned int budget = PAGE_REPORTING_BUDGET;
	long total = 0, r = 0;
	int expect = PR_ACTIVE;

	/* running first, then the device: unregister clears it, then waits for running */
	if (__atomic_exchange_n(&pr_running, 1, __ATOMIC_SEQ_CST))
		return -EAGAIN;
	prdev = __atomic_load_n(&pr_dev, __ATOMIC_SEQ_CST);
	if (!prdev || prdev->disabled) {
		pr_pass_end();
		return prdev ? -EIO : -EAGAIN;
	}
	WRITE_ONCE(pr_state, PR_ACTIVE);
	prdev->passes++;
	VM_BUG_ON(pr_held.n && pr_held_dev != prdev);	/* register refuses otherwise */
	if (pr_held.n && pr_reclaim_held(prdev) == -EINPROGRESS) {
		r = -EINPROGRESS;	/* nothing new until the device gives the batch back */
	} else if (page_poisoning_enabled() && !prdev->keeps_poison) {
		prdev->skipped_poison++;
	} else {
		for (int z = 0; z < MAX_NR_ZONES && budget; z++) {
			if (!zones[z].managed_pages)
				continue;
			r = pr_process_zone(prdev, &zones[z], &budget);
			if (r < 0)
				break;
			total += r;
		}
	}
	if (r == -EIO) {
		prdev->disabled = true;
		pr_err("page_reporting: the device failed; free page reporting stopped (%lu blocks reported before)\n",
		       prdev->reported_blocks);
		WRITE_ONCE(pr_state, PR_IDLE);
		pr_pass_end();
		return -EIO;
	}
	VM_BUG_ON(r != -EINPROGRESS && pr_held.n);
	if (r == -EINPROGRESS) {
		/* a batch is with the device: look again later */
		WRITE_ONCE(pr_state, PR_REQUESTED);
		if (prdev->schedule)
			prdev->schedule(prdev, PAGE_REPORTING_DELAY_MS);
		pr_pass_end();
		return -EINPROGRESS;
	}
	if (!budget) {
		/* more may be left: come back soon */
		WRITE_ONCE(pr_state, PR_REQUESTED);
		if (prdev->schedule)
			prdev->schedule(prdev, 0);
	} else if (!__atomic_compare_exchange_n(&pr_state, &expect, PR_IDLE, false,
						 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
		/* a free asked for another pass while this one ran */
		if (prdev->schedule)
			prdev->schedule(prdev, PAGE_REPORTING_DELAY_MS);
	}
	pr_pass_end();
	return total;
}

unsigned long page_reporting_count_reported(void)
{
	unsigned long n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];
		unsigned long flags;

		if (!zone->managed_pages)
			continue;
		spin_lock_irqsave(&zone->lock, flags);
		for (unsigned int o = 0; o <= MAX_ORDER; o++)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				struct page *page;

				list_for_each_entry(page, &zone->free_area[o].free_list[mt], lru)
					if (PageReported(page))
						n += 1UL << o;
			}
		spin_unlock_irqrestore(&zone->lock, flags);
	}
	return n;
}

/*
 * Ask for @action on @prdev's held batch: done now if no pass runs, else
 * by the running pass as it ends (-EBUSY).
 */
static int pr_held_request(struct page_reporting_dev_info *prdev, int action)
{
	int ret;

	if (READ_ONCE(pr_held_dev) != prdev)
		return 0;
	__atomic_store_n(&pr_held_pending, action, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&pr_running, 1, __ATOMIC_SEQ_CST))
		return -EBUSY;		/* pr_pass_end() will do it */
	ret = pr_held_dev == prdev ? pr_do_pending() : 0;
	__atomic_store_n(&pr_held_pending, PR_HELD_KEEP, __ATOMIC_SEQ_CST);
	pr_pass_end();
	return ret;
}

int page_reporting_release_held(struct page_reporting_dev_info *prdev)
{
	return pr_held_request(prdev, PR_HELD_RELEASE);
}

int page_reporting_retire_held(struct page_reporting_dev_info *prdev)
{
	return pr_held_request(prdev, PR_HELD_RETIRE);
}

unsigned long page_reporting_held_pages(void)
{
	struct page_reporting_dev_info *prdev = READ_ONCE(pr_held_dev);

	return prdev ? READ_ONCE(prdev->held_pages) : 0;
}

unsigned long page_reporting_retired_pages(void)
{
	return READ_ONCE(pr_retired_pages);
}

#ifdef HOST_BUILD
void page_reporting_test_set_running(bool running)
{
	if (running)
		__atomic_store_n(&pr_running, 1, __ATOMIC_SEQ_CST);
	else
		pr_pass_end();
}
#endif

const struct page_reporting_entry *page_reporting_held(const struct zone *zone, unsigned int *n)
{
	if (!pr_held.n || pr_held_zone != zone) {
		*n = 0;
		return NULL;
	}
	*n = pr_held.n;
	return pr_held.ents;
}

void page_reporting_reset(void)
{
	pr_held.n = 0;
	pr_held_zone = NULL;
	pr_held_dev = NULL;
	pr_held_order = 0;
	pr_held_pending = PR_HELD_KEEP;
	pr_retired_blocks = pr_retired_pages = 0;
#ifdef HOST_BUILD
	page_reporting_unregister_wait_hook = NULL;
#endif
	pr_dev = NULL;
	pr_order_cur = 0;
	pr_state = PR_IDLE;
	pr_running = 0;
	spin_lock_init(&pr_lock);
}
