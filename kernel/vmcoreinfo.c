/*
 * vmcoreinfo.c - the VMCOREINFO note: a memory dump's map of this kernel.
 *
 * A dump of guest memory (QEMU dump-guest-memory) is only bytes. To find
 * the memmap in it, decode a struct page, tell a free page from an
 * offline one (seed 000) and read the console log, a tool needs the
 * addresses and layouts this file writes down once at boot, in the form
 * Linux uses: one ELF note named "VMCOREINFO" whose descriptor is text,
 * one "KEY=VALUE" per line. Keys follow Linux where the meaning is the
 * same (PAGESIZE, SIZE(page), OFFSET(page.flags), SYMBOL(mem_map) - the
 * address of the mem_map pointer, as in Linux - NUMBER(phys_base), ...)
 * and are Ballast's own where it differs (the page-type values, the
 * valid-block bitmap of the flat memmap, the byte ring of the console
 * log, whose Linux names SYMBOL(log_buf) etc. mean other structures);
 * docs/vmcoreinfo.md is the reference for every key, and the host dump
 * tool reads exactly that contract. Every value comes from the code that
 * defines it - offsetof() on struct page, enum pageflags and enum
 * pagetype, the memmap's variables, linker symbols - never from a number
 * typed in here, so a change of layout changes the note with it.
 *
 * Data structures: vmcoreinfo_note, one page in .data (never freed; its
 * physical address is __pa() of it, inside the kernel image): the
 * 12-byte Elf64_Nhdr, the name "VMCOREINFO\0" padded to 12 bytes, then
 * the text padded to 4. The text is also kept NUL-terminated in
 * vmcoreinfo_data for the `vmcoreinfo` shell command.
 *
 * Announcing: QEMU's -device vmcoreinfo adds the fw_cfg file
 * "etc/vmcoreinfo" (16 bytes: host_format, guest_format, size, paddr);
 * writing it by fw_cfg DMA with guest_format ELF makes dump-guest-memory
 * copy the note into the dump's PT_NOTE segment. Without the device, or
 * without fw_cfg or its DMA interface, one line says so and boot goes on;
 * the note still exists in memory (and the shell shows it).
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/vmcoreinfo.h>
#include <kernel/bug.h>
#include <drivers/fw_cfg.h>
#include <mm/page.h>
#include <mm/mmzone.h>
#include <arch/page.h>
#include <arch/x86.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef BALLAST_VERSION
#define BALLAST_VERSION "unknown"
#endif

#define NT_GNU_BUILD_ID	3

struct elf64_nhdr {
	uint32_t n_namesz;
	uint32_t n_descsz;
	uint32_t n_type;
};

#define NOTE_NAME_BYTES	ALIGN_UP(sizeof(VMCOREINFO_NOTE_NAME), 4)
#define NOTE_HEAD_BYTES	(sizeof(struct elf64_nhdr) + NOTE_NAME_BYTES)
#define VMCOREINFO_TEXT_MAX (VMCOREINFO_BYTES - NOTE_HEAD_BYTES)

static uint8_t vmcoreinfo_note[VMCOREINFO_BYTES] __aligned(4096);
static char vmcoreinfo_data[VMCOREINFO_TEXT_MAX + 1];
static size_t vmcoreinfo_size;		/* text bytes */
static bool vmcoreinfo_overflow;
static bool vmcoreinfo_ok;		/* QEMU took the address */
static struct fw_cfg_vmcoreinfo vmcoreinfo_fw_cfg;	/* the DMA source */

extern char __build_id_start[], __build_id_end[], _text_phys[];

/* Append one formatted line to the text; sets vmcoreinfo_overflow if it does not fit. */
static __printf(1, 2) void vmcoreinfo_append_str(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(vmcoreinfo_data + vmcoreinfo_size,
		      VMCOREINFO_TEXT_MAX - vmcoreinfo_size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= VMCOREINFO_TEXT_MAX - vmcoreinfo_size) {
		vmcoreinfo_overflow = true;
		vmcoreinfo_data[vmcoreinfo_size] = '\0';
		return;
	}
	vmcoreinfo_size += (size_t)n;
}

/* Linux's key forms; decimal for sizes, offsets and small numbers, hex for addresses. */
#define VMCOREINFO_SIZE(t)		vmcoreinfo_append_str("SIZE(%s)=%zu\n", #t, sizeof(struct t))
#define VMCOREINFO_OFFSET(t, f)		vmcoreinfo_append_str("OFFSET(%s.%s)=%zu\n", #t, #f, \
							      offsetof(struct t, f))
#define VMCOREINFO_NUMBER_DEC(name, v)	vmcoreinfo_append_str("NUMBER(%s)=%ld\n", name, (long)(v))
#define VMCOREINFO_NUMBER_HEX(name, v)	vmcoreinfo_append_str("NUMBER(%s)=0x%lx\n", name, \
							      (unsigned long)(v))
