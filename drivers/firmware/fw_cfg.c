/*
 * fw_cfg.c - QEMU's firmware configuration device, guest side.
 *
 * The device (QEMU docs/specs/fw_cfg.rst) exposes numbered items. The
 * traditional interface selects an item by writing its 16-bit key to the
 * selector port (0x510) and then streams its bytes from the data port
 * (0x511), one byte per read, from offset 0. Items from key 0x20 up are
 * "files": the directory item (key 0x19) lists them as a big-endian u32
 * count followed by 64-byte entries {be32 size, be16 select, u16 pad,
 * char name[56]}. The traditional interface is read-only; writing a file
 * needs the DMA interface (feature bit 1 of item 0x01): the guest puts a
 * 16-byte FWCfgDmaAccess {be32 control, be32 length, be64 address} in RAM
 * and writes that structure's physical address, big-endian, to the DMA
 * register at 0x514 - high half first, the write of the low half (0x518)
 * starts the transfer. QEMU performs it synchronously and clears
 * `control` to 0 on success or leaves the error bit set.
 *
 * pc, q35 and microvm all place the device at these ports with DMA on
 * (QEMU 7.2; `info mtree` shows fwcfg at 0x510-0x511 and fwcfg.dma at
 * 0x514-0x51b on each), so one probe serves every machine Ballast boots.
 * A missing device reads back 0xff bytes, not "QEMU": the probe says so
 * and every call fails with -ENODEV instead of poking further.
 *
 * Finding a file reads the directory: through DMA when the device has it
 * (one transfer instead of 64 port reads per file: under TCG each port
 * read costs microseconds, and boot looks up etc/vmcoreinfo), else through
 * the data port.
 *
 * The DMA descriptor is a static in the kernel image (its physical address
 * is __pa() of it); calls are serialised by the callers (boot, then the
 * dying CPU at panic), so one descriptor suffices.
 */
#include <drivers/fw_cfg.h>
#include <kernel/printk.h>
#include <arch/io.h>
#include <arch/page.h>
#include <arch/cpu.h>
#include <errno.h>
#include <string.h>

struct fw_cfg_info fw_cfg;

struct fw_cfg_dma_access {
	uint32_t control;	/* big-endian */
	uint32_t length;	/* big-endian */
	uint64_t address;	/* big-endian */
} __packed;

static struct fw_cfg_dma_access fw_cfg_dma_desc __aligned(16);

/* Select item @key; the data offset restarts at 0. */
static void fw_cfg_select(uint16_t key)
{
	outw(FW_CFG_PORT_SEL, key);
}

/* Read @len bytes from the data port at the current offset. */
static void fw_cfg_read_data(void *buf, uint32_t len)
{
	uint8_t *p = buf;

	for (uint32_t i = 0; i < len; i++)
		p[i] = inb(FW_CFG_PORT_DATA);
}

int fw_cfg_read(uint16_t select, void *buf, uint32_t len)
{
	if (!fw_cfg.present)
		return -ENODEV;
	fw_cfg_select(select);
	fw_cfg_read_data(buf, len);
	return 0;
}

int fw_cfg_probe(void)
{
	char sig[4];
	uint32_t features, count;

	memset(&fw_cfg, 0, sizeof(fw_cfg));
	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read_data(sig, sizeof(sig));
	if (memcmp(sig, "QEMU", 4))
		return -ENODEV;
	fw_cfg.present = true;
	fw_cfg_select(FW_CFG_ID);
	fw_cfg_read_data(&features, sizeof(features));	/* little-endian, like x86 */
	fw_cfg.features = features;
	fw_cfg.dma = features & FW_CFG_VERSION_DMA;
	fw_cfg_select(FW_CFG_FILE_DIR);
	fw_cfg_read_data(&count, sizeof(count));
	fw_cfg.nr_files = __builtin_bswap32(count);
	return 0;
}

/* Run one DMA transfer of @len bytes at @buf with control word @ctl; 0 or -EIO. */
static int fw_cfg_dma(uint32_t ctl, void *buf, uint32_t len)
{
	volatile struct fw_cfg_dma_access *d = &fw_cfg_dma_desc;
	uint64_t desc_pa = __pa((const void *)&fw_cfg_dma_desc);
	uint32_t control;

	d->control = __builtin_bswap32(ctl);
	d->length = __builtin_bswap32(len);
	d->address = __builtin_bswap64(__pa(buf));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* descriptor in memory before the kick */
	outl(FW_CFG_PORT_DMA, __builtin_bswap32((uint32_t)(desc_pa >> 32)));
	outl(FW_CFG_PORT_DMA + 4, __builtin_bswap32((uint32_t)desc_pa));
	for (int spin = 0; spin < 1000000; spin++) {
		control = __builtin_bswap32(d->control);
		if (control & FW_CFG_DMA_CTL_ERROR)
			return -EIO;
		if (control == 0)
			return 0;
		cpu_relax();
	}
	return -EIO;	/* QEMU completes synchronously; still busy means a broken device */
}

