/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tables_mb: a multiboot guest that looks at the machine `vessel run` gives
 * a VM with a local APIC, the way firmware-less kernels do, and prints
 *   "MP cpus N, ACPI cpus N, IOAPIC VVVVVVVV, PIC IMR MM\n"
 * on COM1, then leaves through the debug-exit port with 42 (status 85):
 *  - MP: the floating pointer found in 0xf0000-0xfffff on a 16-byte
 *    boundary with a zero checksum, its configuration table ("PCMP",
 *    checksum), processor entries counted;
 *  - ACPI: the RSDP found in 0xe0000-0xfffff with a zero checksum, the
 *    MADT ("APIC") among the RSDT's entries, both with zero checksums,
 *    Processor Local APIC entries counted;
 *  - the I/O APIC version register, through IOREGSEL/IOWIN at 0xfec00000;
 *  - the master 8259's IMR (port 0x21).
 * A missing or corrupt table prints its name and exits with 0x11 (MP) or
 * 0x12 (ACPI) instead: statuses 35 and 37.
 */
#include "mb_lib.S"

#define EXIT_NO_MP		0x11
#define EXIT_NO_ACPI		0x12

#define PIC_MASTER_DATA		0x21

#define MP_SIG			0x5f504d5f	/* "_MP_" */
#define PCMP_SIG		0x504d4350	/* "PCMP" */

	MB_ENTRY

	/* MP floating pointer: signature, then a 16-byte checksum. */
	movl	$0xf0000, %esi
1:	cmpl	$MP_SIG, (%esi)
	jne	2f
	movl	$16, %ecx
	call	checksum
	jz	3f
2:	addl	$16, %esi
	cmpl	$BIOS_AREA_END, %esi
	jb	1b
	jmp	no_mp
3:	movl	4(%esi), %esi		/* the configuration table */
	cmpl	$PCMP_SIG, (%esi)
	jne	no_mp
	movzwl	4(%esi), %ecx
	call	checksum
	jnz	no_mp
	movzwl	34(%esi), %ecx		/* entry count */
	leal	44(%esi), %edi
	xorl	%ebx, %ebx		/* processors */
4:	testl	%ecx, %ecx
	jz	6f
	cmpb	$0, (%edi)
	jne	5f
	incl	%ebx
	addl	$12, %edi		/* processor entries are 20 bytes */
5:	addl	$8, %edi
	decl	%ecx
	jmp	4b
6:	movl	%ebx, mp_cpus

	/* ACPI: the MADT's Processor Local APIC entries, enabled or not. */
	call	find_madt
	call	madt_first
	xorl	%ebx, %ebx
1:	call	madt_next
	jc	2f
	cmpb	$MADT_LAPIC, (%eax)
	jne	1b
	incl	%ebx
	jmp	1b
2:	movl	%ebx, acpi_cpus

	movl	$msg_mp, %esi
	call	puts
	movl	mp_cpus, %eax
	call	putdec
	movl	$msg_acpi, %esi
	call	puts
	movl	acpi_cpus, %eax
	call	putdec
	movl	$msg_ioapic, %esi
	call	puts
	MB_IOAPIC_READ IOAPIC_REG_VER
	movl	$8, %ecx
	call	puthex
	movl	$msg_pic, %esi
	call	puts
	inb	$PIC_MASTER_DATA, %al
	movzbl	%al, %eax
	movl	$2, %ecx
	call	puthex
	MB_EXIT_MSG newline, EXIT_OK

no_mp:
	MB_EXIT_MSG msg_no_mp, EXIT_NO_MP
no_acpi:
	MB_EXIT_MSG msg_no_acpi, EXIT_NO_ACPI

	MB_DEBUG_EXIT

	MB_ACPI	no_acpi
	MB_PUTS
	MB_PUTDEC

/* Print the low ECX hex digits of EAX. Clobbers EAX, ECX, EDX. */
puthex:
	pushl	%ebx
	movl	%eax, %ebx
1:	pushl	%ecx
	leal	-4(,%ecx,4), %ecx	/* the digit's lowest bit */
	movl	%ebx, %eax
	shrl	%cl, %eax
	andl	$15, %eax
	movb	hexdigits(%eax), %al
	call	putc
	popl	%ecx
	loop	1b
	popl	%ebx
	ret

	.section .rodata
hexdigits:
	.ascii	"0123456789abcdef"
msg_mp:
	.asciz	"MP cpus "
msg_acpi:
	.asciz	", ACPI cpus "
msg_ioapic:
	.asciz	", IOAPIC "
msg_pic:
	.asciz	", PIC IMR "
newline:
	.asciz	"\n"
msg_no_mp:
	.asciz	"tables_mb: no valid MP table\n"
msg_no_acpi:
	.asciz	"tables_mb: no valid ACPI MADT\n"

	.bss
	.p2align 2
mp_cpus:
	.skip	4
acpi_cpus:
	.skip	4
