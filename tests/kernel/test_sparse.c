/*
 * test_sparse.c - the section memory model on real memory (mm/sparse.c):
 * every pfn of RAM (memblock.memory) is valid and its section present and
 * online; every pfn of a section without RAM is invalid; pfn_to_page()
 * and page_to_pfn() round-trip in every section, across the section
 * boundaries, and above 4 GiB when the machine has memory there (make
 * test boots it on q35 at -m 5G: RAM at 0-2 GiB and 4-7 GiB); the
 * virtual memmap is what the section's memmap_phys says; a section added
 * and removed at 64 GiB maps and unmaps its memmap and direct map.
 */
#include <kernel/ktest.h>
#include <arch/page.h>
#include <arch/x86.h>
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/memblock.h>
#include <mm/memory_hotplug.h>
#include <mm/page_alloc.h>
#include <mm/gfp.h>
#include <errno.h>

/* True if any RAM (memblock.memory) lies in section @nr. */
static bool section_has_ram(unsigned long nr)
{
	phys_addr_t s = PFN_PHYS(section_nr_to_pfn(nr)), e = s + (1ULL << SECTION_SIZE_BITS);

	for (unsigned int i = 0; i < memblock.memory.cnt; i++) {
		const struct memblock_region *r = &memblock.memory.regions[i];

		if (r->base < e && r->base + r->size > s)
			return true;
	}
	return false;
}

/* Physical address behind virtual memmap address @p (page-table walk), or 0. */
static uint64_t vmemmap_phys(const void *p)
{
	unsigned level;
	uint64_t e = paging_lookup((uint64_t)p, &level), size;

	if (!e)
		return 0;
	size = 1ULL << (12 + 9 * (level - 1));
	return (e & 0x000ffffffffff000ULL & ~(size - 1)) + ((uint64_t)p & (size - 1));
}

static void test_sparse_ram_pfns_valid(struct ktest *t)
{
	unsigned long bad = 0, checked = 0;

	for (unsigned int i = 0; i < memblock.memory.cnt; i++) {
		const struct memblock_region *r = &memblock.memory.regions[i];

		for (unsigned long pfn = PHYS_PFN(r->base); pfn < PHYS_PFN(r->base + r->size); pfn++) {
			checked++;
			if (!pfn_valid(pfn) || !pfn_to_online_page(pfn))
				bad++;
		}
	}
	ktest_log("%lu RAM pfns checked, %lu not valid and online", checked, bad);
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT_EQ(t, checked, PHYS_PFN(memblock_phys_mem_size()));
}

static void test_sparse_absent_sections_invalid(struct ktest *t)
{
	unsigned long end = pfn_to_section_nr(PHYS_PFN(memblock_end_of_DRAM() - 1)) + 2, absent = 0, bad = 0;

	for (unsigned long nr = 0; nr < end && nr < NR_MEM_SECTIONS; nr++) {
		unsigned long pfn = section_nr_to_pfn(nr);

		if (section_has_ram(nr)) {
			if (!section_online(nr) || !(mem_sections[nr].state & SECTION_BOOT))
				bad++;
			continue;
		}
		if (mem_sections[nr].state & SECTION_PRESENT)
			continue;	/* hot-added (virtio-mem): not boot RAM */
		absent++;
		for (unsigned long i = 0; i < PAGES_PER_SECTION; i += 4096)
			if (pfn_valid(pfn + i) || pfn_to_online_page(pfn + i))
				bad++;
		if (pfn_valid(pfn + PAGES_PER_SECTION - 1))
			bad++;
	}
	ktest_log("%lu sections without RAM below the top, %lu problems", absent, bad);
	KT_EXPECT_EQ(t, bad, 0);
}

