/*
 * test_smp.c - in-kernel suite for the SMP core: call-function IPIs
 * (one CPU, all CPUs, wait and nowait, two CPUs calling each other with
 * interrupts off) and the per-CPU work loops (an item runs on the CPU it
 * was queued on; the same item never runs on two CPUs at once), and the
 * TLB shootdown (a kernel mapping changed under every CPU's cached
 * translation: each CPU must see the new page after the change returns).
 *
 * The cases that need another CPU skip (reported as skips) on a one-CPU
 * boot; tests/qemu/test_smp.py boots this suite with -smp 4. CPU 0 runs the
 * suite from kmain, so its own work loop is not running: a case that needs
 * CPU 0's work runs work_run_pending() itself. Every wait is bounded by
 * WAIT_MS so a broken IPI fails the case instead of hanging the boot.
 */
#include <kernel/ktest.h>
#include <kernel/kernel.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <kernel/work.h>
#include <mm/gfp.h>
#include <mm/page.h>
#include <mm/page_alloc.h>
#include <mm/vmstat.h>
#include <arch/x86.h>
#include <arch/cpu.h>
#include <errno.h>
#include <string.h>

#define WAIT_MS 2000

/* Spin until *@flag != 0 or WAIT_MS pass; true if it was set. */
static bool wait_flag(volatile uint32_t *flag)
{
	uint64_t t0 = arch_cycles();

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		if (arch_cycles() - t0 > WAIT_MS * tsc_khz)
			return false;
		else
			cpu_relax();
	return true;
}

/* An online CPU other than this one, or -1. */
static int other_cpu(void)
{
	unsigned int cpu;

	for_each_online_cpu(cpu)
		if (cpu != arch_cpu_id())
			return (int)cpu;
	return -1;
}

struct call_rec {
	volatile uint32_t ran_on[NR_CPUS];      /* 1 + CPU id that ran the row */
	volatile uint32_t irqs_off[NR_CPUS];
	volatile uint32_t calls[NR_CPUS];
};
static struct call_rec rec;

/* The callback: each CPU fills its own row. */
static void record_call(void *info)
{
	struct call_rec *r = info;
	unsigned int me = arch_cpu_id();

	r->ran_on[me] = me + 1;
	r->irqs_off[me] = irqs_disabled();
	__atomic_fetch_add(&r->calls[me], 1, __ATOMIC_RELEASE);
}

/* Expect -ENXIO and nothing run for a CPU that is not online. */
static void test_call_offline_cpu(struct ktest *t)
{
	struct work w;

	memset((void *)&rec, 0, sizeof(rec));
	KT_EXPECT_EQ(t, smp_call_function_single(NR_CPUS, record_call, &rec, true), -ENXIO);
	work_init(&w, NULL);
	KT_EXPECT_EQ(t, work_queue_on(NR_CPUS, &w), -ENXIO);
	KT_EXPECT(t, !w.pending);
	for (unsigned int c = 0; c < NR_CPUS; c++)
		KT_EXPECT_EQ(t, rec.calls[c], 0);
}

/* Expect a call to oneself to run at once, here, with interrupts off. */
static void test_call_self(struct ktest *t)
{
	unsigned int me = arch_cpu_id();

	memset((void *)&rec, 0, sizeof(rec));
	KT_ASSERT_EQ(t, smp_call_function_single(me, record_call, &rec, false), 0);
	KT_EXPECT_EQ(t, rec.calls[me], 1);      /* nowait to oneself still ran before returning */
	KT_EXPECT_EQ(t, rec.ran_on[me], me + 1);
	KT_EXPECT_EQ(t, rec.irqs_off[me], 1);
	KT_EXPECT(t, !irqs_disabled());
}

/* Expect a waiting call to every other CPU to have run there, interrupts off, before it returns. */
static void test_call_single_wait(struct ktest *t)
{
	unsigned int cpu, n = 0;

	if (num_online_cpus() < 2) {
		ktest_skip(t, "one CPU online");
		return;
	}
	memset((void *)&rec, 0, sizeof(rec));
	for_each_online_cpu(cpu) {
		if (cpu == arch_cpu_id())
			continue;
		KT_ASSERT_EQ(t, smp_call_function_single(cpu, record_call, &rec, true), 0);
		KT_EXPECT_EQ(t, rec.calls[cpu], 1);
		KT_EXPECT_EQ(t, rec.ran_on[cpu], cpu + 1);
		KT_EXPECT_EQ(t, rec.irqs_off[cpu], 1);
		n++;
	}
	KT_EXPECT_EQ(t, n, num_online_cpus() - 1);
	KT_EXPECT_EQ(t, rec.calls[arch_cpu_id()], 0);
}

/* Expect on_each_cpu(wait) to have run once on every online CPU, each on itself. */
static void test_on_each_cpu_wait(struct ktest *t)
{
	unsigned int cpu, n = 0;

	memset((void *)&rec, 0, sizeof(rec));
	on_each_cpu(record_call, &rec, true);
	for_each_online_cpu(cpu) {
		KT_EXPECT_EQ(t, rec.calls[cpu], 1);
		KT_EXPECT_EQ(t, rec.ran_on[cpu], cpu + 1);
		n += rec.calls[cpu];
	}
	KT_EXPECT_EQ(t, n, num_online_cpus());
	for (cpu = 0; cpu < NR_CPUS; cpu++)
		if (!cpu_online(cpu))
			KT_EXPECT_EQ(t, rec.calls[cpu], 0);
}

/* Expect on_each_cpu(nowait), repeated 50 times, to run 50 times on every CPU in the end. */
static void test_on_each_cpu_nowait(struct ktest *t)
{
	unsigned int cpu;
	uint64_t t0;

	memset((void *)&rec, 0, sizeof(rec));
	for (int i = 0; i < 50; i++)
		on_each_cpu(record_call, &rec, false);  /* reuses each slot once it is free */
	t0 = arch_cycles();
	for_each_online_cpu(cpu) {
		while (__atomic_load_n(&rec.calls[cpu], __ATOMIC_ACQUIRE) < 50 &&
		       arch_cycles() - t0 < WAIT_MS * tsc_khz)
			cpu_relax();
		KT_EXPECT_EQ(t, rec.calls[cpu], 50);
		KT_EXPECT_EQ(t, rec.ran_on[cpu], cpu + 1);
	}
}

static volatile uint32_t peer_ready, peer_go, peer_done;
static volatile int peer_result;

/* Work on the other CPU: interrupts off, meet CPU 0, then call CPU 0 and wait. */
static void call_back_with_irqs_off(struct work *w)
{
	unsigned long f = local_irq_save();

	__atomic_store_n(&peer_ready, 1, __ATOMIC_RELEASE);
	wait_flag(&peer_go);
	peer_result = smp_call_function_single(0, record_call, &rec, true);
	local_irq_restore(f);
	__atomic_store_n(&peer_done, 1, __ATOMIC_RELEASE);
}

/* Expect two CPUs that call each other at once, both with interrupts off, both to finish. */
static void test_call_each_other_irqs_off(struct ktest *t)
{
	int other = other_cpu();
	struct work w;
	unsigned long f;
	uint64_t t0, t1, t2;
	int mine;

	if (other < 0 || arch_cpu_id() != 0) {
		ktest_skip(t, "needs a second CPU, and the suite on CPU 0");
		return;
	}
	memset((void *)&rec, 0, sizeof(rec));
	peer_ready = peer_go = peer_done = 0;
	peer_result = 1;
	work_init(&w, call_back_with_irqs_off);
	t0 = arch_cycles();
	KT_ASSERT_EQ(t, work_queue_on((unsigned int)other, &w), 0);
	KT_ASSERT(t, wait_flag(&peer_ready));
	t1 = arch_cycles();
	f = local_irq_save();
	__atomic_store_n(&peer_go, 1, __ATOMIC_RELEASE);
	mine = smp_call_function_single((unsigned int)other, record_call, &rec, true);
	local_irq_restore(f);
	t2 = arch_cycles();
	KT_EXPECT_EQ(t, mine, 0);
	KT_ASSERT(t, wait_flag(&peer_done));
	ktest_log("kick to the peer's work running %lu us, both calls done %lu us, peer back %lu us",
		  (unsigned long)((t1 - t0) * 1000 / tsc_khz), (unsigned long)((t2 - t1) * 1000 / tsc_khz),
		  (unsigned long)((arch_cycles() - t2) * 1000 / tsc_khz));
	KT_EXPECT_EQ(t, peer_result, 0);
	KT_EXPECT_EQ(t, rec.calls[0], 1);               /* the other CPU's call ran here */
	KT_EXPECT_EQ(t, rec.calls[other], 1);           /* ours ran there */
	KT_EXPECT_EQ(t, rec.irqs_off[0], 1);
}

