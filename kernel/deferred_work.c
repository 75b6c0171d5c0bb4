/*
 * deferred_work.c - the kernel's side of deferred memmap init
 * (mm/deferred_init.c): the background, one work item per online CPU.
 *
 * kmain calls deferred_init_start() once every CPU is up, right after
 * the boot's last mark (ktest=/bench= runs call it first; it starts once). Each CPU's item
 * initialises one section per call (deferred_init_run_one()) and queues
 * itself again while sections are pending, so the CPU's work loop - the
 * shell's, on CPU 0 - gets a turn between sections; the sections are
 * claimed from a shared table, so the CPUs never do one twice. The mm
 * side stays portable (host tests, the hosted library): it knows nothing
 * of work items, the TSC rate or the log ring, which it is given here.
 */
#include <kernel/work.h>
#include <kernel/smp.h>
#include <arch/x86.h>
#include <mm/deferred_init.h>
#include <mm/memory_hotplug.h>
#include <kernel/printk.h>
#include <string.h>

static struct work di_work[NR_CPUS];

/*
 * The completion line goes to the log ring only (`dmesg` shows it;
 * `boottime` and `meminfo` carry the figures): on the console it would
 * land in the middle of whatever the shell is printing at that moment.
 */
static void di_report(const char *line)
{
	log_buf_write(line, strlen(line));
	log_buf_write("\n", 1);
}

/* One section per call; queue again while sections are pending. */
static void di_work_fn(struct work *w)
{
	if (deferred_init_run_one() && deferred_sections_pending())
		work_queue(w);
}

void deferred_init_start(void)
{
	static bool started;
	unsigned int cpu;

	if (started || !deferred_sections_pending())
		return;
	started = true;
	deferred_init_report = di_report;
	deferred_init_begin(tsc_khz);
	for_each_online_cpu(cpu) {
		work_init(&di_work[cpu], di_work_fn);
		work_queue_on(cpu, &di_work[cpu]);
	}
}
