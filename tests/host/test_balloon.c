/*
 * test_balloon.c - balloon compaction (mm/balloon_compaction.c) and the
 * virtio-balloon driver logic (drivers/virtio/virtio_balloon_core.c)
 * against a simulated device (support/balloon_sim.c). After every step:
 * listed + isolated == the driver's count == the PFNs the device holds,
 * and the allocator's own invariants hold.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "support/balloon_sim.h"
#include <drivers/virtio_balloon.h>
#include <mm/page_alloc.h>
#include <mm/migrate.h>
#include <mm/vmstat.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

extern int host_quiet;

#define FEAT_ALL ((1ull << VIRTIO_BALLOON_F_MUST_TELL_HOST) | (1ull << VIRTIO_BALLOON_F_STATS_VQ) | \
		  (1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM) | (1ull << VIRTIO_F_VERSION_1))

static struct bsim sim;
static struct virtio_balloon vb;

static void setup(uint64_t features)
{
	host_mem_init_mb(64);
	migrate_stats_reset();
	bsim_init(&sim, features, memmap_end_pfn);
	ASSERT_EQ(virtio_balloon_init(&vb, &sim.vdev, &bsim_env), 0);
	vb.timeout_ms = 200;
}

static void teardown(void)
{
	bsim_destroy(&sim);
	host_mem_teardown();
}

/* Every PFN the device holds is a balloon page of ours, and the counts agree. */
static void expect_consistent(void)
{
	unsigned long held_offline = 0;

	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	EXPECT_EQ(sim.held_count, vb.num_pages);
	EXPECT_EQ(sim.errors, 0);
	for (unsigned long pfn = 0; pfn < sim.npfn; pfn++)
		if (sim.held[pfn]) {
			struct page *p = pfn_to_page(pfn);

			EXPECT(pfn_valid(pfn) && PageMovableOffline(p) && __PageMovable(p));
			held_offline++;
		}
	EXPECT_EQ(held_offline, vb.num_pages);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
}

/* Run steps until the driver says it is done (bounded). */
static int settle(void)
{
	int ret = 1;

	for (int i = 0; i < 10000 && ret == 1; i++)
		ret = virtio_balloon_step(&vb, 8);
	return ret;
}

/* Expect the driver to negotiate exactly the supported subset and number the queues 0,1,2. */
TEST(negotiates_features_and_queues)
{
	setup(FEAT_ALL | (1ull << VIRTIO_BALLOON_F_FREE_PAGE_HINT));
	EXPECT_EQ(vb.vdev->features, FEAT_ALL);
	EXPECT(vb.inflate_vq && virtqueue_index(vb.inflate_vq) == 0);
	EXPECT(vb.deflate_vq && virtqueue_index(vb.deflate_vq) == 1);
	EXPECT(vb.stats_vq && virtqueue_index(vb.stats_vq) == 2);
	EXPECT(sim.status & VIRTIO_CONFIG_S_DRIVER_OK);
	EXPECT(sim.status & VIRTIO_CONFIG_S_FEATURES_OK);
	teardown();
}

/* Expect inflate to the target in 256-PFN batches with `actual` tracking, then deflate back, every page accounted. */
TEST(inflate_deflate_roundtrip)
{
	unsigned long free0;

	setup(FEAT_ALL);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	sim.cfg[0] = 3000;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vb.num_pages, 3000);
	EXPECT_EQ(sim.cfg[1], 3000);
	EXPECT_EQ(sim.inflate_reqs, (3000 + VB_BATCH - 1) / VB_BATCH);
	expect_consistent();
	sim.cfg[0] = 1000;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vb.num_pages, 1000);
	EXPECT_EQ(sim.cfg[1], 1000);
	expect_consistent();
	sim.cfg[0] = 0;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vb.num_pages, 0);
	expect_consistent();
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	teardown();
}

/* Expect a target beyond RAM (2^32-1) to be clamped and to stop at "no memory" without breaking. */
TEST(huge_target_is_clamped)
{
	setup(FEAT_ALL);
	sim.cfg[0] = 0xffffffffu;
	EXPECT_EQ(settle(), -ENOMEM);
	EXPECT(vb.target <= totalram_pages());
	EXPECT(vb.clamps > 0);
	EXPECT(!vb.broken);
	EXPECT(vb.num_pages > 0);
	expect_consistent();
	sim.cfg[0] = 0;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vb.num_pages, 0);
	expect_consistent();
	teardown();
}

