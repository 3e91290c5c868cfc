// SPDX-License-Identifier: GPL-2.0
/*
 * A guest exception raised again by its own delivery must not hold the
 * host CPU (Xen XSA-156, CVE-2015-5307 and CVE-2015-8104 for KVM): the CPU
 * loops in the delivery, never reaching an instruction boundary, so
 * neither a host interrupt nor the VMX-preemption timer ever exits.  The
 * module intercepts #DB and #AC, making every delivery a VM exit, and
 * reflects them into the guest as the hardware would have delivered them.
 *
 * Found by vessel_fuzz: a hostile guest's data breakpoint on the stack its
 * exception handler restarts from hung the test machine.
 */
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "usermode.h"
#include "vessel_util.h"

#define AC_VECTOR		17
#define EXIT_EXCEPTION_NMI	0	/* basic exit reason (SDM Appendix C) */

#define X86_CR0_AM		(1ULL << 18)
#define X86_RFLAGS_TF		(1ULL << 8)
#define X86_RFLAGS_AC		(1ULL << 18)
#define DR6_B1			(1ULL << 1)
#define DR6_BS			(1ULL << 14)
/* DR7: L0/L1, R/W = 01 (data writes), LEN = 10 (8 bytes); bit 10 reads 1. */
#define DR7_FIXED		0x400ULL
#define DR7_L0_WRITE8		(0x1ULL | 0x1ULL << 16 | 0x2ULL << 18)
#define DR7_L1_WRITE8		(0x4ULL | 0x1ULL << 20 | 0x2ULL << 22)

static void set_dr(int n, uint64_t v)
{
	switch (n) {
	case 0:
		asm volatile("mov %0, %%dr0" : : "r"(v));
		break;
	case 1:
		asm volatile("mov %0, %%dr1" : : "r"(v));
		break;
	default:
		asm volatile("mov %0, %%dr7" : : "r"(v));
		break;
	}
}

static uint64_t get_dr6(void)
{
	uint64_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static uint64_t watched;
static uint64_t ist_top;
static uint64_t db_count, db_dr6, db_rip;

/* ------------------------------------------------ the loop (XSA-156) */

/*
 * #DB goes through IST 1, whose stack top is fixed; a data breakpoint on
 * the first slot the delivery writes makes every delivery raise #DB again
 * before the handler's first instruction.
 */
static void guest_db_loop(void)
{
	set_dr(0, ist_top - 8);
	set_dr(1, (uint64_t)&watched);
	set_dr(7, DR7_FIXED | DR7_L0_WRITE8 | DR7_L1_WRITE8);
	WRITE_ONCE(watched, 1);	/* the first #DB; no handler ever runs */
	GUEST_FAIL("the #DB handler returned");
}

static void sigusr1(int sig)
{
}

TEST(db_delivery_loop_leaves_host_responsive)
{
	struct sigaction sa = { .sa_handler = sigusr1 };	/* no SA_RESTART */
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	struct itimerspec its = { .it_value = { 0, 300 * 1000 * 1000 },
				  .it_interval = { 0, 50 * 1000 * 1000 } };
	struct vessel_counters c;
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_db_loop);
	uint64_t stack = vm_alloc(vm, 0x1000), *gate;
	timer_t timer;
	int r;

	/* IST1 in the TSS, gate 1 (#DB) using it. */
	*(uint64_t *)addr_gpa2hva(vm, GUEST_TSS_GPA + 0x24) = stack + 0x1000;
	gate = addr_gpa2hva(vm, GUEST_IDT_GPA + 1 * 16);
	*gate |= 1ULL << 32;
	guest_global(vm, ist_top) = stack + 0x1000;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, timer_create(CLOCK_MONOTONIC, &sev, &timer));
	ASSERT_EQ(0, timer_settime(timer, 0, &its, NULL));
	/* Without the interception this RUN never returns: nor does the host. */
	errno = 0;
	r = __vcpu_run(vcpu);
	timer_delete(timer);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EINTR, errno);
	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &c));
	/* Each delivery was a VM exit. */
	EXPECT_GE(c.vmx_exits[EXIT_EXCEPTION_NMI], 10);
	TH_LOG("%llu #DB exits in 300 ms",
	       (unsigned long long)c.vmx_exits[EXIT_EXCEPTION_NMI]);
	vm_free(vm);
	signal(SIGUSR1, SIG_DFL);
}

