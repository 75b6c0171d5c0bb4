/*
 * traps.c - the IDT, interrupt dispatch, and exception reports.
 *
 * Vectors 0-31 are CPU exceptions: each gets a report (name, vector, error
 * code decoded, CR2, registers, a symbolized frame-pointer backtrace) and
 * the CPU halts - unless a test asked to catch it with catch_fault(), in
 * which case the report is printed and control returns to the test.
 * Vectors 48-0xef are device interrupts registered with irq_*(), 0xfc and
 * 0xfd the IPIs of smp.c and work.c; each handler runs with interrupts off
 * and is followed by a LAPIC EOI. Every vector counts its interrupts per
 * CPU (the `irqs` shell command lists them); one that arrives on a vector
 * nobody registered is counted and acknowledged. All CPUs share the one
 * IDT; a device vector is delivered to the CPU its IOAPIC line or its
 * MSI-X message names (irq_set_affinity; CPU 0 unless moved), and the
 * handler runs there. An MSI-X vector is movable once its owner gave a
 * retarget hook (irq_set_retarget; drivers/pci/pci.c rewrites the table
 * entry's destination), other messages and IPIs are not.
 *
 * An NMI is first offered to smp_stop_nmi(): during a panic it is the stop
 * request, and the CPU prints its backtrace and halts; any other NMI is an
 * exception report as before.
 */
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/cpu.h>
#include <arch/page.h>
#include <kernel/bug.h>
#include <kernel/printk.h>
#include <kernel/kernel.h>
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>

#define VEC_FIRST_IRQ  48
#define VEC_SPURIOUS   0xff
#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3

struct idt_entry {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, rsvd;
} __packed;

static struct idt_entry idt[256] __aligned(16);
static struct { uint16_t limit; uint64_t base; } __packed idt_ptr;
extern const uint64_t isr_table[256];

/* One handler on a vector; a level-triggered GSI may carry several (a shared line). */
struct irq_action {
	irq_handler_t fn;
	void *ctx;
	const char *name;
};

static struct {
	struct irq_action act[IRQ_MAX_SHARED];
	unsigned nact;
	uint64_t count;		/* all CPUs (atomic) */
	uint64_t count_on[NR_CPUS];	/* per CPU, each written by its own CPU */
	int cpu;		/* where an IOAPIC line or a retargetable message is sent */
	int gsi;		/* -1: not an IOAPIC line */
	irq_retarget_t retarget;	/* MSI-X: re-aims the message at an APIC id */
	void *retarget_ctx;
	bool used, level, active_low;
} irq_table[256];
static unsigned next_vector = VEC_FIRST_IRQ;
static uint64_t irq_unhandled;
unsigned int hardirq_depth[NR_CPUS];	/* device handlers running, per CPU */

static const char *const exc_names[32] = {
	"divide error (#DE)", "debug (#DB)", "NMI", "breakpoint (#BP)",
	"overflow (#OF)", "bound range (#BR)", "invalid opcode (#UD)",
	"device not available (#NM)", "double fault (#DF)", "coprocessor overrun",
	"invalid TSS (#TS)", "segment not present (#NP)", "stack fault (#SS)",
	"general protection (#GP)", "page fault (#PF)", "reserved 15",
	"x87 FP error (#MF)", "alignment check (#AC)", "machine check (#MC)",
	"SIMD FP error (#XM)", "virtualization (#VE)", "control protection (#CP)",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25", "reserved 26",
	"reserved 27", "hypervisor injection (#HV)", "VMM communication (#VC)",
	"security (#SX)", "reserved 31",
};

/* Fill IDT gate @v: interrupt gate, ring 0, optional IST. */
static void set_gate(unsigned v, uint64_t handler, unsigned ist)
{
	idt[v].off0 = handler & 0xffff;
	idt[v].sel = 0x08;
	idt[v].ist = ist;
	idt[v].type = 0x8e;
	idt[v].off1 = (handler >> 16) & 0xffff;
	idt[v].off2 = handler >> 32;
	idt[v].rsvd = 0;
}

/* Install all 256 gates and load the IDT. */
void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, isr_table[v], 0);
	set_gate(2, isr_table[2], IST_NMI);
	set_gate(8, isr_table[8], IST_DF);
	set_gate(18, isr_table[18], IST_MC);
	idt_ptr.limit = sizeof(idt) - 1;
	idt_ptr.base = (uint64_t)idt;
	idt_load();
}

void idt_load(void)
{
	__asm__ __volatile__("lidt %0" :: "m"(idt_ptr));
}

void irq_register_ipi(unsigned vec, const char *name, irq_handler_t fn)
{
	irq_table[vec].act[0] = (struct irq_action){ fn, NULL, name };
	irq_table[vec].nact = 1;
	irq_table[vec].gsi = -1;
	irq_table[vec].cpu = -1;
	irq_table[vec].used = true;
}

/* Allocate the next free vector for @fn, named @name; -1 when none are left. */
int irq_alloc_vector_named(const char *name, irq_handler_t fn, void *ctx)
{
	unsigned long f = local_irq_save();
	int v = -1;
	if (next_vector <= VEC_LAST_DEVICE) {
		v = next_vector++;
		irq_table[v].act[0] = (struct irq_action){ fn, ctx, name };
		irq_table[v].nact = 1;
		irq_table[v].gsi = -1;
		irq_table[v].cpu = -1;
		irq_table[v].used = true;
	}
	local_irq_restore(f);
	if (v < 0)
		pr_err("irq: out of interrupt vectors\n");
	return v;
}

int irq_alloc_vector(irq_handler_t fn, void *ctx)
{
	return irq_alloc_vector_named(NULL, fn, ctx);
}

void irq_free_vector(int vec)
{
	unsigned long f;

	if (vec < VEC_FIRST_IRQ || vec >= VEC_SPURIOUS || irq_table[vec].gsi >= 0)
		return;		/* IOAPIC lines may be shared: never taken back */
	f = local_irq_save();
	irq_table[vec].retarget = NULL;
	irq_table[vec].cpu = -1;
	irq_table[vec].act[0] = (struct irq_action){ NULL, NULL, "(freed)" };
	irq_table[vec].nact = 1;
	local_irq_restore(f);
}

/*
 * The vector already serving level-triggered @gsi with the same polarity
 * (PCI INTx lines are shared), or -1.
 */
static int irq_find_shared_gsi(unsigned gsi, bool level, bool active_low)
{
	for (unsigned v = VEC_FIRST_IRQ; v < next_vector; v++)
		if (irq_table[v].used && irq_table[v].gsi == (int)gsi)
			return level && irq_table[v].level && irq_table[v].active_low == active_low ?
			       (int)v : -2;
	return -1;
}

/* Route GSI @gsi to a new vector running @fn, or add @fn to the vector sharing it. */
int irq_register_gsi(unsigned gsi, bool level, bool active_low, const char *name,
		     irq_handler_t fn, void *ctx)
{
	int v;
	unsigned long f;

	if (!ioapic_has_gsi(gsi)) {
		pr_err("irq: no IOAPIC serves GSI %u (%s)\n", gsi, name ? name : "?");
		return -1;
	}
	f = local_irq_save();
	v = irq_find_shared_gsi(gsi, level, active_low);
	if (v >= 0 && irq_table[v].nact < IRQ_MAX_SHARED) {
		irq_table[v].act[irq_table[v].nact++] = (struct irq_action){ fn, ctx, name };
		local_irq_restore(f);
		return v;
	}
	local_irq_restore(f);
	if (v != -1) {
		pr_err("irq: GSI %u cannot take %s (%s)\n", gsi, name ? name : "?",
		       v == -2 ? "edge or other polarity already there" : "too many sharers");
		return -1;
	}
	v = irq_alloc_vector_named(name, fn, ctx);
	if (v < 0)
		return v;
	irq_table[v].gsi = (int)gsi;
	irq_table[v].level = level;
	irq_table[v].active_low = active_low;
	irq_table[v].cpu = 0;
	ioapic_route(gsi, (uint8_t)v, level, active_low);
	if (arch_cpu_id() != 0)		/* ioapic_route() names the calling CPU */
		ioapic_set_dest(gsi, percpu_area[0].apic_id);
	return v;
}

void irq_set_retarget(unsigned vec, irq_retarget_t fn, void *ctx, int cpu)
{
	unsigned long f = local_irq_save();

	irq_table[vec].retarget = fn;
	irq_table[vec].retarget_ctx = ctx;
	irq_table[vec].cpu = fn ? cpu : -1;
	local_irq_restore(f);
}

/* True if @vec can be sent elsewhere: an IOAPIC line, or a message with a retarget hook. */
static bool irq_routable(unsigned vec)
{
	return irq_table[vec].used && (irq_table[vec].gsi >= 0 || irq_table[vec].retarget);
}

