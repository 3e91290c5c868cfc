// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the paravirtual interface core.  A VM has one provider (None,
 * Minimal, Hyper-V or KVM), chosen with an interface version when the VM
 * is created and fixed for its life, as in VirtualBox's Guest Interface
 * Manager.  The core routes the provider's CPUID leaves, MSRs and
 * hypercalls, keeps its counters, offers its state to userspace (so
 * save/restore carries it) and owns the paravirtual clock the Hyper-V and
 * KVM providers build on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/tsc.h>

#include "irq/lapic.h"
#include "pv/hyperv.h"
#include "vcpu.h"

/* None: only the core's hypervisor-present bit (CPUID.1:ECX[31]). */
static const struct vessel_pv_ops vessel_pv_none_ops = {
	.provider	= VESSEL_PV_NONE,
	.newest		= 1,
};

static const struct vessel_pv_ops *const pv_providers[] = {
	[VESSEL_PV_NONE]	= &vessel_pv_none_ops,
	[VESSEL_PV_MINIMAL]	= &vessel_pv_minimal_ops,
	[VESSEL_PV_HYPERV]	= &vessel_pv_hyperv_ops,
	[VESSEL_PV_KVM]		= &vessel_pv_kvm_ops,
};

static const struct vessel_pv_ops *pv_find(u32 provider)
{
	if (provider >= ARRAY_SIZE(pv_providers))
		return NULL;
	return pv_providers[array_index_nospec(provider,
					       ARRAY_SIZE(pv_providers))];
}

/* VESSEL_CAP_PV_* of the providers built in. */
u64 vessel_pv_caps(void)
{
	u64 caps = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pv_providers); i++)
		if (pv_providers[i])
			caps |= pv_providers[i]->cap;
	return caps;
}

/**
 * vessel_pv_vm_create() - give a new VM its provider
 * @vm:		the new VM
 * @provider:	VESSEL_PV_*, from userspace
 * @version:	the provider's interface version, from userspace
 *
 * Before the CPUID table is built (the provider adds its leaves to it).
 * Return: 0, or -EINVAL for an unknown provider or version.
 */
int vessel_pv_vm_create(struct vessel_vm *vm, u32 provider, u32 version)
{
	const struct vessel_pv_ops *ops = pv_find(provider);
	int r;

	if (!ops || version > ops->newest)
		return -EINVAL;
	vm->pv.ops = ops;
	vm->pv.version = version ? version : ops->newest;
	mutex_init(&vm->pv.lock);
	seqcount_mutex_init(&vm->pv.clock.sc, &vm->pv.lock);
	if (ops->vm_init) {
		/* No one else sees the VM yet; the clock's writers hold it. */
		mutex_lock(&vm->pv.lock);
		r = ops->vm_init(vm);
		mutex_unlock(&vm->pv.lock);
		if (r)
			return r;
	}
	if (ops->vm_reset)
		ops->vm_reset(vm);
	return 0;
}

unsigned int vessel_pv_cpuid(struct vessel_vm *vm,
			     struct vessel_cpuid_entry *e, unsigned int room)
{
	if (!vm->pv.ops->cpuid)
		return 0;
	return vm->pv.ops->cpuid(vm, e, room);
}

/**
 * vessel_pv_msr_read_fast() - an RDMSR the provider answers at once
 * @vcpu:	the vCPU, in the exit fast path (IRQs off)
 * @index:	the MSR, in the range reserved for hypervisors
 * @val:	where the value read goes
 *
 * Return: 0 done (counted as vessel_pv_msr() counts it), -EAGAIN for
 * vessel_pv_msr() to do it, nothing changed.
 */
int vessel_pv_msr_read_fast(struct vessel_vcpu *vcpu, u32 index, u64 *val)
{
	struct vessel_pv_vm *pv = &vcpu->vm->pv;

	if (!pv->ops->msr_read_fast || pv->ops->msr_read_fast(vcpu, index, val))
		return -EAGAIN;
	atomic64_inc(&pv->stats.msr_reads);
	return 0;
}

