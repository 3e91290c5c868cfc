/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the guests' runtime cannot write in C: the multiboot header, the
 * entry point, the GDT and the interrupt stubs.
 *
 * `vessel run` enters _start as the multiboot spec says: 32-bit protected
 * mode, paging off, EAX = 0x2BADB002, EBX = the boot information. The
 * spec promises neither a stack nor a usable GDT, so _start loads its own
 * before calling guest_start(magic, info) in C.
 */
#include "entry.h"

#define MB_HEADER_MAGIC		0x1badb002
#define MB_HEADER_FLAGS		0	/* ELF tells the loader where to go */
#define STACK_SIZE		8192

/* Within the first 8 KiB of the file: the linker script puts it first. */
	.section .multiboot, "a"
	.p2align 2
	.long	MB_HEADER_MAGIC
	.long	MB_HEADER_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl	_start
_start:
	cli
	lgdtl	gdt_desc
	ljmpl	$CODE_SEL, $1f
1:	movl	$DATA_SEL, %ecx
	movl	%ecx, %ds
	movl	%ecx, %es
	movl	%ecx, %ss
	movl	%ecx, %fs
	movl	%ecx, %gs
	movl	$stack_top, %esp
	cld
	pushl	%ebx
	pushl	%eax
	call	guest_start		/* does not return */

/*
 * One stub per vector: CPU-pushed error code or a zero in its place, then
 * the vector, so that every frame looks the same to interrupt_common. The
 * stubs' addresses go to interrupt_stubs[], from which C fills the IDT.
 */
	.pushsection .rodata
	.p2align 2
	.globl	interrupt_stubs
interrupt_stubs:
	.popsection

	.set	.Lvector, 0
	.rept	256
0:	.if !(.Lvector == 8 || (.Lvector >= 10 && .Lvector <= 14) || \
	      .Lvector == 17 || .Lvector == 21 || .Lvector == 29 || .Lvector == 30)
	pushl	$0
	.endif
	pushl	$.Lvector
	jmp	interrupt_common
	.pushsection .rodata
	.long	0b
	.popsection
	.set	.Lvector, .Lvector + 1
	.endr

/* C sees a struct irq_frame and may use the direction flag clear. */
interrupt_common:
	pushal
	cld
	pushl	%esp
	call	interrupt_dispatch
	addl	$4, %esp
	popal
	addl	$8, %esp		/* the vector and the error code */
	iret

	.section .rodata
	.p2align 3
	.globl	gdt
gdt:
	.quad	0
	/* Accessed bits preset: the CPU need not write them back. */
	.quad	0x00cf9b000000ffff	/* CODE_SEL: 4 GiB, 32-bit, execute/read */
	.quad	0x00cf93000000ffff	/* DATA_SEL: 4 GiB, read/write */
	.p2align 2
	.word	0			/* the base 4-byte aligned */
gdt_desc:
	.word	GDT_LIMIT
	.long	gdt

	.bss
	.p2align 4
	.skip	STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
