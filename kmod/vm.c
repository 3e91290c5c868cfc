// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the VM object (a file descriptor) and its ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "irq/lapic.h"
#include "vcpu.h"

/**
 * vessel_vm_mark_dead() - stop trusting a VM whose VMX state may be wrong
 * @vm:		the VM
 * @why:	what failed, for the one log line
 *
 * After a VMX instruction failed the module cannot vouch for the VMCS or
 * EPT; every later call on the VM fails with -EIO.  The cause is a host
 * bug and was already warned about once where it happened.
 */
void vessel_vm_mark_dead(struct vessel_vm *vm, const char *why)
{
	if (!xchg(&vm->dead, true))
		pr_err_ratelimited("VM marked dead: %s\n", why);
}

void vessel_counters_add(struct vessel_counters *sum,
			 const struct vessel_counters *c)
{
	unsigned int i;

	sum->runs += c->runs;
	sum->entries += c->entries;
	for (i = 0; i < ARRAY_SIZE(c->vmx_exits); i++)
		sum->vmx_exits[i] += c->vmx_exits[i];
	for (i = 0; i < ARRAY_SIZE(c->user_exits); i++)
		sum->user_exits[i] += c->user_exits[i];
	for (i = 0; i < ARRAY_SIZE(c->injected); i++)
		sum->injected[i] += c->injected[i];
	sum->tlb_flushes += c->tlb_flushes;
}

static long vessel_vm_get_counters(struct vessel_vm *vm,
				   struct vessel_counters __user *uarg)
{
	struct vessel_counters *sum;
	unsigned int i;
	long r = 0;
	u32 flags;

	if (get_user(flags, &uarg->flags))
		return -EFAULT;
	if (flags)
		return -EINVAL;
	sum = kzalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	spin_lock(&vm->counters_lock);
	vessel_counters_add(sum, &vm->counters);
	spin_unlock(&vm->counters_lock);
	/* Live vCPUs' counters are read racily: statistics, not state. */
	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vessel_counters_add(sum, &vm->vcpus[i]->counters);
	mutex_unlock(&vm->lock);
	sum->ept_leaves_4k = atomic_long_read(&vm->mem.leaves_4k);
	sum->ept_leaves_2m = atomic_long_read(&vm->mem.leaves_2m);
	sum->dirty_faults = atomic_long_read(&vm->mem.dirty_faults);
	if (copy_to_user(uarg, sum, sizeof(*sum)))
		r = -EFAULT;
	kfree(sum);
	return r;
}

static long vessel_vm_set_memory(struct vessel_vm *vm,
				 const struct vessel_memory_region __user *uarg)
{
	struct vessel_memory_region r;

	if (copy_from_user(&r, uarg, sizeof(r)))
		return -EFAULT;
	return vessel_mem_set_region(vm, &r);
}

static long vessel_vm_dirty_log(struct vessel_vm *vm, unsigned int cmd,
				const struct vessel_dirty_log __user *uarg)
{
	struct vessel_dirty_log d;

	if (copy_from_user(&d, uarg, sizeof(d)))
		return -EFAULT;
	if (cmd == VESSEL_GET_DIRTY_LOG)
		return vessel_mem_get_dirty_log(vm, &d);
	return vessel_mem_clear_dirty_log(vm, &d);
}

static long vessel_vm_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct vessel_vm *vm = file->private_data;
	void __user *argp = (void __user *)arg;

	if (READ_ONCE(vm->dead))
		return -EIO;
	switch (cmd) {
	case VESSEL_SET_MEMORY_REGION:
		return vessel_vm_set_memory(vm, argp);
	case VESSEL_CREATE_VCPU:
		return arg > U32_MAX ? -EINVAL : vessel_vcpu_create(vm, arg);
	case VESSEL_SET_CPUID:
		return vessel_vm_set_cpuid(vm, argp);
	case VESSEL_GET_CPUID:
		return vessel_vm_get_cpuid(vm, argp);
	case VESSEL_SET_USER_MSRS:
		return vessel_vm_set_user_msrs(vm, argp);
	case VESSEL_GET_COUNTERS:
		return vessel_vm_get_counters(vm, argp);
	case VESSEL_SIGNAL_MSI:
		return vessel_vm_signal_msi(vm, argp);
	case VESSEL_GET_LAPIC_INFO:
		return vessel_vm_get_lapic_info(argp);
	case VESSEL_GET_DIRTY_LOG:
	case VESSEL_CLEAR_DIRTY_LOG:
		return vessel_vm_dirty_log(vm, cmd, argp);
	default:
		return vessel_pv_vm_ioctl(vm, cmd, argp);
	}
}

/* The last reference is gone: no vCPU and no VM fd remain. */
static int vessel_vm_release(struct inode *inode, struct file *file)
{
	struct vessel_vm *vm = file->private_data;

	vessel_mem_destroy(vm);
	kfree(vm->cpuid);
	mmdrop(vm->mm);
	kfree(vm);
	vessel_vmx_put();
	return 0;
}

static const struct file_operations vessel_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= vessel_vm_release,
	.unlocked_ioctl	= vessel_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static int vm_check_create(const struct vessel_vm_create __user *uarg,
			   struct vessel_vm_create *c)
{
	if (copy_from_user(c, uarg, sizeof(*c)))
		return -EFAULT;
	if ((c->flags & ~VESSEL_VM_LAPIC) || c->reserved0 ||
	    memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	return 0;
}

/**
 * vessel_vm_create() - VESSEL_CREATE_VM: a new VM and its fd
 * @uarg:	the ioctl's argument, in userspace
 *
 * The VM's guest memory will be the calling process's; VMX operation is
 * entered on every CPU for as long as the VM lives.
 *
 * Return: the VM's fd, or a negative errno (Documentation/api.rst).
 */
long vessel_vm_create(const struct vessel_vm_create __user *uarg)
{
	struct vessel_vm_create c;
	struct vessel_vm *vm;
	int fd, r;

	r = vm_check_create(uarg, &c);
	if (r)
		return r;
	r = vessel_vmx_get();
	if (r)
		return r;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		r = -ENOMEM;
		goto err_vmx_put;
	}
	mutex_init(&vm->lock);
	spin_lock_init(&vm->counters_lock);
	/* The guest's TSC starts at zero with the VM. */
	vm->tsc_offset = -(s64)rdtsc();
	vm->mm = current->mm;
	mmgrab(vm->mm);
	vm->lapic = c.flags & VESSEL_VM_LAPIC;
	r = vessel_pv_vm_create(vm, c.pv_provider, c.pv_version);
	if (r)
		goto err_mmdrop;
	r = vessel_cpuid_init(vm);
	if (r)
		goto err_mmdrop;
	r = vessel_mem_init(vm);
	if (r)
		goto err_free_cpuid;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_mem_destroy;
	}
	vm->file = anon_inode_getfile("vessel-vm", &vessel_vm_fops, vm, O_RDWR);
	if (IS_ERR(vm->file)) {
		put_unused_fd(fd);
		r = PTR_ERR(vm->file);
		goto err_mem_destroy;
	}
	fd_install(fd, vm->file);
	return fd;

err_mem_destroy:
	vessel_mem_destroy(vm);
err_free_cpuid:
	kfree(vm->cpuid);
err_mmdrop:
	mmdrop(vm->mm);
	kfree(vm);
err_vmx_put:
	vessel_vmx_put();
	return r;
}
