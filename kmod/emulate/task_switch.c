// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: hardware task switches.  VMX never performs one in the guest: a
 * CALL, JMP or IRET to another task, or an event delivered through a task
 * gate in the IDT, exits with reason TASK_SWITCH once the processor has
 * checked the gate and the new TSS descriptor (SDM Vol. 3C 26.4.2), and
 * the switch is done here as SDM Vol. 3A 7.3 describes it: the outgoing
 * state is saved in the old TSS, the busy bits, EFLAGS.NT and the previous
 * task link change as the source demands, TR, CR3 (and the PDPTEs), the
 * registers, the LDTR and the segment registers are loaded, CR0.TS is set
 * and DR7's local enables are cleared.
 *
 * Nothing of the exit is trusted: the descriptor and TSS are read and
 * checked again (another vCPU may have changed them since the processor
 * looked), and every check raises the exception hardware would, with its
 * error code (tss.c holds the checks).  Before the commit point (TR
 * loaded) an exception leaves the old task as it was; after it, the rest of
 * the new state is loaded and the exception is delivered in the new task.
 *
 * Not checked again: the privilege checks of CALL and JMP on the TSS
 * descriptor or task gate (the exit does not say whether a gate was used;
 * the processor made them before exiting).
 */
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "emulate/exits.h"
#include "emulate/tss.h"
#include "mmu/mem.h"

/* The EFLAGS bits a TSS can load; the rest are reserved (zero). */
#define TS_EFLAGS_KNOWN	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
			 X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF | \
			 X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF | \
			 X86_EFLAGS_VM | X86_EFLAGS_AC | X86_EFLAGS_VIF | \
			 X86_EFLAGS_VIP | X86_EFLAGS_ID)

/* Step results: go on, an exception is recorded, no descriptor there. */
#define TS_OK		0
#define TS_FAULT	1
#define TS_OUTSIDE	2

/* One task switch in progress. */
struct ts_ctx {
	struct vessel_vcpu *vcpu;
	struct vessel_walk_env env;
	u64 pdptrs[4];
	unsigned int source;	/* VESSEL_TS_* */
	u16 sel;		/* the new TSS */
	u32 ext;		/* EXT bit of error codes */
	int vector;		/* the exception to raise, or -1 */
	u32 error;
	u64 cr2;		/* for #PF */
	u64 bad_addr;		/* what could not be emulated */
};

static int ts_raise(struct ts_ctx *ts, int vector, u32 error)
{
	if (ts->vector < 0) {
		ts->vector = vector;
		ts->error = error;
	}
	return TS_FAULT;
}

/*
 * Reads or writes @len bytes at linear address @la, page by page.  Every
 * page is translated before any byte is written, so a #PF leaves memory
 * as it was.  Linear addresses wrap at 4 GiB outside IA-32e mode.
 * Returns TS_OK, TS_FAULT (a #PF is recorded) or a negative errno (not
 * RAM: the access cannot be emulated).
 */
static int ts_access(struct ts_ctx *ts, u32 la, void *buf, unsigned int len,
		     u32 access)
{
	bool write = access & VESSEL_WALK_WRITE;
	int pass, r;

	for (pass = 0; pass < 2; pass++) {
		unsigned int left = len, done = 0;
		u32 a = la;

		while (left) {
			unsigned int chunk = min_t(unsigned int, left,
						   PAGE_SIZE - (a & ~PAGE_MASK));
			u32 pferr;
			u64 gpa;

			r = vessel_gva_to_gpa(&ts->env, a, access, &gpa, &pferr);
			if (r == -EFAULT) {
				ts->cr2 = a;
				return ts_raise(ts, X86_TRAP_PF, pferr);
			}
			if (!r && pass)
				r = write ? vessel_mem_write(ts->vcpu->vm, gpa,
							     buf + done, chunk) :
					    vessel_mem_read(ts->vcpu->vm, gpa,
							    buf + done, chunk);
			if (r) {
				ts->bad_addr = a;
				return r < 0 ? r : -EIO;
			}
			a += chunk;
			done += chunk;
			left -= chunk;
		}
	}
	return TS_OK;
}

