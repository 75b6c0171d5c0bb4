/*
 * test_page_reporting.c - free page reporting (mm/page_reporting.c) against
 * the real buddy allocator on a simulated machine, and the virtio-balloon
 * reporting queue against the simulated device (support/balloon_sim.c).
 *
 * The fake device below keeps the host's view: a byte per pfn, set when a
 * page was reported (and "discarded": its contents zeroed), cleared when
 * the test allocates the page again. Reporting a block all of whose pages
 * the host already holds is a double report (a block merged from a
 * reported half and a reused one is reported again, rightly). After every step the allocator's invariants
 * (mm_check) hold and every PageReported block is held by the host.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "support/balloon_sim.h"
#include <mm/page_alloc.h>
#include <mm/page_reporting.h>
#include <mm/page_isolation.h>
#include <mm/vmstat.h>
#include <drivers/virtio_balloon.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>

#define NOWAIT_GFP (__GFP_NOWARN | __GFP_NORETRY)

extern int host_quiet;

static struct page_reporting_dev_info dev;
static uint8_t *host_held;		/* [memmap_end_pfn] */
static unsigned long host_pages, double_reports, bad_entries, calls, max_batch;
static unsigned long schedules, last_delay;
static int report_ret, reclaim_ret;
static unsigned long reclaims, last_pages;
static struct page_reporting_entry last_ents[PAGE_REPORTING_CAPACITY];
static unsigned int last_n;
static void (*during_report)(const struct page_reporting_entry *ents, unsigned int n);

static int fake_take(const struct page_reporting_entry *ents, unsigned int n);

/* The fake device: check each entry, take the pages, "discard" them. */
static int fake_report(struct page_reporting_dev_info *prdev,
		       const struct page_reporting_entry *ents, unsigned int n)
{
	calls++;
	if (n > max_batch)
		max_batch = n;
	if (n == 0 || n > prdev->capacity)
		bad_entries++;
	for (unsigned int i = 0; i < n; i++) {
		unsigned long pfn = ents[i].pfn, np = 1UL << ents[i].order;

		if (ents[i].order < prdev->order || (pfn & (np - 1)) || PageBuddy(pfn_to_page(pfn)))
			bad_entries++;
	}
	if (during_report)
		during_report(ents, n);
	last_n = n;
	last_pages = 0;
	for (unsigned int i = 0; i < n; i++) {
		last_ents[i] = ents[i];
		last_pages += 1UL << ents[i].order;
	}
	if (report_ret)
		return report_ret;
	return fake_take(ents, n);
}

/* The fake host takes (and "discards") the @n blocks of @ents. */
static int fake_take(const struct page_reporting_entry *ents, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned long pfn = ents[i].pfn, np = 1UL << ents[i].order, fresh = 0;

		for (unsigned long p = pfn; p < pfn + np; p++) {
			if (!host_held[p])
				fresh++;
			host_held[p] = 1;
			memset(page_address(pfn_to_page(p)), 0, PAGE_SIZE);
		}
		/* a block none of whose pages was used since it was reported */
		if (!fresh)
			double_reports++;
		host_pages += fresh;
	}
	return 0;
}

/* reclaim(): a late answer (0) takes the held batch now, as the host would. */
static int fake_reclaim(struct page_reporting_dev_info *prdev)
{
	reclaims++;
	if (reclaim_ret == 0)
		fake_take(last_ents, last_n);
	return reclaim_ret;
}

static void fake_schedule(struct page_reporting_dev_info *prdev, unsigned int delay_ms)
{
	schedules++;
	last_delay = delay_ms;
}

/* A @mb MiB machine with the fake device registered (capacity @cap). */
static void setup_mb(unsigned long mb, unsigned int cap)
{
	host_mem_init_mb(mb);
	host_held = calloc(memmap_end_pfn, 1);
	ASSERT(host_held);
	host_pages = double_reports = bad_entries = calls = max_batch = 0;
	schedules = last_delay = 0;
	report_ret = 0;
	reclaim_ret = -EINPROGRESS;
	reclaims = last_pages = 0;
	last_n = 0;
	during_report = NULL;
	memset(&dev, 0, sizeof(dev));
	dev.report = fake_report;
	dev.reclaim = fake_reclaim;
	dev.schedule = fake_schedule;
	dev.capacity = cap;
	drain_all_pages(NULL);
	ASSERT_EQ(page_reporting_register(&dev), 0);
}

/* A 128 MiB machine with the fake device registered (capacity @cap). */
static void setup(unsigned int cap)
{
	setup_mb(128, cap);
}

static void teardown(void)
{
	page_reporting_unregister(&dev);
	free(host_held);
	host_held = NULL;
	host_mem_teardown();
}

/* The host gets the pages back when the guest uses them again. */
static void host_unheld(struct page *page, unsigned int order)
{
	for (unsigned long p = page_to_pfn(page); p < page_to_pfn(page) + (1UL << order); p++)
		if (host_held[p]) {
			host_held[p] = 0;
			host_pages--;
		}
}

/* Every PageReported free block is held by the host; returns reported pages seen. */
static unsigned long expect_reported_held(void)
{
	unsigned long n = 0, missing = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (unsigned int o = 0; o <= MAX_ORDER; o++)
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				struct page *page;

				list_for_each_entry(page, &zones[z].free_area[o].free_list[mt], lru) {
					if (!PageReported(page))
						continue;
					n += 1UL << o;
					for (unsigned long p = page_to_pfn(page);
					     p < page_to_pfn(page) + (1UL << o); p++)
						missing += !host_held[p];
				}
			}
	EXPECT_EQ(missing, 0);
	return n;
}

