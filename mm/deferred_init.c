/*
 * deferred_init.c - deferred memmap init: boot writes the struct pages of
 * the first DEFERRED_BOOT_MB MiB only; the rest is initialised and given
 * to the buddy after boot, one section at a time, by a work item on every
 * online CPU, or sooner by whoever needs it.
 *
 * Why: writing the memmap is the page allocator's whole boot cost (64
 * bytes of struct page per 4 KiB page, 2 MiB per 128 MiB section, zeroed
 * and then the free ranges cut into buddy blocks), and it grows with RAM.
 * Under TCG one section costs a few milliseconds, most of it the first
 * touch of its 2 MiB of memmap. The kernel needs a few pages to reach
 * `ballast: ready`; the rest can wait, as in Linux's
 * deferred struct page init (there one thread per node, here one work
 * item per CPU taking sections off a shared list).
 *
 * What boot leaves undone (deferred_init_boot_setup(), called by
 * mm_init() once every section has its memmap allocated and mapped):
 * every section from the one holding pfn DEFERRED_BOOT_MB MiB up gets
 * SECTION_DEFERRED; mm_init() initialises and frees [start, boot_end_pfn)
 * as it always did and does not touch the rest. If boot_end_pfn falls
 * inside a section (8 MiB is inside section 0), that section is deferred
 * too and its remainder [boot_end_pfn, section end) is its deferred part.
 * The sections are online in their zones from the start (spans and
 * present_pages are final); only managed_pages and the free lists grow.
 *
 * Who may look at a deferred section's struct pages: nobody but this file
 * until its part is done. pfn_to_online_page() and zone_has_pfn() treat
 * the deferred part as offline (<mm/sparse.h>: pfn_section_online() asks
 * SECTION_DEFERRED, and for a section cut by boot_end_pfn the pfns below
 * it are online), so pfn walkers (compaction, kpageflags, isolation,
 * mm_check, page_reporting) skip it; a walker that must see it calls
 * deferred_init_section(nr) first. The dump export's valid map has the
 * deferred part's bits clear until it is done.
 *
 * Initialising one part (deferred_init_range): zero its struct pages
 * (4 KiB at a time, arch_zero_page), mark what memblock does not call free
 * PG_reserved with refcount 1 (memblock is static and nothing allocates
 * from it after mm_init(), so its view of the range is still the boot
 * one), cut each free range into the largest aligned blocks and put them
 * on the MOVABLE lists under zone->lock (one block per lock hold: the lock
 * is never held long), count them in managed_pages. Buddies never merge
 * across a MAX_ORDER block, and a block never crosses a section, so the
 * part's pages meet nobody else's. Then the valid-map bits, then
 * SECTION_DEFERRED is cleared (release: a walker that sees the bit clear
 * sees initialised pages).
 *
 * Claims: di_state[nr] goes PENDING -> RUNNING (one compare-and-swap:
 * exactly one CPU initialises a part) -> DONE. Three kinds of claimant:
 *  - the background: deferred_init_start() (kernel/deferred_work.c)
 *    queues one work item per online CPU running deferred_init_run_one(); each initialises one section per call and queues itself
 *    again while sections are pending, so a CPU's work loop (the shell's,
 *    on CPU 0) stays responsive between sections;
 *  - the allocator (deferred_grow_zone(), from the slow path: the fast
 *    path found every zone below its low watermark): initialises one more
 *    section the allocation could use, and the slow path retries;
 *  - deferred_init_section(nr) and deferred_init_wait(): force a section,
 *    or everything (the shell before each command, the exact-count test).
 * A claimant that finds the section it needs RUNNING on another CPU spins
 * until it is DONE, unless interrupts are off (it may be the interrupt
 * that stopped that very CPU's work item): then it goes on without it.
 *
 * After each part: the watermarks are recomputed from the new
 * managed_pages (min_free_kbytes too, unless someone set it) and the
 * per-CPU list limits follow the zone sizes, so reserves grow with the
 * zones (di_limits_lock, a leaf, serialises that). When the last part is
 * done it reports "mm: deferred init done: N sections, M MiB, T ms on C
 * CPUs" (the kernel writes it to the log ring only, see dmesg: on the
 * console it would land inside whatever command the shell is running).
 * deferred_init=off (boot option) initialises everything in mm_init(), the
 * old way: the exact-count test compares the two.
 */
