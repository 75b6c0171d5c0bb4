/*
 * kpageflags.h - Linux's kpageflags bit numbers, the Ballast dump format,
 * and the page-types summarizer shared by the kernel (mm/page_types.c)
 * and the host tool tools/page-types.c. Depends on nothing but
 * <kernel/compiler.h>, so the host tool can include it.
 */
#ifndef MM_KPAGEFLAGS_H
#define MM_KPAGEFLAGS_H

#include <kernel/compiler.h>

/* ---- bit numbers (Linux include/uapi/linux/kernel-page-flags.h) ---- */

#define KPF_LOCKED		0
#define KPF_ERROR		1
#define KPF_REFERENCED		2
#define KPF_UPTODATE		3
#define KPF_DIRTY		4
#define KPF_LRU			5
#define KPF_ACTIVE		6
#define KPF_SLAB		7
#define KPF_WRITEBACK		8
#define KPF_RECLAIM		9	/* PG_reclaim, i.e. PG_isolated on movable pages */
#define KPF_BUDDY		10
#define KPF_MMAP		11
#define KPF_ANON		12
#define KPF_SWAPCACHE		13
#define KPF_SWAPBACKED		14
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_HUGE		17
#define KPF_UNEVICTABLE		18
#define KPF_HWPOISON		19
#define KPF_NOPAGE		20
#define KPF_KSM			21
#define KPF_THP			22
#define KPF_OFFLINE		23
#define KPF_ZERO_PAGE		24
#define KPF_IDLE		25
#define KPF_PGTABLE		26
#define KPF_RESERVED		32
#define KPF_MLOCKED		33
#define KPF_MAPPEDTODISK	34
#define KPF_PRIVATE		35
#define KPF_PRIVATE_2		36
#define KPF_OWNER_PRIVATE	37
#define KPF_ARCH		38
#define KPF_UNCACHED		39
#define KPF_SOFTDIRTY		40
#define KPF_ARCH_2		41
/*
 * Ballast-specific, not in Linux: bits 56-59 hold the pageblock's
 * migratetype + 1 (1 UNMOVABLE, 2 MOVABLE, 3 RECLAIMABLE, 4 ISOLATE;
 * 0 = no memmap), bit 60 marks a __PageMovable page (mapping low bits).
 */
#define KPF_BALLAST_MT_SHIFT	56
#define KPF_BALLAST_MT_MASK	(0xfULL << KPF_BALLAST_MT_SHIFT)
#define KPF_BALLAST_MOVABLE	60

/*
 * The dump format (printed by show_kpageflags(), read by tools/page-types
 * and page_types_parse_line()):
 *   "# kpageflags v1 start=0x<hex> count=<dec>"
 *   "<pfn hex> <run length dec> <flags hex>"  one line per run of equal flags
 *   "# end"
 * Every page of a free buddy block carries BUDDY (as in Linux), so free
 * memory compresses into long runs; runs also break at pageblock borders
 * when the migratetype differs. A 16 GiB guest dumps in some thousands of
 * lines.
 */

/* ---- page-types summary (mm/page_types.c: portable, also built into tools/page-types) ---- */

#define PAGE_TYPES_MAX_ROWS 256

struct page_types_filter {
	uint64_t mask;		/* bits that are tested */
	uint64_t bits;		/* required values of the tested bits */
};

struct page_types_row {
	uint64_t flags;
	unsigned long count;
};

struct page_types_summary {
	struct page_types_row rows[PAGE_TYPES_MAX_ROWS];
	unsigned int nr_rows;
	unsigned long total, overflow;	/* pages counted; pages not fitting in rows */
	struct page_types_filter filter;
	bool raw;			/* keep Ballast bits 56+ in the rows (default: strip) */
};

/*
 * Parse a -b style filter: comma-separated flag names (long "buddy" or
 * one-letter "B"), each optionally prefixed by '~' meaning "must be clear",
 * e.g. "buddy", "slab,~reserved", "offline"; "mt=movable" (unmovable,
 * reclaimable, isolate) tests the Ballast migratetype field. 0 or -EINVAL
 * (message in @err).
 */
int page_types_parse_filter(const char *spec, struct page_types_filter *f,
			    char *err, size_t errlen);
void page_types_init(struct page_types_summary *s, const struct page_types_filter *f);
/* Count @n pages with @flags. */
void page_types_add(struct page_types_summary *s, uint64_t flags, unsigned long n);
/*
 * Print the summary like Linux's page-types:
 *   "             flags	page-count       MB  symbolic-flags			long-symbolic-flags"
 *   "0x0000000000000400	    254000      992  __________B_______________	buddy"
 *   "             total	    262144     1024"
 * @out is printk in the kernel, printf in tools/page-types.
 */
void page_types_print(const struct page_types_summary *s, int (*out)(const char *fmt, ...));
/* Symbolic ("___B__") and long ("buddy,slab") names of @flags into @buf. */
void page_types_symbolic(uint64_t flags, char *buf, size_t len);
void page_types_long(uint64_t flags, char *buf, size_t len);
/*
 * One /proc/buddyinfo line, "Node 0, zone   Normal      3      1 ...":
 * free blocks of orders 0..@max_order. Shared by show_buddyinfo() and the
 * dump tool's summary (tools/ballast-dump), so both print the same text.
 */
void buddyinfo_print_zone(const char *zone_name, const unsigned long *nr_free,
			  unsigned int max_order, int (*out)(const char *fmt, ...));
/*
 * Parse one dump line; returns 1 and fills pfn/count/flags for a data
 * line, 0 for comments/blank lines, -1 for malformed ones.
 */
int page_types_parse_line(const char *line, unsigned long *pfn, unsigned long *count,
			  uint64_t *flags);

#endif
