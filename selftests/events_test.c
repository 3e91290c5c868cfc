// SPDX-License-Identifier: GPL-2.0
/*
 * Events into the guest (VESSEL_INJECT: exceptions, interrupts, NMIs) and
 * out of VESSEL_RUN (signals, VESSEL_KICK, immediate_exit, a second RUN);
 * RUN against the other vCPU ioctls of another thread.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define IRQ_VECTOR	0x40

/* What the guest's handlers saw. */
static uint64_t ev_count, ev_vector, ev_error, ev_cr2, ev_flag;

static void record_handler(struct ex_regs *regs)
{
	WRITE_ONCE(ev_count, ev_count + 1);
	WRITE_ONCE(ev_vector, regs->vector);
	WRITE_ONCE(ev_error, regs->error_code);
	WRITE_ONCE(ev_cr2, get_cr2());
}

/* ----------------------------------------------------------- exceptions */

static void guest_exceptions(void)
{
	GUEST_SYNC(1);		/* the host injects #GP(0x1234) */
	GUEST_ASSERT_EQ(READ_ONCE(ev_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(ev_vector), GP_VECTOR);
	GUEST_ASSERT_EQ(READ_ONCE(ev_error), 0x1234);
	GUEST_SYNC(2);		/* the host injects #PF(6) at 0xdeadb000 */
	GUEST_ASSERT_EQ(READ_ONCE(ev_count), 2);
	GUEST_ASSERT_EQ(READ_ONCE(ev_vector), PF_VECTOR);
	GUEST_ASSERT_EQ(READ_ONCE(ev_error), 6);
	GUEST_ASSERT_EQ(READ_ONCE(ev_cr2), 0xdeadb000);
	GUEST_DONE();
}

TEST(inject_exceptions)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_exceptions);

	vm_install_exception_handler(vm, GP_VECTOR, record_handler);
	vm_install_exception_handler(vm, PF_VECTOR, record_handler);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_inject(vcpu, VESSEL_EVENT_EXCEPTION, GP_VECTOR,
		    VESSEL_EVENT_HAS_ERROR_CODE, 0x1234, 0);
	vcpu_run_expect_sync(vcpu, 2);
	vcpu_inject(vcpu, VESSEL_EVENT_EXCEPTION, PF_VECTOR,
		    VESSEL_EVENT_HAS_ERROR_CODE | VESSEL_EVENT_HAS_PAYLOAD, 6,
		    0xdeadb000);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * An interrupted #GP restored by SET_STATE without the deliver-error-code
 * bit: in protected mode a #GP pushes its error code and VM entry insists
 * on the bit (SDM 26.2.1.3), so the module sets it from the mode at
 * delivery rather than fail the entry.
 */
static void guest_restored_gp(void)
{
	GUEST_SYNC(1);		/* the host restores an interrupted #GP */
	GUEST_ASSERT_EQ(READ_ONCE(ev_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(ev_vector), GP_VECTOR);
	GUEST_ASSERT_EQ(READ_ONCE(ev_error), 0x5678);
	GUEST_DONE();
}

TEST(restored_exception_gets_its_error_code)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_restored_gp);

	vm_install_exception_handler(vm, GP_VECTOR, record_handler);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_state_get(vcpu, s, VESSEL_STATE_EVENTS);
	s->events.injected_info = 0x80000300 | GP_VECTOR;
	s->events.injected_error_code = 0x5678;
	vcpu_state_set(vcpu, s, VESSEL_STATE_EVENTS);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	free(s);
}

/*
 * A #DB's payload is DR6: bits 63:32 do not exist, and loading them into
 * DR6 before an entry raised #GP in the host, with interrupts off (found
 * by vessel_fuzz: SET_STATE with such a pending #DB, then a guest with
 * breakpoints armed).  INJECT and SET_STATE refuse it.
 */
