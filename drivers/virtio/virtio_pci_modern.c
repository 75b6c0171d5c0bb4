/*
 * virtio_pci_modern.c - the virtio 1.x PCI transport.
 *
 * The device describes its register blocks with vendor-specific PCI
 * capabilities (cfg_type 1 common, 2 notify, 3 ISR, 4 device config), each
 * a window {bar, offset, length} into a memory BAR. The common block holds
 * the feature and queue select/value registers; a queue's notify register
 * is notify_base + queue_notify_off * notify_off_multiplier.
 *
 * Interrupts: MSI-X when the function has a table - entry 0 for
 * configuration changes and one entry per queue when there are enough
 * (else the queues share entry 1, or with a single entry everything shares
 * entry 0), each on its own CPU vector. The spec makes the driver read back
 * every vector it writes (msix_config, queue_msix_vector): a device that
 * answers VIRTIO_MSI_NO_VECTOR could not map it. Then MSI-X is turned off
 * for the whole device and it falls back to INTx, where reading the ISR
 * byte both reports the cause and deasserts the line.
 *
 * Every window is checked to lie inside its BAR before use; a device whose
 * capabilities do not add up is left alone (the legacy transport may still
 * take a transitional device).
 */
#include "virtio_transport.h"
#include <kernel/printk.h>
#include <arch/io.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <errno.h>
#include <stdio.h>

/* Common configuration registers (offsets). */
#define VPC_DFSELECT	0
#define VPC_DF		4
#define VPC_GFSELECT	8
#define VPC_GF		12
#define VPC_MSIX_CONFIG	16
#define VPC_NUM_QUEUES	18
#define VPC_STATUS	20
#define VPC_GENERATION	21
#define VPC_Q_SELECT	22
#define VPC_Q_SIZE	24
#define VPC_Q_MSIX	26
#define VPC_Q_ENABLE	28
#define VPC_Q_NOFF	30
#define VPC_Q_DESC	32
#define VPC_Q_AVAIL	40
#define VPC_Q_USED	48
#define VIRTIO_MSI_NO_VECTOR 0xffff

#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4

static void vpm_msix_fallback(struct vt_device *vt);

static uint8_t vpm_get_status(struct virtio_device *vdev)
{
	return mmio_read8(to_vt(vdev)->common + VPC_STATUS);
}

static void vpm_set_status(struct virtio_device *vdev, uint8_t s)
{
	mmio_write8(to_vt(vdev)->common + VPC_STATUS, s);
}

static bool vpm_status_zero(void *arg)
{
	return mmio_read8((volatile uint8_t *)arg + VPC_STATUS) == 0;
}

/* Reset and wait (bounded, 1 s) for the device to read back status 0. */
static void vpm_reset(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);

	mmio_write8(vt->common + VPC_STATUS, 0);
	if (!vt_wait(vpm_status_zero, (void *)vt->common, 1000))
		pr_err("virtio %s: device did not finish its reset within 1 s\n", vt->name);
	/* a reset forgets msix_config; queue vectors come back with setup_vq */
	if (vt->irq_mode == VT_IRQ_MSIX) {
		mmio_write16(vt->common + VPC_MSIX_CONFIG, 0);
		if (mmio_read16(vt->common + VPC_MSIX_CONFIG) != 0) {
			pr_warn("virtio %s: config MSI-X vector refused after reset\n", vt->name);
			vpm_msix_fallback(vt);
		}
	}
}

static uint64_t vpm_get_features(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);
	uint64_t f;

	mmio_write32(vt->common + VPC_DFSELECT, 0);
	f = mmio_read32(vt->common + VPC_DF);
	mmio_write32(vt->common + VPC_DFSELECT, 1);
	f |= (uint64_t)mmio_read32(vt->common + VPC_DF) << 32;
	return f;
}

static int vpm_finalize_features(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);

	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return -EINVAL;
	mmio_write32(vt->common + VPC_GFSELECT, 0);
	mmio_write32(vt->common + VPC_GF, (uint32_t)vdev->features);
	mmio_write32(vt->common + VPC_GFSELECT, 1);
	mmio_write32(vt->common + VPC_GF, (uint32_t)(vdev->features >> 32));
	return 0;
}

