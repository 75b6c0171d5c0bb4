/*
 * test_acpi_aml.c - the DSDT walker (arch/x86_64/acpi_aml.c) on AML built
 * the way QEMU 7.2 builds microvm's DSDT: virtio-mmio slots, the PCIe host
 * bridge with _CBA, its _CRS windows and its four INTx link devices, ISA
 * devices with EISA ids, an OperationRegion/Field/Method in between. Then
 * hostile input: every truncation, random corruptions and random bytes
 * must neither crash (ASan) nor hang, and unknown AML must hide only the
 * rest of its own scope.
 */
#include "htest.h"
#include <arch/x86.h>
#include <stdlib.h>
#include <string.h>

#include "../../arch/x86_64/acpi_aml.c"

struct acpi_info acpi;

/* The host "physical" address is the pointer itself. */
void *phys_map_any(phys_addr_t pa, size_t len)
{
	(void)len;
	return (void *)(uintptr_t)pa;
}

/* ---- a tiny AML assembler ---- */

static uint8_t aml[8192];
static size_t alen;
static size_t pkg_stack[16];
static int pkg_depth;

static void b(unsigned v) { aml[alen++] = (uint8_t)v; }
static void bytes(const void *p, size_t n) { memcpy(aml + alen, p, n); alen += n; }
static void le_n(uint64_t v, unsigned n) { while (n--) { b(v & 0xff); v >>= 8; } }
static void seg(const char *s) { bytes(s, 4); }

/* Open a PkgLength-delimited body after opcode bytes already emitted. */
static void pkg_begin(void)
{
	pkg_stack[pkg_depth++] = alen;
	alen += 4;			/* room for the longest encoding */
}

