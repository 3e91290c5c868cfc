// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (VESSEL_VM_LAPIC) on one vCPU: registers in
 * xAPIC and x2APIC mode and their #GP cases, priorities (IRR, ISR, PPR,
 * TPR/CR8), the software-disabled APIC, the timer in its three modes,
 * in-kernel HLT, a relocated APIC base, MSIs and level-triggered EOIs,
 * LAPIC state save/restore with a running timer, and the ioctls' errnos.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "flags.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#ifndef APIC_DM_EXTINT
#define APIC_DM_EXTINT		0x700
#endif

static uint64_t tsc_hz;

static struct vm *lapic_vm(struct vcpu **vcpu, void *guest_code)
{
	struct vessel_lapic_info info = { 0 };
	struct vm *vm;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_with_one_vcpu(vcpu, guest_code);
	vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info);
	tsc_hz = info.tsc_hz;
	return vm;
}

static uint64_t ns_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* What the guest's handlers saw. */
static uint64_t irq_count, irq_vec, irq_tsc, irq_ppr, irq_isr;
static uint64_t order[8], nr_order;

static void xapic_irq_handler(struct ex_regs *regs)
{
	WRITE_ONCE(irq_vec, regs->vector);
	WRITE_ONCE(irq_ppr, xapic_read(APIC_PROCPRI));
	WRITE_ONCE(irq_isr, xapic_vec_set(APIC_ISR, regs->vector));
	if (nr_order < 8)
		WRITE_ONCE(order[nr_order++], regs->vector);
	WRITE_ONCE(irq_count, irq_count + 1);
	xapic_write(APIC_EOI, 0);
}

static void x2apic_irq_handler(struct ex_regs *regs)
{
	if (!irq_tsc)
		WRITE_ONCE(irq_tsc, rdtsc());
	WRITE_ONCE(irq_vec, regs->vector);
	WRITE_ONCE(irq_count, irq_count + 1);
	x2apic_write(APIC_EOI, 0);
}

/* ------------------------------------------------------------ registers */

static void guest_xapic_regs(void)
{
	uint64_t base = rdmsr(MSR_IA32_APICBASE);
	uint32_t a, b, c, d;

	GUEST_ASSERT_EQ(base, APIC_DEFAULT_GPA | APICBASE_EN | APICBASE_BSP);
	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(d & (1U << 9));		/* APIC */
	GUEST_ASSERT(c & (1U << 21));		/* x2APIC */
	GUEST_ASSERT(c & (1U << 24));		/* TSC deadline */
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), APIC_VERSION_VESSEL);
	/* Power-up state (SDM 11.4.7.1). */
	GUEST_ASSERT_EQ(xapic_read(APIC_SPIV), 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_MASKED);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTERR), APIC_LVT_MASKED);

	/* TPR: 8 bits; CR8 is its upper nibble both ways; PPR follows. */
	xapic_write(APIC_TASKPRI, 0x1ff);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0xff);
	GUEST_ASSERT_EQ(get_cr8(), 0xf);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0xff);
	set_cr8(3);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x30);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0x30);
	set_cr8(0);

	xapic_write(APIC_LDR, 0x12345678);
	GUEST_ASSERT_EQ(xapic_read(APIC_LDR), 0x12000000);
	xapic_write(APIC_DFR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_DFR), 0x0fffffff);
	xapic_write(APIC_DFR, 0xffffffff);
	xapic_write(APIC_ID, 0x05123456);
	GUEST_ASSERT_EQ(xapic_read(APIC_ID), 0x05000000);
	xapic_write(APIC_ID, 0);

	/* Software disabled: LVTs stay masked, fixed IPIs are not taken. */
	xapic_write(APIC_LVT0, 0x30);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), APIC_LVT_MASKED | 0x30);
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x40);
	GUEST_ASSERT_EQ(xapic_vec_set(APIC_IRR, 0x40), 0);
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	xapic_write(APIC_LVT0, 0x30);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), 0x30);
	/* Reserved timer mode 3 keeps the old mode; reserved bits read 0. */
	xapic_write(APIC_LVTT, 0xffffffff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVTT), APIC_LVT_MASKED | 0xff);
	xapic_write(APIC_TDCR, 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_TDCR), 0xb);

	/* A send of an illegal vector sets ESR bit 5 on the next ESR write. */
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x05);
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0x20);
	xapic_write(APIC_ESR, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_ESR), 0);

	/* Global disable hides the APIC in CPUID; enabling again resets it. */
	wrmsr(MSR_IA32_APICBASE, base & ~APICBASE_EN);
	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(!(d & (1U << 9)));
	wrmsr(MSR_IA32_APICBASE, base);
	GUEST_ASSERT_EQ(xapic_read(APIC_SPIV), 0xff);
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), APIC_LVT_MASKED);
	GUEST_DONE();
}

