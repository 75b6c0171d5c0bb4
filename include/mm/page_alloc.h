/*
 * page_alloc.h - set-up, slow-path hooks, checks and knobs of the page
 * allocator (mm/page_alloc.c, mm/memmap.c). The allocation API itself is
 * in <mm/gfp.h>; zones and pageblocks in <mm/mmzone.h>.
 */
#ifndef MM_PAGE_ALLOC_H
#define MM_PAGE_ALLOC_H

#include <kernel/compiler.h>
#include <kernel/list.h>
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/gfp.h>

/*
 * Bring up the page allocator. The caller has filled memblock (memory and
 * reservations, including the kernel image and the first MiB). mm_init()
 * allocates the memmap and pageblock bytes with memblock_alloc(), sets up
 * the zones, marks everything that is not free in memblock PG_reserved,
 * releases every free range into the buddy (whole max-order blocks where
 * possible), tags every pageblock MOVABLE and computes the watermarks.
 * memblock must not be used to allocate afterwards. Panics if the memmap
 * cannot be allocated.
 */
void mm_init(void);

/* Timing and size figures of the last mm_init(). */
struct mm_init_stats {
	uint64_t memmap_cycles;		/* allocate + initialise struct pages */
	uint64_t buddy_cycles;		/* release free ranges into the buddy */
	uint64_t total_cycles;		/* whole mm_init() */
	unsigned long memmap_pages;	/* struct page entries */
	unsigned long memmap_bytes;	/* memory used by the memmap */
	unsigned long freed_pages;	/* pages released into the buddy */
	unsigned long reserved_pages;	/* valid pfns left PG_reserved */
};
extern struct mm_init_stats mm_init_stats;

/* True once mm_init() has completed. */
extern bool mm_initialized;

#ifdef HOST_BUILD
/* Forget all page allocator, slab, vmstat and fault-injection state (host tests). */
void mm_reset_for_test(void);
#endif

/* ---- the slow path and its hooks ---- */

/*
 * A slow-path hook: a source of free memory tried when the freelists
 * cannot satisfy an allocation that may wait (__GFP_DIRECT_RECLAIM).
 * @fn runs without any allocator lock held, may allocate with
 * GFP_NOWAIT|__GFP_NOWARN and may free pages; it returns > 0 if it made
 * progress (freed or merged memory; the allocation is retried), 0 if it
 * did nothing, < 0 if it worked without progress (the allocation is
 * retried once, but the slow path does not loop for it). After each retry
 * the optional @done is told the outcome (@page, NULL on failure): direct
 * compaction counts compact_success/compact_fail there, as Linux does.
 * Hooks run in ascending @stage order (compaction before reclaim sources
 * before OOM-time sources). Register at init; (un)register must not race
 * with a hook's own execution of itself.
 */
enum alloc_slowpath_stage {
	SLOWPATH_COMPACT = 10,	/* direct compaction (order > 0) */
	SLOWPATH_RECLAIM = 20,	/* reclaim-like sources (free page caches) */
	SLOWPATH_OOM     = 30,	/* virtio-balloon deflate-on-OOM */
};

struct alloc_slowpath_hook {
	const char *name;
	int stage;
	int (*fn)(gfp_t gfp, unsigned int order, void *priv);
	void (*done)(gfp_t gfp, unsigned int order, struct page *page, void *priv);
	void *priv;
	unsigned long calls, progress;	/* statistics */
	struct list_head list;
};

void register_alloc_slowpath_hook(struct alloc_slowpath_hook *hook);
void unregister_alloc_slowpath_hook(struct alloc_slowpath_hook *hook);

/* Slow-path retries while hooks report progress (default 16). */
extern unsigned int alloc_max_retries;

/* ---- watermarks ---- */

/* min_free_kbytes as Linux computes it: sqrt(16 * lowmem KiB), clamped 128..262144. */
extern unsigned long min_free_kbytes;
/* Recompute every zone's min/low/high from min_free_kbytes. */
void setup_per_zone_wmarks(void);
/* True if @zone can give a 2^@order block while staying above @mark (+ @alloc_flags bonuses). */
bool zone_watermark_ok(struct zone *zone, unsigned int order, unsigned long mark,
		       unsigned int alloc_flags);

#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_WMARK_MASK	0x03u
#define ALLOC_NO_WATERMARKS	0x04u
#define ALLOC_HIGH		0x08u	/* __GFP_HIGH: min / 2 */
#define ALLOC_HARDER		0x10u	/* atomic: another min / 4 */

