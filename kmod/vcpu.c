// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the vCPU object (a file descriptor) and its run loop.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/uaccess.h>
#include <linux/percpu.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>

#include "irq/lapic.h"
#include "vcpu.h"

/* VPIDs 1..VESSEL_MAX_VPID; 0 is the host's. */
#define VESSEL_MAX_VPID	0xffff
static DEFINE_IDA(vpid_ida);

/* Host state the VMCS does not restore, saved around one RUN. */
struct vessel_host_state {
	u16 ds, es, fs, gs;
	unsigned long fs_base;
	unsigned long kernel_gs_base;
	u64 xcr0;
};

static void vcpu_host_save(struct vessel_vcpu *vcpu, struct vessel_host_state *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	rdmsrl(MSR_FS_BASE, h->fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	h->xcr0 = boot_cpu_has(X86_FEATURE_XSAVE) ? xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
}

/*
 * A VM exit leaves null DS/ES/FS/GS selectors; put back the host's, and
 * the FS and user GS bases a selector load would clobber.
 */
static void vcpu_host_restore(const struct vessel_host_state *h)
{
	if (h->ds | h->es) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	if (h->fs) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, h->fs_base);
	}
	if (h->gs) {
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	}
	/* The exit set GDTR.limit to 0xffff; userspace can see it (SGDT). */
	load_fixmap_gdt(raw_smp_processor_id());
}

/*
 * The guest's KERNEL_GS_BASE is in the CPU from the start of RUN to its
 * end (SWAPGS in the guest changes it without an exit), except while the
 * thread is scheduled out: the context switch saves the outgoing task's
 * user GS base from that MSR.  Preemption off.
 */
static void vcpu_kgs_enter(struct vessel_vcpu *vcpu)
{
	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kernel_gs_base);
	if (vcpu->kernel_gs_base != vcpu->host_kernel_gs_base)
		wrmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
}

static void vcpu_kgs_leave(struct vessel_vcpu *vcpu)
{
	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
	if (vcpu->kernel_gs_base != vcpu->host_kernel_gs_base)
		wrmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kernel_gs_base);
}

u64 vessel_kernel_gs_base_get(struct vessel_vcpu *vcpu)
{
	u64 v;

	preempt_disable();
	if (vcpu->run_active)
		rdmsrl(MSR_KERNEL_GS_BASE, v);
	else
		v = vcpu->kernel_gs_base;
	preempt_enable();
	return v;
}

/* @val is canonical (the callers check). */
void vessel_kernel_gs_base_set(struct vessel_vcpu *vcpu, u64 val)
{
	preempt_disable();
	vcpu->kernel_gs_base = val;
	if (vcpu->run_active)
		wrmsrl(MSR_KERNEL_GS_BASE, val);
	preempt_enable();
}

/*
 * While a vCPU thread is inside RUN or a state ioctl its VMCS stays current
 * on whatever CPU the thread runs: a preempt notifier loads it again when
 * the thread is scheduled in (possibly elsewhere).  Exit handlers can then
 * sleep (to fault in guest memory) and still use the VMCS.
 */
static void vcpu_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct vessel_vcpu *vcpu = container_of(pn, struct vessel_vcpu, pn);

	if (vessel_vmcs_load(vcpu))
		vcpu->load_failed = true;
	if (vcpu->run_active)
		vcpu_kgs_enter(vcpu);
	/* Steal time, the CPU the clock was written on: the provider looks. */
	vessel_pv_request_resync(vcpu);
}

/*
 * Still runnable: preempted rather than sleeping (HLT, a fault); the
 * provider may tell the guest (KVM's steal-time preempted flag).
 */
static void vcpu_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	struct vessel_vcpu *vcpu = container_of(pn, struct vessel_vcpu, pn);

	/* Another task may return to userspace here: the host's MSRs back. */
	vcpu->uret_loaded = false;
	if (vcpu->run_active)
		vcpu_kgs_leave(vcpu);
	if (current->on_rq && vcpu->vm->pv.ops->vcpu_sched_out)
		vcpu->vm->pv.ops->vcpu_sched_out(vcpu);
}

