/* test_zsmalloc.c - the zsmalloc handle allocator and its movable backing pages. */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/page_alloc.h>
#include <mm/zsmalloc.h>
#include <mm/compaction.h>
#include <mm/migrate.h>
#include <mm/slab.h>
#include <mm/vmstat.h>
#include <string.h>

#define NOBJ 6000

static unsigned long handles[NOBJ];
static size_t sizes[NOBJ];

/* Fill object @i with bytes derived from its number. */
static void paint(struct zs_pool *pool, int i)
{
	unsigned char *p = zs_map_object(pool, handles[i]);

	for (size_t b = 0; b < sizes[i]; b++)
		p[b] = (unsigned char)(i * 31 + b * 7);
	zs_unmap_object(pool, handles[i]);
}

/* True if object @i still holds its painting. */
static bool intact(struct zs_pool *pool, int i)
{
	unsigned char *p = zs_map_object(pool, handles[i]);
	bool ok = true;

	for (size_t b = 0; b < sizes[i] && ok; b++)
		ok = p[b] == (unsigned char)(i * 31 + b * 7);
	zs_unmap_object(pool, handles[i]);
	return ok;
}

/* Free pages plus pages kept by the slab allocator (kmalloc keeps empty slabs). */
static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages_total() + vm_stat_read(NR_SLAB_PAGES) +
	       vm_stat_read(NR_KMALLOC_LARGE_PAGES);
}

