/*
 * cmds_compaction.c - shell commands of compaction: compact,
 * contig, compaction_proactiveness. They parse and print; the work is done
 * by mm/compaction.c and mm/page_isolation.c, and the background daemon
 * they wake lives in kernel/kcompactd.c.
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <mm/page_isolation.h>
#include <mm/mm_show.h>
#include <mm/vmstat.h>
#include <string.h>

/* Print what a compaction run did. */
static void print_compact_stats(const struct compact_stats *st)
{
	printk("compact: runs %lu moved %lu failed %lu migrate_scanned %lu free_scanned %lu "
	       "isolated %lu+%lu score %u\n", st->runs, st->moved, st->failed,
	       st->migrate_scanned, st->free_scanned, st->isolated_migrate, st->isolated_free,
	       fragmentation_score());
}

/* compact [ZONE]: whole-memory (or one zone) compaction with before/after buddyinfo. */
static int cmd_compact(int argc, char **argv)
{
	struct compact_stats st;
	int zi = -1;

	if (!mm_initialized)
		return shell_usage_error(argv, "page allocator not initialised");
	if (argc > 2)
		return shell_usage_error(argv, "too many arguments");
	if (argc == 2) {
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (!strcmp(argv[1], zone_names[i]))
				zi = i;
		if (zi < 0 || !populated_zone(&zones[zi]))
			return shell_usage_error(argv, "no populated zone '%s'", argv[1]);
	}
	printk("before:\n");
	show_buddyinfo();
	memset(&st, 0, sizeof(st));
	if (zi >= 0)
		compact_zone_full(&zones[zi], &st);
	else
		compact_all(&st);
	printk("after:\n");
	show_buddyinfo();
	print_compact_stats(&st);
	return 0;
}
SHELL_COMMAND(compact, "compact [ZONE]", "compact all memory or one zone (DMA, DMA32, Normal)",
	      cmd_compact);

/* contig PFN COUNT | contig any ORDER: allocate a contiguous range, report, free it again. */
static int cmd_contig(int argc, char **argv)
{
	uint64_t a, b;
	unsigned long pfn, n;
	int rc;

	if (!mm_initialized)
		return shell_usage_error(argv, "page allocator not initialised");
	if (argc != 3 || !shell_parse_u64(argv[2], &b))
		return shell_usage_error(argv, "expected PFN COUNT or any ORDER");
	if (!strcmp(argv[1], "any")) {
		if (b > MAX_ORDER)
			return shell_usage_error(argv, "order > %d", MAX_ORDER);
		n = 1UL << b;
		pfn = alloc_contig_pages((unsigned int)b, GFP_KERNEL);
		rc = pfn ? 0 : -1;
	} else {
		if (!shell_parse_u64(argv[1], &a) || !b)
			return shell_usage_error(argv, "bad PFN or COUNT");
		pfn = (unsigned long)a;
		n = (unsigned long)b;
		rc = alloc_contig_range(pfn, pfn + n, MIGRATE_MOVABLE, GFP_KERNEL);
	}
	if (rc) {
		printk("contig: failed (%d)\n", rc);
		return 1;
	}
	printk("contig: got pfn 0x%lx..0x%lx (%lu pages); freeing\n", pfn, pfn + n - 1, n);
	free_contig_range(pfn, n);
	return 0;
}
SHELL_COMMAND(contig, "contig PFN COUNT | contig any ORDER",
	      "alloc_contig_range test: take a range (migrating movable pages out), then free it",
	      cmd_contig);

/* compaction_proactiveness [N]: show or set the proactiveness (0..100). */
static int cmd_proactiveness(int argc, char **argv)
{
	uint64_t v;

	if (argc == 2) {
		if (!shell_parse_u64(argv[1], &v) || v > 100)
			return shell_usage_error(argv, "N must be 0..100");
		sysctl_compaction_proactiveness = (unsigned int)v;
		if (v)
			kcompactd_kick();
	} else if (argc != 1) {
		return shell_usage_error(argv, "too many arguments");
	}
	printk("compaction_proactiveness %u (score %u, target %u, trigger %u)\n",
	       sysctl_compaction_proactiveness, mm_initialized ? fragmentation_score() : 0,
	       fragmentation_score_wmark(true), fragmentation_score_wmark(false));
	return 0;
}
SHELL_COMMAND(compaction_proactiveness, "compaction_proactiveness [N]",
	      "show or set proactive compaction (0 = off, 100 = most aggressive)",
	      cmd_proactiveness);
