/*
 * virtqueue.h - the split virtqueue (virtio 1.x "Split Virtqueues"),
 * hardened against a device that writes nonsense.
 *
 * The caller (a transport) provides two pieces of memory:
 *  - the ring area, virtqueue_ring_bytes(size, legacy) bytes, shared with
 *    the device (descriptor table, avail ring, used ring); 4096-aligned for
 *    the legacy layout, 16-aligned for the modern one;
 *  - the state area, virtqueue_state_bytes(size) bytes, 8-aligned, private
 *    to the driver (struct virtqueue and the shadow of every descriptor).
 * virtqueue_create() zeroes both and returns the queue, placed in the state
 * area. Nothing is allocated and nothing needs freeing.
 *
 * Concurrency: the caller serializes all calls on one queue (its own lock,
 * or a single context). The device runs concurrently; barriers are inside.
 *
 * Trust: the driver never reads back the descriptor table or the avail
 * ring, and validates every used-ring entry before acting on it. A device
 * that breaks the protocol breaks the queue: add() then returns -EIO,
 * get_buf() NULL, kick() false, and one error line names what it did.
 * See docs/virtqueue.md.
 */
#ifndef DRIVERS_VIRTQUEUE_H
#define DRIVERS_VIRTQUEUE_H

#include <kernel/compiler.h>

/* Ring layout, as the spec defines it (little-endian fields). */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_USED_F_NO_NOTIFY		1
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_MAX_SIZE			32768
#define VIRTQ_LEGACY_ALIGN		4096

struct virtq_desc {
	uint64_t addr;		/* guest-physical */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* [size], then uint16_t used_event */
};

struct virtq_used_elem {
	uint32_t id;		/* head of the used chain (32-bit on the wire) */
	uint32_t len;		/* bytes written into the chain's writable part */
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];	/* [size], then uint16_t avail_event */
};

/* Byte offsets of the three parts inside the ring area. */
struct vq_layout {
	size_t desc_off;
	size_t avail_off;
	size_t used_off;
	size_t total;		/* bytes of the whole ring area */
};

/* One buffer segment: guest-physical address and length (> 0). */
struct vq_sg {
	uint64_t addr;
	uint32_t len;
};

/* Why a queue is broken (VQ_OK while it is not). */
enum vq_broken_reason {
	VQ_OK = 0,
	VQ_ERR_USED_IDX,	/* used idx ahead of the outstanding buffers, or backwards */
	VQ_ERR_ID_RANGE,	/* used id >= queue size */
	VQ_ERR_ID_NOT_HEAD,	/* used id not the head of an outstanding chain */
	VQ_ERR_LEN,		/* used len > device-writable bytes of the chain */
	VQ_ERR_NOTIFY,		/* the transport could not notify the device */
	VQ_ERR_DRIVER,		/* virtqueue_break() by the driver/transport */
};

/* Flags for struct vq_init.flags. */
#define VQ_INIT_CLAMP_USED_LEN	1	/* oversized used len: clamp + warn once, not break */

struct virtqueue;

/* What virtqueue_create() needs. */
struct vq_init {
	const char *name;		/* for messages; kept by reference */
	unsigned int index;		/* queue number on the device */
	unsigned int size;		/* power of two, 1..VIRTQ_MAX_SIZE */
	bool legacy;			/* legacy layout (used ring on a 4096 boundary) */
	void *ring;			/* ring area, virtual address */
	phys_addr_t ring_pa;		/* ring area, address the device uses */
	void *state;			/* virtqueue_state_bytes(size), driver-private */
	bool (*notify)(struct virtqueue *vq);	/* kick the device; false = gone */
	void (*callback)(struct virtqueue *vq);	/* run by virtqueue_interrupt() */
	void *priv;			/* returned by virtqueue_priv() */
	unsigned int flags;		/* VQ_INIT_* */
};

/* Layout of a queue of @size entries; false if @size is not valid. */
bool virtqueue_layout(unsigned int size, bool legacy, struct vq_layout *out);
/* Bytes of ring area for @size entries, 0 if @size is not valid. */
size_t virtqueue_ring_bytes(unsigned int size, bool legacy);
/* Bytes of driver-private state for @size entries, 0 if not valid. */
size_t virtqueue_state_bytes(unsigned int size);

/* Build a queue over init->ring/state; NULL (with a message) if invalid. */
struct virtqueue *virtqueue_create(const struct vq_init *init);
/* Re-zero rings and indexes after a device reset; -EBUSY if buffers are outstanding. */
int virtqueue_reset(struct virtqueue *vq);

/*
 * Expose one buffer of @out device-readable segments followed by @in
 * device-writable ones, identified by @token (non-NULL, returned by
 * get_buf). 0, or -EINVAL (bad arguments), -ENOSPC (not enough free
 * descriptors), -EIO (broken). Nothing changes on error.
 */
int virtqueue_add(struct virtqueue *vq, const struct vq_sg *sg,
		  unsigned int out, unsigned int in, void *token);
/* Notify the device unless it asked not to be; false if broken. */
bool virtqueue_kick(struct virtqueue *vq);
/* Token of the next used buffer and its written length, or NULL. */
void *virtqueue_get_buf(struct virtqueue *vq, uint32_t *len);
/* True if used buffers are waiting (false when broken). */
bool virtqueue_more_used(struct virtqueue *vq);
/* Ask the device not to interrupt (a hint, the device may still). */
void virtqueue_disable_cb(struct virtqueue *vq);
/* Re-allow interrupts; false if buffers already wait (poll them). */
bool virtqueue_enable_cb(struct virtqueue *vq);
/* Interrupt entry for the transport: runs the callback; false if broken. */
bool virtqueue_interrupt(struct virtqueue *vq);
/* After a device reset: one outstanding token per call, NULL when none. */
void *virtqueue_detach_unused(struct virtqueue *vq);

/* Mark the queue broken from outside (device reset, timeout). */
void virtqueue_break(struct virtqueue *vq);
bool virtqueue_is_broken(const struct virtqueue *vq);
enum vq_broken_reason virtqueue_broken_reason(const struct virtqueue *vq);

unsigned int virtqueue_num_free(const struct virtqueue *vq);
unsigned int virtqueue_num_outstanding(const struct virtqueue *vq);
unsigned int virtqueue_size(const struct virtqueue *vq);
unsigned int virtqueue_index(const struct virtqueue *vq);
const char *virtqueue_name(const struct virtqueue *vq);
void *virtqueue_priv(const struct virtqueue *vq);
/* Device-visible addresses of the three parts (for the transport). */
phys_addr_t virtqueue_desc_pa(const struct virtqueue *vq);
phys_addr_t virtqueue_avail_pa(const struct virtqueue *vq);
phys_addr_t virtqueue_used_pa(const struct virtqueue *vq);

/* Checker: the shadow state is self-consistent (debug/tests). */
bool virtqueue_check(const struct virtqueue *vq);

#endif
