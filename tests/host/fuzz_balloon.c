/*
 * fuzz_balloon.c - libFuzzer target: the virtio-balloon driver core
 * (drivers/virtio/virtio_balloon_core.c) and balloon compaction against a
 * simulated device (support/balloon_sim.c, virtio_sim.c) whose every move
 * comes from the input.
 *
 * The input decides, in order: the features the device offers (and whether
 * it refuses FEATURES_OK), the target it shows before the driver is ready,
 * then a stream of operations:
 *  - host side: a new num_pages (0, small, beyond RAM, 2^32-1, any u32),
 *    a target that changes on every poll of the used ring, stats requests
 *    (honest or hostile), spontaneous garbage in a used ring, a reset;
 *  - guest side: driver steps, deflate-on-OOM (direct, and through the
 *    allocator's slow path when the guest allocates too much), compaction
 *    (isolate / migrate_pages with or without a compaction-style target
 *    free list / putback, and compact_all()).
 * Each request the driver sends meets a device fate chosen by one input
 * byte: honest, late, never completed, a used id out of range, a repeated
 * id, a used length too large, a jump of the used idx, a reset; or honest
 * with a re-entrant call made while the driver waits (migration, OOM
 * deflate, a step, an allocation), which must back off, not deadlock.
 * Time is a fake clock advanced by each poll, so timeouts cost no time.
 *
 * Invariants checked after every operation (abort() on violation):
 *  - listed + isolated == vb.num_pages, the pages the host was told
 *    about, and every PageMovableOffline page in memory is one of them (no page
 *    left outside the list, as an unanswered migration once did);
 *  - `actual` (config offset 4) == vb.num_pages;
 *  - vmstat balloon_deflate == the pages whose deflate the host
 *    acknowledged, balloon_inflate - balloon_deflate == vb.num_pages (a
 *    failed deflate counts nothing);
 *  - a migration pass succeeds for exactly the pages the driver moved
 *    (pgmigrate_success and its result agree with vb.migrated);
 *  - every page the simulated host holds is owned by the balloon, and while
 *    the driver is not broken the host holds exactly the balloon's pages;
 *  - no owned page is free (PageBuddy) or unreferenced, no guest page is
 *    owned or held by the host, the driver never sends a PFN twice or a
 *    malformed chain; the allocator's own invariants hold (that whole-
 *    memmap check runs every 16th operation and at the end, for speed);
 *  - at teardown every page is back in the buddy, except (after the
 *    device broke) those removal retired: free + retired == initial. An
 *    op may leave pages isolated until removal: "another CPU" (the fuzzer,
 *    from the driver's poll) finishes them only once removal has waited
 *    longer than any device request can last, and removal must have
 *    waited for them (nothing listed, isolated or counted afterwards).
 *
 * Build: make -f tests/host/host.mk build/host/fuzz_balloon
 * Run:   build/host/fuzz_balloon -runs=100000
 * Replay one input with a trace of the operations and the driver's messages:
 *        FUZZ_BALLOON_TRACE=1 build/host/fuzz_balloon CRASH-FILE
 */
#include "support/balloon_sim.h"
#include "support/host_mem.h"
#include <drivers/virtio_balloon.h>
#include <mm/page_alloc.h>
#include <mm/migrate.h>
#include <mm/compaction.h>
#include <mm/vmstat.h>
#include <mm/page_reporting.h>
#include <arch/page.h>
#include <lib/prandom.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int host_quiet;

#define MEM_MB		4
#define MAX_OPS		128
#define TIMEOUT_MS	64	/* fake milliseconds; one poll = one ms */

#define FEAT(b)		(1ull << (b))
#define SUPPORTED	(FEAT(VIRTIO_BALLOON_F_MUST_TELL_HOST) | FEAT(VIRTIO_BALLOON_F_STATS_VQ) | \
			 FEAT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) | FEAT(VIRTIO_BALLOON_F_PAGE_POISON) | \
			 FEAT(VIRTIO_BALLOON_F_REPORTING) | FEAT(VIRTIO_F_VERSION_1))

/* The checks are not what the fuzzer should explore: no coverage feedback. */
#ifdef __clang__
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define NO_COVERAGE
#endif

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

/* The whole state of one run (global: the driver's env callbacks reach it). */
static struct fz {
	struct input in;
	struct bsim sim;
	struct virtio_balloon vb;
	struct virtio_balloon_env env;
	bool inited;			/* virtio_balloon_init() succeeded */
	bool hook;			/* OOM hook registered */
	struct alloc_slowpath_hook oom_hook;
	uint64_t clock;			/* fake ms */
	uint64_t rng;			/* target churn */
	bool churn;			/* a new target on every poll */
	bool dead[3];			/* device stopped completing on this queue */
	unsigned int defer[3];		/* polls until the held request completes */
	unsigned int nest;		/* inside a re-entrant call */
	unsigned int waiting;		/* inside the driver's wait (vb->lock held) */
	bool lied;			/* the device pushed plausible but false completions */
	unsigned int steps;		/* check_all() calls */
	bool in_migrate;		/* a migration of fz.iso is running */
	bool late_iso;			/* fz.iso stays isolated until removal waits for it */
	bool removing;			/* inside virtio_balloon_remove() */
	unsigned long remove_polls;	/* driver polls since removal started */
	struct list_head iso;		/* balloon pages we isolated */
	struct list_head guest;		/* pages the "guest" allocated */
	struct list_head freepages;	/* compaction-style target list */
	unsigned long free0;		/* free pages before the driver started */
	uint8_t *owned;			/* scratch: [npfn] owned by the balloon */
} fz;

/* Next input byte, 0 once exhausted (0 always means "honest"). */
static uint8_t in8(void)
{
	if (!fz.in.n)
		return 0;
	fz.in.n--;
	return *fz.in.p++;
}

/* Little-endian 16 and 32 bits from the input (bytes taken in order). */
static uint16_t in16(void)
{
	uint16_t lo = in8();

	return (uint16_t)(lo | in8() << 8);
}

static uint32_t in32(void)
{
	uint32_t lo = in16();

	return lo | (uint32_t)in16() << 16;
}

/* Next pseudo-random value for the churning target (fz.rng is never 0). */
static uint32_t churn_next(void)
{
	return (uint32_t)(prandom_u64_state(&fz.rng) >> 32);
}

/* A host target: 0, small, about RAM, beyond RAM, 2^32-1 or anything. */
static uint32_t pick_target(uint8_t b, uint32_t r)
{
	unsigned long ram = totalram_pages();

	switch (b % 8) {
	case 0: return 0;
	case 1: return 0xffffffffu;
	case 2: return (uint32_t)(ram + (r & 0xffff));
	case 3: return r;
	default: return (uint32_t)(r % (ram + ram / 2 + 1));
	}
}

static uint64_t fz_now_ms(void) { return fz.clock; }

/* Complete held chain #i of queue @qi honestly: apply it, used len 0. */
static void dev_complete(unsigned int qi, unsigned int i)
{
	struct vsim_queue *q = &fz.sim.q[qi];

	if (qi < 2)
		bsim_apply(&fz.sim, &q->held[i], qi == 0);
	vsim_complete(q, i, 0);
}

static void reentrant_call(uint8_t b);

/* Decide the fate of the chain just popped on queue @qi. */
static void dev_fate(unsigned int qi)
{
	struct vsim_queue *q = &fz.sim.q[qi];
	unsigned int last = q->nheld - 1;
	uint8_t b = in8();
	uint16_t head = q->held[last].head;

	if (!host_quiet)
		printf("  device: queue %u request fate %u\n", qi, b % 16);

	switch (b % 16) {
	case 6:					/* late: complete after a few polls */
		fz.defer[qi] = 1 + (b >> 4);
		return;
	case 7:					/* used len too large */
		bsim_apply(&fz.sim, &q->held[last], qi == 0);
		vsim_complete(q, last, 1 + in8());
		return;
	case 8:					/* the same id used twice */
		fz.lied = true;			/* undetectable if the id is reused */
		dev_complete(qi, last);
		vsim_push_raw(q, head, 0);
		return;
	case 9:					/* a used id out of range */
		if (b & 0x10)
			bsim_apply(&fz.sim, &q->held[last], qi == 0);
		vsim_push_raw(q, (b & 0x20) ? (q->size | in32()) : q->size + in8(), 0);
		fz.dead[qi] = true;
		return;
	case 10:				/* never completes */
		if (b & 0x10)
			bsim_apply(&fz.sim, &q->held[last], qi == 0);
		fz.dead[qi] = true;
		return;
	case 11:				/* reset mid-request */
		if (b & 0x10)
			bsim_apply(&fz.sim, &q->held[last], qi == 0);
		fz.sim.status = 0;
		return;
	case 12:				/* completes, then the used idx jumps */
		fz.lied = true;			/* stale entries may look like completions */
		dev_complete(qi, last);
		vsim_set_used_idx(q, (uint16_t)(q->used_idx + 1 + in8()));
		return;
	case 13:				/* honest, with a re-entrant call first */
		reentrant_call(in8());
		dev_complete(qi, last);
		return;
	case 14:				/* honest, and the target moves */
		fz.sim.cfg[0] = pick_target(in8(), in32());
		dev_complete(qi, last);
		return;
	default:
		dev_complete(qi, last);
		return;
	}
}

