// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the Hyper-V paravirtual provider, per Microsoft's Hypervisor
 * Top-Level Functional Specification (TLFS).  Implemented, and so
 * advertised in CPUID 0x40000003: the hypercall page, GUEST_OS_ID,
 * VP_INDEX, VP_RUNTIME, TIME_REF_COUNT and the reference TSC page, the
 * frequency MSRs, RESET and the crash MSRs (both exit to userspace),
 * extended hypercalls and debugging hypercalls (exit to userspace).
 * Hypercalls (pv/hyperv_hypercalls.c): HvNotifyLongSpinWait,
 * HvFlushVirtualAddressSpace/List and their Ex forms, HvPostDebugData,
 * HvRetrieveDebugData, HvResetDebugSession and
 * HvExtCallQueryCapabilities.  SynIC, synthetic
 * timers, the VP assist page and the APIC MSRs need the in-kernel APIC
 * and are not offered.
 *
 * The reference time is one function of the guest TSC for the VM,
 * ((tsc * scale) >> 64) + offset in 100 ns units, exactly what the guest
 * computes from the TSC page, so TIME_REF_COUNT and the page agree.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/sched/cputime.h>
#include <asm/hyperv-tlfs.h>

#include "irq/lapic.h"
#include "pv/hyperv.h"
#include "vcpu.h"

#define HV_MAX_LEAF		0x40000006
#define HV_CPUID_HW_FEATURES	0x40000006

/* CPUID 0x40000003: what this file implements, no more. */
#define HV_FEATURES_EAX	(HV_MSR_VP_RUNTIME_AVAILABLE |			\
			 HV_MSR_TIME_REF_COUNT_AVAILABLE |		\
			 HV_MSR_HYPERCALL_AVAILABLE |			\
			 HV_MSR_VP_INDEX_AVAILABLE |			\
			 HV_MSR_RESET_AVAILABLE |			\
			 HV_MSR_REFERENCE_TSC_AVAILABLE |		\
			 HV_ACCESS_FREQUENCY_MSRS)
#define HV_FEATURES_EBX	(HV_DEBUGGING | HV_ENABLE_EXTENDED_HYPERCALLS)
#define HV_FEATURES_EDX	(HV_FEATURE_FREQUENCY_MSRS_AVAILABLE |		\
			 HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE)
/* CPUID 0x40000004: use the flush hypercalls, their Ex forms, RESET. */
#define HV_RECOMMEND_EAX (HV_X64_LOCAL_TLB_FLUSH_RECOMMENDED |		\
			  HV_X64_REMOTE_TLB_FLUSH_RECOMMENDED |		\
			  HV_X64_SYSTEM_RESET_RECOMMENDED |		\
			  HV_X64_RELAXED_TIMING_RECOMMENDED |		\
			  HV_X64_EX_PROCESSOR_MASKS_RECOMMENDED)
/*
 * With an in-kernel APIC (VESSEL_VM_LAPIC) also these: the APIC MSRs, the
 * SynIC, the synthetic timers and their direct mode (kmod/pv/hyperv_synic.c).
 */
#define HV_LAPIC_FEATURES_EAX	(HV_MSR_APIC_ACCESS_AVAILABLE |		\
				 HV_MSR_SYNIC_AVAILABLE |		\
				 HV_MSR_SYNTIMER_AVAILABLE)
#define HV_LAPIC_FEATURES_EBX	(HV_POST_MESSAGES | HV_SIGNAL_EVENTS)
#define HV_LAPIC_FEATURES_EDX	HV_STIMER_DIRECT_MODE_AVAILABLE
#define HV_LAPIC_RECOMMEND_EAX	(HV_X64_APIC_ACCESS_RECOMMENDED |	\
				 HV_X64_CLUSTER_IPI_RECOMMENDED)
/* Spins before a guest calls HvNotifyLongSpinWait (Hyper-V's default). */
#define HV_SPIN_RETRIES		0xfff
/* CPUID 0x40000006: MSR bitmaps (bit 1), second-level translation (bit 3). */
#define HV_HW_FEATURES_EAX	(BIT(1) | BIT(3))

