/*
 * smp.c - which CPUs are online, and running a function on another CPU
 * (the <kernel/smp.h> contract) with the call-function IPI.
 *
 * Online: a CPU is online when its percpu_area state is CPU_ONLINE
 * (arch/x86_64/smpboot.c sets it with a compare-and-swap at check-in and
 * never clears it).
 *
 * Call slots: every (caller, target) pair owns one slot per context (task
 * or interrupt handler), csd[caller][target][ctx] (fn, info, busy flag,
 * queue link). A caller fills its slot only when the
 * slot's previous call has finished (busy clear), so no slot is ever on a
 * queue twice and no call needs memory that outlives its caller: a nowait
 * call returns as soon as the slot is queued; the next call from the same
 * caller to the same target waits for it first.
 *
 * Call queues: each CPU has a FIFO of slots under its own lock (interrupts
 * off). The caller appends its slot and sends VEC_IPI_CALL; the target's
 * handler detaches the whole queue and runs each entry with interrupts off,
 * then clears the entry's busy flag with a release store (after reading
 * what it needs from it), which is what a waiting caller polls.
 *
 * Calling each other: CPU A waits for B while B waits for A, each perhaps
 * with interrupts off (the IPI cannot come in): the waiting loop runs the
 * waiter's own queue itself (smp_call_drain), so each serves the other's
 * call while it waits and both finish. A call to oneself runs at once,
 * with interrupts off, like the IPI would run it.
 *
 * Memory order: the slot is written before it is queued (the queue lock
 * releases it), and the IPI is sent after the queue is unlocked; the APIC
 * layer fences before a WRMSR to the ICR (x2APIC writes are not ordered
 * with earlier stores).
 */
#include <kernel/smp.h>
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <arch/x86.h>
#include <arch/spinlock.h>
#include <errno.h>

struct call_slot {
	struct call_slot *next;
	smp_call_func_t fn;
	void *info;
	volatile uint32_t busy;
};

/*
 * [caller][target][context]: context 1 for calls made by an interrupt
 * handler (hardirq depth > 0), 0 otherwise. A handler can interrupt a
 * caller between finding its slot free and filling it; with one slot per
 * pair it refilled and queued that same slot, which the interrupted caller
 * then queued a second time (a cycle on the target's queue, the handler's
 * call lost). Handlers do not nest (they run with interrupts off), so two
 * contexts are enough; functions run from a waiting caller's own queue
 * (slot_wait) run before that caller fills its slot, never in the window.
 */
static struct call_slot csd[NR_CPUS][NR_CPUS][2];

/* This CPU's slot for calls to @target from the current context. */
static struct call_slot *call_slot_for(unsigned int target)
{
	return &csd[arch_cpu_id()][target][arch_irq_depth() ? 1 : 0];
}

/* Tests only: called between finding the slot free and filling it. */
void (*smp_call_window_hook)(void);

static struct call_queue {
	spinlock_t lock;
	struct call_slot *head, *tail;
} call_queue[NR_CPUS];


unsigned int num_online_cpus(void)
{
	unsigned int n = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		n += __atomic_load_n(&percpu_area[cpu].state, __ATOMIC_ACQUIRE) == CPU_ONLINE;
	return n;
}

bool cpu_online(unsigned int cpu)
{
	return cpu < NR_CPUS &&
	       __atomic_load_n(&percpu_area[cpu].state, __ATOMIC_ACQUIRE) == CPU_ONLINE;
}

/* Run every call queued for this CPU (interrupts off). Returns how many ran. */
static unsigned int smp_call_drain(void)
{
	struct call_queue *q = &call_queue[arch_cpu_id()];
	struct call_slot *s, *next;
	unsigned int ran = 0;

	VM_BUG_ON(!irqs_disabled());
	spin_lock(&q->lock);
	s = q->head;
	q->head = q->tail = NULL;
	spin_unlock(&q->lock);
	for (; s; s = next, ran++) {
		smp_call_func_t fn = s->fn;
		void *info = s->info;

		next = s->next;
		fn(info);
		__atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);  /* the caller may reuse it now */
	}
	return ran;
}

