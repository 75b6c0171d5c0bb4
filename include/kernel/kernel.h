/*
 * kernel.h - kernel-wide state: the boot information in its common form,
 * the command line, and how the kernel stops.
 */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <kernel/compiler.h>
#include <mm/e820.h>

#define MB2_BOOTLOADER_MAGIC 0x36d76289u
#define PVH_START_MAGIC      0x336ec578u
#define CMDLINE_MAX          1024

/* What either boot path hands the kernel, in one form. */
struct boot_info {
	const char *protocol;                   /* "multiboot2" or "PVH" */
	char cmdline[CMDLINE_MAX];
	size_t cmdline_full_len;                /* before truncation */
	bool cmdline_truncated;
	struct e820_entry map[E820_MAX_ENTRIES];   /* raw firmware map */
	int nmap;
	bool map_truncated;
	phys_addr_t rsdp;
	phys_addr_t data_start, data_end;       /* boot data to reserve */
	char loader[64];
};

extern struct boot_info boot_info;
extern struct e820_entry mem_map[E820_MAX_ENTRIES];   /* sanitized */
extern int mem_map_n;
extern struct e820_report mem_map_report;

/*
 * Parse boot data at physical @info_pa for boot @magic into @bi, reading
 * memory through @phys_to_virt. Returns 0, or -EINVAL with @err set to a
 * one-line reason (unknown magic, bad structure).
 */
int bootinfo_parse(uint32_t magic, phys_addr_t info_pa, void *(*phys_to_virt)(phys_addr_t),
		   struct boot_info *bi, char *err, size_t errlen);

/* Value of "key=value" on the command line (copied to @buf), or NULL. */
const char *cmdline_get(const char *key, char *buf, size_t len);
/* True if the bare word @flag or "flag=..." is on the command line. */
bool cmdline_has(const char *flag);

/* Running under ktest=/bench=: fatal errors exit QEMU with failure. */
extern bool kernel_test_mode;

/* Stop after a fatal error: exit QEMU (test mode) or halt. */
__noreturn void kernel_fatal(const char *why);

/* Image size in bytes (text+rodata+data+bss). */
uint64_t kernel_image_bytes(void);
/* TSC reading when kmain started, and when the shell became ready. */
extern uint64_t boot_tsc_start, boot_tsc_ready;
/* The TSC at the end of each boot step (kmain's timeline, `boottime`). */
#define BOOT_MARKS_MAX 32
struct boot_mark {
	const char *what;
	uint64_t tsc;
};
extern struct boot_mark boot_marks[BOOT_MARKS_MAX];
extern unsigned int boot_marks_n;
void boot_mark(const char *what);

/* An address inside kmain (symbolizer test). */
void *kmain_symbol_probe(void);

/* Hooks run in the idle loop (the shell's input poll etc.). */
void idle_loop(void) __noreturn;

/* newlib's malloc backend: early static arena until mm is up. */
void early_malloc_report(void);

#endif
