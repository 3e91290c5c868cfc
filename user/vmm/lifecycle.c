// SPDX-License-Identifier: GPL-2.0
/*
 * The lifecycle's one table of transitions (lifecycle.h), and the names.
 *
 * A reset and a save end where they began: back in the state before them
 * (running or suspended; a save also in suspended, its usual end, as in
 * VirtualBox, where saving the state stops the VM). Powering off is
 * possible from every state but its own, since the guest, a signal or an
 * error can end the machine at any time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "lifecycle.h"

/* A transition's target: the state before the current one. */
#define VMM_BEFORE	VMM_NR_STATES

static const struct vmm_transition {
	enum vmm_state from;
	enum vmm_action action;
	enum vmm_state to;
} vmm_transitions[] = {
	{ VMM_CREATED, VMM_POWER_ON, VMM_RUNNING },
	{ VMM_CREATED, VMM_RESTORE, VMM_RESTORING },
	{ VMM_CREATED, VMM_POWER_OFF, VMM_POWERED_OFF },

	{ VMM_RESTORING, VMM_RESUME, VMM_RUNNING },
	{ VMM_RESTORING, VMM_SUSPEND, VMM_SUSPENDED },	/* --paused */
	{ VMM_RESTORING, VMM_POWER_OFF, VMM_POWERED_OFF },

	{ VMM_RUNNING, VMM_SUSPEND, VMM_SUSPENDED },
	{ VMM_RUNNING, VMM_RESET, VMM_RESETTING },
	{ VMM_RUNNING, VMM_SAVE, VMM_SAVING },
	{ VMM_RUNNING, VMM_POWER_BUTTON, VMM_RUNNING },
	{ VMM_RUNNING, VMM_POWER_OFF, VMM_POWERED_OFF },

	{ VMM_SUSPENDED, VMM_RESUME, VMM_RUNNING },
	{ VMM_SUSPENDED, VMM_RESET, VMM_RESETTING },
	{ VMM_SUSPENDED, VMM_SAVE, VMM_SAVING },
	{ VMM_SUSPENDED, VMM_POWER_OFF, VMM_POWERED_OFF },

	{ VMM_RESETTING, VMM_DONE, VMM_BEFORE },
	{ VMM_RESETTING, VMM_POWER_OFF, VMM_POWERED_OFF },

	{ VMM_SAVING, VMM_DONE, VMM_SUSPENDED },
	{ VMM_SAVING, VMM_CONTINUE, VMM_BEFORE },
	{ VMM_SAVING, VMM_FAIL, VMM_BEFORE },
	{ VMM_SAVING, VMM_POWER_OFF, VMM_POWERED_OFF },
};

static const char *const state_names[VMM_NR_STATES] = {
	[VMM_CREATED] = "created",
	[VMM_RUNNING] = "running",
	[VMM_SUSPENDED] = "suspended",
	[VMM_RESETTING] = "resetting",
	[VMM_SAVING] = "saving",
	[VMM_RESTORING] = "restoring",
	[VMM_POWERED_OFF] = "powered-off",
};

/* As the messages say them: "cannot <name>: the VM is <state>". */
static const char *const action_names[VMM_NR_ACTIONS] = {
	[VMM_POWER_ON] = "power on",
	[VMM_SUSPEND] = "suspend",
	[VMM_RESUME] = "resume",
	[VMM_RESET] = "reset",
	[VMM_SAVE] = "save",
	[VMM_RESTORE] = "restore",
	[VMM_POWER_OFF] = "power off",
	[VMM_DONE] = "finish",
	[VMM_CONTINUE] = "continue",
	[VMM_FAIL] = "fail",
	[VMM_POWER_BUTTON] = "press the power button",
};

/* NONE has no name: the protocol says null. */
static const char *const suspend_names[VMM_NR_SUSPEND_REASONS] = {
	[VMM_SUSPEND_USER] = "user",
	[VMM_SUSPEND_RECONFIGURATION] = "reconfiguration",
	[VMM_SUSPEND_RUNTIME_ERROR] = "runtime-error",
	[VMM_SUSPEND_HOST_SUSPEND] = "host-suspend",
};

static const char *const resume_names[VMM_NR_RESUME_REASONS] = {
	[VMM_RESUME_USER] = "user",
	[VMM_RESUME_RESTORED] = "restored",
	[VMM_RESUME_TELEPORTED] = "teleported",
	[VMM_RESUME_TELEPORT_FAILED] = "teleport-failed",
};

void vmm_lc_init(struct vmm_lifecycle *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->state = VMM_CREATED;
	lc->before = VMM_CREATED;
}

enum vmm_state vmm_lc_next(const struct vmm_lifecycle *lc,
			   enum vmm_action action)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmm_transitions); i++) {
		const struct vmm_transition *t = &vmm_transitions[i];

		if (t->from == lc->state && t->action == action)
			return t->to == VMM_BEFORE ? lc->before : t->to;
	}
	return VMM_NR_STATES;
}

int vmm_lc_apply(struct vmm_lifecycle *lc, enum vmm_action action,
		 char *err, size_t errlen)
{
	enum vmm_state to = vmm_lc_next(lc, action);

	if (to == VMM_NR_STATES) {
		snprintf(err, errlen, "cannot %s: the VM is %s",
			 vmm_action_name(action) ?: "do that",
			 vmm_state_name(lc->state) ?: "in no known state");
		return -EINVAL;
	}
	if (to != lc->state) {
		lc->before = lc->state;
		lc->state = to;
	}
	return 0;
}

const char *vmm_state_name(enum vmm_state state)
{
	return (unsigned int)state < VMM_NR_STATES ? state_names[state] : NULL;
}

const char *vmm_action_name(enum vmm_action action)
{
	return (unsigned int)action < VMM_NR_ACTIONS ? action_names[action] :
						       NULL;
}

const char *vmm_suspend_reason_name(enum vmm_suspend_reason reason)
{
	return (unsigned int)reason < VMM_NR_SUSPEND_REASONS ?
	       suspend_names[reason] : NULL;
}

const char *vmm_resume_reason_name(enum vmm_resume_reason reason)
{
	return (unsigned int)reason < VMM_NR_RESUME_REASONS ?
	       resume_names[reason] : NULL;
}

static int name_find(const char *const *names, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return i;
	return -1;
}

int vmm_suspend_reason_find(const char *name)
{
	return name_find(suspend_names, ARRAY_SIZE(suspend_names), name);
}

int vmm_resume_reason_find(const char *name)
{
	return name_find(resume_names, ARRAY_SIZE(resume_names), name);
}

int vmm_state_find(const char *name)
{
	return name_find(state_names, ARRAY_SIZE(state_names), name);
}
