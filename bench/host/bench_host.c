/*
 * bench_host.c - the page allocator's cost on the host, without an
 * emulator in the way (`make bench-host`).
 *
 * The mm sources are built for the host at -O2 with no sanitizers and no
 * CONFIG_DEBUG_VM (the release kernel's configuration), linked with the
 * host harness's memory (tests/host/support/host_mem.c: a buffer playing
 * physical memory) and its SMP model (host_smp.c: each thread registers
 * as a CPU, so arch_cpu_id() indexes the per-CPU lists as in the kernel).
 * Under TCG every guest instruction costs many host ones, so this is the
 * figure that says what the allocator itself costs.
 *
 * Figures, each taken with 1 thread and then with 2 threads running the
 * same loop at once (threads pinned to different host CPUs, meeting at a
 * barrier before every timed run so that the runs overlap):
 *   lifo_pair      the calibration: one pop + push on a bare list_head
 *                  LIFO (the floor under any list-based allocator); its
 *                  2-thread value shows how much the machine's own noise
 *                  (other processes) moves a figure that shares nothing
 *   order0_pair    alloc_pages(GFP_KERNEL, 0) + __free_pages(): the
 *                  per-CPU-list path, the same page out and back
 *   batchN         allocate N order-0 pages, then free them all; cycles
 *                  per page for the whole alloc+free (N = 1, 64, 4096,
 *                  65536; small N repeated to 4096 pages per run)
 *   order9_pair    an order-9 (2 MiB) alloc+free pair: the buddy path
 *   mixed          a seeded random workload: 4096 operations per run on
 *                  a pool of 256 slots, each either empty (allocate an
 *                  order drawn 60% 0, 25% 1-3, 12% 4-8, 3% 9) or full
 *                  (free it); cycles per operation
 * A run is a loop between two fenced TSC reads; a figure is the median of
 * its runs in one round, and the printed value the median over --rounds
 * rounds (3 by default); with --stat min, a figure is its fastest run
 * instead (on a host shared with other work the median moves with the
 * load; the fastest run says what the code costs when it has the CPU).
 * ns = cycles / the TSC rate measured against
 * CLOCK_MONOTONIC. The 2-thread columns give each thread's figure and the
 * larger of the two divided by the 1-thread figure.
 *
 * Usage: bench-host [--rounds N] [--mb MiB] [--threads 1|2] [--stat median|min]
 */
#define _GNU_SOURCE
#include <kernel/list.h>
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <arch/cpu.h>
#include "host_mem.h"
#include "host_smp.h"
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS	2
#define MAX_RUNS	201
#define MAX_ROUNDS	15
#define MAX_BATCH	65536
#define POOL		256

enum fig { F_LIFO, F_PAIR, F_B1, F_B64, F_B4096, F_B65536, F_O9, F_MIXED, NR_FIGS };
static const char * const fig_names[NR_FIGS] = {
	"lifo_pair (calibration)", "order0_pair", "batch1 (per page)", "batch64 (per page)",
	"batch4096 (per page)", "batch65536 (per page)", "order9_pair", "mixed (per op)",
};
static const unsigned int batch_of[NR_FIGS] = {
	[F_B1] = 1, [F_B64] = 64, [F_B4096] = 4096, [F_B65536] = 65536 };

/* result[round][nthreads-1][thread][fig] */
static double result[MAX_ROUNDS][MAX_THREADS][MAX_THREADS][NR_FIGS];
static struct host_smp_barrier start;
static unsigned int nthreads, round_no;
static double tsc_ghz;
static bool use_min;		/* --stat min: a figure is its fastest run, not the median */

static inline uint64_t tsc_fenced(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median (or, with --stat min, the smallest) of @n samples divided by @k. */
static double median_per(uint64_t *v, unsigned int n, double k)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[use_min ? 0 : (n - 1) / 2] / k;
}

/* TSC ticks per ns, against CLOCK_MONOTONIC over 100 ms. */
static double measure_tsc_ghz(void)
{
	struct timespec a, b;
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = tsc_fenced();
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < 100000000L);
	t1 = tsc_fenced();
	return (double)(t1 - t0) / (double)((b.tv_sec - a.tv_sec) * 1000000000L +
					    (b.tv_nsec - a.tv_nsec));
}

