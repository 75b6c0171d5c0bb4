/*
 * ballast/platform.h - what Ballast's memory manager needs from the kernel
 * it is linked into, in one place.
 *
 * The library (build/lib/libballast-mm.a, `make lib`) is the portable mm/
 * code plus the balloon core, built without Ballast's kernel. Everything
 * it still needs from below is a hook declared here; docs/porting.md gives
 * each hook's contract and a worked example (examples/hosted/platform.c
 * implements them all for a malloc'ed arena on Linux in about 60 lines).
 *
 * The mm sources are not written against these names. They include the
 * same small arch headers the kernel and the host harness provide
 * (<arch/cpu.h>, <arch/page.h>, <arch/spinlock.h>) and call printk(),
 * panic() and warn_report(); the library's own versions of those headers
 * (libmm/include/arch/) turn each arch call into the hook below, and
 * libmm/glue.c builds the three kernel calls on ballast_log() and
 * ballast_panic(). The spinlock itself is Ballast's (GCC __atomic
 * builtins), so a platform provides no lock type: only interrupt state.
 *
 * Hooks are plain external functions by default: a call each. The ones the
 * allocator's hot path reaches (interrupt save/restore with every zone and
 * per-CPU-list lock, the CPU id, phys-to-virt) can instead be static
 * inline: build the library with `make lib LIB_PLATFORM_INLINE=dir`,
 * where dir/ballast_platform_inline.h defines some hooks as static inline
 * functions and, for each, a macro of the same name (e.g.
 * `#define ballast_cpu_id ballast_cpu_id`); the declarations below are
 * skipped for the hooks so defined. The header is installed with the
 * library, so code including the library's headers sees the same hooks.
 *
 * Nothing here may allocate through the library, and no hook may take a
 * lock the library holds (they are called with zone locks held).
 */
#ifndef BALLAST_PLATFORM_H
#define BALLAST_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <ballast/config.h>

#ifdef BALLAST_PLATFORM_INLINE
#include <ballast_platform_inline.h>
#endif

/* ---- memory: the library's physical addresses ---- */

/*
 * Virtual address of physical address @pa (any byte of memory given to
 * ballast_mm_init). A linear map: page-contiguous physical ranges must be
 * virtually contiguous (an order-n block is used as one buffer). Any
 * context; never sleeps.
 */
#ifndef ballast_phys_to_virt
void *ballast_phys_to_virt(uint64_t pa);
#endif

/* Inverse of ballast_phys_to_virt() for addresses it returned. */
#ifndef ballast_virt_to_phys
uint64_t ballast_virt_to_phys(const void *va);
#endif

/* Copy one page (BALLAST_PAGE_SIZE bytes, both page aligned); migration, zsmalloc. */
#ifndef ballast_copy_page
void ballast_copy_page(void *dst, const void *src);
#endif

/* Zero one page (page aligned); memmap set-up and __GFP_ZERO. */
#ifndef ballast_zero_page
void ballast_zero_page(void *dst);
#endif

/* ---- CPUs and interrupt state ---- */

/*
 * Index of the running CPU, 0..BALLAST_NR_CPUS-1, stable while interrupts
 * are off (it indexes the per-CPU free lists). A single-CPU platform
 * returns 0. Any context.
 */
#ifndef ballast_cpu_id
unsigned int ballast_cpu_id(void);
#endif

/*
 * Disable interrupts on this CPU and return the previous state, to be
 * given back to ballast_irq_restore(). Nestable. Every lock the library
 * takes is taken with interrupts off this way, so the allocator may be
 * called from interrupt handlers. A platform without interrupts (or that
 * never enters the library from one) may return 0 and do nothing.
 */
#ifndef ballast_irq_save
unsigned long ballast_irq_save(void);
#endif

/* Restore the interrupt state @flags returned by ballast_irq_save(). */
#ifndef ballast_irq_restore
void ballast_irq_restore(unsigned long flags);
#endif

/* True if interrupts are off on this CPU (debug checks). */
#ifndef ballast_irqs_disabled
bool ballast_irqs_disabled(void);
#endif

/*
 * True if CPU @cpu (< BALLAST_NR_CPUS) runs and can be sent calls. CPU
 * ids need not be dense; the running CPU is online. Any context.
 */
#ifndef ballast_cpu_online
bool ballast_cpu_online(unsigned int cpu);
#endif

/*
 * Run @fn(@info) on CPU @cpu with interrupts off there (an IPI handler),
 * and with @wait return only after it has returned. Called with
 * interrupts on, never for the running CPU unless the caller has moved
 * since it looked (then run @fn directly, interrupts off). @fn is short
 * and never sleeps. 0, or -ENXIO if @cpu is not online. A single-CPU
 * platform is never asked and may just return -ENXIO. The library calls
 * it to have each CPU drain or resize its own per-CPU free lists.
 */
#ifndef ballast_call_on_cpu
int ballast_call_on_cpu(unsigned int cpu, void (*fn)(void *info), void *info, bool wait);
#endif

/* Spin-wait hint (x86 `pause`); may be empty. */
#ifndef ballast_cpu_relax
void ballast_cpu_relax(void);
#endif

/*
 * A monotonic cycle or nanosecond counter (only differences are used:
 * init timing, compaction statistics). Any context.
 */
#ifndef ballast_cycles
uint64_t ballast_cycles(void);
#endif

/* ---- messages ---- */

/*
 * Write @len bytes of message text (already formatted; may be part of a
 * line, lines end in '\n'). Called with locks held and interrupts off:
 * must not sleep or call into the library.
 */
#ifndef ballast_log
void ballast_log(const char *text, size_t len);
#endif

/*
 * A broken invariant (BUG_ON, a corrupted free list): @msg says what and
 * where. Must not return; may halt, reboot or abort the process.
 */
#ifndef ballast_panic
__attribute__((noreturn)) void ballast_panic(const char *msg);
#endif

#endif