/* Invariants that hold always. */
static void expect_sound(void)
{
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
	EXPECT_EQ(bad_entries, 0);
	expect_reported_held();
}

/* ... and no double report (in the scripted tests; see random_alloc_free_report). */
static void expect_clean(void)
{
	expect_sound();
	EXPECT_EQ(double_reports, 0);
}

/* Unreported free pages in blocks of order >= 9 in zone @z. */
static unsigned long unreported_high(int z)
{
	unsigned long n = 0;

	for (unsigned int o = pageblock_order; o <= MAX_ORDER; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct page *page;

			list_for_each_entry(page, &zones[z].free_area[o].free_list[mt], lru)
				if (!PageReported(page))
					n += 1UL << o;
		}
	return n;
}

/* Passes until one reports nothing (bounded); returns blocks reported. */
static long settle(void)
{
	long total = 0, r;

	for (int i = 0; i < 100; i++) {
		r = page_reporting_process();
		if (r <= 0)
			return r < 0 ? r : total;
		total += r;
		expect_clean();
	}
	return total;
}

/* Expect every zone's high-order free memory reported down to its reserve, in batches of at most 8, once. */
TEST(reports_free_memory_in_bounded_batches)
{
	unsigned long free0;
	long n;

	setup(8);
	free0 = nr_free_pages_total();
	n = settle();
	EXPECT(n > 0);
	EXPECT(max_batch <= 8);
	EXPECT_EQ(dev.reported_blocks, (unsigned long)n);
	EXPECT_EQ(page_reporting_count_reported(), host_pages);
	EXPECT_EQ(dev.reported_pages, host_pages);
	EXPECT_EQ(vm_stat_read(PGREPORT_PAGES), host_pages);
	EXPECT_EQ(vm_stat_read(PGREPORT_BLOCKS), (unsigned long)n);
	/* what is left unreported is the reserve: low watermark + one batch */
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];

		if (!zone->managed_pages)
			continue;
		EXPECT(unreported_high(z) == 0 ||
		       zone->free_pages < low_wmark_pages(zone) + (8UL << pageblock_order) + MAX_ORDER_NR_PAGES);
	}
	EXPECT(host_pages > (64UL << 20) / PAGE_SIZE);
	/* nothing new: a second pass reports nothing */
	calls = 0;
	EXPECT_EQ(page_reporting_process(), 0);
	EXPECT_EQ(calls, 0);
	EXPECT_EQ(nr_free_pages_total(), free0);
	expect_clean();
	teardown();
}

/* Expect a reallocated reported block to come back without the flag, and to be reported again once freed. */
TEST(reallocated_block_loses_flag_and_is_reported_again)
{
	struct page *got[64];
	struct page *hit = NULL;
	int n = 0;

	setup(8);
	settle();
	/* reported blocks sit at the list tails: allocate until we reach one */
	while (n < 64 && !hit) {
		struct page *p = alloc_pages(GFP_KERNEL | NOWAIT_GFP, pageblock_order);

		if (!p)
			break;
		EXPECT(!PageReported(p));
		EXPECT_EQ(p->flags, 0);
		if (host_held[page_to_pfn(p)])
			hit = p;
		else
			got[n++] = p;
	}
	ASSERT(hit);
	host_unheld(hit, pageblock_order);	/* the guest touches it: the host backs it again */
	for (int i = 0; i < n; i++)
		__free_pages(got[i], pageblock_order);
	expect_clean();
	__free_pages(hit, pageblock_order);
	expect_clean();
	EXPECT(!host_held[page_to_pfn(hit)]);
	EXPECT(settle() >= 1);
	EXPECT(host_held[page_to_pfn(hit)]);
	EXPECT(is_free_buddy_page(hit));
	teardown();
}

/* Expect a reported block merged with a freshly freed buddy to be unreported, then reported as one bigger block. */
TEST(merge_with_unreported_buddy_clears_flag)
{
	struct page *a = NULL, *b = NULL, *big;
	unsigned long calls0;

	setup(8);
	/* an order-10 block cut in two order-9 halves we own */
	big = alloc_pages(GFP_KERNEL | NOWAIT_GFP, MAX_ORDER);
	ASSERT(big);
	split_page(big, MAX_ORDER);
	for (unsigned long i = 0; i < MAX_ORDER_NR_PAGES; i++)
		set_page_count(big + i, i % pageblock_nr_pages ? 0 : 1);
	a = big;
	b = big + pageblock_nr_pages;
	a->alloc_order = b->alloc_order = pageblock_order;
	settle();
	__free_pages(a, pageblock_order);
	EXPECT(!PageReported(a));
	EXPECT(settle() >= 1);
	EXPECT(PageBuddy(a) && buddy_order(a) == pageblock_order && PageReported(a));
	calls0 = calls;
	__free_pages(b, pageblock_order);	/* merges with the reported a */
	EXPECT(PageBuddy(a) && buddy_order(a) == MAX_ORDER);
	EXPECT(!PageReported(a));
	EXPECT(!PageReported(b));
	expect_clean();
	/* a's half is held already: the fake device would count a double report */
	host_unheld(a, pageblock_order);
	EXPECT_EQ(settle(), 1);
	EXPECT_EQ(calls, calls0 + 1);
	EXPECT(PageReported(a));
	expect_clean();
	teardown();
}

static struct page *retag_page;

