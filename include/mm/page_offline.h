/*
 * page_offline.h - seed 001's PageOffline: refcount 0 always, two flags,
 * and "frozen" interfaces that move pages between the buddy and an owner
 * without touching a refcount (mm/page_offline.c).
 *
 * A PageOffline page (page type PGTY_OFFLINE) is memory its owner has
 * taken away: unplugged by virtio-mem, or never exposed to the buddy when
 * its block was onlined. Its contents are stale; nobody but the owner
 * reads or writes it, dumps skip it. Its refcount is 0, always. Two
 * flags, meaningful only while the page is PageOffline, live in
 * page->flags (their bit numbers are in <mm/page.h>):
 *
 *   NeverOnlined  the page was never handed to the buddy (its block was
 *                 onlined with it held back); giving it to the buddy must
 *                 go through the onlining path (generic_online_page),
 *                 which counts it as managed.
 *   Skippable     the owner supports offlining the block holding it:
 *                 offline_pages() treats it like a free page (seed 003's
 *                 SKIP_OFFLINE), alloc_contig_range() as unmovable.
 *
 * Balloon pages are refcounted and movable (seed 002); they are not
 * PageOffline in this model but PageMovableOffline, a type of their own
 * (docs/page-offline.md says why); kpageflags reports both with bit 23.
 *
 * Where the flags live: PG_offline_never_onlined is PG_dirty's bit and
 * PG_offline_skippable PG_owner_priv_1's (<mm/page.h>); an offline page is
 * never written (nothing to be dirty) and has no other owner-private use.
 */
#ifndef MM_PAGE_OFFLINE_H
#define MM_PAGE_OFFLINE_H

#include <kernel/compiler.h>
#include <mm/page.h>
#include <mm/gfp.h>

/* Flags for page_offline_mark(). */
#define PAGE_OFFLINE_SKIPPABLE		0x1
#define PAGE_OFFLINE_NEVER_ONLINED	0x2

/*
 * Allocate an order-@order block whose pages all have refcount 0 (the
 * "frozen" allocation of seed 001); NULL on failure. Free it with
 * free_frozen_pages().
 */
struct page *alloc_frozen_pages(gfp_t gfp, unsigned int order);
/* Give a frozen block (refcount 0 on every page, not PageOffline) back to the buddy. */
void free_frozen_pages(struct page *page, unsigned int order);

/*
 * alloc_contig_range() whose pages come back frozen (refcount 0, order-0
 * each). Same errors; nothing held on failure.
 */
int alloc_contig_frozen_range(unsigned long start, unsigned long end, gfp_t gfp);
/* Free @nr_pages frozen order-0 pages starting at @pfn. */
void free_contig_frozen_range(unsigned long pfn, unsigned long nr_pages);

/*
 * Make @nr pages from @page (frozen, owned by the caller, not in the
 * buddy) PageOffline with @flags (PAGE_OFFLINE_*).
 */
void page_offline_mark(struct page *page, unsigned long nr, unsigned int flags);
/*
 * Give @nr PageOffline pages from @page back to the buddy: clear the
 * type and flags; NeverOnlined pages through generic_online_page(), the
 * others through free_frozen_pages().
 */
void page_offline_release(struct page *page, unsigned long nr);

/*
 * (Added by the offline branch.) Take a page out of use for good: @page
 * (type none, the caller holds one reference) becomes PageOffline, not
 * Skippable, and the caller's reference is dropped - refcount 0 once a
 * speculative scanner's transient reference, if any, is put (that put
 * never frees a PageOffline page). For memory a broken device may still
 * use: the balloon's pages after a failed removal.
 */
void page_offline_retire(struct page *page);

/*
 * (Added by the offline branch.) 1 -> 0 on a page whose only lasting
 * reference is the caller's, spinning while a speculative scanner holds
 * a transient one. Used by the frozen allocations.
 */
void page_ref_freeze_wait(struct page *page);

#endif
