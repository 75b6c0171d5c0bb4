/*
 * kpageflags.c - Linux's /proc/kpageflags view of the live memmap, its
 * console dump, and the in-kernel page-types summary.
 *
 * page_kpageflags() translates one struct page into the Linux bit numbers
 * (<mm/kpageflags.h>): PG_* flags to their KPF_* bits, page types to
 * SLAB / OFFLINE / PGTABLE (OFFLINE, bit 23, for both Offline and
 * MovableOffline pages: the balloon's too, docs/page-offline.md), and BUDDY for every page inside a free buddy
 * block whose refcount is 0 (as Linux's stable_page_flags() does). Ballast
 * adds the pageblock migratetype + 1 in bits 56-59 and __PageMovable in
 * bit 60. Reads are lockless snapshots: a page may change while it is read.
 *
 * Which pfns have a page: like Linux's stable_page_flags(pfn_to_online_page()),
 * only those whose section is online with an initialised memmap
 * (pfn_section_online()); every other pfn is NOPAGE. An offline section
 * has struct pages (PG_reserved, in no zone) and a SECTION_DEFERRED one
 * has struct pages nobody has written yet (zeros, which would read as
 * free pages): neither describes memory the buddy owns. Each pfn is one
 * memmap walk (memmap_walk_begin()/end(), <mm/sparse.h>), so a section
 * that goes away meanwhile keeps its memmap mapped until the read is done.
 */
#include <mm/mm_show.h>
#include <mm/page_alloc.h>
#include <mm/sparse.h>
#include <kernel/printk.h>

uint64_t page_kpageflags(unsigned long pfn)
{
	static const struct { uint8_t pg, kpf; } map[] = {
		{ PG_locked, KPF_LOCKED }, { PG_referenced, KPF_REFERENCED },
		{ PG_uptodate, KPF_UPTODATE }, { PG_dirty, KPF_DIRTY },
		{ PG_reserved, KPF_RESERVED }, { PG_private, KPF_PRIVATE },
		{ PG_reclaim, KPF_RECLAIM }, { PG_hwpoison, KPF_HWPOISON },
		{ PG_owner_priv_1, KPF_OWNER_PRIVATE }, { PG_arch_1, KPF_ARCH },
	};
	const struct page *page;
	unsigned long f;
	uint64_t u = 0;

	memmap_walk_begin();
	if (!pfn_section_online(pfn)) {
		memmap_walk_end();
		return 1ULL << KPF_NOPAGE;
	}
#ifdef HOST_BUILD
	if (kpageflags_walk_hook)
		kpageflags_walk_hook(pfn);
#endif
	page = pfn_to_page(pfn);
	f = READ_ONCE(page->flags);
	for (unsigned int i = 0; i < ARRAY_SIZE(map); i++)
		if (f & (1UL << map[i].pg))
			u |= 1ULL << map[i].kpf;
	switch (READ_ONCE(page->page_type)) {
	case PGTY_SLAB:
		u |= 1ULL << KPF_SLAB;
		break;
	case PGTY_OFFLINE:
	case PGTY_MOVABLE_OFFLINE:	/* a balloon page: offline too (Linux's KPF_BALLOON was bit 23) */
		u |= 1ULL << KPF_OFFLINE;
		break;
	case PGTY_TABLE:
		u |= 1ULL << KPF_PGTABLE;
		break;
	default:
		break;
	}
	if (page_ref_count(page) == 0 && is_free_buddy_page(page))
		u |= 1ULL << KPF_BUDDY;
	if (__PageMovable(page))
		u |= 1ULL << KPF_BALLAST_MOVABLE;
	memmap_walk_end();
	u |= (uint64_t)(get_pfnblock_migratetype(pfn) + 1) << KPF_BALLAST_MT_SHIFT;
	return u;
}

void show_kpageflags(unsigned long start, unsigned long count)
{
	unsigned long run_pfn = start, run_len = 0;
	uint64_t run_flags = 0;

	printk("# kpageflags v1 start=%#lx count=%lu\n", start, count);
	for (unsigned long pfn = start; pfn < start + count; pfn++) {
		uint64_t f = page_kpageflags(pfn);

		if (run_len && f == run_flags) {
			run_len++;
			continue;
		}
		if (run_len)
			printk("%lx %lu %llx\n", run_pfn, run_len, (unsigned long long)run_flags);
		run_pfn = pfn;
		run_len = 1;
		run_flags = f;
	}
	if (run_len)
		printk("%lx %lu %llx\n", run_pfn, run_len, (unsigned long long)run_flags);
	printk("# end\n");
}

int show_page_types(unsigned long start, unsigned long count, const char *filter_spec)
{
	static struct page_types_summary sum;	/* 4 KiB: keep it off the stack */
	struct page_types_filter f = { 0, 0 };
	char err[160];

	if (filter_spec && page_types_parse_filter(filter_spec, &f, err, sizeof(err))) {
		pr_err("page-types: %s\n", err);
		return -1;
	}
	page_types_init(&sum, &f);
	for (unsigned long pfn = start; pfn < start + count; pfn++)
		page_types_add(&sum, page_kpageflags(pfn), 1);
	page_types_print(&sum, printk);
	return 0;
}
