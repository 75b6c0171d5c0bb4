/*
 * cmds_balloon.c - the `balloon` shell command: what each virtio-balloon
 * device holds, what the host wants, and what happened so far.
 *
 *   balloon          features by name, target, actual, isolated, reported,
 *                    held reports, counters, per device
 *   balloon check    run the balloon invariant check (0 problems expected)
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <drivers/virtio_balloon.h>
#include <mm/page_reporting.h>
#include <lib/units.h>
#include <string.h>

/* Free page reporting state of @vb. */
static void balloon_show_reporting(struct virtio_balloon *vb)
{
	struct page_reporting_dev_info *pr = &vb->pr_dev;

	if (!vb->reporting) {
		printk("  reported 0 pages (free page reporting %s)\n",
		       virtio_has_feature(vb->vdev, VIRTIO_BALLOON_F_REPORTING) ?
		       "negotiated, another device reports" : "not negotiated");
		return;
	}
	printk("  reported %lu pages (%lu MiB) in %lu blocks, %lu requests, %lu passes, %lu errors%s%s\n",
	       pr->reported_pages, pages_to_mib(pr->reported_pages), pr->reported_blocks, pr->requests,
	       pr->passes, pr->errors, pr->disabled ? ", STOPPED: " : "",
	       pr->disabled ? vb->reporting_why : "");
	printk("  reported_free %lu pages now (order >= %u), skipped_poison %lu\n",
	       page_reporting_count_reported(), pr->order, pr->skipped_poison);
	printk("  report_held %lu pages in %lu blocks (kept by the device past the wait), stalls %lu, returned_late %lu\n",
	       READ_ONCE(pr->held_pages), READ_ONCE(pr->held_blocks), pr->stalls, pr->late_returns);
}

/* The negotiated features by name (QEMU's property names where it has one). */
static void balloon_show_features(struct virtio_balloon *vb)
{
	static const struct { unsigned int bit; const char *name; } names[] = {
		{ VIRTIO_BALLOON_F_MUST_TELL_HOST, "must-tell-host" },
		{ VIRTIO_BALLOON_F_STATS_VQ, "stats" },
		{ VIRTIO_BALLOON_F_DEFLATE_ON_OOM, "deflate-on-oom" },
		{ VIRTIO_BALLOON_F_FREE_PAGE_HINT, "free-page-hint" },
		{ VIRTIO_BALLOON_F_PAGE_POISON, "page-poison" },
		{ VIRTIO_BALLOON_F_REPORTING, "free-page-reporting" },
		{ VIRTIO_F_VERSION_1, "version-1" },
	};

	printk("  features");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (virtio_has_feature(vb->vdev, names[i].bit))
			printk(" %s", names[i].name);
	printk("\n");
}

/* Print one device's state. */
static void balloon_show(unsigned int i, struct virtio_balloon *vb)
{
	struct balloon_dev_info *b = &vb->b_dev_info;

	printk("balloon%u: %s via %s, features %#llx%s%s\n", i, vb->vdev->name,
	       vb->vdev->config->name, (unsigned long long)vb->vdev->features,
	       vb->broken ? ", BROKEN: " : "", vb->broken ? vb->broken_why : "");
	balloon_show_features(vb);
	printk("  target   %u pages (%lu MiB)%s\n", vb->target, pages_to_mib(vb->target),
	       vb->host_target != vb->target ? " (clamped)" : "");
	printk("  actual   %u pages (%lu MiB)\n", vb->num_pages, pages_to_mib(vb->num_pages));
	printk("  isolated %lu pages\n", b->isolated_pages);
	printk("  listed   %zu pages\n", balloon_page_count(b));
	balloon_show_reporting(vb);
	printk("  inflated %lu deflated %lu batches %lu migrated %lu (busy %lu, failed unanswered %lu, new page unanswered %lu)\n",
	       vb->inflated, vb->deflated, vb->batches, vb->migrated, vb->migrate_busy,
	       vb->migrate_failed, vb->migrate_inflate_lost);
	printk("  oom_deflate calls %lu pages %lu, stats_requests %lu, config_events %lu, timeouts %lu, clamps %lu\n",
	       vb->oom_calls, vb->oom_pages, vb->stats_requests, vb->config_events,
	       vb->timeouts, vb->clamps);
	printk("  inflate batches helped by shrinkers %lu\n", vb->inflate_shrunk);
}

static int cmd_balloon(int argc, char **argv)
{
	struct virtio_balloon *vb;
	unsigned int i;
	bool check = argc > 1 && !strcmp(argv[1], "check");
	int status = 0;

	if (argc > 2 || (argc == 2 && !check))
		return shell_usage_error(argv, "unknown argument '%s'", argv[1]);
	if (!virtio_balloon_get(0)) {
		printk("balloon: no virtio-balloon device\n");
		return 1;
	}
	for (i = 0; (vb = virtio_balloon_get(i)) != NULL; i++) {
		if (check) {
			unsigned long bad = virtio_balloon_check(vb);

			printk("balloon%u: check: %lu problems (%u pages held, %lu isolated)\n", i, bad,
			       vb->num_pages, vb->b_dev_info.isolated_pages);
			if (bad)
				status = 1;	/* still check the other devices */
		} else {
			balloon_show(i, vb);
		}
	}
	return status;
}

SHELL_COMMAND(balloon, "balloon [check]", "virtio-balloon state: target, actual, isolated, counters",
	      cmd_balloon);
