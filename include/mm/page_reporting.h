/*
 * page_reporting.h - free page reporting: tell a device (virtio-balloon)
 * which large free blocks the guest is not using, so the host can take
 * their memory back, and remember what was told.
 *
 * A device registers a struct page_reporting_dev_info. Freeing a block of
 * order >= prdev->order (pageblock_order unless set) into the buddy asks
 * for a reporting pass, which runs about PAGE_REPORTING_DELAY_MS later
 * through prdev->schedule (the kernel queues a delayed work item; host
 * tests call page_reporting_process() themselves). A pass takes
 * unreported free blocks off the free lists in batches of at most
 * prdev->capacity (<= PAGE_REPORTING_CAPACITY), hands each batch to
 * prdev->report() with no lock held, and puts the blocks back; after a
 * successful report the blocks are PageReported and are not offered again
 * until they leave the buddy (allocated, split or merged with an
 * unreported block). A batch the device did not give back in time stays
 * out of the buddy ("held") until the device returns it or is reset; if
 * the device is removed without a completed reset, the batch is retired:
 * out of use for good, counted in nr_reporting_retired.
 * See mm/page_reporting.c.
 */
#ifndef MM_PAGE_REPORTING_H
#define MM_PAGE_REPORTING_H

#include <kernel/compiler.h>
#include <mm/page.h>

#define PAGE_REPORTING_CAPACITY		32	/* blocks per report() call */
#define PAGE_REPORTING_DELAY_MS		2000	/* from a free to the pass */
#define PAGE_REPORTING_BUDGET		64	/* report() calls per pass, then requeue */
#define PAGE_REPORTING_MIN_ORDER	(pageblock_order - 4)	/* smallest order a device may ask for */

/* One reported block: 2^order pages from pfn. */
struct page_reporting_entry {
	unsigned long pfn;
	unsigned int order;
};

struct page_reporting_dev_info {
	/*
	 * Tell the device about @n blocks (1 <= n <= capacity) and return
	 * once it has finished with them. 0: reported (the device may have
	 * discarded their contents; they read as zeroes afterwards). -EIO:
	 * the device is broken and does not hold the blocks; reporting stops
	 * for good. -EINPROGRESS: the device still holds the buffer (it did
	 * not answer in time): the blocks stay out of the buddy, held, until
	 * reclaim() says the device used it or the driver calls
	 * page_reporting_release_held() after a reset; no report() meanwhile.
	 * Any other -errno: not reported this time, try again in a later
	 * pass. Called with no lock held, never concurrently with itself.
	 */
	int (*report)(struct page_reporting_dev_info *prdev,
		      const struct page_reporting_entry *ents, unsigned int n);
	/*
	 * Only while a batch is held (report() returned -EINPROGRESS): 0 if
	 * the device has used that buffer now (the blocks count as
	 * reported), -ENODEV if it was reset and dropped it (they go back
	 * unreported), -EINPROGRESS if it still holds it (asked again a
	 * pass later). Called by the pass with no lock held. May be NULL:
	 * then only page_reporting_release_held() frees a held batch.
	 */
	int (*reclaim)(struct page_reporting_dev_info *prdev);
	/* Ask for page_reporting_process() in about @delay_ms (any context; may be NULL). */
	void (*schedule)(struct page_reporting_dev_info *prdev, unsigned int delay_ms);
	unsigned int order;	/* smallest order reported; 0 means pageblock_order */
	unsigned int capacity;	/* blocks per report(); 0 means PAGE_REPORTING_CAPACITY */
	/*
	 * With page poisoning on, free pages must keep the poison pattern. Set
	 * this only if the device promised to preserve contents (virtio:
	 * PAGE_POISON negotiated with our poison value); otherwise passes are
	 * skipped while poisoning is on (counted in skipped_poison).
	 */
	bool keeps_poison;
	void *priv;

