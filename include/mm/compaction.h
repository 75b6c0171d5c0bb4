/*
 * compaction.h - memory compaction (mm/compaction.c).
 *
 * compact_zone_order()  one zone toward a free block of 2^order (direct
 *                       compaction; resumes from cached scanner positions)
 * compact_zone_full()   one whole zone, both scanners from the ends,
 *                       ignoring skip hints (the `compact` command)
 * compact_all()         compact_zone_full() on every populated zone
 * proactive_compact()   whole-zone passes while the fragmentation score is
 *                       above the target set by compaction_proactiveness
 * kcompactd_do_work()   what the background daemon runs when woken
 *
 * Direct compaction runs from the allocator's slow path (registered by
 * compaction_init() as an alloc_slowpath_hook) for order > 0 allocations
 * that may wait, with Linux's deferral after failures. compact_stall
 * counts attempts where some zone was compacted or deferred; each ends in
 * compact_success (the allocation retried right after got its page) or
 * compact_fail.
 */
#ifndef MM_COMPACTION_H
#define MM_COMPACTION_H

#include <kernel/compiler.h>
#include <mm/mmzone.h>
#include <mm/gfp.h>
#include <mm/migrate.h>

enum compact_result {
	COMPACT_NOT_SUITABLE_ZONE,	/* failure would be from lack of memory, not fragmentation */
	COMPACT_SKIPPED,		/* too little free memory to compact */
	COMPACT_DEFERRED,		/* recent failures: not tried now */
	COMPACT_CONTINUE,		/* (internal) keep going */
	COMPACT_COMPLETE,		/* scanners met, whole zone done */
	COMPACT_PARTIAL_SKIPPED,	/* stopped early: no target pages */
	COMPACT_SUCCESS,		/* a suitable free block exists */
};

extern const char * const compact_result_names[];

/* What one compaction run did (accumulates across calls). */
struct compact_stats {
	unsigned long migrate_scanned;	/* pfns looked at by the migrate scanner */
	unsigned long free_scanned;	/* pfns looked at by the free scanner */
	unsigned long isolated_migrate;	/* movable pages isolated */
	unsigned long isolated_free;	/* free pages taken as targets */
	unsigned long moved;		/* pages migrated (incl. released) */
	unsigned long failed;		/* pages that could not be migrated */
	unsigned long runs;		/* zone compactions run */
};

/* State of one zone compaction (exposed for tests). */
struct compact_control {
	struct zone *zone;
	int order;			/* -1: whole zone, no stop on a free block */
	int migratetype;		/* of the allocation being served */
	enum migrate_mode mode;
	bool whole_zone;		/* start both scanners at the zone ends */
	bool ignore_skip_hint;
	bool proactive;			/* stop when the score reaches the target */
	unsigned long migrate_pfn;	/* next pfn of the migrate scanner (going up) */
	unsigned long free_pfn;		/* next pfn of the free scanner (blocks going down,
					   pfns within a block going up) */
	struct list_head migratepages;
	struct list_head freepages;
	unsigned long nr_migratepages, nr_freepages;
	struct compact_stats st;
};

#define COMPACT_CLUSTER_MAX	32	/* pages isolated per migrate batch */

/* Tunables. */
extern unsigned int sysctl_compaction_proactiveness;	/* 0..100, default 20 */
extern int sysctl_extfrag_threshold;			/* 0..1000, default 500 */
extern void (*compact_step_hook)(struct compact_control *cc);	/* tests: after each batch */

/* Reset all compaction state and register the direct-compaction slow-path hook. */
void compaction_init(void);

/* Is compaction worth running in @zone for @order? (COMPACT_CONTINUE if so.) */
enum compact_result compaction_suitable(struct zone *zone, int order);

/* Run one zone compaction as described by @cc (zone, order, mode, flags set). */
enum compact_result compact_zone(struct compact_control *cc);

/* Compact @zone until a 2^@order block for @gfp's migratetype exists; adds to *@st. */
enum compact_result compact_zone_order(struct zone *zone, int order, gfp_t gfp,
				       enum migrate_mode mode, struct compact_stats *st);
/* Compact all of @zone (sync, skip hints ignored); adds to *@st. */
enum compact_result compact_zone_full(struct zone *zone, struct compact_stats *st);
/* compact_zone_full() on every populated zone; adds to *@st (may be NULL). */
void compact_all(struct compact_stats *st);

/* Deferral (Linux): skip compaction for @order after failures, exponentially. */
bool compaction_deferred(struct zone *zone, int order);
void defer_compaction(struct zone *zone, int order);
void compaction_defer_reset(struct zone *zone, int order, bool alloc_success);

/* Fragmentation score 0..100 of @zone (share of free memory not in order-9 blocks). */
unsigned int fragmentation_score_zone(struct zone *zone);
/* Score of all memory, zones weighted by size. */
unsigned int fragmentation_score(void);
/* Target (@low) or trigger (!@low) score derived from the proactiveness. */
unsigned int fragmentation_score_wmark(bool low);
/* True if proactive compaction should run now. */
bool should_proactive_compact(void);
/* Proactive compaction pass over every zone; returns pages moved. */
unsigned long proactive_compact(struct compact_stats *st);

/*
 * Background daemon glue: the kernel sets compaction_wakeup_hook (a
 * function queueing its work item); wakeup_kcompactd() records the order
 * and calls it. The work item calls kcompactd_do_work(), which returns the
 * pages moved.
 */
extern void (*compaction_wakeup_hook)(int order);
void wakeup_kcompactd(int order);
unsigned long kcompactd_do_work(void);
/* Kernel side (kernel/kcompactd.c): register direct compaction, start the daemon. */
void kcompactd_start(void);
/* Kernel side: run the daemon soon (after a tunable changed); no-op before kcompactd_start(). */
void kcompactd_kick(void);
extern unsigned long kcompactd_wakeups, kcompactd_runs;

#endif
