// SPDX-License-Identifier: GPL-2.0
/*
 * Paravirtual interfaces with two vCPUs on two host CPUs: kvmclock never
 * goes backwards from one vCPU to the other, and Hyper-V's remote TLB
 * flush hypercalls kick a vCPU out of the guest and come back; with the
 * in-kernel APIC, Hyper-V's cluster IPI and HvPostMessage reach the other
 * vCPU (halted) through its APIC and SynIC.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define HV_MSR_GUEST_OS_ID	0x40000000
#define HV_MSR_HYPERCALL	0x40000001
#define HVCALL_FLUSH_SPACE	0x0002
#define HVCALL_FLUSH_SPACE_EX	0x0013
#define HC_VARHEAD(n)		((uint64_t)(n) << 17)

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __packed;

static struct pvclock_vcpu_time_info pvti[2] __aligned(64);
static uint32_t clock_lock;
static uint64_t clock_last, clock_done;
static uint8_t hcall_page[4096] __aligned(4096);
static uint64_t hv_in[512] __aligned(4096);

static uint64_t kvmclock_read(struct pvclock_vcpu_time_info *p)
{
	uint64_t ns, delta;
	uint32_t v;

	do {
		v = READ_ONCE(p->version);
		asm volatile("" ::: "memory");
		delta = rdtsc() - READ_ONCE(p->tsc_timestamp);
		if (p->tsc_shift < 0)
			delta >>= -p->tsc_shift;
		else
			delta <<= p->tsc_shift;
		ns = READ_ONCE(p->system_time) +
		     (uint64_t)(((__uint128_t)delta * p->tsc_to_system_mul) >> 32);
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != READ_ONCE(p->version));
	return ns;
}

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
		t = kvmclock_read(&pvti[id]);
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
	register uint64_t r8 asm("r8") = 0;
	uint64_t status;

	asm volatile("call *%[pg]"
		     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
		     : [pg] "r"((uint64_t)hcall_page)
		     : "memory", "cc", "r9", "r10", "r11");
	return status;
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
