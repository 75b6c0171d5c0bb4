/*
 * test_sparse.c - the section memory model (mm/sparse.c, mm/memmap.c) on
 * simulated memory maps: which sections exist, pfn_valid(), holes as
 * reserved pages, zones from the sections' zone bytes, movablecore= and
 * a movable-only ZONE_MOVABLE, hot-add and hot-remove of sections above
 * boot RAM. Every count is exact; the invariants are checked after each
 * step.
 */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/page_alloc.h>
#include <mm/memory_hotplug.h>
#include <string.h>
#include <mm/gfp.h>
#include <mm/compaction.h>
#include <mm/page_isolation.h>
#include <mm/fault_inject.h>
#include <errno.h>
#include <mm/mm_show.h>
#include <mm/kpageflags.h>
#include "support/host_smp.h"
#include <pthread.h>
#include <sched.h>
#include <time.h>

#define SEC_BYTES	(1ULL << SECTION_SIZE_BITS)
#define GiB		(1ULL << 30)
#define MiB		(1ULL << 20)

/* Number of pfns in [s, e) that are valid and PG_reserved with refcount 1. */
static unsigned long count_reserved(unsigned long s, unsigned long e)
{
	unsigned long n = 0;

	for (unsigned long pfn = s; pfn < e; pfn++)
		if (pfn_valid(pfn) && PageReserved(pfn_to_page(pfn)) && page_ref_count(pfn_to_page(pfn)) == 1)
			n++;
	return n;
}

/* Expect a PC layout with a PCI gap, memory above 4 GiB and a one-page section to give exactly its sections. */
TEST(sections_on_pc_layout)
{
	struct e820_entry map[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x100000, 3 * GiB - 0x100000, E820_RAM },		/* 1 MiB .. 3 GiB */
		{ 3 * GiB, 1 * GiB, E820_RESERVED },			/* PCI gap */
		{ 4 * GiB, 2 * GiB, E820_RAM },				/* 4 .. 6 GiB */
		{ 6 * GiB + SEC_BYTES, 0x1000, E820_RAM },		/* one page in section 49 */
	};
	unsigned long one = PHYS_PFN(6 * GiB + SEC_BYTES);

	host_mem_init(map, 5);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* 24 below the gap, 16 above 4 GiB, the one-page section */
	EXPECT_EQ(nr_present_sections(), 41);
	EXPECT_EQ(nr_online_sections(), 41);
	EXPECT(pfn_valid(PHYS_PFN(3 * GiB) - 1));
	EXPECT(!pfn_valid(PHYS_PFN(3 * GiB)));
	EXPECT(!pfn_valid(PHYS_PFN(4 * GiB) - 1));
	EXPECT(pfn_valid(PHYS_PFN(4 * GiB)));
	EXPECT(!pfn_valid(PHYS_PFN(6 * GiB)));			/* section 48: no RAM */
	EXPECT_EQ(mem_sections[48].state, 0);
	EXPECT_EQ(mem_sections[24].state, 0);
	EXPECT_EQ(mem_sections[0].state, SECTION_PRESENT | SECTION_HAS_MEMMAP | SECTION_ONLINE | SECTION_BOOT);
	EXPECT_EQ(mem_sections[49].state, SECTION_PRESENT | SECTION_HAS_MEMMAP | SECTION_ONLINE | SECTION_BOOT);
	EXPECT_EQ(mem_sections[10].zone, ZONE_DMA32);
	EXPECT_EQ(mem_sections[40].zone, ZONE_NORMAL);
	EXPECT_EQ(mem_sections[49].zone, ZONE_NORMAL);
	/* the one-page section: its page free, the other 32767 reserved holes */
	EXPECT(pfn_valid(one + PAGES_PER_SECTION - 1));
	EXPECT(!PageReserved(pfn_to_page(one)));
	EXPECT_EQ(count_reserved(one, one + PAGES_PER_SECTION), PAGES_PER_SECTION - 1);
	EXPECT_EQ(zones[ZONE_NORMAL].present_pages, 0x80000 + 1);
	EXPECT_EQ(zones[ZONE_DMA32].present_pages, 0xc0000 - 0x1000);
	EXPECT_EQ(zones[ZONE_DMA].present_pages, 0x9f + (0x1000 - 0x100));
	EXPECT_EQ(zones[ZONE_MOVABLE].present_pages, 0);
	/* zones by section; DMA by address */
	EXPECT_EQ(page_zonenum(pfn_to_page(0xfff)), ZONE_DMA);
	EXPECT_EQ(page_zonenum(pfn_to_page(0x1000)), ZONE_DMA32);
	EXPECT_EQ(page_zonenum(pfn_to_page(one)), ZONE_NORMAL);
	EXPECT(pfn_to_online_page(one) == pfn_to_page(one));
	EXPECT(pfn_to_online_page(PHYS_PFN(3 * GiB)) == NULL);
	/* pfn_to_page/page_to_pfn round-trip in every present section */
	for (unsigned long nr = 0; nr < 64; nr++) {
		unsigned long pfn = section_nr_to_pfn(nr) + 12345;

		if (section_has_memmap(nr))
			EXPECT_EQ(page_to_pfn(pfn_to_page(pfn)), pfn);
	}
	/* the memmap: 41 sections of 2 MiB */
	EXPECT_EQ(mm_init_stats.memmap_bytes, 41 * 2 * MiB);
	host_mem_teardown();
}

