/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reboot_mb: a multiboot guest that resets its machine through Hyper-V's
 * RESET MSR, for `vessel run --paravirt hyperv`. Each boot checks that it
 * starts from power-on:
 *  - the multiboot magic in EAX (vCPU 0's registers are the boot state);
 *  - `marker` holds the value in the image (memory was loaded again: the
 *    last boot changed it);
 *  - HV_X64_MSR_GUEST_OS_ID reads 0 (the provider was reset: the last
 *    boot set it),
 * prints "reboot_mb: boot", then changes all three and polls COM1: 'r'
 * writes 1 to HV_X64_MSR_RESET, 'q' leaves through the debug-exit port
 * with 42 (status 85), anything else is ignored. Failures print a line and
 * exit with 0x11 no reset MSR, 0x12 registers, 0x13 memory, 0x14 provider
 * not at power-on, 0x16 the reset did not happen.
 */
#include "mb_lib.S"

#define MB_BOOT_MAGIC		0x2badb002	/* EAX at a multiboot entry */
#define HV_CPUID_VENDOR		0x40000000
#define HV_CPUID_FEATURES	0x40000003
#define HV_VENDOR_EBX		0x7263694d	/* "Micr" */
#define HV_RESET_AVAILABLE	(1 << 7)	/* EAX: HV_X64_MSR_RESET */
#define HV_MSR_GUEST_OS_ID	0x40000000
#define HV_MSR_RESET		0x40000003
#define HV_OS_ID_OPEN_SOURCE	0x80000000	/* bit 63: the high half */
#define MARKER_IMAGE		0x1badcafe
#define MARKER_RUNNING		0x600dcafe

#define EXIT_NO_RESET		0x11
#define EXIT_REGISTERS		0x12
#define EXIT_MEMORY		0x13
#define EXIT_PROVIDER		0x14
#define EXIT_NOT_RESET		0x16

	MB_ENTRY
	movl	$EXIT_REGISTERS, %ebx
	cmpl	$MB_BOOT_MAGIC, %eax
	jne	fail

	movl	$EXIT_NO_RESET, fail_code
	movl	$HV_CPUID_VENDOR, %eax
	cpuid
	cmpl	$HV_VENDOR_EBX, %ebx
	jne	fail_saved
	movl	$HV_CPUID_FEATURES, %eax
	cpuid
	testl	$HV_RESET_AVAILABLE, %eax
	jz	fail_saved

	movl	$EXIT_MEMORY, fail_code
	cmpl	$MARKER_IMAGE, marker
	jne	fail_saved
	movl	$EXIT_PROVIDER, fail_code
	movl	$HV_MSR_GUEST_OS_ID, %ecx
	rdmsr
	orl	%edx, %eax
	jnz	fail_saved

	movl	$msg_boot, %esi
	call	puts

	/* What the next boot must find undone. */
	movl	$MARKER_RUNNING, marker
	movl	$HV_MSR_GUEST_OS_ID, %ecx
	xorl	%eax, %eax
	movl	$HV_OS_ID_OPEN_SOURCE, %edx
	wrmsr

poll:
	movw	$COM1 + UART_LSR, %dx
	inb	%dx, %al
	testb	$UART_LSR_DR, %al
	jz	poll
	movw	$COM1 + UART_RBR, %dx
	inb	%dx, %al
	cmpb	$'q', %al
	je	done
	cmpb	$'r', %al
	jne	poll
	movl	$HV_MSR_RESET, %ecx
	movl	$1, %eax
	xorl	%edx, %edx
	wrmsr
	/* Not reached: the machine starts again at _start. */
	movl	$EXIT_NOT_RESET, fail_code
	jmp	fail_saved

done:
	movl	$EXIT_OK, %eax

	MB_DEBUG_EXIT

/* Exit with the code in EBX, or with fail_code. */
fail_saved:
	movl	fail_code, %ebx
fail:
	movl	$msg_fail, %esi
	call	puts
	movl	%ebx, %eax
	jmp	debug_exit

	MB_PUTS

	.section .rodata
msg_boot:
	.asciz	"reboot_mb: boot\n"
msg_fail:
	.asciz	"reboot_mb: not at power-on, or no reset\n"

	.data
	.p2align 2
marker:
	.long	MARKER_IMAGE

	.bss
	.p2align 2
fail_code:
	.skip	4
