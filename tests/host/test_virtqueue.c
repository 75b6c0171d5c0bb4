/*
 * test_virtqueue.c - the split virtqueue against the simulated device
 * (tests/host/support/virtio_sim.c): layout, honest traffic, index
 * wraparound, notification and interrupt suppression, every hostile device
 * behaviour the driver must survive, detach after reset, and a seeded
 * randomized run against a model of the outstanding tokens.
 * Host "physical" addresses: every test sets host_phys_base = 0 first.
 */
#include "htest.h"
#include "support/virtio_sim.h"
#include <drivers/virtqueue.h>
#include <arch/page.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern int host_quiet;

#define NBUF	64
#define BUFSZ	64

struct tq {
	void *ring, *state;
	struct virtqueue *vq;
	struct vsim_queue sim;
	uint8_t (*buf)[BUFSZ];		/* NBUF data buffers */
	char tok[NBUF];			/* tokens are &tok[i] */
};

/* Set up a queue of @size entries plus its simulated device. */
static void tq_setup(struct tq *t, unsigned int size, bool legacy, unsigned int flags)
{
	size_t rb = virtqueue_ring_bytes(size, legacy);
	size_t sb = virtqueue_state_bytes(size);
	struct vq_init in = {
		.name = "test", .index = 0, .size = size, .legacy = legacy,
		.notify = vsim_notify, .priv = &t->sim, .flags = flags,
	};

	host_phys_base = 0;
	host_quiet = 0;
	memset(t, 0, sizeof(*t));
	ASSERT(rb && sb);
	/* exact sizes, so ASan sees any access past either area */
	ASSERT(!posix_memalign(&t->ring, legacy ? 4096 : 16, rb));
	ASSERT(!posix_memalign(&t->state, 64, sb));
	t->buf = calloc(NBUF, BUFSZ);
	ASSERT(t->buf);
	memset(t->ring, 0xa5, rb);		/* create must zero it */
	in.ring = t->ring;
	in.ring_pa = __pa(t->ring);
	in.state = t->state;
	t->vq = virtqueue_create(&in);
	ASSERT(t->vq);
	vsim_init(&t->sim, t->vq);
	/* the device may touch only our data buffers */
	t->sim.dma_lo = __pa(t->buf);
	t->sim.dma_hi = __pa(t->buf) + NBUF * BUFSZ;
}

/* Free everything tq_setup() allocated. */
static void tq_teardown(struct tq *t)
{
	vsim_destroy(&t->sim);
	free(t->ring);
	free(t->state);
	free(t->buf);
	host_quiet = 0;
}

/* A segment over data buffer @b, @len bytes. */
static struct vq_sg sg_buf(struct tq *t, unsigned int b, uint32_t len)
{
	return (struct vq_sg){ .addr = __pa(t->buf[b % NBUF]), .len = len };
}

/* Add a one-segment buffer (writable if @in) with token &tok[b]. */
static int add1(struct tq *t, unsigned int b, bool in)
{
	struct vq_sg sg = sg_buf(t, b, 16);

	return virtqueue_add(t->vq, &sg, in ? 0 : 1, in ? 1 : 0, &t->tok[b % NBUF]);
}

/* Expect the used/broken state a hostile device must leave behind. */
static void expect_broken(struct tq *t, enum vq_broken_reason why)
{
	struct vq_sg sg = sg_buf(t, 63, 8);
	uint32_t len;

	EXPECT(virtqueue_is_broken(t->vq));
	EXPECT_EQ(virtqueue_broken_reason(t->vq), why);
	EXPECT_EQ(virtqueue_add(t->vq, &sg, 1, 0, &t->tok[63]), -EIO);
	EXPECT(virtqueue_get_buf(t->vq, &len) == NULL);
	EXPECT(!virtqueue_kick(t->vq));
	EXPECT(!virtqueue_more_used(t->vq));
	EXPECT(virtqueue_check(t->vq));
	EXPECT_EQ(t->sim.driver_errors, 0);
}

