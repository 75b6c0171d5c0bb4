/* test_compaction.c - zone compaction, direct compaction, deferral, proactive compaction. */
#include "htest.h"
#include "support/host_mem.h"
#include "test_owner.h"
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <mm/vmstat.h>
#include <mm/fault_inject.h>
#include <string.h>

static unsigned long step_calls, step_violations;

/* Invariant check after every migrated batch. */
static void check_step(struct compact_control *cc)
{
	step_calls++;
	step_violations += mm_check_invariants();
	if (!list_empty(&cc->migratepages))
		step_violations++;
}

static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages_total();
}

/* Free pages in blocks of order >= @order, all zones. */
static unsigned long free_in_order(unsigned int order)
{
	drain_all_pages(NULL);
	return nr_free_pages_from_order(order);
}

/*
 * Fill free memory with @o's movable pages, then release three of every
 * four (by pfn), leaving one in four pinned in every pageblock.
 */
static void fragment(struct test_owner *o)
{
	struct page *p, *next;
	unsigned long i = 0;

	while (towner_alloc(o, __GFP_MOVABLE, i))
		i++;
	list_for_each_entry_safe(p, next, &o->pages, lru)
		if (page_to_pfn(p) % 4)
			towner_release(o, p);
}

static void setup(unsigned long mb)
{
	host_mem_init_mb(mb);
	compaction_init();
	migrate_stats_reset();
	step_calls = step_violations = 0;
}

/* Expect defer_compaction to back off 1, 2, 4 .. 64 attempts and a reset to clear it. */
TEST(deferral_backoff)
{
	struct zone *z;
	int tries;

	setup(32);
	z = &zones[ZONE_DMA32];
	EXPECT(!compaction_deferred(z, 4));
	defer_compaction(z, 4);
	EXPECT_EQ(z->compact_order_failed, 4);
	EXPECT(!compaction_deferred(z, 3));	/* lower orders unaffected */
	EXPECT(compaction_deferred(z, 4));	/* shift 1: every 2nd try */
	EXPECT(!compaction_deferred(z, 4));
	for (int k = 0; k < 8; k++)
		defer_compaction(z, 4);
	EXPECT_EQ(z->compact_defer_shift, 6);
	tries = 0;
	while (compaction_deferred(z, 5))
		tries++;
	EXPECT_EQ(tries, 63);
	compaction_defer_reset(z, 4, true);
	EXPECT_EQ(z->compact_defer_shift, 0);
	EXPECT_EQ(z->compact_order_failed, 5);
	host_mem_teardown();
}

