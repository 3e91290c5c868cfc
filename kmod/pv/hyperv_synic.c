// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the Hyper-V synthetic interrupt controller (SynIC) and the
 * synthetic timers of a vCPU, per the TLFS (chapters "Inter-Partition
 * Communication" and "Timers").  They exist only with the in-kernel APIC:
 * a SINT's interrupt is a fixed interrupt on the vCPU's APIC.
 *
 * Guest memory (the message and event flag pages) is written only by the
 * VMM's threads: the vCPU's own (MSR writes, timer expiries it was woken
 * for) or another vCPU's (HvPostMessage, HvSignalEvent).  A timer's hrtimer
 * therefore only marks it expired and asks the vCPU's thread to run
 * vessel_hv_synic_event() before its next entry (vessel_lapic_request_pv(),
 * which also wakes a halted vCPU); the expiry is checked there against
 * the reference time, so it is never early, and it does not matter on
 * which host CPU the hrtimer ran (the vCPU may have moved meanwhile).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/hyperv-tlfs.h>

#include "irq/lapic.h"
#include "pv/hyperv.h"
#include "timemath.h"
#include "vcpu.h"

/* union hv_synic_sint: vector 0-7, masked 16, auto-EOI 17, polling 18. */
#define HV_SINT_POLLING		BIT_ULL(18)
#define HV_SINT_VALID		(HV_SYNIC_SINT_VECTOR_MASK |		\
				 HV_SYNIC_SINT_MASKED |			\
				 HV_SYNIC_SINT_AUTO_EOI | HV_SINT_POLLING)
#define HV_PAGE_RSVD_BITS	GENMASK_ULL(11, 1)

/* union hv_stimer_config */
#define STIMER_ENABLE		BIT_ULL(0)
#define STIMER_PERIODIC		BIT_ULL(1)
#define STIMER_LAZY		BIT_ULL(2)
#define STIMER_AUTO_ENABLE	BIT_ULL(3)
#define STIMER_VECTOR(c)	(((c) >> 4) & 0xff)
#define STIMER_DIRECT		BIT_ULL(12)
#define STIMER_SINT(c)		(((c) >> 16) & 0xf)
#define STIMER_VALID		(GENMASK_ULL(12, 0) | GENMASK_ULL(19, 16))
/* The reference time counts 100 ns; the shortest period, in those units. */
#define STIMER_MIN_PERIOD	(VESSEL_MIN_PERIOD_NS / 100)

static_assert(sizeof(struct hv_message) == VESSEL_HV_MSG_SIZE);
static_assert(HV_SYNIC_SINT_COUNT == VESSEL_HV_SINTS);
static_assert(HV_SYNIC_STIMER_COUNT == VESSEL_HV_STIMERS);

static struct vessel_hv_synic *synic_of(struct vessel_vcpu *vcpu)
{
	return &vcpu->pv.hv.synic;
}

/* ------------------------------------------------------------ SINTs */

/* The SINT's interrupt, unless it is masked or polled. */
static void synic_irq(struct vessel_vcpu *vcpu, u32 sint)
{
	u64 v = synic_of(vcpu)->sint[sint];

	if (!(v & (HV_SYNIC_SINT_MASKED | HV_SINT_POLLING)))
		vessel_lapic_raise(vcpu, v & HV_SYNIC_SINT_VECTOR_MASK);
}

/* Which vectors the APIC retires on acceptance: unmasked auto-EOI SINTs. */
static void synic_update_auto_eoi(struct vessel_vcpu *vcpu)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned int i;

	if (!vcpu->lapic)
		return;
	bitmap_zero(vcpu->lapic->auto_eoi, 256);
	for (i = 0; i < VESSEL_HV_SINTS; i++)
		if ((s->sint[i] & HV_SYNIC_SINT_AUTO_EOI) &&
		    !(s->sint[i] & HV_SYNIC_SINT_MASKED))
			set_bit(s->sint[i] & HV_SYNIC_SINT_VECTOR_MASK,
				vcpu->lapic->auto_eoi);
}

