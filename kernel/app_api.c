/*
 * app_api.c - include/ballast/ implemented on the kernel's mm and SMP
 * interfaces. An application sees only those headers; this file is the
 * one place that translates (flags to gfp_t, opaque handles to mm
 * structures, mm's counters to struct ballast_mem_stats).
 *
 * Page ownership: a block handed out by ballast_alloc_pages() carries
 * BALLAST_PAGES_MAGIC + order in its first page's ->private until it is
 * freed. ballast_free_pages() validates before it acts: an address that is
 * not a page this API handed out (never owned, already freed, or freed
 * with another order) is reported with a backtrace and refused, so an
 * application's double free cannot reach the buddy allocator (whose own
 * bad_page checks remain behind it for every other caller).
 *
 * The store is one zsmalloc pool ("app-store"), created on first use.
 */
#include <ballast/ballast.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <mm/page.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/mmzone.h>
#include <mm/slab.h>
#include <mm/shrinker.h>
#include <drivers/virtio_mem.h>
#include <mm/zsmalloc.h>
#include <mm/compaction.h>
#include <drivers/virtio_balloon.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <errno.h>
#include <string.h>

#define BALLAST_PAGES_MAGIC 0xba11a57000ul

/* ---- pages ---- */

void *ballast_alloc_pages(unsigned int flags, unsigned int order)
{
	gfp_t gfp = GFP_NOWAIT;
	struct page *page;

	if (order > BALLAST_MAX_ORDER || (flags & BALLAST_PAGES_MOVABLE))
		return NULL;
	if (flags & BALLAST_PAGES_WAIT)
		gfp |= __GFP_DIRECT_RECLAIM;
	if (flags & BALLAST_PAGES_ZERO)
		gfp |= __GFP_ZERO;
	if (flags & BALLAST_PAGES_NOWARN)
		gfp |= __GFP_NOWARN;
	page = alloc_pages(gfp, order);
	if (!page)
		return NULL;
	page->private = BALLAST_PAGES_MAGIC + order;
	return page_address(page);
}

/* Why @addr/@order is not a block of ours to free, or NULL. */
static const char *ballast_pages_bad(void *addr, unsigned int order, struct page **pagep)
{
	struct page *page;

	if ((uintptr_t)addr & (BALLAST_PAGE_SIZE - 1))
		return "not a page address";
	if (order > BALLAST_MAX_ORDER)
		return "order out of range";
	if (!virt_addr_valid(addr))
		return "not RAM the kernel manages";
	page = virt_to_page(addr);
	*pagep = page;
	if (page->page_type == PGTY_BUDDY)
		return "already free (double free)";
	if ((page->private & ~0xfful) != BALLAST_PAGES_MAGIC)
		return "not allocated by ballast_alloc_pages (never owned, or already freed)";
	if (page->private != BALLAST_PAGES_MAGIC + order)
		return "allocated with another order";
	return NULL;
}

int ballast_free_pages(void *addr, unsigned int order)
{
	struct page *page = NULL;
	const char *why = ballast_pages_bad(addr, order, &page);

	if (why) {
		printk("ballast_free_pages(%p, order %u): refused: %s\n", addr, order, why);
		backtrace_from((uint64_t)__builtin_frame_address(0), (uint64_t)&&here);
here:
		return -EINVAL;
	}
	page->private = 0;
	__free_pages(page, order);
	return 0;
}

unsigned long ballast_compact(void)
{
	struct compact_stats st;

	memset(&st, 0, sizeof(st));
	compact_all(&st);
	return st.moved;
}

/* ---- statistics ---- */

void ballast_mem_stats(struct ballast_mem_stats *st)
{
	struct virtio_balloon *vb;
	struct zone *z;

	memset(st, 0, sizeof(*st));
	st->total = totalram_pages();
	st->free = nr_free_pages_total();
	st->available = si_mem_available();
	for (unsigned int i = 0; (vb = virtio_balloon_get(i)) != NULL; i++)
		st->ballooned += vb->num_pages;
	st->plugged = virtio_mem_plugged_bytes() >> PAGE_SHIFT;
	for_each_populated_zone(z)
		for (unsigned int o = 0; o <= BALLAST_MAX_ORDER && o <= MAX_ORDER; o++)
			st->free_order[o] += READ_ONCE(z->free_area[o].nr_free);
}

/* ---- CPUs ---- */

unsigned int ballast_num_cpus(void) { return num_online_cpus(); }
unsigned int ballast_cpu_id(void) { return arch_cpu_id(); }

int ballast_run_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg, bool wait)
{
	return smp_call_function_single(cpu, fn, arg, wait);
}

void ballast_run_on_all(void (*fn)(void *arg), void *arg, bool wait)
{
	on_each_cpu(fn, arg, wait);
}

