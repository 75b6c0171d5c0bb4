/*
 * test_lockdep.c - the lock checker (lib/lockdep.c): each kind of report
 * forced deterministically, its content asserted (class names, both
 * acquisition sites of each edge, every CPU's held locks), and the cases
 * that must not report (annotated nesting, trylock of a held lock,
 * irqsave use from an interrupt, out-of-order release).
 *
 * Every test uses its own locks, so classes and edges of one test never
 * meet another's. Forced reports run between lockdep_expect_begin/end:
 * they count as expected, and the harness (htest_main.c) fails any test
 * that causes a report it did not expect - which is how the rest of the
 * host suite proves it runs with zero reports.
 */
#include "htest.h"
#include <kernel/lockdep.h>
#include <arch/spinlock.h>
#include <mm/page.h>
#include <pthread.h>
#include <string.h>

extern int host_quiet;

/* Expected reports caused by @body; also asserts no unexpected one. */
#define EXPECT_REPORTS(n, body) do { \
	struct lockdep_stats __ldb, __lda; \
	lockdep_get_stats(&__ldb); \
	lockdep_expect_begin(); \
	body; \
	lockdep_expect_end(); \
	lockdep_get_stats(&__lda); \
	EXPECT_EQ(__lda.expected - __ldb.expected, (n)); \
	EXPECT_EQ(__lda.reports, __ldb.reports); \
} while (0)

static bool streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

static bool site_is(struct lockdep_site s, int line)
{
	return s.line == line && s.file && strstr(s.file, "test_lockdep.c");
}

/* The last report; fails the test if there is none. */
static struct lockdep_report last_report(void)
{
	struct lockdep_report r;
	ASSERT(lockdep_last_report(&r));
	return r;
}

static DEFINE_SPINLOCK(inv_a);
static DEFINE_SPINLOCK(inv_b);

/*
 * Expect A-then-B followed by B-then-A on one CPU to report an inversion
 * naming A (being taken) and B (held), with the sites of this B and A and
 * of the recorded A-then-B edge; a second B-then-A reports nothing more.
 */
TEST(inversion_in_sequence)
{
	int la, lb, lb2, la2;

	spin_lock(&inv_a); la = __LINE__;
	spin_lock(&inv_b); lb = __LINE__;
	spin_unlock(&inv_b);
	spin_unlock(&inv_a);
	EXPECT_REPORTS(1, {
		spin_lock(&inv_b); lb2 = __LINE__;
		spin_lock(&inv_a); la2 = __LINE__;
		spin_unlock(&inv_a);
		spin_unlock(&inv_b);
	});
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_INVERSION);
	EXPECT(streq(r.class_name[0], "inv_a"));
	EXPECT(streq(r.class_name[1], "inv_b"));
	EXPECT(site_is(r.site[0], lb2));
	EXPECT(site_is(r.site[1], la2));
	EXPECT(site_is(r.site[2], la));
	EXPECT(site_is(r.site[3], lb));
	/* the printed text carries the held stack of this CPU: B, at its site */
	char want[96];
	snprintf(want, sizeof(want), "#0 inv_b (%p) at tests/host/test_lockdep.c:%d", (void *)&inv_b, lb2);
	EXPECT(strstr(lockdep_last_report_text(), want) != NULL);
	EXPECT_REPORTS(0, {
		spin_lock(&inv_b);
		spin_lock(&inv_a);
		spin_unlock(&inv_a);
		spin_unlock(&inv_b);
	});
}

static DEFINE_SPINLOCK(t_a);
static DEFINE_SPINLOCK(t_b);
static DEFINE_SPINLOCK(t_c);
static volatile int t_stage;
static int t_la, t_lb, t_lc;

