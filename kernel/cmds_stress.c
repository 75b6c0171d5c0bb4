/*
 * cmds_stress.c - the `stress` shell command:
 *
 *   stress [SECONDS] [seed=N]     the mixed workload on every online CPU
 *
 * Runs workloads/stress.c on every online CPU at once (kernel/stress_smp.c)
 * for SECONDS (default 10, at most 3600), then prints one parseable line
 *   stress: cpus=N seconds=S seed=X ops=N paint_errors=N invariant_errors=N free_delta=N
 * and fails (status 1) on any paint error, invariant error or free-count
 * difference. The seed replays the choices each CPU makes.
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <kernel/stress_smp.h>
#include <arch/x86.h>
#include <errno.h>
#include <string.h>

static struct stress_ctx stress_cmd_ctx;

/* Milliseconds since boot (the workload's clock). */
static uint64_t stress_now_ms(void)
{
	return uptime_ns() / 1000000u;
}

static int cmd_stress(int argc, char **argv)
{
	struct stress_ctx *ctx = &stress_cmd_ctx;
	uint64_t seconds = 10, seed = 0, v;
	char sum[128];
	long bad;

	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "seed=", 5)) {
			if (!shell_parse_u64(argv[i] + 5, &seed))
				return shell_usage_error(argv, "bad seed '%s'", argv[i] + 5);
		} else if (shell_parse_u64(argv[i], &v) && v && v <= 3600) {
			seconds = v;
		} else {
			return shell_usage_error(argv, "SECONDS must be 1..3600");
		}
	}
	if (!seed)
		seed = uptime_ns() | 1;
	stress_init(ctx, seed);
	ctx->now_ms = stress_now_ms;
	ctx->deadline_ms = stress_now_ms() + seconds * 1000;
	bad = stress_run_all_cpus(ctx);
	if (bad < 0) {
		printk("stress: cannot run (%ld)\n", bad);
		return 1;
	}
	stress_summary(ctx, sum, sizeof(sum));
	printk("stress: cpus=%u seconds=%llu seed=%llu %s\n", ctx->cpus,
	       (unsigned long long)seconds, (unsigned long long)seed, sum);
	return bad ? 1 : 0;
}
SHELL_COMMAND(stress, "stress [SECONDS] [seed=N]",
	      "mixed alloc/compact/zsmalloc/contig workload on every CPU, then every check",
	      cmd_stress);
