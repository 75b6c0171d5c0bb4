/* test_virtio.c - in-kernel checks of PCI enumeration and the virtio-balloon driver. */
#include <kernel/ktest.h>
#include <drivers/pci.h>
#include <drivers/virtio_balloon.h>
#include <mm/page_alloc.h>

/* Expect the balloon device (attached by scripts/qemu.py) to be probed and ready. */
static void test_balloon_probed(struct ktest *t)
{
	struct virtio_balloon *vb = virtio_balloon_get(0);

	if (!vb) {
		ktest_skip(t, "no virtio-balloon device on this machine");
		return;
	}
	KT_EXPECT(t, vb->ready);
	KT_EXPECT(t, !vb->broken);
	KT_EXPECT(t, vb->inflate_vq && vb->deflate_vq);
	KT_EXPECT_EQ(t, virtio_balloon_check(vb), 0);
}

/* Expect PCI config reads of every found function to return its recorded vendor id. */
static void test_pci_config_reads(struct ktest *t)
{
	unsigned int n = pci_enumerate();
	struct pci_dev *d;

	if (!n) {
		ktest_skip(t, "no PCI on this machine");
		return;
	}
	for (unsigned int i = 0; (d = pci_get(i)) != NULL; i++)
		KT_EXPECT_EQ(t, pci_read16(d, PCI_VENDOR_ID), d->vendor);
}

/* Expect a one-page-per-step inflate/deflate by hand to keep the balloon invariant. */
static void test_balloon_step_invariant(struct ktest *t)
{
	struct virtio_balloon *vb = virtio_balloon_get(0);

	if (!vb || !vb->ready) {
		ktest_skip(t, "no ready virtio-balloon device");
		return;
	}
	for (int i = 0; i < 4; i++)
		virtio_balloon_step(vb, 1);
	KT_EXPECT_EQ(t, virtio_balloon_check(vb), 0);
	KT_EXPECT_EQ(t, mm_check_counts(), 0);
}

KTEST_SUITE(virtio, KTEST_CASE(test_pci_config_reads), KTEST_CASE(test_balloon_probed),
	    KTEST_CASE(test_balloon_step_invariant));