TEST(db_payload_beyond_dr6_einval)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vessel_event ev = {
		.type = VESSEL_EVENT_EXCEPTION, .vector = DB_VECTOR,
		.flags = VESSEL_EVENT_HAS_PAYLOAD, .payload = 1ULL << 58,
	};
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_exceptions);

	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_INJECT, &ev));
	EXPECT_EQ(EINVAL, errno);
	ev.payload = 1ULL << 32;
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_INJECT, &ev));
	EXPECT_EQ(EINVAL, errno);

	vcpu_state_get(vcpu, s, VESSEL_STATE_ALL);
	s->flags = VESSEL_STATE_EVENTS;
	s->events.flags = VESSEL_EV_EXCEPTION_PENDING |
			  VESSEL_EV_EXCEPTION_HAS_PAYLOAD;
	s->events.exception_vector = DB_VECTOR;
	s->events.exception_payload = 1ULL << 58;
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));
	EXPECT_EQ(EINVAL, errno);

	/* DR6's own bits are a payload. */
	ev.payload = 0xffff4ff2;
	EXPECT_EQ(0, __vcpu_ioctl(vcpu, VESSEL_INJECT, &ev));
	vm_free(vm);
	free(s);
}

/* ----------------------------------------------------------- interrupts */

static void irq_handler(struct ex_regs *regs)
{
	WRITE_ONCE(ev_count, ev_count + 1);
	WRITE_ONCE(ev_vector, regs->vector);
	/* Was the instruction after STI already done? */
	WRITE_ONCE(ev_error, READ_ONCE(ev_flag));
}

static void guest_irqs(void)
{
	sti();
	GUEST_SYNC(1);		/* IF=1: taken at once */
	asm volatile("nop");
	GUEST_ASSERT_EQ(READ_ONCE(ev_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(ev_vector), IRQ_VECTOR);

	cli();
	GUEST_SYNC(2);		/* IF=0: held */
	asm volatile("nop; nop; nop");
	GUEST_ASSERT_EQ(READ_ONCE(ev_count), 1);
	/* STI blocks for one instruction: the MOVQ runs before the IRQ. */
	asm volatile("sti\n\tmovq $1, %0\n\tnop" : "=m"(ev_flag) : : "memory");
	GUEST_ASSERT_EQ(READ_ONCE(ev_count), 2);
	GUEST_ASSERT_EQ(READ_ONCE(ev_vector), IRQ_VECTOR + 1);
	GUEST_ASSERT_EQ(READ_ONCE(ev_error), 1);
	GUEST_DONE();
}

TEST(inject_irq)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_irqs);

	vm_install_exception_handler(vm, IRQ_VECTOR, irq_handler);
	vm_install_exception_handler(vm, IRQ_VECTOR + 1, irq_handler);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_inject(vcpu, VESSEL_EVENT_IRQ, IRQ_VECTOR, 0, 0, 0);
	vcpu_run_expect_sync(vcpu, 2);
	vcpu_inject(vcpu, VESSEL_EVENT_IRQ, IRQ_VECTOR + 1, 0, 0, 0);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ----------------------------------------------------------------- NMIs */

static void nmi_handler(struct ex_regs *regs)
{
	WRITE_ONCE(ev_count, ev_count + 1);
	if (READ_ONCE(ev_count) == 1) {
		/* The host injects a second NMI now: blocked until IRET. */
		GUEST_SYNC(2);
		asm volatile("nop; nop; nop");
		GUEST_ASSERT_EQ(READ_ONCE(ev_count), 1);
	}
}

static void guest_nmi(void)
{
	GUEST_SYNC(1);
	asm volatile("nop");
	GUEST_ASSERT_EQ(READ_ONCE(ev_count), 2);
	GUEST_DONE();
}

TEST(inject_nmi)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_nmi);

	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_inject(vcpu, VESSEL_EVENT_NMI, 0, 0, 0, 0);
	vcpu_run_expect_sync(vcpu, 2);
	vcpu_inject(vcpu, VESSEL_EVENT_NMI, 0, 0, 0, 0);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* -------------------------------------------- getting RUN to return */

static uint64_t spin_count, spin_stop;

/* Spin until the host sets spin_stop in guest memory; @irqs_off: CLI. */
static void guest_spin(uint64_t id, uint64_t irqs_off)
{
	if (irqs_off)
		cli();
	else
		sti();
	GUEST_SYNC(1);
	while (!READ_ONCE(spin_stop))
		WRITE_ONCE(spin_count, spin_count + 1);
	GUEST_DONE();
}

struct interrupter {
	struct vcpu *vcpu;
	pthread_t target;
	bool use_kick;
	bool stop;
};

