// SPDX-License-Identifier: GPL-2.0
/*
 * vessel_fuzz: hostile guest programs.
 *
 * A program is a list of gadgets, each one privileged or odd instruction
 * with its operands loaded before it (MSR index and value, CR value, port
 * and count, hypercall registers), or a run of random bytes.  Operands come
 * from tables of what the module handles (the architectural, x2APIC,
 * Hyper-V and KVM MSRs, hypercall codes, ports) and from boundary values
 * (0, 1, 2^32-1, 2^63, ~0, ...), not only random ones.
 *
 * Every gadget starts by storing the address of the next one at G_RESUME;
 * every vector of the IVT/IDT leads to a handler that resets the stack and
 * jumps there, so a gadget that faults is cut short and a program does not
 * die at its first #GP.  Gadgets are chosen mostly from
 * one or two focus groups (the APIC timer, a provider, I/O, ...) so that
 * sequences which need several steps - enable x2APIC, set TSC-deadline
 * mode, write a deadline - come up often.  The program ends with an OUT and
 * a jump back to its start.
 */
#include <string.h>

#include "fuzz.h"

const char *const mode_names[NR_MODES] = { "real", "protected", "long" };
const char *const provider_names[NR_PROVIDERS] = {
	"none", "minimal", "hyperv", "kvm",
};

/* GDT selectors: the same table serves every mode. */
#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18
#define SEL_TSS		0x20	/* 16 bytes: a 64-bit TSS descriptor */
#define SEL_CODE16	0x30
#define SEL_DATA16	0x38
#define GDT_LIMIT	0x3f

/* Where the host leaves operands for memory forms. */
#define D_DTR		(G_DATA + 0x000)	/* LGDT/LIDT pseudo-descriptor */
#define D_FARPTR	(G_DATA + 0x010)	/* m16:16/32/64 far pointer */
#define D_VMXPTR	(G_DATA + 0x020)	/* VMXON/VMPTRLD operand */
#define D_INVDESC	(G_DATA + 0x030)	/* INVEPT/INVVPID descriptor */
#define D_XSAVE		(G_DATA + 0x400)	/* 64-byte aligned area */
#define D_HC_IN		(G_DATA + 0x1000)	/* hypercall input page */
#define D_HC_OUT	(G_DATA + 0x2000)	/* hypercall output page */
#define D_HC_PAGE	(G_DATA + 0x3000)	/* Hyper-V hypercall page */
#define D_PV_PAGE	(G_DATA + 0x4000)	/* kvmclock, SynIC pages, ... */

/* -------------------------------------------------------- the encoder */

struct asm_buf {
	uint8_t *p;
	unsigned int len;
	unsigned int cap;
	enum guest_mode mode;
	uint32_t base;			/* linear address of p[0] */
	uint32_t cs_base;		/* real mode: CS base */
};

static void b(struct asm_buf *a, uint8_t x)
{
	if (a->len < a->cap)
		a->p[a->len] = x;
	a->len++;
}

static void bn(struct asm_buf *a, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		b(a, v >> (8 * i));
}

static void bytes(struct asm_buf *a, const uint8_t *s, unsigned int n)
{
	while (n--)
		b(a, *s++);
}

#define EMIT(a, ...) do {					\
	static const uint8_t _s[] = { __VA_ARGS__ };		\
	bytes(a, _s, sizeof(_s));				\
} while (0)

/* The address the next byte will have: offset in CS for real mode. */
static uint32_t here(const struct asm_buf *a)
{
	return a->base + a->len - a->cs_base;
}

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11 };

/* reg = val: 32 bits outside long mode. */
static void mov_imm(struct asm_buf *a, unsigned int reg, uint64_t val)
{
	switch (a->mode) {
	case MODE_REAL:
		b(a, 0x66);
		b(a, 0xb8 + (reg & 7));
		bn(a, val, 4);
		break;
	case MODE_PROT:
		b(a, 0xb8 + (reg & 7));
		bn(a, val, 4);
		break;
	case MODE_LONG:
		if (!(val >> 32)) {
			if (reg >= 8)
				b(a, 0x41);
			b(a, 0xb8 + (reg & 7));
			bn(a, val, 4);
		} else {
			b(a, 0x48 | (reg >= 8));
			b(a, 0xb8 + (reg & 7));
			bn(a, val, 8);
		}
		break;
	}
}

/* ModRM (and SIB, displacement) for an absolute address below 64 KiB. */
static void modrm_abs(struct asm_buf *a, unsigned int reg, uint32_t addr)
{
	switch (a->mode) {
	case MODE_REAL:
		b(a, (reg << 3) | 6);
		bn(a, addr, 2);
		break;
	case MODE_PROT:
		b(a, (reg << 3) | 5);
		bn(a, addr, 4);
		break;
	case MODE_LONG:
		b(a, (reg << 3) | 4);
		b(a, 0x25);
		bn(a, addr, 4);
		break;
	}
}

/* Operand-size prefix for a 16-bit operation in this mode. */
static void o16(struct asm_buf *a)
{
	if (a->mode != MODE_REAL)
		b(a, 0x66);
}

/* Operand-size prefix for a 32-bit operation in this mode. */
static void o32(struct asm_buf *a)
{
	if (a->mode == MODE_REAL)
		b(a, 0x66);
}

static void jmp_to(struct asm_buf *a, uint32_t target)
{
	if (a->mode == MODE_REAL) {
		b(a, 0xe9);
		bn(a, target - (here(a) + 2), 2);
	} else {
		b(a, 0xe9);
		bn(a, target - (here(a) + 4), 4);
	}
}

/*
 * The gadget prologue: store where to resume should the gadget fault -
 * the next gadget, whose address resume_next() fills in once known, so a
 * fault skips the rest of this one.  Real mode loads DS = 0 first (random
 * code may have changed it; no load can fault there); protected mode
 * writes through SS, which the handler reloads; 64-bit mode ignores DS.
 * Returns where the address goes.
 */
static unsigned int resume_slot(struct asm_buf *a)
{
	unsigned int at;

	switch (a->mode) {
	case MODE_REAL:
		EMIT(a, 0x31, 0xc0, 0x8e, 0xd8);	/* xor ax,ax; mov ds,ax */
		EMIT(a, 0xc7, 0x06);			/* mov word [seg], cs */
		bn(a, G_RESUME + 2, 2);
		bn(a, a->cs_base >> 4, 2);
		EMIT(a, 0xc7, 0x06);			/* mov word [off], imm16 */
		bn(a, G_RESUME, 2);
		at = a->len;
		bn(a, 0, 2);
		break;
	case MODE_PROT:
		EMIT(a, 0x36, 0xc7, 0x05);		/* mov dword ss:[off], imm32 */
		bn(a, G_RESUME, 4);
		at = a->len;
		bn(a, 0, 4);
		break;
	default:
		EMIT(a, 0x48, 0xc7, 0x04, 0x25);	/* mov qword [off], simm32 */
		bn(a, G_RESUME, 4);
		at = a->len;
		bn(a, 0, 4);
		break;
	}
	return at;
}

