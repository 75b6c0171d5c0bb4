/*
 * test_hotplug.c - the in-kernel suite `hotplug`: memory blocks of boot
 * memory offlined and onlined again on real memory (mm/memory_hotplug.c,
 * docs/memory-hotplug.md).
 *
 *   test_offline_frag_block     frag 3of4 fills memory with painted movable
 *                               pages; a block that does not hold the
 *                               kernel goes offline (its pages migrated
 *                               out, the paint verified), comes back to
 *                               Normal, goes offline again and comes back
 *                               Movable; free memory adds up exactly at
 *                               every step
 *   test_offline_kernel_block   the kernel image's block refuses to go
 *                               offline, with the message saying why
 *   test_offline_pinned_block   a block holding pinned frag pages refuses,
 *                               the message counting at least them (other
 *                               kernel allocations may share the block),
 *                               and nothing changes
 *
 * Needs a guest with at least one block free of the kernel, its boot data
 * and the boot memmap: 512 MiB has two (blocks 1 and 2).
 */
#include <kernel/ktest.h>
#include <kernel/kernel.h>
#include <workloads/frag.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/memory_hotplug.h>
#include <mm/mm_show.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static unsigned long free_now(void)
{
	drain_all_pages(NULL);
	return nr_free_pages_total();
}

/* Frag pages (movable or pinned) in block @nr. */
static unsigned long frag_pages_in(unsigned long nr, bool pinned)
{
	unsigned long s = section_nr_to_pfn(nr), n = 0;

	for (unsigned long pfn = s; pfn < s + PAGES_PER_SECTION; pfn++) {
		int k = frag_page_owner(pfn_to_page(pfn));

		n += pinned ? k == 2 : k == 1;
	}
	return n;
}

/* The highest online, removable, non-kernel block holding movable frag pages; 0 if none. */
static unsigned long pick_block(bool pinned)
{
	for (unsigned long nr = memory_block_end(); nr-- > 1;) {
		struct memory_block_info info;

		if (memory_block_info(nr, &info) || info.state != MEM_BLOCK_ONLINE)
			continue;
		if (!pinned && !info.removable)
			continue;
		/* 3of4 keeps 8192 pages of a block; 5% pinned are about 400 */
		if (frag_pages_in(nr, pinned) > (pinned ? 100 : 1000))
			return nr;
	}
	return 0;
}

/* Expect a block full of frag pages to go offline and online (Normal, then Movable) with every page intact and free memory exact. */
static void test_offline_frag_block(struct ktest *t)
{
	unsigned long before, f0, nr, in, s;
	char why[160];

	before = free_now();
	KT_ASSERT_EQ(t, frag_fill_pattern("3of4", 0), 0);
	nr = pick_block(false);
	KT_ASSERT(t, nr != 0);
	s = section_nr_to_pfn(nr);
	in = frag_pages_in(nr, false);
	f0 = free_now();
	ktest_log("block %lu: %lu frag pages; %lu pages free", nr, in, f0);
	KT_ASSERT_EQ(t, offline_memory_block(nr, why, sizeof(why)), 0);
	KT_EXPECT(t, pfn_to_online_page(s) == NULL);
	KT_EXPECT_EQ(t, frag_pages_in(nr, false), 0);
	KT_EXPECT_EQ(t, frag_verify(), 0);
	/* the block's free pages left, and its frag pages took as many elsewhere */
	KT_EXPECT_EQ(t, free_now(), f0 - PAGES_PER_SECTION);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	KT_ASSERT_EQ(t, online_memory_block(nr, ZONE_NORMAL), 0);
	KT_EXPECT(t, pfn_to_online_page(s) != NULL);
	KT_EXPECT_EQ(t, free_now(), f0);
	KT_EXPECT_EQ(t, frag_verify(), 0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	/* again, back as Movable: movable allocations may use it, unmovable ones not */
	KT_ASSERT_EQ(t, offline_memory_block(nr, why, sizeof(why)), 0);
	KT_ASSERT_EQ(t, online_memory_block(nr, ZONE_MOVABLE), 0);
	KT_EXPECT_EQ(t, pfn_zonenum(s), ZONE_MOVABLE);
	KT_EXPECT_EQ(t, zones[ZONE_MOVABLE].managed_pages, PAGES_PER_SECTION);
	KT_EXPECT_EQ(t, free_now(), f0);
	KT_EXPECT_EQ(t, frag_verify(), 0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	frag_release();
	/* leave it as boot left it */
	KT_EXPECT_EQ(t, offline_memory_block(nr, why, sizeof(why)), 0);
	KT_EXPECT_EQ(t, online_memory_block(nr, ZONE_NORMAL), 0);
	KT_EXPECT_EQ(t, free_now(), before);
}

/* Expect the kernel image's block (block 0 here) to refuse to go offline, saying so, and not to go Movable. */
static void test_offline_kernel_block(struct ktest *t)
{
	unsigned long before = free_now();
	char why[160];

	KT_EXPECT_EQ(t, offline_memory_block(0, why, sizeof(why)), -EBUSY);
	ktest_log("%s", why);
	KT_EXPECT(t, strstr(why, "block 0: holds the kernel image") == why);
	KT_EXPECT(t, pfn_to_online_page(section_nr_to_pfn(0) + 4096) != NULL);
	KT_EXPECT_EQ(t, free_now(), before);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect a block with pinned frag pages to refuse with their count and the first one's pfn, everything as before. */
static void test_offline_pinned_block(struct ktest *t)
{
	unsigned long before, nr, s, pinned, first = 0, f1, blk, cnt, fp;
	char why[160], kind[64];

	before = free_now();
	KT_ASSERT_EQ(t, frag_fill_pattern("3of4", 5), 0);
	nr = pick_block(true);
	KT_ASSERT(t, nr != 0);
	s = section_nr_to_pfn(nr);
	pinned = frag_pages_in(nr, true);
	for (unsigned long pfn = s; !first && pfn < s + PAGES_PER_SECTION; pfn++)
		if (frag_page_owner(pfn_to_page(pfn)) == 2)
			first = pfn;
	f1 = free_now();
	KT_EXPECT_EQ(t, offline_memory_block(nr, why, sizeof(why)), -EBUSY);
	ktest_log("%s", why);
	KT_ASSERT_EQ(t, sscanf(why, "block %lu: %lu unmovable pages, first pfn %lx (%63[^)])",
			       &blk, &cnt, &fp, kind), 4);
	KT_EXPECT_EQ(t, blk, nr);
	/* the pinned frag pages, plus any other kernel allocation in the block */
	KT_EXPECT(t, cnt >= pinned);
	KT_EXPECT(t, fp <= first);
	KT_EXPECT(t, !strcmp(kind, "unmovable allocation"));
	KT_EXPECT(t, pfn_to_online_page(s) != NULL);
	KT_EXPECT_EQ(t, free_now(), f1);
	KT_EXPECT_EQ(t, frag_verify(), 0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	frag_release();
	KT_EXPECT_EQ(t, free_now(), before);
}

KTEST_SUITE(hotplug,
	    KTEST_CASE(test_offline_kernel_block),
	    KTEST_CASE(test_offline_frag_block),
	    KTEST_CASE(test_offline_pinned_block));
