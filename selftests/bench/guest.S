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

/* The two-vCPU workloads' counters and the APIC registers they use. */
#define IPI_PINGS	(BENCH_IPI_GPA + 0x00)	/* PINGs vCPU 1 took */
#define IPI_PONGS	(BENCH_IPI_GPA + 0x04)	/* PONGs vCPU 0 took */
#define IPI_READY	(BENCH_IPI_GPA + 0x08)	/* vCPU 1 can take PINGs */
#define IPI_STOP	(BENCH_IPI_GPA + 0x0c)	/* vCPU 1: leave */
#define APIC_ICR_LO	(BENCH_APIC_GPA + 0x300)
#define APIC_ICR_HI	(BENCH_APIC_GPA + 0x310)
#define APIC_EOI	(BENCH_APIC_GPA + 0xb0)

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

/*
 * The same for the two-vCPU workloads, which then check both counters
 * against the iterations (EDI), and tell vCPU 1 to leave.
 */
.macro timed_end_check
	dec	%ebp
	jnz	1b
	jmp	ipi_report
.endm

	.section .rodata.bench_guest, "a"
	.code32
	.global bench_guest_start, bench_guest_end

bench_guest_start:
	test	$BENCH_AP_FLAG, %eax
	jnz	ap_start
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
report_tsc:
	sub	(%esp), %eax
	sbb	4(%esp), %edx
	add	$8, %esp
	out	%eax, $BENCH_REPORT_LO
	mov	%edx, %eax
	out	%eax, $BENCH_REPORT_HI
	out	%eax, $BENCH_REPORT_DONE
	hlt

/*
 * The two-vCPU end: the time first, then the counters, then vCPU 1 is
 * told to leave (a PING wakes it from HLT; it is not counted).
 */
ipi_report:
	rdtsc
	cli
	movl	$1, IPI_STOP
	cmp	IPI_PONGS, %edi
	jne	2f
	cmp	IPI_PINGS, %edi
	jne	2f
	movl	$(1 << 24), APIC_ICR_HI
	movl	$BENCH_VEC_PING, APIC_ICR_LO
	jmp	report_tsc
2:	mov	IPI_PINGS, %eax
	out	%eax, $BENCH_REPORT_BAD
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
	.long	GPA(wl_cr8)
	.long	GPA(wl_ipi_remote)
	.long	GPA(wl_ipi_halted)
	.long	GPA(wl_lm_cpuid)
	.long	GPA(wl_lm_wbinvd)
	.long	GPA(wl_lm_msr_read)
	.long	GPA(wl_lm_pio_in)
	.long	GPA(wl_lm_tsc_deadline)
	.long	GPA(wl_lm_self_ipi)
	.long	GPA(wl_lm_kvm_hc)
	.long	GPA(wl_lm_kvm_hc_unknown)
	.long	GPA(wl_lm_hv_hc)
	.long	GPA(wl_lm_hv_hc_unknown)
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

/*
 * Flat 32-bit code at 0x08 and data at 0x10: what the host loaded; 0x18
 * (the host's TR) unused; 64-bit code at 0x20 for BENCH_WL_CR8.
 */
#define SEL_CODE64	0x20
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00cf93000000ffff
	.quad	0
	.quad	0x00af9b000000ffff
gdt_desc:
	.word	5 * 8 - 1
	.long	GPA(gdt)
idt_desc:
	.word	256 * 8 - 1
	.long	BENCH_IDT_GPA

/* The handler of both vectors: EOI, return. */
apic_handler:
	movl	$0, BENCH_APIC_GPA + 0xb0
	iret

/* The IDT entry of vector \vec: a 32-bit interrupt gate to \handler. */
.macro gate vec, handler
	mov	$GPA(\handler), %eax
	mov	%eax, %edx
	and	$0xffff, %eax
	or	$(0x08 << 16), %eax
	and	$0xffff0000, %edx
	or	$0x8e00, %edx
	mov	%eax, BENCH_IDT_GPA + 8 * \vec
	mov	%edx, BENCH_IDT_GPA + 8 * \vec + 4
.endm

/*
 * Descriptor tables for the interrupt (IRET reloads CS from the GDT), the
 * interrupt gates, and the APIC software-enabled (SVR).  Keeps EBP.  Both
 * vCPUs of the two-vCPU workloads run it (the IDT is shared).
 */
apic_setup:
	lgdt	GPA(gdt_desc)
	gate	BENCH_VEC_IPI, apic_handler
	gate	BENCH_VEC_TIMER, apic_handler
	gate	BENCH_VEC_PING, ping_handler
	gate	BENCH_VEC_PONG, pong_handler
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

/*
 * BENCH_WL_CR8: MOV to CR8 (TPR[7:4]), which exists only in 64-bit mode.
 * The guest enters it (PAE, EFER.LME, paging on, far jump to a 64-bit code
 * segment), then writes EBP & 15 each iteration; at the end CR8 must read
 * back the last value written (1), or the run reports BENCH_REPORT_BAD.
 */
wl_cr8:
	lgdt	GPA(gdt_desc)
	movl	$(BENCH_PDPT_GPA | 3), BENCH_PML4_GPA
	movl	$0, BENCH_PML4_GPA + 4
	movl	$(BENCH_PD_GPA | 3), BENCH_PDPT_GPA
	movl	$0, BENCH_PDPT_GPA + 4
	movl	$0x83, BENCH_PD_GPA		/* 2 MiB at 0, present, RW */
	movl	$0, BENCH_PD_GPA + 4
	mov	$BENCH_PML4_GPA, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax			/* PAE */
	mov	%eax, %cr4
	mov	$0xc0000080, %ecx		/* IA32_EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000000, %eax		/* PG: IA-32e mode active */
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $GPA(cr8_64)

	.code64
cr8_64:
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %rsi
2:	mov	%ebp, %eax
	and	$15, %eax
	mov	%rax, %cr8
	dec	%ebp
	jnz	2b
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	sub	%rsi, %rax
	mov	%cr8, %rdx
	cmp	$1, %rdx
	jne	3f
	xor	%edx, %edx
	mov	%rdx, %cr8
	mov	%rax, %rdx
	shr	$32, %rdx
	out	%eax, $BENCH_REPORT_LO
	mov	%edx, %eax
	out	%eax, $BENCH_REPORT_HI
	out	%eax, $BENCH_REPORT_DONE
	hlt
3:	mov	%edx, %eax
	out	%eax, $BENCH_REPORT_BAD
	hlt
	.code32

/*
 * The two-vCPU workloads.  vCPU 0 (the timed side) sends PING to APIC 1
 * and waits, spinning with IF set, for PONG, which vCPU 1's PING handler
 * sends back; so each iteration is the whole round trip.  vCPU 1 waits
 * spinning (BENCH_WL_IPI_REMOTE) or in HLT (BENCH_WL_IPI_HALTED).  The
 * counters must match the iterations at the end, or the run reports
 * BENCH_REPORT_BAD.
 */

ping_handler:
	movl	$0, APIC_EOI
	lock incl	IPI_PINGS
	movl	$0, APIC_ICR_HI			/* to APIC 0 */
	movl	$BENCH_VEC_PONG, APIC_ICR_LO	/* fixed, physical */
	iret

pong_handler:
	movl	$0, APIC_EOI
	lock incl	IPI_PONGS
	iret

wl_ipi_remote:
wl_ipi_halted:
	call	apic_setup
	/*
	 * IF set before waiting: a guest spinning with IF clear never sees a
	 * host interrupt in Bochs (testing.rst), so vCPU 1's thread, if on
	 * this host CPU, would never run.  No interrupt comes before a PING.
	 */
	sti
2:	cmpl	$0, IPI_READY
	pause
	je	2b
	xor	%edi, %edi			/* PONGs expected so far */
	timed_begin
	inc	%edi
	movl	$(1 << 24), APIC_ICR_HI		/* to APIC 1 */
	movl	$BENCH_VEC_PING, APIC_ICR_LO
