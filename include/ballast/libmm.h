/*
 * ballast/libmm.h - bringing Ballast's memory manager up inside another
 * kernel (the library build, `make lib`; docs/porting.md).
 *
 * The library manages "physical" memory: page frame numbers and the
 * struct page array (the memmap) describing them. The platform says which
 * physical ranges are RAM and how to reach them (ballast_phys_to_virt() in
 * <ballast/platform.h>); the library carves its own metadata (memmap,
 * pageblock bytes: about 1.6% of the memory) out of the first range it is
 * given, then hands every other page to the buddy allocator.
 *
 * Init sequence (once, on one CPU, before any other library call):
 *   ballast_mm_add_memory(base, size)    each RAM range (page aligned)
 *   ballast_mm_reserve(base, size)       anything in them not to hand out
 *   ballast_mm_start()                   memmap, buddy, per-CPU lists,
 *                                        slab caches, direct compaction
 * or ballast_mm_init(base, size) for one range and no reservation.
 *
 * After that the Linux-named API of the installed headers is the API:
 * alloc_pages()/__free_pages() (<mm/gfp.h>), kmalloc()/kfree() and
 * kmem_cache_*() (<mm/slab.h>), the movable-page callbacks and
 * migrate_pages() (<mm/migrate.h>), compaction (<mm/compaction.h>),
 * isolation (<mm/page_isolation.h>), zsmalloc (<mm/zsmalloc.h>), the
 * balloon page list (<mm/balloon_compaction.h>) and free page reporting
 * (<mm/page_reporting.h>), buddyinfo and friends (<mm/mm_show.h>).
 * The library starts no threads: background compaction is the
 * platform's to schedule (compaction_wakeup_hook, kcompactd_do_work()).
 */
#ifndef BALLAST_LIBMM_H
#define BALLAST_LIBMM_H

#include <ballast/platform.h>
#include <stdint.h>

/* Smallest amount of memory ballast_mm_start() accepts: two 4 MiB blocks. */
#define BALLAST_MM_MIN_BYTES	(8ULL << 20)

/*
 * Add RAM [@base, @base + @size) before ballast_mm_start(). 0; -EINVAL if
 * not page aligned, empty, wrapping or above 2^38 (the memory model's
 * 256 GiB of physical address space, docs/memory-model.md); -EBUSY after
 * start; -ENOSPC when too many ranges (128) were given. The memmap costs
 * 2 MiB for each 128 MiB section the ranges touch.
 */
int ballast_mm_add_memory(uint64_t base, uint64_t size);

/* Keep [@base, @base + @size) out of the allocator; same errors. */
int ballast_mm_reserve(uint64_t base, uint64_t size);

/*
 * Bring the memory manager up over the ranges added. 0; -EBUSY if already
 * started; -EINVAL with less than BALLAST_MM_MIN_BYTES of free memory.
 * Panics (ballast_panic) only if the memmap cannot be placed.
 */
int ballast_mm_start(void);

/* ballast_mm_add_memory(@base, @size) then ballast_mm_start(). */
int ballast_mm_init(uint64_t base, uint64_t size);

/* True once ballast_mm_start() has succeeded. */
bool ballast_mm_started(void);

/*
 * Compact every zone completely (synchronous migration of every movable
 * page it can move towards the top of the zone). Returns pages moved.
 * May take a while (O(zone size)); call it where the caller may block.
 */
unsigned long ballast_mm_compact(void);

#endif