/* Expect full compaction of a 3-of-4-freed memory to turn >= 90% of free memory into order-9 blocks, invariants holding after every batch, contents intact, counters adding up. */
TEST(full_compaction_defragments)
{
	struct test_owner o;
	struct compact_stats st;
	unsigned long before, free_frag, s0, iso0;

	setup(64);
	before = free_now();
	towner_init(&o, 21);
	fragment(&o);
	free_frag = free_now();
	EXPECT(free_in_order(pageblock_order) < free_frag / 10);
	EXPECT(fragmentation_score() > 80);
	s0 = vm_stat_read(PGMIGRATE_SUCCESS);
	iso0 = vm_stat_read(COMPACTISOLATED);
	compact_step_hook = check_step;
	memset(&st, 0, sizeof(st));
	compact_all(&st);
	compact_step_hook = NULL;
	EXPECT(step_calls > 10);
	EXPECT_EQ(step_violations, 0);
	EXPECT_EQ(o.corrupt, 0);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT(st.moved > 1000);
	EXPECT_EQ(vm_stat_read(PGMIGRATE_SUCCESS) - s0, st.moved);
	EXPECT_EQ(vm_stat_read(COMPACTISOLATED) - iso0, st.isolated_migrate + st.isolated_free);
	EXPECT(st.isolated_migrate >= st.moved);
	EXPECT_EQ(free_now(), free_frag);	/* compaction neither leaks nor creates pages */
	EXPECT(free_in_order(pageblock_order) * 100 >= free_frag * 90);
	printf("# free %lu, in order>=9 before-frag n/a, after %lu (%lu%%), moved %lu\n",
	       free_frag, free_in_order(pageblock_order),
	       free_in_order(pageblock_order) * 100 / free_frag, st.moved);
	EXPECT(fragmentation_score() < 20);
	EXPECT_EQ(o.nr_isolated, 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* compact_stall, compact_success, compact_fail now. */
struct ccounts { unsigned long stall, success, fail; };
static struct ccounts ccounts_now(void)
{
	struct ccounts c = { vm_stat_read(COMPACTSTALL), vm_stat_read(COMPACTSUCCESS),
			     vm_stat_read(COMPACTFAIL) };
	return c;
}

/* Expect an order-9 allocation on fragmented memory to succeed through direct compaction, counting exactly one stall and one success. */
TEST(direct_compaction_serves_order9)
{
	struct test_owner o;
	struct page *big;
	struct ccounts c0, c1;

	setup(64);
	towner_init(&o, 22);
	fragment(&o);
	EXPECT_EQ(free_in_order(pageblock_order), 0);
	c0 = ccounts_now();
	big = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	ASSERT(big);
	c1 = ccounts_now();
	EXPECT_EQ(c1.stall - c0.stall, 1);
	EXPECT_EQ(c1.success - c0.success, 1);
	EXPECT_EQ(c1.fail - c0.fail, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(towner_verify(&o), 0);
	__free_pages(big, 9);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect compaction to fail when every page refuses isolation, count compact_fail, and defer the next attempt. */
TEST(direct_compaction_fails_and_defers)
{
	struct test_owner o;
	unsigned long fail0;
	struct zone *z = &zones[ZONE_DMA32];

	setup(64);
	towner_init(&o, 23);
	fragment(&o);
	o.refuse_isolate = true;
	fail0 = vm_stat_read(COMPACTFAIL);
	EXPECT(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9) == NULL);
	EXPECT(vm_stat_read(COMPACTFAIL) > fail0);
	EXPECT(z->compact_defer_shift > 0);
	EXPECT(z->compact_order_failed <= 9);
	EXPECT(compaction_deferred(z, 9));
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT(kcompactd_wakeups > 0);
	o.refuse_isolate = false;
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}

/* Expect compaction_suitable to report success when a block exists and skipped when memory is nearly full. */
TEST(suitability)
{
	struct test_owner o;
	struct zone *z = &zones[ZONE_DMA32];

	setup(64);
	EXPECT_EQ(compaction_suitable(z, 9), COMPACT_SUCCESS);
	towner_init(&o, 24);
	while (towner_alloc(&o, __GFP_MOVABLE, 0))
		;
	EXPECT_EQ(compaction_suitable(z, 9), COMPACT_SKIPPED);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}

/* Expect direct compaction under random callback failures and releases to keep invariants and contents. */
TEST(compaction_with_injected_failures)
{
	struct test_owner o;
	struct compact_stats st;
	unsigned long free_frag;

	setup(64);
	towner_init(&o, 25);
	fragment(&o);
	free_frag = free_now();
	o.fail_ppm = 300000;
	compact_step_hook = check_step;
	memset(&st, 0, sizeof(st));
	compact_all(&st);
	compact_step_hook = NULL;
	EXPECT_EQ(step_violations, 0);
	EXPECT(st.failed > 0);
	EXPECT(st.moved > 0);
	EXPECT_EQ(o.nr_isolated, 0);
	EXPECT_EQ(o.corrupt, 0);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(free_now(), free_frag);
	o.fail_ppm = 0;
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect proactive compaction to bring the score at or below its target and to do nothing at proactiveness 0. */
TEST(proactive_compaction_reaches_target)
{
	struct test_owner o;

	setup(64);
	towner_init(&o, 26);
	fragment(&o);
	sysctl_compaction_proactiveness = 0;
	EXPECT(!should_proactive_compact());
	sysctl_compaction_proactiveness = 50;
	EXPECT(should_proactive_compact());
	EXPECT(proactive_compact(NULL) > 0);
	EXPECT(fragmentation_score() <= fragmentation_score_wmark(true));
	EXPECT(!should_proactive_compact());
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(kcompactd_do_work(), 0);	/* nothing left to do */
	sysctl_compaction_proactiveness = 20;
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect skip hints to be set on blocks with nothing to take and honoured by a later non-whole-zone run. */
TEST(skip_hints)
{
	struct test_owner o;
	struct compact_stats st1, st2;
	struct zone *z = &zones[ZONE_DMA32];

	setup(64);
	towner_init(&o, 27);
	fragment(&o);
	o.refuse_isolate = true;
	memset(&st1, 0, sizeof(st1));
	memset(&st2, 0, sizeof(st2));
	compact_zone_order(z, 9, __GFP_MOVABLE, MIGRATE_SYNC, &st1);
	{
		unsigned long skipped = 0;

		for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z);
		     pfn += pageblock_nr_pages)
			skipped += get_pageblock_skip(pfn_to_page(pfn));
		EXPECT(skipped > 10);
	}
	/* the pass completed: the next run flushes hints and rescans */
	compact_zone_order(z, 9, __GFP_MOVABLE, MIGRATE_SYNC, &st2);
	EXPECT(st2.migrate_scanned > 0);
	o.refuse_isolate = false;
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}

/*
 * Expect Linux's counter semantics: compact_success only when the
 * allocation right after compaction gets its page (here it is made to
 * fail after compaction built the block: every stall is a failure),
 * compact_stall = success + fail, a stall counted when every zone is
 * deferred, and nothing counted when every zone is skipped for lack of
 * free memory.
 */
TEST(compact_counters_follow_the_allocation)
{
	struct test_owner o, fill;
	struct ccounts c0, c1;
	struct page *big;
	unsigned long scanned0;

	setup(64);
	towner_init(&o, 28);
	fragment(&o);
	/* compaction succeeds, the allocation does not */
	ASSERT_EQ(fault_inject_parse("every=1,order=9,sites=zone"), 0);
	c0 = ccounts_now();
	EXPECT(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9) == NULL);
	c1 = ccounts_now();
	fault_inject_reset();
	EXPECT(c1.stall - c0.stall >= 1);
	EXPECT_EQ(c1.success - c0.success, 0);
	EXPECT_EQ(c1.fail - c0.fail, c1.stall - c0.stall);
	EXPECT(free_in_order(pageblock_order) > 0);	/* compaction did build blocks */
	/* the block is there now: no stall at all */
	c0 = ccounts_now();
	big = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	ASSERT(big);
	c1 = ccounts_now();
	EXPECT_EQ(c1.stall - c0.stall, 0);
	__free_pages(big, 9);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();

	/* deferred everywhere: a stall and a failure, no scanning */
	setup(64);
	towner_init(&o, 29);
	fragment(&o);
	o.refuse_isolate = true;
	c0 = ccounts_now();
	EXPECT(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9) == NULL);
	c1 = ccounts_now();
	EXPECT(c1.stall - c0.stall >= 1);
	EXPECT_EQ(c1.success - c0.success, 0);
	EXPECT_EQ(c1.fail - c0.fail, c1.stall - c0.stall);
	EXPECT(zones[ZONE_DMA32].compact_defer_shift > 0);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		zones[z].compact_considered = 0;	/* next attempt: deferred */
		if (zones[z].managed_pages && !zones[z].compact_defer_shift)
			defer_compaction(&zones[z], 9);
	}
	scanned0 = vm_stat_read(COMPACTMIGRATE_SCANNED);
	c0 = ccounts_now();
	EXPECT(alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 9) == NULL);
	c1 = ccounts_now();
	EXPECT_EQ(c1.stall - c0.stall, 1);
	EXPECT_EQ(c1.fail - c0.fail, 1);
	EXPECT_EQ(vm_stat_read(COMPACTMIGRATE_SCANNED), scanned0);
	o.refuse_isolate = false;
	EXPECT(towner_release_all(&o));
	host_mem_teardown();

	/* memory full: every zone skipped, nothing counted */
	setup(64);
	towner_init(&fill, 35);
	while (towner_alloc(&fill, __GFP_MOVABLE, 0))
		;
	EXPECT_EQ(compaction_suitable(&zones[ZONE_DMA32], 9), COMPACT_SKIPPED);
	c0 = ccounts_now();
	EXPECT(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9) == NULL);
	c1 = ccounts_now();
	EXPECT_EQ(c1.stall - c0.stall, 0);
	EXPECT_EQ(c1.fail - c0.fail, 0);
	EXPECT_EQ(c1.success - c0.success, 0);
	EXPECT(towner_release_all(&fill));
	host_mem_teardown();
}

