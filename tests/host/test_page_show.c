/* test_page_show.c - introspection: kpageflags, page-types, extfrag, vmstat, the /proc-style views. */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/mm_show.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <mm/vmstat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern int host_quiet;

static int saved_fd = -1;
static FILE *cap;

/* Start capturing stdout (printk) into a temporary file. */
static void capture_start(void)
{
	fflush(stdout);
	cap = tmpfile();
	saved_fd = dup(1);
	dup2(fileno(cap), 1);
}

/* Stop capturing; the file is rewound for reading. */
static FILE *capture_end(void)
{
	fflush(stdout);
	dup2(saved_fd, 1);
	close(saved_fd);
	rewind(cap);
	return cap;
}

/* Expect the indices to follow Linux's formulas on hand-computed cases. */
TEST(fragmentation_formulas)
{
	struct contig_page_info none = { 0, 0, 0 };
	struct contig_page_info frag = { 100, 100, 0 };	/* 100 free order-0 blocks */
	struct contig_page_info ok = { 1024, 1, 1 };	/* one order-10 block */

	EXPECT_EQ(unusable_free_index(3, &none), 1000);
	EXPECT_EQ(fragmentation_index(3, &none), 0);
	EXPECT_EQ(unusable_free_index(3, &frag), 1000);
	/* 1000 - (1000 + 100*1000/8) / 100 = 1000 - 135 = 865 */
	EXPECT_EQ(fragmentation_index(3, &frag), 865);
	{
		struct contig_page_info frag0 = { 100, 100, 100 };

		EXPECT_EQ(unusable_free_index(0, &frag0), 0);
		EXPECT_EQ(fragmentation_index(0, &frag0), -1000);
	}
	{
		/* 40 free pages: 4 order-2 blocks + 24 order-0 blocks; order 2 asked */
		struct contig_page_info mix = { 40, 28, 4 };

		EXPECT_EQ(unusable_free_index(2, &mix), (40 - 16) * 1000 / 40);
	}
	EXPECT_EQ(fragmentation_index(3, &ok), -1000);
	EXPECT_EQ(unusable_free_index(10, &ok), 0);
}

/* Expect fill_contig_page_info on a real zone to count blocks and pages exactly. */
TEST(contig_info_real_zone)
{
	struct contig_page_info info;
	struct zone *z;

	host_mem_init_mb(32);
	z = &zones[ZONE_DMA32];
	fill_contig_page_info(z, 10, &info);
	EXPECT_EQ(info.free_pages, zone_page_free(z));
	EXPECT_EQ(info.free_blocks_suitable, z->free_area[10].nr_free);
	EXPECT_EQ(unusable_free_index(10, &info),
		  (int)((info.free_pages - (z->free_area[10].nr_free << 10)) * 1000 / info.free_pages));
	EXPECT_EQ(fragmentation_index(10, &info), -1000);
	/* At order 0 every free page is a suitable block: nothing is unusable. */
	fill_contig_page_info(z, 0, &info);
	EXPECT_EQ(info.free_blocks_suitable, info.free_pages);
	EXPECT_EQ(unusable_free_index(0, &info), 0);
	host_mem_teardown();
}

/* Expect kpageflags to report reserved, buddy (every page of a free block), slab, offline, pgtable, hwpoison and the migratetype. */
TEST(kpageflags_bits)
{
	struct page *p, *t, *o;
	void *obj;
	unsigned long pfn;
	uint64_t f;

	host_mem_init_mb(32);
	EXPECT(page_kpageflags(0) & (1ULL << KPF_RESERVED));
	EXPECT(!(page_kpageflags(0) & (1ULL << KPF_BUDDY)));
	p = list_first_entry(&zones[ZONE_DMA32].free_area[MAX_ORDER].free_list[MIGRATE_MOVABLE],
			     struct page, lru);
	pfn = page_to_pfn(p);
	f = page_kpageflags(pfn + 777);
	EXPECT(f & (1ULL << KPF_BUDDY));
	EXPECT_EQ((f & KPF_BALLAST_MT_MASK) >> KPF_BALLAST_MT_SHIFT, MIGRATE_MOVABLE + 1);
	obj = kmalloc(100, GFP_KERNEL);
	EXPECT(page_kpageflags(page_to_pfn(virt_to_page(obj))) & (1ULL << KPF_SLAB));
	t = alloc_pages(GFP_KERNEL, 0);
	__SetPageTable(t);
	EXPECT(page_kpageflags(page_to_pfn(t)) & (1ULL << KPF_PGTABLE));
	EXPECT(!(page_kpageflags(page_to_pfn(t)) & (1ULL << KPF_BUDDY)));
	__ClearPageTable(t);
	o = alloc_pages(GFP_HIGHUSER_MOVABLE, 0);
	__SetPageOffline(o);
	o->mapping = (struct address_space *)(0x1000 | PAGE_MAPPING_MOVABLE);
	f = page_kpageflags(page_to_pfn(o));
	EXPECT(f & (1ULL << KPF_OFFLINE));
	EXPECT(f & (1ULL << KPF_BALLAST_MOVABLE));
	o->mapping = NULL;
	__ClearPageOffline(o);
	__free_pages(o, 0);
	__free_pages(t, 0);
	kfree(obj);
	/* past RAM in its last section: a reserved hole; past that section: no page */
	EXPECT(page_kpageflags(memmap_end_pfn + 5) & (1ULL << KPF_RESERVED));
	EXPECT_EQ(page_kpageflags(ALIGN_UP(memmap_end_pfn, PAGES_PER_SECTION) + 5), 1ULL << KPF_NOPAGE);
	host_mem_teardown();
}

/* Expect the page-types summary to count every pfn once and the filter to select by flag. */
TEST(page_types_summary_and_filter)
{
	struct page_types_summary *s = calloc(1, sizeof(*s));
	struct page_types_filter f;
	char err[200];

	page_types_init(s, NULL);
	page_types_add(s, 1ULL << KPF_BUDDY | (2ULL << 56), 100);
	page_types_add(s, 1ULL << KPF_BUDDY | (1ULL << 56), 50);
	page_types_add(s, 1ULL << KPF_SLAB, 7);
	page_types_add(s, 1ULL << KPF_RESERVED, 3);
	EXPECT_EQ(s->total, 160);
	EXPECT_EQ(s->nr_rows, 3);		/* migratetype bits stripped */
	EXPECT_EQ(page_types_parse_filter("buddy", &f, err, sizeof(err)), 0);
	page_types_init(s, &f);
	page_types_add(s, 1ULL << KPF_BUDDY, 100);
	page_types_add(s, 1ULL << KPF_SLAB, 7);
	EXPECT_EQ(s->total, 100);
	EXPECT_EQ(page_types_parse_filter("S,~reserved", &f, err, sizeof(err)), 0);
	EXPECT_EQ(f.mask, (1ULL << KPF_SLAB) | (1ULL << KPF_RESERVED));
	EXPECT_EQ(f.bits, 1ULL << KPF_SLAB);
	EXPECT_EQ(page_types_parse_filter("mt=isolate", &f, err, sizeof(err)), 0);
	EXPECT_EQ(f.bits, 4ULL << KPF_BALLAST_MT_SHIFT);
	EXPECT_EQ(page_types_parse_filter("buddy,frobbed", &f, err, sizeof(err)), -EINVAL);
	EXPECT(strstr(err, "frobbed") != NULL);
	{
		char sym[64], lng[128];

		page_types_symbolic(1ULL << KPF_BUDDY | 1ULL << KPF_RESERVED, sym, sizeof(sym));
		EXPECT_EQ(sym[10], 'B');
		EXPECT_EQ(sym[32], 'r');
		EXPECT_EQ(sym[0], '_');
		page_types_long(1ULL << KPF_OFFLINE | 1ULL << KPF_PGTABLE | (2ULL << 56), lng, sizeof(lng));
		EXPECT(!strcmp(lng, "offline,pgtable,mt=movable"));
	}
	free(s);
}