/* Detach all outstanding tokens; expect each of tok[0..n) exactly once. */
static void expect_detach_exactly(struct tq *t, const bool *want, unsigned int n)
{
	unsigned int seen[NBUF] = { 0 };
	void *tok;
	unsigned int guard = 0;

	while ((tok = virtqueue_detach_unused(t->vq)) && guard++ < 1000) {
		ptrdiff_t i = (char *)tok - t->tok;

		ASSERT(i >= 0 && i < NBUF);
		seen[i]++;
	}
	for (unsigned int i = 0; i < n; i++)
		EXPECT_EQ(seen[i], want[i] ? 1 : 0);
	EXPECT_EQ(virtqueue_num_outstanding(t->vq), 0);
	EXPECT_EQ(virtqueue_num_free(t->vq), virtqueue_size(t->vq));
	EXPECT(virtqueue_check(t->vq));
}

/* Expect layouts as the spec computes them: modern packed at minimum alignment, legacy used ring on a 4096 boundary; invalid sizes rejected. */
TEST(layout_offsets)
{
	struct vq_layout l;

	ASSERT(virtqueue_layout(256, false, &l));
	EXPECT_EQ(l.desc_off, 0);
	EXPECT_EQ(l.avail_off, 4096);
	EXPECT_EQ(l.used_off, 4616);		/* 4096 + 6 + 512, 4-aligned */
	EXPECT_EQ(l.total, 4616 + 6 + 8 * 256);
	ASSERT(virtqueue_layout(256, true, &l));
	EXPECT_EQ(l.avail_off, 4096);
	EXPECT_EQ(l.used_off, 8192);
	EXPECT_EQ(l.total, 12288);
	ASSERT(virtqueue_layout(1, false, &l));
	EXPECT_EQ(l.avail_off, 16);
	EXPECT_EQ(l.used_off, 24);		/* 16 + 8 = 24, already 4-aligned */
	ASSERT(virtqueue_layout(2, false, &l));
	EXPECT_EQ(l.used_off, 44);		/* 32 + 10 -> 44 */
	EXPECT_EQ(virtqueue_ring_bytes(32768, true), 593920 + 266240);
	EXPECT_EQ(virtqueue_ring_bytes(0, false), 0);
	EXPECT_EQ(virtqueue_ring_bytes(3, false), 0);
	EXPECT_EQ(virtqueue_ring_bytes(65536, false), 0);
	EXPECT_EQ(virtqueue_state_bytes(12), 0);
	EXPECT(virtqueue_state_bytes(8) > 0);
}

/* Expect the queue's physical addresses to match the layout for both modes, and misaligned rings to be refused. */
TEST(layout_addresses_and_create_checks)
{
	for (int legacy = 0; legacy < 2; legacy++) {
		struct tq t;
		struct vq_layout l;

		tq_setup(&t, 64, legacy, 0);
		virtqueue_layout(64, legacy, &l);
		EXPECT_EQ(virtqueue_desc_pa(t.vq), __pa(t.ring) + l.desc_off);
		EXPECT_EQ(virtqueue_avail_pa(t.vq), __pa(t.ring) + l.avail_off);
		EXPECT_EQ(virtqueue_used_pa(t.vq), __pa(t.ring) + l.used_off);
		EXPECT_EQ(virtqueue_used_pa(t.vq) % (legacy ? 4096 : 4), 0);
		EXPECT_EQ(((uint8_t *)t.ring)[l.total - 1], 0);	/* zeroed */
		/* a round trip works in both layouts */
		EXPECT_EQ(add1(&t, 0, true), 0);
		EXPECT(virtqueue_kick(t.vq));
		EXPECT_EQ(vsim_process(&t.sim, 8), 1);
		EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[0]);

		struct vq_init bad = {
			.name = "bad", .size = 64, .legacy = true,
			.ring = (char *)t.ring + 16, .ring_pa = __pa(t.ring) + 16,
			.state = t.state, .notify = vsim_notify,
		};
		host_quiet = 1;
		EXPECT(virtqueue_create(&bad) == NULL);
		bad.legacy = false;
		bad.ring = (char *)t.ring + 8;
		bad.ring_pa = __pa(t.ring) + 8;
		EXPECT(virtqueue_create(&bad) == NULL);
		bad.ring = t.ring;
		bad.ring_pa = __pa(t.ring);
		bad.size = 48;
		EXPECT(virtqueue_create(&bad) == NULL);
		tq_teardown(&t);
	}
}

