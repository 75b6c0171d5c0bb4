/*
 * lockdep.h - the lock checker (lib/lockdep.c), a small lockdep.
 *
 * Every lock belongs to a class: the locks that play the same role (every
 * zone's lock, every balloon device's pages_lock) share one. A class is
 * named by a key, the address of a static object: spin_lock_init(l) puts
 * one at its call site and names the class after its argument
 * ("&zone->lock"); DEFINE_SPINLOCK(x) uses the lock's own address (a lock
 * defined once is its own class). spin_lock_nested(l, n) takes a lock as
 * subclass n of its class, for the rare code that holds two locks of one
 * class in a fixed order.
 *
 * With CONFIG_LOCKDEP (debug builds: DEBUG=1 and the host harness) every
 * acquisition goes through lock_acquire() with its file and line, and the
 * checker keeps, per CPU, the stack of held locks and, globally, the
 * order edges "class A was held when class B was taken" as they first
 * happen. It reports (lockdep_report_kind): an acquisition that closes a
 * cycle in the order graph (an inversion), a class taken both in
 * interrupt context and with interrupts enabled, taking a lock this CPU
 * already holds (or another lock of a held class without a nesting
 * annotation), and releasing a lock this CPU does not hold. Without
 * CONFIG_LOCKDEP none of this exists: spinlock_t is one word and the lock
 * calls are the bare atomics.
 *
 * Report policy: an in-kernel test boot (ktest= or bench= on the command
 * line, kernel_test_mode) panics on the first report; any other debug
 * build prints the report, counts it, and goes on (the `lockdep` shell
 * command shows the count). docs/locking.md has the whole design and the
 * lock order the recorded edges must agree with.
 */
#ifndef KERNEL_LOCKDEP_H
#define KERNEL_LOCKDEP_H

#include <kernel/compiler.h>

/* Its address names a lock class; define it static. */
struct lock_class_key {
	char unused;
};

/* What a lock instance carries for the checker. */
struct lockdep_map {
	const char *name;
	const struct lock_class_key *key;	/* NULL: the map's own address */
	unsigned short class_idx;		/* subclass 0's class + 1, 0 = not looked up */
};

#define LOCKDEP_MAP_INIT(n) { .name = (n), .key = NULL, .class_idx = 0 }

/* Bounds of the checker's tables (lib/lockdep.c says what happens when one fills). */
#define LOCKDEP_MAX_CLASSES	64	/* one 64-bit row of the order matrix each */
#define LOCKDEP_MAX_EDGES	256
#define LOCKDEP_MAX_DEPTH	24	/* held locks per CPU */
#define LOCKDEP_MAX_SUBCLASSES	8

enum lockdep_report_kind {
	LOCKDEP_INVERSION,	/* lock order cycle */
	LOCKDEP_IRQ_UNSAFE,	/* taken in irq context and with irqs enabled */
	LOCKDEP_RECURSION,	/* this CPU already holds this very lock */
	LOCKDEP_RECURSIVE_CLASS,/* another lock of a held class, not annotated */
	LOCKDEP_BAD_UNLOCK,	/* release of a lock this CPU does not hold */
	LOCKDEP_NR_KINDS
};

/* Where a lock was taken (or released): source file and line. */
struct lockdep_site {
	const char *file;
	int line;
};

/*
 * The last report, for tests: its kind, the two classes involved (for an
 * inversion: the lock being taken and the held one it conflicts with), the
 * sites of the new edge (held lock's acquisition, this acquisition) and of
 * the recorded edge(s) it contradicts (first and last edge of the path).
 */
struct lockdep_report {
	enum lockdep_report_kind kind;
	unsigned int cpu;
	const char *class_name[2];
	struct lockdep_site site[4];
};

struct lockdep_stats {
	unsigned int classes, edges;
	unsigned long acquisitions;
	unsigned long reports;			/* all reports, expected ones excluded */
	unsigned long by_kind[LOCKDEP_NR_KINDS];
	unsigned long expected;			/* reports inside lockdep_expect_begin/end */
	unsigned long unordered_unlocks;	/* released below the top: allowed, counted */
	bool armed;				/* false: compiled out, or a table filled */
	const char *disarmed_why;
};

#ifdef CONFIG_LOCKDEP
void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key);
void lock_acquire(struct lockdep_map *map, const void *instance, unsigned int subclass,
		  bool trylock, const char *file, int line);
void lock_release(struct lockdep_map *map, const void *instance, const char *file, int line);
/* Interrupts were just re-enabled (an irqrestore) at file:line, locks may be held. */
void lockdep_hardirqs_on(const char *file, int line);
#endif

/* The counters and state; valid (armed false) without CONFIG_LOCKDEP too. */
void lockdep_get_stats(struct lockdep_stats *st);
/* Print classes (with irq usage), order edges with their sites, counts, held locks. */
void lockdep_print_state(void);
/* The last report's details; false if there has been none. */
bool lockdep_last_report(struct lockdep_report *r);
/* The text of the last report as printed. */
const char *lockdep_last_report_text(void);
/*
 * Self-tests: reports between begin and end are counted as expected (not in
 * reports) and never panic. Returns the expected count so far.
 */
void lockdep_expect_begin(void);
unsigned long lockdep_expect_end(void);
/* Host harness: forget this thread's held locks (a test that longjmp'd out); returns how many. */
unsigned int lockdep_reset_held(void);

#endif
