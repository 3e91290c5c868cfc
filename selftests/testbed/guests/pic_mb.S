/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pic_mb: a multiboot guest that takes COM1's interrupt through the 8259
 * PIC pair of a VM with a local APIC, end to end: the UART raises IRQ 4,
 * the userspace PIC sends it as an ExtINT message (VESSEL_SIGNAL_MSI), and
 * the boot processor's local APIC, left in virtual-wire mode by `vessel
 * run` (LINT0 ExtINT), passes it to the CPU. The guest does not touch its
 * local APIC: it programs both PICs (ICW1-4, master vectors 0x20-0x27,
 * slave 0x28-0x2f), unmasks IRQ 4 only and makes the UART raise its
 * THR-empty interrupt. The handler checks that the APIC has no ISR bit for
 * the vector (ExtINT bypasses IRR/ISR), acknowledges the UART and sends the
 * PIC a non-specific EOI. On success it prints
 *   "IRQ 4 through the PIC: vector 0x24\n"
 * and leaves through the debug-exit port with 42 (status 85). No interrupt
 * within about 10^7 loop iterations exits with 0x14 (status 41); any other
 * vector, or an APIC ISR bit set, exits with 0x15 (status 43).
 */
#include "mb_lib.S"

#define EXIT_NO_IRQ		0x14

#define LAPIC_ISR_32_63		(LAPIC_BASE + 0x110)	/* ISR of vectors 0x20-0x3f */
#define PIC1_CMD		0x20
#define PIC1_DATA		0x21
#define PIC2_CMD		0xa0
#define PIC2_DATA		0xa1
#define PIC_ICW1		0x11	/* edge, cascade, ICW4 follows */
#define PIC1_BASE		0x20
#define PIC2_BASE		0x28
#define PIC1_ICW3		0x04	/* a slave on IR2 */
#define PIC2_ICW3		0x02	/* slave ID 2 */
#define PIC_ICW4		0x01	/* 8086 mode, normal EOI */
#define PIC1_IMR_IRQ4		0xef	/* only IRQ 4 unmasked */
#define PIC_EOI			0x20	/* OCW2 non-specific EOI */
#define PIC_SPURIOUS_VECTOR	(PIC1_BASE + 7)	/* IR7 with nothing pending */
#define UART_VECTOR		(PIC1_BASE + 4)
#define WAIT_LOOPS		10000000

	MB_ENTRY

	/* Every vector goes to unexpected, except the UART's and spurious. */
	MB_IDT	256, unexpected, UART_VECTOR, uart_handler, \
		PIC_SPURIOUS_VECTOR, spurious_handler

	/* Both PICs: ICW1-ICW4, then mask all but IRQ 4. */
	movb	$PIC_ICW1, %al
	outb	%al, $PIC1_CMD
	outb	%al, $PIC2_CMD
	movb	$PIC1_BASE, %al
	outb	%al, $PIC1_DATA
	movb	$PIC2_BASE, %al
	outb	%al, $PIC2_DATA
	movb	$PIC1_ICW3, %al
	outb	%al, $PIC1_DATA
	movb	$PIC2_ICW3, %al
	outb	%al, $PIC2_DATA
	movb	$PIC_ICW4, %al
	outb	%al, $PIC1_DATA
	outb	%al, $PIC2_DATA
	movb	$PIC1_IMR_IRQ4, %al
	outb	%al, $PIC1_DATA
	movb	$0xff, %al
	outb	%al, $PIC2_DATA

	/* Let the UART drive its IRQ line, and ask for THR empty. */
	MB_UART_IRQ_ENABLE UART_IER_THRI

	MB_STI_WAIT got_irq, 1, WAIT_LOOPS, 1f
	cli
	MB_EXIT_MSG msg_no_irq, EXIT_NO_IRQ

1:	cli
	MB_EXIT_MSG msg_ok, EXIT_OK

	MB_DEBUG_EXIT

	MB_SET_GATE

uart_handler:
	pushl	%eax
	pushl	%edx
	/* ExtINT: the local APIC took no ISR bit for it. */
	movl	LAPIC_ISR_32_63, %eax
	testl	$1 << (UART_VECTOR - 0x20), %eax
	jnz	unexpected
	MB_UART_QUIET
	movb	$PIC_EOI, %al
	outb	%al, $PIC1_CMD
	incl	got_irq
	popl	%edx
	popl	%eax
	iret

/* The PIC's spurious IR7 has no ISR bit to end. */
spurious_handler:
	iret

unexpected:
	MB_EXIT_MSG msg_bad_vector, EXIT_UNEXPECTED

	MB_PUTS

	.section .rodata
msg_ok:
	.asciz	"IRQ 4 through the PIC: vector 0x24\n"
msg_no_irq:
	.asciz	"pic_mb: no interrupt from the UART\n"
msg_bad_vector:
	.asciz	"pic_mb: unexpected interrupt or exception\n"

	.bss
	.p2align 2
got_irq:
	.skip	4
