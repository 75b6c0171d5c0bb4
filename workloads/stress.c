/*
 * stress.c - a mixed workload run on every CPU at once, to find what breaks
 * when CPUs race in the memory manager. One source for the host threads
 * suite, the in-kernel `stress` command and its ktest suite.
 *
 * Data. Each CPU has its own struct stress_cpu (cache-line aligned, written
 * only by that CPU while workers run): a PRNG state (lib/prandom, seeded
 * from (seed, cpu)), up to STRESS_MAX_HELD painted page blocks, up to
 * STRESS_MAX_ZS painted zsmalloc objects of the one pool every CPU shares,
 * its counters and what it found. Nothing else is shared but the memory
 * manager itself, which is the point.
 *
 * Painting. Word i (of the first STRESS_PAINT_WORDS and the last) of each
 * page of a block is stress_paint_word(pfn, tag, i), tag being unique per
 * allocation; a zsmalloc object's bytes derive from its tag. A block is
 * verified before it is freed and an object before it is freed; so a page
 * handed out twice, a migration that lost a byte, a free page reporting
 * that discarded a page in use, or an object inside a freed page all show
 * as paint errors. A fresh block is also checked for the states an
 * allocated page cannot be in (PageBuddy, a page type, refcount not 1 on
 * its head): invariant errors.
 *
 * One op, chosen by the PRNG among those in ops_mask: allocate a block
 * (order 0 most often, every order up to max_order sometimes, movable or
 * not), free one, a frag pass (a batch of order-0 pages, every other one
 * freed, then direct compaction for an order-3 block, then the rest
 * freed), a compaction pass (one zone at a random order, or a kcompactd
 * pass), a zsmalloc allocation or free, a drain (own lists or everyone's),
 * or alloc_contig_range() over 1..32 random pfns (isolating the pageblocks
 * around them), painted and verified before free_contig_range(). Failures
 * to allocate are counted, never errors: other CPUs hold memory too.
 *
 * Free count: stress_begin() and stress_finish() both drain every
 * per-CPU list and shrink the slab caches before reading
 * nr_free_pages_total() plus ctx->pages_elsewhere() (pages the balloon or
 * the reporting device took meanwhile), so with everything given back the
 * two are equal exactly (free_delta 0), unless a page leaked or was freed
 * twice.
 */
#include <workloads/stress.h>
#include <mm/compaction.h>
#include <mm/gfp.h>
#include <mm/mmzone.h>
#include <mm/page_alloc.h>
#include <mm/page_isolation.h>
#include <mm/slab.h>
#include <mm/zsmalloc.h>
#include <kernel/printk.h>
#include <lib/prandom.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define STRESS_PAINT_WORDS	8	/* head words painted per page (plus the last) */
#define STRESS_CONTIG_MAX	32	/* pfns per alloc_contig_range() */
#define STRESS_WORDS_PER_PAGE	(PAGE_SIZE / sizeof(uint64_t))

/* A PRNG draw in [0, n) from CPU @c's state. */
static unsigned long stress_rand(struct stress_cpu *c, unsigned long n)
{
	return n ? (unsigned long)(prandom_u64_state(&c->rng) % n) : 0;
}

/* Record a problem of kind @counter on @c, keeping the first message. */
static void stress_report(struct stress_cpu *c, unsigned long *counter, const char *what,
			  unsigned long pfn)
{
	if (!c->paint_errors && !c->invariant_errors)
		snprintf(c->first_error, sizeof(c->first_error), "%s at pfn %#lx", what, pfn);
	(*counter)++;
}

/* ------------------------------------------------------------------ */
/* painting                                                            */
/* ------------------------------------------------------------------ */

/* Paint the pages [pfn, pfn + n) for @tag. */
static void stress_paint(unsigned long pfn, unsigned long n, uint32_t tag)
{
	for (unsigned long p = pfn; p < pfn + n; p++) {
		uint64_t *w = page_address(pfn_to_page(p));

		for (unsigned int i = 0; i < STRESS_PAINT_WORDS; i++)
			w[i] = stress_paint_word(p, tag, i);
		w[STRESS_WORDS_PER_PAGE - 1] = stress_paint_word(p, tag, STRESS_WORDS_PER_PAGE - 1);
	}
}

/* Pages of [pfn, pfn + n) whose paint for @tag is not intact. */
static unsigned long stress_verify(unsigned long pfn, unsigned long n, uint32_t tag)
{
	unsigned long bad = 0;

	for (unsigned long p = pfn; p < pfn + n; p++) {
		const uint64_t *w = page_address(pfn_to_page(p));
		bool ok = w[STRESS_WORDS_PER_PAGE - 1] ==
			  stress_paint_word(p, tag, STRESS_WORDS_PER_PAGE - 1);

		for (unsigned int i = 0; i < STRESS_PAINT_WORDS && ok; i++)
			ok = w[i] == stress_paint_word(p, tag, i);
		bad += !ok;
	}
	return bad;
}

/* Byte @i of a zsmalloc object tagged @tag. */
static uint8_t stress_zs_byte(uint32_t tag, size_t i)
{
	return (uint8_t)(tag * 31u + i * 7u + (i >> 8));
}

/* ------------------------------------------------------------------ */
/* blocks                                                              */
/* ------------------------------------------------------------------ */

/* A fresh block's head must be allocated, referenced once, of no type. */
static bool stress_fresh_ok(struct page *page)
{
	return page_ref_count(page) == 1 && !PageBuddy(page) && !PageOffline(page) &&
	       !PageMovableOffline(page) &&
	       !PageIsolated(page) && !__PageMovable(page);
}

/* An order for the next block: 0 most often, any order up to max_order sometimes. */
static unsigned int stress_pick_order(struct stress_ctx *ctx, struct stress_cpu *c)
{
	unsigned long r = stress_rand(c, 16);

	if (r < 8 || !ctx->max_order)
		return 0;
	if (r < 14)
		return 1 + (unsigned int)stress_rand(c, MIN(3u, ctx->max_order));
	return (unsigned int)stress_rand(c, ctx->max_order + 1);
}

/* Allocate, check and paint one block into @c's held set. */
static void stress_alloc_block(struct stress_ctx *ctx, struct stress_cpu *c)
{
	unsigned int order = stress_pick_order(ctx, c);
	gfp_t gfp = __GFP_NOWARN | (stress_rand(c, 2) ? __GFP_MOVABLE : 0);
	struct stress_block *b;
	struct page *page;

	/* big blocks do not wait: the others hold memory, failing is fine */
	gfp |= order >= 4 ? __GFP_NORETRY | __GFP_DIRECT_RECLAIM : GFP_KERNEL;
	page = alloc_pages(gfp, order);
	if (!page) {
		c->alloc_fail++;
		return;
	}
	if (!stress_fresh_ok(page))
		stress_report(c, &c->invariant_errors, "fresh block in a bad state", page_to_pfn(page));
	b = &c->held[c->nheld++];
	b->page = page;
	b->order = order;
	b->tag = c->next_tag++;
	stress_paint(page_to_pfn(page), 1UL << order, b->tag);
	c->allocs++;
}

/* Verify and free held block @i of @c. */
static void stress_free_block(struct stress_cpu *c, unsigned int i)
{
	struct stress_block *b = &c->held[i];
	unsigned long pfn = page_to_pfn(b->page);
	unsigned long bad = stress_verify(pfn, 1UL << b->order, b->tag);

	if (bad) {
		stress_report(c, &c->paint_errors, "block paint changed", pfn);
		c->paint_errors += bad - 1;
	}
	__free_pages(b->page, b->order);
	*b = c->held[--c->nheld];
	c->frees++;
}

/* ------------------------------------------------------------------ */
/* zsmalloc                                                            */
/* ------------------------------------------------------------------ */

