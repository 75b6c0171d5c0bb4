/*
 * printk.h - kernel messages. pr_*() print one line with a level prefix;
 * in the kernel they go to the serial console through newlib's printf, on
 * the host to stdout. Portable code uses only these.
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <kernel/compiler.h>

__printf(1, 2) int printk(const char *fmt, ...);
/* Write @n bytes to the console as one message (not mixed with other CPUs' output). */
void console_emit(const char *buf, size_t n);

#define pr_err(fmt, ...)   printk("error: " fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)  printk("warning: " fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  printk(fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { if (0) printk(fmt, ##__VA_ARGS__); } while (0)

#endif