/*
 * Put @msg in the SINT's slot of the message page and raise the SINT.
 * A slot still holding a message is busy: its msg_pending flag is set,
 * so the guest writes EOM when it frees the slot, and -EAGAIN says to
 * try again then.  The guest frees the slot (type 0), then reads
 * msg_pending; we set msg_pending, then read the type again: with a full
 * barrier on each side, one of the two sees the other's write.
 * synic->lock held.
 */
static int synic_deliver(struct vessel_vcpu *vcpu, u32 sint,
			 const struct hv_message *msg)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	u64 gpa = (s->simp & PAGE_MASK) + sint * sizeof(*msg);
	u64 flags_gpa = gpa + offsetof(struct hv_message_header, message_flags);
	struct hv_message_header h;

	if (!(s->scontrol & HV_SYNIC_CONTROL_ENABLE) ||
	    !(s->simp & HV_SYNIC_SIMP_ENABLE))
		return -ENXIO;
	if (vessel_mem_read(vcpu->vm, gpa, &h, sizeof(h)))
		return -EFAULT;
	if (h.message_type != HVMSG_NONE) {
		h.message_flags.msg_pending = 1;
		if (vessel_mem_write(vcpu->vm, flags_gpa, &h.message_flags, 1))
			return -EFAULT;
		/* msg_pending before the type is read again (see above). */
		smp_mb();
		if (vessel_mem_read(vcpu->vm, gpa, &h.message_type, 4))
			return -EFAULT;
		if (h.message_type != HVMSG_NONE)
			return -EAGAIN;
	}
	/* The body before the type that makes the slot the guest's. */
	if (vessel_mem_write(vcpu->vm, gpa + 4, (const u8 *)msg + 4,
			     sizeof(*msg) - 4))
		return -EFAULT;
	/* The guest reads the body after it sees the type. */
	smp_wmb();
	if (vessel_mem_write(vcpu->vm, gpa, &msg->header.message_type, 4))
		return -EFAULT;
	synic_irq(vcpu, sint);
	return 0;
}

/* ----------------------------------------------------------- timers */

/*
 * The expiry and count are the guest's (or the VMM's), any 64-bit value:
 * the wait saturates, so one too far for the hrtimer never fires (rather
 * than wrapping to "now" and firing, unexpired, again and again).
 */
static void stimer_arm(struct vessel_hv_stimer *t, u64 now)
{
	u64 delta = t->exp > now ? t->exp - now : 0;
	u64 ns = min_t(u64, vessel_mul_sat(delta, 100), VESSEL_KTIME_MAX);

	t->armed = true;
	hrtimer_start(&t->timer, ns_to_ktime(ns), HRTIMER_MODE_REL);
}

/*
 * A periodic timer's period: COUNT, but no shorter than the APIC timer's
 * shortest, which a host CPU can deliver without spending itself on it.
 */
static u64 stimer_period(const struct vessel_hv_stimer *t)
{
	return max_t(u64, t->count, STIMER_MIN_PERIOD);
}

static void stimer_stop(struct vessel_hv_synic *s, unsigned int i)
{
	struct vessel_hv_stimer *t = &s->stimer[i];

	hrtimer_cancel(&t->timer);
	clear_bit(i, &s->expired);
	t->armed = false;
	t->pending = false;
}

/*
 * An enabled timer starts: periodic ones expire @count from now and every
 * @count after, one-shot ones at the reference time @count (at once when
 * it has passed).  A zero count arms nothing.
 */
static void stimer_start(struct vessel_vcpu *vcpu, struct vessel_hv_stimer *t)
{
	u64 now = vessel_hv_ref_now(vcpu->vm);

	if (!t->count)
		return;
	t->exp = t->config & STIMER_PERIODIC ?
		 vessel_add_sat(now, stimer_period(t)) : t->count;
	stimer_arm(t, now);
}

/* Message mode: HVMSG_TIMER_EXPIRED to the timer's SINT; or direct mode. */
static int stimer_deliver(struct vessel_vcpu *vcpu, unsigned int i, u64 now)
{
	struct vessel_hv_stimer *t = &synic_of(vcpu)->stimer[i];
	struct hv_timer_message_payload *p;
	struct hv_message msg = { };

	if (t->config & STIMER_DIRECT) {
		vessel_lapic_raise(vcpu, STIMER_VECTOR(t->config));
		return 0;
	}
	msg.header.message_type = HVMSG_TIMER_EXPIRED;
	msg.header.payload_size = sizeof(*p);
	p = (struct hv_timer_message_payload *)msg.u.payload;
	p->timer_index = i;
	p->expiration_time = t->exp;
	p->delivery_time = now;
	return synic_deliver(vcpu, STIMER_SINT(t->config), &msg);
}

/*
 * The timer fired (or its delivery was pending): deliver, then re-arm a
 * periodic timer for its next period (missed periods are skipped, with
 * or without the lazy bit) or disable a one-shot one.  A message that
 * found its slot busy stays pending until EOM.  A periodic timer with a
 * zero COUNT (restored state can have one) is disabled as a zero COUNT
 * write does; one whose next expiry saturates at the end of the
 * reference time stays enabled and never fires again.  Never re-armed at
 * or before @now.  synic->lock held.
 */
static void stimer_expire(struct vessel_vcpu *vcpu, unsigned int i, u64 now)
{
	struct vessel_hv_stimer *t = &synic_of(vcpu)->stimer[i];

	if (!(t->config & STIMER_ENABLE)) {
		t->armed = false;
		t->pending = false;
		return;
	}
	if (!t->pending) {
		/* The hrtimer's clock ran ahead of the reference time. */
		if (now < t->exp) {
			stimer_arm(t, now);
			return;
		}
		t->armed = false;
		t->pending = true;
	}
	if (stimer_deliver(vcpu, i, now))
		return;
	t->pending = false;
	atomic64_inc(&vcpu->vm->pv.stats.timer_expirations);
	if (!(t->config & STIMER_PERIODIC) || !t->count) {
		t->config &= ~STIMER_ENABLE;
		return;
	}
	t->exp = vessel_add_sat(t->exp, stimer_period(t));
	if (t->exp <= now)
		t->exp = vessel_add_sat(now, stimer_period(t));
	if (t->exp > now)
		stimer_arm(t, now);
}

static enum hrtimer_restart stimer_fn(struct hrtimer *h)
{
	struct vessel_hv_stimer *t = container_of(h, struct vessel_hv_stimer,
						  timer);
	struct vessel_hv_synic *s = synic_of(t->vcpu);

	set_bit(t - s->stimer, &s->expired);
	vessel_lapic_request_pv(t->vcpu);
	return HRTIMER_NORESTART;
}

/* Messages and timer expiries that waited for a slot or an enable. */
static void synic_retry(struct vessel_vcpu *vcpu)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned long queued = s->queued;
	unsigned int i;
	u64 now;

	for_each_set_bit(i, &queued, VESSEL_HV_SINTS)
		if (!synic_deliver(vcpu, i,
				   (const struct hv_message *)s->queue[i]))
			s->queued &= ~BIT(i);
	now = vessel_hv_ref_now(vcpu->vm);
	for (i = 0; i < VESSEL_HV_STIMERS; i++)
		if (s->stimer[i].pending)
			stimer_expire(vcpu, i, now);
}

/* The vCPU's thread, woken by stimer_fn(). */
void vessel_hv_synic_event(struct vessel_vcpu *vcpu)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned long fired = xchg(&s->expired, 0);
	unsigned int i;
	u64 now;

	if (!fired)
		return;
	mutex_lock(&s->lock);
	now = vessel_hv_ref_now(vcpu->vm);
	for_each_set_bit(i, &fired, VESSEL_HV_STIMERS)
		stimer_expire(vcpu, i, now);
	mutex_unlock(&s->lock);
}

/* -------------------------------------------------------------- MSRs */

bool vessel_hv_synic_msr_owned(u32 index)
{
	return (index >= HV_X64_MSR_SCONTROL && index <= HV_X64_MSR_EOM) ||
	       (index >= HV_X64_MSR_SINT0 && index <= HV_X64_MSR_SINT15) ||
	       (index >= HV_X64_MSR_STIMER0_CONFIG &&
		index <= HV_X64_MSR_STIMER3_COUNT);
}

