/*
 * lib/parse.c - unsigned numbers and comma lists (see <lib/parse.h>).
 *
 * parse_u64() is the only digit loop in the tree: it checks for overflow
 * before each multiply-add (v * base + d must stay <= UINT64_MAX), so a
 * caller never sees a wrapped value, and it stores nothing on failure, so
 * a caller's default survives a bad option. list_next_item() splits on
 * commas without copying, so a caller can print the offending item with
 * "%.*s".
 */
#include <lib/parse.h>
#include <string.h>

/* Value of the digit @c in @base, or -1 if it is not one. */
static int digit_value(char c, unsigned int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool parse_u64(const char **s, unsigned int base, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	int d, digits = 0;

	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (base == 0) {
		base = 10;
	}
	if (base != 10 && base != 16)
		return false;
	for (; (d = digit_value(*p, base)) >= 0; p++, digits++) {
		if (x > (UINT64_MAX - (uint64_t)d) / base)
			return false;
		x = x * base + (uint64_t)d;
	}
	if (!digits)
		return false;
	*s = p;
	*v = x;
	return true;
}

bool parse_u64_str(const char *s, unsigned int base, uint64_t *v)
{
	uint64_t x;

	if (!s || !parse_u64(&s, base, &x) || *s)
		return false;
	*v = x;
	return true;
}

bool list_next_item(const char **cur, const char **item, size_t *len)
{
	const char *p = *cur, *e;

	if (!p)
		return false;
	e = strchr(p, ',');
	*item = p;
	*len = e ? (size_t)(e - p) : strlen(p);
	*cur = e ? e + 1 : NULL;
	return true;
}

bool list_item_is(const char *item, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(item, name, len);
}
