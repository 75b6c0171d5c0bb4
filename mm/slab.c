/*
 * slab.c - kmalloc: size-class caches carved from order-0/1 pages.
 *
 * Data structures: one struct kmem_cache per size class. A slab is a
 * naturally aligned block of 2^cache->order pages, every page of it of
 * page type Slab with ->slab_cache set, so any object address leads back
 * to the slab's first page (the "slab page"), which holds the slab's state:
 *   ->freelist     first free object; each free object's first word is
 *                  the next free object (NULL ends the list);
 *   ->slab_inuse   objects handed out; ->slab_objects objects in the slab;
 *   ->slab_list    on the cache's partial list (some free) or full list.
 * A free bitmap (bit set = object free; in the slab page's ->private for
 * up to 64 objects, else at the end of the slab memory) makes double frees and frees of never-allocated objects detectable at
 * any time, and lets a corrupted freelist (write after free) be rebuilt.
 *
 * Redzones (CONFIG_DEBUG_VM): objects sit ->stride bytes apart, and the
 * bytes between an object's end and the next object are a redzone filled
 * with SLAB_RED_BYTE when the slab is made. A write past the end of an
 * object lands there instead of in its neighbour; kfree() checks the
 * first SLAB_RED_CHECK bytes of the freed object's redzone, and
 * slab_check_redzones() (mm_check_invariants) those of every object. A
 * damaged redzone is reported with the cache, the object's address and
 * the first bad byte, counted in ->redzone_errors, and repainted. The
 * stride keeps the classes' alignment: the smallest multiple of the
 * object's natural alignment (its largest power-of-two divisor) with 8
 * bytes to spare, so 64-byte objects are 128 apart and 96-byte ones 128.
 * Release builds have no redzone: stride = size.
 *
 * Invariants: inuse + length(freelist) = objects = popcount(bitmap) +
 * inuse; a slab with inuse == 0 counts in nr_empty; at most one empty
 * slab is kept per cache (the next is returned to the page allocator).
 * Requests above 2 KiB get whole pages (page type LargeKmalloc, order in
 * ->private). Locking: cache->lock (irqsave) protects its lists and slab
 * states; pages are allocated and freed with no cache lock held, so it is
 * a leaf in the lock order (docs/locking.md).
 */
#include <mm/slab.h>
#include <mm/page_alloc.h>
#include <mm/fault_inject.h>
#include <mm/vmstat.h>
#include <kernel/printk.h>
#include <string.h>

static const unsigned int kmalloc_sizes[NR_KMALLOC_CACHES] = {
	8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048 };
static const char * const kmalloc_names[NR_KMALLOC_CACHES] = {
	"kmalloc-8", "kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-96",
	"kmalloc-128", "kmalloc-192", "kmalloc-256", "kmalloc-512",
	"kmalloc-1k", "kmalloc-2k" };

struct kmem_cache kmalloc_caches[NR_KMALLOC_CACHES];
static bool slab_ready;

#define SLAB_RED_BYTE	0xbb
#define SLAB_RED_CHECK	16u	/* redzone bytes painted and checked (at most) */
static unsigned long large_pages;	/* pages in large kmallocs */
static unsigned long large_allocs;

/* Distance between objects of @size bytes: @size, or with a redzone (debug). */
static unsigned int slab_stride(unsigned int size)
{
#ifdef CONFIG_DEBUG_VM
	unsigned int align = size & -size;	/* natural alignment */

	return ALIGN_UP(size + 8, align);
#else
	return size;
#endif
}

/* Set up the caches (called by mm_init(); again on first use after a test reset). */
void kmem_cache_init(void)
{
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *c = &kmalloc_caches[i];
		unsigned int bytes, n;

		memset(c, 0, sizeof(*c));
		spin_lock_init(&c->lock);
		c->name = kmalloc_names[i];
		c->size = kmalloc_sizes[i];
		c->order = c->size >= 1024 ? 1 : 0;
		c->stride = slab_stride(c->size);
		bytes = (unsigned int)(PAGE_SIZE << c->order);
		n = bytes / c->stride;
		while (n > 64 && n * c->stride + ALIGN_UP(n, 64) / 8 > bytes)
			n--;
		c->objects = n;
		INIT_LIST_HEAD(&c->partial);
		INIT_LIST_HEAD(&c->full);
	}
	slab_ready = true;
}

