/*
 * test_tsc.c - TSC calibration (arch/x86_64/tsc.c, compiled in) against a
 * simulated PIT and TSC.
 *
 * The simulation keeps one virtual clock in nanoseconds. Every port access
 * costs 300-900 ns (pseudo-random), every TSC read 20 ns; the TSC is the
 * clock times the true rate; PIT channel 0 counts down from 65536 at
 * 1.193182 MHz from the moment its count is written, as QEMU computes it
 * (floor of the elapsed ticks), and a latch command freezes the count for
 * the two data reads. A "deschedule" moves the clock forward by a given
 * time when it passes a given instant, as a host that stops the vCPU
 * thread does. CPUID answers from a table the test sets.
 *
 * What is checked: the rate within 150 ppm of the truth at three rates
 * (the kernel measures 5-60 ppm against the host under TCG, the old single
 * 50 ms window 1500-3000 ppm), a deschedule that hides a PIT wrap thrown
 * away (in a boot window and in the tests' 50 ms window), a long one that
 * does not hide a wrap kept, a reported rate (CPUID 0x15, hypervisor leaf
 * 0x40000010) used without touching the PIT, and no PIT answered as such.
 */
#include "htest.h"
#include <arch/cpu.h>
#include <arch/io.h>
#include <string.h>

static uint64_t sim_cycles(void);
#define arch_cycles sim_cycles
#include "../../arch/x86_64/tsc.c"
#undef arch_cycles

struct cpu_features cpu_features;
uint64_t tsc_khz;
const char *tsc_calibration_source = "none";

uint8_t (*host_inb_hook)(uint16_t port);
void (*host_outb_hook)(uint16_t port, uint8_t v);
void (*host_cpuid_hook)(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			uint32_t *c, uint32_t *d);

static struct {
	double ns;			/* the virtual clock */
	double tsc_hz;			/* the true TSC rate */
	double pit_load_ns;		/* when channel 0's count was written */
	bool pit_present;
	uint16_t latch;
	int latch_bytes;		/* data reads left of the latched count */
	int count_bytes;		/* count bytes written since the mode command */
	unsigned long port_accesses;
	double desched_at[4], desched_len[4];
	bool desched_on_tsc;		/* deschedules strike at TSC reads, else in port accesses */
	uint64_t rng;
	/* CPUID */
	uint32_t max_basic, l15_a, l15_b, l15_c, hv_max, hv_khz;
} sim;

/*
 * Advance the clock by @ns, taking any deschedule whose instant it passes
 * if this is where it strikes: at a TSC read (@tsc: between two PIT reads,
 * or just before one's closing TSC read) or inside a port access.
 */
static void sim_advance(double ns, bool tsc)
{
	sim.ns += ns;
	for (int i = 0; i < 4; i++)
		if (sim.desched_len[i] > 0 && sim.ns >= sim.desched_at[i] && tsc == sim.desched_on_tsc) {
			sim.ns += sim.desched_len[i];
			sim.desched_len[i] = 0;
		}
}

static uint64_t sim_cycles(void)
{
	sim_advance(20, true);
	return (uint64_t)(sim.ns * sim.tsc_hz / 1e9);
}

/* One port access's cost: 300-900 ns. */
static void sim_port_cost(void)
{
	sim.rng = sim.rng * 6364136223846793005ULL + 1442695040888963407ULL;
	sim_advance(300 + (double)((sim.rng >> 33) % 600), false);
	sim.port_accesses++;
}

static uint16_t pit_count_now(void)
{
	uint64_t ticks = (uint64_t)((sim.ns - sim.pit_load_ns) * 1193182.0 / 1e9);	/* floor */
	uint32_t c = 65536 - (uint32_t)(ticks % 65536);

	return (uint16_t)c;	/* 65536 reads as 0 */
}

