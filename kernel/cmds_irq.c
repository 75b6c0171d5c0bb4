/*
 * cmds_irq.c - shell commands that show interrupt routing and PCI:
 *
 *   irqs              every allocated vector: count, name, GSI and trigger
 *                     (or MSI), the IOAPICs, and interrupts nobody handled;
 *                     a shared line shows one row per handler
 *   irqs inject VEC   send vector VEC to this CPU (a spurious interrupt, for
 *                     tests: every handler must shrug it off)
 *   irqs cpus         where each vector goes: the CPU an IOAPIC line or an
 *                     MSI-X entry is aimed at ("-" for IPIs and other
 *                     messages, which arrive where they are sent) and its
 *                     count on every CPU
 *   irqs route VEC CPU
 *                     send IOAPIC line or MSI-X vector VEC to CPU (irq_set_affinity)
 *   lspci             the PCI functions found, their BARs and MSI-X state
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <drivers/pci.h>
#include <arch/x86.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <kernel/smp.h>

/* List every allocated vector. */
static void irqs_show(void)
{
	struct irq_info in;
	uint64_t phys;
	uint32_t base;
	unsigned int pins;

	for (unsigned int i = 0; (pins = ioapic_describe(i, &phys, &base)) != 0; i++)
		printk("IOAPIC%u at %#llx: GSIs %u-%u\n", i, (unsigned long long)phys, base,
		       base + pins - 1);
	printk(" vec       count  source              name\n");
	for (unsigned int v = 0; v < 256; v++) {
		char src[24];

		if (!irq_get_info(v, &in))
			continue;
		if (in.gsi >= 0)
			snprintf(src, sizeof(src), "GSI %d %s/%s", in.gsi, in.level ? "level" : "edge",
				 in.active_low ? "low" : "high");
		else
			snprintf(src, sizeof(src), "MSI/local");
		for (unsigned int k = 0; k < in.nnames; k++)	/* a shared line: one row per handler */
			printk(" %3u %11llu  %-18s  %s\n", v, (unsigned long long)in.count, src,
			       in.names[k]);
	}
	printk("unhandled: %llu\n", (unsigned long long)irq_unhandled_count());
}

/* Where each vector goes, and its count per online CPU. */
static void irqs_show_cpus(void)
{
	struct irq_info in;
	unsigned int cpu;

	printk(" vec  to ");
	for_each_online_cpu(cpu)
		printk("      cpu%u", cpu);
	printk("  name\n");
	for (unsigned int v = 0; v < 256; v++) {
		int to;

		if (!irq_get_info(v, &in))
			continue;
		to = irq_get_affinity(v);
		if (to >= 0)
			printk(" %3u %3d ", v, to);
		else
			printk(" %3u   - ", v);
		for_each_online_cpu(cpu)
			printk(" %9llu", (unsigned long long)irq_count_on(v, cpu));
		printk("  %s\n", in.name);
	}
}

static int cmd_irqs(int argc, char **argv)
{
	uint64_t vec, cpu;
	int err;

	if (argc == 1) {
		irqs_show();
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "cpus")) {
		irqs_show_cpus();
		return 0;
	}
	if (!strcmp(argv[1], "route")) {
		if (argc != 4 || !shell_parse_u64(argv[2], &vec) || !shell_parse_u64(argv[3], &cpu) ||
		    vec > 255 || cpu >= NR_CPUS)
			return shell_usage_error(argv, "route takes a vector and a CPU");
		err = irq_set_affinity((unsigned int)vec, (unsigned int)cpu);
		if (err) {
			printk("irqs: vector %llu cannot go to CPU %llu (%s)\n", (unsigned long long)vec,
			       (unsigned long long)cpu, err == -ENXIO ? "CPU not online" :
			       err == -ERANGE ? "APIC id beyond the IOAPIC's reach" :
			       "neither an IOAPIC line nor an MSI-X vector");
			return 1;
		}
		printk("irqs: vector %llu now goes to CPU %llu\n", (unsigned long long)vec,
		       (unsigned long long)cpu);
		return 0;
	}
	if (strcmp(argv[1], "inject") != 0)
		return shell_usage_error(argv, "unknown argument '%s'", argv[1]);
	if (argc != 3 || !shell_parse_u64(argv[2], &vec) || vec < 48 || vec > 254)
		return shell_usage_error(argv, "inject takes one vector, 48-254");
	apic_self_ipi((uint8_t)vec);
	printk("irqs: sent vector %llu to this CPU\n", (unsigned long long)vec);
	return 0;
}
SHELL_COMMAND(irqs, "irqs [inject VEC | cpus | route VEC CPU]",
	      "interrupt vectors, their sources and counts (inject: a spurious one; cpus: per CPU)",
	      cmd_irqs);

static int cmd_lspci(int argc, char **argv)
{
	unsigned int n;
	struct pci_dev *d;
	const struct pci_host_info *h;

	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments");
	n = pci_enumerate();
	if (!n) {
		printk("lspci: no PCI on this machine\n");
		return 0;
	}
	printk("%u functions through %s\n", n, pci_access_name());
	h = pci_host();
	if (h->found)
		printk("host bridge (DSDT): ECAM %#llx, MMIO32 %#llx+%#llx, MMIO64 %#llx+%#llx\n",
		       (unsigned long long)h->ecam_base, (unsigned long long)h->mmio32_base,
		       (unsigned long long)h->mmio32_size, (unsigned long long)h->mmio64_base,
		       (unsigned long long)h->mmio64_size);
	for (unsigned int i = 0; (d = pci_get(i)) != NULL; i++) {
		uint16_t cmd = pci_read16(d, PCI_COMMAND);

		printk("%02x:%02x.%x %04x:%04x rev %02x, pin %u line %u, cmd %04x%s", d->bus, d->dev,
		       d->fn, d->vendor, d->device, d->revision, d->irq_pin, d->irq_line, cmd,
		       d->claimed ? ", driver bound" : "");
		if (d->msix_cap)
			printk(", MSI-X %u entries %s", d->msix_entries,
			       d->msix_enabled ? "enabled" : "off");
		printk("\n");
		for (unsigned int b = 0; b < PCI_NUM_BARS; b++) {
			const struct pci_bar *bar = &d->bar[b];

			if (!bar->size)
				continue;
			printk("    BAR%u %s %#llx size %#llx%s%s\n", b, bar->io ? "io " : bar->is64 ? "m64" : "m32",
			       (unsigned long long)bar->base, (unsigned long long)bar->size,
			       bar->base ? "" : " (unassigned)",
			       bar->assigned_here ? " (assigned by Ballast)" : "");
		}
	}
	return 0;
}
SHELL_COMMAND(lspci, "lspci", "PCI functions, BARs and interrupt state", cmd_lspci);
