/*
 * arch/page.h (host harness) - "physical memory" is a host buffer.
 * host_phys_base is set by the harness (tests/host/support/host_mem.c):
 * __va(pa) = host_phys_base + pa. Same API as the kernel's header.
 */
#ifndef ARCH_PAGE_H
#define ARCH_PAGE_H

#include <kernel/compiler.h>
#include <string.h>

#define PAGE_SHIFT   12
#define PAGE_SIZE    (1UL << PAGE_SHIFT)
#define PAGE_MASK    (~(PAGE_SIZE - 1))

extern uintptr_t host_phys_base;

static inline void *__va(phys_addr_t pa) { return (void *)(host_phys_base + (uintptr_t)pa); }
static inline phys_addr_t __pa(const void *va) { return (phys_addr_t)((uintptr_t)va - host_phys_base); }
static inline void arch_copy_page(void *dst, const void *src) { memcpy(dst, src, PAGE_SIZE); }
static inline void arch_zero_page(void *dst) { memset(dst, 0, PAGE_SIZE); }

#endif
