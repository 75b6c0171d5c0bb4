/*
 * mm_show.c - /proc-style views of the allocator, printed with printk:
 * buddyinfo, pagetypeinfo, zoneinfo, vmstat, extfrag, the allocator's
 * meminfo lines, the order-9 fragmentation summary the `frag` command
 * prints, and the free-area summary of an allocation failure. Formats follow Linux's mm/vmstat.c so
 * that readers can use the habits they already have.
 *
 * Every view reads the zones under zone->lock, one zone at a time, into a
 * small snapshot and prints after unlocking (printing can be slow on a
 * serial console; the lock is held only for the copy).
 */
#include <mm/mm_show.h>
#include <mm/deferred_init.h>
#include <mm/page_alloc.h>
#include <mm/vmstat.h>
#include <mm/slab.h>
#include <mm/compaction.h>
#include <kernel/printk.h>
#include <lib/units.h>
#include <string.h>

struct zone_snap {
	unsigned long nr_free[NR_PAGE_ORDERS];
	unsigned long nr_free_mt[NR_PAGE_ORDERS][MIGRATE_TYPES];
	unsigned long free_pages;	/* zone->free_pages: excludes ISOLATE lists */
	unsigned long isolated;		/* free pages on the ISOLATE lists */
};

/* Copy @zone's free counts under its lock. */
static void zone_snapshot(struct zone *zone, struct zone_snap *s)
{
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	for (int o = 0; o <= MAX_ORDER; o++) {
		s->nr_free[o] = zone->free_area[o].nr_free;
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			s->nr_free_mt[o][mt] = zone->free_area[o].nr_free_mt[mt];
	}
	s->free_pages = zone->free_pages;
	s->isolated = zone_isolated_free_pages(zone);
	spin_unlock_irqrestore(&zone->lock, flags);
}

void show_buddyinfo(void)
{
	struct zone *zone;

	for_each_populated_zone(zone) {
		struct zone_snap s;

		zone_snapshot(zone, &s);
		buddyinfo_print_zone(zone->name, s.nr_free, MAX_ORDER, printk);
	}
}

/* Count @zone's pageblocks of each migratetype. */
static void count_pageblocks(struct zone *zone, unsigned long *counts)
{
	unsigned long end = zone_end_pfn(zone);

	memset(counts, 0, sizeof(unsigned long) * MIGRATE_TYPES);
	for (unsigned long pfn = ALIGN_UP(zone->zone_start_pfn, pageblock_nr_pages);
	     pfn < end; pfn += pageblock_nr_pages)
		if (zone_has_pfn(zone, pfn))	/* zones interleave: this zone's blocks only */
			counts[get_pfnblock_migratetype(pfn)]++;
}

void show_pagetypeinfo(void)
{
	struct zone *zone;

	printk("Page block order: %d\n", pageblock_order);
	printk("Pages per block:  %lu\n\n", pageblock_nr_pages);
	printk("%-43s ", "Free pages count per migrate type at order");
	for (int o = 0; o <= MAX_ORDER; o++)
		printk("%6d ", o);
	printk("\n");
	for_each_populated_zone(zone) {
		struct zone_snap s;

		zone_snapshot(zone, &s);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			printk("Node %4d, zone %8s, type %12s ", 0, zone->name, migratetype_names[mt]);
			for (int o = 0; o <= MAX_ORDER; o++)
				printk("%6lu ", s.nr_free_mt[o][mt]);
			printk("\n");
		}
	}
	printk("\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		printk("%12s ", migratetype_names[mt]);
	printk("\n");
	for_each_populated_zone(zone) {
		unsigned long counts[MIGRATE_TYPES];

		count_pageblocks(zone, counts);
		printk("Node %d, zone %8s ", 0, zone->name);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			printk("%12lu ", counts[mt]);
		printk("\n");
	}
}

void show_zoneinfo(void)
{
	struct zone *zone;

	for_each_zone(zone) {
		printk("Node 0, zone %8s\n", zone->name);
		printk("  pages free     %lu\n", zone_page_free(zone));
		printk("        min      %lu\n", min_wmark_pages(zone));
		printk("        low      %lu\n", low_wmark_pages(zone));
		printk("        high     %lu\n", high_wmark_pages(zone));
		printk("        spanned  %lu\n", zone->spanned_pages);
		printk("        present  %lu\n", zone->present_pages);
		printk("        managed  %lu\n", zone->managed_pages);
		if (!populated_zone(zone))
			continue;
		printk("      nr_free_pages %lu\n", zone_page_free(zone));
		printk("      nr_free_pcp   %lu\n", nr_pcp_pages(zone));
		printk("      nr_isolated_free %lu\n", zone_isolated_free_pages(zone));
		printk("      pgalloc       %lu\n",
		       vm_stat_read((enum vm_stat_item)(PGALLOC_DMA + zone_idx(zone))));
		printk("  pagesets\n");
		for (int cpu = 0; cpu < NR_CPUS; cpu++) {
			const struct per_cpu_pages *pcp = &zone->pcp[cpu];

			printk("    cpu: %d\n", cpu);
			printk("              count: %d\n", pcp->count);
			printk("              high:  %d\n", pcp->high);
			printk("              batch: %d\n", pcp->batch);
		}
		printk("  start_pfn:           %lu\n", zone->zone_start_pfn);
	}
}

void show_meminfo_linux(void)
{
	printk("%-16s %10lu kB\n", "MemTotal:", pages_to_kb(totalram_pages()));
	printk("%-16s %10lu kB\n", "MemFree:", pages_to_kb(nr_free_pages()));
	printk("%-16s %10lu kB\n", "MemAvailable:", pages_to_kb(si_mem_available()));
}

void show_meminfo(void)
{
	printk("%-16s %10lu kB\n", "MemManaged:", pages_to_kb(totalram_pages()));
	printk("%-16s %10lu kB\n", "FreePcp:", pages_to_kb(nr_pcp_pages(NULL)));
	printk("%-16s %10lu kB\n", "TotalReserve:", pages_to_kb(totalreserve_pages()));
	printk("%-16s %10lu kB\n", "Slab:", pages_to_kb(slab_pages()));
	printk("%-16s %10lu kB\n", "KmallocLarge:", pages_to_kb(kmalloc_large_pages()));
	printk("%-16s %10lu kB\n", "Memmap:", mm_init_stats.memmap_bytes >> 10);
	{
		char line[160];

		printk("%-16s %10lu kB\n", "DeferredPending:", pages_to_kb(deferred_pending_pages()));
		deferred_init_describe(line, sizeof(line));
		printk("%-16s %s\n", "DeferredInit:", line);
	}
}

void show_vmstat(void)
{
	for (int i = 0; i < NR_VM_STAT_ITEMS; i++) {
		const char *name = vm_stat_name((enum vm_stat_item)i);

		if (name)
			printk("%s %lu\n", name, vm_stat_read((enum vm_stat_item)i));
	}
}

void fill_contig_page_info(struct zone *zone, unsigned int order, struct contig_page_info *info)
{
	struct zone_snap s;

	zone_snapshot(zone, &s);
	memset(info, 0, sizeof(*info));
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		info->free_blocks_total += s.nr_free[o];
		info->free_pages += s.nr_free[o] << o;
		/* in units of order-@order blocks, as Linux counts them */
		if (o >= order)
			info->free_blocks_suitable += s.nr_free[o] << (o - order);
	}
}

int unusable_free_index(unsigned int order, const struct contig_page_info *info)
{
	if (!info->free_pages)
		return 1000;
	return (int)((info->free_pages - (info->free_blocks_suitable << order)) * 1000ULL /
		     info->free_pages);
}

int fragmentation_index(unsigned int order, const struct contig_page_info *info)
{
	unsigned long requested = 1UL << order;

	if (!info->free_blocks_total)
		return 0;
	if (info->free_blocks_suitable)
		return -1000;
	return (int)(1000 - (1000 + info->free_pages * 1000ULL / requested) /
		     info->free_blocks_total);
}

/* Print @v/1000 with three decimals ("-1.000", "0.012"), as Linux's extfrag files do. */
static void print_milli(int v)
{
	printk("%s%d.%03d", v < 0 ? "-" : "", (v < 0 ? -v : v) / 1000, (v < 0 ? -v : v) % 1000);
}

void show_extfrag(void)
{
	struct zone *zone;

	printk("unusable_index (0 = all free memory usable for the order, 1 = none):\n");
	for_each_populated_zone(zone) {
		printk("Node 0, zone %8s ", zone->name);
		for (unsigned int o = 0; o <= MAX_ORDER; o++) {
			struct contig_page_info info;

			fill_contig_page_info(zone, o, &info);
			print_milli(unusable_free_index(o, &info));
			printk(" ");
		}
		printk("\n");
	}
	printk("extfrag_index (-1 = a block is free; near 0 = lack of memory, near 1 = fragmentation):\n");
	for_each_populated_zone(zone) {
		printk("Node 0, zone %8s ", zone->name);
		for (unsigned int o = 0; o <= MAX_ORDER; o++) {
			struct contig_page_info info;

			fill_contig_page_info(zone, o, &info);
			print_milli(fragmentation_index(o, &info));
			printk(" ");
		}
		printk("\n");
	}
}

void show_frag_summary(void)
{
	unsigned long free = 0, big = 0;
	struct zone *zone;

	drain_all_pages(NULL);
	for_each_populated_zone(zone) {
		struct contig_page_info info;
		unsigned long b;

		fill_contig_page_info(zone, pageblock_order, &info);
		b = zone_free_pages_from_order(zone, pageblock_order);
		printk("frag: zone %8s free %8lu order>=9 %8lu", zone->name, info.free_pages, b);
		printk(" unusable_index(9) ");
		print_milli(unusable_free_index(pageblock_order, &info));
		printk(" fragmentation_index(9) ");
		print_milli(fragmentation_index(pageblock_order, &info));
		printk("\n");
		free += info.free_pages;
		big += b;
	}
	printk("frag: order>=9 free: %lu of %lu free pages (%lu%%), fragmentation score %u\n",
	       big, free, free ? big * 100 / free : 0, fragmentation_score());
}

void show_free_areas(void)
{
	static const char mt_letter[MIGRATE_TYPES] = { 'U', 'M', 'E', 'I' };
	struct zone *zone;

	printk("Mem-Info: free:%lu free_pcp:%lu managed:%lu slab:%lu bad:%lu reporting_held:%lu\n",
	       nr_free_pages(), nr_pcp_pages(NULL), totalram_pages(), vm_stat_read(NR_SLAB_PAGES),
	       vm_stat_read(NR_BAD_PAGES), vm_stat_read(NR_REPORTING_HELD));
	for_each_populated_zone(zone) {
		printk("Node 0 %s free:%lukB min:%lukB low:%lukB high:%lukB present:%lukB managed:%lukB pcp:%lukB\n",
		       zone->name, pages_to_kb(zone_page_free(zone)), pages_to_kb(min_wmark_pages(zone)),
		       pages_to_kb(low_wmark_pages(zone)), pages_to_kb(high_wmark_pages(zone)),
		       pages_to_kb(zone->present_pages), pages_to_kb(zone->managed_pages),
		       pages_to_kb(nr_pcp_pages(zone)));
	}
	for_each_populated_zone(zone) {
		struct zone_snap s;

		zone_snapshot(zone, &s);
		printk("Node 0 %s: ", zone->name);
		for (int o = 0; o <= MAX_ORDER; o++) {
			char types[MIGRATE_TYPES + 1];
			int n = 0;

			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				if (s.nr_free_mt[o][mt])
					types[n++] = mt_letter[mt];
			types[n] = 0;
			printk("%lu*%lukB ", s.nr_free[o], pages_to_kb(1UL << o));
			if (n)
				printk("(%s) ", types);
		}
		/* the blocks listed: allocatable free memory plus isolated */
		printk("= %lukB", pages_to_kb(s.free_pages + s.isolated));
		if (s.isolated)
			printk(" (isolated %lukB)", pages_to_kb(s.isolated));
		printk("\n");
	}
}
