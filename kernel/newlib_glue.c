/*
 * newlib_glue.c - what newlib needs from the kernel: the system calls
 * (output to the serial console, no files, no processes) and malloc.
 *
 * malloc: until the page allocator is up, newlib's allocations (its
 * printf may allocate for %f conversions) come from a small static arena,
 * where free() is a no-op. mm registers the real allocator with
 * malloc_set_backend(); from then on malloc/free/realloc/calloc use it, and
 * free() of an arena pointer is recognised and ignored.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/malloc.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <errno.h>
#include <reent.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <kernel/bug.h>

#define ARENA_SIZE (256 * 1024)

static uint8_t arena[ARENA_SIZE] __aligned(16);
static size_t arena_used;
static uint64_t arena_allocs;
static const struct malloc_backend *backend;

struct arena_hdr { size_t size; size_t pad; };

/* Switch malloc to @b (kmalloc and friends); NULL returns to the arena. */
void malloc_set_backend(const struct malloc_backend *b) { backend = b; }

static bool in_arena(const void *p)
{
	return (const uint8_t *)p >= arena && (const uint8_t *)p < arena + ARENA_SIZE;
}

static void *arena_alloc(size_t n)
{
	unsigned long f = local_irq_save();
	size_t need = ALIGN_UP(n, 16) + sizeof(struct arena_hdr);
	void *p = NULL;
	if (n <= ARENA_SIZE && arena_used + need <= ARENA_SIZE) {
		struct arena_hdr *h = (struct arena_hdr *)(arena + arena_used);
		h->size = n;
		arena_used += need;
		arena_allocs++;
		p = h + 1;
	}
	local_irq_restore(f);
	return p;
}

void *malloc(size_t n)
{
	if (backend)
		return backend->alloc(n);
	return arena_alloc(n);
}

void free(void *p)
{
	if (!p || in_arena(p))
		return;
	if (backend)
		backend->free(p);
	else
		pr_err("free(%p): pointer not from any allocator\n", p);
}

void *calloc(size_t a, size_t b)
{
	size_t n;
	if (__builtin_mul_overflow(a, b, &n))
		return NULL;
	void *p = malloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	if (!in_arena(p) && backend)
		return backend->realloc(p, n);
	size_t old = in_arena(p) ? ((struct arena_hdr *)p - 1)->size : 0;
	void *q = malloc(n);
	if (q && p)
		memcpy(q, p, MIN(old, n));
	free(p);
	return q;
}

void *_malloc_r(struct _reent *r, size_t n) { return malloc(n); }
void _free_r(struct _reent *r, void *p) { free(p); }
void *_calloc_r(struct _reent *r, size_t a, size_t b) { return calloc(a, b); }
void *_realloc_r(struct _reent *r, void *p, size_t n) { return realloc(p, n); }

void early_malloc_report(void)
{
	printk("early malloc arena: %zu of %u bytes used by %lu allocations\n",
	       arena_used, ARENA_SIZE, arena_allocs);
}

/* ---- system calls: a console and nothing else ---- */

int write(int fd, const void *buf, size_t n)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_emit(buf, n);
	return (int)n;
}

int read(int fd, void *buf, size_t n) { errno = EAGAIN; return -1; }
int close(int fd) { errno = EBADF; return -1; }
off_t lseek(int fd, off_t off, int whence) { errno = ESPIPE; return -1; }
int isatty(int fd) { return fd <= 2; }
int fstat(int fd, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFCHR;
	return 0;
}
pid_t getpid(void) { return 1; }
int kill(pid_t pid, int sig) { errno = EINVAL; return -1; }
void *sbrk(ptrdiff_t incr) { errno = ENOMEM; return (void *)-1; }
void _exit(int status) { kernel_fatal("newlib _exit() called"); }

/* newlib's assert() lands here. */
void __assert_func(const char *file, int line, const char *fn, const char *expr)
{
	panic("assertion \"%s\" failed at %s:%d (%s)", expr, file, line, fn ? fn : "?");
}