/**
 * vessel_pv_msr() - an RDMSR or WRMSR the provider may own
 * @vcpu:	the vCPU
 * @index:	the MSR
 * @write:	WRMSR rather than RDMSR
 * @val:	the value written, or where the value read goes
 *
 * Return: -ENOENT when the MSR is not the provider's; otherwise 0, -EINVAL
 * (#GP) or VESSEL_PV_USER (completed, exit to userspace).
 */
int vessel_pv_msr(struct vessel_vcpu *vcpu, u32 index, bool write, u64 *val)
{
	struct vessel_pv_vm *pv = &vcpu->vm->pv;
	int r;

	if (!pv->ops->msr)
		return -ENOENT;
	r = pv->ops->msr(vcpu, index, write, val);
	if (r == -ENOENT)
		return r;
	atomic64_inc(write ? &pv->stats.msr_writes : &pv->stats.msr_reads);
	if (r < 0) {
		atomic64_inc(&pv->stats.msr_faults);
		return -EINVAL;
	}
	return r;
}

/*
 * VMCALL: #UD, as on hardware without VMX operation, unless the provider
 * claims it (KVM always, Hyper-V once its hypercall page is enabled).
 */
int vessel_exit_vmcall(struct vessel_vcpu *vcpu)
{
	const struct vessel_pv_ops *ops = vcpu->vm->pv.ops;
	int r = -ENOENT;

	if (ops->hypercall)
		r = ops->hypercall(vcpu, false);
	if (r == -ENOENT) {
		vessel_queue_ud(vcpu);
		return 1;
	}
	return r;
}

/* VMCALL in the fast path: a call the provider answers at once, or none. */
int vessel_vmcall_fast(struct vessel_vcpu *vcpu)
{
	const struct vessel_pv_ops *ops = vcpu->vm->pv.ops;

	if (!ops->hypercall || ops->hypercall(vcpu, true) <= 0)
		return VESSEL_FAST_NONE;
	return VESSEL_FAST_REENTER;
}

/* The next RUN after a VESSEL_EXIT_PV_* that left work to finish. */
void vessel_pv_complete_user(struct vessel_vcpu *vcpu)
{
	if (vcpu->vm->pv.ops->complete_user)
		vcpu->vm->pv.ops->complete_user(vcpu);
}

/* Fill the run page for a VESSEL_EXIT_PV_* exit. */
int vessel_pv_exit_user(struct vessel_vcpu *vcpu, u32 reason,
			unsigned int ndata, const u64 *data)
{
	struct vessel_run *run = vcpu->run;
	unsigned int i;

	ndata = min_t(unsigned int, ndata, ARRAY_SIZE(run->paravirt.data));
	vessel_run_exit(vcpu, reason);
	run->paravirt.provider = vcpu->vm->pv.ops->provider;
	run->paravirt.ndata = ndata;
	run->paravirt.ret = 0;
	for (i = 0; i < ARRAY_SIZE(run->paravirt.data); i++)
		run->paravirt.data[i] = i < ndata ? data[i] : 0;
	atomic64_inc(&vcpu->vm->pv.stats.user_exits);
	return VESSEL_PV_USER;
}

void vessel_pv_count_hc(struct vessel_vm *vm, u64 code)
{
	unsigned int i;

	if (code < VESSEL_PV_HC_EXTENDED)
		i = code;
	else if (code >= 0x8000 && code <= 0x81ff)
		i = VESSEL_PV_HC_EXTENDED;
	else
		i = VESSEL_PV_HC_OTHER;
	atomic64_inc(&vm->pv.stats.hypercalls[i]);
}

/* ---------------------------------------------------------- the clock */

u64 vessel_pv_guest_tsc(struct vessel_vm *vm)
{
	return rdtsc() + READ_ONCE(vm->tsc_offset);
}

/*
 * The guest sees the host's TSC plus an offset; that is a usable clock
 * across vCPUs only if the host TSC is invariant and synchronised.
 */
bool vessel_pv_tsc_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	       boot_cpu_has(X86_FEATURE_NONSTOP_TSC) && !check_tsc_unstable();
}

/* Vessel does not scale the TSC: the guest's runs at the host's rate. */
u32 vessel_pv_tsc_khz(void)
{
	return tsc_khz;
}

