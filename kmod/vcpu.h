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

/* MSRs without a VMCS field, switched through the MSR load/store areas. */
enum vessel_switched_msr {
	VESSEL_SW_STAR,
	VESSEL_SW_LSTAR,
	VESSEL_SW_CSTAR,
	VESSEL_SW_SFMASK,
	VESSEL_SW_KERNEL_GS_BASE,
	VESSEL_SW_TSC_AUX,
	VESSEL_NR_SWITCHED_MSRS
};

extern const u32 vessel_switched_msrs[VESSEL_NR_SWITCHED_MSRS];

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
void vessel_skip_insn(struct vessel_vcpu *vcpu);
int vessel_complete_user_exit(struct vessel_vcpu *vcpu);
unsigned long vessel_gpr_read(struct vessel_vcpu *vcpu, unsigned int reg);
void vessel_gpr_write(struct vessel_vcpu *vcpu, unsigned int reg,
		      unsigned long val);
int vessel_exit_internal(struct vessel_vcpu *vcpu, u32 suberror, u32 ndata,
			 const u64 *data);

/*
 * Every return to userspace names its reason here.  The kernel keeps a
 * copy for its counters rather than reading the run page back: userspace
 * may write the page at any time, from another thread during RUN too.
 */
static inline void vessel_run_exit(struct vessel_vcpu *vcpu, u32 reason)
{
	vcpu->run_exit_reason = reason;
	vcpu->run->exit_reason = reason;
}

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
int vessel_exit_wrmsr(struct vessel_vcpu *vcpu);
void vessel_msr_setup(struct vessel_vcpu *vcpu);
void vessel_msr_complete_user(struct vessel_vcpu *vcpu);
long vessel_vm_set_user_msrs(struct vessel_vm *vm,
			     const struct vessel_user_msrs __user *uarg);

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
