/* test_isolation.c - range isolation, PageOffline rules (seed 003, docs/references.md), alloc_contig_range. */
#include "htest.h"
#include "support/host_mem.h"
#include "test_owner.h"
#include <mm/page_alloc.h>
#include <mm/page_isolation.h>
#include <mm/compaction.h>
#include <mm/page_offline.h>
extern int host_quiet;
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
	int mt_before[4];
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
	/*
	 * A failed isolation gives every pageblock back the type it had (the
	 * allocations above may have claimed one of the range as Unmovable:
	 * where a per-CPU refill ends depends on its batch).
	 */
	for (unsigned long pfn = R0; pfn < R1; pfn += pageblock_nr_pages)
		mt_before[(pfn - R0) / pageblock_nr_pages] = get_pfnblock_migratetype(pfn);
	EXPECT_EQ(start_isolate_page_range(R0, R1, MIGRATE_MOVABLE, REPORT_FAILURE), -EBUSY);
	for (unsigned long pfn = R0; pfn < R1; pfn += pageblock_nr_pages)
		EXPECT_EQ(get_pfnblock_migratetype(pfn), mt_before[(pfn - R0) / pageblock_nr_pages]);
	EXPECT(has_unmovable_pages(&zones[ZONE_DMA32], R0, R1, 0) == pin);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(alloc_contig_range(R0, R1, MIGRATE_MOVABLE, 0), -EBUSY);
	EXPECT_EQ(mm_check_invariants(), 0);
	__free_page(pin);
	for (unsigned long i = 0; i < n; i++)
		__free_page(tmp[i]);
	host_mem_teardown();
}

/*
 * Expect seed 001's PageOffline rules in isolation: a frozen page marked
 * PageOffline + Skippable is skipped by SKIP_OFFLINE (offlining) and
 * unmovable without it (alloc_contig_range); one without Skippable is
 * unmovable either way; a put_page on one is reported and frees nothing;
 * the owner gives it back with page_offline_release().
 */
