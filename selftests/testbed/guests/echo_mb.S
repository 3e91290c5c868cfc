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

#define UART_RBR		0
#define UART_IER		1
#define UART_MCR		4
#define UART_IER_RDI		0x01
#define UART_MCR_OUT2		0x08
#define UART_LSR_DR		0x01
#define EXIT_OK			42
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
#define LINE_MAX		64

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

	/* I/O APIC input 4: APIC 0, fixed, edge, unmasked. */
	movl	$IOAPIC_RTE4_HI, IOAPIC_REGSEL
	movl	$0, IOAPIC_WIN
	movl	$IOAPIC_RTE4_LO, IOAPIC_REGSEL
	movl	$UART_VECTOR, IOAPIC_WIN

	/* The UART drives its line (OUT2) and raises it for received data. */
	movw	$COM1 + UART_MCR, %dx
	movb	$UART_MCR_OUT2, %al
	outb	%al, %dx
	movw	$COM1 + UART_IER, %dx
	movb	$UART_IER_RDI, %al
	outb	%al, %dx

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
	movl	$newline, %esi
	call	puts
	movl	$EXIT_OK, %eax

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
msg_echo:
	.asciz	"echo_mb: "
newline:
	.asciz	"\n"
msg_bad_vector:
	.asciz	"echo_mb: unexpected interrupt or exception\n"

	.bss
	.p2align 3
idt:
	.skip	256 * 8
line_len:
	.skip	4
line_done:
	.skip	4
line:
	.skip	LINE_MAX		/* zeroed: the last byte stays NUL */
	.p2align 4
	.skip	4096
stack_top:
