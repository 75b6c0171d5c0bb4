/*
 * test_mm_mixed.c - a randomized differential test of the whole allocator:
 * plain allocations of every order and migratetype, zsmalloc objects, a
 * movable page owner (test_owner.h), direct and full compaction,
 * alloc_contig_range / alloc_contig_pages, and hand-driven migrations,
 * all under fault injection of every allocation site and of every owner
 * callback outcome (isolation refused, -EAGAIN, permanent error, release
 * between isolation and migration).
 *
 * The model: every block the test holds (plain or contiguous) is a record
 * (pfn, pages, tag); every page of it is painted with its tag and its
 * index. The owner's pages are painted by test_owner.h with (owner id,
 * logical index). zsmalloc objects are painted byte by byte from their
 * own number. After every step the test stamps each pfn with who owns it
 * (plain/contig records and the owner's pages) and proves that no pfn has
 * two owners, no owned page lies in a free buddy block, every owned page
 * still carries its paint (first and last word; whole pages periodically
 * and on free), a sample of objects is intact, mm_check_invariants() is
 * clean, and free pages + pages held by all users equal the total at the
 * start (nothing leaked, nothing created). At the end everything is freed
 * and the free page count must be back where it started.
 *
 * The seed is printed by the harness; --seed N replays a run.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "test_owner.h"
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <mm/page_isolation.h>
#include <mm/zsmalloc.h>
#include <mm/fault_inject.h>
#include <mm/migrate.h>
#include <mm/vmstat.h>
#include <string.h>
#include <stdlib.h>

#define MEM_MB		64
#define NPFN		((MEM_MB << 20) >> PAGE_SHIFT)
#define MAX_RECS	2048
#define MAX_OBJS	3000
#define PLAIN_BUDGET	(NPFN / 3)	/* pages held by plain + contig records */
#define OWNER_BUDGET	(NPFN / 4)	/* pages held by the movable owner */

enum rec_kind { REC_PLAIN, REC_CONTIG };

/* One block the test holds: [pfn, pfn + pages), painted with @tag. */
struct rec {
	unsigned long pfn, pages;
	unsigned int order;		/* REC_PLAIN: allocation order */
	enum rec_kind kind;
	uint32_t tag;
};

static struct rec recs[MAX_RECS];
static int nrecs;
static unsigned long rec_pages;
static uint32_t next_tag = 1;

static unsigned long obj_handle[MAX_OBJS];
static size_t obj_size[MAX_OBJS];
static uint32_t obj_gen[MAX_OBJS];
static int nobjs;

static uint32_t stamp[NPFN];
static struct test_owner owner;
static struct zs_pool *pool;
static unsigned long base_free;
static unsigned long violations;

/* Counters of what the run did, printed at the end. */
static struct {
	unsigned long alloc_ok, alloc_fail, contig_ok, contig_fail, compact_runs;
	unsigned long migr_ok, migr_fail, released_mid, obj_ok, obj_fail, owner_ok, owner_fail;
	unsigned long injected, isolations;
	struct compact_stats cst;
} ops;

#define VIOL(cond, ...) do { if (!(cond)) { violations++; \
	if (violations < 20) { printf("# violation: " __VA_ARGS__); printf("\n"); } } } while (0)

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)((htest_rand() >> 16) % n) : 0;
}

/* Paint word @w of page @i of a record with @tag. */
static uint64_t rec_word(uint32_t tag, unsigned long i, unsigned long w)
{
	return ((uint64_t)tag << 40) ^ ((uint64_t)i << 12) ^ (w * 0xff51afd7ed558ccdULL) ^ 0x5a5a;
}

static void rec_paint(const struct rec *r)
{
	for (unsigned long i = 0; i < r->pages; i++) {
		uint64_t *p = page_address(pfn_to_page(r->pfn + i));

		for (unsigned long w = 0; w < PAGE_SIZE / 8; w++)
			p[w] = rec_word(r->tag, i, w);
	}
}