/* While an order-10 block is out, its second pageblock changes migratetype. */
static void retag_second_half(const struct page_reporting_entry *ents, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (ents[i].order == MAX_ORDER && !retag_page) {
			struct page *p = pfn_to_page(ents[i].pfn);
			struct zone *zone = page_zone(p);
			unsigned long flags;
			int mt = get_pageblock_migratetype(p);

			retag_page = p;
			spin_lock_irqsave(&zone->lock, flags);
			move_freepages_block(zone, p + pageblock_nr_pages,
					     mt == MIGRATE_UNMOVABLE ? MIGRATE_MOVABLE : MIGRATE_UNMOVABLE);
			spin_unlock_irqrestore(&zone->lock, flags);
		}
}

/* Expect a block whose pageblocks diverged while reported to go back per pageblock, both halves reported, merged and reported. */
TEST(both_reported_halves_merge_reported)
{
	setup(8);
	retag_page = NULL;
	during_report = retag_second_half;
	settle();
	ASSERT(retag_page);
	EXPECT(PageBuddy(retag_page));
	EXPECT_EQ(buddy_order(retag_page), MAX_ORDER);
	EXPECT(PageReported(retag_page));
	EXPECT(!PageReported(retag_page + pageblock_nr_pages));
	expect_clean();
	teardown();
}

static int isolate_ret = 1;

/* While an order-10 block is out, its second pageblock is isolated (alloc_contig_range). */
static void isolate_second_half(const struct page_reporting_entry *ents, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (ents[i].order == MAX_ORDER && !retag_page) {
			unsigned long pfn = ents[i].pfn + pageblock_nr_pages;

			retag_page = pfn_to_page(ents[i].pfn);
			isolate_ret = start_isolate_page_range(pfn, pfn + pageblock_nr_pages,
							       MIGRATE_MOVABLE, 0);
		}
}

/*
 * Expect a reported block of the device's order MAX_ORDER whose second
 * pageblock was isolated while it was out to come back as two order-9
 * halves that cannot merge, neither marked reported: the flag never sits
 * below the reporting order.
 */
TEST(split_putback_below_reporting_order_unreported)
{
	setup(8);
	page_reporting_unregister(&dev);
	dev.order = MAX_ORDER;
	ASSERT_EQ(page_reporting_register(&dev), 0);
	retag_page = NULL;
	isolate_ret = 1;
	during_report = isolate_second_half;
	EXPECT(page_reporting_process() > 0);
	during_report = NULL;
	ASSERT(retag_page);
	ASSERT_EQ(isolate_ret, 0);
	EXPECT(PageBuddy(retag_page) && buddy_order(retag_page) == pageblock_order);
	EXPECT(!PageReported(retag_page));
	EXPECT(!PageReported(retag_page + pageblock_nr_pages));
	EXPECT_EQ(mm_check_invariants(), 0);
	undo_isolate_page_range(page_to_pfn(retag_page) + pageblock_nr_pages,
				page_to_pfn(retag_page) + 2 * pageblock_nr_pages, MIGRATE_MOVABLE);
	EXPECT_EQ(mm_check_invariants(), 0);
	teardown();
}

static unsigned long overlaps, grabbed;

/* Inside report(): allocate every order-9 block we can; none may come from the batch. */
static void grab_everything(const struct page_reporting_entry *ents, unsigned int n)
{
	struct page *p;
	LIST_HEAD(list);

	while ((p = alloc_pages(GFP_KERNEL | NOWAIT_GFP, pageblock_order)) != NULL) {
		unsigned long pfn = page_to_pfn(p);

		for (unsigned int i = 0; i < n; i++)
			if (pfn + pageblock_nr_pages > ents[i].pfn &&
			    pfn < ents[i].pfn + (1UL << ents[i].order))
				overlaps++;
		grabbed++;
		list_add(&p->lru, &list);
	}
	while (!list_empty(&list)) {
		p = list_first_entry(&list, struct page, lru);
		list_del(&p->lru);
		host_unheld(p, pageblock_order);
		__free_pages(p, pageblock_order);
	}
}

/* Expect an allocation during a report never to get a block being reported. */
TEST(allocation_during_report_avoids_batch)
{
	setup(8);
	overlaps = grabbed = 0;
	during_report = grab_everything;
	EXPECT(page_reporting_process() > 0);
	EXPECT(grabbed > 0);
	EXPECT_EQ(overlaps, 0);
	during_report = NULL;
	expect_clean();
	teardown();
}

/* Expect a device that fails (-EIO) to get every block back unreported and reporting to stop. */
TEST(broken_device_returns_everything)
{
	unsigned long free0;

	setup(8);
	free0 = nr_free_pages_total();
	report_ret = -EIO;
	EXPECT_EQ(page_reporting_process(), -EIO);
	EXPECT(dev.disabled);
	EXPECT_EQ(calls, 1);
	EXPECT_EQ(page_reporting_count_reported(), 0);
	EXPECT_EQ(dev.errors, 1);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(page_reporting_process(), -EIO);
	EXPECT_EQ(calls, 1);
	expect_clean();
	teardown();
}

/* Expect a transient failure to return the blocks unreported and ask for a later pass that reports them. */
TEST(transient_failure_retries_later)
{
	setup(8);
	report_ret = -ENOSPC;
	schedules = 0;
	EXPECT_EQ(page_reporting_process(), 0);
	EXPECT_EQ(page_reporting_count_reported(), 0);
	EXPECT_EQ(schedules, 1);
	EXPECT_EQ(last_delay, PAGE_REPORTING_DELAY_MS);
	EXPECT(!dev.disabled);
	report_ret = 0;
	EXPECT(settle() > 0);
	EXPECT(page_reporting_count_reported() > 0);
	expect_clean();
	teardown();
}

