// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the MMIO instruction decoder (kmod/emulate/emulate.c) and the
 * guest page walker (kmod/emulate/guest_walk.c), built from the module's own files.
 *
 * Every expected encoding was checked against GNU as (objdump -d); inputs
 * are copied to the end of a heap buffer of exactly their length so that
 * ASan catches any read past it.
 */
#include <stdlib.h>
#include <asm/processor-flags.h>

#include "emulate/emulate.h"
#include "emulate/guest_walk.h"
#include "tap.h"
#include "vessel.h"

/* ------------------------------------------------------------ decoder */

/* One decoder case: bytes, mode, and what must come out. */
struct dcase {
	const char *asm_text;
	unsigned int mode;
	unsigned int n;
	u8 bytes[16];
	u8 length, size, dst_size, reg, high, write, ext, op;
	u32 flags;
	u64 imm;
};

#define HI	1	/* a high-byte register: AH, CH, DH, BH */

#define BYTES(...)							\
	.n = sizeof((u8[]){ __VA_ARGS__ }), .bytes = { __VA_ARGS__ }

/* A store from register @r. */
#define ST(text, m, len, sz, r, hi, ...)				\
	{ .asm_text = text, .mode = m, BYTES(__VA_ARGS__),		\
	  .length = len, .size = sz, .reg = r, .high = hi, .write = 1 }

/* A load into register @r, @dst bytes of it written. */
#define LD(text, m, len, sz, dst, r, hi, x, fl, ...)			\
	{ .asm_text = text, .mode = m, BYTES(__VA_ARGS__),		\
	  .length = len, .size = sz, .dst_size = dst, .reg = r,		\
	  .high = hi, .ext = x, .flags = fl }

/* A store of an immediate or by STOS, or one with prefix flags. */
#define OT(text, m, len, sz, fl, value, ...)				\
	{ .asm_text = text, .mode = m, BYTES(__VA_ARGS__),		\
	  .length = len, .size = sz, .write = 1, .flags = fl,		\
	  .imm = value }

/* An ALU instruction: VESSEL_MMIO_OP_@o, register @r written in @dst bytes. */
#define AL(text, m, len, sz, o, dst, r, hi, fl, value, ...)		\
	{ .asm_text = text, .mode = m, BYTES(__VA_ARGS__),		\
	  .length = len, .size = sz, .op = VESSEL_MMIO_OP_##o,		\
	  .dst_size = dst, .reg = r, .high = hi, .flags = fl,		\
	  .imm = value }

/* A read-modify-write of memory: VESSEL_MMIO_RMW and @fl. */
#define MW(text, m, len, sz, o, r, hi, fl, value, ...)			\
	{ .asm_text = text, .mode = m, BYTES(__VA_ARGS__),		\
	  .length = len, .size = sz, .op = VESSEL_MMIO_OP_##o,		\
	  .reg = r, .high = hi, .write = 1,				\
	  .flags = VESSEL_MMIO_RMW | (fl), .imm = value }

/* XCHG: memory read, then written; register @r gets what was read. */
#define XC(text, m, len, sz, r, hi, fl, ...)				\
	{ .asm_text = text, .mode = m, BYTES(__VA_ARGS__),		\
	  .length = len, .size = sz, .op = VESSEL_MMIO_OP_XCHG,		\
	  .dst_size = sz, .reg = r, .high = hi, .write = 1,		\
	  .flags = VESSEL_MMIO_RMW | (fl) }

#define ZX	VESSEL_MMIO_EXT_ZERO
#define SX	VESSEL_MMIO_EXT_SIGN
#define IMM	VESSEL_MMIO_IMM
#define STR	VESSEL_MMIO_STRING
#define RD	VESSEL_MMIO_REG_DST
#define LK	VESSEL_MMIO_LOCK

