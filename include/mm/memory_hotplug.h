/*
 * memory_hotplug.h - sections, memory blocks, and memory that comes and
 * goes at run time (issue 12; seeds 003 and 001).
 *
 * The memory model (mm/sparse.c) cuts physical memory into sections of
 * 128 MiB (PAGES_PER_SECTION pages). A section is the unit in which memory
 * appears (boot, add_memory()) and disappears (remove_memory()); it has its
 * own piece of memmap and its own state:
 *
 *   absent  ->  present (struct pages exist: pfn_valid(); all PG_reserved,
 *               refcount 1, not in any zone: "offline")
 *           ->  online (its pages belong to one zone; free ones are in the
 *               buddy; pfn_to_online_page() returns them)
 *
 * A memory block is one section here (memory_block_size_bytes() is
 * 128 MiB, like x86-64 Linux with little RAM); block number N covers
 * pfns [N * PAGES_PER_SECTION, (N + 1) * PAGES_PER_SECTION). Blocks are
 * onlined to ZONE_NORMAL (or DMA32 below 4 GiB) or ZONE_MOVABLE, and
 * offlined whole (seed 003's __offline_pages()).
 *
 * Who may call what: everything here sleeps-by-spinning and takes
 * mem_hotplug_lock (a mutex-like spinlock, outermost: above &vb->lock in
 * docs/locking.md); none of it may be called with interrupts off or from
 * an interrupt handler.
 */
#ifndef MM_MEMORY_HOTPLUG_H
#define MM_MEMORY_HOTPLUG_H

#include <kernel/compiler.h>
#include <mm/mmzone.h>
#include <mm/sparse.h>

/* ---- memory blocks ---- */

static inline uint64_t memory_block_size_bytes(void) { return 1ULL << SECTION_SIZE_BITS; }
#define PAGES_PER_MEMORY_BLOCK	PAGES_PER_SECTION

enum memory_block_state {
	MEM_BLOCK_ABSENT,	/* no memory here */
	MEM_BLOCK_OFFLINE,	/* present, struct pages exist, not in a zone */
	MEM_BLOCK_ONLINE,	/* in a zone */
};

struct memory_block_info {
	unsigned long nr;		/* block number */
	enum memory_block_state state;
	int zone;			/* zone_type when online, else -1 */
	bool boot;			/* present since boot (not hot-added) */
	bool removable;			/* has_unmovable_pages(SKIP_OFFLINE) found none (a racy hint) */
	const char *owner;		/* who added it: "boot", "virtio-mem", ... */
	unsigned long nr_offline;	/* PageOffline pages in it (e.g. unplugged by virtio-mem) */
};

/* Fill @info for block @nr; -ENOENT if @nr is beyond every present block. */
int memory_block_info(unsigned long nr, struct memory_block_info *info);
/* One past the highest block number that is or was present. */
unsigned long memory_block_end(void);

/*
 * Online block @nr into @zone (ZONE_MOVABLE, or ZONE_NORMAL which means
 * DMA32 for a block below 4 GiB). Its pages go to the buddy through the
 * online-page callback (virtio-mem keeps its unplugged parts PageOffline).
 * 0, or -EINVAL (bad zone: a block that contains the kernel image cannot
 * go Movable), -EBUSY (already online), -ENOENT (absent).
 */
int online_memory_block(unsigned long nr, enum zone_type zone);
/*
 * Offline block @nr (seed 003): isolate, migrate every movable page out,
 * skip PageOffline pages their owner marked Skippable, check, take the
 * range out of its zone. On failure everything is restored, -EBUSY is
 * returned and @why (if not NULL, @whylen bytes) says precisely why, e.g.
 * "block 12: 37 unmovable pages, first pfn 0x61000 (slab)".
 */
int offline_memory_block(unsigned long nr, char *why, size_t whylen);

/*
 * (Added by the offline branch.) The zones block @nr could be in, like
 * Linux's valid_zones: its zone if online, "DMA32 Movable" / "Normal
 * Movable" if offline, without Movable for the kernel image's block,
 * "none" if absent. 0 or -EINVAL.
 */
int memory_block_valid_zones(unsigned long nr, char *buf, size_t len);
/*
 * (Added by the offline branch.) Where the kernel image is (set once at
 * boot): its blocks never go Movable nor offline.
 */
void mhp_set_kernel_image(phys_addr_t start, uint64_t size);

/*
 * (Added by the offline branch.) Print one line per present block: number,
 * start address, state, valid zones, removable, owner, PageOffline pages,
 * zone (the `memory` shell command).
 */
void show_memory_blocks(void);

/* The same on a pfn range (section aligned, one zone), as Linux's names. */
int online_pages(unsigned long start_pfn, unsigned long nr_pages, enum zone_type zone);
int offline_pages(unsigned long start_pfn, unsigned long nr_pages, char *why, size_t whylen);