/* Expect a device that never completes to end in a bounded error, broken balloon, and no page lost or reused. */
TEST(never_completing_device_breaks_cleanly)
{
	setup(FEAT_ALL);
	sim.cfg[0] = 512;
	EXPECT_EQ(settle(), 0);
	sim.never = true;
	sim.cfg[0] = 0;
	EXPECT_EQ(settle(), -EIO);
	EXPECT(vb.broken);
	EXPECT_EQ(vb.timeouts, 1);
	/* the deflate was not acknowledged: the pages are still the balloon's */
	EXPECT_EQ(vb.num_pages, 512);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	EXPECT_EQ(virtio_balloon_step(&vb, 1), -EIO);
	EXPECT_EQ(mm_check_invariants(), 0);
	teardown();
}

/* Expect a device reset in the middle of an inflate to break the balloon with the batch still accounted. */
TEST(reset_mid_inflate)
{
	setup(FEAT_ALL);
	sim.reset_on_next = true;
	sim.cfg[0] = 300;
	EXPECT_EQ(settle(), -EIO);
	EXPECT(vb.broken);
	EXPECT_EQ(vb.num_pages, VB_BATCH);	/* the batch in flight stays ballooned */
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	teardown();
}

/* Target allocator for migration. */
static struct page *new_any(struct page *page, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
}

/* Expect isolation + migrate_pages to move balloon pages: host told inflate new/deflate old, counts unchanged. */
TEST(compaction_moves_balloon_pages)
{
	LIST_HEAD(iso);
	struct page *page, *next;
	unsigned long n = 0, held_before;
	unsigned int ok = 0;
	unsigned long *old_pfns = calloc(64, sizeof(*old_pfns));

	setup(FEAT_ALL);
	sim.cfg[0] = 400;
	EXPECT_EQ(settle(), 0);
	held_before = vb.num_pages;
	list_for_each_entry_safe(page, next, &vb.b_dev_info.pages, lru) {
		if (n == 64)
			break;
		old_pfns[n] = page_to_pfn(page);
		if (isolate_movable_page(page, 0)) {
			list_add_tail(&page->lru, &iso);
			n++;
		}
	}
	EXPECT_EQ(n, 64);
	EXPECT_EQ(vb.b_dev_info.isolated_pages, 64);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);	/* listed + isolated == held */
	EXPECT_EQ(migrate_pages(&iso, new_any, NULL, 0, MIGRATE_SYNC, MR_COMPACTION, &ok), 0);
	putback_movable_pages(&iso);
	EXPECT_EQ(ok, 64);
	EXPECT_EQ(vb.migrated, 64);
	EXPECT_EQ(vb.b_dev_info.isolated_pages, 0);
	EXPECT_EQ(vb.num_pages, held_before);
	/*
	 * Each old pfn was deflated; the host holds it again only if a later
	 * migration reused it as a target, and then it is a balloon page:
	 * held by the host exactly when PageOffline.
	 */
	for (unsigned long i = 0; i < n; i++)
		EXPECT_EQ(sim.held[old_pfns[i]], PageMovableOffline(pfn_to_page(old_pfns[i])));
	EXPECT_EQ(sim.deflate_reqs, 64);		/* one "deflate old" per migrated page */
	expect_consistent();
	sim.cfg[0] = 0;
	EXPECT_EQ(settle(), 0);
	expect_consistent();
	free(old_pfns);
	teardown();
}

static LIST_HEAD(spare_targets);

/* Compaction-style put_new_page: an unused target goes to a free list. */
static void put_spare(struct page *page, unsigned long private)
{
	list_add(&page->lru, &spare_targets);
}

/* The target page migrate_pages() took for the last migration (new_seen). */
static struct page *last_target;

/* Target allocator that remembers its page. */
static struct page *new_seen(struct page *page, unsigned long private)
{
	last_target = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
	return last_target;
}

/* Set up a balloon of 100 pages, isolate its first page onto @iso as compaction would; returns it. */
static struct page *inflate_100_isolate_one(struct list_head *iso)
{
	struct page *page;

	setup(FEAT_ALL);
	sim.cfg[0] = 100;
	EXPECT_EQ(settle(), 0);
	page = list_first_entry(&vb.b_dev_info.pages, struct page, lru);
	ASSERT(isolate_movable_page(page, 0));
	list_add(&page->lru, iso);
	last_target = NULL;
	return page;
}

