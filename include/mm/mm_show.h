/*
 * mm_show.h - the /proc-style views of the page allocator, printed with
 * printk, and the kpageflags interface.
 *
 *   show_buddyinfo()     "Node 0, zone   Normal   n0 n1 ... n10" (free blocks per order)
 *   show_pagetypeinfo()  free blocks per order per migratetype, then the
 *                        number of pageblocks of each migratetype per zone
 *   show_zoneinfo()      per zone: free pages, min/low/high, spanned,
 *                        present, managed, start_pfn, pcp count/high/batch per CPU
 *   show_meminfo_linux() Linux's first three /proc/meminfo lines: MemTotal
 *                        (managed pages), MemFree, MemAvailable
 *                        (si_mem_available()) (kB)
 *   show_meminfo()       the allocator's own meminfo lines: MemManaged,
 *                        FreePcp, TotalReserve, Slab, KmallocLarge, Memmap (kB)
 *   show_vmstat()        "name value" per counter (<mm/vmstat.h>)
 *   show_extfrag()       unusable free space index and fragmentation index
 *                        per zone and order (3 decimals, like Linux's
 *                        /sys/kernel/debug/extfrag files)
 *   show_frag_summary()  per zone "frag: zone NAME free N order>=9 N
 *                        unusable_index(9) X fragmentation_index(9) X", then
 *                        the order>=9 share of all free memory and the
 *                        fragmentation score (drains the per-CPU lists first)
 *   show_slabinfo()      "slabinfo - version: 2.1" table
 *   show_kpageflags()    dump format for tools/page-types (below)
 *   show_page_types()    page-types style summary
 */
#ifndef MM_MM_SHOW_H
#define MM_MM_SHOW_H

#include <kernel/compiler.h>
#include <mm/mmzone.h>
#include <mm/kpageflags.h>

void show_buddyinfo(void);
void show_pagetypeinfo(void);
void show_zoneinfo(void);
void show_meminfo_linux(void);
void show_meminfo(void);
void show_vmstat(void);
void show_extfrag(void);
void show_frag_summary(void);
void show_slabinfo(void);
/* Everything the allocation-failure warning prints: per-zone free counts per order. */
void show_free_areas(void);

/* ---- fragmentation figures (formulas: Linux mm/vmstat.c) ---- */

struct contig_page_info {
	unsigned long free_pages;		/* pages free in the buddy */
	unsigned long free_blocks_total;	/* free blocks of any order */
	unsigned long free_blocks_suitable;	/* free blocks of order >= the asked order */
};
void fill_contig_page_info(struct zone *zone, unsigned int order, struct contig_page_info *info);
/* Unusable free space index * 1000 for @order (1000 when nothing is free). */
int unusable_free_index(unsigned int order, const struct contig_page_info *info);
/* Fragmentation index * 1000: -1000 if a suitable block exists, 0 if nothing is free. */
int fragmentation_index(unsigned int order, const struct contig_page_info *info);

/* ---- kpageflags of the live memmap (mm/kpageflags.c); bits in <mm/kpageflags.h> ---- */

/* Flags of @pfn; KPF_NOPAGE alone for pfns without a valid struct page. */
uint64_t page_kpageflags(unsigned long pfn);

/*
 * Print the kpageflags of [start, start+count) in the dump format read by
 * tools/page-types (see <mm/kpageflags.h>).
 */
void show_kpageflags(unsigned long start, unsigned long count);

/* Summarize [start, start+count) of the live memmap with @filter_spec (NULL = all). */
int show_page_types(unsigned long start, unsigned long count, const char *filter_spec);

#endif