/*
 * Fill free memory with @o's movable pages, then in every group of four
 * pfns keep one page (the first, or a random one with @random_keep) and
 * release the other three: each 2 MiB block keeps a quarter of its pages.
 */
static void fragment_keep_one_in_four(struct test_owner *o, bool random_keep)
{
	struct page *p, *next;
	unsigned long i = 0;

	while (towner_alloc(o, __GFP_MOVABLE, i))
		i++;
	list_for_each_entry_safe(p, next, &o->pages, lru) {
		unsigned long pfn = page_to_pfn(p);
		/* the same keeper for the whole group: hash of the group number */
		unsigned long keep = random_keep ?
			((pfn >> 2) * 0x9e3779b97f4a7c15ULL + o->id * 0x632be5abULL) >> 62 : 0;

		if ((pfn & 3) != keep)
			towner_release(o, p);
	}
}

/*
 * Share (per mille) of free memory in blocks of order >= 9 after full
 * compaction of an @mb MiB machine fragmented as above; checks contents,
 * counts and invariants on the way.
 */
static unsigned long order9_share_after_compaction(unsigned long mb, unsigned int id,
						   bool random_keep)
{
	struct test_owner o;
	struct compact_stats st;
	unsigned long before, free_frag, in9, permille;

	setup(mb);
	before = free_now();
	towner_init(&o, id);
	fragment_keep_one_in_four(&o, random_keep);
	free_frag = free_now();
	EXPECT(free_in_order(pageblock_order) < free_frag / 20);
	memset(&st, 0, sizeof(st));
	compact_all(&st);
	in9 = free_in_order(pageblock_order);
	permille = in9 * 1000 / free_frag;
	/* DMA32 holds no reserved memory here: at most one partly filled pageblock */
	{
		struct zone *z = &zones[ZONE_DMA32];
		unsigned long blocks = 0;

		for (unsigned int o = pageblock_order; o <= MAX_ORDER; o++)
			blocks += z->free_area[o].nr_free << o;
		EXPECT(z->free_pages - blocks < pageblock_nr_pages);
	}
	printf("# %lu MiB%s: free %lu pages, in order>=9 blocks %lu (%lu.%lu%%), moved %lu, failed %lu\n",
	       mb, random_keep ? " (random keepers)" : "", free_frag, in9, permille / 10,
	       permille % 10, st.moved, st.failed);
	EXPECT_EQ(free_now(), free_frag);
	EXPECT(st.failed <= 2 * COMPACT_CLUSTER_MAX);	/* only where the scanners met */
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
	return permille;
}

