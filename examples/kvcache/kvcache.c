/*
 * kvcache.c - an in-memory key-value cache appliance whose memory is
 * elastic: values live in the movable store (ballast/store.h), so
 * compaction and balloon migration can move them, and a shrinker evicts
 * least recently used entries when the kernel needs pages (an allocation
 * that would fail, or the host inflating the balloon).
 *
 * Data: a hash table of entries (key, store handle, value length), each
 * also on one LRU list (head = most recently used). The keys and entries
 * are malloc'ed; the values are in the store. `busy` is set while the
 * table is being changed: a shrinker call that arrives then (from the slow
 * path of the cache's own allocation) answers BALLAST_SHRINK_STOP.
 *
 * Protocol (one command a line on the serial console, "kv> " prompt):
 *   set KEY VALUE        store VALUE (the rest of the line)
 *   get KEY              "VALUE" or "(nil)"
 *   del KEY              "deleted" or "(nil)"
 *   stats                entries, bytes, hit rate, evictions, shrinker and
 *                        memory figures (one "name value" a line)
 *   fill N SIZE          add N entries k0..k(N-1) with SIZE-byte values
 *                        computed from the key (for verify)
 *   verify               check every fill entry still present: "verify: N
 *                        checked, M mismatches"
 *   shrink N             ask all shrinkers for N pages now (and say how
 *                        long that took)
 *   compact              compact all memory now (moves the store's pages)
 *   misbehave CASE       register a shrinker that breaks its contract, or
 *                        misuse the page API: count, overclaim, stuck,
 *                        doublefree, foreignfree; or write one byte past
 *                        a malloc'ed object: overrun (see README.md)
 *   shell                leave for the Ballast shell
 *   quit [STATUS]        exit with STATUS (0)
 */
#include <ballast/ballast.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NBUCKETS	(1u << 18)
#define LINE_MAX_KV	4096

struct entry {
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* LRU: head is the most recent */
	store_handle_t h;
	unsigned int len;
	char key[];
};

static struct entry **table;
static struct entry lru = { .prev = &lru, .next = &lru };
static unsigned long nentries, nbytes, hits, misses, evicted, sets;
static int busy;
static struct ballast_shrinker *shrinker;

/* FNV-1a of @k. */
static unsigned int hash(const char *k)
{
	unsigned int h = 2166136261u;

	while (*k)
		h = (h ^ (unsigned char)*k++) * 16777619u;
	return h & (NBUCKETS - 1);
}

static void lru_del(struct entry *e) { e->prev->next = e->next; e->next->prev = e->prev; }

static void lru_add_head(struct entry *e)
{
	e->next = lru.next;
	e->prev = &lru;
	lru.next->prev = e;
	lru.next = e;
}

static struct entry *lookup(const char *k)
{
	for (struct entry *e = table[hash(k)]; e; e = e->hnext)
		if (!strcmp(e->key, k))
			return e;
	return NULL;
}