	/* counters (read by the shell; written by the pass) */
	unsigned long reported_blocks, reported_pages;
	unsigned long requests, errors, passes, skipped_poison;
	unsigned long stalls;		/* reports the device kept past report()'s wait */
	unsigned long late_returns;	/* of those, given back by the device later */
	unsigned long held_blocks, held_pages;	/* out of the buddy, with the device now */
	unsigned long retired_blocks, retired_pages;	/* held past removal: out of use for good */
	bool disabled;		/* report() returned -EIO: no more passes */
};

/*
 * Register @prdev as the (single) reporting device and ask for a first
 * pass. 0, -EBUSY if another device is registered, -EINVAL if @prdev has
 * no report() or an order outside [PAGE_REPORTING_MIN_ORDER, MAX_ORDER]
 * (pageblock_order - 4 .. MAX_ORDER) or a capacity above
 * PAGE_REPORTING_CAPACITY. Nothing is changed when it fails.
 */
int page_reporting_register(struct page_reporting_dev_info *prdev);

/*
 * Unregister @prdev (not during its own pass) and wait, bounded, until no
 * pass runs (a running pass stops at its next batch). 0, or -EBUSY if a
 * pass still runs after the wait. Reported flags stay: harmless hints. A
 * held batch stays held (the device may still discard it) until
 * page_reporting_release_held() after the device's reset, or
 * page_reporting_retire_held() if the reset did not complete.
 */
int page_reporting_unregister(struct page_reporting_dev_info *prdev);

/*
 * Free-path hook, zone->lock held: a block of @order became free (after
 * merging) and is not reported. Cheap when reporting is off or @order is
 * below the threshold; otherwise requests a pass (at most one pending).
 */
void page_reporting_notify_free(unsigned int order);

/*
 * Run one reporting pass over every zone now (what the scheduled work
 * calls). Returns the blocks reported, or -EAGAIN if a pass is already
 * running or nothing is registered, -EIO once the device broke. Requests
 * another pass itself when its budget ran out or frees came in meanwhile.
 */
long page_reporting_process(void);

/*
 * The device behind @prdev was reset (it dropped every buffer): give its
 * held batch back to the buddy, unreported. Returns the blocks given back
 * (0 if none), or -EBUSY if a pass is running: then that pass does it as
 * it ends. Not in a pass.
 */
int page_reporting_release_held(struct page_reporting_dev_info *prdev);

/*
 * The device behind @prdev is going away but may still hold its buffer
 * (its reset did not complete): forget its held batch without giving the
 * pages back. They stay out of use for good, each a PageOffline page
 * (refcount 0, not Skippable: seed 001), counted in prdev->retired_* and nr_reporting_retired; another
 * device may register afterwards. Returns the blocks retired (0 if none),
 * or -EBUSY if a pass is running: then that pass does it as it ends.
 */
int page_reporting_retire_held(struct page_reporting_dev_info *prdev);

/* Pages retired for good since boot (vmstat nr_reporting_retired). */
unsigned long page_reporting_retired_pages(void);

/* Pages held out of the buddy for the device now (vmstat nr_reporting_held). */
unsigned long page_reporting_held_pages(void);

struct zone;
/*
 * mm_check: the held blocks of @zone (*@n of them; NULL if none), valid
 * while @zone->lock is held.
 */
const struct page_reporting_entry *page_reporting_held(const struct zone *zone, unsigned int *n);

/* Free pages currently marked reported, all zones (walks the lists under zone->lock). */
unsigned long page_reporting_count_reported(void);

/* The registered device, or NULL. */
struct page_reporting_dev_info *page_reporting_device(void);

/* The order a block must reach to be reported (0 when nothing is registered). */
unsigned int page_reporting_order(void);

/* Host harness: forget the registered device and the request state. */
void page_reporting_reset(void);

#ifdef HOST_BUILD
/* Host tests: mark a pass running on "another CPU" (true), or end it (false). */
void page_reporting_test_set_running(bool running);
/* Host tests: called on each poll of page_reporting_unregister()'s wait. */
extern void (*page_reporting_unregister_wait_hook)(void);
#endif

#endif
