/*
 * ballast/pages.h - whole pages from the buddy allocator.
 *
 *   ballast_alloc_pages(flags, order)   2^order contiguous, naturally aligned
 *                                       4 KiB pages; their address, or NULL
 *   ballast_compact()                   compact every zone now: movable pages
 *                                       (the store's included) move together
 *   ballast_free_pages(addr, order)     give them back; 0, or -EINVAL when
 *                                       @addr is not a block this API handed
 *                                       out with this @order (never owned,
 *                                       already freed, wrong order): the
 *                                       mistake is reported with a backtrace
 *                                       and nothing is freed
 * Flags (GFP-like, combine with |):
 *   BALLAST_PAGES_WAIT     may run reclaim: compaction, shrinkers, balloon
 *                          deflate-on-OOM (like GFP_KERNEL); without it the
 *                          call never waits (like GFP_NOWAIT)
 *   BALLAST_PAGES_ZERO     zero-filled
 *   BALLAST_PAGES_NOWARN   no failure report on the console
 *   BALLAST_PAGES_MOVABLE  not for this API (its pages are not movable);
 *                          refused. Movable data goes in ballast/store.h.
 */
#ifndef BALLAST_PAGES_H
#define BALLAST_PAGES_H

#define BALLAST_PAGE_SIZE	4096ul
#define BALLAST_MAX_ORDER	10

#define BALLAST_PAGES_WAIT	0x1u
#define BALLAST_PAGES_ZERO	0x2u
#define BALLAST_PAGES_NOWARN	0x4u
#define BALLAST_PAGES_MOVABLE	0x8u

void *ballast_alloc_pages(unsigned int flags, unsigned int order);
/* Compact all memory now (as the shell's `compact`); pages moved. */
unsigned long ballast_compact(void);
int ballast_free_pages(void *addr, unsigned int order);

#endif
