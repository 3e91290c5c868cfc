/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: the pure logic of hardware task switches (tss.c): descriptor
 * decoding, the 16- and 32-bit TSS layouts, and the checks of SDM Vol. 3A
 * 7.3 ("Task Switching") with the exception and error code each raises.
 * The same file is built into the module and into the host unit test; the
 * VMCS side is task_switch.c.
 */
#ifndef VESSEL_TSS_H
#define VESSEL_TSS_H

#include "pure_types.h"

/* Where the task switch comes from: exit qualification bits 31:30. */
#define VESSEL_TS_CALL		0
#define VESSEL_TS_IRET		1
#define VESSEL_TS_JMP		2
#define VESSEL_TS_GATE		3	/* a task gate in the IDT */

/* Exception vectors the checks raise (SDM Vol. 3A Table 6-1). */
#define VESSEL_TS_VEC_TS	10
#define VESSEL_TS_VEC_NP	11
#define VESSEL_TS_VEC_SS	12
#define VESSEL_TS_VEC_GP	13

/* System descriptor types (SDM Vol. 3A Table 3-2). */
#define VESSEL_DESC_TSS16_AVAIL	1
#define VESSEL_DESC_LDT		2
#define VESSEL_DESC_TSS16_BUSY	3
#define VESSEL_DESC_TSS32_AVAIL	9
#define VESSEL_DESC_TSS32_BUSY	11
#define VESSEL_DESC_TSS_BUSY	2	/* the busy bit of a TSS type */

/* Access rights in the VMCS format (SDM Vol. 3C Table 25-2). */
#define VESSEL_AR_TYPE(ar)	((ar) & 0xf)
#define VESSEL_AR_S		(1U << 4)
#define VESSEL_AR_DPL(ar)	(((ar) >> 5) & 3)
#define VESSEL_AR_P		(1U << 7)
#define VESSEL_AR_DB		(1U << 14)
#define VESSEL_AR_G		(1U << 15)
#define VESSEL_AR_UNUSABLE	(1U << 16)

/* Code/data type bits (S = 1). */
#define VESSEL_TYPE_ACCESSED	1
#define VESSEL_TYPE_RW		2	/* data: writable; code: readable */
#define VESSEL_TYPE_DC		4	/* data: expand-down; code: conforming */
#define VESSEL_TYPE_CODE	8

/* TSS sizes: the least limit a new TSS may have is the size minus one. */
#define VESSEL_TSS32_SIZE	0x68
#define VESSEL_TSS16_SIZE	0x2c
/* The part a task switch writes back into the outgoing TSS. */
#define VESSEL_TSS32_DYN_OFF	0x20
#define VESSEL_TSS32_DYN_LEN	0x40
#define VESSEL_TSS16_DYN_OFF	0x0e
#define VESSEL_TSS16_DYN_LEN	0x1c

/**
 * struct vessel_desc - a legacy 8-byte segment or system descriptor
 * @base:	32-bit base
 * @limit:	limit in bytes, scaled by G
 * @ar:		access rights as the VMCS holds them (type, S, DPL, P, AVL,
 *		L, D/B, G in bits 15:0)
 */
struct vessel_desc {
	u32 base;
	u32 limit;
	u32 ar;
};

/**
 * struct vessel_tss - the task state a task switch saves and loads
 * @eip:	EIP (IP in a 16-bit TSS)
 * @eflags:	EFLAGS (the low word in a 16-bit TSS)
 * @gpr:	EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI (VESSEL_GPR_* order)
 * @sel:	ES, CS, SS, DS, FS, GS (VESSEL_SEG_* order); a 16-bit TSS has
 *		no FS and GS (read as 0, never written)
 * @ldt:	LDT segment selector
 * @link:	previous task link
 * @cr3:	page-directory base (32-bit TSS only)
 * @trap:	the T flag: #DB when a task switch enters this task
 */
struct vessel_tss {
	u32 eip;
	u32 eflags;
	u32 gpr[8];
	u16 sel[6];
	u16 ldt;
	u16 link;
	u32 cr3;
	bool trap;
};

/* Decodes descriptor @raw (low dword in bits 31:0). */
void vessel_desc_decode(u64 raw, struct vessel_desc *d);

/* Fills @t from @buf, the first VESSEL_TSS{32,16}_SIZE bytes of a TSS. */
void vessel_tss_parse(const u8 *buf, bool is32, struct vessel_tss *t);

/*
 * Stores the dynamic fields of @t into @dyn, the VESSEL_TSS{32,16}_DYN_LEN
 * bytes at VESSEL_TSS{32,16}_DYN_OFF of the outgoing TSS as read from
 * guest memory: only the fields a task switch writes change, so the
 * reserved halves next to the selectors keep what the guest had there.
 */
void vessel_tss_save(u8 *dyn, bool is32, const struct vessel_tss *t);

/*
 * The checks on the TSS descriptor @d of the incoming task, selector @sel,
 * for a switch from @source (SDM Vol. 3A 7.3 steps 1-3, Table 7-1 items
 * 1-3): a TSS type (available, or busy for IRET), present, a limit of at
 * least the TSS size - 1.  @d NULL: @sel lies outside the GDT or has TI
 * set.  @ext is the EXT bit of the error code (1 when the switch delivers
 * an event external to the program).  Returns 0, or the vector to raise
 * with *@error its error code.
 */
int vessel_ts_check_tss(u16 sel, const struct vessel_desc *d,
			unsigned int source, u32 ext, u32 *error);

/*
 * The checks on one selector loaded from the new TSS after the commit
 * point (Table 7-1 items 5-17): @seg is a VESSEL_SEG_* (ES..GS or LDTR),
 * @d its descriptor or NULL when @sel lies outside its table (or TI is
 * set for the LDT selector), @cpl the new CPL (the RPL of the new CS).
 * A null selector is fine for the LDTR and data registers (they become
 * unusable) and faults for CS and SS.  Returns 0 or the vector, with
 * *@error set.
 */
int vessel_ts_check_seg(unsigned int seg, u16 sel,
			const struct vessel_desc *d, unsigned int cpl,
			u32 ext, u32 *error);

/* Whether @sel is a null selector (index 0 in the GDT; RPL ignored). */
static inline bool vessel_sel_null(u16 sel)
{
	return !(sel & ~3U);
}

#endif /* VESSEL_TSS_H */
