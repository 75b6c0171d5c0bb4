/*
 * test_memblock.c - the early allocator: adding and merging, reservations
 * that overlap or miss memory, freeing, top-down aligned allocation under
 * a limit, exhaustion, -ENOSPC when the arrays are full, and free-range
 * iteration against a bitmap model under random operations.
 */
#include "htest.h"
#include <mm/memblock.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1ULL << 20)
#define MEM memblock.memory
#define RSV memblock.reserved

/* Expect region @i of @t to be exactly [base, base+size). */
#define EXPECT_REGION(t, i, b, s) do { \
	EXPECT_EQ((t).regions[i].base, (b)); \
	EXPECT_EQ((t).regions[i].size, (s)); } while (0)

/* Expect touching and overlapping adds to merge into one sorted region. */
TEST(memblock_add_merges)
{
	memblock_reset();
	EXPECT_EQ(memblock_add(0x5000, 0x1000), 0);
	EXPECT_EQ(memblock_add(0x1000, 0x1000), 0);
	EXPECT_EQ(MEM.cnt, 2);
	EXPECT_REGION(MEM, 0, 0x1000, 0x1000);   /* sorted */
	EXPECT_REGION(MEM, 1, 0x5000, 0x1000);
	EXPECT_EQ(memblock_add(0x2000, 0x1000), 0); /* touches the first */
	EXPECT_EQ(MEM.cnt, 2);
	EXPECT_REGION(MEM, 0, 0x1000, 0x2000);
	EXPECT_EQ(memblock_add(0x2800, 0x2a00), 0); /* bridges both */
	EXPECT_EQ(MEM.cnt, 1);
	EXPECT_REGION(MEM, 0, 0x1000, 0x5000);
	EXPECT_EQ(memblock_add(0x1800, 0x100), 0);  /* inside: no change */
	EXPECT_EQ(MEM.cnt, 1);
	EXPECT_REGION(MEM, 0, 0x1000, 0x5000);
	EXPECT_EQ(memblock_add(0x9000, 0), 0);      /* empty: no change */
	EXPECT_EQ(MEM.cnt, 1);
	EXPECT_EQ(memblock_phys_mem_size(), 0x5000);
	EXPECT_EQ(memblock_start_of_DRAM(), 0x1000);
	EXPECT_EQ(memblock_end_of_DRAM(), 0x6000);
}

/*
 * Expect a reservation spanning several reserved regions to absorb them,
 * reservations outside memory to be kept but not counted in reserved_size,
 * and is_reserved to require full coverage.
 */
TEST(memblock_reserve_overlaps)
{
	memblock_reset();
	memblock_add(0x100000, 0x100000);
	memblock_reserve(0x110000, 0x1000);
	memblock_reserve(0x130000, 0x1000);
	memblock_reserve(0x150000, 0x1000);
	EXPECT_EQ(RSV.cnt, 3);
	EXPECT_EQ(memblock_reserve(0x110800, 0x40000), 0);
	EXPECT_EQ(RSV.cnt, 1);
	EXPECT_REGION(RSV, 0, 0x110000, 0x41000);
	EXPECT(memblock_is_reserved(0x120000, 0x1000));
	EXPECT(!memblock_is_reserved(0x150000, 0x2000));
	EXPECT(!memblock_is_reserved(0x10f000, 0x2000));
	EXPECT(!memblock_is_reserved(0x110000, 0));

	memblock_reserve(0, 0x100000);              /* wholly outside memory */
	memblock_reserve(0x1f0000, 0x20000);        /* half outside */
	EXPECT_EQ(RSV.cnt, 3);
	EXPECT_EQ(memblock_reserved_size(), 0x41000 + 0x10000);
	EXPECT(memblock_is_reserved(0x1000, 0x1000));
	EXPECT_EQ(memblock_phys_mem_size(), 0x100000);
}

/* Expect free to cut, split and remove reservations, and free of nothing to be harmless. */
TEST(memblock_free_splits)
{
	memblock_reset();
	memblock_add(0, 0x100000);
	memblock_reserve(0x10000, 0x10000);
	EXPECT_EQ(memblock_free(0x14000, 0x1000), 0);     /* middle: split */
	EXPECT_EQ(RSV.cnt, 2);
	EXPECT_REGION(RSV, 0, 0x10000, 0x4000);
	EXPECT_REGION(RSV, 1, 0x15000, 0xb000);
	EXPECT_EQ(memblock_free(0xf000, 0x2000), 0);      /* cuts the low edge */
	EXPECT_REGION(RSV, 0, 0x11000, 0x3000);
	EXPECT_EQ(memblock_free(0x13000, 0x3000), 0);     /* spans the gap */
	EXPECT_EQ(RSV.cnt, 2);
	EXPECT_REGION(RSV, 0, 0x11000, 0x2000);
	EXPECT_REGION(RSV, 1, 0x16000, 0xa000);
	EXPECT_EQ(memblock_free(0x80000, 0x1000), 0);     /* nothing there */
	EXPECT_EQ(RSV.cnt, 2);
	EXPECT_EQ(memblock_free(0, 0x100000), 0);         /* everything */
	EXPECT_EQ(RSV.cnt, 0);
	EXPECT_EQ(memblock_reserved_size(), 0);
}

/*
 * Expect allocations top-down from the highest free address, aligned as
 * asked, reserved afterwards, never above alloc_limit, and 0 when nothing
 * fits (including when the only fit would be address 0).
 */
TEST(memblock_alloc_topdown_align_limit)
{
	phys_addr_t a, b, c, d;

	memblock_reset();
	memblock_add(0, 16 * MiB);
	memblock_reserve(0, MiB);
	a = memblock_alloc(0x1000, 0x1000);
	EXPECT_EQ(a, 16 * MiB - 0x1000);
	b = memblock_alloc(0x1000, 0x1000);
	EXPECT_EQ(b, 16 * MiB - 0x2000);
	c = memblock_alloc(0x100, 0x10000);
	EXPECT_EQ(c, 16 * MiB - 0x10000);
	EXPECT(memblock_is_reserved(c, 0x100));
	EXPECT(!memblock_is_reserved(c + 0x100, 0x100));
	d = memblock_alloc(0x300, 8);                     /* fits just below b */
	EXPECT_EQ(d, b - 0x300);
	EXPECT_EQ(memblock_reserved_size(), MiB + 0x2000 + 0x100 + 0x300);

	memblock.alloc_limit = 8 * MiB + 0x800;
	a = memblock_alloc(0x2000, 0x1000);
	EXPECT_EQ(a, 8 * MiB - 0x2000 + 0x0);            /* 8M+0x800-0x2000 aligned down */
	EXPECT(a + 0x2000 <= memblock.alloc_limit);
	memblock.alloc_limit = MiB;                       /* only reserved below */
	EXPECT_EQ(memblock_alloc(0x1000, 0x1000), 0);
	memblock.alloc_limit = 0;

	EXPECT_EQ(memblock_alloc(32 * MiB, 0x1000), 0);   /* larger than memory */
	EXPECT_EQ(memblock_alloc(0, 0x1000), 0);          /* empty request */

	memblock_reset();
	memblock_add(0, 0x2000);
	EXPECT_EQ(memblock_alloc(0x2000, 0x1000), 0);     /* would be address 0 */
	EXPECT_EQ(memblock_alloc(0x1000, 0x1000), 0x1000);
	EXPECT_EQ(memblock_alloc(0x1000, 0x1000), 0);     /* only address 0 left */
}

/* Expect allocations to use up a small memory exactly, then return 0. */
TEST(memblock_alloc_exhaustion)
{
	phys_addr_t seen[4];

	memblock_reset();
	memblock_add(MiB, 0x4000);
	for (int i = 0; i < 4; i++) {
		seen[i] = memblock_alloc(0x1000, 0x1000);
		EXPECT_EQ(seen[i], MiB + 0x3000 - (phys_addr_t)i * 0x1000);
	}
	EXPECT_EQ(memblock_alloc(0x1000, 0x1000), 0);
	EXPECT_EQ(memblock_alloc(1, 1), 0);
	EXPECT_EQ(memblock_reserved_size(), 0x4000);
	EXPECT_EQ(RSV.cnt, 1);                            /* merged as they came */
	memblock_free(seen[2], 0x1000);
	EXPECT_EQ(memblock_alloc(0x1000, 0x1000), seen[2]);
}

/*
 * Expect -ENOSPC and no change when a new separate region does not fit,
 * while merging adds and edge frees still succeed; a split free on a full
 * array and an allocation needing a new reserved slot fail cleanly.
 */
