/*
 * virtio_mem_core.c - the virtio-mem driver logic, portable: it compiles
 * into the kernel and into the host tests (against a simulated device),
 * reaching time and waiting through vm->env.
 *
 * Geometry. The device's region is cut into memory blocks (128 MiB
 * sections); only memory blocks wholly inside the region are used, so a
 * region that is not section aligned loses its ragged ends (reported once).
 * A memory block is cut into sub-blocks of sb_size = max(block_size,
 * pageblock) bytes: the unit of plugging and unplugging here, because
 * alloc_contig_range() isolates whole pageblocks. At most 64 sub-blocks
 * per memory block, so a block's plugged state is a 64-bit mask; a device
 * block larger than a memory block is refused (Linux's "big block mode" is
 * not implemented).
 *
 * Which memory blocks exist. A memory block is added (add_memory) and
 * onlined when its first sub-block is plugged, and offlined and removed
 * when its last one is unplugged: memmap costs 2 MiB per 128 MiB, so an
 * empty 4 GiB region costs nothing, and nothing unplugged is ever
 * described by a struct page that claims to be usable. Plugging fills the
 * lowest memory blocks first, unplugging empties the highest first, so
 * plugged memory stays packed and whole blocks come free.
 *
 * Pages. When a memory block goes online, the online-page callback
 * (vm_online_page) gives plugged sub-blocks to the buddy
 * (generic_online_page) and makes unplugged ones PageOffline with
 * NeverOnlined and Skippable (refcount 0, seed 001). Plugging a
 * sub-block of an online block releases its PageOffline pages to the
 * buddy (page_offline_release). Unplugging takes a sub-block out of the
 * buddy with alloc_contig_frozen_range() (its pages come back frozen,
 * refcount 0), sends UNPLUG, and on ACK marks them PageOffline
 * NeverOnlined and Skippable and takes them out of the zone's managed
 * count (as Linux's virtio-mem does: MemTotal drops with the unplug; the
 * NeverOnlined flag makes a later page_offline_release() count them again
 * through generic_online_page()); on anything else the frozen pages go
 * back to the buddy. When the rest
 * of the target is at least the plugged part of a whole online block, the
 * block is offlined in one go instead (migrates everything out), then its
 * sub-blocks are unplugged. Invariant (virtio_mem_check): a plugged
 * sub-block of an online block has no PageOffline page, an unplugged one
 * only PageOffline pages, and the bit count times sb_size equals the
 * device's plugged_size.
 *
 * Hostile device. Geometry that cannot be right (block size not a power
 * of two, smaller than a page or larger than a memory block; region
 * unaligned to the block size, overflowing, beyond MAX_PHYSMEM_BITS)
 * refuses the device. Sizes that are merely odd are clamped and reported
 * once per distinct value: usable_region_size beyond region_size,
 * requested_size beyond the usable region or not a multiple of the block
 * size. A response shorter than 2 bytes or of an unknown type counts as
 * ERROR; a request not answered in time marks the device broken (nothing
 * more is sent; what is plugged stays plugged and in use). Only addresses
 * this driver computed from validated geometry are ever touched.
 *
 * Responses. ACK: done. NACK on PLUG: the device will not plug more now;
 * stop and retry after a back-off. NACK on UNPLUG: the same (the pages
 * go back to the buddy). BUSY: retry with exponential back-off. ERROR
 * (or a malformed answer), or NACK on PLUG: ask the device for the STATE
 * of the range; if
 * it is in the state asked for, the device did it after all (count it as
 * ACK: reconciled), else report (with the state) and back off. So an
 * unplug the device carried out is never undone by giving its pages back
 * to the buddy, and a plug it carried out is adopted on the next try. An
 * UNPLUG whose outcome stays unknown (STATE answered badly too, or mixed)
 * counts as done: memory that may be gone is never used again. A sub-block that cannot be emptied
 * (unmovable pages) is skipped for the pass; if no progress was made the
 * whole step backs off exponentially (VM_RETRY_MIN_MS doubling up to
 * VM_RETRY_MAX_MS) and the retry state is shown by the `virtio-mem`
 * command. A new requested_size resets the back-off.
 *
 * Locking: vm->lock serializes the state machine (a step, init, removal);
 * online/offline/add/remove are called with it held, so it sits outside
 * mem_hotplug_lock. The memory notifier and the online-page callback run
 * under mem_hotplug_lock and never take vm->lock: they use vm->mb_lock
 * (innermost) for a block's state and for busy_mb, the block the state
 * machine is working on, which other offliners are refused.
 */
#include <drivers/virtio_mem.h>
#include <mm/memory_hotplug.h>
#include <mm/page_offline.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>

#define VM_MAX_DEVICES	4

static struct virtio_mem *vm_registered[VM_MAX_DEVICES];
static unsigned int vm_nregistered;

/* Nanoseconds now, or 0 when the environment has no such clock. */
static uint64_t vm_ns(const struct virtio_mem *vm)
{
	return vm->env->now_ns ? vm->env->now_ns() : 0;
}

/* ---- geometry helpers ---- */

/* Physical address of memory block index @i. */
static phys_addr_t vm_mb_phys(const struct virtio_mem *vm, unsigned int i)
{
	return (phys_addr_t)(vm->first_mb + i) << SECTION_SIZE_BITS;
}

/* First pfn of sub-block @sb of memory block @i. */
static unsigned long vm_sb_pfn(const struct virtio_mem *vm, unsigned int i, unsigned int sb)
{
	return PHYS_PFN(vm_mb_phys(vm, i) + (uint64_t)sb * vm->sb_size);
}

static unsigned long vm_sb_pages(const struct virtio_mem *vm)
{
	return vm->sb_size >> PAGE_SHIFT;
}

/* True if sub-block @sb of block @i lies wholly inside the usable region. */
static bool vm_sb_usable(const struct virtio_mem *vm, unsigned int i, unsigned int sb)
{
	uint64_t end = vm_mb_phys(vm, i) + (uint64_t)(sb + 1) * vm->sb_size;

	return end <= vm->addr + vm->usable_size;
}

unsigned int vm_mb_plugged_count(const struct virtio_mem *vm, unsigned int i)
{
	return (unsigned int)__builtin_popcountll(vm->mbs[i].plugged);
}

static uint64_t vm_all_sbs(const struct virtio_mem *vm)
{
	return vm->sbs_per_mb == 64 ? ~0ull : (1ull << vm->sbs_per_mb) - 1;
}

