// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs and CPUID leaves a Linux guest (and common test suites) read at
 * boot, walked from a guest: each MSR reads the value the module
 * documents (Documentation/linux.rst), or raises #GP exactly where a CPU
 * without the feature would; writes are checked the same way. And the
 * CPUID leaves that let Linux run without a PIT: the frequencies (0x15,
 * 0x16) and ARAT.
 */
#include <cpuid.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define MSR_SMI_COUNT			0x34
#define MSR_IA32_SPEC_CTRL		0x48
#define MSR_IA32_PLATFORM_ID		0x17
#define MSR_IA32_UCODE_REV		0x8b
#define MSR_IA32_FEAT_CTL		0x3a
#define MSR_PLATFORM_INFO		0xce
#define MSR_MTRRcap			0xfe
#define MSR_IA32_ARCH_CAPABILITIES	0x10a
#define MSR_MISC_FEATURES_ENABLES	0x140
#define MSR_IA32_MCG_CAP		0x179
#define MSR_IA32_MCG_STATUS		0x17a
#define MSR_IA32_MCG_CTL		0x17b
#define MSR_IA32_MISC_ENABLE		0x1a0
#define MSR_MTRRdefType			0x2ff
#define MSR_IA32_MC0_CTL2		0x280
#define MSR_IA32_PERF_CAPABILITIES	0x345
#define MSR_IA32_MC0_CTL		0x400
#define MSR_IA32_MCG_EXT_CTL		0x4d0
#define MSR_IA32_P5_MC_ADDR		0
#define MSR_IA32_P5_MC_TYPE		1

#define MCE_BANKS			10
#define MCG_CTL_P			(1ULL << 8)
#define MISC_ENABLE_FAST_STRING		(1ULL << 0)
#define MISC_ENABLE_EMON		(1ULL << 7)
#define MISC_ENABLE_BTS_UNAVAIL		(1ULL << 11)
#define MISC_ENABLE_PEBS_UNAVAIL	(1ULL << 12)

#define NO_GP	0xff	/* in the table: the read must not fault */

/* One MSR: what a read gives (value, or a #GP). */
struct msr_read {
	uint32_t index;
	uint8_t vector;		/* GP_VECTOR, or 0 */
	uint64_t value;
};

static const struct msr_read reads[] = {
	/* Machine-check architecture: CPUID advertises MCE and MCA. */
	{ MSR_IA32_MCG_CAP, 0, MCE_BANKS | MCG_CTL_P },
	{ MSR_IA32_MCG_CTL, 0, ~0ULL },
	{ MSR_IA32_MCG_STATUS, 0, 0 },
	{ MSR_IA32_MC0_CTL, 0, ~0ULL },
	{ MSR_IA32_MC0_CTL + 1, 0, 0 },			/* MC0_STATUS */
	{ MSR_IA32_MC0_CTL + 2, 0, 0 },			/* MC0_ADDR */
	{ MSR_IA32_MC0_CTL + 3, 0, 0 },			/* MC0_MISC */
	{ MSR_IA32_MC0_CTL + 4 * (MCE_BANKS - 1), 0, ~0ULL },
	{ MSR_IA32_MC0_CTL + 4 * MCE_BANKS - 1, 0, 0 },
	{ MSR_IA32_MC0_CTL + 4 * MCE_BANKS, GP_VECTOR, 0 },	/* no bank 10 */
	{ MSR_IA32_MC0_CTL2, GP_VECTOR, 0 },		/* no CMCI */
	{ MSR_IA32_MCG_EXT_CTL, GP_VECTOR, 0 },		/* no LMCE */
	{ MSR_IA32_P5_MC_ADDR, 0, 0 },
	{ MSR_IA32_P5_MC_TYPE, 0, 0 },
	/* Firmware's settings, and no PMU behind BTS and PEBS. */
	{ MSR_IA32_MISC_ENABLE, 0, MISC_ENABLE_FAST_STRING |
	  MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL },
	{ MSR_MISC_FEATURES_ENABLES, 0, 0 },
	{ MSR_SMI_COUNT, 0, 0 },
	{ MSR_MTRRcap, 0, 0 },
	{ MSR_MTRRdefType, 0, 0 },
	{ MSR_IA32_FEAT_CTL, 0, 1 },			/* locked, no VMX */
	{ MSR_IA32_UCODE_REV, 0, 0 },
	{ MSR_IA32_PLATFORM_ID, 0, 0 },
	/* Features CPUID does not offer: as on a CPU without them. */
	{ MSR_IA32_ARCH_CAPABILITIES, GP_VECTOR, 0 },
	{ MSR_IA32_PERF_CAPABILITIES, GP_VECTOR, 0 },
	{ MSR_IA32_SPEC_CTRL, GP_VECTOR, 0 },
};

