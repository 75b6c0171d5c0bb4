/*
 * cmds_sys.c - shell commands about the machine: meminfo (Linux's MemTotal,
 * MemFree and MemAvailable first from show_meminfo_linux(), then the memory
 * map's view from e820_installed_ram() and e820_total(), then the page
 * allocator's own lines from show_meminfo()), memmap, cmdline, uptime,
 * poweroff (cpuinfo is in cmds_smp.c).
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/shell.h>
#include <kernel/lockdep.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <mm/e820.h>
#include <mm/memblock.h>
#include <mm/mm_show.h>
#include <string.h>

/* "12345 kB (12.1 MiB)" */
static void kb_line(const char *label, uint64_t bytes)
{
	printk("%-16s %10lu kB  (%lu.%01lu MiB)\n", label, bytes >> 10, bytes >> 20,
	       ((bytes & ((1 << 20) - 1)) * 10) >> 20);
}

static int cmd_meminfo(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	uint64_t usable = e820_total(mem_map, mem_map_n, E820_RAM);
	uint64_t installed = e820_installed_ram(mem_map, mem_map_n);
	show_meminfo_linux();
	kb_line("MemInstalled:", installed);
	kb_line("MemUsable:", usable);
	kb_line("MemReserved:", installed > usable ? installed - usable : 0);
	kb_line("KernelImage:", kernel_image_bytes());
	show_meminfo();
	return 0;
}
SHELL_COMMAND(meminfo, "meminfo", "Linux's MemTotal/MemFree/MemAvailable, RAM from the memory map, allocator figures", cmd_meminfo);

static int cmd_memmap(int argc, char **argv)
{
	bool raw = argc == 2 && !strcmp(argv[1], "raw");
	if (argc > 2 || (argc == 2 && !raw))
		return shell_usage_error(argv, "unknown argument '%s'", argv[1]);
	if (raw) {
		printk("firmware memory map as given (%d entries):\n", boot_info.nmap);
		e820_print(boot_info.map, boot_info.nmap);
	} else {
		printk("sanitized memory map (%d entries):\n", mem_map_n);
		e820_print(mem_map, mem_map_n);
		e820_report_print(&mem_map_report);
	}
	return 0;
}
SHELL_COMMAND(memmap, "memmap [raw]", "the sanitized memory map (raw: as the firmware gave it)", cmd_memmap);

static int cmd_cmdline(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	printk("%s\n", boot_info.cmdline);
	if (boot_info.cmdline_truncated)
		printk("(truncated from %zu bytes)\n", boot_info.cmdline_full_len);
	return 0;
}
SHELL_COMMAND(cmdline, "cmdline", "the kernel command line", cmd_cmdline);

static int cmd_uptime(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	uint64_t ns = uptime_ns();
	uint64_t ready_us = (boot_tsc_ready - boot_tsc_start) * 1000 / tsc_khz;
	printk("up %lu.%03lu s, %lu timer ticks at %u Hz; shell ready %lu.%03lu ms after kmain\n",
	       ns / 1000000000, (ns / 1000000) % 1000, ticks(), timer_hz,
	       ready_us / 1000, ready_us % 1000);
	return 0;
}
SHELL_COMMAND(uptime, "uptime", "time since boot", cmd_uptime);


static int cmd_lockdep(int argc, char **argv)
{
	struct lockdep_stats st;

	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	lockdep_print_state();
	lockdep_get_stats(&st);
	/* a report, or a checker that switched itself off, is a failed check */
	return st.reports || (st.disarmed_why && st.classes) ? 1 : 0;
}
SHELL_COMMAND(lockdep, "lockdep", "lock checker: classes, order edges, reports", cmd_lockdep);

static int cmd_poweroff(int argc, char **argv)
{
	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	machine_poweroff();
}
SHELL_COMMAND(poweroff, "poweroff", "power the machine off", cmd_poweroff);
