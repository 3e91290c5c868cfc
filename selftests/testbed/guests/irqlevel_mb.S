/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irqlevel_mb: a multiboot guest that takes COM1's interrupt through the
 * I/O APIC level-triggered, as a PCI INTx line would be, to check the EOI
 * path: in-kernel local APIC EOI -> VESSEL_EXIT_EOI -> ioapic_eoi().
 *
 * The 16550's INTR output is a level: it stays high while an enabled
 * interrupt condition is pending (here THR empty, IER THRI, gated by MCR
 * OUT2). The guest routes I/O APIC input 4 to vector 0x24 on APIC 0,
 * level-triggered, active high, and lets the UART raise the line:
 *  - first interrupt: the handler sees Remote IRR set in the redirection
 *    entry and EOIs without quietening the UART, so the line stays high;
 *    the EOI clears Remote IRR and the I/O APIC must send it again;
 *  - second interrupt: Remote IRR set again; the handler acknowledges the
 *    UART (IIR read, IER cleared: the line drops) and EOIs;
 *  - then no third interrupt, and Remote IRR reads clear.
 * On success it prints
 *   "level IRQ 4: 2 interrupts, Remote IRR set in the handler, clear after EOI\n"
 * and leaves through the debug-exit port with 42 (status 85). Failures:
 * no interrupt 0x14 (41), only one (the EOI did not re-deliver) 0x16 (45),
 * Remote IRR clear in the handler 0x17 (47), Remote IRR still set at the
 * end 0x18 (49), a third interrupt 0x19 (51), another vector 0x15 (43).
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
#define EXIT_NO_REDELIVERY	0x16
#define EXIT_NO_REMOTE_IRR	0x17
#define EXIT_STUCK_REMOTE_IRR	0x18
#define EXIT_TOO_MANY		0x19

#define LAPIC_EOI		0xfee000b0
#define LAPIC_SVR		0xfee000f0
#define LAPIC_SVR_ENABLE	0x100
#define SPURIOUS_VECTOR		0xff
#define IOAPIC_REGSEL		0xfec00000
#define IOAPIC_WIN		0xfec00010
#define IOAPIC_RTE4_LO		0x18
#define IOAPIC_RTE4_HI		0x19
#define IOAPIC_RTE_REMOTE_IRR	0x4000
#define IOAPIC_RTE_LEVEL	0x8000
#define UART_VECTOR		0x24
#define WAIT_LOOPS		10000000
#define SETTLE_LOOPS		1000000

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

	movl	$LAPIC_SVR_ENABLE | SPURIOUS_VECTOR, LAPIC_SVR

	/* I/O APIC input 4: APIC 0, fixed, level, active high, unmasked. */
	movl	$IOAPIC_RTE4_HI, IOAPIC_REGSEL
	movl	$0, IOAPIC_WIN
	movl	$IOAPIC_RTE4_LO, IOAPIC_REGSEL
	movl	$IOAPIC_RTE_LEVEL | UART_VECTOR, IOAPIC_WIN

	/* The UART drives its line (OUT2) and asserts it for THR empty. */
	movw	$COM1 + UART_MCR, %dx
	movb	$UART_MCR_OUT2, %al
	outb	%al, %dx
	movw	$COM1 + UART_IER, %dx
	movb	$UART_IER_THRI, %al
	outb	%al, %dx

	sti
	movl	$WAIT_LOOPS, %ecx
4:	cmpl	$2, nr_irqs
	jae	5f
	loop	4b
	/* Time out: none, or only the first one. */
	cli
	cmpl	$0, nr_irqs
	je	no_irq
	movl	$msg_one_only, %esi
	movl	$EXIT_NO_REDELIVERY, %eax
	jmp	fail

	/* Two came: give a third (which must not come) time to arrive. */
5:	movl	$SETTLE_LOOPS, %ecx
6:	loop	6b
	cli
	cmpl	$2, nr_irqs
	jne	too_many
	cmpl	$0, remote_irr_missed
	jne	no_remote_irr
	movl	$IOAPIC_RTE4_LO, IOAPIC_REGSEL
	movl	IOAPIC_WIN, %eax	/* MMIO: MOV only, as readl() */
	testl	$IOAPIC_RTE_REMOTE_IRR, %eax
	jnz	stuck_remote_irr
	movl	$msg_ok, %esi
	call	puts
	movl	$EXIT_OK, %eax
	jmp	debug_exit

no_irq:
	movl	$msg_no_irq, %esi
	movl	$EXIT_NO_IRQ, %eax
	jmp	fail
too_many:
	movl	$msg_too_many, %esi
	movl	$EXIT_TOO_MANY, %eax
	jmp	fail
no_remote_irr:
	movl	$msg_no_remote_irr, %esi
	movl	$EXIT_NO_REMOTE_IRR, %eax
	jmp	fail
stuck_remote_irr:
	movl	$msg_stuck_remote_irr, %esi
	movl	$EXIT_STUCK_REMOTE_IRR, %eax

/* Print the message at ESI and exit with EAX. */
fail:
	pushl	%eax
	call	puts
	popl	%eax

	MB_DEBUG_EXIT

	MB_SET_GATE

uart_handler:
	pushl	%eax
	pushl	%edx
	incl	nr_irqs
	/* In service, a level entry has Remote IRR set until the EOI. */
	movl	$IOAPIC_RTE4_LO, IOAPIC_REGSEL
	movl	IOAPIC_WIN, %eax
	testl	$IOAPIC_RTE_REMOTE_IRR, %eax
	jnz	1f
	incl	remote_irr_missed
	/* The first time, leave the UART asserting its line. */
1:	cmpl	$1, nr_irqs
	je	2f
	movw	$COM1 + UART_IIR, %dx	/* acknowledges THR empty */
	inb	%dx, %al
	movw	$COM1 + UART_IER, %dx
	xorb	%al, %al
	outb	%al, %dx
2:	movl	$0, LAPIC_EOI
	popl	%edx
	popl	%eax
	iret

/* A spurious-interrupt vector needs no EOI. */
spurious_handler:
	iret

unexpected:
	movl	$msg_bad_vector, %esi
	movl	$EXIT_BAD_VECTOR, %eax
	jmp	fail

	MB_PUTS

	.section .rodata
	.p2align 2
	.word	0
idt_desc:
	.word	256 * 8 - 1
	.long	idt
msg_ok:
	.asciz	"level IRQ 4: 2 interrupts, Remote IRR set in the handler, clear after EOI\n"
msg_no_irq:
	.asciz	"irqlevel_mb: no interrupt from the UART\n"
msg_one_only:
	.asciz	"irqlevel_mb: one interrupt only: the EOI did not re-deliver the asserted line\n"
msg_no_remote_irr:
	.asciz	"irqlevel_mb: Remote IRR clear in the handler\n"
msg_stuck_remote_irr:
	.asciz	"irqlevel_mb: Remote IRR still set after the last EOI\n"
msg_too_many:
	.asciz	"irqlevel_mb: an interrupt after the line dropped\n"
msg_bad_vector:
	.asciz	"irqlevel_mb: unexpected interrupt or exception\n"

	.bss
	.p2align 3
idt:
	.skip	256 * 8
nr_irqs:
	.skip	4
remote_irr_missed:
	.skip	4
	.p2align 4
	.skip	4096
stack_top:
