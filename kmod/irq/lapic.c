// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the in-kernel local APIC (SDM Vol. 3A ch. 11 "Advanced
 * Programmable Interrupt Controller"), one per vCPU of a VM created with
 * VESSEL_VM_LAPIC.
 *
 * Registers live in one page at their xAPIC offsets, in both modes.  The
 * guest reaches them through MMIO at IA32_APIC_BASE (decoded in the kernel:
 * io.c hands the decoded access here before any exit to userspace) or, in
 * x2APIC mode, through MSRs 0x800-0x8ff (msr.c).  With the TPR shadow the
 * same page is the virtual-APIC page, so CR8 needs no exit.
 *
 * Anyone (another vCPU's IPI, VESSEL_SIGNAL_MSI, the timer's hrtimer) may
 * set IRR/TMR bits atomically and post LAPIC_REQ_* bits, each with the
 * vCPU's VESSEL_REQ_EVENT request (internal.h); the vCPU's own thread
 * consumes them before each entry, where it also sleeps while the guest
 * is halted or waits for a SIPI (halt.c, which INIT and SIPI are handed
 * to).  Acceptance (IRR -> ISR) happens in events.c's injection, when
 * the guest can take an interrupt.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/apicdef.h>
#include <asm/kvm_para.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>
#include <asm/vmx.h>

#include "irq/lapic.h"
#include "mmu/mem.h"
#include "timemath.h"
#include "vcpu.h"

/* Version 0x14 (integrated xAPIC), max LVT entry 5: no CMCI, no EOI suppression. */
#define LAPIC_VERSION		0x00050014
/*
 * The timer's input clock (internal.h, shared with the paravirtual leaves
 * that report it): one tick is a nanosecond before the divider, which the
 * timer arithmetic here relies on.
 */
#define LAPIC_TIMER_HZ		(VESSEL_APIC_TIMER_KHZ * 1000ULL)
static_assert(LAPIC_TIMER_HZ == NSEC_PER_SEC);
/* So the longest count is 2^32-1 ticks at divide-by-128, in ns. */
static_assert(VESSEL_LAPIC_MAX_TIMER_NS == (u64)U32_MAX * 128);

#define LVT_TIMER_MODE_MASK	(3U << 17)
#define LVT_TIMER_BITS		(APIC_VECTOR_MASK | APIC_LVT_MASKED | LVT_TIMER_MODE_MASK)
#define LVT_LINT_BITS		0x1a7ffU	/* vector, mode, polarity, trigger, mask */
#define LVT_MISC_BITS		0x107ffU	/* thermal, perf: vector, mode, mask */
#define LVT_ERR_BITS		0x100ffU
#define SVR_BITS		0x3ffU		/* vector, enable, focus */
#define ICR_BITS		0xccfffU	/* without delivery status */
#define TDCR_BITS		0xbU

enum lapic_mode { LAPIC_DISABLED, LAPIC_XAPIC, LAPIC_X2APIC, LAPIC_INVALID };

static const u32 lvt_offsets[] = {
	APIC_LVTT, APIC_LVTTHMR, APIC_LVTPC, APIC_LVT0, APIC_LVT1, APIC_LVTERR,
};

/* ------------------------------------------------------------ registers */

static u32 reg_get(const struct vessel_lapic *l, u32 off)
{
	return READ_ONCE(*(u32 *)(l->regs + off));
}

static void reg_set(struct vessel_lapic *l, u32 off, u32 val)
{
	WRITE_ONCE(*(u32 *)(l->regs + off), val);
}

/*
 * IRR, ISR and TMR: eight 32-bit words 16 bytes apart.  The word and the
 * 4 bytes after it form an aligned long, so the bitops work on it.
 */
static unsigned long *vec_word(struct vessel_lapic *l, u32 base, u8 vec)
{
	return (unsigned long *)(l->regs + base + (vec >> 5) * 0x10);
}

static int vec_highest(const struct vessel_lapic *l, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = reg_get(l, base + i * 0x10);

		if (w)
			return i * 32 + fls(w) - 1;
	}
	return -1;
}

static enum lapic_mode base_mode(u64 base)
{
	if (!(base & MSR_IA32_APICBASE_ENABLE))
		return (base & X2APIC_ENABLE) ? LAPIC_INVALID : LAPIC_DISABLED;
	return (base & X2APIC_ENABLE) ? LAPIC_X2APIC : LAPIC_XAPIC;
}

static bool lapic_x2apic(const struct vessel_lapic *l)
{
	return base_mode(l->base) == LAPIC_X2APIC;
}

static bool lapic_hw_enabled(const struct vessel_lapic *l)
{
	return l->base & MSR_IA32_APICBASE_ENABLE;
}

/* Hardware and software enabled: fixed interrupts are accepted (SDM 11.4.7). */
static bool lapic_enabled(const struct vessel_lapic *l)
{
	return lapic_hw_enabled(l) && (reg_get(l, APIC_SPIV) & APIC_SPIV_APIC_ENABLED);
}

static u32 lapic_xapic_id(const struct vessel_lapic *l)
{
	return reg_get(l, APIC_ID) >> 24;
}

/* PPR: the higher class of TPR and of the highest in-service vector (11.8.3.1). */
static u32 lapic_update_ppr(struct vessel_lapic *l)
{
	u32 tpr = reg_get(l, APIC_TASKPRI) & 0xff;
	int isrv = l->isr_top;
	u32 ppr;

	if (isrv < 0)
		isrv = 0;
	ppr = (tpr >> 4) >= ((u32)isrv >> 4) ? tpr : (u32)isrv & 0xf0;
	reg_set(l, APIC_PROCPRI, ppr);
	return ppr;
}

/* The vector the APIC would present to the CPU now, or -1 (11.8.3). */
static int lapic_deliverable(struct vessel_lapic *l)
{
	int irr;

	if (!lapic_enabled(l))
		return -1;
	irr = vec_highest(l, APIC_IRR);
	if (irr < 0 || ((u32)irr & 0xf0) <= (lapic_update_ppr(l) & 0xf0))
		return -1;
	return irr;
}

/* Power-up state of the registers (11.4.7.1); ID and IA32_APIC_BASE stay. */
static void lapic_reset_regs(struct vessel_lapic *l)
{
	struct vessel_vcpu *vcpu = l->vcpu;
	unsigned int i;

	hrtimer_cancel(&l->timer);
	atomic_set(&l->timer_fired, 0);
	l->tsc_deadline = 0;
	l->period_ns = 0;
	memset(l->regs, 0, PAGE_SIZE);
	l->isr_top = -1;
	reg_set(l, APIC_ID, vcpu->id << 24);
	reg_set(l, APIC_LVR, LAPIC_VERSION);
	reg_set(l, APIC_DFR, APIC_DFR_FLAT);
	reg_set(l, APIC_SPIV, 0xff);
	for (i = 0; i < ARRAY_SIZE(lvt_offsets); i++)
		reg_set(l, lvt_offsets[i], APIC_LVT_MASKED);
	l->esr_pending = 0;
	l->eoi_exit = -1;
	if (lapic_x2apic(l)) {
		/* x2APIC ID and LDR are fixed by the APIC ID (11.12.10.2). */
		reg_set(l, APIC_ID, vcpu->id);
		reg_set(l, APIC_LDR, ((vcpu->id >> 4) << 16) | (1U << (vcpu->id & 0xf)));
	}
}

/* ------------------------------------------------------------ wake-ups */

/* News in IRR, ExtINT or the timer: the vCPU's thread looks before entry. */
static void lapic_post_event(struct vessel_vcpu *vcpu)
{
	vessel_make_request(vcpu, VESSEL_REQ_EVENT);
	vessel_vcpu_wake(vcpu);
}

