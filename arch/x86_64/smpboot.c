/*
 * smpboot.c - starting the other CPUs (application processors, APs).
 *
 * Which CPUs: those the ACPI MADT lists as enabled (local APIC and local
 * x2APIC entries, acpi.c), at most NR_CPUS. The boot CPU is CPU 0; the
 * others get logical ids 1.. in MADT order, and percpu_area[cpu] records
 * each one's APIC id and state (enum cpu_state).
 *
 * How, in four calls from kmain, so the architectural delays and the APs'
 * own start overlap with the boot CPU's work instead of adding to it:
 *  smp_prepare_cpus()  right after the local APIC is up: each AP gets a
 *                      32 KiB kernel stack and three 16 KiB IST stacks
 *                      (memblock memory, mapped in the stack area with a
 *                      guard page below each), the trampoline (trampoline.S)
 *                      is copied to its low page and patched, and an INIT
 *                      IPI goes to every AP, one after the other without
 *                      waiting (the APs reset in parallel).
 *  smp_start_cpus()    after the TSC and APIC timer calibrations (which
 *                      last longer than the 10 ms an AP needs after INIT;
 *                      checked): a start-up IPI (SIPI) to every AP. The APs
 *                      run the trampoline and their C setup (per-CPU area,
 *                      GDT, TSS, IDT, local APIC without its timer) while
 *                      the boot CPU starts the page allocator, then park:
 *                      halted, interrupts on, waiting for the release. (Not
 *                      during the APIC timer's 10 ms measurement: under
 *                      single-threaded TCG the starting APs stretch that
 *                      busy-wait, +20 ms of an -icount boot.)
 *  smp_boot_cpus()     after the page allocator is up: a second SIPI to
 *                      every AP that has not reached C (the INIT, 10 ms,
 *                      SIPI, 200 us, SIPI sequence of the Intel SDM's MP
 *                      initialization, done for all APs at once and spread
 *                      over boot), then the release: a flag and a kick IPI
 *                      to each AP, which starts its APIC timer, checks in
 *                      and enters its work loop. So CPUs become online at
 *                      the same point of boot as before (after the memory
 *                      manager is up) but no longer pay their start there.
 *  smp_wait_cpus()     after the devices are probed: waits, bounded by
 *                      smp_timeout_ms= (default 2000 ms after the release),
 *                      for every AP; one that has not checked in is
 *                      reported ("cpu 3 (apic 3): did not start, left
 *                      out"), marked CPU_LEFT_OUT and never used. The AP and
 *                      the boot CPU race for the state word with a
 *                      compare-and-swap (STARTING -> ONLINE against
 *                      STARTING -> LEFT_OUT), so a late AP sees it lost and
 *                      halts instead of coming online behind the kernel's back.
 *
 * Measured (scripts/bootbench.py, docs/smp.md): what each step costs, and
 * -smp 4 against -smp 1 in interleaved pairs.
 *
 * The trampoline page: four pages of low RAM (code, and the trampoline's
 * PML4, PDPT and PD), chosen and reserved in memblock by
 * smp_reserve_trampoline() before anything else allocates, so nothing else
 * ever lives there.
 *
 * An AP in C (smp_ap_start): %gs -> its per-CPU area, its own GDT and
 * TSS, the shared IDT, its local APIC in the boot CPU's mode (x2APIC when
 * the CPU has it), the park (halted until smp_boot_cpus releases it: the
 * "sti; hlt" pair cannot miss a kick sent between its check and the
 * halt), the periodic timer, then the check-in, interrupts on, and its
 * work loop (smp_ap_idle_loop), which halts when idle.
 *
 * Test hook: smp_skip_cpu=N makes AP N spin before it checks in, so the
 * "did not start" path runs on a machine whose CPUs all work.
 *
 * Stop (panic): smp_stop_other_cpus() sends an NMI to every other online
 * CPU; each prints its backtrace under one lock (so the reports do not
 * interleave), counts itself stopped and halts for good. The panicking CPU
 * waits (bounded) for them before it stops itself.
 */
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/page.h>
#include <arch/cpu.h>
#include <arch/spinlock.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <kernel/work.h>
#include <kernel/smp.h>
#include <mm/gfp.h>
#include <mm/memblock.h>
#include <mm/e820.h>
#include <lib/parse.h>
#include <string.h>
#include <stdlib.h>