static uint32_t vpm_generation(struct virtio_device *vdev)
{
	return mmio_read8(to_vt(vdev)->common + VPC_GENERATION);
}

/* Device config read, retried (bounded) until the generation is stable. */
static uint32_t vpm_read_config(struct virtio_device *vdev, unsigned int off, unsigned int size)
{
	struct vt_device *vt = to_vt(vdev);
	uint32_t v = 0, g;

	for (int tries = 0; tries < 16; tries++) {
		g = vpm_generation(vdev);
		if (size == 1)
			v = mmio_read8(vt->devcfg + off);
		else if (size == 2)
			v = mmio_read16(vt->devcfg + off);
		else
			v = mmio_read32(vt->devcfg + off);
		if (vpm_generation(vdev) == g)
			break;
	}
	return v;
}

static void vpm_write_config(struct virtio_device *vdev, unsigned int off, unsigned int size,
			     uint32_t v)
{
	struct vt_device *vt = to_vt(vdev);

	if (size == 1)
		mmio_write8(vt->devcfg + off, (uint8_t)v);
	else if (size == 2)
		mmio_write16(vt->devcfg + off, (uint16_t)v);
	else
		mmio_write32(vt->devcfg + off, v);
}

static bool vpm_notify(struct virtqueue *vq)
{
	struct vt_device *vt = virtqueue_priv(vq);
	struct vt_queue *q = &vt->q[virtqueue_index(vq)];

	mmio_write16(q->notify_addr, q->notify_data);
	return true;
}

static int vpm_setup_vq(struct virtio_device *vdev, unsigned int index, unsigned int size_cap,
			const char *name, void (*callback)(struct virtqueue *vq),
			struct virtqueue **out)
{
	struct vt_device *vt = to_vt(vdev);
	volatile uint8_t *c = vt->common;
	unsigned int size, noff;
	struct vt_queue *q;
	int err;

	if (index >= VT_MAX_QUEUES || index >= mmio_read16(c + VPC_NUM_QUEUES))
		return -ENOENT;
	mmio_write16(c + VPC_Q_SELECT, (uint16_t)index);
	size = mmio_read16(c + VPC_Q_SIZE);
	if (size == 0)
		return -ENOENT;
	if (mmio_read16(c + VPC_Q_ENABLE))
		return -EBUSY;
	if (size > size_cap)
		size = size_cap;
	while (size & (size - 1))		/* largest power of two <= size */
		size &= size - 1;
	err = vt_queue_create(vt, index, size, false, name, callback, vpm_notify);
	if (err)
		return err;
	q = &vt->q[index];
	noff = mmio_read16(c + VPC_Q_NOFF);
	if ((uint64_t)noff * vt->notify_mult + 2 > vt->notify_len) {
		pr_err("virtio %s: queue %u notify offset %u lies outside the notify window\n",
		       vt->name, index, noff);
		vt_queue_free(vt, index);
		return -EINVAL;
	}
	q->notify_addr = vt->notify_base + (size_t)noff * vt->notify_mult;
	q->notify_data = (uint16_t)index;
	mmio_write16(c + VPC_Q_SIZE, (uint16_t)size);
	mmio_write64(c + VPC_Q_DESC, virtqueue_desc_pa(q->vq));
	mmio_write64(c + VPC_Q_AVAIL, virtqueue_avail_pa(q->vq));
	mmio_write64(c + VPC_Q_USED, virtqueue_used_pa(q->vq));
	if (vt->irq_mode == VT_IRQ_MSIX) {
		unsigned int entry = index + 1 < vt->msix_nvec ? index + 1 : vt->msix_nvec > 1 ? 1 : 0;

		mmio_write16(c + VPC_Q_MSIX, (uint16_t)entry);
		if (mmio_read16(c + VPC_Q_MSIX) == entry) {
			q->msix_entry = (int)entry;
		} else {
			pr_warn("virtio %s: queue %u refused MSI-X entry %u; falling back to INTx\n",
				vt->name, index, entry);
			vpm_msix_fallback(vt);
			mmio_write16(c + VPC_Q_SELECT, (uint16_t)index);	/* the fallback moved it */
		}
	}
	mmio_write16(c + VPC_Q_ENABLE, 1);
	*out = q->vq;
	return 0;
}

