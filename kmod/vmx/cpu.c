// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: VMX detection and per-CPU VMX operation (VMXON/VMXOFF).
 *
 * VMX root operation is entered only while at least one user needs it
 * (vessel_vmx_get/put), the way KVM does it since 6.x: with no VM alive the
 * CPUs are left out of VMX, so kvm_intel and vessel.ko can be used one after
 * the other in the same boot.  If another hypervisor holds VMX on a CPU
 * (CR4.VMXE already set), we fail with -EBUSY rather than share it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>
#include <asm/cpufeature.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/perf_event.h>
#include <asm/processor.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "internal.h"
#include "vcpu.h"

struct vessel_vmx_config vessel_vmx __read_mostly;

/* Per-CPU VMXON region and whether this CPU is in VMX root operation. */
static DEFINE_PER_CPU(struct page *, vmxon_page);
static DEFINE_PER_CPU(bool, vmx_on);

/*
 * Users of VMX.  Changed with the CPU hotplug read lock held and then
 * vmx_lock, so that hotplug callbacks (which run under the write lock) may
 * read it without taking vmx_lock.
 */
static DEFINE_MUTEX(vmx_lock);
static unsigned int vmx_users;
static enum cpuhp_state vmx_hp_state;
static unsigned int vmx_cpus_checked;

/* Allowed-1 bits of a VMX control capability MSR are in its high half. */
static bool vmx_ctl_allows(u64 cap, u32 bits)
{
	return ((cap >> 32) & bits) == bits;
}

static u64 vmx_read_ctl_msr(u32 true_msr, u32 msr)
{
	u64 v;

	rdmsrl(vessel_vmx.basic & VMX_BASIC_TRUE_CTLS ? true_msr : msr, v);
	return v;
}

/* Which optional features the module can use, as VESSEL_CAP_* bits. */
static u64 vmx_compute_caps(void)
{
	static const struct {
		u64 cap;
		u32 proc2;
	} proc2_caps[] = {
		{ VESSEL_CAP_VPID, SECONDARY_EXEC_ENABLE_VPID },
		{ VESSEL_CAP_APIC_ACCESS, SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES },
		{ VESSEL_CAP_X2APIC_VIRT, SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE },
		{ VESSEL_CAP_XSAVES, SECONDARY_EXEC_ENABLE_XSAVES },
		{ VESSEL_CAP_RDTSCP, SECONDARY_EXEC_ENABLE_RDTSCP },
		{ VESSEL_CAP_INVPCID, SECONDARY_EXEC_ENABLE_INVPCID },
		{ VESSEL_CAP_TSC_SCALING, SECONDARY_EXEC_TSC_SCALING },
		{ VESSEL_CAP_PML, SECONDARY_EXEC_ENABLE_PML },
		{ VESSEL_CAP_SHADOW_VMCS, SECONDARY_EXEC_SHADOW_VMCS },
	};
	const struct vessel_vmx_config *c = &vessel_vmx;
	u64 caps = VESSEL_CAP_EPT | VESSEL_CAP_UNRESTRICTED_GUEST;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(proc2_caps); i++)
		if (vmx_ctl_allows(c->procbased2, proc2_caps[i].proc2))
			caps |= proc2_caps[i].cap;
	if (!(c->ept_vpid & ((u64)VMX_VPID_INVVPID_BIT << 32)))
		caps &= ~VESSEL_CAP_VPID;
	if (c->ept_vpid & VMX_EPT_AD_BIT)
		caps |= VESSEL_CAP_EPT_AD;
	if (c->ept_vpid & VMX_EPT_2MB_PAGE_BIT)
		caps |= VESSEL_CAP_EPT_2M;
	if (c->ept_vpid & VMX_EPT_1GB_PAGE_BIT)
		caps |= VESSEL_CAP_EPT_1G;
	if (vmx_ctl_allows(c->procbased, CPU_BASED_TPR_SHADOW))
		caps |= VESSEL_CAP_TPR_SHADOW;
	if (vmx_ctl_allows(c->procbased, CPU_BASED_USE_MSR_BITMAPS))
		caps |= VESSEL_CAP_MSR_BITMAP;
	if (vmx_ctl_allows(c->pinbased, PIN_BASED_VMX_PREEMPTION_TIMER))
		caps |= VESSEL_CAP_PREEMPTION_TIMER;
	return caps;
}