/* Expect full compaction of a 1 GiB machine fragmented 3-of-4 per 2 MiB block to make >= 98% of free memory order-9 blocks (a compaction goal, docs/references.md). */
TEST(order9_share_1g_at_least_98pct)
{
	EXPECT(order9_share_after_compaction(1024, 40, false) >= 980);
}

/* Expect the same >= 98% with random keepers and a random machine size of 512 MiB to 1 GiB (seeded). */
TEST(order9_share_random_at_least_98pct)
{
	unsigned long mb = 512 + 64 * ((htest_rand() >> 33) % 9);
	unsigned int id = 41 + (unsigned int)((htest_rand() >> 33) % 100000);

	EXPECT(order9_share_after_compaction(mb, id, true) >= 980);
}

/*
 * Expect the free scanner to take only the targets the batches need (a
 * buddy block is taken whole, so at most one page over per refill) and,
 * in a whole-zone pass, the two scanners together to look at each pfn of
 * the zone at most once (no block rescanned).
 */
TEST(free_scanner_takes_only_what_is_needed)
{
	struct test_owner o;
	struct compact_stats st;
	struct zone *z = &zones[ZONE_DMA32];
	struct page *big;

	setup(64);
	towner_init(&o, 28);
	fragment(&o);
	memset(&st, 0, sizeof(st));
	EXPECT_EQ(compact_zone_order(z, 9, __GFP_MOVABLE, MIGRATE_SYNC, &st), COMPACT_SUCCESS);
	EXPECT(st.isolated_migrate > 0);
	EXPECT(st.isolated_free <= st.isolated_migrate +
				   st.isolated_migrate / COMPACT_CLUSTER_MAX + 1);
	printf("# direct: migrate isolated %lu scanned %lu, free isolated %lu scanned %lu\n",
	       st.isolated_migrate, st.migrate_scanned, st.isolated_free, st.free_scanned);
	big = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 9);
	ASSERT(big);
	__free_pages(big, 9);

	memset(&st, 0, sizeof(st));
	compact_zone_full(z, &st);
	printf("# whole zone: %lu pfns, migrate scanned %lu, free scanned %lu, moved %lu\n",
	       z->spanned_pages, st.migrate_scanned, st.free_scanned, st.moved);
	EXPECT(st.moved > 1000);
	EXPECT(st.migrate_scanned + st.free_scanned <= z->spanned_pages);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}
