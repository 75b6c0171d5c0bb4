/*
 * bench.h - in-kernel benchmarks, run with bench=all or bench=<name>.
 *
 *   static void bench_x(void) { ... bench_report("x", "pair_cycles_p50", v, "cycles"); }
 *   BENCH(x, bench_x);
 *
 * bench_report() prints one JSON line: {"bench":..,"metric":..,"value":..,"unit":..}
 * scripts/bench.py collects them and prints the table with ratios to the
 * calibration (measured in the same boot by the "calibration" bench).
 */
#ifndef KERNEL_BENCH_H
#define KERNEL_BENCH_H

#include <kernel/compiler.h>

struct bench {
	const char *name;
	void (*fn)(void);
};

#define BENCH(bname, func) \
	static const struct bench bname##_bench \
		__section(".benches") __used __aligned(8) = { #bname, func }

void bench_report(const char *bench, const char *metric, double value, const char *unit);
/* Median of @n uint64 samples (sorts them in place). */
uint64_t bench_median(uint64_t *v, size_t n);
/* Value at percentile @p (0..100) of @n samples (sorts in place). */
uint64_t bench_percentile(uint64_t *v, size_t n, unsigned p);
/* TSC ticks per second, as calibrated at boot. */
uint64_t tsc_hz(void);
/* Cold 4 KiB copy cycles measured by this run's calibration (0 if it could not run). */
double bench_cal_copy_cold_cycles(void);

/* `frag 3of4` (movable pages) for a benchmark; false, with a line naming @who, on failure. */
bool bench_frag_3of4(const char *who);

#endif
