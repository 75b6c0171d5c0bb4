/*
 * virtio_mem.c - kernel glue of the virtio-mem driver: probe (any
 * transport; QEMU 7.2 offers virtio-mem-pci, modern only), the
 * config-change interrupt turned into a work item, a slow poll that covers
 * a missed interrupt and runs due retries, and the `virtio_mem.zone=`
 * command-line option. The protocol and memory logic is in
 * virtio_mem_core.c.
 *
 * Contexts: the interrupt handler only queues work; every request, every
 * online/offline and add/remove runs in the work item (the idle loop),
 * which does a bounded number of requests per call and requeues itself, so
 * the shell stays responsive during a 4 GiB plug.
 */
#include <drivers/virtio_mem.h>
#include <kernel/kernel.h>
#include <kernel/work.h>
#include <kernel/printk.h>
#include <mm/slab.h>
#include <arch/x86.h>
#include <errno.h>
#include <string.h>

#define VM_KDEVICES		4
#define VM_REQS_PER_WORK	16	/* then yield to the shell, continue at once */
#define VM_POLL_MS		500

struct vm_kernel {
	struct virtio_mem vm;
	struct work work, poll_work;
};

static struct vm_kernel *vm_kdevices[VM_KDEVICES];
static unsigned int vm_nkdevices;

static uint64_t vm_now_ms(void)
{
	return uptime_ns() / 1000000u;
}

static const struct virtio_mem_env vm_kernel_env = {
	.now_ms = vm_now_ms,
	.now_ns = uptime_ns,
	.wait_poll = NULL,
};

/* Move toward requested_size; requeue while there is more, or at the retry time. */
static void vm_work(struct work *w)
{
	struct vm_kernel *k = container_of(w, struct vm_kernel, work);
	int ret = virtio_mem_step(&k->vm, VM_REQS_PER_WORK);

	if (ret == 1)
		work_queue(w);
	else if (ret == -EAGAIN)
		work_queue_delayed(w, MAX(virtio_mem_retry_ms(&k->vm), 1u));
	else if (ret == -EBUSY)
		work_queue_delayed(w, 5);
}

/* Slow poll: a missed interrupt still gets served. */
static void vm_poll_work(struct work *w)
{
	struct vm_kernel *k = container_of(w, struct vm_kernel, poll_work);
	struct virtio_mem *vm = &k->vm;

	if (vm->ready && !vm->broken && spin_trylock(&vm->lock)) {
		bool behind = !vm->retry_at && virtio_mem_update_target(vm) != vm->plugged;

		spin_unlock(&vm->lock);
		if (behind)
			work_queue(&k->work);
	}
	work_queue_delayed(w, VM_POLL_MS);
}

/* Config-change interrupt (interrupt context): defer. */
static void vm_config_changed(struct virtio_device *vdev)
{
	struct vm_kernel *k = container_of((struct virtio_mem *)vdev->priv, struct vm_kernel, vm);

	__atomic_fetch_add(&k->vm.config_events, 1, __ATOMIC_RELAXED);
	/* a new requested_size resets the back-off (virtio_mem_update_target) */
	work_queue(&k->work);
}

/* `virtio_mem.zone=normal|movable` (default movable). */
static enum zone_type vm_zone_param(void)
{
	char buf[16];

	if (!cmdline_get("virtio_mem.zone", buf, sizeof(buf)) || !strcmp(buf, "movable"))
		return ZONE_MOVABLE;
	if (!strcmp(buf, "normal"))
		return ZONE_NORMAL;
	pr_warn("virtio-mem: virtio_mem.zone=%s unknown (normal|movable); using movable\n", buf);
	return ZONE_MOVABLE;
}

int virtio_mem_probe(struct virtio_device *vdev)
{
	struct vm_kernel *k;
	int err;

	if (vm_nkdevices >= VM_KDEVICES)
		return -ENOSPC;
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	work_init(&k->work, vm_work);
	work_init(&k->poll_work, vm_poll_work);
	err = virtio_mem_init(&k->vm, vdev, &vm_kernel_env, vm_zone_param());
	if (err) {
		kfree(k);
		return err;
	}
	vdev->config_changed = vm_config_changed;
	vm_kdevices[vm_nkdevices++] = k;
	printk("virtio-mem %s: region %#llx+%llu MiB, block %llu KiB, %u memory blocks, requested %llu MiB, %s, zone %s\n",
	       vdev->name, (unsigned long long)k->vm.addr, (unsigned long long)(k->vm.region_size >> 20),
	       (unsigned long long)(k->vm.block_size >> 10), k->vm.nr_mbs,
	       (unsigned long long)(k->vm.requested_size >> 20),
	       k->vm.inaccessible ? "unplugged-inaccessible" : "unplugged readable",
	       k->vm.zone == ZONE_MOVABLE ? "Movable" : "Normal");
	work_queue(&k->work);
	work_queue_delayed(&k->poll_work, VM_POLL_MS);
	return 0;
}

void virtio_mem_kick(struct virtio_mem *vm)
{
	struct vm_kernel *k = container_of(vm, struct vm_kernel, vm);

	__atomic_store_n(&vm->kicked, true, __ATOMIC_RELEASE);
	work_queue(&k->work);
}

struct virtio_mem *virtio_mem_get(unsigned int i)
{
	return i < vm_nkdevices ? &vm_kdevices[i]->vm : NULL;
}

uint64_t virtio_mem_plugged_bytes(void)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < vm_nkdevices; i++)
		sum += READ_ONCE(vm_kdevices[i]->vm.plugged);
	return sum;
}