#include "page_alloc_internal.h"
#include <mm/deferred_init.h>
#include <mm/memory_hotplug.h>
#include <mm/memblock.h>
#include <mm/sparse.h>
#include <arch/cpu.h>
#include <arch/page.h>
#include <kernel/printk.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>

enum { DI_NONE, DI_PENDING, DI_RUNNING, DI_DONE };

struct deferred_init_stats deferred_init_stats;
static uint8_t di_state[NR_MEM_SECTIONS];	/* DI_* per section */
static uint32_t di_ram[NR_MEM_SECTIONS];	/* RAM pages in a section's deferred part */
static unsigned long di_pending;		/* sections PENDING */
static unsigned long di_running;		/* sections RUNNING */
static unsigned long di_first, di_end;		/* sections [di_first, di_end) may be deferred */
static unsigned long di_min_free_kbytes;	/* min_free_kbytes as the kernel last computed it */
static DEFINE_SPINLOCK(di_limits_lock);		/* recomputing watermarks and limits (a leaf) */
static uint64_t di_cpus_mask;			/* CPUs that did a section (first 64) */
static bool di_enabled;				/* the kernel turns it on (kernel/mm_glue.c) */
static uint64_t di_cycles_per_ms;		/* for the figures; 0: print kilocycles */

int deferred_init_parse(const char *opt)
{
	if (!strcmp(opt, "on") || !strcmp(opt, "1"))
		di_enabled = true;
	else if (!strcmp(opt, "off") || !strcmp(opt, "0"))
		di_enabled = false;
	else
		return -EINVAL;
	return 0;
}

void deferred_init_set_enabled(bool on)
{
	di_enabled = on;
}

bool deferred_init_enabled(void)
{
	return di_enabled;
}

/* The deferred part of section @nr: [*s, *e). */
static void di_part(unsigned long nr, unsigned long *s, unsigned long *e)
{
	*s = MAX(section_nr_to_pfn(nr), deferred_init_stats.boot_end_pfn);
	*e = section_nr_to_pfn(nr) + PAGES_PER_SECTION;
}

/* Set (@on) or clear the dump export's valid bits of [s, e): one word (atomic) at a time. */
static void di_valid_bits(unsigned long s, unsigned long e, bool on)
{
	unsigned long b0, b1;

	if (!memmap_valid_map)
		return;
	s = MAX(s, memmap_start_pfn);
	e = MIN(e, memmap_end_pfn);
	if (s >= e)
		return;
	b0 = (s - memmap_start_pfn) >> MAX_ORDER;
	b1 = (e - memmap_start_pfn + MAX_ORDER_NR_PAGES - 1) >> MAX_ORDER;
	while (b0 < b1) {
		unsigned long lo = b0 % 64, n = MIN(64 - lo, b1 - b0);
		uint64_t mask = (n == 64 ? ~0ULL : ((1ULL << n) - 1)) << lo;

		if (on)
			__atomic_fetch_or(&memmap_valid_map[b0 / 64], mask, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&memmap_valid_map[b0 / 64], ~mask, __ATOMIC_RELAXED);
		b0 += n;
	}
}

unsigned long deferred_init_boot_setup(unsigned long start_pfn, unsigned long end_pfn)
{
	unsigned long boot_end = ALIGN_UP(start_pfn + ((unsigned long)DEFERRED_BOOT_MB << (20 - PAGE_SHIFT)),
					  MAX_ORDER_NR_PAGES);

	memset(di_state, 0, sizeof(di_state));
	memset(di_ram, 0, sizeof(di_ram));
	di_pending = di_running = 0;
	di_cpus_mask = 0;
	di_min_free_kbytes = 0;
	memset(&deferred_init_stats, 0, sizeof(deferred_init_stats));
	deferred_init_stats.boot_end_pfn = end_pfn;
	deferred_boot_end_pfn = end_pfn;
	if (!di_enabled || boot_end >= end_pfn)
		return end_pfn;
	deferred_init_stats.boot_end_pfn = boot_end;
	deferred_boot_end_pfn = boot_end;
	di_first = pfn_to_section_nr(boot_end);
	di_end = pfn_to_section_nr(end_pfn - 1) + 1;
	for (unsigned long nr = di_first; nr < di_end; nr++) {
		struct mem_section *ms = &mem_sections[nr];
		unsigned long s, e;

		if (!(ms->state & SECTION_HAS_MEMMAP))
			continue;
		di_part(nr, &s, &e);
		ms->state |= SECTION_DEFERRED;
		di_state[nr] = DI_PENDING;
		di_ram[nr] = (uint32_t)memblock_memory_pages_in(s, e);
		di_pending++;
		deferred_init_stats.sections++;
		deferred_init_stats.pages += di_ram[nr];
		di_valid_bits(s, e, false);
	}
	if (!di_pending) {
		deferred_init_stats.boot_end_pfn = end_pfn;
		deferred_boot_end_pfn = end_pfn;
		return end_pfn;
	}
	return boot_end;
}

/* PG_reserved, refcount 1 for every pfn of [s, e) (struct pages already zero). */
static unsigned long di_mark_reserved(unsigned long s, unsigned long e)
{
	for (unsigned long pfn = s; pfn < e; pfn++) {
		struct page *page = pfn_to_page(pfn);

		page->flags = 1UL << PG_reserved;
		page->_refcount = 1;
	}
	return e > s ? e - s : 0;
}

/* Give [s, e) to the buddy as the largest aligned blocks, one zone->lock hold each. */
static unsigned long di_free_range(unsigned long s, unsigned long e)
{
	unsigned long n = 0;

	while (s < e) {
		unsigned int order = MAX_ORDER;
		struct page *page = pfn_to_page(s);
		struct zone *zone = &zones[pfn_zonenum(s)];
		unsigned long flags;

		if (s & (MAX_ORDER_NR_PAGES - 1))
			order = (unsigned int)__builtin_ctzl(s);
		while (s + (1UL << order) > e)
			order--;
		if (page_poisoning_enabled())
			poison_pages(page, order);
		spin_lock_irqsave(&zone->lock, flags);
		add_to_free_list(page, zone, order, MIGRATE_MOVABLE, true);
		WRITE_ONCE(zone->managed_pages, zone->managed_pages + (1UL << order));
		spin_unlock_irqrestore(&zone->lock, flags);
		s += 1UL << order;
		n += 1UL << order;
	}
	return n;
}

/*
 * Initialise the struct pages of [s, e) (MAX_ORDER aligned, inside one
 * section) and free what memblock calls free; *@freed and *@reserved get
 * the counts.
 */
static void deferred_init_range(unsigned long s, unsigned long e,
				unsigned long *freed, unsigned long *reserved)
{
	char *p = (char *)pfn_to_page(s);
	size_t bytes = (e - s) * sizeof(struct page);
	unsigned long cursor = s;
	uint64_t idx = 0;
	phys_addr_t fs, fe;

	for (size_t off = 0; off < bytes; off += PAGE_SIZE)
		arch_zero_page(p + off);
	*freed = *reserved = 0;
	while (memblock_next_free_range(&idx, &fs, &fe)) {
		unsigned long rs = PHYS_PFN(fs + PAGE_SIZE - 1), re = PHYS_PFN(fe);

		rs = MAX(rs, cursor);
		re = MIN(re, e);
		if (rs >= re)
			continue;
		*reserved += di_mark_reserved(cursor, rs);
		*freed += di_free_range(rs, re);
		cursor = re;
	}
	*reserved += di_mark_reserved(cursor, e);
}

/*
 * The watermarks and the per-CPU list limits from the zone sizes as they
 * are now, min_free_kbytes too while it is the value the kernel computed
 * itself (a value someone set stays). After every section: a zone grows
 * its reserves as it grows, not only at the end.
 */
