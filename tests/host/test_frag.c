/* test_frag.c - the frag owner (workloads/frag.c): patterns, fill, migration, release, zsmalloc workload. */
#include "htest.h"
#include "support/host_mem.h"
#include <workloads/frag.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <mm/page_isolation.h>
#include <mm/fault_inject.h>
#include <mm/vmstat.h>
#include <errno.h>
#include <string.h>

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

static void setup(unsigned long mb)
{
	host_mem_init_mb(mb);
	compaction_init();
	migrate_stats_reset();
}

/* Fill with @pattern and @pct pinned; asserts success. */
static void fill(const char *pattern, unsigned int pct)
{
	struct frag_opts o;

	memset(&o, 0, sizeof(o));
	ASSERT_EQ(frag_parse_pattern(pattern, &o.pattern), 0);
	o.unmovable_pct = pct;
	o.seed = htest_seed();
	ASSERT_EQ(frag_fill(&o), 0);
}

/* Expect good patterns to parse to their canonical names and bad ones to be refused. */
TEST(pattern_parsing)
{
	static const char *bad[] = { "", "of4", "3of", "4of4", "0of4", "3of1", "1of513",
				     "3of4x", "random:", "random:0%", "random:100", "random:5%%",
				     "checkers", "x3of4" };
	struct frag_pattern p;
	uint64_t rng = 1;

	EXPECT_EQ(frag_parse_pattern("3of4", &p), 0);
	EXPECT(p.kind == FRAG_KOFN && p.k == 3 && p.n == 4 && !strcmp(p.name, "3of4"));
	EXPECT(!frag_pattern_frees(&p, 0x1000, &rng) && frag_pattern_frees(&p, 0x1001, &rng) &&
	       frag_pattern_frees(&p, 0x1003, &rng) && !frag_pattern_frees(&p, 0x1004, &rng));
	EXPECT_EQ(frag_parse_pattern("511of512", &p), 0);
	EXPECT(!frag_pattern_frees(&p, 0x200, &rng) && frag_pattern_frees(&p, 0x201, &rng));
	EXPECT_EQ(frag_parse_pattern("checker", &p), 0);
	EXPECT(!frag_pattern_frees(&p, 0, &rng) && frag_pattern_frees(&p, 16, &rng) &&
	       frag_pattern_frees(&p, 512, &rng) && !frag_pattern_frees(&p, 528, &rng));
	EXPECT_EQ(frag_parse_pattern("random:30%", &p), 0);
	EXPECT(p.kind == FRAG_RANDOM && p.pct == 30 && !strcmp(p.name, "random:30%"));
	EXPECT_EQ(frag_parse_pattern("random:30", &p), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (frag_parse_pattern(bad[i], &p) != -EINVAL)
			printf("# accepted bad pattern '%s'\n", bad[i]);
		EXPECT_EQ(frag_parse_pattern(bad[i], &p), -EINVAL);
	}
}

