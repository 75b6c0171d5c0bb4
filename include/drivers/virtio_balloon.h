/*
 * virtio_balloon.h - the virtio memory balloon driver.
 *
 * The host sets a target, num_pages (4 KiB units), in the device config and
 * raises a config-change interrupt; the driver inflates (gives pages to the
 * host: allocates them, marks them PageOffline, sends their PFNs on the
 * inflate queue) or deflates (sends PFNs on the deflate queue and, once the
 * host acknowledged, frees them) in batches of up to 256 PFNs, writing
 * `actual` after each batch. Pages stay movable by compaction while in the
 * balloon (mm/balloon_compaction.c).
 *
 * The logic (virtio_balloon_core.c) is portable and runs on the host
 * against a simulated device; the kernel glue (virtio_balloon.c) adds work
 * items, the interrupt path, the allocator's deflate-on-OOM hook and the
 * shell. All queue traffic happens under vb->lock (a trylock for callers
 * that must not wait: migration returns -EAGAIN, OOM deflate gives up).
 */
#ifndef DRIVERS_VIRTIO_BALLOON_H
#define DRIVERS_VIRTIO_BALLOON_H

#include <kernel/compiler.h>
#include <arch/spinlock.h>
#include <drivers/virtio.h>
#include <drivers/virtqueue.h>
#include <mm/balloon_compaction.h>
#include <mm/page_reporting.h>

struct virtio_balloon;

/* Feature bits. */
#define VIRTIO_BALLOON_F_MUST_TELL_HOST	0
#define VIRTIO_BALLOON_F_STATS_VQ	1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM	2
#define VIRTIO_BALLOON_F_FREE_PAGE_HINT	3
#define VIRTIO_BALLOON_F_PAGE_POISON	4
#define VIRTIO_BALLOON_F_REPORTING	5

/* Config space (little-endian u32 each, also for legacy devices). */
#define VIRTIO_BALLOON_CFG_NUM_PAGES	0
#define VIRTIO_BALLOON_CFG_ACTUAL	4
#define VIRTIO_BALLOON_CFG_HINT_CMD_ID	8
#define VIRTIO_BALLOON_CFG_POISON_VAL	12

/* Stats tags. */
#define VIRTIO_BALLOON_S_SWAP_IN	0
#define VIRTIO_BALLOON_S_SWAP_OUT	1
#define VIRTIO_BALLOON_S_MAJFLT		2
#define VIRTIO_BALLOON_S_MINFLT		3
#define VIRTIO_BALLOON_S_MEMFREE	4
#define VIRTIO_BALLOON_S_MEMTOT		5
#define VIRTIO_BALLOON_S_AVAIL		6
#define VIRTIO_BALLOON_S_CACHES		7
#define VIRTIO_BALLOON_S_HTLB_PGALLOC	8
#define VIRTIO_BALLOON_S_HTLB_PGFAIL	9
#define VIRTIO_BALLOON_S_OOM_KILL	10
#define VIRTIO_BALLOON_S_ALLOC_STALL	11

#define VIRTIO_BALLOON_PFN_SHIFT	12
#define VB_BATCH			256	/* PFNs per inflate/deflate request */
#define VB_QUEUE_CAP			64
#define VB_NR_STATS			9
#define VB_DEFAULT_TIMEOUT_MS		5000
#define VB_OOM_PAGES			256	/* pages given back per OOM call */

struct virtio_balloon_stat {
	uint16_t tag;
	uint64_t val;
} __packed;

/* Where the portable core gets time and how it waits (kernel or host test). */
struct virtio_balloon_env {
	uint64_t (*now_ms)(void);
	/* called between polls of a used ring (host tests run the device here) */
	void (*wait_poll)(struct virtio_balloon *vb);
	/* stats queue interrupt callback (interrupt context), may be NULL */
	void (*stats_callback)(struct virtqueue *vq);
	/*
	 * Run page_reporting_process() in about @delay_ms (any context, even
	 * with a zone lock held); NULL: the caller runs passes itself.
	 */
	void (*schedule_reporting)(struct virtio_balloon *vb, unsigned int delay_ms);
};

struct virtio_balloon {
	struct virtio_device *vdev;
	const struct virtio_balloon_env *env;
	struct virtqueue *inflate_vq, *deflate_vq, *stats_vq, *reporting_vq;
	struct balloon_dev_info b_dev_info;
	spinlock_t lock;		/* queue traffic and the pfns array; first in the
				   lock order (docs/locking.md): only try-locked
				   by code holding a page lock */

