// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark driver shared by bench_vessel and bench_kvm: the workload
 * table, one run of the guest with its exits answered, repetitions,
 * statistics and output.  Nothing here knows which hypervisor it drives.
 *
 * Figures are guest TSC cycles, which Bochs advances once per emulated
 * instruction: they count the instructions the hypervisor (and the host
 * kernel and this program, for exits to userspace) executes per guest
 * operation, and repeat from run to run.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench_common.h"

/* What IN and MMIO reads return to the guest (it does not check). */
#define BENCH_READ_VALUE	0x5a5a5a5a

#define BENCH_REPS		5
#define BENCH_QUICK_ITERS	50

/**
 * struct bench_workload - one row of the results
 * @name:	the third column
 * @what:	for the comment above the row
 * @iterations:	loop iterations of a full run
 * @user_exits:	exits to userspace per iteration, checked
 * @fresh_memory: needs slot 1, never touched before
 * @reps:	repetitions of a full run, if not BENCH_REPS
 * @lapic:	needs the in-kernel local APIC
 * @pv:		the paravirtual interface (BENCH_PV_*) it runs on
 * @cpus:	vCPUs, if not 1: each runs on a host thread of its own
 * @lm:		the state Linux runs in (BENCH_WL_LM_*): the hypervisor
 *		offers the guest every CPUID feature it can, as for Linux
 */
struct bench_workload {
	const char *name;
	const char *what;
	uint32_t iterations;
	unsigned int user_exits;
	bool fresh_memory;
	unsigned int reps;
	bool lapic;
	unsigned int pv;
	unsigned int cpus;
	bool lm;
};