/* Close it, encoding the PkgLength in as few bytes as fit (as iasl/QEMU do). */
static void pkg_end(void)
{
	size_t at = pkg_stack[--pkg_depth], body = alen - (at + 4), total;
	unsigned nb = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2 : body + 3 < 0x100000 ? 3 : 4;

	total = body + nb;
	memmove(aml + at + nb, aml + at + 4, body);
	alen = at + nb + body;
	if (nb == 1) {
		aml[at] = (uint8_t)total;
		return;
	}
	aml[at] = (uint8_t)(((nb - 1) << 6) | (total & 0xf));
	for (unsigned i = 1; i < nb; i++)
		aml[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

static void name_str(const char *n, const char *v) { b(0x08); seg(n); b(0x0d); bytes(v, strlen(v) + 1); }
static void name_int(const char *n, uint32_t v) { b(0x08); seg(n); b(0x0c); le_n(v, 4); }
static void name_byte(const char *n, uint8_t v) { b(0x08); seg(n); b(0x0a); b(v); }
static void device_begin(const char *n) { b(0x5b); b(0x82); pkg_begin(); seg(n); }
static void scope_begin(const char *n) { b(0x10); pkg_begin(); if (n[0] == '\\') { b('\\'); n++; } if (*n) seg(n); else b(0); }
/* Name(n, ResourceTemplate) : Buffer with a byte size prefix. */
static size_t crs_begin(const char *n) { b(0x08); seg(n); b(0x11); pkg_begin(); b(0x0b); size_t at = alen; le_n(0, 2); return at; }
static void crs_end(size_t size_at)
{
	b(0x79); b(0);			/* end tag */
	size_t n = alen - (size_at + 2);
	aml[size_at] = (uint8_t)n;
	aml[size_at + 1] = (uint8_t)(n >> 8);
	pkg_end();
}
static void res_mem32fixed(uint32_t base, uint32_t len) { b(0x86); le_n(9, 2); b(1); le_n(base, 4); le_n(len, 4); }
static void res_irq(uint32_t gsi, bool edge, bool low) { b(0x89); le_n(6, 2); b(1 | (edge ? 2 : 0) | (low ? 4 : 0)); b(1); le_n(gsi, 4); }
static void res_addr(unsigned tag, unsigned w, unsigned type, uint64_t min, uint64_t max, uint64_t len)
{
	b(tag); le_n(3 + 5 * w, 2); b(type); b(0x0c); b(0);
	le_n(0, w); le_n(min, w); le_n(max, w); le_n(0, w); le_n(len, w);
}

/* EisaId("PNP0501") as iasl encodes it. */
static uint32_t eisa(const char *s)
{
	uint32_t v = ((uint32_t)(s[0] - '@') << 26) | ((uint32_t)(s[1] - '@') << 21) |
		     ((uint32_t)(s[2] - '@') << 16) | (uint32_t)strtoul(s + 3, NULL, 16);

	return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* Build a microvm-like DSDT body; @junk_in_fwcfg puts an unknown opcode in FWCF. */
static void build(bool junk_in_fwcfg)
{
	size_t c;

	alen = 0;
	pkg_depth = 0;
	scope_begin("_SB_");
	device_begin("FWCF");
	name_str("_HID", "QEMU0002");
	if (junk_in_fwcfg) {
		b(0x70); b(0x01); b(0x60);	/* Store (One, Local0): not understood */
	}
	name_byte("_STA", 0x0b);
	c = crs_begin("_CRS");
	b(0x47); b(1); le_n(0x510, 2); le_n(0x510, 2); b(1); b(0x0c);	/* small IO descriptor */
	crs_end(c);
	pkg_end();

	device_begin("COM1");
	name_int("_HID", eisa("PNP0501"));
	name_byte("_UID", 1);
	c = crs_begin("_CRS");
	b(0x47); b(1); le_n(0x3f8, 2); le_n(0x3f8, 2); b(0); b(8);
	b(0x22); le_n(1 << 4, 2);		/* IRQNoFlags {4} */
	crs_end(c);
	pkg_end();

	device_begin("GED_");
	name_str("_HID", "ACPI0013");
	b(0x5b); b(0x80); seg("EREG"); b(0x00); b(0x0c); le_n(0xfea00000, 4); b(0x0a); b(4);
	b(0x5b); b(0x81); pkg_begin(); seg("EREG"); b(0x03); seg("ESEL"); b(0x20); pkg_end();
	b(0x14); pkg_begin(); seg("_EVT"); b(0x09); b(0x70); b(0x01); b(0x60); pkg_end();
	pkg_end();

	for (unsigned slot = 22; slot < 24; slot++) {
		char n[5];

		snprintf(n, sizeof(n), "VR%02u", slot);
		device_begin(n);
		name_str("_HID", "LNRO0005");
		name_byte("_UID", (uint8_t)slot);
		c = crs_begin("_CRS");
		res_mem32fixed(0xfeb00000u + slot * 0x200, 0x200);
		res_irq(24 + slot, false, false);
		crs_end(c);
		pkg_end();
	}

	device_begin("PCI0");
	name_str("_HID", "PNP0A08");
	name_str("_CID", "PNP0A03");
	name_byte("_UID", 0);
	b(0x08); seg("_STR"); b(0x11); pkg_begin(); b(0x0a); b(4); b('P'); b(0); b(0); b(0); pkg_end();
	b(0x08); seg("_PRT"); b(0x12); pkg_begin(); b(1);
	b(0x12); pkg_begin(); b(4); b(0x0c); le_n(0xffff, 4); b(0); seg("GSI0"); b(0); pkg_end();
	pkg_end();
	for (unsigned i = 0; i < 4; i++) {
		char n[5];

		snprintf(n, sizeof(n), "GSI%u", i);
		device_begin(n);
		name_str("_HID", "PNP0C0F");
		name_byte("_UID", (uint8_t)i);
		c = crs_begin("_PRS");
		res_irq(16 + i, false, false);
		crs_end(c);
		c = crs_begin("_CRS");
		res_irq(16 + i, false, false);
		crs_end(c);
		b(0x14); pkg_begin(); seg("_SRS"); b(0x01); pkg_end();
		pkg_end();
	}
	b(0x14); pkg_begin(); seg("_CBA"); b(0x00); b(0xa4); b(0x0c); le_n(0xe0000000u, 4); pkg_end();
	c = crs_begin("_CRS");
	res_addr(0x88, 2, 2, 0, 255, 256);
	res_addr(0x87, 4, 0, 0xc0000000u, 0xdfffffffu, 0x20000000u);
	res_addr(0x8a, 8, 0, 0xc000000000ull, 0xffffffffffull, 0x4000000000ull);
	crs_end(c);
	device_begin("RES0");
	name_str("_HID", "PNP0C02");
	c = crs_begin("_CRS");
	res_addr(0x8a, 8, 0, 0xe0000000u, 0xefffffffu, 0x10000000u);
	crs_end(c);
	pkg_end();
	pkg_end();			/* PCI0 */
	pkg_end();			/* \_SB */

	scope_begin("\\");
	b(0x08); seg("_S5_"); b(0x12); pkg_begin(); b(4); b(0x0a); b(5); b(0); b(0); b(0); pkg_end();
	pkg_end();
}

#define MAXDEV 8
static struct acpi_device found[MAXDEV];
static unsigned nfound;

static void collect(const struct acpi_device *d, void *arg)
{
	(void)arg;
	if (nfound < MAXDEV)
		found[nfound] = *d;
	nfound++;
}

static unsigned walk(const char *hid)
{
	nfound = 0;
	memset(found, 0, sizeof(found));
	unsigned n = acpi_aml_for_each_device(aml, alen, hid, collect, NULL);
	EXPECT_EQ(n, nfound);
	return n;
}

TEST(virtio_mmio_slots_with_window_and_gsi)
{
	/* Expect both LNRO0005 slots with their window, GSI 24+slot, level, active high. */
	build(false);
	ASSERT_EQ(walk("LNRO0005"), 2);
	for (unsigned i = 0; i < 2; i++) {
		EXPECT_EQ(found[i].uid, 22 + i);
		EXPECT_EQ(found[i].nmem, 1);
		EXPECT_EQ(found[i].mem[0].base, 0xfeb00000u + (22 + i) * 0x200);
		EXPECT_EQ(found[i].mem[0].len, 0x200);
		EXPECT_EQ(found[i].nirq, 1);
		EXPECT_EQ(found[i].irq[0], 46 + i);
		EXPECT(found[i].irq_level && !found[i].irq_active_low);
	}
}

TEST(pcie_host_bridge_ecam_bus_range_windows)
{
	/* Expect PCI0's _CBA, bus range and both MMIO windows, not RES0's or the links' resources. */
	build(false);
	ASSERT_EQ(walk("PNP0A08"), 1);
	EXPECT_EQ(found[0].cba, 0xe0000000u);
	EXPECT(found[0].has_bus);
	EXPECT_EQ(found[0].bus_min, 0);
	EXPECT_EQ(found[0].bus_max, 255);
	ASSERT_EQ(found[0].nmem, 2);
	EXPECT_EQ(found[0].mem[0].base, 0xc0000000u);
	EXPECT_EQ(found[0].mem[0].len, 0x20000000u);
	EXPECT_EQ(found[0].mem[1].base, 0xc000000000ull);
	EXPECT_EQ(found[0].mem[1].len, 0x4000000000ull);
	EXPECT_EQ(found[0].nirq, 0);
	ASSERT_EQ(walk("PNP0C02"), 1);
	EXPECT_EQ(found[0].mem[0].base, 0xe0000000u);
	EXPECT_EQ(found[0].cba, 0);
}

TEST(intx_link_devices_nested_in_the_bridge)
{
	/* Expect the four nested PNP0C0F links, _UID 0-3, GSIs 16-19 from _CRS. */
	build(false);
	ASSERT_EQ(walk("PNP0C0F"), 4);
	for (unsigned i = 0; i < 4; i++) {
		EXPECT_EQ(found[i].uid, i);
		EXPECT_EQ(found[i].nirq, 1);
		EXPECT_EQ(found[i].irq[0], 16 + i);
	}
}

TEST(eisa_id_hid_decoded)
{
	/* Expect an integer _HID (EisaId) to match its text form. */
	build(false);
	ASSERT_EQ(walk("PNP0501"), 1);
	EXPECT_EQ(found[0].uid, 1);
	EXPECT_EQ(walk("PNP0502"), 0);
}

TEST(unknown_opcode_hides_only_its_own_scope)
{
	/* Expect AML the walker does not know, inside FWCF, to cost nothing outside FWCF. */
	build(true);
	EXPECT_EQ(walk("QEMU0002"), 1);	/* its _HID came before the unknown op */
	EXPECT_EQ(walk("LNRO0005"), 2);
	EXPECT_EQ(walk("PNP0A08"), 1);
	EXPECT_EQ(found[0].cba, 0xe0000000u);
	EXPECT_EQ(walk("PNP0C0F"), 4);
}

TEST(through_the_dsdt_header)
{
	/* Expect acpi_for_each_device() to read the DSDT through its header length. */
	static uint8_t table[sizeof(aml) + 36];

	build(false);
	memset(table, 0, 36);
	memcpy(table, "DSDT", 4);
	uint32_t len = (uint32_t)(alen + 36);
	memcpy(table + 4, &len, 4);
	memcpy(table + 36, aml, alen);
	acpi.dsdt = (phys_addr_t)(uintptr_t)table;
	nfound = 0;
	EXPECT_EQ(acpi_for_each_device("PNP0C0F", collect, NULL), 4);
	len = 20;			/* shorter than a header: nothing */
	memcpy(table + 4, &len, 4);
	EXPECT_EQ(acpi_for_each_device("PNP0C0F", collect, NULL), 0);
	acpi.dsdt = 0;
	EXPECT_EQ(acpi_for_each_device("PNP0C0F", collect, NULL), 0);
}

#define NHIDS 4

/*
 * Walk a private copy of @n bytes (ASan sees any read past it) for every
 * HID of interest; @count (may be NULL) gets the devices found per HID.
 */
static void walk_copy(const uint8_t *p, size_t n, unsigned *count)
{
	uint8_t *copy = malloc(n ? n : 1);
	static const char *const hids[NHIDS] = { "LNRO0005", "PNP0A08", "PNP0C0F", "PNP0501" };

	memcpy(copy, p, n);
	for (unsigned h = 0; h < NHIDS; h++) {
		nfound = 0;
		acpi_aml_for_each_device(copy, n, hids[h], collect, NULL);
		for (unsigned i = 0; i < nfound && i < MAXDEV; i++) {
			EXPECT(found[i].nmem <= ACPI_MAX_RES);
			EXPECT(found[i].nirq <= ACPI_MAX_RES);
		}
		if (count)
			count[h] = nfound;
	}
	free(copy);
}

TEST(every_truncation_is_safe)
{
	/*
	 * Expect a table cut at any length to be walked without a read past
	 * its end, to find no device the whole table does not have (never more
	 * per HID than the whole table), and the whole table to find them all:
	 * 2 virtio-mmio slots, 1 host bridge, 4 links, 1 UART (built above).
	 */
	build(false);
	size_t full = alen;
	uint8_t *orig = malloc(full);
	unsigned whole[NHIDS], cut[NHIDS];

	memcpy(orig, aml, full);
	walk_copy(orig, full, whole);
	EXPECT_EQ(whole[0], 2);
	EXPECT_EQ(whole[1], 1);
	EXPECT_EQ(whole[2], 4);
	EXPECT_EQ(whole[3], 1);
	for (size_t n = 0; n < full; n++) {
		walk_copy(orig, n, cut);
		for (unsigned h = 0; h < NHIDS; h++)
			EXPECT(cut[h] <= whole[h]);
	}
	walk_copy(orig, 0, cut);
	for (unsigned h = 0; h < NHIDS; h++)
		EXPECT_EQ(cut[h], 0);
	free(orig);
}

TEST(random_corruption_is_safe)
{
	/* Expect random byte changes (seeded, replayable) never to crash or hang the walk. */
	build(false);
	size_t full = alen;
	uint8_t *orig = malloc(full), *bad = malloc(full);

	memcpy(orig, aml, full);
	for (uint64_t it = 0; it < htest_iters(3000); it++) {
		memcpy(bad, orig, full);
		for (unsigned k = 1 + htest_rand() % 4; k; k--)
			bad[htest_rand() % full] = (uint8_t)htest_rand();
		walk_copy(bad, full, NULL);
	}
	for (uint64_t it = 0; it < htest_iters(500); it++) {
		size_t n = htest_rand() % 512;

		for (size_t i = 0; i < n; i++)
			bad[i % full] = (uint8_t)htest_rand();
		walk_copy(bad, MIN(n, full), NULL);
	}
	free(orig);
	free(bad);
}
