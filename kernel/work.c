/*
 * work.c - deferred work, one work loop per CPU.
 *
 * Every CPU has two lists: ready items, and delayed items with a TSC due
 * time. One lock (work_lock, interrupts off) covers every CPU's lists and
 * every item's state (pending, and what runs where): work items are few and
 * coarse, and one lock makes the "never on two CPUs at once" rule a plain
 * check instead of a protocol between two CPUs' locks. What each CPU runs
 * right now is recorded per CPU (running[cpu]), not in the item, so the
 * loop never touches an item after its function returned (it may have
 * been freed).
 *
 * Which CPU: work_queue() and work_queue_delayed() queue on the calling
 * CPU (an interrupt handler's work runs where the interrupt was taken);
 * work_queue_on() on the CPU named, which is kicked with an IPI when it is
 * another. Exception, the non-reentrancy rule: an item that is running
 * right now is queued on the CPU running it, whatever CPU was asked for,
 * so its next run starts after the current one on the same loop.
 *
 * work_run_pending() (called by each CPU's loop) moves its own due delayed
 * items to its ready list and runs every ready item once, with interrupts
 * enabled, recording the item as running on this CPU for the duration of
 * the call. An item re-queued by its own function runs again on a later pass,
 * so a busy item cannot starve the others.
 */
#include <kernel/work.h>
#include <kernel/printk.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <arch/spinlock.h>
#include <kernel/smp.h>
#include <errno.h>

static struct work_lists {
	struct list_head ready, delayed;
} lists[NR_CPUS];
static struct work *running[NR_CPUS];
static DEFINE_SPINLOCK(work_lock);

/* This CPU's lists, initialized on first use (static list heads cannot be per-CPU-initialized). */
static struct work_lists *__work_lists(unsigned int cpu)
{
	struct work_lists *l = &lists[cpu];

	if (!l->ready.next) {
		INIT_LIST_HEAD(&l->ready);
		INIT_LIST_HEAD(&l->delayed);
	}
	return l;
}

void work_init(struct work *w, void (*fn)(struct work *w))
{
	INIT_LIST_HEAD(&w->entry);
	w->fn = fn;
	w->pending = false;
	w->due_tsc = 0;
}

/* Queue @w on @cpu (or where it runs now); called with work_lock held. Returns the CPU used or -1. */
static int __work_queue(unsigned int cpu, struct work *w, uint64_t due_tsc)
{
	struct work_lists *l;

	if (w->pending)
		return -1;
	for (unsigned int c = 0; c < NR_CPUS; c++)
		if (running[c] == w)
			cpu = c;                /* never on two CPUs at once */
	l = __work_lists(cpu);
	w->pending = true;
	w->due_tsc = due_tsc;
	list_add_tail(&w->entry, due_tsc ? &l->delayed : &l->ready);
	return (int)cpu;
}

void work_queue(struct work *w)
{
	unsigned long f;

	spin_lock_irqsave(&work_lock, f);
	int cpu = __work_queue(arch_cpu_id(), w, 0);
	spin_unlock_irqrestore(&work_lock, f);
	if (cpu >= 0)
		smp_send_kick((unsigned int)cpu);
}

int work_queue_on(unsigned int cpu, struct work *w)
{
	unsigned long f;
	int used;

	if (!cpu_online(cpu))
		return -ENXIO;
	spin_lock_irqsave(&work_lock, f);
	used = __work_queue(cpu, w, 0);
	spin_unlock_irqrestore(&work_lock, f);
	if (used >= 0)
		smp_send_kick((unsigned int)used);
	return 0;
}

void work_queue_delayed(struct work *w, uint64_t ms)
{
	unsigned long f;

	spin_lock_irqsave(&work_lock, f);
	__work_queue(arch_cpu_id(), w, arch_cycles() + ms * tsc_khz + 1);
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

/* True if something is ready or a delayed item is due on this CPU. */
bool work_due(void)
{
	unsigned long f;
	bool due;
	struct work *w;
	struct work_lists *l;

	spin_lock_irqsave(&work_lock, f);
	l = __work_lists(arch_cpu_id());
	due = !list_empty(&l->ready);
	if (!due) {
		uint64_t now = arch_cycles();
		list_for_each_entry(w, &l->delayed, entry)
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
	struct work_lists *l;
	unsigned long f;
	unsigned int me = arch_cpu_id();
	int ran = 0;

	spin_lock_irqsave(&work_lock, f);
	l = __work_lists(me);
	uint64_t now = arch_cycles();
	list_for_each_entry_safe(w, n, &l->delayed, entry)
		if (w->due_tsc <= now)
			list_move_tail(&w->entry, &l->ready);
	list_splice_init(&l->ready, &batch);
	spin_unlock_irqrestore(&work_lock, f);

	for (;;) {
		spin_lock_irqsave(&work_lock, f);
		if (list_empty(&batch)) {
			spin_unlock_irqrestore(&work_lock, f);
			break;
		}
		w = list_first_entry(&batch, struct work, entry);
		list_del_init(&w->entry);
		w->pending = false;
		running[me] = w;
		spin_unlock_irqrestore(&work_lock, f);
		w->fn(w);
		spin_lock_irqsave(&work_lock, f);
		running[me] = NULL;
		spin_unlock_irqrestore(&work_lock, f);
		ran++;
	}
	return ran;
}
