/*
 * shell.c - the serial shell.
 *
 * Input bytes come from the UART ring (interrupt driven) and are edited
 * into a line: backspace, Ctrl-U (erase line), Ctrl-C (abandon line),
 * Tab (complete a command name), Up/Down (history). Enter runs the line:
 * it is split into words and looked up in the .shell_cmds section.
 * Ctrl-D (EOT) on an empty line means end of input: `make run` sends it
 * when its standard input is not a terminal, so `echo meminfo | make run`
 * runs the commands and powers off.
 *
 * Scripted mode: Ctrl-B (STX, start of text) on an empty line tells the
 * shell a program is typing. From then on every command line that ran a
 * command (not a blank line or a # comment) is followed by one line
 *
 *   [status] NAME RC
 *
 * NAME the first word, RC the command's return value (0 = success), before
 * the next prompt. `make run` and the test harness send Ctrl-B before the
 * script, so a harness can tell a failed command from one that printed the
 * right words; an interactive user never sees the line.
 */
#include <kernel/shell.h>
#include <mm/deferred_init.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <lib/parse.h>
#include <arch/x86.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX 256
#define MAX_ARGS 16
#define HISTORY  16
#define PROMPT   "ballast> "

extern const struct shell_cmd __shell_cmds_start[], __shell_cmds_end[];

static char line[LINE_MAX];
static size_t line_len;
static char history[HISTORY][LINE_MAX];
static unsigned hist_count, hist_pos;
static int esc_state;
static bool last_was_cr;
static bool scripted;           /* print "[status] NAME RC" after each command */

bool shell_parse_u64(const char *s, uint64_t *out)
{
	return parse_u64_str(s, 0, out);
}

bool shell_parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	unsigned shift = 0;
	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	char last = num[n - 1];
	if (last == 'K' || last == 'k') shift = 10;
	else if (last == 'M' || last == 'm') shift = 20;
	else if (last == 'G' || last == 'g') shift = 30;
	if (shift)
		num[n - 1] = 0;
	uint64_t v;
	if (!shell_parse_u64(num, &v) || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = v << shift;
	return true;
}

