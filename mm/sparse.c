/*
 * sparse.c - the section table: which physical memory exists, which zone
 * each piece is in, and memory that is added and removed at run time.
 *
 * Physical memory is cut into 128 MiB sections (<mm/sparse.h>). Each
 * mem_sections[] entry holds a state byte (PRESENT, HAS_MEMMAP, ONLINE,
 * BOOT), the zone while online, the owner, the physical address of the
 * section's struct pages, and its 64 pageblock bytes. The struct pages of
 * every section are mapped at vmemmap_base + pfn * 64 (the virtual memmap,
 * arch hooks below), so pfn_to_page() is one add and pfn_valid() one load.
 *
 * Zones: below 16 MiB a page is in DMA; above, in its section's zone. A
 * section's zone is set when it is onlined (zone_add_section()) and
 * cleared when it is offlined (zone_remove_section()); the zone's span
 * grows to cover it and shrinks back over the sections that remain. So
 * zones may interleave: a Movable section between Normal ones lies inside
 * Normal's span without being Normal's. Walkers ask zone_has_pfn().
 *
 * movablecore= puts the top of boot memory (whole sections, never one
 * holding the kernel image or the boot memmap) into ZONE_MOVABLE.
 *
 * Hot-add: add_memory() allocates a section's memmap from the buddy (one
 * order-9 unmovable block, 2 MiB, mapped with one 2 MiB page; else 512
 * order-0 pages mapped one by one), never from the added memory itself
 * (virtio-mem memory may be unplugged and must never be touched), fills
 * it PG_reserved with refcount 1, extends the direct map, and marks the
 * section PRESENT | HAS_MEMMAP: offline. Onlining is mm/memory_hotplug.c's
 * job. remove_memory() undoes it once every section is offline.
 *
 * Locks: mem_hotplug_lock (outermost, docs/locking.md) serialises
 * add/remove/online/offline. Section state bytes are written with it held
 * and read racily (READ_ONCE) by pfn_valid() and the walkers; a section
 * loses HAS_MEMMAP before its memmap is unmapped.
 *
 * Walkers against hot-remove. A lockless walker (kpageflags, a scanner)
 * reads a section's state and then its struct pages. Clearing the state
 * before unmapping is not enough on its own: a walker that read ONLINE
 * just before the clear still goes on to read the memmap after it. The
 * unmap must wait until no CPU can hold such a stale view. Ballast has no
 * preemption, so a walk ends as soon as its CPU runs on; what is needed is
 * to know where every CPU is. An IPI to every CPU with wait (a call
 * function) does not tell it: the IPI interrupts a walker between its
 * state test and its first struct page read, the handler returns, and the
 * walker carries on with the stale view after on_each_cpu() returned. So
 * a walker says where it is: memmap_walk_begin() raises its CPU's
 * `active` count and issues a full fence before the state test;
 * memmap_walk_end() drops it (release) and, back at 0, bumps the CPU's
 * `gen`. remove_memory() clears every state, issues a full fence, then
 * memmap_walk_sync() waits, per CPU, until `active` is 0 or `gen` moved.
 * The two fences make a Dekker pair: either the walker's state test comes
 * after the clear (it sees the section gone and touches nothing) or the
 * remover's read of `active` comes after the walker raised it (it waits
 * for that walk to end). A `gen` that moved means the CPU left every walk
 * it was in, because `gen` only moves when `active` returns to 0 and a CPU
 * runs its own code in order (an interrupt handler's walk nests inside).
 * The release/acquire pair on `active`/`gen` orders the walker's reads of
 * the memmap before the unmap. The read side costs two atomics and a
 * fence per walk, so walks are a pfn (kpageflags) or a pageblock
 * (compaction's scanners). The remover waits holding mem_hotplug_lock
 * (and virtio-mem's &vm->lock) with interrupts on, so a walk must never
 * wait for those two nor call memmap_walk_sync() itself; every other lock
 * is below them in docs/locking.md, so its holder never waits for the
 * remover, and a walk may take it (compaction's free scanner takes
 * zone->lock). Walkers that hold zone->lock across their whole walk
 * (mm_check) need none of this: offlining clears SECTION_ONLINE under
 * zone->lock, so a section they see online stays online, hence mapped,
 * until they drop it.
 */
