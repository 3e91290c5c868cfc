// SPDX-License-Identifier: GPL-2.0
/*
 * VESSEL_GET_STATE / VESSEL_SET_STATE: every part round-trips, a set state
 * is what the guest runs with, and a guest survives being saved, destroyed
 * and reloaded into a new VM at every stage (as KVM's state_test).
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

static struct vessel_vcpu_state *state_alloc(void)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));

	TEST_ASSERT(s, "out of memory");
	return s;
}

static void guest_done(void)
{
	GUEST_DONE();
}

/* Valid new values for one part of @s. */
static void state_change(struct vessel_vcpu_state *s, uint64_t part)
{
	unsigned int i;

	switch (part) {
	case VESSEL_STATE_GPRS:
		for (i = 0; i < VESSEL_NR_GPRS; i++)
			s->gprs.regs[i] = 0x0101010101010101ULL * (i + 1);
		s->gprs.rip = 0x401000;
		s->gprs.rflags = 0x8d7;		/* CF PF AF ZF SF OF */
		break;
	case VESSEL_STATE_SEGS:
		s->segs.seg[VESSEL_SEG_FS].base = 0x12345000;
		s->segs.seg[VESSEL_SEG_GS].base = 0xffff800000001000ULL;
		s->segs.idt.limit = 0x7ff;
		break;
	case VESSEL_STATE_CRS:
		s->crs.cr2 = 0xdead000;
		s->crs.cr8 = 3;
		break;
	case VESSEL_STATE_DRS:
		for (i = 0; i < 4; i++)
			s->drs.dr[i] = 0x1000 * (i + 1);
		s->drs.dr6 = 0xffff0ff1;
		s->drs.dr7 = 0x401;
		break;
	case VESSEL_STATE_MSRS:
		s->msrs[VESSEL_MSR_SYSENTER_CS] = 0x10;
		s->msrs[VESSEL_MSR_SYSENTER_ESP] = 0xffff800000002000ULL;
		s->msrs[VESSEL_MSR_SYSENTER_EIP] = 0xffff800000003000ULL;
		s->msrs[VESSEL_MSR_STAR] = 0x0023001000000000ULL;
		s->msrs[VESSEL_MSR_LSTAR] = 0xffff800000004000ULL;
		s->msrs[VESSEL_MSR_CSTAR] = 0xffff800000005000ULL;
		s->msrs[VESSEL_MSR_SFMASK] = 0x47700;
		s->msrs[VESSEL_MSR_KERNEL_GS_BASE] = 0xffff800000006000ULL;
		s->msrs[VESSEL_MSR_PAT] = 0x0007010600070106ULL;
		s->msrs[VESSEL_MSR_TSC] = 1ULL << 40;
		s->msrs[VESSEL_MSR_TSC_AUX] = 7;
		s->msrs[VESSEL_MSR_TSC_ADJUST] = 0x1234;
		break;
	case VESSEL_STATE_FPU:
		for (i = 0; i < 16 * 16; i++)
			s->fpu.xsave[XSAVE_XMM(0) + i] = i ^ 0x5a;
		s->fpu.xsave[XSAVE_XSTATE_BV] |= XFEATURE_X87 | XFEATURE_SSE;
		break;
	case VESSEL_STATE_EVENTS:
		memset(&s->events, 0, sizeof(s->events));
		s->events.flags = VESSEL_EV_NMI_PENDING;
		s->events.interruptibility = VESSEL_INTR_NMI;
		break;
	}
}

/* Is @part of @a the same as of @b?  Where time moves, near enough. */
static void state_compare(struct __test_metadata *_metadata,
			  struct vessel_vcpu_state *a,
			  struct vessel_vcpu_state *b, uint64_t part)
{
	switch (part) {
	case VESSEL_STATE_GPRS:
		EXPECT_EQ(0, memcmp(&a->gprs, &b->gprs, sizeof(a->gprs)));
		break;
	case VESSEL_STATE_SEGS:
		EXPECT_EQ(0, memcmp(&a->segs, &b->segs, sizeof(a->segs)));
		break;
	case VESSEL_STATE_CRS:
		EXPECT_EQ(0, memcmp(&a->crs, &b->crs, sizeof(a->crs)));
		break;
	case VESSEL_STATE_DRS:
		EXPECT_EQ(0, memcmp(&a->drs, &b->drs, sizeof(a->drs)));
		break;
	case VESSEL_STATE_MSRS:
		EXPECT_EQ(0, memcmp(a->msrs, b->msrs,
				    VESSEL_MSR_TSC * sizeof(a->msrs[0])));
		EXPECT_EQ(a->msrs[VESSEL_MSR_TSC_AUX], b->msrs[VESSEL_MSR_TSC_AUX]);
		EXPECT_EQ(a->msrs[VESSEL_MSR_MISC_ENABLE],
			  b->msrs[VESSEL_MSR_MISC_ENABLE]);
		EXPECT_EQ(a->msrs[VESSEL_MSR_TSC_ADJUST],
			  b->msrs[VESSEL_MSR_TSC_ADJUST]);
		/* The TSC runs on: later, not by much. */
		EXPECT_GE(b->msrs[VESSEL_MSR_TSC], a->msrs[VESSEL_MSR_TSC]);
		EXPECT_LT(b->msrs[VESSEL_MSR_TSC] - a->msrs[VESSEL_MSR_TSC],
			  1ULL << 36);
		break;
	case VESSEL_STATE_FPU:
		EXPECT_EQ(0, memcmp(&a->fpu.xsave[XSAVE_XMM(0)],
				    &b->fpu.xsave[XSAVE_XMM(0)], 16 * 16));
		EXPECT_EQ(0, memcmp(&a->fpu.xsave[XSAVE_FCW],
				    &b->fpu.xsave[XSAVE_FCW], 2));
		EXPECT_EQ(0, memcmp(&a->fpu.xsave[XSAVE_MXCSR],
				    &b->fpu.xsave[XSAVE_MXCSR], 4));
		break;
	case VESSEL_STATE_EVENTS:
		EXPECT_EQ(0, memcmp(&a->events, &b->events, sizeof(a->events)));
		break;
	}
}

TEST(each_part_round_trips)
{
	static const char * const names[] = {
		"gprs", "segs", "crs", "drs", "msrs", "fpu", "events",
	};
	struct vessel_vcpu_state *set = state_alloc(), *got = state_alloc();
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_done);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		uint64_t part = 1ULL << i;

		vcpu_state_get(vcpu, set, VESSEL_STATE_ALL);
		state_change(set, part);
		vcpu_state_set(vcpu, set, part);
		memset(got, 0xcc, sizeof(*got));
		vcpu_state_get(vcpu, got, part);
		TH_LOG("part %s", names[i]);
		state_compare(_metadata, set, got, part);
		/* GET leaves the parts not asked for as they were. */
		EXPECT_EQ(0xcccccccccccccccc, part == VESSEL_STATE_GPRS ?
			  got->crs.cr0 : got->gprs.rip);
	}
	vm_free(vm);
	free(set);
	free(got);
}

/* ----------------------------------------- set state, the guest checks it */

struct reg_check {
	uint64_t gprs[VESSEL_NR_GPRS];
	uint64_t rflags;
	uint64_t xmm[16][2];
};

/* Filled by check_entry (guest; global for its asm) and by the host. */
struct reg_check seen;
static struct reg_check expected;
static uint64_t expected_dr[6], expected_msr[VESSEL_NR_MSRS], expected_cr8,
		expected_xcr0;

/*
 * The guest's entry point: store every register before any code can
 * change one, then let check_guest() compare.
 */
static void __attribute__((naked)) check_entry(void)
{
	asm("mov %rax, seen + 0(%rip)\n\t"
	    "mov %rcx, seen + 8(%rip)\n\t"
	    "mov %rdx, seen + 16(%rip)\n\t"
	    "mov %rbx, seen + 24(%rip)\n\t"
	    "mov %rsp, seen + 32(%rip)\n\t"
	    "mov %rbp, seen + 40(%rip)\n\t"
	    "mov %rsi, seen + 48(%rip)\n\t"
	    "mov %rdi, seen + 56(%rip)\n\t"
	    "mov %r8, seen + 64(%rip)\n\t"
	    "mov %r9, seen + 72(%rip)\n\t"
	    "mov %r10, seen + 80(%rip)\n\t"
	    "mov %r11, seen + 88(%rip)\n\t"
	    "mov %r12, seen + 96(%rip)\n\t"
	    "mov %r13, seen + 104(%rip)\n\t"
	    "mov %r14, seen + 112(%rip)\n\t"
	    "mov %r15, seen + 120(%rip)\n\t"
	    "pushfq\n\t"
	    "popq seen + 128(%rip)\n\t"
	    ".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
	    "movdqu %xmm\\n, seen + 136 + 16 * \\n(%rip)\n\t"
	    ".endr\n\t"
	    "call check_guest\n\t"
	    "hlt");
}