int shell_usage_error(char **argv, const char *fmt, ...)
{
	char buf[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	const struct shell_cmd *c;
	for (c = __shell_cmds_start; c < __shell_cmds_end; c++)
		if (!strcmp(c->name, argv[0]))
			break;
	if (c < __shell_cmds_end)
		printk("%s: %s (usage: %s)\n", argv[0], buf, c->usage);
	else
		printk("%s: %s\n", argv[0], buf);
	return 1;
}

static const struct shell_cmd *find_cmd(const char *name)
{
	for (const struct shell_cmd *c = __shell_cmds_start; c < __shell_cmds_end; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int shell_exec(const char *text)
{
	char buf[LINE_MAX];
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *p = buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = 0;
		if (!*p)
			break;
		if (argc == MAX_ARGS) {
			printk("shell: too many words (at most %d)\n", MAX_ARGS);
			return 1;
		}
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	argv[argc] = NULL;
	if (argc == 0 || argv[0][0] == '#')
		return 0;
	const struct shell_cmd *c = find_cmd(argv[0]);
	if (!c) {
		printk("%s: unknown command; type 'help' for the list\n", argv[0]);
		return 1;
	}
	return c->fn(argc, argv);
}

static void redraw(void)
{
	printk("\r\x1b[K" PROMPT "%.*s", (int)line_len, line);
}

/* Complete the command name being typed, or list the candidates. */
static void complete(void)
{
	const struct shell_cmd *match = NULL;
	int n = 0;
	if (memchr(line, ' ', line_len))
		return;
	for (const struct shell_cmd *c = __shell_cmds_start; c < __shell_cmds_end; c++)
		if (!strncmp(c->name, line, line_len)) {
			match = c;
			n++;
		}
	if (n == 1) {
		line_len = (size_t)snprintf(line, sizeof(line), "%s ", match->name);
		redraw();
	} else if (n > 1) {
		printk("\n");
		for (const struct shell_cmd *c = __shell_cmds_start; c < __shell_cmds_end; c++)
			if (!strncmp(c->name, line, line_len))
				printk("%s  ", c->name);
		printk("\n");
		redraw();
	}
}

static void history_step(int dir)
{
	if (!hist_count)
		return;
	unsigned oldest = hist_count > HISTORY ? hist_count - HISTORY : 0;
	if (dir < 0 && hist_pos > oldest)
		hist_pos--;
	else if (dir > 0 && hist_pos < hist_count)
		hist_pos++;
	if (hist_pos == hist_count)
		line_len = 0;
	else
		line_len = (size_t)snprintf(line, sizeof(line), "%s", history[hist_pos % HISTORY]);
	redraw();
}

/* In scripted mode, report @rc for the command line @text (skips blank lines and comments). */
static void report_status(const char *text, int rc)
{
	size_t skip = strspn(text, " \t"), len = strcspn(text + skip, " \t");

	if (!scripted || len == 0 || text[skip] == '#')
		return;
	printk("[status] %.*s %d\n", (int)len, text + skip, rc);
}

static void run_line(void)
{
	line[line_len] = 0;
	printk("\n");
	if (line_len) {
		if (hist_count == 0 || strcmp(history[(hist_count - 1) % HISTORY], line))
			snprintf(history[hist_count++ % HISTORY], LINE_MAX, "%s", line);
		deferred_init_wait();	/* every command sees all of memory (mm/deferred_init.c) */
		report_status(line, shell_exec(line));
	}
	hist_pos = hist_count;
	line_len = 0;
	printk(PROMPT);
}

/* Feed one input byte to the line editor. */
static void shell_input(int c)
{
	if (esc_state == 1) {
		esc_state = c == '[' ? 2 : 0;
		return;
	}
	if (esc_state == 2) {
		esc_state = 0;
		if (c == 'A')
			history_step(-1);
		else if (c == 'B')
			history_step(1);
		return;
	}
	if (c == '\n' && last_was_cr) {
		last_was_cr = false;
		return;
	}
	last_was_cr = c == '\r';
	switch (c) {
	case '\r':
	case '\n':
		run_line();
		break;
	case 0x7f:
	case 0x08:
		if (line_len) {
			line_len--;
			printk("\b \b");
		}
		break;
	case 0x15:              /* Ctrl-U */
		line_len = 0;
		redraw();
		break;
	case 0x03:              /* Ctrl-C */
		line_len = 0;
		printk("^C\n" PROMPT);
		break;
	case 0x02:              /* Ctrl-B: a program types; report each status */
		if (line_len == 0)
			scripted = true;
		break;
	case 0x04:              /* Ctrl-D: end of input */
		if (line_len == 0) {
			printk("\nballast: end of input\n");
			machine_poweroff();
		}
		break;
	case '\t':
		complete();
		break;
	case 0x1b:
		esc_state = 1;
		break;
	default:
		if (c >= 0x20 && c < 0x7f && line_len < LINE_MAX - 1) {
			line[line_len++] = (char)c;
			console_write(&line[line_len - 1], 1);	/* echo */
		}
	}
}

/* Consume all buffered input (called from the idle loop). */
void shell_poll(void)
{
	int c;
	while ((c = serial_getc()) >= 0)
		shell_input(c);
}

void shell_start(void)
{
	printk("ballast: ready\n" PROMPT);
	hist_pos = 0;
}

/* ---- the built-in commands ---- */

static int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return shell_usage_error(argv, "too many arguments");
	if (argc == 2) {
		const struct shell_cmd *c = find_cmd(argv[1]);
		if (!c) {
			printk("help: no command '%s'\n", argv[1]);
			return 1;
		}
		printk("usage: %s\n  %s\n", c->usage, c->help);
		return 0;
	}
	printk("Commands (help NAME for one):\n");
	size_t n = (size_t)(__shell_cmds_end - __shell_cmds_start);
	/* print sorted by name without allocating: repeated minimum search */
	const char *prev = "";
	for (size_t i = 0; i < n; i++) {
		const struct shell_cmd *best = NULL;
		for (const struct shell_cmd *c = __shell_cmds_start; c < __shell_cmds_end; c++)
			if (strcmp(c->name, prev) > 0 && (!best || strcmp(c->name, best->name) < 0))
				best = c;
		if (!best)
			break;
		printk("  %-28s %s\n", best->usage, best->help);
		prev = best->name;
	}
	return 0;
}
SHELL_COMMAND(help, "help [COMMAND]", "list commands, or show one command's usage", cmd_help);
