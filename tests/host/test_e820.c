/*
 * test_e820.c - e820_sanitize() on hand-written maps (clean, q35, each kind
 * of defect), on too-small output arrays, and against a per-unit reference
 * model on thousands of random maps; e820_installed_ram() on QEMU-shaped
 * maps.
 */
#include "htest.h"
#include <mm/e820.h>
#include <stdlib.h>
#include <string.h>

#define RAM  E820_RAM
#define RES  E820_RESERVED
#define ACPI E820_ACPI
#define NVS  E820_NVS
#define UNUS E820_UNUSABLE
#define PMEM E820_PMEM

#define MAXE 16

/* Run stdout into a memory buffer while @stmt runs; the text lands in *out. */
#define CAPTURE(out, stmt) do { \
	size_t __len; FILE *__old = stdout; \
	stdout = open_memstream(out, &__len); \
	stmt; \
	fclose(stdout); stdout = __old; \
} while (0)

/* Compare every field of two reports. */
static void expect_report(const struct e820_report *got, const struct e820_report *want)
{
	EXPECT_EQ(got->zero_length, want->zero_length);
	EXPECT_EQ(got->wrapped, want->wrapped);
	EXPECT_EQ(got->overlaps, want->overlaps);
	EXPECT_EQ(got->unsorted, want->unsorted);
	EXPECT_EQ(got->merged, want->merged);
	EXPECT_EQ(got->ram_trimmed, want->ram_trimmed);
	EXPECT_EQ(got->ram_dropped, want->ram_dropped);
	EXPECT_EQ(got->clipped, want->clipped);
	EXPECT_EQ(got->unknown_type, want->unknown_type);
	EXPECT_EQ(got->truncated, want->truncated);
}

/* Check the result invariants: sorted, disjoint, non-empty, merged, RAM paged. */
static int check_invariants(const struct e820_entry *m, int n, uint64_t limit)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		uint64_t end = m[i].addr + m[i].size;

		if (m[i].size == 0 || end < m[i].addr)
			bad++;
		if (m[i].type == RAM && ((m[i].addr | m[i].size) & 0xfff))
			bad++;
		if (limit && end > limit)
			bad++;
		if (i + 1 < n) {
			if (end > m[i + 1].addr)
				bad++;  /* unsorted or overlapping */
			if (end == m[i + 1].addr && m[i].type == m[i + 1].type)
				bad++;  /* not merged */
		}
	}
	return bad;
}

struct e820_case {
	const char *name;
	struct e820_entry in[MAXE];
	int nin;
	uint64_t limit;
	struct e820_entry out[MAXE];
	int nout;
	struct e820_report rep;
};

#define E(a, s, t) { (a), (s), (t) }

