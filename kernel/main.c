/*
 * main.c - kmain(): from the boot stub to the shell.
 *
 * Order matters and is the whole story of boot:
 *  1. per-CPU area, serial console, CPU features, GDT/TSS, IDT
 *     (from here every fault gets a report);
 *  2. boot information (multiboot2 or PVH) -> struct boot_info;
 *  3. memory map sanitized; memblock gets RAM, the first MiB, the kernel
 *     image and the boot data reserved;
 *  4. final page tables: direct map + W^X image (paging.c);
 *  5. ACPI tables, APICs, the other CPUs' stacks and INIT IPIs
 *     (smp_prepare_cpus), TSC calibration, timer, their start-up IPIs
 *     (smp_start_cpus: they set up and park), serial input IRQ;
 *  6. the page allocator and the mm boot options (mm_init_all), the
 *     VMCOREINFO note and the pvpanic device (dumps), then direct
 *     compaction and its daemon (kcompactd_start);
 *  7. devices: PCI and virtio-mmio enumeration, virtio drivers
 *     (virtio_init; the balloon needs the page allocator); then the
 *     parked CPUs released (smp_boot_cpus) and waited for
 *     (smp_wait_cpus, bounded);
 *  8. ktest=/bench= runs (they start the deferred memmap init on every
 *     CPU and wait for it), then the background init of the rest of the
 *     memmap (one work item per CPU, kernel/deferred_work.c), the linked
 *     application (kernel/app.c), or the shell.
 *
 * boot_mark() notes the TSC at the end of each step (the `boottime` command
 * prints them, scripts/bootbench.py reads them): the guest's own figure for
 * where boot time goes, free of the host's process start-up.
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <kernel/shell.h>
#include <kernel/work.h>
#include <kernel/app.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/page.h>
#include <mm/memblock.h>
#include <mm/sparse.h>
#include <mm/e820.h>
#include <mm/compaction.h>
#include <mm/memory_hotplug.h>
#include <mm/deferred_init.h>
#include <drivers/virtio.h>
#include <drivers/pvpanic.h>
#include <kernel/vmcoreinfo.h>
#include <errno.h>
#include <string.h>

#define DIRECT_MAP_LIMIT (1ULL << 40)
#define BOOT_WINDOW      (1ULL << 30)   /* boot page tables map 1 GiB */

struct boot_info boot_info;
struct e820_entry mem_map[E820_MAX_ENTRIES];
int mem_map_n;
struct e820_report mem_map_report;
uint64_t boot_tsc_start, boot_tsc_ready;
struct boot_mark boot_marks[BOOT_MARKS_MAX];
unsigned int boot_marks_n;

/* Note that boot step @what ended now (boot CPU only, before the shell). */
void boot_mark(const char *what)
{
	if (boot_marks_n < BOOT_MARKS_MAX)
		boot_marks[boot_marks_n++] = (struct boot_mark){ what, arch_cycles() };
}

void ktest_run(const char *spec);
void bench_run(const char *spec);
void shell_start(void);
void shell_poll(void);
void mm_init_all(void);
void kmain(uint32_t magic, uint32_t info_pa, uint32_t ext_edx);

/* Boot data lives below 1 GiB, reachable through the boot window. */
static void *boot_p2v(phys_addr_t pa)
{
	if (pa >= BOOT_WINDOW)
		panic("boot: boot data at %#lx lies above the 1 GiB the boot map covers", pa);
	return (void *)(pa + KERNEL_VBASE);
}

uint64_t kernel_image_bytes(void)
{
	return (uint64_t)(_image_end_phys - _image_start_phys);
}

/* movablecore=: parsed once memblock knows RAM, before anything is allocated. */
static void movablecore_boot_option(void)
{
	char opt[64];

	if (cmdline_get("movablecore", opt, sizeof(opt)) && movablecore_parse(opt))
		pr_warn("movablecore=%s not understood (a size such as 512M or 1G, or 1%%-99%%); "
			"no ZONE_MOVABLE\n", opt);
}

/* Sanitize the firmware map and hand RAM and reservations to memblock. */
static void memory_init(void)
{
	memcpy(mem_map, boot_info.map, sizeof(struct e820_entry) * (size_t)boot_info.nmap);
	mem_map_n = e820_sanitize(mem_map, boot_info.nmap, E820_MAX_ENTRIES,
				  DIRECT_MAP_LIMIT, &mem_map_report);
	if (boot_info.map_truncated)
		pr_warn("e820: the firmware map has more than %d entries; the rest were ignored\n",
			E820_MAX_ENTRIES);
	e820_report_print(&mem_map_report);
	if (e820_total(mem_map, mem_map_n, E820_RAM) == 0)
		panic("e820: the memory map contains no usable RAM");
	for (int i = 0; i < mem_map_n; i++)
		if (mem_map[i].type == E820_RAM && memblock_add(mem_map[i].addr, mem_map[i].size))
			pr_warn("memblock: no room for RAM range %#lx+%#lx; ignored\n",
				mem_map[i].addr, mem_map[i].size);
	smp_reserve_trampoline();
	memblock_reserve(0, 1ULL << 20);
	memblock_reserve((phys_addr_t)_image_start_phys, kernel_image_bytes());
	mhp_set_kernel_image((phys_addr_t)_image_start_phys, kernel_image_bytes());
	if (boot_info.data_end > boot_info.data_start)
		memblock_reserve(boot_info.data_start, boot_info.data_end - boot_info.data_start);
	if (memblock_phys_mem_size() - memblock_reserved_size() < (4ULL << 20))
		panic("memory: only %lu KiB of RAM is free after the kernel; Ballast needs at least 4 MiB",
		      (unsigned long)((memblock_phys_mem_size() - memblock_reserved_size()) >> 10));
	movablecore_boot_option();
	/* the boot page tables stay out of the sections movablecore= made Movable */
	memblock.alloc_limit = MIN(BOOT_WINDOW, sparse_boot_movable_limit());
	paging_init_map(mem_map, mem_map_n);
	memblock.alloc_limit = 0;
}

