/* test_lib.c - the shared helpers of lib/: number parsing, comma lists, the PRNG, units. */
#include "htest.h"
#include <lib/parse.h>
#include <lib/prandom.h>
#include <lib/units.h>
#include <string.h>

/* Expect decimal and hex numbers parsed exactly, the cursor left after the digits, and 2^64-1 the largest accepted. */
TEST(parse_u64_values)
{
	const char *s = "1234x";
	uint64_t v = 7;

	EXPECT(parse_u64(&s, 10, &v));
	EXPECT_EQ(v, 1234);
	EXPECT_EQ(*s, 'x');
	s = "0x1fG";
	EXPECT(parse_u64(&s, 16, &v));
	EXPECT_EQ(v, 0x1f);
	EXPECT_EQ(*s, 'G');
	s = "ff";
	EXPECT(parse_u64(&s, 16, &v));
	EXPECT_EQ(v, 255);
	EXPECT(parse_u64_str("18446744073709551615", 10, &v));
	EXPECT(v == UINT64_MAX);
	EXPECT(parse_u64_str("0xFFFFFFFFFFFFFFFF", 0, &v));
	EXPECT(v == UINT64_MAX);
	EXPECT(parse_u64_str("0x10", 0, &v));
	EXPECT_EQ(v, 16);
	EXPECT(parse_u64_str("010", 0, &v));	/* no octal */
	EXPECT_EQ(v, 10);
}

/* Expect no digit, overflow, a bad base and trailing text refused, with the cursor and the output untouched. */
TEST(parse_u64_refusals)
{
	const char *in[] = { "", "x1", "-1", " 1", "0x", "18446744073709551616", "99999999999999999999" };
	uint64_t v = 42;

	for (unsigned int i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		const char *s = in[i];

		EXPECT(!parse_u64(&s, 0, &v));
		EXPECT(s == in[i]);
	}
	{
		const char *s = "ab";

		EXPECT(!parse_u64(&s, 10, &v));	/* hex digits in base 10 */
		s = "0x12";
		EXPECT(parse_u64(&s, 10, &v) && v == 0 && *s == 'x');	/* base 10 reads the 0 only */
		s = "12";
		EXPECT(!parse_u64(&s, 8, &v));	/* only 10 and 16 */
	}
	v = 42;
	EXPECT(!parse_u64_str("12 ", 10, &v));
	EXPECT(!parse_u64_str("12k", 0, &v));
	EXPECT(!parse_u64_str(NULL, 0, &v));
	EXPECT_EQ(v, 42);
}

/* Expect a comma list split into every item, empty ones included, and exact-name matching. */
TEST(list_items)
{
	const char *cur = "mm,,bench_x,-frag", *item;
	const char *want[] = { "mm", "", "bench_x", "-frag" };
	unsigned int n = 0;
	size_t len;

	while (list_next_item(&cur, &item, &len)) {
		ASSERT(n < 4);
		EXPECT_EQ(len, strlen(want[n]));
		EXPECT(!strncmp(item, want[n], len));
		n++;
	}
	EXPECT_EQ(n, 4);
	cur = "";
	EXPECT(list_next_item(&cur, &item, &len) && len == 0);
	EXPECT(!list_next_item(&cur, &item, &len));
	EXPECT(list_item_is("mmx", 2, "mm"));
	EXPECT(!list_item_is("mm", 2, "mmx"));
	EXPECT(!list_item_is("mx", 2, "mm"));
}

/* Expect the generator to give xorshift64*'s known first value from seed 1 and to replay from the same seed. */
TEST(prandom_replays)
{
	uint64_t a = 1, b = 1, first;

	first = prandom_u64_state(&a);
	/* state 1 -> 1 ^ (1 << 25) ^ ((1 ^ (1 << 25)) >> 27) = 0x2000001, times the multiplier */
	EXPECT(first == 0x2000001ULL * 0x2545f4914f6cdd1dULL);
	EXPECT(prandom_u64_state(&b) == first);
	for (int i = 0; i < 1000; i++)
		EXPECT(prandom_u64_state(&a) == prandom_u64_state(&b));
	EXPECT(a != 0);
}

/* Expect page counts converted with the page size: 4 KiB pages give 4 kB each, 256 to the MiB. */
TEST(units)
{
	EXPECT_EQ(pages_to_kb(1), PAGE_SIZE / 1024);
	EXPECT_EQ(pages_to_kb(1UL << 10), 4096);
	EXPECT_EQ(pages_to_mib(PAGES_PER_MIB * 3 + 1), 3);
	EXPECT_EQ(PAGES_PER_MIB * PAGE_SIZE, 1UL << 20);
}
