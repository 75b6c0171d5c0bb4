/*
 * bench.c - runs the benchmarks named by bench= (all, or a comma list)
 * and prints each figure as a JSON line. Every run starts with the
 * calibration bench, so figures can be read as ratios to this machine.
 *
 * The benchmarks themselves (bench/bench_*.c) are linked only into the
 * benchmark image, build/ballast-bench.elf (`make bench` builds a release
 * one); in the image a user runs the table is empty, and bench= says so.
 */
#include <kernel/bench.h>
#include <mm/deferred_init.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <lib/parse.h>
#include <arch/x86.h>
#include <string.h>

extern const struct bench __benches_start[], __benches_end[];

void bench_report(const char *bench, const char *metric, double value, const char *unit)
{
	printk("{\"bench\": \"%s\", \"metric\": \"%s\", \"value\": %.3f, \"unit\": \"%s\"}\n",
	       bench, metric, value, unit);
}

static void sort_u64(uint64_t *v, size_t n)
{
	/* shell sort: no allocation, fine for a few thousand samples */
	for (size_t gap = n / 2; gap > 0; gap /= 2)
		for (size_t i = gap; i < n; i++) {
			uint64_t x = v[i];
			size_t j = i;
			for (; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
}

uint64_t bench_percentile(uint64_t *v, size_t n, unsigned p)
{
	if (!n)
		return 0;
	sort_u64(v, n);
	size_t i = (n - 1) * p / 100;
	return v[i];
}

uint64_t bench_median(uint64_t *v, size_t n) { return bench_percentile(v, n, 50); }

static const struct bench *find_bench(const char *name, size_t len)
{
	for (const struct bench *b = __benches_start; b < __benches_end; b++)
		if (list_item_is(name, len, b->name))
			return b;
	return NULL;
}

static void run_one(const struct bench *b)
{
	printk("# bench %s\n", b->name);
	uint64_t t0 = uptime_ns();
	b->fn();
	printk("# bench %s took %lu ms\n", b->name, (uptime_ns() - t0) / 1000000);
}

/* Does the comma list @spec hold "-NAME" for @name (excluded from "all")? */
static bool excluded(const char *spec, const char *name)
{
	const char *cur = spec, *item;
	size_t len;

	while (list_next_item(&cur, &item, &len))
		if (len && item[0] == '-' && list_item_is(item + 1, len - 1, name))
			return true;
	return false;
}

/*
 * Run calibration then the named benches ("all", or "all,-NAME,..." for
 * all but some); exits QEMU (0x10 ok, 0x11 unknown name or no benchmarks
 * in this image).
 */
void bench_run(const char *spec)
{
	int bad = 0;
	const struct bench *cal = find_bench("calibration", 11);

	if (__benches_end - __benches_start == 0) {
		printk("# bench: this image has no benchmarks; boot build/ballast-bench.elf "
		       "(`make bench` builds a release one)\n");
		qemu_exit(0x11);
	}
	deferred_init_start();	/* every CPU helps */
	deferred_init_wait();	/* measure the allocator, not the deferred memmap init */
	if (cal)
		run_one(cal);
	if (!strcmp(spec, "all") || !strncmp(spec, "all,", 4)) {
		for (const struct bench *b = __benches_start; b < __benches_end; b++)
			if (b != cal && !excluded(spec, b->name))
				run_one(b);
	} else {
		const char *cur = spec, *item;
		size_t len;

		while (list_next_item(&cur, &item, &len)) {
			const struct bench *b = find_bench(item, len);
			if (!b) {
				printk("# bench: no benchmark named '%.*s'\n", (int)len, item);
				bad = 1;
			} else if (b != cal) {
				run_one(b);
			}
		}
	}
	printk("# bench: done\n");
	qemu_exit(bad ? 0x11 : 0x10);
}
