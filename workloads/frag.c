/*
 * frag.c - fragmenting memory on purpose: the frag owner (a seed-004
 * movable-page owner; docs/references.md) and a zsmalloc workload, both
 * painting what they hold so that migration can be checked byte for byte.
 *
 * The frag owner (one per system, `frag`):
 *   movable   list of held movable pages (through page->lru) that are not
 *             isolated; each is __SetPageMovable with frag.as, page->index
 *             its logical index, contents painted from (generation, index)
 *   pinned    list of held pages that are not movable (unmovable=PCT):
 *             page->private = FRAG_PIN_MAGIC, page->index the index
 *   counts    nr_movable (on the list), nr_isolated (taken by the core:
 *             the core owns their lru), nr_pinned, and idx_sum, the sum
 *             of the indices of every held page
 * Invariants (checked by frag_verify()): every held page is on exactly one
 * list or isolated; nr_* equal the list lengths; idx_sum equals the sum
 * over the lists; a listed page's lru is non-empty, and a page the owner
 * is letting go has an empty (self-linked) lru, which is how isolate_page
 * recognises it and refuses. A page being released while isolated is
 * released when the core hands it back (putback; migrate refuses with
 * -EBUSY while releasing so that it comes back).
 *
 * Locks: the page lock (taken by the migration core around the callbacks,
 * by us around __SetPageMovable/__ClearPageMovable), then frag.lock over
 * the lists and counts. Never the other way round. No interrupt handler
 * takes frag.lock (migration never runs in interrupt context), so it is
 * taken with interrupts on everywhere: frag_verify() holds it during its
 * long walk, and the callbacks, on the migration hot path, skip the
 * interrupt save/restore (under TCG an sti costs about as much as a
 * whole list operation).
 *
 * Filling (frag_fill()): phase 1 allocates movable order-0 pages with
 * GFP_NOWAIT (no compaction, no reclaim: the allocator's watermarks hold)
 * until free memory is down to the reserve (high watermarks + a margin);
 * the pattern then frees its pages by pfn. Phase 2 breaks up the free
 * blocks of pageblock order or more that the reserve kept whole: it takes
 * them as order-9 blocks, splits them, and applies the same pattern, while
 * free memory stays above the reserve. Allocation failures (real or
 * injected) end a phase only after FRAG_FAIL_STREAK in a row.
 *
 * The zsmalloc workload keeps its handles in a chain of unmovable pages
 * ("chunks" of handles); object number i (its id) is slot i of the chain,
 * and its bytes are painted from the id, so verification after migration
 * proves that the handle still leads to the same bytes.
 */
#include <workloads/frag.h>
#include <mm/migrate.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/zsmalloc.h>
#include <mm/slab.h>
#include <kernel/printk.h>
#include <lib/parse.h>
#include <lib/prandom.h>
#include <arch/spinlock.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FRAG_PIN_MAGIC		0x46524147504e4eULL	/* "FRAGPNN" */
#define FRAG_FAIL_STREAK	64
#define FRAG_DEFAULT_SEED	0x5eed0f4a11ULL
#define FRAG_GFP		(__GFP_MOVABLE | __GFP_NOWARN)

struct frag_owner {
	spinlock_t lock;
	struct address_space as;
	struct list_head movable, pinned;
	unsigned long nr_movable, nr_isolated, nr_pinned;
	uint64_t idx_sum;
	bool releasing;
	struct frag_stats st;
};

static struct frag_owner frag = {
	.lock = __SPINLOCK_INITIALIZER(frag.lock),	/* taken before the first setup */
	.movable = LIST_HEAD_INIT(frag.movable),
	.pinned = LIST_HEAD_INIT(frag.pinned),
};

/* ------------------------------------------------------------------ */
/* patterns and painting                                               */
/* ------------------------------------------------------------------ */

/* splitmix64 step: a good 64-bit mix of @x. */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Next pseudo-random value from *@s (a zero state starts from the default seed). */
static uint64_t frag_rand(uint64_t *s)
{
	if (!*s)
		*s = FRAG_DEFAULT_SEED;
	return prandom_u64_state(s);
}