/* Cache for a request of @size bytes (1..2048). */
static struct kmem_cache *size_to_cache(size_t size)
{
	if (!slab_ready)
		kmem_cache_init();
	for (int i = 0; i < NR_KMALLOC_CACHES; i++)
		if (size <= kmalloc_sizes[i])
			return &kmalloc_caches[i];
	return NULL;
}

/*
 * Free bitmap of the slab at @slab: up to 64 objects it is the slab page's
 * ->private word; larger counts use the tail of the slab memory.
 */
static inline uint64_t *slab_bitmap(struct kmem_cache *c, struct page *slab)
{
	if (c->objects <= 64)
		return (uint64_t *)&slab->private;
	return (uint64_t *)((char *)page_address(slab) + (PAGE_SIZE << c->order) -
			    ALIGN_UP(c->objects, 64) / 8);
}

/* Free objects of @slab by its bitmap (the essay's popcount; debug checks only). */
static __unused unsigned int slab_nr_free_bits(struct kmem_cache *c, struct page *slab)
{
	uint64_t *bm = slab_bitmap(c, slab);
	unsigned int n = 0;

	for (unsigned int w = 0; w < ALIGN_UP(c->objects, 64) / 64; w++)
		n += (unsigned int)__builtin_popcountll(bm[w]);
	return n;
}

/* Bytes of @c's redzone that are painted and checked (0 in release builds). */
static inline unsigned int slab_red_len(struct kmem_cache *c)
{
	return MIN(c->stride - c->size, SLAB_RED_CHECK);
}

/* Paint the redzone after object @obj of @c. */
static inline void slab_red_paint(struct kmem_cache *c, void *obj)
{
	if (slab_red_len(c))
		memset((char *)obj + c->size, SLAB_RED_BYTE, slab_red_len(c));
}

/*
 * Check the redzone after object @obj of @c; on damage report the cache,
 * the object and the first bad byte, count it and repaint. True if intact.
 */
static bool slab_red_check(struct kmem_cache *c, const void *obj)
{
	const unsigned char *rz = (const unsigned char *)obj + c->size;

	for (unsigned int i = 0; i < slab_red_len(c); i++) {
		if (likely(rz[i] == SLAB_RED_BYTE))
			continue;
		__atomic_fetch_add(&c->redzone_errors, 1, __ATOMIC_RELAXED);
		pr_err("kmalloc: %s object %p: redzone overwritten at +%u (0x%02x, not 0x%02x): "
		       "a write past the end of the %u-byte object\n",
		       c->name, obj, c->size + i, rz[i], SLAB_RED_BYTE, c->size);
		slab_red_paint(c, (void *)obj);
		return false;
	}
	return true;
}

/* Allocate and format a new slab for @c; NULL on failure. No lock held. */
static struct page *new_slab(struct kmem_cache *c, gfp_t gfp)
{
	struct page *slab;
	uint64_t *bm;
	char *base;

	if (unlikely(fail_page_alloc.mode != FAIL_OFF) &&
	    should_fail_alloc(FAIL_SITE_SLAB, gfp, c->order))
		return NULL;
	slab = alloc_pages((gfp & ~(__GFP_ZERO | GFP_MOVABLE_MASK)), c->order);
	if (!slab)
		return NULL;
	for (unsigned int i = 0; i < (1u << c->order); i++) {
		__SetPageSlab(slab + i);
		slab[i].slab_cache = c;
		slab[i].private = 0;
	}
	base = page_address(slab);
	bm = slab_bitmap(c, slab);
	memset(bm, 0, ALIGN_UP(c->objects, 64) / 8);
	for (unsigned int i = 0; i < c->objects; i++) {
		*(void **)(base + i * c->stride) = i + 1 < c->objects ? base + (i + 1) * c->stride : NULL;
		bm[i / 64] |= 1ULL << (i % 64);
		slab_red_paint(c, base + i * c->stride);
	}
	slab->freelist = base;
	slab->slab_inuse = 0;
	slab->slab_objects = (uint16_t)c->objects;
	count_vm_event(SLAB_NEW);
	return slab;
}

/* Undo new_slab() and return the pages. No lock held; slab off all lists. */
static void discard_slab(struct kmem_cache *c, struct page *slab)
{
	for (unsigned int i = 0; i < (1u << c->order); i++) {
		__ClearPageSlab(slab + i);
		slab[i].slab_cache = NULL;
		slab[i].private = 0;
	}
	slab->freelist = NULL;
	slab->slab_inuse = slab->slab_objects = 0;
	count_vm_event(SLAB_FREE);
	__free_pages(slab, c->order);
}