TEST(xapic_registers)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_xapic_regs);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * TEST and CMP on the APIC page, emulated in the kernel: the flags must be
 * the ones the same instruction gives on RAM holding the register's value.
 */
static void guest_xapic_test_cmp(void)
{
	uint8_t *lvr = (uint8_t *)(uintptr_t)(APIC_DEFAULT_GPA + APIC_LVR);
	uint64_t ram = xapic_read(APIC_LVR), f;

	f = GUEST_STATUS_FLAGS("testl $0x800000ff, (%[p])", [p] "r"(lvr));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("testl $0x800000ff, %[m]",
					      [m] "m"(ram)));
	GUEST_ASSERT(!(f & X86_EFLAGS_ZF));
	f = GUEST_STATUS_FLAGS("cmpl %k[v], (%[p])", [p] "r"(lvr), [v] "r"(ram));
	GUEST_ASSERT_EQ(f, X86_EFLAGS_ZF | X86_EFLAGS_PF);
	/* A byte of the register, against a larger immediate: a borrow. */
	f = GUEST_STATUS_FLAGS("cmpb $0xf0, (%[p])", [p] "r"(lvr));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("cmpb $0xf0, %[m]",
					      [m] "m"(ram)));
	GUEST_ASSERT(f & X86_EFLAGS_CF);
	/* The register is the destination: CMP leaves it alone. */
	ram = 0x1234;
	f = GUEST_STATUS_FLAGS("cmp (%[p]), %k[r]", [p] "r"(lvr), [r] "r"(ram));
	GUEST_ASSERT_EQ(ram, 0x1234);
	GUEST_DONE();
}

TEST(xapic_test_cmp)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_xapic_test_cmp);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * Read-modify-write on the APIC page, as OSes enable the APIC and unmask
 * an LVT, and XCHG: one register read and one write, in the kernel; and
 * STOS, a write.
 */
static void guest_xapic_rmw(void)
{
	uint8_t *apic = (uint8_t *)(uintptr_t)APIC_DEFAULT_GPA;
	uint64_t f, r;

	GUEST_ASSERT_EQ(xapic_read(APIC_SPIV), 0xff);
	f = GUEST_STATUS_FLAGS("orl %[v], %c[o](%[p])", [p] "r"(apic),
			       [o] "i"(APIC_SPIV), [v] "i"(APIC_SW_ENABLE));
	GUEST_ASSERT_EQ(xapic_read(APIC_SPIV), APIC_SW_ENABLE | 0xff);
	GUEST_ASSERT_EQ(f, X86_EFLAGS_PF);

	xapic_write(APIC_LVT0, APIC_LVT_MASKED | 0x31);
	f = GUEST_STATUS_FLAGS("lock andl %[v], %c[o](%[p])", [p] "r"(apic),
			       [o] "i"(APIC_LVT0), [v] "i"(~APIC_LVT_MASKED));
	GUEST_ASSERT_EQ(xapic_read(APIC_LVT0), 0x31);
	GUEST_ASSERT_EQ(f, 0);

	/* A register destination: the register takes the result. */
	r = 0x100;
	asm volatile("add %c[o](%[p]), %k[r]" : [r] "+r"(r)
		     : [p] "r"(apic), [o] "i"(APIC_LVT0) : "cc", "memory");
	GUEST_ASSERT_EQ(r, 0x131);

	/* XCHG: the old TPR to the register, the register to TPR. */
	r = 0x20;
	asm volatile("xchg %k[r], %c[o](%[p])" : [r] "+r"(r)
		     : [p] "r"(apic), [o] "i"(APIC_TASKPRI) : "memory");
	GUEST_ASSERT_EQ(r, 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x20);

	/* STOS: the register written, RDI stepped past it. */
	r = (uint64_t)apic + APIC_TASKPRI;
	asm volatile("stosl" : "+D"(r) : "a"(0x30) : "memory");
	GUEST_ASSERT_EQ(r, (uint64_t)apic + APIC_TASKPRI + 4);
	GUEST_ASSERT_EQ(xapic_read(APIC_TASKPRI), 0x30);
	xapic_write(APIC_TASKPRI, 0);
	GUEST_DONE();
}

TEST(xapic_read_modify_write)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_xapic_rmw);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

#define GP(x)	GUEST_ASSERT_EQ(x, GP_VECTOR)
#define OK(x)	GUEST_ASSERT_EQ(x, 0)

static void guest_x2apic_gp(void)
{
	static const uint32_t read_only[] = {
		APIC_ID, APIC_LVR, APIC_PROCPRI, APIC_LDR, APIC_ISR, APIC_TMR,
		APIC_IRR, APIC_TMCCT,
	};
	static const uint32_t absent[] = {
		0x40, APIC_DFR, 0x90, 0xc0, APIC_ICR2, 0x2f0, 0x3a0, 0xff0,
	};
	uint64_t base = rdmsr(MSR_IA32_APICBASE), v;
	unsigned int i;

	/* x2APIC MSRs in xAPIC mode. */
	GP(rdmsr_safe(X2APIC_MSR(APIC_ID), &v));
	GP(wrmsr_safe(X2APIC_MSR(APIC_TASKPRI), 0));
	/* Invalid IA32_APIC_BASE values and transitions (SDM 11.12.5). */
	GP(wrmsr_safe(MSR_IA32_APICBASE, base | (1ULL << 9)));
	GP(wrmsr_safe(MSR_IA32_APICBASE, base | (1ULL << 63)));
	GP(wrmsr_safe(MSR_IA32_APICBASE, (base & ~APICBASE_EN) | APICBASE_EXTD));
	OK(wrmsr_safe(MSR_IA32_APICBASE, base & ~APICBASE_EN));
	GP(wrmsr_safe(MSR_IA32_APICBASE, base | APICBASE_EXTD));
	OK(wrmsr_safe(MSR_IA32_APICBASE, base));
	OK(wrmsr_safe(MSR_IA32_APICBASE, base | APICBASE_EXTD));

	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), 0);
	GUEST_ASSERT_EQ(x2apic_read(APIC_LDR), 1);	/* cluster 0, bit 0 */
	GUEST_ASSERT_EQ(x2apic_read(APIC_LVR), APIC_VERSION_VESSEL);
	for (i = 0; i < ARRAY_SIZE(read_only); i++)
		GP(wrmsr_safe(X2APIC_MSR(read_only[i]), 0));
	for (i = 0; i < ARRAY_SIZE(absent); i++) {
		GP(rdmsr_safe(X2APIC_MSR(absent[i]), &v));
		GP(wrmsr_safe(X2APIC_MSR(absent[i]), 0));
	}
	/* Write-only. */
	GP(rdmsr_safe(X2APIC_MSR(APIC_EOI), &v));
	GP(rdmsr_safe(X2APIC_MSR(APIC_SELF_IPI), &v));
	/* Reserved bits. */
	GP(wrmsr_safe(X2APIC_MSR(APIC_TASKPRI), 0x100));
	GP(wrmsr_safe(X2APIC_MSR(APIC_TASKPRI), 1ULL << 32));
	GP(wrmsr_safe(X2APIC_MSR(APIC_EOI), 1));
	GP(wrmsr_safe(X2APIC_MSR(APIC_ESR), 1));
	GP(wrmsr_safe(X2APIC_MSR(APIC_SPIV), 1U << 12));
	GP(wrmsr_safe(X2APIC_MSR(APIC_LVTT), 3U << 17));
	GP(wrmsr_safe(X2APIC_MSR(APIC_LVTT), 1U << 12));
	GP(wrmsr_safe(X2APIC_MSR(APIC_TDCR), 4));
	GP(wrmsr_safe(X2APIC_MSR(APIC_SELF_IPI), 0x100));
	GP(wrmsr_safe(X2APIC_MSR(APIC_ICR), 1U << 13));
	GP(wrmsr_safe(X2APIC_MSR(APIC_ICR), 1U << 12));
	/* And the same registers written correctly. */
	OK(wrmsr_safe(X2APIC_MSR(APIC_TASKPRI), 0x20));
	GUEST_ASSERT_EQ(x2apic_read(APIC_TASKPRI), 0x20);
	GUEST_ASSERT_EQ(get_cr8(), 2);
	OK(wrmsr_safe(X2APIC_MSR(APIC_TASKPRI), 0));
	OK(wrmsr_safe(X2APIC_MSR(APIC_EOI), 0));
	OK(wrmsr_safe(X2APIC_MSR(APIC_ESR), 0));
	OK(wrmsr_safe(X2APIC_MSR(APIC_TDCR), 0xb));
	OK(rdmsr_safe(X2APIC_MSR(APIC_ICR), &v));

	/* x2APIC -> xAPIC is invalid; through disabled it is fine. */
	GP(wrmsr_safe(MSR_IA32_APICBASE, base));
	OK(wrmsr_safe(MSR_IA32_APICBASE, base & ~(APICBASE_EN | APICBASE_EXTD)));
	OK(wrmsr_safe(MSR_IA32_APICBASE, base));
	GP(rdmsr_safe(X2APIC_MSR(APIC_ID), &v));
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), APIC_VERSION_VESSEL);
	GUEST_DONE();
}

