// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the MMIO instruction decoder and emulator
 * (kmod/emulate/emulate.c), as the module runs it on the bytes at a guest's RIP.
 *
 * Input: byte 0 picks the code size (16, 32, 64, or another value), the
 * next 16 bytes are the instruction (fewer if the input is shorter), the
 * rest seeds the memory value, register and RFLAGS the instruction runs on.
 *
 * Besides the sanitizers, it checks what the decoder promises: it never
 * reads past @len; a decoded instruction is 1..15 bytes and decodes the
 * same from exactly its own bytes, and one byte short of them it is
 * -ENODATA; sizes and register numbers are in range.  The ALU results and
 * flags are compared with the host CPU executing the same instruction.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <asm/processor-flags.h>

#include "emulate.h"

#define STATUS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | \
		 X86_EFLAGS_SF | X86_EFLAGS_OF)

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

/* ------------------------------------------- the host CPU as reference */

/* Below RSP is the red zone: step over it before pushing. */
#define PRE	"lea -128(%%rsp), %%rsp\n\tpush %[f]\n\tpopfq\n\t"
#define POST	"\n\tpushfq\n\tpop %[f]\n\tlea 128(%%rsp), %%rsp"

#define NATIVE2(fn, insn, type, cons)					\
static uint64_t fn(uint64_t dst, uint64_t src, uint64_t *fl)		\
{									\
	type d = dst, s = src;						\
	uint64_t f = (*fl & STATUS) | 2;				\
									\
	asm(PRE insn " %[s], %[d]" POST					\
	    : [d] "+" cons(d), [f] "+r"(f) : [s] cons(s) : "cc");	\
	*fl = f;							\
	return d;							\
}

#define NATIVE1(fn, insn, type, cons)					\
static uint64_t fn(uint64_t dst, uint64_t src, uint64_t *fl)		\
{									\
	type d = dst;							\
	uint64_t f = (*fl & STATUS) | 2;				\
									\
	(void)src;							\
	asm(PRE insn " %[d]" POST : [d] "+" cons(d), [f] "+r"(f) : : "cc"); \
	*fl = f;							\
	return d;							\
}

NATIVE2(add_1, "addb", uint8_t, "q")
NATIVE2(add_2, "addw", uint16_t, "r")
NATIVE2(add_4, "addl", uint32_t, "r")
NATIVE2(add_8, "addq", uint64_t, "r")

NATIVE2(or_1, "orb", uint8_t, "q")
NATIVE2(or_2, "orw", uint16_t, "r")
NATIVE2(or_4, "orl", uint32_t, "r")
NATIVE2(or_8, "orq", uint64_t, "r")

NATIVE2(adc_1, "adcb", uint8_t, "q")
NATIVE2(adc_2, "adcw", uint16_t, "r")
NATIVE2(adc_4, "adcl", uint32_t, "r")
NATIVE2(adc_8, "adcq", uint64_t, "r")

NATIVE2(sbb_1, "sbbb", uint8_t, "q")
NATIVE2(sbb_2, "sbbw", uint16_t, "r")
NATIVE2(sbb_4, "sbbl", uint32_t, "r")
NATIVE2(sbb_8, "sbbq", uint64_t, "r")

NATIVE2(and_1, "andb", uint8_t, "q")
NATIVE2(and_2, "andw", uint16_t, "r")
NATIVE2(and_4, "andl", uint32_t, "r")
NATIVE2(and_8, "andq", uint64_t, "r")

NATIVE2(sub_1, "subb", uint8_t, "q")
NATIVE2(sub_2, "subw", uint16_t, "r")
NATIVE2(sub_4, "subl", uint32_t, "r")
NATIVE2(sub_8, "subq", uint64_t, "r")

NATIVE2(xor_1, "xorb", uint8_t, "q")
NATIVE2(xor_2, "xorw", uint16_t, "r")
NATIVE2(xor_4, "xorl", uint32_t, "r")
NATIVE2(xor_8, "xorq", uint64_t, "r")

NATIVE2(cmp_1, "cmpb", uint8_t, "q")
NATIVE2(cmp_2, "cmpw", uint16_t, "r")
NATIVE2(cmp_4, "cmpl", uint32_t, "r")
NATIVE2(cmp_8, "cmpq", uint64_t, "r")

NATIVE2(test_1, "testb", uint8_t, "q")
NATIVE2(test_2, "testw", uint16_t, "r")
NATIVE2(test_4, "testl", uint32_t, "r")
NATIVE2(test_8, "testq", uint64_t, "r")

