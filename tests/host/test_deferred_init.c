/*
 * test_deferred_init.c - deferred memmap init (mm/deferred_init.c) on a
 * simulated memory map.
 *
 * Each test brings up the allocator on a 1 GiB PC-like map (RAM below
 * 640 KiB and from 1 MiB, eight 128 MiB sections) or a 5 GiB one with a
 * hole below 4 GiB, with deferral on: boot initialises the first 8 MiB
 * and defers the rest of section 0 and every other section. The tests
 * play the background (deferred_init_run_one(), the work items' body),
 * the allocator that needs more (alloc_pages through the slow path's
 * hook) and a walker that forces one section (deferred_init_section()),
 * and compare the end state with a boot that deferred nothing: the same
 * present, managed, free and reserved page counts, the same watermarks,
 * and mm_check_invariants() clean.
 */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/deferred_init.h>
#include <mm/memory_hotplug.h>
#include <mm/page_alloc.h>
#include <mm/gfp.h>
#include <mm/sparse.h>
#include <mm/mmzone.h>
#include <mm/kpageflags.h>
#include <mm/mm_show.h>
#include <string.h>
#include <errno.h>

#define MIB_PFN(mb)	((unsigned long)(mb) << (20 - PAGE_SHIFT))

/* The counts a finished boot is judged by. */
struct counts {
	unsigned long present, managed, free, freed_at_init, reserved_at_init;
	unsigned long wmark_low[MAX_NR_ZONES];
	unsigned long pg_reserved;	/* PG_reserved struct pages of online sections */
};

/* PG_reserved pages among the online pfns of every zone span. */
static unsigned long count_pg_reserved(void)
{
	unsigned long n = 0, lo = ~0UL, hi = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		if (!zones[z].spanned_pages)
			continue;
		lo = MIN(lo, zones[z].zone_start_pfn);
		hi = MAX(hi, zone_end_pfn(&zones[z]));
	}
	for (unsigned long pfn = lo; pfn < hi; pfn++) {
		struct page *p = pfn_to_online_page(pfn);

		if (p && PageReserved(p))
			n++;
	}
	return n;
}

static void take_counts(struct counts *c)
{
	memset(c, 0, sizeof(*c));
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		c->present += zones[z].present_pages;
		c->wmark_low[z] = low_wmark_pages(&zones[z]);
	}
	c->managed = totalram_pages();
	c->free = nr_free_pages();
	c->freed_at_init = mm_init_stats.freed_pages;
	c->reserved_at_init = mm_init_stats.reserved_pages;
	c->pg_reserved = count_pg_reserved();
}

static void expect_same_counts(const struct counts *a, const struct counts *b)
{
	EXPECT_EQ(a->present, b->present);
	EXPECT_EQ(a->managed, b->managed);
	EXPECT_EQ(a->free, b->free);
	EXPECT_EQ(a->freed_at_init, b->freed_at_init);
	EXPECT_EQ(a->reserved_at_init, b->reserved_at_init);
	EXPECT_EQ(a->pg_reserved, b->pg_reserved);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		EXPECT_EQ(a->wmark_low[z], b->wmark_low[z]);
}

static const struct e820_entry map5g[] = {
	{ 0, 640UL << 10, E820_RAM },
	{ 640UL << 10, (1UL << 20) - (640UL << 10), E820_RESERVED },
	{ 1UL << 20, (3UL << 30) - (1UL << 20), E820_RAM },
	{ 4UL << 30, 1UL << 30, E820_RAM },
};

/* Boot @mb MiB (0: the 5 GiB map) with deferral @on; the counts of a boot that deferred nothing. */
static void boot(unsigned long mb, bool on, struct counts *full)
{
	if (full) {
		deferred_init_set_enabled(false);
		if (mb)
			host_mem_init_mb(mb);
		else
			host_mem_init(map5g, 4);
		take_counts(full);
		host_mem_teardown();
	}
	deferred_init_set_enabled(on);
	if (mb)
		host_mem_init_mb(mb);
	else
		host_mem_init(map5g, 4);
	deferred_init_begin(0);
}

