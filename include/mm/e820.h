/*
 * e820.h - the firmware memory map in one common form, and its sanitizer.
 *
 * Both boot paths (multiboot2 memory-map tag, PVH hvm_memmap_table) are
 * converted into an array of struct e820_entry. e820_sanitize() turns any
 * such array - unsorted, overlapping, zero-length, unaligned - into a sorted
 * list of disjoint ranges, and reports every repair it made.
 */
#ifndef MM_E820_H
#define MM_E820_H

#include <kernel/compiler.h>

enum e820_type {
	E820_RAM      = 1,
	E820_RESERVED = 2,
	E820_ACPI     = 3,
	E820_NVS      = 4,
	E820_UNUSABLE = 5,
	E820_PMEM     = 7,
};

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define E820_MAX_ENTRIES 128

/* What e820_sanitize() changed; each count is a kind of defect repaired. */
struct e820_report {
	unsigned int zero_length;      /* entries of size 0 dropped */
	unsigned int wrapped;          /* addr + size overflowed 2^64: clipped */
	unsigned int overlaps;         /* overlapping pairs resolved (stricter type wins) */
	unsigned int unsorted;         /* the input was not in address order */
	unsigned int merged;           /* adjacent same-type entries joined */
	unsigned int ram_trimmed;      /* RAM entries shrunk to 4 KiB boundaries */
	unsigned int ram_dropped;      /* RAM entries under 4 KiB after trimming */
	unsigned int clipped;          /* entries cut at the direct-map limit */
	unsigned int unknown_type;     /* types outside enum e820_type (kept, treated as reserved) */
	unsigned int truncated;        /* entries lost because the result did not fit */
};

/*
 * Sanitize @map (@n entries, room for @max) in place; returns the new count.
 * Rules: drop zero-length entries; clip wrap-around at 2^64; where ranges
 * overlap, the most restrictive type wins (any non-RAM type beats RAM,
 * higher type number beats lower among non-RAM); sort by address; merge
 * touching entries of the same type; trim RAM inward to page boundaries and
 * drop RAM smaller than a page; cut everything at @limit (exclusive; 0 = no
 * limit). @rep (may be NULL) receives the counts of each repair.
 */
int e820_sanitize(struct e820_entry *map, int n, int max, uint64_t limit,
		  struct e820_report *rep);

/* Human name of an e820 type ("usable", "reserved", "ACPI data", ...). */
const char *e820_type_name(uint32_t type);

/* Sum of the sizes of entries of @type in a sanitized map. */
uint64_t e820_total(const struct e820_entry *map, int n, uint32_t type);

/*
 * RAM the machine has, from a sanitized map: touching entries form runs,
 * each counted from its first RAM entry to its end, and everything below
 * 1 MiB is one run from 0. On QEMU this equals -m (meminfo's MemInstalled).
 */
uint64_t e820_installed_ram(const struct e820_entry *map, int n);

/* Print one boot-log line per entry: "  [mem 0x...-0x...] usable" (end inclusive). */
void e820_print(const struct e820_entry *map, int n);

/* Print one line per non-zero count in @r: a "warning:" for each anomaly, an
 * informational line for the routine RAM trim; nothing for a clean map. */
void e820_report_print(const struct e820_report *r);

#endif
