// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: a vCPU's run state with an in-kernel APIC (VESSEL_VM_LAPIC) -
 * runnable, halted (HLT) or waiting for a SIPI after INIT - and the sleep
 * of its thread while it may not run.
 *
 * HLT exits in the kernel and the thread sleeps before the next entry
 * (vessel_vcpu_wait_runnable(), from the APIC's part of each entry) until
 * what ends the halt arrives: an interrupt the guest can take, an NMI, a
 * paravirtual kick.  INIT and SIPI are messages to the APIC (irq/lapic.c),
 * which hands them here.  Without an in-kernel APIC, HLT goes to userspace
 * instead and none of this is used.
 */
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "irq/lapic.h"
#include "vcpu.h"

static unsigned int halt_poll_ns;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns,
		 "spin this long (ns, at most 1 ms) before a halted vCPU sleeps (default 0)");

/* The BSP starts runnable, application processors wait for a SIPI. */
void vessel_vcpu_halt_init(struct vessel_vcpu *vcpu)
{
	init_waitqueue_head(&vcpu->halt_wq);
	vcpu->mp_state = vcpu->id == 0 ? VESSEL_MP_STATE_RUNNABLE :
					 VESSEL_MP_STATE_WAIT_SIPI;
}

/* HLT exits in the kernel: the thread sleeps in vessel_vcpu_wait_runnable(). */
int vessel_vcpu_halt(struct vessel_vcpu *vcpu)
{
	vcpu->halt_if = vessel_vmx_guest_rflags(vcpu) & X86_EFLAGS_IF;
	vcpu->mp_state = VESSEL_MP_STATE_HALTED;
	return 1;
}

/* INIT (SDM 9.1.1): reset; APs then wait for a SIPI, the BSP starts over. */
void vessel_vcpu_init_received(struct vessel_vcpu *vcpu, bool bsp)
{
	vessel_state_reset(vcpu);
	/* As KVM's reset: no pending kick. */
	vcpu->pv_unhalt = false;
	vcpu->mp_state = bsp ? VESSEL_MP_STATE_RUNNABLE : VESSEL_MP_STATE_WAIT_SIPI;
}

/* SIPI: real mode at vector << 12 (SDM 9.4.4.1), once, after INIT. */
void vessel_vcpu_sipi_received(struct vessel_vcpu *vcpu, u8 vector)
{
	if (vcpu->mp_state != VESSEL_MP_STATE_WAIT_SIPI)
		return;
	vessel_state_sipi(vcpu, vector);
	vcpu->mp_state = VESSEL_MP_STATE_RUNNABLE;
}

/*
 * What ends the sleep of a halted vCPU's thread: news from the APIC, or
 * RUN must return.  Not every request: a preemption's PV_RESYNC is for the
 * entry, and would keep a halted vCPU spinning.
 */
#define HALT_WAKE_REQUESTS	(BIT(VESSEL_REQ_EVENT) | BIT(VESSEL_REQ_KICK))

static bool halt_wake_wanted(struct vessel_vcpu *vcpu)
{
	return (READ_ONCE(vcpu->requests) & HALT_WAKE_REQUESTS) ||
	       READ_ONCE(vcpu->run->immediate_exit);
}

static bool halt_stop_wanted(struct vessel_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->immediate_exit) ||
	       vessel_test_request(vcpu, VESSEL_REQ_KICK) ||
	       signal_pending(current);
}

/* What ends HLT: an NMI, or an interrupt the guest can take (IF set). */
static bool halt_wakes(struct vessel_vcpu *vcpu)
{
	/* A paravirtual kick wakes it whatever IF (Linux halts with IF=0). */
	if (vcpu->ev.nmi_pending || vcpu->ev.exception_pending ||
	    READ_ONCE(vcpu->pv_unhalt))
		return true;
	return vcpu->halt_if && (vcpu->ev.irq_pending || vessel_lapic_has_irq(vcpu));
}

static void halt_block(struct vessel_vcpu *vcpu)
{
	unsigned int poll = min_t(unsigned int, READ_ONCE(halt_poll_ns), NSEC_PER_MSEC);

	/* Asleep, the thread cannot watch the APIC's deadline: the hrtimer does. */
	vessel_lapic_hv_sleep(vcpu);
	if (poll) {
		ktime_t end = ktime_add_ns(ktime_get(), poll);

		do {
			if (halt_wake_wanted(vcpu) || signal_pending(current))
				return;
			cpu_relax();
		} while (ktime_before(ktime_get(), end));
	}
	/* A signal ends the wait too; the caller sees it pending. */
	wait_event_interruptible(vcpu->halt_wq, halt_wake_wanted(vcpu));
}

