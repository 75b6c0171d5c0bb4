/*
 * test_deferred_init.c - the in-kernel suite for deferred memmap init
 * (mm/deferred_init.c): wait for the background to finish, then check
 * that the result is exactly what a boot that deferred nothing gives.
 *
 * "Exactly" without a second boot: memblock still describes boot memory
 * (nothing allocates from it after mm_init()), so the pages a full boot
 * gives the buddy are the pages of its free ranges, the pages it leaves
 * PG_reserved are the other pfns of every section with a memmap, and a
 * zone's present pages are its RAM. The testrun boot step compares a
 * default boot with deferred_init=off as well (meminfo, zoneinfo).
 */
#include <kernel/ktest.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/page_alloc.h>
#include <mm/memblock.h>
#include <mm/memory_hotplug.h>
#include <mm/deferred_init.h>
#include <mm/sparse.h>
#include <arch/x86.h>

/* Pages of memblock's free ranges: what a full boot gives the buddy. */
static unsigned long memblock_free_pages_now(void)
{
	uint64_t idx = 0;
	phys_addr_t s, e;
	unsigned long n = 0;

	while (memblock_next_free_range(&idx, &s, &e)) {
		unsigned long ps = PHYS_PFN(s + PAGE_SIZE - 1), pe = PHYS_PFN(e);

		if (ps < pe)
			n += pe - ps;
	}
	return n;
}

/*
 * Expect, once deferred init is done: no section pending or SECTION_DEFERRED,
 * every RAM pfn online, managed pages = memblock's free pages = the pages
 * init freed, init's reserved pages = every other pfn of the sections with
 * a memmap, the zones' present pages = RAM, the dump valid map covering
 * every section with a memmap, and mm_check_invariants() clean.
 */
static void test_deferred_exact_counts(struct ktest *t)
{
	unsigned long managed = 0, present = 0, memmap_pfns = 0, with_memmap = 0;
	unsigned long free_pages = memblock_free_pages_now(), bad_valid = 0;

	deferred_init_wait();
	KT_ASSERT_EQ(t, deferred_sections_pending(), 0);
	KT_EXPECT_EQ(t, deferred_pending_pages(), 0);
	KT_EXPECT_EQ(t, deferred_init_stats.done, deferred_init_stats.sections);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		managed += zones[z].managed_pages;
		present += zones[z].present_pages;
	}
	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		const struct mem_section *ms = &mem_sections[nr];

		if (!(ms->state & SECTION_HAS_MEMMAP) || !(ms->state & SECTION_BOOT))
			continue;
		with_memmap++;
		memmap_pfns += PAGES_PER_SECTION;
		KT_EXPECT(t, !(ms->state & SECTION_DEFERRED));
		for (unsigned long pfn = section_nr_to_pfn(nr); pfn < section_nr_to_pfn(nr + 1);
		     pfn += MAX_ORDER_NR_PAGES) {
			unsigned long b = (pfn - memmap_start_pfn) >> MAX_ORDER;

			if (pfn >= memmap_start_pfn && pfn < memmap_end_pfn &&
			    !((memmap_valid_map[b / 64] >> (b % 64)) & 1))
				bad_valid++;
		}
	}
	ktest_log("%lu sections deferred (%lu MiB), done in %lu ms by %u CPU(s): "
		  "background %lu, on demand %lu, forced %lu", deferred_init_stats.sections,
		  deferred_init_stats.pages >> 8,
		  (unsigned long)((deferred_init_stats.end_tsc - deferred_init_stats.start_tsc) / tsc_khz),
		  deferred_init_stats.cpus, deferred_init_stats.by_background,
		  deferred_init_stats.by_demand, deferred_init_stats.by_force);
	ktest_log("managed %lu, memblock free %lu, init freed %lu, reserved %lu of %lu pfns "
		  "in %lu sections, present %lu, RAM %lu", managed, free_pages,
		  mm_init_stats.freed_pages, mm_init_stats.reserved_pages, memmap_pfns, with_memmap,
		  present, (unsigned long)(memblock_phys_mem_size() >> PAGE_SHIFT));
	KT_EXPECT_EQ(t, managed, free_pages);
	KT_EXPECT_EQ(t, mm_init_stats.freed_pages, free_pages);
	KT_EXPECT_EQ(t, mm_init_stats.reserved_pages + mm_init_stats.freed_pages, memmap_pfns);
	KT_EXPECT_EQ(t, present, memblock_phys_mem_size() >> PAGE_SHIFT);
	KT_EXPECT_EQ(t, bad_valid, 0);
	KT_EXPECT(t, pfn_to_online_page(PHYS_PFN(memblock_end_of_DRAM() - 1)) != NULL);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/*
 * Expect deferred_init_section() on a done section and on a section
 * without memory to change nothing (no count moves, no state appears).
 */
static void test_deferred_force_is_idempotent(struct ktest *t)
{
	unsigned long managed = totalram_pages(), forced = deferred_init_stats.by_force;

	deferred_init_wait();
	deferred_init_section(0);
	deferred_init_section(NR_MEM_SECTIONS - 1);
	deferred_init_section(NR_MEM_SECTIONS + 5);
	KT_EXPECT_EQ(t, totalram_pages(), managed);
	KT_EXPECT_EQ(t, deferred_init_stats.by_force, forced);
	KT_EXPECT_EQ(t, deferred_sections_pending(), 0);
}

KTEST_SUITE(deferred_init,
	KTEST_CASE(test_deferred_exact_counts),
	KTEST_CASE(test_deferred_force_is_idempotent));
