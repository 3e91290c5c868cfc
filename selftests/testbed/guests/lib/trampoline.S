/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AP trampoline, copied to 0x8000 by smp_init(): a STARTUP IPI starts
 * it in real mode at CS = 0x800, IP = 0. It loads the runtime's GDT (the
 * descriptor it points to is in the trampoline, addressable from real
 * mode), enters protected mode, takes the stack of its APIC ID and calls
 * ap_entry(apic_id).
 */
#include "entry.h"
#include "smp.h"

#define CR0_PE			1
#define APIC_ID			0x20

	.text
	.code16
	.p2align 4
	.globl	trampoline, trampoline_end
trampoline:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdt_desc - trampoline
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$CODE_SEL, $ap_start32
	.p2align 2
tramp_gdt_desc:
	.word	GDT_LIMIT
	.long	gdt
trampoline_end:

	.code32
ap_start32:
	movl	$DATA_SEL, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	cld
	/* The BSP starts only APs whose APIC ID is below MAX_CPUS. */
	movl	lapic_base, %eax
	movl	APIC_ID(%eax), %eax
	shrl	$24, %eax
	leal	1(%eax), %esp
	imull	$AP_STACK_SIZE, %esp
	addl	$ap_stacks, %esp
	pushl	%eax
	call	ap_entry		/* does not return */

	.section .note.GNU-stack, "", @progbits
