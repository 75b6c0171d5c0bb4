/*
 * mm_check.c - the whole-allocator invariant checker.
 *
 * mm_check_invariants() takes every zone lock, with interrupts off, and
 * proves, for each zone (the per-CPU lists of other online CPUs are read
 * without their owners' help: call it where the allocator is quiescent,
 * as the tests do):
 *   1. every entry of every free list is PageBuddy with the list's order,
 *      aligned to it, inside the zone, with refcount 0, no mapping, no
 *      flags but PG_reported (and that only from the reporting order up),
 *      page->migratetype equal to the list's, and equal to the
 *      migratetype of every pageblock it covers;
 *   2. no page is on two lists (each visited head gets a mark in
 *      page->_check_mark; a second visit is a violation);
 *   3. list lengths equal nr_free_mt[], their sum nr_free, and the pages
 *      on every list but ISOLATE's equal zone->free_pages (isolated free
 *      memory is not counted, as in Linux's NR_FREE_PAGES);
 *   4. pcp entries are order-0, not PageBuddy, refcount 0, in the zone,
 *      on the list of their page->migratetype; lengths equal pcp->count;
 *   5. walking the memmap, every PageBuddy head was found on a list, no
 *      page inside a free block is a PageBuddy head itself, allocated
 *      (refcount > 0) or on a pcp list;
 *   7. the section table (check_sections() below);
 *   6. every page of a block free page reporting holds for the device
 *      (page_reporting_held()) is off every list, not PageBuddy, not
 *      allocated and not inside a free block: those pages are neither
 *      free nor in use, and counted in nr_reporting_held.
 * Marks are cleared before the locks are dropped. Then, outside the zone
 * locks, debug builds check every slab object's redzone
 * (slab_check_redzones(), each cache under its own lock).
 *
 * mm_check_counts() is the cheap one: per zone, under zone->lock, it
 * counts the entries of every free list (no per-page checks) against
 * nr_free_mt[], their sum against nr_free and the pages against
 * free_pages; per CPU, for the running CPU's lists (interrupts off) and
 * those of CPUs not online (nobody's), the pcp lists against pcp->count
 * and high - other online CPUs' lists are theirs and skipped, so it is
 * safe wherever the allocator may run. Cost: O(free blocks + pcp pages), no
 * memmap walk.
 *
 * The every-N-operations check (mm_debug_check=N, debug builds only):
 * alloc_pages() and the last free of a block each count one allocator
 * operation; every N-th runs mm_check_counts() right there, with no
 * allocator lock held, and panics on a discrepancy, as OpenBSD's uvm
 * checks its structures around every change. Tests may ask for a report
 * and a count instead of the panic.
 */
#include <mm/sparse.h>
#include "page_alloc_internal.h"
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <mm/page_reporting.h>
#include <mm/slab.h>
#include <errno.h>

#define MARK_BUDDY 0xb0d1
#define MARK_PCP   0x9c9c
#define MARK_HELD  0x4e1d
#define MAX_REPORTS 10

static unsigned long nviol;

unsigned long mm_debug_check_interval;
unsigned long mm_debug_check_runs, mm_debug_check_failures;
bool mm_debug_check_no_panic;
static unsigned long mm_debug_check_ops;

/* Record one violation at @pfn; print the first few. */
static void viol(unsigned long pfn, const char *what)
{
	if (nviol++ < MAX_REPORTS)
		pr_err("mm_check: pfn %#lx: %s\n", pfn, what);
}

/* Entries on the list @head, counting at most @max + 1 (a looping list stops there). */
static unsigned long list_len_bounded(struct list_head *head, unsigned long max)
{
	unsigned long n = 0;
	struct list_head *pos;

	list_for_each(pos, head)
		if (++n > max)
			break;
	return n;
}

