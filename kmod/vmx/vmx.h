/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: what the VMX layer (kmod/vmx/) offers the rest of the module.
 *
 * Only the files of kmod/vmx/ touch the VMCS (vmcs_read*, vmcs_write*,
 * vmx/ops.h); everyone else asks through the functions below.  The guest
 * state and exit accessors are inline, so that asking costs what the VMREAD
 * or VMWRITE it stands for costs, on the exit path as anywhere.  Each takes
 * the vCPU it is about, which must be loaded (vessel_vcpu_load(), or inside
 * VESSEL_RUN): its VMCS is the current one.
 */
#ifndef VESSEL_VMX_H
#define VESSEL_VMX_H

#include <asm/hyperv-tlfs.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "internal.h"
#include "vmx/ops.h"

/*
 * CR0 and CR4 bits the host owns: a guest write that would change them
 * exits and is checked and emulated; reads see the read shadow.  The guest
 * owns only bits whose every value is valid and harmless.
 */
#define VESSEL_CR0_GUEST_OWNED	(X86_CR0_TS | X86_CR0_MP | X86_CR0_EM | \
				 X86_CR0_WP | X86_CR0_AM)
#define VESSEL_CR0_HOST_OWNED	(~(unsigned long)VESSEL_CR0_GUEST_OWNED)
#define VESSEL_CR4_GUEST_OWNED	(X86_CR4_PGE)
#define VESSEL_CR4_HOST_OWNED	(~(unsigned long)VESSEL_CR4_GUEST_OWNED)

/* Exit handlers return >0 to re-enter, 0 to return to userspace, <0 error. */
typedef int (*vessel_exit_handler)(struct vessel_vcpu *vcpu);

/* cpu.c: detection and per-CPU VMX operation. */
int vessel_vmx_init(void);
void vessel_vmx_exit(void);
int vessel_vmx_get(void);
void vessel_vmx_put(void);
unsigned int vessel_vmx_nr_cpus(void);

/* insn.S */
int vessel_vmxon(u64 vmxon_region_pa);
int vessel_vmxoff(void);
int vessel_invept(unsigned long type, u64 eptp);
void vessel_vmx_pml_drain(struct vessel_vcpu *vcpu);
int vessel_invvpid(unsigned long type, u16 vpid, u64 gva);

/* entry.S */
int vessel_vmx_enter(unsigned long *regs, bool launched);
void vessel_vmx_vmexit(void);
void vessel_vmx_host_nmi(void);

/* vmcs.c */
void *vessel_vmcs_alloc(void);
int vessel_vmcs_load(struct vessel_vcpu *vcpu);
void vessel_vmcs_clear(struct vessel_vcpu *vcpu);
void vessel_vmcs_clear_all_local(void);
void vessel_vmcs_setup(struct vessel_vcpu *vcpu);
void vessel_vmcs_init(void);
extern u32 vessel_backstop_ticks;

/* exits.c */
int vessel_exit_dispatch(struct vessel_vcpu *vcpu);
/*
 * The fast path (IRQs off, right after the exit): not its exit, handled
 * and the guest may be entered again at once, or handled but the entry
 * must take the slow way (an event to inject, say).
 */
#define VESSEL_FAST_NONE	0
#define VESSEL_FAST_REENTER	1
#define VESSEL_FAST_DONE	2
int vessel_exit_fast(struct vessel_vcpu *vcpu);

/*
 * The exit reasons vessel_exit_fast() may finish, tested inline so that
 * the other exits (I/O, EPT, ...) pay no call.  An entry failure (bit 31
 * of the full reason) is none of them.  An MSR in the range reserved for
 * hypervisors (0x40000000-0x4fffffff; KVM's at 0x4b564dxx) is a
 * provider's, finished there only for Hyper-V's TIME_REF_COUNT (a
 * computation, as frequent as a clock read): the others' exits pay no
 * call to be declined.
 */
