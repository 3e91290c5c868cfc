/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: declarations shared between the files of the module.
 */
#ifndef VESSEL_INTERNAL_H
#define VESSEL_INTERNAL_H

#include <linux/types.h>
#include <vessel.h>

/* Limits reported in struct vessel_caps. */
#define VESSEL_MAX_VCPUS	64
#define VESSEL_MAX_MEM_SLOTS	32
#define VESSEL_MAX_MEM_BYTES	(64ULL << 30)

/*
 * What the host's VMX offers, read once at load from the boot CPU and
 * checked to be identical on every other CPU.
 */
struct vessel_vmx_config {
	u32 revision;		/* VMCS revision identifier */
	u32 region_size;	/* bytes of a VMXON or VMCS region */
	u64 flags;		/* VESSEL_CAP_* */
	u64 basic;
	u64 pinbased;
	u64 procbased;
	u64 procbased2;
	u64 exit;
	u64 entry;
	u64 misc;
	u64 ept_vpid;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
};

extern struct vessel_vmx_config vessel_vmx;

/* vmx_cpu.c: detection and per-CPU VMX operation. */
int vessel_vmx_init(void);
void vessel_vmx_exit(void);
int vessel_vmx_get(void);
void vessel_vmx_put(void);
unsigned int vessel_vmx_nr_cpus(void);

/* vmx_insn.S */
int vessel_vmxon(u64 vmxon_region_pa);

#endif /* VESSEL_INTERNAL_H */