/*
 * The descriptor of @sel: in the GDT, or with TI set in the current LDT
 * when @ldt_ok.  TS_OUTSIDE when the table does not hold it.  System
 * accesses are supervisor accesses whatever the CPL (SDM Vol. 3A 4.6).
 */
static int ts_desc_read(struct ts_ctx *ts, u16 sel, bool ldt_ok,
			struct vessel_desc *d, u64 *raw, u32 *addr)
{
	struct vessel_segment ldtr;
	u64 base;
	u32 limit;
	int r;

	if (sel & 4) {
		vessel_seg_get(VESSEL_SEG_LDTR, &ldtr);
		if (!ldt_ok || !(ldtr.attrib & VMX_AR_P_MASK))
			return TS_OUTSIDE;
		base = ldtr.base;
		limit = ldtr.limit;
	} else {
		vessel_vmx_guest_gdtr(ts->vcpu, &base, &limit);
	}
	if ((sel | 7U) > limit)
		return TS_OUTSIDE;
	*addr = base + (sel & ~7U);
	r = ts_access(ts, *addr, raw, sizeof(*raw), 0);
	if (r == TS_OK)
		vessel_desc_decode(*raw, d);
	return r;
}

/* Sets or clears a type bit of the descriptor at @addr (byte 5). */
static int ts_desc_update(struct ts_ctx *ts, u32 addr, u64 raw, u8 set,
			  u8 clear)
{
	u8 b = raw >> 40;

	b = (b | set) & ~clear;
	if (b == (u8)(raw >> 40))
		return TS_OK;
	return ts_access(ts, addr + 5, &b, 1, VESSEL_WALK_WRITE);
}

/*
 * After the commit point: load segment register @seg from @sel, checked.
 * A failing check records its exception (the first one only is raised)
 * and leaves the register unusable with the new selector, so a handler
 * sees which selector was bad.  Returns TS_OK, TS_FAULT or a negative errno.
 */
static int ts_load_seg(struct ts_ctx *ts, unsigned int seg, u16 sel,
		       unsigned int cpl, struct vessel_segment *out)
{
	struct vessel_desc d = { 0 };
	u64 raw = 0;
	u32 addr = 0, error;
	int r, vector;

	*out = (struct vessel_segment) { .selector = sel };
	if (vessel_sel_null(sel) && seg != VESSEL_SEG_CS && seg != VESSEL_SEG_SS)
		return TS_OK;
	r = ts_desc_read(ts, sel, seg != VESSEL_SEG_LDTR, &d, &raw, &addr);
	if (r < 0 || r == TS_FAULT)
		return r;
	vector = vessel_ts_check_seg(seg, sel, r == TS_OUTSIDE ? NULL : &d,
				     cpl, ts->ext, &error);
	if (vector)
		return ts_raise(ts, vector, error);
	/* Loading a code or data segment marks its descriptor accessed. */
	if (seg != VESSEL_SEG_LDTR) {
		r = ts_desc_update(ts, addr, raw, VESSEL_TYPE_ACCESSED, 0);
		if (r)
			return r;
		d.ar |= VESSEL_TYPE_ACCESSED;
	}
	out->base = d.base;
	out->limit = d.limit;
	out->attrib = d.ar;
	return TS_OK;
}

/*
 * The segment registers of the new task.  SS and CS are loaded together
 * or not at all: if either fails, both keep their old hidden parts (with
 * the new selectors), so the VMCS stays a state VM entry accepts and the
 * exception can still be delivered.
 */