/* Expect buffers to come back in device order with the written length, the written data to arrive, and one notification per kick. */
TEST(in_order_roundtrip)
{
	struct tq t;
	uint32_t len = 0;

	tq_setup(&t, 8, false, 0);
	for (unsigned int i = 0; i < 8; i++)
		EXPECT_EQ(add1(&t, i, i & 1), 0);
	EXPECT_EQ(virtqueue_num_free(t.vq), 0);
	EXPECT(virtqueue_kick(t.vq));
	EXPECT_EQ(t.sim.notifies, 1);
	EXPECT(!virtqueue_more_used(t.vq));
	EXPECT_EQ(vsim_process(&t.sim, 100), 8);
	EXPECT(virtqueue_more_used(t.vq));
	for (unsigned int i = 0; i < 8; i++) {
		EXPECT(virtqueue_get_buf(t.vq, &len) == &t.tok[i]);
		EXPECT_EQ(len, (i & 1) ? 16 : 0);
	}
	EXPECT(virtqueue_get_buf(t.vq, &len) == NULL);
	/* writable buffers carry the device's pattern (head + offset) */
	EXPECT_EQ(t.buf[1][5], (uint8_t)(1 + 5));
	EXPECT_EQ(virtqueue_num_free(t.vq), 8);
	EXPECT(virtqueue_check(t.vq));
	EXPECT_EQ(t.sim.driver_errors, 0);
	tq_teardown(&t);
}

/* Expect out-of-order completion (legal) to return exactly the completed tokens, in completion order, and to free their descriptors. */
TEST(out_of_order_completion)
{
	struct tq t;
	const unsigned int order[4] = { 2, 0, 3, 1 };

	tq_setup(&t, 4, false, 0);
	for (unsigned int i = 0; i < 4; i++)
		EXPECT_EQ(add1(&t, i, true), 0);
	for (unsigned int i = 0; i < 4; i++)
		EXPECT_EQ(vsim_pop(&t.sim), 1);
	for (unsigned int k = 0; k < 4; k++) {
		unsigned int h;

		for (h = 0; h < t.sim.nheld; h++)
			if (t.sim.held[h].head == order[k])
				break;
		ASSERT(h < t.sim.nheld);
		vsim_complete(&t.sim, h, 16);
		EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[order[k]]);
		EXPECT_EQ(virtqueue_num_free(t.vq), k + 1);
		/* the freed descriptor can be reused at once, the others not */
		EXPECT(virtqueue_check(t.vq));
	}
	/* the reversed-batch knob is out of order too */
	t.sim.hostile = VSIM_REVERSE;
	for (unsigned int i = 0; i < 4; i++)
		EXPECT_EQ(add1(&t, 10 + i, true), 0);
	EXPECT_EQ(vsim_process(&t.sim, 4), 4);
	for (unsigned int i = 0; i < 4; i++)
		EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[13 - i]);
	EXPECT(!virtqueue_is_broken(t.vq));
	EXPECT_EQ(t.sim.driver_errors, 0);
	tq_teardown(&t);
}

/* Expect a full ring to refuse with -ENOSPC and bad arguments with -EINVAL, each leaving the queue unchanged. */
TEST(ring_full_and_bad_arguments)
{
	struct tq t;
	struct vq_sg sg[5];

	tq_setup(&t, 4, false, 0);
	for (unsigned int i = 0; i < 5; i++)
		sg[i] = sg_buf(&t, i, 8);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 5, 0, &t.tok[0]), -EINVAL);	/* > size */
	EXPECT_EQ(virtqueue_add(t.vq, sg, 0, 0, &t.tok[0]), -EINVAL);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 1, 0, NULL), -EINVAL);
	EXPECT_EQ(virtqueue_add(t.vq, NULL, 1, 0, &t.tok[0]), -EINVAL);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 0xffffffffu, 2, &t.tok[0]), -EINVAL); /* overflow */
	sg[1].len = 0;
	EXPECT_EQ(virtqueue_add(t.vq, sg, 1, 1, &t.tok[0]), -EINVAL);
	sg[1] = (struct vq_sg){ .addr = UINT64_MAX - 3, .len = 8 };	/* wraps */
	EXPECT_EQ(virtqueue_add(t.vq, sg, 2, 0, &t.tok[0]), -EINVAL);
	EXPECT_EQ(virtqueue_num_free(t.vq), 4);
	sg[1] = sg_buf(&t, 1, 8);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 1, 2, &t.tok[0]), 0);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 2, 0, &t.tok[1]), -ENOSPC);
	EXPECT_EQ(virtqueue_num_free(t.vq), 1);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 1, 0, &t.tok[2]), 0);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 1, 0, &t.tok[3]), -ENOSPC);
	EXPECT(virtqueue_check(t.vq));
	EXPECT_EQ(vsim_process(&t.sim, 10), 2);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[0]);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[2]);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 4, 0, &t.tok[4]), 0);
	EXPECT_EQ(t.sim.driver_errors, 0);
	tq_teardown(&t);
}

