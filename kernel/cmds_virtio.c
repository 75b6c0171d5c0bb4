/*
 * cmds_virtio.c - shell commands of the virtio drivers (the balloon has
 * its own, cmds_balloon.c):
 *
 *   virtio            each device: transport, interrupt mode, interrupt
 *                     counts, MSI-X vectors (virtio_show_devices())
 *   virtio intx NAME  drop MSI-X for INTx on one device (virtio_force_intx():
 *                     the path a refused vector takes; tests the fallback)
 *   rng [BYTES]       read random bytes from the first virtio-rng device
 *
 * Like every cmds_*.c file, these parse and print; the drivers export the
 * functions they call.
 */
#include <kernel/shell.h>
#include <kernel/printk.h>
#include <drivers/virtio.h>
#include <drivers/virtio_rng.h>
#include <arch/page.h>
#include <errno.h>
#include <string.h>

/* `virtio`: each device, its transport, interrupt mode and interrupt counts. */
static int cmd_virtio(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "intx")) {
		int rc = virtio_force_intx(argv[2]);

		if (rc == -ENODEV)
			return shell_usage_error(argv, "no virtio device named '%s'", argv[2]);
		return rc ? 1 : 0;
	}
	if (argc != 1)
		return shell_usage_error(argv, "takes no arguments, or intx NAME");
	virtio_show_devices();
	return 0;
}
SHELL_COMMAND(virtio, "virtio [intx NAME]",
	      "virtio devices: transport, interrupt mode and counts (intx: fall back from MSI-X)",
	      cmd_virtio);

/* `rng [BYTES]`: read random bytes (default 16, at most 4096), print a few. */
static int cmd_rng(int argc, char **argv)
{
	static uint8_t data[PAGE_SIZE];
	struct virtio_rng_stats st;
	uint64_t want = 16;
	int got;

	if (argc > 2 || (argc == 2 && (!shell_parse_u64(argv[1], &want) || want == 0 ||
				       want > PAGE_SIZE)))
		return shell_usage_error(argv, "BYTES must be 1-4096");
	if (!virtio_rng_count()) {
		printk("rng: no virtio-rng device\n");
		return 1;
	}
	got = virtio_rng_read(0, data, (size_t)want);
	if (got < 0) {
		printk("rng: read failed (%d)\n", got);
		return 1;
	}
	printk("rng: %d bytes:", got);
	for (int i = 0; i < got && i < 16; i++)
		printk(" %02x", data[i]);
	virtio_rng_get_stats(0, &st);
	printk("\nrng: reads %lu bytes %lu interrupts %lu\n", st.reads, st.bytes, st.callbacks);
	return 0;
}
SHELL_COMMAND(rng, "rng [BYTES]", "read random bytes from the virtio-rng device", cmd_rng);
