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

#define EXIT_NO_IRQ		0x14
#define EXIT_NO_REDELIVERY	0x16
#define EXIT_NO_REMOTE_IRR	0x17
#define EXIT_STUCK_REMOTE_IRR	0x18
#define EXIT_TOO_MANY		0x19

#define UART_VECTOR		0x24
#define WAIT_LOOPS		10000000
#define SETTLE_LOOPS		1000000

	MB_ENTRY

	/* Every vector goes to unexpected, except the UART's and spurious. */
	MB_IDT	256, unexpected, UART_VECTOR, uart_handler, \
		APIC_SPURIOUS_VECTOR, spurious_handler
	MB_LAPIC_ENABLE

	/* I/O APIC input 4: APIC 0, fixed, level, active high, unmasked. */
	MB_IOAPIC_ROUTE 4, IOAPIC_RTE_LEVEL | UART_VECTOR

	/* The UART drives its line (OUT2) and asserts it for THR empty. */
	MB_UART_IRQ_ENABLE UART_IER_THRI

	MB_STI_WAIT nr_irqs, 2, WAIT_LOOPS, 1f
	/* Time out: none, or only the first one. */
	cli
	cmpl	$0, nr_irqs
	je	no_irq
	MB_EXIT_MSG msg_one_only, EXIT_NO_REDELIVERY

	/* Two came: give a third (which must not come) time to arrive. */
1:	movl	$SETTLE_LOOPS, %ecx
2:	loop	2b
	cli
	cmpl	$2, nr_irqs
	jne	too_many
	cmpl	$0, remote_irr_missed
	jne	no_remote_irr
	MB_IOAPIC_READ IOAPIC_REDTBL_LO(4)
	testl	$IOAPIC_RTE_REMOTE_IRR, %eax
	jnz	stuck_remote_irr
	MB_EXIT_MSG msg_ok, EXIT_OK

no_irq:
	MB_EXIT_MSG msg_no_irq, EXIT_NO_IRQ
too_many:
	MB_EXIT_MSG msg_too_many, EXIT_TOO_MANY
no_remote_irr:
	MB_EXIT_MSG msg_no_remote_irr, EXIT_NO_REMOTE_IRR
stuck_remote_irr:
	MB_EXIT_MSG msg_stuck_remote_irr, EXIT_STUCK_REMOTE_IRR

	MB_DEBUG_EXIT

	MB_SET_GATE

uart_handler:
	pushl	%eax
	pushl	%edx
	incl	nr_irqs
	/* In service, a level entry has Remote IRR set until the EOI. */
	MB_IOAPIC_READ IOAPIC_REDTBL_LO(4)
	testl	$IOAPIC_RTE_REMOTE_IRR, %eax
	jnz	1f
	incl	remote_irr_missed
	/* The first time, leave the UART asserting its line. */
1:	cmpl	$1, nr_irqs
	je	2f
	MB_UART_QUIET
2:	movl	$0, LAPIC_EOI
	popl	%edx
	popl	%eax
	iret

/* A spurious-interrupt vector needs no EOI. */
spurious_handler:
	iret

unexpected:
	MB_EXIT_MSG msg_bad_vector, EXIT_UNEXPECTED

	MB_PUTS

	.section .rodata
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
	.p2align 2
nr_irqs:
	.skip	4
remote_irr_missed:
	.skip	4
