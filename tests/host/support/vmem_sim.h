/*
 * vmem_sim.h - a simulated virtio-mem device for host tests: config space
 * (with a generation counter), feature negotiation, the one request queue
 * driven through virtio_sim, and the device's bitmap of plugged blocks.
 *
 * Honest by default, following QEMU 7.2's rules: PLUG/UNPLUG of a range
 * that is unaligned, empty, or outside the usable region is an ERROR, a
 * PLUG beyond requested_size a NACK, a range not wholly in the opposite
 * state an ERROR; UNPLUG_ALL clears everything; usable_region_size is
 * requested_size + 256 MiB (rounded to the block size, at most the
 * region), grows when requested_size does and shrinks only on UNPLUG_ALL.
 * Any request an honest device would answer with ERROR is also counted as
 * a driver error (s->bad_reqs): a correct driver sends none.
 *
 * Unplugged memory is made inaccessible (mprotect PROT_NONE on the host
 * buffer behind __va()) when s->protect is set: a driver that reads or
 * writes an unplugged block crashes the test. Plugged blocks read as
 * zeroes right after plugging, as in QEMU (discarded RAM).
 *
 * Hostile knobs: nack_unplug / nack_plug (answer NACK), busy (the next N
 * requests BUSY), error_next (the next request ERROR), short_resp (a
 * 1-byte response), bad_type (response type 7), never (no answer),
 * change_after_unplugs (set requested_size to change_to after that many
 * UNPLUG requests: a config change during an unplug), and any config
 * field can be overwritten raw (cfg_override).
 */
#ifndef VMEM_SIM_H
#define VMEM_SIM_H

#include <drivers/virtio_mem.h>
#include "virtio_sim.h"

struct vmsim {
	struct virtio_device vdev;
	uint8_t status;
	uint64_t offered;
	uint32_t generation;
	/* device state */
	uint64_t block_size, addr, region_size, usable_size, plugged_size, requested_size;
	uint16_t node_id;
	uint8_t *plugged;		/* [nblocks] */
	unsigned long nblocks;
	/* raw config overrides: a field set here is what the driver reads */
	bool override[7];		/* by VIRTIO_MEM_CFG_* / 8 */
	uint64_t cfg_override[7];
	/* the queue */
	struct virtqueue *vq;
	void *ring, *state;
	struct vsim_queue q;
	bool have_q;
	/* behaviour */
	bool protect;			/* mprotect unplugged blocks */
	bool nack_unplug, nack_plug, short_resp, bad_type, never;
	unsigned int busy, error_next;
	long change_after_unplugs;	/* -1: off */
	uint64_t change_to;
	/* counters */
	unsigned long plug_reqs, unplug_reqs, unplug_all_reqs, state_reqs, bad_reqs, config_irqs;
	unsigned long plugged_blocks_total, unplugged_blocks_total;
	/* requests are counted as received, whatever the answer */
	unsigned long unplug_all_acks, plugs_before_unplug_all;
	char last_bad[128];
};

extern const struct virtio_mem_env vmsim_env;

/*
 * A device with a region at @addr of @region_size bytes and @block_size
 * blocks; features VERSION_1 | UNPLUGGED_INACCESSIBLE.
 */
void vmsim_init(struct vmsim *s, uint64_t addr, uint64_t region_size, uint64_t block_size);
void vmsim_destroy(struct vmsim *s);
/* The host sets requested_size (as qom-set does) and raises a config change. */
void vmsim_set_requested(struct vmsim *s, uint64_t bytes);
/* Make the whole region inaccessible (before the driver starts: nothing is plugged). */
void vmsim_protect_all(struct vmsim *s);
/* Answer every pending request. */
void vmsim_run(struct vmsim *s);
/* Blocks plugged per the device's bitmap (bytes). */
uint64_t vmsim_plugged_bytes(const struct vmsim *s);
/* True if device block @b is plugged. */
bool vmsim_block_plugged(const struct vmsim *s, unsigned long b);

#endif
