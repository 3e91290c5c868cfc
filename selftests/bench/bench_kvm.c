// SPDX-License-Identifier: GPL-2.0
/*
 * bench_kvm: the benchmark workloads (bench_common.c) on KVM, through raw
 * /dev/kvm ioctls, for comparison with bench_vessel in the same boot.  No
 * in-kernel irqchip, so HLT, port I/O and MMIO all come back to us, as on
 * Vessel.
 *
 * Usage: bench_kvm [--quick] [--reps N] [WORKLOAD...] (see --help)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_common.h"

#define KVM_DEVICE		"/dev/kvm"

#define X86_CR0_PE		0x01
#define X86_CR0_ET		0x10
#define X86_RFLAGS_FIXED	0x02

/* Descriptor types (SDM 3.4.5.1): what Vessel's access rights encode. */
#define TYPE_CODE_XRA		11	/* execute/read, accessed */
#define TYPE_DATA_RWA		3	/* read/write, accessed */
#define TYPE_TSS_BUSY		11
#define SEL_CODE		0x08
#define SEL_DATA		0x10
#define SEL_TSS			0x18
#define TSS_LIMIT		0x67

struct kvm_bench {
	struct bench_hv hv;
	int kvm;
	int vm;
	unsigned int nr_vcpus;
	int vcpu[BENCH_MAX_CPUS];
	struct kvm_run *run[BENCH_MAX_CPUS];
	long run_size;
};

static struct kvm_bench *to_kb(struct bench_hv *hv)
{
	return container_of(hv, struct kvm_bench, hv);
}

/* ioctl() as -errno, like libvessel. */
static int kb_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

static int kb_open(struct bench_hv *hv, char *err, size_t errlen)
{
	struct kvm_bench *b = to_kb(hv);
	int r;

	b->kvm = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (b->kvm < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s%s", KVM_DEVICE,
			 strerror(errno),
			 errno == ENOENT ? " (is kvm-intel.ko loaded?)" : "");
		return r;
	}
	r = kb_ioctl(b->kvm, KVM_GET_API_VERSION, NULL);
	if (r != KVM_API_VERSION) {
		snprintf(err, errlen, "%s speaks API version %d, not %d",
			 KVM_DEVICE, r, KVM_API_VERSION);
		return -EPROTO;
	}
	b->run_size = kb_ioctl(b->kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (b->run_size < (long)sizeof(struct kvm_run)) {
		snprintf(err, errlen, "KVM_GET_VCPU_MMAP_SIZE gave %ld",
			 b->run_size);
		return -EPROTO;
	}
	return 0;
}

/*
 * The APIC workloads: KVM's in-kernel irqchip, and CPUID saying APIC and
 * TSC-deadline timer (KVM refuses IA32_TSC_DEADLINE without the bit), and
 * long mode (KVM refuses EFER.LME without it; BENCH_WL_CR8).
 */
static int kb_lapic_setup(int vcpu)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[2];
	} cpuid = {
		.c.nent = 2,
		.e[0] = { .function = 1, .ecx = 1U << 24, .edx = 1U << 9 },
		.e[1] = { .function = 0x80000001, .edx = 1U << 29 },
	};

	return kb_ioctl(vcpu, KVM_SET_CPUID2, &cpuid);
}

/*
 * KVM's Hyper-V emulation is on for a vCPU whose CPUID has the Hyper-V
 * leaves: the ones KVM supports, as it reports them.  (Its own paravirtual
 * interface needs nothing: KVM does not enforce its feature bits.)
 */
static int kb_set_hyperv_cpuid(struct kvm_bench *b, int vcpu)
{
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[64];
	} hv = { .c.nent = 64 };
	int r;

	r = kb_ioctl(b->kvm, KVM_GET_SUPPORTED_HV_CPUID, &hv);
	if (r)
		return r;
	return kb_ioctl(vcpu, KVM_SET_CPUID2, &hv);
}

/*
 * The state Linux runs in (BENCH_WL_LM_*): every feature KVM supports, as
 * "-cpu host" gives a guest, plus what the in-kernel APIC offers (x2APIC,
 * the TSC-deadline timer, which KVM reports apart) and without a PMU
 * (Vessel offers none).  With Hyper-V, its leaves replace KVM's own
 * 0x4000xxxx ones.
 */
#define KB_MAX_CPUID	128

