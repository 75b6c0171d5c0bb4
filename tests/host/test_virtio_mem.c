/*
 * test_virtio_mem.c - the virtio-mem driver logic
 * (drivers/virtio/virtio_mem_core.c) against a simulated device
 * (support/vmem_sim.c) on a simulated machine with 256 MiB of boot RAM
 * and 512 MiB of hot-pluggable address space above it (4 memory blocks).
 *
 * The simulated device makes unplugged memory inaccessible (mprotect), so
 * a driver that reads or writes an unplugged block - by memmap init, by
 * the buddy, by a scanner - crashes the test. After every step: the
 * driver's invariant (virtio_mem_check: plugged sub-blocks have no
 * PageOffline page, unplugged ones only PageOffline Skippable pages with
 * refcount 0, the bit count equals the device's plugged_size), the
 * device's bitmap equals the driver's, total RAM equals boot RAM plus
 * what is plugged in online blocks, the allocator's invariants, and no
 * request an honest device would call an error.
 *
 * Workloads: frag (movable pages painted and verified byte for byte after
 * the unplug migrated them) and the random mixed test at the end, which
 * drives requested_size and the hostile knobs while the stress workload's
 * style of allocations (plain, movable owner) come and go.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "support/vmem_sim.h"
#include "test_owner.h"
#include <drivers/virtio_mem.h>
#include <mm/memory_hotplug.h>
#include <mm/page_offline.h>
#include <mm/page_alloc.h>
#include <mm/compaction.h>
#include <workloads/frag.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#define MiB		(1ull << 20)
#define BOOT_MB		256
#define REGION		(512 * MiB)

static struct vmsim sim;
static struct virtio_mem vm;
static unsigned long boot_total;

/* Boot RAM, then a device region right above it (section aligned). */
static void setup_mem(void)
{
	static const struct e820_entry map[] = {
		{ 0, 640 << 10, E820_RAM },
		{ 1 << 20, (BOOT_MB << 20) - (1 << 20), E820_RAM },
	};

	host_mem_init_hotplug(map, 2, REGION);
	boot_total = totalram_pages();
}

/* A device at the hot-plug base with @block_size blocks, inaccessible when unplugged. */
static int setup_dev(uint64_t block_size, bool protect)
{
	vmsim_init(&sim, host_mem_hotplug_base(), REGION, block_size);
	sim.protect = protect;
	if (protect)
		vmsim_protect_all(&sim);
	return virtio_mem_init(&vm, &sim.vdev, &vmsim_env, ZONE_MOVABLE);
}

static void setup(void)
{
	setup_mem();
	ASSERT_EQ(setup_dev(2 * MiB, true), 0);
	vm.timeout_ms = 500;
}

static void teardown(void)
{
	if (vm.mbs && vm.ready && !vm.broken)
		EXPECT_EQ(virtio_mem_remove(&vm), 0);
	virtio_mem_host_reset();
	vmsim_destroy(&sim);
	host_mem_teardown();
}

/* Memory blocks of the region online right now. */
static unsigned int online_mbs(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm.nr_mbs; i++)
		n += vm.mbs[i].state == VM_MB_ONLINE;
	return n;
}

/* Plugged bytes in blocks that are online (what total RAM must include). */
static uint64_t online_plugged(void)
{
	uint64_t b = 0;

	for (unsigned int i = 0; i < vm.nr_mbs; i++)
		if (vm.mbs[i].state == VM_MB_ONLINE)
			b += vm_mb_plugged_count(&vm, i) * vm.sb_size;
	return b;
}

/* Driver, device and allocator agree; every page accounted for. */
static void expect_consistent(void)
{
	EXPECT_EQ(virtio_mem_check(&vm), 0);
	EXPECT_EQ(vmsim_plugged_bytes(&sim), vm.plugged);
	EXPECT_EQ(sim.plugged_size, vm.plugged);
	for (unsigned int i = 0; i < vm.nr_mbs; i++)
		for (unsigned int sb = 0; sb < vm.sbs_per_mb; sb++) {
			unsigned long b = (unsigned long)(((uint64_t)i * vm.sbs_per_mb + sb) * vm.sb_size /
							   sim.block_size);

			if (vmsim_block_plugged(&sim, b) != !!(vm.mbs[i].plugged & (1ull << sb))) {
				EXPECT(!"device and driver disagree on a sub-block");
				return;
			}
		}
	EXPECT_EQ(totalram_pages(), boot_total + (online_plugged() >> PAGE_SHIFT));
	EXPECT_EQ(sim.bad_reqs, 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(nr_bad_pages, 0);
}

/* Run steps until the driver says it is done or gives a non-retry answer (bounded). */
static int settle(void)
{
	int ret = 1;

	for (int i = 0; i < 100000 && ret == 1; i++)
		ret = virtio_mem_step(&vm, 8);
	return ret;
}

/* Ask for @bytes and settle; the step's last answer. */
static int request(uint64_t bytes)
{
	vmsim_set_requested(&sim, bytes);
	return settle();
}

/* Retry until at the target, past every back-off (bounded by @ms). */
static int settle_retrying(unsigned int ms)
{
	uint64_t end = vmsim_env.now_ms() + ms;
	int ret;

	do {
		ret = virtio_mem_step(&vm, 8);
		if (ret == -EAGAIN)
			vm.retry_at = 0;	/* the test does not wait for the back-off */
	} while ((ret == 1 || ret == -EAGAIN) && vmsim_env.now_ms() < end);
	return ret;
}

/* Expect negotiation of VERSION_1 + UNPLUGGED_INACCESSIBLE, one UNPLUG_ALL, the geometry read, nothing added. */
TEST(init_negotiates_and_unplugs_all)
{
	setup();
	EXPECT_EQ(vm.vdev->features, (1ull << VIRTIO_F_VERSION_1) |
				     (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE));
	EXPECT(vm.inaccessible);
	EXPECT_EQ(sim.unplug_all_reqs, 1);
	EXPECT_EQ(vm.nr_mbs, 4);
	EXPECT_EQ(vm.sbs_per_mb, 64);
	EXPECT_EQ(vm.first_mb, host_mem_hotplug_base() >> SECTION_SIZE_BITS);
	EXPECT_EQ(online_mbs(), 0);
	EXPECT_EQ(totalram_pages(), boot_total);
	EXPECT_EQ(settle(), 0);
	expect_consistent();
	teardown();
}

/* Expect a BUSY answer to the first UNPLUG_ALL to be retried before anything is plugged. */
TEST(unplug_all_busy_is_retried_first)
{
	setup_mem();
	vmsim_init(&sim, host_mem_hotplug_base(), REGION, 2 * MiB);
	sim.busy = 1;
	ASSERT_EQ(virtio_mem_init(&vm, &sim.vdev, &vmsim_env, ZONE_MOVABLE), 0);
	EXPECT(vm.unplug_all_pending);
	EXPECT_EQ(vm.busys, 1);
	EXPECT(vm.retry_at != 0);	/* backing off */
	EXPECT_EQ(sim.unplug_all_reqs, 1);
	/* a new requested_size resets the back-off: UNPLUG_ALL again, then the plug */
	vmsim_set_requested(&sim, 4 * MiB);
	EXPECT_EQ(settle(), 0);
	EXPECT(!vm.unplug_all_pending);
	EXPECT_EQ(sim.unplug_all_reqs, 2);
	EXPECT_EQ(sim.plugs_before_unplug_all, 0);
	EXPECT_EQ(vm.plugged, 4 * MiB);
	expect_consistent();
	teardown();
}

/* Expect a plug of 256 MiB to add and online 2 blocks, the RAM to be allocatable, and an unplug to 0 to remove them. */
TEST(plug_and_unplug_free_memory)
{
	unsigned long before;

	setup();
	EXPECT_EQ(request(256 * MiB), 0);
	EXPECT_EQ(vm.plugged, 256 * MiB);
	EXPECT_EQ(online_mbs(), 2);
	EXPECT_EQ(vm.mbs[0].zone, ZONE_MOVABLE);
	EXPECT_EQ(totalram_pages(), boot_total + 65536);
	expect_consistent();
	/* the new memory is usable: a movable allocation from the region */
	before = nr_free_pages();
	EXPECT(before > 65536);
	EXPECT_EQ(request(0), 0);
	EXPECT_EQ(vm.plugged, 0);
	EXPECT_EQ(online_mbs(), 0);
	EXPECT_EQ(vm.mbs_removed, 2);
	EXPECT_EQ(totalram_pages(), boot_total);
	expect_consistent();
	teardown();
}

/* Expect 130 MiB to plug one full block and one sub-block, the rest PageOffline and never touched (protected). */
TEST(partial_block_keeps_unplugged_offline)
{
	setup();
	EXPECT_EQ(request(130 * MiB), 0);
	EXPECT_EQ(vm_mb_plugged_count(&vm, 0), 64);
	EXPECT_EQ(vm_mb_plugged_count(&vm, 1), 1);
	EXPECT_EQ(online_mbs(), 2);
	{
		unsigned long pfn = (host_mem_hotplug_base() + 128 * MiB + 2 * MiB) >> PAGE_SHIFT;
		struct page *p = pfn_to_page(pfn);

		EXPECT(PageOffline(p) && PageOfflineSkippable(p) && PageOfflineNeverOnlined(p));
		EXPECT_EQ(page_ref_count(p), 0);
	}
	/* fill all memory: nothing may land in the unplugged part (it would fault) */
	{
		struct frag_opts o;

		memset(&o, 0, sizeof(o));
		ASSERT_EQ(frag_parse_pattern("1of2", &o.pattern), 0);
		EXPECT_EQ(frag_fill(&o), 0);
		EXPECT_EQ(frag_verify(), 0);
		frag_release();
	}
	EXPECT_EQ(request(4 * MiB), 0);
	EXPECT_EQ(vm.plugged, 4 * MiB);
	EXPECT_EQ(online_mbs(), 1);
	expect_consistent();
	teardown();
}

/* Expect an unplug of memory full of frag pages to migrate them out with every byte intact. */
TEST(unplug_migrates_movable_pages)
{
	struct frag_opts o;

	setup();
	EXPECT_EQ(request(256 * MiB), 0);
	memset(&o, 0, sizeof(o));
	ASSERT_EQ(frag_parse_pattern("1of2", &o.pattern), 0);
	o.max_pages = 40000;	/* leaves room in boot RAM + the region for the migration */
	ASSERT_EQ(frag_fill(&o), 0);
	EXPECT_EQ(request(64 * MiB), 0);
	EXPECT_EQ(vm.plugged, 64 * MiB);
	EXPECT_EQ(frag_verify(), 0);
	expect_consistent();
	EXPECT_EQ(request(0), 0);
	EXPECT_EQ(frag_verify(), 0);
	expect_consistent();
	frag_release();
	teardown();
}

/* Expect pinned pages to leave a clear partial state with a back-off, and the unplug to finish once unpinned. */
TEST(unmovable_pages_partial_then_retry)
{
	unsigned long pins[3];

	setup();
	EXPECT_EQ(request(128 * MiB), 0);
	for (int k = 0; k < 3; k++) {
		pins[k] = ((host_mem_hotplug_base() + (uint64_t)(10 + 20 * k) * 2 * MiB) >> PAGE_SHIFT) + 7;
		ASSERT_EQ(alloc_contig_frozen_range(pins[k], pins[k] + 1, GFP_KERNEL), 0);
	}
	EXPECT_EQ(request(0), -EAGAIN);
	EXPECT_EQ(vm.plugged, 3 * 2 * MiB);
	EXPECT(vm.retry_ms >= VM_RETRY_MIN_MS);
	EXPECT(vm.contig_failed >= 3);
	EXPECT(strstr(vm.last_error, "unmovable") != NULL);
	EXPECT_EQ(online_mbs(), 1);
	expect_consistent();
	/* the back-off grows while nothing changes */
	{
		unsigned int first = vm.retry_ms;

		vm.retry_at = 1;
		EXPECT_EQ(virtio_mem_step(&vm, 8), -EAGAIN);
		EXPECT_EQ(vm.retry_ms, first * 2);
	}
	for (int k = 0; k < 3; k++)
		free_contig_frozen_range(pins[k], 1);
	EXPECT_EQ(settle_retrying(2000), 0);
	EXPECT_EQ(vm.plugged, 0);
	EXPECT_EQ(online_mbs(), 0);
	expect_consistent();
	teardown();
}

/* Expect a device that NACKs every UNPLUG to lose no page: memory stays plugged and in the buddy, retries back off. */
TEST(nack_every_unplug_loses_nothing)
{
	unsigned long free_before;

	setup();
	EXPECT_EQ(request(128 * MiB), 0);
	free_before = nr_free_pages();
	sim.nack_unplug = true;
	EXPECT_EQ(request(0), -EAGAIN);
	EXPECT(vm.nacks >= 1);
	EXPECT_EQ(vm.plugged, 128 * MiB);
	EXPECT(vm.retry_ms > 0);
	/* the frozen sub-block and the offlined block came back */
	EXPECT_EQ(online_mbs(), 1);
	EXPECT(nr_free_pages() + 512 >= free_before);
	expect_consistent();
	sim.nack_unplug = false;
	EXPECT_EQ(settle_retrying(2000), 0);
	EXPECT_EQ(vm.plugged, 0);
	expect_consistent();
	teardown();
}

/* Expect BUSY answers to be retried and PLUG NACKs to stop plugging until a retry. */
TEST(busy_and_plug_nack_retry)
{
	setup();
	sim.busy = 3;
	EXPECT_EQ(request(64 * MiB), -EAGAIN);
	EXPECT_EQ(vm.busys, 1);
	EXPECT_EQ(settle_retrying(2000), 0);
	EXPECT_EQ(vm.busys, 3);
	EXPECT_EQ(vm.plugged, 64 * MiB);
	sim.nack_plug = true;
	EXPECT_EQ(request(128 * MiB), -EAGAIN);
	EXPECT_EQ(vm.plugged, 64 * MiB);
	sim.nack_plug = false;
	EXPECT_EQ(settle_retrying(2000), 0);
	EXPECT_EQ(vm.plugged, 128 * MiB);
	expect_consistent();
	teardown();
}

/* Expect an ERROR answer to be reported with the device's STATE of the range, nothing changed. */
TEST(error_answer_asks_state)
{
	setup();
	sim.error_next = 1;
	EXPECT_EQ(request(2 * MiB), -EAGAIN);
	EXPECT_EQ(vm.errors, 1);
	EXPECT_EQ(sim.state_reqs, 1);
	EXPECT(strstr(vm.last_error, "state of the range: unplugged") != NULL);
	EXPECT_EQ(vm.plugged, 0);
	EXPECT_EQ(online_mbs(), 0);
	expect_consistent();
	EXPECT_EQ(settle_retrying(2000), 0);
	EXPECT_EQ(vm.plugged, 2 * MiB);
	expect_consistent();
	teardown();
}

/* Expect a requested_size raised in the middle of an unplug to end at the new size. */
TEST(config_change_during_unplug)
{
	setup();
	EXPECT_EQ(request(256 * MiB), 0);
	sim.change_after_unplugs = 3;
	sim.change_to = 200 * MiB;
	EXPECT_EQ(request(10 * MiB), 0);
	EXPECT_EQ(sim.requested_size, 200 * MiB);
	EXPECT_EQ(vm.plugged, 200 * MiB);
	expect_consistent();
	sim.change_after_unplugs = 2;
	sim.change_to = 0;
	EXPECT_EQ(request(100 * MiB), 0);
	EXPECT_EQ(vm.plugged, 0);
	expect_consistent();
	teardown();
}

/* Expect a requested size beyond the region clamped (reported once), odd sizes rounded down. */
TEST(hostile_sizes_are_clamped)
{
	setup();
	EXPECT_EQ(request(4096 * MiB), 0);
	EXPECT_EQ(vm.plugged, sim.usable_size);
	EXPECT(vm.clamps >= 1);
	EXPECT(strstr(vm.clamp_why, "beyond") != NULL);
	expect_consistent();
	EXPECT_EQ(request(3 * MiB + 4096), 0);	/* not a block multiple: 2 MiB */
	EXPECT_EQ(vm.plugged, 2 * MiB);
	EXPECT(strstr(vm.clamp_why, "not a multiple") != NULL);
	/* usable_region_size beyond the region: clamped to it */
	sim.override[VIRTIO_MEM_CFG_USABLE_SIZE / 8] = true;
	sim.cfg_override[VIRTIO_MEM_CFG_USABLE_SIZE / 8] = 64ull << 30;
	virtio_mem_update_target(&vm);
	EXPECT_EQ(vm.usable_size, REGION);
	sim.override[VIRTIO_MEM_CFG_USABLE_SIZE / 8] = false;
	expect_consistent();
	teardown();
}

/* Expect impossible geometry (a region over present memory too) to refuse the device with nothing added and the device FAILED. */
TEST(hostile_geometry_refused)
{
	static const struct { uint64_t bs; int field; uint64_t val; } cases[] = {
		{ 3 * MiB, -1, 0 },				/* block size not a power of two */
		{ 2048, -1, 0 },				/* smaller than a page */
		{ 256 * MiB, -1, 0 },				/* larger than a memory block */
		{ 2 * MiB, VIRTIO_MEM_CFG_ADDR, 4096 },		/* address not block aligned */
		{ 2 * MiB, VIRTIO_MEM_CFG_REGION_SIZE, ~0ull - (1ull << 21) + 1 },	/* wraps */
		{ 2 * MiB, VIRTIO_MEM_CFG_ADDR, 1ull << 41 },	/* beyond MAX_PHYSMEM_BITS */
		{ 2 * MiB, VIRTIO_MEM_CFG_REGION_SIZE, 64 * MiB }, /* no whole memory block */
		{ 2 * MiB, VIRTIO_MEM_CFG_ADDR, 0 },		/* over boot RAM (fuzz_virtio_mem found it) */
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		setup_mem();
		vmsim_init(&sim, host_mem_hotplug_base(), REGION, cases[c].bs);
		if (cases[c].field >= 0) {
			sim.override[cases[c].field / 8] = true;
			sim.cfg_override[cases[c].field / 8] = cases[c].val;
		}
		EXPECT_EQ(virtio_mem_init(&vm, &sim.vdev, &vmsim_env, ZONE_MOVABLE), -EINVAL);
		EXPECT(sim.status & VIRTIO_CONFIG_S_FAILED);
		EXPECT_EQ(sim.plug_reqs + sim.unplug_all_reqs, 0);
		EXPECT_EQ(totalram_pages(), boot_total);
		vmsim_destroy(&sim);
		host_mem_teardown();
	}
}

/* Expect malformed answers (1-byte response, unknown type) to count as ERROR, the memory stay untouched, and the next try adopt what the device did. */
TEST(malformed_answers_are_errors)
{
	setup();
	sim.short_resp = true;
	EXPECT_EQ(request(2 * MiB), -EAGAIN);
	EXPECT(vm.errors >= 2);		/* the PLUG and the STATE that checked it */
	/* the device did plug; the driver could not tell, so it did not use it */
	EXPECT_EQ(vm.plugged, 0);
	EXPECT_EQ(sim.plugged_size, 2 * MiB);
	EXPECT_EQ(online_mbs(), 0);
	sim.short_resp = false;
	/* the retry's PLUG gets NACK (the device's plugged_size already fills
	   requested_size), STATE says plugged: adopted */
	EXPECT_EQ(settle_retrying(2000), 0);
	EXPECT_EQ(vm.reconciled, 1);
	EXPECT_EQ(vm.plugged, 2 * MiB);
	EXPECT_EQ(sim.plugged_size, 2 * MiB);
	EXPECT_EQ(virtio_mem_check(&vm), 0);
	sim.bad_type = true;
	/* the device unplugged; STATE (answered with a bad type too) was no help:
	   the memory may be gone, so it counts as unplugged and is never used */
	EXPECT_EQ(request(0), 0);
	sim.bad_type = false;
	EXPECT_EQ(vm.unplug_doubt, 1);
	EXPECT_EQ(vm.plugged, 0);
	EXPECT_EQ(sim.plugged_size, 0);
	EXPECT_EQ(virtio_mem_check(&vm), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	virtio_mem_host_reset();
	vmsim_destroy(&sim);
	host_mem_teardown();
}

/* Expect a device that never answers to mark the driver broken, leaving plugged memory in use and accounted. */
TEST(never_answering_device_breaks_cleanly)
{
	setup();
	EXPECT_EQ(request(64 * MiB), 0);
	vm.timeout_ms = 50;
	sim.never = true;
	EXPECT_EQ(request(0), -EIO);
	EXPECT(vm.broken);
	EXPECT_EQ(vm.timeouts, 1);
	EXPECT_EQ(vm.plugged, 64 * MiB);
	EXPECT_EQ(online_mbs(), 1);
	EXPECT_EQ(virtio_mem_check(&vm), 0);
	EXPECT_EQ(mm_check_invariants(), 0);
	EXPECT_EQ(virtio_mem_step(&vm, 8), -EIO);
	virtio_mem_host_reset();
	vmsim_destroy(&sim);
	host_mem_teardown();
}

/* Expect another caller's offline of our block to be allowed when idle, and its plugged memory unplugged from offline. */
TEST(others_offline_our_block)
{
	char why[96];

	setup();
	EXPECT_EQ(request(192 * MiB), 0);
	EXPECT_EQ(offline_memory_block(vm.first_mb + 1, why, sizeof(why)), 0);
	EXPECT_EQ(vm.mbs[1].state, VM_MB_OFFLINE);
	EXPECT_EQ(totalram_pages(), boot_total + (128 * MiB >> PAGE_SHIFT));
	EXPECT_EQ(request(128 * MiB), 0);
	EXPECT_EQ(vm.mbs[1].state, VM_MB_ABSENT);
	EXPECT_EQ(vm_mb_plugged_count(&vm, 0), 64);
	expect_consistent();
	teardown();
}

#define MIX_PLAIN	512

/* Churn: the owner's movable pages (painted) and plain unmovable pages come and go. */
static void churn(struct test_owner *ow, struct page **plain, unsigned long *index)
{
	unsigned int n = (unsigned int)(htest_rand() % 3000);

	for (unsigned int k = 0; k < n; k++) {
		if (htest_rand() % 3 == 0 && ow->nr_owned > ow->nr_isolated) {
			struct page *p = list_first_entry(&ow->pages, struct page, lru);

			EXPECT(towner_check(ow, p));
			towner_release(ow, p);
		} else if (ow->nr_owned < 30000) {
			towner_alloc(ow, GFP_HIGHUSER_MOVABLE, (*index)++);
		}
	}
	for (unsigned int k = 0; k < 32; k++) {
		unsigned int i = (unsigned int)(htest_rand() % MIX_PLAIN);

		if (plain[i]) {
			__free_pages(plain[i], 0);
			plain[i] = NULL;
		} else {
			plain[i] = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
		}
	}
}

/* Expect random sizes and hostile answers while movable owner pages and plain allocations churn to keep every invariant and every painted byte. */
TEST(random_mixed)
{
	static struct test_owner ow;
	static struct page *plain[MIX_PLAIN];
	unsigned long iters = htest_iters(40), index = 0;

	setup();
	towner_init(&ow, 7);
	memset(plain, 0, sizeof(plain));
	for (unsigned long it = 0; it < iters; it++) {
		uint64_t want = (htest_rand() % (REGION / (2 * MiB) + 8)) * 2 * MiB;
		unsigned int r = (unsigned int)(htest_rand() % 8);

		sim.nack_unplug = r == 0;
		sim.busy = r == 1 ? 2 : 0;
		sim.change_after_unplugs = r == 2 ? 2 : -1;
		sim.change_to = (htest_rand() % 200) * 2 * MiB;
		churn(&ow, plain, &index);
		vmsim_set_requested(&sim, want);
		settle_retrying(100);
		sim.busy = 0;
		expect_consistent();
		EXPECT_EQ(towner_verify(&ow), 0);
		if (it % 8 == 7) {
			struct compact_stats st;

			memset(&st, 0, sizeof(st));
			compact_all(&st);
			expect_consistent();
		}
	}
	sim.nack_unplug = false;
	sim.change_after_unplugs = -1;
	EXPECT(towner_release_all(&ow));
	for (unsigned int i = 0; i < MIX_PLAIN; i++)
		if (plain[i])
			__free_pages(plain[i], 0);
	vmsim_set_requested(&sim, 0);
	EXPECT_EQ(settle_retrying(5000), 0);
	EXPECT_EQ(vm.plugged, 0);
	expect_consistent();
	teardown();
}
