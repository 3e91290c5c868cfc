// SPDX-License-Identifier: GPL-2.0
/*
 * bench_vessel: the benchmark workloads (bench_common.c) on Vessel, through
 * libvessel.  This file only translates: VMs, memory, the 32-bit flat
 * vCPU state and the run page's exits.
 *
 * Usage: bench_vessel [--quick] [--reps N] [WORKLOAD...] (see --help)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <libvessel.h>

#include "bench_common.h"

#define X86_CR0_PE		0x01
#define X86_CR0_ET		0x10
#define X86_RFLAGS_FIXED	0x02

/* VMX access rights (SDM 24.4.1): G, D/B, P, S and the type. */
#define AR_CODE32		0xc09b	/* execute/read, accessed */
#define AR_DATA32		0xc093	/* read/write, accessed */
#define AR_TSS_BUSY		0x008b
#define AR_UNUSABLE		0	/* P clear */
#define SEL_CODE		0x08
#define SEL_DATA		0x10
#define SEL_TSS			0x18
#define TSS_LIMIT		0x67	/* the smallest VM entry accepts */

struct vessel_bench {
	struct bench_hv hv;
	struct vessel_sys sys;
	struct vessel_vm vm;
	unsigned int nr_vcpus;
	struct vessel_vcpu vcpu[BENCH_MAX_CPUS];
	struct vessel_vcpu_state state[BENCH_MAX_CPUS];
};

static struct vessel_bench *to_vb(struct bench_hv *hv)
{
	return container_of(hv, struct vessel_bench, hv);
}

static int vb_open(struct bench_hv *hv, char *err, size_t errlen)
{
	return vessel_sys_open(&to_vb(hv)->sys, err, errlen);
}

static void vb_vm_destroy(struct bench_hv *hv)
{
	struct vessel_bench *b = to_vb(hv);

	while (b->nr_vcpus)
		vessel_vcpu_close(&b->vcpu[--b->nr_vcpus]);
	vessel_vm_close(&b->vm);
}

/* @lm needs nothing: Vessel's default CPUID already offers what it can. */
static int vb_vm_create(struct bench_hv *hv, bool lapic, unsigned int pv,
			unsigned int cpus, bool lm)
{
	static const uint32_t providers[] = {
		[BENCH_PV_NONE] = VESSEL_PV_NONE,
		[BENCH_PV_HYPERV] = VESSEL_PV_HYPERV,
		[BENCH_PV_KVM] = VESSEL_PV_KVM,
	};
	struct vessel_bench *b = to_vb(hv);
	int r;

	(void)lm;
	r = vessel_vm_create_pv(&b->sys, &b->vm, lapic ? VESSEL_VM_LAPIC : 0,
				providers[pv], 0);
	if (r)
		return r;
	b->nr_vcpus = 0;
	for (; b->nr_vcpus < cpus; b->nr_vcpus++) {
		r = vessel_vcpu_create(&b->vm, b->nr_vcpus,
				       &b->vcpu[b->nr_vcpus]);
		if (r) {
			vb_vm_destroy(hv);
			return r;
		}
	}
	return 0;
}

static int vb_vm_set_memory(struct bench_hv *hv, uint32_t slot, uint64_t gpa,
			    uint64_t size, void *hva)
{
	return vessel_vm_set_memory(&to_vb(hv)->vm, slot, 0, gpa, size, hva);
}

/* Flat 4 GiB segments; TR a minimal busy TSS, LDTR unusable. */
static void vb_flat_segs(struct vessel_segs *segs)
{
	static const struct {
		unsigned int seg;
		uint16_t selector;
		uint16_t attrib;
		uint32_t limit;
	} flat[] = {
		{ VESSEL_SEG_CS, SEL_CODE, AR_CODE32, 0xffffffff },
		{ VESSEL_SEG_DS, SEL_DATA, AR_DATA32, 0xffffffff },
		{ VESSEL_SEG_ES, SEL_DATA, AR_DATA32, 0xffffffff },
		{ VESSEL_SEG_FS, SEL_DATA, AR_DATA32, 0xffffffff },
		{ VESSEL_SEG_GS, SEL_DATA, AR_DATA32, 0xffffffff },
		{ VESSEL_SEG_SS, SEL_DATA, AR_DATA32, 0xffffffff },
		{ VESSEL_SEG_TR, SEL_TSS, AR_TSS_BUSY, TSS_LIMIT },
		{ VESSEL_SEG_LDTR, 0, AR_UNUSABLE, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flat); i++)
		segs->seg[flat[i].seg] = (struct vessel_segment) {
			.selector = flat[i].selector,
			.attrib = flat[i].attrib,
			.limit = flat[i].limit,
		};
}

