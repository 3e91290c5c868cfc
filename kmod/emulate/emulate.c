// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: decoding of the guest instructions that access MMIO.
 *
 * Only what an EPT violation on an MMIO page can come from in practice: the
 * MOV forms, MOVZX/MOVSX and STOS; the reads that only set flags (TEST,
 * CMP); the ALU instructions with memory as source or destination (ADD,
 * OR, ADC, SBB, AND, SUB, XOR, INC, DEC, NOT, NEG); XCHG.  The memory
 * address is not computed (the VM exit gives the GPA); ModRM, SIB and
 * displacement are parsed only to find where the instruction ends.
 * Opcodes come from one table.
 *
 * No kernel-only API here: tests/unit/test_emulate.c builds this file too.
 */
#include <asm/processor-flags.h>

#include "emulate/emulate.h"
#include "vessel.h"

/* Opcode properties. */
#define OP_MODRM	(1U << 0)	/* ModRM (+SIB, disp) names the memory */
#define OP_MOFFS	(1U << 1)	/* address-size offset, register rAX */
#define OP_STRING	(1U << 2)	/* STOS: memory at ES:rDI, source rAX */
#define OP_BYTE		(1U << 3)	/* memory operand is 8 bits */
#define OP_WORD		(1U << 4)	/* memory operand is 16 bits */
#define OP_WRITE	(1U << 5)	/* memory is the destination */
#define OP_ZX		(1U << 7)	/* MOVZX */
#define OP_SX		(1U << 8)	/* MOVSX */
#define OP_IMM8		(1U << 9)	/* imm8, sign-extended (83) */
#define OP_REG_DST	(1U << 10)	/* ALU: register op memory */

#define MAP_ONE		0	/* one-byte opcode */
#define MAP_0F		1	/* 0F xx */

/* Opcodes whose ModRM.reg is an extension: SDM Vol. 2D A.4 (Table A-6). */
#define GRP_NONE	0
#define GRP_1		1	/* 80, 81, 83: ADD..CMP by digit, immediate */
#define GRP_3		2	/* F6, F7: /0 TEST imm, /2 NOT, /3 NEG */
#define GRP_11		3	/* C6, C7: /0 MOV with immediate */
#define GRP_5		4	/* FE, FF: /0 INC, /1 DEC */

struct vessel_opcode {
	u8 map;
	u8 opcode;
	u8 op;		/* VESSEL_MMIO_OP_*, unless set by the group */
	u8 group;	/* GRP_* */
	u16 flags;
};