/*
 * Expect a migration the host does not answer at all to be reported as a
 * failure: pgmigrate_fail (not _success) counts it, the old page is back on
 * the list, the target page comes back to the caller untouched (seed 004),
 * no page is left outside the list, and num_pages and `actual` are
 * unchanged.
 */
TEST(unanswered_migration_fails_and_keeps_the_page)
{
	LIST_HEAD(iso);
	struct page *page;
	unsigned int ok = 0;
	unsigned long success0, fail0;

	page = inflate_100_isolate_one(&iso);
	success0 = vm_stat_read(PGMIGRATE_SUCCESS);
	fail0 = vm_stat_read(PGMIGRATE_FAIL);
	sim.never = true;
	host_quiet = 1;
	EXPECT_EQ(migrate_pages(&iso, new_seen, put_spare, 0, MIGRATE_SYNC, MR_COMPACTION, &ok), 1);
	host_quiet = 0;
	EXPECT_EQ(ok, 0);
	EXPECT_EQ(vm_stat_read(PGMIGRATE_SUCCESS) - success0, 0);
	EXPECT_EQ(vm_stat_read(PGMIGRATE_FAIL) - fail0, 1);
	EXPECT(list_empty(&iso));		/* an error other than -EAGAIN: put back */
	EXPECT(vb.broken);
	EXPECT_EQ(vb.migrate_failed, 1);
	EXPECT_EQ(vb.migrated, 0);
	/* the old page is a listed balloon page again */
	EXPECT(PageMovableOffline(page) && __PageMovable(page) && !PageIsolated(page));
	EXPECT_EQ(page_ref_count(page), 1);
	EXPECT_EQ(vb.b_dev_info.isolated_pages, 0);
	EXPECT_EQ(balloon_page_count(&vb.b_dev_info), 100);
	EXPECT_EQ(vb.num_pages, 100);
	EXPECT_EQ(sim.cfg[1], 100);		/* actual */
	EXPECT_EQ(sim.cfg[1], vb.num_pages);
	/* the target came back untouched, to the caller's free list */
	ASSERT(last_target != NULL);
	EXPECT(!list_empty(&spare_targets) && list_first_entry(&spare_targets, struct page, lru) == last_target);
	EXPECT(!PageMovableOffline(last_target) && !__PageMovable(last_target) && !PageLocked(last_target));
	EXPECT_EQ(page_ref_count(last_target), 1);
	if (!list_empty(&spare_targets)) {
		list_del(&last_target->lru);
		__free_page(last_target);
	}
	EXPECT(list_empty(&spare_targets));
	/* every offline page in memory is a listed balloon page */
	for (unsigned long pfn = 0; pfn < sim.npfn; pfn++)
		if (pfn_valid(pfn) && PageMovableOffline(pfn_to_page(pfn)))
			EXPECT(__PageMovable(pfn_to_page(pfn)) && !PageIsolated(pfn_to_page(pfn)));
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
	teardown();
}

/*
 * Expect a migration whose "deflate old page" the host acknowledged but
 * whose "inflate new page" it left unanswered to be a completed move (the
 * old page is the guest's again, freed; the new one is ballooned like any
 * unanswered inflate), with num_pages and `actual` unchanged, the balloon
 * broken, and the invariant intact.
 */
TEST(migration_with_unanswered_inflate_keeps_count_and_actual)
{
	LIST_HEAD(iso);
	struct page *page;
	unsigned int ok = 0;

	page = inflate_100_isolate_one(&iso);
	sim.never_inflate = true;
	host_quiet = 1;
	migrate_pages(&iso, new_seen, put_spare, 0, MIGRATE_SYNC, MR_COMPACTION, &ok);
	host_quiet = 0;
	EXPECT(list_empty(&iso));
	EXPECT(vb.broken);
	EXPECT_EQ(vb.num_pages, 100);
	EXPECT_EQ(sim.cfg[1], 100);		/* actual */
	EXPECT_EQ(sim.cfg[1], vb.num_pages);
	EXPECT_EQ(vb.b_dev_info.isolated_pages, 0);
	EXPECT_EQ(ok, 1);
	EXPECT_EQ(vb.migrated, 1);
	EXPECT(!PageMovableOffline(page));		/* the old page left the balloon */
	EXPECT_EQ(page_ref_count(page), 0);
	ASSERT(last_target != NULL);
	EXPECT(PageMovableOffline(last_target) && __PageMovable(last_target));
	EXPECT_EQ(page_ref_count(last_target), 1);
	EXPECT_EQ(balloon_page_count(&vb.b_dev_info), 100);
	EXPECT(list_empty(&spare_targets));
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
	teardown();
}