#define VMCOREINFO_SYMBOL(name, addr)	vmcoreinfo_append_str("SYMBOL(%s)=0x%lx\n", name, \
							      (unsigned long)(uintptr_t)(addr))

/* BUILD-ID: the descriptor of the linker's NT_GNU_BUILD_ID note, in hex. */
static void vmcoreinfo_append_build_id(void)
{
	const struct elf64_nhdr *n = (const void *)__build_id_start;
	const uint8_t *desc;
	char hex[2 * 64 + 1];

	if (__build_id_end - __build_id_start < (long)sizeof(*n) || n->n_type != NT_GNU_BUILD_ID ||
	    n->n_descsz > 64) {
		vmcoreinfo_append_str("BUILD-ID=none\n");
		return;
	}
	desc = (const uint8_t *)(n + 1) + ALIGN_UP(n->n_namesz, 4);
	for (uint32_t i = 0; i < n->n_descsz; i++)
		snprintf(hex + 2 * i, 3, "%02x", desc[i]);
	hex[2 * n->n_descsz] = '\0';
	vmcoreinfo_append_str("BUILD-ID=%s\n", hex);
}

/* Identity, struct page, types and flags: what never changes after the link. */
static void vmcoreinfo_append_layout(void)
{
	vmcoreinfo_append_str("OSRELEASE=ballast-%s\n", BALLAST_VERSION);
	vmcoreinfo_append_build_id();
	vmcoreinfo_append_str("PAGESIZE=%lu\n", PAGE_SIZE);

	VMCOREINFO_SIZE(page);
	VMCOREINFO_OFFSET(page, flags);
	VMCOREINFO_OFFSET(page, lru);
	VMCOREINFO_OFFSET(page, mapping);
	VMCOREINFO_OFFSET(page, private);
	VMCOREINFO_OFFSET(page, page_type);
	VMCOREINFO_OFFSET(page, _refcount);
	VMCOREINFO_OFFSET(page, alloc_order);
	VMCOREINFO_OFFSET(page, migratetype);

	VMCOREINFO_NUMBER_DEC("PAGE_TYPE_NONE", PGTY_NONE);
	VMCOREINFO_NUMBER_DEC("PAGE_TYPE_BUDDY", PGTY_BUDDY);
	VMCOREINFO_NUMBER_DEC("PAGE_TYPE_OFFLINE", PGTY_OFFLINE);
	VMCOREINFO_NUMBER_DEC("PAGE_TYPE_TABLE", PGTY_TABLE);
	VMCOREINFO_NUMBER_DEC("PAGE_TYPE_SLAB", PGTY_SLAB);
	VMCOREINFO_NUMBER_DEC("PAGE_TYPE_LARGE_KMALLOC", PGTY_LARGE_KMALLOC);
	VMCOREINFO_NUMBER_DEC("PAGE_TYPE_MOVABLE_OFFLINE", PGTY_MOVABLE_OFFLINE);

	VMCOREINFO_NUMBER_DEC("PG_locked", PG_locked);
	VMCOREINFO_NUMBER_DEC("PG_reserved", PG_reserved);
	VMCOREINFO_NUMBER_DEC("PG_private", PG_private);
	VMCOREINFO_NUMBER_DEC("PG_isolated", PG_isolated);
	VMCOREINFO_NUMBER_DEC("PG_hwpoison", PG_hwpoison);
	VMCOREINFO_NUMBER_DEC("PG_reported", PG_reported);
	VMCOREINFO_NUMBER_DEC("PAGE_MAPPING_MOVABLE", PAGE_MAPPING_MOVABLE);
}

/* The memory model, the virtual layout and the log ring: known once mm_init() ran. */
static void vmcoreinfo_append_memory(void)
{
	uintptr_t text_virt = (uintptr_t)_text_start;

	/* Linux's meaning: the address of the pointer variable, not of the array. */
	VMCOREINFO_SYMBOL("mem_map", memmap_mem_map_var());
	VMCOREINFO_NUMBER_HEX("memmap_start_pfn", memmap_start_pfn);
	VMCOREINFO_NUMBER_HEX("memmap_end_pfn", memmap_end_pfn);
	VMCOREINFO_SYMBOL("memmap_valid_map", memmap_valid_map);
	VMCOREINFO_NUMBER_DEC("MEMMAP_VALID_SHIFT", MEMMAP_VALID_SHIFT);
	VMCOREINFO_NUMBER_DEC("MAX_ORDER", MAX_ORDER);
	VMCOREINFO_NUMBER_HEX("zone_dma_end_pfn", ZONE_DMA_END_PFN);
	VMCOREINFO_NUMBER_HEX("zone_dma32_end_pfn", ZONE_DMA32_END_PFN);

	VMCOREINFO_NUMBER_HEX("PAGE_OFFSET", PAGE_OFFSET);
	VMCOREINFO_NUMBER_HEX("KERNEL_VBASE", KERNEL_VBASE);
	/* .text is linked at text_virt and loaded at _text_phys: KERNEL_VBASE maps to this. */
	VMCOREINFO_NUMBER_HEX("phys_base", (uintptr_t)_text_phys - (text_virt - KERNEL_VBASE));
	VMCOREINFO_SYMBOL("_text", text_virt);
	vmcoreinfo_append_str("KERNELOFFSET=0\n");

	/* Ballast's names: Linux's SYMBOL(log_buf) is a char * variable, its ring is not bytes. */
	VMCOREINFO_SYMBOL("ballast_log_buf", log_buf);
	VMCOREINFO_NUMBER_DEC("ballast_log_buf_len", LOG_BUF_LEN);
	VMCOREINFO_SYMBOL("ballast_log_buf_pos", &log_buf_pos);
}