static struct preempt_ops vcpu_preempt_ops = {
	.sched_in = vcpu_sched_in,
	.sched_out = vcpu_sched_out,
};

int vessel_vcpu_load(struct vessel_vcpu *vcpu)
{
	preempt_disable();
	vcpu->load_failed = vessel_vmcs_load(vcpu) != 0;
	preempt_notifier_init(&vcpu->pn, &vcpu_preempt_ops);
	preempt_notifier_register(&vcpu->pn);
	preempt_enable();
	return vcpu->load_failed ? -EIO : 0;
}

void vessel_vcpu_put(struct vessel_vcpu *vcpu)
{
	preempt_disable();
	preempt_notifier_unregister(&vcpu->pn);
	preempt_enable();
}

/* Whether a VMX instruction failed since @mark (a host bug). */
static bool vcpu_vmx_failed(struct vessel_vcpu *vcpu, unsigned int mark)
{
	return vcpu->load_failed || atomic_read(&vessel_vmx_failures) != mark;
}

/* Whether RUN must return to userspace before entering the guest. */
static bool vcpu_should_stop(struct vessel_vcpu *vcpu)
{
	return READ_ONCE(vcpu->run->immediate_exit) ||
	       vessel_test_request(vcpu, VESSEL_REQ_KICK) ||
	       signal_pending(current);
}

static int vcpu_exit_intr(struct vessel_vcpu *vcpu)
{
	/* The kick is used up by the RUN it ends. */
	vessel_check_request(vcpu, VESSEL_REQ_KICK);
	vessel_run_exit(vcpu, VESSEL_EXIT_INTR);
	return -EINTR;
}

/*
 * Work the kernel queued for the thread's way back to userspace (task
 * work, TIF_NOTIFY_RESUME) must not wait for the guest's next exit to
 * userspace, which may never come: CPU-time timers fire from it (the
 * execution cap's, setitimer's ITIMER_PROF, RLIMIT_CPU), and 6.4 and later
 * scan the mm's concurrency IDs from it every 100 ms.  KVM runs it in
 * xfer_to_guest_mode_handle_work(), which only takes a KVM vCPU.  Here
 * RUN goes back to userspace for it, the way io_uring's TWA_SIGNAL work
 * does: with TIF_NOTIFY_SIGNAL set, the way out runs the work in
 * get_signal(); a signal it raises ends RUN as any signal does (EINTR,
 * or restarted under SA_RESTART), and without one the RUN is restarted
 * (-ERESTARTSYS) and userspace sees nothing.
 */
static bool vcpu_task_work_pending(void)
{
	return task_work_pending(current);
}

static int vcpu_exit_task_work(struct vessel_vcpu *vcpu)
{
	/*
	 * The restarted RUN is this one again: counted once.  When the
	 * work's signal ends it instead, that RUN goes uncounted, as does
	 * its EINTR: the price of not knowing here whether one will come.
	 */
	vcpu->counters.runs--;
	vessel_run_exit(vcpu, VESSEL_EXIT_INTR);
	set_thread_flag(TIF_NOTIFY_SIGNAL);
	return -ERESTARTSYS;
}

/*
 * Whether the fast path must stop re-entering the guest and take the
 * slow way round: anything the checks before a normal entry would act on.
 * A request (an APIC event, a kick, the provider), a signal or a
 * reschedule for the thread, a TLB flush or TSC offset to apply, a failed
 * VMX instruction.  (TIF_NOTIFY_RESUME, rseq's and task work's, waits for
 * the slow path: task work, queued by an interrupt, is looked at there
 * once the interrupt's exit has taken that way, vcpu_task_work_pending().)
 * IRQs off.
 */