static void vpm_del_vqs(struct virtio_device *vdev)
{
	vt_queues_free(to_vt(vdev));
}

static const struct virtio_config_ops vpm_ops = {
	.name = "virtio-pci-modern",
	.get_status = vpm_get_status,
	.set_status = vpm_set_status,
	.reset = vpm_reset,
	.get_features = vpm_get_features,
	.finalize_features = vpm_finalize_features,
	.read_config = vpm_read_config,
	.write_config = vpm_write_config,
	.generation = vpm_generation,
	.setup_vq = vpm_setup_vq,
	.del_vqs = vpm_del_vqs,
	.notify = vpm_notify,
};

/* INTx: the ISR read tells why and lowers the line. */
static void vpm_intx_irq(struct regs *r, void *ctx)
{
	struct vt_device *vt = ctx;

	vt_dispatch(vt, mmio_read8(vt->isr));
}

static void vpm_msix_irq(struct regs *r, void *ctx)
{
	vt_msix_dispatch(ctx);
}

/* Route INTx through the IOAPIC; false if the line has no GSI or no vector. */
static bool vpm_setup_intx(struct vt_device *vt)
{
	bool level, active_low;

	vt->gsi = pci_intx_gsi(vt->pdev, &level, &active_low);
	if (vt->gsi < 0)
		return false;
	snprintf(vt->irq_name, sizeof(vt->irq_name), "%s INTx", vt->name);
	if (irq_register_gsi((unsigned)vt->gsi, level, active_low, vt->irq_name, vpm_intx_irq,
			     vt) < 0)
		return false;
	vt->irq_mode = VT_IRQ_INTX;
	return true;
}

/*
 * Give up on MSI-X: no vectors in the device, vectors freed, INTx instead.
 * Safe with live queues (the `virtio intx` shell command uses it to test
 * this path): interrupts are off while the mode changes.
 */
