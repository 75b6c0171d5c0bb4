/*
 * shrinker.h - caches that give memory back when memory runs short, and
 * memory-pressure notifications (mm/shrinker.c has the design).
 *
 *   register_shrinker(s)          s->count and s->scan set; 0, -EINVAL, -EBUSY
 *   unregister_shrinker(s)        returns once no CPU will call or touch s
 *                                 any more (interrupts on); s may be freed
 *                                 then, even inside a callback of s's own
 *   shrink_memory(nr, reason)     ask the shrinkers for @nr pages; returns
 *                                 the pages they reported freed (validated)
 *   shrinker_watchdog(now_ns)     from a timer tick: report a scan that has
 *                                 run past its deadline
 *   register_pressure_notifier(n) low / critical / recovered calls
 *   pressure_update(free_pages)   evaluate the level (the allocator's slow
 *                                 path, the shrink path and idle loops call it)
 *
 * Contract of the callbacks (a shrinker that breaks it is reported and,
 * after SHRINKER_MAX_ERRORS reports, disabled):
 *   count(s)      pages the cache could free now; >= 0. 0 = skip me.
 *   scan(s, nr)   free up to @nr pages; return the pages freed (0..nr), or
 *                 SHRINK_STOP when it cannot work now (e.g. the cache is in
 *                 the middle of an update). It must return: it runs with
 *                 no preemption, so the watchdog can only report it.
 * Both may be called from the allocation slow path of any allocation that
 * may reclaim (GFP_KERNEL), including one the cache itself made: a cache
 * whose structures are mid-update returns SHRINK_STOP.
 */
#ifndef MM_SHRINKER_H
#define MM_SHRINKER_H

#include <kernel/compiler.h>
#include <kernel/list.h>

#define SHRINK_STOP		(-1L)
#define SHRINKER_MAX_ERRORS	3	/* reports before a shrinker is disabled */
#define SHRINK_BATCH_MAX	1024ul	/* pages asked of one scan call */
#define SHRINKER_DEADLINE_MS	1000	/* a scan this long is reported */

enum shrink_reason {
	SHRINK_ALLOC,		/* the allocation slow path */
	SHRINK_BALLOON,		/* a balloon inflate found no free page */
	SHRINK_EXPLICIT,	/* someone asked (shell, application) */
	NR_SHRINK_REASONS,
};

struct shrinker {
	const char *name;
	long (*count)(struct shrinker *s);
	long (*scan)(struct shrinker *s, unsigned long nr);
	void *priv;
	/* owned by mm/shrinker.c */
	struct list_head list;
	bool registered, disabled;
	unsigned long count_calls, scan_calls;	/* calls made */
	unsigned long asked, freed;		/* pages asked of scan, credited */
	unsigned long stops;			/* SHRINK_STOP answers */
	unsigned long errors;			/* contract violations reported */
	unsigned long late;			/* scans past the deadline */
};

int register_shrinker(struct shrinker *s);
void unregister_shrinker(struct shrinker *s);
unsigned long shrink_memory(unsigned long nr_pages, enum shrink_reason reason);
const char *shrink_reason_name(enum shrink_reason r);
/* Pages all enabled shrinkers say they could free now. */
unsigned long shrinker_count_all(void);

/* Clock for the deadline (ns); the kernel sets uptime_ns. NULL: no deadline. */
extern uint64_t (*shrinker_clock_ns)(void);
/* Deadline of one scan call in ms (SHRINKER_DEADLINE_MS by default). */
extern unsigned int shrinker_deadline_ms;
/* Timer tick: report (once) a scan running past the deadline; true if one is. */
bool shrinker_watchdog(uint64_t now_ns);

struct shrink_stats {
	unsigned long calls[NR_SHRINK_REASONS];	/* shrink_memory calls */
	unsigned long asked[NR_SHRINK_REASONS];	/* pages asked */
	unsigned long freed[NR_SHRINK_REASONS];	/* pages credited */
	unsigned long reentered;		/* calls refused: a shrink was running */
};
extern struct shrink_stats shrink_stats;

/* For each registered shrinker (read-only walk; no registration meanwhile). */
void shrinker_for_each(void (*fn)(const struct shrinker *s, void *arg), void *arg);

/* ---- memory pressure ---- */

enum pressure_level {
	PRESSURE_NONE,		/* "recovered" when reached from a higher level */
	PRESSURE_LOW,
	PRESSURE_CRITICAL,
};

struct pressure_notifier {
	void (*notify)(struct pressure_notifier *n, enum pressure_level level,
		       unsigned long free_pages);
	void *priv;
	struct list_head list;
};

/*
 * Thresholds in free pages: LOW below @low, CRITICAL below @critical
 * (< @low). A level is left only when free pages rise @hyst pages above its
 * threshold, so a count wobbling around a threshold does not flap.
 * Returns -EINVAL unless critical < low.
 */
int pressure_set_thresholds(unsigned long low, unsigned long critical, unsigned long hyst);
void pressure_get_thresholds(unsigned long *low, unsigned long *critical, unsigned long *hyst);
void register_pressure_notifier(struct pressure_notifier *n);
void unregister_pressure_notifier(struct pressure_notifier *n);
/* Evaluate with @free_pages; notifies on a change; returns the level. */
enum pressure_level pressure_update(unsigned long free_pages);
enum pressure_level pressure_level(void);
const char *pressure_level_name(enum pressure_level l);
/* Transitions notified so far. */
extern unsigned long pressure_events;

/* Forget every shrinker, notifier and count (mm_reset_for_test, host tests). */
void shrinker_reset(void);

#endif