/* Expect dump lines to parse in both forms and malformed ones to be rejected. */
TEST(dump_line_parser)
{
	unsigned long pfn, count;
	uint64_t flags;

	EXPECT_EQ(page_types_parse_line("1a00 512 20000000000400\n", &pfn, &count, &flags), 1);
	EXPECT_EQ(pfn, 0x1a00);
	EXPECT_EQ(count, 512);
	EXPECT_EQ(flags, 0x20000000000400ULL);
	EXPECT_EQ(page_types_parse_line("0x10 0x80\n", &pfn, &count, &flags), 1);
	EXPECT_EQ(pfn, 0x10);
	EXPECT_EQ(count, 1);
	EXPECT_EQ(flags, 0x80);
	EXPECT_EQ(page_types_parse_line("# kpageflags v1 start=0x0 count=5\n", &pfn, &count, &flags), 0);
	EXPECT_EQ(page_types_parse_line("\n", &pfn, &count, &flags), 0);
	EXPECT_EQ(page_types_parse_line("ballast> kpageflags\n", &pfn, &count, &flags), -1);
	EXPECT_EQ(page_types_parse_line("10 0 400\n", &pfn, &count, &flags), -1);
	EXPECT_EQ(page_types_parse_line("10 5 400 junk\n", &pfn, &count, &flags), -1);
}

/* Expect show_kpageflags' run-length dump to reproduce page_kpageflags for every pfn, compactly. */
TEST(kpageflags_dump_roundtrip)
{
	char line[256];
	unsigned long expect_pfn = 0, lines = 0, pfn, count, mismatches = 0;
	uint64_t flags;
	void *obj;
	FILE *f;

	host_mem_init_mb(64);
	obj = kmalloc(500, GFP_KERNEL);
	capture_start();
	show_kpageflags(0, memmap_end_pfn);
	f = capture_end();
	while (fgets(line, sizeof(line), f)) {
		int r = page_types_parse_line(line, &pfn, &count, &flags);

		if (r == 0)
			continue;
		ASSERT(r == 1);
		lines++;
		EXPECT_EQ(pfn, expect_pfn);
		for (unsigned long i = pfn; i < pfn + count; i++)
			if (page_kpageflags(i) != flags)
				mismatches++;
		expect_pfn = pfn + count;
	}
	fclose(f);
	EXPECT_EQ(expect_pfn, memmap_end_pfn);
	EXPECT_EQ(mismatches, 0);
	EXPECT(lines < 200);	/* 16384 pfns in runs */
	printf("# %lu dump lines for %lu pfns\n", lines, memmap_end_pfn);
	kfree(obj);
	host_mem_teardown();
}

/* Expect show_page_types to print one row per combination and a total equal to the pfns asked. */
TEST(show_page_types_output)
{
	char line[512];
	FILE *f;
	bool total_ok = false, buddy_row = false;

	host_mem_init_mb(32);
	capture_start();
	EXPECT_EQ(show_page_types(0, memmap_end_pfn, NULL), 0);
	host_quiet = 1;
	EXPECT_EQ(show_page_types(0, 10, "nonsense"), -1);
	host_quiet = 0;
	f = capture_end();
	while (fgets(line, sizeof(line), f)) {
		unsigned long n, mb;

		if (sscanf(line, " total %lu %lu", &n, &mb) == 2 && n == memmap_end_pfn)
			total_ok = true;
		if (strstr(line, "\tbuddy\n"))
			buddy_row = true;
	}
	fclose(f);
	EXPECT(total_ok);
	EXPECT(buddy_row);
	host_mem_teardown();
}

