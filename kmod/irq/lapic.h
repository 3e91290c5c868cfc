/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: the in-kernel local APIC of a vCPU (kmod/irq/lapic.c).
 */
#ifndef VESSEL_LAPIC_H
#define VESSEL_LAPIC_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/hrtimer.h>
#include <asm/apicdef.h>
#include <asm/msr-index.h>

#include "internal.h"

/*
 * Bits of vessel_lapic.req: set by any thread, consumed by the vCPU's.
 * Each comes with the vCPU's VESSEL_REQ_EVENT, which makes the thread look
 * here (and a halted one wake): the run loop watches that one word only.
 */
#define LAPIC_REQ_NMI		0
#define LAPIC_REQ_INIT		1
#define LAPIC_REQ_SIPI		2
#define LAPIC_REQ_PV		3	/* the paravirt provider has work */

/**
 * struct vessel_lapic - one vCPU's local APIC
 * @vcpu:	the vCPU it belongs to
 * @regs:	one page, the registers at their xAPIC offsets; with the TPR
 *		shadow it is also the VMCS's virtual-APIC page, so a guest
 *		MOV to CR8 writes TPR here without an exit.  IRR and TMR are
 *		changed atomically by other threads; the rest only by the
 *		vCPU's own thread.
 * @base:	IA32_APIC_BASE
 * @req:	LAPIC_REQ_* bits
 * @sipi_vector: of the last SIPI, with LAPIC_REQ_SIPI
 * @eoi_exit:	a level-triggered vector just ended, for a VESSEL_EXIT_EOI;
 *		-1 when none
 * @esr_pending: errors since the last ESR write (SDM 11.5.3)
 * @extint:	ExtINT vectors accepted, not yet taken by the CPU: no IRR/ISR
 * @timer:	backs every timer mode
 * @timer_fired: expiries not yet turned into an interrupt
 * @target_tsc:	host TSC of the next expiry (the timer never fires early)
 * @period_ns:	periodic mode: the period; 0 otherwise
 * @period_tsc:	the same in host TSC ticks
 * @tsc_deadline: IA32_TSC_DEADLINE (guest TSC), 0 when disarmed
 * @deadline_offset: the VM's TSC offset @tsc_deadline was armed with
 * @pv_eoi_msr:	MSR_KVM_PV_EOI_EN (the guest's flag byte and enable bit)
 * @pv_eoi_pending: the flag byte was set for the one vector in ISR; the
 *		next exit looks whether the guest cleared it (its EOI)
 * @pv_eoi_cache: the flag byte's VMM address, for the offer and that look
 * @auto_eoi:	vectors acknowledged without setting ISR (Hyper-V SINTs
 *		with auto-EOI); written by the vCPU's thread only
 * @hv_timer:	TSC-deadline mode inside RUN: @target_tsc is watched by
 *		the VMX-preemption timer, the hrtimer is off (lapic.c)
 * @isr_top:	the highest vector in ISR, -1 for none: changed by the
 *		vCPU's thread with ISR, so PPR and EOI need no scan of it
 * @irr_pending: IRR or @extint may have a bit set; false only when both
 *		are empty (KVM's irr_pending), so that the checks before
 *		every entry need not scan IRR when nothing was requested
 */
struct vessel_lapic {
	struct vessel_vcpu *vcpu;
	u8 *regs;
	u64 base;
	unsigned long req;
	u8 sipi_vector;
	int eoi_exit;
	u32 esr_pending;
	DECLARE_BITMAP(extint, 256);

	struct hrtimer timer;
	atomic_t timer_fired;
	u64 target_tsc;
	u64 period_ns;
	u64 period_tsc;
	u64 tsc_deadline;
	s64 deadline_offset;
	bool hv_timer;

	int isr_top;
	bool irr_pending;
	bool pv_eoi_pending;
	u64 pv_eoi_msr;
	struct vessel_mem_cache pv_eoi_cache;
	DECLARE_BITMAP(auto_eoi, 256);
};

int vessel_lapic_create(struct vessel_vcpu *vcpu);
void vessel_lapic_free(struct vessel_vcpu *vcpu);

/*
 * The hooks the run loop and the exit handlers call for every vCPU are
 * inline tests of vcpu->lapic, so that VMs without an in-kernel APIC pay
 * no call on their exit path.
 */
int __vessel_lapic_before_entry(struct vessel_vcpu *vcpu);
bool __vessel_lapic_ack(struct vessel_vcpu *vcpu);
bool __vessel_lapic_has_irq(struct vessel_vcpu *vcpu);
void vessel_lapic_mmio(struct vessel_vcpu *vcpu, u64 gpa, unsigned int size,
		       bool is_write, u64 *data);

/* Run loop: before entry (may sleep); <=0 ends RUN, -EINTR as for a signal. */
static inline int vessel_lapic_before_entry(struct vessel_vcpu *vcpu)
{
	return vcpu->lapic ? __vessel_lapic_before_entry(vcpu) : 1;
}

