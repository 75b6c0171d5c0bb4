/*
 * test_fw_cfg.c - the fw_cfg guest driver against a simulated device.
 *
 * drivers/firmware/fw_cfg.c is compiled in (it talks to ports; the
 * harness's <arch/io.h> sends inb/outw/outl to this file's hooks). The
 * device offers no DMA, so the port reader of the directory is the one
 * tested; the DMA reader shares its entry check (fw_cfg_dir_entry). The
 * simulated device serves the signature, the feature word and a file
 * directory built by each test, and counts every data-port read: a
 * hostile directory (a count far beyond its entries, selectors below
 * FW_CFG_FILE_FIRST, names without a terminator) must end in a clear
 * error after a bounded number of reads, never in a 4-billion-entry walk.
 */
#include "htest.h"
#include <stdlib.h>
#include "../../drivers/firmware/fw_cfg.c"
#include <errno.h>
#include <string.h>

#define SIM_MAX_FILES	64

static struct {
	uint16_t selected;
	uint32_t offset;
	uint32_t count;			/* the count the directory claims */
	uint32_t nr_entries;		/* entries really there (the rest read 0) */
	uint8_t entries[SIM_MAX_FILES][64];
	unsigned long data_reads;
	unsigned long read_limit;	/* abort the test past this many reads */
} sim;

/* Byte @off of the item currently selected. */
static uint8_t sim_item_byte(uint32_t off)
{
	switch (sim.selected) {
	case FW_CFG_SIGNATURE:
		return off < 4 ? (uint8_t)"QEMU"[off] : 0;
	case FW_CFG_ID:
		return off == 0 ? FW_CFG_VERSION_TRADITIONAL : 0;	/* the port path: no DMA */
	case FW_CFG_FILE_DIR:
		if (off < 4)
			return (uint8_t)(sim.count >> (8 * (3 - off)));	/* big-endian */
		off -= 4;
		if (off / 64 < sim.nr_entries)
			return sim.entries[off / 64][off % 64];
		return 0;
	default:
		return 0;
	}
}

static uint8_t sim_inb(uint16_t port)
{
	if (port != FW_CFG_PORT_DATA)
		return 0xff;
	if (++sim.data_reads > sim.read_limit) {
		fprintf(stderr, "FAIL: fw_cfg driver read %lu bytes of a %u-entry directory "
			"(it trusted the claimed count %u)\n", sim.data_reads, sim.nr_entries, sim.count);
		exit(1);
	}
	return sim_item_byte(sim.offset++);
}

static void sim_outw(uint16_t port, uint16_t val)
{
	if (port == FW_CFG_PORT_SEL) {
		sim.selected = val;
		sim.offset = 0;
	}
}

static void sim_outl(uint16_t port, uint32_t val) { (void)port; (void)val; }

/* The harness's port hooks (<arch/io.h>): this file plays the device. */
uint8_t (*host_inb_hook)(uint16_t port);
void (*host_outb_hook)(uint16_t port, uint8_t v);
void (*host_outw_hook)(uint16_t port, uint16_t v);
void (*host_outl_hook)(uint16_t port, uint32_t v);
void (*host_cpuid_hook)(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			uint32_t *c, uint32_t *d);

/* Reset the simulation with a directory claiming @count entries. */
static void sim_reset(uint32_t count)
{
	memset(&sim, 0, sizeof(sim));
	host_inb_hook = sim_inb;
	host_outw_hook = sim_outw;
	host_outl_hook = sim_outl;
	sim.count = count;
	sim.read_limit = 1UL << 20;
}

/* Append a file entry. */
static void sim_add_file(const char *name, uint16_t select, uint32_t size)
{
	uint8_t *e = sim.entries[sim.nr_entries++];

	memset(e, 0, 64);
	e[0] = (uint8_t)(size >> 24); e[1] = (uint8_t)(size >> 16);
	e[2] = (uint8_t)(size >> 8); e[3] = (uint8_t)size;
	e[4] = (uint8_t)(select >> 8); e[5] = (uint8_t)select;
	strncpy((char *)e + 8, name, 56);
}

/* Expect: a listed file is found with its selector and size; a missing one is -ENOENT. */
TEST(fw_cfg_finds_file)
{
	uint16_t sel = 0;
	uint32_t size = 0;

	sim_reset(3);
	sim_add_file("etc/e820", 0x20, 100);
	sim_add_file("etc/vmcoreinfo", 0x21, 0x1010);
	sim_add_file("bootorder", 0x22, 8);
	EXPECT_EQ(fw_cfg_probe(), 0);
	EXPECT_EQ(fw_cfg.nr_files, 3);
	EXPECT_EQ(fw_cfg_find_file("etc/vmcoreinfo", &sel, &size), 0);
	EXPECT_EQ(sel, 0x21);
	EXPECT_EQ(size, 0x1010);
	EXPECT_EQ(fw_cfg_find_file("etc/missing", &sel, &size), -ENOENT);
}

/* Expect: a directory claiming 2^32-1 entries is read a bounded number of bytes and gives -EIO. */
TEST(fw_cfg_hostile_count_is_bounded)
{
	uint16_t sel;
	uint32_t size;

	sim_reset(0xffffffffu);
	sim_add_file("etc/e820", 0x20, 100);
	sim.read_limit = 4 + 64UL * (FW_CFG_MAX_FILES + 1) + 64;
	EXPECT_EQ(fw_cfg_probe(), 0);
	EXPECT_EQ(fw_cfg_find_file("etc/vmcoreinfo", &sel, &size), -EIO);
	EXPECT(sim.data_reads <= sim.read_limit);
}

/* Expect: a file whose selector is a well-known key (below 0x20) is refused with -EIO. */
TEST(fw_cfg_rejects_bad_selector)
{
	uint16_t sel = 0;
	uint32_t size = 0;

	sim_reset(2);
	sim_add_file("etc/vmcoreinfo", FW_CFG_ID, 16);	/* a well-known key, not a file */
	sim_add_file("etc/other", 0x25, 16);
	EXPECT_EQ(fw_cfg_probe(), 0);
	EXPECT_EQ(fw_cfg_find_file("etc/vmcoreinfo", &sel, &size), -EIO);
}

/* Expect: an entry past the real directory (all zero) ends the walk with -EIO. */
TEST(fw_cfg_short_directory)
{
	uint16_t sel = 0;
	uint32_t size = 0;

	sim_reset(5);
	sim_add_file("etc/e820", 0x20, 100);
	EXPECT_EQ(fw_cfg_probe(), 0);
	EXPECT_EQ(fw_cfg_find_file("etc/vmcoreinfo", &sel, &size), -EIO);
	EXPECT(sim.data_reads <= 4 + 4 + 4 + 4 + 64 * 2);
}

/* Expect: a 56-byte name without a terminator is cut, never read past. */
TEST(fw_cfg_unterminated_name)
{
	uint16_t sel = 0;
	uint32_t size = 0;

	sim_reset(1);
	sim_add_file("", 0x20, 4);
	memset(sim.entries[0] + 8, 'a', 56);		/* 56 bytes, no NUL */
	EXPECT_EQ(fw_cfg_probe(), 0);
	EXPECT_EQ(fw_cfg_find_file("aaaa", &sel, &size), -ENOENT);
}