#define TRAMPOLINE_PAGES 4
#define AP_STACK_ORDER   3      /* 32 KiB */
#define AP_IST_ORDER     2      /* 16 KiB = IST_STACK_SIZE */
#define INIT_DELAY_US    10000
#define SIPI_DELAY_US    200

/* Read by trampoline.S's smp_ap_entry64. */
uint32_t smp_ap_apic_ids[NR_CPUS];
uint64_t smp_ap_stack_tops[NR_CPUS];
uint64_t smp_ap_cr3;
const uint32_t smp_ap_nr_cpus = NR_CPUS;

extern const char trampoline_start[], trampoline_end[];
extern uint32_t tr_gdt_desc_base[], tr_pm32_ptr[], tr_lm64_ptr[], tr_cr3[], tr_efer[];
extern const uint64_t tr_pm32_off, tr_lm64_off, tr_gdt_off;

static phys_addr_t tramp_pa;
static uint64_t init_tsc, sipi_tsc, sipi_wait_cycles, wait_cycles, release_tsc;
static int skip_cpu = -1;
static uint64_t timeout_ms = 2000;
static bool aps_started;
static volatile int aps_released;       /* parked APs may go online */

volatile int smp_stopping;
static volatile uint32_t stopped_count;
static DEFINE_SPINLOCK(stop_print_lock);
static char losing_panic[NR_CPUS][128];

void smp_ap_start(unsigned int cpu);
static bool ap_stacks(unsigned int cpu);
static void trampoline_setup(void);

/* True if [pa, pa+len) is RAM in the sanitized map and holds no boot data. */
static bool low_range_usable(phys_addr_t pa, size_t len)
{
	bool ram = false;

	for (int i = 0; i < mem_map_n; i++)
		if (mem_map[i].type == E820_RAM && mem_map[i].addr <= pa &&
		    mem_map[i].addr + mem_map[i].size >= pa + len)
			ram = true;
	if (boot_info.data_end > boot_info.data_start &&
	    pa < boot_info.data_end && pa + len > boot_info.data_start)
		return false;
	return ram;
}

/* Pick and reserve the trampoline's pages in low RAM (page 0 and the EBDA stay untouched). */
void smp_reserve_trampoline(void)
{
	size_t len = TRAMPOLINE_PAGES * PAGE_SIZE;

	for (phys_addr_t pa = 0x8000; pa + len <= 0x9f000; pa += PAGE_SIZE)
		if (low_range_usable(pa, len)) {
			tramp_pa = pa;
			memblock_reserve(pa, len);
			return;
		}
	for (phys_addr_t pa = 0x1000; pa + len <= 0x8000; pa += PAGE_SIZE)
		if (low_range_usable(pa, len)) {
			tramp_pa = pa;
			memblock_reserve(pa, len);
			return;
		}
	pr_warn("smp: no low RAM for the AP trampoline; only the boot CPU will run\n");
}

/*
 * A decimal kernel command line option in [@min, @max], or @dflt when it is
 * absent; anything else (not a whole number, out of range, "-5", "1x") is
 * reported and @dflt used, never half-parsed.
 */
static long cmdline_long(const char *key, long dflt, long min, long max)
{
	char v[24];
	uint64_t n;

	if (!cmdline_get(key, v, sizeof(v)))
		return dflt;
	if (!parse_u64_str(v, 10, &n) || n < (uint64_t)min || n > (uint64_t)max) {
		pr_warn("smp: %s=%s is not a number in %ld..%ld; using %ld\n", key, v, min, max, dflt);
		return dflt;
	}
	return (long)n;
}

void smp_prepare_cpus(void)
{
	unsigned int cpu = 1, n;
	uint32_t bsp = lapic_id();
	unsigned listed = acpi.ncpus < NR_CPUS ? acpi.ncpus : NR_CPUS;

	percpu_area[0].apic_id = bsp;
	percpu_area[0].x2apic = apic_x2apic_mode();
	for (unsigned i = 0; i < NR_CPUS; i++)
		smp_ap_apic_ids[i] = i ? 0xffffffffu : bsp;
	skip_cpu = (int)cmdline_long("smp_skip_cpu", -1, 1, NR_CPUS - 1);
	timeout_ms = (uint64_t)cmdline_long("smp_timeout_ms", 2000, 1, 600000);
	if (acpi.ncpus > NR_CPUS)
		pr_warn("smp: the MADT lists %u CPUs; Ballast runs the first %d\n", acpi.ncpus, NR_CPUS);
	if (!tramp_pa || !acpi.madt)
		return;
	for (unsigned i = 0; i < listed && cpu < NR_CPUS; i++) {
		uint32_t id = acpi.cpu_apic_id[i];

		if (id == bsp)
			continue;
		if (!apic_x2apic_mode() && id > 0xfe) {
			pr_warn("smp: APIC id %u needs x2APIC mode; that CPU is not started\n", id);
			continue;
		}
		percpu_area[cpu].apic_id = id;
		percpu_area[cpu].state = CPU_STARTING;
		smp_ap_apic_ids[cpu] = id;
		cpu++;
	}
	n = 0;
	for (cpu = 1; cpu < NR_CPUS; cpu++)
		if (percpu_area[cpu].state == CPU_STARTING && ap_stacks(cpu))
			n++;
	if (!n)
		return;
	trampoline_setup();
	boot_mark("smp-stacks");
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	init_tsc = arch_cycles();
	for (cpu = 1; cpu < NR_CPUS; cpu++)
		if (percpu_area[cpu].state == CPU_STARTING)
			apic_send_init(percpu_area[cpu].apic_id);
}

/* Memblock pages for a stack of 2^@order pages, mapped with a guard; returns its top or 0. */
static uint64_t ap_stack_alloc(unsigned int order)
{
	phys_addr_t pa = memblock_alloc(PAGE_SIZE << order, PAGE_SIZE);

	if (!pa)
		return 0;
	return (uint64_t)paging_map_stack(pa, PAGE_SIZE << order) + (PAGE_SIZE << order);
}

/* Give AP @cpu its stacks; false (and the AP left out) if memory is short. */
static bool ap_stacks(unsigned int cpu)
{
	struct percpu *pc = &percpu_area[cpu];

	pc->stack_top = ap_stack_alloc(AP_STACK_ORDER);
	for (int i = 0; i < 3; i++)
		pc->ist_top[i] = ap_stack_alloc(AP_IST_ORDER);
	if (!pc->stack_top || !pc->ist_top[0] || !pc->ist_top[1] || !pc->ist_top[2]) {
		pr_warn("smp: cpu %u (apic %u): no memory for its stacks, left out\n", cpu, pc->apic_id);
		pc->state = CPU_LEFT_OUT;
		return false;
	}
	smp_ap_stack_tops[cpu] = pc->stack_top;
	return true;
}

/* Copy the trampoline to its low page, patch it, and build its page table. */
static void trampoline_setup(void)
{
	uint8_t *t = __va(tramp_pa);
	uint64_t *pml4 = __va(tramp_pa + PAGE_SIZE), *pdpt = __va(tramp_pa + 2 * PAGE_SIZE);
	uint64_t *pd = __va(tramp_pa + 3 * PAGE_SIZE);
	const uint64_t *kpml4 = __va(read_cr3() & ~0xfffULL);
	size_t len = (size_t)(trampoline_end - trampoline_start);

	BUG_ON(len > PAGE_SIZE);
	memcpy(t, trampoline_start, len);
#define TR_FIELD(sym) ((uint32_t *)(t + ((const char *)(sym) - trampoline_start)))
	*TR_FIELD(tr_gdt_desc_base) = (uint32_t)(tramp_pa + tr_gdt_off);
	*TR_FIELD(tr_pm32_ptr) = (uint32_t)(tramp_pa + tr_pm32_off);
	*TR_FIELD(tr_lm64_ptr) = (uint32_t)(tramp_pa + tr_lm64_off);
	*TR_FIELD(tr_cr3) = (uint32_t)(tramp_pa + PAGE_SIZE);
	*TR_FIELD(tr_efer) = (1u << 8) | (cpu_features.nx ? 1u << 11 : 0);
#undef TR_FIELD
	memset(pml4, 0, 3 * PAGE_SIZE);
	pd[0] = 0 | 0x83;                               /* 2 MiB at 0: present, writable, large */
	pdpt[0] = (tramp_pa + 3 * PAGE_SIZE) | 0x3;
	pml4[0] = (tramp_pa + 2 * PAGE_SIZE) | 0x3;
	for (int i = 256; i < 512; i++)
		pml4[i] = kpml4[i];
	smp_ap_cr3 = read_cr3();
}

/* Send start-up IPI vector (trampoline page) to every AP still starting. */
static void send_sipis(void)
{
	for (unsigned int cpu = 1; cpu < NR_CPUS; cpu++)
		if (__atomic_load_n(&percpu_area[cpu].state, __ATOMIC_ACQUIRE) == CPU_STARTING)
			apic_send_sipi(percpu_area[cpu].apic_id, (uint8_t)(tramp_pa >> 12));
}

void smp_start_cpus(void)
{
	uint64_t t0;

	percpu_area[0].tsc_khz = tsc_khz;
	if (!init_tsc)
		return;                 /* no AP to start */
	t0 = arch_cycles();
	while (arch_cycles() - init_tsc < INIT_DELAY_US * tsc_khz / 1000)
		cpu_relax();            /* calibration normally outlasts it: no wait */
	sipi_tsc = arch_cycles();
	sipi_wait_cycles = sipi_tsc - t0;
	send_sipis();
	aps_started = true;
}

void smp_boot_cpus(void)
{
	if (!aps_started)
		return;
	while (arch_cycles() - sipi_tsc < SIPI_DELAY_US * tsc_khz / 1000)
		cpu_relax();
	for (unsigned int cpu = 1; cpu < NR_CPUS; cpu++)   /* the second SIPI */
		if (__atomic_load_n(&percpu_area[cpu].state, __ATOMIC_ACQUIRE) == CPU_STARTING &&
		    !__atomic_load_n(&percpu_area[cpu].start_tsc, __ATOMIC_ACQUIRE))
			apic_send_sipi(percpu_area[cpu].apic_id, (uint8_t)(tramp_pa >> 12));
	release_tsc = arch_cycles();
	__atomic_store_n(&aps_released, 1, __ATOMIC_SEQ_CST);
	apic_send_ipi_allbutself(VEC_IPI_KICK);         /* one write wakes every parked AP */
}

/* irq_affinity=balanced spreads the IOAPIC lines; 0 (the default) keeps them on CPU 0. */
static void irq_affinity_option(void)
{
	char v[16];

	if (!cmdline_get("irq_affinity", v, sizeof(v)) || !strcmp(v, "0"))
		return;
	if (!strcmp(v, "balanced")) {
		irq_balance();
		printk("smp: irq_affinity=balanced: IOAPIC lines spread over the online CPUs\n");
	} else {
		pr_warn("smp: irq_affinity=%s not understood (balanced or 0); lines stay on CPU 0\n", v);
	}
}

void smp_wait_cpus(void)
{
	uint64_t deadline = release_tsc + timeout_ms * tsc_khz, t0 = arch_cycles();
	unsigned int online = 1, listed = 1;

	for (unsigned int cpu = 1; aps_started && cpu < NR_CPUS; cpu++) {
		struct percpu *pc = &percpu_area[cpu];
		uint32_t want = CPU_STARTING;

		if (pc->state == CPU_ABSENT)
			continue;
		listed++;
		while (__atomic_load_n(&pc->state, __ATOMIC_ACQUIRE) == CPU_STARTING &&
		       arch_cycles() < deadline)
			cpu_relax();
		if (__atomic_compare_exchange_n(&pc->state, &want, CPU_LEFT_OUT, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			printk("smp: cpu %u (apic %u): did not start, left out\n", cpu, pc->apic_id);
	}
	wait_cycles = arch_cycles() - t0;
	for (unsigned int cpu = 1; cpu < NR_CPUS; cpu++)
		online += percpu_area[cpu].state == CPU_ONLINE;
	if (listed > 1)         /* short: a console byte costs ~45 us under TCG (cpuinfo, boottime say more) */
		printk("smp: %u of %u CPUs online\n", online, listed);
	irq_affinity_option();
}

/* C entry of AP @cpu, on its own stack, from smp_ap_entry64. */
void smp_ap_start(unsigned int cpu)
{
	struct percpu *pc = &percpu_area[cpu];
	uint32_t want = CPU_STARTING;

	pc->start_tsc = arch_cycles();
	percpu_init_cpu(cpu);
	gdt_init_cpu(cpu);
	idt_load();
	if ((int)cpu == skip_cpu)       /* test hook: be late on purpose */
		while (__atomic_load_n(&pc->state, __ATOMIC_ACQUIRE) == CPU_STARTING)
			cpu_relax();
	if (pc->state != CPU_STARTING)
		goto halt;
	lapic_enable_ap();
	pc->parked_tsc = arch_cycles();
	while (!__atomic_load_n(&aps_released, __ATOMIC_ACQUIRE))
		__asm__ __volatile__("sti; hlt; cli" ::: "memory");   /* the kick wakes it */
	if (pc->state != CPU_STARTING)
		goto halt;
	write_cr3(read_cr3());  /* no shootdown reached it while parked (not online) */
	lapic_init_ap();
	pc->x2apic = apic_x2apic_mode();
	pc->tsc_khz = tsc_khz;
	pc->online_tsc = arch_cycles();
	if (lapic_id() != pc->apic_id)
		goto halt;              /* cannot happen: the trampoline matched it */
	if (!__atomic_compare_exchange_n(&pc->state, &want, CPU_ONLINE, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		goto halt;              /* left out while it was late: never online */
	local_irq_enable();
	smp_ap_idle_loop();
halt:
	for (;;) {
		local_irq_disable();
		halt();
	}
}

void smp_get_boot_times(struct smp_boot_times *t)
{
	*t = (struct smp_boot_times){ init_tsc, sipi_tsc, sipi_wait_cycles, wait_cycles,
				      release_tsc };
}

void smp_ap_idle_loop(void)
{
	for (;;) {
		work_run_pending();
		local_irq_disable();
		if (!work_due())
			__asm__ __volatile__("sti; hlt" ::: "memory");
		else
			local_irq_enable();
	}
}

/* ---------------- stop (panic) ---------------- */

void smp_note_losing_panic(const char *msg)
{
	unsigned int me = arch_cpu_id();

	strncpy(losing_panic[me], msg, sizeof(losing_panic[me]) - 1);
}

void smp_stop_other_cpus(void)
{
	unsigned int me = arch_cpu_id(), sent = 0;
	uint64_t t0 = arch_cycles(), limit = (tsc_khz ? tsc_khz : 1000000) * 1000;

	__atomic_store_n(&smp_stopping, 1, __ATOMIC_SEQ_CST);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if (cpu != me && percpu_area[cpu].state == CPU_ONLINE) {
			apic_send_nmi(percpu_area[cpu].apic_id);
			sent++;
		}
	while (__atomic_load_n(&stopped_count, __ATOMIC_ACQUIRE) < sent &&
	       arch_cycles() - t0 < limit)
		cpu_relax();
	if (stopped_count < sent)
		printk("smp: %u of %u CPUs did not answer the stop NMI\n", sent - stopped_count, sent);
}

bool smp_stop_nmi(struct regs *r)
{
	unsigned int me = arch_cpu_id();

	if (!__atomic_load_n(&smp_stopping, __ATOMIC_ACQUIRE))
		return false;
	spin_lock(&stop_print_lock);
	printk("*** CPU %u (apic %u) stopped by NMI%s%s\n", me, percpu_area[me].apic_id,
	       losing_panic[me][0] ? "; it was panicking too: " : "", losing_panic[me]);
	backtrace_from(r->rbp, r->rip);
	spin_unlock(&stop_print_lock);
	__atomic_fetch_add(&stopped_count, 1, __ATOMIC_RELEASE);
	for (;;)
		halt();                 /* NMIs stay blocked: no IRET */
}