/**
 * __vessel_vcpu_wait_runnable() - a vCPU that is not runnable, before entry
 * @vcpu:	halted or waiting for SIPI; loaded, preemptible
 *
 * A halted vCPU whose halt ends becomes runnable; otherwise its thread
 * sleeps until something happens.  Return: 1 runnable; 0 after a sleep
 * (look at the APIC's events again); -EINTR when RUN must return for a
 * signal, kick or immediate_exit.
 */
int __vessel_vcpu_wait_runnable(struct vessel_vcpu *vcpu)
{
	if (vcpu->mp_state == VESSEL_MP_STATE_HALTED && halt_wakes(vcpu)) {
		vcpu->mp_state = VESSEL_MP_STATE_RUNNABLE;
		/* A kick is used up by the HLT it ends, as in KVM. */
		WRITE_ONCE(vcpu->pv_unhalt, false);
		return 1;
	}
	if (halt_stop_wanted(vcpu))
		return -EINTR;
	halt_block(vcpu);
	return 0;
}

/* vessel_vcpu_wake(): wake the thread if asleep in HLT; whether it was. */
bool vessel_vcpu_wake_halted(struct vessel_vcpu *vcpu)
{
	/* wq_has_sleeper() orders the caller's request bits before the check. */
	if (!wq_has_sleeper(&vcpu->halt_wq))
		return false;
	wake_up_interruptible(&vcpu->halt_wq);
	return true;
}

/*
 * Asleep in HLT (or waiting for SIPI) with no kick to end it: yielding to
 * it helps no one.
 */
bool vessel_vcpu_halted(struct vessel_vcpu *vcpu)
{
	return vcpu->lapic &&
	       READ_ONCE(vcpu->mp_state) != VESSEL_MP_STATE_RUNNABLE &&
	       !READ_ONCE(vcpu->pv_unhalt);
}

/*
 * A paravirtual kick (KVM_HC_KICK_CPU): the current HLT, or the next one,
 * ends at once, so that a spinlock waiter kicked just before it halts does
 * not sleep.
 */
void vessel_vcpu_kick_halt(struct vessel_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->pv_unhalt, true);
	/* The flag before the event bit the wake-up looks at. */
	smp_mb__before_atomic();
	vessel_make_request(vcpu, VESSEL_REQ_EVENT);
	vessel_vcpu_wake(vcpu);
}

/*
 * A kick still to use up, for the provider's state: a vCPU halted when
 * kicked has none left over, as VESSEL_GET_MP_STATE calls it runnable.
 * Between exits, with the vCPU's run_lock held.
 */
bool vessel_vcpu_pv_unhalt_get(struct vessel_vcpu *vcpu)
{
	return READ_ONCE(vcpu->pv_unhalt) &&
	       vcpu->mp_state != VESSEL_MP_STATE_HALTED;
}

/* Its next HLT then ends at once (__vessel_vcpu_wait_runnable()). */
void vessel_vcpu_pv_unhalt_set(struct vessel_vcpu *vcpu, bool kicked)
{
	WRITE_ONCE(vcpu->pv_unhalt, kicked);
}

/* VESSEL_GET_MP_STATE: -EFAULT, -EINVAL (flags), -ENXIO. */
long vessel_vcpu_get_mp_state(struct vessel_vcpu *vcpu,
			      struct vessel_mp_state __user *uarg)
{
	struct vessel_mp_state m;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if (m.flags || memchr_inv(m.reserved, 0, sizeof(m.reserved)))
		return -EINVAL;
	if (!vcpu->lapic)
		return -ENXIO;
	m.mp_state = vcpu->mp_state;
	/* A kicked vCPU leaves HLT on its next entry: it is runnable (KVM). */
	if (m.mp_state == VESSEL_MP_STATE_HALTED && READ_ONCE(vcpu->pv_unhalt))
		m.mp_state = VESSEL_MP_STATE_RUNNABLE;
	return copy_to_user(uarg, &m, sizeof(m)) ? -EFAULT : 0;
}

/* VESSEL_SET_MP_STATE: -EFAULT, -EINVAL (flags, reserved, state), -ENXIO. */
long vessel_vcpu_set_mp_state(struct vessel_vcpu *vcpu,
			      const struct vessel_mp_state __user *uarg)
{
	struct vessel_mp_state m;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if (m.flags || memchr_inv(m.reserved, 0, sizeof(m.reserved)) ||
	    m.mp_state > VESSEL_MP_STATE_WAIT_SIPI)
		return -EINVAL;
	if (!vcpu->lapic)
		return -ENXIO;
	if (m.mp_state == VESSEL_MP_STATE_HALTED) {
		int r = vessel_vcpu_load(vcpu);

		if (!r)
			vcpu->halt_if = vessel_vmx_guest_rflags(vcpu) & X86_EFLAGS_IF;
		vessel_vcpu_put(vcpu);
		if (r)
			return r;
	}
	vcpu->mp_state = m.mp_state;
	return 0;
}