/* Indexed by BENCH_WL_*, the guest's workload numbers. */
static const struct bench_workload bench_workloads[] = {
	[BENCH_WL_CPUID] = { "cpuid",
		"CPUID leaf 0, answered in the kernel", 2000, 0, false },
	[BENCH_WL_WBINVD] = { "wbinvd",
		"WBINVD, skipped in the kernel: the bare exit and entry",
		2000, 0, false },
	[BENCH_WL_MSR_READ] = { "msr_read",
		"RDMSR of IA32_MISC_ENABLE, in the kernel", 2000, 0, false },
	[BENCH_WL_MSR_WRITE] = { "msr_write",
		"WRMSR of IA32_MISC_ENABLE (value unchanged), in the kernel",
		2000, 0, false },
	[BENCH_WL_PIO_OUT] = { "pio_out",
		"OUT to port 0x80, to userspace and back", 2000, 1, false },
	[BENCH_WL_PIO_IN] = { "pio_in",
		"IN from port 0x80, answered by userspace", 2000, 1, false },
	[BENCH_WL_MMIO_WRITE] = { "mmio_write",
		"32-bit MOV to unbacked memory, to userspace and back",
		2000, 1, false },
	[BENCH_WL_MMIO_READ] = { "mmio_read",
		"32-bit MOV from unbacked memory, answered by userspace",
		2000, 1, false },
	[BENCH_WL_COMPUTE] = { "compute",
		"1003 instructions with no exit: the ratio should be 1",
		100, 0, false },
	/*
	 * 8 to 11 s of Bochs per repetition (the rest of the run takes 5 s
	 * in all), and a spread under 0.1%: 3 repetitions are enough.
	 */
	[BENCH_WL_MEMORY] = { "memory",
		"one write to each fresh 4 KiB page: EPT fault-in, per page",
		BENCH_MEM_SIZE / BENCH_PAGE_SIZE, 0, true, 3 },
	[BENCH_WL_APIC_EOI] = { "apic_eoi",
		"xAPIC EOI write (nothing in service), in-kernel APIC",
		2000, 0, false, 0, true },
	[BENCH_WL_APIC_TPR] = { "apic_tpr",
		"xAPIC TPR write (32-bit guest: no CR8), in-kernel APIC",
		2000, 0, false, 0, true },
	[BENCH_WL_SELF_IPI] = { "self_ipi",
		"self IPI by ICR, taken, EOI, IRET: the round trip",
		2000, 0, false, 0, true },
	[BENCH_WL_TSC_DEADLINE] = { "tsc_deadline",
		"IA32_TSC_DEADLINE in the past: timer interrupt, EOI, IRET",
		2000, 0, false, 0, true },
	[BENCH_WL_HV_SPIN] = { "hv_spin_wait",
		"Hyper-V fast hypercall HvNotifyLongSpinWait, in the kernel",
		2000, 0, false, 0, false, BENCH_PV_HYPERV },
	[BENCH_WL_HV_TIME_REF] = { "hv_time_ref",
		"RDMSR of Hyper-V's TIME_REF_COUNT, in the kernel",
		2000, 0, false, 0, false, BENCH_PV_HYPERV },
	[BENCH_WL_KVM_HYPERCALL] = { "kvm_hypercall",
		"KVM hypercall KVM_HC_VAPIC_POLL_IRQ, in the kernel",
		2000, 0, false, 0, false, BENCH_PV_KVM },
	[BENCH_WL_KVMCLOCK] = { "kvmclock_read",
		"one kvmclock read in the guest: no exit", 2000, 0, false, 0,
		false, BENCH_PV_KVM },
	[BENCH_WL_CR8] = { "cr8_write",
		"MOV to CR8 (TPR) in 64-bit mode, read back at the end, in-kernel APIC",
		2000, 0, false, 0, true },
	/*
	 * The round trips, counted by both vCPUs and checked: each host
	 * thread wakes the other once per iteration, so fewer iterations.
	 */
	[BENCH_WL_IPI_REMOTE] = { "ipi_remote",
		"IPI to a running vCPU, its IPI back: the round trip, 2 vCPUs",
		500, 0, false, 0, true, BENCH_PV_NONE, 2 },
	[BENCH_WL_IPI_HALTED] = { "ipi_halted",
		"IPI to a vCPU halted in HLT, its IPI back: the round trip, 2 vCPUs",
		500, 0, false, 0, true, BENCH_PV_NONE, 2 },
	/* The state Linux runs in: 64-bit, paging, IF set, x2APIC on. */
	[BENCH_WL_LM_CPUID] = { "lm_cpuid",
		"CPUID leaf 0 in the state Linux runs in (64-bit, IF, x2APIC, KVM provider)",
		2000, 0, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_WBINVD] = { "lm_wbinvd",
		"WBINVD in the state Linux runs in: the bare exit and entry",
		2000, 0, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_MSR_READ] = { "lm_msr_read",
		"RDMSR of IA32_MISC_ENABLE in the state Linux runs in",
		2000, 0, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_PIO_IN] = { "lm_pio_in",
		"IN from port 0x80, answered by userspace, in the state Linux runs in",
		2000, 1, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_TSC_DEADLINE] = { "lm_tsc_deadline",
		"IA32_TSC_DEADLINE re-armed far ahead, a new deadline each time",
		2000, 0, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_SELF_IPI] = { "lm_self_ipi",
		"x2APIC self IPI by ICR, taken, EOI (PV EOI, as Linux), IRETQ",
		2000, 0, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_KVM_HC] = { "lm_kvm_hc",
		"KVM hypercall KVM_HC_VAPIC_POLL_IRQ in the state Linux runs in",
		2000, 0, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_KVM_HC_UNKNOWN] = { "lm_kvm_hc_unknown",
		"KVM hypercall 0, unknown: -KVM_ENOSYS, in the kernel",
		2000, 0, false, 0, true, BENCH_PV_KVM, 1, true },
	[BENCH_WL_LM_HV_HC] = { "lm_hv_hc",
		"Hyper-V fast HvNotifyLongSpinWait through the hypercall page, 64-bit",
		2000, 0, false, 0, true, BENCH_PV_HYPERV, 1, true },
	[BENCH_WL_LM_HV_HC_UNKNOWN] = { "lm_hv_hc_unknown",
		"Hyper-V fast hypercall 0, unknown: INVALID_HYPERCALL_CODE, in the kernel",
		2000, 0, false, 0, true, BENCH_PV_HYPERV, 1, true },
};

_Static_assert(ARRAY_SIZE(bench_workloads) == BENCH_NR_WORKLOADS,
	       "one row per guest workload");

struct bench_options {
	bool quick;
	unsigned int reps;		/* 0: each workload's own */
	bool selected[BENCH_NR_WORKLOADS];
};

