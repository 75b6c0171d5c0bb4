/*
 * virtio_sim.h - a simulated virtio device side of one split virtqueue,
 * for host tests. It works on the same ring memory a real device would,
 * reaching descriptors and buffers through __va(addr) (tests set
 * host_phys_base = 0 so guest-physical == host pointer).
 *
 * Honest use:  vsim_pop() takes the next avail chain (checked like a
 * careful device would: in-range indexes, no loops, readable before
 * writable, no descriptor shared with a chain the device still holds);
 * vsim_complete() pushes a used entry for a held chain; vsim_process()
 * pops, "executes" (sums readable bytes into q->read_sum, fills writable
 * bytes with a pattern) and completes in order.
 * Hostile use: the knobs in q->hostile change what vsim_process() pushes,
 * and vsim_push_raw() / vsim_set_used_idx() / vsim_scribble_desc() write
 * arbitrary values into the shared rings.
 */
#ifndef VIRTIO_SIM_H
#define VIRTIO_SIM_H

#include <drivers/virtqueue.h>

#define VSIM_MAX_SEGS	32	/* a full free page report (PAGE_REPORTING_CAPACITY) */

/* Knobs for vsim_process(); any combination. */
#define VSIM_BAD_ID	0x01	/* used id = size + something */
#define VSIM_REPEAT_ID	0x02	/* after each real completion, push the same id again */
#define VSIM_BIG_LEN	0x04	/* used len = writable bytes + 1 */
#define VSIM_IDX_JUMP	0x08	/* used idx += 1000 instead of += 1 */
#define VSIM_NEVER	0x10	/* pop chains but never complete them */
#define VSIM_SCRIBBLE	0x20	/* trash the descriptor table after popping */
#define VSIM_REVERSE	0x40	/* complete a popped batch in reverse order (legal) */

struct vsim_seg {
	uint64_t addr;
	uint32_t len;
	uint16_t desc;			/* descriptor index */
	bool write;
};

/* A chain the device popped and has not completed yet. */
struct vsim_chain {
	uint16_t head;
	unsigned int nseg, n_out, n_in;
	uint32_t in_bytes;
	struct vsim_seg seg[VSIM_MAX_SEGS];
};

struct vsim_queue {
	unsigned int size;
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t last_avail;		/* next avail idx the device pops */
	uint16_t used_idx;		/* device's copy of used->idx */
	uint32_t hostile;		/* VSIM_* */
	uint8_t *in_device;		/* [size]: descriptor belongs to a held chain */
	struct vsim_chain *held;	/* [size]: popped, not completed */
	unsigned int nheld;
	/* DMA window: buffer addresses outside [lo, hi) are a driver error */
	uint64_t dma_lo, dma_hi;
	/* counters */
	bool notify_fails;		/* vsim_notify() reports failure */
	uint64_t notifies, popped, completed, read_sum;
	unsigned int driver_errors;	/* bad chains the driver produced */
	char last_error[128];
};

/* Attach to the rings of @vq (through their physical addresses). */
void vsim_init(struct vsim_queue *q, const struct virtqueue *vq);
void vsim_destroy(struct vsim_queue *q);
/* notify op for vq_init: counts into the vsim_queue given as vq priv. */
bool vsim_notify(struct virtqueue *vq);
/* Chains published and not popped yet. */
unsigned int vsim_avail_pending(const struct vsim_queue *q);
/* Pop one chain into q->held; 1 popped, 0 nothing, -1 driver error. */
int vsim_pop(struct vsim_queue *q);
/* Complete held chain #i (swap-removed) with @len; returns its head. */
uint16_t vsim_complete(struct vsim_queue *q, unsigned int i, uint32_t len);
/* Pop up to @max chains, execute them, complete per q->hostile; returns popped. */
unsigned int vsim_process(struct vsim_queue *q, unsigned int max);
/* Hostile primitives: raw used entry + idx bump, raw idx, raw descriptor. */
void vsim_push_raw(struct vsim_queue *q, uint32_t id, uint32_t len);
void vsim_set_used_idx(struct vsim_queue *q, uint16_t idx);
void vsim_scribble_desc(struct vsim_queue *q, unsigned int i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next);
/* Device-side flags. */
void vsim_set_no_notify(struct vsim_queue *q, bool on);
bool vsim_wants_interrupt(const struct vsim_queue *q);

#endif