/* Resume at @target from the gadget whose slot is at @at. */
static void resume_patch(struct asm_buf *a, unsigned int at, uint32_t target)
{
	unsigned int i, n = a->mode == MODE_REAL ? 2 : 4;

	for (i = 0; i < n && at + i < a->cap; i++)
		a->p[at + i] = target >> (8 * i);
}

/* ----------------------------------------------------- operand tables */

enum vkind {
	V_BOUND,	/* boundary values */
	V_GPA,		/* a guest address with an enable bit */
	V_APICBASE,
	V_LVT,
	V_SVR,
	V_TMICT,
	V_TDCR,
	V_TSC,		/* TSC, TSC_ADJUST, TSC_DEADLINE, time counts */
	V_ICR,
	V_STIMER,	/* Hyper-V synthetic timer config */
	V_SINT,
	V_OSID,
	V_SMALL,	/* 0..3, flags words */
};

struct msr_desc {
	uint32_t index;
	uint8_t kind;
	uint8_t group;
};

enum group {
	GR_ARCH,
	GR_APIC,
	GR_HV,
	GR_KVM,
	NR_MSR_GROUPS,
};

static const struct msr_desc msrs[] = {
	{ 0x10, V_TSC, GR_APIC },		/* IA32_TSC */
	{ 0x1b, V_APICBASE, GR_APIC },
	{ 0x3a, V_BOUND, GR_ARCH },		/* FEATURE_CONTROL */
	{ 0x3b, V_TSC, GR_APIC },		/* TSC_ADJUST */
	{ 0x48, V_SMALL, GR_ARCH },		/* SPEC_CTRL */
	{ 0x49, V_SMALL, GR_ARCH },		/* PRED_CMD */
	{ 0x8b, V_BOUND, GR_ARCH },
	{ 0xe7, V_BOUND, GR_ARCH },		/* MPERF */
	{ 0xe8, V_BOUND, GR_ARCH },		/* APERF */
	{ 0xfe, V_BOUND, GR_ARCH },		/* MTRRCAP */
	{ 0x174, V_BOUND, GR_ARCH },		/* SYSENTER_CS */
	{ 0x175, V_BOUND, GR_ARCH },
	{ 0x176, V_BOUND, GR_ARCH },
	{ 0x179, V_BOUND, GR_ARCH },		/* MCG_CAP */
	{ 0x17a, V_BOUND, GR_ARCH },		/* MCG_STATUS */
	{ 0x1a0, V_BOUND, GR_ARCH },		/* MISC_ENABLE */
	{ 0x1d9, V_SMALL, GR_ARCH },		/* DEBUGCTL */
	{ 0x200, V_BOUND, GR_ARCH },		/* MTRR_PHYSBASE0 */
	{ 0x201, V_BOUND, GR_ARCH },
	{ 0x250, V_BOUND, GR_ARCH },		/* MTRR_FIX64K */
	{ 0x277, V_BOUND, GR_ARCH },		/* PAT */
	{ 0x2ff, V_BOUND, GR_ARCH },		/* MTRR_DEF_TYPE */
	{ 0x480, V_BOUND, GR_ARCH },		/* VMX_BASIC */
	{ 0x48b, V_BOUND, GR_ARCH },
	{ 0x6e0, V_TSC, GR_APIC },		/* TSC_DEADLINE */
	{ 0x802, V_BOUND, GR_APIC },		/* x2APIC ID */
	{ 0x803, V_BOUND, GR_APIC },		/* version */
	{ 0x808, V_SMALL, GR_APIC },		/* TPR */
	{ 0x80b, V_SMALL, GR_APIC },		/* EOI */
	{ 0x80d, V_BOUND, GR_APIC },		/* LDR */
	{ 0x80f, V_SVR, GR_APIC },
	{ 0x810, V_BOUND, GR_APIC },		/* ISR */
	{ 0x820, V_BOUND, GR_APIC },		/* IRR */
	{ 0x828, V_SMALL, GR_APIC },		/* ESR */
	{ 0x830, V_ICR, GR_APIC },
	{ 0x832, V_LVT, GR_APIC },		/* LVTT */
	{ 0x833, V_LVT, GR_APIC },
	{ 0x834, V_LVT, GR_APIC },
	{ 0x835, V_LVT, GR_APIC },		/* LINT0 */
	{ 0x836, V_LVT, GR_APIC },
	{ 0x837, V_LVT, GR_APIC },
	{ 0x838, V_TMICT, GR_APIC },
	{ 0x839, V_TMICT, GR_APIC },		/* TMCCT: read-only */
	{ 0x83e, V_TDCR, GR_APIC },
	{ 0x83f, V_SMALL, GR_APIC },		/* SELF_IPI */
	{ 0xc0000080, V_BOUND, GR_ARCH },	/* EFER */
	{ 0xc0000081, V_BOUND, GR_ARCH },	/* STAR */
	{ 0xc0000082, V_BOUND, GR_ARCH },
	{ 0xc0000084, V_BOUND, GR_ARCH },
	{ 0xc0000100, V_BOUND, GR_ARCH },	/* FS_BASE */
	{ 0xc0000101, V_BOUND, GR_ARCH },
	{ 0xc0000102, V_BOUND, GR_ARCH },
	{ 0xc0000103, V_BOUND, GR_ARCH },	/* TSC_AUX */
	{ 0xc0010015, V_BOUND, GR_ARCH },	/* AMD HWCR: #GP */
	/* Hyper-V */
	{ 0x40000000, V_OSID, GR_HV },		/* GUEST_OS_ID */
	{ 0x40000001, V_GPA, GR_HV },		/* HYPERCALL */
	{ 0x40000002, V_BOUND, GR_HV },		/* VP_INDEX */
	{ 0x40000003, V_SMALL, GR_HV },		/* RESET */
	{ 0x40000010, V_TSC, GR_HV },		/* VP_RUNTIME */
	{ 0x40000020, V_TSC, GR_HV },		/* TIME_REF_COUNT */
	{ 0x40000021, V_GPA, GR_HV },		/* REFERENCE_TSC */
	{ 0x40000022, V_BOUND, GR_HV },		/* TSC_FREQUENCY */
	{ 0x40000023, V_BOUND, GR_HV },		/* APIC_FREQUENCY */
	{ 0x40000070, V_SMALL, GR_HV },		/* EOI */
	{ 0x40000071, V_ICR, GR_HV },		/* ICR */
	{ 0x40000072, V_SMALL, GR_HV },		/* TPR */
	{ 0x40000073, V_GPA, GR_HV },		/* VP_ASSIST_PAGE */
	{ 0x40000080, V_SMALL, GR_HV },		/* SCONTROL */
	{ 0x40000081, V_BOUND, GR_HV },		/* SVERSION */
	{ 0x40000082, V_GPA, GR_HV },		/* SIEFP */
	{ 0x40000083, V_GPA, GR_HV },		/* SIMP */
	{ 0x40000084, V_SMALL, GR_HV },		/* EOM */
	{ 0x40000090, V_SINT, GR_HV },		/* SINT0 */
	{ 0x40000091, V_SINT, GR_HV },
	{ 0x4000009f, V_SINT, GR_HV },		/* SINT15 */
	{ 0x400000b0, V_STIMER, GR_HV },	/* STIMER0_CONFIG */
	{ 0x400000b1, V_TSC, GR_HV },		/* STIMER0_COUNT */
	{ 0x400000b2, V_STIMER, GR_HV },
	{ 0x400000b3, V_TSC, GR_HV },
	{ 0x400000b6, V_STIMER, GR_HV },	/* STIMER3_CONFIG */
	{ 0x400000b7, V_TSC, GR_HV },
	{ 0x40000100, V_BOUND, GR_HV },		/* CRASH_P0 */
	{ 0x40000104, V_BOUND, GR_HV },		/* CRASH_P4 */
	{ 0x40000105, V_BOUND, GR_HV },		/* CRASH_CTL */
	{ 0x400000ff, V_BOUND, GR_HV },
	{ 0x40000200, V_BOUND, GR_HV },
	/* KVM */
	{ 0x11, V_GPA, GR_KVM },		/* WALL_CLOCK */
	{ 0x12, V_GPA, GR_KVM },		/* SYSTEM_TIME */
	{ 0x4b564d00, V_GPA, GR_KVM },		/* WALL_CLOCK_NEW */
	{ 0x4b564d01, V_GPA, GR_KVM },		/* SYSTEM_TIME_NEW */
	{ 0x4b564d02, V_GPA, GR_KVM },		/* ASYNC_PF_EN */
	{ 0x4b564d03, V_GPA, GR_KVM },		/* STEAL_TIME */
	{ 0x4b564d04, V_GPA, GR_KVM },		/* PV_EOI_EN */
	{ 0x4b564d05, V_SMALL, GR_KVM },	/* POLL_CONTROL */
	{ 0x4b564d06, V_BOUND, GR_KVM },
	{ 0x4b564d07, V_BOUND, GR_KVM },
	{ 0x4b564dff, V_BOUND, GR_KVM },
};