/* Expect movablecore= to parse sizes and percentages and refuse bad values with -EINVAL. */
TEST(movablecore_parsing)
{
	static const char * const bad[] = { "", "abc", "0", "0%", "100%", "12Q", "-5M", "5%%", "1G5", "%" };

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (movablecore_parse(bad[i]) != -EINVAL)
			printf("# accepted bad movablecore '%s'\n", bad[i]);
		EXPECT_EQ(movablecore_parse(bad[i]), -EINVAL);
	}
	EXPECT_EQ(movablecore_parse("256M"), 0);
	EXPECT_EQ(movablecore_parse("1G"), 0);
	EXPECT_EQ(movablecore_parse("25%"), 0);
	EXPECT_EQ(movablecore_parse("134217728"), 0);
	movablecore_reset();
}

/* A 1 GiB machine: [1 MiB, 1 GiB) of RAM. */
static void init_1g(const char *movablecore)
{
	static const struct e820_entry map[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x100000, GiB - 0x100000, E820_RAM },
	};

	host_mem_teardown();	/* a failed test may have left memory up: parse after its reset */
	if (movablecore)
		ASSERT_EQ(movablecore_parse(movablecore), 0);
	host_mem_init(map, 2);
}

/* Expect movablecore=256M to put exactly the top two sections in ZONE_MOVABLE, and only movable allocations there. */
TEST(movablecore_size_zone_movable)
{
	unsigned long mfree, n = 0;
	struct page *p;

	init_1g("256M");
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(zones[ZONE_MOVABLE].present_pages, 2 * PAGES_PER_SECTION);
	EXPECT_EQ(zones[ZONE_MOVABLE].managed_pages, 2 * PAGES_PER_SECTION);
	EXPECT_EQ(zones[ZONE_MOVABLE].zone_start_pfn, PHYS_PFN(768 * MiB));
	EXPECT_EQ(zones[ZONE_MOVABLE].spanned_pages, 2 * PAGES_PER_SECTION);
	EXPECT_EQ(zone_end_pfn(&zones[ZONE_DMA32]), PHYS_PFN(768 * MiB));
	EXPECT_EQ(mem_sections[6].zone, ZONE_MOVABLE);
	EXPECT_EQ(mem_sections[5].zone, ZONE_DMA32);
	/* the memmap was allocated below Movable */
	EXPECT(mem_sections[0].memmap_phys < 768 * MiB);
	/* movable allocations prefer Movable */
	p = alloc_page(GFP_HIGHUSER_MOVABLE);
	ASSERT(p);
	EXPECT_EQ(page_zonenum(p), ZONE_MOVABLE);
	__free_page(p);
	/* unmovable allocations never land there, even with every other zone empty */
	drain_all_pages(NULL);
	mfree = zone_page_free(&zones[ZONE_MOVABLE]);
	EXPECT_EQ(mfree, 2 * PAGES_PER_SECTION);
	while ((p = alloc_page(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY)) != NULL) {
		if (page_zonenum(p) == ZONE_MOVABLE)
			n++;
	}
	EXPECT_EQ(n, 0);
	drain_all_pages(NULL);
	EXPECT_EQ(zone_page_free(&zones[ZONE_MOVABLE]), mfree);
	/* ... while a movable one still gets memory there */
	p = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
	ASSERT(p);
	EXPECT_EQ(page_zonenum(p), ZONE_MOVABLE);
	host_mem_teardown();
}

