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
 *   2  a well-formed core and a valid note over 4 MiB of memory holding
 *      the section table (at 1 MiB), one 2 MiB memmap area (at 2 MiB)
 *      and the log ring; up to four table entries come from the input
 *      (section number, state, zone, memmap_phys: the memmap area, a
 *      place inside it, outside the dump, or raw input bytes), and so do
 *      LENGTH(mem_section) (sometimes a hostile count), the log position
 *      and every struct page (the rest of the input, repeated): unknown
 *      state bits, online sections without memmaps, overlapping memmaps,
 *      garbage page types, orders, refcounts and flags.
 * Whatever parses is then walked like the tool does: classify the pfns of
 * every section, count buddyinfo, read the log ring.
 *
 * Invariants (abort on violation): no crash, no ASan/UBSan report; a page
 * classified free, reported or offline lies in an online section with an
 * initialised memmap and its struct page says so; a page of an offline
 * or absent section is classified as such and nothing else; the filter
 * never drops a page it cannot classify; buddyinfo counts only orders
 * 0..MAX_ORDER; the log is no longer than the ring.
 *
 * Build: make build/host/fuzz_dump     Run: build/host/fuzz_dump -runs=100000
 */
#include "../../tools/vmcore.c"
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM_BYTES	(4 * 1024 * 1024)	/* RAM in the dump */
#define HDR		4096			/* ELF header + phdrs + notes */
#define TABLE_PA	0x100000		/* mem_sections[] (640 KiB) */
#define MEMMAP_PA	0x200000		/* one section's memmap (2 MiB) */
#define LOG_PA		0x1c0000		/* log_buf_pos, then the ring (<= 16 KiB) */

static uint8_t *image;				/* HDR + MEM_BYTES, reused */

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

/* Up to four section table entries from the input, written into the image's table. */
static void input_sections(const uint8_t **d, size_t *n)
{
	unsigned int k = next(d, n) % 5;

	for (unsigned int i = 0; i < k; i++) {
		/* Mostly low sections (inside the dump), sometimes anywhere in the table. */
		uint16_t nr = next(d, n);
		struct mem_section ms = { 0 };
		uint8_t where = next(d, n);

		if (where & 0x80)
			nr |= (uint16_t)next(d, n) << 8;
		nr %= NR_MEM_SECTIONS;
		ms.state = next(d, n);
		if (!(where & 0x40))	/* usually a plausible state */
			ms.state &= SECTION_PRESENT | SECTION_HAS_MEMMAP | SECTION_ONLINE |
				    SECTION_DEFERRED | SECTION_BOOT;
		ms.zone = next(d, n) % (where & 0x20 ? 256 : MAX_NR_ZONES);
		switch (where & 3) {
		case 0:
			ms.memmap_phys = MEMMAP_PA;
			break;
		case 1:		/* inside the area: overlaps, runs past the end */
			ms.memmap_phys = MEMMAP_PA + (uint64_t)next(d, n) * 4096 * 2;
			break;
		case 2:		/* outside the dump */
			ms.memmap_phys = (uint64_t)MEM_BYTES * (1 + next(d, n));
			break;
		default:
			for (int b = 0; b < 8; b++)
				ms.memmap_phys |= (uint64_t)next(d, n) << (8 * b);
		}
		for (unsigned int b = 0; b < 4; b++)
			ms.pageblock_flags[b] = next(d, n);
		memcpy(image + HDR + TABLE_PA + nr * sizeof(ms), &ms, sizeof(ms));
	}
}

