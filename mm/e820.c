/*
 * e820.c - sanitizing the firmware memory map.
 *
 * Firmware maps (multiboot2 tag, PVH memmap table) arrive as an array of
 * struct e820_entry that may be unsorted, overlapping, zero-length,
 * unaligned, or even wrap past 2^64. e820_sanitize() rebuilds the map in
 * five steps:
 *
 *   1. clean:   copy the input into san_in[] as half-open [start, end)
 *               ranges, dropping zero-length entries, clipping wrap-around
 *               at 2^64 - 1 and turning unknown types into E820_RESERVED.
 *   2. sweep:   every entry start and end is a boundary point; sorted and
 *               de-duplicated they cut the address space into elementary
 *               intervals, each either covered by no entry (a hole) or
 *               given the most restrictive type of the entries covering it.
 *               Emitting the intervals in order yields a sorted, disjoint
 *               map; touching intervals of the same type are joined as they
 *               are emitted, so the map is also merged.
 *   3. clip:    everything at or above @limit is cut off.
 *   4. trim:    RAM is shrunk inward to 4 KiB boundaries; RAM left with
 *               less than one page is dropped.
 *   5. store:   the result is copied back into the caller's array, never
 *               past @max entries; what does not fit is counted as truncated.
 *
 * Invariants of the result: entries are sorted by address, pairwise
 * disjoint, non-empty; no two touching entries have the same type; every
 * RAM entry starts and ends on a page boundary; nothing reaches @limit.
 *
 * The work is bounded: at most E820_MAX_ENTRIES input entries take part
 * (the rest count as truncated), so there are at most 2 * E820_MAX_ENTRIES
 * boundary points and the sweep is O(points * entries). The scratch arrays
 * are static - e820_sanitize() is a boot-time, single-caller function and
 * is not reentrant.
 *
 * Readers of a sanitized map: e820_total() (the RAM the kernel may use)
 * and e820_installed_ram() (the RAM the machine has, holes included: what
 * meminfo compares with QEMU's -m).
 */
#include <mm/e820.h>
#include <kernel/bug.h>
#include <kernel/printk.h>

#define E820_PAGE 4096ULL

/* A range in half-open form, as the sweep uses it. */
struct e820_range {
	uint64_t start;
	uint64_t end;
	uint32_t type;
};

static struct e820_range san_in[E820_MAX_ENTRIES];
static struct e820_range san_out[2 * E820_MAX_ENTRIES];
static uint64_t san_pts[2 * E820_MAX_ENTRIES];

/* True for the types enum e820_type names. */
static bool e820_type_known(uint32_t type)
{
	switch (type) {
	case E820_RAM:
	case E820_RESERVED:
	case E820_ACPI:
	case E820_NVS:
	case E820_UNUSABLE:
	case E820_PMEM:
		return true;
	}
	return false;
}

/* Rank of a (known) type: higher wins an overlap; RAM is the weakest. */
static unsigned int e820_rank(uint32_t type)
{
	return type == E820_RAM ? 1 : 1 + type;
}

/* Step 1: copy the usable part of @map into san_in[]; returns the count. */
static int e820_clean(const struct e820_entry *map, int n, struct e820_report *rep)
{
	uint64_t prev_addr = 0;
	bool have_prev = false;
	int cnt = 0;

	for (int i = 0; i < n; i++) {
		const struct e820_entry *e = &map[i];
		uint64_t end;

		if (e->size == 0) {
			rep->zero_length++;
			continue;
		}
		if (have_prev && e->addr < prev_addr)
			rep->unsorted++;
		prev_addr = e->addr;
		have_prev = true;
		if (e->size > UINT64_MAX - e->addr) {
			/* the end is not representable: keep up to 2^64 - 1 */
			rep->wrapped++;
			end = UINT64_MAX;
			if (end == e->addr)
				continue;
		} else {
			end = e->addr + e->size;
		}
		if (cnt == E820_MAX_ENTRIES) {
			rep->truncated++;
			continue;
		}
		san_in[cnt].start = e->addr;
		san_in[cnt].end = end;
		san_in[cnt].type = e->type;
		if (!e820_type_known(e->type)) {
			rep->unknown_type++;
			san_in[cnt].type = E820_RESERVED;
		}
		cnt++;
	}
	return cnt;
}