/* The device's turn: late completions, then every newly published chain. */
static void dev_run(void)
{
	if (!(fz.sim.status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;			/* a reset device ignores its queues */
	for (unsigned int qi = 0; qi < 2; qi++) {
		struct vsim_queue *q = &fz.sim.q[qi];

		if (!fz.sim.have_q[qi] || fz.dead[qi])
			continue;
		if (fz.defer[qi] && --fz.defer[qi] == 0 && q->nheld)
			dev_complete(qi, q->nheld - 1);
		while (!fz.defer[qi] && !fz.dead[qi] &&
		       fz.sim.status & VIRTIO_CONFIG_S_DRIVER_OK && vsim_pop(q) == 1)
			dev_fate(qi);
	}
}

static void late_cpu_finishes(void);

/* env->wait_poll: the driver waits for a used buffer (or, removing, for isolated pages). */
static void fz_wait_poll(struct virtio_balloon *vb)
{
	fz.clock++;
	if (fz.removing && ++fz.remove_polls > 4 * 1024)
		late_cpu_finishes();
	if (fz.churn)
		fz.sim.cfg[0] = pick_target((uint8_t)churn_next(), churn_next());
	fz.waiting++;
	dev_run();
	fz.waiting--;
}

/* Migration target: a fresh movable page. */
static struct page *fz_new_page(struct page *page, unsigned long private)
{
	return alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN);
}

/* Compaction-style put_new_page: an unused target goes back to a free list. */
static void fz_put_new(struct page *page, unsigned long private)
{
	list_add(&page->lru, &fz.freepages);
}

/* Return the compaction-style target list to the buddy. */
static void release_freepages(void)
{
	while (!list_empty(&fz.freepages)) {
		struct page *page = list_first_entry(&fz.freepages, struct page, lru);

		list_del(&page->lru);
		CHECK(page_ref_count(page) == 1 && !PageMovableOffline(page));
		__free_page(page);
	}
}

/* The "guest" allocates up to @n pages (the slow path may deflate on OOM). */
static void guest_alloc(unsigned int n)
{
	while (n--) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_NOWARN);

		if (!page)
			break;
		list_add(&page->lru, &fz.guest);
	}
}

/* The "guest" frees up to @n of its pages. */
static void guest_free(unsigned int n)
{
	while (n-- && !list_empty(&fz.guest)) {
		struct page *page = list_first_entry(&fz.guest, struct page, lru);

		list_del(&page->lru);
		__free_page(page);
	}
}

/* Isolate balloon pages chosen by @mask bits (and retry already isolated ones). */
static void op_isolate(uint32_t mask, unsigned int max)
{
	struct page *page, *next;
	unsigned int i = 0, n = 0;

	list_for_each_entry_safe(page, next, &fz.vb.b_dev_info.pages, lru) {
		if (n == max)
			break;
		if (!(mask & (1u << (i++ % 32))))
			continue;
		if (isolate_movable_page(page, 0)) {
			list_add_tail(&page->lru, &fz.iso);
			n++;
		}
	}
	/* a page already isolated is skipped by a concurrent isolator */
	if (!list_empty(&fz.iso))
		CHECK(!isolate_movable_page(list_first_entry(&fz.iso, struct page, lru), 0));
}

/*
 * Migrate our isolated pages; failures stay on fz.iso (or were put back).
 * The pass succeeds for exactly the pages the driver moved (an unanswered
 * migration is not a success). Returns how many moved.
 */
static unsigned int op_migrate(uint8_t b)
{
	unsigned int ok = 0;
	enum migrate_mode mode = (b & 0x10) ? MIGRATE_ASYNC : MIGRATE_SYNC;
	unsigned long migrated0 = fz.vb.migrated, success0 = vm_stat_read(PGMIGRATE_SUCCESS);

	fz.in_migrate = true;
	migrate_pages(&fz.iso, fz_new_page, (b & 0x20) ? fz_put_new : NULL, 0, mode,
		      MR_COMPACTION, &ok);
	fz.in_migrate = false;
	CHECK(ok == fz.vb.migrated - migrated0);
	CHECK(ok == vm_stat_read(PGMIGRATE_SUCCESS) - success0);
	release_freepages();
	return ok;
}

/*
 * "Another CPU" that held fz.iso isolated finishes while removal waits:
 * its migration must fail (the device is going away), then it puts back.
 */
static void late_cpu_finishes(void)
{
	if (!fz.late_iso || fz.in_migrate || list_empty(&fz.iso))
		return;
	fz.late_iso = false;
	CHECK(op_migrate(0) == 0);
	putback_movable_pages(&fz.iso);
}

/* A call made while the driver waits for the device (vb->lock held). */
static void reentrant_call(uint8_t b)
{
	int ret;

	if (fz.nest || !fz.waiting)
		return;
	fz.nest++;
	switch (b % 4) {
	case 0:
		/* the driver holds its lock: a migration must back off */
		if (!fz.in_migrate && !list_empty(&fz.iso)) {
			unsigned long migrated = fz.vb.migrated;

			op_migrate(b);
			CHECK(fz.vb.migrated == migrated);
		}
		break;
	case 1:
		CHECK(virtio_balloon_oom_deflate(&fz.vb, 1 + b) == 0);
		break;
	case 2:
		ret = virtio_balloon_step(&fz.vb, 1);
		CHECK(ret == -EBUSY || ret == -EAGAIN || ret == -EIO);
		break;
	default:
		guest_alloc(1 + (b >> 2));
		break;
	}
	fz.nest--;
}

/* Host side of the stats queue: use the buffer honestly or not, then service. */
static void op_stats(uint8_t b)
{
	struct vsim_queue *q = &fz.sim.q[2];

	if (fz.sim.have_q[2] && (fz.sim.status & VIRTIO_CONFIG_S_DRIVER_OK)) {
		while (vsim_pop(q) == 1)
			;
		if (q->nheld) {
			switch ((b >> 4) % 4) {
			case 1:
				vsim_complete(q, q->nheld - 1, 1 + in8());	/* len too large */
				break;
			case 2:
				vsim_push_raw(q, q->size + in8(), 0);		/* bad id */
				break;
			case 3:
				break;						/* keep it */
			default: {
				unsigned int i = q->nheld - 1;
				const struct virtio_balloon_stat *st = __va(q->held[i].seg[0].addr);

				/* the buffer holds the stats the driver says it holds */
				CHECK(q->held[i].seg[0].len % sizeof(*st) == 0);
				CHECK(q->held[i].seg[0].len <= sizeof(fz.vb.stats));
				CHECK(!q->held[i].seg[0].write);
				vsim_complete(q, i, 0);
				break;
			}
			}
		}
	}
	virtio_balloon_stats_service(&fz.vb);
	if (fz.inited && fz.vb.stats_vq && !virtqueue_is_broken(fz.vb.stats_vq))
		CHECK(fz.vb.stats_outstanding);
}

/* Spontaneous garbage from the device in a used ring. */
static void op_garbage(uint8_t b)
{
	unsigned int qi = (b >> 4) % 3;
	struct vsim_queue *q = &fz.sim.q[qi];

	if (!fz.sim.have_q[qi])
		return;
	fz.lied |= qi < 2;
	if (b & 0x80)
		vsim_set_used_idx(q, in16());
	else
		vsim_push_raw(q, in8() % (q->size + 2), in8());
}

