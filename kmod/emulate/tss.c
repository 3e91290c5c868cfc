// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: task-switch logic that needs no VMCS - descriptors, TSS layouts
 * and the checks of SDM Vol. 3A 7.3 with their exceptions (Table 7-1).
 *
 * No kernel-only API here: tests/unit/test_tss.c builds this file too.
 */
#include <vessel.h>

#include "emulate/tss.h"

static u16 get16(const u8 *p)
{
	return p[0] | (u16)p[1] << 8;
}

static u32 get32(const u8 *p)
{
	return get16(p) | (u32)get16(p + 2) << 16;
}

static void put16(u8 *p, u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

/* SDM Vol. 3A 3.4.5, Figure 3-8. */
void vessel_desc_decode(u64 raw, struct vessel_desc *d)
{
	u32 lo = raw, hi = raw >> 32;

	d->base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000);
	d->limit = (lo & 0xffff) | (hi & 0xf0000);
	/* Bits 15:8 (type, S, DPL, P) and 23:20 (AVL, L, D/B, G). */
	d->ar = (hi >> 8) & 0xf0ff;
	if (d->ar & VESSEL_AR_G)
		d->limit = d->limit << 12 | 0xfff;
}

/* SDM Vol. 3A Figure 7-2 (32-bit TSS) and Figure 7-11 (16-bit TSS). */
void vessel_tss_parse(const u8 *buf, bool is32, struct vessel_tss *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->link = get16(buf);
	if (is32) {
		t->cr3 = get32(buf + 0x1c);
		t->eip = get32(buf + 0x20);
		t->eflags = get32(buf + 0x24);
		for (i = 0; i < 8; i++)
			t->gpr[i] = get32(buf + 0x28 + 4 * i);
		for (i = 0; i < 6; i++)
			t->sel[i] = get16(buf + 0x48 + 4 * i);
		t->ldt = get16(buf + 0x60);
		t->trap = buf[0x64] & 1;
	} else {
		t->eip = get16(buf + 0x0e);
		t->eflags = get16(buf + 0x10);
		for (i = 0; i < 8; i++)
			t->gpr[i] = get16(buf + 0x12 + 2 * i);
		/* ES, CS, SS, DS; a 16-bit task has no FS or GS. */
		for (i = 0; i < 4; i++)
			t->sel[i] = get16(buf + 0x22 + 2 * i);
		t->ldt = get16(buf + 0x2a);
	}
}

void vessel_tss_save(u8 *dyn, bool is32, const struct vessel_tss *t)
{
	unsigned int i;

	if (is32) {
		/* @dyn starts at offset 0x20. */
		put32(dyn, t->eip);
		put32(dyn + 0x04, t->eflags);
		for (i = 0; i < 8; i++)
			put32(dyn + 0x08 + 4 * i, t->gpr[i]);
		for (i = 0; i < 6; i++)
			put16(dyn + 0x28 + 4 * i, t->sel[i]);
	} else {
		/* @dyn starts at offset 0x0e. */
		put16(dyn, t->eip);
		put16(dyn + 0x02, t->eflags);
		for (i = 0; i < 8; i++)
			put16(dyn + 0x04 + 2 * i, t->gpr[i]);
		for (i = 0; i < 4; i++)
			put16(dyn + 0x14 + 2 * i, t->sel[i]);
	}
}

static int ts_fault(int vector, u16 sel, u32 ext, u32 *error)
{
	*error = (sel & 0xfffc) | ext;
	return vector;
}

/*
 * Not a TSS at all, or a selector outside the GDT: #GP for CALL, JMP and
 * task gates, #TS for IRET's back link (SDM Vol. 2A CALL/JMP/IRET, INT n).
 * A busy TSS is #GP for the first three; IRET needs a busy one (#TS).
 */
int vessel_ts_check_tss(u16 sel, const struct vessel_desc *d,
			unsigned int source, u32 ext, u32 *error)
{
	bool iret = source == VESSEL_TS_IRET;
	int bad_type = iret ? VESSEL_TS_VEC_TS : VESSEL_TS_VEC_GP;
	unsigned int type, min;

	if (!d || (d->ar & VESSEL_AR_S))
		return ts_fault(bad_type, sel, ext, error);
	type = VESSEL_AR_TYPE(d->ar);
	if ((type & ~VESSEL_DESC_TSS_BUSY) != VESSEL_DESC_TSS16_AVAIL &&
	    (type & ~VESSEL_DESC_TSS_BUSY) != VESSEL_DESC_TSS32_AVAIL)
		return ts_fault(bad_type, sel, ext, error);
	if (!(d->ar & VESSEL_AR_P))
		return ts_fault(VESSEL_TS_VEC_NP, sel, ext, error);
	if (!!(type & VESSEL_DESC_TSS_BUSY) != iret)
		return ts_fault(bad_type, sel, ext, error);
	min = (type & 8) ? VESSEL_TSS32_SIZE - 1 : VESSEL_TSS16_SIZE - 1;
	if (d->limit < min)
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	return 0;
}

