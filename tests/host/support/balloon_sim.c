/* balloon_sim.c - a simulated virtio-balloon device (see balloon_sim.h). */
#include "balloon_sim.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

static struct bsim *to_bsim(struct virtio_device *v) { return container_of(v, struct bsim, vdev); }

static uint8_t bs_get_status(struct virtio_device *v) { return to_bsim(v)->status; }
static void bs_set_status(struct virtio_device *v, uint8_t s)
{
	struct bsim *b = to_bsim(v);

	if (b->refuse_features_ok)
		s &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	b->status = s;
}
static void bs_reset(struct virtio_device *v)
{
	if (!to_bsim(v)->ignore_reset)
		to_bsim(v)->status = 0;
}
static uint64_t bs_get_features(struct virtio_device *v) { return to_bsim(v)->offered; }
static int bs_finalize(struct virtio_device *v) { return (v->features & ~to_bsim(v)->offered) ? -EINVAL : 0; }

static uint32_t bs_read_config(struct virtio_device *v, unsigned int off, unsigned int size)
{
	return to_bsim(v)->cfg[off / 4];
}

static void bs_write_config(struct virtio_device *v, unsigned int off, unsigned int size, uint32_t val)
{
	to_bsim(v)->cfg[off / 4] = val;
}

static bool bs_notify(struct virtqueue *vq) { return true; }

static int bs_setup_vq(struct virtio_device *v, unsigned int index, unsigned int cap,
		       const char *name, void (*cb)(struct virtqueue *), struct virtqueue **out)
{
	struct bsim *s = to_bsim(v);
	struct vq_init in;
	unsigned int size = cap < 64 ? cap : 64;

	if (index >= 4)
		return -ENOENT;
	if (!strcmp(name, "reporting"))
		s->rep_index = (int)index;
	s->ring[index] = aligned_alloc(4096, ALIGN_UP(virtqueue_ring_bytes(size, false), 4096));
	s->state[index] = aligned_alloc(64, ALIGN_UP(virtqueue_state_bytes(size), 64));
	memset(&in, 0, sizeof(in));
	in.name = name;
	in.index = index;
	in.size = size;
	in.ring = s->ring[index];
	in.ring_pa = __pa(s->ring[index]);
	in.state = s->state[index];
	in.notify = bs_notify;
	in.callback = cb;
	in.priv = s;
	s->vq[index] = virtqueue_create(&in);
	if (!s->vq[index])
		return -EINVAL;
	vsim_init(&s->q[index], s->vq[index]);
	s->have_q[index] = true;
	*out = s->vq[index];
	return 0;
}

static void bs_del_vqs(struct virtio_device *v)
{
	struct bsim *s = to_bsim(v);

	for (int i = 0; i < 4; i++) {
		if (!s->have_q[i])
			continue;
		vsim_destroy(&s->q[i]);
		free(s->ring[i]);
		free(s->state[i]);
		s->have_q[i] = false;
		s->vq[i] = NULL;
	}
}

static const struct virtio_config_ops bs_ops = {
	.name = "balloon-sim",
	.get_status = bs_get_status, .set_status = bs_set_status, .reset = bs_reset,
	.get_features = bs_get_features, .finalize_features = bs_finalize,
	.read_config = bs_read_config, .write_config = bs_write_config,
	.setup_vq = bs_setup_vq, .del_vqs = bs_del_vqs, .notify = bs_notify,
};

void bsim_apply(struct bsim *s, const struct vsim_chain *c, bool inflate)
{
	for (unsigned int k = 0; k < c->nseg; k++) {
		const uint32_t *pfn = __va(c->seg[k].addr);

		for (unsigned int j = 0; j < c->seg[k].len / 4; j++) {
			if (pfn[j] >= s->npfn || s->held[pfn[j]] == inflate) {
				s->errors++;	/* unknown pfn, double inflate or stray deflate */
				continue;
			}
			s->held[pfn[j]] = inflate;
			s->held_count += inflate ? 1 : -1;
		}
	}
}

/* Check and "discard" one popped free page report. */
static void bs_report(struct bsim *s, const struct vsim_chain *c)
{
	if (c->nseg > s->max_report_segs)
		s->max_report_segs = c->nseg;
	for (unsigned int k = 0; k < c->nseg; k++) {
		uint64_t addr = c->seg[k].addr, len = c->seg[k].len;
		unsigned long pfn = (unsigned long)(addr >> PAGE_SHIFT), np = (unsigned long)(len >> PAGE_SHIFT);

		if (!c->seg[k].write || len < PAGE_SIZE || (len & (len - 1)) || (addr & (len - 1)) ||
		    pfn + np > s->npfn) {
			s->report_errors++;
			continue;
		}
		for (unsigned long p = pfn; p < pfn + np; p++) {
			struct page *page = pfn_to_page(p);

			if (PageBuddy(page) || PageOffline(page) || PageMovableOffline(page) ||
			    page_ref_count(page) || s->held[p])
				s->report_errors++;
			memset(__va(PFN_PHYS(p)), 0, PAGE_SIZE);
		}
		s->reported_blocks++;
		s->reported_pages += np;
	}
	s->report_reqs++;
}

void bsim_finish_reports(struct bsim *s)
{
	struct vsim_queue *q;

	if (s->rep_index < 0 || !s->have_q[s->rep_index])
		return;
	q = &s->q[s->rep_index];
	while (q->nheld) {
		bs_report(s, &q->held[0]);
		vsim_complete(q, 0, 0);
	}
}

void bsim_run(struct bsim *s)
{
	if (s->rep_index >= 0 && s->have_q[s->rep_index]) {
		struct vsim_queue *q = &s->q[s->rep_index];

		while (vsim_pop(q) == 1) {
			if (s->report_never)
				continue;
			if (s->report_bad_id) {
				vsim_push_raw(q, q->size + 7, 0);
				continue;
			}
			if (s->report_reset) {
				s->status = 0;
				continue;
			}
			bs_report(s, &q->held[q->nheld - 1]);
			vsim_complete(q, q->nheld - 1, 0);
		}
	}
	for (int i = 0; i < 2; i++) {
		struct vsim_queue *q = &s->q[i];

		if (!s->have_q[i])
			continue;
		while (vsim_pop(q) == 1) {
			if (s->reset_on_next) {
				s->reset_on_next = false;
				s->status = 0;
				return;
			}
			if (s->never || (i == 0 && s->never_inflate))
				continue;
			bsim_apply(s, &q->held[q->nheld - 1], i == 0);
			if (i == 0)
				s->inflate_reqs++;
			else
				s->deflate_reqs++;
			vsim_complete(q, q->nheld - 1, 0);
		}
	}
}

static uint64_t bs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void bs_wait_poll(struct virtio_balloon *vb)
{
	bsim_run(to_bsim(vb->vdev));
}

const struct virtio_balloon_env bsim_env = { .now_ms = bs_now_ms, .wait_poll = bs_wait_poll };

void bsim_init(struct bsim *s, uint64_t features, unsigned long npfn)
{
	memset(s, 0, sizeof(*s));
	s->vdev.name = "bsim";
	s->vdev.device_id = VIRTIO_ID_BALLOON;
	s->vdev.config = &bs_ops;
	s->offered = features;
	s->npfn = npfn;
	s->rep_index = -1;
	s->held = calloc(npfn, 1);
	if (!s->held)
		abort();
}

void bsim_destroy(struct bsim *s)
{
	bs_del_vqs(&s->vdev);
	free(s->held);
	s->held = NULL;
}

unsigned long bsim_held_count(const struct bsim *s)
{
	return s->held_count;
}
