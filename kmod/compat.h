/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: what differs between the kernels the module builds against.
 *
 * The one place keyed on LINUX_VERSION_CODE.  The oldest kernel is Debian
 * 12's 6.1, the newest tested its 6.12 (Documentation/testing.rst, "Two
 * kernels"); each block gives the older kernel the newer kernel's name, so
 * the rest of the module is written against 6.12.
 */
#ifndef VESSEL_COMPAT_H
#define VESSEL_COMPAT_H

#include <linux/version.h>

/*
 * The host's NMI entry that a VMM calls after an NMI exit, with the frame
 * the CPU would have pushed: renamed in 6.3, when 32-bit KVM began using it
 * too.  Also used from vmx_entry.S, so above the C-only part.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#define VESSEL_HOST_NMI_ENTRY	asm_exc_nmi_kvm_vmx
#else
#define VESSEL_HOST_NMI_ENTRY	asm_exc_nmi_noist
#endif

#ifndef __ASSEMBLY__
#include <asm/msr-index.h>
#include <asm/vmx.h>

/* 6.2 named the XSAVES control as KVM names its other controls. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0)
#define SECONDARY_EXEC_ENABLE_XSAVES	SECONDARY_EXEC_XSAVES
#endif

/*
 * 6.3 made smp_send_reschedule() a macro that fires the ipi_send_cpu
 * tracepoint, which its callers must declare.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
#include <trace/events/ipi.h>
#endif

/*
 * 6.12 moved IA32_VMX_BASIC's fields to asm/vmx.h as helpers, with the
 * architectural memory types as X86_MEMTYPE_*.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
#define X86_MEMTYPE_WB	VMX_BASIC_MEM_TYPE_WB

static inline u32 vmx_basic_vmcs_mem_type(u64 vmx_basic)
{
	return (vmx_basic & VMX_BASIC_MEM_TYPE_MASK) >> VMX_BASIC_MEM_TYPE_SHIFT;
}
#endif

#endif /* !__ASSEMBLY__ */
#endif /* VESSEL_COMPAT_H */
