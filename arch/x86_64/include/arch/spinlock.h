/*
 * arch/spinlock.h (x86_64 kernel) - test-and-test-and-set spinlocks.
 * spin_lock_irqsave() disables interrupts first, so a lock taken from an
 * interrupt handler never deadlocks against the code it interrupted.
 *
 * Two layers. arch_spinlock_t is the bare lock word and its atomics (the
 * lock checker's own lock uses it directly). spinlock_t wraps it; with
 * CONFIG_LOCKDEP it also carries a lockdep_map and every spin_* call is a
 * macro that hands the checker its file and line (<kernel/lockdep.h>).
 * Without CONFIG_LOCKDEP (release builds) spinlock_t is the one word and
 * the macros compile to the bare atomics.
 *
 * Naming a lock's class: DEFINE_SPINLOCK(x) for a lock defined once (class
 * "x"), spin_lock_init(&obj->lock) for a lock embedded in an object (one
 * class per call site, named "&obj->lock"). SPINLOCK_INIT still works for
 * a static lock but gives an anonymous class; prefer DEFINE_SPINLOCK.
 */
#ifndef ARCH_SPINLOCK_H
#define ARCH_SPINLOCK_H

#include <arch/cpu.h>
#include <kernel/lockdep.h>

typedef struct {
	volatile uint32_t locked;
} arch_spinlock_t;

#define ARCH_SPINLOCK_INIT { 0 }

/* Spin until @l is ours. */
static inline void arch_spin_lock(arch_spinlock_t *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

/* Take @l if it is free; true if taken. */
static inline bool arch_spin_trylock(arch_spinlock_t *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

/* Release @l (release ordering). */
static inline void arch_spin_unlock(arch_spinlock_t *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

typedef struct spinlock {
	arch_spinlock_t raw;
#ifdef CONFIG_LOCKDEP
	struct lockdep_map dep_map;
#endif
} spinlock_t;

static inline bool spin_is_locked(spinlock_t *l) { return __atomic_load_n(&l->raw.locked, __ATOMIC_RELAXED) != 0; }

#ifdef CONFIG_LOCKDEP

#define SPINLOCK_INIT { ARCH_SPINLOCK_INIT, LOCKDEP_MAP_INIT(NULL) }
#define __SPINLOCK_INITIALIZER(x) { ARCH_SPINLOCK_INIT, LOCKDEP_MAP_INIT(#x) }

/* Initialize @l; its class is this call site, named after the argument. */
#define spin_lock_init(l) do { \
	static struct lock_class_key __key; \
	(l)->raw.locked = 0; \
	lockdep_init_map(&(l)->dep_map, #l, &__key); \
} while (0)

/* The same with an explicit class name (for a site that serves several roles). */
#define spin_lock_init_named(l, name) do { \
	static struct lock_class_key __key; \
	(l)->raw.locked = 0; \
	lockdep_init_map(&(l)->dep_map, (name), &__key); \
} while (0)

static inline void __spin_lock(spinlock_t *l, unsigned int sub, const char *file, int line)
{
	lock_acquire(&l->dep_map, l, sub, false, file, line);
	arch_spin_lock(&l->raw);
}

static inline bool __spin_trylock(spinlock_t *l, const char *file, int line)
{
	if (!arch_spin_trylock(&l->raw))
		return false;
	lock_acquire(&l->dep_map, l, 0, true, file, line);
	return true;
}

static inline void __spin_unlock(spinlock_t *l, const char *file, int line)
{
	lock_release(&l->dep_map, l, file, line);
	arch_spin_unlock(&l->raw);
}

#define spin_lock(l)		__spin_lock((l), 0, __FILE__, __LINE__)
#define spin_lock_nested(l, n)	__spin_lock((l), (n), __FILE__, __LINE__)
#define spin_trylock(l)		__spin_trylock((l), __FILE__, __LINE__)
#define spin_unlock(l)		__spin_unlock((l), __FILE__, __LINE__)
#define spin_unlock_irqrestore(l, flags) do { \
	__spin_unlock((l), __FILE__, __LINE__); \
	local_irq_restore(flags); \
	if ((flags) & (1UL << 9)) \
		lockdep_hardirqs_on(__FILE__, __LINE__); \
} while (0)

#else /* !CONFIG_LOCKDEP */

#define SPINLOCK_INIT { ARCH_SPINLOCK_INIT }
#define __SPINLOCK_INITIALIZER(x) { ARCH_SPINLOCK_INIT }

static inline void spin_lock_init(spinlock_t *l) { l->raw.locked = 0; }
#define spin_lock_init_named(l, name) spin_lock_init(l)
static inline void spin_lock(spinlock_t *l) { arch_spin_lock(&l->raw); }
static inline bool spin_trylock(spinlock_t *l) { return arch_spin_trylock(&l->raw); }
static inline void spin_unlock(spinlock_t *l) { arch_spin_unlock(&l->raw); }
#define spin_lock_nested(l, n) spin_lock(l)
#define spin_unlock_irqrestore(l, flags) do { spin_unlock(l); local_irq_restore(flags); } while (0)

#endif /* CONFIG_LOCKDEP */

/* A lock defined once; its class is itself, named @x. */
#define DEFINE_SPINLOCK(x) spinlock_t x = __SPINLOCK_INITIALIZER(x)

#define spin_lock_irqsave(l, flags) do { (flags) = local_irq_save(); spin_lock(l); } while (0)

#endif