#define HV_HYPERCALL_RSVD_BITS	GENMASK_ULL(11, 2)
#define HV_HYPERCALL_LOCKED	BIT_ULL(1)
#define HV_REF_TSC_RSVD_BITS	GENMASK_ULL(11, 1)
#define HV_VP_ASSIST_RSVD_BITS	GENMASK_ULL(11, 1)

/* ------------------------------------------------------------- clock */

static u64 hv_ref_at(u64 base_tsc, u64 base_val, u64 scale, u64 tsc)
{
	return base_val - mul_u64_u64_shr(base_tsc, scale, 64) +
	       mul_u64_u64_shr(tsc, scale, 64);
}

static u64 hv_clock_eval(struct vessel_vm *vm, u64 tsc)
{
	const struct vessel_pv_clock *c = &vm->pv.clock;

	return hv_ref_at(c->base_tsc, c->base_val, vm->pv.hv.scale, tsc);
}

u64 vessel_hv_ref_now(struct vessel_vm *vm)
{
	u64 now;

	mutex_lock(&vm->pv.lock);
	vessel_pv_clock_sync(vm, hv_clock_eval);
	now = hv_clock_eval(vm, vessel_pv_guest_tsc(vm));
	mutex_unlock(&vm->pv.lock);
	return now;
}

static int hv_vm_init(struct vessel_vm *vm)
{
	u32 khz = vessel_pv_tsc_khz();

	/* scale = 2^64 * 100 ns / tick; below 10 MHz it would not fit. */
	if (khz <= 10000)
		return -EOPNOTSUPP;
	vm->pv.hv.scale = mul_u64_u64_div_u64(10000ULL << 32, 1ULL << 32, khz);
	vessel_pv_clock_set(vm, vessel_pv_guest_tsc(vm), 0);
	return 0;
}

/*
 * The TSC page.  The sequence goes to 0 (invalid: the guest falls back
 * to TIME_REF_COUNT) while scale and offset change, then to a new value;
 * a guest that read the old one retries.  A host TSC that is not a clock
 * keeps the page invalid.  pv.lock held.
 */
static void hv_write_tsc_page(struct vessel_vm *vm)
{
	struct vessel_pv_hv_vm *hv = &vm->pv.hv;
	u64 gpa = hv->reference_tsc & PAGE_MASK;
	struct ms_hyperv_tsc_page p = { };
	u32 zero = 0;

	vessel_pv_clock_sync(vm, hv_clock_eval);
	hv->tsc_page_seq = vm->pv.clock.seq;
	if (vessel_mem_write(vm, gpa, &zero, sizeof(zero)))
		return;
	if (!vessel_pv_tsc_stable())
		return;
	/* The zero sequence lands before scale and offset change. */
	smp_wmb();
	p.tsc_scale = hv->scale;
	p.tsc_offset = hv_clock_eval(vm, 0);
	vessel_mem_write(vm, gpa + offsetof(struct ms_hyperv_tsc_page, tsc_scale),
			 (void *)&p.tsc_scale, 16);
	/* Scale and offset land before the new sequence. */
	smp_wmb();
	hv->tsc_page_sequence++;
	/* 0 and 0xffffffff mean invalid to different guests. */
	if (hv->tsc_page_sequence == 0 || hv->tsc_page_sequence == U32_MAX)
		hv->tsc_page_sequence = 1;
	vessel_mem_write(vm, gpa, &hv->tsc_page_sequence, sizeof(u32));
	atomic64_inc(&vm->pv.stats.clock_updates);
}

/* VP_RUNTIME: the CPU time of the threads that ran the vCPU, 100 ns. */
static u64 hv_thread_runtime(void)
{
	u64 ut, st;

	task_cputime_adjusted(current, &ut, &st);
	return div_u64(ut + st, 100);
}

