// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the lifecycle's table (user/vmm/lifecycle.c): every
 * state with every action, against the transitions
 * Documentation/lifecycle.rst lists, written out again here; the errors
 * that name the action and the state; the names both ways.
 */
#include <errno.h>

#include "tap.h"
#include "vmm/lifecycle.h"

/* What the documentation says; X: refused, B: back to the state before. */
#define X	(-1)
#define B	(-2)

static const int expected[VMM_NR_STATES][VMM_NR_ACTIONS] = {
	[VMM_CREATED] = {
		[VMM_POWER_ON] = VMM_RUNNING, [VMM_SUSPEND] = X,
		[VMM_RESUME] = X, [VMM_RESET] = X, [VMM_SAVE] = X,
		[VMM_RESTORE] = VMM_RESTORING, [VMM_POWER_OFF] = VMM_POWERED_OFF,
		[VMM_DONE] = X, [VMM_CONTINUE] = X, [VMM_FAIL] = X,
		[VMM_POWER_BUTTON] = X,
	},
	[VMM_RUNNING] = {
		[VMM_POWER_ON] = X, [VMM_SUSPEND] = VMM_SUSPENDED,
		[VMM_RESUME] = X, [VMM_RESET] = VMM_RESETTING,
		[VMM_SAVE] = VMM_SAVING, [VMM_RESTORE] = X,
		[VMM_POWER_OFF] = VMM_POWERED_OFF, [VMM_DONE] = X,
		[VMM_CONTINUE] = X, [VMM_FAIL] = X,
		[VMM_POWER_BUTTON] = VMM_RUNNING,
	},
	[VMM_SUSPENDED] = {
		[VMM_POWER_ON] = X, [VMM_SUSPEND] = X,
		[VMM_RESUME] = VMM_RUNNING, [VMM_RESET] = VMM_RESETTING,
		[VMM_SAVE] = VMM_SAVING, [VMM_RESTORE] = X,
		[VMM_POWER_OFF] = VMM_POWERED_OFF, [VMM_DONE] = X,
		[VMM_CONTINUE] = X, [VMM_FAIL] = X, [VMM_POWER_BUTTON] = X,
	},
	[VMM_RESETTING] = {
		[VMM_POWER_ON] = X, [VMM_SUSPEND] = X, [VMM_RESUME] = X,
		[VMM_RESET] = X, [VMM_SAVE] = X, [VMM_RESTORE] = X,
		[VMM_POWER_OFF] = VMM_POWERED_OFF, [VMM_DONE] = B,
		[VMM_CONTINUE] = X, [VMM_FAIL] = X, [VMM_POWER_BUTTON] = X,
	},
	[VMM_SAVING] = {
		[VMM_POWER_ON] = X, [VMM_SUSPEND] = X, [VMM_RESUME] = X,
		[VMM_RESET] = X, [VMM_SAVE] = X, [VMM_RESTORE] = X,
		[VMM_POWER_OFF] = VMM_POWERED_OFF, [VMM_DONE] = VMM_SUSPENDED,
		[VMM_CONTINUE] = B, [VMM_FAIL] = B, [VMM_POWER_BUTTON] = X,
	},
	[VMM_RESTORING] = {
		[VMM_POWER_ON] = X, [VMM_SUSPEND] = VMM_SUSPENDED,
		[VMM_RESUME] = VMM_RUNNING, [VMM_RESET] = X, [VMM_SAVE] = X,
		[VMM_RESTORE] = X, [VMM_POWER_OFF] = VMM_POWERED_OFF,
		[VMM_DONE] = X, [VMM_CONTINUE] = X, [VMM_FAIL] = X,
		[VMM_POWER_BUTTON] = X,
	},
	[VMM_POWERED_OFF] = {
		[VMM_POWER_ON] = X, [VMM_SUSPEND] = X, [VMM_RESUME] = X,
		[VMM_RESET] = X, [VMM_SAVE] = X, [VMM_RESTORE] = X,
		[VMM_POWER_OFF] = X, [VMM_DONE] = X, [VMM_CONTINUE] = X,
		[VMM_FAIL] = X, [VMM_POWER_BUTTON] = X,
	},
};

/* A lifecycle in @state, having come from @before. */
static struct vmm_lifecycle at(enum vmm_state state, enum vmm_state before)
{
	struct vmm_lifecycle lc;

	vmm_lc_init(&lc);
	lc.state = state;
	lc.before = before;
	lc.soft_resets = 3;
	return lc;
}

/* Every pair, from either of the two states a reset or save begins in. */
static void test_table(void)
{
	static const enum vmm_state befores[] = { VMM_RUNNING, VMM_SUSPENDED };
	unsigned int s, a, b;
	char err[128];

	for (b = 0; b < ARRAY_SIZE(befores); b++) {
		for (s = 0; s < VMM_NR_STATES; s++) {
			for (a = 0; a < VMM_NR_ACTIONS; a++) {
				struct vmm_lifecycle lc = at(s, befores[b]);
				int want = expected[s][a];
				int r;

				if (want == B)
					want = befores[b];
				err[0] = '\0';
				r = vmm_lc_apply(&lc, a, err, sizeof(err));
				if (want == X) {
					CHECK_EQ(r, -EINVAL);
					CHECK_EQ(lc.state, s);
					CHECK_EQ(lc.before, befores[b]);
					CHECK(strstr(err, vmm_state_name(s)));
					CHECK_EQ(vmm_lc_next(&lc, a), VMM_NR_STATES);
					continue;
				}
				CHECK_EQ(r, 0);
				CHECK_EQ(lc.state, want);
				/* The state left is remembered; a self-loop forgets nothing. */
				CHECK_EQ(lc.before, (unsigned int)want == s ?
					 befores[b] : s);
				/* The table changes nothing else. */
				CHECK_EQ(lc.soft_resets, 3);
			}
		}
	}
}

