// SPDX-License-Identifier: GPL-2.0
/*
 * The machine's lifecycle in motion: the state changes of lifecycle.h
 * applied under the device lock and told to the control socket's
 * watchers, and suspend, resume and power-off as the control socket asks
 * for them (Documentation/lifecycle.rst).
 *
 * A suspended machine is held by the main thread: every vCPU parked at an
 * instruction boundary (pause.c), the devices' timers stopped (timer.h)
 * and the guest's time stopped (clock.c). The main thread then lets go of
 * the device lock and goes on serving the control socket, and reads no
 * input for the UART: the devices do not change while suspended, so a
 * save sees what the guest saw.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "internal.h"
#include "snapshot.h"

static void add(struct json_object *obj, const char *key,
		struct json_object *v)
{
	if (obj && v)
		json_object_object_add(obj, key, v);
	else
		json_object_put(v);
}

int vmm_transition_locked(struct vmm *vmm, enum vmm_action action,
			  struct json_object *detail, char *err, size_t errlen)
{
	enum vmm_state from = vmm->lc.state;
	struct json_object *ev;
	int r;

	r = vmm_lc_apply(&vmm->lc, action, err, errlen);
	if (r || vmm->lc.state == from) {
		json_object_put(detail);
		return r;
	}
	ev = ctl_event_new("state");
	add(ev, "state", json_object_new_string(vmm_state_name(vmm->lc.state)));
	add(ev, "previous", json_object_new_string(vmm_state_name(from)));
	if (ev && detail) {
		json_object_object_foreach(detail, key, v)
			add(ev, key, json_object_get(v));
	}
	json_object_put(detail);
	vmm_control_event_locked(vmm, ev, NULL);
	return 0;
}

/* A detail object with one string member. */
static struct json_object *detail_str(const char *key, const char *val)
{
	struct json_object *d = json_object_new_object();

	add(d, key, json_object_new_string(val));
	return d;
}

/*
 * Every vCPU paused by the main thread, their time and the devices'
 * stopped: what suspend and save start from. Returns 0, or -ECANCELED
 * (the VM is stopping) or -errno with @err set.
 */
int vmm_hold_locked(struct vmm *vmm, char *err, size_t errlen)
{
	int r;

	/* Another pause (a guest's reset) first ends, then ours begins. */
	while ((r = vmm_pause_locked(vmm, NULL)) == -EBUSY)
		;
	if (r) {
		snprintf(err, errlen, "the VM is stopping");
		return r;
	}
	vmm_timers_pause(&vmm->timers);
	r = vmm_clock_stop(vmm);
	if (r) {
		snprintf(err, errlen, "cannot read the guest's clocks: %s",
			 strerror(-r));
		vmm_timers_resume(&vmm->timers);
		vmm_resume_locked(vmm);
		return r;
	}
	vmm->held = true;
	return 0;
}

/*
 * Let the vCPUs go again, their time going on from where it stopped.
 * When the clocks cannot be put back the guest would run with its time
 * wrong: the machine ends instead (-EIO, @err set).
 */
int vmm_release_locked(struct vmm *vmm, char *err, size_t errlen)
{
	int r = vmm_clock_start(vmm);

	vmm->held = false;
	if (r) {
		snprintf(err, errlen, "cannot restart the guest's clocks: %s",
			 strerror(-r));
		console_error(&vmm->con, "%s", err);
		vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
		return -EIO;
	}
	vmm_timers_resume(&vmm->timers);
	vmm_resume_locked(vmm);
	/* stdin may go to the UART again. */
	vmm_wake_main(vmm);
	return 0;
}

/* The table's answer before acting: the error names action and state. */
static int vmm_check_locked(struct vmm *vmm, enum vmm_action action,
			    enum ctl_error *code, char *err, size_t errlen)
{
	struct vmm_lifecycle lc = vmm->lc;

	*code = CTL_ERR_INVALID_STATE;
	return vmm_lc_apply(&lc, action, err, errlen);
}

int vmm_suspend_locked(struct vmm *vmm, enum vmm_suspend_reason reason,
		       enum ctl_error *code, char *err, size_t errlen)
{
	int r = vmm_check_locked(vmm, VMM_SUSPEND, code, err, errlen);

	if (r)
		return r;
	*code = CTL_ERR_FAILED;
	r = vmm_hold_locked(vmm, err, errlen);
	if (r)
		return r;
	vmm->lc.suspend_reason = reason;
	return vmm_transition_locked(vmm, VMM_SUSPEND,
				     detail_str("reason", vmm_suspend_reason_name(reason)),
				     err, errlen);
}

int vmm_resume_user_locked(struct vmm *vmm, enum vmm_resume_reason reason,
			   enum ctl_error *code, char *err, size_t errlen)
{
	int r = vmm_check_locked(vmm, VMM_RESUME, code, err, errlen);

