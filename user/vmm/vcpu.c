// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU threads: each only calls VESSEL_RUN and handles its own exits
 * (exits.c), taking the device lock for an exit to userspace only.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "internal.h"

/*
 * One vCPU's run loop, until the VM stops. The lock is taken only after
 * VESSEL_RUN returns with an exit for userspace: vCPUs run the guest and
 * handle in-kernel exits in parallel. A kick (vmm_stop_locked()) makes
 * RUN return VESSEL_EXIT_INTR, even if it comes before RUN is entered.
 */
void *vmm_vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;
	struct vmm *vmm = t->vmm;
	int r;

	while (!vmm->stopping) {
		if (vmm->resetting) {
			pthread_mutex_lock(&vmm->lock);
			vcpu_park_locked(t);
			pthread_mutex_unlock(&vmm->lock);
			continue;
		}
		r = vessel_vcpu_run(t->vcpu);
		/* EINTR: a kick, or a stop/continue signal: look again. */
		if (r == -EINTR || (!r && t->vcpu->run->exit_reason ==
				    VESSEL_EXIT_INTR))
			continue;
		pthread_mutex_lock(&vmm->lock);
		if (!r) {
			r = run_exit(t);
		} else if (!vmm->stopping) {
			vcpu_error(t, "VESSEL_RUN failed: %s", strerror(-r));
			r = VESSEL_EXIT_FAILURE;
		}
		console_flush(&vmm->con);
		if (r != RUN_AGAIN)
			vmm_stop_locked(vmm, r);
		pthread_mutex_unlock(&vmm->lock);
	}
	return NULL;
}