int frag_parse_pattern(const char *s, struct frag_pattern *p)
{
	const char *q = s;
	uint64_t a, b;

	if (!s || !p)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (!strcmp(s, "checker")) {
		p->kind = FRAG_CHECKER;
		strcpy(p->name, "checker");
		return 0;
	}
	if (!strncmp(s, "random:", 7)) {
		q = s + 7;
		if (!parse_u64(&q, 10, &a) || (*q && strcmp(q, "%")) || a < 1 || a > 99)
			return -EINVAL;
		p->kind = FRAG_RANDOM;
		p->pct = (unsigned int)a;
		snprintf(p->name, sizeof(p->name), "random:%u%%", p->pct);
		return 0;
	}
	if (!parse_u64(&q, 10, &a) || strncmp(q, "of", 2))
		return -EINVAL;
	q += 2;
	if (!parse_u64(&q, 10, &b) || *q || b < 2 || b > pageblock_nr_pages || a < 1 || a >= b)
		return -EINVAL;
	p->kind = FRAG_KOFN;
	p->k = (unsigned int)a;
	p->n = (unsigned int)b;
	snprintf(p->name, sizeof(p->name), "%uof%u", p->k, p->n);
	return 0;
}

bool frag_pattern_frees(const struct frag_pattern *p, unsigned long pfn, uint64_t *rng)
{
	switch (p->kind) {
	case FRAG_KOFN:
		return pfn % p->n >= p->n - p->k;
	case FRAG_CHECKER:
		return ((pfn >> 4) ^ (pfn >> pageblock_order)) & 1;
	case FRAG_RANDOM:
		return frag_rand(rng) % 100 < p->pct;
	}
	return false;
}

/* First word of the painting of index @idx in generation @gen. */
static uint64_t frag_base(unsigned long gen, unsigned long idx)
{
	return mix64(((uint64_t)gen << 40) ^ idx);
}

/* Paint @page for (@gen, @idx). */
static void frag_paint(struct page *page, unsigned long gen, unsigned long idx)
{
	uint64_t *w = page_address(page), v = frag_base(gen, idx);

	for (unsigned int i = 0; i < PAGE_SIZE / 8; i++, v += 0x9e3779b97f4a7c15ULL)
		w[i] = v;
}

/* True if @page holds exactly the painting of (@gen, page->index). */
static bool frag_painted(const struct page *page, unsigned long gen)
{
	const uint64_t *w = page_address(page);
	uint64_t v = frag_base(gen, page->index);

	for (unsigned int i = 0; i < PAGE_SIZE / 8; i++, v += 0x9e3779b97f4a7c15ULL)
		if (w[i] != v)
			return false;
	return true;
}

/* ------------------------------------------------------------------ */
/* movable callbacks (seed 004)                                        */
/* ------------------------------------------------------------------ */

/* isolate_page: take @page off the movable list; refuse one being released. */
static bool frag_isolate(struct page *page, isolate_mode_t mode)
{
	bool ok;

	spin_lock(&frag.lock);
	ok = !frag.releasing && !list_empty(&page->lru);
	if (ok) {
		list_del_init(&page->lru);
		frag.nr_movable--;
		frag.nr_isolated++;
		frag.st.isolations++;
	} else {
		frag.st.refused++;
	}
	spin_unlock(&frag.lock);
	return ok;
}

/* migratepage: copy @page to @newpage, move the owner's reference and list entry. */
static int frag_migrate(struct address_space *as, struct page *newpage, struct page *page,
			enum migrate_mode mode)
{
	spin_lock(&frag.lock);
	if (frag.releasing) {
		frag.st.refused++;
		spin_unlock(&frag.lock);
		return -EBUSY;	/* comes back through putback, which releases it */
	}
	arch_copy_page(page_address(newpage), page_address(page));
	newpage->index = page->index;
	get_page(newpage);
	__SetPageMovable(newpage, as);
	list_add_tail(&newpage->lru, &frag.movable);
	frag.nr_isolated--;
	frag.nr_movable++;
	frag.st.migrated++;
	spin_unlock(&frag.lock);
	__ClearPageMovable(page);
	page->index = 0;
	put_page(page);		/* the owner's reference; the core holds its own */
	return MIGRATEPAGE_SUCCESS;
}