	uint32_t num_pages;		/* pages the host holds (acknowledged) */
	uint32_t target;		/* host's num_pages after clamping */
	uint32_t host_target;		/* host's num_pages as read */
	bool ready;			/* DRIVER_OK sent, queues live */
	bool broken;			/* a request timed out or the device misbehaved */
	bool oom_hold;			/* deflated on OOM: no inflation until a new target */
	bool inflate_short;		/* last inflate ran out of memory */
	unsigned long inflate_shrunk;	/* inflate batches helped by shrinkers */
	unsigned int timeout_ms;

	uint32_t pfns[VB_BATCH] __aligned(64);
	struct virtio_balloon_stat stats[VB_NR_STATS];
	bool stats_outstanding;		/* our stats buffer is with the device */
	spinlock_t stats_lock;		/* stats_vq traffic, stats[], stats_outstanding
					   (after vb->lock when both are taken) */

	/* free page reporting (REPORTING negotiated and registered) */
	struct page_reporting_dev_info pr_dev;
	bool reporting;			/* pr_dev is registered */
	bool reporting_broken;		/* the reporting queue broke or the device was reset */
	bool report_held;		/* the device kept a report past our wait: its blocks are held */
	struct vq_sg report_sg[PAGE_REPORTING_CAPACITY];
	char reporting_why[96];

	/* counters */
	unsigned long inflated, deflated, batches, migrated, migrate_busy;
	unsigned long migrate_failed;	/* host left the deflate of the old page unanswered: -EIO */
	unsigned long migrate_inflate_lost; /* moved; host left the inflate of the new page unanswered */
	unsigned long retired;		/* pages kept for good at removal of a broken device */
	unsigned long oom_calls, oom_pages, stats_requests, timeouts, clamps, config_events;
	char broken_why[96];
};

/* Negotiate, create the queues, DRIVER_OK. 0 or -errno (device left FAILED). */
int virtio_balloon_init(struct virtio_balloon *vb, struct virtio_device *vdev,
			const struct virtio_balloon_env *env);
/* Read num_pages from the device and clamp it; returns the new target. */
uint32_t virtio_balloon_update_target(struct virtio_balloon *vb);
/*
 * Move toward the target by at most @max_batches batches. Returns 0 when
 * at the target, 1 when more remains, -ENOMEM when inflation found no free
 * page, -EAGAIN when deflation found every page isolated, -EBUSY if the
 * lock was held, -EIO when the device is broken.
 */
int virtio_balloon_step(struct virtio_balloon *vb, unsigned int max_batches);
/* Deflate-on-OOM: give back up to @nr pages now; returns pages freed. */
unsigned long virtio_balloon_oom_deflate(struct virtio_balloon *vb, unsigned long nr);
#ifdef HOST_BUILD
/*
 * Test hook (host builds): called by virtio_balloon_stats_service() once
 * it has decided to requeue the stats buffer, right before it does; a
 * test runs a second caller (another CPU's work item) there.
 */
extern void (*vb_stats_test_hook)(struct virtio_balloon *vb);
#endif
/* Answer the device's stats requests (refill and requeue the buffer); any CPU. */
void virtio_balloon_stats_service(struct virtio_balloon *vb);
/* True if the device has used the stats buffer (a request waits); any CPU. */
bool virtio_balloon_stats_pending(struct virtio_balloon *vb);
/* Fill vb->stats with current figures; returns the number of entries. */
unsigned int virtio_balloon_fill_stats(struct virtio_balloon *vb);
/* Invariant check (see balloon_check); number of problems. */
unsigned long virtio_balloon_check(struct virtio_balloon *vb);
/*
 * Driver removal: wait for the pages compaction holds isolated (no new
 * isolation from now on), deflate everything, reset the device, take back
 * what is left (freed, or retired if the device broke). Ends with
 * num_pages 0 and no page pointing at the device.
 */
void virtio_balloon_remove(struct virtio_balloon *vb);

/* Kernel glue: called by the transport for each balloon device found. */
int virtio_balloon_probe(struct virtio_device *vdev);
/* The i-th balloon device, or NULL. */
struct virtio_balloon *virtio_balloon_get(unsigned int i);

#endif