TEST(memblock_enospc_when_full)
{
	struct memblock_type before;

	memblock_reset();
	for (int i = 0; i < MEMBLOCK_MAX_REGIONS; i++)
		ASSERT_EQ(memblock_add((phys_addr_t)i * 0x10000, 0x1000), 0);
	EXPECT_EQ(MEM.cnt, MEMBLOCK_MAX_REGIONS);
	before = MEM;
	EXPECT_EQ(memblock_add(0x8000, 0x1000), -ENOSPC);
	EXPECT(!memcmp(&before, &MEM, sizeof(before)));
	EXPECT_EQ(memblock_add(0x1000, 0x1000), 0);       /* merges: fits */
	EXPECT_EQ(MEM.cnt, MEMBLOCK_MAX_REGIONS);

	for (int i = 0; i < MEMBLOCK_MAX_REGIONS; i++)
		ASSERT_EQ(memblock_reserve((phys_addr_t)i * 0x10000 + 0x100, 0x100), 0);
	before = RSV;
	EXPECT_EQ(memblock_reserve(0x5000, 0x10), -ENOSPC);
	EXPECT_EQ(memblock_free(0x140, 0x10), -ENOSPC);   /* split needs a slot */
	EXPECT(!memcmp(&before, &RSV, sizeof(before)));
	EXPECT_EQ(memblock_alloc(0x10, 0x10), 0);         /* cannot record it */
	EXPECT(!memcmp(&before, &RSV, sizeof(before)));
	EXPECT_EQ(memblock_free(0x100, 0x10), 0);         /* edge cut: fits */
	EXPECT_REGION(RSV, 0, 0x110, 0xf0);
}

/* Expect free-range iteration to be memory minus reserved, in order. */
TEST(memblock_free_ranges_simple)
{
	uint64_t idx = 0;
	phys_addr_t s, e;
	static const phys_addr_t want[][2] = {
		{ 0x1000, 0x3000 }, { 0x4000, 0x8000 }, { 0x20000, 0x28000 },
	};
	int n = 0;

	memblock_reset();
	memblock_add(0, 0x8000);
	memblock_add(0x20000, 0x10000);
	memblock_reserve(0, 0x1000);
	memblock_reserve(0x3000, 0x1000);
	memblock_reserve(0x28000, 0x10000);
	memblock_reserve(0x10000, 0x1000);                /* outside memory */
	while (memblock_next_free_range(&idx, &s, &e)) {
		ASSERT(n < 3);
		EXPECT_EQ(s, want[n][0]);
		EXPECT_EQ(e, want[n][1]);
		n++;
	}
	EXPECT_EQ(n, 3);
	EXPECT(!memblock_next_free_range(&idx, &s, &e));  /* stays finished */
}

/* Expect memblock_dump to print both lists and the totals. */
TEST(memblock_dump_prints)
{
	char *out = NULL;
	size_t len;
	FILE *old = stdout;

	memblock_reset();
	memblock_add(MiB, MiB);
	memblock_reserve(MiB, 0x1000);
	stdout = open_memstream(&out, &len);
	memblock_dump();
	fclose(stdout);
	stdout = old;
	ASSERT(out);
	EXPECT(strstr(out, "memblock memory: 1 regions") != NULL);
	EXPECT(strstr(out, "[0x0000000000100000-0x00000000001fffff] 1024 KiB") != NULL);
	EXPECT(strstr(out, "memblock reserved: 1 regions") != NULL);
	EXPECT(strstr(out, "1024 KiB memory, 4 KiB reserved") != NULL);
	free(out);
}

/* --- randomized: bitmap model --- */

#define U      0x1000ULL   /* model unit */
#define NU     512         /* units in the space */

static bool m_mem[NU], m_rsv[NU];

/* Number of maximal runs of true in @b. */
static unsigned int runs(const bool *b)
{
	unsigned int r = 0;

	for (int i = 0; i < NU; i++)
		r += b[i] && (i == 0 || !b[i - 1]);
	return r;
}

/* The model's memblock_alloc: highest aligned free fit below the limit, not 0. */
static phys_addr_t model_alloc(uint64_t nunits, uint64_t align_units, uint64_t limit_units)
{
	uint64_t top = limit_units ? MIN(limit_units, (uint64_t)NU) : NU;

	if (nunits > top)
		return 0;
	for (uint64_t a = ALIGN_DOWN(top - nunits, align_units); ; a -= align_units) {
		bool ok = a != 0;

		for (uint64_t u = a; ok && u < a + nunits; u++)
			ok = m_mem[u] && !m_rsv[u];
		if (ok)
			return a * U;
		if (a < align_units)
			return 0;
	}
}

