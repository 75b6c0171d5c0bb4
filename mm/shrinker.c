/*
 * shrinker.c - caches that give pages back, and pressure notifications.
 *
 * A shrinker is a cache's promise to free memory on demand: count() says
 * how many pages it could free, scan(nr) frees up to nr of them and says
 * how many it did. Shrinkers sit on one list in registration order.
 * shrink_memory(nr, reason) walks the list asking each enabled shrinker
 * for min(count, remaining, SHRINK_BATCH_MAX) pages, round after round,
 * until @nr pages are credited or a round makes no progress. Two callers
 * in mm and drivers: the allocation slow path (a hook at the RECLAIM stage,
 * after direct compaction and before the balloon's deflate-on-OOM) and a
 * balloon inflate that found no free page (virtio_balloon_core.c).
 *
 * Nothing here trusts a shrinker. Every answer is checked before it is
 * used: a negative count, a scan that claims more than it was asked or
 * returns a negative number other than SHRINK_STOP, is reported with the
 * shrinker's name and the numbers, counted in ->errors and credited as
 * (at most) what was asked; after SHRINKER_MAX_ERRORS reports the
 * shrinker is disabled and never called again. A scan that does not return
 * cannot be stopped on a kernel without preemption, so the running call is
 * published (shrinker, nr, start time) and the timer tick's
 * shrinker_watchdog() reports it once it passes the deadline; a scan that
 * comes back late is counted as an error too. Double frees and frees of
 * pages a shrinker never owned are the page allocator's checks
 * (bad_page), not ours.
 *
 * Re-entry: a scan may allocate, and that allocation may take the slow
 * path back here. Only one shrink runs at a time (shrink_running, taken
 * with an atomic exchange); a nested or concurrent caller gets 0 at once
 * and is counted in shrink_stats.reentered.
 *
 * Pressure: three levels with thresholds in free pages (LOW below
 * pressure_low, CRITICAL below pressure_critical) and hysteresis: the
 * level goes up as soon as free pages cross a threshold downwards, and
 * comes down only when they rise pressure_hyst pages above it. Each change
 * calls every notifier with the new level (NONE after LOW/CRITICAL is the
 * "recovered" notification). Defaults, computed from totalram_pages() on
 * first use: low = total/16, critical = total/64, hysteresis = total/128.
 *
 * Several CPUs may evaluate the level at once. The level is decided under
 * shrinker_lock, but notifiers run without it, so two CPUs notifying
 * their own decisions could deliver them in the wrong order and leave the
 * notifiers believing a level that no longer holds. So one CPU at a time
 * delivers (pressure_delivering), and it delivers the *current* level
 * until the notifiers have it; a CPU that finds a delivery running leaves
 * its change to that CPU. Under concurrency a short-lived intermediate
 * level may be skipped; the last notification always names the level
 * that holds.
 *
 * Unregistering: callbacks run from snapshots, so a CPU may be about to
 * call a shrinker or notifier another CPU just unregistered (and whose
 * owner frees it as soon as unregister returns: ballast_unregister_shrinker).
 * Each CPU counts the snapshots it holds (snap_depth) and bumps snap_gen
 * when it holds none; unregister_shrinker() and
 * unregister_pressure_notifier(), after taking the entry off its list,
 * wait until every other CPU that held a snapshot then has let go of it
 * (depth 0 or a new generation). Snapshots taken later cannot hold the
 * entry. The caller's own CPU is not waited for (it may be inside a
 * callback of that very entry): instead, an entry unregistered while this
 * CPU holds snapshots is recorded in the CPU's "gone" list, and the pass
 * skips it from then on and never touches it after its callback returns,
 * so its owner may free it as soon as unregister returns, even from
 * inside the callback. Unregister waits with interrupts on (the other
 * CPU's scan may be waiting for this CPU to answer a drain IPI).
 *
 * Locking: shrinker_lock (irqsave) protects the two lists, the level and
 * the decision to install the slow-path hook (two CPUs registering their
 * first shrinkers must not both install it); callbacks run without it,
 * from a snapshot, so they may (un)register other shrinkers.
 */
#include <mm/shrinker.h>
#include <mm/page_alloc.h>
#include <mm/gfp.h>
#include <kernel/printk.h>
#include <kernel/bug.h>
#include <arch/spinlock.h>
#include <arch/cpu.h>
#include <errno.h>
#include <string.h>

#define SHRINK_SNAP_MAX	16
#define SHRINK_SLOWPATH_MIN	32ul	/* pages asked for a slow-path allocation */

static spinlock_t shrinker_lock = SPINLOCK_INIT;
static unsigned int snap_depth[NR_CPUS];	/* snapshots this CPU holds now */
static unsigned long snap_gen[NR_CPUS];		/* bumped when its depth returns to 0 */
/* Entries this CPU unregistered while holding snapshots (reset at depth 0). */
#define SNAP_GONE_MAX	SHRINK_SNAP_MAX
static const void *snap_gone_list[NR_CPUS][SNAP_GONE_MAX];
static unsigned int snap_ngone[NR_CPUS];
static bool snap_gone_overflow[NR_CPUS];	/* more than SNAP_GONE_MAX: every entry counts as gone */
static LIST_HEAD(shrinker_list);
static LIST_HEAD(pressure_list);
static unsigned int shrink_running;
static struct alloc_slowpath_hook shrink_hook;
static bool shrink_hook_on;

struct shrink_stats shrink_stats;
uint64_t (*shrinker_clock_ns)(void);
unsigned int shrinker_deadline_ms = SHRINKER_DEADLINE_MS;

/* The scan in progress, for the watchdog (written by the shrinking CPU). */
static struct shrinker *volatile running;
static volatile unsigned long running_nr;
static volatile uint64_t running_since;
static volatile bool running_reported;

static unsigned long pressure_low, pressure_critical, pressure_hyst;
static enum pressure_level cur_level, delivered_level;	/* decided; last notified */
static unsigned long cur_free;		/* free pages when cur_level was decided */
static unsigned int pressure_delivering;	/* a CPU is running the notifiers */
unsigned long pressure_events;

#ifdef HOST_BUILD
void (*shrinker_test_register_hook)(void);
void (*shrinker_test_notify_hook)(void);
#define shrinker_test_hook(h) do { if (h) { void (*f)(void) = (h); (h) = NULL; f(); } } while (0)
#else
#define shrinker_test_hook(h) do { } while (0)
#endif

static const char *const reason_names[NR_SHRINK_REASONS] = {
	"allocation", "balloon inflate", "explicit" };

/* Record one contract violation of @s; disable it at SHRINKER_MAX_ERRORS. */
static void shrinker_error(struct shrinker *s, const char *fmt, long a, long b)
{
	s->errors++;
	printk("shrinker %s: ", s->name ? s->name : "?");
	printk(fmt, a, b);
	if (s->errors >= SHRINKER_MAX_ERRORS && !s->disabled) {
		s->disabled = true;
		printk("shrinker %s: disabled after %lu contract violations\n",
		       s->name ? s->name : "?", s->errors);
	}
}

/* This CPU holds a snapshot from now on (shrinker_lock held). */
static void __snap_begin(void)
{
	__atomic_fetch_add(&snap_depth[arch_cpu_id()], 1, __ATOMIC_RELAXED);
}

/* This CPU is done with a snapshot taken with __snap_begin(). */
static void snap_end(void)
{
	unsigned int me = arch_cpu_id();

	if (__atomic_sub_fetch(&snap_depth[me], 1, __ATOMIC_RELEASE) == 0) {
		snap_ngone[me] = 0;
		snap_gone_overflow[me] = false;
		__atomic_fetch_add(&snap_gen[me], 1, __ATOMIC_RELEASE);
	}
}

/* Remember that this CPU unregistered @entry while its snapshots may still list it. */
static void snap_mark_gone(const void *entry)
{
	unsigned int me = arch_cpu_id();

	if (!snap_depth[me])
		return;
	if (snap_ngone[me] < SNAP_GONE_MAX)
		snap_gone_list[me][snap_ngone[me]++] = entry;
	else
		snap_gone_overflow[me] = true;
}

/* Has this CPU unregistered @entry during its current snapshots? (Compares pointers only.) */
static bool snap_gone(const void *entry)
{
	unsigned int me = arch_cpu_id();

	if (snap_gone_overflow[me])
		return true;
	for (unsigned int i = 0; i < snap_ngone[me]; i++)
		if (snap_gone_list[me][i] == entry)
			return true;
	return false;
}

