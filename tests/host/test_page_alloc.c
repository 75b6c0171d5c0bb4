/* test_page_alloc.c - unit tests of the buddy allocator, pcp lists, zones and checks. */
#include "htest.h"
#include "support/host_mem.h"
#include <mm/page_alloc.h>
#include <mm/vmstat.h>
#include <mm/mm_show.h>
#include <mm/memblock.h>
#include <string.h>

extern int host_quiet;
extern __thread unsigned int host_cpu_id;

/* Free blocks per order, summed over zones (after draining the pcp lists). */
static void snapshot_orders(unsigned long *v)
{
	drain_all_pages(NULL);
	memset(v, 0, sizeof(unsigned long) * NR_PAGE_ORDERS);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o <= MAX_ORDER; o++)
			v[o] += zones[z].free_area[o].nr_free;
}

/* Expect mm_init() to release exactly memblock's free memory, all MOVABLE, invariants holding. */
TEST(init_releases_free_memory)
{
	host_mem_init_mb(64);
	ASSERT(mm_initialized);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_free_pages(), mm_init_stats.freed_pages);
	EXPECT_EQ(totalram_pages(), mm_init_stats.freed_pages);
	/* 64 MiB minus the first MiB, minus the 2 MiB memmap of its 128 MiB section */
	EXPECT_EQ(mm_init_stats.freed_pages, (61UL << 20) / PAGE_SIZE);
	EXPECT_EQ(mm_init_stats.memmap_bytes, 2UL << 20);
	/* the whole section has struct pages: 64 MiB .. 128 MiB is a reserved hole */
	EXPECT_EQ(mm_init_stats.freed_pages + mm_init_stats.reserved_pages, 32768);
	EXPECT_EQ(zones[ZONE_DMA].present_pages, 160 + 3840);
	EXPECT(zones[ZONE_DMA32].managed_pages > 0);
	EXPECT_EQ(zones[ZONE_NORMAL].managed_pages, 0);
	EXPECT(zones[ZONE_DMA32].free_area[MAX_ORDER].nr_free >= 10);
	EXPECT_EQ(zones[ZONE_DMA32].free_area[MAX_ORDER].nr_free_mt[MIGRATE_MOVABLE],
		  zones[ZONE_DMA32].free_area[MAX_ORDER].nr_free);
	EXPECT(PageReserved(pfn_to_page(0)));
	EXPECT(PageReserved(pfn_to_page(0xa0)));	/* the 640K-1M hole */
	EXPECT(pfn_valid(64UL << 8));
	EXPECT(PageReserved(pfn_to_page(64UL << 8)));
	EXPECT(PageReserved(pfn_to_page((128UL << 8) - 1)));
	EXPECT(!pfn_valid(128UL << 8));
	EXPECT(low_wmark_pages(&zones[ZONE_DMA32]) > min_wmark_pages(&zones[ZONE_DMA32]));
	EXPECT(high_wmark_pages(&zones[ZONE_DMA32]) > low_wmark_pages(&zones[ZONE_DMA32]));
	host_mem_teardown();
}

/* Expect every order 0..10 to be allocatable, aligned, refcount 1, and fully returned on free. */
TEST(alloc_free_every_order)
{
	unsigned long before[NR_PAGE_ORDERS], after[NR_PAGE_ORDERS];

	host_mem_init_mb(64);
	snapshot_orders(before);
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		struct page *p = alloc_pages(GFP_KERNEL, o);

		ASSERT(p);
		EXPECT_EQ(page_to_pfn(p) & ((1UL << o) - 1), 0);
		EXPECT_EQ(page_ref_count(p), 1);
		EXPECT(!PageBuddy(p));
		EXPECT_EQ(p->alloc_order, o);
		memset(page_address(p), 0x5a, PAGE_SIZE << o);
		__free_pages(p, o);
		EXPECT_EQ(mm_check_invariants(), 0);
	}
	snapshot_orders(after);
	for (int o = 0; o <= MAX_ORDER; o++)
		EXPECT_EQ(after[o], before[o]);
	EXPECT_EQ(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER + 1), NULL);
	host_mem_teardown();
}

/* Expect allocating everything to give exactly the free page count, and freeing it to restore the buddy exactly. */
TEST(exhaust_and_restore)
{
	static struct page *held[20000];
	unsigned long before[NR_PAGE_ORDERS], after[NR_PAGE_ORDERS], total, n = 0;

	host_mem_init_mb(64);
	snapshot_orders(before);
	total = nr_free_pages_total();
	while (n < ARRAY_SIZE(held)) {
		struct page *p = alloc_pages(__GFP_MEMALLOC | __GFP_NOWARN |
					     (n & 1 ? __GFP_MOVABLE : 0), 0);
		if (!p)
			break;
		held[n++] = p;
	}
	EXPECT_EQ(n, total);
	EXPECT_EQ(nr_free_pages_total(), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0), NULL);
	for (unsigned long i = 0; i < n; i++)
		__free_pages(held[(i * 7919) % n], 0);	/* a scattered order */
	EXPECT_EQ(nr_free_pages_total(), total);
	EXPECT_EQ(mm_check_invariants(), 0);
	snapshot_orders(after);
	for (int o = 0; o <= MAX_ORDER; o++)
		EXPECT_EQ(after[o], before[o]);
	host_mem_teardown();
}

/* Expect __GFP_ZERO to return zeroed memory even after the page was dirtied and freed. */
TEST(gfp_zero_zeroes)
{
	host_mem_init_mb(32);
	for (unsigned int o = 0; o < 4; o++) {
		struct page *p = alloc_pages(GFP_KERNEL, o);
		unsigned char *a;
		bool zero = true;

		ASSERT(p);
		memset(page_address(p), 0xff, PAGE_SIZE << o);
		__free_pages(p, o);
		p = alloc_pages(GFP_KERNEL | __GFP_ZERO, o);
		ASSERT(p);
		a = page_address(p);
		for (unsigned long i = 0; i < (PAGE_SIZE << o); i++)
			if (a[i])
				zero = false;
		EXPECT(zero);
		__free_pages(p, o);
	}
	{
		unsigned long a = get_zeroed_page(GFP_KERNEL);

		ASSERT(a);
		EXPECT_EQ(((uint64_t *)a)[17], 0);
		free_page(a);
	}
	host_mem_teardown();
}

/* Expect a sparse 6 GiB layout with a PCI hole to have 3 zones, holes without memmap, and zonelist fallback. */
TEST(sparse_layout_zones_and_fallback)
{
	struct e820_entry map[] = {
		{ 0, 0x9fc00, E820_RAM },
		{ 0x100000, 0xbff00000ULL, E820_RAM },		/* 1 MiB .. 3 GiB */
		{ 0xc0000000ULL, 0x40000000ULL, E820_RESERVED },	/* PCI hole */
		{ 0x100000000ULL, 0x80000000ULL, E820_RAM },	/* 4 GiB .. 6 GiB */
	};
	struct page *p;

	host_mem_init(map, 4);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT(populated_zone(&zones[ZONE_NORMAL]));
	EXPECT_EQ(zones[ZONE_NORMAL].present_pages, 0x80000);
	EXPECT_EQ(zones[ZONE_DMA32].present_pages, 0xc0000 - 0x1000);
	EXPECT(!pfn_valid(0xd0000));
	EXPECT(pfn_valid(0x100000));
	EXPECT_EQ(page_kpageflags(0xd0000), 1ULL << KPF_NOPAGE);
	p = alloc_pages(GFP_KERNEL, 0);
	ASSERT(p);
	EXPECT_EQ(page_zonenum(p), ZONE_NORMAL);
	__free_pages(p, 0);
	p = alloc_pages(GFP_KERNEL | __GFP_DMA32, 3);
	ASSERT(p);
	EXPECT_EQ(page_zonenum(p), ZONE_DMA32);
	__free_pages(p, 3);
	p = alloc_pages(GFP_KERNEL | __GFP_DMA, 0);
	ASSERT(p);
	EXPECT(page_to_pfn(p) < ZONE_DMA_END_PFN);
	__free_pages(p, 0);
	/* 6 GiB of struct pages less the 1 GiB PCI hole's 8 sections, given back */
	EXPECT_EQ(mm_init_stats.memmap_bytes, (5UL << 30) / PAGE_SIZE * 64);
	host_mem_teardown();
}

/* Expect Normal to fall back to DMA32 when Normal is exhausted. */
TEST(zonelist_fallback_when_exhausted)
{
	struct e820_entry map[] = {
		{ 0x100000, 0xbff00000ULL, E820_RAM },		/* up to 3 GiB */
		{ 0x100000000ULL, 0x800000ULL, E820_RAM },	/* 8 MiB of Normal */
	};
	struct page *held[8];
	int n = 0;
	struct page *p;

	host_mem_init(map, 2);
	while (n < 8 && (p = alloc_pages(__GFP_MEMALLOC | __GFP_NOWARN, MAX_ORDER)) &&
	       page_zonenum(p) == ZONE_NORMAL)
		held[n++] = p;
	ASSERT(p);
	/* two memblock pages (pageblock bytes, valid map) sit at the top of Normal */
	EXPECT_EQ(n, 1);
	EXPECT_EQ(page_zonenum(p), ZONE_DMA32);
	__free_pages(p, MAX_ORDER);
	while (n)
		__free_pages(held[--n], MAX_ORDER);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect an unmovable allocation to claim a whole movable pageblock and later ones to stay in it. */
TEST(fallback_claims_pageblock)
{
	struct page *a, *b;
	unsigned long pb;
	unsigned long steal0 = 0;

	host_mem_init_mb(64);
	steal0 = vm_stat_read(PGALLOC_STEAL_BLOCK);
	a = alloc_pages(GFP_KERNEL, 0);		/* unmovable; every block is MOVABLE */
	ASSERT(a);
	pb = page_to_pfn(a) >> pageblock_order;
	EXPECT_EQ(get_pageblock_migratetype(a), MIGRATE_UNMOVABLE);
	EXPECT(vm_stat_read(PGALLOC_STEAL_BLOCK) > steal0);
	b = alloc_pages(GFP_KERNEL, 2);
	ASSERT(b);
	EXPECT_EQ(page_to_pfn(b) >> pageblock_order, pb);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* movable allocations do not come from the unmovable block */
	for (int i = 0; i < 64; i++) {
		struct page *m = alloc_pages(GFP_HIGHUSER_MOVABLE, 0);

		ASSERT(m);
		EXPECT(page_to_pfn(m) >> pageblock_order != pb);
		__free_pages(m, 0);
	}
	__free_pages(b, 2);
	__free_pages(a, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect a movable order-0 allocation to steal from a mostly used unmovable block without relabelling it. */
TEST(movable_steals_without_claiming_small)
{
	static struct page *held[20000], *unmov[1024];
	struct page *m;
	unsigned long n = 0;
	int nu = 0;

	host_mem_init_mb(32);
	while (nu < 1000 && (unmov[nu] = alloc_pages(GFP_KERNEL, 0)))
		nu++;
	ASSERT(nu == 1000);
	for (int i = 0; i < nu; i += 50) {
		__free_pages(unmov[i], 0);
		unmov[i] = NULL;
	}
	drain_all_pages(NULL);
	/* take all movable memory until a page comes from a non-movable block */
	while ((m = alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_MEMALLOC | __GFP_NOWARN, 0))) {
		held[n++] = m;
		if (get_pageblock_migratetype(m) != MIGRATE_MOVABLE)
			break;
	}
	ASSERT(m);
	EXPECT_EQ(get_pageblock_migratetype(m), MIGRATE_UNMOVABLE);
	EXPECT_EQ(mm_check_invariants(), 0);
	while (n)
		__free_pages(held[--n], 0);
	for (int i = 0; i < nu; i++)
		if (unmov[i])
			__free_pages(unmov[i], 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect an ISOLATE pageblock never to be allocated from and frees into it to stay on the isolate list. */
TEST(isolate_pageblock)
{
	struct zone *z;
	struct page *p, *blk;
	unsigned long flags, moved, iso_pfn;
	static struct page *held[20000];
	unsigned long n = 0;

	host_mem_init_mb(32);
	z = &zones[ZONE_DMA32];
	blk = alloc_pages(GFP_HIGHUSER_MOVABLE, pageblock_order);
	ASSERT(blk);
	split_page(blk, pageblock_order);
	for (unsigned long i = 1; i < pageblock_nr_pages; i++)
		__free_pages(blk + i, 0);
	p = blk;
	iso_pfn = page_to_pfn(blk);
	drain_all_pages(NULL);
	spin_lock_irqsave(&z->lock, flags);
	moved = (unsigned long)move_freepages_block(z, blk, MIGRATE_ISOLATE);
	spin_unlock_irqrestore(&z->lock, flags);
	EXPECT_EQ(moved, pageblock_nr_pages - 1);
	EXPECT_EQ(get_pageblock_migratetype(blk), MIGRATE_ISOLATE);
	EXPECT_EQ(mm_check_invariants(), 0);
	__free_pages(p, 0);
	drain_all_pages(NULL);
	EXPECT_EQ(z->free_area[pageblock_order].nr_free_mt[MIGRATE_ISOLATE], 1);
	while ((p = alloc_pages(__GFP_MEMALLOC | __GFP_NOWARN, 0))) {
		EXPECT(pageblock_start_pfn(page_to_pfn(p)) != iso_pfn);
		held[n++] = p;
	}
	/* isolated free memory is not free memory (Linux's NR_FREE_PAGES) */
	EXPECT_EQ(nr_free_pages(), 0);
	EXPECT_EQ(zone_isolated_free_pages(z), pageblock_nr_pages);
	while (n)
		__free_pages(held[--n], 0);
	spin_lock_irqsave(&z->lock, flags);
	moved = (unsigned long)move_freepages_block(z, blk, MIGRATE_MOVABLE);
	spin_unlock_irqrestore(&z->lock, flags);
	EXPECT_EQ(moved, pageblock_nr_pages);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(z->free_area[pageblock_order].nr_free_mt[MIGRATE_ISOLATE], 0);
	host_mem_teardown();
}

/* Expect GFP_NOWAIT to stop at the low/min watermark while GFP_ATOMIC dips lower and __GFP_MEMALLOC takes all. */
TEST(watermarks_order_reserves)
{
	static struct page *held[20000];
	unsigned long n = 0, after_nowait, after_atomic;
	struct zone *z;
	struct page *p;

	host_mem_init_mb(32);
	z = &zones[ZONE_DMA32];
	/* until a drain of the per-CPU lists (whose refills ignore the mark) frees nothing usable */
	do {
		while ((p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN | __GFP_DMA32, 0)))
			held[n++] = p;
		drain_all_pages(NULL);
	} while ((p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN | __GFP_DMA32, 0)) && (held[n++] = p));
	after_nowait = zone_page_free(z);
	EXPECT(after_nowait <= min_wmark_pages(z) + 1);
	EXPECT(after_nowait + 64 > min_wmark_pages(z));
	do {
		while ((p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN | __GFP_DMA32, 0)))
			held[n++] = p;
		drain_all_pages(NULL);
	} while ((p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN | __GFP_DMA32, 0)) && (held[n++] = p));
	after_atomic = zone_page_free(z);
	EXPECT(after_atomic < after_nowait);
	EXPECT(after_atomic > 0);
	while ((p = alloc_pages(__GFP_MEMALLOC | __GFP_NOWARN | __GFP_DMA32, 0)))
		held[n++] = p;
	EXPECT_EQ(zone_page_free(z), 0);
	while (n)
		__free_pages(held[--n], 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

static struct page *stash[64];
static int stash_n;

/* A slow-path hook that frees the stashed pages. */
static int hook_free_stash(gfp_t gfp, unsigned int order, void *priv)
{
	int freed = 0;

	(*(int *)priv)++;
	while (stash_n) {
		__free_pages(stash[--stash_n], MAX_ORDER);
		freed++;
	}
	return freed;
}

/* Expect the slow path to run hooks for waiting allocations only, and to succeed after a hook frees memory. */
TEST(slowpath_hooks)
{
	struct alloc_slowpath_hook hook = { .name = "stash", .stage = SLOWPATH_OOM,
					    .fn = hook_free_stash };
	int calls = 0;
	struct page *p;
	unsigned long fails;

	host_mem_init_mb(32);
	hook.priv = &calls;
	while (stash_n < 64 && (p = alloc_pages(__GFP_MEMALLOC | __GFP_NOWARN, MAX_ORDER)))
		stash[stash_n++] = p;
	EXPECT(stash_n > 2);
	register_alloc_slowpath_hook(&hook);
	fails = vm_stat_read(PGALLOC_FAIL_ORDER_10);
	EXPECT_EQ(alloc_pages(GFP_NOWAIT | __GFP_NOWARN, MAX_ORDER), NULL);
	EXPECT_EQ(calls, 0);
	EXPECT_EQ(vm_stat_read(PGALLOC_FAIL_ORDER_10), fails + 1);
	p = alloc_pages(GFP_KERNEL, MAX_ORDER);
	EXPECT(p != NULL);
	EXPECT_EQ(calls, 1);
	EXPECT(vm_stat_read(ALLOCSTALL) >= 1);
	EXPECT_EQ(hook.progress, 1);
	if (p)
		__free_pages(p, MAX_ORDER);
	unregister_alloc_slowpath_hook(&hook);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect a failed allocation without __GFP_NOWARN to print the report and count the failure. */
TEST(failure_report_counts)
{
	static struct page *held[20000];
	unsigned long n = 0;
	struct page *p;

	unsigned long f0;

	host_mem_init_mb(16);
	while ((p = alloc_pages(__GFP_MEMALLOC | __GFP_NOWARN, 0)))
		held[n++] = p;
	f0 = vm_stat_read(PGALLOC_FAIL);
	EXPECT_EQ(vm_stat_read(PGALLOC_FAIL_ORDER_0), 1);
	host_quiet = 1;
	EXPECT_EQ(alloc_pages(GFP_KERNEL | __GFP_NORETRY, 3), NULL);
	host_quiet = 0;
	EXPECT_EQ(vm_stat_read(PGALLOC_FAIL_ORDER_3), 1);
	EXPECT_EQ(vm_stat_read(PGALLOC_FAIL), f0 + 1);
	while (n)
		__free_pages(held[--n], 0);
	host_mem_teardown();
}

/* Expect order-0 frees to go to the CPU's list, drain_all_pages to empty every CPU's list, and high to spill. */
TEST(pcp_lists_per_cpu)
{
	struct page *p[8];
	struct zone *z;
	unsigned long free0;

	host_mem_init_mb(64);
	z = &zones[ZONE_DMA32];
	free0 = nr_free_pages_total();
	host_cpu_id = 3;
	for (int i = 0; i < 8; i++)
		p[i] = alloc_pages(GFP_KERNEL, 0);
	EXPECT(z->pcp[3].alloc_events == 8);
	for (int i = 0; i < 8; i++)
		__free_pages(p[i], 0);
	EXPECT(z->pcp[3].count >= 8);
	EXPECT_EQ(z->pcp[0].count, 0);
	host_cpu_id = 0;
	EXPECT_EQ(mm_check_invariants(), 0);
	drain_all_pages(NULL);
	EXPECT_EQ(z->pcp[3].count, 0);
	EXPECT_EQ(nr_pcp_pages(NULL), 0);
	EXPECT_EQ(nr_free_pages(), free0);
	/* spill above high */
	pcp_set_batch_high(4, 8);
	{
		static struct page *q[64];

		for (int i = 0; i < 64; i++)
			q[i] = alloc_pages(GFP_KERNEL, 0);
		for (int i = 0; i < 64; i++) {
			__free_pages(q[i], 0);
			EXPECT(z->pcp[0].count < 8);
		}
	}
	EXPECT(vm_stat_read(PCP_SPILL) > 0);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(vm_stat_read(PGALLOC_DMA32) - vm_stat_read(PGFREE) + 0, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect get_page/put_page refcounting, the last put to free, and PageOffline never to return to the buddy. */
TEST(refcount_and_put_page)
{
	struct page *p;
	unsigned long free0;

	host_mem_init_mb(32);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	p = alloc_pages(GFP_KERNEL, 2);
	ASSERT(p);
	get_page(p);
	EXPECT_EQ(page_ref_count(p), 2);
	put_page(p);
	EXPECT_EQ(nr_free_pages_total(), free0 - 4);
	put_page(p);	/* frees the order-2 block */
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT(!get_page_unless_zero(p));

	p = alloc_pages(GFP_KERNEL, 0);
	ASSERT(p);
	EXPECT(get_page_unless_zero(p));
	EXPECT_EQ(page_ref_count(p), 2);
	page_ref_dec(p);
	__SetPageOffline(p);
	put_page(p);
	EXPECT_EQ(page_ref_count(p), 0);
	EXPECT(PageOffline(p));
	EXPECT_EQ(nr_free_pages_total(), free0 - 1);
	EXPECT_EQ(page_kpageflags(page_to_pfn(p)) & (1ULL << KPF_OFFLINE), 1ULL << KPF_OFFLINE);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* the owner takes it back to the buddy explicitly */
	__ClearPageOffline(p);
	set_page_count(p, 1);
	__free_pages(p, 0);
	EXPECT_EQ(nr_free_pages_total(), free0);
	host_mem_teardown();
}

/* Expect trylock_page to fail on a locked page and succeed after unlock_page. */
TEST(page_lock_bit)
{
	struct page *p;

	host_mem_init_mb(16);
	p = alloc_pages(GFP_KERNEL, 0);
	ASSERT(p);
	EXPECT(trylock_page(p));
	EXPECT(PageLocked(p));
	EXPECT(!trylock_page(p));
	unlock_page(p);
	EXPECT(!PageLocked(p));
	lock_page(p);
	EXPECT(PageLocked(p));
	EXPECT_EQ(page_kpageflags(page_to_pfn(p)) & 1, 1);
	unlock_page(p);
	__free_pages(p, 0);
	host_mem_teardown();
}

/* Expect a double free to be reported and ignored, leaving the allocator consistent. */
TEST(bad_page_double_free)
{
	struct page *p;
	unsigned long free0;

	host_mem_init_mb(16);
	p = alloc_pages(GFP_KERNEL, 3);
	ASSERT(p);
	__free_pages(p, 3);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	host_quiet = 1;
	__free_pages(p, 3);
	host_quiet = 0;
	EXPECT_EQ(nr_bad_pages, 1);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	/* order-0 double free while the page sits on a pcp list */
	p = alloc_pages(GFP_KERNEL, 0);
	__free_pages(p, 0);
	host_quiet = 1;
	__free_pages(p, 0);
	put_page(p);
	host_quiet = 0;
	EXPECT_EQ(nr_bad_pages, 3);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect freeing with the wrong order to be reported and the block taken out of circulation. */
TEST(bad_page_wrong_order)
{
	struct page *p;
	unsigned long free0;

	host_mem_init_mb(16);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	p = alloc_pages(GFP_KERNEL, 2);
	ASSERT(p);
	host_quiet = 1;
	__free_pages(p, 0);
	host_quiet = 0;
	EXPECT_EQ(nr_bad_pages, 1);
	EXPECT_EQ(bad_page_pfn(0), page_to_pfn(p));
	EXPECT(PageHWPoison(p));
	EXPECT(page_kpageflags(page_to_pfn(p)) & (1ULL << KPF_HWPOISON));
	EXPECT_EQ(nr_free_pages_total(), free0 - 4);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect a tail page with a nonzero refcount, a set mapping or a reserved flag to make the free a bad page. */
TEST(bad_page_state_on_free)
{
	struct page *p;

	host_mem_init_mb(16);
	host_quiet = 1;
	p = alloc_pages(GFP_KERNEL, 1);
	set_page_count(p + 1, 1);		/* stray reference on the tail */
	__free_pages(p, 1);
	EXPECT_EQ(nr_bad_pages, 1);
	p = alloc_pages(GFP_KERNEL, 0);
	p->mapping = (struct address_space *)0x1000;
	__free_pages(p, 0);
	EXPECT_EQ(nr_bad_pages, 2);
	p = alloc_pages(GFP_KERNEL, 0);
	SetPageReserved(p);
	__free_pages(p, 0);
	EXPECT_EQ(nr_bad_pages, 3);
	p = alloc_pages(GFP_KERNEL, 0);
	__SetPageTable(p);
	__free_pages(p, 0);
	EXPECT_EQ(nr_bad_pages, 4);
	host_quiet = 0;
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/*
 * Expect a PageOffline page (head or tail) freed through the bad-page path
 * to stay PageOffline, kpageflags bit 23 included, so a dump tool still
 * excludes it (seed 000): only its owner may clear the type. Leaked, not freed.
 */
TEST(bad_page_keeps_offline_type)
{
	struct page *p, *q;
	unsigned long free0;

	host_mem_init_mb(16);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	p = alloc_pages(GFP_KERNEL, 0);
	q = alloc_pages(GFP_KERNEL, 1);
	ASSERT(p && q);
	__SetPageOffline(p);
	__SetPageOffline(q + 1);
	host_quiet = 1;
	__free_pages(p, 0);
	__free_pages(q, 1);
	host_quiet = 0;
	EXPECT_EQ(nr_bad_pages, 2);
	EXPECT(PageHWPoison(p));
	EXPECT(PageOffline(p));
	EXPECT(page_kpageflags(page_to_pfn(p)) & (1ULL << KPF_OFFLINE));
	EXPECT(page_kpageflags(page_to_pfn(p)) & (1ULL << KPF_HWPOISON));
	EXPECT(PageOffline(q + 1));
	EXPECT(page_kpageflags(page_to_pfn(q + 1)) & (1ULL << KPF_OFFLINE));
	EXPECT(!PageBuddy(p) && !PageBuddy(q) && !PageBuddy(q + 1));
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0 - 3);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/*
 * Expect a bad page of any other type (here a Table page freed with its
 * type still set) to lose that type when it is taken out of circulation:
 * only PageOffline is kept, so no later kfree()/ptdesc code mistakes the
 * leaked page for one of its own.
 */
TEST(bad_page_clears_non_offline_type)
{
	static const enum pagetype types[] = { PGTY_TABLE, PGTY_SLAB, PGTY_LARGE_KMALLOC };

	host_mem_init_mb(16);
	for (unsigned int i = 0; i < ARRAY_SIZE(types); i++) {
		struct page *p = alloc_pages(GFP_KERNEL, 0);

		ASSERT(p);
		p->page_type = types[i];
		host_quiet = 1;
		__free_pages(p, 0);
		host_quiet = 0;
		EXPECT_EQ(nr_bad_pages, i + 1);
		EXPECT(PageHWPoison(p));
		EXPECT_EQ(p->page_type, PGTY_NONE);
		EXPECT(!PageLargeKmalloc(p) && !PageSlab(p) && !PageTable(p));
	}
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect a free page whose struct page was scribbled on to be caught at allocation and never handed out. */
TEST(bad_page_on_alloc)
{
	struct page *p, *q;
	unsigned long pfn;

	host_mem_init_mb(16);
	p = alloc_pages(GFP_KERNEL, 0);
	pfn = page_to_pfn(p);
	__free_pages(p, 0);
	p->flags |= 1UL << PG_dirty;		/* corrupt a free page on the pcp list */
	host_quiet = 1;
	q = alloc_pages(GFP_KERNEL, 0);
	host_quiet = 0;
	ASSERT(q);
	EXPECT(page_to_pfn(q) != pfn);
	EXPECT_EQ(nr_bad_pages, 1);
	EXPECT(PageHWPoison(p));
	__free_pages(q, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect page poisoning to catch a write after free, and the page still to be handed out. */
TEST(poison_write_after_free)
{
	struct page *p, *q;
	char *a;

	host_mem_init_mb(16);
	page_poison_enable(true);
	p = alloc_pages(GFP_KERNEL, 0);
	ASSERT(p);
	EXPECT_EQ(nr_poison_errors, 0);
	a = page_address(p);
	__free_pages(p, 0);
	EXPECT_EQ((unsigned char)a[100], PAGE_POISON);
	a[100] = 1;				/* write after free */
	host_quiet = 1;
	q = alloc_pages(GFP_KERNEL, 0);		/* LIFO pcp: the same page */
	host_quiet = 0;
	EXPECT_EQ(q, p);
	EXPECT_EQ(nr_poison_errors, 1);
	__free_pages(q, 0);
	/* higher orders and the whole of memory stay clean */
	for (int i = 0; i < 50; i++) {
		q = alloc_pages(GFP_KERNEL, (unsigned int)(i % 5));
		__free_pages(q, (unsigned int)(i % 5));
	}
	EXPECT_EQ(nr_poison_errors, 1);
	page_poison_enable(false);
	host_mem_teardown();
}

/* Expect split_page and __isolate_free_page/__putback_isolated_page to keep counts exact. */
TEST(split_and_isolate_free_page)
{
	struct page *p, *blk = NULL;
	struct zone *z;
	unsigned long free0, flags;

	host_mem_init_mb(32);
	drain_all_pages(NULL);
	free0 = nr_free_pages_total();
	p = alloc_pages(GFP_KERNEL, 3);
	ASSERT(p);
	split_page(p, 3);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ(page_ref_count(p + i), 1);
	for (int i = 7; i >= 0; i--)
		__free_pages(p + i, 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages_total(), free0);
	z = &zones[ZONE_DMA32];
	spin_lock_irqsave(&z->lock, flags);
	blk = list_first_entry(&z->free_area[5].free_list[MIGRATE_MOVABLE], struct page, lru);
	if (list_empty(&z->free_area[5].free_list[MIGRATE_MOVABLE])) {
		blk = list_first_entry(&z->free_area[MAX_ORDER].free_list[MIGRATE_MOVABLE], struct page, lru);
		EXPECT_EQ(__isolate_free_page(blk, MAX_ORDER), 1UL << MAX_ORDER);
		spin_unlock_irqrestore(&z->lock, flags);
		EXPECT_EQ(nr_free_pages_total(), free0 - (1UL << MAX_ORDER));
		EXPECT_EQ(mm_check_invariants(), 0);
		spin_lock_irqsave(&z->lock, flags);
		__putback_isolated_page(blk, MAX_ORDER, MIGRATE_MOVABLE);
	}
	spin_unlock_irqrestore(&z->lock, flags);
	EXPECT_EQ(nr_free_pages_total(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect the invariant checker to notice a wrong count, a page off its list and a wrong migratetype. */
TEST(checker_detects_corruption)
{
	struct zone *z;
	struct page *p;

	host_mem_init_mb(32);
	z = &zones[ZONE_DMA32];
	EXPECT_EQ(mm_check_invariants(), 0);
	host_quiet = 1;
	z->free_area[3].nr_free++;
	EXPECT(mm_check_invariants() > 0);
	EXPECT(mm_check_counts() > 0);
	z->free_area[3].nr_free--;
	p = list_first_entry(&z->free_area[MAX_ORDER].free_list[MIGRATE_MOVABLE], struct page, lru);
	p->migratetype = MIGRATE_UNMOVABLE;
	EXPECT(mm_check_invariants() > 0);
	p->migratetype = MIGRATE_MOVABLE;
	set_pageblock_migratetype(p, MIGRATE_RECLAIMABLE);
	EXPECT(mm_check_invariants() > 0);
	set_pageblock_migratetype(p, MIGRATE_MOVABLE);
	(p + 5)->_refcount = 1;
	EXPECT(mm_check_invariants() > 0);
	(p + 5)->_refcount = 0;
	host_quiet = 0;
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(mm_check_counts(), 0);
	host_mem_teardown();
}

/* Expect the page flag and type accessors to be independent and gfp helpers to map flags. */
TEST(flags_types_and_gfp)
{
	struct page *p;
	char buf[128];

	host_mem_init_mb(16);
	p = alloc_pages(GFP_KERNEL, 0);
	SetPageReferenced(p);
	EXPECT(PageReferenced(p));
	EXPECT(!PageDirty(p));
	__SetPageSlab(p);
	EXPECT(PageSlab(p));
	EXPECT(!PageBuddy(p));
	EXPECT(!PageOffline(p));
	__ClearPageSlab(p);
	EXPECT(!PageSlab(p));
	ClearPageReferenced(p);
	EXPECT(!__PageMovable(p));
	p->mapping = (struct address_space *)(0x10000UL | PAGE_MAPPING_MOVABLE);
	EXPECT(__PageMovable(p));
	EXPECT_EQ((uintptr_t)page_mapping(p), 0x10000);
	p->mapping = NULL;
	__free_pages(p, 0);
	EXPECT_EQ(gfp_migratetype(GFP_HIGHUSER_MOVABLE), MIGRATE_MOVABLE);
	EXPECT_EQ(gfp_migratetype(GFP_KERNEL | __GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE);
	EXPECT_EQ(gfp_migratetype(GFP_ATOMIC), MIGRATE_UNMOVABLE);
	EXPECT_EQ(gfp_zone(GFP_KERNEL), ZONE_NORMAL);
	EXPECT_EQ(gfp_zone(GFP_DMA32), ZONE_DMA32);
	EXPECT_EQ(gfp_zone(GFP_DMA | GFP_KERNEL), ZONE_DMA);
	EXPECT(!strcmp(gfp_format(GFP_KERNEL | __GFP_ZERO, buf, sizeof(buf)), "GFP_KERNEL|__GFP_ZERO"));
	EXPECT(!strcmp(gfp_format(GFP_ATOMIC | __GFP_NOWARN, buf, sizeof(buf)), "GFP_ATOMIC|__GFP_NOWARN"));
	EXPECT(!strcmp(gfp_format(0, buf, sizeof(buf)), "GFP_NOWAIT"));
	EXPECT_EQ(sizeof(struct page), 64);
	host_mem_teardown();
}