static bool vcpu_fast_stop(struct vessel_vcpu *vcpu, unsigned int mark)
{
	return READ_ONCE(vcpu->requests) ||
	       (read_thread_flags() & (_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL |
				       _TIF_NEED_RESCHED)) ||
	       READ_ONCE(vcpu->run->immediate_exit) ||
	       READ_ONCE(vcpu->flush_on_entry) ||
	       READ_ONCE(vcpu->vm->tsc_offset) != vcpu->tsc_offset ||
	       atomic_read(&vessel_vmx_failures) != mark;
}

/*
 * Everything between taking IRQs off and giving them back: the entry, and
 * while exits are ones the fast path finishes with IRQs still off (the
 * exits KVM's fastpath takes: CPUID, in-kernel MSRs, hypercalls, the
 * TSC-deadline write, ...), entry again at once, as long as nothing asks
 * for the slow way round (vcpu_fast_stop()).  The guest's CR2, XCR0 and
 * debug registers stay in the CPU meanwhile: with IRQs off nothing of the
 * host's runs that would use or change them.
 *
 * Return: 1 with an exit to dispatch, 2 when the fast path handled the
 * last exit, or as an exit handler (a failed entry).
 */
static int vcpu_enter_guest(struct vessel_vcpu *vcpu,
			    const struct vessel_host_state *h,
			    unsigned int mark)
{
	int fast = VESSEL_FAST_NONE;
	u64 since = 0, deadline;
	int r;

	/* Cleared first: a request made meanwhile (pv/core.c) is not lost. */
	if (READ_ONCE(vcpu->flush_on_entry)) {
		WRITE_ONCE(vcpu->flush_on_entry, false);
		if (vcpu->vpid)
			vessel_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vcpu->vpid, 0);
		/* Without a VPID the entry itself flushes: counted the same. */
		vcpu->counters.tlb_flushes++;
	}
	if (h->xcr0 && vcpu->xcr0 != h->xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (vcpu->cr2 != native_read_cr2())
		native_write_cr2(vcpu->cr2);
	if (vcpu->dr7_active) {
		set_debugreg(vcpu->dr[0], 0);
		set_debugreg(vcpu->dr[1], 1);
		set_debugreg(vcpu->dr[2], 2);
		set_debugreg(vcpu->dr[3], 3);
		set_debugreg(vcpu->dr6, 6);
	}

	for (;;) {
		if (unlikely(vessel_vmx_preemption_timer_needed(vcpu,
							vessel_lapic_hv_timer_on(vcpu))))
			vessel_vmx_preemption_timer(vcpu, &since,
						    vessel_lapic_hv_timer(vcpu, &deadline) ?
						    &deadline : NULL);
		vessel_stage(vcpu, VESSEL_STAGE_CHECKS);
		r = vessel_vmx_enter(vcpu->regs, vcpu->launched);
		vessel_stage(vcpu, VESSEL_STAGE_GUEST);
		vcpu->counters.entries++;
		if (r)
			break;
		vcpu->launched = true;
		/*
		 * Interrupts are still off: an INVEPT IPI that forced this
		 * exit (dirty.c's CLEAR, say) then finds the log emptied.
		 */
		vessel_vmx_pml_drain(vcpu);
		vcpu->exit_reason = vessel_vmx_exit_reason(vcpu);
		vessel_stage_exit(vcpu, vcpu->exit_reason & 0xffff);
		/* An NMI that exited must reach the host's handler now. */
		if ((vcpu->exit_reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI) {
			vcpu->exit_intr_info = vessel_vmx_exit_intr_info(vcpu);
			if ((vcpu->exit_intr_info & INTR_INFO_INTR_TYPE_MASK) ==
			    INTR_TYPE_NMI_INTR)
				vessel_vmx_host_nmi();
			break;
		}
		if (!vessel_exit_fast_candidate(vcpu))
			break;
		fast = vessel_exit_fast(vcpu);
		vessel_stage(vcpu, VESSEL_STAGE_FAST);
		if (fast != VESSEL_FAST_REENTER)
			break;
		if (vcpu_fast_stop(vcpu, mark)) {
			fast = VESSEL_FAST_DONE;
			break;
		}
	}
	WRITE_ONCE(vcpu->in_guest_cpu, -1);

	vcpu->cr2 = native_read_cr2();
	if (vcpu->dr7_active) {
		get_debugreg(vcpu->dr6, 6);
		hw_breakpoint_restore();
	}
	if (h->xcr0 && vcpu->xcr0 != h->xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, h->xcr0);
	invalidate_tss_limit();

	if (r) {
		/* VMfail: nothing ran; the instruction error says why. */
		u64 data[2] = { 0, vessel_vmx_entry_error(vcpu) };

		vcpu->exit_reason = 0;
		return vessel_exit_internal(vcpu, VESSEL_INTERNAL_ENTRY_FAILED,
					    2, data);
	}
	return fast == VESSEL_FAST_NONE ? 1 : 2;
}

/* One trip into the guest and back; returns like an exit handler. */
static int vcpu_run_once(struct vessel_vcpu *vcpu,
			 const struct vessel_host_state *h)
{
	unsigned int mark = atomic_read(&vessel_vmx_failures);
	int r;

	/* In-kernel APIC: pending events; sleeps while the guest halts. */
	r = vessel_lapic_before_entry(vcpu);
	vessel_stage(vcpu, VESSEL_STAGE_LAPIC);
	if (r <= 0)
		return r == -EINTR ? vcpu_exit_intr(vcpu) : r;
	preempt_disable();
	/* Since a schedule-out this CPU may hold the host's values (vmx/uret.c). */
	if (unlikely(!vcpu->uret_loaded))
		vessel_uret_load(vcpu);
	vessel_vmx_host_update(vcpu, h->fs_base);
	r = vessel_events_inject(vcpu);
	vessel_stage(vcpu, VESSEL_STAGE_EVENTS);
	if (r <= 0) {
		preempt_enable();
		return r;
	}
	local_irq_disable();
	/*
	 * Publish that we are about to enter, then look for requests (the
	 * protocol at vessel_make_request()): a kick, an APIC event posted
	 * since the injection above, a preemption since the provider's enter
	 * hook (it wrote guest memory the hook must fix up first).  Any of
	 * them, or a signal: abandon this entry and look again.
	 */
	WRITE_ONCE(vcpu->in_guest_cpu, smp_processor_id());
	/* Pairs with smp_mb__after_atomic() in vessel_make_request(). */
	smp_mb();
	if (vessel_request_pending(vcpu) ||
	    READ_ONCE(vcpu->run->immediate_exit) || signal_pending(current)) {
		WRITE_ONCE(vcpu->in_guest_cpu, -1);
		vessel_events_cancel(vcpu);
		local_irq_enable();
		preempt_enable();
		return vcpu_should_stop(vcpu) ? vcpu_exit_intr(vcpu) : 1;
	}
	/*
	 * Preemption or kernel_fpu_begin() since the last entry left the FPU
	 * registers someone else's; the guest's state is in memory: load it,
	 * or the guest would run on (and could read) another task's.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	r = vcpu_enter_guest(vcpu, h, mark);
	if (r == 1)
		vessel_events_save_vectoring(vcpu);
	local_irq_enable();
	preempt_enable();
	/* A PV EOI the guest did is done before any handler sees ISR. */
	vessel_lapic_after_exit(vcpu);
	vessel_stage(vcpu, VESSEL_STAGE_EXIT);
	if (r == 1)
		r = vessel_exit_dispatch(vcpu);
	else if (r > 0)
		r = 1;
	vessel_stage(vcpu, VESSEL_STAGE_HANDLER);
	if (vcpu_vmx_failed(vcpu, mark))
		r = -EIO;
	return r;
}

/*
 * Remember which thread runs the vCPU, for directed yield.  Readers look
 * under RCU, so a thread that changes waits for them before dropping the
 * old pid; the first RUN has no old pid and does not wait.
 */
static void vcpu_track_thread(struct vessel_vcpu *vcpu)
{
	struct pid *old = rcu_dereference_protected(vcpu->pid, 1);

	if (likely(old == task_pid(current)))
		return;
	rcu_assign_pointer(vcpu->pid, get_task_pid(current, PIDTYPE_PID));
	if (old) {
		synchronize_rcu();
		put_pid(old);
	}
}

/**
 * vessel_vcpu_yield_to() - give our CPU to a vCPU of @mask that can use it
 * @vcpu:	the waiting vCPU, on its own thread
 * @mask:	the vCPUs (bit i: vCPU id i) it may be waiting for
 *
 * A vCPU waits for another (a lock holder: a PAUSE loop, KVM_HC_SCHED_YIELD,
 * HvNotifyLongSpinWait): yield to the thread of one vCPU in @mask, other
 * than @vcpu, that is runnable and not in the guest - preempted, most
 * likely on our CPU - which is when yielding can help.  No such vCPU: go
 * on at once.
 */
void vessel_vcpu_yield_to(struct vessel_vcpu *vcpu, u64 mask)
{
	struct vessel_vm *vm = vcpu->vm;
	struct task_struct *task = NULL;
	unsigned int i;

	mask &= ~BIT_ULL(vcpu->id);
	/* Alone in its VM, a vCPU has no one to yield to: no lock. */
	if (!mask || READ_ONCE(vm->nr_vcpus) <= 1)
		return;
	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS && mask && !task; i++) {
		struct vessel_vcpu *t = vm->vcpus[i];

		/* In the guest, or asleep in HLT: yielding to it cannot help. */
		if (!(mask & BIT_ULL(i)) || !t || READ_ONCE(t->in_guest_cpu) >= 0 ||
		    vessel_vcpu_halted(t))
			continue;
		rcu_read_lock();
		task = pid_task(rcu_dereference(t->pid), PIDTYPE_PID);
		/* Asleep (in userspace, say) it cannot take our CPU either. */
		if (task && task_is_running(task))
			get_task_struct(task);
		else
			task = NULL;
		rcu_read_unlock();
	}
	mutex_unlock(&vm->lock);
	if (task) {
		yield_to(task, true);
		put_task_struct(task);
	}
}

