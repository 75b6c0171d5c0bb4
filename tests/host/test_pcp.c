/*
 * test_pcp.c - the per-CPU lists with real threads as CPUs, and the host
 * SMP model they are drained through (tests/host/support/host_smp.c).
 *
 * The lists belong to their CPU (changed only with its interrupts off);
 * another CPU's list is drained by a call run on that CPU. These tests
 * check the model first (a call runs on the target thread, with its
 * interrupts off, not before it enables them, -ENXIO for an offline CPU,
 * two CPUs waiting on each other), then the allocator on top of it: a
 * remote drain while the owner allocates and frees with painted pages,
 * drain_all_pages() emptying every CPU's lists, and the pgalloc/pgfree
 * and event counts summing exactly over CPUs.
 */
#include "htest.h"
#include "support/host_mem.h"
#include "support/host_smp.h"
#include <mm/page_alloc.h>
#include <mm/vmstat.h>
#include <arch/page.h>
#include <errno.h>
#include <string.h>
#include <stddef.h>

/* ---------------- the mailbox model ---------------- */

struct probe {
	int ran;			/* times the function ran */
	unsigned int cpu;		/* arch_cpu_id() it ran on */
	bool irqs_off;			/* interrupts were off while it ran */
};

static void probe_fn(void *info)
{
	struct probe *p = info;

	p->cpu = arch_cpu_id();
	p->irqs_off = irqs_disabled();
	__atomic_add_fetch(&p->ran, 1, __ATOMIC_RELEASE);
}

struct irq_worker {
	unsigned int cpu;
	int phase;			/* 0 start, 1 irqs off, 2 may enable, 3 enabled, 4 stop */
};

static void wait_phase(int *phase, int want)
{
	while (__atomic_load_n(phase, __ATOMIC_ACQUIRE) != want)
		host_smp_poll();
}

/* Registers, disables interrupts, waits, enables them, then polls until told to stop. */
static void *irq_worker_fn(void *arg)
{
	struct irq_worker *w = arg;
	unsigned long f;

	if (!host_smp_register(w->cpu))
		return NULL;
	f = local_irq_save();
	__atomic_store_n(&w->phase, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) != 2)
		cpu_relax();		/* interrupts off: no mailbox service */
	local_irq_restore(f);		/* a pending call runs here */
	__atomic_store_n(&w->phase, 3, __ATOMIC_RELEASE);
	while (__atomic_load_n(&w->phase, __ATOMIC_ACQUIRE) != 4)
		host_smp_poll();
	host_smp_unregister();
	return NULL;
}

/* Expect a call to run on the target thread with interrupts off, only once it enables them. */
TEST(smp_call_runs_on_target_when_irqs_enabled)
{
	struct irq_worker w = { .cpu = 1 };
	struct probe p = { 0 };
	pthread_t t;

	ASSERT_EQ(num_online_cpus(), 1);
	ASSERT_EQ(pthread_create(&t, NULL, irq_worker_fn, &w), 0);
	wait_phase(&w.phase, 1);
	EXPECT(cpu_online(1));
	EXPECT_EQ(num_online_cpus(), 2);
	ASSERT_EQ(smp_call_function_single(1, probe_fn, &p, false), 0);
	for (int i = 0; i < 100000; i++)
		cpu_relax();
	/* the target still has interrupts off: the call waits in its mailbox */
	EXPECT_EQ(__atomic_load_n(&p.ran, __ATOMIC_ACQUIRE), 0);
	__atomic_store_n(&w.phase, 2, __ATOMIC_RELEASE);
	wait_phase(&w.phase, 3);
	EXPECT_EQ(__atomic_load_n(&p.ran, __ATOMIC_ACQUIRE), 1);
	EXPECT_EQ(p.cpu, 1);
	EXPECT(p.irqs_off);
	/* a waited-for call: done when it returns */
	memset(&p, 0, sizeof(p));
	ASSERT_EQ(smp_call_function_single(1, probe_fn, &p, true), 0);
	EXPECT_EQ(p.ran, 1);
	EXPECT_EQ(p.cpu, 1);
	/* on the calling CPU: runs right away, interrupts off */
	memset(&p, 0, sizeof(p));
	EXPECT_EQ(smp_call_function_single(0, probe_fn, &p, true), 0);
	EXPECT_EQ(p.ran, 1);
	EXPECT_EQ(p.cpu, 0);
	EXPECT(p.irqs_off);
	EXPECT(!irqs_disabled());
	__atomic_store_n(&w.phase, 4, __ATOMIC_RELEASE);
	host_smp_join(t, NULL);
	EXPECT(!cpu_online(1));
	EXPECT_EQ(smp_call_function_single(1, probe_fn, &p, true), -ENXIO);
	EXPECT_EQ(smp_call_function_single(NR_CPUS, probe_fn, &p, true), -ENXIO);
	EXPECT_EQ(num_online_cpus(), 1);
}

