// SPDX-License-Identifier: GPL-2.0
/*
 * One test per kind of VM exit: what the guest sees, and what userspace
 * sees in the run page.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "flags.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define TEST_PORT	0x5e0
#define RO_GPA		0x80000000ULL	/* a read-only slot */
#define UNKNOWN_MSR	0xdeadbeef
#define USER_MSR	0x10000001

/* ---------------------------------------------------------------- CPUID */

static void guest_cpuid_default(void)
{
	uint32_t ecx = cpuid_ecx(1);

	GUEST_ASSERT(ecx & CPUID_1_ECX_HYPERVISOR);
	GUEST_ASSERT(!(ecx & CPUID_1_ECX_VMX));
	GUEST_DONE();
}

TEST(cpuid_default_table)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid_default);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

#define BRAND_LEAF	0x80000002

static void guest_cpuid_leaf(void)
{
	uint32_t a, b, c, d;

	cpuid_count(BRAND_LEAF, 0, &a, &b, &c, &d);
	GUEST_SYNC_ARGS(4, (uint64_t)a, (uint64_t)b, (uint64_t)c, (uint64_t)d);
	GUEST_DONE();
}

TEST(cpuid_set_leaf)
{
	struct vessel_cpuid_entry e[VESSEL_MAX_CPUID_ENTRIES];
	struct vessel_cpuid_entry *leaf;
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_cpuid_leaf);
	uint32_t nr = vm_cpuid_get(vm, e);
	struct ucall uc;

	leaf = cpuid_find(e, nr, BRAND_LEAF, 0);
	if (!leaf) {
		ASSERT_LT(nr, VESSEL_MAX_CPUID_ENTRIES);
		leaf = &e[nr++];
		memset(leaf, 0, sizeof(*leaf));
		leaf->function = BRAND_LEAF;
	}
	leaf->eax = 0x73736556;		/* "Vess" */
	leaf->ebx = 0x74206c65;		/* "el t" */
	leaf->ecx = 0x20747365;		/* "est " */
	leaf->edx = 0x12345678;
	ASSERT_EQ(0, vessel_vm_set_cpuid(&vm->v, e, nr));

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0x73736556, uc.args[0]);
	EXPECT_EQ(0x74206c65, uc.args[1]);
	EXPECT_EQ(0x20747365, uc.args[2]);
	EXPECT_EQ(0x12345678, uc.args[3]);
	vcpu_run_expect_done(vcpu);

	/* GET returns what SET stored. */
	memset(e, 0, sizeof(e));
	nr = vm_cpuid_get(vm, e);
	leaf = cpuid_find(e, nr, BRAND_LEAF, 0);
	ASSERT_NE(NULL, leaf);
	EXPECT_EQ(0x12345678, leaf->edx);
	vm_free(vm);
}

/* ------------------------------------------------------------------ HLT */

static void guest_hlt(void)
{
	/* RBX: the address after the HLT, for the host to compare. */
	asm volatile("lea 1f(%%rip), %%rbx\n\thlt\n1:" : : : "rbx", "memory");
	GUEST_DONE();
}

TEST(hlt)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hlt);

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_HLT);
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS);
	EXPECT_EQ(s->gprs.regs[VESSEL_GPR_RBX], s->gprs.rip);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	free(s);
}

/* ------------------------------------------------------------- port I/O */

static void guest_io(void)
{
	outb(TEST_PORT, 0x12);
	outw(TEST_PORT, 0x3456);
	outl(TEST_PORT, 0x789abcde);
	GUEST_ASSERT_EQ(inb(TEST_PORT), 0xa1);
	GUEST_ASSERT_EQ(inw(TEST_PORT), 0xb2c3);
	GUEST_ASSERT_EQ(inl(TEST_PORT), 0xd4e5f607);
	GUEST_DONE();
}

TEST(io_in_out)
{
	static const struct { uint8_t dir, size; uint32_t val; } ops[] = {
		{ VESSEL_IO_OUT, 1, 0x12 },
		{ VESSEL_IO_OUT, 2, 0x3456 },
		{ VESSEL_IO_OUT, 4, 0x789abcde },
		{ VESSEL_IO_IN, 1, 0xa1 },
		{ VESSEL_IO_IN, 2, 0xb2c3 },
		{ VESSEL_IO_IN, 4, 0xd4e5f607 },
	};
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_io);
	unsigned int i;
	uint32_t v;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_IO_EXIT(vcpu, TEST_PORT, ops[i].size, ops[i].dir);
		EXPECT_EQ(0, vcpu->run->io.flags);
		if (ops[i].dir == VESSEL_IO_OUT) {
			v = 0;
			memcpy(&v, vcpu_io_data(vcpu), ops[i].size);
			EXPECT_EQ(ops[i].val, v) TH_LOG("out #%u", i);
		} else {
			memcpy(vcpu_io_data(vcpu), &ops[i].val, ops[i].size);
		}
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static uint8_t string_buf[8192];

static uint8_t out_pattern(uint64_t i)
{
	return i * 7 + 1;
}

static uint8_t in_pattern(uint64_t i)
{
	return i * 3 + 5;
}

static void guest_string_io(uint64_t id, uint64_t n)
{
	uint8_t *p = string_buf;
	uint64_t i, cnt = n;

	for (i = 0; i < n; i++)
		string_buf[i] = out_pattern(i);
	asm volatile("rep outsb" : "+S"(p), "+c"(cnt) : "d"(TEST_PORT) : "memory");
	GUEST_ASSERT_EQ(cnt, 0);
	GUEST_ASSERT_EQ(p, string_buf + n);

	for (i = 0; i < n; i++)
		string_buf[i] = 0;
	p = string_buf;
	cnt = n;
	asm volatile("rep insb" : "+D"(p), "+c"(cnt) : "d"(TEST_PORT) : "memory");
	GUEST_ASSERT_EQ(cnt, 0);
	GUEST_ASSERT_EQ(p, string_buf + n);
	for (i = 0; i < n; i++)
		GUEST_ASSERT_EQ(string_buf[i], in_pattern(i));
	GUEST_DONE();
}

/* REP OUTSB then REP INSB of @n bytes, in as many exits as the kernel likes. */
static void run_string_io(struct __test_metadata *_metadata, uint64_t n)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_string_io);
	struct vessel_run *run = vcpu->run;
	uint64_t total, i, exits = 0;
	uint32_t c;
	uint8_t *data;

	vcpu_args_set(vcpu, 2, 0ULL, n);
	for (total = 0; total < n; total += c, exits++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_IO);
		ASSERT_EQ(TEST_PORT, run->io.port);
		ASSERT_EQ(VESSEL_IO_OUT, run->io.direction);
		ASSERT_EQ(1, run->io.size);
		ASSERT_TRUE(run->io.flags & VESSEL_IO_STRING);
		c = run->io.count;
		ASSERT_GE(c, 1);
		ASSERT_LE(c, VESSEL_RUN_DATA_SIZE);
		ASSERT_LE(total + c, n);
		ASSERT_GE(run->io.data_offset, VESSEL_RUN_DATA_OFFSET);
		data = vcpu_io_data(vcpu);
		for (i = 0; i < c; i++)
			ASSERT_EQ(out_pattern(total + i), data[i])
				TH_LOG("byte %lu", (unsigned long)(total + i));
	}
	for (total = 0; total < n; total += c, exits++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_IO);
		ASSERT_EQ(VESSEL_IO_IN, run->io.direction);
		ASSERT_TRUE(run->io.flags & VESSEL_IO_STRING);
		c = run->io.count;
		ASSERT_GE(c, 1);
		ASSERT_LE(c, VESSEL_RUN_DATA_SIZE);
		ASSERT_LE(total + c, n);
		data = vcpu_io_data(vcpu);
		for (i = 0; i < c; i++)
			data[i] = in_pattern(total + i);
	}
	vcpu_run_expect_done(vcpu);
	TH_LOG("%lu bytes each way in %lu exits", (unsigned long)n,
	       (unsigned long)exits);
	vm_free(vm);
}

TEST(io_rep_string_100)
{
	run_string_io(_metadata, 100);
}

TEST(io_rep_string_larger_than_run_page)
{
	run_string_io(_metadata, VESSEL_RUN_DATA_SIZE + 1000);
}

/* ----------------------------------------------------------------- MMIO */

struct mmio_op {
	uint8_t is_write;
	uint8_t len;
	uint64_t val;
};

static const struct mmio_op mmio_ops[] = {
	{ 1, 1, 0x11 },
	{ 1, 2, 0x2233 },
	{ 1, 4, 0x44556677 },
	{ 1, 8, 0x8899aabbccddeeffULL },
	{ 0, 1, 0xa5 },			/* MOV r8: upper bits kept */
	{ 0, 1, 0xf6 },			/* MOVZX from 8 bits */
	{ 0, 2, 0xe7d8 },		/* MOVZX from 16 bits */
	{ 0, 4, 0xc9bad0e1 },		/* MOV r32: zero-extends */
	{ 0, 8, 0x0123456789abcdefULL },
};

