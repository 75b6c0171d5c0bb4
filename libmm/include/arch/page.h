/*
 * arch/page.h (library build) - page size, phys<->virt and page copy/zero
 * for mm/, mapped onto <ballast/platform.h>. The page size is 4 KiB, as in
 * the kernel and the host harness (struct page and the buddy orders are
 * sized for it). Same API as arch/x86_64/include/arch/page.h.
 */
#ifndef ARCH_PAGE_H
#define ARCH_PAGE_H

#include <kernel/compiler.h>
#include <ballast/platform.h>

#define PAGE_SHIFT   BALLAST_PAGE_SHIFT
#define PAGE_SIZE    (1UL << PAGE_SHIFT)
#define PAGE_MASK    (~(PAGE_SIZE - 1))

static inline void *__va(phys_addr_t pa) { return ballast_phys_to_virt(pa); }
static inline phys_addr_t __pa(const void *va) { return ballast_virt_to_phys(va); }
static inline void arch_copy_page(void *dst, const void *src) { ballast_copy_page(dst, src); }
static inline void arch_zero_page(void *dst) { ballast_zero_page(dst); }

#endif