TEST(x2apic_gp)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_x2apic_gp);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ----------------------------------------------------------- priorities */

static void guest_priority(void)
{
	cli();
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x41);
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x62);
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x55);
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x63);
	GUEST_ASSERT(xapic_vec_set(APIC_IRR, 0x41) && xapic_vec_set(APIC_IRR, 0x62) &&
		     xapic_vec_set(APIC_IRR, 0x55) && xapic_vec_set(APIC_IRR, 0x63));
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0);
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);

	/* TPR class 6 holds back classes 6 and below. */
	set_cr8(6);
	sti_nop();
	asm volatile("nop; nop");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);
	/* Lowering CR8 below the pending class delivers it at once. */
	set_cr8(5);
	asm volatile("nop");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 2);
	GUEST_ASSERT_EQ(READ_ONCE(order[0]), 0x63);
	GUEST_ASSERT_EQ(READ_ONCE(order[1]), 0x62);
	/* In the handler: ISR bit set and PPR = the vector's class. */
	GUEST_ASSERT_EQ(READ_ONCE(irq_isr), 1);
	GUEST_ASSERT_EQ(READ_ONCE(irq_ppr), 0x60);
	set_cr8(0);
	asm volatile("nop");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 4);
	GUEST_ASSERT_EQ(READ_ONCE(order[2]), 0x55);
	GUEST_ASSERT_EQ(READ_ONCE(order[3]), 0x41);
	GUEST_ASSERT_EQ(xapic_read(APIC_ISR + 0x20), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_IRR + 0x20), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0);

	/* IF=0: IRR waits; ISR nests by priority only with IF=1. */
	cli();
	xapic_write(APIC_TASKPRI, 0x70);
	xapic_write(APIC_ICR, APIC_DEST_SELF | 0x71);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0x70);
	xapic_write(APIC_TASKPRI, 0);
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 4);
	sti_nop();
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 5);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x71);
	GUEST_DONE();
}

TEST(eoi_isr_irr_ppr_tpr)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_priority);
	int v;

	for (v = 0x41; v <= 0x71; v++)
		vm_install_exception_handler(vm, v, xapic_irq_handler);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* What a TPR write costs: CR8 (the TPR shadow: no exit) and xAPIC MMIO. */
static void guest_tpr_cost(void)
{
	uint64_t t0, cr8, mmio;
	int i;

	t0 = rdtsc();
	for (i = 0; i < 1000; i++)
		set_cr8(i & 1);
	cr8 = (rdtsc() - t0) / 1000;
	t0 = rdtsc();
	for (i = 0; i < 1000; i++)
		xapic_write(APIC_TASKPRI, (i & 1) << 4);
	mmio = (rdtsc() - t0) / 1000;
	GUEST_ASSERT_EQ(get_cr8(), 1);
	GUEST_SYNC_ARGS(2, cr8, mmio);
	GUEST_DONE();
}

TEST(tpr_write_cost)
{
	struct vessel_caps caps;
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_tpr_cost);
	struct ucall uc;

	ASSERT_EQ(0, vessel_caps_read(&caps));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("TPR write: CR8 %lu, xAPIC MMIO %lu guest TSC cycles (TPR shadow: %s)",
	       (unsigned long)uc.args[0], (unsigned long)uc.args[1],
	       caps.flags & VESSEL_CAP_TPR_SHADOW ? "yes" : "no");
	/* With the TPR shadow a CR8 write does not exit: cheaper than MMIO. */
	if (caps.flags & VESSEL_CAP_TPR_SHADOW)
		EXPECT_LT(uc.args[0] * 10, uc.args[1]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------- timer */

/* Guest TSC ticks in @ns. */
static uint64_t tsc_of_ns(uint64_t hz, uint64_t ns)
{
	return (uint64_t)((__uint128_t)ns * hz / 1000000000ULL);
}

static void guest_timer(uint64_t hz)
{
	uint64_t t0, n, deadline;

	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APICBASE_EXTD);
	x2apic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);

	/* One-shot, divide by 1: 2 ms. */
	x2apic_write(APIC_TDCR, 0xb);
	x2apic_write(APIC_LVTT, 0x40);
	t0 = rdtsc();
	x2apic_write(APIC_TMICT, 2000000);
	n = x2apic_read(APIC_TMCCT);
	GUEST_ASSERT(n > 0 && n <= 2000000);
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x40);
	GUEST_ASSERT(READ_ONCE(irq_tsc) - t0 >= tsc_of_ns(hz, 2000000));
	GUEST_ASSERT_EQ(x2apic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 1);

	/* Periodic, divide by 2: 1 ms; five periods take at least 5 ms. */
	WRITE_ONCE(irq_count, 0);
	WRITE_ONCE(irq_tsc, 0);
	x2apic_write(APIC_TDCR, 0);
	x2apic_write(APIC_LVTT, APIC_TIMER_PERIODIC | 0x41);
	t0 = rdtsc();
	x2apic_write(APIC_TMICT, 500000);
	while (READ_ONCE(irq_count) < 5)
		asm volatile("cli; sti; hlt" ::: "memory");
	GUEST_ASSERT(rdtsc() - t0 >= tsc_of_ns(hz, 5000000));
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x41);
	x2apic_write(APIC_TMICT, 0);
	n = READ_ONCE(irq_count);
	t0 = rdtsc();
	while (rdtsc() - t0 < tsc_of_ns(hz, 3000000))
		;
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), n);

	/* TSC deadline, 3 ms ahead. */
	WRITE_ONCE(irq_count, 0);
	WRITE_ONCE(irq_tsc, 0);
	x2apic_write(APIC_LVTT, APIC_TIMER_DEADLINE | 0x42);
	deadline = rdtsc() + tsc_of_ns(hz, 3000000);
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), deadline);
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x42);
	GUEST_ASSERT(READ_ONCE(irq_tsc) >= deadline);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);

	/* A deadline in the past fires before the next instruction. */
	WRITE_ONCE(irq_count, 0);
	wrmsr(MSR_IA32_TSC_DEADLINE, 1);
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 1);
	/* The deadline is in guest TSC: moving the TSC past it fires it. */
	WRITE_ONCE(irq_count, 0);
	WRITE_ONCE(irq_tsc, 0);
	deadline = rdtsc() + tsc_of_ns(hz, 10000000000ULL);	/* 10 s */
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	wrmsr(MSR_IA32_TSC, deadline + 1000);
	asm volatile("nop");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 1);
	GUEST_ASSERT(READ_ONCE(irq_tsc) >= deadline);

	/* TMICT is ignored in deadline mode. */
	x2apic_write(APIC_TMICT, 1000);
	GUEST_ASSERT_EQ(x2apic_read(APIC_TMICT), 0);
	GUEST_DONE();
}

TEST(timer_modes)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_timer);

	vm_install_exception_handler(vm, 0x40, x2apic_irq_handler);
	vm_install_exception_handler(vm, 0x41, x2apic_irq_handler);
	vm_install_exception_handler(vm, 0x42, x2apic_irq_handler);
	vcpu_args_set(vcpu, 1, tsc_hz);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* A halted vCPU's thread sleeps: its CPU time stays small. */
static void guest_hlt_timer(void)
{
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	xapic_write(APIC_TDCR, 0xb);
	xapic_write(APIC_LVTT, 0x43);
	GUEST_SYNC(1);
	xapic_write(APIC_TMICT, 300000000);	/* 300 ms */
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x43);
	GUEST_DONE();
}

TEST(hlt_wakes_on_timer)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_hlt_timer);
	uint64_t wall, cpu;

	vm_install_exception_handler(vm, 0x43, xapic_irq_handler);
	vcpu_run_expect_sync(vcpu, 1);
	wall = ns_now(CLOCK_MONOTONIC);
	cpu = ns_now(CLOCK_THREAD_CPUTIME_ID);
	vcpu_run_expect_done(vcpu);
	wall = ns_now(CLOCK_MONOTONIC) - wall;
	cpu = ns_now(CLOCK_THREAD_CPUTIME_ID) - cpu;
	TH_LOG("halted 300 ms timer: %lu us wall, %lu us thread CPU",
	       (unsigned long)(wall / 1000), (unsigned long)(cpu / 1000));
	EXPECT_GE(wall, 300000000ULL);
	EXPECT_LT(cpu * 10, wall);
	vm_free(vm);
}

/* ------------------------------------------------------ relocated base */

#define RELOC_GPA	0xd0000000ULL

static void guest_relocated(void)
{
	uint64_t base = rdmsr(MSR_IA32_APICBASE);

	wrmsr(MSR_IA32_APICBASE, RELOC_GPA | (base & 0xfff));
	GUEST_ASSERT_EQ(READ_ONCE(*(uint32_t *)(RELOC_GPA + APIC_LVR)),
			APIC_VERSION_VESSEL);
	WRITE_ONCE(*(uint32_t *)(RELOC_GPA + APIC_TASKPRI), 0x40);
	GUEST_ASSERT_EQ(get_cr8(), 4);
	/* The old page is no longer the APIC's: userspace sees this read. */
	GUEST_ASSERT_EQ(xapic_read(APIC_LVR), 0x1234);
	GUEST_DONE();
}