static void sim_outb(uint16_t port, uint8_t v)
{
	sim_port_cost();
	if (port == 0x43 && v == 0x00) {		/* latch channel 0 */
		sim.latch = sim.pit_present ? pit_count_now() : 0xffff;
		sim.latch_bytes = 2;
	} else if (port == 0x43) {			/* mode command */
		sim.count_bytes = 0;
	} else if (port == 0x40 && ++sim.count_bytes == 2) {
		sim.pit_load_ns = sim.ns;		/* counting starts now */
	}
}

static uint8_t sim_inb(uint16_t port)
{
	sim_port_cost();
	if (port != 0x40 || !sim.pit_present)
		return 0xff;
	if (sim.latch_bytes == 2) {
		sim.latch_bytes = 1;
		return (uint8_t)sim.latch;
	}
	sim.latch_bytes = 0;
	return (uint8_t)(sim.latch >> 8);
}

static void sim_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	*a = *b = *c = *d = 0;
	if (leaf == 0)
		*a = sim.max_basic;
	else if (leaf == 0x15 && leaf <= sim.max_basic)
		*a = sim.l15_a, *b = sim.l15_b, *c = sim.l15_c;
	else if (leaf == 0x40000000)
		*a = sim.hv_max;
	else if (leaf == 0x40000010 && leaf <= sim.hv_max)
		*a = sim.hv_khz;
}

/* A fresh machine whose TSC runs at @hz, with a PIT, no frequency in CPUID. */
static void sim_reset(double hz)
{
	memset(&sim, 0, sizeof(sim));
	sim.tsc_hz = hz;
	sim.pit_present = true;
	sim.ns = 5e6;
	sim.rng = htest_seed() | 1;
	sim.max_basic = 0xd;			/* what QEMU 7.2's TCG CPU reports */
	sim.hv_max = 0x40000001;
	memset(&cpu_features, 0, sizeof(cpu_features));
	cpu_features.hypervisor = true;
	memset(&tsc_calibration_info, 0, sizeof(tsc_calibration_info));
	tsc_khz = 0;
	tsc_calibration_source = "none";
	host_inb_hook = sim_inb;
	host_outb_hook = sim_outb;
	host_cpuid_hook = sim_cpuid;
}

static double fabs_(double x) { return x < 0 ? -x : x; }
#define fabs fabs_

/* tsc_khz's error against the truth in ppm. */
static double err_ppm(uint64_t khz)
{
	return ((double)khz * 1000.0 - sim.tsc_hz) / sim.tsc_hz * 1e6;
}

/* Expect the fitted windows within 150 ppm of the true rate at 1.0, 2.44542 and 3.7 GHz. */
TEST(tsc_pit_fit_is_accurate)
{
	const double rates[] = { 1.0e9, 2.44542e9, 3.700123e9 };

	for (unsigned int i = 0; i < 3; i++) {
		sim_reset(rates[i]);
		tsc_calibrate();
		printf("# %.6f GHz: %lu kHz, %+.1f ppm, %u windows, %u reads fitted\n", rates[i] / 1e9,
		       (unsigned long)tsc_khz, err_ppm(tsc_khz), tsc_calibration_info.windows,
		       tsc_calibration_info.samples);
		EXPECT(!strcmp(tsc_calibration_source, "PIT"));
		EXPECT_EQ(tsc_calibration_info.windows, TSC_WINDOWS);
		EXPECT_EQ(tsc_calibration_info.rejected, 0);
		EXPECT(fabs(err_ppm(tsc_khz)) <= 150);
	}
}

/*
 * Expect a 60 ms deschedule between two reads of the first boot window
 * (it hides a PIT wrap: the PIT shows 55 ms fewer than passed) to throw
 * that window away and the result to stay accurate.
 */
