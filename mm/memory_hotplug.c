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
#include <stdio.h>
#include <string.h>

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

/* ---- the kernel image ---- */

static unsigned long kimage_start_pfn, kimage_end_pfn;

void mhp_set_kernel_image(phys_addr_t start, uint64_t size)
{
	kimage_start_pfn = PHYS_PFN(start);
	kimage_end_pfn = PHYS_PFN(start + size + PAGE_SIZE - 1);
}

/* True if [start, end) holds a page of the kernel image. */
static bool range_has_kernel_image(unsigned long start, unsigned long end)
{
	return kimage_end_pfn > kimage_start_pfn && start < kimage_end_pfn &&
	       kimage_start_pfn < end;
}

/* ---- blocks ---- */

unsigned long memory_block_end(void)
{
	unsigned long end = 0;

	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++)
		if (READ_ONCE(mem_sections[nr].state) & (SECTION_PRESENT | SECTION_HAS_MEMMAP))
			end = nr + 1;
	return end;
}

/* The zone of a block going online "normal": DMA32 below 4 GiB, else Normal. */
static enum zone_type normal_zone_for(unsigned long start_pfn)
{
	return start_pfn < ZONE_DMA32_END_PFN ? ZONE_DMA32 : ZONE_NORMAL;
}

int memory_block_valid_zones(unsigned long nr, char *buf, size_t len)
{
	unsigned long s = section_nr_to_pfn(nr), e = s + PAGES_PER_SECTION;
	uint8_t st;

	if (nr >= NR_MEM_SECTIONS || len == 0)
		return -EINVAL;
	st = READ_ONCE(mem_sections[nr].state);
	if (!(st & SECTION_HAS_MEMMAP))
		snprintf(buf, len, "none");
	else if (st & SECTION_ONLINE)
		snprintf(buf, len, "%s", zone_names[READ_ONCE(mem_sections[nr].zone)]);
	else if (range_has_kernel_image(s, e))
		snprintf(buf, len, "%s", zone_names[normal_zone_for(s)]);
	else
		snprintf(buf, len, "%s Movable", zone_names[normal_zone_for(s)]);
	return 0;
}

int memory_block_info(unsigned long nr, struct memory_block_info *info)
{
	unsigned long s = section_nr_to_pfn(nr), e = s + PAGES_PER_SECTION;
	const struct mem_section *ms;
	uint8_t st;

	if (nr >= memory_block_end())
		return -ENOENT;
	ms = &mem_sections[nr];
	st = READ_ONCE(ms->state);
	info->nr = nr;
	info->boot = st & SECTION_BOOT;
	info->owner = section_owner_name(nr);
	info->zone = -1;
	info->removable = false;
	info->nr_offline = 0;
	if (!(st & SECTION_HAS_MEMMAP)) {
		info->state = MEM_BLOCK_ABSENT;
		return 0;
	}
	for (unsigned long pfn = s; pfn < e; pfn++)
		info->nr_offline += PageOffline(pfn_to_page(pfn));
	if (!(st & SECTION_ONLINE)) {
		info->state = MEM_BLOCK_OFFLINE;
		info->removable = true;
		return 0;
	}
	info->state = MEM_BLOCK_ONLINE;
	info->zone = READ_ONCE(ms->zone);
	info->removable = !range_has_kernel_image(s, e) &&
		!has_unmovable_pages(&zones[info->zone], s, e, SKIP_OFFLINE);
	return 0;
}

/* 0 if [start, start + nr) is a non-empty run of whole sections with a memmap; else -EINVAL/-ENOENT. */
static int check_section_range(unsigned long start, unsigned long nr)
{
	if (!nr || (start | nr) & (PAGES_PER_SECTION - 1))
		return -EINVAL;
	if (pfn_to_section_nr(start + nr - 1) >= NR_MEM_SECTIONS)
		return -ENOENT;
	for (unsigned long pfn = start; pfn < start + nr; pfn += PAGES_PER_SECTION)
		if (!section_has_memmap(pfn_to_section_nr(pfn)))
			return -ENOENT;
	return 0;
}

/* ---- onlining ---- */

/* Give every page of [start, end) an offline section's state: PG_reserved, refcount 1. */
static void init_offline_pages(unsigned long start, unsigned long end)
{
	for (unsigned long pfn = start; pfn < end; pfn++) {
		struct page *page = pfn_to_page(pfn);

		memset(page, 0, sizeof(*page));
		page->flags = 1UL << PG_reserved;
		set_page_count(page, 1);
	}
}

/* Hand [start, end) to the online-page callback in maximal aligned blocks. */
static void online_pages_range(unsigned long start, unsigned long end)
{
	for (unsigned long pfn = start; pfn < end; ) {
		unsigned int order = MAX_ORDER;

		while (order && ((pfn & ((1UL << order) - 1)) || pfn + (1UL << order) > end))
			order--;
		online_page_cb(pfn_to_page(pfn), order);
		pfn += 1UL << order;
	}
}

/* online_pages() with mem_hotplug_lock held. */
static int __online_pages(unsigned long start, unsigned long nr, enum zone_type zt)
{
	unsigned long end = start + nr;
	int ret = check_section_range(start, nr);

	if (ret)
		return ret;
	if (zt != ZONE_MOVABLE && zt != ZONE_NORMAL && zt != ZONE_DMA32)
		return -EINVAL;
	if (zt != ZONE_MOVABLE)
		zt = normal_zone_for(start);
	if (zt == ZONE_NORMAL && start < ZONE_DMA32_END_PFN && end > ZONE_DMA32_END_PFN)
		return -EINVAL;
	if (zt == ZONE_MOVABLE && range_has_kernel_image(start, end))
		return -EINVAL;
	for (unsigned long pfn = start; pfn < end; pfn += PAGES_PER_SECTION)
		if (pfn_section_online(pfn))
			return -EBUSY;
	if (memory_notify(MEM_GOING_ONLINE, start, nr)) {
		memory_notify(MEM_CANCEL_ONLINE, start, nr);
		return -EBUSY;
	}
	init_offline_pages(start, end);
	for (unsigned long pfn = start; pfn < end; pfn += pageblock_nr_pages)
		WRITE_ONCE(*pfn_pageblock_byte(pfn), MIGRATE_MOVABLE);
	for (unsigned long pfn = start; pfn < end; pfn += PAGES_PER_SECTION)
		zone_add_section(&zones[zt], pfn_to_section_nr(pfn));
	online_pages_range(start, end);
	setup_per_zone_wmarks();
	zone_pcp_update();
	memory_notify(MEM_ONLINE, start, nr);
	return 0;
}

/* Finish the deferred memmap init of every section [start_pfn, +nr_pages) touches. */
static void hotplug_init_deferred(unsigned long start_pfn, unsigned long nr_pages)
{
	unsigned long end = start_pfn + nr_pages;

	if (!nr_pages || start_pfn >= end)
		return;
	for (unsigned long nr = pfn_to_section_nr(start_pfn);
	     nr <= pfn_to_section_nr(end - 1) && nr < NR_MEM_SECTIONS; nr++)
		deferred_init_section(nr);
}

int online_pages(unsigned long start_pfn, unsigned long nr_pages, enum zone_type zone)
{
	int ret;

	hotplug_init_deferred(start_pfn, nr_pages);
	mem_hotplug_begin();
	ret = __online_pages(start_pfn, nr_pages, zone);
	mem_hotplug_done();
	return ret;
}

int online_memory_block(unsigned long nr, enum zone_type zone)
{
	if (nr >= NR_MEM_SECTIONS)
		return -ENOENT;
	return online_pages(section_nr_to_pfn(nr), PAGES_PER_SECTION, zone);
}

/* ---- offlining ---- */

#define OFFLINE_MIGRATE_PASSES	10
#define OFFLINE_MIGRATE_BATCH	32

/* What an unmovable page is, for the failure message. */
static const char *unmovable_kind(struct page *page, unsigned long pfn, int passes,
				  char *buf, size_t len)
{
	if (PageReserved(page))
		return range_has_kernel_image(pfn, pfn + 1) ? "kernel image" : "reserved";
	if (PageSlab(page) || PageLargeKmalloc(page))
		return "slab";
	if (PageTable(page))
		return "page table";
	if (PageOffline(page))
		return "PageOffline not skippable";
	if (PageHWPoison(page))
		return "hwpoison";
	if (__PageMovable(page)) {
		snprintf(buf, len, "pinned movable page that failed to migrate %d times", passes);
		return buf;
	}
	return "unmovable allocation";
}

/* Pages an in-use page at @p covers in [.., end): 2^alloc_order for an allocation's head, else 1. */
static unsigned long busy_span(struct page *p, unsigned long pfn, unsigned long end)
{
	if (PageReserved(p) || PageOffline(p) || page_ref_count(p) <= 0 ||
	    p->alloc_order > MAX_ORDER)
		return 1;
	return MIN(1UL << p->alloc_order, end - pfn);
}

/*
 * Count the pages of [start, end) that keep it from going offline and
 * describe the first one into @why. After a failed isolation (@passes 0)
 * those are the unmovable ones (has_unmovable_pages(SKIP_OFFLINE)); after
 * migration, every page still neither free nor skippable. An allocation
 * of order k counts 2^k (clipped to the range). Racy (no lock): a
 * report, not a proof.
 */
static unsigned long report_busy(unsigned long block, unsigned long start, unsigned long end,
				 int passes, char *why, size_t whylen)
{
	struct zone *zone = &zones[ZONE_DMA32];	/* unused by the scan */
	unsigned long count = 0, first = 0, pfn = start;
	const char *kind = "in use during the attempt";
	char kbuf[80];
	struct page *p;

	while (pfn < end) {
		unsigned long ppfn, n;

		if (passes == 0) {
			p = has_unmovable_pages(zone, pfn, end, SKIP_OFFLINE);
			if (!p)
				break;
			ppfn = page_to_pfn(p);
		} else {
			ppfn = pfn;
			p = pfn_to_page(pfn);
			if (PageBuddy(p)) {
				pfn += 1UL << MIN(buddy_order_unsafe(p), MAX_ORDER);
				continue;
			}
			if (PageOfflineSkippable(p) || (page_ref_count(p) == 0 && !PageOffline(p))) {
				pfn++;
				continue;
			}
		}
		n = busy_span(p, ppfn, end);
		if (!count) {
			first = ppfn;
			kind = unmovable_kind(p, ppfn, passes, kbuf, sizeof(kbuf));
		}
		count += n;
		pfn = ppfn + n;
	}
	if (why)
		snprintf(why, whylen, "block %lu: %lu %s page%s, first pfn %#lx (%s)", block, count,
			 passes ? "busy" : "unmovable", count == 1 ? "" : "s", first, kind);
	return count;
}

/* Migration target for offlining: any movable page; the isolated range is never handed out. */
static struct page *offline_new_page(struct page *page, unsigned long priv)
{
	return alloc_page(__GFP_MOVABLE | __GFP_NOWARN | __GFP_DIRECT_RECLAIM);
}

/*
 * Migrate every movable page of [start, end) out, at most
 * OFFLINE_MIGRATE_PASSES passes; 0 when a pass found nothing left to move
 * and nothing busy, -EBUSY if pages are still in use after the last pass,
 * -ENOMEM if no target page could be found.
 */
static int offline_migrate_range(unsigned long start, unsigned long end, int *passes)
{
	struct migrate_range_result res;

	for (*passes = 1; *passes <= OFFLINE_MIGRATE_PASSES; (*passes)++) {
		if (migrate_range_pass(start, end, offline_new_page, 0, MR_MEMORY_HOTPLUG, true,
				       OFFLINE_MIGRATE_BATCH, &res))
			return -ENOMEM;
		if (!res.in_use)
			return 0;
		drain_all_pages(NULL);
	}
	*passes = OFFLINE_MIGRATE_PASSES;
	return -EBUSY;
}

/*
 * Take the isolated range [start, end) out of its zone (zone->lock held):
 * free blocks leave the buddy, skippable offline pages stay PageOffline
 * and become PG_reserved, every page ends PG_reserved. Returns the pages
 * that were counted as managed (free ones and offline ones that were in
 * the buddy once).
 */
static unsigned long __offline_isolated_pages(struct zone *zone, unsigned long start,
					      unsigned long end)
{
	unsigned long managed = 0;

	for (unsigned long pfn = start; pfn < end; ) {
		struct page *page = pfn_to_page(pfn);

		if (PageBuddy(page)) {
			unsigned int o = buddy_order(page);

			VM_BUG_ON_PAGE(pfn + (1UL << o) > end, page);
			del_from_free_list(page, zone, o);
			for (unsigned long i = 0; i < (1UL << o); i++) {
				page[i].flags = 1UL << PG_reserved;
				set_page_count(page + i, 1);
				page[i].alloc_order = 0;
			}
			managed += 1UL << o;
			pfn += 1UL << o;
			continue;
		}
		VM_BUG_ON_PAGE(!PageOfflineSkippable(page), page);
		if (!PageOfflineNeverOnlined(page))
			managed++;
		__SetPageReserved(page);	/* seed 003: offline until the section is gone */
		pfn++;
	}
	return managed;
}

/* The zone of the online section range [start, end), or -1 if mixed/offline. */
static int range_zone(unsigned long start, unsigned long end)
{
	int z = -1;

	for (unsigned long pfn = start; pfn < end; pfn += PAGES_PER_SECTION) {
		unsigned long nr = pfn_to_section_nr(pfn);

		if (!section_online(nr))
			return -1;
		if (z >= 0 && mem_sections[nr].zone != z)
			return -1;
		z = mem_sections[nr].zone;
	}
	return z;
}

