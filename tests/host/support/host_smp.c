/*
 * host_smp.c - <kernel/smp.h> for the host harness, threads standing in
 * for CPUs (see host_smp.h for the rules a test follows).
 *
 * Model: each CPU has a mailbox, a FIFO of pending calls guarded by a
 * small test-and-set lock of its own (not a kernel spinlock_t: taking one
 * of those with irqsave would re-enter the mailbox on release). Posting
 * a call appends it under the lock, but only while the CPU is online, and
 * sets the owning thread's host_ipi_pending (a thread-local flag, so the
 * check in local_irq_restore() is one load; the poster writes it through
 * the pointer the thread left in the mailbox when it registered). The owning thread takes the whole FIFO out under
 * the lock and runs the calls in order with interrupts off (host_irq_if 0), as an IPI
 * handler runs; host_irqs_on() re-enters only after the flag is back on.
 *
 * Completion: a waited-for call lives on the caller's stack and has a
 * done flag stored with release order after the function returned; the
 * caller spins on it with acquire loads and runs its own mailbox while it
 * waits (a real CPU waiting with interrupts on takes IPIs too; with them
 * off, Linux would warn - the host model is kinder and never deadlocks).
 * A call that is not waited for is heap-allocated and freed by the
 * thread that runs it.
 *
 * Going offline takes the mailbox lock, clears online and then runs what
 * is left, so every call posted before is run and none can be posted
 * after: a caller either sees -ENXIO or its call runs.
 */
#define _GNU_SOURCE	/* pthread_tryjoin_np */
#include "host_smp.h"
#include <kernel/smp.h>
#include <arch/cpu.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>

struct host_call {
	struct host_call *next;
	smp_call_func_t fn;
	void *info;
	int done;		/* release-stored after fn returned (waited calls) */
	bool heap;		/* free after running (calls not waited for) */
};

struct host_mbox {
	int lock;
	bool online;
	int *pending;		/* the owning thread's host_ipi_pending */
	struct host_call *head, *tail;
	unsigned long runs;
} __attribute__((aligned(64)));

__thread int host_ipi_pending;
static struct host_mbox mbox[NR_CPUS] = { [0] = { .online = true } };
static __thread bool in_poll;

/* The main thread is CPU 0 from the start: leave it its flag's address. */
__attribute__((constructor)) static void host_smp_init_cpu0(void)
{
	mbox[0].pending = &host_ipi_pending;
}

/* Take / release @m's mailbox lock (never held across a call). */
static void mbox_lock(struct host_mbox *m)
{
	while (__atomic_exchange_n(&m->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&m->lock, __ATOMIC_RELAXED))
			cpu_relax();
}

static void mbox_unlock(struct host_mbox *m)
{
	__atomic_store_n(&m->lock, 0, __ATOMIC_RELEASE);
}

bool host_smp_register(unsigned int cpu)
{
	struct host_mbox *m;
	bool ok;

	if (cpu >= NR_CPUS)
		return false;
	m = &mbox[cpu];
	mbox_lock(m);
	ok = !m->online;
	if (ok) {
		m->pending = &host_ipi_pending;
		__atomic_store_n(&m->online, true, __ATOMIC_RELEASE);
	}
	mbox_unlock(m);
	if (ok)
		host_cpu_id = cpu;
	return ok;
}

/* Run the calls of @list in order with interrupts off; frees heap ones. */
static void run_calls(struct host_call *c, struct host_mbox *m)
{
	unsigned long was = host_irq_if;

	host_irq_if = 0;
	while (c) {
		struct host_call *next = c->next;

		c->fn(c->info);
		__atomic_store_n(&m->runs, m->runs + 1, __ATOMIC_RELAXED);
		if (c->heap)
			free(c);
		else
			__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
		c = next;
	}
	host_irq_if = was;
}

void host_smp_poll(void)
{
	struct host_mbox *m = &mbox[host_cpu_id];
	struct host_call *list;

	if (in_poll)
		return;
	in_poll = true;
	for (;;) {
		mbox_lock(m);
		list = m->head;
		m->head = m->tail = NULL;
		__atomic_store_n(&host_ipi_pending, 0, __ATOMIC_RELAXED);
		mbox_unlock(m);
		if (!list)
			break;
		run_calls(list, m);
	}
	in_poll = false;
}

