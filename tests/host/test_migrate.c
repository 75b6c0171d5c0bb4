/* test_migrate.c - the non-LRU movable page interface (seed 004, docs/references.md) and migrate_pages(). */
#include "htest.h"
#include "support/host_mem.h"
#include "test_owner.h"
#include <mm/page_alloc.h>
#include <mm/vmstat.h>
#include <string.h>

/* Free pages after draining every per-CPU list. */
static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages_total();
}

/* Target allocator for tests: any movable page. */
static struct page *new_any(struct page *page, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
}

/* Target allocator that always fails. */
static struct page *new_none(struct page *page, unsigned long private)
{
	return NULL;
}

static void setup(void)
{
	host_mem_init_mb(64);
	migrate_stats_reset();
}

/* Expect __SetPageMovable/__ClearPageMovable to encode 0x2 in mapping and page_mapping() to mask it. */
TEST(movable_flag_encoding)
{
	struct test_owner o;
	struct page *p;

	setup();
	towner_init(&o, 1);
	p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0);
	ASSERT(p);
	EXPECT_EQ((uintptr_t)p->mapping, (uintptr_t)&o.as | PAGE_MAPPING_MOVABLE);
	EXPECT(page_mapping(p) == &o.as);
	EXPECT(__PageMovable(p));
	lock_page(p);
	EXPECT(PageMovable(p));
	__ClearPageMovable(p);
	EXPECT(__PageMovable(p));	/* the lockless test may say yes ... */
	EXPECT(!PageMovable(p));	/* ... the locked one knows better */
	EXPECT(page_mapping(p) == NULL);
	__SetPageMovable(p, &o.as);
	unlock_page(p);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(nr_bad_pages, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect an owner's refusal to leave the page owned, unisolated, with its refcount unchanged. */
TEST(isolate_refused_by_owner)
{
	struct test_owner o;
	struct page *p;

	setup();
	towner_init(&o, 2);
	p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0);
	ASSERT(p);
	o.refuse_isolate = true;
	EXPECT(!isolate_movable_page(p, 0));
	EXPECT_EQ(o.isolate_calls, 1);
	EXPECT(!PageIsolated(p));
	EXPECT(!PageLocked(p));
	EXPECT_EQ(page_count(p), 1);
	EXPECT_EQ(migrate_stats.isolate_refused, 1);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}

/* Expect free pages, unmovable pages and already-isolated pages never to be isolated. */
TEST(isolate_skips_free_unmovable_and_isolated)
{
	struct test_owner o;
	struct page *p, *plain;

	setup();
	towner_init(&o, 3);
	p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0);
	plain = alloc_page(GFP_KERNEL);
	ASSERT(p && plain);
	EXPECT(!isolate_movable_page(plain, 0));
	EXPECT_EQ(page_count(plain), 1);
	EXPECT(isolate_movable_page(p, 0));
	EXPECT(PageIsolated(p));
	EXPECT_EQ(page_count(p), 2);
	/* a concurrent isolator sees PG_isolated and skips the page */
	EXPECT(!isolate_movable_page(p, 0));
	EXPECT_EQ(page_count(p), 2);
	EXPECT_EQ(o.isolate_calls, 1);
	EXPECT_EQ(migrate_stats.isolate_skipped_isolated, 1);
	putback_movable_page(p);
	EXPECT(!PageIsolated(p));
	EXPECT_EQ(page_count(p), 1);
	__free_page(plain);
	/* a free page: refcount 0, never touched */
	{
		struct page *f = alloc_page(GFP_KERNEL);

		ASSERT(f);
		__free_page(f);
		drain_all_pages(NULL);
		EXPECT(!isolate_movable_page(f, 0));
		EXPECT_EQ(page_count(f), 0);
	}
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect putback to return every isolated page to the owner's list with its state restored. */
TEST(putback_restores_owner_state)
{
	struct test_owner o;
	LIST_HEAD(l);
	struct page *p;
	unsigned long before;

	setup();
	before = free_now();
	towner_init(&o, 4);
	for (int i = 0; i < 16; i++)
		ASSERT(towner_alloc(&o, GFP_HIGHUSER_MOVABLE, i));
	while (!list_empty(&o.pages)) {
		p = list_first_entry(&o.pages, struct page, lru);
		ASSERT(isolate_movable_page(p, 0));
		list_add_tail(&p->lru, &l);
	}
	EXPECT_EQ(o.nr_isolated, 16);
	putback_movable_pages(&l);
	EXPECT(list_empty(&l));
	EXPECT_EQ(o.nr_isolated, 0);
	EXPECT_EQ(o.putback_calls, 16);
	{
		unsigned long n = 0;

		list_for_each_entry(p, &o.pages, lru) {
			n++;
			EXPECT(!PageIsolated(p));
			EXPECT_EQ(page_count(p), 1);
			EXPECT(__PageMovable(p) && page_mapping(p) == &o.as);
		}
		EXPECT_EQ(n, 16);
	}
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}

