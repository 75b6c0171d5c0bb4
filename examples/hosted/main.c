/*
 * main.c - the hosted example: Ballast's memory manager in a Linux
 * process, from libballast-mm.a and its installed headers alone
 * (docs/porting.md walks through it).
 *
 * It brings the library up over a malloc'ed arena (platform.c), then
 * fragments memory the way a long-running appliance does: zsmalloc
 * objects (whose pages are movable) are allocated between short-lived
 * pages until memory is nearly full, then the short-lived pages are
 * freed: free memory is everywhere but in pieces, and almost no order-9
 * (2 MiB) block is left. ballast_mm_compact() migrates the
 * zsmalloc pages together and the big blocks come back; every object is
 * then read back through its handle. Each stage prints buddyinfo and one
 * "hosted:" line of figures (make test parses them:
 * tests/tools/test_libmm.py).
 *
 *   build/lib/hosted [MiB]     arena size, default 64
 */
#include <ballast/libmm.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/mm_show.h>
#include <mm/zsmalloc.h>
#include <mm/slab.h>
#include <kernel/printk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OBJ_SIZE 1000

int hosted_start(unsigned long mib);

/* Print buddyinfo and one line of figures for @stage (per-CPU lists drained first). */
static void report(const char *stage, const char *extra)
{
	drain_all_pages(NULL);
	show_buddyinfo();
	printf("hosted: %s: free_pages=%lu order9_free_pages=%lu slab_pages=%lu%s\n", stage,
	       nr_free_pages(), nr_free_pages_from_order(9), slab_pages(), extra);
}

/* The byte object @i is filled with. */
static unsigned char obj_byte(unsigned long i) { return (unsigned char)(i * 131 + 7); }

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 64;
	unsigned long nobj = 0, nfill = 0, bad = 0, start_free, start_slab, moved;
	unsigned long *handles, *fillers, cap;
	struct zs_pool *pool;
	struct page *pg;
	char line[128];
	int rc = hosted_start(mib);

	if (rc) {
		fprintf(stderr, "hosted: ballast_mm_init: %d\n", rc);
		return 1;
	}
	report("start", "");
	start_free = nr_free_pages();
	start_slab = slab_pages();
	cap = totalram_pages();
	handles = calloc(cap * 4, sizeof(*handles));
	fillers = calloc(cap, sizeof(*fillers));
	pool = zs_create_pool("hosted");
	if (!handles || !fillers || !pool)
		return 1;

	/* An object, then a short-lived page, until 1/32 of memory is left. */
	while (nr_free_pages_total() > cap / 32) {
		unsigned long h = zs_malloc(pool, OBJ_SIZE, __GFP_NOWARN);

		if (!h || !(pg = alloc_page(__GFP_MOVABLE | __GFP_NOWARN)))
			break;
		memset(zs_map_object(pool, h), obj_byte(nobj), OBJ_SIZE);
		zs_unmap_object(pool, h);
		handles[nobj++] = h;
		fillers[nfill++] = page_to_pfn(pg);
	}
	for (unsigned long i = 0; i < nfill; i++)
		__free_page(pfn_to_page(fillers[i]));
	snprintf(line, sizeof(line), " objects=%lu", nobj);
	report("fragmented", line);

	moved = ballast_mm_compact();
	snprintf(line, sizeof(line), " moved=%lu", moved);
	report("compacted", line);

	for (unsigned long i = 0; i < nobj; i++) {
		const unsigned char *p = zs_map_object(pool, handles[i]);

		for (int b = 0; b < OBJ_SIZE; b++)
			bad += p[b] != obj_byte(i);
		zs_unmap_object(pool, handles[i]);
	}
	printf("hosted: verify: %lu mismatches (%lu objects checked)\n", bad, nobj);
	printf("hosted: invariants: %lu problems\n", mm_check_invariants());

	for (unsigned long i = 0; i < nobj; i++)
		zs_free(pool, handles[i]);
	zs_destroy_pool(pool);
	snprintf(line, sizeof(line), " start_free_pages=%lu start_slab_pages=%lu", start_free, start_slab);
	report("freed", line);
	return 0;
}
