/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: VMX instructions that need an exception-table entry of their own.
 */
#include <linux/linkage.h>
#include <linux/errno.h>
#include <asm/asm.h>

	.text

/*
 * int vessel_vmxon(u64 vmxon_region_pa)
 *
 * Returns 0, or -EIO when VMXON reported VMfail (CF or ZF set) or faulted
 * (#GP for a bad region or feature control, #UD without CR4.VMXE): the
 * caller turns both into a clean refusal instead of an oops.
 */
SYM_FUNC_START(vessel_vmxon)
	push	%rdi
1:	vmxon	(%rsp)
	jna	2f
	pop	%rdi
	xor	%eax, %eax
	RET
2:	pop	%rdi
	mov	$-EIO, %eax
	RET
	_ASM_EXTABLE(1b, 2b)
SYM_FUNC_END(vessel_vmxon)

/*
 * int vessel_vmxoff(void)
 *
 * Leaves VMX operation; the caller clears CR4.VMXE.  Returns 0, or -EIO on
 * VMfail or a fault (#UD outside VMX operation): a host bug, the caller
 * warns.  Ours because Linux 6.6 took cpu_vmxoff() from modules.
 */
SYM_FUNC_START(vessel_vmxoff)
1:	vmxoff
	jna	2f
	xor	%eax, %eax
	RET
2:	mov	$-EIO, %eax
	RET
	_ASM_EXTABLE(1b, 2b)
SYM_FUNC_END(vessel_vmxoff)

/*
 * int vessel_invept(unsigned long type, u64 eptp)
 *
 * INVEPT with a 128-bit descriptor {eptp, 0}.  Returns 0, or -EIO on
 * VMfail or a fault (both host bugs: the caller warns).
 */
SYM_FUNC_START(vessel_invept)
	push	$0
	push	%rsi
1:	invept	(%rsp), %rdi
	jna	2f
	add	$16, %rsp
	xor	%eax, %eax
	RET
2:	add	$16, %rsp
	mov	$-EIO, %eax
	RET
	_ASM_EXTABLE(1b, 2b)
SYM_FUNC_END(vessel_invept)

/*
 * int vessel_invvpid(unsigned long type, u16 vpid, u64 gva)
 */
SYM_FUNC_START(vessel_invvpid)
	push	%rdx
	movzwl	%si, %esi
	push	%rsi
1:	invvpid	(%rsp), %rdi
	jna	2f
	add	$16, %rsp
	xor	%eax, %eax
	RET
2:	add	$16, %rsp
	mov	$-EIO, %eax
	RET
	_ASM_EXTABLE(1b, 2b)
SYM_FUNC_END(vessel_invvpid)
