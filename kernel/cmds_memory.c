/*
 * cmds_memory.c - the `memory` shell command: memory blocks like Linux's
 * /sys/devices/system/memory/memoryN/{state,valid_zones,removable}, and
 * onlining / offlining one. Thin: the listing and every decision are in
 * mm/memory_hotplug.c; this file parses and reports.
 *
 *   memory                         list the blocks
 *   memory online N [normal|movable]
 *   memory offline N
 */
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/shell.h>
#include <mm/memory_hotplug.h>
#include <errno.h>
#include <string.h>

/* Parse a block number; false (usage printed) if it is not one. */
static bool parse_block(char **argv, const char *s, unsigned long *nr)
{
	uint64_t v;

	if (!shell_parse_u64(s, &v) || v >= memory_block_end()) {
		shell_usage_error(argv, "N must be a block number 0..%lu (see `memory`)",
				  memory_block_end() ? memory_block_end() - 1 : 0);
		return false;
	}
	*nr = (unsigned long)v;
	return true;
}

/* `memory online N [normal|movable]`. */
static int memory_online(int argc, char **argv)
{
	enum zone_type z = ZONE_NORMAL;
	unsigned long nr;
	int r;

	if (argc < 3 || argc > 4)
		return shell_usage_error(argv, "online takes a block number and an optional zone");
	if (!parse_block(argv, argv[2], &nr))
		return 1;
	if (argc == 4) {
		if (!strcmp(argv[3], "movable"))
			z = ZONE_MOVABLE;
		else if (strcmp(argv[3], "normal"))
			return shell_usage_error(argv, "zone must be normal or movable");
	}
	r = online_memory_block(nr, z);
	if (r == -EBUSY)
		printk("memory: block %lu is already online (or a notifier refused); "
		       "`memory` shows its state\n", nr);
	else if (r == -EINVAL)
		printk("memory: block %lu cannot go Movable: it holds the kernel image; "
		       "use `memory online %lu normal`\n", nr, nr);
	else if (r == -ENOENT)
		printk("memory: block %lu has no memory\n", nr);
	else if (r)
		printk("memory: onlining block %lu failed (%d)\n", nr, r);
	else
		printk("memory: block %lu online (%s)\n", nr,
		       z == ZONE_MOVABLE ? "Movable" : "Normal/DMA32");
	return r ? 1 : 0;
}

/* `memory offline N`. */
static int memory_offline(int argc, char **argv)
{
	char why[160];
	unsigned long nr;
	int r;

	if (argc != 3)
		return shell_usage_error(argv, "offline takes one block number");
	if (!parse_block(argv, argv[2], &nr))
		return 1;
	r = offline_memory_block(nr, why, sizeof(why));
	if (r) {
		printk("memory: offline failed: %s\n", why);
		if (r == -EBUSY && strstr(why, "first pfn"))
			printk("memory: free what holds those pages (or pick another block) and "
			       "retry; the block is still online, nothing changed\n");
		return 1;
	}
	printk("memory: block %lu offline\n", nr);
	return 0;
}

static int cmd_memory(int argc, char **argv)
{
	if (argc == 1) {
		show_memory_blocks();
		return 0;
	}
	if (!strcmp(argv[1], "online"))
		return memory_online(argc, argv);
	if (!strcmp(argv[1], "offline"))
		return memory_offline(argc, argv);
	return shell_usage_error(argv, "expected nothing, `online N [normal|movable]` or `offline N`");
}
SHELL_COMMAND(memory, "memory [online N [normal|movable] | offline N]",
	      "memory blocks: list, online, offline (like /sys/devices/system/memory)", cmd_memory);