/* ---- zones of sections (mm/sparse.c; called by online_pages/offline_pages) ---- */

/*
 * mem_hotplug_lock: serialises add_memory, remove_memory, online and
 * offline (taken by those, outermost in docs/locking.md).
 */
extern spinlock_t mem_hotplug_lock;

/*
 * Make present section @nr (HAS_MEMMAP, not ONLINE) part of @zone: its
 * zone byte, SECTION_ONLINE, the zone's span and present_pages (section 0's
 * first 16 MiB count for DMA). Managed pages are the caller's: it frees
 * the pages to the buddy (generic_online_page() counts them) and then
 * calls zone_managed_changed(). Takes zone->lock.
 */
void zone_add_section(struct zone *zone, unsigned long nr);
/*
 * After managed_pages of any zone changed (online/offline): recompute the
 * watermarks of every zone and the per-CPU batch/high of each zone.
 */
void zone_managed_changed(void);
/*
 * The reverse, for an online section of @zone whose pages the caller has
 * already taken out of the buddy (and out of managed_pages): clears
 * ONLINE and the zone byte, shrinks the span and present_pages.
 */
void zone_remove_section(struct zone *zone, unsigned long nr);

/* ---- adding and removing memory (mm/sparse.c + arch) ---- */

/*
 * Make [start, start + size) (both section aligned) present: allocate and
 * initialise its memmap (every page PG_reserved, offline), map it into the
 * direct map. The memory itself is not touched. @owner names the caller in
 * the `memory` listing. The blocks stay offline; the caller onlines them.
 * 0, -EINVAL (unaligned, beyond MAX_PHYSMEM_BITS, overlaps present memory,
 * beyond what the direct map can reach, @owner NULL), -ENOMEM (no memory
 * for the memmap or the page tables), -EOPNOTSUPP (no virtual memmap: the
 * hosted library). The memmap comes from the buddy (one order-9 unmovable
 * block per section, else 512 order-0 pages), never from the range itself.
 */
int add_memory(phys_addr_t start, uint64_t size, const char *owner);
/*
 * Undo add_memory(): every block offline (else -EBUSY, nothing changed);
 * -EINVAL if a section is absent, boot memory, or the range unaligned.
 * Frees the memmap, unmaps it and the direct map (TLB shootdown).
 */
int remove_memory(phys_addr_t start, uint64_t size);

/*
 * (Added by the offline branch.) Take / drop mem_hotplug_lock around
 * several hotplug steps that must not interleave with another CPU's
 * (spinning with interrupts on; not recursive: the functions above take it
 * themselves, so call them without it).
 */
void mem_hotplug_begin(void);
void mem_hotplug_done(void);

/* ---- online-page callback (virtio-mem) ---- */

/*
 * Called by onlining for every maximal aligned block of a range going
 * online, instead of handing it to the buddy. The default,
 * generic_online_page(), frees the block into the buddy and counts it as
 * managed. A driver that onlines memory partly plugged installs its own.
 */
typedef void (*online_page_callback_t)(struct page *page, unsigned int order);
void generic_online_page(struct page *page, unsigned int order);
/* 0, or -EBUSY if a callback other than the generic one is installed. */
int set_online_page_callback(online_page_callback_t cb);
/* 0, or -EINVAL if @cb is not the installed one. */
int restore_online_page_callback(online_page_callback_t cb);

/* ---- memory notifier ---- */

enum memory_action {
	MEM_GOING_ONLINE, MEM_ONLINE, MEM_CANCEL_ONLINE,
	MEM_GOING_OFFLINE, MEM_OFFLINE, MEM_CANCEL_OFFLINE,
};

struct memory_notify {
	unsigned long start_pfn;
	unsigned long nr_pages;
};

/*
 * A callback told of each online/offline step of a range. Returning
 * nonzero from MEM_GOING_ONLINE/MEM_GOING_OFFLINE vetoes the operation
 * (the CANCEL step follows); other return values are ignored.
 */
struct memory_notifier {
	int (*call)(struct memory_notifier *nb, enum memory_action action,
		    const struct memory_notify *arg);
	struct memory_notifier *next;
};
void register_memory_notifier(struct memory_notifier *nb);
void unregister_memory_notifier(struct memory_notifier *nb);

/* ---- deferred memmap init (mm/sparse.c) ---- */

/*
 * Boot initialises only the memmap the kernel needs to reach `ballast:
 * ready`; the rest is initialised and freed to the buddy in the background
 * (every online CPU). Force the whole of section @nr now (no-op if done).
 */
void deferred_init_section(unsigned long nr);
/* Sections still waiting for their memmap; 0 once background init is done. */
unsigned long deferred_sections_pending(void);

#endif
