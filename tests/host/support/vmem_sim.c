/* vmem_sim.c - a simulated virtio-mem device (see vmem_sim.h). */
#include "vmem_sim.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <errno.h>
#include <time.h>
#include <sys/mman.h>

#define VMSIM_EXTENT	(256ull << 20)	/* usable = requested + this, like QEMU */

static struct vmsim *to_vmsim(struct virtio_device *v) { return container_of(v, struct vmsim, vdev); }

static uint8_t vs_get_status(struct virtio_device *v) { return to_vmsim(v)->status; }
static void vs_set_status(struct virtio_device *v, uint8_t st) { to_vmsim(v)->status = st; }
static void vs_reset(struct virtio_device *v) { to_vmsim(v)->status = 0; }
static uint64_t vs_get_features(struct virtio_device *v) { return to_vmsim(v)->offered; }
static int vs_finalize(struct virtio_device *v)
{
	struct vmsim *s = to_vmsim(v);

	if (v->features & ~s->offered)
		return -EINVAL;
	/* QEMU with unplugged-inaccessible=on requires the driver to accept it */
	if ((s->offered & (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)) &&
	    !(v->features & (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE)))
		return -ENODEV;
	return 0;
}

static uint32_t vs_generation(struct virtio_device *v) { return to_vmsim(v)->generation; }

/* The config field at @off (8-byte aligned) as the device shows it. */
static uint64_t vs_field(struct vmsim *s, unsigned int off)
{
	unsigned int f = off / 8;

	if (f < 7 && s->override[f])
		return s->cfg_override[f];
	switch (off) {
	case VIRTIO_MEM_CFG_BLOCK_SIZE: return s->block_size;
	case VIRTIO_MEM_CFG_NODE_ID: return s->node_id;
	case VIRTIO_MEM_CFG_ADDR: return s->addr;
	case VIRTIO_MEM_CFG_REGION_SIZE: return s->region_size;
	case VIRTIO_MEM_CFG_USABLE_SIZE: return s->usable_size;
	case VIRTIO_MEM_CFG_PLUGGED_SIZE: return s->plugged_size;
	case VIRTIO_MEM_CFG_REQUESTED_SIZE: return s->requested_size;
	}
	return 0;
}

static uint32_t vs_read_config(struct virtio_device *v, unsigned int off, unsigned int size)
{
	struct vmsim *s = to_vmsim(v);
	uint64_t f = vs_field(s, off & ~7u);
	uint64_t val = f >> ((off & 7) * 8);

	if (off >= VIRTIO_MEM_CFG_BYTES)
		return 0;
	return size == 4 ? (uint32_t)val : size == 2 ? (uint16_t)val : (uint8_t)val;
}

static void vs_write_config(struct virtio_device *v, unsigned int off, unsigned int size, uint32_t val)
{
	/* the config space is read-only for the driver */
	to_vmsim(v)->bad_reqs++;
}

static bool vs_notify(struct virtqueue *vq) { return true; }

static int vs_setup_vq(struct virtio_device *v, unsigned int index, unsigned int cap,
		       const char *name, void (*cb)(struct virtqueue *), struct virtqueue **out)
{
	struct vmsim *s = to_vmsim(v);
	struct vq_init in;
	unsigned int size = cap < 16 ? cap : 16;

	if (index != 0)
		return -ENOENT;
	s->ring = aligned_alloc(4096, ALIGN_UP(virtqueue_ring_bytes(size, false), 4096));
	s->state = aligned_alloc(64, ALIGN_UP(virtqueue_state_bytes(size), 64));
	memset(&in, 0, sizeof(in));
	in.name = name;
	in.index = index;
	in.size = size;
	in.ring = s->ring;
	in.ring_pa = __pa(s->ring);
	in.state = s->state;
	in.notify = vs_notify;
	in.callback = cb;
	in.priv = s;
	s->vq = virtqueue_create(&in);
	if (!s->vq)
		return -EINVAL;
	vsim_init(&s->q, s->vq);
	s->have_q = true;
	*out = s->vq;
	return 0;
}

static void vs_del_vqs(struct virtio_device *v)
{
	struct vmsim *s = to_vmsim(v);

	if (!s->have_q)
		return;
	vsim_destroy(&s->q);
	free(s->ring);
	free(s->state);
	s->have_q = false;
	s->vq = NULL;
}

static const struct virtio_config_ops vs_ops = {
	.name = "virtio-mem-sim",
	.get_status = vs_get_status, .set_status = vs_set_status, .reset = vs_reset,
	.get_features = vs_get_features, .finalize_features = vs_finalize,
	.read_config = vs_read_config, .write_config = vs_write_config,
	.generation = vs_generation, .setup_vq = vs_setup_vq, .del_vqs = vs_del_vqs,
	.notify = vs_notify,
};

