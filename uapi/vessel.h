/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Vessel: the ioctl ABI of /dev/vessel.
 *
 * Conventions (Documentation/api.rst has the full text):
 *  - only fixed-width __u types, user pointers as __u64, no enums, bitfields
 *    or implicit padding; every layout is asserted in the module and in the
 *    selftests;
 *  - every non-trivial struct carries a flags word and a reserved tail that
 *    the kernel checks is zero; unknown flag bits give EINVAL;
 *  - structs grow by carving fields out of the reserved tail behind a new
 *    flag or capability bit, or by a new ioctl number, never by overloading.
 */
#ifndef _UAPI_VESSEL_H
#define _UAPI_VESSEL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Bumped only for incompatible changes.  Userspace refuses a module whose
 * version is older than the one it needs, rather than demanding equality.
 */
#define VESSEL_API_VERSION	1

/* Registered in no table yet; free in ioctl-number.rst (6.1). */
#define VESSEL_IO		0xB8

/* Capability bits of vessel_caps.flags. */
#define VESSEL_CAP_EPT			(1ULL << 0)	/* always set */
#define VESSEL_CAP_UNRESTRICTED_GUEST	(1ULL << 1)	/* always set */
#define VESSEL_CAP_VPID			(1ULL << 2)
#define VESSEL_CAP_EPT_AD		(1ULL << 3)
#define VESSEL_CAP_EPT_2M		(1ULL << 4)
#define VESSEL_CAP_EPT_1G		(1ULL << 5)
#define VESSEL_CAP_TPR_SHADOW		(1ULL << 6)
#define VESSEL_CAP_APIC_ACCESS		(1ULL << 7)
#define VESSEL_CAP_X2APIC_VIRT		(1ULL << 8)
#define VESSEL_CAP_PREEMPTION_TIMER	(1ULL << 9)
#define VESSEL_CAP_XSAVES		(1ULL << 10)
#define VESSEL_CAP_RDTSCP		(1ULL << 11)
#define VESSEL_CAP_INVPCID		(1ULL << 12)
#define VESSEL_CAP_TSC_SCALING		(1ULL << 13)
#define VESSEL_CAP_PML			(1ULL << 14)
#define VESSEL_CAP_SHADOW_VMCS		(1ULL << 15)
#define VESSEL_CAP_MSR_BITMAP		(1ULL << 16)

/**
 * struct vessel_caps - what this module and this host can do
 * @api_version:	VESSEL_API_VERSION of the module
 * @flags:		VESSEL_CAP_* bits
 * @vmcs_revision:	from IA32_VMX_BASIC, for diagnostics
 * @nr_cpus:		host CPUs on which VMX was verified at load
 * @max_vcpus:		vCPUs per VM
 * @max_mem_slots:	memory slots per VM
 * @max_mem_bytes:	guest memory bytes per VM, all slots together
 * @vmx_basic:		raw IA32_VMX_BASIC
 * @vmx_pinbased:	raw IA32_VMX_TRUE_PINBASED_CTLS (or the non-true MSR)
 * @vmx_procbased:	raw IA32_VMX_TRUE_PROCBASED_CTLS
 * @vmx_procbased2:	raw IA32_VMX_PROCBASED_CTLS2
 * @vmx_exit:		raw IA32_VMX_TRUE_EXIT_CTLS
 * @vmx_entry:		raw IA32_VMX_TRUE_ENTRY_CTLS
 * @vmx_misc:		raw IA32_VMX_MISC
 * @vmx_ept_vpid:	raw IA32_VMX_EPT_VPID_CAP
 * @reserved:		zero
 */
struct vessel_caps {
	__u32 api_version;
	__u32 vmcs_revision;
	__u64 flags;
	__u32 nr_cpus;
	__u32 max_vcpus;
	__u32 max_mem_slots;
	__u32 pad0;
	__u64 max_mem_bytes;
	__u64 vmx_basic;
	__u64 vmx_pinbased;
	__u64 vmx_procbased;
	__u64 vmx_procbased2;
	__u64 vmx_exit;
	__u64 vmx_entry;
	__u64 vmx_misc;
	__u64 vmx_ept_vpid;
	__u64 reserved[19];
};

/* System ioctls, on the /dev/vessel fd. */
#define VESSEL_GET_API_VERSION	_IO(VESSEL_IO, 0x00)
#define VESSEL_GET_CAPS		_IOR(VESSEL_IO, 0x01, struct vessel_caps)

#endif /* _UAPI_VESSEL_H */