#define VESSEL_FAST_REASONS	(BIT_ULL(EXIT_REASON_CPUID) |		\
				 BIT_ULL(EXIT_REASON_INVD) |		\
				 BIT_ULL(EXIT_REASON_VMCALL) |		\
				 BIT_ULL(EXIT_REASON_PREEMPTION_TIMER) | \
				 BIT_ULL(EXIT_REASON_WBINVD))

/* The other exits pay nothing for the MSR test: it comes after theirs. */
static inline bool vessel_exit_fast_candidate(const struct vessel_vcpu *vcpu)
{
	u32 reason = vcpu->exit_reason;

	if (reason < 64 && (BIT_ULL(reason) & VESSEL_FAST_REASONS))
		return true;
	return reason - EXIT_REASON_MSR_READ <= 1 &&
	       (((u32)vcpu->regs[VESSEL_GPR_RCX] >> 28) != 4 ||
		(u32)vcpu->regs[VESSEL_GPR_RCX] == HV_X64_MSR_TIME_REF_COUNT);
}
void vessel_skip_insn(struct vessel_vcpu *vcpu);
int vessel_complete_user_exit(struct vessel_vcpu *vcpu);
unsigned long vessel_gpr_read(struct vessel_vcpu *vcpu, unsigned int reg);
void vessel_gpr_write(struct vessel_vcpu *vcpu, unsigned int reg,
		      unsigned long val);
int vessel_exit_internal(struct vessel_vcpu *vcpu, u32 suberror, u32 ndata,
			 const u64 *data);

/* cr.c: control and debug registers */
int vessel_cr0_set(struct vessel_vcpu *vcpu, unsigned long cr0);
int vessel_cr4_set(struct vessel_vcpu *vcpu, unsigned long cr4);
int vessel_cr4_valid(unsigned long cr4);
int vessel_efer_set(struct vessel_vcpu *vcpu, u64 efer, bool from_guest);
int vessel_xcr0_valid(u64 xcr0);
u64 vessel_xcr0_supported(void);
int vessel_exit_cr(struct vessel_vcpu *vcpu);
int vessel_exit_dr(struct vessel_vcpu *vcpu);
int vessel_exit_xsetbv(struct vessel_vcpu *vcpu);
int vessel_load_pdptrs(struct vessel_vcpu *vcpu, unsigned long cr3);
void vessel_dr7_set(struct vessel_vcpu *vcpu, unsigned long dr7);

/* events.c */
bool vessel_exc_has_error(unsigned int vector);
void vessel_queue_exception(struct vessel_vcpu *vcpu, u8 vector,
			    bool has_error, u32 error_code);
void vessel_queue_gp(struct vessel_vcpu *vcpu);
void vessel_queue_ud(struct vessel_vcpu *vcpu);
int vessel_events_inject(struct vessel_vcpu *vcpu);
void vessel_events_save_vectoring(struct vessel_vcpu *vcpu);
void vessel_events_cancel(struct vessel_vcpu *vcpu);
long vessel_vcpu_inject_ioctl(struct vessel_vcpu *vcpu,
			      const struct vessel_event __user *uarg);
int vessel_exit_irq_window(struct vessel_vcpu *vcpu);
int vessel_exit_nmi_window(struct vessel_vcpu *vcpu);

/* msr.c */
int vessel_exit_rdmsr(struct vessel_vcpu *vcpu);
int vessel_msr_fast(struct vessel_vcpu *vcpu, bool write);
int vessel_exit_wrmsr(struct vessel_vcpu *vcpu);
void vessel_msr_setup(struct vessel_vcpu *vcpu);
void vessel_msr_reset(struct vessel_vcpu *vcpu);
void vessel_msr_complete_user(struct vessel_vcpu *vcpu);
long vessel_vm_set_user_msrs(struct vessel_vm *vm,
			     const struct vessel_user_msrs __user *uarg);

/* uret.c: the MSRs switched on the way to userspace */
void vessel_uret_load(struct vessel_vcpu *vcpu);
bool vessel_uret_valid(unsigned int i, u64 val);
void vessel_uret_set(struct vessel_vcpu *vcpu, unsigned int i, u64 val);
void vessel_uret_drop(void);

/* state.c */
void vessel_state_reset(struct vessel_vcpu *vcpu);
void vessel_state_sipi(struct vessel_vcpu *vcpu, u8 vector);
long vessel_vcpu_get_state(struct vessel_vcpu *vcpu,
			   struct vessel_vcpu_state __user *uarg);
long vessel_vcpu_set_state(struct vessel_vcpu *vcpu,
			   const struct vessel_vcpu_state __user *uarg);
void vessel_update_entry_controls(struct vessel_vcpu *vcpu);
void vessel_seg_get(unsigned int seg, struct vessel_segment *s);
void vessel_seg_set(unsigned int seg, const struct vessel_segment *s);

/* ------------------------------------------------------- guest state */

static __always_inline unsigned long vessel_vmx_guest_rip(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(GUEST_RIP);
}

static __always_inline void vessel_vmx_set_guest_rip(struct vessel_vcpu *vcpu,
						     unsigned long rip)
{
	vmcs_writel(GUEST_RIP, rip);
}

static __always_inline unsigned long vessel_vmx_guest_rflags(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(GUEST_RFLAGS);
}

static __always_inline void vessel_vmx_set_guest_rflags(struct vessel_vcpu *vcpu,
							unsigned long rflags)
{
	vmcs_writel(GUEST_RFLAGS, rflags);
}

static __always_inline unsigned long vessel_vmx_guest_cs_base(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(GUEST_CS_BASE);
}

/* CR0 and CR4 as the guest sees them: the read shadows. */
static __always_inline unsigned long vessel_vmx_guest_cr0(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(CR0_READ_SHADOW);
}

static __always_inline unsigned long vessel_vmx_guest_cr3(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(GUEST_CR3);
}

/* No checks: the caller loads the PDPTEs and flushes the TLB as needed. */
static __always_inline void vessel_vmx_set_guest_cr3(struct vessel_vcpu *vcpu,
						     unsigned long cr3)
{
	vmcs_writel(GUEST_CR3, cr3);
}

static __always_inline unsigned long vessel_vmx_guest_cr4(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(CR4_READ_SHADOW);
}

static __always_inline u64 vessel_vmx_guest_efer(struct vessel_vcpu *vcpu)
{
	return vmcs_read64(GUEST_IA32_EFER);
}

static __always_inline unsigned long vessel_vmx_guest_dr7(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(GUEST_DR7);
}

/* The PDPTEs PAE paging uses: VM entry loads them from the VMCS. */
static __always_inline void vessel_vmx_guest_pdptrs(struct vessel_vcpu *vcpu,
						    u64 pdptrs[4])
{
	pdptrs[0] = vmcs_read64(GUEST_PDPTR0);
	pdptrs[1] = vmcs_read64(GUEST_PDPTR1);
	pdptrs[2] = vmcs_read64(GUEST_PDPTR2);
	pdptrs[3] = vmcs_read64(GUEST_PDPTR3);
}

static __always_inline void vessel_vmx_guest_gdtr(struct vessel_vcpu *vcpu,
						  u64 *base, u32 *limit)
{
	*base = vmcs_readl(GUEST_GDTR_BASE);
	*limit = vmcs_read32(GUEST_GDTR_LIMIT);
}

/* The guest's CPL: SS.DPL (SDM 5.5), also in real and virtual-8086 mode. */
static __always_inline unsigned int vessel_vmx_guest_cpl(struct vessel_vcpu *vcpu)
{
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

/*
 * Whether the guest runs 64-bit code: IA-32e mode (EFER.LMA) with CS.L,
 * not compatibility mode.  Register operands are 64 bits wide only there.
 */
static __always_inline bool vessel_vmx_long_mode(struct vessel_vcpu *vcpu)
{
	return (vmcs_read64(GUEST_IA32_EFER) & EFER_LMA) &&
	       (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_L_MASK);
}

/*
 * The default operand and address size of the code the guest runs, in
 * bits: 16 in real and virtual-8086 mode, 64 in 64-bit mode, else CS.D.
 */
static __always_inline unsigned int vessel_vmx_guest_code_bits(struct vessel_vcpu *vcpu)
{
	if (!(vmcs_readl(CR0_READ_SHADOW) & X86_CR0_PE) ||
	    (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_VM))
		return 16;
	if (vessel_vmx_long_mode(vcpu))
		return 64;
	return (vmcs_read32(GUEST_CS_AR_BYTES) & VMX_AR_DB_MASK) ? 32 : 16;
}

/* NMIs blocked, as after an NMI was delivered (or an IRET faulted). */
static __always_inline void vessel_vmx_block_nmi(struct vessel_vcpu *vcpu)
{
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
		     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) | GUEST_INTR_STATE_NMI);
}

