/*
 * arch/x86.h - x86_64 kernel internals shared between arch/ and kernel/:
 * the interrupt frame, IRQ registration, paging and MMIO mapping, timers,
 * ACPI tables found at boot, and fault catching for tests.
 */
#ifndef ARCH_X86_H
#define ARCH_X86_H

#include <kernel/compiler.h>
#include <arch/cpu.h>

/* Saved by isr.S, in push order reversed (lowest address first). */
struct regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;     /* pushed by the CPU */
};

typedef void (*irq_handler_t)(struct regs *r, void *ctx);

/* --- CPU features found at boot --- */
struct cpu_features {
	bool nx, gbpages, x2apic, tsc_deadline, invariant_tsc, hypervisor;
	char vendor[13];
	char hypervisor_sig[13];
};
extern struct cpu_features cpu_features;
void cpu_detect(uint32_t ext_edx);

/* --- per-CPU area (%gs:0 is the CPU id) --- */
enum cpu_state {
	CPU_ABSENT = 0,		/* not in the MADT, or past the MADT's count */
	CPU_STARTING,		/* INIT/SIPI sent, not checked in yet */
	CPU_ONLINE,		/* checked in, runs its work loop */
	CPU_LEFT_OUT,		/* did not check in within the bound; never used */
};
struct percpu {
	uint32_t cpu_id;	/* offset 0: arch_cpu_id() reads %gs:0 */
	uint32_t apic_id;	/* local APIC id (x2APIC id in x2APIC mode) */
	struct percpu *self;
	uint64_t irq_count;	/* interrupts taken on this CPU */
	uint64_t ticks;		/* local APIC timer ticks on this CPU */
	uint64_t tsc_khz;	/* the TSC rate this CPU runs with */
	uint64_t stack_top;	/* kernel stack (APs: mapped with a guard page) */
	uint64_t ist_top[3];	/* #DF, NMI, #MC stacks */
	uint64_t start_tsc;	/* TSC when it reached C (smp_ap_start) */
	uint64_t parked_tsc;	/* TSC when it parked, set up, waiting for the release */
	uint64_t online_tsc;	/* TSC when it checked in */
	uint32_t state;		/* enum cpu_state, changed with atomics */
	bool x2apic;		/* its local APIC runs in x2APIC mode */
	bool madt_enabled;	/* MADT flag: enabled (else online-capable) */
};
extern struct percpu percpu_area[NR_CPUS];
void percpu_init_boot_cpu(void);
/* Point this CPU's %gs at percpu_area[@cpu] (APs, from smp_ap_start). */
void percpu_init_cpu(unsigned int cpu);
static inline struct percpu *this_cpu(void) { return &percpu_area[arch_cpu_id()]; }

/* --- SMP bring-up (smpboot.c) --- */
/* Choose and memblock-reserve the trampoline's low pages (memory_init). */
void smp_reserve_trampoline(void);
/* Read the MADT's CPU list, give the APs stacks and the trampoline, send INIT (after apic_init). */
void smp_prepare_cpus(void);
/* The first SIPI to every AP (after the TSC and timer calibrations); they set up and park. */
void smp_start_cpus(void);
/* The second SIPI where needed, then release the parked APs (after the page allocator). */
void smp_boot_cpus(void);
/* Wait (bounded) for every started AP; report and leave out the late ones. */
void smp_wait_cpus(void);
/* Bring-up timeline (TSC): INITs sent, first SIPI sent, the wait for the SIPI's
 * INIT delay, and the boot CPU's wait in smp_wait_cpus(); 0 where it did not happen. */
struct smp_boot_times {
	uint64_t init_tsc, sipi_tsc, sipi_wait_cycles, wait_cycles, release_tsc;
};
void smp_get_boot_times(struct smp_boot_times *t);
/* The APs' work loop (and the boot CPU's without the shell). */
__noreturn void smp_ap_idle_loop(void);
/* Register the call-function and kick IPI vectors (kernel/smp.c; before the APs start). */
void smp_init_ipis(void);
/* Wake @cpu's work loop (work queued for it from another CPU). */
void smp_send_kick(unsigned int cpu);
/* Stop every other CPU with an NMI: each prints its backtrace and halts (panic). */
void smp_stop_other_cpus(void);
/* NMI entry: true if the NMI was a stop request (then it never returns). */
bool smp_stop_nmi(struct regs *r);
/* Note the message of a CPU that panicked while another CPU's panic was running. */
void smp_note_losing_panic(const char *msg);
extern volatile int smp_stopping;	/* set by smp_stop_other_cpus() */

