/*
 * test_shrinker.c - mm/shrinker.c: shrinkers asked by the allocation slow
 * path and by shrink_memory(), their answers checked, a stuck scan reported,
 * and the pressure levels with hysteresis.
 *
 * The test cache ("pagecache") holds order-0 pages on a list; its scan
 * frees the oldest. Misbehaving variants answer what a test sets.
 */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/page_alloc.h>
#include <mm/shrinker.h>
#include <mm/page.h>
#include <kernel/list.h>
#include <errno.h>
#include <string.h>
#include "support/balloon_sim.h"
#include <drivers/virtio_balloon.h>

struct tcache {
	struct shrinker s;
	struct list_head pages;
	unsigned long nr;
	long count_ret, scan_ret;	/* override when set (misbehaving modes) */
	bool override_count, override_scan;
	bool reenter;			/* scan calls shrink_memory itself */
	bool tick_inside;		/* scan advances the clock and runs the watchdog */
	bool watchdog_fired;
};

static struct tcache cache;
static uint64_t fake_ns;

static uint64_t fake_clock(void) { return fake_ns; }

static long tc_count(struct shrinker *s)
{
	struct tcache *c = s->priv;

	return c->override_count ? c->count_ret : (long)c->nr;
}

static long tc_scan(struct shrinker *s, unsigned long nr)
{
	struct tcache *c = s->priv;
	unsigned long freed = 0;

	if (c->reenter)
		EXPECT_EQ(shrink_memory(4, SHRINK_EXPLICIT), 0);
	if (c->tick_inside) {
		EXPECT(!shrinker_watchdog(fake_ns + 10));	/* not late yet */
		fake_ns += 2000ull * 1000000u;			/* 2 s pass */
		c->watchdog_fired = shrinker_watchdog(fake_ns);
	}
	while (freed < nr && !list_empty(&c->pages)) {
		struct page *p = list_first_entry(&c->pages, struct page, lru);

		list_del(&p->lru);
		__free_page(p);
		c->nr--;
		freed++;
	}
	return c->override_scan ? c->scan_ret : (long)freed;
}

/* Start: 16 MiB of memory, a cache holding @fill pages (or every page it can get when 0). */
static void setup(unsigned long fill)
{
	host_mem_init_mb(16);
	shrinker_reset();
	memset(&cache, 0, sizeof(cache));
	INIT_LIST_HEAD(&cache.pages);
	cache.s.name = "pagecache";
	cache.s.count = tc_count;
	cache.s.scan = tc_scan;
	cache.s.priv = &cache;
	/*
	 * fill == 0: every page, until a drain of the per-CPU lists (whose
	 * refills ignore the watermark) leaves nothing a GFP_NOWAIT can take.
	 */
	for (;;) {
		struct page *p;

		if (fill && cache.nr == fill)
			break;
		p = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
		if (!p && !fill) {
			drain_all_pages(NULL);
			p = alloc_page(GFP_NOWAIT | __GFP_NOWARN);
		}
		if (!p)
			break;
		list_add_tail(&p->lru, &cache.pages);
		cache.nr++;
	}
	ASSERT_EQ(register_shrinker(&cache.s), 0);
}

static void teardown(void)
{
	unregister_shrinker(&cache.s);
	while (!list_empty(&cache.pages)) {
		struct page *p = list_first_entry(&cache.pages, struct page, lru);

		list_del(&p->lru);
		__free_page(p);
	}
	shrinker_clock_ns = NULL;
	host_mem_teardown();
}

/* Expect registration to refuse a shrinker without callbacks (-EINVAL) and a second registration (-EBUSY). */
TEST(register_checks)
{
	struct shrinker bad = { .name = "bad" };

	setup(10);
	EXPECT_EQ(register_shrinker(&bad), -EINVAL);
	EXPECT_EQ(register_shrinker(&cache.s), -EBUSY);
	EXPECT_EQ(shrinker_count_all(), 10);
	teardown();
}

