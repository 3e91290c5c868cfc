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

/* vessel_mmio_insn.flags */
#define VESSEL_MMIO_IMM		(1U << 0)	/* source is @imm (C6/C7) */
#define VESSEL_MMIO_STRING	(1U << 1)	/* STOS: rDI, rCX, DF apply */
#define VESSEL_MMIO_REP		(1U << 2)	/* F3 was the last F2/F3 */
#define VESSEL_MMIO_REPNE	(1U << 3)	/* F2 was the last F2/F3 */
#define VESSEL_MMIO_LOCK	(1U << 4)	/* F0 (#UD on a MOV) */
#define VESSEL_MMIO_SEG		(1U << 5)	/* @seg holds an override */

/**
 * struct vessel_mmio_insn - one decoded MMIO instruction
 * @length:	bytes, 1..VESSEL_INSN_MAX_LEN: add to RIP to complete it
 * @size:	bytes of memory accessed: 1, 2, 4 or 8
 * @dst_size:	loads: bytes of register written (2, 4, 8 for MOVZX/MOVSX,
 *		else @size); 0 for stores
 * @reg:	register operand, VESSEL_GPR_* numbering (0..15): the source
 *		of a store, the destination of a load; RAX for moffs and STOS
 * @ext:	VESSEL_MMIO_EXT_*
 * @seg:	VESSEL_SEG_* of the last segment override, with
 *		VESSEL_MMIO_SEG (64-bit mode honours only FS and GS)
 * @addr_size:	address size in bytes (2, 4, 8): width of rDI/rCX for STOS
 * @is_write:	memory is the destination
 * @high_byte:	@reg (0..3) names AH, CH, DH or BH: bits 15:8 of it
 * @flags:	VESSEL_MMIO_*
 * @imm:	with VESSEL_MMIO_IMM, the value stored, sign-extended to @size
 */
struct vessel_mmio_insn {
	u8 length;
	u8 size;
	u8 dst_size;
	u8 reg;
	u8 ext;
	u8 seg;
	u8 addr_size;
	bool is_write;
	bool high_byte;
	u32 flags;
	u64 imm;
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

#endif /* VESSEL_EMULATE_H */