2:	pause
	cmp	IPI_PONGS, %edi
	jne	2b
	timed_end_check

/* vCPU 1: EAX = workload | BENCH_AP_FLAG. */
ap_start:
	and	$~BENCH_AP_FLAG, %eax
	mov	%eax, %ebx
	call	apic_setup
	movl	$1, IPI_READY
	sti
2:	cmpl	$0, IPI_STOP
	jne	4f
	cmp	$BENCH_WL_IPI_HALTED, %ebx
	jne	3f
	hlt
	jmp	2b
3:	pause
	jmp	2b
4:	cli
	out	%eax, $BENCH_REPORT_DONE
	hlt

/* ------------------------------------- the state Linux runs in (BENCH_WL_LM_*) */

/*
 * Each BENCH_WL_LM_* entry names its 64-bit body (ESI) and the provider
 * whose MSRs to write (EBX), then enters the state Linux runs in:
 *
 *	64-bit mode, 4-level paging (the first 2 MiB, one global large
 *	page), CR0 and CR4 as Linux has them, XCR0 with every feature
 *	CPUID.0xd offers, EFER.SCE/LME/NXE, STAR/LSTAR/CSTAR/SFMASK, GS
 *	base and TSC_AUX written, an IDT of 64-bit gates, the local APIC
 *	in x2APIC mode and software-enabled, its timer in TSC-deadline mode
 *	armed 2^40 cycles ahead, the provider's clock (and with KVM steal
 *	time and PV EOI) enabled, and RFLAGS.IF set.
 *
 * The body then times its loop: "lm_begin; body; lm_end", reporting as
 * the 32-bit workloads do.  R15 holds the start TSC, R14 the iterations.
 */
#define LM_PV_NONE	0
#define LM_PV_KVM	1
#define LM_PV_HV	2

.macro lm_entry name, body, pv
\name:
	mov	$GPA(\body), %esi
	mov	$\pv, %ebx
	jmp	lm_enter
.endm

	lm_entry wl_lm_cpuid, lm_cpuid, LM_PV_KVM
	lm_entry wl_lm_wbinvd, lm_wbinvd, LM_PV_KVM
	lm_entry wl_lm_msr_read, lm_msr_read, LM_PV_KVM
	lm_entry wl_lm_pio_in, lm_pio_in, LM_PV_KVM
	lm_entry wl_lm_tsc_deadline, lm_tsc_deadline, LM_PV_KVM
	lm_entry wl_lm_self_ipi, lm_self_ipi, LM_PV_KVM
	lm_entry wl_lm_kvm_hc, lm_kvm_hc, LM_PV_KVM
	lm_entry wl_lm_kvm_hc_unknown, lm_kvm_hc_unknown, LM_PV_KVM
	lm_entry wl_lm_hv_hc, lm_hv_hc, LM_PV_HV
	lm_entry wl_lm_hv_hc_unknown, lm_hv_hc_unknown, LM_PV_HV

lm_enter:
	lgdt	GPA(gdt_desc)
	movl	$(BENCH_PDPT_GPA | 3), BENCH_PML4_GPA
	movl	$0, BENCH_PML4_GPA + 4
	movl	$(BENCH_PD_GPA | 3), BENCH_PDPT_GPA
	movl	$0, BENCH_PDPT_GPA + 4
	movl	$0x183, BENCH_PD_GPA		/* 2 MiB at 0: P, RW, PS, G */
	movl	$0, BENCH_PD_GPA + 4
	mov	$BENCH_PML4_GPA, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x406a0, %eax		/* PAE, PGE, OSFXSR, OSXMMEXCPT, OSXSAVE */
	mov	%eax, %cr4
	push	%ebx
	mov	$0xd, %eax		/* XCR0: every feature offered */
	xor	%ecx, %ecx
	cpuid
	xor	%ecx, %ecx
	xsetbv
	pop	%ebx
	mov	$0xc0000080, %ecx	/* IA32_EFER: SCE, LME, NXE */
	rdmsr
	or	$0x901, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80010022, %eax	/* PG, WP, NE, MP */
	mov	%eax, %cr0
	ljmp	$SEL_CODE64, $GPA(lm_64)

	.code64
