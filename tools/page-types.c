/*
 * page-types - summarize a Ballast kpageflags dump by flag combination,
 * like Linux's tools/mm/page-types.
 *
 * Capture the dump from the serial console (shell command
 * "kpageflags [START [COUNT]]"), then:
 *   page-types [-b FLAGS] [-r] [FILE]     (FILE defaults to stdin)
 * -b  filter: comma-separated flag names or letters, '~' negates,
 *     e.g. -b buddy, -b slab,~reserved, -b mt=movable
 * -r  keep Ballast's migratetype bits in the rows ("raw")
 * Lines not in the dump format (console chatter, prompts) are ignored;
 * text before a data line on the same line is not accepted, so capture
 * cleanly. Build: cc -O2 -Iinclude -o build/tools/page-types
 *                 tools/page-types.c mm/page_types.c
 */
#include <mm/kpageflags.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct page_types_summary sum;

int main(int argc, char **argv)
{
	struct page_types_filter f = { 0, 0 };
	const char *file = NULL;
	char line[512], err[200];
	unsigned long lines = 0, bad = 0, pfn, count;
	uint64_t flags;
	bool raw = false, in_dump = false, saw_header = false;
	FILE *in = stdin;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-b") && i + 1 < argc) {
			if (page_types_parse_filter(argv[++i], &f, err, sizeof(err))) {
				fprintf(stderr, "page-types: %s\n", err);
				return 2;
			}
		} else if (!strcmp(argv[i], "-r")) {
			raw = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "usage: %s [-b FLAGS] [-r] [FILE]\n", argv[0]);
			return 2;
		} else {
			file = argv[i];
		}
	}
	if (file && strcmp(file, "-") && !(in = fopen(file, "r"))) {
		perror(file);
		return 1;
	}
	page_types_init(&sum, &f);
	sum.raw = raw;
	while (fgets(line, sizeof(line), in)) {
		char *p = strstr(line, "# kpageflags v1");
		int r;

		if (p) {
			in_dump = saw_header = true;
			continue;
		}
		if (strstr(line, "# end")) {
			in_dump = false;
			continue;
		}
		if (saw_header && !in_dump)
			continue;
		r = page_types_parse_line(line, &pfn, &count, &flags);
		if (r == 1) {
			page_types_add(&sum, flags, count);
			lines++;
		} else if (r < 0 && in_dump) {
			bad++;
		}
	}
	if (in != stdin)
		fclose(in);
	if (!lines) {
		fprintf(stderr, "page-types: no kpageflags data found\n");
		return 1;
	}
	if (bad)
		fprintf(stderr, "page-types: %lu malformed line(s) inside the dump ignored\n", bad);
	page_types_print(&sum, printf);
	return 0;
}
