// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: guest linear to guest-physical translation, following SDM Vol. 3A
 * chapter 4 (Paging): 32-bit, PAE and 4-level paging, with the checks that
 * decide between a translation and a #PF and its error code.
 *
 * No kernel-only API here: tests/unit/test_emulate.c builds this file too.
 */
#include "emulate/guest_walk.h"

#define CR0_WP		(1ULL << 16)
#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define CR4_SMEP	(1ULL << 20)
#define EFER_LMA	(1ULL << 10)
#define EFER_NXE	(1ULL << 11)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_PS		(1ULL << 7)
#define PTE_XD		(1ULL << 63)

#define PAGE_SHIFT_4K	12
#define PAGE_SIZE_4K	(1ULL << PAGE_SHIFT_4K)

/* Bits hi:lo set. */
#define BITS(hi, lo)	((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

#define DEFAULT_MAXPHYADDR	46

/* One walk in progress: inputs, and the rights gathered level by level. */
struct vessel_walk {
	const struct vessel_walk_env *env;
	u64 gva;
	u32 access;
	u32 *pf_error;
	unsigned int maxphyaddr;
	bool nxe;
	bool writable;
	bool user;
	bool nx;
};

static int vessel_walk_read(struct vessel_walk *w, u64 gpa, void *buf,
			    unsigned int len)
{
	int ret = w->env->read_gpa(w->env->opaque, gpa, buf, len);

	/* -EFAULT means a guest #PF to our callers; keep them apart. */
	return ret == -EFAULT ? -ENXIO : ret;
}

/*
 * SDM Vol. 3A 4.7: W and U describe the access; I/D is reported only where
 * fetches can fault on their own (NX under PAE/4-level paging, or SMEP).
 */
static int vessel_walk_fault(struct vessel_walk *w, u32 why)
{
	const struct vessel_walk_env *env = w->env;
	u32 code = why | (w->access & (VESSEL_PFERR_WRITE | VESSEL_PFERR_USER));

	if ((w->access & VESSEL_WALK_FETCH) &&
	    (((env->cr4 & CR4_PAE) && w->nxe) || (env->cr4 & CR4_SMEP)))
		code |= VESSEL_PFERR_FETCH;
	*w->pf_error = code;
	return -EFAULT;
}

/* Rights are the AND of R/W and U/S and the OR of XD over all levels. */
static void vessel_walk_rights(struct vessel_walk *w, u64 pte)
{
	w->writable &= !!(pte & PTE_RW);
	w->user &= !!(pte & PTE_US);
	if (w->nxe)
		w->nx |= !!(pte & PTE_XD);
}

/* SDM Vol. 3A 4.6.1: the access rights of the final translation. */
static int vessel_walk_check(struct vessel_walk *w)
{
	const struct vessel_walk_env *env = w->env;
	bool user = w->access & VESSEL_WALK_USER;
	bool write = w->access & VESSEL_WALK_WRITE;
	bool fetch = w->access & VESSEL_WALK_FETCH;

	if (user && !w->user)
		return vessel_walk_fault(w, VESSEL_PFERR_PRESENT);
	/* Supervisor writes ignore R/W unless CR0.WP is set. */
	if (write && !w->writable && (user || (env->cr0 & CR0_WP)))
		return vessel_walk_fault(w, VESSEL_PFERR_PRESENT);
	if (fetch && w->nx)
		return vessel_walk_fault(w, VESSEL_PFERR_PRESENT);
	if (fetch && !user && w->user && (env->cr4 & CR4_SMEP))
		return vessel_walk_fault(w, VESSEL_PFERR_PRESENT);
	return 0;
}

/*
 * Reserved bits of a present 64-bit entry at @level (1 = PTE) with page
 * size bit @ps.  SDM Vol. 3A Tables 4-8 to 4-11 (PAE: 62:M reserved) and
 * 4-15 to 4-20 (4-level: 51:M; PS reserved in a PML4E).
 */
