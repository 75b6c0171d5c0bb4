/*
 * virtio_sim.c - the device side of a split virtqueue, simulated on the
 * host (see virtio_sim.h). It reads the rings the way a device does and
 * checks the driver as a careful device would, so tests can assert that
 * the driver never hands out a bad chain or reuses a descriptor early.
 */
#include "virtio_sim.h"
#include <arch/page.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Attach to the rings of @vq through their physical addresses. */
void vsim_init(struct vsim_queue *q, const struct virtqueue *vq)
{
	memset(q, 0, sizeof(*q));
	q->size = virtqueue_size(vq);
	q->desc = __va(virtqueue_desc_pa(vq));
	q->avail = __va(virtqueue_avail_pa(vq));
	q->used = __va(virtqueue_used_pa(vq));
	q->in_device = calloc(q->size, 1);
	q->held = calloc(q->size, sizeof(*q->held));
	q->dma_lo = 0;
	q->dma_hi = UINT64_MAX;
	if (!q->in_device || !q->held)
		abort();
}

/* Free what vsim_init() allocated. */
void vsim_destroy(struct vsim_queue *q)
{
	free(q->in_device);
	free(q->held);
	q->in_device = NULL;
	q->held = NULL;
}

/* notify op: count into the vsim_queue that is the queue's priv. */
bool vsim_notify(struct virtqueue *vq)
{
	struct vsim_queue *q = virtqueue_priv(vq);

	q->notifies++;
	return !q->notify_fails;
}

/* Chains the driver published that the device has not popped. */
unsigned int vsim_avail_pending(const struct vsim_queue *q)
{
	uint16_t idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);

	return (uint16_t)(idx - q->last_avail);
}

/* Record a driver error found while walking a chain. */
static int vsim_driver_error(struct vsim_queue *q, struct vsim_chain *c,
			     const char *what, unsigned int i)
{
	for (unsigned int k = 0; k < c->nseg; k++)
		q->in_device[c->seg[k].desc] = 0;
	q->driver_errors++;
	snprintf(q->last_error, sizeof(q->last_error), "chain head %u: %s (desc %u)",
		 c->head, what, i);
	q->last_avail++;
	return -1;
}

/* Pop one chain into q->held; 1 popped, 0 nothing pending, -1 driver error. */
int vsim_pop(struct vsim_queue *q)
{
	struct vsim_chain *c;
	bool seen_write = false;
	uint16_t i;

	if (!vsim_avail_pending(q))
		return 0;
	c = &q->held[q->nheld];
	memset(c, 0, sizeof(*c));
	i = c->head = q->avail->ring[q->last_avail & (q->size - 1)];
	for (unsigned int steps = 0; ; steps++) {
		struct virtq_desc d;

		if (i >= q->size)
			return vsim_driver_error(q, c, "index out of range", i);
		if (q->in_device[i])
			return vsim_driver_error(q, c, "descriptor already held (reuse or loop)", i);
		if (steps >= VSIM_MAX_SEGS)
			return vsim_driver_error(q, c, "chain too long for the simulator", i);
		d = q->desc[i];
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return vsim_driver_error(q, c, "indirect not negotiated", i);
		if (!(d.flags & VIRTQ_DESC_F_WRITE) && seen_write)
			return vsim_driver_error(q, c, "readable after writable", i);
		if (d.len == 0 || d.addr < q->dma_lo || d.addr > q->dma_hi - d.len)
			return vsim_driver_error(q, c, "buffer outside the DMA window", i);
		q->in_device[i] = 1;
		c->seg[c->nseg].addr = d.addr;
		c->seg[c->nseg].len = d.len;
		c->seg[c->nseg].desc = i;
		c->seg[c->nseg].write = d.flags & VIRTQ_DESC_F_WRITE;
		c->nseg++;
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			seen_write = true;
			c->n_in++;
			c->in_bytes += d.len;
		} else {
			c->n_out++;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
	}
	q->last_avail++;
	q->nheld++;
	q->popped++;
	return 1;
}

/* Write a used entry {id, len} and publish it. */
void vsim_push_raw(struct vsim_queue *q, uint32_t id, uint32_t len)
{
	struct virtq_used_elem *e = &q->used->ring[q->used_idx & (q->size - 1)];

	e->id = id;
	e->len = len;
	q->used_idx++;
	__atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
}

