// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: CPUID.  Each VM has a table, set by userspace or built from the
 * host's CPUID with what the VM cannot use masked out: VMX is hidden (the
 * guest cannot nest), the hypervisor-present bit is set, and features the
 * module does not virtualise (APIC, PMU, MONITOR, XSAVES, speculation
 * controls, ...) are cleared.  A few bits follow the vCPU (APIC ID,
 * OSXSAVE) and are filled in at the exit.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeatures.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/processor.h>

#include "irq/lapic.h"
#include "vcpu.h"

/* Room for the paravirtual provider's leaves (0x40000000-). */
#define CPUID_PV_ROOM	16

#define R_EAX	0
#define R_EBX	1
#define R_ECX	2
#define R_EDX	3

/* Bits of a host leaf a guest may see; zero bits are masked out. */
struct cpuid_mask {
	u32 leaf;
	u32 index;
	u32 keep[4];	/* eax, ebx, ecx, edx */
};

#define F(x)	BIT(X86_FEATURE_##x & 31)

static const struct cpuid_mask cpuid_masks[] = {
	/* Family/model/stepping; CLFLUSH size; (APIC ID filled per vCPU). */
	{ 1, 0, { ~0U, 0x0000ffff,
		  F(XMM3) | F(PCLMULQDQ) | F(SSSE3) | F(FMA) | F(CX16) |
		  F(PCID) | F(XMM4_1) | F(XMM4_2) | F(MOVBE) | F(POPCNT) |
		  F(AES) | F(XSAVE) | F(AVX) | F(F16C) | F(RDRAND),
		  F(FPU) | F(VME) | F(DE) | F(PSE) | F(TSC) | F(MSR) | F(PAE) |
		  F(CX8) | F(SEP) | F(MTRR) | F(PGE) | F(CMOV) | F(PAT) |
		  F(PSE36) | F(CLFLUSH) | F(MMX) | F(FXSR) | F(XMM) | F(XMM2) } },
	{ 7, 0, { 0,
		  F(FSGSBASE) | F(BMI1) | F(AVX2) | F(SMEP) | F(BMI2) |
		  F(ERMS) | F(INVPCID) | F(AVX512F) | F(AVX512DQ) |
		  F(RDSEED) | F(ADX) | F(SMAP) | F(CLFLUSHOPT) | F(AVX512CD) |
		  F(SHA_NI) | F(AVX512BW) | F(AVX512VL),
		  F(UMIP), 0 } },
	{ 0xd, 0, { ~0U, ~0U, ~0U, ~0U } },	/* clamped to XCR0 below */
	{ 0xd, 1, { F(XSAVEOPT) | F(XSAVEC) | F(XGETBV1), 0, 0, 0 } },
	{ 0x80000000, 0, { ~0U, ~0U, ~0U, ~0U } },
	{ 0x80000001, 0, { 0, 0, F(LAHF_LM) | F(ABM) | F(3DNOWPREFETCH),
			   F(SYSCALL) | F(NX) | F(GBPAGES) | F(RDTSCP) | F(LM) } },
	{ 0x80000002, 0, { ~0U, ~0U, ~0U, ~0U } },	/* brand string */
	{ 0x80000003, 0, { ~0U, ~0U, ~0U, ~0U } },
	{ 0x80000004, 0, { ~0U, ~0U, ~0U, ~0U } },
	{ 0x80000006, 0, { ~0U, ~0U, ~0U, ~0U } },	/* cache */
	{ 0x80000008, 0, { 0x0000ffff, 0, 0, 0 } },	/* address sizes */
};

#undef F

static void cpuid_fill(struct vessel_cpuid_entry *e, const struct cpuid_mask *m)
{
	u32 r[4];

	cpuid_count(m->leaf, m->index, &r[R_EAX], &r[R_EBX], &r[R_ECX], &r[R_EDX]);
	e->function = m->leaf;
	e->index = m->index;
	e->flags = (m->leaf == 7 || m->leaf == 0xd) ?
		   VESSEL_CPUID_SIGNIFICANT_INDEX : 0;
	e->eax = r[R_EAX] & m->keep[R_EAX];
	e->ebx = r[R_EBX] & m->keep[R_EBX];
	e->ecx = r[R_ECX] & m->keep[R_ECX];
	e->edx = r[R_EDX] & m->keep[R_EDX];
}

/* Adjustments no single mask can say. */
static void cpuid_fixup(struct vessel_cpuid_entry *e)
{
	u64 xcr0 = vessel_xcr0_supported();

	switch (e->function) {
	case 1:
		/* The guest runs on a hypervisor (the bit VMware and KVM use). */
		e->ecx |= BIT(31);
		break;
	case 7:
		e->eax = 0;	/* one subleaf */
		if (!(vessel_vmx.flags & VESSEL_CAP_INVPCID))
			e->ebx &= ~BIT(X86_FEATURE_INVPCID & 31);
		break;
	case 0xd:
		if (e->index == 0) {
			e->eax = (u32)xcr0;
			e->edx = xcr0 >> 32;
		}
		break;
	case 0x80000001:
		if (!(vessel_vmx.flags & VESSEL_CAP_RDTSCP))
			e->edx &= ~BIT(X86_FEATURE_RDTSCP & 31);
		break;
	case 0x80000000:
		e->eax = min_t(u32, e->eax, 0x80000008);
		break;
	}
}

/* Leaf 0: the vendor, and the highest basic leaf the table holds. */
static void cpuid_leaf0(struct vessel_cpuid_entry *e)
{
	u32 eax, ebx, ecx, edx;

	cpuid(0, &eax, &ebx, &ecx, &edx);
	*e = (struct vessel_cpuid_entry) {
		.function = 0, .eax = min_t(u32, eax, 0xd),
		.ebx = ebx, .ecx = ecx, .edx = edx,
	};
}

