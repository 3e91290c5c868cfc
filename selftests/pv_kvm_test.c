// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM paravirtual provider, as a Linux guest uses it: the leaves, each
 * MSR (read, write, reserved bits, #GP when not advertised, after reset),
 * kvmclock checked against the guest's own TSC arithmetic (monotonic,
 * across a TSC offset change), the wall clock, steal time growing while
 * the vCPU thread is starved, each hypercall (and CPL 3 refused), state
 * get/set and counters.
 */
#include <asm/vmx.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm_para.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "hypercall.h"
#include "pvclock.h"
#include "processor.h"
#include "ucall.h"
#include "usermode.h"
#include "vessel_util.h"

#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(err, errno) TH_LOG("%s: %s", #call, strerror(errno));	\
} while (0)

#define KVM_FEATURES_DONE	((1U << KVM_FEATURE_CLOCKSOURCE) |	\
				 (1U << KVM_FEATURE_NOP_IO_DELAY) |	\
				 (1U << KVM_FEATURE_CLOCKSOURCE2) |	\
				 (1U << KVM_FEATURE_STEAL_TIME) |	\
				 (1U << KVM_FEATURE_POLL_CONTROL) |	\
				 (1U << KVM_FEATURE_PV_SCHED_YIELD) |	\
				 (1U << KVM_FEATURE_PV_TLB_FLUSH))
#define STABLE_FEATURE		(1U << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT)
/* Offered only with an in-kernel APIC (VESSEL_VM_LAPIC). */
#define KVM_FEATURES_LAPIC	((1U << KVM_FEATURE_PV_UNHALT) |	\
				 (1U << KVM_FEATURE_PV_SEND_IPI) |	\
				 (1U << KVM_FEATURE_PV_EOI))

/* Shared with the guest (set before vm_create, copied with the image). */
static uint64_t tsc_khz;
static struct pvclock_vcpu_time_info pvti __aligned(64);
static struct pvclock_wall_clock wall __aligned(64);
static struct kvm_steal_time steal __aligned(64);
static struct kvm_clock_pairing pairing __aligned(64);

static long kvm_hypercall(uint64_t nr, uint64_t a0, uint64_t a1)
{
	return kvm_hypercall4(nr, a0, a1, 0, 0);
}

/* ------------------------------------------------------------- guest */

/* Linux's pvclock_clocksource_read, with the TSC it used. */
static uint64_t kvmclock_read(uint64_t *tsc)
{
	return pvclock_read(&pvti, tsc);
}

/* What the guest's own arithmetic says @ticks of the TSC last, in ns. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	return ticks * 1000000 / tsc_khz;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Over a busy stretch, kvmclock advances as the TSC says it must. */
static void check_rate(void)
{
	uint64_t t0, t1, c0, c1, i;

	c0 = kvmclock_read(&t0);
	for (i = 0; i < 20000; i++)
		asm volatile("nop");
	c1 = kvmclock_read(&t1);
	GUEST_ASSERT(c1 > c0);
	/* Rounding of mul: far below 1 ns per microsecond. */
	GUEST_ASSERT(absdiff(c1 - c0, ticks_to_ns(t1 - t0)) <=
		     2 + (c1 - c0) / 1000000);
}

static void guest_kvmclock(void)
{
	uint32_t a, b, c, d, ver;
	uint64_t c0, c1, prev, i, tsc, val;

	cpuid_count(KVM_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	GUEST_SYNC_ARGS(4, a, b, c, d);
	cpuid_count(KVM_CPUID_FEATURES, 0, &a, &b, &c, &d);
	GUEST_SYNC_ARGS(2, a, d);

	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&pvti | 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_SYSTEM_TIME_NEW), (uint64_t)&pvti | 1);
	GUEST_ASSERT(pvti.version && !(pvti.version & 1));
	GUEST_ASSERT_EQ(!!(pvti.flags & 1), !!(a & STABLE_FEATURE));
	/* The scale is the module's TSC rate: 1 s of ticks is 1e9 ns. */
	GUEST_ASSERT(absdiff(pvclock_scale(tsc_khz * 1000, pvti.tsc_to_system_mul,
					   pvti.tsc_shift), 1000000000) <= 2);
	/* Counting from VM creation: under a minute in. */
	c0 = kvmclock_read(NULL);
	GUEST_ASSERT(c0 < 60ULL * 1000000000);

	prev = c0;
	for (i = 0; i < 1000; i++) {
		c1 = kvmclock_read(NULL);
		GUEST_ASSERT(c1 >= prev);
		prev = c1;
	}
	check_rate();

	/* Moving the TSC back does not move the clock back. */
	ver = pvti.version;
	c0 = kvmclock_read(NULL);
	wrmsr(MSR_IA32_TSC, 0x100000);
	c1 = kvmclock_read(&tsc);
	GUEST_ASSERT(tsc < 0x100000000ULL);
	GUEST_ASSERT(pvti.version != ver);
	GUEST_ASSERT(pvti.tsc_timestamp <= tsc);
	GUEST_ASSERT(c1 >= c0);
	GUEST_ASSERT(c1 - c0 < 100000000);	/* 100 ms: one exit */
	check_rate();
	/* And forward does not jump it. */
	c0 = kvmclock_read(NULL);
	wrmsr(MSR_IA32_TSC, 1ULL << 40);
	c1 = kvmclock_read(NULL);
	GUEST_ASSERT(c1 >= c0 && c1 - c0 < 100000000);
	check_rate();

	/* An exit to userspace and back: still monotonic. */
	GUEST_SYNC(10);
	c0 = kvmclock_read(NULL);
	GUEST_ASSERT(c0 >= c1);

	/* The old MSR is the same clock. */
	wrmsr(MSR_KVM_SYSTEM_TIME, (uint64_t)&pvti | 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_SYSTEM_TIME), (uint64_t)&pvti | 1);
	GUEST_ASSERT(kvmclock_read(NULL) >= c0);

	/* Wall clock: seconds since the epoch at kvmclock 0. */
	wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)&wall);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_WALL_CLOCK_NEW), (uint64_t)&wall);
	GUEST_ASSERT(wall.version && !(wall.version & 1));
	GUEST_ASSERT(wall.nsec < 1000000000);
	GUEST_SYNC_ARGS(2, 11, wall.sec);

	GUEST_ASSERT(!rdmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, &val));
	GUEST_DONE();
}

TEST(kvmclock)
{
	struct vm *vm;
	struct vcpu *vcpu;
	struct ucall uc;
	char sig[12];

	tsc_khz = vm_module_tsc_khz();
	vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_kvmclock);
	vcpu = vm->vcpus[0];
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(KVM_CPUID_FEATURES, uc.args[0]);
	memcpy(sig, &uc.args[1], 4);
	memcpy(sig + 4, &uc.args[2], 4);
	memcpy(sig + 8, &uc.args[3], 4);
	EXPECT_EQ(0, memcmp(sig, KVM_SIGNATURE, 12));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* Exactly what is implemented; the stable bit as the host TSC is. */
	EXPECT_EQ(KVM_FEATURES_DONE, uc.args[0] & ~STABLE_FEATURE);
	EXPECT_EQ(0, uc.args[1]);
	TH_LOG("TSC %lu kHz, stable %d", (unsigned long)tsc_khz,
	       !!(uc.args[0] & STABLE_FEATURE));
	vcpu_run_expect_sync(vcpu, 10);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(11, uc.args[0]);
	EXPECT_LE(absdiff(uc.args[1], time(NULL)), 120);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* -------------------------------------------------------------- MSRs */

static void guest_msrs(void)
{
	uint64_t v;

	/* Power-on values. */
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_SYSTEM_TIME_NEW), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_WALL_CLOCK_NEW), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_STEAL_TIME), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_POLL_CONTROL), 1);

	/* Reserved bits. */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_POLL_CONTROL, 2), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_STEAL_TIME, (uint64_t)&steal | 2),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_STEAL_TIME, (uint64_t)&steal | 0x20),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_POLL_CONTROL, 0), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_POLL_CONTROL), 0);
	wrmsr(MSR_KVM_STEAL_TIME, (uint64_t)&steal | 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_STEAL_TIME), (uint64_t)&steal | 1);
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&pvti | 1);

	/* PV EOI needs the in-kernel APIC, which this VM has not: #GP. */
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_PV_EOI_EN, &v), GP_VECTOR);
	/* KVM MSRs of features not implemented: #GP. */
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_ASYNC_PF_EN, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_ASYNC_PF_INT, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_MIGRATION_CONTROL, &v), GP_VECTOR);
	GUEST_SYNC(1);		/* the host saves, resets */

	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_SYSTEM_TIME_NEW), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_STEAL_TIME), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_POLL_CONTROL), 1);
	GUEST_SYNC(2);		/* the host restores */

	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_SYSTEM_TIME_NEW), (uint64_t)&pvti | 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_STEAL_TIME), (uint64_t)&steal | 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_POLL_CONTROL), 0);
	GUEST_DONE();
}

TEST(msrs_reset_and_state)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_msrs);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_state st, vst, reset = { 0 };
	struct vessel_pv_counters cnt = { 0 };

	vcpu_run_expect_sync(vcpu, 1);
	memset(&st, 0, sizeof(st));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &st));
	EXPECT_EQ(VESSEL_PV_KVM, st.provider);
	EXPECT_EQ((uint64_t)&pvti | 1, st.kvm_vcpu.system_time_msr);
	EXPECT_EQ((uint64_t)&steal | 1, st.kvm_vcpu.steal_time_msr);
	EXPECT_EQ(0, st.kvm_vcpu.poll_control_msr);
	memset(&vst, 0, sizeof(vst));
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_VM_STATE, &vst));
	EXPECT_NE(0, vst.kvm_vm.clock_tsc);

	/* Bad state: reserved bits of MSRs, reserved fields, the tail. */
	st.kvm_vcpu.poll_control_msr = 2;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.kvm_vcpu.poll_control_msr = 0;
	st.kvm_vcpu.steal_time_msr |= 4;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.kvm_vcpu.steal_time_msr &= ~4ULL;
	st.kvm_vcpu.reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.kvm_vcpu.reserved[1] = 0;
	st.data[40] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.data[40] = 0;
	vst.kvm_vm.reserved[0] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &vst));
	vst.kvm_vm.reserved[0] = 0;
	EXPECT_EQ(0, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &vst));

	reset.flags = VESSEL_PV_STATE_RESET;
	reset.provider = VESSEL_PV_KVM;
	reset.version = 1;
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &reset));
	vcpu_run_expect_sync(vcpu, 2);
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	vcpu_run_expect_done(vcpu);

	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(VESSEL_PV_KVM, cnt.provider);
	/* Unimplemented KVM MSRs are not the provider's: not counted. */
	EXPECT_EQ(13, cnt.msr_reads);
	EXPECT_EQ(6, cnt.msr_writes);
	EXPECT_EQ(4, cnt.msr_faults);
	vm_free(vm);
}

/* A VM whose CPUID does not advertise a feature refuses its MSRs. */
static void guest_not_advertised(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_STEAL_TIME, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_POLL_CONTROL, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_SYSTEM_TIME, &v), 0);
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_SCHED_YIELD, 0, 0), -KVM_ENOSYS);
	GUEST_DONE();
}

TEST(msrs_not_advertised)
{
	struct vessel_cpuid_entry e[VESSEL_MAX_CPUID_ENTRIES], *l;
	struct vm *vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_not_advertised);
	struct vessel_cpuid c = { 0 };
	uint32_t nr = vm_cpuid_get(vm, e);

	l = cpuid_find(e, nr, KVM_CPUID_FEATURES, 0);
	ASSERT_NE(NULL, l);
	l->eax &= ~((1U << KVM_FEATURE_STEAL_TIME) |
		    (1U << KVM_FEATURE_CLOCKSOURCE2) |
		    (1U << KVM_FEATURE_POLL_CONTROL) |
		    (1U << KVM_FEATURE_PV_SCHED_YIELD));
	c.nr = nr;
	c.entries = (uintptr_t)e;
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_SET_CPUID, &c));
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

/* Without the KVM provider the MSRs are #GP. */
static void guest_no_kvm(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_WALL_CLOCK_NEW, 0), GP_VECTOR);
	GUEST_DONE();
}

TEST(msrs_other_providers)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_NONE, 0, guest_no_kvm);

	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
	vm = vm_create_pv(1, VESSEL_PV_MINIMAL, 0, guest_no_kvm);
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