static void guest_mmio(void)
{
	uint8_t *p = (uint8_t *)GUEST_MMIO_GPA;
	uint64_t v;

	asm volatile("movb %b1, (%0)" : : "r"(p), "q"(0x11) : "memory");
	asm volatile("movw %w1, 8(%0)" : : "r"(p), "r"(0x2233) : "memory");
	asm volatile("movl %k1, 16(%0)" : : "r"(p), "r"(0x44556677) : "memory");
	asm volatile("movq %1, 24(%0)" : : "r"(p), "r"(0x8899aabbccddeeffULL)
		     : "memory");

	v = 0x1122334455667700ULL;
	asm volatile("movb 32(%1), %b0" : "+q"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0x11223344556677a5ULL);
	v = -1ULL;
	asm volatile("movzbl 40(%1), %k0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xf6);
	v = -1ULL;
	asm volatile("movzwl 48(%1), %k0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xe7d8);
	v = -1ULL;
	asm volatile("movl 56(%1), %k0" : "+r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0xc9bad0e1);
	asm volatile("movq 64(%1), %0" : "=r"(v) : "r"(p) : "memory");
	GUEST_ASSERT_EQ(v, 0x0123456789abcdefULL);
	GUEST_DONE();
}

TEST(mmio_outside_slots)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_mmio);
	struct vessel_run *run = vcpu->run;
	unsigned int i;
	uint64_t v;

	for (i = 0; i < ARRAY_SIZE(mmio_ops); i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
		EXPECT_EQ(GUEST_MMIO_GPA + 8 * i, run->mmio.gpa) TH_LOG("op %u", i);
		EXPECT_EQ(mmio_ops[i].len, run->mmio.len) TH_LOG("op %u", i);
		EXPECT_EQ(mmio_ops[i].is_write, run->mmio.is_write)
			TH_LOG("op %u", i);
		if (mmio_ops[i].is_write) {
			v = 0;
			memcpy(&v, run->mmio.data, mmio_ops[i].len);
			EXPECT_EQ(mmio_ops[i].val, v) TH_LOG("op %u", i);
		} else {
			memcpy(run->mmio.data, &mmio_ops[i].val, 8);
		}
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * TEST and CMP on MMIO: one read exit each, then the guest sees the flags
 * the same instruction gives on RAM holding the value userspace supplied.
 */
static const struct mmio_op mmio_alu_reads[] = {
	{ 0, 4, 0x80000000 },		/* testl $0x80000001: SF, PF */
	{ 0, 1, 0x7f },			/* cmpb $0x80: CF, OF */
	{ 0, 2, 0x8000 },		/* cmpw %r9w (1): OF */
	{ 0, 8, -128ULL },		/* cmpq $-128 (imm8): ZF */
	{ 0, 4, 0x20 },			/* cmp mem,%ecx (0x10): CF, SF */
};

static void guest_mmio_test_cmp(void)
{
	uint8_t *p = (uint8_t *)GUEST_MMIO_GPA;
	uint64_t ram, f, r;

	ram = 0x80000000;
	f = GUEST_STATUS_FLAGS("testl $0x80000001, (%[p])", [p] "r"(p));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("testl $0x80000001, %[m]",
					      [m] "m"(ram)));
	GUEST_ASSERT_EQ(f, X86_EFLAGS_SF | X86_EFLAGS_PF);

	ram = 0x7f;
	f = GUEST_STATUS_FLAGS("cmpb $0x80, 8(%[p])", [p] "r"(p));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("cmpb $0x80, %[m]",
					      [m] "m"(ram)));
	GUEST_ASSERT(f & X86_EFLAGS_OF);

	r = 1;
	ram = 0x8000;
	f = GUEST_STATUS_FLAGS("cmpw %w[r], 16(%[p])", [p] "r"(p), [r] "r"(r));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("cmpw %w[r], %[m]",
					      [m] "m"(ram), [r] "r"(r)));
	GUEST_ASSERT(f & X86_EFLAGS_OF);

	ram = -128ULL;
	f = GUEST_STATUS_FLAGS("cmpq $-128, 24(%[p])", [p] "r"(p));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("cmpq $-128, %[m]",
					      [m] "m"(ram)));
	GUEST_ASSERT(f & X86_EFLAGS_ZF);

	/* The register is the destination: CMP writes nothing. */
	r = 0xffffffff00000010ULL;
	ram = 0x20;
	f = GUEST_STATUS_FLAGS("cmp 32(%[p]), %k[r]", [p] "r"(p), [r] "r"(r));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("cmp %[m], %k[r]",
					      [m] "m"(ram), [r] "r"(r)));
	GUEST_ASSERT(f & X86_EFLAGS_CF);
	GUEST_ASSERT_EQ(r, 0xffffffff00000010ULL);
	GUEST_DONE();
}

/* Answers @nr read exits at GUEST_MMIO_GPA + 8 * i from @ops. */
static void mmio_answer(struct __test_metadata *_metadata, struct vcpu *vcpu,
			const struct mmio_op *ops, unsigned int nr)
{
	struct vessel_run *run = vcpu->run;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
		EXPECT_EQ(GUEST_MMIO_GPA + 8 * i, run->mmio.gpa) TH_LOG("op %u", i);
		EXPECT_EQ(ops[i].len, run->mmio.len) TH_LOG("op %u", i);
		EXPECT_EQ(0, run->mmio.is_write) TH_LOG("op %u", i);
		memcpy(run->mmio.data, &ops[i].val, 8);
	}
}

TEST(mmio_test_cmp)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_mmio_test_cmp);

	mmio_answer(_metadata, vcpu, mmio_alu_reads,
		    ARRAY_SIZE(mmio_alu_reads));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * Read-modify-write on MMIO: a read exit, then on the next RUN a write exit
 * of the result at the same address.  RIP and RFLAGS change only once the
 * write is done; the guest then sees the flags of the same instruction on
 * RAM.  A register destination takes one read exit.
 */
struct mmio_rmw {
	uint8_t len;
	uint64_t read;		/* what userspace answers */
	uint64_t written;	/* what the write exit must carry */
};

static const struct mmio_rmw mmio_rmws[] = {
	{ 4, 0x80000001, 0x80000101 },	/* orl $0x100 */
	{ 4, 0xffffffff, 0 },		/* lock add %ecx (1): CF, ZF */
	{ 2, 0x8000, 0x8000 },		/* negw: OF */
	{ 1, 0x0f, 0x0e },		/* decb keeps CF */
};

static void guest_mmio_rmw(void)
{
	uint8_t *p = (uint8_t *)GUEST_MMIO_GPA;
	uint64_t ram, f, r;

	ram = 0x80000001;
	f = GUEST_STATUS_FLAGS("orl $0x100, (%[p])", [p] "r"(p));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("orl $0x100, %[m]",
					      [m] "m"(ram)));
	GUEST_ASSERT_EQ(f, X86_EFLAGS_SF);

	r = 1;
	ram = 0xffffffff;
	f = GUEST_STATUS_FLAGS("lock add %k[r], 8(%[p])", [p] "r"(p),
			       [r] "r"(r));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("add %k[r], %[m]",
					      [m] "m"(ram), [r] "r"(r)));
	GUEST_ASSERT(f & X86_EFLAGS_CF);
	GUEST_ASSERT(f & X86_EFLAGS_ZF);

	ram = 0x8000;
	f = GUEST_STATUS_FLAGS("negw 16(%[p])", [p] "r"(p));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("negw %[m]", [m] "m"(ram)));
	GUEST_ASSERT(f & X86_EFLAGS_OF);

	ram = 0x0f;
	f = GUEST_STATUS_FLAGS("decb 24(%[p])", [p] "r"(p));
	GUEST_ASSERT_EQ(f, GUEST_STATUS_FLAGS("decb %[m]", [m] "m"(ram)));
	GUEST_ASSERT(f & X86_EFLAGS_CF);

	r = 0xffffffff00000002ULL;
	asm volatile("add 32(%[p]), %k[r]" : [r] "+r"(r) : [p] "r"(p)
		     : "cc", "memory");
	GUEST_ASSERT_EQ(r, 0x12345680);
	GUEST_DONE();
}

TEST(mmio_read_modify_write)
{
	struct vessel_vcpu_state *s0 = calloc(1, sizeof(*s0));
	struct vessel_vcpu_state *s1 = calloc(1, sizeof(*s1));
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_mmio_rmw);
	struct vessel_run *run = vcpu->run;
	const uint64_t reg_dst = 0x1234567e;
	unsigned int i;
	uint64_t v;

	for (i = 0; i < ARRAY_SIZE(mmio_rmws); i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
		EXPECT_EQ(GUEST_MMIO_GPA + 8 * i, run->mmio.gpa) TH_LOG("op %u", i);
		EXPECT_EQ(mmio_rmws[i].len, run->mmio.len) TH_LOG("op %u", i);
		EXPECT_EQ(0, run->mmio.is_write) TH_LOG("op %u", i);
		vcpu_state_get(vcpu, s0, VESSEL_STATE_GPRS);
		memcpy(run->mmio.data, &mmio_rmws[i].read, 8);

		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
		EXPECT_EQ(GUEST_MMIO_GPA + 8 * i, run->mmio.gpa) TH_LOG("op %u", i);
		EXPECT_EQ(mmio_rmws[i].len, run->mmio.len) TH_LOG("op %u", i);
		EXPECT_EQ(1, run->mmio.is_write) TH_LOG("op %u", i);
		v = 0;
		memcpy(&v, run->mmio.data, mmio_rmws[i].len);
		EXPECT_EQ(mmio_rmws[i].written, v) TH_LOG("op %u", i);
		/* Between the halves the instruction has not retired. */
		vcpu_state_get(vcpu, s1, VESSEL_STATE_GPRS);
		EXPECT_EQ(s0->gprs.rip, s1->gprs.rip) TH_LOG("op %u", i);
		EXPECT_EQ(s0->gprs.rflags, s1->gprs.rflags) TH_LOG("op %u", i);
	}
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA + 32, run->mmio.gpa);
	EXPECT_EQ(0, run->mmio.is_write);
	memcpy(run->mmio.data, &reg_dst, 8);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	free(s0);
	free(s1);
}

