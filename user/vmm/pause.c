// SPDX-License-Identifier: GPL-2.0
/*
 * The pause rendezvous: every vCPU thread stopped at a known point, and
 * then let go again. Reset uses it; suspend, save and teleport will.
 *
 * The known point: out of VESSEL_RUN, with the exit the thread was
 * handling complete, in the kernel too. The kernel writes an IN's or an
 * MMIO read's data to the guest at the start of the next RUN
 * (Documentation/api.rst, VESSEL_RUN), so a thread told to pause runs
 * once more with immediate_exit set, which returns before the guest runs
 * (handling the second half of a read-modify-write first, should that be
 * what comes back), and only then parks (vcpu.c). What the vCPUs' state
 * says after a pause is what the guest would see next.
 *
 * The pauser holds the device lock; it sets vmm->pausing, kicks every
 * other vCPU out of RUN, ends any wait for the Hyper-V debugger or (no
 * APIC) for input, and waits until they all parked. Until it resumes
 * them, with the lock held all along, nothing runs the guest or touches a
 * device but the pauser. Stopping the VM ends any wait here.
 */
#include <errno.h>
#include <pthread.h>

#include "internal.h"

/* Wait, parked, until the pause is over (or the VM stops). Lock held. */
void vcpu_park_locked(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;

	vmm->parked++;
	pthread_cond_broadcast(&vmm->pause_cond);
	while (vmm->pausing && !vmm->stopping)
		pthread_cond_wait(&vmm->pause_cond, &vmm->lock);
	vmm->parked--;
}

int vmm_pause_locked(struct vmm *vmm, struct vcpu_thread *self)
{
	unsigned int i, others = vmm->nr_vcpus - (self ? 1 : 0);

	if (vmm->stopping)
		return -ECANCELED;
	/* One pause at a time: wait for the other to end, as a vCPU parks. */
	if (vmm->pausing) {
		if (self)
			vcpu_park_locked(self);
		while (vmm->pausing && !vmm->stopping)
			pthread_cond_wait(&vmm->pause_cond, &vmm->lock);
		return vmm->stopping ? -ECANCELED : -EBUSY;
	}
	vmm->pausing = true;
	for (i = 0; i < vmm->nr_vcpus; i++)
		if (!self || i != self->id)
			vessel_vcpu_kick(&vmm->vcpus[i]);
	hv_debug_cancel(&vmm->hv_debug);
	pthread_cond_broadcast(&vmm->input_cond);
	while (vmm->parked < others && !vmm->stopping)
		pthread_cond_wait(&vmm->pause_cond, &vmm->lock);
	if (vmm->stopping) {
		vmm_resume_locked(vmm);
		return -ECANCELED;
	}
	/* Nobody waits for the debugger any more: later calls may again. */
	hv_debug_resume(&vmm->hv_debug);
	return 0;
}

void vmm_resume_locked(struct vmm *vmm)
{
	vmm->pausing = false;
	pthread_cond_broadcast(&vmm->pause_cond);
}
