// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the KVM paravirtual provider, the interface Linux guests look
 * for first (arch/x86/kernel/kvm.c, kvmclock.c).  Implemented and so
 * advertised in CPUID 0x40000001: kvmclock (old and new MSRs), the stable
 * bit when the host TSC is invariant, NOP_IO_DELAY, STEAL_TIME,
 * PV_SCHED_YIELD, PV_TLB_FLUSH and POLL_CONTROL; hypercalls VAPIC_POLL_IRQ,
 * CLOCK_PAIRING and SCHED_YIELD.  With an in-kernel APIC (VESSEL_VM_LAPIC)
 * also what delivers interrupts: PV_UNHALT (KICK_CPU), PV_SEND_IPI and
 * PV_EOI, whose APIC side is in lapic.c.  Async page faults are not
 * offered (Documentation/paravirt.rst says why).
 *
 * kvmclock is one function of the guest TSC for the whole VM (as KVM's
 * "master clock"): every vCPU's pvclock structure holds the same
 * (tsc_timestamp, system_time, mul, shift), so readings on different vCPUs
 * never go backwards against each other.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kvm_para.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <asm/apicdef.h>
#include <asm/kvm_para.h>
#include <asm/pvclock-abi.h>

#include "irq/lapic.h"
#include "vcpu.h"

#define KVM_FEATURES	(BIT(KVM_FEATURE_CLOCKSOURCE) |			\
			 BIT(KVM_FEATURE_NOP_IO_DELAY) |		\
			 BIT(KVM_FEATURE_CLOCKSOURCE2) |		\
			 BIT(KVM_FEATURE_STEAL_TIME) |			\
			 BIT(KVM_FEATURE_POLL_CONTROL) |		\
			 BIT(KVM_FEATURE_PV_SCHED_YIELD) |		\
			 BIT(KVM_FEATURE_PV_TLB_FLUSH))
/* What needs the in-kernel APIC: offered to VMs that have it. */
#define KVM_FEATURES_LAPIC (BIT(KVM_FEATURE_PV_UNHALT) |		\
			    BIT(KVM_FEATURE_PV_SEND_IPI) |		\
			    BIT(KVM_FEATURE_PV_EOI))

/* ------------------------------------------------------------- clock */

/*
 * pvclock_vcpu_time_info's scale: ns = ((delta << shift) * mul) >> 32,
 * shift negative meaning a right shift, mul in [2^31, 2^32).
 */
static void kvm_time_scale(u64 tsc_hz, u32 *mul, s8 *shift)
{
	u64 num = NSEC_PER_SEC, den = tsc_hz;
	int s = 0;

	while (num >= den) {
		den <<= 1;
		s++;
	}
	while (num < den >> 1) {
		num <<= 1;
		s--;
	}
	*mul = mul_u64_u64_div_u64(num, 1ULL << 32, den);
	*shift = s;
}

/* What the guest computes from its pvclock copy (pvclock_scale_delta). */
static u64 kvm_scale(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return mul_u64_u32_shr(delta, mul, 32);
}

static u64 kvm_clock_eval(struct vessel_vm *vm, u64 tsc)
{
	const struct vessel_pv_clock *c = &vm->pv.clock;

	if (tsc < c->base_tsc)
		return c->base_val;
	return c->base_val + kvm_scale(tsc - c->base_tsc, vm->pv.kvm.mul,
				       vm->pv.kvm.shift);
}

/* kvmclock now, in ns since the VM was created.  pv.lock held. */
static u64 kvm_clock_now(struct vessel_vm *vm)
{
	vessel_pv_clock_sync(vm, kvm_clock_eval);
	return kvm_clock_eval(vm, vessel_pv_guest_tsc(vm));
}

static int kvm_vm_init(struct vessel_vm *vm)
{
	struct vessel_pv_kvm_vm *k = &vm->pv.kvm;

	/* The divisions below need a plausible rate. */
	if (vessel_pv_tsc_khz() < 1000)
		return -EOPNOTSUPP;
	kvm_time_scale((u64)vessel_pv_tsc_khz() * 1000, &k->mul, &k->shift);
	k->flags = vessel_pv_tsc_stable() ? PVCLOCK_TSC_STABLE_BIT : 0;
	/* kvmclock counts from the VM's creation. */
	vessel_pv_clock_set(vm, vessel_pv_guest_tsc(vm), 0);
	return 0;
}

/*
 * The odd/even protocol: an odd version while the rest changes, so a
 * guest reading version, fields, version again sees a torn copy as such.
 * Three writes, because a string copy's stores may land out of order.
 */
static int kvm_write_versioned(struct vessel_vm *vm, u64 gpa, u32 *version,
			       const void *body, size_t len)
{
	u32 v = *version + 1;
	int r;

	if (v & 1) {
		r = vessel_mem_write(vm, gpa, &v, sizeof(v));
		if (r)
			return r;
		/* The odd version lands before the fields change. */
		smp_wmb();
	}
	r = vessel_mem_write(vm, gpa + sizeof(v), body, len);
	/* The fields land before the even version. */
	smp_wmb();
	v++;
	if (!r)
		r = vessel_mem_write(vm, gpa, &v, sizeof(v));
	*version = v;
	return r;
}

static void kvm_write_pvclock(struct vessel_vcpu *vcpu)
{
	struct vessel_vm *vm = vcpu->vm;
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;
	struct pvclock_vcpu_time_info p = { };
	u64 gpa = k->system_time_msr & ~1ULL;

	mutex_lock(&vm->pv.lock);
	vessel_pv_clock_sync(vm, kvm_clock_eval);
	p.tsc_timestamp = vm->pv.clock.base_tsc;
	p.system_time = vm->pv.clock.base_val;
	p.tsc_to_system_mul = vm->pv.kvm.mul;
	p.tsc_shift = vm->pv.kvm.shift;
	p.flags = vm->pv.kvm.flags;
	k->pvti_seq = vm->pv.clock.seq;
	mutex_unlock(&vm->pv.lock);
	k->pvti_cpu = raw_smp_processor_id();
	/* A guest pointing it outside its memory just gets no clock. */
	if (!kvm_write_versioned(vm, gpa, &k->pvti_version, &p.pad0,
				 sizeof(p) - sizeof(p.version)))
		atomic64_inc(&vm->pv.stats.clock_updates);
}

/* MSR_KVM_WALL_CLOCK(_NEW): wall-clock time at kvmclock 0. */
static void kvm_write_wall_clock(struct vessel_vm *vm, u64 gpa)
{
	struct pvclock_wall_clock w;
	struct timespec64 ts;
	u64 boot;

	mutex_lock(&vm->pv.lock);
	boot = ktime_get_real_ns() - kvm_clock_now(vm);
	ts = ns_to_timespec64(boot);
	w.sec = ts.tv_sec;
	w.nsec = ts.tv_nsec;
	kvm_write_versioned(vm, gpa, &vm->pv.kvm.wall_version, &w.sec,
			    sizeof(w) - sizeof(w.version));
	mutex_unlock(&vm->pv.lock);
}

/* Whether the guest's CPUID (userspace may have changed it) offers it. */
static bool kvm_has(struct vessel_vcpu *vcpu, unsigned int feature)
{
	return vessel_guest_has(vcpu, KVM_CPUID_FEATURES, 0, feature);
}

/* -------------------------------------------------------- steal time */

/*
 * struct kvm_steal_time: steal is the time the vCPU thread was runnable
 * but waited for a host CPU (the scheduler's run_delay); preempted is set,
 * as KVM does, only when the vCPU's thread is preempted inside VESSEL_RUN
 * (not when RUN returns to userspace), so guest spinners do not wait for
 * a vCPU that cannot run.  This writes steal, version and flags only: the preempted
 * byte has its own writers (below), as the guest may CMPXCHG it.
 */