/* Wait until no other CPU still holds a snapshot taken before the caller unlisted an entry. */
static void snap_wait_others(void)
{
	unsigned int me = arch_cpu_id();
	unsigned long gen[NR_CPUS];
	unsigned long flags;
	bool held[NR_CPUS];

	spin_lock_irqsave(&shrinker_lock, flags);	/* orders us after every __snap_begin */
	for (unsigned int c = 0; c < NR_CPUS; c++) {
		held[c] = c != me && __atomic_load_n(&snap_depth[c], __ATOMIC_ACQUIRE);
		gen[c] = __atomic_load_n(&snap_gen[c], __ATOMIC_ACQUIRE);
	}
	spin_unlock_irqrestore(&shrinker_lock, flags);
	for (unsigned int c = 0; c < NR_CPUS; c++)
		while (held[c] && __atomic_load_n(&snap_depth[c], __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&snap_gen[c], __ATOMIC_ACQUIRE) == gen[c]) {
			flags = local_irq_save();	/* interrupts on between turns: */
			local_irq_restore(flags);	/* answer the other CPU's IPIs */
			cpu_relax();
		}
}

/* The allocation slow path's hook: > 0 when shrinkers freed something. */
static int shrink_slowpath(gfp_t gfp, unsigned int order, void *priv)
{
	unsigned long want = MAX(SHRINK_SLOWPATH_MIN, 1ul << order);

	pressure_update(nr_free_pages());
	return shrink_memory(want, SHRINK_ALLOC) ? 1 : 0;
}

int register_shrinker(struct shrinker *s)
{
	unsigned long flags;
	bool first;

	if (!s || !s->count || !s->scan)
		return -EINVAL;
	spin_lock_irqsave(&shrinker_lock, flags);
	if (s->registered) {
		spin_unlock_irqrestore(&shrinker_lock, flags);
		return -EBUSY;
	}
	s->registered = true;
	s->disabled = false;
	s->count_calls = s->scan_calls = s->asked = s->freed = 0;
	s->stops = s->errors = s->late = 0;
	list_add_tail(&s->list, &shrinker_list);
	first = !shrink_hook_on;	/* decided under the lock: one CPU installs the hook */
	shrink_hook_on = true;
	spin_unlock_irqrestore(&shrinker_lock, flags);
	if (first) {
		shrinker_test_hook(shrinker_test_register_hook);
		shrink_hook.name = "shrinkers";
		shrink_hook.stage = SLOWPATH_RECLAIM;
		shrink_hook.fn = shrink_slowpath;
		register_alloc_slowpath_hook(&shrink_hook);
	}
	return 0;
}

void unregister_shrinker(struct shrinker *s)
{
	unsigned long flags;

	spin_lock_irqsave(&shrinker_lock, flags);
	if (s->registered) {
		list_del_init(&s->list);
		s->registered = false;
	}
	spin_unlock_irqrestore(&shrinker_lock, flags);
	snap_mark_gone(s);
	snap_wait_others();
}

/* Copy up to SHRINK_SNAP_MAX enabled shrinkers into @snap (snap_end() after use); returns how many. */
static int shrinker_snapshot(struct shrinker **snap)
{
	struct shrinker *s;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&shrinker_lock, flags);
	__snap_begin();
	list_for_each_entry(s, &shrinker_list, list)
		if (!s->disabled && n < SHRINK_SNAP_MAX)
			snap[n++] = s;
	spin_unlock_irqrestore(&shrinker_lock, flags);
	return n;
}

/* count() of @s, validated: a negative answer is reported and read as 0. */
static unsigned long shrinker_count(struct shrinker *s)
{
	long c;

	if (snap_gone(s))
		return 0;
	c = s->count(s);
	if (snap_gone(s))	/* unregistered inside: @s may be freed already */
		return 0;
	s->count_calls++;
	if (c < 0) {
		shrinker_error(s, "count() returned %ld; a count is never negative (read as 0)%.0ld\n", c, 0);
		return 0;
	}
	return (unsigned long)c;
}

static uint64_t clock_now(void)
{
	return shrinker_clock_ns ? shrinker_clock_ns() : 0;
}

/* scan(@nr) of @s, validated and timed; returns the pages credited. */
static unsigned long shrinker_scan(struct shrinker *s, unsigned long nr)
{
	uint64_t t0 = clock_now(), ms;
	long r;

	running_nr = nr;
	running_since = t0;
	running_reported = false;
	__atomic_store_n(&running, s, __ATOMIC_RELEASE);
	r = s->scan(s, nr);
	__atomic_store_n(&running, NULL, __ATOMIC_RELEASE);
	if (snap_gone(s))	/* unregistered inside: credit it without touching @s */
		return r > 0 ? MIN((unsigned long)r, nr) : 0;
	s->scan_calls++;
	s->asked += nr;
	ms = shrinker_clock_ns ? (clock_now() - t0) / 1000000u : 0;
	if (shrinker_clock_ns && ms >= shrinker_deadline_ms) {
		s->late++;
		shrinker_error(s, "scan() took %ld ms, past the %ld ms deadline\n",
			       (long)ms, (long)shrinker_deadline_ms);
	}
	if (r == SHRINK_STOP) {
		s->stops++;
		return 0;
	}
	if (r < 0) {
		shrinker_error(s, "scan(%ld) returned %ld; pages freed are never negative (read as 0)\n",
			       (long)nr, r);
		return 0;
	}
	if ((unsigned long)r > nr) {
		shrinker_error(s, "scan(%ld) claims %ld pages freed, more than asked (credited as asked)\n",
			       (long)nr, r);
		r = (long)nr;
	}
	s->freed += (unsigned long)r;
	return (unsigned long)r;
}

