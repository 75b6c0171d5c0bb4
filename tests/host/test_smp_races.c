/*
 * test_smp_races.c - the interleavings a review found, forced every run
 * with threads standing in for CPUs and a test-only hook (HOST_BUILD) at
 * the point where the other CPU must act. Each test failed on the code
 * before its fix; see docs/testing-concurrency.md for the failing lines.
 *
 * A hook that hands control to the other thread cannot simply wait for it
 * to finish: with the fix in place the other thread is (correctly) blocked
 * on the lock the hooked thread holds. So the hook starts the other thread
 * and gives it HOOK_GRACE_MS to get as far as it can; on the old code that
 * is the whole operation (it takes microseconds), on the fixed code it is
 * waiting at the lock and finishes after the hooked thread lets go.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "support/balloon_sim.h"
#include <drivers/virtio_balloon.h>
#include <mm/page_alloc.h>
#include <mm/shrinker.h>
#include <mm/page.h>
#include <pthread.h>
#include "support/host_smp.h"
#include <time.h>
#include <errno.h>

#define HOOK_GRACE_MS	100

static struct bsim sim;
static struct virtio_balloon vb;
static pthread_t other;
static bool other_started;

#define FEAT_STATS ((1ull << VIRTIO_BALLOON_F_MUST_TELL_HOST) | \
		    (1ull << VIRTIO_BALLOON_F_STATS_VQ) | (1ull << VIRTIO_F_VERSION_1))

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* The device asks for stats: it uses the buffer it holds. */
static void device_requests_stats(void)
{
	struct vsim_queue *q = &sim.q[2];

	while (vsim_pop(q) == 1)
		;
	while (q->nheld)
		vsim_complete(q, 0, 0);
}

/* CPU 1: the second work item serving the stats queue. */
static void *other_stats_service(void *arg)
{
	if (!host_smp_register(1))
		abort();
	virtio_balloon_stats_service(&vb);
	host_smp_unregister();
	return NULL;
}

/* CPU 0 is about to requeue the stats buffer: CPU 1 serves the queue now. */
static void stats_hook(struct virtio_balloon *v)
{
	vb_stats_test_hook = NULL;		/* once */
	other_started = pthread_create(&other, NULL, other_stats_service, NULL) == 0;
	sleep_ms(HOOK_GRACE_MS);
}

/*
 * Expect two work items (two CPUs) serving the stats queue at once to
 * leave exactly one stats buffer with the device (the protocol has one
 * outstanding at a time: FACTS, virtio spec 5.5.6.3), the queue intact,
 * and one request counted per request the device made.
 */
TEST(stats_queue_served_by_two_cpus_keeps_one_buffer)
{
	host_mem_init_mb(32);
	bsim_init(&sim, FEAT_STATS, memmap_end_pfn);
	ASSERT_EQ(virtio_balloon_init(&vb, &sim.vdev, &bsim_env), 0);
	ASSERT(vb.stats_vq);
	EXPECT_EQ(virtqueue_num_outstanding(vb.stats_vq), 1);
	device_requests_stats();
	host_cpu_id = 0;
	vb_stats_test_hook = stats_hook;
	virtio_balloon_stats_service(&vb);
	ASSERT(other_started);
	host_smp_join(other, NULL);
	EXPECT_EQ(virtqueue_num_outstanding(vb.stats_vq), 1);
	EXPECT(!virtqueue_is_broken(vb.stats_vq));
	EXPECT_EQ(vb.stats_requests, 1);
	/* and the protocol goes on: one more request, one more answer */
	device_requests_stats();
	virtio_balloon_stats_service(&vb);
	EXPECT_EQ(vb.stats_requests, 2);
	EXPECT_EQ(virtqueue_num_outstanding(vb.stats_vq), 1);
	EXPECT(!virtqueue_is_broken(vb.stats_vq));
	vb_stats_test_hook = NULL;
	virtio_balloon_remove(&vb);
	bsim_destroy(&sim);
	host_mem_teardown();
}

/* ---- mm/shrinker.c: registration and pressure notifications from two CPUs ---- */

extern void (*shrinker_test_register_hook)(void);
extern void (*shrinker_test_notify_hook)(void);

static struct shrinker race_s[2];
static unsigned long race_counts[2];

static long race_count(struct shrinker *s)
{
	race_counts[s == &race_s[1]]++;
	return 0;				/* nothing to give: one question per round */
}

static long race_scan(struct shrinker *s, unsigned long nr) { return 0; }

/* CPU 1 registers the second shrinker. */
static void *other_register(void *arg)
{
	if (!host_smp_register(1))
		abort();
	register_shrinker(&race_s[1]);
	host_smp_unregister();
	return NULL;
}

/* CPU 0 decided to install the slow-path hook: CPU 1 registers now. */
static void register_hook(void)
{
	other_started = pthread_create(&other, NULL, other_register, NULL) == 0;
	sleep_ms(HOOK_GRACE_MS);
}

/*
 * Expect two CPUs registering their first shrinkers at once to install the
 * allocation slow path's shrinker hook once: one failing allocation then
 * asks each shrinker's count() once (a hook listed twice corrupts the hook
 * list into a loop that asks it SNAP_MAX times, or hangs the next insert).
 */
TEST(first_shrinkers_registered_by_two_cpus_hook_once)
{
	LIST_HEAD(held);
	struct page *p;

	host_mem_init_mb(16);
	shrinker_reset();
	for (int i = 0; i < 2; i++)
		race_s[i] = (struct shrinker){ .name = i ? "race1" : "race0",
					       .count = race_count, .scan = race_scan };
	host_cpu_id = 0;
	shrinker_test_register_hook = register_hook;
	ASSERT_EQ(register_shrinker(&race_s[0]), 0);
	ASSERT(other_started);
	host_smp_join(other, NULL);
	ASSERT(race_s[1].registered);
	/* full, per-CPU lists included: the slow path's drain must not find pages */
	for (;;) {
		if (!(p = alloc_page(GFP_NOWAIT | __GFP_NOWARN))) {
			drain_all_pages(NULL);
			if (!(p = alloc_page(GFP_NOWAIT | __GFP_NOWARN)))
				break;
		}
		list_add_tail(&p->lru, &held);
	}
	race_counts[0] = race_counts[1] = 0;
	EXPECT(alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN) == NULL);
	EXPECT_EQ(race_counts[0], 1);
	EXPECT_EQ(race_counts[1], 1);
	unregister_shrinker(&race_s[0]);
	unregister_shrinker(&race_s[1]);
	while (!list_empty(&held)) {
		p = list_first_entry(&held, struct page, lru);
		list_del(&p->lru);
		__free_page(p);
	}
	host_mem_teardown();
}

static enum pressure_level race_last_seen;
static unsigned long race_notified;

static void race_notify(struct pressure_notifier *n, enum pressure_level l, unsigned long free)
{
	race_last_seen = l;
	race_notified++;
}

/* CPU 1 sees memory recover (free pages back above every threshold). */
static void *other_recovers(void *arg)
{
	if (!host_smp_register(1))
		abort();
	pressure_update(1000);
	host_smp_unregister();
	return NULL;
}

/* CPU 0 changed the level and is about to notify: CPU 1 changes it back now. */
static void notify_hook(void)
{
	other_started = pthread_create(&other, NULL, other_recovers, NULL) == 0;
	sleep_ms(HOOK_GRACE_MS);
}

/*
 * Expect pressure changes made by two CPUs at once to leave the notifiers
 * with the level that holds now: CPU 0 drops to LOW, CPU 1 recovers to
 * NONE before CPU 0 has told anyone; the last notification must not be
 * CPU 0's stale LOW.
 */
TEST(pressure_changes_from_two_cpus_notify_current_level_last)
{
	struct pressure_notifier n = { .notify = race_notify };

	host_mem_init_mb(16);
	shrinker_reset();
	ASSERT_EQ(pressure_set_thresholds(100, 10, 5), 0);
	register_pressure_notifier(&n);
	race_last_seen = PRESSURE_NONE;
	race_notified = 0;
	host_cpu_id = 0;
	shrinker_test_notify_hook = notify_hook;
	pressure_update(50);			/* LOW */
	ASSERT(other_started);
	host_smp_join(other, NULL);
	EXPECT_EQ(pressure_level(), PRESSURE_NONE);
	EXPECT_EQ(race_last_seen, pressure_level());
	/* and later changes are still delivered */
	pressure_update(5);
	EXPECT_EQ(race_last_seen, PRESSURE_CRITICAL);
	unregister_pressure_notifier(&n);
	shrinker_reset();
	host_mem_teardown();
}

/* ---- mm/shrinker.c: unregistering a shrinker another CPU's shrink holds ---- */

static bool uaf_in_scan, uaf_unregistering, uaf_dead;	/* flags between the threads: atomics */
static unsigned long uaf_calls_after;

#define FLAG_SET(f)	__atomic_store_n(&(f), true, __ATOMIC_RELEASE)
#define FLAG_GET(f)	__atomic_load_n(&(f), __ATOMIC_ACQUIRE)

/* Shrinker 0's scan (CPU 1): tell CPU 0, wait until it unregisters shrinker 1, give it time. */
static long uaf_scan0(struct shrinker *s, unsigned long nr)
{
	FLAG_SET(uaf_in_scan);
	while (!FLAG_GET(uaf_unregistering))
		host_smp_poll();
	for (int i = 0; i < HOOK_GRACE_MS; i++) {	/* polling: CPU 0 may IPI us */
		host_smp_poll();
		sleep_ms(1);
	}
	return 0;
}

static long uaf_count0(struct shrinker *s) { return 1; }

/* Shrinker 1 (its owner "frees" it once unregister returns: uaf_dead). */
static long uaf_count1(struct shrinker *s)
{
	if (FLAG_GET(uaf_dead))
		uaf_calls_after++;
	return 0;
}

static void *other_shrinks(void *arg)
{
	if (!host_smp_register(1))
		abort();
	shrink_memory(1, SHRINK_EXPLICIT);
	host_smp_unregister();
	return NULL;
}

/*
 * Expect unregister_shrinker() to return only once no other CPU can still
 * call the shrinker: CPU 1's shrink has a snapshot holding shrinkers 0 and
 * 1 and is inside shrinker 0's scan when CPU 0 unregisters shrinker 1 and
 * (as ballast_unregister_shrinker does) frees it; CPU 1 must not then call
 * shrinker 1's count().
 */
TEST(unregister_waits_for_a_shrink_holding_the_shrinker)
{
	pthread_t t;

	host_mem_init_mb(16);
	shrinker_reset();
	race_s[0] = (struct shrinker){ .name = "uaf0", .count = uaf_count0, .scan = uaf_scan0 };
	race_s[1] = (struct shrinker){ .name = "uaf1", .count = uaf_count1, .scan = race_scan };
	ASSERT_EQ(register_shrinker(&race_s[0]), 0);
	ASSERT_EQ(register_shrinker(&race_s[1]), 0);
	uaf_in_scan = uaf_unregistering = uaf_dead = false;
	uaf_calls_after = 0;
	host_cpu_id = 0;
	ASSERT_EQ(pthread_create(&t, NULL, other_shrinks, NULL), 0);
	while (!FLAG_GET(uaf_in_scan))
		host_smp_poll();
	FLAG_SET(uaf_unregistering);
	unregister_shrinker(&race_s[1]);
	FLAG_SET(uaf_dead);
	host_smp_join(t, NULL);
	EXPECT_EQ(uaf_calls_after, 0);
	unregister_shrinker(&race_s[0]);
	shrinker_reset();
	host_mem_teardown();
}
