// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the Hyper-V provider's hypercalls (TLFS chapter 3): the input
 * value decoded, the caller's privilege and the reserved bits checked,
 * and one handler per call code - HvNotifyLongSpinWait, the TLB flushes,
 * the debugger calls (which exit to userspace), HvSendSyntheticClusterIpi
 * and HvPostMessage/HvSignalEvent with their connection table (in-kernel
 * APIC only), HvExtCallQueryCapabilities.  The rest of the provider
 * (MSRs, clock, CPUID, state) is pv/hyperv.c.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/hyperv-tlfs.h>

#include "irq/lapic.h"
#include "pv/hyperv.h"
#include "vcpu.h"

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

void vessel_hv_complete_user(struct vessel_vcpu *vcpu)
{
	u64 ret = READ_ONCE(vcpu->run->paravirt.ret);

	hv_set_result(vcpu, vessel_vmx_long_mode(vcpu), ret & 0xffff);
}

/*
 * Whether the fast path can finish the call: it only computes a status
 * (an error, an unknown code, a spin-wait notice with no one to yield to).
 */
static bool hv_hc_atomic(struct vessel_vcpu *vcpu, const struct hv_hcall *hc,
			 u64 control)
{
	if (vessel_vmx_guest_cpl(vcpu) || (control & HV_HYPERCALL_RSVD_MASK))
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

int vessel_hv_hypercall(struct vessel_vcpu *vcpu, bool atomic)
{
	struct vessel_pv_hv_vm *hv = &vcpu->vm->pv.hv;
	bool wide = vessel_vmx_long_mode(vcpu);
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

	if (vessel_vmx_guest_cpl(vcpu)) {
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
		if (!vessel_hv_has(vcpu, 1, HV_DEBUGGING)) {
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
		if (!vessel_hv_has(vcpu, 1, hc.code == HVCALL_POST_MESSAGE ?
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

		if (!vessel_hv_has(vcpu, 1, HV_ENABLE_EXTENDED_HYPERCALLS)) {
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
