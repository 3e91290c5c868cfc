/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smp_mb: a multiboot guest that brings up its application processors the
 * way an SMP kernel does, for `vessel run --cpus N`:
 *  - finds the ACPI RSDP in 0xe0000-0xfffff, the MADT through the RSDT
 *    (signatures and checksums checked), takes the local APIC address
 *    from it and lists the enabled Processor Local APIC entries;
 *  - copies a real-mode trampoline to 0x8000 (below 1 MiB, page aligned:
 *    SIPI vector 0x08);
 *  - for every processor but itself sends INIT assert, INIT de-assert,
 *    waits 10 ms, then STARTUP twice with 200 us after each (MP
 *    specification B.4), without waiting for that AP before starting the
 *    next, so that the APs run at the same time;
 *  - each AP goes from real to protected mode on the guest's GDT, takes a
 *    stack by its APIC ID, enables its APIC, checks in (a locked add) and
 *    waits for the BSP's go-ahead, as Linux's APs wait in smp_callin();
 *  - once all have checked in (4 s at most) the BSP lets them go at once;
 *    each prints
 *      "smp_mb: AP with APIC ID n up\n"
 *    holding a spinlock (a UART line is several port writes, and without
 *    the lock lines of different APs would mix), increments a counter with
 *    a locked add, and halts with interrupts off;
 *  - the BSP waits up to 4 s for the counter to reach the number of APs,
 *    prints "smp_mb: K of M APs up\n" and leaves through the debug-exit
 *    port with K (exit status 2K + 1).
 * The BSP waits with HLT between ticks of its APIC timer (periodic, 1 ms),
 * as a kernel sleeps, so that its host CPU is free for the APs and they
 * really print at the same time.
 * First it prints "smp_mb: N CPUs in the MADT\n". No MADT: 0x12 (37);
 * more than MAX_CPUS or an APIC ID above it: 0x13 (39); an unexpected
 * interrupt or exception on the BSP: 0x15 (43).
 *
 * With the command line "crash", the AP with APIC ID 1 triple-faults
 * after its line instead of counting itself (an IDT with limit 0, then
 * INT3), so that the VMM must stop the whole VM for one vCPU's shutdown
 * while the BSP still waits.
 *
 * The INIT/SIPI delays use the local APIC timer, one-shot and masked, read
 * back through the current-count register. Its input clock is 1 GHz in
 * Vessel (VESSEL_GET_LAPIC_INFO), which a kernel would measure instead.
 */
#include "mb_lib.S"

#define EXIT_NO_ACPI		0x12
#define EXIT_TOO_MANY		0x13

/* More local APIC registers, from the base in the MADT. */
#define APIC_ICR_LO		0x300
#define APIC_ICR_HI		0x310
#define APIC_LVT_TIMER		0x320
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0
#define APIC_LVT_MASKED		0x10000
#define APIC_LVT_PERIODIC	0x20000
#define TIMER_VECTOR		0x40
#define APIC_TDCR_DIV1		0xb
#define ICR_BUSY		0x1000
#define ICR_INIT_ASSERT		0xc500	/* level, assert, INIT */
#define ICR_INIT_DEASSERT	0x8500	/* level, de-assert, INIT */
#define ICR_STARTUP		0x0600
#define TIMER_NS_PER_US		1000	/* 1 GHz, divide by 1 */

#define TRAMPOLINE		0x8000
#define SIPI_VECTOR		(TRAMPOLINE >> 12)
#define MAX_CPUS		16	/* APIC IDs 0..15: one stack each */
#define AP_STACK_SIZE		1024
#define AP_WAIT_MS		4000

#define CRASH_APIC_ID		1

#define CODE_SEL		0x08
#define DATA_SEL		0x10
#define CR0_PE			1

	MB_ENTRY
	cld
	call	parse_cmdline
	/* Our own GDT: the trampoline's far jump needs a known one. */
	lgdtl	gdt_desc
	ljmpl	$CODE_SEL, $1f
1:	movl	$DATA_SEL, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	/* Every vector is unexpected but the timer's and spurious. */
	MB_IDT	256, unexpected, TIMER_VECTOR, timer_handler, \
		APIC_SPURIOUS_VECTOR, spurious_handler

	call	find_madt
	movl	MADT_LAPIC_ADDR(%esi), %ebp
	movl	%ebp, lapic_base
	movl	%esi, madt

	/* Count the enabled processors, and check their IDs fit. */
	call	madt_first
	xorl	%ebx, %ebx
1:	call	madt_next_cpu
	jc	2f
	cmpl	$MAX_CPUS, %eax
	jae	too_many
	incl	%ebx
	jmp	1b
