/*
 * ltest.h - the smallest TAP harness, for the library's own tests
 * (tests/lib/test_*.c). They are built like a porter's code: from
 * build/lib/libballast-mm.a and -I build/lib/include only, plus the
 * hosted platform file (examples/hosted/platform.c), so a header the
 * library forgot to install fails the build here. The host harness's
 * htest.h is not usable from there on purpose.
 *
 *   LT_EXPECT(cond)            record a failure (with the line) if false
 *   LT_EXPECT_EQ(a, b)         the same, printing both values
 *   LT_RUN(fn)                 run a test, print "ok N - fn" or "not ok N - fn"
 *   lt_done()                  print the plan; the exit status
 */
#ifndef LTEST_H
#define LTEST_H

#include <stdio.h>

static int lt_n, lt_failures, lt_case_failed;

static inline void lt_fail(const char *file, int line, const char *what)
{
	printf("# %s:%d: %s\n", file, line, what);
	lt_case_failed = 1;
}

#define LT_EXPECT(cond) do { \
	if (!(cond)) \
		lt_fail(__FILE__, __LINE__, "expected " #cond); \
} while (0)

#define LT_EXPECT_EQ(a, b) do { \
	unsigned long long __a = (unsigned long long)(a), __b = (unsigned long long)(b); \
	if (__a != __b) { \
		char __m[256]; \
		snprintf(__m, sizeof(__m), "expected %s == %s: %llu != %llu", #a, #b, __a, __b); \
		lt_fail(__FILE__, __LINE__, __m); \
	} \
} while (0)

#define LT_RUN(fn) do { \
	lt_case_failed = 0; \
	fn(); \
	lt_n++; \
	lt_failures += lt_case_failed; \
	printf("%s %d - %s\n", lt_case_failed ? "not ok" : "ok", lt_n, #fn); \
	fflush(stdout); \
} while (0)

static inline int lt_done(void)
{
	printf("1..%d\n", lt_n);
	return lt_failures ? 1 : 0;
}

/* examples/hosted/platform.c: malloc an arena of @mib MiB, ballast_mm_init() over it. */
int hosted_start(unsigned long mib);

#endif