/* -------------------------------------------------------- hypercalls */

static uint64_t user_poll_irq(uint64_t nr)
{
	return kvm_hypercall(nr, 0, 0);
}

static void guest_hypercalls(void)
{
	long r;

	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_VAPIC_POLL_IRQ, 0, 0), 0);
	GUEST_ASSERT_EQ(kvm_hypercall(1000, 0, 0), -KVM_ENOSYS);
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_KICK_CPU, 0, 0), -KVM_ENOSYS);
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_SEND_IPI, 0, 0), -KVM_ENOSYS);
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_SCHED_YIELD, 0, 0), 0);
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_SCHED_YIELD, 1, 0), 0);
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_SCHED_YIELD, ~0ULL, 0), 0);

	/* Clock pairing: only the wall clock, only a stable TSC. */
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_CLOCK_PAIRING, (uint64_t)&pairing,
				      1), -KVM_EOPNOTSUPP);
	r = kvm_hypercall(KVM_HC_CLOCK_PAIRING, (uint64_t)&pairing,
			  KVM_CLOCK_PAIRING_WALLCLOCK);
	if (r == 0) {
		uint64_t t = rdtsc();

		/* Paired during the call: less than a second ago. */
		GUEST_ASSERT(pairing.tsc <= t && t - pairing.tsc < tsc_khz * 1000);
		GUEST_ASSERT(pairing.nsec < 1000000000);
		GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_CLOCK_PAIRING,
					      GUEST_MMIO_GPA, 0), -KVM_EFAULT);
		GUEST_SYNC_ARGS(2, 1, pairing.sec);
	} else {
		GUEST_ASSERT_EQ(r, -KVM_EOPNOTSUPP);
		GUEST_SYNC_ARGS(2, 1, 0);
	}

	/* CPL 3: refused, whatever the call. */
	GUEST_ASSERT_EQ(guest_run_user(user_poll_irq, KVM_HC_VAPIC_POLL_IRQ),
			(uint64_t)-KVM_EPERM);
	GUEST_ASSERT_EQ(guest_run_user(user_poll_irq, 1000),
			(uint64_t)-KVM_EPERM);
	GUEST_DONE();
}

TEST(hypercalls)
{
	struct vm *vm;
	struct vessel_pv_counters cnt = { 0 };
	struct ucall uc;

	tsc_khz = vm_module_tsc_khz();
	vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_hypercalls);
	vm_enable_usermode(vm, vm->vcpus[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vm->vcpus[0], &uc));
	ASSERT_EQ(1, uc.args[0]);
	/* 0: refused, the host TSC is not stable. */
	EXPECT_LE(uc.args[1] ? absdiff(uc.args[1], time(NULL)) : 0, 120);
	vcpu_run_expect_done(vm->vcpus[0]);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(2, cnt.hypercalls[KVM_HC_VAPIC_POLL_IRQ]);
	EXPECT_EQ(3, cnt.hypercalls[KVM_HC_SCHED_YIELD]);
	EXPECT_EQ(1, cnt.hypercalls[KVM_HC_KICK_CPU]);
	EXPECT_EQ(2, cnt.hypercalls[VESSEL_PV_HC_OTHER]);
	vm_free(vm);
}

/*
 * Unknown hypercalls are answered in the kernel, as known ones are: one
 * RUN, no exit to userspace but the final ucall, every call a VMCALL exit
 * counted once (by number, or as OTHER), every answer -KVM_ENOSYS.  The
 * fast path (IRQs off) answers them; a double count or a lost one shows.
 */
#define UNKNOWN_ROUNDS		50
static const uint64_t unknown_nr[] = { 0, 2, 1000, 0x7fffffff, ~0ULL };

static void guest_unknown_hypercalls(void)
{
	unsigned int i, j;

	for (i = 0; i < UNKNOWN_ROUNDS; i++)
		for (j = 0; j < ARRAY_SIZE(unknown_nr); j++)
			GUEST_ASSERT_EQ(kvm_hypercall4(unknown_nr[j], i, j, 0, 0),
					-KVM_ENOSYS);
	/* A known one between them still works. */
	GUEST_ASSERT_EQ(kvm_hypercall(KVM_HC_VAPIC_POLL_IRQ, 0, 0), 0);
	GUEST_DONE();
}

