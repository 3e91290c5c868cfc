/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: what the Hyper-V provider's files share (kmod/pv/hyperv.c, the
 * MSRs, clock, CPUID and state; kmod/pv/hyperv_hypercalls.c, the
 * hypercalls; kmod/pv/hyperv_synic.c, the SynIC and the synthetic timers,
 * which need the in-kernel APIC).
 */
#ifndef VESSEL_PV_HYPERV_H
#define VESSEL_PV_HYPERV_H

#include <linux/bits.h>
#include <linux/types.h>
#include <asm/hyperv-tlfs.h>

#include "vcpu.h"

struct vessel_vm;
struct vessel_vcpu;
struct vessel_pv_state;
struct vessel_pv_hv_connection;

/* pv/hyperv.c: the partition reference time now, 100 ns units. */
u64 vessel_hv_ref_now(struct vessel_vm *vm);

/* pv/hyperv_hypercalls.c */
int vessel_hv_hypercall(struct vessel_vcpu *vcpu, bool atomic);
void vessel_hv_complete_user(struct vessel_vcpu *vcpu);
long vessel_hv_set_connection(struct vessel_vm *vm,
			      const struct vessel_pv_hv_connection __user *u);

/* Whether the guest's CPUID 0x40000003 (register @reg) has all of @bits. */
static inline bool vessel_hv_has(struct vessel_vcpu *vcpu, u32 reg, u32 bits)
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		if ((bits & BIT(i)) &&
		    !vessel_guest_has(vcpu, HYPERV_CPUID_FEATURES, reg, i))
			return false;
	return true;
}

/* pv/hyperv_synic.c */
void vessel_hv_synic_init(struct vessel_vcpu *vcpu);
void vessel_hv_synic_free(struct vessel_vcpu *vcpu);
void vessel_hv_synic_reset(struct vessel_vcpu *vcpu);
void vessel_hv_synic_event(struct vessel_vcpu *vcpu);
bool vessel_hv_synic_msr_owned(u32 index);
int vessel_hv_synic_msr(struct vessel_vcpu *vcpu, u32 index, bool write,
			u64 *val);
u16 vessel_hv_post_message(struct vessel_vcpu *target, u32 sint, u32 type,
			   const void *payload, u32 size);
u16 vessel_hv_signal_event(struct vessel_vcpu *target, u32 sint, u32 flag);
void vessel_hv_synic_get_state(struct vessel_vcpu *vcpu,
			       struct vessel_pv_state *st);
int vessel_hv_synic_check_state(struct vessel_vcpu *vcpu,
				const struct vessel_pv_state *st);
void vessel_hv_synic_set_state(struct vessel_vcpu *vcpu,
			       const struct vessel_pv_state *st);
long vessel_hv_msg_queue_ioctl(struct vessel_vcpu *vcpu, unsigned int cmd,
			       void __user *argp);

#endif /* VESSEL_PV_HYPERV_H */
