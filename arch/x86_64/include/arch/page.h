/*
 * arch/page.h (x86_64 kernel) - page size, the direct map, page copy/zero.
 *
 * All RAM is mapped at PAGE_OFFSET + phys (the direct map, built with
 * 1 GiB or 2 MiB pages in arch/x86_64/paging.c). The host harness has a
 * header of the same name that maps "physical" addresses into a buffer.
 */
#ifndef ARCH_PAGE_H
#define ARCH_PAGE_H

#include <kernel/compiler.h>

#define PAGE_SHIFT   12
#define PAGE_SIZE    (1UL << PAGE_SHIFT)
#define PAGE_MASK    (~(PAGE_SIZE - 1))

#define PAGE_OFFSET  0xffff888000000000UL   /* direct map base */
#define KERNEL_VBASE 0xffffffff80000000UL   /* kernel image base (-2 GiB) */

/* Virtual address of physical address @pa through the direct map. */
static inline void *__va(phys_addr_t pa) { return (void *)(pa + PAGE_OFFSET); }

/* Physical address of a direct-map or kernel-image virtual address. */
static inline phys_addr_t __pa(const void *va)
{
	uintptr_t v = (uintptr_t)va;
	if (v >= KERNEL_VBASE)
		return v - KERNEL_VBASE;
	return v - PAGE_OFFSET;
}

/* Copy one 4 KiB page; both addresses page aligned. */
static inline void arch_copy_page(void *dst, const void *src)
{
	uint64_t n = PAGE_SIZE / 8;
	__asm__ __volatile__("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
}

/* Zero one 4 KiB page; address page aligned. */
static inline void arch_zero_page(void *dst)
{
	uint64_t n = PAGE_SIZE / 8;
	__asm__ __volatile__("rep stosq" : "+D"(dst), "+c"(n) : "a"(0UL) : "memory");
}

#endif