/* A guest address for a PV page or a pointer: in RAM, at its edge, past it. */
static uint64_t pick_gpa(struct rng *r)
{
	switch (rng_below(r, 8)) {
	case 0:
		return G_RAM_SIZE - 0x10;		/* straddles the end */
	case 1:
		return G_ROM + rng_below(r, 4) * 0x1000;	/* read-only */
	case 2:
		return G_MMIO;				/* no memory */
	case 3:
		return rng_boundary(r, 8) & ~0xfffULL;
	default:
		return D_PV_PAGE + rng_below(r, 4) * 0x1000;
	}
}

static uint64_t msr_value(struct rng *r, uint8_t kind)
{
	uint64_t vec = PICK(r, 0x30, 0xef, 0xff, 0x0f, 0x10, 0x00);

	if (rng_chance(r, 15))
		return rng_value(r, 8);
	switch (kind) {
	case V_GPA:
		return pick_gpa(r) | (rng_chance(r, 80) ? 1 : rng_value(r, 2) & 0xfff);
	case V_APICBASE:
		return PICK(r, 0xfee00900, 0xfee00d00, 0xfee00c00, 0xfee00800,
			    0xfee00100, 0xfee00500, 0, 0xc0000900, 0x100000900ULL);
	case V_LVT:
		return PICK(r, 0x40000, 0x20000, 0, 0x10000, 0x60000, 0x700,
			    0x400, 0x8000) | vec;
	case V_SVR:
		return PICK(r, 0x1ff, 0x1ef, 0xff, 0x100, 0x11ff, 0x10f);
	case V_TMICT:
		return PICK(r, 0, 1, 2, 16, 1000, 100000, 0x7fffffff, 0xffffffff);
	case V_TDCR:
		return rng_below(r, 16);
	case V_TSC:
		/* The #DE of bug 1 needs a deadline far enough out. */
		return PICK(r, 0, 1, 2, 1000, 1ULL << 32, 1ULL << 40,
			    1ULL << 56, 1ULL << 60, 1ULL << 62,
			    (1ULL << 63) - 1, 1ULL << 63, ~0ULL, ~0ULL - 1,
			    0xffffffff) + (rng_chance(r, 20) ? rng_below(r, 1000) : 0);
	case V_ICR:
		return (rng_chance(r, 50) ? rng_value(r, 1) << 32 : 0) |
		       PICK(r, 0x40000, 0xc0000, 0x80000, 0x4500, 0x4600,
			    0x4400, 0x4000, 0x0500, 0x8000) | vec;
	case V_STIMER:
		return (rng_below(r, 16)) | (vec << 4) |
		       (rng_chance(r, 30) ? 1ULL << 12 : 0) |
		       (rng_below(r, 16) << 16);
	case V_SINT:
		return vec | PICK(r, 0, 0x10000, 0x20000, 0x40000);
	case V_OSID:
		return PICK(r, 0, 1, 0x8100000000000000ULL, 0x1040a00003839ULL,
			    ~0ULL);
	case V_SMALL:
		return rng_below(r, 4);
	default:
		return rng_value(r, 8);
	}
}

static const struct msr_desc *pick_msr(struct rng *r, int group)
{
	const struct msr_desc *m;
	unsigned int tries;

	for (tries = 0; tries < 64; tries++) {
		m = &msrs[rng_below(r, ARRAY_SIZE(msrs))];
		if (group < 0 || m->group == group)
			return m;
	}
	return m;
}

uint32_t guest_pick_msr(struct rng *r)
{
	switch (rng_below(r, 8)) {
	case 0:
		return 0x40000000 + rng_below(r, 0x200);
	case 1:
		return 0x4b564d00 + rng_below(r, 0x10);
	case 2:
		return rng_value(r, 4);
	default:
		return pick_msr(r, -1)->index;
	}
}

/* An MSR index: from the table, near its ranges, or anywhere. */
static uint32_t msr_index(struct rng *r, const struct msr_desc *m)
{
	switch (rng_below(r, 10)) {
	case 0:
		return 0x40000000 + rng_below(r, 0x200);
	case 1:
		return 0x4b564d00 + rng_below(r, 0x10);
	case 2:
		return 0x800 + rng_below(r, 0x100);
	case 3:
		return rng_value(r, 4);
	default:
		return m->index;
	}
}

/* ----------------------------------------------------------- gadgets */

enum focus {
	F_APIC_TIMER,
	F_PROVIDER,
	F_IO,
	F_MMIO,
	F_PRIV,
	F_RANDOM,
	NR_FOCUS,
};

static void g_wrmsr(struct rng *r, struct asm_buf *a, int group)
{
	const struct msr_desc *m = pick_msr(r, group);
	uint64_t v = msr_value(r, m->kind);

	mov_imm(a, RCX, msr_index(r, m));
	mov_imm(a, RAX, (uint32_t)v);
	mov_imm(a, RDX, v >> 32);
	EMIT(a, 0x0f, 0x30);
}