/* True if @r's pages carry their paint: whole pages if @full, else first and last words. */
static bool rec_intact(const struct rec *r, bool full)
{
	for (unsigned long i = 0; i < r->pages; i++) {
		const uint64_t *p = page_address(pfn_to_page(r->pfn + i));
		const unsigned long last = PAGE_SIZE / 8 - 1;

		if (!full) {
			if (p[0] != rec_word(r->tag, i, 0) || p[last] != rec_word(r->tag, i, last))
				return false;
			continue;
		}
		for (unsigned long w = 0; w <= last; w++)
			if (p[w] != rec_word(r->tag, i, w))
				return false;
	}
	return true;
}

/* Remember a freshly allocated block and paint it. */
static void rec_add(unsigned long pfn, unsigned long pages, unsigned int order, enum rec_kind k)
{
	struct rec *r = &recs[nrecs++];

	r->pfn = pfn;
	r->pages = pages;
	r->order = order;
	r->kind = k;
	r->tag = next_tag++;
	rec_pages += pages;
	rec_paint(r);
}

/* Check record @i whole and free it. */
static void rec_free(int i)
{
	struct rec *r = &recs[i];

	VIOL(rec_intact(r, true), "record tag %u at pfn %#lx lost its paint", r->tag, r->pfn);
	if (r->kind == REC_PLAIN)
		__free_pages(pfn_to_page(r->pfn), r->order);
	else
		free_contig_range(r->pfn, r->pages);
	rec_pages -= r->pages;
	recs[i] = recs[--nrecs];
}

/* ---- zsmalloc objects ---- */

static unsigned char obj_byte(int i, size_t b)
{
	return (unsigned char)(obj_gen[i] * 131 + b * 7 + (b >> 8));
}

static bool obj_intact(int i)
{
	const unsigned char *p = zs_map_object(pool, obj_handle[i]);
	bool ok = true;

	for (size_t b = 0; b < obj_size[i] && ok; b++)
		ok = p[b] == obj_byte(i, b);
	zs_unmap_object(pool, obj_handle[i]);
	return ok;
}

static void obj_new(void)
{
	size_t size = 1 + rnd(ZS_MAX_ALLOC_SIZE);
	unsigned long h;
	unsigned char *p;
	int i = nobjs;

	if (nobjs >= MAX_OBJS)
		return;
	h = zs_malloc(pool, size, GFP_KERNEL | __GFP_NOWARN);
	if (!h) {
		ops.obj_fail++;
		return;
	}
	ops.obj_ok++;
	nobjs++;
	obj_handle[i] = h;
	obj_size[i] = size;
	obj_gen[i] = next_tag++;
	p = zs_map_object(pool, h);
	for (size_t b = 0; b < size; b++)
		p[b] = obj_byte(i, b);
	zs_unmap_object(pool, h);
}

static void obj_del(void)
{
	int i;

	if (!nobjs)
		return;
	i = (int)rnd((uint32_t)nobjs);
	VIOL(obj_intact(i), "zsmalloc object %d corrupted", i);
	zs_free(pool, obj_handle[i]);
	nobjs--;
	obj_handle[i] = obj_handle[nobjs];
	obj_size[i] = obj_size[nobjs];
	obj_gen[i] = obj_gen[nobjs];
	/* obj_byte() depends on the slot only through obj_gen: still valid */
}

/* Pages held by every user of the allocator (the test, the owner, zsmalloc, slab). */
static unsigned long pages_held(void)
{
	struct zs_pool_stats zst;

	zs_pool_stats(pool, &zst);
	return rec_pages + owner.nr_owned + zst.pages + vm_stat_read(NR_SLAB_PAGES) +
	       vm_stat_read(NR_KMALLOC_LARGE_PAGES);
}

/* ---- operations ---- */

static const gfp_t gfps[] = {
	GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_HIGHUSER_MOVABLE, GFP_NOWAIT,
	GFP_ATOMIC, __GFP_MOVABLE, GFP_KERNEL | __GFP_DMA, GFP_KERNEL | __GFP_NORETRY,
};