/* Set the used idx to anything. */
void vsim_set_used_idx(struct vsim_queue *q, uint16_t idx)
{
	q->used_idx = idx;
	__atomic_store_n(&q->used->idx, idx, __ATOMIC_RELEASE);
}

/* Overwrite descriptor @i of the shared table. */
void vsim_scribble_desc(struct vsim_queue *q, unsigned int i, uint64_t addr,
			uint32_t len, uint16_t flags, uint16_t next)
{
	struct virtq_desc *d = &q->desc[i & (q->size - 1)];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Complete held chain #i with @len (keeps the others in pop order). */
uint16_t vsim_complete(struct vsim_queue *q, unsigned int i, uint32_t len)
{
	struct vsim_chain *c = &q->held[i];
	uint16_t head = c->head;

	for (unsigned int k = 0; k < c->nseg; k++)
		q->in_device[c->seg[k].desc] = 0;
	memmove(&q->held[i], &q->held[i + 1], (q->nheld - i - 1) * sizeof(*c));
	q->nheld--;
	vsim_push_raw(q, head, len);
	q->completed++;
	return head;
}

/* Execute a chain: sum its readable bytes, fill its writable ones. */
static void vsim_execute(struct vsim_queue *q, const struct vsim_chain *c)
{
	for (unsigned int k = 0; k < c->nseg; k++) {
		uint8_t *p = __va(c->seg[k].addr);

		for (uint32_t b = 0; b < c->seg[k].len; b++) {
			if (c->seg[k].write)
				p[b] = (uint8_t)(c->head + b);
			else
				q->read_sum += p[b];
		}
	}
}

/* Complete held chain #i the way the hostile knobs say. */
static void vsim_finish(struct vsim_queue *q, unsigned int i)
{
	uint32_t len = q->held[i].in_bytes + ((q->hostile & VSIM_BIG_LEN) ? 1 : 0);
	uint16_t head;

	if (q->hostile & VSIM_BAD_ID) {
		vsim_push_raw(q, q->size + q->held[i].head, len);
		return;
	}
	head = vsim_complete(q, i, len);
	if (q->hostile & VSIM_REPEAT_ID)
		vsim_push_raw(q, head, len);
	if (q->hostile & VSIM_IDX_JUMP)
		vsim_set_used_idx(q, (uint16_t)(q->used_idx + 999));
}

/* Pop up to @max chains, execute them and complete them; returns popped. */
unsigned int vsim_process(struct vsim_queue *q, unsigned int max)
{
	unsigned int base = q->nheld, n = 0;

	while (n < max && vsim_pop(q) == 1)
		n++;
	for (unsigned int i = base; i < q->nheld; i++) {
		vsim_execute(q, &q->held[i]);
		if (q->hostile & VSIM_SCRIBBLE)
			for (unsigned int k = 0; k < q->held[i].nseg; k++)
				vsim_scribble_desc(q, q->held[i].seg[k].desc,
						   0xdead0000beef0000ULL, 0xffffffffu,
						   VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
						   k ? q->held[i].head :
						       (uint16_t)((q->held[i].head + q->size / 2) & (q->size - 1)));
	}
	if (q->hostile & VSIM_NEVER)
		return n;
	if (q->hostile & VSIM_REVERSE) {
		while (q->nheld > base)
			vsim_finish(q, q->nheld - 1);
	} else {
		unsigned int left = q->nheld - base;

		while (left--)
			vsim_finish(q, (q->hostile & VSIM_BAD_ID) ? base + left : base);
	}
	return n;
}

/* Set or clear VIRTQ_USED_F_NO_NOTIFY. */
void vsim_set_no_notify(struct vsim_queue *q, bool on)
{
	q->used->flags = on ? VIRTQ_USED_F_NO_NOTIFY : 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* True unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT. */
bool vsim_wants_interrupt(const struct vsim_queue *q)
{
	return !(__atomic_load_n(&q->avail->flags, __ATOMIC_ACQUIRE) &
		 VIRTQ_AVAIL_F_NO_INTERRUPT);
}
