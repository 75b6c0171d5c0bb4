/*
 * test_movable.c - migration, isolation and zsmalloc through the library,
 * built from the archive and installed headers alone. A minimal owner of
 * non-LRU movable pages (the seed-004 callbacks, as a porter would write
 * one) has one page migrated by hand and a range of its pages carried out
 * of the way by alloc_contig_range(); zsmalloc objects keep their bytes
 * through compaction.
 */
#include "ltest.h"
#include <ballast/libmm.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/migrate.h>
#include <mm/page_isolation.h>
#include <mm/zsmalloc.h>
#include <mm/compaction.h>
#include <stdlib.h>
#include <string.h>

/* ---- the owner: a list of pages, each filled with a byte derived from page->index ---- */

static struct address_space owner_as;
static LIST_HEAD(owner_pages);
static unsigned long owner_migrations;

static unsigned char fill_of(unsigned long index) { return (unsigned char)(index * 37 + 1); }

static bool owner_isolate(struct page *page, isolate_mode_t mode)
{
	list_del(&page->lru);
	return true;
}

static int owner_migrate(struct address_space *as, struct page *newpage, struct page *page,
			 enum migrate_mode mode)
{
	memcpy(page_address(newpage), page_address(page), PAGE_SIZE);
	newpage->index = page->index;
	get_page(newpage);
	__SetPageMovable(newpage, as);
	list_add(&newpage->lru, &owner_pages);
	__ClearPageMovable(page);
	put_page(page);
	owner_migrations++;
	return MIGRATEPAGE_SUCCESS;
}

static void owner_putback(struct page *page) { list_add(&page->lru, &owner_pages); }

static const struct movable_operations owner_ops = {
	.isolate_page = owner_isolate, .migratepage = owner_migrate, .putback_page = owner_putback,
};

/* Allocate and register one owned page with logical @index; NULL if none. */
static struct page *owner_alloc(unsigned long index)
{
	struct page *page = alloc_page(__GFP_MOVABLE | __GFP_NOWARN);

	if (!page)
		return NULL;
	page->index = index;
	memset(page_address(page), fill_of(index), PAGE_SIZE);
	lock_page(page);
	__SetPageMovable(page, &owner_as);
	list_add(&page->lru, &owner_pages);
	unlock_page(page);
	return page;
}

/* Pages whose contents do not match their index. */
static unsigned long owner_bad(void)
{
	unsigned long bad = 0;
	struct page *page;

	list_for_each_entry(page, &owner_pages, lru) {
		const unsigned char *b = page_address(page);

		for (unsigned long k = 0; k < PAGE_SIZE; k++)
			if (b[k] != fill_of(page->index)) {
				bad++;
				break;
			}
	}
	return bad;
}

/* Release every owned page. */
static void owner_release_all(void)
{
	while (!list_empty(&owner_pages)) {
		struct page *page = list_first_entry(&owner_pages, struct page, lru);

		lock_page(page);
		list_del(&page->lru);
		__ClearPageMovable(page);
		unlock_page(page);
		put_page(page);
	}
}

/* Expect one owned page to migrate to a new frame with its bytes, the old frame freed. */
static void migrate_one_page(void)
{
	unsigned int done = 0;
	unsigned long free0, old_pfn;
	struct page *page;
	LIST_HEAD(l);

	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	page = owner_alloc(7);
	LT_EXPECT(page != NULL);
	if (!page)
		return;
	old_pfn = page_to_pfn(page);
	LT_EXPECT(isolate_movable_page(page, 0));
	list_add(&page->lru, &l);
	LT_EXPECT_EQ(migrate_pages(&l, NULL, NULL, 0, MIGRATE_SYNC, MR_TEST, &done), 0);
	LT_EXPECT_EQ(done, 1);
	LT_EXPECT_EQ(owner_migrations, 1);
	LT_EXPECT(list_empty(&l));
	page = list_first_entry(&owner_pages, struct page, lru);
	LT_EXPECT(page_to_pfn(page) != old_pfn);
	LT_EXPECT_EQ(page->index, 7);
	LT_EXPECT_EQ(owner_bad(), 0);
	drain_all_pages(NULL);
	LT_EXPECT_EQ(nr_free_pages_total(), free0 - 1);
	owner_release_all();
	drain_all_pages(NULL);
	LT_EXPECT_EQ(nr_free_pages_total(), free0);
	LT_EXPECT_EQ(mm_check_invariants(), 0);
}

