/*
 * host_smp.h - <kernel/smp.h> for the host harness: threads are CPUs.
 *
 * A thread becomes CPU n with host_smp_register(n) (arch_cpu_id() is n
 * from then on, and cpu_online(n) is true) and stops being one with
 * host_smp_unregister(). The main thread is CPU 0 and online from the
 * start, so single-threaded tests see one CPU as before.
 *
 * Calls to another CPU (smp_call_function_single, on_each_cpu) are posted
 * to that CPU's mailbox and run by its thread, with interrupts "off", the
 * next time it enables interrupts (local_irq_restore/local_irq_enable) or
 * calls host_smp_poll(): the points where a real CPU would take the IPI.
 * A caller that waits for a call services its own mailbox meanwhile, so
 * two CPUs calling each other do not deadlock.
 *
 * The rules this model adds: a registered thread must not block for long
 * without polling (a drain of its per-CPU lists would wait for it); block
 * with host_smp_barrier() / host_smp_join(), or unregister first. Every
 * thread that allocates is registered (the per-CPU lists and vmstat rows
 * are indexed by CPU and have no lock). The lists of a CPU that is not
 * online belong to nobody and drain_all_pages() empties them directly, so
 * a thread takes a CPU number that was used before only while no other
 * thread drains (in practice: register at the start of the test).
 */
#ifndef HOST_SMP_H
#define HOST_SMP_H

#include <kernel/smp.h>
#include <pthread.h>

/* Make the calling thread CPU @cpu (must be offline); false if it is taken. */
bool host_smp_register(unsigned int cpu);
/* Take the calling thread's CPU offline after running what its mailbox holds. */
void host_smp_unregister(void);
/* Run every call posted to this CPU (interrupts off while each runs). */
void host_smp_poll(void);

/* A spinning barrier for @n threads that keeps servicing the mailbox. */
struct host_smp_barrier {
	unsigned int n;
	unsigned int arrived;
	unsigned int generation;
};
void host_smp_barrier_init(struct host_smp_barrier *b, unsigned int n);
void host_smp_barrier_wait(struct host_smp_barrier *b);
/* pthread_join() that keeps servicing the calling CPU's mailbox. */
int host_smp_join(pthread_t t, void **ret);

/* Calls run on this CPU from its mailbox since the program started (tests). */
unsigned long host_smp_calls_run(unsigned int cpu);

#endif
