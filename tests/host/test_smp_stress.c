/*
 * test_smp_stress.c - the memory manager under real concurrency on the
 * host: pthreads stand in for CPUs (each registers with host_smp_register(), so per-CPU
 * lists and arch_cpu_id() behave as on a machine with that many CPUs).
 *
 * The mixed workload is workloads/stress.c (the same code the in-kernel
 * `stress` command runs): every worker thread allocates and frees painted
 * blocks of every order, drains per-CPU lists, fragments and compacts,
 * runs kcompactd passes and alloc_contig_range() (pageblock isolation),
 * and fills and frees zsmalloc objects in one shared pool. Meanwhile one
 * more thread plays the balloon's work items against the simulated device
 * (support/balloon_sim.c): it changes the target every few milliseconds
 * and steps the driver (inflate/deflate), serves the stats queue and runs
 * free page reporting passes; compaction in the workers migrates balloon
 * pages (the driver's migratepage). The simulated device is run by
 * whichever thread waits for it, always with vb->lock held (the reporting
 * pass is wrapped in it here), so the device model itself is serialized.
 *
 * Rounds end at a quiescent point: every thread waits at a barrier, then
 * one checks the whole memory (mm_check_invariants, mm_check_counts), the
 * balloon (listed + isolated == host count, the device's own errors) and
 * the device's free page reports; the others wait for the check. At the
 * end the balloon deflates to 0, every block is verified and freed, and
 * the free count must be back exactly where it started.
 *
 * Seeded (htest_seed(); --seed N replays the choices each thread makes, the
 * interleaving is the host's). --long runs 20x the rounds (make soak).
 * The same binary is built under ThreadSanitizer as build/host-tsan/.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "support/balloon_sim.h"
#include <workloads/stress.h>
#include <drivers/virtio_balloon.h>
#include <mm/page_alloc.h>
#include <mm/page_reporting.h>
#include <mm/compaction.h>
#include <pthread.h>
#include "support/host_smp.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern int host_quiet;

#define NWORKERS	4	/* worker "CPUs" 0..3; the balloon thread is CPU 4 */
#define BALLOON_CPU	NWORKERS
#define FEAT_ALL	((1ull << VIRTIO_BALLOON_F_MUST_TELL_HOST) | \
			 (1ull << VIRTIO_BALLOON_F_STATS_VQ) | \
			 (1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM) | \
			 (1ull << VIRTIO_BALLOON_F_REPORTING) | (1ull << VIRTIO_F_VERSION_1))

static struct stress_ctx ctx;
static struct bsim sim;
static struct virtio_balloon vb;
static struct host_smp_barrier bar;	/* keeps serving drain IPIs while waiting */
static unsigned int rounds, ops_per_round;
static int workers_running;		/* atomic: workers still in this round */
static unsigned long balloon_steps, target_changes, report_passes;
static unsigned long quiescent_bad, balloon_bad;

/* The balloon problems at a quiescent point: driver invariant, host view, device errors. */
static unsigned long balloon_problems(void)
{
	unsigned long bad = virtio_balloon_check(&vb);

	bad += sim.held_count != vb.num_pages;
	bad += sim.errors + sim.report_errors;
	bad += vb.broken;
	bad += vb.stats_vq && virtqueue_is_broken(vb.stats_vq);
	return bad;
}

/* One CPU's rounds: workers run the workload, the balloon thread the balloon. */
static void *cpu_thread(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	uint64_t rng = htest_seed() ^ 0xba11005eedULL;

	if (!host_smp_register(cpu))
		abort();			/* a CPU number taken twice: the test is broken */
	for (unsigned int r = 0; r < rounds; r++) {
		host_smp_barrier_wait(&bar);		/* round starts */
		if (cpu < NWORKERS) {
			stress_worker(&ctx, cpu);
			__atomic_fetch_sub(&workers_running, 1, __ATOMIC_ACQ_REL);
		} else {
			while (__atomic_load_n(&workers_running, __ATOMIC_ACQUIRE)) {
				rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
				if ((rng & 7) == 0) {
					sim.cfg[0] = (uint32_t)(rng >> 20) % 3000;	/* up to ~12 MiB */
					target_changes++;
				}
				balloon_steps++;
				virtio_balloon_step(&vb, 2);
				virtio_balloon_stats_service(&vb);
				if ((rng & 3) == 0) {
					/* the device model runs under vb->lock (see above) */
					spin_lock(&vb.lock);
					page_reporting_process();
					spin_unlock(&vb.lock);
					report_passes++;
				}
			}
		}
		host_smp_barrier_wait(&bar);		/* quiescent */
		if (cpu == 0) {
			quiescent_bad += stress_check_quiescent(&ctx);
			balloon_bad += balloon_problems();
			__atomic_store_n(&workers_running, NWORKERS, __ATOMIC_RELEASE);
			ctx.max_ops = ops_per_round * (r + 2);	/* the budget of the next round */
		}
		host_smp_barrier_wait(&bar);		/* checked */
	}
	host_smp_unregister();
	return NULL;
}

