/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: VMCS accessors.
 *
 * VMREAD and VMWRITE are only issued with a vCPU loaded, so its VMCS is
 * current on this CPU; a VMfail there is a host bug.  It is counted
 * (vessel_vmx_failures) and warned about once, and the run loop (or the
 * vCPU ioctl) marks the VM dead when the count moves: the guest never sees
 * a half-written VMCS and the host never stops.  fault_inject.c can make
 * a VMCS load fail on purpose, for tests of that path.
 */
#ifndef VESSEL_VMX_OPS_H
#define VESSEL_VMX_OPS_H

#include <linux/bug.h>
#include <linux/atomic.h>
#include <linux/jump_label.h>
#include <asm/vmx.h>

extern atomic_t vessel_vmx_failures;

void __vessel_vmx_insn_failed(const char *insn, unsigned long field,
			      bool injected);

static inline void vessel_vmx_insn_failed(const char *insn, unsigned long field)
{
	__vessel_vmx_insn_failed(insn, field, false);
}

/*
 * fault_inject.c: VMCS loads a test asked to fail (vessel_vmcs_load()).
 * Off, this is a static branch (a NOP), outside the VM-exit path.
 */
DECLARE_STATIC_KEY_FALSE(vessel_vmx_fault_key);
bool vessel_vmx_fault_take(void);
void vessel_fault_inject_init(void);
void vessel_fault_inject_exit(void);

static __always_inline bool vessel_vmx_fault_injected(void)
{
	return static_branch_unlikely(&vessel_vmx_fault_key) &&
	       vessel_vmx_fault_take();
}

/*
 * The width of a VMCS field is in bits 14:13 of its encoding (SDM Vol. 3
 * Appendix B); bit 0 selects the high half of a 64-bit field.  Checked at
 * build time so a u16 field is never read as a u64.
 */
#define VMCS_FIELD_WIDTH(f)	(((f) >> 13) & 3)
#define VMCS_WIDTH_16		0
#define VMCS_WIDTH_64		1
#define VMCS_WIDTH_32		2
#define VMCS_WIDTH_NATURAL	3

#define vmcs_check(f, w) \
	BUILD_BUG_ON_MSG(__builtin_constant_p(f) && \
			 (VMCS_FIELD_WIDTH(f) != (w) || ((f) & 1)), \
			 "VMCS field of the wrong width")

static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long value = 0;

	asm goto("vmread %[field], %[value]\n\t"
		 "jna %l[fail]"
		 : : [field] "r"(field), [value] "m"(value)
		 : "cc", "memory" : fail);
	return value;
fail:
	vessel_vmx_insn_failed("vmread", field);
	return 0;
}

static __always_inline void __vmcs_write(unsigned long field,
					 unsigned long value)
{
	asm goto("vmwrite %[value], %[field]\n\t"
		 "jna %l[fail]"
		 : : [field] "r"(field), [value] "rm"(value)
		 : "cc", "memory" : fail);
	return;
fail:
	vessel_vmx_insn_failed("vmwrite", field);
}

#define vmcs_read16(f)	({ vmcs_check(f, VMCS_WIDTH_16); (u16)__vmcs_read(f); })
#define vmcs_read32(f)	({ vmcs_check(f, VMCS_WIDTH_32); (u32)__vmcs_read(f); })
#define vmcs_read64(f)	({ vmcs_check(f, VMCS_WIDTH_64); (u64)__vmcs_read(f); })
#define vmcs_readl(f)	({ vmcs_check(f, VMCS_WIDTH_NATURAL); __vmcs_read(f); })

#define vmcs_write16(f, v) \
	do { vmcs_check(f, VMCS_WIDTH_16); __vmcs_write(f, (u16)(v)); } while (0)
#define vmcs_write32(f, v) \
	do { vmcs_check(f, VMCS_WIDTH_32); __vmcs_write(f, (u32)(v)); } while (0)
#define vmcs_write64(f, v) \
	do { vmcs_check(f, VMCS_WIDTH_64); __vmcs_write(f, (u64)(v)); } while (0)
#define vmcs_writel(f, v) \
	do { vmcs_check(f, VMCS_WIDTH_NATURAL); __vmcs_write(f, (v)); } while (0)

#endif /* VESSEL_VMX_OPS_H */