TEST(xapic_relocated_base)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_relocated);
	uint32_t data = 0x1234;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(APIC_DEFAULT_GPA + APIC_LVR, vcpu->run->mmio.gpa);
	EXPECT_EQ(0, vcpu->run->mmio.is_write);
	memcpy(vcpu->run->mmio.data, &data, 4);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------- MSI and EOI */

static void guest_msi(void)
{
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	GUEST_SYNC(1);			/* the host signals an edge MSI */
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x51);
	GUEST_ASSERT_EQ(xapic_vec_set(APIC_TMR, 0x51), 0);
	WRITE_ONCE(irq_count, 0);
	GUEST_SYNC(2);			/* a level-triggered one */
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x52);
	GUEST_DONE();
}

TEST(msi_and_level_eoi)
{
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_msi);
	struct vessel_msi msi = { .address = 0xfee00000, .data = 0x51 };

	vm_install_exception_handler(vm, 0x51, xapic_irq_handler);
	vm_install_exception_handler(vm, 0x52, xapic_irq_handler);
	vcpu_run_expect_sync(vcpu, 1);
	EXPECT_EQ(1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	vcpu_run_expect_sync(vcpu, 2);
	/* Destination 1 does not exist: nobody takes it. */
	msi.address = 0xfee01000;
	EXPECT_EQ(0, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	msi.address = 0xfee00000;
	msi.data = 0x52 | (1U << 15) | (1U << 14);
	EXPECT_EQ(1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	/* The handler's EOI of the level-triggered vector reaches us. */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_EOI);
	EXPECT_EQ(0x52, vcpu->run->eoi.vector);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------- ExtINT, LINT0 */

/* An ExtINT handler: the vector is the PIC's, so no EOI to the APIC. */
static void extint_handler(struct ex_regs *regs)
{
	WRITE_ONCE(irq_vec, regs->vector);
	WRITE_ONCE(irq_count, irq_count + 1);
}

static void guest_extint(void)
{
	uint64_t base = rdmsr(MSR_IA32_APICBASE);
	int i;

	/* Virtual-wire mode: LINT0 unmasked, ExtINT. */
	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	xapic_write(APIC_LVT0, APIC_DM_EXTINT);
	GUEST_SYNC(1);			/* the host sends ExtINT 0x30 */
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x30);
	/* Nothing went through IRR or ISR; PPR did not move. */
	GUEST_ASSERT_EQ(xapic_vec_set(APIC_ISR, 0x30), 0);
	GUEST_ASSERT_EQ(xapic_vec_set(APIC_IRR, 0x30), 0);
	GUEST_ASSERT_EQ(xapic_read(APIC_PROCPRI), 0);
	/* Without any EOI, the same vector comes again, past a high TPR. */
	xapic_write(APIC_TASKPRI, 0xf0);
	WRITE_ONCE(irq_count, 0);
	GUEST_SYNC(2);
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x30);
	xapic_write(APIC_TASKPRI, 0);

	/* LINT0 masked: the APIC does not pass ExtINT on. */
	xapic_write(APIC_LVT0, APIC_LVT_MASKED | APIC_DM_EXTINT);
	WRITE_ONCE(irq_count, 0);
	GUEST_SYNC(3);
	asm volatile("sti");
	for (i = 0; i < 1000; i++)
		asm volatile("nop");
	asm volatile("cli");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);
	/* LINT0 fixed mode is not ExtINT either. */
	xapic_write(APIC_LVT0, 0x40);
	GUEST_SYNC(4);
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);

	/* Globally disabled: INTR goes straight to the CPU. */
	wrmsr(MSR_IA32_APICBASE, base & ~APICBASE_EN);
	GUEST_SYNC(5);			/* the host sends ExtINT 0x31 */
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x31);
	/* Held while IF=0, delivered at STI (interrupt window). */
	WRITE_ONCE(irq_count, 0);
	asm volatile("cli");
	GUEST_SYNC(6);
	for (i = 0; i < 1000; i++)
		asm volatile("nop");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 0);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(READ_ONCE(irq_count), 1);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x32);
	wrmsr(MSR_IA32_APICBASE, base);
	GUEST_DONE();
}

