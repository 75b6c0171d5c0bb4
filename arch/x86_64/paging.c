/*
 * paging.c - the kernel's final page tables.
 *
 * Three regions in one PML4:
 *  - the direct map: every 2 MiB chunk that holds RAM, at PAGE_OFFSET +
 *    phys, read-write, no-execute; whole gigabytes of RAM use 1 GiB pages
 *    when the CPU has them, the rest 2 MiB pages. MMIO holes stay unmapped.
 *  - the kernel image at KERNEL_VBASE + phys with 4 KiB pages and W^X:
 *    text read-only+exec, rodata read-only+NX, data/bss read-write+NX.
 *    The guard page under each stack (boot stack, IST stacks) is left
 *    unmapped, so an overflow faults instead of corrupting.
 *  - ioremap space: device registers, uncached, 4 KiB pages.
 *  - the virtual memmap at VMEMMAP_BASE + pfn * 64: each memory section's
 *    2 MiB of struct pages (<mm/sparse.h>), one 2 MiB page when its
 *    memmap is one aligned 2 MiB block (always at boot), else 4 KiB pages
 *    (a hot-added section whose memmap came in pieces). Sections without
 *    memory stay unmapped. arch_vmemmap_unmap() and
 *    arch_remove_direct_map() (memory hot-remove) change present entries:
 *    they end with flush_tlb_kernel_range() like paging_unmap_page().
 *    Page-table pages of removed ranges are kept (a later add reuses them).
 *  - the stack area: the APs' kernel and IST stacks, 4 KiB pages of RAM
 *    taken from the page allocator, each stack with an unmapped guard page
 *    below it (the direct map's large pages cannot have holes).
 * The boot identity map is gone once paging_init() switches CR3.
 *
 * All CPUs run on these tables (one CR3). Changes after boot are made under
 * pgtable_lock. Filling an empty entry (ioremap, the stack area, a new
 * table page) needs no invalidation anywhere: x86 caches only present
 * entries, in the TLB and in its paging-structure caches alike, so no CPU
 * can hold a translation the fill contradicts (flushing there anyway cost
 * a call-function IPI round to every CPU per ioremap, milliseconds of boot
 * under TCG). Changing or removing a present entry does need it:
 * paging_remap_page() and paging_unmap_page() (4 KiB mappings in those two
 * areas; ioremap_cache() gives a changeable view of RAM) end with
 * flush_tlb_kernel_range(): invlpg here, and the same on every other online
 * CPU through a waiting call-function IPI, so when the call returns no CPU
 * can still use the old translation (tests/kernel/test_smp.c's
 * tlb_shootdown case fails without the remote part).
 */
#include <arch/x86.h>
#include <arch/io.h>
#include <arch/page.h>
#include <arch/cpu.h>
#include <kernel/bug.h>
#include <kernel/printk.h>
#include <kernel/smp.h>
#include <arch/spinlock.h>
#include <mm/memblock.h>
#include <mm/e820.h>
#include <mm/sparse.h>
#include <mm/page.h>
#include <string.h>
#include <errno.h>

#define PTE_P    (1ULL << 0)
#define PTE_W    (1ULL << 1)
#define PTE_PWT  (1ULL << 3)
#define PTE_PCD  (1ULL << 4)
#define PTE_PS   (1ULL << 7)
#define PTE_G    (1ULL << 8)
#define PTE_NX   (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL

#define IOREMAP_BASE 0xffffc90000000000ULL
#define IOREMAP_SIZE (1ULL << 36)
#define DIRECT_MAP_MAX (1ULL << 40)     /* 1 TiB of physical address space */
#define STACK_AREA_BASE 0xffffc80000000000ULL
#define STACK_AREA_SIZE (1ULL << 30)
#define VMEMMAP_BASE 0xffffea0000000000ULL
#define SZ_2M (1ULL << 21)

uint64_t direct_map_bytes;
unsigned direct_map_page_size_shift;
static uint64_t *pml4;
static bool switched;
static uint64_t nx_bit;
static uint64_t ioremap_next = IOREMAP_BASE;
static uint64_t stack_next = STACK_AREA_BASE;
static DEFINE_SPINLOCK(pgtable_lock);
static phys_addr_t (*pgtable_page_alloc)(void);


/* Virtual address through which page-table page @pa can be written now. */
static uint64_t *table_va(phys_addr_t pa)
{
	if (switched)
		return __va(pa);
	return (uint64_t *)(pa + KERNEL_VBASE);  /* boot map: low 1 GiB at -2 GiB */
}

static phys_addr_t early_table_alloc(void)
{
	return memblock_alloc(PAGE_SIZE, PAGE_SIZE);
}

/* Let later code (after the page allocator is up) supply page-table pages. */
void paging_set_table_allocator(phys_addr_t (*fn)(void))
{
	pgtable_page_alloc = fn;
}

/* A zeroed page for a page table. */
static phys_addr_t table_alloc(void)
{
	phys_addr_t pa = pgtable_page_alloc ? pgtable_page_alloc() : early_table_alloc();
	if (!pa)
		panic("paging: out of memory for page tables");
	memset(table_va(pa), 0, PAGE_SIZE);
	return pa;
}

/* The table that entry @idx of @table points to, created if absent. */
static uint64_t *next_level(uint64_t *table, unsigned idx)
{
	if (!(table[idx] & PTE_P))
		table[idx] = table_alloc() | PTE_P | PTE_W;
	BUG_ON(table[idx] & PTE_PS);
	return table_va(table[idx] & PTE_ADDR);
}

/* Map one 4 KiB page @va -> @pa with @flags (PTE_P added). */
static void map_4k(uint64_t va, phys_addr_t pa, uint64_t flags)
{
	uint64_t *pdpt = next_level(pml4, (va >> 39) & 511);
	uint64_t *pd = next_level(pdpt, (va >> 30) & 511);
	uint64_t *pt = next_level(pd, (va >> 21) & 511);
	pt[(va >> 12) & 511] = pa | flags | PTE_P;
}

static bool chunk_has_ram(const struct e820_entry *map, int n, uint64_t start, uint64_t size)
{
	for (int i = 0; i < n; i++)
		if (map[i].type == E820_RAM && map[i].addr < start + size &&
		    map[i].addr + map[i].size > start)
			return true;
	return false;
}

static bool chunk_all_ram(const struct e820_entry *map, int n, uint64_t start, uint64_t size)
{
	for (int i = 0; i < n; i++)
		if (map[i].type == E820_RAM && map[i].addr <= start &&
		    map[i].addr + map[i].size >= start + size)
			return true;
	return false;
}

/* Direct-map every 2 MiB chunk of RAM in the sanitized @map. */
static void map_direct(const struct e820_entry *map, int n)
{
	uint64_t end = 0;
	for (int i = 0; i < n; i++)
		if (map[i].type == E820_RAM)
			end = MAX(end, map[i].addr + map[i].size);
	if (end > DIRECT_MAP_MAX)
		end = DIRECT_MAP_MAX;
	direct_map_bytes = ALIGN_UP(end, 1ULL << 21);
	direct_map_page_size_shift = cpu_features.gbpages ? 30 : 21;

	for (uint64_t gb = 0; gb < direct_map_bytes; gb += 1ULL << 30) {
		uint64_t va = PAGE_OFFSET + gb;
		if (!chunk_has_ram(map, n, gb, 1ULL << 30))
			continue;
		uint64_t *pdpt = next_level(pml4, (va >> 39) & 511);
		if (cpu_features.gbpages && chunk_all_ram(map, n, gb, 1ULL << 30)) {
			pdpt[(va >> 30) & 511] = gb | PTE_P | PTE_W | PTE_PS | nx_bit;
			continue;
		}
		uint64_t *pd = next_level(pdpt, (va >> 30) & 511);
		for (uint64_t mb2 = gb; mb2 < gb + (1ULL << 30) && mb2 < direct_map_bytes;
		     mb2 += 1ULL << 21)
			if (chunk_has_ram(map, n, mb2, 1ULL << 21))
				pd[((PAGE_OFFSET + mb2) >> 21) & 511] = mb2 | PTE_P | PTE_W | PTE_PS | nx_bit;
	}
}

