/*
 * page_isolation.h - isolating pfn ranges (MIGRATE_ISOLATE) and
 * allocating physically contiguous ranges (mm/page_isolation.c).
 *
 * Flags (seed 003, docs/references.md):
 *   SKIP_HWPOISON   ignore hwpoisoned pages
 *   REPORT_FAILURE  print the page that makes isolation fail
 *   SKIP_OFFLINE    PageOffline pages with refcount 0 count as free
 *                   (memory offlining); without it they are unmovable
 *                   (alloc_contig_range).
 */
#ifndef MM_PAGE_ISOLATION_H
#define MM_PAGE_ISOLATION_H

#include <kernel/compiler.h>
#include <mm/mmzone.h>
#include <mm/gfp.h>

#define SKIP_HWPOISON	0x1
#define REPORT_FAILURE	0x2
#define SKIP_OFFLINE	0x4

/*
 * First page of [start, end) (within @zone) that cannot be migrated or
 * treated as free under @flags, or NULL if there is none. Racy without
 * zone->lock; start_isolate_page_range() calls it under the lock.
 */
struct page *has_unmovable_pages(struct zone *zone, unsigned long start, unsigned long end,
				 int flags);

/*
 * Mark every pageblock of [start_pfn, end_pfn) (pageblock-aligned, one
 * zone) MIGRATE_ISOLATE, moving their free pages to the isolate lists so
 * nothing in them is allocated; pages freed later stay there too. Fails
 * with -EBUSY (all blocks restored) if a block holds an unmovable page;
 * -EINVAL on a bad range.
 */
int start_isolate_page_range(unsigned long start_pfn, unsigned long end_pfn,
			     int migratetype, int flags);
/*
 * Give each isolated pageblock of [start_pfn, end_pfn) back the migratetype
 * it had when it was isolated. @migratetype is the one given to
 * start_isolate_page_range() (Linux's signature); it does not override
 * what each block remembers.
 */
void undo_isolate_page_range(unsigned long start_pfn, unsigned long end_pfn, int migratetype);
/* 0 if every page of [start_pfn, end_pfn) is isolated and free (per @flags), else -EBUSY. */
int test_pages_isolated(unsigned long start_pfn, unsigned long end_pfn, int flags);

/*
 * Allocate exactly the pfns [start, end): isolate their pageblocks,
 * migrate movable pages out, take the free pages. On success every page
 * of the range is an order-0 page with refcount 1 (free them with
 * free_contig_range). On failure (-EBUSY: an unmovable or unmigratable
 * page; -EINVAL: bad range) nothing is held and every pageblock has its
 * migratetype back. @migratetype is MIGRATE_MOVABLE (Linux's signature;
 * each block gets back the type it had before).
 */
int alloc_contig_range(unsigned long start, unsigned long end, int migratetype, gfp_t gfp);
/* Free @nr_pages order-0 pages starting at @pfn (from alloc_contig_range). */
void free_contig_range(unsigned long pfn, unsigned long nr_pages);
/* Find and allocate 2^@order contiguous, aligned pages anywhere; first pfn or 0 (failure). */
unsigned long alloc_contig_pages(unsigned int order, gfp_t gfp);

#endif
