/*
 * arch/cpu.h (host harness) - CPU id is per thread; interrupts are a flag;
 * so is irq context.
 *
 * The interrupt flag is kept as the value local_irq_save() returns, the
 * x86 RFLAGS.IF bit (1 << 9) when interrupts are on and 0 when they are
 * off, so that save is one load and one store and restore one test; a
 * saved value keeps its x86 meaning for callers that read it (lockdep).
 * The benchmark (make bench-host) runs the allocator through these, so
 * they are kept as short as a CPU's pushf/cli/popf sequence in effect.
 */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <kernel/compiler.h>
#include <x86intrin.h>

#define NR_CPUS 8

extern __thread unsigned int host_cpu_id;
#define HOST_IRQ_IF	(1UL << 9)
extern __thread unsigned long host_irq_if;	/* HOST_IRQ_IF: interrupts on; 0: off */
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
	host_irq_if = HOST_IRQ_IF;
	if (__builtin_expect(__atomic_load_n(&host_ipi_pending, __ATOMIC_RELAXED), 0))
		host_smp_poll();
}

static inline unsigned int arch_cpu_id(void) { return host_cpu_id; }
static inline uint64_t arch_cycles(void) { return __rdtsc(); }
static inline void cpu_relax(void) { _mm_pause(); }
static inline unsigned long local_irq_save(void)
{ unsigned long f = host_irq_if; host_irq_if = 0; return f; }
static inline void local_irq_restore(unsigned long f) { if (f) host_irqs_on(); }
static inline void local_irq_enable(void)  { host_irqs_on(); }
static inline void local_irq_disable(void) { host_irq_if = 0; }
static inline bool irqs_disabled(void) { return !host_irq_if; }
static inline unsigned int arch_irq_depth(void) { return host_irq_depth; }
/* A test plays an interrupt handler between these two (interrupts off inside). */
static inline void host_irq_enter(void) { host_irq_depth++; host_irq_if = 0; }
static inline void host_irq_exit(void) { if (!--host_irq_depth) host_irq_if = HOST_IRQ_IF; }

#endif