/*
 * XCHG with MMIO: a read exit and a write exit, the register gets what
 * was read.  STOS: one write exit per element; REP repeats it until RCX
 * is 0, stepping RDI as DF says.
 */
static void guest_mmio_xchg_stos(void)
{
	uint8_t *p = (uint8_t *)GUEST_MMIO_GPA;
	uint64_t r = 0x1122334455667788ULL, rdi, rcx;

	asm volatile("xchg %[r], 40(%[p])" : [r] "+r"(r) : [p] "r"(p)
		     : "memory");
	GUEST_ASSERT_EQ(r, 0xaabbccddeeff0011ULL);

	rdi = (uint64_t)p + 48;
	rcx = 3;
	asm volatile("rep stosl" : "+D"(rdi), "+c"(rcx) : "a"(0x5a5a5a5a)
		     : "memory");
	GUEST_ASSERT_EQ(rdi, (uint64_t)p + 60);
	GUEST_ASSERT_EQ(rcx, 0);
	asm volatile("std; stosb; cld" : "+D"(rdi) : "a"(0x77) : "memory");
	GUEST_ASSERT_EQ(rdi, (uint64_t)p + 59);
	GUEST_DONE();
}

TEST(mmio_xchg_stos)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_mmio_xchg_stos);
	struct vessel_run *run = vcpu->run;
	uint64_t v = 0xaabbccddeeff0011ULL;
	unsigned int i;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA + 40, run->mmio.gpa);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	memcpy(run->mmio.data, &v, 8);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA + 40, run->mmio.gpa);
	EXPECT_EQ(1, run->mmio.is_write);
	memcpy(&v, run->mmio.data, 8);
	EXPECT_EQ(0x1122334455667788ULL, v);

	for (i = 0; i < 3; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
		EXPECT_EQ(GUEST_MMIO_GPA + 48 + 4 * i, run->mmio.gpa);
		EXPECT_EQ(4, run->mmio.len);
		EXPECT_EQ(1, run->mmio.is_write);
		v = 0;
		memcpy(&v, run->mmio.data, 4);
		EXPECT_EQ(0x5a5a5a5a, v);
	}
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(GUEST_MMIO_GPA + 60, run->mmio.gpa);
	EXPECT_EQ(1, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0x77, run->mmio.data[0]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* MUL with a memory operand is not emulated: an internal error exit. */
static void guest_mmio_unsupported(void)
{
	asm volatile(".byte 0xf7, 0x20"		/* mull (%rax) */
		     : : "a"(GUEST_MMIO_GPA) : "rdx", "cc", "memory");
	GUEST_DONE();
}

TEST(mmio_unsupported_instruction)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_mmio_unsupported);
	struct vessel_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(VESSEL_INTERNAL_EMULATION, run->internal.suberror);
	EXPECT_EQ(4, run->internal.ndata);
	EXPECT_EQ(GUEST_MMIO_GPA, run->internal.data[0]);
	EXPECT_EQ(0x20f7, run->internal.data[2] & 0xffff);
	vm_free(vm);
}

static void guest_read_past_end(uint64_t id, uint64_t end)
{
	GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)end), 0x5566778899aabbccULL);
	GUEST_DONE();
}

TEST(read_past_end_of_memory)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_read_past_end);
	uint64_t v = 0x5566778899aabbccULL;

	vcpu_args_set(vcpu, 2, 0ULL, vm->mem_size);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(vm->mem_size, vcpu->run->mmio.gpa);
	EXPECT_EQ(8, vcpu->run->mmio.len);
	EXPECT_EQ(0, vcpu->run->mmio.is_write);
	memcpy(vcpu->run->mmio.data, &v, 8);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_readonly(void)
{
	uint64_t *p = (uint64_t *)RO_GPA;

	GUEST_ASSERT_EQ(READ_ONCE(p[0]), 0x0101010101010101ULL);
	GUEST_ASSERT_EQ(READ_ONCE(p[1]), 0x0202020202020202ULL);
	WRITE_ONCE(p[1], 0x1234);
	/* The write went to userspace, not to memory. */
	GUEST_ASSERT_EQ(READ_ONCE(p[1]), 0x0202020202020202ULL);
	/* A read-modify-write reads the slot: only the write exits. */
	asm volatile("orq $0x10, %0" : "+m"(p[2]) : : "cc");
	GUEST_ASSERT_EQ(READ_ONCE(p[2]), 0x0303030303030303ULL);
	GUEST_DONE();
}