static const struct dcase stores[] = {
	ST("mov %eax,0x10(%rbx,%rcx,4)", 64, 4, 4, 0, 0,
	   0x89, 0x44, 0x8b, 0x10),
	ST("mov %r12b,0x0(%r13)", 64, 4, 1, 12, 0, 0x45, 0x88, 0x65, 0x00),
	ST("mov %ah,(%rax)", 64, 2, 1, 0, HI, 0x88, 0x20),
	ST("mov %spl,(%rax)", 64, 3, 1, 4, 0, 0x40, 0x88, 0x20),
	ST("mov %ax,(%rsp)", 64, 4, 2, 0, 0, 0x66, 0x89, 0x04, 0x24),
	ST("mov %rax,(%rsp)", 64, 4, 8, 0, 0, 0x48, 0x89, 0x04, 0x24),
	ST("mov %r15,(%r12)", 64, 4, 8, 15, 0, 0x4d, 0x89, 0x3c, 0x24),
	ST("mov %eax,0x100(,%rcx,4)", 64, 7, 4, 0, 0,
	   0x89, 0x04, 0x8d, 0x00, 0x01, 0x00, 0x00),
	ST("mov %eax,0x12345678(%rbx)", 64, 6, 4, 0, 0,
	   0x89, 0x83, 0x78, 0x56, 0x34, 0x12),
	ST("mov %eax,(%ebx)", 64, 3, 4, 0, 0, 0x67, 0x89, 0x03),
	ST("mov %eax,0x100(,%ecx,4)", 64, 8, 4, 0, 0,
	   0x67, 0x89, 0x04, 0x8d, 0x00, 0x01, 0x00, 0x00),
	ST("mov %eax,0x10(%ebx,%ecx,4)", 32, 4, 4, 0, 0,
	   0x89, 0x44, 0x8b, 0x10),
	ST("mov %ax,(%bx,%si)", 32, 4, 2, 0, 0, 0x67, 0x66, 0x89, 0x00),
	ST("mov %eax,0x1234(%bx,%si)", 32, 5, 4, 0, 0,
	   0x67, 0x89, 0x80, 0x34, 0x12),
	ST("mov %ax,0x1234(%bx,%si)", 16, 4, 2, 0, 0, 0x89, 0x80, 0x34, 0x12),
	ST("mov %eax,(%bx)", 16, 3, 4, 0, 0, 0x66, 0x89, 0x07),
	ST("mov %eax,0x10(%ebx,%ecx,4)", 16, 6, 4, 0, 0,
	   0x67, 0x66, 0x89, 0x44, 0x8b, 0x10),
	ST("mov %al,0x0(%bp)", 16, 3, 1, 0, 0, 0x88, 0x46, 0x00),
	ST("mov %bh,0x1234", 16, 4, 1, 3, HI, 0x88, 0x3e, 0x34, 0x12),
	ST("movabs %rax,0x1122334455667788", 64, 10, 8, 0, 0,
	   0x48, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	ST("addr16 mov %al,0x1234", 32, 4, 1, 0, 0, 0x67, 0xa2, 0x34, 0x12),
	ST("mov %ax,0x1234", 16, 3, 2, 0, 0, 0xa3, 0x34, 0x12),
};

static const struct dcase loads[] = {
	LD("mov 0x12345678(%rip),%r9", 64, 7, 8, 8, 9, 0, 0, 0,
	   0x4c, 0x8b, 0x0d, 0x78, 0x56, 0x34, 0x12),
	LD("mov (%rax),%bh", 64, 2, 1, 1, 3, HI, 0, 0, 0x8a, 0x38),
	LD("mov (%rax),%dil", 64, 3, 1, 1, 7, 0, 0, 0, 0x40, 0x8a, 0x38),
	LD("mov (%rax),%r11b", 64, 3, 1, 1, 11, 0, 0, 0, 0x44, 0x8a, 0x18),
	LD("mov (%rax),%ecx", 64, 2, 4, 4, 1, 0, 0, 0, 0x8b, 0x08),
	LD("movzbl (%rax),%ecx", 64, 3, 1, 4, 1, 0, ZX, 0, 0x0f, 0xb6, 0x08),
	LD("movzwq (%rax),%r8", 64, 4, 2, 8, 8, 0, ZX, 0,
	   0x4c, 0x0f, 0xb7, 0x00),
	LD("movsbw (%rax),%ax", 64, 4, 1, 2, 0, 0, SX, 0,
	   0x66, 0x0f, 0xbe, 0x00),
	LD("movswl (%rax),%edx", 64, 3, 2, 4, 2, 0, SX, 0, 0x0f, 0xbf, 0x10),
	LD("movsbq (%rax),%rax", 64, 4, 1, 8, 0, 0, SX, 0,
	   0x48, 0x0f, 0xbe, 0x00),
	/* MOVZX to %esi is register 6, never "DH". */
	LD("movzbl (%rax),%esi", 64, 3, 1, 4, 6, 0, ZX, 0, 0x0f, 0xb6, 0x30),
	LD("movabs 0x1122334455667788,%al", 64, 9, 1, 1, 0, 0, 0, 0,
	   0xa0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	LD("addr32 mov 0x12345678,%eax", 64, 6, 4, 4, 0, 0, 0, 0,
	   0x67, 0xa1, 0x78, 0x56, 0x34, 0x12),
	LD("mov %fs:0x10,%eax", 64, 8, 4, 4, 0, 0, 0, VESSEL_MMIO_SEG,
	   0x64, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00),
	LD("movsbl 0x12(%ebp),%esi", 32, 4, 1, 4, 6, 0, SX, 0,
	   0x0f, 0xbe, 0x75, 0x12),
	LD("mov 0x12345678,%eax", 32, 5, 4, 4, 0, 0, 0, 0,
	   0xa1, 0x78, 0x56, 0x34, 0x12),
	LD("addr16 mov 0x1234,%eax", 32, 4, 4, 4, 0, 0, 0, 0,
	   0x67, 0xa1, 0x34, 0x12),
	LD("addr16 mov 0x1234,%ebx", 32, 5, 4, 4, 3, 0, 0, 0,
	   0x67, 0x8b, 0x1e, 0x34, 0x12),
	LD("mov 0x1234,%cx", 16, 4, 2, 2, 1, 0, 0, 0, 0x8b, 0x0e, 0x34, 0x12),
	LD("mov 0x5(%bx),%ah", 16, 3, 1, 1, 0, HI, 0, 0, 0x8a, 0x67, 0x05),
	LD("mov 0x1234,%ax", 16, 3, 2, 2, 0, 0, 0, 0, 0xa1, 0x34, 0x12),
	LD("addr32 mov 0x12345678,%ax", 16, 6, 2, 2, 0, 0, 0, 0,
	   0x67, 0xa1, 0x78, 0x56, 0x34, 0x12),
	LD("movzbw (%di),%dx", 16, 3, 1, 2, 2, 0, ZX, 0, 0x0f, 0xb6, 0x15),
	LD("data32 movzbl (%di),%edx", 16, 4, 1, 4, 2, 0, ZX, 0,
	   0x66, 0x0f, 0xb6, 0x15),
	/* 66 then REX: REX.W wins.  REX then 66: the REX is ignored. */
	LD("data16 mov (%rax),%rax", 64, 4, 8, 8, 0, 0, 0, 0,
	   0x66, 0x48, 0x8b, 0x00),
	LD("rex.W data16 mov (%rax),%ax", 64, 4, 2, 2, 0, 0, 0, 0,
	   0x48, 0x66, 0x8b, 0x00),
	LD("rex data16 mov (%rax),%ah", 64, 4, 1, 1, 0, HI, 0, 0,
	   0x40, 0x66, 0x8a, 0x20),
	/* Of two REX prefixes only the last counts. */
	LD("rex.R rex mov (%rax),%spl", 64, 4, 1, 1, 4, 0, 0, 0,
	   0x44, 0x40, 0x8a, 0x20),
};

static const struct dcase others[] = {
	OT("movb $0x80,0x1000(%rip)", 64, 7, 1, IMM, 0x80,
	   0xc6, 0x05, 0x00, 0x10, 0x00, 0x00, 0x80),
	OT("movq $-2,(%rax)", 64, 7, 8, IMM, 0xfffffffffffffffeULL,
	   0x48, 0xc7, 0x00, 0xfe, 0xff, 0xff, 0xff),
	OT("movl $0x80000000,(%rax)", 64, 6, 4, IMM, 0x80000000,
	   0xc7, 0x00, 0x00, 0x00, 0x00, 0x80),
	OT("movw $0x8001,(%rax)", 64, 5, 2, IMM, 0x8001,
	   0x66, 0xc7, 0x00, 0x01, 0x80),
	OT("movb $0xff,-0x80(%rbp,%r12,8)", 64, 6, 1, IMM, 0xff,
	   0x42, 0xc6, 0x44, 0xe5, 0x80, 0xff),
	OT("movq $0x7fffffff,0x12345678(%r13)", 64, 11, 8, IMM, 0x7fffffff,
	   0x49, 0xc7, 0x85, 0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0x7f),
	OT("movb $1,(%eax)", 32, 3, 1, IMM, 1, 0xc6, 0x00, 0x01),
	OT("movw $0x1234,(%eax)", 32, 5, 2, IMM, 0x1234,
	   0x66, 0xc7, 0x00, 0x34, 0x12),
	OT("movl $-1,0x10(%eax,%ebx,1)", 32, 8, 4, IMM, 0xffffffff,
	   0xc7, 0x44, 0x18, 0x10, 0xff, 0xff, 0xff, 0xff),
	OT("movw $0xabcd,0x1234", 16, 6, 2, IMM, 0xabcd,
	   0xc7, 0x06, 0x34, 0x12, 0xcd, 0xab),
	OT("rep stos %eax,%es:(%rdi)", 64, 2, 4, STR | VESSEL_MMIO_REP, 0,
	   0xf3, 0xab),
	OT("stos %al,%es:(%rdi)", 64, 1, 1, STR, 0, 0xaa),
	OT("rep stos %rax,%es:(%rdi)", 64, 3, 8, STR | VESSEL_MMIO_REP, 0,
	   0xf3, 0x48, 0xab),
	OT("repnz stos %ax,%es:(%edi)", 32, 3, 2, STR | VESSEL_MMIO_REPNE, 0,
	   0xf2, 0x66, 0xab),
	OT("stos %ax,%es:(%di)", 16, 1, 2, STR, 0, 0xab),
	OT("stos %eax,%es:(%di)", 16, 2, 4, STR, 0, 0x66, 0xab),
	OT("lock mov %eax,(%rax)", 64, 3, 4, VESSEL_MMIO_LOCK, 0,
	   0xf0, 0x89, 0x00),
	/* Of F2 and F3 the last counts. */
	OT("repnz rep mov %eax,(%rax)", 64, 4, 4, VESSEL_MMIO_REP, 0,
	   0xf2, 0xf3, 0x89, 0x00),
	OT("es mov %eax,(%eax)", 32, 3, 4, VESSEL_MMIO_SEG, 0,
	   0x26, 0x89, 0x00),
};

/* TEST and CMP: memory is read, only RFLAGS changes. */
static const struct dcase reads[] = {
	AL("testl $0x80000001,0x300(%rax)", 64, 10, 4, TEST, 0, 0, 0, IMM,
	   0x80000001, 0xf7, 0x80, 0x00, 0x03, 0x00, 0x00, 0x01, 0x00, 0x00,
	   0x80),
	AL("testb $0x81,(%rbx)", 64, 3, 1, TEST, 0, 0, 0, IMM, 0x81,
	   0xf6, 0x03, 0x81),
	AL("testw $0x8001,(%rcx,%rdx,2)", 64, 6, 2, TEST, 0, 0, 0, IMM, 0x8001,
	   0x66, 0xf7, 0x04, 0x51, 0x01, 0x80),
	AL("testq $-2,0x10(%rip)", 64, 11, 8, TEST, 0, 0, 0, IMM,
	   0xfffffffffffffffeULL, 0x48, 0xf7, 0x05, 0x10, 0x00, 0x00, 0x00,
	   0xfe, 0xff, 0xff, 0xff),
	AL("test %ah,(%rax)", 64, 2, 1, TEST, 0, 0, HI, 0, 0, 0x84, 0x20),
	AL("test %spl,(%rax)", 64, 3, 1, TEST, 0, 4, 0, 0, 0, 0x40, 0x84, 0x20),
	AL("test %r9w,(%rax)", 64, 4, 2, TEST, 0, 9, 0, 0, 0,
	   0x66, 0x44, 0x85, 0x08),
	AL("test %rsi,(%r12)", 64, 4, 8, TEST, 0, 6, 0, 0, 0,
	   0x49, 0x85, 0x34, 0x24),
	AL("cmpl $5,(%rax)", 64, 3, 4, CMP, 0, 0, 0, IMM, 5, 0x83, 0x38, 0x05),
	AL("cmpl $-1,(%rax)", 64, 3, 4, CMP, 0, 0, 0, IMM, 0xffffffff,
	   0x83, 0x38, 0xff),
	AL("cmpq $-128,(%rax)", 64, 4, 8, CMP, 0, 0, 0, IMM,
	   0xffffffffffffff80ULL, 0x48, 0x83, 0x38, 0x80),
	AL("cmpw $-3,(%rax)", 64, 4, 2, CMP, 0, 0, 0, IMM, 0xfffd,
	   0x66, 0x83, 0x38, 0xfd),
	AL("cmpw $0x1234,(%rax)", 64, 5, 2, CMP, 0, 0, 0, IMM, 0x1234,
	   0x66, 0x81, 0x38, 0x34, 0x12),
	AL("cmpb $0xfe,(%rax)", 64, 3, 1, CMP, 0, 0, 0, IMM, 0xfe,
	   0x80, 0x38, 0xfe),
	AL("cmpq $0x7fffffff,(%rax)", 64, 7, 8, CMP, 0, 0, 0, IMM, 0x7fffffff,
	   0x48, 0x81, 0x38, 0xff, 0xff, 0xff, 0x7f),
	AL("cmp %ecx,(%rax)", 64, 2, 4, CMP, 0, 1, 0, 0, 0, 0x39, 0x08),
	AL("cmp %bh,(%rax)", 64, 2, 1, CMP, 0, 3, HI, 0, 0, 0x38, 0x38),
	AL("cmp %r10,(%rax)", 64, 3, 8, CMP, 0, 10, 0, 0, 0, 0x4c, 0x39, 0x10),
	AL("cmp (%rax),%ecx", 64, 2, 4, CMP, 0, 1, 0, RD, 0, 0x3b, 0x08),
	AL("cmp (%rax),%r11b", 64, 3, 1, CMP, 0, 11, 0, RD, 0,
	   0x44, 0x3a, 0x18),
	AL("cmp (%rax),%dh", 64, 2, 1, CMP, 0, 2, HI, RD, 0, 0x3a, 0x30),
	AL("cmp (%rax),%ax", 64, 3, 2, CMP, 0, 0, 0, RD, 0, 0x66, 0x3b, 0x00),
	AL("testl $0x80000001,(%eax)", 32, 6, 4, TEST, 0, 0, 0, IMM,
	   0x80000001, 0xf7, 0x00, 0x01, 0x00, 0x00, 0x80),
	AL("cmpw $-3,(%ebx)", 32, 4, 2, CMP, 0, 0, 0, IMM, 0xfffd,
	   0x66, 0x83, 0x3b, 0xfd),
	AL("cmp (%esi),%ebp", 32, 2, 4, CMP, 0, 5, 0, RD, 0, 0x3b, 0x2e),
	AL("testw $0x8001,(%bx)", 16, 4, 2, TEST, 0, 0, 0, IMM, 0x8001,
	   0xf7, 0x07, 0x01, 0x80),
	AL("cmpl $0x12345678,(%bx,%si)", 16, 7, 4, CMP, 0, 0, 0, IMM,
	   0x12345678, 0x66, 0x81, 0x38, 0x78, 0x56, 0x34, 0x12),
	AL("cmp %al,0x1234", 16, 4, 1, CMP, 0, 0, 0, 0, 0,
	   0x38, 0x06, 0x34, 0x12),
	AL("cmpb $0x80,(%di)", 16, 3, 1, CMP, 0, 0, 0, IMM, 0x80,
	   0x80, 0x3d, 0x80),
};

/* ALU instructions that write memory, or read it into a register. */
static const struct dcase alus[] = {
	MW("orl $0x100,0xf0(%rax)", 64, 10, 4, OR, 0, 0, IMM, 0x100,
	   0x81, 0x88, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00),
	MW("andl $0xfffeffff,(%rax)", 64, 6, 4, AND, 0, 0, IMM, 0xfffeffff,
	   0x81, 0x20, 0xff, 0xff, 0xfe, 0xff),
	MW("add %ecx,(%rax)", 64, 2, 4, ADD, 1, 0, 0, 0, 0x01, 0x08),
	MW("lock xorb $1,(%rax)", 64, 4, 1, XOR, 0, 0, IMM | LK, 1,
	   0xf0, 0x80, 0x30, 0x01),
	MW("sbb %r8w,(%rdi)", 64, 4, 2, SBB, 8, 0, 0, 0, 0x66, 0x44, 0x19, 0x07),
	MW("incl (%rax)", 64, 2, 4, INC, 0, 0, 0, 0, 0xff, 0x00),
	MW("decq (%rax)", 64, 3, 8, DEC, 0, 0, 0, 0, 0x48, 0xff, 0x08),
	MW("notb (%rax)", 64, 2, 1, NOT, 0, 0, 0, 0, 0xf6, 0x10),
	MW("negw (%rax)", 64, 3, 2, NEG, 0, 0, 0, 0, 0x66, 0xf7, 0x18),
	MW("subq $1,(%rax)", 64, 4, 8, SUB, 0, 0, IMM, 1, 0x48, 0x83, 0x28, 0x01),
	MW("lock or %r15,(%rdx)", 64, 4, 8, OR, 15, 0, LK, 0,
	   0xf0, 0x4c, 0x09, 0x3a),
	MW("xor %si,(%rax)", 64, 3, 2, XOR, 6, 0, 0, 0, 0x66, 0x31, 0x30),
	MW("lock incb (%rax)", 64, 3, 1, INC, 0, 0, LK, 0, 0xf0, 0xfe, 0x00),
	MW("and %bh,(%ebx)", 32, 2, 1, AND, 3, HI, 0, 0, 0x20, 0x3b),
	MW("orw $0x8000,(%bx)", 16, 4, 2, OR, 0, 0, IMM, 0x8000,
	   0x81, 0x0f, 0x00, 0x80),
	AL("add (%rax),%ecx", 64, 2, 4, ADD, 4, 1, 0, RD, 0, 0x03, 0x08),
	XC("xchg %ecx,(%rax)", 64, 2, 4, 1, 0, 0, 0x87, 0x08),
	XC("xchg %ah,(%rax)", 64, 2, 1, 0, HI, 0, 0x86, 0x20),
	XC("xchg %sil,(%rax)", 64, 3, 1, 6, 0, 0, 0x40, 0x86, 0x30),
	XC("lock xchg %r9,(%rdx)", 64, 4, 8, 9, 0, LK, 0xf0, 0x4c, 0x87, 0x0a),
	XC("xchg %ax,(%bx)", 16, 2, 2, 0, 0, 0, 0x87, 0x07),
	AL("adc (%rax),%ah", 64, 2, 1, ADC, 1, 0, HI, RD, 0, 0x12, 0x20),
	AL("sub (%rax),%spl", 64, 3, 1, SUB, 1, 4, 0, RD, 0, 0x40, 0x2a, 0x20),
};

static bool dcase_check(const struct dcase *c)
{
	struct vessel_mmio_insn insn;
	u8 *buf = malloc(c->n);
	int ret;

	memcpy(buf, c->bytes, c->n);
	ret = vessel_decode_mmio(buf, c->n, c->mode, &insn);
	free(buf);
	if (ret) {
		tap_diag(__FILE__, __LINE__, "%s (mode %u): %d", c->asm_text,
			 c->mode, ret);
		return false;
	}
	if (insn.length != c->length || insn.size != c->size ||
	    insn.dst_size != c->dst_size || insn.reg != c->reg ||
	    insn.high_byte != c->high || insn.is_write != c->write ||
	    insn.ext != c->ext || insn.flags != c->flags ||
	    insn.imm != c->imm || insn.op != c->op) {
		tap_diag(__FILE__, __LINE__,
			 "%s (mode %u): length %u size %u dst %u reg %u hi %d wr %d ext %u op %u flags %#x imm %#llx",
			 c->asm_text, c->mode, insn.length, insn.size,
			 insn.dst_size, insn.reg, insn.high_byte,
			 insn.is_write, insn.ext, insn.op, insn.flags,
			 (unsigned long long)insn.imm);
		return false;
	}
	return true;
}

static void dcases_check(const struct dcase *cases, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		dcase_check(&cases[i]);
}

static void test_decode_stores(void)
{
	dcases_check(stores, ARRAY_SIZE(stores));
}

static void test_decode_loads(void)
{
	dcases_check(loads, ARRAY_SIZE(loads));
}

static void test_decode_imm_string_prefixes(void)
{
	dcases_check(others, ARRAY_SIZE(others));
}

static void test_decode_test_cmp(void)
{
	dcases_check(reads, ARRAY_SIZE(reads));
}

static void test_decode_alu(void)
{
	dcases_check(alus, ARRAY_SIZE(alus));
}

static int decode(const u8 *bytes, unsigned int n, unsigned int mode,
		  struct vessel_mmio_insn *insn)
{
	u8 *buf = n ? malloc(n) : NULL;
	int ret;

	if (n)
		memcpy(buf, bytes, n);
	ret = vessel_decode_mmio(buf, n, mode, insn);
	free(buf);
	return ret;
}

static void test_decode_segment_and_addr_size(void)
{
	static const u8 gs[] = { 0x65, 0x89, 0x00 };
	static const u8 ss_ds[] = { 0x36, 0x3e, 0x89, 0x00 };
	static const u8 stos16[] = { 0x67, 0xf3, 0xaa };
	struct vessel_mmio_insn insn;

	CHECK_EQ(decode(gs, sizeof(gs), 64, &insn), 0);
	CHECK_EQ(insn.seg, VESSEL_SEG_GS);
	CHECK_EQ(insn.addr_size, 8);
	/* The last override is the one the CPU uses. */
	CHECK_EQ(decode(ss_ds, sizeof(ss_ds), 32, &insn), 0);
	CHECK_EQ(insn.seg, VESSEL_SEG_DS);
	CHECK_EQ(insn.addr_size, 4);
	CHECK_EQ(decode(stos16, sizeof(stos16), 32, &insn), 0);
	CHECK_EQ(insn.flags, VESSEL_MMIO_STRING | VESSEL_MMIO_REP);
	CHECK_EQ(insn.addr_size, 2);
	CHECK_EQ(decode(stos16, sizeof(stos16), 16, &insn), 0);
	CHECK_EQ(insn.addr_size, 4);
	CHECK_EQ(decode(stos16 + 1, 2, 16, &insn), 0);
	CHECK_EQ(insn.addr_size, 2);
}

static void test_decode_unsupported(void)
{
	static const struct {
		unsigned int mode, n;
		u8 bytes[4];
	} cases[] = {
		{ 64, 1, { 0x90 } },			/* nop */
		{ 64, 2, { 0xff, 0x10 } },		/* call *(%rax) */
		{ 64, 2, { 0xfe, 0x10 } },		/* fe /2 */
		{ 64, 3, { 0x0f, 0xb1, 0x08 } },	/* cmpxchg */
		{ 64, 3, { 0x0f, 0xc1, 0x08 } },	/* xadd */
		{ 64, 2, { 0x0f, 0x05 } },		/* syscall */
		{ 64, 3, { 0xc6, 0x08, 0x00 } },	/* c6 /1 */
		{ 64, 3, { 0xc7, 0x10, 0x00 } },	/* c7 /2 */
		{ 32, 3, { 0x48, 0x89, 0x00 } },	/* dec %eax */
		{ 16, 2, { 0x40, 0x89 } },		/* inc %ax */
		{ 64, 3, { 0xa4, 0x00, 0x00 } },	/* movsb */
		{ 64, 3, { 0x0f, 0xb8, 0x00 } },	/* jmpe */
		{ 64, 2, { 0x0f, 0x0f } },		/* 3DNow! */
		{ 64, 3, { 0xf6, 0x08, 0x00 } },	/* test alias f6 /1 */
		{ 64, 2, { 0xf7, 0x20 } },		/* mull (%rax) */
		{ 64, 2, { 0xf6, 0x30 } },		/* divb (%rax) */
		{ 64, 2, { 0x3c, 0x01 } },		/* cmp $1,%al */
	};
	struct vessel_mmio_insn insn;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_EQ(decode(cases[i].bytes, cases[i].n, cases[i].mode,
				&insn), -EOPNOTSUPP);
}

static void test_decode_register_operand(void)
{
	static const struct {
		unsigned int mode, n;
		u8 bytes[4];
	} cases[] = {
		{ 64, 2, { 0x89, 0xc0 } },
		{ 64, 2, { 0x8b, 0xc0 } },
		{ 32, 2, { 0x88, 0xe0 } },
		{ 16, 3, { 0x0f, 0xb6, 0xc0 } },
		{ 64, 4, { 0x48, 0x0f, 0xbf, 0xc0 } },
		{ 64, 3, { 0xc6, 0xc0, 0x01 } },
		{ 32, 2, { 0xc7, 0xc0 } },
		{ 64, 2, { 0x85, 0xc0 } },		/* test %eax,%eax */
		{ 64, 2, { 0x3b, 0xc1 } },		/* cmp %ecx,%eax */
		{ 64, 3, { 0x83, 0xf8, 0x01 } },	/* cmp $1,%eax */
		{ 16, 3, { 0xf6, 0xc0, 0x01 } },	/* test $1,%al */
	};
	struct vessel_mmio_insn insn;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_EQ(decode(cases[i].bytes, cases[i].n, cases[i].mode,
				&insn), -EINVAL);
}

static void test_decode_bad_mode(void)
{
	static const u8 mov[] = { 0x89, 0x00 };
	struct vessel_mmio_insn insn;

	CHECK_EQ(decode(mov, sizeof(mov), 0, &insn), -EINVAL);
	CHECK_EQ(decode(mov, sizeof(mov), 8, &insn), -EINVAL);
	CHECK_EQ(decode(mov, sizeof(mov), 128, &insn), -EINVAL);
}

/* Every case above, cut at every length short of its end. */
static void truncations_check(const struct dcase *cases, size_t nr)
{
	struct vessel_mmio_insn insn;
	unsigned int cut;
	size_t i;

	for (i = 0; i < nr; i++) {
		for (cut = 0; cut < cases[i].n; cut++) {
			int ret = decode(cases[i].bytes, cut, cases[i].mode,
					 &insn);

			if (ret != -ENODATA) {
				tap_diag(__FILE__, __LINE__,
					 "%s cut at %u: %d", cases[i].asm_text,
					 cut, ret);
				return;
			}
		}
	}
}

static void test_decode_truncated(void)
{
	truncations_check(stores, ARRAY_SIZE(stores));
	truncations_check(loads, ARRAY_SIZE(loads));
	truncations_check(others, ARRAY_SIZE(others));
	truncations_check(reads, ARRAY_SIZE(reads));
	truncations_check(alus, ARRAY_SIZE(alus));
}

/* SDM Vol. 2A 2.3.11: 15 bytes at most, prefixes included. */
static void test_decode_too_long(void)
{
	struct vessel_mmio_insn insn;
	u8 bytes[20];
	unsigned int n;

	/* "66 x n, 89 00": 2 + n bytes. */
	for (n = 0; n <= 16; n++) {
		memset(bytes, 0x66, n);
		bytes[n] = 0x89;
		bytes[n + 1] = 0x00;
		if (n + 2 <= VESSEL_INSN_MAX_LEN) {
			CHECK_EQ(decode(bytes, n + 2, 32, &insn), 0);
			CHECK_EQ(insn.length, n + 2);
		} else {
			CHECK_EQ(decode(bytes, n + 2, 32, &insn), -EINVAL);
		}
	}
	/* 15 prefixes and nothing else: no opcode can still fit. */
	memset(bytes, 0x2e, VESSEL_INSN_MAX_LEN);
	CHECK_EQ(decode(bytes, VESSEL_INSN_MAX_LEN, 64, &insn), -EINVAL);
	/* But 14 are only short of data. */
	CHECK_EQ(decode(bytes, 14, 64, &insn), -ENODATA);
	/* An immediate past byte 15: 11 prefixes + "c7 00 imm32". */
	memset(bytes, 0x3e, 11);
	memcpy(bytes + 11, "\xc7\x00\x01\x02\x03\x04", 6);
	CHECK_EQ(decode(bytes, 17, 32, &insn), -EINVAL);
	CHECK_EQ(decode(bytes + 1, 16, 32, &insn), -EINVAL);
	CHECK_EQ(decode(bytes + 2, 15, 32, &insn), 0);
	CHECK_EQ(insn.length, 15);
	CHECK_EQ(insn.imm, 0x04030201);
}

/* ------------------------------------------------- load/store results */

#define OLD	0x1122334455667788ULL

static u64 load(const u8 *bytes, unsigned int n, unsigned int mode,
		u64 data)
{
	struct vessel_mmio_insn insn;

	if (decode(bytes, n, mode, &insn))
		return 0xbad;
	return vessel_mmio_load_result(&insn, OLD, data);
}

#define LOAD(mode, data, ...)						\
	load((const u8[]){ __VA_ARGS__ },				\
	     sizeof((const u8[]){ __VA_ARGS__ }), mode, data)

static void test_load_merge(void)
{
	/* Garbage above the access size must not leak in. */
	u64 d = 0xdeadbeefcafe8180ULL;

	CHECK_EQ(LOAD(64, d, 0x8a, 0x00), 0x1122334455667780ULL);  /* al */
	CHECK_EQ(LOAD(64, d, 0x8a, 0x20), 0x1122334455668088ULL);  /* ah */
	CHECK_EQ(LOAD(64, d, 0x40, 0x8a, 0x20), 0x1122334455667780ULL);
	CHECK_EQ(LOAD(64, d, 0x66, 0x8b, 0x00), 0x1122334455668180ULL);
	CHECK_EQ(LOAD(64, d, 0x8b, 0x00), 0xcafe8180ULL);
	CHECK_EQ(LOAD(64, d, 0x48, 0x8b, 0x00), d);
	CHECK_EQ(LOAD(16, d, 0x8b, 0x07), 0x1122334455668180ULL);
	CHECK_EQ(LOAD(16, d, 0x66, 0x8b, 0x07), 0xcafe8180ULL);
	CHECK_EQ(LOAD(32, d, 0xa1, 0, 0, 0, 0), 0xcafe8180ULL);
	CHECK_EQ(LOAD(32, d, 0xa0, 0, 0, 0, 0), 0x1122334455667780ULL);
}

static void test_load_extend(void)
{
	u64 d = 0xdeadbeefcafe8180ULL;

	/* movzbw, movsbw: 16-bit destinations still merge. */
	CHECK_EQ(LOAD(64, d, 0x66, 0x0f, 0xb6, 0x00), 0x1122334455660080ULL);
	CHECK_EQ(LOAD(64, d, 0x66, 0x0f, 0xbe, 0x00), 0x112233445566ff80ULL);
	/* movzbl, movsbl, movzwl, movswl: 32-bit destinations zero 63:32. */
	CHECK_EQ(LOAD(64, d, 0x0f, 0xb6, 0x00), 0x80ULL);
	CHECK_EQ(LOAD(64, d, 0x0f, 0xbe, 0x00), 0xffffff80ULL);
	CHECK_EQ(LOAD(64, d, 0x0f, 0xb7, 0x00), 0x8180ULL);
	CHECK_EQ(LOAD(64, d, 0x0f, 0xbf, 0x00), 0xffff8180ULL);
	/* REX.W: 64-bit destinations. */
	CHECK_EQ(LOAD(64, d, 0x48, 0x0f, 0xb6, 0x00), 0x80ULL);
	CHECK_EQ(LOAD(64, d, 0x48, 0x0f, 0xbe, 0x00), 0xffffffffffffff80ULL);
	CHECK_EQ(LOAD(64, d, 0x48, 0x0f, 0xb7, 0x00), 0x8180ULL);
	CHECK_EQ(LOAD(64, d, 0x48, 0x0f, 0xbf, 0x00), 0xffffffffffff8180ULL);
	/* Positive values are not sign-extended. */
	CHECK_EQ(LOAD(64, 0x7f, 0x48, 0x0f, 0xbe, 0x00), 0x7fULL);
	CHECK_EQ(LOAD(64, 0x7fff, 0x0f, 0xbf, 0x00), 0x7fffULL);
	/* 16-bit mode: movsbw %al merges, movzwl zero-extends. */
	CHECK_EQ(LOAD(16, d, 0x0f, 0xbe, 0x07), 0x112233445566ff80ULL);
	CHECK_EQ(LOAD(16, d, 0x66, 0x0f, 0xb7, 0x07), 0x8180ULL);
}

static u64 store(const u8 *bytes, unsigned int n, unsigned int mode,
		 u64 reg)
{
	struct vessel_mmio_insn insn;

	if (decode(bytes, n, mode, &insn))
		return 0xbad;
	return vessel_mmio_store_data(&insn, reg);
}

#define STORE(mode, reg, ...)						\
	store((const u8[]){ __VA_ARGS__ },				\
	      sizeof((const u8[]){ __VA_ARGS__ }), mode, reg)

static void test_store_data(void)
{
	CHECK_EQ(STORE(64, OLD, 0x88, 0x00), 0x88);		/* al */
	CHECK_EQ(STORE(64, OLD, 0x88, 0x20), 0x77);		/* ah */
	CHECK_EQ(STORE(64, OLD, 0x40, 0x88, 0x20), 0x88);	/* spl */
	CHECK_EQ(STORE(64, OLD, 0x66, 0x89, 0x00), 0x7788);
	CHECK_EQ(STORE(64, OLD, 0x89, 0x00), 0x55667788);
	CHECK_EQ(STORE(64, OLD, 0x48, 0x89, 0x00), OLD);
	CHECK_EQ(STORE(64, OLD, 0x48, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x80),
		 0xffffffff80000000ULL);
	CHECK_EQ(STORE(64, OLD, 0xc6, 0x00, 0xfe), 0xfe);
	CHECK_EQ(STORE(32, OLD, 0xab), 0x55667788);
}

/* ------------------------------------------------------------ ALU flags */

#define STATUS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
		 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

/*
 * The host CPU as the oracle: "insn %src,%dst" run natively with the status
 * flags of f loaded, f set to RFLAGS after it.  The stack pointer steps
 * over the red zone around PUSHF/POPF.
 */
#define NATIVE_ONE(insn, mod)						\
	asm("add $-128, %%rsp\n\t"					\
	    "push %[f]\n\t"						\
	    "popf\n\t"							\
	    insn " %" mod "[s], %" mod "[d]\n\t"			\
	    "pushf\n\t"							\
	    "pop %[f]\n\t"						\
	    "sub $-128, %%rsp"						\
	    : [d] "+r"(dst), [f] "+r"(f) : [s] "r"(src) : "cc")

/* The same for an instruction with one operand (src is unused). */
#define NATIVE_ONE1(insn, mod)						\
	asm("add $-128, %%rsp\n\t"					\
	    "push %[f]\n\t"						\
	    "popf\n\t"							\
	    insn " %" mod "[d]\n\t"					\
	    "pushf\n\t"						\
	    "pop %[f]\n\t"						\
	    "sub $-128, %%rsp"						\
	    : [d] "+r"(dst), [f] "+r"(f) : [s] "r"(src) : "cc")

/* native_@name(): @insn on operands of 1 << @lg bytes. */
#define NATIVE_ANY(name, insn, one)					\
static u64 native_##name(unsigned int lg, u64 dst, u64 src, u64 *fl)	\
{									\
	u64 f = *fl;							\
									\
	if (lg == 0)							\
		one(insn "b", "b");					\
	else if (lg == 1)						\
		one(insn "w", "w");					\
	else if (lg == 2)						\
		one(insn "l", "k");					\
	else								\
		one(insn "q", "q");					\
	*fl = f;							\
	return dst;							\
}
#define NATIVE(name, insn)	NATIVE_ANY(name, insn, NATIVE_ONE)
#define NATIVE1(name, insn)	NATIVE_ANY(name, insn, NATIVE_ONE1)

NATIVE(add, "add")
NATIVE(or, "or")
NATIVE(adc, "adc")
NATIVE(sbb, "sbb")
NATIVE(and, "and")
NATIVE(sub, "sub")
NATIVE(xor, "xor")
NATIVE(cmp, "cmp")
NATIVE(test, "test")
NATIVE1(inc, "inc")
NATIVE1(dec, "dec")
NATIVE1(not, "not")
NATIVE1(neg, "neg")

typedef u64 (*native_fn)(unsigned int lg, u64 dst, u64 src, u64 *fl);

/* Indexed by VESSEL_MMIO_OP_* - VESSEL_MMIO_OP_ADD. */
static const native_fn natives[] = {
	native_add, native_or, native_adc, native_sbb, native_and,
	native_sub, native_xor, native_cmp, native_test, native_inc,
	native_dec, native_not, native_neg,
};

static u64 size_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

/* One operation both ways; false (with a diagnostic) if they differ. */
static bool alu_check(unsigned int op, unsigned int lg, u64 dst, u64 src,
		      u64 flags_in)
{
	unsigned int size = 1U << lg;
	u64 mask = size_mask(size), nf = flags_in, vf = flags_in, nr, vr;

	nr = natives[op - VESSEL_MMIO_OP_ADD](lg, dst, src, &nf) & mask;
	vr = vessel_alu(op, size, dst, src, &vf);
	/* CMP and TEST write no destination: compare the flags only. */
	if (op == VESSEL_MMIO_OP_CMP || op == VESSEL_MMIO_OP_TEST)
		nr = vr;
	if (nr == vr && (nf & STATUS) == (vf & STATUS) &&
	    (vf & ~STATUS) == (flags_in & ~STATUS))
		return true;
	tap_diag(__FILE__, __LINE__,
		 "op %u size %u %#llx, %#llx flags %#llx: native %#llx flags %#llx, vessel %#llx flags %#llx",
		 op, size, (unsigned long long)dst, (unsigned long long)src,
		 (unsigned long long)flags_in, (unsigned long long)nr,
		 (unsigned long long)nf, (unsigned long long)vr,
		 (unsigned long long)vf);
	return false;
}

static u64 rng(void);
static u64 rng_state;

/* Values at the carry, sign and overflow edges of every size. */
static const u64 edges[] = {
	0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x7fff, 0x8000,
	0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xfffffffffffffffeULL,
	0xffffffffffffffffULL,
};

/* Every ALU operation at every size, against the host CPU. */
static void test_alu_flags_native(void)
{
	unsigned int op, lg, i, j, n = 0;
	u64 f;

	rng_state = 0xf1a95;
	for (op = VESSEL_MMIO_OP_ADD; op <= VESSEL_MMIO_OP_NEG; op++) {
		for (lg = 0; lg < 4; lg++) {
			for (i = 0; i < ARRAY_SIZE(edges); i++) {
				for (j = 0; j < ARRAY_SIZE(edges); j++) {
					/* CF in and out, the other flags set and clear. */
					f = X86_EFLAGS_FIXED | X86_EFLAGS_IF |
					    ((i + j) & 1 ? STATUS : 0);
					CHECK(alu_check(op, lg, edges[i], edges[j], f));
					f ^= STATUS;
					CHECK(alu_check(op, lg, edges[i], edges[j], f));
					n += 2;
				}
			}
			for (i = 0; i < 20000; i++) {
				u64 a = rng(), b = rng();

				f = X86_EFLAGS_FIXED | X86_EFLAGS_IF |
				    (rng() & STATUS);
				/* Small values too, where AF and PF vary. */
				if (i & 1) {
					a &= 0x1ff;
					b &= 0x1ff;
				}
				CHECK(alu_check(op, lg, a, b, f));
				n++;
			}
		}
	}
	printf("# alu: %u operations agree with the host CPU\n", n);
}

/* Every 8-bit pair, with CF clear and set: ADC and SBB included. */
static void test_alu_flags_exhaustive_8bit(void)
{
	unsigned int op, a, b, c;

	for (op = VESSEL_MMIO_OP_ADD; op <= VESSEL_MMIO_OP_NEG; op++)
		for (a = 0; a < 256; a++)
			for (b = 0; b < 256; b++)
				for (c = 0; c < 2; c++)
					CHECK(alu_check(op, 0, a, b,
							X86_EFLAGS_FIXED |
							(c ? X86_EFLAGS_CF : 0)));
}

/* ---------------------------------------------------- executing TEST/CMP */

/* Decodes @bytes and executes them on @mem, @reg and @flags. */
static bool exec(const u8 *bytes, unsigned int n, unsigned int mode, u64 mem,
		 u64 *reg, u64 *flags, u64 *wr)
{
	struct vessel_mmio_insn insn;

	if (decode(bytes, n, mode, &insn))
		return false;
	*wr = vessel_mmio_execute(&insn, mem, reg, flags);
	return true;
}

#define EXEC(mode, mem, reg, flags, ...)				\
	exec((const u8[]){ __VA_ARGS__ },				\
	     sizeof((const u8[]){ __VA_ARGS__ }), mode, mem, reg, flags, &wr)

/* @text run natively with flags nf = f0, outputs in @... */
#define NATIVE_MEM(text, ...)						\
	do {								\
		nf = f0;						\
		asm("add $-128, %%rsp\n\tpush %[f]\n\tpopf\n\t"		\
		    text "\n\tpushf\n\tpop %[f]\n\tsub $-128, %%rsp"	\
		    : [f] "+r"(nf), __VA_ARGS__ : : "cc");		\
	} while (0)

/*
 * Each case runs the same instruction natively on a host variable (the
 * memory operand) and compares RFLAGS and the register.
 */
static void test_exec_test_cmp(void)
{
	u64 m, r, nf, vf, reg, wr, f0 = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	u32 m32;
	u16 m16;
	u8 m8;

	/* testl $0x80000001,(%rax) on 0x80000000: SF, not ZF. */
	m32 = 0x80000000;
	NATIVE_MEM("testl $0x80000001, %[m]", [m] "+m"(m32));
	vf = f0;
	reg = OLD;
	CHECK(EXEC(64, m32, &reg, &vf, 0xf7, 0x00, 0x01, 0x00, 0x00, 0x80));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK_EQ(vf & ~STATUS, f0);
	CHECK_EQ(reg, OLD);
	CHECK(vf & X86_EFLAGS_SF);

	/* cmpl $5,(%rax) on 3: borrow. */
	m32 = 3;
	NATIVE_MEM("cmpl $5, %[m]", [m] "+m"(m32));
	vf = f0;
	CHECK(EXEC(64, m32, &reg, &vf, 0x83, 0x38, 0x05));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_CF);

	/* cmpq $-128,(%rax) on -128: equal. */
	m = -128ULL;
	NATIVE_MEM("cmpq $-128, %[m]", [m] "+m"(m));
	vf = f0 | X86_EFLAGS_CF;
	CHECK(EXEC(64, m, &reg, &vf, 0x48, 0x83, 0x38, 0x80));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_ZF);

	/* cmpw $-3,(%rax) on 0x7ffe: signed overflow. */
	m16 = 0x7ffe;
	NATIVE_MEM("cmpw $-3, %[m]", [m] "+m"(m16));
	vf = f0;
	CHECK(EXEC(64, m16, &reg, &vf, 0x66, 0x83, 0x38, 0xfd));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_OF);

	/* cmp %bh,(%rax): the register's bits 15:8. */
	m8 = 0x10;
	r = 0x2000;
	NATIVE_MEM("cmp %h[r], %[m]", [m] "+m"(m8), [r] "+Q"(r));
	vf = f0;
	reg = 0x2000;
	CHECK(EXEC(64, m8, &reg, &vf, 0x38, 0x38));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK_EQ(reg, 0x2000);

	/* cmp (%rax),%ecx: register minus memory, register unchanged. */
	m32 = 0x10;
	r = 0xffffffff00000001ULL;
	NATIVE_MEM("cmp %[m], %k[r]", [m] "+m"(m32), [r] "+r"(r));
	vf = f0;
	reg = 0xffffffff00000001ULL;
	CHECK(EXEC(64, m32, &reg, &vf, 0x3b, 0x08));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK_EQ(reg, 0xffffffff00000001ULL);
	CHECK(vf & X86_EFLAGS_CF);

	/* test %rsi,(%r12) and testb $0x81: low byte parity. */
	m = 0x8000000000000003ULL;
	r = 0x8000000000000001ULL;
	NATIVE_MEM("test %[r], %[m]", [m] "+m"(m), [r] "+r"(r));
	vf = f0;
	reg = r;
	CHECK(EXEC(64, m, &reg, &vf, 0x49, 0x85, 0x34, 0x24));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	m8 = 0x83;
	NATIVE_MEM("testb $0x81, %[m]", [m] "+m"(m8));
	vf = f0;
	CHECK(EXEC(64, m8, &reg, &vf, 0xf6, 0x03, 0x81));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_PF);

	/* 16-bit mode: testw $0x8001,(%bx) and cmp %al,0x1234. */
	m16 = 0x0001;
	NATIVE_MEM("testw $0x8001, %[m]", [m] "+m"(m16));
	vf = f0;
	CHECK(EXEC(16, m16, &reg, &vf, 0xf7, 0x07, 0x01, 0x80));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	m8 = 0x80;
	r = 0x7f;
	NATIVE_MEM("cmp %b[r], %[m]", [m] "+m"(m8), [r] "+r"(r));
	vf = f0;
	reg = 0x7f;
	CHECK(EXEC(16, m8, &reg, &vf, 0x38, 0x06, 0x34, 0x12));
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_OF);
}