/* Allocate and paint one object of a random size. */
static void stress_zs_alloc(struct stress_ctx *ctx, struct stress_cpu *c)
{
	size_t size = 16 + stress_rand(c, ZS_MAX_ALLOC_SIZE - 15);
	uint32_t tag = c->next_tag++;
	unsigned long h = zs_malloc(ctx->zs_pool, size, GFP_KERNEL | __GFP_NOWARN);
	uint8_t *p;

	if (!h) {
		c->zs_fail++;
		return;
	}
	p = zs_map_object(ctx->zs_pool, h);
	for (size_t i = 0; i < size; i++)
		p[i] = stress_zs_byte(tag, i);
	zs_unmap_object(ctx->zs_pool, h);
	c->zs[c->nzs] = h;
	c->zs_tag[c->nzs++] = tag;
	c->zs_allocs++;
}

/* Verify and free object @i of @c. */
static void stress_zs_free(struct stress_ctx *ctx, struct stress_cpu *c, unsigned int i)
{
	unsigned long h = c->zs[i];
	size_t size = zs_object_size(ctx->zs_pool, h);
	const uint8_t *p = zs_map_object(ctx->zs_pool, h);
	size_t bad = 0;

	for (size_t k = 0; k < size; k++)
		bad += p[k] != stress_zs_byte(c->zs_tag[i], k);
	zs_unmap_object(ctx->zs_pool, h);
	if (bad)
		stress_report(c, &c->paint_errors, "zsmalloc object changed", 0);
	zs_free(ctx->zs_pool, h);
	c->zs[i] = c->zs[c->nzs - 1];
	c->zs_tag[i] = c->zs_tag[--c->nzs];
	c->zs_frees++;
}

/* ------------------------------------------------------------------ */
/* passes                                                              */
/* ------------------------------------------------------------------ */

/* A random populated zone (NULL if none). */
static struct zone *stress_pick_zone(struct stress_cpu *c)
{
	struct zone *z = &zones[stress_rand(c, MAX_NR_ZONES)];

	for (int i = 0; i < MAX_NR_ZONES; i++, z = z + 1 < zones + MAX_NR_ZONES ? z + 1 : zones)
		if (z->managed_pages)
			return z;
	return NULL;
}

/* Fragment a batch of order-0 pages, compact for order 3, give the rest back. */
static void stress_frag_pass(struct stress_cpu *c)
{
	struct page *pages[STRESS_FRAG_BATCH];
	uint32_t tag = c->next_tag++;
	unsigned int n = 0;
	struct compact_stats st;
	struct zone *zone;

	while (n < STRESS_FRAG_BATCH) {
		struct page *p = alloc_page(__GFP_MOVABLE | __GFP_NOWARN);

		if (!p)
			break;
		stress_paint(page_to_pfn(p), 1, tag);
		pages[n++] = p;
	}
	for (unsigned int i = 1; i < n; i += 2)
		if (stress_verify(page_to_pfn(pages[i]), 1, tag))
			stress_report(c, &c->paint_errors, "frag page paint changed", page_to_pfn(pages[i]));
	for (unsigned int i = 1; i < n; i += 2)
		__free_page(pages[i]);
	zone = stress_pick_zone(c);
	if (zone) {
		memset(&st, 0, sizeof(st));
		compact_zone_order(zone, 3, GFP_KERNEL | __GFP_MOVABLE, MIGRATE_SYNC_LIGHT, &st);
	}
	for (unsigned int i = 0; i < n; i += 2) {
		if (stress_verify(page_to_pfn(pages[i]), 1, tag))
			stress_report(c, &c->paint_errors, "frag page paint changed", page_to_pfn(pages[i]));
		__free_page(pages[i]);
	}
	c->frag_passes++;
}

/* One compaction pass: a zone at a random order, or a kcompactd pass. */
static void stress_compact_pass(struct stress_ctx *ctx, struct stress_cpu *c)
{
	struct compact_stats st;
	struct zone *zone = stress_pick_zone(c);

	memset(&st, 0, sizeof(st));
	if (stress_rand(c, 4) == 0)
		kcompactd_do_work();
	else if (zone)
		compact_zone_order(zone, 1 + (int)stress_rand(c, MAX(ctx->max_order, 1u)),
				   GFP_KERNEL | __GFP_MOVABLE,
				   stress_rand(c, 2) ? MIGRATE_ASYNC : MIGRATE_SYNC_LIGHT, &st);
	c->compactions++;
}

/* alloc_contig_range() over 1..STRESS_CONTIG_MAX random pfns of a zone; paint, verify, free. */
static void stress_contig_pass(struct stress_cpu *c)
{
	struct zone *zone = stress_pick_zone(c);
	unsigned long n = 1 + stress_rand(c, STRESS_CONTIG_MAX), start;
	uint32_t tag = c->next_tag++;

	if (!zone || zone->spanned_pages <= n + pageblock_nr_pages)
		return;
	start = zone->zone_start_pfn + stress_rand(c, zone->spanned_pages - n);
	if (alloc_contig_range(start, start + n, MIGRATE_MOVABLE, GFP_KERNEL)) {
		c->contig_busy++;
		return;
	}
	for (unsigned long p = start; p < start + n; p++)
		if (!stress_fresh_ok(pfn_to_page(p)))
			stress_report(c, &c->invariant_errors, "contig page in a bad state", p);
	stress_paint(start, n, tag);
	if (stress_verify(start, n, tag))
		stress_report(c, &c->paint_errors, "contig paint changed", start);
	free_contig_range(start, n);
	c->contig_ok++;
}

/* ------------------------------------------------------------------ */
/* the worker                                                          */
/* ------------------------------------------------------------------ */

/* One op of CPU @c's share, chosen among ctx->ops_mask. */
static void stress_one_op(struct stress_ctx *ctx, struct stress_cpu *c, unsigned int cpu)
{
	unsigned long r = stress_rand(c, 100);
	unsigned int mask = ctx->ops_mask;

	if (r < 70 && (mask & STRESS_OP_ALLOC)) {
		/* hold about half the slots: alloc when below, free when above */
		if (c->nheld < STRESS_MAX_HELD &&
		    (c->nheld < STRESS_MAX_HELD / 2 || stress_rand(c, 2)))
			stress_alloc_block(ctx, c);
		else if (c->nheld)
			stress_free_block(c, (unsigned int)stress_rand(c, c->nheld));
	} else if (r < 86 && (mask & STRESS_OP_ZS) && ctx->zs_pool) {
		if (c->nzs < STRESS_MAX_ZS && (c->nzs < STRESS_MAX_ZS / 2 || stress_rand(c, 2)))
			stress_zs_alloc(ctx, c);
		else if (c->nzs)
			stress_zs_free(ctx, c, (unsigned int)stress_rand(c, c->nzs));
	} else if (r < 90 && (mask & STRESS_OP_DRAIN)) {
		if (stress_rand(c, 4))
			drain_local_pages(NULL);
		else
			drain_all_pages(NULL);
		c->drains++;
	} else if (r < 94 && (mask & STRESS_OP_COMPACT)) {
		stress_compact_pass(ctx, c);
	} else if (r < 97 && (mask & STRESS_OP_FRAG)) {
		stress_frag_pass(c);
	} else if (mask & STRESS_OP_CONTIG) {
		stress_contig_pass(c);
	}
	c->ops++;
}

void stress_init(struct stress_ctx *ctx, uint64_t seed)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->seed = seed;
	ctx->max_order = MAX_ORDER;
	ctx->ops_mask = STRESS_OPS_ALL;
}

/* Free pages plus the pages others hold on purpose (ctx->pages_elsewhere). */
static unsigned long stress_free_count(const struct stress_ctx *ctx)
{
	return nr_free_pages_total() + (ctx->pages_elsewhere ? ctx->pages_elsewhere() : 0);
}

