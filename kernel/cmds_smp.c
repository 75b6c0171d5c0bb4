/*
 * cmds_smp.c - shell commands for the CPUs (thin: they parse and print;
 * the work is in kernel/smp.c, kernel/work.c and arch/x86_64/smpboot.c).
 *
 *   cpuinfo                  vendor, features and clock, then every CPU
 *                            the MADT listed: logical id, APIC id,
 *                            x2APIC or xAPIC, TSC kHz, state, interrupts and
 *                            timer ticks taken; then "N online of M listed"
 *   smp call [nowait]        on_each_cpu(): each CPU writes its own id and
 *                            APIC id into its row; one line per CPU
 *   smp work                 work_queue_on() every online CPU; each item
 *                            records the CPU that ran it
 *   boottime                 the boot CPU's timeline (boot_mark: each step's
 *                            end, ms after kmain, and kmain's TSC as ms
 *                            after reset), then the bring-up: INIT, SIPI,
 *                            release, and each AP's C entry and park after
 *                            the first SIPI and check-in after the release
 *                            (us); scripts/bootbench.py parses it
 *   smp panic-test confirm [both]
 *                            panic() here (with `both`, CPU 1 panics at the
 *                            same moment through a call-function IPI): the
 *                            path that stops every CPU with an NMI, each
 *                            printing its backtrace. The machine stops.
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <kernel/work.h>
#include <kernel/kernel.h>
#include <kernel/bug.h>
#include <arch/x86.h>
#include <mm/deferred_init.h>
#include <mm/page_alloc.h>
#include <mm/memblock.h>
#include <string.h>

static const char *const state_names[] = {
	[CPU_ABSENT] = "absent", [CPU_STARTING] = "starting",
	[CPU_ONLINE] = "online", [CPU_LEFT_OUT] = "left-out",
};

static int cmd_cpuinfo(int argc, char **argv)
{
	unsigned int listed = 0, online = 0;

	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	printk("vendor %s%s%s, TSC %lu kHz (%s)%s\n", cpu_features.vendor,
	       cpu_features.hypervisor ? ", hypervisor " : "",
	       cpu_features.hypervisor ? cpu_features.hypervisor_sig : "",
	       tsc_khz, tsc_calibration_source, cpu_features.invariant_tsc ? ", invariant" : "");
	printk("features:%s%s%s%s\n", cpu_features.nx ? " nx" : "",
	       cpu_features.gbpages ? " pdpe1gb" : "", cpu_features.x2apic ? " x2apic" : "",
	       cpu_features.tsc_deadline ? " tsc-deadline" : "");
	printk("CPUID: basic leaves to %#x, hypervisor leaves to %#x (a TSC rate in 0x15 or "
	       "0x40000010 is used when present)\n", tsc_calibration_info.cpuid_max,
	       tsc_calibration_info.hv_max);
	printk("CPUs in ACPI: %u; this command runs on CPU %u\n", acpi.ncpus, arch_cpu_id());
	printk("CPU  APIC  mode     TSC kHz  state     interrupts  ticks\n");
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		const struct percpu *pc = &percpu_area[cpu];
		uint32_t st = __atomic_load_n(&pc->state, __ATOMIC_ACQUIRE);

		if (st == CPU_ABSENT)
			continue;
		listed++;
		online += st == CPU_ONLINE;
		printk("%3u %5u  %-6s %9lu  %-8s %11lu %6lu\n", cpu, pc->apic_id,
		       st == CPU_ONLINE ? (pc->x2apic ? "x2APIC" : "xAPIC") : "-",
		       (unsigned long)pc->tsc_khz, state_names[st],
		       (unsigned long)pc->irq_count, (unsigned long)pc->ticks);
	}
	printk("cpuinfo: %u online of %u listed\n", online, listed);
	return 0;
}
SHELL_COMMAND(cpuinfo, "cpuinfo", "CPU vendor, features and clock; every CPU: APIC id and mode, TSC rate, state",
	      cmd_cpuinfo);

struct call_row {
	volatile uint32_t ran_on, apic, calls;
};
static struct call_row call_rows[NR_CPUS];

/* on_each_cpu() callback: record who ran it, in the running CPU's own row. */
static void smp_call_record(void *info)
{
	struct call_row *row = &((struct call_row *)info)[arch_cpu_id()];

	row->ran_on = arch_cpu_id();
	row->apic = lapic_id();
	__atomic_fetch_add(&row->calls, 1, __ATOMIC_RELEASE);
}