/* Read-modify-write and register-destination ALU forms, against the host. */
static void test_exec_alu(void)
{
	u64 m, r, nf, vf, reg, wr, f0;
	u32 m32;
	u16 m16;
	u8 m8;

	/* orl $0x100,0xf0(%rax) */
	f0 = X86_EFLAGS_FIXED | X86_EFLAGS_IF | STATUS;
	m32 = 0x80000000;
	NATIVE_MEM("orl $0x100, %[m]", [m] "+m"(m32));
	vf = f0;
	reg = OLD;
	CHECK(EXEC(64, 0x80000000, &reg, &vf, 0x81, 0x88, 0xf0, 0x00, 0x00,
		   0x00, 0x00, 0x01, 0x00, 0x00));
	CHECK_EQ(wr, m32);
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK_EQ(reg, OLD);

	/* add %ecx,(%rax): a carry out and zero. */
	f0 = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	m32 = 1;
	r = 0xffffffff;
	NATIVE_MEM("add %k[r], %[m]", [m] "+m"(m32), [r] "+r"(r));
	vf = f0;
	reg = 0xffffffff;
	CHECK(EXEC(64, 1, &reg, &vf, 0x01, 0x08));
	CHECK_EQ(wr, m32);
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_CF);

	/* add (%rax),%ecx: the register is written and zero-extended. */
	m32 = 0x7fffffff;
	r = 0xffffffff00000001ULL;
	NATIVE_MEM("add %[m], %k[r]", [m] "+m"(m32), [r] "+r"(r));
	vf = f0;
	reg = 0xffffffff00000001ULL;
	CHECK(EXEC(64, m32, &reg, &vf, 0x03, 0x08));
	CHECK_EQ(reg, r);
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_OF);

	/* adc (%rax),%ah with CF set: bits 15:8 merge. */
	f0 = X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_CF;
	m8 = 0x0f;
	r = 0x1122334455660077ULL;
	NATIVE_MEM("adc %[m], %h[r]", [m] "+m"(m8), [r] "+Q"(r));
	vf = f0;
	reg = 0x1122334455660077ULL;
	CHECK(EXEC(64, m8, &reg, &vf, 0x12, 0x20));
	CHECK_EQ(reg, r);
	CHECK_EQ(reg, 0x1122334455661077ULL);
	CHECK_EQ(vf & STATUS, nf & STATUS);

	/* sbb %r8w,(%rdi) with CF set. */
	m16 = 0x1000;
	r = 0x0fff;
	NATIVE_MEM("sbb %w[r], %[m]", [m] "+m"(m16), [r] "+r"(r));
	vf = f0;
	reg = 0x0fff;
	CHECK(EXEC(64, 0x1000, &reg, &vf, 0x66, 0x44, 0x19, 0x07));
	CHECK_EQ(wr, m16);
	CHECK_EQ(wr, 0);
	CHECK_EQ(vf & STATUS, nf & STATUS);

	/* incl (%rax) keeps CF; negw (%rax) of 0x8000 overflows. */
	m32 = 0xffffffff;
	NATIVE_MEM("incl %[m]", [m] "+m"(m32));
	vf = f0;
	CHECK(EXEC(64, 0xffffffff, &reg, &vf, 0xff, 0x00));
	CHECK_EQ(wr, m32);
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_CF);
	f0 = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	m16 = 0x8000;
	NATIVE_MEM("negw %[m]", [m] "+m"(m16));
	vf = f0;
	CHECK(EXEC(64, 0x8000, &reg, &vf, 0x66, 0xf7, 0x18));
	CHECK_EQ(wr, m16);
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK(vf & X86_EFLAGS_OF);

	/* notb (%rax) changes no flag; subq $1 borrows from 0. */
	vf = X86_EFLAGS_FIXED | X86_EFLAGS_ZF | X86_EFLAGS_AF;
	CHECK(EXEC(64, 0x5a, &reg, &vf, 0xf6, 0x10));
	CHECK_EQ(wr, 0xa5);
	CHECK_EQ(vf, X86_EFLAGS_FIXED | X86_EFLAGS_ZF | X86_EFLAGS_AF);
	m = 0;
	NATIVE_MEM("subq $1, %[m]", [m] "+m"(m));
	vf = f0;
	CHECK(EXEC(64, 0, &reg, &vf, 0x48, 0x83, 0x28, 0x01));
	CHECK_EQ(wr, m);
	CHECK_EQ(wr, ~0ULL);
	CHECK_EQ(vf & STATUS, nf & STATUS);

	/* 16-bit mode: orw $0x8000,(%bx) keeps the register. */
	m16 = 0x0001;
	NATIVE_MEM("orw $0x8000, %[m]", [m] "+m"(m16));
	vf = f0;
	reg = OLD;
	CHECK(EXEC(16, 0x0001, &reg, &vf, 0x81, 0x0f, 0x00, 0x80));
	CHECK_EQ(wr, m16);
	CHECK_EQ(vf & STATUS, nf & STATUS);
	CHECK_EQ(reg, OLD);
}