/* ---------------- the figures (run by every thread at once) ---------------- */

static double fig_lifo(void)
{
	enum { NODES = 64, K = 1024, RUNS = 201 };
	static __thread struct list_head nodes[NODES];
	uint64_t s[RUNS];
	LIST_HEAD(head);

	for (int i = 0; i < NODES; i++)
		list_add(&nodes[i], &head);
	for (int r = 0; r < RUNS; r++) {
		uint64_t t0;

		host_smp_barrier_wait(&start);
		t0 = tsc_fenced();
		for (int i = 0; i < K; i++) {
			struct list_head *n = head.next;

			list_del(n);
			barrier();
			list_add(n, &head);
			barrier();
		}
		s[r] = tsc_fenced() - t0;
	}
	return median_per(s, RUNS, K);
}

/* One alloc+free pair of @order, K per run. */
static double fig_pair(unsigned int order, unsigned int k, unsigned int runs)
{
	uint64_t s[MAX_RUNS];
	struct page *p = alloc_pages(GFP_KERNEL, order);

	if (!p)
		return -1;
	__free_pages(p, order);
	for (unsigned int r = 0; r < runs; r++) {
		uint64_t t0;

		host_smp_barrier_wait(&start);
		t0 = tsc_fenced();
		for (unsigned int i = 0; i < k; i++) {
			p = alloc_pages(GFP_KERNEL, order);
			if (__builtin_expect(!p, 0))
				return -1;
			__free_pages(p, order);
		}
		s[r] = tsc_fenced() - t0;
	}
	return median_per(s, runs, k);
}

/* Allocate @b order-0 pages, free them; cycles per page (both phases). */
static double fig_batch(unsigned int b)
{
	static __thread struct page *pages[MAX_BATCH];
	unsigned int reps = b >= 4096 ? 1 : 4096 / b;
	unsigned int runs = b >= 65536 ? 15 : b >= 4096 ? 51 : 101;
	uint64_t s[MAX_RUNS];
	bool ok = true;

	for (unsigned int r = 0; r < runs; r++) {
		uint64_t t0;

		host_smp_barrier_wait(&start);
		t0 = tsc_fenced();
		for (unsigned int m = 0; m < reps; m++) {
			unsigned int got = 0;

			for (; got < b; got++) {
				pages[got] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
				if (__builtin_expect(!pages[got], 0)) {
					ok = false;
					break;
				}
			}
			for (unsigned int i = 0; i < got; i++)
				__free_pages(pages[i], 0);
		}
		s[r] = tsc_fenced() - t0;
	}
	return ok ? median_per(s, runs, (double)reps * b) : -1;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Order for the mixed workload: 60% 0, 25% 1-3, 12% 4-8, 3% 9. */
static unsigned int mixed_order(uint64_t *s)
{
	unsigned int x = xorshift(s) % 100;

	if (x < 60)
		return 0;
	if (x < 85)
		return 1 + xorshift(s) % 3;
	if (x < 97)
		return 4 + xorshift(s) % 5;
	return 9;
}

static double fig_mixed(unsigned int tid)
{
	enum { OPS = 4096, RUNS = 51 };
	struct page *slot[POOL] = { NULL };
	unsigned int order[POOL] = { 0 };
	uint64_t s[RUNS], seed = 0x9e3779b97f4a7c15ULL * (tid + 1) + round_no;

	for (int r = 0; r < RUNS; r++) {
		uint64_t t0;

		host_smp_barrier_wait(&start);
		t0 = tsc_fenced();
		for (int i = 0; i < OPS; i++) {
			unsigned int k = xorshift(&seed) % POOL;

			if (slot[k]) {
				__free_pages(slot[k], order[k]);
				slot[k] = NULL;
			} else {
				order[k] = mixed_order(&seed);
				slot[k] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order[k]);
			}
		}
		s[r] = tsc_fenced() - t0;
	}
	for (int k = 0; k < POOL; k++)
		if (slot[k])
			__free_pages(slot[k], order[k]);
	return median_per(s, RUNS, OPS);
}

