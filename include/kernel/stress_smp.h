/*
 * stress_smp.h - run the mixed workload (workloads/stress.c) on every
 * online CPU at once, in the kernel: the calling CPU's share inline, every
 * other CPU's as a work item queued on that CPU (work_queue_on()). Used by
 * the `stress` shell command and the ktest suite tests/kernel/test_stress.c.
 */
#ifndef KERNEL_STRESS_SMP_H
#define KERNEL_STRESS_SMP_H

#include <workloads/stress.h>

/*
 * Run @ctx (stress_init()ed; limits set) on every online CPU until its
 * deadline / op budget, then stress_finish() it. While the other CPUs'
 * shares run, the calling CPU keeps its own work loop turning (the
 * balloon and the other devices' work items). Returns the number of
 * problems stress_finish() found, or -errno if the run could not start.
 */
long stress_run_all_cpus(struct stress_ctx *ctx);

#endif
