/*
 * apic.c - interrupt controllers and time.
 *
 * The legacy 8259 PICs are remapped out of the exception range and masked.
 * The local APIC runs in x2APIC mode when the CPU offers it (MSR access),
 * otherwise in xAPIC mode through an uncached mapping. Every IOAPIC of the
 * MADT is used (microvm has a second one for GSIs 24-47); each serves a
 * GSI range and routes it to a vector on one CPU (the boot CPU unless
 * irq_set_affinity() moved it). Every AP enables its local APIC in the boot
 * CPU's mode (lapic_init_ap).
 *
 * IPIs go through the interrupt command register: in xAPIC mode two 32-bit
 * MMIO writes (destination in ICR high bits 24-31, then the low word that
 * sends), with interrupts off so nothing on this CPU sends in between, and
 * the delivery-status bit polled (bounded) before the next; in x2APIC mode
 * one 64-bit WRMSR to 0x830 (destination in bits 32-63). Low-word fields:
 * vector 0-7, delivery mode 8-10 (fixed 0, NMI 4, INIT 5, start-up 6),
 * level-assert 14, shorthand 18-19 (unused: Ballast names every target).
 *
 * Time: the TSC is the clock (tsc.c calibrates it: the frequency the CPU
 * or the hypervisor reports, else the PIT). The local APIC timer, calibrated
 * against the TSC over 1 ms, ticks periodically on every CPU to wake its work loop for delayed
 * work; all CPUs share one bus clock, so the APs reuse the boot CPU's count.
 */
#include <mm/shrinker.h>
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/cpu.h>
#include <kernel/printk.h>
#include <kernel/kernel.h>
#include <kernel/bug.h>

#define LAPIC_ID     0x20
#define LAPIC_TPR    0x80
#define LAPIC_EOI    0xb0
#define LAPIC_SVR    0xf0
#define LAPIC_LVT_T  0x320
#define LAPIC_TICR   0x380
#define LAPIC_TCCR   0x390
#define LAPIC_TDCR   0x3e0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define ICR_BUSY     (1u << 12)
#define ICR_ASSERT   (1u << 14)
#define ICR_FIXED    (0u << 8)
#define ICR_NMI      (4u << 8)
#define ICR_INIT     (5u << 8)
#define ICR_STARTUP  (6u << 8)
#define ICR_ALLBUTSELF (3u << 18)

static volatile uint8_t *lapic_mmio;
static bool use_x2apic;

/* One IOAPIC: its registers and the GSIs [gsi_base, gsi_base + nr_pins) it serves. */
struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base;
	unsigned nr_pins;
};
static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned nr_ioapics;

uint64_t tsc_khz;
const char *tsc_calibration_source = "none";
unsigned timer_hz;
static volatile uint64_t tick_count;
static int timer_vector = -1;
static uint32_t timer_initial_count;

static uint32_t lapic_read(unsigned reg)
{
	if (use_x2apic)
		return (uint32_t)rdmsr(0x800 + (reg >> 4));
	return mmio_read32(lapic_mmio + reg);
}

static void lapic_write(unsigned reg, uint32_t v)
{
	if (use_x2apic)
		wrmsr(0x800 + (reg >> 4), v);
	else
		mmio_write32(lapic_mmio + reg, v);
}

void apic_eoi(void) { lapic_write(LAPIC_EOI, 0); }

bool apic_x2apic_mode(void) { return use_x2apic; }

/* Send ICR low word @lo to local APIC @apic_id; waits (bounded) for delivery in xAPIC mode. */
static void apic_icr_send(uint32_t apic_id, uint32_t lo)
{
	unsigned long f = local_irq_save();

	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* what the IPI announces is visible first */
	if (use_x2apic) {
		wrmsr(0x830, ((uint64_t)apic_id << 32) | lo);
	} else {
		for (int i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LO) & ICR_BUSY); i++)
			cpu_relax();
		lapic_write(LAPIC_ICR_HI, apic_id << 24);
		lapic_write(LAPIC_ICR_LO, lo);
		for (int i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LO) & ICR_BUSY); i++)
			cpu_relax();
	}
	local_irq_restore(f);
}

void apic_send_ipi(uint32_t apic_id, uint8_t vector) { apic_icr_send(apic_id, ICR_FIXED | vector); }
/* One ICR write for every other CPU (destination shorthand "all excluding self"). */
void apic_send_ipi_allbutself(uint8_t vector) { apic_icr_send(0, ICR_ALLBUTSELF | ICR_FIXED | vector); }
void apic_send_nmi(uint32_t apic_id) { apic_icr_send(apic_id, ICR_NMI | ICR_ASSERT); }
void apic_send_init(uint32_t apic_id) { apic_icr_send(apic_id, ICR_INIT | ICR_ASSERT); }
void apic_send_sipi(uint32_t apic_id, uint8_t page) { apic_icr_send(apic_id, ICR_STARTUP | page); }

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);
	return use_x2apic ? id : id >> 24;
}