/* Events (preemption off): move the best deliverable IRR vector to ISR. */
static inline bool vessel_lapic_ack(struct vessel_vcpu *vcpu)
{
	return vcpu->lapic && __vessel_lapic_ack(vcpu);
}

static inline bool vessel_lapic_has_irq(struct vessel_vcpu *vcpu)
{
	return vcpu->lapic && __vessel_lapic_has_irq(vcpu);
}

/*
 * MMIO at @gpa is the vCPU's own xAPIC page: an in-kernel APIC, enabled,
 * in xAPIC mode (not x2APIC), at IA32_APIC_BASE.  Inline, so that the MMIO
 * path computes nothing for the APIC unless the access is its.
 */
static inline bool vessel_lapic_mmio_page(struct vessel_vcpu *vcpu, u64 gpa)
{
	const struct vessel_lapic *l = vcpu->lapic;

	return l && (l->base & (MSR_IA32_APICBASE_ENABLE | X2APIC_ENABLE)) ==
		    MSR_IA32_APICBASE_ENABLE &&
	       (gpa & PAGE_MASK) == (l->base & PAGE_MASK);
}
void __vessel_lapic_pv_eoi_sync(struct vessel_vcpu *vcpu);
int vessel_lapic_pv_eoi_sync_fast(struct vessel_vcpu *vcpu);

/*
 * After an exit, preemptible: a paravirtual EOI the guest may have done
 * (the KVM provider's PV_EOI) is carried out before anyone looks at ISR.
 */
static inline void vessel_lapic_after_exit(struct vessel_vcpu *vcpu)
{
	if (vcpu->lapic && unlikely(vcpu->lapic->pv_eoi_pending))
		__vessel_lapic_pv_eoi_sync(vcpu);
}

/* Before every entry (IRQs off): whether the APIC's deadline is watched. */
static inline bool vessel_lapic_hv_timer_on(const struct vessel_vcpu *vcpu)
{
	return vcpu->lapic && vcpu->lapic->hv_timer;
}

/*
 * Before every entry (IRQs off): whether the VMX-preemption timer must
 * run, and for how many TSC ticks, for the APIC's deadline.
 */
static inline bool vessel_lapic_hv_timer(struct vessel_vcpu *vcpu, u64 *ticks)
{
	const struct vessel_lapic *l = vcpu->lapic;
	u64 now;

	if (!l || !l->hv_timer)
		return false;
	now = rdtsc();
	*ticks = l->target_tsc > now ? l->target_tsc - now : 0;
	return true;
}
bool vessel_lapic_hv_expired(struct vessel_vcpu *vcpu);

/* The thread goes to sleep in HLT (halt.c): the hrtimer takes over. */
void vessel_lapic_hv_sleep(struct vessel_vcpu *vcpu);

/* Exit handlers' hooks. */
int vessel_lapic_rdmsr(struct vessel_vcpu *vcpu, u32 index, u64 *val);
int vessel_lapic_msr_fast(struct vessel_vcpu *vcpu, u32 index, bool write,
			  u64 *val);
int vessel_lapic_wrmsr(struct vessel_vcpu *vcpu, u32 index, u64 val);
int vessel_exit_tpr_below_threshold(struct vessel_vcpu *vcpu);
int vessel_lapic_hv_msr(struct vessel_vcpu *vcpu, u32 off, bool write,
			u64 *val);
void vessel_lapic_raise(struct vessel_vcpu *vcpu, u8 vec);
void vessel_lapic_request_pv(struct vessel_vcpu *vcpu);
u64 vessel_lapic_cr8_read(struct vessel_vcpu *vcpu);
void vessel_lapic_cr8_write(struct vessel_vcpu *vcpu, u64 cr8);
bool vessel_lapic_hw_disabled(struct vessel_vcpu *vcpu);

/* The KVM provider's interrupt features (pv/kvm.c). */
void vessel_lapic_pv_kick(struct vessel_vm *vm, u64 apic_id);
int vessel_lapic_pv_send_ipi(struct vessel_vm *vm, const u64 *bitmap,
			     u64 min, unsigned int cluster, u32 icr);
void vessel_lapic_pv_eoi_set(struct vessel_vcpu *vcpu, u64 msr);
u64 vessel_lapic_pv_eoi_get(struct vessel_vcpu *vcpu);

/* ioctls */
long vessel_vm_signal_msi(struct vessel_vm *vm,
			  const struct vessel_msi __user *uarg);
long vessel_vm_get_lapic_info(struct vessel_lapic_info __user *uarg);
long vessel_vcpu_get_lapic(struct vessel_vcpu *vcpu,
			   struct vessel_lapic_state __user *uarg);
long vessel_vcpu_set_lapic(struct vessel_vcpu *vcpu,
			   const struct vessel_lapic_state __user *uarg);

#endif /* VESSEL_LAPIC_H */