/* Expect a deflate the host never acknowledged to count neither a deflate nor an inflate (vmstat). */
TEST(failed_deflate_counts_nothing)
{
	setup(FEAT_ALL);
	sim.cfg[0] = 300;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vm_stat_read(BALLOON_INFLATE), 300);
	EXPECT_EQ(vm_stat_read(BALLOON_DEFLATE), 0);
	sim.cfg[0] = 100;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vm_stat_read(BALLOON_INFLATE), 300);
	EXPECT_EQ(vm_stat_read(BALLOON_DEFLATE), 200);
	sim.never = true;
	sim.cfg[0] = 0;
	host_quiet = 1;
	EXPECT_EQ(settle(), -EIO);
	host_quiet = 0;
	EXPECT(vb.broken);
	EXPECT_EQ(vb.num_pages, 100);
	EXPECT_EQ(vm_stat_read(BALLOON_INFLATE), 300);
	EXPECT_EQ(vm_stat_read(BALLOON_DEFLATE), 200);
	EXPECT_EQ(vb.deflated, 200);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	teardown();
}

/*
 * "The other CPU" of failed_deflate_requeues_a_page_an_isolator_holds: a
 * scanner that found stale_page movable (lockless) before the deflate
 * dequeued it, and takes its page lock while the deflate waits.
 */
static struct page *stale_page;
static bool stale_locked;
static unsigned int stale_contended_calls;
static struct virtio_balloon_env stale_env;

/* The device's turn, then the scanner's trylock once the page left the list. */
static void stale_wait_poll(struct virtio_balloon *v)
{
	bsim_run(&sim);
	if (stale_page && !stale_locked && !__PageMovable(stale_page)) {
		EXPECT(trylock_page(stale_page));
		stale_locked = true;
	}
}

/* The requeue found the page locked: the scanner re-tests, gives up, unlocks. */
static void stale_contended(struct page *page)
{
	stale_contended_calls++;
	EXPECT(page == stale_page && stale_locked);
	if (page != stale_page || !stale_locked)
		return;
	EXPECT(!PageMovable(page));		/* the re-test under the lock fails */
	unlock_page(page);
	put_page(page);				/* isolate_movable_page's out_putpage */
	stale_locked = false;
	stale_page = NULL;
}

/*
 * Expect a failed deflate to give its pages back to the balloon although a
 * scanner holds the page lock of one of them (it passed the lockless
 * __PageMovable test before the dequeue): the requeue waits for the lock
 * instead of asserting it is free, and the page ends listed, offline and
 * movable again with only the balloon's reference.
 */
TEST(failed_deflate_requeues_a_page_an_isolator_holds)
{
	struct page *page;

	setup(FEAT_ALL);
	sim.cfg[0] = 64;
	EXPECT_EQ(settle(), 0);
	stale_env = bsim_env;
	stale_env.wait_poll = stale_wait_poll;
	vb.env = &stale_env;
	balloon_requeue_contended_hook = stale_contended;
	stale_contended_calls = 0;
	stale_locked = false;
	page = list_first_entry(&vb.b_dev_info.pages, struct page, lru);
	/* the scanner's lockless steps, before the deflate starts */
	ASSERT(get_page_unless_zero(page));
	ASSERT(__PageMovable(page));
	stale_page = page;
	sim.never = true;
	sim.cfg[0] = 0;
	host_quiet = 1;
	EXPECT_EQ(settle(), -EIO);
	host_quiet = 0;
	balloon_requeue_contended_hook = NULL;
	EXPECT_EQ(stale_contended_calls, 1);
	EXPECT(!stale_locked);
	EXPECT(vb.broken);
	EXPECT_EQ(vb.num_pages, 64);
	EXPECT_EQ(balloon_page_count(&vb.b_dev_info), 64);
	EXPECT(PageMovableOffline(page) && __PageMovable(page) && !PageLocked(page));
	EXPECT_EQ(page_ref_count(page), 1);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	vb.env = &bsim_env;
	teardown();
}

/*
 * "The other CPU" of remove_waits_for_isolated_pages: compaction holding
 * pages isolated, which finishes (tries to migrate them, then puts back
 * what failed) only once remove waits for it rather than for the device.
 */
