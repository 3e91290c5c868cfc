// SPDX-License-Identifier: GPL-2.0
/*
 * The guest MSRs Vessel switches only on the way back to userspace (STAR,
 * LSTAR, CSTAR, SFMASK, TSC_AUX: user-return notifiers) or at a schedule
 * (KERNEL_GS_BASE): the guest must find its values in the CPU - SYSCALL
 * through them, RDTSCP, SWAPGS - and the host its own - the vCPU thread's
 * syscalls, RDTSCP, GS base - across exits to userspace, a migration of
 * the thread to another CPU between RUNs and in the middle of one, and a
 * signal interrupting RUN; the state ioctls see the guest's values.
 *
 * Two host CPUs for the migrations (the smp boot); the rest runs on one.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <asm/prctl.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define MSR_GS_BASE		0xc0000101
#define MSR_EFER		0xc0000080
#define EFER_SCE		(1ULL << 0)
#define X86_EFLAGS_DF		(1ULL << 10)
#define X86_EFLAGS_AC		(1ULL << 18)

/* SYSCALL: CS from STAR[47:32] (the 64-bit code segment), SS that + 8. */
#define STAR_VAL	(0x0023ULL << 48 | (uint64_t)VESSEL_GDT_SEL_CODE64 << 32)
#define CSTAR_VAL	0xffff800012345000ULL
#define SFMASK_VAL	(X86_EFLAGS_DF | X86_EFLAGS_AC)
#define TSC_AUX_VAL	0xabcULL
#define KGS_VAL		0xffff800000abc000ULL
/* The vCPU thread's own user GS base, which the guest's must not replace. */
#define HOST_GS_VAL	0x7f0012345000ULL

/* Guest side: what the SYSCALL entry saw; the host sets spin_rounds. */
uint64_t sc_rflags, sc_r11, sc_count;	/* written by ms_syscall_entry */
static uint64_t spin_rounds;
static int has_rdtscp;

/* The guest's LSTAR: records what SYSCALL left, returns to RCX. */
static void __attribute__((naked)) ms_syscall_entry(void)
{
	asm("pushfq\n\t"
	    "popq	sc_rflags(%rip)\n\t"
	    "movq	%r11, sc_r11(%rip)\n\t"
	    "incq	sc_count(%rip)\n\t"
	    /* SYSCALL loaded SS with STAR's selector + 8: back to the data one. */
	    "movl	$0x18, %eax\n\t"
	    "movl	%eax, %ss\n\t"
	    "pushq	%r11\n\t"
	    "popfq\n\t"
	    "jmp	*%rcx");
}

/* A SYSCALL at CPL 0 with DF and AC set: SFMASK must clear both. */
static void guest_syscall(void)
{
	uint64_t n = sc_count;

	asm volatile("pushfq\n\t"
		     "orq	$0x40400, (%%rsp)\n\t"
		     "popfq\n\t"
		     "syscall\n\t"
		     "pushfq\n\t"
		     "andq	$~0x40400, (%%rsp)\n\t"
		     "popfq"
		     : : : "rax", "rcx", "r11", "memory", "cc");
	GUEST_ASSERT_EQ(sc_count, n + 1);
	GUEST_ASSERT_EQ(sc_rflags & SFMASK_VAL, 0);
	GUEST_ASSERT_EQ(sc_r11 & SFMASK_VAL, SFMASK_VAL);
}

/* Every value where the guest reads it: RDMSR, and in the CPU itself. */
static void guest_check(void)
{
	uint32_t a, d, aux;
	uint64_t gs;

	GUEST_ASSERT_EQ(rdmsr(MSR_STAR), STAR_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), (uint64_t)ms_syscall_entry);
	GUEST_ASSERT_EQ(rdmsr(MSR_CSTAR), CSTAR_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_SFMASK), SFMASK_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_AUX), TSC_AUX_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE), KGS_VAL);
	if (has_rdtscp) {
		asm volatile("rdtscp" : "=a"(a), "=d"(d), "=c"(aux));
		GUEST_ASSERT_EQ(aux, TSC_AUX_VAL);
	}
	/* SWAPGS brings KERNEL_GS_BASE into GS base, from the CPU. */
	asm volatile("swapgs" ::: "memory");
	gs = rdmsr(MSR_GS_BASE);
	asm volatile("swapgs" ::: "memory");
	GUEST_ASSERT_EQ(gs, KGS_VAL);
	guest_syscall();
}

static void guest_code(void)
{
	uint32_t a, b, c, d;
	uint64_t i, j;

	cpuid_count(0x80000001, 0, &a, &b, &c, &d);
	has_rdtscp = !!(d & (1U << 27));
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, STAR_VAL);
	wrmsr(MSR_LSTAR, (uint64_t)ms_syscall_entry);
	wrmsr(MSR_CSTAR, CSTAR_VAL);
	wrmsr(MSR_SFMASK, SFMASK_VAL);
	if (has_rdtscp)
		wrmsr(MSR_TSC_AUX, TSC_AUX_VAL);
	else
		GUEST_ASSERT_EQ(wrmsr_safe(MSR_TSC_AUX, TSC_AUX_VAL), 0);
	wrmsr(MSR_KERNEL_GS_BASE, KGS_VAL);
	guest_check();
	for (i = 0;; i++) {
		GUEST_SYNC(i);
		guest_check();
		/* Exits the fast path finishes, checked every 64. */
		for (j = 0; j < READ_ONCE(spin_rounds); j++) {
			cpuid_count(0, 0, &a, &b, &c, &d);
			if (!(j & 63))
				guest_check();
		}
		guest_check();
	}
}

/* ------------------------------------------------------------ host */

/* The host's TSC_AUX (Linux: node << 12 | CPU) and GS base are its own. */
static void host_check(struct __test_metadata *_metadata)
{
	unsigned int aux, cpu, before;
	unsigned long gs = 0;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		before = sched_getcpu();
		asm volatile("rdtscp" : "=c"(aux) : : "rax", "rdx");
		cpu = sched_getcpu();
		if (cpu == before)
			break;
	}
	EXPECT_EQ(cpu, aux & 0xfff);
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_GET_GS, &gs));
	EXPECT_EQ(HOST_GS_VAL, gs);
}

static struct vm *ms_vm(struct __test_metadata *_metadata)
{
	struct vm *vm = vm_create(1, 0, guest_code);
	struct ucall uc;

	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_SET_GS, HOST_GS_VAL));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vm->vcpus[0], &uc));
	host_check(_metadata);
	return vm;
}

static void ms_vm_free(struct vm *vm)
{
	vm_free(vm);
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0UL);
}

/* One more round of the guest; it stays in the guest @spin exits long. */
static void ms_round(struct __test_metadata *_metadata, struct vm *vm,
		     uint64_t spin)
{
	struct ucall uc;

	guest_global(vm, spin_rounds) = spin;
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vm->vcpus[0], &uc));
	host_check(_metadata);
}

static bool pin_to(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(tid, sizeof(set), &set);
}

static bool two_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 && pin_to(0, 0);
}

TEST(exits_to_userspace)
{
	struct vm *vm = ms_vm(_metadata);
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	int i;

	for (i = 0; i < 20; i++)
		ms_round(_metadata, vm, i & 1 ? 200 : 0);
	/* The state ioctls see the guest's values, KERNEL_GS_BASE too. */
	ASSERT_NE(NULL, s);
	vcpu_state_get(vm->vcpus[0], s, VESSEL_STATE_MSRS);
	EXPECT_EQ(STAR_VAL, s->msrs[VESSEL_MSR_STAR]);
	EXPECT_EQ(CSTAR_VAL, s->msrs[VESSEL_MSR_CSTAR]);
	EXPECT_EQ(SFMASK_VAL, s->msrs[VESSEL_MSR_SFMASK]);
	EXPECT_EQ(TSC_AUX_VAL, s->msrs[VESSEL_MSR_TSC_AUX]);
	EXPECT_EQ(KGS_VAL, s->msrs[VESSEL_MSR_KERNEL_GS_BASE]);
	/* Loaded back unchanged: the guest finds them all again. */
	vcpu_state_set(vm->vcpus[0], s, VESSEL_STATE_MSRS);
	ms_round(_metadata, vm, 100);
	free(s);
	ms_vm_free(vm);
}

/* Invalid values are refused before they could reach a CPU. */
TEST(state_refuses_what_wrmsr_would_fault)
{
	struct vm *vm = ms_vm(_metadata);
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	static const struct { unsigned int slot; uint64_t val; } bad[] = {
		{ VESSEL_MSR_LSTAR, 0x0000800000000000ULL },
		{ VESSEL_MSR_CSTAR, 0x8000000000000000ULL },
		{ VESSEL_MSR_KERNEL_GS_BASE, 0x0001000000000000ULL },
		{ VESSEL_MSR_SFMASK, 1ULL << 32 },
		{ VESSEL_MSR_TSC_AUX, 1ULL << 32 },
	};
	unsigned int i;
	uint64_t good;

	ASSERT_NE(NULL, s);
	vcpu_state_get(vm->vcpus[0], s, VESSEL_STATE_MSRS);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		good = s->msrs[bad[i].slot];
		s->msrs[bad[i].slot] = bad[i].val;
		s->flags = VESSEL_STATE_MSRS;
		EXPECT_EQ(-1, __vcpu_ioctl(vm->vcpus[0], VESSEL_SET_STATE, s));
		EXPECT_EQ(EINVAL, errno);
		s->msrs[bad[i].slot] = good;
	}
	ms_round(_metadata, vm, 10);
	free(s);
	ms_vm_free(vm);
}

TEST(migration_between_runs)
{
	struct vm *vm;
	int i;

	if (!two_cpus())
		SKIP(return, "needs two host CPUs");
	vm = ms_vm(_metadata);
	for (i = 0; i < 20; i++) {
		ASSERT_TRUE(pin_to(0, i & 1));
		ms_round(_metadata, vm, 50);
	}
	ms_vm_free(vm);
}

/* A thread that keeps moving the vCPU thread, or signalling it. */
struct ms_helper {
	pid_t tid;
	pthread_t thread;
	bool signal;
	bool stop;
	unsigned long moves;
};

static void *ms_helper_fn(void *arg)
{
	struct ms_helper *h = arg;
	struct timespec ts = { 0, 300 * 1000 };

	while (!READ_ONCE(h->stop)) {
		if (h->signal)
			pthread_kill(h->thread, SIGUSR1);
		else
			pin_to(h->tid, h->moves & 1);
		h->moves++;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void ms_nop(int sig)
{
}

TEST(migration_during_run)
{
	struct ms_helper h = { .thread = pthread_self() };
	pthread_t t;
	struct vm *vm;
	int i;

	if (!two_cpus())
		SKIP(return, "needs two host CPUs");
	h.tid = syscall(SYS_gettid);
	vm = ms_vm(_metadata);
	ASSERT_EQ(0, pthread_create(&t, NULL, ms_helper_fn, &h));
	for (i = 0; i < 10; i++)
		ms_round(_metadata, vm, 20000);
	WRITE_ONCE(h.stop, true);
	pthread_join(t, NULL);
	TH_LOG("%lu moves", h.moves);
	EXPECT_LT(1, h.moves);
	ms_vm_free(vm);
}

TEST(signal_interrupts_run)
{
	struct ms_helper h = { .thread = pthread_self(), .signal = true };
	struct sigaction sa = { .sa_handler = ms_nop };
	unsigned long eintr = 0;
	struct ucall uc;
	pthread_t t;
	struct vm *vm;
	int i, r;

	/* No SA_RESTART: RUN returns EINTR to us. */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vm = ms_vm(_metadata);
	ASSERT_EQ(0, pthread_create(&t, NULL, ms_helper_fn, &h));
	for (i = 0; i < 10; i++) {
		guest_global(vm, spin_rounds) = 20000;
		for (;;) {
			r = __vcpu_run(vm->vcpus[0]);
			if (r == -1 && errno == EINTR) {
				eintr++;
				host_check(_metadata);
				continue;
			}
			ASSERT_EQ(0, r);
			break;
		}
		r = get_ucall(vm->vcpus[0], &uc);
		if (r == UCALL_ABORT || r == UCALL_UNHANDLED)
			ucall_report(&uc);
		ASSERT_EQ(UCALL_SYNC, r);
		host_check(_metadata);
	}
	WRITE_ONCE(h.stop, true);
	pthread_join(t, NULL);
	TH_LOG("%lu signals, RUN interrupted %lu times", h.moves, eintr);
	EXPECT_LT(0, eintr);
	ms_vm_free(vm);
}

TEST_HARNESS_MAIN
