/*
 * virtqueue.c - the split virtqueue, hardened: the device is not trusted.
 *
 * Data structures. The ring area is shared with the device: a table of
 * `size` descriptors, the avail ring (driver -> device: heads of new
 * chains) and the used ring (device -> driver: {head id, written len}).
 * Next to it, in memory the device never sees, the driver keeps a shadow
 * entry per descriptor: its state (FREE, HEAD of an outstanding chain, or
 * BODY of one), its successor, and for heads the caller's token, the number
 * of descriptors in the chain and the sum of its device-writable lengths.
 * Free descriptors form a FIFO list threaded through the shadow `next`
 * fields (free_head .. free_tail): recycled descriptors go to the tail, so
 * a just-returned id stays free as long as possible and a device that
 * repeats it is caught.
 *
 * Invariants (virtqueue_check() proves them):
 *  - every descriptor is FREE, HEAD or BODY; the free list holds exactly
 *    the num_free FREE ones; `outstanding` HEADs exist, and their chains
 *    (followed through the shadow, never through the shared table) cover
 *    every BODY descriptor: num_free + sum(ndesc) == size;
 *  - a descriptor is written into the shared table only while it is taken
 *    from the free list, and returns to the list only when the device
 *    hands back its chain's head (or after a reset, by detach_unused);
 *  - avail_idx and last_used are the driver's own counters; the shared
 *    avail ring and descriptor table are write-only for the driver.
 *
 * Hardening. Every value read from the used ring is read once and checked
 * before use: the used idx may run ahead of last_used by at most the number
 * of outstanding chains (a smaller or backwards idx wraps to a huge
 * distance and fails the same test); an id must be < size and name a HEAD;
 * a len may not exceed the chain's writable bytes (or is clamped, if the
 * queue was created with VQ_INIT_CLAMP_USED_LEN, for old devices that count
 * bytes read). The first failure marks the queue broken and prints one
 * line; a broken queue refuses add() with -EIO, returns NULL from
 * get_buf(), and keeps its descriptors as they are until a reset. Every
 * loop is bounded by the queue size.
 *
 * Ordering: descriptors and the avail entry are written before the avail
 * idx (release fence); the used idx is read before the used entry (acquire
 * fence); a full fence separates publishing from reading the device's
 * NO_NOTIFY flag and re-enabling interrupts from re-checking the used idx.
 */
#include <drivers/virtqueue.h>
#include <kernel/bug.h>
#include <kernel/printk.h>
#include <errno.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtqueue.c stores ring fields in CPU order: little-endian CPUs only"
#endif

BUILD_BUG_ON(sizeof(struct virtq_desc) != 16);
BUILD_BUG_ON(sizeof(struct virtq_used_elem) != 8);
BUILD_BUG_ON(sizeof(struct virtq_avail) != 4);
BUILD_BUG_ON(sizeof(struct virtq_used) != 4);

#define VQ_END		0xffffu		/* end of a shadow list */

enum vq_desc_state { VQD_FREE = 0, VQD_HEAD, VQD_BODY };

/* Driver-private shadow of one descriptor. */
struct vq_shadow {
	void *token;		/* HEAD: the caller's token */
	uint64_t in_bytes;	/* HEAD: sum of device-writable lengths */
	uint16_t next;		/* chain successor, or free-list successor */
	uint16_t ndesc;		/* HEAD: descriptors in the chain (1..size) */
	uint8_t state;		/* enum vq_desc_state */
};

struct virtqueue {
	const char *name;
	unsigned int index;
	unsigned int size;
	unsigned int flags;		/* VQ_INIT_* */
	bool legacy;
	struct virtq_desc *desc;	/* shared */
	struct virtq_avail *avail;	/* shared, written only */
	struct virtq_used *used;	/* shared, read and validated */
	void *ring;
	size_t ring_bytes;
	phys_addr_t desc_pa, avail_pa, used_pa;
	bool (*notify)(struct virtqueue *vq);
	void (*callback)(struct virtqueue *vq);
	void *priv;

	uint16_t avail_idx;		/* next avail idx to publish */
	uint16_t avail_flags;		/* what we last wrote to avail->flags */
	uint16_t last_used;		/* next used idx to consume */
	uint16_t free_head, free_tail;	/* FIFO of FREE descriptors */
	unsigned int num_free;
	unsigned int outstanding;	/* chains exposed and not yet returned */
	unsigned int detach_pos;	/* scan cursor of detach_unused() */
	bool broken;
	bool len_warned;
	enum vq_broken_reason reason;
	struct vq_shadow shadow[];
};

