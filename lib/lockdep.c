/*
 * lockdep.c - the lock checker: lock classes, the order in which they are
 * taken, and reports when that order, interrupt safety or nesting is wrong.
 * Built with CONFIG_LOCKDEP (debug kernels and the host harness); the
 * interface and the report policy are in <kernel/lockdep.h>, the lock
 * order it checks against in docs/locking.md.
 *
 * Data structures.
 *  - classes[]: one entry per (key, subclass), registered on first use:
 *    name, irq usage bits (USED_IN_IRQ: taken inside an interrupt handler;
 *    ENABLED_IRQ: taken, or held across re-enabling, with interrupts on)
 *    and the first site of each usage. A lock's map caches its class index.
 *  - after[i]: bit j set once class j has been taken while class i was held
 *    in the same context (process or interrupt); edges[] keeps the two
 *    acquisition sites of the first time each edge happened, for reports.
 *  - per CPU (kernel: indexed by arch_cpu_id(); host: per thread, a slot
 *    from host_lockdep.c): the stack of held locks, each with its class,
 *    instance, site, trylock bit and interrupt nesting depth.
 * The global tables only grow. Readers of after[] test bits without the
 * lock (a set bit never clears); every change and every report happens
 * under graph_lock, a bare arch spinlock taken with interrupts off. A CPU
 * inside the checker has recursion set, so a lock taken while printing a
 * report (the console's, say) is not checked again.
 *
 * Checks, at each acquisition of class C by this CPU:
 *  - recursion: an entry of the held stack is this very lock (certain
 *    deadlock), or another lock of class C (possible ABBA between two
 *    instances; annotate with spin_lock_nested() when the order is fixed).
 *    A trylock is not checked: it cannot wait, so it cannot deadlock; a
 *    trylock of a lock this CPU holds simply fails.
 *  - irq safety: C used in irq context and C taken with irqs enabled.
 *  - order: for each held class H (same context) without an edge H->C, if C
 *    already reaches H through recorded edges, taking C now closes a cycle:
 *    report the new edge's two sites, the recorded path with its sites, and
 *    every CPU's held locks. Then record H->C (so a report is not repeated).
 *    Trylocks record no edge into themselves (they cannot wait) but are
 *    held, so locks taken under them do get edges.
 * At release: a lock this CPU does not hold is reported; a release below
 * the top of the stack is allowed (it cannot deadlock) and counted.
 *
 * Bounds: LOCKDEP_MAX_CLASSES, _EDGES, _DEPTH. When a table fills the
 * checker prints why, disarms itself (stats.armed = false) and stops
 * checking; the ktest and the host harness fail on a disarmed checker, so
 * a full table is noticed, never silently unchecked.
 */
#include <kernel/lockdep.h>
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <arch/spinlock.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifdef CONFIG_LOCKDEP

#ifndef HOST_BUILD
#include <kernel/kernel.h>	/* kernel_test_mode */
#endif

enum { USED_IN_IRQ = 1, ENABLED_IRQ = 2 };

struct lock_class {
	const void *key;
	unsigned int subclass;
	const char *name;
	unsigned int usage;
	bool recursion_reported;
	struct lockdep_site usage_site[2];	/* [0] in irq, [1] irqs enabled */
};

struct lock_edge {
	unsigned short from, to;
	struct lockdep_site from_site, to_site;
};

struct held_lock {
	const void *instance;
	unsigned short class_idx;
	unsigned char trylock;
	unsigned char irq_depth;
	struct lockdep_site site;
};

struct lockdep_cpu {
	unsigned int depth;
	unsigned int recursion;
	unsigned int cpu;		/* arch_cpu_id() at the last acquisition */
	struct held_lock held[LOCKDEP_MAX_DEPTH];
};

static struct lock_class classes[LOCKDEP_MAX_CLASSES];
static unsigned int nr_classes;
static uint64_t after[LOCKDEP_MAX_CLASSES];
static struct lock_edge edges[LOCKDEP_MAX_EDGES];
static unsigned int nr_edges;
static arch_spinlock_t graph_lock = ARCH_SPINLOCK_INIT;
static struct lockdep_stats stats = { .armed = true };
static unsigned int expecting;
static struct lockdep_report last;
static bool have_last;
static char report_text[4096];
static size_t report_len;

/* ---- per-CPU state: the kernel's array, or the host harness's per-thread slots ---- */