/* Expect 70000 round trips through a 4-entry queue to wrap both 16-bit indexes cleanly, with every token back exactly once. */
TEST(index_wraparound)
{
	struct tq t;
	uint64_t added = 0, got = 0;
	unsigned int next = 0;
	unsigned int expect_tok = 0;

	tq_setup(&t, 4, false, 0);
	while (added < 70000) {
		unsigned int n = 1 + htest_rand() % 4;

		for (unsigned int i = 0; i < n; i++, next++, added++)
			ASSERT_EQ(add1(&t, next % NBUF, next & 1), 0);
		virtqueue_kick(t.vq);
		ASSERT_EQ(vsim_process(&t.sim, 4), n);
		for (void *tok; (tok = virtqueue_get_buf(t.vq, NULL)); got++, expect_tok++)
			ASSERT(tok == &t.tok[expect_tok % NBUF]);
	}
	EXPECT_EQ(got, added);
	EXPECT_EQ(t.sim.avail->idx, (uint16_t)added);
	EXPECT_EQ(t.sim.used->idx, (uint16_t)added);
	EXPECT(!virtqueue_is_broken(t.vq));
	EXPECT(virtqueue_check(t.vq));
	EXPECT_EQ(t.sim.driver_errors, 0);
	tq_teardown(&t);
}

/* Expect a chain of 3 readable + 2 writable segments to reach the device as such, readable bytes read, writable filled, len = writable total. */
TEST(chain_out_and_in)
{
	struct tq t;
	struct vq_sg sg[5];
	uint64_t want_sum = 0;
	uint32_t len = 0;

	tq_setup(&t, 8, true, 0);
	for (unsigned int i = 0; i < 5; i++) {
		sg[i] = sg_buf(&t, i, 10 + i);
		for (unsigned int b = 0; b < sg[i].len; b++) {
			t.buf[i][b] = (uint8_t)(i * 7 + b);
			if (i < 3)
				want_sum += t.buf[i][b];
		}
	}
	EXPECT_EQ(virtqueue_add(t.vq, sg, 3, 2, &t.tok[9]), 0);
	EXPECT_EQ(virtqueue_num_free(t.vq), 3);
	t.sim.hostile = VSIM_NEVER;		/* pop and execute, hold */
	ASSERT_EQ(vsim_process(&t.sim, 1), 1);
	EXPECT_EQ(t.sim.held[0].n_out, 3);
	EXPECT_EQ(t.sim.held[0].n_in, 2);
	EXPECT_EQ(t.sim.held[0].in_bytes, 13 + 14);
	for (unsigned int i = 0; i < 5; i++) {
		EXPECT_EQ(t.sim.held[0].seg[i].addr, sg[i].addr);
		EXPECT_EQ(t.sim.held[0].seg[i].len, sg[i].len);
		EXPECT_EQ(t.sim.held[0].seg[i].write, i >= 3);
	}
	EXPECT_EQ(t.buf[4][3], (uint8_t)(t.sim.held[0].head + 3));
	vsim_complete(&t.sim, 0, t.sim.held[0].in_bytes);
	EXPECT_EQ(t.sim.read_sum, want_sum);
	EXPECT(virtqueue_get_buf(t.vq, &len) == &t.tok[9]);
	EXPECT_EQ(len, 27);
	EXPECT_EQ(virtqueue_num_free(t.vq), 8);
	EXPECT_EQ(t.sim.driver_errors, 0);
	tq_teardown(&t);
}

/* Expect kick to skip the notification while the device sets NO_NOTIFY, to notify again once it clears it, and a failed notify to break the queue. */
TEST(no_notify_respected)
{
	struct tq t;

	tq_setup(&t, 8, false, 0);
	EXPECT_EQ(add1(&t, 0, false), 0);
	vsim_set_no_notify(&t.sim, true);
	EXPECT(virtqueue_kick(t.vq));
	EXPECT(virtqueue_kick(t.vq));
	EXPECT_EQ(t.sim.notifies, 0);
	vsim_set_no_notify(&t.sim, false);
	EXPECT(virtqueue_kick(t.vq));
	EXPECT_EQ(t.sim.notifies, 1);
	t.sim.notify_fails = true;
	host_quiet = 1;
	EXPECT(!virtqueue_kick(t.vq));
	expect_broken(&t, VQ_ERR_NOTIFY);
	tq_teardown(&t);
}