static void sigusr1(int sig)
{
}

static void *interrupter_fn(void *arg)
{
	struct interrupter *in = arg;
	const struct timespec ms = { 0, 1000 * 1000 };

	/* Until RUN has returned: a kick or signal may land before it runs. */
	while (!READ_ONCE(in->stop)) {
		nanosleep(&ms, NULL);
		if (in->use_kick)
			vessel_vcpu_kick(&in->vcpu->v);
		else
			pthread_kill(in->target, SIGUSR1);
	}
	return NULL;
}

static void run_interrupted(struct __test_metadata *_metadata, bool use_kick,
			    bool irqs_off)
{
	struct sigaction sa = { .sa_handler = sigusr1 };	/* no SA_RESTART */
	struct interrupter in = { .use_kick = use_kick };
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	pthread_t thread;
	int i, r;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vcpu_args_set(vcpu, 2, 0ULL, (uint64_t)irqs_off);
	vcpu_run_expect_sync(vcpu, 1);

	in.vcpu = vcpu;
	in.target = pthread_self();
	ASSERT_EQ(0, pthread_create(&thread, NULL, interrupter_fn, &in));
	errno = 0;
	r = __vcpu_run(vcpu);
	WRITE_ONCE(in.stop, true);
	pthread_join(thread, NULL);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(VESSEL_EXIT_INTR, vcpu->run->exit_reason);
	TH_LOG("guest spun %lu times before RUN returned",
	       (unsigned long)guest_global(vm, spin_count));

	/*
	 * The guest carries on where it was.  A kick sent after RUN returned
	 * may still make the next RUN return at once: allow for that.
	 */
	guest_global(vm, spin_stop) = 1;
	for (i = 0; i < 3; i++) {
		r = __vcpu_run(vcpu);
		if (r == 0 || errno != EINTR)
			break;
	}
	EXPECT_EQ(0, r) TH_LOG("RUN: %s", strerror(errno));
	EXPECT_EQ(UCALL_DONE, get_ucall(vcpu, NULL));
	vm_free(vm);
	signal(SIGUSR1, SIG_DFL);
}

TEST(signal_interrupts_run)
{
	run_interrupted(_metadata, false, false);
}

TEST(signal_interrupts_run_with_guest_irqs_off)
{
	run_interrupted(_metadata, false, true);
}

TEST(kick_interrupts_run)
{
	run_interrupted(_metadata, true, false);
}

/* Set by the signal handlers, read once RUN has returned. */
static int cpu_timer_fired, watchdog_fired;

static void cpu_timer_signal(int sig)
{
	(void)sig;
	WRITE_ONCE(cpu_timer_fired, 1);
}

static void watchdog_signal(int sig)
{
	(void)sig;
	WRITE_ONCE(watchdog_fired, 1);
}

/*
 * A timer on the thread's CPU clock ends RUN while the guest spins
 * without an exit to userspace.  The kernel fires CPU-time timers from
 * task work that runs on the way back to userspace (TIF_NOTIFY_RESUME,
 * CONFIG_POSIX_CPU_TIMERS_TASK_WORK): a RUN loop that waits for a
 * pending signal alone never sees the timer, and only the watchdog's
 * SIGALRM (a real-time timer, signalled from the interrupt) ended RUN.
 * The execution cap (vessel run --cpu-cap) is such a timer.
 */
