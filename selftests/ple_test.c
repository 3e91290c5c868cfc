// SPDX-License-Identifier: GPL-2.0
/*
 * PAUSE-loop exiting: a vCPU spinning with PAUSE leaves the guest after
 * ple_window TSC ticks and gives its host CPU to a sibling vCPU's thread
 * that waits for it.  Both threads are pinned to one host CPU (check.cmds
 * boots one), where without the exit the spinner would keep the CPU until
 * the scheduler's tick.  Skipped when the module's ple_gap reads 0 (set
 * so, or the CPU has no PAUSE-loop exiting).
 */
#include <asm/vmx.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define PARAMS		"/sys/module/vessel/parameters/"
#define LONE_SPINS	100000

static uint64_t flag;

static unsigned int param_read(const char *name)
{
	char path[128];
	unsigned int v = 0;
	FILE *f;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%u", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

static uint64_t pause_exits(struct vcpu *vcpu)
{
	struct vessel_counters c = { 0 };

	vcpu_ioctl(vcpu, VESSEL_GET_COUNTERS, &c);
	return c.vmx_exits[EXIT_REASON_PAUSE_INSTRUCTION];
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
		    "sched_setaffinity: %s", strerror(errno));
}

/* ------------------------------------------------------ one vCPU alone */

static void guest_lone_spin(void)
{
	uint64_t i;

	for (i = 0; i < LONE_SPINS; i++)
		cpu_relax();
	/* Every PAUSE that exited was stepped over once, no more, no less. */
	GUEST_SYNC(i);
	GUEST_DONE();
}

/*
 * With no one to yield to the exit costs a little and changes nothing:
 * the loop ends with its exact count, after many exits.
 */
TEST(lone_vcpu_spin_exits_and_goes_on)
{
	unsigned int window = param_read("ple_window");
	struct vcpu *vcpu;
	struct vm *vm;
	uint64_t exits;

	if (!param_read("ple_gap") || !window)
		SKIP(return, "PAUSE-loop exiting is off (ple_gap/ple_window 0)");
	vm = vm_create_with_one_vcpu(&vcpu, guest_lone_spin);
	vcpu_run_expect_sync(vcpu, LONE_SPINS);
	exits = pause_exits(vcpu);
	vcpu_run_expect_done(vcpu);
	TH_LOG("%d PAUSEs, %lu PAUSE-loop exits (window %u)", LONE_SPINS,
	       (unsigned long)exits, window);
	EXPECT_GE(exits, 1);
	/*
	 * Loops, not PAUSEs: each exit takes a window of spinning (4096
	 * ticks by default, where one PAUSE and its loop cost a tick or more),
	 * while exiting on every PAUSE would give LONE_SPINS exits.
	 */
	EXPECT_LT(exits, LONE_SPINS / 16);
	vm_free(vm);
}

/* ------------------------------------------- a spinner and its sibling */

static void guest_spin_or_set(uint64_t id)
{
	uint64_t n = 0;

	GUEST_SYNC(id);		/* each thread has run its vCPU once */
	if (id == 1) {
		WRITE_ONCE(flag, 1);
		GUEST_DONE();
	}
	while (!READ_ONCE(flag)) {
		cpu_relax();
		n++;
	}
	GUEST_SYNC(n);
	GUEST_DONE();
}

struct sibling {
	struct vcpu *vcpu;
	int ready;		/* vCPU 1 ran once: its thread is known */
	int go;			/* vCPU 0 is about to spin */
};

/*
 * vCPU 1's thread: runs it once, then waits in userspace without sleeping
 * (runnable, as a preempted vCPU thread is) until vCPU 0 spins, and runs
 * it again to set the flag.  On one CPU it can do so only when vCPU 0's
 * thread gives the CPU up.  Both threads wait with sched_yield(), so that
 * neither has used much more CPU time than the other when vCPU 0 spins:
 * the scheduler lets a directed yield through only when that is fair.
 */
static void *sibling_fn(void *arg)
{
	struct sibling *s = arg;

	pin_to_cpu0();
	vcpu_run_expect_sync(s->vcpu, 1);
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		sched_yield();
	vcpu_run_expect_done(s->vcpu);
	return NULL;
}

/*
 * The spinner's first PAUSE-loop exit yields to the sibling, which sets
 * the flag: the spin ends within about one window and a few exits, where
 * without the exit it would last a scheduler tick (tens of windows).
 */
TEST(spinner_yields_to_sibling_on_one_cpu)
{
	unsigned int window = param_read("ple_window");
	struct sibling s = { 0 };
	struct ucall uc;
	struct vcpu *v0;
	uint64_t exits, spins;
	struct vm *vm;
	pthread_t t;

	if (!param_read("ple_gap") || !window)
		SKIP(return, "PAUSE-loop exiting is off (ple_gap/ple_window 0)");
	pin_to_cpu0();
	vm = vm_create(2, 0, guest_spin_or_set);
	v0 = vm->vcpus[0];
	s.vcpu = vm->vcpus[1];
	vcpu_run_expect_sync(v0, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, sibling_fn, &s));
	while (!__atomic_load_n(&s.ready, __ATOMIC_ACQUIRE))
		sched_yield();
	__atomic_store_n(&s.go, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(v0, &uc));
	spins = uc.args[0];
	exits = pause_exits(v0);
	vcpu_run_expect_done(v0);
	pthread_join(t, NULL);
	TH_LOG("flag seen after %lu PAUSEs, %lu PAUSE-loop exits (window %u)",
	       (unsigned long)spins, (unsigned long)exits, window);
	EXPECT_GE(exits, 1);
	EXPECT_LE(exits, 4);
	/* Each loop takes at least a TSC tick: two windows are plenty. */
	EXPECT_LE(spins, 2ULL * window);
	vm_free(vm);
}

TEST_HARNESS_MAIN
