// SPDX-License-Identifier: GPL-2.0
/*
 * libvessel: the paravirtual providers' ioctls, one thin function each
 * (Documentation/api.rst, "Paravirtual interfaces"; paravirt.rst).
 *
 * The getters clear the caller's struct first: its flags and reserved
 * fields are input, and must be zero.
 */
#include <string.h>

#include "internal.h"
#include "libvessel.h"

int vessel_vm_get_pv_info(struct vessel_vm *vm, struct vessel_pv_info *info)
{
	memset(info, 0, sizeof(*info));
	return vessel_ioctl0(vm->fd, VESSEL_PV_GET_INFO, info);
}

int vessel_vm_get_pv_state(struct vessel_vm *vm, struct vessel_pv_state *st)
{
	memset(st, 0, sizeof(*st));
	return vessel_ioctl0(vm->fd, VESSEL_PV_GET_VM_STATE, st);
}

int vessel_vm_set_pv_state(struct vessel_vm *vm,
			   const struct vessel_pv_state *st)
{
	/* The ioctl only reads it; the cast is for ioctl()'s prototype. */
	return vessel_ioctl0(vm->fd, VESSEL_PV_SET_VM_STATE, (void *)st);
}

int vessel_vcpu_get_pv_state(struct vessel_vcpu *vcpu,
			     struct vessel_pv_state *st)
{
	memset(st, 0, sizeof(*st));
	return vessel_ioctl0(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, st);
}

int vessel_vcpu_set_pv_state(struct vessel_vcpu *vcpu,
			     const struct vessel_pv_state *st)
{
	return vessel_ioctl0(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, (void *)st);
}

int vessel_vm_get_pv_counters(struct vessel_vm *vm,
			      struct vessel_pv_counters *c)
{
	memset(c, 0, sizeof(*c));
	return vessel_ioctl0(vm->fd, VESSEL_PV_GET_COUNTERS, c);
}

int vessel_vm_set_hv_connection(struct vessel_vm *vm,
				const struct vessel_pv_hv_connection *conn)
{
	return vessel_ioctl0(vm->fd, VESSEL_PV_HV_SET_CONNECTION, (void *)conn);
}

int vessel_vcpu_get_hv_msg_queue(struct vessel_vcpu *vcpu,
				 struct vessel_pv_hv_msg_queue *q)
{
	memset(q, 0, sizeof(*q));
	return vessel_ioctl0(vcpu->fd, VESSEL_PV_HV_GET_MSG_QUEUE, q);
}

int vessel_vcpu_set_hv_msg_queue(struct vessel_vcpu *vcpu,
				 const struct vessel_pv_hv_msg_queue *q)
{
	return vessel_ioctl0(vcpu->fd, VESSEL_PV_HV_SET_MSG_QUEUE, (void *)q);
}