static void di_update_limits(void)
{
	unsigned long flags;

	spin_lock_irqsave(&di_limits_lock, flags);
	if (min_free_kbytes == di_min_free_kbytes) {
		min_free_kbytes = 0;		/* compute it again from the new total */
		setup_per_zone_wmarks();
		di_min_free_kbytes = min_free_kbytes;
	} else {
		setup_per_zone_wmarks();
	}
	pcp_update_all_limits();
	spin_unlock_irqrestore(&di_limits_lock, flags);
}

void (*deferred_init_report)(const char *line);

/* Once everything is in: say how long it took (to deferred_init_report, else printk). */
static void deferred_init_complete(void)
{
	char line[192];

	snprintf(line, sizeof(line), "mm: deferred init ");
	deferred_init_describe(line + strlen(line), sizeof(line) - strlen(line));
	if (deferred_init_report)
		deferred_init_report(line);
	else
		printk("%s\n", line);
}

/* Initialise the claimed (RUNNING) section @nr; @why counts who did it. */
static void deferred_init_do(unsigned long nr, unsigned long *why)
{
	struct mem_section *ms = &mem_sections[nr];
	unsigned long s, e, freed, reserved;
	uint64_t t0 = arch_cycles();
	unsigned int cpu = arch_cpu_id();

	di_part(nr, &s, &e);
	deferred_init_range(s, e, &freed, &reserved);
	di_valid_bits(s, e, true);
	di_update_limits();
	__atomic_fetch_and(&ms->state, (uint8_t)~SECTION_DEFERRED, __ATOMIC_RELEASE);
	__atomic_store_n(&di_state[nr], DI_DONE, __ATOMIC_RELEASE);

	__atomic_fetch_add(&deferred_init_stats.freed_pages, freed, __ATOMIC_RELAXED);
	__atomic_fetch_add(&deferred_init_stats.reserved_pages, reserved, __ATOMIC_RELAXED);
	__atomic_fetch_add(&mm_init_stats.freed_pages, freed, __ATOMIC_RELAXED);
	__atomic_fetch_add(&mm_init_stats.reserved_pages, reserved, __ATOMIC_RELAXED);
	__atomic_fetch_add(why, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&deferred_init_stats.busy_cycles, arch_cycles() - t0, __ATOMIC_RELAXED);
	if (cpu < 64 && !(__atomic_fetch_or(&di_cpus_mask, 1ULL << cpu, __ATOMIC_RELAXED) & (1ULL << cpu)))
		__atomic_fetch_add(&deferred_init_stats.cpus, 1, __ATOMIC_RELAXED);
	/* the last one out records the end and finishes up */
	if (__atomic_add_fetch(&deferred_init_stats.done, 1, __ATOMIC_ACQ_REL) ==
	    deferred_init_stats.sections) {
		deferred_init_stats.end_tsc = arch_cycles();
		deferred_init_complete();
	}
	__atomic_fetch_sub(&di_running, 1, __ATOMIC_RELEASE);
}