static uint32_t ioapic_read(struct ioapic *io, unsigned reg)
{
	io->regs[0] = reg;
	return io->regs[4];
}

static void ioapic_write(struct ioapic *io, unsigned reg, uint32_t v)
{
	io->regs[0] = reg;
	io->regs[4] = v;
}

/* The IOAPIC serving @gsi (its pin in *pin), or NULL. */
static struct ioapic *ioapic_for_gsi(unsigned gsi, unsigned *pin)
{
	for (unsigned i = 0; i < nr_ioapics; i++) {
		struct ioapic *io = &ioapics[i];

		if (gsi >= io->gsi_base && gsi - io->gsi_base < io->nr_pins) {
			*pin = gsi - io->gsi_base;
			return io;
		}
	}
	return NULL;
}

bool ioapic_has_gsi(unsigned gsi)
{
	unsigned pin;

	return ioapic_for_gsi(gsi, &pin) != NULL;
}

/* Send GSI @gsi to @vector on this CPU, with the given trigger and polarity. */
int ioapic_route(unsigned gsi, uint8_t vector, bool level, bool active_low)
{
	unsigned pin;
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);

	if (!io) {
		pr_err("ioapic: no IOAPIC serves GSI %u\n", gsi);
		return -1;
	}
	uint32_t lo = vector | (active_low ? 1u << 13 : 0) | (level ? 1u << 15 : 0);
	ioapic_write(io, 0x10 + 2 * pin + 1, lapic_id() << 24);
	ioapic_write(io, 0x10 + 2 * pin, lo);
	return 0;
}

/* Point @gsi's redirection entry at local APIC @apic_id (physical mode, 8-bit id). */
int ioapic_set_dest(unsigned gsi, uint32_t apic_id)
{
	unsigned pin;
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);

	if (!io || apic_id > 0xff)
		return -1;	/* no remapping: an IOAPIC reaches 8-bit APIC ids only */
	ioapic_write(io, 0x10 + 2 * pin + 1, apic_id << 24);
	return 0;
}

void ioapic_mask(unsigned gsi, bool masked)
{
	unsigned pin;
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);

	if (!io)
		return;
	uint32_t lo = ioapic_read(io, 0x10 + 2 * pin);
	ioapic_write(io, 0x10 + 2 * pin, masked ? lo | (1u << 16) : lo & ~(1u << 16));
}

void apic_self_ipi(uint8_t vec)
{
	if (use_x2apic) {
		wrmsr(0x83f, vec);			/* SELF IPI register */
		return;
	}
	for (int i = 0; i < 100000 && (lapic_read(0x300) & (1u << 12)); i++)
		cpu_relax();			/* previous IPI still pending (bounded) */
	lapic_write(0x300, (1u << 18) | vec);	/* shorthand: self, fixed */
}

/* Remap both 8259s to vectors 0x20-0x2f and mask every line. */
static void pic_disable(void)
{
	outb(0x20, 0x11); outb(0xa0, 0x11);
	outb(0x21, 0x20); outb(0xa1, 0x28);
	outb(0x21, 0x04); outb(0xa1, 0x02);
	outb(0x21, 0x01); outb(0xa1, 0x01);
	outb(0x21, 0xff); outb(0xa1, 0xff);
}

/* Enable this CPU's local APIC (x2APIC mode if use_x2apic), accepting every priority. */
static void lapic_enable(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	base |= 1ULL << 11;
	if (use_x2apic)
		base |= 1ULL << 10;
	wrmsr(MSR_APIC_BASE, base);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x1ff);          /* enabled, spurious vector 0xff */
}

/* Bring up the local APIC and the IOAPIC (all pins masked). */
void apic_init(void)
{
	pic_disable();
	use_x2apic = cpu_features.x2apic;
	if (!use_x2apic)
		lapic_mmio = ioremap(acpi.lapic_phys, 4096);
	lapic_enable();

	for (unsigned k = 0; k < acpi.nioapics; k++) {
		struct ioapic *io = &ioapics[nr_ioapics++];

		io->regs = ioremap(acpi.ioapics[k].phys, 4096);
		io->gsi_base = acpi.ioapics[k].gsi_base;
		io->nr_pins = ((ioapic_read(io, 1) >> 16) & 0xff) + 1;
		for (unsigned i = 0; i < io->nr_pins; i++)
			ioapic_write(io, 0x10 + 2 * i, 1u << 16);
	}
}

