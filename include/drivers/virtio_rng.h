/*
 * virtio_rng.h - the virtio entropy device (a small driver whose queue
 * interrupts prove the transports' MSI-X and INTx paths).
 */
#ifndef DRIVERS_VIRTIO_RNG_H
#define DRIVERS_VIRTIO_RNG_H

#include <kernel/compiler.h>

struct virtio_device;

/* Take a virtio entropy device; 0, or -ENODEV (no interrupt), -ENOMEM, ... */
int virtio_rng_probe(struct virtio_device *vdev);
/*
 * Fill @out with up to @len (1..4096) random bytes from device @i, waiting
 * (at most 2 s) for its interrupt; bytes read, or -ENODEV, -EINVAL, -EIO,
 * -ETIMEDOUT (the device is then left alone for good).
 */
int virtio_rng_read(unsigned int i, void *out, size_t len);

/* What device @i has done since boot. */
struct virtio_rng_stats {
	unsigned long reads;		/* virtio_rng_read() calls that got bytes */
	unsigned long bytes;		/* random bytes it returned */
	unsigned long callbacks;	/* queue interrupts that found a used buffer */
};

/* Number of virtio-rng devices taken (device numbers are 0..count-1). */
unsigned int virtio_rng_count(void);
/* Copy device @i's counters into *@st; 0, or -ENODEV if there is no device @i. */
int virtio_rng_get_stats(unsigned int i, struct virtio_rng_stats *st);

#endif
