/*
 * smp.c - the uniprocessor implementation of <kernel/smp.h>.
 *
 * Until the other CPUs are started (arch/x86_64 SMP bring-up), only the
 * boot CPU is online: a call "on another CPU" can only target CPU 0 and
 * runs directly, with interrupts off as an IPI handler would run it.
 */
#include <kernel/smp.h>
#include <errno.h>

unsigned int num_online_cpus(void) { return 1; }

bool cpu_online(unsigned int cpu) { return cpu == 0; }

int smp_call_function_single(unsigned int cpu, smp_call_func_t func, void *info, bool wait)
{
	unsigned long flags;

	(void)wait;
	if (!cpu_online(cpu))
		return -ENXIO;
	flags = local_irq_save();
	func(info);
	local_irq_restore(flags);
	return 0;
}

void on_each_cpu(smp_call_func_t func, void *info, bool wait)
{
	smp_call_function_single(0, func, info, wait);
}
