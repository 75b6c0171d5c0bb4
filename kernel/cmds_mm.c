/*
 * cmds_mm.c - shell commands for the page allocator: the /proc-style views
 * (buddyinfo, pagetypeinfo, zoneinfo, vmstat, extfrag, slabinfo), page
 * flags (kpageflags, page-types), invariant checks (mmcheck), and shaping
 * memory by hand (alloc / free / drain / fail_page_alloc).
 */
#include <mm/sparse.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/shell.h>
#include <mm/page.h>
#include <mm/gfp.h>
#include <mm/mmzone.h>
#include <mm/page_alloc.h>
#include <mm/mm_show.h>
#include <mm/slab.h>
#include <mm/vmstat.h>
#include <mm/fault_inject.h>
#include <lib/units.h>
#include <string.h>

#define no_args(argc, argv) ((argc) == 1 ? 0 : shell_usage_error(argv, "takes no arguments"))

/* A command that takes no arguments and prints one mm view. */
#define SHOW_COMMAND(cname, showfn, help_str) \
	static int cmd_##cname(int argc, char **argv) \
	{ \
		if (no_args(argc, argv)) \
			return 1; \
		showfn(); \
		return 0; \
	} \
	SHELL_COMMAND(cname, #cname, help_str, cmd_##cname)

SHOW_COMMAND(buddyinfo, show_buddyinfo, "free blocks per zone and order (like /proc/buddyinfo)");
SHOW_COMMAND(pagetypeinfo, show_pagetypeinfo, "free blocks per migratetype, pageblocks per type");
SHOW_COMMAND(zoneinfo, show_zoneinfo, "zones: spans, watermarks, per-CPU lists");
SHOW_COMMAND(vmstat, show_vmstat, "event counters (like /proc/vmstat)");
SHOW_COMMAND(extfrag, show_extfrag, "unusable free space and fragmentation index per zone and order");
SHOW_COMMAND(slabinfo, show_slabinfo, "kmalloc caches");

/* Parse "[START [COUNT]]" defaulting to the whole memmap (boot and hot-added sections). */
static int pfn_range(int argc, char **argv, int first, unsigned long *start, unsigned long *count)
{
	unsigned long memmap_end_pfn = sparse_end_pfn();
	uint64_t s = memmap_start_pfn, c = memmap_end_pfn - memmap_start_pfn;
	if (argc > first && !shell_parse_u64(argv[first], &s))
		return shell_usage_error(argv, "'%s' is not a PFN", argv[first]);
	if (argc > first + 1 && !shell_parse_u64(argv[first + 1], &c))
		return shell_usage_error(argv, "'%s' is not a count", argv[first + 1]);
	if (argc > first + 2)
		return shell_usage_error(argv, "too many arguments");
	if (argc == first + 1)
		c = memmap_end_pfn > s ? memmap_end_pfn - s : 0;
	if (s >= memmap_end_pfn || c == 0) {
		printk("%s: PFN %#lx is beyond the last PFN %#lx\n", argv[0], (unsigned long)s,
		       memmap_end_pfn - 1);
		return 1;
	}
	if (s + c > memmap_end_pfn)
		c = memmap_end_pfn - s;
	*start = s;
	*count = c;
	return 0;
}

static int cmd_kpageflags(int argc, char **argv)
{
	unsigned long s, c;
	if (pfn_range(argc, argv, 1, &s, &c))
		return 1;
	show_kpageflags(s, c);
	return 0;
}
SHELL_COMMAND(kpageflags, "kpageflags [START [COUNT]]",
	      "per-PFN flags with Linux's kpageflags bits (run-length dump for tools/page-types)", cmd_kpageflags);

static int cmd_page_types(int argc, char **argv)
{
	const char *filter = NULL;
	int first = 1;
	unsigned long s, c;
	if (argc >= 3 && !strcmp(argv[1], "-b")) {
		filter = argv[2];
		first = 3;
	} else if (argc >= 2 && argv[1][0] == '-') {
		return shell_usage_error(argv, "unknown option '%s'", argv[1]);
	}
	if (pfn_range(argc, argv, first, &s, &c))
		return 1;
	return show_page_types(s, c, filter) ? 1 : 0;
}
SHELL_COMMAND_NAMED(page_types, "page-types", "page-types [-b FLAGS] [START [COUNT]]",
	      "pages summarized by flag combination (like tools/vm/page-types)", cmd_page_types);

static int cmd_mmcheck(int argc, char **argv)
{
	if (no_args(argc, argv))
		return 1;
	unsigned long bad = mm_check_invariants();
	printk("mmcheck: %s (%lu problems)\n", bad ? "FAILED" : "all invariants hold", bad);
	if (mm_debug_check_interval)
		printk("mmcheck: mm_debug_check every %lu operations: %lu runs, %lu failures\n",
		       mm_debug_check_interval, mm_debug_check_runs, mm_debug_check_failures);
	return bad ? 1 : 0;
}
SHELL_COMMAND(mmcheck, "mmcheck", "check every allocator invariant over the whole memmap", cmd_mmcheck);

static int cmd_drain(int argc, char **argv)
{
	if (no_args(argc, argv))
		return 1;
	drain_all_pages(NULL);
	printk("drained the per-CPU lists: %lu pages free\n", nr_free_pages());
	return 0;
}
SHELL_COMMAND(drain, "drain", "return every per-CPU list page to the buddy", cmd_drain);

/* ---- shaping memory by hand ---- */

struct held { struct page *page; uint8_t order; };
static struct held *held;
static unsigned long nheld, held_cap;

static bool held_push(struct page *p, unsigned order)
{
	if (nheld == held_cap) {
		unsigned long cap = held_cap ? held_cap * 2 : 256;
		struct held *n = krealloc(held, cap * sizeof(*n), GFP_KERNEL | __GFP_NOWARN);
		if (!n)
			return false;
		held = n;
		held_cap = cap;
	}
	held[nheld++] = (struct held){ p, (uint8_t)order };
	return true;
}

static int cmd_alloc(int argc, char **argv)
{
	uint64_t order, count = 1;
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	/* a trailing "zero" writes every page, so a hypervisor has to back it */
	if (argc >= 3 && !strcmp(argv[argc - 1], "zero")) {
		gfp |= __GFP_ZERO;
		argc--;
	}
	if (argc < 2 || argc > 4)
		return shell_usage_error(argv, "wrong number of arguments");
	if (!shell_parse_u64(argv[1], &order) || order > MAX_ORDER)
		return shell_usage_error(argv, "ORDER must be 0..%d", MAX_ORDER);
	if (argc >= 3 && (!shell_parse_u64(argv[2], &count) || count == 0 || count > (1UL << 24)))
		return shell_usage_error(argv, "COUNT must be 1..16777216");
	if (argc == 4) {
		if (!strcmp(argv[3], "movable"))
			gfp |= __GFP_MOVABLE;
		else if (!strcmp(argv[3], "reclaimable"))
			gfp |= __GFP_RECLAIMABLE;
		else if (strcmp(argv[3], "unmovable"))
			return shell_usage_error(argv, "type must be movable, unmovable or reclaimable");
	}
	unsigned long got = 0;
	for (; got < count; got++) {
		struct page *p = alloc_pages(gfp, (unsigned)order);
		if (!p)
			break;
		if (!held_push(p, (unsigned)order)) {
			__free_pages(p, (unsigned)order);
			break;
		}
	}
	printk("alloc: got %lu of %lu order-%lu blocks (%lu KiB); holding %lu blocks; %lu pages free\n",
	       got, (unsigned long)count, (unsigned long)order, pages_to_kb(got << order), nheld, nr_free_pages());
	return got == count ? 0 : 1;
}
SHELL_COMMAND(alloc, "alloc ORDER [COUNT] [movable|unmovable|reclaimable] [zero]",
	      "allocate and hold blocks (see free)", cmd_alloc);

static int cmd_free(int argc, char **argv)
{
	uint64_t n = nheld;
	if (argc > 2)
		return shell_usage_error(argv, "too many arguments");
	if (argc == 2 && strcmp(argv[1], "all") && !shell_parse_u64(argv[1], &n))
		return shell_usage_error(argv, "expected a count or 'all'");
	if (n > nheld)
		n = nheld;
	unsigned long pages = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct held *h = &held[--nheld];
		pages += 1UL << h->order;
		__free_pages(h->page, h->order);
	}
	printk("free: released %lu blocks (%lu pages); holding %lu blocks; %lu pages free\n",
	       (unsigned long)n, pages, nheld, nr_free_pages());
	return 0;
}
SHELL_COMMAND(free, "free [COUNT|all]", "release the most recent blocks taken with alloc (default all)", cmd_free);

static int cmd_fail_page_alloc(int argc, char **argv)
{
	if (argc == 1 || (argc == 2 && !strcmp(argv[1], "show"))) {
		fault_inject_show();
		return 0;
	}
	if (argc != 2)
		return shell_usage_error(argv, "expected one spec");
	if (!strcmp(argv[1], "off")) {
		fault_inject_reset();
		printk("fail_page_alloc: off\n");
		return 0;
	}
	if (fault_inject_parse(argv[1]))
		return 1;
	fault_inject_show();
	return 0;
}
SHELL_COMMAND(fail_page_alloc, "fail_page_alloc [SPEC|off|show]",
	      "fault injection, e.g. nth=5, every=3,order=2, prob=10%", cmd_fail_page_alloc);