/* Rebuild @slab's freelist from its bitmap after finding it corrupted (lock held). */
static void slab_rebuild_freelist(struct kmem_cache *c, struct page *slab)
{
	uint64_t *bm = slab_bitmap(c, slab);
	char *base = page_address(slab);
	void *head = NULL;

	for (int i = (int)c->objects - 1; i >= 0; i--)
		if (bm[i / 64] & (1ULL << (i % 64))) {
			*(void **)(base + i * c->stride) = head;
			head = base + i * c->stride;
		}
	slab->freelist = head;
}

/* Is @p a plausible free object of @slab (inside, aligned, marked free)? */
static bool slab_obj_free_ok(struct kmem_cache *c, struct page *slab, void *p)
{
	char *base = page_address(slab);
	uintptr_t off = (uintptr_t)p - (uintptr_t)base;

	if ((uintptr_t)p < (uintptr_t)base || off % c->stride || off / c->stride >= c->objects)
		return false;
	return slab_bitmap(c, slab)[off / c->stride / 64] & (1ULL << ((off / c->stride) % 64));
}

/* Take one object from @c's first partial slab (lock held); NULL if none. */
static void *slab_take(struct kmem_cache *c)
{
	struct page *slab;
	void *obj, *next;
	unsigned int idx;

	if (list_empty(&c->partial))
		return NULL;
	slab = list_first_entry(&c->partial, struct page, slab_list);
	obj = slab->freelist;
	if (unlikely(!obj || !slab_obj_free_ok(c, slab, obj))) {
		pr_err("kmalloc: %s slab %#lx: freelist corrupted (write after free?); rebuilt\n",
		       c->name, page_to_pfn(slab));
		slab_rebuild_freelist(c, slab);
		obj = slab->freelist;
		if (!obj) {	/* the bitmap itself is damaged: retire the slab */
			list_move(&slab->slab_list, &c->full);
			return NULL;
		}
	}
	next = *(void **)obj;
	if (unlikely(next && !slab_obj_free_ok(c, slab, next))) {
		pr_err("kmalloc: %s object %p: free pointer corrupted (write after free?); freelist rebuilt\n",
		       c->name, obj);
		slab_rebuild_freelist(c, slab);
		obj = slab->freelist;
		next = *(void **)obj;
	}
	idx = (unsigned int)(((char *)obj - (char *)page_address(slab)) / c->stride);
	slab_bitmap(c, slab)[idx / 64] &= ~(1ULL << (idx % 64));
	slab->freelist = next;
	if (slab->slab_inuse++ == 0)
		c->nr_empty--;
	if (slab->slab_inuse == slab->slab_objects)
		list_move(&slab->slab_list, &c->full);
	/* inuse + free (bitmap) = objects */
	VM_BUG_ON_PAGE(slab->slab_inuse + slab_nr_free_bits(c, slab) != slab->slab_objects, slab);
	c->active_objs++;
	c->allocs++;
	return obj;
}

/* kmalloc() above KMALLOC_MAX_CACHE_SIZE: whole pages. */
static void *kmalloc_large(size_t size, gfp_t gfp)
{
	unsigned int order = 0;
	struct page *page;

	while ((PAGE_SIZE << order) < size)
		if (++order > MAX_ORDER)
			return NULL;
	if (unlikely(fail_page_alloc.mode != FAIL_OFF) &&
	    should_fail_alloc(FAIL_SITE_KMALLOC_LARGE, gfp, order))
		return NULL;
	page = alloc_pages(gfp & ~GFP_MOVABLE_MASK, order);
	if (!page)
		return NULL;
	__SetPageLargeKmalloc(page);
	page->private = order;
	__atomic_fetch_add(&large_pages, 1UL << order, __ATOMIC_RELAXED);
	__atomic_fetch_add(&large_allocs, 1, __ATOMIC_RELAXED);
	return page_address(page);
}

void *kmalloc(size_t size, gfp_t gfp)
{
	struct kmem_cache *c;
	unsigned long flags;
	void *obj;

	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(size, gfp);
	c = size_to_cache(size ? size : 1);
	spin_lock_irqsave(&c->lock, flags);
	obj = slab_take(c);
	if (!obj) {
		struct page *slab;

		spin_unlock_irqrestore(&c->lock, flags);
		slab = new_slab(c, gfp);
		spin_lock_irqsave(&c->lock, flags);
		if (!slab) {
			c->alloc_fail++;
			spin_unlock_irqrestore(&c->lock, flags);
			return NULL;
		}
		list_add(&slab->slab_list, &c->partial);
		c->nr_slabs++;
		c->nr_empty++;
		obj = slab_take(c);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	if (gfp & __GFP_ZERO)
		memset(obj, 0, c->size);
	return obj;
}

void *kzalloc(size_t size, gfp_t gfp)
{
	return kmalloc(size, gfp | __GFP_ZERO);
}

void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return kmalloc(n * size, gfp | __GFP_ZERO);
}