2:	movl	%ebx, nr_cpus
	call	lock_print
	movl	$msg_cpus, %esi
	call	puts
	movl	nr_cpus, %eax
	call	putdec
	movl	$msg_in_madt, %esi
	call	puts
	call	unlock_print

	/* This CPU's APIC: enable it, and learn its ID. */
	MB_LAPIC_ENABLE APIC_SVR(%ebp)
	movl	APIC_ID(%ebp), %eax
	shrl	$24, %eax
	movl	%eax, bsp_id
	movl	$APIC_LVT_MASKED, APIC_LVT_TIMER(%ebp)
	movl	$APIC_TDCR_DIV1, APIC_TDCR(%ebp)

	/* The trampoline, where a SIPI vector can point. */
	movl	$trampoline, %esi
	movl	$TRAMPOLINE, %edi
	movl	$trampoline_end - trampoline, %ecx
	rep movsb

	/* INIT-SIPI-SIPI to every other enabled processor. */
	movl	madt, %esi
	call	madt_first
1:	call	madt_next_cpu
	jc	2f
	cmpl	bsp_id, %eax
	je	1b
	incl	nr_aps
	pushl	%edi
	pushl	%edx
	call	start_ap
	popl	%edx
	popl	%edi
	jmp	1b

	/* Wait for them to check in, then let them all go at once. */
2:	movl	$ap_arrived, %edi
	call	wait_for_aps
	movl	$1, ap_go
	movl	$ap_count, %edi
	call	wait_for_aps

	call	lock_print
	movl	$msg_ap_prefix, %esi
	call	puts
	movl	ap_count, %eax
	call	putdec
	movl	$msg_of, %esi
	call	puts
	movl	nr_aps, %eax
	call	putdec
	movl	$msg_aps_up, %esi
	call	puts
	call	unlock_print
	movl	ap_count, %eax
	jmp	debug_exit

no_acpi:
	MB_EXIT_MSG msg_no_acpi, EXIT_NO_ACPI
too_many:
	MB_EXIT_MSG msg_too_many, EXIT_TOO_MANY

	MB_DEBUG_EXIT

/* crash_mode = 1 if the multiboot command line (EBX: the MBI) is "crash". */
parse_cmdline:
	testl	$MB_INFO_HAS_CMDLINE, MB_INFO_FLAGS(%ebx)
	jz	2f
	movl	MB_INFO_CMDLINE(%ebx), %esi
	movl	$str_crash, %edi
1:	movb	(%esi), %al
	cmpb	(%edi), %al
	jne	2f
	incl	%esi
	incl	%edi
	testb	%al, %al
	jnz	1b
	movl	$1, crash_mode
2:	ret

/*
 * Wait until the counter at EDI reaches nr_aps, AP_WAIT_MS at most,
 * halted between the timer's ticks ("sti; hlt": no wake-up is lost).
 */
wait_for_aps:
	movl	$0, ticks
	movl	$APIC_LVT_PERIODIC | TIMER_VECTOR, APIC_LVT_TIMER(%ebp)
	movl	$1000, %eax
	call	timer_start
1:	cli
	movl	(%edi), %eax
	cmpl	nr_aps, %eax
	je	2f
	cmpl	$AP_WAIT_MS, ticks
	jae	2f
	sti
	hlt
	jmp	1b
2:	movl	$APIC_LVT_MASKED, APIC_LVT_TIMER(%ebp)
	movl	$0, APIC_TMICT(%ebp)
	ret

timer_handler:
	incl	ticks
	pushl	%eax
	movl	lapic_base, %eax
	movl	$0, APIC_EOI(%eax)
	popl	%eax
	iret

/* A spurious-interrupt vector needs no EOI. */
spurious_handler:
	iret

unexpected:
	MB_EXIT_MSG msg_unexpected, EXIT_UNEXPECTED

/*
 * EAX = the APIC ID of the next enabled Processor Local APIC entry of the
 * MADT walk at EDI (madt_first), CF clear; CF set at the end. Moves EDI
 * on. Clobbers ECX.
 */
madt_next_cpu:
	call	madt_next
	jc	1f
	cmpb	$MADT_LAPIC, (%eax)
	jne	madt_next_cpu
	testb	$MADT_LAPIC_ENABLED, MADT_LAPIC_FLAGS(%eax)
	jz	madt_next_cpu
	movzbl	MADT_LAPIC_ID(%eax), %eax
	clc
1:	ret

/* INIT, INIT de-assert, 10 ms, STARTUP, 200 us, STARTUP, 200 us. */
start_ap:
	shll	$24, %eax
	movl	%eax, %ebx
	movl	$ICR_INIT_ASSERT, %ecx
	call	send_ipi
	movl	$ICR_INIT_DEASSERT, %ecx
	call	send_ipi
	movl	$10000, %eax
	call	udelay
	movl	$ICR_STARTUP | SIPI_VECTOR, %ecx
	call	send_ipi
	movl	$200, %eax
	call	udelay
	movl	$ICR_STARTUP | SIPI_VECTOR, %ecx
	call	send_ipi
	movl	$200, %eax
	jmp	udelay

