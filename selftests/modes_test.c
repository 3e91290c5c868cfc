// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in each CPU mode: 16-bit real mode from the architectural reset
 * state, 32-bit protected mode without paging, 64-bit long mode, and
 * compatibility mode.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define RESET_GPA	0xffff0000ULL
#define RESET_SIZE	0x10000ULL

static void expect_out(struct __test_metadata *_metadata, struct vcpu *vcpu,
		       uint16_t port, uint8_t size, uint32_t val)
{
	uint32_t v = 0;

	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, port, size, VESSEL_IO_OUT);
	memcpy(&v, vcpu_io_data(vcpu), size);
	EXPECT_EQ(val, v) TH_LOG("out to port %#x", port);
}

/* Hand-assembled 16-bit code, run from the reset vector. */
static const uint8_t real_mode_code[] = {
	0xb0, 0x42,			/* mov al, 0x42 */
	0xe6, 0xf1,			/* out 0xf1, al */
	0xb8, 0x34, 0x12,		/* mov ax, 0x1234 */
	0xe7, 0xf2,			/* out 0xf2, ax */
	0x31, 0xc0,			/* xor ax, ax */
	0x8e, 0xd8,			/* mov ds, ax */
	0xc7, 0x06, 0x00, 0x05, 0xef, 0xbe, /* mov word [0x500], 0xbeef */
	0x8c, 0xc8,			/* mov ax, cs */
	0xe7, 0xf3,			/* out 0xf3, ax */
	0xf4,				/* hlt */
};

TEST(real_mode_from_reset)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vm *vm = vm_create_barebones(1 << 20);
	struct vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	uint8_t *rom = vm_mem_add(vm, 1, 0, RESET_GPA, RESET_SIZE, NULL);

	/* At 0xfff0: jmp near 0xe000 (rel16 from 0xfff3). */
	rom[0xfff0] = 0xe9;
	rom[0xfff1] = 0x0d;
	rom[0xfff2] = 0xe0;
	memcpy(rom + 0xe000, real_mode_code, sizeof(real_mode_code));

	vcpu_state_get(vcpu, s, VESSEL_STATE_ALL);
	EXPECT_EQ(0xf000, s->segs.seg[VESSEL_SEG_CS].selector);
	EXPECT_EQ(0xffff0000, s->segs.seg[VESSEL_SEG_CS].base);
	EXPECT_EQ(0xfff0, s->gprs.rip);
	EXPECT_EQ(0, s->crs.cr0 & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_EQ(X86_RFLAGS_FIXED, s->gprs.rflags);
	TH_LOG("reset CR0 %#llx EDX %#llx", (unsigned long long)s->crs.cr0,
	       (unsigned long long)s->gprs.regs[VESSEL_GPR_RDX]);

	expect_out(_metadata, vcpu, 0xf1, 1, 0x42);
	expect_out(_metadata, vcpu, 0xf2, 2, 0x1234);
	expect_out(_metadata, vcpu, 0xf3, 2, 0xf000);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_HLT);
	EXPECT_EQ(0xbeef, *(uint16_t *)(vm->mem + 0x500));
	vm_free(vm);
	free(s);
}

/*
 * An event whose delivery a VM exit interrupted is delivered again on the
 * next entry. Taken in protected mode, a #GP carries an error code; if the
 * vCPU is in real mode when it is delivered (its state set between, as a
 * restore or a reset does; Linux's reboot through the BIOS met it), real
 * mode pushes none and VM entry refuses the deliver-error-code bit (SDM
 * 26.2.1.3): the module drops it rather than fail the entry.
 */
static const uint8_t real_mode_gp_handler[] = {
	0xb0, 0x0d,			/* mov al, 13 */
	0xe6, 0xf1,			/* out 0xf1, al */
	0x58,				/* pop ax: IP, no error code */
	0xe7, 0xf2,			/* out 0xf2, ax */
	0xf4,				/* hlt */
};

TEST(real_mode_reinjected_exception_has_no_error_code)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vm *vm = vm_create_barebones(1 << 20);
	struct vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	uint16_t ivt_gp[2] = { 0x2000, 0 };	/* offset, segment */
	uint32_t v = 0;

	memcpy(vm->mem + 13 * 4, ivt_gp, sizeof(ivt_gp));
	memcpy(vm->mem + 0x2000, real_mode_gp_handler,
	       sizeof(real_mode_gp_handler));
	vm->mem[0x1000] = 0xf4;			/* hlt, not reached first */

	vcpu_state_get(vcpu, s, VESSEL_STATE_ALL);
	s->segs.seg[VESSEL_SEG_CS].selector = 0;
	s->segs.seg[VESSEL_SEG_CS].base = 0;
	s->gprs.rip = 0x1000;
	s->gprs.regs[VESSEL_GPR_RSP] = 0x8000;
	/* #GP(0), valid, hardware exception, deliver error code. */
	s->events.injected_info = 0x80000b0d;
	s->events.injected_error_code = 0;
	vcpu_state_set(vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS |
			  VESSEL_STATE_EVENTS);

	expect_out(_metadata, vcpu, 0xf1, 1, 13);
	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, 0xf2, 2, VESSEL_IO_OUT);
	memcpy(&v, vcpu_io_data(vcpu), 2);
	EXPECT_EQ(0x1000, v);
	vm_free(vm);
	free(s);
}

