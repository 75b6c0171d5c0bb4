/*
 * fuzz_virtqueue.c - libFuzzer target: the split virtqueue against a device
 * whose every move comes from the input. Bytes pick the queue shape, then a
 * stream of operations: driver calls (add, kick, get_buf, interrupt
 * suppression, reset + detach), honest device work through the simulator,
 * and raw device writes of arbitrary values into the used ring, the used
 * idx and flags, the descriptor table and the avail ring.
 *
 * Invariants checked after every operation (abort on violation):
 *  - no crash, no ASan/UBSan report;
 *  - a token comes back (get_buf or detach) only while outstanding, so at
 *    most once per add, and a returned len never exceeds its writable bytes;
 *  - once broken, the queue stays broken: add -EIO, get_buf NULL, kick false;
 *  - the outstanding count equals the model's, virtqueue_check() holds;
 *  - while the device has only been honest, the queue is not broken and the
 *    simulator never saw a bad chain (no descriptor reused early).
 *
 * Build: make -f tests/host/host.mk build/host/fuzz_virtqueue
 * Run:   build/host/fuzz_virtqueue -runs=200000
 */
#include "support/virtio_sim.h"
#include <drivers/virtqueue.h>
#include <arch/page.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int host_quiet;

#define NTOK	256
#define NBUF	32
#define BUFSZ	32

struct input {
	const uint8_t *p;
	size_t n;
};

/* Next input byte, 0 once exhausted. */
static uint8_t in8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t in16(struct input *in) { return (uint16_t)(in8(in) | in8(in) << 8); }
static uint32_t in32(struct input *in) { return in16(in) | (uint32_t)in16(in) << 16; }

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

struct fz {
	struct virtqueue *vq;
	struct vsim_queue sim;
	void *ring, *state;
	uint8_t (*buf)[BUFSZ];
	char tok[NTOK];
	bool out[NTOK];			/* model: outstanding tokens */
	uint32_t wlen[NTOK];		/* model: writable bytes per token */
	unsigned int n_out;
	unsigned int size;
	bool legacy, was_broken, hostile;
};

/* Token index of @t, checked to be one of ours. */
static unsigned int tok_index(struct fz *f, void *t)
{
	ptrdiff_t i = (char *)t - f->tok;

	CHECK(i >= 0 && i < NTOK);
	return (unsigned int)i;
}

/* Account a token the driver handed back, with its len (or none). */
static void model_return(struct fz *f, void *t, const uint32_t *len)
{
	unsigned int i = tok_index(f, t);

	CHECK(f->out[i]);			/* at most once per add */
	if (len)
		CHECK(*len <= f->wlen[i]);
	f->out[i] = false;
	f->n_out--;
}

/* Driver op: add a chain described by the input. */
static void op_add(struct fz *f, struct input *in)
{
	struct vq_sg sg[4];
	uint8_t shape = in8(in);
	unsigned int n = 1 + (shape & 3), nin = (shape >> 2) % (n + 1);
	unsigned int t = in8(in);
	uint32_t sum = 0;
	int err;

	for (unsigned int k = 0; k < n; k++) {
		uint8_t b = in8(in);

		sg[k].addr = __pa(f->buf[b % NBUF]);
		sg[k].len = 1 + (b >> 3) % BUFSZ;
		if (k >= n - nin)
			sum += sg[k].len;
	}
	if (f->out[t])
		return;				/* tokens unique while outstanding */
	err = virtqueue_add(f->vq, sg, n - nin, nin, &f->tok[t]);
	if (f->was_broken) {
		CHECK(err == -EIO);		/* broken is checked first */
		return;
	}
	if (n > f->size) {
		CHECK(err == -EINVAL);		/* can never fit */
		return;
	}
	CHECK(err == 0 || err == -ENOSPC);
	if (err == -ENOSPC)
		CHECK(virtqueue_num_free(f->vq) < n);
	if (err)
		return;
	f->out[t] = true;
	f->wlen[t] = sum;
	f->n_out++;
}

/* Driver op: take used buffers, at most @max. */
static void op_get(struct fz *f, unsigned int max)
{
	for (unsigned int k = 0; k < max; k++) {
		uint32_t len = 0;
		void *t = virtqueue_get_buf(f->vq, &len);

		if (!t)
			break;
		CHECK(!f->was_broken);
		model_return(f, t, &len);
	}
}

/* Device reset: detach everything, then restart the queue and the device. */
static void op_reset(struct fz *f)
{
	void *t;
	unsigned int guard = 0;

	while ((t = virtqueue_detach_unused(f->vq))) {
		CHECK(guard++ < f->size);
		model_return(f, t, NULL);
	}
	CHECK(f->n_out == 0);
	CHECK(virtqueue_reset(f->vq) == 0);
	CHECK(!virtqueue_is_broken(f->vq));
	vsim_destroy(&f->sim);
	vsim_init(&f->sim, f->vq);
	f->sim.dma_lo = __pa(f->buf);
	f->sim.dma_hi = __pa(f->buf) + NBUF * BUFSZ;
	f->was_broken = false;
	f->hostile = false;
}