static void g_rdmsr(struct rng *r, struct asm_buf *a, int group)
{
	mov_imm(a, RCX, msr_index(r, pick_msr(r, group)));
	EMIT(a, 0x0f, 0x32);
}

/* The steps of the APIC timer in the order a guest takes them. */
static void g_apic_timer(struct rng *r, struct asm_buf *a)
{
	static const struct { uint32_t msr; uint8_t kind; } steps[] = {
		{ 0x1b, V_APICBASE }, { 0x80f, V_SVR }, { 0x83e, V_TDCR },
		{ 0x832, V_LVT }, { 0x838, V_TMICT }, { 0x6e0, V_TSC },
		{ 0x10, V_TSC }, { 0x3b, V_TSC }, { 0x80b, V_SMALL },
		{ 0x830, V_ICR },
	};
	unsigned int i = rng_below(r, ARRAY_SIZE(steps));
	uint64_t v = msr_value(r, steps[i].kind);

	if (steps[i].msr == 0x832 && rng_chance(r, 60))
		v = PICK(r, 0x40000, 0x20000, 0) | PICK(r, 0x30, 0xef);
	if (steps[i].msr == 0x1b && rng_chance(r, 70))
		v = 0xfee00d00;
	mov_imm(a, RCX, steps[i].msr);
	mov_imm(a, RAX, (uint32_t)v);
	mov_imm(a, RDX, v >> 32);
	if (rng_chance(r, 85))
		EMIT(a, 0x0f, 0x30);
	else
		EMIT(a, 0x0f, 0x32);
}

static void g_hypercall(struct rng *r, struct asm_buf *a, uint32_t provider)
{
	if (provider == VESSEL_PV_KVM || (provider != VESSEL_PV_HYPERV &&
					  rng_chance(r, 50))) {
		mov_imm(a, RAX, rng_chance(r, 75) ?
			PICK(r, 1, 5, 9, 10, 11, 12, 0, 2, 3, 4) :
			rng_value(r, 8));
		mov_imm(a, RBX, rng_chance(r, 50) ? rng_below(r, 4) : rng_value(r, 8));
		mov_imm(a, RCX, rng_chance(r, 30) ? pick_gpa(r) : rng_value(r, 8));
		mov_imm(a, RDX, rng_value(r, 8));
		mov_imm(a, RSI, rng_value(r, 8));
	} else {
		/* Hyper-V: call code, fast bit, variable header, rep count/start. */
		uint64_t code = rng_chance(r, 80) ?
			PICK(r, 0x0002, 0x0003, 0x0008, 0x0013, 0x0014, 0x000b,
			     0x0015, 0x005c, 0x005d, 0x0069, 0x006a, 0x006b,
			     0x8001, 0x8002, 0x0000, 0xffff) : rng_value(r, 2);
		uint64_t ctl = code | (rng_chance(r, 40) ? 1ULL << 16 : 0) |
			       (rng_chance(r, 20) ? rng_below(r, 0x400) << 17 : 0) |
			       (rng_chance(r, 40) ? rng_value(r, 2) % 0x1000 << 32 : 0) |
			       (rng_chance(r, 20) ? rng_value(r, 2) % 0x1000 << 48 : 0);
		uint64_t in = rng_chance(r, 60) ? D_HC_IN : rng_chance(r, 50) ?
			      pick_gpa(r) : rng_value(r, 8);
		uint64_t out = rng_chance(r, 60) ? D_HC_OUT : rng_value(r, 8);

		if (rng_chance(r, 10))
			ctl = rng_value(r, 8);
		if (a->mode == MODE_LONG) {
			mov_imm(a, RCX, ctl);
			mov_imm(a, RDX, in);
			mov_imm(a, R8, out);
		} else {
			mov_imm(a, RDX, ctl >> 32);
			mov_imm(a, RAX, (uint32_t)ctl);
			mov_imm(a, RBX, in >> 32);
			mov_imm(a, RCX, (uint32_t)in);
			mov_imm(a, RDI, out >> 32);
			mov_imm(a, RSI, (uint32_t)out);
		}
	}
	if (rng_chance(r, 95))
		EMIT(a, 0x0f, 0x01, 0xc1);		/* vmcall */
	else
		EMIT(a, 0x0f, 0x01, 0xd9);		/* vmmcall: #UD */
}

/* The provider's set-up, as a guest starts: OS id, hypercall page, clocks. */
static void g_provider_setup(struct rng *r, struct asm_buf *a,
			     uint32_t provider)
{
	uint32_t msr;
	uint64_t v;

	switch (provider) {
	case VESSEL_PV_HYPERV:
		switch (rng_below(r, 6)) {
		case 0:
			msr = 0x40000000, v = 0x8100000000000000ULL;
			break;
		case 1:
			msr = 0x40000001, v = D_HC_PAGE | 1;
			break;
		case 2:
			msr = 0x40000021, v = D_PV_PAGE | 1;
			break;
		case 3:
			msr = 0x40000080, v = 1;	/* SCONTROL */
			break;
		case 4:
			msr = 0x40000083, v = (D_PV_PAGE + 0x1000) | 1;	/* SIMP */
			break;
		default:
			msr = 0x400000b0 + 2 * rng_below(r, 4);
			v = msr_value(r, V_STIMER);
			break;
		}
		break;
	case VESSEL_PV_KVM:
		msr = PICK(r, 0x4b564d00, 0x4b564d01, 0x4b564d03, 0x4b564d04,
			   0x4b564d05, 0x11, 0x12);
		v = (D_PV_PAGE + rng_below(r, 4) * 0x1000) | 1;
		break;
	default:
		g_apic_timer(r, a);
		return;
	}
	mov_imm(a, RCX, msr);
	mov_imm(a, RAX, (uint32_t)v);
	mov_imm(a, RDX, v >> 32);
	EMIT(a, 0x0f, 0x30);
}

static const uint16_t ports[] = {
	0x80, 0xe9, 0x3f8, 0x3f9, 0x3fd, 0x20, 0x21, 0xa0, 0x40, 0x43, 0x61,
	0x70, 0x71, 0xcf8, 0xcfc, 0x402, 0x510, 0x604, 0xf4, 0xffff, 0x0,
};

/* REP counts around the run page's 3,072-byte data area. */
static uint64_t io_count(struct rng *r)
{
	if (rng_chance(r, 15))
		return rng_value(r, 4);
	return PICK(r, 0, 1, 2, 3, 4, 767, 768, 769, 1023, 1024, 1025, 1535,
		    1536, 1537, 2048, 3071, 3072, 3073, 4095, 4096, 4097,
		    0xffff, 0x10000, 0xffffffff);
}

static uint64_t io_buffer(struct rng *r)
{
	switch (rng_below(r, 6)) {
	case 0:
		return G_BUF + rng_below(r, 0x1000);
	case 1:
		return G_BUF + 0x1000 * rng_below(r, 8) + 0xffc;	/* page end */
	case 2:
		return G_RAM_SIZE - rng_below(r, 8);			/* into ROM */
	default:
		return G_BUF + 0x1000 * rng_below(r, 16);		/* page start */
	}
}

/* The operand-size prefix an I/O instruction of @size bytes needs. */
static void io_size_prefix(struct asm_buf *a, unsigned int size)
{
	if (size == 2)
		o16(a);
	else if (size == 4)
		o32(a);
}

static void g_io(struct rng *r, struct asm_buf *a)
{
	uint16_t port = rng_chance(r, 85) ? ports[rng_below(r, ARRAY_SIZE(ports))] :
					    rng_value(r, 2);
	unsigned int size = PICK(r, 1, 2, 4);
	bool in = rng_chance(r, 50);

	if (rng_chance(r, 45)) {
		/* String form, usually with REP. */
		bool down = rng_chance(r, 10);

		mov_imm(a, RDX, port);
		mov_imm(a, RCX, io_count(r));
		mov_imm(a, in ? RDI : RSI, io_buffer(r) + (down ? 0xfff : 0));
		/* Real mode: ES = DS = 0 (the prologue set DS). */
		if (a->mode == MODE_REAL)
			EMIT(a, 0x8e, 0xc0);			/* mov es, ax */
		if (down)
			b(a, 0xfd);				/* std */
		if (a->mode == MODE_REAL && rng_chance(r, 30))
			b(a, 0x67);				/* EDI/ESI, ECX */
		io_size_prefix(a, size);
		if (rng_chance(r, 85))
			b(a, 0xf3);
		b(a, in ? (size == 1 ? 0x6c : 0x6d) : (size == 1 ? 0x6e : 0x6f));
		if (down)
			b(a, 0xfc);				/* cld */
		return;
	}
	if (rng_chance(r, 50) && port < 0x100) {
		io_size_prefix(a, size);
		b(a, (in ? 0xe4 : 0xe6) | (size > 1));
		b(a, port);
	} else {
		mov_imm(a, RDX, port);
		mov_imm(a, RAX, rng_value(r, 4));
		io_size_prefix(a, size);
		b(a, (in ? 0xec : 0xee) | (size > 1));
	}
}

/* Where MMIO gadgets aim. */
static uint64_t mmio_addr(struct rng *r)
{
	static const uint16_t apic_regs[] = {
		0x20, 0x30, 0x80, 0xb0, 0xd0, 0xe0, 0xf0, 0x100, 0x280, 0x300,
		0x310, 0x320, 0x350, 0x360, 0x370, 0x380, 0x390, 0x3e0, 0x3f0,
		0xffc, 0xfff,
	};

	switch (rng_below(r, 6)) {
	case 0:
	case 1:
		return G_APIC + apic_regs[rng_below(r, ARRAY_SIZE(apic_regs))];
	case 2:
		return G_ROM + rng_below(r, G_ROM_SIZE);
	case 3:
		return G_RAM_SIZE - rng_below(r, 8);
	default:
		return G_MMIO + rng_below(r, 0x2000);
	}
}

static void g_mmio(struct rng *r, struct asm_buf *a)
{
	/* ModRM: [rBX] (32/64) or [BX] (16); reg field = RAX. */
	uint8_t rm = a->mode == MODE_REAL ? 0x07 : 0x03;
	uint64_t addr = mmio_addr(r);
	unsigned int op = rng_below(r, 12);

	if (a->mode == MODE_REAL) {
		/* DS:BX, DS = the address's paragraph (below 1 MiB only). */
		if (addr >= 0x100000)
			addr = G_ROM + (addr & 0xffff);
		EMIT(a, 0xb8);
		bn(a, addr >> 4, 2);
		EMIT(a, 0x8e, 0xd8, 0x8e, 0xc0);		/* mov ds,ax; mov es,ax */
		EMIT(a, 0xbb);
		bn(a, addr & 0xf, 2);
	} else {
		mov_imm(a, RBX, addr);
	}
	mov_imm(a, RAX, op == 2 && addr >> 12 == G_APIC >> 12 ?
		PICK(r, 0x40030, 0x20030, 0x30, 0x1ff, 1, 0xffffffff) :
		rng_value(r, 8));
	if (rng_chance(r, 10))
		b(a, 0xf0);					/* lock */
	switch (op) {
	case 0:
		/* mov [bx], al */
		b(a, 0x88);
		b(a, rm);
		break;
	case 1:
		/* mov eax, [bx] */
		b(a, 0x8b);
		b(a, rm);
		break;
	case 2:
		/* mov [bx], eax */
		o32(a);
		b(a, 0x89);
		b(a, rm);
		break;
	case 3:
		/* mov [rbx], rax */
		if (a->mode == MODE_LONG)
			b(a, 0x48);
		b(a, 0x89);
		b(a, rm);
		break;
	case 4:
		/* add [bx], eax */
		b(a, 0x01);
		b(a, rm);
		break;
	case 5:
		/* or [bx], imm8 */
		b(a, 0x83);
		b(a, rm | 0x08);
		b(a, rng_value(r, 1));
		break;
	case 6:
		/* xchg [bx], eax */
		b(a, 0x87);
		b(a, rm);
		break;
	case 7:
		/* test [bx], eax */
		b(a, 0x85);
		b(a, rm);
		break;
	case 8:
		/* movzx eax, byte [bx] */
		b(a, 0x0f);
		b(a, 0xb6);
		b(a, rm);
		break;
	case 9:
		/* mov [bx], imm */
		b(a, 0xc7);
		b(a, rm);
		bn(a, rng_value(r, 4), a->mode == MODE_REAL ? 2 : 4);
		break;
	default:
		/* REP STOS to MMIO: rDI = the address. */
		if (a->mode == MODE_REAL)
			EMIT(a, 0x89, 0xdf);			/* mov di, bx */
		else
			EMIT(a, 0x89, 0xdf);			/* mov edi, ebx */
		mov_imm(a, RCX, PICK(r, 0, 1, 2, 16, 0xffff));
		if (rng_chance(r, 70))
			b(a, 0xf3);
		b(a, rng_chance(r, 50) ? 0xaa : 0xab);
		break;
	}
}

static uint64_t cr_value(struct rng *r, unsigned int cr, enum guest_mode mode)
{
	uint64_t cr0 = mode == MODE_REAL ? 0x10 : mode == MODE_PROT ? 0x31 :
		       0x80010031;

	if (rng_chance(r, 30))
		return rng_value(r, 8);
	switch (cr) {
	case 0:
		return cr0 ^ PICK(r, 1, 1ULL << 31, 1ULL << 30, 1ULL << 29,
				  1ULL << 16, 1ULL << 18, 1 << 5, 1 << 3,
				  1ULL << 32, 0);
	case 3:
		return PICK(r, G_PML4, G_PML4 | 0x18, 0, 0xfffff000,
			    1ULL << 52, G_RAM_SIZE, G_MMIO, ~0ULL);
	case 4:
		return (mode == MODE_LONG ? 0x20 : 0) ^
		       PICK(r, 1 << 5, 1 << 7, 1 << 9, 1 << 12, 1 << 13,
			    1 << 14, 1 << 17, 1 << 18, 1 << 20, 1 << 21,
			    1 << 22, 1 << 3, 1 << 0, 0);
	default:
		return rng_value(r, 8);
	}
}

static void g_mov_cr(struct rng *r, struct asm_buf *a)
{
	static const uint8_t crs[] = { 0, 0, 3, 4, 4, 2, 8 };
	unsigned int cr = crs[rng_below(r, ARRAY_SIZE(crs))];

	if (cr == 8 && a->mode != MODE_LONG)
		cr = 4;
	mov_imm(a, RAX, cr_value(r, cr, a->mode));
	if (cr == 8)
		EMIT(a, 0x44);					/* REX.R */
	b(a, 0x0f);
	b(a, rng_chance(r, 80) ? 0x22 : 0x20);
	b(a, 0xc0 | (cr & 7) << 3);
}

static void g_mov_dr(struct rng *r, struct asm_buf *a)
{
	unsigned int dr = rng_below(r, 8);

	mov_imm(a, RAX, dr == 7 ? PICK(r, 0x400, 0x401, 0xffff0401, 0x2000, 0x700,
					   ~0ULL) : rng_value(r, 8));
	b(a, 0x0f);
	b(a, rng_chance(r, 70) ? 0x23 : 0x21);
	b(a, 0xc0 | dr << 3);
}

static void g_vmx(struct rng *r, struct asm_buf *a)
{
	mov_imm(a, RAX, rng_value(r, 8));
	mov_imm(a, RCX, rng_value(r, 8));
	switch (rng_below(r, 12)) {
	case 0:
		EMIT(a, 0xf3, 0x0f, 0xc7); modrm_abs(a, 6, D_VMXPTR);	/* vmxon */
		break;
	case 1:
		EMIT(a, 0x66, 0x0f, 0xc7); modrm_abs(a, 6, D_VMXPTR);	/* vmclear */
		break;
	case 2:
		EMIT(a, 0x0f, 0xc7); modrm_abs(a, 6, D_VMXPTR);	/* vmptrld */
		break;
	case 3:
		EMIT(a, 0x0f, 0xc7); modrm_abs(a, 7, D_VMXPTR);	/* vmptrst */
		break;
	case 4:
		EMIT(a, 0x0f, 0x78, 0xc8);		/* vmread eax, ecx */
		break;
	case 5:
		EMIT(a, 0x0f, 0x79, 0xc1);		/* vmwrite ecx... */
		break;
	case 6:
		EMIT(a, 0x0f, 0x01, 0xc2);		/* vmlaunch */
		break;
	case 7:
		EMIT(a, 0x0f, 0x01, 0xc3);		/* vmresume */
		break;
	case 8:
		EMIT(a, 0x0f, 0x01, 0xc4);		/* vmxoff */
		break;
	case 9:
		EMIT(a, 0x66, 0x0f, 0x38, 0x80); modrm_abs(a, 1, D_INVDESC);
		break;
	case 10:
		EMIT(a, 0x66, 0x0f, 0x38, 0x81); modrm_abs(a, 1, D_INVDESC);
		break;
	default:
		EMIT(a, 0x0f, 0x01, 0xd4);		/* vmfunc */
		break;
	}
}

static void g_misc(struct rng *r, struct asm_buf *a)
{
	switch (rng_below(r, 22)) {
	case 0:
		mov_imm(a, RCX, PICK(r, 0, 1, 2, 0xffffffff));
		mov_imm(a, RAX, rng_chance(r, 50) ? PICK(r, 1, 3, 7, 0x207, 0) :
			rng_value(r, 4));
		mov_imm(a, RDX, rng_chance(r, 70) ? 0 : rng_value(r, 4));
		EMIT(a, 0x0f, 0x01, 0xd1);		/* xsetbv */
		break;
	case 1:
		EMIT(a, 0x0f, 0x01); modrm_abs(a, 2, D_DTR);	/* lgdt */
		break;
	case 2:
		EMIT(a, 0x0f, 0x01); modrm_abs(a, 3, D_DTR);	/* lidt */
		break;
	case 3:
		EMIT(a, 0x0f, 0x01); modrm_abs(a, rng_below(r, 2), D_DTR + 0x100);
		break;						/* sgdt/sidt */
	case 4: {
		/* Far jump or call to the next gadget through a selector. */
		uint16_t sel = PICK(r, SEL_CODE32, SEL_CODE64, SEL_DATA, SEL_TSS,
				    SEL_CODE16, 0, 0x1000, 0x23, 0xfffc);
		bool call = rng_chance(r, 30);

		if (a->mode == MODE_LONG) {
			/* jmp/call far [m16:64]: the host's far pointer. */
			b(a, 0x48);
			b(a, 0xff);
			modrm_abs(a, call ? 3 : 5, D_FARPTR);
			break;
		}
		b(a, call ? 0x9a : 0xea);
		if (a->mode == MODE_REAL) {
			bn(a, here(a) + 4, 2);
			bn(a, sel, 2);
		} else {
			bn(a, a->base + a->len + 6, 4);
			bn(a, sel, 2);
		}
		break;
	}
	case 5:
		b(a, 0xff);
		modrm_abs(a, 5, D_FARPTR); /* jmp far [m16:32] */
		break;
	case 6:
		if (rng_chance(r, 60))
			b(a, 0xfb);				/* sti */
		b(a, 0xf4);					/* hlt */
		break;
	case 7:
		mov_imm(a, RAX, rng_chance(r, 70) ?
			PICK(r, 0, 1, 6, 7, 0xb, 0xd, 0x40000000, 0x40000001,
			     0x40000003, 0x40000004, 0x40000010, 0x80000001,
			     0x80000008, 0x4fffffff) : rng_value(r, 4));
		mov_imm(a, RCX, rng_below(r, 3));
		EMIT(a, 0x0f, 0xa2);				/* cpuid */
		break;
	case 8:
		EMIT(a, 0x0f, 0x31);				/* rdtsc */
		break;
	case 9:
		EMIT(a, 0x0f, 0x01, 0xf9);			/* rdtscp */
		break;
	case 10:
		mov_imm(a, RCX, rng_value(r, 4));
		EMIT(a, 0x0f, 0x33);				/* rdpmc */
		break;
	case 11:
		EMIT(a, 0x0f, 0x01); modrm_abs(a, 7, G_BUF);	/* invlpg */
		break;
	case 12:
		b(a, 0x0f);
		/* wbinvd invd clts getsec rsm syscall sysenter sysret ... */
		b(a, PICK(r, 0x09, 0x08, 0x06, 0x37, 0xaa, 0x05, 0x34, 0x07,
			  0x35, 0x0b));
		break;
	case 13:
		mov_imm(a, RAX, PICK(r, 0, SEL_TSS, SEL_DATA, SEL_CODE32, 0xffff));
		b(a, 0x0f);
		b(a, 0x00);
		b(a, 0xc0 | rng_below(r, 6) << 3);
		break;				/* sldt str lldt ltr verr verw */
	case 14:
		mov_imm(a, RAX, rng_value(r, 2));
		EMIT(a, 0x0f, 0x01, 0xf0);			/* lmsw ax */
		break;
	case 15:
		b(a, 0xcd);
		b(a, rng_value(r, 1));				/* int n */
		break;
	case 16:
		b(a, PICK(r, 0xcc, 0xf1, 0xce, 0xcf, 0xfa, 0xfb, 0x9c, 0xf4));
		break;
	case 17:
		/* Flags with TF, AC, NT, IOPL, DF. */
		b(a, 0x68);
		bn(a, PICK(r, 0x102, 0x302, 0x40002, 0x4002, 0x3002, 0x402,
			   0x200202, 0x246), a->mode == MODE_REAL ? 2 : 4);
		b(a, 0x9d);
		break;
	case 18:
		mov_imm(a, RAX, 7);
		mov_imm(a, RDX, 0);
		EMIT(a, 0x0f, 0xae); modrm_abs(a, rng_chance(r, 50) ? 4 : 5, D_XSAVE);
		break;						/* xsave/xrstor */
	case 19:
		EMIT(a, 0x0f, 0x01, 0xc8);			/* monitor */
		break;
	case 20:
		EMIT(a, 0x0f, 0x01, 0xc9);			/* mwait */
		break;
	default:
		EMIT(a, 0x0f, 0xc7, 0xf0);			/* rdrand */
		break;
	}
}

static void g_random(struct rng *r, struct asm_buf *a)
{
	unsigned int n = 1 + rng_below(r, 16);

	while (n--)
		b(a, rng_next(r));
}

static void g_regs(struct rng *r, struct asm_buf *a)
{
	static const uint8_t regs[] = { RAX, RCX, RDX, RBX, RBP, RSI, RDI };
	unsigned int n = 1 + rng_below(r, 3);

	while (n--)
		mov_imm(a, regs[rng_below(r, ARRAY_SIZE(regs))], rng_value(r, 8));
}

static void gadget(struct rng *r, struct asm_buf *a, enum focus f,
		   const struct guest_prog *p)
{
	int msr_group = p->provider == VESSEL_PV_HYPERV ? GR_HV :
			p->provider == VESSEL_PV_KVM ? GR_KVM : GR_ARCH;

	switch (f) {
	case F_APIC_TIMER:
		if (rng_chance(r, 80))
			g_apic_timer(r, a);
		else
			g_misc(r, a);
		break;
	case F_PROVIDER:
		switch (rng_below(r, 4)) {
		case 0:
			g_provider_setup(r, a, p->provider);
			break;
		case 1:
			g_hypercall(r, a, p->provider);
			break;
		case 2:
			g_wrmsr(r, a, msr_group);
			break;
		default:
			g_rdmsr(r, a, msr_group);
			break;
		}
		break;
	case F_IO:
		g_io(r, a);
		break;
	case F_MMIO:
		g_mmio(r, a);
		break;
	case F_PRIV:
		switch (rng_below(r, 7)) {
		case 0:
			g_mov_cr(r, a);
			break;
		case 1:
			g_mov_dr(r, a);
			break;
		case 2:
			g_vmx(r, a);
			break;
		case 3:
			g_wrmsr(r, a, -1);
			break;
		case 4:
			g_rdmsr(r, a, -1);
			break;
		case 5:
			g_regs(r, a);
			break;
		default:
			g_misc(r, a);
			break;
		}
		break;
	default:
		g_random(r, a);
		break;
	}
}

/* ------------------------------------------------------------ tables */

