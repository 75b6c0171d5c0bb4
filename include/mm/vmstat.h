/*
 * vmstat.h - memory management counters, named like Linux's /proc/vmstat.
 *
 * Two kinds:
 *   state  (nr_*): a level, computed when read (free pages, pcp pages, slab pages).
 *   events       : monotonically increasing counts, bumped with count_vm_event().
 *
 * Every counter is declared once, in VM_STAT_ITEMS below, with its /proc
 * name; adding one is adding one line.
 *
 * Events are per CPU: each CPU adds to its own row of vm_event_states[]
 * (a cache-line-aligned row per CPU, so two CPUs counting never share a
 * line) with one non-locked add instruction, which an interrupt cannot
 * split and no other CPU writes; a read sums the rows. The hot-path
 * events pgalloc_* and pgfree are kept per zone (under zone->lock) and per
 * CPU list (by its owner) and summed the same way. Sums are exact once
 * the counting stops (tests read them at quiescent points); a read while
 * CPUs count is a snapshot, like /proc/vmstat. Every thread that counts
 * is a CPU: in the host harness, a registered one (host_smp_register()).
 */
#ifndef MM_VMSTAT_H
#define MM_VMSTAT_H

#include <kernel/compiler.h>
#include <arch/cpu.h>

/* X(ENUM_NAME, "proc_name") -- state items first, then events. */
#define VM_STAT_ITEMS(X) \
	X(NR_FREE_PAGES, "nr_free_pages") \
	X(NR_FREE_PCP, "nr_free_pcp") \
	X(NR_MANAGED_PAGES, "nr_managed_pages") \
	X(NR_SLAB_PAGES, "nr_slab_pages") \
	X(NR_KMALLOC_LARGE_PAGES, "nr_kmalloc_large_pages") \
	X(NR_BAD_PAGES, "nr_bad_pages") \
	X(NR_REPORTING_HELD, "nr_reporting_held") \
	X(NR_REPORTING_RETIRED, "nr_reporting_retired") \
	X(NR_VM_STATE_END, NULL) \
	X(PGALLOC_DMA, "pgalloc_dma") \
	X(PGALLOC_DMA32, "pgalloc_dma32") \
	X(PGALLOC_NORMAL, "pgalloc_normal") \
	X(PGFREE, "pgfree") \
	X(ALLOCSTALL, "allocstall") \
	X(PGALLOC_SLOWPATH, "pgalloc_slowpath") \
	X(PGALLOC_FAIL, "pgalloc_fail") \
	X(PGALLOC_FAIL_ORDER_0, "pgalloc_fail_order_0") \
	X(PGALLOC_FAIL_ORDER_1, "pgalloc_fail_order_1") \
	X(PGALLOC_FAIL_ORDER_2, "pgalloc_fail_order_2") \
	X(PGALLOC_FAIL_ORDER_3, "pgalloc_fail_order_3") \
	X(PGALLOC_FAIL_ORDER_4, "pgalloc_fail_order_4") \
	X(PGALLOC_FAIL_ORDER_5, "pgalloc_fail_order_5") \
	X(PGALLOC_FAIL_ORDER_6, "pgalloc_fail_order_6") \
	X(PGALLOC_FAIL_ORDER_7, "pgalloc_fail_order_7") \
	X(PGALLOC_FAIL_ORDER_8, "pgalloc_fail_order_8") \
	X(PGALLOC_FAIL_ORDER_9, "pgalloc_fail_order_9") \
	X(PGALLOC_FAIL_ORDER_10, "pgalloc_fail_order_10") \
	X(PGALLOC_FALLBACK, "pgalloc_fallback") \
	X(PGALLOC_STEAL_BLOCK, "pgalloc_steal_block") \
	X(PCP_REFILL, "pcp_refill") \
	X(PCP_SPILL, "pcp_spill") \
	X(DRAIN_ALL_PAGES, "drain_all_pages") \
	X(PAGE_POISON_ERRORS, "page_poison_errors") \
	X(FAIL_PAGE_ALLOC_INJECTED, "fail_page_alloc_injected") \
	X(SLAB_NEW, "slab_new") \
	X(SLAB_FREE, "slab_free") \
	X(KMALLOC_BAD_FREE, "kmalloc_bad_free") \
	X(COMPACTSTALL, "compact_stall") \
	X(COMPACTFAIL, "compact_fail") \
	X(COMPACTSUCCESS, "compact_success") \
	X(COMPACTMIGRATE_SCANNED, "compact_migrate_scanned") \
	X(COMPACTFREE_SCANNED, "compact_free_scanned") \
	X(COMPACTISOLATED, "compact_isolated") \
	X(PGMIGRATE_SUCCESS, "pgmigrate_success") \
	X(PGMIGRATE_FAIL, "pgmigrate_fail") \
	X(BALLOON_INFLATE, "balloon_inflate") \
	X(BALLOON_DEFLATE, "balloon_deflate") \
	X(BALLOON_MIGRATE, "balloon_migrate") \
	X(PGREPORT_BLOCKS, "page_reporting_blocks") \
	X(PGREPORT_PAGES, "page_reporting_pages") \
	X(PGREPORT_REQUESTS, "page_reporting_requests") \
	X(PGREPORT_FAILS, "page_reporting_fails") \
	X(PGREPORT_STALLS, "page_reporting_stalls")

#define VM_STAT_ENUM(e, s) e,
enum vm_stat_item { VM_STAT_ITEMS(VM_STAT_ENUM) NR_VM_STAT_ITEMS };
#undef VM_STAT_ENUM

struct vm_event_state {
	unsigned long event[NR_VM_STAT_ITEMS];
} __aligned(64);
extern struct vm_event_state vm_event_states[NR_CPUS];

/*
 * Add @n to this CPU's count of @item (any context): a single add to
 * memory, not locked - atomic with respect to this CPU's interrupts,
 * and no other CPU writes the row.
 */
static inline void count_vm_events(enum vm_stat_item item, unsigned long n)
{
	unsigned long *c = &vm_event_states[arch_cpu_id()].event[item];

	__asm__ __volatile__("addq %1, %0" : "+m"(*c) : "er"(n));
}
static inline void count_vm_event(enum vm_stat_item item) { count_vm_events(item, 1); }
/* The same with interrupts already off (the allocator's per-CPU paths). */
static inline void __count_vm_event(enum vm_stat_item item) { count_vm_events(item, 1); }

/* Current value of any item (state computed, events summed over zones/pcps). */
unsigned long vm_stat_read(enum vm_stat_item item);
/* /proc name of @item ("nr_free_pages"). NULL for the separator. */
const char *vm_stat_name(enum vm_stat_item item);
/* Find an item by /proc name; -1 if unknown. */
int vm_stat_lookup(const char *name);

/* Zero every event counter (zone/pcp/global); state items are unaffected. */
void vm_events_reset(void);

#endif
