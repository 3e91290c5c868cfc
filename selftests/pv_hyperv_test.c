// SPDX-License-Identifier: GPL-2.0
/*
 * The Hyper-V paravirtual provider against the TLFS: the leaves, each MSR
 * (read, write, reserved bits, #GP when not advertised, after reset), the
 * TSC page and TIME_REF_COUNT against the guest's own TSC arithmetic
 * (monotonic, consistent, across a TSC offset change and a restore),
 * crash and reset reaching userspace, each hypercall in its fast and
 * memory forms with the exact status for bad input, CPL 3 and before
 * enabling, debugging hypercalls through userspace, state and counters.
 */
#include <asm/vmx.h>
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "hypercall.h"
#include "processor.h"
#include "ucall.h"
#include "usermode.h"
#include "vessel_util.h"

#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(err, errno) TH_LOG("%s: %s", #call, strerror(errno));	\
} while (0)

/* asm/hyperv-tlfs.h is not uapi: the TLFS values the test needs. */
#define HV_MSR_GUEST_OS_ID	0x40000000
#define HV_MSR_HYPERCALL	0x40000001
#define HV_MSR_VP_INDEX		0x40000002
#define HV_MSR_RESET		0x40000003
#define HV_MSR_VP_RUNTIME	0x40000010
#define HV_MSR_TIME_REF_COUNT	0x40000020
#define HV_MSR_REFERENCE_TSC	0x40000021
#define HV_MSR_TSC_FREQUENCY	0x40000022
#define HV_MSR_APIC_FREQUENCY	0x40000023
#define HV_MSR_EOI		0x40000070
#define HV_MSR_ICR		0x40000071
#define HV_MSR_TPR		0x40000072
#define HV_MSR_VP_ASSIST_PAGE	0x40000073
#define HV_MSR_SCONTROL		0x40000080
#define HV_MSR_SVERSION		0x40000081
#define HV_MSR_SIEFP		0x40000082
#define HV_MSR_SIMP		0x40000083
#define HV_MSR_EOM		0x40000084
#define HV_MSR_SINT(n)		(0x40000090 + (n))
#define HV_MSR_STIMER_CONFIG(n)	(0x400000b0 + 2 * (n))
#define HV_MSR_STIMER_COUNT(n)	(0x400000b1 + 2 * (n))
#define HV_SINT_MASKED		(1ULL << 16)
#define HV_SINT_AUTO_EOI	(1ULL << 17)
#define ST_ENABLE		(1ULL << 0)
#define ST_PERIODIC		(1ULL << 1)
#define ST_AUTO_ENABLE		(1ULL << 3)
#define ST_VECTOR(v)		((uint64_t)(v) << 4)
#define ST_DIRECT		(1ULL << 12)
#define ST_SINT(n)		((uint64_t)(n) << 16)
#define HVMSG_TIMER_EXPIRED	0x80000010
#define HV_MSR_STIMER0_CONFIG	0x400000b0
#define HV_MSR_CRASH_P0		0x40000100
#define HV_MSR_CRASH_CTL	0x40000105
#define HV_CRASH_NOTIFY		(1ULL << 63)

#define HVCALL_FLUSH_SPACE	0x0002
#define HVCALL_FLUSH_LIST	0x0003
#define HVCALL_NOTIFY_SPIN	0x0008
#define HVCALL_SEND_IPI		0x000b
#define HVCALL_FLUSH_SPACE_EX	0x0013
#define HVCALL_FLUSH_LIST_EX	0x0014
#define HVCALL_SEND_IPI_EX	0x0015
#define HVCALL_POST_MESSAGE	0x005c
#define HVCALL_SIGNAL_EVENT	0x005d
#define HVCALL_POST_DEBUG	0x0069
#define HVCALL_RETRIEVE_DEBUG	0x006a
#define HVCALL_RESET_DEBUG	0x006b
#define HVCALL_EXT_QUERY	0x8001
#define HC_FAST			(1ULL << 16)
#define HC_VARHEAD(n)		((uint64_t)(n) << 17)
#define HC_REP(n)		((uint64_t)(n) << 32)
#define HC_REP_START(n)		((uint64_t)(n) << 48)

#define HV_SUCCESS		0
#define HV_INVALID_CODE		2
#define HV_INVALID_INPUT	3
#define HV_INVALID_ALIGNMENT	4
#define HV_INVALID_PARAMETER	5
#define HV_ACCESS_DENIED	6
#define HV_INVALID_CONNECTION_ID	18
#define HV_INSUFFICIENT_BUFFERS	19

#define HV_FLUSH_ALL_PROCESSORS	(1ULL << 0)

/* CPUID 0x40000003 as implemented. */
#define HV_EAX	((1U << 0) | (1U << 1) | (1U << 5) | (1U << 6) | (1U << 7) | \
		 (1U << 9) | (1U << 11))
#define HV_EBX	((1U << 11) | (1U << 20))
#define HV_EDX	((1U << 8) | (1U << 10))
#define HV_RECOMMEND_EAX ((1U << 1) | (1U << 2) | (1U << 4) | (1U << 5) | \
			  (1U << 11))

/* With an in-kernel APIC: APIC access, SynIC, timers (+ direct mode). */
#define HV_EAX_APIC		(1U << 4)
#define HV_EAX_LAPIC		((1U << 2) | (1U << 3) | (1U << 4))
#define HV_EBX_LAPIC		((1U << 4) | (1U << 5))
#define HV_EDX_LAPIC		(1U << 19)
#define HV_RECOMMEND_APIC	(1U << 3)

#define LINUX_OS_ID		0x8100000000060100ULL

struct tsc_page {
	uint32_t sequence;
	uint32_t reserved;
	uint64_t scale;
	int64_t offset;
};

/* Shared with the guest (set before vm_create, copied with the image). */
static uint64_t tsc_khz;
static uint8_t hcall_page[4096] __aligned(4096);
static uint8_t tsc_page_mem[4096] __aligned(4096);
static uint64_t hv_in[512] __aligned(4096);
static uint64_t hv_out[512] __aligned(4096);

static uint64_t hv_hypercall(uint64_t control, uint64_t in, uint64_t out)
{
	return hv_hypercall_page(hcall_page, control, in, out);
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* The guest's reading of the TSC page (Linux's hv_read_tsc_page). */
static int tsc_page_read(uint64_t *ref, uint64_t *tsc_out)
{
	struct tsc_page *p = (struct tsc_page *)tsc_page_mem;
	uint32_t seq;
	uint64_t tsc, v;

	do {
		seq = READ_ONCE(p->sequence);
		if (!seq)
			return 0;
		asm volatile("" ::: "memory");
		tsc = rdtsc();
		v = (uint64_t)(((__uint128_t)tsc * READ_ONCE(p->scale)) >> 64) +
		    READ_ONCE(p->offset);
		asm volatile("" ::: "memory");
	} while (READ_ONCE(p->sequence) != seq);
	*ref = v;
	if (tsc_out)
		*tsc_out = tsc;
	return 1;
}

static void enable_hypercalls(void)
{
	wrmsr(HV_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wrmsr(HV_MSR_HYPERCALL, (uint64_t)hcall_page | 1);
}

/* ------------------------------------------------------------ leaves */

static void guest_leaves(void)
{
	uint32_t a, b, c, d, i;

	for (i = 0; i <= 6; i++) {
		cpuid_count(0x40000000 + i, 0, &a, &b, &c, &d);
		GUEST_SYNC_ARGS(5, i, a, b, c, d);
	}
	GUEST_DONE();
}

TEST(leaves)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_leaves);
	uint32_t r[7][4];
	struct ucall uc;
	unsigned int i;
	char sig[12];

	for (i = 0; i <= 6; i++) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vm->vcpus[0], &uc));
		ASSERT_EQ(i, uc.args[0]);
		r[i][0] = uc.args[1];
		r[i][1] = uc.args[2];
		r[i][2] = uc.args[3];
		r[i][3] = uc.args[4];
	}
	vcpu_run_expect_done(vm->vcpus[0]);
	EXPECT_EQ(0x40000006, r[0][0]);
	memcpy(sig, &r[0][1], 12);
	EXPECT_EQ(0, memcmp(sig, "Microsoft Hv", 12));
	EXPECT_EQ(0x31237648, r[1][0]);		/* "Hv#1" */
	EXPECT_EQ(HV_EAX, r[3][0]);
	EXPECT_EQ(HV_EBX, r[3][1]);
	EXPECT_EQ(0, r[3][2]);
	EXPECT_EQ(HV_EDX, r[3][3]);
	EXPECT_EQ(HV_RECOMMEND_EAX, r[4][0]);
	EXPECT_NE(0, r[4][1]);			/* spin retries */
	EXPECT_EQ(64, r[5][0]);
	vm_free(vm);
}

/* -------------------------------------------------------------- MSRs */

static void guest_msrs(void)
{
	uint64_t v, ec, t0, t1, r0, r1;
	uint8_t vec;

	/* Before the hypercall page is enabled, VMCALL is #UD. */
	asm volatile(ASM_SAFE("vmcall") : ASM_SAFE_OUTPUTS(vec, ec)
		     : : ASM_SAFE_CLOBBERS, "memory");
	GUEST_ASSERT_EQ(vec, UD_VECTOR);

	GUEST_ASSERT_EQ(rdmsr(HV_MSR_GUEST_OS_ID), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_HYPERCALL), 0);
	/* Without an OS ID the enable bit does not stick. */
	wrmsr(HV_MSR_HYPERCALL, (uint64_t)hcall_page | 1);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_HYPERCALL), (uint64_t)hcall_page);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_HYPERCALL, (uint64_t)hcall_page | 4),
			GP_VECTOR);
	wrmsr(HV_MSR_GUEST_OS_ID, LINUX_OS_ID);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_GUEST_OS_ID), LINUX_OS_ID);
	wrmsr(HV_MSR_HYPERCALL, (uint64_t)hcall_page | 1);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_HYPERCALL), (uint64_t)hcall_page | 1);
	GUEST_ASSERT_EQ(hcall_page[0], 0x0f);	/* vmcall; ret */
	GUEST_ASSERT_EQ(hcall_page[1], 0x01);
	GUEST_ASSERT_EQ(hcall_page[2], 0xc1);
	GUEST_ASSERT_EQ(hcall_page[3], 0xc3);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN | HC_FAST, 1, 0), 0);

	GUEST_ASSERT_EQ(rdmsr(HV_MSR_VP_INDEX), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_VP_INDEX, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_TSC_FREQUENCY), tsc_khz * 1000);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_APIC_FREQUENCY), 1000000000);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_TSC_FREQUENCY, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_APIC_FREQUENCY, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_TIME_REF_COUNT, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_VP_RUNTIME, 1), GP_VECTOR);
	v = rdmsr(HV_MSR_VP_RUNTIME);
	GUEST_ASSERT(rdmsr(HV_MSR_VP_RUNTIME) >= v);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_RESET), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_RESET, 2), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_RESET, 0), 0);

	/* Not implemented, so not advertised: #GP. */
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_EOI, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_VP_ASSIST_PAGE, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_SCONTROL, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_STIMER0_CONFIG, 0), GP_VECTOR);

	/* TIME_REF_COUNT counts 100 ns units as the TSC says. */
	r0 = rdmsr(HV_MSR_TIME_REF_COUNT);
	t0 = rdtsc();
	for (v = 0; v < 20000; v++)
		asm volatile("nop");
	t1 = rdtsc();
	r1 = rdmsr(HV_MSR_TIME_REF_COUNT);
	GUEST_ASSERT(r1 > r0);
	/* The RDMSR exits around the TSC reads take well under 10 ms. */
	GUEST_ASSERT((r1 - r0) + 1 >= (t1 - t0) * 10000 / tsc_khz);
	GUEST_ASSERT((r1 - r0) - (t1 - t0) * 10000 / tsc_khz < 100000);

	/* Crash MSRs: parameters reach userspace with the notification. */
	for (v = 0; v < 5; v++)
		wrmsr(HV_MSR_CRASH_P0 + v, 0x1000 + v);
	for (v = 0; v < 5; v++)
		GUEST_ASSERT_EQ(rdmsr(HV_MSR_CRASH_P0 + v), 0x1000 + v);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_CRASH_CTL), HV_CRASH_NOTIFY);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_CRASH_CTL, 1), GP_VECTOR);
	wrmsr(HV_MSR_CRASH_CTL, HV_CRASH_NOTIFY);
	GUEST_SYNC(1);

	/* Reset: userspace resets the provider state, as on power-on. */
	wrmsr(HV_MSR_RESET, 1);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_GUEST_OS_ID), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_HYPERCALL), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_REFERENCE_TSC), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_CRASH_P0), 0);
	asm volatile(ASM_SAFE("vmcall") : ASM_SAFE_OUTPUTS(vec, ec)
		     : : ASM_SAFE_CLOBBERS, "memory");
	GUEST_ASSERT_EQ(vec, UD_VECTOR);
	GUEST_DONE();
}

TEST(msrs_crash_reset)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vessel_pv_state reset = {
		.flags = VESSEL_PV_STATE_RESET,
		.provider = VESSEL_PV_HYPERV, .version = 1,
	};
	unsigned int i;

	tsc_khz = vm_module_tsc_khz();
	vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_msrs);
	vcpu = vm->vcpus[0];
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_CRASH);
	EXPECT_EQ(VESSEL_PV_HYPERV, vcpu->run->paravirt.provider);
	ASSERT_EQ(6, vcpu->run->paravirt.ndata);
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0x1000 + i, vcpu->run->paravirt.data[i]);
	EXPECT_EQ(HV_CRASH_NOTIFY, vcpu->run->paravirt.data[5]);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_RESET);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &reset));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &reset));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------------------------------- the TSC page */

static void guest_tsc_page(void)
{
	struct tsc_page *p = (struct tsc_page *)tsc_page_mem;
	uint64_t r0, r1, m0, m1, t0, t1, i;
	uint32_t seq;

	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_REFERENCE_TSC,
				   (uint64_t)tsc_page_mem | 2), GP_VECTOR);
	wrmsr(HV_MSR_REFERENCE_TSC, (uint64_t)tsc_page_mem | 1);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_REFERENCE_TSC), (uint64_t)tsc_page_mem | 1);
	if (!READ_ONCE(p->sequence))
		GUEST_SYNC(0);	/* host TSC not stable: page invalid */

	/* The page and the MSR are one clock. */
	for (i = 0; i < 100; i++) {
		m0 = rdmsr(HV_MSR_TIME_REF_COUNT);
		GUEST_ASSERT(tsc_page_read(&r0, NULL));
		m1 = rdmsr(HV_MSR_TIME_REF_COUNT);
		GUEST_ASSERT(m0 <= r0 && r0 <= m1);
	}
	/* At the TSC's rate: scale is 10^4 / kHz in 64.64 fixed point. */
	GUEST_ASSERT(tsc_page_read(&r0, &t0));
	for (i = 0; i < 20000; i++)
		asm volatile("nop");
	GUEST_ASSERT(tsc_page_read(&r1, &t1));
	GUEST_ASSERT(absdiff(r1 - r0, (t1 - t0) * 10000 / tsc_khz) <= 2);

	/* The TSC moves back: the page is rewritten, time goes on. */
	seq = READ_ONCE(p->sequence);
	GUEST_ASSERT(tsc_page_read(&r0, NULL));
	wrmsr(MSR_IA32_TSC, 0x1000);
	GUEST_ASSERT(READ_ONCE(p->sequence) != seq);
	GUEST_ASSERT(tsc_page_read(&r1, &t1));
	GUEST_ASSERT(t1 < 0x100000000ULL);
	GUEST_ASSERT(r1 >= r0 && r1 - r0 < 1000000);	/* < 100 ms */
	m0 = rdmsr(HV_MSR_TIME_REF_COUNT);
	GUEST_ASSERT(m0 >= r1);
	GUEST_ASSERT(tsc_page_read(&r0, &t0));
	for (i = 0; i < 20000; i++)
		asm volatile("nop");
	GUEST_ASSERT(tsc_page_read(&r1, &t1));
	GUEST_ASSERT(absdiff(r1 - r0, (t1 - t0) * 10000 / tsc_khz) <= 2);

	/* Saved and restored: invalidated, rewritten, still monotonic. */
	seq = READ_ONCE(p->sequence);
	GUEST_SYNC(1);
	GUEST_ASSERT(READ_ONCE(p->sequence) != seq && READ_ONCE(p->sequence));
	GUEST_ASSERT(tsc_page_read(&r0, NULL));
	GUEST_ASSERT(r0 >= r1);
	GUEST_DONE();
}

