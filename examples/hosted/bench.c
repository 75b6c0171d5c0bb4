/*
 * bench.c - what a platform hook call costs the allocator's hot path:
 * nanoseconds per operation for the paths that take the per-CPU-list or
 * zone lock (so call ballast_irq_save/restore and ballast_cpu_id) and
 * touch page contents (ballast_phys_to_virt), from the library alone.
 * `make lib-bench` builds it twice in release (LIB_DEBUG=0), once with the
 * hooks as external functions and once inlined
 * (LIB_PLATFORM_INLINE=examples/hosted/inline), and runs both; the
 * difference is the price of out-of-line hooks (docs/porting.md).
 *
 *   hosted-bench [rounds]   best of @rounds (default 5) per figure
 */
#include <ballast/libmm.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define OPS	200000
#define BATCH	512

int hosted_start(unsigned long mib);

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One alloc+free pair of an order-0 page: the per-CPU list fast path. */
static void pcp_pair(void)
{
	for (int i = 0; i < OPS; i++)
		__free_page(alloc_page(GFP_KERNEL));
}

/* BATCH pages taken then freed: refills and drains of the per-CPU lists. */
static void pcp_batch(void)
{
	static struct page *pg[BATCH];

	for (int r = 0; r < OPS / BATCH; r++) {
		for (int i = 0; i < BATCH; i++)
			pg[i] = alloc_page(GFP_KERNEL);
		for (int i = 0; i < BATCH; i++)
			__free_page(pg[i]);
	}
}

/* An order-3 pair: the buddy under the zone lock (split, merge). */
static void order3_pair(void)
{
	for (int i = 0; i < OPS; i++)
		__free_pages(alloc_pages(GFP_KERNEL, 3), 3);
}

/* A 64-byte kmalloc+kfree pair. */
static void kmalloc_pair(void)
{
	for (int i = 0; i < OPS; i++)
		kfree(kmalloc(64, GFP_KERNEL));
}

/* A zeroed order-0 page pair: phys_to_virt + zero_page per allocation. */
static void zero_pair(void)
{
	for (int i = 0; i < OPS; i++)
		__free_page(alloc_page(GFP_KERNEL | __GFP_ZERO));
}

static const struct { const char *name; void (*fn)(void); } cases[] = {
	{ "pcp_pair", pcp_pair }, { "pcp_batch", pcp_batch }, { "order3_pair", order3_pair },
	{ "kmalloc64_pair", kmalloc_pair }, { "zeroed_pair", zero_pair },
};

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;

	if (hosted_start(64))
		return 1;
	printf("bench: hooks %s\n",
#ifdef BALLAST_PLATFORM_INLINE
	       "inline"
#else
	       "out-of-line"
#endif
	       );
	for (unsigned int c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t best = ~0ULL;

		for (int r = 0; r < rounds; r++) {
			uint64_t t0 = now_ns();

			cases[c].fn();
			if (now_ns() - t0 < best)
				best = now_ns() - t0;
		}
		printf("bench: %-15s %6.1f ns/op\n", cases[c].name, (double)best / OPS);
	}
	return 0;
}