static void pv_clock_bump(struct vessel_pv_clock *c)
{
	c->seq++;
	if (!c->seq)
		c->seq = 1;
}

/**
 * vessel_pv_clock_sync() - follow a change of the guest TSC offset
 * @vm:		the VM
 * @eval:	the clock's value at a guest TSC, under the current base
 *
 * With pv.lock held.  When the guest (WRMSR IA32_TSC) or userspace moved
 * the TSC, the clock is re-based so that it goes on from the value it had
 * under the old offset: time does not jump with the TSC.
 */
void vessel_pv_clock_sync(struct vessel_vm *vm,
			  u64 (*eval)(struct vessel_vm *vm, u64 tsc))
{
	struct vessel_pv_clock *c = &vm->pv.clock;
	s64 off = READ_ONCE(vm->tsc_offset);
	u64 host, val;

	if (c->tsc_offset == off && c->seq)
		return;
	host = rdtsc();
	val = eval(vm, host + c->tsc_offset);
	write_seqcount_begin(&c->sc);
	c->base_tsc = host + off;
	c->base_val = val;
	c->tsc_offset = off;
	pv_clock_bump(c);
	write_seqcount_end(&c->sc);
}

/* With pv.lock held: the clock reads @val at guest TSC @tsc from now on. */
void vessel_pv_clock_set(struct vessel_vm *vm, u64 tsc, u64 val)
{
	struct vessel_pv_clock *c = &vm->pv.clock;

	write_seqcount_begin(&c->sc);
	c->base_tsc = tsc;
	c->base_val = val;
	c->tsc_offset = READ_ONCE(vm->tsc_offset);
	pv_clock_bump(c);
	write_seqcount_end(&c->sc);
}

/**
 * vessel_pv_clock_peek() - the clock's base without pv.lock
 * @vm:		the VM
 * @base_tsc:	where its base_tsc goes
 * @base_val:	where its base_val goes
 *
 * For the exit fast path (IRQs off, no sleeping lock): one consistent
 * read, no waiting for a writer.
 *
 * Return: true with both filled; false while a writer is at work, or when
 * the clock must first be re-based for a new guest TSC offset
 * (vessel_pv_clock_sync(), under pv.lock).
 */
bool vessel_pv_clock_peek(struct vessel_vm *vm, u64 *base_tsc, u64 *base_val)
{
	const struct vessel_pv_clock *c = &vm->pv.clock;
	unsigned int seq = raw_read_seqcount(&c->sc);
	bool based;

	if (seq & 1)
		return false;
	*base_tsc = c->base_tsc;
	*base_val = c->base_val;
	based = c->seq && c->tsc_offset == READ_ONCE(vm->tsc_offset);
	return based && !read_seqcount_retry(&c->sc, seq);
}

/* Whether the bytes of @st->data after the provider's struct are zero. */
bool vessel_pv_state_tail_zero(const struct vessel_pv_state *st, size_t used)
{
	return !memchr_inv((const u8 *)st->data + used, 0,
			   sizeof(st->data) - used);
}

/* --------------------------------------------- acting on other vCPUs */

/*
 * Flush the TLBs (linear and combined mappings) of the vCPUs in @mask
 * before they next run guest code, and wait for those running it now to
 * leave it.  The run loop clears flush_on_entry before its INVVPID; with
 * the barriers paired, a vCPU either sees our request before it enters or
 * is seen in the guest here and kicked out (vessel_vcpu_kick's protocol).
 */
