// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirtual interfaces with two vCPUs on two host CPUs: kvmclock never
 * goes backwards from one vCPU to the other, Hyper-V's remote TLB flush
 * hypercalls kick a vCPU out of the guest and come back, KVM's KICK_CPU
 * and SEND_IPI reach the other vCPU's in-kernel APIC, a KVM PV_TLB_FLUSH
 * request left in a preempted vCPU's steal-time record is honoured before
 * it runs again, and Hyper-V's cluster IPI and HvPostMessage reach the
 * other vCPU (halted) through its APIC and SynIC.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm_para.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "hypercall.h"
#include "pvclock.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define HV_MSR_GUEST_OS_ID	0x40000000
#define HV_MSR_HYPERCALL	0x40000001
#define HVCALL_FLUSH_SPACE	0x0002
#define HVCALL_FLUSH_SPACE_EX	0x0013
#define HC_VARHEAD(n)		((uint64_t)(n) << 17)

static struct pvclock_vcpu_time_info pvti[2] __aligned(64);
static uint32_t clock_lock;
static uint64_t clock_last, clock_done;
static uint8_t hcall_page[4096] __aligned(4096);
static uint64_t hv_in[512] __aligned(4096);

/*
 * Under a lock, so that each reading is taken after the other vCPU's
 * previous one: it must not be smaller.
 */
static void guest_clock(uint64_t id)
{
	uint64_t i, t;

	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&pvti[id] | 1);
	for (i = 0; i < 3000; i++) {
		while (__atomic_exchange_n(&clock_lock, 1, __ATOMIC_ACQUIRE))
			cpu_relax();
		t = pvclock_read(&pvti[id], NULL);
		GUEST_ASSERT(t >= clock_last);
		clock_last = t;
		__atomic_store_n(&clock_lock, 0, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&clock_done, 1, __ATOMIC_RELAXED);
	GUEST_DONE();
}

static void *run_vcpu(void *arg)
{
	vcpu_run_expect_done(arg);
	return NULL;
}

/* The calling thread on host CPU @cpu only; false if there is none. */
static bool pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

static void *run_vcpu_on_cpu1(void *arg)
{
	pin_to(1);
	return run_vcpu(arg);
}

TEST(kvmclock_across_vcpus)
{
	struct vm *vm = vm_create_pv(2, VESSEL_PV_KVM, 0, guest_clock);
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, run_vcpu, vm->vcpus[1]));
	vcpu_run_expect_done(vm->vcpus[0]);
	pthread_join(t, NULL);
	EXPECT_EQ(2, guest_global(vm, clock_done));
	vm_free(vm);
}

static uint64_t hv_hypercall(uint64_t control, uint64_t in)
{
	return hv_hypercall_page(hcall_page, control, in, 0);
}

static uint64_t flush_done, spinner_ready;

/* vCPU 0 flushes everyone's TLB while vCPU 1 spins in the guest. */
static void guest_flush(uint64_t id)
{
	uint64_t i;

	if (id == 1) {
		/*
		 * IF=1: Bochs lets no host interrupt exit a guest with IF=0
		 * (testing.rst), and the flush's IPI is one.  No interrupt
		 * comes to the guest itself: there is no APIC.
		 */
		sti();
		WRITE_ONCE(spinner_ready, 1);
		while (!READ_ONCE(flush_done))
			cpu_relax();
		GUEST_DONE();
	}
	wrmsr(HV_MSR_GUEST_OS_ID, 0x8100000000060100ULL);
	wrmsr(HV_MSR_HYPERCALL, (uint64_t)hcall_page | 1);
	while (!READ_ONCE(spinner_ready))
		cpu_relax();
	for (i = 0; i < 200; i++) {
		hv_in[0] = 0;
		hv_in[1] = 1;		/* all processors */
		hv_in[2] = 0;
		GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE, (uint64_t)hv_in), 0);
		hv_in[1] = 0;
		hv_in[2] = 0;		/* sparse ... */
		hv_in[3] = 1;		/* ... bank 0 ... */
		hv_in[4] = 2;		/* ... VP 1 */
		GUEST_ASSERT_EQ(hv_hypercall(HVCALL_FLUSH_SPACE_EX | HC_VARHEAD(1),
					     (uint64_t)hv_in), 0);
	}
	WRITE_ONCE(flush_done, 1);
	GUEST_DONE();
}