/* ---- shrinkers ---- */

struct ballast_shrinker {
	struct shrinker s;
	long (*count)(void *priv);
	long (*scan)(void *priv, unsigned long nr);
	void *priv;
};

static long app_shrinker_count(struct shrinker *s)
{
	struct ballast_shrinker *b = container_of(s, struct ballast_shrinker, s);

	return b->count(b->priv);
}

static long app_shrinker_scan(struct shrinker *s, unsigned long nr)
{
	struct ballast_shrinker *b = container_of(s, struct ballast_shrinker, s);

	return b->scan(b->priv, nr);
}

struct ballast_shrinker *ballast_register_shrinker(const char *name,
		long (*count)(void *priv), long (*scan)(void *priv, unsigned long nr), void *priv)
{
	struct ballast_shrinker *b;

	if (!count || !scan)
		return NULL;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	b->s.name = name;
	b->s.count = app_shrinker_count;
	b->s.scan = app_shrinker_scan;
	b->count = count;
	b->scan = scan;
	b->priv = priv;
	if (register_shrinker(&b->s)) {
		kfree(b);
		return NULL;
	}
	return b;
}

void ballast_unregister_shrinker(struct ballast_shrinker *b)
{
	if (!b)
		return;
	unregister_shrinker(&b->s);
	kfree(b);
}

void ballast_shrinker_stats(const struct ballast_shrinker *b, struct ballast_shrinker_stats *st)
{
	st->count_calls = b->s.count_calls;
	st->scan_calls = b->s.scan_calls;
	st->asked = b->s.asked;
	st->freed = b->s.freed;
	st->stops = b->s.stops;
	st->errors = b->s.errors;
	st->late = b->s.late;
	st->disabled = b->s.disabled;
}

unsigned long ballast_shrink(unsigned long nr)
{
	return shrink_memory(nr, SHRINK_EXPLICIT);
}

/* ---- pressure ---- */

struct ballast_pressure_watch {
	struct pressure_notifier n;
	void (*fn)(void *priv, enum ballast_pressure level, unsigned long free_pages);
	void *priv;
};

static void app_pressure_notify(struct pressure_notifier *n, enum pressure_level level,
				unsigned long free_pages)
{
	struct ballast_pressure_watch *w = container_of(n, struct ballast_pressure_watch, n);

	w->fn(w->priv, (enum ballast_pressure)level, free_pages);
}

struct ballast_pressure_watch *ballast_pressure_watch(
		void (*fn)(void *priv, enum ballast_pressure level, unsigned long free_pages), void *priv)
{
	struct ballast_pressure_watch *w;

	if (!fn)
		return NULL;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return NULL;
	w->n.notify = app_pressure_notify;
	w->fn = fn;
	w->priv = priv;
	register_pressure_notifier(&w->n);
	return w;
}

void ballast_pressure_unwatch(struct ballast_pressure_watch *w)
{
	if (!w)
		return;
	unregister_pressure_notifier(&w->n);
	kfree(w);
}

enum ballast_pressure ballast_pressure_level(void) { return (enum ballast_pressure)pressure_level(); }

int ballast_pressure_set(unsigned long low, unsigned long critical, unsigned long hyst)
{
	return pressure_set_thresholds(low, critical, hyst);
}

void ballast_pressure_get(unsigned long *low, unsigned long *critical, unsigned long *hyst)
{
	pressure_get_thresholds(low, critical, hyst);
}

/* ---- the movable object store ---- */

static struct zs_pool *store_pool;

/* The pool, created on first use (NULL if there is no memory for it). */
static struct zs_pool *store_get_pool(void)
{
	if (!store_pool)
		store_pool = zs_create_pool("app-store");
	return store_pool;
}

store_handle_t store_alloc(size_t size)
{
	struct zs_pool *pool = store_get_pool();

	return pool ? zs_malloc(pool, size, GFP_KERNEL | __GFP_NOWARN) : 0;
}

void *store_map(store_handle_t h) { return h ? zs_map_object(store_pool, h) : NULL; }
void store_unmap(store_handle_t h) { if (h) zs_unmap_object(store_pool, h); }
void store_free(store_handle_t h) { if (h) zs_free(store_pool, h); }
size_t store_size(store_handle_t h) { return h ? zs_object_size(store_pool, h) : 0; }

void store_stats(struct store_stats *st)
{
	struct zs_pool_stats zs;

	memset(st, 0, sizeof(*st));
	if (!store_pool)
		return;
	zs_pool_stats(store_pool, &zs);
	st->pages = zs.pages;
	st->objects = zs.objects;
	st->bytes = zs.bytes;
	st->migrated = zs.migrated;
	st->migrate_busy = zs.migrate_busy;
}
