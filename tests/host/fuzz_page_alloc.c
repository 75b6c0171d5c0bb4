/*
 * fuzz_page_alloc.c - libFuzzer target: each input is a program of
 * allocator operations, two bytes each:
 *   byte 0: op (low 3 bits) and argument bits; byte 1: argument.
 *   0,1  alloc_pages(order = b1 % NR_PAGE_ORDERS, gfp from byte 0)
 *   2    __free_pages of held block b1 % n
 *   3    kmalloc(size from b1 and byte 0)
 *   4    kfree of held object b1 % n
 *   5    krealloc of held object
 *   6    drain_all_pages / kmem_cache_shrink_all
 *   7    put_page after get_page on a held block (refcount round trip)
 * After the program everything is freed; free pages must equal the start
 * and mm_check_invariants() must be 0, else the target aborts. Memory is
 * set up once (16 MiB) and reused across inputs.
 */
#include "support/host_mem.h"
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int host_quiet;

#define MAXH 512

static struct { struct page *p; unsigned int order; } blocks[MAXH];
static struct { void *p; size_t size; } objs[MAXH];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	static unsigned long start;
	static const gfp_t gfps[8] = {
		GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_ATOMIC, GFP_NOWAIT,
		GFP_KERNEL | __GFP_RECLAIMABLE, GFP_KERNEL | __GFP_DMA32,
		GFP_KERNEL | __GFP_DMA, GFP_KERNEL | __GFP_ZERO };
	int nb = 0, no = 0;

	if (!ready) {
		host_quiet = 1;
		host_mem_init_mb(16);
		drain_all_pages(NULL);
		start = nr_free_pages_total();
		ready = true;
	}
	for (size_t i = 0; i + 1 < size; i += 2) {
		uint8_t a = data[i], b = data[i + 1];

		switch (a & 7) {
		case 0:
		case 1:
			if (nb < MAXH) {
				unsigned int order = b % NR_PAGE_ORDERS;
				struct page *p = alloc_pages(gfps[(a >> 3) & 7] | __GFP_NOWARN, order);

				if (p) {
					memset(page_address(p), a, PAGE_SIZE);
					blocks[nb].p = p;
					blocks[nb++].order = order;
				}
			}
			break;
		case 2:
			if (nb) {
				int k = b % nb;

				__free_pages(blocks[k].p, blocks[k].order);
				blocks[k] = blocks[--nb];
			}
			break;
		case 3:
			if (no < MAXH) {
				size_t sz = ((size_t)(a >> 3) << 8 | b) + 1;	/* 1 .. 8192 */
				void *o = kmalloc(sz, GFP_KERNEL | __GFP_NOWARN);

				if (o) {
					memset(o, b, sz);
					objs[no].p = o;
					objs[no++].size = sz;
				}
			}
			break;
		case 4:
			if (no) {
				int k = b % no;

				kfree(objs[k].p);
				objs[k] = objs[--no];
			}
			break;
		case 5:
			if (no) {
				int k = b % no;
				size_t sz = (size_t)b * ((a >> 3) + 1) + 1;
				void *o = krealloc(objs[k].p, sz, GFP_KERNEL | __GFP_NOWARN);

				if (o) {
					objs[k].p = o;
					objs[k].size = sz;
				}
			}
			break;
		case 6:
			if (b & 1)
				drain_all_pages(NULL);
			else
				kmem_cache_shrink_all();
			break;
		case 7:
			if (nb) {
				struct page *p = blocks[b % nb].p;

				get_page(p);
				put_page(p);
			}
			break;
		}
		if (mm_check_counts())
			abort();
	}
	while (nb) {
		nb--;
		__free_pages(blocks[nb].p, blocks[nb].order);
	}
	while (no)
		kfree(objs[--no].p);
	kmem_cache_shrink_all();
	drain_all_pages(NULL);
	if (nr_free_pages_total() != start || nr_bad_pages || mm_check_invariants()) {
		host_quiet = 0;
		fprintf(stderr, "fuzz_page_alloc: free %lu != start %lu or bad pages %lu\n",
			nr_free_pages_total(), start, nr_bad_pages);
		mm_check_invariants();
		abort();
	}
	return 0;
}
