/*
 * pci.h - PCI configuration space, enumeration, BARs, capabilities and
 * interrupts (MSI-X or INTx through the IOAPIC), for the virtio transports.
 *
 * Configuration space is reached through port I/O (0xCF8/0xCFC, pc/q35)
 * or through an ECAM window found in ACPI (MCFG, else the DSDT's host
 * bridge: microvm,pcie=on), where Ballast also assigns the memory BARs. pci_enumerate() scans every bus the mechanism covers and
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
	bool assigned_here;	/* Ballast gave it its address (no firmware did) */
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
	bool msix_enabled;
	bool claimed;		/* a driver took it */
};

/* The PCIe host bridge as the DSDT describes it (microvm,pcie=on). */
struct pci_host_info {
	bool found;
	uint64_t ecam_base;
	uint8_t bus_start, bus_end;
	uint64_t mmio32_base, mmio32_size;	/* window below 4 GiB */
	uint64_t mmio64_base, mmio64_size;	/* window above 4 GiB, 0 if none */
	int link_gsi[4];			/* INTx links A-D, -1 if unknown */
	bool link_level, link_active_low;
};

/* Config access, any width; offset must be naturally aligned. */
uint32_t pci_read32(const struct pci_dev *d, unsigned int off);
uint16_t pci_read16(const struct pci_dev *d, unsigned int off);
uint8_t pci_read8(const struct pci_dev *d, unsigned int off);
void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v);
void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v);
void pci_write8(const struct pci_dev *d, unsigned int off, uint8_t v);

/*
 * Scan the buses once (later calls return the cached count). Through ECAM
 * found in the DSDT (microvm) it also assigns the unassigned memory BARs.
 */
unsigned int pci_enumerate(void);
/* The i-th function found, or NULL. */
struct pci_dev *pci_get(unsigned int i);
/* "ECAM" or "port I/O", after pci_enumerate(). */
const char *pci_access_name(void);

/* Next capability with id @cap_id after offset @from (0: from the start); 0 if none. */
unsigned int pci_find_cap(const struct pci_dev *d, uint8_t cap_id, unsigned int from);
/* Enable bus mastering, and decoding of the spaces whose BARs have an address. */
void pci_enable(struct pci_dev *d);
/* Virtual address of memory BAR @i (mapped uncached once), NULL if not a memory BAR. */
void *pci_map_bar(struct pci_dev *d, unsigned int i);

/*
 * Enable MSI-X with @n vectors; entry k delivers to vectors[k] on this CPU,
 * entries past n are masked. -ENODEV without MSI-X (or its BAR unmapped),
 * -EINVAL if n exceeds the table or the table lies outside its BAR. INTx is
 * disabled while MSI-X is on.
 */
int pci_msix_enable(struct pci_dev *d, const int *vectors, unsigned int n);
/* Turn MSI-X off again and re-enable INTx (fallback after a refused vector). */
void pci_msix_disable(struct pci_dev *d);
/*
 * The GSI of this function's INTx line and its trigger: the interrupt line
 * register (set by the firmware on pc/q35; ISA numbers through the MADT
 * overrides), else the DSDT host bridge's links with the standard swizzle
 * (microvm). -1 if none.
 */
int pci_intx_gsi(const struct pci_dev *d, bool *level, bool *active_low);
/* The DSDT host bridge found by pci_enumerate() (found == false if none). */
const struct pci_host_info *pci_host(void);

#endif