unsigned ioapic_describe(unsigned i, uint64_t *phys, uint32_t *gsi_base)
{
	if (i >= nr_ioapics)
		return 0;
	*phys = acpi.ioapics[i].phys;
	*gsi_base = ioapics[i].gsi_base;
	return ioapics[i].nr_pins;
}

uint64_t tsc_hz(void) { return tsc_khz * 1000; }

uint64_t uptime_ns(void)
{
	return (arch_cycles() - boot_tsc_start) * 1000000 / tsc_khz;
}

void udelay(uint64_t us)
{
	uint64_t end = arch_cycles() + us * tsc_khz / 1000;
	while (arch_cycles() < end)
		cpu_relax();
}

uint64_t ticks(void) { return tick_count; }

/* Timer tick: counted per CPU; the boot CPU's ticks are ticks(). */
static void timer_irq(struct regs *r, void *ctx)
{
	this_cpu()->ticks++;
	if (arch_cpu_id() == 0) {
		tick_count++;
		shrinker_watchdog(uptime_ns());	/* a shrinker scan that does not return */
	}
}

/* This AP: its local APIC on in the boot CPU's mode, no timer yet (IPIs can wake it). */
void lapic_enable_ap(void)
{
	lapic_enable();
}

/* This AP: its local APIC in the boot CPU's mode, its timer at timer_hz. */
void lapic_init_ap(void)
{
	lapic_enable();
	if (timer_vector < 0)
		return;
	lapic_write(LAPIC_TDCR, 0x3);
	lapic_write(LAPIC_LVT_T, (uint32_t)timer_vector | (1u << 17));   /* periodic */
	lapic_write(LAPIC_TICR, timer_initial_count);
}

/*
 * One reading of the LAPIC timer's current count between two TSC reads:
 * the narrowest of up to 8 tries (an interrupt or a host hiccup inside a
 * read makes it wide). *@tsc gets the midpoint, *@width the bracket.
 */
static uint32_t lapic_count_read(uint64_t *tsc, uint64_t *width)
{
	uint32_t best = 0;

	*width = ~0ULL;
	for (int i = 0; i < 8; i++) {
		uint64_t a = arch_cycles();
		uint32_t c = lapic_read(LAPIC_TCCR);
		uint64_t b = arch_cycles();

		if (b - a < *width) {
			*width = b - a;
			*tsc = a + (b - a) / 2;
			best = c;
		}
		if (*width <= tsc_khz / 1000)	/* within 1 us: good enough */
			break;
	}
	return best;
}

/*
 * Local APIC timer counts per 10 ms, measured against the TSC over 1 ms:
 * each count read sits between two TSC reads (the narrowest of a few is
 * kept), so the error is the brackets' width over the window, well under
 * 1% even under TCG. The counter runs at the bus clock / 16 (62.5 MHz
 * under QEMU), so 1 ms holds tens of thousands of counts.
 */
static uint32_t lapic_timer_per_10ms(void)
{
	uint64_t t0, t1, w0, w1, per_10ms;
	uint32_t c0, c1;

	lapic_write(LAPIC_TICR, 0xffffffff);
	c0 = lapic_count_read(&t0, &w0);
	while (arch_cycles() - t0 < tsc_khz)	/* 1 ms */
		cpu_relax();
	c1 = lapic_count_read(&t1, &w1);
	lapic_write(LAPIC_TICR, 0);
	per_10ms = t1 > t0 ? (uint64_t)(c0 - c1) * tsc_khz * 10 / (t1 - t0) : 0;
	return (uint32_t)MIN(per_10ms, 0xffffffffULL);
}

/* Start the local APIC timer in periodic mode at @hz. */
void timer_init(unsigned hz)
{
	int vec = irq_alloc_vector_named("LAPIC timer", timer_irq, NULL);
	if (vec < 0)
		panic("timer: no vector");
	lapic_write(LAPIC_TDCR, 0x3);           /* divide by 16 */
	lapic_write(LAPIC_LVT_T, 1u << 16);     /* masked while measuring */
	uint32_t per_10ms = lapic_timer_per_10ms();
	if (per_10ms == 0)
		panic("timer: the local APIC timer does not count");
	timer_hz = hz;
	timer_vector = vec;
	timer_initial_count = (uint32_t)((uint64_t)per_10ms * 100 / hz);
	lapic_write(LAPIC_LVT_T, (uint32_t)vec | (1u << 17));   /* periodic */
	lapic_write(LAPIC_TICR, timer_initial_count);
}