/* Map one 2 MiB page @va -> @pa with @flags (PTE_P | PTE_PS added). */
static void map_2m(uint64_t va, phys_addr_t pa, uint64_t flags)
{
	uint64_t *pdpt = next_level(pml4, (va >> 39) & 511);
	uint64_t *pd = next_level(pdpt, (va >> 30) & 511);

	pd[(va >> 21) & 511] = pa | flags | PTE_P | PTE_PS;
}

/*
 * Clear the leaf entries (2 MiB or 4 KiB) that map [va, va + len) and are
 * no larger than the range's alignment allows; a 1 GiB page is left alone
 * (boot RAM). pgtable_lock held; the caller flushes.
 */
static void unmap_range(uint64_t va, uint64_t len)
{
	for (uint64_t a = va; a < va + len;) {
		uint64_t *t = pml4, *e = NULL;
		unsigned lvl;

		for (lvl = 4; lvl >= 1; lvl--) {
			e = &t[(a >> (12 + 9 * (lvl - 1))) & 511];
			if (!(*e & PTE_P) || lvl == 1 || (*e & PTE_PS))
				break;
			t = __va(*e & PTE_ADDR);
		}
		uint64_t step = 1ULL << (12 + 9 * (lvl - 1));
		if ((*e & PTE_P) && lvl <= 2 && (lvl == 1 || (*e & PTE_PS)))
			__atomic_store_n(e, 0, __ATOMIC_RELEASE);
		a = ALIGN_DOWN(a, step) + step;
	}
}

uintptr_t arch_vmemmap_base(void)
{
	return VMEMMAP_BASE;
}

int arch_vmemmap_map(unsigned long pfn, unsigned long nr_pages, phys_addr_t pa)
{
	uint64_t va = VMEMMAP_BASE + pfn * sizeof(struct page);
	uint64_t len = nr_pages * sizeof(struct page);
	unsigned long f;

	if ((va | pa | len) & (PAGE_SIZE - 1))
		return -EINVAL;
	spin_lock_irqsave(&pgtable_lock, f);
	for (uint64_t off = 0; off < len;) {
		if (!((va + off) & (SZ_2M - 1)) && !((pa + off) & (SZ_2M - 1)) && len - off >= SZ_2M) {
			map_2m(va + off, pa + off, PTE_W | nx_bit);
			off += SZ_2M;
		} else {
			map_4k(va + off, pa + off, PTE_W | nx_bit);
			off += PAGE_SIZE;
		}
	}
	spin_unlock_irqrestore(&pgtable_lock, f);
	return 0;                               /* only empty entries filled: nothing to flush */
}

void arch_vmemmap_unmap(unsigned long pfn, unsigned long nr_pages)
{
	uint64_t va = VMEMMAP_BASE + pfn * sizeof(struct page);
	uint64_t len = nr_pages * sizeof(struct page);
	unsigned long f;

	spin_lock_irqsave(&pgtable_lock, f);
	unmap_range(va, len);
	spin_unlock_irqrestore(&pgtable_lock, f);
	flush_tlb_kernel_range(va, len);
}

int arch_add_direct_map(phys_addr_t start, uint64_t size)
{
	unsigned long f;

	if ((start | size) & (SZ_2M - 1))
		return -EINVAL;
	if (start + size > DIRECT_MAP_MAX)
		return -ERANGE;
	spin_lock_irqsave(&pgtable_lock, f);
	for (uint64_t pa = start; pa < start + size; pa += SZ_2M) {
		uint64_t va = PAGE_OFFSET + pa;
		uint64_t *pdpt = next_level(pml4, (va >> 39) & 511);

		if ((pdpt[(va >> 30) & 511] & (PTE_P | PTE_PS)) == (PTE_P | PTE_PS))
			continue;                   /* inside a boot 1 GiB page */
		uint64_t *pd = next_level(pdpt, (va >> 30) & 511);
		if (!(pd[(va >> 21) & 511] & PTE_P))
			pd[(va >> 21) & 511] = pa | PTE_P | PTE_W | PTE_PS | nx_bit;
	}
	if (start + size > direct_map_bytes)
		direct_map_bytes = start + size;
	spin_unlock_irqrestore(&pgtable_lock, f);
	return 0;
}

void arch_remove_direct_map(phys_addr_t start, uint64_t size)
{
	unsigned long f;

	spin_lock_irqsave(&pgtable_lock, f);
	unmap_range(PAGE_OFFSET + start, size);
	spin_unlock_irqrestore(&pgtable_lock, f);
	flush_tlb_kernel_range(PAGE_OFFSET + start, size);
}

/* Map [start, end) of the image with @flags, skipping guard pages. */
static void map_image_range(char *start, char *end, uint64_t flags)
{
	for (uint64_t va = (uint64_t)start; va < (uint64_t)end; va += PAGE_SIZE) {
		bool guard = va == (uint64_t)boot_stack_guard;
		for (int i = 0; i < 3; i++)
			guard |= va == (uint64_t)ist_stacks[i].guard;
		if (guard)
			continue;
		map_4k(va, va - KERNEL_VBASE, flags);
	}
}

/* Build the final tables from the sanitized map and switch to them. */
void paging_init_map(const struct e820_entry *map, int n)
{
	nx_bit = cpu_features.nx ? PTE_NX : 0;
	phys_addr_t root = table_alloc();
	pml4 = table_va(root);

	map_direct(map, n);
	map_image_range(_text_start, _text_end, 0);
	map_image_range(_rodata_start, _rodata_end, nx_bit);
	map_image_range(_data_start, _bss_end, PTE_W | nx_bit);

	write_cr3(root);
	switched = true;
	pml4 = __va(root);
}

/* Map [phys, phys+size) in the ioremap space with @flags; returns the virtual address. */
static void *__ioremap(phys_addr_t phys, size_t size, uint64_t flags)
{
	phys_addr_t base = ALIGN_DOWN(phys, PAGE_SIZE);
	size_t len = ALIGN_UP(phys + size, PAGE_SIZE) - base;
	unsigned long f;
	uint64_t va;

	spin_lock_irqsave(&pgtable_lock, f);
	va = ioremap_next;
	if (va + len > IOREMAP_BASE + IOREMAP_SIZE)
		panic("ioremap: out of virtual space mapping %#lx+%#zx", phys, size);
	ioremap_next += len + PAGE_SIZE;        /* a hole between mappings */
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		map_4k(va + off, base + off, flags);
	spin_unlock_irqrestore(&pgtable_lock, f);
	return (void *)(va + (phys - base));    /* only empty entries filled: nothing to flush */
}

/* Map device registers uncached; returns their virtual address. */
void *ioremap(phys_addr_t phys, size_t size)
{
	return __ioremap(phys, size, PTE_W | PTE_PCD | PTE_PWT | nx_bit);
}

/* Map RAM write-back in the ioremap space (a second, changeable view of it). */
void *ioremap_cache(phys_addr_t phys, size_t size)
{
	return __ioremap(phys, size, PTE_W | nx_bit);
}

