/*
 * migrate.c - migration of non-LRU movable pages (seed 004: Minchan Kim's
 * non-LRU page migration series; the seeds are listed in docs/references.md).
 *
 * There is no LRU in Ballast: every page compaction or alloc_contig_range
 * can move belongs to an owner that registered it movable (balloon,
 * zsmalloc, test owners). The owner's callbacks live in a
 * movable_operations reached through page->mapping (see <mm/migrate.h>).
 *
 * State of a movable page:
 *   owned      mapping = aspace | MOVABLE, !PG_isolated, on the owner's list
 *   isolated   mapping = aspace | MOVABLE, PG_isolated, on a core list via
 *              page->lru, core holds one extra reference
 *   released   mapping = MOVABLE only (owner ran __ClearPageMovable): the
 *              owner let the page go; __PageMovable is still true (so a
 *              lockless scanner may see a false positive) but PageMovable
 *              is false. If isolated, the core frees it when it looks.
 *
 * Invariants: PG_isolated changes only under the page lock and only here;
 * a page is isolated by at most one isolator (the flag is tested under the
 * lock); a page that leaves the core (migrated, released, put back) has
 * PG_isolated clear, and a page that returns to the buddy has mapping NULL.
 * Per migrated page the core drops two references: its isolation
 * reference on the old page and the allocation reference on the new page;
 * the owner moved its own reference from old to new in migratepage.
 *
 * Locks (docs/locking.md): the page lock, then the owner's list lock in its
 * isolate/putback/migratepage callbacks; never zone->lock (or interrupts off
 * for a per-CPU list) around a page lock. The new page is only try-locked, so two page locks
 * are never waited for at once.
 */
#include <mm/migrate.h>
#include <mm/gfp.h>
#include <mm/vmstat.h>
#include <kernel/printk.h>
#include <errno.h>
#include <string.h>

struct migrate_stats migrate_stats;

/*
 * Count one outcome. Isolators and migrations run on every CPU at once,
 * each under its own page's lock only: a plain ++ would lose counts.
 */
#define migrate_stat_inc(field) __atomic_fetch_add(&migrate_stats.field, 1, __ATOMIC_RELAXED)

void migrate_stats_reset(void)
{
	memset(&migrate_stats, 0, sizeof(migrate_stats));
}

void __SetPageMovable(struct page *page, struct address_space *mapping)
{
	VM_BUG_ON_PAGE(!PageLocked(page), page);
	VM_BUG_ON_PAGE((uintptr_t)mapping & PAGE_MAPPING_FLAGS, page);
	WRITE_ONCE(page->mapping,
		   (struct address_space *)((uintptr_t)mapping | PAGE_MAPPING_MOVABLE));
}

void __ClearPageMovable(struct page *page)
{
	VM_BUG_ON_PAGE(!PageLocked(page), page);
	VM_BUG_ON_PAGE(!__PageMovable(page), page);
	/* keep the MOVABLE bit: an isolator holding the page sees "released" */
	WRITE_ONCE(page->mapping, (struct address_space *)PAGE_MAPPING_MOVABLE);
}

bool PageMovable(struct page *page)
{
	struct address_space *mapping;

	VM_BUG_ON_PAGE(!PageLocked(page), page);
	if (!__PageMovable(page))
		return false;
	mapping = page_mapping(page);
	return mapping && mapping->a_ops && mapping->a_ops->isolate_page;
}

bool isolate_movable_page(struct page *page, isolate_mode_t mode)
{
	struct address_space *mapping;

	/* a free page (refcount 0) is not ours to take */
	if (unlikely(!get_page_unless_zero(page)))
		return false;
	/* cheap lockless test; may be a false positive, re-checked below */
	if (unlikely(!__PageMovable(page)))
		goto out_putpage;
	if (unlikely(!trylock_page(page)))
		goto out_putpage;
	if (!PageMovable(page))
		goto out_unlock;
	if (PageIsolated(page)) {
		migrate_stat_inc(isolate_skipped_isolated);
		goto out_unlock;
	}
	mapping = page_mapping(page);
	if (!mapping->a_ops->isolate_page(page, mode)) {
		migrate_stat_inc(isolate_refused);
		goto out_unlock;
	}
	/* the core's reference and the owner's: at least two while it is owned */
	VM_BUG_ON_PAGE(page_ref_count(page) < 2, page);
	__SetPageIsolated(page);
	unlock_page(page);
	migrate_stat_inc(isolated);
	return true;

out_unlock:
	unlock_page(page);
out_putpage:
	put_page(page);
	return false;
}

/*
 * The owner released the isolated, locked page @page: forget movability so
 * it can go back to the buddy when the core's reference is dropped.
 */
static void migrate_forget_released(struct page *page)
{
	__ClearPageIsolated(page);
	WRITE_ONCE(page->mapping, NULL);
}

/* Put back the isolated page @page with its lock held (lock is kept). */
static void __putback_movable_page(struct page *page)
{
	if (PageMovable(page)) {
		page_mapping(page)->a_ops->putback_page(page);
		__ClearPageIsolated(page);
		migrate_stat_inc(putback);
	} else {
		migrate_forget_released(page);
		migrate_stat_inc(released);
	}
}

void putback_movable_page(struct page *page)
{
	VM_BUG_ON_PAGE(!PageIsolated(page), page);
	lock_page(page);
	__putback_movable_page(page);
	VM_BUG_ON_PAGE(PageIsolated(page), page);
	unlock_page(page);
	put_page(page);
}

void putback_movable_pages(struct list_head *l)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, l, lru) {
		list_del(&page->lru);
		putback_movable_page(page);
	}
}

/* Give an unused target page back. */
static void migrate_put_new(struct page *newpage, free_page_t put_new_page,
			    unsigned long private)
{
	if (put_new_page)
		put_new_page(newpage, private);
	else
		__free_page(newpage);
}

/*
 * Migrate one isolated page (linked on a core list). Returns 0 when the
 * page left the list as migrated (or released), -EAGAIN when it stays on
 * the list for another pass, -ENOMEM when no target page could be had (it
 * stays too), any other error when it left the list and was put back.
 */
static int unmap_and_move(struct page *page, new_page_t get_new_page,
			  free_page_t put_new_page, unsigned long private,
			  enum migrate_mode mode)
{
	struct address_space *mapping;
	struct page *newpage;
	int rc;

	/* every page on a core list is isolated and holds the core's reference */
	VM_BUG_ON_PAGE(!PageIsolated(page) || page_ref_count(page) < 1, page);
	/* only our isolation reference is left: the owner freed it under us */
	if (page_count(page) == 1) {
		lock_page(page);
		if (!PageMovable(page)) {
			migrate_forget_released(page);
			unlock_page(page);
			list_del(&page->lru);
			put_page(page);
			migrate_stat_inc(released);
			return 0;
		}
		unlock_page(page);
	}
	newpage = get_new_page ? get_new_page(page, private)
			       : alloc_page(__GFP_MOVABLE | __GFP_NOWARN);
	if (!newpage) {
		migrate_stat_inc(nomem);
		return -ENOMEM;
	}
	if (mode == MIGRATE_ASYNC) {
		if (!trylock_page(page)) {
			migrate_put_new(newpage, put_new_page, private);
			migrate_stat_inc(eagain);
			return -EAGAIN;
		}
	} else {
		lock_page(page);
	}
	if (!trylock_page(newpage))
		panic("migrate: fresh target page pfn %lx is locked", page_to_pfn(newpage));

