/*
 * printk.c - console output and the fatal paths: printk(), panic(),
 * warn_report(), kernel_fatal(). Formatting uses newlib's vsnprintf into a
 * bounded buffer, then the console (console_write(): the log ring and the
 * serial port, under the console lock, one message at a time across CPUs);
 * nothing here allocates, so a message can be printed from anywhere,
 * including a dying kernel. panic()
 * also stops the other CPUs (arch/x86_64/smpboot.c, NMI).
 *
 * The log ring. Every byte the console is given (printk, newlib's stdout,
 * the shell's echo: all go through console_write()) is also copied into
 * log_buf, a LOG_BUF_LEN-byte ring (a power of two) in .bss, so a memory
 * dump carries the console history up to the crash. log_buf_pos counts
 * every byte ever written: byte i of the history sits at log_buf[i %
 * LOG_BUF_LEN], and once log_buf_pos exceeds LOG_BUF_LEN only the last
 * LOG_BUF_LEN bytes survive. A writer reserves its bytes with one atomic
 * add on log_buf_pos and then copies them, so concurrent writers never
 * share a byte; a reader (dmesg, or a dump tool) may see the last few
 * bytes of a message still being copied. The ring stores the text as
 * printed, '\n' line ends (the serial console's '\r' is not logged). Its
 * address, length and the position's address are published in VMCOREINFO
 * (kernel/vmcoreinfo.c) as SYMBOL(ballast_log_buf), NUMBER(ballast_log_buf_len)
 * and SYMBOL(ballast_log_buf_pos).
 *
 * The console lock: one CPU writes a message at a time, so messages from
 * several CPUs come out whole, one after another, never mixed mid-line.
 * It is a word holding the owner's CPU id + 1 (0: free), taken with
 * interrupts off around the write only (console_write), not a spinlock_t:
 * the lock checker reports through printk and must not see it. It can never
 * deadlock a dying kernel:
 *  - the owner printing again (an NMI or exception taken inside printk, on
 *    the same CPU) writes at once, without the lock;
 *  - a waiter takes the lock by force after CONSOLE_WAIT_MS (1 s; during a
 *    panic CONSOLE_PANIC_WAIT_MS, 20 ms): the owner may have been stopped
 *    by the panic NMI in the middle of a message and will never release it.
 *    A forced take is counted (console_forced) and may mix one message.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/app.h>
#include <kernel/bug.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <drivers/pvpanic.h>
#include <stdarg.h>
#include <stdio.h>

bool kernel_test_mode;

#define CONSOLE_WAIT_MS         1000
#define CONSOLE_PANIC_WAIT_MS   20

static uint32_t console_owner;          /* CPU id + 1 of the writer; 0: free */
static volatile bool console_panic;     /* a panic runs: waiters give up sooner */
uint32_t console_forced;                /* locks taken by force (the owner never let go) */

/* Take the console lock (interrupts off); false if this CPU already holds it. */
static bool console_lock(void)
{
	uint32_t me = arch_cpu_id() + 1, owner = 0;
	uint64_t t0 = arch_cycles(), khz = tsc_khz ? tsc_khz : 1000000;

	if (__atomic_load_n(&console_owner, __ATOMIC_RELAXED) == me)
		return false;           /* nested in our own message (NMI, fault) */
	while (!__atomic_compare_exchange_n(&console_owner, &owner, me, false,
					    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		uint64_t limit = (console_panic ? CONSOLE_PANIC_WAIT_MS : CONSOLE_WAIT_MS) * khz;

		if (arch_cycles() - t0 > limit) {
			__atomic_store_n(&console_owner, me, __ATOMIC_SEQ_CST);
			console_forced++;
			return true;
		}
		cpu_relax();
		owner = 0;
	}
	return true;
}

char log_buf[LOG_BUF_LEN] __aligned(64);
uint64_t log_buf_pos;
_Static_assert((LOG_BUF_LEN & (LOG_BUF_LEN - 1)) == 0, "LOG_BUF_LEN must be a power of two");

/* Append @n bytes of @s to the log ring (never blocks, never fails). */
void log_buf_write(const char *s, size_t n)
{
	uint64_t pos = __atomic_fetch_add(&log_buf_pos, n, __ATOMIC_RELAXED);

	if (n > LOG_BUF_LEN) {		/* only the tail of @s can survive */
		pos += n - LOG_BUF_LEN;
		s += n - LOG_BUF_LEN;
		n = LOG_BUF_LEN;
	}
	for (size_t i = 0; i < n; i++)
		log_buf[(pos + i) & (LOG_BUF_LEN - 1)] = s[i];
}

/* Copy the ring's surviving history, oldest byte first, to @out (the serial
 * console only, not the ring itself); returns the bytes shown. */
uint64_t log_buf_show(void (*out)(const char *s, size_t n))
{
	uint64_t end = READ_ONCE(log_buf_pos);
	uint64_t start = end > LOG_BUF_LEN ? end - LOG_BUF_LEN : 0;
	uint64_t i = start;

	while (i < end) {
		uint64_t off = i & (LOG_BUF_LEN - 1);
		uint64_t chunk = LOG_BUF_LEN - off;

		if (chunk > end - i)
			chunk = end - i;
		out(&log_buf[off], (size_t)chunk);
		i += chunk;
	}
	return end - start;
}

/* Write @n bytes of one message to the console: the log ring, then the
 * serial port, as one unit under the console lock (interrupts off). */
void console_write(const char *s, size_t n)
{
	unsigned long f = local_irq_save();
	bool locked = console_lock();
	uint32_t me = arch_cpu_id() + 1;

	log_buf_write(s, n);
	serial_write(s, n);
	if (locked)     /* not if another CPU took it by force meanwhile */
		__atomic_compare_exchange_n(&console_owner, &me, 0, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	local_irq_restore(f);
}

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
	console_write(buf, (size_t)n);
	return n;
}

/*
 * Tell the host, once the message (and backtrace) are in the log ring: a
 * full barrier so every CPU's ring bytes are in memory, then the pvpanic
 * device (drivers/misc/pvpanic.c), so QEMU raises GUEST_PANICKED and, with
 * -action panic=pause, holds the guest for dump-guest-memory.
 */
static void panic_notify_host(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pvpanic_notify();
}

/* Stop: tell the host (pvpanic), then in test mode exit QEMU with the
 * "crashed" status, else halt. panic() and unhandled CPU exceptions end here. */
void kernel_fatal(const char *why)
{
	local_irq_disable();
	printk("ballast: stopped: %s\n", why);
	panic_notify_host();
	if (kernel_test_mode)
		qemu_exit(0x12);
	if (app_running)
		qemu_exit(APP_EXIT_CRASH);
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
	console_panic = true;
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