TEST(tsc_page)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct vessel_pv_state st, bad;
	struct ucall uc;

	tsc_khz = vm_module_tsc_khz();
	vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_tsc_page);
	vcpu = vm->vcpus[0];
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	if (uc.args[0] == 0) {
		TH_LOG("host TSC not stable: the page stays invalid");
		vm_free(vm);
		return;
	}
	ASSERT_EQ(1, uc.args[0]);
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_VM_STATE, &st));
	EXPECT_EQ((uint64_t)tsc_page_mem | 1, st.hv_vm.reference_tsc);
	EXPECT_NE(0, st.hv_vm.clock_ref);
	bad = st;
	bad.hv_vm.reference_tsc |= 2;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &bad));
	bad = st;
	bad.hv_vm.hypercall |= 4;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &bad));
	bad = st;
	bad.hv_vm.crash_ctl = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &bad));
	bad = st;
	bad.hv_vm.reserved[4] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &bad));
	bad = st;
	bad.data[59] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &bad));
	/* Restore what was saved, as after a migration. */
	st.flags = 0;
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &st));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* -------------------------------------------------------- hypercalls */

static uint64_t user_spin(uint64_t unused)
{
	return hv_hypercall(HVCALL_NOTIFY_SPIN | HC_FAST, 1, 0);
}

static void guest_hypercalls(void)
{
	uint64_t in = (uint64_t)hv_in, out = (uint64_t)hv_out;

	enable_hypercalls();

	/* HvNotifyLongSpinWait: fast and memory forms, bad headers. */
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN | HC_FAST, 10, 0), 0);
	hv_in[0] = 10;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN, in, 0), 0);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN | HC_REP(1), in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN | HC_VARHEAD(1), in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN | (1ULL << 27), in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN | (1ULL << 44), in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN | (1ULL << 63), in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN, in + 4, 0),
			HV_INVALID_ALIGNMENT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_NOTIFY_SPIN, GUEST_MMIO_GPA, 0),
			HV_INVALID_INPUT);

	/* Unknown and unimplemented codes. */
	GUEST_ASSERT_EQ(hv_hypercall(0x7fff, in, out), HV_INVALID_CODE);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_SEND_IPI, in, out), HV_INVALID_CODE);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_POST_MESSAGE, in, out),
			HV_INVALID_CODE);

	/* HvFlushVirtualAddressSpace / List. */
	hv_in[0] = 0;
	hv_in[1] = HV_FLUSH_ALL_PROCESSORS;
	hv_in[2] = 0;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE, in, 0), 0);
	hv_in[1] = 0;
	hv_in[2] = 1;		/* VP 0: ourselves */
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE, in, 0), 0);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE | HC_FAST, in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE | HC_REP(1), in, 0),
			HV_INVALID_INPUT);
	hv_in[1] = 1ULL << 5;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE, in, 0),
			HV_INVALID_PARAMETER);
	hv_in[1] = 0;
	hv_in[3] = 0x400000;
	hv_in[4] = 0x401000;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_LIST | HC_REP(2), in, 0),
			HC_REP(2));
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_LIST, in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_LIST | HC_REP(1) |
				     HC_REP_START(2), in, 0), HV_INVALID_INPUT);
	/* 600 entries do not fit the input page. */
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_LIST | HC_REP(600), in, 0),
			HV_INVALID_INPUT);

	/* The Ex forms: a VP set, all or sparse. */
	hv_in[0] = 0;
	hv_in[1] = 0;
	hv_in[2] = 1;		/* HV_GENERIC_SET_ALL */
	hv_in[3] = 0;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE_EX, in, 0), 0);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), in, 0),
			HV_INVALID_INPUT);
	hv_in[2] = 0;		/* HV_GENERIC_SET_SPARSE_4K */
	hv_in[3] = 1;		/* bank 0 ... */
	hv_in[4] = 1;		/* ... VP 0 */
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), in, 0),
			0);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE_EX, in, 0),
			HV_INVALID_INPUT);
	hv_in[5] = 0x400000;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_LIST_EX | HC_VARHEAD(1) |
				     HC_REP(1), in, 0), HC_REP(1));
	hv_in[2] = 7;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1), in, 0),
			HV_INVALID_PARAMETER);

	/* HvExtCallQueryCapabilities: output only, memory form. */
	hv_out[0] = ~0ULL;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_EXT_QUERY, 0, out), 0);
	GUEST_ASSERT_EQ(hv_out[0], 0);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_EXT_QUERY | HC_FAST, 0, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_EXT_QUERY, 0, out + 4),
			HV_INVALID_ALIGNMENT);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_EXT_QUERY | HC_REP(1), 0, out),
			HV_INVALID_INPUT);

	/* Debugging: through userspace; bad input never gets there. */
	hv_in[0] = 5;		/* count 5, options 0 */
	memcpy(&hv_in[1], "hello", 5);
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_POST_DEBUG, in, out), 0);
	hv_in[0] = 16;
	hv_in[1] = 0;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_RETRIEVE_DEBUG, in, out),
			HV_INSUFFICIENT_BUFFERS);
	hv_in[0] = 0;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_RESET_DEBUG, in, out), 0);
	hv_in[0] = 5 | 1ULL << 32;	/* options */
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_POST_DEBUG, in, out),
			HV_INVALID_PARAMETER);
	hv_in[0] = 5000;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_POST_DEBUG, in, out),
			HV_INVALID_PARAMETER);
	hv_in[0] = 5;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_POST_DEBUG | HC_FAST, in, out),
			HV_INVALID_INPUT);
	/* Posted bytes past the input page, retrieved ones past the output's. */
	hv_in[511] = 1;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_POST_DEBUG, in + 4088, out),
			HV_INVALID_INPUT);
	hv_in[0] = 4088;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_RETRIEVE_DEBUG, in, out + 8),
			HV_INVALID_INPUT);
	hv_in[0] = 0;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_RESET_DEBUG, in, out + 4080),
			HV_INVALID_INPUT);

	/* CPL 3: access denied. */
	GUEST_ASSERT_EQ(guest_run_user(user_spin, 0), HV_ACCESS_DENIED);

	/* Disabled again (OS ID 0): VMCALL is #UD once more. */
	wrmsr(HV_MSR_GUEST_OS_ID, 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_HYPERCALL), (uint64_t)hcall_page);
	GUEST_DONE();
}

TEST(hypercalls)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_hypercalls);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_counters cnt = { 0 };
	char buf[8] = { 0 };

	vm_enable_usermode(vm, vcpu);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_DEBUG);
	ASSERT_EQ(4, vcpu->run->paravirt.ndata);
	EXPECT_EQ(HVCALL_POST_DEBUG, vcpu->run->paravirt.data[0]);
	EXPECT_EQ((uint64_t)hv_in, vcpu->run->paravirt.data[1]);
	EXPECT_EQ((uint64_t)hv_out, vcpu->run->paravirt.data[2]);
	memcpy(buf, (char *)addr_gva2hva(vm, hv_in) + 8, 5);
	EXPECT_STREQ("hello", buf);
	EXPECT_EQ(HV_SUCCESS, vcpu->run->paravirt.ret);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_DEBUG);
	EXPECT_EQ(HVCALL_RETRIEVE_DEBUG, vcpu->run->paravirt.data[0]);
	vcpu->run->paravirt.ret = HV_INSUFFICIENT_BUFFERS;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_DEBUG);
	EXPECT_EQ(HVCALL_RESET_DEBUG, vcpu->run->paravirt.data[0]);
	vcpu_run_expect_done(vcpu);

	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(VESSEL_PV_HYPERV, cnt.provider);
	EXPECT_EQ(10, cnt.hypercalls[HVCALL_NOTIFY_SPIN]);
	EXPECT_EQ(5, cnt.hypercalls[HVCALL_FLUSH_SPACE]);
	EXPECT_EQ(4, cnt.hypercalls[HVCALL_FLUSH_LIST]);
	EXPECT_EQ(4, cnt.hypercalls[VESSEL_PV_HC_EXTENDED]);
	EXPECT_EQ(1, cnt.hypercalls[VESSEL_PV_HC_OTHER]);
	EXPECT_EQ(3, cnt.user_exits);
	EXPECT_EQ(5, cnt.debug_bytes[0]);
	EXPECT_EQ(16, cnt.debug_bytes[1]);
	vm_free(vm);
}

/*
 * Unknown codes are answered in the kernel with INVALID_HYPERCALL_CODE,
 * in the fast form (the fast path, IRQs off) and the memory form, at CPL
 * 0: one RUN, each call a VMCALL exit counted once; reserved bits still
 * INVALID_HYPERCALL_INPUT.
 */
#define UNKNOWN_ROUNDS		40