static u64 vessel_walk_rsvd(const struct vessel_walk *w, bool long_mode,
			    unsigned int level, bool ps)
{
	u64 rsvd = BITS(long_mode ? 51 : 62, w->maxphyaddr);

	if (!w->nxe)
		rsvd |= PTE_XD;
	if (level == 4)
		rsvd |= PTE_PS;
	else if (level == 3 && ps)
		rsvd |= BITS(29, 13);	/* 1-GiB page: bit 12 is PAT */
	else if (level == 2 && ps)
		rsvd |= BITS(20, 13);	/* 2-MiB page */
	return rsvd;
}

/*
 * Walks 64-bit entries from @table at @level down to a leaf: PAE paging
 * from the page directory (level 2), 4-level paging from the PML4 (4).
 */
static int vessel_walk_64(struct vessel_walk *w, u64 table, unsigned int level,
			  bool long_mode, u64 *gpa)
{
	u64 addr_mask = BITS(w->maxphyaddr - 1, PAGE_SHIFT_4K);

	for (;; level--) {
		unsigned int shift = PAGE_SHIFT_4K + 9 * (level - 1);
		u64 pte, page_mask;
		bool ps;
		int ret;

		ret = vessel_walk_read(w, table + ((w->gva >> shift) & 511) * 8,
				       &pte, sizeof(pte));
		if (ret)
			return ret;
		if (!(pte & PTE_P))
			return vessel_walk_fault(w, 0);
		ps = level > 1 && (pte & PTE_PS);
		if (pte & vessel_walk_rsvd(w, long_mode, level, ps))
			return vessel_walk_fault(w, VESSEL_PFERR_PRESENT |
						    VESSEL_PFERR_RSVD);
		vessel_walk_rights(w, pte);
		if (level == 1 || ps) {
			page_mask = (1ULL << shift) - 1;
			*gpa = (pte & addr_mask & ~page_mask) |
			       (w->gva & page_mask);
			return vessel_walk_check(w);
		}
		table = pte & addr_mask;
	}
}

/* SDM Vol. 1 3.3.7.1: canonical means bits 63:47 all equal. */
static int vessel_walk_4level(struct vessel_walk *w, u64 *gpa)
{
	s64 top = (s64)w->gva >> 47;

	if (w->env->cr4 & CR4_LA57)
		return -EOPNOTSUPP;
	if (top != 0 && top != -1)
		return -EINVAL;
	return vessel_walk_64(w, w->env->cr3 & BITS(w->maxphyaddr - 1, 12), 4,
			      true, gpa);
}

/*
 * SDM Vol. 3A 4.4.1: four PDPTEs at CR3[31:5], loaded by MOV to CR3 (which
 * would #GP on reserved bits; here such a PDPTE gives a RSVD #PF).  PDPTEs
 * have no R/W, U/S or XD: bits 2:1 and 8:5 are reserved.
 */
static int vessel_walk_pae(struct vessel_walk *w, u64 *gpa)
{
	const struct vessel_walk_env *env = w->env;
	unsigned int idx = (w->gva >> 30) & 3;
	u64 rsvd = BITS(63, w->maxphyaddr) | BITS(8, 5) | BITS(2, 1);
	u64 pdpte;
	int ret;

	if (env->pdptrs) {
		pdpte = env->pdptrs[idx];
	} else {
		ret = vessel_walk_read(w, (env->cr3 & BITS(31, 5)) + idx * 8,
				       &pdpte, sizeof(pdpte));
		if (ret)
			return ret;
	}
	if (!(pdpte & PTE_P))
		return vessel_walk_fault(w, 0);
	if (pdpte & rsvd)
		return vessel_walk_fault(w, VESSEL_PFERR_PRESENT |
					    VESSEL_PFERR_RSVD);
	return vessel_walk_64(w, pdpte & BITS(w->maxphyaddr - 1, 12), 2,
			      false, gpa);
}

