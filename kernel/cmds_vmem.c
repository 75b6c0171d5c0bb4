/*
 * cmds_vmem.c - the `virtio-mem` shell command: what each virtio-mem
 * device's region looks like, what the host asks for, what is plugged,
 * memory block by memory block, and how the last failures went.
 *
 *   virtio-mem              region, sizes, per present memory block its
 *                           plugged/unplugged sub-blocks and state, the
 *                           last error and the retry state, counters
 *   virtio-mem check        every page accounted for (virtio_mem_check)
 *   virtio-mem pin N        hold one free page of each of the N highest
 *                           plugged sub-blocks of device 0 (taken out of
 *                           the buddy, frozen, owned by nobody movable):
 *                           those sub-blocks cannot be emptied, the way a
 *                           long-term pinned page blocks them (tests)
 *   virtio-mem unpin        give the pinned pages back and retry at once
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <kernel/work.h>
#include <drivers/virtio_mem.h>
#include <mm/memory_hotplug.h>
#include <mm/page_offline.h>
#include <mm/page_alloc.h>
#include <errno.h>
#include <string.h>

#define VM_MAX_PINS	256

static unsigned long vm_pins[VM_MAX_PINS];
static unsigned int vm_npins;

static const char *const vm_mb_state_names[] = {
	[VM_MB_ABSENT] = "absent", [VM_MB_OFFLINE] = "offline", [VM_MB_ONLINE] = "online",
	[VM_MB_GOING_OFFLINE] = "going-offline", [VM_MB_UNUSABLE] = "unusable",
};

static unsigned long long mib(uint64_t b) { return (unsigned long long)(b >> 20); }

/* Print one device. */
static void vmem_show(unsigned int d, struct virtio_mem *vm)
{
	unsigned int present = 0;

	printk("virtio-mem%u: %s via %s, features %#llx%s%s%s\n", d, vm->vdev->name,
	       vm->vdev->config->name, (unsigned long long)vm->vdev->features,
	       vm->inaccessible ? " (unplugged-inaccessible)" : "",
	       vm->broken ? ", BROKEN: " : "", vm->broken ? vm->last_error : "");
	printk("  region %#llx size %llu MiB usable %llu MiB block %llu KiB sub-block %llu KiB node %u\n",
	       (unsigned long long)vm->addr, mib(vm->region_size), mib(vm->usable_size),
	       (unsigned long long)(vm->block_size >> 10), (unsigned long long)(vm->sb_size >> 10),
	       vm->node_id);
	printk("  requested %llu MiB target %llu MiB plugged %llu MiB device_plugged %llu MiB zone %s\n",
	       mib(vm->requested_size), mib(vm->target), mib(vm->plugged), mib(vm->dev_plugged),
	       vm->zone == ZONE_MOVABLE ? "Movable" : "Normal");
	for (unsigned int i = 0; i < vm->nr_mbs; i++) {
		unsigned int p = vm_mb_plugged_count(vm, i);

		if (vm->mbs[i].state == VM_MB_ABSENT && !p)
			continue;
		present++;
		printk("  block %lu: %s plugged %u unplugged %u\n", vm->first_mb + i,
		       vm_mb_state_names[vm->mbs[i].state], p, vm->sbs_per_mb - p);
	}
	printk("  memory blocks %u in region, %u present\n", vm->nr_mbs, present);
	if (vm->retry_at)
		printk("  retry in %u ms (back-off %u ms, %lu failed passes), blocked sub-blocks %lu\n",
		       virtio_mem_retry_ms(vm), vm->retry_ms, vm->consecutive_fail, vm->unplug_blocked);
	else
		printk("  retry none, blocked sub-blocks %lu\n", vm->unplug_blocked);
	printk("  last error: %s\n", vm->last_error[0] ? vm->last_error : "none");
	if (vm->clamp_why[0])
		printk("  config clamped %lu times, last: %s\n", vm->clamps, vm->clamp_why);
	printk("  requests plug %lu unplug %lu state %lu: ack %lu nack %lu busy %lu error %lu timeouts %lu\n",
	       vm->plug_reqs, vm->unplug_reqs, vm->state_reqs, vm->acks, vm->nacks, vm->busys,
	       vm->errors, vm->timeouts);
	printk("  sub-blocks plugged %lu unplugged %lu; blocks added %lu removed %lu offlined %lu; contig_failed %lu offline_failed %lu refused_offline %lu config_events %lu\n",
	       vm->plugged_sbs, vm->unplugged_sbs, vm->mbs_added, vm->mbs_removed, vm->mbs_offlined,
	       vm->contig_failed, vm->offline_failed, vm->others_offline_refused, vm->config_events);
	printk("  time ms: requests %llu add_memory %llu online %llu offline %llu contig %llu remove_memory %llu\n",
	       (unsigned long long)(vm->t_req / 1000000), (unsigned long long)(vm->t_add / 1000000),
	       (unsigned long long)(vm->t_online / 1000000), (unsigned long long)(vm->t_offline / 1000000),
	       (unsigned long long)(vm->t_contig / 1000000), (unsigned long long)(vm->t_remove / 1000000));
	printk("  pinned %u pages\n", vm_npins);
}