static void vpm_msix_fallback(struct vt_device *vt)
{
	volatile uint8_t *c = vt->common;
	unsigned long flags;

	if (vt->irq_mode != VT_IRQ_MSIX)
		return;
	flags = local_irq_save();
	mmio_write16(c + VPC_MSIX_CONFIG, VIRTIO_MSI_NO_VECTOR);
	for (unsigned int i = 0; i < VT_MAX_QUEUES; i++) {
		if (vt->q[i].msix_entry < 0)
			continue;
		mmio_write16(c + VPC_Q_SELECT, (uint16_t)i);
		mmio_write16(c + VPC_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
		vt->q[i].msix_entry = -1;
	}
	pci_msix_disable(vt->pdev);
	for (unsigned int k = 0; k < vt->msix_nvec; k++)
		irq_free_vector(vt->msix[k].vector);
	vt->msix_nvec = 0;
	vt->irq_mode = VT_IRQ_NONE;
	if (!vpm_setup_intx(vt))
		pr_warn("virtio %s: no INTx line either; the driver has to poll\n", vt->name);
	vt->vdev.has_irq = vt->irq_mode != VT_IRQ_NONE;
	local_irq_restore(flags);
	/* anything that arrived while switching is found on the ISR/used rings */
	if (vt->irq_mode == VT_IRQ_INTX) {
		uint8_t isr = mmio_read8(vt->isr);

		if (isr)
			vt_dispatch(vt, isr);
	}
}

/*
 * MSI-X: entry 0 for config changes, then one per queue while the table
 * lasts. The config vector is written and read back here; queue vectors
 * are in vpm_setup_vq. false (nothing left enabled) if MSI-X cannot work.
 */
static bool vpm_setup_msix(struct vt_device *vt)
{
	struct pci_dev *d = vt->pdev;
	unsigned int nq = mmio_read16(vt->common + VPC_NUM_QUEUES), n, k;
	int vec[VT_MAX_QUEUES + 1];

	if (!d->msix_cap || d->msix_entries < 1)
		return false;
	n = 1 + MIN(nq, (unsigned int)VT_MAX_QUEUES);
	n = MIN(n, (unsigned int)d->msix_entries);
	for (k = 0; k < n; k++) {
		struct vt_msix_vec *v = &vt->msix[k];

		v->vt = vt;
		v->entry = k;
		if (k == 0)
			snprintf(v->name, sizeof(v->name), "%s config", vt->name);
		else if (k + 1 == n && n < 1 + nq)
			snprintf(v->name, sizeof(v->name), "%s q%u+", vt->name, k - 1);
		else
			snprintf(v->name, sizeof(v->name), "%s q%u", vt->name, k - 1);
		v->vector = vec[k] = irq_alloc_vector_named(v->name, vpm_msix_irq, v);
		if (v->vector < 0)
			break;
	}
	if (k < n || pci_msix_enable(d, vec, n) != 0) {
		for (unsigned int j = 0; j < k; j++)
			irq_free_vector(vec[j]);
		return false;
	}
	vt->msix_nvec = n;
	vt->irq_mode = VT_IRQ_MSIX;
	mmio_write16(vt->common + VPC_MSIX_CONFIG, 0);
	if (mmio_read16(vt->common + VPC_MSIX_CONFIG) != 0) {
		pr_warn("virtio %s: device refused the config MSI-X vector\n", vt->name);
		pci_msix_disable(d);
		for (k = 0; k < n; k++)
			irq_free_vector(vec[k]);
		vt->msix_nvec = 0;
		vt->irq_mode = VT_IRQ_NONE;
		return false;
	}
	return true;
}

/* Set up interrupts: MSI-X (config + queues) if possible, else INTx. */
static void vpm_setup_irq(struct vt_device *vt)
{
	if (vpm_setup_msix(vt))
		return;
	vpm_setup_intx(vt);
}

/* Map the window of capability @cap; NULL if it falls outside its BAR. */
static volatile uint8_t *vpm_map_cap(struct pci_dev *d, unsigned int cap, uint32_t minlen)
{
	unsigned int bar = pci_read8(d, cap + 4);
	uint32_t off = pci_read32(d, cap + 8), len = pci_read32(d, cap + 12);
	uint8_t *base;

	if (bar >= PCI_NUM_BARS || len < minlen || (uint64_t)off + len > d->bar[bar].size)
		return NULL;
	base = pci_map_bar(d, bar);
	return base ? (volatile uint8_t *)base + off : NULL;
}

int virtio_pci_modern_probe(struct pci_dev *d)
{
	volatile uint8_t *common = NULL, *isr = NULL, *devcfg = NULL, *notify = NULL;
	uint32_t mult = 0, nlen = 0;
	unsigned int cap = 0, id;
	struct vt_device *vt;

	while ((cap = pci_find_cap(d, PCI_CAP_ID_VNDR, cap)) != 0) {
		switch (pci_read8(d, cap + 3)) {
		case CAP_COMMON:
			if (!common)
				common = vpm_map_cap(d, cap, 56);
			break;
		case CAP_NOTIFY:
			if (!notify) {
				notify = vpm_map_cap(d, cap, 2);
				mult = pci_read32(d, cap + 16);
				nlen = pci_read32(d, cap + 12);
			}
			break;
		case CAP_ISR:
			if (!isr)
				isr = vpm_map_cap(d, cap, 1);
			break;
		case CAP_DEVICE:
			if (!devcfg)
				devcfg = vpm_map_cap(d, cap, 4);
			break;
		}
	}
	if (!common || !isr || !notify || !devcfg)
		return -ENODEV;
	id = d->device >= 0x1040 ? d->device - 0x1040u : d->subsys_id;
	vt = vt_alloc_device();
	if (!vt)
		return -ENOMEM;
	pci_enable(d);
	vt->pdev = d;
	vt->common = common;
	vt->isr = isr;
	vt->devcfg = devcfg;
	vt->notify_base = notify;
	vt->notify_mult = mult;
	vt->notify_len = nlen;
	snprintf(vt->name, sizeof(vt->name), "virtio@%02x:%02x.%x", d->bus, d->dev, d->fn);
	vt->vdev.name = vt->name;
	vt->vdev.device_id = id;
	vt->vdev.vendor_id = d->subsys_id;
	vt->vdev.config = &vpm_ops;
	vt->force_intx = vpm_msix_fallback;
	vpm_reset(&vt->vdev);
	vpm_setup_irq(vt);
	vt_probe_driver(vt);
	return 0;
}
