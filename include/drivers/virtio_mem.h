/*
 * virtio_mem.h - the virtio-mem driver (virtio 1.2, "Memory Device", id 24).
 *
 * The device owns a region of guest-physical address space [addr, addr +
 * region_size), cut into device blocks of block_size bytes. Only the first
 * usable_region_size bytes may be plugged. The host sets requested_size;
 * the driver plugs (PLUG request: the device backs the blocks with memory)
 * or unplugs (UNPLUG: the device takes the memory away) device blocks until
 * plugged_size equals it. Unplugged memory must never be touched.
 *
 * How Ballast maps that onto its memory model (design in
 * docs/virtio-mem.md): the region is cut into memory blocks (128 MiB
 * sections, <mm/memory_hotplug.h>), and each memory block into sub-blocks
 * of sb_size = max(block_size, pageblock) bytes - at most 64 of them, so a
 * memory block's plugged state is one 64-bit mask. A memory block exists
 * (add_memory) only while at least one of its sub-blocks is plugged; it is
 * onlined (Movable by default) through our online-page callback, which
 * hands plugged sub-blocks to the buddy and keeps unplugged ones
 * PageOffline (refcount 0, NeverOnlined, Skippable). Unplugging empties a
 * sub-block first (alloc_contig_frozen_range: its pages become ours,
 * frozen, then PageOffline Skippable once the device acknowledged), or
 * offlines the whole memory block, then tells the device; a memory block
 * with nothing plugged is offlined and removed again.
 *
 * The logic (virtio_mem_core.c) is portable: it runs in the kernel and in
 * the host tests against a simulated device (tests/host/support/vmem_sim.c).
 * The kernel glue (virtio_mem.c) adds the work item, the config-change
 * interrupt and the poll.
 */
#ifndef DRIVERS_VIRTIO_MEM_H
#define DRIVERS_VIRTIO_MEM_H

#include <kernel/compiler.h>
#include <arch/spinlock.h>
#include <drivers/virtio.h>
#include <drivers/virtqueue.h>
#include <mm/mmzone.h>

/* Feature bits. */
#define VIRTIO_MEM_F_ACPI_PXM			0
#define VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE	1

/* Config space (little-endian). */
#define VIRTIO_MEM_CFG_BLOCK_SIZE	0	/* le64 */
#define VIRTIO_MEM_CFG_NODE_ID		8	/* le16 */
#define VIRTIO_MEM_CFG_ADDR		16	/* le64 */
#define VIRTIO_MEM_CFG_REGION_SIZE	24	/* le64 */
#define VIRTIO_MEM_CFG_USABLE_SIZE	32	/* le64 */
#define VIRTIO_MEM_CFG_PLUGGED_SIZE	40	/* le64 */
#define VIRTIO_MEM_CFG_REQUESTED_SIZE	48	/* le64 */
#define VIRTIO_MEM_CFG_BYTES		56

/* Request types. */
#define VIRTIO_MEM_REQ_PLUG		0
#define VIRTIO_MEM_REQ_UNPLUG		1
#define VIRTIO_MEM_REQ_UNPLUG_ALL	2
#define VIRTIO_MEM_REQ_STATE		3

/* Response types. */
#define VIRTIO_MEM_RESP_ACK		0
#define VIRTIO_MEM_RESP_NACK		1
#define VIRTIO_MEM_RESP_BUSY		2
#define VIRTIO_MEM_RESP_ERROR		3

/* STATE response values. */
#define VIRTIO_MEM_STATE_PLUGGED	0
#define VIRTIO_MEM_STATE_UNPLUGGED	1
#define VIRTIO_MEM_STATE_MIXED		2

/* The request: 24 bytes on the wire. */
struct virtio_mem_req {
	uint16_t type;
	uint16_t padding[3];
	uint64_t addr;			/* PLUG/UNPLUG/STATE */
	uint16_t nb_blocks;
	uint16_t padding2[3];
} __packed;

/* The response: 10 bytes on the wire. */
struct virtio_mem_resp {
	uint16_t type;
	uint16_t padding[3];
	uint16_t state;			/* STATE only */
} __packed;

#define VM_SB_MIN_BYTES		(2ul << 20)	/* pageblock: alloc_contig works per pageblock */
#define VM_MAX_MBS		4096		/* memory blocks per device (512 GiB) */
#define VM_DEFAULT_TIMEOUT_MS	5000
#define VM_RETRY_MIN_MS		50
#define VM_RETRY_MAX_MS		30000

/* A memory block of the region, as the driver sees it. */
enum vm_mb_state {
	VM_MB_ABSENT,		/* nothing plugged, no sections added */
	VM_MB_OFFLINE,		/* added, offline (someone offlined it, or in transition) */
	VM_MB_ONLINE,		/* added and online */
	VM_MB_GOING_OFFLINE,	/* another caller is offlining it right now */
	VM_MB_UNUSABLE,		/* add_memory refused it (overlap, out of range): never used */
};

struct vm_mb {
	uint64_t plugged;	/* bit i: sub-block i is plugged (device says so) */
	uint8_t state;		/* enum vm_mb_state */
	uint8_t zone;		/* zone while online */
};

/* Where the portable core gets time and how it waits (kernel or host test). */
struct virtio_mem;
struct virtio_mem_env {
	uint64_t (*now_ms)(void);
	/* nanoseconds, for the time spent per phase (may be NULL: not measured) */
	uint64_t (*now_ns)(void);
	/* called between polls of the used ring (host tests run the device here) */
	void (*wait_poll)(struct virtio_mem *vm);
};

struct virtio_mem {
	struct virtio_device *vdev;
	const struct virtio_mem_env *env;
	struct virtqueue *vq;
	spinlock_t lock;		/* requests, the plug/unplug state machine; outside
					   mem_hotplug_lock (docs/locking.md) */
	spinlock_t mb_lock;		/* mbs[].state and busy_mb (innermost: the memory
					   notifier takes it under mem_hotplug_lock) */

	/* the device's geometry, validated */
	uint64_t addr, region_size, usable_size, block_size, sb_size;
	uint16_t node_id;
	unsigned int sbs_per_mb;	/* sub-blocks per memory block (<= 64) */
	unsigned long first_mb;		/* memory block number of mbs[0] */
	unsigned int nr_mbs;		/* memory blocks wholly inside the region */
	struct vm_mb *mbs;
	long busy_mb;			/* index the state machine works on, -1 none */
	long self_mb;			/* index it onlines/offlines itself right now, -1 none */

	/* sizes (bytes) */
	uint64_t requested_size;	/* as read from the device */
	uint64_t target;		/* requested, clamped and rounded to sb_size */
	uint64_t plugged;		/* sum of plugged sub-blocks (our count) */
	uint64_t dev_plugged;		/* plugged_size as last read */
	enum zone_type zone;		/* where new memory blocks go online */

	bool ready, broken;
	bool unplug_all_pending;	/* UNPLUG_ALL not acknowledged yet */
	bool kicked;			/* retry at the next step (any CPU sets it) */
	bool inaccessible;		/* UNPLUGGED_INACCESSIBLE negotiated */
	unsigned int timeout_ms;

	/* retry state */
	unsigned int retry_ms;		/* current back-off, 0 when none */
	uint64_t retry_at;		/* now_ms() when the next attempt is due */
	unsigned long unplug_blocked;	/* sub-blocks that could not be emptied last pass */
	unsigned long consecutive_fail;

	/* the request buffers (device-visible) */
	struct virtio_mem_req req;
	struct virtio_mem_resp resp;

	/* counters */
	unsigned long plug_reqs, unplug_reqs, state_reqs, acks, nacks, busys, errors;
	unsigned long plugged_sbs, unplugged_sbs, mbs_added, mbs_removed, mbs_offlined;
	unsigned long contig_failed, offline_failed, clamps, config_events, timeouts;
	unsigned long others_offline_refused;
	unsigned long reconciled;	/* ERROR answers whose STATE showed the change done */
	unsigned long unplug_doubt;	/* UNPLUGs of unknown outcome, treated as done */
	int last_state;			/* STATE answer after the last ERROR, -1 none */

	/* where the time goes (ns; `virtio-mem` shows them): requests answered,
	   add_memory, onlining, offlining, emptying sub-blocks, remove_memory */
	uint64_t t_req, t_add, t_online, t_offline, t_contig, t_remove;

	char last_error[128];
	uint64_t last_error_ms;
	char clamp_why[128];		/* last hostile/odd config reported */
};

/*
 * Negotiate, set up the queue, DRIVER_OK, validate the geometry, send
 * UNPLUG_ALL. 0 or -errno (device left FAILED, nothing of its region
 * touched). Installs the online-page callback and the memory notifier.
 */
int virtio_mem_init(struct virtio_mem *vm, struct virtio_device *vdev,
		    const struct virtio_mem_env *env, enum zone_type zone);
/* Read requested_size from the device, clamp and round; returns the new target (bytes). */
uint64_t virtio_mem_update_target(struct virtio_mem *vm);
/*
 * Move toward the target by at most @max_reqs plug/unplug requests.
 * 0 at the target (or nothing more possible now and no retry due), 1 more
 * to do now, -EAGAIN retry later (virtio_mem_retry_ms() says when), -EBUSY
 * lock held elsewhere, -EIO device broken.
 */
int virtio_mem_step(struct virtio_mem *vm, unsigned int max_reqs);
/* Milliseconds until the next retry is due (0 if none pending). */
unsigned int virtio_mem_retry_ms(const struct virtio_mem *vm);
/*
 * Every page accounted for: plugged count = bits, each unplugged sub-block
 * of an added memory block is all PageOffline, each plugged one has none,
 * and the device's plugged_size agrees. Number of problems (printed).
 */
unsigned long virtio_mem_check(struct virtio_mem *vm);
/* Plugged/unplugged sub-blocks of memory block index @i (test and shell helpers). */
unsigned int vm_mb_plugged_count(const struct virtio_mem *vm, unsigned int i);
/* Give everything back (driver removal / test teardown): unplug all, remove every block. */
int virtio_mem_remove(struct virtio_mem *vm);

#ifdef HOST_BUILD
/* Host tests: forget every device (callback, notifier) before the memory is torn down. */
void virtio_mem_host_reset(void);
#endif

/* Kernel glue. */
int virtio_mem_probe(struct virtio_device *vdev);
/* Retry now: drop the back-off and queue the work item (memory was freed). */
void virtio_mem_kick(struct virtio_mem *vm);
/* The i-th virtio-mem device, or NULL. */
struct virtio_mem *virtio_mem_get(unsigned int i);
/* Total plugged bytes over every device (stats). */
uint64_t virtio_mem_plugged_bytes(void);

#endif
