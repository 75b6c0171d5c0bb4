/*
 * arch/io.h for the host harness: port I/O as plain functions that a test
 * defines, so a driver written against ports (drivers/firmware/fw_cfg.c)
 * can be compiled in and talk to a simulated device.
 */
#ifndef HOST_ARCH_IO_H
#define HOST_ARCH_IO_H

#include <stdint.h>

uint8_t inb(uint16_t port);
void outw(uint16_t port, uint16_t val);
void outl(uint16_t port, uint32_t val);

#endif