/* An ALU form with ModRM, computing VESSEL_MMIO_OP_@name. */
#define ALU(opc, name, fl)						\
	{ MAP_ONE, opc, VESSEL_MMIO_OP_##name, GRP_NONE, OP_MODRM | (fl) }
#define GROUP(opc, grp, fl)						\
	{ MAP_ONE, opc, VESSEL_MMIO_OP_MOV, grp, OP_MODRM | (fl) }

/*
 * SDM Vol. 2B MOV, MOVZX, MOVSX, STOS, XCHG and the ALU instructions;
 * Vol. 2D A.3 opcode maps.  The MOV forms come first: the lookup is a
 * linear scan.
 */
static const struct vessel_opcode vessel_opcodes[] = {
	{ MAP_ONE, 0x88, 0, 0, OP_MODRM | OP_BYTE | OP_WRITE },
	{ MAP_ONE, 0x89, 0, 0, OP_MODRM | OP_WRITE },
	{ MAP_ONE, 0x8a, 0, 0, OP_MODRM | OP_BYTE },
	{ MAP_ONE, 0x8b, 0, 0, OP_MODRM },
	{ MAP_ONE, 0xa0, 0, 0, OP_MOFFS | OP_BYTE },
	{ MAP_ONE, 0xa1, 0, 0, OP_MOFFS },
	{ MAP_ONE, 0xa2, 0, 0, OP_MOFFS | OP_BYTE | OP_WRITE },
	{ MAP_ONE, 0xa3, 0, 0, OP_MOFFS | OP_WRITE },
	{ MAP_ONE, 0xaa, 0, 0, OP_STRING | OP_BYTE | OP_WRITE },
	{ MAP_ONE, 0xab, 0, 0, OP_STRING | OP_WRITE },
	GROUP(0xc6, GRP_11, OP_BYTE | OP_WRITE),
	GROUP(0xc7, GRP_11, OP_WRITE),
	{ MAP_0F, 0xb6, 0, 0, OP_MODRM | OP_BYTE | OP_ZX },
	{ MAP_0F, 0xb7, 0, 0, OP_MODRM | OP_WORD | OP_ZX },
	{ MAP_0F, 0xbe, 0, 0, OP_MODRM | OP_BYTE | OP_SX },
	{ MAP_0F, 0xbf, 0, 0, OP_MODRM | OP_WORD | OP_SX },
	/*
	 * Rows 00-3F: op r/m,r and op r,r/m, 8 bits and not; xx4/xx5 (AL or
	 * rAX with an immediate) have no memory operand.
	 */
	ALU(0x00, ADD, OP_BYTE),
	ALU(0x01, ADD, 0),
	ALU(0x02, ADD, OP_BYTE | OP_REG_DST),
	ALU(0x03, ADD, OP_REG_DST),
	ALU(0x08, OR, OP_BYTE),
	ALU(0x09, OR, 0),
	ALU(0x0a, OR, OP_BYTE | OP_REG_DST),
	ALU(0x0b, OR, OP_REG_DST),
	ALU(0x10, ADC, OP_BYTE),
	ALU(0x11, ADC, 0),
	ALU(0x12, ADC, OP_BYTE | OP_REG_DST),
	ALU(0x13, ADC, OP_REG_DST),
	ALU(0x18, SBB, OP_BYTE),
	ALU(0x19, SBB, 0),
	ALU(0x1a, SBB, OP_BYTE | OP_REG_DST),
	ALU(0x1b, SBB, OP_REG_DST),
	ALU(0x20, AND, OP_BYTE),
	ALU(0x21, AND, 0),
	ALU(0x22, AND, OP_BYTE | OP_REG_DST),
	ALU(0x23, AND, OP_REG_DST),
	ALU(0x28, SUB, OP_BYTE),
	ALU(0x29, SUB, 0),
	ALU(0x2a, SUB, OP_BYTE | OP_REG_DST),
	ALU(0x2b, SUB, OP_REG_DST),
	ALU(0x30, XOR, OP_BYTE),
	ALU(0x31, XOR, 0),
	ALU(0x32, XOR, OP_BYTE | OP_REG_DST),
	ALU(0x33, XOR, OP_REG_DST),
	ALU(0x38, CMP, OP_BYTE),
	ALU(0x39, CMP, 0),
	ALU(0x3a, CMP, OP_BYTE | OP_REG_DST),
	ALU(0x3b, CMP, OP_REG_DST),
	GROUP(0x80, GRP_1, OP_BYTE),
	GROUP(0x81, GRP_1, 0),
	GROUP(0x83, GRP_1, OP_IMM8),
	ALU(0x84, TEST, OP_BYTE),
	ALU(0x85, TEST, 0),
	ALU(0x86, XCHG, OP_BYTE),
	ALU(0x87, XCHG, 0),
	GROUP(0xf6, GRP_3, OP_BYTE),
	GROUP(0xf7, GRP_3, 0),
	GROUP(0xfe, GRP_5, OP_BYTE),
	GROUP(0xff, GRP_5, 0),
};

#define REX_W		0x08
#define REX_R		0x04

struct vessel_decoder {
	const u8 *bytes;
	unsigned int len;
	unsigned int pos;
	unsigned int mode;
	u8 rex;			/* 0, or the REX byte that applies */
	bool opsize_prefix;	/* 66 */
	bool addrsize_prefix;	/* 67 */
};

/*
 * Consumes @n bytes as a little-endian value.  The 15-byte limit is checked
 * first so that an overlong instruction is -EINVAL however much was fetched.
 */
static int vessel_decoder_fetch(struct vessel_decoder *d, unsigned int n,
				u64 *val)
{
	unsigned int i;

	if (d->pos + n > VESSEL_INSN_MAX_LEN)
		return -EINVAL;
	if (d->pos + n > d->len)
		return -ENODATA;
	*val = 0;
	for (i = 0; i < n; i++)
		*val |= (u64)d->bytes[d->pos + i] << (8 * i);
	d->pos += n;
	return 0;
}

static void vessel_decoder_seg(struct vessel_mmio_insn *out, u8 seg)
{
	out->seg = seg;
	out->flags |= VESSEL_MMIO_SEG;
}

/* Records prefix @b; false if @b is not a prefix (so it is the opcode). */
static bool vessel_decoder_prefix(struct vessel_decoder *d, u8 b,
				  struct vessel_mmio_insn *out)
{
	switch (b) {
	case 0x66:
		d->opsize_prefix = true;
		break;
	case 0x67:
		d->addrsize_prefix = true;
		break;
	case 0xf0:
		out->flags |= VESSEL_MMIO_LOCK;
		break;
	case 0xf2:
		out->flags &= ~VESSEL_MMIO_REP;
		out->flags |= VESSEL_MMIO_REPNE;
		break;
	case 0xf3:
		out->flags &= ~VESSEL_MMIO_REPNE;
		out->flags |= VESSEL_MMIO_REP;
		break;
	case 0x26:
		vessel_decoder_seg(out, VESSEL_SEG_ES);
		break;
	case 0x2e:
		vessel_decoder_seg(out, VESSEL_SEG_CS);
		break;
	case 0x36:
		vessel_decoder_seg(out, VESSEL_SEG_SS);
		break;
	case 0x3e:
		vessel_decoder_seg(out, VESSEL_SEG_DS);
		break;
	case 0x64:
		vessel_decoder_seg(out, VESSEL_SEG_FS);
		break;
	case 0x65:
		vessel_decoder_seg(out, VESSEL_SEG_GS);
		break;
	default:
		/* SDM Vol. 2A 2.2.1: 40-4F are REX only in 64-bit mode. */
		if (d->mode == 64 && (b & 0xf0) == 0x40) {
			d->rex = b;
			return true;
		}
		return false;
	}
	/* SDM Vol. 2A 2.2.1: a REX not just before the opcode is ignored. */
	d->rex = 0;
	return true;
}

static const struct vessel_opcode *vessel_opcode_find(u8 map, u8 opcode)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vessel_opcodes); i++)
		if (vessel_opcodes[i].map == map &&
		    vessel_opcodes[i].opcode == opcode)
			return &vessel_opcodes[i];
	return NULL;
}