/* offline_pages() with mem_hotplug_lock held. */
static int __offline_pages(unsigned long start, unsigned long nr, char *why, size_t whylen)
{
	unsigned long end = start + nr, block = pfn_to_section_nr(start), managed, flags;
	struct zone *zone;
	int ret, z, passes = 0;

	if (why && whylen)
		why[0] = 0;
	ret = check_section_range(start, nr);
	if (ret) {
		if (why)
			snprintf(why, whylen, "block %lu: %s", block,
				 ret == -ENOENT ? "no memory there" : "not whole memory blocks");
		return ret;
	}
	z = range_zone(start, end);
	if (z < 0) {
		if (why)
			snprintf(why, whylen, "block %lu: not online (or spans zones)", block);
		return -EINVAL;
	}
	zone = &zones[z];
	if (range_has_kernel_image(start, end)) {
		if (why)
			snprintf(why, whylen, "block %lu: holds the kernel image (pfn %#lx-%#lx); "
				 "it can never go offline", block, kimage_start_pfn,
				 kimage_end_pfn - 1);
		return -EBUSY;
	}
	if (memory_notify(MEM_GOING_OFFLINE, start, nr)) {
		memory_notify(MEM_CANCEL_OFFLINE, start, nr);
		if (why)
			snprintf(why, whylen, "block %lu: a memory notifier refused (its owner is "
				 "busy with it)", block);
		return -EBUSY;
	}
	ret = start_isolate_page_range(start, end, MIGRATE_MOVABLE, SKIP_OFFLINE | REPORT_FAILURE);
	if (ret) {
		/* -EINVAL: block 0, whose first 16 MiB are ZONE_DMA */
		if (!report_busy(block, start, end, 0, why, whylen) && why)
			snprintf(why, whylen, "block %lu: spans two zones (the first 16 MiB are "
				 "ZONE_DMA); it cannot go offline", block);
		ret = -EBUSY;
		goto cancel;
	}
	drain_all_pages(NULL);
	ret = offline_migrate_range(start, end, &passes);
	/* step 5: nothing to dissolve (no hugetlb); catch what migration freed to a pcp list */
	drain_all_pages(NULL);
	if (ret == -ENOMEM) {
		if (why)
			snprintf(why, whylen, "block %lu: no free memory elsewhere to migrate its "
				 "pages to; free some (or online another block) and retry", block);
		goto undo;
	}
	if (ret || test_pages_isolated(start, end, SKIP_OFFLINE)) {
		ret = -EBUSY;
		report_busy(block, start, end, passes, why, whylen);
		goto undo;
	}
	spin_lock_irqsave(&zone->lock, flags);
	managed = __offline_isolated_pages(zone, start, end);
	WRITE_ONCE(zone->managed_pages, zone->managed_pages - managed);
	spin_unlock_irqrestore(&zone->lock, flags);
	/* the pageblocks stay ISOLATE while offline; onlining rewrites them */
	for (unsigned long pfn = start; pfn < end; pfn += PAGES_PER_SECTION)
		zone_remove_section(zone, pfn_to_section_nr(pfn));
	setup_per_zone_wmarks();
	zone_pcp_update();
	memory_notify(MEM_OFFLINE, start, nr);
	return 0;
undo:
	undo_isolate_page_range(start, end, MIGRATE_MOVABLE);
cancel:
	memory_notify(MEM_CANCEL_OFFLINE, start, nr);
	return ret;
}

int offline_pages(unsigned long start_pfn, unsigned long nr_pages, char *why, size_t whylen)
{
	int ret;

	hotplug_init_deferred(start_pfn, nr_pages);	/* a deferred section is online, just unwritten */
	mem_hotplug_begin();
	ret = __offline_pages(start_pfn, nr_pages, why, whylen);
	mem_hotplug_done();
	return ret;
}

int offline_memory_block(unsigned long nr, char *why, size_t whylen)
{
	if (nr >= NR_MEM_SECTIONS) {
		if (why)
			snprintf(why, whylen, "block %lu: no such block", nr);
		return -ENOENT;
	}
	return offline_pages(section_nr_to_pfn(nr), PAGES_PER_SECTION, why, whylen);
}

/* ---- the listing (the `memory` shell command) ---- */

static const char * const block_state_names[] = { "absent", "offline", "online" };

void show_memory_blocks(void)
{
	unsigned long end = memory_block_end(), online = 0, offline = 0;

	printk("%-6s %-12s %-8s %-8s %-14s %-9s %-10s %s\n", "block", "start", "state", "zone",
	       "valid_zones", "removable", "owner", "offline_pages");
	for (unsigned long nr = 0; nr < end; nr++) {
		struct memory_block_info info;
		char vz[32];

		if (memory_block_info(nr, &info) || info.state == MEM_BLOCK_ABSENT)
			continue;
		memory_block_valid_zones(nr, vz, sizeof(vz));
		printk("%-6lu 0x%-10llx %-8s %-8s %-14s %-9d %-10s %lu\n", nr,
		       (unsigned long long)PFN_PHYS(section_nr_to_pfn(nr)),
		       block_state_names[info.state], info.zone >= 0 ? zone_names[info.zone] : "-",
		       vz, info.removable ? 1 : 0, info.owner ? info.owner : "?", info.nr_offline);
		online += info.state == MEM_BLOCK_ONLINE;
		offline += info.state == MEM_BLOCK_OFFLINE;
	}
	printk("memory: %lu blocks online, %lu offline; block size %llu MiB\n", online, offline,
	       (unsigned long long)(memory_block_size_bytes() >> 20));
}
