// SPDX-License-Identifier: GPL-2.0
/*
 * FPU isolation: the guest's XMM (and YMM, with AVX) registers survive its
 * exits, and the host thread's registers survive VESSEL_RUN.  Both sides
 * hold their values in registers across the exit itself: the guest around
 * a bare OUT, the host around a bare ioctl syscall.
 */
#include <cpuid.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define FPU_PORT	0xf5
#define ROUNDS		3

#define XMM_CLOBBERS	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", \
			"xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", \
			"xmm12", "xmm13", "xmm14", "xmm15"

/* Load or store all 16 registers from/to 32-byte slots at %[buf]. */
#define LOAD_XMM(buf)	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t" \
			"movdqu \\n*32(%[" buf "]), %%xmm\\n\n\t.endr\n\t"
#define STORE_XMM(buf)	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t" \
			"movdqu %%xmm\\n, \\n*32(%[" buf "])\n\t.endr\n\t"
#define LOAD_YMM(buf)	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t" \
			"vmovdqu \\n*32(%[" buf "]), %%ymm\\n\n\t.endr\n\t"
#define STORE_YMM(buf)	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t" \
			"vmovdqu %%ymm\\n, \\n*32(%[" buf "])\n\t.endr\n\t"

static uint8_t guest_set[16 * 32], guest_got[16 * 32];

static bool guest_has_avx(void)
{
	uint32_t ecx = cpuid_ecx(1);

	return (ecx & CPUID_1_ECX_AVX) && (get_cr4() & X86_CR4_OSXSAVE) &&
	       (xgetbv(0) & (XFEATURE_SSE | XFEATURE_AVX)) ==
	       (XFEATURE_SSE | XFEATURE_AVX);
}

static void guest_fpu(void)
{
	bool avx = guest_has_avx();
	unsigned int round, i, len = avx ? 32 : 16;

	GUEST_SYNC(avx);
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < sizeof(guest_set); i++) {
			guest_set[i] = i * 13 + round + 1;
			guest_got[i] = 0;
		}
		if (avx)
			asm volatile(LOAD_YMM("set") "outb %%al, %[port]\n\t"
				     STORE_YMM("got")
				     : : [set] "r"(guest_set), [got] "r"(guest_got),
				       [port] "i"(FPU_PORT)
				     : "rax", "memory", XMM_CLOBBERS);
		else
			asm volatile(LOAD_XMM("set") "outb %%al, %[port]\n\t"
				     STORE_XMM("got")
				     : : [set] "r"(guest_set), [got] "r"(guest_got),
				       [port] "i"(FPU_PORT)
				     : "rax", "memory", XMM_CLOBBERS);
		for (i = 0; i < sizeof(guest_set); i++)
			if (i % 32 < len)
				GUEST_ASSERT_EQ(guest_got[i], guest_set[i]);
	}
	GUEST_DONE();
}

/* One VESSEL_RUN with the host's registers loaded from @set, saved to @got. */
static long run_holding_registers(struct vcpu *vcpu, bool avx, uint8_t *set,
				  uint8_t *got)
{
	long ret;

	if (avx)
		asm volatile(LOAD_YMM("set") "syscall\n\t" STORE_YMM("got")
			     : "=a"(ret)
			     : "a"((long)SYS_ioctl), "D"((long)vcpu->fd),
			       "S"((long)VESSEL_RUN), "d"(0L),
			       [set] "r"(set), [got] "r"(got)
			     : "rcx", "r11", "memory", XMM_CLOBBERS);
	else
		asm volatile(LOAD_XMM("set") "syscall\n\t" STORE_XMM("got")
			     : "=a"(ret)
			     : "a"((long)SYS_ioctl), "D"((long)vcpu->fd),
			       "S"((long)VESSEL_RUN), "d"(0L),
			       [set] "r"(set), [got] "r"(got)
			     : "rcx", "r11", "memory", XMM_CLOBBERS);
	return ret;
}

TEST(guest_and_host_registers_kept_apart)
{
	static uint8_t host_set[16 * 32], host_got[16 * 32];
	bool host_avx = __builtin_cpu_supports("avx");
	unsigned int round, i, len = host_avx ? 32 : 16;
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_fpu);
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	TH_LOG("guest uses %s, host checks %s", uc.args[0] ? "YMM" : "XMM",
	       host_avx ? "YMM" : "XMM");

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < sizeof(host_set); i++) {
			host_set[i] = 0xff - i * 7 - round;
			host_got[i] = 0;
		}
		ASSERT_EQ(0, run_holding_registers(vcpu, host_avx, host_set,
						   host_got));
		TEST_ASSERT_IO_EXIT(vcpu, FPU_PORT, 1, VESSEL_IO_OUT);
		for (i = 0; i < sizeof(host_set); i++)
			if (i % 32 < len)
				ASSERT_EQ(host_set[i], host_got[i])
					TH_LOG("round %u, register %u byte %u",
					       round, i / 32, i % 32);
	}
	/* And once more across the exit that ends the test. */
	ASSERT_EQ(0, run_holding_registers(vcpu, host_avx, host_set, host_got));
	if (get_ucall(vcpu, &uc) == UCALL_ABORT)
		ucall_report(&uc);
	EXPECT_EQ(UCALL_DONE, uc.cmd);
	for (i = 0; i < sizeof(host_set); i++)
		if (i % 32 < len)
			ASSERT_EQ(host_set[i], host_got[i]) TH_LOG("byte %u", i);
	vm_free(vm);
}

