/*
 * test_mm_check.c - the cheap count check and the every-N-operations
 * check (mm_debug_check): it runs exactly on every N-th allocator
 * operation, it finds a free count that no longer matches its list even
 * when the counters still agree with each other, and it panics unless a
 * test asked for a report.
 */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/page_alloc.h>
#include <mm/gfp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern int host_quiet;

/* Do @n allocator operations: alternately alloc_page() and free it. */
static void do_ops(unsigned int n)
{
	struct page *p = NULL;

	for (unsigned int i = 0; i < n; i++) {
		if (!p) {
			p = alloc_page(GFP_KERNEL);
			ASSERT(p != NULL);
		} else {
			__free_page(p);
			p = NULL;
		}
	}
	ASSERT(p == NULL);	/* callers pass an even n */
}

/*
 * Plant (@delta = 1) or repair (-1) a consistent lie: one more MAX_ORDER
 * MOVABLE block in the counters of @zone (nr_free_mt, nr_free and
 * free_pages all agree) than its list holds.
 */
static void plant_free_count(struct zone *zone, long delta)
{
	struct free_area *area = &zone->free_area[MAX_ORDER];
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	area->nr_free_mt[MIGRATE_MOVABLE] += (unsigned long)delta;
	area->nr_free += (unsigned long)delta;
	zone->free_pages += (unsigned long)(delta * (1L << MAX_ORDER));
	spin_unlock_irqrestore(&zone->lock, flags);
}

/* Expect the check to run on exactly every N-th operation, and never with N = 0. */
TEST(debug_check_runs_every_nth_op)
{
	host_mem_init_mb(64);
	ASSERT_EQ(mm_debug_check_set(5), 0);
	mm_debug_check_reset();
	do_ops(24);
	EXPECT_EQ(mm_debug_check_runs, 4);
	EXPECT_EQ(mm_debug_check_failures, 0);
	ASSERT_EQ(mm_debug_check_set(0), 0);
	mm_debug_check_reset();
	do_ops(24);
	EXPECT_EQ(mm_debug_check_runs, 0);
	host_mem_teardown();
}

/*
 * Expect a free count planted one block above its list (with nr_free and
 * free_pages planted to agree) to be caught by the list walk at the N-th
 * operation and not before, and a clean run again once it is repaired.
 */
TEST(debug_check_catches_planted_count)
{
	struct zone *zone = &zones[ZONE_DMA32];
	struct free_area *area = &zone->free_area[MAX_ORDER];
	unsigned long sum = 0, pages = 0;
	struct page *p;

	host_mem_init_mb(64);
	ASSERT_EQ(mm_check_counts(), 0);
	ASSERT_EQ(mm_debug_check_set(4), 0);
	mm_debug_check_no_panic = true;
	mm_debug_check_reset();
	host_quiet = 1;
	plant_free_count(zone, 1);
	/* the counters still agree with each other: only the lists tell */
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		sum += area->nr_free_mt[mt];
	EXPECT_EQ(sum, area->nr_free);
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			if (!is_migrate_isolate(mt))
				pages += zone->free_area[o].nr_free_mt[mt] << o;
	EXPECT_EQ(pages, zone->free_pages);

	do_ops(2);			/* operations 1 and 2 */
	p = alloc_page(GFP_KERNEL);	/* operation 3 */
	ASSERT(p != NULL);
	EXPECT_EQ(mm_debug_check_runs, 0);
	EXPECT_EQ(mm_debug_check_failures, 0);
	__free_page(p);			/* operation 4: checked */
	EXPECT_EQ(mm_debug_check_runs, 1);
	EXPECT_EQ(mm_debug_check_failures, 1);
	EXPECT(mm_check_counts() > 0);

	plant_free_count(zone, -1);
	do_ops(4);			/* operation 8: checked, clean */
	EXPECT_EQ(mm_debug_check_runs, 2);
	EXPECT_EQ(mm_debug_check_failures, 1);
	EXPECT_EQ(mm_check_counts(), 0);
	host_quiet = 0;
	mm_debug_check_no_panic = false;
	host_mem_teardown();
}

/* Expect a pcp count that differs from its lists to be found, and gone once repaired. */
TEST(count_check_catches_pcp_count)
{
	struct zone *zone = &zones[ZONE_DMA32];
	struct page *p;

	host_mem_init_mb(64);
	p = alloc_page(GFP_KERNEL);
	ASSERT(p != NULL);
	__free_page(p);			/* at least one page on this CPU's list */
	ASSERT_EQ(mm_check_counts(), 0);
	host_quiet = 1;
	zone->pcp[0].count++;
	EXPECT_EQ(mm_check_counts(), 1);
	zone->pcp[0].count--;
	host_quiet = 0;
	EXPECT_EQ(mm_check_counts(), 0);
	host_mem_teardown();
}

/*
 * Expect a planted count to stop the program (panic, which aborts on the
 * host) at the next checked operation when no report-only mode was asked
 * for, naming mm_debug_check in the panic message.
 */
TEST(debug_check_panics_by_default)
{
	int fds[2], status = 0;
	char out[4096];
	ssize_t n, got = 0;
	pid_t pid;

	host_mem_init_mb(64);
	ASSERT_EQ(pipe(fds), 0);
	fflush(stdout);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		host_quiet = 1;
		mm_debug_check_set(1);
		mm_debug_check_no_panic = false;
		plant_free_count(&zones[ZONE_DMA32], 1);
		alloc_page(GFP_KERNEL);		/* operation 1: checked, panics */
		_exit(0);			/* not reached if the check works */
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof(out) - 1 && (n = read(fds[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += n;
	out[got] = 0;
	close(fds[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT(WIFSIGNALED(status));
	EXPECT_EQ(WIFSIGNALED(status) ? WTERMSIG(status) : 0, SIGABRT);
	EXPECT(strstr(out, "PANIC: mm_debug_check: 1 inconsistent allocator counts found after operation 1") != NULL);
	host_mem_teardown();
}
