/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: where an exit's instructions go, for a debug build only.
 *
 * Built with VESSEL_EXIT_STAGES=1 (make kmod VESSEL_EXIT_STAGES=1, or
 * scripts/exit-stages), the run loop reads the TSC at the boundaries of the
 * stages of one round trip through the hypervisor, adds each stage's share
 * to the exit reason that started the trip, and
 * /sys/kernel/debug/vessel/exit_stages prints the averages per reason
 * (writing to it clears them).  In Bochs the TSC counts instructions, so
 * the figures are the instructions each stage runs.  Without the option
 * every hook below is empty: the normal module carries none of it.
 *
 * One round trip, from a VM exit to the next:
 *
 *	exit		after VMLAUNCH/VMRESUME returns: the state switched
 *			back, the exit read, IRQs and preemption on again
 *	fast		the fast path's handler (IRQs still off), when it ran
 *	dispatch	the exit table
 *	handler		the handler itself
 *	run_leave	RUN returns to userspace (an exit userspace handles)
 *	user		syscall return, the VMM, the next RUN's syscall entry
 *	run_enter	RUN starts: load, complete the last exit, host state
 *	loop		back in the run loop: cond_resched(), stop checks
 *	pv		the paravirtual provider's entry hook
 *	lapic		the local APIC's work before entry
 *	events		host state updates, event injection
 *	checks		IRQs off, the last look at requests, the FPU, XCR0,
 *			CR2, debug registers
 *	guest		VM entry, the guest's own instructions, VM exit
 */
#ifndef VESSEL_EXIT_STAGES_H
#define VESSEL_EXIT_STAGES_H

#include <linux/types.h>

struct vessel_vcpu;

enum vessel_stage {
	VESSEL_STAGE_EXIT,
	VESSEL_STAGE_FAST,
	VESSEL_STAGE_DISPATCH,
	VESSEL_STAGE_HANDLER,
	VESSEL_STAGE_RUN_LEAVE,
	VESSEL_STAGE_USER,
	VESSEL_STAGE_RUN_ENTER,
	VESSEL_STAGE_LOOP,
	VESSEL_STAGE_PV,
	VESSEL_STAGE_LAPIC,
	VESSEL_STAGE_EVENTS,
	VESSEL_STAGE_CHECKS,
	VESSEL_STAGE_GUEST,
	VESSEL_NR_STAGES
};

#ifdef VESSEL_EXIT_STAGES

#include <asm/msr.h>
#include <vessel.h>

/*
 * Row 0 of @sum also collects what comes before the first exit, which no
 * trip counts: reason 0 (an exception or NMI) is never a timed one.
 */
struct vessel_exit_stages {
	u64 last;			/* TSC at the last boundary, 0: none */
	u64 *row;			/* @sum of the trip being measured */
	u64 sum[VESSEL_NR_VMX_EXIT_REASONS][VESSEL_NR_STAGES];
	u64 trips[VESSEL_NR_VMX_EXIT_REASONS];
};

/*
 * The stage that ends here.  A handful of instructions, which the stage
 * ending here pays (Documentation/performance.rst measures them).
 */
#define vessel_stage(vcpu, s)	__vessel_stage(&(vcpu)->stages, (s))

static __always_inline void __vessel_stage(struct vessel_exit_stages *st,
					   enum vessel_stage s)
{
	u64 t = rdtsc();

	st->row[s] += t - st->last;
	st->last = t;
}

/* A VM exit with basic reason @reason: the last trip ends, one begins. */
static __always_inline void __vessel_stage_exit(struct vessel_exit_stages *st,
						u32 reason)
{
	if (reason >= VESSEL_NR_VMX_EXIT_REASONS)
		reason = 0;
	st->row = st->sum[reason];
	st->trips[reason]++;
}

#define vessel_stage_exit(vcpu, r)	__vessel_stage_exit(&(vcpu)->stages, (r))
/* A new vCPU: no trip yet. */
void vessel_stages_init(struct vessel_vcpu *vcpu);
/* The vCPU goes away: its sums join the module's. */
void vessel_stages_fold(struct vessel_vcpu *vcpu);
void vessel_exit_stages_init(void);

#else

#define vessel_stage(vcpu, s)		((void)(s))
#define vessel_stage_exit(vcpu, reason)	do { } while (0)
#define vessel_stages_init(vcpu)	do { } while (0)
#define vessel_stages_fold(vcpu)	do { } while (0)
#define vessel_exit_stages_init()	do { } while (0)

#endif /* VESSEL_EXIT_STAGES */

#endif /* VESSEL_EXIT_STAGES_H */
