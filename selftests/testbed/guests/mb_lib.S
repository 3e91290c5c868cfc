/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_lib.S: what every multiboot test guest here repeats, kept in one place:
 * the constants of the multiboot header, COM1 and the isa-debug-exit port,
 * the IDT gate type, and assembler macros for the header, debug_exit (all
 * guests), the polled puts (all but smp_mb and tables_mb, whose puts calls
 * a putc) and set_gate (the four guests that take UART interrupts). Each
 * guest invokes a macro where it used to spell the code out,
 * so the guests assemble to the same bytes as before.
 */
#ifndef VESSEL_TESTBED_MB_LIB_S
#define VESSEL_TESTBED_MB_LIB_S

#define MB_HEADER_MAGIC		0x1badb002
#define MB_HEADER_FLAGS		0	/* ELF tells the loader where to go */

#define COM1			0x3f8
#define UART_LSR		5
#define UART_LSR_THRE		0x20
#define DEBUG_EXIT_PORT		0xf4
#define IDT_GATE_INTR32		0x8e00	/* present, DPL 0, 32-bit interrupt gate */

/* The multiboot v1 header: within the first 8 KiB, 4-byte aligned. */
	.macro	MB_HEADER
	.p2align 2
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_HEADER_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.endm

/*
 * debug_exit ends the VM with exit status (EAX << 1) | 1 and never
 * returns. Guests fall through into it, so it is expanded in place.
 */
	.macro	MB_DEBUG_EXIT
debug_exit:
	movw	$DEBUG_EXIT_PORT, %dx
	outl	%eax, %dx
	/* Only reached without a debug-exit device: halt for good. */
.Lmb_debug_exit_halt:
	hlt
	jmp	.Lmb_debug_exit_halt
	.endm

/*
 * puts prints the NUL-terminated string at ESI on COM1, polling the line
 * status register. Clobbers EAX, EDX, ESI.
 */
	.macro	MB_PUTS
puts:
	lodsb
	testb	%al, %al
	jz	.Lmb_puts_done
	movb	%al, %ah
	movw	$COM1 + UART_LSR, %dx
.Lmb_puts_wait:
	inb	%dx, %al		/* wait until the transmitter has room */
	testb	$UART_LSR_THRE, %al
	jz	.Lmb_puts_wait
	movb	%ah, %al
	movw	$COM1, %dx
	outb	%al, %dx
	jmp	puts
.Lmb_puts_done:
	ret
	.endm

/*
 * set_gate makes IDT entry ECX a 32-bit interrupt gate to EAX in the
 * current CS. The guest provides the table, idt. Clobbers EAX, EDI.
 */
	.macro	MB_SET_GATE
set_gate:
	leal	idt(, %ecx, 8), %edi
	movw	%ax, (%edi)
	movw	%cs, 2(%edi)
	movw	$IDT_GATE_INTR32, 4(%edi)
	shrl	$16, %eax
	movw	%ax, 6(%edi)
	ret
	.endm

#endif /* VESSEL_TESTBED_MB_LIB_S */