static __always_inline void vessel_vmx_unblock_nmi(struct vessel_vcpu *vcpu)
{
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
		     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & ~GUEST_INTR_STATE_NMI);
}

/* The guest leaves any STI or MOV SS interrupt shadow. */
static __always_inline void vessel_vmx_end_intr_shadow(struct vessel_vcpu *vcpu)
{
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
		     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
		     ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

/* CR0.TS set, as a task switch sets it: the guest owns the bit. */
static __always_inline void vessel_vmx_set_cr0_ts(struct vessel_vcpu *vcpu)
{
	vmcs_writel(CR0_READ_SHADOW, vmcs_readl(CR0_READ_SHADOW) | X86_CR0_TS);
	vmcs_writel(GUEST_CR0, vmcs_readl(GUEST_CR0) | X86_CR0_TS);
}

/* --------------------------------------------------------- the last exit */

/* The exit qualification (SDM Vol. 3C 28.2.1), whose meaning the reason sets. */
static __always_inline unsigned long vessel_vmx_exit_qual(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(EXIT_QUALIFICATION);
}

/* EPT violations and misconfigurations: the guest-physical address. */
static __always_inline u64 vessel_vmx_exit_gpa(struct vessel_vcpu *vcpu)
{
	return vmcs_read64(GUEST_PHYSICAL_ADDRESS);
}

/* The guest-linear address of the access (string I/O: its first element). */
static __always_inline unsigned long vessel_vmx_exit_gla(struct vessel_vcpu *vcpu)
{
	return vmcs_readl(GUEST_LINEAR_ADDRESS);
}

/* VM-exit instruction information (SDM Vol. 3C 28.2.5). */
static __always_inline u32 vessel_vmx_exit_insn_info(struct vessel_vcpu *vcpu)
{
	return vmcs_read32(VMX_INSTRUCTION_INFO);
}

/* ------------------------------------------------------------ run loop */

/* Read once after each exit into the vCPU (vcpu->exit_reason, ...). */
static __always_inline u32 vessel_vmx_exit_reason(struct vessel_vcpu *vcpu)
{
	return vmcs_read32(VM_EXIT_REASON);
}

static __always_inline u32 vessel_vmx_exit_intr_info(struct vessel_vcpu *vcpu)
{
	return vmcs_read32(VM_EXIT_INTR_INFO);
}

/*
 * After VMLAUNCH or VMRESUME failed (VMfail, nothing ran): why, and the
 * event that was to be injected is dropped.
 */
static __always_inline u32 vessel_vmx_entry_error(struct vessel_vcpu *vcpu)
{
	u32 error = vmcs_read32(VM_INSTRUCTION_ERROR);

	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	return error;
}

/*
 * Host and guest state that can change between two entries, written only
 * when it did: CR3 and CR4 (another mm, CR4 bits the kernel toggles), FS
 * base, the VM's TSC offset.
 */
static __always_inline void vessel_vmx_host_update(struct vessel_vcpu *vcpu,
						   unsigned long fs_base)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	if (cr3 != vcpu->host_cr3) {
		vmcs_writel(HOST_CR3, cr3);
		vcpu->host_cr3 = cr3;
	}
	if (cr4 != vcpu->host_cr4) {
		vmcs_writel(HOST_CR4, cr4);
		vcpu->host_cr4 = cr4;
	}
	if (vcpu->tsc_offset != READ_ONCE(vcpu->vm->tsc_offset)) {
		vcpu->tsc_offset = READ_ONCE(vcpu->vm->tsc_offset);
		vmcs_write64(TSC_OFFSET, vcpu->tsc_offset);
	}
	if (fs_base != vcpu->host_fs_base) {
		vmcs_writel(HOST_FS_BASE, fs_base);
		vcpu->host_fs_base = fs_base;
	}
}

