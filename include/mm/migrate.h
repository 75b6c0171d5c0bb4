/*
 * migrate.h - non-LRU movable pages (seed 004, docs/references.md) and page
 * migration.
 *
 * Owner side. A subsystem that wants compaction to move its pages gives
 * them an address_space whose ->a_ops is a movable_operations, and marks
 * each page with __SetPageMovable(page, mapping) under the page lock. The
 * choice here: the ops live in a small address-space-like structure
 * (struct address_space: ops + the owner's private pointer, e.g. its
 * balloon device or zs_pool), reached through page->mapping, whose low two
 * bits hold PAGE_MAPPING_MOVABLE (0x2). Never read page->mapping directly:
 * use page_mapping(), which masks the bits.
 *
 * The three callbacks (contracts):
 *   isolate_page(page, mode)    page locked, core holds a reference. Take
 *       the page off the owner's own lists and return true; return false
 *       to refuse. After true the core owns page->lru and sets PG_isolated;
 *       the owner must not touch page->lru until putback or migration.
 *   migratepage(mapping, newpage, page, mode)   both pages locked. Copy the
 *       contents and owner state to @newpage, make @newpage movable
 *       (__SetPageMovable) and take the owner's reference on it
 *       (get_page), then __ClearPageMovable(@page) and drop the owner's
 *       reference on @page (put_page). Return MIGRATEPAGE_SUCCESS (0),
 *       -EAGAIN for "try again soon" (retried, bounded passes), or any other
 *       error for "not this time" (the page is put back). On failure leave
 *       @newpage untouched.
 *   putback_page(page)          page locked: migration failed, put the page
 *       back on the owner's lists (PG_isolated is cleared by the core).
 *
 * Releasing a page: the owner calls __ClearPageMovable(page) under the page
 * lock before dropping its last reference. If the page is isolated at that
 * moment, the core still holds a reference; it notices !PageMovable and
 * counts the page as migrated, freeing it.
 *
 * Core side: isolate_movable_page(), putback_movable_pages(),
 * migrate_pages(). Lock order: page lock (old, then new), then zone->lock.
 */
#ifndef MM_MIGRATE_H
#define MM_MIGRATE_H

#include <kernel/compiler.h>
#include <kernel/list.h>
#include <mm/page.h>

typedef unsigned int isolate_mode_t;
#define ISOLATE_ASYNC_MIGRATE	0x4u	/* caller is async compaction: do not block */

enum migrate_mode {
	MIGRATE_ASYNC,		/* never block: trylock only */
	MIGRATE_SYNC_LIGHT,	/* may block on the page lock */
	MIGRATE_SYNC,		/* may block on anything */
};

enum migrate_reason {
	MR_COMPACTION,
	MR_CONTIG_RANGE,
	MR_MEMORY_HOTPLUG,
	MR_TEST,
	MR_TYPES,
};

#define MIGRATEPAGE_SUCCESS	0
#define MIGRATE_MAX_PASSES	10	/* passes over the list while pages say -EAGAIN */

struct address_space;

struct movable_operations {
	bool (*isolate_page)(struct page *page, isolate_mode_t mode);
	int (*migratepage)(struct address_space *mapping, struct page *newpage,
			   struct page *page, enum migrate_mode mode);
	void (*putback_page)(struct page *page);
};

/* What page->mapping of a movable page points at (8-byte aligned). */
struct address_space {
	const struct movable_operations *a_ops;
	void *private_data;	/* the owner's: balloon device, zs_pool, ... */
};

/* Mark @page movable with @mapping; page locked, owner holds a reference. */
void __SetPageMovable(struct page *page, struct address_space *mapping);
/* Clear movability (keeps the 0x2 bit so an isolator sees "released"); page locked. */
void __ClearPageMovable(struct page *page);
/* Under the page lock: true if @page is a live non-LRU movable page. */
bool PageMovable(struct page *page);

/*
 * Try to isolate the movable page @page for migration: reference taken
 * unless the refcount is zero, lockless __PageMovable test, trylock,
 * re-check, skip PG_isolated, owner's isolate_page. On true the caller owns
 * page->lru and one reference; put the page on a list for migrate_pages().
 */
bool isolate_movable_page(struct page *page, isolate_mode_t mode);

/* Give one isolated page back to its owner (or free it if released); drops the isolation reference. */
void putback_movable_page(struct page *page);
/* putback_movable_page() every page on @l (linked through page->lru); @l ends empty. */
void putback_movable_pages(struct list_head *l);

/* Allocator of a target page for @page; NULL = out of memory. A NULL get_new_page
 * means alloc_page(__GFP_MOVABLE | __GFP_NOWARN) (never recurses into compaction). */
typedef struct page *new_page_t(struct page *page, unsigned long private);
/* Give back an unused target page. NULL put_new_page means __free_page(). */
typedef void free_page_t(struct page *page, unsigned long private);

/*
 * Migrate every isolated page on @from. Pages migrated (or released by their
 * owner meanwhile) leave the list and are freed; pages that failed with an
 * error other than -EAGAIN are put back and leave the list; pages still
 * saying -EAGAIN after MIGRATE_MAX_PASSES passes stay on @from. Returns the
 * number of pages not migrated, or -ENOMEM if get_new_page failed (the
 * unprocessed pages stay on @from). Either way the caller must
 * putback_movable_pages(@from) afterwards. *@nr_succeeded (may be NULL)
 * gets the number migrated.
 */
int migrate_pages(struct list_head *from, new_page_t get_new_page, free_page_t put_new_page,
		  unsigned long private, enum migrate_mode mode, int reason,
		  unsigned int *nr_succeeded);

/* What one migrate_range_pass() saw. */
struct migrate_range_result {
	unsigned long in_use;		/* pages in use (not free, not skipped) */
	unsigned long unmovable;	/* ... of them not movable, or refused isolation */
	unsigned long failed_batches;	/* batches migrate_pages() did not fully move */
};

/*
 * One pass over [start, end) (memory whose free pages cannot be taken:
 * isolated pageblocks): isolate the in-use movable pages @batch at a time
 * and migrate each batch to pages from @new_page(@private) for @reason.
 * Free buddy blocks and refcount-0 pages are passed over, PageOffline
 * pages too when @skip_offline. Fills @res; 0, or -ENOMEM when no target
 * page could be had. Memory offlining and alloc_contig_range() share it.
 */
int migrate_range_pass(unsigned long start, unsigned long end, new_page_t new_page,
		       unsigned long private, int reason, bool skip_offline,
		       unsigned int batch, struct migrate_range_result *res);

/* Core statistics by outcome, for tests and the shell (reset with mm state). */
struct migrate_stats {
	unsigned long isolated, isolate_refused, isolate_skipped_isolated;
	unsigned long succeeded, released, eagain, failed, putback, nomem;
};
extern struct migrate_stats migrate_stats;
void migrate_stats_reset(void);

#endif