static LIST_HEAD(remote_iso);
static bool removing;
static unsigned int remote_turns, remote_migrated;
static struct virtio_balloon_env remote_env;

static void remote_wait_poll(struct virtio_balloon *v)
{
	bool in_flight = false;

	for (int i = 0; i < 2; i++)
		if (sim.have_q[i] && (vsim_avail_pending(&sim.q[i]) || sim.q[i].nheld))
			in_flight = true;
	if (!in_flight && removing && !list_empty(&remote_iso)) {
		unsigned int ok = 0;

		remote_turns++;
		migrate_pages(&remote_iso, new_any, NULL, 0, MIGRATE_SYNC, MR_COMPACTION, &ok);
		remote_migrated += ok;
		putback_movable_pages(&remote_iso);
	}
	bsim_run(&sim);
}

/*
 * Expect virtio_balloon_remove() to wait for the pages compaction holds
 * isolated (no migration succeeds meanwhile), take them back with the
 * rest, and end with no page left: num_pages 0, nothing listed or
 * isolated, the host holding nothing, every page free again. A putback
 * after remove must not find anything to land on.
 */
TEST(remove_waits_for_isolated_pages)
{
	struct page *page, *next;
	unsigned long free0, n = 0;
	unsigned long pfns[2];

	setup(FEAT_ALL);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	sim.cfg[0] = 100;
	EXPECT_EQ(settle(), 0);
	list_for_each_entry_safe(page, next, &vb.b_dev_info.pages, lru) {
		if (n == 2)
			break;
		pfns[n] = page_to_pfn(page);
		if (isolate_movable_page(page, 0)) {
			list_add_tail(&page->lru, &remote_iso);
			n++;
		}
	}
	ASSERT_EQ(n, 2);
	remote_env = bsim_env;
	remote_env.wait_poll = remote_wait_poll;
	vb.env = &remote_env;
	remote_turns = remote_migrated = 0;
	removing = true;
	host_quiet = 1;
	virtio_balloon_remove(&vb);
	host_quiet = 0;
	removing = false;
	EXPECT(remote_turns > 0);
	EXPECT_EQ(remote_migrated, 0);
	EXPECT(list_empty(&remote_iso));
	EXPECT_EQ(vb.num_pages, 0);
	EXPECT_EQ(vb.b_dev_info.isolated_pages, 0);
	EXPECT_EQ(balloon_page_count(&vb.b_dev_info), 0);
	EXPECT_EQ(sim.held_count, 0);
	/*
	 * The late putback happened inside the wait (remote_wait_poll, while
	 * removal waited: remote_turns > 0 above); after removal the list is
	 * empty, so there is nothing left to put back here.
	 */
	for (unsigned long i = 0; i < 2; i++) {
		page = pfn_to_page(pfns[i]);
		EXPECT(!PageMovableOffline(page) && !__PageMovable(page));
		EXPECT_EQ(page_ref_count(page), 0);
	}
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
	vb.env = &bsim_env;
	teardown();
}

extern unsigned long host_warn_count;

/*
 * Expect removal to end, with a warning, when num_pages claims more pages
 * than the balloon has (a broken invariant): the deflate loop must not
 * retry -EAGAIN for ever; every real balloon page is still given back.
 */
TEST(remove_ends_when_num_pages_exceeds_pages)
{
	unsigned long free0, warns0;

	setup(FEAT_ALL);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	sim.cfg[0] = 100;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vb.num_pages, 100);
	vb.num_pages += 5;		/* five pages the balloon does not have */
	warns0 = host_warn_count;
	host_quiet = 1;
	virtio_balloon_remove(&vb);
	host_quiet = 0;
	EXPECT(host_warn_count >= warns0 + 1);
	EXPECT_EQ(vb.num_pages, 5);	/* the missing five stay counted, not invented */
	EXPECT_EQ(balloon_page_count(&vb.b_dev_info), 0);
	EXPECT_EQ(sim.held_count, 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	teardown();
}

/* Expect isolated-then-put-back balloon pages to return to the list, and migration to say -EAGAIN while the balloon is busy. */
TEST(putback_and_busy_migration)
{
	LIST_HEAD(iso);
	unsigned int ok = 0;

	inflate_100_isolate_one(&iso);
	EXPECT_EQ(virtio_balloon_check(&vb), 0);
	spin_lock(&vb.lock);			/* the driver is busy inflating */
	EXPECT(migrate_pages(&iso, new_any, NULL, 0, MIGRATE_SYNC, MR_COMPACTION, &ok) > 0);
	spin_unlock(&vb.lock);
	EXPECT_EQ(ok, 0);
	EXPECT(vb.migrate_busy > 0);
	putback_movable_pages(&iso);
	EXPECT_EQ(vb.b_dev_info.isolated_pages, 0);
	EXPECT_EQ(balloon_page_count(&vb.b_dev_info), 100);
	expect_consistent();
	teardown();
}