/* Record @msg as the last error (printed). */
static void vm_error(struct virtio_mem *vm, const char *msg)
{
	snprintf(vm->last_error, sizeof(vm->last_error), "%s", msg);
	vm->last_error_ms = vm->env->now_ms();
	pr_err("virtio-mem %s: %s\n", vm->vdev->name, msg);
}

static void vm_set_broken(struct virtio_mem *vm, const char *why)
{
	if (!vm->broken) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s; device stopped (plugged memory stays in use)", why);
		vm_error(vm, msg);
	}
	vm->broken = true;
	if (vm->vq)
		virtqueue_break(vm->vq);
}

/* ---- config space ---- */

/* A 64-bit config field, consistent across a generation change. */
static uint64_t vm_cread64(struct virtio_mem *vm, unsigned int off)
{
	const struct virtio_config_ops *ops = vm->vdev->config;
	uint32_t gen, lo, hi;
	int tries = 0;

	do {
		gen = ops->generation ? ops->generation(vm->vdev) : 0;
		lo = virtio_cread32(vm->vdev, off);
		hi = virtio_cread32(vm->vdev, off + 4);
	} while (ops->generation && ops->generation(vm->vdev) != gen && ++tries < 16);
	return (uint64_t)hi << 32 | lo;
}

/* Report an odd config value once per distinct text. */
static void vm_clamp_report(struct virtio_mem *vm, const char *msg)
{
	vm->clamps++;
	if (strcmp(vm->clamp_why, msg) == 0)
		return;
	snprintf(vm->clamp_why, sizeof(vm->clamp_why), "%s", msg);
	pr_warn("virtio-mem %s: %s\n", vm->vdev->name, msg);
}

/* Bytes the whole memory blocks of the usable region can hold. */
static uint64_t vm_capacity(const struct virtio_mem *vm)
{
	uint64_t mbs_end = vm_mb_phys(vm, vm->nr_mbs), uend = vm->addr + vm->usable_size;
	uint64_t start = vm_mb_phys(vm, 0);

	if (uend <= start)
		return 0;
	return ALIGN_DOWN(MIN(uend, mbs_end) - start, vm->sb_size);
}

uint64_t virtio_mem_update_target(struct virtio_mem *vm)
{
	uint64_t usable = vm_cread64(vm, VIRTIO_MEM_CFG_USABLE_SIZE);
	uint64_t req = vm_cread64(vm, VIRTIO_MEM_CFG_REQUESTED_SIZE), t;
	char msg[128];

	vm->dev_plugged = vm_cread64(vm, VIRTIO_MEM_CFG_PLUGGED_SIZE);
	if (usable > vm->region_size) {
		snprintf(msg, sizeof(msg), "usable_region_size %#llx beyond region_size %#llx; clamped",
			 (unsigned long long)usable, (unsigned long long)vm->region_size);
		vm_clamp_report(vm, msg);
		usable = vm->region_size;
	}
	if (usable % vm->block_size) {
		snprintf(msg, sizeof(msg), "usable_region_size %#llx not a multiple of the block size; rounded down",
			 (unsigned long long)usable);
		vm_clamp_report(vm, msg);
		usable = ALIGN_DOWN(usable, vm->block_size);
	}
	/* the usable region only grows while memory is plugged there */
	vm->usable_size = usable;
	if (req != vm->requested_size) {
		vm->retry_ms = 0;		/* a new request: retry at once */
		vm->retry_at = 0;
	}
	vm->requested_size = req;
	t = req;
	if (t % vm->block_size) {
		snprintf(msg, sizeof(msg), "requested_size %#llx not a multiple of the block size %#llx; rounded down",
			 (unsigned long long)req, (unsigned long long)vm->block_size);
		vm_clamp_report(vm, msg);
	}
	if (t > vm_capacity(vm)) {
		snprintf(msg, sizeof(msg), "requested_size %llu MiB beyond the %llu MiB usable; clamped",
			 (unsigned long long)(req >> 20), (unsigned long long)(vm_capacity(vm) >> 20));
		vm_clamp_report(vm, msg);
		t = vm_capacity(vm);
	}
	vm->target = ALIGN_DOWN(t, vm->sb_size);
	return vm->target;
}

/* ---- requests ---- */

static bool vm_device_gone(struct virtio_mem *vm)
{
	uint8_t s = vm->vdev->config->get_status(vm->vdev);

	return !(s & VIRTIO_CONFIG_S_DRIVER_OK) || (s & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * Send vm->req, wait (bounded) for the response. The response type
 * (VIRTIO_MEM_RESP_*; a malformed one counts as ERROR), or -EIO (device
 * broken: timeout, reset, queue protocol).
 */
static int vm_send(struct virtio_mem *vm)
{
	struct vq_sg sg[2] = {
		{ __pa(&vm->req), sizeof(vm->req) },
		{ __pa(&vm->resp), sizeof(vm->resp) },
	};
	uint64_t deadline, t0;
	unsigned long spins = 0;
	uint32_t len = 0;
	void *tok;
	int err;

	if (vm->broken)
		return -EIO;
	t0 = vm_ns(vm);
	memset(&vm->resp, 0xff, sizeof(vm->resp));
	err = virtqueue_add(vm->vq, sg, 1, 1, vm);
	if (err) {
		vm_set_broken(vm, err == -EIO ? "queue broken by the device" : "cannot queue a request");
		return -EIO;
	}
	virtqueue_kick(vm->vq);
	deadline = vm->env->now_ms() + vm->timeout_ms;
	for (;;) {
		tok = virtqueue_get_buf(vm->vq, &len);
		if (tok == vm)
			break;
		if (virtqueue_is_broken(vm->vq)) {
			vm_set_broken(vm, "the device broke the queue protocol");
			return -EIO;
		}
		if ((++spins & 1023) == 0) {
			if (vm_device_gone(vm)) {
				vm_set_broken(vm, "the device was reset during a request");
				return -EIO;
			}
			if (vm->env->now_ms() > deadline) {
				vm->timeouts++;
				vm_set_broken(vm, "the device did not answer a request in time");
				return -EIO;
			}
		}
		if (vm->env->wait_poll)
			vm->env->wait_poll(vm);
		else
			cpu_relax();
	}
	vm->t_req += vm_ns(vm) - t0;
	if (len < sizeof(vm->resp.type) || vm->resp.type > VIRTIO_MEM_RESP_ERROR) {
		vm->errors++;
		return VIRTIO_MEM_RESP_ERROR;
	}
	switch (vm->resp.type) {
	case VIRTIO_MEM_RESP_ACK: vm->acks++; break;
	case VIRTIO_MEM_RESP_NACK: vm->nacks++; break;
	case VIRTIO_MEM_RESP_BUSY: vm->busys++; break;
	default: vm->errors++; break;
	}
	return vm->resp.type;
}

/* One PLUG/UNPLUG/STATE request for @n sub-blocks from @sb of block @i. */
static const char *vm_state_name(unsigned int s);

static int __vm_request(struct virtio_mem *vm, uint16_t type, unsigned int i, unsigned int sb,
			unsigned int n)
{
	memset(&vm->req, 0, sizeof(vm->req));
	vm->req.type = type;
	vm->req.addr = vm_mb_phys(vm, i) + (uint64_t)sb * vm->sb_size;
	vm->req.nb_blocks = (uint16_t)(n * (vm->sb_size / vm->block_size));
	if (type == VIRTIO_MEM_REQ_PLUG)
		vm->plug_reqs++;
	else if (type == VIRTIO_MEM_REQ_UNPLUG)
		vm->unplug_reqs++;
	else
		vm->state_reqs++;
	return vm_send(vm);
}

/*
 * PLUG/UNPLUG (or STATE) of @n sub-blocks from (@i, @sb). An ERROR (or a
 * malformed answer) on PLUG/UNPLUG, and a NACK on PLUG, is checked with a
 * STATE request: if
 * the range is now in the state asked for, the device did it and the
 * answer is taken as ACK (else the driver would give memory the device
 * took away back to the buddy, or forget memory it plugged). The STATE
 * answer is kept in vm->last_state (-1: none) for the message.
 */
static int vm_request(struct virtio_mem *vm, uint16_t type, unsigned int i, unsigned int sb,
		      unsigned int n)
{
	int r = __vm_request(vm, type, i, sb, n), st;

	vm->last_state = -1;
	if (type == VIRTIO_MEM_REQ_STATE || r == VIRTIO_MEM_RESP_ACK || r == VIRTIO_MEM_RESP_BUSY ||
	    r < 0 || (type == VIRTIO_MEM_REQ_UNPLUG && r == VIRTIO_MEM_RESP_NACK))
		return r;
	/* ERROR, or NACK on PLUG (a device that plugged it already answers NACK
	   when that filled requested_size) */
	st = __vm_request(vm, VIRTIO_MEM_REQ_STATE, i, sb, n);
	if (st < 0)
		return st;
	if (st == VIRTIO_MEM_RESP_ACK)
		vm->last_state = vm->resp.state;
	if (type == VIRTIO_MEM_REQ_PLUG && vm->last_state == VIRTIO_MEM_STATE_PLUGGED) {
		vm->reconciled++;
		return VIRTIO_MEM_RESP_ACK;
	}
	if (type == VIRTIO_MEM_REQ_UNPLUG && vm->last_state != VIRTIO_MEM_STATE_PLUGGED) {
		/*
		 * Unplugged, partly, or unknown: the memory may be gone, so it
		 * must never be used again; treat it as unplugged. If the
		 * device kept it, a later PLUG of it is adopted (ERROR, STATE
		 * plugged), and `virtio-mem check` shows the difference.
		 */
		if (vm->last_state != VIRTIO_MEM_STATE_UNPLUGGED) {
			char msg[128];

			snprintf(msg, sizeof(msg), "UNPLUG %#llx: ERROR, device state %s; treated as unplugged",
				 (unsigned long long)vm->req.addr,
				 vm->last_state >= 0 ? vm_state_name((unsigned int)vm->last_state) : "unknown");
			vm_error(vm, msg);
			vm->unplug_doubt++;
		}
		vm->reconciled++;
		return VIRTIO_MEM_RESP_ACK;
	}
	return r;
}

static const char *vm_resp_name(int r)
{
	static const char *const names[] = { "ACK", "NACK", "BUSY", "ERROR" };

	return r >= 0 && r <= 3 ? names[r] : "no answer";
}

static const char *vm_state_name(unsigned int s)
{
	static const char *const names[] = { "plugged", "unplugged", "mixed" };

	return s <= 2 ? names[s] : "invalid";
}

/* Start (or double) the back-off. */
static void vm_backoff(struct virtio_mem *vm)
{
	vm->retry_ms = vm->retry_ms ? MIN(vm->retry_ms * 2, (unsigned int)VM_RETRY_MAX_MS) :
				      VM_RETRY_MIN_MS;
	vm->retry_at = vm->env->now_ms() + vm->retry_ms;
	vm->consecutive_fail++;
}

static void vm_progress(struct virtio_mem *vm)
{
	vm->retry_ms = 0;
	vm->retry_at = 0;
	vm->consecutive_fail = 0;
}

unsigned int virtio_mem_retry_ms(const struct virtio_mem *vm)
{
	uint64_t now = vm->env->now_ms();

	if (!vm->retry_at)
		return 0;
	return vm->retry_at > now ? (unsigned int)(vm->retry_at - now) : 1;
}

/*
 * A non-ACK answer to a PLUG/UNPLUG of @n sub-blocks from (@i, @sb):
 * record it, ask the device for the range's STATE after an ERROR, back off.
 */
static void vm_refused(struct virtio_mem *vm, const char *what, int r, unsigned int i,
		       unsigned int sb, unsigned int n)
{
	char msg[128];
	uint64_t a = vm_mb_phys(vm, i) + (uint64_t)sb * vm->sb_size;

	if (r == VIRTIO_MEM_RESP_ERROR) {
		snprintf(msg, sizeof(msg), "%s %#llx+%u MiB: ERROR (device state of the range: %s)",
			 what, (unsigned long long)a, (unsigned int)((n * vm->sb_size) >> 20),
			 vm->last_state >= 0 ? vm_state_name((unsigned int)vm->last_state) : "unknown");
		vm_error(vm, msg);
	} else if (r >= 0) {
		snprintf(msg, sizeof(msg), "%s %#llx+%u MiB: %s; retrying later", what,
			 (unsigned long long)a, (unsigned int)((n * vm->sb_size) >> 20), vm_resp_name(r));
		snprintf(vm->last_error, sizeof(vm->last_error), "%s", msg);
		vm->last_error_ms = vm->env->now_ms();
	}
	vm_backoff(vm);
}

/* ---- the online-page callback and the memory notifier ---- */

/* The device whose used memory blocks contain @pfn, and its block index. */
static struct virtio_mem *vm_find(unsigned long pfn, unsigned int *idx)
{
	unsigned long mb = pfn_to_section_nr(pfn);

	for (unsigned int d = 0; d < vm_nregistered; d++) {
		struct virtio_mem *vm = vm_registered[d];

		if (vm && mb >= vm->first_mb && mb < vm->first_mb + vm->nr_mbs) {
			*idx = (unsigned int)(mb - vm->first_mb);
			return vm;
		}
	}
	return NULL;
}

/* Hand [pfn, pfn + n) to the buddy in maximal aligned blocks. */
static void vm_online_range(unsigned long pfn, unsigned long n)
{
	while (n) {
		unsigned int order = 0;

		while (order < MAX_ORDER && !(pfn & ((2ul << order) - 1)) && (2ul << order) <= n)
			order++;
		generic_online_page(pfn_to_page(pfn), order);
		pfn += 1ul << order;
		n -= 1ul << order;
	}
}

/*
 * Keep unplugged [pfn, pfn + n) of a block going online away from the
 * buddy: PageOffline, NeverOnlined (not counted as managed: plugging it
 * later goes through generic_online_page(), which counts it), Skippable.
 * A page still PageOffline from before the block was last offlined keeps
 * its type; the others arrive as an offline section's pages (PG_reserved,
 * refcount 1) and are frozen first. Nothing here touches the memory.
 */
static void vm_offline_unplugged(unsigned long pfn, unsigned long n)
{
	for (unsigned long k = 0; k < n; k++) {
		struct page *p = pfn_to_page(pfn + k);

		if (PageOffline(p))
			continue;
		__ClearPageReserved(p);
		set_page_count(p, 0);
		page_offline_mark(p, 1, PAGE_OFFLINE_NEVER_ONLINED | PAGE_OFFLINE_SKIPPABLE);
	}
}

/* Subtract @nr pages of @page's zone from its managed count (they left for good). */
static void vm_unmanage(struct page *page, unsigned long nr)
{
	struct zone *zone = page_zone(page);
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	WRITE_ONCE(zone->managed_pages, zone->managed_pages - nr);
	spin_unlock_irqrestore(&zone->lock, flags);
}

/* online_page_callback_t: plugged sub-blocks to the buddy, the rest PageOffline. */
static void vm_online_page(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + (1ul << order);
	struct virtio_mem *vm;
	unsigned int i;

	vm = vm_find(pfn, &i);
	if (!vm) {
		generic_online_page(page, order);
		return;
	}
	while (pfn < end) {
		unsigned long base = PHYS_PFN(vm_mb_phys(vm, i));
		unsigned int sb = (unsigned int)((pfn - base) / vm_sb_pages(vm));
		unsigned long sb_end = base + (sb + 1) * vm_sb_pages(vm);
		unsigned long n = MIN(end, sb_end) - pfn;

		if (vm->mbs[i].plugged & (1ull << sb))
			vm_online_range(pfn, n);
		else
			vm_offline_unplugged(pfn, n);
		pfn += n;
	}
}

/* True if every PageOffline page of the unplugged sub-blocks of block @i is Skippable. */
static bool vm_mb_offline_skippable(struct virtio_mem *vm, unsigned int i)
{
	for (unsigned int sb = 0; sb < vm->sbs_per_mb; sb++) {
		unsigned long pfn = vm_sb_pfn(vm, i, sb);

		if (vm->mbs[i].plugged & (1ull << sb))
			continue;
		for (unsigned long k = 0; k < vm_sb_pages(vm); k++) {
			struct page *p = pfn_to_page(pfn + k);

			if (PageOffline(p) && !PageOfflineSkippable(p))
				return false;
		}
	}
	return true;
}

/* Memory notifier: track our blocks' state; refuse offliners of a block we work on. */
static int vm_memory_notify(struct memory_notifier *nb, enum memory_action action,
			    const struct memory_notify *arg)
{
	int ret = 0;

	for (unsigned long pfn = arg->start_pfn; pfn < arg->start_pfn + arg->nr_pages;
	     pfn += PAGES_PER_MEMORY_BLOCK) {
		struct virtio_mem *vm;
		unsigned int i;

		vm = vm_find(pfn, &i);
		if (!vm)
			continue;
		spin_lock(&vm->mb_lock);
		if (vm->self_mb == (long)i) {
			spin_unlock(&vm->mb_lock);
			continue;	/* our own operation: the state machine tracks it */
		}
		switch (action) {
		case MEM_GOING_OFFLINE:
			if (vm->busy_mb == (long)i || !vm_mb_offline_skippable(vm, i)) {
				vm->others_offline_refused++;
				ret = -EBUSY;
			} else {
				vm->mbs[i].state = VM_MB_GOING_OFFLINE;
			}
			break;
		case MEM_CANCEL_OFFLINE:
			if (vm->mbs[i].state == VM_MB_GOING_OFFLINE)
				vm->mbs[i].state = VM_MB_ONLINE;
			break;
		case MEM_OFFLINE:
			vm->mbs[i].state = VM_MB_OFFLINE;
			break;
		case MEM_ONLINE:
			vm->mbs[i].state = VM_MB_ONLINE;
			break;
		default:
			break;
		}
		spin_unlock(&vm->mb_lock);
	}
	return ret;
}

static struct memory_notifier vm_notifier = { .call = vm_memory_notify };

/*
 * Claim block @i for the state machine if it is in state @want: others'
 * offlining is refused until vm_mb_release(). False if its state differs.
 */
static bool vm_mb_claim(struct virtio_mem *vm, unsigned int i, enum vm_mb_state want)
{
	bool ok;

	spin_lock(&vm->mb_lock);
	ok = vm->mbs[i].state == want;
	if (ok)
		vm->busy_mb = i;
	spin_unlock(&vm->mb_lock);
	return ok;
}

static void vm_mb_release(struct virtio_mem *vm)
{
	spin_lock(&vm->mb_lock);
	vm->busy_mb = -1;
	spin_unlock(&vm->mb_lock);
}

static void vm_mb_set_state(struct virtio_mem *vm, unsigned int i, enum vm_mb_state s)
{
	spin_lock(&vm->mb_lock);
	vm->mbs[i].state = s;
	spin_unlock(&vm->mb_lock);
}

static void vm_self_begin(struct virtio_mem *vm, unsigned int i)
{
	spin_lock(&vm->mb_lock);
	vm->self_mb = (long)i;
	spin_unlock(&vm->mb_lock);
}

static void vm_self_end(struct virtio_mem *vm)
{
	spin_lock(&vm->mb_lock);
	vm->self_mb = -1;
	spin_unlock(&vm->mb_lock);
}

/* ---- plugging ---- */

/* Online block @i (added, offline) into vm->zone; 0 or -errno (reported). */
static int vm_mb_online(struct virtio_mem *vm, unsigned int i)
{
	int err;

	uint64_t t0 = vm_ns(vm);

	vm_self_begin(vm, i);
	err = online_memory_block(vm->first_mb + i, vm->zone);
	vm_self_end(vm);
	vm->t_online += vm_ns(vm) - t0;
	if (!err) {
		vm_mb_set_state(vm, i, VM_MB_ONLINE);
		vm->mbs[i].zone = (uint8_t)vm->zone;
	}
	return err;
}

/* Unplug @n sub-blocks from (@i, @sb) whose memory nobody uses; response. */
static int vm_unplug_unused(struct virtio_mem *vm, unsigned int i, unsigned int sb, unsigned int n)
{
	int r = vm_request(vm, VIRTIO_MEM_REQ_UNPLUG, i, sb, n);

	if (r == VIRTIO_MEM_RESP_ACK) {
		uint64_t bits = (n == 64 ? ~0ull : ((1ull << n) - 1)) << sb;

		vm->mbs[i].plugged &= ~bits;
		vm->plugged -= n * vm->sb_size;
		vm->unplugged_sbs += n;
	}
	return r;
}

/*
 * Plug up to @want sub-blocks into absent block @i, then add and online it.
 * Sub-blocks plugged; 0 with a back-off set when refused; -EIO.
 */
static int vm_plug_new_mb(struct virtio_mem *vm, unsigned int i, unsigned int want)
{
	unsigned int n = 0;
	uint64_t t0;
	char msg[128];
	int r, err;

	while (n < vm->sbs_per_mb && n < want && vm_sb_usable(vm, i, n))
		n++;
	if (!n)
		return 0;
	r = vm_request(vm, VIRTIO_MEM_REQ_PLUG, i, 0, n);
	if (r < 0)
		return r;
	if (r != VIRTIO_MEM_RESP_ACK) {
		vm_refused(vm, "PLUG", r, i, 0, n);
		return 0;
	}
	vm->mbs[i].plugged = (n == 64 ? ~0ull : (1ull << n) - 1);
	vm->plugged += n * vm->sb_size;
	t0 = vm_ns(vm);
	err = add_memory(vm_mb_phys(vm, i), memory_block_size_bytes(), "virtio-mem");
	vm->t_add += vm_ns(vm) - t0;
	if (err) {
		snprintf(msg, sizeof(msg), "memory block %lu: add_memory failed (%d); block not used",
			 vm->first_mb + i, err);
		vm_error(vm, msg);
		vm_mb_set_state(vm, i, VM_MB_UNUSABLE);
		vm_unplug_unused(vm, i, 0, n);	/* nothing touched it */
		vm_backoff(vm);
		return 0;
	}
	vm->mbs_added++;
	vm_mb_set_state(vm, i, VM_MB_OFFLINE);
	err = vm_mb_online(vm, i);
	if (err) {
		snprintf(msg, sizeof(msg), "memory block %lu: online failed (%d); block not used",
			 vm->first_mb + i, err);
		vm_error(vm, msg);
		if (!remove_memory(vm_mb_phys(vm, i), memory_block_size_bytes()))
			vm->mbs_removed++;
		vm_mb_set_state(vm, i, VM_MB_UNUSABLE);
		vm_unplug_unused(vm, i, 0, n);
		vm_backoff(vm);
		return 0;
	}
	vm->plugged_sbs += n;
	return (int)n;
}

/*
 * Plug up to @want unplugged usable sub-blocks of online block @i (one
 * run, one request) and release their pages to the buddy. As above.
 */
static int vm_plug_online_mb(struct virtio_mem *vm, unsigned int i, unsigned int want)
{
	unsigned int sb = 0, n = 0;
	uint64_t bits;
	int r;

	while (sb < vm->sbs_per_mb && (vm->mbs[i].plugged & (1ull << sb)))
		sb++;
	while (sb + n < vm->sbs_per_mb && n < want && !(vm->mbs[i].plugged & (1ull << (sb + n))) &&
	       vm_sb_usable(vm, i, sb + n))
		n++;
	if (!n || !vm_mb_claim(vm, i, VM_MB_ONLINE))
		return 0;
	r = vm_request(vm, VIRTIO_MEM_REQ_PLUG, i, sb, n);
	if (r != VIRTIO_MEM_RESP_ACK) {
		vm_mb_release(vm);
		if (r >= 0)
			vm_refused(vm, "PLUG", r, i, sb, n);
		return r < 0 ? r : 0;
	}
	bits = (n == 64 ? ~0ull : ((1ull << n) - 1)) << sb;
	vm->mbs[i].plugged |= bits;
	vm->plugged += n * vm->sb_size;
	vm->plugged_sbs += n;
	page_offline_release(pfn_to_page(vm_sb_pfn(vm, i, sb)), n * vm_sb_pages(vm));
	vm_mb_release(vm);
	return (int)n;
}

/* One plug request toward the target; sub-blocks plugged (0: none possible now), or -EIO. */
static int vm_plug_step(struct virtio_mem *vm)
{
	unsigned int want = (unsigned int)((vm->target - vm->plugged) / vm->sb_size);

	/* fill online blocks first, lowest first */
	for (unsigned int i = 0; i < vm->nr_mbs; i++)
		if (vm->mbs[i].state == VM_MB_ONLINE && vm->mbs[i].plugged != vm_all_sbs(vm) &&
		    vm_sb_usable(vm, i, 0)) {
			unsigned int sb = (unsigned int)__builtin_ctzll(~vm->mbs[i].plugged);

			if (sb < vm->sbs_per_mb && vm_sb_usable(vm, i, sb))
				return vm_plug_online_mb(vm, i, want);
		}
	for (unsigned int i = 0; i < vm->nr_mbs; i++)
		if (vm->mbs[i].state == VM_MB_ABSENT && vm_sb_usable(vm, i, 0))
			return vm_plug_new_mb(vm, i, want);
	return 0;
}

/* ---- unplugging ---- */

/* Remove block @i (offline, nothing plugged); reported on failure. */
static void vm_mb_remove(struct virtio_mem *vm, unsigned int i)
{
	uint64_t t0 = vm_ns(vm);
	int err = remove_memory(vm_mb_phys(vm, i), memory_block_size_bytes());

	vm->t_remove += vm_ns(vm) - t0;
	if (err) {
		char msg[128];

		snprintf(msg, sizeof(msg), "memory block %lu: remove_memory failed (%d)",
			 vm->first_mb + i, err);
		vm_error(vm, msg);
		return;
	}
	vm_mb_set_state(vm, i, VM_MB_ABSENT);
	vm->mbs_removed++;
}

/* Offline block @i ourselves; 0, or -EBUSY with the reason recorded. */
static int vm_mb_offline(struct virtio_mem *vm, unsigned int i)
{
	char why[96], msg[128];
	uint64_t t0 = vm_ns(vm);
	int err;

	why[0] = 0;
	vm_self_begin(vm, i);
	err = offline_memory_block(vm->first_mb + i, why, sizeof(why));
	vm_self_end(vm);
	vm->t_offline += vm_ns(vm) - t0;
	if (err) {
		vm->offline_failed++;
		snprintf(msg, sizeof(msg), "offline: %s", why[0] ? why : "refused");
		snprintf(vm->last_error, sizeof(vm->last_error), "%s", msg);
		vm->last_error_ms = vm->env->now_ms();
		return err;
	}
	vm->mbs_offlined++;
	vm_mb_set_state(vm, i, VM_MB_OFFLINE);
	return 0;
}

/*
 * Unplug the plugged runs of offline block @i, highest first, at most
 * @want sub-blocks; remove it once empty. Sub-blocks unplugged, or -EIO.
 */
static int vm_unplug_offline_mb(struct virtio_mem *vm, unsigned int i, unsigned int want)
{
	unsigned int done = 0;

	while (vm->mbs[i].plugged && done < want) {
		unsigned int top = 63 - (unsigned int)__builtin_clzll(vm->mbs[i].plugged), sb = top;
		int r;

		while (sb > 0 && (vm->mbs[i].plugged & (1ull << (sb - 1))) && top - sb + 1 < want - done)
			sb--;
		r = vm_unplug_unused(vm, i, sb, top - sb + 1);
		if (r < 0)
			return r;
		if (r != VIRTIO_MEM_RESP_ACK) {
			vm_refused(vm, "UNPLUG", r, i, sb, top - sb + 1);
			break;
		}
		done += top - sb + 1;
	}
	if (!vm->mbs[i].plugged)
		vm_mb_remove(vm, i);
	return (int)done;
}

/*
 * Empty and unplug sub-blocks of online block @i from the top, at most
 * @want. Sub-blocks unplugged (0: none could be emptied or the device
 * refused; back-off set), or -EIO.
 */
static int vm_unplug_online_mb(struct virtio_mem *vm, unsigned int i, unsigned int want)
{
	unsigned int done = 0;
	unsigned long blocked = 0;

	for (int sb = (int)vm->sbs_per_mb - 1; sb >= 0 && done < want; sb--) {
		unsigned long pfn = vm_sb_pfn(vm, i, (unsigned int)sb);
		uint64_t t0;
		int r, busy;

		if (!(vm->mbs[i].plugged & (1ull << sb)))
			continue;
		t0 = vm_ns(vm);
		busy = alloc_contig_frozen_range(pfn, pfn + vm_sb_pages(vm), GFP_KERNEL);
		vm->t_contig += vm_ns(vm) - t0;
		if (busy) {
			vm->contig_failed++;
			blocked++;
			continue;
		}
		r = vm_request(vm, VIRTIO_MEM_REQ_UNPLUG, i, (unsigned int)sb, 1);
		if (r != VIRTIO_MEM_RESP_ACK) {
			free_contig_frozen_range(pfn, vm_sb_pages(vm));
			if (r < 0)
				return r;
			vm_refused(vm, "UNPLUG", r, i, (unsigned int)sb, 1);
			return (int)done;
		}
		/* as if never onlined: uncounted now, counted again when plugged */
		vm_unmanage(pfn_to_page(pfn), vm_sb_pages(vm));
		page_offline_mark(pfn_to_page(pfn), vm_sb_pages(vm),
				  PAGE_OFFLINE_NEVER_ONLINED | PAGE_OFFLINE_SKIPPABLE);
		vm->mbs[i].plugged &= ~(1ull << sb);
		vm->plugged -= vm->sb_size;
		vm->unplugged_sbs++;
		done++;
		/* a config change in the middle: follow the new size every 8 sub-blocks */
		if ((done & 7) == 0) {
			virtio_mem_update_target(vm);
			if (vm->plugged < vm->target + vm->sb_size)
				break;
			want = done + (unsigned int)((vm->plugged - vm->target) / vm->sb_size);
		}
	}
	vm->unplug_blocked += blocked;
	if (blocked && !done) {
		char msg[128];

		snprintf(msg, sizeof(msg), "memory block %lu: %lu sub-blocks hold unmovable pages; retrying",
			 vm->first_mb + i, blocked);
		snprintf(vm->last_error, sizeof(vm->last_error), "%s", msg);
		vm->last_error_ms = vm->env->now_ms();
	}
	return (int)done;
}

/*
 * One unplug move toward the target: sub-blocks unplugged (0 if nothing
 * could be now: back-off set), or -EIO.
 */
static int vm_unplug_step(struct virtio_mem *vm)
{
	unsigned int want = (unsigned int)((vm->plugged - vm->target) / vm->sb_size);
	unsigned int total = 0;
	int r;

	/* offline blocks first: their plugged memory is not in use */
	for (int i = (int)vm->nr_mbs - 1; i >= 0; i--)
		if (vm->mbs[i].state == VM_MB_OFFLINE && vm->mbs[i].plugged) {
			if (!vm_mb_claim(vm, (unsigned int)i, VM_MB_OFFLINE))
				continue;
			r = vm_unplug_offline_mb(vm, (unsigned int)i, want);
			vm_mb_release(vm);
			return r;
		}
	for (int i = (int)vm->nr_mbs - 1; i >= 0 && total < want; i--) {
		unsigned int n = vm_mb_plugged_count(vm, (unsigned int)i);

		if (vm->mbs[i].state != VM_MB_ONLINE || !n)
			continue;
		if (!vm_mb_claim(vm, (unsigned int)i, VM_MB_ONLINE))
			continue;
		/* the whole block goes: offline it in one go, then unplug */
		if (n <= want - total && vm_mb_offline(vm, (unsigned int)i) == 0) {
			r = vm_unplug_offline_mb(vm, (unsigned int)i, n);
			/* refused: its plugged memory is usable again meanwhile */
			if (vm->mbs[i].plugged && vm->mbs[i].state == VM_MB_OFFLINE &&
			    vm_mb_online(vm, (unsigned int)i)) {
				char msg[96];

				snprintf(msg, sizeof(msg), "memory block %lu: could not be onlined again after a refused unplug",
					 vm->first_mb + i);
				vm_error(vm, msg);
			}
			vm_mb_release(vm);
			return r;
		}
		r = vm_unplug_online_mb(vm, (unsigned int)i, want - total);
		if (r > 0 && !vm->mbs[i].plugged && vm_mb_offline(vm, (unsigned int)i) == 0)
			vm_mb_remove(vm, (unsigned int)i);
		vm_mb_release(vm);
		if (r < 0)
			return r;
		if (vm->retry_at)
			return (int)total + r;	/* the device refused: stop here */
		total += (unsigned int)r;
		if (r > 0)
			return (int)total;	/* one block per call: re-read the target */
	}
	if (!total)
		vm_backoff(vm);
	return (int)total;
}

/* ---- the state machine ---- */

/* UNPLUG_ALL; 0 on ACK, -EAGAIN (back-off set), -EIO. */
static int vm_unplug_all(struct virtio_mem *vm)
{
	int r;

	memset(&vm->req, 0, sizeof(vm->req));
	vm->req.type = VIRTIO_MEM_REQ_UNPLUG_ALL;
	vm->unplug_reqs++;
	r = vm_send(vm);
	if (r < 0)
		return r;
	if (r != VIRTIO_MEM_RESP_ACK) {
		char msg[96];

		snprintf(msg, sizeof(msg), "UNPLUG_ALL: %s; retrying later", vm_resp_name(r));
		vm_error(vm, msg);
		vm_backoff(vm);
		return -EAGAIN;
	}
	return 0;
}

int virtio_mem_step(struct virtio_mem *vm, unsigned int max_reqs)
{
	int ret = 0;

	if (!vm->ready)
		return -EAGAIN;
	if (vm->broken)
		return -EIO;
	if (!spin_trylock(&vm->lock))
		return -EBUSY;
	virtio_mem_update_target(vm);
	if (__atomic_exchange_n(&vm->kicked, false, __ATOMIC_ACQ_REL))
		vm->retry_at = 0;	/* memory was freed: try now */
	if (vm->retry_at && vm->env->now_ms() < vm->retry_at) {
		spin_unlock(&vm->lock);
		return -EAGAIN;
	}
	/* the retry is due: a refusal in this pass sets it again (retry_ms doubles) */
	vm->retry_at = 0;
	if (vm->unplug_all_pending) {
		ret = vm_unplug_all(vm);
		if (ret) {
			spin_unlock(&vm->lock);
			return ret;
		}
		vm->unplug_all_pending = false;
		vm_progress(vm);
	}
	while (max_reqs--) {
		if (vm->plugged + vm->sb_size <= vm->target)
			ret = vm_plug_step(vm);
		else if (vm->plugged >= vm->target + vm->sb_size)
			ret = vm_unplug_step(vm);
		else
			ret = 0;
		if (ret <= 0)
			break;
		vm_progress(vm);
		virtio_mem_update_target(vm);
	}
	if (ret >= 0) {
		bool at = vm->plugged == vm->target;

		if (at)
			ret = 0;
		else if (vm->retry_at)
			ret = -EAGAIN;
		else if (ret > 0)
			ret = 1;
		else {
			/* nothing possible and nothing refused: e.g. no usable block left */
			ret = 0;
		}
	}
	spin_unlock(&vm->lock);
	return ret;
}

/* ---- init and removal ---- */

/* Validate the geometry; 0, or -EINVAL with the reason printed. */
static int vm_read_geometry(struct virtio_mem *vm)
{
	uint64_t bs = vm_cread64(vm, VIRTIO_MEM_CFG_BLOCK_SIZE);
	uint64_t addr = vm_cread64(vm, VIRTIO_MEM_CFG_ADDR);
	uint64_t size = vm_cread64(vm, VIRTIO_MEM_CFG_REGION_SIZE);
	uint64_t first, last;
	const char *bad = NULL;
	char msg[160];

	vm->node_id = virtio_cread16(vm->vdev, VIRTIO_MEM_CFG_NODE_ID);
	if (!bs || (bs & (bs - 1)))
		bad = "block size is not a power of two";
	else if (bs < PAGE_SIZE)
		bad = "block size is smaller than a page";
	else if (bs > memory_block_size_bytes())
		bad = "block size is larger than a memory block (128 MiB): not supported";
	else if ((addr | size) & (bs - 1))
		bad = "region address or size is not a multiple of the block size";
	else if (!size || addr + size < addr || addr + size > (1ull << MAX_PHYSMEM_BITS))
		bad = "region is empty, wraps around or lies beyond the physical address space";
	if (bad) {
		snprintf(msg, sizeof(msg), "device refused: %s (block_size %#llx addr %#llx region_size %#llx)",
			 bad, (unsigned long long)bs, (unsigned long long)addr, (unsigned long long)size);
		vm_error(vm, msg);
		return -EINVAL;
	}
	vm->block_size = bs;
	vm->sb_size = MAX(bs, (uint64_t)VM_SB_MIN_BYTES);
	vm->sbs_per_mb = (unsigned int)(memory_block_size_bytes() / vm->sb_size);
	vm->addr = addr;
	vm->region_size = size;
	first = (addr + memory_block_size_bytes() - 1) >> SECTION_SIZE_BITS;
	last = (addr + size) >> SECTION_SIZE_BITS;
	if (last <= first) {
		snprintf(msg, sizeof(msg), "device refused: region %#llx+%#llx holds no whole 128 MiB memory block",
			 (unsigned long long)addr, (unsigned long long)size);
		vm_error(vm, msg);
		return -EINVAL;
	}
	for (uint64_t nr = first; nr < last && nr < NR_MEM_SECTIONS; nr++) {
		/* the region is the device's alone: memory the kernel has there is not ours to plug */
		if (READ_ONCE(mem_sections[nr].state) & SECTION_PRESENT) {
			snprintf(msg, sizeof(msg), "device refused: region %#llx+%#llx overlaps memory "
				 "already present (memory block %llu)", (unsigned long long)addr,
				 (unsigned long long)size, (unsigned long long)nr);
			vm_error(vm, msg);
			return -EINVAL;
		}
	}
	if ((addr | size) & (memory_block_size_bytes() - 1))
		vm_clamp_report(vm, "region not aligned to 128 MiB memory blocks; its ragged ends are not used");
	if (last - first > VM_MAX_MBS) {
		vm_clamp_report(vm, "region larger than 512 GiB; only its first 512 GiB are used");
		last = first + VM_MAX_MBS;
	}
	vm->first_mb = first;
	vm->nr_mbs = (unsigned int)(last - first);
	return 0;
}

int virtio_mem_init(struct virtio_mem *vm, struct virtio_device *vdev,
		    const struct virtio_mem_env *env, enum zone_type zone)
{
	const struct virtio_config_ops *ops = vdev->config;
	uint64_t offered;
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->vdev = vdev;
	vm->env = env;
	vm->zone = zone;
	vm->timeout_ms = VM_DEFAULT_TIMEOUT_MS;
	vm->busy_mb = -1;
	vm->self_mb = -1;
	spin_lock_init(&vm->lock);
	spin_lock_init(&vm->mb_lock);
	vdev->priv = vm;
	if (vm_nregistered >= VM_MAX_DEVICES)
		return -ENOSPC;

	ops->reset(vdev);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	offered = ops->get_features(vdev);
	vdev->features = offered & ((1ull << VIRTIO_F_VERSION_1) |
				    (1ull << VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE));
	err = -ENODEV;
	if (!virtio_has_feature(vdev, VIRTIO_F_VERSION_1)) {
		vm_error(vm, "device refused: not a VERSION_1 device");
		goto fail;
	}
	err = ops->finalize_features(vdev);
	if (err)
		goto fail;
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(ops->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		err = -ENODEV;
		goto fail;
	}
	vm->inaccessible = virtio_has_feature(vdev, VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE);
	err = vm_read_geometry(vm);
	if (err)
		goto fail;
	vm->mbs = kzalloc(vm->nr_mbs * sizeof(*vm->mbs), GFP_KERNEL);
	if (!vm->mbs) {
		err = -ENOMEM;
		goto fail;
	}
	err = ops->setup_vq(vdev, 0, 64, "guest", NULL, &vm->vq);
	if (err)
		goto fail_mbs;
	virtqueue_disable_cb(vm->vq);		/* requests are polled */
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER_OK);
	if (vm_nregistered == 0) {
		err = set_online_page_callback(vm_online_page);
		if (err) {
			vm_error(vm, "device refused: another online-page callback is installed");
			goto fail_vqs;
		}
		register_memory_notifier(&vm_notifier);
	}
	vm_registered[vm_nregistered++] = vm;
	vm->ready = true;
	/* whatever a previous driver left plugged goes: nothing of it is ours */
	vm->unplug_all_pending = true;
	err = vm_unplug_all(vm);
	if (!err)
		vm->unplug_all_pending = false;
	else if (err == -EIO)
		return 0;	/* broken, reported; the device stays, unused */
	virtio_mem_update_target(vm);
	if (!vm->unplug_all_pending && vm->dev_plugged) {
		char msg[96];

		snprintf(msg, sizeof(msg), "plugged_size %llu after UNPLUG_ALL (expected 0); ignored",
			 (unsigned long long)vm->dev_plugged);
		vm_clamp_report(vm, msg);
	}
	return 0;

fail_vqs:
	ops->reset(vdev);
	ops->del_vqs(vdev);
fail_mbs:
	kfree(vm->mbs);
	vm->mbs = NULL;
fail:
	pr_err("virtio-mem %s: initialization failed (%d)\n", vdev->name, err);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	return err;
}

unsigned long virtio_mem_check(struct virtio_mem *vm)
{
	unsigned long problems = 0, bits = 0;

	if (!vm->mbs)
		return 0;
	spin_lock(&vm->lock);
	for (unsigned int i = 0; i < vm->nr_mbs; i++) {
		struct vm_mb *mb = &vm->mbs[i];

		bits += (unsigned long)__builtin_popcountll(mb->plugged);
		if ((mb->state == VM_MB_ABSENT || mb->state == VM_MB_UNUSABLE) && mb->plugged) {
			printk("virtio-mem check: block %lu absent with plugged %#llx\n",
			       vm->first_mb + i, (unsigned long long)mb->plugged);
			problems++;
		}
		if (mb->state != VM_MB_ONLINE)
			continue;
		for (unsigned int sb = 0; sb < vm->sbs_per_mb; sb++) {
			bool plugged = mb->plugged & (1ull << sb);
			unsigned long pfn = vm_sb_pfn(vm, i, sb), bad = 0;

			for (unsigned long k = 0; k < vm_sb_pages(vm); k++) {
				struct page *p = pfn_to_page(pfn + k);
				bool off = PageOffline(p);

				if (plugged ? off : (!off || page_ref_count(p) != 0 || !PageOfflineSkippable(p)))
					bad++;
			}
			if (bad) {
				printk("virtio-mem check: block %lu sub-block %u (%s): %lu pages in the wrong state\n",
				       vm->first_mb + i, sb, plugged ? "plugged" : "unplugged", bad);
				problems++;
			}
		}
	}
	if (bits * vm->sb_size != vm->plugged) {
		printk("virtio-mem check: %lu plugged sub-blocks but plugged %llu bytes\n", bits,
		       (unsigned long long)vm->plugged);
		problems++;
	}
	if (!vm->broken && vm_cread64(vm, VIRTIO_MEM_CFG_PLUGGED_SIZE) != vm->plugged) {
		printk("virtio-mem check: device plugged_size %llu, driver %llu\n",
		       (unsigned long long)vm_cread64(vm, VIRTIO_MEM_CFG_PLUGGED_SIZE),
		       (unsigned long long)vm->plugged);
		problems++;
	}
	spin_unlock(&vm->lock);
	printk("virtio-mem check: %lu problems\n", problems);
	return problems;
}

int virtio_mem_remove(struct virtio_mem *vm)
{
	unsigned int left = 0;

	spin_lock(&vm->lock);
	vm->target = 0;
	for (unsigned int i = 0; i < vm->nr_mbs && !vm->broken; i++) {
		if (!vm->mbs[i].plugged)
			continue;
		if (vm->mbs[i].state == VM_MB_ONLINE && vm_mb_offline(vm, i))
			continue;
		vm_unplug_offline_mb(vm, i, vm->sbs_per_mb);
	}
	for (unsigned int i = 0; i < vm->nr_mbs; i++)
		left += vm_mb_plugged_count(vm, i);
	vm->ready = false;
	if (!left) {
		vm->vdev->config->reset(vm->vdev);
		vm->vdev->config->del_vqs(vm->vdev);
		vm->vq = NULL;
		for (unsigned int d = 0; d < vm_nregistered; d++)
			if (vm_registered[d] == vm) {
				vm_registered[d] = vm_registered[--vm_nregistered];
				vm_registered[vm_nregistered] = NULL;
			}
		if (!vm_nregistered) {
			unregister_memory_notifier(&vm_notifier);
			restore_online_page_callback(vm_online_page);
		}
		kfree(vm->mbs);
		vm->mbs = NULL;
	}
	spin_unlock(&vm->lock);
	return left ? -EBUSY : 0;
}

#ifdef HOST_BUILD
void virtio_mem_host_reset(void)
{
	if (vm_nregistered) {
		restore_online_page_callback(vm_online_page);
		unregister_memory_notifier(&vm_notifier);
	}
	memset(vm_registered, 0, sizeof(vm_registered));
	vm_nregistered = 0;
}
#endif