TEST(extint_through_lint0)
{
	struct vessel_msi msi = { .address = 0xfee00000,
				  .data = APIC_DM_EXTINT | 0x30 };
	static struct vessel_lapic_state ls, cleared, now;
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_extint);

	vm_install_exception_handler(vm, 0x30, extint_handler);
	vm_install_exception_handler(vm, 0x31, extint_handler);
	vm_install_exception_handler(vm, 0x32, extint_handler);
	vm_install_exception_handler(vm, 0x40, extint_handler);
	vcpu_run_expect_sync(vcpu, 1);
	EXPECT_EQ(1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	vcpu_run_expect_sync(vcpu, 2);
	EXPECT_EQ(1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	vcpu_run_expect_sync(vcpu, 3);
	/* Masked LINT0: nobody takes it. */
	EXPECT_EQ(0, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	vcpu_run_expect_sync(vcpu, 4);
	EXPECT_EQ(0, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	vcpu_run_expect_sync(vcpu, 5);
	msi.data = APIC_DM_EXTINT | 0x31;
	EXPECT_EQ(1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	vcpu_run_expect_sync(vcpu, 6);
	msi.data = APIC_DM_EXTINT | 0x32;
	EXPECT_EQ(1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	/* Latched while IF=0: part of the state, gone without it, back with it. */
	memset(&ls, 0, sizeof(ls));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_GET_LAPIC, &ls));
	EXPECT_EQ(1ULL << 0x32, ls.extint[0]);
	EXPECT_EQ(0, ls.extint[1] | ls.extint[2] | ls.extint[3]);
	cleared = ls;
	cleared.extint[0] = 0;
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_SET_LAPIC, &cleared));
	memset(&now, 0, sizeof(now));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_GET_LAPIC, &now));
	EXPECT_EQ(0, now.extint[0]);
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_SET_LAPIC, &ls));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* -------------------------------------------------------- state round trip */

static void guest_state(void)
{
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APICBASE_EXTD);
	x2apic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	x2apic_write(APIC_TASKPRI, 0x20);
	x2apic_write(APIC_TDCR, 0xb);
	x2apic_write(APIC_LVTT, 0x45);
	x2apic_write(APIC_TMICT, 400000000);	/* 400 ms, one-shot */
	GUEST_SYNC(1);				/* saved, destroyed, restored */
	GUEST_ASSERT_EQ(x2apic_read(APIC_TASKPRI), 0x20);
	GUEST_ASSERT(x2apic_read(APIC_TMCCT) > 0);
	wait_flag_hlt(&irq_count);
	GUEST_ASSERT_EQ(READ_ONCE(irq_vec), 0x45);
	GUEST_DONE();
}

TEST(lapic_state_round_trip_running_timer)
{
	static struct vessel_vcpu_state state;
	struct vessel_lapic_state ls = { 0 }, ls2 = { 0 };
	struct vcpu *vcpu;
	struct vm *vm = lapic_vm(&vcpu, guest_state);

	vm_install_exception_handler(vm, 0x45, x2apic_irq_handler);
	vcpu_run_expect_sync(vcpu, 1);
	/* Complete the ucall's OUT before saving (as state_test does). */
	vcpu->run->immediate_exit = 1;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	vcpu->run->immediate_exit = 0;
	vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &ls);
	EXPECT_EQ(APIC_DEFAULT_GPA | APICBASE_EN | APICBASE_EXTD | APICBASE_BSP,
		  ls.apic_base);
	EXPECT_GT(ls.timer_ns, 0);
	EXPECT_LE(ls.timer_ns, 400000000ULL);
	EXPECT_EQ(0x20, *(uint32_t *)&ls.regs[APIC_TASKPRI]);
	EXPECT_EQ(0x45, *(uint32_t *)&ls.regs[APIC_LVTT]);
	EXPECT_EQ(400000000, *(uint32_t *)&ls.regs[APIC_TMICT]);
	vcpu_state_get(vcpu, &state, VESSEL_STATE_ALL);

	vm_restart(vm);
	vcpu = vm_vcpu_add_raw(vm, 0);
	vcpu_state_set(vcpu, &state, VESSEL_STATE_ALL);
	vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls);
	vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &ls2);
	EXPECT_EQ(ls.apic_base, ls2.apic_base);
	EXPECT_GT(ls2.timer_ns, 0);
	EXPECT_LE(ls2.timer_ns, ls.timer_ns);
	/* Every register but the current count, which runs on. */
	*(uint32_t *)&ls2.regs[APIC_TMCCT] = *(uint32_t *)&ls.regs[APIC_TMCCT];
	EXPECT_EQ(0, memcmp(ls.regs, ls2.regs, sizeof(ls.regs)));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------- ABI */

