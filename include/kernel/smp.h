/*
 * smp.h - which CPUs run, and running a function on another CPU.
 *
 * CPU numbers are dense logical ids 0..NR_CPUS-1 (arch_cpu_id() returns
 * the running CPU's); CPU 0 is the boot CPU. A CPU is online from the
 * moment it runs its work loop until the machine stops; Ballast does not
 * offline CPUs. The kernel implementation is in kernel/smp.c, the host
 * harness (threads standing in for CPUs) has its own in tests/host/support.
 *
 * smp_call_function_single() runs @func(@info) on @cpu with interrupts
 * off (from the call-function IPI on another CPU, directly on the calling
 * one). With @wait it returns after @func returned. @func must be short
 * and must not sleep or wait for another CPU; long work goes on a CPU's
 * work loop instead (work_queue_on() in <kernel/work.h>).
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <kernel/compiler.h>
#include <arch/cpu.h>

typedef void (*smp_call_func_t)(void *info);

/* Number of CPUs online now (1 until the other CPUs are started). */
unsigned int num_online_cpus(void);
/* True if @cpu runs its work loop. */
bool cpu_online(unsigned int cpu);

#define for_each_online_cpu(cpu) \
	for ((cpu) = 0; (cpu) < NR_CPUS; (cpu)++) \
		if (!cpu_online(cpu)) {} else

/* Run @func(@info) on @cpu; -ENXIO if @cpu is not online. */
int smp_call_function_single(unsigned int cpu, smp_call_func_t func, void *info, bool wait);
/* Run @func(@info) on every online CPU, the calling one included. */
void on_each_cpu(smp_call_func_t func, void *info, bool wait);

/*
 * Tests only: entries waiting on @cpu's call queue, or -ELOOP if the
 * queue is cyclic (a slot queued twice; @repair cuts it after the head).
 */
int smp_call_queue_check(unsigned int cpu, bool repair);
/* Tests only: called by a caller between finding its slot free and filling it. */
extern void (*smp_call_window_hook)(void);

#endif