TEST(unknown_hypercalls_in_kernel)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_KVM, 0,
				     guest_unknown_hypercalls);
	struct vessel_pv_counters cnt = { 0 };
	struct vessel_counters c = { 0 };

	vcpu_run_expect_done(vm->vcpus[0]);
	vcpu_ioctl(vm->vcpus[0], VESSEL_GET_COUNTERS, &c);
	EXPECT_EQ(1, c.runs);
	EXPECT_EQ(1, c.user_exits[VESSEL_EXIT_IO]);
	EXPECT_EQ(UNKNOWN_ROUNDS * ARRAY_SIZE(unknown_nr) + 1,
		  c.vmx_exits[EXIT_REASON_VMCALL]);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(UNKNOWN_ROUNDS, cnt.hypercalls[0]);
	EXPECT_EQ(UNKNOWN_ROUNDS, cnt.hypercalls[2]);
	EXPECT_EQ(3 * UNKNOWN_ROUNDS, cnt.hypercalls[VESSEL_PV_HC_OTHER]);
	EXPECT_EQ(1, cnt.hypercalls[KVM_HC_VAPIC_POLL_IRQ]);
	EXPECT_EQ(0, cnt.user_exits);
	vm_free(vm);
}

/* -------------------------------------------------------- steal time */

static int hog_stop;

static void *hog(void *arg)
{
	while (!READ_ONCE(hog_stop))
		;
	return NULL;
}

static void guest_steal(void)
{
	uint64_t i, s0;
	uint32_t a, b, c, d;

	wrmsr(MSR_KVM_STEAL_TIME, (uint64_t)&steal | 1);
	GUEST_ASSERT(!(steal.version & 1));
	GUEST_ASSERT_EQ(steal.preempted, 0);
	s0 = steal.steal;
	GUEST_SYNC(1);		/* out of RUN: not preempted (KVM's way) */
	GUEST_ASSERT_EQ(steal.preempted, 0);
	GUEST_SYNC(2);		/* the host starts a CPU hog */
	for (i = 0; i < 200000 && steal.steal == s0; i++)
		cpuid_count(0, 0, &a, &b, &c, &d);
	GUEST_ASSERT(!(steal.version & 1));
	GUEST_SYNC_ARGS(3, 3, steal.steal - s0, i);
	GUEST_DONE();
}

TEST(steal_time)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_steal);
	struct vcpu *vcpu = vm->vcpus[0];
	struct kvm_steal_time *st = addr_gva2hva(vm, &steal);
	struct vessel_pv_state s = { 0 };
	pthread_t t;
	cpu_set_t set;
	struct ucall uc;

	/* The vCPU thread and the hog share one CPU. */
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	vcpu_run_expect_sync(vcpu, 1);
	/* A return to userspace is no preemption: KVM leaves the flag 0. */
	EXPECT_EQ(0, st->preempted);
	vcpu_run_expect_sync(vcpu, 2);
	WRITE_ONCE(hog_stop, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, hog, NULL));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	WRITE_ONCE(hog_stop, 1);
	pthread_join(t, NULL);
	ASSERT_EQ(3, uc.args[0]);
	EXPECT_NE(0, uc.args[1]) TH_LOG("no steal after %lu exits",
					(unsigned long)uc.args[2]);
	TH_LOG("steal %lu ns after %lu exits", (unsigned long)uc.args[1],
	       (unsigned long)uc.args[2]);
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &s));
	EXPECT_LE(uc.args[1], s.kvm_vcpu.steal_ns);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------------ what needs the in-kernel APIC */

#define PV_EOI_VECTOR	0x40
#define PV_EOI_ROUNDS	200

static uint64_t pv_eoi_word __aligned(64);
static uint64_t use_pv_eoi, handled, flagged, written, round_cycles;
static uint32_t apic_bits_seen;	/* what guest_no_apic expects in CPUID */

static uint32_t kvm_features(void)
{
	uint32_t a = KVM_CPUID_FEATURES, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return a;
}

/* Linux's kvm_guest_apic_eoi_write(): the flag set means no EOI write. */
static void pv_eoi_handler(struct ex_regs *regs)
{
	WRITE_ONCE(handled, handled + 1);
	if (READ_ONCE(pv_eoi_word) & KVM_PV_EOI_ENABLED) {
		WRITE_ONCE(pv_eoi_word, 0);
		WRITE_ONCE(flagged, flagged + 1);
		return;
	}
	WRITE_ONCE(written, written + 1);
	xapic_write(APIC_EOI, 0);
}

/* Without VESSEL_VM_LAPIC: not advertised, MSR #GP, hypercalls ENOSYS. */
static void guest_no_apic(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(kvm_features() & KVM_FEATURES_LAPIC, apic_bits_seen);
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_PV_EOI_EN, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_PV_EOI_EN, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_KICK_CPU, 0, 0, 0, 0), -KVM_ENOSYS);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 0, 0x30),
			-KVM_ENOSYS);
	GUEST_DONE();
}

TEST(apic_features_need_lapic)
{
	struct vessel_cpuid_entry e[VESSEL_MAX_CPUID_ENTRIES], *l;
	struct vm *vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_no_apic);
	struct vessel_pv_state st = { 0 };
	struct vessel_cpuid c = { 0 };
	uint32_t nr = vm_cpuid_get(vm, e);

	l = cpuid_find(e, nr, KVM_CPUID_FEATURES, 0);
	ASSERT_NE(NULL, l);
	EXPECT_EQ(0, l->eax & KVM_FEATURES_LAPIC);
	/* Userspace turning the bits on gives no APIC features either. */
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);

	vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_no_apic);
	nr = vm_cpuid_get(vm, e);
	l = cpuid_find(e, nr, KVM_CPUID_FEATURES, 0);
	l->eax |= KVM_FEATURES_LAPIC;
	c.nr = nr;
	c.entries = (uintptr_t)e;
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_SET_CPUID, &c));
	ASSERT_EQ(0, ioctl(vm->vcpus[0]->fd, VESSEL_PV_GET_VCPU_STATE, &st));
	st.kvm_vcpu.pv_eoi_msr = 0x1000 | 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->vcpus[0]->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.kvm_vcpu.pv_eoi_msr = 0;
	st.kvm_vcpu.flags = VESSEL_PV_KVM_PV_UNHALT;
	EXPECT_ERRNO(EINVAL, ioctl(vm->vcpus[0]->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	guest_global(vm, apic_bits_seen) = KVM_FEATURES_LAPIC;
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

/*
 * With an in-kernel APIC: the bits, the MSR's checks, SEND_IPI to
 * itself and its errors, a KICK_CPU before HLT (a pending unhalt: HLT
 * with IF=0, which nothing else could end, returns at once).
 */
static void guest_apic_features(void)
{
	uint64_t v;

	GUEST_ASSERT_EQ(kvm_features() & KVM_FEATURES_LAPIC, KVM_FEATURES_LAPIC);
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);

	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_PV_EOI_EN), 0);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_PV_EOI_EN, (uint64_t)&pv_eoi_word | 2),
			GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_PV_EOI_EN, 1ULL << 63 | 1), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_KVM_PV_EOI_EN, &v), 0);
	GUEST_ASSERT_EQ(v, 0);
	/* 4-byte alignment is enough. */
	wrmsr(MSR_KVM_PV_EOI_EN, ((uint64_t)&pv_eoi_word + 4) | 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_PV_EOI_EN), ((uint64_t)&pv_eoi_word + 4) | 1);
	wrmsr(MSR_KVM_PV_EOI_EN, (uint64_t)&pv_eoi_word | 1);

	/* SEND_IPI: logical destination or a shorthand: -KVM_EINVAL. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 0,
				       APIC_DEST_LOGICAL | PV_EOI_VECTOR),
			-KVM_EINVAL);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 0,
				       APIC_DEST_SELF | PV_EOI_VECTOR),
			-KVM_EINVAL);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 0,
				       APIC_DEST_ALLBUT | PV_EOI_VECTOR),
			-KVM_EINVAL);
	/* No such APIC ID, an illegal vector: delivered to none. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 2, 0, 0, PV_EOI_VECTOR), 0);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 0, 1, 0, PV_EOI_VECTOR), 0);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 1, PV_EOI_VECTOR), 0);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 0, 15), 0);
	GUEST_ASSERT_EQ(READ_ONCE(handled), 0);
	/* To itself (APIC ID 0), taken when IF is set. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 0, PV_EOI_VECTOR), 1);
	sti();
	while (!READ_ONCE(handled))
		cpu_relax();
	cli();
	GUEST_ASSERT_EQ(READ_ONCE(handled), 1);
	GUEST_ASSERT(!xapic_vec_set(APIC_ISR, PV_EOI_VECTOR));

	/* Kicked before it halts: this HLT (IF=0) returns at once. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_KICK_CPU, 0, 0, 0, 0), 0);
	asm volatile("hlt");
	/* A kick for an APIC that does not exist: nothing, 0. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_KICK_CPU, 0, 7, 0, 0), 0);
	/* SCHED_YIELD still answers (no one else to run). */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SCHED_YIELD, 0, 0, 0, 0), 0);
	/* A kick left pending goes into the saved state ... */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_KICK_CPU, 0, 0, 0, 0), 0);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_PV_EOI_EN), 0);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(rdmsr(MSR_KVM_PV_EOI_EN), (uint64_t)&pv_eoi_word | 1);
	/* ... and, restored after a reset dropped it, ends this HLT (IF=0). */
	asm volatile("hlt");
	GUEST_DONE();
}