TEST(readonly_slot)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_readonly);
	uint64_t *ro = vm_mem_add(vm, 1, VESSEL_MEM_READONLY, RO_GPA, 4096,
				  NULL);
	uint64_t v = 0;

	ro[0] = 0x0101010101010101ULL;
	ro[1] = 0x0202020202020202ULL;
	ro[2] = 0x0303030303030303ULL;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(RO_GPA + 8, vcpu->run->mmio.gpa);
	EXPECT_EQ(1, vcpu->run->mmio.is_write);
	EXPECT_EQ(8, vcpu->run->mmio.len);
	memcpy(&v, vcpu->run->mmio.data, 8);
	EXPECT_EQ(0x1234, v);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(RO_GPA + 16, vcpu->run->mmio.gpa);
	EXPECT_EQ(1, vcpu->run->mmio.is_write);
	memcpy(&v, vcpu->run->mmio.data, 8);
	EXPECT_EQ(0x0303030303030313ULL, v);
	vcpu_run_expect_done(vcpu);
	EXPECT_EQ(0x0202020202020202ULL, ro[1]);
	vm_free(vm);
}

/* ----------------------------------------------------------------- MSRs */

static void guest_msrs(void)
{
	uint32_t a, b, c, d, aux;
	uint64_t v;

	wrmsr(MSR_IA32_SYSENTER_CS, 0x10);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_SYSENTER_CS), 0x10);
	wrmsr(MSR_IA32_SYSENTER_CS, 0);

	cpuid_count(0x80000001, 0, &a, &b, &c, &d);
	if (d & (1U << 27)) {		/* RDTSCP */
		wrmsr(MSR_TSC_AUX, 0x1234);
		asm volatile("rdtscp" : "=a"(a), "=d"(d), "=c"(aux));
		GUEST_ASSERT_EQ(aux, 0x1234);
	}

	GUEST_ASSERT_EQ(rdmsr_safe(UNKNOWN_MSR, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(UNKNOWN_MSR, 0), GP_VECTOR);

	/* USER_MSR: every access is answered by the host. */
	GUEST_ASSERT_EQ(rdmsr(USER_MSR), 0x1122334455667788ULL);
	wrmsr(USER_MSR, 0xcafef00dd00dfeedULL);
	GUEST_ASSERT_EQ(rdmsr_safe(USER_MSR, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(USER_MSR, 1), GP_VECTOR);
	GUEST_DONE();
}

TEST(msrs)
{
	const uint32_t user_msrs[] = { USER_MSR };
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_msrs);
	struct vessel_run *run = vcpu->run;

	ASSERT_EQ(0, vessel_vm_set_user_msrs(&vm->v, user_msrs, 1));

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MSR);
	EXPECT_EQ(USER_MSR, run->msr.index);
	EXPECT_EQ(0, run->msr.is_write);
	run->msr.data = 0x1122334455667788ULL;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MSR);
	EXPECT_EQ(USER_MSR, run->msr.index);
	EXPECT_EQ(1, run->msr.is_write);
	EXPECT_EQ(0xcafef00dd00dfeedULL, run->msr.data);

	/* Refuse the next read and write: the guest gets #GP. */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MSR);
	EXPECT_EQ(0, run->msr.is_write);
	run->msr.error = 1;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MSR);
	EXPECT_EQ(1, run->msr.is_write);
	run->msr.error = 1;

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* --------------------------------------------------------------- XSETBV */

static void guest_xsetbv(void)
{
	uint64_t orig;

	if (!(cpuid_ecx(1) & CPUID_1_ECX_XSAVE)) {
		GUEST_SYNC(0);
		GUEST_DONE();
	}
	GUEST_SYNC(1);
	GUEST_ASSERT(get_cr4() & X86_CR4_OSXSAVE);
	orig = xgetbv(0);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_SSE), 0);
	GUEST_ASSERT_EQ(xgetbv(0), XFEATURE_X87 | XFEATURE_SSE);
	/* AVX without SSE, x87 clear, a reserved bit, an unknown XCR. */
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_AVX), GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_SSE), GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_SSE | 1ULL << 63),
			GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(1, XFEATURE_X87), GP_VECTOR);
	GUEST_ASSERT_EQ(xgetbv(0), XFEATURE_X87 | XFEATURE_SSE);
	GUEST_ASSERT_EQ(xsetbv_safe(0, orig), 0);
	GUEST_DONE();
}

TEST(xsetbv)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_xsetbv);
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	if (!uc.args[0])
		TH_LOG("no XSAVE in the guest's CPUID: nothing to test");
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------- RDTSC */

#define TSC_BASE	(1ULL << 50)

