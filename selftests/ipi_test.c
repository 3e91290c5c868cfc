// SPDX-License-Identifier: GPL-2.0
/*
 * Inter-processor interrupts through the in-kernel APIC, between two vCPUs
 * run by two threads (smp.cmds, two host CPUs): fixed, NMI, self, the
 * broadcast shorthands, logical and lowest-priority destinations, a round
 * trip; HLT woken by an IPI with the halted thread's CPU time measured;
 * INIT and SIPI bringing up an AP that waits for a SIPI.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

static uint64_t cnt[2][256], nmis[2], ready, stop;
static uint64_t round_trip;

static uint64_t ns_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void send_ipi(uint32_t dest_id, uint32_t icr)
{
	xapic_write(APIC_ICR2, dest_id << 24);
	xapic_write(APIC_ICR, icr);
}

static void wait_for(uint64_t *p, uint64_t val)
{
	while (READ_ONCE(*p) < val)
		cpu_relax();
}

static void ipi_handler(struct ex_regs *regs)
{
	uint64_t id = guest_cpu()->id;

	WRITE_ONCE(cnt[id][regs->vector], cnt[id][regs->vector] + 1);
	xapic_write(APIC_EOI, 0);
	if (regs->vector == 0x53)	/* ping: answer the BSP */
		send_ipi(0, 0x54);
	if (regs->vector == 0x5f)
		WRITE_ONCE(stop, 1);
}

static void nmi_handler(struct ex_regs *regs)
{
	uint64_t id = guest_cpu()->id;

	WRITE_ONCE(nmis[id], nmis[id] + 1);
}

static void guest_ipis(uint64_t id)
{
	uint64_t t0;

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	/* Flat logical IDs: vCPU 0 is bit 0, vCPU 1 bit 1. */
	xapic_write(APIC_LDR, (1U << id) << 24);
	sti();
	if (id == 1) {
		WRITE_ONCE(ready, 1);
		wait_flag_hlt(&stop);
		GUEST_ASSERT_EQ(READ_ONCE(cnt[1][0x50]), 1);
		GUEST_DONE();
	}
	wait_for(&ready, 1);

	send_ipi(1, APIC_DM_FIXED | 0x50);
	wait_for(&cnt[1][0x50], 1);
	send_ipi(1, APIC_DM_NMI);
	wait_for(&nmis[1], 1);
	GUEST_ASSERT_EQ(READ_ONCE(nmis[0]), 0);

	/* All but self. */
	xapic_write(APIC_ICR, APIC_DEST_ALLBUT | 0x51);
	wait_for(&cnt[1][0x51], 1);
	GUEST_ASSERT_EQ(READ_ONCE(cnt[0][0x51]), 0);
	/* All including self. */
	xapic_write(APIC_ICR, APIC_DEST_ALLINC | 0x56);
	wait_for(&cnt[1][0x56], 1);
	wait_for(&cnt[0][0x56], 1);
	/* Self. */
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x58);
	wait_for(&cnt[0][0x58], 1);
	GUEST_ASSERT_EQ(READ_ONCE(cnt[1][0x58]), 0);

	/* Logical, flat model: bit 1 is vCPU 1 only, bit 0 this one. */
	send_ipi(2, APIC_DEST_LOGICAL | 0x52);
	wait_for(&cnt[1][0x52], 1);
	GUEST_ASSERT_EQ(READ_ONCE(cnt[0][0x52]), 0);
	send_ipi(1, APIC_DEST_LOGICAL | 0x57);
	wait_for(&cnt[0][0x57], 1);
	GUEST_ASSERT_EQ(READ_ONCE(cnt[1][0x57]), 0);
	/* Lowest priority to both: exactly one takes it (vCPU 1: lower TPR). */
	xapic_write(APIC_TASKPRI, 0x20);
	send_ipi(3, APIC_DEST_LOGICAL | APIC_DM_LOWEST | 0x59);
	wait_for(&cnt[1][0x59], 1);
	xapic_write(APIC_TASKPRI, 0);
	GUEST_ASSERT_EQ(READ_ONCE(cnt[0][0x59]), 0);

	/* Round trip: vCPU 1's handler answers with 0x54. */
	t0 = rdtsc();
	send_ipi(1, 0x53);
	wait_for(&cnt[0][0x54], 1);
	WRITE_ONCE(round_trip, rdtsc() - t0);

	send_ipi(1, 0x5f);
	GUEST_DONE();
}

struct runner {
	struct vcpu *vcpu;
	bool sync_then_measure;
	uint64_t wall_ns, cpu_ns;
};

static void *run_to_done(void *arg)
{
	struct runner *r = arg;
	struct ucall uc;
	uint64_t w = 0, c = 0;

	for (;;) {
		uint64_t cmd = vcpu_run_ucall(r->vcpu, &uc);

		if (cmd == UCALL_DONE)
			break;
		if (r->sync_then_measure) {
			w = ns_now(CLOCK_MONOTONIC);
			c = ns_now(CLOCK_THREAD_CPUTIME_ID);
		}
	}
	if (w) {
		r->wall_ns = ns_now(CLOCK_MONOTONIC) - w;
		r->cpu_ns = ns_now(CLOCK_THREAD_CPUTIME_ID) - c;
	}
	return NULL;
}

static struct vm *ipi_vm(void *guest_code)
{
	struct vm *vm;
	int v;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create(2, 0, guest_code);
	for (v = 0x50; v < 0x60; v++)
		vm_install_exception_handler(vm, v, ipi_handler);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
	return vm;
}

TEST(ipi_fixed_nmi_shorthands_logical)
{
	struct vm *vm = ipi_vm(guest_ipis);
	struct runner r[2] = { { .vcpu = vm->vcpus[0] }, { .vcpu = vm->vcpus[1] } };
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_to_done, &r[i]));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TH_LOG("IPI round trip: %lu guest TSC cycles",
	       (unsigned long)guest_global(vm, round_trip));
	vm_free(vm);
}

/* ------------------------------------------------------ HLT woken by IPI */

static void guest_hlt_ipi(uint64_t id, uint64_t tsc_hz)
{
	uint64_t t0;

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	if (id == 1) {
		WRITE_ONCE(ready, 1);
		GUEST_SYNC(1);
		wait_flag_hlt(&cnt[1][0x50]);
		GUEST_DONE();
	}
	wait_for(&ready, 1);
	/* Let vCPU 1 sleep for 300 ms, then wake it. */
	t0 = rdtsc();
	while (rdtsc() - t0 < tsc_hz * 3 / 10)
		cpu_relax();
	send_ipi(1, 0x50);
	GUEST_DONE();
}

TEST(hlt_woken_by_ipi)
{
	struct vessel_lapic_info info = { 0 };
	struct vm *vm = ipi_vm(guest_hlt_ipi);
	struct runner r[2] = {
		{ .vcpu = vm->vcpus[0] },
		{ .vcpu = vm->vcpus[1], .sync_then_measure = true },
	};
	pthread_t t[2];
	int i;

	vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info);
	for (i = 0; i < 2; i++)
		vcpu_args_set(vm->vcpus[i], 2, (uint64_t)i, info.tsc_hz);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run_to_done, &r[i]));
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	TH_LOG("halted vCPU: %lu us wall, %lu us thread CPU",
	       (unsigned long)(r[1].wall_ns / 1000),
	       (unsigned long)(r[1].cpu_ns / 1000));
	EXPECT_GT(r[1].wall_ns, 100000000ULL);
	EXPECT_LT(r[1].cpu_ns * 10, r[1].wall_ns);
	vm_free(vm);
}

/* -------------------------------------- IPI to a halted vCPU and back */

#define PINGS		20