static void call_ipi(struct regs *r, void *ctx)
{
	smp_call_drain();
}

/* Spin until @s is free, running this CPU's own queue meanwhile. */
static void slot_wait(struct call_slot *s)
{
	while (__atomic_load_n(&s->busy, __ATOMIC_ACQUIRE)) {
		unsigned long f = local_irq_save();

		smp_call_drain();
		local_irq_restore(f);
		cpu_relax();
	}
}

/* Queue a call of @fn(@info) on @cpu (not this one) in this CPU's slot for it. */
static struct call_slot *call_queue_on(unsigned int cpu, smp_call_func_t fn, void *info)
{
	struct call_slot *s = call_slot_for(cpu);
	struct call_queue *q = &call_queue[cpu];
	unsigned long f;

	slot_wait(s);
	if (smp_call_window_hook)
		smp_call_window_hook();
	s->fn = fn;
	s->info = info;
	s->next = NULL;
	s->busy = 1;
	spin_lock_irqsave(&q->lock, f);
	if (q->tail)
		q->tail->next = s;
	else
		q->head = s;
	q->tail = s;
	spin_unlock_irqrestore(&q->lock, f);
	apic_send_ipi(percpu_area[cpu].apic_id, VEC_IPI_CALL);
	return s;
}

int smp_call_function_single(unsigned int cpu, smp_call_func_t func, void *info, bool wait)
{
	unsigned long flags;
	struct call_slot *s;

	if (!cpu_online(cpu))
		return -ENXIO;
	if (cpu == arch_cpu_id()) {
		flags = local_irq_save();
		func(info);
		local_irq_restore(flags);
		return 0;
	}
	s = call_queue_on(cpu, func, info);
	if (wait)
		slot_wait(s);
	return 0;
}

void on_each_cpu(smp_call_func_t func, void *info, bool wait)
{
	unsigned int me = arch_cpu_id(), cpu;
	unsigned long flags;

	for_each_online_cpu(cpu)
		if (cpu != me)
			call_queue_on(cpu, func, info);
	flags = local_irq_save();
	func(info);
	local_irq_restore(flags);
	if (!wait)
		return;
	for_each_online_cpu(cpu)
		if (cpu != me)
			slot_wait(call_slot_for(cpu));
}

/* The kick IPI only wakes a halted work loop; the loop then looks at its lists. */
static void kick_ipi(struct regs *r, void *ctx)
{
}

void smp_send_kick(unsigned int cpu)
{
	if (cpu != arch_cpu_id() && cpu_online(cpu))
		apic_send_ipi(percpu_area[cpu].apic_id, VEC_IPI_KICK);
}

int smp_call_queue_check(unsigned int cpu, bool repair)
{
	struct call_queue *q = &call_queue[cpu];
	unsigned long f;
	int n = 0;

	spin_lock_irqsave(&q->lock, f);
	for (struct call_slot *s = q->head; s; s = s->next) {
		if (++n > (int)(2 * NR_CPUS * NR_CPUS)) {
			n = -ELOOP;
			if (repair) {		/* keep the first entry, drop the cycle */
				q->head->next = NULL;
				q->tail = q->head;
			}
			break;
		}
	}
	spin_unlock_irqrestore(&q->lock, f);
	return n;
}

void smp_init_ipis(void)
{
	/* one lock class for every CPU's queue (they never nest): "call_queue.lock" */
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		spin_lock_init_named(&call_queue[cpu].lock, "call_queue.lock");
	irq_register_ipi(VEC_IPI_CALL, "IPI call-function", call_ipi);
	irq_register_ipi(VEC_IPI_KICK, "IPI work kick", kick_ipi);
}
