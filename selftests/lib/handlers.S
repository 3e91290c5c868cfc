/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest interrupt and exception entry: one stub per vector (pushing a zero
 * error code where the CPU pushes none, then the vector), and one common
 * path that saves the GPRs as a struct ex_regs and calls route_exception().
 */

/* Vectors for which the CPU pushes an error code. */
.macro has_error_code vec
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || \
	    (\vec == 21) || (\vec == 29) || (\vec == 30)
	.set ec, 1
	.else
	.set ec, 0
	.endif
.endm

	.text
	.global idt_common
idt_common:
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%r11
	push	%r10
	push	%r9
	push	%r8
	push	%rdi
	push	%rsi
	push	%rbp
	push	%rbx
	push	%rdx
	push	%rcx
	push	%rax
	/*
	 * 5 frame words, error code, vector, 15 GPRs: RSP is 16-aligned, as
	 * FXSAVE wants.  The FPU/SSE state is saved too, because the C code
	 * below may use XMM registers that the interrupted code was using.
	 */
	mov	%rsp, %rdi
	sub	$512, %rsp
	fxsave64 (%rsp)
	cld
	call	route_exception
	fxrstor64 (%rsp)
	add	$512, %rsp
	pop	%rax
	pop	%rcx
	pop	%rdx
	pop	%rbx
	pop	%rbp
	pop	%rsi
	pop	%rdi
	pop	%r8
	pop	%r9
	pop	%r10
	pop	%r11
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	add	$16, %rsp	/* vector and error code */
	iretq

	/* idt_stubs[vector]: the stubs' addresses, for the host's IDT. */
	.pushsection .rodata
	.balign 8
	.global idt_stubs
idt_stubs:
	.popsection

	.set vec, 0
	.rept 256
	has_error_code vec
	.align 16
1:
	.if ec == 0
	push	$0
	.endif
	push	$vec
	jmp	idt_common
	.pushsection .rodata
	.quad	1b
	.popsection
	.set vec, vec + 1
	.endr

	.section .note.GNU-stack, "", @progbits
