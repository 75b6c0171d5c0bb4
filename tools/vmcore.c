/*
 * vmcore.c - the dump reader behind tools/ballast-dump (see vmcore.h).
 *
 * Layout QEMU's dump-guest-memory (ELF format) writes, and what is read:
 *   Elf64_Ehdr       ET_CORE, EM_X86_64, little endian; e_phnum may be
 *                    PN_XNUM, then section header 0's sh_info has the count
 *   PT_NOTE          one segment holding every note: NT_PRSTATUS "CORE" and
 *                    a "QEMU" CPU state note per CPU, then the guest's
 *                    "VMCOREINFO" note copied from guest memory
 *   PT_LOAD...       one per guest RAM block: p_paddr = guest physical
 *                    address, p_vaddr = 0 without paging, filesz = memsz
 * Nothing is assumed about the order of segments or their alignment; they
 * may not overlap. The note text is "KEY=VALUE" lines (docs/vmcoreinfo.md);
 * a key given twice is an error rather than a guess.
 *
 * The memory model is the guest's section table (SYMBOL(mem_section),
 * LENGTH(mem_section) entries of SIZE(mem_section) bytes): per 128 MiB
 * section a state byte, a zone and memmap_phys, the physical address of
 * the section's PAGES_PER_SECTION struct pages (physically contiguous).
 * Checks are done once, up front, so that the page walks afterwards can
 * index the memmap without bounds checks: every entry's state is one
 * this build knows and consistent, an online section's memmap lies in
 * the dump, no two memmaps overlap. The struct pages of the online
 * sections are then copied into one reserved virtual range at the
 * offset of their pfn (a virtual memmap, as in the guest); the range of
 * every other section stays PROT_NONE, so a walk that strayed into an
 * offline or absent section would fault instead of reading it.
 */
#include "vmcore.h"
#include <mm/page.h>
#include <mm/mmzone.h>
#include <mm/kpageflags.h>
#include <mm/mm_show.h>
#include <mm/sparse.h>
#include <lib/parse.h>
#include <elf.h>
#include <sys/mman.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char * const dump_class_names[NR_DUMP_CLASSES] = {
	[DC_UNKNOWN] = "unknown", [DC_FREE] = "free", [DC_REPORTED] = "reported",
	[DC_OFFLINE] = "offline", [DC_SECTION_OFFLINE] = "offline_section",
	[DC_ABSENT] = "absent", [DC_HWPOISON] = "hwpoison", [DC_SLAB] = "slab",
	[DC_PGTABLE] = "pgtable", [DC_MOVABLE] = "movable", [DC_USED] = "used",
	[DC_ZERO] = "zero",
};