static void guest_msr_reads(void)
{
	unsigned int i;
	uint64_t v;
	uint8_t vec;

	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		v = 0;
		vec = rdmsr_safe(reads[i].index, &v);
		GUEST_SYNC_ARGS(3, (uint64_t)reads[i].index, (uint64_t)vec, v);
	}
	GUEST_DONE();
}

TEST(msr_reads)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_msr_reads);
	struct ucall uc;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reads); i++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		ASSERT_EQ(reads[i].index, uc.args[0]);
		EXPECT_EQ(reads[i].vector, uc.args[1])
			TH_LOG("RDMSR %#x: vector %lu", reads[i].index,
			       (unsigned long)uc.args[1]);
		if (!reads[i].vector)
			EXPECT_EQ(reads[i].value, uc.args[2])
				TH_LOG("RDMSR %#x = %#lx", reads[i].index,
				       (unsigned long)uc.args[2]);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* What the guest may write, and what it may not (#GP, value kept). */
static void guest_msr_writes(void)
{
	const uint32_t mc0_status = MSR_IA32_MC0_CTL + 1;
	const uint32_t mc3_addr = MSR_IA32_MC0_CTL + 4 * 3 + 2;
	uint64_t misc = rdmsr(MSR_IA32_MISC_ENABLE);

	/* MCG_CAP is read-only; MCG_CTL takes 0 or all ones. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MCG_CAP, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MCG_CTL, 5), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MCG_CTL, 0), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MCG_CTL), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MCG_STATUS, 0), 0);
	/* MCi_CTL: 0, all ones, or all ones but bits 10 and 0. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MC0_CTL, 0x5), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MC0_CTL), ~0ULL);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MC0_CTL, ~0ULL & ~(1ULL << 10)), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MC0_CTL), ~0ULL & ~(1ULL << 10));
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MC0_CTL, 0), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MC0_CTL), 0);
	/* MCi_STATUS: only cleared. MCi_ADDR: what is written. */
	GUEST_ASSERT_EQ(wrmsr_safe(mc0_status, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(mc0_status, 0), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(mc3_addr, 0x12345678), 0);
	GUEST_ASSERT_EQ(rdmsr(mc3_addr), 0x12345678);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MC0_CTL2, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_P5_MC_ADDR, 0), GP_VECTOR);

	/* MISC_ENABLE: BTS/PEBS unavailable are read-only, EMON ignored. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MISC_ENABLE,
				   misc & ~MISC_ENABLE_BTS_UNAVAIL), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MISC_ENABLE,
				   misc | MISC_ENABLE_EMON), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MISC_ENABLE), misc);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_MISC_ENABLE,
				   misc & ~MISC_ENABLE_FAST_STRING), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MISC_ENABLE),
			misc & ~MISC_ENABLE_FAST_STRING);

	/* Read-only, and CPUID faulting, which is not there. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_PLATFORM_INFO, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_SMI_COUNT, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_MISC_FEATURES_ENABLES, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_MISC_FEATURES_ENABLES, 0), 0);
	GUEST_DONE();
}

/*
 * IA32_TSC_ADJUST, offered with the host's: 0 at reset; a write moves the
 * TSC by the change; a TSC write adds its step to it (SDM Vol. 3B 18.17.3).
 */
#define TSC_STEP	(1ULL << 40)

static void guest_tsc_adjust(void)
{
	uint64_t before, after;

	if (!(cpuid_ebx(7) & CPUID_7_EBX_TSC_ADJUST)) {
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_TSC_ADJUST, 0), GP_VECTOR);
		GUEST_SYNC(0);
		GUEST_DONE();
	}
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_ADJUST), 0);
	before = rdtsc();
	wrmsr(MSR_IA32_TSC_ADJUST, TSC_STEP);
	after = rdtsc();
	GUEST_ASSERT(after - before >= TSC_STEP);
	GUEST_ASSERT(after - before < TSC_STEP + (1ULL << 36));
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_ADJUST), TSC_STEP);
	before = rdtsc();
	wrmsr(MSR_IA32_TSC, before - TSC_STEP);
	after = rdmsr(MSR_IA32_TSC_ADJUST);
	/* Moved back by TSC_STEP and what passed since the read: near 0. */
	GUEST_ASSERT((int64_t)after <= 0 && (int64_t)after > -(1LL << 36));
	GUEST_DONE();
}

TEST(tsc_adjust)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_tsc_adjust);
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("TSC_ADJUST %s by CPUID", uc.args[0] ? "offered" : "hidden");
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST(msr_writes)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_msr_writes);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* A reset puts the machine-check banks and MISC_ENABLE back. */
static void guest_dirty_msrs(void)
{
	wrmsr(MSR_IA32_MC0_CTL, 0);
	wrmsr(MSR_IA32_MCG_CTL, 0);
	wrmsr(MSR_IA32_MISC_ENABLE, rdmsr(MSR_IA32_MISC_ENABLE) &
	      ~MISC_ENABLE_FAST_STRING);
	GUEST_DONE();
}

static void guest_fresh_msrs(void)
{
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MC0_CTL), ~0ULL);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_MCG_CTL), ~0ULL);
	GUEST_ASSERT(rdmsr(MSR_IA32_MISC_ENABLE) & MISC_ENABLE_FAST_STRING);
	GUEST_DONE();
}

TEST(msr_values_per_vcpu)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_dirty_msrs);

	vcpu_run_expect_done(vcpu);
	vcpu = vm_vcpu_add(vm, 1, guest_fresh_msrs);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------------------------------------- CPUID */

#define CPUID_1_EDX_MCE		(1U << 7)
#define CPUID_1_EDX_MCA		(1U << 14)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_6_EAX_ARAT	(1U << 2)

static void guest_cpuid_clock(void)
{
	uint32_t a, b, c, d, max, a6, c1, d1, d87;
	uint32_t a15, b15, c15, a16, b16, c16;
	uint64_t platform_info = rdmsr(MSR_PLATFORM_INFO);

	cpuid_count(0, 0, &max, &b, &c, &d);
	cpuid_count(1, 0, &a, &b, &c1, &d1);
	cpuid_count(6, 0, &a6, &b, &c, &d);
	cpuid_count(0x15, 0, &a15, &b15, &c15, &d);
	cpuid_count(0x16, 0, &a16, &b16, &c16, &d);
	cpuid_count(0x80000007, 0, &a, &b, &c, &d87);
	GUEST_SYNC_ARGS(6, max, c1, d1, a6, platform_info, d87);
	GUEST_SYNC_ARGS(6, a15, b15, c15, a16, b16, c16);
	GUEST_DONE();
}

#define CPUID_80000007_EDX_INVTSC (1U << 8)

