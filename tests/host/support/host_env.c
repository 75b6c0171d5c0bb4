/*
 * host_env.c - what the kernel provides to mm/ code, provided on the host:
 * panic(), warn_report(), printk(), the per-thread CPU id, and the base
 * of the buffer that plays physical memory.
 */
#include <kernel/bug.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <arch/page.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

uintptr_t host_phys_base;
__thread unsigned int host_cpu_id;
__thread bool host_irqs_off;
__thread unsigned int host_irq_depth;
int host_quiet;           /* tests set this to silence expected messages */
unsigned long host_warn_count;

void panic(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "PANIC: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

void warn_report(const char *file, int line, const char *cond)
{
	host_warn_count++;
	if (!host_quiet)
		fprintf(stderr, "WARNING at %s:%d: %s\n", file, line, cond);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;
	if (host_quiet)
		return 0;
	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
