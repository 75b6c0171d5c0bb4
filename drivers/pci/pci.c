/*
 * pci.c - PCI enumeration and the pieces of PCI the virtio transports need.
 *
 * Configuration mechanism: port I/O (CONFIG_ADDRESS 0xCF8 / CONFIG_DATA
 * 0xCFC) whenever the machine has it (pc, q35); ECAM when it does not
 * (microvm,pcie=on has no 0xCF8). The ECAM window comes from ACPI's MCFG,
 * else from the DSDT's PCIe host bridge (_HID PNP0A08: _CBA is the ECAM
 * base, _CRS the bus range and the MMIO windows) - QEMU's microvm has no
 * MCFG. ECAM buses are mapped one MiB at a time, only for buses that
 * enumeration actually visits.
 *
 * BARs: on microvm no firmware runs, so memory BARs come up unassigned
 * (0). Ballast then assigns them itself, naturally aligned, from the host
 * bridge's windows: 64-bit BARs from the window above 4 GiB when there is
 * one, everything else from the 32-bit window. I/O BARs stay unassigned
 * (microvm's bridge decodes no I/O space). Bridges are not programmed, so
 * only functions on the root bus get addresses.
 *
 * Enumeration starts at the first bus and follows PCI-to-PCI bridges to
 * their secondary buses (bounded by the 256 bus numbers and by the table
 * size). Each function lands in pci_devs[]; BAR sizes are found by the
 * usual write-all-ones probe with decoding disabled.
 *
 * Interrupts: MSI-X when the function has it (messages go to this CPU's
 * local APIC at first; each entry's vector gets a retarget hook, so
 * irq_set_affinity() can aim it at another CPU: the entry is masked, its
 * address rewritten with the new destination APIC id, and unmasked), else INTx through the IOAPIC, level-triggered, active high
 * (QEMU's PCI links). The GSI: on pc/q35 the interrupt line register that
 * SeaBIOS programs (an ISA number goes through the MADT overrides); on
 * microvm the host bridge's link devices (_HID PNP0C0F, _UID 0-3) with the
 * usual swizzle: device d, pin p (1-4) uses link (d + p - 1) mod 4.
 */
#include <drivers/pci.h>
#include <kernel/printk.h>
#include <arch/io.h>
#include <arch/x86.h>
#include <errno.h>
#include <string.h>

static struct pci_dev pci_devs[PCI_MAX_DEVICES];
static unsigned int pci_ndevs;
static bool pci_scanned, pci_use_ecam;
static volatile uint8_t *ecam_bus_va[256];
static struct pci_host_info host;

/* ECAM address of config register @off of (bus,dev,fn); maps the bus once. */
static volatile uint8_t *ecam_addr(unsigned int bus, unsigned int dev, unsigned int fn,
				   unsigned int off)
{
	if (bus < acpi.ecam_bus_start || bus > acpi.ecam_bus_end)
		return NULL;
	if (!ecam_bus_va[bus])
		ecam_bus_va[bus] = ioremap(acpi.ecam_base + ((phys_addr_t)(bus - acpi.ecam_bus_start) << 20),
					   1u << 20);
	return ecam_bus_va[bus] + ((dev << 15) | (fn << 12) | (off & 0xfff));
}

/* Raw 32-bit config read of (bus,dev,fn) at dword-aligned @off. */
static uint32_t cfg_read32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int off)
{
	if (pci_use_ecam) {
		volatile uint8_t *a = ecam_addr(bus, dev, fn, off & ~3u);

		return a ? mmio_read32(a) : 0xffffffffu;
	}
	outl(0xcf8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xfc));
	return inl(0xcfc);
}