/* Expect a pass only after a free of order >= 9, one schedule while a request is pending, and none for small frees. */
TEST(frees_request_one_delayed_pass)
{
	struct page *p, *q, *s;

	setup(8);
	EXPECT_EQ(schedules, 1);	/* registration asks for a first pass */
	EXPECT_EQ(last_delay, PAGE_REPORTING_DELAY_MS);
	settle();
	s = alloc_pages(GFP_KERNEL | NOWAIT_GFP, 0);
	ASSERT(s);
	host_unheld(s, 0);
	__free_pages(s, 0);
	schedules = 0;
	drain_all_pages(NULL);	/* the page completes an order-10 block again: a request */
	EXPECT_EQ(schedules, 1);
	settle();
	schedules = 0;
	p = alloc_pages(GFP_KERNEL | NOWAIT_GFP, pageblock_order);
	q = alloc_pages(GFP_KERNEL | NOWAIT_GFP, pageblock_order);
	ASSERT(p && q);
	host_unheld(p, pageblock_order);
	host_unheld(q, pageblock_order);
	EXPECT_EQ(schedules, 0);
	__free_pages(p, pageblock_order);
	EXPECT_EQ(schedules, 1);
	__free_pages(q, pageblock_order);
	EXPECT_EQ(schedules, 1);	/* still pending */
	EXPECT(settle() > 0);
	EXPECT_EQ(schedules, 1);
	expect_clean();
	teardown();
}

/* Expect a pass to stop after PAGE_REPORTING_BUDGET batches and ask to be run again at once. */
TEST(budget_bounds_a_pass)
{
	long n;

	setup_mb(512, 1);
	schedules = 0;
	n = page_reporting_process();
	EXPECT_EQ(n, PAGE_REPORTING_BUDGET);
	EXPECT_EQ(calls, PAGE_REPORTING_BUDGET);
	EXPECT_EQ(max_batch, 1);
	EXPECT_EQ(schedules, 1);
	EXPECT_EQ(last_delay, 0);
	expect_clean();
	teardown();
}

/* Expect no reporting while poisoning is on unless the device keeps poison; then poison survives. */
TEST(poison_without_device_support_skips)
{
	setup(8);
	page_poison_enable(true);
	EXPECT_EQ(page_reporting_process(), 0);
	EXPECT_EQ(calls, 0);
	EXPECT_EQ(dev.skipped_poison, 1);
	EXPECT_EQ(page_reporting_count_reported(), 0);
	page_poison_enable(false);
	teardown();
}

/*
 * Expect a batch the device keeps (-EINPROGRESS) to stay out of the buddy,
 * counted (held_*, nr_reporting_held) and known to mm_check, with no new
 * report and no other device registered meanwhile; a late return to come
 * back reported, a release after reset or a reset seen by reclaim() to
 * bring it back unreported.
 */