/* One run of the guest: what it reported, and why it failed. */
struct bench_run {
	const struct bench_workload *w;
	uint32_t iterations;
	uint64_t tsc_delta;
	unsigned int reported;		/* BIT(0) low half, BIT(1) high half */
	uint64_t user_exits;
	char error[512];
};

/* Slot 0, shared by every VM in turn: the guest code and stack. */
static void *bench_low;

static __printf(2, 3) int bench_fail(struct bench_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return -1;
}

void bench_why(struct bench_exit *e, const char *fmt, ...)
{
	size_t len = strnlen(e->why, sizeof(e->why));
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->why + len, sizeof(e->why) - len, fmt, ap);
	va_end(ap);
}

static int bench_exit_hlt(struct bench_run *r)
{
	uint64_t want = (uint64_t)r->iterations * r->w->user_exits;

	if (r->reported != 3)
		return bench_fail(r, "the guest halted without reporting its TSC delta");
	if (r->user_exits != want)
		return bench_fail(r, "%llu exits to userspace, expected %llu",
				  (unsigned long long)r->user_exits,
				  (unsigned long long)want);
	if (!r->tsc_delta)
		return bench_fail(r, "the guest reported a TSC delta of 0");
	return 0;
}

/* The workload's own port, or one of the two halves of the report. */
static int bench_exit_io(struct bench_run *r, struct bench_exit *e)
{
	if (e->port == BENCH_PIO_PORT) {
		r->user_exits++;
		e->data = BENCH_READ_VALUE;
		return 1;
	}
	if (e->write && e->size == 4 && e->port == BENCH_REPORT_LO) {
		r->tsc_delta |= (uint32_t)e->data;
		r->reported |= 1;
		return 1;
	}
	if (e->write && e->size == 4 && e->port == BENCH_REPORT_HI) {
		r->tsc_delta |= (uint64_t)(uint32_t)e->data << 32;
		r->reported |= 2;
		return 1;
	}
	if (e->write && e->port == BENCH_REPORT_DONE)
		return bench_exit_hlt(r);
	if (e->write && e->port == BENCH_REPORT_BAD)
		return bench_fail(r, "the guest reported %#x: an unknown workload, or a failed hypercall's status",
				  (unsigned int)e->data);
	return bench_fail(r, "unexpected %s of %u bytes, port %#x",
			  e->write ? "OUT" : "IN", e->size, e->port);
}

static int bench_exit_mmio(struct bench_run *r, struct bench_exit *e)
{
	if (e->gpa != BENCH_MMIO_GPA || e->size != 4)
		return bench_fail(r, "unexpected MMIO %s of %u bytes at %#llx",
				  e->write ? "write" : "read", e->size,
				  (unsigned long long)e->gpa);
	r->user_exits++;
	e->data = BENCH_READ_VALUE;
	return 1;
}

/* Returns 1 to run on, 0 when the guest is done, -1 on a failure. */
static int bench_exit_handle(struct bench_run *r, struct bench_exit *e)
{
	/* A guest that loops on exits must not keep us here forever. */
	if (r->user_exits > (uint64_t)r->iterations * r->w->user_exits)
		return bench_fail(r, "more exits to userspace than iterations");
	switch (e->type) {
	case BENCH_EXIT_IO:
		return bench_exit_io(r, e);
	case BENCH_EXIT_MMIO:
		return bench_exit_mmio(r, e);
	case BENCH_EXIT_HLT:
		return bench_exit_hlt(r);
	default:
		return bench_fail(r, "unexpected exit: %s", e->why);
	}
}

/*
 * vCPU 1 of a two-vCPU workload, on its own thread: it takes PINGs until
 * vCPU 0 tells it to leave through BENCH_REPORT_DONE; nothing else may
 * reach userspace.  @stop ends it early (vCPU 0 failed): the main thread
 * sets it and sends SIGUSR1 until the thread is gone.
 */
struct bench_ap {
	struct bench_hv *hv;
	struct bench_run *r;
	bool stop;
	char error[512];
};

