/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: paravirtual interface providers (kmod/pv/: core.c and one
 * file per provider).  One provider per VM, chosen at creation and fixed for
 * the VM's life; the core calls it from CPUID table construction, the MSR
 * exits, the VMCALL exit and the run loop through struct vessel_pv_ops.
 */
#ifndef VESSEL_PARAVIRT_H
#define VESSEL_PARAVIRT_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/seqlock.h>
#include <linux/types.h>
#include <vessel.h>

struct vessel_vm;
struct vessel_vcpu;
struct pid;

/*
 * A provider MSR access that returns to userspace: the handler completed
 * the instruction and filled vessel_run (exit_reason VESSEL_EXIT_PV_*).
 */
#define VESSEL_PV_USER		1

/*
 * The paravirtual clock of a VM: a linear function of the guest TSC, the
 * same on every vCPU, continuous when the guest TSC offset changes.  It
 * read @base_val (provider units: ns for kvmclock, 100 ns for Hyper-V) at
 * guest TSC @base_tsc.  @seq changes whenever the function does, so vCPUs
 * know to rewrite the guest's copy (pvclock or the TSC page).  Written
 * under pv.lock; @sc lets the exit fast path, which may not sleep, read
 * it without the lock (vessel_pv_clock_peek()).
 */
struct vessel_pv_clock {
	u64 base_tsc;
	u64 base_val;
	s64 tsc_offset;		/* the vm->tsc_offset it was based for */
	u32 seq;		/* never 0 once set up */
	seqcount_mutex_t sc;
};

struct vessel_pv_kvm_vm {
	u32 mul;		/* pvclock tsc_to_system_mul */
	s8 shift;		/* pvclock tsc_shift */
	u8 flags;		/* PVCLOCK_TSC_STABLE_BIT or 0 */
	u32 wall_version;
	u64 wall_clock_msr;
};

struct vessel_pv_kvm_vcpu {
	u64 system_time_msr;
	u64 steal_time_msr;
	u64 poll_control_msr;
	u64 steal_ns;		/* reported to the guest so far */
	u64 run_delay;		/* sched_info.run_delay at the last update */
	u32 pvti_seq;		/* clock seq the guest's pvclock copy has */
	u32 pvti_version;
	u32 steal_version;
	int pvti_cpu;		/* host CPU at the last pvclock write */
	bool steal_dirty;	/* MSR written: rewrite the whole record */
	bool preempted;		/* the byte may be set: exchange it at entry */
	bool in_run;		/* between the enter and leave hooks */
};

/* A connection ID userspace routed to a vCPU's SINT. */
struct vessel_hv_conn {
	u32 id;
	u32 flags;		/* VESSEL_PV_HV_CONN_MESSAGE, _EVENT */
	u32 vcpu;
	u32 sint;
	u32 flag_base;
	u32 flag_count;
};

struct vessel_pv_hv_vm {
	unsigned int nr_conns;
	struct vessel_hv_conn conns[VESSEL_PV_HV_MAX_CONNECTIONS];
	u64 guest_os_id;
	u64 hypercall;
	u64 reference_tsc;
	u64 scale;		/* TSC page scale: 100 ns per tick, 64.64 */
	u64 crash[5];
	u64 crash_ctl;
	u32 tsc_page_seq;	/* clock seq the TSC page shows */
	u32 tsc_page_sequence;	/* the page's own sequence field */
};

#define VESSEL_HV_SINTS		16	/* HV_SYNIC_SINT_COUNT */
#define VESSEL_HV_STIMERS	4	/* HV_SYNIC_STIMER_COUNT */
#define VESSEL_HV_MSG_SIZE	256	/* HV_MESSAGE_SIZE */

/**
 * struct vessel_hv_stimer - one synthetic timer (kmod/pv/hyperv_synic.c)
 * @timer:	fires at @exp; its callback only posts work to the vCPU
 * @vcpu:	the vCPU the timer belongs to
 * @config:	HV_X64_MSR_STIMERn_CONFIG
 * @count:	HV_X64_MSR_STIMERn_COUNT
 * @exp:	reference time (100 ns) of the armed or pending expiry
 * @armed:	@timer runs for @exp
 * @pending:	expired at @exp, the message or interrupt not yet delivered
 */
struct vessel_hv_stimer {
	struct hrtimer timer;
	struct vessel_vcpu *vcpu;
	u64 config;
	u64 count;
	u64 exp;
	bool armed;
	bool pending;
};

