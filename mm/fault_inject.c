/*
 * fault_inject.c - fail_page_alloc: injected allocation failures.
 *
 * State: one struct fault_attr (fail_page_alloc) with the policy and its
 * statistics, guarded by fi_lock (irqsave; a leaf lock: nothing is taken
 * under it). The allocator's fast path only reads fail_page_alloc.mode
 * (FAIL_OFF costs one load and a branch); every other field, policy and
 * counters, is read and written under fi_lock, so a concurrent
 * fault_inject_parse() (which replaces the whole policy) is never seen
 * half-written. The PRNG is xorshift64*, seeded by
 * "seed=" (default fixed, so a run is reproducible).
 */
#include <mm/fault_inject.h>
#include <mm/vmstat.h>
#include <kernel/printk.h>
#include <lib/parse.h>
#include <lib/prandom.h>
#include <arch/spinlock.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>

struct fault_attr fail_page_alloc;
static DEFINE_SPINLOCK(fi_lock);

#define FI_DEFAULT_SEED 0x5eed5eedULL

static const char * const site_names[NR_FAIL_SITES] = {
	"alloc", "pcp", "zone", "slab", "large" };

const char *fail_site_name(enum fail_site site)
{
	return (unsigned int)site < NR_FAIL_SITES ? site_names[site] : "?";
}

/* Next pseudo-random number (a zero state starts from the default seed). */
static uint64_t fi_rand(struct fault_attr *a)
{
	if (!a->rng)
		a->rng = FI_DEFAULT_SEED;
	return prandom_u64_state(&a->rng);
}

/* Does @a's policy cover this allocation? fi_lock held. */
static bool fi_eligible(const struct fault_attr *a, enum fail_site site, gfp_t gfp,
			unsigned int order)
{
	if (a->mode == FAIL_OFF || !(a->sites & (1u << site)) || order < a->min_order)
		return false;
	if (a->ignore_gfp_nowarn && (gfp & __GFP_NOWARN))
		return false;
	return (gfp & a->require_gfp) == a->require_gfp && !(gfp & a->reject_gfp);
}

bool should_fail_alloc(enum fail_site site, gfp_t gfp, unsigned int order)
{
	struct fault_attr *a = &fail_page_alloc;
	unsigned long flags;
	bool fail = false;

	if (READ_ONCE(a->mode) == FAIL_OFF)
		return false;
	/* the policy is read under fi_lock: fault_inject_parse() replaces it whole */
	spin_lock_irqsave(&fi_lock, flags);
	if (fi_eligible(a, site, gfp, order) && (!a->times || a->injected < a->times)) {
		unsigned long n = ++a->checks;

		switch (a->mode) {
		case FAIL_NTH:
			fail = n == a->n;
			break;
		case FAIL_EVERY:
			fail = a->n && n % a->n == 0;
			break;
		case FAIL_PROB:
			fail = fi_rand(a) % 100 < a->prob_pct;
			break;
		default:
			break;
		}
		if (fail) {
			a->injected++;
			a->injected_site[site]++;
		}
	}
	spin_unlock_irqrestore(&fi_lock, flags);
	if (fail)
		count_vm_event(FAIL_PAGE_ALLOC_INJECTED);
	return fail;
}

void fault_inject_reset(void)
{
	unsigned long flags;

	/* under the lock: another CPU may be inside should_fail_alloc_page() */
	spin_lock_irqsave(&fi_lock, flags);
	memset(&fail_page_alloc, 0, sizeof(fail_page_alloc));
	fail_page_alloc.sites = 1u << FAIL_SITE_ALLOC_PAGES;
	fail_page_alloc.rng = FI_DEFAULT_SEED;
	spin_unlock_irqrestore(&fi_lock, flags);
}

#ifdef HOST_BUILD
spinlock_t *fault_inject_lock_for_test(void)
{
	return &fi_lock;
}
#endif

/* Does the token [s, e) equal @word? */
static bool tok_eq(const char *s, const char *e, const char *word)
{
	return list_item_is(s, (size_t)(e - s), word);
}

/* Parse "alloc+pcp+..." or "all" into a site mask; -1 if unknown. */
static int parse_sites(const char *s, const char *e)
{
	int mask = 0;

	if (tok_eq(s, e, "all"))
		return (1 << NR_FAIL_SITES) - 1;
	while (s < e) {
		const char *t = s;
		int i;

		while (t < e && *t != '+')
			t++;
		for (i = 0; i < NR_FAIL_SITES; i++)
			if (tok_eq(s, t, site_names[i]))
				break;
		if (i == NR_FAIL_SITES)
			return -1;
		mask |= 1 << i;
		s = t < e ? t + 1 : t;
	}
	return mask;
}