/*
 * Read the capability MSRs and refuse hosts without what Vessel requires:
 * write-back VMCS memory, EPT with a 4-level walk, write-back EPT paging
 * structures and INVEPT, and unrestricted guest (real mode runs natively).
 * Returns a reason for the one log line, or NULL.
 */
static const char *vmx_read_config(void)
{
	struct vessel_vmx_config *c = &vessel_vmx;
	u64 need_ept = VMX_EPT_PAGE_WALK_4_BIT | VMX_EPTP_WB_BIT |
		       VMX_EPT_INVEPT_BIT;

	rdmsrl(MSR_IA32_VMX_BASIC, c->basic);
	c->revision = c->basic & 0x7fffffff;
	c->region_size = vmx_basic_vmcs_size(c->basic);
	if (vmx_basic_vmcs_mem_type(c->basic) != X86_MEMTYPE_WB)
		return "VMCS memory type is not write-back";
	if (c->region_size > PAGE_SIZE)
		return "VMCS region larger than a page";

	c->pinbased = vmx_read_ctl_msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS,
				       MSR_IA32_VMX_PINBASED_CTLS);
	c->procbased = vmx_read_ctl_msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS,
					MSR_IA32_VMX_PROCBASED_CTLS);
	c->exit = vmx_read_ctl_msr(MSR_IA32_VMX_TRUE_EXIT_CTLS,
				   MSR_IA32_VMX_EXIT_CTLS);
	c->entry = vmx_read_ctl_msr(MSR_IA32_VMX_TRUE_ENTRY_CTLS,
				    MSR_IA32_VMX_ENTRY_CTLS);
	rdmsrl(MSR_IA32_VMX_MISC, c->misc);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, c->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, c->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, c->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, c->cr4_fixed1);

	if (!vmx_ctl_allows(c->procbased,
			    CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		return "no secondary processor-based controls (EPT needs them)";
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, c->procbased2);
	if (!vmx_ctl_allows(c->procbased2, SECONDARY_EXEC_ENABLE_EPT))
		return "no EPT";
	if (!vmx_ctl_allows(c->procbased2, SECONDARY_EXEC_UNRESTRICTED_GUEST))
		return "no unrestricted guest";
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, c->ept_vpid);
	if ((c->ept_vpid & need_ept) != need_ept)
		return "EPT lacks 4-level walk, write-back or INVEPT";
	if (!(c->ept_vpid & (VMX_EPT_EXTENT_CONTEXT_BIT |
			     VMX_EPT_EXTENT_GLOBAL_BIT)))
		return "INVEPT supports neither single-context nor global";

	c->flags = vmx_compute_caps();
	return NULL;
}

/*
 * IA32_FEATURE_CONTROL must allow VMXON outside SMX.  Firmware normally
 * locks it; if it was left unlocked, enable VMX and lock it, as KVM does.
 */
static int vmx_cpu_feature_control(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc))
		return -EOPNOTSUPP;
	if (!(fc & FEAT_CTL_LOCKED)) {
		fc |= FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX;
		if (wrmsrl_safe(MSR_IA32_FEAT_CTL, fc))
			return -EOPNOTSUPP;
	}
	return fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX ? 0 : -EOPNOTSUPP;
}

