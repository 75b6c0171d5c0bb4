/*
 * zsmalloc.c - a zsmalloc-style handle allocator whose pages are movable.
 *
 * Objects are grouped by size class (multiples of 16 bytes, up to
 * ZS_MAX_ALLOC_SIZE). A class packs its objects into single backing
 * pages ("zspages"), each cut into equal slots of the class size plus an
 * 8-byte header. A live slot's header holds its handle; a free slot's
 * header holds the index of the next free slot (chain ends at ZS_NONE).
 *
 * A handle is the address of a small kmalloc'ed struct zs_handle
 * {zspage, slot, size}; the user never sees an address that changes.
 * Migrating a backing page copies it and repoints zspage->page: the
 * handles name the zspage, so nothing else changes.
 *
 * The backing page is __SetPageMovable with the pool's address_space;
 * page->index points at its struct zspage. A new zspage is put on its
 * class list first and made movable after, under the page lock and
 * pool->lock together (zspage_publish()): an isolator never sees a movable
 * page whose zspage is not listed (seed 002). Movable callbacks (seed 004,
 * docs/references.md):
 * isolate takes the zspage off its class list (refused if the zspage is
 * dying); migrate refuses with -EAGAIN while an object of the page is
 * mapped (zs_map_object) or while the zspage is dying, else copies;
 * putback returns it to its class list.
 *
 * A class list keeps its zspages with a free slot ahead of the full ones
 * (zspage_list_add() puts a full one at the tail, others at the head), so
 * zs_malloc looks at the head only: a full head means the class is full.
 * Scanning past full zspages made each new zspage cost a walk of the whole
 * class, and filling memory quadratic.
 *
 * Locks: page lock, then pool->lock. zs_free of a zspage's last object
 * unlinks it and marks it dying under pool->lock, then drops pool->lock
 * before taking the page lock to __ClearPageMovable and release the page
 * (an isolator then sees a released page). Invariants: every zspage is on
 * its class's list unless isolated or dying; inuse equals live slots;
 * pool counters equal the sums over zspages.
 */
#include <mm/zsmalloc.h>
#include <mm/migrate.h>
#include <mm/slab.h>
#include <kernel/printk.h>
#include <arch/spinlock.h>
#include <errno.h>
#include <string.h>

#define ZS_ALIGN	16
#define ZS_HDR		8
#define ZS_NR_CLASSES	(ZS_MAX_ALLOC_SIZE / ZS_ALIGN)
#define ZS_NONE		0xffffffffu

struct zspage {
	struct list_head list;		/* class list (not while isolated/dying) */
	struct page *page;
	struct zs_pool *pool;
	unsigned int class_idx;
	unsigned int nr_slots, inuse;
	unsigned int freelist;		/* first free slot or ZS_NONE */
	unsigned int mapped;		/* objects mapped right now */
	bool isolated, dying;
};

struct zs_handle {
	struct zspage *zspage;
	unsigned int slot;
	unsigned int size;
};

struct zs_pool {
	spinlock_t lock;
	const char *name;
	struct address_space as;
	struct list_head classes[ZS_NR_CLASSES];	/* zspages with a free slot first */
	struct zs_pool_stats st;
};

/* Slot size (header included) of class @idx. */
static unsigned int class_slot_size(unsigned int idx)
{
	return (idx + 1) * ZS_ALIGN + ZS_HDR;
}

static uint64_t *slot_hdr(struct zspage *z, unsigned int slot)
{
	return (uint64_t *)((char *)page_address(z->page) + slot * class_slot_size(z->class_idx));
}

#ifdef HOST_BUILD
void (*zs_test_new_zspage_hook)(struct page *page);
#define zs_test_hook(page) do { if (zs_test_new_zspage_hook) zs_test_new_zspage_hook(page); } while (0)
#else
#define zs_test_hook(page) do { } while (0)
#endif

/* Put @z on its class list: at the head when it has a free slot, else at the tail. */
static void zspage_list_add(struct zs_pool *pool, struct zspage *z)
{
	if (z->freelist != ZS_NONE)
		list_add(&z->list, &pool->classes[z->class_idx]);
	else
		list_add_tail(&z->list, &pool->classes[z->class_idx]);
}

/* --- movable callbacks --- */

static bool zs_page_isolate(struct page *page, isolate_mode_t mode)
{
	struct zspage *z = (struct zspage *)page->index;
	struct zs_pool *pool = z->pool;
	unsigned long irq;
	bool ok;

	spin_lock_irqsave(&pool->lock, irq);
	ok = !z->dying && !z->isolated;
	if (ok) {
		list_del_init(&z->list);
		z->isolated = true;
	}
	spin_unlock_irqrestore(&pool->lock, irq);
	return ok;
}

static int zs_page_migrate(struct address_space *as, struct page *newpage,
			   struct page *page, enum migrate_mode mode)
{
	struct zspage *z = (struct zspage *)page->index;
	struct zs_pool *pool = z->pool;
	unsigned long irq;

	spin_lock_irqsave(&pool->lock, irq);
	VM_BUG_ON(!z->isolated);	/* off its class list while the core has it */
	if (z->mapped || z->dying) {
		pool->st.migrate_busy++;
		spin_unlock_irqrestore(&pool->lock, irq);
		return -EAGAIN;
	}
	arch_copy_page(page_address(newpage), page_address(page));
	newpage->index = (unsigned long)z;
	z->page = newpage;
	get_page(newpage);
	__SetPageMovable(newpage, as);
	z->isolated = false;
	zspage_list_add(pool, z);
	pool->st.migrated++;
	spin_unlock_irqrestore(&pool->lock, irq);
	__ClearPageMovable(page);
	page->index = 0;
	put_page(page);
	return MIGRATEPAGE_SUCCESS;
}

static void zs_page_putback(struct page *page)
{
	struct zspage *z = (struct zspage *)page->index;
	struct zs_pool *pool = z->pool;
	unsigned long irq;

	spin_lock_irqsave(&pool->lock, irq);
	VM_BUG_ON(!z->isolated);
	z->isolated = false;
	if (!z->dying)
		zspage_list_add(pool, z);
	spin_unlock_irqrestore(&pool->lock, irq);
}

static const struct movable_operations zs_mops = {
	.isolate_page = zs_page_isolate,
	.migratepage = zs_page_migrate,
	.putback_page = zs_page_putback,
};

/* --- pool --- */

struct zs_pool *zs_create_pool(const char *name)
{
	struct zs_pool *pool = kzalloc(sizeof(*pool), GFP_KERNEL);

	if (!pool)
		return NULL;
	spin_lock_init(&pool->lock);
	pool->name = name;
	pool->as.a_ops = &zs_mops;
	pool->as.private_data = pool;
	for (int i = 0; i < ZS_NR_CLASSES; i++)
		INIT_LIST_HEAD(&pool->classes[i]);
	return pool;
}

/* A new zspage for class @idx, not movable yet, not on a list; NULL on no memory. */
static struct zspage *zspage_create(struct zs_pool *pool, unsigned int idx, gfp_t gfp)
{
	struct zspage *z = kzalloc(sizeof(*z), gfp & ~(__GFP_MOVABLE | __GFP_ZERO));
	struct page *page;

	if (!z)
		return NULL;
	page = alloc_page((gfp & ~__GFP_ZERO) | __GFP_MOVABLE | __GFP_NOWARN);
	if (!page) {
		kfree(z);
		return NULL;
	}
	z->page = page;
	z->pool = pool;
	z->class_idx = idx;
	z->nr_slots = PAGE_SIZE / class_slot_size(idx);
	INIT_LIST_HEAD(&z->list);
	for (unsigned int s = 0; s < z->nr_slots; s++)
		*slot_hdr(z, s) = s + 1 < z->nr_slots ? s + 1 : ZS_NONE;
	z->freelist = 0;
	page->index = (unsigned long)z;
	return z;
}

/*
 * List the new zspage @z on its class and only then make its page movable
 * (seed 002: a page is not elected movable before it is on its owner's
 * list, or an isolator could unlink an entry that is not there). Takes the
 * page lock, then pool->lock, and returns with pool->lock held (@irq).
 */
static void zspage_publish(struct zs_pool *pool, struct zspage *z, unsigned long *irq)
{
	lock_page(z->page);
	spin_lock_irqsave(&pool->lock, *irq);
	zspage_list_add(pool, z);
	pool->st.pages++;
	__SetPageMovable(z->page, &pool->as);
	unlock_page(z->page);
}

/* Release an empty zspage that is off every list (pool->lock not held). */
static void zspage_release(struct zspage *z)
{
	struct page *page = z->page;

	lock_page(page);
	__ClearPageMovable(page);
	page->index = 0;
	unlock_page(page);
	put_page(page);
	kfree(z);
}

unsigned long zs_malloc(struct zs_pool *pool, size_t size, gfp_t gfp)
{
	struct zs_handle *h;
	struct zspage *z = NULL;
	unsigned int idx, slot;
	unsigned long irq;

	if (!size || size > ZS_MAX_ALLOC_SIZE)
		return 0;
	idx = (unsigned int)((size + ZS_ALIGN - 1) / ZS_ALIGN - 1);
	h = kmalloc(sizeof(*h), gfp & ~(__GFP_MOVABLE | __GFP_ZERO));
	if (!h)
		return 0;
	spin_lock_irqsave(&pool->lock, irq);
	/* free slots are at the head (zspage_list_add): a full head, a full class */
	if (!list_empty(&pool->classes[idx])) {
		z = list_first_entry(&pool->classes[idx], struct zspage, list);
		if (z->freelist == ZS_NONE)
			z = NULL;
	}
	if (!z) {
		spin_unlock_irqrestore(&pool->lock, irq);
		z = zspage_create(pool, idx, gfp);
		if (!z) {
			kfree(h);
			return 0;
		}
		zs_test_hook(z->page);
		zspage_publish(pool, z, &irq);
	}
	slot = z->freelist;
	z->freelist = (unsigned int)*slot_hdr(z, slot);
	*slot_hdr(z, slot) = (uint64_t)(uintptr_t)h;
	z->inuse++;
	VM_BUG_ON(z->inuse > z->nr_slots);	/* inuse equals live slots */
	if (z->freelist == ZS_NONE) {
		/* full zspages go to the tail: allocation looks at the head first */
		list_move_tail(&z->list, &pool->classes[idx]);
	}
	h->zspage = z;
	h->slot = slot;
	h->size = (unsigned int)size;
	pool->st.objects++;
	pool->st.bytes += size;
	spin_unlock_irqrestore(&pool->lock, irq);
	return (unsigned long)h;
}

void zs_free(struct zs_pool *pool, unsigned long handle)
{
	struct zs_handle *h = (struct zs_handle *)handle;
	struct zspage *z;
	unsigned long irq;
	bool empty;

	if (!handle)
		return;
	spin_lock_irqsave(&pool->lock, irq);
	z = h->zspage;
	VM_BUG_ON(*slot_hdr(z, h->slot) != (uint64_t)(uintptr_t)h || !z->inuse);
	z->inuse--;
	/* the last object: the page is released, its free chain is not needed */
	if (z->inuse) {
		*slot_hdr(z, h->slot) = z->freelist;
		z->freelist = h->slot;
	}
	pool->st.objects--;
	pool->st.bytes -= h->size;
	empty = z->inuse == 0;
	if (empty) {
		z->dying = true;
		if (!z->isolated)
			list_del_init(&z->list);
		pool->st.pages--;
	} else if (!z->isolated) {
		list_move(&z->list, &pool->classes[z->class_idx]);
	}
	spin_unlock_irqrestore(&pool->lock, irq);
	kfree(h);
	if (empty)
		zspage_release(z);
}

void *zs_map_object(struct zs_pool *pool, unsigned long handle)
{
	struct zs_handle *h = (struct zs_handle *)handle;
	unsigned long irq;
	void *p;

	spin_lock_irqsave(&pool->lock, irq);
	h->zspage->mapped++;
	p = (char *)slot_hdr(h->zspage, h->slot) + ZS_HDR;
	spin_unlock_irqrestore(&pool->lock, irq);
	return p;
}

void zs_unmap_object(struct zs_pool *pool, unsigned long handle)
{
	struct zs_handle *h = (struct zs_handle *)handle;
	unsigned long irq;

	spin_lock_irqsave(&pool->lock, irq);
	VM_BUG_ON(!h->zspage->mapped);
	h->zspage->mapped--;
	spin_unlock_irqrestore(&pool->lock, irq);
}

size_t zs_object_size(struct zs_pool *pool, unsigned long handle)
{
	return ((struct zs_handle *)handle)->size;
}

void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st)
{
	unsigned long irq;

	spin_lock_irqsave(&pool->lock, irq);
	*st = pool->st;
	spin_unlock_irqrestore(&pool->lock, irq);
}

void zs_destroy_pool(struct zs_pool *pool)
{
	unsigned long irq;

	if (!pool)
		return;
	/* free every live object by walking the slots of each zspage */
	for (int i = 0; i < ZS_NR_CLASSES; i++) {
		for (;;) {
			struct zspage *z;
			unsigned long handle = 0;

			spin_lock_irqsave(&pool->lock, irq);
			if (list_empty(&pool->classes[i])) {
				spin_unlock_irqrestore(&pool->lock, irq);
				break;
			}
			z = list_first_entry(&pool->classes[i], struct zspage, list);
			for (unsigned int s = 0; s < z->nr_slots && !handle; s++) {
				uint64_t v = *slot_hdr(z, s);

				if (v > 0xffffffffULL)
					handle = (unsigned long)v;
			}
			spin_unlock_irqrestore(&pool->lock, irq);
			BUG_ON(!handle);
			zs_free(pool, handle);
		}
	}
	if (pool->st.pages)
		pr_warn("zsmalloc: pool %s destroyed with %lu isolated pages\n",
			pool->name, pool->st.pages);
	else
		kfree(pool);
}