/* --- inter-processor interrupts (apic.c) --- */
#define VEC_IPI_CALL   0xfd	/* call-function queue has entries */
#define VEC_IPI_KICK   0xfc	/* wake the work loop (work queued from afar) */
#define VEC_LAST_DEVICE 0xef	/* device vectors are 48..0xef */
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
/* @vector to every CPU but this one, in one ICR write (CPUs not started ignore it). */
void apic_send_ipi_allbutself(uint8_t vector);
void apic_send_nmi(uint32_t apic_id);
void apic_send_init(uint32_t apic_id);
void apic_send_sipi(uint32_t apic_id, uint8_t page);
/* Enable this AP's local APIC (same mode as the boot CPU) and start its timer. */
void lapic_init_ap(void);
/* Enable this AP's local APIC only (it can take IPIs; the timer comes with lapic_init_ap). */
void lapic_enable_ap(void);
bool apic_x2apic_mode(void);
/* Give IPI vector @vec the handler @fn (shown by `irqs` as @name). */
void irq_register_ipi(unsigned vec, const char *name, irq_handler_t fn);
/* Send device vector @vec (an IOAPIC line, or a message with a retarget hook) to @cpu;
 * -EINVAL if it is neither, -ENXIO if @cpu is not online, -ERANGE if unreachable. */
int irq_set_affinity(unsigned vec, unsigned int cpu);
/* Re-aims a message interrupt (MSI-X entry @ctx) at local APIC @apic_id; 0 or -ERANGE. */
typedef int (*irq_retarget_t)(void *ctx, uint32_t apic_id);
/* Make message vector @vec routable through @fn(@ctx) (NULL: no longer); it goes to @cpu now. */
void irq_set_retarget(unsigned vec, irq_retarget_t fn, void *ctx, int cpu);
/* The CPU device vector @vec is routed to (-1 if not routable). */
int irq_get_affinity(unsigned vec);
/* Interrupts vector @vec took on @cpu. */
uint64_t irq_count_on(unsigned vec, unsigned int cpu);
/* irq_affinity=balanced: spread the IOAPIC lines over the online CPUs. */
void irq_balance(void);
/* IOAPIC: send @gsi's interrupts to local APIC @apic_id. */
int ioapic_set_dest(unsigned gsi, uint32_t apic_id);

/* --- descriptor tables, interrupts --- */
void gdt_init(void);
/* Load CPU @cpu's own GDT and TSS (IST stacks from percpu_area[@cpu]). */
void gdt_init_cpu(unsigned int cpu);
void idt_init(void);
/* Load the (shared) IDT on this CPU. */
void idt_load(void);
/* Route a legacy ISA IRQ through the IOAPIC to a fresh vector; returns the vector. */
int irq_register_isa(unsigned isa_irq, irq_handler_t fn, void *ctx);
#define IRQ_MAX_SHARED 4	/* handlers on one shared INTx line */
/*
 * Route GSI @gsi (level or edge, active low or high, as the firmware
 * describes the line) to a fresh vector named @name; vector or -1 (no
 * vector left, or no IOAPIC serves @gsi). A level-triggered GSI that is
 * already routed with the same polarity is shared (PCI INTx): @fn joins the
 * handlers of its vector (up to IRQ_MAX_SHARED), and every handler runs on
 * each interrupt, so each must check whether its device raised it.
 */
int irq_register_gsi(unsigned gsi, bool level, bool active_low, const char *name,
		     irq_handler_t fn, void *ctx);
