/*
 * app.c - the appliance entry: argv from the command line, main() on the
 * boot CPU, exit status to the host, and the waiting that lets the kernel
 * work while the application blocks.
 *
 * The command line is split at the word "--": what comes before is the
 * kernel's (ktest=, page_poison=, shell, ...), what comes after is argv[1..]
 * (words separated by blanks, no quoting). argv[0] is the application's
 * name. "shell" before "--" boots to the shell instead of main(), so an
 * appliance can always be inspected; an application can also leave for
 * the shell with ballast_shell().
 *
 * Exit: exit(status) (or returning from main) ends in app_exit(), which
 * writes the status to isa-debug-exit: QEMU exits with (status << 1) | 1,
 * and scripts/qemu.py --app turns that back into the status. A panic
 * while the application runs exits with APP_EXIT_CRASH (127).
 *
 * Waiting: there is no scheduler; interrupts queue work that runs only in
 * a loop. ballast_poll() is one turn of the idle loop without the shell:
 * run due work, evaluate the memory pressure level, and if asked to wait
 * and nothing is due, halt until the next interrupt. Reading stdin waits
 * this way (newlib_glue.c).
 */
#include <kernel/app.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/work.h>
#include <ballast/app.h>
#include <mm/page_alloc.h>
#include <mm/shrinker.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_MAX_ARGS 32

extern const struct ballast_app __ballast_app_start[], __ballast_app_end[];
void shell_start(void);

bool app_running;
static char app_args[CMDLINE_MAX];

const struct ballast_app *app_linked(void)
{
	return (uintptr_t)__ballast_app_start < (uintptr_t)__ballast_app_end ? __ballast_app_start : NULL;
}

/* Split a copy of the command line: argv[1..] after "--"; true if "shell" is before it. */
static int app_parse_cmdline(char **argv, int max, bool *want_shell)
{
	char *p, *w, *save = NULL;
	bool after = false;
	int argc = 1;

	*want_shell = false;
	strncpy(app_args, boot_info.cmdline, sizeof(app_args) - 1);
	for (p = app_args; (w = strtok_r(p, " \t", &save)) != NULL; p = NULL) {
		if (!after && !strcmp(w, "--"))
			after = true;
		else if (!after && !strcmp(w, "shell"))
			*want_shell = true;
		else if (after && argc < max - 1)
			argv[argc++] = w;
	}
	argv[argc] = NULL;
	return argc;
}

void ballast_poll(bool wait)
{
	work_run_pending();
	pressure_update(nr_free_pages());
	if (!wait)
		return;
	local_irq_disable();
	if (!work_due() && !serial_rx_pending())
		__asm__ __volatile__("sti; hlt" ::: "memory");
	else
		local_irq_enable();
}

void ballast_shell(void)
{
	fflush(stdout);
	app_running = false;
	printk("ballast: leaving the application for the shell\n");
	shell_start();
	idle_loop();
}

void app_exit(int status)
{
	if (status < 0 || status >= APP_EXIT_CRASH) {
		printk("ballast: exit status %d is outside 0..126; reported as 126\n", status);
		status = 126;
	}
	printk("ballast: application exited with status %d\n", status);
	qemu_exit(status);
}

void app_run(void)
{
	const struct ballast_app *app = app_linked();
	char *argv[APP_MAX_ARGS];
	bool want_shell;
	int argc;

	if (!app)
		return;
	argc = app_parse_cmdline(argv, APP_MAX_ARGS, &want_shell);
	if (want_shell) {
		printk("ballast: application %s linked; \"shell\" on the command line: the shell instead\n",
		       app->name);
		return;
	}
	argv[0] = (char *)app->name;
	printk("ballast: starting application %s with %d argument(s)\n", app->name, argc - 1);
	app_running = true;
	exit(app->main(argc, argv));
}
