/*
 * test_memory_offline.c - memory blocks online and offline (seed 003's
 * algorithm, seed 001's PageOffline; mm/memory_hotplug.c).
 *
 * The harness machine has 512 MiB: blocks 0-3. Block 0 holds the first
 * MiB (reserved) and block 3 the boot memmap (memblock allocates it at
 * the top), so blocks 1 and 2 are the ones that can go offline. Pages are
 * put exactly where a case wants them with alloc_contig_range() (then
 * adopted by the owner under test), or by onlining a block Movable, where
 * movable allocations go first.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "test_owner.h"
#include <mm/page_alloc.h>
#include <mm/page_isolation.h>
#include <mm/page_offline.h>
#include <mm/memory_hotplug.h>
#include <mm/balloon_compaction.h>
#include <mm/zsmalloc.h>
#include <mm/compaction.h>
#include <mm/kpageflags.h>
#include <mm/mm_show.h>
#include <stdlib.h>
#include <string.h>

extern int host_quiet;

#define BLK	2UL
#define BS	(BLK * PAGES_PER_SECTION)	/* first pfn of block 2 */
#define BE	(BS + PAGES_PER_SECTION)

static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages_total();
}

static void setup(void)
{
	host_mem_init_mb(512);
	compaction_init();
	migrate_stats_reset();
}

/* ---- a notifier that records and may veto ---- */

static int seen[8], veto_action = -1;

static int rec_call(struct memory_notifier *nb, enum memory_action a, const struct memory_notify *arg)
{
	seen[a]++;
	return (int)a == veto_action ? -EBUSY : 0;
}

static struct memory_notifier rec_nb = { .call = rec_call };

static void rec_reset(void)
{
	memset(seen, 0, sizeof(seen));
	veto_action = -1;
}

/* Parse "block N: C <what> pages, first pfn 0xP (KIND)"; false if the shape differs. */
static bool parse_why(const char *why, unsigned long *blk, unsigned long *count,
		      unsigned long *first, char *kind, size_t klen)
{
	const char *p = strstr(why, "first pfn ");
	const char *k;
	char *e;

	if (sscanf(why, "block %lu: %lu", blk, count) != 2 || !p)
		return false;
	*first = strtoul(p + 10, &e, 16);
	k = strchr(e, '(');
	if (!k || !strrchr(k, ')'))
		return false;
	snprintf(kind, klen, "%.*s", (int)(strrchr(k, ')') - k - 1), k + 1);
	return true;
}

/* Adopt the refcount-1 page @page into test owner @o (painted, movable, listed). */
static void towner_adopt(struct test_owner *o, struct page *page, unsigned long index)
{
	page->index = index;
	towner_paint(o, page);
	lock_page(page);
	__SetPageMovable(page, &o->as);
	list_add(&page->lru, &o->pages);
	o->nr_owned++;
	unlock_page(page);
}

static unsigned long owner_pages_in(struct test_owner *o, unsigned long s, unsigned long e)
{
	struct page *page;
	unsigned long n = 0;

	list_for_each_entry(page, &o->pages, lru)
		n += page_to_pfn(page) >= s && page_to_pfn(page) < e;
	return n;
}