static long vessel_vcpu_run(struct vessel_vcpu *vcpu)
{
	struct vessel_host_state h;
	bool first = true;
	unsigned int mark;
	int r;

	vessel_stage(vcpu, VESSEL_STAGE_USER);
	vcpu->counters.runs++;
	vessel_run_exit(vcpu, VESSEL_EXIT_NONE);
	if (unlikely(!READ_ONCE(vcpu->vm->ran))) {
		/* From now on CPUID and the user MSRs are fixed. */
		mutex_lock(&vcpu->vm->lock);
		vcpu->vm->ran = true;
		mutex_unlock(&vcpu->vm->lock);
	}
	mark = atomic_read(&vessel_vmx_failures);
	/* On failure too, the load registered the preempt notifier: put. */
	r = vessel_vcpu_load(vcpu);
	if (!r)
		r = vessel_complete_user_exit(vcpu);
	/* Completing the last exit writes the VMCS too (RIP, registers). */
	if (vcpu_vmx_failed(vcpu, mark))
		r = -EIO;
	if (r <= 0)
		goto out_put;

	vcpu_track_thread(vcpu);
	vessel_pv_request_resync(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->fpu, true);
	vcpu_host_save(vcpu, &h);
	preempt_disable();
	vcpu_kgs_enter(vcpu);
	vcpu->run_active = true;
	preempt_enable();
	for (;;) {
		vessel_stage(vcpu, first ? VESSEL_STAGE_RUN_ENTER :
					   VESSEL_STAGE_LOOP);
		first = false;
		if (vcpu_should_stop(vcpu)) {
			r = vcpu_exit_intr(vcpu);
			break;
		}
		if (unlikely(vcpu_task_work_pending())) {
			r = vcpu_exit_task_work(vcpu);
			break;
		}
		/* Only when asked: RUN began, the thread ran elsewhere, ... */
		if (unlikely(vessel_check_request(vcpu, VESSEL_REQ_PV_RESYNC)))
			vessel_pv_vcpu_enter(vcpu);
		vessel_stage(vcpu, VESSEL_STAGE_PV);
		r = vcpu_run_once(vcpu, &h);
		if (r <= 0)
			break;
		cond_resched();
	}
	/* An entry cancelled after an offer: userspace sees no PV EOI state. */
	vessel_lapic_after_exit(vcpu);
	vessel_pv_vcpu_leave(vcpu);
	preempt_disable();
	vcpu_kgs_leave(vcpu);
	vcpu->run_active = false;
	/* Returning to userspace puts the host's values back (uret.c). */
	vcpu->uret_loaded = false;
	preempt_enable();
	vcpu_host_restore(&h);
	fpu_swap_kvm_fpstate(&vcpu->fpu, false);
out_put:
	vessel_vcpu_put(vcpu);
	/*
	 * Tell userspace whether the next RUN has an instruction to finish,
	 * so a VMM that stops the vCPU (to suspend or save it) knows when it
	 * is at an instruction boundary.  A HLT exit is complete: RIP is
	 * past it.
	 */
	WRITE_ONCE(vcpu->run->flags, vcpu->pending != VESSEL_PENDING_NONE &&
		   vcpu->pending != VESSEL_PENDING_HLT ? VESSEL_RUN_PENDING : 0);
	if (r == -EIO)
		vessel_vm_mark_dead(vcpu->vm, "VMX instruction failed");
	if (r == 0 && vcpu->run_exit_reason < VESSEL_NR_USER_EXITS)
		vcpu->counters.user_exits[vcpu->run_exit_reason]++;
	if (r == -EINTR)
		vcpu->counters.user_exits[VESSEL_EXIT_INTR]++;
	vessel_stage(vcpu, VESSEL_STAGE_RUN_LEAVE);
	return r;
}