/*
 * IPI ECX (ICR low) to EBX (ICR high), then wait until it is sent.
 * Clobbers EAX. APIC and I/O APIC registers are read with MOV only, as
 * kernels do (readl): Vessel decodes MMIO instructions of the MOV family.
 */
send_ipi:
	movl	%ebx, APIC_ICR_HI(%ebp)
	movl	%ecx, APIC_ICR_LO(%ebp)
1:	movl	APIC_ICR_LO(%ebp), %eax
	testl	$ICR_BUSY, %eax
	jz	2f
	pause
	jmp	1b
2:	ret

/* Start the (masked) APIC timer to count down EAX microseconds. */
timer_start:
	imull	$TIMER_NS_PER_US, %eax
	movl	%eax, APIC_TMICT(%ebp)
	ret

/* Wait EAX microseconds. Clobbers EAX. */
udelay:
	call	timer_start
1:	movl	APIC_TMCCT(%ebp), %eax
	testl	%eax, %eax
	jz	2f
	pause
	jmp	1b
2:	ret

/* A test-and-test-and-set spinlock around each line printed. */
lock_print:
	movl	$1, %eax
	xchgl	%eax, print_lock
	testl	%eax, %eax
	jz	2f
1:	pause
	cmpl	$0, print_lock
	jne	1b
	jmp	lock_print
2:	ret

unlock_print:
	movl	$0, print_lock
	ret

	MB_SET_GATE
	MB_ACPI	no_acpi
	MB_PUTS
	MB_PUTDEC

/*
 * The AP trampoline, copied to TRAMPOLINE: a SIPI starts it in real mode
 * at CS = TRAMPOLINE >> 4, IP = 0. It loads the guest's GDT (the
 * descriptor it points to is in the trampoline, addressable from real
 * mode; the GDT itself may be anywhere) and jumps to protected mode.
 */
	.code16
	.p2align 4
trampoline:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdt_desc - trampoline
	movl	%cr0, %eax
	orl	$CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$CODE_SEL, $ap_start32
	.p2align 2
tramp_gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt
trampoline_end:

	.code32
ap_start32:
	movl	$DATA_SEL, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	cld
	/* A stack by APIC ID: main checked every ID is below MAX_CPUS. */
	movl	lapic_base, %ebp
	movl	APIC_ID(%ebp), %ebx
	shrl	$24, %ebx
	leal	1(%ebx), %esp
	imull	$AP_STACK_SIZE, %esp
	addl	$ap_stacks, %esp

	MB_LAPIC_ENABLE APIC_SVR(%ebp)
	lock incl	ap_arrived
1:	pause
	cmpl	$0, ap_go
	je	1b

	call	lock_print
	movl	$msg_ap, %esi
	call	puts
	movl	%ebx, %eax
	call	putdec
	movl	$msg_up, %esi
	call	puts
	call	unlock_print
	cmpl	$0, crash_mode
	je	1f
	cmpl	$CRASH_APIC_ID, %ebx
	jne	1f
	lidt	null_idt_desc		/* INT3 -> #GP -> #DF -> shutdown */
	int3
1:	lock incl	ap_count
2:	hlt
	jmp	2b

	.section .rodata
	.p2align 3
gdt:
	.quad	0
	/* Accessed bits preset: the CPU need not write them back. */
	.quad	0x00cf9b000000ffff	/* CODE_SEL: 4 GiB, 32-bit, execute/read */
	.quad	0x00cf93000000ffff	/* DATA_SEL: 4 GiB, read/write */
gdt_end:
	.p2align 2
	.word	0
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt
	.word	0
null_idt_desc:
	.word	0
	.long	0
str_crash:
	.asciz	"crash"
msg_cpus:
	.asciz	"smp_mb: "
msg_in_madt:
	.asciz	" CPUs in the MADT\n"
msg_ap:
	.asciz	"smp_mb: AP with APIC ID "
msg_up:
	.asciz	" up\n"
msg_ap_prefix:
	.asciz	"smp_mb: "
msg_of:
	.asciz	" of "
msg_aps_up:
	.asciz	" APs up\n"
msg_no_acpi:
	.asciz	"smp_mb: no valid ACPI MADT\n"
msg_unexpected:
	.asciz	"smp_mb: unexpected interrupt or exception\n"
msg_too_many:
	.asciz	"smp_mb: more CPUs or higher APIC IDs than it can take\n"

	.data
	.p2align 2
print_lock:
	.long	0
ap_count:
	.long	0
ap_arrived:
	.long	0
ap_go:
	.long	0

	.bss
	.p2align 4
lapic_base:
	.skip	4
madt:
	.skip	4
nr_cpus:
	.skip	4
nr_aps:
	.skip	4
bsp_id:
	.skip	4
crash_mode:
	.skip	4
ticks:
	.skip	4
	.p2align 4
ap_stacks:
	.skip	MAX_CPUS * AP_STACK_SIZE