/* Checks 1-3 for one zone; returns pages found on the lists. */
static unsigned long check_free_lists(struct zone *zone)
{
	unsigned long pages = 0, isolated = 0;

	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];
		unsigned long blocks = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			unsigned long n = 0;
			struct list_head *pos;

			list_for_each(pos, &area->free_list[mt]) {
				struct page *p = list_entry(pos, struct page, lru);
				unsigned long pfn = page_to_pfn(p);

				if (++n > zone->spanned_pages + 1) {
					viol(pfn, "free list loops");
					break;
				}
				if (p->_check_mark) {
					viol(pfn, "free block on two lists");
					continue;
				}
				p->_check_mark = MARK_BUDDY;
				if (!PageBuddy(p) || buddy_order(p) != o)
					viol(pfn, "free list entry not PageBuddy of the list's order");
				if (pfn & ((1UL << o) - 1))
					viol(pfn, "free block misaligned");
				if (!zone_has_pfn(zone, pfn) || !zone_has_pfn(zone, pfn + (1UL << o) - 1))
					viol(pfn, "free block outside its zone");
				if (p->_refcount || p->mapping || (p->flags & ~(1UL << PG_reported)))
					viol(pfn, "free block with refcount/mapping/flags");
				if (PageReported(p) && o < page_reporting_order())
					viol(pfn, "reported free block below the reporting order");
				if (p->migratetype != mt)
					viol(pfn, "free block's migratetype differs from its list");
				for (unsigned long b = pfn; b < pfn + (1UL << o); b += pageblock_nr_pages)
					if (get_pfnblock_migratetype(b) != mt) {
						viol(pfn, "free block on a list other than its pageblock's migratetype");
						break;
					}
			}
			if (n != area->nr_free_mt[mt])
				viol(zone->zone_start_pfn, "nr_free_mt differs from list length");
			blocks += n;
			pages += n << o;
			if (is_migrate_isolate(mt))
				isolated += n << o;
		}
		if (blocks != area->nr_free)
			viol(zone->zone_start_pfn, "nr_free differs from the lists");
	}
	if (pages - isolated != zone->free_pages)
		viol(zone->zone_start_pfn, "zone free_pages differs from the non-isolated lists");
	return pages;
}

/* Check 4 for one zone. */
static void check_pcp_lists(struct zone *zone)
{
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pages *pcp = &zone->pcp[cpu];
		long n = 0;

		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
			struct list_head *pos;

			list_for_each(pos, &pcp->lists[mt]) {
				struct page *p = list_entry(pos, struct page, lru);
				unsigned long pfn = page_to_pfn(p);

				if (++n > (long)zone->spanned_pages + 1) {
					viol(pfn, "pcp list loops");
					break;
				}
				if (p->_check_mark) {
					viol(pfn, "pcp page also on another list");
					continue;
				}
				p->_check_mark = MARK_PCP;
				if (PageBuddy(p) || p->_refcount || p->mapping || p->flags)
					viol(pfn, "pcp page is PageBuddy or has refcount/mapping/flags");
				if (!zone_has_pfn(zone, pfn))
					viol(pfn, "pcp page outside its zone");
				if (p->migratetype != mt)
					viol(pfn, "pcp page on the wrong migratetype list");
			}
		}
		if (n != pcp->count)
			viol(zone->zone_start_pfn, "pcp count differs from its lists");
	}
}

/* Check 6 for one zone, first part: mark the held pages (check 5 finishes it). */
static void check_held(struct zone *zone)
{
	const struct page_reporting_entry *e;
	unsigned int n;

	e = page_reporting_held(zone, &n);
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned long pfn = e[i].pfn; pfn < e[i].pfn + (1UL << e[i].order); pfn++) {
			struct page *p = pfn_to_page(pfn);

			if (!zone_has_pfn(zone, pfn)) {
				viol(pfn, "held reporting block outside its zone");
				break;
			}
			if (p->_check_mark) {
				viol(pfn, "page held by the reporting device is on a free or pcp list");
				continue;
			}
			p->_check_mark = MARK_HELD;
			if (PageBuddy(p) || p->_refcount)
				viol(pfn, "page held by the reporting device is PageBuddy or allocated");
		}
	}
}

