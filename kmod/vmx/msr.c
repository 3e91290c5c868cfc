// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: RDMSR and WRMSR.  MSRs whose guest value the hardware keeps
 * (VMCS guest-state fields, or the MSR load/store areas) pass through the
 * MSR bitmap; the rest exit and are handled from one table.  An MSR the
 * table does not know raises #GP, unless userspace asked to see it.
 */
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/mtrr.h>
#include <asm/vmx.h>

#include "irq/lapic.h"
#include "vcpu.h"

/*
 * Guest values live in the VMCS, or in the CPU for as long as RUN runs
 * (KERNEL_GS_BASE, which SWAPGS changes without an exit): no exit needed.
 * The user-return MSRs (uret.c) exit: Vessel keeps their values, which
 * a guest writes once per CPU at boot.
 */
static const u32 passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_CR_PAT,
};

/* MSR bitmap layout: SDM 25.6.9; a set bit makes the access exit. */
static void msr_bitmap_set(void *bitmap, u32 msr, bool intercept)
{
	unsigned long *read, *write;

	if (msr <= 0x1fff) {
		read = bitmap;
		write = bitmap + 2048;
	} else if (msr - 0xc0000000U <= 0x1fff) {
		read = bitmap + 1024;
		write = bitmap + 3072;
		msr -= 0xc0000000U;
	} else {
		return;
	}
	if (intercept) {
		__set_bit(msr, read);
		__set_bit(msr, write);
	} else {
		__clear_bit(msr, read);
		__clear_bit(msr, write);
	}
}

static void msr_bitmap_build(struct vessel_vcpu *vcpu)
{
	struct vessel_vm *vm = vcpu->vm;
	unsigned int i;

	memset(vcpu->msr_bitmap, 0xff, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		msr_bitmap_set(vcpu->msr_bitmap, passthrough_msrs[i], false);
	/* Userspace's MSRs exit even if they would pass through. */
	for (i = 0; i < vm->nr_user_msrs; i++)
		msr_bitmap_set(vcpu->msr_bitmap, vm->user_msrs[i], true);
}

void vessel_msr_setup(struct vessel_vcpu *vcpu)
{
	msr_bitmap_build(vcpu);
}

static u64 guest_tsc(struct vessel_vcpu *vcpu)
{
	return rdtsc() + vcpu->vm->tsc_offset;
}

/*
 * In-kernel MSRs: read and write return 0, or -EINVAL for #GP.  Every
 * read may run in the fast path (IRQs off); a write only with @fast_write
 * (no lock that sleeps, nothing to tell other vCPUs).
 */
struct vessel_msr {
	u32 index;
	int (*read)(struct vessel_vcpu *vcpu, u64 *val);
	int (*write)(struct vessel_vcpu *vcpu, u64 val);
	bool fast_write;
};

static int msr_tsc_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = guest_tsc(vcpu);
	return 0;
}

static int msr_tsc_write(struct vessel_vcpu *vcpu, u64 val)
{
	/* One TSC per VM: every vCPU picks the offset up on its next entry. */
	WRITE_ONCE(vcpu->vm->tsc_offset, val - rdtsc());
	vessel_pv_resync_all(vcpu->vm);
	return 0;
}

static int msr_efer_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = vmcs_read64(GUEST_IA32_EFER);
	return 0;
}

static int msr_efer_write(struct vessel_vcpu *vcpu, u64 val)
{
	return vessel_efer_set(vcpu, val, true);
}

static int msr_misc_enable_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = vcpu->misc_enable;
	return 0;
}

static int msr_misc_enable_write(struct vessel_vcpu *vcpu, u64 val)
{
	vcpu->misc_enable = val;
	return 0;
}

/* No fixed or variable MTRRs; only the default type, as KVM minimally. */
static int msr_mtrrcap_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = 0;
	return 0;
}

static int msr_mtrr_def_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = vcpu->mtrr_def_type;
	return 0;
}

static int msr_mtrr_def_write(struct vessel_vcpu *vcpu, u64 val)
{
	if (val & ~0xcffULL)
		return -EINVAL;
	vcpu->mtrr_def_type = val;
	return 0;
}

/* Locked, VMX not enabled: what a guest without VMX should see. */
static int msr_feature_control_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = FEAT_CTL_LOCKED;
	return 0;
}

static int msr_zero_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = 0;
	return 0;
}

static int msr_ignore_write(struct vessel_vcpu *vcpu, u64 val)
{
	return 0;
}

static int msr_debugctl_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = vmcs_read64(GUEST_IA32_DEBUGCTL);
	return 0;
}

/* LBR and BTF only; the rest needs a PMU the guest does not have. */
static int msr_debugctl_write(struct vessel_vcpu *vcpu, u64 val)
{
	if (val & ~(DEBUGCTLMSR_LBR | DEBUGCTLMSR_BTF))
		return -EINVAL;
	vmcs_write64(GUEST_IA32_DEBUGCTL, val);
	return 0;
}