void vessel_pv_flush_tlb(struct vessel_vcpu *vcpu, u64 mask)
{
	struct vessel_vm *vm = vcpu->vm;
	unsigned int i;

	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++) {
		struct vessel_vcpu *t = vm->vcpus[i];
		u64 entries;
		int cpu, n;

		if (!(mask & BIT_ULL(i)) || !t)
			continue;
		WRITE_ONCE(t->flush_on_entry, true);
		if (t == vcpu)
			continue;
		/* Pairs with the smp_mb() before vcpu_run_once()'s check. */
		smp_mb();
		cpu = READ_ONCE(t->in_guest_cpu);
		/* Not in the guest, or (stale) on our own CPU: not running. */
		if (cpu < 0 || cpu == raw_smp_processor_id())
			continue;
		entries = READ_ONCE(t->counters.entries);
		smp_send_reschedule(cpu);
		/* The IPI makes it exit at once; bounded, never a hang. */
		for (n = 0; n < 1000000; n++) {
			if (READ_ONCE(t->in_guest_cpu) != cpu ||
			    READ_ONCE(t->counters.entries) != entries)
				break;
			cpu_relax();
		}
	}
	mutex_unlock(&vm->lock);
}

/* ------------------------------------------------------ vCPU life */

void vessel_pv_vcpu_init(struct vessel_vcpu *vcpu)
{
	if (vcpu->vm->pv.ops->vcpu_init)
		vcpu->vm->pv.ops->vcpu_init(vcpu);
	if (vcpu->vm->pv.ops->vcpu_reset)
		vcpu->vm->pv.ops->vcpu_reset(vcpu);
}

/*
 * Before an entry, when VESSEL_REQ_PV_RESYNC asked (the run loop consumed
 * it, so a preemption during the hook asks again): let the provider
 * refresh what the guest reads in memory.  Asked for when RUN begins,
 * when the thread is scheduled in (it may have waited - steal time - or
 * moved to another CPU), when the guest TSC or the provider's clock
 * changed (vessel_pv_resync_all()), and by the provider itself.  Between
 * those nothing the hooks look at changes, so entries skip them.
 */
void vessel_pv_vcpu_enter(struct vessel_vcpu *vcpu)
{
	const struct vessel_pv_ops *ops = vcpu->vm->pv.ops;

	if (ops->vcpu_enter)
		ops->vcpu_enter(vcpu);
}

/* Have @vcpu run the provider's entry hook before its next entry. */
void vessel_pv_request_resync(struct vessel_vcpu *vcpu)
{
	if (vcpu->vm->pv.ops->vcpu_enter)
		vessel_make_request(vcpu, VESSEL_REQ_PV_RESYNC);
}

/*
 * The guest TSC or the provider's clock changed: every vCPU rewrites its
 * copies (pvclock, TSC page) before its next entry.  A vCPU in the guest
 * finds the request at that entry, as it found the change before.
 */
