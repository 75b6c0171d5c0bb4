/*
 * bench_smp.c - the page allocator and compaction with several CPUs at
 * once (bench "smp"; scripts/bench.py boots it on its own with -smp 4).
 *
 *   order0_pair_cpusN_cycles      order-0 alloc+free pair through the
 *                                 per-CPU lists, N CPUs running the same
 *                                 loop at once: the median over runs of
 *                                 each CPU, then the largest of the CPUs
 *   batch4096_cpusN_cycles        allocate 4096 order-0 pages, free them;
 *                                 cycles per page, the same way
 *   ..._cpusN_vs_1                that figure divided by the 1-CPU one
 *   ..._cpusN_min_cycles, _min_vs_1   the same from each CPU's fastest run
 *                                 (the run the host least disturbed: under
 *                                 TCG on a loaded host a timed run that
 *                                 loses its host core to another process
 *                                 takes several times longer)
 *   ..._spinner_vs_1              the control: the boot CPU's figure while
 *                                 one other CPU runs a private list loop
 *                                 (busy, sharing nothing), divided by the
 *                                 1-CPU one
 *   ..._second_cpu_alone_vs_1     the same with the roles swapped: the
 *                                 second CPU of the 2-CPU figures measures
 *                                 while the boot CPU runs the private loop
 *   ..._cpus2_same_cpu_[min_]vs_alone  each of the two CPUs' 2-CPU figure
 *                                 over its own figure alone (the 1-CPU run
 *                                 for the boot CPU, the one above for the
 *                                 second); the larger of the two
 *   lifo_pair_cycles (calibration) of the same boot, for the ratio to LIFO
 *   compact_cpusN_ms              compact_all() (the full pass kcompactd
 *                                 runs) on the boot CPU after `frag 3of4`,
 *                                 while the other N-1 CPUs allocate and
 *                                 free order-0 pages in batches of 64
 *   order9_share_cpusN_pct        free memory in order >= 9 blocks after it
 *   alloc_ops_cpusN               order-0 pages the other CPUs allocated
 *                                 meanwhile
 *   compact_cpus4_control_ms, ... the same pass with the other three CPUs
 *                                 busy on a private list loop instead of
 *                                 the allocator: what the host's two cores
 *                                 cost by themselves
 *
 * N runs over 1, 2 and 4, limited to the CPUs online; a count that is not
 * online is skipped with a line saying so (with the uniprocessor
 * kernel/smp.c only N = 1 runs). The other CPUs run their part as a work
 * item (work_queue_on()), the boot CPU its own directly; all meet at a
 * spinning barrier before every timed run so that the runs overlap. A
 * timed run is a loop between two fenced TSC reads with interrupts off.
 */
#include <kernel/bench.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <kernel/work.h>
#include <arch/cpu.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <workloads/frag.h>
#include <stdio.h>
#include <string.h>

#define PAIR_RUNS	101
#define PAIR_K		1024
#define BATCH		4096
#define BATCH_RUNS	21

static inline uint64_t tsc_fenced(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* One job run on several CPUs at once: slot 0 is the boot CPU. */
struct smp_job {
	void (*fn)(unsigned int slot);
	unsigned int n;
	unsigned int arrived, generation;	/* the barrier */
	unsigned int done;
	struct work work[NR_CPUS];
};
static struct smp_job job;

/* Wait until all job.n CPUs arrived (a sense-reversing spin barrier). */
static void job_barrier(void)
{
	unsigned int gen = __atomic_load_n(&job.generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&job.arrived, 1, __ATOMIC_ACQ_REL) == job.n) {
		__atomic_store_n(&job.arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&job.generation, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&job.generation, __ATOMIC_ACQUIRE) == gen)
		cpu_relax();
}

static void job_work(struct work *w)
{
	job.fn((unsigned int)(w - job.work));
	__atomic_add_fetch(&job.done, 1, __ATOMIC_RELEASE);
}

/*
 * Run @fn(slot) on this CPU (slot 0) and on @n - 1 other online CPUs at
 * once; false if fewer than @n CPUs are online.
 */
static bool run_on_cpus(unsigned int n, void (*fn)(unsigned int slot))
{
	unsigned int cpu, slot = 1;

	if (n > num_online_cpus())
		return false;
	job.fn = fn;
	job.n = n;
	job.arrived = job.generation = job.done = 0;
	for_each_online_cpu(cpu) {
		if (slot >= n)
			break;
		if (cpu == arch_cpu_id())
			continue;
		work_init(&job.work[slot], job_work);
		if (work_queue_on(cpu, &job.work[slot]) == 0)
			slot++;
	}
	if (slot < n) {		/* a CPU went away: nobody will meet the others */
		printk("# smp: only %u of %u CPUs took the job\n", slot, n);
		return false;
	}
	fn(0);
	while (__atomic_load_n(&job.done, __ATOMIC_ACQUIRE) < n - 1)
		cpu_relax();
	return true;
}

/* ---------------- per-CPU-list figures ---------------- */

static double res_pair[NR_CPUS], res_batch[NR_CPUS];
static double min_pair[NR_CPUS], min_batch[NR_CPUS];	/* fastest run (sorted by median()) */
static uint64_t samples[NR_CPUS][PAIR_RUNS];
static struct page *batch_pages[NR_CPUS][BATCH];

/* Timed runs the measuring slot finished (the busy partner of the control runs follows it). */
static unsigned int runs_done;
static unsigned int ctl_slot;		/* the slot that measures in a control run; 0 otherwise */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of @n samples (insertion-sorted: @n is small). */
static uint64_t median(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && cmp_u64(&v[j - 1], &v[j]) > 0; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[(n - 1) / 2];
}

static void pair_job(unsigned int slot)
{
	struct page *p = alloc_pages(GFP_KERNEL, 0);

	if (p)
		__free_pages(p, 0);
	for (unsigned int r = 0; r < PAIR_RUNS; r++) {
		unsigned long f;
		uint64_t t0;

		job_barrier();
		f = local_irq_save();
		t0 = tsc_fenced();
		for (unsigned int i = 0; i < PAIR_K; i++) {
			p = alloc_pages(GFP_KERNEL, 0);
			if (unlikely(!p))
				break;
			__free_pages(p, 0);
		}
		samples[slot][r] = tsc_fenced() - t0;
		local_irq_restore(f);
		if (slot == ctl_slot)
			__atomic_store_n(&runs_done, r + 1, __ATOMIC_RELEASE);
	}
	res_pair[slot] = (double)median(samples[slot], PAIR_RUNS) / PAIR_K;
	min_pair[slot] = (double)samples[slot][0] / PAIR_K;
}

static void batch_job(unsigned int slot)
{
	struct page **pages = batch_pages[slot];

	for (unsigned int r = 0; r < BATCH_RUNS; r++) {
		unsigned int got = 0;
		unsigned long f;
		uint64_t t0;

		job_barrier();
		f = local_irq_save();
		t0 = tsc_fenced();
		for (; got < BATCH; got++) {
			pages[got] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
			if (!pages[got])
				break;
		}
		for (unsigned int i = 0; i < got; i++)
			__free_pages(pages[i], 0);
		samples[slot][r] = tsc_fenced() - t0;
		local_irq_restore(f);
		if (slot == ctl_slot)
			__atomic_store_n(&runs_done, r + 1, __ATOMIC_RELEASE);
	}
	res_batch[slot] = (double)median(samples[slot], BATCH_RUNS) / BATCH;
	min_batch[slot] = (double)samples[slot][0] / BATCH;
}

/*
 * The control for the 2-CPU figures: slot 0 runs @ctl_fn (pair_job or
 * batch_job) alone while slot 1 runs a LIFO pop+push loop on a private
 * list (the calibration's loop: list work like the allocator's, on its
 * own memory), so the second vCPU is busy but shares nothing with the
 * allocator. Under TCG a second busy vCPU costs the first one host time
 * by itself (the two host cores share caches and memory, and this host
 * is shared with other work); the difference between this control and
 * the real 2-CPU figure is what the allocator's shared state costs.
 */
#define CTL_NODES 64
static struct ctl_node {
	struct list_head lru;
	unsigned long pad[6];		/* a node per cache line, like struct page */
} ctl_nodes[NR_CPUS][CTL_NODES] __aligned(64);
static void (*ctl_fn)(unsigned int slot);
static unsigned int ctl_runs;

static void control_job(unsigned int slot)
{
	if (slot == ctl_slot) {
		ctl_fn(slot);
		return;
	}
	LIST_HEAD(list);

	for (unsigned int i = 0; i < CTL_NODES; i++)
		list_add(&ctl_nodes[slot][i].lru, &list);
	for (unsigned int r = 0; r < ctl_runs; r++) {
		job_barrier();
		while (__atomic_load_n(&runs_done, __ATOMIC_ACQUIRE) == r) {
			for (unsigned int i = 0; i < 256; i++) {
				struct list_head *e = list.next;

				list_del(e);
				list_add(e, &list);
				__asm__ __volatile__("" ::: "memory");
			}
		}
	}
}

/*
 * Slot @slot's figure of @fn (@runs timed runs) while the other of two
 * CPUs runs the private loop; false if not run. Slot 1 measuring is the
 * 1-CPU figure taken on the second CPU (the one the 2-CPU figures add).
 */
static bool run_control(void (*fn)(unsigned int slot), unsigned int runs, unsigned int slot)
{
	bool ok;

	ctl_fn = fn;
	ctl_runs = runs;
	ctl_slot = slot;
	runs_done = 0;
	drain_all_pages(NULL);
	ok = run_on_cpus(2, control_job);
	ctl_slot = 0;
	return ok;
}

/* Largest of the first @n figures of @v. */
static double worst(const double *v, unsigned int n)
{
	double m = 0;

	for (unsigned int i = 0; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static const char *name(const char *fmt, unsigned int n)
{
	static char buf[8][48];
	static unsigned int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, sizeof(buf[0]), fmt, n);
	return b;
}

static void bench_smp_pcp(const char *B)
{
	static const unsigned int counts[] = { 1, 2, 4 };
	double pair1 = 0, batch1 = 0, pmin1 = 0, bmin1 = 0;

	for (unsigned int i = 0; i < ARRAY_SIZE(counts); i++) {
		unsigned int n = counts[i];
		double pair, batch, pmin, bmin;

		drain_all_pages(NULL);
		runs_done = 0;
		if (!run_on_cpus(n, pair_job)) {
			printk("# smp: %u CPUs asked, %u online: the %u-CPU figures are skipped\n",
			       n, num_online_cpus(), n);
			continue;
		}
		drain_all_pages(NULL);
		runs_done = 0;
		run_on_cpus(n, batch_job);
		pair = worst(res_pair, n);
		batch = worst(res_batch, n);
		pmin = worst(min_pair, n);
		bmin = worst(min_batch, n);
		for (unsigned int s = 0; s < n; s++) {
			printk("# smp: %u CPUs, slot %u: pair %.1f, batch4096 %.1f cycles "
			       "(fastest runs %.1f, %.1f)\n", n, s,
			       res_pair[s], res_batch[s], min_pair[s], min_batch[s]);
		}
		bench_report(B, name("order0_pair_cpus%u_cycles", n), pair, "cycles");
		bench_report(B, name("batch4096_cpus%u_cycles", n), batch, "cycles");
		bench_report(B, name("order0_pair_cpus%u_min_cycles", n), pmin, "cycles");
		bench_report(B, name("batch4096_cpus%u_min_cycles", n), bmin, "cycles");
		if (n == 1) {
			pair1 = pair;
			batch1 = batch;
			pmin1 = pmin;
			bmin1 = bmin;
		} else if (pair1 > 0 && batch1 > 0) {
			bench_report(B, name("order0_pair_cpus%u_vs_1", n), pair / pair1, "x");
			bench_report(B, name("batch4096_cpus%u_vs_1", n), batch / batch1, "x");
			bench_report(B, name("order0_pair_cpus%u_min_vs_1", n), pmin / pmin1, "x");
			bench_report(B, name("batch4096_cpus%u_min_vs_1", n), bmin / bmin1, "x");
		}
		if (n == 2 && pair1 > 0 && batch1 > 0) {
			/* each CPU's 2-CPU figure, kept for the same-CPU ratios below */
			double p2[2] = { min_pair[0], min_pair[1] }, b2[2] = { min_batch[0], min_batch[1] };
			double pm2[2] = { res_pair[0], res_pair[1] }, bm2[2] = { res_batch[0], res_batch[1] };

			if (run_control(pair_job, PAIR_RUNS, 0)) {
				bench_report(B, "order0_pair_spinner_vs_1", res_pair[0] / pair1, "x");
				bench_report(B, "order0_pair_spinner_min_vs_1", min_pair[0] / pmin1, "x");
			}
			if (run_control(batch_job, BATCH_RUNS, 0)) {
				bench_report(B, "batch4096_spinner_vs_1", res_batch[0] / batch1, "x");
				bench_report(B, "batch4096_spinner_min_vs_1", min_batch[0] / bmin1, "x");
			}
			if (run_control(pair_job, PAIR_RUNS, 1)) {
				bench_report(B, "order0_pair_second_cpu_alone_vs_1", res_pair[1] / pair1, "x");
				bench_report(B, "order0_pair_second_cpu_alone_min_vs_1", min_pair[1] / pmin1,
					     "x");
				/* each CPU at once over the same CPU alone; the larger of the two */
				bench_report(B, "order0_pair_cpus2_same_cpu_vs_alone",
					     MAX(pm2[0] / pair1, pm2[1] / res_pair[1]), "x");
				bench_report(B, "order0_pair_cpus2_same_cpu_min_vs_alone",
					     MAX(p2[0] / pmin1, p2[1] / min_pair[1]), "x");
			}
			if (run_control(batch_job, BATCH_RUNS, 1)) {
				bench_report(B, "batch4096_second_cpu_alone_vs_1", res_batch[1] / batch1, "x");
				bench_report(B, "batch4096_second_cpu_alone_min_vs_1", min_batch[1] / bmin1,
					     "x");
				bench_report(B, "batch4096_cpus2_same_cpu_vs_alone",
					     MAX(bm2[0] / batch1, bm2[1] / res_batch[1]), "x");
				bench_report(B, "batch4096_cpus2_same_cpu_min_vs_alone",
					     MAX(b2[0] / bmin1, b2[1] / min_batch[1]), "x");
			}
		}
	}
}

/* ---------------- compaction while other CPUs allocate ---------------- */

static volatile bool alloc_stop;
static bool compact_control;	/* the others run a private list loop, not the allocator */
static unsigned long alloc_ops[NR_CPUS];

/* Slot 0 compacts (see bench_smp_compaction); the others allocate until told to stop. */
static void compact_job(unsigned int slot)
{
	static struct compact_stats st;
	struct page *held[64];

	job_barrier();
	if (slot == 0) {
		memset(&st, 0, sizeof(st));
		compact_all(&st);
		alloc_stop = true;
		return;
	}
	alloc_ops[slot] = 0;
	if (compact_control) {		/* busy on private memory only */
		LIST_HEAD(list);

		for (unsigned int i = 0; i < CTL_NODES; i++)
			list_add(&ctl_nodes[slot][i].lru, &list);
		while (!alloc_stop) {
			struct list_head *e = list.next;

			list_del(e);
			list_add(e, &list);
			__asm__ __volatile__("" ::: "memory");
		}
		return;
	}
	while (!alloc_stop) {
		unsigned int n = 0;

		for (; n < ARRAY_SIZE(held); n++) {
			held[n] = alloc_pages(GFP_KERNEL | __GFP_NOWARN |
					      (n & 1 ? __GFP_MOVABLE : 0), 0);
			if (!held[n])
				break;
		}
		for (unsigned int i = 0; i < n; i++)
			__free_pages(held[i], 0);
		alloc_ops[slot] += n;
	}
}

static void bench_smp_compaction(const char *B)
{
	/* the third pass is the control: 4 CPUs, the other three on private work */
	static const unsigned int counts[] = { 1, 4, 4 };

	for (unsigned int i = 0; i < ARRAY_SIZE(counts); i++) {
		unsigned int n = counts[i];
		bool control = i == 2;
		unsigned long big = 0, all = 0, ops = 0;
		struct zone *z;
		uint64_t t0, t1;

		if (n > num_online_cpus()) {
			printk("# smp: compaction with %u CPUs: %u online, skipped\n",
			       n, num_online_cpus());
			continue;
		}
		if (!bench_frag_3of4("smp"))
			return;
		alloc_stop = false;
		compact_control = control;
		t0 = arch_cycles();
		run_on_cpus(n, compact_job);
		t1 = arch_cycles();
		drain_all_pages(NULL);
		for_each_populated_zone(z) {
			big += zone_free_pages_from_order(z, pageblock_order);
			all += zone_page_free(z);
		}
		for (unsigned int s = 1; s < n; s++)
			ops += alloc_ops[s];
		bench_report(B, name(control ? "compact_cpus%u_control_ms" : "compact_cpus%u_ms", n),
			     (double)(t1 - t0) * 1e3 / (double)tsc_hz(), "ms");
		bench_report(B, name(control ? "order9_share_cpus%u_control_pct" :
				     "order9_share_cpus%u_pct", n),
			     all ? 100.0 * (double)big / (double)all : 0, "%");
		if (!control)
			bench_report(B, name("alloc_ops_cpus%u", n), (double)ops, "pages");
		bench_report(B, name(control ? "verify_mismatches_cpus%u_control" :
				     "verify_mismatches_cpus%u", n), (double)frag_verify(), "pages");
		frag_release();
	}
}

static void bench_smp(void)
{
	const char *B = "smp";

	bench_report(B, "cpus_online", (double)num_online_cpus(), "CPUs");
	if (num_online_cpus() == 1)
		printk("# smp: 1 CPU online (uniprocessor kernel/smp.c or -smp 1): "
		       "only the 1-CPU figures run\n");
	bench_smp_pcp(B);
	bench_smp_compaction(B);
}
BENCH(smp, bench_smp);
