// SPDX-License-Identifier: GPL-2.0
/*
 * Extreme values at every guest- or VMM-controlled input of the module's
 * time arithmetic (issue 12): the local APIC timer in its three modes
 * (IA32_TSC_DEADLINE, TMICT and the divide configuration, and
 * VESSEL_SET_LAPIC's tsc_deadline and timer_ns), the guest TSC moved while
 * a deadline is armed (WRMSR IA32_TSC, VESSEL_SET_STATE), the Hyper-V
 * synthetic timers and reference time (MSRs and provider state), and
 * kvmclock, steal time and PV EOI (MSRs and provider state).
 *
 * Each value is one of 0, 1, 2^32-1, 2^63 and 2^64-1 (and 2^62, the
 * deadline of the reproducer).  Every case asserts the result the
 * documentation defines: an exact errno, a #GP, an interrupt at once or
 * none; the test machine's verdict adds that the host survived (no oops,
 * WARN or lockup).  A timer that would spin in the host is caught by the
 * vCPU thread's CPU time while its guest sleeps.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm_para.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "processor.h"
#include "pvclock.h"
#include "ucall.h"
#include "vessel_util.h"

#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(err, errno) TH_LOG("%s: %s", #call, strerror(errno));	\
} while (0)

/* The values every input is tried with (shared with the guest). */
static const uint64_t extremes[] = { 0, 1, 0xffffffffULL, 1ULL << 63, ~0ULL };
#define NR_EXTREMES		ARRAY_SIZE(extremes)

/* The reproducer: a deadline 2^62 ticks ahead. */
#define FAR_DEADLINE		(1ULL << 62)
/* Where a guest pins its TSC first: 1 and 2^32-1 are then in the past. */
#define TSC_BASE		(1ULL << 40)
/* x2APIC enabled, BSP: the reproducer's IA32_APIC_BASE. */
#define APICBASE_X2APIC		0xfee00d00ULL
#define DEADLINE_VEC		0x30
#define TIMER_VEC		0x40
#define WAKE_VEC		0x41

static uint64_t tsc_hz;
static uint64_t irq_count;

static void x2apic_irq_handler(struct ex_regs *regs)
{
	WRITE_ONCE(irq_count, irq_count + 1);
	x2apic_write(APIC_EOI, 0);
}

/* Guest TSC ticks in @ns. */
static uint64_t tsc_of_ns(uint64_t ns)
{
	return (uint64_t)((__uint128_t)ns * tsc_hz / 1000000000ULL);
}

/* Busy for @ns of guest time, interrupts open: what is due arrives. */
static void spin_ns(uint64_t ns)
{
	uint64_t t0 = rdtsc(), n = tsc_of_ns(ns);

	while (rdtsc() - t0 < n)
		asm volatile("" ::: "memory");
}

static uint64_t ns_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static struct vm *lapic_vm(struct vcpu **vcpu, void *guest_code)
{
	struct vessel_lapic_info info = { 0 };
	struct vm *vm;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_with_one_vcpu(vcpu, guest_code);
	vm_create_flags = 0;
	vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info);
	tsc_hz = info.tsc_hz;
	sync_global_to_guest(vm, tsc_hz);
	vm_install_exception_handler(vm, DEADLINE_VEC, x2apic_irq_handler);
	vm_install_exception_handler(vm, TIMER_VEC, x2apic_irq_handler);
	return vm;
}

/* x2APIC, software-enabled, LVTT in TSC-deadline mode (the reproducer). */
static void guest_deadline_mode(void)
{
	wrmsr(MSR_IA32_APICBASE, APICBASE_X2APIC);
	x2apic_write(APIC_SPIV, 0x1ff);
	x2apic_write(APIC_LVTT, 0x40000 | DEADLINE_VEC);
	sti();
}

/*
 * The guest TSC is @tsc (or has wrapped past 2^64-1 to a few ticks): the
 * armed deadline fired at once if it is not above @tsc, and otherwise
 * stays armed and quiet.
 */
static void check_deadline(uint64_t deadline, uint64_t tsc)
{
	if (deadline && deadline <= tsc) {
		GUEST_ASSERT_EQ(READ_ONCE(irq_count), 1);
		GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);
		return;
	}
	spin_ns(1000000);
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), deadline);
}

/* ------------------------------------------------- TSC deadline, guest */

