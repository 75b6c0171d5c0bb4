/*
 * gdt.c - the GDT and the TSS, one pair per CPU. The TSS exists for its
 * interrupt stack table: double fault, NMI and machine check run on stacks
 * of their own (IST 1..3), each with an unmapped guard page below it, so a
 * kernel stack overflow (a #PF that cannot push its frame) still gets a
 * clean report. Every CPU needs its own TSS (the CPU marks a loaded TSS
 * busy in its descriptor, and two CPUs taking an NMI on one IST stack would
 * overwrite each other's frames), hence its own GDT to describe it. The boot
 * CPU's IST stacks are static (ist_stacks[]); an AP's are mapped by
 * smpboot.c in the stack area and passed in percpu_area[cpu].ist_top.
 */
#include <arch/x86.h>
#include <arch/page.h>

struct tss {
	uint32_t rsvd0;
	uint64_t rsp[3];
	uint64_t rsvd1;
	uint64_t ist[7];
	uint64_t rsvd2;
	uint16_t rsvd3;
	uint16_t iomap_base;
} __packed;

/* Guard page + stack each; paging.c leaves every guard unmapped. */
struct ist_stack ist_stacks[3];
static struct tss tss_of[NR_CPUS] __aligned(16);
static uint64_t gdt_of[NR_CPUS][5] __aligned(16);

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

/* The boot CPU's GDT and TSS, IST stacks from ist_stacks[]. */
void gdt_init(void)
{
	for (int i = 0; i < 3; i++)
		percpu_area[0].ist_top[i] = (uint64_t)(ist_stacks[i].stack + IST_STACK_SIZE);
	gdt_init_cpu(0);
}

/* Load CPU @cpu's GDT (code 0x08, data 0x10, TSS 0x18) and its task register. */
void gdt_init_cpu(unsigned int cpu)
{
	struct tss *tss = &tss_of[cpu];
	uint64_t *gdt = gdt_of[cpu];
	uint64_t base = (uint64_t)tss;
	uint64_t limit = sizeof(*tss) - 1;
	struct gdt_ptr gdt_ptr;

	for (int i = 0; i < 3; i++)
		tss->ist[i] = percpu_area[cpu].ist_top[i];
	tss->iomap_base = sizeof(*tss);

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL;
	gdt[2] = 0x00cf92000000ffffULL;
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[4] = base >> 32;

	gdt_ptr.limit = sizeof(gdt_of[cpu]) - 1;
	gdt_ptr.base = (uint64_t)gdt;
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq $0x08\n\t"
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movw $0x10, %%ax\n\t"
		"movw %%ax, %%ds\n\t"
		"movw %%ax, %%es\n\t"
		"movw %%ax, %%ss\n\t"
		"movw $0x18, %%ax\n\t"
		"ltr %%ax\n\t"
		:: "m"(gdt_ptr) : "rax", "memory");
}