/**
 * struct vessel_hv_synic - a vCPU's SynIC and synthetic timers
 * @lock:	all of it but @expired; taken by the vCPU's thread and by
 *		threads of other vCPUs posting messages or events to it
 * @scontrol:	HV_X64_MSR_SCONTROL
 * @siefp:	HV_X64_MSR_SIEFP, the event flags page
 * @simp:	HV_X64_MSR_SIMP, the message page
 * @sint:	HV_X64_MSR_SINT0..15
 * @queued:	SINTs whose @queue slot holds a posted message waiting for
 *		the guest's message slot (msg_pending set there)
 * @queue:	per SINT, the one message waiting for the guest's slot
 * @expired:	timers whose hrtimer fired (atomic bits, any context)
 * @stimer:	the synthetic timers
 */
struct vessel_hv_synic {
	struct mutex lock;
	u64 scontrol;
	u64 siefp;
	u64 simp;
	u64 sint[VESSEL_HV_SINTS];
	u16 queued;
	u8 queue[VESSEL_HV_SINTS][VESSEL_HV_MSG_SIZE];
	unsigned long expired;
	struct vessel_hv_stimer stimer[VESSEL_HV_STIMERS];
};

struct vessel_pv_hv_vcpu {
	u64 runtime_base;	/* VP_RUNTIME accumulated before this RUN */
	u64 runtime_mark;	/* thread CPU time (100 ns) when RUN began */
	u64 vp_assist;		/* HV_X64_MSR_VP_ASSIST_PAGE */
	bool in_run;
	struct vessel_hv_synic synic;
};

/* Counters, VM-wide (atomics: vCPUs update them concurrently). */
struct vessel_pv_stats {
	atomic64_t hypercalls[VESSEL_PV_NR_HC];
	atomic64_t msr_reads;
	atomic64_t msr_writes;
	atomic64_t msr_faults;
	atomic64_t clock_updates;
	atomic64_t user_exits;
	atomic64_t debug_bytes[2];
	atomic64_t timer_expirations;
};

struct dentry;
struct vessel_pv_ops;

struct vessel_pv_vm {
	const struct vessel_pv_ops *ops;
	u32 version;
	struct mutex lock;	/* provider VM state, the clock, guest copies */
	struct vessel_pv_clock clock;
	union {
		struct vessel_pv_kvm_vm kvm;
		struct vessel_pv_hv_vm hv;
	};
	struct vessel_pv_stats stats;
};

struct vessel_pv_vcpu {
	union {
		struct vessel_pv_kvm_vcpu kvm;
		struct vessel_pv_hv_vcpu hv;
	};
};

/**
 * struct vessel_pv_ops - one provider
 * @provider:	VESSEL_PV_*
 * @newest:	its newest interface version (versions are 1..@newest)
 * @cap:	VESSEL_CAP_PV_* bit, 0 for None
 * @vm_init:	at VM creation, before the CPUID table is built
 * @cpuid:	fills up to @room entries of the VM's initial CPUID table;
 *		returns how many
 * @msr:	an RDMSR/WRMSR: 0 done, -ENOENT not the provider's, -EINVAL
 *		#GP, VESSEL_PV_USER (instruction completed, run page filled)
 * @msr_read_fast: an RDMSR in the exit fast path (IRQs off): 0 done, or
 *		-EAGAIN before anything changed, for @msr to do it
 * @hypercall:	a VMCALL, as an exit handler: >0 re-enter, 0 to userspace
 *		(run page filled), -ENOENT not claimed (#UD).  With @atomic
 *		(the fast path, IRQs off) only calls that just compute an
 *		answer - the unknown ones too - are done; the others return
 *		-EAGAIN before they count or change anything, and come again
 *		without @atomic
 * @complete_user: the RUN after a VESSEL_EXIT_PV_* exit
 * @vcpu_init:	once, at vCPU creation (before @vcpu_reset)
 * @vcpu_free:	vCPU destruction, before its APIC goes
 * @vcpu_event:	work the provider posted (vessel_lapic_request_pv()), on
 *		the vCPU's thread before an entry, preemptible
 * @vcpu_enter:	before every VM entry, preemptible, may sleep
 * @vcpu_leave:	RUN returns to userspace
 * @vcpu_sched_out: the vCPU's thread is preempted (still runnable) while
 *		the vCPU is loaded; IRQs off, must not sleep or fault
 * @vm_reset:	the VM's power-on state
 * @vcpu_reset:	the vCPU's power-on state
 * @vm_get_state: the provider's VM state, for save
 * @vm_set_state: the same, for restore; checks it (-EINVAL) first
 * @vcpu_get_state: the provider's vCPU state, for save
 * @vcpu_set_state: the same, for restore; checks it (-EINVAL) first
 */
