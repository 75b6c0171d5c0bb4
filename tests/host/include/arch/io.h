/*
 * arch/io.h for the host harness: port I/O and CPUID go to hooks that a
 * test compiling arch or driver code in installs (test_tsc.c plays a PIT
 * and a CPUID, test_fw_cfg.c a fw_cfg device); a port access or CPUID
 * without a hook aborts, so nothing on the host touches a real port by
 * accident. The test defines the hook variables it uses.
 */
#ifndef ARCH_IO_H
#define ARCH_IO_H

#include <kernel/compiler.h>
#include <stdlib.h>

extern uint8_t (*host_inb_hook)(uint16_t port);
extern void (*host_outb_hook)(uint16_t port, uint8_t v);
extern void (*host_outw_hook)(uint16_t port, uint16_t v);
extern void (*host_outl_hook)(uint16_t port, uint32_t v);
extern void (*host_cpuid_hook)(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			       uint32_t *c, uint32_t *d);

static inline void outb(uint16_t port, uint8_t v)
{
	if (!host_outb_hook)
		abort();
	host_outb_hook(port, v);
}

static inline void outw(uint16_t port, uint16_t v)
{
	if (!host_outw_hook)
		abort();
	host_outw_hook(port, v);
}

static inline void outl(uint16_t port, uint32_t v)
{
	if (!host_outl_hook)
		abort();
	host_outl_hook(port, v);
}

static inline uint8_t inb(uint16_t port)
{
	if (!host_inb_hook)
		abort();
	return host_inb_hook(port);
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	if (!host_cpuid_hook)
		abort();
	host_cpuid_hook(leaf, sub, a, b, c, d);
}

#endif
