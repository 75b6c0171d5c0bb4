/*
 * fault_inject.h - fail_page_alloc: make allocations fail on purpose.
 *
 * A failure point is checked at each allocation *site*:
 *   FAIL_SITE_ALLOC_PAGES   entry of alloc_pages() (Linux's fail_page_alloc)
 *   FAIL_SITE_PCP_REFILL    refilling a per-CPU list from the zone
 *   FAIL_SITE_ZONE          taking a block from a zone's free lists
 *   FAIL_SITE_SLAB          allocating a new slab for kmalloc
 *   FAIL_SITE_KMALLOC_LARGE kmalloc() of more than 2 KiB
 * Only enabled sites count. Among eligible checks (site enabled, order >=
 * min_order, gfp filters pass) the policy decides: fail the Nth check once,
 * every Nth check, or each check with probability P percent (own PRNG,
 * seedable). times= bounds the total number of injected failures.
 *
 * Spec strings for fault_inject_parse() (comma-separated key=value):
 *   nth=N  every=N  prob=P[%]  order=K  times=T  seed=S
 *   sites=alloc|pcp|zone|slab|large|all  (joined with '+', e.g. sites=pcp+slab)
 *   nowarn=skip     exempt __GFP_NOWARN allocations (default nowarn=fail)
 *   gfp=movable|unmovable|atomic|kernel  only allocations whose gfp matches
 *   off             disable
 */
#ifndef MM_FAULT_INJECT_H
#define MM_FAULT_INJECT_H

#include <kernel/compiler.h>
#include <mm/gfp.h>

enum fail_site {
	FAIL_SITE_ALLOC_PAGES,
	FAIL_SITE_PCP_REFILL,
	FAIL_SITE_ZONE,
	FAIL_SITE_SLAB,
	FAIL_SITE_KMALLOC_LARGE,
	NR_FAIL_SITES,
};

enum fail_mode { FAIL_OFF, FAIL_NTH, FAIL_EVERY, FAIL_PROB };

struct fault_attr {
	enum fail_mode mode;
	unsigned long n;		/* nth / every */
	unsigned int prob_pct;		/* probability, percent 0..100 */
	unsigned int min_order;		/* only orders >= this */
	unsigned long times;		/* max failures to inject; 0 = unlimited */
	unsigned int sites;		/* bit mask of 1 << enum fail_site */
	bool ignore_gfp_nowarn;		/* true: __GFP_NOWARN allocations are exempt */
	gfp_t require_gfp;		/* only when (gfp & require_gfp) == require_gfp */
	gfp_t reject_gfp;		/* never when gfp & reject_gfp */
	uint64_t rng;			/* PRNG state */
	/* statistics */
	unsigned long checks;		/* eligible checks seen */
	unsigned long injected;		/* failures injected */
	unsigned long injected_site[NR_FAIL_SITES];
};

extern struct fault_attr fail_page_alloc;

/* True if the allocation at @site with @gfp/@order must fail now. */
bool should_fail_alloc(enum fail_site site, gfp_t gfp, unsigned int order);

/* Parse a spec string into fail_page_alloc; 0, or -EINVAL with a message printed. */
int fault_inject_parse(const char *spec);
/* Disable and zero the statistics (under the policy lock: safe while other CPUs allocate). */
void fault_inject_reset(void);
#ifdef HOST_BUILD
#include <arch/spinlock.h>
/* The policy lock, for host tests that hold it to force an interleaving. */
spinlock_t *fault_inject_lock_for_test(void);
#endif
/* Print the settings and statistics (one line per item). */
void fault_inject_show(void);
/* Name of a site ("alloc", "pcp", "zone", "slab", "large"). */
const char *fail_site_name(enum fail_site site);

#endif