NATIVE1(inc_1, "incb", uint8_t, "q")
NATIVE1(inc_2, "incw", uint16_t, "r")
NATIVE1(inc_4, "incl", uint32_t, "r")
NATIVE1(inc_8, "incq", uint64_t, "r")

NATIVE1(dec_1, "decb", uint8_t, "q")
NATIVE1(dec_2, "decw", uint16_t, "r")
NATIVE1(dec_4, "decl", uint32_t, "r")
NATIVE1(dec_8, "decq", uint64_t, "r")

NATIVE1(not_1, "notb", uint8_t, "q")
NATIVE1(not_2, "notw", uint16_t, "r")
NATIVE1(not_4, "notl", uint32_t, "r")
NATIVE1(not_8, "notq", uint64_t, "r")

NATIVE1(neg_1, "negb", uint8_t, "q")
NATIVE1(neg_2, "negw", uint16_t, "r")
NATIVE1(neg_4, "negl", uint32_t, "r")
NATIVE1(neg_8, "negq", uint64_t, "r")

typedef uint64_t (*native_fn)(uint64_t, uint64_t, uint64_t *);

#define ROW(name)	{ name##_1, name##_2, NULL, name##_4, NULL, NULL, NULL, name##_8 }

/* Indexed by VESSEL_MMIO_OP_* and size - 1. */
static const native_fn natives[][8] = {
	[VESSEL_MMIO_OP_ADD] = ROW(add), [VESSEL_MMIO_OP_OR] = ROW(or),
	[VESSEL_MMIO_OP_ADC] = ROW(adc), [VESSEL_MMIO_OP_SBB] = ROW(sbb),
	[VESSEL_MMIO_OP_AND] = ROW(and), [VESSEL_MMIO_OP_SUB] = ROW(sub),
	[VESSEL_MMIO_OP_XOR] = ROW(xor), [VESSEL_MMIO_OP_CMP] = ROW(cmp),
	[VESSEL_MMIO_OP_TEST] = ROW(test), [VESSEL_MMIO_OP_INC] = ROW(inc),
	[VESSEL_MMIO_OP_DEC] = ROW(dec), [VESSEL_MMIO_OP_NOT] = ROW(not),
	[VESSEL_MMIO_OP_NEG] = ROW(neg),
};