/* XCHG: the register gets memory's old value, memory the register's. */
static void test_exec_xchg(void)
{
	u64 reg, wr, f = X86_EFLAGS_FIXED | STATUS;

	reg = 0xffffffff11223344ULL;
	CHECK(EXEC(64, 0xaabbccdd, &reg, &f, 0x87, 0x08));
	CHECK_EQ(wr, 0x11223344);
	CHECK_EQ(reg, 0xaabbccdd);		/* 32 bits: zero-extended */
	reg = 0x1122334455667788ULL;
	CHECK(EXEC(64, 0xee, &reg, &f, 0x86, 0x20));
	CHECK_EQ(wr, 0x77);			/* AH */
	CHECK_EQ(reg, 0x112233445566ee88ULL);
	reg = 0x1122334455667788ULL;
	CHECK(EXEC(16, 0xabcd, &reg, &f, 0x87, 0x07));
	CHECK_EQ(wr, 0x7788);
	CHECK_EQ(reg, 0x112233445566abcdULL);
	/* No flag changes. */
	CHECK_EQ(f, X86_EFLAGS_FIXED | STATUS);
}

/* STOS: rDI steps by the size, REP counts rCX, at each address size. */
static void test_string_step(void)
{
	static const u8 stosl[] = { 0xab };
	static const u8 rep_stosb[] = { 0xf3, 0xaa };
	static const u8 rep_stosw_a32[] = { 0x67, 0xf3, 0x66, 0xab };
	struct vessel_mmio_insn insn;
	u64 rdi, rcx;

	/* 64-bit: stosl up and down, RCX untouched without REP. */
	CHECK_EQ(decode(stosl, sizeof(stosl), 64, &insn), 0);
	rdi = 0x1000;
	rcx = 7;
	CHECK(vessel_mmio_string_step(&insn, false, &rdi, &rcx));
	CHECK_EQ(rdi, 0x1004);
	CHECK_EQ(rcx, 7);
	CHECK(vessel_mmio_string_step(&insn, true, &rdi, &rcx));
	CHECK_EQ(rdi, 0x1000);

	/* rep stosb: not done until RCX reaches 0. */
	CHECK_EQ(decode(rep_stosb, sizeof(rep_stosb), 64, &insn), 0);
	rdi = 0xfff;
	rcx = 2;
	CHECK(!vessel_mmio_string_step(&insn, false, &rdi, &rcx));
	CHECK_EQ(rdi, 0x1000);
	CHECK_EQ(rcx, 1);
	CHECK(vessel_mmio_string_step(&insn, false, &rdi, &rcx));
	CHECK_EQ(rdi, 0x1001);
	CHECK_EQ(rcx, 0);

	/* 32-bit address size in 64-bit mode: EDI wraps, zero-extended. */
	CHECK_EQ(decode(rep_stosw_a32, sizeof(rep_stosw_a32), 64, &insn), 0);
	rdi = 0xaaaaaaaaffffffffULL;
	rcx = 0xbbbbbbbb00000001ULL;
	CHECK(vessel_mmio_string_step(&insn, false, &rdi, &rcx));
	CHECK_EQ(rdi, 1);
	CHECK_EQ(rcx, 0);

	/* 16-bit address size: DI and CX wrap, bits 63:16 kept. */
	CHECK_EQ(decode(rep_stosb, sizeof(rep_stosb), 16, &insn), 0);
	rdi = 0x12340000;
	rcx = 0x56780000;
	CHECK(!vessel_mmio_string_step(&insn, true, &rdi, &rcx));
	CHECK_EQ(rdi, 0x1234ffff);
	CHECK_EQ(rcx, 0x5678ffff);
}

