/*
 * balloon_sim.h - a simulated virtio-balloon device for host tests: config
 * space, feature negotiation, three queues driven through virtio_sim, and
 * the host's view of which PFNs it holds (a byte per PFN). Honest by
 * default; bsim.never makes it stop completing requests.
 */
#ifndef BALLOON_SIM_H
#define BALLOON_SIM_H

#include <drivers/virtio_balloon.h>
#include "virtio_sim.h"

struct bsim {
	struct virtio_device vdev;
	uint8_t status;
	uint64_t offered;
	uint32_t cfg[4];		/* num_pages, actual, cmd id, poison */
	struct virtqueue *vq[4];
	void *ring[4], *state[4];
	struct vsim_queue q[4];
	bool have_q[4];
	uint8_t *held;			/* [npfn]: 1 if the host holds the pfn */
	unsigned long npfn, held_count;
	bool never;			/* pop requests, never complete them */
	bool never_inflate;		/* the same, on the inflate queue only */
	bool reset_on_next;		/* reset itself when the next request arrives */
	bool refuse_features_ok;	/* never accept FEATURES_OK (negotiation fails) */
	bool ignore_reset;		/* a reset that never completes (status stays) */
	unsigned long inflate_reqs, deflate_reqs, errors;
	/*
	 * Free page reporting (queue "reporting"): each segment must be
	 * device-writable (as QEMU expects) and one whole block (4096 << order, aligned to its size) of pages that
	 * are out of the buddy (not PageBuddy, not offline); the sim "discards"
	 * them (zero fill). report_never: pop reports, never complete them;
	 * report_bad_id / report_reset: hostile answers.
	 */
	int rep_index;			/* reporting queue number, -1 if none */
	bool report_never;
	bool report_bad_id;		/* answer a report with a used id out of range */
	bool report_reset;		/* reset the device when a report arrives */
	unsigned long report_reqs, reported_blocks, reported_pages, report_errors;
	unsigned int max_report_segs;
};

extern const struct virtio_balloon_env bsim_env;

/* A device offering @features for a guest of @npfn page frames. */
void bsim_init(struct bsim *s, uint64_t features, unsigned long npfn);
void bsim_destroy(struct bsim *s);
/* Apply one popped inflate (@inflate) or deflate request to the held set. */
void bsim_apply(struct bsim *s, const struct vsim_chain *c, bool inflate);
/*
 * A stalled host wakes up: "discard" (zero) the pages of every report it
 * popped and kept (report_never) and complete them, late.
 */
void bsim_finish_reports(struct bsim *s);
/* Process everything pending on the inflate and deflate queues. */
void bsim_run(struct bsim *s);
/* True if the host's set of held pfns equals the balloon's pages plus isolated ones given. */
unsigned long bsim_held_count(const struct bsim *s);

#endif