/* Run @nrounds rounds of @ops ops per worker; returns after the final checks. */
static void run_rounds(unsigned int nrounds, unsigned int ops)
{
	pthread_t th[NWORKERS + 1];

	rounds = nrounds;
	ops_per_round = ops;
	workers_running = NWORKERS;
	ctx.max_ops = ops;
	host_smp_barrier_init(&bar, NWORKERS + 1);
	host_smp_unregister();		/* the main thread gives CPU 0 to a worker */
	for (unsigned int i = 0; i <= NWORKERS; i++)
		ASSERT(pthread_create(&th[i], NULL, cpu_thread, (void *)(uintptr_t)i) == 0);
	for (unsigned int i = 0; i <= NWORKERS; i++)
		pthread_join(th[i], NULL);
	ASSERT(host_smp_register(0));	/* and takes it back */
}

/* Deflate the balloon to 0 (bounded); true when done. */
static bool balloon_empty(void)
{
	sim.cfg[0] = 0;
	for (int i = 0; i < 10000 && vb.num_pages; i++)
		if (virtio_balloon_step(&vb, 8) == -EIO)
			break;
	return vb.num_pages == 0;
}

/*
 * Expect, after rounds of every operation on four CPUs at once with the
 * balloon moving and free page reporting on: no paint error, no invariant
 * error at any quiescent point, the balloon consistent with the device
 * each time, and the free count back exactly where it started.
 */
TEST(smp_mixed_workload_with_balloon)
{
	unsigned long problems;
	char sum[160];

	host_mem_init_mb(64);
	mm_debug_check_set(0);		/* the every-N check is not for concurrent use */
	bsim_init(&sim, FEAT_ALL, memmap_end_pfn);
	ASSERT_EQ(virtio_balloon_init(&vb, &sim.vdev, &bsim_env), 0);
	vb.timeout_ms = 2000;
	ASSERT(vb.reporting);

	stress_init(&ctx, htest_seed());
	ctx.max_order = MAX_ORDER;
	ASSERT_EQ(stress_begin(&ctx), 0);
	run_rounds((unsigned int)htest_iters(6), 1500);

	EXPECT(balloon_empty());
	problems = stress_finish(&ctx);
	stress_summary(&ctx, sum, sizeof(sum));
	printf("# stress: cpus=%u %s balloon_steps=%lu target_changes=%lu report_passes=%lu migrated=%lu reported_pages=%lu\n",
	       ctx.cpus, sum, balloon_steps, target_changes, report_passes, vb.migrated,
	       sim.reported_pages);
	for (unsigned int c = 0; c < NWORKERS; c++)
		printf("# cpu%u: allocs=%lu fail=%lu frag=%lu compact=%lu zs=%lu/%lu contig=%lu/%lu drains=%lu\n",
		       c, ctx.cpu[c].allocs, ctx.cpu[c].alloc_fail, ctx.cpu[c].frag_passes,
		       ctx.cpu[c].compactions, ctx.cpu[c].zs_allocs, ctx.cpu[c].zs_fail,
		       ctx.cpu[c].contig_ok, ctx.cpu[c].contig_busy, ctx.cpu[c].drains);
	EXPECT_EQ(ctx.cpus, NWORKERS);
	EXPECT(ctx.ops >= (unsigned long)NWORKERS * 1500);
	EXPECT_EQ(ctx.paint_errors, 0);
	EXPECT_EQ(ctx.invariant_errors, 0);
	EXPECT_EQ(quiescent_bad, 0);
	EXPECT_EQ(balloon_bad, 0);
	EXPECT_EQ(ctx.free_delta, 0);
	EXPECT_EQ(problems, 0);
	EXPECT_EQ(balloon_problems(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
	virtio_balloon_remove(&vb);
	bsim_destroy(&sim);
	host_mem_teardown();
}

/*
 * Expect the workload on one CPU to be a pure function of the seed: two
 * runs with the same seed do the same number of each operation (replay).
 */
TEST(single_cpu_run_replays_from_seed)
{
	struct stress_cpu a;

	host_cpu_id = 0;
	for (int run = 0; run < 2; run++) {
		/* fresh memory each time: compaction's hints and deferrals start equal */
		host_mem_init_mb(64);
		mm_debug_check_set(0);
		stress_init(&ctx, htest_seed());
		ctx.max_ops = 400;
		ASSERT_EQ(stress_begin(&ctx), 0);
		stress_worker(&ctx, 0);
		if (run == 0)
			a = ctx.cpu[0];
		EXPECT_EQ(stress_finish(&ctx), 0);
		EXPECT_EQ(ctx.free_delta, 0);
		if (run == 0)
			host_mem_teardown();
	}
	EXPECT_EQ(ctx.cpu[0].allocs, a.allocs);
	EXPECT_EQ(ctx.cpu[0].alloc_fail, a.alloc_fail);
	EXPECT_EQ(ctx.cpu[0].zs_allocs, a.zs_allocs);
	EXPECT_EQ(ctx.cpu[0].contig_ok, a.contig_ok);
	EXPECT_EQ(ctx.cpu[0].compactions, a.compactions);
	EXPECT_EQ(ctx.cpu[0].rng, a.rng);
	host_mem_teardown();
}
