/*
 * ktest.h - in-kernel test suites, reported as KTAP v1 on the console.
 *
 * A suite is registered through the .ktest_suites linker section:
 *
 *   static void test_x(struct ktest *t) { KT_EXPECT(t, 1 + 1 == 2); }
 *   KTEST_SUITE(mysuite, KTEST_CASE(test_x), KTEST_CASE(test_y));
 *
 * Boot with ktest=all or ktest=<suite>[,<suite>...]. After the run the
 * kernel exits QEMU through isa-debug-exit with pass/fail status.
 * KT_ASSERT ends the case at once (the case function returns);
 * ktest_skip() marks the case skipped (reported as "# SKIP", never a pass).
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include <kernel/compiler.h>

struct ktest {
	const char *name;
	int failures;
	bool skipped;
	const char *skip_reason;
};

struct ktest_case {
	const char *name;
	void (*fn)(struct ktest *t);
};

struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	size_t ncases;
};

__printf(4, 5) void ktest_fail(struct ktest *t, const char *file, int line,
			       const char *fmt, ...);
void ktest_skip(struct ktest *t, const char *reason);
/* Print a diagnostic line ("# ...") inside the current case. */
__printf(1, 2) void ktest_log(const char *fmt, ...);

#define KTEST_CASE(fn) { #fn, fn }
#define KTEST_SUITE(sname, ...) \
	static const struct ktest_case sname##_ktest_cases[] = { __VA_ARGS__ }; \
	static const struct ktest_suite sname##_ktest_suite \
		__section(".ktest_suites") __used __aligned(8) = { \
		#sname, sname##_ktest_cases, ARRAY_SIZE(sname##_ktest_cases) }

#define KT_EXPECT(t, c) do { if (!(c)) ktest_fail(t, __FILE__, __LINE__, "%s", #c); } while (0)
#define KT_ASSERT(t, c) do { if (!(c)) { ktest_fail(t, __FILE__, __LINE__, "%s", #c); return; } } while (0)
#define KT_EXPECT_EQ(t, a, b) do { long long __a = (long long)(a), __b = (long long)(b); \
	if (__a != __b) ktest_fail(t, __FILE__, __LINE__, "%s == %s (%lld vs %lld)", #a, #b, __a, __b); } while (0)
#define KT_ASSERT_EQ(t, a, b) do { long long __a = (long long)(a), __b = (long long)(b); \
	if (__a != __b) { ktest_fail(t, __FILE__, __LINE__, "%s == %s (%lld vs %lld)", #a, #b, __a, __b); return; } } while (0)

#endif
