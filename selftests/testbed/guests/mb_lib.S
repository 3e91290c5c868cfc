/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mb_lib.S: what the multiboot test guests here have in common, kept in
 * one place so that each guest reads as its own test: the constants of
 * the multiboot spec, COM1, the isa-debug-exit port, the local APIC, the
 * I/O APIC and ACPI; and assembler macros that either expand a few
 * instructions in place (MB_ENTRY, MB_IDT, MB_EXIT_MSG, ...) or expand a
 * routine once (MB_DEBUG_EXIT, MB_PUTS, MB_PUTDEC, MB_SET_GATE, MB_ACPI),
 * which the guest then calls. A routine's comment says what it clobbers.
 * Labels of macros expanded more than once carry \@ to stay unique.
 */
#ifndef VESSEL_TESTBED_MB_LIB_S
#define VESSEL_TESTBED_MB_LIB_S

#define MB_HEADER_MAGIC		0x1badb002
#define MB_HEADER_FLAGS		0	/* ELF tells the loader where to go */
#define MB_BOOT_MAGIC		0x2badb002	/* in EAX at entry */
#define MB_INFO_FLAGS		0	/* boot information (EBX) offsets */
#define MB_INFO_CMDLINE		16
#define MB_INFO_HAS_CMDLINE	(1 << 2)

#define MB_STACK_SIZE		4096

/* Exit codes every guest uses the same way; the rest are the guest's. */
#define EXIT_OK			42	/* status (42 << 1) | 1 = 85 */
#define EXIT_UNEXPECTED		0x15	/* an unexpected vector: status 43 */

#define COM1			0x3f8
#define UART_RBR		0
#define UART_IER		1
#define UART_IIR		2
#define UART_MCR		4
#define UART_LSR		5
#define UART_IER_RDI		0x01	/* received data available */
#define UART_IER_THRI		0x02	/* transmitter holding register empty */
#define UART_MCR_OUT2		0x08	/* gates the UART's IRQ line on a PC */
#define UART_LSR_DR		0x01
#define UART_LSR_THRE		0x20
#define DEBUG_EXIT_PORT		0xf4
#define IDT_GATE_INTR32		0x8e00	/* present, DPL 0, 32-bit interrupt gate */

/* Local APIC register offsets, and where it sits unless moved. */
#define LAPIC_BASE		0xfee00000
#define APIC_ID			0x20
#define APIC_EOI		0xb0
#define APIC_SVR		0xf0
#define APIC_SVR_ENABLE		0x100
#define APIC_SPURIOUS_VECTOR	0xff
#define LAPIC_EOI		(LAPIC_BASE + APIC_EOI)
#define LAPIC_SVR		(LAPIC_BASE + APIC_SVR)

/* The I/O APIC, reached through its select and window registers. */
#define IOAPIC_REGSEL		0xfec00000
#define IOAPIC_WIN		0xfec00010
#define IOAPIC_REG_VER		1
#define IOAPIC_REDTBL_LO(pin)	(0x10 + 2 * (pin))
#define IOAPIC_REDTBL_HI(pin)	(0x11 + 2 * (pin))
#define IOAPIC_RTE_REMOTE_IRR	0x4000
#define IOAPIC_RTE_LEVEL	0x8000

#define RSDP_SIG_LO		0x20445352	/* "RSD " */
#define RSDP_SIG_HI		0x20525450	/* "PTR " */
#define RSDP_V1_SIZE		20	/* what the ACPI 1.0 checksum covers */
#define RSDP_RSDT		16
#define ACPI_LENGTH		4	/* in every table's header */
#define ACPI_HEADER_SIZE	36
#define MADT_SIG		0x43495041	/* "APIC" */
#define MADT_LAPIC_ADDR		36
#define MADT_ENTRIES		44
#define MADT_LAPIC		0	/* Processor Local APIC entry */
#define MADT_LAPIC_ID		3
#define MADT_LAPIC_FLAGS	4
#define MADT_LAPIC_ENABLED	1
#define BIOS_AREA_END		0x100000	/* tables are found below 1 MiB */