static int kb_set_lm_cpuid(struct kvm_bench *b, int vcpu, unsigned int pv)
{
	static struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[KB_MAX_CPUID];
	} all, hv;
	unsigned int i, n = 0;
	int r;

	all.c.nent = KB_MAX_CPUID;
	r = kb_ioctl(b->kvm, KVM_GET_SUPPORTED_CPUID, &all);
	if (r)
		return r;
	for (i = 0; i < all.c.nent; i++) {
		struct kvm_cpuid_entry2 *e = &all.e[i];

		if (pv == BENCH_PV_HYPERV && (e->function & 0xffff0000) == 0x40000000)
			continue;
		if (e->function == 1) {
			e->ecx |= 1U << 21 | 1U << 24 | 1U << 31;
			e->edx |= 1U << 9;
		}
		if (e->function == 0xa)
			e->eax = e->ebx = e->ecx = e->edx = 0;
		all.e[n++] = *e;
	}
	if (pv == BENCH_PV_HYPERV) {
		hv.c.nent = KB_MAX_CPUID;
		r = kb_ioctl(b->kvm, KVM_GET_SUPPORTED_HV_CPUID, &hv);
		if (r)
			return r;
		for (i = 0; i < hv.c.nent && n < KB_MAX_CPUID; i++)
			all.e[n++] = hv.e[i];
	}
	all.c.nent = n;
	return kb_ioctl(vcpu, KVM_SET_CPUID2, &all);
}

static void kb_vm_destroy(struct bench_hv *hv)
{
	struct kvm_bench *b = to_kb(hv);

	while (b->nr_vcpus) {
		b->nr_vcpus--;
		munmap(b->run[b->nr_vcpus], b->run_size);
		close(b->vcpu[b->nr_vcpus]);
	}
	close(b->vm);
}

/* vCPU b->nr_vcpus: created, CPUID set, run page mapped. */
static int kb_vcpu_add(struct kvm_bench *b, bool lapic, unsigned int pv,
		       bool lm)
{
	int fd, r;

	fd = kb_ioctl(b->vm, KVM_CREATE_VCPU, (void *)(uintptr_t)b->nr_vcpus);
	if (fd < 0)
		return fd;
	if (lm)
		r = kb_set_lm_cpuid(b, fd, pv);
	else
		r = lapic ? kb_lapic_setup(fd) : 0;
	if (!r && !lm && pv == BENCH_PV_HYPERV)
		r = kb_set_hyperv_cpuid(b, fd);
	if (r)
		goto err_close;
	b->run[b->nr_vcpus] = mmap(NULL, b->run_size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
	if (b->run[b->nr_vcpus] == MAP_FAILED) {
		r = -errno;
		goto err_close;
	}
	b->vcpu[b->nr_vcpus++] = fd;
	return 0;

err_close:
	close(fd);
	return r;
}

static int kb_vm_create(struct bench_hv *hv, bool lapic, unsigned int pv,
			unsigned int cpus, bool lm)
{
	struct kvm_bench *b = to_kb(hv);
	int r = 0;

	b->nr_vcpus = 0;
	b->vm = kb_ioctl(b->kvm, KVM_CREATE_VM, NULL);
	if (b->vm < 0)
		return b->vm;
	if (lapic)
		r = kb_ioctl(b->vm, KVM_CREATE_IRQCHIP, NULL);
	while (!r && b->nr_vcpus < cpus)
		r = kb_vcpu_add(b, lapic, pv, lm);
	if (r)
		kb_vm_destroy(hv);
	return r;
}

static int kb_vm_set_memory(struct bench_hv *hv, uint32_t slot, uint64_t gpa,
			    uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return kb_ioctl(to_kb(hv)->vm, KVM_SET_USER_MEMORY_REGION, &region);
}

static struct kvm_segment kb_flat_seg(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment) {
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.db = 1,
		.s = 1,
		.g = 1,
	};
}

/* The same state as bench_vessel's vb_flat_segs(), in KVM's terms. */
static void kb_flat_sregs(struct kvm_sregs *sregs)
{
	sregs->cs = kb_flat_seg(SEL_CODE, TYPE_CODE_XRA);
	sregs->ds = kb_flat_seg(SEL_DATA, TYPE_DATA_RWA);
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	sregs->tr = (struct kvm_segment) {
		.limit = TSS_LIMIT,
		.selector = SEL_TSS,
		.type = TYPE_TSS_BUSY,
		.present = 1,
	};
	sregs->ldt = (struct kvm_segment) { .unusable = 1 };
	sregs->cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
}