/* Interrupt gate \vec -> lm_handler, 64-bit (16 bytes). */
.macro lm_gate vec
	movq	$0, BENCH_IDT_GPA + 16 * \vec + 8
	mov	$GPA(lm_handler), %eax
	mov	%eax, %edx
	and	$0xffff, %eax
	or	$(SEL_CODE64 << 16), %eax
	and	$0xffff0000, %edx
	or	$0x8e00, %edx
	mov	%eax, BENCH_IDT_GPA + 16 * \vec
	mov	%edx, BENCH_IDT_GPA + 16 * \vec + 4
.endm

/* WRMSR of ECX with the 64-bit immediate \val. */
.macro lm_wrmsr msr, val
	mov	$\msr, %ecx
	mov	$(\val) & 0xffffffff, %eax
	mov	$(\val) >> 32, %edx
	wrmsr
.endm

lm_64:
	mov	%ebp, %r14d
	movq	$0, BENCH_LM_IRQS
	lm_gate	BENCH_VEC_IPI
	lm_gate	BENCH_VEC_TIMER
	lm_gate	0xff
	lidt	GPA(lm_idt_desc)
	/* What Linux writes at boot: GS base (per-CPU), SYSCALL, TSC_AUX. */
	lm_wrmsr 0xc0000101, BENCH_PERCPU_GPA	/* GS_BASE */
	lm_wrmsr 0xc0000102, 0			/* KERNEL_GS_BASE */
	lm_wrmsr 0xc0000081, 0x0023001000000000	/* STAR */
	lm_wrmsr 0xc0000082, GPA(lm_syscall)	/* LSTAR */
	lm_wrmsr 0xc0000083, GPA(lm_syscall)	/* CSTAR */
	lm_wrmsr 0xc0000084, 0x47700		/* SFMASK */
	lm_wrmsr 0xc0000103, 0			/* TSC_AUX: CPU 0 */
	/* x2APIC mode: IA32_APIC_BASE.EN and EXTD. */
	mov	$0x1b, %ecx
	rdmsr
	or	$0xc00, %eax
	wrmsr
	lm_wrmsr 0x80f, 0x1ff			/* SVR: enabled, spurious 0xff */
	lm_wrmsr 0x832, BENCH_VEC_TIMER | (2 << 17)	/* LVTT: TSC deadline */
	rdtsc
	add	$0x100, %edx			/* 2^40 cycles ahead */
	mov	%eax, BENCH_LM_DEADLINE
	mov	%edx, BENCH_LM_DEADLINE + 4
	mov	$0x6e0, %ecx
	wrmsr
	cmp	$LM_PV_KVM, %ebx
	je	1f
	cmp	$LM_PV_HV, %ebx
	je	2f
	jmp	3f
	/* KVM: kvmclock, steal time, PV EOI, as Linux's kvm_guest_cpu_init(). */
1:	lm_wrmsr 0x4b564d01, BENCH_PVCLOCK_GPA | 1	/* SYSTEM_TIME_NEW */
	lm_wrmsr 0x4b564d03, BENCH_STEAL_GPA | 1	/* STEAL_TIME */
	lm_wrmsr 0x4b564d04, BENCH_PV_EOI_GPA | 1	/* PV_EOI_EN */
	jmp	3f
	/* Hyper-V: guest OS ID, hypercall page, reference TSC page. */
2:	lm_wrmsr 0x40000000, 0x8100000000000000	/* GUEST_OS_ID: Linux */
	lm_wrmsr 0x40000001, BENCH_HCALL_GPA | 1	/* HYPERCALL */
	lm_wrmsr 0x40000021, BENCH_PVCLOCK_GPA | 1	/* REFERENCE_TSC */
3:	mov	%esi, %esi		/* upper half undefined after the switch */
	sti
	jmp	*%rsi

	.balign	8
lm_idt_desc:
	.word	256 * 16 - 1
	.quad	BENCH_IDT_GPA

