// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: guest MSRs the host needs only in userspace, switched on the
 * way back there (user-return notifiers, as KVM's kvm_set_user_return_msr).
 *
 * STAR, LSTAR, CSTAR and SFMASK matter to the host only for a SYSCALL from
 * its userspace, TSC_AUX only for its userspace's RDTSCP and RDPID (the
 * kernel reads the CPU number elsewhere; its paranoid entry does not use
 * RDPID, for exactly this reason).  So the guest's values are written
 * into a CPU once, before the first entry that needs them, and stay there
 * across any number of exits; the host's come back when a task next
 * returns to userspace on that CPU, whichever task it is (the notifier's
 * thread flag moves with context switches).  A VM exit switches none of
 * them: no VMCS MSR-load or -store area is used.
 *
 * Per CPU: the host's values, read when the notifier is registered (the
 * CPU holds them then), and what the CPU holds now, so that a write that
 * changes nothing is skipped.  A vCPU knows whether this CPU holds its
 * values (uret_loaded), which a schedule-out forgets: another task may
 * return to userspace here, or the thread may move to another CPU.
 */
#include <linux/percpu.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>

#include "vmx/vmx.h"

const u32 vessel_uret_msrs[VESSEL_NR_URET_MSRS] = {
	[VESSEL_URET_STAR]	= MSR_STAR,
	[VESSEL_URET_LSTAR]	= MSR_LSTAR,
	[VESSEL_URET_CSTAR]	= MSR_CSTAR,
	[VESSEL_URET_SFMASK]	= MSR_SYSCALL_MASK,
	[VESSEL_URET_TSC_AUX]	= MSR_TSC_AUX,
};

struct uret_cpu {
	struct user_return_notifier urn;
	bool registered;
	bool host_read;		/* @host holds the CPU's own values */
	u64 host[VESSEL_NR_URET_MSRS];
	u64 curr[VESSEL_NR_URET_MSRS];
};

static DEFINE_PER_CPU(struct uret_cpu, uret_cpu);

/* Back to the host's values; the notifier goes.  IRQs off. */
static void uret_restore(struct uret_cpu *u)
{
	unsigned int i;

	if (!u->registered)
		return;
	u->registered = false;
	user_return_notifier_unregister(&u->urn);
	for (i = 0; i < VESSEL_NR_URET_MSRS; i++) {
		if (u->curr[i] != u->host[i]) {
			wrmsrl(vessel_uret_msrs[i], u->host[i]);
			u->curr[i] = u->host[i];
		}
	}
}

static void uret_on_user_return(struct user_return_notifier *urn)
{
	struct uret_cpu *u = container_of(urn, struct uret_cpu, urn);
	unsigned long flags;

	/* Against vessel_uret_drop() from an IPI. */
	local_irq_save(flags);
	uret_restore(u);
	local_irq_restore(flags);
}

static struct uret_cpu *uret_this_cpu(void)
{
	struct uret_cpu *u = this_cpu_ptr(&uret_cpu);
	unsigned int i;

	if (likely(u->registered))
		return u;
	/*
	 * Not registered: the CPU holds the host's values, which the host
	 * sets once at boot; read them the first time only.
	 */
	if (!u->host_read) {
		for (i = 0; i < VESSEL_NR_URET_MSRS; i++) {
			rdmsrl(vessel_uret_msrs[i], u->host[i]);
			u->curr[i] = u->host[i];
		}
		u->host_read = true;
	}
	u->urn.on_user_return = uret_on_user_return;
	user_return_notifier_register(&u->urn);
	u->registered = true;
	return u;
}

static void uret_write(struct uret_cpu *u, unsigned int i, u64 val)
{
	if (u->curr[i] == val)
		return;
	wrmsrl(vessel_uret_msrs[i], val);
	u->curr[i] = val;
}

/**
 * vessel_uret_load() - this CPU holds the vCPU's values from now on
 * @vcpu:	the vCPU about to enter
 *
 * Preemption off, before an entry with uret_loaded clear.  Writes only
 * the MSRs whose value differs from what the CPU holds, and registers
 * the notifier only when it writes one.  The SYSCALL MSRs only when the
 * guest's EFER.SCE lets it execute SYSCALL and SYSRET at all (a WRMSR of
 * EFER clears uret_loaded): a guest without it, as every 32-bit one
 * that never sets it, costs nothing on the way to userspace but for a
 * TSC_AUX that differs from the host's.
 */
void vessel_uret_load(struct vessel_vcpu *vcpu)
{
	struct uret_cpu *u = this_cpu_ptr(&uret_cpu);
	unsigned int i = VESSEL_URET_TSC_AUX;

	BUILD_BUG_ON(VESSEL_NR_URET_MSRS - 1 != VESSEL_URET_TSC_AUX);
	if (vessel_vmx_guest_efer(vcpu) & EFER_SCE)
		i = 0;
	/* @curr is the host's value while not registered. */
	for (; i < VESSEL_NR_URET_MSRS; i++)
		if (!u->host_read || u->curr[i] != vcpu->uret[i])
			uret_write(uret_this_cpu(), i, vcpu->uret[i]);
	vcpu->uret_loaded = true;
}

/* Whether WRMSR of @val would #GP (SDM 2.2 and the MSR's own layout). */
bool vessel_uret_valid(unsigned int i, u64 val)
{
	switch (i) {
	case VESSEL_URET_LSTAR:
	case VESSEL_URET_CSTAR:
		return __is_canonical_address(val, boot_cpu_data.x86_virt_bits);
	case VESSEL_URET_SFMASK:
	case VESSEL_URET_TSC_AUX:
		return !(val >> 32);
	default:
		return true;
	}
}

/**
 * vessel_uret_set() - the guest's (or userspace's) new value of MSR @i
 * @vcpu:	the vCPU whose MSR it is
 * @i:		VESSEL_URET_*
 * @val:	the value
 *
 * @val passed vessel_uret_valid().  Written through at once when this
 * CPU holds the vCPU's values, else at the next vessel_uret_load().
 */
void vessel_uret_set(struct vessel_vcpu *vcpu, unsigned int i, u64 val)
{
	vcpu->uret[i] = val;
	preempt_disable();
	if (vcpu->uret_loaded)
		uret_write(uret_this_cpu(), i, val);
	preempt_enable();
}

/*
 * This CPU leaves VMX operation (the last VM is gone, it goes offline, or
 * the machine reboots): the host's values back, the notifier off, so that
 * nothing of the module stays registered.  IRQs or preemption off.
 */
void vessel_uret_drop(void)
{
	unsigned long flags;

	local_irq_save(flags);
	uret_restore(this_cpu_ptr(&uret_cpu));
	local_irq_restore(flags);
}