/* Isolate every page of @o onto @l. */
static void isolate_all(struct test_owner *o, struct list_head *l)
{
	while (!list_empty(&o->pages)) {
		struct page *p = list_first_entry(&o->pages, struct page, lru);

		ASSERT(isolate_movable_page(p, 0));
		list_add_tail(&p->lru, l);
	}
}

/* Expect migration to move contents byte for byte to new pfns, free the old pages and leak nothing. */
TEST(migrate_preserves_contents)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned long before, pfns[64];
	unsigned int ok = 0;
	unsigned long s0 = vm_stat_read(PGMIGRATE_SUCCESS);
	int rc, i = 0;
	struct page *p;

	setup();
	before = free_now();
	towner_init(&o, 5);
	for (i = 0; i < 64; i++) {
		p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, i);
		ASSERT(p);
		pfns[i] = page_to_pfn(p);
	}
	isolate_all(&o, &l);
	rc = migrate_pages(&l, new_any, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok);
	EXPECT_EQ(rc, 0);
	EXPECT_EQ(ok, 64);
	EXPECT(list_empty(&l));
	EXPECT_EQ(o.nr_isolated, 0);
	EXPECT_EQ(o.corrupt, 0);
	EXPECT_EQ(vm_stat_read(PGMIGRATE_SUCCESS) - s0, 64);
	list_for_each_entry(p, &o.pages, lru) {
		EXPECT_EQ(page_count(p), 1);
		EXPECT(!PageIsolated(p));
		EXPECT(pfns[p->index] != page_to_pfn(p));
		EXPECT(!PageLocked(p));
	}
	EXPECT_EQ(towner_verify(&o), 0);
	/* the old pages went back to the buddy (unless reused as targets) */
	for (i = 0; i < 64; i++) {
		bool owned = false;

		list_for_each_entry(p, &o.pages, lru)
			owned |= page_to_pfn(p) == pfns[i];
		if (!owned)
			EXPECT_EQ(page_count(pfn_to_page(pfns[i])), 0);
	}
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect a page the owner released after isolation to count as migrated and be freed, without a target page. */
TEST(released_after_isolation_counts_as_migrated)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned long before, pfn;
	unsigned int ok = 0;
	struct page *p;

	setup();
	before = free_now();
	towner_init(&o, 6);
	p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0);
	ASSERT(p);
	pfn = page_to_pfn(p);
	ASSERT(isolate_movable_page(p, 0));
	list_add(&p->lru, &l);
	towner_release(&o, p);		/* owner lets go while the core holds it */
	EXPECT_EQ(page_count(p), 1);
	EXPECT_EQ(migrate_pages(&l, new_none, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), 0);
	EXPECT_EQ(ok, 1);
	EXPECT(list_empty(&l));
	EXPECT_EQ(o.migrate_calls, 0);
	EXPECT_EQ(migrate_stats.released, 1);
	EXPECT_EQ(page_count(pfn_to_page(pfn)), 0);
	EXPECT(pfn_to_page(pfn)->mapping == NULL);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect a release racing after the refcount check (extra ref held) still to be seen under the lock as migrated. */
TEST(released_seen_under_lock)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned long before;
	unsigned int ok = 0;
	struct page *p;

	setup();
	before = free_now();
	towner_init(&o, 7);
	p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0);
	ASSERT(p);
	ASSERT(isolate_movable_page(p, 0));
	list_add(&p->lru, &l);
	get_page(p);			/* a third party holds a reference ... */
	towner_release(&o, p);		/* ... so page_count stays 2 */
	EXPECT_EQ(migrate_pages(&l, new_any, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), 0);
	EXPECT_EQ(ok, 1);
	EXPECT_EQ(o.migrate_calls, 0);
	EXPECT(!PageIsolated(p));
	EXPECT_EQ(page_count(p), 1);
	put_page(p);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}

/* Expect -EAGAIN then success to retry within the same call and migrate the page. */
TEST(eagain_then_success)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned int ok = 0;
	unsigned long before;

	setup();
	before = free_now();
	towner_init(&o, 8);
	ASSERT(towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0));
	isolate_all(&o, &l);
	o.script[0] = -EAGAIN;
	o.script[1] = -EAGAIN;
	o.nscript = 2;
	EXPECT_EQ(migrate_pages(&l, new_any, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), 0);
	EXPECT_EQ(ok, 1);
	EXPECT_EQ(o.migrate_calls, 3);
	EXPECT(list_empty(&l));
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}

/* Expect -EAGAIN forever to stop after MIGRATE_MAX_PASSES, leave the page on the list, count a failure, and putback to work. */
TEST(eagain_forever_is_bounded)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned int ok = 5;
	unsigned long before, f0 = vm_stat_read(PGMIGRATE_FAIL);

	setup();
	before = free_now();
	towner_init(&o, 9);
	ASSERT(towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0));
	isolate_all(&o, &l);
	for (int i = 0; i < 32; i++)
		o.script[i] = -EAGAIN;
	o.nscript = 32;
	EXPECT_EQ(migrate_pages(&l, new_any, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), 1);
	EXPECT_EQ(ok, 0);
	EXPECT_EQ(o.migrate_calls, MIGRATE_MAX_PASSES);
	EXPECT(!list_empty(&l));
	EXPECT_EQ(vm_stat_read(PGMIGRATE_FAIL) - f0, 1);
	putback_movable_pages(&l);
	EXPECT_EQ(o.nr_isolated, 0);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);	/* target pages were all given back */
	host_mem_teardown();
}

