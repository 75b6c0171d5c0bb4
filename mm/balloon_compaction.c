/*
 * balloon_compaction.c - balloon pages as non-LRU movable pages (seeds 002,
 * 004) that are logically offline (seed 000); the seeds, Linux mailing-list
 * documents, are listed in docs/references.md.
 *
 * Data structures. Each balloon device owns a struct balloon_dev_info: a
 * list of its inflated pages (through page->lru), the number of its pages
 * that compaction has isolated (those are off the list: the core owns their
 * lru), a spinlock over both, and an address_space whose a_ops are the
 * balloon movable_operations and whose private_data is the device itself.
 * A balloon page has: page type MovableOffline, page->mapping = &b->mapping | 0x2
 * (__SetPageMovable), one reference (the balloon's), and is either on
 * b->pages or PG_isolated.
 *
 * Invariants:
 *  - listed + isolated_pages == the pages the host was told about and has
 *    acknowledged (the driver keeps that count; balloon_check() compares);
 *  - a listed page is MovableOffline, movable through b->mapping, not isolated;
 *  - a page is marked movable only while it is on the list or isolated, and
 *    becomes movable (insert) before anyone can find it on the list; it is
 *    unmarked (delete) before it leaves (seed 002's ordering).
 *
 * Migration of a balloon page (seed 004's three callbacks):
 *  isolate   under pages_lock: off the list, isolated_pages++;
 *  migrate   the driver's callback tells the host; on success newpage is
 *            inserted (listed, isolated_pages-- for the page it replaces)
 *            and page is released (no longer movable or offline, our
 *            reference dropped): the core then frees it;
 *  putback   under pages_lock: back on the list, isolated_pages--.
 * So the count the host holds never changes during a migration.
 *
 * Deflation is two steps: dequeue (pages off the list, no longer offline
 * or movable, nothing counted), then, depending on the host's answer,
 * balloon_page_list_deflated() (freed, balloon_deflate counted) or
 * balloon_page_list_requeue() (back in, nothing counted). A dequeued page
 * may still be locked by a scanner whose lockless __PageMovable test ran
 * before the dequeue (seed 002: that test may be a false positive and is
 * repeated under the lock); the requeue waits for such a lock instead of
 * asserting it is free, taking it before pages_lock.
 *
 * Removal of a device: balloon_devinfo_drain() makes balloon_page_isolate()
 * refuse, so isolated_pages only falls; once it is zero every page is on
 * the list and the driver can take them all.
 */
#include <mm/balloon_compaction.h>
#include <mm/vmstat.h>
#include <kernel/printk.h>
#include <errno.h>

#ifdef HOST_BUILD
void (*balloon_requeue_contended_hook)(struct page *page);
#endif

static const struct movable_operations balloon_mops = {
	.isolate_page = balloon_page_isolate,
	.migratepage = balloon_page_migrate,
	.putback_page = balloon_page_putback,
};

void balloon_devinfo_init(struct balloon_dev_info *b,
			  int (*migratepage)(struct balloon_dev_info *, struct page *,
					     struct page *, enum migrate_mode))
{
	b->isolated_pages = 0;
	b->draining = false;
	spin_lock_init(&b->pages_lock);
	INIT_LIST_HEAD(&b->pages);
	b->mapping.a_ops = migratepage ? &balloon_mops : NULL;
	b->mapping.private_data = b;
	b->migratepage = migratepage;
	b->enqueued = b->dequeued = b->migrated = b->isolations = b->putbacks = 0;
}

struct page *balloon_page_alloc(void)
{
	return alloc_page(BALLOON_GFP);
}

void balloon_page_free(struct page *page)
{
	__free_page(page);
}

void balloon_page_insert(struct balloon_dev_info *b, struct page *page)
{
	VM_BUG_ON_PAGE(!PageLocked(page), page);
	__SetPageMovableOffline(page);
	if (b->migratepage)
		__SetPageMovable(page, &b->mapping);
	list_add(&page->lru, &b->pages);
}

void balloon_page_delete(struct page *page)
{
	VM_BUG_ON_PAGE(!PageLocked(page), page);
	if (__PageMovable(page))
		__ClearPageMovable(page);
	__ClearPageMovableOffline(page);
	set_page_private(page, 0);
	if (!PageIsolated(page)) {
		list_del(&page->lru);
		/* not isolated: nobody else can look at the mapping any more */
		WRITE_ONCE(page->mapping, NULL);
	}
}

struct balloon_dev_info *balloon_page_device(struct page *page)
{
	struct address_space *m = page_mapping(page);

	return m ? m->private_data : NULL;
}

/*
 * Insert every page of @pages whose page lock is free right now; a page
 * someone else holds locked moves to @busy instead. pages_lock held (so
 * only a trylock: the lock order is page lock, then pages_lock). Returns
 * how many were inserted.
 */
static size_t __balloon_page_list_insert(struct balloon_dev_info *b, struct list_head *pages,
					 struct list_head *busy)
{
	struct page *page, *next;
	size_t n = 0;

	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		if (!trylock_page(page)) {
			list_add_tail(&page->lru, busy);
			continue;
		}
		balloon_page_insert(b, page);
		unlock_page(page);
		n++;
	}
	return n;
}

void balloon_page_enqueue(struct balloon_dev_info *b, struct page *page)
{
	LIST_HEAD(one);

	list_add(&page->lru, &one);
	balloon_page_list_enqueue(b, &one);
}

size_t balloon_page_list_enqueue(struct balloon_dev_info *b, struct list_head *pages)
{
	LIST_HEAD(busy);
	unsigned long flags;
	size_t n;

	spin_lock_irqsave(&b->pages_lock, flags);
	n = __balloon_page_list_insert(b, pages, &busy);
	/* fresh pages: not movable yet, so no isolator ever locks them */
	BUG_ON(!list_empty(&busy));
	b->enqueued += n;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	count_vm_events(BALLOON_INFLATE, n);
	return n;
}

size_t balloon_page_list_dequeue(struct balloon_dev_info *b, struct list_head *pages, size_t n)
{
	struct page *page, *next;
	unsigned long flags;
	size_t got = 0;

	spin_lock_irqsave(&b->pages_lock, flags);
	list_for_each_entry_safe(page, next, &b->pages, lru) {
		if (got == n)
			break;
		/* a page being looked at by an isolator: leave it for now */
		if (!trylock_page(page))
			continue;
		balloon_page_delete(page);
		unlock_page(page);
		list_add(&page->lru, pages);
		got++;
	}
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return got;
}

size_t balloon_page_list_requeue(struct balloon_dev_info *b, struct list_head *pages)
{
	LIST_HEAD(busy);
	struct page *page, *next;
	unsigned long flags;
	size_t n;

	spin_lock_irqsave(&b->pages_lock, flags);
	n = __balloon_page_list_insert(b, pages, &busy);
	spin_unlock_irqrestore(&b->pages_lock, flags);
	/*
	 * A page locked by someone else: a scanner that saw it movable before
	 * the dequeue (the lockless __PageMovable test may be stale, seed 002)
	 * and re-tests it under the lock. It finds the page not movable and
	 * lets go, so wait for the lock - in the documented order, page lock
	 * first - and insert the page then.
	 */
	list_for_each_entry_safe(page, next, &busy, lru) {
		list_del(&page->lru);
#ifdef HOST_BUILD
		if (balloon_requeue_contended_hook)
			balloon_requeue_contended_hook(page);
#endif
		lock_page(page);
		spin_lock_irqsave(&b->pages_lock, flags);
		balloon_page_insert(b, page);
		spin_unlock_irqrestore(&b->pages_lock, flags);
		unlock_page(page);
		n++;
	}
	return n;
}

size_t balloon_page_list_deflated(struct balloon_dev_info *b, struct list_head *pages)
{
	struct page *page, *next;
	unsigned long flags;
	size_t n = 0;

	list_for_each_entry_safe(page, next, pages, lru) {
		list_del(&page->lru);
		__free_page(page);
		n++;
	}
	spin_lock_irqsave(&b->pages_lock, flags);
	b->dequeued += n;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	count_vm_events(BALLOON_DEFLATE, n);
	return n;
}

struct page *balloon_page_dequeue(struct balloon_dev_info *b)
{
	LIST_HEAD(one);

	if (!balloon_page_list_dequeue(b, &one, 1))
		return NULL;
	return list_first_entry(&one, struct page, lru);
}

