// SPDX-License-Identifier: GPL-2.0
/*
 * libvessel: the in-kernel local APIC's ioctls and VESSEL_SIGNAL_MSI, one
 * thin function each (Documentation/api.rst, "In-kernel interrupts").
 *
 * The getters clear the caller's struct first: its flags and reserved
 * fields are input, and must be zero.
 */
#include <string.h>

#include "internal.h"
#include "libvessel.h"

int vessel_vm_signal_msi(struct vessel_vm *vm, const struct vessel_msi *msi)
{
	/* The ioctl only reads it; the cast is for ioctl()'s prototype. */
	return vessel_ioctl0(vm->fd, VESSEL_SIGNAL_MSI, (void *)msi);
}

int vessel_vm_get_lapic_info(struct vessel_vm *vm,
			     struct vessel_lapic_info *info)
{
	memset(info, 0, sizeof(*info));
	return vessel_ioctl0(vm->fd, VESSEL_GET_LAPIC_INFO, info);
}

int vessel_vcpu_get_lapic(struct vessel_vcpu *vcpu,
			  struct vessel_lapic_state *ls)
{
	memset(ls, 0, sizeof(*ls));
	return vessel_ioctl0(vcpu->fd, VESSEL_GET_LAPIC, ls);
}

int vessel_vcpu_set_lapic(struct vessel_vcpu *vcpu,
			  const struct vessel_lapic_state *ls)
{
	return vessel_ioctl0(vcpu->fd, VESSEL_SET_LAPIC, (void *)ls);
}

int vessel_vcpu_get_mp_state(struct vessel_vcpu *vcpu,
			     struct vessel_mp_state *mp)
{
	memset(mp, 0, sizeof(*mp));
	return vessel_ioctl0(vcpu->fd, VESSEL_GET_MP_STATE, mp);
}

int vessel_vcpu_set_mp_state(struct vessel_vcpu *vcpu,
			     const struct vessel_mp_state *mp)
{
	return vessel_ioctl0(vcpu->fd, VESSEL_SET_MP_STATE, (void *)mp);
}
