/*
 * printk.h - kernel messages. pr_*() print one line with a level prefix;
 * in the kernel they go to the serial console through newlib's printf, on
 * the host to stdout. Portable code uses only these.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <kernel/compiler.h>

__printf(1, 2) int printk(const char *fmt, ...);

/*
 * The console log ring (kernel/printk.c): every console byte is also kept
 * in log_buf[log_buf_pos % LOG_BUF_LEN]; log_buf_pos counts all bytes ever
 * written. Dump tools find both through VMCOREINFO.
 */
#define LOG_BUF_LEN	(64 * 1024)
extern char log_buf[LOG_BUF_LEN];
extern uint64_t log_buf_pos;

/* Write @n bytes to the console (log ring + serial port). */
void console_write(const char *s, size_t n);
/* Append @n bytes to the log ring only. */
void log_buf_write(const char *s, size_t n);
/* Pass the ring's surviving history, oldest first, to @out; returns its length. */
uint64_t log_buf_show(void (*out)(const char *s, size_t n));

#define pr_err(fmt, ...)   printk("error: " fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)  printk("warning: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  printk(fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { if (0) printk(fmt, ##__VA_ARGS__); } while (0)

#endif
