/*
 * cmds_frag.c - shell commands that shape memory on purpose (workloads/frag.c):
 *
 *   frag PATTERN [unmovable=PCT] [seed=N] [max=SIZE]   fragment free memory
 *   frag verify | frag free | frag                   check, release, status
 *   zs fill MiB [SIZE|mixed] | zs thin N | zs verify | zs free | zs
 *
 * `frag` prints buddyinfo and a per-zone fragmentation summary
 * (show_frag_summary(): free pages, the share in blocks of order >= 9,
 * Linux's unusable free space index and fragmentation index for order 9)
 * before and after.
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <workloads/frag.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <mm/mm_show.h>
#include <errno.h>
#include <string.h>

/* Print the frag owner's state. */
static void frag_status(void)
{
	struct frag_stats st;

	frag_get_stats(&st);
	printk("frag: pattern %s generation %lu held %lu movable + %lu pinned + %lu isolated; "
	       "last fill took %lu, freed %lu, residue blocks %lu, alloc failures %lu\n",
	       st.generation ? st.pattern : "-", st.generation, st.held_movable, st.held_pinned,
	       st.held_isolated, st.taken, st.freed, st.residue_blocks, st.alloc_failures);
	printk("frag: isolations %lu putbacks %lu migrated %lu refused %lu deferred_release %lu\n",
	       st.isolations, st.putbacks, st.migrated, st.refused, st.deferred_release);
}

/* Parse the options after the pattern into @o; 0 or a usage error. */
static int frag_parse_opts(int argc, char **argv, struct frag_opts *o)
{
	for (int i = 2; i < argc; i++) {
		uint64_t v;

		if (!strncmp(argv[i], "unmovable=", 10)) {
			const char *s = argv[i] + 10;
			char buf[8];
			size_t n = strlen(s);

			if (n && s[n - 1] == '%')
				n--;
			if (!n || n >= sizeof(buf))
				return shell_usage_error(argv, "unmovable=PCT takes 0..100");
			memcpy(buf, s, n);
			buf[n] = 0;
			if (!shell_parse_u64(buf, &v) || v > 100)
				return shell_usage_error(argv, "unmovable=PCT takes 0..100");
			o->unmovable_pct = (unsigned int)v;
		} else if (!strncmp(argv[i], "seed=", 5)) {
			if (!shell_parse_u64(argv[i] + 5, &v))
				return shell_usage_error(argv, "bad seed '%s'", argv[i] + 5);
			o->seed = v;
		} else if (!strncmp(argv[i], "max=", 4)) {
			if (!shell_parse_size(argv[i] + 4, &v) || v < PAGE_SIZE)
				return shell_usage_error(argv, "bad size '%s'", argv[i] + 4);
			o->max_pages = (unsigned long)(v / PAGE_SIZE);
		} else {
			return shell_usage_error(argv, "unknown option '%s'", argv[i]);
		}
	}
	return 0;
}