/* putback_page: back on the list, or released if the owner is letting go. */
static void frag_putback(struct page *page)
{
	bool release;

	spin_lock(&frag.lock);
	frag.nr_isolated--;
	frag.st.putbacks++;
	release = frag.releasing;
	if (release) {
		frag.idx_sum -= page->index;
		frag.st.deferred_release++;
		if (!frag.nr_isolated)
			frag.releasing = false;
	} else {
		list_add_tail(&page->lru, &frag.movable);
		frag.nr_movable++;
	}
	spin_unlock(&frag.lock);
	if (release) {
		__ClearPageMovable(page);
		page->index = 0;
		put_page(page);	/* the core's isolation reference frees it */
	}
}

static const struct movable_operations frag_mops = {
	.isolate_page = frag_isolate,
	.migratepage = frag_migrate,
	.putback_page = frag_putback,
};

/* ------------------------------------------------------------------ */
/* fill, verify, release                                               */
/* ------------------------------------------------------------------ */

/* Pages to leave free: every zone's high watermark plus a margin. */
static unsigned long frag_reserve_pages(void)
{
	unsigned long r = 0, managed = 0;
	struct zone *z;

	for_each_populated_zone(z) {
		r += high_wmark_pages(z);
		managed += z->managed_pages;
	}
	return r + MAX(256UL, managed / 256);
}

/* Keep @page (just allocated, ours alone) as index @idx: paint, then movable or pinned. */
static void frag_keep(struct page *page, unsigned long idx, bool pin)
{
	page->index = idx;
	frag_paint(page, frag.st.generation, idx);
	if (pin) {
		page->private = FRAG_PIN_MAGIC;
		spin_lock(&frag.lock);
		list_add_tail(&page->lru, &frag.pinned);
		frag.nr_pinned++;
		frag.idx_sum += idx;
		spin_unlock(&frag.lock);
		return;
	}
	lock_page(page);
	spin_lock(&frag.lock);
	list_add_tail(&page->lru, &frag.movable);
	frag.nr_movable++;
	frag.idx_sum += idx;
	spin_unlock(&frag.lock);
	__SetPageMovable(page, &frag.as);	/* marked after it is findable on the list */
	unlock_page(page);
}

/* Free or keep every page on @l as the pattern says; @idx is the next index. */
static void frag_sort(struct list_head *l, const struct frag_opts *o, uint64_t *rng,
		      unsigned long *idx)
{
	while (!list_empty(l)) {
		struct page *page = list_first_entry(l, struct page, lru);

		list_del_init(&page->lru);
		if (frag_pattern_frees(&o->pattern, page_to_pfn(page), rng)) {
			__free_page(page);
			frag.st.freed++;
			continue;
		}
		frag_keep(page, (*idx)++,
			  o->unmovable_pct && frag_rand(rng) % 100 < o->unmovable_pct);
	}
}

/* Does any zone have a free block of pageblock order or more? (racy hint) */
static bool frag_has_big_free(void)
{
	struct zone *z;

	for_each_populated_zone(z)
		for (unsigned int o = pageblock_order; o <= MAX_ORDER; o++)
			if (READ_ONCE(z->free_area[o].nr_free))
				return true;
	return false;
}

/* Phase 1: take up to @want order-0 movable pages onto @l; returns how many. */
static unsigned long frag_take_pages(struct list_head *l, unsigned long want)
{
	unsigned long n = 0, streak = 0;

	while (n < want && streak < FRAG_FAIL_STREAK) {
		struct page *page = alloc_page(FRAG_GFP);

		if (!page) {
			frag.st.alloc_failures++;
			streak++;
			continue;
		}
		streak = 0;
		list_add_tail(&page->lru, l);
		n++;
	}
	return n;
}

