/*
 * vmcore.h - reading a Ballast guest's memory dump on the host: the ELF
 * core QEMU's dump-guest-memory writes, the VMCOREINFO note the guest
 * announced through fw_cfg (docs/vmcoreinfo.md), the section table and
 * the per-section memmaps inside the dump.
 *
 * The reader trusts nothing in the file. Every offset and size is checked
 * against the mapped file before it is used, the note's struct page and
 * struct mem_section layouts must equal the ones this tool was compiled
 * with (a dump from another build is refused, not misread), and a
 * section's struct pages are read only when the guest's own section table
 * says the section is online with an initialised memmap. Memory in an
 * offline section or in no section at all is never interpreted; what
 * cannot be trusted is reported as "unknown" and a filter keeps it.
 *
 * Once vmcore_setup_memmap() succeeded, the kernel's memory model globals
 * point at a copy of the dump's section table and at a virtual memmap
 * built from the sections' struct pages (pfn_to_page() stays one add), so
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
#define VMCORE_NR_ZONES		4	/* DMA, DMA32, Normal, Movable (enum zone_type) */

/* What the tool may do with a section's pages. */
enum vmcore_sec_kind {
	VS_ABSENT,	/* not SECTION_PRESENT: no memory the kernel knows of */
	VS_OFFLINE,	/* present, not online: belongs to no zone, contents not the kernel's */
	VS_UNINIT,	/* online, but its memmap is not initialised (deferred init) */
	VS_ONLINE,	/* online with an initialised memmap: its struct pages are read */
};

/* One entry of the guest's section table, as checked by vmcore_setup_memmap(). */
struct vmcore_section {
	uint64_t memmap_phys;	/* the struct page of the section's first pfn, or 0 */
	uint8_t state, zone, owner;
	uint8_t kind;		/* enum vmcore_sec_kind */
};

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
	uint64_t mem_section_va;	/* SYMBOL(mem_section): the table's first entry */
	uint64_t nr_sections;		/* LENGTH(mem_section) */
	uint64_t zone_dma_end;		/* pfns below it are ZONE_DMA, whatever their section says */
	const char *build_id;		/* hex, or NULL */

	/* the section table and memmap (vmcore_setup_memmap) */
	struct vmcore_section *sec;	/* nr_sections entries */
	uint64_t end_pfn;		/* end of the highest present section */
	unsigned long nr_present, nr_online, nr_offline, nr_uninit, nr_hotadded;
	unsigned long sec_per_zone[VMCORE_NR_ZONES];	/* online sections by zone */
	void *vmemmap;			/* reserved VA: struct pages of [0, end_pfn) */
	size_t vmemmap_len;
	void *vmemmap_start;		/* 2 MiB aligned inside it: section @first's struct pages */
	bool kernel_hooked;		/* mem_sections[] and vmemmap_base point here */
	uint64_t table_pa;		/* the section table's physical address */
	uint64_t *memmaps;		/* memmap_phys of every section with a memmap, sorted */
	unsigned long nr_memmaps;
	bool memmap_ready;
};

/* Page classes of the filter, in the order they are tested. */
enum dump_class {
	DC_UNKNOWN,	/* no trustworthy struct page: always kept */
	DC_FREE,	/* inside a free buddy block */
	DC_REPORTED,	/* inside a free buddy block already reported to the host */
	DC_OFFLINE,	/* PageOffline (balloon, virtio-mem unplugged): never read */
	DC_SECTION_OFFLINE,	/* in a present but offline section: never read */
	DC_ABSENT,	/* in no present section (a device ROM, memory not added): never read */
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
 * PAGESIZE, struct page's and struct mem_section's SIZE/OFFSETs, page-type
 * values, flag numbers, MAX_ORDER, the section geometry and state bits.
 * 0, or -1 with the first mismatch in @err.
 */
int vmcore_parse_info(struct vmcore *vc, char *err, size_t errlen);

/* Physical address of the kernel virtual address @va (direct map or image); false if neither. */
bool vmcore_virt_to_phys(const struct vmcore *vc, uint64_t va, uint64_t *pa);

/* Pointer to [pa, pa + len) if it lies inside one PT_LOAD's file bytes, else NULL. */
const uint8_t *vmcore_phys_ptr(const struct vmcore *vc, uint64_t pa, uint64_t len);

/* Copy [pa, pa + len) into @buf across segments; false if any byte is not in the dump. */
bool vmcore_read_phys(const struct vmcore *vc, uint64_t pa, void *buf, uint64_t len);

/*
 * Read the section table, check every entry (state bits, zone, memmap
 * inside the dump, memmaps not overlapping), copy the struct pages of the
 * online sections into a virtual memmap and point the kernel's memory
 * model at it. 0, or -1 with a message naming the first bad section.
 */
int vmcore_setup_memmap(struct vmcore *vc, char *err, size_t errlen);

/* The checked section entry of @pfn, or NULL beyond the table. */
const struct vmcore_section *vmcore_section_of(const struct vmcore *vc, uint64_t pfn);

/* Zone index of @pfn of an online section (DMA below zone_dma_end, else the section's). */
unsigned int vmcore_zone_of(const struct vmcore *vc, uint64_t pfn);

/*
 * kpageflags word of @pfn as the guest computes it: the kernel's
 * page_kpageflags() in online sections with an initialised memmap,
 * KPF_NOPAGE elsewhere (offline and absent sections are never read).
 */
uint64_t vmcore_kpageflags(const struct vmcore *vc, uint64_t pfn);

/*
 * True if the page at @pa holds the memory model itself (part of the
 * section table or of a section's memmap): a filter keeps it even when
 * it is all zero, so that the filtered dump stays readable.
 */
bool vmcore_is_metadata(const struct vmcore *vc, uint64_t pa);

/* Class of @pfn (needs vmcore_setup_memmap); *@kpf gets its kpageflags word. */
enum dump_class vmcore_classify(const struct vmcore *vc, uint64_t pfn, uint64_t *kpf);

/*
 * Free blocks per zone and order, counted from the PageBuddy heads of the
 * online sections' memmaps (what the guest's buddyinfo printed). Heads
 * with an order above MAX_ORDER are not counted; their number goes to *@bad.
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
