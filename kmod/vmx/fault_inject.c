// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: a test's way to make a VMX instruction fail on purpose.
 *
 * A failed VMX instruction is a host bug that no guest or userspace action
 * can cause, yet what follows it - the VM marked dead, every later call
 * EIO, the fds closing cleanly - must be tested.  Writing N to
 * /sys/kernel/debug/vessel/fail_vmx_insn makes the next N VMCS loads (of
 * any vCPU, at the start of VESSEL_RUN, a state ioctl or vCPU creation)
 * fail as a failed VMPTRLD does: counted in vessel_vmx_failures, the vCPU's
 * load failed, -EIO, the VM marked dead by the real code that handles
 * that.  The only difference: no warning is printed, because a kernel
 * warning means a bug to the test machine.  Reading the file gives the
 * failures still armed.
 *
 * Off (the default), the check is a static branch: a NOP, once per VMCS
 * load, never on the VM-exit path.  The key is switched on when failures
 * are armed and off again (from a work item: switching sleeps) once they
 * are used up.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/jump_label.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>

#include "internal.h"
#include "vmx/ops.h"

DEFINE_STATIC_KEY_FALSE(vessel_vmx_fault_key);

static atomic_t fault_armed = ATOMIC_INIT(0);
static DEFINE_MUTEX(fault_lock);	/* arming against disarming */

static void fault_disarm_work(struct work_struct *work)
{
	mutex_lock(&fault_lock);
	if (!atomic_read(&fault_armed))
		static_branch_disable(&vessel_vmx_fault_key);
	mutex_unlock(&fault_lock);
}

static DECLARE_WORK(fault_disarm, fault_disarm_work);

/* Called with the key on: whether this VMCS load is to fail. */
bool vessel_vmx_fault_take(void)
{
	int left = atomic_dec_if_positive(&fault_armed);

	if (left == 0)
		schedule_work(&fault_disarm);
	return left >= 0;
}

static int fault_armed_get(void *data, u64 *val)
{
	*val = atomic_read(&fault_armed);
	return 0;
}

static int fault_armed_set(void *data, u64 val)
{
	if (val > INT_MAX)
		return -EINVAL;
	mutex_lock(&fault_lock);
	atomic_set(&fault_armed, val);
	if (val)
		static_branch_enable(&vessel_vmx_fault_key);
	else
		static_branch_disable(&vessel_vmx_fault_key);
	mutex_unlock(&fault_lock);
	if (val)
		pr_info("%llu VMX instruction failure(s) armed for testing\n", val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(fault_armed_fops, fault_armed_get, fault_armed_set,
			 "%llu\n");

/* In the module's debugfs directory (main.c), which removes it. */
void vessel_fault_inject_init(void)
{
	debugfs_create_file_unsafe("fail_vmx_insn", 0600, vessel_debugfs, NULL,
				   &fault_armed_fops);
}

/* After the knob is gone: nothing can arm failures any more. */
void vessel_fault_inject_exit(void)
{
	cancel_work_sync(&fault_disarm);
	static_branch_disable(&vessel_vmx_fault_key);
}