/* Unlink @e from the table and the LRU and free it and its value. */
static void entry_remove(struct entry *e)
{
	struct entry **pp = &table[hash(e->key)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_del(e);
	nentries--;
	nbytes -= e->len;
	store_free(e->h);
	free(e);
}

/* Store @len bytes of @val under @k (replacing); 0, or -1 when out of memory. */
static int cache_set(const char *k, const char *val, unsigned int len)
{
	struct entry *e, *old;
	store_handle_t h;
	char *p;

	if (!len || len > STORE_MAX_SIZE)
		return -1;
	/* allocate first, with the table untouched: reclaim may evict meanwhile */
	e = malloc(sizeof(*e) + strlen(k) + 1);
	h = e ? store_alloc(len) : 0;
	if (!h) {
		free(e);
		return -1;
	}
	busy++;
	p = store_map(h);
	memcpy(p, val, len);
	store_unmap(h);
	strcpy(e->key, k);
	e->h = h;
	e->len = len;
	old = lookup(k);
	if (old)
		entry_remove(old);
	e->hnext = table[hash(k)];
	table[hash(k)] = e;
	lru_add_head(e);
	nentries++;
	nbytes += len;
	sets++;
	busy--;
	return 0;
}

/* ---- the shrinker: evict from the LRU tail ---- */

static long kv_count(void *priv)
{
	struct store_stats st;

	store_stats(&st);
	return nentries ? (long)st.pages : 0;
}

/*
 * Evict from the LRU tail until @nr store pages are free. Freeing one value
 * frees at most one page, so @left entries can go before the page count
 * needs reading again: the count is read once per round, not per entry
 * (a round halves what is left when two values share a page), and the
 * scan never frees more than it was asked.
 */
static long kv_scan(void *priv, unsigned long nr)
{
	struct store_stats st;
	unsigned long before, now, left;

	if (busy)
		return BALLAST_SHRINK_STOP;
	busy++;
	store_stats(&st);
	before = now = st.pages;
	while (before - now < nr && lru.prev != &lru) {
		for (left = nr - (before - now); left && lru.prev != &lru; left--) {
			entry_remove(lru.prev);
			evicted++;
		}
		store_stats(&st);
		now = st.pages;
	}
	busy--;
	return (long)(before - now);
}

/* ---- fill and verify ---- */

/*
 * Entry @i's value, @len bytes into @buf: "i=NNN;" (so no two entries are
 * alike), then the letters 'a' + (i * 31 + j * 7) % 26 (one addition a
 * byte, no division: fill and verify run under TCG).
 */
static void gen_value(unsigned long i, char *buf, unsigned int len)
{
	char tag[24];
	unsigned int r = (unsigned int)(i * 31 % 26);
	unsigned int j = (unsigned int)snprintf(tag, sizeof(tag), "i=%lu;", i);

	if (j > len)
		j = len;
	memcpy(buf, tag, j);
	for (r = (r + j * 7) % 26; j < len; j++) {
		buf[j] = (char)('a' + r);
		r += 7;
		if (r >= 26)
			r -= 26;
	}
}

static void cmd_fill(unsigned long n, unsigned int size)
{
	static char buf[STORE_MAX_SIZE];
	char key[32];
	unsigned long done = 0;

	if (size < 1 || size > STORE_MAX_SIZE) {
		printf("fill: SIZE must be 1..%u\n", (unsigned int)STORE_MAX_SIZE);
		return;
	}
	for (unsigned long i = 0; i < n; i++) {
		gen_value(i, buf, size);
		snprintf(key, sizeof(key), "k%lu", i);
		if (cache_set(key, buf, size))
			break;
		done++;
		if ((i & 1023) == 0)
			ballast_poll(false);	/* let the balloon and kcompactd run */
	}
	printf("fill: %lu of %lu entries stored\n", done, n);
}

static void cmd_verify(void)
{
	static char want[STORE_MAX_SIZE];
	unsigned long checked = 0, bad = 0;

	for (struct entry *e = lru.next; e != &lru; e = e->next) {
		char *end;
		unsigned long i;
		const char *p;

		if (e->key[0] != 'k' || !e->key[1])
			continue;
		i = strtoul(e->key + 1, &end, 10);
		if (*end)
			continue;
		gen_value(i, want, e->len);
		p = store_map(e->h);
		bad += memcmp(p, want, e->len) != 0;
		store_unmap(e->h);
		checked++;
	}
	printf("verify: %lu checked, %lu mismatches\n", checked, bad);
}

static void cmd_stats(void)
{
	struct ballast_shrinker_stats ss;
	struct ballast_mem_stats ms;
	struct store_stats st;
	unsigned long look = hits + misses;

	ballast_shrinker_stats(shrinker, &ss);
	ballast_mem_stats(&ms);
	store_stats(&st);
	printf("entries %lu\nbytes %lu\nhits %lu\nmisses %lu\nhit_rate_pct %lu\nevicted %lu\n",
	       nentries, nbytes, hits, misses, look ? hits * 100 / look : 0, evicted);
	printf("store_pages %lu\nstore_migrated %lu\n", st.pages, st.migrated);
	printf("shrinker_scans %lu\nshrinker_asked %lu\nshrinker_freed %lu\nshrinker_stops %lu\nshrinker_errors %lu\n",
	       ss.scan_calls, ss.asked, ss.freed, ss.stops, ss.errors);
	printf("mem_total %lu\nmem_free %lu\nmem_ballooned %lu\npressure %d\n",
	       ms.total, ms.free, ms.ballooned, (int)ballast_pressure_level());
}

/* ---- misbehaving cases (README.md, tests/qemu/test_app.py) ---- */

static long bad_count_neg(void *priv) { return -7; }
static long bad_count_some(void *priv) { return 100; }
static long bad_scan_over(void *priv, unsigned long nr) { return (long)nr * 1000; }
static long bad_scan_zero(void *priv, unsigned long nr) { return 0; }

/* Spins for 1.5 s: the timer's watchdog reports it while it runs. */
static long bad_scan_stuck(void *priv, unsigned long nr)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 1500);
	return 0;
}

/* Run the misbehaving shrinker (count, scan) @rounds times; print its stats. */
static void misbehave_shrinker(const char *name, long (*count)(void *), long (*scan)(void *, unsigned long),
			       int rounds)
{
	struct ballast_shrinker *s;
	struct ballast_shrinker_stats st;

	/* the cache's own shrinker would answer first: out of the way meanwhile
	 * (its statistics start again when it comes back) */
	ballast_unregister_shrinker(shrinker);
	s = ballast_register_shrinker(name, count, scan, NULL);

	if (!s) {
		printf("misbehave: cannot register\n");
		return;
	}
	for (int i = 0; i < rounds; i++)
		ballast_shrink(10);
	ballast_shrinker_stats(s, &st);
	printf("misbehave %s: %lu errors %lu late %lu scans %s\n", name, st.errors, st.late,
	       st.scan_calls, st.disabled ? "disabled" : "enabled");
	ballast_unregister_shrinker(s);
	shrinker = ballast_register_shrinker("kvcache", kv_count, kv_scan, NULL);
}