static void op_alloc(void)
{
	unsigned int order = rnd(3) ? 0 : 1 + rnd(MAX_ORDER);
	gfp_t gfp = gfps[rnd(ARRAY_SIZE(gfps))] | __GFP_NOWARN;
	struct page *page;

	if (nrecs >= MAX_RECS || rec_pages + (1UL << order) > PLAIN_BUDGET)
		return;
	page = alloc_pages(gfp, order);
	if (!page) {
		ops.alloc_fail++;
		return;
	}
	ops.alloc_ok++;
	rec_add(page_to_pfn(page), 1UL << order, order, REC_PLAIN);
}

static void op_contig(void)
{
	struct zone *z = &zones[ZONE_DMA32];
	unsigned long n, s;

	if (nrecs >= MAX_RECS || rec_pages + 1024 > PLAIN_BUDGET)
		return;
	if (rnd(2)) {
		unsigned int order = rnd(MAX_ORDER + 1);

		s = alloc_contig_pages(order, GFP_KERNEL | __GFP_NOWARN);
		n = 1UL << order;
		if (s) {
			VIOL(!(s & (n - 1)), "alloc_contig_pages(%u) misaligned pfn %#lx", order, s);
			ops.contig_ok++;
			rec_add(s, n, 0, REC_CONTIG);
		} else {
			ops.contig_fail++;
		}
		return;
	}
	n = 1 + rnd(1024);
	s = z->zone_start_pfn + rnd((uint32_t)(z->spanned_pages - n));
	if (alloc_contig_range(s, s + n, MIGRATE_MOVABLE, GFP_KERNEL | __GFP_NOWARN) == 0) {
		ops.contig_ok++;
		rec_add(s, n, 0, REC_CONTIG);
	} else {
		ops.contig_fail++;
	}
}

static void op_owner_alloc(void)
{
	unsigned int n = 1 + rnd(64);

	while (n-- && owner.nr_owned < OWNER_BUDGET) {
		if (towner_alloc(&owner, rnd(2) ? GFP_HIGHUSER_MOVABLE : __GFP_MOVABLE,
				 next_tag++))
			ops.owner_ok++;
		else
			ops.owner_fail++;
	}
}

/* The @k-th page on the owner's list, or NULL. */
static struct page *owner_page(unsigned long k)
{
	struct page *p;

	list_for_each_entry(p, &owner.pages, lru)
		if (!k--)
			return p;
	return NULL;
}

static void op_owner_release(void)
{
	unsigned int n = 1 + rnd(64);

	while (n-- && owner.nr_owned) {
		struct page *p = owner_page(rnd((uint32_t)owner.nr_owned));

		VIOL(towner_check(&owner, p), "owner page %#lx corrupted", page_to_pfn(p));
		towner_release(&owner, p);
	}
}

/* Isolate a few owned pages by hand and migrate them with a scripted outcome. */
static void op_migrate(void)
{
	LIST_HEAD(l);
	unsigned int n = 1 + rnd(8), ok = 0, isolated = 0, released = 0;
	int rc;

	for (unsigned int i = 0; i < n && owner.nr_owned; i++) {
		struct page *p = owner_page(rnd((uint32_t)owner.nr_owned));

		if (p && isolate_movable_page(p, 0)) {
			list_add_tail(&p->lru, &l);
			isolated++;
		}
	}
	/* the owner lets one go between isolation and migration (seed 004, docs/references.md) */
	if (isolated && rnd(3) == 0) {
		towner_release(&owner, list_first_entry(&l, struct page, lru));
		released = 1;
		ops.released_mid++;
	}
	switch (rnd(5)) {
	case 0:			/* -EAGAIN, then success */
		owner.script[0] = -EAGAIN;
		owner.script[1] = -EAGAIN;
		owner.nscript = 2;
		break;
	case 1:			/* a permanent error for this pass */
		owner.script[0] = -EBUSY;
		owner.nscript = 1;
		break;
	case 2:			/* -EAGAIN on every pass */
		for (int k = 0; k < (int)ARRAY_SIZE(owner.script); k++)
			owner.script[k] = -EAGAIN;
		owner.nscript = (int)ARRAY_SIZE(owner.script);
		break;
	default:
		break;
	}
	rc = migrate_pages(&l, NULL, NULL, 0, rnd(2) ? MIGRATE_SYNC : MIGRATE_ASYNC, MR_TEST, &ok);
	owner.nscript = 0;
	putback_movable_pages(&l);
	VIOL(rc >= 0 || rc == -ENOMEM, "migrate_pages returned %d", rc);
	VIOL(ok <= isolated, "migrate_pages: %u succeeded of %u isolated", ok, isolated);
	VIOL(released <= ok || rc == -ENOMEM, "released page not counted as migrated");
	ops.migr_ok += ok;
	ops.migr_fail += isolated - ok;
	VIOL(owner.nr_isolated == 0, "owner still has %lu isolated pages", owner.nr_isolated);
}

/* The free block of order >= pageblock_order holding @pfn, if any. */
static bool in_free_pageblock(unsigned long pfn)
{
	for (unsigned int o = pageblock_order; o <= MAX_ORDER; o++) {
		struct page *h = pfn_to_page(pfn & ~((1UL << o) - 1));

		if (PageBuddy(h) && buddy_order(h) >= o)
			return true;
	}
	return false;
}

/*
 * Isolate a few pageblocks, free and allocate around them, then undo:
 * nothing is handed out of the isolated blocks, their free pages are out
 * of the free count but not lost, and every block gets its type back.
 */
static void op_isolate(void)
{
	struct zone *z = &zones[ZONE_DMA32];
	unsigned long nb = 1 + rnd(4), first = pageblock_start_pfn(z->zone_start_pfn) /
		pageblock_nr_pages + 1, last = zone_end_pfn(z) / pageblock_nr_pages - nb;
	unsigned long s = (first + rnd((uint32_t)(last - first))) * pageblock_nr_pages;
	unsigned long e = s + nb * pageblock_nr_pages;
	int types[4];
	struct page *got[16];
	int ngot = 0;

	for (unsigned long i = 0; i < nb; i++)
		types[i] = get_pfnblock_migratetype(s + i * pageblock_nr_pages);
	if (start_isolate_page_range(s, e, MIGRATE_MOVABLE, 0)) {
		for (unsigned long i = 0; i < nb; i++)
			VIOL(get_pfnblock_migratetype(s + i * pageblock_nr_pages) == types[i],
			     "failed isolation changed block %#lx's type", s + i * pageblock_nr_pages);
		return;
	}
	ops.isolations++;
	/* free what we hold in or next to the range: it lands on the isolate lists */
	for (int i = nrecs - 1; i >= 0; i--)
		if (recs[i].pfn + recs[i].pages + MAX_ORDER_NR_PAGES > s &&
		    recs[i].pfn < e + MAX_ORDER_NR_PAGES && rnd(2))
			rec_free(i);
	while (ngot < 16 && (got[ngot] = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, rnd(4))))
		ngot++;
	for (int i = 0; i < ngot; i++) {
		unsigned long pfn = page_to_pfn(got[i]);

		VIOL(pfn >= e || pfn + (1UL << got[i]->alloc_order) <= s,
		     "allocation at %#lx inside the isolated range [%#lx, %#lx)", pfn, s, e);
	}
	VIOL(mm_check_invariants() == 0, "invariants broken while isolated");
	VIOL(nr_free_pages_total() + zone_isolated_free_pages(z) + pages_held() +
	     ({ unsigned long n = 0; for (int i = 0; i < ngot; i++) n += 1UL << got[i]->alloc_order; n; })
	     == base_free, "free + isolated + held differs from the start while isolated");
	for (int i = 0; i < ngot; i++)
		__free_pages(got[i], got[i]->alloc_order);
	undo_isolate_page_range(s, e, MIGRATE_MOVABLE);
	VIOL(zone_isolated_free_pages(z) == 0, "isolated pages left after undo");
	for (unsigned long i = 0; i < nb; i++) {
		unsigned long pfn = s + i * pageblock_nr_pages;

		/* a wholly free block may have merged with (and taken the type of) its buddy */
		VIOL(get_pfnblock_migratetype(pfn) == types[i] || in_free_pageblock(pfn),
		     "block %#lx came back as type %d, was %d", pfn,
		     get_pfnblock_migratetype(pfn), types[i]);
	}
}

