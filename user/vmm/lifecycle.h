/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's lifecycle, as VirtualBox's VM API has it: the states, the
 * actions that move between them, the reasons given for a suspend and a
 * resume, and one table of every valid transition
 * (Documentation/lifecycle.rst). Pure logic: the machine (vmm/) applies
 * an action under its lock and tells the control socket's watchers; the
 * control protocol and `vessel ctl` use the names. A host unit test holds
 * the table to the documented one.
 */
#ifndef VESSEL_VMM_LIFECYCLE_H
#define VESSEL_VMM_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

enum vmm_state {
	VMM_CREATED,		/* built, no vCPU has run */
	VMM_RUNNING,
	VMM_SUSPENDED,		/* every vCPU paused, guest time stopped */
	VMM_RESETTING,
	VMM_SAVING,
	VMM_RESTORING,
	VMM_POWERED_OFF,	/* the end: the process is leaving */
	VMM_NR_STATES,
};

/* What moves the machine from one state to another. */
enum vmm_action {
	VMM_POWER_ON,		/* the vCPU threads start */
	VMM_SUSPEND,
	VMM_RESUME,
	VMM_RESET,
	VMM_SAVE,
	VMM_RESTORE,
	VMM_POWER_OFF,
	VMM_DONE,		/* a reset, save or restore finished */
	VMM_CONTINUE,		/* a save finished, --continue */
	VMM_FAIL,		/* a save failed: nothing lost */
	VMM_POWER_BUTTON,	/* changes no state, needs a running guest */
	VMM_NR_ACTIONS,
};

enum vmm_suspend_reason {
	VMM_SUSPEND_NONE,	/* never suspended */
	VMM_SUSPEND_USER,
	VMM_SUSPEND_RECONFIGURATION,
	VMM_SUSPEND_RUNTIME_ERROR,
	VMM_SUSPEND_HOST_SUSPEND,
	VMM_NR_SUSPEND_REASONS,
};

enum vmm_resume_reason {
	VMM_RESUME_NONE,	/* never resumed */
	VMM_RESUME_USER,
	VMM_RESUME_RESTORED,
	VMM_RESUME_TELEPORTED,
	VMM_RESUME_TELEPORT_FAILED,
	VMM_NR_RESUME_REASONS,
};

/* What the machine is and has been; changed by vmm_lc_apply() only. */
struct vmm_lifecycle {
	enum vmm_state state;
	enum vmm_state before;	/* the state before this one */
	enum vmm_suspend_reason suspend_reason;	/* the last */
	enum vmm_resume_reason resume_reason;	/* the last */
	uint64_t soft_resets, hard_resets;
};

void vmm_lc_init(struct vmm_lifecycle *lc);

/*
 * The state @action leads to from @lc->state, or VMM_NR_STATES when the
 * table has no such transition.
 */
enum vmm_state vmm_lc_next(const struct vmm_lifecycle *lc,
			   enum vmm_action action);

/*
 * Take @action: returns 0 with the state changed (or kept, for an action
 * that changes none), or -EINVAL with @lc unchanged and, in @err, one
 * line naming the action and the state ("cannot resume: the VM is
 * running").
 */
int vmm_lc_apply(struct vmm_lifecycle *lc, enum vmm_action action,
		 char *err, size_t errlen);

/*
 * The names the protocol and the documentation use; NULL out of range,
 * and for the reasons' NONE (the protocol says null).
 */
const char *vmm_state_name(enum vmm_state state);
const char *vmm_action_name(enum vmm_action action);
const char *vmm_suspend_reason_name(enum vmm_suspend_reason reason);
const char *vmm_resume_reason_name(enum vmm_resume_reason reason);
/* By name: the value, or -1. */
int vmm_suspend_reason_find(const char *name);
int vmm_resume_reason_find(const char *name);
int vmm_state_find(const char *name);

#endif /* VESSEL_VMM_LIFECYCLE_H */