/* Expect a permanent error to give up at once: one call, page put back to the owner, off the list. */
TEST(permanent_error_gives_up)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned int ok = 0;
	unsigned long before;
	struct page *p;

	setup();
	before = free_now();
	towner_init(&o, 10);
	p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0);
	ASSERT(p);
	isolate_all(&o, &l);
	o.script[0] = -EBUSY;
	o.nscript = 1;
	EXPECT_EQ(migrate_pages(&l, new_any, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), 1);
	EXPECT_EQ(o.migrate_calls, 1);
	EXPECT_EQ(o.putback_calls, 1);
	EXPECT(list_empty(&l));
	EXPECT(!PageIsolated(p));
	EXPECT_EQ(page_count(p), 1);
	EXPECT_EQ(list_first_entry(&o.pages, struct page, lru), p);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(free_now(), before);
	host_mem_teardown();
}

/* Expect no target page to stop with -ENOMEM, keeping the pages on the list for putback. */
TEST(no_target_page_is_enomem)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned int ok = 0;

	setup();
	towner_init(&o, 11);
	for (int i = 0; i < 4; i++)
		ASSERT(towner_alloc(&o, GFP_HIGHUSER_MOVABLE, i));
	isolate_all(&o, &l);
	EXPECT_EQ(migrate_pages(&l, new_none, NULL, 0, MIGRATE_SYNC, MR_TEST, &ok), -ENOMEM);
	EXPECT_EQ(ok, 0);
	EXPECT_EQ(o.migrate_calls, 0);
	putback_movable_pages(&l);
	EXPECT_EQ(o.nr_isolated, 0);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}

static unsigned long put_new_calls;
/* Counting put_new_page. */
static void put_new_count(struct page *page, unsigned long private)
{
	put_new_calls++;
	__free_page(page);
}

/* Expect async mode not to wait for a locked page (-EAGAIN, bounded), and put_new_page to get every unused target. */
TEST(async_does_not_block_on_locked_page)
{
	struct test_owner o;
	LIST_HEAD(l);
	unsigned int ok = 0;
	struct page *p;

	setup();
	put_new_calls = 0;
	towner_init(&o, 12);
	p = towner_alloc(&o, GFP_HIGHUSER_MOVABLE, 0);
	ASSERT(p);
	isolate_all(&o, &l);
	lock_page(p);			/* somebody else holds the page lock */
	EXPECT_EQ(migrate_pages(&l, new_any, put_new_count, 0, MIGRATE_ASYNC, MR_TEST, &ok), 1);
	EXPECT_EQ(o.migrate_calls, 0);
	EXPECT_EQ(put_new_calls, MIGRATE_MAX_PASSES);
	unlock_page(p);
	EXPECT_EQ(migrate_pages(&l, new_any, put_new_count, 0, MIGRATE_ASYNC, MR_TEST, &ok), 0);
	EXPECT_EQ(ok, 1);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}

/* Expect random callback outcomes (fault injection) never to lose, corrupt or leak a page. */
TEST(random_callback_outcomes)
{
	struct test_owner o;
	unsigned long before;
	unsigned long iters = htest_iters(40);

	setup();
	before = free_now();
	towner_init(&o, 13);
	o.fail_ppm = 400000;
	for (unsigned long it = 0; it < iters; it++) {
		LIST_HEAD(l);
		unsigned int ok = 0;
		unsigned long n = 1 + htest_rand() % 64;
		struct page *p, *next;

		for (unsigned long i = 0; i < n; i++)
			towner_alloc(&o, GFP_HIGHUSER_MOVABLE, it * 100 + i);
		o.refuse_isolate = (htest_rand() % 8) == 0;
		list_for_each_entry_safe(p, next, &o.pages, lru)
			if (htest_rand() & 1 && isolate_movable_page(p, 0))
				list_add_tail(&p->lru, &l);
		/* release a few isolated pages under the core */
		list_for_each_entry(p, &l, lru)
			if (htest_rand() % 8 == 0)
				towner_release(&o, p);
		migrate_pages(&l, new_any, NULL, 0,
			      (htest_rand() & 1) ? MIGRATE_SYNC : MIGRATE_ASYNC, MR_TEST, &ok);
		putback_movable_pages(&l);
		EXPECT_EQ(o.nr_isolated, 0);
		EXPECT_EQ(towner_verify(&o), 0);
		EXPECT_EQ(mm_check_invariants(), 0);
		/* free a random half */
		list_for_each_entry_safe(p, next, &o.pages, lru)
			if (htest_rand() & 1)
				towner_release(&o, p);
	}
	EXPECT_EQ(o.corrupt, 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(o.nr_owned, 0);
	EXPECT_EQ(free_now(), before);
	EXPECT_EQ(nr_bad_pages, 0);
	host_mem_teardown();
}
