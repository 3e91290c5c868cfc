/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmark guest: 32-bit flat protected mode, no paging, identical on
 * Vessel and on KVM.  The host copies the bytes between bench_guest_start
 * and bench_guest_end to BENCH_CODE_GPA and enters at its first byte with
 *
 *	EAX  workload number (BENCH_WL_*)
 *	ECX  iterations (pages for BENCH_WL_MEMORY), at least 1
 *	EDI  BENCH_MEM_GPA
 *	ESP  BENCH_STACK_TOP
 *
 * Each workload runs "RDTSC; loop ECX times { body }; RDTSC" and reports
 * the TSC delta with two 32-bit OUTs (BENCH_REPORT_LO, then _HI), then
 * halts.  The blob is data in the host program, assembled into its object
 * file, so guest addresses are computed from the load address (GPA()).
 */
#include "bench_guest.h"

#define GPA(label)	(BENCH_CODE_GPA + (label) - bench_guest_start)

/* Start the timed loop: the start TSC goes on the stack. */
.macro timed_begin
	rdtsc
	push	%edx
	push	%eax
1:
.endm

/* One iteration done: EBP counts them down. */
.macro timed_end
	dec	%ebp
	jnz	1b
	jmp	report
.endm

	.section .rodata.bench_guest, "a"
	.code32
	.global bench_guest_start, bench_guest_end

bench_guest_start:
	cmp	$BENCH_NR_WORKLOADS, %eax
	jae	bad_workload
	mov	%ecx, %ebp
	/* Fault the stack page in now, not inside the timed loop. */
	movl	$0, -4(%esp)
	jmp	*GPA(workloads)(, %eax, 4)

bad_workload:
	out	%eax, $BENCH_REPORT_BAD
	hlt

report:
	rdtsc
	sub	(%esp), %eax
	sbb	4(%esp), %edx
	add	$8, %esp
	out	%eax, $BENCH_REPORT_LO
	mov	%edx, %eax
	out	%eax, $BENCH_REPORT_HI
	out	%eax, $BENCH_REPORT_DONE
	hlt

/* In BENCH_WL_* order. */
	.balign	4
workloads:
	.long	GPA(wl_cpuid)
	.long	GPA(wl_wbinvd)
	.long	GPA(wl_msr_read)
	.long	GPA(wl_msr_write)
	.long	GPA(wl_pio_out)
	.long	GPA(wl_pio_in)
	.long	GPA(wl_mmio_write)
	.long	GPA(wl_mmio_read)
	.long	GPA(wl_compute)
	.long	GPA(wl_memory)
	.long	GPA(wl_apic_eoi)
	.long	GPA(wl_apic_tpr)
	.long	GPA(wl_self_ipi)
	.long	GPA(wl_tsc_deadline)
	.long	GPA(wl_hv_spin)
	.long	GPA(wl_hv_time_ref)
	.long	GPA(wl_kvm_hypercall)
	.long	GPA(wl_kvmclock)
workloads_end:
	.if	(workloads_end - workloads) != 4 * BENCH_NR_WORKLOADS
	.error	"the dispatch table does not match BENCH_NR_WORKLOADS"
	.endif

/* An exit the kernel handles, with a register result to write. */
wl_cpuid:
	timed_begin
	xor	%eax, %eax
	cpuid
	timed_end

/* The bare exit and re-entry: both hypervisors just skip WBINVD. */
wl_wbinvd:
	timed_begin
	wbinvd
	timed_end

wl_msr_read:
	timed_begin
	mov	$BENCH_MSR, %ecx
	rdmsr
	timed_end

/* Writes back what it read (before the timed loop): no change, no #GP. */
wl_msr_write:
	mov	$BENCH_MSR, %ecx
	rdmsr
	mov	%eax, %esi
	mov	%edx, %edi
	timed_begin
	mov	$BENCH_MSR, %ecx
	mov	%esi, %eax
	mov	%edi, %edx
	wrmsr
	timed_end

wl_pio_out:
	timed_begin
	out	%al, $BENCH_PIO_PORT
	timed_end

wl_pio_in:
	timed_begin
	in	$BENCH_PIO_PORT, %al
	timed_end

wl_mmio_write:
	mov	$BENCH_MMIO_GPA, %esi
	timed_begin
	mov	%eax, (%esi)
	timed_end

wl_mmio_read:
	mov	$BENCH_MMIO_GPA, %esi
	timed_begin
	mov	(%esi), %eax
	timed_end

/* No exits at all: 1 + 4 * BENCH_COMPUTE_INNER instructions. */
wl_compute:
	timed_begin
	mov	$BENCH_COMPUTE_INNER, %ecx
2:	add	%ecx, %eax
	xor	%eax, %edx
	dec	%ecx
	jnz	2b
	timed_end

/* One write to each fresh page: an EPT violation per 4 KiB. */
wl_memory:
	timed_begin
	movl	$1, (%edi)
	add	$BENCH_PAGE_SIZE, %edi
	timed_end

/*
 * Hyper-V's fast HvNotifyLongSpinWait through the hypercall page, 32-bit
 * convention: EDX:EAX the input value, EBX:ECX the spin count.  A status
 * other than success goes to BENCH_REPORT_BAD.
 */