/* Move section @nr from PENDING to RUNNING; true if this caller won it. */
static bool di_claim(unsigned long nr)
{
	uint8_t want = DI_PENDING;

	if (!__atomic_compare_exchange_n(&di_state[nr], &want, DI_RUNNING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return false;
	__atomic_fetch_add(&di_running, 1, __ATOMIC_RELAXED);
	__atomic_fetch_sub(&di_pending, 1, __ATOMIC_RELAXED);
	if (!READ_ONCE(di_min_free_kbytes))
		WRITE_ONCE(di_min_free_kbytes, min_free_kbytes);	/* boot's automatic value */
	return true;
}

/* Claim the lowest pending section whose zone is at most @max_zone; its number, or -1. */
static long di_claim_next(int max_zone)
{
	for (unsigned long nr = di_first; nr < di_end && READ_ONCE(di_pending); nr++) {
		if (READ_ONCE(di_state[nr]) != DI_PENDING)
			continue;
		if ((int)READ_ONCE(mem_sections[nr].zone) > max_zone)
			continue;
		if (di_claim(nr))
			return (long)nr;
	}
	return -1;
}

/* Wait until section @nr is no longer RUNNING. */
static void di_wait_section(unsigned long nr)
{
	while (__atomic_load_n(&di_state[nr], __ATOMIC_ACQUIRE) == DI_RUNNING)
		cpu_relax();
}

void deferred_init_section(unsigned long nr)
{
	if (nr >= NR_MEM_SECTIONS)
		return;
	if (di_claim(nr)) {
		deferred_init_do(nr, &deferred_init_stats.by_force);
		return;
	}
	if (!irqs_disabled())
		di_wait_section(nr);
}

unsigned long deferred_pending_pages(void)
{
	unsigned long n = 0;

	for (unsigned long nr = di_first; nr < di_end; nr++)
		if (READ_ONCE(di_state[nr]) == DI_PENDING || READ_ONCE(di_state[nr]) == DI_RUNNING)
			n += di_ram[nr];
	return n;
}

unsigned long deferred_sections_pending(void)
{
	return __atomic_load_n(&di_pending, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&di_running, __ATOMIC_ACQUIRE);
}

bool deferred_init_run_one(void)
{
	long nr = di_claim_next(MAX_NR_ZONES - 1);

	if (nr < 0)
		return false;
	deferred_init_do((unsigned long)nr, &deferred_init_stats.by_background);
	return true;
}

bool deferred_grow_zone(gfp_t gfp, unsigned int order)
{
	long nr;

	if (likely(!deferred_sections_pending()))
		return false;
	nr = di_claim_next(gfp_zone(gfp));
	if (nr >= 0) {
		deferred_init_do((unsigned long)nr, &deferred_init_stats.by_demand);
		return true;
	}
	/* what is left is being done elsewhere: wait for one, if this context may */
	if (!(gfp & __GFP_DIRECT_RECLAIM) || irqs_disabled() || !READ_ONCE(di_running))
		return false;
	for (unsigned long n = di_first; n < di_end; n++)
		if (READ_ONCE(di_state[n]) == DI_RUNNING &&
		    (int)READ_ONCE(mem_sections[n].zone) <= gfp_zone(gfp)) {
			di_wait_section(n);
			return true;
		}
	return false;
}

void deferred_init_wait(void)
{
	long nr;

	while ((nr = di_claim_next(MAX_NR_ZONES - 1)) >= 0)
		deferred_init_do((unsigned long)nr, &deferred_init_stats.by_force);
	if (irqs_disabled())
		return;
	/* di_running drops after a section's figures (and the last one's summary) are in */
	while (__atomic_load_n(&di_running, __ATOMIC_ACQUIRE))
		cpu_relax();
}

/* Cycles as milliseconds at the rate deferred_init_begin() was given (else kilocycles / 1000). */
static unsigned long di_ms(uint64_t cycles)
{
	return (unsigned long)(cycles / (di_cycles_per_ms ? di_cycles_per_ms : 1000000));
}

int deferred_init_describe(char *buf, size_t len)
{
	const struct deferred_init_stats *st = &deferred_init_stats;
	unsigned long mib = st->pages >> (20 - PAGE_SHIFT);

	if (!st->sections)
		return snprintf(buf, len, "off: boot initialised every section");
	if (st->end_tsc)
		return snprintf(buf, len, "done: %lu sections, %lu MiB, %lu ms on %u CPU%s "
				"(background %lu, on demand %lu, forced %lu)", st->sections, mib,
				di_ms(st->end_tsc - (st->start_tsc ? st->start_tsc : st->end_tsc)),
				st->cpus, st->cpus == 1 ? "" : "s", st->by_background, st->by_demand,
				st->by_force);
	return snprintf(buf, len, "pending: %lu of %lu sections (%lu MiB) left", st->sections - st->done,
			st->sections, mib);
}

void deferred_init_begin(uint64_t cycles_per_ms)
{
	di_cycles_per_ms = cycles_per_ms;
	deferred_init_stats.start_tsc = arch_cycles();
}

#ifdef HOST_BUILD
void deferred_init_reset_for_test(void)
{
	memset(di_state, 0, sizeof(di_state));
	di_pending = di_running = 0;
	di_first = di_end = 0;
	di_cpus_mask = 0;
	di_enabled = false;
	di_cycles_per_ms = 0;
	deferred_boot_end_pfn = 0;
	memset(&deferred_init_stats, 0, sizeof(deferred_init_stats));
}
#endif