#define DEFINE_GET_DR(n)						\
static inline uint64_t get_dr##n(void)					\
{									\
	uint64_t v;							\
	asm volatile("mov %%dr" #n ", %0" : "=r"(v));			\
	return v;							\
}
DEFINE_GET_DR(0)
DEFINE_GET_DR(1)
DEFINE_GET_DR(2)
DEFINE_GET_DR(3)
DEFINE_GET_DR(6)
DEFINE_GET_DR(7)

static const uint32_t msr_index[VESSEL_NR_MSRS] = {
	[VESSEL_MSR_SYSENTER_CS] = MSR_IA32_SYSENTER_CS,
	[VESSEL_MSR_SYSENTER_ESP] = MSR_IA32_SYSENTER_ESP,
	[VESSEL_MSR_SYSENTER_EIP] = MSR_IA32_SYSENTER_EIP,
	[VESSEL_MSR_STAR] = MSR_STAR,
	[VESSEL_MSR_LSTAR] = MSR_LSTAR,
	[VESSEL_MSR_CSTAR] = MSR_CSTAR,
	[VESSEL_MSR_SFMASK] = MSR_SFMASK,
	[VESSEL_MSR_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
	[VESSEL_MSR_PAT] = MSR_IA32_PAT,
	[VESSEL_MSR_TSC] = MSR_IA32_TSC,
	[VESSEL_MSR_TSC_AUX] = MSR_TSC_AUX,
	[VESSEL_MSR_TSC_ADJUST] = MSR_IA32_TSC_ADJUST,
};

/* Guest, called from check_entry. */
void check_guest(void)
{
	unsigned int i;

	for (i = 0; i < VESSEL_NR_GPRS; i++)
		GUEST_ASSERT_EQ(seen.gprs[i], expected.gprs[i]);
	GUEST_ASSERT_EQ(seen.rflags, expected.rflags);
	for (i = 0; i < 16; i++) {
		GUEST_ASSERT_EQ(seen.xmm[i][0], expected.xmm[i][0]);
		GUEST_ASSERT_EQ(seen.xmm[i][1], expected.xmm[i][1]);
	}
	GUEST_ASSERT_EQ(get_dr0(), expected_dr[0]);
	GUEST_ASSERT_EQ(get_dr1(), expected_dr[1]);
	GUEST_ASSERT_EQ(get_dr2(), expected_dr[2]);
	GUEST_ASSERT_EQ(get_dr3(), expected_dr[3]);
	GUEST_ASSERT_EQ(get_dr6(), expected_dr[4]);
	GUEST_ASSERT_EQ(get_dr7(), expected_dr[5]);
	for (i = 0; i < VESSEL_NR_MSRS; i++) {
		if (i == VESSEL_MSR_MISC_ENABLE)
			continue;
		/* Only where CPUID offers it (with the host's). */
		if (i == VESSEL_MSR_TSC_ADJUST &&
		    !(cpuid_ebx(7) & CPUID_7_EBX_TSC_ADJUST))
			continue;
		if (i == VESSEL_MSR_TSC)
			GUEST_ASSERT(rdmsr(msr_index[i]) >= expected_msr[i]);
		else
			GUEST_ASSERT_EQ(rdmsr(msr_index[i]), expected_msr[i]);
	}
	GUEST_ASSERT_EQ(get_cr8(), expected_cr8);
	if (get_cr4() & X86_CR4_OSXSAVE)
		GUEST_ASSERT_EQ(xgetbv(0), expected_xcr0);
	GUEST_DONE();
}

TEST(set_state_is_what_the_guest_sees)
{
	struct vessel_vcpu_state *s = state_alloc();
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, check_entry);
	unsigned int i;

	vcpu_state_get(vcpu, s, VESSEL_STATE_ALL);
	for (i = 0; i < VESSEL_NR_GPRS; i++)
		s->gprs.regs[i] = 0x1111111111111111ULL * (i + 1) + i;
	/* A stack in this vCPU's stack area, 16-aligned as after a call. */
	s->gprs.regs[VESSEL_GPR_RSP] = GUEST_STACKS_GPA + 0x8000;
	s->gprs.rip = (uintptr_t)check_entry;
	s->gprs.rflags = X86_RFLAGS_FIXED | 0x8d5;
	for (i = 0; i < 16 * 16; i++)
		s->fpu.xsave[XSAVE_XMM(0) + i] = 0x80 + i;
	s->fpu.xsave[XSAVE_XSTATE_BV] |= XFEATURE_X87 | XFEATURE_SSE;
	for (i = 0; i < 4; i++)
		s->drs.dr[i] = 0x2000 * (i + 1) + 0x10;
	s->drs.dr6 = 0xffff0ff0;
	s->drs.dr7 = 0x400;
	state_change(s, VESSEL_STATE_MSRS);
	s->crs.cr8 = 7;

	memcpy(expected.gprs, s->gprs.regs, sizeof(expected.gprs));
	expected.rflags = s->gprs.rflags;
	memcpy(expected.xmm, &s->fpu.xsave[XSAVE_XMM(0)], sizeof(expected.xmm));
	memcpy(expected_dr, s->drs.dr, sizeof(s->drs.dr));
	expected_dr[4] = s->drs.dr6;
	expected_dr[5] = s->drs.dr7;
	memcpy(expected_msr, s->msrs, sizeof(expected_msr));
	expected_cr8 = s->crs.cr8;
	expected_xcr0 = s->crs.xcr0;
	sync_global_to_guest(vm, expected);
	sync_global_to_guest(vm, expected_dr);
	sync_global_to_guest(vm, expected_msr);
	sync_global_to_guest(vm, expected_cr8);
	sync_global_to_guest(vm, expected_xcr0);

	vcpu_state_set(vcpu, s, VESSEL_STATE_ALL);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	free(s);
}

/* ------------------------------------ save, destroy, recreate, reload */

static uint64_t stage_counter;

static void guest_stages(void)
{
	uint64_t xmm = 0;

	GUEST_SYNC(1);
	wrmsr(MSR_IA32_SYSENTER_ESP, 0xffff800000abc000ULL);
	set_cr8(3);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_SYSENTER_ESP), 0xffff800000abc000ULL);
	GUEST_ASSERT_EQ(get_cr8(), 3);
	set_cr8(0);
	asm volatile("movq %0, %%xmm15" : : "r"(0x1234567887654321ULL));
	GUEST_SYNC(3);
	asm volatile("movq %%xmm15, %0" : "=r"(xmm));
	GUEST_ASSERT_EQ(xmm, 0x1234567887654321ULL);
	asm volatile("mov %0, %%dr0" : : "r"(0x4000ULL));
	stage_counter = 41;
	GUEST_SYNC(4);
	GUEST_ASSERT_EQ(get_dr0(), 0x4000);
	GUEST_ASSERT_EQ(++stage_counter, 42);
	GUEST_DONE();
}