/* Allocate a vector for MSI/MSI-X; returns vector or -1. */
int irq_alloc_vector(irq_handler_t fn, void *ctx);
/* The same, with a name shown by the `irqs` shell command (@name must stay valid). */
int irq_alloc_vector_named(const char *name, irq_handler_t fn, void *ctx);
/* Drop the handler of MSI/MSI-X vector @vec (a failed MSI-X setup); GSI vectors stay. */
void irq_free_vector(int vec);
/* What `irqs` shows of vector @vec: false if it was never allocated. */
struct irq_info {
	const char *name;		/* the first handler's */
	const char *names[IRQ_MAX_SHARED];
	unsigned nnames;		/* handlers (more than 1: a shared line) */
	uint64_t count;
	int gsi;		/* -1: no IOAPIC line (MSI/MSI-X, timer) */
	bool level, active_low;
};
bool irq_get_info(unsigned vec, struct irq_info *out);
/* Interrupts that arrived on vectors nobody registered (counted, then ignored). */
uint64_t irq_unhandled_count(void);
/* Send vector @vec to this CPU through the local APIC (tests: spurious interrupts). */
void apic_self_ipi(uint8_t vec);
void dump_regs(const struct regs *r);
void backtrace_from(uint64_t rbp, uint64_t rip);
const char *symbolize(uint64_t addr, uint64_t *offset);

/* --- fault catching (tests): run fn(arg); a CPU exception inside it is
 * reported and recorded instead of halting. Returns true if it faulted. --- */
struct caught_fault {
	uint64_t vector, error, cr2, rip;
};
bool catch_fault(void (*fn)(void *), void *arg, struct caught_fault *out);

/* --- stacks with guard pages (gdt.c) --- */
#define IST_STACK_SIZE (16 * 1024)
struct ist_stack {
	uint8_t guard[4096];
	uint8_t stack[IST_STACK_SIZE];
} __aligned(4096);
extern struct ist_stack ist_stacks[3];

/* --- paging --- */
/* Map @size bytes of physical memory at @pa as a stack in the stack area,
 * with an unmapped guard page below; returns the base (lowest) address. */
void *paging_map_stack(phys_addr_t pa, size_t size);
/* True if [a, a+16) lies in a mapped part of the stack area. */
bool paging_stack_readable(uint64_t a);
/* True if @a is a guard page of the stack area. */
bool paging_is_stack_guard(uint64_t a);
/* Invalidate [va, va+len) on this CPU and, once APs run, on every other (IPI). */
void flush_tlb_kernel_range(uint64_t va, size_t len);
struct e820_entry;
/* Build the direct map and W^X image map from the sanitized map; switch CR3. */
void paging_init_map(const struct e820_entry *map, int n);
void paging_set_table_allocator(phys_addr_t (*fn)(void));
/* Map [phys, phys+size) uncached for device registers; returns the virtual address. */
void *ioremap(phys_addr_t phys, size_t size);
/* Map RAM [phys, phys+size) write-back in the ioremap space; returns the virtual address. */
void *ioremap_cache(phys_addr_t phys, size_t size);
/* Point the 4 KiB page @va (ioremap or stack area, mapped) at @pa, on every CPU; 0 or -EINVAL. */
int paging_remap_page(uint64_t va, phys_addr_t pa);
/* Unmap the 4 KiB page @va (ioremap or stack area), on every CPU; 0 or -EINVAL. */
int paging_unmap_page(uint64_t va);
/* Page-table entry lookup for tests: returns the leaf entry or 0. */
uint64_t paging_lookup(uint64_t va, unsigned *level);
extern uint64_t direct_map_bytes;
/* Virtual address for reading firmware tables at @pa (direct map if mapped, else ioremap). */
void *phys_map_any(phys_addr_t pa, size_t len);
extern unsigned direct_map_page_size_shift;   /* 30 or 21 */

/* --- ACPI --- */
#define ACPI_MAX_IOAPICS 4
struct acpi_ioapic {
	phys_addr_t phys;
	uint32_t gsi_base;
};
struct acpi_info {
	phys_addr_t rsdp, madt, fadt, mcfg, dsdt;
	phys_addr_t ioapic_phys;        /* the first IOAPIC (serves the ISA IRQs) */
	uint32_t ioapic_gsi_base;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];   /* every IOAPIC of the MADT */
	unsigned nioapics;
	phys_addr_t lapic_phys;
	uint32_t isa_gsi[16];           /* ISA IRQ -> GSI after overrides */
	uint16_t isa_flags[16];         /* MPS INTI flags of the override */
	unsigned ncpus;                 /* enabled CPUs the MADT lists */
	uint32_t cpu_apic_id[NR_CPUS];  /* their APIC ids, in MADT order (first NR_CPUS) */
	unsigned ncpus_x2apic;          /* of them, listed by x2APIC entries (type 9) */
	phys_addr_t ecam_base;          /* from MCFG, segment 0 */
	uint8_t ecam_bus_start, ecam_bus_end;
	bool hw_reduced;
};
extern struct acpi_info acpi;
void acpi_init(phys_addr_t rsdp_hint);
void acpi_poweroff(void);

/*
 * A device of the DSDT as acpi_for_each_device() reports it: its _HID,
 * _UID, the value _CBA returns (a constant method; PCIe host bridges) and
 * the resources of its _CRS (when _CRS is a constant buffer).
 */
#define ACPI_MAX_RES 6
struct acpi_res_mem {
	uint64_t base, len;
};
struct acpi_device {
	char hid[16];
	int64_t uid;                    /* -1 if none */
	uint64_t cba;                   /* 0 if none */
	bool has_crs;
	unsigned nmem;
	struct acpi_res_mem mem[ACPI_MAX_RES];  /* memory ranges, in _CRS order */
	bool has_bus;
	uint16_t bus_min, bus_max;
	unsigned nirq;
	uint32_t irq[ACPI_MAX_RES];     /* extended interrupt descriptors (GSIs) */
	bool irq_level, irq_active_low; /* of the first interrupt descriptor */
};
/*
 * Call @fn for every Device of the DSDT whose _HID string is @hid (nested
 * devices included), in table order; returns how many matched. Parses only
 * the constant parts of the AML it needs and skips what it does not know.
 */
unsigned acpi_for_each_device(const char *hid, void (*fn)(const struct acpi_device *d, void *arg),
			      void *arg);
/* The AML walker over a table body in memory (host tests call it directly). */
unsigned acpi_aml_for_each_device(const uint8_t *aml, size_t len, const char *hid,
				  void (*fn)(const struct acpi_device *d, void *arg), void *arg);

/* --- APIC and timers --- */
void apic_init(void);
void apic_eoi(void);
/* Route GSI @gsi to @vector on this CPU; -1 if no IOAPIC serves it. */
int ioapic_route(unsigned gsi, uint8_t vector, bool level, bool active_low);
void ioapic_mask(unsigned gsi, bool masked);
/* True if an IOAPIC serves @gsi. */
bool ioapic_has_gsi(unsigned gsi);
/* IOAPIC @i: its pin count (0 past the last), address and first GSI. */
unsigned ioapic_describe(unsigned i, uint64_t *phys, uint32_t *gsi_base);
uint32_t lapic_id(void);
void tsc_calibrate(void);
uint64_t tsc_measure_khz_again(void);
extern uint64_t tsc_khz;
/* How tsc_calibrate() got there (cpuinfo, boottime, docs/boot.md). */
struct tsc_calibration_info {
	uint32_t cpuid_max;		/* CPUID leaf 0's EAX */
	uint32_t hv_max;		/* CPUID 0x40000000's EAX (0 without a hypervisor) */
	unsigned int windows;		/* PIT windows kept (their median is tsc_khz) */
	unsigned int rejected;		/* PIT windows thrown away */
	unsigned int lost_wrap;		/* of them, for a gap that may have hidden a PIT wrap */
	unsigned int samples;		/* PIT reads in the kept windows' fits */
	uint64_t spread_khz;		/* highest minus lowest kept window */
	uint64_t cycles;		/* TSC cycles the PIT windows took */
};
extern struct tsc_calibration_info tsc_calibration_info;
extern const char *tsc_calibration_source;
void timer_init(unsigned hz);
uint64_t uptime_ns(void);
uint64_t ticks(void);
extern unsigned timer_hz;
void udelay(uint64_t us);

/* --- serial console --- */
void serial_init(void);
void serial_enable_irq(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
/* Next input byte or -1 if none is buffered. */
int serial_getc(void);
uint64_t serial_rx_dropped(void);
bool serial_rx_pending(void);

/* --- power --- */
__noreturn void machine_poweroff(void);
__noreturn void qemu_exit(int status);

/* --- image layout (linker.ld) --- */
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _data_end[], _bss_start[], _bss_end[];
extern char _image_start_phys[], _image_end_phys[];
extern char boot_stack_guard[], boot_stack_top[];

#endif