TEST(held_batch_stays_out_until_returned)
{
	struct page_reporting_dev_info other = { .report = fake_report };
	struct page *head;
	unsigned long free0, held;

	setup(8);
	free0 = nr_free_pages_total();
	report_ret = -EINPROGRESS;
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	EXPECT_EQ(calls, 1);
	EXPECT_EQ(dev.held_blocks, 8);
	held = dev.held_pages;
	EXPECT(held >= 8UL << pageblock_order);
	EXPECT_EQ(held, last_pages);
	EXPECT_EQ(page_reporting_held_pages(), held);
	EXPECT_EQ(vm_stat_read(NR_REPORTING_HELD), held);
	EXPECT_EQ(dev.stalls, 1);
	EXPECT_EQ(vm_stat_read(PGREPORT_STALLS), 1);
	EXPECT_EQ(last_delay, PAGE_REPORTING_DELAY_MS);	/* asks to look again */
	EXPECT(!dev.disabled);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total() + held, free0);
	head = pfn_to_page(last_ents[0].pfn);
	EXPECT(!PageBuddy(head) && !PageReported(head) && !page_ref_count(head));
	expect_clean();
	/* mm_check knows the held pages: one taken into use is a violation */
	set_page_count(head + 1, 1);
	host_quiet = 1;
	EXPECT(mm_check_invariants() >= 1);
	host_quiet = 0;
	set_page_count(head + 1, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* still with the device: asked, nothing new reported */
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	EXPECT_EQ(reclaims, 1);
	EXPECT_EQ(calls, 1);
	page_reporting_unregister(&dev);
	EXPECT_EQ(page_reporting_register(&other), -EBUSY);
	EXPECT_EQ(page_reporting_register(&dev), 0);
	/* the device gives the buffer back late: reported, and reporting goes on */
	report_ret = 0;
	reclaim_ret = 0;
	EXPECT(page_reporting_process() >= 0);
	EXPECT_EQ(dev.late_returns, 1);
	EXPECT_EQ(dev.held_blocks, 0);
	EXPECT_EQ(page_reporting_held_pages(), 0);
	EXPECT(PageBuddy(head) && PageReported(head));
	EXPECT(calls > 1);
	EXPECT_EQ(page_reporting_count_reported(), host_pages);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	expect_clean();
	teardown();

	/* held, then the driver resets the device: back unreported */
	setup(8);
	free0 = nr_free_pages_total();
	report_ret = -EINPROGRESS;
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	EXPECT_EQ(page_reporting_release_held(&other), 0);	/* not its blocks */
	EXPECT_EQ(dev.held_blocks, 8);
	EXPECT_EQ(page_reporting_release_held(&dev), 8);
	EXPECT_EQ(dev.held_pages, 0);
	EXPECT_EQ(vm_stat_read(NR_REPORTING_HELD), 0);
	EXPECT_EQ(page_reporting_count_reported(), 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	expect_clean();
	teardown();

	/* held, then reclaim() finds the device reset: back unreported; a broken device stops reporting */
	setup(8);
	free0 = nr_free_pages_total();
	report_ret = -EINPROGRESS;
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	reclaim_ret = -ENODEV;
	report_ret = -EIO;
	EXPECT_EQ(page_reporting_process(), -EIO);
	EXPECT(dev.disabled);
	EXPECT_EQ(dev.held_blocks, 0);
	EXPECT_EQ(dev.late_returns, 0);
	EXPECT_EQ(page_reporting_count_reported(), 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	expect_clean();
	teardown();
}

/* Expect bad registrations refused with a clear error and a second device refused. */
TEST(register_validates)
{
	struct page_reporting_dev_info other = { .report = fake_report };
	struct page_reporting_dev_info none = { 0 };
	struct page_reporting_dev_info big = { .report = fake_report, .capacity = 33 };

	setup(8);
	EXPECT_EQ(page_reporting_register(&other), -EBUSY);
	page_reporting_unregister(&dev);
	EXPECT_EQ(page_reporting_register(&none), -EINVAL);
	EXPECT_EQ(page_reporting_register(&big), -EINVAL);
	EXPECT_EQ(page_reporting_process(), -EAGAIN);
	EXPECT_EQ(page_reporting_register(&dev), 0);
	EXPECT_EQ(dev.order, pageblock_order);
	EXPECT_EQ(page_reporting_order(), pageblock_order);
	teardown();
}

/* Expect orders outside [pageblock_order - 4, MAX_ORDER] refused, leaving @prdev untouched and nothing registered; both ends accepted. */
TEST(register_validates_order_range)
{
	struct page_reporting_dev_info low = { .report = fake_report, .order = pageblock_order - 5 };
	struct page_reporting_dev_info one = { .report = fake_report, .order = 1 };
	struct page_reporting_dev_info high = { .report = fake_report, .order = MAX_ORDER + 1 };
	struct page_reporting_dev_info lo_ok = { .report = fake_report, .order = pageblock_order - 4 };
	struct page_reporting_dev_info hi_ok = { .report = fake_report, .order = MAX_ORDER };

	setup(8);
	page_reporting_unregister(&dev);
	EXPECT_EQ(page_reporting_register(&low), -EINVAL);
	EXPECT_EQ(low.order, pageblock_order - 5);
	EXPECT_EQ(low.capacity, 0);
	EXPECT(page_reporting_device() == NULL);
	EXPECT_EQ(page_reporting_order(), 0);
	EXPECT_EQ(page_reporting_register(&one), -EINVAL);
	EXPECT(page_reporting_device() == NULL);
	EXPECT_EQ(page_reporting_register(&high), -EINVAL);
	EXPECT(page_reporting_device() == NULL);
	EXPECT_EQ(page_reporting_register(&lo_ok), 0);
	EXPECT_EQ(page_reporting_order(), pageblock_order - 4);
	page_reporting_unregister(&lo_ok);
	EXPECT_EQ(page_reporting_register(&hi_ok), 0);
	EXPECT_EQ(page_reporting_order(), MAX_ORDER);
	page_reporting_unregister(&hi_ok);
	EXPECT_EQ(page_reporting_register(&dev), 0);
	teardown();
}

/* Expect random allocations, frees and passes to keep every invariant (seeded, replayable). */
TEST(random_alloc_free_report)
{
	struct { struct page *p; unsigned int order; } held[256];
	unsigned int nheld = 0;
	unsigned long free0;

	setup(4);
	/*
	 * No per-CPU caching: pages a pcp refill takes but nobody uses would
	 * merge back untouched and be reported again, which the fake device
	 * (seeing only allocations by this test) would call a double report.
	 */
	pcp_set_batch_high(1, 1);
	free0 = nr_free_pages_total();
	for (int step = 0; step < 3000; step++) {
		unsigned int r = (unsigned int)(htest_rand() % 100);

		if (r < 45 && nheld < 256) {
			unsigned int order = (unsigned int)(htest_rand() % (MAX_ORDER + 1));
			struct page *p = alloc_pages(GFP_KERNEL | NOWAIT_GFP, order);

			if (p) {
				EXPECT(!PageReported(p));
				host_unheld(p, order);
				held[nheld].p = p;
				held[nheld++].order = order;
			}
		} else if (r < 90 && nheld) {
			unsigned int i = (unsigned int)(htest_rand() % nheld);

			__free_pages(held[i].p, held[i].order);
			held[i] = held[--nheld];
		} else {
			EXPECT(page_reporting_process() >= 0);
		}
		if (step % 50 == 0)
			expect_sound();
	}
	while (nheld) {
		nheld--;
		__free_pages(held[nheld].p, held[nheld].order);
	}
	for (int i = 0; i < 100 && page_reporting_process() > 0; i++)
		expect_sound();
	expect_sound();
	/*
	 * Re-reports of untouched memory happen here by design: a reported
	 * half merged with a reused half is unreported as a whole (the rule),
	 * and if that block is split again the untouched half is reported
	 * once more. The scripted tests above assert zero double reports.
	 */
	printf("# random: %lu blocks reported, %lu of them wholly untouched since an earlier report\n",
	       dev.reported_blocks, double_reports);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	teardown();
}

/* ------------------------------------------------------------------ */
/* the virtio-balloon reporting queue against the simulated device      */
/* ------------------------------------------------------------------ */

#define FEAT_BASE ((1ull << VIRTIO_BALLOON_F_STATS_VQ) | (1ull << VIRTIO_F_VERSION_1))
#define FEAT_REP (FEAT_BASE | (1ull << VIRTIO_BALLOON_F_REPORTING))

static struct bsim sim;
static struct virtio_balloon vb;

static void vb_setup(uint64_t features)
{
	host_mem_init_mb(128);
	bsim_init(&sim, features, memmap_end_pfn);
	ASSERT_EQ(virtio_balloon_init(&vb, &sim.vdev, &bsim_env), 0);
	vb.timeout_ms = 200;
	drain_all_pages(NULL);
}

static void vb_teardown(void)
{
	virtio_balloon_remove(&vb);
	bsim_destroy(&sim);
	host_mem_teardown();
}

/* Expect REPORTING negotiated with the reporting queue numbered 3 (after stats) and registered. */
TEST(vb_negotiates_reporting_queue)
{
	vb_setup(FEAT_REP);
	EXPECT(virtio_has_feature(vb.vdev, VIRTIO_BALLOON_F_REPORTING));
	ASSERT(vb.reporting_vq);
	EXPECT_EQ(virtqueue_index(vb.reporting_vq), 3);
	EXPECT(page_reporting_device() == &vb.pr_dev);
	vb_teardown();
	/* without stats the queue is number 2 */
	vb_setup((1ull << VIRTIO_BALLOON_F_REPORTING) | (1ull << VIRTIO_F_VERSION_1));
	ASSERT(vb.reporting_vq);
	EXPECT_EQ(virtqueue_index(vb.reporting_vq), 2);
	vb_teardown();
}

/* Expect no reporting when FREE_PAGE_HINT is offered (queue number ambiguous) or poisoning is on without PAGE_POISON. */
TEST(vb_declines_reporting_when_unsafe)
{
	vb_setup(FEAT_REP | (1ull << VIRTIO_BALLOON_F_FREE_PAGE_HINT));
	EXPECT(!virtio_has_feature(vb.vdev, VIRTIO_BALLOON_F_REPORTING));
	EXPECT(!vb.reporting_vq);
	EXPECT(!page_reporting_device());
	vb_teardown();
	host_mem_init_mb(128);
	page_poison_enable(true);
	bsim_init(&sim, FEAT_REP, memmap_end_pfn);
	ASSERT_EQ(virtio_balloon_init(&vb, &sim.vdev, &bsim_env), 0);
	EXPECT(!virtio_has_feature(vb.vdev, VIRTIO_BALLOON_F_REPORTING));
	EXPECT(!page_reporting_device());
	vb_teardown();
	host_mem_init_mb(128);
	page_poison_enable(true);
	bsim_init(&sim, FEAT_REP | (1ull << VIRTIO_BALLOON_F_PAGE_POISON), memmap_end_pfn);
	ASSERT_EQ(virtio_balloon_init(&vb, &sim.vdev, &bsim_env), 0);
	EXPECT(virtio_has_feature(vb.vdev, VIRTIO_BALLOON_F_REPORTING));
	EXPECT(vb.pr_dev.keeps_poison);
	EXPECT_EQ(sim.cfg[3], 0xaaaaaaaau);
	vb_teardown();
}

/* Expect each block sent as one device-writable descriptor of its size, the device to see them free-and-isolated, and the flag set. */
TEST(vb_reports_blocks_to_device)
{
	long n;

	vb_setup(FEAT_REP);
	n = page_reporting_process();
	EXPECT(n > 0);
	EXPECT_EQ(sim.report_errors, 0);
	EXPECT_EQ(sim.reported_blocks, (unsigned long)n);
	EXPECT(sim.report_reqs > 0);
	EXPECT(sim.max_report_segs <= PAGE_REPORTING_CAPACITY);
	EXPECT_EQ(sim.reported_pages, vb.pr_dev.reported_pages);
	EXPECT_EQ(page_reporting_count_reported(), vb.pr_dev.reported_pages);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	/* the balloon itself still works */
	sim.cfg[0] = 1000;
	for (int i = 0; i < 100 && virtio_balloon_step(&vb, 8) == 1; i++)
		;
	EXPECT_EQ(vb.num_pages, 1000);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	vb_teardown();
}

/*
 * Expect a report the device does not complete in time to keep its blocks
 * out of the buddy (counted, checked) while the balloon goes on working,
 * then, once the device uses the buffer late, to give them back reported
 * and to resume reporting.
 */
TEST(vb_report_timeout_holds_blocks_until_used)
{
	unsigned long free0, held, nseg;

	vb_setup(FEAT_REP);
	free0 = nr_free_pages_total();
	sim.report_never = true;
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	EXPECT(vb.report_held);
	EXPECT(!vb.reporting_broken);
	EXPECT(!vb.pr_dev.disabled);
	EXPECT(!vb.broken);
	ASSERT_EQ(sim.q[sim.rep_index].nheld, 1);
	nseg = sim.q[sim.rep_index].held[0].nseg;
	EXPECT_EQ(vb.pr_dev.held_blocks, nseg);
	held = vb.pr_dev.held_pages;
	EXPECT(held >= nseg << pageblock_order);
	EXPECT_EQ(vm_stat_read(NR_REPORTING_HELD), held);
	EXPECT_EQ(vb.pr_dev.stalls, 1);
	EXPECT_EQ(page_reporting_count_reported(), 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total() + held, free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* still held: nothing new is sent */
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	EXPECT_EQ(vb.pr_dev.requests, 1);
	sim.cfg[0] = 300;
	for (int i = 0; i < 100 && virtio_balloon_step(&vb, 8) == 1; i++)
		;
	EXPECT_EQ(vb.num_pages, 300);
	/* the host wakes up and uses the buffer */
	sim.report_never = false;
	bsim_finish_reports(&sim);
	EXPECT(page_reporting_process() >= 0);
	EXPECT(!vb.report_held);
	EXPECT_EQ(vb.pr_dev.late_returns, 1);
	EXPECT_EQ(vb.pr_dev.held_blocks, 0);
	EXPECT_EQ(vm_stat_read(NR_REPORTING_HELD), 0);
	EXPECT(vb.pr_dev.requests > 1);
	EXPECT_EQ(sim.report_errors, 0);
	EXPECT_EQ(sim.reported_pages, vb.pr_dev.reported_pages);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	vb_teardown();
}

/* Allocate every page there is onto @list, each painted with its pfn; returns pages. */
static unsigned long grab_and_paint_all(struct list_head *list)
{
	unsigned long n = 0;
	struct page *p;

	drain_all_pages(NULL);
	while ((p = alloc_pages(GFP_KERNEL | NOWAIT_GFP, 0)) != NULL) {
		unsigned long *w = page_address(p);

		for (unsigned int i = 0; i < PAGE_SIZE / sizeof(*w); i++)
			w[i] = page_to_pfn(p) ^ 0x5a5a5a5aUL;
		list_add(&p->lru, list);
		n++;
	}
	return n;
}

/* Free what grab_and_paint_all() took; returns pages whose painting was lost. */
static unsigned long check_and_free_all(struct list_head *list)
{
	unsigned long lost = 0;

	while (!list_empty(list)) {
		struct page *p = list_first_entry(list, struct page, lru);
		unsigned long *w = page_address(p);

		for (unsigned int i = 0; i < PAGE_SIZE / sizeof(*w); i++)
			if (w[i] != (page_to_pfn(p) ^ 0x5a5a5a5aUL)) {
				lost++;
				break;
			}
		list_del(&p->lru);
		__free_pages(p, 0);
	}
	return lost;
}

/*
 * Expect a report the device answers only after the driver's timeout (a
 * stalled host main loop) never to cost data: the guest uses all of its
 * memory meanwhile, then the host discards what the stale report names,
 * and no page the guest holds may be among them (virtio: a buffer's pages
 * are reused only after the device used it).
 */
TEST(vb_late_report_discards_no_guest_data)
{
	LIST_HEAD(mine);
	unsigned long got, lost;

	vb_setup(FEAT_REP);
	sim.report_never = true;		/* the host stalls ... */
	page_reporting_process();
	EXPECT(sim.q[sim.rep_index].nheld > 0);	/* ... holding a report */
	EXPECT(vb.pr_dev.held_pages > 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	got = grab_and_paint_all(&mine);
	EXPECT(got > 0);
	sim.report_never = false;
	bsim_finish_reports(&sim);		/* ... and wakes up late */
	EXPECT(sim.reported_blocks > 0);
	EXPECT_EQ(sim.report_errors, 0);	/* every page it discarded was free */
	lost = check_and_free_all(&mine);
	EXPECT_EQ(lost, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	vb_teardown();
}

/*
 * Expect a hostile answer (used id out of range) to stop reporting with
 * the batch held (the device never validly used it) until the driver
 * resets the device, and a reset during a report to stop reporting with
 * every block back at once.
 */
TEST(vb_hostile_report_answers)
{
	for (int mode = 0; mode < 2; mode++) {
		unsigned long free0;

		vb_setup(FEAT_REP);
		free0 = nr_free_pages_total();
		if (mode == 0)
			sim.report_bad_id = true;
		else
			sim.report_reset = true;
		EXPECT_EQ(page_reporting_process(), mode == 0 ? -EINPROGRESS : -EIO);
		EXPECT(vb.reporting_broken);
		EXPECT_EQ(vb.pr_dev.reported_blocks, 0);
		EXPECT_EQ(page_reporting_count_reported(), 0);
		EXPECT_EQ(mm_check_invariants(), 0);
		EXPECT_EQ(nr_bad_pages, 0);
		drain_all_pages(NULL);
		if (mode == 0) {
			EXPECT(vb.pr_dev.held_pages > 0);
			EXPECT_EQ(nr_free_pages_total() + vb.pr_dev.held_pages, free0);
			EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
			/* removal resets the device: the batch comes back */
			virtio_balloon_remove(&vb);
			EXPECT_EQ(vb.pr_dev.held_pages, 0);
			EXPECT_EQ(vm_stat_read(NR_REPORTING_HELD), 0);
			drain_all_pages(NULL);
			EXPECT_EQ(nr_free_pages_total(), free0);
			EXPECT_EQ(mm_check_invariants(), 0);
			bsim_destroy(&sim);
			host_mem_teardown();
			continue;
		}
		EXPECT(vb.pr_dev.disabled);
		EXPECT_EQ(nr_free_pages_total(), free0);
		EXPECT_EQ(page_reporting_process(), -EIO);
		vb_teardown();
	}
}

/*
 * Expect removal whose device reset does not complete (status stays
 * DRIVER_OK: a device slow to return a report is slow to reset) to retire
 * the held report for good instead of giving it to the buddy: the device
 * discarding those pages later costs the guest no data, the pages are
 * counted (nr_reporting_retired), checked, and another device may register.
 */
TEST(vb_removal_without_reset_retires_held)
{
	struct page_reporting_dev_info other = { .report = fake_report };
	struct vsim_chain kept;
	LIST_HEAD(mine);
	unsigned long free0, held, lost;
	struct page *head;

	vb_setup(FEAT_REP);
	free0 = nr_free_pages_total();
	sim.report_never = true;
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	ASSERT_EQ(sim.q[sim.rep_index].nheld, 1);
	kept = sim.q[sim.rep_index].held[0];	/* the device keeps this across removal */
	held = vb.pr_dev.held_pages;
	EXPECT(held > 0);
	sim.ignore_reset = true;
	host_quiet = 1;
	virtio_balloon_remove(&vb);
	host_quiet = 0;
	EXPECT(sim.status & VIRTIO_CONFIG_S_DRIVER_OK);	/* the reset did not happen */
	EXPECT(!vb.report_held);
	EXPECT_EQ(vb.pr_dev.held_pages, 0);
	EXPECT_EQ(vm_stat_read(NR_REPORTING_HELD), 0);
	EXPECT_EQ(vb.pr_dev.retired_pages, held);
	EXPECT_EQ(vm_stat_read(NR_REPORTING_RETIRED), held);
	head = pfn_to_page(kept.seg[0].addr >> PAGE_SHIFT);
	EXPECT(PageOffline(head) && page_ref_count(head) == 0 && !PageOfflineSkippable(head) && !PageBuddy(head));
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total() + held, free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* the guest uses all it has, then the device discards what it kept */
	EXPECT(grab_and_paint_all(&mine) > 0);
	for (unsigned int k = 0; k < kept.nseg; k++)
		memset(__va(kept.seg[k].addr), 0, kept.seg[k].len);
	lost = check_and_free_all(&mine);
	EXPECT_EQ(lost, 0);
	/* the held record is gone with the device: another one may report */
	EXPECT_EQ(page_reporting_register(&other), 0);
	page_reporting_unregister(&other);
	EXPECT_EQ(mm_check_invariants(), 0);
	bsim_destroy(&sim);
	host_mem_teardown();
}

static unsigned int wait_polls, end_pass_after;

/* unregister's wait: the pass on "another CPU" ends after end_pass_after polls (0: never). */
static void other_cpu_pass(void)
{
	if (++wait_polls == end_pass_after)
		page_reporting_test_set_running(false);
}

/*
 * Expect unregister to wait for a pass running on another CPU, and, if
 * that pass outlives the wait, a release asked for meanwhile (-EBUSY) to
 * be done by the pass as it ends: the held batch never stays with an
 * unregistered device, so a second device can register afterwards.
 */
TEST(unregister_waits_for_running_pass)
{
	struct page_reporting_dev_info other = { .report = fake_report };
	unsigned long free0;

	for (int mode = 0; mode < 2; mode++) {
		setup(8);
		free0 = nr_free_pages_total();
		report_ret = -EINPROGRESS;
		EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
		EXPECT_EQ(dev.held_blocks, 8);
		wait_polls = 0;
		end_pass_after = mode == 0 ? 3 : 0;
		page_reporting_unregister_wait_hook = other_cpu_pass;
		page_reporting_test_set_running(true);
		if (mode == 0) {
			/* the pass ends during the wait: unregister returns after it */
			EXPECT_EQ(page_reporting_unregister(&dev), 0);
			EXPECT_EQ(wait_polls, 3);
			EXPECT_EQ(page_reporting_release_held(&dev), 8);
		} else {
			/* it outlives the wait: the release is left to the pass */
			EXPECT_EQ(page_reporting_unregister(&dev), -EBUSY);
			EXPECT(wait_polls > 3);
			EXPECT_EQ(page_reporting_release_held(&dev), -EBUSY);
			EXPECT_EQ(dev.held_blocks, 8);
			EXPECT_EQ(page_reporting_register(&other), -EBUSY);
			page_reporting_test_set_running(false);	/* the pass ends */
		}
		EXPECT_EQ(dev.held_blocks, 0);
		EXPECT_EQ(page_reporting_held_pages(), 0);
		page_reporting_unregister_wait_hook = NULL;
		EXPECT_EQ(page_reporting_register(&other), 0);
		page_reporting_unregister(&other);
		drain_all_pages(NULL);
		EXPECT_EQ(nr_free_pages_total(), free0);
		expect_clean();
		EXPECT_EQ(page_reporting_register(&dev), 0);
		teardown();
	}
}

/*
 * Expect a device whose batch is held not to re-register with another
 * order (its blocks go back marked for the order they were taken at), and
 * the late return afterwards to put them back reported.
 */
TEST(register_refuses_changed_order_while_held)
{
	setup(8);
	report_ret = -EINPROGRESS;
	EXPECT_EQ(page_reporting_process(), -EINPROGRESS);
	page_reporting_unregister(&dev);
	dev.order = pageblock_order + 1;
	EXPECT_EQ(page_reporting_register(&dev), -EBUSY);
	EXPECT(page_reporting_device() == NULL);
	EXPECT_EQ(page_reporting_order(), 0);
	dev.order = pageblock_order;
	EXPECT_EQ(page_reporting_register(&dev), 0);
	report_ret = 0;
	reclaim_ret = 0;
	EXPECT(page_reporting_process() >= 0);
	EXPECT_EQ(dev.late_returns, 1);
	EXPECT_EQ(dev.held_blocks, 0);
	expect_clean();
	teardown();
}
