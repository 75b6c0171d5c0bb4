/*
 * test_owner.h - a scriptable owner of non-LRU movable pages for the host
 * tests of migration, compaction and isolation (header-only, static).
 *
 * Each page the owner holds is painted with (owner id, logical index) so
 * migration can be checked byte for byte; page->index keeps the logical
 * index. The owner's isolate/migrate outcomes can be scripted or injected:
 *   refuse_isolate       isolate_page returns false
 *   script[], nscript    return codes of the next migratepage calls
 *   fail_ppm             random -EAGAIN/-EBUSY per million calls
 */
#ifndef TEST_OWNER_H
#define TEST_OWNER_H

#include "htest.h"
#include <mm/migrate.h>
#include <mm/gfp.h>
#include <errno.h>
#include <string.h>

struct test_owner {
	struct address_space as;
	unsigned int id;
	struct list_head pages;		/* pages owned and not isolated */
	unsigned long nr_owned;		/* on the list + isolated */
	unsigned long nr_isolated;
	bool refuse_isolate;
	int script[32];
	int nscript;
	unsigned long fail_ppm;
	unsigned long isolate_calls, migrate_calls, putback_calls;
	unsigned long corrupt;		/* painting mismatches seen by the owner */
};

/* Paint word for (owner, index, word). */
static inline uint64_t towner_word(unsigned int id, unsigned long index, unsigned long w)
{
	return ((uint64_t)id << 48) ^ ((uint64_t)index << 16) ^ (w * 0x9e3779b97f4a7c15ULL);
}

static inline void towner_paint(struct test_owner *o, struct page *page)
{
	uint64_t *p = page_address(page);

	for (unsigned long w = 0; w < PAGE_SIZE / 8; w++)
		p[w] = towner_word(o->id, page->index, w);
}

/* True if @page's contents are exactly owner @o's painting for its index. */
static inline bool towner_check(struct test_owner *o, struct page *page)
{
	const uint64_t *p = page_address(page);

	for (unsigned long w = 0; w < PAGE_SIZE / 8; w++)
		if (p[w] != towner_word(o->id, page->index, w))
			return false;
	return true;
}

static bool towner_isolate(struct page *page, isolate_mode_t mode)
{
	struct test_owner *o = page_mapping(page)->private_data;

	o->isolate_calls++;
	if (o->refuse_isolate)
		return false;
	list_del(&page->lru);
	o->nr_isolated++;
	return true;
}

static int towner_migrate(struct address_space *as, struct page *newpage,
			  struct page *page, enum migrate_mode mode)
{
	struct test_owner *o = as->private_data;
	int rc = 0;

	o->migrate_calls++;
	if (o->nscript > 0) {
		rc = o->script[0];
		memmove(o->script, o->script + 1, sizeof(o->script) - sizeof(int));
		o->nscript--;
	} else if (o->fail_ppm && htest_rand() % 1000000 < o->fail_ppm) {
		rc = (htest_rand() & 1) ? -EAGAIN : -EBUSY;
	}
	if (rc)
		return rc;
	if (!towner_check(o, page))
		o->corrupt++;
	memcpy(page_address(newpage), page_address(page), PAGE_SIZE);
	newpage->index = page->index;
	get_page(newpage);
	__SetPageMovable(newpage, as);
	list_add(&newpage->lru, &o->pages);
	o->nr_isolated--;
	__ClearPageMovable(page);
	put_page(page);
	return MIGRATEPAGE_SUCCESS;
}

static void towner_putback(struct page *page)
{
	struct test_owner *o = page_mapping(page)->private_data;

	o->putback_calls++;
	list_add(&page->lru, &o->pages);
	o->nr_isolated--;
}

static const struct movable_operations towner_ops = {
	.isolate_page = towner_isolate,
	.migratepage = towner_migrate,
	.putback_page = towner_putback,
};

static inline void towner_init(struct test_owner *o, unsigned int id)
{
	memset(o, 0, sizeof(*o));
	o->as.a_ops = &towner_ops;
	o->as.private_data = o;
	o->id = id;
	INIT_LIST_HEAD(&o->pages);
}

/* Allocate, paint and register one movable page; NULL if none. */
static inline struct page *towner_alloc(struct test_owner *o, gfp_t gfp, unsigned long index)
{
	struct page *page = alloc_page(gfp | __GFP_NOWARN);

	if (!page)
		return NULL;
	page->index = index;
	towner_paint(o, page);
	lock_page(page);
	__SetPageMovable(page, &o->as);
	list_add(&page->lru, &o->pages);
	o->nr_owned++;
	unlock_page(page);
	return page;
}

/* Release @page (owned or isolated): clear movability, drop the owner's reference. */
static inline void towner_release(struct test_owner *o, struct page *page)
{
	lock_page(page);
	if (PageIsolated(page))
		o->nr_isolated--;
	else
		list_del(&page->lru);
	__ClearPageMovable(page);
	o->nr_owned--;
	unlock_page(page);
	put_page(page);		/* the free path clears the leftover MOVABLE bit */
}

/* Release every page on the owner's list; true if all contents were intact. */
static inline bool towner_release_all(struct test_owner *o)
{
	bool ok = true;

	while (!list_empty(&o->pages)) {
		struct page *page = list_first_entry(&o->pages, struct page, lru);

		if (!towner_check(o, page))
			ok = false;
		towner_release(o, page);
	}
	return ok;
}

/* Verify every owned page's painting; returns mismatches. */
static inline unsigned long towner_verify(struct test_owner *o)
{
	struct page *page;
	unsigned long bad = 0;

	list_for_each_entry(page, &o->pages, lru)
		if (!towner_check(o, page))
			bad++;
	return bad;
}

#endif