/* Expect deflate-on-OOM to give pages back only when negotiated, and to hold off re-inflation until a new target. */
TEST(deflate_on_oom)
{
	setup(FEAT_ALL & ~(1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM));
	sim.cfg[0] = 600;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(virtio_balloon_oom_deflate(&vb, 256), 0);
	teardown();

	setup(FEAT_ALL);
	sim.cfg[0] = 600;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(virtio_balloon_oom_deflate(&vb, 256), 256);
	EXPECT_EQ(vb.num_pages, 344);
	EXPECT_EQ(sim.cfg[1], 344);
	expect_consistent();
	EXPECT_EQ(settle(), 0);			/* same target: no re-inflation */
	EXPECT_EQ(vb.num_pages, 344);
	sim.cfg[0] = 700;			/* a new target lifts the hold */
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vb.num_pages, 700);
	expect_consistent();
	teardown();
}

/* Expect random targets interleaved with random migrations to keep every page accounted (seeded). */
TEST(random_targets_and_migrations)
{
	uint64_t iters = htest_iters(60);

	setup(FEAT_ALL);
	for (uint64_t it = 0; it < iters; it++) {
		LIST_HEAD(iso);
		struct page *page, *next;
		unsigned int ok = 0, want = (unsigned int)(htest_rand() % 8) + 1, n = 0;

		sim.cfg[0] = (uint32_t)(htest_rand() % 4000);
		virtio_balloon_step(&vb, (unsigned int)(htest_rand() % 6) + 1);
		list_for_each_entry_safe(page, next, &vb.b_dev_info.pages, lru) {
			if (n == want)
				break;
			if (htest_rand() % 3 == 0 && isolate_movable_page(page, 0)) {
				list_add_tail(&page->lru, &iso);
				n++;
			}
		}
		EXPECT_EQ(virtio_balloon_check(&vb), 0);
		if (htest_rand() & 1)
			migrate_pages(&iso, new_any, NULL, 0, MIGRATE_SYNC, MR_COMPACTION, &ok);
		putback_movable_pages(&iso);
		expect_consistent();
	}
	sim.cfg[0] = 0;
	EXPECT_EQ(settle(), 0);
	EXPECT_EQ(vb.num_pages, 0);
	expect_consistent();
	teardown();
}

/*
 * Expect the stats buffer to carry MEMFREE/MEMTOT equal to the allocator's
 * own figures and AVAIL equal to si_mem_available() (Linux's meaning: what
 * can be allocated without pushing the zones below their reserve), which
 * here differs from MEMFREE.
 */
TEST(stats_values)
{
	unsigned int n;
	bool seen_free = false, seen_tot = false, seen_avail = false;
	struct page *one;

	setup(FEAT_ALL);
	one = alloc_pages(GFP_KERNEL, 0);	/* a per-CPU list with pages on it */
	ASSERT(one);
	EXPECT(si_mem_available() != nr_free_pages());
	n = virtio_balloon_fill_stats(&vb);
	EXPECT(n <= VB_NR_STATS);
	for (unsigned int i = 0; i < n; i++) {
		if (vb.stats[i].tag == VIRTIO_BALLOON_S_MEMFREE) {
			EXPECT_EQ(vb.stats[i].val, (uint64_t)nr_free_pages() << PAGE_SHIFT);
			seen_free = true;
		}
		if (vb.stats[i].tag == VIRTIO_BALLOON_S_MEMTOT) {
			EXPECT_EQ(vb.stats[i].val, (uint64_t)totalram_pages() << PAGE_SHIFT);
			seen_tot = true;
		}
		if (vb.stats[i].tag == VIRTIO_BALLOON_S_AVAIL) {
			EXPECT_EQ(vb.stats[i].val, (uint64_t)si_mem_available() << PAGE_SHIFT);
			seen_avail = true;
		}
	}
	__free_pages(one, 0);
	EXPECT(seen_avail);
	EXPECT(seen_free && seen_tot);
	EXPECT_EQ(sizeof(struct virtio_balloon_stat), 10);
	teardown();
}
