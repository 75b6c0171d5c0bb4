/* test_isolation.c - range isolation, PageOffline rules (seed 003), alloc_contig_range. */
#include "htest.h"
#include "support/host_mem.h"
#include "test_owner.h"
#include <mm/page_alloc.h>
#include <mm/page_isolation.h>
#include <mm/compaction.h>
#include <string.h>

static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages_total();
}

static void setup(void)
{
	host_mem_init_mb(64);
	compaction_init();
	migrate_stats_reset();
}

/* A pageblock-aligned range of DMA32 that is entirely free right after init. */
#define R0 (32UL << 8)		/* 32 MiB */
#define R1 (R0 + 4 * pageblock_nr_pages)

/* Expect isolation to move free pages to the isolate lists, refuse allocation from them, and undo exactly. */
TEST(isolate_and_undo_free_range)
{
	unsigned long before;

	setup();
	before = free_now();
	ASSERT_EQ(start_isolate_page_range(R0, R1, MIGRATE_MOVABLE, 0), 0);
	for (unsigned long pfn = R0; pfn < R1; pfn += pageblock_nr_pages)
		EXPECT_EQ(get_pfnblock_migratetype(pfn), MIGRATE_ISOLATE);
	EXPECT_EQ(test_pages_isolated(R0, R1, 0), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* isolating twice is refused */
	EXPECT_EQ(start_isolate_page_range(R0, R1, MIGRATE_MOVABLE, 0), -EBUSY);
	undo_isolate_page_range(R0, R1, MIGRATE_MOVABLE);
	for (unsigned long pfn = R0; pfn < R1; pfn += pageblock_nr_pages)
		EXPECT_EQ(get_pfnblock_migratetype(pfn), MIGRATE_MOVABLE);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(start_isolate_page_range(R0 + 1, R1, MIGRATE_MOVABLE, 0), -EINVAL);
	host_mem_teardown();
}

/* Expect an unmovable page to fail isolation (everything restored) and a movable one not to. */
TEST(unmovable_page_fails_isolation)
{
	struct page *pin = NULL, *tmp[4096];
	unsigned long n = 0;
	struct test_owner o;

	setup();
	towner_init(&o, 31);
	/* grab unmovable pages until one lands in the range */
	while (n < 4096 && (tmp[n] = alloc_page(GFP_KERNEL | __GFP_MEMALLOC))) {
		unsigned long pfn = page_to_pfn(tmp[n]);

		if (pfn >= R0 && pfn < R1) {
			pin = tmp[n];
			break;
		}
		n++;
	}
	if (!pin) {
		/* allocator did not hand out the range; use contig to pin it */
		for (unsigned long i = 0; i < n; i++)
			__free_page(tmp[i]);
		n = 0;
		ASSERT_EQ(alloc_contig_range(R0 + 7, R0 + 8, MIGRATE_MOVABLE, 0), 0);
		pin = pfn_to_page(R0 + 7);
	}
	EXPECT_EQ(start_isolate_page_range(R0, R1, MIGRATE_MOVABLE, REPORT_FAILURE), -EBUSY);
	for (unsigned long pfn = R0; pfn < R1; pfn += pageblock_nr_pages)
		EXPECT_EQ(get_pfnblock_migratetype(pfn), MIGRATE_MOVABLE);
	EXPECT(has_unmovable_pages(&zones[ZONE_DMA32], R0, R1, 0) == pin);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(alloc_contig_range(R0, R1, MIGRATE_MOVABLE, 0), -EBUSY);
	EXPECT_EQ(mm_check_invariants(), 0);
	__free_page(pin);
	for (unsigned long i = 0; i < n; i++)
		__free_page(tmp[i]);
	host_mem_teardown();
}

/* Expect a refcount-0 PageOffline page to be skippable with SKIP_OFFLINE and unmovable otherwise, and never freed (seed 003). */
TEST(offline_page_rules)
{
	struct page *p;
	unsigned long pfn, b0, b1;

	setup();
	ASSERT_EQ(alloc_contig_range(R0 + 3, R0 + 4, MIGRATE_MOVABLE, 0), 0);
	p = pfn_to_page(R0 + 3);
	__SetPageOffline(p);
	b0 = free_now();
	put_page(p);			/* last reference: stays out of the buddy */
	EXPECT_EQ(page_count(p), 0);
	EXPECT(PageOffline(p));
	EXPECT_EQ(free_now(), b0);
	pfn = R0;
	EXPECT(has_unmovable_pages(&zones[ZONE_DMA32], pfn, pfn + pageblock_nr_pages, 0) == p);
	EXPECT(has_unmovable_pages(&zones[ZONE_DMA32], pfn, pfn + pageblock_nr_pages,
				   SKIP_OFFLINE) == NULL);
	/* alloc_contig_range refuses it */
	EXPECT_EQ(alloc_contig_range(R0, R0 + pageblock_nr_pages, MIGRATE_MOVABLE, 0), -EBUSY);
	/* offlining skips it */
	ASSERT_EQ(start_isolate_page_range(R0, R0 + pageblock_nr_pages, MIGRATE_MOVABLE,
					   SKIP_OFFLINE), 0);
	EXPECT_EQ(test_pages_isolated(R0, R0 + pageblock_nr_pages, SKIP_OFFLINE), 0);
	EXPECT_EQ(test_pages_isolated(R0, R0 + pageblock_nr_pages, 0), -EBUSY);
	undo_isolate_page_range(R0, R0 + pageblock_nr_pages, MIGRATE_MOVABLE);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* the owner takes it back and frees it */
	b1 = free_now();
	set_page_count(p, 1);
	__ClearPageOffline(p);
	__free_page(p);
	EXPECT_EQ(free_now(), b1 + 1);
	host_mem_teardown();
}

/* Expect alloc_contig_range over a range full of movable pages to migrate them out and hand back exactly the range, contents intact. */
TEST(contig_range_full_of_movable_pages)
{
	struct test_owner o;
	struct page *p;
	unsigned long before, in_range = 0, s = R0 + 100, e = R0 + 100 + 1500;

	setup();
	before = free_now();
	towner_init(&o, 32);
	while (towner_alloc(&o, __GFP_MOVABLE, o.nr_owned))
		;
	/* free a quarter so there are targets elsewhere */
	{
		struct page *n;

		list_for_each_entry_safe(p, n, &o.pages, lru) {
			unsigned long pfn = page_to_pfn(p);

			if ((pfn < R0 || pfn >= R1) && (pfn % 4) == 0)
				towner_release(&o, p);
		}
	}
	list_for_each_entry(p, &o.pages, lru)
		in_range += page_to_pfn(p) >= s && page_to_pfn(p) < e;
	EXPECT(in_range > 1000);
	ASSERT_EQ(alloc_contig_range(s, e, MIGRATE_MOVABLE, 0), 0);
	for (unsigned long pfn = s; pfn < e; pfn++) {
		EXPECT_EQ(page_count(pfn_to_page(pfn)), 1);
		EXPECT(!__PageMovable(pfn_to_page(pfn)));
	}
	list_for_each_entry(p, &o.pages, lru)
		EXPECT(page_to_pfn(p) < s || page_to_pfn(p) >= e);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(o.nr_isolated, 0);
	for (unsigned long pfn = pageblock_start_pfn(s); pfn < e; pfn += pageblock_nr_pages)
		EXPECT_EQ(get_pfnblock_migratetype(pfn), MIGRATE_MOVABLE);
	EXPECT_EQ(mm_check_invariants(), 0);
	free_contig_range(s, e - s);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect a movable page whose owner refuses isolation to make alloc_contig_range fail cleanly, nothing held, owner state intact. */
TEST(contig_fails_cleanly_on_refusal)
{
	struct test_owner o;
	unsigned long before, free_mid;
	struct page *p;

	setup();
	before = free_now();
	towner_init(&o, 33);
	ASSERT_EQ(alloc_contig_range(R0 + 9, R0 + 10, MIGRATE_MOVABLE, 0), 0);
	p = pfn_to_page(R0 + 9);
	p->index = 0;
	towner_paint(&o, p);
	lock_page(p);
	__SetPageMovable(p, &o.as);
	list_add(&p->lru, &o.pages);
	o.nr_owned++;
	unlock_page(p);
	o.refuse_isolate = true;
	free_mid = free_now();
	EXPECT_EQ(alloc_contig_range(R0, R1, MIGRATE_MOVABLE, 0), -EBUSY);
	EXPECT_EQ(free_now(), free_mid);
	for (unsigned long pfn = R0; pfn < R1; pfn += pageblock_nr_pages)
		EXPECT_EQ(get_pfnblock_migratetype(pfn), MIGRATE_MOVABLE);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	o.refuse_isolate = false;
	/* now it moves */
	EXPECT_EQ(alloc_contig_range(R0, R1, MIGRATE_MOVABLE, 0), 0);
	EXPECT(page_to_pfn(list_first_entry(&o.pages, struct page, lru)) != R0 + 9);
	free_contig_range(R0, R1 - R0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}

/* Expect alloc_contig_pages(9) to find an aligned 2 MiB range on fragmented memory. */
TEST(contig_any_order9)
{
	struct test_owner o;
	struct page *p, *n;
	unsigned long pfn;

	setup();
	towner_init(&o, 34);
	while (towner_alloc(&o, __GFP_MOVABLE, o.nr_owned))
		;
	list_for_each_entry_safe(p, n, &o.pages, lru)
		if (page_to_pfn(p) % 4)
			towner_release(&o, p);
	pfn = alloc_contig_pages(9, GFP_KERNEL);
	ASSERT(pfn != 0);
	EXPECT_EQ(pfn & 511, 0);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	free_contig_range(pfn, 512);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}