int stress_begin(struct stress_ctx *ctx)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct stress_cpu *c = &ctx->cpu[cpu];

		memset(c, 0, sizeof(*c));
		/* xorshift needs a non-zero state; distinct per CPU */
		c->rng = (ctx->seed ^ (0x9e3779b97f4a7c15ULL * (cpu + 1))) | 1;
		c->next_tag = (uint32_t)(cpu + 1) << 24;
	}
	ctx->paint_errors = ctx->invariant_errors = ctx->ops = 0;
	ctx->cpus = 0;
	if (ctx->max_order > MAX_ORDER)
		ctx->max_order = MAX_ORDER;
	drain_all_pages(NULL);
	kmem_cache_shrink_all();
	ctx->free_before = stress_free_count(ctx);
	if ((ctx->ops_mask & STRESS_OP_ZS) && !ctx->zs_pool) {
		ctx->zs_pool = zs_create_pool("stress");
		if (!ctx->zs_pool)
			return -ENOMEM;
	}
	return 0;
}

/* True when CPU @c's share is done. */
static bool stress_done(const struct stress_ctx *ctx, const struct stress_cpu *c)
{
	if (ctx->max_ops && c->ops >= ctx->max_ops)
		return true;
	/* the clock is read every 16 ops: cheap, and a deadline is coarse anyway */
	if (ctx->deadline_ms && ctx->now_ms && (c->ops & 15) == 0 &&
	    ctx->now_ms() >= ctx->deadline_ms)
		return true;
	return !ctx->max_ops && !ctx->deadline_ms;	/* no limit at all: one op */
}

void stress_worker(struct stress_ctx *ctx, unsigned int cpu)
{
	struct stress_cpu *c;

	if (cpu >= NR_CPUS)
		return;
	c = &ctx->cpu[cpu];
	c->ran = true;
	do
		stress_one_op(ctx, c, cpu);
	while (!stress_done(ctx, c));
}

void stress_worker_release(struct stress_ctx *ctx, unsigned int cpu)
{
	struct stress_cpu *c = &ctx->cpu[cpu];

	while (c->nheld)
		stress_free_block(c, c->nheld - 1);
	while (c->nzs)
		stress_zs_free(ctx, c, c->nzs - 1);
}

unsigned long stress_check_quiescent(struct stress_ctx *ctx)
{
	unsigned long bad = mm_check_invariants() + mm_check_counts();

	ctx->invariant_errors += bad;
	return bad;
}

unsigned long stress_finish(struct stress_ctx *ctx)
{
	unsigned long paint = 0, inv = 0, ops = 0;
	unsigned int cpus = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		stress_worker_release(ctx, cpu);
	if (ctx->zs_pool) {
		zs_destroy_pool(ctx->zs_pool);
		ctx->zs_pool = NULL;
	}
	drain_all_pages(NULL);
	kmem_cache_shrink_all();
	ctx->free_after = stress_free_count(ctx);
	ctx->free_delta = (long)ctx->free_after - (long)ctx->free_before;
	stress_check_quiescent(ctx);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		const struct stress_cpu *c = &ctx->cpu[cpu];

		paint += c->paint_errors;
		inv += c->invariant_errors;
		ops += c->ops;
		cpus += c->ran;
		if ((c->paint_errors || c->invariant_errors) && c->first_error[0])
			pr_err("stress: cpu %u: %s\n", cpu, c->first_error);
	}
	ctx->paint_errors = paint;
	ctx->invariant_errors += inv;
	ctx->ops = ops;
	ctx->cpus = cpus;
	return ctx->paint_errors + ctx->invariant_errors +
	       (unsigned long)(ctx->free_delta < 0 ? -ctx->free_delta : ctx->free_delta);
}

int stress_summary(const struct stress_ctx *ctx, char *buf, size_t len)
{
	return snprintf(buf, len, "ops=%lu paint_errors=%lu invariant_errors=%lu free_delta=%ld",
			ctx->ops, ctx->paint_errors, ctx->invariant_errors, ctx->free_delta);
}
