/*
 * page_types.c - the page-types summarizer: counts pages per combination
 * of kpageflags bits, with Linux's one-letter and long flag names and a
 * -b style filter. Pure computation on numbers: it does not touch the
 * memmap, so the host tool tools/page-types.c compiles it unchanged.
 *
 * Data: a summary is a fixed table of up to PAGE_TYPES_MAX_ROWS distinct
 * flag words with page counts (pages beyond that are counted in
 * ->overflow, never dropped silently). Ballast's migratetype bits (56-59)
 * and movable bit (60) are stripped from the rows unless ->raw is set.
 */
#include <mm/kpageflags.h>
#include <lib/parse.h>
#include <lib/units.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define BALLAST_BITS (0xffULL << 56)
#define NR_NAMED_BITS 42

/* "L:locked": the letter, then the long name (Linux tools/mm/page-types.c). */
static const char * const flag_names[NR_NAMED_BITS] = {
	[KPF_LOCKED] = "L:locked",		[KPF_ERROR] = "E:error",
	[KPF_REFERENCED] = "R:referenced",	[KPF_UPTODATE] = "U:uptodate",
	[KPF_DIRTY] = "D:dirty",		[KPF_LRU] = "l:lru",
	[KPF_ACTIVE] = "A:active",		[KPF_SLAB] = "S:slab",
	[KPF_WRITEBACK] = "W:writeback",	[KPF_RECLAIM] = "I:reclaim",
	[KPF_BUDDY] = "B:buddy",		[KPF_MMAP] = "M:mmap",
	[KPF_ANON] = "a:anonymous",		[KPF_SWAPCACHE] = "s:swapcache",
	[KPF_SWAPBACKED] = "b:swapbacked",	[KPF_COMPOUND_HEAD] = "H:compound_head",
	[KPF_COMPOUND_TAIL] = "T:compound_tail", [KPF_HUGE] = "G:huge",
	[KPF_UNEVICTABLE] = "u:unevictable",	[KPF_HWPOISON] = "X:hwpoison",
	[KPF_NOPAGE] = "n:nopage",		[KPF_KSM] = "x:ksm",
	[KPF_THP] = "t:thp",			[KPF_OFFLINE] = "o:offline",
	[KPF_ZERO_PAGE] = "z:zero_page",	[KPF_IDLE] = "i:idle_page",
	[KPF_PGTABLE] = "g:pgtable",
	[KPF_RESERVED] = "r:reserved",		[KPF_MLOCKED] = "m:mlocked",
	[KPF_MAPPEDTODISK] = "d:mappedtodisk",	[KPF_PRIVATE] = "P:private",
	[KPF_PRIVATE_2] = "p:private_2",	[KPF_OWNER_PRIVATE] = "O:owner_private",
	[KPF_ARCH] = "h:arch",			[KPF_UNCACHED] = "c:uncached",
	[KPF_SOFTDIRTY] = "f:softdirty",	[KPF_ARCH_2] = "H:arch_2",
};

static const char * const mt_names[] = { "unmovable", "movable", "reclaimable", "isolate" };

/* Bit number for a long name or a one-letter name in [s, e); -1 if unknown. */
static int flag_lookup(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	for (int i = 0; i < NR_NAMED_BITS; i++)
		if (flag_names[i] && strlen(flag_names[i] + 2) == n &&
		    !strncmp(flag_names[i] + 2, s, n))
			return i;
	if (n == 1)
		for (int i = 0; i < NR_NAMED_BITS; i++)
			if (flag_names[i] && flag_names[i][0] == *s)
				return i;
	return -1;
}

int page_types_parse_filter(const char *spec, struct page_types_filter *f,
			    char *err, size_t errlen)
{
	struct page_types_filter r = { 0, 0 };
	const char *s = spec;

	while (s && *s) {
		const char *e = s;
		bool neg = false;
		uint64_t mask, bits;

		while (*e && *e != ',')
			e++;
		if (*s == '~') {
			neg = true;
			s++;
		}
		if (e - s > 3 && !strncmp(s, "mt=", 3)) {
			unsigned int i;

			for (i = 0; i < 4; i++)
				if (strlen(mt_names[i]) == (size_t)(e - s - 3) &&
				    !strncmp(mt_names[i], s + 3, (size_t)(e - s - 3)))
					break;
			if (i == 4)
				goto bad;
			mask = KPF_BALLAST_MT_MASK;
			bits = (uint64_t)(i + 1) << KPF_BALLAST_MT_SHIFT;
			if (neg)
				goto bad;
		} else {
			int b = flag_lookup(s, e);

			if (b < 0)
				goto bad;
			mask = 1ULL << b;
			bits = neg ? 0 : mask;
		}
		r.mask |= mask;
		r.bits = (r.bits & ~mask) | bits;
		s = *e ? e + 1 : e;
		continue;
bad:
		if (err)
			snprintf(err, errlen, "unknown flag '%.*s' (names like buddy,slab,~reserved or letters like B,S; mt=movable)",
				 (int)(e - s), s);
		return -EINVAL;
	}
	*f = r;
	return 0;
}

