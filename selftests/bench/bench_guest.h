/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark guest (guest.S) and the host programs agree on: the
 * guest-physical layout, the ports and the workload numbers.  Included by
 * assembly too, so only #defines.
 *
 * The guest runs in 32-bit flat protected mode without paging (the same
 * state on both hypervisors), so a guest-physical address is what the guest
 * code uses as a pointer.
 *
 *	0x00000000	slot 0, BENCH_LOW_SIZE: the guest code at
 *			BENCH_CODE_GPA, its stack below BENCH_STACK_TOP
 *	0x10000000	slot 1, BENCH_MEM_SIZE: only for BENCH_WL_MEMORY,
 *			fresh (never touched) memory for every repetition
 *	0xf0000000	BENCH_MMIO_GPA: in no slot, so accesses exit as MMIO
 */
#ifndef BENCH_GUEST_H
#define BENCH_GUEST_H

#define BENCH_LOW_SIZE		0x200000
#define BENCH_CODE_GPA		0x1000
#define BENCH_STACK_TOP		0x100000
#define BENCH_MEM_GPA		0x10000000
#define BENCH_MEM_SIZE		0x10000000	/* 256 MiB */
#define BENCH_MMIO_GPA		0xf0000000

#define BENCH_PAGE_SIZE		4096

/* Paravirtual workloads: the hypercall page and the kvmclock structure. */
#define BENCH_HCALL_GPA		0x3000
#define BENCH_PVCLOCK_GPA	0x4000

/* The port the PIO workloads use: one exit to userspace per access. */
#define BENCH_PIO_PORT		0x80
/* The TSC delta, low then high 32 bits, each with one 32-bit OUT. */
#define BENCH_REPORT_LO		0xe8
#define BENCH_REPORT_HI		0xec
/* An unknown workload number comes back here, then the guest halts. */
#define BENCH_REPORT_BAD	0xf0
/*
 * The run is over: one OUT after the report, before the final HLT, which
 * with an in-kernel APIC (IF clear) would sleep rather than exit.
 */
#define BENCH_REPORT_DONE	0xf4

/*
 * The APIC workloads: the local APIC at its default base (in-kernel on
 * both hypervisors), and a GDT and IDT of the guest's own for its handler.
 */
#define BENCH_APIC_GPA		0xfee00000
#define BENCH_IDT_GPA		0x90000
#define BENCH_VEC_IPI		0x40
#define BENCH_VEC_TIMER		0x41
/* The two-vCPU workloads: vCPU 0 sends PING to vCPU 1, which answers PONG. */
#define BENCH_VEC_PING		0x42
#define BENCH_VEC_PONG		0x43

/*
 * The second vCPU of the two-vCPU workloads (BENCH_WL_IPI_*): the host
 * makes it runnable and enters it at BENCH_CODE_GPA like vCPU 0, with
 * BENCH_AP_FLAG in EAX and its own stack.  The counters both vCPUs keep
 * are in BENCH_IPI_GPA (guest.S says which is where).
 */
#define BENCH_AP_FLAG		0x100
#define BENCH_AP_STACK_TOP	0xf8000
#define BENCH_IPI_GPA		0x6000

/*
 * BENCH_WL_CR8: 4-level page tables the guest builds to enter 64-bit mode,
 * identity-mapping the first 2 MiB with one large page.
 */
#define BENCH_PML4_GPA		0x8000
#define BENCH_PDPT_GPA		0x9000
#define BENCH_PD_GPA		0xa000

/*
 * BENCH_WL_LM_*: the 4-level tables above plus the KVM provider's steal
 * time record and PV EOI byte, the guest's per-CPU area (GS base) and the
 * count of interrupts its handler took.
 */
#define BENCH_STEAL_GPA		0x5000
#define BENCH_PV_EOI_GPA	0x5800
#define BENCH_PERCPU_GPA	0x7000
#define BENCH_LM_IRQS		(BENCH_PERCPU_GPA + 0x100)
#define BENCH_LM_DEADLINE	(BENCH_PERCPU_GPA + 0x108)

/* The MSR the MSR workloads read and write back unchanged. */
#define BENCH_MSR		0x1a0	/* IA32_MISC_ENABLE */

/*
 * Workload numbers: the guest's dispatch table (guest.S) and the host's
 * workload table (bench_common.c) are both in this order.
 */
#define BENCH_WL_CPUID		0
#define BENCH_WL_WBINVD		1
#define BENCH_WL_MSR_READ	2
#define BENCH_WL_MSR_WRITE	3
#define BENCH_WL_PIO_OUT	4
#define BENCH_WL_PIO_IN		5
#define BENCH_WL_MMIO_WRITE	6
#define BENCH_WL_MMIO_READ	7
#define BENCH_WL_COMPUTE	8
#define BENCH_WL_MEMORY		9
#define BENCH_WL_APIC_EOI	10
#define BENCH_WL_APIC_TPR	11
#define BENCH_WL_SELF_IPI	12
#define BENCH_WL_TSC_DEADLINE	13
/* On a VM with the Hyper-V interface. */
#define BENCH_WL_HV_SPIN	14
#define BENCH_WL_HV_TIME_REF	15
/* On a VM with the KVM interface. */
#define BENCH_WL_KVM_HYPERCALL	16
#define BENCH_WL_KVMCLOCK	17
/* With the in-kernel APIC again: CR8 in 64-bit mode, and two vCPUs. */
#define BENCH_WL_CR8		18
#define BENCH_WL_IPI_REMOTE	19
#define BENCH_WL_IPI_HALTED	20
/*
 * The guest state Linux runs in (BENCH_WL_LM_*): 64-bit mode with paging,
 * interrupts enabled, the local APIC in x2APIC mode and software-enabled,
 * its timer in TSC-deadline mode armed far in the future, the SYSCALL
 * MSRs and XCR0 set, and the provider's MSRs written as Linux writes
 * them (guest.S, lm_enter).  All on the in-kernel APIC.
 */
#define BENCH_WL_LM_CPUID	21
#define BENCH_WL_LM_WBINVD	22
#define BENCH_WL_LM_MSR_READ	23
#define BENCH_WL_LM_PIO_IN	24
#define BENCH_WL_LM_TSC_DEADLINE 25
#define BENCH_WL_LM_SELF_IPI	26
#define BENCH_WL_LM_KVM_HC	27
#define BENCH_WL_LM_KVM_HC_UNKNOWN 28
#define BENCH_WL_LM_HV_HC	29
#define BENCH_WL_LM_HV_HC_UNKNOWN 30
#define BENCH_NR_WORKLOADS	31

/* Instructions of one BENCH_WL_COMPUTE iteration: 4 per inner loop. */
#define BENCH_COMPUTE_INNER	250

#endif /* BENCH_GUEST_H */