/* Check 5 for one zone (and the rest of 6) and clear the marks. */
static void check_memmap(struct zone *zone)
{
	unsigned long end = zone_end_pfn(zone);

	for (unsigned long pfn = zone->zone_start_pfn; pfn < end; pfn++) {
		struct page *p;

		/* sections without a memmap, offline or of another zone: skip whole */
		if (!zone_has_pfn(zone, pfn)) {
			pfn |= PAGES_PER_SECTION - 1;
			continue;
		}
		/* zones interleave (a Movable section inside DMA32's span): its own zone checks it */
		if (!zone_has_pfn(zone, pfn))
			continue;
		p = pfn_to_page(pfn);
		if (p->_check_mark == MARK_PCP || p->_check_mark == MARK_HELD) {
			p->_check_mark = 0;
			continue;
		}
		if (!PageBuddy(p))
			continue;
		if (p->_check_mark != MARK_BUDDY) {
			viol(pfn, "PageBuddy page not on any free list");
			continue;
		}
		p->_check_mark = 0;
		for (unsigned long i = 1; i < (1UL << buddy_order(p)) && pfn + i < end; i++) {
			struct page *t = pfn_to_page(pfn + i);

			if (PageBuddy(t))
				viol(pfn + i, "free block overlaps another free block");
			if (t->_refcount)
				viol(pfn + i, "page inside a free block is allocated");
			if (t->_check_mark == MARK_PCP) {
				viol(pfn + i, "page inside a free block is on a pcp list");
				t->_check_mark = 0;
			}
			if (t->_check_mark == MARK_HELD) {
				viol(pfn + i, "page held by the reporting device is inside a free block");
				t->_check_mark = 0;
			}
		}
		pfn += (1UL << buddy_order(p)) - 1;
	}
}

/*
 * Check 7: the section table. Each state is consistent (ONLINE needs
 * HAS_MEMMAP needs PRESENT; the zone byte is set exactly while online),
 * an online section lies inside its zone's span, each zone's
 * present_pages is the sum over its sections, and no page of a present
 * but offline section is PageBuddy. Racy against hotplug: call it with
 * memory not being added, removed, onlined or offlined.
 */
static void check_sections(void)
{
	for (unsigned long nr = 0; nr < NR_MEM_SECTIONS; nr++) {
		const struct mem_section *ms = &mem_sections[nr];
		unsigned long pfn = section_nr_to_pfn(nr);
		uint8_t st = READ_ONCE(ms->state);

		if (!(st & SECTION_PRESENT)) {
			if (st)
				viol(pfn, "absent section with state bits");
			continue;
		}
		if (((st & SECTION_ONLINE) && !(st & SECTION_HAS_MEMMAP)) ||
		    ((st & SECTION_HAS_MEMMAP) && !(st & SECTION_PRESENT))) {
			viol(pfn, "section state inconsistent");
			continue;
		}
		if (!(st & SECTION_ONLINE) != (ms->zone == SECTION_NO_ZONE) || (ms->zone != SECTION_NO_ZONE && ms->zone >= MAX_NR_ZONES)) {
			viol(pfn, "section zone byte differs from its online state");
			continue;
		}
		if (st & SECTION_ONLINE) {
			if (!sparse_section_in_zone_span(nr))
				viol(pfn, "online section outside its zone's span");
			continue;
		}
		if (!(st & SECTION_HAS_MEMMAP))
			continue;
		for (unsigned long i = 0; i < PAGES_PER_SECTION; i++)
			if (PageBuddy(pfn_to_page(pfn + i))) {
				viol(pfn + i, "free page in an offline section");
				break;
			}
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (sparse_zone_present_pages(z) != zones[z].present_pages)
			viol(zones[z].zone_start_pfn, "zone present_pages differs from its sections");
}

unsigned long mm_check_invariants(void)
{
	nviol = 0;
	check_sections();
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];
		unsigned long flags;

		if (!zone->spanned_pages)
			continue;
		spin_lock_irqsave(&zone->lock, flags);
		check_free_lists(zone);
		check_pcp_lists(zone);
		check_held(zone);
		check_memmap(zone);
		spin_unlock_irqrestore(&zone->lock, flags);
	}
	/* slab redzones (each reported by slab.c with its cache and object) */
	nviol += slab_check_redzones();
	if (nviol > MAX_REPORTS)
		pr_err("mm_check: %lu more violations not shown\n", nviol - MAX_REPORTS);
	return nviol;
}