/* Full barrier: prior stores visible before later loads. */
static inline void vq_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
/* Later loads happen after earlier loads. */
static inline void vq_rmb(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
/* Earlier stores visible before later stores. */
static inline void vq_wmb(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }

/* Mark @vq broken for @why; only the first failure is printed. */
#define vq_fail(vq, why, fmt, ...) do {						\
	if (!(vq)->broken) {							\
		pr_err("virtqueue %s[%u]: device error: " fmt			\
		       "; queue marked broken\n",				\
		       (vq)->name, (vq)->index, ##__VA_ARGS__);			\
		(vq)->reason = (why);						\
	}									\
	(vq)->broken = true;							\
} while (0)

/* True if @size is a valid split-queue size. */
static bool vq_size_ok(unsigned int size)
{
	return size >= 1 && size <= VIRTQ_MAX_SIZE && (size & (size - 1)) == 0;
}

/* Compute the ring layout of a @size-entry queue; false if size is invalid. */
bool virtqueue_layout(unsigned int size, bool legacy, struct vq_layout *out)
{
	size_t avail_end, used_bytes;

	if (!vq_size_ok(size) || !out)
		return false;
	out->desc_off = 0;
	out->avail_off = sizeof(struct virtq_desc) * size;
	avail_end = out->avail_off + sizeof(uint16_t) * (3 + (size_t)size);
	used_bytes = sizeof(uint16_t) * 3 + sizeof(struct virtq_used_elem) * (size_t)size;
	if (legacy) {
		out->used_off = ALIGN_UP(avail_end, (size_t)VIRTQ_LEGACY_ALIGN);
		out->total = out->used_off + ALIGN_UP(used_bytes, (size_t)VIRTQ_LEGACY_ALIGN);
	} else {
		out->used_off = ALIGN_UP(avail_end, (size_t)4);
		out->total = out->used_off + used_bytes;
	}
	return true;
}

/* Ring-area bytes for @size entries, 0 if size is invalid. */
size_t virtqueue_ring_bytes(unsigned int size, bool legacy)
{
	struct vq_layout l;

	return virtqueue_layout(size, legacy, &l) ? l.total : 0;
}

/* Driver-state bytes for @size entries, 0 if size is invalid. */
size_t virtqueue_state_bytes(unsigned int size)
{
	if (!vq_size_ok(size))
		return 0;
	return sizeof(struct virtqueue) + sizeof(struct vq_shadow) * (size_t)size;
}

/* Zero the shared rings and rebuild the shadow: all free, indexes 0. */
static void vq_init_state(struct virtqueue *vq)
{
	unsigned int i;

	memset(vq->ring, 0, vq->ring_bytes);
	memset(vq->shadow, 0, sizeof(struct vq_shadow) * vq->size);
	for (i = 0; i < vq->size; i++)
		vq->shadow[i].next = (i + 1 < vq->size) ? (uint16_t)(i + 1) : VQ_END;
	vq->free_head = 0;
	vq->free_tail = (uint16_t)(vq->size - 1);
	vq->num_free = vq->size;
	vq->outstanding = 0;
	vq->avail_idx = 0;
	vq->avail_flags = 0;
	vq->last_used = 0;
	vq->detach_pos = 0;
	vq->broken = false;
	vq->len_warned = false;
	vq->reason = VQ_OK;
}

/* Check a vq_init; NULL if fine, else what is wrong. */
static const char *vq_init_invalid(const struct vq_init *in)
{
	uintptr_t ring_align = in->legacy ? VIRTQ_LEGACY_ALIGN : 16;

	if (!vq_size_ok(in->size))
		return "size is not a power of two in 1..32768";
	if (!in->ring || !in->state || !in->notify)
		return "ring, state and notify are required";
	if (!IS_ALIGNED((uintptr_t)in->state, _Alignof(struct virtqueue)))
		return "state area misaligned";
	if (!IS_ALIGNED((uintptr_t)in->ring, ring_align) ||
	    !IS_ALIGNED(in->ring_pa, (phys_addr_t)ring_align))
		return "ring area misaligned (4096 legacy, 16 modern)";
	return NULL;
}

/* Build a queue from @in in its state area; NULL with a message if invalid. */
struct virtqueue *virtqueue_create(const struct vq_init *in)
{
	struct virtqueue *vq;
	struct vq_layout l;
	const char *why;

	if (!in)
		return NULL;
	why = vq_init_invalid(in);
	if (why) {
		pr_err("virtqueue %s[%u]: cannot create: %s\n",
		       in->name ? in->name : "?", in->index, why);
		return NULL;
	}
	virtqueue_layout(in->size, in->legacy, &l);
	vq = in->state;
	memset(vq, 0, sizeof(*vq));
	vq->name = in->name ? in->name : "vq";
	vq->index = in->index;
	vq->size = in->size;
	vq->flags = in->flags;
	vq->legacy = in->legacy;
	vq->ring = in->ring;
	vq->ring_bytes = l.total;
	vq->desc = (struct virtq_desc *)((char *)in->ring + l.desc_off);
	vq->avail = (struct virtq_avail *)((char *)in->ring + l.avail_off);
	vq->used = (struct virtq_used *)((char *)in->ring + l.used_off);
	vq->desc_pa = in->ring_pa + l.desc_off;
	vq->avail_pa = in->ring_pa + l.avail_off;
	vq->used_pa = in->ring_pa + l.used_off;
	vq->notify = in->notify;
	vq->callback = in->callback;
	vq->priv = in->priv;
	vq_init_state(vq);
	return vq;
}

/* Start over after a device reset; -EBUSY while buffers are outstanding. */
int virtqueue_reset(struct virtqueue *vq)
{
	if (vq->outstanding)
		return -EBUSY;
	vq_init_state(vq);
	return 0;
}

/* Check @n segments of @sg; sum the last @in lengths into *in_bytes. */
static int vq_check_sg(const struct vq_sg *sg, unsigned int n, unsigned int in,
		       uint64_t *in_bytes)
{
	uint64_t sum = 0;
	unsigned int k;

	for (k = 0; k < n; k++) {
		if (sg[k].len == 0 || sg[k].addr + (sg[k].len - 1) < sg[k].addr)
			return -EINVAL;
		if (k >= n - in)
			sum += sg[k].len;
	}
	*in_bytes = sum;
	return 0;
}

/* Expose a chain of @out readable then @in writable segments as @token. */
int virtqueue_add(struct virtqueue *vq, const struct vq_sg *sg,
		  unsigned int out, unsigned int in, void *token)
{
	unsigned int total, k;
	uint16_t head, i, last;
	uint64_t in_bytes;
	int err;

	if (vq->broken)
		return -EIO;
	if (!sg || !token || out > vq->size || in > vq->size)
		return -EINVAL;
	total = out + in;
	if (total == 0 || total > vq->size)
		return -EINVAL;
	err = vq_check_sg(sg, total, in, &in_bytes);
	if (err)
		return err;
	if (total > vq->num_free)
		return -ENOSPC;

	head = i = last = vq->free_head;
	for (k = 0; k < total; k++) {
		struct virtq_desc *d = &vq->desc[i];
		struct vq_shadow *s = &vq->shadow[i];
		uint16_t flags = (k >= out) ? VIRTQ_DESC_F_WRITE : 0;
		uint16_t next = 0;

		VM_BUG_ON(i >= vq->size || s->state != VQD_FREE);
		if (k + 1 < total) {
			flags |= VIRTQ_DESC_F_NEXT;
			next = s->next;
		}
		WRITE_ONCE(d->addr, sg[k].addr);
		WRITE_ONCE(d->len, sg[k].len);
		WRITE_ONCE(d->flags, flags);
		WRITE_ONCE(d->next, next);
		s->state = k ? VQD_BODY : VQD_HEAD;
		last = i;
		i = s->next;
	}
	vq->num_free -= total;
	vq->free_head = vq->num_free ? i : VQ_END;
	if (!vq->num_free)
		vq->free_tail = VQ_END;
	vq->shadow[last].next = VQ_END;
	vq->shadow[head].token = token;
	vq->shadow[head].ndesc = (uint16_t)total;
	vq->shadow[head].in_bytes = in_bytes;
	vq->outstanding++;
	vq->detach_pos = 0;

	WRITE_ONCE(vq->avail->ring[vq->avail_idx & (vq->size - 1)], head);
	vq_wmb();
	vq->avail_idx++;
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	return 0;
}

/* Notify the device of new buffers unless it set NO_NOTIFY; false if broken. */
bool virtqueue_kick(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	vq_mb();
	if (READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY)
		return true;
	if (!vq->notify(vq)) {
		vq_fail(vq, VQ_ERR_NOTIFY, "the transport could not notify the device");
		return false;
	}
	return true;
}

/*
 * Used entries published and not yet consumed, or -1 if the queue is (or
 * now becomes) broken because the device claims more than is outstanding.
 */
static int vq_pending(struct virtqueue *vq)
{
	uint16_t idx;
	unsigned int n;

	if (vq->broken)
		return -1;
	idx = READ_ONCE(vq->used->idx);
	n = (uint16_t)(idx - vq->last_used);
	if (n > vq->outstanding) {
		vq_fail(vq, VQ_ERR_USED_IDX,
			"used idx %u is %u entries past %u, but only %u buffers are outstanding",
			idx, n, vq->last_used, vq->outstanding);
		return -1;
	}
	return (int)n;
}

/* Return the chain starting at @head to the tail of the free list. */
static void vq_free_chain(struct virtqueue *vq, uint16_t head)
{
	unsigned int n = vq->shadow[head].ndesc, k;
	uint16_t i = head, last = head;

	for (k = 0; k < n && i < vq->size; k++) {
		struct vq_shadow *s = &vq->shadow[i];

		VM_BUG_ON(s->state != (k ? VQD_BODY : VQD_HEAD));
		s->state = VQD_FREE;
		s->token = NULL;
		s->ndesc = 0;
		s->in_bytes = 0;
		last = i;
		i = s->next;
	}
	VM_BUG_ON(k != n);
	vq->shadow[last].next = VQ_END;
	if (vq->num_free)
		vq->shadow[vq->free_tail].next = head;
	else
		vq->free_head = head;
	vq->free_tail = last;
	vq->num_free += k;
	vq->outstanding--;
}

/* Validate used entry (@id, *@len); false (queue broken) if it is bogus. */
static bool vq_used_entry_ok(struct virtqueue *vq, uint32_t id, uint32_t *len)
{
	const struct vq_shadow *s;

	if (id >= vq->size) {
		vq_fail(vq, VQ_ERR_ID_RANGE, "used id %u out of range (queue size %u)",
			id, vq->size);
		return false;
	}
	s = &vq->shadow[id];
	if (s->state != VQD_HEAD) {
		vq_fail(vq, VQ_ERR_ID_NOT_HEAD,
			"used id %u is not the head of an outstanding buffer (%s)", id,
			s->state == VQD_FREE ? "free: repeated or invented id" :
					       "inside another buffer's chain");
		return false;
	}
	if (*len > s->in_bytes) {
		if (!(vq->flags & VQ_INIT_CLAMP_USED_LEN)) {
			vq_fail(vq, VQ_ERR_LEN,
				"used len %u for id %u exceeds its %llu writable bytes",
				*len, id, (unsigned long long)s->in_bytes);
			return false;
		}
		if (!vq->len_warned)
			pr_warn("virtqueue %s[%u]: device reported used len %u > %llu writable bytes; clamped\n",
				vq->name, vq->index, *len, (unsigned long long)s->in_bytes);
		vq->len_warned = true;
		*len = (uint32_t)s->in_bytes;
	}
	return true;
}

/* Token of the next used buffer (its written length in *len), or NULL. */
void *virtqueue_get_buf(struct virtqueue *vq, uint32_t *len)
{
	const struct virtq_used_elem *e;
	uint32_t id, ulen;
	void *token;

	if (vq_pending(vq) <= 0)
		return NULL;
	vq_rmb();
	e = &vq->used->ring[vq->last_used & (vq->size - 1)];
	id = READ_ONCE(e->id);
	ulen = READ_ONCE(e->len);
	if (!vq_used_entry_ok(vq, id, &ulen))
		return NULL;
	token = vq->shadow[id].token;
	vq_free_chain(vq, (uint16_t)id);
	vq->last_used++;
	if (len)
		*len = ulen;
	return token;
}

/* True if used buffers wait; false if none or broken. */
bool virtqueue_more_used(struct virtqueue *vq)
{
	return vq_pending(vq) > 0;
}

/* Ask the device not to interrupt for this queue. */
void virtqueue_disable_cb(struct virtqueue *vq)
{
	vq->avail_flags |= VIRTQ_AVAIL_F_NO_INTERRUPT;
	WRITE_ONCE(vq->avail->flags, vq->avail_flags);
}

/* Re-allow interrupts; false if used buffers already wait (poll them). */
bool virtqueue_enable_cb(struct virtqueue *vq)
{
	vq->avail_flags &= (uint16_t)~VIRTQ_AVAIL_F_NO_INTERRUPT;
	WRITE_ONCE(vq->avail->flags, vq->avail_flags);
	vq_mb();
	return !virtqueue_more_used(vq);
}

/* Interrupt entry: run the callback unless broken; false if broken. */
bool virtqueue_interrupt(struct virtqueue *vq)
{
	if (vq->broken)
		return false;
	if (vq->callback)
		vq->callback(vq);
	return true;
}

/* After reset: detach one outstanding chain and return its token, or NULL. */
void *virtqueue_detach_unused(struct virtqueue *vq)
{
	unsigned int i;

	for (i = vq->detach_pos; i < vq->size; i++) {
		if (vq->shadow[i].state == VQD_HEAD) {
			void *token = vq->shadow[i].token;

			vq_free_chain(vq, (uint16_t)i);
			vq->detach_pos = i + 1;
			return token;
		}
	}
	vq->detach_pos = 0;
	return NULL;
}

/* Mark the queue broken on the driver's or transport's behalf. */
void virtqueue_break(struct virtqueue *vq)
{
	if (!vq->broken) {
		pr_warn("virtqueue %s[%u]: marked broken by the driver\n",
			vq->name, vq->index);
		vq->reason = VQ_ERR_DRIVER;
	}
	vq->broken = true;
}

bool virtqueue_is_broken(const struct virtqueue *vq) { return vq->broken; }
enum vq_broken_reason virtqueue_broken_reason(const struct virtqueue *vq) { return vq->reason; }
unsigned int virtqueue_num_free(const struct virtqueue *vq) { return vq->num_free; }
unsigned int virtqueue_num_outstanding(const struct virtqueue *vq) { return vq->outstanding; }
unsigned int virtqueue_size(const struct virtqueue *vq) { return vq->size; }
unsigned int virtqueue_index(const struct virtqueue *vq) { return vq->index; }
const char *virtqueue_name(const struct virtqueue *vq) { return vq->name; }
void *virtqueue_priv(const struct virtqueue *vq) { return vq->priv; }
phys_addr_t virtqueue_desc_pa(const struct virtqueue *vq) { return vq->desc_pa; }
phys_addr_t virtqueue_avail_pa(const struct virtqueue *vq) { return vq->avail_pa; }
phys_addr_t virtqueue_used_pa(const struct virtqueue *vq) { return vq->used_pa; }

/* Walk the free list; true if it holds exactly the num_free FREE descriptors. */
static bool vq_check_free_list(const struct virtqueue *vq)
{
	unsigned int n = 0;
	uint16_t i = vq->free_head, last = VQ_END;

	while (i != VQ_END && n <= vq->size) {
		if (i >= vq->size || vq->shadow[i].state != VQD_FREE)
			return false;
		last = i;
		i = vq->shadow[i].next;
		n++;
	}
	return n == vq->num_free && last == (vq->num_free ? vq->free_tail : VQ_END);
}

/* Whole-structure check: free list, chains and counts agree. */
bool virtqueue_check(const struct virtqueue *vq)
{
	unsigned int i, k, heads = 0, frees = 0, bodies = 0, chained = 0;

	if (!vq_check_free_list(vq))
		return false;
	for (i = 0; i < vq->size; i++) {
		const struct vq_shadow *s = &vq->shadow[i];
		uint16_t j;

		if (s->state == VQD_FREE) {
			frees++;
			continue;
		}
		if (s->state == VQD_BODY) {
			bodies++;
			continue;
		}
		if (s->state != VQD_HEAD || !s->token || !s->ndesc)
			return false;
		heads++;
		chained += s->ndesc;
		j = s->next;
		for (k = 1; k < s->ndesc; k++) {
			if (j >= vq->size || vq->shadow[j].state != VQD_BODY)
				return false;
			j = vq->shadow[j].next;
		}
		if (j != VQ_END)
			return false;
	}
	return frees == vq->num_free && heads == vq->outstanding &&
	       chained == heads + bodies && frees + chained == vq->size &&
	       (uint16_t)(vq->avail_idx - vq->last_used) >= vq->outstanding;
}