/* A LAPIC_REQ_* @req, with the event that makes the thread look at it. */
static void lapic_post(struct vessel_vcpu *vcpu, unsigned int req)
{
	set_bit(req, &vcpu->lapic->req);
	/* Before the event: lapic_process() reads @req after consuming it. */
	smp_mb__before_atomic();
	lapic_post_event(vcpu);
}

/* ---------------------------------------------------------- acceptance */

/*
 * A bit was just set in IRR or @extint: irr_pending after it, so that the
 * vCPU's thread, which clears irr_pending before it looks at both, either
 * finds the bit or sees irr_pending set again (lapic_irr_empty()).
 */
static void lapic_irr_posted(struct vessel_lapic *l)
{
	/* The bit before irr_pending: pairs with the smp_mb() there. */
	smp_mb__after_atomic();
	WRITE_ONCE(l->irr_pending, true);
}

/* Four words or'ed inline: bitmap_empty() would call out for 256 bits. */
static bool lapic_extint_pending(const struct vessel_lapic *l)
{
	unsigned long any = 0;
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(256); i++)
		any |= l->extint[i];
	return any;
}

/*
 * The vCPU's thread: whether IRR and @extint are both empty, without a
 * look at either when irr_pending says so.  Clears irr_pending when they
 * are found empty.
 */
static bool lapic_irr_empty(struct vessel_lapic *l)
{
	if (!READ_ONCE(l->irr_pending))
		return true;
	WRITE_ONCE(l->irr_pending, false);
	/* The clear before the look: pairs with lapic_irr_posted(). */
	smp_mb();
	if (vec_highest(l, APIC_IRR) < 0 && !lapic_extint_pending(l))
		return true;
	WRITE_ONCE(l->irr_pending, true);
	return false;
}

static void lapic_set_irr(struct vessel_vcpu *vcpu, u8 vec, bool level)
{
	struct vessel_lapic *l = vcpu->lapic;

	if (level)
		set_bit(vec & 31, vec_word(l, APIC_TMR, vec));
	else
		clear_bit(vec & 31, vec_word(l, APIC_TMR, vec));
	set_bit(vec & 31, vec_word(l, APIC_IRR, vec));
	lapic_irr_posted(l);
	lapic_post_event(vcpu);
}

/*
 * Whether an ExtINT message (the 8259's INTR) reaches the CPU: through
 * LINT0 unmasked in ExtINT mode (virtual-wire mode, MP spec 3.6.2.2), or
 * straight to the CPU when the APIC is hardware-disabled (SDM 11.4.3).
 * A software-disabled APIC forces LINT0 masked (11.4.7.2), which blocks it.
 */
static bool lapic_takes_extint(const struct vessel_lapic *l)
{
	u32 lvt0 = reg_get(l, APIC_LVT0);

	return !lapic_hw_enabled(l) ||
	       (lvt0 & (APIC_LVT_MASKED | APIC_MODE_MASK)) == APIC_DM_EXTINT;
}

/*
 * An interrupt message arrives at @vcpu's APIC (11.6.1 delivery modes).
 * Returns false only for an ExtINT the APIC does not pass on.
 */
static bool lapic_accept(struct vessel_vcpu *vcpu, u32 mode, u8 vec, bool level)
{
	struct vessel_lapic *l = vcpu->lapic;

	/*
	 * The vector was fixed by the PIC's INTA cycle (userspace), and the
	 * APIC only forwards it: no IRR, ISR, PPR or EOI (SDM 11.5.1 ExtINT).
	 */
	if (mode == APIC_DM_EXTINT) {
		if (!lapic_takes_extint(l))
			return false;
		set_bit(vec, l->extint);
		lapic_irr_posted(l);
		lapic_post_event(vcpu);
		return true;
	}
	if (!lapic_hw_enabled(l))
		return true;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		/* A software-disabled APIC takes no fixed interrupts (11.4.7.2). */
		if (lapic_enabled(l) && vec >= 16)
			lapic_set_irr(vcpu, vec, level);
		break;
	case APIC_DM_NMI:
		lapic_post(vcpu, LAPIC_REQ_NMI);
		break;
	case APIC_DM_INIT:
		lapic_post(vcpu, LAPIC_REQ_INIT);
		break;
	case APIC_DM_STARTUP:
		WRITE_ONCE(l->sipi_vector, vec);
		/* The vector before the bit: pairs with test_and_clear_bit(). */
		smp_mb__before_atomic();
		lapic_post(vcpu, LAPIC_REQ_SIPI);
		break;
	}
	return true;
}

/* Whether @dest (physical or logical) names @l (11.6.2). */
static bool lapic_match(struct vessel_lapic *l, u32 dest, u32 bcast, bool logical)
{
	u32 ldr;

	if (dest == bcast)
		return true;
	if (!logical)
		return lapic_x2apic(l) ? dest == l->vcpu->id :
					 dest == lapic_xapic_id(l);
	ldr = reg_get(l, APIC_LDR);
	if (lapic_x2apic(l))
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	dest &= 0xff;
	ldr >>= 24;
	if ((reg_get(l, APIC_DFR) >> 28) == 0xf)	/* flat */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);	/* cluster */
}

#define SH_NONE		0
#define SH_SELF		1
#define SH_ALL		2
#define SH_OTHERS	3

/*
 * Send an interrupt message to every APIC it names.  vm->lock keeps the
 * targets alive (vCPU release takes it before freeing).  Lowest priority
 * goes to the matching APIC with the lowest TPR.  Returns how many APICs
 * got it.  To itself (the SELF shorthand) no lock: the sender is alive,
 * and such an IPI can be sent from the fast path.
 */
static int lapic_send(struct vessel_vm *vm, struct vessel_vcpu *src,
		      u32 shorthand, u32 dest, u32 bcast, bool logical,
		      u32 mode, u8 vec, bool level)
{
	struct vessel_vcpu *best = NULL;
	unsigned int i;
	int n = 0;

	if (shorthand == SH_SELF)
		return src->lapic ? lapic_accept(src, mode, vec, level) : 0;
	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++) {
		struct vessel_vcpu *t = vm->vcpus[i];
		bool match;

		if (!t || !t->lapic)
			continue;
		switch (shorthand) {
		case SH_SELF:
			match = t == src;
			break;
		case SH_ALL:
			match = true;
			break;
		case SH_OTHERS:
			match = t != src;
			break;
		default:
			match = lapic_match(t->lapic, dest, bcast, logical);
			break;
		}
		if (!match)
			continue;
		if (mode == APIC_DM_LOWEST && shorthand == SH_NONE) {
			if (!best || (reg_get(t->lapic, APIC_TASKPRI) & 0xff) <
				     (reg_get(best->lapic, APIC_TASKPRI) & 0xff))
				best = t;
			continue;
		}
		n += lapic_accept(t, mode, vec, level);
	}
	if (best)
		n += lapic_accept(best, mode, vec, level);
	mutex_unlock(&vm->lock);
	return n;
}

/* An error the APIC detected: latch it and raise the error LVT (11.5.3). */
static void lapic_error(struct vessel_vcpu *vcpu, u32 esr_bit)
{
	struct vessel_lapic *l = vcpu->lapic;
	u32 lvt = reg_get(l, APIC_LVTERR);

	l->esr_pending |= esr_bit;
	if (!(lvt & APIC_LVT_MASKED) && (lvt & 0xff) >= 16 && lapic_enabled(l))
		lapic_set_irr(vcpu, lvt & 0xff, false);
}

/* A write to ICR (low half): send the IPI (11.6.1). */
static void lapic_icr_send(struct vessel_vcpu *vcpu, u32 low, u32 high)
{
	struct vessel_lapic *l = vcpu->lapic;
	u32 mode = low & APIC_MODE_MASK, shorthand = (low >> 18) & 3;
	bool x2 = lapic_x2apic(l);
	u8 vec = low & APIC_VECTOR_MASK;

	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (vec < 16) {
			lapic_error(vcpu, APIC_ESR_SENDILL);
			return;
		}
		break;
	case APIC_DM_INIT:
		/* INIT level de-assert only synchronises arbitration IDs. */
		if ((low & APIC_INT_LEVELTRIG) && !(low & APIC_INT_ASSERT))
			return;
		break;
	case APIC_DM_NMI:
	case APIC_DM_STARTUP:
		break;
	default:	/* SMI, remote read; ExtINT is no IPI mode (11.6.1) */
		return;
	}
	lapic_send(vcpu->vm, vcpu, shorthand, x2 ? high : high >> 24,
		   x2 ? 0xffffffff : 0xff, low & APIC_DEST_LOGICAL, mode, vec,
		   false);
}

/* EOI: retire the highest in-service vector (11.8.5). */
static void lapic_eoi(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	int vec = l->isr_top;

	if (vec < 0)
		return;
	*(u32 *)(l->regs + APIC_ISR + (vec >> 5) * 0x10) &= ~BIT(vec & 31);
	l->isr_top = vec_highest(l, APIC_ISR);
	lapic_update_ppr(l);
	/* Level-triggered: a userspace IOAPIC must see it (VESSEL_EXIT_EOI). */
	if (test_bit(vec & 31, vec_word(l, APIC_TMR, vec)))
		l->eoi_exit = vec;
}

/* --------------------------------------------------------------- timer */

static u32 lapic_timer_mode(const struct vessel_lapic *l)
{
	return reg_get(l, APIC_LVTT) & LVT_TIMER_MODE_MASK;
}

static u32 lapic_divide(const struct vessel_lapic *l)
{
	u32 d = reg_get(l, APIC_TDCR);

	d = (d & 3) | ((d & 8) >> 1);
	return d == 7 ? 1 : 2U << d;
}

/*
 * The hrtimer's expiry for @ns from now.  Saturated, never in the past: a
 * timer restarted at or before now would fire again at once, forever, in
 * hard-IRQ context.
 */
static ktime_t lapic_expiry(u64 ns)
{
	return vessel_ktime_after_ns(ktime_get(), max(ns, 1ULL));
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct vessel_lapic *l = container_of(t, struct vessel_lapic, timer);
	u64 now = rdtsc();

	/*
	 * The clock ran ahead of the TSC: the guest must not see it early.
	 * A target of VESSEL_TIME_MAX (saturated) is never reached.
	 */
	if (now < l->target_tsc) {
		hrtimer_set_expires(t, lapic_expiry(vessel_tsc_to_ns(l->target_tsc - now,
								     tsc_khz)));
		return HRTIMER_RESTART;
	}
	atomic_inc(&l->timer_fired);
	lapic_post_event(l->vcpu);
	if (!l->period_ns)
		return HRTIMER_NORESTART;
	l->target_tsc = vessel_add_sat(now, l->period_tsc);
	hrtimer_forward_now(t, ns_to_ktime(l->period_ns));
	return HRTIMER_RESTART;
}

/* Arm for @ns from now; the timer must be stopped. */
static void lapic_timer_arm(struct vessel_lapic *l, u64 ns)
{
	l->target_tsc = vessel_add_sat(rdtsc(), vessel_ns_to_tsc(ns, tsc_khz));
	hrtimer_start(&l->timer, lapic_expiry(ns), HRTIMER_MODE_ABS_HARD);
}

static void lapic_timer_stop(struct vessel_lapic *l)
{
	l->hv_timer = false;
	hrtimer_cancel(&l->timer);
	atomic_set(&l->timer_fired, 0);
}

/* One-shot or periodic, from a TMICT write or a state load. */
static void lapic_timer_start(struct vessel_lapic *l, u64 first_ns)
{
	u64 ns = (u64)reg_get(l, APIC_TMICT) * lapic_divide(l);

	lapic_timer_stop(l);
	l->period_ns = 0;
	if (!ns)
		return;
	if (lapic_timer_mode(l) == APIC_LVT_TIMER_PERIODIC) {
		l->period_ns = max(ns, VESSEL_MIN_PERIOD_NS);
		l->period_tsc = vessel_ns_to_tsc(l->period_ns, tsc_khz);
	}
	lapic_timer_arm(l, first_ns ? first_ns : ns);
}

/*
 * TSC-deadline mode inside RUN (KVM's "hv timer"): a guest re-arms its
 * deadline at every clock event, and an hrtimer would cost a cancel and a
 * start each time.  While RUN runs, the deadline is watched instead by
 * the VMX-preemption timer, which the run loop programs before every entry
 * (vessel_lapic_hv_timer()) and whose exit looks at the TSC
 * (vessel_lapic_hv_expired()); the hrtimer takes over only when the thread
 * sleeps in HLT.  Between two RUNs no guest code runs: the next entry, or
 * GET_LAPIC, looks at the TSC.
 */
static bool lapic_hv_usable(struct vessel_vcpu *vcpu)
{
	return (vessel_vmx.flags & VESSEL_CAP_PREEMPTION_TIMER) &&
	       vcpu->run_active;
}

/* The deadline passed: expire it as the hrtimer's callback would. */
static void lapic_hv_fire(struct vessel_vcpu *vcpu)
{
	vcpu->lapic->hv_timer = false;
	atomic_inc(&vcpu->lapic->timer_fired);
	vessel_make_request(vcpu, VESSEL_REQ_EVENT);
}

bool vessel_lapic_hv_expired(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;

	if (!l || !l->hv_timer || rdtsc() < l->target_tsc)
		return false;
	lapic_hv_fire(vcpu);
	return true;
}

/*
 * The thread goes to sleep in HLT (halt.c), where it cannot watch the
 * deadline: the hrtimer does from now on.
 */
void vessel_lapic_hv_sleep(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	u64 now;

	if (!l || !l->hv_timer)
		return;
	now = rdtsc();
	if (now >= l->target_tsc) {
		lapic_hv_fire(vcpu);
		return;
	}
	l->hv_timer = false;
	hrtimer_start(&l->timer,
		      lapic_expiry(vessel_tsc_to_ns(l->target_tsc - now, tsc_khz)),
		      HRTIMER_MODE_ABS_HARD);
}

/*
 * IA32_TSC_DEADLINE (11.5.4.1): the timer fires when the guest TSC is at
 * or past the deadline, an unsigned comparison as the CPU makes it, so a
 * deadline at or below the TSC fires at once and any later one waits,
 * however far (one beyond the host timer's range never fires).  Looked at
 * again on the next entry after the guest TSC moved.
 */
static void lapic_deadline_set(struct vessel_vcpu *vcpu, u64 deadline)
{
	struct vessel_lapic *l = vcpu->lapic;
	u64 now, guest_now, ticks;

	/* Watched by the VMX-preemption timer: no hrtimer to cancel. */
	if (l->hv_timer) {
		l->hv_timer = false;
		atomic_set(&l->timer_fired, 0);
	} else {
		lapic_timer_stop(l);
	}
	l->period_ns = 0;
	l->tsc_deadline = deadline;
	if (!deadline)
		return;
	l->deadline_offset = READ_ONCE(vcpu->vm->tsc_offset);
	now = rdtsc();
	guest_now = now + l->deadline_offset;
	if (deadline <= guest_now) {
		atomic_inc(&l->timer_fired);
		lapic_post_event(vcpu);
		return;
	}
	/* The host TSC runs at the guest's rate (no scaling). */
	ticks = deadline - guest_now;
	l->target_tsc = vessel_add_sat(now, ticks);
	if (lapic_hv_usable(vcpu)) {
		l->hv_timer = true;
		return;
	}
	hrtimer_start(&l->timer, lapic_expiry(vessel_tsc_to_ns(ticks, tsc_khz)),
		      HRTIMER_MODE_ABS_HARD);
}

/* Nanoseconds to the next expiry of a running one-shot/periodic timer. */
static u64 lapic_timer_remaining(struct vessel_lapic *l)
{
	s64 ns;

	if (lapic_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE ||
	    !hrtimer_active(&l->timer))
		return 0;
	ns = ktime_to_ns(hrtimer_get_remaining(&l->timer));
	return ns > 0 ? ns : 1;
}

static u32 lapic_tmcct(struct vessel_lapic *l)
{
	u64 ticks = lapic_timer_remaining(l) / lapic_divide(l);

	return min_t(u64, ticks, reg_get(l, APIC_TMICT));
}

/* Expiries become interrupts in the vCPU's thread. */
static void lapic_timer_deliver(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	u32 lvt;

	vessel_lapic_hv_expired(vcpu);
	if (!atomic_xchg(&l->timer_fired, 0))
		return;
	lvt = reg_get(l, APIC_LVTT);
	if (lapic_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE)
		l->tsc_deadline = 0;
	if (!(lvt & APIC_LVT_MASKED) && lapic_enabled(l) && (lvt & 0xff) >= 16)
		lapic_set_irr(vcpu, lvt & 0xff, false);
}

static void lapic_lvtt_write(struct vessel_lapic *l, u32 val)
{
	u32 old = lapic_timer_mode(l), mode = val & LVT_TIMER_MODE_MASK;
	u64 rem;

	if (mode == LVT_TIMER_MODE_MASK)	/* reserved: keep the old mode */
		val = (val & ~LVT_TIMER_MODE_MASK) | old;
	reg_set(l, APIC_LVTT, val & LVT_TIMER_BITS);
	mode = lapic_timer_mode(l);
	if (mode == old)
		return;
	if (old == APIC_LVT_TIMER_TSCDEADLINE || mode == APIC_LVT_TIMER_TSCDEADLINE) {
		/* Into or out of TSC-deadline mode disarms the timer (11.5.4.1). */
		lapic_timer_stop(l);
		reg_set(l, APIC_TMICT, 0);
		l->tsc_deadline = 0;
		l->period_ns = 0;
		return;
	}
	/* One-shot <-> periodic: the count in progress goes on in the new mode. */
	rem = lapic_timer_remaining(l);
	if (rem)
		lapic_timer_start(l, rem);
}

/* ----------------------------------------------------- register access */

static u32 lapic_reg_read(struct vessel_lapic *l, u32 off)
{
	switch (off) {
	case APIC_PROCPRI:
		return lapic_update_ppr(l);
	case APIC_TMCCT:
		return lapic_tmcct(l);
	case APIC_EOI:
	case APIC_SELF_IPI:
		return 0;
	default:
		return reg_get(l, off);
	}
}

/* xAPIC offsets that hold a register; the rest of the page reads 0. */
static bool xapic_reg_valid(u32 off)
{
	switch (off) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_ARBPRI:
	case APIC_PROCPRI: case APIC_EOI: case APIC_LDR: case APIC_DFR:
	case APIC_SPIV: case APIC_ESR: case APIC_ICR: case APIC_ICR2:
	case APIC_LVTT: case APIC_LVTTHMR: case APIC_LVTPC: case APIC_LVT0:
	case APIC_LVT1: case APIC_LVTERR: case APIC_TMICT: case APIC_TMCCT:
	case APIC_TDCR:
		return true;
	default:
		return off >= APIC_ISR && off < APIC_ESR;	/* ISR, TMR, IRR */
	}
}

/* A write the mode-specific checks let through. */
static void lapic_reg_write(struct vessel_vcpu *vcpu, u32 off, u32 val)
{
	struct vessel_lapic *l = vcpu->lapic;
	bool x2 = lapic_x2apic(l);
	unsigned int i;

	/* A software-disabled APIC keeps every LVT masked (11.4.7.2). */
	if (!(reg_get(l, APIC_SPIV) & APIC_SPIV_APIC_ENABLED))
		for (i = 0; i < ARRAY_SIZE(lvt_offsets); i++)
			if (off == lvt_offsets[i])
				val |= APIC_LVT_MASKED;
	switch (off) {
	case APIC_ID:
		if (!x2)
			reg_set(l, APIC_ID, val & 0xff000000);
		break;
	case APIC_TASKPRI:
		reg_set(l, APIC_TASKPRI, val & 0xff);
		lapic_update_ppr(l);
		break;
	case APIC_EOI:
		lapic_eoi(vcpu);
		break;
	case APIC_LDR:
		if (!x2)
			reg_set(l, APIC_LDR, val & APIC_LDR_MASK);
		break;
	case APIC_DFR:
		if (!x2)
			reg_set(l, APIC_DFR, val | 0x0fffffff);
		break;
	case APIC_SPIV:
		reg_set(l, APIC_SPIV, val & SVR_BITS);
		if (!(val & APIC_SPIV_APIC_ENABLED))
			for (i = 0; i < ARRAY_SIZE(lvt_offsets); i++)
				reg_set(l, lvt_offsets[i],
					reg_get(l, lvt_offsets[i]) | APIC_LVT_MASKED);
		break;
	case APIC_ESR:
		reg_set(l, APIC_ESR, l->esr_pending);
		l->esr_pending = 0;
		break;
	case APIC_ICR:
		reg_set(l, APIC_ICR, val & ICR_BITS);
		lapic_icr_send(vcpu, val, reg_get(l, APIC_ICR2));
		break;
	case APIC_ICR2:
		reg_set(l, APIC_ICR2, x2 ? val : val & 0xff000000);
		break;
	case APIC_LVTT:
		lapic_lvtt_write(l, val);
		break;
	case APIC_LVTTHMR:
	case APIC_LVTPC:
		/* Accepted; nothing ever raises them. */
		reg_set(l, off, val & LVT_MISC_BITS);
		break;
	case APIC_LVT0:
	case APIC_LVT1:
		reg_set(l, off, val & LVT_LINT_BITS);
		break;
	case APIC_LVTERR:
		reg_set(l, off, val & LVT_ERR_BITS);
		break;
	case APIC_TMICT:
		if (lapic_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE)
			break;
		reg_set(l, APIC_TMICT, val);
		lapic_timer_start(l, 0);
		break;
	case APIC_TDCR:
		reg_set(l, APIC_TDCR, val & TDCR_BITS);
		break;
	case APIC_SELF_IPI:
		if ((val & 0xff) < 16)
			lapic_error(vcpu, APIC_ESR_SENDILL);
		else
			lapic_set_irr(vcpu, val & 0xff, false);
		break;
	}
}

/* ---------------------------------------------------------------- MMIO */

/**
 * vessel_lapic_mmio() - an MMIO access to the vCPU's xAPIC page
 * @vcpu:	the vCPU
 * @gpa:	the guest-physical address accessed
 * @size:	the access's size in bytes
 * @is_write:	the access is a write
 * @data:	the value written, or where the value read goes
 *
 * At IA32_APIC_BASE, while the APIC is in xAPIC mode: the caller checked
 * with vessel_lapic_mmio_page() and runs the instruction (io.c).
 * Registers are 32 bits at 16-byte boundaries (11.4.1): other sizes read
 * the bytes of the register they fall in, and are ignored when written.
 * *@data is written to the register, or set to what it reads.
 */
void vessel_lapic_mmio(struct vessel_vcpu *vcpu, u64 gpa, unsigned int size,
		       bool is_write, u64 *data)
{
	struct vessel_lapic *l = vcpu->lapic;
	u32 off = gpa & ~PAGE_MASK;

	if (is_write) {
		if (size == 4 && !(off & 0xf) && xapic_reg_valid(off))
			lapic_reg_write(vcpu, off, *data);
	} else {
		u32 reg = off & 0xff0, shift = (off & 0xf) * 8;

		*data = 0;
		if (shift < 32 && xapic_reg_valid(reg))
			*data = (u64)lapic_reg_read(l, reg) >> shift;
	}
}

/* ---------------------------------------------------------------- MSRs */