#include "page_alloc_internal.h"
#include <mm/memory_hotplug.h>
#include <mm/memblock.h>
#include <mm/gfp.h>
#include <mm/slab.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <lib/parse.h>
#include <string.h>
#include <errno.h>

struct mem_section mem_sections[NR_MEM_SECTIONS];
unsigned long deferred_boot_end_pfn;	/* set by mm/deferred_init.c at boot */
DEFINE_SPINLOCK(mem_hotplug_lock);

#define SECTION_MEMMAP_BYTES	(PAGES_PER_SECTION * sizeof(struct page))	/* 2 MiB */
#define SECTION_MEMMAP_ORDER	9
BUILD_BUG_ON(SECTION_MEMMAP_BYTES != (PAGE_SIZE << SECTION_MEMMAP_ORDER));

/* Owner names; mem_section.owner indexes them (0 is "boot"). */
#define MAX_OWNERS 8
static const char *owner_names[MAX_OWNERS] = { "boot" };

/* Boot RAM's extent rounded to MAX_ORDER blocks: where boot sections' spans stop. */
static unsigned long boot_span_lo, boot_span_hi;

/* movablecore= as parsed: bytes (0 = none), or a percentage when movablecore_pct. */
static uint64_t movablecore_bytes;
static unsigned int movablecore_pct;
/* sparse_boot_movable_first()'s answer, computed once per boot (memblock changes after). */
static bool movable_first_known;
static unsigned long movable_first_cached;

const char *section_owner_name(unsigned long nr)
{
	unsigned int o = mem_sections[nr].owner;

	return o < MAX_OWNERS && owner_names[o] ? owner_names[o] : "?";
}

/* Index of @name in owner_names, adding it; 0 ("boot") if the table is full. */
static uint8_t owner_index(const char *name)
{
	for (unsigned int i = 0; i < MAX_OWNERS; i++) {
		if (owner_names[i] && !strcmp(owner_names[i], name))
			return (uint8_t)i;
		if (!owner_names[i]) {
			owner_names[i] = name;
			return (uint8_t)i;
		}
	}
	return 0;
}

/* Per-CPU walk state: `active` nesting count, `gen` bumped when it returns to 0. */
struct memmap_walk_cpu {
	unsigned long active;
	unsigned long gen;
} __attribute__((aligned(64)));
static struct memmap_walk_cpu memmap_walk[NR_CPUS];
#ifdef HOST_BUILD
void (*kpageflags_walk_hook)(unsigned long pfn);
#endif

void memmap_walk_begin(void)
{
	struct memmap_walk_cpu *w = &memmap_walk[arch_cpu_id()];

	__atomic_add_fetch(&w->active, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* before the walker's state test */
}

void memmap_walk_end(void)
{
	struct memmap_walk_cpu *w = &memmap_walk[arch_cpu_id()];

	VM_BUG_ON(!__atomic_load_n(&w->active, __ATOMIC_RELAXED));
	if (__atomic_sub_fetch(&w->active, 1, __ATOMIC_RELEASE) == 0)
		__atomic_add_fetch(&w->gen, 1, __ATOMIC_RELEASE);
}

void memmap_walk_sync(void)
{
	VM_BUG_ON(__atomic_load_n(&memmap_walk[arch_cpu_id()].active, __ATOMIC_RELAXED));
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* the cleared states before the reads below */
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct memmap_walk_cpu *w = &memmap_walk[cpu];
		unsigned long gen = __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE);

		while (__atomic_load_n(&w->active, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&w->gen, __ATOMIC_ACQUIRE) == gen)
			cpu_relax();
	}
}

