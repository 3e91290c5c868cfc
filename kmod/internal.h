/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: declarations shared between the files of the module.
 */
#ifndef VESSEL_INTERNAL_H
#define VESSEL_INTERNAL_H

#include <linux/bitops.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <asm/fpu/api.h>
#include <vessel.h>

#include "compat.h"
#include "emulate/emulate.h"
#include "exit_stages.h"
#include "mmu/mem.h"
#include "pv/paravirt.h"

/* Limits reported in struct vessel_caps. */
#define VESSEL_MAX_VCPUS	64
#define VESSEL_MAX_MEM_SLOTS	32
#define VESSEL_MAX_MEM_BYTES	(64ULL << 30)

/*
 * The clock of the local APIC timer, before its divide configuration: the
 * one definition the in-kernel APIC and the paravirtual leaves that report
 * it (Minimal 0x40000010, Hyper-V APIC_FREQUENCY) share.  1 GHz, as KVM's
 * APIC, so one timer tick is one nanosecond.
 */
#define VESSEL_APIC_TIMER_KHZ	1000000U

static inline u32 vessel_apic_timer_khz(void)
{
	return VESSEL_APIC_TIMER_KHZ;
}

/*
 * The machine-check architecture a guest sees (msr.c): VESSEL_MCE_BANKS
 * banks of CTL, STATUS, ADDR and MISC, MCG_CTL and MCG_STATUS; no CMCI,
 * no LMCE.  Nothing ever reports an error in them: they hold what the
 * guest wrote.
 */
#define VESSEL_MCE_BANKS	10

struct vessel_mce {
	u64 mcg_ctl;
	u64 mcg_status;
	u64 bank[VESSEL_MCE_BANKS * 4];
};

/*
 * What the host's VMX offers, read once at load from the boot CPU and
 * checked to be identical on every other CPU.
 */
struct vessel_vmx_config {
	u32 revision;		/* VMCS revision identifier */
	u32 region_size;	/* bytes of a VMXON or VMCS region */
	u64 flags;		/* VESSEL_CAP_* */
	u64 basic;
	u64 pinbased;
	u64 procbased;
	u64 procbased2;
	u64 exit;
	u64 entry;
	u64 misc;
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
};

extern struct vessel_vmx_config vessel_vmx;

/* One VM: the object behind a VM file descriptor. */
struct vessel_vm {
	struct file *file;	/* the VM fd's file; vCPUs hold references */
	struct mutex lock;	/* vcpus[], cpuid, user MSRs */
	struct mm_struct *mm;	/* the creator's; guest memory lives there */
	bool dead;		/* a VMX instruction failed: every call EIO */
	bool ran;		/* a vCPU entered the guest: CPUID is fixed */
	bool lapic;		/* VESSEL_VM_LAPIC: vCPUs have in-kernel APICs */
	s64 tsc_offset;		/* guest TSC = host TSC + tsc_offset */

	struct vessel_mem mem;

	struct vessel_vcpu *vcpus[VESSEL_MAX_VCPUS];
	unsigned int nr_vcpus;

	struct vessel_cpuid_entry *cpuid;
	unsigned int nr_cpuid;
	u32 user_msrs[VESSEL_MAX_USER_MSRS];
	unsigned int nr_user_msrs;

	spinlock_t counters_lock;	/* counters of closed vCPUs */
	struct vessel_counters counters;

	struct vessel_pv_vm pv;		/* paravirtual provider */
	struct dentry *debugfs;		/* its counters' directory, or NULL */
};

/* Why the last VESSEL_RUN returned to userspace with work left to do. */
enum vessel_pending_user {
	VESSEL_PENDING_NONE,
	VESSEL_PENDING_IO_IN,
	VESSEL_PENDING_IO_OUT,
	VESSEL_PENDING_MMIO_READ,
	VESSEL_PENDING_MMIO_WRITE,
	VESSEL_PENDING_MSR_READ,
	VESSEL_PENDING_MSR_WRITE,
	VESSEL_PENDING_HLT,
	VESSEL_PENDING_PV,		/* a VESSEL_EXIT_PV_* to complete */
};

/*
 * The port I/O instruction the last exit left to userspace: all that the
 * next RUN needs to complete it, decided at the exit.  Userspace may have
 * rewritten any field of the run page since; only the IN data is read back.
 */
