/*
 * fw_cfg.h - QEMU's firmware configuration device (drivers/firmware/fw_cfg.c).
 *
 * The guest side of QEMU docs/specs/fw_cfg.rst on x86: a selector port,
 * a data port, and the DMA address register. Ballast uses it for one
 * thing: to find a named file ("etc/vmcoreinfo") and write it by DMA.
 */
#ifndef DRIVERS_FW_CFG_H
#define DRIVERS_FW_CFG_H

#include <kernel/compiler.h>

/* I/O ports on pc, q35 and microvm (QEMU's FW_CFG_IO_BASE; seen in `info mtree`). */
#define FW_CFG_PORT_SEL		0x510	/* 16-bit selector, little-endian */
#define FW_CFG_PORT_DATA	0x511	/* 8-bit data, auto-incrementing offset */
#define FW_CFG_PORT_DMA		0x514	/* 64-bit DMA address, big-endian; low half at +4 starts it */

/* Well-known selector keys. */
#define FW_CFG_SIGNATURE	0x0000	/* "QEMU" */
#define FW_CFG_ID		0x0001	/* feature bitmap, u32 little-endian */
#define FW_CFG_FILE_DIR		0x0019	/* the file directory */
#define FW_CFG_FILE_FIRST	0x0020	/* first selector a file can have */
#define FW_CFG_ENTRY_MASK	0x3fff	/* selectors are 14 bits (the top two are flags) */
/* The most files a directory can list: one per selector from FW_CFG_FILE_FIRST. */
#define FW_CFG_MAX_FILES	(FW_CFG_ENTRY_MASK + 1 - FW_CFG_FILE_FIRST)

#define FW_CFG_VERSION_TRADITIONAL	(1u << 0)
#define FW_CFG_VERSION_DMA		(1u << 1)

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_CTL_ERROR	(1u << 0)
#define FW_CFG_DMA_CTL_READ	(1u << 1)
#define FW_CFG_DMA_CTL_SKIP	(1u << 2)
#define FW_CFG_DMA_CTL_SELECT	(1u << 3)
#define FW_CFG_DMA_CTL_WRITE	(1u << 4)

#define FW_CFG_MAX_FILE_PATH	56

/* What the probe found (fw_cfg_probe() fills it once). */
struct fw_cfg_info {
	bool present;		/* the signature read back "QEMU" */
	bool dma;		/* FW_CFG_ID has the DMA bit */
	uint32_t features;	/* FW_CFG_ID as read */
	uint32_t nr_files;	/* entries in the file directory */
};
extern struct fw_cfg_info fw_cfg;

/* Probe the device; 0 if present, -ENODEV if not (then every call below fails). */
int fw_cfg_probe(void);
/*
 * Look @name up in the file directory: 0 and its selector and size;
 * -ENOENT (not listed), -ENODEV (no device), -EIO (the directory is
 * broken: more than FW_CFG_MAX_FILES entries claimed, an entry past its
 * real end, or @name's entry has a selector that cannot be a file).
 */
int fw_cfg_find_file(const char *name, uint16_t *select, uint32_t *size);
/* Write @len bytes at @buf (a kernel address with a physical one) to item @select
 * from offset 0 by DMA: 0, -ENODEV (no device), -EOPNOTSUPP (no DMA), -EIO (device error). */
int fw_cfg_dma_write(uint16_t select, const void *buf, uint32_t len);
/* Read @len bytes of item @select from offset 0 through the data port. */
int fw_cfg_read(uint16_t select, void *buf, uint32_t len);

#endif
