/*
 * test_page_random.c - randomized differential test of the page allocator
 * and kmalloc against a shadow model.
 *
 * The shadow keeps every live allocation (pfn, order or kmalloc pointer and
 * size) and a bitmap of pfns it believes allocated. Each step checks:
 *   - a new block does not overlap any live block (bitmap), is aligned,
 *     in a zone allowed by its gfp;
 *   - free memory + pages the shadow holds + slab pages = the start total;
 *   - mm_check_counts() (cheap) every step, mm_check_invariants() (full)
 *     every full_every steps (every step in the _full_check variant);
 *   - the contents of each block/object still carry the tag written at
 *     allocation when it is freed (no one else wrote there).
 */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <mm/vmstat.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LIVE 4096

struct live {
	void *ptr;		/* kmalloc object, or NULL for a page block */
	struct page *page;
	unsigned int order;
	size_t size;
	uint64_t tag;
};

static struct live live[MAX_LIVE];
static int nlive;
static uint8_t *shadow;		/* one byte per pfn: 1 = allocated per the shadow */
static unsigned long held_pages;

/* Mark/unmark a block in the shadow; false if it overlaps (on mark) or was not marked. */
static bool shadow_mark(unsigned long pfn, unsigned int order, uint8_t v)
{
	for (unsigned long i = pfn; i < pfn + (1UL << order); i++) {
		if (shadow[i] == v)
			return false;
		shadow[i] = v;
	}
	return true;
}

/* Write @tag to the first and last word of every page of the block. */
static void tag_block(struct page *p, unsigned int order, uint64_t tag)
{
	for (unsigned long i = 0; i < (1UL << order); i++) {
		uint64_t *w = page_address(p + i);

		w[0] = tag + i;
		w[PAGE_SIZE / 8 - 1] = ~(tag + i);
	}
}

static bool tag_ok(struct page *p, unsigned int order, uint64_t tag)
{
	for (unsigned long i = 0; i < (1UL << order); i++) {
		uint64_t *w = page_address(p + i);

		if (w[0] != tag + i || w[PAGE_SIZE / 8 - 1] != ~(tag + i))
			return false;
	}
	return true;
}

/* A random order, mostly small. */
static unsigned int rand_order(void)
{
	uint64_t r = htest_rand() % 100;

	if (r < 60)
		return 0;
	if (r < 80)
		return 1 + (unsigned int)(htest_rand() % 3);
	if (r < 97)
		return 4 + (unsigned int)(htest_rand() % 5);
	return 9 + (unsigned int)(htest_rand() % 2);
}

/* A random gfp mask. */
static gfp_t rand_gfp(void)
{
	static const gfp_t g[] = {
		GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_ATOMIC, GFP_NOWAIT,
		GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | __GFP_DMA32,
		GFP_KERNEL | __GFP_DMA, GFP_KERNEL | __GFP_ZERO,
	};

	return g[htest_rand() % ARRAY_SIZE(g)] | __GFP_NOWARN;
}

/* Free live entry @i and remove it from the table; false on a shadow mismatch. */
static bool free_live(int i)
{
	struct live *l = &live[i];
	bool ok = true;

	if (l->ptr) {
		for (size_t j = 0; j < l->size; j++)
			if (((uint8_t *)l->ptr)[j] != (uint8_t)l->tag) {
				ok = false;
				break;
			}
		kfree(l->ptr);
	} else {
		unsigned long pfn = page_to_pfn(l->page);

		ok = tag_ok(l->page, l->order, l->tag);
		if (!shadow_mark(pfn, l->order, 0))
			ok = false;
		held_pages -= 1UL << l->order;
		__free_pages(l->page, l->order);
	}
	live[i] = live[--nlive];
	return ok;
}