static void *bench_ap_thread(void *arg)
{
	struct bench_ap *ap = arg;
	struct bench_regs regs = {
		.eip = BENCH_CODE_GPA,
		.esp = BENCH_AP_STACK_TOP,
		.eax = (ap->r->w - bench_workloads) | BENCH_AP_FLAG,
	};
	struct bench_exit e = { .type = BENCH_EXIT_OTHER };
	int err;

	err = ap->hv->vcpu_start(ap->hv, 1, &regs);
	if (err) {
		snprintf(ap->error, sizeof(ap->error),
			 "cannot set the state of vCPU 1: %s", strerror(-err));
		return NULL;
	}
	for (;;) {
		err = ap->hv->vcpu_run(ap->hv, 1, &e);
		if (err == -EINTR && !__atomic_load_n(&ap->stop, __ATOMIC_ACQUIRE))
			continue;
		if (err) {
			snprintf(ap->error, sizeof(ap->error),
				 "run of vCPU 1: %s", strerror(-err));
			return NULL;
		}
		if (e.type == BENCH_EXIT_IO && e.write &&
		    e.port == BENCH_REPORT_DONE)
			return NULL;
		if (e.type == BENCH_EXIT_OTHER)
			snprintf(ap->error, sizeof(ap->error),
				 "vCPU 1: unexpected exit: %s", e.why);
		else
			snprintf(ap->error, sizeof(ap->error),
				 "vCPU 1: unexpected exit to userspace (type %d, port %#x, gpa %#llx)",
				 e.type, e.port, (unsigned long long)e.gpa);
		return NULL;
	}
}

static void bench_sig_nop(int sig)
{
	(void)sig;
}

/* @until = now + 10 ms, on the clock pthread_timedjoin_np() uses. */
static void bench_tick_from_now(struct timespec *until)
{
	clock_gettime(CLOCK_REALTIME, until);
	until->tv_nsec += 10 * 1000 * 1000;
	if (until->tv_nsec >= 1000000000) {
		until->tv_sec++;
		until->tv_nsec -= 1000000000;
	}
}

/*
 * Wait for vCPU 1's thread: a while on its own after a good run (vCPU 0
 * told it to leave), else stopped by signals.  Returns 0 if it left by
 * itself without an error.
 */
static int bench_ap_join(struct bench_ap *ap, pthread_t t, bool ok)
{
	unsigned int waited = 0;
	struct timespec until;

	while (ok && waited++ < 500) {
		bench_tick_from_now(&until);
		if (!pthread_timedjoin_np(t, NULL, &until))
			return ap->error[0] ? -1 : 0;
	}
	__atomic_store_n(&ap->stop, true, __ATOMIC_RELEASE);
	for (;;) {
		pthread_kill(t, SIGUSR1);
		bench_tick_from_now(&until);
		if (!pthread_timedjoin_np(t, NULL, &until))
			break;
	}
	if (ok && !ap->error[0])
		snprintf(ap->error, sizeof(ap->error),
			 "vCPU 1 did not leave when vCPU 0 told it to");
	return -1;
}

static int bench_guest_run(struct bench_hv *hv, struct bench_run *r)
{
	struct bench_regs regs = {
		.eip = BENCH_CODE_GPA,
		.esp = BENCH_STACK_TOP,
		.eax = r->w - bench_workloads,
		.ecx = r->iterations,
		.edi = BENCH_MEM_GPA,
	};
	struct bench_exit e = { .type = BENCH_EXIT_OTHER };
	struct bench_ap ap = { .hv = hv, .r = r };
	pthread_t ap_thread;
	int err, more;

	/* The two-vCPU workloads' counters start at 0 in every VM. */
	memset((char *)bench_low + BENCH_IPI_GPA, 0, BENCH_PAGE_SIZE);
	err = hv->vcpu_start(hv, 0, &regs);
	if (err)
		return bench_fail(r, "cannot set the vCPU state: %s",
				  strerror(-err));
	if (r->w->cpus > 1) {
		err = pthread_create(&ap_thread, NULL, bench_ap_thread, &ap);
		if (err)
			return bench_fail(r, "cannot start vCPU 1's thread: %s",
					  strerror(err));
	}
	do {
		err = hv->vcpu_run(hv, 0, &e);
		if (err == -EINTR)
			continue;
		if (err) {
			more = bench_fail(r, "run: %s", strerror(-err));
			break;
		}
		more = bench_exit_handle(r, &e);
	} while (more > 0);
	if (r->w->cpus > 1 && bench_ap_join(&ap, ap_thread, !more) && !more)
		more = bench_fail(r, "%s", ap.error);
	return more;
}