/* Pin one page in each of the @n highest plugged sub-blocks of online blocks. */
static int vmem_pin(struct virtio_mem *vm, unsigned int n)
{
	unsigned int got = 0;
	unsigned long sbp = vm->sb_size >> PAGE_SHIFT;

	for (int i = (int)vm->nr_mbs - 1; i >= 0 && got < n; i--) {
		if (vm->mbs[i].state != VM_MB_ONLINE)
			continue;
		for (int sb = (int)vm->sbs_per_mb - 1; sb >= 0 && got < n && vm_npins < VM_MAX_PINS; sb--) {
			unsigned long base = PHYS_PFN(((uint64_t)(vm->first_mb + i) << SECTION_SIZE_BITS) +
						      (uint64_t)sb * vm->sb_size);

			if (!(vm->mbs[i].plugged & (1ull << sb)))
				continue;
			/* the middle page first, any free one of the sub-block after */
			for (unsigned long k = 0; k < sbp; k++) {
				unsigned long pfn = base + ((sbp / 2 + k) % sbp);

				if (!alloc_contig_frozen_range(pfn, pfn + 1, GFP_KERNEL)) {
					vm_pins[vm_npins++] = pfn;
					got++;
					break;
				}
			}
		}
	}
	printk("virtio-mem: pinned %u of %u sub-blocks\n", got, n);
	return got == n ? 0 : 1;
}

static int cmd_vmem(int argc, char **argv)
{
	struct virtio_mem *vm = virtio_mem_get(0);
	int status = 0;

	if (!vm) {
		printk("virtio-mem: no virtio-mem device\n");
		return 1;
	}
	if (argc == 3 && !strcmp(argv[1], "pin")) {
		uint64_t n;

		if (!shell_parse_u64(argv[2], &n) || n == 0 || n > VM_MAX_PINS)
			return shell_usage_error(argv, "bad count '%s' (1-%d)", argv[2], VM_MAX_PINS);
		return vmem_pin(vm, (unsigned int)n);
	}
	if (argc == 2 && !strcmp(argv[1], "unpin")) {
		unsigned int n = vm_npins;

		while (vm_npins)
			free_contig_frozen_range(vm_pins[--vm_npins], 1);
		printk("virtio-mem: unpinned %u pages\n", n);
		virtio_mem_kick(vm);	/* what they blocked can go now */
		return 0;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "check")))
		return shell_usage_error(argv, "unknown argument '%s'", argv[1]);
	for (unsigned int d = 0; (vm = virtio_mem_get(d)) != NULL; d++) {
		if (argc == 2) {
			unsigned long bad = virtio_mem_check(vm);

			printk("virtio-mem%u: check: %lu problems (plugged %llu MiB)\n", d, bad,
			       mib(vm->plugged));
			if (bad)
				status = 1;
		} else {
			vmem_show(d, vm);
		}
	}
	return status;
}

SHELL_COMMAND_NAMED(vmem, "virtio-mem", "virtio-mem [check|pin N|unpin]",
		    "virtio-mem devices: region, plugged/requested sizes, memory blocks, retries",
		    cmd_vmem);