static void guest_deadline(void)
{
	unsigned int i;

	/* Issue 12 (a): x2APIC, SVR 0x1ff, LVTT 0x40030, deadline 2^62. */
	guest_deadline_mode();
	wrmsr(MSR_IA32_TSC_DEADLINE, FAR_DEADLINE);
	check_deadline(FAR_DEADLINE, 0);

	/* Each value with the TSC at 2^40: at or below it fires at once. */
	for (i = 0; i < NR_EXTREMES; i++) {
		WRITE_ONCE(irq_count, 0);
		wrmsr(MSR_IA32_TSC, TSC_BASE);
		wrmsr(MSR_IA32_TSC_DEADLINE, extremes[i]);
		check_deadline(extremes[i], TSC_BASE);
	}

	/*
	 * The TSC moved while 2^62 is armed 10 s ahead: 0, 1 and 2^32-1 put
	 * it 2^62 ticks away, 2^63 is past it; 2^64-1 has wrapped to a few
	 * ticks by the next entry, where the deadline is looked at again, so
	 * 2^62 is ahead once more.
	 */
	for (i = 0; i < NR_EXTREMES; i++) {
		WRITE_ONCE(irq_count, 0);
		wrmsr(MSR_IA32_TSC, FAR_DEADLINE - tsc_of_ns(10000000000ULL));
		wrmsr(MSR_IA32_TSC_DEADLINE, FAR_DEADLINE);
		wrmsr(MSR_IA32_TSC, extremes[i]);
		asm volatile("nop");
		check_deadline(FAR_DEADLINE, extremes[i] == ~0ULL ? 0 : extremes[i]);
	}
	/* And 2^64-1 armed: a TSC moved to 0 or 2^63 leaves it ahead. */
	WRITE_ONCE(irq_count, 0);
	wrmsr(MSR_IA32_TSC_DEADLINE, ~0ULL);
	wrmsr(MSR_IA32_TSC, 0);
	check_deadline(~0ULL, 0);
	wrmsr(MSR_IA32_TSC, 1ULL << 63);
	check_deadline(~0ULL, 1ULL << 63);
	GUEST_DONE();
}

TEST(deadline_from_guest)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_deadline);

	TH_LOG("guest TSC %lu Hz", (unsigned long)tsc_hz);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------------ one-shot and periodic, guest */

static void guest_counts(void)
{
	uint64_t t0, n, period;
	unsigned int i, d;

	wrmsr(MSR_IA32_APICBASE, APICBASE_X2APIC);
	x2apic_write(APIC_SPIV, 0x1ff);
	sti();

	/* TMICT is 32 bits and TDCR 4: wider values #GP and change nothing. */
	for (i = 0; i < NR_EXTREMES; i++) {
		uint64_t v = extremes[i];

		GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TMICT), v),
				v >> 32 ? GP_VECTOR : 0);
		GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_TDCR), v),
				v & ~0xbULL ? GP_VECTOR : 0);
	}
	GUEST_ASSERT_EQ(x2apic_read(APIC_TMICT), 0xffffffff);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TDCR), 1);
	x2apic_write(APIC_TMICT, 0);

	/* One-shot at every divide: 1 fires, 2^32-1 (up to 550 s) counts. */
	x2apic_write(APIC_LVTT, TIMER_VEC);
	for (d = 0; d < 8; d++) {
		x2apic_write(APIC_TDCR, (d & 3) | (d & 4) << 1);
		WRITE_ONCE(irq_count, 0);
		x2apic_write(APIC_TMICT, 1);
		wait_flag_hlt(&irq_count);
		GUEST_ASSERT_EQ(x2apic_read(APIC_TMCCT), 0);
		x2apic_write(APIC_TMICT, 0xffffffff);
		n = x2apic_read(APIC_TMCCT);
		GUEST_ASSERT(n > 0 && n <= 0xffffffff);
		spin_ns(500000);
		GUEST_ASSERT_EQ(READ_ONCE(irq_count), 1);
		x2apic_write(APIC_TMICT, 0);
		GUEST_ASSERT_EQ(x2apic_read(APIC_TMCCT), 0);
	}

	/* Periodic, count 1 at divide 1: no more than one per 100 us. */
	x2apic_write(APIC_TDCR, 0xb);
	x2apic_write(APIC_LVTT, APIC_TIMER_PERIODIC | TIMER_VEC);
	WRITE_ONCE(irq_count, 0);
	t0 = rdtsc();
	x2apic_write(APIC_TMICT, 1);
	spin_ns(5000000);
	x2apic_write(APIC_TMICT, 0);
	n = READ_ONCE(irq_count);
	period = tsc_of_ns(100000);
	GUEST_ASSERT(n >= 2);
	GUEST_ASSERT(n <= (rdtsc() - t0) / period + 1);
	/* Periodic 2^32-1 at divide 128: the first period is 550 s. */
	x2apic_write(APIC_TDCR, 0xa);
	WRITE_ONCE(irq_count, 0);
	x2apic_write(APIC_TMICT, 0xffffffff);
	spin_ns(1000000);
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);
	x2apic_write(APIC_TMICT, 0);
	GUEST_DONE();
}