struct page *pfn_to_online_page(unsigned long pfn)
{
	if (!pfn_section_online(pfn))
		return NULL;
	return pfn_to_page(pfn);
}

unsigned long sparse_end_pfn(void)
{
	for (unsigned long nr = NR_MEM_SECTIONS; nr-- > 0;)
		if (section_has_memmap(nr) && !(mem_sections[nr].state & SECTION_BOOT))
			return MAX(section_nr_to_pfn(nr + 1), memmap_end_pfn);
	return memmap_end_pfn;
}

unsigned long nr_present_sections(void)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < NR_MEM_SECTIONS; i++)
		n += section_has_memmap(i);
	return n;
}

unsigned long nr_online_sections(void)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < NR_MEM_SECTIONS; i++)
		n += section_online(i);
	return n;
}

/* True if any byte of [s, e) is reserved in memblock. */
static bool memblock_overlaps_reserved(phys_addr_t s, phys_addr_t e)
{
	for (unsigned int i = 0; i < memblock.reserved.cnt; i++) {
		const struct memblock_region *r = &memblock.reserved.regions[i];

		if (r->base < e && r->base + r->size > s)
			return true;
	}
	return false;
}

/*
 * The part of section @nr that zone @z covers: [*s, *e) (empty if none).
 * DMA owns pfns below 16 MiB; every other zone the rest of the section.
 * A boot section is clipped to boot RAM's MAX_ORDER-rounded extent.
 */
static void section_zone_range(unsigned long nr, enum zone_type z,
				unsigned long *s, unsigned long *e)
{
	unsigned long lo = section_nr_to_pfn(nr), hi = lo + PAGES_PER_SECTION;

	if (mem_sections[nr].state & SECTION_BOOT) {
		lo = MAX(lo, boot_span_lo);
		hi = MIN(hi, boot_span_hi);
	}
	if (z == ZONE_DMA)
		hi = MIN(hi, ZONE_DMA_END_PFN);
	else
		lo = MAX(lo, ZONE_DMA_END_PFN);
	*s = lo;
	*e = hi > lo ? hi : lo;
}

/* RAM pages of section @nr's part in zone @z. */
static unsigned long section_zone_present(unsigned long nr, enum zone_type z)
{
	unsigned long s, e;

	section_zone_range(nr, z, &s, &e);
	if (s >= e)
		return 0;
	if (mem_sections[nr].state & SECTION_BOOT)
		return memblock_memory_pages_in(s, e);
	return e - s;
}

bool sparse_section_in_zone_span(unsigned long nr)
{
	const struct zone *zone = &zones[mem_sections[nr].zone];
	unsigned long s, e;

	section_zone_range(nr, (enum zone_type)mem_sections[nr].zone, &s, &e);
	return s >= e || (s >= zone->zone_start_pfn && e <= zone_end_pfn(zone));
}

unsigned long sparse_zone_present_pages(int z)
{
	unsigned long n = 0;

	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		const struct mem_section *ms = &mem_sections[nr];

		if (!(READ_ONCE(ms->state) & SECTION_ONLINE))
			continue;
		if (z == ZONE_DMA ? nr == 0 : ms->zone == z)
			n += section_zone_present(nr, z);
	}
	return n;
}

/*
 * Recompute @zone's span from the online sections in it (zone->lock held,
 * or the zone not yet in use). An empty zone keeps its start and spans 0.
 */
static void zone_recompute_span(struct zone *zone)
{
	enum zone_type z = (enum zone_type)zone_idx(zone);
	unsigned long lo = ~0UL, hi = 0;

	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		unsigned long s, e;
		const struct mem_section *ms = &mem_sections[nr];

		if (!(ms->state & SECTION_ONLINE))
			continue;
		/* section 0's low 16 MiB is DMA whatever its zone byte says */
		if (z != ZONE_DMA && ms->zone != z)
			continue;
		if (z == ZONE_DMA && nr != 0)
			continue;
		section_zone_range(nr, z, &s, &e);
		if (s >= e)
			continue;
		lo = MIN(lo, s);
		hi = MAX(hi, e);
	}
	if (lo >= hi) {
		zone->spanned_pages = 0;
		return;
	}
	zone->zone_start_pfn = lo;
	zone->spanned_pages = hi - lo;
}

