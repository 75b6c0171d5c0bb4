/*
 * stress_smp.c - the mixed workload on every online CPU at once.
 *
 * Each CPU other than the caller gets a work item (one struct stress_remote
 * per CPU, static: at most one run at a time, guarded by stress_busy),
 * queued with work_queue_on() on that CPU's own loop; the caller runs its
 * own share inline and then turns its work loop (so the balloon's work
 * items keep running) until every remote share has returned, counted down
 * in stress_pending. Written for any number of CPUs: with only the boot
 * CPU online it is the inline share alone, and nothing here changes when
 * the other CPUs start.
 */
#include <kernel/stress_smp.h>
#include <kernel/smp.h>
#include <kernel/work.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <drivers/virtio_balloon.h>
#include <mm/page_reporting.h>
#include <errno.h>

struct stress_remote {
	struct work w;
	struct stress_ctx *ctx;
	unsigned int cpu;
};

static struct stress_remote stress_remote[NR_CPUS];
static unsigned int stress_pending;	/* remote shares not yet returned (atomic) */
static bool stress_busy;		/* a run is going on (atomic) */

/* A remote CPU's share (runs on that CPU's work loop). */
static void stress_remote_fn(struct work *w)
{
	struct stress_remote *r = container_of(w, struct stress_remote, w);

	stress_worker(r->ctx, r->cpu);
	__atomic_fetch_sub(&stress_pending, 1, __ATOMIC_RELEASE);
}

/*
 * Pages the balloons hold and free page reports the device keeps. Exact
 * when read where stress_begin()/stress_finish() read it: on the calling
 * CPU, inside a shell command, where none of the balloon's or reporting's
 * work items (queued on the CPU their interrupt arrives on, CPU 0 by
 * default) can be half-way through a step.
 */
static unsigned long stress_pages_elsewhere(void)
{
	struct page_reporting_dev_info *prdev = page_reporting_device();
	unsigned long n = prdev ? READ_ONCE(prdev->held_pages) : 0;
	struct virtio_balloon *vb;

	for (unsigned int i = 0; (vb = virtio_balloon_get(i)) != NULL; i++)
		n += READ_ONCE(vb->num_pages);
	return n;
}

long stress_run_all_cpus(struct stress_ctx *ctx)
{
	unsigned int self = arch_cpu_id(), cpu;
	int err;

	if (__atomic_exchange_n(&stress_busy, true, __ATOMIC_ACQUIRE))
		return -EBUSY;
	if (!ctx->pages_elsewhere)
		ctx->pages_elsewhere = stress_pages_elsewhere;
	err = stress_begin(ctx);
	if (err) {
		__atomic_store_n(&stress_busy, false, __ATOMIC_RELEASE);
		return err;
	}
	for_each_online_cpu(cpu) {
		struct stress_remote *r = &stress_remote[cpu];

		if (cpu == self)
			continue;
		work_init(&r->w, stress_remote_fn);
		r->ctx = ctx;
		r->cpu = cpu;
		__atomic_fetch_add(&stress_pending, 1, __ATOMIC_RELAXED);
		if (work_queue_on(cpu, &r->w))
			__atomic_fetch_sub(&stress_pending, 1, __ATOMIC_RELAXED);	/* went offline */
	}
	stress_worker(ctx, self);
	while (__atomic_load_n(&stress_pending, __ATOMIC_ACQUIRE)) {
		work_run_pending();
		cpu_relax();
	}
	stress_finish(ctx);
	__atomic_store_n(&stress_busy, false, __ATOMIC_RELEASE);
	return (long)(ctx->paint_errors + ctx->invariant_errors) +
	       (ctx->free_delta < 0 ? -ctx->free_delta : ctx->free_delta);
}