TEST(lapic_ioctl_errors)
{
	struct vessel_lapic_info info = { 0 };
	struct vessel_lapic_state ls = { 0 };
	struct vessel_mp_state mp = { 0 };
	struct vessel_msi msi = { .address = 0xfee00000, .data = 0x40 };
	struct vcpu *vcpu, *ap;
	struct vm *vm;

	/* A VM without the in-kernel APIC. */
	vm_create_flags = 0;
	vm = vm_create_with_one_vcpu(&vcpu, guest_msi);
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &ls));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_GET_MP_STATE, &mp));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_MP_STATE, &mp));
	EXPECT_EQ(ENXIO, errno);
	vm_free(vm);

	vm = lapic_vm(&vcpu, guest_msi);
	ASSERT_EQ(0, __vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info));
	EXPECT_EQ(1000000000ULL, info.timer_hz);
	EXPECT_GT(info.tsc_hz, 0);
	info.flags = 1;
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_GET_LAPIC_INFO, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* MSI: address, data, flags, reserved, modes, vectors. */
	msi.address = 0xfed00000;
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.address = 0x1fee00000ULL;
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.address = 0xfee00000;
	msi.data = 0x10040;
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.data = 0x240;	/* SMI */
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.data = 0x340;	/* remote read */
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.data = 0x0f;	/* fixed vector below 16 */
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.data = 0x40;
	msi.flags = 1;
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.flags = 0;
	msi.reserved[1] = 1;
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, __vm_ioctl(vm, VESSEL_SIGNAL_MSI, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* LAPIC state. */
	ASSERT_EQ(0, __vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &ls));
	EXPECT_EQ(APIC_DEFAULT_GPA | APICBASE_EN | APICBASE_BSP, ls.apic_base);
	EXPECT_EQ(APIC_VERSION_VESSEL, *(uint32_t *)&ls.regs[APIC_LVR]);
	ls.flags = 1;
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_GET_LAPIC, &ls));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls));
	EXPECT_EQ(EINVAL, errno);
	ls.flags = 0;
	ls.reserved[7] = 1;
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls));
	EXPECT_EQ(EINVAL, errno);
	ls.reserved[7] = 0;
	ls.apic_base = APIC_DEFAULT_GPA | APICBASE_EXTD;	/* EXTD without EN */
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls));
	EXPECT_EQ(EINVAL, errno);
	ls.apic_base = APIC_DEFAULT_GPA | APICBASE_EN | 1;	/* reserved bit */
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, &ls));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_LAPIC, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* MP state: the BSP runs, a new AP waits for a SIPI. */
	ASSERT_EQ(0, __vcpu_ioctl(vcpu, VESSEL_GET_MP_STATE, &mp));
	EXPECT_EQ(VESSEL_MP_STATE_RUNNABLE, mp.mp_state);
	ap = vm_vcpu_add_raw(vm, 1);
	ASSERT_EQ(0, __vcpu_ioctl(ap, VESSEL_GET_MP_STATE, &mp));
	EXPECT_EQ(VESSEL_MP_STATE_WAIT_SIPI, mp.mp_state);
	mp.mp_state = 3;
	EXPECT_EQ(-1, __vcpu_ioctl(ap, VESSEL_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	mp.mp_state = VESSEL_MP_STATE_HALTED;
	mp.flags = 1;
	EXPECT_EQ(-1, __vcpu_ioctl(ap, VESSEL_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	mp.flags = 0;
	mp.reserved[2] = 1;
	EXPECT_EQ(-1, __vcpu_ioctl(ap, VESSEL_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	mp.reserved[2] = 0;
	EXPECT_EQ(0, __vcpu_ioctl(ap, VESSEL_SET_MP_STATE, &mp));
	ASSERT_EQ(0, __vcpu_ioctl(ap, VESSEL_GET_MP_STATE, &mp));
	EXPECT_EQ(VESSEL_MP_STATE_HALTED, mp.mp_state);
	/* Past the interrupt ioctls' range: none. */
	EXPECT_EQ(-1, __vcpu_ioctl(ap, _IO(VESSEL_IO, 0x2f), 0));
	EXPECT_EQ(ENOTTY, errno);
	vm_free(vm);
}

TEST(create_vm_flags)
{
	struct vessel_vm_create c = { .flags = 2 };
	struct vessel_caps caps;
	int fd = open(VESSEL_DEVICE, O_RDWR);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ioctl(fd, VESSEL_GET_CAPS, &caps));
	EXPECT_TRUE(caps.flags & VESSEL_CAP_LAPIC);
	EXPECT_EQ(-1, ioctl(fd, VESSEL_CREATE_VM, &c));
	EXPECT_EQ(EINVAL, errno);
	c.flags = VESSEL_VM_LAPIC;
	c.reserved0 = 1;
	EXPECT_EQ(-1, ioctl(fd, VESSEL_CREATE_VM, &c));
	EXPECT_EQ(EINVAL, errno);
	c.reserved0 = 0;
	fd = ioctl(fd, VESSEL_CREATE_VM, &c);
	EXPECT_GE(fd, 0);
	close(fd);
}

TEST_HARNESS_MAIN