TEST(counts_and_divide_from_guest)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_counts);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------------------------ VESSEL_SET_LAPIC */

static void guest_set_deadline(void)
{
	guest_deadline_mode();
	wrmsr(MSR_IA32_TSC, TSC_BASE);
	GUEST_SYNC(1);
	/* The host's last SET armed 2^64-1. */
	check_deadline(~0ULL, TSC_BASE);
	GUEST_DONE();
}

static bool irr_has(const struct vessel_lapic_state *ls, uint8_t vec)
{
	uint32_t w = *(const uint32_t *)&ls->regs[APIC_IRR + (vec >> 5) * 0x10];

	return (w >> (vec & 31)) & 1;
}

/* Issue 12 (b): SET_LAPIC in TSC-deadline mode takes any deadline. */
TEST(set_lapic_deadline)
{
	static struct vessel_lapic_state ls0, ls, now;
	const uint64_t values[] = { FAR_DEADLINE, 0, 1, 0xffffffffULL,
				    1ULL << 63, ~0ULL };
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_set_deadline);
	unsigned int i;

	vcpu_run_expect_sync(vcpu, 1);
	vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &ls0);
	ASSERT_EQ(0x40000 | DEADLINE_VEC, *(uint32_t *)&ls0.regs[APIC_LVTT]);
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		/* The guest TSC is 2^40 and a little: 1 and 2^32-1 are past. */
		bool past = values[i] && values[i] < TSC_BASE;

		ls = ls0;
		ls.tsc_deadline = values[i];
		ASSERT_EQ(0, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls))
			TH_LOG("tsc_deadline %#llx: %s",
			       (unsigned long long)values[i], strerror(errno));
		memset(&now, 0, sizeof(now));
		vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &now);
		EXPECT_EQ(past ? 0 : values[i], now.tsc_deadline);
		EXPECT_EQ(past, irr_has(&now, DEADLINE_VEC));
		EXPECT_EQ(0, now.timer_ns);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_set_timer(void)
{
	wrmsr(MSR_IA32_APICBASE, APICBASE_X2APIC);
	x2apic_write(APIC_SPIV, 0x1ff);
	x2apic_write(APIC_TDCR, 0xb);
	x2apic_write(APIC_LVTT, TIMER_VEC);
	GUEST_SYNC(1);
	x2apic_write(APIC_LVTT, APIC_TIMER_PERIODIC | TIMER_VEC);
	GUEST_SYNC(2);
	x2apic_write(APIC_LVTT, 0x40000 | TIMER_VEC);
	GUEST_SYNC(3);
	GUEST_DONE();
}

/*
 * Issue 12 (c): SET_LAPIC with TMICT 1 and timer_ns 2^64-1.  timer_ns
 * above VESSEL_LAPIC_MAX_TIMER_NS is refused (in every mode), and the
 * refused call changes nothing; up to it, the timer runs from it.
 */
static void set_timer_mode(struct __test_metadata *_metadata,
			   struct vcpu *vcpu, bool periodic, bool deadline)
{
	static struct vessel_lapic_state ls0, ls, now;
	const uint64_t refused[] = { ~0ULL, 1ULL << 63,
				     VESSEL_LAPIC_MAX_TIMER_NS + 1 };
	const uint64_t taken[] = { 0, 1, 0xffffffffULL,
				   VESSEL_LAPIC_MAX_TIMER_NS };
	unsigned int i;

	vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &ls0);
	*(uint32_t *)&ls0.regs[APIC_TMICT] = 1;
	ls = ls0;
	ls.timer_ns = 0xffffffffULL;
	vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls);
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		ls = ls0;
		ls.timer_ns = refused[i];
		EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls));
		memset(&now, 0, sizeof(now));
		vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &now);
		if (deadline) {
			EXPECT_EQ(0, now.timer_ns);
		} else {
			EXPECT_GT(now.timer_ns, 0);
			EXPECT_LE(now.timer_ns, 0xffffffffULL);
		}
	}
	for (i = 0; i < ARRAY_SIZE(taken); i++) {
		uint64_t v = taken[i];

		ls = ls0;
		ls.timer_ns = v;
		ASSERT_EQ(0, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls))
			TH_LOG("timer_ns %#llx: %s", (unsigned long long)v,
			       strerror(errno));
		usleep(2000);
		memset(&now, 0, sizeof(now));
		vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &now);
		if (deadline || !v) {
			/* Nothing runs: TMICT is ignored, or not started. */
			EXPECT_EQ(0, now.timer_ns);
			EXPECT_FALSE(irr_has(&now, TIMER_VEC));
		} else if (v == 1) {
			/* Fired; a periodic timer runs on at 100 us or less. */
			EXPECT_TRUE(irr_has(&now, TIMER_VEC));
			if (periodic) {
				EXPECT_GT(now.timer_ns, 0);
				EXPECT_LE(now.timer_ns, 100000);
			} else {
				EXPECT_EQ(0, now.timer_ns);
			}
		} else {
			EXPECT_FALSE(irr_has(&now, TIMER_VEC));
			EXPECT_GT(now.timer_ns, 0);
			EXPECT_LE(now.timer_ns, v);
		}
	}
	vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls0);
}

TEST(set_lapic_timer_ns)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_set_timer);

	vcpu_run_expect_sync(vcpu, 1);
	set_timer_mode(_metadata, vcpu, false, false);
	vcpu_run_expect_sync(vcpu, 2);
	set_timer_mode(_metadata, vcpu, true, false);
	vcpu_run_expect_sync(vcpu, 3);
	set_timer_mode(_metadata, vcpu, false, true);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------- the VMM moves the TSC under a deadline */

/*
 * The deadline 2^62 is armed 10 s ahead, then the VMM moves the TSC: to
 * 0, 1 or 2^32-1 it is 2^62 ticks away (the "TSC moved while a
 * deadline is armed"), to 2^63 past.
 */
static void guest_tsc_moved(void)
{
	unsigned int i;

	guest_deadline_mode();
	for (i = 0; i < NR_EXTREMES; i++) {
		WRITE_ONCE(irq_count, 0);
		wrmsr(MSR_IA32_TSC, FAR_DEADLINE - tsc_of_ns(10000000000ULL));
		wrmsr(MSR_IA32_TSC_DEADLINE, FAR_DEADLINE);
		GUEST_SYNC(i);		/* the host sets the TSC to extremes[i] */
		check_deadline(FAR_DEADLINE, extremes[i] == ~0ULL ? 0 : extremes[i]);
	}
	GUEST_DONE();
}

TEST(tsc_set_under_deadline)
{
	static struct vessel_vcpu_state s;
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_tsc_moved);
	unsigned int i;

	for (i = 0; i < NR_EXTREMES; i++) {
		vcpu_run_expect_sync(vcpu, i);
		vcpu_state_get(vcpu, &s, VESSEL_STATE_MSRS);
		s.msrs[VESSEL_MSR_TSC] = extremes[i];
		vcpu_state_set(vcpu, &s, VESSEL_STATE_MSRS);
		/* Read back: the value set, plus the moment since (mod 2^64). */
		vcpu_state_get(vcpu, &s, VESSEL_STATE_MSRS);
		EXPECT_LT(s.msrs[VESSEL_MSR_TSC] - extremes[i], tsc_hz);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------------------------------------ Hyper-V */

#define HV_MSR_TIME_REF_COUNT	0x40000020
#define HV_MSR_REFERENCE_TSC	0x40000021
#define HV_MSR_STIMER_CONFIG(n)	(0x400000b0 + 2 * (n))
#define HV_MSR_STIMER_COUNT(n)	(0x400000b1 + 2 * (n))
#define ST_ENABLE		(1ULL << 0)
#define ST_PERIODIC		(1ULL << 1)
#define ST_AUTO_ENABLE		(1ULL << 3)
#define ST_VECTOR(v)		((uint64_t)(v) << 4)
#define ST_DIRECT		(1ULL << 12)
#define STIMER_VEC		0x60
#define ST_DIRECT_CFG		(ST_ENABLE | ST_DIRECT | ST_VECTOR(STIMER_VEC))
/* Off until a non-zero COUNT is written, which enables and starts it. */
#define ST_DIRECT_AUTO		(ST_AUTO_ENABLE | ST_DIRECT | ST_VECTOR(STIMER_VEC))
/* The shortest period a synthetic timer runs at: 100 us. */
#define ST_MIN_PERIOD		1000

static uint64_t stimer_irqs;

static void stimer_handler(struct ex_regs *regs)
{
	WRITE_ONCE(stimer_irqs, stimer_irqs + 1);
	x2apic_write(APIC_EOI, 0);
}

static struct vm *hv_vm(void *guest_code)
{
	struct vessel_lapic_info info = { 0 };
	struct vm *vm;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_code);
	vm_create_flags = 0;
	vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info);
	tsc_hz = info.tsc_hz;
	sync_global_to_guest(vm, tsc_hz);
	vm_install_exception_handler(vm, STIMER_VEC, stimer_handler);
	vm_install_exception_handler(vm, WAKE_VEC, x2apic_irq_handler);
	return vm;
}