/* Expect a free block to go offline (out of its zone, every page reserved) and online again to Normal, then Movable, with exact counts. */
TEST(offline_online_free_block)
{
	struct memory_block_info info;
	unsigned long free0, managed0, present0, cpfn;
	char why[160], vz[32];

	setup();
	free0 = free_now();
	managed0 = zones[ZONE_DMA32].managed_pages;
	present0 = zones[ZONE_DMA32].present_pages;
	ASSERT_EQ(memory_block_info(BLK, &info), 0);
	EXPECT_EQ(info.state, MEM_BLOCK_ONLINE);
	EXPECT_EQ(info.zone, ZONE_DMA32);
	EXPECT(info.removable);
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	EXPECT_EQ(why[0], 0);
	EXPECT(!section_online(BLK));
	EXPECT(pfn_to_online_page(BS) == NULL);
	EXPECT_EQ(free_now(), free0 - PAGES_PER_SECTION);
	EXPECT_EQ(zones[ZONE_DMA32].managed_pages, managed0 - PAGES_PER_SECTION);
	EXPECT_EQ(zones[ZONE_DMA32].present_pages, present0 - PAGES_PER_SECTION);
	for (unsigned long pfn = BS; pfn < BE; pfn += 997)
		EXPECT(PageReserved(pfn_to_page(pfn)) && page_count(pfn_to_page(pfn)) == 1 &&
		       !PageBuddy(pfn_to_page(pfn)));
	ASSERT_EQ(memory_block_info(BLK, &info), 0);
	EXPECT_EQ(info.state, MEM_BLOCK_OFFLINE);
	EXPECT_EQ(info.zone, -1);
	ASSERT_EQ(memory_block_valid_zones(BLK, vz, sizeof(vz)), 0);
	EXPECT(!strcmp(vz, "DMA32 Movable"));
	EXPECT_EQ(mm_check_invariants(), 0);
	/* an offline block is in no zone: isolation and contig allocation refuse it */
	EXPECT_EQ(start_isolate_page_range(BS, BS + pageblock_nr_pages, MIGRATE_MOVABLE, 0), -EINVAL);
	EXPECT_EQ(alloc_contig_range(BS + 7, BS + 9, MIGRATE_MOVABLE, 0), -EINVAL);
	cpfn = alloc_contig_pages(MAX_ORDER, GFP_KERNEL);
	EXPECT(cpfn != 0 && pfn_to_section_nr(cpfn) != BLK);
	if (cpfn)
		free_contig_range(cpfn, MAX_ORDER_NR_PAGES);
	/* twice: not online any more */
	EXPECT_EQ(offline_memory_block(BLK, why, sizeof(why)), -EINVAL);
	/* online "normal": DMA32 below 4 GiB */
	ASSERT_EQ(online_memory_block(BLK, ZONE_NORMAL), 0);
	EXPECT_EQ(online_memory_block(BLK, ZONE_NORMAL), -EBUSY);
	EXPECT(section_online(BLK));
	EXPECT_EQ(pfn_zonenum(BS), ZONE_DMA32);
	EXPECT_EQ(free_now(), free0);
	EXPECT_EQ(zones[ZONE_DMA32].managed_pages, managed0);
	EXPECT_EQ(zones[ZONE_DMA32].present_pages, present0);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* and to Movable */
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	ASSERT_EQ(online_memory_block(BLK, ZONE_MOVABLE), 0);
	EXPECT_EQ(pfn_zonenum(BS), ZONE_MOVABLE);
	EXPECT_EQ(zones[ZONE_MOVABLE].managed_pages, PAGES_PER_SECTION);
	EXPECT_EQ(zones[ZONE_DMA32].managed_pages, managed0 - PAGES_PER_SECTION);
	EXPECT_EQ(free_now(), free0);
	ASSERT_EQ(memory_block_valid_zones(BLK, vz, sizeof(vz)), 0);
	EXPECT(!strcmp(vz, "Movable"));
	EXPECT_EQ(mm_check_invariants(), 0);
	/* absent blocks */
	EXPECT_EQ(memory_block_end(), 4);
	EXPECT_EQ(memory_block_info(4, &info), -ENOENT);
	EXPECT_EQ(online_memory_block(9, ZONE_NORMAL), -ENOENT);
	host_mem_teardown();
}