static const struct vessel_msr vessel_msrs[] = {
	{ MSR_IA32_TSC, msr_tsc_read, msr_tsc_write },
	{ MSR_EFER, msr_efer_read, msr_efer_write },
	{ MSR_IA32_MISC_ENABLE, msr_misc_enable_read, msr_misc_enable_write,
	  true },
	{ MSR_MTRRcap, msr_mtrrcap_read, NULL },
	{ MSR_MTRRdefType, msr_mtrr_def_read, msr_mtrr_def_write, true },
	{ MSR_IA32_FEAT_CTL, msr_feature_control_read, NULL },
	/* Linux writes 0, runs CPUID, reads the microcode revision. */
	{ MSR_IA32_UCODE_REV, msr_zero_read, msr_ignore_write, true },
	{ MSR_IA32_PLATFORM_ID, msr_zero_read, NULL },
	{ MSR_IA32_DEBUGCTLMSR, msr_debugctl_read, msr_debugctl_write, true },
};

/*
 * The user-return MSRs (uret.c): VESSEL_URET_*, or -1.  A switch, not a
 * walk of vessel_uret_msrs[]: every MSR exit that is not the table's asks.
 */
static inline int msr_uret_slot(u32 index)
{
	switch (index) {
	case MSR_STAR:
		return VESSEL_URET_STAR;
	case MSR_LSTAR:
		return VESSEL_URET_LSTAR;
	case MSR_CSTAR:
		return VESSEL_URET_CSTAR;
	case MSR_SYSCALL_MASK:
		return VESSEL_URET_SFMASK;
	case MSR_TSC_AUX:
		return VESSEL_URET_TSC_AUX;
	default:
		return -1;
	}
}

static int msr_uret_access(struct vessel_vcpu *vcpu, int slot, bool write,
			   u64 *val)
{
	if (!write) {
		*val = vcpu->uret[slot];
		return 0;
	}
	if (!vessel_uret_valid(slot, *val))
		return -EINVAL;
	vessel_uret_set(vcpu, slot, *val);
	return 0;
}

static const struct vessel_msr *msr_find(u32 index)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vessel_msrs); i++)
		if (vessel_msrs[i].index == index)
			return &vessel_msrs[i];
	return NULL;
}

/*
 * The architectural table first (the hot MSRs are there, and no
 * provider's MSR is), then the VM's paravirtual provider, then the
 * in-kernel APIC.  Returns 0, -EINVAL for #GP, or VESSEL_PV_USER when the
 * provider completed the instruction and returns to userspace.
 */
static int msr_access(struct vessel_vcpu *vcpu, u32 index, bool write,
		      u64 *val)
{
	const struct vessel_msr *m = msr_find(index);
	int r;

	if (m) {
		if (write)
			return m->write ? m->write(vcpu, *val) : -EINVAL;
		return m->read ? m->read(vcpu, val) : -EINVAL;
	}
	r = msr_uret_slot(index);
	if (r >= 0)
		return msr_uret_access(vcpu, r, write, val);
	r = vessel_pv_msr(vcpu, index, write, val);
	if (r != -ENOENT)
		return r;
	return write ? vessel_lapic_wrmsr(vcpu, index, *val) :
		       vessel_lapic_rdmsr(vcpu, index, val);
}

static bool msr_is_user(struct vessel_vm *vm, u32 index)
{
	unsigned int i;

	for (i = 0; i < vm->nr_user_msrs; i++)
		if (vm->user_msrs[i] == index)
			return true;
	return false;
}

static int msr_exit_to_user(struct vessel_vcpu *vcpu, u32 index,
			    bool is_write, u64 data)
{
	struct vessel_run *run = vcpu->run;

	vessel_run_exit(vcpu, VESSEL_EXIT_MSR);
	run->msr.index = index;
	run->msr.is_write = is_write;
	run->msr.error = 0;
	run->msr.data = data;
	vcpu->pending = is_write ? VESSEL_PENDING_MSR_WRITE :
				   VESSEL_PENDING_MSR_READ;
	return 0;
}

int vessel_exit_rdmsr(struct vessel_vcpu *vcpu)
{
	u32 index = vcpu->regs[VESSEL_GPR_RCX];
	u64 val;
	int r;

	if (msr_is_user(vcpu->vm, index))
		return msr_exit_to_user(vcpu, index, false, 0);
	r = msr_access(vcpu, index, false, &val);
	if (r == VESSEL_PV_USER)
		return 0;
	if (r) {
		vessel_queue_gp(vcpu);
		return 1;
	}
	vcpu->regs[VESSEL_GPR_RAX] = (u32)val;
	vcpu->regs[VESSEL_GPR_RDX] = val >> 32;
	vessel_skip_insn(vcpu);
	return 1;
}

