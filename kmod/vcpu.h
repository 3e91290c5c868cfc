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

/* cpuid.c */
int vessel_cpuid_init(struct vessel_vm *vm);
long vessel_vm_set_cpuid(struct vessel_vm *vm,
			 const struct vessel_cpuid __user *uarg);
long vessel_vm_get_cpuid(struct vessel_vm *vm, struct vessel_cpuid __user *uarg);
int vessel_exit_cpuid(struct vessel_vcpu *vcpu);
bool vessel_guest_has(struct vessel_vcpu *vcpu, u32 leaf, u32 reg_idx, u32 bit);

#endif /* VESSEL_VCPU_H */
