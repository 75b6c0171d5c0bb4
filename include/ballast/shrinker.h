/*
 * ballast/shrinker.h - give memory back when the kernel needs it.
 *
 * A cache registers two callbacks (mm/shrinker.c is the engine):
 *   count(priv)        pages it could free now (>= 0; 0 = skip me)
 *   scan(priv, nr)     free up to @nr pages; return how many were freed
 *                      (0..nr), or BALLAST_SHRINK_STOP if it cannot now
 * They are called from the allocation slow path (any allocation that may
 * wait, the application's own malloc included: a cache in the middle of
 * changing its structures returns BALLAST_SHRINK_STOP) and when the host
 * inflates the balloon and no free page is left. A scan must return soon:
 * nothing can preempt it; one running past 1 s is reported by the timer.
 * Wrong answers (negative counts, more freed than asked) are reported on
 * the console; after 3 the shrinker is disabled.
 */
#ifndef BALLAST_SHRINKER_H
#define BALLAST_SHRINKER_H

#include <stdbool.h>

#define BALLAST_SHRINK_STOP (-1L)

struct ballast_shrinker;

struct ballast_shrinker_stats {
	unsigned long count_calls, scan_calls;	/* calls made */
	unsigned long asked, freed;		/* pages asked of scan, pages credited */
	unsigned long stops, errors, late;	/* STOP answers, violations, late scans */
	bool disabled;
};

/* Register; NULL if a callback is missing or there is no memory. */
struct ballast_shrinker *ballast_register_shrinker(const char *name,
		long (*count)(void *priv), long (*scan)(void *priv, unsigned long nr), void *priv);
/* Unregister and free; returns once no CPU will call it again (interrupts on); allowed inside its own count/scan. */
void ballast_unregister_shrinker(struct ballast_shrinker *s);
void ballast_shrinker_stats(const struct ballast_shrinker *s, struct ballast_shrinker_stats *st);
/* Ask every shrinker for @nr pages now; pages they freed. */
unsigned long ballast_shrink(unsigned long nr);

#endif
