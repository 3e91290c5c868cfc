// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: RDMSR and WRMSR.  MSRs whose guest value the hardware keeps
 * (VMCS guest-state fields, or the MSR load/store areas) pass through the
 * MSR bitmap; the rest exit and are handled from one table.  An MSR the
 * table does not know raises #GP, unless userspace asked to see it.
 *
 * Which MSRs the table knows, and what they read, follows KVM
 * (kvm_get_msr_common() in arch/x86/kvm/x86.c): what guests read at boot
 * without a fault handler (Linux's rdmsr(), whose #GP is an "unchecked MSR
 * access error") must not fault, and what real hardware has must not
 * fault either; what needs hardware the guest does not have (a PMU, CPUID
 * faulting, CMCI) faults as on a CPU without it.  Documentation/linux.rst
 * lists them.
 */
#include <linux/bitops.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/mce.h>
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

/*
 * One TSC per VM: every vCPU picks the offset up on its next entry. What
 * a write moves the TSC by, it adds to the writer's TSC_ADJUST too (SDM
 * Vol. 3B 18.17.3).
 */
static int msr_tsc_write(struct vessel_vcpu *vcpu, u64 val)
{
	vcpu->tsc_adjust += val - guest_tsc(vcpu);
	WRITE_ONCE(vcpu->vm->tsc_offset, val - rdtsc());
	vessel_pv_resync_all(vcpu->vm);
	return 0;
}

/*
 * IA32_TSC_ADJUST, where CPUID offers it (cpuid.c, with an invariant
 * TSC): Linux then trusts the TSC without a clocksource watchdog
 * (tsc_init() in arch/x86/kernel/tsc.c), and checks the value is the
 * same, normally 0, on every CPU. A write moves the TSC by the change,
 * and the TSC is the VM's, not the vCPU's: every vCPU moves with it (a
 * guest writes here only to undo what firmware did, which ours never
 * does).
 */
static int msr_tsc_adjust_read(struct vessel_vcpu *vcpu, u64 *val)
{
	if (!vessel_guest_has(vcpu, 7, CPUID_EBX, X86_FEATURE_TSC_ADJUST & 31))
		return -EINVAL;
	*val = vcpu->tsc_adjust;
	return 0;
}

static int msr_tsc_adjust_write(struct vessel_vcpu *vcpu, u64 val)
{
	s64 delta = (s64)val - vcpu->tsc_adjust;

	if (!vessel_guest_has(vcpu, 7, CPUID_EBX, X86_FEATURE_TSC_ADJUST & 31))
		return -EINVAL;
	vcpu->tsc_adjust = val;
	WRITE_ONCE(vcpu->vm->tsc_offset, vcpu->vm->tsc_offset + delta);
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

/*
 * What the firmware leaves set: fast strings; and, as there is no PMU, no
 * BTS and no PEBS, which are read-only (KVM's reset value).
 */
#define MISC_ENABLE_RESET	(MSR_IA32_MISC_ENABLE_FAST_STRING |	\
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |	\
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)
#define MISC_ENABLE_RO		(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL |	\
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

static int msr_misc_enable_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = vcpu->misc_enable;
	return 0;
}

/* The read-only bits must not change; EMON (a PMU bit) ignores writes. */
static int msr_misc_enable_write(struct vessel_vcpu *vcpu, u64 val)
{
	u64 old = vcpu->misc_enable;

	if ((old ^ val) & MISC_ENABLE_RO)
		return -EINVAL;
	val = (val & ~MSR_IA32_MISC_ENABLE_EMON) |
	      (old & MSR_IA32_MISC_ENABLE_EMON);
	vcpu->misc_enable = val;
	return 0;
}

/*
 * Bits 15:8, the maximum non-turbo ratio of the 100 MHz reference clock:
 * the TSC's frequency, as on every CPU since Nehalem. Bit 31 (CPUID
 * faulting) stays clear: Vessel has none. Read-only.
 */
static int msr_platform_info_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = (u64)(DIV_ROUND_CLOSEST(vessel_pv_tsc_khz(), 100000) & 0xff) << 8;
	return 0;
}

/* Only CPUID faulting lives here, and there is none: 0 is all it takes. */
static int msr_zero_write(struct vessel_vcpu *vcpu, u64 val)
{
	return val ? -EINVAL : 0;
}

/* ---- Machine checks (SDM Vol. 3B 16.3) ---------------------------------- */

/* MCG_CAP: the bank count and MCG_CTL_P; nothing else (no CMCI, no LMCE). */
static int msr_mcg_cap_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = VESSEL_MCE_BANKS | MCG_CTL_P;
	return 0;
}

static int msr_mcg_ctl_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = vcpu->mce.mcg_ctl;
	return 0;
}

/* All enabled or all disabled: other values are undefined (KVM: #GP). */
static int msr_mcg_ctl_write(struct vessel_vcpu *vcpu, u64 val)
{
	if (val && val != ~0ULL)
		return -EINVAL;
	vcpu->mce.mcg_ctl = val;
	return 0;
}