/* ---------------------------------------------------------- decoder fuzz */

static u64 rng(void)
{
	/* xorshift64: fixed seed, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Bytes that steer the decoder into its deeper paths. */
static const u8 interesting[] = {
	0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3,
	0x40, 0x41, 0x44, 0x48, 0x4c, 0x4f, 0x0f, 0x88, 0x89, 0x8a, 0x8b,
	0xa0, 0xa1, 0xa2, 0xa3, 0xaa, 0xab, 0xc6, 0xc7, 0xb6, 0xb7, 0xbe,
	0xbf, 0x04, 0x05, 0x06, 0x44, 0x84, 0x0c, 0x25, 0x65, 0xe5,
	0x38, 0x39, 0x3a, 0x3b, 0x80, 0x81, 0x83, 0x85, 0xf6, 0xf7,
	0x01, 0x03, 0x11, 0x21, 0x29, 0x31, 0xfe, 0xff, 0x86, 0x87,
};

static bool insn_equal(const struct vessel_mmio_insn *a,
		       const struct vessel_mmio_insn *b)
{
	return a->length == b->length && a->size == b->size &&
	       a->dst_size == b->dst_size && a->reg == b->reg &&
	       a->ext == b->ext && a->seg == b->seg &&
	       a->addr_size == b->addr_size && a->is_write == b->is_write &&
	       a->high_byte == b->high_byte && a->flags == b->flags &&
	       a->imm == b->imm && a->op == b->op;
}

static bool fuzz_one(u8 *end, unsigned int mode, unsigned int *ok)
{
	struct vessel_mmio_insn insn, again;
	unsigned int len = rng() % (VESSEL_INSN_MAX_LEN + 1), i;
	u8 *bytes = end - len;	/* ASan red zone right after the input */
	int ret;

	for (i = 0; i < len; i++) {
		u64 r = rng();

		bytes[i] = r & 1 ? interesting[(r >> 8) % sizeof(interesting)]
				 : r >> 16;
	}
	ret = vessel_decode_mmio(bytes, len, mode, &insn);
	if (ret == -EINVAL || ret == -ENODATA || ret == -EOPNOTSUPP)
		return true;
	if (ret || insn.length < 1 || insn.length > len ||
	    insn.length > VESSEL_INSN_MAX_LEN || !insn.size)
		return false;
	(*ok)++;
	/* The decision depends on the first @length bytes only. */
	if (vessel_decode_mmio(bytes, insn.length, mode, &again) ||
	    !insn_equal(&insn, &again))
		return false;
	return vessel_decode_mmio(bytes, insn.length - 1, mode, &again) ==
	       -ENODATA;
}

static void test_decode_fuzz(void)
{
	static const unsigned int modes[] = { 16, 32, 64 };
	u8 *buf = malloc(VESSEL_INSN_MAX_LEN);
	unsigned int m, i, ok = 0;

	rng_state = 0x5eed0fdecade;
	for (m = 0; m < ARRAY_SIZE(modes); m++) {
		for (i = 0; i < 100000; i++) {
			if (!fuzz_one(buf + VESSEL_INSN_MAX_LEN, modes[m],
				      &ok)) {
				tap_diag(__FILE__, __LINE__,
					 "mode %u input %u", modes[m], i);
				break;
			}
		}
	}
	free(buf);
	printf("# fuzz: %u of %u inputs decoded\n", ok, 3 * 100000);
	/* Make sure the generator reaches the success paths at all. */
	CHECK(ok > 1000);
}

/* ---------------------------------------------------------- page walker */

#define RAM_SIZE	(8ULL << 20)
#define PT_BASE		0x100000ULL	/* page tables are allocated here */

#define P	(1ULL << 0)
#define RW	(1ULL << 1)
#define US	(1ULL << 2)
#define PS	(1ULL << 7)
#define XD	(1ULL << 63)
#define ALL	(P | RW | US)

#define CR0_PE	(1ULL << 0)
#define CR0_WP	(1ULL << 16)
#define CR0_PG	(1ULL << 31)
#define CR4_PSE	(1ULL << 4)
#define CR4_PAE	(1ULL << 5)
#define CR4_LA57 (1ULL << 12)
#define CR4_SMEP (1ULL << 20)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

#define PF_P	VESSEL_PFERR_PRESENT
#define PF_W	VESSEL_PFERR_WRITE
#define PF_U	VESSEL_PFERR_USER
#define PF_R	VESSEL_PFERR_RSVD
#define PF_I	VESSEL_PFERR_FETCH

static u8 ram[RAM_SIZE];
static u64 pt_next;
static unsigned int gpa_reads;

static int ram_read(void *opaque, u64 gpa, void *buf, unsigned int len)
{
	int err = opaque ? *(int *)opaque : -ENOENT;

	gpa_reads++;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return err;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static u64 rd64(u64 gpa)
{
	u64 v;

	memcpy(&v, ram + gpa, sizeof(v));
	return v;
}

static void wr64(u64 gpa, u64 v)
{
	memcpy(ram + gpa, &v, sizeof(v));
}

static void wr32(u64 gpa, u32 v)
{
	memcpy(ram + gpa, &v, sizeof(v));
}

static u64 pt_alloc(void)
{
	u64 page = pt_next;

	pt_next += 4096;
	memset(ram + page, 0, 4096);
	return page;
}

static struct vessel_walk_env env_reset(u64 cr0, u64 cr4, u64 efer)
{
	struct vessel_walk_env env = {
		.cr0 = cr0, .cr4 = cr4, .efer = efer, .read_gpa = ram_read,
	};

	pt_next = PT_BASE;
	env.cr3 = pt_alloc();
	return env;
}

/*
 * Maps @gva to @gpa with a leaf at @leaf (1: 4K, 2: 2M, 3: 1G) in 64-bit
 * tables from @table at @level, with @flags in the leaf and ALL above it.
 * Returns the address of the leaf entry.
 */
static u64 map64(u64 table, unsigned int level, u64 gva, u64 gpa,
		 unsigned int leaf, u64 flags)
{
	for (;; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		u64 e = table + ((gva >> shift) & 511) * 8;

		if (level == leaf) {
			wr64(e, gpa | flags | (leaf > 1 ? PS : 0));
			return e;
		}
		if (!(rd64(e) & P))
			wr64(e, pt_alloc() | ALL);
		table = rd64(e) & 0x000ffffffffff000ULL;
	}
}

/* The entry for @gva at @level of a 4-level walk already built. */
static u64 entry64(u64 cr3, u64 gva, unsigned int level)
{
	u64 table = cr3, e = 0;
	unsigned int l;

	for (l = 4; l >= level; l--) {
		e = table + ((gva >> (12 + 9 * (l - 1))) & 511) * 8;
		table = rd64(e) & 0x000ffffffffff000ULL;
	}
	return e;
}

struct walk_result {
	int ret;
	u64 gpa;
	u32 pferr;
};

static struct walk_result walk(const struct vessel_walk_env *env, u64 gva,
			       u32 access)
{
	struct walk_result r = { .gpa = 0xdead };

	r.ret = vessel_gva_to_gpa(env, gva, access, &r.gpa, &r.pferr);
	return r;
}

#define CHECK_WALK(env, gva, access, want_gpa)				\
	do {								\
		struct walk_result r_ = walk(env, gva, access);		\
		CHECK_EQ(r_.ret, 0);					\
		CHECK_EQ(r_.gpa, want_gpa);				\
	} while (0)

#define CHECK_PF(env, gva, access, want_pferr)				\
	do {								\
		struct walk_result r_ = walk(env, gva, access);		\
		CHECK_EQ(r_.ret, -EFAULT);				\
		CHECK_EQ(r_.pferr, want_pferr);				\
	} while (0)

static void test_walk_unpaged(void)
{
	struct vessel_walk_env env = env_reset(CR0_PE, 0, 0);

	gpa_reads = 0;
	CHECK_WALK(&env, 0x12345678, 0, 0x12345678);
	CHECK_WALK(&env, 0xfffff000, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		   0xfffff000);
	/* Linear addresses wrap at 4 GiB outside long mode. */
	CHECK_WALK(&env, 0x100001000ULL, VESSEL_WALK_FETCH, 0x1000);
	env.cr0 = 0;
	CHECK_WALK(&env, 0xb8000, VESSEL_WALK_WRITE, 0xb8000);
	CHECK_EQ(gpa_reads, 0);
}

#define LA_USER		0x00007fff12345000ULL
#define LA_KERN_2M	0xffff800000400000ULL
#define LA_KERN_1G	0xffffffffc0000000ULL

static struct vessel_walk_env env_4level(void)
{
	struct vessel_walk_env env = env_reset(CR0_PE | CR0_PG | CR0_WP,
					       CR4_PAE,
					       EFER_LME | EFER_LMA | EFER_NXE);

	map64(env.cr3, 4, LA_USER, 0x200000, 1, ALL);
	map64(env.cr3, 4, LA_KERN_2M, 0x600000, 2, P | RW);
	map64(env.cr3, 4, LA_KERN_1G, 0x40000000, 3, P | RW);
	return env;
}

static void test_walk_4level_map(void)
{
	struct vessel_walk_env env = env_4level();

	CHECK_WALK(&env, LA_USER + 0x678, 0, 0x200678);
	CHECK_WALK(&env, LA_USER + 0xfff, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		   0x200fff);
	CHECK_WALK(&env, LA_USER, VESSEL_WALK_FETCH | VESSEL_WALK_USER,
		   0x200000);
	CHECK_WALK(&env, LA_KERN_2M + 0x12345, VESSEL_WALK_WRITE, 0x612345);
	CHECK_WALK(&env, LA_KERN_2M + 0x1fffff, 0, 0x7fffff);
	CHECK_WALK(&env, LA_KERN_1G + 0x3ffffffe, VESSEL_WALK_FETCH,
		   0x7ffffffe);
	/* PCID bits of CR3 are not part of the address. */
	env.cr3 |= 0x123;
	CHECK_WALK(&env, LA_USER + 0x10, 0, 0x200010);
	/* A physical address just below MAXPHYADDR (46). */
	wr64(entry64(env.cr3 & ~0xfffULL, LA_USER, 1),
	     (1ULL << 45) | 0x3000 | ALL);
	CHECK_WALK(&env, LA_USER + 1, 0, (1ULL << 45) | 0x3001);
}

static void test_walk_4level_not_present(void)
{
	struct vessel_walk_env env = env_4level();
	unsigned int level;

	CHECK_PF(&env, 0x0000123400000000ULL, 0, 0);
	CHECK_PF(&env, LA_USER + 0x1000, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		 PF_W | PF_U);
	/* NXE: a fetch reports I/D even when the page is absent. */
	CHECK_PF(&env, LA_USER - 0x1000, VESSEL_WALK_FETCH, PF_I);
	for (level = 4; level >= 1; level--) {
		env = env_4level();
		wr64(entry64(env.cr3, LA_USER, level),
		     rd64(entry64(env.cr3, LA_USER, level)) & ~P);
		CHECK_PF(&env, LA_USER, VESSEL_WALK_USER, PF_U);
	}
}

static void test_walk_4level_protection(void)
{
	struct vessel_walk_env env = env_4level();
	u64 pte = entry64(env.cr3, LA_USER, 1);
	u64 pml4e = entry64(env.cr3, LA_USER, 4);

	/* Read-only PTE: user writes fault; supervisor writes obey WP. */
	wr64(pte, rd64(pte) & ~RW);
	CHECK_WALK(&env, LA_USER, VESSEL_WALK_USER, 0x200000);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		 PF_P | PF_W | PF_U);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_WRITE, PF_P | PF_W);
	env.cr0 &= ~CR0_WP;
	CHECK_WALK(&env, LA_USER, VESSEL_WALK_WRITE, 0x200000);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		 PF_P | PF_W | PF_U);

	/* R/W clear at the top level counts as much as in the PTE. */
	env = env_4level();
	wr64(pml4e, rd64(pml4e) & ~RW);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_WRITE, PF_P | PF_W);

	/* Supervisor pages: user access faults, supervisor is fine. */
	CHECK_PF(&env, LA_KERN_2M, VESSEL_WALK_USER, PF_P | PF_U);
	CHECK_PF(&env, LA_KERN_1G, VESSEL_WALK_USER | VESSEL_WALK_FETCH,
		 PF_P | PF_U | PF_I);
	env = env_4level();
	wr64(pml4e, rd64(pml4e) & ~US);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_USER, PF_P | PF_U);
	CHECK_WALK(&env, LA_USER, 0, 0x200000);
}

static void test_walk_4level_nx_smep(void)
{
	struct vessel_walk_env env = env_4level();
	u64 pde = entry64(env.cr3, LA_USER, 2);

	wr64(pde, rd64(pde) | XD);
	CHECK_WALK(&env, LA_USER, VESSEL_WALK_USER, 0x200000);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_FETCH | VESSEL_WALK_USER,
		 PF_P | PF_U | PF_I);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_FETCH, PF_P | PF_I);
	/* Without EFER.NXE, bit 63 is reserved. */
	env.efer &= ~EFER_NXE;
	CHECK_PF(&env, LA_USER, 0, PF_P | PF_R);
	CHECK_PF(&env, LA_USER, VESSEL_WALK_FETCH, PF_P | PF_R);

	/* SMEP: no supervisor fetch from a user page; user fetch is fine. */
	env = env_4level();
	env.cr4 |= CR4_SMEP;
	CHECK_PF(&env, LA_USER, VESSEL_WALK_FETCH, PF_P | PF_I);
	CHECK_WALK(&env, LA_USER, VESSEL_WALK_FETCH | VESSEL_WALK_USER,
		   0x200000);
	CHECK_WALK(&env, LA_USER, 0, 0x200000);
	CHECK_WALK(&env, LA_KERN_2M, VESSEL_WALK_FETCH, 0x600000);
}