static void hv_vcpu_enter(struct vessel_vcpu *vcpu)
{
	struct vessel_vm *vm = vcpu->vm;
	struct vessel_pv_hv_vcpu *h = &vcpu->pv.hv;

	if (!h->in_run) {
		h->runtime_mark = hv_thread_runtime();
		h->in_run = true;
	}
	/* After a TSC offset change or a restore: rewrite the TSC page. */
	if ((READ_ONCE(vm->pv.hv.reference_tsc) & HV_X64_MSR_TSC_REFERENCE_ENABLE) &&
	    (READ_ONCE(vm->pv.hv.tsc_page_seq) != READ_ONCE(vm->pv.clock.seq) ||
	     READ_ONCE(vm->pv.clock.tsc_offset) != READ_ONCE(vm->tsc_offset))) {
		mutex_lock(&vm->pv.lock);
		if (vm->pv.hv.reference_tsc & HV_X64_MSR_TSC_REFERENCE_ENABLE)
			hv_write_tsc_page(vm);
		mutex_unlock(&vm->pv.lock);
	}
}

static void hv_vcpu_leave(struct vessel_vcpu *vcpu)
{
	struct vessel_pv_hv_vcpu *h = &vcpu->pv.hv;

	if (h->in_run) {
		h->runtime_base += hv_thread_runtime() - h->runtime_mark;
		h->in_run = false;
	}
}

static u64 hv_vp_runtime(struct vessel_vcpu *vcpu)
{
	const struct vessel_pv_hv_vcpu *h = &vcpu->pv.hv;

	return h->runtime_base +
	       (h->in_run ? hv_thread_runtime() - h->runtime_mark : 0);
}

/* -------------------------------------------------------------- MSRs */

/* Which feature bits (EAX, EDX of 0x40000003) an MSR needs. */
static bool hv_msr_advertised(struct vessel_vcpu *vcpu, u32 index)
{
	switch (index) {
	case HV_X64_MSR_GUEST_OS_ID:
	case HV_X64_MSR_HYPERCALL:
		return vessel_hv_has(vcpu, 0, HV_MSR_HYPERCALL_AVAILABLE);
	case HV_X64_MSR_VP_INDEX:
		return vessel_hv_has(vcpu, 0, HV_MSR_VP_INDEX_AVAILABLE);
	case HV_X64_MSR_RESET:
		return vessel_hv_has(vcpu, 0, HV_MSR_RESET_AVAILABLE);
	case HV_X64_MSR_VP_RUNTIME:
		return vessel_hv_has(vcpu, 0, HV_MSR_VP_RUNTIME_AVAILABLE);
	case HV_X64_MSR_TIME_REF_COUNT:
		return vessel_hv_has(vcpu, 0, HV_MSR_TIME_REF_COUNT_AVAILABLE);
	case HV_X64_MSR_REFERENCE_TSC:
		return vessel_hv_has(vcpu, 0, HV_MSR_REFERENCE_TSC_AVAILABLE);
	case HV_X64_MSR_TSC_FREQUENCY:
	case HV_X64_MSR_APIC_FREQUENCY:
		return vessel_hv_has(vcpu, 0, HV_ACCESS_FREQUENCY_MSRS) &&
		       vessel_hv_has(vcpu, 3, HV_FEATURE_FREQUENCY_MSRS_AVAILABLE);
	case HV_X64_MSR_EOI:
	case HV_X64_MSR_ICR:
	case HV_X64_MSR_TPR:
	case HV_X64_MSR_VP_ASSIST_PAGE:
		return vessel_hv_has(vcpu, 0, HV_MSR_APIC_ACCESS_AVAILABLE);
	case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
		return vessel_hv_has(vcpu, 0, HV_MSR_SYNTIMER_AVAILABLE);
	case HV_X64_MSR_SCONTROL ... HV_X64_MSR_EOM:
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		return vessel_hv_has(vcpu, 0, HV_MSR_SYNIC_AVAILABLE);
	default:	/* HV_X64_MSR_CRASH_P0 .. HV_X64_MSR_CRASH_CTL */
		return vessel_hv_has(vcpu, 3, HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE);
	}
}