static void guest_unknown_hypercalls(void)
{
	uint64_t in = (uint64_t)hv_in, out = (uint64_t)hv_out;
	unsigned int i;

	enable_hypercalls();
	for (i = 0; i < UNKNOWN_ROUNDS; i++) {
		GUEST_ASSERT_EQ(hv_hypercall(HC_FAST, i, 0), HV_INVALID_CODE);
		GUEST_ASSERT_EQ(hv_hypercall(0x7fff | HC_FAST, i, i),
				HV_INVALID_CODE);
		GUEST_ASSERT_EQ(hv_hypercall(0x7ffe, in, out), HV_INVALID_CODE);
		GUEST_ASSERT_EQ(hv_hypercall(0x7fff | HC_FAST | (1ULL << 63), 0, 0),
				HV_INVALID_INPUT);
	}
	GUEST_DONE();
}

TEST(unknown_hypercalls_in_kernel)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0,
				     guest_unknown_hypercalls);
	struct vessel_pv_counters cnt = { 0 };
	struct vessel_counters c = { 0 };

	vcpu_run_expect_done(vm->vcpus[0]);
	vcpu_ioctl(vm->vcpus[0], VESSEL_GET_COUNTERS, &c);
	EXPECT_EQ(1, c.runs);
	EXPECT_EQ(1, c.user_exits[VESSEL_EXIT_IO]);
	EXPECT_EQ(4 * UNKNOWN_ROUNDS, c.vmx_exits[EXIT_REASON_VMCALL]);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(UNKNOWN_ROUNDS, cnt.hypercalls[0]);
	EXPECT_EQ(3 * UNKNOWN_ROUNDS, cnt.hypercalls[VESSEL_PV_HC_OTHER]);
	EXPECT_EQ(0, cnt.user_exits);
	vm_free(vm);
}

/* ---------------------------------------------- what is not advertised */

static void guest_not_advertised(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_TIME_REF_COUNT, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_CRASH_P0, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_CRASH_CTL, HV_CRASH_NOTIFY), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_VP_INDEX, &v), 0);
	GUEST_DONE();
}

TEST(msrs_not_advertised)
{
	struct vessel_cpuid_entry e[VESSEL_MAX_CPUID_ENTRIES], *l;
	struct vm *vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_not_advertised);
	struct vessel_cpuid c = { 0 };
	uint32_t nr = vm_cpuid_get(vm, e);

	l = cpuid_find(e, nr, 0x40000003, 0);
	ASSERT_NE(NULL, l);
	l->eax &= ~(1U << 1);		/* TIME_REF_COUNT */
	l->edx &= ~(1U << 10);		/* crash MSRs */
	c.nr = nr;
	c.entries = (uintptr_t)e;
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_SET_CPUID, &c));
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

static void guest_no_hyperv(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_GUEST_OS_ID, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_TIME_REF_COUNT, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_HYPERCALL, 1), GP_VECTOR);
	GUEST_DONE();
}

TEST(msrs_other_providers)
{
	uint32_t p[] = { VESSEL_PV_NONE, VESSEL_PV_MINIMAL, VESSEL_PV_KVM };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		struct vm *vm = vm_create_pv(1, p[i], 0, guest_no_hyperv);

		vcpu_run_expect_done(vm->vcpus[0]);
		vm_free(vm);
	}
}

/* ------------------------------------------- with an in-kernel APIC */

static uint8_t assist_page[4096] __aligned(4096);
static uint64_t hv_irqs, hv_irq_vec;

static struct vm *hv_lapic_vm(void *guest_code)
{
	struct vm *vm;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_code);
	vm_create_flags = 0;
	return vm;
}

/* Ends each interrupt through the synthetic EOI MSR. */
static void hv_eoi_handler(struct ex_regs *regs)
{
	WRITE_ONCE(hv_irq_vec, regs->vector);
	WRITE_ONCE(hv_irqs, hv_irqs + 1);
	wrmsr(HV_MSR_EOI, 0);
}

/* A self-IPI through the ICR MSR, taken and ended through the EOI MSR. */
static void hv_self_ipi(uint64_t icr, uint8_t vec)
{
	uint64_t n = hv_irqs;

	cli();
	wrmsr(HV_MSR_ICR, icr);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_ICR) & 0xfff, vec);
	GUEST_ASSERT_EQ(hv_irqs, n);
	sti_nop();
	GUEST_ASSERT_EQ(hv_irqs, n + 1);
	GUEST_ASSERT_EQ(hv_irq_vec, vec);
	if (rdmsr(MSR_IA32_APICBASE) & APICBASE_EXTD)
		GUEST_ASSERT_EQ(x2apic_read(APIC_ISR + (vec >> 5) * 0x10), 0);
	else
		GUEST_ASSERT_EQ(xapic_vec_set(APIC_ISR, vec), 0);
}

static void guest_apic_msrs(void)
{
	uint64_t gpa = (uint64_t)assist_page, v;
	uint32_t a, b, c, d;

	cpuid_count(0x40000003, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, HV_EAX | HV_EAX_LAPIC);
	GUEST_ASSERT_EQ(b, HV_EBX | HV_EBX_LAPIC);
	GUEST_ASSERT_EQ(d, HV_EDX | HV_EDX_LAPIC);
	cpuid_count(0x40000004, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, HV_RECOMMEND_EAX | HV_RECOMMEND_APIC | (1U << 10));
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);

	/* TPR: the APIC's TPR, 8 bits; CR8 and PPR follow. */
	wrmsr(HV_MSR_TPR, 0x50);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x50);
	GUEST_ASSERT_EQ(get_cr8(), 5);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0x50);
	set_cr8(2);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_TPR), 0x20);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_TPR, 0x100), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_TPR, 1ULL << 32), GP_VECTOR);
	wrmsr(HV_MSR_TPR, 0);

	/* EOI: write-only, takes 0. */
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_EOI, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_EOI, 1), GP_VECTOR);

	/* ICR in xAPIC mode: destination in bits 63:56; reserved bits #GP. */
	hv_self_ipi(APIC_DEST_SELF | 0x40, 0x40);
	hv_self_ipi(0x41, 0x41);		/* physical, APIC ID 0: us */
	cli();
	wrmsr(HV_MSR_ICR, (1ULL << 56) | 0x41);	/* APIC ID 1: nobody */
	GUEST_ASSERT_EQ(xapic_read(APIC_ICR2), 0x01000000);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_ICR), (1ULL << 56) | 0x41);
	sti_nop();
	GUEST_ASSERT_EQ(hv_irq_vec, 0x41);
	GUEST_ASSERT_EQ(xapic_vec_set(APIC_IRR, 0x41), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_ICR, (1ULL << 20) | 0x40), GP_VECTOR);

	/* x2APIC mode: destination is bits 63:32. */
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APICBASE_EXTD);
	wrmsr(HV_MSR_TPR, 0x30);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TASKPRI), 0x30);
	wrmsr(HV_MSR_TPR, 0);
	hv_self_ipi(0x42, 0x42);

	/* VP assist page: zeroed when enabled, kept otherwise. */
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_VP_ASSIST_PAGE), 0);
	memset(assist_page, 0xaa, sizeof(assist_page));
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_VP_ASSIST_PAGE, gpa | 2), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_VP_ASSIST_PAGE, gpa | (1ULL << 11) | 1),
			GP_VECTOR);
	GUEST_ASSERT_EQ(assist_page[0], 0xaa);
	wrmsr(HV_MSR_VP_ASSIST_PAGE, gpa | 1);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_VP_ASSIST_PAGE), gpa | 1);
	GUEST_ASSERT_EQ(assist_page[0], 0);
	GUEST_ASSERT_EQ(assist_page[4095], 0);
	assist_page[8] = 0x55;
	wrmsr(HV_MSR_VP_ASSIST_PAGE, gpa | 1);
	GUEST_ASSERT_EQ(assist_page[8], 0x55);
	wrmsr(HV_MSR_VP_ASSIST_PAGE, gpa);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_VP_ASSIST_PAGE), gpa);
	GUEST_ASSERT_EQ(assist_page[8], 0x55);
	/* Outside guest memory. */
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_VP_ASSIST_PAGE, (1ULL << 40) | 1),
			GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_VP_ASSIST_PAGE), gpa);
	wrmsr(HV_MSR_VP_ASSIST_PAGE, gpa | 1);
	GUEST_SYNC(1);

	/* Reset by userspace: VP assist page off. */
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_VP_ASSIST_PAGE), 0);
	GUEST_DONE();
}

TEST(apic_msrs)
{
	struct vm *vm = hv_lapic_vm(guest_apic_msrs);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_state reset = {
		.flags = VESSEL_PV_STATE_RESET,
		.provider = VESSEL_PV_HYPERV, .version = 1,
	};

	vm_install_exception_handler(vm, 0x40, hv_eoi_handler);
	vm_install_exception_handler(vm, 0x41, hv_eoi_handler);
	vm_install_exception_handler(vm, 0x42, hv_eoi_handler);
	vcpu_run_expect_sync(vcpu, 1);
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &reset));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* Without an in-kernel APIC nothing is advertised, and forcing it #GPs. */
static void guest_apic_msrs_no_apic(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_TPR, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_TPR, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_EOI, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_ICR, APIC_DEST_SELF | 0x40),
			GP_VECTOR);
	GUEST_DONE();
}

TEST(apic_msrs_no_apic)
{
	struct vessel_cpuid_entry e[VESSEL_MAX_CPUID_ENTRIES], *l;
	struct vm *vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0,
				     guest_apic_msrs_no_apic);
	struct vessel_cpuid c = { 0 };
	uint32_t nr = vm_cpuid_get(vm, e);

	l = cpuid_find(e, nr, 0x40000003, 0);
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, l->eax & HV_EAX_APIC);
	l->eax |= HV_EAX_APIC;
	c.nr = nr;
	c.entries = (uintptr_t)e;
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_SET_CPUID, &c));
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

/* ------------------------------------------------ SynIC and timers */

struct hv_msg {
	uint32_t type;
	uint8_t size;
	uint8_t flags;		/* bit 0: msg_pending */
	uint16_t reserved;
	uint64_t sender;
	uint64_t payload[30];
};

struct hv_timer_payload {
	uint32_t index;
	uint32_t reserved;
	uint64_t expiration;
	uint64_t delivery;
};

#define SINT_VEC	0x50
#define DIRECT_VEC	0x51
#define TIMER_SINT	2

static uint8_t msg_page[4096] __aligned(4096);
static uint8_t evt_page[4096] __aligned(4096);
static uint64_t sint_irqs, sint_ref, direct_irqs, direct_ref;

static struct hv_msg *slot(unsigned int sint)
{
	return (struct hv_msg *)msg_page + sint;
}

static struct hv_timer_payload *timer_payload(unsigned int sint)
{
	return (struct hv_timer_payload *)slot(sint)->payload;
}

static void sint_handler(struct ex_regs *regs)
{
	WRITE_ONCE(sint_ref, rdmsr(HV_MSR_TIME_REF_COUNT));
	WRITE_ONCE(sint_irqs, sint_irqs + 1);
	wrmsr(HV_MSR_EOI, 0);
}

static void direct_handler(struct ex_regs *regs)
{
	WRITE_ONCE(direct_ref, rdmsr(HV_MSR_TIME_REF_COUNT));
	WRITE_ONCE(direct_irqs, direct_irqs + 1);
	wrmsr(HV_MSR_EOI, 0);
}

/* Sleep (STI; HLT) until *@cnt passes @n: the timers wake a halted vCPU. */
static void wait_count(uint64_t *cnt, uint64_t n)
{
	cli();
	while (READ_ONCE(*cnt) < n)
		asm volatile("sti; hlt; cli" ::: "memory");
	sti();
}

/* The guest frees a slot as Linux's vmbus_signal_eom() does. */
static void free_slot(unsigned int sint)
{
	WRITE_ONCE(slot(sint)->type, 0);
	__sync_synchronize();
	if (READ_ONCE(slot(sint)->flags) & 1)
		wrmsr(HV_MSR_EOM, 0);
}

static void synic_enable(void)
{
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	memset(msg_page, 0xff, sizeof(msg_page));
	wrmsr(HV_MSR_SIMP, (uint64_t)msg_page | 1);
	GUEST_ASSERT_EQ(slot(0)->type, 0);	/* zeroed when enabled */
	wrmsr(HV_MSR_SIEFP, (uint64_t)evt_page | 1);
	wrmsr(HV_MSR_SINT(TIMER_SINT), SINT_VEC);
	wrmsr(HV_MSR_SCONTROL, 1);
}

static void guest_synic_msrs(void)
{
	uint64_t v;
	unsigned int i;

	GUEST_ASSERT_EQ(rdmsr(HV_MSR_SVERSION), 1);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SVERSION, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_SCONTROL), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SCONTROL, 2), GP_VECTOR);
	for (i = 0; i < 16; i++)
		GUEST_ASSERT_EQ(rdmsr(HV_MSR_SINT(i)), HV_SINT_MASKED);
	/* 0x400000a0 is no SINT. */
	GUEST_ASSERT_EQ(rdmsr_safe(HV_MSR_SINT(16), &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SINT(3), 15), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SINT(3), 0x40 | (1ULL << 8)),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SINT(3), 0x40 | (1ULL << 19)),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SINT(3), HV_SINT_MASKED | 3), 0);
	wrmsr(HV_MSR_SINT(3), 0x40 | HV_SINT_AUTO_EOI | (1ULL << 18));
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_SINT(3)),
			0x40 | HV_SINT_AUTO_EOI | (1ULL << 18));
	wrmsr(HV_MSR_SINT(3), HV_SINT_MASKED);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SIMP, (uint64_t)msg_page | 2),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SIEFP, (uint64_t)evt_page | 0x800),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_SIMP, (1ULL << 40) | 1), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_EOM), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_STIMER_CONFIG(0), 1ULL << 13),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_STIMER_CONFIG(0), 1ULL << 20),
			GP_VECTOR);
	/* Message mode to SINT 0: the enable bit does not stick. */
	wrmsr(HV_MSR_STIMER_CONFIG(0), ST_ENABLE);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(0)), 0);
	/* Auto-enable: writing a count enables; writing 0 disables. */
	wrmsr(HV_MSR_STIMER_CONFIG(1), ST_AUTO_ENABLE | ST_SINT(TIMER_SINT));
	wrmsr(HV_MSR_STIMER_COUNT(1), rdmsr(HV_MSR_TIME_REF_COUNT) + 100000000);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(1)),
			ST_ENABLE | ST_AUTO_ENABLE | ST_SINT(TIMER_SINT));
	wrmsr(HV_MSR_STIMER_COUNT(1), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(1)),
			ST_AUTO_ENABLE | ST_SINT(TIMER_SINT));
	wrmsr(HV_MSR_STIMER_CONFIG(1), 0);
	GUEST_DONE();
}

