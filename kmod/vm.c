// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the VM object (a file descriptor) and its ioctls.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
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

/* The VM's counters: its closed vCPUs' and its live ones' added up. */
static void vm_counters_sum(struct vessel_vm *vm, struct vessel_counters *sum)
{
	unsigned int i;

	spin_lock(&vm->counters_lock);
	vessel_counters_add(sum, &vm->counters);
	spin_unlock(&vm->counters_lock);
	/* Live vCPUs' counters are read racily: statistics, not state. */
	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vessel_counters_add(sum, &vm->vcpus[i]->counters);
	mutex_unlock(&vm->lock);
}

static long vessel_vm_get_counters(struct vessel_vm *vm,
				   struct vessel_counters __user *uarg)
{
	struct vessel_counters *sum;
	long r = 0;
	u32 flags;

	if (get_user(flags, &uarg->flags))
		return -EFAULT;
	if (flags)
		return -EINVAL;
	sum = kzalloc(sizeof(*sum), GFP_KERNEL);
	if (!sum)
		return -ENOMEM;
	vm_counters_sum(vm, sum);
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
	default:
		return vessel_pv_vm_ioctl(vm, cmd, argp);
	}
}

/*
 * debugfs: /sys/kernel/debug/vessel/PID-FD/counters, what
 * VESSEL_GET_COUNTERS gives for the VM, as "name value" lines for
 * `vessel stat` (Documentation/lifecycle.rst): the scalars always, the
 * counts by exit reason and injected event only when not zero.
 */
static int vm_counters_show(struct seq_file *m, void *unused)
{
	static const char * const injected[] = {
		"interrupt", "nmi", "exception", "reinjected",
	};
	struct vessel_vm *vm = m->private;
	struct vessel_counters *c;
	u64 exits = 0;
	unsigned int i;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	vm_counters_sum(vm, c);
	for (i = 0; i < ARRAY_SIZE(c->vmx_exits); i++)
		exits += c->vmx_exits[i];
	seq_printf(m, "runs %llu\nentries %llu\nexits %llu\ntlb_flushes %llu\n",
		   c->runs, c->entries, exits, c->tlb_flushes);
	for (i = 0; i < ARRAY_SIZE(c->vmx_exits); i++)
		if (c->vmx_exits[i])
			seq_printf(m, "exit.%u %llu\n", i, c->vmx_exits[i]);
	for (i = 0; i < ARRAY_SIZE(c->user_exits); i++)
		if (c->user_exits[i])
			seq_printf(m, "user_exit.%u %llu\n", i, c->user_exits[i]);
	BUILD_BUG_ON(ARRAY_SIZE(injected) != ARRAY_SIZE(c->injected));
	for (i = 0; i < ARRAY_SIZE(c->injected); i++)
		if (c->injected[i])
			seq_printf(m, "injected.%s %llu\n", injected[i],
				   c->injected[i]);
	kfree(c);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vm_counters);

/*
 * The VM's debugfs directory, named as KVM names its own: the creating
 * process and the VM's fd. That name can still be taken by a VM whose fd
 * was closed while its vCPUs live on; this VM then gets a sequence number
 * too. Read-only counters; without debugfs, nothing.  Before the fd is
 * installed: until then nothing can release the VM under us.
 */
static void vm_debugfs_init(struct vessel_vm *vm, int fd)
{
	static atomic_t seq = ATOMIC_INIT(0);
	struct dentry *dir;
	char name[48];

	if (IS_ERR_OR_NULL(vessel_debugfs))
		return;
	snprintf(name, sizeof(name), "%d-%d", task_tgid_nr(current), fd);
	dir = debugfs_lookup(name, vessel_debugfs);
	if (dir) {
		dput(dir);
		snprintf(name, sizeof(name), "%d-%d.%d", task_tgid_nr(current),
			 fd, atomic_inc_return(&seq));
	}
	dir = debugfs_create_dir(name, vessel_debugfs);
	if (IS_ERR(dir))
		return;
	vm->debugfs = dir;
	debugfs_create_file("counters", 0444, dir, vm, &vm_counters_fops);
	vessel_pv_debugfs_init(vm, dir);
}

/* The last reference is gone: no vCPU and no VM fd remain. */
static int vessel_vm_release(struct inode *inode, struct file *file)
{
	struct vessel_vm *vm = file->private_data;

	/* Waits for readers of its files: nothing reads the VM after this. */
	debugfs_remove_recursive(vm->debugfs);
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
	vm_debugfs_init(vm, fd);
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