static void test_walk_4level_reserved(void)
{
	struct vessel_walk_env env = env_4level();
	u64 pte = entry64(env.cr3, LA_USER, 1);
	u64 pde2m = entry64(env.cr3, LA_KERN_2M, 2);
	u64 pdpte1g = entry64(env.cr3, LA_KERN_1G, 3);
	u64 pml4e = entry64(env.cr3, LA_USER, 4);
	u64 v = rd64(pte);

	/* Address bits 51:MAXPHYADDR; MAXPHYADDR 0 means 46. */
	wr64(pte, v | (1ULL << 46));
	CHECK_PF(&env, LA_USER, VESSEL_WALK_USER, PF_P | PF_U | PF_R);
	env.maxphyaddr = 47;
	CHECK_WALK(&env, LA_USER, 0, (1ULL << 46) | 0x200000);
	wr64(pte, v | (1ULL << 51));
	CHECK_PF(&env, LA_USER, VESSEL_WALK_WRITE, PF_P | PF_W | PF_R);
	env.maxphyaddr = 52;
	CHECK_WALK(&env, LA_USER, 0, (1ULL << 51) | 0x200000);
	/* Bits 62:52 are ignored in 4-level paging. */
	env.maxphyaddr = 0;
	wr64(pte, v | (0x7ffULL << 52));
	CHECK_WALK(&env, LA_USER, 0, 0x200000);
	wr64(pte, v);

	/* Large-page address bits below the page size are reserved. */
	wr64(pde2m, rd64(pde2m) | (1ULL << 13));
	CHECK_PF(&env, LA_KERN_2M, 0, PF_P | PF_R);
	wr64(pdpte1g, rd64(pdpte1g) | (1ULL << 29));
	CHECK_PF(&env, LA_KERN_1G, 0, PF_P | PF_R);
	/* Bit 12 is PAT there, not address. */
	wr64(pdpte1g, (rd64(pdpte1g) & ~(1ULL << 29)) | (1ULL << 12));
	CHECK_WALK(&env, LA_KERN_1G + 5, 0, 0x40000005);
	/* PS is reserved in a PML4E. */
	wr64(pml4e, rd64(pml4e) | PS);
	CHECK_PF(&env, LA_USER, 0, PF_P | PF_R);
	/* Not present wins over reserved bits. */
	wr64(pml4e, (rd64(pml4e) | (1ULL << 50)) & ~P);
	CHECK_PF(&env, LA_USER, 0, 0);
}

static void test_walk_4level_errors(void)
{
	struct vessel_walk_env env = env_4level();
	struct walk_result r;
	int err = -EFAULT;

	r = walk(&env, 0x0000800000000000ULL, 0);
	CHECK_EQ(r.ret, -EINVAL);
	r = walk(&env, 0xfffe7fffffffffffULL, 0);
	CHECK_EQ(r.ret, -EINVAL);
	CHECK_WALK(&env, 0xffff800000400000ULL, 0, 0x600000);
	env.cr4 |= CR4_LA57;
	r = walk(&env, LA_USER, 0);
	CHECK_EQ(r.ret, -EOPNOTSUPP);
	env.cr4 &= ~CR4_LA57;
	/* A table outside guest RAM: the reader's error, not a #PF. */
	wr64(entry64(env.cr3, LA_USER, 2), 0x40000000ULL | ALL);
	r = walk(&env, LA_USER, 0);
	CHECK_EQ(r.ret, -ENOENT);
	env.opaque = &err;
	r = walk(&env, LA_USER, 0);
	CHECK_EQ(r.ret, -ENXIO);
	env.maxphyaddr = 60;
	r = walk(&env, LA_USER, 0);
	CHECK_EQ(r.ret, -EINVAL);
}

#define LA_PAE_4K	0xc0801000ULL
#define LA_PAE_2M	0x40200000ULL

static struct vessel_walk_env env_pae(void)
{
	struct vessel_walk_env env = env_reset(CR0_PE | CR0_PG | CR0_WP,
					       CR4_PAE, EFER_NXE);
	u64 pdpt = env.cr3 + 0x20;	/* CR3[31:5]: 32-byte aligned */
	unsigned int i;

	env.cr3 = pdpt;
	for (i = 0; i < 4; i++)
		wr64(pdpt + i * 8, i == 2 ? 0 : pt_alloc() | P);
	map64(rd64(pdpt + 3 * 8) & ~0xfffULL, 2, LA_PAE_4K, 0x345000, 1,
	      ALL);
	map64(rd64(pdpt + 1 * 8) & ~0xfffULL, 2, LA_PAE_2M, 0x400000, 2,
	      P | US);
	return env;
}

static void test_walk_pae(void)
{
	struct vessel_walk_env env = env_pae();
	u64 pdpt = env.cr3;
	u64 pdptrs[4];
	unsigned int i;

	CHECK_WALK(&env, LA_PAE_4K + 0xabc, VESSEL_WALK_WRITE, 0x345abc);
	CHECK_WALK(&env, LA_PAE_2M + 0x1234, VESSEL_WALK_USER, 0x401234);
	/* High bits of a 64-bit @gva are dropped outside long mode. */
	CHECK_WALK(&env, 0xffffffff00000000ULL | LA_PAE_4K, 0, 0x345000);
	/* Not present: the PDPTE for 2 GiB..3 GiB, a PDE, a PTE. */
	CHECK_PF(&env, 0x80000000ULL, VESSEL_WALK_WRITE, PF_W);
	CHECK_PF(&env, 0xc0000000ULL, 0, 0);
	CHECK_PF(&env, LA_PAE_4K + 0x1000, VESSEL_WALK_FETCH, PF_I);
	/* Protection. */
	CHECK_PF(&env, LA_PAE_2M, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		 PF_P | PF_W | PF_U);
	CHECK_PF(&env, LA_PAE_2M, VESSEL_WALK_WRITE, PF_P | PF_W);
	/* The VMCS PDPTEs override memory. */
	for (i = 0; i < 4; i++)
		pdptrs[i] = rd64(pdpt + i * 8);
	env.pdptrs = pdptrs;
	wr64(pdpt + 3 * 8, 0);
	CHECK_WALK(&env, LA_PAE_4K, 0, 0x345000);
	pdptrs[1] = 0;
	CHECK_PF(&env, LA_PAE_2M, 0, 0);
}