void zone_add_section(struct zone *zone, unsigned long nr)
{
	struct mem_section *ms = &mem_sections[nr];
	unsigned long flags;

	BUG_ON(!(ms->state & SECTION_HAS_MEMMAP) || (ms->state & SECTION_ONLINE));
	spin_lock_irqsave(&zone->lock, flags);
	WRITE_ONCE(ms->zone, (uint8_t)zone_idx(zone));
	WRITE_ONCE(ms->state, ms->state | SECTION_ONLINE);
	zone_recompute_span(zone);
	zone->present_pages += section_zone_present(nr, (enum zone_type)zone_idx(zone));
	if (nr == 0 && zone_idx(zone) != ZONE_DMA) {
		zone_recompute_span(&zones[ZONE_DMA]);
		zones[ZONE_DMA].present_pages += section_zone_present(0, ZONE_DMA);
	}
	spin_unlock_irqrestore(&zone->lock, flags);
}

void zone_remove_section(struct zone *zone, unsigned long nr)
{
	struct mem_section *ms = &mem_sections[nr];
	unsigned long flags;

	BUG_ON(!(ms->state & SECTION_ONLINE) || ms->zone != zone_idx(zone));
	spin_lock_irqsave(&zone->lock, flags);
	WRITE_ONCE(ms->state, ms->state & ~SECTION_ONLINE);
	WRITE_ONCE(ms->zone, SECTION_NO_ZONE);
	zone->present_pages -= section_zone_present(nr, (enum zone_type)zone_idx(zone));
	zone_recompute_span(zone);
	if (nr == 0 && zone_idx(zone) != ZONE_DMA) {
		zones[ZONE_DMA].present_pages -= section_zone_present(0, ZONE_DMA);
		zone_recompute_span(&zones[ZONE_DMA]);
	}
	spin_unlock_irqrestore(&zone->lock, flags);
}

void zone_managed_changed(void)
{
	setup_per_zone_wmarks();
	for (int z = 0; z < MAX_NR_ZONES; z++)
		pcp_update_zone(&zones[z]);
}

/* ---- boot ---- */

unsigned long sparse_init_boot_sections(void)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < memblock.memory.cnt; i++) {
		const struct memblock_region *r = &memblock.memory.regions[i];
		unsigned long s = PHYS_PFN(r->base), e = PHYS_PFN(r->base + r->size + PAGE_SIZE - 1);

		if (e <= s)
			continue;
		for (unsigned long nr = pfn_to_section_nr(s); nr <= pfn_to_section_nr(e - 1) &&
		     nr < NR_MEM_SECTIONS; nr++) {
			if (!(mem_sections[nr].state & SECTION_PRESENT))
				n++;
			mem_sections[nr].state |= SECTION_PRESENT | SECTION_BOOT;
			mem_sections[nr].zone = SECTION_NO_ZONE;
			mem_sections[nr].owner = 0;
		}
	}
	return n;
}

/* The zone a boot section goes online into, movablecore= aside. */
static enum zone_type boot_section_zone(unsigned long nr)
{
	return section_nr_to_pfn(nr) < ZONE_DMA32_END_PFN ? ZONE_DMA32 : ZONE_NORMAL;
}

/* "SIZE" with an optional K/M/G/T suffix (binary units) into *@v; false if malformed. */
static bool parse_mem_size(const char *opt, uint64_t *v)
{
	const char *p = opt;
	unsigned int shift = 0;

	if (!parse_u64(&p, 10, v))
		return false;
	switch (*p) {
	case 'K': case 'k': shift = 10; p++; break;
	case 'M': case 'm': shift = 20; p++; break;
	case 'G': case 'g': shift = 30; p++; break;
	case 'T': case 't': shift = 40; p++; break;
	}
	if (*p || (shift && *v > (UINT64_MAX >> shift)))
		return false;
	*v <<= shift;
	return true;
}