/* CPU 1: A then B, then sit on C until CPU 2 has reported. */
static void *cpu1_thread(void *arg)
{
	host_cpu_id = 1;
	spin_lock(&t_a); t_la = __LINE__;
	spin_lock(&t_b); t_lb = __LINE__;
	spin_unlock(&t_b);
	spin_unlock(&t_a);
	spin_lock(&t_c); t_lc = __LINE__;
	__atomic_store_n(&t_stage, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&t_stage, __ATOMIC_ACQUIRE) != 2)
		;
	spin_unlock(&t_c);
	return NULL;
}

/*
 * Expect CPU 1 taking A then B and CPU 2 later taking B then A to report
 * on CPU 2 with CPU 1's edge sites, and the report to list CPU 1's held
 * lock C with its site (every CPU's state).
 */
TEST(inversion_between_two_cpus)
{
	pthread_t th;
	int lb2, la2;

	pthread_create(&th, NULL, cpu1_thread, NULL);
	while (__atomic_load_n(&t_stage, __ATOMIC_ACQUIRE) != 1)
		;
	host_cpu_id = 2;
	EXPECT_REPORTS(1, {
		spin_lock(&t_b); lb2 = __LINE__;
		spin_lock(&t_a); la2 = __LINE__;
		spin_unlock(&t_a);
		spin_unlock(&t_b);
	});
	__atomic_store_n(&t_stage, 2, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	host_cpu_id = 0;
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_INVERSION);
	EXPECT_EQ(r.cpu, 2);
	EXPECT(streq(r.class_name[0], "t_a") && streq(r.class_name[1], "t_b"));
	EXPECT(site_is(r.site[0], lb2) && site_is(r.site[1], la2));
	EXPECT(site_is(r.site[2], t_la) && site_is(r.site[3], t_lb));
	char want[96];
	snprintf(want, sizeof(want), "#0 t_c (%p) at tests/host/test_lockdep.c:%d", (void *)&t_c, t_lc);
	EXPECT(strstr(lockdep_last_report_text(), "cpu 1: 1 held:") != NULL);
	EXPECT(strstr(lockdep_last_report_text(), "cpu 2: 1 held:") != NULL);
	EXPECT(strstr(lockdep_last_report_text(), want) != NULL);
}

static DEFINE_SPINLOCK(c_a);
static DEFINE_SPINLOCK(c_b);
static DEFINE_SPINLOCK(c_c);

/* Expect A->B and B->C recorded, then C-then-A, to report the two-edge path A->B->C. */
TEST(inversion_through_a_path)
{
	int la, lb1, lb2, lc;

	spin_lock(&c_a); la = __LINE__;
	spin_lock(&c_b); lb1 = __LINE__;
	spin_unlock(&c_b);
	spin_unlock(&c_a);
	spin_lock(&c_b); lb2 = __LINE__;
	spin_lock(&c_c); lc = __LINE__;
	spin_unlock(&c_c);
	spin_unlock(&c_b);
	EXPECT_REPORTS(1, {
		spin_lock(&c_c);
		spin_lock(&c_a);
		spin_unlock(&c_a);
		spin_unlock(&c_c);
	});
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_INVERSION);
	EXPECT(streq(r.class_name[0], "c_a") && streq(r.class_name[1], "c_c"));
	EXPECT(site_is(r.site[2], la));		/* the path starts at A's edge ... */
	EXPECT(site_is(r.site[3], lc));		/* ... and ends at C's */
	char want[128];
	snprintf(want, sizeof(want), "c_a taken at tests/host/test_lockdep.c:%d, then c_b at "
		 "tests/host/test_lockdep.c:%d", la, lb1);
	EXPECT(strstr(lockdep_last_report_text(), want) != NULL);
	snprintf(want, sizeof(want), "c_b taken at tests/host/test_lockdep.c:%d, then c_c at "
		 "tests/host/test_lockdep.c:%d", lb2, lc);
	EXPECT(strstr(lockdep_last_report_text(), want) != NULL);
}

static DEFINE_SPINLOCK(irq_x);
static DEFINE_SPINLOCK(irq_y);
static DEFINE_SPINLOCK(irq_z);

