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