/* SDM Vol. 1 3.6 and 3.6.1 (Table 3-4): 66 toggles, REX.W wins. */
static unsigned int vessel_decoder_opsize(const struct vessel_decoder *d)
{
	if (d->rex & REX_W)
		return 8;
	if (d->mode == 16)
		return d->opsize_prefix ? 4 : 2;
	return d->opsize_prefix ? 2 : 4;
}

/* SDM Vol. 1 3.6 and 3.6.1 (Table 3-4): 67 toggles 16/32, or 64 to 32. */
static unsigned int vessel_decoder_addrsize(const struct vessel_decoder *d)
{
	if (d->mode == 64)
		return d->addrsize_prefix ? 4 : 8;
	if (d->mode == 16)
		return d->addrsize_prefix ? 4 : 2;
	return d->addrsize_prefix ? 2 : 4;
}

/*
 * Skips the SIB and displacement that follow @modrm (mod != 3).  SDM Vol. 2A
 * 2.1.5 Tables 2-1 (16-bit) and 2-2/2-3 (32/64-bit; in 64-bit mode mod 0
 * rm 5 is RIP-relative with the same disp32, 2.2.1.6; REX.B does not change
 * which encodings take a SIB or displacement, Table 2-5).
 */
static int vessel_decoder_skip_address(struct vessel_decoder *d, u8 modrm,
				       unsigned int addr_size)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7, disp;
	u64 sib;
	int ret;

	if (addr_size == 2) {
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || rm == 6)
			disp = 2;
		else
			disp = 0;
	} else {
		unsigned int base = rm;

		if (rm == 4) {
			ret = vessel_decoder_fetch(d, 1, &sib);
			if (ret)
				return ret;
			base = sib & 7;
		}
		if (mod == 1)
			disp = 1;
		else if (mod == 2 || base == 5)
			disp = 4;
		else
			disp = 0;
	}
	return disp ? vessel_decoder_fetch(d, disp, &sib) : 0;
}