/* Enter VMX root operation on this CPU.  Called with preemption off. */
static int vmx_cpu_enable(void)
{
	int cpu = smp_processor_id();
	struct page *page = per_cpu(vmxon_page, cpu);
	u64 cr0 = read_cr0();
	u64 cr4 = __read_cr4() | X86_CR4_VMXE;

	if (per_cpu(vmx_on, cpu))
		return 0;
	/* Somebody else (another hypervisor) is in VMX operation here. */
	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;
	if (!page || vmx_cpu_feature_control())
		return -EOPNOTSUPP;
	/* CR0/CR4 bits VMX requires fixed; Linux runs with all of them. */
	if ((cr0 & vessel_vmx.cr0_fixed0) != vessel_vmx.cr0_fixed0 ||
	    (cr0 & ~vessel_vmx.cr0_fixed1) ||
	    (cr4 & vessel_vmx.cr4_fixed0) != vessel_vmx.cr4_fixed0 ||
	    (cr4 & ~vessel_vmx.cr4_fixed1))
		return -EOPNOTSUPP;

	*(u32 *)page_address(page) = vessel_vmx.revision;
	/* Intel PT cannot trace in VMX operation on older CPUs. */
	intel_pt_handle_vmx(1);
	cr4_set_bits(X86_CR4_VMXE);
	if (vessel_vmxon(page_to_phys(page))) {
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
		return -EIO;
	}
	per_cpu(vmx_on, cpu) = true;
	/* Stale EPT translations of a previous owner of VMX must not survive. */
	if (vessel_vmx.ept_vpid & VMX_EPT_EXTENT_GLOBAL_BIT)
		vessel_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	return 0;
}

static void vmx_cpu_disable(void)
{
	int cpu = smp_processor_id();

	/* The host's MSRs back, our user-return notifier gone (uret.c). */
	vessel_uret_drop();
	if (!per_cpu(vmx_on, cpu))
		return;
	/* Active VMCSs must reach memory before VMX operation ends. */
	vessel_vmcs_clear_all_local();
	WARN_ONCE(vessel_vmxoff(), "vessel: VMXOFF faulted on CPU %d\n", cpu);
	cr4_clear_bits(X86_CR4_VMXE);
	intel_pt_handle_vmx(0);
	per_cpu(vmx_on, cpu) = false;
}

static void vmx_cpu_enable_ipi(void *failed)
{
	int r = vmx_cpu_enable();

	if (r)
		atomic_cmpxchg(failed, 0, r);
}

static void vmx_cpu_disable_ipi(void *unused)
{
	vmx_cpu_disable();
}

/* Whether this CPU matches the boot CPU and can do VMXON/VMXOFF at all. */
static void vmx_cpu_check_ipi(void *failed)
{
	u64 basic, proc2 = 0, ept = 0;
	int r;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, proc2);
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept);
	if (basic != vessel_vmx.basic || proc2 != vessel_vmx.procbased2 ||
	    ept != vessel_vmx.ept_vpid) {
		atomic_cmpxchg(failed, 0, -EINVAL);
		return;
	}
	r = vmx_cpu_enable();
	if (r) {
		atomic_cmpxchg(failed, 0, r);
		return;
	}
	vmx_cpu_disable();
}

static int vmx_enable_all(void)
{
	atomic_t failed = ATOMIC_INIT(0);

	on_each_cpu(vmx_cpu_enable_ipi, &failed, 1);
	if (atomic_read(&failed)) {
		on_each_cpu(vmx_cpu_disable_ipi, NULL, 1);
		return atomic_read(&failed);
	}
	return 0;
}

/**
 * vessel_vmx_get() - take a reference on VMX root operation on all CPUs
 *
 * Return: 0, or -EBUSY when another hypervisor owns VMX on some CPU.
 */
int vessel_vmx_get(void)
{
	int r = 0;

	cpus_read_lock();
	mutex_lock(&vmx_lock);
	if (!vmx_users) {
		r = vmx_enable_all();
		if (r == -EBUSY)
			pr_warn_ratelimited("VMX is in use by another hypervisor\n");
	}
	if (!r)
		vmx_users++;
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
	return r;
}

void vessel_vmx_put(void)
{
	cpus_read_lock();
	mutex_lock(&vmx_lock);
	if (!WARN_ON_ONCE(!vmx_users) && !--vmx_users)
		on_each_cpu(vmx_cpu_disable_ipi, NULL, 1);
	mutex_unlock(&vmx_lock);
	cpus_read_unlock();
}