/* Pin the calling thread to host CPU @n (modulo the CPUs there are). */
static void pin(unsigned int n)
{
	cpu_set_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(n % (ncpu > 0 ? ncpu : 1), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *worker(void *arg)
{
	unsigned int tid = (unsigned int)(uintptr_t)arg;
	double *out = result[round_no][nthreads - 1][tid];

	pin(tid);
	if (!host_smp_register(tid)) {
		fprintf(stderr, "bench-host: CPU %u already online\n", tid);
		exit(1);
	}
	out[F_LIFO] = fig_lifo();
	drain_local_pages(NULL);
	out[F_PAIR] = fig_pair(0, 1024, 201);
	for (int f = F_B1; f <= F_B65536; f++) {
		drain_local_pages(NULL);
		out[f] = fig_batch(batch_of[f]);
	}
	drain_local_pages(NULL);
	out[F_O9] = fig_pair(9, 32, 101);
	drain_local_pages(NULL);
	out[F_MIXED] = fig_mixed(tid);
	drain_local_pages(NULL);
	host_smp_barrier_wait(&start);
	host_smp_unregister();
	return NULL;
}

/* Run every figure with @n threads at once (round @round). */
static void run_round(unsigned int n, unsigned int round)
{
	pthread_t t[MAX_THREADS];

	nthreads = n;
	round_no = round;
	host_smp_barrier_init(&start, n);
	for (unsigned int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

/* Median over @rounds of result[.][n-1][tid][f]. */
static double med(unsigned int rounds, unsigned int n, unsigned int tid, int f)
{
	double v[MAX_ROUNDS];

	for (unsigned int r = 0; r < rounds; r++)
		v[r] = result[r][n - 1][tid][f];
	qsort(v, rounds, sizeof(v[0]), cmp_double);
	return v[(rounds - 1) / 2];
}

static void print_table(unsigned int rounds, unsigned int maxn)
{
	printf("\nbench-host: %.2f GHz TSC, %s run, median of %u rounds (cycles; ns in brackets)\n",
	       tsc_ghz, use_min ? "fastest" : "median", rounds);
	printf("%-26s %18s", "figure", "1 thread");
	if (maxn >= 2)
		printf(" %18s %18s %7s", "2 thr: thread 0", "thread 1", "ratio");
	printf("\n");
	for (int f = 0; f < NR_FIGS; f++) {
		double one = med(rounds, 1, 0, f);

		printf("%-26s %8.1f (%6.1f ns)", fig_names[f], one, one / tsc_ghz);
		if (maxn >= 2) {
			double a = med(rounds, 2, 0, f), b = med(rounds, 2, 1, f);

			printf(" %8.1f (%6.1f ns) %8.1f (%6.1f ns) %6.2fx", a, a / tsc_ghz,
			       b, b / tsc_ghz, (a > b ? a : b) / one);
		}
		printf("\n");
	}
}

int main(int argc, char **argv)
{
	unsigned int rounds = 3, mb = 1536, maxn = 2;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--mb") && i + 1 < argc)
			mb = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			maxn = (unsigned int)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--stat") && i + 1 < argc)
			use_min = !strcmp(argv[++i], "min");
		else {
			fprintf(stderr, "usage: %s [--rounds N] [--mb MiB] [--threads 1|2] "
				"[--stat median|min]\n", argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAX_ROUNDS || maxn < 1 || maxn > MAX_THREADS) {
		fprintf(stderr, "bench-host: rounds 1..%d, threads 1..%d\n", MAX_ROUNDS, MAX_THREADS);
		return 2;
	}
	tsc_ghz = measure_tsc_ghz();
	host_mem_init_mb(mb);
	mm_debug_check_set(0);
	host_smp_unregister();		/* the main thread only waits: CPU 0 is a worker's */
	for (unsigned int r = 0; r < rounds; r++)
		for (unsigned int n = 1; n <= maxn; n++) {
			run_round(n, r);
			fprintf(stderr, "# round %u, %u thread(s): pair %.1f, batch4096 %.1f\n",
				r + 1, n, result[r][n - 1][0][F_PAIR], result[r][n - 1][0][F_B4096]);
		}
	print_table(rounds, maxn);
	host_smp_register(0);
	host_mem_teardown();
	return 0;
}
