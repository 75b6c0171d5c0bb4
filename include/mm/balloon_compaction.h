/*
 * balloon_compaction.h - balloon pages that compaction can move (seed 002,
 * on top of the non-LRU movable page interface of seed 004; the seeds are
 * listed in docs/references.md).
 *
 * A balloon driver keeps one struct balloon_dev_info per device. Every
 * page it holds is PageMovableOffline (logically offline, seed 000, but
 * refcounted: not seed 001's PageOffline, docs/page-offline.md), movable through the device's
 * own struct address_space (whose private_data leads back to the device,
 * so several devices work side by side), and either on b->pages or
 * isolated by compaction (counted in b->isolated_pages, its lru then owned
 * by the migration core). Invariant, checked by balloon_check():
 *     length(b->pages) + b->isolated_pages == pages the host holds.
 *
 * Ordering (seed 002): a page is put on the list and marked movable under
 * pages_lock with the page lock held, so a lockless scanner that sees it
 * movable finds it on the list when it re-tests under the locks; it is
 * unmarked before it leaves the list.
 *
 * Migration: the core calls balloon_page_isolate / balloon_page_migrate /
 * balloon_page_putback through the device's movable_operations. The
 * driver's migratepage callback does the host side and the accounting:
 *     balloon_page_migrate_insert(b, newpage);   host: inflate newpage
 *     host: deflate page;  balloon_page_migrate_release(b, page);
 * returning 0, or -EAGAIN if the device is busy (nothing changed then).
 *
 * Deflation: balloon_page_list_dequeue(), then balloon_page_list_deflated()
 * if the host gave the pages back or balloon_page_list_requeue() if not.
 *
 * Lock order: page lock, then b->pages_lock (a driver lock such as
 * vb->lock may come first: the driver never waits for it with a page
 * locked, it only trylocks it in migratepage).
 */
#ifndef MM_BALLOON_COMPACTION_H
#define MM_BALLOON_COMPACTION_H

#include <kernel/compiler.h>
#include <kernel/list.h>
#include <arch/spinlock.h>
#include <mm/page.h>
#include <mm/gfp.h>
#include <mm/migrate.h>

struct balloon_dev_info {
	unsigned long isolated_pages;	/* taken by compaction, off the list */
	bool draining;			/* the device goes away: isolation refused */
	spinlock_t pages_lock;		/* protects pages and isolated_pages */
	struct list_head pages;		/* inflated pages, linked through lru */
	struct address_space mapping;	/* page->mapping of our pages */
	/* The driver's migratepage: both pages locked. 0, -EAGAIN or error. */
	int (*migratepage)(struct balloon_dev_info *b, struct page *newpage,
			   struct page *page, enum migrate_mode mode);
	/* statistics */
	unsigned long enqueued, dequeued, migrated, isolations, putbacks;
};

/* Balloon pages are taken from free memory only: no reclaim, no OOM deflate. */
#define BALLOON_GFP	(__GFP_MOVABLE | __GFP_NOWARN | __GFP_NORETRY)

/* Initialize @b; @migratepage may be NULL (pages are then not movable). */
void balloon_devinfo_init(struct balloon_dev_info *b,
			  int (*migratepage)(struct balloon_dev_info *, struct page *,
					     struct page *, enum migrate_mode));

/* A page for inflation (refcount 1), or NULL when memory is short. */
struct page *balloon_page_alloc(void);
/* Give a page that never entered the balloon back (balloon_page_alloc's undo). */
void balloon_page_free(struct page *page);

/* Put @page (from balloon_page_alloc) into the balloon: offline, movable, listed. */
void balloon_page_enqueue(struct balloon_dev_info *b, struct page *page);
/* Enqueue every page on @pages (linked through lru); returns how many. Counts balloon_inflate. */
size_t balloon_page_list_enqueue(struct balloon_dev_info *b, struct list_head *pages);
/*
 * Take up to @n pages out of the balloon onto @pages (through lru); they
 * are no longer offline or movable, and the caller holds their reference.
 * Returns how many. Nothing is counted yet: once the host has given the
 * pages back, balloon_page_list_deflated(); if it did not,
 * balloon_page_list_requeue().
 */
size_t balloon_page_list_dequeue(struct balloon_dev_info *b, struct list_head *pages, size_t n);
/* One page out of the balloon, or NULL (empty, or all isolated: try later); as above. */
struct page *balloon_page_dequeue(struct balloon_dev_info *b);
/*
 * Give dequeued pages whose deflate did not happen back to the balloon
 * (listed, offline, movable again); counts nothing. A page a scanner holds
 * locked meanwhile (it saw the page movable before the dequeue) is waited
 * for, page lock before pages_lock: call without pages_lock or any page
 * lock held. Returns how many.
 */
size_t balloon_page_list_requeue(struct balloon_dev_info *b, struct list_head *pages);
/* The host gave the dequeued @pages back: free them, count balloon_deflate. Returns how many. */
size_t balloon_page_list_deflated(struct balloon_dev_info *b, struct list_head *pages);

/* Mark @page a balloon page of @b and list it; pages_lock and page lock held. */
void balloon_page_insert(struct balloon_dev_info *b, struct page *page);
/* Undo balloon_page_insert (list_del unless isolated); pages_lock and page lock held. */
void balloon_page_delete(struct page *page);
/* The device a balloon page belongs to (page locked), or NULL. */
struct balloon_dev_info *balloon_page_device(struct page *page);

/* movable_operations of balloon pages (called by the migration core). */
bool balloon_page_isolate(struct page *page, isolate_mode_t mode);
void balloon_page_putback(struct page *page);
int balloon_page_migrate(struct address_space *mapping, struct page *newpage,
			 struct page *page, enum migrate_mode mode);

/* For the driver's migratepage: @newpage (locked) joins the balloon in place of an isolated page. */
void balloon_page_migrate_insert(struct balloon_dev_info *b, struct page *newpage);
/* For the driver's migratepage: the isolated, locked @page leaves the balloon; drops our reference. */
void balloon_page_migrate_release(struct balloon_dev_info *b, struct page *page);

/*
 * The device is going away: from now on balloon_page_isolate() refuses, so
 * the isolated count only falls (putback, migration) and the list is final
 * once it reaches zero.
 */
void balloon_devinfo_drain(struct balloon_dev_info *b);
/* Pages compaction holds isolated right now (read under pages_lock). */
unsigned long balloon_isolated_pages(struct balloon_dev_info *b);

/* Pages on the list (walks it under the lock). */
size_t balloon_page_count(struct balloon_dev_info *b);
/*
 * Check every listed page (offline, movable through b->mapping, not
 * isolated) and that listed + isolated == @host_pages. Prints each problem
 * (up to a few) and returns their number.
 */
unsigned long balloon_check(struct balloon_dev_info *b, unsigned long host_pages);

#ifdef HOST_BUILD
/*
 * Test hook (host builds only): called when giving dequeued pages back
 * finds @page locked by someone else - a scanner that saw the page
 * movable before the dequeue and now re-tests it under the page lock -
 * right before waiting for that lock. A host test plays the other CPU
 * here (re-test, unlock, drop its reference).
 */
extern void (*balloon_requeue_contended_hook)(struct page *page);
#endif

#endif
