/*
 * virtio_transport.h - what the three transports (PCI modern, PCI legacy,
 * MMIO) share: queue memory, interrupt dispatch, bounded waits, the device
 * table and the driver probe. Private to drivers/virtio/.
 */
#ifndef DRIVERS_VIRTIO_TRANSPORT_H
#define DRIVERS_VIRTIO_TRANSPORT_H

#include <drivers/virtio.h>
#include <drivers/virtqueue.h>
#include <drivers/pci.h>

#define VT_MAX_QUEUES	8
#define VT_MAX_DEVICES	8

enum vt_irq_mode { VT_IRQ_NONE, VT_IRQ_INTX, VT_IRQ_MSIX };

/* One queue: the virtqueue and the memory under it. */
struct vt_queue {
	struct virtqueue *vq;
	void *ring, *state;
	unsigned int ring_order, state_order;
	volatile void *notify_addr;	/* modern/mmio notify register */
	uint16_t notify_data;
	int msix_entry;			/* MSI-X table entry that signals it, -1 if none */
};

struct vt_device;

/* One MSI-X vector of a device: which entry it is, for the handler. */
struct vt_msix_vec {
	struct vt_device *vt;
	unsigned int entry;		/* 0: configuration changes */
	int vector;			/* CPU vector, -1 if none */
	char name[32];			/* shown by `irqs` */
};

/* One device as a transport sees it. */
struct vt_device {
	struct virtio_device vdev;
	struct vt_queue q[VT_MAX_QUEUES];
	enum vt_irq_mode irq_mode;
	int gsi;			/* INTx / MMIO line, -1 if none */
	char name[24];
	/* transport state */
	struct pci_dev *pdev;
	uint16_t io;			/* legacy PCI: I/O BAR */
	volatile uint8_t *common, *isr, *devcfg, *notify_base; /* modern PCI */
	uint32_t notify_mult, notify_len;
	volatile uint8_t *mmio;		/* virtio-mmio registers */
	uint32_t mmio_version;
	bool msix_config;		/* legacy: config moved to 24 */
	struct vt_msix_vec msix[VT_MAX_QUEUES + 1];
	unsigned int msix_nvec;		/* entries in use (0: no MSI-X) */
	char irq_name[32];		/* INTx / MMIO line name, shown by `irqs` */
	void (*force_intx)(struct vt_device *vt); /* modern PCI: the MSI-X fallback, on demand */
	unsigned long irqs, config_irqs, queue_irqs, spurious_irqs;
};

static inline struct vt_device *to_vt(struct virtio_device *vdev)
{
	return container_of(vdev, struct vt_device, vdev);
}

/* A fresh device slot (zeroed), or NULL when the table is full. */
struct vt_device *vt_alloc_device(void);
/* Allocate ring + state for queue @index of @size entries and create it. */
int vt_queue_create(struct vt_device *vt, unsigned int index, unsigned int size, bool legacy,
		    const char *name, void (*callback)(struct virtqueue *vq),
		    bool (*notify)(struct virtqueue *vq));
/* Free queue @index's memory (after a reset, or a failed setup). */
void vt_queue_free(struct vt_device *vt, unsigned int index);
/* Free every queue's memory (after a reset). */
void vt_queues_free(struct vt_device *vt);
/*
 * Interrupt body: @isr bit 0 -> queues, bit 1 -> config change; 0 counts
 * as spurious (a shared line, or a device that raised nothing).
 */
void vt_dispatch(struct vt_device *vt, uint32_t isr);
/*
 * MSI-X handler body for vector @v: its queues that have used buffers, and
 * config changes on entry 0; a queue vector with nothing used is spurious.
 */
void vt_msix_dispatch(struct vt_msix_vec *v);
/* A device's interrupt mode as text ("MSI-X (3 vectors)", "INTx GSI 16", ...). */
const char *vt_irq_mode_name(const struct vt_device *vt, char *buf, size_t len);
/* Poll @done(@arg) until true or @ms milliseconds pass; true if done. */
bool vt_wait(bool (*done)(void *arg), void *arg, unsigned int ms);
/* Hand a ready device to its driver. */
void vt_probe_driver(struct vt_device *vt);

/* Transports: try to take @pdev / the MMIO slot at @pa; 0 on success. */
int virtio_pci_modern_probe(struct pci_dev *pdev);
int virtio_pci_legacy_probe(struct pci_dev *pdev);
int virtio_mmio_probe(phys_addr_t pa, int gsi, bool level, bool active_low);
/* Find virtio-mmio slots (DSDT, else the microvm window) and probe them. */
void virtio_mmio_scan(void);

#endif