static void kvm_write_steal(struct vessel_vcpu *vcpu)
{
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;
	u64 gpa = k->steal_time_msr & KVM_STEAL_VALID_BITS;
	struct kvm_steal_time st = { };
	u64 delay = current->sched_info.run_delay;

	if (k->steal_dirty)
		k->run_delay = delay;
	if (!k->steal_dirty && delay == k->run_delay)
		return;
	k->steal_ns += delay - k->run_delay;
	k->run_delay = delay;
	k->steal_dirty = false;
	st.steal = k->steal_ns;
	/* version sits after steal: write it, then the rest, then it. */
	k->steal_version++;
	vessel_mem_write(vcpu->vm, gpa + offsetof(struct kvm_steal_time, version),
			 &k->steal_version, sizeof(u32));
	/* Odd version first, then the record, then the even version. */
	smp_wmb();
	st.version = k->steal_version;
	vessel_mem_write(vcpu->vm, gpa, &st,
			 offsetof(struct kvm_steal_time, preempted));
	/* As above: the record lands before the even version. */
	smp_wmb();
	k->steal_version++;
	vessel_mem_write(vcpu->vm, gpa + offsetof(struct kvm_steal_time, version),
			 &k->steal_version, sizeof(u32));
}

static u64 kvm_preempted_gpa(struct vessel_vcpu *vcpu)
{
	return (vcpu->pv.kvm.steal_time_msr & KVM_STEAL_VALID_BITS) +
	       offsetof(struct kvm_steal_time, preempted);
}

/*
 * PV_TLB_FLUSH: while preempted reads KVM_VCPU_PREEMPTED, another vCPU
 * flushing its TLB may, instead of an IPI, add KVM_VCPU_FLUSH_TLB with a
 * CMPXCHG.  Before the guest runs again the byte is exchanged for 0 in
 * one atomic step (a plain write could erase a request made just before
 * it) and a request is honoured by the flush before the entry.  A byte
 * that cannot be exchanged: flush anyway.  k->preempted stays set until
 * the exchange is done, so the sched_out hook leaves the byte alone.
 */
static void kvm_steal_take_preempted(struct vessel_vcpu *vcpu)
{
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;
	u8 old;

	if (vessel_mem_xchg_u8(vcpu->vm, kvm_preempted_gpa(vcpu), 0, &old) ||
	    (old & KVM_VCPU_FLUSH_TLB)) {
		if (kvm_has(vcpu, KVM_FEATURE_PV_TLB_FLUSH))
			WRITE_ONCE(vcpu->flush_on_entry, true);
	}
	WRITE_ONCE(k->preempted, false);
}

/* --------------------------------------------------------- run hooks */

static void kvm_vcpu_enter(struct vessel_vcpu *vcpu)
{
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;
	struct vessel_vm *vm = vcpu->vm;

	/*
	 * Rewrite the pvclock copy when the clock changed (a TSC offset
	 * change re-based it, or state was restored) and, as KVM does,
	 * after the vCPU moved to another host CPU.
	 */
	if ((k->system_time_msr & 1) &&
	    (k->pvti_seq != READ_ONCE(vm->pv.clock.seq) ||
	     vm->pv.clock.tsc_offset != READ_ONCE(vm->tsc_offset) ||
	     k->pvti_cpu != raw_smp_processor_id()))
		kvm_write_pvclock(vcpu);
	if (k->steal_time_msr & KVM_MSR_ENABLED) {
		/* The guest may have asked for a flush while it was out. */
		if (k->preempted)
			kvm_steal_take_preempted(vcpu);
		kvm_write_steal(vcpu);
		/*
		 * From here until the leave hook a preemption marks the vCPU
		 * preempted; the run loop then re-runs this hook before the
		 * entry.  The hook runs on this thread: a barrier suffices.
		 */
		barrier();
		WRITE_ONCE(k->in_run, true);
	}
}

/*
 * RUN returns to userspace: the vCPU is not preempted, and, as KVM's
 * kvm_arch_vcpu_put() when its thread was not preempted, nothing is
 * written to the guest.  Steal time is brought up to date by the next
 * RUN's enter hook.
 */
static void kvm_vcpu_leave(struct vessel_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->pv.kvm.in_run, false);
}

