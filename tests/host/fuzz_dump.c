/*
 * fuzz_dump.c - libFuzzer target: the dump reader of tools/ballast-dump
 * (tools/vmcore.c, compiled in here) on hostile dumps.
 *
 * The first input byte picks one of three shapes, so that the fuzzer gets
 * past each layer of checks instead of dying at the first one:
 *   0  the input is the dump file itself (ELF header, program headers,
 *      notes: every bounds check of vmcore_open());
 *   1  a well-formed ELF core whose VMCOREINFO text is the input
 *      (key parsing and every layout check of vmcore_parse_info());
 *   2  a well-formed core and a valid note whose memmap position, pfn
 *      range, valid map, log ring and every struct page come from the
 *      input: garbage page types, orders, refcounts and flags for the
 *      kernel's page_kpageflags() and the filter's classifier. The
 *      mem_map pointer variable (SYMBOL(mem_map), Linux's meaning) sits
 *      in the last 8 bytes of memory and holds the memmap's address,
 *      unless the input asks for it to be left as input bytes.
 * Whatever parses is then walked like the tool does: classify every pfn,
 * count buddyinfo, read the log ring.
 *
 * Invariants (abort on violation): no crash, no ASan/UBSan report; a page
 * classified free, reported or offline lies in a valid block and its
 * struct page says so (the filter never drops a page it cannot classify);
 * buddyinfo counts only orders 0..MAX_ORDER; the log is no longer than
 * the ring.
 *
 * Build: make build/host/fuzz_dump     Run: build/host/fuzz_dump -runs=100000
 */
#include "../../tools/vmcore.c"
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_BYTES	(128 * 1024)		/* RAM in the dump: holds memmap, valid map, ring */
#define HDR		4096			/* ELF header + phdrs + notes */

static uint8_t *image;				/* HDR + MEM_BYTES, reused */
#define MEM_MAP_VAR_PA	(MEM_BYTES - 8)		/* the mem_map pointer variable */
static uint64_t mem_map_value;			/* what valid_note() says it holds */
static bool mem_map_garbage;			/* leave the input's bytes there */

/* Append one ELF note at @p; returns its size. */
static size_t put_note(uint8_t *p, const char *name, uint32_t type, const void *desc, uint32_t len)
{
	Elf64_Nhdr n = { strlen(name) + 1, len, type };
	size_t nsz = (n.n_namesz + 3) & ~3u, dsz = (len + 3) & ~3u;

	memcpy(p, &n, sizeof(n));
	memset(p + sizeof(n), 0, nsz + dsz);
	memcpy(p + sizeof(n), name, n.n_namesz);
	memcpy(p + sizeof(n) + nsz, desc, len);
	return sizeof(n) + nsz + dsz;
}

/* A core with one PT_NOTE (@text as VMCOREINFO) and one PT_LOAD of MEM_BYTES at paddr 0. */
static size_t build_core(const char *text, size_t len)
{
	Elf64_Ehdr *eh = (void *)image;
	Elf64_Phdr *ph = (void *)(image + sizeof(*eh));
	uint8_t *notes = image + sizeof(*eh) + 2 * sizeof(*ph);
	size_t nsz;

	if (len > HDR - 512)
		len = HDR - 512;
	memset(image, 0, HDR);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_CORE;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	nsz = put_note(notes, "VMCOREINFO", 0, text, len);
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes - image, .p_filesz = nsz };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = HDR, .p_filesz = MEM_BYTES,
			      .p_memsz = MEM_BYTES };
	return HDR + MEM_BYTES;
}

/* Next input byte (0 when exhausted). */
static uint8_t next(const uint8_t **d, size_t *n)
{
	uint8_t b = *n ? **d : 0;

	if (*n) {
		(*d)++;
		(*n)--;
	}
	return b;
}

