// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the Hyper-V paravirtual provider, per Microsoft's Hypervisor
 * Top-Level Functional Specification (TLFS).  Implemented, and so
 * advertised in CPUID 0x40000003: the hypercall page, GUEST_OS_ID,
 * VP_INDEX, VP_RUNTIME, TIME_REF_COUNT and the reference TSC page, the
 * frequency MSRs, RESET and the crash MSRs (both exit to userspace),
 * extended hypercalls and debugging hypercalls (exit to userspace).
 * Hypercalls: HvNotifyLongSpinWait, HvFlushVirtualAddressSpace/List and
 * their Ex forms, HvPostDebugData, HvRetrieveDebugData,
 * HvResetDebugSession and HvExtCallQueryCapabilities.  SynIC, synthetic
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

#include "lapic.h"
#include "pv_hyperv.h"
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
 * SynIC, the synthetic timers and their direct mode (kmod/pv_hv_synic.c).
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

/* Input layouts of the calls whose headers are checked here. */
struct hv_debug_post {
	u32 count;
	u32 options;
} __packed;

struct hv_debug_retrieve {
	u32 count;
	u32 options;
	u64 timeout;
} __packed;

/* The TLFS debug payload: one page less the 8-byte header. */
#define HV_DEBUG_MAX_BYTES	(HV_HYP_PAGE_SIZE - sizeof(struct hv_debug_post))
/* HvResetDebugSession's output: host and target IPv4, ports and MACs. */
#define HV_DEBUG_RESET_OUT_BYTES	24

/* ------------------------------------------------------------- clock */

static u64 hv_clock_eval(struct vessel_vm *vm, u64 tsc)
{
	const struct vessel_pv_clock *c = &vm->pv.clock;
	u64 scale = vm->pv.hv.scale;

	return c->base_val - mul_u64_u64_shr(c->base_tsc, scale, 64) +
	       mul_u64_u64_shr(tsc, scale, 64);
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

static bool hv_has(struct vessel_vcpu *vcpu, u32 reg, u32 bits)
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		if ((bits & BIT(i)) &&
		    !vessel_guest_has(vcpu, HYPERV_CPUID_FEATURES, reg, i))
			return false;
	return true;
}

