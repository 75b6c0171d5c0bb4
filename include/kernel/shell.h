/*
 * shell.h - serial shell commands, registered through a linker section:
 *
 *   static int cmd_foo(int argc, char **argv) { ... return 0; }
 *   SHELL_COMMAND(foo, "foo N [M]", "one line of help", cmd_foo);
 *
 * argv[0] is the command name. A command prints its own output; on bad
 * arguments it calls shell_usage_error() (one line, with the usage) and
 * returns non-zero. It also returns non-zero when it could not do what it
 * was asked or what it checks does not hold (problems, mismatches): the
 * return value is the status scripted mode prints ("[status] NAME RC"),
 * and the tests fail on it. Commands run in the idle loop, interrupts
 * enabled.
 *
 * Where commands live: every command except the shell's own `help` is in
 * kernel/cmds_*.c, one file per subsystem (cmds_mm, cmds_compaction,
 * cmds_frag, cmds_balloon, cmds_virtio, cmds_irq, cmds_sys, cmds_dump). A command is
 * thin: it parses, calls what mm/, workloads/ and drivers/ export (their
 * show_* views, getters and actions), and prints. mm/, workloads/ and
 * drivers/ never include this header, so they build without the shell
 * (mm/ and workloads/ also on the host).
 */
#ifndef KERNEL_SHELL_H
#define KERNEL_SHELL_H

#include <kernel/compiler.h>

struct shell_cmd {
	const char *name;
	const char *usage;
	const char *help;
	int (*fn)(int argc, char **argv);
};

#define SHELL_COMMAND(cname, usage_str, help_str, func) \
	SHELL_COMMAND_NAMED(cname, #cname, usage_str, help_str, func)

/* The same, for names that are not C identifiers ("page-types"). */
#define SHELL_COMMAND_NAMED(ident, name_str, usage_str, help_str, func) \
	static const struct shell_cmd ident##_shell_cmd \
		__section(".shell_cmds") __used __aligned(8) = { \
		name_str, usage_str, help_str, func }

/* Parse a decimal or 0x-hex unsigned number; false if @s is not one. */
bool shell_parse_u64(const char *s, uint64_t *out);
/* Parse a size like 512, 4K, 64M, 2G (bytes); false if malformed. */
bool shell_parse_size(const char *s, uint64_t *out);
/* Print "NAME: WHAT (usage: USAGE)" and return 1 (for `return shell_usage_error(...)`). */
__printf(2, 3) int shell_usage_error(char **argv, const char *fmt, ...);
/* Run one command line as if typed; returns the command's status. */
int shell_exec(const char *line);

#endif
