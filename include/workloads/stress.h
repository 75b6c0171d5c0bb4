/*
 * stress.h - the mixed concurrent workload (workloads/stress.c), one source
 * for the host concurrency suite (tests/host/test_smp_stress.c, threads
 * standing in for CPUs), the in-kernel `stress` command and the ktest
 * suite tests/kernel/test_stress.c.
 *
 * Use, on every CPU that takes part:
 *     stress_init(&ctx, seed);          one CPU, everything quiet
 *     ctx.deadline_ms / ctx.max_ops = ...
 *     stress_begin(&ctx);               one CPU: records the free count
 *     stress_worker(&ctx, cpu);         each CPU at once, cpu = arch_cpu_id()
 *     stress_finish(&ctx);              one CPU, once every worker returned
 * stress_worker() allocates blocks of every order painted from (pfn, tag),
 * frees them after verifying the paint, fragments and compacts, fills and
 * frees zsmalloc objects (painted too), drains per-CPU lists and runs
 * alloc_contig_range() on small random ranges, chosen by a per-CPU PRNG
 * seeded from (seed, cpu): a run replays exactly on one CPU, and as far as
 * the interleaving allows on several. Everything it finds is counted in the
 * context (never only printed); stress_finish() gives back what is left,
 * checks the allocator invariants and the free count, and adds it up.
 * The balloon is not touched here: it is driven separately while this runs.
 */
#ifndef WORKLOADS_STRESS_H
#define WORKLOADS_STRESS_H

#include <kernel/compiler.h>
#include <arch/cpu.h>
#include <mm/page.h>

#define STRESS_MAX_HELD		48	/* painted blocks one CPU holds at once */
#define STRESS_MAX_ZS		64	/* zsmalloc objects one CPU holds at once */
#define STRESS_FRAG_BATCH	64	/* order-0 pages of one frag pass */

/* Operations (ctx->ops_mask); STRESS_OPS_ALL by default. */
#define STRESS_OP_ALLOC		0x01	/* alloc/free painted blocks of every order */
#define STRESS_OP_FRAG		0x02	/* fragment a batch, then compact */
#define STRESS_OP_COMPACT	0x04	/* compaction and kcompactd passes */
#define STRESS_OP_ZS		0x08	/* zsmalloc fill/free */
#define STRESS_OP_CONTIG	0x10	/* alloc_contig_range (and its isolation) */
#define STRESS_OP_DRAIN		0x20	/* drain this CPU's or every CPU's lists */
#define STRESS_OPS_ALL		0x3f

struct stress_block {
	struct page *page;
	unsigned int order;
	uint32_t tag;
};

/* One CPU's share: its PRNG, what it holds, what it did and found. */
struct stress_cpu {
	uint64_t rng;
	uint32_t next_tag;
	bool ran;
	unsigned int nheld, nzs;
	struct stress_block held[STRESS_MAX_HELD];
	unsigned long zs[STRESS_MAX_ZS];
	uint32_t zs_tag[STRESS_MAX_ZS];
	/* what happened */
	unsigned long ops, allocs, alloc_fail, frees, frag_passes, compactions;
	unsigned long zs_allocs, zs_frees, zs_fail, contig_ok, contig_busy, drains;
	/* what was wrong */
	unsigned long paint_errors;	/* a block or object whose bytes changed */
	unsigned long invariant_errors;	/* a page in a state it cannot be in */
	char first_error[96];
} __aligned(64);

struct stress_ctx {
	uint64_t seed;
	uint64_t (*now_ms)(void);	/* clock for deadline_ms (NULL: no deadline) */
	uint64_t deadline_ms;		/* a worker stops once now_ms() >= this (0: none) */
	unsigned long max_ops;		/* a worker stops after this many ops (0: none) */
	unsigned int max_order;		/* largest order allocated (<= MAX_ORDER) */
	unsigned int ops_mask;		/* STRESS_OP_* */
	struct zs_pool *zs_pool;	/* shared by every CPU */
	/*
	 * Pages others took out of the buddy on purpose while the workload
	 * ran (the balloon, free page reports the device still holds), read
	 * at both quiescent points so free_delta is the workload's alone.
	 * NULL: none. Must be exact at a quiescent point.
	 */
	unsigned long (*pages_elsewhere)(void);
	/* stress_begin() / stress_finish() */
	unsigned long free_before, free_after;
	long free_delta;
	unsigned long paint_errors, invariant_errors, ops;
	unsigned int cpus;		/* workers that ran */
	struct stress_cpu cpu[NR_CPUS];
};

/* Reset @ctx: defaults (all ops, max_order MAX_ORDER, no limits), seed @seed. */
void stress_init(struct stress_ctx *ctx, uint64_t seed);
/*
 * Quiesce (drain every per-CPU list, shrink the slab caches), record the
 * free count and create the shared zsmalloc pool. Call with no worker
 * running. 0, or -ENOMEM if the pool cannot be made.
 */
int stress_begin(struct stress_ctx *ctx);
/*
 * Run CPU @cpu's share until the deadline or the op budget (the caller
 * runs on @cpu). Leaves what it still holds in ctx->cpu[cpu] for
 * stress_worker_release() or stress_finish().
 */
void stress_worker(struct stress_ctx *ctx, unsigned int cpu);
/* Give back (after verifying) everything CPU @cpu's share holds. */
void stress_worker_release(struct stress_ctx *ctx, unsigned int cpu);
/*
 * With every worker returned: release what is still held, destroy the
 * pool, quiesce again, run mm_check_invariants() and mm_check_counts(),
 * compute the free-count delta and sum the per-CPU findings into @ctx.
 * Returns the number of problems (paint + invariant errors + |delta|).
 */
unsigned long stress_finish(struct stress_ctx *ctx);
/*
 * A quiescent-point check (no worker running): allocator invariants and
 * counts; adds what it finds to ctx->invariant_errors and returns it.
 */
unsigned long stress_check_quiescent(struct stress_ctx *ctx);
/* The summary's fields, "ops=N paint_errors=N invariant_errors=N free_delta=N". */
int stress_summary(const struct stress_ctx *ctx, char *buf, size_t len);

/* The paint of word @i of the page at @pfn for tag @tag (tests use it too). */
static inline uint64_t stress_paint_word(unsigned long pfn, uint32_t tag, unsigned int i)
{
	return ((uint64_t)pfn * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)tag << 32) ^ (i * 0x100000001ULL) ^
	       0x5a5a000000005a5aULL;
}

#endif