/**
 * vessel_vcpu_wake() - have the vCPU's thread look at its requests
 * @vcpu:	the vCPU
 *
 * After vessel_make_request(), from any context: wakes the thread asleep
 * in HLT, or sends an IPI to the CPU running the guest, whose exit brings
 * the thread back to the check before the next entry.  A thread doing
 * neither sees the request before it enters.
 */
void vessel_vcpu_wake(struct vessel_vcpu *vcpu)
{
	int cpu;

	if (vcpu->lapic && vessel_vcpu_wake_halted(vcpu))
		return;
	cpu = READ_ONCE(vcpu->in_guest_cpu);
	if (cpu >= 0 && cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
}

static long vessel_vcpu_kick(struct vessel_vcpu *vcpu)
{
	vessel_make_request(vcpu, VESSEL_REQ_KICK);
	vessel_vcpu_wake(vcpu);
	return 0;
}

static long vessel_vcpu_get_counters(struct vessel_vcpu *vcpu,
				     struct vessel_counters __user *uarg)
{
	u32 flags;

	if (get_user(flags, &uarg->flags))
		return -EFAULT;
	if (flags)
		return -EINVAL;
	if (copy_to_user(uarg, &vcpu->counters, sizeof(vcpu->counters)))
		return -EFAULT;
	return 0;
}

static long vessel_vcpu_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct vessel_vcpu *vcpu = file->private_data;
	void __user *argp = (void __user *)arg;
	unsigned int mark;
	long r;

	if (READ_ONCE(vcpu->vm->dead))
		return -EIO;
	/* KICK must work while RUN holds the lock. */
	if (cmd == VESSEL_KICK)
		return arg ? -EINVAL : vessel_vcpu_kick(vcpu);

	if (cmd == VESSEL_RUN) {
		if (arg)
			return -EINVAL;
		/*
		 * Two threads running one vCPU is a VMM bug: the second RUN
		 * fails, even while the first still waits for the lock.  The
		 * other vCPU ioctls are short; RUN waits for them as they
		 * wait for RUN (KVM's vcpu->mutex), rather than failing at
		 * random when a thread reads counters or state.
		 */
		if (test_and_set_bit_lock(0, &vcpu->in_run))
			return -EBUSY;
		if (mutex_lock_killable(&vcpu->run_lock)) {
			clear_bit_unlock(0, &vcpu->in_run);
			return -EINTR;
		}
		/* Guest memory is the creator's: only its threads may run. */
		r = current->mm == vcpu->vm->mm ? vessel_vcpu_run(vcpu) : -EIO;
		mutex_unlock(&vcpu->run_lock);
		clear_bit_unlock(0, &vcpu->in_run);
		return r;
	}

	if (mutex_lock_killable(&vcpu->run_lock))
		return -EINTR;
	mark = atomic_read(&vessel_vmx_failures);
	switch (cmd) {
	case VESSEL_GET_STATE:
		r = vessel_vcpu_get_state(vcpu, argp);
		break;
	case VESSEL_SET_STATE:
		r = vessel_vcpu_set_state(vcpu, argp);
		break;
	case VESSEL_INJECT:
		r = vessel_vcpu_inject_ioctl(vcpu, argp);
		break;
	case VESSEL_GET_COUNTERS:
		r = vessel_vcpu_get_counters(vcpu, argp);
		break;
	case VESSEL_GET_LAPIC:
		r = vessel_vcpu_get_lapic(vcpu, argp);
		break;
	case VESSEL_SET_LAPIC:
		r = vessel_vcpu_set_lapic(vcpu, argp);
		break;
	case VESSEL_GET_MP_STATE:
		r = vessel_vcpu_get_mp_state(vcpu, argp);
		break;
	case VESSEL_SET_MP_STATE:
		r = vessel_vcpu_set_mp_state(vcpu, argp);
		break;
	default:
		r = vessel_pv_vcpu_ioctl(vcpu, cmd, argp);
		break;
	}
	/* A VMX instruction failed under a state ioctl, as in RUN. */
	if (vcpu_vmx_failed(vcpu, mark)) {
		vessel_vm_mark_dead(vcpu->vm, "VMX instruction failed");
		r = -EIO;
	}
	mutex_unlock(&vcpu->run_lock);
	return r;
}