/* Expect disable_cb to set NO_INTERRUPT, enable_cb to clear it and to report buffers that arrived meanwhile; the interrupt entry runs the callback. */
TEST(interrupt_suppression)
{
	struct tq t;

	tq_setup(&t, 8, false, 0);
	EXPECT(vsim_wants_interrupt(&t.sim));
	virtqueue_disable_cb(t.vq);
	EXPECT(!vsim_wants_interrupt(&t.sim));
	EXPECT(virtqueue_enable_cb(t.vq));
	EXPECT(vsim_wants_interrupt(&t.sim));
	virtqueue_disable_cb(t.vq);
	EXPECT_EQ(add1(&t, 0, true), 0);
	EXPECT_EQ(vsim_process(&t.sim, 1), 1);
	EXPECT(!virtqueue_enable_cb(t.vq));	/* one waits: poll it */
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[0]);
	EXPECT(virtqueue_enable_cb(t.vq));
	EXPECT(virtqueue_interrupt(t.vq));
	tq_teardown(&t);
}

static unsigned int cb_runs;

/* Interrupt callback for the test below. */
static void count_cb(struct virtqueue *vq)
{
	cb_runs++;
}

/* Expect virtqueue_break() to break the queue (reason DRIVER, callbacks stop) and virtqueue_reset() after detach to bring it back clean. */
TEST(driver_break_and_reset)
{
	struct tq t;
	struct vq_init in;
	bool want[NBUF] = { false };

	tq_setup(&t, 8, false, 0);
	/* recreate with a callback over the same memory */
	in = (struct vq_init){ .name = "cb", .size = 8, .ring = t.ring,
			       .ring_pa = __pa(t.ring), .state = t.state,
			       .notify = vsim_notify, .callback = count_cb, .priv = &t.sim };
	t.vq = virtqueue_create(&in);
	ASSERT(t.vq);
	cb_runs = 0;
	EXPECT(virtqueue_interrupt(t.vq));
	EXPECT_EQ(cb_runs, 1);
	EXPECT_EQ(add1(&t, 3, true), 0);
	want[3] = true;
	host_quiet = 1;
	virtqueue_break(t.vq);
	expect_broken(&t, VQ_ERR_DRIVER);
	EXPECT(!virtqueue_interrupt(t.vq));
	EXPECT_EQ(cb_runs, 1);
	expect_detach_exactly(&t, want, NBUF);
	EXPECT_EQ(virtqueue_reset(t.vq), 0);
	EXPECT(!virtqueue_is_broken(t.vq));
	EXPECT_EQ(virtqueue_broken_reason(t.vq), VQ_OK);
	vsim_destroy(&t.sim);
	vsim_init(&t.sim, t.vq);
	EXPECT_EQ(add1(&t, 4, true), 0);
	EXPECT_EQ(vsim_process(&t.sim, 1), 1);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[4]);
	tq_teardown(&t);
}

/* Expect a used id >= size (just past the end, far past, 16-bit and 32-bit overflow) to break the queue, and detach to return every outstanding token once. */
TEST(hostile_id_out_of_range)
{
	static const uint32_t bad[] = { 8, 9, 0x10000, 0xffffffffu };

	for (unsigned int b = 0; b < ARRAY_SIZE(bad); b++) {
		struct tq t;
		bool want[NBUF] = { false };

		tq_setup(&t, 8, false, 0);
		for (unsigned int i = 0; i < 3; i++) {
			EXPECT_EQ(add1(&t, i, true), 0);
			want[i] = true;
		}
		if (b == 0) {
			/* through the knob: ids size + head */
			t.sim.hostile = VSIM_BAD_ID;
			EXPECT_EQ(vsim_process(&t.sim, 3), 3);
			printf("# expected error line follows\n");
		} else {
			host_quiet = 1;
			EXPECT_EQ(vsim_pop(&t.sim), 1);
			vsim_push_raw(&t.sim, bad[b], 0);
		}
		EXPECT(virtqueue_get_buf(t.vq, NULL) == NULL);
		expect_broken(&t, VQ_ERR_ID_RANGE);
		expect_detach_exactly(&t, want, NBUF);
		tq_teardown(&t);
	}
}