/* ---- a call from an interrupt handler in the middle of a caller's call ---- */

static volatile uint32_t blk_ready, blk_release;
static volatile uint32_t irqcall_a, irqcall_b;
static unsigned int irqcall_target;
static int irqcall_nested_rc = 1;

/* Work on the target: interrupts off until released, so queued calls wait. */
static void block_calls(struct work *w)
{
	unsigned long f = local_irq_save();

	__atomic_store_n(&blk_ready, 1, __ATOMIC_RELEASE);
	wait_flag(&blk_release);
	local_irq_restore(f);
}

static void count_call_a(void *info) { __atomic_fetch_add(&irqcall_a, 1, __ATOMIC_RELAXED); }
static void count_call_b(void *info) { __atomic_fetch_add(&irqcall_b, 1, __ATOMIC_RELAXED); }

/* "An interrupt handler" (hardirq depth 1) calling the same target, once. */
static void nested_irq_call(void)
{
	smp_call_window_hook = NULL;
	hardirq_depth[arch_cpu_id()]++;
	irqcall_nested_rc = smp_call_function_single(irqcall_target, count_call_b, NULL, false);
	hardirq_depth[arch_cpu_id()]--;
}

/*
 * Expect a call made by an interrupt handler that arrives while this CPU
 * is between finding its call slot for a target free and filling it to
 * leave both calls queued once each and both run once (the old code gave
 * the handler the same slot: it was queued twice, the queue became a
 * cycle, and the handler's call was lost).
 */
static void test_call_from_irq_in_callers_window(struct ktest *t)
{
	int other = other_cpu();
	struct work w;
	int queued;

	if (other < 0) {
		ktest_skip(t, "one CPU online");
		return;
	}
	irqcall_target = (unsigned int)other;
	irqcall_a = irqcall_b = 0;
	blk_ready = blk_release = 0;
	irqcall_nested_rc = 1;
	work_init(&w, block_calls);
	KT_ASSERT_EQ(t, work_queue_on(irqcall_target, &w), 0);
	KT_ASSERT(t, wait_flag(&blk_ready));
	smp_call_window_hook = nested_irq_call;
	KT_EXPECT_EQ(t, smp_call_function_single(irqcall_target, count_call_a, NULL, false), 0);
	smp_call_window_hook = NULL;
	queued = smp_call_queue_check(irqcall_target, true);
	KT_EXPECT_EQ(t, irqcall_nested_rc, 0);
	KT_EXPECT_EQ(t, queued, 2);
	__atomic_store_n(&blk_release, 1, __ATOMIC_RELEASE);
	/* a call each way after the release proves both queues move again */
	KT_EXPECT_EQ(t, smp_call_function_single(irqcall_target, count_call_a, NULL, true), 0);
	KT_EXPECT_EQ(t, irqcall_a, 2);
	KT_EXPECT_EQ(t, irqcall_b, 1);
}

/* ---------------- work loops ---------------- */

static struct work_probe {
	struct work w;
	volatile uint32_t runs;
	volatile int ran_on;
} probes[NR_CPUS];

static void probe_fn(struct work *w)
{
	struct work_probe *p = (struct work_probe *)w;

	p->ran_on = (int)arch_cpu_id();
	__atomic_fetch_add(&p->runs, 1, __ATOMIC_RELEASE);
}

/* Expect an item queued with work_queue_on(cpu) to run once, on that CPU, for every CPU. */
static void test_work_queue_on_runs_there(struct ktest *t)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		work_init(&probes[cpu].w, probe_fn);
		probes[cpu].runs = 0;
		probes[cpu].ran_on = -1;
		KT_ASSERT_EQ(t, work_queue_on(cpu, &probes[cpu].w), 0);
	}
	work_run_pending();             /* CPU 0's loop is this suite */
	for_each_online_cpu(cpu) {
		KT_EXPECT(t, wait_flag(&probes[cpu].runs));
		KT_EXPECT_EQ(t, probes[cpu].ran_on, (int)cpu);
		KT_EXPECT_EQ(t, probes[cpu].runs, 1);
	}
}

static volatile uint32_t slow_started, slow_release;
static volatile uint32_t slow_runs;
static volatile int slow_cpus[4];

/* First run: wait (bounded) until released; every run records where it ran. */
static void slow_fn(struct work *w)
{
	uint32_t n = __atomic_fetch_add(&slow_runs, 1, __ATOMIC_ACQ_REL);

	if (n < 4)
		slow_cpus[n] = (int)arch_cpu_id();
	if (n == 0) {
		__atomic_store_n(&slow_started, 1, __ATOMIC_RELEASE);
		wait_flag(&slow_release);
	}
}

/* Expect an item queued elsewhere while it runs to run again on the CPU running it, after it. */
static void test_work_requeue_while_running_stays(struct ktest *t)
{
	int other = other_cpu();
	static struct work w;

	if (other < 0) {
		ktest_skip(t, "one CPU online");
		return;
	}
	slow_started = slow_release = slow_runs = 0;
	slow_cpus[0] = slow_cpus[1] = -1;
	work_init(&w, slow_fn);
	KT_ASSERT_EQ(t, work_queue_on((unsigned int)other, &w), 0);
	KT_ASSERT(t, wait_flag(&slow_started));
	KT_EXPECT_EQ(t, work_queue_on(arch_cpu_id(), &w), 0);  /* asked for here ... */
	work_run_pending();                                    /* ... but it must not run here */
	KT_EXPECT_EQ(t, slow_runs, 1);
	__atomic_store_n(&slow_release, 1, __ATOMIC_RELEASE);
	for (uint64_t t0 = arch_cycles(); slow_runs < 2 && arch_cycles() - t0 < WAIT_MS * tsc_khz;)
		cpu_relax();
	KT_EXPECT_EQ(t, slow_runs, 2);
	KT_EXPECT_EQ(t, slow_cpus[0], other);
	KT_EXPECT_EQ(t, slow_cpus[1], other);                  /* ... it ran on the CPU running it */
	work_run_pending();
	KT_EXPECT_EQ(t, slow_runs, 2);
}

static struct work shared_item;
static volatile uint32_t shared_active, shared_max, shared_runs;
static volatile uint32_t shared_on[NR_CPUS];

