// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: events for the guest - exceptions, NMIs and interrupts - queued
 * by exit handlers or userspace and delivered on VM entry once the guest
 * can take them (SDM 26.6 "Event injection", 27.2.4 "IDT-vectoring").
 */
#include <linux/uaccess.h>
#include <asm/traps.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "irq/lapic.h"
#include "vcpu.h"

/* Exceptions that push an error code (SDM 6.15). */
#define EXC_WITH_ERROR	(BIT(X86_TRAP_DF) | BIT(X86_TRAP_TS) | BIT(X86_TRAP_NP) | \
			 BIT(X86_TRAP_SS) | BIT(X86_TRAP_GP) | BIT(X86_TRAP_PF) | \
			 BIT(X86_TRAP_AC) | BIT(X86_TRAP_CP))
/* Contributory exceptions, for the double-fault rules (SDM Table 6-5). */
#define EXC_CONTRIBUTORY (BIT(X86_TRAP_DE) | BIT(X86_TRAP_TS) | BIT(X86_TRAP_NP) | \
			  BIT(X86_TRAP_SS) | BIT(X86_TRAP_GP))

bool vessel_exc_has_error(unsigned int vector)
{
	return vector < 32 && (EXC_WITH_ERROR & BIT(vector));
}

static bool exc_is_contributory(u8 v)
{
	return v < 32 && (EXC_CONTRIBUTORY & BIT(v));
}

/*
 * Whether a new exception during delivery of @first becomes a double
 * fault: contributory on contributory, or a #PF followed by either.
 */
static bool exc_makes_double_fault(u8 first, u8 second)
{
	if (exc_is_contributory(first) && exc_is_contributory(second))
		return true;
	return first == X86_TRAP_PF &&
	       (second == X86_TRAP_PF || exc_is_contributory(second));
}

void vessel_queue_exception(struct vessel_vcpu *vcpu, u8 vector,
			    bool has_error, u32 error_code)
{
	struct vessel_vcpu_events *ev = &vcpu->ev;

	if (ev->exception_pending) {
		if (ev->exception_vector == X86_TRAP_DF) {
			/* A fault while delivering #DF: the CPU shuts down. */
			vcpu->shutdown = true;
			return;
		}
		if (exc_makes_double_fault(ev->exception_vector, vector)) {
			vector = X86_TRAP_DF;
			has_error = true;
			error_code = 0;
		}
	}
	ev->exception_pending = true;
	ev->exception_vector = vector;
	ev->exception_has_error = has_error;
	ev->exception_error_code = error_code;
	ev->exception_has_payload = false;
}

void vessel_queue_gp(struct vessel_vcpu *vcpu)
{
	vessel_queue_exception(vcpu, X86_TRAP_GP, true, 0);
}

void vessel_queue_ud(struct vessel_vcpu *vcpu)
{
	vessel_queue_exception(vcpu, X86_TRAP_UD, false, 0);
}

static bool guest_interruptible(u32 intr)
{
	return (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

static void inject(u32 info, u32 error_code, u32 insn_len)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
	if (info & INTR_INFO_DELIVER_CODE_MASK)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, insn_len);
}

/*
 * VM entry wants the deliver-error-code bit exactly when the event pushes
 * one: a hardware exception that has one, outside real mode (SDM
 * 26.2.1.3). An event may be delivered in another mode than the one it was
 * raised or interrupted in (the vCPU's state set between, by a restore or
 * a reset), so the bit follows the mode at delivery.
 */
static u32 with_deliver_code(u32 info)
{
	info &= ~INTR_INFO_DELIVER_CODE_MASK;
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION &&
	    vessel_exc_has_error(info & INTR_INFO_VECTOR_MASK) &&
	    (vmcs_readl(GUEST_CR0) & X86_CR0_PE))
		info |= INTR_INFO_DELIVER_CODE_MASK;
	return info;
}