/* Check iteration, sizes and region counts against the model. */
static void check_against_model(uint64_t it)
{
	bool seen[NU] = { false };
	uint64_t idx = 0, nmem = 0, nboth = 0;
	phys_addr_t s, e, prev_end = 0;
	int guard = 0;

	while (memblock_next_free_range(&idx, &s, &e)) {
		ASSERT(++guard <= 2 * NU);
		ASSERT(s < e && e <= NU * U);
		ASSERT(s % U == 0 && e % U == 0);
		EXPECT(guard == 1 || s > prev_end);   /* ordered and maximal */
		prev_end = e;
		for (phys_addr_t a = s; a < e; a += U)
			seen[a / U] = true;
	}
	for (int i = 0; i < NU; i++) {
		if (seen[i] != (m_mem[i] && !m_rsv[i])) {
			printf("# iter %" PRIu64 ": unit %d free=%d, model %d\n",
			       it, i, seen[i], m_mem[i] && !m_rsv[i]);
			EXPECT(!"free ranges differ from model");
			break;
		}
		nmem += m_mem[i];
		nboth += m_mem[i] && m_rsv[i];
	}
	EXPECT_EQ(memblock_phys_mem_size(), nmem * U);
	EXPECT_EQ(memblock_reserved_size(), nboth * U);
	EXPECT_EQ(MEM.cnt, runs(m_mem));
	EXPECT_EQ(RSV.cnt, runs(m_rsv));
}

/*
 * Expect, over random add / reserve / free / alloc sequences, free-range
 * iteration, sizes and region counts to match a per-unit bitmap model, and
 * every allocation to land where the model's top-down search puts it.
 */
TEST(memblock_random_vs_bitmap)
{
	uint64_t rounds = htest_iters(300);

	for (uint64_t r = 0; r < rounds; r++) {
		memblock_reset();
		memset(m_mem, 0, sizeof(m_mem));
		memset(m_rsv, 0, sizeof(m_rsv));
		for (int op = 0; op < 60; op++) {
			uint64_t base = htest_rand() % NU;
			uint64_t len = 1 + htest_rand() % 40;
			uint64_t k = htest_rand() % 10;
			int ret;

			if (base + len > NU)
				len = NU - base;
			if (k < 3) {
				ret = memblock_add(base * U, len * U);
				if (ret == 0)
					for (uint64_t u = base; u < base + len; u++)
						m_mem[u] = true;
				else
					EXPECT_EQ(ret, -ENOSPC);
			} else if (k < 5) {
				len = MIN(len / 4 + 1, NU - base);
				ret = memblock_reserve(base * U, len * U);
				if (ret == 0)
					for (uint64_t u = base; u < base + len; u++)
						m_rsv[u] = true;
				else
					EXPECT_EQ(ret, -ENOSPC);
			} else if (k < 7) {
				ret = memblock_free(base * U, len * U);
				if (ret == 0)
					for (uint64_t u = base; u < base + len; u++)
						m_rsv[u] = false;
				else
					EXPECT_EQ(ret, -ENOSPC);
			} else {
				uint64_t n = 1 + htest_rand() % 8;
				uint64_t al = 1ULL << (htest_rand() % 5);
				uint64_t lim = htest_rand() % 3 ? 0 : htest_rand() % NU;
				phys_addr_t want, got;

				memblock.alloc_limit = lim * U;
				want = model_alloc(n, al, lim);
				got = memblock_alloc(n * U, al * U);
				memblock.alloc_limit = 0;
				if (got == 0 && want != 0 && RSV.cnt == MEMBLOCK_MAX_REGIONS)
					want = 0;       /* no slot to record it: allowed */
				EXPECT_EQ(got, want);
				if (got != want) {
					printf("# round %" PRIu64 " op %d: alloc %" PRIu64
					       " units align %" PRIu64 " limit %" PRIu64 "\n",
					       r, op, n, al, lim);
					return;
				}
				for (uint64_t u = got / U; got && u < got / U + n; u++)
					m_rsv[u] = true;
			}
			check_against_model(r);
		}
	}
}
