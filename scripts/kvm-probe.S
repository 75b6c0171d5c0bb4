/*
 * kvm-probe.S - a 20-instruction PVH guest that answers one question:
 * can a guest on this machine's KVM execute SSE instructions (Ballast and
 * newlib need them)? It enables SSE, runs one, and exits QEMU through
 * isa-debug-exit with 0x10 (QEMU status 33). On some nested-KVM hosts
 * the SSE instruction makes KVM fail instead; scripts/qemu.py then falls
 * back to TCG.
 *
 * Built with -DPROBE_FAULT (build/kvm-probe-fault.elf) it executes ud2
 * instead, so it fails the way such a host fails: the test suite uses it to
 * check the fall-back to TCG on any machine that has a working /dev/kvm.
 */
	.section .note.Xen, "a", @note
	.align 4
	.long 4, 4, 18
	.asciz "Xen"
	.long probe_start

	.text
	.code32
	.globl probe_start
probe_start:
	movl %cr4, %eax
	orl $0x600, %eax                /* OSFXSR | OSXMMEXCPT */
	movl %eax, %cr4
	movl %cr0, %eax
	andl $~0xc, %eax                /* EM, TS off */
	orl $0x22, %eax                 /* MP, NE on */
	movl %eax, %cr0
	fninit
#ifdef PROBE_FAULT
	ud2                             /* no IDT: the fault ends the guest */
#else
	movd %eax, %xmm0
	paddq %xmm0, %xmm0
#endif
	movb $0x10, %al
	movw $0xf4, %dx
	outb %al, %dx
1:	hlt
	jmp 1b
	.section .note.GNU-stack, "", @progbits
