/*
 * boot.S - the two ways into Ballast, and the switch to 64-bit mode.
 *
 * Both entries arrive in 32-bit protected mode with paging off:
 *   mb2_entry  GRUB (multiboot2): %eax = 0x36d76289, %ebx = boot information.
 *   pvh_entry  QEMU -kernel (PVH ELF note): %ebx = struct hvm_start_info.
 * They record (magic, pointer), build a minimal set of page tables
 * (identity 0-1 GiB and the same 1 GiB at KERNEL_VBASE, 2 MiB pages),
 * enable PAE, long mode, NX (when the CPU has it), SSE, and paging, and
 * jump to kernel_entry64 in the higher half, which calls
 * kmain(magic, info_phys). C code then builds the real page tables.
 */
#define MB2_MAGIC        0xe85250d6
#define MB2_ARCH_I386    0
#define PVH_MAGIC        0x336ec578
#define KERNEL_VBASE     0xffffffff80000000

	.section .multiboot2, "a"
	.align 8
mb2_header:
	.long MB2_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	/* information request: memory map (6), cmdline (1), ACPI old (14) / new (15) */
	.align 8
	.word 1, 0
	.long 24
	.long 6, 1, 14, 15
	/* end tag */
	.align 8
	.word 0, 0
	.long 8
mb2_header_end:

	/* PVH: Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (18), 32-bit entry address. */
	.section .note.Xen, "a", @note
	.align 4
	.long 4                 /* name size: "Xen\0" */
	.long 4                 /* descriptor size */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_entry

	.section .boot.text, "ax"
	.code32
	.globl mb2_entry
mb2_entry:
	cli
	cld
	movl %eax, boot_magic
	movl %ebx, boot_info_ptr
	jmp common32

	.globl pvh_entry
pvh_entry:
	cli
	cld
	movl $PVH_MAGIC, boot_magic
	movl %ebx, boot_info_ptr
	jmp common32

common32:
	movl $boot_stack32_top, %esp

	/* Long mode is required: CPUID 0x80000001 EDX bit 29. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode
	movl %edx, boot_ext_edx           /* bit 20: NX, bit 26: 1 GiB pages */

	/* Page tables: PML4[0] and PML4[511] -> PDPT; PDPT[0] and PDPT[510] -> PD. */
	movl $boot_pd, %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax                   /* present | writable | 2 MiB */
	movl %eax, (%edi,%ecx,8)
	movl $0, 4(%edi,%ecx,8)
	incl %ecx
	cmpl $512, %ecx
	jb 1b
	movl $boot_pd, %eax
	orl $0x3, %eax
	movl %eax, boot_pdpt_low
	movl %eax, boot_pdpt_high + 510*8
	movl $boot_pdpt_low, %eax
	orl $0x3, %eax
	movl %eax, boot_pml4
	movl $boot_pdpt_high, %eax
	orl $0x3, %eax
	movl %eax, boot_pml4 + 511*8

	/* CR4: PAE, OSFXSR, OSXMMEXCPT (SSE usable, #XM reported). */
	movl %cr4, %eax
	orl $((1 << 5) | (1 << 9) | (1 << 10)), %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3

	/* EFER: long mode enable, and NX enable when the CPU has NX. */
	movl $0xc0000080, %ecx
	rdmsr
	orl $(1 << 8), %eax
	testl $(1 << 20), boot_ext_edx
	jz 2f
	orl $(1 << 11), %eax
2:	wrmsr

	/* CR0: paging, protection, write-protect; FPU present (MP on, EM off). */
	movl %cr0, %eax
	andl $~((1 << 2) | (1 << 3)), %eax     /* EM and TS off */
	orl $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | 1), %eax
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode_entry

no_long_mode:
	/* Say so on COM1 and stop: there is nothing else we can do. */
	movl $msg_no_lm, %esi
3:	lodsb
	testb %al, %al
	jz 5f
	movb %al, %bl
	movw $0x3fd, %dx
4:	inb %dx, %al
	testb $0x20, %al
	jz 4b
	movw $0x3f8, %dx
	movb %bl, %al
	outb %al, %dx
	jmp 3b
5:	hlt
	jmp 5b

	.code64
long_mode_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $kernel_entry64, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.align 16
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt
	.globl boot_magic, boot_info_ptr, boot_ext_edx
boot_magic:     .long 0
boot_info_ptr:  .long 0
boot_ext_edx:   .long 0
msg_no_lm:      .asciz "ballast: this CPU has no 64-bit long mode; cannot boot\r\n"

	.section .boot.bss, "aw", @nobits
	.align 4096
	.globl boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4096
boot_stack32:   .skip 1024
boot_stack32_top:

	/* ---- higher half from here on ---- */
	.section .text.entry, "ax"
	.code64
	.globl kernel_entry64
kernel_entry64:
	leaq boot_stack_top(%rip), %rsp
	/* With XSAVE present, enable it and declare x87+SSE state in XCR0:
	 * some (nested) hypervisors fault SSE instructions otherwise. */
	movl $1, %eax
	xorl %ecx, %ecx
	cpuid
	testl $(1 << 26), %ecx
	jz 1f
	movq %cr4, %rax
	orq $(1 << 18), %rax
	movq %rax, %cr4
	xorl %ecx, %ecx
	movl $3, %eax
	xorl %edx, %edx
	xsetbv
1:
	xorl %ebp, %ebp
	/* .boot.data is below 2 GiB and still identity mapped. */
	movl boot_magic, %edi
	movl boot_info_ptr, %esi
	movl boot_ext_edx, %edx
	call kmain
6:	cli
	hlt
	jmp 6b

	/* The boot stack, with an unmapped guard page below it (paging.c). */
	.section .bss
	.align 4096
	.globl boot_stack_guard, boot_stack_top
boot_stack_guard: .skip 4096
boot_stack:       .skip 65536
boot_stack_top:
	.section .note.GNU-stack, "", @progbits
