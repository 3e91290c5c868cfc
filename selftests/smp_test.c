// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs of one VM, each run by its own thread at the same time,
 * with the threads moved between host CPUs between runs (vCPU migration);
 * a thread rewriting the run page while another runs the vCPU.
 * Runs on the two-CPU test machine (smp.cmds).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define MAX_VCPUS	4
#define NR_SYNCS	50

static uint64_t counters[MAX_VCPUS];

static void guest_count(uint64_t id)
{
	uint64_t i;

	for (i = 1; i <= NR_SYNCS; i++) {
		WRITE_ONCE(counters[id], counters[id] + 1);
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

struct worker {
	struct vcpu *vcpu;
	int nr_cpus;
	int migrations;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct vcpu *vcpu = w->vcpu;
	uint64_t *count = addr_gva2hva(vcpu->vm, &counters[vcpu->id]);
	int i, cpu, last = -1;
	cpu_set_t set;

	for (i = 1; i <= NR_SYNCS + 1; i++) {
		/* A different host CPU for (almost) every run. */
		CPU_ZERO(&set);
		CPU_SET((i + vcpu->id) % w->nr_cpus, &set);
		TEST_ASSERT(!sched_setaffinity(0, sizeof(set), &set),
			    "sched_setaffinity: %s", strerror(errno));
		cpu = sched_getcpu();
		if (last >= 0 && cpu != last)
			w->migrations++;
		last = cpu;
		if (i > NR_SYNCS) {
			vcpu_run_expect_done(vcpu);
			break;
		}
		vcpu_run_expect_sync(vcpu, i);
		TEST_ASSERT(READ_ONCE(*count) == (uint64_t)i,
			    "vCPU %u: counter %lu at sync %d", vcpu->id,
			    (unsigned long)*count, i);
	}
	return NULL;
}

TEST(vcpus_in_parallel_migrating)
{
	struct worker w[MAX_VCPUS];
	pthread_t threads[MAX_VCPUS];
	struct vessel_caps caps;
	int i, nr, nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct vm *vm;

	ASSERT_EQ(0, vessel_caps_read(&caps))
		TH_LOG("cannot open %s: %s", VESSEL_DEVICE, strerror(errno));
	nr = caps.max_vcpus < MAX_VCPUS ? caps.max_vcpus : MAX_VCPUS;
	if (nr_cpus < 2)
		TH_LOG("only %d host CPU: no migrations", nr_cpus);
	vm = vm_create(nr, 0, guest_count);
	for (i = 0; i < nr; i++) {
		w[i].vcpu = vm->vcpus[i];
		w[i].nr_cpus = nr_cpus;
		w[i].migrations = 0;
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, worker_fn, &w[i]));
	}
	for (i = 0; i < nr; i++) {
		pthread_join(threads[i], NULL);
		EXPECT_EQ(NR_SYNCS, guest_global(vm, counters)[i]);
		TH_LOG("vCPU %d: %d syncs, %d host CPU changes", i, NR_SYNCS,
		       w[i].migrations);
	}
	vm_free(vm);
}

#define SCRIBBLE_PORT	0x5e0
#define NR_OUTS		2000

static void guest_outs(void)
{
	uint64_t i;

	for (i = 0; i < NR_OUTS; i++)
		outb(SCRIBBLE_PORT, i);
	GUEST_DONE();
}

struct scribbler {
	struct vessel_run *run;
	bool stop;
	uint64_t writes;
};

static void *scribbler_fn(void *arg)
{
	struct scribbler *s = arg;

	while (!READ_ONCE(s->stop)) {
		WRITE_ONCE(s->run->exit_reason, 0xffffffff);
		s->writes++;
	}
	return NULL;
}

/*
 * The kernel counts the exits it made, not what the run page says when it
 * looks again: another thread may rewrite the page during RUN.
 */
TEST(exit_counters_ignore_run_page_writes)
{
	struct scribbler s = { 0 };
	struct vessel_counters c;
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_outs);
	pthread_t thread;
	int i;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		TH_LOG("one host CPU: the other thread writes between RUNs only");
	s.run = vcpu->run;
	ASSERT_EQ(0, pthread_create(&thread, NULL, scribbler_fn, &s));
	/* The exit reason the page shows is garbage: the guest's OUTs. */
	for (i = 0; i < NR_OUTS; i++)
		ASSERT_EQ(0, __vcpu_run(vcpu)) TH_LOG("RUN %d: %s", i, strerror(errno));
	WRITE_ONCE(s.stop, true);
	pthread_join(thread, NULL);
	vcpu_run_expect_done(vcpu);
	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &c));
	EXPECT_EQ(NR_OUTS + 1, c.runs);
	EXPECT_EQ(NR_OUTS + 1, c.user_exits[VESSEL_EXIT_IO]);
	TH_LOG("%lu writes of the exit reason during %d RUNs",
	       (unsigned long)s.writes, NR_OUTS);
	vm_free(vm);
}

TEST_HARNESS_MAIN
