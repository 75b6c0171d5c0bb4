/*
 * virtio.h - the transport-neutral virtio device API.
 *
 * A virtio driver (the balloon) sees a device only through struct
 * virtio_device and its struct virtio_config_ops; the PCI (modern and
 * legacy) and MMIO transports implement the ops. Queues are split
 * virtqueues (include/drivers/virtqueue.h) that the transport sets up over
 * memory it allocates.
 *
 * Initialization follows the spec's sequence: reset, ACKNOWLEDGE, DRIVER,
 * read features, write the accepted subset (finalize_features), set
 * FEATURES_OK and read it back (VERSION_1 devices), set up queues, then
 * DRIVER_OK. The helpers below are thin wrappers over the ops.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include <kernel/compiler.h>

/* Device status bits (the spec's "Device Status Field"). */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE	1
#define VIRTIO_CONFIG_S_DRIVER		2
#define VIRTIO_CONFIG_S_DRIVER_OK	4
#define VIRTIO_CONFIG_S_FEATURES_OK	8
#define VIRTIO_CONFIG_S_NEEDS_RESET	64
#define VIRTIO_CONFIG_S_FAILED		128

/* Device-independent feature bit numbers. */
#define VIRTIO_F_NOTIFY_ON_EMPTY	24	/* legacy only */
#define VIRTIO_F_ANY_LAYOUT		27	/* legacy only */
#define VIRTIO_F_RING_INDIRECT_DESC	28
#define VIRTIO_F_RING_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33
#define VIRTIO_F_RING_PACKED		34
#define VIRTIO_F_IN_ORDER		35
#define VIRTIO_F_ORDER_PLATFORM		36
#define VIRTIO_F_SR_IOV			37
#define VIRTIO_F_NOTIFICATION_DATA	38

/* Device IDs this tree cares about. */
#define VIRTIO_ID_NET			1
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_ID_RNG			4
#define VIRTIO_ID_BALLOON		5
#define VIRTIO_ID_MEM			24

struct virtio_device;
struct virtqueue;

/*
 * What a transport provides. Contracts:
 *  get_status/set_status  read/write the device status byte; set_status(0)
 *                         is not a reset, use reset().
 *  reset                  resets the device and returns once the device
 *                         reports status 0; afterwards the device no longer
 *                         touches any ring, so queues may be torn down.
 *  get_features           the feature bits the device offers (bits >= 32 are
 *                         0 on legacy transports).
 *  finalize_features      writes vdev->features (the accepted subset) to the
 *                         device; -EINVAL if the transport cannot express it
 *                         (e.g. bit >= 32 on legacy). Does not set FEATURES_OK.
 *  read_config            reads `size` (1, 2 or 4) bytes of device config at
 *                         `offset`, returned in CPU order (little-endian on
 *                         the wire for modern devices and for the balloon).
 *  write_config           the same, writing.
 *  generation             config generation counter, or NULL if the
 *                         transport has none (legacy).
 *  setup_vq               discovers queue `index`, sizes it to at most
 *                         `size_cap` entries, allocates and programs its rings
 *                         and returns it in *out; `callback` runs from the
 *                         queue's interrupt. -ENOENT if the queue does not
 *                         exist, -ENOMEM, -EINVAL.
 *  del_vqs                frees every queue of the device; call after reset.
 *  notify                 tells the device that queue `vq` has new buffers;
 *                         false if the device is gone (the queue then breaks).
 */
struct virtio_config_ops {
	const char *name;	/* "virtio-pci-modern", "virtio-pci-legacy", "virtio-mmio" */
	uint8_t (*get_status)(struct virtio_device *vdev);
	void (*set_status)(struct virtio_device *vdev, uint8_t status);
	void (*reset)(struct virtio_device *vdev);
	uint64_t (*get_features)(struct virtio_device *vdev);
	int (*finalize_features)(struct virtio_device *vdev);
	uint32_t (*read_config)(struct virtio_device *vdev, unsigned int offset,
				unsigned int size);
	void (*write_config)(struct virtio_device *vdev, unsigned int offset,
			     unsigned int size, uint32_t val);
	uint32_t (*generation)(struct virtio_device *vdev);
	int (*setup_vq)(struct virtio_device *vdev, unsigned int index,
			unsigned int size_cap, const char *name,
			void (*callback)(struct virtqueue *vq),
			struct virtqueue **out);
	void (*del_vqs)(struct virtio_device *vdev);
	bool (*notify)(struct virtqueue *vq);
};

/* One virtio device, as the driver sees it. */
struct virtio_device {
	const char *name;			/* e.g. "virtio-balloon0" */
	uint32_t device_id;			/* VIRTIO_ID_* */
	uint32_t vendor_id;
	uint64_t features;			/* accepted by the driver */
	const struct virtio_config_ops *config;
	void *transport_priv;			/* owned by the transport */
	void *priv;				/* owned by the driver */
	void (*config_changed)(struct virtio_device *vdev); /* set by the driver */
	bool has_irq;		/* the transport routed an interrupt; else drivers must poll */
};

/* True if feature bit @fbit was accepted (is in vdev->features). */
static inline bool virtio_has_feature(const struct virtio_device *vdev,
				      unsigned int fbit)
{
	return fbit < 64 && (vdev->features >> fbit) & 1;
}

/* True if the device runs in legacy (pre-1.0) mode. */
static inline bool virtio_is_legacy(const struct virtio_device *vdev)
{
	return !virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
}

/* OR @status into the device status byte. */
static inline void virtio_add_status(struct virtio_device *vdev, uint8_t status)
{
	vdev->config->set_status(vdev, vdev->config->get_status(vdev) | status);
}

/* Config space accessors, CPU order. */
static inline uint8_t virtio_cread8(struct virtio_device *vdev, unsigned int off)
{
	return (uint8_t)vdev->config->read_config(vdev, off, 1);
}

static inline uint16_t virtio_cread16(struct virtio_device *vdev, unsigned int off)
{
	return (uint16_t)vdev->config->read_config(vdev, off, 2);
}

static inline uint32_t virtio_cread32(struct virtio_device *vdev, unsigned int off)
{
	return vdev->config->read_config(vdev, off, 4);
}

static inline void virtio_cwrite8(struct virtio_device *vdev, unsigned int off, uint8_t v)
{
	vdev->config->write_config(vdev, off, 1, v);
}

static inline void virtio_cwrite16(struct virtio_device *vdev, unsigned int off, uint16_t v)
{
	vdev->config->write_config(vdev, off, 2, v);
}

static inline void virtio_cwrite32(struct virtio_device *vdev, unsigned int off, uint32_t v)
{
	vdev->config->write_config(vdev, off, 4, v);
}

/* Enumerate PCI and virtio-mmio and probe every virtio device (kmain, after mm). */
void virtio_init(void);
/* Print every device: transport, interrupt mode and counts, MSI-X vectors (`virtio`). */
void virtio_show_devices(void);
/*
 * Drop MSI-X for INTx on the device named @name, the path a refused vector
 * takes (tests the fallback); prints the outcome. 0 if it now uses INTx,
 * -ENODEV if no device has that name, -EINVAL if it does not use MSI-X,
 * -EIO if the fallback left it without INTx.
 */
int virtio_force_intx(const char *name);

#endif
