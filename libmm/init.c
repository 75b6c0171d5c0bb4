/*
 * libmm/init.c - the library's entry points (<ballast/libmm.h>): the
 * memory ranges a platform gives, checked, then the same bring-up the
 * kernel does in kernel/mm_glue.c and kernel/kcompactd.c, minus what needs
 * a kernel (boot options, the daemon's work item, malloc's backend).
 *
 * Validation happens here, before memblock or mm_init() see anything:
 * mm_init() panics when its memmap does not fit, and a porter's first
 * mistake (an unaligned arena, a size too small) deserves an error code.
 */
#include <ballast/libmm.h>
#include <mm/memblock.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <mm/sparse.h>
#include <errno.h>
#include <string.h>

/* True if [@base, @base + @size) is a non-empty, page-aligned, non-wrapping range. */
static bool range_ok(uint64_t base, uint64_t size)
{
	return size && IS_ALIGNED(base, PAGE_SIZE) && IS_ALIGNED(size, PAGE_SIZE) &&
	       base + size > base;
}

/*
 * The memory model's arch hooks (<mm/sparse.h>): the library has no
 * virtual memmap; mm_init() then uses its flat boot array directly, and
 * memory cannot be hot-added.
 */
uintptr_t arch_vmemmap_base(void) { return 0; }
int arch_vmemmap_map(unsigned long pfn, unsigned long nr_pages, phys_addr_t pa) { return -EOPNOTSUPP; }
void arch_vmemmap_unmap(unsigned long pfn, unsigned long nr_pages) { }
int arch_add_direct_map(phys_addr_t start, uint64_t size) { return -EOPNOTSUPP; }
void arch_remove_direct_map(phys_addr_t start, uint64_t size) { }

int ballast_mm_add_memory(uint64_t base, uint64_t size)
{
	if (mm_initialized)
		return -EBUSY;
	if (!range_ok(base, size) || base + size > (1ULL << MAX_PHYSMEM_BITS))
		return -EINVAL;
	return memblock_add(base, size);
}

int ballast_mm_reserve(uint64_t base, uint64_t size)
{
	if (mm_initialized)
		return -EBUSY;
	if (!range_ok(base, size))
		return -EINVAL;
	return memblock_reserve(base, size);
}

int ballast_mm_start(void)
{
	if (mm_initialized)
		return -EBUSY;
	if (memblock_phys_mem_size() - memblock_reserved_size() < BALLAST_MM_MIN_BYTES)
		return -EINVAL;
	mm_init();
	compaction_init();
	return 0;
}

int ballast_mm_init(uint64_t base, uint64_t size)
{
	int rc = ballast_mm_add_memory(base, size);

	return rc ? rc : ballast_mm_start();
}

bool ballast_mm_started(void)
{
	return mm_initialized;
}

unsigned long ballast_mm_compact(void)
{
	struct compact_stats st;

	memset(&st, 0, sizeof(st));
	drain_all_pages(NULL);
	compact_all(&st);
	return st.moved;
}
