/*
 * isr.S - interrupt and exception entry stubs.
 *
 * Every vector pushes (error code or 0, vector) and jumps to isr_common,
 * which saves the general registers as a struct regs, saves the whole
 * x87/SSE state with FXSAVE (newlib and the compiler use SSE registers, so
 * an interrupt must never clobber the interrupted code's XMM state), calls
 * interrupt_dispatch(regs), and undoes it all with FXRSTOR and IRETQ.
 */
	.text
	.code64

.macro ISR_NOERR n
	.align 16
isr\n:
	pushq $0
	pushq $\n
	jmp isr_common
.endm

.macro ISR_ERR n
	.align 16
isr\n:
	pushq $\n
	jmp isr_common
.endm

.altmacro
.macro ISR_ANY n
.if (\n == 8) || ((\n >= 10) && (\n <= 14)) || (\n == 17) || (\n == 21) || (\n == 29) || (\n == 30)
	ISR_ERR %n
.else
	ISR_NOERR %n
.endif
.endm

.set i, 0
.rept 256
	ISR_ANY %i
	.set i, i + 1
.endr

isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi              /* struct regs * */
	movq %rsp, %rbx              /* callee-saved: where to come back to */
	subq $512, %rsp
	andq $-16, %rsp
	fxsave64 (%rsp)
	cld
	call interrupt_dispatch
	fxrstor64 (%rsp)
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

	.section .rodata
	.align 8
	.globl isr_table
isr_table:
.macro ISR_ADDR n
	.quad isr\n
.endm
.set i, 0
.rept 256
	ISR_ADDR %i
	.set i, i + 1
.endr
	.section .note.GNU-stack, "", @progbits