/* IA32_APIC_BASE (11.4.4) and the mode transitions of 11.12.5. */
static int lapic_set_base(struct vessel_vcpu *vcpu, u64 val, bool host)
{
	struct vessel_lapic *l = vcpu->lapic;
	u64 reserved = (~0ULL << boot_cpu_data.x86_phys_bits) | 0x2ff;
	enum lapic_mode old = base_mode(l->base), new = base_mode(val);

	if ((val & reserved) || new == LAPIC_INVALID)
		return -EINVAL;
	if (!host && ((old == LAPIC_X2APIC && new == LAPIC_XAPIC) ||
		      (old == LAPIC_DISABLED && new == LAPIC_X2APIC)))
		return -EINVAL;
	l->base = val;
	if (old == new)
		return 0;
	if (new == LAPIC_DISABLED) {
		lapic_timer_stop(l);
		return 0;
	}
	/* Enabling again returns to the power-up state (11.4.3). */
	if (old == LAPIC_DISABLED)
		lapic_reset_regs(l);
	if (new == LAPIC_X2APIC) {
		/* Going to x2APIC keeps the state; ID and LDR become fixed. */
		reg_set(l, APIC_ID, vcpu->id);
		reg_set(l, APIC_LDR, ((vcpu->id >> 4) << 16) | (1U << (vcpu->id & 0xf)));
	}
	lapic_post_event(vcpu);
	return 0;
}

/* x2APIC MSR reads (11.12.1.2, Table 11-6): write-only and absent ones #GP. */
static int x2apic_read(struct vessel_lapic *l, u32 off, u64 *val)
{
	switch (off) {
	case APIC_ID: case APIC_LVR: case APIC_TASKPRI: case APIC_PROCPRI:
	case APIC_LDR: case APIC_SPIV: case APIC_ESR: case APIC_LVTT:
	case APIC_LVTTHMR: case APIC_LVTPC: case APIC_LVT0: case APIC_LVT1:
	case APIC_LVTERR: case APIC_TMICT: case APIC_TMCCT: case APIC_TDCR:
		*val = lapic_reg_read(l, off);
		return 0;
	case APIC_ICR:
		*val = reg_get(l, APIC_ICR) | (u64)reg_get(l, APIC_ICR2) << 32;
		return 0;
	default:
		if (off >= APIC_ISR && off < APIC_ESR) {
			*val = reg_get(l, off);
			return 0;
		}
		return -EINVAL;
	}
}

/* x2APIC MSR writes: read-only, absent and reserved bits #GP. */
static int x2apic_write(struct vessel_vcpu *vcpu, u32 off, u64 val)
{
	struct vessel_lapic *l = vcpu->lapic;
	u64 ok;

	switch (off) {
	case APIC_TASKPRI:
		ok = 0xff;
		break;
	case APIC_EOI:
	case APIC_ESR:
		ok = 0;
		break;
	case APIC_SPIV:
		ok = SVR_BITS;
		break;
	case APIC_ICR:
		if (val & ~(0xffffffff00000000ULL | ICR_BITS))
			return -EINVAL;
		reg_set(l, APIC_ICR2, val >> 32);
		lapic_reg_write(vcpu, APIC_ICR, (u32)val);
		return 0;
	case APIC_LVTT:
		if ((val & LVT_TIMER_MODE_MASK) == LVT_TIMER_MODE_MASK)
			return -EINVAL;
		ok = LVT_TIMER_BITS;
		break;
	case APIC_LVTTHMR:
	case APIC_LVTPC:
		ok = LVT_MISC_BITS;
		break;
	case APIC_LVT0:
	case APIC_LVT1:
		ok = LVT_LINT_BITS;
		break;
	case APIC_LVTERR:
		ok = LVT_ERR_BITS;
		break;
	case APIC_TMICT:
		ok = 0xffffffff;
		break;
	case APIC_TDCR:
		ok = TDCR_BITS;
		break;
	case APIC_SELF_IPI:
		ok = APIC_VECTOR_MASK;
		break;
	default:	/* ID, version, PPR, LDR, ISR/TMR/IRR, CCR: read-only */
		return -EINVAL;
	}
	if (val & ~ok)
		return -EINVAL;
	lapic_reg_write(vcpu, off, val);
	return 0;
}

/**
 * vessel_lapic_rdmsr() - RDMSR of an MSR the APIC owns
 * @vcpu:	the vCPU
 * @index:	the MSR
 * @val:	where the value goes
 *
 * Return: 0 with *@val, -EINVAL for #GP, -ENOENT when the MSR is not the
 * APIC's (or the VM has no in-kernel APIC).
 */
int vessel_lapic_rdmsr(struct vessel_vcpu *vcpu, u32 index, u64 *val)
{
	struct vessel_lapic *l = vcpu->lapic;

	if (!l)
		return -ENOENT;
	if (index == MSR_IA32_APICBASE) {
		*val = l->base;
		return 0;
	}
	if (index == MSR_IA32_TSC_DEADLINE) {
		/* Reads 0 outside TSC-deadline mode (11.5.4.1). */
		*val = lapic_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE ?
		       l->tsc_deadline : 0;
		return 0;
	}
	if (index < APIC_BASE_MSR || index > APIC_BASE_MSR + 0xff)
		return -ENOENT;
	if (!lapic_x2apic(l))
		return -EINVAL;
	return x2apic_read(l, (index - APIC_BASE_MSR) << 4, val);
}

/* WRMSR, returning as vessel_lapic_rdmsr(). */
int vessel_lapic_wrmsr(struct vessel_vcpu *vcpu, u32 index, u64 val)
{
	struct vessel_lapic *l = vcpu->lapic;
	u32 off;

	if (!l)
		return -ENOENT;
	if (index == MSR_IA32_APICBASE)
		return lapic_set_base(vcpu, val, false);
	if (index == MSR_IA32_TSC_DEADLINE) {
		/* Ignored outside TSC-deadline mode. */
		if (lapic_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE &&
		    lapic_hw_enabled(l))
			lapic_deadline_set(vcpu, val);
		return 0;
	}
	if (index < APIC_BASE_MSR || index > APIC_BASE_MSR + 0xff)
		return -ENOENT;
	off = (index - APIC_BASE_MSR) << 4;
	/* Only ICR is 64 bits wide. */
	if (!lapic_x2apic(l) || (off != APIC_ICR && (val >> 32)))
		return -EINVAL;
	return x2apic_write(vcpu, off, val);
}

/**
 * vessel_lapic_msr_fast() - the APIC's MSRs in the fast path (IRQs off)
 * @vcpu:	the vCPU that exited
 * @index:	the MSR (ECX)
 * @write:	WRMSR rather than RDMSR
 * @val:	the value written, or where the value read goes
 *
 * IA32_TSC_DEADLINE, x2APIC reads, and the x2APIC writes that need no
 * sleeping lock: EOI, TPR, SELF IPI, and ICR with the SELF shorthand.
 * The checks of vessel_lapic_wrmsr() come first, so a refusal changes
 * nothing.
 *
 * Return: 0 done; 1 done, and the entry must take the slow way (an
 * interrupt may be deliverable now, or an EOI must reach userspace);
 * -EAGAIN not here (an IPI to others, the other registers, a #GP).
 */
int vessel_lapic_msr_fast(struct vessel_vcpu *vcpu, u32 index, bool write,
			  u64 *val)
{
	struct vessel_lapic *l = vcpu->lapic;
	u32 off;

	if (!l)
		return -EAGAIN;
	if (index == MSR_IA32_TSC_DEADLINE) {
		/* An expiry at once posts an event: the caller sees it. */
		if (write)
			return vessel_lapic_wrmsr(vcpu, index, *val);
		return vessel_lapic_rdmsr(vcpu, index, val);
	}
	if (index < APIC_BASE_MSR || index > APIC_BASE_MSR + 0xff ||
	    !lapic_x2apic(l))
		return -EAGAIN;
	off = (index - APIC_BASE_MSR) << 4;
	if (!write)
		return x2apic_read(l, off, val) ? -EAGAIN : 0;
	switch (off) {
	case APIC_ICR:
		if (((*val >> 18) & 3) != SH_SELF)
			return -EAGAIN;
		break;
	case APIC_EOI:
	case APIC_TASKPRI:
	case APIC_SELF_IPI:
		break;
	default:
		return -EAGAIN;
	}
	if (x2apic_write(vcpu, off, *val))
		return -EAGAIN;
	/* What EOI and TPR change: is a held-back vector deliverable now? */
	return l->eoi_exit >= 0 || !lapic_irr_empty(l);
}

