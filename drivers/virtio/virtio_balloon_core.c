/*
 * virtio_balloon_core.c - the virtio-balloon driver logic, portable: it
 * compiles into the kernel and into the host tests (against a simulated
 * device), reaching time and waiting through vb->env.
 *
 * State. vb->num_pages counts the pages the host holds: pages whose
 * inflate request the device has used, minus pages whose deflate request
 * it has used. Those pages are exactly the balloon's (listed or isolated in
 * vb->b_dev_info), so balloon_check(num_pages) is the invariant, true
 * whenever vb->lock is free (virtio_balloon_check()), and `actual` equals
 * num_pages then too. vb->target is the host's num_pages, clamped to the
 * RAM there is.
 *
 * One batch (vb->lock held throughout):
 *  inflate  allocate up to 256 free pages (no reclaim), enqueue them into
 *           the balloon (offline, movable), send their PFNs, wait for the
 *           device to use the buffer, num_pages += n, write `actual`;
 *  deflate  dequeue up to 256 pages (now ours again, not yet usable), send
 *           their PFNs, wait for the used buffer, only then free them,
 *           num_pages -= n, write `actual`.
 * Every wait is bounded (vb->timeout_ms). A timeout, a broken queue or a
 * device that reset itself marks the balloon broken: an inflate batch stays
 * in the balloon (the host may have discarded it), a deflate batch goes
 * back into it (the host may not have given it back; nothing is counted,
 * and a page a scanner holds locked meanwhile is waited for), so no page
 * is ever lost or reused early; later steps return -EIO.
 *
 * Free page reporting (PAGE_REPORTING negotiated): vb->pr_dev is
 * registered with mm/page_reporting.c; its report() sends one batch of
 * free blocks as device-writable descriptors on reporting_vq and waits,
 * bounded, for the used buffer. Only the reporting pass touches that
 * queue, so it needs no lock; a failure stops reporting only, never the
 * balloon. A report's pages are reused only after the device used the
 * buffer: if the wait ends without that (timeout, or a queue the device
 * broke) report() says -EINPROGRESS and the blocks stay held out of the
 * buddy (vb->report_held); reclaim() hands them back once the device
 * uses the buffer late, or, unreported, once the device has been reset
 * (it dropped the buffer; virtio_balloon_remove() resets it too). A reset
 * that did not complete (status not 0 afterwards: the transports give up
 * after a while) proves nothing, so removal then retires the held blocks
 * for good instead (page_reporting_retire_held()), as it retires a broken
 * balloon's pages: a slow device may still discard them.
 *
 * Migration (compaction moving a balloon page) takes vb->lock with a
 * trylock (-EAGAIN when busy), tells the host "deflate the old page" and,
 * once it has, moves the page guest side and tells it "inflate the new
 * one". An unanswered deflate is a failed migration with nothing changed;
 * an unanswered inflate leaves the new page ballooned, as for any inflate
 * (see vb_migratepage()). Deflate on OOM also uses a trylock: an
 * allocation must never wait for the balloon.
 *
 * Removal drains the balloon: isolation is refused from then on, the pages
 * compaction holds isolated are waited for (their migration fails, so they
 * are put back), everything is deflated, the device reset, and nothing is
 * left pointing at the device (see virtio_balloon_remove()).
 */
#include <drivers/virtio_balloon.h>
#include <mm/page_alloc.h>
#include <mm/page_offline.h>
#include <mm/vmstat.h>
#include <mm/page_reporting.h>
#include <mm/shrinker.h>
#include <mm/mmzone.h>
#include <kernel/printk.h>
#include <arch/cpu.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>

/* Mark the balloon broken (first reason kept, printed once). */
static void vb_set_broken(struct virtio_balloon *vb, const char *why)
{
	if (!vb->broken) {
		snprintf(vb->broken_why, sizeof(vb->broken_why), "%s", why);
		pr_err("virtio-balloon %s: %s; balloon stopped (pages stay accounted)\n",
		       vb->vdev->name, why);
	}
	vb->broken = true;
	if (vb->inflate_vq)
		virtqueue_break(vb->inflate_vq);
	if (vb->deflate_vq)
		virtqueue_break(vb->deflate_vq);
}

