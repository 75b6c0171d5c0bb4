/* htest_main.c - runs the tests registered with TEST(), prints TAP. */
#include "../htest.h"
#include <lib/prandom.h>
#include <kernel/lockdep.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TESTS 1024

static struct { const char *name; htest_fn fn; } tests[MAX_TESTS];
static int ntests;
static int cur_failed;
static jmp_buf cur_jmp;
static uint64_t seed, rng_state;
static uint64_t scale = 1;

void htest_register(const char *name, htest_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "htest: more than %d tests\n", MAX_TESTS);
		exit(2);
	}
	tests[ntests].name = name;
	tests[ntests].fn = fn;
	ntests++;
}

void htest_fail(const char *file, int line, const char *what)
{
	cur_failed++;
	printf("#   FAILED %s:%d: %s\n", file, line, what);
	fflush(stdout);		/* survives a crash that follows (ASan exits without flushing) */
}

void htest_fail_eq(const char *file, int line, const char *a, const char *b,
		   long long va, long long vb)
{
	cur_failed++;
	printf("#   FAILED %s:%d: %s == %s (%lld vs %lld)\n", file, line, a, b, va, vb);
	fflush(stdout);
}

void htest_abort_test(void) { longjmp(cur_jmp, 1); }
uint64_t htest_seed(void) { return seed; }
uint64_t htest_iters(uint64_t n) { return n * scale; }
void htest_srand(uint64_t s) { rng_state = s ? s : 0x9e3779b97f4a7c15ULL; }

uint64_t htest_rand(void) { return prandom_u64_state(&rng_state); }

static int selected(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return 1;
	for (int i = first; i < argc; i++)
		if (strstr(name, argv[i]))
			return 1;
	return 0;
}

/*
 * The lock checker runs in every host test (CONFIG_LOCKDEP): a test fails
 * if it caused a report it did not expect (lockdep_expect_begin/end), if
 * it ended holding a lock, or if the checker disarmed itself (a table
 * filled) - so the whole host suite proves it produces zero reports.
 */
static void lockdep_check_test(const struct lockdep_stats *before)
{
	struct lockdep_stats now;
	unsigned int held = lockdep_reset_held();

	lockdep_get_stats(&now);
	if (now.reports != before->reports) {
		cur_failed++;
		printf("#   FAILED lockdep: %lu unexpected report(s) in this test\n",
		       now.reports - before->reports);
	}
	if (held && !cur_failed) {
		cur_failed++;
		printf("#   FAILED lockdep: the test ended holding %u lock(s)\n", held);
	}
	if (before->armed && !now.armed) {
		cur_failed++;
		printf("#   FAILED lockdep: the checker disarmed: %s\n", now.disarmed_why);
	}
}

int main(int argc, char **argv)
{
	volatile int first = 1;
	static int passed, failed, n;  /* static: survive longjmp */
	static struct lockdep_stats ld_before;
	const char *env;

	seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
	if ((env = getenv("HTEST_SEED")))
		seed = strtoull(env, NULL, 0);
	if ((env = getenv("HTEST_SCALE")))
		scale = strtoull(env, NULL, 0);
	while (first < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "--seed") && first + 1 < argc) {
			seed = strtoull(argv[first + 1], NULL, 0);
			first += 2;
		} else if (!strcmp(argv[first], "--long")) {
			scale = 20;
			first++;
		} else {
			fprintf(stderr, "usage: %s [--seed N] [--long] [name-substring ...]\n", argv[0]);
			return 2;
		}
	}
	printf("TAP version 13\n# %s seed=%" PRIu64 " (replay: --seed %" PRIu64 ")\n",
	       argv[0], seed, seed);
	for (int i = 0; i < ntests; i++)
		if (selected(tests[i].name, argc, argv, first))
			n++;
	printf("1..%d\n", n);
	n = 0;
	for (int i = 0; i < ntests; i++) {
		if (!selected(tests[i].name, argc, argv, first))
			continue;
		n++;
		cur_failed = 0;
		htest_srand(seed + (uint64_t)i);
		lockdep_get_stats(&ld_before);
		if (!setjmp(cur_jmp))
			tests[i].fn();
		lockdep_check_test(&ld_before);
		fflush(stdout);
		if (cur_failed) {
			printf("not ok %d - %s\n", n, tests[i].name);
			failed++;
		} else {
			printf("ok %d - %s\n", n, tests[i].name);
			passed++;
		}
	}
	printf("# %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
