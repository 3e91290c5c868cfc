// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the Minimal paravirtual provider.  Only what a guest needs to
 * skip calibrating its clocks: a hypervisor leaf range with a Vessel
 * signature, and the timing leaf 0x40000010 in the layout VMware
 * introduced and Linux reads (arch/x86/kernel/cpu/vmware.c, and the
 * generic hypervisor code of other guests): EAX = TSC kHz, EBX = local
 * APIC timer (bus) kHz.  No MSRs, no hypercalls: VMCALL stays #UD.
 */
#include "vcpu.h"

#define PV_MINIMAL_BASE		0x40000000
#define PV_MINIMAL_TIMING	0x40000010

/* "VesselVessel" in EBX, ECX, EDX, as a hypervisor vendor signature. */
static const char pv_minimal_signature[12] = "VesselVessel";

static unsigned int pv_minimal_cpuid(struct vessel_vm *vm,
				     struct vessel_cpuid_entry *e,
				     unsigned int room)
{
	if (room < 2)
		return 0;
	memset(e, 0, 2 * sizeof(*e));
	e[0].function = PV_MINIMAL_BASE;
	e[0].eax = PV_MINIMAL_TIMING;
	memcpy(&e[0].ebx, pv_minimal_signature, 4);
	memcpy(&e[0].ecx, pv_minimal_signature + 4, 4);
	memcpy(&e[0].edx, pv_minimal_signature + 8, 4);
	e[1].function = PV_MINIMAL_TIMING;
	e[1].eax = vessel_pv_tsc_khz();
	e[1].ebx = vessel_apic_timer_khz();
	return 2;
}

const struct vessel_pv_ops vessel_pv_minimal_ops = {
	.provider	= VESSEL_PV_MINIMAL,
	.newest		= 1,
	.cap		= VESSEL_CAP_PV_MINIMAL,
	.cpuid		= pv_minimal_cpuid,
};
