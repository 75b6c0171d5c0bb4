/*
 * ballast-dump - read and shrink a Ballast guest's memory dump (QEMU
 * dump-guest-memory, ELF format) on the host. docs/dumps.md is the manual.
 *
 *   ballast-dump [--kernel ELF] info DUMP
 *   ballast-dump [--kernel ELF] summary [-b FLAGS] DUMP
 *   ballast-dump [--kernel ELF] log DUMP
 *   ballast-dump [--kernel ELF] filter [-d LEVEL] [--exclude CLASSES] IN OUT
 *
 * The tool is the kernel's own code pointed at a dead kernel's memory:
 * vmcore.c reads the guest's section table, builds a virtual memmap from
 * the online sections' struct pages and points the kernel's memory model
 * at it, and then page_kpageflags() (mm/kpageflags.c) and the page-types
 * printer (mm/page_types.c) run unchanged, with printk() going to stdout.
 * So `summary` prints what the guest's `page-types` and `buddyinfo`
 * printed, by construction. Memory is walked section by section: absent
 * sections are skipped, offline ones counted but never read.
 *
 * filter keeps the ELF layout QEMU wrote (ELF header, one PT_NOTE with the
 * same notes, PT_LOADs) and leaves excluded pages out by splitting each
 * PT_LOAD into runs of kept pages: every run is its own PT_LOAD with its
 * p_paddr (and p_vaddr, when the input had one) adjusted, so any ELF core
 * reader sees the kept pages at their addresses and nothing at the others.
 * More than 65534 runs use the PN_XNUM extension, as QEMU does. Data is
 * moved with copy_file_range() (in-kernel copy; falls back to write()
 * from the mapping), page aligned in the output.
 *
 * A page is left out only if its class is known for certain: a page
 * of an online section whose memmap is not initialised, with a page type
 * the build does not know, or in a "free" block with an impossible order
 * is "unknown" and is always kept. The section decides before the struct
 * page: pages of offline sections and of no section are never read (with
 * VIRTIO_MEM_F_UNPLUGGED_INACCESSIBLE the host may not even back them),
 * and neither are PageOffline pages; "offline" leaves all three out.
 */
#define _GNU_SOURCE
#include "vmcore.h"
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/kpageflags.h>
#include <mm/mm_show.h>
#include <mm/sparse.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The kernel's memory model (mm/sparse.c, mm/memmap.c in the guest); vmcore.c points it into the dump. */
uintptr_t vmemmap_base;
struct mem_section mem_sections[NR_MEM_SECTIONS];
/*
 * Deferred init and hot-remove as mm/kpageflags.c sees them: the hooked
 * table holds no SECTION_DEFERRED entry (vmcore.c copies VS_ONLINE ones
 * only), and a dump never changes under the reader, so a walk needs no
 * protection.
 */
unsigned long deferred_boot_end_pfn;
void (*kpageflags_walk_hook)(unsigned long pfn);
void memmap_walk_begin(void) { }
void memmap_walk_end(void) { }
void memmap_walk_sync(void) { }

static const char * const zone_label[VMCORE_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };
static const char *kernel_path;

/* The kernel's printk, for mm/kpageflags.c: straight to stdout. */
int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ballast-dump [--kernel ELF] COMMAND ...\n"
		"  info DUMP                       note keys, memory model, segments\n"
		"  summary [-b FLAGS] DUMP         page-types summary and buddyinfo per zone\n"
		"  log DUMP                        the console log ring\n"
		"  filter [-d LEVEL] [--exclude CLASSES] [-q] IN OUT\n"
		"      LEVEL: bit mask as makedumpfile -d: 1 zero, 2/4 page cache (none in\n"
		"      Ballast), 8 user (none), 16 free; any LEVEL > 0 also leaves out offline\n"
		"      and hwpoison pages. CLASSES: comma list of free, reported, offline,\n"
		"      offline_section, absent, zero, slab, pgtable, hwpoison, movable\n"
		"      (offline includes offline_section and absent)\n"
		"  --kernel ELF: refuse a dump whose BUILD-ID differs from ELF's build-id\n");
	exit(2);
}