void kmain(uint32_t magic, uint32_t info_pa, uint32_t ext_edx)
{
	char err[200];

	boot_tsc_start = arch_cycles();
	boot_mark("kmain");
	percpu_init_boot_cpu();
	serial_init();
	cpu_detect(ext_edx);
	gdt_init();
	idt_init();
	printk("\nballast: booting\n");
	boot_mark("console");

	if (bootinfo_parse(magic, info_pa, boot_p2v, &boot_info, err, sizeof(err)))
		panic("boot: %s", err);
	kernel_test_mode = cmdline_has("ktest") || cmdline_has("bench");
	printk("ballast: %s boot%s%s, command line \"%s\"\n", boot_info.protocol,
	       boot_info.loader[0] ? " via " : "", boot_info.loader, boot_info.cmdline);
	if (boot_info.cmdline_truncated)
		pr_warn("the command line is %zu bytes; only the first %d were kept\n",
			boot_info.cmdline_full_len, CMDLINE_MAX - 1);
	if (!cpu_features.nx)
		pr_warn("this CPU has no NX bit: data pages stay executable\n");

	boot_mark("bootinfo");
	memory_init();
	boot_mark("memory");
	acpi_init(boot_info.rsdp);
	apic_init();
	smp_init_ipis();
	smp_prepare_cpus();     /* INIT to the APs now: their 10 ms pass during the calibrations */
	boot_mark("acpi+apic+INIT");
	tsc_calibrate();
	boot_mark("tsc");
	timer_init(100);
	smp_start_cpus();       /* SIPIs: the APs set up and park while boot goes on */
	serial_enable_irq();
	local_irq_enable();
	printk("ballast: TSC %lu.%03lu MHz (%s), %s APIC, %u CPU(s) in ACPI, direct map %lu MiB in %s pages\n",
	       tsc_khz / 1000, tsc_khz % 1000, tsc_calibration_source,
	       cpu_features.x2apic ? "x2" : "x", acpi.ncpus, direct_map_bytes >> 20,
	       direct_map_page_size_shift == 30 ? "1 GiB" : "2 MiB");

	boot_mark("timer+SIPI");
	mm_init_all();
	boot_mark("mm");
	vmcoreinfo_init();	/* needs the memmap (kernel/vmcoreinfo.c) */
	pvpanic_init();
	kcompactd_start();
	boot_mark("dumps+kcompactd");
	/*
	 * Devices first, then the parked APs: PCI enumeration changes QEMU's
	 * memory map (BAR sizing and decode), and QEMU 7.2's multi-threaded
	 * TCG segfaults (in memory_region_dispatch_write) about once in 10-25
	 * q35 boots when another vCPU writes its local APIC's MMIO meanwhile.
	 */
	virtio_init();
	boot_mark("virtio");
	smp_boot_cpus();        /* release the parked APs: they go online now */
	boot_mark("smp_boot_cpus");
	smp_wait_cpus();
	boot_mark("smp_wait_cpus");

	char spec[128];
	if (cmdline_get("ktest", spec, sizeof(spec)))
		ktest_run(spec);
	if (cmdline_get("bench", spec, sizeof(spec)))
		bench_run(spec);

	boot_tsc_ready = arch_cycles();
	boot_mark("ready");
	/*
	 * The rest of the memmap, on every CPU (kernel/deferred_work.c); not
	 * earlier: under TCG with more vCPUs than host cores the APs' work
	 * slowed CPU 0's last steps by about 4 ms at -smp 4.
	 */
	deferred_init_start();
	app_run();
	shell_start();
	idle_loop();
}

/* An address inside kmain, for the symbolizer test. */
void *kmain_symbol_probe(void)
{
	return (void *)((uintptr_t)kmain + 4);
}

void idle_loop(void)
{
	for (;;) {
		work_run_pending();
		shell_poll();
		local_irq_disable();
		if (!work_due() && !serial_rx_pending())
			__asm__ __volatile__("sti; hlt" ::: "memory");
		else
			local_irq_enable();
	}
}