	if (!PageMovable(page)) {
		/* released between isolation and now: counts as migrated */
		migrate_forget_released(page);
		migrate_stat_inc(released);
		rc = MIGRATEPAGE_SUCCESS;
		unlock_page(newpage);
		migrate_put_new(newpage, put_new_page, private);
		goto done;
	}
	mapping = page_mapping(page);
	rc = mapping->a_ops->migratepage(mapping, newpage, page, mode);
	if (rc == MIGRATEPAGE_SUCCESS) {
		if (WARN_ON(PageMovable(page)))
			pr_err("migrate: owner left pfn %lx movable after migrating it\n",
			       page_to_pfn(page));
		__ClearPageIsolated(page);
		WRITE_ONCE(page->mapping, NULL);
		/* the owner moved its reference to newpage: ours plus its own */
		VM_BUG_ON_PAGE(page_ref_count(newpage) < 2, newpage);
		unlock_page(newpage);
		put_page(newpage);	/* allocation reference; the owner holds its own */
		migrate_stat_inc(succeeded);
		goto done;
	}
	unlock_page(newpage);
	migrate_put_new(newpage, put_new_page, private);
	if (rc == -EAGAIN) {
		unlock_page(page);
		migrate_stat_inc(eagain);
		return -EAGAIN;
	}
	/* permanent failure for this pass: off our list, back to the owner */
	list_del(&page->lru);
	__putback_movable_page(page);
	VM_BUG_ON_PAGE(PageIsolated(page), page);
	migrate_stat_inc(failed);
	unlock_page(page);
	put_page(page);
	return rc;
done:
	/* leaving the core: not isolated, and nothing leads back to an owner */
	VM_BUG_ON_PAGE(PageIsolated(page) || page->mapping, page);
	unlock_page(page);
	list_del(&page->lru);
	put_page(page);		/* isolation reference: frees a migrated/released page */
	return rc;
}

int migrate_pages(struct list_head *from, new_page_t get_new_page, free_page_t put_new_page,
		  unsigned long private, enum migrate_mode mode, int reason,
		  unsigned int *nr_succeeded)
{
	unsigned int succeeded = 0, failed = 0, retry = 1;
	struct page *page, *next;
	int rc = 0;

	(void)reason;
	for (int pass = 0; pass < MIGRATE_MAX_PASSES && retry; pass++) {
		retry = 0;
		list_for_each_entry_safe(page, next, from, lru) {
			rc = unmap_and_move(page, get_new_page, put_new_page, private, mode);
			if (rc == -ENOMEM)
				goto out;
			if (rc == -EAGAIN)
				retry++;
			else if (rc == MIGRATEPAGE_SUCCESS)
				succeeded++;
			else
				failed++;
		}
	}
	/* still -EAGAIN after the last pass: failures, left on @from */
	failed += retry;
	rc = (int)failed;
out:
	if (rc == -ENOMEM) {
		/* every page still on the list counts as failed */
		list_for_each_entry(page, from, lru)
			failed++;
	}
	count_vm_events(PGMIGRATE_SUCCESS, succeeded);
	count_vm_events(PGMIGRATE_FAIL, failed);
	if (nr_succeeded)
		*nr_succeeded = succeeded;
	return rc;
}

int migrate_range_pass(unsigned long start, unsigned long end, new_page_t new_page,
		       unsigned long private, int reason, bool skip_offline,
		       unsigned int batch, struct migrate_range_result *res)
{
	unsigned long pfn = start;

	memset(res, 0, sizeof(*res));
	while (pfn < end) {
		LIST_HEAD(l);
		unsigned int n = 0;
		int rc;

		for (; pfn < end && n < batch; pfn++) {
			struct page *page = pfn_to_page(pfn);

			if (PageBuddy(page)) {
				unsigned int o = buddy_order_unsafe(page);

				if (o <= MAX_ORDER)
					pfn += (1UL << o) - 1;
				continue;
			}
			if (page_ref_count(page) == 0 || (skip_offline && PageOffline(page)))
				continue;
			res->in_use++;
			if (__PageMovable(page) && isolate_movable_page(page, 0)) {
				list_add_tail(&page->lru, &l);
				n++;
			} else {
				res->unmovable++;
			}
		}
		if (!n)
			continue;
		rc = migrate_pages(&l, new_page, NULL, private, MIGRATE_SYNC, reason, NULL);
		if (rc)
			res->failed_batches++;
		putback_movable_pages(&l);
		if (rc == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}