static int vb_vcpu_start(struct bench_hv *hv, unsigned int cpu,
			 const struct bench_regs *regs)
{
	const uint64_t parts = VESSEL_STATE_GPRS | VESSEL_STATE_SEGS |
			       VESSEL_STATE_CRS;
	struct vessel_bench *b = to_vb(hv);
	struct vessel_vcpu_state *s = &b->state[cpu];
	struct vessel_mp_state mp = { .mp_state = VESSEL_MP_STATE_RUNNABLE };
	int r;

	/* An AP waits for a SIPI (in-kernel APIC): make it runnable. */
	if (cpu && ioctl(b->vcpu[cpu].fd, VESSEL_SET_MP_STATE, &mp) < 0)
		return -errno;
	r = vessel_vcpu_get_state(&b->vcpu[cpu], s, parts);
	if (r)
		return r;
	memset(&s->gprs, 0, sizeof(s->gprs));
	s->gprs.rip = regs->eip;
	s->gprs.rflags = X86_RFLAGS_FIXED;
	s->gprs.regs[VESSEL_GPR_RSP] = regs->esp;
	s->gprs.regs[VESSEL_GPR_RAX] = regs->eax;
	s->gprs.regs[VESSEL_GPR_RCX] = regs->ecx;
	s->gprs.regs[VESSEL_GPR_RDI] = regs->edi;
	vb_flat_segs(&s->segs);
	s->crs.cr0 = X86_CR0_PE | X86_CR0_ET;
	s->crs.cr3 = 0;
	s->crs.cr4 = 0;
	s->crs.efer = 0;
	return vessel_vcpu_set_state(&b->vcpu[cpu], s, parts);
}

/* Hand the guest what it read at the previous exit. */
static void vb_complete(struct vessel_run *run, const struct bench_exit *e)
{
	size_t n = e->size < sizeof(e->data) ? e->size : sizeof(e->data);

	if (e->type == BENCH_EXIT_IO && !e->write)
		memcpy((char *)run + run->io.data_offset, &e->data, n);
	else if (e->type == BENCH_EXIT_MMIO && !e->write)
		memcpy(run->mmio.data, &e->data, n);
}

/* Where the guest is, for a failure message. */
static unsigned long long vb_rip(struct vessel_bench *b, unsigned int cpu)
{
	if (vessel_vcpu_get_state(&b->vcpu[cpu], &b->state[cpu],
				  VESSEL_STATE_GPRS))
		return ~0ULL;
	return b->state[cpu].gprs.rip;
}

static void vb_exit_other(struct vessel_bench *b, unsigned int cpu,
			  struct bench_exit *e)
{
	struct vessel_run *run = b->vcpu[cpu].run;
	unsigned int i;

	bench_why(e, "%s (VESSEL_EXIT %u) at RIP %#llx",
		  vessel_exit_name(run->exit_reason), run->exit_reason,
		  vb_rip(b, cpu));
	if (run->exit_reason == VESSEL_EXIT_MSR)
		bench_why(e, ", %s of MSR %#x",
			  run->msr.is_write ? "WRMSR" : "RDMSR", run->msr.index);
	if (run->exit_reason != VESSEL_EXIT_INTERNAL_ERROR)
		return;
	bench_why(e, ", suberror %u, data", run->internal.suberror);
	for (i = 0; i < run->internal.ndata && i < 4; i++)
		bench_why(e, " %#llx",
			  (unsigned long long)run->internal.data[i]);
}

static void vb_exit(struct vessel_bench *b, unsigned int cpu,
		    struct bench_exit *e)
{
	struct vessel_run *run = b->vcpu[cpu].run;

	*e = (struct bench_exit) { .type = BENCH_EXIT_OTHER };
	switch (run->exit_reason) {
	case VESSEL_EXIT_IO:
		e->type = BENCH_EXIT_IO;
		e->write = run->io.direction == VESSEL_IO_OUT;
		e->port = run->io.port;
		e->size = run->io.size;
		if (e->write && e->size <= sizeof(e->data))
			memcpy(&e->data, (char *)run + run->io.data_offset,
			       e->size);
		break;
	case VESSEL_EXIT_MMIO:
		e->type = BENCH_EXIT_MMIO;
		e->write = run->mmio.is_write;
		e->gpa = run->mmio.gpa;
		e->size = run->mmio.len;
		if (e->write && e->size <= sizeof(e->data))
			memcpy(&e->data, run->mmio.data, e->size);
		break;
	case VESSEL_EXIT_HLT:
		e->type = BENCH_EXIT_HLT;
		break;
	default:
		vb_exit_other(b, cpu, e);
	}
}

static int vb_vcpu_run(struct bench_hv *hv, unsigned int cpu,
		       struct bench_exit *e)
{
	struct vessel_bench *b = to_vb(hv);
	int r;

	vb_complete(b->vcpu[cpu].run, e);
	r = vessel_vcpu_run(&b->vcpu[cpu]);
	if (!r)
		vb_exit(b, cpu, e);
	return r;
}

int main(int argc, char **argv)
{
	static struct vessel_bench b = {
		.hv = {
			.name = "vessel",
			.open = vb_open,
			.vm_create = vb_vm_create,
			.vm_destroy = vb_vm_destroy,
			.vm_set_memory = vb_vm_set_memory,
			.vcpu_start = vb_vcpu_start,
			.vcpu_run = vb_vcpu_run,
		},
	};

	return bench_main(&b.hv, argc, argv);
}
