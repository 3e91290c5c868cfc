/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86-64 for the selftests: guest-side instruction helpers, exception
 * handling in the guest, and the host-side setup of descriptor tables and
 * of a vCPU's 64-bit state (as KVM's lib/x86_64/processor.h).
 */
#ifndef SELFTEST_PROCESSOR_H
#define SELFTEST_PROCESSOR_H

#include <stdint.h>

#include "ucall.h"
#include "vessel_util.h"

#define DE_VECTOR	0
#define DB_VECTOR	1
#define NMI_VECTOR	2
#define BP_VECTOR	3
#define UD_VECTOR	6
#define NM_VECTOR	7
#define DF_VECTOR	8
#define GP_VECTOR	13
#define PF_VECTOR	14

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_MP	(1ULL << 1)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_WP	(1ULL << 16)
#define X86_CR0_NW	(1ULL << 29)
#define X86_CR0_CD	(1ULL << 30)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define X86_CR4_OSFXSR	(1ULL << 9)
#define X86_CR4_OSXMMEXCPT (1ULL << 10)
#define X86_CR4_VMXE	(1ULL << 13)
#define X86_CR4_OSXSAVE	(1ULL << 18)
#define X86_EFER_LME	(1ULL << 8)
#define X86_EFER_LMA	(1ULL << 10)
#define X86_RFLAGS_FIXED (1ULL << 1)
#define X86_RFLAGS_IF	(1ULL << 9)

#define XFEATURE_X87	(1ULL << 0)
#define XFEATURE_SSE	(1ULL << 1)
#define XFEATURE_AVX	(1ULL << 2)

/* CPUID.1:ECX bits. */
#define CPUID_1_ECX_VMX		(1U << 5)
#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_1_ECX_AVX		(1U << 28)
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)

#define MSR_IA32_TSC		0x10
#define MSR_IA32_TSC_ADJUST	0x3b
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_PAT		0x277
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SFMASK		0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103

/* Offsets in the standard XSAVE area. */
#define XSAVE_FCW		0
#define XSAVE_MXCSR		24
#define XSAVE_XMM(n)		(160 + 16 * (n))
#define XSAVE_XSTATE_BV		512
#define XSAVE_YMM_HI(n)		(576 + 16 * (n))

/* What lib/handlers.S saves on every interrupt or exception. */
struct ex_regs {
	uint64_t rax, rcx, rdx, rbx;
	uint64_t rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector;
	uint64_t error_code;
	uint64_t rip;
	uint64_t cs;
	uint64_t rflags;
	uint64_t rsp;
	uint64_t ss;
};

/* The top of each vCPU's stack (see vessel_util.h). */
struct guest_cpu {
	_Alignas(64) uint64_t id;	/* a 16-byte multiple below the stack */
	uint64_t pad;
	struct ucall ucall;
};

/* Guest: this vCPU's block, found from RSP (interrupts keep the stack). */
static inline struct guest_cpu *guest_cpu(void)
{
	uint64_t rsp;

	asm volatile("mov %%rsp, %0" : "=r"(rsp));
	return (struct guest_cpu *)((rsp & ~(GUEST_STACK_SIZE - 1)) +
				    GUEST_STACK_SIZE - sizeof(struct guest_cpu));
}

/*
 * Host: route guest exceptions and interrupts of @vector to @handler, a
 * guest function.  Without one, an exception is reported to the host
 * (UCALL_UNHANDLED) and fails the test.
 */
typedef void (*guest_handler_t)(struct ex_regs *regs);

/*
 * Guest: lib/handlers.S calls this for every vector; idt_stubs[] are its
 * entry points, which the host writes into the IDT.
 */
void route_exception(struct ex_regs *regs);
extern const uint64_t idt_stubs[256];
void vm_install_exception_handler(struct vm *vm, uint8_t vector,
				  guest_handler_t handler);

/*
 * ASM_SAFE(insn): run one instruction in the guest and catch the exception
 * it raises (vectors 0-31), like KVM's KVM_ASM_SAFE.  R9 holds a magic
 * value, R10 the instruction's address and R11 where to resume; the
 * exception handler sees them, stores the vector in R9 and the error code
 * in R10 and resumes at R11.  The result is the vector, 0 if none (so #DE
 * cannot be told from success: no test here needs it).
 */
#define ASM_SAFE_MAGIC	0x5afe5afeULL

