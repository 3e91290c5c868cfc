/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irq_mb: a multiboot guest that takes COM1's interrupt through the I/O
 * APIC of a VM with a local APIC, end to end: it enables its local APIC,
 * routes I/O APIC input 4 (ISA IRQ 4) to vector 0x24 on APIC 0, edge,
 * and makes the UART raise its THR-empty interrupt (MCR OUT2, IER THRI).
 * The handler acknowledges the UART (IIR read, IER cleared) and the local
 * APIC (EOI). On success it prints
 *   "IRQ 4 through the I/O APIC: vector 0x24\n"
 * and leaves through the debug-exit port with 42 (status 85). No interrupt
 * within about 10^7 loop iterations exits with 0x14 (status 41); any other
 * vector exits with 0x15 (status 43).
 */
#include "mb_lib.S"

#define UART_IER		1
#define UART_IIR		2
#define UART_MCR		4
#define UART_IER_THRI		0x02
#define UART_MCR_OUT2		0x08
#define EXIT_OK			42
#define EXIT_NO_IRQ		0x14
#define EXIT_BAD_VECTOR		0x15

#define LAPIC_EOI		0xfee000b0
#define LAPIC_SVR		0xfee000f0
#define LAPIC_SVR_ENABLE	0x100
#define SPURIOUS_VECTOR		0xff
#define IOAPIC_REGSEL		0xfec00000
#define IOAPIC_WIN		0xfec00010
#define IOAPIC_RTE4_LO		0x18
#define IOAPIC_RTE4_HI		0x19
#define UART_VECTOR		0x24
#define WAIT_LOOPS		10000000

	.code32
	.text
	MB_HEADER

	.globl	_start
_start:
	cli
	movl	$stack_top, %esp

	/* Every vector goes to unexpected, except the UART's and spurious. */
	xorl	%ecx, %ecx
1:	movl	$unexpected, %eax
	cmpl	$UART_VECTOR, %ecx
	jne	2f
	movl	$uart_handler, %eax
2:	cmpl	$SPURIOUS_VECTOR, %ecx
	jne	3f
	movl	$spurious_handler, %eax
3:	call	set_gate
	incl	%ecx
	cmpl	$256, %ecx
	jb	1b
	lidt	idt_desc

	/* Software-enable the local APIC. */
	movl	$LAPIC_SVR_ENABLE | SPURIOUS_VECTOR, LAPIC_SVR

	/* I/O APIC input 4: APIC 0 first, then fixed, edge, unmasked. */
	movl	$IOAPIC_RTE4_HI, IOAPIC_REGSEL
	movl	$0, IOAPIC_WIN
	movl	$IOAPIC_RTE4_LO, IOAPIC_REGSEL
	movl	$UART_VECTOR, IOAPIC_WIN

	/* Let the UART drive its IRQ line, and ask for THR empty. */
	movw	$COM1 + UART_MCR, %dx
	movb	$UART_MCR_OUT2, %al
	outb	%al, %dx
	movw	$COM1 + UART_IER, %dx
	movb	$UART_IER_THRI, %al
	outb	%al, %dx

	sti
	movl	$WAIT_LOOPS, %ecx
4:	cmpl	$0, got_irq
	jne	5f
	loop	4b
	cli
	movl	$msg_no_irq, %esi
	call	puts
	movl	$EXIT_NO_IRQ, %eax
	jmp	debug_exit

5:	cli
	movl	$msg_ok, %esi
	call	puts
	movl	$EXIT_OK, %eax

	MB_DEBUG_EXIT

	MB_SET_GATE

uart_handler:
	pushl	%eax
	pushl	%edx
	movw	$COM1 + UART_IIR, %dx	/* acknowledges THR empty */
	inb	%dx, %al
	movw	$COM1 + UART_IER, %dx
	xorb	%al, %al
	outb	%al, %dx
	movl	$0, LAPIC_EOI
	incl	got_irq
	popl	%edx
	popl	%eax
	iret

/* A spurious-interrupt vector needs no EOI. */
spurious_handler:
	iret

unexpected:
	movl	$msg_bad_vector, %esi
	call	puts
	movl	$EXIT_BAD_VECTOR, %eax
	jmp	debug_exit

	MB_PUTS

	.section .rodata
	.p2align 2
	.word	0
idt_desc:
	.word	256 * 8 - 1
	.long	idt
msg_ok:
	.asciz	"IRQ 4 through the I/O APIC: vector 0x24\n"
msg_no_irq:
	.asciz	"irq_mb: no interrupt from the UART\n"
msg_bad_vector:
	.asciz	"irq_mb: unexpected interrupt or exception\n"

	.bss
	.p2align 3
idt:
	.skip	256 * 8
got_irq:
	.skip	4
	.p2align 4
	.skip	4096
stack_top:
