/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: decoding of the guest instructions that access MMIO (emulate.c).
 *
 * An EPT violation gives the guest-physical address of an access but not the
 * instruction length or its operands.  The run loop fetches up to 15 bytes at
 * CS:RIP (guest_walk.h) and decodes them here.  Pure logic: the same file is
 * built into the module and into the host unit test (tests/unit).
 */
#ifndef VESSEL_EMULATE_H
#define VESSEL_EMULATE_H

#include "pure_types.h"

/* SDM Vol. 2A 2.3.11: a longer instruction raises #GP. */
#define VESSEL_INSN_MAX_LEN	15

/* vessel_mmio_insn.ext: how a load widens the value read (MOVZX/MOVSX). */
#define VESSEL_MMIO_EXT_NONE	0
#define VESSEL_MMIO_EXT_ZERO	1
#define VESSEL_MMIO_EXT_SIGN	2

/*
 * vessel_mmio_insn.op: what the instruction computes.  ADD..CMP are in the
 * order of their ModRM.reg digit in opcodes 80-83 (SDM Vol. 2D A.4).
 */
#define VESSEL_MMIO_OP_MOV	0	/* MOV, MOVZX, MOVSX, STOS */
#define VESSEL_MMIO_OP_ADD	1
#define VESSEL_MMIO_OP_OR	2
#define VESSEL_MMIO_OP_ADC	3
#define VESSEL_MMIO_OP_SBB	4
#define VESSEL_MMIO_OP_AND	5
#define VESSEL_MMIO_OP_SUB	6
#define VESSEL_MMIO_OP_XOR	7
#define VESSEL_MMIO_OP_CMP	8
#define VESSEL_MMIO_OP_TEST	9
#define VESSEL_MMIO_OP_INC	10
#define VESSEL_MMIO_OP_DEC	11
#define VESSEL_MMIO_OP_NOT	12
#define VESSEL_MMIO_OP_NEG	13
#define VESSEL_MMIO_OP_XCHG	14	/* no flags; memory and @reg swap */

/* vessel_mmio_insn.flags */
#define VESSEL_MMIO_IMM		(1U << 0)	/* source is @imm */
#define VESSEL_MMIO_STRING	(1U << 1)	/* STOS: rDI, rCX, DF apply */
#define VESSEL_MMIO_REP		(1U << 2)	/* F3 was the last F2/F3 */
#define VESSEL_MMIO_REPNE	(1U << 3)	/* F2 was the last F2/F3 */
#define VESSEL_MMIO_LOCK	(1U << 4)	/* F0 (#UD on a MOV) */
#define VESSEL_MMIO_SEG		(1U << 5)	/* @seg holds an override */
#define VESSEL_MMIO_REG_DST	(1U << 6)	/* ALU: @reg is the destination */
#define VESSEL_MMIO_RMW		(1U << 7)	/* read, then write memory */

/**
 * struct vessel_mmio_insn - one decoded MMIO instruction
 * @length:	bytes, 1..VESSEL_INSN_MAX_LEN: add to RIP to complete it
 * @size:	bytes of memory accessed: 1, 2, 4 or 8
 * @dst_size:	bytes of register @reg written (2, 4, 8 for MOVZX/MOVSX,
 *		else @size); 0 when no register is written (stores, CMP,
 *		TEST)
 * @reg:	register operand, VESSEL_GPR_* numbering (0..15): the source
 *		of a store, the destination of a load; RAX for moffs and STOS;
 *		0 and unused with an immediate
 * @op:		VESSEL_MMIO_OP_*
 * @ext:	VESSEL_MMIO_EXT_*
 * @seg:	VESSEL_SEG_* of the last segment override, with
 *		VESSEL_MMIO_SEG (64-bit mode honours only FS and GS)
 * @addr_size:	address size in bytes (2, 4, 8): width of rDI/rCX for STOS
 * @is_write:	memory is written (MOV stores, and with VESSEL_MMIO_RMW
 *		after a read: ALU instructions with memory as destination,
 *		XCHG)
 * @high_byte:	@reg (0..3) names AH, CH, DH or BH: bits 15:8 of it
 * @flags:	VESSEL_MMIO_*
 * @imm:	with VESSEL_MMIO_IMM, the source operand, sign-extended to
 *		@size
 *
 * @gpa:	not decoded: where the caller keeps the address while the
 *		instruction is in flight
 * @mem:	not decoded: where the caller keeps the value read between the
 *		read and the write of a VESSEL_MMIO_RMW instruction
 *
 * Memory is read unless @is_write without VESSEL_MMIO_RMW.  An ALU
 * instruction (@op not MOV) computes "memory OP source" (the source is @imm
 * or register @reg; INC, DEC, NOT, NEG have none), or with
 * VESSEL_MMIO_REG_DST "register @reg OP memory", and sets the status flags
 * in RFLAGS (NOT sets none, INC and DEC keep CF).
 */
struct vessel_mmio_insn {
	u8 length;
	u8 size;
	u8 dst_size;
	u8 reg;
	u8 op;
	u8 ext;
	u8 seg;
	u8 addr_size;
	bool is_write;
	bool high_byte;
	u32 flags;
	u64 imm;
	u64 gpa;
	u64 mem;
};

/*
 * Decodes the instruction at @bytes (@len of them valid) for code size
 * @mode: 16, 32 or 64.  Never reads past @len.  Returns 0 and fills @out;
 * -ENODATA if @len ends inside the instruction; -EINVAL for a bad @mode,
 * an instruction longer than 15 bytes, or a register (not memory) operand;
 * -EOPNOTSUPP for any instruction not listed in emulate.c.
 */
int vessel_decode_mmio(const u8 *bytes, unsigned int len, unsigned int mode,
		       struct vessel_mmio_insn *out);

/* The new value of register @reg for a load that read @data from memory. */
u64 vessel_mmio_load_result(const struct vessel_mmio_insn *insn, u64 old_reg,
			    u64 data);

/* The @size bytes a store writes, given the value of register @reg. */
u64 vessel_mmio_store_data(const struct vessel_mmio_insn *insn, u64 reg_val);

/*
 * @op (VESSEL_MMIO_OP_*, not MOV) on @size-byte @dst and @src (unused by
 * INC, DEC, NOT, NEG): returns the result and sets the status flags (CF,
 * PF, AF, ZF, SF, OF) in *@rflags as the SDM's page for the instruction
 * says; ADC and SBB read CF from it.
 */
u64 vessel_alu(unsigned int op, unsigned int size, u64 dst, u64 src,
	       u64 *rflags);

/*
 * Executes @insn on the value @mem that memory read (ignored for stores):
 * *@reg is the value of register @insn->reg, and becomes its new value when
 * @insn->dst_size is not 0; *@rflags the guest's RFLAGS, updated for ALU
 * instructions.  Returns the @size bytes to write when @insn->is_write.
 */
u64 vessel_mmio_execute(const struct vessel_mmio_insn *insn, u64 mem,
			u64 *reg, u64 *rflags);

/*
 * STOS (VESSEL_MMIO_STRING) after one element: steps *@rdi by @size, down
 * when @down (RFLAGS.DF), and with REP counts *@rcx down.  Returns true
 * when the instruction is done (RIP moves on), false while a REP count
 * remains (the guest executes it again).
 */
bool vessel_mmio_string_step(const struct vessel_mmio_insn *insn, bool down,
			     u64 *rdi, u64 *rcx);

#endif /* VESSEL_EMULATE_H */