/* Expect vmstat counters to move with allocations, names to be unique and looked up. */
TEST(vmstat_counters)
{
	unsigned long a0, f0;
	struct page *p;

	host_mem_init_mb(32);
	a0 = vm_stat_read(PGALLOC_DMA32);
	f0 = vm_stat_read(PGFREE);
	p = alloc_pages(GFP_KERNEL, 3);
	EXPECT_EQ(vm_stat_read(PGALLOC_DMA32), a0 + 8);
	__free_pages(p, 3);
	EXPECT_EQ(vm_stat_read(PGFREE), f0 + 8);
	p = alloc_pages(GFP_KERNEL, 0);
	__free_pages(p, 0);
	EXPECT_EQ(vm_stat_read(PGALLOC_DMA32), a0 + 9);
	EXPECT_EQ(vm_stat_read(PGFREE), f0 + 9);
	EXPECT_EQ(vm_stat_read(NR_FREE_PAGES) + vm_stat_read(NR_FREE_PCP), nr_free_pages_total());
	EXPECT_EQ(vm_stat_lookup("nr_free_pages"), NR_FREE_PAGES);
	EXPECT_EQ(vm_stat_lookup("compact_stall"), COMPACTSTALL);
	EXPECT_EQ(vm_stat_lookup("no_such"), -1);
	for (int i = 0; i < NR_VM_STAT_ITEMS; i++)
		for (int j = i + 1; j < NR_VM_STAT_ITEMS; j++)
			if (vm_stat_name(i) && vm_stat_name(j))
				EXPECT(strcmp(vm_stat_name(i), vm_stat_name(j)));
	host_mem_teardown();
}

/* Expect buddyinfo to print one line per populated zone whose numbers equal nr_free per order. */
TEST(buddyinfo_matches_counts)
{
	char line[512], name[16];
	unsigned long v[11];
	int zones_seen = 0;
	FILE *f;

	host_mem_init_mb(64);
	capture_start();
	show_buddyinfo();
	show_pagetypeinfo();
	show_zoneinfo();
	show_vmstat();
	show_extfrag();
	show_free_areas();
	f = capture_end();
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "Node 0, zone %15s %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu",
			       name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10]);
		struct zone *z = NULL;

		if (n != 12)
			continue;
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (!strcmp(zones[i].name, name))
				z = &zones[i];
		ASSERT(z);
		zones_seen++;
		for (int o = 0; o <= MAX_ORDER; o++)
			EXPECT_EQ(v[o], z->free_area[o].nr_free);
	}
	fclose(f);
	EXPECT_EQ(zones_seen, 2);
	host_mem_teardown();
}

/* Take every page @gfp can reach onto @list (watermarks ignored); returns the count. */
static unsigned long take_all_pages(gfp_t gfp, struct list_head *list)
{
	unsigned long n = 0;
	struct page *p;

	while ((p = alloc_pages(gfp | __GFP_MEMALLOC | __GFP_NOWARN, 0))) {
		list_add(&p->lru, list);
		n++;
	}
	return n;
}

/* Expect MemAvailable (si_mem_available) to be free pages minus the high watermarks plus the per-CPU list pages: one page allocated through a freshly refilled per-CPU list costs exactly one page of it, an order-9 block 512, and it stops at 0 when free memory is below the reserve. */
TEST(mem_available_formula)
{
	unsigned long reserve = 0, before, after;
	struct page *one, *big, *p, *tmp;
	LIST_HEAD(all);

	host_mem_init_mb(64);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		reserve += zones[z].managed_pages < high_wmark_pages(&zones[z]) ?
			   zones[z].managed_pages : high_wmark_pages(&zones[z]);
	EXPECT(reserve > 0);
	EXPECT_EQ(totalreserve_pages(), reserve);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_pcp_pages(NULL), 0);
	before = si_mem_available();
	EXPECT_EQ(before, nr_free_pages() - reserve);

	one = alloc_pages(GFP_KERNEL, 0);	/* refills the pcp list by a batch */
	ASSERT(one);
	EXPECT(nr_pcp_pages(NULL) > 0);
	after = si_mem_available();
	EXPECT_EQ(before - after, 1);
	EXPECT_EQ(after, nr_free_pages() - reserve + nr_pcp_pages(NULL));

	big = alloc_pages(GFP_HIGHUSER_MOVABLE, 9);
	ASSERT(big);
	EXPECT_EQ(after - si_mem_available(), 512);
	__free_pages(big, 9);
	__free_pages(one, 0);
	drain_all_pages(NULL);
	EXPECT_EQ(si_mem_available(), before);

	take_all_pages(GFP_KERNEL, &all);
	take_all_pages(GFP_DMA, &all);
	EXPECT(nr_free_pages() + nr_pcp_pages(NULL) < reserve);
	EXPECT_EQ(si_mem_available(), 0);
	list_for_each_entry_safe(p, tmp, &all, lru) {
		list_del(&p->lru);
		__free_pages(p, 0);
	}
	drain_all_pages(NULL);
	EXPECT_EQ(si_mem_available(), before);
	host_mem_teardown();
}

