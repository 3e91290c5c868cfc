/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bench_vessel and bench_kvm share: the workload table, the driver
 * that runs each workload and answers the guest's exits, the statistics
 * and the output.  Each program supplies only a struct bench_hv: how to
 * create a VM, give it memory, start the vCPU and run it, in its own API.
 *
 * Output, one line per workload that ran (everything else is a "#"
 * comment):
 *
 *	bench HYPERVISOR WORKLOAD MEDIAN MIN MAX ITERATIONS
 *
 * with guest TSC cycles per iteration over the repetitions.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_guest.h"
#include "compiler.h"

/* Exit status: a workload failed; the hypervisor could not be used. */
#define BENCH_EXIT_FAILED	1
#define BENCH_EXIT_UNUSABLE	2

#define BENCH_MAX_REPS		15
/* vCPUs of a workload: 1, or 2 for the IPI round trips. */
#define BENCH_MAX_CPUS		2

/* An exit of the guest, as the hypervisor reported it. */
enum bench_exit_type {
	BENCH_EXIT_IO,
	BENCH_EXIT_MMIO,
	BENCH_EXIT_HLT,
	BENCH_EXIT_OTHER,	/* anything else: @why says what */
};

struct bench_exit {
	enum bench_exit_type type;
	bool write;		/* OUT, MMIO write */
	uint16_t port;
	uint32_t size;		/* bytes of one access */
	uint64_t gpa;
	/*
	 * OUT and MMIO writes: the value written.  IN and MMIO reads: the
	 * answer, which the next bench_hv.vcpu_run() hands to the guest.
	 */
	uint64_t data;
	char why[256];
};

/* The paravirtual interface a workload needs. */
#define BENCH_PV_NONE		0
#define BENCH_PV_HYPERV		1
#define BENCH_PV_KVM		2

/* The guest's registers at entry (see guest.S). */
struct bench_regs {
	uint32_t eip;
	uint32_t esp;
	uint32_t eax;
	uint32_t ecx;
	uint32_t edi;
};

/*
 * One hypervisor.  Every function returns 0 or -errno; on error, the
 * implementation has printed nothing and the driver says what failed.
 */
struct bench_hv {
	const char *name;	/* the second column: "vessel", "kvm" */
	/* Open the device and check it is usable; @err: one line why not. */
	int (*open)(struct bench_hv *hv, char *err, size_t errlen);
	/*
	 * A new VM with @cpus vCPUs (ids 0..@cpus-1, at most BENCH_MAX_CPUS;
	 * more than one only with @lapic), no memory yet, an in-kernel APIC
	 * if @lapic, and the paravirtual interface @pv (BENCH_PV_*) the guest
	 * finds.  With @lm (a BENCH_WL_LM_* workload), the guest's CPUID
	 * offers every feature the hypervisor can give, as for Linux.
	 */
	int (*vm_create)(struct bench_hv *hv, bool lapic, unsigned int pv,
			 unsigned int cpus, bool lm);
	void (*vm_destroy)(struct bench_hv *hv);
	int (*vm_set_memory)(struct bench_hv *hv, uint32_t slot, uint64_t gpa,
			     uint64_t size, void *hva);
	/*
	 * vCPU @cpu in 32-bit flat protected mode, no paging, with @regs, and
	 * runnable (a vCPU other than 0 would otherwise wait for a SIPI).
	 * Called on the thread that runs that vCPU.
	 */
	int (*vcpu_start)(struct bench_hv *hv, unsigned int cpu,
			  const struct bench_regs *regs);
	/*
	 * Complete the previous exit if it was a read (with @exit->data),
	 * run vCPU @cpu, and describe the next exit in @exit.  -EINTR when a
	 * signal interrupted the run (the caller decides whether to go on).
	 */
	int (*vcpu_run)(struct bench_hv *hv, unsigned int cpu,
			struct bench_exit *exit);
};

/* The guest code, assembled into each program as data (guest.S). */
extern const unsigned char bench_guest_start[], bench_guest_end[];

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/*
 * The whole program: parse @argv, open the hypervisor, run the workloads
 * asked for and print.  Returns the exit status: 0, BENCH_EXIT_FAILED when
 * a workload failed (the others still ran), BENCH_EXIT_UNUSABLE for a bad
 * command line or a hypervisor that cannot be used.
 */
int bench_main(struct bench_hv *hv, int argc, char **argv);

/* Append to @e->why (a description of an unexpected exit). */
__printf(2, 3) void bench_why(struct bench_exit *e, const char *fmt, ...);

#endif /* BENCH_COMMON_H */