static uint64_t halted_round_trip;

static void guest_ping_halted(uint64_t id, uint64_t tsc_hz)
{
	uint64_t i, t0, sum = 0;

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	if (id == 1) {
		WRITE_ONCE(ready, 1);
		wait_flag_hlt(&stop);	/* halted between pings */
		GUEST_DONE();
	}
	wait_for(&ready, 1);
	sti();
	for (i = 1; i <= PINGS; i++) {
		/* 2 ms: vCPU 1 is back in HLT (and past any polling). */
		t0 = rdtsc();
		while (rdtsc() - t0 < tsc_hz / 500)
			cpu_relax();
		t0 = rdtsc();
		send_ipi(1, 0x53);
		wait_for(&cnt[0][0x54], i);
		sum += rdtsc() - t0;
	}
	WRITE_ONCE(halted_round_trip, sum / PINGS);
	send_ipi(1, 0x5f);
	GUEST_DONE();
}

#define HALT_POLL_PARAM	"/sys/module/vessel/parameters/halt_poll_ns"

static int halt_poll_set(unsigned int ns)
{
	FILE *f = fopen(HALT_POLL_PARAM, "w");
	int r;

	if (!f)
		return -1;
	r = fprintf(f, "%u\n", ns) > 0 ? 0 : -1;
	return fclose(f) || r ? -1 : 0;
}

/*
 * The round trip to a halted vCPU, which sleeps in the kernel, without and
 * with halt polling: the figures behind halt_poll_ns's default.
 */
TEST(ipi_to_halted_vcpu_round_trip)
{
	static const unsigned int polls[] = { 0, 200000 };
	struct vessel_lapic_info info = { 0 };
	unsigned int p;
	int i;

	for (p = 0; p < ARRAY_SIZE(polls); p++) {
		struct vm *vm = ipi_vm(guest_ping_halted);
		struct runner r[2] = { { .vcpu = vm->vcpus[0] }, { .vcpu = vm->vcpus[1] } };
		pthread_t t[2];

		if (polls[p] && halt_poll_set(polls[p])) {
			TH_LOG("cannot write %s: no polling figure", HALT_POLL_PARAM);
			vm_free(vm);
			break;
		}
		vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info);
		for (i = 0; i < 2; i++)
			vcpu_args_set(vm->vcpus[i], 2, (uint64_t)i, info.tsc_hz);
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, pthread_create(&t[i], NULL, run_to_done, &r[i]));
		for (i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		TH_LOG("IPI to a halted vCPU and back, halt_poll_ns=%u: %lu guest TSC cycles",
		       polls[p], (unsigned long)guest_global(vm, halted_round_trip));
		EXPECT_GT(guest_global(vm, halted_round_trip), 0);
		vm_free(vm);
	}
	halt_poll_set(0);
}

/* --------------------------------------------- timer across migrations */

#define MIG_TICKS	20

static void guest_timer_migrating(uint64_t id, uint64_t tsc_hz)
{
	uint64_t t0, i;

	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APICBASE_EXTD);
	x2apic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	x2apic_write(APIC_TDCR, 0xb);
	x2apic_write(APIC_LVTT, APIC_TIMER_PERIODIC | 0x50);
	t0 = rdtsc();
	x2apic_write(APIC_TMICT, 2000000);	/* 2 ms */
	for (i = 1; i <= MIG_TICKS; i++) {
		/* x2APIC EOI is a WRMSR: the handler's xAPIC EOI is harmless. */
		wait_flag_hlt(&cnt[0][0x50]);
		WRITE_ONCE(cnt[0][0x50], 0);
		GUEST_SYNC(i);		/* the host moves this thread */
	}
	GUEST_ASSERT(rdtsc() - t0 >= MIG_TICKS * tsc_hz / 500);
	x2apic_write(APIC_TMICT, 0);
	GUEST_DONE();
}

