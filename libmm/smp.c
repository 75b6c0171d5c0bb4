/*
 * libmm/smp.c - <kernel/smp.h> for the library: which CPUs are online and
 * running a function on one of them, built on two platform hooks,
 * ballast_cpu_online() and ballast_call_on_cpu().
 *
 * The allocator uses these to make every CPU drain or resize its own
 * per-CPU lists (a CPU's lists are only ever touched by that CPU with
 * interrupts off). A call aimed at the running CPU never reaches the
 * platform: it runs here, directly, with interrupts off as the
 * cross-CPU call would run it, so a single-CPU platform's
 * ballast_call_on_cpu() is never asked to do anything and may just
 * return -ENXIO. Weak, like the printk glue: a kernel with its own
 * implementation of these names keeps it.
 */
#include <kernel/smp.h>
#include <ballast/platform.h>
#include <errno.h>

__attribute__((weak)) bool cpu_online(unsigned int cpu)
{
	return cpu < NR_CPUS && ballast_cpu_online(cpu);
}

__attribute__((weak)) unsigned int num_online_cpus(void)
{
	unsigned int cpu, n = 0;

	for_each_online_cpu(cpu)
		n++;
	return n;
}

__attribute__((weak)) int smp_call_function_single(unsigned int cpu, smp_call_func_t func,
						   void *info, bool wait)
{
	unsigned long flags;

	if (!cpu_online(cpu))
		return -ENXIO;
	flags = local_irq_save();
	if (cpu == arch_cpu_id()) {
		func(info);
		local_irq_restore(flags);
		return 0;
	}
	local_irq_restore(flags);
	/* interrupts back on: waiting for a CPU that waits for us must not deadlock */
	return ballast_call_on_cpu(cpu, func, info, wait);
}

__attribute__((weak)) void on_each_cpu(smp_call_func_t func, void *info, bool wait)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		smp_call_function_single(cpu, func, info, wait);
}
