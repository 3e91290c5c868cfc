/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvdebug_mb: a multiboot guest that talks to a debugger through Hyper-V's
 * synthetic debugger hypercalls, for `vessel run --paravirt hyperv
 * --hv-debug LINK`. It finds Hyper-V with debugging privileges (CPUID
 * 0x40000000-3), enables the hypercall page and, with the 32-bit calling
 * convention (control EDX:EAX, input GPA EBX:ECX, output GPA EDI:ESI):
 *
 *  1. HvResetDebugSession, then posts its 24-byte answer (the two ends'
 *     addresses and ports) as the first thing the debugger gets;
 *  2. posts "hvdebug_mb: hello, debugger\n";
 *  3. retrieves CHUNK bytes at a time, waiting up to half a second for
 *     each, and posts every chunk straight back, until a retrieval finds
 *     no data (HV_STATUS_NO_DATA). Within one run of data the remaining
 *     count must fall by what each call retrieved, and be 0 when the
 *     data runs out.
 *
 * Then it prints "hvdebug_mb: echoed N bytes" on COM1 and leaves through
 * the debug-exit port with 42 (status 85). Failures print a line and exit
 * with a code naming the step: 0x11 no Hyper-V debugging, 0x12 reset,
 * 0x13 post, 0x14 retrieve (status or counts), 0x15 unexpected exception.
 */
#include "mb_lib.S"

#define HV_CPUID_VENDOR		0x40000000
#define HV_CPUID_INTERFACE	0x40000001
#define HV_CPUID_FEATURES	0x40000003
#define HV_VENDOR_EBX		0x7263694d	/* "Micr" */
#define HV_INTERFACE_HV1	0x31237648	/* "Hv#1" */
#define HV_DEBUGGING		(1 << 11)	/* EBX: the debug calls */
#define HV_MSR_GUEST_OS_ID	0x40000000
#define HV_MSR_HYPERCALL	0x40000001
#define HV_HYPERCALL_ENABLE	1
#define HV_OS_ID_OPEN_SOURCE	0x80000000	/* bit 63: the high half */
#define HV_POST_DEBUG_DATA	0x69
#define HV_RETRIEVE_DEBUG_DATA	0x6a
#define HV_RESET_DEBUG_SESSION	0x6b
#define HV_STATUS_NO_DATA	0x1b
#define HV_RESET_OUT_BYTES	24

#define CHUNK			5
#define TIMEOUT_100NS		5000000		/* half a second */

#define EXIT_NO_HYPERV		0x11
#define EXIT_RESET		0x12
#define EXIT_POST		0x13
#define EXIT_RETRIEVE		0x14

	MB_ENTRY
	/* A fault anywhere ends the run with a message, not a triple fault. */
	MB_IDT	32, unexpected

	movl	$EXIT_NO_HYPERV, fail_code
	movl	$HV_CPUID_VENDOR, %eax
	cpuid
	cmpl	$HV_VENDOR_EBX, %ebx
	jne	fail
	movl	$HV_CPUID_INTERFACE, %eax
	cpuid
	cmpl	$HV_INTERFACE_HV1, %eax
	jne	fail
	movl	$HV_CPUID_FEATURES, %eax
	cpuid
	testl	$HV_DEBUGGING, %ebx
	jz	fail

	movl	$HV_MSR_GUEST_OS_ID, %ecx
	xorl	%eax, %eax
	movl	$HV_OS_ID_OPEN_SOURCE, %edx
	wrmsr
	movl	$HV_MSR_HYPERCALL, %ecx
	movl	$hcall_page + HV_HYPERCALL_ENABLE, %eax
	xorl	%edx, %edx
	wrmsr

	/* 1. Reset, and tell the debugger what the reset said. */
	movl	$EXIT_RESET, fail_code
	movl	$0, in_page			/* options */
	movl	$HV_RESET_DEBUG_SESSION, %eax
	call	hypercall
	testl	%eax, %eax
	jnz	fail
	movl	$out_page, %esi
	movl	$HV_RESET_OUT_BYTES, %ecx
	call	post_bytes

	/* 2. Hello. */
	movl	$msg_hello, %esi
	movl	$msg_hello_end - msg_hello, %ecx
	call	post_bytes

	/* 3. Echo until the debugger has nothing more. */
retrieve_loop:
	movl	$EXIT_RETRIEVE, fail_code
	movl	$CHUNK, in_page			/* count */
	movl	$0, in_page + 4			/* options */
	movl	$TIMEOUT_100NS, in_page + 8	/* timeout */
	movl	$0, in_page + 12
	movl	$HV_RETRIEVE_DEBUG_DATA, %eax
	call	hypercall
	cmpl	$HV_STATUS_NO_DATA, %eax
	je	done
	testl	%eax, %eax
	jnz	fail
	movl	out_page, %ecx			/* retrieved */
	testl	%ecx, %ecx
	jz	fail
	cmpl	$CHUNK, %ecx
	ja	fail
	/* Mid-run, remaining falls by what was retrieved. */
	movl	remaining, %eax
	testl	%eax, %eax
	jz	2f
	subl	%ecx, %eax
	cmpl	out_page + 4, %eax
	jne	fail
2:	movl	out_page + 4, %eax
	movl	%eax, remaining
	addl	%ecx, echoed
	movl	$out_page + 8, %esi
	call	post_bytes
	jmp	retrieve_loop

	/* Nothing more: the last retrieval must have said so, too. */
done:
	cmpl	$0, remaining
	jne	fail
	movl	$msg_echoed, %esi
	call	puts
	movl	echoed, %eax
	call	putdec
	MB_EXIT_MSG msg_bytes, EXIT_OK

	MB_DEBUG_EXIT

/*
 * hypercall: call EAX (no rep count, no variable header) with in_page and
 * out_page; returns the status in EAX. Clobbers EBX, ECX, EDX, ESI, EDI.
 */
hypercall:
	xorl	%edx, %edx
	xorl	%ebx, %ebx
	movl	$in_page, %ecx
	xorl	%edi, %edi
	movl	$out_page, %esi
	call	hcall_page
	movzwl	%ax, %eax
	ret

/* post_bytes: HvPostDebugData of ECX bytes at ESI; all must go. */
post_bytes:
	movl	%ecx, in_page			/* count */
	movl	$0, in_page + 4			/* options */
	movl	$in_page + 8, %edi
	cld
	rep movsb
	movl	$HV_POST_DEBUG_DATA, %eax
	call	hypercall
	testl	%eax, %eax
	jnz	1f
	cmpl	$0, out_page			/* pending */
	jne	1f
	ret
1:	movl	$EXIT_POST, fail_code
	jmp	fail

unexpected:
	movl	$EXIT_UNEXPECTED, fail_code
fail:
	movl	$msg_fail, %esi
	call	puts
	movl	fail_code, %eax
	jmp	debug_exit

	MB_SET_GATE
	MB_PUTS
	MB_PUTDEC

	.section .rodata
msg_hello:
	.ascii	"hvdebug_mb: hello, debugger\n"
msg_hello_end:
msg_echoed:
	.asciz	"hvdebug_mb: echoed "
msg_bytes:
	.asciz	" bytes\n"
msg_fail:
	.asciz	"hvdebug_mb: failed\n"

	.bss
	.p2align 12
hcall_page:
	.skip	4096
in_page:
	.skip	4096
out_page:
	.skip	4096
fail_code:
	.skip	4
remaining:
	.skip	4
echoed:
	.skip	4