#ifdef HOST_BUILD
struct lockdep_cpu *host_lockdep_this(unsigned int size);
struct lockdep_cpu *host_lockdep_slot(unsigned int i, unsigned int *cpu_id);
#define LOCKDEP_SLOTS 256
static struct lockdep_cpu *this_state(void) { return host_lockdep_this(sizeof(struct lockdep_cpu)); }
static struct lockdep_cpu *slot_state(unsigned int i, unsigned int *cpu)
{
	return host_lockdep_slot(i, cpu);
}
#else
static struct lockdep_cpu cpu_state[NR_CPUS];
#define LOCKDEP_SLOTS NR_CPUS
static struct lockdep_cpu *this_state(void) { return &cpu_state[arch_cpu_id()]; }
static struct lockdep_cpu *slot_state(unsigned int i, unsigned int *cpu)
{
	*cpu = i;
	return &cpu_state[i];
}
#endif

/* ---- reports ---- */

static const char *const kind_names[LOCKDEP_NR_KINDS] = {
	[LOCKDEP_INVERSION] = "lock order inversion",
	[LOCKDEP_IRQ_UNSAFE] = "irq-safe and irq-unsafe use of one lock class",
	[LOCKDEP_RECURSION] = "recursive locking: this CPU already holds this lock",
	[LOCKDEP_RECURSIVE_CLASS] = "possible recursive locking: two locks of one class",
	[LOCKDEP_BAD_UNLOCK] = "unlock of a lock this CPU does not hold",
};

/* Append one formatted line to the report text and print it. */
static __printf(1, 2) void rep(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (report_len + n + 1 < sizeof(report_text)) {
		memcpy(report_text + report_len, line, n);
		report_len += n;
		report_text[report_len] = 0;
	}
	printk("%s", line);
}

/* A class's printable name ("&zone->lock", "x/1" for subclass 1). */
static const char *class_name(unsigned int i, char *buf, size_t n)
{
	const struct lock_class *c = &classes[i];

	if (!c->name)	/* SPINLOCK_INIT or a zeroed lock: the key is the lock's map */
		snprintf(buf, n, "(unnamed lock, map %p)/%u", c->key, c->subclass);
	else if (c->subclass)
		snprintf(buf, n, "%s/%u", c->name, c->subclass);
	else
		return c->name;
	return buf;
}

/* Start a report of @kind on this CPU; graph_lock held. */
static void report_begin(enum lockdep_report_kind kind, unsigned int cpu)
{
	bool exp = __atomic_load_n(&expecting, __ATOMIC_RELAXED);

	if (exp) {
		stats.expected++;
	} else {
		stats.reports++;
		stats.by_kind[kind]++;
	}
	memset(&last, 0, sizeof(last));
	last.kind = kind;
	last.cpu = cpu;
	have_last = true;
	report_len = 0;
	report_text[0] = 0;
	rep("\n=== lockdep: %s, on CPU %u%s ===\n", kind_names[kind], cpu,
	    exp ? " (expected by a self-test)" : "");
}

/* Print every CPU's held locks, end the report; graph_lock held. */
static void report_end(void)
{
	char nb[96];

	rep("  held locks, every CPU:\n");
	for (unsigned int s = 0; s < LOCKDEP_SLOTS; s++) {
		unsigned int cpu;
		struct lockdep_cpu *st = slot_state(s, &cpu);
		unsigned int depth;

		if (!st)
			continue;
		depth = __atomic_load_n(&st->depth, __ATOMIC_ACQUIRE);
		if (st != this_state() && !depth)
			continue;
#ifdef HOST_BUILD
		cpu = __atomic_load_n(&st->cpu, __ATOMIC_RELAXED);	/* a thread plays any CPU */
#endif
		rep("    cpu %u: %u held%s\n", cpu, depth, depth ? ":" : "");
		for (unsigned int i = 0; i < depth && i < LOCKDEP_MAX_DEPTH; i++) {
			struct held_lock h = st->held[i];
			if (h.class_idx >= nr_classes)
				continue;
			rep("      #%u %s (%p) at %s:%d%s%s\n", i,
			    class_name(h.class_idx, nb, sizeof(nb)), h.instance,
			    h.site.file, h.site.line, h.trylock ? " trylock" : "",
			    h.irq_depth ? " in irq" : "");
		}
	}
	rep("=== end of lockdep report ===\n");
#ifndef HOST_BUILD
	if (kernel_test_mode && !__atomic_load_n(&expecting, __ATOMIC_RELAXED))
		panic("lockdep: %s (a test boot stops on the first lock report)",
		      kind_names[last.kind]);
#endif
}