/* Expect a used id equal to the queue size (the first invalid one) to break the queue. */
TEST(hostile_id_equal_to_size)
{
	struct tq t;

	tq_setup(&t, 4, false, 0);
	EXPECT_EQ(add1(&t, 0, true), 0);
	host_quiet = 1;
	vsim_push_raw(&t.sim, 4, 0);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == NULL);
	expect_broken(&t, VQ_ERR_ID_RANGE);
	tq_teardown(&t);
}

/* Expect a repeated used id to break the queue after the genuine completion, never returning the token twice. */
TEST(hostile_repeated_id)
{
	struct tq t;
	bool want[NBUF] = { false };

	tq_setup(&t, 8, false, 0);
	EXPECT_EQ(add1(&t, 0, true), 0);
	EXPECT_EQ(add1(&t, 1, true), 0);
	want[1] = true;
	t.sim.hostile = VSIM_REPEAT_ID;
	EXPECT_EQ(vsim_process(&t.sim, 1), 1);		/* completes 0, then repeats 0 */
	host_quiet = 1;
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[0]);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == NULL);
	expect_broken(&t, VQ_ERR_ID_NOT_HEAD);
	expect_detach_exactly(&t, want, NBUF);
	tq_teardown(&t);
}

/* Expect a used id naming a descriptor inside another chain (not a head) to break the queue. */
TEST(hostile_id_in_chain_body)
{
	struct tq t;
	struct vq_sg sg[3];
	bool want[NBUF] = { false };

	tq_setup(&t, 8, false, 0);
	for (unsigned int i = 0; i < 3; i++)
		sg[i] = sg_buf(&t, i, 8);
	EXPECT_EQ(virtqueue_add(t.vq, sg, 1, 2, &t.tok[5]), 0);
	want[5] = true;
	ASSERT_EQ(vsim_pop(&t.sim), 1);
	host_quiet = 1;
	vsim_push_raw(&t.sim, t.sim.held[0].seg[1].desc, 8);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == NULL);
	expect_broken(&t, VQ_ERR_ID_NOT_HEAD);
	expect_detach_exactly(&t, want, NBUF);
	tq_teardown(&t);
}

/* Expect a used len above the chain's writable bytes to break the queue (also for a read-only chain, which allows 0). */
TEST(hostile_oversized_len)
{
	for (int in = 0; in < 2; in++) {
		struct tq t;
		bool want[NBUF] = { false };

		tq_setup(&t, 8, false, 0);
		EXPECT_EQ(add1(&t, 0, in), 0);
		EXPECT_EQ(add1(&t, 1, in), 0);
		want[0] = want[1] = true;
		t.sim.hostile = VSIM_BIG_LEN;
		EXPECT_EQ(vsim_process(&t.sim, 1), 1);
		host_quiet = 1;
		EXPECT(virtqueue_get_buf(t.vq, NULL) == NULL);
		expect_broken(&t, VQ_ERR_LEN);
		/* the rejected completion's token stays outstanding: detach returns it */
		expect_detach_exactly(&t, want, NBUF);
		tq_teardown(&t);
	}
}

/* Expect VQ_INIT_CLAMP_USED_LEN to clamp an oversized len to the writable total instead of breaking. */
TEST(oversized_len_clamped_when_asked)
{
	struct tq t;
	uint32_t len = 1234;

	tq_setup(&t, 8, false, VQ_INIT_CLAMP_USED_LEN);
	EXPECT_EQ(add1(&t, 0, false), 0);
	EXPECT_EQ(add1(&t, 1, true), 0);
	t.sim.hostile = VSIM_BIG_LEN;
	EXPECT_EQ(vsim_process(&t.sim, 2), 2);
	host_quiet = 1;
	EXPECT(virtqueue_get_buf(t.vq, &len) == &t.tok[0]);
	EXPECT_EQ(len, 0);
	EXPECT(virtqueue_get_buf(t.vq, &len) == &t.tok[1]);
	EXPECT_EQ(len, 16);
	EXPECT(!virtqueue_is_broken(t.vq));
	tq_teardown(&t);
}

