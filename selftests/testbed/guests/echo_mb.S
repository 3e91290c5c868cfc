/* SPDX-License-Identifier: GPL-2.0 */
/*
 * echo_mb: a multiboot guest that sleeps until the VMM's stdin reaches it,
 * for a VM with a local APIC: it routes I/O APIC input 4 (COM1) to vector
 * 0x24 on APIC 0, edge, enables the UART's received-data interrupt and
 * halts ("sti; hlt") whenever it has nothing to do. Its handler drains the
 * receive buffer into a line; at '\n' (or 64 bytes) the guest prints
 *   "echo_mb: LINE\n"
 * and leaves through the debug-exit port with 42 (status 85). The halted
 * vCPU sleeps in the kernel, so only the UART's interrupt, raised when
 * the VMM feeds it input, can wake it: nothing polls.
 */
#include "mb_lib.S"

#define UART_VECTOR		0x24
#define LINE_MAX		64

	MB_ENTRY

	/* Every vector goes to unexpected, except the UART's and spurious. */
	MB_IDT	256, unexpected, UART_VECTOR, uart_handler, \
		APIC_SPURIOUS_VECTOR, spurious_handler
	MB_LAPIC_ENABLE

	/* I/O APIC input 4: APIC 0, fixed, edge, unmasked. */
	MB_IOAPIC_ROUTE 4, UART_VECTOR

	/* The UART raises its line for received data. */
	MB_UART_IRQ_ENABLE UART_IER_RDI

	/* Sleep until the handler has a line: STI's shadow covers the HLT. */
4:	cli
	cmpl	$0, line_done
	jne	5f
	sti
	hlt
	jmp	4b

5:	movl	$msg_echo, %esi
	call	puts
	movl	$line, %esi
	call	puts
	MB_EXIT_MSG newline, EXIT_OK

	MB_DEBUG_EXIT

	MB_SET_GATE

/* Everything the UART has goes into the line; '\n' or a full line ends it. */
uart_handler:
	pushl	%eax
	pushl	%edx
	pushl	%edi
1:	movw	$COM1 + UART_LSR, %dx
	inb	%dx, %al
	testb	$UART_LSR_DR, %al
	jz	3f
	movw	$COM1 + UART_RBR, %dx
	inb	%dx, %al
	cmpl	$0, line_done
	jne	1b			/* after the line: dropped */
	cmpb	$'\n', %al
	je	2f
	movl	line_len, %edi
	movb	%al, line(%edi)
	incl	%edi
	movl	%edi, line_len
	cmpl	$LINE_MAX - 1, %edi
	jb	1b
2:	movl	$1, line_done
	jmp	1b
3:	movl	$0, LAPIC_EOI
	popl	%edi
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
msg_echo:
	.asciz	"echo_mb: "
newline:
	.asciz	"\n"
msg_bad_vector:
	.asciz	"echo_mb: unexpected interrupt or exception\n"

	.bss
	.p2align 2
line_len:
	.skip	4
line_done:
	.skip	4
line:
	.skip	LINE_MAX		/* zeroed: the last byte stays NUL */