struct fw_cfg_file {
	uint32_t size;
	uint16_t select;
	uint16_t reserved;
	char name[FW_CFG_MAX_FILE_PATH];
} __packed;

#define FW_CFG_DIR_DMA_MAX	64	/* files the DMA lookup reads at once */
static struct {
	uint32_t count;
	struct fw_cfg_file f[FW_CFG_DIR_DMA_MAX];
} __packed fw_cfg_dir_buf;

/* Look @name up in the directory read by one DMA transfer; -EAGAIN if it does not fit. */
/*
 * Check directory entry @i of @count against @name: 1 and its selector and
 * size if it is @name's, 0 if it is another file's, -EIO if the entry is
 * broken (empty: read past the real directory; or @name's selector is not
 * a file's). Both directory readers use it.
 */
static int fw_cfg_dir_entry(struct fw_cfg_file *f, uint32_t i, uint32_t count,
			    const char *name, uint16_t *select, uint32_t *size)
{
	uint16_t sel;

	f->name[FW_CFG_MAX_FILE_PATH - 1] = '\0';
	if (!f->name[0]) {
		/* QEMU never lists an unnamed file: we read past the real directory */
		pr_warn("fw_cfg: file directory entry %u of %u is empty; the directory is broken\n",
			i, count);
		return -EIO;
	}
	if (strcmp(f->name, name))
		return 0;
	sel = __builtin_bswap16(f->select);
	if (sel < FW_CFG_FILE_FIRST || sel > FW_CFG_ENTRY_MASK) {
		pr_warn("fw_cfg: file \"%s\" has selector %#x, outside the file range [%#x, %#x]; "
			"not using it\n", name, sel, FW_CFG_FILE_FIRST, FW_CFG_ENTRY_MASK);
		return -EIO;
	}
	*select = sel;
	*size = __builtin_bswap32(f->size);
	return 1;
}

static int fw_cfg_find_file_dma(const char *name, uint16_t *select, uint32_t *size)
{
	uint32_t count;

	if (fw_cfg_dma(((uint32_t)FW_CFG_FILE_DIR << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
		       &fw_cfg_dir_buf, sizeof(fw_cfg_dir_buf)))
		return -EAGAIN;
	count = __builtin_bswap32(fw_cfg_dir_buf.count);
	if (count > FW_CFG_DIR_DMA_MAX)
		return -EAGAIN;
	for (uint32_t i = 0; i < count; i++) {
		int r = fw_cfg_dir_entry(&fw_cfg_dir_buf.f[i], i, count, name, select, size);

		if (r)
			return r < 0 ? r : 0;
	}
	return -ENOENT;
}

int fw_cfg_find_file(const char *name, uint16_t *select, uint32_t *size)
{
	struct fw_cfg_file f;
	uint32_t count;

	if (!fw_cfg.present)
		return -ENODEV;
	if (fw_cfg.dma) {
		int err = fw_cfg_find_file_dma(name, select, size);

		if (err != -EAGAIN)
			return err;
	}
	fw_cfg_select(FW_CFG_FILE_DIR);
	fw_cfg_read_data(&count, sizeof(count));
	count = __builtin_bswap32(count);
	if (count > FW_CFG_MAX_FILES) {
		pr_warn("fw_cfg: the file directory claims %u entries (at most %u selectors exist); "
			"reading the first %u\n", count, FW_CFG_MAX_FILES, FW_CFG_MAX_FILES);
		count = FW_CFG_MAX_FILES;
	}
	for (uint32_t i = 0; i < count; i++) {
		int r;

		fw_cfg_read_data(&f, sizeof(f));
		r = fw_cfg_dir_entry(&f, i, count, name, select, size);
		if (r)
			return r < 0 ? r : 0;
	}
	return -ENOENT;
}

int fw_cfg_dma_write(uint16_t select, const void *buf, uint32_t len)
{
	if (!fw_cfg.present)
		return -ENODEV;
	if (!fw_cfg.dma)
		return -EOPNOTSUPP;
	return fw_cfg_dma(((uint32_t)select << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE,
			  (void *)buf, len);
}
