/*
 * platform.c - every hook of <ballast/platform.h> for a Linux process:
 * "physical memory" is a malloc'ed arena, physical address ARENA_PHYS is
 * its first byte, there is one CPU and no interrupts (the interrupt state
 * is a flag, kept so debug checks can ask for it), the clock is
 * CLOCK_MONOTONIC and messages go to stdout. A unikernel's version of
 * this file replaces the arena with its RAM map and the flag with cli/sti.
 * hosted_start() is the whole bring-up. The hot hooks can be inlined
 * instead (inline/ballast_platform_inline.h, make lib
 * LIB_PLATFORM_INLINE=examples/hosted/inline).
 */
#include <ballast/platform.h>
#include <ballast/libmm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARENA_PHYS	(16ULL << 20)	/* any page-aligned number: a name, not an address */
#define PAGE_BYTES	(1UL << BALLAST_PAGE_SHIFT)

char *hosted_arena;
bool hosted_irqs_off;

void ballast_copy_page(void *dst, const void *src) { memcpy(dst, src, PAGE_BYTES); }
void ballast_zero_page(void *dst) { memset(dst, 0, PAGE_BYTES); }

#ifndef BALLAST_PLATFORM_INLINE		/* else inline/ballast_platform_inline.h has these */
void *ballast_phys_to_virt(uint64_t pa) { return hosted_arena + (pa - ARENA_PHYS); }
uint64_t ballast_virt_to_phys(const void *va) { return (uint64_t)((const char *)va - hosted_arena) + ARENA_PHYS; }
unsigned int ballast_cpu_id(void) { return 0; }
bool ballast_irqs_disabled(void) { return hosted_irqs_off; }
unsigned long ballast_irq_save(void) { unsigned long was = hosted_irqs_off; hosted_irqs_off = true; return was; }
void ballast_irq_restore(unsigned long flags) { hosted_irqs_off = flags; }
#endif
bool ballast_cpu_online(unsigned int cpu) { return cpu == 0; }
int ballast_call_on_cpu(unsigned int cpu, void (*fn)(void *), void *info, bool wait) { return -6; /* -ENXIO */ }
void ballast_cpu_relax(void) { }

uint64_t ballast_cycles(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ballast_log(const char *text, size_t len) { fwrite(text, 1, len, stdout); }

void ballast_panic(const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "ballast panic: %s\n", msg);
	abort();
}

/* Malloc an arena of @mib MiB and bring the library up over it: 0 or -errno. */
int hosted_start(unsigned long mib)
{
	hosted_arena = aligned_alloc(PAGE_BYTES, mib << 20);
	if (!hosted_arena)
		return -12;	/* -ENOMEM */
	return ballast_mm_init(ARENA_PHYS, (uint64_t)mib << 20);
}
