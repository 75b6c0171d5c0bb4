/*
 * virtio_balloon.c - kernel glue of the virtio-balloon driver: probe, the
 * config-change and stats interrupts turned into work items, a slow poll
 * that covers devices without a usable interrupt, and the allocator's
 * deflate-on-OOM hook, and the work item that runs free page reporting
 * passes. The protocol logic is in virtio_balloon_core.c.
 *
 * Contexts: interrupt handlers only queue work. Every queue operation runs
 * in a work item (the idle loop), in the allocation slow path (OOM
 * deflate, trylock) or under compaction (migration, trylock).
 */
#include <drivers/virtio_balloon.h>
#include <kernel/work.h>
#include <kernel/printk.h>
#include <mm/slab.h>
#include <mm/page_alloc.h>
#include <arch/x86.h>
#include <errno.h>

#define VB_MAX_DEVICES		4
#define VB_BATCHES_PER_WORK	64	/* then yield to the shell, continue soon */
#define VB_POLL_MS		250

struct vb_kernel {
	struct virtio_balloon vb;
	struct work config_work, stats_work, poll_work, report_work;
	struct alloc_slowpath_hook oom_hook;
};

static struct vb_kernel *vb_devices[VB_MAX_DEVICES];
static unsigned int vb_ndevices;

static uint64_t vb_now_ms(void)
{
	return uptime_ns() / 1000000u;
}

static void vb_stats_callback(struct virtqueue *vq);
static void vb_schedule_reporting(struct virtio_balloon *vb, unsigned int delay_ms);

static const struct virtio_balloon_env vb_kernel_env = {
	.now_ms = vb_now_ms,
	.wait_poll = NULL,
	.stats_callback = vb_stats_callback,
	.schedule_reporting = vb_schedule_reporting,
};

/* Move toward the target; requeue while there is more to do. */
static void vb_config_work(struct work *w)
{
	struct vb_kernel *k = container_of(w, struct vb_kernel, config_work);
	int ret = virtio_balloon_step(&k->vb, VB_BATCHES_PER_WORK);

	if (ret == 1)
		work_queue(w);
	else if (ret == -ENOMEM || ret == -EAGAIN || ret == -EBUSY)
		work_queue_delayed(w, ret == -ENOMEM ? 1000 : 20);
}

static void vb_stats_work(struct work *w)
{
	struct vb_kernel *k = container_of(w, struct vb_kernel, stats_work);

	virtio_balloon_stats_service(&k->vb);
}

/* A free page reporting pass (mm/page_reporting.c requeues it when needed). */
static void vb_report_work(struct work *w)
{
	page_reporting_process();
}

/* page_reporting asks for a pass (any context, zone->lock may be held). */
static void vb_schedule_reporting(struct virtio_balloon *vb, unsigned int delay_ms)
{
	struct vb_kernel *k = container_of(vb, struct vb_kernel, vb);

	if (delay_ms)
		work_queue_delayed(&k->report_work, delay_ms);
	else
		work_queue(&k->report_work);
}

/* Slow poll: a missed or unroutable interrupt still gets served. */
static void vb_poll_work(struct work *w)
{
	struct vb_kernel *k = container_of(w, struct vb_kernel, poll_work);
	struct virtio_balloon *vb = &k->vb;

	if (vb->ready && !vb->broken) {
		uint32_t want = virtio_cread32(vb->vdev, VIRTIO_BALLOON_CFG_NUM_PAGES);

		if (want != vb->host_target || (vb->num_pages != vb->target && !vb->oom_hold))
			work_queue(&k->config_work);
		if (virtio_balloon_stats_pending(vb))
			work_queue(&k->stats_work);
	}
	work_queue_delayed(w, VB_POLL_MS);
}

/* Config-change interrupt (interrupt context): defer. */
static void vb_config_changed(struct virtio_device *vdev)
{
	struct vb_kernel *k = container_of((struct virtio_balloon *)vdev->priv, struct vb_kernel, vb);

	__atomic_fetch_add(&k->vb.config_events, 1, __ATOMIC_RELAXED);	/* any CPU's interrupt */
	work_queue(&k->config_work);
}

/* Stats queue interrupt (interrupt context): find the device, defer. */
static void vb_stats_callback(struct virtqueue *vq)
{
	for (unsigned int i = 0; i < vb_ndevices; i++)
		if (vb_devices[i]->vb.stats_vq == vq)
			work_queue(&vb_devices[i]->stats_work);
}

/* Allocation slow path: give pages back when the guest runs out. */
static int vb_oom_hook(gfp_t gfp, unsigned int order, void *priv)
{
	struct vb_kernel *k = priv;

	return virtio_balloon_oom_deflate(&k->vb, MAX((unsigned long)VB_OOM_PAGES, 1ul << order)) > 0;
}

int virtio_balloon_probe(struct virtio_device *vdev)
{
	struct vb_kernel *k;
	int err;

	if (vb_ndevices >= VB_MAX_DEVICES)
		return -ENOSPC;
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	work_init(&k->config_work, vb_config_work);
	work_init(&k->stats_work, vb_stats_work);
	work_init(&k->poll_work, vb_poll_work);
	work_init(&k->report_work, vb_report_work);
	err = virtio_balloon_init(&k->vb, vdev, &vb_kernel_env);
	if (err) {
		kfree(k);
		return err;
	}
	vdev->config_changed = vb_config_changed;
	vb_devices[vb_ndevices++] = k;
	if (virtio_has_feature(vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM)) {
		k->oom_hook.name = "virtio-balloon";
		k->oom_hook.stage = SLOWPATH_OOM;
		k->oom_hook.fn = vb_oom_hook;
		k->oom_hook.priv = k;
		register_alloc_slowpath_hook(&k->oom_hook);
	}
	printk("virtio-balloon %s: features %#llx (%s), target %u pages\n", vdev->name,
	       (unsigned long long)vdev->features, virtio_is_legacy(vdev) ? "legacy" : "1.0",
	       k->vb.target);
	work_queue(&k->config_work);
	if (!vdev->has_irq) {
		printk("virtio-balloon %s: no interrupt; polling every %d ms\n", vdev->name, VB_POLL_MS);
		work_queue_delayed(&k->poll_work, VB_POLL_MS);
	}
	return 0;
}

struct virtio_balloon *virtio_balloon_get(unsigned int i)
{
	return i < vb_ndevices ? &vb_devices[i]->vb : NULL;
}