struct vessel_pv_ops {
	u32 provider;
	u32 newest;
	u64 cap;
	int (*vm_init)(struct vessel_vm *vm);
	unsigned int (*cpuid)(struct vessel_vm *vm,
			      struct vessel_cpuid_entry *e, unsigned int room);
	int (*msr)(struct vessel_vcpu *vcpu, u32 index, bool write, u64 *val);
	int (*msr_read_fast)(struct vessel_vcpu *vcpu, u32 index, u64 *val);
	int (*hypercall)(struct vessel_vcpu *vcpu, bool atomic);
	void (*complete_user)(struct vessel_vcpu *vcpu);
	void (*vcpu_init)(struct vessel_vcpu *vcpu);
	void (*vcpu_free)(struct vessel_vcpu *vcpu);
	void (*vcpu_event)(struct vessel_vcpu *vcpu);
	void (*vcpu_enter)(struct vessel_vcpu *vcpu);
	void (*vcpu_leave)(struct vessel_vcpu *vcpu);
	void (*vcpu_sched_out)(struct vessel_vcpu *vcpu);
	void (*vm_reset)(struct vessel_vm *vm);
	void (*vcpu_reset)(struct vessel_vcpu *vcpu);
	void (*vm_get_state)(struct vessel_vm *vm, struct vessel_pv_state *st);
	int (*vm_set_state)(struct vessel_vm *vm,
			    const struct vessel_pv_state *st);
	void (*vcpu_get_state)(struct vessel_vcpu *vcpu,
			       struct vessel_pv_state *st);
	int (*vcpu_set_state)(struct vessel_vcpu *vcpu,
			      const struct vessel_pv_state *st);
};

extern const struct vessel_pv_ops vessel_pv_minimal_ops;
extern const struct vessel_pv_ops vessel_pv_kvm_ops;
extern const struct vessel_pv_ops vessel_pv_hyperv_ops;

/* pv/core.c: what the rest of the module calls */
int vessel_pv_vm_create(struct vessel_vm *vm, u32 provider, u32 version);
u64 vessel_pv_caps(void);
unsigned int vessel_pv_cpuid(struct vessel_vm *vm,
			     struct vessel_cpuid_entry *e, unsigned int room);
int vessel_pv_msr(struct vessel_vcpu *vcpu, u32 index, bool write, u64 *val);
int vessel_pv_msr_read_fast(struct vessel_vcpu *vcpu, u32 index, u64 *val);
bool vessel_pv_clock_peek(struct vessel_vm *vm, u64 *base_tsc, u64 *base_val);
int vessel_exit_vmcall(struct vessel_vcpu *vcpu);
int vessel_vmcall_fast(struct vessel_vcpu *vcpu);
void vessel_pv_complete_user(struct vessel_vcpu *vcpu);
void vessel_pv_vcpu_init(struct vessel_vcpu *vcpu);
void vessel_pv_vcpu_enter(struct vessel_vcpu *vcpu);
void vessel_pv_request_resync(struct vessel_vcpu *vcpu);
void vessel_pv_resync_all(struct vessel_vm *vm);
void vessel_pv_vcpu_leave(struct vessel_vcpu *vcpu);
void vessel_pv_vcpu_free(struct vessel_vcpu *vcpu);
void vessel_pv_vcpu_event(struct vessel_vcpu *vcpu);
void vessel_pv_debugfs_init(struct vessel_vm *vm, struct dentry *dir);
long vessel_pv_vm_ioctl(struct vessel_vm *vm, unsigned int cmd,
			void __user *argp);
long vessel_pv_vcpu_ioctl(struct vessel_vcpu *vcpu, unsigned int cmd,
			  void __user *argp);

/* pv/core.c: for the providers */
u64 vessel_pv_guest_tsc(struct vessel_vm *vm);
bool vessel_pv_tsc_stable(void);
u32 vessel_pv_tsc_khz(void);
void vessel_pv_clock_sync(struct vessel_vm *vm,
			  u64 (*eval)(struct vessel_vm *vm, u64 tsc));
void vessel_pv_clock_set(struct vessel_vm *vm, u64 tsc, u64 val);
void vessel_pv_count_hc(struct vessel_vm *vm, u64 code);
int vessel_pv_exit_user(struct vessel_vcpu *vcpu, u32 reason,
			unsigned int ndata, const u64 *data);
bool vessel_pv_state_tail_zero(const struct vessel_pv_state *st, size_t used);
void vessel_pv_flush_tlb(struct vessel_vcpu *vcpu, u64 mask);

#endif /* VESSEL_PARAVIRT_H */
