/*
 * kcompactd.c - the background compaction daemon: a work item on the boot
 * CPU, this kernel's stand-in for Linux's kcompactd thread.
 *
 * mm/compaction.c decides what to do (kcompactd_do_work(): the order a
 * failed allocation left pending, then proactive compaction while the
 * fragmentation score is above its target); this file only decides when.
 * kcompactd_start() (once, from kmain, after mm_init_all()) registers
 * direct compaction (compaction_init()) and points mm's
 * compaction_wakeup_hook at kcompactd_wake(), which queues the work item.
 * While compaction_proactiveness is non-zero the work item re-arms itself
 * every KCOMPACTD_INTERVAL_MS, as Linux's kcompactd checks the score
 * periodically; at 0 it runs only when woken.
 *
 * State: kcompactd_work (the work item) and kcompactd_started, both set
 * once by kcompactd_start() before the daemon can run. The work loop runs
 * work items one at a time, so kcompactd_fn() never overlaps itself.
 */
#include <kernel/work.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>

#define KCOMPACTD_INTERVAL_MS	500

static struct work kcompactd_work;
static bool kcompactd_started;

/* The daemon: serve the pending order, then proactive compaction; re-arm. */
static void kcompactd_fn(struct work *w)
{
	kcompactd_do_work();
	if (sysctl_compaction_proactiveness)
		work_queue_delayed(&kcompactd_work, KCOMPACTD_INTERVAL_MS);
}

/* mm's wakeup hook: run the daemon soon. */
static void kcompactd_wake(int order)
{
	(void)order;
	work_queue(&kcompactd_work);
}

/* Bring up direct compaction and the daemon; call once after mm_init(). */
void kcompactd_start(void)
{
	if (kcompactd_started || !mm_initialized)
		return;
	compaction_init();
	work_init(&kcompactd_work, kcompactd_fn);
	compaction_wakeup_hook = kcompactd_wake;
	kcompactd_started = true;
	if (sysctl_compaction_proactiveness)
		work_queue_delayed(&kcompactd_work, KCOMPACTD_INTERVAL_MS);
}

/* Run the daemon soon if it has been started (a no-op before kcompactd_start()). */
void kcompactd_kick(void)
{
	if (kcompactd_started)
		work_queue(&kcompactd_work);
}