static void inject_exception(struct vessel_vcpu *vcpu)
{
	struct vessel_vcpu_events *ev = &vcpu->ev;
	u32 info = with_deliver_code(ev->exception_vector |
				     INTR_TYPE_HARD_EXCEPTION |
				     INTR_INFO_VALID_MASK);

	/* The payload becomes architectural only when delivered. */
	if (ev->exception_has_payload) {
		if (ev->exception_vector == X86_TRAP_PF)
			vcpu->cr2 = ev->exception_payload;
		else if (ev->exception_vector == X86_TRAP_DB)
			vcpu->dr6 = (vcpu->dr6 & ~DR6_RESERVED) |
				    (u32)ev->exception_payload;
	}
	inject(info, ev->exception_error_code, 0);
	ev->exception_pending = false;
	vcpu->counters.injected[2]++;
}

/**
 * vessel_events_inject() - choose what to deliver on this VM entry
 * @vcpu:	the vCPU, its VMCS current
 *
 * In priority order: an event a VM exit interrupted, a pending exception,
 * an NMI, an external interrupt.  What cannot be delivered yet arms the
 * NMI- or interrupt-window exit.  Called with preemption off.
 *
 * Return: 1, or 0 with a SHUTDOWN exit when a triple fault happened.
 */
int vessel_events_inject(struct vessel_vcpu *vcpu)
{
	struct vessel_vcpu_events *ev = &vcpu->ev;
	bool busy = true;
	u32 intr;

	if (vcpu->shutdown) {
		vcpu->shutdown = false;
		vessel_run_exit(vcpu, VESSEL_EXIT_SHUTDOWN);
		return 0;
	}
	/* The common entry: nothing waits, and no window exit is armed. */
	if (!(ev->injected_info & INTR_INFO_VALID_MASK) && !ev->exception_pending &&
	    !ev->nmi_pending && !ev->irq_pending &&
	    !(vcpu->ctl_proc & (CPU_BASED_NMI_WINDOW_EXITING |
				CPU_BASED_INTR_WINDOW_EXITING)) &&
	    !vessel_lapic_has_irq(vcpu))
		return 1;
	intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	if (ev->injected_info & INTR_INFO_VALID_MASK) {
		inject(with_deliver_code(ev->injected_info &
					 ~INTR_INFO_UNBLOCK_NMI),
		       ev->injected_error_code, ev->injected_insn_len);
		ev->injected_info = 0;
		vcpu->counters.injected[3]++;
	} else if (ev->exception_pending) {
		inject_exception(vcpu);
	} else if (ev->nmi_pending &&
		   !(intr & (GUEST_INTR_STATE_NMI | GUEST_INTR_STATE_STI |
			     GUEST_INTR_STATE_MOV_SS))) {
		inject(X86_TRAP_NMI | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK, 0, 0);
		ev->nmi_pending = false;
		vcpu->counters.injected[1]++;
	} else if (!ev->nmi_pending && guest_interruptible(intr) &&
		   (ev->irq_pending || vessel_lapic_ack(vcpu))) {
		/* userspace's vector first, else the APIC's best (IRR -> ISR) */
		inject(ev->irq_vector | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK,
		       0, 0);
		ev->irq_pending = false;
		vcpu->counters.injected[0]++;
	} else {
		busy = false;
	}
	/* An injected event wakes a halted guest (SDM 26.6.2). */
	if (busy)
		vmcs_write32(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);

	/* Exit as soon as what waits can be delivered. */
	if (ev->nmi_pending)
		vessel_exec_controls_set(vcpu, CPU_BASED_NMI_WINDOW_EXITING);
	else
		vessel_exec_controls_clear(vcpu, CPU_BASED_NMI_WINDOW_EXITING);
	if (ev->irq_pending || vessel_lapic_has_irq(vcpu))
		vessel_exec_controls_set(vcpu, CPU_BASED_INTR_WINDOW_EXITING);
	else
		vessel_exec_controls_clear(vcpu, CPU_BASED_INTR_WINDOW_EXITING);
	return 1;
}

/*
 * After an exit: an event whose delivery the exit interrupted must be
 * delivered again (SDM 27.2.4), and what we injected did not happen.
 */
void vessel_events_save_vectoring(struct vessel_vcpu *vcpu)
{
	struct vessel_vcpu_events *ev = &vcpu->ev;
	u32 info = vmcs_read32(IDT_VECTORING_INFO_FIELD);

	/* The exit itself cleared the valid bit of what we injected. */
	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	ev->injected_info = info;
	ev->injected_error_code = (info & VECTORING_INFO_DELIVER_CODE_MASK) ?
				  vmcs_read32(IDT_VECTORING_ERROR_CODE) : 0;
	ev->injected_insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
}

/*
 * Entry was abandoned after vessel_events_inject(): keep what it chose to
 * inject (an APIC vector may already be in ISR) as the event to deliver
 * first next time, so it is neither lost nor invisible to GET_STATE.
 */
void vessel_events_cancel(struct vessel_vcpu *vcpu)
{
	struct vessel_vcpu_events *ev = &vcpu->ev;
	u32 info = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);

	if (!(info & INTR_INFO_VALID_MASK))
		return;
	ev->injected_info = info;
	ev->injected_error_code = vmcs_read32(VM_ENTRY_EXCEPTION_ERROR_CODE);
	ev->injected_insn_len = vmcs_read32(VM_ENTRY_INSTRUCTION_LEN);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
}

int vessel_exit_irq_window(struct vessel_vcpu *vcpu)
{
	return 1;
}

int vessel_exit_nmi_window(struct vessel_vcpu *vcpu)
{
	return 1;
}

static int event_check(const struct vessel_event *e)
{
	bool has_error = e->flags & VESSEL_EVENT_HAS_ERROR_CODE;

	if (e->flags & ~(VESSEL_EVENT_HAS_ERROR_CODE | VESSEL_EVENT_HAS_PAYLOAD) ||
	    memchr_inv(e->reserved, 0, sizeof(e->reserved)))
		return -EINVAL;
	switch (e->type) {
	case VESSEL_EVENT_IRQ:
		return e->vector < 16 || e->vector > 255 || e->flags ? -EINVAL : 0;
	case VESSEL_EVENT_NMI:
		return e->vector || e->flags ? -EINVAL : 0;
	case VESSEL_EVENT_EXCEPTION:
		if (e->vector > 31 || e->vector == X86_TRAP_NMI)
			return -EINVAL;
		if (has_error != vessel_exc_has_error(e->vector))
			return -EINVAL;
		if ((e->flags & VESSEL_EVENT_HAS_PAYLOAD) &&
		    e->vector != X86_TRAP_PF && e->vector != X86_TRAP_DB)
			return -EINVAL;
		/* DR6 bits, loaded into DR6: bits 63:32 would #GP the host. */
		if ((e->flags & VESSEL_EVENT_HAS_PAYLOAD) &&
		    e->vector == X86_TRAP_DB && (e->payload >> 32))
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

/**
 * vessel_vcpu_inject_ioctl() - VESSEL_INJECT
 * @vcpu:	the vCPU
 * @uarg:	the event, in userspace
 *
 * Return: 0; -EINVAL for a malformed event; -EBUSY when an event of the
 * same kind is already waiting.
 */
long vessel_vcpu_inject_ioctl(struct vessel_vcpu *vcpu,
			      const struct vessel_event __user *uarg)
{
	struct vessel_vcpu_events *ev = &vcpu->ev;
	struct vessel_event e;

	if (copy_from_user(&e, uarg, sizeof(e)))
		return -EFAULT;
	if (event_check(&e))
		return -EINVAL;
	switch (e.type) {
	case VESSEL_EVENT_IRQ:
		if (ev->irq_pending)
			return -EBUSY;
		ev->irq_pending = true;
		ev->irq_vector = e.vector;
		break;
	case VESSEL_EVENT_NMI:
		if (ev->nmi_pending)
			return -EBUSY;
		ev->nmi_pending = true;
		break;
	default:
		if (ev->exception_pending)
			return -EBUSY;
		vessel_queue_exception(vcpu, e.vector,
				       e.flags & VESSEL_EVENT_HAS_ERROR_CODE,
				       e.error_code);
		ev->exception_has_payload = e.flags & VESSEL_EVENT_HAS_PAYLOAD;
		ev->exception_payload = e.payload;
		break;
	}
	return 0;
}
