/*
 * ballast/store.h - movable application memory: a handle-based object store.
 *
 * Objects live in pages the kernel may move (zsmalloc beneath: movable
 * pages per seed 004), so compaction, balloon page migration and, later,
 * memory unplug move the data under the application, which never holds an
 * address for long: it holds a handle, and maps the object to read or
 * write it.
 *
 *   store_alloc(size)   a handle (0 if no memory), 1..STORE_MAX_SIZE bytes;
 *                       the allocation may run reclaim (shrinkers included)
 *   store_map(h)        the object's address, valid until store_unmap(h);
 *                       the page cannot move while any object on it is mapped,
 *                       so keep maps short (map, copy, unmap)
 *   store_unmap(h)
 *   store_free(h)
 *   store_size(h)       the size it was allocated with
 *   store_stats(&st)    pages held, objects, bytes, pages migrated so far
 */
#ifndef BALLAST_STORE_H
#define BALLAST_STORE_H

#include <stddef.h>

#define STORE_MAX_SIZE 2048

typedef unsigned long store_handle_t;

struct store_stats {
	unsigned long pages, objects, bytes, migrated, migrate_busy;
};

store_handle_t store_alloc(size_t size);
void *store_map(store_handle_t h);
void store_unmap(store_handle_t h);
void store_free(store_handle_t h);
size_t store_size(store_handle_t h);
void store_stats(struct store_stats *st);

#endif