/*
 * The vCPU's thread is scheduled out while still runnable (preempted),
 * between the enter and leave hooks: KVM's kvm_steal_time_set_preempted().
 * IRQs off, the runqueue locked: no sleeping, so an atomic write of the
 * one byte (0 now, so nothing to keep), skipped when the VMM's page is
 * not present.  The run loop sees VESSEL_REQ_PV_RESYNC and re-runs the
 * enter hook, which exchanges the byte back before the guest runs.
 */
static void kvm_vcpu_sched_out(struct vessel_vcpu *vcpu)
{
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;
	u8 flag = KVM_VCPU_PREEMPTED;

	if (!READ_ONCE(k->in_run) || READ_ONCE(k->preempted))
		return;
	if (vessel_mem_write_atomic(vcpu->vm, kvm_preempted_gpa(vcpu),
				    &flag, 1))
		return;
	WRITE_ONCE(k->preempted, true);
	/* Our own thread, which reads it before entry: no wake-up. */
	vessel_make_request(vcpu, VESSEL_REQ_PV_RESYNC);
}

/* -------------------------------------------------------------- MSRs */

/*
 * An APIC feature: advertised, and an APIC there (userspace may set the
 * CPUID bit on a VM without one; the guest then sees it absent).
 */
static bool kvm_has_apic(struct vessel_vcpu *vcpu, unsigned int feature)
{
	return vcpu->lapic && kvm_has(vcpu, feature);
}

/*
 * MSR_KVM_PV_EOI_EN: the flag byte's address, 4-byte aligned (bit 0 is
 * the enable bit), and no bit beyond the physical address width.
 */
static bool kvm_pv_eoi_valid(u64 v)
{
	return !(v & (KVM_MSR_ENABLED << 1)) &&
	       !(v >> boot_cpu_data.x86_phys_bits);
}

static int kvm_msr(struct vessel_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;
	struct vessel_vm *vm = vcpu->vm;
	unsigned int feature;
	u64 v = *val;

	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_SYSTEM_TIME:
		feature = KVM_FEATURE_CLOCKSOURCE;
		break;
	case MSR_KVM_WALL_CLOCK_NEW:
	case MSR_KVM_SYSTEM_TIME_NEW:
		feature = KVM_FEATURE_CLOCKSOURCE2;
		break;
	case MSR_KVM_STEAL_TIME:
		feature = KVM_FEATURE_STEAL_TIME;
		break;
	case MSR_KVM_POLL_CONTROL:
		feature = KVM_FEATURE_POLL_CONTROL;
		break;
	case MSR_KVM_PV_EOI_EN:
		if (!kvm_has_apic(vcpu, KVM_FEATURE_PV_EOI))
			return -EINVAL;
		if (!write) {
			*val = vessel_lapic_pv_eoi_get(vcpu);
			return 0;
		}
		if (!kvm_pv_eoi_valid(v))
			return -EINVAL;
		vessel_lapic_pv_eoi_set(vcpu, v);
		return 0;
	default:
		return -ENOENT;
	}
	if (!kvm_has(vcpu, feature))
		return -EINVAL;

	switch (index) {
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		if (!write) {
			*val = vm->pv.kvm.wall_clock_msr;
			return 0;
		}
		vm->pv.kvm.wall_clock_msr = v;
		kvm_write_wall_clock(vm, v);
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		if (!write) {
			*val = k->system_time_msr;
			return 0;
		}
		k->system_time_msr = v;
		if (v & 1)
			kvm_write_pvclock(vcpu);
		return 0;
	case MSR_KVM_STEAL_TIME:
		if (!write) {
			*val = k->steal_time_msr;
			return 0;
		}
		if (v & KVM_STEAL_RESERVED_MASK)
			return -EINVAL;
		k->steal_time_msr = v;
		k->steal_dirty = true;
		if (v & KVM_MSR_ENABLED) {
			kvm_write_steal(vcpu);
			/* A new record: its byte is cleared at the next entry. */
			WRITE_ONCE(k->preempted, true);
			vessel_pv_request_resync(vcpu);
		} else {
			WRITE_ONCE(k->in_run, false);
		}
		return 0;
	default:	/* MSR_KVM_POLL_CONTROL */
		if (!write) {
			*val = k->poll_control_msr;
			return 0;
		}
		if (v & ~1ULL)
			return -EINVAL;
		/* Vessel never polls before halting: nothing else to do. */
		k->poll_control_msr = v;
		return 0;
	}
}

