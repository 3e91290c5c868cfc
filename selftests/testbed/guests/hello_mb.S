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
 * stack, so the guest brings its own (MB_ENTRY).
 */
#include "mb_lib.S"

#define EXIT_BAD_MAGIC		0x10

	MB_ENTRY
	cmpl	$MB_BOOT_MAGIC, %eax
	jne	bad_magic

	movl	%ebx, %edi		/* the boot information */
	movl	$greeting, %esi
	call	puts
	testl	$MB_INFO_HAS_CMDLINE, MB_INFO_FLAGS(%edi)
	jz	1f
	movl	MB_INFO_CMDLINE(%edi), %esi
	call	puts
1:	MB_EXIT_MSG newline, EXIT_OK

bad_magic:
	MB_EXIT_MSG bad_magic_msg, EXIT_BAD_MAGIC

	MB_DEBUG_EXIT

	MB_PUTS

	.section .rodata
greeting:
	.asciz	"Hello from a multiboot guest: "
newline:
	.asciz	"\n"
bad_magic_msg:
	.asciz	"hello_mb: bad multiboot magic in EAX\n"
