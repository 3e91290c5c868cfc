// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the guest's paging state for a walk (guest_walk.c) by the
 * emulation that reads guest-virtual memory: string I/O and the fetch of
 * an MMIO instruction (io.c), hardware task switches (task_switch.c).
 */
#include <asm/processor.h>

#include "emulate/exits.h"
#include "mmu/mem.h"

static int walk_read_gpa(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	return vessel_mem_read(opaque, gpa, buf, len);
}

/**
 * vessel_walk_env_init() - the guest's current paging state, for a walk
 * @vcpu:	loaded
 * @env:	filled
 * @pdptrs:	four entries, the PDPTEs the VMCS holds (PAE paging)
 */
void vessel_walk_env_init(struct vessel_vcpu *vcpu,
			  struct vessel_walk_env *env, u64 *pdptrs)
{
	env->cr0 = vessel_vmx_guest_cr0(vcpu);
	env->cr3 = vessel_vmx_guest_cr3(vcpu);
	env->cr4 = vessel_vmx_guest_cr4(vcpu);
	env->efer = vessel_vmx_guest_efer(vcpu);
	env->maxphyaddr = boot_cpu_data.x86_phys_bits;
	vessel_vmx_guest_pdptrs(vcpu, pdptrs);
	env->pdptrs = pdptrs;
	env->read_gpa = walk_read_gpa;
	env->opaque = vcpu->vm;
}