/* Expect shrink_memory(50) to free exactly 50 of 200 cached pages, and the counts to say so. */
TEST(shrink_memory_frees_what_is_asked)
{
	setup(200);
	unsigned long before = nr_free_pages_total();

	EXPECT_EQ(shrink_memory(50, SHRINK_EXPLICIT), 50);
	EXPECT_EQ(cache.nr, 150);
	EXPECT_EQ(nr_free_pages_total() - before, 50);
	EXPECT_EQ(cache.s.freed, 50);
	EXPECT_EQ(cache.s.scan_calls, 1);
	EXPECT_EQ(shrink_stats.freed[SHRINK_EXPLICIT], 50);
	/* asking more than the cache has: everything, no error */
	EXPECT_EQ(shrink_memory(1000, SHRINK_EXPLICIT), 150);
	EXPECT_EQ(cache.nr, 0);
	EXPECT_EQ(cache.s.errors, 0);
	teardown();
}

/* Expect a GFP_KERNEL allocation in full memory to succeed through the cache's shrinker, and a GFP_NOWAIT one to fail without calling it. */
TEST(slowpath_calls_shrinkers)
{
	setup(0);
	ASSERT(cache.nr > 1000);
	EXPECT(alloc_page(GFP_NOWAIT | __GFP_NOWARN) == NULL);
	EXPECT_EQ(cache.s.scan_calls, 0);
	struct page *p = alloc_page(GFP_KERNEL);
	EXPECT(p != NULL);
	EXPECT(cache.s.scan_calls >= 1);
	EXPECT(cache.s.freed >= 1);
	EXPECT_EQ(shrink_stats.calls[SHRINK_ALLOC], cache.s.scan_calls);
	if (p)
		__free_page(p);
	teardown();
}

/* Expect a negative count to be reported, read as 0 (no scan), and the shrinker disabled after SHRINKER_MAX_ERRORS reports. */
TEST(negative_count_reported_then_disabled)
{
	setup(20);
	cache.override_count = true;
	cache.count_ret = -5;
	for (int i = 0; i < SHRINKER_MAX_ERRORS; i++)
		EXPECT_EQ(shrink_memory(10, SHRINK_EXPLICIT), 0);
	EXPECT_EQ(cache.s.errors, SHRINKER_MAX_ERRORS);
	EXPECT(cache.s.disabled);
	EXPECT_EQ(cache.s.scan_calls, 0);
	/* disabled: not even asked to count again */
	unsigned long counts = cache.s.count_calls;
	cache.override_count = false;
	EXPECT_EQ(shrink_memory(10, SHRINK_EXPLICIT), 0);
	EXPECT_EQ(cache.s.count_calls, counts);
	EXPECT_EQ(cache.nr, 20);
	teardown();
}

/* Expect a scan claiming more than asked to be credited as asked and counted as an error. */
TEST(overclaim_credited_as_asked)
{
	setup(100);
	cache.override_scan = true;
	cache.scan_ret = 5000;
	EXPECT_EQ(shrink_memory(10, SHRINK_EXPLICIT), 10);
	EXPECT_EQ(cache.s.errors, 1);
	EXPECT_EQ(cache.s.freed, 10);
	EXPECT(!cache.s.disabled);
	teardown();
}

/* Expect a negative scan result other than SHRINK_STOP to be an error read as 0, and SHRINK_STOP to be no error. */
TEST(negative_scan_and_stop)
{
	setup(100);
	cache.override_scan = true;
	cache.scan_ret = -42;
	EXPECT_EQ(shrink_memory(10, SHRINK_EXPLICIT), 0);
	EXPECT_EQ(cache.s.errors, 1);
	cache.scan_ret = SHRINK_STOP;
	EXPECT_EQ(shrink_memory(10, SHRINK_EXPLICIT), 0);
	EXPECT_EQ(cache.s.errors, 1);
	EXPECT_EQ(cache.s.stops, 1);
	teardown();
}

/* Expect a shrink started from inside a scan to return 0 at once and be counted as re-entered. */
TEST(reentry_refused)
{
	setup(100);
	cache.reenter = true;
	EXPECT_EQ(shrink_memory(10, SHRINK_EXPLICIT), 10);
	EXPECT_EQ(shrink_stats.reentered, 1);
	teardown();
}

