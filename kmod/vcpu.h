/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: what the vCPU files (vcpu.c, halt.c, cpuid.c) offer the layers.
 */
#ifndef VESSEL_VCPU_H
#define VESSEL_VCPU_H

#include "internal.h"
#include "vmx/vmx.h"

/* vcpu.c: the VMCS is current (and the thread may sleep) in between */
int vessel_vcpu_load(struct vessel_vcpu *vcpu);
void vessel_vcpu_put(struct vessel_vcpu *vcpu);

/* halt.c: the run state with an in-kernel APIC */
void vessel_vcpu_halt_init(struct vessel_vcpu *vcpu);
int vessel_vcpu_halt(struct vessel_vcpu *vcpu);
void vessel_vcpu_init_received(struct vessel_vcpu *vcpu, bool bsp);
void vessel_vcpu_sipi_received(struct vessel_vcpu *vcpu, u8 vector);
int __vessel_vcpu_wait_runnable(struct vessel_vcpu *vcpu);
bool vessel_vcpu_wake_halted(struct vessel_vcpu *vcpu);
bool vessel_vcpu_halted(struct vessel_vcpu *vcpu);
void vessel_vcpu_kick_halt(struct vessel_vcpu *vcpu);
bool vessel_vcpu_pv_unhalt_get(struct vessel_vcpu *vcpu);
void vessel_vcpu_pv_unhalt_set(struct vessel_vcpu *vcpu, bool kicked);
long vessel_vcpu_get_mp_state(struct vessel_vcpu *vcpu,
			      struct vessel_mp_state __user *uarg);
long vessel_vcpu_set_mp_state(struct vessel_vcpu *vcpu,
			      const struct vessel_mp_state __user *uarg);

/*
 * Before each entry (the in-kernel APIC's part of it): 1 when the vCPU
 * may run; else __vessel_vcpu_wait_runnable() decides.  Inline: a running
 * vCPU pays one compare.
 */
static inline int vessel_vcpu_wait_runnable(struct vessel_vcpu *vcpu)
{
	if (likely(vcpu->mp_state == VESSEL_MP_STATE_RUNNABLE))
		return 1;
	return __vessel_vcpu_wait_runnable(vcpu);
}

/* vcpu.c: the guest's KERNEL_GS_BASE, wherever it is now */
u64 vessel_kernel_gs_base_get(struct vessel_vcpu *vcpu);
void vessel_kernel_gs_base_set(struct vessel_vcpu *vcpu, u64 val);

/* cpuid.c */
int vessel_cpuid_init(struct vessel_vm *vm);
long vessel_vm_set_cpuid(struct vessel_vm *vm,
			 const struct vessel_cpuid __user *uarg);
long vessel_vm_get_cpuid(struct vessel_vm *vm, struct vessel_cpuid __user *uarg);
int vessel_exit_cpuid(struct vessel_vcpu *vcpu);
bool vessel_guest_has(struct vessel_vcpu *vcpu, u32 leaf, u32 reg_idx, u32 bit);

#endif /* VESSEL_VCPU_H */
