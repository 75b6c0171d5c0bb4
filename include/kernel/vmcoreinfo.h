/*
 * vmcoreinfo.h - the VMCOREINFO note (kernel/vmcoreinfo.c): what a dump
 * tool needs to read Ballast's memory, as "KEY=VALUE\n" text in an ELF
 * note, announced to QEMU through fw_cfg "etc/vmcoreinfo". Every key is
 * documented in docs/vmcoreinfo.md.
 */
#ifndef KERNEL_VMCOREINFO_H
#define KERNEL_VMCOREINFO_H

#include <kernel/compiler.h>

#define VMCOREINFO_NOTE_NAME	"VMCOREINFO"
#define VMCOREINFO_BYTES	4096	/* the whole note, header included */

/* QEMU docs/specs/vmcoreinfo.rst: the 16-byte fw_cfg file, little-endian. */
#define VMCOREINFO_FORMAT_NONE	0
#define VMCOREINFO_FORMAT_ELF	1
struct fw_cfg_vmcoreinfo {
	uint16_t host_format;
	uint16_t guest_format;
	uint32_t size;
	uint64_t paddr;
} __packed;

/* Build the note (the memmap must exist) and announce it when QEMU has
 * -device vmcoreinfo; prints one line saying which. */
void vmcoreinfo_init(void);
/* The note's text (NUL-terminated) and its length; "" before vmcoreinfo_init(). */
const char *vmcoreinfo_text(size_t *len);
/* True once QEMU has accepted the note's address. */
bool vmcoreinfo_announced(void);

#endif
