/*
 * page_offline.c - seed 001's PageOffline: pages an owner took away from
 * the buddy, with refcount 0 always, and the "frozen" interfaces that move
 * pages between the buddy and such an owner without a reference.
 *
 * Why no refcount. Seed 003 used "PageOffline with refcount 0" as the
 * sign that memory offlining may skip a page, and made the last put_page()
 * of a PageOffline page a no-op so that such a page never slipped back
 * into the buddy. That overloads the refcount with two meanings (owner
 * state, and "is it referenced"); seed 001 separates them: the refcount of
 * a PageOffline page is 0, always - nobody holds references to memory that
 * is not there - and what the refcount used to encode is two flags in
 * page->flags (bit numbers in <mm/page.h>, PG_offline_*):
 *
 *   Skippable     offline_pages() may treat the page like a free one
 *                 (SKIP_OFFLINE in mm/page_isolation.c);
 *   NeverOnlined  the page was never in the buddy (held back while its
 *                 block was onlined): releasing it must go through the
 *                 onlining path, generic_online_page(), which counts it
 *                 as managed memory; a page that came from the buddy goes
 *                 back through free_frozen_pages() and was never uncounted.
 *
 * Frozen pages. alloc_frozen_pages() / alloc_contig_frozen_range() hand
 * out pages with refcount 0 (the allocator sets 1 on the way out; it is
 * taken back with a compare-and-swap, waiting out a speculative scanner
 * that holds a reference for an instant - page_ref_freeze_wait()), and
 * free_frozen_pages() gives a block with refcount 0 back through the very
 * checks of the last __free_pages(). A frozen page cannot be found by a
 * speculative isolator: get_page_unless_zero() fails on it.
 *
 * Who touches the page: its owner only. page_offline_mark() and
 * page_offline_release() write the type and flags with plain stores: the
 * caller owns the pages exclusively (frozen, not in the buddy). Offlining
 * reads the type and the Skippable flag under zone->lock inside isolated
 * pageblocks; an owner that changes them concurrently must synchronise
 * with offlining through the memory notifier (seed 003), as virtio-mem does.
 */
#include <mm/page_offline.h>
#include <mm/memory_hotplug.h>
#include <mm/page_isolation.h>
#include "page_alloc_internal.h"
#include <arch/cpu.h>

#define PAGE_OFFLINE_FLAGS \
	((1UL << PG_offline_never_onlined) | (1UL << PG_offline_skippable))

void page_ref_freeze_wait(struct page *page)
{
	VM_BUG_ON_PAGE(page_ref_count(page) <= 0, page);
	while (!page_ref_freeze(page, 1))
		cpu_relax();
}

struct page *alloc_frozen_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	if (page)
		page_ref_freeze_wait(page);
	return page;
}

/* True (and reported) if a block about to be freed frozen is not one. */
static bool frozen_block_bad(struct page *page, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		if (unlikely(PageOffline(page + i))) {
			bad_page(page + i, "free_frozen_pages on a PageOffline page "
				 "(use page_offline_release)");
			return true;
		}
		if (unlikely(page_ref_count(page + i) != 0)) {
			bad_page(page + i, "free_frozen_pages on a page with a reference");
			return true;
		}
	}
	return false;
}

void free_frozen_pages(struct page *page, unsigned int order)
{
	if (frozen_block_bad(page, 1UL << order))
		return;
	__free_frozen_pages(page, order);
}

void free_contig_frozen_range(unsigned long pfn, unsigned long nr_pages)
{
	for (unsigned long i = 0; i < nr_pages; i++)
		free_frozen_pages(pfn_to_page(pfn + i), 0);
}

void page_offline_mark(struct page *page, unsigned long nr, unsigned int flags)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = page + i;
		unsigned long f = READ_ONCE(p->flags) & ~PAGE_OFFLINE_FLAGS;

		VM_BUG_ON_PAGE(page_ref_count(p) != 0 || p->page_type != PGTY_NONE, p);
		if (flags & PAGE_OFFLINE_SKIPPABLE)
			f |= 1UL << PG_offline_skippable;
		if (flags & PAGE_OFFLINE_NEVER_ONLINED)
			f |= 1UL << PG_offline_never_onlined;
		WRITE_ONCE(p->flags, f);
		__SetPageOffline(p);
	}
}

void page_offline_release(struct page *page, unsigned long nr)
{
	for (unsigned long i = 0; i < nr; i++) {
		struct page *p = page + i;
		bool never = PageOfflineNeverOnlined(p);

		VM_BUG_ON_PAGE(!PageOffline(p) || page_ref_count(p) != 0, p);
		WRITE_ONCE(p->flags, READ_ONCE(p->flags) & ~PAGE_OFFLINE_FLAGS);
		__ClearPageOffline(p);
		if (never) {
			/* the onlining path: managed count, refcount as it wants it */
			WRITE_ONCE(p->alloc_order, 0);
			generic_online_page(p, 0);
		} else {
			WRITE_ONCE(p->alloc_order, 0);
			__free_frozen_pages(p, 0);
		}
	}
}

void page_offline_retire(struct page *page)
{
	VM_BUG_ON_PAGE(page_ref_count(page) <= 0 || page->page_type != PGTY_NONE, page);
	/* type first: a scanner's reference outliving ours then never frees it */
	__SetPageOffline(page);
	WRITE_ONCE(page->flags, READ_ONCE(page->flags) & ~PAGE_OFFLINE_FLAGS);
	page_ref_dec(page);
}
