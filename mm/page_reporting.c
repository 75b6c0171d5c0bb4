/*
 * page_reporting.c - free page reporting: large free blocks are reported
 * to a device (virtio-balloon), which may then give their memory back to
 * the host; they come back to the buddy marked so they are not reported
 * again until they have been used.
 *
 * Data structures. One registered device, pr_dev (Linux has one too).
 * Blocks are marked with PG_reported on their head page while they sit on
 * a free list. Nothing else is kept: the free lists are the record.
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
 *    can take it; it always goes back, reported or not.
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
 * runs with no lock held. Registration under pr_lock.
 */
#include "page_alloc_internal.h"
#include <mm/page_reporting.h>
#include <kernel/printk.h>
#include <errno.h>

enum { PR_IDLE, PR_REQUESTED, PR_ACTIVE };

static struct page_reporting_dev_info *pr_dev;
static unsigned int pr_order_cur;	/* pr_dev's order, 0 when none: read locklessly */
static int pr_state = PR_IDLE;
static int pr_running;
static spinlock_t pr_lock = SPINLOCK_INIT;

/* Blocks of one batch and the migratetype list each came from. */
struct pr_batch {
	struct page_reporting_entry ents[PAGE_REPORTING_CAPACITY];
	struct page *pages[PAGE_REPORTING_CAPACITY];
	unsigned int n;
};

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
	if (pr_dev) {
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

void page_reporting_unregister(struct page_reporting_dev_info *prdev)
{
	unsigned long flags;

	spin_lock_irqsave(&pr_lock, flags);
	if (pr_dev == prdev) {
		WRITE_ONCE(pr_order_cur, 0);
		WRITE_ONCE(pr_dev, NULL);
		WRITE_ONCE(pr_state, PR_IDLE);
	}
	spin_unlock_irqrestore(&pr_lock, flags);
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
	b->n = 0;
	for (unsigned int o = prdev->order; o <= MAX_ORDER; o++) {
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
			struct page *page, *next;

			list_for_each_entry_safe(page, next, &zone->free_area[o].free_list[mt], lru) {
				if (b->n == prdev->capacity || !pr_zone_has_room(zone, prdev, o))
					return;
				if (PageReported(page))
					continue;
				del_from_free_list(page, zone, o);
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
 * spanning two pageblocks is returned pageblock by pageblock if needed.
 */
static void pr_putback(struct page *page, unsigned int order, bool reported)
{
	unsigned long pfn = page_to_pfn(page);
	unsigned long n = 1UL << order, step = n;
	int mt = get_pfnblock_migratetype(pfn);

	for (unsigned long i = pageblock_nr_pages; i < n; i += pageblock_nr_pages)
		if (get_pfnblock_migratetype(pfn + i) != mt)
			step = pageblock_nr_pages;
	for (unsigned long i = 0; i < n; i += step) {
		struct page *p = pfn_to_page(pfn + i);

		if (reported)
			__SetPageReported(p);
		__putback_isolated_page(p, step == n ? order : pageblock_order,
					get_pfnblock_migratetype(pfn + i));
	}
}

/* Return every block of @b to @zone, reported or not (zone->lock held). */
static void pr_return_batch(struct zone *zone, struct pr_batch *b, bool reported)
{
	for (unsigned int i = 0; i < b->n; i++)
		pr_putback(b->pages[i], b->ents[i].order, reported);
	(void)zone;
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
	unsigned long flags, pages;
	long done = 0;
	int err;

	while (*budget) {
		spin_lock_irqsave(&zone->lock, flags);
		pr_take_batch(zone, prdev, &b);
		spin_unlock_irqrestore(&zone->lock, flags);
		if (!b.n)
			break;
		(*budget)--;
		prdev->requests++;
		count_vm_event(PGREPORT_REQUESTS);
		err = prdev->report(prdev, b.ents, b.n);
		pages = 0;
		for (unsigned int i = 0; i < b.n; i++)
			pages += 1UL << b.ents[i].order;
		spin_lock_irqsave(&zone->lock, flags);
		pr_return_batch(zone, &b, err == 0);
		spin_unlock_irqrestore(&zone->lock, flags);
		if (err) {
			prdev->errors++;
			count_vm_event(PGREPORT_FAILS);
			if (err == -EIO)
				return -EIO;
			break;		/* transient: the put-back blocks asked for a new pass */
		}
		prdev->reported_blocks += b.n;
		prdev->reported_pages += pages;
		count_vm_events(PGREPORT_BLOCKS, b.n);
		count_vm_events(PGREPORT_PAGES, pages);
		done += (long)b.n;
	}
	return done;
}

long page_reporting_process(void)
{
	struct page_reporting_dev_info *prdev = READ_ONCE(pr_dev);
	unsigned int budget = PAGE_REPORTING_BUDGET;
	long total = 0, r = 0;
	int expect = PR_ACTIVE;

	if (!prdev)
		return -EAGAIN;
	if (prdev->disabled)
		return -EIO;
	if (__atomic_exchange_n(&pr_running, 1, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	WRITE_ONCE(pr_state, PR_ACTIVE);
	prdev->passes++;
	if (page_poisoning_enabled() && !prdev->keeps_poison) {
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
		__atomic_store_n(&pr_running, 0, __ATOMIC_RELEASE);
		return -EIO;
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
	__atomic_store_n(&pr_running, 0, __ATOMIC_RELEASE);
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

void page_reporting_reset(void)
{
	pr_dev = NULL;
	pr_order_cur = 0;
	pr_state = PR_IDLE;
	pr_running = 0;
	spin_lock_init(&pr_lock);
}