/*
 * VP_ASSIST_PAGE (TLFS 7.8.7): an overlay page the guest gives us per VP.
 * Enabling it at a new GPA zeroes the page (the guest finds no stale
 * APIC-assist or nested state there); rewriting the same value or
 * disabling leaves guest memory alone.  A GPA outside guest memory #GPs.
 * Vessel implements no field of the page (no lazy EOI): it is only kept.
 */
static int hv_write_vp_assist(struct vessel_vcpu *vcpu, u64 v)
{
	struct vessel_pv_hv_vcpu *h = &vcpu->pv.hv;
	u64 gpa = v & HV_X64_MSR_VP_ASSIST_PAGE_ADDRESS_MASK;

	if (v & HV_VP_ASSIST_RSVD_BITS)
		return -EINVAL;
	if ((v & HV_X64_MSR_VP_ASSIST_PAGE_ENABLE) && v != h->vp_assist &&
	    vessel_mem_write(vcpu->vm, gpa, page_address(ZERO_PAGE(0)),
			     PAGE_SIZE))
		return -EINVAL;
	h->vp_assist = v;
	return 0;
}

/* The MSRs of one vCPU's own state: no VM lock. */
static int hv_vcpu_msr(struct vessel_vcpu *vcpu, u32 index, bool write,
		       u64 *val)
{
	switch (index) {
	case HV_X64_MSR_EOI:
		return vessel_lapic_hv_msr(vcpu, APIC_EOI, write, val);
	case HV_X64_MSR_ICR:
		return vessel_lapic_hv_msr(vcpu, APIC_ICR, write, val);
	case HV_X64_MSR_TPR:
		return vessel_lapic_hv_msr(vcpu, APIC_TASKPRI, write, val);
	case HV_X64_MSR_VP_ASSIST_PAGE:
		if (!write) {
			*val = vcpu->pv.hv.vp_assist;
			return 0;
		}
		return hv_write_vp_assist(vcpu, *val);
	}
	return -ENOENT;
}

/*
 * HYPERCALL: enabling writes the page (VMCALL; RET) at the GPA.  Without
 * a guest OS ID the enable bit does not stick (TLFS 3.13); once locked,
 * writes are ignored until reset.
 */
static int hv_write_hypercall(struct vessel_vcpu *vcpu, u64 v)
{
	static const u8 page[] = { 0x0f, 0x01, 0xc1, 0xc3 };	/* vmcall; ret */
	struct vessel_pv_hv_vm *hv = &vcpu->vm->pv.hv;

	if (v & HV_HYPERCALL_RSVD_BITS)
		return -EINVAL;
	if (hv->hypercall & HV_HYPERCALL_LOCKED)
		return 0;
	if (!hv->guest_os_id)
		v &= ~(u64)HV_X64_MSR_HYPERCALL_ENABLE;
	if ((v & HV_X64_MSR_HYPERCALL_ENABLE) &&
	    vessel_mem_write(vcpu->vm, v & PAGE_MASK, page, sizeof(page)))
		return -EINVAL;
	hv->hypercall = v;
	return 0;
}