/* Expect 3of4 to leave free memory with (almost) no order-9 block, compaction to bring >= 90% back, every page intact, and release to restore every free page. */
TEST(fill_compact_verify_release)
{
	struct frag_stats st;
	struct compact_stats cs;
	unsigned long before, free_frag, s0;

	setup(64);
	before = free_now();
	fill("3of4", 0);
	frag_get_stats(&st);
	free_frag = free_now();
	printf("# taken %lu freed %lu held %lu residue %lu free %lu order>=9 %lu\n", st.taken,
	       st.freed, st.held_movable, st.residue_blocks, free_frag,
	       free_in_order(pageblock_order));
	EXPECT(st.taken > before * 9 / 10);
	EXPECT_EQ(st.taken, st.freed + st.held_movable);
	EXPECT(st.held_movable * 4 >= st.taken - 4 && st.held_movable * 4 <= st.taken + 4);
	EXPECT_EQ(st.held_pinned, 0);
	EXPECT(free_in_order(pageblock_order) * 20 < free_frag);
	EXPECT_EQ(frag_verify(), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* a second fill while holding pages is refused */
	{
		struct frag_opts o;

		memset(&o, 0, sizeof(o));
		frag_parse_pattern("1of2", &o.pattern);
		EXPECT_EQ(frag_fill(&o), -EBUSY);
	}
	s0 = vm_stat_read(PGMIGRATE_SUCCESS);
	memset(&cs, 0, sizeof(cs));
	compact_all(&cs);
	frag_get_stats(&st);
	EXPECT(st.migrated > 1000);
	EXPECT_EQ(st.migrated, cs.moved);
	EXPECT_EQ(vm_stat_read(PGMIGRATE_SUCCESS) - s0, cs.moved);
	EXPECT_EQ(st.held_isolated, 0);
	EXPECT_EQ(frag_verify(), 0);
	EXPECT_EQ(free_now(), free_frag);
	EXPECT(free_in_order(pageblock_order) * 100 >= free_frag * 90);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(frag_release(), st.held_movable);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect pinned pages to be held unmovable: compaction leaves them, alloc_contig_range over one fails with everything restored. */
TEST(pinned_pages_block_contig)
{
	struct frag_stats st;
	unsigned long before, free1, blk = 0, pfn;

	setup(64);
	before = free_now();
	fill("3of4", 5);
	frag_get_stats(&st);
	EXPECT(st.held_pinned > 0);
	EXPECT(st.held_pinned * 100 < (st.held_pinned + st.held_movable) * 10);
	/* a pageblock holding a pinned page */
	for (pfn = zones[ZONE_DMA32].zone_start_pfn; pfn < zone_end_pfn(&zones[ZONE_DMA32]) && !blk;
	     pfn++)
		if (frag_page_owner(pfn_to_page(pfn)) == 2)
			blk = pageblock_start_pfn(pfn);
	ASSERT(blk);
	free1 = free_now();
	EXPECT_EQ(alloc_contig_range(blk, blk + pageblock_nr_pages, MIGRATE_MOVABLE, GFP_KERNEL),
		  -EBUSY);
	EXPECT_EQ(get_pfnblock_migratetype(blk), MIGRATE_MOVABLE);
	EXPECT_EQ(free_now(), free1);
	EXPECT_EQ(frag_verify(), 0);
	compact_all(NULL);
	EXPECT_EQ(frag_verify(), 0);
	for (pfn = blk; pfn < blk + pageblock_nr_pages; pfn++)
		if (frag_page_owner(pfn_to_page(pfn)) == 2)
			break;
	EXPECT(pfn < blk + pageblock_nr_pages);	/* the pinned page did not move */
	EXPECT_EQ(mm_check_invariants(), 0);
	frag_release();
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}

/* Expect every pattern to fill, verify, survive compaction and release cleanly. */
TEST(every_pattern)
{
	static const char *pats[] = { "1of2", "checker", "random:60%", "7of8" };
	unsigned long before;

	setup(32);
	before = free_now();
	for (unsigned i = 0; i < 4; i++) {
		struct frag_stats st;

		fill(pats[i], 0);
		frag_get_stats(&st);
		EXPECT(!strcmp(st.pattern, pats[i]));
		EXPECT(st.held_movable > 0 && st.freed > 0);
		EXPECT_EQ(frag_verify(), 0);
		compact_all(NULL);
		EXPECT_EQ(frag_verify(), 0);
		EXPECT_EQ(mm_check_invariants(), 0);
		frag_release();
		EXPECT_EQ(free_now(), before);
	}
	host_mem_teardown();
}

/* Expect a fill under random allocation failures (and always-failing ones) to end cleanly. */
TEST(fill_under_fault_injection)
{
	struct frag_opts o;
	struct frag_stats st;
	unsigned long before;

	setup(32);
	before = free_now();
	ASSERT_EQ(fault_inject_parse("prob=20%,sites=all,seed=3"), 0);
	fill("3of4", 10);
	frag_get_stats(&st);
	EXPECT(st.alloc_failures > 0);
	EXPECT(st.held_movable > 0);
	EXPECT_EQ(frag_verify(), 0);
	compact_all(NULL);
	EXPECT_EQ(frag_verify(), 0);
	frag_release();
	ASSERT_EQ(fault_inject_parse("every=1,sites=all"), 0);
	memset(&o, 0, sizeof(o));
	frag_parse_pattern("3of4", &o.pattern);
	EXPECT_EQ(frag_fill(&o), -ENOMEM);
	fault_inject_reset();
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect max= to bound the pages a fill takes, and a zs fill to stop at the reserve instead of exhausting memory. */
TEST(bounded_fills)
{
	struct frag_opts o;
	struct frag_stats st;
	struct frag_zs_stats zs;
	unsigned long before;

	setup(32);
	before = free_now();
	memset(&o, 0, sizeof(o));
	ASSERT_EQ(frag_parse_pattern("1of2", &o.pattern), 0);
	o.max_pages = 1000;
	ASSERT_EQ(frag_fill(&o), 0);
	frag_get_stats(&st);
	EXPECT(st.taken <= 1000 && st.taken >= 990);
	EXPECT_EQ(st.held_movable + st.freed, st.taken);
	EXPECT_EQ(frag_verify(), 0);
	frag_release();
	EXPECT_EQ(free_now(), before);
	frag_zs_fill(1UL << 30, 1024);
	frag_zs_get_stats(&zs);
	EXPECT(zs.stopped_at_reserve);
	EXPECT(free_now() > 256);
	EXPECT_EQ(frag_zs_verify(), 0);
	frag_zs_release();
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}

/* Expect a page released while the core has it isolated to be freed when it is put back. */
TEST(release_while_isolated)
{
	struct frag_stats st;
	unsigned long before, pfn;
	struct page *page = NULL;
	LIST_HEAD(l);

	setup(32);
	before = free_now();
	fill("3of4", 0);
	for (pfn = zones[ZONE_DMA32].zone_start_pfn; !page; pfn++)
		if (frag_page_owner(pfn_to_page(pfn)) == 1)
			page = pfn_to_page(pfn);
	ASSERT(isolate_movable_page(page, 0));
	EXPECT(!isolate_movable_page(page, 0));	/* a second isolator skips it */
	frag_get_stats(&st);
	EXPECT_EQ(st.held_isolated, 1);
	EXPECT_EQ(frag_verify(), 1);
	frag_release();
	frag_get_stats(&st);
	EXPECT_EQ(st.held_movable, 0);
	EXPECT_EQ(st.held_isolated, 1);
	list_add(&page->lru, &l);
	putback_movable_pages(&l);
	frag_get_stats(&st);
	EXPECT_EQ(st.held_isolated, 0);
	EXPECT_EQ(st.deferred_release, 1);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* a new fill works afterwards */
	fill("1of2", 0);
	EXPECT_EQ(frag_verify(), 0);
	frag_release();
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}

/* Expect zsmalloc objects painted with their ids to stay intact through thinning and compaction. */
TEST(zs_workload)
{
	struct frag_zs_stats zs;
	unsigned long before, n;

	setup(64);
	before = free_now();
	fill("3of4", 0);
	n = frag_zs_fill(4UL << 20, 0);
	EXPECT(n > 1000);
	n += frag_zs_fill(1UL << 20, 64);
	frag_zs_get_stats(&zs);
	EXPECT_EQ(zs.objects, n);
	EXPECT(zs.pages > 0);
	EXPECT_EQ(frag_zs_verify(), 0);
	EXPECT(frag_zs_thin(2) > 0);
	frag_release();
	EXPECT_EQ(frag_zs_verify(), 0);
	compact_all(NULL);
	frag_zs_get_stats(&zs);
	printf("# zs objects %lu pages %lu migrated %lu\n", zs.objects, zs.pages, zs.migrated);
	EXPECT(zs.migrated > 0);
	EXPECT_EQ(frag_zs_verify(), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(frag_zs_release(), zs.objects);
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}