/* Make device block @b accessible (plugged: zeroes) or not. */
static void vs_block_access(struct vmsim *s, unsigned long b, bool plugged)
{
	void *p = __va(s->addr + b * s->block_size);

	if (!s->protect)
		return;
	if (plugged) {
		if (mprotect(p, s->block_size, PROT_READ | PROT_WRITE))
			abort();
		memset(p, 0, s->block_size);
	} else {
		/* discard, then no access */
		if (mprotect(p, s->block_size, PROT_READ | PROT_WRITE))
			abort();
		memset(p, 0x6b, s->block_size);
		if (mprotect(p, s->block_size, PROT_NONE))
			abort();
	}
}

static void vs_resize_usable(struct vmsim *s, bool can_shrink)
{
	uint64_t n = s->requested_size + VMSIM_EXTENT;

	if (n > s->region_size)
		n = s->region_size;
	n = ALIGN_UP(n, s->block_size);
	if (!s->requested_size)
		n = 0;
	if (n < s->usable_size && !can_shrink)
		return;
	s->usable_size = n;
}

static void vs_bad(struct vmsim *s, const char *what, uint64_t addr, unsigned int nb)
{
	s->bad_reqs++;
	snprintf(s->last_bad, sizeof(s->last_bad), "%s %#llx x%u", what, (unsigned long long)addr, nb);
}

/* The honest answer to PLUG/UNPLUG/STATE of @nb blocks at @addr. */
static uint16_t vs_range_req(struct vmsim *s, uint16_t type, uint64_t addr, uint16_t nb, uint16_t *state)
{
	uint64_t size = (uint64_t)nb * s->block_size;
	unsigned long first, n_pl = 0;

	if (!nb || addr % s->block_size || addr < s->addr ||
	    addr + size > s->addr + (type == VIRTIO_MEM_REQ_STATE ? s->region_size : s->usable_size)) {
		vs_bad(s, "out of range", addr, nb);
		return VIRTIO_MEM_RESP_ERROR;
	}
	first = (unsigned long)((addr - s->addr) / s->block_size);
	for (unsigned long b = first; b < first + nb; b++)
		n_pl += s->plugged[b];
	if (type == VIRTIO_MEM_REQ_STATE) {
		*state = n_pl == nb ? VIRTIO_MEM_STATE_PLUGGED : n_pl ? VIRTIO_MEM_STATE_MIXED :
			 VIRTIO_MEM_STATE_UNPLUGGED;
		return VIRTIO_MEM_RESP_ACK;
	}
	if (type == VIRTIO_MEM_REQ_PLUG) {
		if (s->nack_plug || s->plugged_size + size > s->requested_size)
			return VIRTIO_MEM_RESP_NACK;
		if (n_pl) {
			vs_bad(s, "plug of plugged blocks", addr, nb);
			return VIRTIO_MEM_RESP_ERROR;
		}
	} else {
		if (n_pl != nb) {
			vs_bad(s, "unplug of unplugged blocks", addr, nb);
			return VIRTIO_MEM_RESP_ERROR;
		}
		if (s->nack_unplug)
			return VIRTIO_MEM_RESP_NACK;
	}
	for (unsigned long b = first; b < first + nb; b++) {
		s->plugged[b] = type == VIRTIO_MEM_REQ_PLUG;
		vs_block_access(s, b, s->plugged[b]);
	}
	if (type == VIRTIO_MEM_REQ_PLUG) {
		s->plugged_size += size;
		s->plugged_blocks_total += nb;
	} else {
		s->plugged_size -= size;
		s->unplugged_blocks_total += nb;
	}
	s->generation++;
	return VIRTIO_MEM_RESP_ACK;
}

