/*
 * cpu.c - CPU feature detection, the per-CPU areas, power off, and the
 * symbol table lookup used by backtraces.
 *
 * Each CPU's %gs base points at its struct percpu, whose first word is its
 * logical id (arch_cpu_id() is one %gs-relative load). The areas are one
 * static array, so any CPU can read another's (cpuinfo, IPI targets).
 */
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/cpu.h>
#include <kernel/printk.h>
#include <string.h>

struct cpu_features cpu_features;
struct percpu percpu_area[NR_CPUS];

/* Fill cpu_features from CPUID (@ext_edx: leaf 0x80000001 EDX from boot). */
void cpu_detect(uint32_t ext_edx)
{
	uint32_t a, b, c, d;
	cpuid(0, 0, &a, (uint32_t *)&cpu_features.vendor[0],
	      (uint32_t *)&cpu_features.vendor[8], (uint32_t *)&cpu_features.vendor[4]);
	cpu_features.vendor[12] = 0;
	cpuid(1, 0, &a, &b, &c, &d);
	cpu_features.x2apic = (c >> 21) & 1;
	cpu_features.tsc_deadline = (c >> 24) & 1;
	cpu_features.hypervisor = (c >> 31) & 1;
	cpu_features.nx = (ext_edx >> 20) & 1;
	cpu_features.gbpages = (ext_edx >> 26) & 1;
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000007) {
		cpuid(0x80000007, 0, &a, &b, &c, &d);
		cpu_features.invariant_tsc = (d >> 8) & 1;
	}
	if (cpu_features.hypervisor) {
		cpuid(0x40000000, 0, &a, (uint32_t *)&cpu_features.hypervisor_sig[0],
		      (uint32_t *)&cpu_features.hypervisor_sig[4],
		      (uint32_t *)&cpu_features.hypervisor_sig[8]);
		cpu_features.hypervisor_sig[12] = 0;
	}
}

/* Point %gs at CPU @cpu's per-CPU area (arch_cpu_id() reads %gs:0). */
void percpu_init_cpu(unsigned int cpu)
{
	percpu_area[cpu].cpu_id = cpu;
	percpu_area[cpu].self = &percpu_area[cpu];
	wrmsr(MSR_GS_BASE, (uint64_t)&percpu_area[cpu]);
}

/* The boot CPU is CPU 0; it is online from the first instruction. */
void percpu_init_boot_cpu(void)
{
	percpu_init_cpu(0);
	percpu_area[0].state = CPU_ONLINE;
	percpu_area[0].stack_top = (uint64_t)boot_stack_top;
}

/* Exit QEMU through isa-debug-exit: QEMU's status becomes (status << 1) | 1. */
void qemu_exit(int status)
{
	outl(0xf4, (uint32_t)status);
	outb(0xf4, (uint8_t)status);
	for (;;) {
		local_irq_disable();
		halt();
	}
}

/* Power off: ACPI S5, then isa-debug-exit (status 0), then halt. */
void machine_poweroff(void)
{
	printk("ballast: powering off\n");
	acpi_poweroff();
	outb(0xf4, 0);
	printk("ballast: power-off did not take effect; halted\n");
	for (;;) {
		local_irq_disable();
		halt();
	}
}

struct ksym { uint64_t addr; const char *name; };
extern const struct ksym __symtab_start[], __symtab_end[];

/* Name of the function containing @addr and the offset into it. */
const char *symbolize(uint64_t addr, uint64_t *offset)
{
	const struct ksym *lo = __symtab_start, *hi = __symtab_end;
	*offset = 0;
	if (lo == hi || addr < lo->addr)
		return "?";
	while (hi - lo > 1) {
		const struct ksym *mid = lo + (hi - lo) / 2;
		if (mid->addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (addr >= (uint64_t)_text_end)
		return "?";
	*offset = addr - lo->addr;
	return lo->name;
}