static u64 vessel_mmio_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/*
 * The immediate after the address: imm8 for byte operands; imm8
 * sign-extended for 83; else imm16 or imm32, the latter sign-extended
 * under REX.W (SDM Vol. 2A 2.2.1.5).
 */
static int vessel_decoder_imm(struct vessel_decoder *d,
			      const struct vessel_opcode *op,
			      struct vessel_mmio_insn *out)
{
	unsigned int n = out->size > 4 ? 4 : out->size;
	u64 imm;
	int ret;

	if (op->flags & OP_IMM8)
		n = 1;
	ret = vessel_decoder_fetch(d, n, &imm);
	if (ret)
		return ret;
	if (op->flags & OP_IMM8)
		imm = (u64)(s64)(s8)imm & vessel_mmio_mask(out->size);
	else if (out->size == 8)
		imm = (u64)(s64)(s32)imm;
	out->imm = imm;
	out->flags |= VESSEL_MMIO_IMM;
	return 0;
}

/*
 * The instruction an opcode extension (ModRM.reg @digit) names: 1 if an
 * immediate follows, 0 if not, -EOPNOTSUPP for one not emulated.
 */
static int vessel_decoder_group(const struct vessel_opcode *op,
				unsigned int digit,
				struct vessel_mmio_insn *out)
{
	switch (op->group) {
	case GRP_11:
		return digit ? -EOPNOTSUPP : 1;
	case GRP_1:
		out->op = VESSEL_MMIO_OP_ADD + digit;
		return 1;
	case GRP_3:
		/* /1 is an undocumented alias of TEST; /4-/7 MUL..IDIV. */
		if (digit == 0) {
			out->op = VESSEL_MMIO_OP_TEST;
			return 1;
		}
		if (digit == 2 || digit == 3) {
			out->op = digit == 2 ? VESSEL_MMIO_OP_NOT : VESSEL_MMIO_OP_NEG;
			return 0;
		}
		return -EOPNOTSUPP;
	case GRP_5:
		/* FF /2-/6 are CALL, JMP, PUSH: not data accesses to emulate. */
		if (digit > 1)
			return -EOPNOTSUPP;
		out->op = digit ? VESSEL_MMIO_OP_DEC : VESSEL_MMIO_OP_INC;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* The ModRM forms: register operand, then where the memory operand ends. */
static int vessel_decoder_modrm(struct vessel_decoder *d,
				const struct vessel_opcode *op,
				struct vessel_mmio_insn *out)
{
	int ret, imm = 0;
	u64 modrm;

	ret = vessel_decoder_fetch(d, 1, &modrm);
	if (ret)
		return ret;
	out->reg = (modrm >> 3) & 7;
	if (op->group) {
		imm = vessel_decoder_group(op, out->reg, out);
		if (imm < 0)
			return imm;
		out->reg = 0;
	}
	/* A register operand cannot have caused an EPT violation. */
	if ((modrm >> 6) == 3)
		return -EINVAL;
	ret = vessel_decoder_skip_address(d, modrm, out->addr_size);
	if (ret)
		return ret;
	if (imm)
		return vessel_decoder_imm(d, op, out);
	if (op->group)
		return 0;

	/* SDM Vol. 1 3.4.1.1: without REX, byte registers 4-7 are AH-BH. */
	if (out->size == 1 && !d->rex && out->reg >= 4 &&
	    !(op->flags & (OP_ZX | OP_SX))) {
		out->reg -= 4;
		out->high_byte = true;
	}
	if (d->rex & REX_R)
		out->reg += 8;
	return 0;
}

static void vessel_decoder_sizes(const struct vessel_decoder *d,
				 const struct vessel_opcode *op,
				 struct vessel_mmio_insn *out)
{
	if (op->flags & OP_BYTE)
		out->size = 1;
	else if (op->flags & OP_WORD)
		out->size = 2;
	else
		out->size = vessel_decoder_opsize(d);
	out->addr_size = vessel_decoder_addrsize(d);
	if (op->flags & OP_ZX)
		out->ext = VESSEL_MMIO_EXT_ZERO;
	if (op->flags & OP_SX)
		out->ext = VESSEL_MMIO_EXT_SIGN;
}

/* What is read and written, once a group's digit has named the operation. */
static void vessel_decoder_access(const struct vessel_decoder *d,
				  const struct vessel_opcode *op,
				  struct vessel_mmio_insn *out)
{
	if (out->op == VESSEL_MMIO_OP_MOV) {
		out->is_write = op->flags & OP_WRITE;
		if (!out->is_write)
			out->dst_size = out->ext ? vessel_decoder_opsize(d) :
						   out->size;
		return;
	}
	if (op->flags & OP_REG_DST)
		out->flags |= VESSEL_MMIO_REG_DST;
	switch (out->op) {
	case VESSEL_MMIO_OP_CMP:
	case VESSEL_MMIO_OP_TEST:
		/* The flags only. */
		break;
	case VESSEL_MMIO_OP_XCHG:
		/* Memory to the register, the register to memory. */
		out->dst_size = out->size;
		out->is_write = true;
		out->flags |= VESSEL_MMIO_RMW;
		break;
	default:
		if (op->flags & OP_REG_DST) {
			out->dst_size = out->size;
		} else {
			out->is_write = true;
			out->flags |= VESSEL_MMIO_RMW;
		}
		break;
	}
}

/* Prefixes, then the opcode (one byte, or 0F and one byte). */
static int vessel_decoder_opcode(struct vessel_decoder *d,
				 struct vessel_mmio_insn *out,
				 const struct vessel_opcode **op)
{
	u64 b;
	int ret;

	do {
		ret = vessel_decoder_fetch(d, 1, &b);
		if (ret)
			return ret;
	} while (vessel_decoder_prefix(d, b, out));

	if (b == 0x0f) {
		ret = vessel_decoder_fetch(d, 1, &b);
		if (ret)
			return ret;
		*op = vessel_opcode_find(MAP_0F, b);
	} else {
		*op = vessel_opcode_find(MAP_ONE, b);
	}
	return *op ? 0 : -EOPNOTSUPP;
}

int vessel_decode_mmio(const u8 *bytes, unsigned int len, unsigned int mode,
		       struct vessel_mmio_insn *out)
{
	struct vessel_decoder d = { .bytes = bytes, .len = len, .mode = mode };
	const struct vessel_opcode *op;
	u64 moffs;
	int ret;

	memset(out, 0, sizeof(*out));
	if (mode != 16 && mode != 32 && mode != 64)
		return -EINVAL;

	ret = vessel_decoder_opcode(&d, out, &op);
	if (ret)
		return ret;
	out->op = op->op;
	vessel_decoder_sizes(&d, op, out);

	if (op->flags & OP_MODRM) {
		ret = vessel_decoder_modrm(&d, op, out);
	} else if (op->flags & OP_MOFFS) {
		/* SDM Vol. 2A 2.2.1.4: the offset is address-size wide. */
		ret = vessel_decoder_fetch(&d, out->addr_size, &moffs);
	} else {
		out->flags |= VESSEL_MMIO_STRING;
	}
	if (ret)
		return ret;
	vessel_decoder_access(&d, op, out);
	out->length = d.pos;
	return 0;
}

/* @data widened to 64 bits as the instruction widens it. */
static u64 vessel_mmio_extend(const struct vessel_mmio_insn *insn, u64 data)
{
	unsigned int shift = 64 - 8 * insn->size;

	data &= vessel_mmio_mask(insn->size);
	if (insn->ext == VESSEL_MMIO_EXT_SIGN && shift)
		data = (u64)((s64)(data << shift) >> shift);
	return data;
}

/*
 * SDM Vol. 1 3.4.1.1: 8- and 16-bit destinations leave the other bits alone
 * (AH-BH are bits 15:8), 32-bit destinations zero bits 63:32.
 */
u64 vessel_mmio_load_result(const struct vessel_mmio_insn *insn, u64 old_reg,
			    u64 data)
{
	u64 val = vessel_mmio_extend(insn, data);

	switch (insn->dst_size) {
	case 1:
		if (insn->high_byte)
			return (old_reg & ~0xff00ULL) | ((val & 0xff) << 8);
		return (old_reg & ~0xffULL) | (val & 0xff);
	case 2:
		return (old_reg & ~0xffffULL) | (val & 0xffff);
	case 4:
		return val & 0xffffffffULL;
	default:
		return val;
	}
}

u64 vessel_mmio_store_data(const struct vessel_mmio_insn *insn, u64 reg_val)
{
	u64 val = insn->flags & VESSEL_MMIO_IMM ? insn->imm : reg_val;

	if (insn->high_byte && !(insn->flags & VESSEL_MMIO_IMM))
		val >>= 8;
	return val & vessel_mmio_mask(insn->size);
}

#define VESSEL_STATUS_FLAGS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
				 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

/* PF: set when the low byte of the result has an even number of ones. */
static bool vessel_parity_even(u64 v)
{
	v &= 0xff;
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

/*
 * SDM Vol. 1 3.4.3.1 and the instruction pages of Vol. 2: CF is the carry
 * (borrow) out of the top bit, AF the one out of bit 3, OF a signed
 * overflow.  The carries of every bit of a sum are (a & b) | ((a | b) & ~r),
 * the borrows of a difference (~a & b) | ((~a | b) & r).  AND, OR, XOR and
 * TEST clear CF and OF; their AF is undefined and cleared here, as the
 * processors this was checked on do.  INC and DEC keep CF; NEG sets it
 * unless the operand is 0; NOT changes no flag.
 */
u64 vessel_alu(unsigned int op, unsigned int size, u64 dst, u64 src,
	       u64 *rflags)
{
	u64 mask = vessel_mmio_mask(size), top = 1ULL << (8 * size - 1);
	u64 cin = *rflags & X86_EFLAGS_CF ? 1 : 0;
	u64 res, carries = 0, overflow = 0, f;
	bool arith = true;

	dst &= mask;
	src &= mask;
	switch (op) {
	case VESSEL_MMIO_OP_INC:
	case VESSEL_MMIO_OP_DEC:
		src = 1;
		carries = cin ? top : 0;	/* CF unchanged */
		cin = 0;
		break;
	case VESSEL_MMIO_OP_NEG:
		carries = dst ? top : 0;
		src = dst;
		dst = 0;
		break;
	case VESSEL_MMIO_OP_NOT:
		return ~dst & mask;
	}
	switch (op) {
	case VESSEL_MMIO_OP_ADD:
	case VESSEL_MMIO_OP_ADC:
	case VESSEL_MMIO_OP_INC:
		res = (dst + src + (op == VESSEL_MMIO_OP_ADC ? cin : 0)) & mask;
		if (op != VESSEL_MMIO_OP_INC)
			carries = (dst & src) | ((dst | src) & ~res);
		overflow = (dst ^ res) & (src ^ res);
		break;
	case VESSEL_MMIO_OP_SUB:
	case VESSEL_MMIO_OP_SBB:
	case VESSEL_MMIO_OP_CMP:
	case VESSEL_MMIO_OP_DEC:
	case VESSEL_MMIO_OP_NEG:
		res = (dst - src - (op == VESSEL_MMIO_OP_SBB ? cin : 0)) & mask;
		if (op != VESSEL_MMIO_OP_DEC && op != VESSEL_MMIO_OP_NEG)
			carries = (~dst & src) | ((~dst | src) & res);
		overflow = (dst ^ src) & (dst ^ res);
		break;
	case VESSEL_MMIO_OP_AND:
	case VESSEL_MMIO_OP_TEST:
		res = dst & src;
		arith = false;
		break;
	case VESSEL_MMIO_OP_OR:
		res = dst | src;
		arith = false;
		break;
	case VESSEL_MMIO_OP_XOR:
		res = dst ^ src;
		arith = false;
		break;
	default:
		return src;
	}

	f = *rflags & ~(u64)VESSEL_STATUS_FLAGS;
	if (carries & top)
		f |= X86_EFLAGS_CF;
	if (overflow & top)
		f |= X86_EFLAGS_OF;
	if (arith && ((dst ^ src ^ res) & 0x10))
		f |= X86_EFLAGS_AF;
	if (!res)
		f |= X86_EFLAGS_ZF;
	if (res & top)
		f |= X86_EFLAGS_SF;
	if (vessel_parity_even(res))
		f |= X86_EFLAGS_PF;
	*rflags = f;
	return res;
}

u64 vessel_mmio_execute(const struct vessel_mmio_insn *insn, u64 mem,
			u64 *reg, u64 *rflags)
{
	u64 res;

	if (insn->op == VESSEL_MMIO_OP_MOV) {
		if (insn->is_write)
			return vessel_mmio_store_data(insn, *reg);
		*reg = vessel_mmio_load_result(insn, *reg, mem);
		return 0;
	}
	if (insn->op == VESSEL_MMIO_OP_XCHG) {
		res = vessel_mmio_store_data(insn, *reg);
		*reg = vessel_mmio_load_result(insn, *reg, mem);
		return res;
	}
	/* The register operand's value is what a store of it would write. */
	if (insn->flags & VESSEL_MMIO_REG_DST) {
		res = vessel_alu(insn->op, insn->size,
				 vessel_mmio_store_data(insn, *reg), mem,
				 rflags);
		/* MOV semantics for the write-back: merge or zero-extend. */
		if (insn->dst_size)
			*reg = vessel_mmio_load_result(insn, *reg, res);
		return 0;
	}
	return vessel_alu(insn->op, insn->size, mem,
			  vessel_mmio_store_data(insn, *reg), rflags);
}

/*
 * rDI and rCX are as wide as the address size (SDM Vol. 1 3.6 Table 3-4);
 * a 16-bit update keeps bits 63:16, a 32-bit one zero-extends as any
 * 32-bit register write does (Vol. 1 3.4.1.1).
 */
static u64 vessel_addr_reg_set(unsigned int addr_size, u64 old, u64 val)
{
	u64 mask = vessel_mmio_mask(addr_size);

	if (addr_size == 2)
		return (old & ~mask) | (val & mask);
	return val & mask;
}

bool vessel_mmio_string_step(const struct vessel_mmio_insn *insn, bool down,
			     u64 *rdi, u64 *rcx)
{
	*rdi = vessel_addr_reg_set(insn->addr_size, *rdi,
				   down ? *rdi - insn->size : *rdi + insn->size);
	if (!(insn->flags & VESSEL_MMIO_REP))
		return true;
	*rcx = vessel_addr_reg_set(insn->addr_size, *rcx, *rcx - 1);
	return !(*rcx & vessel_mmio_mask(insn->addr_size));
}
