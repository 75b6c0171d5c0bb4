/*
 * printk.c - console output and the fatal paths: printk(), panic(),
 * warn_report(), kernel_fatal(). Formatting uses newlib's vsnprintf into a
 * bounded buffer, then the serial console; nothing here allocates, so a
 * message can be printed from anywhere, including a dying kernel.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/app.h>
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
	if (app_running)
		qemu_exit(APP_EXIT_CRASH);
	for (;;)
		halt();
}

void panic(const char *fmt, ...)
{
	static bool in_panic;
	char buf[256];
	va_list ap;
	local_irq_disable();
	if (in_panic)
		kernel_fatal("panic while panicking");
	in_panic = true;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk("\n*** PANIC on CPU %u: %s\n", arch_cpu_id(), buf);
	backtrace_from((uint64_t)__builtin_frame_address(0), (uint64_t)&&here);
here:
	kernel_fatal("panic");
}

void warn_report(const char *file, int line, const char *cond)
{
	printk("WARNING at %s:%d: %s\n", file, line, cond);
	backtrace_from((uint64_t)__builtin_frame_address(0), (uint64_t)&&here);
here:
	return;
}