static void test_walk_pae_nx_reserved(void)
{
	struct vessel_walk_env env = env_pae();
	u64 pdpt = env.cr3;
	u64 pde2m = (rd64(pdpt + 8) & ~0xfffULL) + ((LA_PAE_2M >> 21) & 511) * 8;
	u64 v = rd64(pde2m);

	wr64(pde2m, v | XD);
	CHECK_WALK(&env, LA_PAE_2M, 0, 0x400000);
	CHECK_PF(&env, LA_PAE_2M, VESSEL_WALK_FETCH | VESSEL_WALK_USER,
		 PF_P | PF_U | PF_I);
	/* Without NXE bit 63 is reserved, and a fetch has no I/D. */
	env.efer = 0;
	CHECK_PF(&env, LA_PAE_2M, VESSEL_WALK_FETCH, PF_P | PF_R);
	env.efer = EFER_NXE;
	/* PAE: bits 62:MAXPHYADDR are reserved, unlike 4-level paging. */
	wr64(pde2m, v | (1ULL << 52));
	CHECK_PF(&env, LA_PAE_2M, 0, PF_P | PF_R);
	wr64(pde2m, v | (1ULL << 20));
	CHECK_PF(&env, LA_PAE_2M, 0, PF_P | PF_R);
	wr64(pde2m, v);
	/* A PDPTE has no R/W or U/S: bits 2:1 are reserved. */
	wr64(pdpt + 8, rd64(pdpt + 8) | RW);
	CHECK_PF(&env, LA_PAE_2M, 0, PF_P | PF_R);
	/* Reading the PDPTEs from outside RAM. */
	env.cr3 = 0xffffffe0;
	CHECK_EQ(walk(&env, LA_PAE_2M, 0).ret, -ENOENT);
}

#define LA32_4K		0x00403000U
#define LA32_4M		0x80400000U

static struct vessel_walk_env env_32(void)
{
	struct vessel_walk_env env = env_reset(CR0_PE | CR0_PG | CR0_WP,
					       CR4_PSE, 0);
	u64 pt = pt_alloc();

	wr32(env.cr3 + (LA32_4K >> 22) * 4, pt | ALL);
	wr32(pt + ((LA32_4K >> 12) & 1023) * 4, 0x00567000 | ALL);
	wr32(env.cr3 + (LA32_4M >> 22) * 4, 0x00c00000 | P | RW | PS);
	return env;
}

static void test_walk_32bit(void)
{
	struct vessel_walk_env env = env_32();
	u64 pde4m = env.cr3 + (LA32_4M >> 22) * 4;
	u64 pde4k = env.cr3 + (LA32_4K >> 22) * 4;

	CHECK_WALK(&env, LA32_4K + 0x123, VESSEL_WALK_USER, 0x567123);
	CHECK_WALK(&env, LA32_4M + 0x3fffff, VESSEL_WALK_WRITE, 0xffffff);
	/* No NX in 32-bit paging: a fetch is a read, with no I/D bit. */
	CHECK_WALK(&env, LA32_4K, VESSEL_WALK_FETCH | VESSEL_WALK_USER,
		   0x567000);
	CHECK_PF(&env, LA32_4K + 0x1000, VESSEL_WALK_FETCH, 0);
	CHECK_PF(&env, 0x12345678, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		 PF_W | PF_U);
	CHECK_PF(&env, LA32_4M, VESSEL_WALK_USER, PF_P | PF_U);
	/* SMEP does give fetches an I/D bit. */
	env.cr4 |= CR4_SMEP;
	CHECK_PF(&env, LA32_4K, VESSEL_WALK_FETCH, PF_P | PF_I);
	env.cr4 &= ~CR4_SMEP;

	/* Read-only 4-MiB page, with and without CR0.WP. */
	wr32(pde4m, 0x00c00000 | P | PS);
	CHECK_PF(&env, LA32_4M, VESSEL_WALK_WRITE, PF_P | PF_W);
	env.cr0 &= ~CR0_WP;
	CHECK_WALK(&env, LA32_4M, VESSEL_WALK_WRITE, 0xc00000);
	/* Read-only PDE over a writable PTE. */
	wr32(pde4k, (u32)(rd64(pde4k) & ~RW));
	CHECK_PF(&env, LA32_4K, VESSEL_WALK_WRITE | VESSEL_WALK_USER,
		 PF_P | PF_W | PF_U);
	CHECK_WALK(&env, LA32_4K, VESSEL_WALK_WRITE, 0x567000);
}

static void test_walk_32bit_pse(void)
{
	struct vessel_walk_env env = env_32();
	u64 pde4m = env.cr3 + (LA32_4M >> 22) * 4;

	/* PSE-36: PDE bits 20:13 are address bits 39:32. */
	wr32(pde4m, 0x00c00000 | (0x81 << 13) | P | PS);
	CHECK_WALK(&env, LA32_4M + 7, 0, 0x8100c00007ULL);
	/* ... up to MAXPHYADDR; bit 21 is always reserved. */
	env.maxphyaddr = 36;
	CHECK_PF(&env, LA32_4M, 0, PF_P | PF_R);
	wr32(pde4m, 0x00c00000 | (0x0f << 13) | P | PS);
	CHECK_WALK(&env, LA32_4M, 0, 0xf00c00000ULL);
	wr32(pde4m, 0x00c00000 | (1 << 21) | P | PS);
	CHECK_PF(&env, LA32_4M, 0, PF_P | PF_R);
	/* Without CR4.PSE the PS bit is ignored: a page table follows. */
	env.cr4 = 0;
	wr32(pde4m, 0x00002000 | P | PS);
	wr32(0x2000 + ((LA32_4M >> 12) & 1023) * 4, 0x00777000 | P);
	CHECK_WALK(&env, LA32_4M + 0x42, 0, 0x777042);
}

/* ---------------------------------------------------- virtual reads */

static void test_read_virt_cross_page(void)
{
	struct vessel_walk_env env = env_4level();
	u64 la = 0x0000000000400000ULL;
	u8 buf[16], want[16];
	u32 pferr;
	unsigned int i;

	/* Two adjacent linear pages on physical pages in reverse order. */
	map64(env.cr3, 4, la, 0x302000, 1, ALL);
	map64(env.cr3, 4, la + 0x1000, 0x301000, 1, ALL);
	for (i = 0; i < 16; i++) {
		want[i] = 0xa0 + i;
		ram[(i < 5 ? 0x302ffbULL : 0x301000ULL - 5) + i] = want[i];
	}
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(vessel_guest_read_virt(&env, la + 0xffb, buf, 16,
					VESSEL_WALK_FETCH, &pferr), 0);
	CHECK(!memcmp(buf, want, 16));
	CHECK_EQ(pferr, 0);
	/* Within one page, and a zero-length read. */
	CHECK_EQ(vessel_guest_read_virt(&env, la + 0xffb, buf, 5, 0, &pferr),
		 0);
	CHECK(!memcmp(buf, want, 5));
	gpa_reads = 0;
	CHECK_EQ(vessel_guest_read_virt(&env, la, buf, 0, 0, &pferr), 0);
	CHECK_EQ(gpa_reads, 0);

	/* The second page faults. */
	wr64(entry64(env.cr3, la + 0x1000, 1), 0);
	CHECK_EQ(vessel_guest_read_virt(&env, la + 0xffb, buf, 16,
					VESSEL_WALK_USER, &pferr), -EFAULT);
	CHECK_EQ(pferr, PF_U);
	/* Mapped, but to a GPA outside RAM. */
	wr64(entry64(env.cr3, la + 0x1000, 1), 0x7ffff000ULL | ALL);
	CHECK_EQ(vessel_guest_read_virt(&env, la + 0xffb, buf, 16, 0, &pferr),
		 -ENOENT);
}

/* Outside long mode a read that runs past 4 GiB wraps to linear 0. */
static void test_read_virt_wrap_32(void)
{
	struct vessel_walk_env env = env_reset(CR0_PE | CR0_PG, 0, 0);
	u64 pt_top = pt_alloc(), pt_zero = pt_alloc();
	u8 buf[4];
	u32 pferr;

	wr32(env.cr3 + 1023 * 4, pt_top | ALL);
	wr32(pt_top + 1023 * 4, 0x303000 | ALL);
	wr32(env.cr3, pt_zero | ALL);
	wr32(pt_zero, 0x304000 | ALL);
	memcpy(ram + 0x303ffe, "\x11\x22", 2);
	memcpy(ram + 0x304000, "\x33\x44", 2);
	CHECK_EQ(vessel_guest_read_virt(&env, 0xfffffffeULL, buf, 4, 0,
					&pferr), 0);
	CHECK(!memcmp(buf, "\x11\x22\x33\x44", 4));
	/* Unpaged: the high bits of @gva are dropped. */
	env.cr0 = CR0_PE;
	CHECK_EQ(vessel_guest_read_virt(&env, 0x100303ffeULL, buf, 4, 0,
					&pferr), 0);
	CHECK(!memcmp(buf, "\x11\x22\x33\x44", 4));
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_decode_stores),
		TAP_TEST(test_decode_loads),
		TAP_TEST(test_decode_imm_string_prefixes),
		TAP_TEST(test_decode_test_cmp),
		TAP_TEST(test_decode_alu),
		TAP_TEST(test_decode_segment_and_addr_size),
		TAP_TEST(test_decode_unsupported),
		TAP_TEST(test_decode_register_operand),
		TAP_TEST(test_decode_bad_mode),
		TAP_TEST(test_decode_truncated),
		TAP_TEST(test_decode_too_long),
		TAP_TEST(test_load_merge),
		TAP_TEST(test_load_extend),
		TAP_TEST(test_store_data),
		TAP_TEST(test_alu_flags_native),
		TAP_TEST(test_alu_flags_exhaustive_8bit),
		TAP_TEST(test_exec_test_cmp),
		TAP_TEST(test_exec_alu),
		TAP_TEST(test_exec_xchg),
		TAP_TEST(test_string_step),
		TAP_TEST(test_decode_fuzz),
		TAP_TEST(test_walk_unpaged),
		TAP_TEST(test_walk_4level_map),
		TAP_TEST(test_walk_4level_not_present),
		TAP_TEST(test_walk_4level_protection),
		TAP_TEST(test_walk_4level_nx_smep),
		TAP_TEST(test_walk_4level_reserved),
		TAP_TEST(test_walk_4level_errors),
		TAP_TEST(test_walk_pae),
		TAP_TEST(test_walk_pae_nx_reserved),
		TAP_TEST(test_walk_32bit),
		TAP_TEST(test_walk_32bit_pse),
		TAP_TEST(test_read_virt_cross_page),
		TAP_TEST(test_read_virt_wrap_32),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
