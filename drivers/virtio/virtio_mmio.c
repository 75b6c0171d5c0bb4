/*
 * virtio_mmio.c - the virtio-mmio transport (QEMU's microvm without PCI).
 *
 * Each device is a 0x200-byte register window: magic "virt" (0x74726976)
 * at 0, version (1 legacy, 2 modern) at 4, device id at 8 (0: empty slot),
 * feature and queue select/value registers, InterruptStatus/ACK at
 * 0x60/0x64, status at 0x70, queue addresses at 0x80-0xa4 (modern) or a
 * page frame number at 0x40 (legacy, with GuestPageSize and QueueAlign),
 * config generation at 0xfc and device config from 0x100.
 *
 * Discovery: the DSDT describes each slot as a device with _HID
 * "LNRO0005" whose _CRS holds a Memory32Fixed window and an extended
 * interrupt (level, active high on QEMU), found by acpi_for_each_device().
 * Without ACPI, QEMU appends "virtio_mmio.device=512@0xfeb00e00:12" words
 * (size@base:GSI) to the kernel command line; we take those. Failing both,
 * we probe QEMU's microvm window, 0xfeb00000 + n * 0x200, for the magic and
 * leave such devices without an interrupt (the driver then polls, and the
 * log says so).
 *
 * Interrupts: QEMU's microvm wires slot n to GSI 16 + n with one IOAPIC,
 * or to GSI 24 + n on its second IOAPIC (the default with ACPI); both are
 * routed. The handler reads InterruptStatus, acknowledges exactly those
 * bits, and treats 0 as spurious.
 */
#include "virtio_transport.h"
#include <kernel/printk.h>
#include <arch/io.h>
#include <arch/x86.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <kernel/kernel.h>

#define VMM_MAGIC		0x000
#define VMM_VERSION		0x004
#define VMM_DEVICE_ID		0x008
#define VMM_VENDOR_ID		0x00c
#define VMM_DEV_FEATURES	0x010
#define VMM_DEV_FEATURES_SEL	0x014
#define VMM_DRV_FEATURES	0x020
#define VMM_DRV_FEATURES_SEL	0x024
#define VMM_GUEST_PAGE_SIZE	0x028
#define VMM_QUEUE_SEL		0x030
#define VMM_QUEUE_NUM_MAX	0x034
#define VMM_QUEUE_NUM		0x038
#define VMM_QUEUE_ALIGN		0x03c
#define VMM_QUEUE_PFN		0x040
#define VMM_QUEUE_READY		0x044
#define VMM_QUEUE_NOTIFY	0x050
#define VMM_INT_STATUS		0x060
#define VMM_INT_ACK		0x064
#define VMM_STATUS		0x070
#define VMM_QUEUE_DESC		0x080
#define VMM_QUEUE_AVAIL		0x090
#define VMM_QUEUE_USED		0x0a0
#define VMM_GENERATION		0x0fc
#define VMM_CONFIG		0x100
#define VMM_MAGIC_VALUE		0x74726976u

#define MICROVM_MMIO_BASE	0xfeb00000ull
#define MICROVM_MMIO_SLOTS	24
#define MMIO_SLOT_SIZE		0x200

static inline uint32_t rd(struct vt_device *vt, unsigned int off)
{
	return mmio_read32(vt->mmio + off);
}

static inline void wr(struct vt_device *vt, unsigned int off, uint32_t v)
{
	mmio_write32(vt->mmio + off, v);
}

static uint8_t vmm_get_status(struct virtio_device *vdev)
{
	return (uint8_t)rd(to_vt(vdev), VMM_STATUS);
}

static void vmm_set_status(struct virtio_device *vdev, uint8_t s)
{
	wr(to_vt(vdev), VMM_STATUS, s);
}

static bool vmm_status_zero(void *arg)
{
	return rd(arg, VMM_STATUS) == 0;
}

static void vmm_reset(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);

	wr(vt, VMM_STATUS, 0);
	if (!vt_wait(vmm_status_zero, vt, 1000))
		pr_err("virtio %s: device did not finish its reset within 1 s\n", vt->name);
}

static uint64_t vmm_get_features(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);
	uint64_t f;

	wr(vt, VMM_DEV_FEATURES_SEL, 0);
	f = rd(vt, VMM_DEV_FEATURES);
	wr(vt, VMM_DEV_FEATURES_SEL, 1);
	f |= (uint64_t)rd(vt, VMM_DEV_FEATURES) << 32;
	return vt->mmio_version == 1 ? (uint32_t)f : f;
}

