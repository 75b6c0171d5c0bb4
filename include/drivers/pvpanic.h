/*
 * pvpanic.h - QEMU's ISA pvpanic device (drivers/misc/pvpanic.c): one I/O
 * port; reading it gives the events the host understands, writing an
 * event bit reports it (QEMU docs/specs/pvpanic.rst).
 */
#ifndef DRIVERS_PVPANIC_H
#define DRIVERS_PVPANIC_H

#include <kernel/compiler.h>

#define PVPANIC_PORT		0x505	/* QEMU's default ioport property */
#define PVPANIC_PANICKED	(1u << 0)	/* guest panicked: QMP GUEST_PANICKED */
#define PVPANIC_CRASH_LOADED	(1u << 1)	/* a crash kernel took over (not used) */

/* Probe the port (one line when a device answers); true if one does. */
bool pvpanic_init(void);
/* Report a panic to the host if the device was found; a no-op otherwise. */
void pvpanic_notify(void);
/* The event bits the device offered at probe time (0: no device). */
uint8_t pvpanic_events(void);

#endif