unsigned int vessel_vmx_nr_cpus(void)
{
	return vmx_cpus_checked;
}

/* A CPU coming online joins VMX operation if VMs are alive. */
static int vmx_cpu_online(unsigned int cpu)
{
	int r = 0;

	if (!READ_ONCE(vmx_users))
		return 0;
	preempt_disable();
	r = vmx_cpu_enable();
	preempt_enable();
	return r;
}

static int vmx_cpu_offline(unsigned int cpu)
{
	preempt_disable();
	vmx_cpu_disable();
	preempt_enable();
	return 0;
}

/*
 * INIT is blocked in VMX root operation, so an AP left in it would not come
 * back after a reboot or a kexec: leave VMX on every CPU first.
 */
static int vmx_reboot(struct notifier_block *nb, unsigned long code, void *p)
{
	on_each_cpu(vmx_cpu_disable_ipi, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot,
};

static void vmx_free_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_page, cpu))
			__free_page(per_cpu(vmxon_page, cpu));
		per_cpu(vmxon_page, cpu) = NULL;
	}
}

static int vmx_alloc_regions(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page *p = alloc_pages_node(cpu_to_node(cpu),
						  GFP_KERNEL | __GFP_ZERO, 0);
		if (!p) {
			vmx_free_regions();
			return -ENOMEM;
		}
		per_cpu(vmxon_page, cpu) = p;
	}
	return 0;
}

static const char *vmx_errno_reason(int r)
{
	switch (r) {
	case -EBUSY:
		return "VMX is in use by another hypervisor";
	case -EINVAL:
		return "CPUs report different VMX capabilities";
	case -EIO:
		return "VMXON failed";
	default:
		return "VMX disabled by firmware (IA32_FEATURE_CONTROL)";
	}
}

/**
 * vessel_vmx_init() - detect VMX and verify VMXON/VMXOFF on every CPU
 *
 * On failure exactly one line says why, and the module refuses to load.
 *
 * Return: 0, or -EOPNOTSUPP (no usable VMX), -EBUSY (another hypervisor
 * holds VMX), -ENOMEM.
 */
int vessel_vmx_init(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	const char *why;
	int r;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL ||
	    !(cpuid_ecx(1) & BIT(X86_FEATURE_VMX & 31))) {
		pr_err("not loaded: CPU has no Intel VMX (CPUID.1:ECX.VMX)\n");
		return -EOPNOTSUPP;
	}
	if (vmx_cpu_feature_control()) {
		pr_err("not loaded: %s\n", vmx_errno_reason(-EOPNOTSUPP));
		return -EOPNOTSUPP;
	}
	why = vmx_read_config();
	if (why) {
		pr_err("not loaded: VMX lacks a required feature: %s\n", why);
		return -EOPNOTSUPP;
	}

	r = vmx_alloc_regions();
	if (r)
		return r;

	cpus_read_lock();
	on_each_cpu(vmx_cpu_check_ipi, &failed, 1);
	vmx_cpus_checked = num_online_cpus();
	r = atomic_read(&failed);
	if (r) {
		cpus_read_unlock();
		pr_err("not loaded: %s\n", vmx_errno_reason(r));
		r = r == -EBUSY ? -EBUSY : -EOPNOTSUPP;
		goto err_free_regions;
	}
	r = cpuhp_setup_state_nocalls_cpuslocked(CPUHP_AP_ONLINE_DYN,
						 "vessel:online",
						 vmx_cpu_online,
						 vmx_cpu_offline);
	cpus_read_unlock();
	if (r < 0)
		goto err_free_regions;
	vmx_hp_state = r;
	register_reboot_notifier(&vmx_reboot_nb);
	return 0;

err_free_regions:
	vmx_free_regions();
	return r;
}

void vessel_vmx_exit(void)
{
	unregister_reboot_notifier(&vmx_reboot_nb);
	cpuhp_remove_state_nocalls(vmx_hp_state);
	/* Every VM holds a module reference, so no user can be left. */
	WARN_ON_ONCE(vmx_users);
	vmx_free_regions();
}