static int hv_msr(struct vessel_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	struct vessel_vm *vm = vcpu->vm;
	struct vessel_pv_hv_vm *hv = &vm->pv.hv;
	u64 v = *val;
	int r = 0;

	switch (index) {
	case HV_X64_MSR_GUEST_OS_ID:
	case HV_X64_MSR_HYPERCALL:
	case HV_X64_MSR_VP_INDEX:
	case HV_X64_MSR_RESET:
	case HV_X64_MSR_VP_RUNTIME:
	case HV_X64_MSR_TIME_REF_COUNT:
	case HV_X64_MSR_REFERENCE_TSC:
	case HV_X64_MSR_TSC_FREQUENCY:
	case HV_X64_MSR_APIC_FREQUENCY:
	case HV_X64_MSR_CRASH_P0 ... HV_X64_MSR_CRASH_CTL:
		break;
	case HV_X64_MSR_EOI:
	case HV_X64_MSR_ICR:
	case HV_X64_MSR_TPR:
	case HV_X64_MSR_VP_ASSIST_PAGE:
		if (!hv_msr_advertised(vcpu, index))
			return -EINVAL;
		return hv_vcpu_msr(vcpu, index, write, val);
	default:
		if (!vessel_hv_synic_msr_owned(index))
			return -ENOENT;
		if (!hv_msr_advertised(vcpu, index))
			return -EINVAL;
		return vessel_hv_synic_msr(vcpu, index, write, val);
	}
	if (!hv_msr_advertised(vcpu, index))
		return -EINVAL;

	mutex_lock(&vm->pv.lock);
	switch (index) {
	case HV_X64_MSR_GUEST_OS_ID:
		if (!write) {
			*val = hv->guest_os_id;
			break;
		}
		hv->guest_os_id = v;
		/* A zero ID turns hypercalls off again. */
		if (!v)
			hv->hypercall &= ~(u64)HV_X64_MSR_HYPERCALL_ENABLE;
		break;
	case HV_X64_MSR_HYPERCALL:
		if (write)
			r = hv_write_hypercall(vcpu, v);
		else
			*val = hv->hypercall;
		break;
	case HV_X64_MSR_VP_INDEX:
		if (write)
			r = -EINVAL;
		else
			*val = vcpu->id;
		break;
	case HV_X64_MSR_VP_RUNTIME:
		if (write)
			r = -EINVAL;
		else
			*val = hv_vp_runtime(vcpu);
		break;
	case HV_X64_MSR_TIME_REF_COUNT:
		if (write) {
			r = -EINVAL;
			break;
		}
		vessel_pv_clock_sync(vm, hv_clock_eval);
		*val = hv_clock_eval(vm, vessel_pv_guest_tsc(vm));
		break;
	case HV_X64_MSR_REFERENCE_TSC:
		if (!write) {
			*val = hv->reference_tsc;
			break;
		}
		if (v & HV_REF_TSC_RSVD_BITS) {
			r = -EINVAL;
			break;
		}
		hv->reference_tsc = v;
		if (v & HV_X64_MSR_TSC_REFERENCE_ENABLE)
			hv_write_tsc_page(vm);
		break;
	case HV_X64_MSR_TSC_FREQUENCY:
		if (write)
			r = -EINVAL;
		else
			*val = (u64)vessel_pv_tsc_khz() * 1000;
		break;
	case HV_X64_MSR_APIC_FREQUENCY:
		if (write)
			r = -EINVAL;
		else
			*val = (u64)vessel_apic_timer_khz() * 1000;
		break;
	case HV_X64_MSR_RESET:
		if (!write) {
			*val = 0;
			break;
		}
		if (v & ~1ULL) {
			r = -EINVAL;
			break;
		}
		if (v) {
			vessel_skip_insn(vcpu);
			r = vessel_pv_exit_user(vcpu, VESSEL_EXIT_PV_RESET, 0,
						NULL);
		}
		break;
	case HV_X64_MSR_CRASH_CTL:
		if (!write) {
			/* The notifications a guest may ask for. */
			*val = HV_CRASH_CTL_CRASH_NOTIFY;
			break;
		}
		if (v & ~HV_CRASH_CTL_CRASH_NOTIFY) {
			r = -EINVAL;
			break;
		}
		hv->crash_ctl = v;
		if (v & HV_CRASH_CTL_CRASH_NOTIFY) {
			u64 data[6] = { hv->crash[0], hv->crash[1], hv->crash[2],
					hv->crash[3], hv->crash[4], v };

			vessel_skip_insn(vcpu);
			r = vessel_pv_exit_user(vcpu, VESSEL_EXIT_PV_CRASH, 6,
						data);
		}
		break;
	default:	/* HV_X64_MSR_CRASH_P0 .. P4 */
		if (write)
			hv->crash[index - HV_X64_MSR_CRASH_P0] = v;
		else
			*val = hv->crash[index - HV_X64_MSR_CRASH_P0];
		break;
	}
	mutex_unlock(&vm->pv.lock);
	return r;
}