/*
 * SIEFP, SIMP: bit 0 enable, bits 1-11 reserved.  Enabling at a new value
 * zeroes the page (no stale messages or flags); a GPA outside guest memory
 * #GPs.
 */
static int synic_write_page(struct vessel_vcpu *vcpu, u64 *reg, u64 v)
{
	if (v & HV_PAGE_RSVD_BITS)
		return -EINVAL;
	if ((v & HV_SYNIC_SIMP_ENABLE) && v != *reg &&
	    vessel_mem_write(vcpu->vm, v & PAGE_MASK,
			     page_address(ZERO_PAGE(0)), PAGE_SIZE))
		return -EINVAL;
	*reg = v;
	return 0;
}

static int stimer_msr(struct vessel_vcpu *vcpu, u32 index, bool write,
		      u64 *val)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned int i = (index - HV_X64_MSR_STIMER0_CONFIG) / 2;
	bool count = (index - HV_X64_MSR_STIMER0_CONFIG) & 1;
	struct vessel_hv_stimer *t = &s->stimer[i];
	u64 v = *val;

	if (!write) {
		*val = count ? t->count : t->config;
		return 0;
	}
	if (count) {
		stimer_stop(s, i);
		t->count = v;
		if (!v)
			t->config &= ~STIMER_ENABLE;
		else if ((t->config & STIMER_AUTO_ENABLE) &&
			 ((t->config & STIMER_DIRECT) || STIMER_SINT(t->config)))
			t->config |= STIMER_ENABLE;
	} else {
		if (v & ~STIMER_VALID)
			return -EINVAL;
		if ((v & STIMER_DIRECT) &&
		    !vessel_guest_has(vcpu, HYPERV_CPUID_FEATURES, 3, 19))
			return -EINVAL;
		stimer_stop(s, i);
		/* Message mode to SINT 0 is not a valid target: disabled. */
		if (!(v & STIMER_DIRECT) && !STIMER_SINT(v))
			v &= ~STIMER_ENABLE;
		t->config = v;
	}
	if (t->config & STIMER_ENABLE)
		stimer_start(vcpu, t);
	return 0;
}

/* Return: 0, -EINVAL for #GP. */
int vessel_hv_synic_msr(struct vessel_vcpu *vcpu, u32 index, bool write,
			u64 *val)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	u64 v = *val;
	int r = 0;

	if (!vcpu->lapic)
		return -EINVAL;
	mutex_lock(&s->lock);
	switch (index) {
	case HV_X64_MSR_SCONTROL:
		if (!write)
			*val = s->scontrol;
		else if (v & ~HV_SYNIC_CONTROL_ENABLE)
			r = -EINVAL;
		else
			s->scontrol = v;
		break;
	case HV_X64_MSR_SVERSION:
		if (write)
			r = -EINVAL;
		else
			*val = HV_SYNIC_VERSION_1;
		break;
	case HV_X64_MSR_SIEFP:
		if (write)
			r = synic_write_page(vcpu, &s->siefp, v);
		else
			*val = s->siefp;
		break;
	case HV_X64_MSR_SIMP:
		if (write)
			r = synic_write_page(vcpu, &s->simp, v);
		else
			*val = s->simp;
		break;
	case HV_X64_MSR_EOM:
		/* Write-only in effect: reads 0, any value ends a message. */
		if (!write)
			*val = 0;
		break;
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		if (!write) {
			*val = s->sint[index - HV_X64_MSR_SINT0];
			break;
		}
		/* Vectors 0-15 are exceptions: not a SINT's to raise. */
		if ((v & ~HV_SINT_VALID) ||
		    (!(v & HV_SYNIC_SINT_MASKED) &&
		     (v & HV_SYNIC_SINT_VECTOR_MASK) < HV_SYNIC_FIRST_VALID_VECTOR)) {
			r = -EINVAL;
			break;
		}
		s->sint[index - HV_X64_MSR_SINT0] = v;
		synic_update_auto_eoi(vcpu);
		break;
	default:
		r = stimer_msr(vcpu, index, write, val);
		break;
	}
	/* A slot freed, a page or SINT enabled: what waited may go now. */
	if (!r && write && index <= HV_X64_MSR_SINT15)
		synic_retry(vcpu);
	mutex_unlock(&s->lock);
	return r;
}

/* ------------------------------------------------ messages and events */

/**
 * vessel_hv_post_message() - HvPostMessage to @target's SINT @sint
 * @target:	the vCPU the message is for
 * @sint:	the SINT, 0-15
 * @type:	the message type
 * @payload:	the message's payload
 * @size:	its size in bytes
 *
 * Delivered at once when the slot is free; otherwise kept (one message
 * per SINT) with msg_pending set in the slot, and delivered at the
 * guest's EOM or when it enables the SynIC and the message page.
 *
 * Return: HV_STATUS_SUCCESS, or HV_STATUS_INSUFFICIENT_BUFFERS when a
 * message already waits for that SINT.
 */
u16 vessel_hv_post_message(struct vessel_vcpu *target, u32 sint, u32 type,
			   const void *payload, u32 size)
{
	struct vessel_hv_synic *s = synic_of(target);
	struct hv_message msg = { };
	u16 status = HV_STATUS_SUCCESS;

	msg.header.message_type = type;
	msg.header.payload_size = size;
	memcpy(msg.u.payload, payload, size);
	mutex_lock(&s->lock);
	if (s->queued & BIT(sint))
		status = HV_STATUS_INSUFFICIENT_BUFFERS;
	else if (synic_deliver(target, sint, &msg)) {
		memcpy(s->queue[sint], &msg, sizeof(msg));
		s->queued |= BIT(sint);
	}
	mutex_unlock(&s->lock);
	return status;
}

/**
 * vessel_hv_signal_event() - HvSignalEvent: flag @flag of @target's SINT
 * @target:	the vCPU the event is for
 * @sint:	the SINT, 0-15
 * @flag:	the event flag's number
 *
 * Sets the flag in the SINT's event flags with an atomic OR, and raises
 * the SINT when the flag was clear.  With the SynIC or the event flags
 * page disabled the event is lost, as an edge on a disabled line.
 *
 * Return: the hypercall status for the guest (HV_STATUS_*).
 */
u16 vessel_hv_signal_event(struct vessel_vcpu *target, u32 sint, u32 flag)
{
	struct vessel_hv_synic *s = synic_of(target);
	u64 gpa;
	int r;

	mutex_lock(&s->lock);
	if ((s->scontrol & HV_SYNIC_CONTROL_ENABLE) &&
	    (s->siefp & HV_SYNIC_SIEFP_ENABLE)) {
		gpa = (s->siefp & PAGE_MASK) + sint * (HV_EVENT_FLAGS_COUNT / 8) +
		      (flag / 32) * 4;
		r = vessel_mem_test_and_set_bit(target->vm, gpa, flag % 32);
		if (!r)
			synic_irq(target, sint);
	}
	mutex_unlock(&s->lock);
	return HV_STATUS_SUCCESS;
}

/* ------------------------------------------------- life and state */

void vessel_hv_synic_init(struct vessel_vcpu *vcpu)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned int i;

	mutex_init(&s->lock);
	for (i = 0; i < VESSEL_HV_STIMERS; i++) {
		hrtimer_init(&s->stimer[i].timer, CLOCK_MONOTONIC,
			     HRTIMER_MODE_REL);
		s->stimer[i].timer.function = stimer_fn;
		s->stimer[i].vcpu = vcpu;
	}
}

void vessel_hv_synic_free(struct vessel_vcpu *vcpu)
{
	unsigned int i;

	for (i = 0; i < VESSEL_HV_STIMERS; i++)
		hrtimer_cancel(&synic_of(vcpu)->stimer[i].timer);
}

/* Power-on: everything 0, every SINT masked, no timer running. */
static void synic_clear(struct vessel_vcpu *vcpu)
{
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned int i;

	for (i = 0; i < VESSEL_HV_STIMERS; i++) {
		stimer_stop(s, i);
		s->stimer[i].config = 0;
		s->stimer[i].count = 0;
		s->stimer[i].exp = 0;
	}
	s->scontrol = 0;
	s->siefp = 0;
	s->simp = 0;
	for (i = 0; i < VESSEL_HV_SINTS; i++)
		s->sint[i] = HV_SYNIC_SINT_MASKED;
	s->queued = 0;
	synic_update_auto_eoi(vcpu);
}

void vessel_hv_synic_reset(struct vessel_vcpu *vcpu)
{
	struct vessel_hv_synic *s = synic_of(vcpu);

	mutex_lock(&s->lock);
	synic_clear(vcpu);
	mutex_unlock(&s->lock);
}

void vessel_hv_synic_get_state(struct vessel_vcpu *vcpu,
			       struct vessel_pv_state *st)
{
	struct vessel_pv_hv_vcpu_state *o = &st->hv_vcpu;
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned int i;

	mutex_lock(&s->lock);
	o->scontrol = s->scontrol;
	o->siefp = s->siefp;
	o->simp = s->simp;
	memcpy(o->sint, s->sint, sizeof(o->sint));
	for (i = 0; i < VESSEL_HV_STIMERS; i++) {
		const struct vessel_hv_stimer *t = &s->stimer[i];

		o->stimer_config[i] = t->config;
		o->stimer_count[i] = t->count;
		/* Fired but not yet seen by the vCPU: due, so pending. */
		if (t->pending || test_bit(i, &s->expired)) {
			o->stimer_exp[i] = t->exp;
			o->stimer_pending |= BIT(i);
		} else if (t->armed) {
			o->stimer_exp[i] = t->exp;
		}
	}
	mutex_unlock(&s->lock);
}

int vessel_hv_synic_check_state(struct vessel_vcpu *vcpu,
				const struct vessel_pv_state *st)
{
	const struct vessel_pv_hv_vcpu_state *o = &st->hv_vcpu;
	unsigned int i;

	if ((o->scontrol & ~HV_SYNIC_CONTROL_ENABLE) ||
	    (o->siefp & HV_PAGE_RSVD_BITS) || (o->simp & HV_PAGE_RSVD_BITS) ||
	    (o->stimer_pending & ~GENMASK_ULL(VESSEL_HV_STIMERS - 1, 0)))
		return -EINVAL;
	for (i = 0; i < VESSEL_HV_SINTS; i++)
		if ((o->sint[i] & ~HV_SINT_VALID) ||
		    (!(o->sint[i] & HV_SYNIC_SINT_MASKED) &&
		     (o->sint[i] & HV_SYNIC_SINT_VECTOR_MASK) <
		     HV_SYNIC_FIRST_VALID_VECTOR))
			return -EINVAL;
	for (i = 0; i < VESSEL_HV_STIMERS; i++)
		if ((o->stimer_config[i] & ~STIMER_VALID) ||
		    ((o->stimer_pending & BIT(i)) &&
		     !(o->stimer_config[i] & STIMER_ENABLE)))
			return -EINVAL;
	/* Without the in-kernel APIC all of it is power-on state only. */
	if (!vcpu->lapic && (o->scontrol || o->siefp || o->simp ||
			     o->stimer_pending ||
			     memchr_inv(o->stimer_config, 0,
					sizeof(o->stimer_config))))
		return -EINVAL;
	return 0;
}

/*
 * Checked first (vessel_hv_synic_check_state()).  Timers are re-armed
 * against the VM's reference time, so the VM's state (the clock) is set
 * before the vCPUs'.  Messages queued behind a busy slot are not part of
 * this state: VESSEL_PV_HV_SET_MSG_QUEUE puts them back afterwards.
 */