/* Stop checking for good: a table is full. graph_lock held. */
static void lockdep_disarm(const char *why)
{
	if (!stats.armed)
		return;
	stats.disarmed_why = why;
	__atomic_store_n(&stats.armed, false, __ATOMIC_RELAXED);
	printk("lockdep: %s: the lock checker is off from here on\n", why);
}

/* ---- classes and edges (graph_lock held) ---- */

/* The class of @map at @sub, registered if new; -1 if the table is full. */
static int __class_lookup(struct lockdep_map *map, unsigned int sub)
{
	const void *key = map->key ? (const void *)map->key : (const void *)map;

	for (unsigned int i = 0; i < nr_classes; i++)
		if (classes[i].key == key && classes[i].subclass == sub)
			return i;
	if (nr_classes == LOCKDEP_MAX_CLASSES) {
		lockdep_disarm("lock class table full (LOCKDEP_MAX_CLASSES)");
		return -1;
	}
	classes[nr_classes] = (struct lock_class){ .key = key, .subclass = sub, .name = map->name };
	stats.classes = nr_classes + 1;
	return nr_classes++;
}

/* The recorded edge @from -> @to. */
static const struct lock_edge *edge_find(unsigned int from, unsigned int to)
{
	for (unsigned int i = 0; i < nr_edges; i++)
		if (edges[i].from == from && edges[i].to == to)
			return &edges[i];
	return NULL;
}

/* Is there a path @from ->...-> @to? parent[] gives it backwards. */
static bool path_exists(unsigned int from, unsigned int to, unsigned char *parent)
{
	uint64_t seen = 1ULL << from, frontier = seen;

	while (frontier) {
		uint64_t next = 0;
		for (unsigned int i = 0; i < nr_classes; i++) {
			uint64_t nb;
			if (!(frontier & (1ULL << i)))
				continue;
			nb = __atomic_load_n(&after[i], __ATOMIC_RELAXED) & ~seen;
			for (unsigned int j = 0; j < nr_classes; j++)
				if (nb & (1ULL << j))
					parent[j] = i;
			next |= nb;
			seen |= nb;
		}
		if (seen & (1ULL << to))
			return true;
		frontier = next;
	}
	return false;
}

/* Report that taking @c (at @site) under @h closes the cycle c ->...-> h. */
static void report_inversion(unsigned int cpu, const struct held_lock *h, unsigned int c,
			     struct lockdep_site site, const unsigned char *parent)
{
	char b1[96], b2[96];
	unsigned int path[LOCKDEP_MAX_CLASSES], n = 0;

	for (unsigned int v = h->class_idx; v != c && n < LOCKDEP_MAX_CLASSES; v = parent[v])
		path[n++] = v;
	path[n++] = c;		/* path[n-1] = c, ..., path[0] = held class */
	report_begin(LOCKDEP_INVERSION, cpu);
	last.class_name[0] = classes[c].name;
	last.class_name[1] = classes[h->class_idx].name;
	last.site[0] = h->site;
	last.site[1] = site;
	rep("  taking %s at %s:%d\n", class_name(c, b1, sizeof(b1)), site.file, site.line);
	rep("  while holding %s, taken at %s:%d\n",
	    class_name(h->class_idx, b2, sizeof(b2)), h->site.file, h->site.line);
	rep("  but the recorded order already has %s before %s:\n",
	    class_name(c, b1, sizeof(b1)), class_name(h->class_idx, b2, sizeof(b2)));
	for (unsigned int k = n - 1; k > 0; k--) {
		const struct lock_edge *e = edge_find(path[k], path[k - 1]);
		if (!e)
			continue;
		if (k == n - 1)
			last.site[2] = e->from_site;
		if (k == 1)
			last.site[3] = e->to_site;
		rep("    %s taken at %s:%d, then %s at %s:%d\n",
		    class_name(e->from, b1, sizeof(b1)), e->from_site.file, e->from_site.line,
		    class_name(e->to, b2, sizeof(b2)), e->to_site.file, e->to_site.line);
	}
	rep("  one CPU taking them in the first order and another in the second deadlocks\n");
	report_end();
}

/* Record @h's class -> @c (checking for a cycle first). */
static void __add_edge(unsigned int cpu, const struct held_lock *h, unsigned int c,
		       struct lockdep_site site)
{
	unsigned char parent[LOCKDEP_MAX_CLASSES];
	unsigned int from = h->class_idx;