int vessel_cpuid_init(struct vessel_vm *vm)
{
	struct vessel_cpuid_entry *t;
	unsigned int i, n = 0;

	t = kcalloc(ARRAY_SIZE(cpuid_masks) + 1 + CPUID_PV_ROOM, sizeof(*t),
		    GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	cpuid_leaf0(&t[n++]);
	for (i = 0; i < ARRAY_SIZE(cpuid_masks); i++) {
		cpuid_fill(&t[n], &cpuid_masks[i]);
		cpuid_fixup(&t[n]);
		/* The in-kernel APIC: xAPIC, x2APIC and its TSC-deadline timer. */
		if (vm->lapic && t[n].function == 1) {
			t[n].edx |= BIT(X86_FEATURE_APIC & 31);
			t[n].ecx |= BIT(X86_FEATURE_X2APIC & 31) |
				    BIT(X86_FEATURE_TSC_DEADLINE_TIMER & 31);
		}
		n++;
	}
	n += vessel_pv_cpuid(vm, &t[n], CPUID_PV_ROOM);
	vm->cpuid = t;
	vm->nr_cpuid = n;
	return 0;
}

static const struct vessel_cpuid_entry *
cpuid_find(const struct vessel_vm *vm, u32 function, u32 index)
{
	unsigned int i;

	for (i = 0; i < vm->nr_cpuid; i++) {
		const struct vessel_cpuid_entry *e = &vm->cpuid[i];

		if (e->function == function &&
		    (!(e->flags & VESSEL_CPUID_SIGNIFICANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

bool vessel_guest_has(struct vessel_vcpu *vcpu, u32 leaf, u32 reg_idx, u32 bit)
{
	const struct vessel_cpuid_entry *e = cpuid_find(vcpu->vm, leaf, 0);
	u32 regs[4];

	if (!e)
		return false;
	regs[R_EAX] = e->eax;
	regs[R_EBX] = e->ebx;
	regs[R_ECX] = e->ecx;
	regs[R_EDX] = e->edx;
	return regs[reg_idx] & BIT(bit);
}

int vessel_exit_cpuid(struct vessel_vcpu *vcpu)
{
	u32 function = vcpu->regs[VESSEL_GPR_RAX];
	u32 index = vcpu->regs[VESSEL_GPR_RCX];
	const struct vessel_cpuid_entry *e;
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;

	/* Fixed once a vCPU ran: VESSEL_SET_CPUID refuses then. */
	e = cpuid_find(vcpu->vm, function, index);
	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	}
	if (function == 1) {
		/* Initial APIC ID is the vCPU id; OSXSAVE mirrors CR4. */
		ebx = (ebx & 0x00ffffff) | (vcpu->id << 24);
		ecx &= ~BIT(X86_FEATURE_OSXSAVE & 31);
		if (vessel_vmx_guest_cr4(vcpu) & X86_CR4_OSXSAVE)
			ecx |= BIT(X86_FEATURE_OSXSAVE & 31);
		/* A globally disabled APIC is absent (SDM 11.4.3). */
		if (vessel_lapic_hw_disabled(vcpu))
			edx &= ~BIT(X86_FEATURE_APIC & 31);
	}
	vcpu->regs[VESSEL_GPR_RAX] = eax;
	vcpu->regs[VESSEL_GPR_RBX] = ebx;
	vcpu->regs[VESSEL_GPR_RCX] = ecx;
	vcpu->regs[VESSEL_GPR_RDX] = edx;
	vessel_skip_insn(vcpu);
	return 1;
}

/**
 * vessel_vm_set_cpuid() - VESSEL_SET_CPUID: replace the VM's table
 * @vm:		the VM
 * @uarg:	the table, in userspace
 *
 * Only until a vCPU of the VM first runs, so a guest never sees CPUID
 * change under it, and the exit handler reads it unlocked.
 *
 * Return: 0, or a negative errno: -EBUSY once a vCPU ran, the others as
 * Documentation/api.rst lists them.
 */
long vessel_vm_set_cpuid(struct vessel_vm *vm,
			 const struct vessel_cpuid __user *uarg)
{
	struct vessel_cpuid_entry *t;
	struct vessel_cpuid c;
	unsigned int i;
	long r = 0;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || memchr_inv(c.reserved, 0, sizeof(c.reserved)) ||
	    c.nr > VESSEL_MAX_CPUID_ENTRIES)
		return -EINVAL;
	t = memdup_user(u64_to_user_ptr(c.entries), (size_t)c.nr * sizeof(*t));
	if (IS_ERR(t))
		return PTR_ERR(t);
	for (i = 0; i < c.nr; i++) {
		if ((t[i].flags & ~VESSEL_CPUID_SIGNIFICANT_INDEX) || t[i].reserved) {
			kfree(t);
			return -EINVAL;
		}
	}
	mutex_lock(&vm->lock);
	if (vm->ran) {
		r = -EBUSY;
		kfree(t);
	} else {
		kfree(vm->cpuid);
		vm->cpuid = t;
		vm->nr_cpuid = c.nr;
	}
	mutex_unlock(&vm->lock);
	return r;
}

/* VESSEL_GET_CPUID: -E2BIG with nr set to what is needed if too small. */
long vessel_vm_get_cpuid(struct vessel_vm *vm, struct vessel_cpuid __user *uarg)
{
	struct vessel_cpuid c;
	long r = 0;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (c.nr < vm->nr_cpuid)
		r = -E2BIG;
	else if (copy_to_user(u64_to_user_ptr(c.entries), vm->cpuid,
			      vm->nr_cpuid * sizeof(*vm->cpuid)))
		r = -EFAULT;
	c.nr = vm->nr_cpuid;
	mutex_unlock(&vm->lock);
	if ((!r || r == -E2BIG) && put_user(c.nr, &uarg->nr))
		r = -EFAULT;
	return r;
}