static void op_compact(void)
{
	static const enum migrate_mode modes[] = { MIGRATE_ASYNC, MIGRATE_SYNC_LIGHT, MIGRATE_SYNC };
	struct zone *z = &zones[rnd(2) ? ZONE_DMA32 : ZONE_DMA];

	ops.compact_runs++;
	if (rnd(8) == 0)
		compact_all(&ops.cst);
	else if (rnd(8) == 0)
		proactive_compact(&ops.cst);
	else if (rnd(8) == 0) {
		wakeup_kcompactd(1 + (int)rnd(MAX_ORDER));
		kcompactd_do_work();
	} else
		compact_zone_order(z, 1 + (int)rnd(MAX_ORDER), gfps[rnd(ARRAY_SIZE(gfps))],
				   modes[rnd(3)], &ops.cst);
	VIOL(owner.nr_isolated == 0, "compaction left %lu owner pages isolated", owner.nr_isolated);
}

/* New fault-injection settings: allocation sites and owner callback outcomes. */
static void op_faults(void)
{
	char spec[96];

	ops.injected += fail_page_alloc.injected;
	if (rnd(4) == 0) {
		fault_inject_reset();
	} else {
		snprintf(spec, sizeof(spec), "prob=%u,sites=all,seed=%u", 1 + rnd(30), rnd(1u << 30));
		VIOL(fault_inject_parse(spec) == 0, "fault spec %s refused", spec);
	}
	owner.refuse_isolate = rnd(8) == 0;
	owner.fail_ppm = rnd(3) ? rnd(400000) : (rnd(2) ? 1000000 : 0);
}

/* ---- the model check after every step ---- */

/* Mark [pfn, pfn + n) as @who's; report pages owned twice or lying in free blocks. */
static void stamp_range(unsigned long pfn, unsigned long n, uint32_t who)
{
	for (unsigned long i = 0; i < n; i++) {
		struct page *p = pfn_to_page(pfn + i);

		VIOL(pfn + i < NPFN, "pfn %#lx beyond memory", pfn + i);
		if (pfn + i >= NPFN)
			return;
		VIOL(!stamp[pfn + i], "pfn %#lx owned by %u and %u", pfn + i, stamp[pfn + i], who);
		stamp[pfn + i] = who;
		VIOL(!is_free_buddy_page(p), "owned pfn %#lx (%u) is free in the buddy",
		     pfn + i, who);
	}
}

static void check_step(unsigned long step, bool full)
{
	struct page *p;

	memset(stamp, 0, sizeof(stamp));
	for (int i = 0; i < nrecs; i++) {
		stamp_range(recs[i].pfn, recs[i].pages, recs[i].tag);
		VIOL(page_count(pfn_to_page(recs[i].pfn)) == 1, "record %u head refcount %d",
		     recs[i].tag, page_count(pfn_to_page(recs[i].pfn)));
		VIOL(rec_intact(&recs[i], full), "step %lu: record %u (pfn %#lx, %lu pages) corrupted",
		     step, recs[i].tag, recs[i].pfn, recs[i].pages);
	}
	list_for_each_entry(p, &owner.pages, lru) {
		const uint64_t *w = page_address(p);

		stamp_range(page_to_pfn(p), 1, 0x80000000u | owner.id);
		VIOL(full ? towner_check(&owner, p) : w[0] == towner_word(owner.id, p->index, 0),
		     "step %lu: owner page %#lx corrupted", step, page_to_pfn(p));
		VIOL(__PageMovable(p) && page_count(p) == 1, "owner page %#lx state", page_to_pfn(p));
	}
	for (int k = 0; k < (full ? nobjs : MIN(nobjs, 8)); k++) {
		int i = full ? k : (int)rnd((uint32_t)nobjs);

		VIOL(obj_intact(i), "step %lu: zsmalloc object %d corrupted", step, i);
	}
	VIOL(mm_check_invariants() == 0, "step %lu: allocator invariants broken", step);
	VIOL(nr_free_pages_total() + pages_held() == base_free,
	     "step %lu: free %lu + held %lu != %lu at the start", step, nr_free_pages_total(),
	     pages_held(), base_free);
	VIOL(nr_bad_pages == 0, "step %lu: %lu bad pages", step, nr_bad_pages);
}