/* Expect an unmovable (GFP_KERNEL) allocation never to land in a block onlined Movable, and movable ones to go there first. */
TEST(movable_block_takes_no_unmovable_pages)
{
	struct page **pp;
	unsigned long n = 0, in_movable = 0, cap = 1UL << 17;
	struct page *m;
	char why[160];

	setup();
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	ASSERT_EQ(online_memory_block(BLK, ZONE_MOVABLE), 0);
	m = alloc_page(GFP_HIGHUSER_MOVABLE);
	ASSERT(m);
	EXPECT_EQ(page_zonenum(m), ZONE_MOVABLE);
	__free_page(m);
	pp = calloc(cap, sizeof(*pp));
	ASSERT(pp);
	/* take every unmovable page there is */
	while (n < cap && (pp[n] = alloc_page(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY)))
		n++;
	EXPECT(n > PAGES_PER_SECTION);		/* the other blocks gave plenty */
	for (unsigned long i = 0; i < n; i++)
		in_movable += page_to_pfn(pp[i]) >= BS && page_to_pfn(pp[i]) < BE;
	EXPECT_EQ(in_movable, 0);
	/* the Movable block is still entirely free */
	drain_all_pages(NULL);
	EXPECT_EQ(zone_page_free(&zones[ZONE_MOVABLE]), PAGES_PER_SECTION);
	for (unsigned long i = 0; i < n; i++)
		__free_page(pp[i]);
	free(pp);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/*
 * Seed 003's four cases with seed 001's PageOffline: (1) skippable
 * offline pages are skipped by offlining and stay PageOffline, now
 * PG_reserved; (2) alloc_contig_range treats them as unmovable; (3) a
 * put_page never returns one to the buddy; (4) a failed offline (one
 * page not skippable) restores everything, with a precise message.
 */
TEST(seed003_four_cases)
{
	unsigned long s = BS + 4096, free0, free1, bad0, blk, count, first;
	int mt[SECTION_PAGEBLOCKS];
	char why[160], kind[80];

	setup();
	register_memory_notifier(&rec_nb);
	rec_reset();
	free0 = free_now();
	ASSERT_EQ(alloc_contig_frozen_range(s, s + 700, 0), 0);
	page_offline_mark(pfn_to_page(s), 700, PAGE_OFFLINE_SKIPPABLE);
	/* (2) unmovable for alloc_contig_range */
	EXPECT_EQ(alloc_contig_range(s - 512, s + 512, MIGRATE_MOVABLE, 0), -EBUSY);
	/* (3) put_page: reported, never freed */
	bad0 = nr_bad_pages;
	host_quiet = 1;
	put_page(pfn_to_page(s + 5));
	host_quiet = 0;
	EXPECT_EQ(nr_bad_pages, bad0 + 1);
	EXPECT_EQ(free_now(), free0 - 700);
	/* (4) one page not skippable: offline fails, everything restored */
	ASSERT_EQ(alloc_contig_frozen_range(s + 900, s + 901, 0), 0);
	page_offline_mark(pfn_to_page(s + 900), 1, 0);
	for (unsigned long i = 0; i < SECTION_PAGEBLOCKS; i++)
		mt[i] = get_pfnblock_migratetype(BS + i * pageblock_nr_pages);
	free1 = free_now();
	EXPECT_EQ(offline_memory_block(BLK, why, sizeof(why)), -EBUSY);
	ASSERT(parse_why(why, &blk, &count, &first, kind, sizeof(kind)));
	EXPECT_EQ(blk, BLK);
	EXPECT_EQ(count, 1);
	EXPECT_EQ(first, s + 900);
	EXPECT(!strcmp(kind, "PageOffline not skippable"));
	EXPECT_EQ(seen[MEM_GOING_OFFLINE], 1);
	EXPECT_EQ(seen[MEM_CANCEL_OFFLINE], 1);
	EXPECT_EQ(seen[MEM_OFFLINE], 0);
	EXPECT(section_online(BLK));
	for (unsigned long i = 0; i < SECTION_PAGEBLOCKS; i++)
		EXPECT_EQ(get_pfnblock_migratetype(BS + i * pageblock_nr_pages), mt[i]);
	EXPECT_EQ(free_now(), free1);
	EXPECT(PageOfflineSkippable(pfn_to_page(s)) && !PageReserved(pfn_to_page(s)));
	EXPECT_EQ(mm_check_invariants(), 0);
	/* (1) the owner gives the unskippable one back: offline skips the 700 */
	page_offline_release(pfn_to_page(s + 900), 1);
	rec_reset();
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	EXPECT_EQ(seen[MEM_GOING_OFFLINE], 1);
	EXPECT_EQ(seen[MEM_OFFLINE], 1);
	EXPECT_EQ(seen[MEM_CANCEL_OFFLINE], 0);
	for (unsigned long pfn = s; pfn < s + 700; pfn++) {
		struct page *p = pfn_to_page(pfn);

		EXPECT(PageOffline(p) && PageReserved(p) && page_count(p) == 0);
		/* an offline block has no online page: kpageflags says NOPAGE only, as Linux's does */
		EXPECT_EQ(page_kpageflags(pfn), 1ULL << KPF_NOPAGE);
	}
	EXPECT(!PageOffline(pfn_to_page(s + 700)) && PageReserved(pfn_to_page(s + 700)));
	/* the whole block left the buddy: its free pages, not the offline ones again */
	EXPECT_EQ(free_now(), free0 - PAGES_PER_SECTION);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* onlining starts the block afresh: all of it free */
	ASSERT_EQ(online_memory_block(BLK, ZONE_NORMAL), 0);
	EXPECT(!PageOffline(pfn_to_page(s)));
	EXPECT_EQ(free_now(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	unregister_memory_notifier(&rec_nb);
	host_mem_teardown();
}

/*
 * Expect page-types over the shell's default range (memmap_start_pfn up to
 * sparse_end_pfn()) to count an offline block's pages as NOPAGE, exactly
 * its PAGES_PER_SECTION and nothing else, and a hot-added block onlined
 * Movable as pages: every one of them free in the buddy.
 */
TEST(page_types_counts_online_blocks_only)
{
	static const struct e820_entry map[] = {
		{ 0x100000, (512UL << 20) - 0x100000, E820_RAM },
	};
	unsigned long hot, nopage = 0, nopage_blk = 0, buddy_hot = 0;
	struct page_types_summary *sum = calloc(1, sizeof(*sum));
	struct page_types_filter f;
	char why[160];

	ASSERT(sum);
	host_mem_init_hotplug(map, 1, 1ULL << SECTION_SIZE_BITS);
	compaction_init();
	migrate_stats_reset();
	hot = pfn_to_section_nr(PHYS_PFN(host_mem_hotplug_base()));
	ASSERT_EQ(hot, 4);
	ASSERT_EQ(add_memory(host_mem_hotplug_base(), 1ULL << SECTION_SIZE_BITS, "test"), 0);
	ASSERT_EQ(online_memory_block(hot, ZONE_MOVABLE), 0);
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	drain_all_pages(NULL);
	ASSERT_EQ(sparse_end_pfn(), (hot + 1) * PAGES_PER_SECTION);
	/* `page-types -b nopage`, as show_page_types() counts it */
	ASSERT_EQ(page_types_parse_filter("nopage", &f, why, sizeof(why)), 0);
	page_types_init(sum, &f);
	for (unsigned long pfn = memmap_start_pfn; pfn < sparse_end_pfn(); pfn++) {
		uint64_t kpf = page_kpageflags(pfn);

		page_types_add(sum, kpf, 1);
		if (kpf & (1ULL << KPF_NOPAGE)) {
			nopage++;
			nopage_blk += pfn >= BS && pfn < BE;
		}
		if (pfn_to_section_nr(pfn) == hot && (kpf & (1ULL << KPF_BUDDY)))
			buddy_hot++;
	}
	EXPECT_EQ(sum->total, PAGES_PER_SECTION);
	EXPECT_EQ(nopage, PAGES_PER_SECTION);
	EXPECT_EQ(nopage_blk, PAGES_PER_SECTION);
	EXPECT_EQ(buddy_hot, PAGES_PER_SECTION);
	/* online again: the block's pages are pages again, all free */
	ASSERT_EQ(online_memory_block(BLK, ZONE_NORMAL), 0);
	drain_all_pages(NULL);
	nopage = 0;
	for (unsigned long pfn = BS; pfn < BE; pfn++)
		nopage += !!(page_kpageflags(pfn) & (1ULL << KPF_NOPAGE));
	EXPECT_EQ(nopage, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	free(sum);
	host_mem_teardown();
}

/* Expect a notifier veto on GOING_OFFLINE to cancel the offline with nothing changed. */
TEST(notifier_veto)
{
	unsigned long free0;
	char why[160];

	setup();
	register_memory_notifier(&rec_nb);
	rec_reset();
	veto_action = MEM_GOING_OFFLINE;
	free0 = free_now();
	EXPECT_EQ(offline_memory_block(BLK, why, sizeof(why)), -EBUSY);
	EXPECT(strstr(why, "notifier") != NULL);
	EXPECT_EQ(seen[MEM_CANCEL_OFFLINE], 1);
	EXPECT(section_online(BLK));
	EXPECT_EQ(free_now(), free0);
	veto_action = MEM_GOING_ONLINE;
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	EXPECT_EQ(online_memory_block(BLK, ZONE_NORMAL), -EBUSY);
	EXPECT_EQ(seen[MEM_CANCEL_ONLINE], 1);
	EXPECT(!section_online(BLK));
	veto_action = -1;
	EXPECT_EQ(online_memory_block(BLK, ZONE_NORMAL), 0);
	EXPECT_EQ(free_now(), free0);
	unregister_memory_notifier(&rec_nb);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect a block full of painted movable pages to go offline with every page migrated out, contents intact. */
TEST(offline_migrates_movable_pages)
{
	struct test_owner o;
	unsigned long s = BS + 1000, n = 20000, free0;
	char why[160];

	setup();
	towner_init(&o, 7);
	free0 = free_now();
	ASSERT_EQ(alloc_contig_range(s, s + n, MIGRATE_MOVABLE, 0), 0);
	for (unsigned long i = 0; i < n; i++)
		towner_adopt(&o, pfn_to_page(s + i), i);
	EXPECT_EQ(owner_pages_in(&o, BS, BE), n);
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	EXPECT_EQ(owner_pages_in(&o, BS, BE), 0);
	EXPECT_EQ(o.nr_owned, n);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT_EQ(o.corrupt, 0);
	EXPECT_EQ(free_now(), free0 - n - PAGES_PER_SECTION);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT(towner_release_all(&o));
	EXPECT_EQ(online_memory_block(BLK, ZONE_NORMAL), 0);
	EXPECT_EQ(free_now(), free0);
	host_mem_teardown();
}

/* Expect a movable page that refuses every migration to fail the offline after the bounded passes, named as pinned, everything restored. */
TEST(offline_pinned_movable_page)
{
	struct test_owner o;
	unsigned long s = BS + 333, free0, blk, count, first;
	char why[160], kind[80];

	setup();
	towner_init(&o, 8);
	ASSERT_EQ(alloc_contig_range(s, s + 3, MIGRATE_MOVABLE, 0), 0);
	for (unsigned long i = 0; i < 3; i++)
		towner_adopt(&o, pfn_to_page(s + i), i);
	o.refuse_isolate = true;
	free0 = free_now();
	EXPECT_EQ(offline_memory_block(BLK, why, sizeof(why)), -EBUSY);
	ASSERT(parse_why(why, &blk, &count, &first, kind, sizeof(kind)));
	EXPECT_EQ(count, 3);
	EXPECT_EQ(first, s);
	EXPECT(!strcmp(kind, "pinned movable page that failed to migrate 10 times"));
	EXPECT(section_online(BLK));
	EXPECT_EQ(free_now(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	o.refuse_isolate = false;
	EXPECT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	EXPECT_EQ(towner_verify(&o), 0);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}

/* Expect unmovable pages to fail the offline with their exact count, first pfn and kind (allocation, slab, page table, reserved, kernel image). */
TEST(offline_unmovable_pages_message)
{
	static const struct { const char *kind; int how; } cases[] = {
		{ "unmovable allocation", 0 }, { "slab", 1 }, { "page table", 2 }, { "reserved", 3 },
	};
	unsigned long blk, count, first, free0;
	char why[160], kind[80];

	setup();
	free0 = free_now();
	for (unsigned int c = 0; c < ARRAY_SIZE(cases); c++) {
		unsigned long s = BS + 2 * pageblock_nr_pages + 37 * c + 5;

		ASSERT_EQ(alloc_contig_range(s, s + 37, MIGRATE_MOVABLE, 0), 0);
		if (cases[c].how == 1)
			__SetPageSlab(pfn_to_page(s));
		if (cases[c].how == 2)
			__SetPageTable(pfn_to_page(s));
		if (cases[c].how == 3)
			__SetPageReserved(pfn_to_page(s));
		EXPECT_EQ(offline_memory_block(BLK, why, sizeof(why)), -EBUSY);
		ASSERT(parse_why(why, &blk, &count, &first, kind, sizeof(kind)));
		EXPECT_EQ(blk, BLK);
		EXPECT_EQ(count, 37);
		EXPECT_EQ(first, s);
		EXPECT(!strcmp(kind, cases[c].kind));
		EXPECT(section_online(BLK));
		EXPECT_EQ(mm_check_invariants(), 0);
		if (cases[c].how == 1)
			__ClearPageSlab(pfn_to_page(s));
		if (cases[c].how == 2)
			__ClearPageTable(pfn_to_page(s));
		if (cases[c].how == 3)
			__ClearPageReserved(pfn_to_page(s));
		free_contig_range(s, 37);
	}
	EXPECT_EQ(free_now(), free0);
	/* the kernel image's block: never offline, never Movable */
	mhp_set_kernel_image(PFN_PHYS(BS + 10), 1 << 20);
	EXPECT_EQ(offline_memory_block(BLK, why, sizeof(why)), -EBUSY);
	EXPECT(strstr(why, "block 2: holds the kernel image") == why);
	EXPECT(section_online(BLK));
	mhp_set_kernel_image(0, 0);
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	mhp_set_kernel_image(PFN_PHYS(BS + 10), 1 << 20);
	EXPECT_EQ(online_memory_block(BLK, ZONE_MOVABLE), -EINVAL);
	EXPECT_EQ(online_memory_block(BLK, ZONE_NORMAL), 0);
	mhp_set_kernel_image(0, 0);
	/* block 0 holds the reserved first MiB */
	EXPECT_EQ(offline_memory_block(0, why, sizeof(why)), -EBUSY);
	ASSERT(parse_why(why, &blk, &count, &first, kind, sizeof(kind)));
	EXPECT_EQ(blk, 0);
	EXPECT_EQ(first, 0);
	EXPECT(!strcmp(kind, "reserved"));
	EXPECT_EQ(free_now(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* ---- balloon pages ---- */

static unsigned long tb_host;	/* pages the "host" holds */

static int tb_migrate(struct balloon_dev_info *b, struct page *newpage, struct page *page,
		      enum migrate_mode mode)
{
	balloon_page_migrate_insert(b, newpage);
	balloon_page_migrate_release(b, page);
	return 0;
}

/* Expect balloon pages (PageMovableOffline, refcounted) in a block to be migrated out by offlining, the balloon consistent. */
TEST(offline_migrates_balloon_pages)
{
	struct balloon_dev_info b;
	unsigned long s = BS + 4000, n = 3000, in = 0, free0;
	struct page *page;
	char why[160];

	setup();
	balloon_devinfo_init(&b, tb_migrate);
	free0 = free_now();
	ASSERT_EQ(alloc_contig_range(s, s + n, MIGRATE_MOVABLE, 0), 0);
	for (unsigned long i = 0; i < n; i++)
		balloon_page_enqueue(&b, pfn_to_page(s + i));
	tb_host = n;
	page = pfn_to_page(s);
	EXPECT(PageMovableOffline(page) && !PageOffline(page) && page_count(page) == 1);
	EXPECT(page_kpageflags(s) & (1ULL << KPF_OFFLINE));
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	list_for_each_entry(page, &b.pages, lru)
		in += page_to_pfn(page) >= BS && page_to_pfn(page) < BE;
	EXPECT_EQ(in, 0);
	EXPECT_EQ(balloon_page_count(&b), n);
	EXPECT_EQ(balloon_check(&b, tb_host), 0);
	EXPECT_EQ(b.migrated, n);
	EXPECT_EQ(free_now(), free0 - n - PAGES_PER_SECTION);
	EXPECT_EQ(mm_check_invariants(), 0);
	while ((page = balloon_page_dequeue(&b)))
		__free_page(page);
	EXPECT_EQ(online_memory_block(BLK, ZONE_NORMAL), 0);
	EXPECT_EQ(free_now(), free0);
	host_mem_teardown();
}

/* Expect zsmalloc pages in a Movable block to be migrated out by offlining, every object intact. */
TEST(offline_migrates_zsmalloc_pages)
{
	enum { N = 6000 };
	static unsigned long h[N];
	struct zs_pool *pool;
	unsigned long free0, in = 0;
	char why[160];
	bool ok = true;

	setup();
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	ASSERT_EQ(online_memory_block(BLK, ZONE_MOVABLE), 0);
	pool = zs_create_pool("hp");
	ASSERT(pool);
	for (int i = 0; i < N; i++) {
		char *p;

		h[i] = zs_malloc(pool, 200 + (i % 7) * 150, GFP_KERNEL);
		ASSERT(h[i]);
		p = zs_map_object(pool, h[i]);
		memset(p, (char)(i * 31 + 1), zs_object_size(pool, h[i]));
		zs_unmap_object(pool, h[i]);
	}
	for (unsigned long pfn = BS; pfn < BE; pfn++)
		in += __PageMovable(pfn_to_page(pfn));
	EXPECT(in > 100);		/* movable allocations went to the Movable block */
	free0 = free_now();
	ASSERT_EQ(offline_memory_block(BLK, why, sizeof(why)), 0);
	/* the block's free pages left, its zspage pages took as many elsewhere */
	EXPECT_EQ(free_now(), free0 - PAGES_PER_SECTION);
	for (int i = 0; i < N; i++) {
		const unsigned char *p = zs_map_object(pool, h[i]);

		for (size_t j = 0; j < zs_object_size(pool, h[i]); j++)
			ok = ok && p[j] == (unsigned char)(i * 31 + 1);
		zs_unmap_object(pool, h[i]);
	}
	EXPECT(ok);
	EXPECT_EQ(mm_check_invariants(), 0);
	for (int i = 0; i < N; i++)
		zs_free(pool, h[i]);
	zs_destroy_pool(pool);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* ---- the randomized differential test ---- */

#define RB_FIRST	1UL
#define RB_LAST		2UL
#define RMAX		4096

struct rmodel {
	int state[4];			/* -1 offline, else zone */
	struct page *unmov[RMAX];	/* unmovable pages we hold */
	unsigned long nunmov;
};

/* Unmovable pages of the model in block @b. */
static unsigned long model_unmov_in(struct rmodel *m, unsigned long b)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < m->nunmov; i++)
		n += pfn_to_section_nr(page_to_pfn(m->unmov[i])) == b;
	return n;
}

/*
 * Expect random online/offline/alloc/free steps to agree with a simple
 * model: an offline succeeds exactly when the model's block holds none of
 * our unmovable pages (movable ones are migrated), a Movable block never
 * gets one, free + held pages equal the managed pages, the allocator's
 * invariants hold and movable contents survive, after every step.
 */
TEST(random_differential)
{
	struct rmodel m;
	struct test_owner o;
	unsigned long steps = htest_iters(400), idx = 0, used0 = 0;
	char why[160];

	setup();
	towner_init(&o, 9);
	memset(&m, 0, sizeof(m));
	for (int b = 0; b < 4; b++)
		m.state[b] = section_online(b) ? mem_sections[b].zone : -1;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		used0 += zones[z].managed_pages;
	used0 -= free_now();		/* pages in use before the test: constant */
	for (unsigned long st = 0; st < steps; st++) {
		unsigned int op = htest_rand() % 6;
		unsigned long b = RB_FIRST + htest_rand() % (RB_LAST - RB_FIRST + 1);
		unsigned long managed = 0, held;

		if (op == 0 && m.state[b] >= 0) {
			bool expect_ok = model_unmov_in(&m, b) == 0;
			int r = offline_memory_block(b, why, sizeof(why));

			EXPECT_EQ(r == 0, expect_ok);
			if (r == 0)
				m.state[b] = -1;
			else
				EXPECT(strstr(why, "unmovable allocation") != NULL);
		} else if (op == 1 && m.state[b] < 0) {
			enum zone_type z = (htest_rand() & 1) ? ZONE_MOVABLE : ZONE_NORMAL;

			ASSERT_EQ(online_memory_block(b, z), 0);
			m.state[b] = z == ZONE_MOVABLE ? ZONE_MOVABLE : ZONE_DMA32;
		} else if (op == 2 && m.nunmov < RMAX) {
			for (int k = 0; k < 64 && m.nunmov < RMAX; k++) {
				struct page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN);

				if (!p)
					break;
				m.unmov[m.nunmov++] = p;
			}
		} else if (op == 3 && m.nunmov) {
			for (int k = 0; k < 64 && m.nunmov; k++) {
				unsigned long i = htest_rand() % m.nunmov;

				__free_page(m.unmov[i]);
				m.unmov[i] = m.unmov[--m.nunmov];
			}
		} else if (op == 4 && o.nr_owned < 16384) {
			for (int k = 0; k < 256; k++)
				if (!towner_alloc(&o, GFP_HIGHUSER_MOVABLE, idx++))
					break;
		} else if (op == 5) {
			for (int k = 0; k < 256 && !list_empty(&o.pages); k++)
				towner_release(&o, list_first_entry(&o.pages, struct page, lru));
		}
		/* invariants */
		for (unsigned long bb = RB_FIRST; bb <= RB_LAST; bb++) {
			EXPECT_EQ(section_online(bb), m.state[bb] >= 0);
			if (m.state[bb] >= 0)
				EXPECT_EQ(mem_sections[bb].zone, m.state[bb]);
			if (m.state[bb] == ZONE_MOVABLE)
				EXPECT_EQ(model_unmov_in(&m, bb), 0);
		}
		for (int z = 0; z < MAX_NR_ZONES; z++)
			managed += zones[z].managed_pages;
		held = m.nunmov + o.nr_owned;
		EXPECT_EQ(managed - free_now(), used0 + held);
		EXPECT_EQ(towner_verify(&o), 0);
		EXPECT_EQ(mm_check_invariants(), 0);
	}
	while (m.nunmov)
		__free_page(m.unmov[--m.nunmov]);
	EXPECT(towner_release_all(&o));
	host_mem_teardown();
}
