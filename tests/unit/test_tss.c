// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the task-switch logic (kmod/emulate/tss.c): descriptor
 * decoding, the TSS layouts, and the exception and error code of every
 * check (SDM Vol. 3A 7.3, Table 7-1).
 */
#include <stdlib.h>

#include "emulate/tss.h"
#include "tap.h"
#include "vessel.h"

/* A descriptor: base, 20-bit limit, access byte, flags nibble (G D L AVL). */
static u64 desc(u32 base, u32 limit, u8 access, u8 flags)
{
	return (limit & 0xffff) | (u64)(base & 0xffff) << 16 |
	       (u64)((base >> 16) & 0xff) << 32 | (u64)access << 40 |
	       (u64)((limit >> 16) & 0xf) << 48 | (u64)(flags & 0xf) << 52 |
	       (u64)(base >> 24) << 56;
}

static struct vessel_desc dec(u64 raw)
{
	struct vessel_desc d;

	vessel_desc_decode(raw, &d);
	return d;
}

static void test_desc_decode(void)
{
	struct vessel_desc d = dec(desc(0x12345678, 0xabcde, 0x9b, 0xc));

	CHECK_EQ(d.base, 0x12345678);
	CHECK_EQ(d.limit, 0xabcdefff);	/* G: scaled by 4 KiB */
	CHECK_EQ(d.ar, 0xc09b);
	d = dec(desc(0x3000, 0x67, 0x89, 0));
	CHECK_EQ(d.base, 0x3000);
	CHECK_EQ(d.limit, 0x67);
	CHECK_EQ(d.ar, 0x89);
	/* The kernel's own flat code segment, 0x00cf9a000000ffff. */
	d = dec(0x00cf9a000000ffffULL);
	CHECK_EQ(d.base, 0);
	CHECK_EQ(d.limit, 0xffffffff);
	CHECK_EQ(d.ar, 0xc09a);
}

static void test_tss32_layout(void)
{
	u8 buf[VESSEL_TSS32_SIZE], dyn[VESSEL_TSS32_DYN_LEN];
	struct vessel_tss t, u;
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i;
	vessel_tss_parse(buf, true, &t);
	CHECK_EQ(t.link, 0x0100);
	CHECK_EQ(t.cr3, 0x1f1e1d1c);
	CHECK_EQ(t.eip, 0x23222120);
	CHECK_EQ(t.eflags, 0x27262524);
	CHECK_EQ(t.gpr[VESSEL_GPR_RAX], 0x2b2a2928);
	CHECK_EQ(t.gpr[VESSEL_GPR_RSP], 0x3b3a3938);
	CHECK_EQ(t.gpr[VESSEL_GPR_RDI], 0x47464544);
	CHECK_EQ(t.sel[VESSEL_SEG_ES], 0x4948);
	CHECK_EQ(t.sel[VESSEL_SEG_CS], 0x4d4c);
	CHECK_EQ(t.sel[VESSEL_SEG_GS], 0x5d5c);
	CHECK_EQ(t.ldt, 0x6160);
	CHECK_EQ(t.trap, 0);	/* 0x64 is even */

	/* Saving writes the fields and keeps the reserved halves. */
	memcpy(dyn, buf + VESSEL_TSS32_DYN_OFF, sizeof(dyn));
	memset(&u, 0, sizeof(u));
	u.eip = 0xdeadbeef;
	u.sel[VESSEL_SEG_FS] = 0x1234;
	vessel_tss_save(dyn, true, &u);
	CHECK_EQ(dyn[0], 0xef);
	CHECK_EQ(dyn[3], 0xde);
	CHECK_EQ(dyn[0x58 - 0x20], 0x34);
	CHECK_EQ(dyn[0x59 - 0x20], 0x12);
	CHECK_EQ(dyn[0x5a - 0x20], 0x5a);	/* reserved: untouched */
	CHECK_EQ(dyn[0x4a - 0x20], 0x4a);
	/* Round trip through a whole TSS. */
	memcpy(buf + VESSEL_TSS32_DYN_OFF, dyn, sizeof(dyn));
	buf[0x64] = 1;
	vessel_tss_parse(buf, true, &t);
	CHECK_EQ(t.eip, 0xdeadbeef);
	CHECK_EQ(t.sel[VESSEL_SEG_FS], 0x1234);
	CHECK_EQ(t.gpr[VESSEL_GPR_RBX], 0);
	CHECK_EQ(t.trap, 1);
}