/*
 * Expect a class taken in an interrupt handler and then with interrupts
 * enabled to report both sites, and the reverse order too; a class used in
 * the handler and with spin_lock_irqsave elsewhere reports nothing.
 */
TEST(irq_safety)
{
	unsigned long flags;
	int lin, len;

	host_irq_enter();
	spin_lock(&irq_x); lin = __LINE__;
	spin_unlock(&irq_x);
	host_irq_exit();
	EXPECT(!irqs_disabled());
	EXPECT_REPORTS(1, {
		spin_lock(&irq_x); len = __LINE__;
		spin_unlock(&irq_x);
	});
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_IRQ_UNSAFE);
	EXPECT(streq(r.class_name[0], "irq_x"));
	EXPECT(site_is(r.site[0], lin) && site_is(r.site[1], len));

	EXPECT_REPORTS(1, {
		spin_lock(&irq_y); len = __LINE__;
		spin_unlock(&irq_y);
		host_irq_enter();
		spin_lock(&irq_y); lin = __LINE__;
		spin_unlock(&irq_y);
		host_irq_exit();
	});
	r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_IRQ_UNSAFE);
	EXPECT(streq(r.class_name[0], "irq_y"));
	EXPECT(site_is(r.site[0], lin) && site_is(r.site[1], len));
	EXPECT(site_is(r.site[2], lin));	/* reported where the second use happened */

	EXPECT_REPORTS(0, {
		host_irq_enter();
		spin_lock(&irq_z);
		spin_unlock(&irq_z);
		host_irq_exit();
		spin_lock_irqsave(&irq_z, flags);
		spin_unlock_irqrestore(&irq_z, flags);
	});
}

static DEFINE_SPINLOCK(ooo_outer);
static DEFINE_SPINLOCK(ooo_inner);

/*
 * Expect releasing an irqsave lock before an inner one it covers (so
 * interrupts come back on while the inner, irq-used lock is still held)
 * to report at the irqrestore's site.
 */
TEST(irqs_enabled_while_holding_irq_lock)
{
	unsigned long f1, f2;
	int lin, lrestore;

	host_irq_enter();
	spin_lock(&ooo_inner); lin = __LINE__;
	spin_unlock(&ooo_inner);
	host_irq_exit();
	EXPECT_REPORTS(1, {
		spin_lock_irqsave(&ooo_outer, f1);
		spin_lock_irqsave(&ooo_inner, f2);
		spin_unlock_irqrestore(&ooo_outer, f1); lrestore = __LINE__;
		spin_unlock_irqrestore(&ooo_inner, f2);
	});
	EXPECT(!irqs_disabled());
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_IRQ_UNSAFE);
	EXPECT(streq(r.class_name[0], "ooo_inner"));
	EXPECT(site_is(r.site[0], lin) && site_is(r.site[1], lrestore));
}

static DEFINE_SPINLOCK(rec);

/*
 * Expect taking a lock this CPU holds to report recursion with both sites
 * (the second acquisition is played by the checker hook alone: the real
 * spin would never end); a trylock of the held lock fails and reports nothing.
 */
TEST(recursion_same_lock)
{
	int l1, l2;

	spin_lock(&rec); l1 = __LINE__;
	EXPECT_REPORTS(0, EXPECT(!spin_trylock(&rec)));
	EXPECT_REPORTS(1, {
		lock_acquire(&rec.dep_map, &rec, 0, false, __FILE__, __LINE__); l2 = __LINE__;
		lock_release(&rec.dep_map, &rec, __FILE__, __LINE__);
	});
	spin_unlock(&rec);
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_RECURSION);
	EXPECT(streq(r.class_name[0], "rec") && streq(r.class_name[1], "rec"));
	EXPECT(site_is(r.site[0], l1) && site_is(r.site[1], l2));
}

struct obj {
	spinlock_t lock;
};

static void obj_init(struct obj *o)
{
	spin_lock_init(&o->lock);
}