static int vmm_finalize_features(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);

	if (vt->mmio_version == 1 && (vdev->features >> 32))
		return -EINVAL;
	if (vt->mmio_version == 2 && !virtio_has_feature(vdev, VIRTIO_F_VERSION_1))
		return -EINVAL;
	wr(vt, VMM_DRV_FEATURES_SEL, 0);
	wr(vt, VMM_DRV_FEATURES, (uint32_t)vdev->features);
	wr(vt, VMM_DRV_FEATURES_SEL, 1);
	wr(vt, VMM_DRV_FEATURES, (uint32_t)(vdev->features >> 32));
	return 0;
}

static uint32_t vmm_generation(struct virtio_device *vdev)
{
	return rd(to_vt(vdev), VMM_GENERATION);
}

static uint32_t vmm_read_config(struct virtio_device *vdev, unsigned int off, unsigned int size)
{
	struct vt_device *vt = to_vt(vdev);
	volatile uint8_t *a = vt->mmio + VMM_CONFIG + off;
	uint32_t v = 0, g;

	for (int tries = 0; tries < 16; tries++) {
		g = vt->mmio_version == 2 ? vmm_generation(vdev) : 0;
		v = size == 1 ? mmio_read8(a) : size == 2 ? mmio_read16(a) : mmio_read32(a);
		if (vt->mmio_version != 2 || vmm_generation(vdev) == g)
			break;
	}
	return v;
}

static void vmm_write_config(struct virtio_device *vdev, unsigned int off, unsigned int size,
			     uint32_t v)
{
	volatile uint8_t *a = to_vt(vdev)->mmio + VMM_CONFIG + off;

	if (size == 1)
		mmio_write8(a, (uint8_t)v);
	else if (size == 2)
		mmio_write16(a, (uint16_t)v);
	else
		mmio_write32(a, v);
}

static bool vmm_notify(struct virtqueue *vq)
{
	struct vt_device *vt = virtqueue_priv(vq);

	wr(vt, VMM_QUEUE_NOTIFY, virtqueue_index(vq));
	return true;
}

static int vmm_setup_vq(struct virtio_device *vdev, unsigned int index, unsigned int size_cap,
			const char *name, void (*callback)(struct virtqueue *vq),
			struct virtqueue **out)
{
	struct vt_device *vt = to_vt(vdev);
	bool legacy = vt->mmio_version == 1;
	struct virtqueue *vq;
	unsigned int size;
	int err;

	if (index >= VT_MAX_QUEUES)
		return -ENOENT;
	wr(vt, VMM_QUEUE_SEL, index);
	if (rd(vt, legacy ? VMM_QUEUE_PFN : VMM_QUEUE_READY))
		return -EBUSY;
	size = rd(vt, VMM_QUEUE_NUM_MAX);
	if (size == 0)
		return -ENOENT;
	if (size > size_cap)
		size = size_cap;
	if (size > VIRTQ_MAX_SIZE)
		size = VIRTQ_MAX_SIZE;
	while (size & (size - 1))
		size &= size - 1;
	err = vt_queue_create(vt, index, size, legacy, name, callback, vmm_notify);
	if (err)
		return err;
	vq = vt->q[index].vq;
	wr(vt, VMM_QUEUE_NUM, size);
	if (legacy) {
		wr(vt, VMM_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);
		wr(vt, VMM_QUEUE_PFN, (uint32_t)(virtqueue_desc_pa(vq) >> 12));
	} else {
		wr(vt, VMM_QUEUE_DESC, (uint32_t)virtqueue_desc_pa(vq));
		wr(vt, VMM_QUEUE_DESC + 4, (uint32_t)(virtqueue_desc_pa(vq) >> 32));
		wr(vt, VMM_QUEUE_AVAIL, (uint32_t)virtqueue_avail_pa(vq));
		wr(vt, VMM_QUEUE_AVAIL + 4, (uint32_t)(virtqueue_avail_pa(vq) >> 32));
		wr(vt, VMM_QUEUE_USED, (uint32_t)virtqueue_used_pa(vq));
		wr(vt, VMM_QUEUE_USED + 4, (uint32_t)(virtqueue_used_pa(vq) >> 32));
		wr(vt, VMM_QUEUE_READY, 1);
	}
	*out = vq;
	return 0;
}

static void vmm_del_vqs(struct virtio_device *vdev)
{
	struct vt_device *vt = to_vt(vdev);

	for (unsigned int i = 0; i < VT_MAX_QUEUES; i++) {
		if (!vt->q[i].vq)
			continue;
		wr(vt, VMM_QUEUE_SEL, i);
		wr(vt, vt->mmio_version == 1 ? VMM_QUEUE_PFN : VMM_QUEUE_READY, 0);
	}
	vt_queues_free(vt);
}

static const struct virtio_config_ops vmm_ops = {
	.name = "virtio-mmio",
	.get_status = vmm_get_status,
	.set_status = vmm_set_status,
	.reset = vmm_reset,
	.get_features = vmm_get_features,
	.finalize_features = vmm_finalize_features,
	.read_config = vmm_read_config,
	.write_config = vmm_write_config,
	.generation = vmm_generation,
	.setup_vq = vmm_setup_vq,
	.del_vqs = vmm_del_vqs,
	.notify = vmm_notify,
};

