/*
 * test_stress.c - the mixed workload (workloads/stress.c) on every online
 * CPU at once, briefly (kernel/stress_smp.c), then every check: no paint
 * error, no invariant error, the free count back exactly.
 */
#include <kernel/ktest.h>
#include <kernel/stress_smp.h>
#include <kernel/smp.h>
#include <mm/page_alloc.h>
#include <arch/x86.h>

static struct stress_ctx kt_stress_ctx;

static uint64_t kt_now_ms(void)
{
	return uptime_ns() / 1000000u;
}

/* Expect a 2-second run on every CPU to end with 0 problems and free_delta 0. */
static void test_stress_every_cpu(struct ktest *t)
{
	struct stress_ctx *ctx = &kt_stress_ctx;
	long bad;

	stress_init(ctx, 0x5eed57e55ULL);
	ctx->now_ms = kt_now_ms;
	ctx->deadline_ms = kt_now_ms() + 2000;
	bad = stress_run_all_cpus(ctx);
	ktest_log("stress: cpus=%u ops=%lu paint_errors=%lu invariant_errors=%lu free_delta=%ld",
		  ctx->cpus, ctx->ops, ctx->paint_errors, ctx->invariant_errors, ctx->free_delta);
	KT_ASSERT(t, bad >= 0);
	KT_EXPECT_EQ(t, ctx->cpus, num_online_cpus());
	KT_EXPECT(t, ctx->ops > 100);
	KT_EXPECT_EQ(t, ctx->paint_errors, 0);
	KT_EXPECT_EQ(t, ctx->invariant_errors, 0);
	KT_EXPECT_EQ(t, ctx->free_delta, 0);
	KT_EXPECT_EQ(t, bad, 0);
	KT_EXPECT_EQ(t, mm_check_invariants(), 0);
}

/* Expect a run bounded by ops alone (no clock) to do exactly that many ops per CPU. */
static void test_stress_op_budget(struct ktest *t)
{
	struct stress_ctx *ctx = &kt_stress_ctx;

	stress_init(ctx, 42);
	ctx->max_ops = 300;
	KT_EXPECT_EQ(t, stress_run_all_cpus(ctx), 0);
	KT_EXPECT_EQ(t, ctx->ops, 300UL * num_online_cpus());
	KT_EXPECT_EQ(t, ctx->free_delta, 0);
}

KTEST_SUITE(stress,
	    KTEST_CASE(test_stress_every_cpu),
	    KTEST_CASE(test_stress_op_budget));