static void hv_guest_setup(void)
{
	wrmsr(MSR_IA32_APICBASE, APICBASE_X2APIC);
	x2apic_write(APIC_SPIV, 0x1ff);
	x2apic_write(APIC_TDCR, 0xb);
	x2apic_write(APIC_LVTT, WAKE_VEC);
}

/* Sleep in HLT until the APIC timer's interrupt, @ms from now. */
static void guest_sleep_ms(uint64_t ms)
{
	WRITE_ONCE(irq_count, 0);
	x2apic_write(APIC_TMICT, ms * 1000000);
	wait_flag_hlt(&irq_count);
}

/*
 * The vCPU's thread across the guest's next sleep (between two syncs):
 * a halted vCPU costs little CPU, unless a timer spins in the host.
 */
static void run_sleep_check(struct __test_metadata *_metadata,
			    struct vcpu *vcpu, uint64_t sync)
{
	uint64_t wall = ns_now(CLOCK_MONOTONIC);
	uint64_t cpu = ns_now(CLOCK_THREAD_CPUTIME_ID);

	vcpu_run_expect_sync(vcpu, sync);
	wall = ns_now(CLOCK_MONOTONIC) - wall;
	cpu = ns_now(CLOCK_THREAD_CPUTIME_ID) - cpu;
	TH_LOG("sleep %lu: %lu us wall, %lu us vCPU thread CPU",
	       (unsigned long)sync, (unsigned long)(wall / 1000),
	       (unsigned long)(cpu / 1000));
	EXPECT_LT(cpu * 4, wall);
}

static void guest_stimers(void)
{
	uint64_t r0, r1, n, v;
	unsigned int i;

	hv_guest_setup();
	sti();
	/*
	 * One-shot, direct mode, auto-enable: COUNT is the reference time
	 * to fire at, and a zero COUNT disables.
	 */
	for (i = 0; i < NR_EXTREMES; i++) {
		v = extremes[i];
		WRITE_ONCE(stimer_irqs, 0);
		wrmsr(HV_MSR_STIMER_CONFIG(0), 0);
		wrmsr(HV_MSR_STIMER_CONFIG(0), ST_DIRECT_AUTO);
		wrmsr(HV_MSR_STIMER_COUNT(0), v);
		GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_COUNT(0)), v);
		if (v == 1) {
			/* Past: at once, then the one-shot timer is off. */
			wait_flag_hlt(&stimer_irqs);
			GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(0)),
					ST_DIRECT_AUTO);
		} else {
			/* The others are minutes to ages away. */
			spin_ns(1000000);
			GUEST_ASSERT_EQ(READ_ONCE(stimer_irqs), 0);
			GUEST_ASSERT_EQ(rdmsr(HV_MSR_STIMER_CONFIG(0)),
					ST_DIRECT_AUTO | (v ? ST_ENABLE : 0));
		}
	}
	wrmsr(HV_MSR_STIMER_CONFIG(0), 0);
	/* Periodic, COUNT the period: 0 arms nothing, 1 runs at 100 us. */
	WRITE_ONCE(stimer_irqs, 0);
	wrmsr(HV_MSR_STIMER_CONFIG(1), ST_DIRECT_CFG | ST_PERIODIC);
	spin_ns(1000000);
	GUEST_ASSERT_EQ(READ_ONCE(stimer_irqs), 0);
	r0 = rdmsr(HV_MSR_TIME_REF_COUNT);
	wrmsr(HV_MSR_STIMER_COUNT(1), 1);
	spin_ns(10000000);
	wrmsr(HV_MSR_STIMER_CONFIG(1), 0);
	r1 = rdmsr(HV_MSR_TIME_REF_COUNT);
	n = READ_ONCE(stimer_irqs);
	GUEST_ASSERT(n >= 2);
	GUEST_ASSERT(n <= (r1 - r0) / ST_MIN_PERIOD + 1);

	/*
	 * Timers 0-3 at 2^63 and 2^64-1, one-shot and periodic, then timer
	 * 2 with a period of 2^32-1: none fires, and none keeps the host
	 * busy while the guest sleeps.
	 */
	WRITE_ONCE(stimer_irqs, 0);
	for (i = 0; i < 4; i++) {
		wrmsr(HV_MSR_STIMER_CONFIG(i), 0);
		wrmsr(HV_MSR_STIMER_CONFIG(i), ST_DIRECT_AUTO |
		      (i >= 2 ? ST_PERIODIC : 0));
		wrmsr(HV_MSR_STIMER_COUNT(i), i & 1 ? ~0ULL : 1ULL << 63);
	}
	GUEST_SYNC(1);
	guest_sleep_ms(200);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(READ_ONCE(stimer_irqs), 0);
	wrmsr(HV_MSR_STIMER_COUNT(2), 0xffffffffULL);
	GUEST_SYNC(3);
	guest_sleep_ms(100);
	GUEST_SYNC(4);
	GUEST_ASSERT_EQ(READ_ONCE(stimer_irqs), 0);
	for (i = 0; i < 4; i++)
		wrmsr(HV_MSR_STIMER_CONFIG(i), 0);

	/* TIME_REF_COUNT across the TSC moved to each value: no jump. */
	r0 = rdmsr(HV_MSR_TIME_REF_COUNT);
	for (i = 0; i < NR_EXTREMES; i++) {
		wrmsr(MSR_IA32_TSC, extremes[i]);
		r1 = rdmsr(HV_MSR_TIME_REF_COUNT);
		GUEST_ASSERT(r1 >= r0 && r1 - r0 < 10000000);
		r0 = r1;
	}
	/* The TSC page's MSR: reserved bits #GP, the rest is kept. */
	for (i = 0; i < NR_EXTREMES; i++) {
		v = extremes[i];
		GUEST_ASSERT_EQ(wrmsr_safe(HV_MSR_REFERENCE_TSC, v),
				v & 0xffe ? GP_VECTOR : 0);
		if (!(v & 0xffe))
			GUEST_ASSERT_EQ(rdmsr(HV_MSR_REFERENCE_TSC), v);
	}
	/* Enabled at a GPA outside guest memory: no page, no fault. */
	wrmsr(HV_MSR_REFERENCE_TSC, (1ULL << 63) | 1);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_REFERENCE_TSC), (1ULL << 63) | 1);
	wrmsr(HV_MSR_REFERENCE_TSC, 0);
	GUEST_DONE();
}

TEST(hyperv_stimers_from_guest)
{
	struct vm *vm = hv_vm(guest_stimers);
	struct vcpu *vcpu = vm->vcpus[0];

	vcpu_run_expect_sync(vcpu, 1);
	run_sleep_check(_metadata, vcpu, 2);
	vcpu_run_expect_sync(vcpu, 3);
	run_sleep_check(_metadata, vcpu, 4);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_hv_state(void)
{
	unsigned int i;

	hv_guest_setup();
	sti();
	/* The host moves the reference time to each value. */
	for (i = 0; i < NR_EXTREMES; i++)
		GUEST_SYNC_ARGS(2, i, rdmsr(HV_MSR_TIME_REF_COUNT));
	/* Timer 0 restored with each next expiry, and with count extremes. */
	for (i = 0; i < 2 * NR_EXTREMES; i++) {
		WRITE_ONCE(stimer_irqs, 0);
		GUEST_SYNC_ARGS(2, 100 + i, 0);
		guest_sleep_ms(50);
		GUEST_SYNC_ARGS(2, 200 + i, READ_ONCE(stimer_irqs));
	}
	GUEST_DONE();
}

/* Run to the guest's next GUEST_SYNC_ARGS(2, @tag, value); return value. */
static uint64_t run_sync2(struct __test_metadata *_metadata,
			  struct vcpu *vcpu, uint64_t tag)
{
	struct ucall uc;

	EXPECT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(tag, uc.args[0]);
	return uc.args[1];
}

TEST(hyperv_state_from_vmm)
{
	struct vm *vm = hv_vm(guest_hv_state);
	struct vcpu *vcpu = vm->vcpus[0];
	static struct vessel_pv_state vst, cst0, cst;
	uint64_t v, ref, irqs, wall, cpu;
	unsigned int i;

	/* VM state: the reference time reads on from any value, mod 2^64. */
	for (i = 0; i < NR_EXTREMES; i++) {
		v = extremes[i];
		memset(&vst, 0, sizeof(vst));
		vm_ioctl(vm, VESSEL_PV_GET_VM_STATE, &vst);
		vst.hv_vm.clock_ref = v;
		vm_ioctl(vm, VESSEL_PV_SET_VM_STATE, &vst);
		ref = run_sync2(_metadata, vcpu, i);
		EXPECT_LT(ref - v, 100000000ULL)
			TH_LOG("clock_ref %#llx read %#llx",
			       (unsigned long long)v, (unsigned long long)ref);
	}
	vst.hv_vm.clock_ref = 0;
	vm_ioctl(vm, VESSEL_PV_SET_VM_STATE, &vst);

	memset(&cst0, 0, sizeof(cst0));
	vcpu_ioctl(vcpu, VESSEL_PV_GET_VCPU_STATE, &cst0);
	for (i = 0; i < 2 * NR_EXTREMES; i++) {
		bool count = i >= NR_EXTREMES;
		uint64_t want;

		v = extremes[i % NR_EXTREMES];
		ref = run_sync2(_metadata, vcpu, 100 + i);
		cst = cst0;
		if (!count) {
			/* One-shot, running, next expiry at @v (0: not running). */
			cst.hv_vcpu.stimer_config[0] = ST_DIRECT_CFG;
			cst.hv_vcpu.stimer_count[0] = 10000;
			cst.hv_vcpu.stimer_exp[0] = v;
			want = v == 1;
		} else {
			/* Periodic, due now, period @v. */
			cst.hv_vcpu.stimer_config[0] = ST_DIRECT_CFG | ST_PERIODIC;
			cst.hv_vcpu.stimer_count[0] = v;
			cst.hv_vcpu.stimer_exp[0] = 1;
			cst.hv_vcpu.stimer_pending = 1;
			/* 0 stops after it; 1 runs at 100 us; the rest: once. */
			want = v == 1 ? 2 : 1;
		}
		ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &cst));
		wall = ns_now(CLOCK_MONOTONIC);
		cpu = ns_now(CLOCK_THREAD_CPUTIME_ID);
		irqs = run_sync2(_metadata, vcpu, 200 + i);
		wall = ns_now(CLOCK_MONOTONIC) - wall;
		cpu = ns_now(CLOCK_THREAD_CPUTIME_ID) - cpu;
		if (count && v == 1) {
			/* The pending expiry, then one per 100 us at most. */
			EXPECT_GE(irqs, want);
			EXPECT_LE(irqs, wall / 100000 + 2);
		} else {
			EXPECT_EQ(want, irqs) TH_LOG("%s %#llx",
				count ? "count" : "exp", (unsigned long long)v);
		}
		if (count && !v) {
			/* A zero period: delivered once, then disabled. */
			memset(&cst, 0, sizeof(cst));
			vcpu_ioctl(vcpu, VESSEL_PV_GET_VCPU_STATE, &cst);
			EXPECT_EQ(0, cst.hv_vcpu.stimer_config[0] & ST_ENABLE);
		}
		/* A 100 us period costs CPU by itself; the rest must not. */
		if (!(count && v == 1))
			EXPECT_LT(cpu * 4, wall)
				TH_LOG("%s %#llx: %lu us CPU of %lu us",
				       count ? "count" : "exp",
				       (unsigned long long)v,
				       (unsigned long)(cpu / 1000),
				       (unsigned long)(wall / 1000));
		cst = cst0;
		ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &cst));
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------- KVM */

static struct pvclock_vcpu_time_info pvti __aligned(64);
static struct pvclock_wall_clock wall_clock __aligned(64);
static struct kvm_steal_time steal __aligned(64);

static void guest_kvm_msrs(void)
{
	uint64_t v, c0, c1;
	unsigned int i;

	for (i = 0; i < NR_EXTREMES; i++) {
		v = extremes[i];
		/*
		 * kvmclock and the wall clock take any value: an address
		 * outside guest memory only gets no clock.
		 */
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_SYSTEM_TIME_NEW, v), 0);
		GUEST_ASSERT_EQ(rdmsr(MSR_KVM_SYSTEM_TIME_NEW), v);
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_SYSTEM_TIME, v), 0);
		GUEST_ASSERT_EQ(rdmsr(MSR_KVM_SYSTEM_TIME), v);
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_WALL_CLOCK_NEW, v), 0);
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_WALL_CLOCK, v), 0);
		GUEST_ASSERT_EQ(rdmsr(MSR_KVM_WALL_CLOCK), v);
		/* Steal time: bits 1-5 reserved. */
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_STEAL_TIME, v),
				v & KVM_STEAL_RESERVED_MASK ? GP_VECTOR : 0);
		if (!(v & KVM_STEAL_RESERVED_MASK))
			GUEST_ASSERT_EQ(rdmsr(MSR_KVM_STEAL_TIME), v);
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_POLL_CONTROL, v),
				v > 1 ? GP_VECTOR : 0);
		/* PV EOI: bit 1 and bits past the address width #GP. */
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_KVM_PV_EOI_EN, v),
				v > 1 ? GP_VECTOR : 0);
		if (v <= 1)
			GUEST_ASSERT_EQ(rdmsr(MSR_KVM_PV_EOI_EN), v);
	}
	wrmsr(MSR_KVM_SYSTEM_TIME, 0);
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
	wrmsr(MSR_KVM_WALL_CLOCK_NEW, 0);
	wrmsr(MSR_KVM_STEAL_TIME, 0);
	wrmsr(MSR_KVM_PV_EOI_EN, 0);

	/* kvmclock across the TSC moved to each value: no jump. */
	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&pvti | 1);
	c0 = pvclock_read(&pvti, NULL);
	for (i = 0; i < NR_EXTREMES; i++) {
		wrmsr(MSR_IA32_TSC, extremes[i]);
		c1 = pvclock_read(&pvti, NULL);
		GUEST_ASSERT(c1 >= c0 && c1 - c0 < 1000000000ULL);
		c0 = c1;
	}

	/* The host restores the clock and steal time with each value. */
	wrmsr(MSR_KVM_STEAL_TIME, (uint64_t)&steal | 1);
	for (i = 0; i < NR_EXTREMES; i++) {
		GUEST_SYNC(i);
		wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)&wall_clock);
		GUEST_ASSERT(wall_clock.version && !(wall_clock.version & 1));
		GUEST_SYNC_ARGS(4, 100 + i, READ_ONCE(pvti.tsc_timestamp),
				READ_ONCE(pvti.system_time), READ_ONCE(steal.steal));
	}
	GUEST_DONE();
}

TEST(kvm_from_guest_and_vmm)
{
	static struct vessel_pv_state vst, cst;
	struct vcpu *vcpu;
	struct vm *vm;
	struct ucall uc;
	unsigned int i;
	uint64_t v;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_kvm_msrs);
	vm_create_flags = 0;
	vcpu = vm->vcpus[0];
	for (i = 0; i < NR_EXTREMES; i++) {
		v = extremes[i];
		vcpu_run_expect_sync(vcpu, i);
		memset(&vst, 0, sizeof(vst));
		vm_ioctl(vm, VESSEL_PV_GET_VM_STATE, &vst);
		vst.kvm_vm.clock_tsc = v;
		vst.kvm_vm.clock_ns = ~v;
		vm_ioctl(vm, VESSEL_PV_SET_VM_STATE, &vst);
		memset(&vst, 0, sizeof(vst));
		vm_ioctl(vm, VESSEL_PV_GET_VM_STATE, &vst);
		EXPECT_EQ(v, vst.kvm_vm.clock_tsc);
		EXPECT_EQ(~v, vst.kvm_vm.clock_ns);

		memset(&cst, 0, sizeof(cst));
		vcpu_ioctl(vcpu, VESSEL_PV_GET_VCPU_STATE, &cst);
		cst.kvm_vcpu.steal_ns = v;
		ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &cst));
		cst.kvm_vcpu.pv_eoi_msr = v;
		if (v > 1)
			EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd,
						   VESSEL_PV_SET_VCPU_STATE, &cst));
		cst.kvm_vcpu.pv_eoi_msr = 0;
		cst.kvm_vcpu.steal_time_msr = v;
		if (v & KVM_STEAL_RESERVED_MASK)
			EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd,
						   VESSEL_PV_SET_VCPU_STATE, &cst));

		/* The pvclock copy holds the restored pair as is. */
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		EXPECT_EQ(100 + i, uc.args[0]);
		EXPECT_EQ(v, uc.args[1]);
		EXPECT_EQ(~v, uc.args[2]);
		/* Steal time goes on from the value, mod 2^64. */
		EXPECT_LT(uc.args[3] - v, 10000000000ULL);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