/* ------------------------------- reflected as the hardware delivers them */

static void db_handler(struct ex_regs *regs)
{
	WRITE_ONCE(db_count, db_count + 1);
	WRITE_ONCE(db_dr6, get_dr6());
	WRITE_ONCE(db_rip, regs->rip);
	regs->rflags &= ~X86_RFLAGS_TF;
}

static void guest_db(void)
{
	uint64_t flags, after;

	/* A data breakpoint: a trap, RIP after the store, DR6.B1. */
	set_dr(1, (uint64_t)&watched);
	set_dr(7, DR7_FIXED | DR7_L1_WRITE8);
	asm volatile("lea 1f(%%rip), %0\n\t"
		     "movq $2, %1\n"
		     "1:" : "=&r"(after), "=m"(watched));
	set_dr(7, DR7_FIXED);
	GUEST_ASSERT_EQ(READ_ONCE(db_count), 1);
	GUEST_ASSERT(READ_ONCE(db_dr6) & DR6_B1);
	GUEST_ASSERT_EQ(READ_ONCE(db_rip), after);

	/* Single-step: DR6.BS. */
	asm volatile("pushf; pop %0" : "=r"(flags));
	asm volatile("push %0; popf; nop" : : "r"(flags | X86_RFLAGS_TF));
	GUEST_ASSERT_EQ(READ_ONCE(db_count), 2);
	GUEST_ASSERT(READ_ONCE(db_dr6) & DR6_BS);

	/* INT1 (ICEBP): #DB with RIP after the instruction. */
	asm volatile("lea 1f(%%rip), %0\n\t"
		     ".byte 0xf1\n"
		     "1:" : "=&r"(after));
	GUEST_ASSERT_EQ(READ_ONCE(db_count), 3);
	GUEST_ASSERT_EQ(READ_ONCE(db_rip), after);
	GUEST_DONE();
}

TEST(db_reflected_to_guest)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_db);

	vm_install_exception_handler(vm, DB_VECTOR, db_handler);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static uint64_t ac_count, ac_error;

/* Ring 0: count the #AC and let the access be retried without AC. */
static void ac_handler(struct ex_regs *regs)
{
	WRITE_ONCE(ac_count, ac_count + 1);
	WRITE_ONCE(ac_error, regs->error_code);
	regs->rflags &= ~X86_RFLAGS_AC;
}

static uint64_t user_misaligned_load(uint64_t addr)
{
	uint64_t flags;
	uint32_t v;

	asm volatile("pushf; pop %0" : "=r"(flags));
	asm volatile("push %0; popf" : : "r"(flags | X86_RFLAGS_AC));
	v = READ_ONCE(*(uint32_t *)addr);
	return v;
}

static uint32_t ac_data[4] = { 0x11111111, 0x22222222, 0x33333333, 0x44444444 };

static void guest_ac(void)
{
	uint64_t v;

	set_cr0(get_cr0() | X86_CR0_AM);
	v = guest_run_user(user_misaligned_load, (uint64_t)ac_data + 2);
	GUEST_ASSERT_EQ(v, 0x22221111);
	GUEST_ASSERT_EQ(READ_ONCE(ac_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(ac_error), 0);
	GUEST_DONE();
}

TEST(ac_reflected_to_guest)
{
	struct vessel_counters c;
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_ac);

	vm_enable_usermode(vm, vcpu);
	vm_install_exception_handler(vm, AC_VECTOR, ac_handler);
	vcpu_run_expect_done(vcpu);
	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &c));
	EXPECT_GE(c.vmx_exits[EXIT_EXCEPTION_NMI], 1);
	vm_free(vm);
}

TEST_HARNESS_MAIN
