/*
 * work.c - deferred work run by the idle loop.
 *
 * Two lists under one lock (interrupts off): ready items, and delayed
 * items with a TSC due time. work_run_pending() moves due delayed items to
 * the ready list and runs every ready item once, with interrupts enabled.
 * An item re-queued by its own function runs again on a later pass, so a
 * busy item cannot starve the others.
 */
#include <kernel/work.h>
#include <kernel/printk.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <arch/spinlock.h>
#include <kernel/smp.h>
#include <errno.h>

static LIST_HEAD(ready);
static LIST_HEAD(delayed);
static DEFINE_SPINLOCK(work_lock);

void work_init(struct work *w, void (*fn)(struct work *w))
{
	INIT_LIST_HEAD(&w->entry);
	w->fn = fn;
	w->pending = false;
	w->due_tsc = 0;
}

void work_queue(struct work *w)
{
	unsigned long f;
	spin_lock_irqsave(&work_lock, f);
	if (!w->pending) {
		w->pending = true;
		w->due_tsc = 0;
		list_add_tail(&w->entry, &ready);
	}
	spin_unlock_irqrestore(&work_lock, f);
}

int work_queue_on(unsigned int cpu, struct work *w)
{
	if (!cpu_online(cpu))
		return -ENXIO;
	work_queue(w);	/* one loop until the other CPUs run their own */
	return 0;
}

void work_queue_delayed(struct work *w, uint64_t ms)
{
	unsigned long f;
	spin_lock_irqsave(&work_lock, f);
	if (!w->pending) {
		w->pending = true;
		w->due_tsc = arch_cycles() + ms * tsc_khz;
		list_add_tail(&w->entry, &delayed);
	}
	spin_unlock_irqrestore(&work_lock, f);
}

bool work_cancel(struct work *w)
{
	unsigned long f;
	bool was;
	spin_lock_irqsave(&work_lock, f);
	was = w->pending;
	if (was) {
		list_del_init(&w->entry);
		w->pending = false;
	}
	spin_unlock_irqrestore(&work_lock, f);
	return was;
}

/* True if something is ready or a delayed item is due. */
bool work_due(void)
{
	unsigned long f;
	bool due;
	struct work *w;
	spin_lock_irqsave(&work_lock, f);
	due = !list_empty(&ready);
	if (!due) {
		uint64_t now = arch_cycles();
		list_for_each_entry(w, &delayed, entry)
			if (w->due_tsc <= now) {
				due = true;
				break;
			}
	}
	spin_unlock_irqrestore(&work_lock, f);
	return due;
}

int work_run_pending(void)
{
	LIST_HEAD(batch);
	struct work *w, *n;
	unsigned long f;
	int ran = 0;

	spin_lock_irqsave(&work_lock, f);
	uint64_t now = arch_cycles();
	list_for_each_entry_safe(w, n, &delayed, entry)
		if (w->due_tsc <= now)
			list_move_tail(&w->entry, &ready);
	list_splice_init(&ready, &batch);
	spin_unlock_irqrestore(&work_lock, f);

	while (!list_empty(&batch)) {
		spin_lock_irqsave(&work_lock, f);
		w = list_first_entry(&batch, struct work, entry);
		list_del_init(&w->entry);
		w->pending = false;
		spin_unlock_irqrestore(&work_lock, f);
		w->fn(w);
		ran++;
	}
	return ran;
}
