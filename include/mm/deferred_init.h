/*
 * deferred_init.h - deferred memmap init: what boot initialises, what the
 * background and the allocator's slow path do with the rest
 * (mm/deferred_init.c; docs/memory-model.md "Deferred memmap init").
 *
 * deferred_init_section() and deferred_sections_pending() are declared in
 * <mm/memory_hotplug.h> (the shared API); this header has the rest: the
 * boot hooks mm_init() calls, the slow-path hook, the background start,
 * waiting for completion, and the figures.
 */
#ifndef MM_DEFERRED_INIT_H
#define MM_DEFERRED_INIT_H

#include <kernel/compiler.h>
#include <mm/gfp.h>

/* What boot initialises itself: the first DEFERRED_BOOT_MB MiB of RAM. */
#define DEFERRED_BOOT_MB	8

struct deferred_init_stats {
	unsigned long sections;		/* sections (or section remainders) deferred at boot */
	unsigned long pages;		/* RAM pages in them */
	unsigned long done;		/* of them initialised so far */
	unsigned long by_background;	/* ... by the background work items */
	unsigned long by_demand;	/* ... by an allocation that needed memory */
	unsigned long by_force;		/* ... by deferred_init_section()/deferred_init_wait() */
	unsigned long freed_pages;	/* pages they gave the buddy */
	unsigned long reserved_pages;	/* pages they left PG_reserved */
	uint64_t start_tsc;		/* the background was started */
	uint64_t end_tsc;		/* the last section was done (0 while pending) */
	uint64_t busy_cycles;		/* summed over every CPU that initialised */
	unsigned int cpus;		/* CPUs that initialised at least one section */
	unsigned long boot_end_pfn;	/* boot initialised [memmap start, this) */
};
extern struct deferred_init_stats deferred_init_stats;

/* "on" or "off" (deferred_init= boot option); -EINVAL otherwise. */
int deferred_init_parse(const char *opt);
/*
 * Turn deferral on or off for the next mm_init(). Off by default (host
 * tests, the hosted library); the kernel turns it on, then parses the option.
 */
void deferred_init_set_enabled(bool on);
bool deferred_init_enabled(void);

/*
 * mm_init() hook: sections [first, end) have a memmap that is not written
 * yet. Decide what boot initialises: returns the pfn up to which mm_init()
 * initialises and frees as before; every section from the one holding it
 * up is marked SECTION_DEFERRED (and left alone). Returns @end_pfn when
 * deferral is off or there is nothing worth deferring.
 */
unsigned long deferred_init_boot_setup(unsigned long start_pfn, unsigned long end_pfn);

/*
 * The slow path's hook: initialise one more pending section the
 * allocation (@gfp) could use. True if memory was added (the caller
 * retries); false when nothing is pending that it could use.
 */
bool deferred_grow_zone(gfp_t gfp, unsigned int order);

/* RAM pages of the parts not done yet (meminfo's DeferredPending). */
unsigned long deferred_pending_pages(void);

/* Initialise one pending section, any zone (the work items' body); false if none was left. */
bool deferred_init_run_one(void);

/* Initialise everything still pending here and wait for the sections other CPUs are on. */
void deferred_init_wait(void);

/*
 * The background starts now (its time is measured from here); figures are
 * printed in ms at @cycles_per_ms (0: in units of a million cycles).
 * deferred_init_start() (kernel/deferred_work.c) calls it, then queues one
 * work item per online CPU running deferred_init_run_one().
 */
void deferred_init_begin(uint64_t cycles_per_ms);
void deferred_init_start(void);

/*
 * Where the completion line goes ("mm: deferred init done: ..."); NULL:
 * printk. The kernel points it at the log ring (kernel/deferred_work.c).
 */
extern void (*deferred_init_report)(const char *line);

/* One line about the state: "done: 15 sections, 1920 MiB, 212 ms on 2 CPUs" or "pending ...". */
int deferred_init_describe(char *buf, size_t len);

#ifdef HOST_BUILD
void deferred_init_reset_for_test(void);
#endif

#endif