static void test_tss16_layout(void)
{
	u8 buf[VESSEL_TSS16_SIZE], dyn[VESSEL_TSS16_DYN_LEN];
	struct vessel_tss t;
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i;
	vessel_tss_parse(buf, false, &t);
	CHECK_EQ(t.eip, 0x0f0e);
	CHECK_EQ(t.eflags, 0x1110);
	CHECK_EQ(t.gpr[VESSEL_GPR_RAX], 0x1312);
	CHECK_EQ(t.gpr[VESSEL_GPR_RDI], 0x2120);
	CHECK_EQ(t.sel[VESSEL_SEG_ES], 0x2322);
	CHECK_EQ(t.sel[VESSEL_SEG_DS], 0x2928);
	CHECK_EQ(t.sel[VESSEL_SEG_FS], 0);
	CHECK_EQ(t.ldt, 0x2b2a);
	CHECK_EQ(t.cr3, 0);

	t.eip = 0x12345678;	/* only IP is stored */
	t.gpr[VESSEL_GPR_RDI] = 0xbeef;
	vessel_tss_save(dyn, false, &t);
	CHECK_EQ(dyn[0], 0x78);
	CHECK_EQ(dyn[1], 0x56);
	CHECK_EQ(dyn[0x20 - 0x0e], 0xef);
	CHECK_EQ(dyn[0x28 - 0x0e], 0x28);	/* DS */
	CHECK_EQ(dyn[0x29 - 0x0e], 0x29);
}

#define TSS32(access, limit)	dec(desc(0x3000, limit, access, 0))

static int check_tss(u16 sel, u64 raw, bool present_in_gdt,
		     unsigned int source, u32 ext, u32 *err)
{
	struct vessel_desc d = dec(raw);

	*err = 0xdead;
	return vessel_ts_check_tss(sel, present_in_gdt ? &d : NULL, source,
				   ext, err);
}

static void test_check_tss(void)
{
	u32 err;

	/* Available 32- and 16-bit TSS for CALL, JMP, gates. */
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x67, 0x89, 0), 1, VESSEL_TS_CALL, 0, &err), 0);
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x2b, 0x81, 0), 1, VESSEL_TS_JMP, 0, &err), 0);
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x67, 0x89, 0), 1, VESSEL_TS_GATE, 1, &err), 0);
	/* IRET needs a busy one. */
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x67, 0x8b, 0), 1, VESSEL_TS_IRET, 0, &err), 0);
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x67, 0x89, 0), 1, VESSEL_TS_IRET, 0, &err),
		 VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0x28);
	/* Busy on CALL: #GP(selector). */
	CHECK_EQ(check_tss(0x2b, desc(0x3000, 0x67, 0x8b, 0), 1, VESSEL_TS_CALL, 0, &err),
		 VESSEL_TS_VEC_GP);
	CHECK_EQ(err, 0x28);
	/* Not present: #NP(selector), with EXT for an external event. */
	CHECK_EQ(check_tss(0x30, desc(0x3000, 0x67, 0x09, 0), 1, VESSEL_TS_GATE, 1, &err),
		 VESSEL_TS_VEC_NP);
	CHECK_EQ(err, 0x31);
	CHECK_EQ(check_tss(0x30, desc(0x3000, 0x67, 0x09, 0), 1, VESSEL_TS_JMP, 0, &err),
		 VESSEL_TS_VEC_NP);
	CHECK_EQ(err, 0x30);
	/* Limit below 0x67 (32-bit) or 0x2b (16-bit): #TS(selector). */
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x66, 0x89, 0), 1, VESSEL_TS_JMP, 0, &err),
		 VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0x28);
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x2a, 0x81, 0), 1, VESSEL_TS_CALL, 0, &err),
		 VESSEL_TS_VEC_TS);
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x2b, 0x89, 0), 1, VESSEL_TS_CALL, 0, &err),
		 VESSEL_TS_VEC_TS);
	/* Not a TSS (an LDT, a code segment), or outside the GDT. */
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x67, 0x82, 0), 1, VESSEL_TS_JMP, 0, &err),
		 VESSEL_TS_VEC_GP);
	CHECK_EQ(check_tss(0x28, desc(0x3000, 0x67, 0x9b, 0), 1, VESSEL_TS_CALL, 0, &err),
		 VESSEL_TS_VEC_GP);
	CHECK_EQ(check_tss(0x80, 0, 0, VESSEL_TS_CALL, 0, &err), VESSEL_TS_VEC_GP);
	CHECK_EQ(err, 0x80);
	CHECK_EQ(check_tss(0x80, 0, 0, VESSEL_TS_IRET, 0, &err), VESSEL_TS_VEC_TS);
}