int movablecore_parse(const char *opt)
{
	uint64_t v;
	size_t len = strlen(opt);

	if (len > 1 && opt[len - 1] == '%') {
		char num[24];

		if (len - 1 >= sizeof(num))
			return -EINVAL;
		memcpy(num, opt, len - 1);
		num[len - 1] = 0;
		if (!parse_u64_str(num, 0, &v) || v == 0 || v >= 100)
			return -EINVAL;
		movablecore_pct = (unsigned int)v;
		movablecore_bytes = 0;
		movable_first_known = false;
		return 0;
	}
	if (!parse_mem_size(opt, &v) || v == 0)
		return -EINVAL;
	movablecore_bytes = v;
	movablecore_pct = 0;
	movable_first_known = false;
	return 0;
}

void movablecore_reset(void)
{
	movablecore_bytes = 0;
	movablecore_pct = 0;
	movable_first_known = false;
}

/*
 * The first section of ZONE_MOVABLE at boot for movablecore=, or
 * NR_MEM_SECTIONS for none: the asked size rounded up to whole sections,
 * taken from the top of boot memory, stopping below any section
 * that has reserved memory (the kernel image, firmware, boot data) and
 * never taking section 0. Called before mm_init() allocates anything.
 */
unsigned long sparse_boot_movable_first(void)
{
	uint64_t want = movablecore_bytes, got = 0;
	unsigned long first = NR_MEM_SECTIONS, top = 0, nr;

	if (movable_first_known)
		return movable_first_cached;
	if (!want && !movablecore_pct)
		return NR_MEM_SECTIONS;
	sparse_init_boot_sections();
	if (movablecore_pct)
		want = memblock_phys_mem_size() / 100 * movablecore_pct;
	for (nr = 0; nr < NR_MEM_SECTIONS; nr++)
		if (mem_sections[nr].state & SECTION_PRESENT)
			top = nr + 1;
	for (nr = top; nr-- > 1 && got < want;) {
		phys_addr_t s = PFN_PHYS(section_nr_to_pfn(nr)), e = s + (1ULL << SECTION_SIZE_BITS);

		if (!(mem_sections[nr].state & SECTION_PRESENT))
			continue;
		if (memblock_overlaps_reserved(s, e))
			break;
		if (section_nr_to_pfn(nr) < ZONE_DMA32_END_PFN && top > pfn_to_section_nr(ZONE_DMA32_END_PFN))
			break;	/* keep DMA32 whole when there is Normal memory above it */
		got += e - s;	/* whole sections: a short top section counts whole */
		first = nr;
	}
	if (got < want)
		pr_warn("movablecore: %llu MiB asked, %llu MiB of whole sections above the kernel "
			"available; Movable gets those\n", (unsigned long long)(want >> 20),
			(unsigned long long)(got >> 20));
	movable_first_known = true;
	movable_first_cached = first;
	return first;
}

phys_addr_t sparse_boot_movable_limit(void)
{
	unsigned long first = sparse_boot_movable_first();

	return first < NR_MEM_SECTIONS ? PFN_PHYS(section_nr_to_pfn(first)) : ~(phys_addr_t)0;
}

void sparse_online_boot_sections(unsigned long movable_first,
				 unsigned long span_lo, unsigned long span_hi)
{
	boot_span_lo = span_lo;
	boot_span_hi = span_hi;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		zones[z].zone_start_pfn = z == ZONE_DMA ? span_lo : MAX(span_lo, ZONE_DMA_END_PFN);
		zones[z].spanned_pages = 0;
	}
	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		struct mem_section *ms = &mem_sections[nr];
		enum zone_type z;

		if (!(ms->state & SECTION_HAS_MEMMAP))
			continue;
		z = nr >= movable_first ? ZONE_MOVABLE : boot_section_zone(nr);
		ms->zone = (uint8_t)z;
		ms->state |= SECTION_ONLINE;
		zones[z].present_pages += section_zone_present(nr, z);
		if (nr == 0)
			zones[ZONE_DMA].present_pages += section_zone_present(0, ZONE_DMA);
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		zone_recompute_span(&zones[z]);
}