static const struct e820_case cases[] = {
{ "qemu_pc_clean",
  { E(0, 0x9f000, RAM), E(0x9fc00, 0x400, RES), E(0xf0000, 0x10000, RES),
    E(0x100000, 0x7f00000, RAM), E(0xfffc0000, 0x40000, RES) }, 5, 0,
  { E(0, 0x9f000, RAM), E(0x9fc00, 0x400, RES), E(0xf0000, 0x10000, RES),
    E(0x100000, 0x7f00000, RAM), E(0xfffc0000, 0x40000, RES) }, 5, { 0 } },
{ "qemu_pc_as_reported",   /* QEMU's real low RAM ends at 0x9fc00: trimmed to a page */
  { E(0, 0x9fc00, RAM), E(0x9fc00, 0x400, RES), E(0xf0000, 0x10000, RES),
    E(0x100000, 0x7f00000, RAM), E(0xfffc0000, 0x40000, RES) }, 5, 0,
  { E(0, 0x9f000, RAM), E(0x9fc00, 0x400, RES), E(0xf0000, 0x10000, RES),
    E(0x100000, 0x7f00000, RAM), E(0xfffc0000, 0x40000, RES) }, 5,
  { .ram_trimmed = 1 } },
{ "q35_above_4g",
  { E(0x100000, 0x7ff00000, RAM), E(0xb0000000, 0x10000000, RES),
    E(0xfeffc000, 0x4000, RES), E(0x100000000ULL, 0x80000000ULL, RAM) }, 4, 0,
  { E(0x100000, 0x7ff00000, RAM), E(0xb0000000, 0x10000000, RES),
    E(0xfeffc000, 0x4000, RES), E(0x100000000ULL, 0x80000000ULL, RAM) }, 4, { 0 } },
{ "ram_ram_overlap",
  { E(0x1000, 0x4000, RAM), E(0x3000, 0x5000, RAM) }, 2, 0,
  { E(0x1000, 0x7000, RAM) }, 1, { .overlaps = 1 } },
{ "reserved_splits_ram",
  { E(0, 0x10000, RAM), E(0x4000, 0x2000, RES) }, 2, 0,
  { E(0, 0x4000, RAM), E(0x4000, 0x2000, RES), E(0x6000, 0xa000, RAM) }, 3,
  { .overlaps = 1 } },
{ "reserved_first_then_ram",   /* order of input does not decide the winner */
  { E(0x8000, 0x10000, RES), E(0, 0x10000, RAM) }, 2, 0,
  { E(0, 0x8000, RAM), E(0x8000, 0x10000, RES) }, 2,
  { .overlaps = 1, .unsorted = 1 } },
{ "unaligned_reserved_inside_ram",
  { E(0, 0x10000, RAM), E(0x4100, 0x100, RES) }, 2, 0,
  { E(0, 0x4000, RAM), E(0x4100, 0x100, RES), E(0x5000, 0xb000, RAM) }, 3,
  { .overlaps = 1, .ram_trimmed = 2 } },
{ "identical_duplicates",
  { E(0x1000, 0x1000, RAM), E(0x1000, 0x1000, RAM), E(0x5000, 0x1000, RES),
    E(0x5000, 0x1000, RES) }, 4, 0,
  { E(0x1000, 0x1000, RAM), E(0x5000, 0x1000, RES) }, 2, { .overlaps = 2 } },
{ "stricter_type_wins",
  { E(0x0000, 0x3000, RES), E(0x0000, 0x3000, ACPI), E(0x1000, 0x1000, NVS),
    E(0x2000, 0x3000, UNUS), E(0x4000, 0x2000, PMEM), E(0x4000, 0x4000, RAM) }, 6, 0,
  { E(0x0000, 0x1000, ACPI), E(0x1000, 0x1000, NVS), E(0x2000, 0x2000, UNUS),
    E(0x4000, 0x2000, PMEM), E(0x6000, 0x2000, RAM) }, 5, { .overlaps = 8 } },
{ "unsorted",
  { E(0x100000, 0x100000, RAM), E(0xf0000, 0x10000, RES), E(0, 0x9f000, RAM) }, 3, 0,
  { E(0, 0x9f000, RAM), E(0xf0000, 0x10000, RES), E(0x100000, 0x100000, RAM) }, 3,
  { .unsorted = 2 } },
{ "zero_length",
  { E(0x1000, 0, RAM), E(0, 0, RES), E(0x2000, 0x1000, RAM), E(0x9000, 0, ACPI) }, 4, 0,
  { E(0x2000, 0x1000, RAM) }, 1, { .zero_length = 3 } },
{ "adjacent_same_type_merged",
  { E(0, 0x1000, RAM), E(0x1000, 0x2000, RAM), E(0x3000, 0x1000, RES),
    E(0x4000, 0x1000, RES), E(0x5000, 0x1000, RES), E(0x6000, 0x1000, ACPI) }, 6, 0,
  { E(0, 0x3000, RAM), E(0x3000, 0x3000, RES), E(0x6000, 0x1000, ACPI) }, 3,
  { .merged = 3 } },
{ "half_pages_join_into_page",
  { E(0x1000, 0x800, RAM), E(0x1800, 0x800, RAM) }, 2, 0,
  { E(0x1000, 0x1000, RAM) }, 1, { .merged = 1 } },
{ "unaligned_ram",
  { E(0x1200, 0x4c00, RAM), E(0x7100, 0xe00, RAM), E(0x8800, 0x1000, RAM),
    E(0xa000, 0x1000, RAM), E(0xc000, 0xfff, RAM) }, 5, 0,
  { E(0x2000, 0x3000, RAM), E(0xa000, 0x1000, RAM) }, 2,
  { .ram_trimmed = 1, .ram_dropped = 3 } },
{ "wrap_around",
  { E(0x1000, 0x1000, RAM), E(0xffffffff00000000ULL, 0x200000000ULL, RES),
    E(0xfffffffffffff000ULL, 0x2000, RAM), E(0xffffffffffffffffULL, 1, RES) }, 4, 0,
  { E(0x1000, 0x1000, RAM), E(0xffffffff00000000ULL, 0xffffffffULL, RES) }, 2,
  { .wrapped = 3, .overlaps = 1 } },
{ "wrap_top_page",   /* ends exactly at 2^64: the last byte is not representable */
  { E(0xffffffffffffe000ULL, 0x2000, RAM) }, 1, 0,
  { E(0xffffffffffffe000ULL, 0x1000, RAM) }, 1, { .wrapped = 1, .ram_trimmed = 1 } },
{ "wrap_sub_page",
  { E(0xfffffffffffff800ULL, 0x1000, RAM) }, 1, 0,
  { E(0, 0, 0) }, 0, { .wrapped = 1, .ram_dropped = 1 } },
{ "unknown_type_is_reserved",
  { E(0, 0x10000, RAM), E(0x2000, 0x1000, 0x99), E(0x20000, 0x1000, 0) }, 3, 0,
  { E(0, 0x2000, RAM), E(0x2000, 0x1000, RES), E(0x3000, 0xd000, RAM),
    E(0x20000, 0x1000, RES) }, 4, { .overlaps = 1, .unknown_type = 2 } },
{ "limit_clips",
  { E(0, 0x10000, RAM), E(0x10000, 0x10000, RES), E(0x20000, 0x20000, RAM),
    E(0x50000, 0x10000, RES) }, 4, 0x30800,
  { E(0, 0x10000, RAM), E(0x10000, 0x10000, RES), E(0x20000, 0x10000, RAM) }, 3,
  { .clipped = 2, .ram_trimmed = 1 } },
{ "limit_cuts_reserved_exactly",
  { E(0, 0x10000, RAM), E(0x10000, 0x10000, RES) }, 2, 0x18000,
  { E(0, 0x10000, RAM), E(0x10000, 0x8000, RES) }, 2, { .clipped = 1 } },
{ "all_garbage",
  { E(0, 0, RAM), E(0xffffffffffffff00ULL, 0x1000, RAM), E(0x1100, 0x10, RAM),
    E(0x3000, 0x10, 0xdead), E(0x3000, 0x10, 0xdead), E(0x2000, 0x3000, RAM),
    E(0x5000, 0, 0), E(0x2800, 0x100, NVS) }, 8, 0x4000,
  { E(0x2800, 0x100, NVS), E(0x3000, 0x10, RES) }, 2,
  { .zero_length = 2, .wrapped = 1, .unknown_type = 2, .overlaps = 4,
    .unsorted = 2, .clipped = 2, .ram_dropped = 4 } },
};