/* `smp call [nowait]`: every online CPU answers with its id. */
static int smp_cmd_call(bool wait)
{
	unsigned int cpu, answered = 0, online = num_online_cpus();
	uint64_t t0;

	memset((void *)call_rows, 0, sizeof(call_rows));
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		call_rows[cpu].ran_on = ~0u;
	on_each_cpu(smp_call_record, (void *)call_rows, wait);
	t0 = arch_cycles();
	for_each_online_cpu(cpu)        /* nowait: give them a bounded second */
		while (!__atomic_load_n(&call_rows[cpu].calls, __ATOMIC_ACQUIRE) &&
		       arch_cycles() - t0 < tsc_khz * 1000)
			cpu_relax();
	for_each_online_cpu(cpu) {
		const struct call_row *r = &call_rows[cpu];

		if (r->calls)
			answered++;
		printk("cpu %u: ran on cpu %d apic %u calls %u\n", cpu,
		       r->calls ? (int)r->ran_on : -1, r->apic, r->calls);
	}
	printk("smp call: %u of %u CPUs answered (%s)\n", answered, online,
	       wait ? "wait" : "nowait");
	return answered == online ? 0 : 1;
}

static struct {
	struct work w;
	volatile int ran_on;
} work_rows[NR_CPUS];

static void smp_work_record(struct work *w)
{
	for (unsigned int i = 0; i < NR_CPUS; i++)
		if (&work_rows[i].w == w)
			__atomic_store_n(&work_rows[i].ran_on, (int)arch_cpu_id(), __ATOMIC_RELEASE);
}

/* `smp work`: an item queued on each online CPU reports where it ran. */
static int smp_cmd_work(void)
{
	unsigned int cpu, right = 0;
	uint64_t t0;

	for_each_online_cpu(cpu) {
		work_init(&work_rows[cpu].w, smp_work_record);
		work_rows[cpu].ran_on = -1;
		work_queue_on(cpu, &work_rows[cpu].w);
	}
	t0 = arch_cycles();
	for_each_online_cpu(cpu) {
		while (__atomic_load_n(&work_rows[cpu].ran_on, __ATOMIC_ACQUIRE) < 0 &&
		       arch_cycles() - t0 < tsc_khz * 1000) {
			if (cpu == arch_cpu_id())
				work_run_pending();     /* our own loop is this command */
			cpu_relax();
		}
		right += work_rows[cpu].ran_on == (int)cpu;
		printk("cpu %u: work ran on cpu %d\n", cpu, work_rows[cpu].ran_on);
	}
	printk("smp work: %u of %u items ran on the CPU they were queued on\n", right,
	       num_online_cpus());
	return right == num_online_cpus() ? 0 : 1;
}

static volatile bool panic_ready, panic_go;

/* CPU 1's half of `panic-test both`: ready, then panic the moment CPU 0 does. */
static void smp_panic_remote(void *info)
{
	__atomic_store_n(&panic_ready, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&panic_go, __ATOMIC_ACQUIRE))
		cpu_relax();
	panic("smp panic-test on CPU %u (the second one)", arch_cpu_id());
}

