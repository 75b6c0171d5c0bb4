/*
 * test_mm.c - in-kernel suites for the page allocator on real memory
 * (the suites the allocator goals of docs/references.md came with): the
 * whole-allocator invariants after boot, exhaustion of every order and
 * the exact way back, __GFP_ZERO, page poisoning catching a write after
 * free, bad frees (double, wrong order, bad state) caught without
 * damage, the per-CPU lists, kmalloc and newlib's malloc on top of it,
 * fault injection, and kpageflags.
 *
 * Every suite leaves the allocator as it found it: poisoning off, fault
 * injection off, per-CPU limits at their defaults, every page it took
 * given back (except the ones a bad-free test deliberately leaks, which
 * the allocator takes out of circulation on purpose). The messages
 * "BUG: Bad page state", "memory corruption" and "kfree: bad pointer"
 * printed while these suites run are the allocator reporting the
 * mistakes the tests make on purpose.
 */
#include <kernel/ktest.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <arch/page.h>
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <mm/vmstat.h>
#include <mm/fault_inject.h>
#include <mm/mm_show.h>
#include <mm/kpageflags.h>
#include <mm/sparse.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- helpers ---------------- */

/* Free every block on @list (linked through page->lru) with @order; returns how many. */
static unsigned long free_block_list(struct list_head *list, unsigned int order)
{
	unsigned long n = 0;

	while (!list_empty(list)) {
		struct page *p = list_first_entry(list, struct page, lru);

		list_del(&p->lru);
		__free_pages(p, order);
		n++;
	}
	return n;
}

/* Index of the most recent bad-page report in the bad_page_pfn() ring. */
static unsigned int last_bad_index(void)
{
	return (unsigned int)((nr_bad_pages - 1) % 16);
}

/* True if every byte of @n bytes at @p equals @c. */
static bool all_bytes(const void *p, size_t n, uint8_t c)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != c)
			return false;
	return true;
}

/* ---------------- mm_buddy: the buddy allocator on real memory ---------------- */

/* Expect the allocator up, all invariants clean and counts consistent after boot. */
static void test_invariants_after_boot(struct ktest *t)
{
	unsigned long managed = 0;
	struct zone *z;

	KT_ASSERT(t, mm_initialized);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	KT_EXPECT_EQ(t, mm_check_counts(), 0);
	for_each_populated_zone(z) {
		KT_EXPECT(t, z->managed_pages <= z->present_pages);
		KT_EXPECT(t, z->present_pages <= z->spanned_pages);
		KT_EXPECT(t, z->free_pages <= z->managed_pages);
		KT_EXPECT(t, min_wmark_pages(z) <= low_wmark_pages(z));
		KT_EXPECT(t, low_wmark_pages(z) <= high_wmark_pages(z));
		managed += z->managed_pages;
	}
	KT_EXPECT_EQ(t, managed, totalram_pages());
	KT_EXPECT_EQ(t, managed, mm_init_stats.freed_pages);
	/* boot (and the suites before this one) allocate little: most of RAM is free */
	KT_EXPECT(t, nr_free_pages_total() > totalram_pages() / 2);
	KT_EXPECT_EQ(t, vm_stat_read(NR_FREE_PAGES), nr_free_pages());
	ktest_log("%lu of %lu pages free, %lu on pcp lists, %lu reserved", nr_free_pages(),
		  totalram_pages(), nr_pcp_pages(NULL), mm_init_stats.reserved_pages);
}

/* Expect the checker to notice a corrupted free count (and be clean once it is repaired). */
static void test_checker_detects_corruption(struct ktest *t)
{
	struct zone *zone = NULL, *z;
	unsigned long flags, bad;

	for_each_populated_zone(z)
		zone = z;
	KT_ASSERT(t, zone != NULL);
	ktest_log("corrupting %s free_pages on purpose: violations are expected below", zone->name);
	flags = local_irq_save();
	zone->free_pages++;
	local_irq_restore(flags);
	bad = mm_check_invariants();
	flags = local_irq_save();
	zone->free_pages--;
	local_irq_restore(flags);
	KT_EXPECT(t, bad > 0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/*
 * Expect the every-N-operations check (mm_debug_check, here N = 1, report
 * instead of panic) to catch a free count planted above its list at the
 * next allocator operation (nr_free and free_pages planted to agree, so
 * only the list walk can tell), and to stay quiet once it is repaired.
 * The boot's own setting is restored afterwards.
 */
static void test_debug_check_catches_planted_count(struct ktest *t)
{
	unsigned long every = mm_debug_check_interval, flags, failed;
	struct zone *zone = NULL, *z;
	struct free_area *area;
	struct page *p;

	if (mm_debug_check_set(every)) {
		ktest_skip(t, "mm_debug_check needs a CONFIG_DEBUG_VM build");
		return;
	}
	for_each_populated_zone(z)
		zone = z;
	KT_ASSERT(t, zone != NULL);
	area = &zone->free_area[MAX_ORDER];
	KT_ASSERT_EQ(t, mm_check_counts(), 0);
	ktest_log("planting one MAX_ORDER block too many in %s's counts: a report is expected",
		  zone->name);
	mm_debug_check_no_panic = true;
	failed = mm_debug_check_failures;
	mm_debug_check_set(1);
	spin_lock_irqsave(&zone->lock, flags);
	area->nr_free_mt[MIGRATE_MOVABLE]++;
	area->nr_free++;
	zone->free_pages += MAX_ORDER_NR_PAGES;
	spin_unlock_irqrestore(&zone->lock, flags);
	p = alloc_page(GFP_KERNEL);		/* a checked operation */
	KT_EXPECT(t, mm_debug_check_failures > failed);
	spin_lock_irqsave(&zone->lock, flags);
	area->nr_free_mt[MIGRATE_MOVABLE]--;
	area->nr_free--;
	zone->free_pages -= MAX_ORDER_NR_PAGES;
	spin_unlock_irqrestore(&zone->lock, flags);
	failed = mm_debug_check_failures;
	if (p)
		__free_page(p);			/* checked again, now clean */
	p = alloc_page(GFP_KERNEL);
	if (p)
		__free_page(p);
	KT_EXPECT_EQ(t, mm_debug_check_failures, failed);
	mm_debug_check_set(every);
	mm_debug_check_no_panic = false;
	KT_EXPECT_EQ(t, mm_check_counts(), 0);
}

/* Snapshot of nr_free per zone and order (buddy only). */
struct buddy_snapshot { unsigned long nr_free[MAX_NR_ZONES][NR_PAGE_ORDERS]; };

/* Fill @s from the zones (drain first for a fully merged picture). */
static void buddy_snapshot(struct buddy_snapshot *s)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		for (int o = 0; o <= MAX_ORDER; o++)
			s->nr_free[zi][o] = READ_ONCE(zones[zi].free_area[o].nr_free);
}

/*
 * Expect, for every order 0..10: allocating until failure takes exactly
 * the pages the free count lost, every block aligned and distinct, no
 * zone left able to pass its min watermark for that order; freeing them
 * brings the free count, and after a drain the per-order buddyinfo,
 * back exactly; the invariants hold when memory is full and after.
 */
static void test_exhaust_every_order(struct ktest *t)
{
	const gfp_t gfp = GFP_NOWAIT | __GFP_MOVABLE | __GFP_NOWARN;
	static struct buddy_snapshot before, after;

	drain_all_pages(NULL);
	buddy_snapshot(&before);
	for (unsigned int order = 0; order <= MAX_ORDER; order++) {
		unsigned long start = nr_free_pages_total(), n = 0, fails0, misaligned = 0;
		struct zone *z;
		LIST_HEAD(blocks);

		fails0 = vm_stat_read(PGALLOC_FAIL_ORDER_0 + order);
		for (;;) {
			struct page *p = alloc_pages(gfp, order);
			unsigned long pfn;

			if (!p)
				break;
			pfn = page_to_pfn(p);
			if (pfn & ((1UL << order) - 1) || page_count(p) != 1 || PageBuddy(p))
				misaligned++;
			*(unsigned long *)page_address(p) = pfn;	/* owner mark */
			list_add(&p->lru, &blocks);
			n++;
		}
		KT_EXPECT_EQ(t, misaligned, 0);
		KT_EXPECT(t, n > 0);
		KT_EXPECT_EQ(t, n << order, start - nr_free_pages_total());
		KT_EXPECT_EQ(t, vm_stat_read(PGALLOC_FAIL_ORDER_0 + order), fails0 + 1);
		for_each_populated_zone(z)
			KT_EXPECT(t, !zone_watermark_ok(z, order, min_wmark_pages(z), 0));
		KT_EXPECT_EQ(t, mm_check_invariants(), 0);
		/* no two blocks overlap: each still holds its own mark */
		{
			struct page *p;
			unsigned long clobbered = 0;

			list_for_each_entry(p, &blocks, lru)
				if (*(unsigned long *)page_address(p) != page_to_pfn(p))
					clobbered++;
			KT_EXPECT_EQ(t, clobbered, 0);
		}
		KT_EXPECT_EQ(t, free_block_list(&blocks, order), n);
		KT_EXPECT_EQ(t, nr_free_pages_total(), start);
		ktest_log("order %2u: %6lu blocks (%lu pages) until exhaustion, all returned",
			  order, n, n << order);
	}
	drain_all_pages(NULL);
	buddy_snapshot(&after);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		for (int o = 0; o <= MAX_ORDER; o++)
			KT_EXPECT_EQ(t, after.nr_free[zi][o], before.nr_free[zi][o]);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect __GFP_ZERO to hand back zeroed memory after a dirty free (order 0 and 3). */
static void test_gfp_zero(struct ktest *t)
{
	for (unsigned int order = 0; order <= 3; order += 3) {
		size_t bytes = PAGE_SIZE << order;
		struct page *p = alloc_pages(GFP_KERNEL, order), *q;
		unsigned long pfn;

		KT_ASSERT(t, p != NULL);
		pfn = page_to_pfn(p);
		memset(page_address(p), 0x5a, bytes);
		__free_pages(p, order);
		q = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
		KT_ASSERT(t, q != NULL);
		/* LIFO lists give the same dirty block back: the zeroing is really tested */
		KT_EXPECT_EQ(t, page_to_pfn(q), pfn);
		KT_EXPECT(t, all_bytes(page_address(q), bytes, 0));
		__free_pages(q, order);
	}
	{
		unsigned long a = get_zeroed_page(GFP_KERNEL);

		KT_ASSERT(t, a != 0);
		KT_EXPECT(t, all_bytes((void *)a, PAGE_SIZE, 0));
		free_page(a);
	}
}

/* Expect a drain to move exactly the pcp pages to the buddy, the total unchanged. */
static void test_pcp_drain(struct ktest *t)
{
	struct page *pages[16];
	unsigned long total, pcp, buddy;

	for (int i = 0; i < 16; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KT_ASSERT(t, pages[i] != NULL);
	}
	for (int i = 0; i < 16; i++) {
		__free_page(pages[i]);
		/* a page on a pcp list is free but not in the buddy */
		KT_EXPECT(t, !PageBuddy(pages[i]));
	}
	total = nr_free_pages_total();
	pcp = nr_pcp_pages(NULL);
	buddy = nr_free_pages();
	KT_EXPECT(t, pcp >= 16);
	drain_local_pages(NULL);
	KT_EXPECT_EQ(t, nr_pcp_pages(NULL), 0);
	KT_EXPECT_EQ(t, nr_free_pages(), buddy + pcp);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	for (int i = 0; i < 16; i++)
		KT_EXPECT(t, is_free_buddy_page(pages[i]));
	/* draining an idle CPU's lists is harmless */
	drain_cpu_pages(NR_CPUS - 1, NULL);
	drain_all_pages(NULL);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect a pcp list never to grow past ->high, with small limits set and after restoring them. */
static void test_pcp_high_limit(struct ktest *t)
{
	enum { N = 200 };
	static struct page *pages[N];
	unsigned int cpu = arch_cpu_id();
	unsigned long total;
	int maxcount = 0;
	struct zone *zone;

	pcp_set_batch_high(4, 8);
	total = nr_free_pages_total();
	for (int i = 0; i < N; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		KT_ASSERT(t, pages[i] != NULL);
	}
	zone = page_zone(pages[0]);
	KT_EXPECT_EQ(t, zone->pcp[cpu].batch, 4);
	KT_EXPECT_EQ(t, zone->pcp[cpu].high, 8);
	for (int i = 0; i < N; i++) {
		__free_page(pages[i]);
		maxcount = MAX(maxcount, zone->pcp[cpu].count);
	}
	KT_EXPECT(t, maxcount <= 8);
	KT_EXPECT(t, maxcount > 0);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	pcp_set_batch_high(0, 0);
	KT_EXPECT(t, zone->pcp[cpu].high >= zone->pcp[cpu].batch);
	KT_EXPECT(t, zone->pcp[cpu].high > 8);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect impossible requests refused politely: order > MAX_ORDER, and nothing taken. */
static void test_impossible_orders(struct ktest *t)
{
	unsigned long total = nr_free_pages_total();

	KT_EXPECT(t, alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER + 1) == NULL);
	KT_EXPECT(t, alloc_pages(GFP_KERNEL | __GFP_NOWARN, 64) == NULL);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
}

KTEST_SUITE(mm_buddy,
	KTEST_CASE(test_invariants_after_boot),
	KTEST_CASE(test_checker_detects_corruption),
	KTEST_CASE(test_debug_check_catches_planted_count),
	KTEST_CASE(test_exhaust_every_order),
	KTEST_CASE(test_gfp_zero),
	KTEST_CASE(test_pcp_drain),
	KTEST_CASE(test_pcp_high_limit),
	KTEST_CASE(test_impossible_orders));

/* ---------------- mm_checks: bad frees and poisoning ---------------- */

/*
 * Expect with poisoning on: a freed page is filled with PAGE_POISON; a
 * clean free/alloc cycle reports nothing; a byte written into a freed
 * page is reported exactly once when that page is handed out again.
 */
static void test_poison_write_after_free(struct ktest *t)
{
	unsigned long errs0 = nr_poison_errors, ev0 = vm_stat_read(PAGE_POISON_ERRORS);
	unsigned long total, pfn;
	struct page *p, *q;
	bool found = false;
	LIST_HEAD(held);

	page_poison_enable(true);
	KT_ASSERT(t, page_poisoning_enabled());
	p = alloc_page(GFP_KERNEL);
	KT_ASSERT(t, p != NULL);
	pfn = page_to_pfn(p);
	memset(page_address(p), 0x11, PAGE_SIZE);
	__free_page(p);
	KT_EXPECT(t, all_bytes(page_address(p), PAGE_SIZE, PAGE_POISON));
	q = alloc_page(GFP_KERNEL);			/* clean cycle */
	KT_ASSERT(t, q != NULL);
	KT_EXPECT_EQ(t, nr_poison_errors, errs0);
	__free_page(q);
	total = nr_free_pages_total();

	ktest_log("writing into free pfn %#lx on purpose: a corruption report is expected", pfn);
	((volatile uint8_t *)page_address(p))[123] = 0x42;
	for (int i = 0; i < 4096 && !found; i++) {
		q = alloc_page(GFP_KERNEL);
		KT_ASSERT(t, q != NULL);
		list_add(&q->lru, &held);
		found = page_to_pfn(q) == pfn;
	}
	KT_EXPECT(t, found);
	KT_EXPECT_EQ(t, nr_poison_errors, errs0 + 1);
	KT_EXPECT_EQ(t, vm_stat_read(PAGE_POISON_ERRORS), ev0 + 1);
	free_block_list(&held, 0);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	page_poison_enable(false);
	KT_EXPECT(t, !page_poisoning_enabled());
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect a double free (order 0 on a pcp list, order 3 in the buddy) reported, nothing corrupted. */
static void test_double_free(struct ktest *t)
{
	for (unsigned int order = 0; order <= 3; order += 3) {
		struct page *p = alloc_pages(GFP_KERNEL, order);
		unsigned long bad0 = nr_bad_pages, total;

		KT_ASSERT(t, p != NULL);
		__free_pages(p, order);
		total = nr_free_pages_total();
		ktest_log("double free of an order-%u block on purpose: a bad page report is expected",
			  order);
		__free_pages(p, order);
		KT_EXPECT_EQ(t, nr_bad_pages, bad0 + 1);
		KT_EXPECT_EQ(t, bad_page_pfn(last_bad_index()), page_to_pfn(p));
		KT_EXPECT_EQ(t, nr_free_pages_total(), total);
		KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	}
	{	/* put_page on a free page is the same mistake */
		struct page *p = alloc_page(GFP_KERNEL);
		unsigned long bad0 = nr_bad_pages, total;

		KT_ASSERT(t, p != NULL);
		put_page(p);
		total = nr_free_pages_total();
		put_page(p);
		KT_EXPECT_EQ(t, nr_bad_pages, bad0 + 1);
		KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	}
	/* the allocator still works: a fresh block of every tested order */
	for (unsigned int order = 0; order <= 3; order++) {
		struct page *p = alloc_pages(GFP_KERNEL, order);

		KT_ASSERT(t, p != NULL);
		__free_pages(p, order);
	}
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/*
 * Expect a block freed with the wrong order reported and taken out of
 * circulation (HWPoison, never handed out again): the free count drops
 * by exactly the block, the invariants stay clean.
 */
static void test_wrong_order_free(struct ktest *t)
{
	static const unsigned int cases[][2] = { { 2, 1 }, { 0, 1 }, { 1, 0 } };

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		unsigned int order = cases[i][0], wrong = cases[i][1];
		struct page *p = alloc_pages(GFP_KERNEL, order);
		unsigned long bad0 = nr_bad_pages, total, pfn;

		KT_ASSERT(t, p != NULL);
		pfn = page_to_pfn(p);
		total = nr_free_pages_total();
		ktest_log("freeing an order-%u block as order %u on purpose: a bad page report is expected",
			  order, wrong);
		__free_pages(p, wrong);
		KT_EXPECT_EQ(t, nr_bad_pages, bad0 + 1);
		KT_EXPECT_EQ(t, bad_page_pfn(last_bad_index()), pfn);
		KT_EXPECT(t, PageHWPoison(p));
		KT_EXPECT(t, page_kpageflags(pfn) & (1ULL << KPF_HWPOISON));
		KT_EXPECT(t, !is_free_buddy_page(p));
		KT_EXPECT_EQ(t, nr_free_pages_total(), total);	/* leaked, not freed */
		KT_EXPECT_EQ(t, mm_check_invariants(), 0);
	}
}

/* Expect a page freed with a mapping or a leftover page type reported and leaked. */
static void test_bad_state_free(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	unsigned long bad0 = nr_bad_pages, total;

	KT_ASSERT(t, p != NULL);
	total = nr_free_pages_total();
	ktest_log("freeing a page with a mapping on purpose: a bad page report is expected");
	p->mapping = (struct address_space *)0x1000;
	__free_page(p);
	KT_EXPECT_EQ(t, nr_bad_pages, bad0 + 1);
	KT_EXPECT(t, PageHWPoison(p));
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	p->mapping = NULL;			/* leaked for good; leave no stray pointer */

	p = alloc_page(GFP_KERNEL);
	KT_ASSERT(t, p != NULL);
	total = nr_free_pages_total();
	ktest_log("freeing a page-table page as plain memory on purpose: a bad page report is expected");
	__SetPageTable(p);
	__free_page(p);
	KT_EXPECT_EQ(t, nr_bad_pages, bad0 + 2);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

KTEST_SUITE(mm_checks,
	KTEST_CASE(test_poison_write_after_free),
	KTEST_CASE(test_double_free),
	KTEST_CASE(test_wrong_order_free),
	KTEST_CASE(test_bad_state_free));

/* ---------------- mm_kmalloc: kmalloc and newlib's malloc ---------------- */

static const size_t kmalloc_test_sizes[] = {
	1, 7, 8, 9, 16, 24, 33, 64, 95, 96, 100, 128, 150, 192, 200, 256, 300, 512,
	777, 1000, 1024, 1500, 2047, 2048, 2049, 4096, 4097, 12000, 65536, 1 << 20 };

/*
 * Expect kmalloc of many sizes to return distinct, usable, non-overlapping
 * objects (each keeps its own pattern), slab-backed up to 2 KiB and whole
 * pages above; freeing them and shrinking returns every page exactly.
 */
static void test_kmalloc_many_sizes(struct ktest *t)
{
	enum { PER = 40 };
	static void *objs[ARRAY_SIZE(kmalloc_test_sizes)][PER];
	unsigned long total, bad = 0;

	kmem_cache_shrink_all();
	drain_all_pages(NULL);
	total = nr_free_pages_total();
	for (size_t s = 0; s < ARRAY_SIZE(kmalloc_test_sizes); s++) {
		size_t size = kmalloc_test_sizes[s];

		for (int i = 0; i < PER; i++) {
			void *p = kmalloc(size, GFP_KERNEL);

			KT_ASSERT(t, p != NULL);
			KT_EXPECT(t, kmalloc_usable_size(p) >= size);
			if (size <= KMALLOC_MAX_CACHE_SIZE)
				KT_EXPECT(t, PageSlab(virt_to_page(p)));
			else
				KT_EXPECT(t, PageLargeKmalloc(virt_to_page(p)) &&
					  IS_ALIGNED((uintptr_t)p, PAGE_SIZE));
			memset(p, (int)(s * PER + i) & 0xff, size);
			objs[s][i] = p;
		}
	}
	for (size_t s = 0; s < ARRAY_SIZE(kmalloc_test_sizes); s++)
		for (int i = 0; i < PER; i++)
			if (!all_bytes(objs[s][i], kmalloc_test_sizes[s], (s * PER + i) & 0xff))
				bad++;
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT(t, slab_pages() > 0);
	KT_EXPECT(t, kmalloc_large_pages() >= PER * 256);	/* the 1 MiB objects */
	for (size_t s = 0; s < ARRAY_SIZE(kmalloc_test_sizes); s++)
		for (int i = PER - 1; i >= 0; i--)
			kfree(objs[s][i]);
	kmem_cache_shrink_all();
	drain_all_pages(NULL);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect kzalloc/kcalloc/krealloc to zero and keep contents; kcalloc overflow refused. */
static void test_kmalloc_variants(struct ktest *t)
{
	char *p = kzalloc(300, GFP_KERNEL), *q;
	uint32_t *a;

	KT_ASSERT(t, p != NULL);
	KT_EXPECT(t, all_bytes(p, 300, 0));
	memset(p, 'x', 300);
	q = krealloc(p, 5000, GFP_KERNEL);
	KT_ASSERT(t, q != NULL);
	KT_EXPECT(t, all_bytes(q, 300, 'x'));
	KT_EXPECT(t, kmalloc_usable_size(q) >= 5000);
	q = krealloc(q, 10, GFP_KERNEL);		/* shrinking keeps the object */
	KT_ASSERT(t, q != NULL);
	KT_EXPECT(t, all_bytes(q, 10, 'x'));
	KT_EXPECT(t, krealloc(q, 0, GFP_KERNEL) == NULL);	/* frees */
	a = kcalloc(100, sizeof(*a), GFP_KERNEL);
	KT_ASSERT(t, a != NULL);
	KT_EXPECT(t, all_bytes(a, 400, 0));
	kfree(a);
	KT_EXPECT(t, kcalloc(SIZE_MAX / 2, 4, GFP_KERNEL | __GFP_NOWARN) == NULL);
	KT_EXPECT(t, kmalloc((size_t)PAGE_SIZE << (MAX_ORDER + 1), GFP_KERNEL | __GFP_NOWARN) == NULL);
}

/* Expect kfree(NULL) ignored, and double/interior/foreign kfree reported without damage. */
static void test_kfree_null_and_bad(struct ktest *t)
{
	unsigned long bad0 = vm_stat_read(KMALLOC_BAD_FREE), total;
	static char not_kmalloc[64];
	char *p, *q;

	kfree(NULL);
	KT_EXPECT_EQ(t, vm_stat_read(KMALLOC_BAD_FREE), bad0);
	p = kmalloc(64, GFP_KERNEL);
	KT_ASSERT(t, p != NULL);
	kfree(p);
	total = nr_free_pages_total();
	ktest_log("bad kfree()s on purpose: three reports are expected");
	kfree(p);				/* double free */
	q = kmalloc(64, GFP_KERNEL);
	KT_ASSERT(t, q != NULL);
	kfree(q + 8);				/* inside an object */
	kfree(not_kmalloc);			/* kernel image, not the heap */
	KT_EXPECT_EQ(t, vm_stat_read(KMALLOC_BAD_FREE), bad0 + 3);
	/* the cache still hands out distinct objects */
	p = kmalloc(64, GFP_KERNEL);
	KT_ASSERT(t, p != NULL);
	KT_EXPECT(t, p != q);
	kfree(p);
	kfree(q);
	(void)total;
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect newlib's malloc/calloc/realloc/free to be served by kmalloc and give memory back. */
static void test_newlib_malloc(struct ktest *t)
{
	unsigned long total;
	char *p, *q;
	int *z;

	kmem_cache_shrink_all();
	drain_all_pages(NULL);
	total = nr_free_pages_total();
	p = malloc(100);
	KT_ASSERT(t, p != NULL);
	KT_EXPECT(t, virt_addr_valid(p));		/* heap memory, not the early arena */
	KT_EXPECT(t, kmalloc_usable_size(p) >= 100);
	memset(p, 'm', 100);
	q = realloc(p, 20000);				/* grows into whole pages */
	KT_ASSERT(t, q != NULL);
	KT_EXPECT(t, all_bytes(q, 100, 'm'));
	KT_EXPECT(t, PageLargeKmalloc(virt_to_page(q)));
	z = calloc(1000, sizeof(int));
	KT_ASSERT(t, z != NULL);
	KT_EXPECT(t, all_bytes(z, 1000 * sizeof(int), 0));
	KT_EXPECT(t, nr_free_pages_total() < total);
	free(q);
	free(z);
	free(NULL);
	kmem_cache_shrink_all();
	drain_all_pages(NULL);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
}

KTEST_SUITE(mm_kmalloc,
	KTEST_CASE(test_kmalloc_many_sizes),
	KTEST_CASE(test_kmalloc_variants),
	KTEST_CASE(test_kfree_null_and_bad),
	KTEST_CASE(test_newlib_malloc));

/* ---------------- mm_fault: fail_page_alloc ---------------- */

/* Allocate an order-@order block and free it at once; true if the allocation succeeded. */
static bool try_alloc(unsigned int order)
{
	struct page *p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);

	if (!p)
		return false;
	__free_pages(p, order);
	return true;
}

/* Expect nth=1 to fail exactly the next allocation, counted, and then recover. */
static void test_fault_nth(struct ktest *t)
{
	unsigned long total = nr_free_pages_total();
	unsigned long inj0 = vm_stat_read(FAIL_PAGE_ALLOC_INJECTED), fail0 = vm_stat_read(PGALLOC_FAIL);

	KT_ASSERT_EQ(t, fault_inject_parse("nth=1"), 0);
	KT_EXPECT(t, !try_alloc(0));
	KT_EXPECT(t, try_alloc(0));
	KT_EXPECT(t, try_alloc(0));
	KT_EXPECT_EQ(t, fail_page_alloc.injected, 1);
	KT_EXPECT_EQ(t, vm_stat_read(FAIL_PAGE_ALLOC_INJECTED), inj0 + 1);
	KT_EXPECT_EQ(t, vm_stat_read(PGALLOC_FAIL), fail0 + 1);
	KT_ASSERT_EQ(t, fault_inject_parse("nth=3"), 0);
	KT_EXPECT(t, try_alloc(2));
	KT_EXPECT(t, try_alloc(2));
	KT_EXPECT(t, !try_alloc(2));
	KT_EXPECT(t, try_alloc(2));
	fault_inject_reset();
	KT_EXPECT_EQ(t, fail_page_alloc.mode, FAIL_OFF);
	KT_EXPECT_EQ(t, nr_free_pages_total(), total);
}

/* Expect every=2,times=2 to fail the 2nd and 4th allocations only. */
static void test_fault_every_times(struct ktest *t)
{
	static const bool want[] = { true, false, true, false, true, true, true };

	KT_ASSERT_EQ(t, fault_inject_parse("every=2,times=2"), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(want); i++)
		KT_EXPECT_EQ(t, try_alloc(0), want[i]);
	KT_EXPECT_EQ(t, fail_page_alloc.injected, 2);
	fault_inject_reset();
}

/* Expect order=3,every=1 to fail orders >= 3 only, and nowarn=skip to exempt __GFP_NOWARN. */
static void test_fault_min_order_and_nowarn(struct ktest *t)
{
	KT_ASSERT_EQ(t, fault_inject_parse("order=3,every=1"), 0);
	KT_EXPECT(t, try_alloc(0));
	KT_EXPECT(t, try_alloc(2));
	KT_EXPECT(t, !try_alloc(3));
	KT_EXPECT(t, !try_alloc(MAX_ORDER));
	KT_ASSERT_EQ(t, fault_inject_parse("every=1,nowarn=skip"), 0);
	KT_EXPECT(t, try_alloc(0));			/* try_alloc uses __GFP_NOWARN */
	fault_inject_reset();
	KT_EXPECT(t, try_alloc(3));
}

/* Expect the kmalloc-large and pcp-refill sites to fail when selected, then recover. */
static void test_fault_sites(struct ktest *t)
{
	void *p;
	struct page *pages[64];
	int got = 0;

	KT_ASSERT_EQ(t, fault_inject_parse("sites=large,nth=1"), 0);
	KT_EXPECT(t, try_alloc(1));			/* the page allocator itself is not a target */
	KT_EXPECT(t, kmalloc(8192, GFP_KERNEL | __GFP_NOWARN) == NULL);
	p = kmalloc(8192, GFP_KERNEL | __GFP_NOWARN);
	KT_EXPECT(t, p != NULL);
	kfree(p);
	KT_EXPECT_EQ(t, fail_page_alloc.injected_site[FAIL_SITE_KMALLOC_LARGE], 1);

	/* every refill fails: once the pcp list is used up, order-0 goes to the zone */
	drain_all_pages(NULL);
	KT_ASSERT_EQ(t, fault_inject_parse("sites=pcp,every=1"), 0);
	for (int i = 0; i < 64; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		got += pages[i] != NULL;
	}
	KT_EXPECT_EQ(t, got, 64);
	KT_EXPECT(t, fail_page_alloc.injected_site[FAIL_SITE_PCP_REFILL] > 0);
	fault_inject_reset();
	for (int i = 0; i < 64; i++)
		if (pages[i])
			__free_page(pages[i]);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect prob=50 with a seed to fail some but not all, and the same seed to replay exactly. */
static void test_fault_prob_replay(struct ktest *t)
{
	enum { N = 200 };
	static bool run1[N];
	int fails = 0, same = 0;

	KT_ASSERT_EQ(t, fault_inject_parse("prob=50%,seed=12345"), 0);
	for (int i = 0; i < N; i++) {
		run1[i] = try_alloc(0);
		fails += !run1[i];
	}
	KT_ASSERT_EQ(t, fault_inject_parse("prob=50,seed=12345"), 0);
	for (int i = 0; i < N; i++)
		same += try_alloc(0) == run1[i];
	fault_inject_reset();
	KT_EXPECT(t, fails > N / 5 && fails < N * 4 / 5);
	KT_EXPECT_EQ(t, same, N);
	ktest_log("prob=50%%: %d of %d allocations failed, replayed identically", fails, N);
}

/* Expect bad specs refused with -EINVAL and fault injection left off. */
static void test_fault_bad_specs(struct ktest *t)
{
	static const char * const bad[] = { "", "nth=0", "prob=101", "order=11", "sites=nowhere",
					    "bogus=1", "nth", "every=x" };

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		KT_EXPECT(t, fault_inject_parse(bad[i]) != 0);
	KT_EXPECT_EQ(t, fail_page_alloc.mode, FAIL_OFF);
	KT_EXPECT(t, try_alloc(0));
}

KTEST_SUITE(mm_fault,
	KTEST_CASE(test_fault_nth),
	KTEST_CASE(test_fault_every_times),
	KTEST_CASE(test_fault_min_order_and_nowarn),
	KTEST_CASE(test_fault_sites),
	KTEST_CASE(test_fault_prob_replay),
	KTEST_CASE(test_fault_bad_specs));

/* ---------------- mm_kpageflags ---------------- */

/* Expect every page of a free buddy block (not on a pcp list) to report BUDDY (bit 10) only. */
static void test_kpageflags_buddy(struct ktest *t)
{
	struct page *p = alloc_pages(GFP_KERNEL, 3);
	unsigned long pfn;
	uint64_t f;

	KT_ASSERT(t, p != NULL);
	pfn = page_to_pfn(p);
	f = page_kpageflags(pfn);
	KT_EXPECT(t, !(f & (1ULL << KPF_BUDDY)));		/* allocated */
	__free_pages(p, 3);				/* order > 0: straight to the buddy */
	for (unsigned long i = 0; i < 8; i++) {
		f = page_kpageflags(pfn + i);
		KT_EXPECT_EQ(t, f & ~KPF_BALLAST_MT_MASK, 1ULL << KPF_BUDDY);
	}
	KT_EXPECT_EQ(t, KPF_BUDDY, 10);
}

/* Expect a slab page to report SLAB (bit 7), not BUDDY; a large kmalloc neither. */
static void test_kpageflags_slab(struct ktest *t)
{
	void *o = kmalloc(64, GFP_KERNEL), *l = kmalloc(3 * PAGE_SIZE, GFP_KERNEL);
	uint64_t f;

	KT_ASSERT(t, o != NULL && l != NULL);
	f = page_kpageflags(PHYS_PFN(__pa(o)));
	KT_EXPECT(t, f & (1ULL << KPF_SLAB));
	KT_EXPECT(t, !(f & (1ULL << KPF_BUDDY)));
	f = page_kpageflags(PHYS_PFN(__pa(l)));
	KT_EXPECT(t, !(f & ((1ULL << KPF_SLAB) | (1ULL << KPF_BUDDY))));
	kfree(o);
	kfree(l);
	KT_EXPECT_EQ(t, KPF_SLAB, 7);
}

/* Expect reserved memory (first MiB, kernel image) to report RESERVED (bit 32); no-RAM pfns NOPAGE. */
static void test_kpageflags_reserved(struct ktest *t)
{
	unsigned long img = PHYS_PFN((phys_addr_t)_image_start_phys);
	uint64_t f;

	f = page_kpageflags(img);
	KT_EXPECT(t, f & (1ULL << KPF_RESERVED));
	KT_EXPECT(t, !(f & (1ULL << KPF_BUDDY)));
	f = page_kpageflags(1);			/* the first MiB is reserved at boot */
	KT_EXPECT(t, f & ((1ULL << KPF_RESERVED) | (1ULL << KPF_NOPAGE)));
	KT_EXPECT(t, !(f & (1ULL << KPF_BUDDY)));
	KT_EXPECT_EQ(t, page_kpageflags(sparse_end_pfn() + PAGES_PER_SECTION + 12345), 1ULL << KPF_NOPAGE);
	KT_EXPECT_EQ(t, KPF_RESERVED, 32);
}

/* Expect a free page on a per-CPU list not to report BUDDY until a drain puts it in the buddy. */
static void test_kpageflags_pcp_page_not_buddy(struct ktest *t)
{
	struct page *p = alloc_page(GFP_KERNEL);
	unsigned long pfn;

	KT_ASSERT(t, p != NULL);
	pfn = page_to_pfn(p);
	__free_page(p);				/* order 0: onto this CPU's list */
	if (nr_pcp_pages(NULL) == 0) {
		ktest_skip(t, "per-CPU lists are empty (page went straight to the buddy)");
		return;
	}
	KT_EXPECT(t, !(page_kpageflags(pfn) & (1ULL << KPF_BUDDY)));
	drain_all_pages(NULL);
	KT_EXPECT(t, page_kpageflags(pfn) & (1ULL << KPF_BUDDY));
}

KTEST_SUITE(mm_kpageflags,
	KTEST_CASE(test_kpageflags_buddy),
	KTEST_CASE(test_kpageflags_slab),
	KTEST_CASE(test_kpageflags_reserved),
	KTEST_CASE(test_kpageflags_pcp_page_not_buddy));