TEST(offline_page_rules)
{
	struct page *p, *q;
	unsigned long b0, b1, bad0;

	setup();
	ASSERT_EQ(alloc_contig_frozen_range(R0 + 3, R0 + 5, 0), 0);
	p = pfn_to_page(R0 + 3);
	q = pfn_to_page(R0 + 4);
	EXPECT_EQ(page_count(p), 0);
	EXPECT_EQ(page_count(q), 0);
	page_offline_mark(p, 1, PAGE_OFFLINE_SKIPPABLE);
	page_offline_mark(q, 1, 0);
	EXPECT(PageOffline(p) && PageOfflineSkippable(p) && !PageOfflineNeverOnlined(p));
	EXPECT(PageOffline(q) && !PageOfflineSkippable(q));
	b0 = free_now();
	bad0 = nr_bad_pages;
	host_quiet = 1;
	put_page(p);			/* a bug: reported, nothing freed */
	host_quiet = 0;
	EXPECT_EQ(nr_bad_pages, bad0 + 1);
	EXPECT_EQ(page_count(p), 0);
	EXPECT(PageOffline(p) && !PageHWPoison(p));
	EXPECT_EQ(free_now(), b0);
	EXPECT(has_unmovable_pages(&zones[ZONE_DMA32], R0, R0 + pageblock_nr_pages, 0) == p);
	EXPECT(has_unmovable_pages(&zones[ZONE_DMA32], R0, R0 + pageblock_nr_pages,
				   SKIP_OFFLINE) == q);
	EXPECT(has_unmovable_pages(&zones[ZONE_DMA32], R0 + 3, R0 + 4, SKIP_OFFLINE) == NULL);
	/* alloc_contig_range refuses a range holding either */
	EXPECT_EQ(alloc_contig_range(R0, R0 + pageblock_nr_pages, MIGRATE_MOVABLE, 0), -EBUSY);
	/* offlining skips the skippable one only */
	EXPECT_EQ(start_isolate_page_range(R0, R0 + pageblock_nr_pages, MIGRATE_MOVABLE,
					   SKIP_OFFLINE), -EBUSY);
	page_offline_release(q, 1);
	ASSERT_EQ(start_isolate_page_range(R0, R0 + pageblock_nr_pages, MIGRATE_MOVABLE,
					   SKIP_OFFLINE), 0);
	EXPECT_EQ(test_pages_isolated(R0, R0 + pageblock_nr_pages, SKIP_OFFLINE), 0);
	EXPECT_EQ(test_pages_isolated(R0, R0 + pageblock_nr_pages, 0), -EBUSY);
	undo_isolate_page_range(R0, R0 + pageblock_nr_pages, MIGRATE_MOVABLE);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* the owner gives it back: type and flags gone, one more free page */
	b1 = free_now();
	page_offline_release(p, 1);
	EXPECT(!PageOffline(p) && !PageDirty(p) && !PageOwnerPriv1(p));
	EXPECT_EQ(free_now(), b1 + 1);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect frozen allocations to hand out refcount-0 blocks a speculative isolator cannot grab, and free_frozen_pages to take them back. */
TEST(frozen_pages)
{
	struct page *p;
	unsigned long b0, bad0;

	setup();
	b0 = free_now();
	p = alloc_frozen_pages(GFP_KERNEL, 2);
	ASSERT(p);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(page_count(p + i), 0);
	EXPECT(!get_page_unless_zero(p));
	EXPECT_EQ(free_now(), b0 - 4);
	free_frozen_pages(p, 2);
	EXPECT_EQ(free_now(), b0);
	/* a block with a reference is refused (reported, leaked) */
	p = alloc_page(GFP_KERNEL);
	ASSERT(p);
	bad0 = nr_bad_pages;
	host_quiet = 1;
	free_frozen_pages(p, 0);
	host_quiet = 0;
	EXPECT_EQ(nr_bad_pages, bad0 + 1);
	EXPECT_EQ(free_now(), b0 - 1);
	EXPECT_EQ(mm_check_invariants(), 0);
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

/* Migratetype of each pageblock of [R0, R1), for before/after comparisons. */
static void snap_types(int *types)
{
	for (unsigned long i = 0; i < (R1 - R0) / pageblock_nr_pages; i++)
		types[i] = get_pfnblock_migratetype(R0 + i * pageblock_nr_pages);
}

/* Relabel the free pageblock at @pfn @mt, as a fallback claim would. */
static void relabel_block(unsigned long pfn, int mt)
{
	struct zone *z = &zones[pfn_zonenum(pfn)];
	unsigned long flags;

	spin_lock_irqsave(&z->lock, flags);
	ASSERT(move_freepages_block(z, pfn_to_page(pfn), mt) >= 0);
	spin_unlock_irqrestore(&z->lock, flags);
}

/*
 * Expect an order-10 block freed while one of its two pageblocks is
 * isolated to leave exactly that pageblock on the isolate list and the
 * other on its own type's list, whichever half is isolated; never
 * allocatable, invariants clean, and merged again after the undo.
 */
TEST(order10_free_respects_each_pageblock)
{
	for (int half = 0; half < 2; half++) {
		struct zone *z = &zones[ZONE_DMA32];
		struct page *big, *p;
		static struct page *held[20000];
		unsigned long n = 0, bad = 0, pfn, iso, other, before;

		setup();
		before = free_now();
		big = alloc_pages(GFP_KERNEL, MAX_ORDER);
		ASSERT(big);
		pfn = page_to_pfn(big);
		iso = pfn + half * pageblock_nr_pages;
		other = pfn + (1 - half) * pageblock_nr_pages;
		EXPECT_EQ(get_pfnblock_migratetype(iso), get_pfnblock_migratetype(other));
		if (half) {
			/* the tail pages have refcount 0: the block isolates (as in Linux) */
			ASSERT_EQ(start_isolate_page_range(iso, iso + pageblock_nr_pages,
							   MIGRATE_MOVABLE, 0), 0);
		} else {
			/* the head is allocated and unmovable: isolate the block by hand */
			EXPECT_EQ(start_isolate_page_range(iso, iso + pageblock_nr_pages,
							   MIGRATE_MOVABLE, 0), -EBUSY);
			relabel_block(iso, MIGRATE_ISOLATE);
		}
		__free_pages(big, MAX_ORDER);
		EXPECT_EQ(mm_check_invariants(), 0);
		EXPECT_EQ(get_pfnblock_migratetype(iso), MIGRATE_ISOLATE);
		EXPECT_EQ(zone_isolated_free_pages(z), pageblock_nr_pages);
		EXPECT_EQ(test_pages_isolated(iso, iso + pageblock_nr_pages, 0), 0);
		EXPECT(is_free_buddy_page(pfn_to_page(other)));
		/* take everything allocatable: never a page of the isolated block */
		while (n < 20000 && (p = alloc_pages(__GFP_MEMALLOC | __GFP_NOWARN, 0))) {
			bad += pageblock_start_pfn(page_to_pfn(p)) == iso;
			held[n++] = p;
		}
		EXPECT(n < 20000);
		EXPECT_EQ(bad, 0);
		EXPECT(!is_free_buddy_page(pfn_to_page(other)));
		while (n)
			__free_pages(held[--n], 0);
		undo_isolate_page_range(iso, iso + pageblock_nr_pages, MIGRATE_MOVABLE);
		EXPECT_EQ(zone_isolated_free_pages(z), 0);
		EXPECT_EQ(mm_check_invariants(), 0);
		EXPECT_EQ(free_now(), before);
		host_mem_teardown();
	}
}

/*
 * Expect isolated free pages to leave zone->free_pages (and so the
 * watermarks) and to come back exactly on undo, with buddyinfo-style
 * per-order counts still holding them.
 */
TEST(isolated_free_pages_not_counted)
{
	struct zone *z = &zones[ZONE_DMA32];
	unsigned long free0, blocks0, span = R1 - R0;

	setup();
	drain_all_pages(NULL);
	free0 = zone_page_free(z);
	blocks0 = 0;
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		blocks0 += z->free_area[o].nr_free << o;
	EXPECT_EQ(blocks0, free0);
	/* a mark just below the free count: met now, not once the range is isolated */
	EXPECT(zone_watermark_ok(z, 0, free0 - span / 2, 0));
	ASSERT_EQ(start_isolate_page_range(R0, R1, MIGRATE_MOVABLE, 0), 0);
	EXPECT_EQ(zone_page_free(z), free0 - span);
	EXPECT_EQ(zone_isolated_free_pages(z), span);
	EXPECT(!zone_watermark_ok(z, 0, free0 - span / 2, 0));
	{
		unsigned long blocks = 0;

		for (unsigned int o = 0; o <= MAX_ORDER; o++)
			blocks += z->free_area[o].nr_free << o;
		EXPECT_EQ(blocks, free0);	/* still free blocks, just not allocatable */
	}
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(mm_check_counts(), 0);
	/* a movable page released into an isolated block is not counted either */
	{
		unsigned long before = zone_page_free(z);
		struct test_owner o;
		struct page *p;

		towner_init(&o, 34);
		ASSERT_EQ(alloc_contig_range(R1, R1 + 1, MIGRATE_MOVABLE, 0), 0);
		EXPECT_EQ(zone_page_free(z), before - 1);
		p = pfn_to_page(R1);
		lock_page(p);
		__SetPageMovable(p, &o.as);
		list_add(&p->lru, &o.pages);
		o.nr_owned++;
		unlock_page(p);
		ASSERT_EQ(start_isolate_page_range(R1, R1 + pageblock_nr_pages,
						   MIGRATE_MOVABLE, 0), 0);
		towner_release(&o, p);
		EXPECT_EQ(zone_page_free(z), before - pageblock_nr_pages);
		EXPECT_EQ(zone_isolated_free_pages(z), span + pageblock_nr_pages);
		undo_isolate_page_range(R1, R1 + pageblock_nr_pages, MIGRATE_MOVABLE);
	}
	undo_isolate_page_range(R0, R1, MIGRATE_MOVABLE);
	EXPECT_EQ(zone_page_free(z), free0);
	EXPECT_EQ(zone_isolated_free_pages(z), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/*
 * Expect undoing an isolation (directly, after a failed start, and inside
 * alloc_contig_range) to give every pageblock back the migratetype it had,
 * not MIGRATE_MOVABLE.
 */
TEST(undo_restores_original_migratetype)
{
	int before[8], after[8];
	unsigned long nb = (R1 - R0) / pageblock_nr_pages;

	setup();
	relabel_block(R0, MIGRATE_UNMOVABLE);
	relabel_block(R0 + 2 * pageblock_nr_pages, MIGRATE_RECLAIMABLE);
	snap_types(before);
	/*
	 * Each relabelled pageblock is wholly free, so it merges back with its
	 * free buddy pageblock into one MAX_ORDER block of one type: both
	 * halves carry the new type.
	 */
	EXPECT_EQ(before[0], MIGRATE_UNMOVABLE);
	EXPECT_EQ(before[1], MIGRATE_UNMOVABLE);
	EXPECT_EQ(before[2], MIGRATE_RECLAIMABLE);
	EXPECT_EQ(before[3], MIGRATE_RECLAIMABLE);
	ASSERT_EQ(start_isolate_page_range(R0, R1, MIGRATE_MOVABLE, 0), 0);
	undo_isolate_page_range(R0, R1, MIGRATE_MOVABLE);
	snap_types(after);
	for (unsigned long i = 0; i < nb; i++)
		EXPECT_EQ(after[i], before[i]);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* alloc_contig_range isolates and undoes too */
	ASSERT_EQ(alloc_contig_range(R0 + 5, R1 - 5, MIGRATE_MOVABLE, 0), 0);
	snap_types(after);
	for (unsigned long i = 0; i < nb; i++)
		EXPECT_EQ(after[i], before[i]);
	free_contig_range(R0 + 5, R1 - R0 - 10);
	/* a start that fails half-way undoes the blocks it had isolated */
	{
		struct page *pin;

		ASSERT_EQ(alloc_contig_range(R1 - 1, R1, MIGRATE_MOVABLE, 0), 0);
		pin = pfn_to_page(R1 - 1);
		EXPECT_EQ(start_isolate_page_range(R0, R1, MIGRATE_MOVABLE, 0), -EBUSY);
		snap_types(after);
		for (unsigned long i = 0; i < nb; i++)
			EXPECT_EQ(after[i], before[i]);
		__free_page(pin);
	}
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}