static uint64_t mask_of(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* vessel_alu() against the CPU, on the flags the SDM defines for @op. */
static void alu_check(unsigned int op, unsigned int size, uint64_t dst,
		      uint64_t src, uint64_t rflags)
{
	uint64_t f_emu = rflags, f_cpu = rflags, r_emu, r_cpu, defined = STATUS;
	native_fn fn = natives[op][size - 1];

	r_emu = vessel_alu(op, size, dst, src, &f_emu);
	/* Only status flags change, the result fits the size. */
	CHECK(!((f_emu ^ rflags) & ~(uint64_t)STATUS));
	CHECK(!(r_emu & ~mask_of(size)));
	if (!fn)
		return;
	r_cpu = fn(dst, src, &f_cpu) & mask_of(size);
	switch (op) {
	case VESSEL_MMIO_OP_CMP:
		r_cpu = (dst - src) & mask_of(size);
		break;
	case VESSEL_MMIO_OP_TEST:
		r_cpu = dst & src & mask_of(size);
		break;
	case VESSEL_MMIO_OP_AND:
	case VESSEL_MMIO_OP_OR:
	case VESSEL_MMIO_OP_XOR:
		defined &= ~X86_EFLAGS_AF;	/* undefined (SDM) */
		break;
	case VESSEL_MMIO_OP_NOT:
		defined = 0;
		break;
	}
	CHECK(r_emu == r_cpu);
	CHECK(!((f_emu ^ f_cpu) & defined));
}

/* ---------------------------------------------------------- the input */

static uint64_t take64(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;
	size_t k = *n < 8 ? *n : 8;

	memcpy(&v, *p, k);
	*p += k;
	*n -= k;
	return v;
}

static void insn_check(const struct vessel_mmio_insn *a, unsigned int len)
{
	CHECK(a->length >= 1 && a->length <= VESSEL_INSN_MAX_LEN && a->length <= len);
	CHECK(a->size == 1 || a->size == 2 || a->size == 4 || a->size == 8);
	CHECK(a->dst_size == 0 || a->dst_size == 1 || a->dst_size == 2 ||
	      a->dst_size == 4 || a->dst_size == 8);
	CHECK(a->reg < 16);
	CHECK(a->op <= VESSEL_MMIO_OP_XCHG);
	CHECK(a->ext <= VESSEL_MMIO_EXT_SIGN);
	CHECK(a->addr_size == 2 || a->addr_size == 4 || a->addr_size == 8);
	CHECK(!a->high_byte || a->reg < 4);
	CHECK(!(a->flags & VESSEL_MMIO_SEG) || a->seg < 6);
	CHECK(!(a->flags & VESSEL_MMIO_IMM) || !(a->imm & ~mask_of(a->size)));
}

/* What an instruction may do to its register: its width, no more. */
static void reg_check(const struct vessel_mmio_insn *a, uint64_t before,
		      uint64_t after)
{
	uint64_t d = before ^ after;

	switch (a->dst_size) {
	case 0:
		CHECK(!d);
		break;
	case 1:
		CHECK(!(d & ~(a->high_byte ? 0xff00ULL : 0xffULL)));
		break;
	case 2:
		CHECK(!(d & ~0xffffULL));
		break;
	case 4:
		CHECK(!(after >> 32));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int modes[] = { 16, 32, 64, 0, 8 };
	struct vessel_mmio_insn a, b;
	const uint8_t *p;
	unsigned int mode, len;
	uint64_t mem, reg, rflags, r2, f2, rdi, rcx, rdi0, rcx0, out;
	uint8_t *bytes;
	size_t n;
	int ret;

	if (size < 1)
		return 0;
	mode = modes[data[0] % 5];
	len = size - 1 < 16 ? size - 1 : 16;
	/* Exactly @len bytes on the heap: a read past them is an ASan error. */
	bytes = malloc(len ? len : 1);
	memcpy(bytes, data + 1, len);
	p = data + 1 + len;
	n = size - 1 - len;
	mem = take64(&p, &n);
	reg = take64(&p, &n);
	rflags = (take64(&p, &n) & (STATUS | X86_EFLAGS_DF)) | 2;

	ret = vessel_decode_mmio(bytes, len, mode, &a);
	CHECK(ret == 0 || ret == -ENODATA || ret == -EINVAL || ret == -EOPNOTSUPP);
	if (mode != 16 && mode != 32 && mode != 64)
		CHECK(ret == -EINVAL);
	if (ret) {
		free(bytes);
		return 0;
	}
	insn_check(&a, len);

	/* The same from exactly its own bytes; one short is incomplete. */
	free(bytes);
	bytes = malloc(a.length);
	memcpy(bytes, data + 1, a.length);
	CHECK(vessel_decode_mmio(bytes, a.length, mode, &b) == 0);
	CHECK(!memcmp(&a, &b, sizeof(a)));
	CHECK(vessel_decode_mmio(bytes, a.length - 1, mode, &b) == -ENODATA);
	free(bytes);

	/* Execution: the register and flags change as far as allowed. */
	r2 = reg;
	f2 = rflags;
	out = vessel_mmio_execute(&a, mem, &r2, &f2);
	CHECK(!((f2 ^ rflags) & ~(uint64_t)STATUS));
	if (a.op == VESSEL_MMIO_OP_MOV || a.op == VESSEL_MMIO_OP_XCHG ||
	    !(a.flags & VESSEL_MMIO_REG_DST))
		CHECK(!(out & ~mask_of(a.size)));
	reg_check(&a, reg, r2);
	if (a.op != VESSEL_MMIO_OP_MOV && a.op != VESSEL_MMIO_OP_XCHG)
		alu_check(a.op, a.size, mem, vessel_mmio_store_data(&a, reg), rflags);
	CHECK(!(vessel_mmio_store_data(&a, reg) & ~mask_of(a.size)));
	/* Loads (callers use it only with a register to write). */
	if (a.dst_size)
		reg_check(&a, reg, vessel_mmio_load_result(&a, reg, mem));

	if (a.flags & VESSEL_MMIO_STRING) {
		rdi = rdi0 = mem;
		rcx = rcx0 = reg;
		vessel_mmio_string_step(&a, rflags & X86_EFLAGS_DF, &rdi, &rcx);
		/* Only the address-size bits move (32-bit writes zero-extend). */
		if (a.addr_size == 2) {
			CHECK(!((rdi ^ rdi0) & ~0xffffULL));
			CHECK(!((rcx ^ rcx0) & ~0xffffULL));
		} else if (a.addr_size == 4) {
			CHECK(!(rdi >> 32));
		}
		if (!(a.flags & VESSEL_MMIO_REP))
			CHECK(rcx == rcx0);
	}
	return 0;
}
