/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello_mb: the smallest multiboot v1 guest that proves `vessel run` works
 * end to end. It checks the boot magic, prints
 *   "Hello from a multiboot guest: <cmdline>\n"
 * on COM1 and reports success through the isa-debug-exit port, so that
 * `vessel run` exits with status (42 << 1) | 1 = 85. A wrong magic reports
 * 0x10 instead (status 33).
 *
 * Entered as the multiboot spec says: 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = the boot information. The spec promises no
 * stack, so the guest brings its own.
 */
#define MB_HEADER_MAGIC		0x1badb002
#define MB_HEADER_FLAGS		0	/* ELF tells the loader where to go */
#define MB_BOOT_MAGIC		0x2badb002
#define MB_INFO_FLAGS		0
#define MB_INFO_CMDLINE		16
#define MB_INFO_HAS_CMDLINE	(1 << 2)

#define COM1			0x3f8
#define UART_LSR		5
#define UART_LSR_THRE		0x20
#define DEBUG_EXIT_PORT		0xf4
#define EXIT_OK			42
#define EXIT_BAD_MAGIC		0x10

	.code32
	.text
	/* Within the first 8 KiB of the file and 4-byte aligned. */
	.p2align 2
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_HEADER_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.globl	_start
_start:
	cli
	movl	$stack_top, %esp
	cmpl	$MB_BOOT_MAGIC, %eax
	jne	bad_magic

	movl	%ebx, %edi		/* the boot information */
	movl	$greeting, %esi
	call	puts
	testl	$MB_INFO_HAS_CMDLINE, MB_INFO_FLAGS(%edi)
	jz	1f
	movl	MB_INFO_CMDLINE(%edi), %esi
	call	puts
1:	movl	$newline, %esi
	call	puts
	movl	$EXIT_OK, %eax
	jmp	debug_exit

bad_magic:
	movl	$bad_magic_msg, %esi
	call	puts
	movl	$EXIT_BAD_MAGIC, %eax

/* Ends the VM with exit status (EAX << 1) | 1; never returns. */
debug_exit:
	movw	$DEBUG_EXIT_PORT, %dx
	outl	%eax, %dx
	/* Only reached without a debug-exit device: halt for good. */
2:	hlt
	jmp	2b

/* Print the NUL-terminated string at ESI. Clobbers EAX, EDX, ESI. */
puts:
	lodsb
	testb	%al, %al
	jz	4f
	movb	%al, %ah
	movw	$COM1 + UART_LSR, %dx
3:	inb	%dx, %al		/* wait until the transmitter has room */
	testb	$UART_LSR_THRE, %al
	jz	3b
	movb	%ah, %al
	movw	$COM1, %dx
	outb	%al, %dx
	jmp	puts
4:	ret

	.section .rodata
greeting:
	.asciz	"Hello from a multiboot guest: "
newline:
	.asciz	"\n"
bad_magic_msg:
	.asciz	"hello_mb: bad multiboot magic in EAX\n"

	.bss
	.p2align 4
	.skip	4096
stack_top:
