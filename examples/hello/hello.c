/*
 * hello.c - the smallest appliance: greet, use the heap, report the time
 * and memory, and exit with a status the host sees.
 *
 *   make run APP=examples/hello ARGS="world 3"
 * prints "hello, world" and exits with status 3 (argv[2], default 0):
 * `make run` returns it.
 */
#include <ballast/app.h>
#include <ballast/stats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	printf("hello: exiting with status %d\n", status);
	return status;
}
