/*
 * host_mem.h - "physical memory" for host tests of mm/.
 *
 *   host_mem_init(map, n)    mmap (MAP_NORESERVE) a buffer covering the
 *                            highest address of @map, point __va() at it,
 *                            fill memblock with the RAM entries, reserve
 *                            the first MiB like the kernel, call mm_init().
 *   host_mem_init_mb(mb)     the same for a simple PC-like layout: RAM
 *                            [0, 640 KiB) and [1 MiB, mb MiB).
 *   host_mem_teardown()      reset all mm state and unmap (idempotent).
 * After mm_init() the every-N-operations count check (mm_debug_check) is
 * on: N = host_debug_check_every(), from HTEST_MM_DEBUG_CHECK (0 = off).
 * Each test calls one init at its start and teardown at its end.
 */
#ifndef HOST_MEM_H
#define HOST_MEM_H

#include <mm/e820.h>
#include <stddef.h>

void host_mem_init(const struct e820_entry *map, int n);
/*
 * host_mem_init() with @extra_bytes (rounded up to sections) of address
 * space above boot RAM for add_memory(): it starts at
 * host_mem_hotplug_base() (boot RAM's end rounded up to a section).
 */
void host_mem_init_hotplug(const struct e820_entry *map, int n, uint64_t extra_bytes);
uint64_t host_mem_hotplug_base(void);
/* arch_add_direct_map()/arch_remove_direct_map() calls since the last init. */
extern unsigned long host_direct_map_adds, host_direct_map_removes;
void host_mem_init_mb(unsigned long mb);
void host_mem_teardown(void);
/* The harness's mm_debug_check interval (HTEST_MM_DEBUG_CHECK, default 256). */
unsigned long host_debug_check_every(void);
/* Size of the current buffer in bytes. */
size_t host_mem_size(void);

#endif