/* -------------------------------------------------------- hypercalls */

/* KVM_HC_CLOCK_PAIRING: host wall clock and the guest TSC of one instant. */
static long kvm_hc_clock_pairing(struct vessel_vcpu *vcpu, u64 gpa, u64 type)
{
	struct vessel_vm *vm = vcpu->vm;
	struct kvm_clock_pairing cp = { };
	struct timespec64 ts;
	unsigned long irqs;
	u64 t0, t1;

	if (type != KVM_CLOCK_PAIRING_WALLCLOCK)
		return -KVM_EOPNOTSUPP;
	/* A TSC that is no clock cannot be paired with one. */
	if (!vessel_pv_tsc_stable())
		return -KVM_EOPNOTSUPP;
	/*
	 * The wall clock read between two TSC reads, nothing in between:
	 * the pair is exact to within the few hundred cycles of the read.
	 */
	local_irq_save(irqs);
	t0 = rdtsc_ordered();
	ktime_get_real_ts64(&ts);
	t1 = rdtsc_ordered();
	local_irq_restore(irqs);
	cp.sec = ts.tv_sec;
	cp.nsec = ts.tv_nsec;
	cp.tsc = t0 + (t1 - t0) / 2 + READ_ONCE(vm->tsc_offset);
	if (vessel_mem_write(vm, gpa, &cp, sizeof(cp)))
		return -KVM_EFAULT;
	return 0;
}

/*
 * KVM_HC_SEND_IPI: bitmaps @lo and @hi of physical APIC IDs from @min,
 * 64 bits each for a 64-bit caller, 32 otherwise; the ICR value gives
 * delivery mode and vector.  A logical destination or a shorthand makes
 * no sense with a bitmap: -KVM_EINVAL, as KVM.
 */
static long kvm_hc_send_ipi(struct vessel_vcpu *vcpu, u64 lo, u64 hi,
			    u64 min, u64 icr, bool wide)
{
	u64 bitmap[2] = { lo, hi };

	/* The shorthand field is bits 19:18, both set in ALLBUT's value. */
	if (icr & (APIC_DEST_LOGICAL | APIC_DEST_ALLBUT))
		return -KVM_EINVAL;
	return vessel_lapic_pv_send_ipi(vcpu->vm, bitmap, min, wide ? 64 : 32,
					icr);
}

/* The calls that do more than compute RAX (the fast path leaves them). */
static bool kvm_hc_sleeps(u64 nr)
{
	switch (nr) {
	case KVM_HC_CLOCK_PAIRING:	/* guest memory */
	case KVM_HC_KICK_CPU:		/* other vCPUs, a yield */
	case KVM_HC_SEND_IPI:
	case KVM_HC_SCHED_YIELD:
		return true;
	default:
		return false;
	}
}