TEST(tsc_lost_wrap_thrown_away)
{
	sim_reset(2.44542e9);
	sim.desched_at[0] = sim.ns + 500e3;	/* 0.5 ms in */
	sim.desched_len[0] = 60e6;
	sim.desched_on_tsc = true;
	tsc_calibrate();
	printf("# %lu kHz, %+.1f ppm, %u thrown away (%u for a gap)\n", (unsigned long)tsc_khz,
	       err_ppm(tsc_khz), tsc_calibration_info.rejected, tsc_calibration_info.lost_wrap);
	EXPECT(tsc_calibration_info.lost_wrap >= 1);
	EXPECT_EQ(tsc_calibration_info.windows, TSC_WINDOWS);
	EXPECT(fabs(err_ppm(tsc_khz)) <= 150);
}

/*
 * Expect a 60 ms deschedule inside a PIT read (the read's TSC bracket
 * holds it) to cost nothing: that read is left out of the fit, and the
 * result stays accurate whether or not the window is thrown away.
 */
TEST(tsc_lost_wrap_inside_a_read)
{
	sim_reset(2.44542e9);
	sim.desched_at[0] = sim.ns + 500e3;
	sim.desched_len[0] = 60e6;
	tsc_calibrate();
	EXPECT_EQ(tsc_calibration_info.windows, TSC_WINDOWS);
	EXPECT(fabs(err_ppm(tsc_khz)) <= 150);
}

/* Expect a 20 ms deschedule (no wrap lost) to be kept: both clocks ran on. */
TEST(tsc_long_gap_without_wrap_kept)
{
	sim_reset(2.44542e9);
	sim.desched_at[0] = sim.ns + 500e3;
	sim.desched_len[0] = 20e6;
	sim.desched_on_tsc = true;
	tsc_calibrate();
	EXPECT_EQ(tsc_calibration_info.lost_wrap, 0);
	EXPECT_EQ(tsc_calibration_info.rejected, 0);
	EXPECT(fabs(err_ppm(tsc_khz)) <= 150);
}

/*
 * Expect the tests' 50 ms measurement to throw away a window with a 70 ms
 * deschedule (a lost wrap the old 4x-the-window test could not see) and
 * to measure again accurately.
 */
TEST(tsc_again_lost_wrap_in_long_window)
{
	uint64_t khz;

	sim_reset(2.44542e9);
	sim.desched_at[0] = sim.ns + 10e6;
	sim.desched_len[0] = 70e6;
	sim.desched_on_tsc = true;
	khz = tsc_measure_khz_again();
	printf("# again: %lu kHz, %+.1f ppm, %u for a gap\n", (unsigned long)khz, err_ppm(khz),
	       tsc_calibration_info.lost_wrap);
	EXPECT(tsc_calibration_info.lost_wrap >= 1);
	EXPECT(fabs(err_ppm(khz)) <= 50);
}

/* Expect a hypervisor-reported rate (leaf 0x40000010) used as is, the PIT untouched. */
TEST(tsc_hypervisor_rate_used)
{
	sim_reset(2.44542e9);
	sim.hv_max = 0x40000010;
	sim.hv_khz = 2445420;
	tsc_calibrate();
	EXPECT_EQ(tsc_khz, 2445420);
	EXPECT(!strcmp(tsc_calibration_source, "hypervisor CPUID 0x40000010"));
	EXPECT_EQ(sim.port_accesses, 0);
}

/* Expect CPUID 0x15 (crystal 25 MHz x 196/2) used first, the PIT untouched. */
TEST(tsc_cpuid15_rate_used)
{
	sim_reset(2.45e9);
	sim.max_basic = 0x16;
	sim.l15_a = 2;
	sim.l15_b = 196;
	sim.l15_c = 25000000;
	tsc_calibrate();
	EXPECT_EQ(tsc_khz, 2450000);
	EXPECT(!strcmp(tsc_calibration_source, "CPUID 0x15"));
	EXPECT_EQ(sim.port_accesses, 0);
}

/* Expect no PIT (the port reads 0xff) to be answered by 0 from the tests' measurement. */
TEST(tsc_no_pit)
{
	sim_reset(2.44542e9);
	sim.pit_present = false;
	EXPECT_EQ(tsc_measure_khz_again(), 0);
}