unsigned long shrink_memory(unsigned long nr_pages, enum shrink_reason reason)
{
	struct shrinker *snap[SHRINK_SNAP_MAX];
	unsigned long done = 0;
	bool progress = true;
	int n;

	if (!nr_pages || reason >= NR_SHRINK_REASONS)
		return 0;
	if (__atomic_exchange_n(&shrink_running, 1, __ATOMIC_ACQUIRE)) {
		shrink_stats.reentered++;
		return 0;
	}
	shrink_stats.calls[reason]++;
	shrink_stats.asked[reason] += nr_pages;
	while (done < nr_pages && progress) {
		progress = false;
		n = shrinker_snapshot(snap);
		for (int i = 0; i < n && done < nr_pages; i++) {
			unsigned long can, ask, got;

			if (snap_gone(snap[i]) || snap[i]->disabled)
				continue;
			can = shrinker_count(snap[i]);
			if (!can || snap_gone(snap[i]) || snap[i]->disabled)
				continue;
			ask = MIN(MIN(can, nr_pages - done), SHRINK_BATCH_MAX);
			got = shrinker_scan(snap[i], ask);
			done += got;
			if (got)
				progress = true;
		}
		snap_end();
	}
	shrink_stats.freed[reason] += done;
	__atomic_store_n(&shrink_running, 0, __ATOMIC_RELEASE);
	return done;
}

unsigned long shrinker_count_all(void)
{
	struct shrinker *snap[SHRINK_SNAP_MAX];
	unsigned long sum = 0;
	int n = shrinker_snapshot(snap);

	for (int i = 0; i < n; i++)
		sum += shrinker_count(snap[i]);
	snap_end();
	return sum;
}

bool shrinker_watchdog(uint64_t now_ns)
{
	struct shrinker *s = __atomic_load_n(&running, __ATOMIC_ACQUIRE);

	if (!s || now_ns < running_since ||
	    now_ns - running_since < (uint64_t)shrinker_deadline_ms * 1000000u)
		return false;
	if (!running_reported) {
		running_reported = true;
		printk("shrinker %s: scan(%lu) has not returned after %lu ms (deadline %u ms); "
		       "a scan must return: it cannot be preempted\n", s->name ? s->name : "?",
		       running_nr, (unsigned long)((now_ns - running_since) / 1000000u),
		       shrinker_deadline_ms);
	}
	return true;
}

void shrinker_for_each(void (*fn)(const struct shrinker *s, void *arg), void *arg)
{
	struct shrinker *snap[SHRINK_SNAP_MAX];
	struct shrinker *s;
	unsigned long flags;
	int n = 0;

	spin_lock_irqsave(&shrinker_lock, flags);
	__snap_begin();
	list_for_each_entry(s, &shrinker_list, list)
		if (n < SHRINK_SNAP_MAX)
			snap[n++] = s;
	spin_unlock_irqrestore(&shrinker_lock, flags);
	for (int i = 0; i < n; i++)
		if (!snap_gone(snap[i]))
			fn(snap[i], arg);
	snap_end();
}

const char *shrink_reason_name(enum shrink_reason r)
{
	return r < NR_SHRINK_REASONS ? reason_names[r] : "?";
}

/* ---- pressure ---- */

/* Fill in the default thresholds from the RAM size if none are set. */
static void pressure_defaults(void)
{
	unsigned long total = totalram_pages();

	if (pressure_low || !total)
		return;
	pressure_low = total / 16;
	pressure_critical = total / 64;
	pressure_hyst = total / 128;
}

int pressure_set_thresholds(unsigned long low, unsigned long critical, unsigned long hyst)
{
	if (critical >= low)
		return -EINVAL;
	pressure_low = low;
	pressure_critical = critical;
	pressure_hyst = hyst;
	return 0;
}

void pressure_get_thresholds(unsigned long *low, unsigned long *critical, unsigned long *hyst)
{
	pressure_defaults();
	*low = pressure_low;
	*critical = pressure_critical;
	*hyst = pressure_hyst;
}