	if (after[from] & (1ULL << c))
		return;		/* another CPU added it meanwhile */
	if (nr_edges == LOCKDEP_MAX_EDGES) {
		lockdep_disarm("lock order edge table full (LOCKDEP_MAX_EDGES)");
		return;
	}
	if (path_exists(c, from, parent))
		report_inversion(cpu, h, c, site, parent);
	edges[nr_edges++] = (struct lock_edge){ from, c, h->site, site };
	stats.edges = nr_edges;
	__atomic_fetch_or(&after[from], 1ULL << c, __ATOMIC_RELEASE);
}

/* Mark @c's usage @bit at @site; report if it now has both. */
static void __mark_usage(unsigned int cpu, unsigned int c, unsigned int bit,
			 struct lockdep_site site)
{
	struct lock_class *cl = &classes[c];
	char nb[96];

	if (cl->usage & bit)
		return;
	__atomic_store_n(&cl->usage, cl->usage | bit, __ATOMIC_RELAXED);
	cl->usage_site[bit == USED_IN_IRQ ? 0 : 1] = site;
	if (cl->usage != (USED_IN_IRQ | ENABLED_IRQ))
		return;
	report_begin(LOCKDEP_IRQ_UNSAFE, cpu);
	last.class_name[0] = cl->name;
	last.site[0] = cl->usage_site[0];
	last.site[1] = cl->usage_site[1];
	last.site[2] = site;
	rep("  %s is taken in interrupt context, at %s:%d\n", class_name(c, nb, sizeof(nb)),
	    cl->usage_site[0].file, cl->usage_site[0].line);
	rep("  and with interrupts enabled, at %s:%d\n",
	    cl->usage_site[1].file, cl->usage_site[1].line);
	rep("  an interrupt arriving while this CPU holds it outside the handler deadlocks\n");
	report_end();
}

/* ---- the hooks ---- */

void lockdep_init_map(struct lockdep_map *map, const char *name,
		      const struct lock_class_key *key)
{
	map->name = name;
	map->key = key;
	map->class_idx = 0;
}

/* Enter the checker on this CPU; NULL if it must not check now. */
static struct lockdep_cpu *lockdep_enter(unsigned long *flags)
{
	struct lockdep_cpu *st;

	if (!__atomic_load_n(&stats.armed, __ATOMIC_RELAXED))
		return NULL;
	*flags = local_irq_save();
	st = this_state();
	if (!st || st->recursion) {
		local_irq_restore(*flags);
		return NULL;
	}
	st->recursion++;
	return st;
}

static void lockdep_leave(struct lockdep_cpu *st, unsigned long flags)
{
	st->recursion--;
	local_irq_restore(flags);
}

/* The class of @map at @sub (cached for subclass 0); -1 if none can be had. */
static int class_of(struct lockdep_map *map, unsigned int sub)
{
	int c;

	if (sub >= LOCKDEP_MAX_SUBCLASSES)
		sub = LOCKDEP_MAX_SUBCLASSES - 1;
	if (!sub) {
		unsigned short cached = __atomic_load_n(&map->class_idx, __ATOMIC_RELAXED);
		if (cached)
			return cached - 1;
	}
	arch_spin_lock(&graph_lock);
	c = __class_lookup(map, sub);
	arch_spin_unlock(&graph_lock);
	if (c >= 0 && !sub)
		__atomic_store_n(&map->class_idx, (unsigned short)(c + 1), __ATOMIC_RELAXED);
	return c;
}

/* Recursion check for taking @instance of class @c; graph_lock held. */
static void __check_recursion(struct lockdep_cpu *st, unsigned int cpu, const void *instance,
			      unsigned int c, struct lockdep_site site)
{
	char nb[96];

	for (unsigned int i = 0; i < st->depth; i++) {
		const struct held_lock *h = &st->held[i];
		bool same = h->instance == instance;

		if (!same && (h->class_idx != c || classes[c].recursion_reported))
			continue;
		if (!same)
			classes[c].recursion_reported = true;
		report_begin(same ? LOCKDEP_RECURSION : LOCKDEP_RECURSIVE_CLASS, cpu);
		last.class_name[0] = classes[c].name;
		last.class_name[1] = classes[h->class_idx].name;
		last.site[0] = h->site;
		last.site[1] = site;
		rep("  taking %s (%p) at %s:%d\n", class_name(c, nb, sizeof(nb)), instance,
		    site.file, site.line);
		rep("  already held%s (%p), taken at %s:%d\n",
		    same ? "" : ": another lock of the same class", h->instance,
		    h->site.file, h->site.line);
		if (!same)
			rep("  if the order between the two is fixed, take the second with spin_lock_nested()\n");
		report_end();
		return;
	}
}