/* Raw 32-bit config write of (bus,dev,fn) at dword-aligned @off. */
static void cfg_write32(unsigned int bus, unsigned int dev, unsigned int fn, unsigned int off,
			uint32_t v)
{
	if (pci_use_ecam) {
		volatile uint8_t *a = ecam_addr(bus, dev, fn, off & ~3u);

		if (a)
			mmio_write32(a, v);
		return;
	}
	outl(0xcf8, 0x80000000u | (bus << 16) | (dev << 11) | (fn << 8) | (off & 0xfc));
	outl(0xcfc, v);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned int off)
{
	return cfg_read32(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned int off)
{
	return (uint16_t)(pci_read32(d, off & ~3u) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned int off)
{
	return (uint8_t)(pci_read32(d, off & ~3u) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, unsigned int off, uint32_t v)
{
	cfg_write32(d->bus, d->dev, d->fn, off, v);
}

/* Read-modify-write of @bytes bytes at @off (config writes are dword-wide here). */
static void pci_write_part(const struct pci_dev *d, unsigned int off, unsigned int bytes,
			   uint32_t v)
{
	unsigned int shift = (off & 3) * 8;
	uint32_t mask = (bytes == 4 ? 0xffffffffu : ((1u << (bytes * 8)) - 1)) << shift;
	uint32_t old = pci_read32(d, off & ~3u);

	pci_write32(d, off & ~3u, (old & ~mask) | ((v << shift) & mask));
}

void pci_write16(const struct pci_dev *d, unsigned int off, uint16_t v)
{
	pci_write_part(d, off, 2, v);
}

void pci_write8(const struct pci_dev *d, unsigned int off, uint8_t v)
{
	pci_write_part(d, off, 1, v);
}

/* Size BAR @i of @d (and the upper half of a 64-bit one); returns BARs consumed. */
static unsigned int pci_probe_bar(struct pci_dev *d, unsigned int i)
{
	unsigned int off = PCI_BAR0 + 4 * i;
	uint32_t orig = pci_read32(d, off), lo;
	struct pci_bar *b = &d->bar[i];

	pci_write32(d, off, 0xffffffffu);
	lo = pci_read32(d, off);
	pci_write32(d, off, orig);
	if (orig & 1) {
		b->io = true;
		b->base = orig & ~3u;
		lo &= ~3u;
		b->size = lo ? (uint32_t)(~lo + 1) & 0xffff : 0;
		return 1;
	}
	b->base = orig & ~0xfu;
	if (((orig >> 1) & 3) == 2 && i + 1 < PCI_NUM_BARS) {
		uint32_t orig_hi = pci_read32(d, off + 4), hi;
		uint64_t mask;

		pci_write32(d, off + 4, 0xffffffffu);
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, orig_hi);
		b->is64 = true;
		b->base |= (uint64_t)orig_hi << 32;
		mask = ((uint64_t)hi << 32) | (lo & ~0xfu);
		b->size = mask ? ~mask + 1 : 0;
		return 2;
	}
	lo &= ~0xfu;
	b->size = lo ? (uint32_t)(~lo + 1) : 0;
	return 1;
}

/* Record function (bus,dev,fn) and size its BARs (decoding off meanwhile). */
static struct pci_dev *pci_add(unsigned int bus, unsigned int dev, unsigned int fn, uint32_t id)
{
	struct pci_dev *d;
	uint16_t cmd;
	unsigned int i, cap;

	if (pci_ndevs >= PCI_MAX_DEVICES) {
		pr_warn("pci: more than %d functions; %02x:%02x.%x and later ignored\n",
			PCI_MAX_DEVICES, bus, dev, fn);
		return NULL;
	}
	d = &pci_devs[pci_ndevs++];
	memset(d, 0, sizeof(*d));
	d->bus = (uint8_t)bus;
	d->dev = (uint8_t)dev;
	d->fn = (uint8_t)fn;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	d->revision = pci_read8(d, PCI_REVISION_ID);
	d->irq_line = pci_read8(d, PCI_INTERRUPT_LINE);
	d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
	if ((pci_read8(d, PCI_HEADER_TYPE) & 0x7f) != 0)
		return d;		/* bridges: no BARs of interest */
	d->subsys_id = pci_read16(d, PCI_SUBSYSTEM_ID);
	cmd = pci_read16(d, PCI_COMMAND);
	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (i = 0; i < PCI_NUM_BARS; )
		i += pci_probe_bar(d, i);
	pci_write16(d, PCI_COMMAND, cmd);
	cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	if (cap) {
		d->msix_cap = (uint8_t)cap;
		d->msix_entries = (pci_read16(d, cap + 2) & 0x7ff) + 1;
	}
	return d;
}

/* Scan @bus, following bridges; @depth bounds the recursion. */
static void pci_scan_bus(unsigned int bus, unsigned int depth)
{
	unsigned int dev, fn, nfn;

	if (depth > 8)
		return;
	for (dev = 0; dev < 32; dev++) {
		uint32_t id = cfg_read32(bus, dev, 0, 0);

		if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
			continue;
		nfn = (cfg_read32(bus, dev, 0, 0xc) >> 16 & 0x80) ? 8 : 1;
		for (fn = 0; fn < nfn; fn++) {
			uint32_t hdr;

			id = cfg_read32(bus, dev, fn, 0);
			if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
				continue;
			pci_add(bus, dev, fn, id);
			hdr = (cfg_read32(bus, dev, fn, 0xc) >> 16) & 0x7f;
			if (hdr == 1) {
				unsigned int sec = (cfg_read32(bus, dev, fn, 0x18) >> 8) & 0xff;

				if (sec > bus)
					pci_scan_bus(sec, depth + 1);
			}
		}
	}
}

/* True if port I/O config access answers (a host bridge at 00:00.0). */
static bool pci_port_io_works(void)
{
	outl(0xcf8, 0x80000000u);
	return (inl(0xcfc) & 0xffff) != 0xffff;
}

/* acpi_for_each_device() callback: the PCIe host bridge of segment 0. */
static void host_bridge_found(const struct acpi_device *d, void *arg)
{
	(void)arg;
	if (host.found || !d->cba)
		return;		/* the first bridge with an ECAM base (_CBA) is segment 0's */
	host.found = true;
	host.ecam_base = d->cba;
	host.bus_start = d->has_bus ? (uint8_t)d->bus_min : 0;
	host.bus_end = d->has_bus ? (uint8_t)MIN(d->bus_max, 255) : 255;
	for (unsigned int i = 0; i < d->nmem; i++) {
		const struct acpi_res_mem *m = &d->mem[i];

		if (!m->len)
			continue;
		if (m->base < (1ull << 32) && m->len <= (1ull << 32) - m->base && !host.mmio32_size) {
			host.mmio32_base = m->base;
			host.mmio32_size = m->len;
		} else if (m->base >= (1ull << 32) && !host.mmio64_size) {
			host.mmio64_base = m->base;
			host.mmio64_size = m->len;
		}
	}
}

/*
 * acpi_for_each_device() callback: INTx link device _UID 0-3 and its GSI.
 * (Extra host bridges - QEMU's pxb - would bring links of their own; only
 * the single-bridge layout microvm has is supported.)
 */
static void intx_link_found(const struct acpi_device *d, void *arg)
{
	(void)arg;
	if (d->uid < 0 || d->uid > 3 || d->nirq < 1)
		return;
	host.link_gsi[d->uid] = (int)d->irq[0];
	host.link_level = d->irq_level;
	host.link_active_low = d->irq_active_low;
}

/* Find the ECAM window and the bridge's resources in the DSDT; true if ECAM is known. */
static bool pci_host_from_dsdt(void)
{
	for (int i = 0; i < 4; i++)
		host.link_gsi[i] = -1;
	acpi_for_each_device("PNP0A08", host_bridge_found, NULL);
	if (!host.found)
		return false;
	acpi_for_each_device("PNP0C0F", intx_link_found, NULL);
	pr_info("pci: host bridge in the DSDT: ECAM %#llx, buses %u-%u, MMIO %#llx+%#llx, %#llx+%#llx, INTx GSIs %d %d %d %d\n",
		(unsigned long long)host.ecam_base, host.bus_start, host.bus_end,
		(unsigned long long)host.mmio32_base, (unsigned long long)host.mmio32_size,
		(unsigned long long)host.mmio64_base, (unsigned long long)host.mmio64_size,
		host.link_gsi[0], host.link_gsi[1], host.link_gsi[2], host.link_gsi[3]);
	if (!acpi.ecam_base && host.ecam_base) {
		acpi.ecam_base = host.ecam_base;
		acpi.ecam_bus_start = host.bus_start;
		acpi.ecam_bus_end = host.bus_end;
	}
	return acpi.ecam_base != 0;
}

/* Take @size bytes aligned to @size from window [*next, end); 0 if it does not fit. */
static uint64_t window_take(uint64_t *next, uint64_t end, uint64_t size)
{
	uint64_t at = (*next + size - 1) & ~(size - 1);

	if (at < *next || at + size > end || at + size < at)
		return 0;
	*next = at + size;
	return at;
}

/* Give every unassigned memory BAR of root-bus functions an address from the windows. */
static void pci_assign_bars(void)
{
	uint64_t next32 = host.mmio32_base, end32 = host.mmio32_base + host.mmio32_size;
	uint64_t next64 = host.mmio64_base, end64 = host.mmio64_base + host.mmio64_size;
	unsigned int assigned = 0, failed = 0;

	for (unsigned int n = 0; n < pci_ndevs; n++) {
		struct pci_dev *d = &pci_devs[n];

		for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
			struct pci_bar *b = &d->bar[i];
			uint64_t at = 0;

			if (b->io || !b->size || b->base || (b->size & (b->size - 1)))
				continue;
			if (d->bus != host.bus_start) {
				pr_warn("pci %02x:%02x.%x: BAR %u unassigned behind a bridge; not supported\n",
					d->bus, d->dev, d->fn, i);
				failed++;
				continue;
			}
			if (b->is64 && host.mmio64_size)
				at = window_take(&next64, end64, b->size);
			if (!at && host.mmio32_size)
				at = window_take(&next32, end32, b->size);
			if (!at) {
				pr_warn("pci %02x:%02x.%x: no room for BAR %u (%#llx bytes)\n",
					d->bus, d->dev, d->fn, i, (unsigned long long)b->size);
				failed++;
				continue;
			}
			b->base = at;
			pci_write32(d, PCI_BAR0 + 4 * i, (pci_read32(d, PCI_BAR0 + 4 * i) & 0xfu) |
				    (uint32_t)at);
			if (b->is64)
				pci_write32(d, PCI_BAR0 + 4 * i + 4, (uint32_t)(at >> 32));
			b->assigned_here = true;
			assigned++;
		}
	}
	if (assigned || failed)
		pr_info("pci: assigned %u memory BARs from the host bridge windows%s\n", assigned,
			failed ? " (some could not be)" : "");
}

unsigned int pci_enumerate(void)
{
	if (pci_scanned)
		return pci_ndevs;
	pci_scanned = true;
	if (pci_port_io_works()) {
		pci_use_ecam = false;
		pci_scan_bus(0, 0);
		return pci_ndevs;
	}
	if (!pci_host_from_dsdt() && !acpi.ecam_base)
		return 0;		/* no PCI on this machine (microvm without pcie=on) */
	pci_use_ecam = true;
	pci_scan_bus(acpi.ecam_bus_start, 0);
	if (host.found)
		pci_assign_bars();
	return pci_ndevs;
}

struct pci_dev *pci_get(unsigned int i)
{
	return i < pci_ndevs ? &pci_devs[i] : NULL;
}

const char *pci_access_name(void)
{
	return pci_use_ecam ? "ECAM" : "port I/O";
}

unsigned int pci_find_cap(const struct pci_dev *d, uint8_t cap_id, unsigned int from)
{
	unsigned int off, n;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = from ? pci_read8(d, from + 1) : pci_read8(d, PCI_CAPABILITY_LIST);
	for (n = 0; n < 48 && off >= 0x40; n++) {	/* bounded: a looped list ends */
		off &= ~3u;
		if (pci_read8(d, off) == cap_id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

void pci_enable(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND) | PCI_COMMAND_MASTER;

	/* decode only the spaces that have an address: an unassigned BAR sits at 0 */
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		if (d->bar[i].size && d->bar[i].base)
			cmd |= d->bar[i].io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	pci_write16(d, PCI_COMMAND, cmd);
}

void *pci_map_bar(struct pci_dev *d, unsigned int i)
{
	struct pci_bar *b;

	if (i >= PCI_NUM_BARS)
		return NULL;
	b = &d->bar[i];
	if (b->io || !b->size || !b->base)
		return NULL;
	if (!b->virt)
		b->virt = ioremap(b->base, b->size);
	return b->virt;
}

/* The MSI-X message address for local APIC @apic_id (xAPIC format: 8-bit id). */
static int msix_address(uint32_t apic_id, uint32_t *addr)
{
	if (apic_id > 0xff)
		return -ERANGE;         /* would need interrupt remapping */
	*addr = 0xfee00000u | (apic_id << 12);
	return 0;
}

/* irq_retarget_t for MSI-X table entry @ctx: mask, new destination, unmask. */
static int msix_retarget(void *ctx, uint32_t apic_id)
{
	volatile uint32_t *e = ctx;
	uint32_t addr, ctl;

	if (msix_address(apic_id, &addr))
		return -ERANGE;
	ctl = mmio_read32(&e[3]);
	mmio_write32(&e[3], ctl | 1);           /* masked while the address changes */
	mmio_write32(&e[0], addr);
	mmio_write32(&e[1], 0);
	mmio_write32(&e[3], ctl);               /* a message held while masked is sent now */
	return 0;
}

int pci_msix_enable(struct pci_dev *d, const int *vectors, unsigned int n)
{
	uint32_t tbl, addr;
	unsigned int bir, k;
	uint8_t *base;
	uint16_t ctrl;

	if (!d->msix_cap)
		return -ENODEV;
	if (n == 0 || n > d->msix_entries)
		return -EINVAL;
	if (msix_address(lapic_id(), &addr))
		return -ERANGE;
	tbl = pci_read32(d, d->msix_cap + 4);
	bir = tbl & 7;
	if (bir >= PCI_NUM_BARS || (uint64_t)(tbl & ~7u) + 16ull * d->msix_entries > d->bar[bir].size)
		return -EINVAL;		/* the table must lie inside its BAR */
	base = pci_map_bar(d, bir);
	if (!base)
		return -ENODEV;
	d->msix_table = (volatile uint32_t *)(base + (tbl & ~7u));
	ctrl = pci_read16(d, d->msix_cap + 2);
	pci_write16(d, d->msix_cap + 2, ctrl | 0xc000);	/* enable + function mask */
	for (k = 0; k < d->msix_entries; k++) {
		volatile uint32_t *e = d->msix_table + 4 * k;

		if (k < n) {
			mmio_write32(&e[0], addr);
			mmio_write32(&e[1], 0);
			mmio_write32(&e[2], (uint32_t)vectors[k]);
			mmio_write32(&e[3], 0);		/* unmasked */
			irq_set_retarget((unsigned int)vectors[k], msix_retarget, (void *)e,
					 (int)arch_cpu_id());
		} else {
			mmio_write32(&e[3], 1);		/* masked */
		}
	}
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
	pci_write16(d, d->msix_cap + 2, (ctrl | 0x8000) & ~0x4000);
	d->msix_enabled = true;
	return 0;
}

void pci_msix_disable(struct pci_dev *d)
{
	if (!d->msix_cap)
		return;
	for (unsigned int k = 0; d->msix_table && k < d->msix_entries; k++) {
		unsigned int vec = mmio_read32(d->msix_table + 4 * k + 2) & 0xff;

		if (vec >= 48 && !(mmio_read32(d->msix_table + 4 * k + 3) & 1))
			irq_set_retarget(vec, NULL, NULL, -1);  /* its entry no longer speaks */
	}
	pci_write16(d, d->msix_cap + 2, pci_read16(d, d->msix_cap + 2) & ~0xc000);
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE);
	d->msix_enabled = false;
}

int pci_intx_gsi(const struct pci_dev *d, bool *level, bool *active_low)
{
	unsigned int pin = d->irq_pin;

	*level = true;		/* QEMU's PCI links: level-triggered, active high */
	*active_low = false;
	if (pin == 0 || pin > 4)
		return -1;
	if (pci_use_ecam && host.found) {
		int gsi;

		if (d->bus != host.bus_start)
			return -1;	/* no swizzle through bridges */
		gsi = host.link_gsi[(d->dev + pin - 1) % 4];
		if (gsi >= 0) {
			*level = host.link_level;
			*active_low = host.link_active_low;
		}
		return gsi;
	}
	if (d->irq_line == 0 || d->irq_line == 0xff)
		return -1;
	if (d->irq_line < 16) {
		/* an ISA number: the MADT may move it and states its trigger */
		uint16_t fl = acpi.isa_flags[d->irq_line];

		if (fl & 3)
			*active_low = (fl & 3) == 3;
		if ((fl >> 2) & 3)
			*level = ((fl >> 2) & 3) == 3;
		return (int)acpi.isa_gsi[d->irq_line];
	}
	return d->irq_line;
}

const struct pci_host_info *pci_host(void)
{
	return &host;
}
