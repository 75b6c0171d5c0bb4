/*
 * printk.c - console output and the fatal paths: printk(), panic(),
 * warn_report(), kernel_fatal(). Formatting uses newlib's vsnprintf into a
 * bounded buffer, then the serial console under the console lock (one
 * message at a time across CPUs); nothing here allocates, so a message can
 * be printed from anywhere, including a dying kernel.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/spinlock.h>
#include <stdarg.h>
#include <stdio.h>

bool kernel_test_mode;

/*
 * The console lock: one message at a time on the serial line, so the
 * lines of two CPUs never interleave mid-line. A bare arch spinlock, not a
 * checked one: printk runs under every lock, in interrupt handlers and
 * inside the lock checker's own reports. It is taken with interrupts off.
 * A CPU that faults while printing (its exception report prints) owns the
 * lock already and goes on without it; a waiter gives up after a bounded
 * spin (~2^27 tries, well over a second) and prints anyway, so a CPU that
 * stopped while holding it cannot silence a panic.
 */
static arch_spinlock_t console_lock = ARCH_SPINLOCK_INIT;
static unsigned int console_owner = ~0u;

/* Take the console; false if printing without it (nested or timed out). */
static bool console_lock_take(void)
{
	unsigned int cpu = arch_cpu_id();

	if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == cpu)
		return false;
	for (unsigned long spins = 0; !arch_spin_trylock(&console_lock); spins++) {
		if (spins >= (1UL << 27))
			return false;
		cpu_relax();
	}
	__atomic_store_n(&console_owner, cpu, __ATOMIC_RELAXED);
	return true;
}

static void console_lock_drop(void)
{
	__atomic_store_n(&console_owner, ~0u, __ATOMIC_RELAXED);
	arch_spin_unlock(&console_lock);
}

/* Print a formatted message on the console; returns the bytes printed. */
int printk(const char *fmt, ...)
{
	char buf[512];
	unsigned long flags;
	bool locked;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	flags = local_irq_save();
	locked = console_lock_take();
	serial_write(buf, (size_t)n);
	if (locked)
		console_lock_drop();
	local_irq_restore(flags);
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