static void guest_rdtsc(void)
{
	uint64_t t1 = rdtsc(), t2 = rdtsc(), t3;

	GUEST_ASSERT(t2 > t1);
	GUEST_SYNC(t2);
	t3 = rdtsc();
	GUEST_ASSERT(t3 >= TSC_BASE);
	GUEST_ASSERT(t3 < TSC_BASE + (1ULL << 40));
	GUEST_DONE();
}

TEST(rdtsc_monotonic_and_settable)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_rdtsc);
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	vcpu_state_get(vcpu, s, VESSEL_STATE_MSRS);
	EXPECT_GE(s->msrs[VESSEL_MSR_TSC], uc.args[0]);
	s->msrs[VESSEL_MSR_TSC] = TSC_BASE;
	vcpu_state_set(vcpu, s, VESSEL_STATE_MSRS);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	free(s);
}

/* ----------------------------------------------- VMX instructions: #UD */

static void guest_vmx_insns(void)
{
	uint64_t desc[2] = { 0, 0 }, ec, zero = 0;
	uint8_t v;

	asm volatile(ASM_SAFE("vmxon %[p]") : ASM_SAFE_OUTPUTS(v, ec)
		     : [p] "m"(zero) : ASM_SAFE_CLOBBERS, "memory");
	GUEST_ASSERT_EQ(v, UD_VECTOR);
	asm volatile(ASM_SAFE("vmcall") : ASM_SAFE_OUTPUTS(v, ec)
		     : : ASM_SAFE_CLOBBERS, "memory");
	GUEST_ASSERT_EQ(v, UD_VECTOR);
	asm volatile(ASM_SAFE("vmread %%rax, %%rbx") : ASM_SAFE_OUTPUTS(v, ec)
		     : "a"(0) : ASM_SAFE_CLOBBERS, "rbx", "memory");
	GUEST_ASSERT_EQ(v, UD_VECTOR);
	asm volatile(ASM_SAFE("invept %[d], %%rax") : ASM_SAFE_OUTPUTS(v, ec)
		     : [d] "m"(desc), "a"(1) : ASM_SAFE_CLOBBERS, "memory");
	GUEST_ASSERT_EQ(v, UD_VECTOR);
	GUEST_DONE();
}

TEST(vmx_instructions_ud)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_vmx_insns);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * INVPCID is a VMX-gated instruction: the CPU raises #UD in the guest
 * unless the VMCS enables it, whatever CPUID says. What CPUID offers must
 * execute (Linux flushes its TLB with it from early boot on), and what it
 * hides must #UD, as on a CPU without it.
 */
#define CPUID_7_EBX_INVPCID	(1U << 10)
#define INVPCID_ALL_GLOBAL	2	/* every PCID, global pages too */

static void guest_invpcid(void)
{
	uint64_t desc[2] = { 0, 0 }, ec;
	uint32_t a, b, c, d;
	uint8_t v;

	cpuid_count(7, 0, &a, &b, &c, &d);
	asm volatile(ASM_SAFE("invpcid %[d], %%rax") : ASM_SAFE_OUTPUTS(v, ec)
		     : [d] "m"(desc), "a"((uint64_t)INVPCID_ALL_GLOBAL)
		     : ASM_SAFE_CLOBBERS, "memory");
	GUEST_SYNC_ARGS(2, (uint64_t)!!(b & CPUID_7_EBX_INVPCID), (uint64_t)v);
	GUEST_DONE();
}

TEST(invpcid_as_cpuid_says)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_invpcid);
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	/* Offered: executes; hidden: #UD. */
	EXPECT_EQ(uc.args[0] ? 0 : UD_VECTOR, uc.args[1]);
	TH_LOG("INVPCID %s by CPUID", uc.args[0] ? "offered" : "hidden");
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ------------------------------------------------------ control registers */

static void guest_crs(void)
{
	uint64_t cr0 = get_cr0();

	GUEST_ASSERT_EQ(set_cr4_safe(get_cr4() | X86_CR4_VMXE), GP_VECTOR);
	GUEST_ASSERT(!(get_cr4() & X86_CR4_VMXE));
	GUEST_ASSERT_EQ(set_cr0_safe(cr0 & ~X86_CR0_PE), GP_VECTOR);
	GUEST_ASSERT_EQ(set_cr0_safe((cr0 & ~X86_CR0_CD) | X86_CR0_NW),
			GP_VECTOR);
	GUEST_ASSERT_EQ(get_cr0(), cr0);
	set_cr8(5);
	GUEST_ASSERT_EQ(get_cr8(), 5);
	set_cr8(0);
	GUEST_ASSERT_EQ(get_cr8(), 0);
	GUEST_DONE();
}

TEST(control_registers)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_crs);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_invd_wbinvd(void)
{
	asm volatile("wbinvd" : : : "memory");
	asm volatile("invd" : : : "memory");
	GUEST_DONE();
}

