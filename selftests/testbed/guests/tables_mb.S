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
 *    RSDT's first entry, which must be the MADT ("APIC", checksum),
 *    Processor Local APIC entries counted;
 *  - the I/O APIC version register, through IOREGSEL/IOWIN at 0xfec00000;
 *  - the master 8259's IMR (port 0x21).
 * A missing or corrupt table prints its name and exits with 0x11 (MP) or
 * 0x12 (ACPI) instead: statuses 35 and 37.
 */
#include "mb_lib.S"

#define EXIT_OK			42
#define EXIT_NO_MP		0x11
#define EXIT_NO_ACPI		0x12

#define IOAPIC_REGSEL		0xfec00000
#define IOAPIC_WIN		0xfec00010
#define IOAPIC_REG_VER		1
#define PIC_MASTER_DATA		0x21

#define MP_SIG			0x5f504d5f	/* "_MP_" */
#define PCMP_SIG		0x504d4350	/* "PCMP" */
#define RSDP_SIG_LO		0x20445352	/* "RSD " */
#define RSDP_SIG_HI		0x20525450	/* "PTR " */
#define MADT_SIG		0x43495041	/* "APIC" */

	.code32
	.text
	MB_HEADER

	.globl	_start
_start:
	cli
	movl	$stack_top, %esp

	/* MP floating pointer: signature, then a 16-byte checksum. */
	movl	$0xf0000, %esi
1:	cmpl	$MP_SIG, (%esi)
	jne	2f
	movl	$16, %ecx
	call	checksum
	jz	3f
2:	addl	$16, %esi
	cmpl	$0x100000, %esi
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

	/* RSDP: "RSD PTR ", then the ACPI 1.0 checksum of 20 bytes. */
	movl	$0xe0000, %esi
1:	cmpl	$RSDP_SIG_LO, (%esi)
	jne	2f
	cmpl	$RSDP_SIG_HI, 4(%esi)
	jne	2f
	movl	$20, %ecx
	call	checksum
	jz	3f
2:	addl	$16, %esi
	cmpl	$0x100000, %esi
	jb	1b
	jmp	no_acpi
3:	movl	16(%esi), %esi		/* RSDT */
	movl	36(%esi), %esi		/* its first entry: the MADT */
	cmpl	$MADT_SIG, (%esi)
	jne	no_acpi
	movl	4(%esi), %ecx
	call	checksum
	jnz	no_acpi
	movl	%esi, %edx
	addl	4(%esi), %edx		/* end */
	leal	44(%esi), %edi
	xorl	%ebx, %ebx
4:	cmpl	%edx, %edi
	jae	6f
	cmpb	$0, (%edi)
	jne	5f
	incl	%ebx
5:	movzbl	1(%edi), %eax
	testl	%eax, %eax
	jz	no_acpi			/* a zero length would loop forever */
	addl	%eax, %edi
	jmp	4b
6:	movl	%ebx, acpi_cpus

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
	movl	$IOAPIC_REG_VER, IOAPIC_REGSEL
	movl	IOAPIC_WIN, %eax
	movl	$8, %ecx
	call	puthex
	movl	$msg_pic, %esi
	call	puts
	inb	$PIC_MASTER_DATA, %al
	movzbl	%al, %eax
	movl	$2, %ecx
	call	puthex
	movl	$newline, %esi
	call	puts
	movl	$EXIT_OK, %eax
	jmp	debug_exit

no_mp:
	movl	$msg_no_mp, %esi
	call	puts
	movl	$EXIT_NO_MP, %eax
	jmp	debug_exit
no_acpi:
	movl	$msg_no_acpi, %esi
	call	puts
	movl	$EXIT_NO_ACPI, %eax

	MB_DEBUG_EXIT

/* ZF set if the ECX bytes at ESI sum to 0 (mod 256). Clobbers EAX, ECX. */
checksum:
	xorl	%eax, %eax
1:	addb	-1(%esi, %ecx), %al
	loop	1b
	testb	%al, %al
	ret

/* Print AL on COM1. Clobbers EDX. */
putc:
	pushl	%eax
	movw	$COM1 + UART_LSR, %dx
1:	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	1b
	popl	%eax
	movw	$COM1, %dx
	outb	%al, %dx
	ret

/* Print the NUL-terminated string at ESI. Clobbers EAX, EDX, ESI. */
puts:
	lodsb
	testb	%al, %al
	jz	1f
	call	putc
	jmp	puts
1:	ret

/* Print EAX (below 1000) in decimal. Clobbers EAX, ECX, EDX. */
putdec:
	movl	$10, %ecx
	xorl	%edx, %edx
	divl	%ecx
	testl	%eax, %eax
	jz	1f
	pushl	%edx
	call	putdec
	popl	%edx
1:	movb	%dl, %al
	addb	$'0', %al
	jmp	putc

/* Print the low ECX hex digits of EAX. Clobbers EAX, ECX, EDX. */
puthex:
	pushl	%ebx
	movl	%eax, %ebx
1:	leal	-1(,%ecx,4), %eax	/* bit position of the digit's top */
	pushl	%ecx
	leal	-4(,%ecx,4), %ecx
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
	.p2align 4
mp_cpus:
	.skip	4
acpi_cpus:
	.skip	4
	.skip	4096
stack_top:
