/*
 * pci.h - PCI configuration space, enumeration, BARs, capabilities and
 * interrupts (MSI-X or INTx through the IOAPIC), for the virtio transports.
 *
 * Configuration space is reached through port I/O (0xCF8/0xCFC, pc/q35)
 * or, when ACPI's MCFG gave an ECAM window (microvm,pcie=on, and q35),
 * through memory. pci_enumerate() scans every bus the mechanism covers and
 * records each function in a fixed table; nothing is hot-plugged.
 */
#ifndef DRIVERS_PCI_H
#define DRIVERS_PCI_H

#include <kernel/compiler.h>

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_IO		0x1
#define PCI_COMMAND_MEMORY	0x2
#define PCI_COMMAND_MASTER	0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST	0x10

#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09

#define PCI_MAX_DEVICES		64
#define PCI_NUM_BARS		6

/* One BAR as found at enumeration (size 0: the device has no such BAR). */
struct pci_bar {
	uint64_t base;		/* bus address (memory) or port number (I/O) */
	uint64_t size;
	bool io;		/* I/O space BAR */
	bool is64;
	void *virt;		/* memory BARs: ioremap()ed on first pci_map_bar() */
};

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device, subsys_id;
	uint8_t revision, irq_line, irq_pin;
	struct pci_bar bar[PCI_NUM_BARS];
	uint8_t msix_cap;	/* config offset of the MSI-X capability, 0 if none */
	uint16_t msix_entries;
	volatile uint32_t *msix_table;
	bool claimed;		/* a driver took it */
};

/* Config access, any width; offset must be naturally aligned. */
uint32_t pci_read32(const struct pci_dev *d, unsigned int off);
uint16_t pci_read16(const struct pci_dev *d, unsigned int off);
uint8_t pci_read8(const struct pci_dev *d, unsigned int off);
void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v);
void pci_write8(const struct pci_dev *d, unsigned int off, uint8_t v);

/* Scan the buses once (later calls return the cached count). */
unsigned int pci_enumerate(void);
/* The i-th function found, or NULL. */
struct pci_dev *pci_get(unsigned int i);
/* "ecam" or "port I/O", after pci_enumerate(). */
const char *pci_access_name(void);

/* Next capability with id @cap_id after offset @from (0: from the start); 0 if none. */
unsigned int pci_find_cap(const struct pci_dev *d, uint8_t cap_id, unsigned int from);
/* Enable decoding and bus mastering. */
void pci_enable(struct pci_dev *d);
/* Virtual address of memory BAR @i (mapped uncached once), NULL if not a memory BAR. */
void *pci_map_bar(struct pci_dev *d, unsigned int i);

/*
 * Enable MSI-X with @n vectors; entry k delivers to vectors[k] on this CPU.
 * -ENODEV without MSI-X, -EINVAL if n exceeds the table. INTx is disabled.
 */
int pci_msix_enable(struct pci_dev *d, const int *vectors, unsigned int n);
/*
 * The GSI of this function's INTx line: the interrupt line register
 * (set by the firmware on pc/q35), else the microvm GPEX swizzle. -1 if none.
 */
int pci_intx_gsi(const struct pci_dev *d);

/* Enumerate PCI and virtio-mmio and probe every virtio device (kmain, after mm). */
void virtio_init(void);

#endif