/* LDTR: in the GDT, an LDT descriptor, present; all else #TS. */
static int ts_check_ldt(u16 sel, const struct vessel_desc *d, u32 ext,
			u32 *error)
{
	if (vessel_sel_null(sel))
		return 0;
	if (!d || (d->ar & VESSEL_AR_S) ||
	    VESSEL_AR_TYPE(d->ar) != VESSEL_DESC_LDT || !(d->ar & VESSEL_AR_P))
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	return 0;
}

/* CS: a code segment (#TS), present (#NP), DPL matching RPL (#TS). */
static int ts_check_cs(u16 sel, const struct vessel_desc *d, u32 ext,
		       u32 *error)
{
	unsigned int rpl = sel & 3, dpl, type;

	if (vessel_sel_null(sel) || !d || !(d->ar & VESSEL_AR_S) ||
	    !(VESSEL_AR_TYPE(d->ar) & VESSEL_TYPE_CODE))
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	if (!(d->ar & VESSEL_AR_P))
		return ts_fault(VESSEL_TS_VEC_NP, sel, ext, error);
	type = VESSEL_AR_TYPE(d->ar);
	dpl = VESSEL_AR_DPL(d->ar);
	/* Nonconforming: DPL = RPL; conforming: DPL <= RPL. */
	if ((type & VESSEL_TYPE_DC) ? dpl > rpl : dpl != rpl)
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	return 0;
}

/* SS: writable data (#TS), present (#SS), RPL = DPL = CPL (#TS). */
static int ts_check_ss(u16 sel, const struct vessel_desc *d,
		       unsigned int cpl, u32 ext, u32 *error)
{
	unsigned int type;

	if (vessel_sel_null(sel) || !d || !(d->ar & VESSEL_AR_S))
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	type = VESSEL_AR_TYPE(d->ar);
	if ((type & VESSEL_TYPE_CODE) || !(type & VESSEL_TYPE_RW))
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	if (!(d->ar & VESSEL_AR_P))
		return ts_fault(VESSEL_TS_VEC_SS, sel, ext, error);
	if ((sel & 3) != cpl || VESSEL_AR_DPL(d->ar) != cpl)
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	return 0;
}

/*
 * DS, ES, FS, GS: data or readable code (#TS), present (#NP), and unless
 * conforming code, DPL >= both CPL and RPL (#TS).
 */
static int ts_check_data(u16 sel, const struct vessel_desc *d,
			 unsigned int cpl, u32 ext, u32 *error)
{
	unsigned int type, dpl;

	if (vessel_sel_null(sel))
		return 0;
	if (!d || !(d->ar & VESSEL_AR_S))
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	type = VESSEL_AR_TYPE(d->ar);
	if ((type & VESSEL_TYPE_CODE) && !(type & VESSEL_TYPE_RW))
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	if (!(d->ar & VESSEL_AR_P))
		return ts_fault(VESSEL_TS_VEC_NP, sel, ext, error);
	dpl = VESSEL_AR_DPL(d->ar);
	if ((type & (VESSEL_TYPE_CODE | VESSEL_TYPE_DC)) !=
	    (VESSEL_TYPE_CODE | VESSEL_TYPE_DC) &&
	    (dpl < cpl || dpl < (sel & 3U)))
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	return 0;
}

int vessel_ts_check_seg(unsigned int seg, u16 sel,
			const struct vessel_desc *d, unsigned int cpl,
			u32 ext, u32 *error)
{
	switch (seg) {
	case VESSEL_SEG_LDTR:
		return ts_check_ldt(sel, d, ext, error);
	case VESSEL_SEG_CS:
		return ts_check_cs(sel, d, ext, error);
	case VESSEL_SEG_SS:
		return ts_check_ss(sel, d, cpl, ext, error);
	case VESSEL_SEG_ES:
	case VESSEL_SEG_DS:
	case VESSEL_SEG_FS:
	case VESSEL_SEG_GS:
		return ts_check_data(sel, d, cpl, ext, error);
	default:
		return ts_fault(VESSEL_TS_VEC_TS, sel, ext, error);
	}
}