void page_types_init(struct page_types_summary *s, const struct page_types_filter *f)
{
	memset(s, 0, sizeof(*s));
	if (f)
		s->filter = *f;
}

void page_types_add(struct page_types_summary *s, uint64_t flags, unsigned long n)
{
	uint64_t key;

	if ((flags & s->filter.mask) != s->filter.bits)
		return;
	key = s->raw ? flags : flags & ~BALLAST_BITS;
	s->total += n;
	for (unsigned int i = 0; i < s->nr_rows; i++)
		if (s->rows[i].flags == key) {
			s->rows[i].count += n;
			return;
		}
	if (s->nr_rows == PAGE_TYPES_MAX_ROWS) {
		s->overflow += n;
		return;
	}
	s->rows[s->nr_rows].flags = key;
	s->rows[s->nr_rows].count = n;
	s->nr_rows++;
}

void page_types_symbolic(uint64_t flags, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < NR_NAMED_BITS && i + 1 < len; i++)
		buf[i] = flag_names[i] && (flags & (1ULL << i)) ? flag_names[i][0] : '_';
	buf[i] = 0;
}

void page_types_long(uint64_t flags, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int mt = (unsigned int)((flags & KPF_BALLAST_MT_MASK) >> KPF_BALLAST_MT_SHIFT);

	buf[0] = 0;
	for (int i = 0; i < NR_NAMED_BITS && n < len; i++)
		if (flag_names[i] && (flags & (1ULL << i)))
			n += snprintf(buf + n, len - n, "%s%s", n ? "," : "", flag_names[i] + 2);
	if (mt >= 1 && mt <= 4 && n < len)
		n += snprintf(buf + n, len - n, "%smt=%s", n ? "," : "", mt_names[mt - 1]);
	if ((flags & (1ULL << KPF_BALLAST_MOVABLE)) && n < len)
		snprintf(buf + n, len - n, "%smovable_ops", n ? "," : "");
}

void page_types_print(const struct page_types_summary *s, int (*out)(const char *fmt, ...))
{
	unsigned int order[PAGE_TYPES_MAX_ROWS];
	char sym[NR_NAMED_BITS + 1], lng[256];

	for (unsigned int i = 0; i < s->nr_rows; i++) {	/* sort by flags (insertion) */
		unsigned int j = i;

		while (j > 0 && s->rows[order[j - 1]].flags > s->rows[i].flags) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	out("             flags\tpage-count       MB  symbolic-flags\t\t\tlong-symbolic-flags\n");
	for (unsigned int k = 0; k < s->nr_rows; k++) {
		const struct page_types_row *r = &s->rows[order[k]];

		page_types_symbolic(r->flags, sym, sizeof(sym));
		page_types_long(r->flags, lng, sizeof(lng));
		out("0x%016llx\t%10lu %8lu  %s\t%s\n", (unsigned long long)r->flags, r->count,
		    pages_to_mib(r->count), sym, lng);
	}
	if (s->overflow)
		out("  (other combinations)\t%10lu %8lu\n", s->overflow, pages_to_mib(s->overflow));
	out("             total\t%10lu %8lu\n", s->total, pages_to_mib(s->total));
}

/* Skip blanks. */
void buddyinfo_print_zone(const char *zone_name, const unsigned long *nr_free,
			  unsigned int max_order, int (*out)(const char *fmt, ...))
{
	out("Node 0, zone %8s ", zone_name);
	for (unsigned int o = 0; o <= max_order; o++)
		out("%6lu ", nr_free[o]);
	out("\n");
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int page_types_parse_line(const char *line, unsigned long *pfn, unsigned long *count,
			  uint64_t *flags)
{
	const char *p = skip_ws(line);
	uint64_t a, b, c;

	if (!*p || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	if (!parse_u64(&p, 16, &a))
		return -1;
	p = skip_ws(p);
	if (!parse_u64(&p, 10, &b))
		return -1;
	p = skip_ws(p);
	if (!parse_u64(&p, 16, &c)) {
		/* two fields: "pfn flags" (one page) -- b was read as decimal; reread */
		const char *q = skip_ws(line);

		if (!parse_u64(&q, 16, &a))
			return -1;
		q = skip_ws(q);
		if (!parse_u64(&q, 16, &c))
			return -1;
		q = skip_ws(q);
		if (*q && *q != '\n' && *q != '\r')
			return -1;
		*pfn = (unsigned long)a;
		*count = 1;
		*flags = c;
		return 1;
	}
	p = skip_ws(p);
	if (*p && *p != '\n' && *p != '\r')
		return -1;
	if (!b)
		return -1;
	*pfn = (unsigned long)a;
	*count = (unsigned long)b;
	*flags = c;
	return 1;
}