/* Phase 2: break up whole free pageblocks left by phase 1, within @budget pages. */
static void frag_break_residue(const struct frag_opts *o, uint64_t *rng, unsigned long *idx,
			       unsigned long reserve, unsigned long budget)
{
	unsigned long streak = 0;

	while (budget >= pageblock_nr_pages && streak < FRAG_FAIL_STREAK && frag_has_big_free() &&
	       nr_free_pages_total() > reserve + 2 * pageblock_nr_pages) {
		struct page *page = alloc_pages(FRAG_GFP, pageblock_order);
		LIST_HEAD(l);

		if (!page) {
			frag.st.alloc_failures++;
			streak++;
			continue;
		}
		streak = 0;
		split_page(page, pageblock_order);
		for (unsigned long i = 0; i < pageblock_nr_pages; i++)
			list_add_tail(&page[i].lru, &l);
		frag.st.taken += pageblock_nr_pages;
		frag.st.residue_blocks++;
		budget -= pageblock_nr_pages;
		frag_sort(&l, o, rng, idx);
		drain_all_pages(NULL);
	}
}

int frag_fill(const struct frag_opts *o)
{
	unsigned long reserve, free0, want, idx = 0;
	uint64_t rng;
	LIST_HEAD(taken);
	bool busy;

	if (!o || o->unmovable_pct > 100 || o->pattern.kind > FRAG_RANDOM ||
	    (o->pattern.kind == FRAG_KOFN &&
	     (o->pattern.n < 2 || o->pattern.k < 1 || o->pattern.k >= o->pattern.n)) ||
	    (o->pattern.kind == FRAG_RANDOM && (o->pattern.pct < 1 || o->pattern.pct > 99)))
		return -EINVAL;
	spin_lock(&frag.lock);
	busy = frag.nr_movable || frag.nr_isolated || frag.nr_pinned || frag.releasing;
	spin_unlock(&frag.lock);
	if (busy)
		return -EBUSY;
	if (!frag.as.a_ops) {
		frag.as.a_ops = &frag_mops;
		frag.as.private_data = &frag;
	}

	frag.st.generation++;
	frag.st.taken = frag.st.freed = frag.st.alloc_failures = frag.st.residue_blocks = 0;
	strcpy(frag.st.pattern, o->pattern.name);
	frag.idx_sum = 0;
	rng = o->seed ? o->seed : FRAG_DEFAULT_SEED;

	drain_all_pages(NULL);
	reserve = frag_reserve_pages();
	free0 = nr_free_pages_total();
	want = free0 > reserve ? free0 - reserve : 0;
	if (o->max_pages && want > o->max_pages)
		want = o->max_pages;
	frag.st.taken = frag_take_pages(&taken, want);
	if (!frag.st.taken)
		return -ENOMEM;
	frag_sort(&taken, o, &rng, &idx);
	drain_all_pages(NULL);
	frag_break_residue(o, &rng, &idx, reserve,
			   o->max_pages ? o->max_pages - MIN(o->max_pages, frag.st.taken) : ~0UL);
	drain_all_pages(NULL);
	return 0;
}

/* Check one listed page of the frag owner; true if all is well. */
static bool frag_page_ok(const struct page *page, bool pinned)
{
	if (page_count(page) < 1 || PageBuddy(page))
		return false;
	if (pinned) {
		if (page->mapping || page->private != FRAG_PIN_MAGIC)
			return false;
	} else if (!__PageMovable(page) || page_mapping(page) != &frag.as ||
		   PageIsolated(page)) {
		return false;
	}
	return frag_painted(page, frag.st.generation);
}

unsigned long frag_verify(void)
{
	unsigned long bad = 0, nm = 0, np = 0;
	uint64_t sum = 0;
	struct page *page;

	/* a long walk: interrupts stay on */
	spin_lock(&frag.lock);
	list_for_each_entry(page, &frag.movable, lru) {
		nm++;
		sum += page->index;
		bad += !frag_page_ok(page, false);
	}
	list_for_each_entry(page, &frag.pinned, lru) {
		np++;
		sum += page->index;
		bad += !frag_page_ok(page, true);
	}
	/* isolated pages are out of reach: each one is a mismatch here */
	bad += frag.nr_isolated;
	if (nm != frag.nr_movable || np != frag.nr_pinned)
		bad++;
	if (!frag.nr_isolated && sum != frag.idx_sum)
		bad++;
	spin_unlock(&frag.lock);
	return bad;
}