/* Print "ballast-dump: MSG" and exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "ballast-dump: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

struct mapped {
	int fd;
	const void *map;
	size_t size;
};

/* mmap @path read-only (an empty file maps to a NULL map of size 0). */
static void map_file(const char *path, struct mapped *m)
{
	struct stat st;

	m->fd = open(path, O_RDONLY);
	if (m->fd < 0 || fstat(m->fd, &st))
		die("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		die("%s: not a regular file", path);
	m->size = st.st_size;
	m->map = NULL;
	if (m->size) {
		m->map = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, m->fd, 0);
		if (m->map == MAP_FAILED)
			die("%s: mmap: %s", path, strerror(errno));
	}
}

/* --kernel: the note's BUILD-ID must equal the ELF's .note.gnu.build-id. */
static void check_build_id(const struct vmcore *vc)
{
	struct mapped k;
	char id[129];

	if (!kernel_path)
		return;
	map_file(kernel_path, &k);
	if (!elf_build_id(k.map, k.size, id, sizeof(id)))
		die("%s has no GNU build-id note", kernel_path);
	if (!vc->build_id)
		die("the dump's VMCOREINFO has no BUILD-ID to compare with %s", kernel_path);
	if (strcasecmp(vc->build_id, id))
		die("the dump is from a different build: BUILD-ID %s, %s has %s",
		    vc->build_id, kernel_path, id);
	munmap((void *)k.map, k.size);
	close(k.fd);
}

/* Open @path and check everything the page commands need. */
static void open_dump(const char *path, struct mapped *m, struct vmcore *vc, bool memmap)
{
	char err[300];

	map_file(path, m);
	if (vmcore_open(vc, m->map, m->size, err, sizeof(err)))
		die("%s: %s", path, err);
	if (vmcore_parse_info(vc, err, sizeof(err)))
		die("%s: %s", path, err);
	check_build_id(vc);
	if (memmap && vmcore_setup_memmap(vc, err, sizeof(err)))
		die("%s: %s", path, err);
}

static const char * const kind_label[] = {
	[VS_ABSENT] = "absent", [VS_OFFLINE] = "offline", [VS_UNINIT] = "online-uninitialised",
	[VS_ONLINE] = "online",
};

/* The section census: counts, zones, hot-added memory (info and summary). */
static void print_sections(const struct vmcore *vc, bool each)
{
	unsigned long mib = PAGES_PER_SECTION >> (20 - PAGE_SHIFT);

	printf("sections: %lu present of %llu (%lu MiB each): %lu online (%lu uninitialised), "
	       "%lu offline\n", vc->nr_present, (unsigned long long)vc->nr_sections, mib,
	       vc->nr_online, vc->nr_uninit, vc->nr_offline);
	printf("zones (online sections):");
	for (unsigned int z = 0; z < VMCORE_NR_ZONES; z++)
		printf("%s %s %lu", z ? "," : "", zone_label[z], vc->sec_per_zone[z]);
	printf("\n");
	printf("hot-added: %lu sections, %lu MiB\n", vc->nr_hotadded, vc->nr_hotadded * mib);
	for (uint64_t nr = 0; nr < vc->nr_sections; nr++) {
		const struct vmcore_section *s = &vc->sec[nr];

		if (s->kind == VS_ABSENT || (!each && (s->state & SECTION_BOOT)))
			continue;
		printf("  section 0x%llx pfn 0x%llx-0x%llx %s", (unsigned long long)nr,
		       (unsigned long long)section_nr_to_pfn(nr),
		       (unsigned long long)section_nr_to_pfn(nr + 1), kind_label[s->kind]);
		if (s->state & SECTION_ONLINE)
			printf(" %s", zone_label[s->zone]);
		printf(" %s", s->state & SECTION_BOOT ? "boot" : "hot-added");
		if (s->state & SECTION_HAS_MEMMAP)
			printf(" memmap 0x%llx", (unsigned long long)s->memmap_phys);
		printf("\n");
	}
}

static int cmd_info(int argc, char **argv)
{
	struct mapped m;
	struct vmcore vc;
	char err[300];
	uint64_t total = 0;

	if (argc != 2)
		usage();
	map_file(argv[1], &m);
	if (vmcore_open(&vc, m.map, m.size, err, sizeof(err)))
		die("%s: %s", argv[1], err);
	printf("file: %s, %zu bytes, ELF core x86-64, %u PT_LOAD%s\n", argv[1], m.size,
	       vc.nr_loads, vc.xnum ? " (PN_XNUM)" : "");
	for (unsigned int i = 0; i < vc.nr_loads; i++) {
		printf("  load paddr 0x%012llx-0x%012llx  %8llu KiB at file offset %#llx\n",
		       (unsigned long long)vc.loads[i].paddr,
		       (unsigned long long)(vc.loads[i].paddr + vc.loads[i].memsz),
		       (unsigned long long)vc.loads[i].filesz >> 10,
		       (unsigned long long)vc.loads[i].offset);
		total += vc.loads[i].filesz;
	}
	printf("memory in the dump: %llu KiB\n", (unsigned long long)total >> 10);
	printf("notes: %u in PT_NOTE (%llu bytes)\n", vc.nr_notes, (unsigned long long)vc.note_size);
	if (!vc.note_text) {
		printf("VMCOREINFO: none (boot with -device vmcoreinfo)\n");
		return 1;
	}
	printf("VMCOREINFO: %u keys\n", vc.nr_keys);
	for (unsigned int i = 0; i < vc.nr_keys; i++)
		printf("  %s=%s\n", vc.keys[i].key, vc.keys[i].val);
	if (vmcore_parse_info(&vc, err, sizeof(err))) {
		printf("layout: NOT usable: %s\n", err);
		return 1;
	}
	check_build_id(&vc);
	printf("layout: struct page %zu bytes, struct mem_section %zu bytes, offsets and page types "
	       "match this build\n", sizeof(struct page), sizeof(struct mem_section));
	if (vmcore_setup_memmap(&vc, err, sizeof(err))) {
		printf("memmap: NOT usable: %s\n", err);
		return 1;
	}
	printf("memmap: SPARSEMEM, section table at %#llx, pfn 0x0-%#llx, %lu section memmaps "
	       "copied\n", (unsigned long long)vc.mem_section_va, (unsigned long long)vc.end_pfn,
	       vc.nr_online - vc.nr_uninit);
	print_sections(&vc, true);
	vmcore_close(&vc);
	return 0;
}

static int cmd_summary(int argc, char **argv)
{
	static struct page_types_summary sum;	/* 4 KiB */
	struct page_types_filter f = { 0, 0 };
	const char *filter = NULL, *path = NULL;
	unsigned long nr_free[VMCORE_NR_ZONES][16], bad;
	bool populated[VMCORE_NR_ZONES] = { false };
	struct mapped m;
	struct vmcore vc;
	char err[160];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-b") && i + 1 < argc)
			filter = argv[++i];
		else if (argv[i][0] == '-' || path)
			usage();
		else
			path = argv[i];
	}
	if (!path)
		usage();
	if (filter && page_types_parse_filter(filter, &f, err, sizeof(err)))
		die("page-types: %s", err);
	open_dump(path, &m, &vc, true);
	/* The guest's page-types over every present section, with the kernel's kpageflags. */
	page_types_init(&sum, &f);
	for (uint64_t nr = 0; nr < vc.nr_sections; nr++) {
		uint64_t pfn = section_nr_to_pfn(nr), end = section_nr_to_pfn(nr + 1);

		if (vc.sec[nr].kind == VS_ABSENT)
			continue;
		if (vc.sec[nr].kind != VS_ONLINE) {
			page_types_add(&sum, 1ULL << KPF_NOPAGE, PAGES_PER_SECTION);
			continue;
		}
		for (; pfn < end; pfn++)
			page_types_add(&sum, vmcore_kpageflags(&vc, pfn), 1);
		populated[vmcore_zone_of(&vc, section_nr_to_pfn(nr) + PAGES_PER_SECTION - 1)] = true;
		if (section_nr_to_pfn(nr) < vc.zone_dma_end)
			populated[ZONE_DMA] = true;
	}
	page_types_print(&sum, printk);
	printf("\n");
	vmcore_buddyinfo(&vc, nr_free, &bad);
	for (unsigned int z = 0; z < VMCORE_NR_ZONES; z++)
		if (populated[z])
			buddyinfo_print_zone(zone_label[z], nr_free[z], MAX_ORDER, printk);
	printf("\n");
	print_sections(&vc, false);
	if (bad)
		fprintf(stderr, "ballast-dump: %lu PageBuddy head(s) with an impossible order "
			"not counted\n", bad);
	vmcore_close(&vc);
	return 0;
}