/* Hostile device: write arbitrary values into shared memory. */
static void op_raw(struct fz *f, uint8_t op, struct input *in)
{
	unsigned int mask = f->size - 1;

	f->hostile = true;
	switch (op) {
	case 0: {				/* a used entry */
		struct virtq_used_elem *e = &f->sim.used->ring[in8(in) & mask];

		e->id = in8(in) & 0x80 ? in32(in) : in8(in) % (f->size + 2);
		e->len = in8(in) & 0x80 ? in32(in) : in8(in);
		break;
	}
	case 1:					/* used idx, anywhere or nearby */
		if (in8(in) & 1)
			vsim_set_used_idx(&f->sim, in16(in));
		else
			vsim_set_used_idx(&f->sim, (uint16_t)(f->sim.used_idx + (in8(in) & 7)));
		break;
	case 2:					/* a descriptor */
		vsim_scribble_desc(&f->sim, in8(in), (uint64_t)in32(in) << in8(in) % 33,
				   in32(in), in16(in), in16(in));
		break;
	case 3:					/* used flags */
		f->sim.used->flags = in16(in);
		break;
	default:				/* the driver's avail ring */
		f->sim.avail->ring[in8(in) & mask] = in16(in);
		f->sim.avail->flags = in16(in);
		break;
	}
}

/* Honest device: pop, execute, complete (in or out of order). */
static void op_device(struct fz *f, struct input *in)
{
	uint8_t b = in8(in);

	if (f->hostile)
		return;		/* shared state may be garbage: sim would misjudge */
	switch (b & 3) {
	case 0:
		f->sim.hostile = 0;
		vsim_process(&f->sim, 1 + (b >> 2) % 8);
		break;
	case 1:
		f->sim.hostile = VSIM_REVERSE;
		vsim_process(&f->sim, 1 + (b >> 2) % 8);
		break;
	case 2:
		vsim_pop(&f->sim);
		break;
	default:
		if (f->sim.nheld) {
			unsigned int h = (b >> 2) % f->sim.nheld;

			vsim_complete(&f->sim, h, f->sim.held[h].in_bytes);
		}
		break;
	}
}

/* Check the invariants that hold after any operation. */
static void check_all(struct fz *f)
{
	bool broken = virtqueue_is_broken(f->vq);

	CHECK(!f->was_broken || broken);	/* broken stays broken */
	f->was_broken = broken;
	CHECK(virtqueue_check(f->vq));
	CHECK(virtqueue_num_outstanding(f->vq) == f->n_out);
	if (!f->hostile) {
		CHECK(!broken);
		CHECK(f->sim.driver_errors == 0);
	}
	if (broken) {
		CHECK(virtqueue_get_buf(f->vq, NULL) == NULL);
		CHECK(!virtqueue_kick(f->vq));
	}
}

/* Set up a queue shaped by the first input byte; false if out of memory. */
static bool fz_setup(struct fz *f, struct input *in)
{
	uint8_t b = in8(in);
	size_t rb, sb;
	struct vq_init init = { .name = "fuzz" };

	memset(f, 0, sizeof(*f));
	f->size = 1u << (b % 7);		/* 1..64 */
	f->legacy = b & 0x80;
	rb = virtqueue_ring_bytes(f->size, f->legacy);
	sb = virtqueue_state_bytes(f->size);
	if (posix_memalign(&f->ring, f->legacy ? 4096 : 16, rb) ||
	    posix_memalign(&f->state, 64, sb))
		return false;
	f->buf = calloc(NBUF, BUFSZ);
	if (!f->buf)
		return false;
	init.size = f->size;
	init.legacy = f->legacy;
	init.ring = f->ring;
	init.ring_pa = __pa(f->ring);
	init.state = f->state;
	init.notify = vsim_notify;
	init.priv = &f->sim;
	init.flags = (b & 0x40) ? VQ_INIT_CLAMP_USED_LEN : 0;
	f->vq = virtqueue_create(&init);
	CHECK(f->vq);
	vsim_init(&f->sim, f->vq);
	f->sim.dma_lo = __pa(f->buf);
	f->sim.dma_hi = __pa(f->buf) + NBUF * BUFSZ;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fz *f = calloc(1, sizeof(*f));
	unsigned int ops = 0;

	host_phys_base = 0;
	host_quiet = 1;
	if (!f)
		return 0;
	if (!fz_setup(f, &in))
		goto out;
	while (in.n && ops++ < 4096) {
		uint8_t op = in8(&in);

		switch (op % 12) {
		case 0: case 1: case 2:
			op_add(f, &in);
			break;
		case 3:
			CHECK(virtqueue_kick(f->vq) == !virtqueue_is_broken(f->vq));
			break;
		case 4: case 5:
			op_device(f, &in);
			break;
		case 6: case 7:
			op_get(f, 1 + (op >> 4));
			break;
		case 8:
			op_raw(f, (op >> 4) % 5, &in);
			break;
		case 9:
			if (op & 0x10)
				virtqueue_disable_cb(f->vq);
			else
				(void)virtqueue_enable_cb(f->vq);
			(void)virtqueue_more_used(f->vq);
			break;
		case 10:
			if ((op >> 4) == 0)
				op_reset(f);
			else
				op_get(f, f->size);
			break;
		default:
			op_raw(f, (op >> 4) % 5, &in);
			break;
		}
		check_all(f);
	}
	/* end: the device is reset, every outstanding token comes back once */
	op_reset(f);
	check_all(f);
out:
	if (f->sim.in_device)
		vsim_destroy(&f->sim);
	free(f->ring);
	free(f->state);
	free(f->buf);
	free(f);
	return 0;
}