/* One run of @iters random steps; returns the number of failures. */
static unsigned long run(uint64_t iters, unsigned long mb, uint64_t full_every)
{
	unsigned long failures = 0, start_total, ops_alloc = 0, ops_fail = 0;
	unsigned long span;

	host_mem_init_mb(mb);
	span = memmap_end_pfn;
	shadow = calloc(span, 1);
	nlive = 0;
	held_pages = 0;
	start_total = nr_free_pages_total();
	for (uint64_t step = 0; step < iters; step++) {
		uint64_t r = htest_rand() % 100;
		bool do_free = nlive == MAX_LIVE || (nlive && r < 45);

		if (do_free) {
			if (!free_live((int)(htest_rand() % (uint64_t)nlive))) {
				failures++;
				printf("#   step %llu: block contents or shadow mismatch on free\n",
				       (unsigned long long)step);
			}
		} else if (r < 75) {
			unsigned int order = rand_order();
			gfp_t gfp = rand_gfp();
			struct page *p = alloc_pages(gfp, order);
			unsigned long pfn;

			ops_alloc++;
			if (!p) {
				ops_fail++;
			} else {
				pfn = page_to_pfn(p);
				if ((pfn & ((1UL << order) - 1)) || page_ref_count(p) != 1 ||
				    (int)page_zonenum(p) > (int)gfp_zone(gfp) ||
				    !shadow_mark(pfn, order, 1)) {
					failures++;
					printf("#   step %llu: bad block pfn %#lx order %u\n",
					       (unsigned long long)step, pfn, order);
				}
				if ((gfp & __GFP_ZERO) && ((uint64_t *)page_address(p))[3] != 0)
					failures++;
				live[nlive] = (struct live){ NULL, p, order, 0, htest_rand() };
				tag_block(p, order, live[nlive].tag);
				nlive++;
				held_pages += 1UL << order;
			}
		} else {
			size_t size = 1 + htest_rand() % (htest_rand() % 8 ? 512 : 9000);
			void *o = kmalloc(size, GFP_KERNEL | __GFP_NOWARN);

			if (o) {
				uint64_t tag = htest_rand();

				if (kmalloc_usable_size(o) < size)
					failures++;
				memset(o, (uint8_t)tag, size);
				live[nlive++] = (struct live){ o, NULL, 0, size, tag };
			}
		}
		/* conservation: free + held + slab pages + large kmalloc pages = start */
		if (nr_free_pages_total() + held_pages + slab_pages() + kmalloc_large_pages() +
		    nr_bad_pages != start_total) {
			failures++;
			printf("#   step %llu: page conservation broken: free %lu held %lu slab %lu large %lu vs %lu\n",
			       (unsigned long long)step, nr_free_pages_total(), held_pages,
			       slab_pages(), kmalloc_large_pages(), start_total);
			break;
		}
		if (mm_check_counts()) {
			failures++;
			break;
		}
		if (step % full_every == full_every - 1 && mm_check_invariants()) {
			failures++;
			printf("#   step %llu: invariants broken\n", (unsigned long long)step);
			break;
		}
	}
	while (nlive)
		if (!free_live(nlive - 1))
			failures++;
	kmem_cache_shrink_all();
	if (nr_free_pages_total() != start_total) {
		failures++;
		printf("#   end: free %lu != start %lu\n", nr_free_pages_total(), start_total);
	}
	if (mm_check_invariants())
		failures++;
	if (nr_bad_pages)
		failures++;
	printf("# %llu steps: %lu allocations, %lu failed (memory full), seed %llu\n",
	       (unsigned long long)iters, ops_alloc, ops_fail, (unsigned long long)htest_seed());
	free(shadow);
	host_mem_teardown();
	return failures;
}

/* Expect 10^6 random alloc/free/kmalloc/kfree steps on 48 MiB to keep every invariant and the shadow model. */
TEST(random_differential_1m)
{
	EXPECT_EQ(run(htest_iters(1000000), 48, 1000), 0);
}

/* Expect the same on a tiny machine (12 MiB) where allocations often fail and fall back. */
TEST(random_differential_tight)
{
	EXPECT_EQ(run(htest_iters(200000), 12, 1000), 0);
}

/* Expect the full invariant checker to pass after every single step of a shorter run. */
TEST(random_differential_full_check)
{
	EXPECT_EQ(run(htest_iters(20000), 12, 1), 0);
}