int fault_inject_parse(const char *spec)
{
	struct fault_attr a;
	const char *s = spec;

	memset(&a, 0, sizeof(a));
	a.sites = 1u << FAIL_SITE_ALLOC_PAGES;
	a.rng = FI_DEFAULT_SEED;
	if (!spec || !*spec)
		goto bad_empty;
	while (*s) {
		const char *k = s, *ke, *v, *ve;
		uint64_t x;

		while (*s && *s != ',' && *s != ' ')
			s++;
		ve = s;
		if (*s)
			s++;
		if (ve == k)
			continue;
		for (ke = k; ke < ve && *ke != '='; ke++)
			;
		v = ke < ve ? ke + 1 : ve;
		if (tok_eq(k, ke, "off")) {
			a.mode = FAIL_OFF;
			continue;
		}
		if (ke == ve || v == ve) {
			pr_err("fail_page_alloc: '%.*s': expected key=value\n", (int)(ve - k), k);
			return -EINVAL;
		}
		if (tok_eq(k, ke, "sites")) {
			int m = parse_sites(v, ve);

			if (m <= 0) {
				pr_err("fail_page_alloc: unknown site in '%.*s' (sites: alloc pcp zone slab large all, joined by '+')\n",
				       (int)(ve - v), v);
				return -EINVAL;
			}
			a.sites = (unsigned int)m;
			continue;
		}
		if (tok_eq(k, ke, "nowarn")) {
			if (tok_eq(v, ve, "skip"))
				a.ignore_gfp_nowarn = true;
			else if (tok_eq(v, ve, "fail"))
				a.ignore_gfp_nowarn = false;
			else
				goto bad_value;
			continue;
		}
		if (tok_eq(k, ke, "gfp")) {
			if (tok_eq(v, ve, "movable"))
				a.require_gfp = __GFP_MOVABLE;
			else if (tok_eq(v, ve, "unmovable"))
				a.reject_gfp = __GFP_MOVABLE | __GFP_RECLAIMABLE;
			else if (tok_eq(v, ve, "atomic"))
				a.require_gfp = __GFP_ATOMIC;
			else if (tok_eq(v, ve, "kernel"))
				a.require_gfp = __GFP_DIRECT_RECLAIM;
			else if (tok_eq(v, ve, "any"))
				a.require_gfp = a.reject_gfp = 0;
			else
				goto bad_value;
			continue;
		}
		{
			const char *p = v;

			if (!parse_u64(&p, 10, &x))
				goto bad_value;
			if (tok_eq(k, ke, "prob")) {
				if (p < ve && *p == '%')
					p++;
				if (x > 100)
					goto bad_value;
			}
			if (p != ve)
				goto bad_value;
		}
		if (tok_eq(k, ke, "nth") || tok_eq(k, ke, "every")) {
			if (!x)
				goto bad_value;
			a.mode = *k == 'n' ? FAIL_NTH : FAIL_EVERY;
			a.n = x;
		} else if (tok_eq(k, ke, "prob")) {
			a.mode = FAIL_PROB;
			a.prob_pct = (unsigned int)x;
		} else if (tok_eq(k, ke, "order")) {
			if (x > MAX_ORDER)
				goto bad_value;
			a.min_order = (unsigned int)x;
		} else if (tok_eq(k, ke, "times")) {
			a.times = x;
		} else if (tok_eq(k, ke, "seed")) {
			a.rng = x ? x : FI_DEFAULT_SEED;
		} else {
			pr_err("fail_page_alloc: unknown key '%.*s' (keys: nth every prob order times seed sites nowarn gfp off)\n",
			       (int)(ke - k), k);
			return -EINVAL;
		}
		continue;
bad_value:
		pr_err("fail_page_alloc: bad value in '%.*s'\n", (int)(ve - k), k);
		return -EINVAL;
	}
	{
		unsigned long flags;

		spin_lock_irqsave(&fi_lock, flags);
		fail_page_alloc = a;
		spin_unlock_irqrestore(&fi_lock, flags);
	}
	return 0;
bad_empty:
	pr_err("fail_page_alloc: empty spec (e.g. nth=5, every=3,order=2, prob=10%%, off)\n");
	return -EINVAL;
}

void fault_inject_show(void)
{
	static const char * const modes[] = { "off", "nth", "every", "prob" };
	struct fault_attr snap, *a = &snap;
	unsigned long flags;
	char sites[64];
	size_t n = 0;

	spin_lock_irqsave(&fi_lock, flags);	/* one consistent copy to print */
	snap = fail_page_alloc;
	spin_unlock_irqrestore(&fi_lock, flags);

	sites[0] = 0;
	for (int i = 0; i < NR_FAIL_SITES; i++)
		if (a->sites & (1u << i))
			n += snprintf(sites + n, sizeof(sites) - n, "%s%s", n ? "+" : "", site_names[i]);
	printk("fail_page_alloc: mode=%s n=%lu prob=%u%% order>=%u times=%lu sites=%s nowarn=%s require_gfp=%#x reject_gfp=%#x\n",
	       modes[a->mode], a->n, a->prob_pct, a->min_order, a->times, sites,
	       a->ignore_gfp_nowarn ? "skip" : "fail", a->require_gfp, a->reject_gfp);
	printk("fail_page_alloc: checks=%lu injected=%lu (alloc=%lu pcp=%lu zone=%lu slab=%lu large=%lu)\n",
	       a->checks, a->injected, a->injected_site[0], a->injected_site[1],
	       a->injected_site[2], a->injected_site[3], a->injected_site[4]);
}