/* mm_check_counts() for the free lists of @zone (zone->lock held); returns problems. */
static unsigned long check_free_counts(struct zone *zone)
{
	unsigned long bad = 0, pages = 0;

	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		struct free_area *area = &zone->free_area[o];
		unsigned long blocks = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			unsigned long n = list_len_bounded(&area->free_list[mt], zone->spanned_pages);

			if (n != area->nr_free_mt[mt] && bad++ < MAX_REPORTS)
				pr_err("mm_check_counts: %s order %u %s: %lu blocks listed, nr_free_mt %lu\n",
				       zone->name, o, migratetype_names[mt], n, area->nr_free_mt[mt]);
			blocks += area->nr_free_mt[mt];
			if (!is_migrate_isolate(mt))
				pages += area->nr_free_mt[mt] << o;
		}
		if (blocks != area->nr_free && bad++ < MAX_REPORTS)
			pr_err("mm_check_counts: %s order %u: nr_free %lu, per-type sum %lu\n",
			       zone->name, o, area->nr_free, blocks);
	}
	if (pages != zone->free_pages && bad++ < MAX_REPORTS)
		pr_err("mm_check_counts: %s: free_pages %lu, non-isolated lists hold %lu\n",
		       zone->name, zone->free_pages, pages);
	return bad;
}

/* mm_check_counts() for @zone's pcp lists we may read (ours, offline CPUs'); returns problems. */
static unsigned long check_pcp_counts(struct zone *zone)
{
	unsigned long bad = 0, flags = local_irq_save();

	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pages *pcp = &zone->pcp[cpu];
		unsigned long n = 0;

		if ((unsigned int)cpu != arch_cpu_id() && cpu_online(cpu))
			continue;	/* another CPU's, in use: skip it */
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			n += list_len_bounded(&pcp->lists[mt], zone->spanned_pages);
		if ((n != (unsigned long)pcp->count || pcp->count > pcp->high) && bad++ < MAX_REPORTS)
			pr_err("mm_check_counts: %s cpu %d: %lu pages listed, count %d, high %d\n",
			       zone->name, cpu, n, pcp->count, pcp->high);
	}
	local_irq_restore(flags);
	return bad;
}

unsigned long mm_check_counts(void)
{
	unsigned long bad = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &zones[z];
		unsigned long flags;

		if (!zone->spanned_pages)
			continue;
		spin_lock_irqsave(&zone->lock, flags);
		bad += check_free_counts(zone);
		spin_unlock_irqrestore(&zone->lock, flags);
		bad += check_pcp_counts(zone);
	}
	if (bad)
		pr_err("mm_check_counts: %lu inconsistent counts\n", bad);
	return bad;
}

int mm_debug_check_set(unsigned long every)
{
#ifdef CONFIG_DEBUG_VM
	WRITE_ONCE(mm_debug_check_interval, every);
	return 0;
#else
	return every ? -EOPNOTSUPP : 0;
#endif
}

void mm_debug_check_reset(void)
{
	mm_debug_check_ops = mm_debug_check_runs = mm_debug_check_failures = 0;
}

void __mm_debug_check_op(void)
{
	unsigned long every = READ_ONCE(mm_debug_check_interval), n, bad;

	if (!every)
		return;
	n = __atomic_add_fetch(&mm_debug_check_ops, 1, __ATOMIC_RELAXED);
	if (n % every)
		return;
	__atomic_fetch_add(&mm_debug_check_runs, 1, __ATOMIC_RELAXED);
	bad = mm_check_counts();
	if (!bad)
		return;
	__atomic_fetch_add(&mm_debug_check_failures, 1, __ATOMIC_RELAXED);
	if (!READ_ONCE(mm_debug_check_no_panic))
		panic("mm_debug_check: %lu inconsistent allocator counts found after operation %lu",
		      bad, n);
}