TEST(hyperv_remote_flush)
{
	struct vm *vm = vm_create_pv(2, VESSEL_PV_HYPERV, 0, guest_flush);
	struct vessel_counters c = { 0 };
	bool two = pin_to(0);
	pthread_t t;

	/* The spinner on the other CPU, in the guest while we flush. */
	ASSERT_EQ(0, pthread_create(&t, NULL, run_vcpu_on_cpu1, vm->vcpus[1]));
	vcpu_run_expect_done(vm->vcpus[0]);
	pthread_join(t, NULL);
	ASSERT_EQ(0, ioctl(vm->vcpus[1]->fd, VESSEL_GET_COUNTERS, &c));
	TH_LOG("vCPU 1: %llu entries, %llu external-interrupt exits",
	       (unsigned long long)c.entries,
	       (unsigned long long)c.vmx_exits[1]);
	/* Kicked out of the guest for the flushes (the IPI is an exit). */
	if (two && sysconf(_SC_NPROCESSORS_ONLN) > 1)
		EXPECT_LE(1, c.vmx_exits[1]);
	vm_free(vm);
}

/* ------------------------------------------ KVM: KICK_CPU, SEND_IPI */

/* How long vCPU 0 lets vCPU 1 sleep before the kick (guest TSC). */
#define KICK_AFTER	5000000ULL

static uint64_t kk_stage, kk_kick_tsc, kk_halt_tsc[2], kk_stop;
static uint64_t kk_cnt[2][256], kk_nmis[2];

static void kk_handler(struct ex_regs *regs)
{
	uint64_t id = guest_cpu()->id;

	WRITE_ONCE(kk_cnt[id][regs->vector], kk_cnt[id][regs->vector] + 1);
	xapic_write(APIC_EOI, 0);
}

static void kk_nmi(struct ex_regs *regs)
{
	uint64_t id = guest_cpu()->id;

	WRITE_ONCE(kk_nmis[id], kk_nmis[id] + 1);
}

static void kk_wait(uint64_t *p, uint64_t val)
{
	while (READ_ONCE(*p) < val)
		cpu_relax();
}

/* vCPU 1: halts as Linux's kvm_wait() does (IF=0), to be kicked. */
static void guest_kick_target(void)
{
	WRITE_ONCE(kk_stage, 1);
	kk_halt_tsc[0] = rdtsc();
	/* With IF=0 nothing but a kick (or an NMI: none) ends this. */
	asm volatile("cli; hlt" ::: "memory");
	kk_halt_tsc[1] = rdtsc();
	sti();
	WRITE_ONCE(kk_stage, 2);

	/* Kicked while running: the next HLT returns at once. */
	kk_wait(&kk_stage, 3);
	asm volatile("cli; hlt; sti" ::: "memory");
	WRITE_ONCE(kk_stage, 4);

	/* Now a target of vCPU 0's SEND_IPIs. */
	kk_wait(&kk_stop, 1);
	GUEST_ASSERT_EQ(READ_ONCE(kk_cnt[1][0x60]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(kk_cnt[1][0x61]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(kk_cnt[1][0x62]), 1);
	GUEST_ASSERT_EQ(READ_ONCE(kk_cnt[1][0x63]), 0);
	GUEST_ASSERT_EQ(READ_ONCE(kk_nmis[1]), 1);
	GUEST_DONE();
}

static void guest_kick_send_ipi(uint64_t id)
{
	uint64_t t0;

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	/* IF=1 while spinning: Bochs needs it to exit for host IPIs. */
	sti();
	if (id == 1)
		guest_kick_target();

	kk_wait(&kk_stage, 1);
	t0 = rdtsc();
	while (rdtsc() - t0 < KICK_AFTER)
		cpu_relax();
	/* Yielding to a halted vCPU: nothing to do, still 0. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SCHED_YIELD, 1, 0, 0, 0), 0);
	WRITE_ONCE(kk_kick_tsc, rdtsc());
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_KICK_CPU, 0, 1, 0, 0), 0);
	kk_wait(&kk_stage, 2);
	/* It slept until the kick, not less. */
	GUEST_ASSERT(kk_halt_tsc[1] - kk_halt_tsc[0] >= KICK_AFTER);
	GUEST_ASSERT(kk_halt_tsc[1] >= kk_kick_tsc);

	/* vCPU 1 spins now: the kick stays pending. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_KICK_CPU, 0, 1, 0, 0), 0);
	WRITE_ONCE(kk_stage, 3);
	kk_wait(&kk_stage, 4);

	/* Both, one, one from min 1, NMI to both, no such APIC, bad ICR. */
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 3, 0, 0, 0x60), 2);
	kk_wait(&kk_cnt[0][0x60], 1);
	kk_wait(&kk_cnt[1][0x60], 1);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 2, 0, 0, 0x61), 1);
	kk_wait(&kk_cnt[1][0x61], 1);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 1, 0, 1, 0x62), 1);
	kk_wait(&kk_cnt[1][0x62], 1);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 3, 0, 0, APIC_DM_NMI), 2);
	kk_wait(&kk_nmis[0], 1);
	kk_wait(&kk_nmis[1], 1);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 0x3c, 0, 0, 0x63), 0);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 3, 0, 0,
				       APIC_DEST_LOGICAL | 0x63), -KVM_EINVAL);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SEND_IPI, 3, 0, 0,
				       APIC_DEST_ALLINC | 0x63), -KVM_EINVAL);
	GUEST_ASSERT_EQ(READ_ONCE(kk_cnt[0][0x61]), 0);
	GUEST_ASSERT_EQ(READ_ONCE(kk_cnt[0][0x62]), 0);
	WRITE_ONCE(kk_stop, 1);
	GUEST_DONE();
}

