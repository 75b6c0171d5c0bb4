/*
 * htest.h - the host test framework.
 *
 *   TEST(name) { ... }     defines and registers a test; say what it expects
 *                          in a comment "Expect ..." above it.
 *   EXPECT(cond)           records a failure (file:line, expression), goes on.
 *   EXPECT_EQ(a, b)        the same, printing both values.
 *   ASSERT(cond)           records a failure and ends the test at once.
 *   htest_seed()           the run's random seed (--seed N or HTEST_SEED,
 *                          else time-based); printed so a run replays.
 *   htest_iters(n)         n scaled by --long (x20) or HTEST_SCALE.
 *
 * Each binary prints TAP lines ("ok 3 - name", "not ok 4 - name") and a
 * closing "# N passed, M failed"; scripts/testrun.py adds them up.
 * Usage: test_x [--seed N] [--long] [name-substring ...]
 */
#ifndef HTEST_H
#define HTEST_H

#include <stdint.h>
#include <stdio.h>
#include <inttypes.h>

typedef void (*htest_fn)(void);
void htest_register(const char *name, htest_fn fn);
void htest_fail(const char *file, int line, const char *what);
void htest_fail_eq(const char *file, int line, const char *a, const char *b,
		   long long va, long long vb);
void htest_abort_test(void) __attribute__((noreturn));
uint64_t htest_seed(void);
uint64_t htest_iters(uint64_t n);
uint64_t htest_rand(void);                 /* xorshift64*, seeded by htest_seed() */
void htest_srand(uint64_t seed);

#define TEST(name) \
	static void name(void); \
	__attribute__((constructor)) static void htest_reg_##name(void) \
	{ htest_register(#name, name); } \
	static void name(void)

#define EXPECT(c) do { if (!(c)) htest_fail(__FILE__, __LINE__, #c); } while (0)
#define ASSERT(c) do { if (!(c)) { htest_fail(__FILE__, __LINE__, #c); htest_abort_test(); } } while (0)
#define EXPECT_EQ(a, b) do { long long __a = (long long)(a), __b = (long long)(b); \
	if (__a != __b) htest_fail_eq(__FILE__, __LINE__, #a, #b, __a, __b); } while (0)
#define ASSERT_EQ(a, b) do { long long __a = (long long)(a), __b = (long long)(b); \
	if (__a != __b) { htest_fail_eq(__FILE__, __LINE__, #a, #b, __a, __b); htest_abort_test(); } } while (0)

#endif
