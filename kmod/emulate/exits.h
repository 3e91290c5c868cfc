/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: the kernel side of the emulation layer - the exits it handles
 * (io.c: port I/O and MMIO; task_switch.c: hardware task switches) and
 * the guest's paging state they walk (walk.c).  The decoders and checks
 * they use are pure logic (emulate.h, guest_walk.h, tss.h).
 */
#ifndef VESSEL_EMULATE_EXITS_H
#define VESSEL_EMULATE_EXITS_H

#include "emulate/guest_walk.h"
#include "vmx/vmx.h"

/* io.c: port I/O and MMIO to userspace */
int vessel_exit_io(struct vessel_vcpu *vcpu);
int vessel_exit_ept_violation(struct vessel_vcpu *vcpu);
int vessel_io_complete(struct vessel_vcpu *vcpu);

/* task_switch.c */
int vessel_exit_task_switch(struct vessel_vcpu *vcpu);

/* walk.c */
void vessel_walk_env_init(struct vessel_vcpu *vcpu,
			  struct vessel_walk_env *env, u64 *pdptrs);

/* The privilege of the guest's own accesses: user at CPL 3 (SDM 4.6). */
static inline u32 vessel_walk_cpl_access(struct vessel_vcpu *vcpu)
{
	return vessel_vmx_guest_cpl(vcpu) == 3 ? VESSEL_WALK_USER : 0;
}

#endif /* VESSEL_EMULATE_EXITS_H */