/* Count the pairs of cleaned entries that overlap. */
static unsigned int e820_count_overlaps(int cnt)
{
	unsigned int pairs = 0;

	for (int i = 0; i < cnt; i++)
		for (int j = i + 1; j < cnt; j++)
			if (san_in[i].start < san_in[j].end &&
			    san_in[j].start < san_in[i].end)
				pairs++;
	return pairs;
}

/* Fill san_pts[] with the sorted, distinct boundary points; returns count. */
static int e820_collect_points(int cnt)
{
	int np = 0;

	for (int i = 0; i < cnt; i++) {
		san_pts[np++] = san_in[i].start;
		san_pts[np++] = san_in[i].end;
	}
	/* insertion sort: np <= 2 * E820_MAX_ENTRIES */
	for (int i = 1; i < np; i++) {
		uint64_t v = san_pts[i];
		int j = i;

		while (j > 0 && san_pts[j - 1] > v) {
			san_pts[j] = san_pts[j - 1];
			j--;
		}
		san_pts[j] = v;
	}
	int nd = 0;
	for (int i = 0; i < np; i++)
		if (nd == 0 || san_pts[nd - 1] != san_pts[i])
			san_pts[nd++] = san_pts[i];
	return nd;
}

/* Type of [p, next point): the strongest type covering p, 0 for a hole. */
static uint32_t e820_type_at(int cnt, uint64_t p)
{
	uint32_t best = 0;

	for (int i = 0; i < cnt; i++)
		if (san_in[i].start <= p && p < san_in[i].end &&
		    (best == 0 || e820_rank(san_in[i].type) > e820_rank(best)))
			best = san_in[i].type;
	return best;
}

/* True if one input entry of @type spans @p strictly (p is not its edge). */
static bool e820_spanned(int cnt, uint64_t p, uint32_t type)
{
	for (int i = 0; i < cnt; i++)
		if (san_in[i].type == type && san_in[i].start < p && p < san_in[i].end)
			return true;
	return false;
}

/* Step 2: sweep the boundary points into san_out[]; returns the count. */
static int e820_sweep(int cnt, struct e820_report *rep)
{
	int np = e820_collect_points(cnt);
	int no = 0;

	for (int i = 0; i + 1 < np; i++) {
		uint64_t s = san_pts[i], e = san_pts[i + 1];
		uint32_t type = e820_type_at(cnt, s);

		if (type == 0)
			continue;
		if (no > 0 && san_out[no - 1].end == s && san_out[no - 1].type == type) {
			/* joined: a repair only if no single entry already spans s */
			if (!e820_spanned(cnt, s, type))
				rep->merged++;
			san_out[no - 1].end = e;
			continue;
		}
		san_out[no].start = s;
		san_out[no].end = e;
		san_out[no].type = type;
		no++;
	}
	return no;
}

/* Step 3: cut san_out[] at @limit (exclusive, 0 = none); returns the count. */
static int e820_clip(int no, uint64_t limit, struct e820_report *rep)
{
	int k = 0;

	for (int i = 0; i < no; i++) {
		struct e820_range r = san_out[i];

		if (limit && r.start >= limit) {
			rep->clipped++;
			continue;
		}
		if (limit && r.end > limit) {
			rep->clipped++;
			r.end = limit;
		}
		san_out[k++] = r;
	}
	return k;
}

/* Step 4: trim RAM in san_out[] to whole pages, dropping slivers; returns count. */
static int e820_trim_ram(int no, struct e820_report *rep)
{
	int k = 0;

	for (int i = 0; i < no; i++) {
		struct e820_range r = san_out[i];

		if (r.type == E820_RAM) {
			uint64_t s, e = ALIGN_DOWN(r.end, E820_PAGE);

			if (r.start > UINT64_MAX - (E820_PAGE - 1))
				s = UINT64_MAX;       /* rounding up would wrap */
			else
				s = ALIGN_UP(r.start, E820_PAGE);
			if (s >= e) {
				rep->ram_dropped++;
				continue;
			}
			if (s != r.start || e != r.end)
				rep->ram_trimmed++;
			r.start = s;
			r.end = e;
		}
		san_out[k++] = r;
	}
	return k;
}

int e820_sanitize(struct e820_entry *map, int n, int max, uint64_t limit,
		  struct e820_report *rep)
{
	struct e820_report local;
	int cnt, no, k;

	if (!rep)
		rep = &local;
	*rep = (struct e820_report){ 0 };
	if (max < 0)
		max = 0;
	if (n < 0)
		n = 0;
	if (WARN_ON(n > max))
		n = max;

