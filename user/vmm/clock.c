// SPDX-License-Identifier: GPL-2.0
/*
 * Guest time stops while the machine is suspended (Documentation/
 * lifecycle.rst, "Time across a suspend"): the guest's TSC, its local
 * APIC timers, the paravirtual clocks (kvmclock, Hyper-V's reference
 * counter and TSC page) and synthetic timers read on after a resume from
 * where they were at the suspend, as if no time had passed. VirtualBox
 * does the same; KVM and QEMU keep the TSC running unless told otherwise.
 *
 * The module keeps time from the host's TSC, so stopping it means taking
 * the state that carries it when the vCPUs are paused and putting it back
 * when they go on: vCPU 0's MSRs (the VM has one TSC offset: setting the
 * TSC moves it for every vCPU), then the provider's VM state (its clock
 * is re-based at the restored TSC; set after the TSC, or the module
 * would carry the clock across the jump), then each vCPU's provider state
 * (synthetic timers re-armed against that clock) and local APIC (timers
 * restarted with the time they had left). The same calls restore a saved
 * machine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vmm_clock {
	struct vessel_vcpu_state msrs;		/* vCPU 0's MSR part */
	struct vessel_pv_state vm_pv;
	struct vessel_pv_state *vcpu_pv;	/* per vCPU */
	struct vessel_lapic_state *lapic;	/* per vCPU, with an APIC */
};

/* Providers with time in their state: KVM's and Hyper-V's. */
static bool vmm_pv_has_clock(const struct vmm *vmm)
{
	return vmm->pv_provider == VESSEL_PV_KVM ||
	       vmm->pv_provider == VESSEL_PV_HYPERV;
}

static struct vmm_clock *vmm_clock_alloc(struct vmm *vmm)
{
	struct vmm_clock *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->vcpu_pv = calloc(vmm->nr_vcpus, sizeof(*c->vcpu_pv));
	c->lapic = calloc(vmm->nr_vcpus, sizeof(*c->lapic));
	if (!c->vcpu_pv || !c->lapic) {
		free(c->vcpu_pv);
		free(c->lapic);
		free(c);
		return NULL;
	}
	return c;
}

void vmm_clock_free(struct vmm *vmm)
{
	if (!vmm->clock)
		return;
	free(vmm->clock->vcpu_pv);
	free(vmm->clock->lapic);
	free(vmm->clock);
	vmm->clock = NULL;
}

int vmm_clock_stop(struct vmm *vmm)
{
	struct vmm_clock *c = vmm->clock;
	unsigned int i;
	int r;

	if (!c) {
		c = vmm_clock_alloc(vmm);
		if (!c)
			return -ENOMEM;
		vmm->clock = c;
	}
	r = vessel_vcpu_get_state(&vmm->vcpus[0], &c->msrs, VESSEL_STATE_MSRS);
	if (!r && vmm_pv_has_clock(vmm))
		r = vessel_vm_get_pv_state(&vmm->vm, &c->vm_pv);
	for (i = 0; !r && i < vmm->nr_vcpus; i++) {
		if (vmm_pv_has_clock(vmm))
			r = vessel_vcpu_get_pv_state(&vmm->vcpus[i],
						     &c->vcpu_pv[i]);
		if (!r && vmm->lapic)
			r = vessel_vcpu_get_lapic(&vmm->vcpus[i], &c->lapic[i]);
	}
	return r;
}

int vmm_clock_start(struct vmm *vmm)
{
	struct vmm_clock *c = vmm->clock;
	unsigned int i;
	int r;

	if (!c)
		return -EINVAL;
	r = vessel_vcpu_set_state(&vmm->vcpus[0], &c->msrs, VESSEL_STATE_MSRS);
	if (!r && vmm_pv_has_clock(vmm)) {
		c->vm_pv.flags = 0;
		r = vessel_vm_set_pv_state(&vmm->vm, &c->vm_pv);
	}
	for (i = 0; !r && i < vmm->nr_vcpus; i++) {
		if (vmm_pv_has_clock(vmm)) {
			c->vcpu_pv[i].flags = 0;
			r = vessel_vcpu_set_pv_state(&vmm->vcpus[i],
						     &c->vcpu_pv[i]);
		}
		if (!r && vmm->lapic)
			r = vessel_vcpu_set_lapic(&vmm->vcpus[i], &c->lapic[i]);
	}
	return r;
}

/*
 * What the clocks said when the machine was held, for a save of a held
 * machine (snapshot.c): the guest has not run since, so these are the
 * guest's values, while the module's live ones have aged by the time held
 * (the TSC ran on, the APIC timers counted down). False when not held.
 */
bool vmm_clock_held_tsc(const struct vmm *vmm, uint64_t *tsc)
{
	if (!vmm->held || !vmm->clock)
		return false;
	*tsc = vmm->clock->msrs.msrs[VESSEL_MSR_TSC];
	return true;
}

bool vmm_clock_held_vm(const struct vmm *vmm, struct vessel_pv_state *pv)
{
	if (!vmm->held || !vmm->clock || !vmm_pv_has_clock(vmm))
		return false;
	*pv = vmm->clock->vm_pv;
	pv->flags = 0;
	return true;
}

bool vmm_clock_held_vcpu(const struct vmm *vmm, unsigned int id,
			 struct vessel_pv_state *pv,
			 struct vessel_lapic_state *lapic)
{
	if (!vmm->held || !vmm->clock || id >= vmm->nr_vcpus)
		return false;
	if (vmm_pv_has_clock(vmm)) {
		*pv = vmm->clock->vcpu_pv[id];
		pv->flags = 0;
	}
	if (vmm->lapic)
		*lapic = vmm->clock->lapic[id];
	return true;
}