/**
 * vessel_lapic_hv_msr() - Hyper-V's APIC MSRs (EOI, ICR, TPR)
 * @vcpu:	the vCPU
 * @off:	the APIC register: APIC_EOI, APIC_ICR or APIC_TASKPRI
 * @write:	WRMSR rather than RDMSR
 * @val:	the value written, or where the value read goes
 *
 * The TLFS gives them the x2APIC registers' semantics in either APIC
 * mode, so they share x2apic_read()/x2apic_write(): EOI is write-only and
 * takes 0, TPR bits above 7 and ICR reserved bits #GP.  In xAPIC mode the
 * ICR's high half is ICR2 as is (destination in bits 63:56).
 *
 * Return: 0, or -EINVAL for #GP (no APIC, or a hardware-disabled one).
 */
int vessel_lapic_hv_msr(struct vessel_vcpu *vcpu, u32 off, bool write,
			u64 *val)
{
	struct vessel_lapic *l = vcpu->lapic;

	if (!l || !lapic_hw_enabled(l))
		return -EINVAL;
	if (!write)
		return off == APIC_EOI ? -EINVAL : x2apic_read(l, off, val);
	if (off != APIC_ICR && (*val >> 32))
		return -EINVAL;
	return x2apic_write(vcpu, off, *val);
}

/**
 * vessel_lapic_raise() - a fixed, edge-triggered interrupt on @vcpu
 * @vcpu:	the vCPU
 * @vec:	the vector
 *
 * For the paravirtual providers' synthetic interrupt sources (Hyper-V
 * SynIC and timers); callable from any context, hrtimer callbacks too.
 * Dropped, as hardware drops it, when the APIC is disabled or @vec < 16.
 */
void vessel_lapic_raise(struct vessel_vcpu *vcpu, u8 vec)
{
	if (vcpu->lapic)
		lapic_accept(vcpu, APIC_DM_FIXED, vec, false);
}

/*
 * Have the vCPU's thread call vessel_pv_vcpu_event() before its next
 * entry, waking it if it halts.  From any context (hrtimer callbacks):
 * the provider's work (guest memory writes) needs the vCPU's thread.
 */
void vessel_lapic_request_pv(struct vessel_vcpu *vcpu)
{
	if (vcpu->lapic)
		lapic_post(vcpu, LAPIC_REQ_PV);
}

/* ------------------------------------------------------------ TPR, CR8 */

u64 vessel_lapic_cr8_read(struct vessel_vcpu *vcpu)
{
	if (!vcpu->lapic)
		return vcpu->cr8;
	return (reg_get(vcpu->lapic, APIC_TASKPRI) >> 4) & 0xf;
}

/* CR8 is TPR[7:4] (SDM 10.8.6.1 in Vol. 3A "Task Priority in IA-32e Mode"). */
void vessel_lapic_cr8_write(struct vessel_vcpu *vcpu, u64 cr8)
{
	if (!vcpu->lapic)
		return;
	reg_set(vcpu->lapic, APIC_TASKPRI, (cr8 & 0xf) << 4);
	lapic_update_ppr(vcpu->lapic);
}

/*
 * With the TPR shadow, a guest lowering CR8 below the threshold exits so a
 * vector TPR held back can be delivered.  The threshold is the class of the
 * best IRR vector when TPR masks it, else 0; it never exceeds VTPR[7:4], as
 * VM entry demands (SDM 27.2.1.1).
 */
static void lapic_update_tpr_threshold(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	u32 tpr_class, thr = 0;
	int irr;

	if (!vessel_vmx_has_tpr_shadow(vcpu))
		return;
	irr = lapic_irr_empty(l) ? -1 : vec_highest(l, APIC_IRR);
	tpr_class = (reg_get(l, APIC_TASKPRI) >> 4) & 0xf;
	if (irr >= 0 && ((u32)irr >> 4) <= tpr_class)
		thr = (u32)irr >> 4;
	vessel_vmx_set_tpr_threshold(vcpu, thr);
}

int vessel_exit_tpr_below_threshold(struct vessel_vcpu *vcpu)
{
	return 1;	/* the next entry delivers what TPR held back */
}

bool vessel_lapic_hw_disabled(struct vessel_vcpu *vcpu)
{
	return vcpu->lapic && !lapic_hw_enabled(vcpu->lapic);
}

/* ------------------------------------------------------ entry and HLT */

static void lapic_pv_eoi_offer(struct vessel_vcpu *vcpu, int vec);

bool __vessel_lapic_has_irq(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;

	if (lapic_irr_empty(l))
		return false;
	return lapic_extint_pending(l) || lapic_deliverable(l) >= 0;
}

/*
 * The CPU takes an interrupt: an ExtINT first (it does not pass the APIC's
 * priority logic, and TPR does not hold it back), else the best IRR vector.
 */
bool __vessel_lapic_ack(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	int vec;

	if (lapic_irr_empty(l))
		return false;
	vec = lapic_extint_pending(l) ? find_last_bit(l->extint, 256) : 256;
	if (vec < 256 && test_and_clear_bit(vec, l->extint)) {
		vcpu->ev.irq_vector = vec;
		vcpu->ev.irq_pending = true;
		return true;
	}
	vec = lapic_deliverable(l);
	if (vec < 0)
		return false;
	if (unlikely(l->pv_eoi_msr & KVM_MSR_ENABLED))
		lapic_pv_eoi_offer(vcpu, vec);
	clear_bit(vec & 31, vec_word(l, APIC_IRR, vec));
	/* An auto-EOI vector is retired as it is taken (TLFS 11.8.2). */
	if (!test_bit(vec, l->auto_eoi)) {
		*(u32 *)(l->regs + APIC_ISR + (vec >> 5) * 0x10) |= BIT(vec & 31);
		l->isr_top = max(l->isr_top, vec);
	}
	lapic_update_ppr(l);
	vcpu->ev.irq_vector = vec;
	vcpu->ev.irq_pending = true;
	return true;
}

/* INIT: the APIC's registers as at power-up, then the CPU's (halt.c). */
static void lapic_do_init(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;

	lapic_reset_regs(l);
	/* As KVM's APIC reset: PV EOI off. */
	l->pv_eoi_msr = 0;
	l->pv_eoi_pending = false;
	/* An ExtINT the CPU had not taken goes with the rest of its state. */
	bitmap_zero(l->extint, 256);
	vessel_vcpu_init_received(vcpu, l->base & MSR_IA32_APICBASE_BSP);
}

static void lapic_process(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;

	lapic_timer_deliver(vcpu);
	/* Most events are IRR bits or the timer: none of these. */
	if (!READ_ONCE(l->req))
		return;
	if (test_and_clear_bit(LAPIC_REQ_INIT, &l->req))
		lapic_do_init(vcpu);
	if (test_and_clear_bit(LAPIC_REQ_SIPI, &l->req))
		vessel_vcpu_sipi_received(vcpu, READ_ONCE(l->sipi_vector));
	if (test_and_clear_bit(LAPIC_REQ_NMI, &l->req))
		vcpu->ev.nmi_pending = true;
	if (test_and_clear_bit(LAPIC_REQ_PV, &l->req))
		vessel_pv_vcpu_event(vcpu);
}

