/*
 * frag.h - deliberate fragmentation of physical memory (workloads/frag.c), for
 * the shell (`frag`, `zs`), the in-kernel compaction suites and the
 * compaction benchmark.
 *
 * The frag owner is a seed-004 movable-page owner. frag_fill() takes
 * (almost) all free memory as movable order-0 pages, then frees pages in
 * a pattern by pfn so that free memory is cut into small pieces in every
 * pageblock; it keeps the rest, each painted with a pattern derived from
 * (fill generation, index), so frag_verify() can prove byte for byte that
 * migration moved contents and owner state correctly.
 *
 * Patterns (frag_parse_pattern()):
 *   KofN        free K of every N pages (1 <= K < N <= 512): the first
 *               N-K pages of each aligned group of N are kept
 *               ("3of4": keep pfn % 4 == 0; "1of2"; "511of512")
 *   checker     64 KiB squares, alternately kept and freed, the phase
 *               flipping every 2 MiB block (free blocks of order 4 only)
 *   random:P%   free each page with probability P (1..99), from the seed
 * unmovable=PCT pins PCT% (0..100) of the kept pages: the owner holds them
 * without registering them movable, scattered like the rest (the model
 * of a long-term pinned page inside a movable pageblock: compaction and
 * alloc_contig_range cannot move it).
 *
 * The zsmalloc workload (frag_zs_*) fills a zs_pool with objects painted
 * with their own id and verifies them through their handles.
 */
#ifndef WORKLOADS_FRAG_H
#define WORKLOADS_FRAG_H

#include <kernel/compiler.h>
#include <mm/page.h>

enum frag_kind { FRAG_KOFN, FRAG_CHECKER, FRAG_RANDOM };

struct frag_pattern {
	enum frag_kind kind;
	unsigned int k, n;	/* KofN */
	unsigned int pct;	/* random: percent freed */
	char name[24];		/* canonical text, e.g. "3of4" */
};

struct frag_opts {
	struct frag_pattern pattern;
	unsigned int unmovable_pct;	/* 0..100 of the kept pages, pinned */
	uint64_t seed;			/* random: and pinning; 0 = fixed default */
	unsigned long max_pages;	/* cap on pages taken (0 = all free memory) */
};

/* What the owner holds and what happened to it (frag_get_stats()). */
struct frag_stats {
	unsigned long generation;	/* fills so far (0: never filled) */
	unsigned long held_movable;	/* movable pages on the owner's list */
	unsigned long held_isolated;	/* movable pages isolated by the core now */
	unsigned long held_pinned;	/* pinned (unmovable) pages */
	unsigned long taken;		/* pages allocated by the last fill */
	unsigned long freed;		/* of which freed again by the pattern */
	unsigned long alloc_failures;	/* failed allocations during the last fill */
	unsigned long residue_blocks;	/* >= pageblock free blocks broken up (phase 2) */
	/* callback outcomes, counted since boot: */
	unsigned long isolations, putbacks, migrated, refused;
	unsigned long deferred_release;	/* released at putback (released while isolated) */
	char pattern[24];
};

/* Parse @s ("3of4", "checker", "random:30%") into @p; 0 or -EINVAL. */
int frag_parse_pattern(const char *s, struct frag_pattern *p);

/* True if @p frees the page at @pfn (@rng: the random pattern's state). */
bool frag_pattern_frees(const struct frag_pattern *p, unsigned long pfn, uint64_t *rng);

/*
 * Fragment free memory as @o says. Phase 1 allocates movable order-0
 * pages (GFP_NOWAIT: no compaction, no reclaim) until free memory is down
 * to the reserve (every zone's high watermark plus a margin), or until
 * allocations keep failing; then the pattern frees its pages. Phase 2
 * breaks up the free blocks of pageblock size or more that the reserve
 * left whole (taken as order-9 blocks, split, patterned the same way) as
 * long as free memory stays above the reserve. Kept pages are painted and
 * registered movable (or pinned). Returns 0, -EBUSY if the owner still
 * holds pages (frag_release() first), -EINVAL on bad options, -ENOMEM if
 * not a single page could be taken.
 */
int frag_fill(const struct frag_opts *o);
/* frag_fill() with pattern @pattern and @unmovable_pct pinned, other options default; same returns. */
int frag_fill_pattern(const char *pattern, unsigned int unmovable_pct);

/*
 * Check every held page: contents equal its painting, movable pages are
 * still movable through the frag owner and not isolated, pinned pages are
 * not movable, the counts and the index checksum match. Returns the number
 * of mismatches (0: all intact).
 */
unsigned long frag_verify(void);

/*
 * Free everything the owner holds. A page isolated by the core right now
 * is released when it comes back (putback) and counted in
 * deferred_release. Returns the number of pages freed now.
 */
unsigned long frag_release(void);

void frag_get_stats(struct frag_stats *st);

/* Is @page held by the frag owner?  0 no, 1 movable, 2 pinned (racy: tests). */
int frag_page_owner(const struct page *page);

/* ---- zsmalloc workload ---- */

struct frag_zs_stats {
	unsigned long objects, bytes, pages;	/* live objects, their bytes, backing pages */
	unsigned long migrated, migrate_busy;	/* from the pool */
	unsigned long alloc_failures;		/* zs_malloc failures of the last fill */
	bool stopped_at_reserve;		/* the last fill stopped to leave the reserve free */
	unsigned long next_id;
};

/*
 * Allocate objects totalling about @bytes in the workload's pool (created
 * on first use): all of size @size, or of mixed sizes 16..2048 when
 * @size is 0. Each object is painted with its id. Returns objects added;
 * stops early when free memory reaches frag's reserve (stopped_at_reserve)
 * or when zs_malloc keeps failing (alloc_failures).
 */
unsigned long frag_zs_fill(unsigned long bytes, unsigned int size);
/* Free every @nth object (1 = all of them; ids where id % nth == 0); returns objects freed. */
unsigned long frag_zs_thin(unsigned int nth);
/* Check every live object through its handle; returns mismatches. */
unsigned long frag_zs_verify(void);
/* Free every object and destroy the pool; returns objects freed. */
unsigned long frag_zs_release(void);
void frag_zs_get_stats(struct frag_zs_stats *st);

#endif