/* Take the first page of @l off the owner's lists (lru left empty); NULL if none. */
static struct page *frag_pop(struct list_head *l, unsigned long *count)
{
	struct page *page = NULL;
	spin_lock(&frag.lock);
	if (!list_empty(l)) {
		page = list_first_entry(l, struct page, lru);
		list_del_init(&page->lru);
		(*count)--;
		frag.idx_sum -= page->index;
	}
	spin_unlock(&frag.lock);
	return page;
}

unsigned long frag_release(void)
{
	unsigned long n = 0;
	struct page *page;

	spin_lock(&frag.lock);
	frag.releasing = true;
	spin_unlock(&frag.lock);
	while ((page = frag_pop(&frag.movable, &frag.nr_movable))) {
		lock_page(page);
		__ClearPageMovable(page);
		page->index = 0;
		unlock_page(page);
		put_page(page);
		n++;
	}
	while ((page = frag_pop(&frag.pinned, &frag.nr_pinned))) {
		page->private = 0;
		page->index = 0;
		put_page(page);
		n++;
	}
	spin_lock(&frag.lock);
	if (!frag.nr_isolated)
		frag.releasing = false;
	spin_unlock(&frag.lock);
	drain_all_pages(NULL);
	return n;
}

void frag_get_stats(struct frag_stats *st)
{
	spin_lock(&frag.lock);
	*st = frag.st;
	st->held_movable = frag.nr_movable;
	st->held_isolated = frag.nr_isolated;
	st->held_pinned = frag.nr_pinned;
	spin_unlock(&frag.lock);
}

int frag_page_owner(const struct page *page)
{
	if (page_count(page) < 1)
		return 0;
	if (__PageMovable(page) && page_mapping(page) == &frag.as)
		return 1;
	if (!page->mapping && page->private == FRAG_PIN_MAGIC)
		return 2;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the zsmalloc workload                                               */
/* ------------------------------------------------------------------ */

#define ZSW_PER_CHUNK	((PAGE_SIZE - 16) / sizeof(unsigned long))

struct zsw_chunk {
	struct zsw_chunk *next;
	unsigned long used;			/* slots filled (freed ones hold 0) */
	unsigned long h[ZSW_PER_CHUNK];		/* handles; slot i of chunk k = id k*PER+i */
};
_Static_assert(sizeof(struct zsw_chunk) <= PAGE_SIZE, "a handle chunk is one page");

static struct {
	struct zs_pool *pool;
	struct zsw_chunk *head, *tail;
	unsigned long next_id, objects, bytes, alloc_failures;
	bool stopped_at_reserve;	/* the last fill stopped to leave the reserve free */
} zsw;

/* Byte @j of object @id. */
static uint8_t zsw_byte(unsigned long id, size_t j)
{
	return (uint8_t)(mix64(id) >> ((j & 7) * 8)) ^ (uint8_t)(j >> 3);
}

/* Size of object @id: @size, or mixed 16..2048 drawn from the id. */
static unsigned int zsw_size(unsigned long id, unsigned int size)
{
	return size ? size : 16 + (unsigned int)(mix64(id ^ 0x51ce) % (ZS_MAX_ALLOC_SIZE - 15));
}

/* Append @handle as the next id; false if no chunk page could be had. */
static bool zsw_record(unsigned long handle)
{
	if (!zsw.tail || zsw.tail->used == ZSW_PER_CHUNK) {
		struct page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN | __GFP_ZERO);
		struct zsw_chunk *c;

		if (!p)
			return false;
		c = page_address(p);
		if (zsw.tail)
			zsw.tail->next = c;
		else
			zsw.head = c;
		zsw.tail = c;
	}
	zsw.tail->h[zsw.tail->used++] = handle;
	zsw.next_id++;
	return true;
}