/* printf into @err; always returns -1 (for "return fail(...)"). */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* True if [off, off + len) lies inside a file of @size bytes (no overflow). */
static bool in_file(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

/* qsort order of PT_LOADs by paddr. */
static int seg_cmp(const void *a, const void *b)
{
	const struct vmcore_seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Split the VMCOREINFO text into keys (in place, in vc->note_text). */
static int parse_keys(struct vmcore *vc, char *err, size_t errlen)
{
	char *p = vc->note_text, *end = p + vc->note_len;

	while (p < end) {
		char *nl = memchr(p, '\n', end - p), *eq;

		if (!nl)
			nl = end;
		*nl = '\0';
		if (*p) {
			eq = strchr(p, '=');
			if (!eq || eq == p)
				return fail(err, errlen, "VMCOREINFO: line without KEY=VALUE: \"%.40s\"", p);
			*eq = '\0';
			if (vmcore_key(vc, p))
				return fail(err, errlen, "VMCOREINFO: key %s given twice", p);
			if (vc->nr_keys == VMCORE_MAX_KEYS)
				return fail(err, errlen, "VMCOREINFO: more than %d keys", VMCORE_MAX_KEYS);
			vc->keys[vc->nr_keys].key = p;
			vc->keys[vc->nr_keys++].val = eq + 1;
		}
		p = nl + 1;
	}
	return 0;
}

/* Walk the notes of [off, off + size); remember the VMCOREINFO one. */
static int parse_notes(struct vmcore *vc, uint64_t off, uint64_t size, char *err, size_t errlen)
{
	uint64_t pos = 0;

	while (size - pos >= sizeof(Elf64_Nhdr)) {
		const Elf64_Nhdr *n = (const void *)(vc->map + off + pos);
		uint64_t name_sz = ((uint64_t)n->n_namesz + 3) & ~3ULL;
		uint64_t desc_sz = ((uint64_t)n->n_descsz + 3) & ~3ULL;
		const char *name = (const char *)(n + 1);

		if (name_sz > size - pos - sizeof(*n) ||
		    desc_sz > size - pos - sizeof(*n) - name_sz)
			return fail(err, errlen, "note %u runs past the end of PT_NOTE", vc->nr_notes);
		vc->nr_notes++;
		if (n->n_namesz == 11 && !memcmp(name, "VMCOREINFO", 11)) {
			if (vc->note_text)
				return fail(err, errlen, "two VMCOREINFO notes");
			vc->note_len = n->n_descsz;
			vc->note_text = malloc(vc->note_len + 1);
			if (!vc->note_text)
				return fail(err, errlen, "out of memory");
			memcpy(vc->note_text, name + name_sz, vc->note_len);
			vc->note_text[vc->note_len] = '\0';
			/* Text stops at a NUL (the guest may pad). */
			vc->note_len = strlen(vc->note_text);
		}
		pos += sizeof(*n) + name_sz + desc_sz;
	}
	return 0;
}

/* Number of program headers, following PN_XNUM to section header 0. */
static int phdr_count(struct vmcore *vc, const Elf64_Ehdr *eh, uint64_t *n, char *err, size_t errlen)
{
	const Elf64_Shdr *sh;

	*n = eh->e_phnum;
	if (eh->e_phnum != PN_XNUM)
		return 0;
	if (eh->e_shentsize != sizeof(Elf64_Shdr) || !in_file(eh->e_shoff, sizeof(*sh), vc->size))
		return fail(err, errlen, "e_phnum is PN_XNUM but section header 0 is not in the file");
	sh = (const void *)(vc->map + eh->e_shoff);
	*n = sh->sh_info;
	vc->xnum = true;
	return 0;
}

int vmcore_open(struct vmcore *vc, const void *map, size_t size, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = map;
	const Elf64_Phdr *ph;
	uint64_t nph;
	bool have_note = false;

	memset(vc, 0, sizeof(*vc));
	vc->map = map;
	vc->size = size;
	if (size >= 8 && !memcmp(map, "KDUMP   ", 8))
		return fail(err, errlen, "this is a kdump-compressed dump (QEMU dump-guest-memory "
			    "format kdump-zlib/-lzo/-snappy): this format is not supported; "
			    "take an ELF dump (format elf, the default)");
	if (size >= 12 && !memcmp(map, "makedumpfile", 12))
		return fail(err, errlen, "this is a flattened makedumpfile dump: this format is not "
			    "supported (makedumpfile -R turns it into a readable file)");
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return fail(err, errlen, "not an ELF file (%zu bytes)", size);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "not a 64-bit little-endian ELF file");
	if (eh->e_type != ET_CORE)
		return fail(err, errlen, "ELF type %u is not ET_CORE: not a memory dump", eh->e_type);
	if (eh->e_machine != EM_X86_64)
		return fail(err, errlen, "ELF machine %u is not x86-64", eh->e_machine);
	vc->machine = eh->e_machine;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, "program header size %u, expected %zu",
			    eh->e_phentsize, sizeof(Elf64_Phdr));
	if (phdr_count(vc, eh, &nph, err, errlen))
		return -1;
	if (nph > (size / sizeof(*ph)) || !in_file(eh->e_phoff, nph * sizeof(*ph), size))
		return fail(err, errlen, "truncated dump: %llu program headers at %#llx do not fit "
			    "in %zu bytes", (unsigned long long)nph,
			    (unsigned long long)eh->e_phoff, size);
	ph = (const void *)((const uint8_t *)map + eh->e_phoff);
	vc->loads = calloc(nph ? nph : 1, sizeof(*vc->loads));
	if (!vc->loads)
		return fail(err, errlen, "out of memory");
	for (uint64_t i = 0; i < nph; i++) {
		if (ph[i].p_type == PT_NOTE) {
			if (!in_file(ph[i].p_offset, ph[i].p_filesz, size))
				return fail(err, errlen, "truncated dump: PT_NOTE ends past the end "
					    "of the file (%zu bytes)", size);
			if (have_note)
				return fail(err, errlen, "more than one PT_NOTE segment");
			have_note = true;
			vc->note_off = ph[i].p_offset;
			vc->note_size = ph[i].p_filesz;
			if (parse_notes(vc, ph[i].p_offset, ph[i].p_filesz, err, errlen))
				return -1;
		} else if (ph[i].p_type == PT_LOAD) {
			struct vmcore_seg *s = &vc->loads[vc->nr_loads++];

			if (!in_file(ph[i].p_offset, ph[i].p_filesz, size))
				return fail(err, errlen, "truncated dump: segment at paddr %#llx needs "
					    "file bytes up to %#llx, the file has %#zx",
					    (unsigned long long)ph[i].p_paddr,
					    (unsigned long long)(ph[i].p_offset + ph[i].p_filesz), size);
			if (ph[i].p_filesz > ph[i].p_memsz ||
			    ph[i].p_paddr + ph[i].p_memsz < ph[i].p_paddr)
				return fail(err, errlen, "bad PT_LOAD at paddr %#llx (filesz %#llx, memsz %#llx)",
					    (unsigned long long)ph[i].p_paddr,
					    (unsigned long long)ph[i].p_filesz,
					    (unsigned long long)ph[i].p_memsz);
			s->paddr = ph[i].p_paddr;
			s->vaddr = ph[i].p_vaddr;
			s->filesz = ph[i].p_filesz;
			s->memsz = ph[i].p_memsz;
			s->offset = ph[i].p_offset;
		}
	}
	qsort(vc->loads, vc->nr_loads, sizeof(*vc->loads), seg_cmp);
	for (unsigned int i = 1; i < vc->nr_loads; i++)
		if (vc->loads[i - 1].paddr + vc->loads[i - 1].memsz > vc->loads[i].paddr)
			return fail(err, errlen, "PT_LOADs overlap at paddr %#llx",
				    (unsigned long long)vc->loads[i].paddr);
	if (vc->note_text)
		return parse_keys(vc, err, errlen);
	return 0;
}

