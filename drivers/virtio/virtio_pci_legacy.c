/*
 * virtio_pci_legacy.c - the legacy (pre-1.0) virtio PCI transport, used for
 * transitional devices that offer no modern capabilities (QEMU's
 * disable-modern=on).
 *
 * Everything sits in I/O BAR 0 at fixed offsets: 0 device features (32
 * bits only), 4 driver features, 8 queue address as a 4096-byte page frame
 * number, 12 queue size (fixed by the device: the driver cannot shrink
 * it), 14 queue select, 16 queue notify, 18 status, 19 ISR, 20 device
 * config (24 while MSI-X is enabled; this transport uses INTx - routed
 * through the IOAPIC - so 20). Reading the ISR byte reports the cause and
 * lowers the line; 0 means the interrupt was not ours (a shared line).
 * Queues use the legacy layout: the used ring on the next 4096 boundary.
 * The balloon's config is little-endian even here, which on x86 is the
 * CPU order of inl/outl.
 */
#include "virtio_transport.h"
#include <kernel/printk.h>
#include <arch/io.h>
#include <arch/x86.h>
#include <errno.h>
#include <stdio.h>

#define VPL_HOST_FEATURES	0
#define VPL_GUEST_FEATURES	4
#define VPL_QUEUE_PFN		8
#define VPL_QUEUE_NUM		12
#define VPL_QUEUE_SEL		14
#define VPL_QUEUE_NOTIFY	16
#define VPL_STATUS		18
#define VPL_ISR			19
#define VPL_CONFIG		20

static uint8_t vpl_get_status(struct virtio_device *vdev)
{
	return inb(to_vt(vdev)->io + VPL_STATUS);
}

static void vpl_set_status(struct virtio_device *vdev, uint8_t s)
{
	outb(to_vt(vdev)->io + VPL_STATUS, s);
}

static void vpl_reset(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);

	outb(vt->io + VPL_STATUS, 0);
	(void)inb(vt->io + VPL_ISR);	/* flush, and drop a stale interrupt */
}

static uint64_t vpl_get_features(struct virtio_device *vdev)
{
	return inl(to_vt(vdev)->io + VPL_HOST_FEATURES);
}

static int vpl_finalize_features(struct virtio_device *vdev)
{
	if (vdev->features >> 32)
		return -EINVAL;
	outl(to_vt(vdev)->io + VPL_GUEST_FEATURES, (uint32_t)vdev->features);
	return 0;
}

static uint32_t vpl_read_config(struct virtio_device *vdev, unsigned int off, unsigned int size)
{
	uint16_t port = (uint16_t)(to_vt(vdev)->io + VPL_CONFIG + off);

	if (size == 1)
		return inb(port);
	if (size == 2)
		return inw(port);
	return inl(port);
}

static void vpl_write_config(struct virtio_device *vdev, unsigned int off, unsigned int size,
			     uint32_t v)
{
	uint16_t port = (uint16_t)(to_vt(vdev)->io + VPL_CONFIG + off);

	if (size == 1)
		outb(port, (uint8_t)v);
	else if (size == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

static bool vpl_notify(struct virtqueue *vq)
{
	struct vt_device *vt = virtqueue_priv(vq);

	outw(vt->io + VPL_QUEUE_NOTIFY, (uint16_t)virtqueue_index(vq));
	return true;
}

static int vpl_setup_vq(struct virtio_device *vdev, unsigned int index, unsigned int size_cap,
			const char *name, void (*callback)(struct virtqueue *vq),
			struct virtqueue **out)
{
	struct vt_device *vt = to_vt(vdev);
	unsigned int size;
	phys_addr_t pa;
	int err;

	if (index >= VT_MAX_QUEUES)
		return -ENOENT;
	outw(vt->io + VPL_QUEUE_SEL, (uint16_t)index);
	size = inw(vt->io + VPL_QUEUE_NUM);
	if (size == 0)
		return -ENOENT;
	if (inl(vt->io + VPL_QUEUE_PFN))
		return -EBUSY;
	/* Legacy devices fix the size; size_cap cannot apply. */
	err = vt_queue_create(vt, index, size, true, name, callback, vpl_notify);
	if (err)
		return err;
	pa = virtqueue_desc_pa(vt->q[index].vq);
	if ((pa >> 12) >> 32) {
		vt_queue_free(vt, index);
		return -ENOMEM;
	}
	outl(vt->io + VPL_QUEUE_PFN, (uint32_t)(pa >> 12));
	*out = vt->q[index].vq;
	return 0;
}

static void vpl_del_vqs(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);

	for (unsigned int i = 0; i < VT_MAX_QUEUES; i++) {
		if (!vt->q[i].vq)
			continue;
		outw(vt->io + VPL_QUEUE_SEL, (uint16_t)i);
		outl(vt->io + VPL_QUEUE_PFN, 0);
	}
	vt_queues_free(vt);
}

static const struct virtio_config_ops vpl_ops = {
	.name = "virtio-pci-legacy",
	.get_status = vpl_get_status,
	.set_status = vpl_set_status,
	.reset = vpl_reset,
	.get_features = vpl_get_features,
	.finalize_features = vpl_finalize_features,
	.read_config = vpl_read_config,
	.write_config = vpl_write_config,
	.generation = NULL,
	.setup_vq = vpl_setup_vq,
	.del_vqs = vpl_del_vqs,
	.notify = vpl_notify,
};

static void vpl_intx_irq(struct regs *r, void *ctx)
{
	struct vt_device *vt = ctx;

	vt_dispatch(vt, inb(vt->io + VPL_ISR));
}

int virtio_pci_legacy_probe(struct pci_dev *d)
{
	struct vt_device *vt;
	bool level, active_low;

	if (d->device < 0x1000 || d->device > 0x103f || !d->bar[0].io || d->bar[0].size < 24)
		return -ENODEV;
	if (!d->bar[0].base) {
		pr_warn("virtio %02x:%02x.%x: I/O BAR 0 is unassigned (no firmware did it); device skipped\n",
			d->bus, d->dev, d->fn);
		return -ENODEV;
	}
	vt = vt_alloc_device();
	if (!vt)
		return -ENOMEM;
	pci_enable(d);
	vt->pdev = d;
	vt->io = (uint16_t)d->bar[0].base;
	snprintf(vt->name, sizeof(vt->name), "virtio@%02x:%02x.%x", d->bus, d->dev, d->fn);
	vt->vdev.name = vt->name;
	vt->vdev.device_id = d->subsys_id;
	vt->vdev.vendor_id = 0x1af4;
	vt->vdev.config = &vpl_ops;
	vpl_reset(&vt->vdev);
	vt->gsi = pci_intx_gsi(d, &level, &active_low);
	snprintf(vt->irq_name, sizeof(vt->irq_name), "%s INTx", vt->name);
	if (vt->gsi >= 0 && irq_register_gsi((unsigned)vt->gsi, level, active_low, vt->irq_name,
					     vpl_intx_irq, vt) >= 0)
		vt->irq_mode = VT_IRQ_INTX;
	vt_probe_driver(vt);
	return 0;
}