static void done(void)
{
	host_mem_teardown();
	deferred_init_reset_for_test();
}

/*
 * Expect boot to initialise only the first 8 MiB: 8 sections pending
 * (section 0's remainder and sections 1-7), managed pages below 8 MiB,
 * SECTION_DEFERRED on each, and pfn_to_online_page() NULL for every
 * deferred pfn (section 0 above 8 MiB included) but not below 8 MiB.
 */
TEST(deferred_boot_is_partial)
{
	boot(1024, true, NULL);
	EXPECT_EQ(deferred_init_stats.sections, 8);
	EXPECT_EQ(deferred_sections_pending(), 8);
	EXPECT_EQ(deferred_init_stats.boot_end_pfn, MIB_PFN(DEFERRED_BOOT_MB));
	EXPECT_EQ(deferred_init_stats.pages, MIB_PFN(1024 - DEFERRED_BOOT_MB));
	EXPECT(totalram_pages() < MIB_PFN(DEFERRED_BOOT_MB));
	EXPECT(totalram_pages() > MIB_PFN(DEFERRED_BOOT_MB - 4));
	EXPECT_EQ(deferred_pending_pages(), MIB_PFN(1024 - DEFERRED_BOOT_MB));
	for (unsigned long nr = 0; nr < 8; nr++)
		EXPECT(mem_sections[nr].state & SECTION_DEFERRED);
	EXPECT(pfn_to_online_page(MIB_PFN(2)) != NULL);
	EXPECT(pfn_to_online_page(MIB_PFN(DEFERRED_BOOT_MB) - 1) != NULL);
	EXPECT(pfn_to_online_page(MIB_PFN(DEFERRED_BOOT_MB)) == NULL);
	EXPECT(pfn_to_online_page(MIB_PFN(127)) == NULL);
	EXPECT(pfn_to_online_page(MIB_PFN(300)) == NULL);
	EXPECT(pfn_valid(MIB_PFN(300)));		/* the memmap exists, unwritten */
	EXPECT_EQ(mm_check_invariants(), 0);
	done();
}

/* page-types' census of [memmap_start_pfn, sparse_end_pfn()) (the shell's default range). */
static void kpf_census(unsigned long *nopage, unsigned long *buddy)
{
	*nopage = *buddy = 0;
	for (unsigned long pfn = memmap_start_pfn; pfn < sparse_end_pfn(); pfn++) {
		uint64_t f = page_kpageflags(pfn);

		*nopage += !!(f & (1ULL << KPF_NOPAGE));
		*buddy += !!(f & (1ULL << KPF_BUDDY));
	}
}

/*
 * Expect kpageflags to say NOPAGE for exactly the deferred pfns (their
 * memmap is unwritten: zeros, not pages), BUDDY for exactly the free
 * pages, and, once one section is initialised, its pfns to become pages.
 */
TEST(kpageflags_nopage_while_deferred)
{
	unsigned long nopage, buddy, pending;

	boot(1024, true, NULL);
	drain_all_pages(NULL);
	ASSERT_EQ(sparse_end_pfn(), MIB_PFN(1024));
	pending = deferred_pending_pages();
	ASSERT_EQ(pending, MIB_PFN(1024 - DEFERRED_BOOT_MB));
	kpf_census(&nopage, &buddy);
	EXPECT_EQ(nopage, pending);
	EXPECT_EQ(buddy, nr_free_pages());
	ASSERT(deferred_init_run_one());
	drain_all_pages(NULL);
	kpf_census(&nopage, &buddy);
	EXPECT_EQ(nopage, deferred_pending_pages());
	EXPECT_EQ(nopage, MIB_PFN(1024) - PAGES_PER_SECTION);
	EXPECT_EQ(buddy, nr_free_pages());
	done();
}

/*
 * Expect the background to take the sections one at a time, lowest first,
 * to raise the watermarks as the zones grow (DMA32 has none before the
 * first part, which brings it its first pages), to finish after exactly
 * 8, and the end state to equal a boot that deferred nothing (counts,
 * watermarks, invariants).
 */
TEST(deferred_background_completes_exactly)
{
	struct counts full, got;
	unsigned long runs = 0, low = 0;

	boot(1024, true, &full);
	EXPECT_EQ(low_wmark_pages(&zones[ZONE_DMA32]), 0);
	while (deferred_init_run_one()) {
		runs++;
		EXPECT(low_wmark_pages(&zones[ZONE_DMA32]) > low);
		low = low_wmark_pages(&zones[ZONE_DMA32]);
		EXPECT_EQ(deferred_sections_pending(), 8 - runs);
		EXPECT(!(mem_sections[runs - 1].state & SECTION_DEFERRED));
		if (runs < 8)
			EXPECT(mem_sections[runs].state & SECTION_DEFERRED);
		EXPECT_EQ(mm_check_invariants(), 0);
	}
	EXPECT_EQ(runs, 8);
	EXPECT_EQ(deferred_init_stats.done, 8);
	EXPECT_EQ(deferred_init_stats.by_background, 8);
	EXPECT(deferred_init_stats.end_tsc != 0);
	EXPECT_EQ(deferred_pending_pages(), 0);
	EXPECT(pfn_to_online_page(MIB_PFN(300)) != NULL);
	take_counts(&got);
	expect_same_counts(&got, &full);
	EXPECT_EQ(mm_check_invariants(), 0);
	done();
}

/*
 * Expect allocations that need more than boot initialised to grow the
 * zone on demand (no background at all): 64 order-9 blocks (128 MiB,
 * far more than boot freed) all succeed, sections are initialised by
 * demand only, and as few as needed (not all 8); after freeing them and
 * finishing, the counts equal a full boot's.
 */
TEST(deferred_grow_on_demand)
{
	struct counts full, got;
	struct page *blk[64];
	unsigned long pending0;

	boot(1024, true, &full);
	pending0 = deferred_sections_pending();
	for (int i = 0; i < 64; i++) {
		blk[i] = alloc_pages(GFP_KERNEL, 9);
		ASSERT(blk[i] != NULL);
	}
	EXPECT(deferred_init_stats.by_demand >= 1);
	EXPECT_EQ(deferred_init_stats.by_background, 0);
	EXPECT(deferred_sections_pending() < pending0);
	EXPECT(deferred_sections_pending() > 0);		/* only what was needed */
	EXPECT_EQ(mm_check_invariants(), 0);
	for (int i = 0; i < 64; i++)
		__free_pages(blk[i], 9);
	while (deferred_init_run_one())
		;
	take_counts(&got);
	expect_same_counts(&got, &full);
	EXPECT_EQ(mm_check_invariants(), 0);
	done();
}

/*
 * Expect order-0 allocations that drain boot's memory below the low
 * watermark to grow on demand before they would fail: allocate twice
 * the boot memory page by page, every allocation succeeds.
 */
TEST(deferred_grow_on_demand_order0)
{
	static struct page *pages[2 * (DEFERRED_BOOT_MB << 8)];
	unsigned long n = ARRAY_SIZE(pages);

	boot(1024, true, NULL);
	for (unsigned long i = 0; i < n; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, 0);
		ASSERT(pages[i] != NULL);
	}
	EXPECT(deferred_init_stats.by_demand >= 1);
	EXPECT_EQ(mm_check_invariants(), 0);
	for (unsigned long i = 0; i < n; i++)
		__free_pages(pages[i], 0);
	deferred_init_wait();
	EXPECT_EQ(deferred_sections_pending(), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	done();
}

/*
 * Expect deferred_init_section(5) to initialise section 5 alone (online
 * to walkers, its pages in the buddy, counted as forced), a second call
 * to do nothing, and the other sections to stay deferred.
 */
