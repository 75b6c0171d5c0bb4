/*
 * arch/spinlock.h (host harness) - the kernel's spinlocks, unchanged: they
 * use only GCC atomics and <arch/cpu.h>, which resolves to the host's
 * version (interrupt state is a per-thread flag there).
 */
#include "../../../../arch/x86_64/include/arch/spinlock.h"
