/*
 * ktest.c - runs the in-kernel suites named by ktest= and reports KTAP v1.
 *
 *   ktest=all            every suite
 *   ktest=a,b            the named suites; an unknown name is an error
 *                        (reported, counted as a failure, the rest still run)
 *
 * The run ends with the lock checker's classes and recorded order edges
 * (lockdep_print_state()), then "# ktest: N passed, M failed, K skipped",
 * and QEMU exits through isa-debug-exit: 0x10 (all passed) or 0x11 (something failed).
 */
#include <kernel/ktest.h>
#include <mm/deferred_init.h>
#include <kernel/lockdep.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <lib/parse.h>
#include <arch/x86.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const struct ktest_suite __ktest_suites_start[], __ktest_suites_end[];

static unsigned total_pass, total_fail, total_skip;

void ktest_fail(struct ktest *t, const char *file, int line, const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("        # %s: FAILED at %s:%d: %s\n", t->name, file, line, buf);
	t->failures++;
}

void ktest_skip(struct ktest *t, const char *reason)
{
	t->skipped = true;
	t->skip_reason = reason;
}

void ktest_log(const char *fmt, ...)
{
	char buf[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("        # %s\n", buf);
}

/* Run one suite as KTAP subtest number @num; true if no case failed. */
static bool run_suite(const struct ktest_suite *s, unsigned num)
{
	unsigned fails = 0;
	printk("    KTAP version 1\n    # Subtest: %s\n    1..%zu\n", s->name, s->ncases);
	for (size_t i = 0; i < s->ncases; i++) {
		struct ktest t = { .name = s->cases[i].name };
		uint64_t t0 = uptime_ns();
		s->cases[i].fn(&t);
		uint64_t us = (uptime_ns() - t0) / 1000;
		if (t.skipped && !t.failures) {
			printk("    ok %zu %s # SKIP %s\n", i + 1, t.name, t.skip_reason);
			total_skip++;
		} else if (t.failures) {
			printk("    not ok %zu %s\n", i + 1, t.name);
			total_fail++;
			fails++;
		} else {
			printk("    ok %zu %s # %lu us\n", i + 1, t.name, us);
			total_pass++;
		}
	}
	printk("%s %u %s\n", fails ? "not ok" : "ok", num, s->name);
	return fails == 0;
}

static const struct ktest_suite *find_suite(const char *name, size_t len)
{
	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		if (list_item_is(name, len, s->name))
			return s;
	return NULL;
}

static void list_suites(void)
{
	printk("# available suites:");
	for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
		printk(" %s", s->name);
	printk("\n");
}

/* Run the suites named in @spec ("all" or a comma list); exits QEMU. */
void ktest_run(const char *spec)
{
	unsigned n = 0, num = 0;
	bool all = !strcmp(spec, "all");
	const char *cur = spec, *item;
	size_t len;

	/* suites count pages: let the deferred memmap finish first (mm/deferred_init.c) */
	deferred_init_start();	/* every CPU helps */
	deferred_init_wait();
	if (all) {
		n = (unsigned)(__ktest_suites_end - __ktest_suites_start);
	} else {
		while (list_next_item(&cur, &item, &len))
			n++;
	}
	printk("KTAP version 1\n1..%u\n", n);
	if (all) {
		for (const struct ktest_suite *s = __ktest_suites_start; s < __ktest_suites_end; s++)
			run_suite(s, ++num);
	} else {
		for (cur = spec; list_next_item(&cur, &item, &len); ) {
			const struct ktest_suite *s = find_suite(item, len);
			num++;
			if (s) {
				run_suite(s, num);
			} else {
				printk("# ktest: no suite named '%.*s'\n", (int)len, item);
				list_suites();
				printk("not ok %u %.*s # unknown suite\n", num, (int)len, item);
				total_fail++;
			}
		}
	}
	/* what the lock checker recorded over every suite (docs/locking.md lists these edges) */
	printk("# lock checker state after the run:\n");
	lockdep_print_state();
	printk("# ktest: %u passed, %u failed, %u skipped\n", total_pass, total_fail, total_skip);
	qemu_exit(total_fail ? 0x11 : 0x10);
}