/* Never called: LSTAR and CSTAR need a canonical address. */
lm_syscall:
	ud2

/*
 * Every vector: count, EOI, return.  The EOI as Linux's
 * kvm_guest_apic_eoi_write(): a PV EOI flag the hypervisor set is
 * cleared instead of an x2APIC EOI write (the byte stays 0 without the
 * KVM provider).
 */
lm_handler:
	push	%rax
	push	%rcx
	push	%rdx
	incq	BENCH_LM_IRQS
	btrl	$0, BENCH_PV_EOI_GPA
	jc	1f
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
1:	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

.macro lm_begin
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %r15
1:
.endm

.macro lm_end
	dec	%ebp
	jnz	1b
	jmp	lm_report
.endm

lm_report:
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	sub	%r15, %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	out	%eax, $BENCH_REPORT_LO
	mov	%edx, %eax
	out	%eax, $BENCH_REPORT_HI
	out	%eax, $BENCH_REPORT_DONE
	cli
	hlt

/* EAX: what went wrong (an unexpected status, a count). */
lm_bad:
	out	%eax, $BENCH_REPORT_BAD
	cli
	hlt

lm_cpuid:
	lm_begin
	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	lm_end

lm_wbinvd:
	lm_begin
	wbinvd
	lm_end

lm_msr_read:
	lm_begin
	mov	$BENCH_MSR, %ecx
	rdmsr
	lm_end

lm_pio_in:
	lm_begin
	in	$BENCH_PIO_PORT, %al
	lm_end

/*
 * Re-arm the timer far ahead, a new deadline each time (the far one plus
 * the iterations left), as Linux reprograms its clock event.
 */
lm_tsc_deadline:
	lm_begin
	mov	$0x6e0, %ecx
	mov	BENCH_LM_DEADLINE, %eax
	mov	BENCH_LM_DEADLINE + 4, %edx
	add	%ebp, %eax
	adc	$0, %edx
	wrmsr
	lm_end

/* x2APIC self IPI: taken, counted, EOI, IRETQ; every one must arrive. */
lm_self_ipi:
	lm_begin
	mov	$0x830, %ecx
	mov	$(0x40000 | BENCH_VEC_IPI), %eax
	xor	%edx, %edx
	wrmsr
	dec	%ebp
	jnz	1b
	mov	BENCH_LM_IRQS, %rax
	cmp	%r14, %rax
	jne	lm_bad
	jmp	lm_report

/* KVM_HC_VAPIC_POLL_IRQ: 0 in RAX. */
lm_kvm_hc:
	lm_begin
	mov	$1, %eax
	xor	%ebx, %ebx
	vmcall
	test	%rax, %rax
	jnz	lm_bad
	lm_end

/* Hypercall 0, which KVM does not have: -KVM_ENOSYS (-1000) in RAX. */
lm_kvm_hc_unknown:
	lm_begin
	xor	%eax, %eax
	xor	%ebx, %ebx
	vmcall
	cmp	$-1000, %rax
	jne	lm_bad
	lm_end

/*
 * Hyper-V's fast HvNotifyLongSpinWait through the hypercall page, 64-bit
 * convention: RCX the control word, RDX the input.  Status 0 in RAX.
 */
lm_hv_hc:
	lm_begin
	mov	$0x10008, %ecx
	mov	$1, %edx
	xor	%r8d, %r8d
	mov	$BENCH_HCALL_GPA, %eax
	call	*%rax
	test	%ax, %ax
	jnz	lm_bad
	lm_end

/* Fast call code 0, which Hyper-V does not have: INVALID_HYPERCALL_CODE (2). */
lm_hv_hc_unknown:
	lm_begin
	mov	$0x10000, %ecx
	xor	%edx, %edx
	xor	%r8d, %r8d
	mov	$BENCH_HCALL_GPA, %eax
	call	*%rax
	cmp	$2, %ax
	jne	lm_bad
	lm_end
	.code32

bench_guest_end:

	.section .note.GNU-stack, "", @progbits
