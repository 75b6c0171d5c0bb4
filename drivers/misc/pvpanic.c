/*
 * pvpanic.c - tell QEMU that the guest panicked.
 *
 * QEMU's ISA pvpanic device (`-device pvpanic`, QEMU docs/specs/pvpanic.rst)
 * is one I/O port, 0x505 unless its `ioport` property says otherwise.
 * Reading the port returns the events the device supports (bit 0
 * PANICKED, bit 1 CRASH_LOADED in QEMU 7.2); writing bit 0 reports a
 * panic, and QEMU then emits the QMP event GUEST_PANICKED and applies its
 * panic action (`-action panic=pause` keeps the guest stopped so
 * dump-guest-memory can take its memory; the default shuts it down).
 *
 * Probing: an ISA port nobody decodes reads 0xff, which would claim every
 * event bit; a real device never sets bits above the ones it defines, so
 * the probe wants bit 0 set and the top bit clear. QEMU also lists the
 * device in the DSDT (_HID QEMU0001, its port in _CRS); Ballast's AML
 * walker does not decode I/O-port resources, so only the default port is
 * probed. The ISA device works on pc, q35 and microvm alike (microvm has
 * an ISA bus for its serial port and RTC); pvpanic-pci is not used.
 *
 * State: the events read at probe time; 0 means no device, and then
 * pvpanic_notify() writes nothing, so a panic on a machine without the
 * device behaves exactly as before.
 */
#include <drivers/pvpanic.h>
#include <kernel/printk.h>
#include <arch/io.h>

static uint8_t pvpanic_supported;

bool pvpanic_init(void)
{
	uint8_t v = inb(PVPANIC_PORT);

	pvpanic_supported = (v & PVPANIC_PANICKED) && !(v & 0x80) ? v : 0;
	if (pvpanic_supported)
		printk("pvpanic: device at port %#x (events %#x); a panic is reported to the host\n",
		       PVPANIC_PORT, pvpanic_supported);
	return pvpanic_supported != 0;
}

uint8_t pvpanic_events(void)
{
	return pvpanic_supported;
}

void pvpanic_notify(void)
{
	if (pvpanic_supported & PVPANIC_PANICKED)
		outb(PVPANIC_PORT, PVPANIC_PANICKED);
}
