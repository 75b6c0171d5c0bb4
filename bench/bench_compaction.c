/*
 * bench_compaction.c - compaction figures (the compaction goals of
 * docs/references.md), taken after
 * `frag 3of4` with movable pages only (workloads/frag.c):
 *
 *   order9_share_before/after_pct   free memory in blocks of order >= 9,
 *                                   as a share of all free memory, before
 *                                   and after one full compaction
 *                                   (compact_all)
 *   fragindex9_before/after         Linux's fragmentation index for order
 *                                   9 over all zones (-1 = a block exists)
 *   compact_MiBps                   pages moved by compact_all, in MiB per
 *                                   second of the whole run (scanning,
 *                                   isolation, copying, freeing)
 *   compact_vs_cold_copy            that rate divided by the cold 4 KiB
 *                                   copy rate of this run's calibration
 *                                   (timings: the median of FULL_ROUNDS
 *                                   rounds of frag + compact_all, each on
 *                                   freshly fragmented memory; the other
 *                                   figures are the first round's)
 *   direct_p50/p90/p99/max_us       latency of order-9 movable allocations
 *                                   that entered direct compaction, taken
 *                                   one after the other (each kept) on a
 *                                   freshly fragmented memory; allocations
 *                                   that found a block without stalling
 *                                   are counted, not timed
 *   direct_scanned/moved_p50,       work of each timed allocation (pfns
 *   direct_slowest_scanned/moved    looked at by both scanners, pages
 *                                   migrated): the median, and that of the
 *                                   slowest allocation, so a slow outlier
 *                                   shows whether it did more work or
 *                                   just waited for the host
 *
 * All free memory is written once first (prefault_free_memory), so the
 * host's first-touch faults on guest RAM are not charged to compaction.
 * Single-shot timings (TSC, interrupts on: compaction takes milliseconds).
 * Deferral is reset before every timed allocation, so each one tries.
 */
#include <kernel/bench.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <workloads/frag.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <mm/mm_show.h>
#include <mm/vmstat.h>
#include <lib/units.h>
#include <stdio.h>
#include <string.h>

#define DIRECT_SAMPLES	200
#define FULL_ROUNDS	3

/* Free pages in blocks of order >= 9 and all free pages, every zone. */
static void order9_free(unsigned long *big, unsigned long *all)
{
	struct zone *z;

	drain_all_pages(NULL);
	*big = *all = 0;
	for_each_populated_zone(z) {
		*big += zone_free_pages_from_order(z, pageblock_order);
		*all += zone_page_free(z);
	}
}

/* Linux's fragmentation index for order 9 over all zones together (* 1000). */
static int fragindex9_all(void)
{
	struct contig_page_info sum = { 0, 0, 0 }, info;
	struct zone *z;

	for_each_populated_zone(z) {
		fill_contig_page_info(z, pageblock_order, &info);
		sum.free_pages += info.free_pages;
		sum.free_blocks_total += info.free_blocks_total;
		sum.free_blocks_suitable += info.free_blocks_suitable;
	}
	return fragmentation_index(pageblock_order, &sum);
}

/* Fragment with 3of4, movable only; false (and a message naming @who) on failure. */
bool bench_frag_3of4(const char *who)
{
	struct frag_opts o;
	int rc;

	memset(&o, 0, sizeof(o));
	frag_parse_pattern("3of4", &o.pattern);
	rc = frag_fill(&o);
	if (rc)
		printk("# %s: frag_fill failed (%d)\n", who, rc);
	return rc == 0;
}

/* Report the share and the index of free memory in order-9 blocks under @when. */
static void report_state(const char *B, const char *share, const char *index)
{
	unsigned long big, all;

	order9_free(&big, &all);
	bench_report(B, share, all ? 100.0 * (double)big / (double)all : 0, "%");
	bench_report(B, index, fragindex9_all() / 1000.0, "index");
}

/*
 * Write to every free page once (taken as max-order blocks, GFP_NOWAIT so
 * watermarks hold), so that the host's first-touch faults on guest RAM
 * are not timed as compaction; returns MiB touched.
 */
static unsigned long prefault_free_memory(void)
{
	LIST_HEAD(blocks);
	unsigned long n = 0;
	struct page *page;

	while ((page = alloc_pages(__GFP_NOWARN, MAX_ORDER))) {
		for (unsigned long i = 0; i < MAX_ORDER_NR_PAGES; i++)
			*(volatile uint64_t *)page_address(page + i) = i;
		list_add(&page->lru, &blocks);
		n++;
	}
	while (!list_empty(&blocks)) {
		page = list_first_entry(&blocks, struct page, lru);
		list_del(&page->lru);
		__free_pages(page, MAX_ORDER);
	}
	return n * pages_to_mib(MAX_ORDER_NR_PAGES);
}

/* One full compaction after frag 3of4: cycles taken, pages moved (*moved); 0 on failure. */
static uint64_t full_compaction_round(const char *B, bool report, unsigned long *moved)
{
	struct compact_stats st;
	struct frag_stats fs;
	uint64_t t0, t1;
	unsigned long bad;

	t0 = arch_cycles();
	if (!bench_frag_3of4("compaction"))
		return 0;
	t1 = arch_cycles();
	if (report) {
		frag_get_stats(&fs);
		bench_report(B, "frag_fill_ms", (double)(t1 - t0) * 1e3 / (double)tsc_hz(), "ms");
		bench_report(B, "frag_held_MiB", (double)fs.held_movable / PAGES_PER_MIB, "MiB");
		report_state(B, "order9_share_before_pct", "fragindex9_before");
		bench_report(B, "score_before", fragmentation_score(), "score");
	}
	memset(&st, 0, sizeof(st));
	t0 = arch_cycles();
	compact_all(&st);
	t1 = arch_cycles();
	bad = frag_verify();
	if (report) {
		report_state(B, "order9_share_after_pct", "fragindex9_after");
		bench_report(B, "score_after", fragmentation_score(), "score");
		bench_report(B, "pages_moved", (double)st.moved, "pages");
		bench_report(B, "pages_failed", (double)st.failed, "pages");
		bench_report(B, "verify_mismatches", (double)bad, "pages");
	} else if (bad) {
		bench_report(B, "verify_mismatches", (double)bad, "pages");
	}
	frag_release();
	*moved = st.moved;
	return t1 - t0;
}

/*
 * Full compaction after frag 3of4: result (first round) and throughput
 * (the round of median rate among FULL_ROUNDS: a single wall-clock run on
 * a shared host swings by a third).
 */
static void bench_full_compaction(const char *B)
{
	uint64_t cyc[FULL_ROUNDS], rate[FULL_ROUNDS];
	unsigned long moved[FULL_ROUNDS];
	double secs, cold = bench_cal_copy_cold_cycles();
	unsigned int n = 0, mid = 0;

	for (unsigned int r = 0; r < FULL_ROUNDS; r++) {
		cyc[n] = full_compaction_round(B, r == 0, &moved[n]);
		if (!cyc[n])
			break;
		rate[n] = (uint64_t)((double)moved[n] * 1e6 / (double)cyc[n]);	/* pages per Mcycle */
		n++;
	}
	if (!n)
		return;
	/* the round whose rate is the median */
	{
		uint64_t sorted[FULL_ROUNDS];

		memcpy(sorted, rate, n * sizeof(rate[0]));
		uint64_t med = bench_percentile(sorted, n, 50);

		for (unsigned int r = 0; r < n; r++)
			if (rate[r] == med)
				mid = r;
	}
	secs = (double)cyc[mid] / (double)tsc_hz();
	bench_report(B, "compact_rounds", (double)n, "rounds");
	bench_report(B, "compact_ms", secs * 1e3, "ms");
	bench_report(B, "compact_MiBps", secs > 0 ? (double)moved[mid] / PAGES_PER_MIB / secs : 0, "MiB/s");
	if (cold > 0 && moved[mid]) {
		bench_report(B, "compact_vs_cold_copy",
			     (double)moved[mid] * cold / (double)cyc[mid], "x");
		for (unsigned int r = 0; r < n; r++) {
			char name[40];

			snprintf(name, sizeof(name), "compact_vs_cold_copy_round%u", r + 1);
			bench_report(B, name, (double)moved[r] * cold / (double)cyc[r], "x");
		}
	}
}

