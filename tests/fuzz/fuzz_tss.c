// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the task-switch checks (kmod/emulate/tss.c), which the module
 * runs on descriptors and TSS images read from guest memory.
 *
 * Input: a header (two raw descriptors, a selector, the switch source, the
 * EXT bit, the segment register, the CPL, 16- or 32-bit TSS), then the TSS
 * bytes.  Checks, besides the sanitizers: a decoded descriptor has only the
 * access-right bits a descriptor holds and a G-scaled limit; a TSS parsed,
 * saved and parsed again keeps its dynamic fields; every check returns 0 or
 * one of #TS, #NP, #SS, #GP with an error code built from the selector and
 * EXT.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tss.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

struct hdr {
	uint64_t tss_desc;
	uint64_t seg_desc;
	uint16_t sel;
	uint8_t source;
	uint8_t ext;
	uint8_t seg;
	uint8_t cpl;
	uint8_t is32;
	uint8_t null_desc;
};

static void fault_check(int vec, u32 error, u16 sel, u32 ext)
{
	CHECK(vec == 0 || vec == VESSEL_TS_VEC_TS || vec == VESSEL_TS_VEC_NP ||
	      vec == VESSEL_TS_VEC_SS || vec == VESSEL_TS_VEC_GP);
	if (vec)
		CHECK(error == ((sel & 0xfffcU) | ext));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vessel_tss t, u;
	struct vessel_desc d;
	unsigned int tss_size, dyn_off, dyn_len;
	struct hdr h;
	uint8_t *buf, *dyn;
	bool is32;
	u32 error = 0, ext;
	int vec;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	is32 = h.is32 & 1;
	ext = h.ext & 1;
	tss_size = is32 ? VESSEL_TSS32_SIZE : VESSEL_TSS16_SIZE;
	dyn_off = is32 ? VESSEL_TSS32_DYN_OFF : VESSEL_TSS16_DYN_OFF;
	dyn_len = is32 ? VESSEL_TSS32_DYN_LEN : VESSEL_TSS16_DYN_LEN;

	vessel_desc_decode(h.tss_desc, &d);
	CHECK(!(d.ar & ~0xf0ffU));
	if (d.ar & VESSEL_AR_G)
		CHECK((d.limit & 0xfff) == 0xfff);
	else
		CHECK(d.limit <= 0xfffff);
	vec = vessel_ts_check_tss(h.sel, h.null_desc & 1 ? NULL : &d,
				  h.source & 3, ext, &error);
	fault_check(vec, error, h.sel, ext);

	vessel_desc_decode(h.seg_desc, &d);
	vec = vessel_ts_check_seg(h.seg % 7, h.sel, h.null_desc & 2 ? NULL : &d,
				  h.cpl & 3, ext, &error);
	fault_check(vec, error, h.sel, ext);

	/* The TSS image: exactly its size on the heap, zero-padded input. */
	buf = calloc(1, tss_size);
	memcpy(buf, data + sizeof(h),
	       size - sizeof(h) < tss_size ? size - sizeof(h) : tss_size);
	vessel_tss_parse(buf, is32, &t);
	if (!is32)
		CHECK(!t.sel[4] && !t.sel[5] && !t.cr3 && !t.trap);
	dyn = malloc(dyn_len);
	memcpy(dyn, buf + dyn_off, dyn_len);
	vessel_tss_save(dyn, is32, &t);
	/* Saving what was parsed writes the same bytes back. */
	CHECK(!memcmp(dyn, buf + dyn_off, dyn_len));
	t.eip ^= 0x12345678;
	t.gpr[3] ^= 0xffff;
	vessel_tss_save(dyn, is32, &t);
	memcpy(buf + dyn_off, dyn, dyn_len);
	vessel_tss_parse(buf, is32, &u);
	CHECK(u.eip == (is32 ? t.eip : (t.eip & 0xffff)));
	CHECK(u.gpr[3] == (is32 ? t.gpr[3] : (t.gpr[3] & 0xffff)));
	CHECK(u.link == t.link && u.ldt == t.ldt);
	free(dyn);
	free(buf);
	return 0;
}
