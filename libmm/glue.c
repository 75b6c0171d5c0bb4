/*
 * libmm/glue.c - the three kernel calls mm/ makes (printk, panic,
 * warn_report; <kernel/printk.h>, <kernel/bug.h>) built on the platform's
 * ballast_log() and ballast_panic().
 *
 * Messages are formatted with vsnprintf into a buffer on the stack (mm
 * prints with locks held and interrupts off, so there is no allocation
 * and no shared buffer to lock); a message longer than the buffer is cut
 * and ends in "...\n". The definitions are weak: a kernel that already
 * has printk() and panic() with these signatures keeps its own, and the
 * library's messages go there instead.
 */
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <ballast/platform.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GLUE_MSG_MAX 256

/* Format @fmt/@ap into @buf (GLUE_MSG_MAX bytes); returns the length kept. */
static size_t glue_format(char *buf, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, GLUE_MSG_MAX, fmt, ap);

	if (n < 0)
		return 0;
	if (n >= GLUE_MSG_MAX) {
		memcpy(buf + GLUE_MSG_MAX - 5, "...\n", 5);
		return GLUE_MSG_MAX - 1;
	}
	return (size_t)n;
}

__attribute__((weak)) int printk(const char *fmt, ...)
{
	char buf[GLUE_MSG_MAX];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = glue_format(buf, fmt, ap);
	va_end(ap);
	ballast_log(buf, n);
	return (int)n;
}

__attribute__((weak)) void panic(const char *fmt, ...)
{
	char buf[GLUE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	glue_format(buf, fmt, ap);
	va_end(ap);
	ballast_panic(buf);
}

__attribute__((weak)) void warn_report(const char *file, int line, const char *cond)
{
	printk("WARNING at %s:%d: %s\n", file, line, cond);
}