int vessel_exit_wrmsr(struct vessel_vcpu *vcpu)
{
	u32 index = vcpu->regs[VESSEL_GPR_RCX];
	u64 val = (vcpu->regs[VESSEL_GPR_RDX] << 32) |
		  (u32)vcpu->regs[VESSEL_GPR_RAX];
	int r;

	if (msr_is_user(vcpu->vm, index))
		return msr_exit_to_user(vcpu, index, true, val);
	r = msr_access(vcpu, index, true, &val);
	if (r == VESSEL_PV_USER)
		return 0;
	if (r) {
		vessel_queue_gp(vcpu);
		return 1;
	}
	vessel_skip_insn(vcpu);
	return 1;
}

/**
 * vessel_msr_fast() - RDMSR/WRMSR in the fast path (IRQs off)
 * @vcpu:	the vCPU that exited
 * @write:	WRMSR rather than RDMSR
 *
 * The table's MSRs (writes with fast_write), the user-return MSRs and
 * the APIC's TSC deadline and x2APIC registers.  Anything else, a user
 * MSR, and an access that would #GP are left to the exit handler, which
 * does them again from the start: nothing here changes state first.
 *
 * Return: VESSEL_FAST_NONE, _REENTER or _DONE.
 */
int vessel_msr_fast(struct vessel_vcpu *vcpu, bool write)
{
	u32 index = vcpu->regs[VESSEL_GPR_RCX];
	u64 val = (vcpu->regs[VESSEL_GPR_RDX] << 32) |
		  (u32)vcpu->regs[VESSEL_GPR_RAX];
	const struct vessel_msr *m;
	int r, slot;

	/* No provider's MSR: vessel_exit_fast_candidate() looked. */
	if (unlikely(vcpu->vm->nr_user_msrs) && msr_is_user(vcpu->vm, index))
		return VESSEL_FAST_NONE;
	m = msr_find(index);
	if (m) {
		if (write)
			r = m->write && m->fast_write ? m->write(vcpu, val) :
			    -EAGAIN;
		else
			r = m->read ? m->read(vcpu, &val) : -EINVAL;
	} else {
		slot = msr_uret_slot(index);
		if (slot >= 0)
			r = msr_uret_access(vcpu, slot, write, &val);
		else
			r = vessel_lapic_msr_fast(vcpu, index, write, &val);
	}
	if (r < 0)
		return VESSEL_FAST_NONE;
	if (!write) {
		vcpu->regs[VESSEL_GPR_RAX] = (u32)val;
		vcpu->regs[VESSEL_GPR_RDX] = val >> 32;
	}
	vessel_skip_insn(vcpu);
	return r ? VESSEL_FAST_DONE : VESSEL_FAST_REENTER;
}

/* The next RUN after a VESSEL_EXIT_MSR: userspace's answer. */
void vessel_msr_complete_user(struct vessel_vcpu *vcpu)
{
	struct vessel_run *run = vcpu->run;

	if (READ_ONCE(run->msr.error)) {
		vessel_queue_gp(vcpu);
		return;
	}
	if (vcpu->pending == VESSEL_PENDING_MSR_READ) {
		u64 val = READ_ONCE(run->msr.data);

		vcpu->regs[VESSEL_GPR_RAX] = (u32)val;
		vcpu->regs[VESSEL_GPR_RDX] = val >> 32;
	}
	vessel_skip_insn(vcpu);
}

/**
 * vessel_vm_set_user_msrs() - VESSEL_SET_USER_MSRS
 * @vm:		the VM
 * @uarg:	the list, in userspace
 *
 * Only until a vCPU of the VM first runs; the MSR bitmaps of the vCPUs
 * that exist are rebuilt.
 *
 * Return: 0, -EINVAL (flags, reserved, too many), -EFAULT, -EBUSY (a vCPU
 * ran).
 */
long vessel_vm_set_user_msrs(struct vessel_vm *vm,
			     const struct vessel_user_msrs __user *uarg)
{
	struct vessel_user_msrs m;
	u32 idx[VESSEL_MAX_USER_MSRS];
	unsigned int i;
	long r = 0;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if (m.flags || memchr_inv(m.reserved, 0, sizeof(m.reserved)) ||
	    m.nr > VESSEL_MAX_USER_MSRS)
		return -EINVAL;
	if (copy_from_user(idx, u64_to_user_ptr(m.indices), m.nr * sizeof(u32)))
		return -EFAULT;
	mutex_lock(&vm->lock);
	if (vm->ran) {
		r = -EBUSY;
	} else {
		memcpy(vm->user_msrs, idx, m.nr * sizeof(u32));
		vm->nr_user_msrs = m.nr;
		for (i = 0; i < VESSEL_MAX_VCPUS; i++)
			if (vm->vcpus[i])
				msr_bitmap_build(vm->vcpus[i]);
	}
	mutex_unlock(&vm->lock);
	return r;
}
