/*
 * memblock.c - the early physical memory allocator.
 *
 * Data structures: two fixed arrays of ranges, memblock.memory (usable RAM)
 * and memblock.reserved (what must not be handed out: kernel image, boot
 * data, the first MiB, earlier memblock_alloc() results). Each array holds
 * at most MEMBLOCK_MAX_REGIONS ranges; nothing is ever allocated.
 *
 * Invariants of each array (checked by memblock_check() in debug builds):
 *   - every region is non-empty and its end does not wrap;
 *   - regions are sorted by base and strictly separated: region i ends
 *     before region i+1 begins (touching or overlapping ranges are merged
 *     into one when added), so each address is in at most one region.
 * Reserved ranges are independent of memory: they may overlap it only in
 * part or lie wholly outside it. Free memory is memory minus reserved.
 *
 * Every operation first works out how many slots it needs and returns
 * -ENOSPC before changing anything if the array cannot hold the result.
 * All loops are bounded by the region counts. Ranges that would run past
 * 2^64 are cut at 2^64 - 1.
 *
 * memblock_alloc() is top-down: it walks the free ranges in address order,
 * remembers the highest aligned spot that fits below alloc_limit, and
 * reserves it. The free-range iterator's cursor is an address: the end of
 * the last range returned (0 to start).
 */
#include <mm/memblock.h>
#include <mm/page.h>
#include <kernel/bug.h>
#include <kernel/printk.h>
#include <errno.h>
#include <string.h>

struct memblock memblock;

/* End of a region (exclusive). */
static inline phys_addr_t reg_end(const struct memblock_region *r)
{
	return r->base + r->size;
}

/* End of [base, base+size), cut at 2^64 - 1 if the sum wraps. */
static phys_addr_t range_end(phys_addr_t base, phys_addr_t size)
{
	return size > UINT64_MAX - base ? UINT64_MAX : base + size;
}

/* Debug check of the invariants above for one array. */
static void memblock_check_type(const struct memblock_type *t)
{
#ifdef CONFIG_DEBUG_VM
	BUG_ON(t->cnt > MEMBLOCK_MAX_REGIONS);
	for (unsigned int i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];

		BUG_ON(r->size == 0);
		BUG_ON(r->size > UINT64_MAX - r->base);
		if (i + 1 < t->cnt)
			BUG_ON(reg_end(r) >= t->regions[i + 1].base);
	}
#else
	(void)t;
#endif
}

/* Debug check of both arrays. */
static void memblock_check(void)
{
	memblock_check_type(&memblock.memory);
	memblock_check_type(&memblock.reserved);
}

void memblock_reset(void)
{
	memblock.memory.cnt = 0;
	memblock.reserved.cnt = 0;
	memblock.alloc_limit = 0;
}

/*
 * Add [base, end) to @t, merging with every region it overlaps or touches.
 * Returns 0 or -ENOSPC (then @t is unchanged).
 */
static int type_add(struct memblock_type *t, phys_addr_t base, phys_addr_t end)
{
	unsigned int i = 0, j;

	if (base >= end)
		return 0;
	/* first region that ends at or after base: may touch or overlap */
	while (i < t->cnt && reg_end(&t->regions[i]) < base)
		i++;
	/* regions i..j-1 overlap or touch [base, end) */
	j = i;
	while (j < t->cnt && t->regions[j].base <= end)
		j++;

	if (i == j) {
		if (t->cnt == MEMBLOCK_MAX_REGIONS)
			return -ENOSPC;
		memmove(&t->regions[i + 1], &t->regions[i],
			(t->cnt - i) * sizeof(t->regions[0]));
		t->regions[i].base = base;
		t->regions[i].size = end - base;
		t->cnt++;
		return 0;
	}
	base = MIN(base, t->regions[i].base);
	end = MAX(end, reg_end(&t->regions[j - 1]));
	t->regions[i].base = base;
	t->regions[i].size = end - base;
	memmove(&t->regions[i + 1], &t->regions[j],
		(t->cnt - j) * sizeof(t->regions[0]));
	t->cnt -= j - i - 1;
	return 0;
}

/*
 * Remove [base, end) from @t: regions are cut, and one that contains the
 * range strictly is split in two. Returns 0 or -ENOSPC (@t unchanged).
 */
static int type_remove(struct memblock_type *t, phys_addr_t base, phys_addr_t end)
{
	unsigned int i, k = 0;
	struct memblock_region *r;

	if (base >= end)
		return 0;
	/* a range strictly inside one region splits it: needs one more slot */
	for (i = 0; i < t->cnt; i++) {
		r = &t->regions[i];
		if (r->base < base && reg_end(r) > end) {
			if (t->cnt == MEMBLOCK_MAX_REGIONS)
				return -ENOSPC;
			memmove(&t->regions[i + 1], &t->regions[i],
				(t->cnt - i) * sizeof(t->regions[0]));
			t->cnt++;
			t->regions[i].size = base - t->regions[i].base;
			t->regions[i + 1].size = reg_end(&t->regions[i + 1]) - end;
			t->regions[i + 1].base = end;
			return 0;
		}
	}
	/* otherwise regions only shrink or vanish: cut edges, drop covered ones */
	for (i = 0; i < t->cnt; i++) {
		struct memblock_region cur = t->regions[i];
		phys_addr_t ce = reg_end(&cur);

		if (ce <= base || cur.base >= end) {
			t->regions[k++] = cur;
			continue;
		}
		if (cur.base < base) {            /* keep the part below */
			cur.size = base - cur.base;
			t->regions[k++] = cur;
		} else if (ce > end) {            /* keep the part above */
			cur.base = end;
			cur.size = ce - end;
			t->regions[k++] = cur;
		}
	}
	t->cnt = k;
	return 0;
}