/* Mark @page owned; it must be the balloon's, referenced, never free. */
static NO_COVERAGE void own(struct page *page)
{
	unsigned long pfn = page_to_pfn(page);

	CHECK(pfn < fz.sim.npfn);
	CHECK(!fz.owned[pfn]);			/* owned once */
	fz.owned[pfn] = 1;
	CHECK(!PageBuddy(page));
	CHECK(PageMovableOffline(page));
	CHECK(page_ref_count(page) >= 1);
}

/* Every invariant of the file comment. */
static NO_COVERAGE void check_all(void)
{
	struct balloon_dev_info *b = &fz.vb.b_dev_info;
	struct page *page;
	unsigned long n_owned = 0, n_iso = 0;

	/* the allocator's whole-memmap check is costly: every 16th step and at the end */
	if ((fz.steps++ & 15) == 0)
		CHECK(mm_check_invariants() == 0);
	CHECK(nr_bad_pages == 0);
	if (!fz.lied)
		CHECK(fz.sim.errors == 0);	/* no pfn sent twice, no stray deflate */
	for (unsigned int qi = 0; qi < 3; qi++)
		CHECK(!fz.sim.have_q[qi] || fz.sim.q[qi].driver_errors == 0);
	if (!fz.inited) {
		CHECK(fz.sim.held_count == 0);
		return;
	}
	CHECK(virtio_balloon_check(&fz.vb) == 0);
	memset(fz.owned, 0, fz.sim.npfn);
	list_for_each_entry(page, &b->pages, lru) {
		own(page);
		CHECK(!PageIsolated(page));
		n_owned++;
	}
	list_for_each_entry(page, &fz.iso, lru) {
		own(page);
		CHECK(PageIsolated(page));
		CHECK(balloon_page_device(page) == b);
		n_owned++;
		n_iso++;
	}
	CHECK(n_iso == b->isolated_pages);
	CHECK(n_owned == fz.vb.num_pages);
	/* no balloon page outside the list and the isolated set */
	for (unsigned long pfn = 0; pfn < fz.sim.npfn; pfn++)
		if (pfn_valid(pfn) && PageMovableOffline(pfn_to_page(pfn)))
			CHECK(fz.owned[pfn]);
	CHECK(fz.sim.cfg[1] == fz.vb.num_pages);		/* actual */
	CHECK(vm_stat_read(BALLOON_DEFLATE) == fz.vb.deflated);
	CHECK(vm_stat_read(BALLOON_INFLATE) - vm_stat_read(BALLOON_DEFLATE) == fz.vb.num_pages);
	/* a device that lies about completions cannot be held to this */
	for (unsigned long pfn = 0; pfn < fz.sim.npfn && !fz.lied; pfn++)
		if (fz.sim.held[pfn])
			CHECK(fz.owned[pfn]);	/* the host holds only balloon pages */
	if (!fz.vb.broken && !fz.lied)
		CHECK(fz.sim.held_count == fz.vb.num_pages);
	list_for_each_entry(page, &fz.guest, lru) {
		unsigned long pfn = page_to_pfn(page);

		CHECK(!fz.owned[pfn] && !PageMovableOffline(page));
		CHECK(fz.lied || !fz.sim.held[pfn]);
		CHECK(page_ref_count(page) == 1);
	}
	CHECK(fz.vb.target <= totalram_pages());
}

/* Allocator slow path: deflate on OOM, as the kernel glue does. */
static int fz_oom_hook(gfp_t gfp, unsigned int order, void *priv)
{
	return virtio_balloon_oom_deflate(&fz.vb, MAX((unsigned long)VB_OOM_PAGES, 1ul << order)) > 0;
}

/* Before the driver is ready, every entry point must refuse politely. */
static void check_not_ready(void)
{
	CHECK(virtio_balloon_step(&fz.vb, 1) == -EAGAIN);
	CHECK(virtio_balloon_oom_deflate(&fz.vb, 16) == 0);
	virtio_balloon_stats_service(&fz.vb);
}