static void test_sparse_round_trip(struct ktest *t)
{
	unsigned long sections = 0, above4g = 0, bad = 0;

	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		unsigned long pfn = section_nr_to_pfn(nr);
		const unsigned long probe[] = { 0, 1, 4095, 12345, PAGES_PER_SECTION - 1 };

		if (!section_has_memmap(nr))
			continue;
		sections++;
		if (PFN_PHYS(pfn) >= (4ULL << 30))
			above4g++;
		for (unsigned int i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
			struct page *p = pfn_to_page(pfn + probe[i]);

			if (page_to_pfn(p) != pfn + probe[i])
				bad++;
			/* the virtual memmap maps the struct page where memmap_phys says */
			if (!(mem_sections[nr].state & SECTION_MEMMAP_PIECES) &&
			    vmemmap_phys(p) != mem_sections[nr].memmap_phys + probe[i] * sizeof(struct page))
				bad++;
		}
		/* consecutive pfns across the boundary into the next section */
		if (section_has_memmap(nr + 1) && pfn_to_page(pfn + PAGES_PER_SECTION) - pfn_to_page(pfn + PAGES_PER_SECTION - 1) != 1)
			bad++;
	}
	ktest_log("%lu sections with a memmap, %lu above 4 GiB, %lu round-trip problems",
		  sections, above4g, bad);
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT_EQ(t, sections, nr_present_sections());
	if (memblock_end_of_DRAM() > (4ULL << 30))
		KT_EXPECT(t, above4g > 0);
	else
		ktest_skip(t, "no RAM above 4 GiB here (make test boots this suite at -m 5G too)");
}

/*
 * add_memory()/remove_memory() on the real page tables: a section at
 * 64 GiB (no RAM there; the range itself is never touched) gets its
 * memmap from the buddy, mapped in the virtual memmap, and a direct-map
 * mapping; removal unmaps both (a TLB shootdown on every CPU) and gives
 * the memmap back.
 */
static void test_sparse_hot_add_remove(struct ktest *t)
{
	const phys_addr_t start = 64ULL << 30, size = 1ULL << SECTION_SIZE_BITS;
	unsigned long pfn = PHYS_PFN(start), nr = pfn_to_section_nr(pfn), free0, bad = 0;

	KT_ASSERT(t, memblock_end_of_DRAM() < start);
	/* the first add allocates the page-table pages, kept after removal: warm them up */
	KT_ASSERT_EQ(t, add_memory(start, size, "ktest"), 0);
	KT_ASSERT_EQ(t, remove_memory(start, size), 0);
	drain_all_pages(NULL);
	free0 = nr_free_pages();
	KT_ASSERT_EQ(t, add_memory(start, size, "ktest"), 0);
	KT_EXPECT_EQ(t, mem_sections[nr].state & (SECTION_PRESENT | SECTION_HAS_MEMMAP | SECTION_ONLINE),
		     SECTION_PRESENT | SECTION_HAS_MEMMAP);
	KT_EXPECT(t, pfn_valid(pfn) && pfn_valid(pfn + PAGES_PER_SECTION - 1));
	KT_EXPECT(t, pfn_to_online_page(pfn) == NULL);
	for (unsigned long i = 0; i < PAGES_PER_SECTION; i++) {
		struct page *p = pfn_to_page(pfn + i);

		if (!PageReserved(p) || page_ref_count(p) != 1)
			bad++;
	}
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT(t, paging_lookup((uint64_t)__va(start), NULL) != 0);
	KT_EXPECT(t, paging_lookup((uint64_t)__va(start + size - 1), NULL) != 0);
	KT_EXPECT_EQ(t, vmemmap_phys(pfn_to_page(pfn)), mem_sections[nr].memmap_phys);
	KT_EXPECT(t, mem_sections[nr].memmap_phys < memblock_end_of_DRAM());
	drain_all_pages(NULL);
	KT_EXPECT_EQ(t, free0 - nr_free_pages(), 512);
	KT_EXPECT_EQ(t, add_memory(start, size, "ktest"), -EINVAL);
	KT_EXPECT_EQ(t, remove_memory(start, size), 0);
	KT_EXPECT(t, !pfn_valid(pfn));
	KT_EXPECT_EQ(t, paging_lookup((uint64_t)__va(start), NULL), 0);
	KT_EXPECT_EQ(t, paging_lookup((uint64_t)pfn_to_page(pfn), NULL), 0);
	drain_all_pages(NULL);
	KT_EXPECT_EQ(t, nr_free_pages(), free0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

KTEST_SUITE(mm_sparse,
	KTEST_CASE(test_sparse_ram_pfns_valid),
	KTEST_CASE(test_sparse_absent_sections_invalid),
	KTEST_CASE(test_sparse_round_trip),
	KTEST_CASE(test_sparse_hot_add_remove));