/* The shared item: count how many CPUs are inside at once (must stay 1). */
static void shared_fn(struct work *w)
{
	uint32_t in = __atomic_add_fetch(&shared_active, 1, __ATOMIC_ACQ_REL);

	if (in > shared_max)
		shared_max = in;
	shared_on[arch_cpu_id()]++;
	udelay(100);
	__atomic_sub_fetch(&shared_active, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_add(&shared_runs, 1, __ATOMIC_RELEASE);
}

/*
 * IPI callback: every CPU queues the shared item at about the same moment,
 * on the round's target CPU (*info). The target moves every round, so the
 * item is often still running on the last target when it is queued for
 * the next: the case the never-on-two-CPUs rule redirects. (Each CPU
 * queueing on itself let CPU 0, which queues first and runs its own work
 * only every 16 rounds, win every round on a loaded host: 14 runs, all on
 * CPU 0, and no migration to test.)
 */
static void queue_shared_on_target(void *info)
{
	work_queue_on(*(unsigned int *)info, &shared_item);
}

/* Expect one item queued from every CPU at once, 200 rounds, never inside two CPUs at once. */
static void test_work_never_on_two_cpus(struct ktest *t)
{
	unsigned int cpu, cpus_ran = 0;

	if (num_online_cpus() < 3) {
		ktest_skip(t, "needs three CPUs (two besides the suite's)");
		return;
	}
	shared_active = shared_max = shared_runs = 0;
	memset((void *)shared_on, 0, sizeof(shared_on));
	work_init(&shared_item, shared_fn);
	for (int round = 0; round < 200; round++) {
		unsigned int target = 1 + round % (num_online_cpus() - 1);   /* an AP: runs it now */

		on_each_cpu(queue_shared_on_target, &target, true);
		udelay(50);
		if (round % 16 == 0)
			work_run_pending();
	}
	for (uint64_t t0 = arch_cycles(); (shared_item.pending || shared_active) &&
	     arch_cycles() - t0 < WAIT_MS * tsc_khz;)
		work_run_pending();
	for_each_online_cpu(cpu)
		cpus_ran += shared_on[cpu] > 0;
	ktest_log("%u runs on %u CPUs, at most %u inside at once", shared_runs, cpus_ran,
		  shared_max);
	KT_EXPECT_EQ(t, shared_max, 1);
	KT_EXPECT(t, shared_runs >= 2);
	KT_EXPECT(t, cpus_ran >= 2);    /* it did move between CPUs: concurrency was possible */
	KT_EXPECT(t, !shared_item.pending);
}

/* ---------------- TLB shootdown ---------------- */

#define TLB_OLD 0x01d01d01d01d01d0ULL
#define TLB_NEW 0x0e110e110e110e11ULL

static volatile uint64_t tlb_seen[NR_CPUS];

/* Each CPU reads the first word through the test mapping (and so caches its translation). */
static void tlb_read(void *va)
{
	tlb_seen[arch_cpu_id()] = *(volatile uint64_t *)va;
}

/* Expect every CPU to read the old page, then, after paging_remap_page(), the new one. */
static void test_tlb_shootdown_remap(struct ktest *t)
{
	struct page *a = alloc_page(GFP_KERNEL), *b = alloc_page(GFP_KERNEL);
	unsigned int cpu, stale = 0;
	uint64_t *va;

	if (!a || !b) {
		KT_EXPECT(t, a && b);
		goto out;
	}
	if (num_online_cpus() < 2) {
		ktest_skip(t, "needs a second CPU");
		goto out;
	}
	*(uint64_t *)page_address(a) = TLB_OLD;
	*(uint64_t *)page_address(b) = TLB_NEW;
	va = ioremap_cache(page_to_phys(a), PAGE_SIZE);
	KT_ASSERT(t, va != NULL);
	memset((void *)tlb_seen, 0, sizeof(tlb_seen));
	on_each_cpu(tlb_read, va, true);                /* every CPU caches va -> a */
	for_each_online_cpu(cpu)
		KT_EXPECT_EQ(t, tlb_seen[cpu], TLB_OLD);
	KT_EXPECT_EQ(t, paging_remap_page((uint64_t)va, page_to_phys(b)), 0);
	memset((void *)tlb_seen, 0, sizeof(tlb_seen));
	on_each_cpu(tlb_read, va, true);
	for_each_online_cpu(cpu)
		if (tlb_seen[cpu] != TLB_NEW) {
			ktest_log("cpu %u read %#llx through the remapped page: a stale translation",
				  cpu, (unsigned long long)tlb_seen[cpu]);
			stale++;
		}
	KT_EXPECT_EQ(t, stale, 0);
	KT_EXPECT_EQ(t, paging_unmap_page((uint64_t)va), 0);
	KT_EXPECT_EQ(t, paging_lookup((uint64_t)va, NULL), 0);
	KT_EXPECT_EQ(t, paging_remap_page((uint64_t)va, page_to_phys(a)), -EINVAL);
out:
	if (a)
		__free_page(a);
	if (b)
		__free_page(b);
}

/*
 * Expect a page-table page that ioremap() needs under pgtable_lock (a
 * spinlock, interrupts off) never to reach the allocator's waiting slow
 * path (drain_all_pages() waits for every CPU; one spinning on
 * pgtable_lock never answers). Memory is filled to just under the low
 * watermark so the table allocation takes the slow path, and a 2 MiB + 4 KiB
 * ioremap must create at least one new page table.
 */
static void test_pgtable_alloc_under_lock_does_not_wait(struct ktest *t)
{
	LIST_HEAD(held);
	unsigned long before = nr_reclaim_irqs_off, slow0;
	struct page *p;
	void *va;

	while ((p = alloc_page(GFP_NOWAIT | __GFP_NOWARN)) != NULL)
		list_add_tail(&p->lru, &held);
	for (int i = 0; i < 8 && !list_empty(&held); i++) {	/* above min, below low */
		p = list_first_entry(&held, struct page, lru);
		list_del(&p->lru);
		__free_page(p);
	}
	drain_local_pages(NULL);
	slow0 = vm_stat_read(PGALLOC_SLOWPATH);
	va = ioremap_cache(0, 2 * 1024 * 1024 + PAGE_SIZE);
	ktest_log("slow-path entries during the ioremap: %lu",
		  vm_stat_read(PGALLOC_SLOWPATH) - slow0);
	while (!list_empty(&held)) {
		p = list_first_entry(&held, struct page, lru);
		list_del(&p->lru);
		__free_page(p);
	}
	KT_EXPECT(t, va != NULL);
	KT_EXPECT_EQ(t, nr_reclaim_irqs_off - before, 0);
}

/* ---------------- console lock ---------------- */

#define PRINT_LINES 25

static volatile uint32_t print_arrived;

/* Every CPU waits for all the others (bounded), then prints PRINT_LINES whole lines. */
static void print_lines_at_once(void *info)
{
	unsigned int me = arch_cpu_id(), n = *(unsigned int *)info;
	uint64_t t0 = arch_cycles();

	__atomic_fetch_add(&print_arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&print_arrived, __ATOMIC_ACQUIRE) < n &&
	       arch_cycles() - t0 < WAIT_MS * tsc_khz)
		cpu_relax();
	for (int i = 0; i < PRINT_LINES; i++)
		printk("smp-printk cpu %u line %02d abcdefghijklmnopqrstuvwxyz0123456789 end\n", me, i);
}