void vessel_pv_resync_all(struct vessel_vm *vm)
{
	unsigned int i;

	if (!vm->pv.ops->vcpu_enter)
		return;
	mutex_lock(&vm->lock);
	for (i = 0; i < VESSEL_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vessel_make_request(vm->vcpus[i], VESSEL_REQ_PV_RESYNC);
	mutex_unlock(&vm->lock);
}

void vessel_pv_vcpu_leave(struct vessel_vcpu *vcpu)
{
	if (vcpu->vm->pv.ops->vcpu_leave)
		vcpu->vm->pv.ops->vcpu_leave(vcpu);
}

/* Before the vCPU's APIC is freed: provider timers post to it. */
void vessel_pv_vcpu_free(struct vessel_vcpu *vcpu)
{
	if (vcpu->vm->pv.ops->vcpu_free)
		vcpu->vm->pv.ops->vcpu_free(vcpu);
}

/* The vCPU's thread, before an entry: what the provider posted. */
void vessel_pv_vcpu_event(struct vessel_vcpu *vcpu)
{
	if (vcpu->vm->pv.ops->vcpu_event)
		vcpu->vm->pv.ops->vcpu_event(vcpu);
}

/* ------------------------------------------------------------ ioctls */

static long pv_get_info(struct vessel_vm *vm, struct vessel_pv_info __user *u)
{
	struct vessel_pv_info info;

	if (copy_from_user(&info, u, sizeof(info)))
		return -EFAULT;
	if (info.flags || memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;
	info.provider = vm->pv.ops->provider;
	info.version = vm->pv.version;
	info.newest = vm->pv.ops->newest;
	return copy_to_user(u, &info, sizeof(info)) ? -EFAULT : 0;
}

static long pv_get_counters(struct vessel_vm *vm,
			    struct vessel_pv_counters __user *u)
{
	struct vessel_pv_stats *s = &vm->pv.stats;
	struct vessel_pv_counters *c;
	unsigned int i;
	long r = 0;
	u32 flags;

	if (get_user(flags, &u->flags))
		return -EFAULT;
	if (flags)
		return -EINVAL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->provider = vm->pv.ops->provider;
	for (i = 0; i < VESSEL_PV_NR_HC; i++)
		c->hypercalls[i] = atomic64_read(&s->hypercalls[i]);
	c->msr_reads = atomic64_read(&s->msr_reads);
	c->msr_writes = atomic64_read(&s->msr_writes);
	c->msr_faults = atomic64_read(&s->msr_faults);
	c->clock_updates = atomic64_read(&s->clock_updates);
	c->user_exits = atomic64_read(&s->user_exits);
	c->debug_bytes[0] = atomic64_read(&s->debug_bytes[0]);
	c->debug_bytes[1] = atomic64_read(&s->debug_bytes[1]);
	c->timer_expirations = atomic64_read(&s->timer_expirations);
	if (copy_to_user(u, c, sizeof(*c)))
		r = -EFAULT;
	kfree(c);
	return r;
}

/*
 * debugfs: PID-FD/paravirt beside the VM's counters, what
 * VESSEL_PV_GET_COUNTERS gives, as "name value" lines: the provider and
 * version (VESSEL_PV_*), the total of hypercalls and then each code that
 * was called, the other counters always.
 */
static int pv_counters_show(struct seq_file *m, void *unused)
{
	struct vessel_vm *vm = m->private;
	struct vessel_pv_stats *s = &vm->pv.stats;
	u64 n, total = 0;
	unsigned int i;

	for (i = 0; i < VESSEL_PV_NR_HC; i++)
		total += atomic64_read(&s->hypercalls[i]);
	seq_printf(m, "provider %u\nversion %u\nhypercalls %llu\n",
		   vm->pv.ops->provider, vm->pv.version, total);
	for (i = 0; i < VESSEL_PV_NR_HC; i++) {
		n = atomic64_read(&s->hypercalls[i]);
		if (n)
			seq_printf(m, "hypercall.%u %llu\n", i, n);
	}
	seq_printf(m, "pv_msr_reads %lld\npv_msr_writes %lld\npv_msr_faults %lld\n",
		   atomic64_read(&s->msr_reads), atomic64_read(&s->msr_writes),
		   atomic64_read(&s->msr_faults));
	seq_printf(m, "pv_clock_updates %lld\npv_user_exits %lld\n",
		   atomic64_read(&s->clock_updates),
		   atomic64_read(&s->user_exits));
	seq_printf(m, "pv_debug_bytes_out %lld\npv_debug_bytes_in %lld\n",
		   atomic64_read(&s->debug_bytes[0]),
		   atomic64_read(&s->debug_bytes[1]));
	seq_printf(m, "pv_timer_expirations %lld\n",
		   atomic64_read(&s->timer_expirations));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pv_counters);

void vessel_pv_debugfs_init(struct vessel_vm *vm, struct dentry *dir)
{
	debugfs_create_file("paravirt", 0444, dir, vm, &pv_counters_fops);
}

/*
 * The header of a state buffer: GET wants flags and reserved zero; SET
 * also the VM's provider and version, and RESET or a provider state.
 */
static int pv_state_check(struct vessel_vm *vm, const struct vessel_pv_state *st,
			  bool set)
{
	if (st->flags & ~(set ? VESSEL_PV_STATE_RESET : 0))
		return -EINVAL;
	if (st->pad0 || memchr_inv(st->reserved, 0, sizeof(st->reserved)))
		return -EINVAL;
	if (set && (st->provider != vm->pv.ops->provider ||
		    st->version != vm->pv.version))
		return -EINVAL;
	/* A reset takes no state; None has none. */
	if (set && (st->flags & VESSEL_PV_STATE_RESET ||
		    vm->pv.ops->provider == VESSEL_PV_NONE ||
		    vm->pv.ops->provider == VESSEL_PV_MINIMAL) &&
	    memchr_inv(st->data, 0, sizeof(st->data)))
		return -EINVAL;
	return 0;
}

static struct vessel_pv_state *pv_state_read(struct vessel_vm *vm,
					     const void __user *u, bool set)
{
	struct vessel_pv_state *st;
	int r;

	st = memdup_user(u, sizeof(*st));
	if (IS_ERR(st))
		return st;
	r = pv_state_check(vm, st, set);
	if (r) {
		kfree(st);
		return ERR_PTR(r);
	}
	return st;
}

static long pv_state_write(struct vessel_vm *vm, struct vessel_pv_state *st,
			   void __user *u)
{
	long r = 0;

	st->provider = vm->pv.ops->provider;
	st->version = vm->pv.version;
	if (copy_to_user(u, st, sizeof(*st)))
		r = -EFAULT;
	kfree(st);
	return r;
}

static long pv_vm_state(struct vessel_vm *vm, unsigned int cmd, void __user *u)
{
	const struct vessel_pv_ops *ops = vm->pv.ops;
	bool set = cmd == VESSEL_PV_SET_VM_STATE;
	struct vessel_pv_state *st = pv_state_read(vm, u, set);
	long r = 0;

	if (IS_ERR(st))
		return PTR_ERR(st);
	mutex_lock(&vm->pv.lock);
	if (!set) {
		memset(st->data, 0, sizeof(st->data));
		if (ops->vm_get_state)
			ops->vm_get_state(vm, st);
	} else if (st->flags & VESSEL_PV_STATE_RESET) {
		if (ops->vm_reset)
			ops->vm_reset(vm);
	} else if (ops->vm_set_state) {
		r = ops->vm_set_state(vm, st);
	}
	mutex_unlock(&vm->pv.lock);
	/* A new clock: the guests' copies are rewritten. */
	if (set && !r)
		vessel_pv_resync_all(vm);
	if (set || r) {
		kfree(st);
		return r;
	}
	return pv_state_write(vm, st, u);
}

long vessel_pv_vm_ioctl(struct vessel_vm *vm, unsigned int cmd,
			void __user *argp)
{
	switch (cmd) {
	case VESSEL_PV_GET_INFO:
		return pv_get_info(vm, argp);
	case VESSEL_PV_GET_VM_STATE:
	case VESSEL_PV_SET_VM_STATE:
		return pv_vm_state(vm, cmd, argp);
	case VESSEL_PV_GET_COUNTERS:
		return pv_get_counters(vm, argp);
	case VESSEL_PV_HV_SET_CONNECTION:
		return vessel_hv_set_connection(vm, argp);
	default:
		return -ENOTTY;
	}
}

/* With the vCPU's run_lock held (and its VMCS not needed). */
long vessel_pv_vcpu_ioctl(struct vessel_vcpu *vcpu, unsigned int cmd,
			  void __user *argp)
{
	struct vessel_vm *vm = vcpu->vm;
	const struct vessel_pv_ops *ops = vm->pv.ops;
	bool set = cmd == VESSEL_PV_SET_VCPU_STATE;
	struct vessel_pv_state *st;
	long r = 0;

	if (cmd == VESSEL_PV_HV_GET_MSG_QUEUE ||
	    cmd == VESSEL_PV_HV_SET_MSG_QUEUE)
		return vessel_hv_msg_queue_ioctl(vcpu, cmd, argp);
	if (cmd != VESSEL_PV_GET_VCPU_STATE && !set)
		return -ENOTTY;
	st = pv_state_read(vm, argp, set);
	if (IS_ERR(st))
		return PTR_ERR(st);
	if (!set) {
		memset(st->data, 0, sizeof(st->data));
		if (ops->vcpu_get_state)
			ops->vcpu_get_state(vcpu, st);
		return pv_state_write(vm, st, argp);
	}
	if (st->flags & VESSEL_PV_STATE_RESET) {
		if (ops->vcpu_reset)
			ops->vcpu_reset(vcpu);
	} else if (ops->vcpu_set_state) {
		r = ops->vcpu_set_state(vcpu, st);
	}
	kfree(st);
	return r;
}