/* Wrap the text in the ELF note header; returns the whole note's size. */
static uint32_t vmcoreinfo_seal(void)
{
	struct elf64_nhdr *n = (struct elf64_nhdr *)vmcoreinfo_note;

	memset(vmcoreinfo_note, 0, sizeof(vmcoreinfo_note));
	n->n_namesz = sizeof(VMCOREINFO_NOTE_NAME);	/* with its NUL: 11 */
	n->n_descsz = (uint32_t)vmcoreinfo_size;
	n->n_type = 0;
	memcpy(vmcoreinfo_note + sizeof(*n), VMCOREINFO_NOTE_NAME, sizeof(VMCOREINFO_NOTE_NAME));
	memcpy(vmcoreinfo_note + NOTE_HEAD_BYTES, vmcoreinfo_data, vmcoreinfo_size);
	return (uint32_t)(NOTE_HEAD_BYTES + ALIGN_UP(vmcoreinfo_size, 4));
}

/* Tell QEMU where the note is; 0 or a negative errno (the caller explains it). */
static int vmcoreinfo_announce(uint32_t note_bytes, uint32_t *file_size)
{
	uint16_t select;
	int err;

	err = fw_cfg_probe();
	if (err)
		return err;
	err = fw_cfg_find_file("etc/vmcoreinfo", &select, file_size);
	if (err)
		return err;
	if (*file_size != sizeof(vmcoreinfo_fw_cfg))
		return -EINVAL;
	if (!fw_cfg.dma)
		return -EOPNOTSUPP;
	err = fw_cfg_read(select, &vmcoreinfo_fw_cfg, sizeof(vmcoreinfo_fw_cfg));
	if (err)
		return err;
	/* host_format as the device gave it (ELF on every QEMU since 2.11). */
	vmcoreinfo_fw_cfg.guest_format = VMCOREINFO_FORMAT_ELF;
	vmcoreinfo_fw_cfg.size = note_bytes;
	vmcoreinfo_fw_cfg.paddr = __pa(vmcoreinfo_note);
	return fw_cfg_dma_write(select, &vmcoreinfo_fw_cfg, sizeof(vmcoreinfo_fw_cfg));
}

void vmcoreinfo_init(void)
{
	uint32_t note_bytes, file_size = 0;
	int err;

	vmcoreinfo_size = 0;
	vmcoreinfo_overflow = false;
	vmcoreinfo_append_layout();
	vmcoreinfo_append_memory();
	BUG_ON(vmcoreinfo_overflow);	/* the buffer is sized for every key above */
	note_bytes = vmcoreinfo_seal();

	err = vmcoreinfo_announce(note_bytes, &file_size);
	vmcoreinfo_ok = err == 0;
	switch (err) {
	case 0:
		printk("vmcoreinfo: %u-byte note at %#lx announced to QEMU (fw_cfg etc/vmcoreinfo)\n",
		       note_bytes, (unsigned long)__pa(vmcoreinfo_note));
		break;
	case -ENODEV:
		printk("vmcoreinfo: no fw_cfg device at port %#x; dumps will carry no VMCOREINFO note\n",
		       FW_CFG_PORT_SEL);
		break;
	case -ENOENT:
		printk("vmcoreinfo: fw_cfg has no etc/vmcoreinfo (QEMU without -device vmcoreinfo); dumps will carry no note\n");
		break;
	case -EINVAL:
		printk("vmcoreinfo: fw_cfg etc/vmcoreinfo is %u bytes, not %zu; not written\n",
		       file_size, sizeof(vmcoreinfo_fw_cfg));
		break;
	case -EOPNOTSUPP:
		printk("vmcoreinfo: fw_cfg has no DMA interface (features %#x); etc/vmcoreinfo cannot be written\n",
		       fw_cfg.features);
		break;
	default:
		printk("vmcoreinfo: the fw_cfg DMA write of etc/vmcoreinfo failed (%d); dumps will carry no note\n",
		       err);
	}
}

const char *vmcoreinfo_text(size_t *len)
{
	if (len)
		*len = vmcoreinfo_size;
	return vmcoreinfo_data;
}

bool vmcoreinfo_announced(void)
{
	return vmcoreinfo_ok;
}
