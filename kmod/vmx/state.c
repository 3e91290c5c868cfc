// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the vCPU state ABI (struct vessel_vcpu_state) to and from the
 * VMCS and the vCPU, one part at a time.  Everything SET_STATE accepts is
 * checked first - a state the CPU would refuse at VM entry is EINVAL here -
 * and what it sets, GET_STATE returns bit for bit.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "irq/lapic.h"
#include "vcpu.h"

/* The VMCS fields of each segment register, in uapi VESSEL_SEG_* order. */
static const struct {
	u16 selector, base, limit, ar;
} seg_fields[VESSEL_NR_SEGS] = {
	[VESSEL_SEG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	[VESSEL_SEG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	[VESSEL_SEG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	[VESSEL_SEG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	[VESSEL_SEG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	[VESSEL_SEG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	[VESSEL_SEG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
	[VESSEL_SEG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
};

#define AR_TYPE(ar)	((ar) & VMX_AR_TYPE_MASK)
/* uapi attrib is the low 16 bits of the access rights. */
#define AR_RESERVED	(VMX_AR_RESERVD_MASK & 0xffff)

#define RFLAGS_RESERVED	(~(u64)(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
				X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_TF | \
				X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_OF | \
				X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF | \
				X86_EFLAGS_VM | X86_EFLAGS_AC | X86_EFLAGS_VIF | \
				X86_EFLAGS_VIP | X86_EFLAGS_ID | X86_EFLAGS_FIXED))

static bool canonical(u64 va)
{
	return (u64)((s64)(va << 16) >> 16) == va;
}

/* Architectural power-on state (SDM Vol. 3 Table 10-1). */
void vessel_state_reset(struct vessel_vcpu *vcpu)
{
	unsigned int i;
	u32 eax, ebx, ecx, edx;

	for (i = 0; i < VESSEL_NR_SEGS; i++) {
		vmcs_write16(seg_fields[i].selector, 0);
		vmcs_writel(seg_fields[i].base, 0);
		vmcs_write32(seg_fields[i].limit, 0xffff);
		vmcs_write32(seg_fields[i].ar, 0x93);
	}
	vmcs_write16(GUEST_CS_SELECTOR, 0xf000);
	vmcs_writel(GUEST_CS_BASE, 0xffff0000);
	vmcs_write32(GUEST_CS_AR_BYTES, 0x9b);
	vmcs_write32(GUEST_LDTR_AR_BYTES, 0x82);
	vmcs_write32(GUEST_TR_AR_BYTES, 0x8b);
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);

	vmcs_writel(GUEST_RIP, 0xfff0);
	vmcs_writel(GUEST_RSP, 0);
	vmcs_writel(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	cpuid(1, &eax, &ebx, &ecx, &edx);
	vcpu->regs[VESSEL_GPR_RDX] = eax;	/* family/model/stepping */

	vmcs_write64(GUEST_IA32_EFER, 0);
	vcpu->uret_loaded = false;	/* SCE: uret.c */
	vmcs_writel(CR0_READ_SHADOW, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmcs_writel(GUEST_CR0, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW | X86_CR0_NE);
	vmcs_writel(CR4_READ_SHADOW, 0);
	vmcs_writel(GUEST_CR4, X86_CR4_VMXE);
	vmcs_writel(GUEST_CR3, 0);
	vcpu->cr2 = 0;
	vcpu->cr8 = 0;
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vessel_update_entry_controls(vcpu);

	memset(vcpu->dr, 0, sizeof(vcpu->dr));
	vcpu->dr6 = DR6_RESERVED;
	vessel_dr7_set(vcpu, 0x400);	/* bit 10 reads as 1 */
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);

	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ULL);
	for (i = 0; i < VESSEL_NR_URET_MSRS; i++)
		vessel_uret_set(vcpu, i, 0);
	vessel_kernel_gs_base_set(vcpu, 0);
	vessel_msr_reset(vcpu);

	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	memset(&vcpu->ev, 0, sizeof(vcpu->ev));
	vcpu->pending = VESSEL_PENDING_NONE;
}

/* SIPI: real mode at vector << 12, after INIT's reset (SDM 9.4.4.1). */
void vessel_state_sipi(struct vessel_vcpu *vcpu, u8 vector)
{
	vmcs_write16(GUEST_CS_SELECTOR, vector << 8);
	vmcs_writel(GUEST_CS_BASE, (unsigned long)vector << 12);
	vmcs_writel(GUEST_RIP, 0);
}

/**
 * vessel_seg_get() - one segment register, in the ABI's form
 * @seg:	VESSEL_SEG_*
 * @s:		filled; an unusable register is reported as not present
 */
void vessel_seg_get(unsigned int seg, struct vessel_segment *s)
{
	u32 ar = vmcs_read32(seg_fields[seg].ar);

	s->selector = vmcs_read16(seg_fields[seg].selector);
	s->base = vmcs_readl(seg_fields[seg].base);
	s->limit = vmcs_read32(seg_fields[seg].limit);
	s->attrib = (ar & VMX_AR_UNUSABLE_MASK) ?
		    (ar & 0xffff & ~VMX_AR_P_MASK) : (ar & 0xffff);
}

/**
 * vessel_seg_set() - load one segment register from the ABI's form
 * @seg:	VESSEL_SEG_*
 * @s:		the register; not present means unusable
 */
void vessel_seg_set(unsigned int seg, const struct vessel_segment *s)
{
	u32 ar = s->attrib;

	vmcs_write16(seg_fields[seg].selector, s->selector);
	vmcs_writel(seg_fields[seg].base, s->base);
	vmcs_write32(seg_fields[seg].limit, s->limit);
	vmcs_write32(seg_fields[seg].ar,
		     (ar & VMX_AR_P_MASK) ? ar : ar | VMX_AR_UNUSABLE_MASK);
}

/* ---------------------------------------------------------------- get */

static void get_gprs(struct vessel_vcpu *vcpu, struct vessel_gprs *g)
{
	memcpy(g->regs, vcpu->regs, sizeof(g->regs));
	g->regs[VESSEL_GPR_RSP] = vmcs_readl(GUEST_RSP);
	g->rip = vmcs_readl(GUEST_RIP);
	g->rflags = vmcs_readl(GUEST_RFLAGS);
}

static void get_segs(struct vessel_vcpu *vcpu, struct vessel_segs *s)
{
	unsigned int i;

	for (i = 0; i < VESSEL_NR_SEGS; i++)
		vessel_seg_get(i, &s->seg[i]);
	s->gdt = (struct vessel_dtable) { .base = vmcs_readl(GUEST_GDTR_BASE),
					  .limit = vmcs_read32(GUEST_GDTR_LIMIT) };
	s->idt = (struct vessel_dtable) { .base = vmcs_readl(GUEST_IDTR_BASE),
					  .limit = vmcs_read32(GUEST_IDTR_LIMIT) };
}

static void get_crs(struct vessel_vcpu *vcpu, struct vessel_crs *c)
{
	c->cr0 = vmcs_readl(CR0_READ_SHADOW);
	c->cr2 = vcpu->cr2;
	c->cr3 = vmcs_readl(GUEST_CR3);
	c->cr4 = vmcs_readl(CR4_READ_SHADOW);
	c->cr8 = vessel_lapic_cr8_read(vcpu);
	c->efer = vmcs_read64(GUEST_IA32_EFER);
	c->xcr0 = vcpu->xcr0;
	c->reserved = 0;
}

static void get_drs(struct vessel_vcpu *vcpu, struct vessel_drs *d)
{
	memcpy(d->dr, vcpu->dr, sizeof(d->dr));
	d->dr6 = vcpu->dr6;
	d->dr7 = vmcs_readl(GUEST_DR7);
	memset(d->reserved, 0, sizeof(d->reserved));
}

static void get_msrs(struct vessel_vcpu *vcpu, u64 *m)
{
	memset(m, 0, VESSEL_MSR_SLOTS * sizeof(*m));
	m[VESSEL_MSR_SYSENTER_CS] = vmcs_read32(GUEST_SYSENTER_CS);
	m[VESSEL_MSR_SYSENTER_ESP] = vmcs_readl(GUEST_SYSENTER_ESP);
	m[VESSEL_MSR_SYSENTER_EIP] = vmcs_readl(GUEST_SYSENTER_EIP);
	m[VESSEL_MSR_STAR] = vcpu->uret[VESSEL_URET_STAR];
	m[VESSEL_MSR_LSTAR] = vcpu->uret[VESSEL_URET_LSTAR];
	m[VESSEL_MSR_CSTAR] = vcpu->uret[VESSEL_URET_CSTAR];
	m[VESSEL_MSR_SFMASK] = vcpu->uret[VESSEL_URET_SFMASK];
	m[VESSEL_MSR_KERNEL_GS_BASE] = vessel_kernel_gs_base_get(vcpu);
	m[VESSEL_MSR_PAT] = vmcs_read64(GUEST_IA32_PAT);
	m[VESSEL_MSR_TSC] = rdtsc() + vcpu->vm->tsc_offset;
	m[VESSEL_MSR_TSC_AUX] = vcpu->uret[VESSEL_URET_TSC_AUX];
	m[VESSEL_MSR_MISC_ENABLE] = vcpu->misc_enable;
	m[VESSEL_MSR_TSC_ADJUST] = vcpu->tsc_adjust;
}

static void get_events(struct vessel_vcpu *vcpu, struct vessel_events *e)
{
	const struct vessel_vcpu_events *ev = &vcpu->ev;

	memset(e, 0, sizeof(*e));
	e->flags = (ev->exception_pending ? VESSEL_EV_EXCEPTION_PENDING : 0) |
		   (ev->exception_has_error ? VESSEL_EV_EXCEPTION_HAS_ERROR : 0) |
		   (ev->exception_has_payload ? VESSEL_EV_EXCEPTION_HAS_PAYLOAD : 0) |
		   (ev->nmi_pending ? VESSEL_EV_NMI_PENDING : 0) |
		   (ev->irq_pending ? VESSEL_EV_IRQ_PENDING : 0);
	e->interruptibility = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
			      (VESSEL_INTR_STI | VESSEL_INTR_MOV_SS | VESSEL_INTR_NMI);
	e->activity = vmcs_read32(GUEST_ACTIVITY_STATE) == GUEST_ACTIVITY_HLT ?
		      VESSEL_ACTIVITY_HLT : VESSEL_ACTIVITY_ACTIVE;
	e->exception_vector = ev->exception_vector;
	e->exception_error_code = ev->exception_error_code;
	e->exception_payload = ev->exception_payload;
	e->irq_vector = ev->irq_vector;
	e->injected_info = ev->injected_info;
	e->injected_error_code = ev->injected_error_code;
	e->injected_insn_len = ev->injected_insn_len;
}

long vessel_vcpu_get_state(struct vessel_vcpu *vcpu,
			   struct vessel_vcpu_state __user *uarg)
{
	struct vessel_vcpu_state *st;
	u64 parts;
	long r = 0;

	if (get_user(parts, &uarg->flags))
		return -EFAULT;
	if (parts & ~VESSEL_STATE_ALL)
		return -EINVAL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	/* Parts not asked for are left as the caller had them. */
	if (copy_from_user(st, uarg, sizeof(*st))) {
		r = -EFAULT;
		goto out;
	}
	r = vessel_vcpu_load(vcpu);
	if (r)
		goto out_put;
	if (parts & VESSEL_STATE_GPRS)
		get_gprs(vcpu, &st->gprs);
	if (parts & VESSEL_STATE_SEGS)
		get_segs(vcpu, &st->segs);
	if (parts & VESSEL_STATE_CRS)
		get_crs(vcpu, &st->crs);
	if (parts & VESSEL_STATE_DRS)
		get_drs(vcpu, &st->drs);
	if (parts & VESSEL_STATE_MSRS)
		get_msrs(vcpu, st->msrs);
	if (parts & VESSEL_STATE_EVENTS)
		get_events(vcpu, &st->events);
	if (parts & VESSEL_STATE_FPU) {
		memset(&st->fpu, 0, sizeof(st->fpu));
		fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, st->fpu.xsave,
					       sizeof(st->fpu.xsave),
					       vessel_xcr0_supported() ?: XFEATURE_MASK_FPSSE,
					       0);
	}
	if (copy_to_user(uarg, st, sizeof(*st)))
		r = -EFAULT;
out_put:
	vessel_vcpu_put(vcpu);
out:
	kfree(st);
	return r;
}

/* -------------------------------------------------------------- check */

/* Limit and granularity must agree (SDM 26.3.1.2). */
static bool seg_limit_ok(const struct vessel_segment *s)
{
	if ((s->limit & 0xfff) != 0xfff && (s->attrib & VMX_AR_G_MASK))
		return false;
	if ((s->limit & 0xfff00000) && !(s->attrib & VMX_AR_G_MASK))
		return false;
	return true;
}

/* The VM-entry checks on guest segments, with unrestricted guest. */
static int check_segs(const struct vessel_segs *s, bool long_mode, bool pe)
{
	const struct vessel_segment *cs = &s->seg[VESSEL_SEG_CS];
	const struct vessel_segment *ss = &s->seg[VESSEL_SEG_SS];
	const struct vessel_segment *tr = &s->seg[VESSEL_SEG_TR];
	const struct vessel_segment *ldtr = &s->seg[VESSEL_SEG_LDTR];
	unsigned int i;

	for (i = 0; i < VESSEL_NR_SEGS; i++) {
		const struct vessel_segment *g = &s->seg[i];

		if (!(g->attrib & VMX_AR_P_MASK))
			continue;
		if ((g->attrib & AR_RESERVED) || !seg_limit_ok(g))
			return -EINVAL;
		if (i <= VESSEL_SEG_GS && !(g->attrib & VMX_AR_S_MASK))
			return -EINVAL;
		/* Data and code segments must be accessed; code readable. */
		if (i <= VESSEL_SEG_GS && i != VESSEL_SEG_CS &&
		    (!(AR_TYPE(g->attrib) & 1) ||
		     ((AR_TYPE(g->attrib) & 8) && !(AR_TYPE(g->attrib) & 2))))
			return -EINVAL;
		if (!long_mode && i < VESSEL_SEG_FS && (g->base >> 32))
			return -EINVAL;
		if (!canonical(g->base))
			return -EINVAL;
	}
	if (!(cs->attrib & VMX_AR_P_MASK) ||
	    !(AR_TYPE(cs->attrib) == 3 || (AR_TYPE(cs->attrib) & 9) == 9))
		return -EINVAL;
	if (long_mode && (cs->attrib & VMX_AR_L_MASK) && (cs->attrib & VMX_AR_DB_MASK))
		return -EINVAL;
	if ((ss->attrib & VMX_AR_P_MASK) && AR_TYPE(ss->attrib) != 3 &&
	    AR_TYPE(ss->attrib) != 7)
		return -EINVAL;
	if (!pe && VMX_AR_DPL(ss->attrib))
		return -EINVAL;
	/* TR: a usable busy TSS (16-bit allowed outside IA-32e mode). */
	if (!(tr->attrib & VMX_AR_P_MASK) || (tr->attrib & VMX_AR_S_MASK) ||
	    !(AR_TYPE(tr->attrib) == 11 || (!long_mode && AR_TYPE(tr->attrib) == 3)))
		return -EINVAL;
	if ((ldtr->attrib & VMX_AR_P_MASK) &&
	    ((ldtr->attrib & VMX_AR_S_MASK) || AR_TYPE(ldtr->attrib) != 2))
		return -EINVAL;
	if (!canonical(s->gdt.base) || !canonical(s->idt.base) ||
	    s->gdt.pad[0] | s->gdt.pad[1] | s->gdt.pad[2] |
	    s->idt.pad[0] | s->idt.pad[1] | s->idt.pad[2])
		return -EINVAL;
	return 0;
}

static int check_msrs(const u64 *m)
{
	unsigned int i;
	u64 pat = m[VESSEL_MSR_PAT];

	for (i = VESSEL_NR_MSRS; i < VESSEL_MSR_SLOTS; i++)
		if (m[i])
			return -EINVAL;
	/* What WRMSR would #GP on: the host writes them into the CPU. */
	if (!canonical(m[VESSEL_MSR_LSTAR]) || !canonical(m[VESSEL_MSR_CSTAR]) ||
	    !canonical(m[VESSEL_MSR_KERNEL_GS_BASE]) ||
	    !canonical(m[VESSEL_MSR_SYSENTER_ESP]) ||
	    !canonical(m[VESSEL_MSR_SYSENTER_EIP]) ||
	    (m[VESSEL_MSR_SYSENTER_CS] >> 32) || (m[VESSEL_MSR_TSC_AUX] >> 32) ||
	    (m[VESSEL_MSR_SFMASK] >> 32))
		return -EINVAL;
	/* PAT: each byte one of UC, WC, WT, WP, WB, UC- (SDM 11.12.2). */
	for (i = 0; i < 8; i++, pat >>= 8)
		if ((pat & 0xff) > 7 || (pat & 0xff) == 2 || (pat & 0xff) == 3)
			return -EINVAL;
	return 0;
}

static int check_drs(const struct vessel_drs *d)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (!canonical(d->dr[i]))
			return -EINVAL;
	if ((d->dr6 >> 32) || (d->dr7 >> 32) || d->reserved[0] || d->reserved[1])
		return -EINVAL;
	return 0;
}

static int check_injected(u32 info, u32 insn_len)
{
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	u32 vector = info & INTR_INFO_VECTOR_MASK;

	if (!(info & INTR_INFO_VALID_MASK))
		return info ? -EINVAL : 0;
	if (info & INTR_INFO_RESVD_BITS_MASK)
		return -EINVAL;
	if (type == INTR_TYPE_RESERVED || type == INTR_TYPE_OTHER_EVENT)
		return -EINVAL;
	if (type == INTR_TYPE_NMI_INTR && vector != X86_TRAP_NMI)
		return -EINVAL;
	if (type == INTR_TYPE_HARD_EXCEPTION && vector > 31)
		return -EINVAL;
	/* An error code for an event that has none: VM entry would fail. */
	if ((info & INTR_INFO_DELIVER_CODE_MASK) &&
	    (type != INTR_TYPE_HARD_EXCEPTION || !vessel_exc_has_error(vector)))
		return -EINVAL;
	if (insn_len > 15)
		return -EINVAL;
	return 0;
}

static int check_events(const struct vessel_events *e, u64 rflags)
{
	u32 known = VESSEL_EV_EXCEPTION_PENDING | VESSEL_EV_EXCEPTION_HAS_ERROR |
		    VESSEL_EV_EXCEPTION_HAS_PAYLOAD | VESSEL_EV_NMI_PENDING |
		    VESSEL_EV_IRQ_PENDING;
	u32 intr = e->interruptibility;

	if ((e->flags & ~known) || e->pad0 || e->pad1 || e->pad2 ||
	    memchr_inv(e->reserved, 0, sizeof(e->reserved)))
		return -EINVAL;
	if (intr & ~(VESSEL_INTR_STI | VESSEL_INTR_MOV_SS | VESSEL_INTR_NMI))
		return -EINVAL;
	/* Both shadows at once, or STI blocking with IF clear: VM entry fails. */
	if ((intr & VESSEL_INTR_STI) &&
	    ((intr & VESSEL_INTR_MOV_SS) || !(rflags & X86_EFLAGS_IF)))
		return -EINVAL;
	if (e->activity > VESSEL_ACTIVITY_HLT)
		return -EINVAL;
	if ((e->flags & VESSEL_EV_EXCEPTION_PENDING) &&
	    (e->exception_vector > 31 || e->exception_vector == X86_TRAP_NMI ||
	     !(e->flags & VESSEL_EV_EXCEPTION_HAS_ERROR) !=
	     !vessel_exc_has_error(e->exception_vector)))
		return -EINVAL;
	/* A #DB payload goes into DR6, whose bits 63:32 would #GP the host. */
	if ((e->flags & VESSEL_EV_EXCEPTION_HAS_PAYLOAD) &&
	    e->exception_vector == X86_TRAP_DB && (e->exception_payload >> 32))
		return -EINVAL;
	if ((e->flags & VESSEL_EV_IRQ_PENDING) && e->irq_vector < 16)
		return -EINVAL;
	return check_injected(e->injected_info, e->injected_insn_len);
}

/* CR0/CR4/EFER consistency, as MOV to CR and VM entry demand. */
static int check_crs(const struct vessel_crs *c)
{
	bool lma = c->efer & EFER_LMA, pg = c->cr0 & X86_CR0_PG;

	if ((c->cr0 >> 32) || ((c->cr0 & X86_CR0_PG) && !(c->cr0 & X86_CR0_PE)) ||
	    ((c->cr0 & X86_CR0_NW) && !(c->cr0 & X86_CR0_CD)))
		return -EINVAL;
	if (vessel_cr4_valid(c->cr4) || (c->efer & ~(EFER_SCE | EFER_LME |
						     EFER_LMA | EFER_NX)))
		return -EINVAL;
	if (pg && (bool)(c->efer & EFER_LME) != lma)
		return -EINVAL;
	if (lma && (!pg || !(c->cr4 & X86_CR4_PAE)))
		return -EINVAL;
	if (c->cr8 > 15 || c->reserved || vessel_xcr0_valid(c->xcr0))
		return -EINVAL;
	/* CR3 above MAXPHYADDR is #GP for MOV to CR3 (SDM 4.5). */
	if (c->cr3 >> boot_cpu_data.x86_phys_bits &&
	    !(c->cr4 & X86_CR4_PCIDE && c->cr3 >> 63))
		return -EINVAL;
	return 0;
}

static int check_gprs(const struct vessel_gprs *g, bool long_mode)
{
	if (g->rflags & RFLAGS_RESERVED || !(g->rflags & X86_EFLAGS_FIXED))
		return -EINVAL;
	if (long_mode && (g->rflags & X86_EFLAGS_VM))
		return -EINVAL;
	if (!canonical(g->rip) || (!long_mode && (g->rip >> 32)))
		return -EINVAL;
	return 0;
}

/* ---------------------------------------------------------------- set */

static void set_gprs(struct vessel_vcpu *vcpu, const struct vessel_gprs *g)
{
	memcpy(vcpu->regs, g->regs, sizeof(vcpu->regs));
	vmcs_writel(GUEST_RSP, g->regs[VESSEL_GPR_RSP]);
	vmcs_writel(GUEST_RIP, g->rip);
	vmcs_writel(GUEST_RFLAGS, g->rflags);
}

static void set_segs(struct vessel_vcpu *vcpu, const struct vessel_segs *s)
{
	unsigned int i;

	for (i = 0; i < VESSEL_NR_SEGS; i++)
		vessel_seg_set(i, &s->seg[i]);
	vmcs_writel(GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_writel(GUEST_IDTR_BASE, s->idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, s->idt.limit);
}

static int set_crs(struct vessel_vcpu *vcpu, const struct vessel_crs *c)
{
	vmcs_writel(GUEST_CR3, c->cr3);
	vmcs_write64(GUEST_IA32_EFER, c->efer);
	vcpu->uret_loaded = false;	/* SCE: uret.c */
	vmcs_writel(CR0_READ_SHADOW, c->cr0 | X86_CR0_ET);
	vmcs_writel(GUEST_CR0, c->cr0 | X86_CR0_ET | X86_CR0_NE);
	vmcs_writel(CR4_READ_SHADOW, c->cr4);
	vmcs_writel(GUEST_CR4, c->cr4 | X86_CR4_VMXE);
	vessel_update_entry_controls(vcpu);
	vcpu->cr2 = c->cr2;
	vcpu->cr8 = c->cr8;
	vessel_lapic_cr8_write(vcpu, c->cr8);
	vcpu->xcr0 = c->xcr0;
	if ((c->cr0 & X86_CR0_PG) && (c->cr4 & X86_CR4_PAE) &&
	    !(c->efer & EFER_LMA))
		return vessel_load_pdptrs(vcpu, c->cr3);
	return 0;
}

static void set_drs(struct vessel_vcpu *vcpu, const struct vessel_drs *d)
{
	memcpy(vcpu->dr, d->dr, sizeof(vcpu->dr));
	vcpu->dr6 = d->dr6;
	vessel_dr7_set(vcpu, d->dr7);
}

static void set_msrs(struct vessel_vcpu *vcpu, const u64 *m)
{
	vmcs_write32(GUEST_SYSENTER_CS, m[VESSEL_MSR_SYSENTER_CS]);
	vmcs_writel(GUEST_SYSENTER_ESP, m[VESSEL_MSR_SYSENTER_ESP]);
	vmcs_writel(GUEST_SYSENTER_EIP, m[VESSEL_MSR_SYSENTER_EIP]);
	vessel_uret_set(vcpu, VESSEL_URET_STAR, m[VESSEL_MSR_STAR]);
	vessel_uret_set(vcpu, VESSEL_URET_LSTAR, m[VESSEL_MSR_LSTAR]);
	vessel_uret_set(vcpu, VESSEL_URET_CSTAR, m[VESSEL_MSR_CSTAR]);
	vessel_uret_set(vcpu, VESSEL_URET_SFMASK, m[VESSEL_MSR_SFMASK]);
	vessel_uret_set(vcpu, VESSEL_URET_TSC_AUX, m[VESSEL_MSR_TSC_AUX]);
	vessel_kernel_gs_base_set(vcpu, m[VESSEL_MSR_KERNEL_GS_BASE]);
	vmcs_write64(GUEST_IA32_PAT, m[VESSEL_MSR_PAT]);
	WRITE_ONCE(vcpu->vm->tsc_offset, m[VESSEL_MSR_TSC] - rdtsc());
	vessel_pv_resync_all(vcpu->vm);
	vcpu->misc_enable = m[VESSEL_MSR_MISC_ENABLE];
	/* The host sets the value alone; the TSC is in its own slot. */
	vcpu->tsc_adjust = m[VESSEL_MSR_TSC_ADJUST];
}

static void set_events(struct vessel_vcpu *vcpu, const struct vessel_events *e)
{
	struct vessel_vcpu_events *ev = &vcpu->ev;

	ev->exception_pending = e->flags & VESSEL_EV_EXCEPTION_PENDING;
	ev->exception_has_error = e->flags & VESSEL_EV_EXCEPTION_HAS_ERROR;
	ev->exception_has_payload = e->flags & VESSEL_EV_EXCEPTION_HAS_PAYLOAD;
	ev->exception_vector = e->exception_vector;
	ev->exception_error_code = e->exception_error_code;
	ev->exception_payload = e->exception_payload;
	ev->nmi_pending = e->flags & VESSEL_EV_NMI_PENDING;
	ev->irq_pending = e->flags & VESSEL_EV_IRQ_PENDING;
	ev->irq_vector = e->irq_vector;
	ev->injected_info = e->injected_info;
	ev->injected_error_code = e->injected_error_code;
	ev->injected_insn_len = e->injected_insn_len;
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, e->interruptibility);
	vmcs_write32(GUEST_ACTIVITY_STATE, e->activity == VESSEL_ACTIVITY_HLT ?
		     GUEST_ACTIVITY_HLT : GUEST_ACTIVITY_ACTIVE);
}

/* Check every part given, against the parts given or the current ones. */
static int state_check(struct vessel_vcpu *vcpu, struct vessel_vcpu_state *st)
{
	u64 parts = st->flags;
	struct vessel_crs crs;
	struct vessel_gprs gprs;
	struct vessel_segs segs;
	bool long_mode;

	if (parts & ~VESSEL_STATE_ALL ||
	    memchr_inv(st->reserved0, 0, sizeof(st->reserved0)) ||
	    memchr_inv(st->reserved1, 0, sizeof(st->reserved1)))
		return -EINVAL;
	if (parts & VESSEL_STATE_CRS)
		crs = st->crs;
	else
		get_crs(vcpu, &crs);
	if (parts & VESSEL_STATE_GPRS)
		gprs = st->gprs;
	else
		get_gprs(vcpu, &gprs);
	if (parts & VESSEL_STATE_SEGS)
		segs = st->segs;
	else
		get_segs(vcpu, &segs);
	long_mode = crs.efer & EFER_LMA;

	if (check_crs(&crs) || check_gprs(&gprs, long_mode) ||
	    check_segs(&segs, long_mode, crs.cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((parts & VESSEL_STATE_DRS) && check_drs(&st->drs))
		return -EINVAL;
	if ((parts & VESSEL_STATE_MSRS) && check_msrs(st->msrs))
		return -EINVAL;
	if ((parts & VESSEL_STATE_EVENTS) && check_events(&st->events, gprs.rflags))
		return -EINVAL;
	/* HLT activity needs SS.DPL 0 (SDM 26.3.1.5). */
	if ((parts & VESSEL_STATE_EVENTS) &&
	    st->events.activity == VESSEL_ACTIVITY_HLT &&
	    VMX_AR_DPL(segs.seg[VESSEL_SEG_SS].attrib))
		return -EINVAL;
	return 0;
}

long vessel_vcpu_set_state(struct vessel_vcpu *vcpu,
			   const struct vessel_vcpu_state __user *uarg)
{
	struct vessel_vcpu_state *st;
	u32 pkru = 0;
	u64 parts;
	long r;

	st = memdup_user(uarg, sizeof(*st));
	if (IS_ERR(st))
		return PTR_ERR(st);
	parts = st->flags;
	r = vessel_vcpu_load(vcpu);
	if (r)
		goto out;
	r = state_check(vcpu, st);
	if (r)
		goto out;
	/* The FPU image is checked by the copy itself: do it first. */
	if ((parts & VESSEL_STATE_FPU) &&
	    fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, st->fpu.xsave,
					   vessel_xcr0_supported() ?: XFEATURE_MASK_FPSSE,
					   &pkru)) {
		r = -EINVAL;
		goto out;
	}
	if (parts & VESSEL_STATE_CRS) {
		r = set_crs(vcpu, &st->crs);
		if (r)
			goto out;
	}
	if (parts & VESSEL_STATE_GPRS)
		set_gprs(vcpu, &st->gprs);
	if (parts & VESSEL_STATE_SEGS)
		set_segs(vcpu, &st->segs);
	if (parts & VESSEL_STATE_DRS)
		set_drs(vcpu, &st->drs);
	if (parts & VESSEL_STATE_MSRS)
		set_msrs(vcpu, st->msrs);
	if (parts & VESSEL_STATE_EVENTS)
		set_events(vcpu, &st->events);
	/* A state set from outside ends whatever userspace was to complete. */
	if (parts & VESSEL_STATE_GPRS) {
		vcpu->pending = VESSEL_PENDING_NONE;
		WRITE_ONCE(vcpu->run->flags, 0);
	}
out:
	vessel_vcpu_put(vcpu);
	kfree(st);
	return r;
}
