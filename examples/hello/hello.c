/*
 * hello.c - the smallest appliance: greet, use the heap, report the time
 * and memory, run a function on every CPU, and exit with a status the
 * host sees.
 *
 *   make run APP=examples/hello ARGS="world 3"
 * prints "hello, world", one "hello: CPU N ran ..." line per online CPU,
 * and exits with status 3 (argv[2], default 0): `make run` returns it.
 */
#include <ballast/app.h>
#include <ballast/cpus.h>
#include <ballast/stats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CPUS 64

static unsigned int ran_all[MAX_CPUS];	/* ballast_run_on_all() calls seen per CPU */

/* Runs on a CPU with interrupts off: record where (no printf here). */
static void record_cpu(void *arg)
{
	unsigned int id = ballast_cpu_id();

	if (arg)
		*(volatile int *)arg = (int)id;
	else if (id < MAX_CPUS)
		__atomic_fetch_add(&ran_all[id], 1, __ATOMIC_RELAXED);
}

/* Run record_cpu on each CPU by number, then on all at once; print each CPU's id. */
static void cpus(void)
{
	unsigned int n = ballast_num_cpus();
	volatile int where;
	int rc;

	printf("hello: main on CPU %u, %u CPU(s) online\n", ballast_cpu_id(), n);
	for (unsigned int c = 0; c < n && c < MAX_CPUS; c++) {
		where = -1;
		rc = ballast_run_on_cpu(c, record_cpu, (void *)&where, true);
		printf("hello: run_on_cpu(%u): rc %d, ran on CPU %d\n", c, rc, where);
	}
	where = -1;
	rc = ballast_run_on_cpu(n, record_cpu, (void *)&where, true);
	printf("hello: run_on_cpu(%u) (not online): rc %d, ran on CPU %d\n", n, rc, where);
	ballast_run_on_all(record_cpu, NULL, true);
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		if (ran_all[c])
			printf("hello: run_on_all: CPU %u ran it %u time(s)\n", c, ran_all[c]);
}

int main(int argc, char **argv)
{
	const char *who = argc > 1 ? argv[1] : "Ballast";
	int status = argc > 2 ? atoi(argv[2]) : 0;
	struct ballast_mem_stats st;
	struct timespec ts;
	char *msg;
	size_t n = 1 << 20;

	/* a megabyte from malloc, written and checked, then resized */
	unsigned char *buf = malloc(n);
	if (!buf) {
		printf("hello: malloc(%zu) failed\n", n);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7);
	buf = realloc(buf, 2 * n);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != (unsigned char)(i * 7)) {
			printf("hello: realloc lost byte %zu\n", i);
			return 1;
		}
	free(buf);

	msg = malloc(64);
	snprintf(msg, 64, "hello, %s", who);
	printf("%s\n", msg);
	free(msg);

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ballast_mem_stats(&st);
	printf("hello: up %ld.%03ld s, %lu of %lu pages free, %d argument(s)\n",
	       (long)ts.tv_sec, ts.tv_nsec / 1000000, st.free, st.total, argc - 1);
	cpus();
	printf("hello: exiting with status %d\n", status);
	return status;
}