/*
 * SDM Vol. 3A 4.3: a 4-MiB page (CR4.PSE and PDE.PS) takes address bits
 * 39:32 from PDE bits 20:13 (PSE-36, up to MAXPHYADDR or 40); bit 21 and
 * the unused part of 20:13 are reserved.  Other entries have no reserved
 * bits and no XD.
 */
static int vessel_walk_pde_4m(struct vessel_walk *w, u32 pde, u64 *gpa)
{
	unsigned int m = w->maxphyaddr < 40 ? w->maxphyaddr : 40;
	u64 rsvd = BITS(21, 21);

	if (m < 40)
		rsvd |= BITS(20, 13 + m - 32);
	if (pde & rsvd)
		return vessel_walk_fault(w, VESSEL_PFERR_PRESENT |
					    VESSEL_PFERR_RSVD);
	*gpa = ((u64)((pde >> 13) & 0xff) << 32) | (pde & BITS(31, 22)) |
	       (w->gva & BITS(21, 0));
	return vessel_walk_check(w);
}

static int vessel_walk_32(struct vessel_walk *w, u64 *gpa)
{
	u64 table = w->env->cr3 & BITS(31, 12);
	u32 pde, pte;
	int ret;

	ret = vessel_walk_read(w, table + ((w->gva >> 22) & 1023) * 4,
			       &pde, sizeof(pde));
	if (ret)
		return ret;
	if (!(pde & PTE_P))
		return vessel_walk_fault(w, 0);
	vessel_walk_rights(w, pde);
	if ((pde & PTE_PS) && (w->env->cr4 & CR4_PSE))
		return vessel_walk_pde_4m(w, pde, gpa);

	ret = vessel_walk_read(w, (pde & BITS(31, 12)) +
			       ((w->gva >> 12) & 1023) * 4, &pte, sizeof(pte));
	if (ret)
		return ret;
	if (!(pte & PTE_P))
		return vessel_walk_fault(w, 0);
	vessel_walk_rights(w, pte);
	*gpa = (pte & BITS(31, 12)) | (w->gva & BITS(11, 0));
	return vessel_walk_check(w);
}

int vessel_gva_to_gpa(const struct vessel_walk_env *env, u64 gva, u32 access,
		      u64 *gpa, u32 *pf_error)
{
	struct vessel_walk w = {
		.env = env,
		.gva = gva,
		.access = access,
		.pf_error = pf_error,
		.maxphyaddr = env->maxphyaddr ? env->maxphyaddr :
						DEFAULT_MAXPHYADDR,
		.nxe = env->efer & EFER_NXE,
		.writable = true,
		.user = true,
	};

	*pf_error = 0;
	if (w.maxphyaddr < 32 || w.maxphyaddr > 52)
		return -EINVAL;
	if (env->efer & EFER_LMA)
		return vessel_walk_4level(&w, gpa);

	/* Outside long mode linear addresses are 32 bits (SDM Vol. 3A 4.1). */
	w.gva = gva & 0xffffffffULL;
	if (!(env->cr0 & CR0_PG)) {
		*gpa = w.gva;
		return 0;
	}
	if (env->cr4 & CR4_PAE)
		return vessel_walk_pae(&w, gpa);
	w.nxe = false;	/* 32-bit paging has no XD bit */
	return vessel_walk_32(&w, gpa);
}

int vessel_guest_read_virt(const struct vessel_walk_env *env, u64 gva,
			   void *buf, unsigned int len, u32 access,
			   u32 *pf_error)
{
	u8 *p = buf;
	u64 gpa;
	int ret;

	*pf_error = 0;
	while (len) {
		unsigned int chunk = PAGE_SIZE_4K - (gva & (PAGE_SIZE_4K - 1));

		if (chunk > len)
			chunk = len;
		ret = vessel_gva_to_gpa(env, gva, access, &gpa, pf_error);
		if (ret)
			return ret;
		ret = env->read_gpa(env->opaque, gpa, p, chunk);
		if (ret)
			return ret == -EFAULT ? -ENXIO : ret;
		gva += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}