/* Hand-assembled 32-bit code, flat segments, no paging. */
static const uint8_t prot_mode_code[] = {
	0xb8, 0xef, 0xbe, 0xad, 0xde,	/* mov eax, 0xdeadbeef */
	0xe7, 0xf1,			/* out 0xf1, eax */
	0xa3, 0x00, 0x06, 0x00, 0x00,	/* mov [0x600], eax */
	0x0f, 0x20, 0xc0,		/* mov eax, cr0 */
	0xe7, 0xf2,			/* out 0xf2, eax */
	0xf4,				/* hlt */
};

TEST(protected_mode_32bit)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vm *vm = vm_create_barebones(1 << 20);
	struct vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	struct vessel_gdt gdt;
	unsigned int i;

	ASSERT_EQ(0, vessel_gdt_build(vm->mem, vm->mem_size, 0x1000, &gdt));
	memcpy(vm->mem + 0x2000, prot_mode_code, sizeof(prot_mode_code));

	vcpu_state_get(vcpu, s, VESSEL_STATE_ALL);
	for (i = VESSEL_SEG_ES; i <= VESSEL_SEG_GS; i++) {
		s->segs.seg[i].selector = gdt.data;
		s->segs.seg[i].base = 0;
		s->segs.seg[i].limit = 0xffffffff;
		s->segs.seg[i].attrib = 0xc093;
	}
	s->segs.seg[VESSEL_SEG_CS].selector = gdt.code32;
	s->segs.seg[VESSEL_SEG_CS].attrib = 0xc09b;
	s->segs.gdt.base = gdt.base;
	s->segs.gdt.limit = gdt.limit;
	s->crs.cr0 = X86_CR0_PE | X86_CR0_ET;
	s->crs.cr4 = 0;
	s->crs.efer = 0;
	s->gprs.rip = 0x2000;
	s->gprs.regs[VESSEL_GPR_RSP] = 0x8000;
	s->gprs.rflags = X86_RFLAGS_FIXED;
	vcpu_state_set(vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS |
			  VESSEL_STATE_CRS);

	expect_out(_metadata, vcpu, 0xf1, 4, 0xdeadbeef);
	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, 0xf2, 4, VESSEL_IO_OUT);
	memcpy(&i, vcpu_io_data(vcpu), 4);
	EXPECT_EQ(X86_CR0_PE, i & (X86_CR0_PE | X86_CR0_PG));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_HLT);
	EXPECT_EQ(0xdeadbeef, *(uint32_t *)(vm->mem + 0x600));
	vm_free(vm);
	free(s);
}

#define MSR_EFER	0xc0000080

static void guest_long_mode(uint64_t id)
{
	uint16_t cs;

	GUEST_ASSERT_EQ(id, 0);
	GUEST_ASSERT(rdmsr(MSR_EFER) & X86_EFER_LMA);
	GUEST_ASSERT(get_cr0() & X86_CR0_PG);
	GUEST_ASSERT(get_cr4() & X86_CR4_PAE);
	asm volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT_EQ(cs, VESSEL_GDT_SEL_CODE64);
	GUEST_DONE();
}

TEST(long_mode_64bit)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_long_mode);

	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/*
 * Compatibility mode (IA-32e mode with CS.L = 0): MOV to CR4 takes EAX,
 * whatever RAX's upper half holds (SDM Vol. 2B, MOV to control registers:
 * 32-bit operands outside 64-bit mode).  The write exits (OSFXSR is the
 * host's bit) and the kernel must truncate the register as the CPU does;
 * it once took all of RAX and raised #GP.
 */
static const uint8_t compat_mov_cr4_code[] = {
	0x0f, 0x22, 0xe0,		/* mov cr4, eax */
	0xf4,				/* hlt */
};

TEST(compat_mode_mov_to_cr4)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_long_mode);
	uint64_t code = vm_alloc(vm, VESSEL_PAGE_SIZE), cr4;

	memcpy(addr_gpa2hva(vm, code), compat_mov_cr4_code,
	       sizeof(compat_mov_cr4_code));
	vcpu_state_get(vcpu, s, VESSEL_STATE_ALL);
	ASSERT_TRUE(s->crs.efer & X86_EFER_LMA);
	cr4 = s->crs.cr4 ^ X86_CR4_OSFXSR;
	s->segs.seg[VESSEL_SEG_CS].selector = VESSEL_GDT_SEL_CODE32;
	s->segs.seg[VESSEL_SEG_CS].attrib = 0xc09b;	/* G, D, P, code; not L */
	s->gprs.rip = code;
	s->gprs.regs[VESSEL_GPR_RAX] = 0xdead000000000000ULL | cr4;
	vcpu_state_set(vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS);

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_HLT);
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_CRS);
	EXPECT_EQ(cr4, s->crs.cr4);
	EXPECT_EQ(code + sizeof(compat_mov_cr4_code), s->gprs.rip);
	vm_free(vm);
	free(s);
}

TEST_HARNESS_MAIN
