/*
 * ballast/cpus.h - run work on other CPUs (include/kernel/smp.h beneath).
 *
 *   ballast_num_cpus()                   CPUs online (SMP=, 2 for make run)
 *   ballast_cpu_id()                     the calling CPU
 *   ballast_run_on_cpu(cpu, fn, arg, w)  fn(arg) on @cpu; wait for it when
 *                                        @w; 0 or -ENXIO (@cpu offline)
 *   ballast_run_on_all(fn, arg, w)       fn(arg) on every online CPU, this
 *                                        one included
 * @fn runs with interrupts off on the target CPU: keep it short, do not
 * allocate with BALLAST_PAGES_WAIT there.
 */
#ifndef BALLAST_CPUS_H
#define BALLAST_CPUS_H

#include <stdbool.h>

unsigned int ballast_num_cpus(void);
unsigned int ballast_cpu_id(void);
int ballast_run_on_cpu(unsigned int cpu, void (*fn)(void *arg), void *arg, bool wait);
void ballast_run_on_all(void (*fn)(void *arg), void *arg, bool wait);

#endif
