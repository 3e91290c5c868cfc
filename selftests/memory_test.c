// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: a large guest touching every page, and the VMM changing
 * the mappings behind a slot (replace, mprotect, fork) while the guest
 * uses it: the guest must see what the VMM's mapping holds now, and the
 * host must never crash.
 */
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define PAGE		4096ULL
#define BIG_MEM		(256ULL << 20)
#define EXTRA_GPA	0x40000000ULL	/* slot 1, inside the identity map */
#define EXTRA_SIZE	(2 * PAGE)

static uint64_t page_pattern(uint64_t gpa)
{
	return gpa ^ 0x5a5a000000000000ULL;
}

static void guest_touch_all(uint64_t id, uint64_t start, uint64_t end)
{
	uint64_t gpa;

	for (gpa = start; gpa < end; gpa += PAGE)
		WRITE_ONCE(*(uint64_t *)gpa, page_pattern(gpa));
	for (gpa = start; gpa < end; gpa += PAGE)
		GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)gpa), page_pattern(gpa));
	GUEST_DONE();
}

/* The harness of 6.1 has timeouts only for fixture tests. */
FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, touch_every_page_of_256mib, 300)
{
	struct vessel_caps caps;
	struct vcpu *vcpu;
	struct vm *vm;
	uint64_t start, gpa, bad = 0;
	struct timespec t0, t1;

	ASSERT_EQ(0, vessel_caps_read(&caps))
		TH_LOG("cannot open %s: %s", VESSEL_DEVICE, strerror(errno));
	/* The module's own limit: too low is its failure, not a SKIP. */
	ASSERT_LE(BIG_MEM, caps.max_mem_bytes);
	vm = vm_create(1, BIG_MEM, guest_touch_all);
	vcpu = vm->vcpus[0];
	start = vm_alloc(vm, 0);
	vcpu_args_set(vcpu, 3, 0ULL, start, BIG_MEM);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vcpu_run_expect_done(vcpu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (gpa = start; gpa < BIG_MEM; gpa += PAGE)
		if (*(uint64_t *)(vm->mem + gpa) != page_pattern(gpa))
			bad++;
	EXPECT_EQ(0, bad);
	TH_LOG("%lu pages touched in %.2f s", (unsigned long)((BIG_MEM - start) / PAGE),
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	vm_free(vm);
}

/*
 * Read the first word of slot 1 and report it; write a new one and say so;
 * repeat.  The host changes the mapping only between rounds.
 */
static void guest_read_extra(void)
{
	uint64_t *p = (uint64_t *)EXTRA_GPA;
	uint64_t round;

	for (round = 0;; round++) {
		GUEST_SYNC(READ_ONCE(*p));
		WRITE_ONCE(*p, 0xabcd0000 + round);
		GUEST_SYNC(round);
	}
}

TEST(replaced_mapping_is_seen)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_read_extra);
	uint64_t *hva = vm_mem_add(vm, 1, 0, EXTRA_GPA, EXTRA_SIZE, NULL);
	struct ucall uc;
	void *p;

	hva[0] = 0x1111;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x1111, uc.args[0]);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xabcd0000, hva[0]);

	/* New anonymous memory at the same address: the old page is gone. */
	p = mmap(hva, EXTRA_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ((void *)hva, p);
	hva[0] = 0x2222;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x2222, uc.args[0]);
	/* And the guest's writes land in the new page. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0xabcd0001, hva[0]);

	/* munmap, then map again. */
	ASSERT_EQ(0, munmap(hva, EXTRA_SIZE));
	p = mmap(hva, EXTRA_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ((void *)hva, p);
	hva[0] = 0x3333;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x3333, uc.args[0]);
	vm_free(vm);
}

static void guest_write_extra(uint64_t id, uint64_t touch_first)
{
	uint64_t *p = (uint64_t *)EXTRA_GPA;

	if (touch_first)
		WRITE_ONCE(*p, 1);
	GUEST_SYNC(1);
	WRITE_ONCE(*p, 2);
	GUEST_DONE();
}

/*
 * A guest write to memory the VMM made read-only (the slot itself is
 * writable): api.rst's VESSEL_EXIT_INTERNAL_ERROR with
 * VESSEL_INTERNAL_MEMORY_FAULT and the guest-physical address, the write
 * not done. Once the VMM makes the memory writable again, the next RUN
 * repeats the write and the guest goes on.
 */
static void run_write_to_readonly_backing(struct __test_metadata *_metadata,
					  bool touch_first)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_write_extra);
	uint64_t *hva = vm_mem_add(vm, 1, 0, EXTRA_GPA, EXTRA_SIZE, NULL);

	vcpu_args_set(vcpu, 2, 0ULL, (uint64_t)touch_first);
	vcpu_run_expect_sync(vcpu, 1);
	ASSERT_EQ(0, mprotect(hva, EXTRA_SIZE, PROT_READ));

	ASSERT_EQ(0, __vcpu_run(vcpu)) {
		TH_LOG("RUN failed: %s", strerror(errno));
	}
	ASSERT_EQ(VESSEL_EXIT_INTERNAL_ERROR, vcpu->run->exit_reason) {
		TH_LOG("exit %s", vessel_exit_name(vcpu->run->exit_reason));
	}
	EXPECT_EQ(VESSEL_INTERNAL_MEMORY_FAULT, vcpu->run->internal.suberror);
	ASSERT_EQ(1, vcpu->run->internal.ndata);
	EXPECT_EQ(EXTRA_GPA, vcpu->run->internal.data[0]);
	EXPECT_EQ(touch_first ? 1 : 0, hva[0]);

	ASSERT_EQ(0, mprotect(hva, EXTRA_SIZE, PROT_READ | PROT_WRITE));
	vcpu_run_expect_done(vcpu);
	EXPECT_EQ(2, hva[0]);
	vm_free(vm);
}

TEST(mprotect_readonly_then_guest_writes)
{
	run_write_to_readonly_backing(_metadata, false);
}

TEST(mprotect_readonly_after_guest_wrote)
{
	run_write_to_readonly_backing(_metadata, true);
}

/* ----------------------------------------------------------------- fork */

static uint64_t fork_flag, fork_spinning;

static void guest_wait_for_flag(void)
{
	uint64_t i;

	WRITE_ONCE(fork_spinning, 1);
	/* About a second of the emulator's time at most. */
	for (i = 0; i < 20000000 && READ_ONCE(fork_flag) != 2; i++)
		cpu_relax();
	GUEST_ASSERT_EQ(READ_ONCE(fork_flag), 2);
	GUEST_DONE();
}

struct run_arg {
	struct vcpu *vcpu;
	uint64_t cmd;
	int r;
};

static void *run_thread(void *arg)
{
	struct run_arg *ra = arg;

	ra->r = __vcpu_run(ra->vcpu);
	ra->cmd = get_ucall(ra->vcpu, NULL);
	return NULL;
}

/*
 * fork() makes the guest's memory copy-on-write in both processes; the
 * parent's next write gives the parent a new page.  The guest belongs to
 * the parent and must see that write, not the page the child now holds.
 */
TEST(fork_then_parent_writes)
{
	const struct timespec ms = { 0, 1000 * 1000 };
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_wait_for_flag);
	uint64_t *flag = addr_gva2hva(vm, &fork_flag);
	uint64_t *spinning = addr_gva2hva(vm, &fork_spinning);
	struct run_arg ra = { .vcpu = vcpu };
	struct ucall uc;
	pthread_t thread;
	int pipefd[2], status, i;
	pid_t child;
	char c;

	WRITE_ONCE(*flag, 1);
	ASSERT_EQ(0, pipe(pipefd));
	ASSERT_EQ(0, pthread_create(&thread, NULL, run_thread, &ra));
	for (i = 0; i < 5000 && !READ_ONCE(*spinning); i++)
		nanosleep(&ms, NULL);
	ASSERT_EQ(1, READ_ONCE(*spinning));

	child = fork();
	ASSERT_GE(child, 0);
	if (!child) {
		/* Hold the old pages until the parent has written. */
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	WRITE_ONCE(*flag, 2);
	pthread_join(thread, NULL);
	EXPECT_EQ(1, write(pipefd[1], "x", 1));
	waitpid(child, &status, 0);
	close(pipefd[0]);
	close(pipefd[1]);

	EXPECT_EQ(0, ra.r);
	if (ra.cmd != UCALL_DONE && get_ucall(vcpu, &uc) == UCALL_ABORT)
		ucall_report(&uc);
	EXPECT_EQ(UCALL_DONE, ra.cmd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