static int cmd_smp(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "call")) {
		if (argc == 2)
			return smp_cmd_call(true);
		if (argc == 3 && !strcmp(argv[2], "nowait"))
			return smp_cmd_call(false);
		return shell_usage_error(argv, "call takes only 'nowait'");
	}
	if (argc == 2 && !strcmp(argv[1], "work"))
		return smp_cmd_work();
	if (argc >= 3 && !strcmp(argv[1], "panic-test") && !strcmp(argv[2], "confirm")) {
		bool both = argc == 4 && !strcmp(argv[3], "both");

		if (argc > 4 || (argc == 4 && !both))
			return shell_usage_error(argv, "panic-test confirm [both]");
		if (both && smp_call_function_single(1, smp_panic_remote, NULL, false))
			return shell_usage_error(argv, "'both' needs CPU 1 online");
		for (uint64_t t0 = arch_cycles(); both && !__atomic_load_n(&panic_ready, __ATOMIC_ACQUIRE) &&
		     arch_cycles() - t0 < tsc_khz * 1000;)
			cpu_relax();
		__atomic_store_n(&panic_go, true, __ATOMIC_RELEASE);
		panic("smp panic-test on CPU %u", arch_cpu_id());
	}
	return shell_usage_error(argv, "call [nowait] | work | panic-test confirm [both]");
}
SHELL_COMMAND(smp, "smp call [nowait] | work | panic-test confirm [both]",
	      "run a function or a work item on every CPU; panic-test stops the machine", cmd_smp);

/* @cycles as microseconds at the boot CPU's TSC rate. */
static unsigned long tsc_us(uint64_t cycles)
{
	return tsc_khz ? (unsigned long)(cycles * 1000 / tsc_khz) : 0;
}

static int cmd_boottime(int argc, char **argv)
{
	struct smp_boot_times bt;
	uint64_t t0 = boot_tsc_start;

	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	printk("boottime: TSC %lu kHz, kmain %lu us after reset\n", (unsigned long)tsc_khz,
	       tsc_us(t0));
	for (unsigned int i = 0; i < boot_marks_n; i++)
		printk("boottime: mark %-16s %9lu us\n", boot_marks[i].what,
		       tsc_us(boot_marks[i].tsc - t0));
	printk("boottime: tsc %s, %u PIT windows kept (%u thrown away, %u for a gap), %u reads "
	       "fitted, spread %lu kHz, %lu us\n", tsc_calibration_source,
	       tsc_calibration_info.windows, tsc_calibration_info.rejected,
	       tsc_calibration_info.lost_wrap, tsc_calibration_info.samples,
	       (unsigned long)tsc_calibration_info.spread_khz,
	       tsc_us(tsc_calibration_info.cycles));
	{
		char line[160];
		const struct deferred_init_stats *st = &deferred_init_stats;

		deferred_init_describe(line, sizeof(line));
		printk("boottime: mm init %lu us at boot for %lu MiB (%lu MiB deferred); deferred init %s\n",
		       tsc_us(mm_init_stats.total_cycles),
		       (unsigned long)(memblock_phys_mem_size() >> 20),
		       st->pages >> (20 - PAGE_SHIFT), line);
		if (st->end_tsc)
			printk("boottime: deferred init background %lu us (CPU time %lu us), done %lu us "
			       "after kmain\n", tsc_us(st->end_tsc - st->start_tsc), tsc_us(st->busy_cycles),
			       tsc_us(st->end_tsc - t0));
	}
	smp_get_boot_times(&bt);
	if (!bt.sipi_tsc)
		return 0;
	printk("boottime: smp INIT %lu us, SIPI %lu us (waited %lu us for the INIT delay), "
	       "release %lu us, smp_wait_cpus waited %lu us\n", tsc_us(bt.init_tsc - t0),
	       tsc_us(bt.sipi_tsc - t0), tsc_us(bt.sipi_wait_cycles), tsc_us(bt.release_tsc - t0),
	       tsc_us(bt.wait_cycles));
	for (unsigned int cpu = 1; cpu < NR_CPUS; cpu++) {
		const struct percpu *pc = &percpu_area[cpu];

		if (pc->state != CPU_ONLINE)
			continue;
		printk("boottime: cpu %u entry %lu us parked %lu us after the SIPI, online %lu us "
		       "after the release\n", cpu, tsc_us(pc->start_tsc - bt.sipi_tsc),
		       tsc_us(pc->parked_tsc - bt.sipi_tsc), tsc_us(pc->online_tsc - bt.release_tsc));
	}
	return 0;
}
SHELL_COMMAND(boottime, "boottime", "where boot time went: each boot step, and each CPU's start",
	      cmd_boottime);
