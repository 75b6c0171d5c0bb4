/*
 * app.h - the application linked into the image (kernel/app.c).
 *
 * An APP build adds mk/app_glue.c, which places one struct ballast_app in
 * the .ballast_app section; the default image has none, and boots to the
 * shell. app_run() is kmain's last step when there is one.
 */
#ifndef KERNEL_APP_H
#define KERNEL_APP_H

#include <kernel/compiler.h>

struct ballast_app {
	const char *name;
	int (*main)(int argc, char **argv);
};

#define APP_EXIT_CRASH	0x7f	/* isa-debug-exit value after a panic in an appliance */

/* The linked application, or NULL. */
const struct ballast_app *app_linked(void);
/* Run it (if linked and "shell" is not before "--"); does not return then. */
void app_run(void);
/* True once main() has started: fatal errors exit QEMU with APP_EXIT_CRASH. */
extern bool app_running;
/* Leave with @status through isa-debug-exit (0..126). */
__noreturn void app_exit(int status);

#endif
