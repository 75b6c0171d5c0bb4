/* test_slab.c - kmalloc/kfree/krealloc and the slab caches. */
#include "htest.h"
#include "support/host_mem.h"
#include "support/host_log.h"
#include <mm/slab.h>
#include <mm/page_alloc.h>
#include <mm/vmstat.h>
#include <mm/mm_show.h>
#include <stdlib.h>
#include <string.h>

extern int host_quiet;

/* Expect each request size to get its size class, slab pages typed Slab, and everything back after kfree + shrink. */
TEST(kmalloc_size_classes)
{
	static const size_t req[] = { 1, 8, 9, 16, 17, 33, 64, 65, 96, 97, 128, 129, 192, 193,
				      256, 300, 512, 513, 1000, 1024, 1025, 2048 };
	static const size_t cls[] = { 8, 8, 16, 16, 32, 64, 64, 96, 96, 128, 128, 192, 192, 256,
				      256, 512, 512, 1024, 1024, 1024, 2048, 2048 };
	void *p[ARRAY_SIZE(req)];
	unsigned long free0;

	host_mem_init_mb(32);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	for (size_t i = 0; i < ARRAY_SIZE(req); i++) {
		p[i] = kmalloc(req[i], GFP_KERNEL);
		ASSERT(p[i]);
		EXPECT_EQ(kmalloc_usable_size(p[i]), cls[i]);
		EXPECT_EQ((uintptr_t)p[i] % (cls[i] >= 8 ? 8 : 1), 0);
		EXPECT(PageSlab(virt_to_page(p[i])));
		EXPECT(page_kpageflags(page_to_pfn(virt_to_page(p[i]))) & (1ULL << KPF_SLAB));
		memset(p[i], 0xab, req[i]);
	}
	EXPECT(slab_pages() > 0);
	for (size_t i = 0; i < ARRAY_SIZE(req); i++)
		kfree(p[i]);
	kmem_cache_shrink_all();
	EXPECT_EQ(slab_pages(), 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect many objects of one class to fill several slabs with distinct, non-overlapping addresses. */
TEST(kmalloc_many_distinct)
{
	enum { N = 3000 };
	static char *p[N];

	host_mem_init_mb(32);
	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(96, GFP_KERNEL);
		ASSERT(p[i]);
		memset(p[i], i & 0xff, 96);
	}
	for (int i = 0; i < N; i++)
		for (int j = 0; j < 96; j++)
			if ((unsigned char)p[i][j] != (i & 0xff)) {
				EXPECT(0);
				i = N;
				break;
			}
	EXPECT(kmalloc_caches[4].nr_slabs >= N / 42);
	EXPECT_EQ(kmalloc_caches[4].active_objs, N);
	for (int i = 0; i < N; i += 2)
		kfree(p[i]);
	for (int i = 1; i < N; i += 2)
		kfree(p[i]);
	EXPECT_EQ(kmalloc_caches[4].active_objs, 0);
	EXPECT(kmalloc_caches[4].nr_slabs <= 1);
	host_mem_teardown();
}

/* Expect kmalloc above 2 KiB to use whole pages of the right order, kfree to return them. */
TEST(kmalloc_large)
{
	unsigned long free0;
	void *a, *b;

	host_mem_init_mb(32);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	a = kmalloc(3000, GFP_KERNEL);
	b = kmalloc(5 * PAGE_SIZE, GFP_KERNEL);
	ASSERT(a && b);
	EXPECT_EQ(kmalloc_usable_size(a), PAGE_SIZE);
	EXPECT_EQ(kmalloc_usable_size(b), 8 * PAGE_SIZE);
	EXPECT(PageLargeKmalloc(virt_to_page(b)));
	EXPECT_EQ(kmalloc_large_pages(), 9);
	memset(b, 1, 5 * PAGE_SIZE);
	kfree(a);
	kfree(b);
	EXPECT_EQ(kmalloc_large_pages(), 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(kmalloc(8UL << 20, GFP_KERNEL | __GFP_NOWARN), NULL);
	host_mem_teardown();
}

/* Expect kzalloc and kcalloc to zero, and kcalloc to refuse an overflowing product. */
TEST(kzalloc_kcalloc)
{
	unsigned char *p;
	bool zero = true;

	host_mem_init_mb(16);
	p = kmalloc(200, GFP_KERNEL);
	memset(p, 0xee, 200);
	kfree(p);
	p = kzalloc(200, GFP_KERNEL);
	ASSERT(p);
	for (int i = 0; i < 200; i++)
		if (p[i])
			zero = false;
	EXPECT(zero);
	kfree(p);
	p = kcalloc(10, 300, GFP_KERNEL);
	ASSERT(p);
	EXPECT_EQ(p[2999], 0);
	kfree(p);
	EXPECT_EQ(kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL), NULL);
	host_mem_teardown();
}

/* Expect krealloc to keep contents when growing, stay in place when it fits, and free on size 0. */
TEST(krealloc_semantics)
{
	char *p, *q;

	host_mem_init_mb(16);
	p = krealloc(NULL, 10, GFP_KERNEL);
	ASSERT(p);
	memcpy(p, "ballast!!", 10);
	q = krealloc(p, 16, GFP_KERNEL);
	EXPECT_EQ(q, p);
	q = krealloc(p, 5000, GFP_KERNEL);
	ASSERT(q);
	EXPECT(!memcmp(q, "ballast!!", 10));
	EXPECT_EQ(kmalloc_usable_size(q), 2 * PAGE_SIZE);
	EXPECT_EQ(krealloc(q, 0, GFP_KERNEL), NULL);
	EXPECT_EQ(kmalloc_large_pages(), 0);
	host_mem_teardown();
}

/* Expect double frees, interior pointers, foreign and freed pointers to be reported and ignored. */
TEST(kfree_bad_pointers)
{
	char *p, *q;
	int stack_var;
	unsigned long bad0;
	void *heap = malloc(32);
	struct page *pg;

	host_mem_init_mb(16);
	p = kmalloc(64, GFP_KERNEL);
	q = kmalloc(64, GFP_KERNEL);
	bad0 = vm_stat_read(KMALLOC_BAD_FREE);
	host_quiet = 1;
	kfree(p);
	kfree(p);			/* double free */
	kfree(q + 8);			/* interior pointer */
	kfree(&stack_var);		/* not a direct-map address */
	kfree(heap);
	pg = alloc_pages(GFP_KERNEL, 0);
	kfree(page_address(pg));	/* a page that kmalloc did not give */
	{
		void *l = kmalloc(10000, GFP_KERNEL);

		kfree(l);
		kfree(l);		/* double free of a large kmalloc */
	}
	EXPECT_EQ(krealloc(q + 8, 100, GFP_KERNEL), NULL);
	host_quiet = 0;
	EXPECT_EQ(vm_stat_read(KMALLOC_BAD_FREE) - bad0, 7);
	EXPECT_EQ(kmalloc_caches[3].bad_frees, 1);
	EXPECT_EQ(kmalloc_caches[3].active_objs, 1);
	/* the cache still works: the freed object comes back once, q is intact */
	memset(q, 7, 64);
	{
		char *r = kmalloc(64, GFP_KERNEL), *s = kmalloc(64, GFP_KERNEL);

		EXPECT(r != s);
		EXPECT(r != q && s != q);
		kfree(r);
		kfree(s);
	}
	EXPECT_EQ(q[63], 7);
	kfree(q);
	__free_pages(pg, 0);
	EXPECT_EQ(nr_bad_pages, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	free(heap);
	host_mem_teardown();
}

/* Expect a write after free that breaks the freelist to be detected and repaired without handing out bad memory. */
TEST(freelist_corruption_repaired)
{
	void *a, *b, *c, *d;

	host_mem_init_mb(16);
	a = kmalloc(32, GFP_KERNEL);
	b = kmalloc(32, GFP_KERNEL);
	kfree(a);
	kfree(b);			/* freelist: b -> a -> ... */
	*(void **)b = (void *)0xdeadbeef;	/* write after free into b's free pointer */
	host_quiet = 1;
	c = kmalloc(32, GFP_KERNEL);
	d = kmalloc(32, GFP_KERNEL);
	host_quiet = 0;
	ASSERT(c && d);
	EXPECT(c != d);
	EXPECT(c != (void *)0xdeadbeef && d != (void *)0xdeadbeef);
	EXPECT(PageSlab(virt_to_page(c)) && PageSlab(virt_to_page(d)));
	kfree(c);
	kfree(d);
	EXPECT_EQ(kmalloc_caches[2].active_objs, 0);
	host_mem_teardown();
}

/* Expect slabinfo numbers to follow allocations (and show_slabinfo to print them). */
TEST(slabinfo_counts)
{
	void *p[10];

	host_mem_init_mb(16);
	for (int i = 0; i < 10; i++)
		p[i] = kmalloc(2000, GFP_KERNEL);
	EXPECT_EQ(kmalloc_caches[10].active_objs, 10);
	EXPECT_EQ(kmalloc_caches[10].order, 1);
#ifdef CONFIG_DEBUG_VM
	/* 2048-byte objects 4096 bytes apart (the redzone): two per order-1 slab */
	EXPECT_EQ(kmalloc_caches[10].objects, 2);
	EXPECT_EQ(kmalloc_caches[10].nr_slabs, 5);
	EXPECT_EQ(slab_pages(), 10);
	EXPECT_EQ(vm_stat_read(NR_SLAB_PAGES), 10);
#else
	EXPECT_EQ(kmalloc_caches[10].objects, 4);
	EXPECT_EQ(kmalloc_caches[10].nr_slabs, 3);
	EXPECT_EQ(slab_pages(), 6);
	EXPECT_EQ(vm_stat_read(NR_SLAB_PAGES), 6);
#endif
	show_slabinfo();
	for (int i = 0; i < 10; i++)
		kfree(p[i]);
	EXPECT_EQ(kmalloc_caches[10].allocs, 10);
	EXPECT_EQ(kmalloc_caches[10].frees, 10);
	EXPECT_EQ(kmalloc_caches[10].nr_slabs, 1);	/* one empty slab is kept */
	host_mem_teardown();
}

/* Expect debug objects to keep their alignment with a redzone between neighbours. */
TEST(redzone_layout)
{
	static const size_t sizes[NR_KMALLOC_CACHES] = {
		8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048 };

	host_mem_init_mb(16);
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *c;
		void *p = kmalloc(sizes[i], GFP_KERNEL);

		ASSERT(p);
		c = virt_to_page(p)->slab_cache;
		ASSERT(c == &kmalloc_caches[i]);
		EXPECT(c->stride >= c->size + 8);
		EXPECT_EQ(c->stride % (c->size & -c->size), 0);
		EXPECT_EQ((uintptr_t)p % (c->size & -c->size), 0);
		kfree(p);
	}
	host_mem_teardown();
}

/*
 * Expect one byte written past a kmalloc object (its neighbour's side) to
 * be caught: by the invariant checker while the object lives, and by
 * kfree(); each report names the cache and the object's address, the
 * neighbour is untouched, and the redzone is repainted (counted once each).
 */
TEST(write_past_end_reported)
{
	char *a, *b, want[96], line[160];

	host_mem_init_mb(16);
	a = kmalloc(32, GFP_KERNEL);
	b = kmalloc(32, GFP_KERNEL);
	ASSERT(a && b);
	memset(b, 'n', 32);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_log_capture(true);
	a[32] = 'X';			/* one byte past a's end */
	EXPECT_EQ(mm_check_invariants(), 1);
	snprintf(want, sizeof(want), "kmalloc: kmalloc-32 object %p: redzone overwritten at +32 (0x58", a);
	EXPECT(host_log_find(want, line, sizeof(line)));
	EXPECT_EQ(kmalloc_caches[2].redzone_errors, 1);
	EXPECT_EQ(mm_check_invariants(), 0);	/* repainted */
	host_log_clear();
	a[33] = 'Y';
	kfree(a);
	EXPECT(host_log_find(want, line, sizeof(line)) == false);	/* +33 this time */
	snprintf(want, sizeof(want), "kmalloc: kmalloc-32 object %p: redzone overwritten at +33 (0x59", a);
	EXPECT(host_log_find(want, line, sizeof(line)));
	host_log_capture(false);
	EXPECT_EQ(kmalloc_caches[2].redzone_errors, 2);
	for (int i = 0; i < 32; i++)
		EXPECT_EQ(b[i], 'n');
	EXPECT_EQ(kmalloc_caches[2].active_objs, 1);	/* a was freed all the same */
	kfree(b);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}