/* A valid note for the fixed layout; LENGTH(mem_section) sometimes hostile. */
static int valid_note(char *buf, size_t cap, const uint8_t **d, size_t *n)
{
	unsigned int log_len = 1u << (next(d, n) % 15);
	uint8_t c = next(d, n);
	uint64_t length = NR_MEM_SECTIONS;

	if (c & 1)
		length = (uint64_t)c << (next(d, n) % 40);
	return snprintf(buf, cap,
		"PAGESIZE=4096\nSIZE(page)=64\nOFFSET(page.flags)=0\nOFFSET(page.lru)=8\n"
		"OFFSET(page.mapping)=24\nOFFSET(page.private)=40\nOFFSET(page.page_type)=48\n"
		"OFFSET(page._refcount)=52\nNUMBER(PAGE_TYPE_NONE)=0\nNUMBER(PAGE_TYPE_BUDDY)=1\n"
		"NUMBER(PAGE_TYPE_OFFLINE)=2\nNUMBER(PAGE_TYPE_TABLE)=3\nNUMBER(PAGE_TYPE_SLAB)=4\n"
		"NUMBER(PAGE_TYPE_LARGE_KMALLOC)=5\nNUMBER(PAGE_TYPE_MOVABLE_OFFLINE)=6\n"
		"NUMBER(PG_reserved)=%d\nNUMBER(PG_hwpoison)=%d\n"
		"NUMBER(PG_reported)=%d\nNUMBER(MAX_ORDER)=%d\n"
		"NUMBER(SECTION_SIZE_BITS)=%d\nNUMBER(MAX_PHYSMEM_BITS)=%d\nSIZE(mem_section)=%zu\n"
		"OFFSET(mem_section.memmap_phys)=%zu\nOFFSET(mem_section.state)=%zu\n"
		"OFFSET(mem_section.zone)=%zu\nOFFSET(mem_section.pageblock_flags)=%zu\n"
		"NUMBER(SECTION_PRESENT)=%d\nNUMBER(SECTION_HAS_MEMMAP)=%d\nNUMBER(SECTION_ONLINE)=%d\n"
		"NUMBER(SECTION_DEFERRED)=%d\nNUMBER(SECTION_BOOT)=%d\nNUMBER(ZONE_MOVABLE)=%d\n"
		"NUMBER(MAX_NR_ZONES)=%d\n"
		"NUMBER(PAGE_OFFSET)=0xffff888000000000\nNUMBER(KERNEL_VBASE)=0xffffffff80000000\n"
		"NUMBER(phys_base)=0x0\nSYMBOL(mem_section)=0x%llx\nLENGTH(mem_section)=%llu\n"
		"SYMBOL(ballast_log_buf)=0x%llx\nNUMBER(ballast_log_buf_len)=%u\n"
		"SYMBOL(ballast_log_buf_pos)=0x%llx\n",
		PG_reserved, PG_hwpoison, PG_reported, MAX_ORDER, SECTION_SIZE_BITS, MAX_PHYSMEM_BITS,
		sizeof(struct mem_section), offsetof(struct mem_section, memmap_phys),
		offsetof(struct mem_section, state), offsetof(struct mem_section, zone),
		offsetof(struct mem_section, pageblock_flags), SECTION_PRESENT, SECTION_HAS_MEMMAP,
		SECTION_ONLINE, SECTION_DEFERRED, SECTION_BOOT, ZONE_MOVABLE, MAX_NR_ZONES,
		(unsigned long long)(0xffffffff80000000ULL + TABLE_PA), (unsigned long long)length,
		(unsigned long long)(0xffffffff80000000ULL + LOG_PA + 8), log_len,
		(unsigned long long)(0xffffffff80000000ULL + LOG_PA));
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
	 * The memmap repeats the input (at most 4 KiB = 64 struct pages), so
	 * the first 320 pfns of a section see every distinct struct page; then
	 * its last ones. Every section with a state is visited, and the pfns
	 * just past the table's end.
	 */
	for (uint64_t nr = 0; nr <= vc->nr_sections; nr++) {
		const struct vmcore_section *s = vmcore_section_of(vc, section_nr_to_pfn(nr));
		uint64_t base = section_nr_to_pfn(nr);

		if (s && !s->state)
			continue;
		for (uint64_t i = 0; i < PAGES_PER_SECTION; i++) {
			uint64_t pfn = base + i, kpf;
			enum dump_class c;

			if (i == 320)
				i = PAGES_PER_SECTION - 8;
			c = vmcore_classify(vc, pfn, &kpf);
			if (!s || s->kind == VS_ABSENT) {
				if (c != DC_ABSENT)
					abort();
				continue;
			}
			if ((s->kind == VS_OFFLINE) != (c == DC_SECTION_OFFLINE))
				abort();
			if (s->kind != VS_ONLINE && c != DC_SECTION_OFFLINE && c != DC_UNKNOWN)
				abort();
			if (c == DC_FREE || c == DC_REPORTED || c == DC_OFFLINE) {
				const struct page *p = pfn_to_page(pfn);

				if (s->kind != VS_ONLINE || !pfn_valid(pfn))
					abort();
				if (c == DC_OFFLINE && p->page_type != PGTY_OFFLINE &&
				    p->page_type != PGTY_MOVABLE_OFFLINE)
					abort();
				if (c != DC_OFFLINE && (!(kpf & (1ULL << KPF_BUDDY)) || page_ref_count(p)))
					abort();
			}
			(void)vmcore_is_metadata(vc, pfn << PAGE_SHIFT);
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
		memset(image + HDR + TABLE_PA, 0, NR_MEM_SECTIONS * sizeof(struct mem_section));
	} else {
		int len = valid_note(note, sizeof(note), &d, &n);
		uint64_t pos;

		file = build_core(note, len);
		memset(image + HDR + TABLE_PA, 0, NR_MEM_SECTIONS * sizeof(struct mem_section));
		/* section 0: online, boot, its memmap in the area (the input may override it) */
		((struct mem_section *)(image + HDR + TABLE_PA))->state =
			SECTION_PRESENT | SECTION_HAS_MEMMAP | SECTION_ONLINE | SECTION_BOOT;
		((struct mem_section *)(image + HDR + TABLE_PA))->memmap_phys = MEMMAP_PA;
		((struct mem_section *)(image + HDR + TABLE_PA))->zone = ZONE_DMA32;
		input_sections(&d, &n);
		pos = next(&d, &n) * 97ULL;
		memcpy(image + HDR + LOG_PA, &pos, 8);
		/* The rest of the input, repeated, is the memmap area: struct pages. */
		memset(image + HDR + MEMMAP_PA, 0, 2 << 20);
		if (n) {	/* copy once, then double what is there (few, large copies) */
			size_t have = n < (2 << 20) ? n : (2 << 20);
			uint8_t *mm = image + HDR + MEMMAP_PA;

			memcpy(mm, d, have);
			while (have < (2 << 20)) {
				size_t c = have < (2 << 20) - have ? have : (2 << 20) - have;

				memcpy(mm + have, mm, c);
				have += c;
			}
		}
	}
	if (vmcore_open(&vc, image, file, err, sizeof(err)) == 0 &&
	    vmcore_parse_info(&vc, err, sizeof(err)) == 0)
		walk(&vc);
	vmcore_close(&vc);
	return 0;
}
