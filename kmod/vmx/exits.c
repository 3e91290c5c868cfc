// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: VM exits, dispatched through one table indexed by the basic exit
 * reason.  A handler returns >0 to re-enter the guest, 0 to return to
 * userspace with vessel_run filled, <0 for an error.  Whatever a guest does
 * ends in an exception for the guest or an exit to userspace, never in a
 * host warning.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/nospec.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "emulate/exits.h"
#include "irq/lapic.h"
#include "vcpu.h"

unsigned long vessel_gpr_read(struct vessel_vcpu *vcpu, unsigned int reg)
{
	if (reg == VESSEL_GPR_RSP)
		return vmcs_readl(GUEST_RSP);
	return vcpu->regs[reg];
}

void vessel_gpr_write(struct vessel_vcpu *vcpu, unsigned int reg,
		      unsigned long val)
{
	if (reg == VESSEL_GPR_RSP)
		vmcs_writel(GUEST_RSP, val);
	else
		vcpu->regs[reg] = val;
}

/*
 * Advance RIP past the instruction that exited.  An emulated instruction
 * retires, so the STI/MOV SS shadow it was in ends (SDM 26.3.1.5).
 */
void vessel_skip_insn(struct vessel_vcpu *vcpu)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	unsigned long rip = vmcs_readl(GUEST_RIP) + vcpu->exit_insn_len;

	if (!(vcpu->ctl_entry & VM_ENTRY_IA32E_MODE))
		rip = (u32)rip;
	vmcs_writel(GUEST_RIP, rip);
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     intr & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

int vessel_exit_internal(struct vessel_vcpu *vcpu, u32 suberror, u32 ndata,
			 const u64 *data)
{
	struct vessel_run *run = vcpu->run;
	unsigned int i;

	vessel_run_exit(vcpu, VESSEL_EXIT_INTERNAL_ERROR);
	run->internal.suberror = suberror;
	ndata = min_t(u32, ndata, ARRAY_SIZE(run->internal.data));
	run->internal.ndata = ndata;
	for (i = 0; i < ndata; i++)
		run->internal.data[i] = data[i];
	return 0;
}

/* An exit Vessel never asked for: userspace learns which. */
static int vmx_exit_unexpected(struct vessel_vcpu *vcpu)
{
	u64 data[2] = { vcpu->exit_reason, vmcs_readl(EXIT_QUALIFICATION) };

	return vessel_exit_internal(vcpu, VESSEL_INTERNAL_UNEXPECTED_EXIT,
				    2, data);
}

static int vmx_exit_entry_failed(struct vessel_vcpu *vcpu)
{
	u64 data[2] = { vcpu->exit_reason, vmcs_readl(EXIT_QUALIFICATION) };

	return vessel_exit_internal(vcpu, VESSEL_INTERNAL_ENTRY_FAILED,
				    2, data);
}

/*
 * A #DB or #AC the guest raised, intercepted only so that each delivery is
 * a VM exit (vmcs.c): queue it as the hardware would have delivered it.
 * The exception replaces one whose delivery it interrupted (both are
 * benign: handled serially, and a fault re-raises the first on return).
 */
static int vmx_exit_reflect(struct vessel_vcpu *vcpu, u8 vector)
{
	u32 info = vcpu->exit_intr_info;

	if ((vcpu->ev.injected_info & INTR_INFO_VALID_MASK) &&
	    (vcpu->ev.injected_info & INTR_INFO_INTR_TYPE_MASK) ==
	    INTR_TYPE_HARD_EXCEPTION)
		vcpu->ev.injected_info = 0;
	if (vector == X86_TRAP_AC) {
		vessel_queue_exception(vcpu, X86_TRAP_AC, true,
				       vmcs_read32(VM_EXIT_INTR_ERROR_CODE));
		return 1;
	}
	/* INT1 (ICEBP) is a trap: its #DB returns past the instruction. */
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_PRIV_SW_EXCEPTION)
		vessel_skip_insn(vcpu);
	vessel_queue_exception(vcpu, X86_TRAP_DB, false, 0);
	/*
	 * The exit qualification has DR6's B0-B3, BD and BS bits (SDM Table
	 * 28-1); hardware left DR6 alone, the injection sets them.
	 */
	vcpu->ev.exception_has_payload = true;
	vcpu->ev.exception_payload = (vmcs_readl(EXIT_QUALIFICATION) &
				      (DR_TRAP_BITS | DR_STEP | BIT(13))) |
				     DR6_RESERVED;
	return 1;
}

