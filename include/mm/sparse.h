/*
 * sparse.h - the section table: which physical memory exists, where its
 * struct pages are, which zone it is in (mm/sparse.c, issue 12).
 *
 * Physical memory is cut into sections of 128 MiB. Each has an entry in
 * mem_sections[], indexed by pfn >> PFN_SECTION_SHIFT. A section with
 * SECTION_HAS_MEMMAP has struct pages for all of its pfns (holes inside
 * it are PG_reserved): pfn_valid() is one load of its state byte. Its
 * struct pages live in the virtual memmap (pfn_to_page() is still one
 * add); memmap_phys says where they are physically, for the dump tool.
 *
 * Layout contract (VMCOREINFO exports it; tools/ reads it): fields are
 * only added at the end; SIZE(mem_section) and the OFFSETs are exported.
 */
#ifndef MM_SPARSE_H
#define MM_SPARSE_H

#include <kernel/compiler.h>

#define SECTION_SIZE_BITS	27			/* 128 MiB */
#define PFN_SECTION_SHIFT	(SECTION_SIZE_BITS - 12)
#define PAGES_PER_SECTION	(1UL << PFN_SECTION_SHIFT)
#define MAX_PHYSMEM_BITS	40			/* 1 TiB of physical address space */
#define NR_MEM_SECTIONS		(1UL << (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS))
#define SECTION_PAGEBLOCKS	(PAGES_PER_SECTION >> 9)	/* pageblock_order 9 */

/* mem_section.state bits */
#define SECTION_PRESENT		0x01	/* RAM (or device memory) exists in it */
#define SECTION_HAS_MEMMAP	0x02	/* struct pages exist: pfn_valid() */
#define SECTION_ONLINE		0x04	/* its pages belong to a zone */
#define SECTION_DEFERRED	0x08	/* memmap not initialised yet (deferred init) */
#define SECTION_BOOT		0x10	/* present since boot (not hot-added) */

struct mem_section {
	uint64_t memmap_phys;		/* physical address of the struct page of the
					   section's first pfn; 0 without a memmap */
	uint8_t state;			/* SECTION_* */
	uint8_t zone;			/* enum zone_type while online (pfns >= 16 MiB) */
	uint8_t owner;			/* index into the owner names (0 "boot") */
	uint8_t _pad[5];
	uint8_t pageblock_flags[SECTION_PAGEBLOCKS];	/* one byte per pageblock */
};

extern struct mem_section mem_sections[NR_MEM_SECTIONS];

static inline unsigned long pfn_to_section_nr(unsigned long pfn) { return pfn >> PFN_SECTION_SHIFT; }
static inline unsigned long section_nr_to_pfn(unsigned long nr) { return nr << PFN_SECTION_SHIFT; }
static inline struct mem_section *__pfn_to_section(unsigned long pfn)
{ return &mem_sections[pfn_to_section_nr(pfn)]; }

/* The struct page of @pfn if its section is online (belongs to a zone), else NULL. */
struct page *pfn_to_online_page(unsigned long pfn);

#endif