/* ------------------------------------------------------- CPUID, state */

static void hv_sig(struct vessel_cpuid_entry *e, const char *s)
{
	memcpy(&e->ebx, s, 4);
	memcpy(&e->ecx, s + 4, 4);
	memcpy(&e->edx, s + 8, 4);
}

static unsigned int hv_cpuid(struct vessel_vm *vm,
			     struct vessel_cpuid_entry *e, unsigned int room)
{
	unsigned int n = HV_MAX_LEAF - HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS + 1;
	unsigned int i;

	if (room < n)
		return 0;
	memset(e, 0, n * sizeof(*e));
	for (i = 0; i < n; i++)
		e[i].function = HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS + i;
	/* Linux and Windows enable their enlightenments for this vendor. */
	e[0].eax = HV_MAX_LEAF;
	hv_sig(&e[0], "Microsoft Hv");
	e[1].eax = 0x31237648;				/* "Hv#1" */
	e[2].eax = 14393;				/* build */
	e[2].ebx = 10 << 16;				/* version 10.0 */
	e[3].eax = HV_FEATURES_EAX;
	e[3].ebx = HV_FEATURES_EBX;
	e[3].edx = HV_FEATURES_EDX;
	e[4].eax = HV_RECOMMEND_EAX;
	/* What goes through the in-kernel APIC exists only with one. */
	if (vm->lapic) {
		e[3].eax |= HV_LAPIC_FEATURES_EAX;
		e[3].ebx |= HV_LAPIC_FEATURES_EBX;
		e[3].edx |= HV_LAPIC_FEATURES_EDX;
		e[4].eax |= HV_LAPIC_RECOMMEND_EAX;
	}
	e[4].ebx = HV_SPIN_RETRIES;
	e[5].eax = VESSEL_MAX_VCPUS;			/* virtual processors */
	e[6].eax = HV_HW_FEATURES_EAX;
	return n;
}

static void hv_vm_reset(struct vessel_vm *vm)
{
	struct vessel_pv_hv_vm *hv = &vm->pv.hv;

	hv->guest_os_id = 0;
	hv->hypercall = 0;
	hv->reference_tsc = 0;
	memset(hv->crash, 0, sizeof(hv->crash));
	hv->crash_ctl = 0;
}

static void hv_vcpu_reset(struct vessel_vcpu *vcpu)
{
	struct vessel_pv_hv_vcpu *h = &vcpu->pv.hv;

	h->runtime_base = 0;
	h->vp_assist = 0;
	if (h->in_run)
		h->runtime_mark = hv_thread_runtime();
	vessel_hv_synic_reset(vcpu);
}

static void hv_vm_get_state(struct vessel_vm *vm, struct vessel_pv_state *st)
{
	const struct vessel_pv_hv_vm *hv = &vm->pv.hv;

	vessel_pv_clock_sync(vm, hv_clock_eval);
	st->hv_vm.guest_os_id = hv->guest_os_id;
	st->hv_vm.hypercall = hv->hypercall;
	st->hv_vm.reference_tsc = hv->reference_tsc;
	st->hv_vm.clock_tsc = vm->pv.clock.base_tsc;
	st->hv_vm.clock_ref = vm->pv.clock.base_val;
	memcpy(st->hv_vm.crash, hv->crash, sizeof(hv->crash));
	st->hv_vm.crash_ctl = hv->crash_ctl;
}