TEST(kvm_kick_cpu_and_send_ipi)
{
	struct vessel_pv_counters cnt = { 0 };
	struct vm *vm;
	pthread_t t;
	int v;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_pv(2, VESSEL_PV_KVM, 0, guest_kick_send_ipi);
	vm_create_flags = 0;
	for (v = 0x60; v < 0x64; v++)
		vm_install_exception_handler(vm, v, kk_handler);
	vm_install_exception_handler(vm, NMI_VECTOR, kk_nmi);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_vcpu, vm->vcpus[1]));
	vcpu_run_expect_done(vm->vcpus[0]);
	pthread_join(t, NULL);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &cnt));
	EXPECT_EQ(2, cnt.hypercalls[KVM_HC_KICK_CPU]);
	EXPECT_EQ(7, cnt.hypercalls[KVM_HC_SEND_IPI]);
	TH_LOG("vCPU 1 halted %lu guest TSC cycles until kicked",
	       (unsigned long)(guest_global(vm, kk_halt_tsc[1]) -
			       guest_global(vm, kk_halt_tsc[0])));
	vm_free(vm);
}

/* ---------------------------------------------------- KVM: PV_TLB_FLUSH */

/* GVA 2 GiB: one 2 MiB page, moved from GPA 12 MiB to 14 MiB (free). */
#define TF_GVA		0x80000000ULL
#define TF_OLD_GPA	0xc00000ULL
#define TF_NEW_GPA	0xe00000ULL
#define TF_PDE_FLAGS	0x83ULL		/* present, writable, 2 MiB */
#define TF_ADDR_MASK	0x000ffffffffff000ULL

static struct kvm_steal_time tf_steal __aligned(64);
static uint64_t tf_stage, tf_flag_set, tf_out;

/* The PD entry mapping TF_GVA (identity-mapped page tables). */
static uint64_t *tf_pde(void)
{
	uint64_t cr3, *pml4, *pdpt, *pd;

	asm volatile("mov %%cr3, %0" : "=r"(cr3));
	pml4 = (uint64_t *)(cr3 & TF_ADDR_MASK);
	pdpt = (uint64_t *)(pml4[0] & TF_ADDR_MASK);
	pd = (uint64_t *)(pdpt[TF_GVA >> 30] & TF_ADDR_MASK);
	return &pd[(TF_GVA >> 21) & 511];
}