/* Expect a used idx that jumps ahead of the outstanding count, or goes backwards, to break the queue without reading the bogus entries. */
TEST(hostile_used_idx)
{
	for (int mode = 0; mode < 3; mode++) {
		struct tq t;
		bool want[NBUF] = { false };

		tq_setup(&t, 8, false, 0);
		for (unsigned int i = 0; i < 4; i++) {
			EXPECT_EQ(add1(&t, i, true), 0);
			want[i] = true;
		}
		host_quiet = 1;
		if (mode == 0) {
			/* a complete + jump of 999 */
			t.sim.hostile = VSIM_IDX_JUMP;
			EXPECT_EQ(vsim_process(&t.sim, 1), 1);
			/* token 0 was completed but never consumed: still outstanding */
		} else if (mode == 1) {
			vsim_set_used_idx(&t.sim, 5);	/* 5 > 4 outstanding */
		} else {
			EXPECT_EQ(vsim_process(&t.sim, 2), 2);
			EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[0]);
			EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[1]);
			want[0] = want[1] = false;
			vsim_set_used_idx(&t.sim, 1);	/* backwards */
		}
		EXPECT(!virtqueue_more_used(t.vq));
		expect_broken(&t, VQ_ERR_USED_IDX);
		expect_detach_exactly(&t, want, NBUF);
		tq_teardown(&t);
	}
}

/* Expect a device that never completes to leave the queue healthy but full: get_buf NULL, add -ENOSPC, and after reset detach returns everything. */
TEST(hostile_never_completes)
{
	struct tq t;
	bool want[NBUF] = { false };

	tq_setup(&t, 4, false, 0);
	t.sim.hostile = VSIM_NEVER;
	for (unsigned int i = 0; i < 4; i++) {
		EXPECT_EQ(add1(&t, i, true), 0);
		want[i] = true;
	}
	EXPECT_EQ(vsim_process(&t.sim, 10), 4);
	for (unsigned int i = 0; i < 100; i++)
		EXPECT(virtqueue_get_buf(t.vq, NULL) == NULL);
	EXPECT_EQ(add1(&t, 9, true), -ENOSPC);
	EXPECT(!virtqueue_is_broken(t.vq));
	EXPECT_EQ(virtqueue_reset(t.vq), -EBUSY);
	/* the transport resets the device, then: */
	expect_detach_exactly(&t, want, NBUF);
	EXPECT_EQ(virtqueue_reset(t.vq), 0);
	vsim_destroy(&t.sim);
	vsim_init(&t.sim, t.vq);
	EXPECT_EQ(add1(&t, 9, true), 0);
	EXPECT_EQ(vsim_process(&t.sim, 1), 1);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[9]);
	tq_teardown(&t);
}

/* Expect a device scribbling over the descriptor table (loops, huge lengths) not to redirect the driver: chains are freed from the shadow, later chains are clean. */
TEST(hostile_scribbles_descriptors)
{
	struct tq t;
	struct vq_sg sg[3];

	tq_setup(&t, 8, false, 0);
	t.sim.hostile = VSIM_SCRIBBLE;
	for (unsigned int round = 0; round < 50; round++) {
		for (unsigned int i = 0; i < 3; i++)
			sg[i] = sg_buf(&t, round + i, 8);
		ASSERT_EQ(virtqueue_add(t.vq, sg, 1, 2, &t.tok[round % NBUF]), 0);
		ASSERT_EQ(virtqueue_add(t.vq, sg, 3, 0, &t.tok[(round + 1) % NBUF]), 0);
		ASSERT_EQ(vsim_process(&t.sim, 8), 2);
		EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[round % NBUF]);
		EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[(round + 1) % NBUF]);
		EXPECT_EQ(virtqueue_num_free(t.vq), 8);
		ASSERT(virtqueue_check(t.vq));
	}
	/* the whole table is usable and distinct: 8 one-descriptor chains */
	t.sim.hostile = VSIM_NEVER;
	for (unsigned int i = 0; i < 8; i++)
		EXPECT_EQ(add1(&t, i, true), 0);
	EXPECT_EQ(vsim_process(&t.sim, 8), 8);
	EXPECT(!virtqueue_is_broken(t.vq));
	EXPECT_EQ(t.sim.driver_errors, 0);
	tq_teardown(&t);
}

