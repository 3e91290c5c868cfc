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
#include "mb_lib.S"

#define MB_BOOT_MAGIC		0x2badb002
#define MB_INFO_FLAGS		0
#define MB_INFO_CMDLINE		16
#define MB_INFO_HAS_CMDLINE	(1 << 2)

#define EXIT_OK			42
#define EXIT_BAD_MAGIC		0x10

	.code32
	.text
	MB_HEADER

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

	MB_DEBUG_EXIT

	MB_PUTS

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
