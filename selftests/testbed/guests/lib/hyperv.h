/* SPDX-License-Identifier: GPL-2.0 */
/* What the guests use of Hyper-V's interface (the TLFS). */
#ifndef GUEST_HYPERV_H
#define GUEST_HYPERV_H

#include "guest.h"

#define HV_CPUID_VENDOR		0x40000000
#define HV_CPUID_INTERFACE	0x40000001
#define HV_CPUID_FEATURES	0x40000003
#define HV_INTERFACE_HV1	0x31237648	/* "Hv#1" */
#define HV_MSR_GUEST_OS_ID	0x40000000
#define HV_MSR_HYPERCALL	0x40000001
#define HV_MSR_RESET		0x40000003
#define HV_OS_ID_OPEN_SOURCE	(1ULL << 63)

/*
 * Hyper-V's features and privileges (CPUID 0x40000003 EAX and EBX), if the
 * hypervisor is Hyper-V: "Microsoft Hv" with the interface "Hv#1".
 */
static inline bool hv_features(uint32_t *eax, uint32_t *ebx)
{
	uint32_t a, vendor[3], d;

	cpuid(HV_CPUID_VENDOR, &a, &vendor[0], &vendor[1], &vendor[2]);
	if (memcmp(vendor, "Microsoft Hv", sizeof(vendor)))
		return false;
	cpuid(HV_CPUID_INTERFACE, &a, ebx, eax, &d);
	if (a != HV_INTERFACE_HV1)
		return false;
	cpuid(HV_CPUID_FEATURES, eax, ebx, &a, &d);
	return true;
}

#endif /* GUEST_HYPERV_H */