/*
 * Every CPU prints at the same moment; the lines must come out whole.
 * The check is on the console text, outside: tests/qemu/test_smp.py's ktest
 * group matches every "smp-printk" line against the full pattern.
 */
static void test_printk_lines_whole(struct ktest *t)
{
	unsigned int n = num_online_cpus();

	if (n < 2) {
		ktest_skip(t, "needs a second CPU");
		return;
	}
	print_arrived = 0;
	on_each_cpu(print_lines_at_once, &n, true);
	KT_EXPECT_EQ(t, print_arrived, n);
	ktest_log("%u CPUs printed %d lines each at once", n, PRINT_LINES);
}

KTEST_SUITE(smp,
	    KTEST_CASE(test_call_offline_cpu),
	    KTEST_CASE(test_call_self),
	    KTEST_CASE(test_call_single_wait),
	    KTEST_CASE(test_on_each_cpu_wait),
	    KTEST_CASE(test_on_each_cpu_nowait),
	    KTEST_CASE(test_call_each_other_irqs_off),
	    KTEST_CASE(test_call_from_irq_in_callers_window),
	    KTEST_CASE(test_work_queue_on_runs_there),
	    KTEST_CASE(test_work_requeue_while_running_stays),
	    KTEST_CASE(test_work_never_on_two_cpus),
	    KTEST_CASE(test_tlb_shootdown_remap),
	    KTEST_CASE(test_pgtable_alloc_under_lock_does_not_wait),
	    KTEST_CASE(test_printk_lines_whole));
