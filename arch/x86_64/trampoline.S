/*
 * trampoline.S - how an application processor gets from its reset state to
 * C code in the higher half.
 *
 * A start-up IPI (SIPI) with vector V starts the AP in real mode at
 * CS:IP = (V << 8):0000, that is at physical V * 4096, which must lie below
 * 1 MiB. The code between trampoline_start and trampoline_end is therefore
 * written to run from any page-aligned low address: smpboot.c copies it to
 * the trampoline page (T) and patches the few absolute values it needs
 * (the fields named tr_*). Everything it touches in real mode is addressed
 * relative to CS, and %ebx carries T (= CS << 4) through the mode changes.
 *
 * The steps follow the architecture's rules for entering IA-32e mode:
 *   real mode     load the trampoline's GDT, set CR0.PE, far jump to
 *   32-bit PM     flat segments; CR4.PAE (and OSFXSR/OSXMMEXCPT for SSE),
 *                 CR3 = the trampoline page table (below 4 GiB: it is
 *                 T + 4 KiB), EFER.LME (and NXE: the kernel's tables use
 *                 NX), then CR0.PG - the CPU is now in compatibility mode;
 *                 a far jump through a 64-bit code descriptor enters
 *   64-bit mode   still on the identity map of the low 2 MiB; jump to
 *                 smp_ap_entry64 in the kernel image (mapped by the same
 *                 trampoline table), which switches to the kernel's CR3.
 *
 * Trampoline page table (three pages after T): PML4[0] -> PDPT[0] -> one
 * 2 MiB page at physical 0 (the identity map the switch needs), and
 * PML4[256..511] copied from the kernel's, so the image is reachable.
 *
 * All APs run this code at once (they are started in parallel). None of
 * them writes to the trampoline, and none has a stack until
 * smp_ap_entry64 finds its logical id: it reads its own APIC id with CPUID
 * (leaf 0xB, the x2APIC id, when the CPU has it; else leaf 1's 8-bit id),
 * looks it up in smp_ap_apic_ids[], and takes smp_ap_stack_tops[id]. An
 * AP whose id is not in the table halts.
 */
#define TR(x) ((x) - trampoline_start)

	.section .rodata
	.balign 4096
	.globl trampoline_start, trampoline_end
	.globl tr_gdt_desc_base, tr_pm32_ptr, tr_lm64_ptr, tr_cr3, tr_efer
	.code16
trampoline_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx                   /* %ebx = T, kept until 64-bit mode */
	lgdtl TR(tr_gdt_desc)
	movl %cr0, %eax
	orl $1, %eax                    /* PE */
	movl %eax, %cr0
	ljmpl *TR(tr_pm32_ptr)          /* to tr_pm32 through selector 0x08 */

	.code32
tr_pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl %cr4, %eax
	orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax    /* PAE, OSFXSR, OSXMMEXCPT */
	movl %eax, %cr4
	movl TR(tr_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx          /* EFER */
	rdmsr
	orl TR(tr_efer)(%ebx), %eax     /* LME, and NXE when the CPU has NX */
	wrmsr
	movl %cr0, %eax
	andl $~((1 << 2) | (1 << 3)), %eax      /* EM and TS off */
	orl $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1)), %eax  /* PG, WP, NE, MP */
	movl %eax, %cr0
	ljmpl *TR(tr_lm64_ptr)(%ebx)    /* to tr_lm64 through selector 0x18 */

	.code64
tr_lm64:
	movabsq $smp_ap_entry64, %rax
	jmp *%rax

	.balign 8
tr_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff        /* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
	.quad 0x00af9a000000ffff        /* 0x18: 64-bit code */
tr_gdt_end:
tr_gdt_desc:
	.word tr_gdt_end - tr_gdt - 1
tr_gdt_desc_base:
	.long 0                         /* T + TR(tr_gdt), patched */
	.balign 4
tr_pm32_ptr:
	.long 0                         /* T + TR(tr_pm32), patched */
	.word 0x08
	.balign 4
tr_lm64_ptr:
	.long 0                         /* T + TR(tr_lm64), patched */
	.word 0x18
	.balign 4
tr_cr3:
	.long 0                         /* T + 4096, patched */
tr_efer:
	.long 0                         /* EFER bits to set, patched */
	.globl tr_pm32_off, tr_lm64_off, tr_gdt_off
trampoline_end:
	.balign 8
tr_pm32_off:	.quad TR(tr_pm32)
tr_lm64_off:	.quad TR(tr_lm64)
tr_gdt_off:	.quad TR(tr_gdt)

	/* ---- in the kernel image, reached on the trampoline page table ---- */
	.text
	.globl smp_ap_entry64
smp_ap_entry64:
	movq smp_ap_cr3(%rip), %rax
	movq %rax, %cr3                 /* the kernel's tables; identity map gone */
	/* This CPU's APIC id: CPUID 0xB's x2APIC id when the leaf exists. */
	xorl %eax, %eax
	cpuid
	cmpl $0xb, %eax
	jb 1f
	movl $0xb, %eax
	xorl %ecx, %ecx
	cpuid
	testl %ebx, %ebx                /* leaf 0xB not implemented: EBX = 0 */
	jz 1f
	movl %edx, %esi
	jmp 2f
1:	movl $1, %eax
	cpuid
	shrl $24, %ebx
	movl %ebx, %esi
2:	leaq smp_ap_apic_ids(%rip), %rdx
	movl $1, %edi                   /* CPU 0 is the boot CPU */
3:	cmpl (%rdx,%rdi,4), %esi
	je 4f
	incl %edi
	cmpl smp_ap_nr_cpus(%rip), %edi         /* NR_CPUS, from C */
	jb 3b
	jmp 6f                          /* not ours to start */
4:	leaq smp_ap_stack_tops(%rip), %rdx
	movq (%rdx,%rdi,8), %rsp
	testq %rsp, %rsp
	jz 6f
	/* With XSAVE present, enable it and declare x87+SSE state in XCR0, as
	 * kernel_entry64 does for the boot CPU. */
	movl %edi, %r12d
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	testl $(1 << 26), %ecx
	jz 5f
	movq %cr4, %rax
	orq $(1 << 18), %rax
	movq %rax, %cr4
	xorl %ecx, %ecx
	movl $3, %eax
	xorl %edx, %edx
	xsetbv
5:	movl %r12d, %edi
	xorl %ebp, %ebp
	call smp_ap_start               /* (cpu); does not return */
6:	cli
	hlt
	jmp 6b

	.section .note.GNU-stack, "", @progbits