wl_hv_spin:
	mov	$0x40000000, %ecx	/* HV_X64_MSR_GUEST_OS_ID */
	mov	$1, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x40000001, %ecx	/* HV_X64_MSR_HYPERCALL: enable */
	mov	$(BENCH_HCALL_GPA | 1), %eax
	wrmsr
	timed_begin
	mov	$0x10008, %eax		/* fast, HvNotifyLongSpinWait */
	xor	%edx, %edx
	xor	%ebx, %ebx
	mov	$1, %ecx
	xor	%edi, %edi
	xor	%esi, %esi
	push	$BENCH_HCALL_GPA
	call	*(%esp)
	add	$4, %esp
	test	%ax, %ax
	jnz	call_failed
	timed_end

wl_hv_time_ref:
	timed_begin
	mov	$0x40000020, %ecx	/* HV_X64_MSR_TIME_REF_COUNT */
	rdmsr
	timed_end

/* KVM_HC_VAPIC_POLL_IRQ: RAX 1, result 0 in RAX. */
wl_kvm_hypercall:
	timed_begin
	mov	$1, %eax
	xor	%ebx, %ebx
	vmcall
	test	%eax, %eax
	jnz	call_failed
	timed_end

/*
 * One kvmclock read as Linux does it (pvclock_clocksource_read): version,
 * RDTSC, delta scaled by tsc_shift and tsc_to_system_mul, plus
 * system_time, version again; no exit at all.
 */
#define PVTI(off)	(BENCH_PVCLOCK_GPA + (off))
wl_kvmclock:
	mov	$0x4b564d01, %ecx	/* MSR_KVM_SYSTEM_TIME_NEW: enable */
	mov	$(BENCH_PVCLOCK_GPA | 1), %eax
	xor	%edx, %edx
	wrmsr
	timed_begin
2:	mov	PVTI(0), %esi		/* version */
	rdtsc
	sub	PVTI(8), %eax		/* - tsc_timestamp */
	sbb	PVTI(12), %edx
	movsbl	PVTI(28), %ecx		/* tsc_shift */
	test	%ecx, %ecx
	js	3f
	shld	%cl, %eax, %edx
	shl	%cl, %eax
	jmp	4f
3:	neg	%ecx
	shrd	%cl, %edx, %eax
	shr	%cl, %edx
4:	mov	%edx, %edi		/* (delta * mul) >> 32 */
	mull	PVTI(24)
	mov	%edx, %ebx
	mov	%edi, %eax
	mull	PVTI(24)
	add	%ebx, %eax
	adc	$0, %edx
	add	PVTI(16), %eax		/* + system_time */
	adc	PVTI(20), %edx
	test	$1, %esi
	jnz	2b
	cmp	PVTI(0), %esi
	jne	2b
	timed_end

call_failed:
	out	%eax, $BENCH_REPORT_BAD
	hlt

/* The host checks that all of it lies in one guest page. */
/* ------------------------------------------------ the APIC workloads */

/* Flat 32-bit code at 0x08 and data at 0x10: what the host loaded. */
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00cf93000000ffff
gdt_desc:
	.word	3 * 8 - 1
	.long	GPA(gdt)
idt_desc:
	.word	256 * 8 - 1
	.long	BENCH_IDT_GPA

/* The handler of both vectors: EOI, return. */
apic_handler:
	movl	$0, BENCH_APIC_GPA + 0xb0
	iret

/*
 * Descriptor tables for the interrupt (IRET reloads CS from the GDT), two
 * interrupt gates, and the APIC software-enabled (SVR).  Keeps EBP.
 */
apic_setup:
	lgdt	GPA(gdt_desc)
	mov	$GPA(apic_handler), %eax
	mov	%eax, %edx
	and	$0xffff, %eax
	or	$(0x08 << 16), %eax
	and	$0xffff0000, %edx
	or	$0x8e00, %edx
	mov	%eax, BENCH_IDT_GPA + 8 * BENCH_VEC_IPI
	mov	%edx, BENCH_IDT_GPA + 8 * BENCH_VEC_IPI + 4
	mov	%eax, BENCH_IDT_GPA + 8 * BENCH_VEC_TIMER
	mov	%edx, BENCH_IDT_GPA + 8 * BENCH_VEC_TIMER + 4
	lidt	GPA(idt_desc)
	movl	$0x1ff, BENCH_APIC_GPA + 0xf0
	ret

/* EOI with nothing in service: the cost of the register write itself. */
wl_apic_eoi:
	call	apic_setup
	timed_begin
	movl	$0, BENCH_APIC_GPA + 0xb0
	timed_end

/* TPR write by xAPIC MMIO (32-bit code has no CR8). */
wl_apic_tpr:
	call	apic_setup
	timed_begin
	movl	$0, BENCH_APIC_GPA + 0x80
	timed_end

/* Self IPI (ICR shorthand): delivered, handled, EOI, IRET. */
wl_self_ipi:
	call	apic_setup
	sti
	timed_begin
	movl	$(0x40000 | BENCH_VEC_IPI), BENCH_APIC_GPA + 0x300
	timed_end

/* IA32_TSC_DEADLINE in the past: the timer interrupt at once, EOI, IRET. */
wl_tsc_deadline:
	call	apic_setup
	movl	$(0x40000 | BENCH_VEC_TIMER), BENCH_APIC_GPA + 0x320
	sti
	timed_begin
	mov	$0x6e0, %ecx
	mov	$1, %eax
	xor	%edx, %edx
	wrmsr
	timed_end

bench_guest_end:

	.section .note.GNU-stack, "", @progbits