/* "-1.000" / "0.865" as printed by the views -> -1000 / 865; false if not that shape. */
static bool parse_milli(const char *s, int *out)
{
	unsigned int ip, fp;
	int neg = s[0] == '-';
	char tail;

	if (sscanf(s + neg, "%u.%3u%c", &ip, &fp, &tail) != 2 || strlen(s + neg) != 5)
		return false;
	*out = (int)(ip * 1000 + fp) * (neg ? -1 : 1);
	return true;
}

/*
 * Expect the frag summary, on fragmented memory, to print one line per
 * populated zone whose free pages, order>=9 pages and both order-9
 * indices equal the allocator's own figures, and a total line that sums
 * the zones.
 */
TEST(frag_summary_matches_counts)
{
	char line[512], name[16], ui[16], fi[16];
	unsigned long freep, big, tbig, tfree, sum_free = 0, sum_big = 0, pct;
	struct page *pages[4096];
	int zones_seen = 0, totals = 0, n = 0;
	unsigned int score;
	FILE *f;

	host_mem_init_mb(64);
	while (n < 4096 && (pages[n] = alloc_page(GFP_KERNEL | __GFP_MOVABLE)))
		n++;
	for (int i = 0; i < n; i += 2)	/* every other page back: order-0 holes */
		__free_page(pages[i]);
	capture_start();
	show_frag_summary();
	f = capture_end();
	while (fgets(line, sizeof(line), f)) {
		struct contig_page_info info;
		struct zone *z = NULL;
		int u, fr;

		if (sscanf(line, "frag: order>=9 free: %lu of %lu free pages (%lu%%), "
			   "fragmentation score %u", &tbig, &tfree, &pct, &score) == 4) {
			totals++;
			continue;
		}
		if (sscanf(line, "frag: zone %15s free %lu order>=9 %lu unusable_index(9) %15s "
			   "fragmentation_index(9) %15s", name, &freep, &big, ui, fi) != 5)
			continue;
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (!strcmp(zones[i].name, name))
				z = &zones[i];
		ASSERT(z);
		zones_seen++;
		fill_contig_page_info(z, pageblock_order, &info);
		EXPECT_EQ(freep, info.free_pages);
		EXPECT_EQ(big, zone_free_pages_from_order(z, pageblock_order));
		EXPECT(parse_milli(ui, &u));
		EXPECT(parse_milli(fi, &fr));
		EXPECT_EQ(u, unusable_free_index(pageblock_order, &info));
		EXPECT_EQ(fr, fragmentation_index(pageblock_order, &info));
		sum_free += freep;
		sum_big += big;
	}
	fclose(f);
	EXPECT_EQ(zones_seen, 2);
	EXPECT_EQ(totals, 1);
	EXPECT_EQ(tfree, sum_free);
	EXPECT_EQ(tbig, sum_big);
	EXPECT_EQ(pct, sum_free ? sum_big * 100 / sum_free : 0);
	EXPECT(sum_big < sum_free);	/* the holes are free but below order 9 */
	for (int i = 1; i < n; i += 2)
		__free_page(pages[i]);
	host_mem_teardown();
}