/* ---- hot-add and hot-remove ---- */

/* Section @nr's memmap in 4 KiB pieces: their pfns (NULL when it is one 2 MiB block). */
static unsigned long *memmap_pieces[NR_MEM_SECTIONS];
#define MEMMAP_PIECES	(SECTION_MEMMAP_BYTES / PAGE_SIZE)

/* Free the memmap of hot-added section @nr (already unmapped). */
static void section_free_memmap(unsigned long nr)
{
	unsigned long *pieces = memmap_pieces[nr];

	if (!pieces) {
		__free_pages(pfn_to_page(PHYS_PFN(mem_sections[nr].memmap_phys)), SECTION_MEMMAP_ORDER);
		return;
	}
	for (unsigned long i = 0; i < MEMMAP_PIECES; i++)
		if (pieces[i])
			__free_page(pfn_to_page(pieces[i]));
	kfree(pieces);
	memmap_pieces[nr] = NULL;
}

/*
 * Allocate and map section @nr's memmap from the buddy: one order-9
 * unmovable block, else 512 order-0 pages mapped one by one. 0 or -ENOMEM
 * (nothing left behind).
 */
static int section_alloc_memmap(unsigned long nr)
{
	unsigned long pfn = section_nr_to_pfn(nr), *pieces;
	struct page *blk = alloc_pages(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY, SECTION_MEMMAP_ORDER);

	if (blk) {
		if (!arch_vmemmap_map(pfn, PAGES_PER_SECTION, page_to_phys(blk))) {
			mem_sections[nr].memmap_phys = page_to_phys(blk);
			return 0;
		}
		__free_pages(blk, SECTION_MEMMAP_ORDER);
		return -ENOMEM;
	}
	pieces = kzalloc(MEMMAP_PIECES * sizeof(*pieces), GFP_KERNEL);
	if (!pieces)
		return -ENOMEM;
	memmap_pieces[nr] = pieces;
	for (unsigned long i = 0; i < MEMMAP_PIECES; i++) {
		struct page *p = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		unsigned long per = PAGE_SIZE / sizeof(struct page);

		if (!p || arch_vmemmap_map(pfn + i * per, per, page_to_phys(p))) {
			if (p)
				__free_page(p);
			arch_vmemmap_unmap(pfn, i * per);
			section_free_memmap(nr);
			return -ENOMEM;
		}
		pieces[i] = page_to_pfn(p);
	}
	mem_sections[nr].memmap_phys = PFN_PHYS(pieces[0]);
	return 0;
}

/* Fill section @nr's (mapped) memmap: every page PG_reserved, refcount 1, offline. */
static void section_init_memmap(unsigned long nr)
{
	struct page *first = pfn_to_page(section_nr_to_pfn(nr));

	for (unsigned long off = 0; off < SECTION_MEMMAP_BYTES; off += PAGE_SIZE)
		arch_zero_page((char *)first + off);
	for (unsigned long i = 0; i < PAGES_PER_SECTION; i++) {
		first[i].flags = 1UL << PG_reserved;
		first[i]._refcount = 1;
	}
	memset(mem_sections[nr].pageblock_flags, MIGRATE_MOVABLE, sizeof(mem_sections[nr].pageblock_flags));
}

/* Unmap and free section @nr's memmap; its state is already 0 and memmap_walk_sync() ran since. */
static void section_release(unsigned long nr)
{
	struct mem_section *ms = &mem_sections[nr];

	arch_vmemmap_unmap(section_nr_to_pfn(nr), PAGES_PER_SECTION);
	section_free_memmap(nr);
	ms->memmap_phys = 0;
	ms->zone = SECTION_NO_ZONE;
	ms->owner = 0;
}

