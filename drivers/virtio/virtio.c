/*
 * virtio.c - virtio bring-up: finds devices on every transport, gives
 * transports their queue memory and interrupt dispatch, and hands devices
 * to drivers (the balloon, virtio-mem, and a small entropy driver).
 *
 * Queue memory comes from the page allocator: the ring area (shared with
 * the device, physically contiguous, page aligned, which satisfies both the
 * legacy 4096 and the modern 16-byte alignment) and the driver's private
 * state area, each a power-of-two block of pages.
 */
#include "virtio_transport.h"
#include <drivers/virtio_balloon.h>
#include <drivers/virtio_rng.h>
#include <drivers/virtio_mem.h>
#include <kernel/printk.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <mm/gfp.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>

static struct vt_device vt_devices[VT_MAX_DEVICES];
static unsigned int vt_ndevices;

struct vt_device *vt_alloc_device(void)
{
	struct vt_device *vt;

	if (vt_ndevices >= VT_MAX_DEVICES)
		return NULL;
	vt = &vt_devices[vt_ndevices++];
	memset(vt, 0, sizeof(*vt));
	vt->gsi = -1;
	for (unsigned int i = 0; i < VT_MAX_QUEUES; i++)
		vt->q[i].msix_entry = -1;
	return vt;
}

/* Smallest order whose block holds @bytes. */
static unsigned int bytes_order(size_t bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

int vt_queue_create(struct vt_device *vt, unsigned int index, unsigned int size, bool legacy,
		    const char *name, void (*callback)(struct virtqueue *vq),
		    bool (*notify)(struct virtqueue *vq))
{
	struct vt_queue *q;
	struct page *rp, *sp;
	struct vq_init in;
	size_t rb = virtqueue_ring_bytes(size, legacy), sb = virtqueue_state_bytes(size);

	if (index >= VT_MAX_QUEUES || !rb || !sb)
		return -EINVAL;
	q = &vt->q[index];
	if (q->vq)
		return -EBUSY;
	q->ring_order = bytes_order(rb);
	q->state_order = bytes_order(sb);
	rp = alloc_pages(GFP_KERNEL | __GFP_ZERO, q->ring_order);
	sp = alloc_pages(GFP_KERNEL | __GFP_ZERO, q->state_order);
	if (!rp || !sp) {
		if (rp)
			__free_pages(rp, q->ring_order);
		if (sp)
			__free_pages(sp, q->state_order);
		return -ENOMEM;
	}
	q->ring = page_address(rp);
	q->state = page_address(sp);
	memset(&in, 0, sizeof(in));
	in.name = name;
	in.index = index;
	in.size = size;
	in.legacy = legacy;
	in.ring = q->ring;
	in.ring_pa = page_to_phys(rp);
	in.state = q->state;
	in.notify = notify;
	in.callback = callback;
	in.priv = vt;
	/* QEMU before 8.x reported bytes read on the balloon's queues. */
	in.flags = VQ_INIT_CLAMP_USED_LEN;
	q->vq = virtqueue_create(&in);
	if (!q->vq) {
		__free_pages(rp, q->ring_order);
		__free_pages(sp, q->state_order);
		q->ring = q->state = NULL;
		return -EINVAL;
	}
	return 0;
}

void vt_queue_free(struct vt_device *vt, unsigned int index)
{
	struct vt_queue *q = &vt->q[index];

	if (!q->vq)
		return;
	q->vq = NULL;
	q->msix_entry = -1;
	__free_pages(virt_to_page(q->ring), q->ring_order);
	__free_pages(virt_to_page(q->state), q->state_order);
	q->ring = q->state = NULL;
}

void vt_queues_free(struct vt_device *vt)
{
	for (unsigned int i = 0; i < VT_MAX_QUEUES; i++)
		vt_queue_free(vt, i);
}

void vt_dispatch(struct vt_device *vt, uint32_t isr)
{
	vt->irqs++;
	if (!(isr & 3)) {
		vt->spurious_irqs++;
		return;
	}
	if (isr & 1) {
		vt->queue_irqs++;
		for (unsigned int i = 0; i < VT_MAX_QUEUES; i++)
			if (vt->q[i].vq)
				virtqueue_interrupt(vt->q[i].vq);
	}
	if (isr & 2) {
		vt->config_irqs++;
		/* NULL until the driver is ready: an early change is read at its init */
		if (vt->vdev.config_changed)
			vt->vdev.config_changed(&vt->vdev);
	}
}

void vt_msix_dispatch(struct vt_msix_vec *v)
{
	struct vt_device *vt = v->vt;
	bool any = false;

	vt->irqs++;
	/* MSI-X carries no cause: a queue vector counts only if a used buffer waits */
	for (unsigned int i = 0; i < VT_MAX_QUEUES; i++)
		if (vt->q[i].vq && vt->q[i].msix_entry == (int)v->entry &&
		    virtqueue_more_used(vt->q[i].vq)) {
			virtqueue_interrupt(vt->q[i].vq);
			any = true;
		}
	if (any)
		vt->queue_irqs++;
	if (v->entry == 0) {
		vt->config_irqs++;
		if (vt->vdev.config_changed)
			vt->vdev.config_changed(&vt->vdev);
	} else if (!any) {
		vt->spurious_irqs++;	/* nothing used: early, after a reset, or injected */
	}
}

const char *vt_irq_mode_name(const struct vt_device *vt, char *buf, size_t len)
{
	if (vt->irq_mode == VT_IRQ_MSIX)
		snprintf(buf, len, "MSI-X (%u vectors)", vt->msix_nvec);
	else if (vt->irq_mode == VT_IRQ_INTX)
		snprintf(buf, len, "%s GSI %d", vt->mmio ? "IOAPIC" : "INTx", vt->gsi);
	else
		snprintf(buf, len, "none (polled)");
	return buf;
}

bool vt_wait(bool (*done)(void *arg), void *arg, unsigned int ms)
{
	uint64_t end = uptime_ns() + (uint64_t)ms * 1000000u;

	for (;;) {
		if (done(arg))
			return true;
		if (uptime_ns() > end)
			return done(arg);
		cpu_relax();
	}
}

void vt_probe_driver(struct vt_device *vt)
{
	char irq[40];

	vt->vdev.has_irq = vt->irq_mode != VT_IRQ_NONE;
	printk("virtio: %s: device %u via %s, interrupts %s\n", vt->name, vt->vdev.device_id,
	       vt->vdev.config->name, vt_irq_mode_name(vt, irq, sizeof(irq)));
	if (vt->vdev.device_id == VIRTIO_ID_BALLOON)
		virtio_balloon_probe(&vt->vdev);
	else if (vt->vdev.device_id == VIRTIO_ID_RNG)
		virtio_rng_probe(&vt->vdev);
	else if (vt->vdev.device_id == VIRTIO_ID_MEM)
		virtio_mem_probe(&vt->vdev);
}

/* Probe one PCI function if it is a virtio device (vendor 0x1af4). */
static void virtio_pci_probe_one(struct pci_dev *d)
{
	if (d->vendor != 0x1af4 || d->device < 0x1000 || d->device > 0x107f || d->claimed)
		return;
	if (virtio_pci_modern_probe(d) == 0 || virtio_pci_legacy_probe(d) == 0)
		d->claimed = true;
}

void virtio_init(void)
{
	unsigned int n = pci_enumerate(), i;


	if (n)
		printk("pci: %u functions found through %s\n", n, pci_access_name());
	for (i = 0; i < n; i++)
		virtio_pci_probe_one(pci_get(i));
	virtio_mmio_scan();
}

/* Move device @name from MSI-X to INTx; 0, -ENODEV, -EINVAL (no MSI-X), -EIO. */
int virtio_force_intx(const char *name)
{
	char mode[40];

	for (unsigned int i = 0; i < vt_ndevices; i++) {
		struct vt_device *vt = &vt_devices[i];

		if (strcmp(vt->name, name) != 0)
			continue;
		if (vt->irq_mode != VT_IRQ_MSIX || !vt->force_intx) {
			printk("virtio: %s does not use MSI-X\n", vt->name);
			return -EINVAL;
		}
		vt->force_intx(vt);
		printk("virtio: %s now uses %s\n", vt->name, vt_irq_mode_name(vt, mode, sizeof(mode)));
		return vt->irq_mode == VT_IRQ_INTX ? 0 : -EIO;
	}
	return -ENODEV;
}

/* Print each device: transport, interrupt mode, counts, MSI-X vectors. */
void virtio_show_devices(void)
{
	char mode[40];

	if (!vt_ndevices)
		printk("virtio: no devices\n");
	for (unsigned int i = 0; i < vt_ndevices; i++) {
		struct vt_device *vt = &vt_devices[i];

		printk("%s: device %u via %s, interrupts %s\n", vt->name, vt->vdev.device_id,
		       vt->vdev.config->name, vt_irq_mode_name(vt, mode, sizeof(mode)));
		printk("  irqs %lu config %lu queue %lu spurious %lu\n", vt->irqs, vt->config_irqs,
		       vt->queue_irqs, vt->spurious_irqs);
		for (unsigned int k = 0; k < vt->msix_nvec; k++)
			printk("  msix entry %u -> vector %d (%s)\n", k, vt->msix[k].vector,
			       vt->msix[k].name);
	}
}