void lock_acquire(struct lockdep_map *map, const void *instance, unsigned int sub,
		  bool trylock, const char *file, int line)
{
	struct lockdep_site site = { file, line };
	unsigned long flags;
	struct lockdep_cpu *st = lockdep_enter(&flags);
	unsigned int irq_depth, cpu;
	int c;

	if (!st)
		return;
	__atomic_fetch_add(&stats.acquisitions, 1, __ATOMIC_RELAXED);
	c = class_of(map, sub);
	if (c < 0)
		goto out;
	cpu = arch_cpu_id();
	__atomic_store_n(&st->cpu, cpu, __ATOMIC_RELAXED);
	irq_depth = arch_irq_depth();
	if (!trylock) {
		arch_spin_lock(&graph_lock);
		__check_recursion(st, cpu, instance, c, site);
		arch_spin_unlock(&graph_lock);
	}
	/* interrupt safety: which of the two uses this acquisition is */
	{
		unsigned int bit = irq_depth ? USED_IN_IRQ : (flags & (1UL << 9)) ? ENABLED_IRQ : 0;
		if (bit && !(__atomic_load_n(&classes[c].usage, __ATOMIC_RELAXED) & bit)) {
			arch_spin_lock(&graph_lock);
			__mark_usage(cpu, c, bit, site);
			arch_spin_unlock(&graph_lock);
		}
	}
	/* order: an edge from every held lock of this context, unless known */
	for (unsigned int i = 0; !trylock && i < st->depth; i++) {
		const struct held_lock *h = &st->held[i];
		if (h->irq_depth != irq_depth || h->class_idx == c)
			continue;
		if (__atomic_load_n(&after[h->class_idx], __ATOMIC_ACQUIRE) & (1ULL << c))
			continue;
		arch_spin_lock(&graph_lock);
		__add_edge(cpu, h, c, site);
		arch_spin_unlock(&graph_lock);
	}
	if (st->depth == LOCKDEP_MAX_DEPTH) {
		arch_spin_lock(&graph_lock);
		lockdep_disarm("held-lock stack full (LOCKDEP_MAX_DEPTH)");
		arch_spin_unlock(&graph_lock);
		goto out;
	}
	st->held[st->depth] = (struct held_lock){ instance, (unsigned short)c, trylock,
						  (unsigned char)irq_depth, site };
	__atomic_store_n(&st->depth, st->depth + 1, __ATOMIC_RELEASE);
out:
	lockdep_leave(st, flags);
}

void lock_release(struct lockdep_map *map, const void *instance, const char *file, int line)
{
	unsigned long flags;
	struct lockdep_cpu *st = lockdep_enter(&flags);
	char nb[96];
	int i;

	if (!st)
		return;
	for (i = (int)st->depth - 1; i >= 0; i--)
		if (st->held[i].instance == instance)
			break;
	if (i < 0) {
		int c = class_of(map, 0);
		arch_spin_lock(&graph_lock);
		report_begin(LOCKDEP_BAD_UNLOCK, arch_cpu_id());
		last.class_name[0] = c >= 0 ? classes[c].name : map->name;
		last.site[1] = (struct lockdep_site){ file, line };
		rep("  releasing %s (%p) at %s:%d, which this CPU does not hold\n",
		    c >= 0 ? class_name(c, nb, sizeof(nb)) : "?", instance, file, line);
		report_end();
		arch_spin_unlock(&graph_lock);
		goto out;
	}
	if (i != (int)st->depth - 1)
		__atomic_fetch_add(&stats.unordered_unlocks, 1, __ATOMIC_RELAXED);
	for (; i + 1 < (int)st->depth; i++)
		st->held[i] = st->held[i + 1];
	__atomic_store_n(&st->depth, st->depth - 1, __ATOMIC_RELEASE);
out:
	lockdep_leave(st, flags);
}