static vm_fault_t vessel_vcpu_fault(struct vm_fault *vmf)
{
	struct vessel_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	vmf->page = virt_to_page(vcpu->run);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct vessel_vcpu_vm_ops = {
	.fault = vessel_vcpu_fault,
};

static int vessel_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	vma->vm_ops = &vessel_vcpu_vm_ops;
	return 0;
}

/* The pages of a vCPU and the vCPU itself; free_page(0) does nothing. */
static void vcpu_free_pages(struct vessel_vcpu *vcpu)
{
	free_page((unsigned long)vcpu->pml);
	free_page((unsigned long)vcpu->msr_bitmap);
	free_page((unsigned long)vcpu->vmcs);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu);
}

static void vcpu_free(struct vessel_vcpu *vcpu)
{
	vessel_stages_fold(vcpu);
	vessel_vmcs_clear(vcpu);
	vessel_pv_vcpu_free(vcpu);
	vessel_lapic_free(vcpu);
	put_pid(rcu_dereference_protected(vcpu->pid, 1));
	fpu_free_guest_fpstate(&vcpu->fpu);
	if (vcpu->vpid)
		ida_free(&vpid_ida, vcpu->vpid);
	vcpu_free_pages(vcpu);
}

static int vessel_vcpu_release(struct inode *inode, struct file *file)
{
	struct vessel_vcpu *vcpu = file->private_data;
	struct vessel_vm *vm = vcpu->vm;
	struct file *vm_file = vm->file;

	spin_lock(&vm->counters_lock);
	vessel_counters_add(&vm->counters, &vcpu->counters);
	spin_unlock(&vm->counters_lock);
	mutex_lock(&vm->lock);
	vm->vcpus[vcpu->id] = NULL;
	vm->nr_vcpus--;
	mutex_unlock(&vm->lock);
	vcpu_free(vcpu);
	/* The vCPU held the VM alive; the VM may go now. */
	fput(vm_file);
	return 0;
}