/* 256 MiB no process page backs yet, in 4 KiB pages: one fault each. */
static void *bench_fresh_memory(void)
{
	void *mem = mmap(NULL, BENCH_MEM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (mem == MAP_FAILED)
		return NULL;
	madvise(mem, BENCH_MEM_SIZE, MADV_NOHUGEPAGE);
	return mem;
}

/* Slot 0, and slot 1 when the workload wants fresh memory. */
static int bench_vm_memory(struct bench_hv *hv, struct bench_run *r,
			   void **fresh)
{
	int err;

	err = hv->vm_set_memory(hv, 0, 0, BENCH_LOW_SIZE, bench_low);
	if (err || !r->w->fresh_memory)
		return err;
	*fresh = bench_fresh_memory();
	if (!*fresh)
		return -ENOMEM;
	return hv->vm_set_memory(hv, 1, BENCH_MEM_GPA, BENCH_MEM_SIZE, *fresh);
}

/* A fresh VM, one run of the guest, the VM gone. */
static int bench_run_once(struct bench_hv *hv, struct bench_run *r)
{
	void *fresh = NULL;
	int err;

	err = hv->vm_create(hv, r->w->lapic, r->w->pv,
			    r->w->cpus ? r->w->cpus : 1, r->w->lm);
	if (err)
		return bench_fail(r, "cannot create a VM: %s", strerror(-err));
	err = bench_vm_memory(hv, r, &fresh);
	if (err)
		bench_fail(r, "cannot give the VM memory: %s", strerror(-err));
	else
		err = bench_guest_run(hv, r);
	hv->vm_destroy(hv);
	if (fresh)
		munmap(fresh, BENCH_MEM_SIZE);
	return err ? -1 : 0;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median, minimum and maximum of @n values (reorders @v). */
struct bench_stats {
	uint64_t median;
	uint64_t min;
	uint64_t max;
};

static void bench_stats(uint64_t *v, unsigned int n, struct bench_stats *s)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	s->min = v[0];
	s->max = v[n - 1];
	s->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2] + 1) / 2;
}

/* Cycles per iteration, rounded to the nearest. */
static unsigned long long bench_per_iter(uint64_t cycles, uint32_t iters)
{
	return (cycles + iters / 2) / iters;
}

/* Seconds of CLOCK_MONOTONIC: in Bochs, emulated time. */
static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench_workload(struct bench_hv *hv, const struct bench_workload *w,
			  const struct bench_options *o)
{
	double t0 = bench_now();
	uint32_t iters = o->quick ? BENCH_QUICK_ITERS : w->iterations;
	unsigned int reps = o->reps ? o->reps : w->reps ? w->reps : BENCH_REPS;
	uint64_t cycles[BENCH_MAX_REPS];
	struct bench_stats s;
	struct bench_run r;
	unsigned int i;

	printf("# %s: %s; %u iterations, %u repetition%s\n", w->name,
	       w->what, iters, reps, reps > 1 ? "s" : "");
	fflush(stdout);
	for (i = 0; i < reps; i++) {
		r = (struct bench_run) { .w = w, .iterations = iters };
		if (bench_run_once(hv, &r)) {
			printf("# FAILED: %s %s (repetition %u): %s\n",
			       hv->name, w->name, i + 1, r.error);
			return -1;
		}
		cycles[i] = r.tsc_delta;
	}
	bench_stats(cycles, reps, &s);
	printf("bench %s %s %llu %llu %llu %u\n", hv->name, w->name,
	       bench_per_iter(s.median, iters), bench_per_iter(s.min, iters),
	       bench_per_iter(s.max, iters), iters);
	printf("# %s: %.2f s\n", w->name, bench_now() - t0);
	fflush(stdout);
	return 0;
}

