/*
 * host_env.c - what the kernel provides to mm/ code, provided on the host:
 * panic(), warn_report(), printk(), the per-thread CPU id, and the base
 * of the buffer that plays physical memory. printk() output can be
 * captured into a buffer for a test to search (host_log.h).
 */
#include <kernel/bug.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <arch/page.h>
#include "host_log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uintptr_t host_phys_base;
__thread unsigned int host_cpu_id;
__thread unsigned long host_irq_if = HOST_IRQ_IF;	/* threads start with interrupts on */
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

static char host_log_buf[1 << 16];
static size_t host_log_len;
static bool host_log_on;

void host_log_capture(bool on) { host_log_on = on; host_log_len = 0; host_log_buf[0] = 0; }
void host_log_clear(void) { host_log_len = 0; host_log_buf[0] = 0; }

bool host_log_find(const char *needle, char *line, size_t size)
{
	const char *hit = strstr(host_log_buf, needle), *start, *end;

	if (!hit)
		return false;
	for (start = hit; start > host_log_buf && start[-1] != '\n'; start--)
		;
	end = strchr(hit, '\n');
	if (!end)
		end = host_log_buf + host_log_len;
	snprintf(line, size, "%.*s", (int)(end - start), start);
	return true;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;
	if (host_log_on) {
		va_start(ap, fmt);
		n = vsnprintf(host_log_buf + host_log_len, sizeof(host_log_buf) - host_log_len, fmt, ap);
		va_end(ap);
		if (n > 0)
			host_log_len = MIN(host_log_len + (size_t)n, sizeof(host_log_buf) - 1);
		return n;
	}
	if (host_quiet)
		return 0;
	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}
