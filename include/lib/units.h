/*
 * lib/units.h - page counts in the units people read: kB and MiB.
 *
 * meminfo and zoneinfo print kB, balloon and page-types print MiB, the
 * benchmarks report MiB. Writing "* 4" or ">> 8" for those bakes a 4 KiB
 * page into each call site; these say what they mean and follow
 * PAGE_SHIFT (from <arch/page.h>: the kernel's, or the host harness's).
 */
#ifndef LIB_UNITS_H
#define LIB_UNITS_H

#include <arch/page.h>

#define PAGES_PER_MIB	(1UL << (20 - PAGE_SHIFT))

/* @pages pages in kB (KiB, as /proc/meminfo says "kB"). */
static inline unsigned long pages_to_kb(unsigned long pages)
{
	return pages << (PAGE_SHIFT - 10);
}

/* @pages pages in whole MiB (rounded down). */
static inline unsigned long pages_to_mib(unsigned long pages)
{
	return pages >> (20 - PAGE_SHIFT);
}

#endif