	if (r)
		return r;
	*code = CTL_ERR_FAILED;
	r = vmm_release_locked(vmm, err, errlen);
	if (r)
		return r;
	vmm->lc.resume_reason = reason;
	return vmm_transition_locked(vmm, VMM_RESUME,
				     detail_str("reason", vmm_resume_reason_name(reason)),
				     err, errlen);
}

int vmm_poweroff_locked(struct vmm *vmm, enum ctl_error *code, char *err,
			size_t errlen)
{
	int r = vmm_check_locked(vmm, VMM_POWER_OFF, code, err, errlen);

	if (r)
		return r;
	console_error(&vmm->con, "powered off through the control socket");
	vmm_stop_locked(vmm, VESSEL_EXIT_OK);
	return 0;
}

/* A save's progress, to the watchers and @c: each whole percent once. */
struct save_progress {
	struct vmm *vmm;
	struct ctl_client *c;	/* who asked for the save */
	int last;		/* the percent last told, or -1 */
};

static void save_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct save_progress *p = opaque;
	struct json_object *ev;
	int percent;

	/* done <= total <= guest memory: done * 100 cannot overflow. */
	percent = total && done < total ? (int)(done * 100 / total) : 100;
	if (percent == p->last)
		return;
	p->last = percent;
	ev = ctl_event_new("progress");
	add(ev, "operation", json_object_new_string("save"));
	add(ev, "percent", json_object_new_int(percent));
	vmm_control_event_locked(p->vmm, ev, p->c);
	/* The main thread is busy saving: out now, not at its next poll. */
	vmm_control_flush_locked(p->vmm);
}

/*
 * save FILE [--continue]: the machine held (suspended first if it ran),
 * written by vmm_save() (snapshot.h), and then left suspended, or let go
 * again with --continue. Progress events go to the watchers and to @c,
 * the client that asked. A save that fails has left no file and loses
 * nothing: the machine goes back to what it was.
 */
int vmm_save_user_locked(struct vmm *vmm, struct ctl_client *c,
			 const char *file, bool cont, enum ctl_error *code,
			 char *err, size_t errlen)
{
	struct save_progress progress = { .vmm = vmm, .c = c, .last = -1 };
	bool was_held = vmm->held;
	char why[256];
	int r = vmm_check_locked(vmm, VMM_SAVE, code, err, errlen);

	if (r)
		return r;
	*code = CTL_ERR_FAILED;
	if (!was_held) {
		r = vmm_hold_locked(vmm, err, errlen);
		if (r)
			return r;
	}
	vmm_transition_locked(vmm, VMM_SAVE, detail_str("file", file), why,
			      sizeof(why));
	r = vmm_save(vmm, file, save_progress, &progress, err, errlen);
	if (r) {
		vmm_transition_locked(vmm, VMM_FAIL, detail_str("error", err),
				      why, sizeof(why));
		if (!was_held && vmm_release_locked(vmm, why, sizeof(why)))
			snprintf(err, errlen, "%s", why);
		return r;
	}
	if (cont) {
		vmm_transition_locked(vmm, VMM_CONTINUE, NULL, why, sizeof(why));
		return was_held ? 0 : vmm_release_locked(vmm, err, errlen);
	}
	/* Saved and stopped, as VirtualBox's save state: suspended. */
	if (!was_held)
		vmm->lc.suspend_reason = VMM_SUSPEND_USER;
	return vmm_transition_locked(vmm, VMM_DONE,
				     detail_str("reason", vmm_suspend_reason_name(vmm->lc.suspend_reason)),
				     err, errlen);
}

/*
 * A restored machine's start (vessel restore): it resumes, for the reason
 * "restored"; or with --paused (start_held) its vCPU threads park before
 * they first run the guest, and vmm_restored_hold_locked() holds it there,
 * suspended, once they are started.
 */
void vmm_restored_start_locked(struct vmm *vmm)
{
	char err[128];

	if (vmm->start_held) {
		vmm->pausing = true;
		return;
	}
	vmm->lc.resume_reason = VMM_RESUME_RESTORED;
	vmm_transition_locked(vmm, VMM_RESUME,
			      detail_str("reason", vmm_resume_reason_name(VMM_RESUME_RESTORED)),
			      err, sizeof(err));
}

void vmm_restored_hold_locked(struct vmm *vmm)
{
	char err[128];
	int r;

	/* As vmm_pause_locked() waits: every vCPU parked, or the end. */
	while (vmm->parked < vmm->nr_vcpus && !vmm->stopping)
		pthread_cond_wait(&vmm->pause_cond, &vmm->lock);
	if (vmm->stopping)
		return;
	vmm_timers_pause(&vmm->timers);
	r = vmm_clock_stop(vmm);
	if (r) {
		console_error(&vmm->con, "cannot read the guest's clocks: %s",
			      strerror(-r));
		vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
		return;
	}
	vmm->held = true;
	vmm->lc.suspend_reason = VMM_SUSPEND_USER;
	vmm_transition_locked(vmm, VMM_SUSPEND,
			      detail_str("reason", vmm_suspend_reason_name(VMM_SUSPEND_USER)),
			      err, sizeof(err));
}
