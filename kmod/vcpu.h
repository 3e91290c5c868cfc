/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: what the run loop, the exit handlers and the state code share.
 */
#ifndef VESSEL_VCPU_H
#define VESSEL_VCPU_H

#include <asm/processor-flags.h>
#include <asm/vmx.h>

#include "internal.h"
#include "vmx_ops.h"

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

/* vmx_entry.S */
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

/* vcpu.c: the VMCS is current (and the thread may sleep) in between */
int vessel_vcpu_load(struct vessel_vcpu *vcpu);
void vessel_vcpu_put(struct vessel_vcpu *vcpu);

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
 * of the full reason) is none of them.
 */
#define VESSEL_FAST_REASONS	(BIT_ULL(EXIT_REASON_CPUID) |		\
				 BIT_ULL(EXIT_REASON_INVD) |		\
				 BIT_ULL(EXIT_REASON_VMCALL) |		\
				 BIT_ULL(EXIT_REASON_MSR_READ) |	\
				 BIT_ULL(EXIT_REASON_MSR_WRITE) |	\
				 BIT_ULL(EXIT_REASON_PREEMPTION_TIMER) | \
				 BIT_ULL(EXIT_REASON_WBINVD))

static inline bool vessel_exit_fast_candidate(u32 reason)
{
	return reason < 64 && (BIT_ULL(reason) & VESSEL_FAST_REASONS);
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
void vessel_msr_complete_user(struct vessel_vcpu *vcpu);
long vessel_vm_set_user_msrs(struct vessel_vm *vm,
			     const struct vessel_user_msrs __user *uarg);

/* uret.c */
void vessel_uret_load(struct vessel_vcpu *vcpu);
bool vessel_uret_valid(unsigned int i, u64 val);
void vessel_uret_set(struct vessel_vcpu *vcpu, unsigned int i, u64 val);

/* vcpu.c: the guest's KERNEL_GS_BASE, wherever it is now */
u64 vessel_kernel_gs_base_get(struct vessel_vcpu *vcpu);
void vessel_kernel_gs_base_set(struct vessel_vcpu *vcpu, u64 val);

/* cpuid.c */
int vessel_cpuid_init(struct vessel_vm *vm);
long vessel_vm_set_cpuid(struct vessel_vm *vm,
			 const struct vessel_cpuid __user *uarg);
long vessel_vm_get_cpuid(struct vessel_vm *vm, struct vessel_cpuid __user *uarg);
int vessel_exit_cpuid(struct vessel_vcpu *vcpu);
bool vessel_guest_has(struct vessel_vcpu *vcpu, u32 leaf, u32 reg_idx, u32 bit);

/* io.c: port I/O and MMIO to userspace */
int vessel_exit_io(struct vessel_vcpu *vcpu);
int vessel_exit_ept_violation(struct vessel_vcpu *vcpu);
int vessel_io_complete(struct vessel_vcpu *vcpu);
struct vessel_walk_env;
void vessel_walk_env_init(struct vessel_vcpu *vcpu,
			  struct vessel_walk_env *env, u64 *pdptrs);

/* task_switch.c */
int vessel_exit_task_switch(struct vessel_vcpu *vcpu);

/* state.c */
void vessel_state_reset(struct vessel_vcpu *vcpu);
long vessel_vcpu_get_state(struct vessel_vcpu *vcpu,
			   struct vessel_vcpu_state __user *uarg);
long vessel_vcpu_set_state(struct vessel_vcpu *vcpu,
			   const struct vessel_vcpu_state __user *uarg);
void vessel_update_entry_controls(struct vessel_vcpu *vcpu);
void vessel_seg_get(unsigned int seg, struct vessel_segment *s);
void vessel_seg_set(unsigned int seg, const struct vessel_segment *s);

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

#endif /* VESSEL_VCPU_H */
