/*
 * virtio_rng.c - a minimal virtio entropy device driver (device id 4).
 *
 * It exists to exercise the transports' queue interrupts on a device that
 * QEMU gives MSI-X (virtio-rng-pci has a `vectors` property; QEMU 7.2's
 * virtio-balloon-pci has none), and it is a real source of random bytes.
 *
 * Data structures: one request queue; one page that the device writes into.
 * A read posts one device-writable buffer, kicks, and waits - bounded - for
 * the queue callback, which runs only from the device's interrupt and sets
 * `done`. The waiting context (the shell) then takes the buffer back with
 * get_buf, so all queue calls happen in one context (the callback only
 * sets a flag). Invariant: at most one buffer is outstanding; a read that
 * times out leaves it outstanding and marks the device stuck (later reads
 * fail with -EIO instead of reusing the page the device may still write).
 */
#include "virtio_transport.h"
#include <drivers/virtio_rng.h>
#include <kernel/printk.h>
#include <mm/gfp.h>
#include <arch/x86.h>
#include <errno.h>
#include <string.h>

#define RNG_MAX_DEVICES	2
#define RNG_TIMEOUT_MS	2000

struct virtio_rng {
	struct virtio_device *vdev;
	struct virtqueue *vq;
	struct page *buf;
	volatile bool done;
	bool stuck;
	unsigned long reads, bytes, callbacks;
};

static struct virtio_rng rngs[RNG_MAX_DEVICES];
static unsigned int nrngs;

/* Queue callback (interrupt context): the device used our buffer (if one waits). */
static void rng_callback(struct virtqueue *vq)
{
	if (!virtqueue_more_used(vq))
		return;		/* spurious: nothing to take back */
	for (unsigned int i = 0; i < nrngs; i++)
		if (rngs[i].vq == vq) {
			rngs[i].callbacks++;
			rngs[i].done = true;
		}
}

static bool rng_done(void *arg)
{
	return ((struct virtio_rng *)arg)->done;
}

int virtio_rng_read(unsigned int i, void *out, size_t len)
{
	struct virtio_rng *r;
	struct vq_sg sg;
	uint32_t got = 0;
	void *tok;

	if (i >= nrngs)
		return -ENODEV;
	r = &rngs[i];
	if (r->stuck)
		return -EIO;
	if (len == 0 || len > PAGE_SIZE)
		return -EINVAL;
	sg.addr = page_to_phys(r->buf);
	sg.len = (uint32_t)len;
	r->done = false;
	if (virtqueue_add(r->vq, &sg, 0, 1, r) != 0 || !virtqueue_kick(r->vq))
		return -EIO;
	if (!vt_wait(rng_done, r, RNG_TIMEOUT_MS)) {
		r->stuck = true;
		pr_err("virtio-rng %s: no interrupt within %d ms; device marked stuck\n",
		       r->vdev->name, RNG_TIMEOUT_MS);
		return -ETIMEDOUT;
	}
	tok = virtqueue_get_buf(r->vq, &got);
	if (tok != r || got > len)
		return -EIO;
	memcpy(out, page_address(r->buf), got);
	r->reads++;
	r->bytes += got;
	return (int)got;
}

int virtio_rng_probe(struct virtio_device *vdev)
{
	const struct virtio_config_ops *ops = vdev->config;
	struct virtio_rng *r;
	int err;

	if (nrngs >= RNG_MAX_DEVICES)
		return -ENOSPC;
	if (!vdev->has_irq) {
		printk("virtio-rng %s: no interrupt; not used (this driver waits for interrupts)\n",
		       vdev->name);
		return -ENODEV;
	}
	r = &rngs[nrngs];
	memset(r, 0, sizeof(*r));
	r->vdev = vdev;
	r->buf = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	if (!r->buf)
		return -ENOMEM;
	ops->reset(vdev);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	vdev->features = ops->get_features(vdev) & (1ull << VIRTIO_F_VERSION_1);
	err = ops->finalize_features(vdev);
	if (!err && !virtio_is_legacy(vdev)) {
		virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
		if (!(ops->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK))
			err = -ENODEV;
	}
	if (!err)
		err = ops->setup_vq(vdev, 0, 64, "rng", rng_callback, &r->vq);
	if (err) {
		ops->reset(vdev);
		ops->del_vqs(vdev);
		virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
		__free_pages(r->buf, 0);
		pr_err("virtio-rng %s: setup failed (%d)\n", vdev->name, err);
		return err;
	}
	nrngs++;
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER_OK);
	printk("virtio-rng %s: ready (%s)\n", vdev->name, virtio_is_legacy(vdev) ? "legacy" : "1.0");
	return 0;
}

/* Number of devices taken. */
unsigned int virtio_rng_count(void)
{
	return nrngs;
}

/* Copy device @i's counters; -ENODEV if there is no device @i. */
int virtio_rng_get_stats(unsigned int i, struct virtio_rng_stats *st)
{
	if (i >= nrngs)
		return -ENODEV;
	st->reads = rngs[i].reads;
	st->bytes = rngs[i].bytes;
	st->callbacks = rngs[i].callbacks;
	return 0;
}
