/*
 * host_log.h - capture what printk() prints, for tests that assert on a
 * report's text (the cache and address in it, not just that one came).
 */
#ifndef HOST_LOG_H
#define HOST_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* Start (and clear) or stop capturing printk output; captured text is not printed. */
void host_log_capture(bool on);
/* Forget what was captured so far. */
void host_log_clear(void);
/* True if a captured line contains @needle; that line (no newline) into @line. */
bool host_log_find(const char *needle, char *line, size_t size);

#endif
