/*
 * cmds_dump.c - shell commands for post-mortem work: `vmcoreinfo` (the
 * note a dump tool reads, as text), `dmesg` (the console log ring) and
 * `panic TEXT confirm` (a deliberate panic, to test the path from panic
 * through pvpanic to a dump on the host).
 *
 * `panic` is guarded: without the final word `confirm` it says what it
 * would do and does nothing, so a stray line in a script cannot kill the
 * guest. dmesg writes the ring straight to the serial port, not through
 * printk, so showing the log does not append the log to itself.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/shell.h>
#include <kernel/vmcoreinfo.h>
#include <drivers/pvpanic.h>
#include <arch/x86.h>
#include <kernel/bug.h>
#include <stdio.h>
#include <string.h>

static int cmd_vmcoreinfo(int argc, char **argv)
{
	size_t len;
	const char *text;

	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	text = vmcoreinfo_text(&len);
	console_write(text, len);
	printk("(%zu bytes; %s)\n", len, vmcoreinfo_announced() ?
	       "announced to QEMU through fw_cfg etc/vmcoreinfo" :
	       "not announced: QEMU has no -device vmcoreinfo or no fw_cfg DMA");
	return 0;
}
SHELL_COMMAND(vmcoreinfo, "vmcoreinfo", "the VMCOREINFO note a dump tool reads (docs/vmcoreinfo.md)",
	      cmd_vmcoreinfo);

static int cmd_dmesg(int argc, char **argv)
{
	uint64_t shown;

	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	shown = log_buf_show(serial_write);
	printk("\n(dmesg: %lu of %lu bytes ever logged; the ring holds %u)\n",
	       (unsigned long)shown, (unsigned long)READ_ONCE(log_buf_pos), LOG_BUF_LEN);
	return 0;
}
SHELL_COMMAND(dmesg, "dmesg", "the console log ring (what a dump's `log` shows)", cmd_dmesg);

static int cmd_panic(int argc, char **argv)
{
	char text[200];
	size_t n = 0;

	if (argc < 3 || strcmp(argv[argc - 1], "confirm")) {
		printk("panic: would stop this guest with panic(\"TEXT\"): the message and a backtrace\n"
		       "go to the console and the log ring, %s\n"
		       "Nothing done; type `panic TEXT confirm` to do it.\n",
		       pvpanic_events() ? "pvpanic tells QEMU (GUEST_PANICKED), and the CPU halts." :
		       "and the CPU halts (no pvpanic device: QEMU is not told).");
		return 1;
	}
	text[0] = '\0';
	for (int i = 1; i < argc - 1 && n < sizeof(text) - 1; i++) {
		int w = snprintf(text + n, sizeof(text) - n, "%s%s", i > 1 ? " " : "", argv[i]);

		if (w < 0)
			break;
		n += (size_t)w;
	}
	panic("%s", text);
}
SHELL_COMMAND(panic, "panic TEXT confirm", "panic on purpose with message TEXT (for dump tests)",
	      cmd_panic);