/*
 * Expect two locks of one class (one spin_lock_init site) held at once to
 * report "possible recursive locking" naming the class, and the same with
 * spin_lock_nested() (a stated order) to report nothing.
 */
TEST(recursion_same_class)
{
	struct obj o1, o2;

	obj_init(&o1);
	obj_init(&o2);
	EXPECT_REPORTS(0, {
		spin_lock(&o1.lock);
		spin_lock_nested(&o2.lock, 1);
		spin_unlock(&o2.lock);
		spin_unlock(&o1.lock);
	});
	EXPECT_REPORTS(1, {
		spin_lock(&o1.lock);
		spin_lock(&o2.lock);
		spin_unlock(&o2.lock);
		spin_unlock(&o1.lock);
	});
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_RECURSIVE_CLASS);
	EXPECT(streq(r.class_name[0], "&o->lock"));
}

static DEFINE_SPINLOCK(unl);
static DEFINE_SPINLOCK(unl_a);
static DEFINE_SPINLOCK(unl_b);

/*
 * Expect unlocking a lock this CPU does not hold to report it with the
 * unlock site, and releasing two held locks out of order to be allowed
 * (no report) and counted.
 */
TEST(unlock_not_held_and_out_of_order)
{
	struct lockdep_stats b, a;
	int lu;

	EXPECT_REPORTS(1, { spin_unlock(&unl); lu = __LINE__; });
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_BAD_UNLOCK);
	EXPECT(streq(r.class_name[0], "unl"));
	EXPECT(site_is(r.site[1], lu));

	lockdep_get_stats(&b);
	EXPECT_REPORTS(0, {
		spin_lock(&unl_a);
		spin_lock(&unl_b);
		spin_unlock(&unl_a);
		spin_unlock(&unl_b);
	});
	lockdep_get_stats(&a);
	EXPECT_EQ(a.unordered_unlocks - b.unordered_unlocks, 1);
}

static DEFINE_SPINLOCK(pg_inner);

/*
 * Expect the page lock to be a class of its own ("PG_locked"): page lock
 * then a spinlock, and later a page lock under that spinlock, reports an
 * inversion naming PG_locked; a trylock_page under it does not.
 */
TEST(page_lock_class)
{
	struct page p1, p2;
	int lp;

	memset(&p1, 0, sizeof(p1));
	memset(&p2, 0, sizeof(p2));
	lock_page(&p1);
	spin_lock(&pg_inner);
	spin_unlock(&pg_inner);
	unlock_page(&p1);
	EXPECT_REPORTS(0, {
		spin_lock(&pg_inner);
		EXPECT(trylock_page(&p2));
		unlock_page(&p2);
		spin_unlock(&pg_inner);
	});
	EXPECT_REPORTS(1, {
		spin_lock(&pg_inner);
		lock_page(&p2); lp = __LINE__;
		unlock_page(&p2);
		spin_unlock(&pg_inner);
	});
	struct lockdep_report r = last_report();
	EXPECT_EQ(r.kind, LOCKDEP_INVERSION);
	EXPECT(streq(r.class_name[0], "PG_locked") && streq(r.class_name[1], "pg_inner"));
	EXPECT(site_is(r.site[1], lp));
}

/* Expect the checker armed, with the classes and edges these tests made, and no unexpected report. */
static DEFINE_SPINLOCK(arm_a);
static DEFINE_SPINLOCK(arm_b);

TEST(armed_and_counting)
{
	struct lockdep_stats st;

	spin_lock(&arm_a);
	spin_lock(&arm_b);
	spin_unlock(&arm_b);
	spin_unlock(&arm_a);
	lockdep_get_stats(&st);
	EXPECT(st.armed);
	EXPECT(st.classes >= 2);
	EXPECT(st.edges >= 1);
	EXPECT(st.acquisitions > 0);
	EXPECT_EQ(st.reports, 0);
}