/* Expect a long random mix of every allocator user under fault injection to keep every page's owner, contents and count exact, and to end with zero leaks. */
TEST(mixed_random_differential)
{
	unsigned long steps = htest_iters(4000), t;

	host_mem_init_mb(MEM_MB);
	compaction_init();
	migrate_stats_reset();
	memset(&ops, 0, sizeof(ops));
	nrecs = nobjs = 0;
	rec_pages = 0;
	violations = 0;
	drain_all_pages(NULL);
	towner_init(&owner, 77);
	pool = zs_create_pool("mixed");
	ASSERT(pool);
	base_free = nr_free_pages_total() + pages_held();
	for (t = 0; t < steps && violations == 0; t++) {
		uint32_t r = rnd(100);

		if (r < 30)
			op_alloc();
		else if (r < 52 && nrecs)
			rec_free((int)rnd((uint32_t)nrecs));
		else if (r < 62)
			op_owner_alloc();
		else if (r < 70)
			op_owner_release();
		else if (r < 78)
			obj_new();
		else if (r < 84)
			obj_del();
		else if (r < 88)
			op_migrate();
		else if (r < 91)
			op_contig();
		else if (r < 93)
			op_compact();
		else if (r < 95)
			op_isolate();
		else
			op_faults();
		check_step(t, t % 100 == 99);
	}
	/* tear everything down with faults off: nothing may be left behind */
	ops.injected += fail_page_alloc.injected;
	fault_inject_reset();
	owner.fail_ppm = 0;
	owner.refuse_isolate = false;
	check_step(t, true);
	while (nrecs)
		rec_free(nrecs - 1);
	while (nobjs)
		obj_del();
	EXPECT(towner_release_all(&owner));
	EXPECT_EQ(owner.nr_owned, 0);
	zs_destroy_pool(pool);
	pool = NULL;
	drain_all_pages(NULL);
	printf("# %lu steps: alloc %lu/%lu fail, contig %lu/%lu fail, owner %lu/%lu fail, objects %lu/%lu fail, migrated %lu (failed %lu, released mid-way %lu), compactions %lu (moved %lu, failed %lu), isolations %lu, faults injected %lu\n",
	       t, ops.alloc_ok, ops.alloc_fail, ops.contig_ok, ops.contig_fail, ops.owner_ok,
	       ops.owner_fail, ops.obj_ok, ops.obj_fail, ops.migr_ok, ops.migr_fail,
	       ops.released_mid, ops.compact_runs, ops.cst.moved, ops.cst.failed, ops.isolations, ops.injected);
	EXPECT_EQ(violations, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_free_pages_total() + vm_stat_read(NR_SLAB_PAGES) +
		  vm_stat_read(NR_KMALLOC_LARGE_PAGES), base_free);
	EXPECT_EQ(nr_bad_pages, 0);
	EXPECT_EQ(owner.corrupt, 0);
	/* every operation kind really ran, successes and failures alike */
	EXPECT(ops.alloc_ok > 0 && ops.alloc_fail > 0);
	EXPECT(ops.contig_ok > 0);
	EXPECT(ops.migr_ok > 0 && ops.migr_fail > 0);
	EXPECT(ops.compact_runs > 0 && ops.obj_ok > 0 && ops.owner_ok > 0);
	EXPECT(ops.injected > 0 && ops.released_mid > 0 && ops.cst.moved > 0);
	EXPECT(ops.isolations > 0);
	host_mem_teardown();
}