static void test_messages(void)
{
	struct vmm_lifecycle lc = at(VMM_RUNNING, VMM_CREATED);
	char err[128];

	CHECK_EQ(vmm_lc_apply(&lc, VMM_RESUME, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "cannot resume: the VM is running");
	lc = at(VMM_SUSPENDED, VMM_RUNNING);
	CHECK_EQ(vmm_lc_apply(&lc, VMM_SUSPEND, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "cannot suspend: the VM is suspended");
	CHECK_EQ(vmm_lc_apply(&lc, VMM_POWER_BUTTON, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "cannot press the power button: the VM is suspended");
	lc = at(VMM_POWERED_OFF, VMM_RUNNING);
	CHECK_EQ(vmm_lc_apply(&lc, VMM_POWER_OFF, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "cannot power off: the VM is powered-off");
	/* A short buffer is cut, never overrun. */
	CHECK_EQ(vmm_lc_apply(&lc, VMM_RESUME, err, 8), -EINVAL);
	CHECK_STR_EQ(err, "cannot ");
	/* Out of range: refused, with a message all the same. */
	lc = at(VMM_RUNNING, VMM_CREATED);
	CHECK_EQ(vmm_lc_apply(&lc, VMM_NR_ACTIONS, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "cannot do that: the VM is running");
	lc.state = VMM_NR_STATES;
	CHECK_EQ(vmm_lc_apply(&lc, VMM_RESUME, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, "cannot resume: the VM is in no known state");
}

/* A whole life: run, suspend, reset while suspended, resume, save, off. */
static void test_sequence(void)
{
	static const struct {
		enum vmm_action action;
		enum vmm_state state;
	} steps[] = {
		{ VMM_POWER_ON, VMM_RUNNING },
		{ VMM_SUSPEND, VMM_SUSPENDED },
		{ VMM_RESET, VMM_RESETTING },
		{ VMM_DONE, VMM_SUSPENDED },
		{ VMM_RESUME, VMM_RUNNING },
		{ VMM_RESET, VMM_RESETTING },
		{ VMM_DONE, VMM_RUNNING },
		{ VMM_SAVE, VMM_SAVING },
		{ VMM_CONTINUE, VMM_RUNNING },
		{ VMM_SAVE, VMM_SAVING },
		{ VMM_FAIL, VMM_RUNNING },
		{ VMM_SAVE, VMM_SAVING },
		{ VMM_DONE, VMM_SUSPENDED },
		{ VMM_POWER_OFF, VMM_POWERED_OFF },
	};
	struct vmm_lifecycle lc;
	char err[128];
	unsigned int i;

	vmm_lc_init(&lc);
	CHECK_EQ(lc.state, VMM_CREATED);
	CHECK_EQ(lc.suspend_reason, VMM_SUSPEND_NONE);
	CHECK_EQ(lc.resume_reason, VMM_RESUME_NONE);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		CHECK_EQ(vmm_lc_apply(&lc, steps[i].action, err, sizeof(err)), 0);
		CHECK_EQ(lc.state, steps[i].state);
	}
}

static void test_names(void)
{
	unsigned int i;

	for (i = 0; i < VMM_NR_STATES; i++) {
		CHECK(vmm_state_name(i));
		CHECK_EQ(vmm_state_find(vmm_state_name(i)), i);
	}
	CHECK_STR_EQ(vmm_state_name(VMM_POWERED_OFF), "powered-off");
	CHECK(!vmm_state_name(VMM_NR_STATES));
	CHECK(!vmm_action_name(VMM_NR_ACTIONS));
	for (i = 0; i < VMM_NR_ACTIONS; i++)
		CHECK(vmm_action_name(i));
	for (i = 1; i < VMM_NR_SUSPEND_REASONS; i++)
		CHECK_EQ(vmm_suspend_reason_find(vmm_suspend_reason_name(i)), i);
	for (i = 1; i < VMM_NR_RESUME_REASONS; i++)
		CHECK_EQ(vmm_resume_reason_find(vmm_resume_reason_name(i)), i);
	/* Never given: null in the protocol, and no name to ask for. */
	CHECK(!vmm_suspend_reason_name(VMM_SUSPEND_NONE));
	CHECK(!vmm_resume_reason_name(VMM_RESUME_NONE));
	CHECK(!vmm_suspend_reason_name(VMM_NR_SUSPEND_REASONS));
	CHECK_EQ(vmm_suspend_reason_find("none"), -1);
	CHECK_EQ(vmm_suspend_reason_find(""), -1);
	CHECK_EQ(vmm_suspend_reason_find("User"), -1);
	CHECK_STR_EQ(vmm_suspend_reason_name(VMM_SUSPEND_RUNTIME_ERROR),
		    "runtime-error");
	CHECK_STR_EQ(vmm_suspend_reason_name(VMM_SUSPEND_HOST_SUSPEND),
		    "host-suspend");
	CHECK_STR_EQ(vmm_resume_reason_name(VMM_RESUME_TELEPORT_FAILED),
		    "teleport-failed");
	CHECK_EQ(vmm_state_find("teleporting"), -1);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_table),
		TAP_TEST(test_messages),
		TAP_TEST(test_sequence),
		TAP_TEST(test_names),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