/* The NMI went to the host right after the exit; #MC goes there now. */
static int vmx_exit_exception_nmi(struct vessel_vcpu *vcpu)
{
	u32 info = vcpu->exit_intr_info;
	u8 vector = info & INTR_INFO_VECTOR_MASK;

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return 1;
	if (vector == X86_TRAP_MC) {
		asm volatile("int $0x12");
		return 1;
	}
	if (vector == X86_TRAP_DB || vector == X86_TRAP_AC)
		return vmx_exit_reflect(vcpu, vector);
	return vmx_exit_unexpected(vcpu);
}

/*
 * The host takes the interrupt when the run loop enables IRQs (and the
 * preemption-timer backstop exits only to let it do so).
 */
static int vmx_exit_external_interrupt(struct vessel_vcpu *vcpu)
{
	return 1;
}

/*
 * The backstop (vmcs.c) let the host take its IRQs; or the APIC's TSC
 * deadline, which the VMX-preemption timer watches inside RUN, passed.
 */
static int vmx_exit_preemption_timer(struct vessel_vcpu *vcpu)
{
	vessel_lapic_hv_expired(vcpu);
	return 1;
}

static int vmx_exit_triple_fault(struct vessel_vcpu *vcpu)
{
	vessel_run_exit(vcpu, VESSEL_EXIT_SHUTDOWN);
	return 0;
}

static int vmx_exit_hlt(struct vessel_vcpu *vcpu)
{
	vessel_skip_insn(vcpu);
	/* With an in-kernel APIC the thread sleeps until an interrupt. */
	if (vcpu->lapic)
		return vessel_vcpu_halt(vcpu);
	vcpu->pending = VESSEL_PENDING_HLT;
	vessel_run_exit(vcpu, VESSEL_EXIT_HLT);
	return 0;
}

/* Instructions the guest may run that need no effect here. */
static int vmx_exit_skip(struct vessel_vcpu *vcpu)
{
	vessel_skip_insn(vcpu);
	return 1;
}

/*
 * The page-modification log is full: already emptied after the exit
 * (vessel_vmx_pml_drain()); the write that did not fit is done again.  As
 * for an EPT violation, one during IRET re-blocks NMIs (SDM 27.2.3).
 */
static int vmx_exit_pml_full(struct vessel_vcpu *vcpu)
{
	if ((vessel_vmx_exit_qual(vcpu) & INTR_INFO_UNBLOCK_NMI) &&
	    !(vcpu->ev.injected_info & INTR_INFO_VALID_MASK))
		vessel_vmx_block_nmi(vcpu);
	return 1;
}

/*
 * PAUSE-loop exiting (vmcs.c): the guest has spun a while, most likely
 * waiting for another vCPU - a lock holder, an IPI's answer - whose thread
 * may be waiting for this host CPU.  The PAUSE is done (it only hints);
 * give the CPU to a sibling vCPU's thread that can run.  Counted in
 * vmx_exits[EXIT_REASON_PAUSE_INSTRUCTION].
 */
static int vmx_exit_pause(struct vessel_vcpu *vcpu)
{
	vessel_skip_insn(vcpu);
	vessel_vcpu_yield_to(vcpu, ~0ULL);
	return 1;
}

/* VMX is hidden from the guest (CPUID.1:ECX.VMX = 0), as are MONITOR/MWAIT. */
static int vmx_exit_ud(struct vessel_vcpu *vcpu)
{
	vessel_queue_ud(vcpu);
	return 1;
}

/* No performance counters are offered: RDPMC faults as without them. */
static int vmx_exit_gp(struct vessel_vcpu *vcpu)
{
	vessel_queue_gp(vcpu);
	return 1;
}

static const vessel_exit_handler vmx_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI]		= vmx_exit_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT]	= vmx_exit_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT]		= vmx_exit_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]		= vessel_exit_irq_window,
	[EXIT_REASON_NMI_WINDOW]		= vessel_exit_nmi_window,
	[EXIT_REASON_TASK_SWITCH]		= vessel_exit_task_switch,
	[EXIT_REASON_CPUID]			= vessel_exit_cpuid,
	[EXIT_REASON_HLT]			= vmx_exit_hlt,
	[EXIT_REASON_INVD]			= vmx_exit_skip,
	[EXIT_REASON_RDPMC]			= vmx_exit_gp,
	[EXIT_REASON_VMCALL]			= vessel_exit_vmcall,
	[EXIT_REASON_VMCLEAR]			= vmx_exit_ud,
	[EXIT_REASON_VMLAUNCH]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRLD]			= vmx_exit_ud,
	[EXIT_REASON_VMPTRST]			= vmx_exit_ud,
	[EXIT_REASON_VMREAD]			= vmx_exit_ud,
	[EXIT_REASON_VMRESUME]			= vmx_exit_ud,
	[EXIT_REASON_VMWRITE]			= vmx_exit_ud,
	[EXIT_REASON_VMOFF]			= vmx_exit_ud,
	[EXIT_REASON_VMON]			= vmx_exit_ud,
	[EXIT_REASON_CR_ACCESS]			= vessel_exit_cr,
	[EXIT_REASON_DR_ACCESS]			= vessel_exit_dr,
	[EXIT_REASON_IO_INSTRUCTION]		= vessel_exit_io,
	[EXIT_REASON_MSR_READ]			= vessel_exit_rdmsr,
	[EXIT_REASON_MSR_WRITE]			= vessel_exit_wrmsr,
	[EXIT_REASON_INVALID_STATE]		= vmx_exit_entry_failed,
	[EXIT_REASON_MSR_LOAD_FAIL]		= vmx_exit_entry_failed,
	[EXIT_REASON_MWAIT_INSTRUCTION]		= vmx_exit_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION]	= vmx_exit_ud,
	[EXIT_REASON_PAUSE_INSTRUCTION]		= vmx_exit_pause,
	[EXIT_REASON_MCE_DURING_VMENTRY]	= vmx_exit_entry_failed,
	[EXIT_REASON_TPR_BELOW_THRESHOLD]	= vessel_exit_tpr_below_threshold,
	[EXIT_REASON_EPT_VIOLATION]		= vessel_exit_ept_violation,
	[EXIT_REASON_INVEPT]			= vmx_exit_ud,
	[EXIT_REASON_INVVPID]			= vmx_exit_ud,
	[EXIT_REASON_WBINVD]			= vmx_exit_skip,
	[EXIT_REASON_XSETBV]			= vessel_exit_xsetbv,
	[EXIT_REASON_PREEMPTION_TIMER]		= vmx_exit_preemption_timer,
	[EXIT_REASON_PML_FULL]			= vmx_exit_pml_full,
	[EXIT_REASON_VMFUNC]			= vmx_exit_ud,
};

static int vmx_fast_cpuid(struct vessel_vcpu *vcpu)
{
	vessel_exit_cpuid(vcpu);
	return VESSEL_FAST_REENTER;
}

static int vmx_fast_skip(struct vessel_vcpu *vcpu)
{
	vessel_skip_insn(vcpu);
	return VESSEL_FAST_REENTER;
}

static int vmx_fast_rdmsr(struct vessel_vcpu *vcpu)
{
	return vessel_msr_fast(vcpu, false);
}

static int vmx_fast_wrmsr(struct vessel_vcpu *vcpu)
{
	return vessel_msr_fast(vcpu, true);
}

static int vmx_fast_vmcall(struct vessel_vcpu *vcpu)
{
	return vessel_vmcall_fast(vcpu);
}

/* vessel_exit_fast() without the PV EOI look. */
static __always_inline int exit_fast(struct vessel_vcpu *vcpu)
{
	int (*handler)(struct vessel_vcpu *vcpu);
	u32 reason = vcpu->exit_reason;
	int r;

	/*
	 * The APIC's deadline passed: its interrupt goes in the slow way.
	 * Else, with the emulator backstop, the host's IRQs must be taken.
	 */
	if (reason == EXIT_REASON_PREEMPTION_TIMER) {
		bool expired = vessel_lapic_hv_expired(vcpu);

		if (!expired && vessel_backstop_ticks)
			return VESSEL_FAST_NONE;
		vcpu->counters.vmx_exits[reason]++;
		return expired ? VESSEL_FAST_DONE : VESSEL_FAST_REENTER;
	}
	/* The full reason: an entry failure (bit 31) matches none of these. */
	switch (reason) {
	case EXIT_REASON_CPUID:
		handler = vmx_fast_cpuid;
		break;
	case EXIT_REASON_WBINVD:
	case EXIT_REASON_INVD:
		handler = vmx_fast_skip;
		break;
	case EXIT_REASON_MSR_READ:
		handler = vmx_fast_rdmsr;
		break;
	case EXIT_REASON_MSR_WRITE:
		handler = vmx_fast_wrmsr;
		break;
	case EXIT_REASON_VMCALL:
		handler = vmx_fast_vmcall;
		break;
	default:
		return VESSEL_FAST_NONE;
	}
	vcpu->exit_insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	r = handler(vcpu);
	if (r != VESSEL_FAST_NONE)
		vcpu->counters.vmx_exits[reason]++;
	return r;
}