/* Answer one popped chain. */
static void vs_handle(struct vmsim *s, unsigned int i)
{
	struct vsim_chain *c = &s->q.held[i];
	struct virtio_mem_req req;
	struct virtio_mem_resp resp;
	uint16_t type = VIRTIO_MEM_RESP_ERROR, st = 0;

	if (c->nseg != 2 || c->n_out != 1 || c->n_in != 1 || c->seg[0].len < sizeof(req) ||
	    c->seg[1].len < sizeof(resp)) {
		vs_bad(s, "malformed chain", 0, c->nseg);
		vsim_complete(&s->q, i, 0);
		return;
	}
	memcpy(&req, __va(c->seg[0].addr), sizeof(req));
	switch (req.type) {
	case VIRTIO_MEM_REQ_PLUG:
		s->plug_reqs++;
		if (!s->unplug_all_acks)
			s->plugs_before_unplug_all++;
		type = vs_range_req(s, req.type, req.addr, req.nb_blocks, &st);
		break;
	case VIRTIO_MEM_REQ_UNPLUG:
		s->unplug_reqs++;
		type = vs_range_req(s, req.type, req.addr, req.nb_blocks, &st);
		if (s->change_after_unplugs > 0 && --s->change_after_unplugs == 0)
			vmsim_set_requested(s, s->change_to);
		break;
	case VIRTIO_MEM_REQ_UNPLUG_ALL:
		s->unplug_all_reqs++;
		for (unsigned long b = 0; b < s->nblocks; b++)
			if (s->plugged[b]) {
				s->plugged[b] = 0;
				vs_block_access(s, b, false);
			}
		s->plugged_size = 0;
		s->unplug_all_acks++;
		vs_resize_usable(s, true);
		s->generation++;
		type = VIRTIO_MEM_RESP_ACK;
		break;
	case VIRTIO_MEM_REQ_STATE:
		s->state_reqs++;
		type = vs_range_req(s, req.type, req.addr, req.nb_blocks, &st);
		break;
	default:
		vs_bad(s, "unknown request type", req.type, 0);
	}
	memset(&resp, 0, sizeof(resp));
	resp.type = s->bad_type ? 7 : type;
	resp.state = st;
	memcpy(__va(c->seg[1].addr), &resp, sizeof(resp));
	vsim_complete(&s->q, i, s->short_resp ? 1 : sizeof(resp));
}

void vmsim_run(struct vmsim *s)
{
	if (!s->have_q)
		return;
	while (vsim_pop(&s->q) == 1) {
		if (s->never)
			continue;
		if ((s->busy || s->error_next) && !s->bad_type) {
			/* answer without doing anything: the hostile answer is all there is */
			struct vsim_chain *c = &s->q.held[s->q.nheld - 1];
			struct virtio_mem_req req;

			memcpy(&req, __va(c->seg[0].addr), sizeof(req));
			s->plug_reqs += req.type == VIRTIO_MEM_REQ_PLUG;
			s->unplug_reqs += req.type == VIRTIO_MEM_REQ_UNPLUG;
			s->unplug_all_reqs += req.type == VIRTIO_MEM_REQ_UNPLUG_ALL;
			if (req.type != VIRTIO_MEM_REQ_STATE && c->nseg == 2) {
				struct virtio_mem_resp resp = { 0 };

				resp.type = s->busy ? VIRTIO_MEM_RESP_BUSY : VIRTIO_MEM_RESP_ERROR;
				if (s->busy)
					s->busy--;
				else
					s->error_next--;
				memcpy(__va(c->seg[1].addr), &resp, sizeof(resp));
				vsim_complete(&s->q, s->q.nheld - 1, sizeof(resp));
				continue;
			}
		}
		vs_handle(s, s->q.nheld - 1);
	}
}

static uint64_t vs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void vs_wait_poll(struct virtio_mem *vm)
{
	vmsim_run(to_vmsim(vm->vdev));
}

const struct virtio_mem_env vmsim_env = { .now_ms = vs_now_ms, .wait_poll = vs_wait_poll };

void vmsim_init(struct vmsim *s, uint64_t addr, uint64_t region_size, uint64_t block_size)
{
	memset(s, 0, sizeof(*s));
	s->vdev.name = "vmsim";
	s->vdev.device_id = VIRTIO_ID_MEM;
	s->vdev.config = &vs_ops;
	s->offered = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
	s->addr = addr;
	s->region_size = region_size;
	s->block_size = block_size;
	s->change_after_unplugs = -1;
	s->nblocks = block_size ? (unsigned long)(region_size / block_size) : 0;
	s->plugged = calloc(s->nblocks ? s->nblocks : 1, 1);
	if (!s->plugged)
		abort();
}

void vmsim_destroy(struct vmsim *s)
{
	vs_del_vqs(&s->vdev);
	if (s->protect && s->block_size && s->region_size)
		mprotect(__va(s->addr), s->region_size, PROT_READ | PROT_WRITE);
	free(s->plugged);
	s->plugged = NULL;
}

void vmsim_protect_all(struct vmsim *s)
{
	if (mprotect(__va(s->addr), s->region_size, PROT_NONE))
		abort();
}

void vmsim_set_requested(struct vmsim *s, uint64_t bytes)
{
	s->requested_size = bytes;
	vs_resize_usable(s, false);
	s->generation++;
	s->config_irqs++;
	if (s->vdev.config_changed)
		s->vdev.config_changed(&s->vdev);
}

uint64_t vmsim_plugged_bytes(const struct vmsim *s)
{
	uint64_t n = 0;

	for (unsigned long b = 0; b < s->nblocks; b++)
		n += s->plugged[b];
	return n * s->block_size;
}

bool vmsim_block_plugged(const struct vmsim *s, unsigned long b)
{
	return b < s->nblocks && s->plugged[b];
}