TEST(synic_msrs)
{
	struct vm *vm = hv_lapic_vm(guest_synic_msrs);

	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

static void guest_stimers(void)
{
	struct hv_timer_payload *p = timer_payload(TIMER_SINT);
	uint64_t now, exp, prev;
	unsigned int i;

	synic_enable();

	/* One-shot, message mode: at the reference time in COUNT. */
	now = rdmsr(HV_MSR_TIME_REF_COUNT);
	exp = now + 20000;				/* 2 ms */
	wrmsr(HV_MSR_STIMER_CONFIG(0), ST_ENABLE | ST_SINT(TIMER_SINT));
	wrmsr(HV_MSR_STIMER_COUNT(0), exp);
	wait_count(&sint_irqs, 1);
	GUEST_ASSERT(sint_ref >= exp);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->type, HVMSG_TIMER_EXPIRED);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->size, sizeof(*p));
	GUEST_ASSERT_EQ(p->index, 0);
	GUEST_ASSERT_EQ(p->expiration, exp);
	GUEST_ASSERT(p->delivery >= exp && p->delivery <= sint_ref);
	/* One-shot: disabled once it expired. */
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(0)), ST_SINT(TIMER_SINT));

	/* The slot is busy: the next expiry sets msg_pending and waits. */
	exp = rdmsr(HV_MSR_TIME_REF_COUNT) + 5000;
	wrmsr(HV_MSR_STIMER_CONFIG(1), ST_ENABLE | ST_SINT(TIMER_SINT));
	wrmsr(HV_MSR_STIMER_COUNT(1), exp);
	while (rdmsr(HV_MSR_TIME_REF_COUNT) < exp + 50000)
		;
	GUEST_ASSERT_EQ(sint_irqs, 1);
	GUEST_ASSERT_EQ(p->index, 0);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->flags & 1, 1);
	/* EOM delivers it at once. */
	free_slot(TIMER_SINT);
	GUEST_ASSERT_EQ(sint_irqs, 2);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->type, HVMSG_TIMER_EXPIRED);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->flags, 0);
	GUEST_ASSERT_EQ(p->index, 1);
	GUEST_ASSERT_EQ(p->expiration, exp);
	GUEST_ASSERT(p->delivery >= exp + 50000);
	free_slot(TIMER_SINT);

	/* Periodic: every COUNT, expirations a period apart or more. */
	wrmsr(HV_MSR_STIMER_COUNT(2), 10000);		/* 1 ms */
	now = rdmsr(HV_MSR_TIME_REF_COUNT);
	wrmsr(HV_MSR_STIMER_CONFIG(2), ST_ENABLE | ST_PERIODIC |
	      ST_SINT(TIMER_SINT));
	prev = now;
	for (i = 0; i < 3; i++) {
		wait_count(&sint_irqs, 3 + i);
		GUEST_ASSERT_EQ(p->index, 2);
		GUEST_ASSERT(p->expiration >= prev + 10000);
		GUEST_ASSERT(sint_ref >= p->expiration);
		prev = p->expiration;
		free_slot(TIMER_SINT);
	}
	wrmsr(HV_MSR_STIMER_CONFIG(2), 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(2)), 0);

	/* Direct mode: the vector, no message. */
	exp = rdmsr(HV_MSR_TIME_REF_COUNT) + 20000;
	wrmsr(HV_MSR_STIMER_CONFIG(3), ST_ENABLE | ST_DIRECT |
	      ST_VECTOR(DIRECT_VEC));
	wrmsr(HV_MSR_STIMER_COUNT(3), exp);
	wait_count(&direct_irqs, 1);
	GUEST_ASSERT(direct_ref >= exp);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->type, 0);
	/* Periodic direct mode. */
	wrmsr(HV_MSR_STIMER_COUNT(3), 10000);
	wrmsr(HV_MSR_STIMER_CONFIG(3), ST_ENABLE | ST_DIRECT | ST_PERIODIC |
	      ST_VECTOR(DIRECT_VEC));
	wait_count(&direct_irqs, 4);
	wrmsr(HV_MSR_STIMER_CONFIG(3), 0);
	GUEST_SYNC(1);
	GUEST_DONE();
}

TEST(stimers)
{
	struct vm *vm = hv_lapic_vm(guest_stimers);
	struct vessel_pv_counters cnt = { 0 };

	vm_install_exception_handler(vm, SINT_VEC, sint_handler);
	vm_install_exception_handler(vm, DIRECT_VEC, direct_handler);
	vcpu_run_expect_sync(vm->vcpus[0], 1);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_LE(9, cnt.timer_expirations);
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

/* ------------------------------------------------------- hypercalls */

#define IPI_VEC		0x52
#define EVT_SINT	3
#define EVT_VEC		0x53
#define CONN_MSG	0x1234
#define CONN_EVT	0x5678
#define CONN_USER	0x9999

static uint64_t ipi_irqs, evt_irqs;

static void ipi_handler(struct ex_regs *regs)
{
	WRITE_ONCE(ipi_irqs, ipi_irqs + 1);
	wrmsr(HV_MSR_EOI, 0);
}

static void evt_handler(struct ex_regs *regs)
{
	WRITE_ONCE(evt_irqs, evt_irqs + 1);
	wrmsr(HV_MSR_EOI, 0);
}

/* A call with interrupts off, then one STI;NOP to take what it raised. */
static uint64_t hc_irq(uint64_t control, uint64_t in, uint64_t out)
{
	uint64_t r;

	cli();
	r = hv_hypercall(control, in, out);
	sti_nop();
	return r;
}

static uint64_t post(uint64_t conn, uint32_t type, uint32_t size, uint64_t p0)
{
	hv_in[0] = conn;
	hv_in[1] = type | (uint64_t)size << 32;
	hv_in[2] = p0;
	return hc_irq(HVCALL_POST_MESSAGE, (uint64_t)hv_in, 0);
}

static uint64_t signal_fast(uint32_t conn, uint16_t flag)
{
	return hc_irq(HVCALL_SIGNAL_EVENT | HC_FAST,
		      conn | (uint64_t)flag << 32, 0);
}

static void guest_hv_hypercalls(void)
{
	uint64_t in = (uint64_t)hv_in, n;
	uint32_t *flags = (uint32_t *)(evt_page + EVT_SINT * 256);

	enable_hypercalls();
	synic_enable();
	wrmsr(HV_MSR_SINT(EVT_SINT), EVT_VEC);

	/* HvSendSyntheticClusterIpi: fast and memory form, to ourselves. */
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_FAST, IPI_VEC, 1), 0);
	GUEST_ASSERT_EQ(ipi_irqs, 1);
	hv_in[0] = IPI_VEC;
	hv_in[1] = 1;
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI, in, 0), 0);
	GUEST_ASSERT_EQ(ipi_irqs, 2);
	/* VP 5 does not exist: nothing, and success. */
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_FAST, IPI_VEC, 1 << 5), 0);
	GUEST_ASSERT_EQ(ipi_irqs, 2);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_FAST, 15, 1),
			HV_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_FAST, 256, 1),
			HV_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_FAST,
			       IPI_VEC | (1ULL << 32), 1), HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_FAST,
			       IPI_VEC | (1ULL << 40), 1), HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_FAST | HC_REP(1), IPI_VEC, 1),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI | HC_VARHEAD(1), in, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI, in + 4, 0), HV_INVALID_ALIGNMENT);
	GUEST_ASSERT_EQ(ipi_irqs, 2);

	/* The Ex form: all, sparse (bank 0 = VP 0), bad formats and sizes. */
	hv_in[0] = IPI_VEC;
	hv_in[1] = 1;			/* HV_GENERIC_SET_ALL */
	hv_in[2] = 0;
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX, in, 0), 0);
	GUEST_ASSERT_EQ(ipi_irqs, 3);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX | HC_VARHEAD(1), in, 0),
			HV_INVALID_INPUT);
	hv_in[1] = 0;			/* HV_GENERIC_SET_SPARSE_4K */
	hv_in[2] = 1;
	hv_in[3] = 1;
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX | HC_VARHEAD(1), in, 0), 0);
	GUEST_ASSERT_EQ(ipi_irqs, 4);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX, in, 0), HV_INVALID_INPUT);
	hv_in[2] = 2;			/* bank 1: VPs 64-127, none */
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX | HC_VARHEAD(1), in, 0), 0);
	GUEST_ASSERT_EQ(ipi_irqs, 4);
	hv_in[1] = 2;
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX | HC_VARHEAD(1), in, 0),
			HV_INVALID_PARAMETER);
	hv_in[0] = IPI_VEC | (1ULL << 32);
	hv_in[1] = 1;
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX, in, 0), HV_INVALID_INPUT);
	hv_in[0] = 3;
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX, in, 0), HV_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SEND_IPI_EX | HC_FAST, IPI_VEC, 1),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(ipi_irqs, 4);

	/* HvPostMessage to a routed ID: into the slot, the SINT raised. */
	n = sint_irqs;
	GUEST_ASSERT_EQ(post(CONN_MSG, 7, 8, 0xabcd), 0);
	GUEST_ASSERT_EQ(sint_irqs, n + 1);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->type, 7);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->size, 8);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->payload[0], 0xabcd);
	/* Slot busy: kept, msg_pending set; one more finds no buffer. */
	GUEST_ASSERT_EQ(post(CONN_MSG, 8, 8, 0xef), 0);
	GUEST_ASSERT_EQ(sint_irqs, n + 1);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->flags & 1, 1);
	GUEST_ASSERT_EQ(post(CONN_MSG, 9, 8, 0), HV_INSUFFICIENT_BUFFERS);
	cli();
	free_slot(TIMER_SINT);
	sti_nop();
	GUEST_ASSERT_EQ(sint_irqs, n + 2);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->type, 8);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->payload[0], 0xef);
	free_slot(TIMER_SINT);
	/* Bad input. */
	GUEST_ASSERT_EQ(post(CONN_MSG, 0, 8, 0), HV_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(post(CONN_MSG, 0x80000010, 8, 0), HV_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(post(CONN_MSG, 7, 241, 0), HV_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(post(CONN_MSG | (1U << 24), 7, 8, 0), HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(post(CONN_MSG | (1ULL << 32), 7, 8, 0), HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_POST_MESSAGE | HC_FAST, CONN_MSG, 0),
			HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_POST_MESSAGE, in + 8, 0),
			HV_INVALID_INPUT);	/* crosses the page */
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->type, 0);
	GUEST_ASSERT_EQ(sint_irqs, n + 2);
	/* An event-only ID is no message connection: userspace. */
	GUEST_ASSERT_EQ(post(CONN_EVT, 7, 8, 0), HV_INVALID_CONNECTION_ID);

	/* HvSignalEvent: flag base 100 + 5, set atomically, SINT raised. */
	GUEST_ASSERT_EQ(signal_fast(CONN_EVT, 5), 0);
	GUEST_ASSERT_EQ(evt_irqs, 1);
	GUEST_ASSERT_EQ(flags[105 / 32], 1U << (105 % 32));
	/* Already set: no new interrupt. */
	GUEST_ASSERT_EQ(signal_fast(CONN_EVT, 5), 0);
	GUEST_ASSERT_EQ(evt_irqs, 1);
	__atomic_and_fetch(&flags[105 / 32], ~(1U << (105 % 32)), __ATOMIC_SEQ_CST);
	hv_in[0] = CONN_EVT | (7ULL << 32);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SIGNAL_EVENT, in, 0), 0);
	GUEST_ASSERT_EQ(evt_irqs, 2);
	GUEST_ASSERT_EQ(flags[107 / 32], 1U << (107 % 32));
	GUEST_ASSERT_EQ(signal_fast(CONN_EVT, 8), HV_INVALID_PARAMETER);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SIGNAL_EVENT | HC_FAST,
			       CONN_EVT | (1ULL << 48), 0), HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(hc_irq(HVCALL_SIGNAL_EVENT | HC_FAST | HC_REP(1),
			       CONN_EVT, 0), HV_INVALID_INPUT);
	GUEST_ASSERT_EQ(evt_irqs, 2);

	/* Unknown IDs reach userspace, which gives the status. */
	GUEST_ASSERT_EQ(signal_fast(CONN_USER, 1), HV_INVALID_CONNECTION_ID);
	GUEST_ASSERT_EQ(post(CONN_USER, 7, 8, 0), 0);

	/* CPL 3: denied. */
	GUEST_ASSERT_EQ(guest_run_user(user_spin, 0), HV_ACCESS_DENIED);
	GUEST_DONE();
}

TEST(hv_hypercalls_lapic)
{
	struct vm *vm = hv_lapic_vm(guest_hv_hypercalls);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_hv_connection c = {
		.flags = VESSEL_PV_HV_CONN_MESSAGE, .conn_id = CONN_MSG,
		.vcpu = 0, .sint = TIMER_SINT,
	};
	struct vessel_pv_counters cnt = { 0 };

	vm_install_exception_handler(vm, SINT_VEC, sint_handler);
	vm_install_exception_handler(vm, IPI_VEC, ipi_handler);
	vm_install_exception_handler(vm, EVT_VEC, evt_handler);
	vm_enable_usermode(vm, vcpu);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	EXPECT_ERRNO(EBUSY, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = (struct vessel_pv_hv_connection) {
		.flags = VESSEL_PV_HV_CONN_EVENT, .conn_id = CONN_EVT,
		.vcpu = 0, .sint = EVT_SINT, .flag_base = 100, .flag_count = 8,
	};
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_DEBUG);
	ASSERT_EQ(4, vcpu->run->paravirt.ndata);
	EXPECT_EQ(HVCALL_POST_MESSAGE, vcpu->run->paravirt.data[0]);
	EXPECT_EQ(CONN_EVT, *(uint32_t *)addr_gva2hva(vm, hv_in));
	vcpu->run->paravirt.ret = HV_INVALID_CONNECTION_ID;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_DEBUG);
	EXPECT_EQ(HVCALL_SIGNAL_EVENT, vcpu->run->paravirt.data[0]);
	EXPECT_EQ(CONN_USER | (1ULL << 32), vcpu->run->paravirt.data[1]);
	vcpu->run->paravirt.ret = HV_INVALID_CONNECTION_ID;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_PV_DEBUG);
	EXPECT_EQ(HVCALL_POST_MESSAGE, vcpu->run->paravirt.data[0]);
	EXPECT_EQ(CONN_USER, *(uint32_t *)addr_gva2hva(vm, hv_in));
	vcpu_run_expect_done(vcpu);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(3, cnt.user_exits);
	vm_free(vm);
}

/*
 * A message waiting behind a busy slot survives save/restore: the guest
 * leaves one queued, the host reads the queue, empties the SynIC with a
 * reset, restores registers and queue, and the guest's EOM delivers it.
 */
static void guest_msg_queue(void)
{
	uint64_t n;

	enable_hypercalls();
	synic_enable();
	GUEST_ASSERT_EQ(post(CONN_MSG, 7, 8, 0xabcd), 0);
	GUEST_ASSERT_EQ(post(CONN_MSG, 8, 16, 0xef), 0);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->flags & 1, 1);
	n = sint_irqs;
	GUEST_SYNC(1);
	/* Saved, reset and restored by the host meanwhile. */
	cli();
	free_slot(TIMER_SINT);
	sti_nop();
	GUEST_ASSERT_EQ(sint_irqs, n + 1);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->type, 8);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->size, 16);
	GUEST_ASSERT_EQ(slot(TIMER_SINT)->payload[0], 0xef);
	free_slot(TIMER_SINT);
	GUEST_DONE();
}

TEST(msg_queue_save_restore)
{
	struct vm *vm = hv_lapic_vm(guest_msg_queue), *kvm;
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_hv_connection c = {
		.flags = VESSEL_PV_HV_CONN_MESSAGE, .conn_id = CONN_MSG,
		.vcpu = 0, .sint = TIMER_SINT,
	};
	struct vessel_pv_state reset = {
		.flags = VESSEL_PV_STATE_RESET,
		.provider = VESSEL_PV_HYPERV, .version = 1,
	}, st = { 0 };
	static struct vessel_pv_hv_msg_queue q, bad, empty, now;
	struct hv_msg *m = (struct hv_msg *)q.msg[TIMER_SINT];

	vm_install_exception_handler(vm, SINT_VEC, sint_handler);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	vcpu_run_expect_sync(vcpu, 1);
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_HV_GET_MSG_QUEUE, &q));
	EXPECT_EQ(1U << TIMER_SINT, q.queued);
	EXPECT_EQ(8, m->type);
	EXPECT_EQ(16, m->size);
	EXPECT_EQ(0xef, m->payload[0]);
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &st));

	/* A reset empties it. */
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &reset));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_HV_GET_MSG_QUEUE, &now));
	EXPECT_EQ(0, now.queued);
	EXPECT_EQ(0, memcmp(&now, &empty, sizeof(now)));

	/* Bad queues are refused whole; GET checks its input too. */
	bad = q; bad.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, &bad));
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_HV_GET_MSG_QUEUE, &bad));
	bad = q; bad.reserved[2] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, &bad));
	bad = q; bad.queued |= 1U << 16;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, &bad));
	bad = q; ((struct hv_msg *)bad.msg[TIMER_SINT])->type = 0;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, &bad));
	bad = q; ((struct hv_msg *)bad.msg[TIMER_SINT])->size = 241;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, &bad));
	bad = q; bad.msg[0][5] = 1;	/* SINT 0 is not queued */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, &bad));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, (void *)8));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_HV_GET_MSG_QUEUE, &now));
	EXPECT_EQ(0, now.queued);

	/* Restored: registers first, then the queue. */
	st.flags = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, &q));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_HV_GET_MSG_QUEUE, &now));
	EXPECT_EQ(0, memcmp(&now, &q, sizeof(now)));
	vcpu_run_expect_done(vcpu);

	/* Only Hyper-V VMs have one; without an in-kernel APIC it is empty. */
	kvm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_leaves);
	EXPECT_ERRNO(EINVAL, ioctl(kvm->vcpus[0]->fd,
				   VESSEL_PV_HV_GET_MSG_QUEUE, &now));
	vm_free(kvm);
	kvm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_leaves);
	EXPECT_ERRNO(EINVAL, ioctl(kvm->vcpus[0]->fd,
				   VESSEL_PV_HV_SET_MSG_QUEUE, &q));
	ASSERT_EQ(0, ioctl(kvm->vcpus[0]->fd, VESSEL_PV_HV_SET_MSG_QUEUE,
			   &empty));
	vm_free(kvm);
	vm_free(vm);
}

TEST(hv_connection_errors)
{
	struct vessel_pv_hv_connection ok = {
		.flags = VESSEL_PV_HV_CONN_EVENT, .conn_id = 1, .vcpu = 0,
		.sint = 15, .flag_base = 2040, .flag_count = 8,
	}, c;
	struct vm *vm = hv_lapic_vm(guest_leaves);
	unsigned int i;

	c = ok; c.flags = 0;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.flags |= 1U << 3;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.flags |= VESSEL_PV_HV_CONN_DELETE;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.reserved[4] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.conn_id = 1U << 24;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.sint = 16;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.vcpu = 64;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.flag_count = 9;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.flag_count = 0;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	c = ok; c.flags = VESSEL_PV_HV_CONN_MESSAGE;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, (void *)8));
	c = (struct vessel_pv_hv_connection) {
		.flags = VESSEL_PV_HV_CONN_DELETE, .conn_id = 1 };
	EXPECT_ERRNO(ENOENT, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &ok));
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	EXPECT_ERRNO(ENOENT, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	/* 64 connections, then no room. */
	for (i = 0; i < 64; i++) {
		c = ok;
		c.conn_id = 100 + i;
		ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	}
	c.conn_id = 1000;
	EXPECT_ERRNO(ENOMEM, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	vm_free(vm);

	/* Without the in-kernel APIC, or another provider: EINVAL. */
	vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_leaves);
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &ok));
	vm_free(vm);
	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_leaves);
	vm_create_flags = 0;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &ok));
	vm_free(vm);
}

/* ------------------------------------------------------- auto-EOI */

#define AEOI_SINT	5
#define AEOI_VEC	0x54
#define PLAIN_VEC	0x55

static uint64_t aeoi_irqs, aeoi_isr, plain_isr;

/* No EOI: the SINT is auto-EOI, so the vector never entered ISR. */
static void aeoi_handler(struct ex_regs *regs)
{
	WRITE_ONCE(aeoi_isr, xapic_vec_set(APIC_ISR, AEOI_VEC));
	WRITE_ONCE(aeoi_irqs, aeoi_irqs + 1);
}

static void plain_handler(struct ex_regs *regs)
{
	WRITE_ONCE(plain_isr, xapic_vec_set(APIC_ISR, PLAIN_VEC));
	wrmsr(HV_MSR_EOI, 0);
}

static void guest_auto_eoi(void)
{
	unsigned int i;

	synic_enable();
	wrmsr(HV_MSR_SINT(AEOI_SINT), AEOI_VEC | HV_SINT_AUTO_EOI);
	for (i = 1; i <= 3; i++) {
		wrmsr(HV_MSR_STIMER_CONFIG(0), ST_ENABLE | ST_SINT(AEOI_SINT));
		wrmsr(HV_MSR_STIMER_COUNT(0), rdmsr(HV_MSR_TIME_REF_COUNT) + 1000);
		wait_count(&aeoi_irqs, i);
		GUEST_ASSERT_EQ(aeoi_isr, 0);
		GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0);
		free_slot(AEOI_SINT);
	}
	/* Other vectors still go through ISR. */
	cli();
	xapic_write(APIC_ICR, APIC_DEST_SELF | PLAIN_VEC);
	sti_nop();
	GUEST_ASSERT_EQ(plain_isr, 1);
	/* Masked, or auto-EOI cleared: the vector is an ordinary one again. */
	wrmsr(HV_MSR_SINT(AEOI_SINT), AEOI_VEC);
	cli();
	xapic_write(APIC_ICR, APIC_DEST_SELF | AEOI_VEC);
	sti_nop();
	GUEST_ASSERT_EQ(aeoi_isr, 1);
	GUEST_DONE();
}

TEST(sint_auto_eoi)
{
	struct vm *vm = hv_lapic_vm(guest_auto_eoi);

	vm_install_exception_handler(vm, AEOI_VEC, aeoi_handler);
	vm_install_exception_handler(vm, PLAIN_VEC, plain_handler);
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

/* -------------------------------------- SynIC and timer state */

static void guest_synic_state(void)
{
	synic_enable();
	wrmsr(HV_MSR_VP_ASSIST_PAGE, (uint64_t)assist_page | 1);
	wrmsr(HV_MSR_STIMER_COUNT(0), 10000);			/* 1 ms */
	wrmsr(HV_MSR_STIMER_CONFIG(0), ST_ENABLE | ST_PERIODIC |
	      ST_SINT(TIMER_SINT));
	wait_count(&sint_irqs, 1);
	free_slot(TIMER_SINT);
	GUEST_SYNC(1);
	/* Reset and restored by the host: the timer goes on. */
	wait_count(&sint_irqs, 2);
	free_slot(TIMER_SINT);
	wait_count(&sint_irqs, 3);
	GUEST_ASSERT_EQ(timer_payload(TIMER_SINT)->index, 0);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(0)),
			ST_ENABLE | ST_PERIODIC | ST_SINT(TIMER_SINT));
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_SINT(TIMER_SINT)), SINT_VEC);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_VP_ASSIST_PAGE), (uint64_t)assist_page | 1);
	wrmsr(HV_MSR_STIMER_CONFIG(0), 0);
	GUEST_DONE();
}

TEST(synic_state_round_trip)
{
	struct vm *vm = hv_lapic_vm(guest_synic_state);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_state st, bad, now;
	struct vessel_pv_state reset = {
		.flags = VESSEL_PV_STATE_RESET,
		.provider = VESSEL_PV_HYPERV, .version = 1,
	};
	struct vessel_pv_hv_vcpu_state *h = &st.hv_vcpu;
	unsigned int i;

	vm_install_exception_handler(vm, SINT_VEC, sint_handler);
	vcpu_run_expect_sync(vcpu, 1);
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &st));
	EXPECT_EQ(1, h->scontrol);
	EXPECT_EQ((uint64_t)msg_page | 1, h->simp);
	EXPECT_EQ((uint64_t)evt_page | 1, h->siefp);
	EXPECT_EQ((uint64_t)assist_page | 1, h->vp_assist);
	EXPECT_EQ(SINT_VEC, h->sint[TIMER_SINT]);
	EXPECT_EQ(HV_SINT_MASKED, h->sint[0]);
	EXPECT_EQ(ST_ENABLE | ST_PERIODIC | ST_SINT(TIMER_SINT),
		  h->stimer_config[0]);
	EXPECT_EQ(10000, h->stimer_count[0]);
	EXPECT_NE(0, h->stimer_exp[0]);
	EXPECT_EQ(0, h->stimer_exp[1]);

	/* Bad state is refused whole. */
	bad = st; bad.hv_vcpu.scontrol = 2;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.simp |= 2;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.vp_assist |= 4;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.sint[1] = 5;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.sint[1] = HV_SINT_MASKED | (1ULL << 20);
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.stimer_config[2] = 1ULL << 40;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.stimer_pending = 1 << 4;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.stimer_pending = 1 << 1;	/* timer 1 is off */
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));
	bad = st; bad.hv_vcpu.reserved[5] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &bad));

	/* Reset: power-on values, the timer stopped. */
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &reset));
	memset(&now, 0, sizeof(now));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &now));
	EXPECT_EQ(0, now.hv_vcpu.scontrol);
	EXPECT_EQ(0, now.hv_vcpu.simp);
	EXPECT_EQ(0, now.hv_vcpu.vp_assist);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(HV_SINT_MASKED, now.hv_vcpu.sint[i]);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, now.hv_vcpu.stimer_config[i]);
		EXPECT_EQ(0, now.hv_vcpu.stimer_exp[i]);
	}

	/* Restored: the same registers, the timer running again. */
	st.flags = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	memset(&now, 0, sizeof(now));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &now));
	EXPECT_EQ(0, memcmp(now.hv_vcpu.sint, h->sint, sizeof(h->sint)));
	EXPECT_EQ(h->stimer_config[0], now.hv_vcpu.stimer_config[0]);
	EXPECT_EQ(h->stimer_exp[0], now.hv_vcpu.stimer_exp[0]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------- vCPU state */

static void guest_runtime(void)
{
	uint64_t v;

	v = rdmsr(HV_MSR_VP_RUNTIME);
	GUEST_SYNC_ARGS(2, 1, v);
	/* The host set 10 s: it goes on from there. */
	v = rdmsr(HV_MSR_VP_RUNTIME);
	GUEST_ASSERT(v >= 100000000 && v < 110000000);
	GUEST_DONE();
}

TEST(vcpu_state)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_runtime);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_state st;
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &st));
	EXPECT_LE(uc.args[1], st.hv_vcpu.vp_runtime);
	st.hv_vcpu.reserved[0] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.hv_vcpu.reserved[0] = 0;
	st.hv_vcpu.vp_runtime = 100000000;
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