/*
 * Expect each table map to sanitize to exactly its expected entries and
 * report exactly the expected repairs, and the result to hold the invariants.
 */
TEST(e820_table)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct e820_case *k = &cases[c];
		struct e820_entry m[MAXE];
		struct e820_report rep;
		int n;

		memcpy(m, k->in, sizeof(m));
		n = e820_sanitize(m, k->nin, MAXE, k->limit, &rep);
		printf("# case %s -> %d entries\n", k->name, n);
		EXPECT_EQ(n, k->nout);
		for (int i = 0; i < n && i < k->nout; i++) {
			EXPECT_EQ(m[i].addr, k->out[i].addr);
			EXPECT_EQ(m[i].size, k->out[i].size);
			EXPECT_EQ(m[i].type, k->out[i].type);
		}
		expect_report(&rep, &k->rep);
		EXPECT_EQ(check_invariants(m, n, k->limit), 0);
	}
}

/* Expect sanitizing an already sanitized map to change nothing and report nothing. */
TEST(e820_idempotent)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct e820_entry m[MAXE], again[MAXE];
		struct e820_report rep, zero = { 0 };
		int n, n2;

		memcpy(m, cases[c].in, sizeof(m));
		n = e820_sanitize(m, cases[c].nin, MAXE, cases[c].limit, NULL);
		memcpy(again, m, sizeof(m));
		n2 = e820_sanitize(again, n, MAXE, cases[c].limit, &rep);
		EXPECT_EQ(n2, n);
		EXPECT(memcmp(again, m, (size_t)n * sizeof(m[0])) == 0);
		expect_report(&rep, &zero);
	}
}

/*
 * Expect an output array exactly as large as the input (heap-allocated, so
 * ASan sees a write past it) to receive the first entries and count the rest
 * as truncated when resolving overlaps makes the map grow.
 */