static int ts_load_segs(struct ts_ctx *ts, const struct vessel_tss *nt,
			bool vm86)
{
	static const unsigned int data_segs[] = {
		VESSEL_SEG_ES, VESSEL_SEG_DS, VESSEL_SEG_FS, VESSEL_SEG_GS
	};
	struct vessel_segment s, ss, cs;
	unsigned int cpl = nt->sel[VESSEL_SEG_CS] & 3, i;
	int r, rs;

	r = ts_load_seg(ts, VESSEL_SEG_LDTR, nt->ldt, 0, &s);
	if (r < 0)
		return r;
	vessel_seg_set(VESSEL_SEG_LDTR, &s);

	if (vm86) {
		/* Virtual-8086 mode: real-mode segments at CPL 3. */
		for (i = VESSEL_SEG_ES; i <= VESSEL_SEG_GS; i++) {
			s = (struct vessel_segment) {
				.selector = nt->sel[i],
				.base = (u32)nt->sel[i] << 4,
				.limit = 0xffff,
				.attrib = 0xf3,
			};
			vessel_seg_set(i, &s);
		}
		return TS_OK;
	}

	rs = ts_load_seg(ts, VESSEL_SEG_SS, nt->sel[VESSEL_SEG_SS], cpl, &ss);
	if (rs < 0)
		return rs;
	r = rs ? TS_FAULT : ts_load_seg(ts, VESSEL_SEG_CS,
					nt->sel[VESSEL_SEG_CS], cpl, &cs);
	if (r < 0)
		return r;
	if (r || rs) {
		vessel_seg_get(VESSEL_SEG_SS, &ss);
		vessel_seg_get(VESSEL_SEG_CS, &cs);
		ss.selector = nt->sel[VESSEL_SEG_SS];
		cs.selector = nt->sel[VESSEL_SEG_CS];
	}
	vessel_seg_set(VESSEL_SEG_SS, &ss);
	vessel_seg_set(VESSEL_SEG_CS, &cs);

	/*
	 * After a fault the processor loads the rest without raising more
	 * (SDM Vol. 3A 7.3): good descriptors are loaded, a bad one leaves
	 * its register unusable rather than holding garbage.
	 */
	for (i = 0; i < ARRAY_SIZE(data_segs); i++) {
		r = ts_load_seg(ts, data_segs[i], nt->sel[data_segs[i]], cpl, &s);
		if (r < 0)
			return r;
		vessel_seg_set(data_segs[i], &s);
	}
	return TS_OK;
}

/*
 * An event delivered through a task gate with an error code pushes it on
 * the new task's stack (SDM Vol. 3A 6.12.2): a dword for a 32-bit TSS, a
 * word for a 16-bit one, at the new CPL.
 */
static int ts_push_error(struct ts_ctx *ts, bool is32, u32 error)
{
	struct vessel_vcpu *vcpu = ts->vcpu;
	unsigned long rsp = vessel_gpr_read(vcpu, VESSEL_GPR_RSP);
	unsigned int size = is32 ? 4 : 2;
	struct vessel_segment ss;
	u32 off, upper, access = VESSEL_WALK_WRITE;
	int r;

	vessel_seg_get(VESSEL_SEG_SS, &ss);
	upper = (ss.attrib & VMX_AR_DB_MASK) ? 0xffffffff : 0xffff;
	off = (rsp - size) & upper;
	/* Expand-down stacks hold (limit, upper]; others [0, limit]. */
	if (!(ss.attrib & VMX_AR_P_MASK) ||
	    ((VESSEL_AR_TYPE(ss.attrib) & VESSEL_TYPE_DC) ?
	     off <= ss.limit || off > upper - (size - 1) :
	     off > ss.limit || ss.limit - off < size - 1))
		return ts_raise(ts, X86_TRAP_SS, ts->ext);
	if (VMX_AR_DPL(ss.attrib) == 3)
		access |= VESSEL_WALK_USER;
	r = ts_access(ts, ss.base + off, &error, size, access);
	if (r)
		return r;
	vessel_gpr_write(vcpu, VESSEL_GPR_RSP, (rsp & ~(unsigned long)upper) | off);
	return TS_OK;
}

/* The outgoing task's state, as the old TSS will hold it. */
static void ts_old_state(struct vessel_vcpu *vcpu, unsigned int source,
			 unsigned long next_rip, struct vessel_tss *old)
{
	struct vessel_segment s;
	unsigned int i;

	memset(old, 0, sizeof(*old));
	old->eip = next_rip;
	old->eflags = vessel_vmx_guest_rflags(vcpu);
	/* IRET leaves the old task not nested (SDM Vol. 3A 7.4). */
	if (source == VESSEL_TS_IRET)
		old->eflags &= ~X86_EFLAGS_NT;
	for (i = 0; i < 8; i++)
		old->gpr[i] = vessel_gpr_read(vcpu, i);
	for (i = VESSEL_SEG_ES; i <= VESSEL_SEG_GS; i++) {
		vessel_seg_get(i, &s);
		old->sel[i] = s.selector;
	}
}

/* Registers, EFLAGS, CR0.TS, DR7 and CR3 of the new task. */
static int ts_load_regs(struct ts_ctx *ts, const struct vessel_tss *nt,
			bool is32, unsigned long *eflags)
{
	struct vessel_vcpu *vcpu = ts->vcpu;
	unsigned long fl, cr0 = vessel_vmx_guest_cr0(vcpu);
	unsigned int i;

	fl = nt->eflags & TS_EFLAGS_KNOWN & (is32 ? ~0UL : 0xffffUL);
	if (ts->source == VESSEL_TS_CALL || ts->source == VESSEL_TS_GATE)
		fl |= X86_EFLAGS_NT;
	*eflags = fl | X86_EFLAGS_FIXED;
	vessel_vmx_set_guest_rflags(vcpu, *eflags);
	vessel_vmx_set_guest_rip(vcpu, nt->eip);
	/* A 16-bit TSS holds 16-bit registers; the upper halves read 0. */
	for (i = 0; i < 8; i++)
		vessel_gpr_write(vcpu, i, nt->gpr[i]);

	/* The new task starts outside any STI or MOV SS shadow. */
	vessel_vmx_end_intr_shadow(vcpu);

	/* CR0.TS: the next FPU instruction may switch the FPU context. */
	vessel_vmx_set_cr0_ts(vcpu);
	/* Local breakpoints belong to the old task (SDM Vol. 3A 18.2.4). */
	vessel_dr7_set(vcpu, vessel_vmx_guest_dr7(vcpu) &
		       ~(unsigned long)(DR_LOCAL_ENABLE_MASK | DR_LOCAL_SLOWDOWN));

	if (!is32 || !(cr0 & X86_CR0_PG))
		return TS_OK;
	vessel_vmx_set_guest_cr3(vcpu, nt->cr3);
	/* MOV to CR3 flushes the TLB; so must this load. */
	vcpu->flush_on_entry = true;
	/* With EPT, PAE paging takes its PDPTEs from the VMCS on entry. */
	if ((vessel_vmx_guest_cr4(vcpu) & X86_CR4_PAE) &&
	    vessel_load_pdptrs(vcpu, nt->cr3))
		ts_raise(ts, X86_TRAP_GP, 0);
	vessel_walk_env_init(vcpu, &ts->env, ts->pdptrs);
	return TS_OK;
}

/*
 * The switch itself; an exception it raises is left in @ts.  Returns
 * TS_OK/TS_FAULT or a negative errno when guest memory cannot be emulated
 * (a TSS or descriptor table outside RAM).
 */
