/*
 * printk.c - console output and the fatal paths: printk(), panic(),
 * warn_report(), kernel_fatal(). Formatting uses newlib's vsnprintf into a
 * bounded buffer, then the serial console; nothing here allocates, so a
 * message can be printed from anywhere, including a dying kernel. panic()
 * also stops the other CPUs (arch/x86_64/smpboot.c, NMI).
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <stdarg.h>
#include <stdio.h>

bool kernel_test_mode;

/* Print a formatted message on the console; returns the bytes printed. */
int printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	serial_write(buf, (size_t)n);
	return n;
}

/* Stop: in test mode exit QEMU with the "crashed" status, else halt. */
void kernel_fatal(const char *why)
{
	local_irq_disable();
	printk("ballast: stopped: %s\n", why);
	if (kernel_test_mode)
		qemu_exit(0x12);
	for (;;)
		halt();
}

/*
 * panic(): one CPU wins (a compare-and-swap on panic_cpu) and prints the
 * message and its backtrace, then stops every other CPU with an NMI (each
 * prints its own backtrace, one at a time) and stops. A CPU that panics
 * while another CPU's panic runs leaves its message for its NMI report and
 * waits, interrupts off, for that NMI; a panic inside the winner's panic
 * stops at once.
 */
void panic(const char *fmt, ...)
{
	static int panic_cpu = -1;
	int me = (int)arch_cpu_id(), owner = -1;
	char buf[256];
	va_list ap;

	local_irq_disable();
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!__atomic_compare_exchange_n(&panic_cpu, &owner, me, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (owner == me)
			kernel_fatal("panic while panicking");
		smp_note_losing_panic(buf);
		for (;;)
			halt();         /* the winner's NMI reports this CPU */
	}
	printk("\n*** PANIC on CPU %u: %s\n", arch_cpu_id(), buf);
	backtrace_from((uint64_t)__builtin_frame_address(0), (uint64_t)&&here);
here:
	smp_stop_other_cpus();
	kernel_fatal("panic");
}

void warn_report(const char *file, int line, const char *cond)
{
	printk("WARNING at %s:%d: %s\n", file, line, cond);
	backtrace_from((uint64_t)__builtin_frame_address(0), (uint64_t)&&here);
here:
	return;
}