/* True if the device has reset itself or asks for a reset. */
static bool vb_device_gone(struct virtio_balloon *vb)
{
	uint8_t s = vb->vdev->config->get_status(vb->vdev);

	return !(s & VIRTIO_CONFIG_S_DRIVER_OK) || (s & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * Wait (bounded by vb->timeout_ms) until the device used the buffer
 * @token on @vq. 0, or -EIO with *@why set: the queue broke, the device
 * was reset, or the time ran out.
 */
static int vb_wait_used(struct virtio_balloon *vb, struct virtqueue *vq, void *token,
			const char **why)
{
	uint64_t deadline = vb->env->now_ms() + vb->timeout_ms;
	unsigned long spins = 0;

	for (;;) {
		if (virtqueue_get_buf(vq, NULL) == token)
			return 0;
		if (virtqueue_is_broken(vq)) {
			*why = "the device broke the queue protocol";
			return -EIO;
		}
		if ((++spins & 1023) == 0) {
			if (vb_device_gone(vb)) {
				*why = "the device was reset during a request";
				return -EIO;
			}
			if (vb->env->now_ms() > deadline) {
				/* the reporting pass waits without vb->lock */
				__atomic_fetch_add(&vb->timeouts, 1, __ATOMIC_RELAXED);
				*why = "the device did not complete a request in time";
				return -EIO;
			}
		}
		if (vb->env->wait_poll)
			vb->env->wait_poll(vb);
	}
}

/*
 * Send vb->pfns[0..n) on @vq and wait (bounded) until the device used the
 * buffer. 0, or -EIO (broken queue, device reset, timeout: balloon broken).
 */
static int vb_tell_host(struct virtio_balloon *vb, struct virtqueue *vq, unsigned int n)
{
	struct vq_sg sg = { __pa(vb->pfns), (uint32_t)(n * sizeof(uint32_t)) };
	const char *why = NULL;
	int err;

	err = virtqueue_add(vq, &sg, 1, 0, vb);
	if (err) {
		vb_set_broken(vb, err == -EIO ? "queue broken by the device" : "cannot queue a request");
		return -EIO;
	}
	virtqueue_kick(vq);
	if (vb_wait_used(vb, vq, vb, &why)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "%s (%s queue, %u ms)", why,
			 vq == vb->inflate_vq ? "inflate" : "deflate", vb->timeout_ms);
		vb_set_broken(vb, msg);
		return -EIO;
	}
	return 0;
}

/* Stop free page reporting for good (first reason kept, printed once). */
static void vb_reporting_broken(struct virtio_balloon *vb, const char *why)
{
	if (!vb->reporting_broken) {
		snprintf(vb->reporting_why, sizeof(vb->reporting_why), "%s", why);
		pr_err("virtio-balloon %s: free page reporting: %s; reporting stopped\n",
		       vb->vdev->name, why);
	}
	vb->reporting_broken = true;
	if (vb->reporting_vq)
		virtqueue_break(vb->reporting_vq);
}

/* True once the device has been reset: it holds no report buffer any more. */
static bool vb_reporting_dropped(struct virtio_balloon *vb)
{
	return !(vb->vdev->config->get_status(vb->vdev) & VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * page_reporting report(): one descriptor per block (address, 4096 <<
 * order bytes), device-writable as the spec and QEMU want them (QEMU
 * discards only the writable segments of a report; it writes nothing),
 * then wait until the device used the buffer. Only the reporting pass uses
 * reporting_vq, so no lock is needed.
 */
static int vb_report(struct page_reporting_dev_info *prdev,
		     const struct page_reporting_entry *ents, unsigned int n)
{
	struct virtio_balloon *vb = container_of(prdev, struct virtio_balloon, pr_dev);
	const char *why = NULL;
	int err;

	if (vb->reporting_broken || !vb->ready)
		return -EIO;
	for (unsigned int i = 0; i < n; i++) {
		vb->report_sg[i].addr = PFN_PHYS(ents[i].pfn);
		vb->report_sg[i].len = (uint32_t)(PAGE_SIZE << ents[i].order);
	}
	err = virtqueue_add(vb->reporting_vq, vb->report_sg, 0, n, vb->report_sg);
	if (err == -ENOSPC)
		return -ENOSPC;		/* cannot happen with one buffer at a time; retry later */
	if (err) {
		vb_reporting_broken(vb, err == -EIO ? "queue broken by the device" : "cannot queue a report");
		return -EIO;
	}
	virtqueue_kick(vb->reporting_vq);
	if (vb_wait_used(vb, vb->reporting_vq, vb->report_sg, &why)) {
		if (vb_reporting_dropped(vb)) {
			vb_reporting_broken(vb, why);
			return -EIO;		/* reset: the device let go of the blocks */
		}
		/* the device may still discard these pages: they stay out of use */
		vb->report_held = true;
		if (virtqueue_is_broken(vb->reporting_vq))
			vb_reporting_broken(vb, why);
		else
			pr_warn("virtio-balloon %s: free page reporting: %s (%u ms); %u blocks stay out of use until the device returns them\n",
				vb->vdev->name, why, vb->timeout_ms, n);
		return -EINPROGRESS;
	}
	return 0;
}

/*
 * page_reporting reclaim(): has the device used the report it kept? 0
 * yes, -ENODEV it was reset (the buffer is dropped), -EINPROGRESS not yet.
 */
static int vb_report_reclaim(struct page_reporting_dev_info *prdev)
{
	struct virtio_balloon *vb = container_of(prdev, struct virtio_balloon, pr_dev);

	if (!vb->report_held)
		return -ENODEV;
	if (vb->reporting_vq && !virtqueue_is_broken(vb->reporting_vq) &&
	    virtqueue_get_buf(vb->reporting_vq, NULL) == vb->report_sg) {
		vb->report_held = false;
		return 0;
	}
	if (vb_reporting_dropped(vb)) {
		vb->report_held = false;
		vb_reporting_broken(vb, "the device was reset while it held a report");
		return -ENODEV;
	}
	return -EINPROGRESS;
}

/*
 * Removal, after the reset: a report the device kept goes back to the
 * buddy if the reset completed (status reads 0: the buffer is dropped),
 * else it is retired for good (the device may still discard its pages).
 * report_held is cleared once that is done; if a pass still runs, that
 * pass does it as it ends (page_reporting.c), so nothing keeps the record.
 */
static void vb_reporting_reset_done(struct virtio_balloon *vb)
{
	bool reset = vb->vdev->config->get_status(vb->vdev) == 0;
	int r;

	if (!vb->report_held)
		return;
	r = reset ? page_reporting_release_held(&vb->pr_dev) :
		    page_reporting_retire_held(&vb->pr_dev);
	if (r < 0) {
		pr_err("virtio-balloon %s: free page reporting: a pass still runs at removal; it %s the held report as it ends\n",
		       vb->vdev->name, reset ? "releases" : "retires");
		return;
	}
	vb->report_held = false;
	if (!reset)
		pr_err("virtio-balloon %s: the device did not complete its reset; %d reported blocks it may still hold are retired for good\n",
		       vb->vdev->name, r);
}

/* page_reporting schedule(): hand the delayed pass to the environment. */
static void vb_report_schedule(struct page_reporting_dev_info *prdev, unsigned int delay_ms)
{
	struct virtio_balloon *vb = container_of(prdev, struct virtio_balloon, pr_dev);

	if (vb->env->schedule_reporting)
		vb->env->schedule_reporting(vb, delay_ms);
}

/* Tell the device how many pages we hold (one 4-byte write). */
static void vb_update_actual(struct virtio_balloon *vb)
{
	virtio_cwrite32(vb->vdev, VIRTIO_BALLOON_CFG_ACTUAL, vb->num_pages);
}

uint32_t virtio_balloon_update_target(struct virtio_balloon *vb)
{
	uint32_t want = virtio_cread32(vb->vdev, VIRTIO_BALLOON_CFG_NUM_PAGES);
	unsigned long ram = totalram_pages();

	if (want != vb->host_target)
		vb->oom_hold = false;	/* a new target from the host */
	vb->host_target = want;
	if (want > ram) {
		if (vb->target != ram || !vb->clamps)
			pr_warn("virtio-balloon %s: host asks for %u pages, more than the %lu pages of RAM; clamped\n",
				vb->vdev->name, want, ram);
		vb->clamps++;
		want = (uint32_t)ram;
	}
	vb->target = want;
	return want;
}

/*
 * No free page for an inflate: ask the shrinkers (mm/shrinker.c) for @want
 * pages plus what free memory lacks to the low watermark (pages freed below
 * it are not handed to a balloon allocation). True if they freed any.
 */
static bool vb_shrink_for_inflate(struct virtio_balloon *vb, unsigned long want)
{
	unsigned long low = 0, free = nr_free_pages();
	struct zone *z;

	for_each_populated_zone(z)
		low += low_wmark_pages(z);
	if (free < low)
		want += low - free;
	if (!shrink_memory(want, SHRINK_BALLOON))
		return false;
	vb->inflate_shrunk++;
	return true;
}

/* One inflate batch of at most @n pages; pages added, or -errno. */
static int vb_inflate_batch(struct virtio_balloon *vb, unsigned int n)
{
	LIST_HEAD(pages);
	struct page *page;
	unsigned int got = 0;
	int err;

	while (got < n) {
		page = balloon_page_alloc();
		if (!page && vb_shrink_for_inflate(vb, n - got))
			page = balloon_page_alloc();
		if (!page)
			break;
		vb->pfns[got++] = (uint32_t)page_to_pfn(page);
		list_add_tail(&page->lru, &pages);
	}
	if (!got) {
		if (!vb->inflate_short)
			pr_warn("virtio-balloon %s: no free memory to inflate further (%u of %u pages)\n",
				vb->vdev->name, vb->num_pages, vb->target);
		vb->inflate_short = true;
		return -ENOMEM;
	}
	vb->inflate_short = false;
	balloon_page_list_enqueue(&vb->b_dev_info, &pages);
	/* whatever happens now, these pages are the host's: count them */
	vb->num_pages += got;
	err = vb_tell_host(vb, vb->inflate_vq, got);
	vb_update_actual(vb);		/* counted either way, so reported either way */
	if (err)
		return -EIO;
	vb->inflated += got;
	vb->batches++;
	return (int)got;
}

/*
 * One deflate batch of at most @n pages; pages freed, or -errno. May wait
 * for a page lock (a failed batch goes back to the balloon): vb->lock is
 * held, which is fine because nobody waits for vb->lock with a page locked
 * (migration and OOM deflate only trylock it).
 */
static int vb_deflate_batch(struct virtio_balloon *vb, unsigned int n)
{
	LIST_HEAD(pages);
	struct page *page;
	unsigned int got = 0;

	if (!balloon_page_list_dequeue(&vb->b_dev_info, &pages, n))
		return vb->num_pages ? -EAGAIN : 0;
	list_for_each_entry(page, &pages, lru)
		vb->pfns[got++] = (uint32_t)page_to_pfn(page);
	if (vb_tell_host(vb, vb->deflate_vq, got)) {
		/* not acknowledged: the pages may still be the host's; no deflate happened */
		balloon_page_list_requeue(&vb->b_dev_info, &pages);
		return -EIO;
	}
	balloon_page_list_deflated(&vb->b_dev_info, &pages);
	vb->num_pages -= got;
	vb->deflated += got;
	vb->batches++;
	vb_update_actual(vb);
	return (int)got;
}

int virtio_balloon_step(struct virtio_balloon *vb, unsigned int max_batches)
{
	int ret = 0;

	if (!vb->ready)
		return -EAGAIN;
	if (vb->broken)
		return -EIO;
	if (!spin_trylock(&vb->lock))
		return -EBUSY;
	virtio_balloon_update_target(vb);
	while (max_batches--) {
		if (vb->num_pages < vb->target && !vb->oom_hold)
			ret = vb_inflate_batch(vb, MIN((uint32_t)VB_BATCH, vb->target - vb->num_pages));
		else if (vb->num_pages > vb->target && !vb->oom_hold)
			ret = vb_deflate_batch(vb, MIN((uint32_t)VB_BATCH, vb->num_pages - vb->target));
		else
			ret = 0;
		if (ret <= 0)
			break;
		virtio_balloon_update_target(vb);
	}
	if (ret > 0)
		ret = (vb->num_pages != vb->target && !vb->oom_hold) ? 1 : 0;
	spin_unlock(&vb->lock);
	return ret;
}

unsigned long virtio_balloon_oom_deflate(struct virtio_balloon *vb, unsigned long nr)
{
	unsigned long freed = 0;
	int got;

	if (!vb->ready || vb->broken ||
	    !virtio_has_feature(vb->vdev, VIRTIO_BALLOON_F_DEFLATE_ON_OOM))
		return 0;
	if (!spin_trylock(&vb->lock))
		return 0;
	vb->oom_calls++;
	while (freed < nr && vb->num_pages) {
		got = vb_deflate_batch(vb, (unsigned int)MIN(nr - freed, (unsigned long)VB_BATCH));
		if (got <= 0)
			break;
		freed += (unsigned long)got;
	}
	if (freed) {
		vb->oom_pages += freed;
		vb->oom_hold = true;	/* do not re-inflate until the host sets a new target */
		pr_info("virtio-balloon %s: out of memory: gave %lu pages back to the guest\n",
			vb->vdev->name, freed);
	}
	spin_unlock(&vb->lock);
	return freed;
}

/* Add one stats entry. */
static void vb_stat(struct virtio_balloon *vb, unsigned int *i, uint16_t tag, uint64_t val)
{
	vb->stats[*i].tag = tag;
	vb->stats[*i].val = val;
	(*i)++;
}

unsigned int virtio_balloon_fill_stats(struct virtio_balloon *vb)
{
	unsigned int i = 0;
	uint64_t free = (uint64_t)nr_free_pages() << PAGE_SHIFT;

	/* no swap, no page faults in this kernel: these are true zeros */
	vb_stat(vb, &i, VIRTIO_BALLOON_S_SWAP_IN, 0);
	vb_stat(vb, &i, VIRTIO_BALLOON_S_SWAP_OUT, 0);
	vb_stat(vb, &i, VIRTIO_BALLOON_S_MAJFLT, 0);
	vb_stat(vb, &i, VIRTIO_BALLOON_S_MINFLT, 0);
	vb_stat(vb, &i, VIRTIO_BALLOON_S_MEMFREE, free);
	vb_stat(vb, &i, VIRTIO_BALLOON_S_MEMTOT, (uint64_t)totalram_pages() << PAGE_SHIFT);
	/* Linux's MemAvailable (si_mem_available()), as Linux's driver sends it */
	vb_stat(vb, &i, VIRTIO_BALLOON_S_AVAIL, (uint64_t)si_mem_available() << PAGE_SHIFT);
	vb_stat(vb, &i, VIRTIO_BALLOON_S_CACHES, 0);
	vb_stat(vb, &i, VIRTIO_BALLOON_S_ALLOC_STALL, vm_stat_read(ALLOCSTALL));
	return i;
}

/* Expose the stats buffer to the device. */
static void vb_queue_stats(struct virtio_balloon *vb)
{
	unsigned int n = virtio_balloon_fill_stats(vb);
	struct vq_sg sg = { __pa(vb->stats), (uint32_t)(n * sizeof(vb->stats[0])) };

	if (virtqueue_add(vb->stats_vq, &sg, 1, 0, vb->stats) == 0) {
		vb->stats_outstanding = true;
		virtqueue_kick(vb->stats_vq);
	}
}

#ifdef HOST_BUILD
void (*vb_stats_test_hook)(struct virtio_balloon *vb);
#define vb_stats_hook(vb) do { if (vb_stats_test_hook) vb_stats_test_hook(vb); } while (0)
#else
#define vb_stats_hook(vb) do { } while (0)
#endif

/*
 * The stats queue is served by whichever work item runs (the stats
 * interrupt's, the slow poll's) on whichever CPU: vb->stats_lock makes
 * "take the used buffer, refill, requeue" one step, so two CPUs never
 * both requeue the one buffer (two outstanding, the device answering
 * twice) nor consume the same used entry (the queue would call that a
 * protocol error and break).
 */
void virtio_balloon_stats_service(struct virtio_balloon *vb)
{
	unsigned long flags;

	spin_lock_irqsave(&vb->stats_lock, flags);
	if (!vb->stats_vq || !vb->ready)
		goto out;
	while (virtqueue_get_buf(vb->stats_vq, NULL) == vb->stats) {
		vb->stats_outstanding = false;
		vb->stats_requests++;
	}
	if (!vb->stats_outstanding && !virtqueue_is_broken(vb->stats_vq)) {
		vb_stats_hook(vb);	/* tests: another CPU's work item runs here */
		vb_queue_stats(vb);
	}
out:
	spin_unlock_irqrestore(&vb->stats_lock, flags);
}

bool virtio_balloon_stats_pending(struct virtio_balloon *vb)
{
	unsigned long flags;
	bool more;

	spin_lock_irqsave(&vb->stats_lock, flags);
	more = vb->stats_vq && virtqueue_more_used(vb->stats_vq);
	spin_unlock_irqrestore(&vb->stats_lock, flags);
	return more;
}

unsigned long virtio_balloon_check(struct virtio_balloon *vb)
{
	return balloon_check(&vb->b_dev_info, vb->num_pages);
}

/*
 * Compaction moves balloon page @page to @newpage (both locked by the
 * core). The host is asked to give @page back first: until it says so,
 * nothing has changed, so a deflate it leaves unanswered is a plain
 * failure (-EIO; the core puts @page back, @newpage was never shown to
 * anyone and goes back untouched, seed 004). Once it has, the move is done
 * guest side (@newpage listed in @page's place, @page released, count
 * unchanged) and the host is asked to take @newpage; if it leaves that
 * unanswered, @newpage stays ballooned like any unanswered inflate and the
 * move still stands (counted in migrate_inflate_lost).
 */
static int vb_migratepage(struct balloon_dev_info *b, struct page *newpage, struct page *page,
			  enum migrate_mode mode)
{
	struct virtio_balloon *vb = container_of(b, struct virtio_balloon, b_dev_info);

	if (!spin_trylock(&vb->lock)) {
		/* counted without the lock, by any CPU whose trylock failed */
		__atomic_fetch_add(&vb->migrate_busy, 1, __ATOMIC_RELAXED);
		return -EAGAIN;
	}
	/* under the lock, so a balloon that broke meanwhile is seen */
	if (vb->broken || !vb->ready) {
		spin_unlock(&vb->lock);
		return -EIO;
	}
	vb->pfns[0] = (uint32_t)page_to_pfn(page);
	if (vb_tell_host(vb, vb->deflate_vq, 1)) {
		vb->migrate_failed++;		/* the balloon is broken now */
		spin_unlock(&vb->lock);
		return -EIO;
	}
	balloon_page_migrate_insert(b, newpage);
	balloon_page_migrate_release(b, page);
	vb->migrated++;
	vb->pfns[0] = (uint32_t)page_to_pfn(newpage);
	if (vb_tell_host(vb, vb->inflate_vq, 1))
		vb->migrate_inflate_lost++;	/* broken; newpage counted as the host's */
	spin_unlock(&vb->lock);
	return MIGRATEPAGE_SUCCESS;
}

/*
 * Whether to accept PAGE_REPORTING from @offered. Not when FREE_PAGE_HINT
 * is offered: we never negotiate it, and devices disagree on whether the
 * reporting queue number then skips its slot (QEMU numbers queues by the
 * features it offers, the spec and Linux by the negotiated ones). Not when
 * page poisoning is on and the device cannot keep our poison value: a
 * reported page may come back as zeroes (see mm/page_reporting.c).
 */
static uint64_t vb_reporting_wanted(struct virtio_device *vdev, uint64_t offered)
{
	if (!(offered & (1ull << VIRTIO_BALLOON_F_REPORTING)))
		return 0;
	if (offered & (1ull << VIRTIO_BALLOON_F_FREE_PAGE_HINT)) {
		pr_warn("virtio-balloon %s: free page reporting declined: FREE_PAGE_HINT is offered too, so the reporting queue number is ambiguous\n",
			vdev->name);
		return 0;
	}
	if (page_poisoning_enabled() && !(offered & (1ull << VIRTIO_BALLOON_F_PAGE_POISON))) {
		pr_warn("virtio-balloon %s: free page reporting declined: page poisoning is on and the device lacks PAGE_POISON\n",
			vdev->name);
		return 0;
	}
	return 1ull << VIRTIO_BALLOON_F_REPORTING;
}

/* Register with mm/page_reporting.c (one device system-wide; others go without). */
static void vb_reporting_start(struct virtio_balloon *vb)
{
	int err;

	vb->pr_dev.report = vb_report;
	vb->pr_dev.reclaim = vb_report_reclaim;
	vb->pr_dev.schedule = vb_report_schedule;
	vb->pr_dev.order = pageblock_order;
	vb->pr_dev.capacity = MIN((unsigned int)PAGE_REPORTING_CAPACITY,
				  virtqueue_size(vb->reporting_vq));
	vb->pr_dev.keeps_poison = virtio_has_feature(vb->vdev, VIRTIO_BALLOON_F_PAGE_POISON);
	err = page_reporting_register(&vb->pr_dev);
	if (err) {
		pr_warn("virtio-balloon %s: free page reporting not started (%d: another device reports)\n",
			vb->vdev->name, err);
		return;
	}
	vb->reporting = true;
}

int virtio_balloon_init(struct virtio_balloon *vb, struct virtio_device *vdev,
			const struct virtio_balloon_env *env)
{
	const struct virtio_config_ops *ops = vdev->config;
	uint64_t offered, want;
	struct virtqueue *vqs[4] = { NULL, NULL, NULL, NULL };
	unsigned int idx = 0;
	int err;

	memset(vb, 0, sizeof(*vb));
	vb->vdev = vdev;
	vb->env = env;
	vb->timeout_ms = VB_DEFAULT_TIMEOUT_MS;
	spin_lock_init(&vb->lock);
	spin_lock_init(&vb->stats_lock);
	balloon_devinfo_init(&vb->b_dev_info, vb_migratepage);
	vdev->priv = vb;

	ops->reset(vdev);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER);
	offered = ops->get_features(vdev);
	want = (1ull << VIRTIO_BALLOON_F_MUST_TELL_HOST) | (1ull << VIRTIO_BALLOON_F_STATS_VQ) |
	       (1ull << VIRTIO_BALLOON_F_DEFLATE_ON_OOM) | (1ull << VIRTIO_F_VERSION_1);
	if (page_poisoning_enabled())
		want |= 1ull << VIRTIO_BALLOON_F_PAGE_POISON;
	want |= vb_reporting_wanted(vdev, offered);
	vdev->features = offered & want;
	err = ops->finalize_features(vdev);
	if (err)
		goto fail;
	if (!virtio_is_legacy(vdev)) {
		virtio_add_status(vdev, VIRTIO_CONFIG_S_FEATURES_OK);
		if (!(ops->get_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
			err = -ENODEV;
			goto fail;
		}
	}
	/* Queues are numbered over the negotiated ones only, without gaps. */
	err = ops->setup_vq(vdev, idx++, VB_QUEUE_CAP, "inflate", NULL, &vqs[0]);
	if (!err)
		err = ops->setup_vq(vdev, idx++, VB_QUEUE_CAP, "deflate", NULL, &vqs[1]);
	if (!err && virtio_has_feature(vdev, VIRTIO_BALLOON_F_STATS_VQ))
		err = ops->setup_vq(vdev, idx++, VB_QUEUE_CAP, "stats", env->stats_callback, &vqs[2]);
	/* FREE_PAGE_HINT is never negotiated, so reporting follows stats */
	if (!err && virtio_has_feature(vdev, VIRTIO_BALLOON_F_REPORTING))
		err = ops->setup_vq(vdev, idx++, VB_QUEUE_CAP, "reporting", NULL, &vqs[3]);
	if (err)
		goto fail_vqs;
	vb->inflate_vq = vqs[0];
	vb->deflate_vq = vqs[1];
	vb->stats_vq = vqs[2];
	vb->reporting_vq = vqs[3];
	/*
	 * The driver polls these two queues for its own requests: an interrupt
	 * per used buffer would only add an exit and a handler per batch.
	 */
	virtqueue_disable_cb(vb->inflate_vq);
	virtqueue_disable_cb(vb->deflate_vq);
	if (virtio_has_feature(vdev, VIRTIO_BALLOON_F_PAGE_POISON))
		virtio_cwrite32(vdev, VIRTIO_BALLOON_CFG_POISON_VAL, 0xaaaaaaaau);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_DRIVER_OK);
	vb->ready = true;
	if (vb->stats_vq)
		vb_queue_stats(vb);
	vb_update_actual(vb);
	virtio_balloon_update_target(vb);
	if (vb->reporting_vq)
		vb_reporting_start(vb);
	return 0;

fail_vqs:
	ops->reset(vdev);
	ops->del_vqs(vdev);
fail:
	pr_err("virtio-balloon %s: initialization failed (%d)\n", vdev->name, err);
	virtio_add_status(vdev, VIRTIO_CONFIG_S_FAILED);
	return err;
}

/* Removal's one wait step: let the environment run (host: the device sim), then pause. */
static void vb_wait_moment(struct virtio_balloon *vb)
{
	if (vb->env->wait_poll)
		vb->env->wait_poll(vb);
	cpu_relax();
}

/* Wait until compaction gave back every page it holds isolated (the balloon drains). */
static void vb_wait_isolated(struct virtio_balloon *vb)
{
	uint64_t warn_at = vb->env->now_ms() + vb->timeout_ms;
	bool warned = false;
	unsigned long n;

	while ((n = balloon_isolated_pages(&vb->b_dev_info)) != 0) {
		if (!warned && vb->env->now_ms() > warn_at) {
			pr_warn("virtio-balloon %s: removal waits for %lu pages compaction holds isolated\n",
				vb->vdev->name, n);
			warned = true;
		}
		vb_wait_moment(vb);
	}
}

/* Removal, device still honest: deflate every page through the queue. */
static void vb_deflate_all(struct virtio_balloon *vb)
{
	while (vb->num_pages && !vb->broken) {
		int ret = vb_deflate_batch(vb, VB_BATCH);

		if (ret == -EAGAIN) {
			/* num_pages without pages: a broken invariant; vb_take_back_rest() stops too */
			if (WARN_ON(!balloon_page_count(&vb->b_dev_info)))
				break;
			vb_wait_moment(vb);	/* a scanner holds a page lock for a moment */
			continue;
		}
		if (ret <= 0)
			break;
	}
}

/*
 * Removal, device reset: take every page still listed. A broken device
 * may still hold them, so they are retired (PageOffline with refcount 0, not Skippable: seed 001,
 * never reused, no longer movable or the device's); otherwise the reset
 * dropped the host's claim and they are freed.
 */
static void vb_take_back_rest(struct virtio_balloon *vb)
{
	while (vb->num_pages) {
		LIST_HEAD(pages);
		struct page *page, *next;
		size_t got = balloon_page_list_dequeue(&vb->b_dev_info, &pages, vb->num_pages);

		if (!got) {
			if (WARN_ON(!balloon_page_count(&vb->b_dev_info)))
				break;		/* num_pages without pages: a broken invariant */
			vb_wait_moment(vb);	/* a scanner holds a page lock for a moment */
			continue;
		}
		if (vb->broken) {
			list_for_each_entry_safe(page, next, &pages, lru) {
				list_del(&page->lru);
				/* the host may still use it: PageOffline, refcount 0, not skippable */
				page_offline_retire(page);
			}
			vb->retired += got;
		} else {
			balloon_page_list_deflated(&vb->b_dev_info, &pages);
		}
		vb->num_pages -= (uint32_t)got;
	}
}

void virtio_balloon_remove(struct virtio_balloon *vb)
{
	/* no pass runs once this returns (if one outlived the wait, it ends the held report) */
	if (vb->reporting) {
		if (page_reporting_unregister(&vb->pr_dev))
			pr_err("virtio-balloon %s: free page reporting: a pass still runs at removal\n",
			       vb->vdev->name);
		vb->reporting = false;
	}
	spin_lock(&vb->lock);
	vb->ready = false;		/* migrations fail from now on; steps and OOM refuse */
	/* no new isolation; the isolated pages come back (put back: migration fails) */
	balloon_devinfo_drain(&vb->b_dev_info);
	vb_wait_isolated(vb);
	/* every page is listed now, and stays so */
	vb_deflate_all(vb);
	vb->vdev->config->reset(vb->vdev);
	/* A completed reset dropped every request; else reported blocks are retired. */
	vb_reporting_reset_done(vb);
	vb_take_back_rest(vb);
	/* a stats work item may run on another CPU right now: not during del_vqs */
	spin_lock(&vb->stats_lock);
	vb->vdev->config->del_vqs(vb->vdev);
	vb->inflate_vq = vb->deflate_vq = vb->stats_vq = vb->reporting_vq = NULL;
	spin_unlock(&vb->stats_lock);
	spin_unlock(&vb->lock);
}