TEST(cpu_time_timer_interrupts_run)
{
	struct sigaction sa = { .sa_handler = cpu_timer_signal };
	struct sigaction wd = { .sa_handler = watchdog_signal };
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGUSR2,
	};
	/* 50 ms of CPU time: the guest has spun a while by then. */
	struct itimerspec its = { .it_value = { 0, 50 * 1000 * 1000 } };
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	timer_t timer;
	int r;

	cpu_timer_fired = 0;
	watchdog_fired = 0;
	ASSERT_EQ(0, sigaction(SIGUSR2, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGALRM, &wd, NULL));
	vcpu_args_set(vcpu, 2, 0ULL, 0ULL);
	vcpu_run_expect_sync(vcpu, 1);

	ASSERT_EQ(0, timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &timer));
	ASSERT_EQ(0, timer_settime(timer, 0, &its, NULL));
	alarm(10);
	errno = 0;
	r = __vcpu_run(vcpu);
	alarm(0);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(VESSEL_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_EQ(1, READ_ONCE(cpu_timer_fired));
	EXPECT_EQ(0, READ_ONCE(watchdog_fired))
		TH_LOG("RUN ran on 10 s after the CPU-time timer expired");
	timer_delete(timer);

	guest_global(vm, spin_stop) = 1;
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	signal(SIGUSR2, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
}

static uint64_t cpu_timer_fired_ns;

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void cpu_timer_stamp(int sig)
{
	(void)sig;
	WRITE_ONCE(cpu_timer_fired_ns, monotonic_ns());
}

/*
 * RUN on a spinning guest with a 50 ms CPU-time timer armed, until the
 * watchdog's SIGALRM (a real-time timer, without SA_RESTART) ends it
 * after 2 s: the timer's signal, handled under SA_RESTART or ignored,
 * must not end RUN itself (no EINTR, no stray errno from the restart).
 * The one RUN call counts as one run, however often the kernel restarted
 * it.
 */
static void run_until_watchdog(struct __test_metadata *_metadata,
			       struct vcpu *vcpu, uint64_t *start)
{
	struct sigaction wd = { .sa_handler = watchdog_signal };
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL,
		.sigev_signo = SIGUSR2,
	};
	struct itimerspec its = { .it_value = { 0, 50 * 1000 * 1000 } };
	struct vessel_counters before, after;
	timer_t timer;
	int r;

	watchdog_fired = 0;
	ASSERT_EQ(0, sigaction(SIGALRM, &wd, NULL));
	vcpu_args_set(vcpu, 2, 0ULL, 0ULL);
	vcpu_run_expect_sync(vcpu, 1);

	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &before));
	ASSERT_EQ(0, timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &timer));
	*start = monotonic_ns();
	ASSERT_EQ(0, timer_settime(timer, 0, &its, NULL));
	alarm(2);
	errno = 0;
	r = __vcpu_run(vcpu);
	alarm(0);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, READ_ONCE(watchdog_fired));
	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &after));
	EXPECT_EQ(before.runs + 1, after.runs);
	timer_delete(timer);
	signal(SIGALRM, SIG_DFL);
}

/*
 * With SA_RESTART, the timer's handler runs when the CPU time is spent,
 * long before the watchdog, and RUN goes on: before the module left RUN
 * for the kernel's task work, the handler ran only once the watchdog had
 * ended RUN, 2 s later.
 */
TEST(cpu_time_timer_sa_restart_restarts_run)
{
	struct sigaction sa = {
		.sa_handler = cpu_timer_stamp,
		.sa_flags = SA_RESTART,
	};
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	uint64_t start, fired;

	cpu_timer_fired_ns = 0;
	ASSERT_EQ(0, sigaction(SIGUSR2, &sa, NULL));
	run_until_watchdog(_metadata, vcpu, &start);
	fired = READ_ONCE(cpu_timer_fired_ns);
	ASSERT_NE(0, fired);
	/* 50 ms of CPU time, seen at a tick; the watchdog comes at 2 s. */
	EXPECT_LT(fired - start, 1000000000ULL)
		TH_LOG("the timer's handler ran %llu ms after it was armed",
		       (unsigned long long)((fired - start) / 1000000));

	guest_global(vm, spin_stop) = 1;
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	signal(SIGUSR2, SIG_DFL);
}

/*
 * Ignored, the timer's signal is never raised: the kernel's work runs
 * and raises nothing, and RUN is restarted without a signal to deliver,
 * which leaves no trace for userspace (no ERESTARTSYS as an errno).
 */
TEST(cpu_time_timer_ignored_restarts_run)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	uint64_t start;

	signal(SIGUSR2, SIG_IGN);
	run_until_watchdog(_metadata, vcpu, &start);

	guest_global(vm, spin_stop) = 1;
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	signal(SIGUSR2, SIG_DFL);
}