/*
 * Whether the VMX-preemption timer needs a look before this entry: the
 * emulator backstop is on, the APIC's deadline is watched (@hv), or the
 * timer is on and must be turned off.  The common case, none of them, is
 * these three tests and nothing else on the way in.
 */
static __always_inline bool vessel_vmx_preemption_timer_needed(const struct vessel_vcpu *vcpu,
							       bool hv)
{
	return vessel_backstop_ticks || hv ||
	       (vcpu->ctl_pin & PIN_BASED_VMX_PREEMPTION_TIMER);
}

/*
 * The VMX-preemption timer, just before an entry (IRQs off), when
 * vessel_vmx_preemption_timer_needed(): the emulator backstop (vmcs.c)
 * and, with @deadline, the TSC ticks left until the APIC's TSC deadline,
 * while the run loop watches it (irq/lapic.c).  It counts TSC ticks >>
 * IA32_VMX_MISC[4:0], and is off when neither needs it.  The backstop
 * counts from the first entry with IRQs off (*@since, 0 until this
 * function first runs for it): the fast path's entries do not start it
 * again, or a guest exiting often enough would never let the host's IRQs
 * in.  Run out, it makes the next entry exit at once, the slow way.
 */
static __always_inline void vessel_vmx_preemption_timer(struct vessel_vcpu *vcpu,
							u64 *since,
							const u64 *deadline)
{
	unsigned int rate = vmx_misc_preemption_timer_rate(vessel_vmx.misc);
	u64 ticks = vessel_backstop_ticks, spent, left, now;
	bool on = ticks;

	if (on) {
		now = rdtsc();
		if (!*since)
			*since = now;
		spent = (now - *since) >> rate;
		ticks = spent < ticks ? ticks - spent : 0;
	}
	if (deadline) {
		left = *deadline >> rate;
		ticks = on ? min(ticks, left) : left;
		on = true;
	}
	if (on != !!(vcpu->ctl_pin & PIN_BASED_VMX_PREEMPTION_TIMER)) {
		vcpu->ctl_pin ^= PIN_BASED_VMX_PREEMPTION_TIMER;
		vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vcpu->ctl_pin);
	}
	if (on)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE,
			     min_t(u64, ticks, U32_MAX));
}

/* ------------------------------------------------------------ controls */

static inline void vessel_exec_controls_set(struct vessel_vcpu *vcpu, u32 bits)
{
	if ((vcpu->ctl_proc & bits) != bits) {
		vcpu->ctl_proc |= bits;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vcpu->ctl_proc);
	}
}

static inline void vessel_exec_controls_clear(struct vessel_vcpu *vcpu,
					      u32 bits)
{
	if (vcpu->ctl_proc & bits) {
		vcpu->ctl_proc &= ~bits;
		vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vcpu->ctl_proc);
	}
}

/*
 * The TPR shadow (vCPUs with an in-kernel APIC, where the CPU has it):
 * CR8 is the APIC's TPR, and lowering it below the threshold exits so
 * that an interrupt TPR held back can be delivered.
 */
static __always_inline bool vessel_vmx_has_tpr_shadow(struct vessel_vcpu *vcpu)
{
	return vcpu->ctl_proc & CPU_BASED_TPR_SHADOW;
}

static __always_inline void vessel_vmx_set_tpr_threshold(struct vessel_vcpu *vcpu,
							 u32 threshold)
{
	if (threshold != vcpu->tpr_threshold) {
		vmcs_write32(TPR_THRESHOLD, threshold);
		vcpu->tpr_threshold = threshold;
	}
}

#endif /* VESSEL_VMX_H */
