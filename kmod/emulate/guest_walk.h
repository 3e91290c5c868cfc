/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: guest linear to guest-physical translation (guest_walk.c), for
 * fetching the instruction of an MMIO exit and for string I/O.  Pure logic:
 * the same file is built into the module and into the host unit test.
 */
#ifndef VESSEL_GUEST_WALK_H
#define VESSEL_GUEST_WALK_H

#include "pure_types.h"

/* The #PF error code, SDM Vol. 3A 4.7: inject *pf_error as it is. */
#define VESSEL_PFERR_PRESENT	(1U << 0)	/* 0: not present */
#define VESSEL_PFERR_WRITE	(1U << 1)
#define VESSEL_PFERR_USER	(1U << 2)
#define VESSEL_PFERR_RSVD	(1U << 3)
#define VESSEL_PFERR_FETCH	(1U << 4)

/* Kinds of access, in the error code's bit positions; 0 is a read. */
#define VESSEL_WALK_WRITE	VESSEL_PFERR_WRITE
#define VESSEL_WALK_USER	VESSEL_PFERR_USER	/* CPL 3 */
#define VESSEL_WALK_FETCH	VESSEL_PFERR_FETCH

/**
 * struct vessel_walk_env - the guest state a page walk depends on
 * @cr0:	CR0.PG and CR0.WP are used
 * @cr3:	the root table
 * @cr4:	CR4.PSE, CR4.PAE, CR4.SMEP (CR4.LA57 gives -EOPNOTSUPP)
 * @efer:	EFER.LMA and EFER.NXE are used
 * @maxphyaddr:	guest physical-address width (CPUID 80000008H:EAX[7:0]);
 *		0 means 46
 * @pdptrs:	PAE paging: the 4 PDPTEs the CPU loaded (with EPT they are
 *		the VMCS guest PDPTE fields, SDM Vol. 3C "Guest Non-Register
 *		State"), or NULL to read them at CR3 as MOV to CR3 does
 * @read_gpa:	copies @len bytes of guest-physical memory at @gpa into @buf;
 *		returns 0 or a negative errno
 * @opaque:	passed to @read_gpa
 */
struct vessel_walk_env {
	u64 cr0;
	u64 cr3;
	u64 cr4;
	u64 efer;
	unsigned int maxphyaddr;
	const u64 *pdptrs;
	int (*read_gpa)(void *opaque, u64 gpa, void *buf, unsigned int len);
	void *opaque;
};

/*
 * Translates linear address @gva for an access of kind @access
 * (VESSEL_WALK_* bits), as the CPU would.  Returns 0 with *@gpa set;
 * -EFAULT for a page fault, with *@pf_error the error code to inject (CR2 is
 * @gva); -EINVAL for a non-canonical @gva (#GP, or #SS, is the caller's
 * business) or a @maxphyaddr outside 32..52; -EOPNOTSUPP for 5-level
 * paging; otherwise the error of @read_gpa, except that its -EFAULT becomes
 * -ENXIO so it cannot be taken for a guest page fault.
 *
 * Accessed and dirty bits are not set: the walker serves emulation, which
 * reads the instruction the guest was executing and the buffer of string
 * I/O; a guest relying on A/D bits of those pages is not a concern here.
 * Not checked: SMAP, protection keys, CPUID support for 1-GiB pages.
 */
int vessel_gva_to_gpa(const struct vessel_walk_env *env, u64 gva, u32 access,
		      u64 *gpa, u32 *pf_error);

/*
 * Reads @len bytes at linear address @gva, translating each page on its
 * own, for an instruction or buffer that crosses a page boundary.  Returns
 * as vessel_gva_to_gpa(); on a fault, *@pf_error is set and @buf may be
 * partly written.  CR2 is then @gva if its page faulted, else the start of
 * the first page after it that did: translate @gva alone to tell which.
 */
int vessel_guest_read_virt(const struct vessel_walk_env *env, u64 gva,
			   void *buf, unsigned int len, u32 access,
			   u32 *pf_error);

#endif /* VESSEL_GUEST_WALK_H */