static const struct file_operations vessel_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= vessel_vcpu_release,
	.unlocked_ioctl	= vessel_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vessel_vcpu_mmap,
	.llseek		= noop_llseek,
};

static void *vcpu_zalloc_page(void)
{
	return (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
}

static struct vessel_vcpu *vcpu_alloc(struct vessel_vm *vm, u32 id)
{
	struct vessel_vcpu *vcpu;
	int vpid;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	vcpu->host_cpu = -1;
	vcpu->in_guest_cpu = -1;
	INIT_LIST_HEAD(&vcpu->loaded_link);
	mutex_init(&vcpu->run_lock);
	vcpu->run = vcpu_zalloc_page();
	vcpu->vmcs = vessel_vmcs_alloc();
	vcpu->msr_bitmap = vcpu_zalloc_page();
	if (!vcpu->run || !vcpu->vmcs || !vcpu->msr_bitmap ||
	    !fpu_alloc_guest_fpstate(&vcpu->fpu))
		goto err_free;
	if (vm->mem.pml) {
		vcpu->pml = vcpu_zalloc_page();
		if (!vcpu->pml)
			goto err_free;
	}
	if (vm->lapic && vessel_lapic_create(vcpu))
		goto err_free;
	vessel_vcpu_halt_init(vcpu);
	if (vessel_vmx.flags & VESSEL_CAP_VPID) {
		vpid = ida_alloc_range(&vpid_ida, 1, VESSEL_MAX_VPID, GFP_KERNEL);
		/* Out of VPIDs: run untagged, flushing on every entry. */
		vcpu->vpid = vpid > 0 ? vpid : 0;
	}
	vessel_pv_vcpu_init(vcpu);
	vessel_stages_init(vcpu);
	return vcpu;

err_free:
	vcpu_free_pages(vcpu);
	return NULL;
}

/* First VMCS load: controls, host state and the architectural reset state. */
static int vcpu_init_vmcs(struct vessel_vcpu *vcpu)
{
	unsigned int mark = atomic_read(&vessel_vmx_failures);
	int r;

	r = vessel_vcpu_load(vcpu);
	if (!r) {
		vessel_msr_setup(vcpu);
		vessel_vmcs_setup(vcpu);
		vessel_state_reset(vcpu);
		if (vcpu_vmx_failed(vcpu, mark))
			r = -EIO;
	}
	vessel_vcpu_put(vcpu);
	return r;
}

/**
 * vessel_vcpu_create() - VESSEL_CREATE_VCPU: a new vCPU and its fd
 * @vm:		the VM
 * @id:		the vCPU id, which is also its initial APIC ID
 *
 * Return: the fd, or -EINVAL (id out of range), -EBUSY (id in use),
 * -ENOMEM, -EIO (VMX failed; the VM is dead).
 */
int vessel_vcpu_create(struct vessel_vm *vm, u32 id)
{
	struct vessel_vcpu *vcpu;
	int fd, r;

	if (id >= VESSEL_MAX_VCPUS)
		return -EINVAL;
	vcpu = vcpu_alloc(vm, id);
	if (!vcpu)
		return -ENOMEM;
	r = vcpu_init_vmcs(vcpu);
	if (r) {
		vessel_vm_mark_dead(vm, "VMCS setup failed");
		goto err_free;
	}

	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		r = -EBUSY;
		goto err_unlock;
	}
	/* The vCPU keeps the VM (and so guest memory and EPT) alive. */
	get_file(vm->file);
	fd = anon_inode_getfd("vessel-vcpu", &vessel_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fput(vm->file);
		r = fd;
		goto err_unlock;
	}
	vm->vcpus[id] = vcpu;
	vm->nr_vcpus++;
	mutex_unlock(&vm->lock);
	return fd;

err_unlock:
	mutex_unlock(&vm->lock);
err_free:
	vcpu_free(vcpu);
	return r;
}