static void vmcore_unhook_kernel(struct vmcore *vc);

/* Unhook the kernel's memory model from this dump and drop the virtual memmap. */
static void vmcore_close_memmap(struct vmcore *vc)
{
	vmcore_unhook_kernel(vc);	/* the globals must not outlive the buffers */
	if (vc->vmemmap)
		munmap(vc->vmemmap, vc->vmemmap_len);
	vc->vmemmap = NULL;
	vc->memmap_ready = false;
}

void vmcore_close(struct vmcore *vc)
{
	vmcore_close_memmap(vc);
	free(vc->loads);
	free(vc->note_text);
	free(vc->sec);
	free(vc->memmaps);
	memset(vc, 0, sizeof(*vc));
}

const char *vmcore_key(const struct vmcore *vc, const char *key)
{
	for (unsigned int i = 0; i < vc->nr_keys; i++)
		if (!strcmp(vc->keys[i].key, key))
			return vc->keys[i].val;
	return NULL;
}

/* The number in @key (decimal, or hex with 0x); -1 if missing or not a number. */
static int key_u64(const struct vmcore *vc, const char *key, uint64_t *v, char *err, size_t errlen)
{
	const char *s = vmcore_key(vc, key);
	const char *p = s;

	if (!s)
		return fail(err, errlen, "VMCOREINFO has no %s", key);
	if (!parse_u64(&p, 0, v) || *p)
		return fail(err, errlen, "VMCOREINFO: %s=%s is not a number", key, s);
	return 0;
}

/* Require @key == @want (a value compiled into this tool). */
static int key_expect(const struct vmcore *vc, const char *key, uint64_t want,
		      char *err, size_t errlen)
{
	uint64_t v;

	if (key_u64(vc, key, &v, err, errlen))
		return -1;
	if (v != want)
		return fail(err, errlen, "VMCOREINFO %s=%llu but this tool was built with %llu: "
			    "the dump is from a different Ballast build", key,
			    (unsigned long long)v, (unsigned long long)want);
	return 0;
}

int vmcore_parse_info(struct vmcore *vc, char *err, size_t errlen)
{
	static const struct { const char *key; uint64_t want; } fixed[] = {
		{ "PAGESIZE", PAGE_SIZE },
		{ "SIZE(page)", sizeof(struct page) },
		{ "OFFSET(page.flags)", offsetof(struct page, flags) },
		{ "OFFSET(page.lru)", offsetof(struct page, lru) },
		{ "OFFSET(page.mapping)", offsetof(struct page, mapping) },
		{ "OFFSET(page.private)", offsetof(struct page, private) },
		{ "OFFSET(page.page_type)", offsetof(struct page, page_type) },
		{ "OFFSET(page._refcount)", offsetof(struct page, _refcount) },
		{ "NUMBER(PAGE_TYPE_NONE)", PGTY_NONE },
		{ "NUMBER(PAGE_TYPE_BUDDY)", PGTY_BUDDY },
		{ "NUMBER(PAGE_TYPE_OFFLINE)", PGTY_OFFLINE },
		{ "NUMBER(PAGE_TYPE_TABLE)", PGTY_TABLE },
		{ "NUMBER(PAGE_TYPE_SLAB)", PGTY_SLAB },
		{ "NUMBER(PAGE_TYPE_LARGE_KMALLOC)", PGTY_LARGE_KMALLOC },
		{ "NUMBER(PAGE_TYPE_MOVABLE_OFFLINE)", PGTY_MOVABLE_OFFLINE },
		{ "NUMBER(PG_reserved)", PG_reserved },
		{ "NUMBER(PG_hwpoison)", PG_hwpoison },
		{ "NUMBER(PG_reported)", PG_reported },
		{ "NUMBER(MAX_ORDER)", MAX_ORDER },
		/* the section table (include/mm/sparse.h) */
		{ "NUMBER(SECTION_SIZE_BITS)", SECTION_SIZE_BITS },
		{ "NUMBER(MAX_PHYSMEM_BITS)", MAX_PHYSMEM_BITS },
		{ "SIZE(mem_section)", sizeof(struct mem_section) },
		{ "OFFSET(mem_section.memmap_phys)", offsetof(struct mem_section, memmap_phys) },
		{ "OFFSET(mem_section.state)", offsetof(struct mem_section, state) },
		{ "OFFSET(mem_section.zone)", offsetof(struct mem_section, zone) },
		{ "OFFSET(mem_section.pageblock_flags)", offsetof(struct mem_section, pageblock_flags) },
		{ "NUMBER(SECTION_PRESENT)", SECTION_PRESENT },
		{ "NUMBER(SECTION_HAS_MEMMAP)", SECTION_HAS_MEMMAP },
		{ "NUMBER(SECTION_ONLINE)", SECTION_ONLINE },
		{ "NUMBER(SECTION_DEFERRED)", SECTION_DEFERRED },
		{ "NUMBER(SECTION_BOOT)", SECTION_BOOT },
		{ "NUMBER(ZONE_MOVABLE)", ZONE_MOVABLE },
		{ "NUMBER(MAX_NR_ZONES)", MAX_NR_ZONES },
	};
	/* Checked when present: Ballast keys a reader does not strictly need. */
	static const struct { const char *key; uint64_t want; } optional[] = {
		{ "OFFSET(page.alloc_order)", offsetof(struct page, alloc_order) },
		{ "OFFSET(page.migratetype)", offsetof(struct page, migratetype) },
		{ "NUMBER(PG_locked)", PG_locked },
		{ "NUMBER(PG_private)", PG_private },
		{ "NUMBER(PG_isolated)", PG_isolated },
		{ "NUMBER(PAGE_MAPPING_MOVABLE)", PAGE_MAPPING_MOVABLE },
		{ "OFFSET(mem_section.owner)", offsetof(struct mem_section, owner) },
		{ "NUMBER(PAGES_PER_SECTION)", PAGES_PER_SECTION },
		{ "NUMBER(SECTION_NO_ZONE)", SECTION_NO_ZONE },
		{ "NUMBER(zone_dma_end_pfn)", ZONE_DMA_END_PFN },
		{ "NUMBER(zone_dma32_end_pfn)", ZONE_DMA32_END_PFN },
	};

	if (!vc->note_text)
		return fail(err, errlen, "the dump has no VMCOREINFO note: boot the guest with "
			    "-device vmcoreinfo (and a Ballast that announces it)");
	if (!vmcore_key(vc, "SYMBOL(mem_section)") && vmcore_key(vc, "SYMBOL(mem_map)"))
		return fail(err, errlen, "the note describes a flat memmap (SYMBOL(mem_map), a Ballast "
			    "from before sections); this tool reads the section table "
			    "(SYMBOL(mem_section)): use the ballast-dump of that build");
	for (unsigned int i = 0; i < ARRAY_SIZE(fixed); i++)
		if (key_expect(vc, fixed[i].key, fixed[i].want, err, errlen))
			return -1;
	for (unsigned int i = 0; i < ARRAY_SIZE(optional); i++)
		if (vmcore_key(vc, optional[i].key) &&
		    key_expect(vc, optional[i].key, optional[i].want, err, errlen))
			return -1;
	if (key_u64(vc, "NUMBER(PAGE_OFFSET)", &vc->page_offset, err, errlen) ||
	    key_u64(vc, "NUMBER(KERNEL_VBASE)", &vc->kernel_vbase, err, errlen) ||
	    key_u64(vc, "NUMBER(phys_base)", &vc->phys_base, err, errlen) ||
	    key_u64(vc, "SYMBOL(mem_section)", &vc->mem_section_va, err, errlen) ||
	    key_u64(vc, "LENGTH(mem_section)", &vc->nr_sections, err, errlen))
		return -1;
	if (vc->kernel_vbase <= vc->page_offset)
		return fail(err, errlen, "VMCOREINFO: KERNEL_VBASE %#llx is not above PAGE_OFFSET %#llx",
			    (unsigned long long)vc->kernel_vbase, (unsigned long long)vc->page_offset);
	vc->zone_dma_end = ZONE_DMA_END_PFN;
	vc->build_id = vmcore_key(vc, "BUILD-ID");
	return 0;
}

bool vmcore_virt_to_phys(const struct vmcore *vc, uint64_t va, uint64_t *pa)
{
	if (va >= vc->kernel_vbase) {
		*pa = va - vc->kernel_vbase + vc->phys_base;
		return true;
	}
	if (va >= vc->page_offset) {
		*pa = va - vc->page_offset;
		return true;
	}
	return false;
}

/* The PT_LOAD whose file bytes hold @pa, or NULL (binary search). */
static const struct vmcore_seg *seg_of(const struct vmcore *vc, uint64_t pa)
{
	unsigned int lo = 0, hi = vc->nr_loads;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct vmcore_seg *s = &vc->loads[mid];

		if (pa < s->paddr)
			hi = mid;
		else if (pa - s->paddr >= s->memsz)
			lo = mid + 1;
		else
			return pa - s->paddr < s->filesz ? s : NULL;
	}
	return NULL;
}

const uint8_t *vmcore_phys_ptr(const struct vmcore *vc, uint64_t pa, uint64_t len)
{
	const struct vmcore_seg *s = seg_of(vc, pa);

	if (!s || len > s->filesz - (pa - s->paddr))
		return NULL;
	return vc->map + s->offset + (pa - s->paddr);
}

bool vmcore_read_phys(const struct vmcore *vc, uint64_t pa, void *buf, uint64_t len)
{
	uint8_t *out = buf;

	while (len) {
		const struct vmcore_seg *s = seg_of(vc, pa);
		uint64_t n;

		if (!s)
			return false;
		n = s->filesz - (pa - s->paddr);
		if (n > len)
			n = len;
		memcpy(out, vc->map + s->offset + (pa - s->paddr), n);
		out += n;
		pa += n;
		len -= n;
	}
	return true;
}

