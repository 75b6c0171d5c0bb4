/*
 * arch/cpu.h (library build) - the CPU id, cycle counter and interrupt
 * state that mm/ asks <arch/cpu.h> for, mapped one to one onto the
 * platform hooks of <ballast/platform.h>. Nothing else lives here: the
 * spinlocks (<arch/spinlock.h>) are built on local_irq_save/restore and
 * cpu_relax below, so a lock checker or lock classes added to them need
 * nothing from this file. NR_CPUS is fixed when the library is built
 * (make lib LIB_NR_CPUS=n) and recorded in <ballast/config.h>.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <kernel/compiler.h>
#include <ballast/platform.h>

#define NR_CPUS BALLAST_NR_CPUS

static inline unsigned int arch_cpu_id(void) { return ballast_cpu_id(); }
static inline uint64_t arch_cycles(void) { return ballast_cycles(); }
static inline void cpu_relax(void) { ballast_cpu_relax(); }
static inline unsigned long local_irq_save(void) { return ballast_irq_save(); }
static inline void local_irq_restore(unsigned long f) { ballast_irq_restore(f); }
static inline bool irqs_disabled(void) { return ballast_irqs_disabled(); }

#endif