int irq_set_affinity(unsigned vec, unsigned int cpu)
{
	uint32_t apic;

	if (vec >= 256 || !irq_routable(vec))
		return -EINVAL;		/* IPIs and messages without a hook: not routable */
	if (cpu >= NR_CPUS || percpu_area[cpu].state != CPU_ONLINE)
		return -ENXIO;
	apic = percpu_area[cpu].apic_id;
	if (irq_table[vec].gsi >= 0 ? ioapic_set_dest((unsigned)irq_table[vec].gsi, apic) != 0 :
	    irq_table[vec].retarget(irq_table[vec].retarget_ctx, apic) != 0)
		return -ERANGE;
	irq_table[vec].cpu = (int)cpu;
	return 0;
}

int irq_get_affinity(unsigned vec)
{
	return vec < 256 && irq_table[vec].used ? irq_table[vec].cpu : -1;
}

uint64_t irq_count_on(unsigned vec, unsigned int cpu)
{
	return vec < 256 && cpu < NR_CPUS ? irq_table[vec].count_on[cpu] : 0;
}

/* Spread the routable vectors (IOAPIC lines, MSI-X) round-robin over the online CPUs. */
void irq_balance(void)
{
	unsigned int cpu = 0;

	for (unsigned v = VEC_FIRST_IRQ; v <= VEC_LAST_DEVICE; v++) {
		if (!irq_routable(v))
			continue;
		do
			cpu = (cpu + 1) % NR_CPUS;
		while (percpu_area[cpu].state != CPU_ONLINE);
		irq_set_affinity(v, cpu);
	}
}

bool irq_get_info(unsigned vec, struct irq_info *out)
{
	if (vec >= 256 || !irq_table[vec].used)
		return false;
	out->nnames = irq_table[vec].nact;
	for (unsigned i = 0; i < irq_table[vec].nact; i++)
		out->names[i] = irq_table[vec].act[i].name ? irq_table[vec].act[i].name : "?";
	out->name = out->names[0];
	out->count = irq_table[vec].count;
	out->gsi = irq_table[vec].gsi;
	out->level = irq_table[vec].level;
	out->active_low = irq_table[vec].active_low;
	return true;
}

uint64_t irq_unhandled_count(void)
{
	return irq_unhandled;
}

/* Route ISA IRQ @isa_irq (after MADT overrides) to a new vector running @fn. */
int irq_register_isa(unsigned isa_irq, irq_handler_t fn, void *ctx)
{
	if (isa_irq >= 16)
		return -1;
	uint16_t fl = acpi.isa_flags[isa_irq];
	bool active_low = (fl & 3) == 3;
	bool level = ((fl >> 2) & 3) == 3;
	static const char *const names[16] = {
		"ISA 0", "ISA 1", "ISA 2", "ISA 3 (COM2)", "ISA 4 (COM1)", "ISA 5", "ISA 6",
		"ISA 7", "ISA 8", "ISA 9", "ISA 10", "ISA 11", "ISA 12", "ISA 13", "ISA 14", "ISA 15",
	};
	return irq_register_gsi(acpi.isa_gsi[isa_irq], level, active_low,
				names[isa_irq], fn, ctx);
}

/* ---------------- exception reports ---------------- */

/* Print the general registers of @r. */
void dump_regs(const struct regs *r)
{
	printk("  RIP %016lx  RSP %016lx  RFLAGS %016lx\n", r->rip, r->rsp, r->rflags);
	printk("  RAX %016lx  RBX %016lx  RCX %016lx\n", r->rax, r->rbx, r->rcx);
	printk("  RDX %016lx  RSI %016lx  RDI %016lx\n", r->rdx, r->rsi, r->rdi);
	printk("  RBP %016lx  R8  %016lx  R9  %016lx\n", r->rbp, r->r8, r->r9);
	printk("  R10 %016lx  R11 %016lx  R12 %016lx\n", r->r10, r->r11, r->r12);
	printk("  R13 %016lx  R14 %016lx  R15 %016lx\n", r->r13, r->r14, r->r15);
	printk("  CS %04lx SS %04lx  CR0 %08lx CR3 %08lx CR4 %08lx\n", r->cs, r->ss,
	       read_cr0(), read_cr3(), read_cr4());
}

/* Is [a, a+16) a plausible, mapped kernel stack address? */
static bool frame_readable(uint64_t a)
{
	if (a & 7)
		return false;
	if (a >= (uint64_t)_data_start && a + 16 <= (uint64_t)_bss_end)
		return true;
	if (a >= PAGE_OFFSET && a + 16 <= PAGE_OFFSET + direct_map_bytes)
		return true;
	return paging_stack_readable(a);	/* an AP's stack */
}