/* Read @len bytes at kernel virtual @va into a new buffer; NULL on failure (message in @err). */
static void *read_virt_copy(const struct vmcore *vc, const char *what, uint64_t va, uint64_t len,
			    char *err, size_t errlen)
{
	uint64_t pa;
	void *buf;

	if (!vmcore_virt_to_phys(vc, va, &pa)) {
		fail(err, errlen, "%s: %#llx is not a kernel address", what, (unsigned long long)va);
		return NULL;
	}
	buf = malloc(len ? len : 1);
	if (!buf) {
		fail(err, errlen, "%s: out of memory (%llu bytes)", what, (unsigned long long)len);
		return NULL;
	}
	if (!vmcore_read_phys(vc, pa, buf, len)) {
		fail(err, errlen, "%s [%#llx, %#llx) is not (entirely) in the dump", what,
		     (unsigned long long)pa, (unsigned long long)(pa + len));
		free(buf);
		return NULL;
	}
	return buf;
}

const struct vmcore_section *vmcore_section_of(const struct vmcore *vc, uint64_t pfn)
{
	uint64_t nr = pfn >> PFN_SECTION_SHIFT;

	return vc->sec && nr < vc->nr_sections ? &vc->sec[nr] : NULL;
}

unsigned int vmcore_zone_of(const struct vmcore *vc, uint64_t pfn)
{
	const struct vmcore_section *s = vmcore_section_of(vc, pfn);

	if (pfn < vc->zone_dma_end || !s)
		return ZONE_DMA;
	return s->zone;
}

/* Check table entry @nr and fill vc->sec[nr]; 0 or -1 with a message. */
static int check_section(struct vmcore *vc, uint64_t nr, const struct mem_section *ms,
			 char *err, size_t errlen)
{
	const uint8_t known = SECTION_PRESENT | SECTION_HAS_MEMMAP | SECTION_ONLINE |
			      SECTION_DEFERRED | SECTION_BOOT;
	struct vmcore_section *s = &vc->sec[nr];
	uint8_t st = ms->state;

	s->memmap_phys = ms->memmap_phys;
	s->state = st;
	s->zone = ms->zone;
	s->owner = ms->owner;
	s->kind = VS_ABSENT;
	if (st & ~known)
		return fail(err, errlen, "section %#llx: state %#x has bits this build does not know",
			    (unsigned long long)nr, st);
	if (!(st & SECTION_PRESENT)) {
		if (st)
			return fail(err, errlen, "section %#llx: state %#x without SECTION_PRESENT",
				    (unsigned long long)nr, st);
		return 0;
	}
	if ((st & SECTION_ONLINE) && !(st & SECTION_HAS_MEMMAP))
		return fail(err, errlen, "section %#llx: online without a memmap (state %#x)",
			    (unsigned long long)nr, st);
	if (st & SECTION_HAS_MEMMAP) {
		uint64_t len = PAGES_PER_SECTION * sizeof(struct page);

		if (!ms->memmap_phys || ms->memmap_phys % sizeof(struct page) ||
		    ms->memmap_phys > UINT64_MAX - len)
			return fail(err, errlen, "section %#llx: memmap_phys %#llx is not the address of "
				    "a memmap", (unsigned long long)nr,
				    (unsigned long long)ms->memmap_phys);
	}
	if ((st & SECTION_ONLINE) && ms->zone >= MAX_NR_ZONES)
		return fail(err, errlen, "section %#llx: zone %u is not a zone (%d zones)",
			    (unsigned long long)nr, ms->zone, MAX_NR_ZONES);
	vc->nr_present++;
	if (!(st & SECTION_BOOT))
		vc->nr_hotadded++;
	if (!(st & SECTION_ONLINE)) {
		s->kind = VS_OFFLINE;
		vc->nr_offline++;
		return 0;
	}
	vc->nr_online++;
	vc->sec_per_zone[ms->zone]++;
	s->kind = (st & SECTION_DEFERRED) ? VS_UNINIT : VS_ONLINE;
	vc->nr_uninit += s->kind == VS_UNINIT;
	return 0;
}

/* qsort order of section numbers by memmap_phys (for the overlap check). */
static const struct vmcore *sort_vc;
static int memmap_cmp(const void *a, const void *b)
{
	uint64_t x = sort_vc->sec[*(const uint32_t *)a].memmap_phys;
	uint64_t y = sort_vc->sec[*(const uint32_t *)b].memmap_phys;

	return x < y ? -1 : x > y;
}

/* No two sections' memmaps may share a byte: 0 or -1 naming the pair. */
static int check_overlaps(struct vmcore *vc, char *err, size_t errlen)
{
	const uint64_t len = PAGES_PER_SECTION * sizeof(struct page);
	uint32_t *idx = malloc((vc->nr_sections ? vc->nr_sections : 1) * sizeof(*idx));
	unsigned int n = 0;
	int ret = 0;

	if (!idx)
		return fail(err, errlen, "out of memory");
	for (uint32_t i = 0; i < vc->nr_sections; i++)
		if (vc->sec[i].state & SECTION_HAS_MEMMAP)
			idx[n++] = i;
	sort_vc = vc;
	qsort(idx, n, sizeof(*idx), memmap_cmp);
	vc->memmaps = malloc((n ? n : 1) * sizeof(*vc->memmaps));
	if (!vc->memmaps) {
		free(idx);
		return fail(err, errlen, "out of memory");
	}
	vc->nr_memmaps = n;
	for (unsigned int i = 0; i < n; i++)
		vc->memmaps[i] = vc->sec[idx[i]].memmap_phys;
	for (unsigned int i = 1; i < n && !ret; i++) {
		const struct vmcore_section *a = &vc->sec[idx[i - 1]], *b = &vc->sec[idx[i]];

		if (b->memmap_phys < a->memmap_phys + len)
			ret = fail(err, errlen, "sections %#x and %#x: their memmaps overlap "
				   "([%#llx, %#llx) and [%#llx, %#llx))", idx[i - 1], idx[i],
				   (unsigned long long)a->memmap_phys,
				   (unsigned long long)(a->memmap_phys + len),
				   (unsigned long long)b->memmap_phys,
				   (unsigned long long)(b->memmap_phys + len));
	}
	free(idx);
	return ret;
}

