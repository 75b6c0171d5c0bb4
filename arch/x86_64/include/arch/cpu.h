/* arch/cpu.h (x86_64 kernel) - CPU id, cycle counter, interrupt flag. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <kernel/compiler.h>

#define NR_CPUS 8

/* Index of the running CPU, 0..NR_CPUS-1 (per-CPU area in %gs). */
static inline unsigned int arch_cpu_id(void)
{
	unsigned int id;
	__asm__ __volatile__("movl %%gs:0, %0" : "=r"(id));
	return id;
}

/* Time stamp counter. */
static inline uint64_t arch_cycles(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

/* Disable interrupts and return the previous state for local_irq_restore(). */
static inline unsigned long local_irq_save(void)
{
	unsigned long f;
	__asm__ __volatile__("pushfq; popq %0; cli" : "=r"(f) :: "memory");
	return f;
}

static inline void local_irq_restore(unsigned long f)
{
	if (f & (1UL << 9))
		__asm__ __volatile__("sti" ::: "memory");
}

static inline void local_irq_enable(void)  { __asm__ __volatile__("sti" ::: "memory"); }
static inline void local_irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
/* Interrupt handlers running on each CPU (nesting), kept by interrupt_dispatch(). */
extern unsigned int hardirq_depth[NR_CPUS];
static inline unsigned int arch_irq_depth(void) { return hardirq_depth[arch_cpu_id()]; }

static inline bool irqs_disabled(void)
{
	unsigned long f;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(f));
	return !(f & (1UL << 9));
}

#endif