int memblock_add(phys_addr_t base, phys_addr_t size)
{
	int ret = type_add(&memblock.memory, base, range_end(base, size));

	memblock_check();
	return ret;
}

int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
	int ret = type_add(&memblock.reserved, base, range_end(base, size));

	memblock_check();
	return ret;
}

int memblock_free(phys_addr_t base, phys_addr_t size)
{
	int ret = type_remove(&memblock.reserved, base, range_end(base, size));

	memblock_check();
	return ret;
}

/*
 * The free range that starts lowest at or after @from, within memory
 * region @m: *s,*e set and true, or false if @m has none.
 */
static bool free_in_region(const struct memblock_region *m, phys_addr_t from,
			   phys_addr_t *s, phys_addr_t *e)
{
	const struct memblock_type *rt = &memblock.reserved;
	phys_addr_t lo = MAX(m->base, from), hi = reg_end(m);

	for (unsigned int i = 0; i < rt->cnt && lo < hi; i++) {
		const struct memblock_region *r = &rt->regions[i];

		if (reg_end(r) <= lo)
			continue;
		if (r->base <= lo) {
			/* lo is reserved; reserved regions never touch, so r's end is free */
			lo = reg_end(r);
			continue;
		}
		/* first reservation above lo bounds the free range */
		hi = MIN(hi, r->base);
		break;
	}
	if (lo >= hi)
		return false;
	*s = lo;
	*e = hi;
	return true;
}

bool memblock_next_free_range(uint64_t *idx, phys_addr_t *start, phys_addr_t *end)
{
	const struct memblock_type *mt = &memblock.memory;

	for (unsigned int i = 0; i < mt->cnt; i++) {
		if (reg_end(&mt->regions[i]) <= *idx)
			continue;
		if (free_in_region(&mt->regions[i], *idx, start, end)) {
			*idx = *end;
			return true;
		}
	}
	return false;
}

phys_addr_t memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t limit = memblock.alloc_limit, best = 0, s, e;
	uint64_t idx = 0;

	if (size == 0 || WARN_ON(align & (align - 1)))
		return 0;
	if (align == 0)
		align = 1;
	while (memblock_next_free_range(&idx, &s, &e)) {
		phys_addr_t cand;

		if (limit)
			e = MIN(e, limit);
		if (e <= s || e - s < size)
			continue;
		cand = ALIGN_DOWN(e - size, align);
		if (cand >= s && cand > best)
			best = cand;
	}
	if (best == 0 || memblock_reserve(best, size) != 0)
		return 0;
	return best;
}

phys_addr_t memblock_phys_mem_size(void)
{
	phys_addr_t sum = 0;

	for (unsigned int i = 0; i < memblock.memory.cnt; i++)
		sum += memblock.memory.regions[i].size;
	return sum;
}

phys_addr_t memblock_reserved_size(void)
{
	const struct memblock_type *mt = &memblock.memory, *rt = &memblock.reserved;
	phys_addr_t sum = 0;
	unsigned int i = 0, j = 0;

	/* two-pointer walk over both sorted lists, summing intersections */
	while (i < mt->cnt && j < rt->cnt) {
		const struct memblock_region *m = &mt->regions[i], *r = &rt->regions[j];
		phys_addr_t lo = MAX(m->base, r->base);
		phys_addr_t hi = MIN(reg_end(m), reg_end(r));

		if (lo < hi)
			sum += hi - lo;
		if (reg_end(m) < reg_end(r))
			i++;
		else
			j++;
	}
	return sum;
}

phys_addr_t memblock_start_of_DRAM(void)
{
	return memblock.memory.cnt ? memblock.memory.regions[0].base : 0;
}

phys_addr_t memblock_end_of_DRAM(void)
{
	unsigned int n = memblock.memory.cnt;

	return n ? reg_end(&memblock.memory.regions[n - 1]) : 0;
}

bool memblock_is_reserved(phys_addr_t base, phys_addr_t size)
{
	const struct memblock_type *rt = &memblock.reserved;
	phys_addr_t end = range_end(base, size);

	if (size == 0)
		return false;
	/* merged regions never touch, so a covered range lies in one region */
	for (unsigned int i = 0; i < rt->cnt; i++)
		if (rt->regions[i].base <= base && end <= reg_end(&rt->regions[i]))
			return true;
	return false;
}

/* Print one array with a heading. */
static void memblock_dump_type(const char *name, const struct memblock_type *t)
{
	printk("memblock %s: %u regions\n", name, t->cnt);
	for (unsigned int i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];

		printk("  [%#018llx-%#018llx] %llu KiB\n",
		       (unsigned long long)r->base,
		       (unsigned long long)(reg_end(r) - 1),
		       (unsigned long long)(r->size >> 10));
	}
}

void memblock_dump(void)
{
	memblock_dump_type("memory", &memblock.memory);
	memblock_dump_type("reserved", &memblock.reserved);
	printk("memblock: %llu KiB memory, %llu KiB reserved in memory, limit %#llx\n",
	       (unsigned long long)(memblock_phys_mem_size() >> 10),
	       (unsigned long long)(memblock_reserved_size() >> 10),
	       (unsigned long long)memblock.alloc_limit);
}

unsigned long memblock_memory_pages_in(unsigned long start_pfn, unsigned long end_pfn)
{
	unsigned long n = 0;

	for (unsigned int i = 0; i < memblock.memory.cnt; i++) {
		const struct memblock_region *r = &memblock.memory.regions[i];
		unsigned long rs = MAX(PHYS_PFN(r->base + PAGE_SIZE - 1), start_pfn);
		unsigned long re = MIN(PHYS_PFN(r->base + r->size), end_pfn);

		if (rs < re)
			n += re - rs;
	}
	return n;
}