	cnt = e820_clean(map, n, rep);
	rep->overlaps = e820_count_overlaps(cnt);
	no = e820_sweep(cnt, rep);
	no = e820_clip(no, limit, rep);
	no = e820_trim_ram(no, rep);

	/* step 5: store, never past @max */
	k = MIN(no, max);
	for (int i = 0; i < k; i++) {
		map[i].addr = san_out[i].start;
		map[i].size = san_out[i].end - san_out[i].start;
		map[i].type = san_out[i].type;
	}
	rep->truncated += (unsigned int)(no - k);
	return k;
}

const char *e820_type_name(uint32_t type)
{
	switch (type) {
	case E820_RAM:      return "usable";
	case E820_RESERVED: return "reserved";
	case E820_ACPI:     return "ACPI data";
	case E820_NVS:      return "ACPI NVS";
	case E820_UNUSABLE: return "unusable";
	case E820_PMEM:     return "persistent (type 7)";
	}
	return "unknown";
}

uint64_t e820_total(const struct e820_entry *map, int n, uint32_t type)
{
	uint64_t sum = 0;

	for (int i = 0; i < n; i++)
		if (map[i].type == type)
			sum += map[i].size;
	return sum;
}

/*
 * RAM as the machine has it, from the map: runs of touching entries,
 * counted from their first RAM entry to their end (so firmware-reserved
 * pieces inside RAM or at its top count, a ROM just below RAM does not),
 * with everything below 1 MiB taken as one run from 0 (the legacy VGA/BIOS
 * hole is RAM underneath). On QEMU this equals -m.
 */
uint64_t e820_installed_ram(const struct e820_entry *map, int n)
{
	uint64_t total = 0, s = 0, e = 0;
	bool ram = false;
	for (int i = 0; i <= n; i++) {
		const struct e820_entry *m = &map[i];
		if (i < n && (m->addr == e || m->addr <= (1ULL << 20))) {
			e = MAX(e, m->addr + m->size);
			if (m->type == E820_RAM && !ram) {
				ram = true;
				s = m->addr <= (1ULL << 20) ? 0 : m->addr;
			}
			continue;
		}
		if (ram)
			total += e - s;
		if (i < n) {
			ram = m->type == E820_RAM;
			s = m->addr;
			e = m->addr + m->size;
		}
	}
	return total;
}

void e820_print(const struct e820_entry *map, int n)
{
	for (int i = 0; i < n; i++) {
		unsigned long long last = map[i].addr + (map[i].size ? map[i].size - 1 : 0);

		if (e820_type_known(map[i].type))
			printk("  [mem 0x%016llx-0x%016llx] %s\n",
			       (unsigned long long)map[i].addr, last,
			       e820_type_name(map[i].type));
		else
			printk("  [mem 0x%016llx-0x%016llx] type %u\n",
			       (unsigned long long)map[i].addr, last, map[i].type);
	}
}

/*
 * One line per non-zero count. Trimming RAM to page boundaries is what every
 * PC firmware map needs (its low RAM ends at the EBDA, 0x9fc00), so it is an
 * informational line; everything else is a firmware anomaly and a warning.
 */
void e820_report_print(const struct e820_report *r)
{
	if (r->zero_length)
		pr_warn("e820: dropped %u zero-length entries\n", r->zero_length);
	if (r->wrapped)
		pr_warn("e820: clipped %u entries that wrapped past 2^64\n", r->wrapped);
	if (r->overlaps)
		pr_warn("e820: resolved %u overlapping pairs (stricter type wins)\n", r->overlaps);
	if (r->unsorted)
		pr_warn("e820: map was not sorted (%u entries out of order)\n", r->unsorted);
	if (r->merged)
		pr_warn("e820: merged %u adjacent entries of the same type\n", r->merged);
	if (r->ram_trimmed)	/* routine: BIOS RAM ends at 0x9fc00 (the EBDA) */
		pr_info("e820: trimmed %u RAM %s to 4 KiB boundaries\n", r->ram_trimmed,
			r->ram_trimmed == 1 ? "entry" : "entries");
	if (r->ram_dropped)
		pr_warn("e820: dropped %u RAM entries smaller than 4 KiB\n", r->ram_dropped);
	if (r->clipped)
		pr_warn("e820: clipped %u entries at the direct-map limit\n", r->clipped);
	if (r->unknown_type)
		pr_warn("e820: %u entries of unknown type treated as reserved\n", r->unknown_type);
	if (r->truncated)
		pr_warn("e820: %u entries lost: the map did not fit\n", r->truncated);
}
