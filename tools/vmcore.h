/*
 * vmcore.h - reading a Ballast guest's memory dump on the host: the ELF
 * core QEMU's dump-guest-memory writes, the VMCOREINFO note the guest
 * announced through fw_cfg (docs/vmcoreinfo.md), and the memmap inside
 * the dump.
 *
 * The reader trusts nothing in the file. Every offset and size is checked
 * against the mapped file before it is used, the note's struct page layout
 * must equal the layout this tool was compiled with (a dump from another
 * build is refused, not misread), and the memmap is used only where the
 * guest's own valid map says it was initialised. What cannot be trusted
 * is reported as "unknown" and a filter keeps it.
 *
 * Once vmcore_setup_memmap() succeeded, the kernel's portable memmap
 * globals (vmemmap_base, memmap_start_pfn, ...) point into the dump, so
 * the kernel's own page_kpageflags() (mm/kpageflags.c) classifies the
 * dump's pages: the tool's summary equals the guest's page-types by
 * construction.
 */
#ifndef TOOLS_VMCORE_H
#define TOOLS_VMCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMCORE_MAX_KEYS		256
#define VMCORE_NR_ZONES		3

struct vmcore_seg {
	uint64_t paddr, vaddr;	/* first byte's physical / virtual address */
	uint64_t filesz, memsz;	/* bytes in the file / bytes described */
	uint64_t offset;	/* file offset of the first byte */
};

struct vmcore_key {
	const char *key, *val;	/* NUL-terminated, inside vmcore.note_text */
};

struct vmcore {
	const uint8_t *map;	/* the whole file */
	size_t size;
	uint16_t machine;
	bool xnum;		/* program header count came from section 0 */
	struct vmcore_seg *loads;	/* PT_LOADs, sorted by paddr */
	unsigned int nr_loads;
	uint64_t note_off, note_size;	/* the PT_NOTE segment */
	unsigned int nr_notes;		/* ELF notes in it (CORE, QEMU, VMCOREINFO) */
	char *note_text;		/* VMCOREINFO text (NUL-terminated copy), or NULL */
	size_t note_len;
	struct vmcore_key keys[VMCORE_MAX_KEYS];
	unsigned int nr_keys;

	/* from the note (vmcore_parse_info) */
	uint64_t page_offset, kernel_vbase, phys_base;
	uint64_t mem_map_var;	/* SYMBOL(mem_map): where the pointer to the memmap is */
	uint64_t mem_map;	/* the pointer's value (vmcore_setup_memmap) */
	uint64_t valid_map_va, pageblock_flags_va;
	uint64_t start_pfn, end_pfn;
	uint64_t zone_end[VMCORE_NR_ZONES];	/* exclusive end pfn of DMA, DMA32, Normal */
	const char *build_id;			/* hex, or NULL */

	/* the memmap (vmcore_setup_memmap) */
	const void *pages;	/* struct page of start_pfn (in the map or in pages_copy) */
	void *pages_copy;
	uint64_t *valid_map;
	uint8_t *pb_flags;
	bool memmap_ready;
};

/* Page classes of the filter, in the order they are tested. */
enum dump_class {
	DC_UNKNOWN,	/* no trustworthy struct page: always kept */
	DC_FREE,	/* inside a free buddy block */
	DC_REPORTED,	/* inside a free buddy block already reported to the host */
	DC_OFFLINE,	/* PageOffline (balloon): contents stale */
	DC_HWPOISON,
	DC_SLAB,
	DC_PGTABLE,
	DC_MOVABLE,	/* non-LRU movable owner page (zsmalloc, ...) */
	DC_USED,	/* anything else with a valid struct page */
	DC_ZERO,	/* (filter only) content all zero, struct page valid */
	NR_DUMP_CLASSES,
};

extern const char * const dump_class_names[NR_DUMP_CLASSES];

/*
 * Parse the ELF core at @map (@size bytes): program headers, PT_LOADs,
 * the VMCOREINFO note and its keys. 0, or -1 with a message in @err.
 * A dump without the note opens (info shows it); the other commands need
 * vmcore_parse_info().
 */
int vmcore_open(struct vmcore *vc, const void *map, size_t size, char *err, size_t errlen);
void vmcore_close(struct vmcore *vc);

/* Value string of @key, or NULL. */
const char *vmcore_key(const struct vmcore *vc, const char *key);

/*
 * Read the keys every command needs and check them against this build:
 * PAGESIZE, struct page's SIZE/OFFSETs, page-type values, flag numbers,
 * MAX_ORDER, the memmap model. 0, or -1 with the first mismatch in @err.
 */
int vmcore_parse_info(struct vmcore *vc, char *err, size_t errlen);

/* Physical address of the kernel virtual address @va (direct map or image); false if neither. */
bool vmcore_virt_to_phys(const struct vmcore *vc, uint64_t va, uint64_t *pa);

/* Pointer to [pa, pa + len) if it lies inside one PT_LOAD's file bytes, else NULL. */
const uint8_t *vmcore_phys_ptr(const struct vmcore *vc, uint64_t pa, uint64_t len);

/* Copy [pa, pa + len) into @buf across segments; false if any byte is not in the dump. */
bool vmcore_read_phys(const struct vmcore *vc, uint64_t pa, void *buf, uint64_t len);

/*
 * Find the memmap and the valid map in the dump and point the kernel's
 * memmap globals at them. 0, or -1 with a message (memmap outside the
 * dump, misaligned bounds, ...).
 */
int vmcore_setup_memmap(struct vmcore *vc, char *err, size_t errlen);

/* Class of @pfn (needs vmcore_setup_memmap); *@kpf gets its kpageflags word. */
enum dump_class vmcore_classify(const struct vmcore *vc, uint64_t pfn, uint64_t *kpf);

/*
 * Free blocks per zone and order, counted from the PageBuddy heads of the
 * valid memmap (what the guest's buddyinfo printed). Heads with an order
 * above MAX_ORDER are not counted; their number goes to *@bad.
 */
void vmcore_buddyinfo(const struct vmcore *vc, unsigned long nr_free[VMCORE_NR_ZONES][16],
		      unsigned long *bad);

/*
 * The console ring as text in the order it was written (malloc'ed into
 * *@out, *@len bytes); *@wrapped tells whether older text was
 * overwritten. 0, or -1 with a message.
 */
int vmcore_read_log(const struct vmcore *vc, char **out, size_t *len, bool *wrapped,
		    char *err, size_t errlen);

/* The GNU build-id of the ELF file at @map as lower-case hex into @hex; false if none. */
bool elf_build_id(const void *map, size_t size, char *hex, size_t hexlen);

#endif
