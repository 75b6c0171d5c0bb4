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

#endif