void vessel_hv_synic_set_state(struct vessel_vcpu *vcpu,
			       const struct vessel_pv_state *st)
{
	const struct vessel_pv_hv_vcpu_state *o = &st->hv_vcpu;
	struct vessel_hv_synic *s = synic_of(vcpu);
	unsigned int i;
	u64 now;

	mutex_lock(&s->lock);
	synic_clear(vcpu);
	s->scontrol = o->scontrol;
	s->siefp = o->siefp;
	s->simp = o->simp;
	memcpy(s->sint, o->sint, sizeof(s->sint));
	synic_update_auto_eoi(vcpu);
	now = vessel_hv_ref_now(vcpu->vm);
	for (i = 0; i < VESSEL_HV_STIMERS; i++) {
		struct vessel_hv_stimer *t = &s->stimer[i];

		t->config = o->stimer_config[i];
		t->count = o->stimer_count[i];
		t->exp = o->stimer_exp[i];
		if (!(t->config & STIMER_ENABLE))
			continue;
		if (o->stimer_pending & BIT(i)) {
			t->pending = true;
			set_bit(i, &s->expired);
			vessel_lapic_request_pv(vcpu);
		} else if (t->exp) {
			stimer_arm(t, now);
		}
	}
	mutex_unlock(&s->lock);
}

/* A message to queue must be one PostMessage could have left there. */
static int msg_queue_check(struct vessel_vcpu *vcpu,
			   const struct vessel_pv_hv_msg_queue *q)
{
	unsigned int i;

	if (q->flags || memchr_inv(q->reserved, 0, sizeof(q->reserved)) ||
	    (q->queued & ~GENMASK(VESSEL_HV_SINTS - 1, 0)) ||
	    (q->queued && !vcpu->lapic))
		return -EINVAL;
	for (i = 0; i < VESSEL_HV_SINTS; i++) {
		const struct hv_message *m = (const void *)q->msg[i];

		if (!(q->queued & BIT(i))) {
			if (memchr_inv(q->msg[i], 0, sizeof(q->msg[i])))
				return -EINVAL;
		} else if (m->header.message_type == HVMSG_NONE ||
			   m->header.payload_size >
			   HV_MESSAGE_PAYLOAD_BYTE_COUNT) {
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * vessel_hv_msg_queue_ioctl() - VESSEL_PV_HV_GET/SET_MSG_QUEUE
 * @vcpu:	the vCPU
 * @cmd:	which of the two
 * @argp:	the queue, in userspace
 *
 * The messages waiting behind busy slots, for save/restore.  A set
 * replaces the queue; they are delivered at the guest's EOM, as before
 * the save (the slot in guest memory still has msg_pending set).
 *
 * Return: 0, or a negative errno (Documentation/api.rst).
 */
long vessel_hv_msg_queue_ioctl(struct vessel_vcpu *vcpu, unsigned int cmd,
			       void __user *argp)
{
	struct vessel_pv_hv_msg_queue *q;
	struct vessel_hv_synic *s;
	unsigned int i;
	long r = 0;

	if (vcpu->vm->pv.ops != &vessel_pv_hyperv_ops)
		return -EINVAL;
	s = synic_of(vcpu);
	q = memdup_user(argp, sizeof(*q));
	if (IS_ERR(q))
		return PTR_ERR(q);
	if (cmd == VESSEL_PV_HV_SET_MSG_QUEUE) {
		r = msg_queue_check(vcpu, q);
		if (!r) {
			mutex_lock(&s->lock);
			s->queued = q->queued;
			memcpy(s->queue, q->msg, sizeof(s->queue));
			mutex_unlock(&s->lock);
		}
		goto out;
	}
	if (q->flags || memchr_inv(q->reserved, 0, sizeof(q->reserved))) {
		r = -EINVAL;
		goto out;
	}
	memset(q->msg, 0, sizeof(q->msg));
	mutex_lock(&s->lock);
	q->queued = s->queued;
	for (i = 0; i < VESSEL_HV_SINTS; i++)
		if (s->queued & BIT(i))
			memcpy(q->msg[i], s->queue[i], sizeof(q->msg[i]));
	mutex_unlock(&s->lock);
	if (copy_to_user(argp, q, sizeof(*q)))
		r = -EFAULT;
out:
	kfree(q);
	return r;
}
