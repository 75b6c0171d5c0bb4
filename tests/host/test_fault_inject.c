/* test_fault_inject.c - fail_page_alloc: parsing, policies, and every allocation site. */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/fault_inject.h>
#include "support/host_smp.h"
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <mm/vmstat.h>
#include <errno.h>

extern int host_quiet;

/* Expect valid specs to parse into the right policy and bad ones to be refused with -EINVAL. */
TEST(parse_specs)
{
	host_mem_init_mb(16);
	EXPECT_EQ(fault_inject_parse("nth=5"), 0);
	EXPECT_EQ(fail_page_alloc.mode, FAIL_NTH);
	EXPECT_EQ(fail_page_alloc.n, 5);
	EXPECT_EQ(fail_page_alloc.sites, 1u << FAIL_SITE_ALLOC_PAGES);
	EXPECT_EQ(fault_inject_parse("every=3,order=2"), 0);
	EXPECT_EQ(fail_page_alloc.mode, FAIL_EVERY);
	EXPECT_EQ(fail_page_alloc.min_order, 2);
	EXPECT_EQ(fault_inject_parse("prob=10%,seed=7,times=4,sites=pcp+slab,nowarn=skip,gfp=movable"), 0);
	EXPECT_EQ(fail_page_alloc.mode, FAIL_PROB);
	EXPECT_EQ(fail_page_alloc.prob_pct, 10);
	EXPECT_EQ(fail_page_alloc.times, 4);
	EXPECT_EQ(fail_page_alloc.sites, (1u << FAIL_SITE_PCP_REFILL) | (1u << FAIL_SITE_SLAB));
	EXPECT(fail_page_alloc.ignore_gfp_nowarn);
	EXPECT_EQ(fail_page_alloc.require_gfp, __GFP_MOVABLE);
	EXPECT_EQ(fault_inject_parse("sites=all,every=1"), 0);
	EXPECT_EQ(fail_page_alloc.sites, (1u << NR_FAIL_SITES) - 1);
	EXPECT_EQ(fault_inject_parse("off"), 0);
	EXPECT_EQ(fail_page_alloc.mode, FAIL_OFF);
	host_quiet = 1;
	EXPECT_EQ(fault_inject_parse(""), -EINVAL);
	EXPECT_EQ(fault_inject_parse("nth=0"), -EINVAL);
	EXPECT_EQ(fault_inject_parse("nth=abc"), -EINVAL);
	EXPECT_EQ(fault_inject_parse("prob=101%"), -EINVAL);
	EXPECT_EQ(fault_inject_parse("order=11"), -EINVAL);
	EXPECT_EQ(fault_inject_parse("sites=bogus"), -EINVAL);
	EXPECT_EQ(fault_inject_parse("color=blue"), -EINVAL);
	EXPECT_EQ(fault_inject_parse("nth"), -EINVAL);
	host_quiet = 0;
	EXPECT_EQ(fail_page_alloc.mode, FAIL_OFF);	/* a refused spec changes nothing */
	fault_inject_show();
	host_mem_teardown();
}

/* Expect nth=N to fail exactly the Nth allocation and no other. */
TEST(nth_fails_once)
{
	struct page *p[10];

	host_mem_init_mb(16);
	ASSERT(fault_inject_parse("nth=4") == 0);
	for (int i = 0; i < 10; i++) {
		p[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
		EXPECT_EQ(p[i] == NULL, i == 3);
	}
	EXPECT_EQ(fail_page_alloc.injected, 1);
	for (int i = 0; i < 10; i++)
		if (p[i])
			__free_pages(p[i], 0);
	host_mem_teardown();
}

/* Expect every=N with order=K to fail every Nth eligible allocation of order >= K only. */
TEST(every_with_order_filter)
{
	int fails = 0;

	host_mem_init_mb(32);
	ASSERT(fault_inject_parse("every=3,order=2") == 0);
	for (int i = 0; i < 30; i++) {
		struct page *small = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 1);
		struct page *big = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 2);

		EXPECT(small != NULL);
		if (!big)
			fails++;
		else
			__free_pages(big, 2);
		if (small)
			__free_pages(small, 1);
	}
	EXPECT_EQ(fails, 10);
	EXPECT_EQ(fail_page_alloc.checks, 30);
	host_mem_teardown();
}

/* Expect prob=P to fail about P percent, times=T to cap the total, and seed to make it replayable. */
TEST(probability_and_times)
{
	int fails = 0, fails2 = 0;

	host_mem_init_mb(16);
	ASSERT(fault_inject_parse("prob=25,seed=42") == 0);
	for (int i = 0; i < 2000; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);

		if (!p)
			fails++;
		else
			__free_pages(p, 0);
	}
	EXPECT(fails > 400 && fails < 600);
	ASSERT(fault_inject_parse("prob=25,seed=42") == 0);
	for (int i = 0; i < 2000; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);

		if (!p)
			fails2++;
		else
			__free_pages(p, 0);
	}
	EXPECT_EQ(fails2, fails);
	ASSERT(fault_inject_parse("every=1,times=3") == 0);
	fails = 0;
	for (int i = 0; i < 10; i++) {
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);

		if (!p)
			fails++;
		else
			__free_pages(p, 0);
	}
	EXPECT_EQ(fails, 3);
	/* nowarn=skip exempts __GFP_NOWARN allocations */
	ASSERT(fault_inject_parse("every=1,nowarn=skip") == 0);
	{
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);

		EXPECT(p != NULL);
		if (p)
			__free_pages(p, 0);
	}
	host_mem_teardown();
}

