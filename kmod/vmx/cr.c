// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: control registers, EFER, XCR0 and debug registers - the guest's
 * writes checked as the hardware would check them, so a bad value becomes
 * #GP in the guest (or EINVAL from SET_STATE), never a failed VM entry.
 */
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>
#include <asm/vmx.h>

#include "irq/lapic.h"
#include "vcpu.h"

/* CR4 bits a guest may set at all; CPUID decides about the optional ones. */
#define CR4_KNOWN	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | \
			 X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | \
			 X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT | \
			 X86_CR4_UMIP | X86_CR4_FSGSBASE | X86_CR4_PCIDE | \
			 X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP)
#define EFER_KNOWN	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)

/* IA-32e mode guest entry control follows EFER.LMA (SDM 26.2.1.3). */
void vessel_update_entry_controls(struct vessel_vcpu *vcpu)
{
	u32 entry = vcpu->ctl_entry & ~VM_ENTRY_IA32E_MODE;

	if (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	vcpu->ctl_entry = entry;
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
}

/* PAE paging outside long mode: VM entry loads the PDPTEs from the VMCS. */
int vessel_load_pdptrs(struct vessel_vcpu *vcpu, unsigned long cr3)
{
	u64 pdpte[4];
	unsigned int i;

	if (vessel_mem_read(vcpu->vm, cr3 & 0xffffffe0UL, pdpte, sizeof(pdpte)))
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		/* Reserved: bits 2:1, 8:5 and above MAXPHYADDR (SDM 4.4.1). */
		if ((pdpte[i] & 1) &&
		    (pdpte[i] & (0x1e6ULL | ~((1ULL << boot_cpu_data.x86_phys_bits) - 1))))
			return -EINVAL;
	}
	vmcs_write64(GUEST_PDPTR0, pdpte[0]);
	vmcs_write64(GUEST_PDPTR1, pdpte[1]);
	vmcs_write64(GUEST_PDPTR2, pdpte[2]);
	vmcs_write64(GUEST_PDPTR3, pdpte[3]);
	return 0;
}

static bool pae_paging(unsigned long cr0, unsigned long cr4, u64 efer)
{
	return (cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) && !(efer & EFER_LMA);
}

/**
 * vessel_cr0_set() - the guest's CR0, checked (SDM 2.5, MOV to CR0 #GP)
 * @vcpu:	the vCPU, its VMCS current
 * @cr0:	the value the guest or userspace writes
 *
 * Return: 0 or -EINVAL (the caller raises #GP or fails SET_STATE).
 */
int vessel_cr0_set(struct vessel_vcpu *vcpu, unsigned long cr0)
{
	u64 efer = vmcs_read64(GUEST_IA32_EFER);
	unsigned long cr4 = vmcs_readl(CR4_READ_SHADOW);
	unsigned long old = vmcs_readl(CR0_READ_SHADOW);

	if (cr0 >> 32)
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return -EINVAL;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return -EINVAL;
	if ((cr0 & X86_CR0_PG) && !(old & X86_CR0_PG) && (efer & EFER_LME)) {
		if (!(cr4 & X86_CR4_PAE))
			return -EINVAL;
		/* Entering long mode needs a 64-bit-capable CS... not yet L=1. */
		efer |= EFER_LMA;
	}
	if (!(cr0 & X86_CR0_PG) && (old & X86_CR0_PG) && (efer & EFER_LMA)) {
		/* Leaving long mode from 64-bit code is #GP (SDM 9.8.5.4). */
		if (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK)
			return -EINVAL;
		efer &= ~EFER_LMA;
	}
	if (pae_paging(cr0, cr4, efer) &&
	    (!pae_paging(old, cr4, efer) || ((cr0 ^ old) & (X86_CR0_CD | X86_CR0_NW))) &&
	    vessel_load_pdptrs(vcpu, vmcs_readl(GUEST_CR3)))
		return -EINVAL;

	/* ET is hardwired to 1; NE must be 1 in VMX operation. */
	cr0 |= X86_CR0_ET;
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR0, cr0 | X86_CR0_NE);
	vmcs_write64(GUEST_IA32_EFER, efer);
	vessel_update_entry_controls(vcpu);
	return 0;
}

/* CR4 bits the CPU has and the guest may set, whatever else is going on. */
int vessel_cr4_valid(unsigned long cr4)
{
	static const struct {
		unsigned long bit;
		u16 feature;
	} optional[] = {
		{ X86_CR4_OSXSAVE, X86_FEATURE_XSAVE },
		{ X86_CR4_FSGSBASE, X86_FEATURE_FSGSBASE },
		{ X86_CR4_SMEP, X86_FEATURE_SMEP },
		{ X86_CR4_SMAP, X86_FEATURE_SMAP },
		{ X86_CR4_UMIP, X86_FEATURE_UMIP },
		{ X86_CR4_PCIDE, X86_FEATURE_PCID },
	};
	unsigned int i;

	if (cr4 & ~CR4_KNOWN)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(optional); i++)
		if ((cr4 & optional[i].bit) && !boot_cpu_has(optional[i].feature))
			return -EINVAL;
	return 0;
}

int vessel_cr4_set(struct vessel_vcpu *vcpu, unsigned long cr4)
{
	unsigned long old = vmcs_readl(CR4_READ_SHADOW);
	unsigned long cr0 = vmcs_readl(CR0_READ_SHADOW);
	u64 efer = vmcs_read64(GUEST_IA32_EFER);

	if (vessel_cr4_valid(cr4))
		return -EINVAL;
	/* PAE may not be cleared in long mode (SDM 2.5). */
	if ((efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return -EINVAL;
	/* PCIDE may be set only in long mode, with CR3[11:0] zero. */
	if ((cr4 & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!(efer & EFER_LMA) || (vmcs_readl(GUEST_CR3) & 0xfff)))
		return -EINVAL;
	if (pae_paging(cr0, cr4, efer) && !pae_paging(cr0, old, efer) &&
	    vessel_load_pdptrs(vcpu, vmcs_readl(GUEST_CR3)))
		return -EINVAL;

	vmcs_writel(CR4_READ_SHADOW, cr4);
	/* VMXE stays set underneath: VMX operation requires it. */
	vmcs_writel(GUEST_CR4, cr4 | X86_CR4_VMXE);
	return 0;
}

/* EFER: LME may change only with paging off; LMA follows CR0.PG. */
int vessel_efer_set(struct vessel_vcpu *vcpu, u64 efer, bool from_guest)
{
	u64 old = vmcs_read64(GUEST_IA32_EFER);

	if (efer & ~EFER_KNOWN)
		return -EINVAL;
	if ((efer & EFER_NX) && !boot_cpu_has(X86_FEATURE_NX))
		return -EINVAL;
	if (from_guest) {
		if (((efer ^ old) & EFER_LME) &&
		    (vmcs_readl(CR0_READ_SHADOW) & X86_CR0_PG))
			return -EINVAL;
		/* LMA is read-only to WRMSR. */
		efer = (efer & ~EFER_LMA) | (old & EFER_LMA);
	}
	vmcs_write64(GUEST_IA32_EFER, efer);
	vessel_update_entry_controls(vcpu);
	/* SCE decides whether the SYSCALL MSRs must be in the CPU (uret.c). */
	vcpu->uret_loaded = false;
	return 0;
}

/* The XCR0 bits a guest may enable: what the host has of x87..AVX-512. */
u64 vessel_xcr0_supported(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return 0;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK) &
	       (XFEATURE_MASK_FPSSE | XFEATURE_MASK_YMM | XFEATURE_MASK_AVX512);
}

/*
 * XSETBV's own #GP rules (SDM Vol. 2, XSETBV).  x87 alone, XCR0's value at
 * reset, is valid without XSAVE too: a vCPU's state carries it always.
 */
int vessel_xcr0_valid(u64 xcr0)
{
	if (!(xcr0 & XFEATURE_MASK_FP) ||
	    (xcr0 & ~(vessel_xcr0_supported() | XFEATURE_MASK_FP)))
		return -EINVAL;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return -EINVAL;
	/* AVX-512 state comes all together, and only with AVX. */
	if ((xcr0 & XFEATURE_MASK_AVX512) &&
	    ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
	     !(xcr0 & XFEATURE_MASK_YMM)))
		return -EINVAL;
	return 0;
}

int vessel_exit_xsetbv(struct vessel_vcpu *vcpu)
{
	u64 xcr0 = (vcpu->regs[VESSEL_GPR_RDX] << 32) |
		   (u32)vcpu->regs[VESSEL_GPR_RAX];

	/* CPL and CR4.OSXSAVE faults come before the exit, in hardware. */
	if ((u32)vcpu->regs[VESSEL_GPR_RCX] || vessel_xcr0_valid(xcr0)) {
		vessel_queue_gp(vcpu);
		return 1;
	}
	vcpu->xcr0 = xcr0;
	vessel_skip_insn(vcpu);
	return 1;
}

static int cr_write(struct vessel_vcpu *vcpu, unsigned int cr, unsigned long val)
{
	switch (cr) {
	case 0:
		return vessel_cr0_set(vcpu, val);
	case 4:
		return vessel_cr4_set(vcpu, val);
	case 8:
		if (val & ~0xfUL)
			return -EINVAL;
		vcpu->cr8 = val;
		vessel_lapic_cr8_write(vcpu, val);
		return 0;
	default:
		return -EINVAL;
	}
}

static unsigned long cr_read(struct vessel_vcpu *vcpu, unsigned int cr)
{
	return cr == 8 ? vessel_lapic_cr8_read(vcpu) : 0;
}

/* Exit qualification for control-register accesses: SDM Table 28-3. */
int vessel_exit_cr(struct vessel_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	unsigned int cr = qual & 15, type = (qual >> 4) & 3;
	unsigned int reg = (qual >> 8) & 15;
	unsigned long val, cr0;

	switch (type) {
	case 0:	/* MOV to CR */
		val = vessel_gpr_read(vcpu, reg);
		/* Outside 64-bit mode the operand is 32 bits (SDM Vol. 2B MOV). */
		if (!vessel_vmx_long_mode(vcpu))
			val = (u32)val;
		if (cr_write(vcpu, cr, val)) {
			vessel_queue_gp(vcpu);
			return 1;
		}
		break;
	case 1:	/* MOV from CR: only CR8 is intercepted for reads */
		vessel_gpr_write(vcpu, reg, cr_read(vcpu, cr));
		break;
	case 2:	/* CLTS: TS is the guest's, so this does not exit */
		cr0 = vmcs_readl(CR0_READ_SHADOW) & ~X86_CR0_TS;
		if (vessel_cr0_set(vcpu, cr0)) {
			vessel_queue_gp(vcpu);
			return 1;
		}
		break;
	default: /* LMSW: loads PE, MP, EM, TS; cannot clear PE */
		cr0 = vmcs_readl(CR0_READ_SHADOW);
		val = (qual >> 16) & 0xf;
		cr0 = (cr0 & ~0xeUL) | (val & 0xe) | ((cr0 | val) & X86_CR0_PE);
		if (vessel_cr0_set(vcpu, cr0)) {
			vessel_queue_gp(vcpu);
			return 1;
		}
		break;
	}
	vessel_skip_insn(vcpu);
	return 1;
}

void vessel_dr7_set(struct vessel_vcpu *vcpu, unsigned long dr7)
{
	vmcs_writel(GUEST_DR7, dr7);
	/* Breakpoints armed: the hardware DR0-3 must hold the guest's. */
	vcpu->dr7_active = dr7 & (DR_LOCAL_ENABLE_MASK | DR_GLOBAL_ENABLE_MASK);
}

/* Exit qualification for MOV DR: SDM Table 28-4. */
int vessel_exit_dr(struct vessel_vcpu *vcpu)
{
	unsigned long qual = vmcs_readl(EXIT_QUALIFICATION);
	unsigned int dr = qual & 7, reg = (qual >> 8) & 15;
	bool to_dr = !(qual & 0x10);
	unsigned long val;

	/* DR4/DR5 alias DR6/DR7 unless CR4.DE (then #UD). */
	if (dr == 4 || dr == 5) {
		if (vmcs_readl(CR4_READ_SHADOW) & X86_CR4_DE) {
			vessel_queue_ud(vcpu);
			return 1;
		}
		dr += 2;
	}
	if (to_dr) {
		val = vessel_gpr_read(vcpu, reg);
		if (dr < 4) {
			vcpu->dr[dr] = val;
		} else if (val >> 32) {
			vessel_queue_gp(vcpu);
			return 1;
		} else if (dr == 6) {
			vcpu->dr6 = (val & ~DR6_RESERVED) | DR6_RESERVED;
		} else {
			vessel_dr7_set(vcpu, (val & ~0xd800UL) | 0x400);
		}
	} else {
		if (dr < 4)
			val = vcpu->dr[dr];
		else if (dr == 6)
			val = vcpu->dr6;
		else
			val = vmcs_readl(GUEST_DR7);
		vessel_gpr_write(vcpu, reg, val);
	}
	vessel_skip_insn(vcpu);
	return 1;
}
