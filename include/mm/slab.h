/*
 * slab.h - kmalloc: small objects carved from slabs of order-0/1 pages.
 *
 * Size classes 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048 bytes;
 * larger requests are whole pages from alloc_pages() (PageLargeKmalloc).
 * Slab pages have page type Slab (kpageflags SLAB). kfree() of a pointer
 * that kmalloc did not return, or of one already freed, is reported and
 * ignored (counted in kmalloc_bad_free), never corrupting. Debug builds
 * put a redzone after each object and report writes past its end
 * (mm/slab.c).
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include <kernel/compiler.h>
#include <kernel/list.h>
#include <arch/spinlock.h>
#include <mm/gfp.h>

#define KMALLOC_MIN_SIZE	8
#define KMALLOC_MAX_CACHE_SIZE	2048
#define NR_KMALLOC_CACHES	11

struct kmem_cache {
	spinlock_t lock;
	const char *name;
	unsigned int size;		/* object size */
	unsigned int stride;		/* object to object: size + redzone (debug) */
	unsigned int order;		/* slab page order */
	unsigned int objects;		/* objects per slab */
	struct list_head partial;	/* slabs with free objects (incl. empty ones) */
	struct list_head full;		/* slabs with none */
	unsigned long nr_slabs;		/* slabs owned */
	unsigned long nr_empty;		/* slabs with no object in use */
	unsigned long active_objs;	/* objects in use */
	unsigned long allocs, frees, alloc_fail, bad_frees;
	unsigned long redzone_errors;	/* writes past an object's end found */
};

extern struct kmem_cache kmalloc_caches[NR_KMALLOC_CACHES];

/* Set up the kmalloc caches; mm_init() calls it. */
void kmem_cache_init(void);

/*
 * Allocate @size bytes (0 gives a valid 8-byte object). Objects of 16
 * bytes and more are 16-byte aligned (power-of-two classes are aligned to
 * their size, 96/192 to 32/64); sizes above 2 KiB are page aligned.
 */
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
void *kcalloc(size_t n, size_t size, gfp_t gfp);
/* Resize; krealloc(NULL, n) = kmalloc; krealloc(p, 0) frees p and returns NULL. */
void *krealloc(void *p, size_t size, gfp_t gfp);
/* Free; NULL is ignored; bad pointers and double frees are reported, not acted on. */
void kfree(const void *p);
/* Usable bytes behind @p (its size class or whole pages); 0 for NULL/bad pointers. */
size_t kmalloc_usable_size(const void *p);

/* Return every completely empty slab's pages to the page allocator; returns pages freed. */
unsigned long kmem_cache_shrink_all(void);

/*
 * Debug builds: check the redzone after every object of every slab (a
 * write past an object's end); each damaged one is reported (cache, object
 * address, first bad byte) and repainted. Returns how many; 0 in release.
 */
unsigned long slab_check_redzones(void);

/* Number of pages currently backing slabs. */
unsigned long slab_pages(void);
/* Pages currently handed out for large kmalloc()s. */
unsigned long kmalloc_large_pages(void);

/* Print the slabinfo table (see show_slabinfo in <mm/mm_show.h>). */

#endif