TEST(invd_wbinvd)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_invd_wbinvd);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------- triple fault */

static void guest_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed idtr = { 0, 0 };

	asm volatile("lidt %0; int3" : : "m"(idtr) : "memory");
	GUEST_FAIL("survived a triple fault");
}

TEST(triple_fault_shutdown)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_triple_fault);

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_SHUTDOWN);
	vm_free(vm);
}

/* ------------------------------------------------------ exits to finish */

/*
 * VESSEL_RUN_PENDING: set while the exit RUN returned leaves an
 * instruction half done (IN, each half of an MMIO read-modify-write, a
 * user MSR), clear once a RUN with immediate_exit has completed it and
 * at a HLT exit, which is complete. A VMM stops a vCPU at an instruction
 * boundary by running it with immediate_exit until the flag is clear.
 */
static void guest_pending(void)
{
	uint32_t *p = (uint32_t *)GUEST_MMIO_GPA;

	GUEST_ASSERT_EQ(inb(TEST_PORT), 0x5a);
	asm volatile("orl $0x10, (%[p])" : : [p] "r"(p) : "memory");
	GUEST_ASSERT_EQ(rdmsr(USER_MSR), 7);
	asm volatile("hlt");
	GUEST_ASSERT_EQ(inb(TEST_PORT), 0x5a);
	GUEST_DONE();
}

/* RUN with immediate_exit: EINTR, the flag clear, RIP moved past @rip. */
static void run_to_boundary(struct __test_metadata *_metadata,
			    struct vcpu *vcpu, struct vessel_vcpu_state *s,
			    uint64_t rip)
{
	vcpu->run->immediate_exit = 1;
	vcpu->run->flags = ~0U;
	errno = 0;
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(VESSEL_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_EQ(0, vcpu->run->flags);
	vcpu->run->immediate_exit = 0;
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS);
	EXPECT_GT(s->gprs.rip, rip);
}

TEST(run_pending_flag)
{
	const uint32_t user_msrs[] = { USER_MSR };
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_pending);
	struct vessel_run *run = vcpu->run;
	struct vessel_caps caps;
	uint32_t v = 0x100;
	uint64_t rip;

	ASSERT_EQ(0, vessel_caps_read(&caps));
	ASSERT_TRUE(caps.flags & VESSEL_CAP_RUN_PENDING);
	ASSERT_EQ(0, vessel_vm_set_user_msrs(&vm->v, user_msrs, 1));

	/* IN: pending until the next RUN writes AL. */
	run->flags = 0;
	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, TEST_PORT, 1, VESSEL_IO_IN);
	EXPECT_EQ(VESSEL_RUN_PENDING, run->flags);
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS);
	rip = s->gprs.rip;
	*(uint8_t *)vcpu_io_data(vcpu) = 0x5a;
	run_to_boundary(_metadata, vcpu, s, rip);
	EXPECT_EQ(0x5a, s->gprs.regs[VESSEL_GPR_RAX] & 0xff);

	/* A read-modify-write: the read, then the write, both pending. */
	run->flags = 0;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(0, run->mmio.is_write);
	EXPECT_EQ(VESSEL_RUN_PENDING, run->flags);
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS);
	rip = s->gprs.rip;
	memcpy(run->mmio.data, &v, 4);
	run->immediate_exit = 1;
	run->flags = 0;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(VESSEL_RUN_PENDING, run->flags);
	memcpy(&v, run->mmio.data, 4);
	EXPECT_EQ(0x110, v);
	run_to_boundary(_metadata, vcpu, s, rip);

	/* A user MSR read. */
	run->flags = 0;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_MSR);
	EXPECT_EQ(VESSEL_RUN_PENDING, run->flags);
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS);
	rip = s->gprs.rip;
	run->msr.data = 7;
	run_to_boundary(_metadata, vcpu, s, rip);

	/* HLT is complete when it exits. */
	run->flags = ~0U;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_HLT);
	EXPECT_EQ(0, run->flags);

	/* Setting the registers drops the exit, and the flag with it. */
	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, TEST_PORT, 1, VESSEL_IO_IN);
	EXPECT_EQ(VESSEL_RUN_PENDING, run->flags);
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS);
	vcpu_state_set(vcpu, s, VESSEL_STATE_GPRS);
	EXPECT_EQ(0, run->flags);
	/* The IN runs again from the start. */
	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, TEST_PORT, 1, VESSEL_IO_IN);
	*(uint8_t *)vcpu_io_data(vcpu) = 0x5a;
	/* GUEST_DONE is an OUT: pending too. */
	vcpu_run_expect_done(vcpu);
	EXPECT_EQ(VESSEL_RUN_PENDING, run->flags);
	vm_free(vm);
	free(s);
}

TEST_HARNESS_MAIN
