/*
 * gfp.h - "get free pages" flags and the page allocation API.
 *
 * A gfp_t says where a page may come from (zone modifiers __GFP_DMA,
 * __GFP_DMA32), how it will be used (migratetype: __GFP_MOVABLE,
 * __GFP_RECLAIMABLE, else unmovable) and how hard to try (__GFP_HIGH,
 * __GFP_DIRECT_RECLAIM, __GFP_NORETRY, __GFP_NOWARN, __GFP_MEMALLOC).
 * Ballast has no compound pages and no __GFP_COMP: a block of order > 0
 * is described by its head page alone (its order in page->private while
 * free); nothing in Ballast needs them yet.
 */
#ifndef MM_GFP_H
#define MM_GFP_H

#include <kernel/compiler.h>
#include <mm/page.h>
#include <mm/mmzone.h>

typedef unsigned int gfp_t;

#define __GFP_DMA		0x0001u	/* only ZONE_DMA */
#define __GFP_DMA32		0x0002u	/* ZONE_DMA32 or below */
#define __GFP_MOVABLE		0x0008u	/* migratetype MOVABLE */
#define __GFP_RECLAIMABLE	0x0010u	/* migratetype RECLAIMABLE */
#define __GFP_HIGH		0x0020u	/* may dip into reserves (below min/2) */
#define __GFP_ATOMIC		0x0040u	/* caller cannot sleep: a little deeper (min/4 more) */
#define __GFP_DIRECT_RECLAIM	0x0400u	/* may run slow-path hooks (compaction, balloon deflate) */
#define __GFP_ZERO		0x0800u	/* return zeroed memory */
#define __GFP_NOWARN		0x1000u	/* no failure report */
#define __GFP_NORETRY		0x2000u	/* one slow-path pass only */
#define __GFP_MEMALLOC		0x8000u	/* ignore watermarks entirely (tests, emergency) */
#define __GFP_BITS		16

#define GFP_ZONEMASK		(__GFP_DMA | __GFP_DMA32)
#define GFP_MOVABLE_MASK	(__GFP_MOVABLE | __GFP_RECLAIMABLE)

#define GFP_NOWAIT		0u
#define GFP_ATOMIC		(__GFP_HIGH | __GFP_ATOMIC)
#define GFP_KERNEL		(__GFP_DIRECT_RECLAIM)
#define GFP_HIGHUSER_MOVABLE	(__GFP_DIRECT_RECLAIM | __GFP_MOVABLE)
#define GFP_DMA			__GFP_DMA
#define GFP_DMA32		__GFP_DMA32

/* Migratetype an allocation with @gfp wants. */
static inline int gfp_migratetype(gfp_t gfp)
{
	if (gfp & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (gfp & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

/* Highest zone an allocation with @gfp may use; it falls back to lower ones. */
static inline enum zone_type gfp_zone(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return ZONE_DMA32;
	/* only movable allocations may use ZONE_MOVABLE; they prefer it */
	if (gfp & __GFP_MOVABLE)
		return ZONE_MOVABLE;
	return ZONE_NORMAL;
}

/* Write "GFP_KERNEL|__GFP_ZERO"-style text for @gfp into @buf; returns @buf. */
char *gfp_format(gfp_t gfp, char *buf, size_t len);

/*
 * Allocate 2^@order contiguous pages. Returns the first struct page with
 * refcount 1 (tail pages refcount 0), or NULL. Zonelist: gfp_zone(@gfp)
 * then lower zones (Movable -> Normal -> DMA32 -> DMA; only __GFP_MOVABLE
 * starts at Movable, so nothing else ever lands there).
 */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
static inline struct page *alloc_page(gfp_t gfp) { return alloc_pages(gfp, 0); }

/*
 * Drop the reference of a 2^@order block from alloc_pages(); the last
 * reference returns it to the buddy. @order must be the allocation order.
 */
void __free_pages(struct page *page, unsigned int order);
static inline void __free_page(struct page *page) { __free_pages(page, 0); }

/* Direct-map address variants; 0 on failure. */
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
static inline unsigned long __get_free_page(gfp_t gfp) { return __get_free_pages(gfp, 0); }
unsigned long get_zeroed_page(gfp_t gfp);
void free_pages(unsigned long addr, unsigned int order);
static inline void free_page(unsigned long addr) { free_pages(addr, 0); }

#endif