static int cmd_log(int argc, char **argv)
{
	struct mapped m;
	struct vmcore vc;
	char err[300], *text;
	size_t len;
	bool wrapped;

	if (argc != 2)
		usage();
	open_dump(argv[1], &m, &vc, false);
	if (vmcore_read_log(&vc, &text, &len, &wrapped, err, sizeof(err)))
		die("%s: %s", argv[1], err);
	if (wrapped)
		printf("[ballast-dump: the ring wrapped; older messages were overwritten]\n");
	fwrite(text, 1, len, stdout);
	if (len && text[len - 1] != '\n')
		putchar('\n');
	free(text);
	vmcore_close(&vc);
	return 0;
}

/* ---- filter ---- */

struct run {
	uint64_t paddr, vaddr, len, in_off;
};

struct runs {
	struct run *v;
	size_t n, cap;
};

/* Append [paddr, paddr + len) of segment @s, merging with the previous run. */
static void run_add(struct runs *r, const struct vmcore_seg *s, uint64_t paddr, uint64_t len)
{
	struct run *last = r->n ? &r->v[r->n - 1] : NULL;
	uint64_t in_off = s->offset + (paddr - s->paddr);

	if (last && last->paddr + last->len == paddr && last->in_off + last->len == in_off) {
		last->len += len;
		return;
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			die("out of memory");
	}
	r->v[r->n++] = (struct run){ paddr, s->vaddr ? s->vaddr + (paddr - s->paddr) : 0, len, in_off };
}

/*
 * True if the page at @p is all zero bytes. 64 bytes at a time with an
 * early exit: a page in use almost always has a non-zero word in its
 * first cache line, so the scan of a kept page costs one line, not 4 KiB.
 * memcpy() loads the words: dump segments need not be 8-byte aligned.
 */
static bool page_is_zero(const uint8_t *p)
{
	for (unsigned int off = 0; off < PAGE_SIZE; off += 64) {
		uint64_t q[8];

		memcpy(q, p + off, sizeof(q));
		if (q[0] | q[1] | q[2] | q[3] | q[4] | q[5] | q[6] | q[7])
			return false;
	}
	return true;
}

/* Classes whose page contents the filter never reads (unknown: not classifiable). */
#define NEVER_READ	(1u << DC_UNKNOWN | 1u << DC_OFFLINE | 1u << DC_SECTION_OFFLINE | \
			 1u << DC_ABSENT)

/* Parse -d/--exclude into a bit mask of DC_* classes to leave out. */
static unsigned int exclude_list(const char *spec)
{
	unsigned int mask = 0;
	char *copy = strdup(spec), *save, *tok;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c;

		for (c = DC_FREE; c < NR_DUMP_CLASSES; c++)
			if (c != DC_USED && !strcmp(tok, dump_class_names[c]))
				break;
		if (c == NR_DUMP_CLASSES)
			die("--exclude: unknown class '%s' (free, reported, offline, offline_section, "
			    "absent, zero, slab, pgtable, hwpoison, movable)", tok);
		mask |= 1u << c;
		if (c == DC_FREE)
			mask |= 1u << DC_REPORTED;
		if (c == DC_OFFLINE)	/* memory the guest does not hold, whatever the reason */
			mask |= 1u << DC_SECTION_OFFLINE | 1u << DC_ABSENT;
	}
	free(copy);
	return mask;
}

static unsigned int level_mask(const char *s)
{
	char *end;
	long d = strtol(s, &end, 0);
	unsigned int mask = 0;

	if (*end || d < 0 || d > 31)
		die("-d: level must be 0..31 (makedumpfile's dump level bits)");
	if (d & 1)
		mask |= 1u << DC_ZERO;
	if (d & 16)
		mask |= 1u << DC_FREE | 1u << DC_REPORTED;
	if (d)	/* like makedumpfile: logically offline and poisoned pages go at any level */
		mask |= 1u << DC_OFFLINE | 1u << DC_SECTION_OFFLINE | 1u << DC_ABSENT |
			1u << DC_HWPOISON;
	return mask;
}