/* The multiboot v1 header: within the first 8 KiB, 4-byte aligned. */
	.macro	MB_HEADER
	.p2align 2
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_HEADER_FLAGS
	.long	-(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
	.endm

/*
 * MB_ENTRY opens the guest: the header, then _start with interrupts off
 * on a stack of its own (the spec promises none), reserved here. EAX and
 * EBX still hold the boot magic and information.
 */
	.macro	MB_ENTRY
	.code32
	.text
	MB_HEADER

	.globl	_start
_start:
	cli
	movl	$stack_top, %esp

	.pushsection .bss
	.p2align 4
	.skip	MB_STACK_SIZE
stack_top:
	.popsection
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

/* MB_EXIT_MSG prints the string at label msg and ends the VM with code. */
	.macro	MB_EXIT_MSG msg, code
	movl	$\msg, %esi
	call	puts
	movl	$\code, %eax
	jmp	debug_exit
	.endm

/*
 * putc prints AL on COM1, polling the line status register until the
 * transmitter has room. Clobbers EDX.
 * puts prints the NUL-terminated string at ESI. Clobbers EAX, EDX, ESI.
 */
	.macro	MB_PUTS
putc:
	pushl	%eax
	movw	$COM1 + UART_LSR, %dx
.Lmb_putc_wait:
	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	.Lmb_putc_wait
	popl	%eax
	movw	$COM1, %dx
	outb	%al, %dx
	ret

puts:
	lodsb
	testb	%al, %al
	jz	.Lmb_puts_done
	call	putc
	jmp	puts
.Lmb_puts_done:
	ret
	.endm

/*
 * putdec prints EAX in decimal, the most significant digit first: it
 * recurses once a digit (ten at most). Needs MB_PUTS. Clobbers EAX, ECX,
 * EDX.
 */
	.macro	MB_PUTDEC
putdec:
	movl	$10, %ecx
	xorl	%edx, %edx
	divl	%ecx
	testl	%eax, %eax
	jz	.Lmb_putdec_last
	pushl	%edx
	call	putdec
	popl	%edx
.Lmb_putdec_last:
	movb	%dl, %al
	addb	$'0', %al
	jmp	putc
	.endm

/*
 * set_gate makes IDT entry ECX a 32-bit interrupt gate to EAX in the
 * current CS. MB_IDT provides the table, idt. Clobbers EAX, EDI.
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

/*
 * MB_IDT fills and loads an IDT of nr gates: each to the handler
 * default, but vector vec1 to handler1 and vec2 to handler2 (either pair
 * may be left out). The table, idt, and its descriptor are reserved here.
 * Needs MB_SET_GATE. Clobbers EAX, ECX, EDI.
 */
	.macro	MB_IDT nr, default, vec1=-1, handler1=, vec2=-1, handler2=
	xorl	%ecx, %ecx
.Lmb_idt_gate\@:
	movl	$\default, %eax
	.ifnb	\handler1
	cmpl	$\vec1, %ecx
	jne	.Lmb_idt_not1\@
	movl	$\handler1, %eax
.Lmb_idt_not1\@:
	.endif
	.ifnb	\handler2
	cmpl	$\vec2, %ecx
	jne	.Lmb_idt_not2\@
	movl	$\handler2, %eax
.Lmb_idt_not2\@:
	.endif
	call	set_gate
	incl	%ecx
	cmpl	$\nr, %ecx
	jb	.Lmb_idt_gate\@
	lidt	idt_desc

	.pushsection .rodata
	.p2align 2
	.word	0			/* the base 4-byte aligned */
idt_desc:
	.word	\nr * 8 - 1
	.long	idt
	.popsection
	.pushsection .bss
	.p2align 3
idt:
	.skip	\nr * 8
	.popsection
	.endm

/*
 * MB_LAPIC_ENABLE software-enables the local APIC whose spurious-vector
 * register is at svr, with spurious vector APIC_SPURIOUS_VECTOR.
 */
	.macro	MB_LAPIC_ENABLE svr=LAPIC_SVR
	movl	$APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR, \svr
	.endm

/*
 * MB_IOAPIC_ROUTE points I/O APIC input pin at APIC 0 with the low word
 * low (vector, trigger mode, polarity; unmasked unless low says so). The
 * destination goes first, so that the entry is never live half-written.
 */
	.macro	MB_IOAPIC_ROUTE pin, low
	movl	$IOAPIC_REDTBL_HI(\pin), IOAPIC_REGSEL
	movl	$0, IOAPIC_WIN
	movl	$IOAPIC_REDTBL_LO(\pin), IOAPIC_REGSEL
	movl	$\low, IOAPIC_WIN
	.endm

/*
 * MB_IOAPIC_READ: EAX = I/O APIC register reg. MMIO is read with MOV
 * only, as readl() does: Vessel decodes MMIO instructions of the MOV
 * family.
 */
	.macro	MB_IOAPIC_READ reg
	movl	$\reg, IOAPIC_REGSEL
	movl	IOAPIC_WIN, %eax
	.endm

/*
 * MB_UART_IRQ_ENABLE lets COM1 drive its IRQ line (MCR OUT2) and raise
 * it for the conditions ier. Clobbers EAX, EDX.
 */
	.macro	MB_UART_IRQ_ENABLE ier
	movw	$COM1 + UART_MCR, %dx
	movb	$UART_MCR_OUT2, %al
	outb	%al, %dx
	movw	$COM1 + UART_IER, %dx
	movb	$\ier, %al
	outb	%al, %dx
	.endm

/*
 * MB_UART_QUIET, in a handler of THR empty: reading IIR acknowledges it
 * and clearing IER keeps it from coming again, so COM1 drops its line.
 * Clobbers EAX, EDX.
 */
	.macro	MB_UART_QUIET
	movw	$COM1 + UART_IIR, %dx
	inb	%dx, %al
	movw	$COM1 + UART_IER, %dx
	xorb	%al, %al
	outb	%al, %dx
	.endm

/*
 * MB_STI_WAIT enables interrupts and spins, loops times at most, until
 * the counter at count reaches nr: then it jumps to reached. It falls
 * through when the time is up, with interrupts still enabled. Clobbers
 * ECX.
 */
	.macro	MB_STI_WAIT count, nr, loops, reached
	sti
	movl	$\loops, %ecx
.Lmb_sti_wait\@:
	cmpl	$\nr, \count
	jae	\reached
	loop	.Lmb_sti_wait\@
	.endm

/*
 * The ACPI walk of a kernel without firmware calls, as routines that go
 * to the guest's label fail on a table that is not there or is corrupt:
 *
 * checksum: ZF set if the ECX bytes at ESI sum to 0 (mod 256). Clobbers
 * EAX, ECX.
 *
 * find_madt: ESI = the MADT, found through the RSDP (scanned for in
 * 0xe0000-0xfffff on 16-byte boundaries) and the RSDT, all three
 * checksummed. Clobbers EAX, ECX, EDX, EDI.
 *
 * madt_first: EDI = the first entry of the MADT at ESI, EDX = its end.
 * madt_next: EAX = the entry at EDI, CF clear, and EDI moved past it; CF
 * set at the end. Clobbers ECX.
 */
	.macro	MB_ACPI fail
checksum:
	xorl	%eax, %eax
.Lmb_checksum_add:
	addb	-1(%esi, %ecx), %al
	loop	.Lmb_checksum_add
	testb	%al, %al
	ret

find_madt:
	movl	$0xe0000, %esi
.Lmb_rsdp_try:
	cmpl	$RSDP_SIG_LO, (%esi)
	jne	.Lmb_rsdp_next
	cmpl	$RSDP_SIG_HI, 4(%esi)
	jne	.Lmb_rsdp_next
	movl	$RSDP_V1_SIZE, %ecx
	call	checksum
	jz	.Lmb_rsdp_found
.Lmb_rsdp_next:
	addl	$16, %esi
	cmpl	$BIOS_AREA_END, %esi
	jb	.Lmb_rsdp_try
	jmp	\fail
.Lmb_rsdp_found:
	movl	RSDP_RSDT(%esi), %edi
	movl	%edi, %esi
	movl	ACPI_LENGTH(%edi), %ecx
	call	checksum
	jnz	\fail
	movl	ACPI_LENGTH(%edi), %edx
	addl	%edi, %edx		/* end of the RSDT */
	addl	$ACPI_HEADER_SIZE, %edi	/* its entries */
.Lmb_rsdt_entry:
	cmpl	%edx, %edi
	jae	\fail
	movl	(%edi), %esi
	addl	$4, %edi
	cmpl	$MADT_SIG, (%esi)
	jne	.Lmb_rsdt_entry
	movl	ACPI_LENGTH(%esi), %ecx
	call	checksum
	jnz	\fail
	ret

madt_first:
	leal	MADT_ENTRIES(%esi), %edi
	movl	ACPI_LENGTH(%esi), %edx
	addl	%esi, %edx
	ret

madt_next:
	cmpl	%edx, %edi
	jae	.Lmb_madt_end
	movzbl	1(%edi), %ecx		/* length */
	testl	%ecx, %ecx
	jz	\fail			/* a zero length would loop forever */
	movl	%edi, %eax
	addl	%ecx, %edi
	clc
	ret
.Lmb_madt_end:
	stc
	ret
	.endm

#endif /* VESSEL_TESTBED_MB_LIB_S */
