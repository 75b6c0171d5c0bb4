/*
 * bench_mm.c - benchmarks of the page allocator (the allocator goals of
 * docs/references.md)
 * and the calibration every benchmark run starts with.
 *
 *   calibration  what this machine does in the time a benchmark takes:
 *                the cost of reading the TSC, a bare LIFO free-list
 *                push/pop pair (a list_head list, as the buddy's free
 *                lists are), a hot and a cold 4 KiB copy, the TSC rate.
 *   page_alloc   order-0 alloc+free pairs through the per-CPU lists and
 *                through the zone (buddy) path, batched alloc-then-free
 *                for batches of 1..16384 pages, pairs of every order
 *                0..10 on unfragmented memory, and the memmap + buddy
 *                initialisation time of this boot per GiB of RAM.
 *
 * Method: every figure is the median of many runs; a run is a loop of
 * K operations between two TSC reads with interrupts off (a timer tick in
 * the window would land in a few runs, not the median), divided by K.
 * Figures are reported with bench_report() as JSON lines; ratios to the
 * calibration are reported as metrics with unit "x" (and computed again,
 * generically, by scripts/bench.py). Benchmarks are not tests: nothing
 * here asserts on time. See docs/benchmarks.md.
 */
#include <kernel/bench.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/list.h>
#include <arch/cpu.h>
#include <arch/page.h>
#include <arch/spinlock.h>
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/memblock.h>
#include <string.h>
#include <stdio.h>

#define RUNS 201		/* runs per figure (odd: a true median) */

/* Calibration results, kept for the ratio metrics of the other benches. */
static double cal_tsc_overhead, cal_lifo_pair, cal_copy_hot, cal_copy_cold;

/* TSC read ordered against the surrounding instructions (lfence on both sides). */
static inline uint64_t tsc_fenced(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* Write back and evict the cache lines of the 4 KiB page at @p. */
static inline void flush_page(const void *p)
{
	for (unsigned int off = 0; off < PAGE_SIZE; off += 64)
		__asm__ __volatile__("clflush (%0)" :: "r"((const char *)p + off) : "memory");
}

static uint64_t samples[RUNS > 4096 ? RUNS : 4096];

/* Median of the first @n entries of samples[] divided by @k (cycles per operation). */
static double median_per_op(size_t n, unsigned int k)
{
	return (double)bench_median(samples, n) / k;
}

/* Name of a figure, formatted into a static buffer (bench_report copies nothing). */
static const char *mname(const char *fmt, unsigned int a)
{
	static char buf[8][48];
	static unsigned int slot;
	char *b = buf[slot++ % 8];

	snprintf(b, sizeof(buf[0]), fmt, a);
	return b;
}

/* MB/s (10^6 bytes) of moving @bytes in @cycles TSC ticks. */
static double mb_per_s(double bytes, double cycles)
{
	return cycles > 0 ? bytes * (double)tsc_hz() / cycles / 1e6 : 0;
}

/* ---------------- calibration ---------------- */

/* Cost of the fenced TSC read itself (subtracted from single-shot timings). */
static double cal_measure_tsc(void)
{
	for (int r = 0; r < RUNS; r++) {
		unsigned long f = local_irq_save();
		uint64_t t0 = tsc_fenced(), t1 = tsc_fenced();

		local_irq_restore(f);
		samples[r] = t1 - t0;
	}
	return median_per_op(RUNS, 1);
}

/* A bare LIFO free list: pop the first node, push it back; cycles per pair. */
static double cal_measure_lifo(void)
{
	enum { NODES = 64, K = 1024 };
	static struct list_head nodes[NODES];
	LIST_HEAD(head);

	for (int i = 0; i < NODES; i++)
		list_add(&nodes[i], &head);
	for (int r = 0; r < RUNS; r++) {
		unsigned long f = local_irq_save();
		uint64_t t0 = tsc_fenced();

		for (int i = 0; i < K; i++) {
			struct list_head *n = head.next;

			list_del(n);
			barrier();
			list_add(n, &head);
			barrier();
		}
		samples[r] = tsc_fenced() - t0;
		local_irq_restore(f);
	}
	return median_per_op(RUNS, K);
}

/* Hot 4 KiB copy: source and destination stay in the L1/L2 cache. */
static double cal_measure_copy_hot(void *dst, const void *src)
{
	enum { K = 64 };

	arch_copy_page(dst, src);
	for (int r = 0; r < RUNS; r++) {
		unsigned long f = local_irq_save();
		uint64_t t0 = tsc_fenced();

		for (int i = 0; i < K; i++) {
			arch_copy_page(dst, src);
			barrier();
		}
		samples[r] = tsc_fenced() - t0;
		local_irq_restore(f);
	}
	return median_per_op(RUNS, K);
}

/*
 * Cold 4 KiB copy: source and destination pages picked in a scattered
 * order (no prefetcher-friendly stride) across two regions of @nblk
 * max-order blocks each (64 MiB each: bigger than a last-level cache),
 * touched beforehand so that no first-touch fault is timed, and each
 * flushed from the cache right before its copy. Timed one copy at a
 * time; the TSC read cost is subtracted.
 */
static double cal_measure_copy_cold(struct page **dblk, struct page **sblk, unsigned int nblk)
{
	const unsigned long pages = (unsigned long)nblk * MAX_ORDER_NR_PAGES;	/* power of 2 */
	const unsigned long step = 2654435761UL;	/* odd: a permutation mod 2^k */
	unsigned int n = 0;

	for (unsigned int b = 0; b < nblk; b++)
		for (unsigned long i = 0; i < MAX_ORDER_NR_PAGES; i++) {
			memset((char *)page_address(dblk[b]) + i * PAGE_SIZE, 1, PAGE_SIZE);
			memset((char *)page_address(sblk[b]) + i * PAGE_SIZE, 2, PAGE_SIZE);
		}
	for (unsigned long i = 0; i < 4096 && i < pages; i++) {
		unsigned long dp = (i * step) & (pages - 1);
		unsigned long sp = (dp + pages / 2 + 7) & (pages - 1);
		char *d = (char *)page_address(dblk[dp >> MAX_ORDER]) + (dp & (MAX_ORDER_NR_PAGES - 1)) * PAGE_SIZE;
		const char *s = (char *)page_address(sblk[sp >> MAX_ORDER]) + (sp & (MAX_ORDER_NR_PAGES - 1)) * PAGE_SIZE;
		unsigned long f = local_irq_save();
		uint64_t t0, t1;

		flush_page(d);
		flush_page(s);
		t0 = tsc_fenced();
		arch_copy_page(d, s);
		t1 = tsc_fenced();
		local_irq_restore(f);
		samples[n++] = t1 - t0;
	}
	{
		double c = median_per_op(n, 1) - cal_tsc_overhead;

		return c > 0 ? c : 1;
	}
}

double bench_cal_copy_cold_cycles(void)
{
	return cal_copy_cold;
}

static void bench_calibration(void)
{
	const char *B = "calibration";
	struct page *hot = alloc_pages(GFP_KERNEL, 1);

	cal_tsc_overhead = cal_measure_tsc();
	bench_report(B, "tsc_read_cycles", cal_tsc_overhead, "cycles");
	bench_report(B, "tsc_hz", (double)tsc_hz(), "Hz");

	cal_lifo_pair = cal_measure_lifo();
	bench_report(B, "lifo_pair_cycles", cal_lifo_pair, "cycles");

	if (hot) {
		char *a = page_address(hot);

		memset(a, 3, 2 * PAGE_SIZE);
		cal_copy_hot = cal_measure_copy_hot(a + PAGE_SIZE, a);
		bench_report(B, "copy4k_hot_cycles", cal_copy_hot, "cycles");
		bench_report(B, "copy4k_hot_MBps", mb_per_s(PAGE_SIZE, cal_copy_hot), "MB/s");
		__free_pages(hot, 1);
	}

	/* two regions of 16 max-order blocks (64 MiB each) */
	{
		enum { BLOCKS = 16 };
		static struct page *blk[2 * BLOCKS];
		unsigned int got = 0;

		while (got < 2 * BLOCKS) {
			blk[got] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER);
			if (!blk[got])
				break;
			got++;
		}
		if (got == 2 * BLOCKS) {
			cal_copy_cold = cal_measure_copy_cold(blk, blk + BLOCKS, BLOCKS);
			bench_report(B, "copy4k_cold_cycles", cal_copy_cold, "cycles");
			bench_report(B, "copy4k_cold_MBps", mb_per_s(PAGE_SIZE, cal_copy_cold), "MB/s");
		} else {
			printk("# calibration: not enough free memory for the cold-copy regions\n");
		}
		for (unsigned int i = 0; i < got; i++)
			__free_pages(blk[i], MAX_ORDER);
	}
}
BENCH(calibration, bench_calibration);

/* ---------------- page_alloc ---------------- */

/* Median cycles of one alloc_pages(@order)+__free_pages pair (K pairs per run). */
static double pair_cycles(gfp_t gfp, unsigned int order, unsigned int k)
{
	struct page *p = alloc_pages(gfp, order);	/* warm the path */

	if (!p)
		return 0;
	__free_pages(p, order);
	for (int r = 0; r < RUNS; r++) {
		unsigned long f = local_irq_save();
		uint64_t t0 = tsc_fenced();

		for (unsigned int i = 0; i < k; i++) {
			p = alloc_pages(gfp, order);
			if (unlikely(!p))
				break;
			__free_pages(p, order);
		}
		samples[r] = tsc_fenced() - t0;
		local_irq_restore(f);
		if (!p)
			return 0;
	}
	return median_per_op(RUNS, k);
}

/*
 * The zone (buddy) path for order 0: per-CPU lists of batch 1 and high 1,
 * so every allocation refills one page from the zone and every free
 * spills it back, both under zone->lock (the per-CPU list adds one push
 * and one pop to the buddy's split and merge).
 */
static double pair_cycles_zone_path(void)
{
	double c;

	pcp_set_batch_high(1, 1);
	c = pair_cycles(GFP_KERNEL, 0, 256);
	pcp_set_batch_high(0, 0);
	return c;
}

/* Batched: allocate @b order-0 pages, then free them all; cycles per page for each phase. */
static bool batch_cycles(unsigned int b, double *alloc_pp, double *free_pp)
{
	enum { MAXB = 16384 };
	static struct page *pages[MAXB];
	static uint64_t fs[RUNS];
	unsigned int runs = MIN(RUNS, MAX(5u, 65536u / b));

	if (b > MAXB)
		return false;
	for (unsigned int r = 0; r < runs; r++) {
		unsigned long f = local_irq_save();
		uint64_t t0 = tsc_fenced(), t1, t2;
		unsigned int got = 0;

		for (; got < b; got++) {
			pages[got] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
			if (!pages[got])
				break;
		}
		t1 = tsc_fenced();
		for (unsigned int i = 0; i < got; i++)
			__free_pages(pages[i], 0);
		t2 = tsc_fenced();
		local_irq_restore(f);
		if (got < b)
			return false;
		samples[r] = t1 - t0;
		fs[r] = t2 - t1;
	}
	*alloc_pp = (double)bench_median(samples, runs) / b;
	*free_pp = (double)bench_median(fs, runs) / b;
	return true;
}

static void bench_page_alloc(void)
{
	const char *B = "page_alloc";
	double pcp, zone, o9 = 0;

	drain_all_pages(NULL);

	pcp = pair_cycles(GFP_KERNEL, 0, 1024);
	bench_report(B, "order0_pair_pcp_cycles", pcp, "cycles");
	zone = pair_cycles_zone_path();
	bench_report(B, "order0_pair_zone_cycles", zone, "cycles");
	if (cal_lifo_pair > 0) {
		bench_report(B, "order0_pair_pcp_vs_lifo", pcp / cal_lifo_pair, "x");
		bench_report(B, "order0_pair_zone_vs_lifo", zone / cal_lifo_pair, "x");
	}
	pcp = pair_cycles(GFP_KERNEL | __GFP_MOVABLE, 0, 1024);
	bench_report(B, "order0_pair_pcp_movable_cycles", pcp, "cycles");

	for (unsigned int b = 1; b <= 16384; b *= 4) {
		double a, f;

		drain_all_pages(NULL);
		if (!batch_cycles(b, &a, &f)) {
			printk("# page_alloc: batch %u: not enough memory\n", b);
			continue;
		}
		bench_report(B, mname("batch%u_alloc_cycles_per_page", b), a, "cycles");
		bench_report(B, mname("batch%u_free_cycles_per_page", b), f, "cycles");
		bench_report(B, mname("batch%u_pair_cycles_per_page", b), a + f, "cycles");
	}

	drain_all_pages(NULL);
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		double c = pair_cycles(GFP_KERNEL | __GFP_NOWARN, o, o >= 9 ? 32 : 128);

		if (c <= 0) {
			printk("# page_alloc: order %u: allocation failed\n", o);
			continue;
		}
		bench_report(B, mname("order%u_pair_cycles", o), c, "cycles");
		if (o == 9)
			o9 = c;
	}
	if (o9 > 0 && cal_lifo_pair > 0)
		bench_report(B, "order9_pair_vs_lifo", o9 / cal_lifo_pair, "x");

	/* initialisation of this boot (mm_init() ran before any bench) */
	{
		double khz = (double)tsc_hz() / 1000.0;
		double memmap_ms = mm_init_stats.memmap_cycles / khz;
		double buddy_ms = mm_init_stats.buddy_cycles / khz;
		double total_ms = mm_init_stats.total_cycles / khz;
		double gib = (double)memblock_phys_mem_size() / (1024.0 * 1024 * 1024);

		bench_report(B, "ram_GiB", gib, "GiB");
		bench_report(B, "memmap_MiB", mm_init_stats.memmap_bytes / 1048576.0, "MiB");
		bench_report(B, "init_memmap_ms", memmap_ms, "ms");
		bench_report(B, "init_buddy_ms", buddy_ms, "ms");
		bench_report(B, "init_total_ms", total_ms, "ms");
		if (gib > 0) {
			bench_report(B, "init_ms_per_GiB", total_ms / gib, "ms/GiB");
			/* against copying (reading + writing) 1 GiB at the cold-copy rate */
			if (cal_copy_cold > 0) {
				double copy_ms_per_gib = cal_copy_cold * 262144.0 / khz;

				bench_report(B, "init_vs_cold_copy_per_GiB",
					     total_ms / gib / copy_ms_per_gib, "x");
			}
		}
	}
}
BENCH(page_alloc, bench_page_alloc);