static int check_seg(unsigned int seg, u16 sel, u64 raw, bool in_table,
		     unsigned int cpl, u32 *err)
{
	struct vessel_desc d = dec(raw);

	*err = 0xdead;
	return vessel_ts_check_seg(seg, sel, in_table ? &d : NULL, cpl, 0, err);
}

static void test_check_segs(void)
{
	u64 code0 = desc(0, 0xfffff, 0x9b, 0xc), code3 = desc(0, 0xfffff, 0xfb, 0xc);
	u64 data0 = desc(0, 0xfffff, 0x93, 0xc), data3 = desc(0, 0xfffff, 0xf3, 0xc);
	u64 conf0 = desc(0, 0xfffff, 0x9f, 0xc), xonly = desc(0, 0xfffff, 0x99, 0xc);
	u64 ldt = desc(0x5000, 0xff, 0x82, 0);
	u32 err;

	CHECK_EQ(check_seg(VESSEL_SEG_CS, 0x10, code0, 1, 0, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_CS, 0x1b, code3, 1, 3, &err), 0);
	/* Nonconforming code: DPL must equal RPL. */
	CHECK_EQ(check_seg(VESSEL_SEG_CS, 0x13, code0, 1, 3, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0x10);
	/* Conforming code: DPL <= RPL is fine. */
	CHECK_EQ(check_seg(VESSEL_SEG_CS, 0x13, conf0, 1, 3, &err), 0);
	/* Null CS, data as CS, not present CS. */
	CHECK_EQ(check_seg(VESSEL_SEG_CS, 0, 0, 1, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0);
	CHECK_EQ(check_seg(VESSEL_SEG_CS, 0x18, data0, 1, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(check_seg(VESSEL_SEG_CS, 0x10, code0 & ~(1ULL << 47), 1, 0, &err),
		 VESSEL_TS_VEC_NP);
	CHECK_EQ(err, 0x10);

	/* SS: writable data at DPL = RPL = CPL; not present is #SS. */
	CHECK_EQ(check_seg(VESSEL_SEG_SS, 0x18, data0, 1, 0, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_SS, 0x18, data0 & ~(1ULL << 47), 1, 0, &err),
		 VESSEL_TS_VEC_SS);
	CHECK_EQ(err, 0x18);
	CHECK_EQ(check_seg(VESSEL_SEG_SS, 0x1b, data0, 1, 3, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(check_seg(VESSEL_SEG_SS, 0x18, data3, 1, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(check_seg(VESSEL_SEG_SS, 0x18, desc(0, 0xfffff, 0x91, 0xc), 1, 0, &err),
		 VESSEL_TS_VEC_TS);	/* read-only */
	CHECK_EQ(check_seg(VESSEL_SEG_SS, 0, 0, 1, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(check_seg(VESSEL_SEG_SS, 0x100, 0, 0, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0x100);

	/* Data: null fine; readable; present (#NP); DPL >= CPL, RPL. */
	CHECK_EQ(check_seg(VESSEL_SEG_DS, 0, 0, 1, 3, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_DS, 0x18, data0, 1, 0, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_ES, 0x10, code0, 1, 0, &err), 0);	/* readable code */
	CHECK_EQ(check_seg(VESSEL_SEG_FS, 0x10, xonly, 1, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(check_seg(VESSEL_SEG_GS, 0x18, data0 & ~(1ULL << 47), 1, 0, &err),
		 VESSEL_TS_VEC_NP);
	CHECK_EQ(err, 0x18);
	CHECK_EQ(check_seg(VESSEL_SEG_DS, 0x1b, data0, 1, 3, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0x18);
	CHECK_EQ(check_seg(VESSEL_SEG_DS, 0x1b, data3, 1, 3, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_DS, 0x1b, conf0, 1, 3, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_DS, 0x1c, 0, 0, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0x1c);	/* TI kept */

	/* LDTR: null fine; an LDT, present, in the GDT; else #TS. */
	CHECK_EQ(check_seg(VESSEL_SEG_LDTR, 0, 0, 1, 0, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_LDTR, 0x38, ldt, 1, 0, &err), 0);
	CHECK_EQ(check_seg(VESSEL_SEG_LDTR, 0x38, ldt & ~(1ULL << 47), 1, 0, &err),
		 VESSEL_TS_VEC_TS);
	CHECK_EQ(check_seg(VESSEL_SEG_LDTR, 0x38, data0, 1, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(check_seg(VESSEL_SEG_LDTR, 0x3c, 0, 0, 0, &err), VESSEL_TS_VEC_TS);
	CHECK_EQ(err, 0x3c);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_desc_decode),
		TAP_TEST(test_tss32_layout),
		TAP_TEST(test_tss16_layout),
		TAP_TEST(test_check_tss),
		TAP_TEST(test_check_segs),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