/*
 * Preemption inside RUN: the guest holds its XMM registers across 2,000
 * CPUID exits, which the kernel handles without returning to userspace,
 * while another thread on the same CPU keeps loading its own pattern into
 * its XMM registers and yielding.  Each time the vCPU thread is scheduled
 * back in, the kernel must reload the guest's registers before the next
 * entry, or the guest runs on (and reads) the other thread's.
 */
#define PREEMPT_CPUIDS	2000

static uint8_t preempt_set[16 * 32], preempt_got[16 * 32];

static void guest_fpu_preempted(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(preempt_set); i++)
		preempt_set[i] = i * 5 + 3;
	asm volatile(LOAD_XMM("set")
		     "mov %[n], %%r8d\n\t"
		     "1: xor %%eax, %%eax\n\t"
		     "cpuid\n\t"
		     "dec %%r8d\n\t"
		     "jnz 1b\n\t"
		     STORE_XMM("got")
		     : : [set] "r"(preempt_set), [got] "r"(preempt_got),
		       [n] "i"(PREEMPT_CPUIDS)
		     : "rax", "rbx", "rcx", "rdx", "r8", "memory", XMM_CLOBBERS);
	for (i = 0; i < sizeof(preempt_set); i++)
		if (i % 32 < 16)
			GUEST_ASSERT_EQ(preempt_got[i], preempt_set[i]);
	GUEST_DONE();
}

static int noise_stop;

static void *noise_thread(void *arg)
{
	static uint8_t noise[16 * 32];
	unsigned int i;

	for (i = 0; i < sizeof(noise); i++)
		noise[i] = 0xa5;
	while (!READ_ONCE(noise_stop)) {
		asm volatile(LOAD_XMM("set") : : [set] "r"(noise)
			     : XMM_CLOBBERS);
		sched_yield();
	}
	return arg;
}

TEST(guest_registers_survive_preemption)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_fpu_preempted);
	struct vessel_counters c = { 0 };
	pthread_t noise;
	cpu_set_t cpu0;

	/* Both threads on one CPU, so they take turns. */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu0), &cpu0));
	WRITE_ONCE(noise_stop, 0);
	ASSERT_EQ(0, pthread_create(&noise, NULL, noise_thread, NULL));
	vcpu_run_expect_done(vcpu);
	WRITE_ONCE(noise_stop, 1);
	pthread_join(noise, NULL);
	ASSERT_EQ(0, vessel_vcpu_get_counters(&vcpu->v, &c));
	EXPECT_GE(c.vmx_exits[10], PREEMPT_CPUIDS);	/* EXIT_REASON_CPUID */
	vm_free(vm);
}

/*
 * CPUID leaf 0xd describes every state component the guest may enable:
 * subleaf i gives component i's size and offset (what XSAVE in the guest
 * uses: the host CPU's), and subleaf 0's EBX the area size for the
 * components XCR0 enables now. Without the subleaves a guest cannot lay
 * out its XSAVE area (Linux: "x86/fpu: misordered xstate").
 */
#define XSAVE_LEGACY_AND_HEADER	576

static void guest_xsave_layout(void)
{
	uint32_t a, b, c, d, sa, sb, sc, sd, ebx_now, ebx_min = 0;
	uint64_t supported, xcr0 = 0;
	unsigned int i;

	cpuid_count(0xd, 0, &a, &b, &c, &d);
	supported = a | (uint64_t)d << 32;
	for (i = 2; i < 64; i++) {
		if (!(supported & (1ULL << i)))
			continue;
		cpuid_count(0xd, i, &sa, &sb, &sc, &sd);
		GUEST_SYNC_ARGS(4, (uint64_t)i, sa, sb, sc);
	}
	ebx_now = b;
	if (get_cr4() & X86_CR4_OSXSAVE) {
		xcr0 = xgetbv(0);
		GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_SSE), 0);
		cpuid_count(0xd, 0, &a, &ebx_min, &c, &d);
		GUEST_ASSERT_EQ(xsetbv_safe(0, xcr0), 0);
		cpuid_count(0xd, 0, &a, &ebx_now, &c, &d);
	}
	GUEST_SYNC_ARGS(4, (uint64_t)64, xcr0, ebx_now, ebx_min);
	GUEST_DONE();
}

TEST(xsave_layout_in_cpuid)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_xsave_layout);
	uint32_t a, b, c, d, end = XSAVE_LEGACY_AND_HEADER;
	struct ucall uc;
	uint64_t i;

	for (;;) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		i = uc.args[0];
		if (i == 64)
			break;
		/* The host CPU's layout, which the guest's XSAVE writes. */
		__cpuid_count(0xd, i, a, b, c, d);
		EXPECT_EQ(a, uc.args[1]) TH_LOG("component %lu size", (long)i);
		EXPECT_EQ(b, uc.args[2]) TH_LOG("component %lu offset", (long)i);
		EXPECT_NE(0, uc.args[1]);
		EXPECT_GE(uc.args[2], XSAVE_LEGACY_AND_HEADER);
	}
	/* 0xd.0 EBX follows XCR0: the legacy area alone for x87|SSE. */
	if (uc.args[1]) {
		for (i = 2; i < 64; i++) {
			if (!(uc.args[1] & (1ULL << i)))
				continue;
			__cpuid_count(0xd, i, a, b, c, d);
			if (a + b > end)
				end = a + b;
		}
		EXPECT_EQ(XSAVE_LEGACY_AND_HEADER, uc.args[3]);
		EXPECT_EQ(end, uc.args[2]);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
