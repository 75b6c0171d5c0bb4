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
#define MAX_PHYSMEM_BITS	38			/* 256 GiB of physical address space:
							   2048 sections, a 557 KiB table */
#define NR_MEM_SECTIONS		(1UL << (MAX_PHYSMEM_BITS - SECTION_SIZE_BITS))
#define SECTION_PAGEBLOCKS	(PAGES_PER_SECTION >> 9)	/* pageblock_order 9 */

/* mem_section.state bits */
#define SECTION_PRESENT		0x01	/* RAM (or device memory) exists in it */
#define SECTION_HAS_MEMMAP	0x02	/* struct pages exist: pfn_valid() */
#define SECTION_ONLINE		0x04	/* its pages belong to a zone */
#define SECTION_DEFERRED	0x08	/* memmap not initialised yet (deferred init) */
#define SECTION_BOOT		0x10	/* present since boot (not hot-added) */
#define SECTION_MEMMAP_PIECES	0x20	/* hot-added memmap in 4 KiB pieces: memmap_phys
					   is the first piece only (the rest: the
					   vmemmap's page tables) */

struct mem_section {
	uint64_t memmap_phys;		/* physical address of the struct page of the
					   section's first pfn; 0 without a memmap */
	uint8_t state;			/* SECTION_* */
	uint8_t zone;			/* enum zone_type while online (pfns >= 16 MiB) */
	uint8_t owner;			/* index into the owner names (0 "boot") */
	uint8_t _pad[5];
	uint8_t pageblock_flags[SECTION_PAGEBLOCKS];	/* one byte per pageblock */
};

#define SECTION_NO_ZONE		0xff	/* mem_section.zone while not online */

extern struct mem_section mem_sections[NR_MEM_SECTIONS];

static inline unsigned long pfn_to_section_nr(unsigned long pfn) { return pfn >> PFN_SECTION_SHIFT; }
static inline unsigned long section_nr_to_pfn(unsigned long nr) { return nr << PFN_SECTION_SHIFT; }
static inline struct mem_section *__pfn_to_section(unsigned long pfn)
{ return &mem_sections[pfn_to_section_nr(pfn)]; }

/* True if section @nr exists and has struct pages (pfn_valid() of its pfns). */
static inline bool section_has_memmap(unsigned long nr)
{ return nr < NR_MEM_SECTIONS && (READ_ONCE(mem_sections[nr].state) & SECTION_HAS_MEMMAP); }
/* True if section @nr is online: its pages belong to the zone in its zone byte. */
static inline bool section_online(unsigned long nr)
{ return nr < NR_MEM_SECTIONS && (READ_ONCE(mem_sections[nr].state) & SECTION_ONLINE); }
/*
 * Boot initialised the memmap below this pfn; above it, a section marked
 * SECTION_DEFERRED has struct pages nobody but mm/deferred_init.c may read.
 */
extern unsigned long deferred_boot_end_pfn;
/*
 * True if @pfn's struct page may be read by a walker: its section is
 * online and its memmap is initialised (not SECTION_DEFERRED, or the pfn
 * lies below deferred_boot_end_pfn in a section that boot cut in two).
 */
static inline bool pfn_section_online(unsigned long pfn)
{
	unsigned long nr = pfn_to_section_nr(pfn);
	uint8_t st;

	if (nr >= NR_MEM_SECTIONS)
		return false;
	st = __atomic_load_n(&mem_sections[nr].state, __ATOMIC_ACQUIRE);
	if (!(st & SECTION_ONLINE))
		return false;
	return !(st & SECTION_DEFERRED) || pfn < READ_ONCE(deferred_boot_end_pfn);
}

struct page;
/*
 * The struct page of @pfn if its section is online (belongs to a zone)
 * and its memmap initialised (pfn_section_online()), else NULL. A lockless
 * caller that goes on to read the page must be inside memmap_walk_begin()
 * / memmap_walk_end(): outside, the section may be removed and its memmap
 * unmapped under it.
 */
struct page *pfn_to_online_page(unsigned long pfn);

/*
 * Lockless memmap walkers against remove_memory() (mm/sparse.c's essay,
 * docs/locking.md "Memmap walkers and hot-remove"). A walker brackets each
 * "test a section's state, then read its struct pages" in
 * memmap_walk_begin() / memmap_walk_end(): between them a memmap it saw
 * online stays mapped. The walk is short (one pfn, one pageblock) and
 * never waits for mem_hotplug_lock or &vm->lock (remove_memory() waits
 * for it holding them) nor calls memmap_walk_sync(); other locks are
 * fine. Nesting (an interrupt handler that walks) is allowed.
 * memmap_walk_sync() returns once every walk that may have seen a section
 * state from before the call has ended (remove_memory() calls it between
 * clearing the states and unmapping the memmaps). Kernel and host: one
 * sequence word per CPU; the dump tool: no-ops (a dump does not change).
 */
void memmap_walk_begin(void);
void memmap_walk_end(void);
void memmap_walk_sync(void);
#ifdef HOST_BUILD
/* Tests: called by page_kpageflags() between its section test and its first read of the page. */
extern void (*kpageflags_walk_hook)(unsigned long pfn);
#endif

/*
 * Arch hooks of the virtual memmap and the direct map (kernel:
 * arch/x86_64/paging.c; host harness: tests/host/support/host_mem.c;
 * hosted library: libmm/init.c).
 *
 * arch_vmemmap_base()     address of pfn 0's struct page in the virtual
 *                         memmap, or 0 where there is none (the hosted
 *                         library: its memmap is one flat array, no hot-add).
 * arch_vmemmap_map()      back the struct pages of [pfn, pfn + nr_pages)
 *                         with physical memory at @pa (2 MiB pages where
 *                         both sides are 2 MiB aligned); 0 or -ENOMEM.
 * arch_vmemmap_unmap()    undo it; no CPU uses the old translation after.
 * arch_add_direct_map()   make [start, start + size) reachable by __va();
 *                         0, -ENOMEM or -ERANGE (beyond the direct map).
 * arch_remove_direct_map() undo it (TLB shootdown on every CPU).
 */
uintptr_t arch_vmemmap_base(void);
int arch_vmemmap_map(unsigned long pfn, unsigned long nr_pages, phys_addr_t pa);
void arch_vmemmap_unmap(unsigned long pfn, unsigned long nr_pages);
int arch_add_direct_map(phys_addr_t start, uint64_t size);
void arch_remove_direct_map(phys_addr_t start, uint64_t size);

/* ---- mm/sparse.c internals shared with mm/memmap.c and the tests ---- */

/* Mark boot RAM's sections present (memblock.memory); returns how many. */
unsigned long sparse_init_boot_sections(void);
/*
 * The first boot section movablecore= gives to ZONE_MOVABLE (every present
 * one from it up), or NR_MEM_SECTIONS; before mm_init() allocates anything
 * (it then allocates below it: the boot memmap is never Movable).
 */
unsigned long sparse_boot_movable_first(void);
/* Its physical address (every boot allocation stays below it), or ~0 without Movable. */
phys_addr_t sparse_boot_movable_limit(void);
/*
 * After the boot memmap is set up: online every boot section with a memmap
 * into its zone (DMA32 below 4 GiB, Normal above, Movable from section
 * @movable_first up), set spans and present pages; boot spans stop at
 * pfns [@span_lo, @span_hi).
 */
void sparse_online_boot_sections(unsigned long movable_first,
				 unsigned long span_lo, unsigned long span_hi);
/*
 * movablecore=@opt: "SIZE" (bytes, K/M/G/T suffixes) or "N%" (1-99) of
 * boot RAM for ZONE_MOVABLE at the next mm_init(); 0, or -EINVAL (nothing
 * changed). movablecore_reset() forgets it.
 */
int movablecore_parse(const char *opt);
void movablecore_reset(void);
/* present_pages zone @z should have: RAM pages of its online sections (mm_check). */
unsigned long sparse_zone_present_pages(int z);
/* True if online section @nr's part of its zone lies inside the zone's span (mm_check). */
bool sparse_section_in_zone_span(unsigned long nr);
/* Name of the owner that added section @nr ("boot", "virtio-mem", ...). */
const char *section_owner_name(unsigned long nr);
#ifdef HOST_BUILD
void sparse_reset_for_test(void);
#endif
/* memmap_end_pfn, or one past the highest hot-added section if that is higher. */
unsigned long sparse_end_pfn(void);
/* Sections with SECTION_HAS_MEMMAP, and those also SECTION_ONLINE. */
unsigned long nr_present_sections(void);
unsigned long nr_online_sections(void);

#endif
