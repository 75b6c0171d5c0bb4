/*
 * tsc.c - how fast the TSC runs: tsc_calibrate() at boot, and a slow
 * independent measurement for the tests (tsc_measure_khz_again).
 *
 * A frequency the CPU or the hypervisor reports wins, because it costs
 * nothing: CPUID 0x15 (TSC/crystal ratio times the crystal's Hz, Intel
 * since Skylake) or the hypervisor leaf 0x40000010 (EAX = TSC kHz; KVM
 * guests of QEMU with invtsc and a known tsc-frequency, VMware). QEMU 7.2
 * under TCG reports neither on microvm, q35 or pc (its TCG CPUs stop at
 * leaf 0xd and their hypervisor leaves at 0x40000001, whatever -cpu says
 * about invtsc or tsc-frequency: the TCG TSC is the host's TSC), so there
 * the PIT is the reference.
 *
 * Measuring against the PIT (channel 0, 1.193182 MHz, free running in
 * mode 2 and read through latched reads) used to take one 50 ms window.
 * Its error comes from three places, and each has a cheaper cure than a
 * long window:
 *  - the PIT count is an integer: +-1 tick (0.84 us) at each end. A
 *    least-squares line through every (PIT ticks, TSC) pair of the window
 *    averages that quantisation over hundreds of reads instead of two;
 *  - the time a read takes (three port accesses, microseconds under
 *    TCG): each read is bracketed by two TSC reads and its TSC stamp is
 *    their midpoint; reads whose bracket is more than twice the narrowest
 *    (an interrupt, a host hiccup inside the read) are left out of the fit;
 *  - the host descheduling the vCPU: between reads it does no harm (both
 *    clocks run on, the points stay on the line), but for longer than a
 *    PIT wrap (55 ms) it loses whole wraps. A window whose longest gap
 *    between reads is large and ran the TSC more than 1.5 times faster
 *    per PIT tick than the rest of the window (a lost wrap makes it 55
 *    times in a 1 ms window) is thrown away and taken again;
 *    so is an implausible rate (the retry issue 11 added after 1 boot in
 *    22 panicked on a loaded host).
 * Boot takes TSC_WINDOWS windows of TSC_WINDOW_US each and keeps the
 * median, so one odd window cannot move the result. docs/boot.md gives
 * the error measured against the host's clock.
 */
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/cpu.h>
#include <kernel/printk.h>
#include <kernel/kernel.h>
#include <kernel/bug.h>
#include <errno.h>

#define PIT_HZ			1193182
#define TSC_WINDOW_US		1000	/* one boot window */
#define TSC_WINDOWS		3	/* boot keeps their median */
#define TSC_AGAIN_US		50000	/* the tests' independent measurement */
#define TSC_PIT_TRIES		8	/* windows thrown away before giving up */
#define TSC_MAX_SAMPLES		2048
#define TSC_KHZ_MIN		100000
#define TSC_KHZ_MAX		20000000

/* One read of the PIT: its ticks since the window began, the TSC around it. */
struct pit_sample {
	uint64_t tsc;		/* midpoint of the two TSC reads around the PIT read */
	uint32_t ticks;		/* PIT ticks since the first sample */
	uint32_t width;		/* TSC cycles the read took */
};

static struct pit_sample pit_samples[TSC_MAX_SAMPLES];
struct tsc_calibration_info tsc_calibration_info;

/* Latch and read PIT channel 0's current count. */
static uint16_t pit_read_ch0(void)
{
	outb(0x43, 0x00);
	uint8_t lo = inb(0x40);
	uint8_t hi = inb(0x40);
	return (uint16_t)(lo | (hi << 8));
}

/* Set channel 0 free running over its full 65536 count (mode 2; its IRQ stays masked). */
static void pit_start(void)
{
	outb(0x43, 0x34);
	outb(0x40, 0);
	outb(0x40, 0);
}