struct ping {
	unsigned int cpu, peer;
	struct host_smp_barrier *b;
	struct probe got;
	int rc;
};

/* Call the peer (waiting) at the same moment the peer calls us. */
static void *ping_fn(void *arg)
{
	struct ping *p = arg;

	if (!host_smp_register(p->cpu))
		return NULL;
	host_smp_barrier_wait(p->b);
	for (int i = 0; i < 200; i++)
		p->rc |= smp_call_function_single(p->peer, probe_fn, &p->got, true);
	host_smp_barrier_wait(p->b);
	host_smp_unregister();
	return NULL;
}

/* Expect two CPUs that call each other and wait to both finish (each serves its mailbox while waiting). */
TEST(smp_mutual_waiting_calls_finish)
{
	struct host_smp_barrier b;
	struct ping a = { .cpu = 1, .peer = 2, .b = &b }, c = { .cpu = 2, .peer = 1, .b = &b };
	pthread_t ta, tc;

	host_smp_barrier_init(&b, 2);
	ASSERT_EQ(pthread_create(&ta, NULL, ping_fn, &a), 0);
	ASSERT_EQ(pthread_create(&tc, NULL, ping_fn, &c), 0);
	host_smp_join(ta, NULL);
	host_smp_join(tc, NULL);
	EXPECT_EQ(a.rc, 0);
	EXPECT_EQ(c.rc, 0);
	EXPECT_EQ(a.got.ran, 200);
	EXPECT_EQ(c.got.ran, 200);
	EXPECT_EQ(a.got.cpu, 2);	/* a's calls ran on c's CPU */
	EXPECT_EQ(c.got.cpu, 1);
}

/* Count one run in ((int *)@seen)[running CPU]. */
static void count_cpu_fn(void *seen)
{
	__atomic_add_fetch(&((int *)seen)[arch_cpu_id()], 1, __ATOMIC_RELAXED);
}

/* Expect on_each_cpu to run once on every online CPU, the caller's included. */
TEST(smp_on_each_cpu_runs_everywhere)
{
	enum { N = 3 };
	static struct irq_worker w[N];
	static pthread_t t[N];
	static int seen[NR_CPUS];

	for (int i = 0; i < N; i++) {
		w[i] = (struct irq_worker){ .cpu = 1 + i };
		ASSERT_EQ(pthread_create(&t[i], NULL, irq_worker_fn, &w[i]), 0);
		wait_phase(&w[i].phase, 1);
		__atomic_store_n(&w[i].phase, 2, __ATOMIC_RELEASE);
		wait_phase(&w[i].phase, 3);
	}
	memset(seen, 0, sizeof(seen));
	on_each_cpu(count_cpu_fn, seen, true);
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		EXPECT_EQ(seen[cpu], cpu <= N ? 1 : 0);
	for (int i = 0; i < N; i++) {
		__atomic_store_n(&w[i].phase, 4, __ATOMIC_RELEASE);
		host_smp_join(t[i], NULL);
	}
}

/* ---------------- the allocator's per-CPU lists ---------------- */

/* Paint a page with its owner and a sequence number; check it on free. */
static void paint(struct page *p, uint64_t tag)
{
	uint64_t *w = page_address(p);

	for (unsigned int i = 0; i < PAGE_SIZE / 8; i += 64)
		w[i] = tag;
}

static bool painted(struct page *p, uint64_t tag)
{
	const uint64_t *w = page_address(p);

	for (unsigned int i = 0; i < PAGE_SIZE / 8; i += 64)
		if (w[i] != tag)
			return false;
	return true;
}

struct churn {
	unsigned int cpu;
	unsigned long ops;		/* alloc+free cycles to run */
	volatile int *stop;		/* or stop early when set */
	unsigned long bad_paint, failed, allocated, freed;
	struct host_smp_barrier *b;
};