TEST(immediate_exit)
{
	struct vessel_counters before, after;
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);

	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &before));
	vcpu->run->immediate_exit = 1;
	errno = 0;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(VESSEL_EXIT_INTR, vcpu->run->exit_reason);
	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &after));
	EXPECT_EQ(before.entries, after.entries);

	vcpu->run->immediate_exit = 0;
	vcpu_run_expect_sync(vcpu, 1);
	guest_global(vm, spin_stop) = 1;
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

struct runner {
	struct vcpu *vcpu;
	int r, err;
	bool done;
};

static void *runner_fn(void *arg)
{
	struct runner *rn = arg;

	rn->r = __vcpu_run(rn->vcpu);
	rn->err = errno;
	WRITE_ONCE(rn->done, true);
	return NULL;
}

TEST(second_concurrent_run_ebusy)
{
	struct sigaction sa = { .sa_handler = sigusr1 };
	struct runner rn = { 0 };
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	const struct timespec ms = { 0, 1000 * 1000 };
	uint64_t *count;
	pthread_t thread;
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	vcpu_run_expect_sync(vcpu, 1);
	count = addr_gva2hva(vm, &spin_count);

	rn.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&thread, NULL, runner_fn, &rn));
	/* Wait until the other thread's guest is spinning. */
	for (i = 0; i < 5000 && !READ_ONCE(*count); i++)
		nanosleep(&ms, NULL);
	ASSERT_NE(0, READ_ONCE(*count));
	errno = 0;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EBUSY, errno);

	guest_global(vm, spin_stop) = 1;
	pthread_join(thread, NULL);
	/* The spinner stopped by itself: a GUEST_DONE ucall. */
	EXPECT_EQ(0, rn.r) TH_LOG("first RUN: %s", strerror(rn.err));
	EXPECT_EQ(UCALL_DONE, get_ucall(vcpu, NULL));
	vm_free(vm);
	signal(SIGUSR1, SIG_DFL);
}

struct holder {
	struct vcpu *vcpu;
	void *arg;
	int r, err;
};

static void *counters_fn(void *arg)
{
	struct holder *h = arg;

	h->r = __vcpu_ioctl(h->vcpu, VESSEL_GET_COUNTERS, h->arg);
	h->err = errno;
	return NULL;
}

/*
 * Another thread's vCPU ioctl (here GET_COUNTERS, held inside the kernel
 * by a userfaultfd page as its argument) makes RUN wait, as RUN makes the
 * other ioctls wait; only a second RUN is refused, with EBUSY, even one
 * that is still waiting.
 */
TEST(run_waits_for_other_vcpu_ioctls)
{
	const struct timespec ms10 = { 0, 10 * 1000 * 1000 };
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_copy copy = { 0 };
	struct holder hold = { 0 };
	struct runner rn = { 0 };
	struct uffd_msg msg;
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_spin);
	static uint8_t zeros[4096] __aligned(4096);
	pthread_t holder_thread, run_thread;
	void *page;
	int uffd, i;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	reg.range.start = (uint64_t)page;
	reg.range.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	hold.vcpu = vcpu;
	hold.arg = page;
	ASSERT_EQ(0, pthread_create(&holder_thread, NULL, counters_fn, &hold));
	/* Its fault: GET_COUNTERS is inside the vCPU now. */
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	rn.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&run_thread, NULL, runner_fn, &rn));
	for (i = 0; i < 50 && !READ_ONCE(rn.done); i++)
		nanosleep(&ms10, NULL);
	EXPECT_FALSE(READ_ONCE(rn.done)) {
		TH_LOG("RUN returned %d (%s) while GET_COUNTERS held the vCPU",
		       rn.r, strerror(rn.err));
	}
	/* That RUN waits: a third is a second concurrent RUN. */
	errno = 0;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EBUSY, errno);

	copy.dst = (uint64_t)page;
	copy.src = (uint64_t)zeros;
	copy.len = 4096;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	pthread_join(holder_thread, NULL);
	EXPECT_EQ(0, hold.r) TH_LOG("GET_COUNTERS: %s", strerror(hold.err));
	pthread_join(run_thread, NULL);
	EXPECT_EQ(0, rn.r) TH_LOG("RUN: %s", strerror(rn.err));
	EXPECT_EQ(UCALL_SYNC, get_ucall(vcpu, NULL));
	munmap(page, 4096);
	close(uffd);
	vm_free(vm);
}

TEST_HARNESS_MAIN