void host_smp_unregister(void)
{
	struct host_mbox *m = &mbox[host_cpu_id];

	mbox_lock(m);
	__atomic_store_n(&m->online, false, __ATOMIC_RELEASE);
	mbox_unlock(m);
	host_smp_poll();	/* what was posted before going offline still runs */
}

unsigned int num_online_cpus(void)
{
	unsigned int n = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		n += cpu_online(cpu);
	return n;
}

bool cpu_online(unsigned int cpu)
{
	return cpu < NR_CPUS && __atomic_load_n(&mbox[cpu].online, __ATOMIC_ACQUIRE);
}

/* Append @c to @cpu's mailbox; -ENXIO if @cpu is offline. */
static int post_call(unsigned int cpu, struct host_call *c)
{
	struct host_mbox *m = &mbox[cpu];

	c->next = NULL;
	mbox_lock(m);
	if (!m->online) {
		mbox_unlock(m);
		return -ENXIO;
	}
	if (m->tail)
		m->tail->next = c;
	else
		m->head = c;
	m->tail = c;
	__atomic_store_n(m->pending, 1, __ATOMIC_RELAXED);
	mbox_unlock(m);
	return 0;
}

/* Spin until @c ran, running this CPU's own mailbox meanwhile. */
static void wait_call(struct host_call *c)
{
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE)) {
		host_smp_poll();
		cpu_relax();
	}
}

/* Run @func(@info) here with interrupts off, as an IPI handler would. */
static void call_local(smp_call_func_t func, void *info)
{
	unsigned long f = local_irq_save();

	func(info);
	local_irq_restore(f);
}

int smp_call_function_single(unsigned int cpu, smp_call_func_t func, void *info, bool wait)
{
	struct host_call local, *c = &local;
	int err;

	if (!cpu_online(cpu))
		return -ENXIO;
	if (cpu == host_cpu_id) {
		call_local(func, info);
		return 0;
	}
	if (!wait) {
		c = malloc(sizeof(*c));
		if (!c)
			return -ENOMEM;
	}
	*c = (struct host_call){ .fn = func, .info = info, .heap = !wait };
	err = post_call(cpu, c);
	if (err) {
		if (!wait)
			free(c);
		return err;
	}
	if (wait)
		wait_call(c);
	return 0;
}

void on_each_cpu(smp_call_func_t func, void *info, bool wait)
{
	struct host_call calls[NR_CPUS];
	bool posted[NR_CPUS] = { false };

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (cpu == host_cpu_id || !cpu_online(cpu))
			continue;
		if (!wait) {
			smp_call_function_single(cpu, func, info, false);
			continue;
		}
		calls[cpu] = (struct host_call){ .fn = func, .info = info };
		posted[cpu] = post_call(cpu, &calls[cpu]) == 0;
	}
	if (cpu_online(host_cpu_id))
		call_local(func, info);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if (posted[cpu])
			wait_call(&calls[cpu]);
}

void host_smp_barrier_init(struct host_smp_barrier *b, unsigned int n)
{
	b->n = n;
	b->arrived = 0;
	b->generation = 0;
}

void host_smp_barrier_wait(struct host_smp_barrier *b)
{
	unsigned int gen = __atomic_load_n(&b->generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == b->n) {
		__atomic_store_n(&b->arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&b->generation, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&b->generation, __ATOMIC_ACQUIRE) == gen) {
		host_smp_poll();
		cpu_relax();
	}
}

int host_smp_join(pthread_t t, void **ret)
{
	int err;

	while ((err = pthread_tryjoin_np(t, ret)) == EBUSY)
		host_smp_poll();
	return err;
}

unsigned long host_smp_calls_run(unsigned int cpu)
{
	return cpu < NR_CPUS ? __atomic_load_n(&mbox[cpu].runs, __ATOMIC_RELAXED) : 0;
}