/* Expect objects of many sizes to round-trip, pack several per page, and free every page at the end. */
TEST(alloc_free_many_sizes)
{
	struct zs_pool *pool;
	struct zs_pool_stats st;
	unsigned long before;

	host_mem_init_mb(64);
	compaction_init();
	before = free_now();
	pool = zs_create_pool("t");
	ASSERT(pool);
	EXPECT_EQ(zs_malloc(pool, 0, GFP_KERNEL), 0);
	EXPECT_EQ(zs_malloc(pool, ZS_MAX_ALLOC_SIZE + 1, GFP_KERNEL), 0);
	for (int i = 0; i < 2000; i++) {
		sizes[i] = 1 + htest_rand() % ZS_MAX_ALLOC_SIZE;
		handles[i] = zs_malloc(pool, sizes[i], GFP_KERNEL);
		ASSERT(handles[i]);
		EXPECT_EQ(zs_object_size(pool, handles[i]), sizes[i]);
		paint(pool, i);
	}
	zs_pool_stats(pool, &st);
	EXPECT_EQ(st.objects, 2000);
	EXPECT(st.pages < 2000);
	for (int i = 0; i < 2000; i++)
		EXPECT(intact(pool, i));
	for (int i = 0; i < 2000; i += 2)
		zs_free(pool, handles[i]);
	for (int i = 1; i < 2000; i += 2)
		EXPECT(intact(pool, i));
	zs_destroy_pool(pool);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect compaction to migrate zsmalloc pages with every object intact and handles still valid, and a mapped page to refuse with -EAGAIN. */
TEST(objects_survive_compaction)
{
	struct zs_pool *pool;
	struct zs_pool_stats st;
	struct compact_stats cs;
	unsigned long before, *filler = NULL, nfill = 0;
	struct page *pg;

	host_mem_init_mb(64);
	compaction_init();
	before = free_now();
	pool = zs_create_pool("c");
	ASSERT(pool);
	/* interleave zsmalloc pages with short-lived pages, then free those */
	filler = kmalloc(sizeof(unsigned long) * 20000, GFP_KERNEL);
	ASSERT(filler);
	for (int i = 0; i < NOBJ; i++) {
		sizes[i] = 200 + htest_rand() % 1800;
		handles[i] = zs_malloc(pool, sizes[i], GFP_KERNEL);
		ASSERT(handles[i]);
		paint(pool, i);
		while (nfill < 20000 && (pg = alloc_page(__GFP_MOVABLE | __GFP_NOWARN)) &&
		       (filler[nfill++] = page_to_pfn(pg), htest_rand() % 2))
			;
	}
	for (unsigned long i = 0; i < nfill; i++)
		__free_page(pfn_to_page(filler[i]));
	/* free a random half of the objects: half-empty pages everywhere */
	for (int i = 0; i < NOBJ; i++)
		if (htest_rand() & 1) {
			zs_free(pool, handles[i]);
			handles[i] = 0;
		}
	memset(&cs, 0, sizeof(cs));
	compact_all(&cs);
	/* a page with a mapped object says -EAGAIN until unmapped */
	{
		int m = 0;
		LIST_HEAD(l);
		struct page *mp;

		while (!handles[m])
			m++;
		mp = virt_to_page(zs_map_object(pool, handles[m]));
		ASSERT(isolate_movable_page(mp, 0));
		list_add(&mp->lru, &l);
		EXPECT_EQ(migrate_pages(&l, NULL, NULL, 0, MIGRATE_SYNC, MR_TEST, NULL), 1);
		putback_movable_pages(&l);
		zs_unmap_object(pool, handles[m]);
	}
	zs_pool_stats(pool, &st);
	EXPECT(st.migrated > 0);
	EXPECT_EQ(st.migrate_busy, MIGRATE_MAX_PASSES);
	EXPECT(cs.moved >= st.migrated);
	for (int i = 0; i < NOBJ; i++)
		if (handles[i])
			EXPECT(intact(pool, i));
	EXPECT_EQ(mm_check_invariants(), 0);
	for (int i = 0; i < NOBJ; i++)
		zs_free(pool, handles[i]);
	zs_pool_stats(pool, &st);
	EXPECT_EQ(st.objects, 0);
	EXPECT_EQ(st.pages, 0);
	zs_destroy_pool(pool);
	kfree(filler);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect freeing the last object of an isolated zspage to release the page, counted as migrated. */
TEST(free_while_isolated)
{
	struct zs_pool *pool;
	unsigned long h, before;
	struct page *page;
	LIST_HEAD(l);
	unsigned int ok = 0;

	host_mem_init_mb(64);
	compaction_init();
	migrate_stats_reset();
	before = free_now();
	pool = zs_create_pool("i");
	h = zs_malloc(pool, 100, GFP_KERNEL);
	ASSERT(h);
	page = virt_to_page(zs_map_object(pool, h));
	zs_unmap_object(pool, h);
	ASSERT(isolate_movable_page(page, 0));
	list_add(&page->lru, &l);
	zs_free(pool, h);
	EXPECT_EQ(migrate_pages(&l, NULL, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), 0);
	EXPECT_EQ(ok, 1);
	EXPECT_EQ(migrate_stats.released, 1);
	zs_destroy_pool(pool);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

static bool race_isolated, race_movable;

/* "The other CPU": compaction's isolator runs while zs_malloc has a new zspage not yet listed. */
static void isolate_new_zspage(struct page *page)
{
	race_movable = __PageMovable(page);
	race_isolated = isolate_movable_page(page, 0);
}

/*
 * Expect an isolator that runs between a zspage's creation and its listing
 * to find the page not (yet) movable (seed 002: a page is not elected
 * movable before it is on its owner's list), and the zspage to work after
 * the race: after putback, zs_free and zs_malloc, no object lives in a page
 * that is free in the buddy, and the pool frees every page at the end.
 */
TEST(isolation_before_listing_is_refused)
{
	struct zs_pool *pool;
	struct zs_pool_stats st;
	unsigned long h1, h2, before;
	struct page *p2;

	host_mem_init_mb(64);
	compaction_init();
	before = free_now();
	pool = zs_create_pool("r");
	ASSERT(pool);
	race_isolated = race_movable = false;
	zs_test_new_zspage_hook = isolate_new_zspage;
	h1 = zs_malloc(pool, 100, GFP_KERNEL);
	zs_test_new_zspage_hook = NULL;
	ASSERT(h1);
	EXPECT(!race_movable);
	EXPECT(!race_isolated);
	if (race_isolated)		/* the isolator gives up: putback */
		putback_movable_page(virt_to_page(zs_map_object(pool, h1))), zs_unmap_object(pool, h1);
	zs_free(pool, h1);
	h2 = zs_malloc(pool, 100, GFP_KERNEL);
	ASSERT(h2);
	p2 = virt_to_page(zs_map_object(pool, h2));
	zs_unmap_object(pool, h2);
	/* the pool cannot be used further if these fail (its list is corrupt) */
	ASSERT(!PageBuddy(p2));
	ASSERT(page_ref_count(p2) > 0);
	ASSERT(__PageMovable(p2));
	ASSERT_EQ(mm_check_invariants(), 0);
	zs_free(pool, h2);
	zs_pool_stats(pool, &st);
	EXPECT_EQ(st.pages, 0);
	EXPECT_EQ(st.objects, 0);
	zs_destroy_pool(pool);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* The page of handle @h. */
static struct page *handle_page(struct zs_pool *pool, unsigned long h)
{
	struct page *p = virt_to_page(zs_map_object(pool, h));

	zs_unmap_object(pool, h);
	return p;
}

/*
 * Expect a full zspage that comes back to its class list (putback after a
 * failed isolation, or migrated) to go behind the zspage with a free slot:
 * zs_malloc looks at the head only, so the next object must take the free
 * slot of the older zspage and the pool must not grow a page.
 */
TEST(full_zspage_returns_behind_free_slots)
{
	struct zs_pool *pool;
	struct zs_pool_stats st;
	unsigned long h[4], h5;
	struct page *pa, *pb;
	LIST_HEAD(l);
	unsigned int ok = 0;

	host_mem_init_mb(64);
	compaction_init();
	pool = zs_create_pool("o");
	ASSERT(pool);
	for (int i = 0; i < 4; i++) {		/* 2000-byte objects: two a page */
		h[i] = zs_malloc(pool, 2000, GFP_KERNEL);
		ASSERT(h[i]);
	}
	pa = handle_page(pool, h[0]);
	pb = handle_page(pool, h[2]);
	ASSERT(pa == handle_page(pool, h[1]) && pb == handle_page(pool, h[3]) && pa != pb);
	zs_free(pool, h[0]);			/* pa has a free slot, pb is full */
	ASSERT(isolate_movable_page(pb, 0));	/* pb: isolated, then put back */
	putback_movable_page(pb);
	h5 = zs_malloc(pool, 2000, GFP_KERNEL);
	ASSERT(h5);
	EXPECT(handle_page(pool, h5) == pa);
	zs_free(pool, h5);
	/* the same after a migration of the full page */
	pb = handle_page(pool, h[2]);
	ASSERT(isolate_movable_page(pb, 0));
	list_add(&pb->lru, &l);
	EXPECT_EQ(migrate_pages(&l, NULL, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), 0);
	EXPECT_EQ(ok, 1);
	h5 = zs_malloc(pool, 2000, GFP_KERNEL);
	ASSERT(h5);
	EXPECT(handle_page(pool, h5) == pa);
	zs_pool_stats(pool, &st);
	EXPECT_EQ(st.pages, 2);
	EXPECT_EQ(st.objects, 4);
	zs_free(pool, h5);
	for (int i = 1; i < 4; i++)
		zs_free(pool, h[i]);
	zs_destroy_pool(pool);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}