static void vmm_irq(struct regs *r, void *ctx)
{
	struct vt_device *vt = ctx;
	uint32_t st = rd(vt, VMM_INT_STATUS) & 3;

	if (st)
		wr(vt, VMM_INT_ACK, st);
	vt_dispatch(vt, st);
}

int virtio_mmio_probe(phys_addr_t pa, int gsi, bool level, bool active_low)
{
	volatile uint8_t *regs = ioremap(pa, MMIO_SLOT_SIZE);
	struct vt_device *vt;
	uint32_t version, id;

	if (mmio_read32(regs + VMM_MAGIC) != VMM_MAGIC_VALUE)
		return -ENODEV;
	version = mmio_read32(regs + VMM_VERSION);
	id = mmio_read32(regs + VMM_DEVICE_ID);
	if (id == 0)
		return -ENODEV;		/* empty slot */
	if (version != 1 && version != 2) {
		pr_warn("virtio-mmio@%#lx: unknown version %u; ignored\n", (unsigned long)pa, version);
		return -ENODEV;
	}
	vt = vt_alloc_device();
	if (!vt)
		return -ENOMEM;
	vt->mmio = regs;
	vt->mmio_version = version;
	snprintf(vt->name, sizeof(vt->name), "virtio-mmio@%lx", (unsigned long)pa);
	vt->vdev.name = vt->name;
	vt->vdev.device_id = id;
	vt->vdev.vendor_id = mmio_read32(regs + VMM_VENDOR_ID);
	vt->vdev.config = &vmm_ops;
	vmm_reset(&vt->vdev);
	if (version == 1)
		wr(vt, VMM_GUEST_PAGE_SIZE, 4096);
	vt->gsi = gsi;
	snprintf(vt->irq_name, sizeof(vt->irq_name), "%s", vt->name);
	if (gsi >= 0 && irq_register_gsi((unsigned)gsi, level, active_low, vt->irq_name, vmm_irq,
					 vt) >= 0)
		vt->irq_mode = VT_IRQ_INTX;
	else
		pr_warn("virtio %s: %s; the driver polls it\n", vt->name,
			gsi < 0 ? "no interrupt line is known" : "its interrupt cannot be routed");
	vt_probe_driver(vt);
	return 0;
}

/* acpi_for_each_device() callback: one virtio-mmio slot of the DSDT. */
static void mmio_slot_found(const struct acpi_device *d, void *arg)
{
	unsigned int *found = arg;

	if (d->nmem < 1 || d->mem[0].len < MMIO_SLOT_SIZE)
		return;
	(*found)++;
	virtio_mmio_probe(d->mem[0].base, d->nirq ? (int)d->irq[0] : -1,
			  d->nirq ? d->irq_level : true, d->nirq ? d->irq_active_low : false);
}

/*
 * Probe the slots named by "virtio_mmio.device=SIZE@BASE:GSI" words on the
 * command line (QEMU adds them on microvm); returns how many were probed.
 */
static unsigned int virtio_mmio_scan_cmdline(void)
{
	static const char key[] = "virtio_mmio.device=";
	const char *p = boot_info.cmdline;
	unsigned int found = 0;

	while ((p = strstr(p, key)) != NULL) {
		char *e;
		unsigned long size, base, gsi;

		if (p != boot_info.cmdline && p[-1] != ' ') {
			p++;
			continue;
		}
		p += sizeof(key) - 1;
		size = strtoul(p, &e, 0);
		if (*e == 'K' || *e == 'k')
			size <<= 10, e++;
		if (*e != '@') {
			pr_warn("virtio-mmio: cannot parse '%.40s' on the command line\n", p);
			continue;
		}
		base = strtoul(e + 1, &e, 0);
		if (*e != ':' || size < MMIO_SLOT_SIZE) {
			pr_warn("virtio-mmio: cannot parse '%.40s' on the command line\n", p);
			continue;
		}
		gsi = strtoul(e + 1, &e, 0);
		found++;
		/* Linux's reading of this word: a level-triggered, active-high line */
		virtio_mmio_probe(base, gsi > 1023 ? -1 : (int)gsi, true, false);
	}
	return found;
}

void virtio_mmio_scan(void)
{
	unsigned int found = 0;

	acpi_for_each_device("LNRO0005", mmio_slot_found, &found);
	if (found || virtio_mmio_scan_cmdline())
		return;
	/* No PCI and no description: probe the microvm window. */
	if (pci_get(0))
		return;
	for (unsigned int i = 0; i < MICROVM_MMIO_SLOTS; i++)
		virtio_mmio_probe(MICROVM_MMIO_BASE + (phys_addr_t)i * MMIO_SLOT_SIZE, -1, false, false);
}