TEST(e820_max_too_small)
{
	struct e820_entry *m = malloc(4 * sizeof(*m));
	struct e820_report rep;
	int n;

	ASSERT(m);
	m[0] = (struct e820_entry)E(0, 0x100000, RAM);
	m[1] = (struct e820_entry)E(0x10000, 0x1000, RES);
	m[2] = (struct e820_entry)E(0x20000, 0x1000, RES);
	m[3] = (struct e820_entry)E(0x30000, 0x1000, RES);
	n = e820_sanitize(m, 4, 4, 0, &rep);  /* 7 entries would result */
	EXPECT_EQ(n, 4);
	EXPECT_EQ(rep.truncated, 3);
	EXPECT_EQ(rep.overlaps, 3);
	EXPECT_EQ(m[0].addr, 0);
	EXPECT_EQ(m[0].size, 0x10000);
	EXPECT_EQ(m[2].type, RAM);
	EXPECT_EQ(m[2].addr, 0x11000);
	EXPECT_EQ(m[3].type, RES);
	EXPECT_EQ(m[3].addr, 0x20000);
	EXPECT_EQ(check_invariants(m, n, 0), 0);

	/* max = 0: nothing written at all */
	n = e820_sanitize(m, 0, 0, 0, &rep);
	EXPECT_EQ(n, 0);
	free(m);
}

/* Expect input beyond E820_MAX_ENTRIES to be ignored and counted as truncated. */
TEST(e820_too_many_entries)
{
	int total = E820_MAX_ENTRIES + 40;
	struct e820_entry *m = malloc((size_t)total * sizeof(*m));
	struct e820_report rep;
	int n;

	ASSERT(m);
	for (int i = 0; i < total; i++)
		m[i] = (struct e820_entry)E((uint64_t)i * 0x2000, 0x1000, RAM);
	n = e820_sanitize(m, total, total, 0, &rep);
	EXPECT_EQ(n, E820_MAX_ENTRIES);
	EXPECT_EQ(rep.truncated, 40);
	EXPECT_EQ(m[n - 1].addr, (uint64_t)(E820_MAX_ENTRIES - 1) * 0x2000);
	EXPECT_EQ(check_invariants(m, n, 0), 0);
	free(m);
}

/* Expect type names as in Linux and e820_total to sum one type only. */
TEST(e820_names_and_total)
{
	struct e820_entry m[] = { E(0, 0x9f000, RAM), E(0x9f000, 0x1000, RES),
				  E(0x100000, 0x100000, RAM), E(0x200000, 0x1000, ACPI) };

	EXPECT(!strcmp(e820_type_name(RAM), "usable"));
	EXPECT(!strcmp(e820_type_name(RES), "reserved"));
	EXPECT(!strcmp(e820_type_name(ACPI), "ACPI data"));
	EXPECT(!strcmp(e820_type_name(NVS), "ACPI NVS"));
	EXPECT(!strcmp(e820_type_name(UNUS), "unusable"));
	EXPECT(!strcmp(e820_type_name(0x1234), "unknown"));
	EXPECT_EQ(e820_total(m, 4, RAM), 0x9f000 + 0x100000);
	EXPECT_EQ(e820_total(m, 4, RES), 0x1000);
	EXPECT_EQ(e820_total(m, 4, NVS), 0);
}

/*
 * Expect e820_installed_ram to give QEMU's -m for its pc and q35 maps (the
 * holes below 1 MiB and a reserved piece at the top of RAM count, the PCI
 * hole does not), to leave out a ROM that ends where RAM starts, and 0 for
 * an empty map.
 */
TEST(e820_installed_ram_qemu_maps)
{
	struct e820_entry pc_128m[] = { E(0, 0x9f000, RAM), E(0x9fc00, 0x400, RES),
					E(0xf0000, 0x10000, RES), E(0x100000, 0x7f00000, RAM),
					E(0xfffc0000, 0x40000, RES) };
	struct e820_entry q35_4g[] = { E(0, 0x9f000, RAM), E(0x9fc00, 0x400, RES),
				       E(0xf0000, 0x10000, RES), E(0x100000, 0x7ff00000, RAM),
				       E(0xb0000000, 0x10000000, RES), E(0xfeffc000, 0x4000, RES),
				       E(0x100000000ULL, 0x80000000ULL, RAM) };
	struct e820_entry top_reserved[] = { E(0, 0x9f000, RAM), E(0x100000, 0x7ee0000, RAM),
					     E(0x7fe0000, 0x20000, RES) };
	struct e820_entry rom_below[] = { E(0x10000000, 0x100000, RES),
					  E(0x10100000, 0x1000000, RAM) };

	EXPECT_EQ(e820_installed_ram(pc_128m, 5), 128ULL << 20);
	EXPECT_EQ(e820_installed_ram(q35_4g, 7), 4ULL << 30);
	EXPECT_EQ(e820_installed_ram(top_reserved, 3), 128ULL << 20);
	EXPECT_EQ(e820_installed_ram(rom_below, 2), 16ULL << 20);
	EXPECT_EQ(e820_installed_ram(pc_128m, 0), 0);
}