/* Write all of @buf at @off. */
static void pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n <= 0)
			die("write: %s", n < 0 ? strerror(errno) : "short write");
		p += n;
		len -= n;
		off += n;
	}
}

/* Copy @len bytes from the input at @in_off to the output at @out_off. */
static void copy_range(const struct mapped *in, int out_fd, uint64_t in_off, uint64_t out_off,
		       uint64_t len)
{
	static bool no_cfr;

	while (len && !no_cfr) {
		loff_t io = in_off, oo = out_off;
		ssize_t n = copy_file_range(in->fd, &io, out_fd, &oo, len, 0);

		if (n <= 0) {
			if (n < 0 && errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP &&
			    errno != EINVAL)
				die("copy_file_range: %s", strerror(errno));
			no_cfr = true;
			break;
		}
		in_off += n;
		out_off += n;
		len -= n;
	}
	if (len)
		pwrite_all(out_fd, (const uint8_t *)in->map + in_off, len, out_off);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write the ELF core: header, program headers, the notes, the kept runs. */
static uint64_t write_core(const struct mapped *in, const struct vmcore *vc, const struct runs *r,
			   const char *path)
{
	uint64_t nph = r->n + 1, ph_off = sizeof(Elf64_Ehdr), sh_off, note_off, data_off;
	bool xnum = nph >= PN_XNUM;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	Elf64_Shdr sh;
	int fd;
	struct stat a, b;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (!fstat(in->fd, &a) && !fstat(fd, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		die("%s: the output is the input", path);
	sh_off = ph_off + nph * sizeof(Elf64_Phdr);
	note_off = sh_off + (xnum ? sizeof(Elf64_Shdr) : 0);
	data_off = ALIGN_UP(note_off + vc->note_size, PAGE_SIZE);

	memcpy(&eh, in->map, sizeof(eh));
	eh.e_ehsize = sizeof(eh);
	eh.e_phoff = ph_off;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = xnum ? PN_XNUM : nph;
	eh.e_shoff = xnum ? sh_off : 0;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = xnum ? 1 : 0;
	eh.e_shstrndx = SHN_UNDEF;
	pwrite_all(fd, &eh, sizeof(eh), 0);

	ph = calloc(nph, sizeof(*ph));
	if (!ph)
		die("out of memory");
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = note_off,
			      .p_filesz = vc->note_size, .p_memsz = vc->note_size };
	for (size_t i = 0; i < r->n; i++) {
		ph[i + 1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = data_off,
					  .p_vaddr = r->v[i].vaddr, .p_paddr = r->v[i].paddr,
					  .p_filesz = r->v[i].len, .p_memsz = r->v[i].len };
		data_off += r->v[i].len;
	}
	pwrite_all(fd, ph, nph * sizeof(*ph), ph_off);
	if (xnum) {
		memset(&sh, 0, sizeof(sh));
		sh.sh_info = nph;
		pwrite_all(fd, &sh, sizeof(sh), sh_off);
	}
	pwrite_all(fd, (const uint8_t *)in->map + vc->note_off, vc->note_size, note_off);
	for (size_t i = 0; i < r->n; i++)
		copy_range(in, fd, r->v[i].in_off, ph[i + 1].p_offset, r->v[i].len);
	if (ftruncate(fd, data_off) || close(fd))
		die("%s: %s", path, strerror(errno));
	free(ph);
	return data_off;
}

static int cmd_filter(int argc, char **argv)
{
	unsigned long pages[NR_DUMP_CLASSES] = { 0 }, kept[NR_DUMP_CLASSES] = { 0 };
	const char *in_path = NULL, *out_path = NULL;
	unsigned int mask = 0;
	bool quiet = false;
	struct mapped m;
	struct vmcore vc;
	struct runs r = { 0 };
	uint64_t in_bytes = 0, out_size;
	double t0 = now(), t_open, t_classify, t1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-d") && i + 1 < argc)
			mask |= level_mask(argv[++i]);
		else if (!strcmp(argv[i], "--exclude") && i + 1 < argc)
			mask |= exclude_list(argv[++i]);
		else if (!strcmp(argv[i], "-q"))
			quiet = true;
		else if (argv[i][0] == '-' || out_path)
			usage();
		else if (!in_path)
			in_path = argv[i];
		else
			out_path = argv[i];
	}
	if (!out_path)
		usage();
	open_dump(in_path, &m, &vc, true);
	madvise((void *)m.map, m.size, MADV_SEQUENTIAL);
	t_open = now();

	for (unsigned int i = 0; i < vc.nr_loads; i++) {
		const struct vmcore_seg *s = &vc.loads[i];
		uint64_t pa = s->paddr, end = s->paddr + s->filesz;

		in_bytes += s->filesz;
		/* A partial page at either end cannot be classified: keep it. */
		if (pa % PAGE_SIZE) {
			uint64_t n = ALIGN_UP(pa, PAGE_SIZE) - pa;

			n = n < end - pa ? n : end - pa;
			run_add(&r, s, pa, n);
			pa += n;
		}
		for (; pa + PAGE_SIZE <= end; pa += PAGE_SIZE) {
			uint64_t kpf;
			enum dump_class c = vmcore_classify(&vc, pa >> PAGE_SHIFT, &kpf);

			/*
			 * Offline and absent memory is never read, not even for
			 * the zero check; zero pages of the memory model stay, so
			 * the output remains readable.
			 */
			if (!(NEVER_READ & (1u << c)) && !(mask & (1u << c)) &&
			    (mask & (1u << DC_ZERO)) &&
			    page_is_zero(m.map + s->offset + (pa - s->paddr)) &&
			    !vmcore_is_metadata(&vc, pa))
				c = DC_ZERO;
			if (mask & (1u << c)) {
				pages[c]++;
				continue;
			}
			kept[c]++;
			run_add(&r, s, pa, PAGE_SIZE);
		}
		if (pa < end)
			run_add(&r, s, pa, end - pa);
	}
	t_classify = now();
	out_size = write_core(&m, &vc, &r, out_path);
	t1 = now();
	if (!quiet) {
		unsigned long total = 0;

		printf("left out:\n");
		for (int c = 0; c < NR_DUMP_CLASSES; c++) {
			if (!(mask & (1u << c)))
				continue;
			printf("  %-15s %10lu pages %10.1f MiB\n", dump_class_names[c], pages[c],
			       pages[c] / 256.0);
			total += pages[c];
		}
		printf("  %-15s %10lu pages %10.1f MiB\n", "total", total, total / 256.0);
		printf("kept:\n");
		for (int c = 0; c < NR_DUMP_CLASSES; c++)
			if (kept[c])
				printf("  %-15s %10lu pages %10.1f MiB%s\n", dump_class_names[c], kept[c],
				       kept[c] / 256.0, c == DC_UNKNOWN ? " (not classifiable: kept)" : "");
		printf("segments: %u in, %zu out\n", vc.nr_loads, r.n);
		printf("size: %zu -> %llu bytes (%.1f%%), %.3f s, %.2f GiB/s of dump read\n",
		       m.size, (unsigned long long)out_size, 100.0 * out_size / (m.size ? m.size : 1),
		       t1 - t0, (in_bytes / 1073741824.0) / (t1 - t0 > 1e-9 ? t1 - t0 : 1e-9));
		printf("time: open and memmap %.3f s, classify %.3f s, write %.3f s\n",
		       t_open - t0, t_classify - t_open, t1 - t_classify);
	}
	free(r.v);
	vmcore_close(&vc);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--kernel") && i + 1 < argc) {
			kernel_path = argv[i + 1];
			i += 2;
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	/* --kernel may also follow the command name. */
	for (int j = i + 1; j + 1 < argc; j++) {
		if (!strcmp(argv[j], "--kernel")) {
			kernel_path = argv[j + 1];
			memmove(&argv[j], &argv[j + 2], (argc - j - 1) * sizeof(*argv));
			argc -= 2;
			j--;
		}
	}
	if (!strcmp(argv[i], "info"))
		return cmd_info(argc - i, argv + i);
	if (!strcmp(argv[i], "summary"))
		return cmd_summary(argc - i, argv + i);
	if (!strcmp(argv[i], "log"))
		return cmd_log(argc - i, argv + i);
	if (!strcmp(argv[i], "filter"))
		return cmd_filter(argc - i, argv + i);
	usage();
}
