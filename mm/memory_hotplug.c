/*
 * memory_hotplug.c - memory blocks online and offline (seed 003 in seed
 * 001's terms), the online-page callback and the memory notifier.
 *
 * A memory block is one section (<mm/memory_hotplug.h>). Its state is the
 * section's (mm/sparse.c): offline (struct pages exist, every page
 * PG_reserved with refcount 1, in no zone) or online (its pages belong to
 * the zone in the section's zone byte; free ones are in the buddy).
 *
 * Onlining [start, end) into a zone: the notifier's GOING_ONLINE (a veto
 * ends it with CANCEL_ONLINE), the range joins the zone (span, present
 * count, section state and zone byte, pageblocks MOVABLE), then every
 * maximal aligned block of it goes through the online-page callback:
 * generic_online_page() frees it to the buddy and counts it managed; a
 * driver (virtio-mem) may install its own that keeps parts of a block
 * offline (PageOffline, NeverOnlined). Watermarks and per-CPU limits are
 * recomputed, then ONLINE.
 *
 * Offlining (offline_pages(), seed 003's algorithm):
 *   1. GOING_OFFLINE: a notifier may veto (CANCEL_OFFLINE follows);
 *   2. isolate every pageblock (SKIP_OFFLINE | REPORT_FAILURE): free pages
 *      move to the ISOLATE lists and nothing in the range is allocated
 *      from now on; an unmovable page fails it at once;
 *   3. drain every CPU's per-CPU lists (pages freed into the range before
 *      the isolation reach the ISOLATE lists);
 *   4. migrate every movable page out (balloon, zsmalloc, frag: the
 *      seed-004 interface in mm/migrate.c), passes bounded by
 *      OFFLINE_MIGRATE_PASSES, a page failing every pass is "pinned";
 *   5. dissolve free pages: Ballast has no hugetlb pool, so the free pages
 *      are already order <= MAX_ORDER buddy blocks; a second drain catches
 *      pages the migration freed onto a per-CPU list;
 *   6. test_pages_isolated(SKIP_OFFLINE): every page is free or an offline
 *      page its owner marked Skippable;
 *   7. take the range out of the zone under zone->lock: free blocks leave
 *      the buddy, skippable PageOffline pages stay PageOffline and become
 *      PG_reserved (seed 003: the type stays until the section is gone),
 *      every other page PG_reserved with refcount 1 (an offline section's
 *      state); managed/present counts, span, watermarks; section offline;
 *   8. OFFLINE.
 * On any failure after step 2 the isolation is undone (each pageblock gets
 * its old migratetype back), CANCEL_OFFLINE is sent, and the message names
 * the block, how many pages are in the way, the first one's pfn and what it
 * is: "block 12: 37 unmovable pages, first pfn 0x61000 (slab)".
 *
 * Locking: mem_hotplug_lock (a spinlock taken with interrupts on, waited
 * for with interrupts on: the outermost lock, docs/locking.md) serialises
 * online/offline/add/remove, the callback and the notifier list. Under it
 * the code takes page locks (migration), the owners' list locks and
 * zone->lock, and waits for other CPUs (drain_all_pages()): nothing waited
 * for with interrupts off is held then. Notifier callbacks run under it and
 * must not (un)register notifiers or online/offline memory.
 */
#include <mm/memory_hotplug.h>
#include <mm/page_offline.h>
#include <mm/page_isolation.h>
#include <mm/migrate.h>
#include "page_alloc_internal.h"
#include <kernel/printk.h>
#include <errno.h>

static DEFINE_SPINLOCK(mem_hotplug_lock);

static online_page_callback_t online_page_cb = generic_online_page;
static struct memory_notifier *memory_chain;

/* Take / drop the hotplug lock (interrupts on; see the essay). */
void mem_hotplug_begin(void)
{
	spin_lock(&mem_hotplug_lock);
}

void mem_hotplug_done(void)
{
	spin_unlock(&mem_hotplug_lock);
}

/* ---- the online-page callback ---- */

void generic_online_page(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order, flags;
	struct zone *zone = page_zone(page);

	for (unsigned long i = 0; i < nr; i++) {
		__ClearPageReserved(page + i);
		set_page_count(page + i, 0);
		page[i].alloc_order = 0;
	}
	page->alloc_order = (uint8_t)order;
	spin_lock_irqsave(&zone->lock, flags);
	WRITE_ONCE(zone->managed_pages, zone->managed_pages + nr);
	spin_unlock_irqrestore(&zone->lock, flags);
	__free_frozen_pages(page, order);
}

int set_online_page_callback(online_page_callback_t cb)
{
	int ret = -EBUSY;

	mem_hotplug_begin();
	if (online_page_cb == generic_online_page) {
		online_page_cb = cb;
		ret = 0;
	}
	mem_hotplug_done();
	return ret;
}

int restore_online_page_callback(online_page_callback_t cb)
{
	int ret = -EINVAL;

	mem_hotplug_begin();
	if (online_page_cb == cb) {
		online_page_cb = generic_online_page;
		ret = 0;
	}
	mem_hotplug_done();
	return ret;
}

/* ---- the memory notifier ---- */

void register_memory_notifier(struct memory_notifier *nb)
{
	mem_hotplug_begin();
	nb->next = memory_chain;
	memory_chain = nb;
	mem_hotplug_done();
}

void unregister_memory_notifier(struct memory_notifier *nb)
{
	mem_hotplug_begin();
	for (struct memory_notifier **p = &memory_chain; *p; p = &(*p)->next)
		if (*p == nb) {
			*p = nb->next;
			break;
		}
	mem_hotplug_done();
}

/* Tell every notifier @action on the range; the first nonzero answer (hotplug lock held). */
static int memory_notify(enum memory_action action, unsigned long start_pfn,
			 unsigned long nr_pages)
{
	struct memory_notify arg = { start_pfn, nr_pages };

	for (struct memory_notifier *nb = memory_chain; nb; nb = nb->next) {
		int r = nb->call(nb, action, &arg);

		if (r && (action == MEM_GOING_ONLINE || action == MEM_GOING_OFFLINE))
			return r;
	}
	return 0;
}