/* Expect alloc_contig_range() over owned pages to move them out and give the whole range. */
static void contig_range_moves_owned_pages(void)
{
	unsigned long base = 0, n = 0;
	struct page *page;

	owner_migrations = 0;
	for (unsigned long i = 0; i < 2048 && (page = owner_alloc(i)); i++)
		n++;
	LT_EXPECT_EQ(n, 2048);
	/* a 1024-page aligned range holding owned pages */
	list_for_each_entry(page, &owner_pages, lru) {
		base = page_to_pfn(page) & ~1023UL;
		break;
	}
	LT_EXPECT_EQ(alloc_contig_range(base, base + 1024, MIGRATE_MOVABLE, GFP_KERNEL), 0);
	LT_EXPECT(owner_migrations > 0);
	list_for_each_entry(page, &owner_pages, lru)
		LT_EXPECT(page_to_pfn(page) < base || page_to_pfn(page) >= base + 1024);
	LT_EXPECT_EQ(owner_bad(), 0);
	free_contig_range(base, 1024);
	owner_release_all();
	LT_EXPECT_EQ(mm_check_invariants(), 0);
}

/* Expect zsmalloc objects of mixed sizes to keep their bytes through compaction and free to zero pages. */
static void zsmalloc_round_trip(void)
{
	enum { N = 3000 };
	static unsigned long h[N];
	struct zs_pool *pool = zs_create_pool("ltest");
	struct zs_pool_stats st;
	unsigned long bad = 0;

	LT_EXPECT(pool != NULL);
	if (!pool)
		return;
	for (int i = 0; i < N; i++) {
		size_t sz = 16 + (size_t)(i * 97) % 2000;

		h[i] = zs_malloc(pool, sz, GFP_KERNEL);
		LT_EXPECT(h[i] != 0);
		if (h[i]) {
			memset(zs_map_object(pool, h[i]), (int)(i & 0xff), sz);
			zs_unmap_object(pool, h[i]);
		}
	}
	for (int i = 0; i < N; i += 2) {	/* holes everywhere */
		zs_free(pool, h[i]);
		h[i] = 0;
	}
	LT_EXPECT(ballast_mm_compact() > 0);
	zs_pool_stats(pool, &st);
	LT_EXPECT(st.migrated > 0);
	LT_EXPECT_EQ(st.objects, N / 2);
	for (int i = 1; i < N; i += 2) {
		const unsigned char *p = zs_map_object(pool, h[i]);
		size_t sz = zs_object_size(pool, h[i]);

		LT_EXPECT_EQ(sz, 16 + (size_t)(i * 97) % 2000);
		for (size_t k = 0; k < sz; k++)
			bad += p[k] != (unsigned char)(i & 0xff);
		zs_unmap_object(pool, h[i]);
		zs_free(pool, h[i]);
	}
	LT_EXPECT_EQ(bad, 0);
	zs_pool_stats(pool, &st);
	LT_EXPECT_EQ(st.objects, 0);
	LT_EXPECT_EQ(st.pages, 0);
	zs_destroy_pool(pool);
	LT_EXPECT_EQ(mm_check_invariants(), 0);
}

int main(void)
{
	owner_as.a_ops = &owner_ops;
	if (hosted_start(64)) {
		printf("not ok 1 - hosted_start\n1..1\n");
		return 1;
	}
	LT_RUN(migrate_one_page);
	LT_RUN(contig_range_moves_owned_pages);
	LT_RUN(zsmalloc_round_trip);
	return lt_done();
}