/*
 * Reserve the virtual memmap for the present sections' pfns (PROT_NONE)
 * and copy in the struct pages of every online, initialised section.
 */
static int build_vmemmap(struct vmcore *vc, uint64_t first, uint64_t last, char *err, size_t errlen)
{
	const size_t sec_bytes = PAGES_PER_SECTION * sizeof(struct page);

	uint8_t *base;

	/* One section's memmap is 2 MiB: align them so that each can be one huge page. */
	vc->vmemmap_len = (last - first + 2) * sec_bytes;
	vc->vmemmap = mmap(NULL, vc->vmemmap_len, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vc->vmemmap == MAP_FAILED) {
		vc->vmemmap = NULL;
		return fail(err, errlen, "cannot reserve %zu bytes for the memmap", vc->vmemmap_len);
	}
	base = (uint8_t *)ALIGN_UP((uintptr_t)vc->vmemmap, sec_bytes);
	vc->vmemmap_start = base;
	for (uint64_t nr = first; nr <= last; nr++) {
		const struct vmcore_section *s = &vc->sec[nr];
		uint8_t *dst = base + (nr - first) * sec_bytes;

		if (s->kind != VS_ONLINE)
			continue;
		madvise(dst, sec_bytes, MADV_HUGEPAGE);	/* one fault instead of 512 */
		if (mprotect(dst, sec_bytes, PROT_READ | PROT_WRITE))
			return fail(err, errlen, "out of memory for the memmap of section %#llx",
				    (unsigned long long)nr);
		if (!vmcore_read_phys(vc, s->memmap_phys, dst, sec_bytes))
			return fail(err, errlen, "section %#llx (pfn %#llx-%#llx): its memmap "
				    "[%#llx, %#llx) is not (entirely) in the dump",
				    (unsigned long long)nr,
				    (unsigned long long)section_nr_to_pfn(nr),
				    (unsigned long long)section_nr_to_pfn(nr + 1),
				    (unsigned long long)s->memmap_phys,
				    (unsigned long long)(s->memmap_phys + sec_bytes));
		mprotect(dst, sec_bytes, PROT_READ);
	}
	return 0;
}

/*
 * Point the kernel's memory model (<mm/page.h>, <mm/sparse.h>) at the
 * virtual memmap: vmemmap_base for pfn_to_page(), and mem_sections[]
 * holding the dump's entries of the VS_ONLINE sections only (their
 * pageblock bytes included), so that pfn_valid() is true exactly where
 * the struct pages were copied. Every other entry stays zero: kernel code
 * cannot reach an offline or absent section's memory through it.
 */
static int vmcore_hook_kernel(struct vmcore *vc, uint64_t first, uint64_t last,
			      const struct mem_section *table, char *err, size_t errlen)
{
	memset(mem_sections, 0, sizeof(mem_sections));
	for (uint64_t nr = first; nr <= last; nr++)
		if (vc->sec[nr].kind == VS_ONLINE)
			mem_sections[nr] = table[nr];
	vmemmap_base = (uintptr_t)vc->vmemmap_start -
		       section_nr_to_pfn(first) * sizeof(struct page);
	vc->kernel_hooked = true;
	return 0;
}

static void vmcore_unhook_kernel(struct vmcore *vc)
{
	if (!vc->kernel_hooked)
		return;
	memset(mem_sections, 0, sizeof(mem_sections));
	vmemmap_base = 0;
	vc->kernel_hooked = false;
}

/*
 * Self-check: the boot sections' memmaps were taken from memblock and
 * are never freed, so where the struct page of a boot memmap's own first
 * and last page is readable, it says PG_reserved. A table pointing at
 * other data fails here instead of yielding a plausible wrong filter.
 */
static int memmap_self_check(struct vmcore *vc, char *err, size_t errlen)
{
	const uint64_t len = PAGES_PER_SECTION * sizeof(struct page);

	for (uint64_t nr = 0; nr < vc->nr_sections; nr++) {
		const struct vmcore_section *s = &vc->sec[nr];

		if (s->kind != VS_ONLINE || !(s->state & SECTION_BOOT))
			continue;
		for (int i = 0; i < 2; i++) {
			uint64_t pfn = (s->memmap_phys + (i ? len - 1 : 0)) >> PAGE_SHIFT;
			const struct vmcore_section *h = vmcore_section_of(vc, pfn);

			if (!h || h->kind != VS_ONLINE)
				continue;
			if (!PageReserved(pfn_to_page(pfn)))
				return fail(err, errlen, "memmap self-check failed: section %#llx's "
					    "memmap at %#llx: the struct page of its page %#llx is not "
					    "PG_reserved (memmap_phys does not lead to a memmap?)",
					    (unsigned long long)nr, (unsigned long long)s->memmap_phys,
					    (unsigned long long)pfn);
		}
	}
	return 0;
}

int vmcore_setup_memmap(struct vmcore *vc, char *err, size_t errlen)
{
	uint64_t first = UINT64_MAX, last = 0, bytes;
	struct mem_section *table;
	int ret = -1;

	/* The table covers the physical address space: 2^(MAX_PHYSMEM_BITS - SECTION_SIZE_BITS). */
	if (vc->nr_sections != NR_MEM_SECTIONS)
		return fail(err, errlen, "VMCOREINFO: LENGTH(mem_section)=%llu, but MAX_PHYSMEM_BITS %d "
			    "and SECTION_SIZE_BITS %d make %lu sections",
			    (unsigned long long)vc->nr_sections, MAX_PHYSMEM_BITS, SECTION_SIZE_BITS,
			    NR_MEM_SECTIONS);
	bytes = vc->nr_sections * sizeof(struct mem_section);
	table = read_virt_copy(vc, "the section table (SYMBOL(mem_section))", vc->mem_section_va,
			       bytes, err, errlen);
	if (!table)
		return -1;
	vmcore_virt_to_phys(vc, vc->mem_section_va, &vc->table_pa);
	vc->sec = calloc(vc->nr_sections ? vc->nr_sections : 1, sizeof(*vc->sec));
	if (!vc->sec) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	for (uint64_t nr = 0; nr < vc->nr_sections; nr++) {
		if (!table[nr].state)	/* absent: vc->sec[nr] is zero, VS_ABSENT */
			continue;
		if (check_section(vc, nr, &table[nr], err, errlen))
			goto out;
		if (vc->sec[nr].kind != VS_ABSENT) {
			first = first < nr ? first : nr;
			last = nr;
		}
	}
	if (!vc->nr_present) {
		fail(err, errlen, "the section table has no present section");
		goto out;
	}
	vc->end_pfn = section_nr_to_pfn(last + 1);
	if (check_overlaps(vc, err, errlen) || build_vmemmap(vc, first, last, err, errlen) ||
	    vmcore_hook_kernel(vc, first, last, table, err, errlen))
		goto out;
	vc->memmap_ready = true;
	ret = memmap_self_check(vc, err, errlen);
out:
	if (ret)
		vmcore_close_memmap(vc);
	free(table);
	return ret;
}

bool vmcore_is_metadata(const struct vmcore *vc, uint64_t pa)
{
	const uint64_t len = PAGES_PER_SECTION * sizeof(struct page);
	unsigned long lo = 0, hi = vc->nr_memmaps;
	uint64_t page = pa & ~(uint64_t)(PAGE_SIZE - 1);

	if (page + PAGE_SIZE > vc->table_pa &&
	    page < vc->table_pa + vc->nr_sections * sizeof(struct mem_section))
		return true;
	while (lo < hi) {	/* the last memmap starting before the page's end */
		unsigned long mid = lo + (hi - lo) / 2;

		if (vc->memmaps[mid] < page + PAGE_SIZE)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && vc->memmaps[lo - 1] + len > page;
}

uint64_t vmcore_kpageflags(const struct vmcore *vc, uint64_t pfn)
{
	const struct vmcore_section *s = vmcore_section_of(vc, pfn);

	if (!vc->memmap_ready || !s || s->kind != VS_ONLINE)
		return 1ULL << KPF_NOPAGE;
	return page_kpageflags(pfn);
}

/* Head pfn and order of the free buddy block holding @pfn, if its order is sane. */
static bool buddy_block_of(uint64_t pfn, uint64_t *head, unsigned int *order)
{
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ULL << o) - 1);
		const struct page *hp = pfn_to_page(h);

		if (PageBuddy(hp) && buddy_order_unsafe(hp) >= o) {
			if (buddy_order_unsafe(hp) > MAX_ORDER)
				return false;
			*head = h;
			*order = buddy_order_unsafe(hp);
			return true;
		}
	}
	return false;
}

enum dump_class vmcore_classify(const struct vmcore *vc, uint64_t pfn, uint64_t *kpf)
{
	const struct vmcore_section *s = vmcore_section_of(vc, pfn);
	const struct page *page;
	uint64_t f, head;
	unsigned int order;