/* Bring up memory, device and driver as the first input bytes say. */
/* The features the driver must accept from @offered (reporting: see vb_reporting_wanted()). */
static uint64_t expected_features(uint64_t offered)
{
	uint64_t want = offered & SUPPORTED;

	if (!page_poisoning_enabled())
		want &= ~FEAT(VIRTIO_BALLOON_F_PAGE_POISON);
	if ((offered & FEAT(VIRTIO_BALLOON_F_FREE_PAGE_HINT)) ||
	    (page_poisoning_enabled() && !(offered & FEAT(VIRTIO_BALLOON_F_PAGE_POISON))))
		want &= ~FEAT(VIRTIO_BALLOON_F_REPORTING);
	return want;
}

static void fz_setup(void)
{
	uint8_t f = in8(), g = in8();
	uint64_t offered = 0;

	host_mem_init_mb(MEM_MB);
	INIT_LIST_HEAD(&fz.iso);
	INIT_LIST_HEAD(&fz.guest);
	INIT_LIST_HEAD(&fz.freepages);
	fz.env.now_ms = fz_now_ms;
	fz.env.wait_poll = fz_wait_poll;
	static const unsigned int bits[8] = {
		VIRTIO_BALLOON_F_MUST_TELL_HOST, VIRTIO_BALLOON_F_STATS_VQ,
		VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_FREE_PAGE_HINT,
		VIRTIO_BALLOON_F_PAGE_POISON, VIRTIO_BALLOON_F_REPORTING, VIRTIO_F_VERSION_1,
		VIRTIO_F_VERSION_1,
	};
	for (int i = 0; i < 8; i++)
		if (f & (1u << i))
			offered |= FEAT(bits[i]);
	bsim_init(&fz.sim, offered, memmap_end_pfn);
	fz.owned = calloc(fz.sim.npfn, 1);
	CHECK(fz.owned);
	fz.sim.refuse_features_ok = (g & 0x0f) == 0x0f;
	fz.sim.cfg[0] = pick_target(g >> 4, in32());	/* a target before the driver is ready */
	drain_all_pages(NULL);
	fz.free0 = nr_free_pages_total();
	check_not_ready();
	fz.inited = virtio_balloon_init(&fz.vb, &fz.sim.vdev, &fz.env) == 0;
	if (!fz.inited) {
		CHECK(fz.sim.refuse_features_ok && (offered & FEAT(VIRTIO_F_VERSION_1)));
		CHECK(fz.sim.status & VIRTIO_CONFIG_S_FAILED);
		check_not_ready();
		return;
	}
	CHECK((fz.sim.vdev.features & ~SUPPORTED) == 0);
	CHECK(fz.sim.vdev.features == expected_features(offered));
	CHECK(fz.vb.target <= totalram_pages());
	fz.vb.timeout_ms = TIMEOUT_MS;
	if (virtio_has_feature(&fz.sim.vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM)) {
		fz.oom_hook.name = "fuzz-balloon";
		fz.oom_hook.stage = SLOWPATH_OOM;
		fz.oom_hook.fn = fz_oom_hook;
		register_alloc_slowpath_hook(&fz.oom_hook);
		fz.hook = true;
	}
}

