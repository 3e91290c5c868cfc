// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the module and /dev/vessel with its system ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/preempt.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "vcpu.h"

/*
 * Root-only by default: a VM is a lot of kernel attack surface.  Hosts
 * that want a group to use Vessel set devmode=0660 and a udev rule for the
 * group (Documentation/api.rst).
 */
struct dentry *vessel_debugfs;

static ushort devmode = 0600;
module_param(devmode, ushort, 0444);
MODULE_PARM_DESC(devmode, "permission bits of /dev/vessel (default 0600)");

static void vessel_caps_fill(struct vessel_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	caps->api_version = VESSEL_API_VERSION;
	caps->vmcs_revision = vessel_vmx.revision;
	caps->flags = vessel_vmx.flags | VESSEL_CAP_LAPIC |
		      VESSEL_CAP_RUN_PENDING | vessel_pv_caps();
	caps->nr_cpus = vessel_vmx_nr_cpus();
	caps->max_vcpus = VESSEL_MAX_VCPUS;
	caps->max_mem_slots = VESSEL_MAX_MEM_SLOTS;
	caps->max_mem_bytes = VESSEL_MAX_MEM_BYTES;
	caps->vmx_basic = vessel_vmx.basic;
	caps->vmx_pinbased = vessel_vmx.pinbased;
	caps->vmx_procbased = vessel_vmx.procbased;
	caps->vmx_procbased2 = vessel_vmx.procbased2;
	caps->vmx_exit = vessel_vmx.exit;
	caps->vmx_entry = vessel_vmx.entry;
	caps->vmx_misc = vessel_vmx.misc;
	caps->vmx_ept_vpid = vessel_vmx.ept_vpid;
}

static long vessel_dev_get_caps(void __user *argp)
{
	struct vessel_caps caps;

	vessel_caps_fill(&caps);
	if (copy_to_user(argp, &caps, sizeof(caps)))
		return -EFAULT;
	return 0;
}

static long vessel_dev_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	switch (cmd) {
	case VESSEL_GET_API_VERSION:
		return arg ? -EINVAL : VESSEL_API_VERSION;
	case VESSEL_GET_CAPS:
		return vessel_dev_get_caps((void __user *)arg);
	case VESSEL_CREATE_VM:
		return vessel_vm_create((void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vessel_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= vessel_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice vessel_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "vessel",
	.fops	= &vessel_dev_fops,
};

static int __init vessel_init(void)
{
	int r;

	vessel_abi_check();
	if (devmode & ~0666) {
		pr_err("not loaded: devmode=%#o has bits beyond 0666\n", devmode);
		return -EINVAL;
	}
	r = vessel_vmx_init();
	if (r)
		return r;
	vessel_vmcs_init();

	/* vCPU threads keep their VMCS current across preemption. */
	preempt_notifier_inc();
	vessel_dev.mode = devmode;
	r = misc_register(&vessel_dev);
	if (r) {
		pr_err("not loaded: cannot register /dev/vessel (%d)\n", r);
		goto err_vmx_exit;
	}
	/* Debugfs may be missing or off: then there is simply nothing. */
	vessel_debugfs = debugfs_create_dir("vessel", NULL);
	vessel_fault_inject_init();
	vessel_exit_stages_init();
	pr_info("ready: VMCS revision %#x, caps %#llx, %u CPUs\n",
		vessel_vmx.revision, vessel_vmx.flags, vessel_vmx_nr_cpus());
	return 0;

err_vmx_exit:
	preempt_notifier_dec();
	vessel_vmx_exit();
	return r;
}

static void __exit vessel_exit(void)
{
	misc_deregister(&vessel_dev);
	/* No VM is left: each held a module reference. */
	debugfs_remove_recursive(vessel_debugfs);
	vessel_fault_inject_exit();
	preempt_notifier_dec();
	vessel_vmx_exit();
}

module_init(vessel_init);
module_exit(vessel_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Vessel: virtual machines on Intel VMX");