static void bench_usage(const char *name)
{
	unsigned int i;

	printf("Usage: bench_%s [--quick] [--reps N] [WORKLOAD...]\n"
	       "Runs guest workloads on %s and prints, per workload, guest TSC\n"
	       "cycles per iteration (Bochs: emulated instructions):\n"
	       "  bench %s WORKLOAD MEDIAN MIN MAX ITERATIONS\n"
	       "  --quick   %u iterations, one repetition (a smoke test)\n"
	       "  --reps N  repetitions, 1..%u (default %u; memory 3)\n"
	       "Workloads (default: all):",
	       name, name, name, BENCH_QUICK_ITERS, BENCH_MAX_REPS,
	       BENCH_REPS);
	for (i = 0; i < ARRAY_SIZE(bench_workloads); i++)
		printf(" %s", bench_workloads[i].name);
	printf("\nExit status: 0 all ran, %d a workload failed, %d unusable\n",
	       BENCH_EXIT_FAILED, BENCH_EXIT_UNUSABLE);
}

static int bench_select(struct bench_options *o, const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bench_workloads); i++) {
		if (!strcmp(bench_workloads[i].name, name)) {
			o->selected[i] = true;
			return 0;
		}
	}
	return -1;
}

static __printf(2, 3) int bench_bad_usage(const char *name, const char *fmt,
					   ...)
{
	va_list ap;

	fprintf(stderr, "bench_%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/* Returns 0, 1 for --help, or -1 after printing what is wrong. */
static int bench_parse(const char *name, int argc, char **argv,
		       struct bench_options *o)
{
	long reps = -1;
	bool any = false;
	unsigned int i;
	int a;

	*o = (struct bench_options) { 0 };
	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h"))
			return 1;
		if (!strcmp(argv[a], "--quick"))
			o->quick = true;
		else if (!strcmp(argv[a], "--reps") && a + 1 < argc)
			reps = strtol(argv[++a], NULL, 10);
		else if (!bench_select(o, argv[a]))
			any = true;
		else
			return bench_bad_usage(name, "unknown option or workload '%s' (see --help)",
					       argv[a]);
	}
	if (reps != -1 && (reps < 1 || reps > BENCH_MAX_REPS))
		return bench_bad_usage(name, "--reps must be 1..%u",
				       BENCH_MAX_REPS);
	if (reps != -1)
		o->reps = reps;
	else if (o->quick)
		o->reps = 1;
	for (i = 0; !any && i < ARRAY_SIZE(o->selected); i++)
		o->selected[i] = true;
	return 0;
}

/* Slot 0 with the guest code at BENCH_CODE_GPA. */
static int bench_low_init(void)
{
	size_t len = bench_guest_end - bench_guest_start;

	/* All code in one page: no code fetch faults in while timed. */
	if (BENCH_CODE_GPA % BENCH_PAGE_SIZE + len > BENCH_PAGE_SIZE)
		return -E2BIG;
	bench_low = mmap(NULL, BENCH_LOW_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (bench_low == MAP_FAILED)
		return -ENOMEM;
	memcpy((char *)bench_low + BENCH_CODE_GPA, bench_guest_start, len);
	return 0;
}

int bench_main(struct bench_hv *hv, int argc, char **argv)
{
	struct sigaction sa = { .sa_flags = 0 };
	struct bench_options o;
	unsigned int i, ran = 0, failed = 0;
	char err[256] = "";
	int r;

	r = bench_parse(hv->name, argc, argv, &o);
	if (r > 0)
		bench_usage(hv->name);
	if (r)
		return r > 0 ? 0 : BENCH_EXIT_UNUSABLE;
	/* SIGUSR1 interrupts a vCPU's run: no SA_RESTART (bench_ap_join()). */
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = bench_sig_nop;
	sigaction(SIGUSR1, &sa, NULL);
	r = bench_low_init();
	if (!r)
		r = hv->open(hv, err, sizeof(err));
	if (r) {
		printf("bench_%s: %s\n", hv->name, err[0] ? err : strerror(-r));
		return BENCH_EXIT_UNUSABLE;
	}
	printf("# bench_%s: guest TSC cycles per iteration (Bochs: emulated instructions)\n",
	       hv->name);
	printf("# bench HYPERVISOR WORKLOAD MEDIAN MIN MAX ITERATIONS\n");
	for (i = 0; i < ARRAY_SIZE(bench_workloads); i++) {
		if (!o.selected[i])
			continue;
		if (bench_workload(hv, &bench_workloads[i], &o))
			failed++;
		else
			ran++;
	}
	printf("# bench_%s: %u workloads ran, %u failed\n", hv->name, ran,
	       failed);
	return failed ? BENCH_EXIT_FAILED : 0;
}
