/*
 * ballast/app.h - an application linked into the Ballast image.
 *
 * `make APP=dir` (C files) or `make APP=file.o|file.a` links the
 * application into build/app-NAME/ballast.elf. After the kernel is up
 * (memory, devices, the balloon), main(argc, argv) runs on the boot CPU:
 * argv[0] is the application's name, the rest are the words of the kernel
 * command line after "--" (QEMU: -append "... -- a b"; make run APP=...
 * ARGS="a b"; GRUB: the same words after "--" on the multiboot2 line).
 * The word "shell" before "--" boots to the Ballast shell instead.
 *
 * newlib is there: printf & co. write to the serial console; reading
 * stdin blocks for a line from it (echoed); malloc and friends are
 * kmalloc; clock_gettime(CLOCK_MONOTONIC/REALTIME) counts from boot;
 * exit(status) and returning from main power the machine off with that
 * status (QEMU's isa-debug-exit: `make run` and scripts/qemu.py --app
 * return it; 0..126); abort() and a failed assert() panic with a
 * backtrace (status 127).
 *
 * There is no scheduler. Interrupts only queue work; the work (the balloon
 * answering the host, kcompactd, free page reporting) runs when the
 * application waits: while it reads stdin, or when it calls ballast_poll()
 * (do, in long loops).
 */
#ifndef BALLAST_APP_H
#define BALLAST_APP_H

#include <stdbool.h>

/* Run pending kernel work once; if @wait, sleep until an interrupt when there is none. */
void ballast_poll(bool wait);
/* Leave the application for the Ballast shell (never returns). */
void ballast_shell(void) __attribute__((noreturn));
/* The exit status that reports a crash (panic, abort, failed assert). */
#define BALLAST_EXIT_CRASH 127

#endif
