/*
 * bootinfo.c - turn what the boot loader left us into struct boot_info.
 *
 * multiboot2 (GRUB): a list of 8-byte aligned tags; we read the command
 * line (1), loader name (2), memory map (6), and ACPI RSDP copies (14, 15).
 * PVH (QEMU -kernel): struct hvm_start_info with the command line pointer,
 * the memory map table (version >= 1) and the RSDP address.
 * Everything is copied into the kernel's own structures, bounded, so the
 * boot data can be reclaimed and nothing trusts its sizes blindly.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries, reserved;
} __packed;

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
} __packed;

/* Copy the NUL-terminated string at @pa into bi->cmdline, noting truncation. */
static void copy_cmdline(struct boot_info *bi, const char *src)
{
	size_t n = 0;
	while (n < 65536 && src[n])
		n++;
	bi->cmdline_full_len = n;
	bi->cmdline_truncated = n >= CMDLINE_MAX;
	if (bi->cmdline_truncated)
		n = CMDLINE_MAX - 1;
	memcpy(bi->cmdline, src, n);
	bi->cmdline[n] = 0;
}

static void add_map_entry(struct boot_info *bi, uint64_t addr, uint64_t size, uint32_t type)
{
	if (bi->nmap >= E820_MAX_ENTRIES) {
		bi->map_truncated = true;
		return;
	}
	bi->map[bi->nmap++] = (struct e820_entry){ addr, size, type };
}

static int parse_pvh(phys_addr_t pa, void *(*p2v)(phys_addr_t), struct boot_info *bi,
		     char *err, size_t errlen)
{
	const struct hvm_start_info *si = p2v(pa);
	if (si->magic != PVH_START_MAGIC) {
		snprintf(err, errlen, "PVH start info at %#lx has magic %#x, expected %#x",
			 pa, si->magic, PVH_START_MAGIC);
		return -EINVAL;
	}
	bi->protocol = "PVH";
	snprintf(bi->loader, sizeof(bi->loader), "PVH start info v%u", si->version);
	bi->data_start = pa;
	bi->data_end = pa + sizeof(*si);
	if (si->cmdline_paddr)
		copy_cmdline(bi, p2v(si->cmdline_paddr));
	bi->rsdp = si->rsdp_paddr;
	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries) {
		snprintf(err, errlen, "PVH start info v%u carries no memory map", si->version);
		return -EINVAL;
	}
	const struct hvm_memmap_entry *m = p2v(si->memmap_paddr);
	for (uint32_t i = 0; i < si->memmap_entries && i < 1024; i++)
		add_map_entry(bi, m[i].addr, m[i].size, m[i].type);
	if (si->memmap_entries > 1024)
		bi->map_truncated = true;
	return 0;
}

static int parse_mb2(phys_addr_t pa, void *(*p2v)(phys_addr_t), struct boot_info *bi,
		     char *err, size_t errlen)
{
	const uint8_t *base = p2v(pa);
	uint32_t total = *(const uint32_t *)base;
	if (total < 16 || total > (1u << 20)) {
		snprintf(err, errlen, "multiboot2 information has implausible size %u", total);
		return -EINVAL;
	}
	bi->protocol = "multiboot2";
	bi->data_start = pa;
	bi->data_end = pa + total;
	bool have_map = false;
	for (uint32_t off = 8; off + 8 <= total;) {
		const uint8_t *tag = base + off;
		uint32_t type = *(const uint32_t *)tag, size = *(const uint32_t *)(tag + 4);
		if (type == 0)
			break;
		if (size < 8 || off + size > total) {
			snprintf(err, errlen, "multiboot2 tag %u at offset %u has bad size %u",
				 type, off, size);
			return -EINVAL;
		}
		switch (type) {
		case 1:
			copy_cmdline(bi, (const char *)tag + 8);
			break;
		case 2:
			snprintf(bi->loader, sizeof(bi->loader), "%.*s", (int)(size - 8),
				 (const char *)tag + 8);
			break;
		case 6: {
			uint32_t esz = *(const uint32_t *)(tag + 8);
			if (esz < 20) {
				snprintf(err, errlen, "multiboot2 memory map entry size %u < 20", esz);
				return -EINVAL;
			}
			for (uint32_t e = 16; e + esz <= size; e += esz) {
				const uint8_t *ent = tag + e;
				add_map_entry(bi, *(const uint64_t *)ent, *(const uint64_t *)(ent + 8),
					      *(const uint32_t *)(ent + 16));
			}
			have_map = true;
			break;
		}
		case 14:        /* copy of the ACPI 1.0 RSDP */
		case 15:        /* copy of the ACPI 2.0+ RSDP: preferred */
			if (!bi->rsdp || type == 15)
				bi->rsdp = pa + off + 8;
			break;
		}
		off += ALIGN_UP(size, 8);
	}
	if (!have_map) {
		snprintf(err, errlen, "multiboot2 information carries no memory map tag");
		return -EINVAL;
	}
	return 0;
}

int bootinfo_parse(uint32_t magic, phys_addr_t info_pa, void *(*p2v)(phys_addr_t),
		   struct boot_info *bi, char *err, size_t errlen)
{
	memset(bi, 0, sizeof(*bi));
	if (magic == PVH_START_MAGIC)
		return parse_pvh(info_pa, p2v, bi, err, errlen);
	if (magic == MB2_BOOTLOADER_MAGIC)
		return parse_mb2(info_pa, p2v, bi, err, errlen);
	snprintf(err, errlen,
		 "unknown boot magic %#x (expected multiboot2 %#x or PVH %#x): "
		 "boot Ballast with GRUB (multiboot2) or QEMU -kernel (PVH)",
		 magic, MB2_BOOTLOADER_MAGIC, PVH_START_MAGIC);
	return -EINVAL;
}

/* The next space-separated word of the command line at *@p; false at the end. */
static bool next_word(const char **p, const char **w, size_t *len)
{
	while (**p == ' ')
		(*p)++;
	if (!**p)
		return false;
	*w = *p;
	while (**p && **p != ' ')
		(*p)++;
	*len = (size_t)(*p - *w);
	return true;
}

/* Find "key=value" as a whole word on the command line. */
const char *cmdline_get(const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key), wl;
	const char *p = boot_info.cmdline, *w;
	while (next_word(&p, &w, &wl)) {
		if (wl > kl && !strncmp(w, key, kl) && w[kl] == '=') {
			size_t vl = wl - kl - 1;
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, w + kl + 1, vl);
			buf[vl] = 0;
			return buf;
		}
	}
	return NULL;
}

/* True if the bare word @flag or "flag=..." is on the command line. */
bool cmdline_has(const char *flag)
{
	size_t kl = strlen(flag), wl;
	const char *p = boot_info.cmdline, *w;
	while (next_word(&p, &w, &wl))
		if (wl >= kl && !strncmp(w, flag, kl) && (wl == kl || w[kl] == '='))
			return true;
	return false;
}