static void x2apic_handler(struct ex_regs *regs)
{
	WRITE_ONCE(cnt[0][regs->vector], cnt[0][regs->vector] + 1);
	x2apic_write(APIC_EOI, 0);
}

TEST(timer_across_vcpu_migration)
{
	struct vessel_lapic_info info = { 0 };
	int i, nr_cpus = sysconf(_SC_NPROCESSORS_ONLN), moves = 0, last = -1;
	struct vcpu *vcpu;
	cpu_set_t set;
	struct vm *vm;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_with_one_vcpu(&vcpu, guest_timer_migrating);
	vm_install_exception_handler(vm, 0x50, x2apic_handler);
	vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info);
	vcpu_args_set(vcpu, 2, 0ULL, info.tsc_hz);
	for (i = 1; i <= MIG_TICKS + 1; i++) {
		CPU_ZERO(&set);
		CPU_SET(i % nr_cpus, &set);
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
		if (last >= 0 && sched_getcpu() != last)
			moves++;
		last = sched_getcpu();
		if (i > MIG_TICKS)
			vcpu_run_expect_done(vcpu);
		else
			vcpu_run_expect_sync(vcpu, i);
	}
	TH_LOG("%d ticks, %d host CPU changes", MIG_TICKS, moves);
	vm_free(vm);
}

/* ------------------------------------------------------------ INIT, SIPI */

#define TRAMPOLINE_GPA	0x8000ULL
#define SIPI_PORT	0xe1

static void guest_bsp_boot_ap(void)
{
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	send_ipi(1, APIC_DM_INIT | APIC_INT_ASSERT);
	send_ipi(1, APIC_DM_STARTUP | (TRAMPOLINE_GPA >> 12));
	GUEST_DONE();
}

static void *run_ap(void *arg)
{
	struct vcpu *vcpu = arg;

	/* Blocks in the kernel until the SIPI. */
	vcpu_run(vcpu);
	return NULL;
}

TEST(init_sipi_starts_ap)
{
	/* mov al, 0x42; out 0xe1, al; hlt; jmp $-1 (real mode) */
	static const uint8_t code[] = { 0xb0, 0x42, 0xe6, SIPI_PORT, 0xf4, 0xeb, 0xfd };
	struct vessel_mp_state mp = { 0 };
	struct vessel_vcpu_state s;
	struct vcpu *bsp, *ap;
	pthread_t t;
	struct vm *vm;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create(1, 0, guest_bsp_boot_ap);
	bsp = vm->vcpus[0];
	ap = vm_vcpu_add_raw(vm, 1);
	memcpy(addr_gpa2hva(vm, TRAMPOLINE_GPA), code, sizeof(code));
	vcpu_ioctl(ap, VESSEL_GET_MP_STATE, &mp);
	ASSERT_EQ(VESSEL_MP_STATE_WAIT_SIPI, mp.mp_state);

	ASSERT_EQ(0, pthread_create(&t, NULL, run_ap, ap));
	usleep(100000);		/* the AP's thread sleeps in RUN by now */
	vcpu_run_expect_done(bsp);
	pthread_join(t, NULL);

	TEST_ASSERT_IO_EXIT(ap, SIPI_PORT, 1, VESSEL_IO_OUT);
	EXPECT_EQ(0x42, *(uint8_t *)vcpu_io_data(ap));
	vcpu_state_get(ap, &s, VESSEL_STATE_SEGS);
	EXPECT_EQ(TRAMPOLINE_GPA >> 4, s.segs.seg[VESSEL_SEG_CS].selector);
	EXPECT_EQ(TRAMPOLINE_GPA, s.segs.seg[VESSEL_SEG_CS].base);
	vcpu_ioctl(ap, VESSEL_GET_MP_STATE, &mp);
	EXPECT_EQ(VESSEL_MP_STATE_RUNNABLE, mp.mp_state);
	vm_free(vm);
}

TEST_HARNESS_MAIN
