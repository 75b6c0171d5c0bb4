/*
 * mm_glue.c - brings the memory manager up after paging, and connects the
 * portable mm/ code to this kernel: newlib's malloc goes to kmalloc, page
 * tables come from the page allocator, boot options reach mm.
 *
 * Boot options:
 *   page_poison=1           fill freed pages, verify on allocation
 *   fail_page_alloc=SPEC    fault injection (see fault_inject_parse())
 *   mm_debug_check=N        every N-th allocator operation checks the free
 *                           counts against the lists (CONFIG_DEBUG_VM only)
 *   movablecore=SIZE|N%     the top SIZE (K/M/G suffix) or N% (1-99) of boot
 *                           memory, whole sections above the kernel, goes to
 *                           ZONE_MOVABLE (mm/sparse.c); bad values are
 *                           reported and ignored
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/malloc.h>
#include <arch/x86.h>
#include <mm/memblock.h>
#include <mm/page.h>
#include <mm/gfp.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <mm/fault_inject.h>
#include <mm/compaction.h>
#include <mm/shrinker.h>
#include <mm/deferred_init.h>
#include <mm/sparse.h>
#include <mm/mmzone.h>
#include <lib/parse.h>
#include <lib/units.h>
#include <string.h>

/* malloc() promises 16-byte alignment: kmalloc gives it from 16 bytes up. */
static void *mm_malloc(size_t n) { return kmalloc(n < 16 ? 16 : n, GFP_KERNEL); }
static void mm_free(void *p) { kfree(p); }
static void *mm_realloc(void *p, size_t n) { return krealloc(p, n < 16 ? 16 : n, GFP_KERNEL); }

static const struct malloc_backend kmalloc_backend = {
	.alloc = mm_malloc, .free = mm_free, .realloc = mm_realloc,
};

/*
 * A page-table page from the buddy allocator (0 if none). paging.c asks
 * with pgtable_lock held and interrupts off, so this must not wait:
 * GFP_ATOMIC (reserves, no drain of other CPUs' lists, no hooks).
 */
static phys_addr_t pgtable_page(void)
{
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_ZERO);
	return p ? page_to_phys(p) : 0;
}

/* mm_debug_check=N: turn the every-N-operations count check on (debug builds). */
static void mm_debug_check_boot_option(const char *opt)
{
	uint64_t n;

	if (!parse_u64_str(opt, 0, &n)) {
		pr_warn("mm_debug_check=%s not understood (a number of operations); check stays off\n", opt);
		return;
	}
	if (mm_debug_check_set((unsigned long)n))
		pr_warn("mm_debug_check=%s needs a debug build (DEBUG=1); check stays off\n", opt);
	else if (n)
		printk("ballast: mm_debug_check: free counts checked against the lists every %lu allocator operations\n",
		       (unsigned long)n);
}

/* Called by kmain once paging, interrupts and the timer are up. */
void mm_init_all(void)
{
	char opt[128];

	deferred_init_set_enabled(true);	/* the kernel defers; deferred_init=off does not */
	if (cmdline_get("deferred_init", opt, sizeof(opt)) && deferred_init_parse(opt))
		pr_warn("deferred_init=%s not understood (on, off); it stays on\n", opt);
	mm_init();	/* movablecore= was parsed by memory_init() (kernel/main.c) */
	if (zones[ZONE_MOVABLE].present_pages)
		printk("ballast: ZONE_MOVABLE: %lu MiB of boot memory from pfn %#lx\n",
		       pages_to_mib(zones[ZONE_MOVABLE].present_pages),
		       zones[ZONE_MOVABLE].zone_start_pfn);
	uint64_t us = mm_init_stats.total_cycles * 1000 / tsc_khz;
	printk("ballast: page allocator up: %lu pages free of %lu, memmap %lu KiB, init %lu.%03lu ms",
	       nr_free_pages(), totalram_pages(), mm_init_stats.memmap_bytes >> 10,
	       us / 1000, us % 1000);
	if (deferred_init_stats.sections)
		printk(", %lu MiB in %lu sections deferred", deferred_init_stats.pages >> (20 - PAGE_SHIFT),
		       deferred_init_stats.sections);
	printk("\n");
	malloc_set_backend(&kmalloc_backend);
	shrinker_clock_ns = uptime_ns;	/* scan deadlines; the timer runs the watchdog */
	paging_set_table_allocator(pgtable_page);

	if (cmdline_get("page_poison", opt, sizeof(opt)) && strcmp(opt, "0")) {
		page_poison_enable(true);
		printk("ballast: page poisoning on\n");
	}
	if (cmdline_get("fail_page_alloc", opt, sizeof(opt))) {
		if (fault_inject_parse(opt))
			pr_warn("fail_page_alloc=%s not understood; fault injection stays off\n", opt);
		else
			fault_inject_show();
	}
	if (cmdline_get("mm_debug_check", opt, sizeof(opt)))
		mm_debug_check_boot_option(opt);
}