static int kvm_hypercall(struct vessel_vcpu *vcpu, bool atomic)
{
	bool wide = vessel_vmx_long_mode(vcpu);
	u64 nr = vcpu->regs[VESSEL_GPR_RAX];
	u64 a0 = vcpu->regs[VESSEL_GPR_RBX];
	u64 a1 = vcpu->regs[VESSEL_GPR_RCX];
	u64 a2 = vcpu->regs[VESSEL_GPR_RDX];
	u64 a3 = vcpu->regs[VESSEL_GPR_RSI];
	long ret;

	if (!wide) {
		nr = (u32)nr;
		a0 = (u32)a0;
		a1 = (u32)a1;
		a2 = (u32)a2;
		a3 = (u32)a3;
	}
	if (atomic && kvm_hc_sleeps(nr))
		return -EAGAIN;
	vessel_pv_count_hc(vcpu->vm, nr);
	if (vessel_vmx_guest_cpl(vcpu)) {
		ret = -KVM_EPERM;
		goto out;
	}
	switch (nr) {
	case KVM_HC_VAPIC_POLL_IRQ:
		/* Pending interrupts are taken on the entry that follows. */
		ret = 0;
		break;
	case KVM_HC_CLOCK_PAIRING:
		ret = kvm_hc_clock_pairing(vcpu, a0, a1);
		break;
	case KVM_HC_KICK_CPU:
		if (!kvm_has_apic(vcpu, KVM_FEATURE_PV_UNHALT)) {
			ret = -KVM_ENOSYS;
			break;
		}
		/* a0 is flags (none defined), a1 the APIC ID to wake. */
		vessel_lapic_pv_kick(vcpu->vm, a1);
		/* The kicker waits for it: let it run (as KVM). */
		if (a1 < VESSEL_MAX_VCPUS)
			vessel_vcpu_yield_to(vcpu, BIT_ULL(a1));
		ret = 0;
		break;
	case KVM_HC_SEND_IPI:
		if (!kvm_has_apic(vcpu, KVM_FEATURE_PV_SEND_IPI)) {
			ret = -KVM_ENOSYS;
			break;
		}
		ret = kvm_hc_send_ipi(vcpu, a0, a1, a2, a3, wide);
		break;
	case KVM_HC_SCHED_YIELD:
		if (!kvm_has(vcpu, KVM_FEATURE_PV_SCHED_YIELD)) {
			ret = -KVM_ENOSYS;
			break;
		}
		/* The caller waits for the vCPU with APIC ID (= id) a0. */
		if (a0 < VESSEL_MAX_VCPUS)
			vessel_vcpu_yield_to(vcpu, BIT_ULL(a0));
		ret = 0;
		break;
	default:
		ret = -KVM_ENOSYS;
		break;
	}
out:
	vcpu->regs[VESSEL_GPR_RAX] = wide ? (u64)ret : (u32)ret;
	vessel_skip_insn(vcpu);
	return 1;
}

/* ------------------------------------------------------- CPUID, state */

static unsigned int kvm_cpuid(struct vessel_vm *vm,
			      struct vessel_cpuid_entry *e, unsigned int room)
{
	const char *sig = KVM_SIGNATURE;

	if (room < 2)
		return 0;
	memset(e, 0, 2 * sizeof(*e));
	e[0].function = KVM_CPUID_SIGNATURE;
	e[0].eax = KVM_CPUID_FEATURES;
	memcpy(&e[0].ebx, sig, 4);
	memcpy(&e[0].ecx, sig + 4, 4);
	memcpy(&e[0].edx, sig + 8, 4);
	e[1].function = KVM_CPUID_FEATURES;
	e[1].eax = KVM_FEATURES;
	if (vm->pv.kvm.flags & PVCLOCK_TSC_STABLE_BIT)
		e[1].eax |= BIT(KVM_FEATURE_CLOCKSOURCE_STABLE_BIT);
	if (vm->lapic)
		e[1].eax |= KVM_FEATURES_LAPIC;
	return 2;
}

/* Power-on: every MSR off, polling allowed (KVM's reset value). */
static void kvm_vm_reset(struct vessel_vm *vm)
{
	vm->pv.kvm.wall_clock_msr = 0;
}

static void kvm_vcpu_reset(struct vessel_vcpu *vcpu)
{
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;

	memset(k, 0, sizeof(*k));
	k->poll_control_msr = 1;
	k->pvti_cpu = -1;
	if (vcpu->lapic) {
		vessel_lapic_pv_eoi_set(vcpu, 0);
		vessel_vcpu_pv_unhalt_set(vcpu, false);
	}
}

static void kvm_vm_get_state(struct vessel_vm *vm, struct vessel_pv_state *st)
{
	vessel_pv_clock_sync(vm, kvm_clock_eval);
	st->kvm_vm.clock_tsc = vm->pv.clock.base_tsc;
	st->kvm_vm.clock_ns = vm->pv.clock.base_val;
	st->kvm_vm.wall_clock_msr = vm->pv.kvm.wall_clock_msr;
}

