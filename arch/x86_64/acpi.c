/*
 * acpi.c - just enough ACPI: find the RSDP (given by the boot protocol, or
 * by scanning the BIOS area), walk the RSDT/XSDT, and read the MADT (local
 * APIC, every IOAPIC, ISA interrupt overrides, the CPUs' local APIC and
 * x2APIC entries), the MCFG (PCIe
 * ECAM window) and the FADT (power-off registers, and \_S5 from the DSDT).
 * Devices described only in the DSDT's AML are found by acpi_aml.c.
 * Every table's checksum is verified; a bad table is reported and skipped.
 */
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/page.h>
#include <kernel/printk.h>
#include <kernel/kernel.h>
#include <string.h>

struct acpi_info acpi;

struct sdt_header {
	char sig[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_rev, creator, creator_rev;
} __packed;

static uint8_t s5_slp_typ;
static bool s5_found;
static struct { uint8_t space; uint64_t addr; } sleep_ctl;
static uint32_t pm1a_cnt;

static bool checksum_ok(const void *p, size_t n)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += ((const uint8_t *)p)[i];
	return sum == 0;
}

/* Map a whole table (header first, then its full length); NULL if bad. */
static const struct sdt_header *map_table(phys_addr_t pa)
{
	const struct sdt_header *h = phys_map_any(pa, sizeof(*h));
	uint32_t len = h->length;
	if (len < sizeof(*h) || len > (1u << 20)) {
		pr_warn("acpi: table at %#lx has implausible length %u, skipped\n", pa, len);
		return NULL;
	}
	h = phys_map_any(pa, len);
	if (!checksum_ok(h, len)) {
		pr_warn("acpi: table %.4s at %#lx fails its checksum, skipped\n", h->sig, pa);
		return NULL;
	}
	return h;
}

/* Look for "RSD PTR " on 16-byte boundaries in [start, end). */
static phys_addr_t scan_rsdp(phys_addr_t start, phys_addr_t end)
{
	for (phys_addr_t p = start; p < end; p += 16) {
		const char *v = phys_map_any(p, 20);
		if (!memcmp(v, "RSD PTR ", 8) && checksum_ok(v, 20))
			return p;
	}
	return 0;
}

/* Add an enabled CPU (@apic_id) from a MADT entry, once per APIC id. */
static void madt_add_cpu(uint32_t apic_id, uint32_t flags, bool x2)
{
	if (!(flags & 1))
		return;         /* not enabled (online-capable ones are for hotplug) */
	for (unsigned i = 0; i < acpi.ncpus && i < NR_CPUS; i++)
		if (acpi.cpu_apic_id[i] == apic_id)
			return; /* listed twice (xAPIC and x2APIC entry): one CPU */
	if (acpi.ncpus < NR_CPUS) {
		acpi.cpu_apic_id[acpi.ncpus] = apic_id;
		acpi.ncpus_x2apic += x2;
	}
	acpi.ncpus++;
}

static void parse_madt(const struct sdt_header *h)
{
	const uint8_t *p = (const uint8_t *)h + 44, *end = (const uint8_t *)h + h->length;
	acpi.lapic_phys = *(const uint32_t *)((const uint8_t *)h + 36);
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		switch (p[0]) {
		case 0:         /* processor local APIC: uid, APIC id, flags */
			madt_add_cpu(p[3], *(const uint32_t *)(p + 4), false);
			break;
		case 9:         /* processor local x2APIC: x2APIC id, flags, uid */
			if (p[1] >= 16)
				madt_add_cpu(*(const uint32_t *)(p + 4), *(const uint32_t *)(p + 8), true);
			break;
		case 1:         /* IOAPIC: the first one serves the ISA IRQs */
			if (!acpi.ioapic_phys) {
				acpi.ioapic_phys = *(const uint32_t *)(p + 4);
				acpi.ioapic_gsi_base = *(const uint32_t *)(p + 8);
			}
			if (acpi.nioapics < ACPI_MAX_IOAPICS)
				acpi.ioapics[acpi.nioapics++] = (struct acpi_ioapic){
					*(const uint32_t *)(p + 4), *(const uint32_t *)(p + 8) };
			else
				pr_warn("acpi: more than %d IOAPICs; the rest are not used\n",
					ACPI_MAX_IOAPICS);
			break;
		case 2:         /* interrupt source override */
			if (p[3] < 16) {
				acpi.isa_gsi[p[3]] = *(const uint32_t *)(p + 4);
				acpi.isa_flags[p[3]] = *(const uint16_t *)(p + 8);
			}
			break;
		case 5:
			acpi.lapic_phys = *(const uint64_t *)(p + 4);
			break;
		}
		p += p[1];
	}
}

static void parse_mcfg(const struct sdt_header *h)
{
	const uint8_t *p = (const uint8_t *)h + 44, *end = (const uint8_t *)h + h->length;
	for (; p + 16 <= end; p += 16) {
		if (*(const uint16_t *)(p + 8) != 0)
			continue;
		acpi.ecam_base = *(const uint64_t *)p;
		acpi.ecam_bus_start = p[10];
		acpi.ecam_bus_end = p[11];
		return;
	}
}

/* Find the SLP_TYP value of \_S5 in the DSDT's AML (a Package of numbers). */
static void find_s5(phys_addr_t dsdt)
{
	const struct sdt_header *h = map_table(dsdt);
	if (!h)
		return;
	const uint8_t *p = (const uint8_t *)h + 36, *end = (const uint8_t *)h + h->length;
	for (; p + 8 < end; p++) {
		if (memcmp(p, "_S5_", 4) || p[4] != 0x12)
			continue;
		const uint8_t *q = p + 5;
		q += ((*q >> 6) & 3) + 1;       /* PkgLength */
		q++;                            /* NumElements */
		if (*q == 0x0a)                 /* BytePrefix */
			s5_slp_typ = q[1];
		else if (*q == 0x00 || *q == 0x01)
			s5_slp_typ = *q;
		else
			continue;
		s5_found = true;
		return;
	}
}

static void parse_fadt(const struct sdt_header *h)
{
	const uint8_t *f = (const uint8_t *)h;
	pm1a_cnt = *(const uint32_t *)(f + 64 + 8);
	if (h->length >= 116)
		acpi.hw_reduced = (*(const uint32_t *)(f + 112) >> 20) & 1;
	phys_addr_t dsdt = *(const uint32_t *)(f + 40);
	if (h->length >= 148 && *(const uint64_t *)(f + 140))
		dsdt = *(const uint64_t *)(f + 140);
	if (h->length >= 256) {
		sleep_ctl.space = f[244];
		sleep_ctl.addr = *(const uint64_t *)(f + 248);
	}
	acpi.dsdt = dsdt;
	if (dsdt)
		find_s5(dsdt);
}

/* Walk the tables; @rsdp_hint comes from the boot protocol (0 if none). */
void acpi_init(phys_addr_t rsdp_hint)
{
	for (int i = 0; i < 16; i++)
		acpi.isa_gsi[i] = i;
	acpi.ioapic_phys = 0;
	phys_addr_t rsdp = rsdp_hint;
	if (!rsdp)
		rsdp = scan_rsdp(0xe0000, 0x100000);
	if (!rsdp) {
		pr_warn("acpi: no RSDP found; using default IOAPIC/LAPIC addresses\n");
		acpi.lapic_phys = 0xfee00000;
		acpi.ioapic_phys = 0xfec00000;
		acpi.ioapics[0] = (struct acpi_ioapic){ acpi.ioapic_phys, 0 };
		acpi.nioapics = 1;
		acpi.ncpus = 1;
		return;
	}
	acpi.rsdp = rsdp;
	const uint8_t *r = phys_map_any(rsdp, 36);
	phys_addr_t root = *(const uint32_t *)(r + 16);
	size_t esz = 4;
	if (r[15] >= 2 && *(const uint64_t *)(r + 24)) {
		root = *(const uint64_t *)(r + 24);
		esz = 8;
	}
	const struct sdt_header *rt = map_table(root);
	if (!rt)
		pr_warn("acpi: root table unusable; using default IOAPIC/LAPIC addresses\n");
	size_t n = rt ? (rt->length - sizeof(*rt)) / esz : 0;
	const uint8_t *ents = rt ? (const uint8_t *)rt + sizeof(*rt) : NULL;
	for (size_t i = 0; i < n && i < 64; i++) {
		phys_addr_t pa = esz == 8 ? *(const uint64_t *)(ents + 8 * i)
					  : *(const uint32_t *)(ents + 4 * i);
		const struct sdt_header *h = map_table(pa);
		if (!h)
			continue;
		if (!memcmp(h->sig, "APIC", 4)) {
			acpi.madt = pa;
			parse_madt(h);
		} else if (!memcmp(h->sig, "FACP", 4)) {
			acpi.fadt = pa;
			parse_fadt(h);
		} else if (!memcmp(h->sig, "MCFG", 4)) {
			acpi.mcfg = pa;
			parse_mcfg(h);
		}
	}
	if (!acpi.lapic_phys)
		acpi.lapic_phys = 0xfee00000;
	if (!acpi.ioapic_phys)
		acpi.ioapic_phys = 0xfec00000;
	if (!acpi.nioapics)
		acpi.ioapics[acpi.nioapics++] = (struct acpi_ioapic){ acpi.ioapic_phys, 0 };
	if (!acpi.ncpus)
		acpi.ncpus = 1;
}

/* Enter S5 through the FADT's registers; returns only if that did not work. */
void acpi_poweroff(void)
{
	if (!acpi.fadt)
		return;
	if (acpi.hw_reduced && sleep_ctl.addr) {
		uint8_t v = (uint8_t)(((s5_found ? s5_slp_typ : 5) & 7) << 2) | (1 << 5);
		if (sleep_ctl.space == 1)
			outb((uint16_t)sleep_ctl.addr, v);
		else if (sleep_ctl.space == 0)
			mmio_write8(ioremap(sleep_ctl.addr, 1), v);
	} else if (pm1a_cnt && s5_found) {
		outw((uint16_t)pm1a_cnt, (uint16_t)((s5_slp_typ & 7) << 10 | (1 << 13)));
	}
	udelay(100000);
}
