/*
 * ballast/stats.h - how memory is used right now, in 4 KiB pages.
 *
 *   total       RAM the allocator manages
 *   free        free in the buddy and the per-CPU lists
 *   available   an estimate of what can be allocated without trouble
 *               (Linux's MemAvailable)
 *   ballooned   held by the host through virtio-balloon (all devices)
 *   plugged     plugged by virtio-mem (all devices): part of total while
 *               its memory blocks are online
 *   free_order  free blocks of each order 0..BALLAST_MAX_ORDER (/proc/buddyinfo)
 */
#ifndef BALLAST_STATS_H
#define BALLAST_STATS_H

#include <ballast/pages.h>

struct ballast_mem_stats {
	unsigned long total, free, available, ballooned, plugged;
	unsigned long free_order[BALLAST_MAX_ORDER + 1];
};

void ballast_mem_stats(struct ballast_mem_stats *st);

#endif