/* Latency of order-9 allocations that need direct compaction. */
static void bench_direct_compaction(const char *B)
{
	static uint64_t lat[DIRECT_SAMPLES], scanned[DIRECT_SAMPLES], moved[DIRECT_SAMPLES];
	unsigned long n = 0, nostall = 0, failed = 0, big, all, floor, slowest = 0;
	LIST_HEAD(held);
	struct zone *z;

	if (!bench_frag_3of4("compaction"))
		return;
	order9_free(&big, &all);
	floor = all / 4;	/* stop well before memory runs short */
	while (n < DIRECT_SAMPLES && failed < 4) {
		unsigned long stall = vm_stat_read(COMPACTSTALL);
		unsigned long sc0, mv0;
		struct page *page;
		uint64_t t0, t1;

		order9_free(&big, &all);
		if (all < floor)
			break;
		for_each_populated_zone(z)
			compaction_defer_reset(z, pageblock_order, true);
		sc0 = vm_stat_read(COMPACTMIGRATE_SCANNED) + vm_stat_read(COMPACTFREE_SCANNED);
		mv0 = vm_stat_read(PGMIGRATE_SUCCESS);
		t0 = arch_cycles();
		page = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, pageblock_order);
		t1 = arch_cycles();
		if (!page) {
			failed++;
			continue;
		}
		list_add(&page->lru, &held);
		if (vm_stat_read(COMPACTSTALL) == stall)
			nostall++;
		else {
			lat[n] = (t1 - t0) * 1000000 / tsc_hz();	/* us */
			scanned[n] = vm_stat_read(COMPACTMIGRATE_SCANNED) +
				     vm_stat_read(COMPACTFREE_SCANNED) - sc0;
			moved[n] = vm_stat_read(PGMIGRATE_SUCCESS) - mv0;
			if (lat[n] > lat[slowest])
				slowest = n;
			n++;
		}
	}
	bench_report(B, "direct_samples", (double)n, "allocs");
	bench_report(B, "direct_nostall", (double)nostall, "allocs");
	bench_report(B, "direct_failed", (double)failed, "allocs");
	if (n) {
		/* before bench_percentile() sorts the arrays */
		double slow_scanned = (double)scanned[slowest], slow_moved = (double)moved[slowest];

		bench_report(B, "direct_p50_us", (double)bench_percentile(lat, n, 50), "us");
		bench_report(B, "direct_p90_us", (double)bench_percentile(lat, n, 90), "us");
		bench_report(B, "direct_p99_us", (double)bench_percentile(lat, n, 99), "us");
		bench_report(B, "direct_max_us", (double)bench_percentile(lat, n, 100), "us");
		bench_report(B, "direct_scanned_p50", (double)bench_percentile(scanned, n, 50), "pfns");
		bench_report(B, "direct_moved_p50", (double)bench_percentile(moved, n, 50), "pages");
		bench_report(B, "direct_slowest_scanned", slow_scanned, "pfns");
		bench_report(B, "direct_slowest_moved", slow_moved, "pages");
	}
	bench_report(B, "direct_verify_mismatches", (double)frag_verify(), "pages");
	while (!list_empty(&held)) {
		struct page *page = list_first_entry(&held, struct page, lru);

		list_del(&page->lru);
		__free_pages(page, pageblock_order);
	}
	frag_release();
}

static void bench_compaction(void)
{
	const char *B = "compaction";

	bench_report(B, "ram_GiB", (double)totalram_pages() / 262144.0, "GiB");
	bench_report(B, "prefaulted_MiB", (double)prefault_free_memory(), "MiB");
	bench_full_compaction(B);
	bench_direct_compaction(B);
}
BENCH(compaction, bench_compaction);