/* Expect detach_unused on a healthy queue (after a device reset) to return each outstanding token exactly once, including multi-descriptor chains, and none already returned. */
TEST(detach_unused_exactly_once)
{
	struct tq t;
	bool want[NBUF] = { false };
	struct vq_sg sg[3];

	tq_setup(&t, 16, false, 0);
	for (unsigned int i = 0; i < 6; i++) {
		unsigned int n = 1 + i % 3;

		for (unsigned int k = 0; k < n; k++)
			sg[k] = sg_buf(&t, i * 3 + k, 8);
		EXPECT_EQ(virtqueue_add(t.vq, sg, n - 1, 1, &t.tok[i]), 0);
		want[i] = true;
	}
	EXPECT_EQ(vsim_process(&t.sim, 2), 2);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[0]);
	EXPECT(virtqueue_get_buf(t.vq, NULL) == &t.tok[1]);
	want[0] = want[1] = false;
	expect_detach_exactly(&t, want, NBUF);
	EXPECT(virtqueue_detach_unused(t.vq) == NULL);
	tq_teardown(&t);
}

/* Expect a long seeded random mix of adds, kicks, device pops and out-of-order completions to agree with a model of outstanding tokens at every step. */
TEST(randomized_against_model)
{
	static const unsigned int sizes[] = { 1, 2, 4, 16, 64 };
	uint64_t steps = htest_iters(40000);

	for (unsigned int si = 0; si < ARRAY_SIZE(sizes); si++) {
		struct tq t;
		unsigned int size = sizes[si];
		bool outstanding[NBUF] = { false };
		uint32_t wlen[NBUF] = { 0 };
		unsigned int n_out = 0, descs = 0, ndesc[NBUF] = { 0 };

		tq_setup(&t, size, si & 1, 0);
		for (uint64_t s = 0; s < steps / ARRAY_SIZE(sizes); s++) {
			unsigned int op = htest_rand() % 10;

			if (op < 4) {
				unsigned int tk = htest_rand() % NBUF;
				unsigned int n = 1 + htest_rand() % MIN(size, 4u);
				unsigned int in = htest_rand() % (n + 1);
				struct vq_sg sg[4];
				uint32_t sum = 0;
				int err;

				for (unsigned int k = 0; k < n; k++) {
					sg[k] = sg_buf(&t, htest_rand(), 1 + htest_rand() % BUFSZ);
					if (k >= n - in)
						sum += sg[k].len;
				}
				if (outstanding[tk])
					continue;	/* tokens stay unique */
				err = virtqueue_add(t.vq, sg, n - in, in, &t.tok[tk]);
				if (descs + n > size) {
					ASSERT_EQ(err, -ENOSPC);
				} else {
					ASSERT_EQ(err, 0);
					outstanding[tk] = true;
					wlen[tk] = sum;
					ndesc[tk] = n;
					descs += n;
					n_out++;
				}
			} else if (op < 5) {
				ASSERT(virtqueue_kick(t.vq));
			} else if (op < 7) {
				ASSERT(vsim_pop(&t.sim) >= 0);
			} else if (op < 8 && t.sim.nheld) {
				unsigned int h = htest_rand() % t.sim.nheld;

				vsim_complete(&t.sim, h, t.sim.held[h].in_bytes);
			} else {
				uint32_t len;
				void *tok = virtqueue_get_buf(t.vq, &len);

				if (tok) {
					ptrdiff_t tk = (char *)tok - t.tok;

					ASSERT(tk >= 0 && tk < NBUF);
					ASSERT(outstanding[tk]);
					ASSERT_EQ(len, wlen[tk]);
					outstanding[tk] = false;
					descs -= ndesc[tk];
					n_out--;
				}
			}
			ASSERT_EQ(virtqueue_num_outstanding(t.vq), n_out);
			ASSERT_EQ(virtqueue_num_free(t.vq), size - descs);
			ASSERT(virtqueue_check(t.vq));
			ASSERT(!virtqueue_is_broken(t.vq));
			ASSERT_EQ(t.sim.driver_errors, 0);
		}
		/* drain: the device completes everything */
		while (vsim_pop(&t.sim) == 1)
			;
		while (t.sim.nheld)
			vsim_complete(&t.sim, htest_rand() % t.sim.nheld, 0);
		for (void *tok; (tok = virtqueue_get_buf(t.vq, NULL));) {
			ptrdiff_t tk = (char *)tok - t.tok;

			ASSERT(outstanding[tk]);
			outstanding[tk] = false;
			n_out--;
		}
		EXPECT_EQ(n_out, 0);
		EXPECT_EQ(virtqueue_num_free(t.vq), size);
		tq_teardown(&t);
	}
}