/* ---- checks ---- */

/*
 * Report a page whose state is wrong for what is being done to it (free or
 * allocation): prints @reason and dump_page(), marks it PG_hwpoison and
 * leaks it, so it is never handed out again. Counted in nr_bad_pages.
 */
void bad_page(struct page *page, const char *reason);
extern unsigned long nr_bad_pages;
/* Slow-path entries that could wait (__GFP_DIRECT_RECLAIM) with interrupts off (a bug; served without waiting). */
extern unsigned long nr_reclaim_irqs_off;
/* Pfns of the most recent bad pages (ring of 16), for tests and the shell. */
unsigned long bad_page_pfn(unsigned int i);

/* Page poisoning: fill freed pages with PAGE_POISON, verify on allocation. */
#define PAGE_POISON 0xaa
void page_poison_enable(bool on);	/* enabling poisons all free memory now */
bool page_poisoning_enabled(void);
extern unsigned long nr_poison_errors;	/* corruption found on allocation */

/*
 * Walk every zone (memmap, free lists, pcp lists) and verify the allocator
 * invariants listed in <mm/mmzone.h>. Prints each violation (up to a few)
 * and returns their number; 0 means consistent. Takes every zone lock
 * (interrupts off); reads other online CPUs' per-CPU lists without their
 * owners, so call it where the allocator is quiescent; O(memmap). Usable
 * in the kernel and in host tests.
 */
unsigned long mm_check_invariants(void);
/*
 * Cheap version: counts only: free-list lengths vs nr_free_mt vs nr_free vs
 * free_pages, pcp list lengths vs count and high; O(free blocks). Takes
 * each zone lock, and checks only the per-CPU lists this CPU may read (its
 * own, with interrupts off, and those of CPUs not online; other online
 * CPUs' lists are skipped), so it may run wherever the allocator runs. Prints what differs (up to a
 * few) and returns the number of discrepancies.
 */
unsigned long mm_check_counts(void);

/*
 * The every-N-operations check (boot option mm_debug_check=N): with
 * CONFIG_DEBUG_VM, every N-th allocator operation (alloc_pages() call or
 * last free of a block) runs mm_check_counts() and panics if it finds a
 * discrepancy (or, with mm_debug_check_no_panic, counts it in
 * mm_debug_check_failures). mm_debug_check_set(0) turns it off; without
 * CONFIG_DEBUG_VM it returns -EOPNOTSUPP for any N > 0 and nothing runs.
 */
extern unsigned long mm_debug_check_interval;	/* N; 0 = off */
extern unsigned long mm_debug_check_runs, mm_debug_check_failures;
extern bool mm_debug_check_no_panic;
int mm_debug_check_set(unsigned long every);
void mm_debug_check_reset(void);	/* zero the operation and run counters */
void __mm_debug_check_op(void);

/* Count one allocator operation for mm_debug_check (no allocator lock held). */
static inline void mm_debug_check_op(void)
{
#ifdef CONFIG_DEBUG_VM
	if (unlikely(READ_ONCE(mm_debug_check_interval)))
		__mm_debug_check_op();
#endif
}

/* Total free pages: buddy + per-CPU lists, all zones. */
unsigned long nr_free_pages_total(void);
/* Pages in free buddy blocks of order >= @order in @zone (a lockless snapshot). */
unsigned long zone_free_pages_from_order(struct zone *zone, unsigned int order);
/* The same over every zone (per-CPU lists not drained: callers drain first if they must). */
unsigned long nr_free_pages_from_order(unsigned int order);
/* Pages in the buddy (not pcp), all zones: Linux's nr_free_pages. */
unsigned long nr_free_pages(void);
/* Total managed pages (released into the buddy at init). */
unsigned long totalram_pages(void);
/*
 * Pages an allocation may not take without eating into the reserves: the sum
 * over zones of the high watermark, capped at the zone's managed pages
 * (Linux's totalreserve_pages; Ballast has no lowmem_reserve to add).
 */
unsigned long totalreserve_pages(void);
/*
 * Linux's MemAvailable, estimated like si_mem_available(): free buddy pages
 * minus totalreserve_pages(), plus what the allocation slow path gets back
 * without taking memory from anyone. Ballast has no page cache and no
 * shrinkable slab, so that is exactly the per-CPU list pages (free, and
 * drained into the buddy before any hook runs); ballooned pages are not
 * counted even with deflate-on-OOM (a last resort, as in Linux). Never
 * negative. A lockless snapshot.
 */
unsigned long si_mem_available(void);

#endif