/* Expect the watchdog to report a scan running past the deadline while it runs, and the late return to count as an error. */
TEST(stuck_scan_reported)
{
	setup(100);
	shrinker_clock_ns = fake_clock;
	fake_ns = 1000;
	cache.tick_inside = true;
	EXPECT(!shrinker_watchdog(fake_ns + 5000ull * 1000000u));	/* no scan running */
	EXPECT_EQ(shrink_memory(10, SHRINK_EXPLICIT), 10);
	EXPECT(cache.watchdog_fired);
	EXPECT_EQ(cache.s.late, 1);
	EXPECT_EQ(cache.s.errors, 1);
	EXPECT(!shrinker_watchdog(fake_ns + 5000ull * 1000000u));	/* it returned */
	teardown();
}

struct rec { enum pressure_level lv[16]; int n; };
static struct rec rec;

static void rec_notify(struct pressure_notifier *n, enum pressure_level l, unsigned long free)
{
	if (rec.n < 16)
		rec.lv[rec.n++] = l;
}

/* Expect LOW/CRITICAL on the way down at the thresholds, and recovery only past threshold + hysteresis. */
TEST(pressure_hysteresis)
{
	struct pressure_notifier n = { .notify = rec_notify };

	setup(1);
	memset(&rec, 0, sizeof(rec));
	EXPECT_EQ(pressure_set_thresholds(100, 200, 10), -EINVAL);
	ASSERT_EQ(pressure_set_thresholds(1000, 200, 50), 0);
	register_pressure_notifier(&n);
	EXPECT_EQ(pressure_update(5000), PRESSURE_NONE);
	EXPECT_EQ(pressure_update(999), PRESSURE_LOW);
	EXPECT_EQ(pressure_update(1001), PRESSURE_LOW);		/* inside hysteresis */
	EXPECT_EQ(pressure_update(1049), PRESSURE_LOW);
	EXPECT_EQ(pressure_update(199), PRESSURE_CRITICAL);
	EXPECT_EQ(pressure_update(240), PRESSURE_CRITICAL);	/* inside hysteresis */
	EXPECT_EQ(pressure_update(260), PRESSURE_LOW);
	EXPECT_EQ(pressure_update(1050), PRESSURE_NONE);	/* recovered */
	EXPECT_EQ(pressure_update(1200), PRESSURE_NONE);
	ASSERT_EQ(rec.n, 4);
	EXPECT_EQ(rec.lv[0], PRESSURE_LOW);
	EXPECT_EQ(rec.lv[1], PRESSURE_CRITICAL);
	EXPECT_EQ(rec.lv[2], PRESSURE_LOW);
	EXPECT_EQ(rec.lv[3], PRESSURE_NONE);
	EXPECT_EQ(pressure_events, 4);
	unregister_pressure_notifier(&n);
	teardown();
}

/* Expect a balloon inflate of 2000 pages into memory a cache fills to complete: the shrinker frees the pages, the device holds 2000. */
TEST(balloon_inflate_shrinks_cache)
{
	static struct bsim sim;
	static struct virtio_balloon vb;
	int ret = 1;

	setup(0);
	ASSERT(cache.nr > 3000);
	bsim_init(&sim, (1ull << VIRTIO_BALLOON_F_MUST_TELL_HOST) | (1ull << VIRTIO_F_VERSION_1),
		  memmap_end_pfn);
	ASSERT_EQ(virtio_balloon_init(&vb, &sim.vdev, &bsim_env), 0);
	vb.timeout_ms = 200;
	sim.cfg[0] = 2000;
	for (int i = 0; i < 1000 && ret == 1; i++)
		ret = virtio_balloon_step(&vb, 8);
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(vb.num_pages, 2000);
	EXPECT_EQ(sim.held_count, 2000);
	EXPECT_EQ(sim.cfg[1], 2000);
	EXPECT(cache.s.freed >= 2000);
	EXPECT(vb.inflate_shrunk > 0);
	EXPECT_EQ(shrink_stats.calls[SHRINK_BALLOON], vb.inflate_shrunk);
	EXPECT_EQ(cache.s.errors, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	bsim_destroy(&sim);
	teardown();
}
