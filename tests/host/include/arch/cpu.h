/* arch/cpu.h (host harness) - CPU id is per thread; interrupts are a flag; so is irq context. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <kernel/compiler.h>
#include <x86intrin.h>

#define NR_CPUS 8

extern __thread unsigned int host_cpu_id;
extern __thread bool host_irqs_off;
extern __thread unsigned int host_irq_depth;	/* > 0: "in an interrupt handler" */

/*
 * The host's stand-in for an IPI (tests/host/support/host_smp.c): a call
 * posted to another thread's CPU sets that thread's host_ipi_pending
 * (written through a pointer the thread registered); the thread runs it
 * the next time it enables interrupts (or polls), as a CPU takes a
 * pending IPI the moment it executes sti/popf.
 */
extern __thread int host_ipi_pending;
void host_smp_poll(void);

static inline void host_irqs_on(void)
{
	host_irqs_off = false;
	if (__builtin_expect(__atomic_load_n(&host_ipi_pending, __ATOMIC_RELAXED), 0))
		host_smp_poll();
}

static inline unsigned int arch_cpu_id(void) { return host_cpu_id; }
static inline uint64_t arch_cycles(void) { return __rdtsc(); }
static inline void cpu_relax(void) { _mm_pause(); }
static inline unsigned long local_irq_save(void)
{ unsigned long f = host_irqs_off ? 0 : (1UL << 9); host_irqs_off = true; return f; }
static inline void local_irq_restore(unsigned long f) { if (f & (1UL << 9)) host_irqs_on(); }
static inline void local_irq_enable(void)  { host_irqs_on(); }
static inline void local_irq_disable(void) { host_irqs_off = true; }
static inline bool irqs_disabled(void) { return host_irqs_off; }
static inline unsigned int arch_irq_depth(void) { return host_irq_depth; }
/* A test plays an interrupt handler between these two (interrupts off inside). */
static inline void host_irq_enter(void) { host_irq_depth++; host_irqs_off = true; }
static inline void host_irq_exit(void) { if (!--host_irq_depth) host_irqs_off = false; }

#endif
