/*
 * ballast_platform_inline.h (examples/hosted) - the hosted platform's hot
 * hooks as static inline functions, for `make lib
 * LIB_PLATFORM_INLINE=examples/hosted/inline` (docs/porting.md, "Inline
 * hooks"). Each hook defined here also defines a macro of its own name,
 * which tells <ballast/platform.h> to skip its declaration and
 * platform.c to skip its out-of-line definition. The state they read
 * (the arena, the interrupt flag) lives in platform.c.
 */
#ifndef HOSTED_PLATFORM_INLINE_H
#define HOSTED_PLATFORM_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#define HOSTED_ARENA_PHYS	(16ULL << 20)

extern char *hosted_arena;
extern bool hosted_irqs_off;

static inline void *ballast_phys_to_virt(uint64_t pa) { return hosted_arena + (pa - HOSTED_ARENA_PHYS); }
#define ballast_phys_to_virt ballast_phys_to_virt
static inline uint64_t ballast_virt_to_phys(const void *va)
{ return (uint64_t)((const char *)va - hosted_arena) + HOSTED_ARENA_PHYS; }
#define ballast_virt_to_phys ballast_virt_to_phys
static inline unsigned int ballast_cpu_id(void) { return 0; }
#define ballast_cpu_id ballast_cpu_id
static inline unsigned long ballast_irq_save(void)
{ unsigned long was = hosted_irqs_off; hosted_irqs_off = true; return was; }
#define ballast_irq_save ballast_irq_save
static inline void ballast_irq_restore(unsigned long flags) { hosted_irqs_off = flags; }
#define ballast_irq_restore ballast_irq_restore
static inline bool ballast_irqs_disabled(void) { return hosted_irqs_off; }
#define ballast_irqs_disabled ballast_irqs_disabled

#endif