/* Keep a working set of 256 painted order-0 pages, replacing one per step. */
static void *churn_fn(void *arg)
{
	enum { SET = 256 };
	struct churn *c = arg;
	struct page *set[SET] = { NULL };
	uint64_t tag[SET] = { 0 }, seed = c->cpu * 0x9e3779b97f4a7c15ULL + 1;

	if (!host_smp_register(c->cpu))
		return NULL;
	host_smp_barrier_wait(c->b);
	for (unsigned long i = 0; i < c->ops && !*c->stop; i++) {
		unsigned int k = (unsigned int)(i % SET);

		if (set[k]) {
			if (!painted(set[k], tag[k]))
				c->bad_paint++;
			__free_pages(set[k], 0);
			c->freed++;
		}
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		set[k] = alloc_pages(GFP_KERNEL | __GFP_NOWARN | (seed >> 63 ? __GFP_MOVABLE : 0), 0);
		if (!set[k]) {
			__atomic_store_n(&c->failed, c->failed + 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_store_n(&c->allocated, c->allocated + 1, __ATOMIC_RELAXED);
		tag[k] = ((uint64_t)c->cpu << 56) | i;
		paint(set[k], tag[k]);
	}
	for (int k = 0; k < SET; k++)
		if (set[k]) {
			if (!painted(set[k], tag[k]))
				c->bad_paint++;
			__free_pages(set[k], 0);
			c->freed++;
		}
	host_smp_barrier_wait(c->b);	/* lists still full: the caller drains them */
	host_smp_barrier_wait(c->b);
	host_smp_unregister();
	return NULL;
}

/* Expect remote drains while the owners allocate to lose nothing, and drain_all_pages to empty every list. */
TEST(pcp_remote_drain_while_owner_allocates)
{
	enum { N = 2 };
	struct churn c[N];
	pthread_t t[N];
	struct host_smp_barrier b;
	volatile int stop = 0;
	unsigned long free0, drains = 0, remote_calls0;

	host_mem_init_mb(64);
	free0 = nr_free_pages_total();
	remote_calls0 = host_smp_calls_run(1) + host_smp_calls_run(2);
	host_smp_barrier_init(&b, N + 1);
	for (int i = 0; i < N; i++) {
		c[i] = (struct churn){ .cpu = 1 + i, .ops = htest_iters(40000), .stop = &stop, .b = &b };
		ASSERT_EQ(pthread_create(&t[i], NULL, churn_fn, &c[i]), 0);
	}
	host_smp_barrier_wait(&b);
	/* drain the owners' lists under their feet until both are done */
	while (__atomic_load_n(&c[0].allocated, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c[0].failed, __ATOMIC_RELAXED) < c[0].ops / 2) {
		drain_cpu_pages(1 + drains % N, NULL);
		drains++;
		if (drains % 16 == 0)
			drain_all_pages(NULL);
	}
	host_smp_barrier_wait(&b);	/* owners freed everything; their lists hold pages */
	EXPECT(nr_pcp_pages(NULL) > 0);
	drain_all_pages(NULL);		/* runs on CPUs 1 and 2, which wait polling */
	EXPECT_EQ(nr_pcp_pages(NULL), 0);
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			EXPECT_EQ(zones[z].pcp[cpu].count, 0);
	EXPECT_EQ(nr_free_pages(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_smp_barrier_wait(&b);
	for (int i = 0; i < N; i++) {
		host_smp_join(t[i], NULL);
		EXPECT_EQ(c[i].bad_paint, 0);
		EXPECT_EQ(c[i].failed, 0);
		EXPECT_EQ(c[i].allocated, c[i].freed);
	}
	/* the drains of CPUs 1 and 2 ran there, from their mailboxes */
	EXPECT(host_smp_calls_run(1) + host_smp_calls_run(2) - remote_calls0 >= drains);
	EXPECT(drains > 0);
	host_mem_teardown();
}

#define TIGHT_EVENTS 1000000UL

struct counter_job {
	unsigned int cpu;
	unsigned long pages_alloc;	/* pages this thread allocated */
	unsigned long events;		/* count_vm_event(COMPACTSTALL) calls */
	struct host_smp_barrier *b;
};

/* Allocate and free orders 0-3 (per-CPU and zone paths) and count an event. */
static void *counter_fn(void *arg)
{
	struct counter_job *j = arg;
	struct page *keep[64];

	if (!host_smp_register(j->cpu))
		return NULL;
	host_smp_barrier_wait(j->b);
	for (unsigned long i = 0; i < htest_iters(3000); i++) {
		unsigned int o = (unsigned int)(i % 4), n = (unsigned int)(1 + i % 64);

		for (unsigned int k = 0; k < n; k++) {
			keep[k] = alloc_pages(GFP_KERNEL, o);
			if (!keep[k]) {
				n = k;
				break;
			}
			j->pages_alloc += 1UL << o;
		}
		for (unsigned int k = 0; k < n; k++)
			__free_pages(keep[k], o);
		count_vm_event(COMPACTSTALL);
		j->events++;
	}
	/* all at once, as fast as they can: a shared or split count would lose some */
	host_smp_barrier_wait(j->b);
	for (unsigned long i = 0; i < TIGHT_EVENTS; i++)
		count_vm_event(COMPACTFAIL);
	host_smp_barrier_wait(j->b);
	host_smp_unregister();
	return NULL;
}

/* Expect pgalloc/pgfree and a plain event, counted by 3 CPUs at once, to sum exactly. */
TEST(pcp_counts_exact_across_cpus)
{
	enum { N = 3 };
	struct counter_job j[N];
	pthread_t t[N];
	struct host_smp_barrier b;
	unsigned long free0, alloc0, pgfree0, stall0, fail0, want = 0, events = 0;

	host_mem_init_mb(64);
	free0 = nr_free_pages_total();
	alloc0 = vm_stat_read(PGALLOC_DMA) + vm_stat_read(PGALLOC_DMA32) + vm_stat_read(PGALLOC_NORMAL);
	pgfree0 = vm_stat_read(PGFREE);
	stall0 = vm_stat_read(COMPACTSTALL);
	fail0 = vm_stat_read(COMPACTFAIL);
	host_smp_barrier_init(&b, N);
	for (int i = 0; i < N; i++) {
		j[i] = (struct counter_job){ .cpu = 1 + i, .b = &b };
		ASSERT_EQ(pthread_create(&t[i], NULL, counter_fn, &j[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		host_smp_join(t[i], NULL);
		want += j[i].pages_alloc;
		events += j[i].events;
	}
	EXPECT(want > 0);
	EXPECT_EQ(vm_stat_read(PGALLOC_DMA) + vm_stat_read(PGALLOC_DMA32) +
		  vm_stat_read(PGALLOC_NORMAL) - alloc0, want);
	EXPECT_EQ(vm_stat_read(PGFREE) - pgfree0, want);
	EXPECT_EQ(vm_stat_read(COMPACTSTALL) - stall0, events);
	EXPECT_EQ(vm_stat_read(COMPACTFAIL) - fail0, N * TIGHT_EVENTS);
	/* the CPUs are offline now: their lists are nobody's and drained here */
	drain_all_pages(NULL);
	EXPECT_EQ(nr_pcp_pages(NULL), 0);
	EXPECT_EQ(nr_free_pages(), free0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}

/* Expect each CPU's event row on its own cache lines (no two CPUs share a line). */
TEST(vmstat_rows_cache_line_separated)
{
	EXPECT_EQ(sizeof(vm_event_states[0]) % 64, 0);
	EXPECT_EQ((uintptr_t)&vm_event_states[0] % 64, 0);
	EXPECT_EQ((uintptr_t)&zones[0].pcp[1] - (uintptr_t)&zones[0].pcp[0], sizeof(zones[0].pcp[0]));
	EXPECT_EQ(sizeof(zones[0].pcp[0]) % 64, 0);
}

/* Expect a spill to give the buddy merged blocks: freeing a refilled batch restores the orders. */
TEST(pcp_spill_merges_blocks)
{
	static struct page *p[4096];
	unsigned long free0, max0;
	struct zone *z = &zones[ZONE_DMA32];

	host_mem_init_mb(64);
	drain_all_pages(NULL);
	free0 = nr_free_pages();
	max0 = z->free_area[MAX_ORDER].nr_free;
	for (int i = 0; i < 4096; i++)
		ASSERT((p[i] = alloc_pages(GFP_KERNEL, 0)) != NULL);
	EXPECT(z->free_area[MAX_ORDER].nr_free < max0);
	for (int i = 0; i < 4096; i++)
		__free_pages(p[i], 0);
	EXPECT(vm_stat_read(PCP_SPILL) > 0);
	drain_all_pages(NULL);
	EXPECT_EQ(nr_free_pages(), free0);
	EXPECT_EQ(z->free_area[MAX_ORDER].nr_free, max0);
	EXPECT_EQ(mm_check_invariants(), 0);
	host_mem_teardown();
}