/* One top-level operation chosen by @op. */
static void fz_op(uint8_t op)
{
	int ret;

	switch (op % 16) {
	case 0: case 1:
		fz.sim.cfg[0] = pick_target(op >> 4, in32());
		break;
	case 2: case 3: case 4: {
		bool was_broken = fz.vb.broken;

		ret = virtio_balloon_step(&fz.vb, 1 + (op >> 4) % 8);
		CHECK(ret == 0 || ret == 1 || ret == -ENOMEM || ret == -EAGAIN || ret == -EIO);
		CHECK(fz.inited || ret == -EAGAIN);
		CHECK(!was_broken || ret == -EIO);	/* broken stays broken */
		CHECK(!fz.vb.broken || ret == -EIO || ret == -ENOMEM || ret == -EAGAIN);
		break;
	}
	case 5:
		fz.churn = !fz.churn;
		fz.rng = in32() | 1ull << 40;
		break;
	case 6:
		op_isolate(in32(), 1 + (op >> 4));
		break;
	case 7:
		op_migrate(op);
		break;
	case 8:
		/* put back now, or leave the pages to a CPU that finishes during removal */
		if (op & 0x10)
			fz.late_iso = true;
		else
			putback_movable_pages(&fz.iso);
		break;
	case 9:
		op_stats(op);
		break;
	case 10:
		guest_alloc(1 + (unsigned int)in8() * 8);
		break;
	case 11:
		guest_free(1 + (unsigned int)in8() * 8);
		break;
	case 12: {
		unsigned long nr = 1 + in16() % 1024, got;
		uint32_t before = fz.vb.num_pages;

		got = virtio_balloon_oom_deflate(&fz.vb, nr);
		CHECK(got <= before && fz.vb.num_pages == before - got);
		CHECK(got == 0 || (fz.inited &&
				    virtio_has_feature(&fz.sim.vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM)));
		break;
	}
	case 13:
		if (op & 0x10)
			op_garbage(in8());
		else
			fz.sim.status = (op & 0x20) ? 0 : fz.sim.status | VIRTIO_CONFIG_S_NEEDS_RESET;
		break;
	case 14:
		/* a free page reporting pass (the sim device answers it), or the device alone */
		if ((op & 0x10) && fz.inited &&
		    virtio_has_feature(&fz.sim.vdev, VIRTIO_BALLOON_F_REPORTING))
			page_reporting_process();
		else
			dev_run();
		break;
	default: {
		struct compact_stats st;

		memset(&st, 0, sizeof(st));
		fz.in_migrate = true;
		compact_all(&st);
		fz.in_migrate = false;
		break;
	}
	}
}

/* Take everything back and prove nothing leaked. */
static void fz_teardown(void)
{
	unsigned long offline = 0;

	if (!fz.inited || !fz.late_iso)
		putback_movable_pages(&fz.iso);
	guest_free(~0u);
	if (fz.inited) {
		fz.removing = true;
		virtio_balloon_remove(&fz.vb);
		fz.removing = false;
		/* removal waited for the isolated pages and left nothing behind */
		CHECK(list_empty(&fz.iso));
		CHECK(fz.vb.num_pages == 0);
		CHECK(fz.vb.b_dev_info.isolated_pages == 0);
		CHECK(balloon_page_count(&fz.vb.b_dev_info) == 0);
		CHECK(virtio_balloon_check(&fz.vb) == 0);
		if (!fz.vb.broken)
			CHECK(fz.vb.retired == 0 && (fz.lied || fz.sim.held_count == 0));
	}
	/*
	 * No putback after removal: fz.iso is empty here in every case (put
	 * back above, or by the "other CPU" in fz_wait_poll() while removal
	 * waited, which is the late putback this fuzzer exercises).
	 */
	for (unsigned long pfn = 0; pfn < fz.sim.npfn; pfn++)
		if (pfn_valid(pfn) && PageOffline(pfn_to_page(pfn))) {
			/* seed 001: retired pages have no reference and may not be skipped */
			CHECK(page_ref_count(pfn_to_page(pfn)) == 0);
			CHECK(!PageOfflineSkippable(pfn_to_page(pfn)));
			offline++;
		}
	CHECK(offline == fz.vb.retired);
	if (fz.hook)
		unregister_alloc_slowpath_hook(&fz.oom_hook);
	guest_free(~0u);		/* what calls made during remove's waits took */
	drain_all_pages(NULL);
	CHECK(mm_check_invariants() == 0);
	/* every page is free again, but those removal retired */
	CHECK(nr_free_pages_total() + fz.vb.retired == fz.free0);
	bsim_destroy(&fz.sim);
	free(fz.owned);
	host_mem_teardown();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int ops = 0;

	host_quiet = !getenv("FUZZ_BALLOON_TRACE");
	if (!host_quiet)
		setvbuf(stdout, NULL, _IONBF, 0);
	memset(&fz, 0, sizeof(fz));
	fz.in.p = data;
	fz.in.n = size;
	fz_setup();
	check_all();
	while (fz.in.n && ops++ < MAX_OPS) {
		uint8_t op = in8();

		if (!host_quiet)
			printf("op %u: %u (num_pages %u target %u cfg %u held %lu broken %d lied %d)\n",
			       ops, op % 16, fz.vb.num_pages, fz.vb.target, fz.sim.cfg[0],
			       fz.sim.held_count, fz.vb.broken, fz.lied);
		fz_op(op);
		check_all();
	}
	fz_teardown();
	return 0;
}
