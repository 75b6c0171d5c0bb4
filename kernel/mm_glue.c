/*
 * mm_glue.c - brings the memory manager up after paging: everything that
 * connects portable mm/ code to this kernel lives here.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <mm/memblock.h>

/* Called by kmain once paging, interrupts and the timer are up. */
void mm_init_all(void)
{
	printk("ballast: %lu MiB usable RAM, %lu KiB reserved by boot\n",
	       (unsigned long)(memblock_phys_mem_size() >> 20),
	       (unsigned long)(memblock_reserved_size() >> 10));
}