static int msr_mcg_status_read(struct vessel_vcpu *vcpu, u64 *val)
{
	*val = vcpu->mce.mcg_status;
	return 0;
}

static int msr_mcg_status_write(struct vessel_vcpu *vcpu, u64 val)
{
	vcpu->mce.mcg_status = val;
	return 0;
}

/*
 * MCi_CTL, MCi_STATUS, MCi_ADDR, MCi_MISC of bank i at 0x400 + 4i.
 * MCi_CTL takes 0 or all ones (bit 10 and bit 0 may be clear: Linux on K8
 * and UnixWare clear them, and KVM lets them); MCi_STATUS only 0, which
 * clears it; ADDR and MISC what the guest writes. Returns -ENOENT outside
 * the banks.
 */
static int msr_mce_bank(struct vessel_vcpu *vcpu, u32 index, bool write,
			u64 *val)
{
	u32 off = index - MSR_IA32_MC0_CTL;

	if (index < MSR_IA32_MC0_CTL || off >= VESSEL_MCE_BANKS * 4)
		return -ENOENT;
	off = array_index_nospec(off, VESSEL_MCE_BANKS * 4);
	if (!write) {
		*val = vcpu->mce.bank[off];
		return 0;
	}
	if (off % 4 == 0 && *val && (*val | BIT(10) | BIT(0)) != ~0ULL)
		return -EINVAL;
	if (off % 4 == 1 && *val)
		return -EINVAL;
	vcpu->mce.bank[off] = *val;
	return 0;
}

/* The MSRs' power-on values (reset and INIT alike, as KVM has them). */
void vessel_msr_reset(struct vessel_vcpu *vcpu)
{
	unsigned int i;

	vcpu->misc_enable = MISC_ENABLE_RESET;
	vcpu->mtrr_def_type = 0;
	vcpu->tsc_adjust = 0;
	memset(&vcpu->mce, 0, sizeof(vcpu->mce));
	/* Every bank reporting everything, as firmware leaves them. */
	vcpu->mce.mcg_ctl = ~0ULL;
	for (i = 0; i < VESSEL_MCE_BANKS; i++)
		vcpu->mce.bank[4 * i] = ~0ULL;
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
	{ MSR_IA32_TSC_ADJUST, msr_tsc_adjust_read, msr_tsc_adjust_write },
	{ MSR_EFER, msr_efer_read, msr_efer_write },
	{ MSR_IA32_MISC_ENABLE, msr_misc_enable_read, msr_misc_enable_write,
	  true },
	{ MSR_PLATFORM_INFO, msr_platform_info_read, NULL },
	{ MSR_MISC_FEATURES_ENABLES, msr_zero_read, msr_zero_write },
	{ MSR_IA32_MCG_CAP, msr_mcg_cap_read, NULL },
	{ MSR_IA32_MCG_CTL, msr_mcg_ctl_read, msr_mcg_ctl_write },
	{ MSR_IA32_MCG_STATUS, msr_mcg_status_read, msr_mcg_status_write },
	/* The Pentium's machine-check MSRs: still there, reading 0. */
	{ MSR_IA32_P5_MC_ADDR, msr_zero_read, NULL },
	{ MSR_IA32_P5_MC_TYPE, msr_zero_read, NULL },
	/* No SMM: no SMI was ever taken. */
	{ MSR_SMI_COUNT, msr_zero_read, NULL },
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
	r = msr_mce_bank(vcpu, index, write, val);
	if (r != -ENOENT)
		return r;
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
 * The table's MSRs (writes with fast_write), the user-return MSRs, the
 * APIC's TSC deadline and x2APIC registers, and the provider's MSRs it
 * reads at once (Hyper-V's TIME_REF_COUNT).  Anything else, a user
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

	/* Userspace's MSRs first, as in the slow way. */
	if (unlikely(vcpu->vm->nr_user_msrs) && msr_is_user(vcpu->vm, index))
		return VESSEL_FAST_NONE;
	/* The APIC's first: none is in the table, whose walk they skip. */
	if (index - APIC_BASE_MSR <= 0xff || index == MSR_IA32_TSC_DEADLINE) {
		r = vessel_lapic_msr_fast(vcpu, index, write, &val);
	} else if (unlikely((index >> 28) == 4)) {
		/* vessel_exit_fast_candidate() let the provider's in. */
		r = write ? -EAGAIN : vessel_pv_msr_read_fast(vcpu, index, &val);
	} else {
		m = msr_find(index);
		slot = m ? -1 : msr_uret_slot(index);
		if (m && write)
			r = m->write && m->fast_write ? m->write(vcpu, val) :
			    -EAGAIN;
		else if (m)
			r = m->read ? m->read(vcpu, &val) : -EINVAL;
		else if (slot >= 0)
			r = msr_uret_access(vcpu, slot, write, &val);
		else
			r = -EAGAIN;
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
