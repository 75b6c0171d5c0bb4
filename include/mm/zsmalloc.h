/*
 * zsmalloc.h - a handle allocator for many small objects of many sizes,
 * packed into pages that are registered movable (seed 004's second user;
 * docs/references.md).
 *
 *   zs_create_pool(name)            a pool; NULL on no memory
 *   zs_malloc(pool, size, gfp)      a handle (0 on failure), 1..ZS_MAX_ALLOC_SIZE bytes
 *   zs_map_object(pool, h)          the object's current address; the page
 *                                   cannot migrate until zs_unmap_object()
 *   zs_unmap_object(pool, h)
 *   zs_free(pool, h)
 *   zs_destroy_pool(pool)           frees every object and page
 *   zs_compact(pool)                (no-op: pages move through compaction)
 * Handles stay valid across migration: they name an indirection slot, not
 * an address.
 */
#ifndef MM_ZSMALLOC_H
#define MM_ZSMALLOC_H

#include <kernel/compiler.h>
#include <mm/gfp.h>

#define ZS_MAX_ALLOC_SIZE	2048

struct zs_pool;

struct zs_pool_stats {
	unsigned long pages;		/* backing pages held */
	unsigned long objects;		/* live objects */
	unsigned long bytes;		/* bytes requested by live objects */
	unsigned long migrated;		/* backing pages migrated */
	unsigned long migrate_busy;	/* migrations refused with -EAGAIN (mapped) */
};

struct zs_pool *zs_create_pool(const char *name);
void zs_destroy_pool(struct zs_pool *pool);
unsigned long zs_malloc(struct zs_pool *pool, size_t size, gfp_t gfp);
void zs_free(struct zs_pool *pool, unsigned long handle);
void *zs_map_object(struct zs_pool *pool, unsigned long handle);
void zs_unmap_object(struct zs_pool *pool, unsigned long handle);
/* Size the object was allocated with. */
size_t zs_object_size(struct zs_pool *pool, unsigned long handle);
void zs_pool_stats(struct zs_pool *pool, struct zs_pool_stats *st);

#ifdef HOST_BUILD
struct page;
/*
 * Host tests only: if set, zs_malloc() calls it with a new zspage's page
 * after creating the zspage and before putting it on its class list, so a
 * test can run "the other CPU" (an isolator) in that window.
 */
extern void (*zs_test_new_zspage_hook)(struct page *page);
#endif

#endif