static int ts_switch(struct ts_ctx *ts, unsigned long next_rip,
		     bool push_error, u32 error_code)
{
	struct vessel_vcpu *vcpu = ts->vcpu;
	struct vessel_segment tr, s;
	struct vessel_desc nd = { 0 }, od = { 0 };
	struct vessel_tss old, nt;
	u8 buf[VESSEL_TSS32_SIZE], dyn[VESSEL_TSS32_DYN_LEN];
	u64 nraw = 0, oraw = 0;
	u32 naddr = 0, oaddr = 0, error;
	unsigned int dyn_off, dyn_len, new_len;
	unsigned long eflags;
	bool old32, new32;
	int r, vector;

	vessel_seg_get(VESSEL_SEG_TR, &tr);
	old32 = VESSEL_AR_TYPE(tr.attrib) & 8;
	dyn_off = old32 ? VESSEL_TSS32_DYN_OFF : VESSEL_TSS16_DYN_OFF;
	dyn_len = old32 ? VESSEL_TSS32_DYN_LEN : VESSEL_TSS16_DYN_LEN;
	/* The old TSS must hold what is saved in it. */
	if (tr.limit < dyn_off + dyn_len - 1)
		return ts_raise(ts, X86_TRAP_TS, (tr.selector & 0xfffc) | ts->ext);

	r = ts_desc_read(ts, ts->sel, false, &nd, &nraw, &naddr);
	if (r < 0 || r == TS_FAULT)
		return r;
	vector = vessel_ts_check_tss(ts->sel, r == TS_OUTSIDE ? NULL : &nd,
				     ts->source, ts->ext, &error);
	if (vector)
		return ts_raise(ts, vector, error);
	new32 = VESSEL_AR_TYPE(nd.ar) & 8;
	new_len = new32 ? VESSEL_TSS32_SIZE : VESSEL_TSS16_SIZE;

	/* Everything read before anything is written. */
	r = ts_access(ts, nd.base, buf, new_len, 0);
	if (r)
		return r;
	r = ts_access(ts, tr.base + dyn_off, dyn, dyn_len, 0);
	if (r)
		return r;
	if (ts->source == VESSEL_TS_JMP || ts->source == VESSEL_TS_IRET) {
		r = ts_desc_read(ts, tr.selector, false, &od, &oraw, &oaddr);
		if (r < 0 || r == TS_FAULT)
			return r;
		if (r == TS_OUTSIDE)
			oaddr = 0;	/* no descriptor to mark not busy */
	}

	ts_old_state(vcpu, ts->source, next_rip, &old);
	vessel_tss_save(dyn, old32, &old);
	r = ts_access(ts, tr.base + dyn_off, dyn, dyn_len, VESSEL_WALK_WRITE);
	if (r)
		return r;
	/* JMP and IRET leave the old task; CALL and gates nest it. */
	if (oaddr) {
		r = ts_desc_update(ts, oaddr, oraw, 0, VESSEL_DESC_TSS_BUSY);
		if (r)
			return r;
		/* A task returning to itself: one descriptor, updated twice. */
		if (naddr == oaddr)
			nraw &= ~(VESSEL_DESC_TSS_BUSY * (1ULL << 40));
	}
	if (ts->source == VESSEL_TS_CALL || ts->source == VESSEL_TS_GATE) {
		r = ts_access(ts, nd.base, &tr.selector, 2, VESSEL_WALK_WRITE);
		if (r)
			return r;
	}
	if (ts->source != VESSEL_TS_IRET) {
		r = ts_desc_update(ts, naddr, nraw, VESSEL_DESC_TSS_BUSY, 0);
		if (r)
			return r;
	}
	/* Read again: the old and new TSS may overlap, and the link changed. */
	r = ts_access(ts, nd.base, buf, new_len, 0);
	if (r)
		return r;
	vessel_tss_parse(buf, new32, &nt);

	/* The commit point: from here on, faults belong to the new task. */
	s = (struct vessel_segment) { .selector = ts->sel, .base = nd.base,
				      .limit = nd.limit,
				      .attrib = nd.ar | VESSEL_DESC_TSS_BUSY };
	vessel_seg_set(VESSEL_SEG_TR, &s);
	r = ts_load_regs(ts, &nt, new32, &eflags);
	if (r)
		return r;
	r = ts_load_segs(ts, &nt, new32 && (eflags & X86_EFLAGS_VM));
	if (r < 0)
		return r;
	if (ts->vector >= 0)
		return TS_FAULT;

	if (push_error) {
		r = ts_push_error(ts, new32, error_code);
		if (r)
			return r;
	}
	/* The T flag: a debug trap before the new task's first instruction. */
	if (new32 && nt.trap) {
		vessel_queue_exception(vcpu, X86_TRAP_DB, false, 0);
		vcpu->ev.exception_has_payload = true;
		vcpu->ev.exception_payload = DR_SWITCH | DR6_RESERVED;
	}
	return TS_OK;
}

