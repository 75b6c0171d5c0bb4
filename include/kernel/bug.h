/*
 * bug.h - panic and the two assertion levels.
 *
 *   BUG_ON(cond)        always on: a broken invariant stops the kernel.
 *   WARN_ON(cond)       always on: reports once per call site, returns cond.
 *   VM_BUG_ON(cond)     debug builds (CONFIG_DEBUG_VM) only; otherwise the
 *                       condition is type-checked but never evaluated.
 *   BUILD_BUG_ON(cond)  compile-time.
 *
 * panic() is provided by the kernel (kernel/panic.c) and by the host
 * harness (tests/host/support), so mm/ code uses it unchanged.
 */
#ifndef KERNEL_BUG_H
#define KERNEL_BUG_H

#include <kernel/compiler.h>

__noreturn __printf(1, 2) void panic(const char *fmt, ...);
void warn_report(const char *file, int line, const char *cond);

#define BUG_ON(cond) do { \
	if (unlikely(cond)) \
		panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
} while (0)

#define BUG() panic("BUG at %s:%d", __FILE__, __LINE__)

#define WARN_ON(cond) ({ \
	bool __w = !!(cond); \
	if (unlikely(__w)) warn_report(__FILE__, __LINE__, #cond); \
	__w; })

#define BUILD_BUG_ON(cond) _Static_assert(!(cond), #cond)

#ifdef CONFIG_DEBUG_VM
#define VM_BUG_ON(cond) BUG_ON(cond)
#define VM_WARN_ON(cond) WARN_ON(cond)
#else
#define VM_BUG_ON(cond) do { if (0) { (void)(cond); } } while (0)
#define VM_WARN_ON(cond) ({ if (0) { (void)(cond); } false; })
#endif

#endif
