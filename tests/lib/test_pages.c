/*
 * test_pages.c - the library's page allocator through its public entry
 * points, built from the archive and installed headers alone: the init
 * entry points refuse bad arguments before doing anything, every order
 * allocates a naturally aligned block and the free counts move by exactly
 * its size, the whole of memory can be taken page by page (the count
 * equals the free count before) and given back, and kmalloc round-trips.
 */
#include "ltest.h"
#include <ballast/libmm.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_MIB 32

/* Expect the init entry points to refuse bad ranges and early/late calls. */
static void init_validates(void)
{
	LT_EXPECT(!ballast_mm_started());
	LT_EXPECT_EQ(ballast_mm_add_memory(0x1001, 1 << 20), -EINVAL);
	LT_EXPECT_EQ(ballast_mm_add_memory(0x1000, 0), -EINVAL);
	LT_EXPECT_EQ(ballast_mm_add_memory(~0ULL - 0xfff, 0x2000), -EINVAL);
	LT_EXPECT_EQ(ballast_mm_add_memory((1ULL << 38) - 0x1000, 0x2000), -EINVAL);
	LT_EXPECT_EQ(ballast_mm_reserve(0x1000, 0x800), -EINVAL);
	LT_EXPECT_EQ(ballast_mm_start(), -EINVAL);	/* no memory yet */
	LT_EXPECT(!ballast_mm_started());
	LT_EXPECT_EQ(hosted_start(ARENA_MIB), 0);
	LT_EXPECT(ballast_mm_started());
	LT_EXPECT_EQ(ballast_mm_start(), -EBUSY);
	LT_EXPECT_EQ(ballast_mm_add_memory(1ULL << 32, 1 << 20), -EBUSY);
	/* 32 MiB managed, less the memmap: 2 MiB, the struct pages of its whole 128 MiB section */
	LT_EXPECT_EQ(totalram_pages(), (ARENA_MIB - 2) << 8);
}

/* Expect each order 0..MAX_ORDER to give an aligned block and the free count to move by 2^order exactly. */
static void every_order_exact(void)
{
	for (unsigned int order = 0; order <= MAX_ORDER; order++) {
		unsigned long before, after;
		struct page *pg;

		drain_all_pages(NULL);
		before = nr_free_pages_total();
		pg = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		LT_EXPECT(pg != NULL);
		if (!pg)
			continue;
		LT_EXPECT_EQ(page_to_pfn(pg) & ((1UL << order) - 1), 0);
		after = nr_free_pages_total();
		LT_EXPECT_EQ(before - after, 1UL << order);
		memset(page_address(pg), 0x5a, PAGE_SIZE << order);
		__free_pages(pg, order);
		drain_all_pages(NULL);
		LT_EXPECT_EQ(nr_free_pages_total(), before);
	}
	LT_EXPECT(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER + 1) == NULL);
	LT_EXPECT_EQ(mm_check_invariants(), 0);
}

/* Expect every free page to be allocatable one by one (reserves included) and all to come back. */
static void exhaust_and_return(void)
{
	unsigned long free0, n = 0;
	unsigned long *pfns;
	struct page *pg;

	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	pfns = malloc(sizeof(*pfns) * free0);
	LT_EXPECT(pfns != NULL);
	if (!pfns)
		return;
	while (n < free0 && (pg = alloc_page(__GFP_MEMALLOC | __GFP_NOWARN)))
		pfns[n++] = page_to_pfn(pg);
	LT_EXPECT_EQ(n, free0);
	LT_EXPECT_EQ(nr_free_pages_total(), 0);
	LT_EXPECT(alloc_page(__GFP_MEMALLOC | __GFP_NOWARN) == NULL);
	for (unsigned long i = 0; i < n; i++)
		__free_page(pfn_to_page(pfns[i]));
	free(pfns);
	drain_all_pages(NULL);
	LT_EXPECT_EQ(nr_free_pages_total(), free0);
	LT_EXPECT_EQ(nr_free_pages_from_order(9) >= free0 * 9 / 10, 1);	/* merged back */
	LT_EXPECT_EQ(mm_check_invariants(), 0);
}

/* Expect kmalloc objects of many sizes to hold their bytes and kfree to return the slab pages it can. */
static void kmalloc_round_trip(void)
{
	static const size_t sizes[] = { 8, 24, 100, 512, 2000, 4096, 20000, 100000 };
	void *p[ARRAY_SIZE(sizes)];

	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = kmalloc(sizes[i], GFP_KERNEL);
		LT_EXPECT(p[i] != NULL);
		if (p[i])
			memset(p[i], (int)i + 1, sizes[i]);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		const unsigned char *b = p[i];
		size_t bad = 0;

		for (size_t k = 0; b && k < sizes[i]; k++)
			bad += b[k] != i + 1;
		LT_EXPECT_EQ(bad, 0);
		kfree(p[i]);
	}
	LT_EXPECT_EQ(mm_check_invariants(), 0);
}

int main(void)
{
	LT_RUN(init_validates);
	if (!ballast_mm_started())
		return lt_done();
	LT_RUN(every_order_exact);
	LT_RUN(exhaust_and_return);
	LT_RUN(kmalloc_round_trip);
	return lt_done();
}