/**
 * __vessel_lapic_before_entry() - the APIC's part of each trip into the guest
 * @vcpu:	the vCPU, on its own thread
 *
 * Turns posted events into state (timer interrupts into IRR, INIT, SIPI,
 * NMI), reports an EOI of a level-triggered vector to userspace, and keeps
 * a halted or SIPI-waiting vCPU's thread asleep until it may run (halt.c),
 * looking at the events again after each sleep.  Called with preemption on
 * and the VMCS current.
 *
 * Return: 1 to enter the guest, 0 for an exit to userspace, -EINTR when
 * RUN must return for a signal, kick or immediate_exit.
 */
int __vessel_lapic_before_entry(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	int r;

	/* The guest moved its TSC (IA32_TSC): the deadline moves with it. */
	if (unlikely(l->tsc_deadline &&
		     READ_ONCE(vcpu->vm->tsc_offset) != l->deadline_offset))
		lapic_deadline_set(vcpu, l->tsc_deadline);
	for (;;) {
		if (vessel_check_request(vcpu, VESSEL_REQ_EVENT))
			lapic_process(vcpu);
		if (l->eoi_exit >= 0) {
			vessel_run_exit(vcpu, VESSEL_EXIT_EOI);
			vcpu->run->eoi.vector = l->eoi_exit;
			l->eoi_exit = -1;
			return 0;
		}
		r = vessel_vcpu_wait_runnable(vcpu);
		if (r < 0)
			return r;
		if (r)
			break;
	}
	lapic_update_tpr_threshold(vcpu);
	return 1;
}

/* ------------------------------------------- paravirtual (KVM provider) */

/* The physical APIC ID a destination of @l's mode names it by. */
static u32 lapic_phys_id(const struct vessel_lapic *l)
{
	return lapic_x2apic(l) ? l->vcpu->id : lapic_xapic_id(l);
}

/**
 * vessel_lapic_pv_kick() - KVM_HC_KICK_CPU: end the HLT of APIC @apic_id
 * @vm:		the VM
 * @apic_id:	the APIC ID, from the guest
 *
 * A vCPU not halted keeps the kick pending, so its next HLT returns at
 * once: a spinlock waiter kicked just before it halts does not sleep.
 * No such APIC: nothing happens (KVM returns 0 too).
 */
void vessel_lapic_pv_kick(struct vessel_vm *vm, u64 apic_id)
{
	unsigned int i;

	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++) {
		struct vessel_vcpu *t = vm->vcpus[i];

		if (!t || !t->lapic || lapic_phys_id(t->lapic) != apic_id)
			continue;
		vessel_vcpu_kick_halt(t);
		break;
	}
	mutex_unlock(&vm->lock);
}

/* Whether @l takes a message of @mode and @vec (what lapic_accept() does). */
static bool lapic_takes(const struct vessel_lapic *l, u32 mode, u8 vec)
{
	if (!lapic_hw_enabled(l))
		return false;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		return lapic_enabled(l) && vec >= 16;
	case APIC_DM_NMI:
	case APIC_DM_INIT:
	case APIC_DM_STARTUP:
		return true;
	default:
		return false;
	}
}

/**
 * vessel_lapic_pv_send_ipi() - KVM_HC_SEND_IPI's delivery
 * @vm:		the VM
 * @bitmap:	two bitmaps: bit i of [0] names physical APIC ID @min + i,
 *		bit i of [1] names @min + @cluster + i
 * @min:	the APIC ID of bit 0 of the first bitmap, from the guest
 * @cluster:	bits per bitmap (64, or 32 for a 32-bit caller)
 * @icr:	delivery mode and vector as in ICR; the caller refused a
 *		logical destination and the shorthands
 *
 * Each named APIC gets the message as from an ICR write (edge, lowest
 * priority as fixed: the bitmap chose the targets).  One pass over the
 * vCPUs, whatever the bitmaps hold.
 *
 * Return: how many APICs took it.
 */
int vessel_lapic_pv_send_ipi(struct vessel_vm *vm, const u64 *bitmap,
			     u64 min, unsigned int cluster, u32 icr)
{
	u32 mode = icr & APIC_MODE_MASK;
	u8 vec = icr & APIC_VECTOR_MASK;
	unsigned int i;
	int n = 0;

	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++) {
		struct vessel_vcpu *t = vm->vcpus[i];
		u64 off;

		if (!t || !t->lapic)
			continue;
		off = lapic_phys_id(t->lapic);
		if (off < min)
			continue;
		off -= min;
		if (off >= 2ULL * cluster ||
		    !(bitmap[off / cluster] & BIT_ULL(off % cluster)))
			continue;
		if (!lapic_takes(t->lapic, mode, vec))
			continue;
		lapic_accept(t, mode == APIC_DM_LOWEST ? APIC_DM_FIXED : mode,
			     vec, false);
		n++;
	}
	mutex_unlock(&vm->lock);
	return n;
}

/*
 * PV EOI (KVM's protocol): as @vec is accepted, with nothing else in
 * service or requested and an edge trigger (a level vector's EOI must
 * reach the IOAPIC at once), set the guest's flag byte.  Its handler then
 * clears the byte instead of writing EOI, and the next exit does the EOI
 * here.  Preemption is off: the write must not fault, and when it cannot
 * be done the guest just writes EOI as usual.
 */
static void lapic_pv_eoi_offer(struct vessel_vcpu *vcpu, int vec)
{
	struct vessel_lapic *l = vcpu->lapic;
	u8 flag = KVM_PV_EOI_ENABLED;

	int i;

	if (l->isr_top >= 0 ||
	    test_bit(vec & 31, vec_word(l, APIC_TMR, vec)))
		return;
	/* @vec is still in IRR: any other bit there is another request. */
	for (i = 0; i < 8; i++) {
		u32 w = reg_get(l, APIC_IRR + i * 0x10);

		if (i == vec >> 5)
			w &= ~BIT(vec & 31);
		if (w)
			return;
	}
	if (!vessel_mem_u8_atomic(vcpu->vm, &l->pv_eoi_cache,
				  l->pv_eoi_msr & ~KVM_MSR_ENABLED, &flag, true))
		l->pv_eoi_pending = true;
}

/* Did the guest clear the flag (its EOI), or does it still wait? */
void __vessel_lapic_pv_eoi_sync(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	u64 gpa = l->pv_eoi_msr & ~KVM_MSR_ENABLED;
	u8 flag;

	l->pv_eoi_pending = false;
	/* Unreadable: take it as done, as KVM does; never leave ISR stuck. */
	if (!vessel_mem_read(vcpu->vm, gpa, &flag, sizeof(flag)) &&
	    (flag & KVM_PV_EOI_MASK)) {
		/* Not yet: take the offer back; the guest will write EOI. */
		flag = KVM_PV_EOI_DISABLED;
		vessel_mem_write(vcpu->vm, gpa, &flag, sizeof(flag));
		return;
	}
	lapic_eoi(vcpu);
}

/*
 * The same look from the exit fast path (IRQs off): the flag read with
 * page faults off.  A byte that cannot be read here, or is still set
 * (taking the offer back writes guest memory), is left to the slow way.
 * The guest's CR2 is in the CPU: a fault in the read must not change it.
 *
 * Return: -EAGAIN left to vessel_lapic_after_exit(); 0 the guest's EOI
 * is done; 1 done, and the entry must take the slow way (an interrupt may
 * be deliverable now, or an EOI must reach userspace).
 */
int vessel_lapic_pv_eoi_sync_fast(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;
	unsigned long cr2 = native_read_cr2();
	u8 flag;

	if (vessel_mem_u8_atomic(vcpu->vm, &l->pv_eoi_cache,
				 l->pv_eoi_msr & ~KVM_MSR_ENABLED, &flag, false)) {
		/* A fault in the read wrote CR2, which holds the guest's. */
		native_write_cr2(cr2);
		return -EAGAIN;
	}
	if (flag & KVM_PV_EOI_MASK)
		return -EAGAIN;
	l->pv_eoi_pending = false;
	lapic_eoi(vcpu);
	return l->eoi_exit >= 0 || !lapic_irr_empty(l);
}