void register_pressure_notifier(struct pressure_notifier *n)
{
	unsigned long flags;

	spin_lock_irqsave(&shrinker_lock, flags);
	list_add_tail(&n->list, &pressure_list);
	spin_unlock_irqrestore(&shrinker_lock, flags);
}

void unregister_pressure_notifier(struct pressure_notifier *n)
{
	unsigned long flags;

	spin_lock_irqsave(&shrinker_lock, flags);
	list_del_init(&n->list);
	spin_unlock_irqrestore(&shrinker_lock, flags);
	snap_mark_gone(n);
	snap_wait_others();
}

/* The level for @free given the current level @cur (hysteresis on the way down). */
static enum pressure_level pressure_next(enum pressure_level cur, unsigned long free)
{
	if (free < pressure_critical)
		return PRESSURE_CRITICAL;
	if (cur == PRESSURE_CRITICAL && free < pressure_critical + pressure_hyst)
		return PRESSURE_CRITICAL;
	if (free < pressure_low)
		return PRESSURE_LOW;
	if (cur != PRESSURE_NONE && free < pressure_low + pressure_hyst)
		return PRESSURE_LOW;
	return PRESSURE_NONE;
}

/* Under shrinker_lock: snapshot the notifiers (snap_end() after) if cur_level is not yet delivered; count or -1. */
static int __pressure_pending(struct pressure_notifier **snap, enum pressure_level *level,
			      unsigned long *free)
{
	struct pressure_notifier *n;
	int cnt = 0;

	if (cur_level == delivered_level)
		return -1;
	__snap_begin();
	delivered_level = *level = cur_level;
	*free = cur_free;
	list_for_each_entry(n, &pressure_list, list)
		if (cnt < SHRINK_SNAP_MAX)
			snap[cnt++] = n;
	return cnt;
}

/* Notify until the notifiers have the current level; one CPU at a time. */
static void pressure_deliver(void)
{
	struct pressure_notifier *snap[SHRINK_SNAP_MAX];
	enum pressure_level level;
	unsigned long flags, free;
	bool again;

	do {
		if (__atomic_exchange_n(&pressure_delivering, 1, __ATOMIC_ACQUIRE))
			return;		/* the delivering CPU picks our change up */
		for (;;) {
			int cnt;

			spin_lock_irqsave(&shrinker_lock, flags);
			cnt = __pressure_pending(snap, &level, &free);
			spin_unlock_irqrestore(&shrinker_lock, flags);
			if (cnt < 0)
				break;
			for (int i = 0; i < cnt; i++)
				if (!snap_gone(snap[i]))
					snap[i]->notify(snap[i], level, free);
			snap_end();
		}
		__atomic_store_n(&pressure_delivering, 0, __ATOMIC_RELEASE);
		/* a change made after our last look and before the release is ours too */
		spin_lock_irqsave(&shrinker_lock, flags);
		again = cur_level != delivered_level;
		spin_unlock_irqrestore(&shrinker_lock, flags);
	} while (again);
}

enum pressure_level pressure_update(unsigned long free_pages)
{
	enum pressure_level next;
	unsigned long flags;

	pressure_defaults();
	if (!pressure_low)
		return cur_level;
	spin_lock_irqsave(&shrinker_lock, flags);
	next = pressure_next(cur_level, free_pages);
	if (next == cur_level) {
		spin_unlock_irqrestore(&shrinker_lock, flags);
		return next;
	}
	cur_level = next;
	cur_free = free_pages;
	pressure_events++;
	spin_unlock_irqrestore(&shrinker_lock, flags);
	shrinker_test_hook(shrinker_test_notify_hook);
	pressure_deliver();
	return next;
}

enum pressure_level pressure_level(void) { return cur_level; }

const char *pressure_level_name(enum pressure_level l)
{
	return l == PRESSURE_CRITICAL ? "critical" : l == PRESSURE_LOW ? "low" : "none";
}

void shrinker_reset(void)
{
	INIT_LIST_HEAD(&shrinker_list);
	INIT_LIST_HEAD(&pressure_list);
	shrink_running = 0;
	shrink_hook_on = false;
	memset(snap_depth, 0, sizeof(snap_depth));
	running = NULL;
	memset(&shrink_stats, 0, sizeof(shrink_stats));
	pressure_low = pressure_critical = pressure_hyst = 0;
	cur_level = delivered_level = PRESSURE_NONE;
	pressure_delivering = 0;
	pressure_events = 0;
	shrinker_deadline_ms = SHRINKER_DEADLINE_MS;
}