void lockdep_hardirqs_on(const char *file, int line)
{
	struct lockdep_site site = { file, line };
	unsigned long flags;
	struct lockdep_cpu *st;

	if (arch_irq_depth())
		return;		/* a handler that re-enables: still irq context */
	st = lockdep_enter(&flags);
	if (!st)
		return;
	for (unsigned int i = 0; i < st->depth; i++) {
		unsigned int c = st->held[i].class_idx;
		if (__atomic_load_n(&classes[c].usage, __ATOMIC_RELAXED) & ENABLED_IRQ)
			continue;
		arch_spin_lock(&graph_lock);
		__mark_usage(arch_cpu_id(), c, ENABLED_IRQ, site);
		arch_spin_unlock(&graph_lock);
	}
	lockdep_leave(st, flags);
}

void lockdep_get_stats(struct lockdep_stats *out)
{
	*out = stats;
}

bool lockdep_last_report(struct lockdep_report *r)
{
	if (have_last)
		*r = last;
	return have_last;
}

const char *lockdep_last_report_text(void)
{
	return report_text;
}

void lockdep_expect_begin(void)
{
	__atomic_fetch_add(&expecting, 1, __ATOMIC_SEQ_CST);
}

unsigned long lockdep_expect_end(void)
{
	__atomic_fetch_sub(&expecting, 1, __ATOMIC_SEQ_CST);
	return stats.expected;
}

unsigned int lockdep_reset_held(void)
{
	struct lockdep_cpu *st = this_state();
	unsigned int n = st ? st->depth : 0;

	if (st)
		__atomic_store_n(&st->depth, 0, __ATOMIC_RELEASE);
	return n;
}

void lockdep_print_state(void)
{
	char b1[96], b2[96];
	unsigned long flags = local_irq_save();
	struct lockdep_cpu *st = this_state();

	if (st)
		st->recursion++;	/* a lock the console takes is not checked meanwhile */
	arch_spin_lock(&graph_lock);
	printk("lockdep: %s%s%s\n", stats.armed ? "armed" : "OFF",
	       stats.disarmed_why ? ": " : "", stats.disarmed_why ? stats.disarmed_why : "");
	printk("classes: %u of %u\n", nr_classes, LOCKDEP_MAX_CLASSES);
	for (unsigned int i = 0; i < nr_classes; i++)
		printk("  %2u %-32s%s%s\n", i, class_name(i, b1, sizeof(b1)),
		       classes[i].usage & USED_IN_IRQ ? " in-irq" : "",
		       classes[i].usage & ENABLED_IRQ ? " irqs-on" : "");
	printk("edges: %u of %u\n", nr_edges, LOCKDEP_MAX_EDGES);
	for (unsigned int i = 0; i < nr_edges; i++)
		printk("  %s -> %s (%s:%d, then %s:%d)\n",
		       class_name(edges[i].from, b1, sizeof(b1)), class_name(edges[i].to, b2, sizeof(b2)),
		       edges[i].from_site.file, edges[i].from_site.line,
		       edges[i].to_site.file, edges[i].to_site.line);
	printk("acquisitions: %lu\n", stats.acquisitions);
	printk("unordered unlocks: %lu\n", stats.unordered_unlocks);
	printk("reports: %lu (inversion %lu, irq %lu, recursion %lu, class recursion %lu, "
	       "bad unlock %lu)\n", stats.reports, stats.by_kind[LOCKDEP_INVERSION],
	       stats.by_kind[LOCKDEP_IRQ_UNSAFE], stats.by_kind[LOCKDEP_RECURSION],
	       stats.by_kind[LOCKDEP_RECURSIVE_CLASS], stats.by_kind[LOCKDEP_BAD_UNLOCK]);
	printk("expected reports (self-tests): %lu\n", stats.expected);
	arch_spin_unlock(&graph_lock);
	if (st)
		st->recursion--;
	local_irq_restore(flags);
}

#else /* !CONFIG_LOCKDEP: the state says so */

void lockdep_get_stats(struct lockdep_stats *st)
{
	*st = (struct lockdep_stats){ .armed = false, .disarmed_why = "not built (CONFIG_LOCKDEP off)" };
}

void lockdep_print_state(void)
{
	printk("lockdep: not built (release build, CONFIG_LOCKDEP off)\n");
}

bool lockdep_last_report(struct lockdep_report *r) { return false; }
const char *lockdep_last_report_text(void) { return ""; }
void lockdep_expect_begin(void) { }
unsigned long lockdep_expect_end(void) { return 0; }
unsigned int lockdep_reset_held(void) { return 0; }

#endif