static void put64(uint8_t *ram, uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put16(uint8_t *ram, uint64_t gpa, uint16_t v)
{
	memcpy(ram + gpa, &v, 2);
}

static void put32(uint8_t *ram, uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access,
			 uint8_t flags)
{
	return (limit & 0xffff) | (uint64_t)(base & 0xffffff) << 16 |
	       (uint64_t)access << 40 | (uint64_t)((limit >> 16) & 0xf) << 48 |
	       (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

static void build_tables(struct rng *r, uint8_t *ram, enum guest_mode mode)
{
	unsigned int i;

	/* GDT */
	put64(ram, G_GDT + SEL_CODE32, seg_desc(0, 0xfffff, 0x9b, 0xc));
	put64(ram, G_GDT + SEL_DATA, seg_desc(0, 0xfffff, 0x93, 0xc));
	put64(ram, G_GDT + SEL_CODE64, seg_desc(0, 0xfffff, 0x9b, 0xa));
	put64(ram, G_GDT + SEL_TSS, seg_desc(G_TSS, 0x67, 0x89, 0));
	put64(ram, G_GDT + SEL_TSS + 8, 0);
	put64(ram, G_GDT + SEL_CODE16, seg_desc(0, 0xffff, 0x9b, 0));
	put64(ram, G_GDT + SEL_DATA16, seg_desc(0, 0xffff, 0x93, 0));
	/* TSS: stacks for every ring, the I/O map base past the limit. */
	put32(ram, G_TSS + 4, G_STACK_TOP);
	put16(ram, G_TSS + 8, SEL_DATA);
	put16(ram, G_TSS + 102, 0x68);

	/* The handler: fresh stack, data segments, back to the gadget. */
	switch (mode) {
	case MODE_REAL: {
		static const uint8_t h[] = {
			0x31, 0xc0, 0x8e, 0xd0, 0xbc, 0xf0, 0x8f, 0x8e, 0xd8,
			0xff, 0x2e, G_RESUME & 0xff, G_RESUME >> 8,
		};

		memcpy(ram + G_HANDLER, h, sizeof(h));
		for (i = 0; i < 256; i++)
			put32(ram, i * 4, G_HANDLER);	/* 0000:0800 */
		break;
	}
	case MODE_PROT: {
		static const uint8_t h[] = {
			0x66, 0xb8, SEL_DATA, 0x00, 0x8e, 0xd0, 0x8e, 0xd8,
			0xbc, 0xf0, 0x8f, 0x00, 0x00,
			0xff, 0x25, G_RESUME & 0xff, G_RESUME >> 8, 0x00, 0x00,
		};

		memcpy(ram + G_HANDLER, h, sizeof(h));
		for (i = 0; i < 256; i++)
			put64(ram, G_IDT + i * 8,
			      (G_HANDLER & 0xffff) | (uint64_t)SEL_CODE32 << 16 |
			      0x8eULL << 40 | (G_HANDLER >> 16) << 48);
		break;
	}
	case MODE_LONG: {
		static const uint8_t h[] = {
			0x48, 0xc7, 0xc4, 0xf0, 0x8f, 0x00, 0x00,
			0xff, 0x24, 0x25, G_RESUME & 0xff, G_RESUME >> 8, 0x00, 0x00,
		};

		memcpy(ram + G_HANDLER, h, sizeof(h));
		for (i = 0; i < 256; i++) {
			put64(ram, G_IDT + i * 16,
			      (G_HANDLER & 0xffff) | (uint64_t)SEL_CODE64 << 16 |
			      0x8eULL << 40 | (G_HANDLER >> 16) << 48);
			put64(ram, G_IDT + i * 16 + 8, 0);
		}
		break;
	}
	}

	/* Identity map of the low 4 GiB with 2 MiB pages. */
	put64(ram, G_PML4, (G_PML4 + 0x1000) | 7);
	for (i = 0; i < 4; i++)
		put64(ram, G_PML4 + 0x1000 + i * 8, (G_PML4 + 0x2000 + i * 0x1000) | 7);
	for (i = 0; i < 4 * 512; i++)
		put64(ram, G_PML4 + 0x2000 + i * 8, ((uint64_t)i << 21) | 0x87);

	/* Operands of the memory forms. */
	put16(ram, D_DTR, rng_chance(r, 50) ? rng_value(r, 2) : 0xfff);
	put64(ram, D_DTR + 2, rng_chance(r, 50) ? rng_value(r, 8) : G_IDT);
	put64(ram, D_FARPTR, rng_chance(r, 60) ? G_CODE : rng_value(r, 8));
	put16(ram, D_FARPTR + 8, PICK(r, SEL_CODE32, SEL_CODE64, SEL_TSS, 0, 0x1000));
	put64(ram, D_VMXPTR, rng_value(r, 8));
	put64(ram, D_INVDESC, rng_value(r, 8));
	put64(ram, D_INVDESC + 8, rng_value(r, 8));
	/* Hypercall input: boundary-heavy words (counts, masks, GPAs). */
	for (i = 0; i < 0x1000; i += 8)
		put64(ram, D_HC_IN + i, rng_chance(r, 70) ? rng_value(r, 8) :
			   rng_below(r, 64));
	for (i = 0; i < 0x1000; i += 8)
		put64(ram, G_BUF + i, rng_next(r));
}

void guest_build(struct rng *r, struct guest_prog *p, uint8_t *ram,
		 struct vessel_vcpu_state *st)
{
	struct asm_buf a = {
		.p = ram + G_CODE,
		.cap = G_CODE_SIZE - 64,
		.mode = p->mode,
		.base = G_CODE,
		.cs_base = p->mode == MODE_REAL ? G_CODE : 0,
	};
	enum focus focus[2];
	uint32_t start;
	unsigned int i, n, slot;

	build_tables(r, ram, p->mode);
	focus[0] = rng_below(r, NR_FOCUS);
	focus[1] = rng_below(r, NR_FOCUS);
	/* A provider's VM mostly talks to it; an APIC VM to its timer. */
	if (p->provider >= VESSEL_PV_HYPERV && rng_chance(r, 50))
		focus[0] = F_PROVIDER;
	else if (p->lapic && rng_chance(r, 40))
		focus[0] = F_APIC_TIMER;

	start = here(&a);
	n = 4 + rng_below(r, 40);
	/* The set-up a guest of this provider would do first. */
	if (rng_chance(r, 60)) {
		for (i = 0; i < 1 + rng_below(r, 4); i++) {
			slot = resume_slot(&a);
			g_provider_setup(r, &a, p->provider);
			resume_patch(&a, slot, here(&a));
		}
	}
	for (i = 0; i < n && a.len < a.cap - 256; i++) {
		slot = resume_slot(&a);
		gadget(r, &a, rng_chance(r, 70) ? focus[rng_below(r, 2)] :
			      rng_below(r, NR_FOCUS), p);
		resume_patch(&a, slot, here(&a));
	}
	/* One exit per pass, then again from the start. */
	slot = resume_slot(&a);
	resume_patch(&a, slot, start);
	EMIT(&a, 0xe6, 0x80);					/* out 0x80, al */
	jmp_to(&a, start);
	p->len = a.len;
	p->gadgets = i;

	/* The entry state. */
	memset(&st->segs, 0, sizeof(st->segs));
	for (i = 0; i < VESSEL_NR_SEGS; i++) {
		struct vessel_segment *s = &st->segs.seg[i];

		switch (p->mode) {
		case MODE_REAL:
			s->selector = i == VESSEL_SEG_CS ? G_CODE >> 4 : 0;
			s->base = i == VESSEL_SEG_CS ? G_CODE : 0;
			s->limit = 0xffff;
			s->attrib = i == VESSEL_SEG_CS ? 0x9b : 0x93;
			break;
		case MODE_PROT:
			s->selector = i == VESSEL_SEG_CS ? SEL_CODE32 : SEL_DATA;
			s->limit = 0xffffffff;
			s->attrib = i == VESSEL_SEG_CS ? 0xc09b : 0xc093;
			break;
		case MODE_LONG:
			s->selector = i == VESSEL_SEG_CS ? SEL_CODE64 : SEL_DATA;
			s->limit = 0xffffffff;
			s->attrib = i == VESSEL_SEG_CS ? 0xa09b : 0xc093;
			break;
		}
	}
	st->segs.seg[VESSEL_SEG_LDTR] = (struct vessel_segment){ .attrib = 0x82,
								 .limit = 0xffff };
	st->segs.seg[VESSEL_SEG_TR] = (struct vessel_segment){
		.selector = p->mode == MODE_REAL ? 0 : SEL_TSS,
		.base = p->mode == MODE_REAL ? 0 : G_TSS,
		.limit = p->mode == MODE_REAL ? 0xffff : 0x67,
		.attrib = 0x8b,
	};
	st->segs.gdt.base = G_GDT;
	st->segs.gdt.limit = GDT_LIMIT;
	st->segs.idt.base = p->mode == MODE_REAL ? 0 : G_IDT;
	st->segs.idt.limit = p->mode == MODE_REAL ? 0x3ff :
			     p->mode == MODE_PROT ? 0x7ff : 0xfff;

	st->crs.cr2 = 0;
	st->crs.cr8 = 0;
	switch (p->mode) {
	case MODE_REAL:
		st->crs.cr0 = 0x10;
		st->crs.cr3 = 0;
		st->crs.cr4 = 0;
		st->crs.efer = 0;
		break;
	case MODE_PROT:
		st->crs.cr0 = 0x31;			/* PE ET NE */
		st->crs.cr3 = 0;
		st->crs.cr4 = rng_chance(r, 30) ? 0x600 : 0;
		st->crs.efer = 0;
		break;
	case MODE_LONG:
		st->crs.cr0 = 0x80010031;		/* PG WP NE ET PE */
		st->crs.cr3 = G_PML4;
		st->crs.cr4 = 0x20 | (rng_chance(r, 50) ? 0x600 : 0);
		st->crs.efer = 0x500;			/* LME LMA */
		break;
	}
	memset(&st->gprs, 0, sizeof(st->gprs));
	for (i = 0; i < VESSEL_NR_GPRS; i++)
		st->gprs.regs[i] = rng_chance(r, 50) ? rng_value(r, 8) : 0;
	st->gprs.regs[RSP] = G_STACK_TOP;
	st->gprs.rip = p->mode == MODE_REAL ? 0 : G_CODE;
	/* Interrupts on most of the time: timers and IPIs then arrive. */
	st->gprs.rflags = 0x2 | (rng_chance(r, 70) ? 0x200 : 0);
	st->flags = VESSEL_STATE_GPRS | VESSEL_STATE_SEGS | VESSEL_STATE_CRS;
}
