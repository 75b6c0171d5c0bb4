/*
 * vmstat.c - the counters of <mm/vmstat.h>.
 *
 * Data: vm_event_states[cpu] holds the events each CPU counted with
 * count_vm_event() (one row per CPU, cache-line aligned; see
 * <mm/vmstat.h>); a read sums the rows. The hot-path events pgalloc_* and
 * pgfree live in the zones (zone->pgalloc/pgfree, under zone->lock) and
 * the per-CPU lists (pcp->alloc_events/free_events, written by the owning
 * CPU with interrupts off) and are summed here when read; state items
 * (nr_*) are computed from the allocator's data. Reads are racy
 * snapshots, like /proc/vmstat, and exact when nothing is counting.
 */
#include <mm/vmstat.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <mm/page_reporting.h>
#include <string.h>

struct vm_event_state vm_event_states[NR_CPUS];

#define VM_STAT_NAME(e, s) s,
static const char * const vm_stat_names[NR_VM_STAT_ITEMS] = { VM_STAT_ITEMS(VM_STAT_NAME) };
#undef VM_STAT_NAME

const char *vm_stat_name(enum vm_stat_item item)
{
	return (unsigned int)item < NR_VM_STAT_ITEMS ? vm_stat_names[item] : NULL;
}

int vm_stat_lookup(const char *name)
{
	for (int i = 0; i < NR_VM_STAT_ITEMS; i++)
		if (vm_stat_names[i] && !strcmp(vm_stat_names[i], name))
			return i;
	return -1;
}

/* Pages allocated from zone @z (zone path + every CPU's list). */
static unsigned long zone_pgalloc(const struct zone *z)
{
	unsigned long n = READ_ONCE(z->pgalloc);

	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		n += READ_ONCE(z->pcp[cpu].alloc_events);
	return n;
}

/* Pages freed into zone @z (zone path + every CPU's list). */
static unsigned long zone_pgfree(const struct zone *z)
{
	unsigned long n = READ_ONCE(z->pgfree);

	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		n += READ_ONCE(z->pcp[cpu].free_events);
	return n;
}

unsigned long vm_stat_read(enum vm_stat_item item)
{
	unsigned long n = 0;

	switch (item) {
	case NR_FREE_PAGES:
		return nr_free_pages();
	case NR_FREE_PCP:
		return nr_pcp_pages(NULL);
	case NR_MANAGED_PAGES:
		return totalram_pages();
	case NR_SLAB_PAGES:
		return slab_pages();
	case NR_KMALLOC_LARGE_PAGES:
		return kmalloc_large_pages();
	case NR_BAD_PAGES:
		return READ_ONCE(nr_bad_pages);
	case NR_REPORTING_HELD:
		return page_reporting_held_pages();
	case NR_REPORTING_RETIRED:
		return page_reporting_retired_pages();
	case NR_VM_STATE_END:
		return 0;
	case PGALLOC_DMA:
	case PGALLOC_DMA32:
	case PGALLOC_NORMAL:
		return zone_pgalloc(&zones[item - PGALLOC_DMA]);
	case PGFREE:
		for (int z = 0; z < MAX_NR_ZONES; z++)
			n += zone_pgfree(&zones[z]);
		return n;
	default:
		if ((unsigned int)item >= NR_VM_STAT_ITEMS)
			return 0;
		for (int cpu = 0; cpu < NR_CPUS; cpu++)
			n += READ_ONCE(vm_event_states[cpu].event[item]);
		return n;
	}
}

void vm_events_reset(void)
{
	memset(vm_event_states, 0, sizeof(vm_event_states));
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		zones[z].pgalloc = zones[z].pgfree = 0;
		for (int cpu = 0; cpu < NR_CPUS; cpu++)
			zones[z].pcp[cpu].alloc_events = zones[z].pcp[cpu].free_events = 0;
	}
}