/*
 * Save everything, destroy the VM, make a new one over the same memory and
 * load it.  RUN with immediate_exit first, so an I/O instruction still in
 * flight (the ucall's OUT) is completed before the state is read.
 */
static struct vcpu *save_restore(struct __test_metadata *_metadata,
				 struct vm *vm, struct vcpu *vcpu)
{
	struct vessel_vcpu_state *saved = state_alloc(), *now = state_alloc();
	unsigned int i;

	vcpu->run->immediate_exit = 1;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	vcpu->run->immediate_exit = 0;

	vcpu_state_get(vcpu, saved, VESSEL_STATE_ALL);
	vm_restart(vm);
	vcpu = vm_vcpu_add_raw(vm, 0);
	vcpu_state_set(vcpu, saved, VESSEL_STATE_ALL);
	vcpu_state_get(vcpu, now, VESSEL_STATE_ALL);
	for (i = 0; i < 7; i++)
		state_compare(_metadata, saved, now, 1ULL << i);
	free(saved);
	free(now);
	return vcpu;
}

TEST(save_destroy_restore_every_stage)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_stages);
	struct ucall uc;
	uint64_t stage;

	for (stage = 1;; stage++) {
		if (vcpu_run_ucall(vcpu, &uc) == UCALL_DONE)
			break;
		ASSERT_EQ(stage, uc.args[0]);
		vcpu = save_restore(_metadata, vm, vcpu);
	}
	EXPECT_EQ(5, stage);
	EXPECT_EQ(42, guest_global(vm, stage_counter));
	vm_free(vm);
}

/* ------------------------------------------ pending events get/set */

#define IRQ_VECTOR	0x40

static uint64_t irq_count, irq_seen_vector;

static void irq_handler(struct ex_regs *regs)
{
	WRITE_ONCE(irq_count, irq_count + 1);
	WRITE_ONCE(irq_seen_vector, regs->vector);
}

static void guest_pending_irq(void)
{
	cli();
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);
	sti_nop();
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(irq_seen_vector), IRQ_VECTOR);
	GUEST_DONE();
}

TEST(pending_irq_survives_save_restore)
{
	struct vessel_vcpu_state *s = state_alloc();
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_pending_irq);

	vm_install_exception_handler(vm, IRQ_VECTOR, irq_handler);
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_inject(vcpu, VESSEL_EVENT_IRQ, IRQ_VECTOR, 0, 0, 0);
	vcpu_state_get(vcpu, s, VESSEL_STATE_EVENTS);
	EXPECT_TRUE(s->events.flags & VESSEL_EV_IRQ_PENDING);
	EXPECT_EQ(IRQ_VECTOR, s->events.irq_vector);
	vcpu = save_restore(_metadata, vm, vcpu);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	free(s);
}

TEST_HARNESS_MAIN