/* A valid note for a guest whose memmap etc. sit where the input says. */
static int valid_note(char *buf, size_t cap, const uint8_t **d, size_t *n)
{
	/* Positions in 512-byte steps over 0..128 KiB (some run past the end: refused). */
	uint64_t mm_pa = (uint64_t)next(d, n) << 9;
	uint64_t vm_pa = (uint64_t)next(d, n) << 9;
	uint64_t log_pa = (uint64_t)next(d, n) << 9;
	unsigned int log_len = 1u << (next(d, n) % 15);
	/* One 4 MiB block at pfn 0 or 1024 (or, rarely, two): the memmap need not
	 * describe the RAM it sits in. */
	uint8_t shape = next(d, n);
	uint64_t start = (uint64_t)(shape & 1) << MAX_ORDER;
	uint64_t end = start + ((uint64_t)(1 + (shape % 16 == 15)) << MAX_ORDER);

	mem_map_value = 0xffff888000000000ULL + mm_pa;
	mem_map_garbage = shape & 0x80;
	return snprintf(buf, cap,
		"PAGESIZE=4096\nSIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.lru)=8\n"
		"OFFSET(page.mapping)=24\nOFFSET(page.private)=40\nOFFSET(page.page_type)=48\n"
		"OFFSET(page._refcount)=52\nNUMBER(PAGE_TYPE_NONE)=0\nNUMBER(PAGE_TYPE_BUDDY)=1\n"
		"NUMBER(PAGE_TYPE_OFFLINE)=2\nNUMBER(PAGE_TYPE_TABLE)=3\nNUMBER(PAGE_TYPE_SLAB)=4\n"
		"NUMBER(PAGE_TYPE_LARGE_KMALLOC)=5\nNUMBER(PG_reserved)=%d\nNUMBER(PG_hwpoison)=%d\n"
		"NUMBER(PG_reported)=%d\nNUMBER(MAX_ORDER)=%d\nNUMBER(MEMMAP_VALID_SHIFT)=%d\n"
		"NUMBER(PAGE_OFFSET)=0xffff888000000000\nNUMBER(KERNEL_VBASE)=0xffffffff80000000\n"
		"NUMBER(phys_base)=0x0\nSYMBOL(mem_map)=0x%llx\nSYMBOL(memmap_valid_map)=0x%llx\n"
		"NUMBER(memmap_start_pfn)=0x%llx\nNUMBER(memmap_end_pfn)=0x%llx\n"
		"SYMBOL(ballast_log_buf)=0x%llx\nNUMBER(ballast_log_buf_len)=%u\n"
		"SYMBOL(ballast_log_buf_pos)=0x%llx\n",
		PG_reserved, PG_hwpoison, PG_reported, MAX_ORDER, MEMMAP_VALID_SHIFT,
		(unsigned long long)(0xffffffff80000000ULL + MEM_MAP_VAR_PA),
		(unsigned long long)(0xffffffff80000000ULL + vm_pa),
		(unsigned long long)start, (unsigned long long)end,
		(unsigned long long)(0xffffffff80000000ULL + log_pa + 8), log_len,
		(unsigned long long)(0xffffffff80000000ULL + log_pa));
}

/* Walk a parsed dump the way ballast-dump does, checking the invariants. */
static void walk(struct vmcore *vc)
{
	unsigned long nr_free[VMCORE_NR_ZONES][16], bad;
	char err[300], *text;
	size_t len;
	bool wrapped;

	if (!vmcore_read_log(vc, &text, &len, &wrapped, err, sizeof(err))) {
		uint64_t ring;
		const char *s = vmcore_key(vc, "NUMBER(ballast_log_buf_len)");

		if (!s || !parse_u64(&s, 0, &ring) || len > ring)
			abort();
		free(text);
	}
	if (vmcore_setup_memmap(vc, err, sizeof(err)))
		return;
	/*
	 * The memory repeats the input (at most 4 KiB = 64 struct pages), so
	 * the first 320 pfns see every distinct struct page; then the last
	 * ones and a few past the end.
	 */
	for (uint64_t pfn = vc->start_pfn; pfn < vc->end_pfn + 8; pfn++) {
		uint64_t kpf;
		enum dump_class c;

		if (pfn == vc->start_pfn + 320 && vc->end_pfn > pfn + 16)
			pfn = vc->end_pfn - 8;
		c = vmcore_classify(vc, pfn, &kpf);

		if (c == DC_FREE || c == DC_REPORTED || c == DC_OFFLINE) {
			const struct page *p;

			if (!pfn_valid(pfn))
				abort();
			p = pfn_to_page(pfn);
			if (c == DC_OFFLINE && p->page_type != PGTY_OFFLINE &&
			    p->page_type != PGTY_MOVABLE_OFFLINE)
				abort();
			if (c != DC_OFFLINE && (!(kpf & (1ULL << KPF_BUDDY)) || page_ref_count(p)))
				abort();
		}
	}
	vmcore_buddyinfo(vc, nr_free, &bad);
	for (int z = 0; z < VMCORE_NR_ZONES; z++)
		for (int o = MAX_ORDER + 1; o < 16; o++)
			if (nr_free[z][o])
				abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmcore vc;
	char err[300], note[2048];
	size_t n = size, file;
	const uint8_t *d = data;
	uint8_t mode = next(&d, &n) % 3;

	if (!image && !(image = calloc(1, HDR + MEM_BYTES)))
		abort();
	if (mode == 0) {
		if (vmcore_open(&vc, d, n, err, sizeof(err)) == 0 &&
		    vmcore_parse_info(&vc, err, sizeof(err)) == 0)
			walk(&vc);
		vmcore_close(&vc);
		return 0;
	}
	if (mode == 1) {
		file = build_core((const char *)d, n);
		memset(image + HDR, 0, MEM_BYTES);
	} else {
		int len = valid_note(note, sizeof(note), &d, &n);

		file = build_core(note, len);
		/* The rest of the input, repeated, is the memory: struct pages, valid map, ring. */
		memset(image + HDR, 0, MEM_BYTES);
		if (n) {	/* copy once, then double what is there (few, large copies) */
			size_t have = n < MEM_BYTES ? n : MEM_BYTES;

			memcpy(image + HDR, d, have);
			while (have < MEM_BYTES) {
				size_t c = have < MEM_BYTES - have ? have : MEM_BYTES - have;

				memcpy(image + HDR + have, image + HDR, c);
				have += c;
			}
		}
		if (!mem_map_garbage)
			memcpy(image + HDR + MEM_MAP_VAR_PA, &mem_map_value, 8);
	}
	if (vmcore_open(&vc, image, file, err, sizeof(err)) == 0 &&
	    vmcore_parse_info(&vc, err, sizeof(err)) == 0)
		walk(&vc);
	vmcore_close(&vc);
	return 0;
}
