// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU threads: each only calls VESSEL_RUN and handles its own exits
 * (exits.c), taking the device lock for an exit to userspace only, and
 * parks when the machine pauses (pause.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "internal.h"

/*
 * One VESSEL_RUN, and the exit it returned to userspace handled, with the
 * device lock held for that only. Returns false when RUN came back with
 * nothing to handle: a kick, a signal, immediate_exit.
 */
static bool vcpu_run_once(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;
	int r = vessel_vcpu_run(t->vcpu);

	/* EINTR: a kick, or a stop/continue signal: look again. */
	if (r == -EINTR || (!r && t->vcpu->run->exit_reason ==
			    VESSEL_EXIT_INTR))
		return false;
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
	return true;
}

/* RUNs a pause may take to complete an exit: a read-modify-write takes 2. */
#define PAUSE_MAX_RUNS	8

/*
 * A pause was asked for (pause.c): let the kernel complete the exit just
 * handled, and park at an instruction boundary. immediate_exit makes RUN
 * return before the guest runs, after the kernel wrote an IN's or MMIO
 * read's data; what comes back instead (the write half of a
 * read-modify-write) is handled, and RUN goes once more, until it comes
 * back with nothing to handle and VESSEL_RUN_PENDING clear (a module
 * without the flag leaves it clear: then the first empty return ends
 * it, which that module's RUN guarantees too).
 */
static void vcpu_pause(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;
	struct vessel_run *run = t->vcpu->run;
	unsigned int n;
	bool handled;

	run->immediate_exit = 1;
	for (n = 0; !vmm->stopping; n++) {
		handled = vcpu_run_once(t);
		if (!handled && !(run->flags & VESSEL_RUN_PENDING))
			break;
		if (n == PAUSE_MAX_RUNS) {
			pthread_mutex_lock(&vmm->lock);
			vcpu_error(t, "an exit is still pending after %u RUNs with immediate_exit",
				   n + 1);
			vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
			pthread_mutex_unlock(&vmm->lock);
			break;
		}
	}
	run->immediate_exit = 0;
	pthread_mutex_lock(&vmm->lock);
	vcpu_park_locked(t);
	pthread_mutex_unlock(&vmm->lock);
}

/*
 * One vCPU's run loop, until the VM stops. The lock is taken only after
 * VESSEL_RUN returns with an exit for userspace: vCPUs run the guest and
 * handle in-kernel exits in parallel. A kick (vmm_stop_locked(), a pause)
 * makes RUN return VESSEL_EXIT_INTR, even if it comes before RUN is
 * entered; so does the execution cap's signal (cap.c).
 */
void *vmm_vcpu_thread(void *arg)
{
	struct vcpu_thread *t = arg;
	struct vmm *vmm = t->vmm;
	unsigned long long none = 0;

	vcpu_cap_init(t);
	/* For --stats: when the first vCPU got to VESSEL_RUN. */
	atomic_compare_exchange_strong(&vmm->first_run_ns, &none,
				       vmm_timer_now());
	while (!vmm->stopping) {
		if (vmm->pausing) {
			vcpu_pause(t);
			continue;
		}
		vcpu_cap_before_run(t);
		vcpu_run_once(t);
		vcpu_cap_after_run(t);
	}
	vcpu_cap_free(t);
	return NULL;
}
