/*
 * test_transport.c - in-kernel checks of interrupt routing for the virtio
 * transports: every virtio vector delivers, a spurious interrupt on any of
 * them (or on a vector nobody owns) is counted and harmless, and the DSDT
 * walker agrees with what the transports found.
 */
#include <kernel/ktest.h>
#include <kernel/work.h>
#include <drivers/pci.h>
#include <drivers/virtio_balloon.h>
#include <mm/page_alloc.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <string.h>

/* Vectors whose name says a virtio device owns them; returns how many (at most @max). */
static unsigned int virtio_vectors(unsigned int *vecs, uint64_t *counts, unsigned int max)
{
	struct irq_info in;
	unsigned int n = 0;

	for (unsigned int v = 0; v < 256 && n < max; v++)
		if (irq_get_info(v, &in) && !strncmp(in.name, "virtio", 6)) {
			vecs[n] = v;
			counts[n++] = in.count;
		}
	return n;
}

/* Expect a self-IPI on every virtio vector to be counted there and to disturb nothing. */
static void test_spurious_virtio_vectors(struct ktest *t)
{
	unsigned int vecs[32], n;
	uint64_t before[32], unhandled = irq_unhandled_count();
	struct virtio_balloon *vb = virtio_balloon_get(0);
	struct irq_info in;

	n = virtio_vectors(vecs, before, 32);
	if (!n) {
		ktest_skip(t, "no virtio device with an interrupt here");
		return;
	}
	local_irq_enable();
	for (unsigned int i = 0; i < n; i++)
		apic_self_ipi((uint8_t)vecs[i]);
	udelay(1000);
	work_run_pending();
	for (unsigned int i = 0; i < n; i++) {
		KT_ASSERT(t, irq_get_info(vecs[i], &in));
		KT_EXPECT(t, in.count >= before[i] + 1);
	}
	KT_EXPECT_EQ(t, irq_unhandled_count(), unhandled);
	if (vb) {
		KT_EXPECT(t, !vb->broken);
		KT_EXPECT_EQ(t, virtio_balloon_check(vb), 0);
	}
	KT_EXPECT_EQ(t, mm_check_counts(), 0);
}

/* Expect an interrupt on a vector nobody allocated to be counted as unhandled, and EOIed. */
static void test_unallocated_vector(struct ktest *t)
{
	struct irq_info in;
	uint64_t unhandled = irq_unhandled_count();
	unsigned int v = 254;

	while (v > 48 && irq_get_info(v, &in))
		v--;
	KT_ASSERT(t, v > 48);
	local_irq_enable();
	apic_self_ipi((uint8_t)v);
	udelay(1000);
	KT_EXPECT_EQ(t, irq_unhandled_count(), unhandled + 1);
	/* a missing EOI would block this and every lower-priority vector: send again */
	apic_self_ipi((uint8_t)v);
	udelay(1000);
	KT_EXPECT_EQ(t, irq_unhandled_count(), unhandled + 2);
}

static unsigned int mmio_slots_seen;

static void count_slot(const struct acpi_device *d, void *arg)
{
	(void)arg;
	if (d->nmem >= 1 && d->nirq >= 1)
		mmio_slots_seen++;
}

/* Expect every DSDT virtio-mmio slot and every routed GSI to be served by an IOAPIC. */
static void test_dsdt_mmio_slots_routable(struct ktest *t)
{
	struct irq_info in;
	unsigned int gsi_vectors = 0;

	mmio_slots_seen = 0;
	if (!acpi_for_each_device("LNRO0005", count_slot, NULL)) {
		ktest_skip(t, "no virtio-mmio slot in the DSDT");
		return;
	}
	KT_EXPECT(t, mmio_slots_seen >= 1);
	for (unsigned int v = 0; v < 256; v++)
		if (irq_get_info(v, &in) && !strncmp(in.name, "virtio-mmio", 11)) {
			KT_EXPECT(t, in.gsi >= 0 && ioapic_has_gsi((unsigned int)in.gsi));
			KT_EXPECT(t, in.level && !in.active_low);
			gsi_vectors++;
		}
	KT_EXPECT_EQ(t, gsi_vectors, mmio_slots_seen);
}

KTEST_SUITE(transport, KTEST_CASE(test_spurious_virtio_vectors), KTEST_CASE(test_unallocated_vector),
	    KTEST_CASE(test_dsdt_mmio_slots_routable));