static void guest_tlb_flush(uint64_t id)
{
	uint32_t a = KVM_CPUID_FEATURES, b, c = 0, d;
	uint8_t old;

	sti();
	if (id == 1) {
		asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		GUEST_ASSERT(a & (1U << KVM_FEATURE_PV_TLB_FLUSH));
		wrmsr(MSR_KVM_STEAL_TIME, (uint64_t)&tf_steal | KVM_MSR_ENABLED);
		kk_wait(&tf_stage, 1);
		/* The old mapping, now in this vCPU's TLB. */
		GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)TF_GVA), 0xaaaa);
		GUEST_SYNC(1);	/* the host starts a hog on this vCPU's CPU */
		/* Out of RUN the vCPU was not preempted (KVM's way). */
		GUEST_ASSERT_EQ(READ_ONCE(tf_steal.preempted), 0);
		WRITE_ONCE(tf_out, 1);
		/* Spinning in the guest; the hog preempts this thread. */
		while (!READ_ONCE(tf_flag_set))
			cpu_relax();
		/* Asked while preempted: flushed before it ran again. */
		GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)TF_GVA), 0xbbbb);
		GUEST_DONE();
	}
	WRITE_ONCE(*(uint64_t *)TF_OLD_GPA, 0xaaaa);
	WRITE_ONCE(*(uint64_t *)TF_NEW_GPA, 0xbbbb);
	*tf_pde() = TF_OLD_GPA | TF_PDE_FLAGS;
	asm volatile("invlpg (%0)" :: "r"(TF_GVA) : "memory");
	WRITE_ONCE(tf_stage, 1);

	/*
	 * Linux's kvm_flush_tlb_multi(): a preempted vCPU gets no IPI but
	 * KVM_VCPU_FLUSH_TLB in its record.  vCPU 1 has read the old mapping
	 * and is back in RUN; wait until the host preempts it there (the
	 * flag), and add the request with a CMPXCHG, as Linux does.  The
	 * flag goes back to 0 when it runs again: then wait for the next.
	 */
	kk_wait(&tf_out, 1);
	*tf_pde() = TF_NEW_GPA | TF_PDE_FLAGS;
	asm volatile("invlpg (%0)" :: "r"(TF_GVA) : "memory");
	do {
		while (READ_ONCE(tf_steal.preempted) != KVM_VCPU_PREEMPTED)
			cpu_relax();
		old = KVM_VCPU_PREEMPTED;
	} while (!__atomic_compare_exchange_n(&tf_steal.preempted, &old,
					      KVM_VCPU_PREEMPTED | KVM_VCPU_FLUSH_TLB,
					      false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	WRITE_ONCE(tf_flag_set, 1);
	GUEST_DONE();
}

static uint64_t tf_flushes[2];	/* vCPU 1's tlb_flushes at the sync, at the end */
static int tf_hog_stop;

static uint64_t vcpu_tlb_flushes(struct vcpu *vcpu)
{
	struct vessel_counters c = { 0 };

	TEST_ASSERT(!ioctl(vcpu->fd, VESSEL_GET_COUNTERS, &c), "GET_COUNTERS");
	return c.tlb_flushes;
}

static void *tf_hog(void *arg)
{
	pin_to(1);
	while (!READ_ONCE(tf_hog_stop))
		;
	return NULL;
}

static void *run_flush_target(void *arg)
{
	struct vcpu *vcpu = arg;
	pthread_t hog;

	/* One host CPU throughout: no flush for a move to another. */
	pin_to(1);
	vcpu_run_expect_sync(vcpu, 1);
	tf_flushes[0] = vcpu_tlb_flushes(vcpu);
	TEST_ASSERT(!pthread_create(&hog, NULL, tf_hog, NULL), "hog");
	vcpu_run_expect_done(vcpu);
	WRITE_ONCE(tf_hog_stop, 1);
	pthread_join(hog, NULL);
	tf_flushes[1] = vcpu_tlb_flushes(vcpu);
	return NULL;
}

/*
 * The request is left while vCPU 1 is preempted inside RUN: since the
 * flag is set only on a real preemption (not when RUN returns to
 * userspace), a host thread spinning on vCPU 1's CPU makes one.
 */
TEST(kvm_pv_tlb_flush)
{
	struct vm *vm = vm_create_pv(2, VESSEL_PV_KVM, 0, guest_tlb_flush);
	pthread_t t;

	if (!pin_to(0) || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(vm_free(vm); return, "needs two host CPUs");
	ASSERT_EQ(0, pthread_create(&t, NULL, run_flush_target, vm->vcpus[1]));
	vcpu_run_expect_done(vm->vcpus[0]);
	pthread_join(t, NULL);
	EXPECT_EQ(1, guest_global(vm, tf_flag_set));
	/*
	 * The flush itself: Bochs drops the guest's TLB on its own at exits,
	 * so the new mapping alone cannot show it; the counter does (the
	 * first entry on a host CPU flushes too, hence the difference).
	 */
	EXPECT_EQ(1, tf_flushes[1] - tf_flushes[0]);
	vm_free(vm);
}

/*
 * Steal time's preempted flag while the vCPU is inside RUN: vCPU 0 spins
 * in the guest on host CPU 0; vCPU 1, on host CPU 1, samples vCPU 0's
 * record.  Alone on its CPU vCPU 0 reads mostly not preempted; with a
 * host thread spinning on the same CPU the scheduler preempts vCPU 0's
 * thread, and vCPU 1 must see KVM_VCPU_PREEMPTED while it is out.
 */
static struct kvm_steal_time sp_steal __aligned(64);
static uint64_t sp_ready, sp_stop, sp_timeout;
static uint64_t sp_alone[2], sp_hogged[2];	/* preempted samples, samples */
static int sp_hog_stop, sp_done;

static void sp_sample(uint64_t *cnt)
{
	if (READ_ONCE(sp_steal.preempted) & KVM_VCPU_PREEMPTED)
		cnt[0]++;
	cnt[1]++;
}

static void guest_steal_preempted(uint64_t id)
{
	int i;

	if (id == 0) {
		wrmsr(MSR_KVM_STEAL_TIME, (uint64_t)&sp_steal | KVM_MSR_ENABLED);
		WRITE_ONCE(sp_ready, 1);
		while (!READ_ONCE(sp_stop))
			cpu_relax();
		GUEST_DONE();
	}
	kk_wait(&sp_ready, 1);
	for (i = 0; i < 200000; i++)
		sp_sample(sp_alone);
	GUEST_SYNC(1);		/* the host starts the hog on vCPU 0's CPU */
	while (!sp_hogged[0] && !READ_ONCE(sp_timeout))
		sp_sample(sp_hogged);
	WRITE_ONCE(sp_stop, 1);
	GUEST_DONE();
}

static void *sp_hog(void *arg)
{
	pin_to(0);
	while (!READ_ONCE(sp_hog_stop))
		;
	return NULL;
}

/* Ends vCPU 1's sampling after 30 s if the flag never shows. */
static void *sp_watchdog(void *arg)
{
	struct vm *vm = arg;
	int i;

	for (i = 0; i < 300 && !READ_ONCE(sp_done); i++)
		usleep(100000);
	if (!READ_ONCE(sp_done))
		guest_global(vm, sp_timeout) = 1;
	return NULL;
}

static void *sp_run_sampler(void *arg)
{
	struct vcpu *vcpu = arg;
	pthread_t hog, dog;

	pin_to(1);
	vcpu_run_expect_sync(vcpu, 1);
	TEST_ASSERT(!pthread_create(&hog, NULL, sp_hog, NULL), "hog");
	TEST_ASSERT(!pthread_create(&dog, NULL, sp_watchdog, vcpu->vm), "dog");
	vcpu_run_expect_done(vcpu);
	WRITE_ONCE(sp_hog_stop, 1);
	WRITE_ONCE(sp_done, 1);
	pthread_join(hog, NULL);
	pthread_join(dog, NULL);
	return NULL;
}

TEST(kvm_steal_time_preempted_in_guest)
{
	struct vm *vm = vm_create_pv(2, VESSEL_PV_KVM, 0, guest_steal_preempted);
	uint64_t alone[2], hogged[2];
	pthread_t t;

	if (!pin_to(0) || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(vm_free(vm); return, "needs two host CPUs");
	ASSERT_EQ(0, pthread_create(&t, NULL, sp_run_sampler, vm->vcpus[1]));
	vcpu_run_expect_done(vm->vcpus[0]);
	pthread_join(t, NULL);
	memcpy(alone, &guest_global(vm, sp_alone), sizeof(alone));
	memcpy(hogged, &guest_global(vm, sp_hogged), sizeof(hogged));
	TH_LOG("alone: %lu of %lu samples preempted; hogged: %lu of %lu",
	       alone[0], alone[1], hogged[0], hogged[1]);
	/* Nothing else wants CPU 0: preempted only now and then. */
	EXPECT_LT(alone[0] * 4, alone[1]);
	EXPECT_GE(hogged[0], 1);
	EXPECT_EQ(0, guest_global(vm, sp_timeout));
	vm_free(vm);
}

#define HV_MSR_VP_INDEX		0x40000002
#define HV_MSR_SCONTROL		0x40000080
#define HV_MSR_SIMP		0x40000083
#define HV_MSR_SINT(n)		(0x40000090 + (n))
#define HV_MSR_EOI		0x40000070
#define HVCALL_SEND_IPI		0x000b
#define HVCALL_SEND_IPI_EX	0x0015
#define HVCALL_POST_MESSAGE	0x005c
#define HC_FAST			(1ULL << 16)
#define SMP_IPI_VEC		0x60
#define SMP_SINT_VEC		0x61
#define SMP_SINT		4
#define SMP_CONN		0x42

static uint8_t smp_msg_page[4096] __aligned(4096);
static uint64_t smp_ipis[2], smp_sints[2], smp_ready;

static void smp_ipi_handler(struct ex_regs *regs)
{
	uint64_t vp = rdmsr(HV_MSR_VP_INDEX);

	WRITE_ONCE(smp_ipis[vp], smp_ipis[vp] + 1);
	wrmsr(HV_MSR_EOI, 0);
}

static void smp_sint_handler(struct ex_regs *regs)
{
	uint64_t vp = rdmsr(HV_MSR_VP_INDEX);

	WRITE_ONCE(smp_sints[vp], smp_sints[vp] + 1);
	wrmsr(HV_MSR_EOI, 0);
}

static void smp_wait(uint64_t *cnt, uint64_t n)
{
	cli();
	while (READ_ONCE(*cnt) < n)
		asm volatile("sti; hlt; cli" ::: "memory");
	sti();
}

/* vCPU 0 interrupts and messages vCPU 1, which halts waiting for them. */
static void guest_hv_remote(uint64_t id)
{
	uint32_t *slot = (uint32_t *)(smp_msg_page + SMP_SINT * 256);

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	if (id == 1) {
		wrmsr(HV_MSR_SIMP, (uint64_t)smp_msg_page | 1);
		wrmsr(HV_MSR_SINT(SMP_SINT), SMP_SINT_VEC);
		wrmsr(HV_MSR_SCONTROL, 1);
		WRITE_ONCE(smp_ready, 1);
		smp_wait(&smp_ipis[1], 2);
		smp_wait(&smp_sints[1], 1);
		GUEST_ASSERT_EQ(slot[0], 0x77);			/* type */
		GUEST_ASSERT_EQ(slot[4], 0xfeed);		/* payload */
		GUEST_ASSERT_EQ(smp_ipis[0], 0);
		GUEST_DONE();
	}
	wrmsr(HV_MSR_GUEST_OS_ID, 0x8100000000060100ULL);
	wrmsr(HV_MSR_HYPERCALL, (uint64_t)hcall_page | 1);
	while (!READ_ONCE(smp_ready))
		cpu_relax();
	{
		register uint64_t r8 asm("r8") = 1ULL << 1;	/* VP 1 */
		uint64_t control = HVCALL_SEND_IPI | HC_FAST, in = SMP_IPI_VEC;
		uint64_t status;

		asm volatile("call *%[pg]"
			     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
			     : [pg] "r"((uint64_t)hcall_page)
			     : "memory", "cc", "r9", "r10", "r11");
		GUEST_ASSERT_EQ(status, 0);
	}
	while (READ_ONCE(smp_ipis[1]) < 1)
		cpu_relax();
	hv_in[0] = SMP_IPI_VEC;
	hv_in[1] = 0;			/* sparse: bank 0, VP 1 */
	hv_in[2] = 1;
	hv_in[3] = 2;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_SEND_IPI_EX | HC_VARHEAD(1),
				     (uint64_t)hv_in), 0);
	while (READ_ONCE(smp_ipis[1]) < 2)
		cpu_relax();
	hv_in[0] = SMP_CONN;
	hv_in[1] = 0x77 | (8ULL << 32);	/* type, payload size */
	hv_in[2] = 0xfeed;
	GUEST_ASSERT_EQ(hv_hypercall(HVCALL_POST_MESSAGE, (uint64_t)hv_in), 0);
	GUEST_DONE();
}

TEST(hyperv_remote_ipi_message)
{
	struct vessel_pv_hv_connection c = {
		.flags = VESSEL_PV_HV_CONN_MESSAGE, .conn_id = SMP_CONN,
		.vcpu = 1, .sint = SMP_SINT,
	};
	struct vm *vm;
	pthread_t t;

	vm_create_flags = VESSEL_VM_LAPIC;
	vm = vm_create_pv(2, VESSEL_PV_HYPERV, 0, guest_hv_remote);
	vm_create_flags = 0;
	vm_install_exception_handler(vm, SMP_IPI_VEC, smp_ipi_handler);
	vm_install_exception_handler(vm, SMP_SINT_VEC, smp_sint_handler);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_HV_SET_CONNECTION, &c));
	ASSERT_EQ(0, pthread_create(&t, NULL, run_vcpu, vm->vcpus[1]));
	vcpu_run_expect_done(vm->vcpus[0]);
	pthread_join(t, NULL);
	EXPECT_EQ(2, guest_global(vm, smp_ipis[1]));
	EXPECT_EQ(1, guest_global(vm, smp_sints[1]));
	vm_free(vm);
}

TEST_HARNESS_MAIN