static int kb_vcpu_start(struct bench_hv *hv, unsigned int cpu,
			 const struct bench_regs *regs)
{
	struct kvm_bench *b = to_kb(hv);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	int fd = b->vcpu[cpu];
	struct kvm_regs kregs = {
		.rip = regs->eip,
		.rflags = X86_RFLAGS_FIXED,
		.rsp = regs->esp,
		.rax = regs->eax,
		.rcx = regs->ecx,
		.rdi = regs->edi,
	};
	struct kvm_sregs sregs;
	int r;

	/* An AP waits for INIT/SIPI (in-kernel irqchip): make it runnable. */
	if (cpu) {
		r = kb_ioctl(fd, KVM_SET_MP_STATE, &mp);
		if (r)
			return r;
	}
	r = kb_ioctl(fd, KVM_GET_SREGS, &sregs);
	if (r)
		return r;
	kb_flat_sregs(&sregs);
	r = kb_ioctl(fd, KVM_SET_SREGS, &sregs);
	if (r)
		return r;
	return kb_ioctl(fd, KVM_SET_REGS, &kregs);
}

/* Hand the guest what it read at the previous exit. */
static void kb_complete(struct kvm_run *run, const struct bench_exit *e)
{
	size_t n = e->size < sizeof(e->data) ? e->size : sizeof(e->data);

	if (e->type == BENCH_EXIT_IO && !e->write)
		memcpy((char *)run + run->io.data_offset, &e->data, n);
	else if (e->type == BENCH_EXIT_MMIO && !e->write)
		memcpy(run->mmio.data, &e->data, n);
}

static void kb_exit_other(struct kvm_bench *b, unsigned int cpu,
			  struct bench_exit *e)
{
	struct kvm_run *run = b->run[cpu];
	struct kvm_regs regs = { .rip = ~0ULL };
	unsigned int i;

	kb_ioctl(b->vcpu[cpu], KVM_GET_REGS, &regs);
	bench_why(e, "KVM_EXIT %u at RIP %#llx", run->exit_reason,
		  (unsigned long long)regs.rip);
	if (run->exit_reason == KVM_EXIT_FAIL_ENTRY)
		bench_why(e, ", entry failure reason %#llx",
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	if (run->exit_reason != KVM_EXIT_INTERNAL_ERROR)
		return;
	bench_why(e, ", internal error suberror %u, data",
		  run->internal.suberror);
	for (i = 0; i < run->internal.ndata && i < 4; i++)
		bench_why(e, " %#llx",
			  (unsigned long long)run->internal.data[i]);
}

static void kb_exit(struct kvm_bench *b, unsigned int cpu,
		    struct bench_exit *e)
{
	struct kvm_run *run = b->run[cpu];

	*e = (struct bench_exit) { .type = BENCH_EXIT_OTHER };
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		e->type = BENCH_EXIT_IO;
		e->write = run->io.direction == KVM_EXIT_IO_OUT;
		e->port = run->io.port;
		e->size = run->io.size;
		if (e->write && e->size <= sizeof(e->data))
			memcpy(&e->data, (char *)run + run->io.data_offset,
			       e->size);
		break;
	case KVM_EXIT_MMIO:
		e->type = BENCH_EXIT_MMIO;
		e->write = run->mmio.is_write;
		e->gpa = run->mmio.phys_addr;
		e->size = run->mmio.len;
		if (e->write && e->size <= sizeof(e->data))
			memcpy(&e->data, run->mmio.data, e->size);
		break;
	case KVM_EXIT_HLT:
		e->type = BENCH_EXIT_HLT;
		break;
	default:
		kb_exit_other(b, cpu, e);
	}
}

static int kb_vcpu_run(struct bench_hv *hv, unsigned int cpu,
		       struct bench_exit *e)
{
	struct kvm_bench *b = to_kb(hv);
	int r;

	kb_complete(b->run[cpu], e);
	r = kb_ioctl(b->vcpu[cpu], KVM_RUN, NULL);
	if (!r)
		kb_exit(b, cpu, e);
	return r;
}

int main(int argc, char **argv)
{
	static struct kvm_bench b = {
		.hv = {
			.name = "kvm",
			.open = kb_open,
			.vm_create = kb_vm_create,
			.vm_destroy = kb_vm_destroy,
			.vm_set_memory = kb_vm_set_memory,
			.vcpu_start = kb_vcpu_start,
			.vcpu_run = kb_vcpu_run,
		},
		.kvm = -1,
	};

	return bench_main(&b.hv, argc, argv);
}
