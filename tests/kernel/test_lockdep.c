/*
 * test_lockdep.c - the lock checker in the kernel: armed in this (debug,
 * test) boot, with the classes and edges the boot made and no report so
 * far (a test boot panics on the first report, so reaching this suite with
 * zero counted says every lock taken before it was in order); and two
 * self-tests on the real machinery - an order inversion, and a lock taken
 * in a real interrupt handler (self-IPI, so interrupt_dispatch's nesting
 * count is what the checker sees) and then with interrupts enabled.
 * The self-tests' reports are expected ones: they never panic and are not
 * counted in `reports`.
 */
#include <kernel/ktest.h>
#include <kernel/lockdep.h>
#include <arch/spinlock.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <string.h>

/* Expect the checker armed, with classes, edges and acquisitions, and no report. */
static void test_armed_and_clean(struct ktest *t)
{
	struct lockdep_stats st;

	lockdep_get_stats(&st);
#ifndef CONFIG_LOCKDEP
	ktest_skip(t, "release build: CONFIG_LOCKDEP off");
	return;
#endif
	KT_EXPECT(t, st.armed);
	KT_EXPECT(t, st.classes >= 3);		/* zone, slab and work locks at least */
	KT_EXPECT(t, st.edges >= 1);		/* e.g. PG_locked -> &pool->lock */
	KT_EXPECT(t, st.acquisitions > 0);
	KT_EXPECT_EQ(t, st.reports, 0);
	ktest_log("lockdep: %u classes, %u edges, %lu acquisitions, %lu reports",
		  st.classes, st.edges, st.acquisitions, st.reports);
}

static DEFINE_SPINLOCK(kt_a);
static DEFINE_SPINLOCK(kt_b);

/* Expect A-then-B, then B-then-A, to make one (expected) inversion report naming both. */
static void test_inversion_reported(struct ktest *t)
{
	struct lockdep_stats b, a;
	struct lockdep_report r;
	unsigned long flags;
	int la;

#ifndef CONFIG_LOCKDEP
	ktest_skip(t, "release build: CONFIG_LOCKDEP off");
	return;
#endif
	lockdep_get_stats(&b);
	spin_lock_irqsave(&kt_a, flags);
	spin_lock(&kt_b);
	spin_unlock(&kt_b);
	spin_unlock_irqrestore(&kt_a, flags);
	lockdep_expect_begin();
	spin_lock_irqsave(&kt_b, flags);
	spin_lock(&kt_a); la = __LINE__;
	spin_unlock(&kt_a);
	spin_unlock_irqrestore(&kt_b, flags);
	lockdep_expect_end();
	lockdep_get_stats(&a);
	KT_EXPECT_EQ(t, a.expected - b.expected, 1);
	KT_EXPECT_EQ(t, a.reports, b.reports);
	KT_ASSERT(t, lockdep_last_report(&r));
	KT_EXPECT_EQ(t, r.kind, LOCKDEP_INVERSION);
	KT_EXPECT(t, r.class_name[0] && !strcmp(r.class_name[0], "kt_a"));
	KT_EXPECT(t, r.class_name[1] && !strcmp(r.class_name[1], "kt_b"));
	KT_EXPECT_EQ(t, r.site[1].line, la);
}

static DEFINE_SPINLOCK(kt_irq_lock);
static volatile unsigned int handler_depth, handler_runs;

static void kt_irq_handler(struct regs *r, void *ctx)
{
	unsigned long flags;

	handler_depth = arch_irq_depth();
	spin_lock_irqsave(&kt_irq_lock, flags);
	handler_runs++;
	spin_unlock_irqrestore(&kt_irq_lock, flags);
}

/*
 * Expect a real interrupt handler to run at irq depth 1 (0 outside), and
 * its lock, taken afterwards with interrupts enabled, to make one
 * (expected) irq-safety report naming the class.
 */
static void test_irq_context_is_seen(struct ktest *t)
{
	struct lockdep_stats b, a;
	struct lockdep_report r;
	int v;

#ifndef CONFIG_LOCKDEP
	ktest_skip(t, "release build: CONFIG_LOCKDEP off");
	return;
#endif
	v = irq_alloc_vector(kt_irq_handler, NULL);
	KT_ASSERT(t, v > 0);
	KT_EXPECT_EQ(t, arch_irq_depth(), 0);
	local_irq_enable();
	apic_self_ipi((uint8_t)v);
	udelay(1000);
	irq_free_vector(v);
	KT_ASSERT_EQ(t, handler_runs, 1);
	KT_EXPECT_EQ(t, handler_depth, 1);
	lockdep_get_stats(&b);
	lockdep_expect_begin();
	spin_lock(&kt_irq_lock);		/* interrupts enabled: irq-unsafe use */
	spin_unlock(&kt_irq_lock);
	lockdep_expect_end();
	lockdep_get_stats(&a);
	KT_EXPECT_EQ(t, a.expected - b.expected, 1);
	KT_EXPECT_EQ(t, a.reports, b.reports);
	KT_ASSERT(t, lockdep_last_report(&r));
	KT_EXPECT_EQ(t, r.kind, LOCKDEP_IRQ_UNSAFE);
	KT_EXPECT(t, r.class_name[0] && !strcmp(r.class_name[0], "kt_irq_lock"));
}

KTEST_SUITE(lockdep, KTEST_CASE(test_armed_and_clean), KTEST_CASE(test_inversion_reported),
	    KTEST_CASE(test_irq_context_is_seen));