/* Expect movablecore=25% of 1 GiB to give two sections, and a size beyond memory to keep the kernel's section. */
TEST(movablecore_percent_and_too_big)
{
	init_1g("25%");
	/* 25% of 1023.6 MiB of RAM: 255.9 MiB, rounded up to whole sections */
	EXPECT_EQ(zones[ZONE_MOVABLE].present_pages, 2 * PAGES_PER_SECTION);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
	init_1g("64G");
	/* sections 1..7 (section 0 holds the reserved first MiB and the memmap) */
	EXPECT_EQ(zones[ZONE_MOVABLE].present_pages, 7 * PAGES_PER_SECTION);
	EXPECT_EQ(mem_sections[0].zone, ZONE_DMA32);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
	init_1g(NULL);
	EXPECT_EQ(zones[ZONE_MOVABLE].present_pages, 0);
	host_mem_teardown();
}

/* Expect add_memory() to make offline reserved sections from buddy memory, and remove_memory() to undo it exactly. */
TEST(hot_add_and_remove)
{
	static const struct e820_entry map[] = {
		{ 0x100000, 512 * MiB - 0x100000, E820_RAM },
	};
	unsigned long free0, base_pfn, nr;
	uint64_t base;

	host_mem_init_hotplug(map, 1, 512 * MiB);
	base = host_mem_hotplug_base();
	EXPECT_EQ(base, 512 * MiB);
	base_pfn = PHYS_PFN(base);
	nr = pfn_to_section_nr(base_pfn);
	drain_all_pages(NULL);
	free0 = nr_free_pages();
	/* bad ranges */
	EXPECT_EQ(add_memory(base + 4096, SEC_BYTES, "test"), -EINVAL);
	EXPECT_EQ(add_memory(base, SEC_BYTES / 2, "test"), -EINVAL);
	EXPECT_EQ(add_memory(base, 0, "test"), -EINVAL);
	EXPECT_EQ(add_memory(0, SEC_BYTES, "test"), -EINVAL);			/* boot memory */
	EXPECT_EQ(add_memory(1ULL << MAX_PHYSMEM_BITS, SEC_BYTES, "test"), -EINVAL);
	EXPECT_EQ(add_memory(base, 8 * SEC_BYTES, "test"), -EINVAL);		/* beyond the buffer */
	EXPECT_EQ(nr_present_sections(), 4);
	/* two sections */
	ASSERT_EQ(add_memory(base, 2 * SEC_BYTES, "test"), 0);
	EXPECT_EQ(nr_present_sections(), 6);
	EXPECT_EQ(nr_online_sections(), 4);
	EXPECT_EQ(mem_sections[nr].state, SECTION_PRESENT | SECTION_HAS_MEMMAP);
	EXPECT_EQ(mem_sections[nr + 1].state, SECTION_PRESENT | SECTION_HAS_MEMMAP);
	EXPECT_EQ(mem_sections[nr].zone, SECTION_NO_ZONE);
	EXPECT(!strcmp(section_owner_name(nr), "test"));
	EXPECT(!strcmp(section_owner_name(0), "boot"));
	EXPECT_EQ(host_direct_map_adds, 1);
	/* the memmap came from the buddy (1024 pages), not from the added range */
	drain_all_pages(NULL);
	EXPECT_EQ(free0 - nr_free_pages(), 2 * 512);
	EXPECT(mem_sections[nr].memmap_phys < base);
	EXPECT_EQ(page_ref_count(pfn_to_page(PHYS_PFN(mem_sections[nr].memmap_phys))), 1);
	EXPECT(!PageBuddy(pfn_to_page(PHYS_PFN(mem_sections[nr].memmap_phys))));
	EXPECT_EQ(count_reserved(base_pfn, base_pfn + 2 * PAGES_PER_SECTION), 2 * PAGES_PER_SECTION);
	EXPECT(pfn_to_online_page(base_pfn) == NULL);
	EXPECT_EQ(page_to_pfn(pfn_to_page(base_pfn + 777)), base_pfn + 777);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* overlapping an added section */
	EXPECT_EQ(add_memory(base + SEC_BYTES, SEC_BYTES, "again"), -EINVAL);
	/* online one into Movable (what online_pages() does with the zone) */
	zone_add_section(&zones[ZONE_MOVABLE], nr + 1);
	EXPECT_EQ(zones[ZONE_MOVABLE].present_pages, PAGES_PER_SECTION);
	EXPECT_EQ(zones[ZONE_MOVABLE].zone_start_pfn, base_pfn + PAGES_PER_SECTION);
	EXPECT_EQ(zones[ZONE_MOVABLE].spanned_pages, PAGES_PER_SECTION);
	EXPECT_EQ(page_zonenum(pfn_to_page(base_pfn + PAGES_PER_SECTION)), ZONE_MOVABLE);
	EXPECT(pfn_to_online_page(base_pfn + PAGES_PER_SECTION) != NULL);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(remove_memory(base, 2 * SEC_BYTES), -EBUSY);
	EXPECT_EQ(nr_present_sections(), 6);
	EXPECT_EQ(remove_memory(0, SEC_BYTES), -EINVAL);			/* boot memory */
	zone_remove_section(&zones[ZONE_MOVABLE], nr + 1);
	EXPECT_EQ(zones[ZONE_MOVABLE].present_pages, 0);
	EXPECT_EQ(zones[ZONE_MOVABLE].spanned_pages, 0);
	/* remove: memmap back to the buddy, sections absent, direct map removed */
	EXPECT_EQ(remove_memory(base, 2 * SEC_BYTES), 0);
	EXPECT_EQ(host_direct_map_removes, 1);
	EXPECT_EQ(nr_present_sections(), 4);
	EXPECT(!pfn_valid(base_pfn));
	EXPECT_EQ(mem_sections[nr].state, 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(remove_memory(base, SEC_BYTES), -EINVAL);			/* absent now */
	/* and again: the same range can come back */
	ASSERT_EQ(add_memory(base, SEC_BYTES, "test"), 0);
	EXPECT_EQ(count_reserved(base_pfn, base_pfn + PAGES_PER_SECTION), PAGES_PER_SECTION);
	EXPECT_EQ(remove_memory(base, SEC_BYTES), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/*
 * Expect zones that interleave (hot-added DMA32 sections above boot's
 * Movable ones, so Movable lies inside DMA32's span) to keep the checker,
 * the pageblock walker, compaction and alloc_contig_pages() to their own
 * zone's sections.
 */
TEST(interleaved_zones_walkers)
{
	static const struct e820_entry map[] = {
		{ 0x100000, GiB - 0x100000, E820_RAM },
	};
	unsigned long mpfn = PHYS_PFN(768 * MiB), hpfn = PHYS_PFN(GiB), pfn;
	struct compact_stats st;

	ASSERT_EQ(movablecore_parse("256M"), 0);
	host_mem_init_hotplug(map, 1, 256 * MiB);
	ASSERT_EQ(add_memory(GiB, 2 * SEC_BYTES, "test"), 0);
	zone_add_section(&zones[ZONE_DMA32], pfn_to_section_nr(hpfn));
	zone_add_section(&zones[ZONE_DMA32], pfn_to_section_nr(hpfn) + 1);
	EXPECT_EQ(zone_end_pfn(&zones[ZONE_DMA32]), hpfn + 2 * PAGES_PER_SECTION);
	EXPECT(zone_spans_pfn(&zones[ZONE_DMA32], mpfn));
	EXPECT(!zone_has_pfn(&zones[ZONE_DMA32], mpfn));
	EXPECT(zone_has_pfn(&zones[ZONE_MOVABLE], mpfn));
	EXPECT(zone_has_pfn(&zones[ZONE_DMA32], hpfn));
	EXPECT_EQ(zones[ZONE_DMA32].present_pages, PHYS_PFN(768 * MiB) - 0x1000 + 2 * PAGES_PER_SECTION);
	EXPECT(pageblock_pfn_to_page(mpfn, mpfn + pageblock_nr_pages, &zones[ZONE_DMA32]) == NULL);
	EXPECT(pageblock_pfn_to_page(mpfn, mpfn + pageblock_nr_pages, &zones[ZONE_MOVABLE]) == pfn_to_page(mpfn));
	EXPECT_EQ(mm_check_invariants(), 0);
	/* a non-movable contiguous allocation never comes from the Movable sections */
	for (int i = 0; i < 8; i++) {
		pfn = alloc_contig_pages(pageblock_order, GFP_KERNEL | __GFP_NOWARN);
		ASSERT(pfn);
		EXPECT(page_zonenum(pfn_to_page(pfn)) != ZONE_MOVABLE);
	}
	memset(&st, 0, sizeof(st));
	compact_all(&st);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect the checker to find a broken section table: a free page in an offline section, a wrong present count, a zone byte while offline. */
TEST(mm_check_sees_bad_sections)
{
	static const struct e820_entry map[] = {
		{ 0x100000, 256 * MiB - 0x100000, E820_RAM },
	};
	unsigned long nr = pfn_to_section_nr(PHYS_PFN(256 * MiB));
	struct page *p;

	host_mem_init_hotplug(map, 1, SEC_BYTES);
	ASSERT_EQ(add_memory(256 * MiB, SEC_BYTES, "test"), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	p = pfn_to_page(PHYS_PFN(256 * MiB) + 100);
	p->page_type = PGTY_BUDDY;
	EXPECT_EQ(mm_check_invariants(), 1);
	p->page_type = PGTY_NONE;
	zones[ZONE_DMA32].present_pages++;
	EXPECT_EQ(mm_check_invariants(), 1);
	zones[ZONE_DMA32].present_pages--;
	mem_sections[nr].zone = ZONE_NORMAL;
	EXPECT_EQ(mm_check_invariants(), 1);
	mem_sections[nr].zone = SECTION_NO_ZONE;
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(remove_memory(256 * MiB, SEC_BYTES), 0);
	host_mem_teardown();
}

/* Expect zone_managed_changed() to recompute watermarks and per-CPU limits from managed pages, and to give the same values back. */
TEST(zone_managed_changed_recomputes)
{
	struct zone *z = &zones[ZONE_DMA32];
	unsigned long low0, min0, managed0;
	int batch0;

	init_1g("256M");
	low0 = low_wmark_pages(z);
	min0 = min_wmark_pages(z);
	batch0 = z->pcp[0].batch;
	managed0 = z->managed_pages;
	EXPECT_EQ(batch0, (int)(managed0 / 1024 < 256 ? managed0 / 1024 : 256));
	EXPECT_EQ(zones[ZONE_MOVABLE].pcp[0].batch, 64);	/* 65536 managed / 1024 */
	/* as if Movable's two sections went offline: its pages no longer managed */
	zones[ZONE_MOVABLE].managed_pages = 0;
	zone_managed_changed();
	EXPECT_EQ(zones[ZONE_MOVABLE].pcp[0].batch, 1);
	EXPECT_EQ(low_wmark_pages(&zones[ZONE_MOVABLE]), 0);
	EXPECT(min_wmark_pages(z) > min0);	/* DMA32 carries a larger share of min_free */
	zones[ZONE_MOVABLE].managed_pages = 2 * PAGES_PER_SECTION;
	zone_managed_changed();
	EXPECT_EQ(low_wmark_pages(z), low0);
	EXPECT_EQ(min_wmark_pages(z), min0);
	EXPECT_EQ(zones[ZONE_MOVABLE].pcp[0].batch, 64);
	host_mem_teardown();
}

/* Expect add_memory() to map the memmap page by page when no order-9 block comes, and to fail with -ENOMEM leaving nothing when no page does. */
TEST(hot_add_memmap_fallback_and_enomem)
{
	static const struct e820_entry map[] = {
		{ 0x100000, 256 * MiB - 0x100000, E820_RAM },
	};
	unsigned long nr = pfn_to_section_nr(PHYS_PFN(256 * MiB)), base_pfn = PHYS_PFN(256 * MiB), free0;

	host_mem_init_hotplug(map, 1, SEC_BYTES);
	drain_all_pages(NULL);
	free0 = nr_free_pages();
	ASSERT_EQ(fault_inject_parse("every=1,order=9,sites=alloc"), 0);
	ASSERT_EQ(add_memory(256 * MiB, SEC_BYTES, "pieces"), 0);
	fault_inject_parse("off");
	EXPECT_EQ(mem_sections[nr].state, SECTION_PRESENT | SECTION_HAS_MEMMAP | SECTION_MEMMAP_PIECES);
	EXPECT_EQ(count_reserved(base_pfn, base_pfn + PAGES_PER_SECTION), PAGES_PER_SECTION);
	EXPECT_EQ(page_to_pfn(pfn_to_page(base_pfn + PAGES_PER_SECTION - 1)), base_pfn + PAGES_PER_SECTION - 1);
	EXPECT(mem_sections[nr].memmap_phys < 256 * MiB);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(remove_memory(256 * MiB, SEC_BYTES), 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages(), free0);
	/* nothing at all: -ENOMEM, the section absent, every page back */
	ASSERT_EQ(fault_inject_parse("every=1,sites=alloc"), 0);
	EXPECT_EQ(add_memory(256 * MiB, SEC_BYTES, "none"), -ENOMEM);
	fault_inject_parse("off");
	EXPECT_EQ(mem_sections[nr].state, 0);
	EXPECT(!pfn_valid(base_pfn));
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* ---- a walker parked between its section test and its memmap read ---- */

static unsigned long park_pfn;
static int parked, park_go, removed;
static uint64_t walk_flags;
static int remove_ret;
static uint64_t remove_base;

/* kpageflags_walk_hook: at park_pfn, say so and wait for park_go (interrupts "on": poll). */
static void park_hook(unsigned long pfn)
{
	if (pfn != park_pfn)
		return;
	__atomic_store_n(&parked, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&park_go, __ATOMIC_ACQUIRE)) {
		host_smp_poll();
		sched_yield();
	}
}

/* CPU 1: one kpageflags read of park_pfn. */
static void *walker_cpu(void *arg)
{
	if (!host_smp_register(1))
		return NULL;
	walk_flags = page_kpageflags(park_pfn);
	host_smp_unregister();
	return arg;
}

/* CPU 2: remove_memory() of the hot-added section. */
static void *remover_cpu(void *arg)
{
	if (!host_smp_register(2))
		return NULL;
	remove_ret = remove_memory(remove_base, SEC_BYTES);
	__atomic_store_n(&removed, 1, __ATOMIC_RELEASE);
	host_smp_unregister();
	return arg;
}

/* Spin (serving CPU 0's mailbox) until *@flag is set or @ms pass; the flag's value. */
static int wait_flag(int *flag, unsigned int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		host_smp_poll();
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= (long)ms)
			break;
	}
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/*
 * Expect remove_memory() to wait for a walker that saw the section online:
 * CPU 1's page_kpageflags() passes its section test on a hot-added online
 * block and parks; CPU 0 offlines the block; CPU 2 removes it. remove_memory()
 * must not return (nor unmap the memmap) while the walker is parked; once
 * released, the walker reads the page it saw (a free buddy page), and the
 * removal completes. Without the wait the walker reads a PROT_NONE memmap.
 */
TEST(remove_memory_waits_for_walkers)
{
	static const struct e820_entry map[] = {
		{ 0x100000, 512 * MiB - 0x100000, E820_RAM },
	};
	pthread_t walker, remover;
	unsigned long nr;
	char why[160];

	host_mem_init_hotplug(map, 1, SEC_BYTES);
	compaction_init();
	remove_base = host_mem_hotplug_base();
	nr = pfn_to_section_nr(PHYS_PFN(remove_base));
	ASSERT_EQ(add_memory(remove_base, SEC_BYTES, "test"), 0);
	ASSERT_EQ(online_memory_block(nr, ZONE_MOVABLE), 0);
	park_pfn = PHYS_PFN(remove_base) + 4096;
	parked = park_go = removed = 0;
	walk_flags = 0;
	remove_ret = -1;
	kpageflags_walk_hook = park_hook;
	ASSERT_EQ(pthread_create(&walker, NULL, walker_cpu, NULL), 0);
	ASSERT(wait_flag(&parked, 10000));
	ASSERT_EQ(offline_memory_block(nr, why, sizeof(why)), 0);
	ASSERT_EQ(pthread_create(&remover, NULL, remover_cpu, NULL), 0);
	/* the removal must still be waiting for the parked walker */
	EXPECT_EQ(wait_flag(&removed, 300), 0);
	EXPECT_EQ(__atomic_load_n(&mem_sections[nr].state, __ATOMIC_ACQUIRE), 0);	/* cleared first */
	__atomic_store_n(&park_go, 1, __ATOMIC_RELEASE);
	host_smp_join(walker, NULL);
	host_smp_join(remover, NULL);
	kpageflags_walk_hook = NULL;
	EXPECT_EQ(removed, 1);
	EXPECT_EQ(remove_ret, 0);
	/*
	 * What the walker read: the struct page as offlining left it (PG_reserved,
	 * out of the buddy), a snapshot of a page that changed under it, from a
	 * memmap that was still mapped.
	 */
	EXPECT_EQ(walk_flags & ((1ULL << KPF_RESERVED) | (1ULL << KPF_BUDDY) | (1ULL << KPF_NOPAGE)),
		  1ULL << KPF_RESERVED);
	/* and a walk after the removal finds nothing */
	EXPECT_EQ(page_kpageflags(park_pfn), 1ULL << KPF_NOPAGE);
	EXPECT(!pfn_valid(park_pfn));
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}