#define ASM_SAFE(insn)						\
	"mov $0x5afe5afe, %%r9\n\t"				\
	"lea 1f(%%rip), %%r10\n\t"				\
	"lea 2f(%%rip), %%r11\n\t"				\
	"1: " insn "\n\t"					\
	"xor %%r9d, %%r9d\n\t"					\
	"2:\n\t"						\
	"mov %%r9b, %0\n\t"					\
	"mov %%r10, %1\n\t"

/* Operands 0 and 1: ASM_SAFE_OUTPUTS must come first among the outputs. */
#define ASM_SAFE_OUTPUTS(v, ec)	"=qm"(v), "=rm"(ec)
#define ASM_SAFE_CLOBBERS	"r9", "r10", "r11"

/* Guest instruction helpers. */
static inline void cpuid_count(uint32_t fn, uint32_t idx, uint32_t *a,
			       uint32_t *b, uint32_t *c, uint32_t *d)
{
	asm volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
		     : "a"(fn), "c"(idx) : "memory");
}

static inline uint32_t cpuid_ecx(uint32_t fn)
{
	uint32_t a, b, c, d;

	cpuid_count(fn, 0, &a, &b, &c, &d);
	return c;
}

static inline uint32_t cpuid_ebx(uint32_t fn)
{
	uint32_t a, b, c, d;

	cpuid_count(fn, 0, &a, &b, &c, &d);
	return b;
}

#define CPUID_7_EBX_TSC_ADJUST	(1U << 1)

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr) : "memory");
	return lo | (uint64_t)hi << 32;
}

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)val),
		     "d"((uint32_t)(val >> 32)) : "memory");
}

static inline uint8_t rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint64_t ec;
	uint32_t lo = 0, hi = 0;
	uint8_t v;

	asm volatile(ASM_SAFE("rdmsr")
		     : ASM_SAFE_OUTPUTS(v, ec), "+a"(lo), "+d"(hi)
		     : "c"(msr) : ASM_SAFE_CLOBBERS, "memory");
	*val = lo | (uint64_t)hi << 32;
	return v;
}

static inline uint8_t wrmsr_safe(uint32_t msr, uint64_t val)
{
	uint64_t ec;
	uint8_t v;

	asm volatile(ASM_SAFE("wrmsr")
		     : ASM_SAFE_OUTPUTS(v, ec)
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : ASM_SAFE_CLOBBERS, "memory");
	return v;
}

static inline uint64_t xgetbv(uint32_t idx)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(idx));
	return lo | (uint64_t)hi << 32;
}

static inline uint8_t xsetbv_safe(uint32_t idx, uint64_t val)
{
	uint64_t ec;
	uint8_t v;

	asm volatile(ASM_SAFE("xsetbv")
		     : ASM_SAFE_OUTPUTS(v, ec)
		     : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : ASM_SAFE_CLOBBERS, "memory");
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo | (uint64_t)hi << 32;
}

#define DEFINE_CR(n)							\
static inline uint64_t get_cr##n(void)					\
{									\
	uint64_t v;							\
	asm volatile("mov %%cr" #n ", %0" : "=r"(v) : : "memory");	\
	return v;							\
}									\
static inline void set_cr##n(uint64_t v)				\
{									\
	asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");		\
}									\
static inline uint8_t set_cr##n##_safe(uint64_t v)			\
{									\
	uint64_t ec;							\
	uint8_t vec;							\
	asm volatile(ASM_SAFE("mov %[val], %%cr" #n)			\
		     : ASM_SAFE_OUTPUTS(vec, ec) : [val] "r"(v)		\
		     : ASM_SAFE_CLOBBERS, "memory");			\
	return vec;							\
}
DEFINE_CR(0)
DEFINE_CR(4)
DEFINE_CR(8)

static inline uint64_t get_cr2(void)
{
	uint64_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("out %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("out %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("out %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("in %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("in %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("in %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}

/* STI;NOP: interrupts pending behind STI are taken after the NOP. */
static inline void sti_nop(void)
{
	asm volatile("sti; nop" : : : "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline uint64_t read_rflags(void)
{
	uint64_t f;

	asm volatile("pushfq; popq %0" : "=r"(f) : : "memory");
	return f;
}

/* Host: the default state of a 64-bit vCPU (used by vm_vcpu_add()). */
void vcpu_setup_long_mode(struct vcpu *vcpu, void *guest_code);
/* Host: GDT, TSS, IDT and page tables of vm_create()'s layout. */
void vm_setup_tables(struct vm *vm);

#endif /* SELFTEST_PROCESSOR_H */