unsigned long frag_zs_fill(unsigned long bytes, unsigned int size)
{
	unsigned long added = 0, done = 0, streak = 0, reserve;

	if (size > ZS_MAX_ALLOC_SIZE)
		return 0;
	if (!zsw.pool) {
		zsw.pool = zs_create_pool("frag");
		if (!zsw.pool)
			return 0;
	}
	zsw.alloc_failures = 0;
	zsw.stopped_at_reserve = false;
	reserve = frag_reserve_pages();
	while (done < bytes && streak < FRAG_FAIL_STREAK) {
		unsigned long id = zsw.next_id;
		unsigned int sz = zsw_size(id, size);
		unsigned long h = zs_malloc(zsw.pool, sz, GFP_KERNEL | __GFP_NOWARN);
		uint8_t *obj;

		if (!h) {
			zsw.alloc_failures++;
			streak++;
			continue;
		}
		/* leave the reserve free, as frag_fill() does */
		if (!(added & 255) && nr_free_pages_total() < reserve) {
			zs_free(zsw.pool, h);
			zsw.stopped_at_reserve = true;
			break;
		}
		if (!zsw_record(h)) {
			zs_free(zsw.pool, h);
			zsw.alloc_failures++;
			streak++;
			continue;
		}
		streak = 0;
		obj = zs_map_object(zsw.pool, h);
		for (size_t j = 0; j < sz; j++)
			obj[j] = zsw_byte(id, j);
		zs_unmap_object(zsw.pool, h);
		zsw.objects++;
		zsw.bytes += sz;
		done += sz;
		added++;
	}
	return added;
}

/* Free the object in slot @i of chunk @c (id @id); true if there was one. */
static bool zsw_free_slot(struct zsw_chunk *c, unsigned long i)
{
	if (!c->h[i])
		return false;
	zsw.bytes -= zs_object_size(zsw.pool, c->h[i]);
	zs_free(zsw.pool, c->h[i]);
	c->h[i] = 0;
	zsw.objects--;
	return true;
}

unsigned long frag_zs_thin(unsigned int nth)
{
	unsigned long n = 0, id = 0;

	if (!nth || !zsw.pool)
		return 0;
	for (struct zsw_chunk *c = zsw.head; c; c = c->next)
		for (unsigned long i = 0; i < c->used; i++, id++)
			if (id % nth == 0 && zsw_free_slot(c, i))
				n++;
	return n;
}

unsigned long frag_zs_verify(void)
{
	unsigned long bad = 0, id = 0, live = 0;

	if (!zsw.pool)
		return 0;
	for (struct zsw_chunk *c = zsw.head; c; c = c->next)
		for (unsigned long i = 0; i < c->used; i++, id++) {
			const uint8_t *obj;
			size_t sz;

			if (!c->h[i])
				continue;
			live++;
			sz = zs_object_size(zsw.pool, c->h[i]);
			obj = zs_map_object(zsw.pool, c->h[i]);
			for (size_t j = 0; j < sz; j++)
				if (obj[j] != zsw_byte(id, j)) {
					bad++;
					break;
				}
			zs_unmap_object(zsw.pool, c->h[i]);
		}
	if (live != zsw.objects)
		bad++;
	return bad;
}

unsigned long frag_zs_release(void)
{
	unsigned long n = 0;

	while (zsw.head) {
		struct zsw_chunk *c = zsw.head;

		for (unsigned long i = 0; i < c->used; i++)
			n += zsw_free_slot(c, i);
		zsw.head = c->next;
		__free_page(virt_to_page(c));
	}
	zsw.tail = NULL;
	if (zsw.pool)
		zs_destroy_pool(zsw.pool);
	zsw.pool = NULL;
	zsw.next_id = zsw.objects = zsw.bytes = 0;
	kmem_cache_shrink_all();	/* the handles' and zspages' empty slabs */
	return n;
}

void frag_zs_get_stats(struct frag_zs_stats *st)
{
	struct zs_pool_stats ps;

	memset(st, 0, sizeof(*st));
	st->objects = zsw.objects;
	st->bytes = zsw.bytes;
	st->alloc_failures = zsw.alloc_failures;
	st->stopped_at_reserve = zsw.stopped_at_reserve;
	st->next_id = zsw.next_id;
	if (zsw.pool) {
		zs_pool_stats(zsw.pool, &ps);
		st->pages = ps.pages;
		st->migrated = ps.migrated;
		st->migrate_busy = ps.migrate_busy;
	}
}

int frag_fill_pattern(const char *pattern, unsigned int unmovable_pct)
{
	struct frag_opts o;

	memset(&o, 0, sizeof(o));
	if (frag_parse_pattern(pattern, &o.pattern))
		return -EINVAL;
	o.unmovable_pct = unmovable_pct;
	return frag_fill(&o);
}