/*
 * Take sections [@first, @first + @n) (present, offline, hot-added) away:
 * every state first, then wait out the walkers that saw one, then the memmaps.
 */
static void sections_remove(unsigned long first, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		WRITE_ONCE(mem_sections[first + i].state, 0);
	memmap_walk_sync();
	for (unsigned long i = 0; i < n; i++)
		section_release(first + i);
}

/* Validate a section-aligned, non-empty range below MAX_PHYSMEM_BITS; its sections in *@first, *@n. */
static bool hotplug_range_ok(phys_addr_t start, uint64_t size, unsigned long *first, unsigned long *n)
{
	uint64_t sec = 1ULL << SECTION_SIZE_BITS;

	if (!size || (start | size) & (sec - 1) || start + size < start ||
	    start + size > (1ULL << MAX_PHYSMEM_BITS))
		return false;
	*first = pfn_to_section_nr(PHYS_PFN(start));
	*n = (unsigned long)(size >> SECTION_SIZE_BITS);
	return true;
}

int add_memory(phys_addr_t start, uint64_t size, const char *owner)
{
	unsigned long first, n, i;
	int ret;

	if (!hotplug_range_ok(start, size, &first, &n) || !owner)
		return -EINVAL;
	if (!arch_vmemmap_base())
		return -EOPNOTSUPP;
	spin_lock(&mem_hotplug_lock);
	for (i = 0; i < n; i++)
		if (READ_ONCE(mem_sections[first + i].state) & SECTION_PRESENT) {
			spin_unlock(&mem_hotplug_lock);
			return -EINVAL;
		}
	ret = arch_add_direct_map(start, size);
	if (ret) {
		spin_unlock(&mem_hotplug_lock);
		return ret == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct mem_section *ms = &mem_sections[first + i];

		if (section_alloc_memmap(first + i)) {
			sections_remove(first, i);
			arch_remove_direct_map(start, size);
			spin_unlock(&mem_hotplug_lock);
			return -ENOMEM;
		}
		section_init_memmap(first + i);
		ms->zone = SECTION_NO_ZONE;
		ms->owner = owner_index(owner);
		__atomic_store_n(&ms->state, SECTION_PRESENT | SECTION_HAS_MEMMAP |
				 (memmap_pieces[first + i] ? SECTION_MEMMAP_PIECES : 0), __ATOMIC_RELEASE);
	}
	spin_unlock(&mem_hotplug_lock);
	return 0;
}

int remove_memory(phys_addr_t start, uint64_t size)
{
	unsigned long first, n, i;

	if (!hotplug_range_ok(start, size, &first, &n))
		return -EINVAL;
	spin_lock(&mem_hotplug_lock);
	for (i = 0; i < n; i++) {
		uint8_t st = READ_ONCE(mem_sections[first + i].state);

		if (!(st & SECTION_PRESENT) || (st & SECTION_BOOT)) {
			spin_unlock(&mem_hotplug_lock);
			return -EINVAL;
		}
		if (st & SECTION_ONLINE) {
			spin_unlock(&mem_hotplug_lock);
			return -EBUSY;
		}
	}
	sections_remove(first, n);
	arch_remove_direct_map(start, size);
	spin_unlock(&mem_hotplug_lock);
	return 0;
}

#ifdef HOST_BUILD
void sparse_reset_for_test(void)
{
	memset(mem_sections, 0, sizeof(mem_sections));
	for (unsigned long i = 0; i < NR_MEM_SECTIONS; i++)
		if (memmap_pieces[i]) {
			kfree(memmap_pieces[i]);	/* the pages went with the buffer */
			memmap_pieces[i] = NULL;
		}
	movablecore_reset();
	for (unsigned int i = 1; i < MAX_OWNERS; i++)
		owner_names[i] = NULL;
	boot_span_lo = boot_span_hi = 0;
}
#endif
