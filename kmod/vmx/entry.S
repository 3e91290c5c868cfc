/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: the VM entry and exit trampoline.
 *
 * The guest's general-purpose registers live in an array indexed by the
 * hardware register number (uapi VESSEL_GPR_*); RSP, RIP and RFLAGS are in
 * the VMCS.  The host's callee-saved registers are pushed here; after a VM
 * exit the CPU resumes at vessel_vmx_vmexit with RSP = HOST_RSP, which is the
 * stack pointer this function had just before entering the guest.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/nospec-branch.h>
#include <asm/segment.h>
#include <asm/unwind_hints.h>

#include "compat.h"

/* VMCS encoding of HOST_RSP (SDM Vol. 3 Appendix B.4.4). */
#define VMCS_HOST_RSP	0x00006c14

#define REG(n)	(n * 8)

	.section .noinstr.text, "ax"

/*
 * int vessel_vmx_enter(unsigned long *regs, bool launched)
 *
 * Returns 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed (VMfail: the
 * VM-instruction error field says why).
 */
SYM_FUNC_START(vessel_vmx_enter)
	push	%rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	/* The regs pointer, for the exit path to find. */
	push	%rdi
	/* Preserve the launched flag across the VMWRITE. */
	push	%rsi

	mov	$VMCS_HOST_RSP, %eax
	lea	8(%rsp), %rdx
	vmwrite	%rdx, %rax
	jna	.Lfail_pop

	pop	%rsi
	mov	%rdi, %rax
	test	%sil, %sil
	/* Guest registers; RAX last, as it holds the array pointer. */
	mov	REG(1)(%rax), %rcx
	mov	REG(2)(%rax), %rdx
	mov	REG(3)(%rax), %rbx
	mov	REG(5)(%rax), %rbp
	mov	REG(6)(%rax), %rsi
	mov	REG(7)(%rax), %rdi
	mov	REG(8)(%rax), %r8
	mov	REG(9)(%rax), %r9
	mov	REG(10)(%rax), %r10
	mov	REG(11)(%rax), %r11
	mov	REG(12)(%rax), %r12
	mov	REG(13)(%rax), %r13
	mov	REG(14)(%rax), %r14
	mov	REG(15)(%rax), %r15
	mov	REG(0)(%rax), %rax
	/* The stack as the exit will find it. */
	UNWIND_HINT_SAVE
	/* MOV leaves the flags from TEST alone. */
	jnz	.Lresume
	vmlaunch
	jmp	.Lfail
.Lresume:
	vmresume
	jmp	.Lfail

SYM_INNER_LABEL(vessel_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	/*
	 * A VM exit is no indirect branch, but HOST_RIP takes this address,
	 * and with IBT objtool wants every address-taken code label to be a
	 * valid branch target.
	 */
	ENDBR
	/* RSP is HOST_RSP: the regs pointer is on top of the stack. */
	push	%rax
	mov	8(%rsp), %rax
	mov	%rcx, REG(1)(%rax)
	mov	%rdx, REG(2)(%rax)
	mov	%rbx, REG(3)(%rax)
	mov	%rbp, REG(5)(%rax)
	mov	%rsi, REG(6)(%rax)
	mov	%rdi, REG(7)(%rax)
	mov	%r8, REG(8)(%rax)
	mov	%r9, REG(9)(%rax)
	mov	%r10, REG(10)(%rax)
	mov	%r11, REG(11)(%rax)
	mov	%r12, REG(12)(%rax)
	mov	%r13, REG(13)(%rax)
	mov	%r14, REG(14)(%rax)
	mov	%r15, REG(15)(%rax)
	popq	REG(0)(%rax)

	/*
	 * The guest may have filled the return stack buffer with targets of
	 * its choosing: overwrite it before the host's next RET (a no-op
	 * where the kernel decided no mitigation is needed).
	 */
	FILL_RETURN_BUFFER %rbx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/* Leave no guest value in a register for speculation to use. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebx, %ebx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%eax, %eax
.Lout:
	add	$8, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

.Lfail_pop:
	add	$8, %rsp
.Lfail:
	/* VMfail: RSP is ours, but the guest's values are in registers. */
	mov	$1, %eax
	jmp	.Lout
SYM_FUNC_END(vessel_vmx_enter)

/*
 * void vessel_vmx_host_nmi(void)
 *
 * An NMI that arrived in the guest caused a VM exit instead of reaching the
 * host.  Hand it to the host's NMI handler with the interrupt frame the
 * hardware would have pushed; its IRETQ returns here.
 */
SYM_FUNC_START(vessel_vmx_host_nmi)
	push	%rbp
	mov	%rsp, %rbp
	and	$-16, %rsp
	push	$__KERNEL_DS
	push	%rbp
	pushf
	push	$__KERNEL_CS
	call	VESSEL_HOST_NMI_ENTRY
	leave
	RET
SYM_FUNC_END(vessel_vmx_host_nmi)
