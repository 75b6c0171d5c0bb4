/*
 * fuzz_virtio_mem.c - libFuzzer target: the virtio-mem driver core
 * (drivers/virtio/virtio_mem_core.c) against the simulated device
 * (support/vmem_sim.c) whose geometry and every answer come from the
 * input, on a machine of 32 MiB boot RAM with a 256 MiB region above it
 * (two memory blocks).
 *
 * The input decides: the block size (honest ones, and 3 MiB, 0, 1 KiB,
 * 256 MiB) and raw overrides of the address, region and usable sizes;
 * then a stream of operations: a new requested_size (0, small, the whole
 * region, beyond it, not a block multiple), driver steps (with or without
 * skipping the back-off), NACKs on PLUG or UNPLUG, BUSY or ERROR answers,
 * malformed answers (1-byte response, unknown type), a requested_size
 * that changes after the next K UNPLUGs, movable and unmovable
 * allocations and frees (some land in plugged memory), and another
 * caller offlining and onlining the region's blocks.
 *
 * Unplugged memory is inaccessible (mprotect) the whole time: any read or
 * write of it by the driver, the allocator or a scanner crashes the run.
 * Checked after every operation (abort() on violation):
 *  - virtio_mem_check(): plugged sub-blocks of online blocks hold no
 *    PageOffline page, unplugged ones only PageOffline Skippable pages
 *    with refcount 0, and (until the device answered with a lie the
 *    driver could not see through) the device's plugged_size equals the
 *    driver's count;
 *  - total RAM = boot RAM + plugged memory of online blocks;
 *  - every movable page the fuzzer owns keeps its paint;
 *  - the allocator's invariants (every 16th operation and at the end).
 * At the end the host asks for 0 with an honest device: everything the
 * fuzzer does not pin is unplugged, every block removed, and every page
 * comes back.
 *
 * Build: make build/host/fuzz_virtio_mem
 * Run:   build/host/fuzz_virtio_mem -max_total_time=50
 * Trace: FUZZ_VMEM_TRACE=1 build/host/fuzz_virtio_mem CRASH-FILE
 */
#include "support/vmem_sim.h"
#include "support/host_mem.h"
#include "test_owner.h"
#include <drivers/virtio_mem.h>
#include <mm/memory_hotplug.h>
#include <mm/page_alloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int host_quiet;

/* test_owner.h draws its injected failures from here (fail_ppm stays 0: unused). */
uint64_t htest_rand(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

#define MiB		(1ull << 20)
#define BOOT_MB		32
#define REGION		(256 * MiB)
#define MAX_OPS		64
#define NPLAIN		64

static struct {
	const uint8_t *p;
	size_t n;
	struct vmsim sim;
	struct virtio_mem vm;
	struct test_owner ow;
	struct page *plain[NPLAIN];
	unsigned long index, boot_total;
	bool lied;		/* the device gave an answer the driver cannot check */
	bool ready;
} fz;

static uint8_t in8(void)
{
	if (!fz.n)
		return 0;
	fz.n--;
	return *fz.p++;
}

#define FZ_CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_virtio_mem: %s:%d: %s\n", \
	__FILE__, __LINE__, #c); abort(); } } while (0)

/* Plugged bytes of online blocks. */
static uint64_t online_plugged(void)
{
	uint64_t b = 0;

	for (unsigned int i = 0; i < fz.vm.nr_mbs; i++)
		if (fz.vm.mbs[i].state == VM_MB_ONLINE)
			b += vm_mb_plugged_count(&fz.vm, i) * fz.vm.sb_size;
	return b;
}

static void check_all(unsigned int op)
{
	if (!fz.ready)
		return;
	if (!fz.lied && !fz.vm.broken) {
		FZ_CHECK(virtio_mem_check(&fz.vm) == 0);
		FZ_CHECK(fz.sim.plugged_size == fz.vm.plugged);
	}
	FZ_CHECK(totalram_pages() == fz.boot_total + (online_plugged() >> PAGE_SHIFT));
	FZ_CHECK(towner_verify(&fz.ow) == 0);
	if (op % 16 == 15)
		FZ_CHECK(mm_check_invariants() == 0);
}

static void fz_setup(void)
{
	static const struct e820_entry map[] = {
		{ 0, 640 << 10, E820_RAM },
		{ 1 << 20, (BOOT_MB << 20) - (1 << 20), E820_RAM },
	};
	static const uint64_t sizes[] = { 2 * MiB, 2 * MiB, 4096, 4 * MiB, 128 * MiB,
					  3 * MiB, 0, 1024, 256 * MiB, 64 * MiB };
	uint8_t g = in8(), o = in8();
	int err;

	host_mem_init_hotplug(map, 2, REGION);
	fz.boot_total = totalram_pages();
	towner_init(&fz.ow, 3);
	vmsim_init(&fz.sim, host_mem_hotplug_base(), REGION, sizes[g % 10]);
	if (fz.sim.block_size >= PAGE_SIZE && !(fz.sim.block_size & (fz.sim.block_size - 1))) {
		fz.sim.protect = true;
		vmsim_protect_all(&fz.sim);
	}
	if (o & 1) {	/* a hostile address */
		fz.sim.override[VIRTIO_MEM_CFG_ADDR / 8] = true;
		fz.sim.cfg_override[VIRTIO_MEM_CFG_ADDR / 8] = (o & 2) ? fz.sim.addr + 4096 : (uint64_t)in8() << 36;
	}
	if (o & 4) {	/* a hostile region size */
		fz.sim.override[VIRTIO_MEM_CFG_REGION_SIZE / 8] = true;
		fz.sim.cfg_override[VIRTIO_MEM_CFG_REGION_SIZE / 8] = (o & 8) ? ~0ull : (uint64_t)in8() << 22;
	}
	if (o & 16) {	/* usable beyond the region */
		fz.sim.override[VIRTIO_MEM_CFG_USABLE_SIZE / 8] = true;
		fz.sim.cfg_override[VIRTIO_MEM_CFG_USABLE_SIZE / 8] = (uint64_t)in8() << 26;
	}
	err = virtio_mem_init(&fz.vm, &fz.sim.vdev, &vmsim_env, (o & 32) ? ZONE_NORMAL : ZONE_MOVABLE);
	if (err) {
		FZ_CHECK(fz.sim.plug_reqs == 0);
		FZ_CHECK(totalram_pages() == fz.boot_total);
		return;
	}
	/* the overrides that the driver accepted stay: a lying config, not an unsafe one */
	fz.lied = fz.sim.override[VIRTIO_MEM_CFG_USABLE_SIZE / 8];
	fz.vm.timeout_ms = 20;
	fz.ready = true;
}

static void fz_op(uint8_t op)
{
	struct vmsim *s = &fz.sim;
	uint8_t a = in8();

	switch (op % 10) {
	case 0: {	/* a new requested size */
		static const uint64_t special[] = { 0, REGION, 2 * REGION, ~0ull, 3 * MiB + 5 };
		uint64_t want = (a & 0x80) ? special[a % 5] : (uint64_t)(a & 0x7f) * 2 * MiB;

		vmsim_set_requested(s, want);
		break;
	}
	case 1:
	case 2:		/* steps */
		for (unsigned int k = 0; k <= (a & 7u); k++) {
			if (a & 0x80)
				fz.vm.retry_at = 0;
			virtio_mem_step(&fz.vm, 1 + (a >> 4 & 7u));
		}
		break;
	case 3:
		s->nack_unplug = a & 1;
		s->nack_plug = a & 2;
		break;
	case 4:
		s->busy = a & 3;
		s->error_next = (a >> 2) & 1;
		break;
	case 5:		/* malformed answers for the next few requests */
		s->short_resp = a & 1;
		s->bad_type = a & 2;
		if (a & 3)
			fz.lied = true;
		break;
	case 6:
		s->change_after_unplugs = (a & 3) ? (long)(a & 3) : -1;
		s->change_to = (uint64_t)(a >> 2) * 4 * MiB;
		break;
	case 7:		/* movable pages come and go */
		for (unsigned int k = 0; k < (unsigned int)a * 8; k++)
			if (!towner_alloc(&fz.ow, GFP_HIGHUSER_MOVABLE, fz.index++))
				break;
		for (unsigned int k = 0; k < (unsigned int)(a & 15) * 16 && fz.ow.nr_owned; k++)
			towner_release(&fz.ow, list_first_entry(&fz.ow.pages, struct page, lru));
		break;
	case 8: {	/* unmovable pages */
		unsigned int i = a % NPLAIN;

		if (fz.plain[i]) {
			__free_pages(fz.plain[i], 0);
			fz.plain[i] = NULL;
		} else {
			fz.plain[i] = alloc_pages(((a & 0x80) ? GFP_HIGHUSER_MOVABLE : GFP_KERNEL) |
						  __GFP_NOWARN, 0);
		}
		break;
	}
	case 9: {	/* another caller offlines or onlines one of the blocks */
		unsigned long nr = fz.vm.first_mb + (a & 1);
		char why[96];

		if (fz.vm.nr_mbs <= (unsigned int)(a & 1))
			break;
		if (a & 2)
			offline_memory_block(nr, why, sizeof(why));
		else
			online_memory_block(nr, (a & 4) ? ZONE_NORMAL : ZONE_MOVABLE);
		break;
	}
	}
}

static void fz_teardown(void)
{
	uint64_t end;

	if (fz.ready) {
		struct vmsim *s = &fz.sim;

		s->nack_unplug = s->nack_plug = s->short_resp = s->bad_type = false;
		s->busy = s->error_next = 0;
		s->change_after_unplugs = -1;
		for (unsigned int i = 0; i < NPLAIN; i++)
			if (fz.plain[i]) {
				__free_pages(fz.plain[i], 0);
				fz.plain[i] = NULL;
			}
		towner_release_all(&fz.ow);
		/* blocks someone else left offline come back so they can be emptied */
		for (unsigned int i = 0; i < fz.vm.nr_mbs; i++)
			if (fz.vm.mbs[i].state == VM_MB_OFFLINE && !fz.vm.broken)
				online_memory_block(fz.vm.first_mb + i, ZONE_MOVABLE);
		vmsim_set_requested(s, 0);
		end = vmsim_env.now_ms() + 2000;
		while (!fz.vm.broken && vmsim_env.now_ms() < end) {
			int r;

			fz.vm.retry_at = 0;
			r = virtio_mem_step(&fz.vm, 64);
			if (r == 0 && fz.vm.plugged == 0)
				break;
		}
		if (!fz.vm.broken) {
			FZ_CHECK(fz.vm.plugged == 0);
			FZ_CHECK(virtio_mem_remove(&fz.vm) == 0);
			FZ_CHECK(totalram_pages() == fz.boot_total);
		}
		FZ_CHECK(mm_check_invariants() == 0);
	}
	virtio_mem_host_reset();
	vmsim_destroy(&fz.sim);
	host_mem_teardown();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int ops = 0;

	host_quiet = !getenv("FUZZ_VMEM_TRACE");
	memset(&fz, 0, sizeof(fz));
	fz.p = data;
	fz.n = size;
	fz_setup();
	check_all(0);
	while (fz.ready && fz.n && ops++ < MAX_OPS) {
		uint8_t op = in8();

		if (!host_quiet)
			printf("op %u: %u (plugged %llu target %llu dev %llu)\n", ops, op % 10,
			       (unsigned long long)fz.vm.plugged, (unsigned long long)fz.vm.target,
			       (unsigned long long)fz.sim.plugged_size);
		fz_op(op);
		check_all(ops);
	}
	fz_teardown();
	return 0;
}