static struct vm *pv_lapic_vm(void *guest_code)
{
	struct vm *vm;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_code);
	vm_create_flags = 0;
	vm_install_exception_handler(vm, PV_EOI_VECTOR, pv_eoi_handler);
	return vm;
}

TEST(apic_features)
{
	struct vm *vm = pv_lapic_vm(guest_apic_features);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_state st = { 0 }, reset = { 0 }, now;
	struct vessel_pv_counters cnt = { 0 };

	vcpu_run_expect_sync(vcpu, 1);
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &st));
	EXPECT_EQ((uint64_t)&pv_eoi_word | 1, st.kvm_vcpu.pv_eoi_msr);
	EXPECT_EQ(VESSEL_PV_KVM_PV_UNHALT, st.kvm_vcpu.flags);
	st.kvm_vcpu.flags |= 2;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.kvm_vcpu.flags = VESSEL_PV_KVM_PV_UNHALT;
	/* Bad state: a misaligned flag, bits beyond the address width. */
	st.kvm_vcpu.pv_eoi_msr |= 2;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.kvm_vcpu.pv_eoi_msr = 1ULL << 63 | 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.kvm_vcpu.pv_eoi_msr = (uint64_t)&pv_eoi_word | 1;
	/* Reset: PV EOI off. */
	reset.flags = VESSEL_PV_STATE_RESET;
	reset.provider = VESSEL_PV_KVM;
	reset.version = 1;
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &reset));
	memset(&now, 0, sizeof(now));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &now));
	EXPECT_EQ(0, now.kvm_vcpu.flags);
	vcpu_run_expect_sync(vcpu, 2);
	/* Restored: on again, the kick pending again. */
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	memset(&now, 0, sizeof(now));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &now));
	EXPECT_EQ(VESSEL_PV_KVM_PV_UNHALT, now.kvm_vcpu.flags);
	vcpu_run_expect_done(vcpu);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(8, cnt.hypercalls[KVM_HC_SEND_IPI]);
	EXPECT_EQ(3, cnt.hypercalls[KVM_HC_KICK_CPU]);
	vm_free(vm);
}

/*
 * PV EOI: self-IPIs, each handler ending with the flag protocol.  The
 * same guest without the MSR writes EOI every time; the difference in
 * exits is the EOI writes PV EOI saved.
 */
static void guest_pv_eoi(void)
{
	uint64_t i, t0;

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	if (READ_ONCE(use_pv_eoi))
		wrmsr(MSR_KVM_PV_EOI_EN, (uint64_t)&pv_eoi_word | 1);
	sti();
	t0 = rdtsc();
	for (i = 0; i < PV_EOI_ROUNDS; i++) {
		xapic_write(APIC_ICR, APIC_DEST_SELF | PV_EOI_VECTOR);
		while (READ_ONCE(handled) <= i)
			cpu_relax();
	}
	WRITE_ONCE(round_cycles, (rdtsc() - t0) / PV_EOI_ROUNDS);
	cli();
	/* Every EOI done, lazily or not: nothing left in service. */
	GUEST_ASSERT(!xapic_vec_set(APIC_ISR, PV_EOI_VECTOR));
	GUEST_ASSERT_EQ(READ_ONCE(flagged) + READ_ONCE(written), PV_EOI_ROUNDS);
	GUEST_DONE();
}

static uint64_t total_exits(struct vcpu *vcpu)
{
	struct vessel_counters c = { 0 };
	uint64_t n = 0;
	unsigned int i;

	TEST_ASSERT(!ioctl(vcpu->fd, VESSEL_GET_COUNTERS, &c), "GET_COUNTERS");
	for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++)
		n += c.vmx_exits[i];
	return n;
}

TEST(pv_eoi)
{
	uint64_t exits[2], cycles[2], flag_count = 0;
	struct vm *vm;
	int pv;

	for (pv = 0; pv < 2; pv++) {
		use_pv_eoi = pv;
		vm = pv_lapic_vm(guest_pv_eoi);
		vcpu_run_expect_done(vm->vcpus[0]);
		exits[pv] = total_exits(vm->vcpus[0]);
		cycles[pv] = guest_global(vm, round_cycles);
		if (pv)
			flag_count = guest_global(vm, flagged);
		else
			EXPECT_EQ(0, guest_global(vm, flagged));
		vm_free(vm);
	}
	use_pv_eoi = 0;
	TH_LOG("%d self-IPIs: %lu exits, %lu with PV EOI (%lu handlers found the flag)",
	       PV_EOI_ROUNDS, (unsigned long)exits[0], (unsigned long)exits[1],
	       (unsigned long)flag_count);
	TH_LOG("self-IPI, handler, EOI: %lu guest TSC cycles, %lu with PV EOI",
	       (unsigned long)cycles[0], (unsigned long)cycles[1]);
	/* Nearly every interrupt (an exit in its handler takes the flag back). */
	EXPECT_LE(PV_EOI_ROUNDS * 9 / 10, flag_count);
	/* Each flagged handler saved its EOI write's exit. */
	EXPECT_LE(exits[1] + flag_count * 9 / 10, exits[0]);
}

/*
 * The PV EOI flag's VMM address is looked up once and kept (lapic.c): 20
 * self-IPIs, then userspace moves the guest's memory to another mapping
 * (the old one stays mapped, so only the slot change says it moved), then
 * 20 more, whose offers must land where the guest now reads.
 */
static void guest_pv_eoi_moved(void)
{
	uint64_t i, before = 0;

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	wrmsr(MSR_KVM_PV_EOI_EN, (uint64_t)&pv_eoi_word | 1);
	sti();
	for (i = 0; i < 40; i++) {
		if (i == 20) {
			GUEST_SYNC(1);
			before = READ_ONCE(flagged);
		}
		xapic_write(APIC_ICR, APIC_DEST_SELF | PV_EOI_VECTOR);
		while (READ_ONCE(handled) <= i)
			cpu_relax();
	}
	cli();
	GUEST_ASSERT(!xapic_vec_set(APIC_ISR, PV_EOI_VECTOR));
	GUEST_ASSERT(READ_ONCE(flagged) - before >= 18);
	GUEST_DONE();
}

TEST(pv_eoi_memory_moved)
{
	struct vm *vm = pv_lapic_vm(guest_pv_eoi_moved);
	uint64_t size = vm->mem_size;
	uint8_t *old = vm->mem;
	uint8_t *copy;

	vcpu_run_expect_sync(vm->vcpus[0], 1);
	ASSERT_EQ(vm->slots[0].hva, old);
	copy = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, copy);
	memcpy(copy, old, size);
	ASSERT_EQ(0, vessel_vm_set_memory(&vm->v, 0, vm->slots[0].flags, 0,
					  size, copy));
	/* The guest's globals are read from the new copy from now on. */
	vm->slots[0].hva = copy;
	vm->mem = copy;
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
	munmap(old, size);
}

TEST_HARNESS_MAIN
