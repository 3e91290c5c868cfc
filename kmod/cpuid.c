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
/* Room for cpuid_clock_leaves() and cpuid_topology_leaves(). */
#define CPUID_CLOCK_ROOM	3
#define CPUID_TOPOLOGY_ROOM	3
/*
 * The package: every vCPU a core of one package, one thread each, room
 * for VESSEL_MAX_VCPUS of them (the APIC ID is the vCPU id).
 */
#define CPUID_PKG_SHIFT		6	/* bits of APIC ID within the package */
#define CPUID_1_EDX_HTT		BIT(28)
#define CPUID_B_LEVEL_SMT	1
#define CPUID_B_LEVEL_CORE	2
/* Room for leaf 0xd's component subleaves: bits 2-63 of XCR0. */
#define CPUID_XSTATE_ROOM	62
/* The legacy area and the XSAVE header: where component 2 may start. */
#define XSAVE_LEGACY_AND_HEADER	576

/*
 * The highest basic leaf: 0x16, the frequency leaf, which the table
 * synthesises whatever the host has (cpuid_clock_leaves()).
 */
#define CPUID_MAX_BASIC	0x16

#define CPUID_6_EAX_ARAT	BIT(2)
#define CPUID_80000007_EDX_INVTSC	BIT(8)
/* Leaf 0x16: the reference clock MSR_PLATFORM_INFO's ratio counts in. */
#define CPUID_16_BUS_MHZ	100
/* Leaf 0x15: EBX * crystal kHz must fit in 32 bits (Linux multiplies so). */
#define CPUID_15_MAX_NUM	(U32_MAX / VESSEL_APIC_TIMER_KHZ)

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
		  F(MCE) | F(CX8) | F(SEP) | F(MTRR) | F(PGE) | F(MCA) |
		  F(CMOV) | F(PAT) |
		  F(PSE36) | F(CLFLUSH) | F(MMX) | F(FXSR) | F(XMM) | F(XMM2) } },
	{ 7, 0, { 0,
		  F(FSGSBASE) | F(TSC_ADJUST) | F(BMI1) | F(AVX2) | F(SMEP) | F(BMI2) |
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
	/* Invariant TSC, as the host's: the guest's TSC is the host's. */
	{ 0x80000007, 0, { 0, 0, 0, CPUID_80000007_EDX_INVTSC } },
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

/*
 * Features whose state needs XCR0 components the host cannot give: a
 * kernel that turned XSAVE off (Debian's 6.1 on Bochs' Skylake-X, whose
 * xstate layout it refuses) leaves XCR0 empty, and a guest told of XSAVE
 * or AVX could not enable them (XSETBV and CR4.OSXSAVE are checked against
 * vessel_xcr0_supported()).  Only these: other bits the kernel clears
 * for itself (ERMS without fast strings) still work in a guest, and a
 * snapshot taken with them must restore.
 */
static void cpuid_xstate_features(struct vessel_cpuid_entry *e, u64 xcr0)
{
	const u32 avx512 = BIT(X86_FEATURE_AVX512F & 31) |
			   BIT(X86_FEATURE_AVX512DQ & 31) |
			   BIT(X86_FEATURE_AVX512CD & 31) |
			   BIT(X86_FEATURE_AVX512BW & 31) |
			   BIT(X86_FEATURE_AVX512VL & 31);

	if (e->function == 1) {
		if (!xcr0)
			e->ecx &= ~BIT(X86_FEATURE_XSAVE & 31);
		if (!(xcr0 & XFEATURE_MASK_YMM))
			e->ecx &= ~(BIT(X86_FEATURE_AVX & 31) |
				    BIT(X86_FEATURE_FMA & 31) |
				    BIT(X86_FEATURE_F16C & 31));
	} else if (e->function == 7 && e->index == 0) {
		if (!(xcr0 & XFEATURE_MASK_YMM))
			e->ebx &= ~BIT(X86_FEATURE_AVX2 & 31);
		if ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512)
			e->ebx &= ~avx512;
	}
}

/* Adjustments no single mask can say. */
static void cpuid_fixup(struct vessel_cpuid_entry *e)
{
	u64 xcr0 = vessel_xcr0_supported();

	cpuid_xstate_features(e, xcr0);
	switch (e->function) {
	case 1:
		/* The guest runs on a hypervisor (the bit VMware and KVM use). */
		e->ecx |= BIT(31);
		/* A package of cores (cpuid_topology_leaves()). */
		e->ebx = (e->ebx & ~0x00ff0000U) | VESSEL_MAX_VCPUS << 16;
		e->edx |= CPUID_1_EDX_HTT;
		break;
	case 7:
		e->eax = 0;	/* one subleaf */
		if (!(vessel_vmx.flags & VESSEL_CAP_INVPCID))
			e->ebx &= ~BIT(X86_FEATURE_INVPCID & 31);
		break;
	case 0xd:
		if (!xcr0) {
			/* No XSAVE: the leaf describes nothing. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
		} else if (e->index == 0) {
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
		.function = 0, .eax = CPUID_MAX_BASIC,
		.ebx = ebx, .ecx = ecx, .edx = edx,
	};
}

/*
 * @num / @den: the last continued-fraction convergent of @n / @d whose
 * numerator is at most @max_num. Each convergent is the best
 * approximation for its size; the error is below 1 / (den * next den).
 */
static void cpuid_ratio(u64 n, u64 d, u64 max_num, u32 *num, u32 *den)
{
	u64 n0 = 0, d0 = 1, n1 = 1, d1 = 0, a, n2, d2, r;

	while (d) {
		a = div64_u64(n, d);
		n2 = n0 + a * n1;
		d2 = d0 + a * d1;
		if (n2 > max_num || d2 > U32_MAX)
			break;
		n0 = n1;
		d0 = d1;
		n1 = n2;
		d1 = d2;
		r = n - a * d;
		n = d;
		d = r;
	}
	*num = n1;
	*den = d1;
}

/*
 * Leaves 6 (power management), 0x15 and 0x16 (frequencies): what a guest
 * needs to run without a PIT. Linux skips the PIT when it knows the TSC
 * and CPU frequencies and its local APIC has ARAT and TSC deadline
 * (apic_needs_pit() in arch/x86/kernel/apic/apic.c); it takes the
 * frequencies from leaves 0x15 and 0x16 when no paravirtual interface
 * gives them (native_calibrate_tsc(), cpu_khz_from_cpuid() in
 * arch/x86/kernel/tsc.c), so these serve the providers none and minimal
 * (Linux knows no "VesselVessel" signature); with KVM's or Hyper-V's the
 * guest takes the provider's figures first.
 *
 *  - 6: only ARAT, with the in-kernel APIC, whose timer runs in every
 *    state (an hrtimer; the guest has no C-states). Thermal and HWP bits
 *    stay hidden: there is nothing behind their MSRs.
 *  - 0x15: TSC = crystal * EBX / EAX, ECX = crystal Hz. The crystal is the
 *    local APIC timer's clock (SDM Vol. 3A 11.5.4), and Linux sets its
 *    APIC timer period from it, so it is that clock (1 GHz). Linux
 *    multiplies crystal kHz by EBX in 32 bits: EBX stays below
 *    CPUID_15_MAX_NUM and the ratio is the closest such fraction of
 *    tsc_khz / crystal kHz (for a 2-4 GHz TSC, well under a part per
 *    million off).
 *  - 0x16: base and maximum frequency, the TSC's, and the bus (reference)
 *    clock, 100 MHz as on every Intel CPU since Nehalem (MSR_PLATFORM_INFO
 *    gives the TSC as a ratio of it), in MHz.
 */
static unsigned int cpuid_clock_leaves(struct vessel_vm *vm,
				       struct vessel_cpuid_entry *e)
{
	u32 tsc_khz = vessel_pv_tsc_khz(), num, den;
	unsigned int n = 0;

	e[n++] = (struct vessel_cpuid_entry) {
		.function = 6, .eax = vm->lapic ? CPUID_6_EAX_ARAT : 0,
	};
	if (!tsc_khz)
		return n;	/* unknown: leave the guest to measure */
	cpuid_ratio(tsc_khz, VESSEL_APIC_TIMER_KHZ, CPUID_15_MAX_NUM, &num,
		    &den);
	e[n++] = (struct vessel_cpuid_entry) {
		.function = 0x15, .eax = den, .ebx = num,
		.ecx = VESSEL_APIC_TIMER_KHZ * 1000,
	};
	e[n++] = (struct vessel_cpuid_entry) {
		.function = 0x16, .eax = (tsc_khz / 1000) & 0xffff,
		.ebx = (tsc_khz / 1000) & 0xffff,
		.ecx = CPUID_16_BUS_MHZ,
	};
	return n;
}

/*
 * Leaf 0xd, subleaf i for every user state component i >= 2 the guest may
 * enable (vessel_xcr0_supported()): its size (EAX), its offset in the
 * standard format (EBX) and its alignment flag (ECX), as the host's CPU
 * lays it out, which is what XSAVE in the guest writes. Without them a
 * guest cannot place the components XCR0 lets it enable (Linux warns
 * "misordered xstate" and disables XSAVE).
 */
static unsigned int cpuid_xstate_leaves(struct vessel_cpuid_entry *e)
{
	u64 xcr0 = vessel_xcr0_supported();
	unsigned int i, n = 0;
	u32 eax, ebx, ecx, edx;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		e[n++] = (struct vessel_cpuid_entry) {
			.function = 0xd, .index = i,
			.flags = VESSEL_CPUID_SIGNIFICANT_INDEX,
			.eax = eax, .ebx = ebx, .ecx = ecx & BIT(1),
		};
	}
	return n;
}

/*
 * Leaf 0xb, the topology: all vCPUs are cores of one package, one thread
 * each (EDX, the x2APIC ID, is filled per vCPU at the exit). Without it
 * each vCPU looks like a package of its own ("Converting physical 0 to
 * logical die 1"), and Linux, which takes an AP's delay-loop calibration
 * from a sibling in its package (calibrate_delay_is_known()), measures
 * each AP's again against jiffies, which a busy host makes fail
 * ("calibrate_delay_direct() failed to get a good estimate"). Under KVM
 * the preset lpj avoids it, not under the other providers.
 */
static unsigned int cpuid_topology_leaves(struct vessel_cpuid_entry *e)
{
	BUILD_BUG_ON(VESSEL_MAX_VCPUS > 1 << CPUID_PKG_SHIFT);
	e[0] = (struct vessel_cpuid_entry) {
		.function = 0xb, .index = 0,
		.flags = VESSEL_CPUID_SIGNIFICANT_INDEX,
		.eax = 0, .ebx = 1, .ecx = 0 | CPUID_B_LEVEL_SMT << 8,
	};
	e[1] = (struct vessel_cpuid_entry) {
		.function = 0xb, .index = 1,
		.flags = VESSEL_CPUID_SIGNIFICANT_INDEX,
		.eax = CPUID_PKG_SHIFT, .ebx = VESSEL_MAX_VCPUS,
		.ecx = 1 | CPUID_B_LEVEL_CORE << 8,
	};
	/* The end of the levels: type 0 (invalid). */
	e[2] = (struct vessel_cpuid_entry) {
		.function = 0xb, .index = 2,
		.flags = VESSEL_CPUID_SIGNIFICANT_INDEX, .ecx = 2,
	};
	return 3;
}

int vessel_cpuid_init(struct vessel_vm *vm)
{
	struct vessel_cpuid_entry *t;
	unsigned int i, n = 0;

	t = kcalloc(ARRAY_SIZE(cpuid_masks) + 1 + CPUID_XSTATE_ROOM +
		    CPUID_CLOCK_ROOM + CPUID_TOPOLOGY_ROOM + CPUID_PV_ROOM,
		    sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	cpuid_leaf0(&t[n++]);
	for (i = 0; i < ARRAY_SIZE(cpuid_masks); i++) {
		cpuid_fill(&t[n], &cpuid_masks[i]);
		cpuid_fixup(&t[n]);
		/*
		 * With an invariant TSC (and TSC_ADJUST) Linux trusts the TSC
		 * without a watchdog, which under none or minimal would be
		 * jiffies, and which late timer interrupts in a busy host make
		 * run slow: the TSC would be marked unstable. Under KVM's
		 * interface it would also rank the TSC above kvm-clock
		 * (kvmclock_init()), and KVM itself offers it only on request:
		 * hidden there, kvm-clock is the clocksource and the TSC's
		 * watchdog.
		 */
		if (t[n].function == 0x80000007 &&
		    vm->pv.ops->provider == VESSEL_PV_KVM)
			t[n].edx &= ~CPUID_80000007_EDX_INVTSC;
		/* The in-kernel APIC: xAPIC, x2APIC and its TSC-deadline timer. */
		if (vm->lapic && t[n].function == 1) {
			t[n].edx |= BIT(X86_FEATURE_APIC & 31);
			t[n].ecx |= BIT(X86_FEATURE_X2APIC & 31) |
				    BIT(X86_FEATURE_TSC_DEADLINE_TIMER & 31);
		}
		n++;
	}
	n += cpuid_xstate_leaves(&t[n]);
	n += cpuid_clock_leaves(vm, &t[n]);
	n += cpuid_topology_leaves(&t[n]);
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

/*
 * Leaf 0xd.0 EBX: the size of an XSAVE area for the components @xcr0
 * enables, from the table's own subleaves (SDM Vol. 1 13.2), so that it
 * follows the guest's XSETBV as on hardware.
 */
static u32 cpuid_xsave_size(const struct vessel_vm *vm, u64 xcr0)
{
	const struct vessel_cpuid_entry *e;
	u32 size = XSAVE_LEGACY_AND_HEADER;
	unsigned int i;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		e = cpuid_find(vm, 0xd, i);
		if (e && e->index == i && e->ebx + e->eax > size)
			size = e->ebx + e->eax;
	}
	return size;
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
	/* The size for the XCR0 now, where the table offers XSAVE at all. */
	if (function == 0xd && index == 0 && e && e->eax)
		ebx = cpuid_xsave_size(vcpu->vm, vcpu->xcr0);
	/* Every level of leaf 0xb gives this vCPU's x2APIC ID. */
	if (function == 0xb && e)
		edx = vcpu->id;
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