TEST(deferred_force_one_section)
{
	unsigned long managed0;

	boot(1024, true, NULL);
	managed0 = totalram_pages();
	deferred_init_section(5);
	EXPECT_EQ(deferred_init_stats.by_force, 1);
	EXPECT_EQ(deferred_sections_pending(), 7);
	EXPECT(!(mem_sections[5].state & SECTION_DEFERRED));
	EXPECT(mem_sections[4].state & SECTION_DEFERRED);
	EXPECT(mem_sections[6].state & SECTION_DEFERRED);
	EXPECT(pfn_to_online_page(section_nr_to_pfn(5) + 77) != NULL);
	EXPECT(pfn_to_online_page(section_nr_to_pfn(4) + 77) == NULL);
	EXPECT_EQ(totalram_pages() - managed0, PAGES_PER_SECTION);
	deferred_init_section(5);
	EXPECT_EQ(deferred_init_stats.by_force, 1);
	EXPECT_EQ(totalram_pages() - managed0, PAGES_PER_SECTION);
	deferred_init_section(0);		/* section 0's remainder */
	EXPECT(pfn_to_online_page(MIB_PFN(100)) != NULL);
	EXPECT_EQ(mm_check_invariants(), 0);
	done();
}

/*
 * Expect the 5 GiB map with a hole to defer every section with RAM (24
 * below 4 GiB: section 0's remainder and sections 1-23; 8 above), a DMA32-only
 * allocation to grow only DMA32 sections, and completion to match a full
 * boot of the same map.
 */
TEST(deferred_zones_and_holes)
{
	struct counts full, got;
	struct page *blk[64];
	unsigned long n;

	boot(0, true, &full);
	EXPECT_EQ(deferred_init_stats.sections, 24 + 8);
	for (n = 0; n < ARRAY_SIZE(blk) && !deferred_init_stats.by_demand; n++) {
		blk[n] = alloc_pages(GFP_KERNEL | __GFP_DMA32, MAX_ORDER);
		ASSERT(blk[n] != NULL);
		EXPECT(page_to_pfn(blk[n]) < MIB_PFN(4096));
	}
	EXPECT(deferred_init_stats.by_demand >= 1);
	for (unsigned long nr = pfn_to_section_nr(MIB_PFN(4096)); nr < pfn_to_section_nr(MIB_PFN(5120)); nr++)
		EXPECT(mem_sections[nr].state & SECTION_DEFERRED);
	for (unsigned long i = 0; i < n; i++)
		__free_pages(blk[i], MAX_ORDER);
	deferred_init_wait();
	take_counts(&got);
	expect_same_counts(&got, &full);
	EXPECT_EQ(mm_check_invariants(), 0);
	done();
}

/* Expect deferred_init=off to defer nothing and the option parser to refuse junk. */
TEST(deferred_off_defers_nothing)
{
	struct counts full, got;

	EXPECT_EQ(deferred_init_parse("maybe"), -EINVAL);
	EXPECT_EQ(deferred_init_parse("off"), 0);
	EXPECT(!deferred_init_enabled());
	EXPECT_EQ(deferred_init_parse("on"), 0);
	EXPECT(deferred_init_enabled());
	boot(1024, false, &full);
	EXPECT_EQ(deferred_init_stats.sections, 0);
	EXPECT_EQ(deferred_sections_pending(), 0);
	EXPECT(!deferred_init_run_one());
	take_counts(&got);
	expect_same_counts(&got, &full);
	done();
}

/*
 * Expect offlining a block whose memmap is still deferred to initialise it
 * first and then succeed (a deferred section is online, only unwritten:
 * the old offline_pages() refused it as "not online"), and onlining it
 * back to give the same free count as before, with invariants intact.
 */
TEST(deferred_block_offline_and_online)
{
	char why[160] = "";
	unsigned long free_before;

	boot(1024, true, NULL);
	ASSERT(mem_sections[5].state & SECTION_DEFERRED);
	EXPECT_EQ(offline_memory_block(5, why, sizeof(why)), 0);
	if (why[0])
		printf("# offline said: %s\n", why);
	EXPECT(!(mem_sections[5].state & SECTION_DEFERRED));
	EXPECT(pfn_to_online_page(section_nr_to_pfn(5)) == NULL);
	free_before = nr_free_pages();
	EXPECT_EQ(online_memory_block(5, ZONE_NORMAL), 0);
	EXPECT_EQ(nr_free_pages(), free_before + PAGES_PER_SECTION);
	EXPECT(pfn_to_online_page(section_nr_to_pfn(5)) != NULL);
	EXPECT_EQ(mm_check_invariants(), 0);
	done();
}