/* The 4 KiB leaf entry of @va in the ioremap or stack area, or NULL (pgtable_lock held). */
static uint64_t *__remappable_pte(uint64_t va)
{
	uint64_t *t = pml4;

	if (!((va >= IOREMAP_BASE && va < ioremap_next) ||
	      (va >= STACK_AREA_BASE && va < stack_next)) || (va & (PAGE_SIZE - 1)))
		return NULL;
	for (unsigned lvl = 4; lvl > 1; lvl--) {
		uint64_t e = t[(va >> (12 + 9 * (lvl - 1))) & 511];

		if (!(e & PTE_P) || (e & PTE_PS))
			return NULL;
		t = __va(e & PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

/* Rewrite the mapped 4 KiB entry of @va as @val(old, @pa), then shoot it down everywhere. */
static int paging_set_pte(uint64_t va, uint64_t (*val)(uint64_t old, phys_addr_t pa),
			  phys_addr_t pa)
{
	unsigned long f;
	uint64_t *pte;

	spin_lock_irqsave(&pgtable_lock, f);
	pte = __remappable_pte(va);
	if (!pte || !(*pte & PTE_P)) {
		spin_unlock_irqrestore(&pgtable_lock, f);
		return -EINVAL;
	}
	__atomic_store_n(pte, val(*pte, pa), __ATOMIC_RELEASE);
	spin_unlock_irqrestore(&pgtable_lock, f);
	flush_tlb_kernel_range(va, PAGE_SIZE);
	return 0;
}

static uint64_t pte_retarget(uint64_t old, phys_addr_t pa) { return (old & ~PTE_ADDR) | pa; }
static uint64_t pte_clear(uint64_t old, phys_addr_t pa) { return 0; }

int paging_remap_page(uint64_t va, phys_addr_t pa)
{
	if (pa & (PAGE_SIZE - 1))
		return -EINVAL;
	return paging_set_pte(va, pte_retarget, pa);
}

int paging_unmap_page(uint64_t va)
{
	return paging_set_pte(va, pte_clear, 0);
}

void *paging_map_stack(phys_addr_t pa, size_t size)
{
	unsigned long f;
	uint64_t va;

	size = ALIGN_UP(size, PAGE_SIZE);
	spin_lock_irqsave(&pgtable_lock, f);
	va = stack_next + PAGE_SIZE;            /* the page below stays unmapped */
	if (va + size > STACK_AREA_BASE + STACK_AREA_SIZE)
		panic("paging: stack area full mapping %#zx bytes", size);
	stack_next = va + size;
	for (size_t off = 0; off < size; off += PAGE_SIZE)
		map_4k(va + off, pa + off, PTE_W | nx_bit);
	spin_unlock_irqrestore(&pgtable_lock, f);
	return (void *)va;                      /* only empty entries filled: nothing to flush */
}

bool paging_stack_readable(uint64_t a)
{
	return a >= STACK_AREA_BASE && a + 16 <= stack_next &&
	       paging_lookup(a, NULL) && paging_lookup(a + 15, NULL);
}

bool paging_is_stack_guard(uint64_t a)
{
	return a >= STACK_AREA_BASE && a < stack_next && !paging_lookup(a, NULL);
}

struct tlb_range {
	uint64_t va;
	size_t len;
};

/* Invalidate one range on the running CPU (call-function callback too). */
static void flush_tlb_local(void *arg)
{
	const struct tlb_range *r = arg;

	if (r->len > 64 * PAGE_SIZE) {
		write_cr3(read_cr3());          /* cheaper than many invlpg; no PTE_G used */
		return;
	}
	for (uint64_t a = ALIGN_DOWN(r->va, PAGE_SIZE); a < r->va + r->len; a += PAGE_SIZE)
		invlpg((void *)a);
}

void flush_tlb_kernel_range(uint64_t va, size_t len)
{
	struct tlb_range r = { va, len };

	if (num_online_cpus() > 1)
		on_each_cpu(flush_tlb_local, &r, true);
	else
		flush_tlb_local(&r);
}

/* The leaf entry mapping @va (0 if unmapped); *level = 1 (4K), 2 (2M), 3 (1G). */
uint64_t paging_lookup(uint64_t va, unsigned *level)
{
	uint64_t *t = pml4;
	for (unsigned lvl = 4; lvl >= 1; lvl--) {
		uint64_t e = t[(va >> (12 + 9 * (lvl - 1))) & 511];
		if (!(e & PTE_P))
			return 0;
		if (lvl == 1 || (e & PTE_PS)) {
			if (level)
				*level = lvl;
			return e;
		}
		t = __va(e & PTE_ADDR);
	}
	return 0;
}

/* Firmware tables may sit outside the direct map (reserved/ACPI ranges). */
void *phys_map_any(phys_addr_t pa, size_t len)
{
	bool mapped = true;
	for (uint64_t p = ALIGN_DOWN(pa, PAGE_SIZE); p < pa + len; p += PAGE_SIZE)
		if (!paging_lookup((uint64_t)__va(p), NULL)) {
			mapped = false;
			break;
		}
	return mapped ? __va(pa) : ioremap(pa, len);
}