/* Print a symbolized backtrace starting at @rip, following frame pointers from @rbp. */
void backtrace_from(uint64_t rbp, uint64_t rip)
{
	uint64_t off;
	const char *name = symbolize(rip, &off);
	printk("  backtrace:\n    [<%016lx>] %s+0x%lx\n", rip, name, off);
	for (int depth = 0; depth < 32 && frame_readable(rbp); depth++) {
		uint64_t ret = ((uint64_t *)rbp)[1];
		uint64_t next = ((uint64_t *)rbp)[0];
		if (ret < (uint64_t)_text_start || ret >= (uint64_t)_text_end)
			break;
		name = symbolize(ret - 1, &off);
		printk("    [<%016lx>] %s+0x%lx\n", ret, name, off + 1);
		if (next <= rbp)
			break;
		rbp = next;
	}
}

/* Decode a page-fault error code into words. */
static void pf_decode(uint64_t e, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s %s%s%s",
		 (e & 1) ? "protection-violation" : "not-present",
		 (e & 2) ? "write" : "read",
		 (e & 4) ? "user" : "kernel",
		 (e & 8) ? " reserved-bit" : "",
		 (e & 16) ? " instruction-fetch" : "");
}

/* One exception report: what, where, registers, backtrace. */
static void exception_report(const struct regs *r, uint64_t cr2)
{
	uint64_t off;
	const char *sym = symbolize(r->rip, &off);
	printk("\n*** EXCEPTION %lu: %s, error code 0x%lx, on CPU %u\n",
	       r->vector, exc_names[r->vector & 31], r->error, arch_cpu_id());
	if (r->vector == 14) {
		char why[96];
		pf_decode(r->error, why, sizeof(why));
		printk("  CR2 %016lx (%s)\n", cr2, why);
		if (cr2 >= (uint64_t)boot_stack_guard && cr2 < (uint64_t)boot_stack_guard + PAGE_SIZE)
			printk("  the address is the boot stack's guard page: kernel stack overflow\n");
		else if (paging_is_stack_guard(cr2))
			printk("  the address is a CPU stack's guard page: stack overflow\n");
	}
	printk("  at %s+0x%lx\n", sym, off);
	dump_regs(r);
	backtrace_from(r->rbp, r->rip);
}

/* ---------------- fault catching for tests ---------------- */

static struct {
	bool active;
	jmp_buf jb;
	struct caught_fault f;
} catchers[NR_CPUS];

/* The running CPU's catcher: a fault on another CPU is not this test's. */
#define catcher (catchers[arch_cpu_id()])

/* Run fn(arg); if it raises a CPU exception, report it and return true. */
bool catch_fault(void (*fn)(void *), void *arg, struct caught_fault *out)
{
	unsigned long flags = local_irq_save();
	volatile bool faulted = false;
	local_irq_restore(flags);
	catcher.f = (struct caught_fault){ 0 };
	if (setjmp(catcher.jb) == 0) {
		catcher.active = true;
		fn(arg);
		catcher.active = false;
	} else {
		faulted = true;
		local_irq_restore(flags);
	}
	if (out)
		*out = catcher.f;
	return faulted;
}

/* Handle CPU exception @r: catch it for a test, or report and stop. */
static void exception(struct regs *r)
{
	uint64_t cr2 = read_cr2();
	if (catcher.active && r->vector != 2 && r->vector != 8 && r->vector != 18) {
		catcher.active = false;
		catcher.f = (struct caught_fault){ r->vector, r->error, cr2, r->rip };
		printk("(caught for a test)");
		exception_report(r, cr2);
		longjmp(catcher.jb, 1);
	}
	exception_report(r, cr2);
	kernel_fatal("unhandled CPU exception");
}

/* C entry from isr_common for every vector. */
void interrupt_dispatch(struct regs *r)
{
	unsigned v = r->vector;
	if (v < 32) {
		if (v == 2 && smp_stop_nmi(r))
			return;
		exception(r);
		return;
	}
	if (v == VEC_SPURIOUS)
		return;
	__atomic_fetch_add(&irq_table[v].count, 1, __ATOMIC_RELAXED);
	irq_table[v].count_on[arch_cpu_id()]++;
	this_cpu()->irq_count++;
	hardirq_depth[arch_cpu_id()]++;		/* in_hardirq() for the lock checker */
	if (irq_table[v].nact && irq_table[v].act[0].fn) {
		for (unsigned i = 0; i < irq_table[v].nact; i++)	/* a shared line: ask each */
			irq_table[v].act[i].fn(r, irq_table[v].act[i].ctx);
	} else {
		irq_unhandled++;	/* nobody registered it: count, acknowledge, ignore */
	}
	hardirq_depth[arch_cpu_id()]--;
	apic_eoi();
}