static int hv_vm_set_state(struct vessel_vm *vm,
			   const struct vessel_pv_state *st)
{
	const struct vessel_pv_hv_vm_state *s = &st->hv_vm;
	struct vessel_pv_hv_vm *hv = &vm->pv.hv;

	if (memchr_inv(s->reserved, 0, sizeof(s->reserved)) ||
	    !vessel_pv_state_tail_zero(st, sizeof(*s)) ||
	    (s->hypercall & HV_HYPERCALL_RSVD_BITS) ||
	    (s->reference_tsc & HV_REF_TSC_RSVD_BITS) ||
	    (s->crash_ctl & ~HV_CRASH_CTL_CRASH_NOTIFY))
		return -EINVAL;
	hv->guest_os_id = s->guest_os_id;
	hv->hypercall = s->hypercall;
	hv->reference_tsc = s->reference_tsc;
	memcpy(hv->crash, s->crash, sizeof(hv->crash));
	hv->crash_ctl = s->crash_ctl;
	/* A new clock: the TSC page is invalidated and rewritten on entry. */
	vessel_pv_clock_set(vm, s->clock_tsc, s->clock_ref);
	return 0;
}

static void hv_vcpu_get_state(struct vessel_vcpu *vcpu,
			      struct vessel_pv_state *st)
{
	st->hv_vcpu.vp_runtime = hv_vp_runtime(vcpu);
	st->hv_vcpu.vp_assist = vcpu->pv.hv.vp_assist;
	vessel_hv_synic_get_state(vcpu, st);
}

static int hv_vcpu_set_state(struct vessel_vcpu *vcpu,
			     const struct vessel_pv_state *st)
{
	const struct vessel_pv_hv_vcpu_state *s = &st->hv_vcpu;

	if (memchr_inv(s->reserved, 0, sizeof(s->reserved)) ||
	    !vessel_pv_state_tail_zero(st, sizeof(*s)) ||
	    (s->vp_assist & HV_VP_ASSIST_RSVD_BITS) ||
	    (!vcpu->lapic && s->vp_assist) ||
	    vessel_hv_synic_check_state(vcpu, st))
		return -EINVAL;
	hv_vcpu_reset(vcpu);
	vcpu->pv.hv.runtime_base = s->vp_runtime;
	vcpu->pv.hv.vp_assist = s->vp_assist;
	vessel_hv_synic_set_state(vcpu, st);
	return 0;
}

/*
 * TIME_REF_COUNT in the exit fast path: the clock read without pv.lock,
 * which the slow way takes.  Its scale is fixed at VM creation.
 */
static int hv_msr_read_fast(struct vessel_vcpu *vcpu, u32 index, u64 *val)
{
	struct vessel_vm *vm = vcpu->vm;
	u64 base_tsc, base_val;

	if (index != HV_X64_MSR_TIME_REF_COUNT ||
	    !hv_msr_advertised(vcpu, index) ||
	    !vessel_pv_clock_peek(vm, &base_tsc, &base_val))
		return -EAGAIN;
	*val = hv_ref_at(base_tsc, base_val, vm->pv.hv.scale,
			 vessel_pv_guest_tsc(vm));
	return 0;
}

const struct vessel_pv_ops vessel_pv_hyperv_ops = {
	.provider	= VESSEL_PV_HYPERV,
	.newest		= 1,
	.cap		= VESSEL_CAP_PV_HYPERV,
	.vm_init	= hv_vm_init,
	.cpuid		= hv_cpuid,
	.msr		= hv_msr,
	.msr_read_fast	= hv_msr_read_fast,
	.hypercall	= vessel_hv_hypercall,
	.complete_user	= vessel_hv_complete_user,
	.vcpu_init	= vessel_hv_synic_init,
	.vcpu_free	= vessel_hv_synic_free,
	.vcpu_event	= vessel_hv_synic_event,
	.vcpu_enter	= hv_vcpu_enter,
	.vcpu_leave	= hv_vcpu_leave,
	.vm_reset	= hv_vm_reset,
	.vcpu_reset	= hv_vcpu_reset,
	.vm_get_state	= hv_vm_get_state,
	.vm_set_state	= hv_vm_set_state,
	.vcpu_get_state	= hv_vcpu_get_state,
	.vcpu_set_state	= hv_vcpu_set_state,
};