/* MSR_KVM_PV_EOI_EN, checked by the caller; between exits: nothing pending. */
void vessel_lapic_pv_eoi_set(struct vessel_vcpu *vcpu, u64 msr)
{
	vcpu->lapic->pv_eoi_msr = msr;
	vcpu->lapic->pv_eoi_pending = false;
}

u64 vessel_lapic_pv_eoi_get(struct vessel_vcpu *vcpu)
{
	return vcpu->lapic->pv_eoi_msr;
}

/* ------------------------------------------------------------ lifetime */

int vessel_lapic_create(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l;

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	l->regs = (u8 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!l->regs) {
		kfree(l);
		return -ENOMEM;
	}
	l->vcpu = vcpu;
	hrtimer_init(&l->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	l->timer.function = lapic_timer_fn;
	/* Enabled at the default base; vCPU 0 is the bootstrap processor. */
	l->base = APIC_DEFAULT_PHYS_BASE | MSR_IA32_APICBASE_ENABLE |
		  (vcpu->id == 0 ? MSR_IA32_APICBASE_BSP : 0);
	lapic_reset_regs(l);
	vcpu->lapic = l;
	return 0;
}

void vessel_lapic_free(struct vessel_vcpu *vcpu)
{
	struct vessel_lapic *l = vcpu->lapic;

	if (!l)
		return;
	hrtimer_cancel(&l->timer);
	free_page((unsigned long)l->regs);
	kfree(l);
	vcpu->lapic = NULL;
}

/* -------------------------------------------------------------- ioctls */

/**
 * vessel_vm_signal_msi() - VESSEL_SIGNAL_MSI
 * @vm:		the VM
 * @uarg:	the message, in userspace
 *
 * Return: how many APICs took the message (0 when none matched); -EFAULT;
 * -EINVAL (flags, reserved, not an MSI address, data bits 31:16, a delivery
 * mode other than fixed, lowest priority, NMI, INIT or ExtINT, a fixed
 * vector below 16); -ENXIO (the VM has no in-kernel APIC).  An ExtINT
 * counts only at APICs that pass it on (lapic_takes_extint()).
 */
long vessel_vm_signal_msi(struct vessel_vm *vm,
			  const struct vessel_msi __user *uarg)
{
	struct vessel_msi m;
	u32 mode, vec;

	if (copy_from_user(&m, uarg, sizeof(m)))
		return -EFAULT;
	if (m.flags || memchr_inv(m.reserved, 0, sizeof(m.reserved)) ||
	    (m.address >> 20) != 0xfee || (m.data >> 16))
		return -EINVAL;
	mode = m.data & APIC_MODE_MASK;
	vec = m.data & APIC_VECTOR_MASK;
	switch (mode) {
	case APIC_DM_FIXED:
	case APIC_DM_LOWEST:
		if (vec < 16)
			return -EINVAL;
		break;
	case APIC_DM_NMI:
	case APIC_DM_INIT:
	case APIC_DM_EXTINT:	/* any vector: the PIC's, e.g. 0x08-0x0f */
		break;
	default:
		return -EINVAL;
	}
	if (!vm->lapic)
		return -ENXIO;
	return lapic_send(vm, NULL, SH_NONE, (m.address >> 12) & 0xff, 0xff,
			  m.address & BIT(2), mode, vec, m.data & BIT(15));
}

/* VESSEL_GET_LAPIC_INFO: -EINVAL for flags or reserved, -EFAULT. */
long vessel_vm_get_lapic_info(struct vessel_lapic_info __user *uarg)
{
	struct vessel_lapic_info info;

	if (copy_from_user(&info, uarg, sizeof(info)))
		return -EFAULT;
	if (info.flags || info.reserved0 ||
	    memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;
	info.timer_hz = LAPIC_TIMER_HZ;
	info.tsc_hz = (u64)tsc_khz * 1000;
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

/* VESSEL_GET_LAPIC: -EFAULT, -EINVAL (flags), -ENXIO (no in-kernel APIC). */
long vessel_vcpu_get_lapic(struct vessel_vcpu *vcpu,
			   struct vessel_lapic_state __user *uarg)
{
	struct vessel_lapic *l = vcpu->lapic;
	struct vessel_lapic_state *s;
	u32 flags;
	long r = 0;

	if (get_user(flags, &uarg->flags))
		return -EFAULT;
	if (flags)
		return -EINVAL;
	if (!l)
		return -ENXIO;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	/* An expiry not yet delivered belongs in IRR. */
	lapic_timer_deliver(vcpu);
	lapic_update_ppr(l);
	memcpy(s->regs, l->regs, sizeof(s->regs));
	*(u32 *)(s->regs + APIC_TMCCT) = lapic_tmcct(l);
	s->apic_base = l->base;
	s->tsc_deadline = l->tsc_deadline;
	s->timer_ns = lapic_timer_remaining(l);
	bitmap_to_arr64(s->extint, l->extint, 256);
	if (copy_to_user(uarg, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

/*
 * VESSEL_SET_LAPIC: -EFAULT; -EINVAL (flags, reserved, reserved bits of
 * apic_base or EXTD without EN, timer_ns above VESSEL_LAPIC_MAX_TIMER_NS);
 * -ENXIO (no in-kernel APIC).  Any tsc_deadline is taken, as WRMSR takes it.
 */
long vessel_vcpu_set_lapic(struct vessel_vcpu *vcpu,
			   const struct vessel_lapic_state __user *uarg)
{
	struct vessel_lapic *l = vcpu->lapic;
	struct vessel_lapic_state *s;
	long r = 0;

	s = memdup_user(uarg, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	if (s->flags || s->reserved0 ||
	    memchr_inv(s->reserved, 0, sizeof(s->reserved))) {
		r = -EINVAL;
		goto out;
	}
	if (!l) {
		r = -ENXIO;
		goto out;
	}
	/* No count runs longer than timer_ns may say: GET never gives more. */
	if ((s->apic_base & ((~0ULL << boot_cpu_data.x86_phys_bits) | 0x2ff)) ||
	    base_mode(s->apic_base) == LAPIC_INVALID ||
	    s->timer_ns > VESSEL_LAPIC_MAX_TIMER_NS) {
		r = -EINVAL;
		goto out;
	}
	lapic_timer_stop(l);
	l->base = s->apic_base;
	memcpy(l->regs, s->regs, sizeof(s->regs));
	reg_set(l, APIC_LVR, LAPIC_VERSION);
	reg_set(l, APIC_TMCCT, 0);
	l->isr_top = vec_highest(l, APIC_ISR);
	if (lapic_x2apic(l)) {
		reg_set(l, APIC_ID, vcpu->id);
		reg_set(l, APIC_LDR, ((vcpu->id >> 4) << 16) | (1U << (vcpu->id & 0xf)));
	}
	lapic_update_ppr(l);
	l->esr_pending = 0;
	l->eoi_exit = -1;
	/* The loaded ISR replaces the one a PV EOI flag was offered for. */
	l->pv_eoi_pending = false;
	l->tsc_deadline = 0;
	l->period_ns = 0;
	bitmap_from_arr64(l->extint, s->extint, 256);
	/* Whatever IRR and extint now hold: the next look scans them. */
	WRITE_ONCE(l->irr_pending, true);
	if (lapic_timer_mode(l) == APIC_LVT_TIMER_TSCDEADLINE)
		lapic_deadline_set(vcpu, s->tsc_deadline);
	else if (s->timer_ns)
		lapic_timer_start(l, s->timer_ns);
	vessel_make_request(vcpu, VESSEL_REQ_EVENT);
out:
	kfree(s);
	return r;
}