/* exit_fast() after a look at the outstanding PV EOI: off the common path. */
static noinline int exit_fast_pv_eoi(struct vessel_vcpu *vcpu)
{
	int eoi = vessel_lapic_pv_eoi_sync_fast(vcpu), r;

	if (eoi < 0)
		return VESSEL_FAST_NONE;
	r = exit_fast(vcpu);
	/* After the guest's PV EOI an interrupt may be deliverable. */
	return eoi && r == VESSEL_FAST_REENTER ? VESSEL_FAST_DONE : r;
}

/**
 * vessel_exit_fast() - finish an exit before IRQs are enabled again
 * @vcpu:	the vCPU that exited, on its own thread, IRQs off
 *
 * The exits that need nothing preemptible - no sleep, no lock that
 * sleeps, no guest memory - and are frequent in a running guest, as
 * KVM's fastpath: CPUID, WBINVD/INVD, the in-kernel MSRs (the table,
 * the user-return MSRs, the TSC deadline and x2APIC registers), and the
 * hypercalls that only compute an answer.  A handler that finds more to
 * do (an MSR of the provider, a hypercall with guest memory, an access
 * that raises #GP) declines before it changes anything, and the exit is
 * dispatched as usual.  A PV EOI outstanding is looked at first
 * (vessel_lapic_after_exit()'s work, without sleeping); when that cannot
 * be finished here, neither is the exit.
 *
 * Return: VESSEL_FAST_NONE, _REENTER or _DONE (vcpu.h).
 */
int vessel_exit_fast(struct vessel_vcpu *vcpu)
{
	if (vcpu->lapic && unlikely(vcpu->lapic->pv_eoi_pending))
		return exit_fast_pv_eoi(vcpu);
	return exit_fast(vcpu);
}

int vessel_exit_dispatch(struct vessel_vcpu *vcpu)
{
	u32 reason = vcpu->exit_reason & 0xffff;
	vessel_exit_handler handler = NULL;

	if (reason < VESSEL_NR_VMX_EXIT_REASONS)
		vcpu->counters.vmx_exits[reason]++;
	/* Bit 31: the VM entry itself failed (SDM 26.8). */
	if (vcpu->exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)
		return vmx_exit_entry_failed(vcpu);
	if (reason < ARRAY_SIZE(vmx_exit_handlers))
		handler = vmx_exit_handlers[array_index_nospec(reason,
					    ARRAY_SIZE(vmx_exit_handlers))];
	if (!handler)
		return vmx_exit_unexpected(vcpu);
	vcpu->exit_insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	vessel_stage(vcpu, VESSEL_STAGE_DISPATCH);
	return handler(vcpu);
}

/**
 * vessel_complete_user_exit() - finish what the last exit left to userspace
 * @vcpu:	the vCPU, back in VESSEL_RUN
 *
 * Port input, MMIO reads and user MSR reads complete here with the data
 * userspace put in the run page.
 *
 * Return: >0 to go on into the guest, 0 to return to userspace with the
 * next exit (the write half of an MMIO read-modify-write).
 */
int vessel_complete_user_exit(struct vessel_vcpu *vcpu)
{
	enum vessel_pending_user pending = vcpu->pending;
	int r = 1;

	if (pending == VESSEL_PENDING_NONE || pending == VESSEL_PENDING_HLT) {
		vcpu->pending = VESSEL_PENDING_NONE;
		return 1;
	}
	switch (pending) {
	case VESSEL_PENDING_MSR_READ:
	case VESSEL_PENDING_MSR_WRITE:
		vessel_msr_complete_user(vcpu);
		break;
	case VESSEL_PENDING_PV:
		vessel_pv_complete_user(vcpu);
		break;
	default:
		r = vessel_io_complete(vcpu);
		/* The read of a read-modify-write: its write exit is pending. */
		if (!r)
			return 0;
		break;
	}
	vcpu->pending = VESSEL_PENDING_NONE;
	return r;
}
