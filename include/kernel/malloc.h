/*
 * malloc.h - where newlib's malloc gets its memory. Until mm registers a
 * backend, a static early arena serves it (free is a no-op there).
 */
#ifndef KERNEL_MALLOC_H
#define KERNEL_MALLOC_H

#include <stddef.h>

struct malloc_backend {
	void *(*alloc)(size_t n);
	void (*free)(void *p);
	void *(*realloc)(void *p, size_t n);
};

void malloc_set_backend(const struct malloc_backend *b);

#endif
