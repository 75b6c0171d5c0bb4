/*
 * work.h - deferred work. An interrupt handler (or anyone) queues a work
 * item; each CPU's work loop runs the items queued on it with interrupts
 * enabled, in FIFO order, one call per queueing (queueing a pending item is
 * a no-op). work_queue_delayed() runs the item once at least @ms
 * milliseconds later. An item never runs on two CPUs at once: queued while
 * it runs, it goes on the CPU that runs it (whatever CPU was asked for) and
 * runs again there after the current call returns.
 */
#ifndef KERNEL_WORK_H
#define KERNEL_WORK_H

#include <kernel/compiler.h>
#include <kernel/list.h>

struct work {
	struct list_head entry;
	void (*fn)(struct work *w);
	uint64_t due_tsc;       /* for delayed work */
	bool pending;
};

#define WORK_INIT(name, func) { .entry = LIST_HEAD_INIT((name).entry), .fn = (func) }

void work_init(struct work *w, void (*fn)(struct work *w));
/* Queue @w to run soon (on the calling CPU's loop); safe from interrupt context. */
void work_queue(struct work *w);
/* Queue @w on @cpu's work loop; -ENXIO (and nothing queued) if @cpu is offline. */
int work_queue_on(unsigned int cpu, struct work *w);
/* Queue @w to run once, no sooner than @ms milliseconds from now. */
void work_queue_delayed(struct work *w, uint64_t ms);
/* Remove @w if pending; returns true if it was. */
bool work_cancel(struct work *w);
/* True if an item is ready or a delayed one is due. */
bool work_due(void);
/* Run everything due now (the idle loop calls this). Returns items run. */
int work_run_pending(void);

#endif
