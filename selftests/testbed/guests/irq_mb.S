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

#define EXIT_NO_IRQ		0x14
#define UART_VECTOR		0x24
#define WAIT_LOOPS		10000000

	MB_ENTRY

	/* Every vector goes to unexpected, except the UART's and spurious. */
	MB_IDT	256, unexpected, UART_VECTOR, uart_handler, \
		APIC_SPURIOUS_VECTOR, spurious_handler
	MB_LAPIC_ENABLE

	/* I/O APIC input 4: APIC 0, fixed, edge, unmasked. */
	MB_IOAPIC_ROUTE 4, UART_VECTOR

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
	MB_UART_QUIET
	movl	$0, LAPIC_EOI
	incl	got_irq
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
	.asciz	"IRQ 4 through the I/O APIC: vector 0x24\n"
msg_no_irq:
	.asciz	"irq_mb: no interrupt from the UART\n"
msg_bad_vector:
	.asciz	"irq_mb: unexpected interrupt or exception\n"

	.bss
	.p2align 2
got_irq:
	.skip	4