struct vessel_pio {
	u8 size;		/* element size: 1, 2 or 4 */
	u8 insn_len;
	bool string;		/* INS/OUTS */
	bool rep;
	bool down;		/* string: RFLAGS.DF at the exit */
	u32 count;		/* string: elements in the run page */
	u64 start;		/* string: linear address of the lowest one */
	u64 addr_mask;		/* string: address size of RSI/RDI/RCX */
};

/* Events queued for the guest, delivered on VM entry when unblocked. */
struct vessel_vcpu_events {
	bool exception_pending;
	bool exception_has_error;
	bool exception_has_payload;
	u8 exception_vector;
	u32 exception_error_code;
	u64 exception_payload;
	bool nmi_pending;
	bool irq_pending;
	u8 irq_vector;
	/* An event a VM exit interrupted (IDT-vectoring info), re-injected. */
	u32 injected_info;
	u32 injected_error_code;
	u32 injected_insn_len;
};

/*
 * Guest MSRs without a VMCS field that only the host's userspace needs:
 * switched on the way back to userspace (uret.c), never on a VM exit.
 * KERNEL_GS_BASE, which the host's context switch reads, is loaded when
 * RUN begins and after a schedule-in, saved when RUN ends and at a
 * schedule-out (vcpu.c).
 */
enum vessel_uret_msr {
	VESSEL_URET_STAR,
	VESSEL_URET_LSTAR,
	VESSEL_URET_CSTAR,
	VESSEL_URET_SFMASK,
	VESSEL_URET_TSC_AUX,
	VESSEL_NR_URET_MSRS
};

extern const u32 vessel_uret_msrs[VESSEL_NR_URET_MSRS];

/* One vCPU: the object behind a vCPU file descriptor. */
struct vessel_vcpu {
	struct vessel_vm *vm;
	u32 id;
	struct mutex run_lock;	/* one RUN/state operation at a time */
	unsigned long in_run;	/* bit 0: a thread is in (or entering) RUN */
	struct vessel_run *run;	/* the page userspace mmaps */
	u32 run_exit_reason;	/* what the run page was told: counters */

	/* VMX */
	void *vmcs;		/* VMCS region (one page) */
	int cpu;		/* where the VMCS is active, or -1 */
	int host_cpu;		/* whose per-CPU host state the VMCS holds */
	struct list_head loaded_link;	/* on that CPU's list of active VMCSs */
	bool launched;		/* VMLAUNCH done since the last VMCLEAR */
	bool flush_on_entry;	/* INVVPID/INVEPT before the next entry */
	bool load_failed;	/* VMPTRLD failed: the VM is dead */
	bool shutdown;		/* triple fault while queueing an exception */
	struct preempt_notifier pn;	/* reloads the VMCS on sched-in */
	u16 vpid;
	u32 ctl_pin, ctl_proc, ctl_proc2, ctl_entry;	/* as written */
	u32 tpr_threshold;	/* as written (TPR shadow) */
	void *msr_bitmap;	/* one page: 1 = exit */
	u64 uret[VESSEL_NR_URET_MSRS];	/* guest values (uret.c) */
	bool uret_loaded;	/* this CPU holds them (until a schedule-out) */
	/*
	 * Between the start and the end of RUN: the CPU holds the guest's
	 * KERNEL_GS_BASE (but while scheduled out), and the APIC's deadline
	 * may be watched by the VMX-preemption timer (lapic.c).
	 */
	bool run_active;
	u64 kernel_gs_base;	/* the guest's, while not in the CPU */
	u64 host_kernel_gs_base;	/* the host's, while the guest's is there */

	/* Guest registers the VMCS does not hold. */
	unsigned long regs[VESSEL_NR_GPRS];	/* regs[RSP] unused: VMCS */
	unsigned long cr2;
	u64 cr8;
	u64 xcr0;
	u64 dr[4], dr6;
	bool dr7_active;	/* guest breakpoints armed: load DR0-3/DR6 */
	unsigned long host_cr3, host_cr4, host_fs_base;	/* as in the VMCS */
	s64 tsc_offset;		/* as in the VMCS */
	s64 tsc_adjust;		/* IA32_TSC_ADJUST (msr.c) */
	u64 misc_enable;
	u64 apic_base;
	u64 mtrr_def_type;
	struct vessel_mce mce;		/* msr.c: machine-check banks */
	struct fpu_guest fpu;

	struct vessel_vcpu_events ev;
	enum vessel_pending_user pending;
	struct vessel_mmio_insn mmio_insn;	/* the MMIO access in flight */
	struct vessel_pio pio;			/* the port I/O in flight */

	unsigned long requests;	/* VESSEL_REQ_*: vessel_make_request() */
	int in_guest_cpu;	/* CPU running the guest, or -1 */
	struct pid __rcu *pid;	/* the thread that last ran it: directed yield */

	/* The last exit, filled by the run loop for the handlers. */
	u32 exit_reason;
	u64 exit_qual;
	u32 exit_insn_len;
	u32 exit_intr_info;

	struct vessel_counters counters;

	struct vessel_lapic *lapic;	/* NULL without VESSEL_VM_LAPIC */
	/*
	 * The run state, with an in-kernel APIC only (halt.c).  @halt_if:
	 * RFLAGS.IF when the guest halted, whether an interrupt can wake it;
	 * @pv_unhalt: a paravirtual kick (KVM_HC_KICK_CPU) not yet used up:
	 * the current HLT, or the next one, ends at once; @halt_wq: where the
	 * thread sleeps while halted or waiting for SIPI.
	 */
	u32 mp_state;		/* VESSEL_MP_STATE_* */
	bool halt_if;
	bool pv_unhalt;
	wait_queue_head_t halt_wq;
	struct vessel_pv_vcpu pv;	/* paravirtual provider */
#ifdef VESSEL_EXIT_STAGES
	struct vessel_exit_stages stages;	/* debug build: exit_stages.h */
#endif
};

/*
 * Requests: work other threads (or the scheduler's hooks) leave for a
 * vCPU's thread, one bit each in vessel_vcpu.requests, so that the last
 * look before VM entry is one load of one word.
 */
#define VESSEL_REQ_KICK		0	/* VESSEL_KICK: RUN returns EINTR */
#define VESSEL_REQ_EVENT	1	/* the local APIC has news (lapic.c) */
/* Preempted after the provider's enter hook: run it again (pv/kvm.c). */
#define VESSEL_REQ_PV_RESYNC	2

/*
 * The protocol with a vCPU about to enter the guest.  The vCPU's thread,
 * IRQs off: WRITE_ONCE(in_guest_cpu, cpu); smp_mb(); then reads requests
 * and abandons the entry if any is pending.  A maker: set_bit() here;
 * smp_mb__after_atomic(); then reads in_guest_cpu and sends an IPI to a
 * CPU it finds (vessel_vcpu_wake()).  Each side writes, then reads what
 * the other writes, with a full barrier in between: at least one sees the
 * other.  Either the vCPU sees the request and does not enter, or the
 * maker sees it entering and its IPI, pending while IRQs are off, makes
 * the guest exit as soon as it runs.  A vCPU asleep in HLT waits on its
 * halt_wq for the request bits (halt.c).
 */
static inline void vessel_make_request(struct vessel_vcpu *vcpu,
				       unsigned int req)
{
	set_bit(req, &vcpu->requests);
	/* The bit before the caller reads in_guest_cpu: the protocol above. */
	smp_mb__after_atomic();
}

static inline bool vessel_test_request(struct vessel_vcpu *vcpu,
				       unsigned int req)
{
	return test_bit(req, &vcpu->requests);
}

/*
 * Consume a request.  Cleared before the work it asks for, so that one
 * made meanwhile stays set; tested first, as most calls find none and a
 * plain load is cheaper than a locked instruction.
 */
static inline bool vessel_check_request(struct vessel_vcpu *vcpu,
					unsigned int req)
{
	if (!test_bit(req, &vcpu->requests))
		return false;
	clear_bit(req, &vcpu->requests);
	/* The work's reads after the clear: pairs with vessel_make_request(). */
	smp_mb__after_atomic();
	return true;
}

static inline bool vessel_request_pending(struct vessel_vcpu *vcpu)
{
	return READ_ONCE(vcpu->requests) != 0;
}

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

/* abi.c: the uapi layout, checked at build time */
void vessel_abi_check(void);

/* main.c: /sys/kernel/debug/vessel, or NULL or an error without debugfs */
extern struct dentry *vessel_debugfs;

/* vm.c */
long vessel_vm_create(const struct vessel_vm_create __user *uarg);
void vessel_vm_mark_dead(struct vessel_vm *vm, const char *why);
void vessel_counters_add(struct vessel_counters *sum,
			 const struct vessel_counters *c);

/* vcpu.c */
int vessel_vcpu_create(struct vessel_vm *vm, u32 id);
void vessel_vcpu_wake(struct vessel_vcpu *vcpu);
void vessel_vcpu_yield_to(struct vessel_vcpu *vcpu, u64 mask);

#endif /* VESSEL_INTERNAL_H */