bool balloon_page_isolate(struct page *page, isolate_mode_t mode)
{
	struct balloon_dev_info *b = balloon_page_device(page);
	unsigned long flags;

	if (!b)
		return false;
	spin_lock_irqsave(&b->pages_lock, flags);
	if (b->draining) {
		/* the device is going away: no page may leave its list now */
		spin_unlock_irqrestore(&b->pages_lock, flags);
		return false;
	}
	/* a listed page: MovableOffline, movable through this device, not isolated */
	VM_BUG_ON_PAGE(!PageMovableOffline(page) || PageIsolated(page), page);
	list_del(&page->lru);
	b->isolated_pages++;
	b->isolations++;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return true;
}

void balloon_page_putback(struct page *page)
{
	struct balloon_dev_info *b = balloon_page_device(page);
	unsigned long flags;

	spin_lock_irqsave(&b->pages_lock, flags);
	VM_BUG_ON_PAGE(!b->isolated_pages || !PageMovableOffline(page), page);
	list_add(&page->lru, &b->pages);
	b->isolated_pages--;
	b->putbacks++;
	spin_unlock_irqrestore(&b->pages_lock, flags);
}

int balloon_page_migrate(struct address_space *mapping, struct page *newpage,
			 struct page *page, enum migrate_mode mode)
{
	struct balloon_dev_info *b = mapping->private_data;

	VM_BUG_ON_PAGE(!PageLocked(page), page);
	VM_BUG_ON_PAGE(!PageLocked(newpage), newpage);
	if (!b || !b->migratepage)
		return -EINVAL;
	return b->migratepage(b, newpage, page, mode);
}

void balloon_page_migrate_insert(struct balloon_dev_info *b, struct page *newpage)
{
	unsigned long flags;

	get_page(newpage);		/* the balloon's own reference */
	spin_lock_irqsave(&b->pages_lock, flags);
	VM_BUG_ON_PAGE(!b->isolated_pages, newpage);
	balloon_page_insert(b, newpage);
	b->isolated_pages--;		/* newpage stands in for the isolated page */
	spin_unlock_irqrestore(&b->pages_lock, flags);
}

void balloon_page_migrate_release(struct balloon_dev_info *b, struct page *page)
{
	unsigned long flags;

	VM_BUG_ON_PAGE(!PageIsolated(page), page);
	spin_lock_irqsave(&b->pages_lock, flags);
	balloon_page_delete(page);
	b->migrated++;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	count_vm_event(BALLOON_MIGRATE);
	put_page(page);			/* ours; the core still holds its isolation reference */
}

void balloon_devinfo_drain(struct balloon_dev_info *b)
{
	unsigned long flags;

	spin_lock_irqsave(&b->pages_lock, flags);
	b->draining = true;
	spin_unlock_irqrestore(&b->pages_lock, flags);
}

unsigned long balloon_isolated_pages(struct balloon_dev_info *b)
{
	unsigned long flags, n;

	spin_lock_irqsave(&b->pages_lock, flags);
	n = b->isolated_pages;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return n;
}

size_t balloon_page_count(struct balloon_dev_info *b)
{
	struct page *page;
	unsigned long flags;
	size_t n = 0;

	spin_lock_irqsave(&b->pages_lock, flags);
	list_for_each_entry(page, &b->pages, lru)
		n++;
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return n;
}

unsigned long balloon_check(struct balloon_dev_info *b, unsigned long host_pages)
{
	unsigned long bad = 0, flags;
	struct page *page;
	size_t n = 0;

	spin_lock_irqsave(&b->pages_lock, flags);
	list_for_each_entry(page, &b->pages, lru) {
		const char *why = NULL;

		n++;
		if (!PageMovableOffline(page))
			why = "listed balloon page is not PageMovableOffline";
		else if (b->migratepage && page_mapping(page) != &b->mapping)
			why = "listed balloon page is not movable through its device";
		else if (PageIsolated(page))
			why = "listed balloon page is PG_isolated";
		if (why && bad++ < 4)
			pr_err("balloon: pfn %#lx: %s\n", page_to_pfn(page), why);
		if (n > host_pages + b->isolated_pages + 1)
			break;		/* a corrupted (looping) list ends here */
	}
	if (n + b->isolated_pages != host_pages) {
		if (bad++ < 4)
			pr_err("balloon: %zu listed + %lu isolated != %lu pages the host holds\n",
			       n, b->isolated_pages, host_pages);
	}
	spin_unlock_irqrestore(&b->pages_lock, flags);
	return bad;
}