static int kvm_vm_set_state(struct vessel_vm *vm,
			    const struct vessel_pv_state *st)
{
	const struct vessel_pv_kvm_vm_state *s = &st->kvm_vm;

	if (memchr_inv(s->reserved, 0, sizeof(s->reserved)) ||
	    !vessel_pv_state_tail_zero(st, sizeof(*s)))
		return -EINVAL;
	vessel_pv_clock_set(vm, s->clock_tsc, s->clock_ns);
	vm->pv.kvm.wall_clock_msr = s->wall_clock_msr;
	return 0;
}

static void kvm_vcpu_get_state(struct vessel_vcpu *vcpu,
			       struct vessel_pv_state *st)
{
	const struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;

	st->kvm_vcpu.system_time_msr = k->system_time_msr;
	st->kvm_vcpu.steal_time_msr = k->steal_time_msr;
	st->kvm_vcpu.poll_control_msr = k->poll_control_msr;
	st->kvm_vcpu.steal_ns = k->steal_ns;
	st->kvm_vcpu.pv_eoi_msr = vcpu->lapic ? vessel_lapic_pv_eoi_get(vcpu) : 0;
	if (vcpu->lapic && vessel_vcpu_pv_unhalt_get(vcpu))
		st->kvm_vcpu.flags |= VESSEL_PV_KVM_PV_UNHALT;
}

static int kvm_vcpu_set_state(struct vessel_vcpu *vcpu,
			      const struct vessel_pv_state *st)
{
	const struct vessel_pv_kvm_vcpu_state *s = &st->kvm_vcpu;
	struct vessel_pv_kvm_vcpu *k = &vcpu->pv.kvm;

	if (memchr_inv(s->reserved, 0, sizeof(s->reserved)) ||
	    !vessel_pv_state_tail_zero(st, sizeof(*s)) ||
	    (s->steal_time_msr & KVM_STEAL_RESERVED_MASK) ||
	    (s->poll_control_msr & ~1ULL) ||
	    !kvm_pv_eoi_valid(s->pv_eoi_msr) ||
	    (s->pv_eoi_msr && !vcpu->lapic) ||
	    (s->flags & ~VESSEL_PV_KVM_PV_UNHALT) ||
	    (s->flags && !vcpu->lapic))
		return -EINVAL;
	kvm_vcpu_reset(vcpu);
	k->system_time_msr = s->system_time_msr;
	k->steal_time_msr = s->steal_time_msr;
	k->poll_control_msr = s->poll_control_msr;
	k->steal_ns = s->steal_ns;
	if (vcpu->lapic) {
		vessel_lapic_pv_eoi_set(vcpu, s->pv_eoi_msr);
		vessel_vcpu_pv_unhalt_set(vcpu,
					   s->flags & VESSEL_PV_KVM_PV_UNHALT);
	}
	/* The guest's copies are rewritten on the next entry. */
	k->steal_dirty = true;
	k->preempted = true;
	return 0;
}

const struct vessel_pv_ops vessel_pv_kvm_ops = {
	.provider	= VESSEL_PV_KVM,
	.newest		= 1,
	.cap		= VESSEL_CAP_PV_KVM,
	.vm_init	= kvm_vm_init,
	.cpuid		= kvm_cpuid,
	.msr		= kvm_msr,
	.hypercall	= kvm_hypercall,
	.vcpu_enter	= kvm_vcpu_enter,
	.vcpu_leave	= kvm_vcpu_leave,
	.vcpu_sched_out	= kvm_vcpu_sched_out,
	.vm_reset	= kvm_vm_reset,
	.vcpu_reset	= kvm_vcpu_reset,
	.vm_get_state	= kvm_vm_get_state,
	.vm_set_state	= kvm_vm_set_state,
	.vcpu_get_state	= kvm_vcpu_get_state,
	.vcpu_set_state	= kvm_vcpu_set_state,
};