static void cmd_misbehave(const char *what)
{
	if (!strcmp(what, "count")) {
		misbehave_shrinker("bad-count", bad_count_neg, bad_scan_zero, 4);
	} else if (!strcmp(what, "overclaim")) {
		misbehave_shrinker("bad-overclaim", bad_count_some, bad_scan_over, 1);
	} else if (!strcmp(what, "stuck")) {
		misbehave_shrinker("bad-stuck", bad_count_some, bad_scan_stuck, 1);
	} else if (!strcmp(what, "doublefree")) {
		void *p = ballast_alloc_pages(BALLAST_PAGES_WAIT, 0);
		int a = ballast_free_pages(p, 0), b = ballast_free_pages(p, 0);
		printf("misbehave doublefree: first %d second %d\n", a, b);
	} else if (!strcmp(what, "foreignfree")) {
		char *m = malloc(64);
		void *p = ballast_alloc_pages(BALLAST_PAGES_WAIT, 1);
		int a = ballast_free_pages(m, 0), b = ballast_free_pages(p, 0);
		int c = ballast_free_pages(p, 1);
		printf("misbehave foreignfree: malloc'ed %d wrong-order %d right %d\n", a, b, c);
		free(m);
	} else if (!strcmp(what, "overrun")) {
		/* 32 bytes: kmalloc-32 exactly, so byte 32 is past the slot (the redzone
		 * of a debug build, else the neighbour): free() reports it */
		char *a = malloc(32), *b = malloc(32);
		int intact = 1;

		memset(b, 'n', 32);
		printf("misbehave overrun: writing 1 byte past %p (32 bytes)\n", (void *)a);
		__asm__("" : "+r"(a));	/* hide the overrun from the compiler's bounds warning */
		a[32] = 'X';
		free(a);
		for (int i = 0; i < 32; i++)
			intact &= b[i] == 'n';
		printf("misbehave overrun: freed; neighbour %p %s\n", (void *)b, intact ? "intact" : "damaged");
		free(b);
	} else {
		printf("misbehave: count, overclaim, stuck, doublefree, foreignfree or overrun\n");
	}
}

/* ---- the console loop ---- */

static void handle(char *line)
{
	char *cmd = strtok(line, " \t\n");
	char *a = strtok(NULL, " \t\n");

	if (!cmd)
		return;
	if (!strcmp(cmd, "set") && a) {
		char *v = strtok(NULL, "\n");
		if (!v || cache_set(a, v, (unsigned int)strlen(v)))
			printf("error: no value, too long, or out of memory\n");
		else
			printf("stored\n");
	} else if (!strcmp(cmd, "get") && a) {
		struct entry *e = lookup(a);
		if (!e) {
			misses++;
			printf("(nil)\n");
			return;
		}
		hits++;
		lru_del(e);
		lru_add_head(e);
		char *p = store_map(e->h);
		fwrite(p, 1, e->len, stdout);
		store_unmap(e->h);
		printf("\n");
	} else if (!strcmp(cmd, "del") && a) {
		struct entry *e = lookup(a);
		if (e) {
			busy++;
			entry_remove(e);
			busy--;
		}
		printf(e ? "deleted\n" : "(nil)\n");
	} else if (!strcmp(cmd, "stats")) {
		cmd_stats();
	} else if (!strcmp(cmd, "fill") && a) {
		char *b = strtok(NULL, " \t\n");
		cmd_fill(strtoul(a, NULL, 0), b ? (unsigned int)strtoul(b, NULL, 0) : 1000);
	} else if (!strcmp(cmd, "compact")) {
		printf("compact: %lu pages moved\n", ballast_compact());
	} else if (!strcmp(cmd, "verify")) {
		cmd_verify();
	} else if (!strcmp(cmd, "shrink") && a) {
		struct timespec t0, t1;
		unsigned long got;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		got = ballast_shrink(strtoul(a, NULL, 0));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("shrink: %lu pages freed in %ld us\n", got,
		       (long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000));
	} else if (!strcmp(cmd, "misbehave") && a) {
		cmd_misbehave(a);
	} else if (!strcmp(cmd, "shell")) {
		ballast_shell();
	} else if (!strcmp(cmd, "quit")) {
		exit(a ? atoi(a) : 0);
	} else {
		printf("commands: set KEY VALUE, get KEY, del KEY, stats, fill N SIZE, verify, "
		       "shrink N, compact, misbehave CASE, shell, quit [STATUS]\n");
	}
}

int main(int argc, char **argv)
{
	static char line[LINE_MAX_KV];

	table = calloc(NBUCKETS, sizeof(*table));
	shrinker = ballast_register_shrinker("kvcache", kv_count, kv_scan, NULL);
	if (!table || !shrinker) {
		printf("kvcache: cannot start (no memory)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("kvcache: ready (%u buckets); type help\n", NBUCKETS);
	for (;;) {
		printf("kv> ");
		if (!fgets(line, sizeof(line), stdin))
			break;
		handle(line);
	}
	return 0;
}