/* Expect e820_print to print Linux-style lines with an inclusive end. */
TEST(e820_print_format)
{
	struct e820_entry m[] = { E(0, 0x9fc00, RAM), E(0xfffc0000, 0x40000, RES),
				  E(0x1000, 0x1000, 0x42) };
	char *out = NULL;

	CAPTURE(&out, e820_print(m, 3));
	ASSERT(out);
	EXPECT(!strcmp(out,
		"  [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"  [mem 0x00000000fffc0000-0x00000000ffffffff] reserved\n"
		"  [mem 0x0000000000001000-0x0000000000001fff] type 66\n"));
	free(out);
}

/* Expect one warning per non-zero count and silence for a clean report. */
TEST(e820_report_print_lines)
{
	struct e820_report clean = { 0 }, r = { .zero_length = 2, .truncated = 1 };
	char *out = NULL;
	int lines = 0;

	CAPTURE(&out, e820_report_print(&clean));
	ASSERT(out);
	EXPECT(out[0] == '\0');
	free(out);
	out = NULL;
	CAPTURE(&out, e820_report_print(&r));
	ASSERT(out);
	EXPECT(strstr(out, "e820: dropped 2 zero-length entries") != NULL);
	EXPECT(strstr(out, "1 entries lost") != NULL);
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	EXPECT_EQ(lines, 2);
	free(out);
}

/* Expect the routine RAM trim (QEMU's low RAM ends at 0x9fc00) to print an informational line, not a warning, while an anomaly beside it stays a warning. */
TEST(e820_report_trim_is_not_a_warning)
{
	struct e820_report one = { .ram_trimmed = 1 }, two = { .ram_trimmed = 2, .ram_dropped = 1 };
	char *out = NULL;

	CAPTURE(&out, e820_report_print(&one));
	ASSERT(out);
	EXPECT(!strcmp(out, "e820: trimmed 1 RAM entry to 4 KiB boundaries\n"));
	free(out);
	out = NULL;
	CAPTURE(&out, e820_report_print(&two));
	ASSERT(out);
	EXPECT(!strcmp(out, "e820: trimmed 2 RAM entries to 4 KiB boundaries\n"
			    "warning: e820: dropped 1 RAM entries smaller than 4 KiB\n"));
	free(out);
}

/* Expect a map shaped like QEMU q35's (low RAM ending at 0x9fc00, ROM, high RAM) to need only the routine trim: no anomaly count is set. */
TEST(e820_qemu_map_has_no_anomaly)
{
	struct e820_entry m[8] = {
		E(0x0, 0x9fc00, RAM), E(0x9fc00, 0x400, RES), E(0xf0000, 0x10000, RES),
		E(0x100000, 0x3fee0000, RAM), E(0x3ffe0000, 0x20000, RES),
		E(0xb0000000, 0x10000000, RES), E(0xfed1c000, 0x4000, RES),
		E(0xfffc0000, 0x40000, RES) };
	struct e820_report r = { 0 };

	e820_sanitize(m, 8, 8, 0, &r);
	expect_report(&r, &(struct e820_report){ .ram_trimmed = 1 });
}

/* --- randomized comparison with a per-unit reference model --- */

#define R_UNIT   0x200ULL                  /* every random address is a multiple */
#define R_SPACE  (4ULL << 20)              /* 4 MiB */
#define R_UNITS  (R_SPACE / R_UNIT)
#define R_PER_PG (4096 / R_UNIT)

/* Rank used by the model: RAM weakest, then higher type number wins. */
static int model_rank(uint32_t t) { return t == 0 ? 0 : t == RAM ? 1 : 1 + (int)t; }

/* A random entry: page-granular mostly, sometimes unaligned or empty. */
static struct e820_entry rand_entry(void)
{
	static const uint32_t types[] = { RAM, RAM, RAM, RAM, RES, ACPI, NVS, UNUS, PMEM, 0x42 };
	uint64_t pages = R_SPACE / 4096;
	uint64_t a = (htest_rand() % pages) * 4096, sz;

	if (htest_rand() % 3 == 0)
		a += (htest_rand() % R_PER_PG) * R_UNIT;
	sz = (1 + htest_rand() % 64) * 4096;
	if (htest_rand() % 3 == 0)
		sz += (htest_rand() % R_PER_PG) * R_UNIT - (htest_rand() % 2) * 4096;
	if (htest_rand() % 20 == 0)
		sz = 0;
	if (a + sz > R_SPACE)
		sz = R_SPACE - a;
	return (struct e820_entry){ a, sz, types[htest_rand() % 10] };
}

/*
 * Expect, for thousands of random maps: a sorted, disjoint, merged,
 * page-aligned-RAM result; every 512-byte unit classified as the model says
 * (strongest covering type, clipped at the limit, RAM only on pages wholly
 * RAM); and zero-length / unknown / overlap counts equal to a direct count.
 */
TEST(e820_random_vs_model)
{
	static uint8_t model[R_UNITS], got[R_UNITS];
	uint64_t iters = htest_iters(3000);

	for (uint64_t it = 0; it < iters; it++) {
		struct e820_entry m[E820_MAX_ENTRIES], in[E820_MAX_ENTRIES];
		struct e820_report rep;
		int nin = (int)(htest_rand() % 14), n;
		uint64_t limit = 0;
		unsigned int zl = 0, unk = 0, ov = 0;

		if (htest_rand() % 4 == 0)
			limit = (1 + htest_rand() % (R_UNITS - 1)) * R_UNIT;
		for (int i = 0; i < nin; i++) {
			in[i] = rand_entry();
			zl += in[i].size == 0;
			unk += in[i].size && in[i].type == 0x42;
		}
		for (int i = 0; i < nin; i++)
			for (int j = i + 1; j < nin; j++)
				ov += in[i].size && in[j].size &&
				      in[i].addr < in[j].addr + in[j].size &&
				      in[j].addr < in[i].addr + in[i].size;

		/* model: strongest type per unit, unknown -> reserved, clip */
		memset(model, 0, sizeof(model));
		for (int i = 0; i < nin; i++) {
			uint32_t t = in[i].type == 0x42 ? RES : in[i].type;

			for (uint64_t u = in[i].addr / R_UNIT;
			     u < (in[i].addr + in[i].size) / R_UNIT; u++)
				if (model_rank(t) > model_rank(model[u]))
					model[u] = (uint8_t)t;
		}
		if (limit)
			for (uint64_t u = limit / R_UNIT; u < R_UNITS; u++)
				model[u] = 0;
		for (uint64_t p = 0; p < R_UNITS; p += R_PER_PG) {
			bool whole = true;

			for (uint64_t u = p; u < p + R_PER_PG; u++)
				whole &= model[u] == RAM;
			if (!whole)
				for (uint64_t u = p; u < p + R_PER_PG; u++)
					if (model[u] == RAM)
						model[u] = 0;
		}

		memcpy(m, in, sizeof(in[0]) * (size_t)nin);
		n = e820_sanitize(m, nin, E820_MAX_ENTRIES, limit, &rep);
		ASSERT(n >= 0);
		EXPECT_EQ(check_invariants(m, n, limit), 0);
		EXPECT_EQ(rep.zero_length, zl);
		EXPECT_EQ(rep.unknown_type, unk);
		EXPECT_EQ(rep.overlaps, ov);
		EXPECT_EQ(rep.truncated, 0);

		memset(got, 0, sizeof(got));
		for (int i = 0; i < n; i++) {
			ASSERT(m[i].addr % R_UNIT == 0 && m[i].size % R_UNIT == 0);
			ASSERT(m[i].addr + m[i].size <= R_SPACE);
			for (uint64_t u = m[i].addr / R_UNIT;
			     u < (m[i].addr + m[i].size) / R_UNIT; u++)
				got[u] = (uint8_t)m[i].type;
		}
		if (memcmp(got, model, sizeof(model))) {
			for (uint64_t u = 0; u < R_UNITS; u++)
				if (got[u] != model[u]) {
					printf("# iter %" PRIu64 ": unit at 0x%" PRIx64
					       " got type %u, model %u\n", it,
					       (uint64_t)(u * R_UNIT), got[u], model[u]);
					break;
				}
			EXPECT(!"classification differs from model");
			return;
		}
	}
}