/* Report a bad kfree()/krealloc() of @p and why. */
static void kfree_bad(const void *p, const char *why, struct page *page)
{
	count_vm_event(KMALLOC_BAD_FREE);
	pr_err("kfree: bad pointer %p: %s\n", p, why);
	if (page)
		dump_page(page, why);
}

/* The slab page (first page) of the slab holding @page, or NULL if not a slab page. */
static struct page *page_slab(struct page *page)
{
	struct kmem_cache *c;
	struct page *head;

	if (!PageSlab(page))
		return NULL;
	c = page->slab_cache;
	if (c < kmalloc_caches || c >= kmalloc_caches + NR_KMALLOC_CACHES)
		return NULL;
	/* slabs are naturally aligned blocks */
	head = pfn_to_page(page_to_pfn(page) & ~((1UL << c->order) - 1));
	return PageSlab(head) && head->slab_cache == c ? head : NULL;
}

void kfree(const void *p)
{
	struct page *page, *slab;
	struct kmem_cache *c;
	unsigned long flags, off, idx;
	uint64_t *bm;
	struct page *discard = NULL;

	if (!p)
		return;
	if (!virt_addr_valid(p)) {
		kfree_bad(p, "not a direct-map address", NULL);
		return;
	}
	page = virt_to_page(p);
	if (PageLargeKmalloc(page)) {
		unsigned int order = (unsigned int)page->private;

		if (p != page_address(page)) {
			kfree_bad(p, "points inside a large kmalloc", page);
			return;
		}
		__ClearPageLargeKmalloc(page);
		page->private = 0;
		__atomic_fetch_sub(&large_pages, 1UL << order, __ATOMIC_RELAXED);
		__free_pages(page, order);
		return;
	}
	slab = page_slab(page);
	if (!slab) {
		kfree_bad(p, PageBuddy(page) || page_ref_count(page) == 0 ?
			  "page is free (double free of a large kmalloc?)" :
			  "not a kmalloc address", page);
		return;
	}
	c = slab->slab_cache;
	off = (unsigned long)((const char *)p - (const char *)page_address(slab));
	idx = off / c->stride;
	if (off % c->stride || idx >= c->objects) {
		kfree_bad(p, "not the start of an object", slab);
		return;
	}
	spin_lock_irqsave(&c->lock, flags);
	bm = slab_bitmap(c, slab);
	if (bm[idx / 64] & (1ULL << (idx % 64))) {
		c->bad_frees++;
		spin_unlock_irqrestore(&c->lock, flags);
		kfree_bad(p, "double free (object already free)", NULL);
		return;
	}
#ifdef CONFIG_DEBUG_VM
	slab_red_check(c, p);	/* reported and repainted; the free goes on */
#endif
	VM_BUG_ON_PAGE(!slab->slab_inuse, slab);	/* an object in use: inuse > 0 */
	bm[idx / 64] |= 1ULL << (idx % 64);
	*(void **)p = slab->freelist;
	slab->freelist = (void *)p;
	if (slab->slab_inuse-- == slab->slab_objects)
		list_move(&slab->slab_list, &c->partial);
	c->active_objs--;
	c->frees++;
	if (slab->slab_inuse == 0) {
		if (++c->nr_empty > 1) {
			list_del(&slab->slab_list);
			c->nr_empty--;
			c->nr_slabs--;
			discard = slab;
		}
	}
	VM_BUG_ON_PAGE(slab->slab_inuse + slab_nr_free_bits(c, slab) != slab->slab_objects, slab);
	VM_BUG_ON(c->nr_empty > 1);	/* at most one empty slab kept per cache */
	spin_unlock_irqrestore(&c->lock, flags);
	if (discard)
		discard_slab(c, discard);
}

size_t kmalloc_usable_size(const void *p)
{
	struct page *page, *slab;
	struct kmem_cache *c;
	unsigned long off;

	if (!p || !virt_addr_valid(p))
		return 0;
	page = virt_to_page(p);
	if (PageLargeKmalloc(page))
		return p == page_address(page) ? PAGE_SIZE << page->private : 0;
	slab = page_slab(page);
	if (!slab)
		return 0;
	c = slab->slab_cache;
	off = (unsigned long)((const char *)p - (const char *)page_address(slab));
	if (off % c->stride || off / c->stride >= c->objects)
		return 0;		/* not the start of an object */
	if (slab_bitmap(c, slab)[off / c->stride / 64] & (1ULL << ((off / c->stride) % 64)))
		return 0;		/* a free object */
	return c->size;
}

void *krealloc(void *p, size_t size, gfp_t gfp)
{
	size_t have;
	void *n;

	if (!p)
		return kmalloc(size, gfp);
	if (!size) {
		kfree(p);
		return NULL;
	}
	have = kmalloc_usable_size(p);
	if (!have) {
		kfree_bad(p, "krealloc of a pointer kmalloc did not return", NULL);
		return NULL;
	}
	if (size <= have)
		return p;
	n = kmalloc(size, gfp & ~__GFP_ZERO);
	if (!n)
		return NULL;
	memcpy(n, p, have);
	if (gfp & __GFP_ZERO)
		memset((char *)n + have, 0, size - have);
	kfree(p);
	return n;
}

unsigned long kmem_cache_shrink_all(void)
{
	unsigned long pages = 0;

	if (!slab_ready)
		return 0;
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *c = &kmalloc_caches[i];

		for (;;) {
			struct page *slab = NULL, *s;
			unsigned long flags;

			spin_lock_irqsave(&c->lock, flags);
			list_for_each_entry(s, &c->partial, slab_list)
				if (s->slab_inuse == 0) {
					slab = s;
					break;
				}
			if (slab) {
				list_del(&slab->slab_list);
				c->nr_empty--;
				c->nr_slabs--;
			}
			spin_unlock_irqrestore(&c->lock, flags);
			if (!slab)
				break;
			discard_slab(c, slab);
			pages += 1UL << c->order;
		}
	}
	return pages;
}

/* slab_red_check() every object of the slabs on @head (c->lock held); damaged ones. */
static unsigned long slab_check_list(struct kmem_cache *c, struct list_head *head)
{
	unsigned long bad = 0;
	struct page *slab;

	list_for_each_entry(slab, head, slab_list)
		for (unsigned int i = 0; i < c->objects; i++)
			bad += !slab_red_check(c, (char *)page_address(slab) + i * c->stride);
	return bad;
}

unsigned long slab_check_redzones(void)
{
	unsigned long bad = 0;

	if (!slab_ready)
		return 0;
	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *c = &kmalloc_caches[i];
		unsigned long flags;

		if (!slab_red_len(c))
			continue;
		spin_lock_irqsave(&c->lock, flags);
		bad += slab_check_list(c, &c->partial) + slab_check_list(c, &c->full);
		spin_unlock_irqrestore(&c->lock, flags);
	}
	return bad;
}

unsigned long slab_pages(void)
{
	unsigned long n = 0;

	if (!slab_ready)
		return 0;
	for (int i = 0; i < NR_KMALLOC_CACHES; i++)
		n += READ_ONCE(kmalloc_caches[i].nr_slabs) << kmalloc_caches[i].order;
	return n;
}

unsigned long kmalloc_large_pages(void)
{
	return READ_ONCE(large_pages);
}

void show_slabinfo(void)
{
	if (!slab_ready)
		kmem_cache_init();
	printk("slabinfo - version: 2.1\n");
	printk("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	for (int i = NR_KMALLOC_CACHES - 1; i >= 0; i--) {
		struct kmem_cache *c = &kmalloc_caches[i];

		printk("%-17s %6lu %6lu %6u %4u %4u : tunables %4u %4u %4u : slabdata %6lu %6lu %6u\n",
		       c->name, c->active_objs, c->nr_slabs * c->objects, c->size, c->objects,
		       1u << c->order, 0u, 0u, 0u, c->nr_slabs - c->nr_empty, c->nr_slabs, 0u);
	}
	printk("# ballast: name allocs frees alloc_fail bad_frees redzone_errors stride\n");
	for (int i = NR_KMALLOC_CACHES - 1; i >= 0; i--) {
		struct kmem_cache *c = &kmalloc_caches[i];

		printk("# %-15s %lu %lu %lu %lu %lu %u\n", c->name, c->allocs, c->frees,
		       c->alloc_fail, c->bad_frees, c->redzone_errors, c->stride);
	}
	printk("# kmalloc-large: %lu allocations, %lu pages in use\n", large_allocs, large_pages);
}

void slab_reset(void)
{
	slab_ready = false;
	large_pages = large_allocs = 0;
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
}