/* Which feature bits (EAX, EDX of 0x40000003) an MSR needs. */
static bool hv_msr_advertised(struct vessel_vcpu *vcpu, u32 index)
{
	switch (index) {
	case HV_X64_MSR_GUEST_OS_ID:
	case HV_X64_MSR_HYPERCALL:
		return hv_has(vcpu, 0, HV_MSR_HYPERCALL_AVAILABLE);
	case HV_X64_MSR_VP_INDEX:
		return hv_has(vcpu, 0, HV_MSR_VP_INDEX_AVAILABLE);
	case HV_X64_MSR_RESET:
		return hv_has(vcpu, 0, HV_MSR_RESET_AVAILABLE);
	case HV_X64_MSR_VP_RUNTIME:
		return hv_has(vcpu, 0, HV_MSR_VP_RUNTIME_AVAILABLE);
	case HV_X64_MSR_TIME_REF_COUNT:
		return hv_has(vcpu, 0, HV_MSR_TIME_REF_COUNT_AVAILABLE);
	case HV_X64_MSR_REFERENCE_TSC:
		return hv_has(vcpu, 0, HV_MSR_REFERENCE_TSC_AVAILABLE);
	case HV_X64_MSR_TSC_FREQUENCY:
	case HV_X64_MSR_APIC_FREQUENCY:
		return hv_has(vcpu, 0, HV_ACCESS_FREQUENCY_MSRS) &&
		       hv_has(vcpu, 3, HV_FEATURE_FREQUENCY_MSRS_AVAILABLE);
	case HV_X64_MSR_EOI:
	case HV_X64_MSR_ICR:
	case HV_X64_MSR_TPR:
	case HV_X64_MSR_VP_ASSIST_PAGE:
		return hv_has(vcpu, 0, HV_MSR_APIC_ACCESS_AVAILABLE);
	case HV_X64_MSR_STIMER0_CONFIG ... HV_X64_MSR_STIMER3_COUNT:
		return hv_has(vcpu, 0, HV_MSR_SYNTIMER_AVAILABLE);
	case HV_X64_MSR_SCONTROL ... HV_X64_MSR_EOM:
	case HV_X64_MSR_SINT0 ... HV_X64_MSR_SINT15:
		return hv_has(vcpu, 0, HV_MSR_SYNIC_AVAILABLE);
	default:	/* HV_X64_MSR_CRASH_P0 .. HV_X64_MSR_CRASH_CTL */
		return hv_has(vcpu, 3, HV_FEATURE_GUEST_CRASH_MSR_AVAILABLE);
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

/* -------------------------------------------------------- hypercalls */

/* One decoded hypercall (TLFS 3.6, the hypercall input value). */
struct hv_hcall {
	u16 code;
	bool fast;
	u16 var_cnt;		/* variable header size, 8-byte units */
	u16 rep_cnt;
	u16 rep_idx;
	u64 ingpa;		/* or fast input 1 */
	u64 outgpa;		/* or fast input 2 */
};

/* Read @len bytes of input at @gpa + @off: aligned, within one page. */
static u16 hv_read_input(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
			 u64 off, void *buf, size_t len)
{
	u64 gpa = hc->ingpa + off;

	if (hc->ingpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (off + len > HV_HYP_PAGE_SIZE - offset_in_page(hc->ingpa))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (vessel_mem_read(vcpu->vm, gpa, buf, len))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	return HV_STATUS_SUCCESS;
}

static u16 hv_write_output(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
			   const void *buf, size_t len)
{
	if (hc->outgpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	if (len > HV_HYP_PAGE_SIZE - offset_in_page(hc->outgpa))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (vessel_mem_write(vcpu->vm, hc->outgpa, buf, len))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	return HV_STATUS_SUCCESS;
}

/* A simple call: no rep count, no variable header. */
static bool hv_simple(const struct hv_hcall *hc)
{
	return !hc->rep_cnt && !hc->var_cnt;
}

#define HV_FLUSH_FLAGS	(HV_FLUSH_ALL_PROCESSORS |			\
			 HV_FLUSH_ALL_VIRTUAL_ADDRESS_SPACES |		\
			 HV_FLUSH_NON_GLOBAL_MAPPINGS_ONLY |		\
			 HV_FLUSH_USE_EXTENDED_RANGE_FORMAT)

/*
 * HvFlushVirtualAddressSpace/List(Ex).  Vessel flushes the whole VPID of
 * each target, which covers every address and address space asked for.
 * Fast forms need XMM input for these sizes, which is not offered.
 */
static u16 hv_hc_flush(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
		       bool list, bool ex)
{
	struct {
		u64 address_space;
		u64 flags;
		u64 mask_or_format;
		u64 valid_bank_mask;
	} in;
	size_t fixed = ex ? 32 : 24;
	u64 mask, bank0 = 0, rep_bytes;
	u16 s;

	if (hc->fast || list != !!hc->rep_cnt || (!ex && hc->var_cnt) ||
	    hc->rep_idx > hc->rep_cnt)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	s = hv_read_input(vcpu, hc, 0, &in, fixed);
	if (s)
		return s;
	if (in.flags & ~(u64)HV_FLUSH_FLAGS)
		return HV_STATUS_INVALID_PARAMETER;
	if (!ex) {
		mask = in.mask_or_format;
	} else if (in.mask_or_format == HV_GENERIC_SET_ALL) {
		if (hc->var_cnt)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		mask = ~0ULL;
	} else if (in.mask_or_format == HV_GENERIC_SET_SPARSE_4K) {
		/* One bank of 64 VPs per bit of the mask, in order. */
		if (hc->var_cnt != hweight64(in.valid_bank_mask))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		if (in.valid_bank_mask & 1) {
			s = hv_read_input(vcpu, hc, fixed, &bank0, sizeof(bank0));
			if (s)
				return s;
		}
		mask = bank0;
	} else {
		return HV_STATUS_INVALID_PARAMETER;
	}
	if (in.flags & HV_FLUSH_ALL_PROCESSORS)
		mask = ~0ULL;
	/* The GVA list must lie in the input page too. */
	rep_bytes = (u64)hc->rep_cnt * 8;
	if (fixed + hc->var_cnt * 8 + rep_bytes >
	    HV_HYP_PAGE_SIZE - offset_in_page(hc->ingpa))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	vessel_pv_flush_tlb(vcpu, mask);
	return HV_STATUS_SUCCESS;
}

/*
 * Exit to userspace to complete a call (VESSEL_EXIT_PV_DEBUG): data[0]
 * call code, [1] input GPA (or fast input), [2] output GPA (or second fast
 * input), [3] the input value; userspace's run->paravirt.ret (preset to
 * HV_STATUS_SUCCESS) is the status.
 */
static int hv_exit_user(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
			u64 control)
{
	u64 data[4] = { hc->code, hc->ingpa, hc->outgpa, control };

	vessel_skip_insn(vcpu);
	vessel_pv_exit_user(vcpu, VESSEL_EXIT_PV_DEBUG, 4, data);
	vcpu->run->paravirt.ret = HV_STATUS_SUCCESS;
	vcpu->pending = VESSEL_PENDING_PV;
	return 0;
}

static bool hv_debug_blocks_fit(const struct hv_hcall *hc, u32 count)
{
	u64 in_room = HV_HYP_PAGE_SIZE - offset_in_page(hc->ingpa);
	u64 out_room = HV_HYP_PAGE_SIZE - offset_in_page(hc->outgpa);
	u64 header = sizeof(struct hv_debug_post);

	switch (hc->code) {
	case HVCALL_POST_DEBUG_DATA:
		return header + count <= in_room && header <= out_room;
	case HVCALL_RETRIEVE_DEBUG_DATA:
		return header + count <= out_room;
	default:
		return out_room >= HV_DEBUG_RESET_OUT_BYTES;
	}
}

/*
 * Debugging hypercalls go to userspace, which owns the debugger link and
 * reads and writes the guest's buffers itself; VESSEL_EXIT_PV_DEBUG data:
 * [0] call code, [1] input GPA, [2] output GPA, [3] the input value.
 * The status userspace puts in run->paravirt.ret completes the call.
 */
static int hv_hc_debug(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
		       u64 control, u16 *status)
{
	struct hv_debug_retrieve in;
	size_t len = hc->code == HVCALL_RESET_DEBUG_SESSION ? 4 :
		     hc->code == HVCALL_POST_DEBUG_DATA ? 8 : 16;

	if (hc->fast || !hv_simple(hc))
		goto bad_input;
	*status = hv_read_input(vcpu, hc, 0, &in, len);
	if (*status)
		return 1;
	if (hc->outgpa & 7) {
		*status = HV_STATUS_INVALID_ALIGNMENT;
		return 1;
	}
	/* Options are reserved (zero) in every one of the three calls. */
	if ((hc->code == HVCALL_RESET_DEBUG_SESSION ? in.count : in.options) ||
	    (hc->code != HVCALL_RESET_DEBUG_SESSION &&
	     in.count > HV_DEBUG_MAX_BYTES)) {
		*status = HV_STATUS_INVALID_PARAMETER;
		return 1;
	}
	/*
	 * Userspace gets blocks it can use whole: the posted bytes inside
	 * the input page, the retrieved ones and the reset's answer inside
	 * the output page, as every hypercall's blocks are.
	 */
	if (!hv_debug_blocks_fit(hc, in.count)) {
		*status = HV_STATUS_INVALID_HYPERCALL_INPUT;
		return 1;
	}
	if (hc->code == HVCALL_POST_DEBUG_DATA)
		atomic64_add(in.count, &vcpu->vm->pv.stats.debug_bytes[0]);
	else if (hc->code == HVCALL_RETRIEVE_DEBUG_DATA)
		atomic64_add(in.count, &vcpu->vm->pv.stats.debug_bytes[1]);
	return hv_exit_user(vcpu, hc, control);

bad_input:
	*status = HV_STATUS_INVALID_HYPERCALL_INPUT;
	return 1;
}

/*
 * The VP set of an Ex call (TLFS "HV_VP_SET"): @format, @banks the valid
 * bank mask, the banks in the variable header at @off.  Vessel has one
 * bank's worth of VPs (64): bank 0 is read, others name no VP.
 */
static u16 hv_read_vpset(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
			 u64 off, u64 format, u64 banks, u64 *mask)
{
	*mask = 0;
	if (format == HV_GENERIC_SET_ALL) {
		if (hc->var_cnt)
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		*mask = ~0ULL;
		return HV_STATUS_SUCCESS;
	}
	if (format != HV_GENERIC_SET_SPARSE_4K)
		return HV_STATUS_INVALID_PARAMETER;
	if (hc->var_cnt != hweight64(banks))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (off + hc->var_cnt * 8 > HV_HYP_PAGE_SIZE - offset_in_page(hc->ingpa))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (banks & 1)
		return hv_read_input(vcpu, hc, off, mask, sizeof(*mask));
	return HV_STATUS_SUCCESS;
}

/* A fixed interrupt of @vec on each vCPU of @mask (VP index = vCPU id). */
static void hv_raise_mask(struct vessel_vm *vm, u64 mask, u8 vec)
{
	unsigned int i;

	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++)
		if ((mask & BIT_ULL(i)) && vm->vcpus[i])
			vessel_lapic_raise(vm->vcpus[i], vec);
	mutex_unlock(&vm->lock);
}

/*
 * HvSendSyntheticClusterIpi (fast or memory: vector, target VTL and
 * reserved bytes, processor mask) and HvSendSyntheticClusterIpiEx (memory:
 * vector, a VP set; its fast form needs XMM input, not offered).  The
 * target VTL and reserved bytes must be 0 (INVALID_HYPERCALL_INPUT); a
 * vector outside 16-255 is INVALID_PARAMETER.
 */
static u16 hv_hc_send_ipi(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
			  bool ex)
{
	u64 in[3], mask;
	u16 s;

	if (hc->rep_cnt || hc->rep_idx || (!ex && hc->var_cnt) ||
	    (ex && hc->fast))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (hc->fast) {
		in[0] = hc->ingpa;
		in[1] = hc->outgpa;
	} else {
		s = hv_read_input(vcpu, hc, 0, in, ex ? 24 : 16);
		if (s)
			return s;
	}
	if (in[0] >> 32)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if ((u32)in[0] < HV_SYNIC_FIRST_VALID_VECTOR || (u32)in[0] > 255)
		return HV_STATUS_INVALID_PARAMETER;
	if (!ex) {
		mask = in[1];
	} else {
		s = hv_read_vpset(vcpu, hc, 24, in[1], in[2], &mask);
		if (s)
			return s;
	}
	hv_raise_mask(vcpu->vm, mask, in[0]);
	return HV_STATUS_SUCCESS;
}

/* The connection @id with @flag, copied out under pv.lock; false if none. */
static bool hv_conn_find(struct vessel_vm *vm, u32 id, u32 flag,
			 struct vessel_hv_conn *out)
{
	struct vessel_pv_hv_vm *hv = &vm->pv.hv;
	bool found = false;
	unsigned int i;

	mutex_lock(&vm->pv.lock);
	for (i = 0; i < hv->nr_conns; i++)
		if (hv->conns[i].id == id && (hv->conns[i].flags & flag)) {
			*out = hv->conns[i];
			found = true;
			break;
		}
	mutex_unlock(&vm->pv.lock);
	return found;
}

/* The HV_INPUT_POST_MESSAGE of the TLFS. */
struct hv_post_message_in {
	u32 connection_id;
	u32 reserved;
	u32 message_type;
	u32 payload_size;
	u64 payload[HV_MESSAGE_PAYLOAD_QWORD_COUNT];
} __packed;

/*
 * HvPostMessage, memory form: a registered connection ID goes to its
 * vCPU's SINT here, another exits to userspace.  Reserved bits (the
 * reserved dword, ID bits 24-31) INVALID_HYPERCALL_INPUT; a type of 0 or
 * of the hypervisor's own (bit 31), or a payload over 240 bytes,
 * INVALID_PARAMETER.  Returns the status, or -1 after an exit.
 */
static int hv_hc_post_message(struct vessel_vcpu *vcpu,
			      const struct hv_hcall *hc, u64 control)
{
	struct hv_post_message_in in;
	struct vessel_hv_conn c;
	struct vessel_vm *vm = vcpu->vm;
	u16 s;

	if (hc->fast || !hv_simple(hc))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	s = hv_read_input(vcpu, hc, 0, &in, sizeof(in));
	if (s)
		return s;
	if (in.reserved || (in.connection_id >> 24))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!in.message_type || (in.message_type & BIT(31)) ||
	    in.payload_size > HV_MESSAGE_PAYLOAD_BYTE_COUNT)
		return HV_STATUS_INVALID_PARAMETER;
	if (!hv_conn_find(vm, in.connection_id, VESSEL_PV_HV_CONN_MESSAGE, &c)) {
		hv_exit_user(vcpu, hc, control);
		return -1;
	}
	s = HV_STATUS_INVALID_CONNECTION_ID;	/* its vCPU is gone */
	mutex_lock(&vm->lock);
	if (vm->vcpus[c.vcpu])
		s = vessel_hv_post_message(vm->vcpus[c.vcpu], c.sint,
					   in.message_type, in.payload,
					   in.payload_size);
	mutex_unlock(&vm->lock);
	return s;
}

/*
 * HvSignalEvent, fast or memory (connection ID, flag number, reserved
 * word): as HvPostMessage; a flag number beyond the port's flags is
 * INVALID_PARAMETER.
 */
static int hv_hc_signal_event(struct vessel_vcpu *vcpu,
			      const struct hv_hcall *hc, u64 control)
{
	struct vessel_hv_conn c;
	struct vessel_vm *vm = vcpu->vm;
	u32 id, flag;
	u64 in;
	u16 s;

	if (!hv_simple(hc))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (hc->fast) {
		in = hc->ingpa;
	} else {
		s = hv_read_input(vcpu, hc, 0, &in, sizeof(in));
		if (s)
			return s;
	}
	id = (u32)in;
	flag = (in >> 32) & 0xffff;
	if ((in >> 48) || (id >> 24))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (!hv_conn_find(vm, id, VESSEL_PV_HV_CONN_EVENT, &c)) {
		hv_exit_user(vcpu, hc, control);
		return -1;
	}
	if (flag >= c.flag_count)
		return HV_STATUS_INVALID_PARAMETER;
	s = HV_STATUS_INVALID_CONNECTION_ID;
	mutex_lock(&vm->lock);
	if (vm->vcpus[c.vcpu])
		s = vessel_hv_signal_event(vm->vcpus[c.vcpu], c.sint,
					   c.flag_base + flag);
	mutex_unlock(&vm->lock);
	return s;
}

/* VESSEL_PV_HV_SET_CONNECTION */
long vessel_hv_set_connection(struct vessel_vm *vm,
			      const struct vessel_pv_hv_connection __user *u)
{
	const u32 kinds = VESSEL_PV_HV_CONN_MESSAGE | VESSEL_PV_HV_CONN_EVENT;
	struct vessel_pv_hv_vm *hv = &vm->pv.hv;
	struct vessel_pv_hv_connection c;
	unsigned int i;
	long r = 0;

	if (copy_from_user(&c, u, sizeof(c)))
		return -EFAULT;
	if (vm->pv.ops != &vessel_pv_hyperv_ops || !vm->lapic ||
	    memchr_inv(c.reserved, 0, sizeof(c.reserved)) ||
	    (c.flags & ~(kinds | VESSEL_PV_HV_CONN_DELETE)) ||
	    !c.flags || ((c.flags & VESSEL_PV_HV_CONN_DELETE) && (c.flags & kinds)) ||
	    (c.conn_id >> 24))
		return -EINVAL;
	if (!(c.flags & VESSEL_PV_HV_CONN_DELETE) &&
	    (c.vcpu >= VESSEL_MAX_VCPUS || c.sint >= VESSEL_HV_SINTS ||
	     ((c.flags & VESSEL_PV_HV_CONN_EVENT) ?
	      !c.flag_count || c.flag_base >= HV_EVENT_FLAGS_COUNT ||
	      c.flag_count > HV_EVENT_FLAGS_COUNT - c.flag_base :
	      c.flag_base || c.flag_count)))
		return -EINVAL;

	mutex_lock(&vm->pv.lock);
	for (i = 0; i < hv->nr_conns; i++)
		if (hv->conns[i].id == c.conn_id)
			break;
	if (c.flags & VESSEL_PV_HV_CONN_DELETE) {
		if (i == hv->nr_conns)
			r = -ENOENT;
		else
			hv->conns[i] = hv->conns[--hv->nr_conns];
	} else if (i < hv->nr_conns) {
		r = -EBUSY;
	} else if (hv->nr_conns == VESSEL_PV_HV_MAX_CONNECTIONS) {
		r = -ENOMEM;
	} else {
		hv->conns[hv->nr_conns++] = (struct vessel_hv_conn) {
			.id = c.conn_id, .flags = c.flags, .vcpu = c.vcpu,
			.sint = c.sint, .flag_base = c.flag_base,
			.flag_count = c.flag_count,
		};
	}
	mutex_unlock(&vm->pv.lock);
	return r;
}

/* The result: RAX, or EDX:EAX outside 64-bit mode (TLFS 3.8). */
static void hv_set_result(struct vessel_vcpu *vcpu, bool wide, u64 result)
{
	if (wide) {
		vcpu->regs[VESSEL_GPR_RAX] = result;
	} else {
		vcpu->regs[VESSEL_GPR_RAX] = (u32)result;
		vcpu->regs[VESSEL_GPR_RDX] = result >> 32;
	}
}

static void hv_complete_user(struct vessel_vcpu *vcpu)
{
	u64 ret = READ_ONCE(vcpu->run->paravirt.ret);

	hv_set_result(vcpu, vessel_pv_long_mode(vcpu), ret & 0xffff);
}

/*
 * Whether the fast path can finish the call: it only computes a status
 * (an error, an unknown code, a spin-wait notice with no one to yield to).
 */
static bool hv_hc_atomic(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
			 u64 control)
{
	if (vessel_pv_guest_cpl(vcpu) || (control & HV_HYPERCALL_RSVD_MASK))
		return true;
	switch (hc->code) {
	case HVCALL_NOTIFY_LONG_SPIN_WAIT:
		return !hv_simple(hc) ||
		       (hc->fast && READ_ONCE(vcpu->vm->nr_vcpus) <= 1);
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX:
	case HVCALL_POST_DEBUG_DATA:
	case HVCALL_RETRIEVE_DEBUG_DATA:
	case HVCALL_RESET_DEBUG_SESSION:
	case HVCALL_SEND_IPI:
	case HVCALL_SEND_IPI_EX:
	case HVCALL_POST_MESSAGE:
	case HVCALL_SIGNAL_EVENT:
	case HV_EXT_CALL_QUERY_CAPABILITIES:
		return false;
	default:
		return true;	/* HV_STATUS_INVALID_HYPERCALL_CODE */
	}
}

static int hv_hypercall(struct vessel_vcpu *vcpu, bool atomic)
{
	struct vessel_pv_hv_vm *hv = &vcpu->vm->pv.hv;
	bool wide = vessel_pv_long_mode(vcpu);
	unsigned long *r = vcpu->regs;
	struct hv_hcall hc;
	u64 control, out = 0;
	u16 status;

	/* Before the guest enabled the hypercall page, VMCALL is #UD. */
	if (!(READ_ONCE(hv->hypercall) & HV_X64_MSR_HYPERCALL_ENABLE))
		return atomic ? -EAGAIN : -ENOENT;
	if (wide) {
		control = r[VESSEL_GPR_RCX];
		hc.ingpa = r[VESSEL_GPR_RDX];
		hc.outgpa = r[VESSEL_GPR_R8];
	} else {
		control = (u64)(u32)r[VESSEL_GPR_RDX] << 32 | (u32)r[VESSEL_GPR_RAX];
		hc.ingpa = (u64)(u32)r[VESSEL_GPR_RBX] << 32 | (u32)r[VESSEL_GPR_RCX];
		hc.outgpa = (u64)(u32)r[VESSEL_GPR_RDI] << 32 | (u32)r[VESSEL_GPR_RSI];
	}
	hc.code = control & 0xffff;
	hc.fast = control & HV_HYPERCALL_FAST_BIT;
	hc.var_cnt = (control & HV_HYPERCALL_VARHEAD_MASK) >>
		     HV_HYPERCALL_VARHEAD_OFFSET;
	hc.rep_cnt = (control & HV_HYPERCALL_REP_COMP_MASK) >>
		     HV_HYPERCALL_REP_COMP_OFFSET;
	hc.rep_idx = (control & HV_HYPERCALL_REP_START_MASK) >>
		     HV_HYPERCALL_REP_START_OFFSET;
	if (atomic && !hv_hc_atomic(vcpu, &hc, control))
		return -EAGAIN;
	vessel_pv_count_hc(vcpu->vm, hc.code);

	if (vessel_pv_guest_cpl(vcpu)) {
		status = HV_STATUS_ACCESS_DENIED;
		goto out;
	}
	if (control & HV_HYPERCALL_RSVD_MASK) {
		status = HV_STATUS_INVALID_HYPERCALL_INPUT;
		goto out;
	}

	switch (hc.code) {
	case HVCALL_NOTIFY_LONG_SPIN_WAIT:
		if (!hv_simple(&hc)) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		if (!hc.fast) {
			u64 count;

			status = hv_read_input(vcpu, &hc, 0, &count, sizeof(count));
			if (status)
				break;
		}
		/*
		 * A spinning vCPU: let another one of the VM run.  Not in
		 * the fast path, which took the call for a vCPU alone in its
		 * VM: one created since must not make it take vm->lock.
		 */
		if (!atomic)
			vessel_vcpu_yield_to(vcpu, ~0ULL);
		status = HV_STATUS_SUCCESS;
		break;
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX:
	case HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX:
		status = hv_hc_flush(vcpu, &hc,
				     hc.code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST ||
				     hc.code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX,
				     hc.code == HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE_EX ||
				     hc.code == HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST_EX);
		if (!status)
			out = (u64)hc.rep_cnt << HV_HYPERCALL_REP_COMP_OFFSET;
		break;
	case HVCALL_POST_DEBUG_DATA:
	case HVCALL_RETRIEVE_DEBUG_DATA:
	case HVCALL_RESET_DEBUG_SESSION:
		if (!hv_has(vcpu, 1, HV_DEBUGGING)) {
			status = HV_STATUS_ACCESS_DENIED;
			break;
		}
		if (!hv_hc_debug(vcpu, &hc, control, &status))
			return 0;
		break;
	case HVCALL_SEND_IPI:
	case HVCALL_SEND_IPI_EX:
		if (!vcpu->lapic) {
			status = HV_STATUS_INVALID_HYPERCALL_CODE;
			break;
		}
		status = hv_hc_send_ipi(vcpu, &hc, hc.code == HVCALL_SEND_IPI_EX);
		break;
	case HVCALL_POST_MESSAGE:
	case HVCALL_SIGNAL_EVENT: {
		int s;

		if (!vcpu->lapic) {
			status = HV_STATUS_INVALID_HYPERCALL_CODE;
			break;
		}
		if (!hv_has(vcpu, 1, hc.code == HVCALL_POST_MESSAGE ?
			    HV_POST_MESSAGES : HV_SIGNAL_EVENTS)) {
			status = HV_STATUS_ACCESS_DENIED;
			break;
		}
		s = hc.code == HVCALL_POST_MESSAGE ?
		    hv_hc_post_message(vcpu, &hc, control) :
		    hv_hc_signal_event(vcpu, &hc, control);
		if (s < 0)
			return 0;
		status = s;
		break;
	}
	case HV_EXT_CALL_QUERY_CAPABILITIES: {
		u64 caps = 0;	/* no extended call beyond this one */

		if (!hv_has(vcpu, 1, HV_ENABLE_EXTENDED_HYPERCALLS)) {
			status = HV_STATUS_INVALID_HYPERCALL_CODE;
			break;
		}
		if (hc.fast || !hv_simple(&hc)) {
			status = HV_STATUS_INVALID_HYPERCALL_INPUT;
			break;
		}
		status = hv_write_output(vcpu, &hc, &caps, sizeof(caps));
		break;
	}
	default:
		status = HV_STATUS_INVALID_HYPERCALL_CODE;
		break;
	}
out:
	hv_set_result(vcpu, wide, status | out);
	vessel_skip_insn(vcpu);
	return 1;
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

const struct vessel_pv_ops vessel_pv_hyperv_ops = {
	.provider	= VESSEL_PV_HYPERV,
	.newest		= 1,
	.cap		= VESSEL_CAP_PV_HYPERV,
	.vm_init	= hv_vm_init,
	.cpuid		= hv_cpuid,
	.msr		= hv_msr,
	.hypercall	= hv_hypercall,
	.complete_user	= hv_complete_user,
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