/* frag PATTERN [unmovable=PCT] [seed=N] [max=SIZE] | verify | free | (status) */
static int cmd_frag(int argc, char **argv)
{
	struct frag_opts o;
	int rc;

	if (!mm_initialized)
		return shell_usage_error(argv, "page allocator not initialised");
	if (argc == 1) {
		frag_status();
		show_frag_summary();
		return 0;
	}
	if (!strcmp(argv[1], "verify") || !strcmp(argv[1], "free")) {
		struct frag_stats st;

		if (argc != 2)
			return shell_usage_error(argv, "%s takes no arguments", argv[1]);
		frag_get_stats(&st);
		if (argv[1][0] == 'v') {
			unsigned long bad = frag_verify();

			printk("frag verify: %lu mismatches (%lu pages checked)\n", bad,
			       st.held_movable + st.held_pinned);
			return bad ? 1 : 0;
		}
		printk("frag free: released %lu pages\n", frag_release());
		show_frag_summary();
		return 0;
	}
	memset(&o, 0, sizeof(o));
	if (frag_parse_pattern(argv[1], &o.pattern))
		return shell_usage_error(argv, "bad pattern '%s' (KofN, checker, random:P%%)",
					 argv[1]);
	rc = frag_parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	printk("before:\n");
	show_buddyinfo();
	show_frag_summary();
	rc = frag_fill(&o);
	if (rc == -EBUSY)
		return shell_usage_error(argv, "already holding pages: 'frag free' first");
	if (rc) {
		printk("frag: failed (%d): no memory could be taken\n", rc);
		return 1;
	}
	printk("after:\n");
	show_buddyinfo();
	show_frag_summary();
	frag_status();
	if (sysctl_compaction_proactiveness)
		printk("frag: note: proactive compaction (compaction_proactiveness %u) will start "
		       "moving these pages in the background; 'compaction_proactiveness 0' keeps "
		       "memory fragmented\n", sysctl_compaction_proactiveness);
	return 0;
}
SHELL_COMMAND(frag, "frag PATTERN [unmovable=PCT] [seed=N] [max=SIZE] | frag verify | frag free | frag",
	      "fragment free memory (3of4, 1of2, checker, random:P%); verify, free or show what it holds",
	      cmd_frag);

/* Print the zsmalloc workload's figures. */
static void zs_status(void)
{
	struct frag_zs_stats st;

	frag_zs_get_stats(&st);
	printk("zs: objects %lu bytes %lu pages %lu (%lu bytes/page) migrated %lu migrate_busy %lu "
	       "alloc_failures %lu%s\n", st.objects, st.bytes, st.pages,
	       st.pages ? st.bytes / st.pages : 0, st.migrated, st.migrate_busy, st.alloc_failures,
	       st.stopped_at_reserve ? " (last fill stopped at the free-memory reserve)" : "");
}

/* zs fill MiB [SIZE|mixed] | zs thin N | zs verify | zs free | zs */
static int cmd_zs(int argc, char **argv)
{
	uint64_t v, size = 0;

	if (!mm_initialized)
		return shell_usage_error(argv, "page allocator not initialised");
	if (argc == 1) {
		zs_status();
		return 0;
	}
	if (!strcmp(argv[1], "fill")) {
		unsigned long n;

		if (argc < 3 || argc > 4 || !shell_parse_u64(argv[2], &v) || !v || v > (1UL << 20))
			return shell_usage_error(argv, "expected fill MiB [SIZE|mixed]");
		if (argc == 4 && strcmp(argv[3], "mixed") &&
		    (!shell_parse_u64(argv[3], &size) || !size || size > 2048))
			return shell_usage_error(argv, "SIZE must be 1..2048 or 'mixed'");
		n = frag_zs_fill((unsigned long)v << 20, (unsigned int)size);
		printk("zs fill: %lu objects added\n", n);
		zs_status();
		return n ? 0 : 1;
	}
	if (!strcmp(argv[1], "thin")) {
		if (argc != 3 || !shell_parse_u64(argv[2], &v) || !v || v > 1000000)
			return shell_usage_error(argv, "expected thin N (free every Nth object)");
		printk("zs thin: %lu objects freed\n", frag_zs_thin((unsigned int)v));
		zs_status();
		return 0;
	}
	if (argc != 2)
		return shell_usage_error(argv, "unknown arguments");
	if (!strcmp(argv[1], "verify")) {
		struct frag_zs_stats st;
		unsigned long bad = frag_zs_verify();

		frag_zs_get_stats(&st);
		printk("zs verify: %lu mismatches (%lu objects checked)\n", bad, st.objects);
		return bad ? 1 : 0;
	}
	if (!strcmp(argv[1], "free")) {
		printk("zs free: %lu objects freed\n", frag_zs_release());
		return 0;
	}
	return shell_usage_error(argv, "unknown subcommand '%s'", argv[1]);
}
SHELL_COMMAND(zs, "zs fill MiB [SIZE|mixed] | zs thin N | zs verify | zs free | zs",
	      "zsmalloc workload: objects painted with their id, checked through their handles",
	      cmd_zs);