/* Exit qualification for task switches: SDM Vol. 3C Table 28-2. */
int vessel_exit_task_switch(struct vessel_vcpu *vcpu)
{
	unsigned long qual = vessel_vmx_exit_qual(vcpu);
	struct vessel_vcpu_events *ev = &vcpu->ev;
	struct ts_ctx ts = {
		.vcpu = vcpu,
		.sel = qual & 0xffff,
		.source = (qual >> 30) & 3,
		.vector = -1,
	};
	unsigned long next_rip = vessel_vmx_guest_rip(vcpu);
	u32 event = 0, event_error = 0, type;
	int r;

	/*
	 * Through a task gate, the event being delivered (IDT-vectoring
	 * information) is consumed by the switch, not delivered again.  The
	 * old task resumes after a software interrupt, at the instruction
	 * otherwise; an error code goes onto the new task's stack.
	 */
	if (ts.source == VESSEL_TS_GATE) {
		if (ev->injected_info & INTR_INFO_VALID_MASK) {
			event = ev->injected_info;
			event_error = ev->injected_error_code;
			ev->injected_info = 0;
		}
		type = event & INTR_INFO_INTR_TYPE_MASK;
		if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
		    type == INTR_TYPE_PRIV_SW_EXCEPTION)
			next_rip += ev->injected_insn_len;
		/* Errors during the delivery of an external event set EXT. */
		if (type != INTR_TYPE_SOFT_INTR && type != INTR_TYPE_SOFT_EXCEPTION)
			ts.ext = 1;
		/* Delivering an NMI blocks NMIs, through a gate or not. */
		if ((event & INTR_INFO_VALID_MASK) && type == INTR_TYPE_NMI_INTR)
			vessel_vmx_block_nmi(vcpu);
	} else {
		next_rip += vcpu->exit_insn_len;
		/* IRET unblocks NMIs, also when it switches tasks. */
		if (ts.source == VESSEL_TS_IRET)
			vessel_vmx_unblock_nmi(vcpu);
	}

	/*
	 * IA-32e mode has no task switches (the processor raises #GP
	 * itself) and real mode has no TSS: never emulate one there.
	 */
	if ((vessel_vmx_guest_efer(vcpu) & EFER_LMA) ||
	    !(vessel_vmx_guest_cr0(vcpu) & X86_CR0_PE) ||
	    (vessel_vmx_guest_rflags(vcpu) & X86_EFLAGS_VM)) {
		ts_raise(&ts, X86_TRAP_GP, 0);
	} else {
		vessel_walk_env_init(vcpu, &ts.env, ts.pdptrs);
		r = ts_switch(&ts, (u32)next_rip,
			      event & INTR_INFO_DELIVER_CODE_MASK, event_error);
		if (r < 0) {
			u64 data[2] = { qual, ts.bad_addr };

			return vessel_exit_internal(vcpu, VESSEL_INTERNAL_EMULATION,
						    2, data);
		}
	}
	if (ts.vector < 0)
		return 1;
	/*
	 * A fault while switching to a task that handles an exception is a
	 * fault during its delivery: queued behind it, the double-fault
	 * rules apply (SDM Vol. 3A Table 6-5).
	 */
	if ((event & INTR_INFO_VALID_MASK) &&
	    (event & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION)
		vessel_queue_exception(vcpu, event & INTR_INFO_VECTOR_MASK,
				       event & INTR_INFO_DELIVER_CODE_MASK,
				       event_error);
	vessel_queue_exception(vcpu, ts.vector, true, ts.error);
	if (ts.vector == X86_TRAP_PF && vcpu->ev.exception_vector == X86_TRAP_PF) {
		vcpu->ev.exception_has_payload = true;
		vcpu->ev.exception_payload = ts.cr2;
	}
	return 1;
}