/*
 * Read the PIT and the TSC for @want ticks into pit_samples (every
 * stride-th read once the array is full). Returns the samples stored, 0
 * if the PIT does not count; *@max_gap gets the longest TSC gap between
 * two consecutive reads and *@gap_ticks the PIT ticks seen across it.
 */
static unsigned int pit_sample_window(uint32_t want, uint64_t *max_gap, uint32_t *gap_ticks)
{
	unsigned int n = 0, stride = 1, reads = 0;
	uint16_t prev = pit_read_ch0();
	uint32_t ticks = 0;
	uint64_t spins = 0, last = 0;

	/* start on a count change, so the first sample sits at a tick edge */
	while (pit_read_ch0() == prev)
		if (++spins > 1000000)
			return 0;
	prev = pit_read_ch0();
	*max_gap = 0;
	*gap_ticks = 0;
	for (spins = 0; ticks < want; spins++) {
		uint64_t a = arch_cycles();
		uint16_t now = pit_read_ch0();
		uint64_t b = arch_cycles();

		if (spins > 100000000)
			return 0;
		uint16_t step = (uint16_t)(prev - now);	/* counts down, wraps at 0 */

		ticks += step;
		prev = now;
		if (last && a - last > *max_gap) {
			*max_gap = a - last;
			*gap_ticks = step;
		}
		last = a;
		if (reads++ % stride)
			continue;
		if (n == TSC_MAX_SAMPLES) {		/* keep every other one, halve the rate */
			for (unsigned int i = 0; i < n / 2; i++)
				pit_samples[i] = pit_samples[2 * i];
			n /= 2;
			stride *= 2;
		}
		pit_samples[n++] = (struct pit_sample){ a + (b - a) / 2, ticks, (uint32_t)MIN(b - a, 0xffffffffULL) };
	}
	return n;
}

/*
 * The slope of the least-squares line through the samples whose read took
 * at most twice the fastest one's, in TSC kHz; 0 if fewer than 8 qualify.
 */
static uint64_t pit_fit_khz(unsigned int n, unsigned int *used)
{
	uint32_t minw = 0xffffffff;
	__int128 sx = 0, sy = 0, sxx = 0, sxy = 0, num, den;
	uint64_t base = pit_samples[0].tsc;
	unsigned int k = 0;

	for (unsigned int i = 0; i < n; i++)
		minw = MIN(minw, pit_samples[i].width);
	for (unsigned int i = 0; i < n; i++) {
		__int128 x = pit_samples[i].ticks, y = (__int128)(pit_samples[i].tsc - base);

		if (pit_samples[i].width > 2 * minw + 2)
			continue;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
		k++;
	}
	*used = k;
	if (k < 8)
		return 0;
	num = k * sxy - sx * sy;	/* cycles per tick = num / den */
	den = k * sxx - sx * sx;
	if (den <= 0 || num <= 0)
		return 0;
	return (uint64_t)((num * PIT_HZ + den * 500) / (den * 1000));
}

/*
 * One window of @us microseconds: *@khz gets the TSC kHz, or 0 for a
 * broken window (a lost wrap, too few reads). -ENODEV if the PIT does not count.
 */
static int pit_measure_window(uint32_t us, uint64_t *khz, unsigned int *used)
{
	uint64_t gap, span;
	uint32_t gap_ticks, want = (uint32_t)((uint64_t)PIT_HZ * us / 1000000);
	unsigned int n = pit_sample_window(want, &gap, &gap_ticks);

	*used = 0;
	*khz = 0;
	if (n == 0)
		return -ENODEV;
	if (n < 2)
		return 0;
	span = pit_samples[n - 1].tsc - pit_samples[0].tsc;
	/*
	 * A gap between two reads is harmless unless it hid a PIT wrap: then
	 * the TSC ran on for 65536 more ticks than the PIT shows, and the
	 * gap's own rate (TSC cycles per PIT tick across it) is far above the
	 * rest of the window's. Only a gap of more than an eighth of the
	 * window can hide one (a wrap is 55 ms), and its tick count is large
	 * enough that quantisation does not matter: such a gap whose rate is
	 * more than 1.5 times the rest's is thrown away (a lost wrap makes it
	 * 55 times in a 1 ms window, and still twice or more in the tests' 50
	 * ms one unless the gap itself is over 105 ms).
	 */
	if (gap > span / 8) {
		uint64_t total = pit_samples[n - 1].ticks;
		uint64_t rest_ticks = total > gap_ticks ? total - gap_ticks : 0;
		uint64_t rest = span > gap ? span - gap : 0;

		if (!rest_ticks || (unsigned __int128)gap * rest_ticks * 2 >
				   (unsigned __int128)rest * (gap_ticks + 2) * 3) {
			tsc_calibration_info.lost_wrap++;
			return 0;
		}
	}
	*khz = pit_fit_khz(n, used);
	return 0;
}

/* TSC kHz from CPUID leaf 0x15 or the hypervisor leaf 0x40000010; 0 if neither reports one. */
static uint64_t cpuid_tsc_khz(const char **src)
{
	uint32_t a, b, c, d;

	cpuid(0, 0, &a, &b, &c, &d);
	tsc_calibration_info.cpuid_max = a;
	if (a >= 0x15) {
		cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c) {
			*src = "CPUID 0x15";
			return (uint64_t)c * b / a / 1000;
		}
	}
	if (cpu_features.hypervisor) {
		cpuid(0x40000000, 0, &a, &b, &c, &d);
		tsc_calibration_info.hv_max = a;
		if (a >= 0x40000010 && a < 0x40000100) {
			cpuid(0x40000010, 0, &a, &b, &c, &d);
			if (a) {
				*src = "hypervisor CPUID 0x40000010";
				return a;
			}
		}
	}
	return 0;
}

/* Measure the TSC against 50 ms of the PIT (tests); 0 if there is no PIT. */
uint64_t tsc_measure_khz_again(void)
{
	unsigned int used;
	uint64_t khz;

	pit_start();
	for (int i = 0; i < TSC_PIT_TRIES; i++) {
		if (pit_measure_window(TSC_AGAIN_US, &khz, &used))
			return 0;
		if (khz >= TSC_KHZ_MIN && khz <= TSC_KHZ_MAX)
			return khz;
	}
	return 0;
}

/* Sort @n values (insertion sort: n is TSC_WINDOWS). */
static void sort_u64(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

/*
 * Find the TSC rate: a reported one, else the median of TSC_WINDOWS PIT
 * windows (an implausible or broken window is taken again, up to
 * TSC_PIT_TRIES times in all); panic if no source gives a plausible one.
 */
void tsc_calibrate(void)
{
	uint64_t khz, got[TSC_WINDOWS], t0 = arch_cycles();
	int n = 0, bad = 0;
	unsigned int used = 0;

	khz = cpuid_tsc_khz(&tsc_calibration_source);
	if (khz >= TSC_KHZ_MIN && khz <= TSC_KHZ_MAX) {
		tsc_khz = khz;
		return;
	}
	pit_start();
	while (n < TSC_WINDOWS && bad < TSC_PIT_TRIES) {
		if (pit_measure_window(TSC_WINDOW_US, &khz, &used))
			break;				/* no PIT: no point in trying again */
		if (khz >= TSC_KHZ_MIN && khz <= TSC_KHZ_MAX) {
			got[n++] = khz;
			tsc_calibration_info.samples += used;
		} else {
			bad++;
		}
	}
	tsc_calibration_info.windows = n;
	tsc_calibration_info.rejected = bad;
	if (n) {
		sort_u64(got, n);
		tsc_khz = got[n / 2];
		tsc_calibration_info.spread_khz = got[n - 1] - got[0];
		tsc_calibration_info.cycles = arch_cycles() - t0;
		tsc_calibration_source = "PIT";
		return;			/* windows thrown away: boottime says how many */
	}
	panic("tsc: cannot calibrate the TSC (no PIT, no CPUID frequency leaf)");
}