/* Expect every allocation site to fail at least once under random injection, and free pages to return exactly. */
TEST(every_site_fails_and_nothing_leaks)
{
	static void *objs[4000];
	static struct page *pages[4000];
	static unsigned int orders[4000];
	int no = 0, np = 0;
	unsigned long free0;

	host_mem_init_mb(32);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	ASSERT(fault_inject_parse("prob=20,sites=all,seed=99") == 0);
	for (int i = 0; i < 20000; i++) {
		uint64_t r = htest_rand() % 10;

		if (r < 3 && no < 4000) {
			size_t size = htest_rand() % 5 ? 1 + htest_rand() % 2048 : 3000 + htest_rand() % 20000;
			void *o = kmalloc(size, GFP_KERNEL | __GFP_NOWARN);

			if (o)
				objs[no++] = o;
		} else if (r < 6 && np < 4000) {
			unsigned int order = htest_rand() % 3 ? 0 : (unsigned int)(htest_rand() % 6);
			struct page *p = alloc_pages((htest_rand() & 1 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE) |
						     __GFP_NOWARN, order);

			if (p) {
				orders[np] = order;
				pages[np++] = p;
			}
		} else if (r < 8 && no) {
			int k = (int)(htest_rand() % (uint64_t)no);

			kfree(objs[k]);
			objs[k] = objs[--no];
		} else if (np) {
			int k = (int)(htest_rand() % (uint64_t)np);

			__free_pages(pages[k], orders[k]);
			pages[k] = pages[--np];
			orders[k] = orders[np];
		}
		if (i % 500 == 0)
			drain_all_pages(NULL);	/* makes pcp refills frequent */
	}
	for (int s = 0; s < NR_FAIL_SITES; s++) {
		printf("# site %s: %lu injected\n", fail_site_name((enum fail_site)s),
		       fail_page_alloc.injected_site[s]);
		EXPECT(fail_page_alloc.injected_site[s] > 0);
	}
	fault_inject_parse("off");
	while (no)
		kfree(objs[--no]);
	while (np) {
		np--;
		__free_pages(pages[np], orders[np]);
	}
	kmem_cache_shrink_all();
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
	EXPECT(vm_stat_read(FAIL_PAGE_ALLOC_INJECTED) > 0);
	host_mem_teardown();
}

/* ---- fault_inject_reset() against a CPU inside the policy lock ---- */

static volatile int fi_holder_state;	/* 1: holding fi_lock, 2: told to release */
static volatile int fi_reset_done;

static void fi_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* CPU 1: hold the policy lock (as should_fail_alloc_page() does) until told. */
static void *fi_holder(void *arg)
{
	unsigned long flags;

	if (!host_smp_register(1))
		abort();
	spin_lock_irqsave(fault_inject_lock_for_test(), flags);
	fi_holder_state = 1;
	while (fi_holder_state != 2)
		fi_sleep_ms(1);
	spin_unlock_irqrestore(fault_inject_lock_for_test(), flags);
	host_smp_unregister();
	return NULL;
}

/* CPU 2: the shell's `fault reset`. */
static void *fi_resetter(void *arg)
{
	if (!host_smp_register(2))
		abort();
	fault_inject_reset();
	fi_reset_done = 1;
	host_smp_unregister();
	return NULL;
}

/*
 * Expect fault_inject_reset() to wait while another CPU holds the policy
 * lock (the old code re-initialised the lock under it: the reset finished
 * at once and broke the holder's mutual exclusion).
 */
TEST(reset_waits_for_the_policy_lock)
{
	pthread_t holder, resetter;

	fi_holder_state = 0;
	fi_reset_done = 0;
	ASSERT(pthread_create(&holder, NULL, fi_holder, NULL) == 0);
	for (int i = 0; i < 5000 && fi_holder_state != 1; i++)
		fi_sleep_ms(1);
	ASSERT(fi_holder_state == 1);
	ASSERT(pthread_create(&resetter, NULL, fi_resetter, NULL) == 0);
	fi_sleep_ms(50);
	EXPECT_EQ(fi_reset_done, 0);
	fi_holder_state = 2;
	pthread_join(holder, NULL);
	pthread_join(resetter, NULL);
	EXPECT_EQ(fi_reset_done, 1);
	EXPECT_EQ(fail_page_alloc.mode, FAIL_OFF);
}