	*kpf = 1ULL << KPF_NOPAGE;
	if (!vc->memmap_ready)
		return DC_UNKNOWN;
	/* The section decides first: offline and absent memory is never interpreted. */
	if (!s || s->kind == VS_ABSENT)
		return DC_ABSENT;
	if (s->kind == VS_OFFLINE)
		return DC_SECTION_OFFLINE;
	if (s->kind != VS_ONLINE)
		return DC_UNKNOWN;
	*kpf = f = page_kpageflags(pfn);
	page = pfn_to_page(pfn);
	if (page->page_type >= NR_PAGETYPES)
		return DC_UNKNOWN;
	if (f & (1ULL << KPF_BUDDY)) {
		/* The kernel's test accepts any order >= the alignment: demand a sane one. */
		if (!buddy_block_of(pfn, &head, &order))
			return DC_UNKNOWN;
		return PageReported(pfn_to_page(head)) ? DC_REPORTED : DC_FREE;
	}
	if (page->page_type == PGTY_BUDDY)	/* a buddy head with a refcount: garbage */
		return DC_UNKNOWN;
	if (f & (1ULL << KPF_OFFLINE))
		return DC_OFFLINE;
	if (f & (1ULL << KPF_HWPOISON))
		return DC_HWPOISON;
	if (f & (1ULL << KPF_SLAB))
		return DC_SLAB;
	if (f & (1ULL << KPF_PGTABLE))
		return DC_PGTABLE;
	if (f & (1ULL << KPF_BALLAST_MOVABLE))
		return DC_MOVABLE;
	return DC_USED;
}

void vmcore_buddyinfo(const struct vmcore *vc, unsigned long nr_free[VMCORE_NR_ZONES][16],
		      unsigned long *bad)
{
	memset(nr_free, 0, sizeof(unsigned long) * VMCORE_NR_ZONES * 16);
	*bad = 0;
	for (uint64_t nr = 0; vc->memmap_ready && nr < vc->nr_sections; nr++) {
		uint64_t pfn = section_nr_to_pfn(nr), end = section_nr_to_pfn(nr + 1);

		if (vc->sec[nr].kind != VS_ONLINE)
			continue;
		while (pfn < end) {
			const struct page *page = pfn_to_page(pfn);
			unsigned long order;

			if (!PageBuddy(page)) {
				pfn++;
				continue;
			}
			order = buddy_order_unsafe(page);
			if (order > MAX_ORDER || pfn % (1UL << order)) {
				(*bad)++;
				pfn++;
				continue;
			}
			nr_free[vmcore_zone_of(vc, pfn)][order]++;
			pfn += 1UL << order;
		}
	}
}

int vmcore_read_log(const struct vmcore *vc, char **out, size_t *len, bool *wrapped,
		    char *err, size_t errlen)
{
	uint64_t buf_va, pos_va, ring_len, pos, start;
	uint64_t *posp;
	char *ring, *text;

	if (key_u64(vc, "SYMBOL(ballast_log_buf)", &buf_va, err, errlen) ||
	    key_u64(vc, "NUMBER(ballast_log_buf_len)", &ring_len, err, errlen) ||
	    key_u64(vc, "SYMBOL(ballast_log_buf_pos)", &pos_va, err, errlen))
		return -1;
	if (!ring_len || (ring_len & (ring_len - 1)) || ring_len > vc->size)
		return fail(err, errlen, "log_buf_len %llu is not a power of two that fits the dump",
			    (unsigned long long)ring_len);
	posp = read_virt_copy(vc, "log_buf_pos", pos_va, sizeof(*posp), err, errlen);
	if (!posp)
		return -1;
	pos = *posp;
	free(posp);
	ring = read_virt_copy(vc, "log_buf", buf_va, ring_len, err, errlen);
	if (!ring)
		return -1;
	*wrapped = pos > ring_len;
	*len = *wrapped ? ring_len : pos;
	text = malloc(*len + 1);
	if (!text) {
		free(ring);
		return fail(err, errlen, "out of memory");
	}
	start = *wrapped ? pos % ring_len : 0;
	memcpy(text, ring + start, ring_len - start < *len ? ring_len - start : *len);
	if (ring_len - start < *len)
		memcpy(text + (ring_len - start), ring, *len - (ring_len - start));
	text[*len] = '\0';
	free(ring);
	*out = text;
	return 0;
}

bool elf_build_id(const void *map, size_t size, char *hex, size_t hexlen)
{
	const Elf64_Ehdr *eh = map;
	const Elf64_Shdr *sh;

	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(*sh) ||
	    eh->e_shnum > size / sizeof(*sh) || !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh), size))
		return false;
	sh = (const void *)((const uint8_t *)map + eh->e_shoff);
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		uint64_t pos = 0;

		if (sh[i].sh_type != SHT_NOTE || !in_file(sh[i].sh_offset, sh[i].sh_size, size))
			continue;
		while (sh[i].sh_size - pos >= sizeof(Elf64_Nhdr)) {
			const Elf64_Nhdr *n = (const void *)((const uint8_t *)map + sh[i].sh_offset + pos);
			uint64_t nsz = ((uint64_t)n->n_namesz + 3) & ~3ULL;
			uint64_t dsz = ((uint64_t)n->n_descsz + 3) & ~3ULL;
			const uint8_t *desc = (const uint8_t *)(n + 1) + nsz;

			if (nsz + dsz > sh[i].sh_size - pos - sizeof(*n))
				break;
			if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
			    !memcmp(n + 1, "GNU", 4) && n->n_descsz * 2 + 1 <= hexlen) {
				for (unsigned int b = 0; b < n->n_descsz; b++)
					snprintf(hex + 2 * b, 3, "%02x", desc[b]);
				hex[2 * n->n_descsz] = '\0';
				return true;
			}
			pos += sizeof(*n) + nsz + dsz;
		}
	}
	return false;
}