static void check_clock_leaves(struct __test_metadata *_metadata, bool lapic,
			       uint32_t provider)
{
	uint32_t a, b, c, host_invtsc;
	struct vcpu *vcpu;
	struct vm *vm;
	struct ucall uc;
	uint64_t tsc_khz, crystal_khz, ratio;

	vm_create_flags = lapic ? VESSEL_VM_LAPIC : 0;
	vm = vm_create_pv(1, provider, 0, guest_cpuid_clock);
	vcpu = vm->vcpus[0];
	vm_create_flags = 0;
	__cpuid(0x80000007, a, b, c, host_invtsc);
	host_invtsc &= CPUID_80000007_EDX_INVTSC;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_GE(uc.args[0], 0x16);			/* max basic leaf */
	EXPECT_EQ(CPUID_1_EDX_MCE | CPUID_1_EDX_MCA,
		  uc.args[2] & (CPUID_1_EDX_MCE | CPUID_1_EDX_MCA));
	/* ARAT and TSC deadline come with the in-kernel APIC. */
	EXPECT_EQ(lapic ? CPUID_6_EAX_ARAT : 0, uc.args[3]);
	EXPECT_EQ(lapic, !!(uc.args[1] & CPUID_1_ECX_TSC_DEADLINE));
	/* The host's invariant TSC, hidden from KVM's guests (kvm-clock). */
	EXPECT_EQ(provider == VESSEL_PV_KVM ? 0 : host_invtsc,
		  uc.args[5] & CPUID_80000007_EDX_INVTSC);
	ratio = (uc.args[4] >> 8) & 0xff;
	EXPECT_EQ(0, uc.args[4] & ~0xff00ULL);

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* 0x15: TSC = crystal * EBX / EAX; the crystal is the 1 GHz APIC clock. */
	ASSERT_NE(0, uc.args[0]);
	ASSERT_NE(0, uc.args[1]);
	EXPECT_EQ(1000000000, uc.args[2]);
	crystal_khz = uc.args[2] / 1000;
	/* What Linux computes, in 32 bits: it must not overflow. */
	EXPECT_LE(crystal_khz * uc.args[1], 0xffffffffULL);
	tsc_khz = crystal_khz * uc.args[1] / uc.args[0];
	/* 0x16: base = max = TSC MHz, bus 100 MHz; PLATFORM_INFO agrees. */
	EXPECT_LE(tsc_khz / 1000, uc.args[3] + 1);
	EXPECT_GE(tsc_khz / 1000 + 1, uc.args[3]);
	EXPECT_EQ(uc.args[3], uc.args[4]);
	EXPECT_EQ(100, uc.args[5]);
	EXPECT_EQ((uc.args[3] + 50) / 100, ratio);
	TH_LOG("TSC %lu kHz (%lu/%lu of 1 GHz)", (unsigned long)tsc_khz,
	       (unsigned long)uc.args[1], (unsigned long)uc.args[0]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST(cpuid_clock_leaves)
{
	check_clock_leaves(_metadata, false, VESSEL_PV_NONE);
}

TEST(cpuid_clock_leaves_lapic)
{
	check_clock_leaves(_metadata, true, VESSEL_PV_NONE);
}

TEST(cpuid_clock_leaves_kvm)
{
	check_clock_leaves(_metadata, true, VESSEL_PV_KVM);
}

/*
 * Leaf 0xb: every vCPU a core of one package, one thread each, its x2APIC
 * ID in EDX; leaf 1 agrees (HTT, room for 64 in the package, the APIC ID).
 */
static void guest_topology(void)
{
	uint32_t a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, b, c, d, x;

	cpuid_count(0xb, 0, &a0, &b0, &c0, &d0);
	cpuid_count(0xb, 1, &a1, &b1, &c1, &d1);
	cpuid_count(0xb, 2, &a2, &b2, &c2, &d2);
	cpuid_count(1, 0, &x, &b, &c, &d);
	/* SMT: no bits, one thread; core: 6 bits, 64 cores; then the end. */
	GUEST_ASSERT_EQ(a0, 0);
	GUEST_ASSERT_EQ(b0, 1);
	GUEST_ASSERT_EQ(c0, 1 << 8);
	GUEST_ASSERT_EQ(a1, 6);
	GUEST_ASSERT_EQ(b1, 64);
	GUEST_ASSERT_EQ(c1, 1 | 2 << 8);
	GUEST_ASSERT_EQ((c2 >> 8) & 0xff, 0);
	GUEST_ASSERT_EQ(d0, d1);
	GUEST_ASSERT_EQ(d0, b >> 24);
	GUEST_ASSERT_EQ((b >> 16) & 0xff, 64);
	GUEST_ASSERT(d & (1U << 28));		/* HTT */
	GUEST_SYNC_ARGS(1, (uint64_t)d0);
	GUEST_DONE();
}

TEST(cpuid_topology)
{
	struct vcpu *vcpu, *vcpu1;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_topology);
	struct ucall uc;

	vcpu1 = vm_vcpu_add(vm, 1, guest_topology);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[0]);
	vcpu_run_expect_done(vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu1, &uc));
	EXPECT_EQ(1, uc.args[0]);
	vcpu_run_expect_done(vcpu1);
	vm_free(vm);
}

TEST_HARNESS_MAIN
