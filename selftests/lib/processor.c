// SPDX-License-Identifier: GPL-2.0
/*
 * x86-64 for the selftests: the guest's exception router, and the host's
 * descriptor tables, page tables and 64-bit vCPU state.
 */
#include <string.h>

#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

/* Guest: per-vector handlers, set by the host (vm_install_exception_handler). */
guest_handler_t guest_handlers[256];

/* Guest: called by handlers.S for every interrupt and exception. */
void route_exception(struct ex_regs *regs)
{
	/* An ASM_SAFE instruction faulted: report the vector, skip it. */
	if (regs->vector < 32 && regs->vector != NMI_VECTOR &&
	    regs->r9 == ASM_SAFE_MAGIC && regs->rip == regs->r10) {
		regs->rip = regs->r11;
		regs->r9 = regs->vector;
		regs->r10 = regs->error_code;
		return;
	}
	if (guest_handlers[regs->vector]) {
		guest_handlers[regs->vector](regs);
		return;
	}
	for (;;) {
		ucall(UCALL_UNHANDLED, 4, regs->vector, regs->error_code,
		      regs->rip, get_cr2());
		asm volatile("hlt");
	}
}

/* Guest: where guest_code returns to, should it return. */
static void guest_code_returned(void)
{
	GUEST_FAIL("guest_code returned instead of calling GUEST_DONE()");
}

void vm_install_exception_handler(struct vm *vm, uint8_t vector,
				  guest_handler_t handler)
{
	guest_handler_t *table = addr_gva2hva(vm, guest_handlers);

	table[vector] = handler;
}

static void put64(struct vm *vm, uint64_t gpa, uint64_t val)
{
	memcpy(addr_gpa2hva(vm, gpa), &val, sizeof(val));
}

/* A 64-bit system descriptor (TSS) or gate: two 8-byte words. */
static void put_tss_descriptor(struct vm *vm, uint64_t gpa, uint64_t base,
			       uint32_t limit)
{
	uint64_t lo = (limit & 0xffff) | (base & 0xffffff) << 16 |
		      0x89ULL << 40 |		/* P, type 9: available TSS */
		      (uint64_t)((limit >> 16) & 0xf) << 48 |
		      ((base >> 24) & 0xff) << 56;

	put64(vm, gpa, lo);
	put64(vm, gpa + 8, base >> 32);
}

static void put_interrupt_gate(struct vm *vm, uint64_t gpa, uint64_t handler)
{
	uint64_t lo = (handler & 0xffff) |
		      (uint64_t)VESSEL_GDT_SEL_CODE64 << 16 |
		      0x8eULL << 40 |		/* P, DPL 0, type 14: intr gate */
		      ((handler >> 16) & 0xffff) << 48;

	put64(vm, gpa, lo);
	put64(vm, gpa + 8, handler >> 32);
}

void vm_setup_tables(struct vm *vm)
{
	struct vessel_gdt gdt;
	unsigned int i;
	int r;

	r = vessel_pagetable_build(vm->mem, vm->mem_size, GUEST_PT_GPA,
				   GUEST_PT_SPAN, &vm->pt);
	TEST_ASSERT(!r, "page tables: %s", strerror(-r));
	TEST_ASSERT(GUEST_PT_GPA + vm->pt.size <= GUEST_STACKS_GPA,
		    "page tables overlap the stacks");

	r = vessel_gdt_build(vm->mem, vm->mem_size, GUEST_GDT_GPA, &gdt);
	TEST_ASSERT(!r, "GDT: %s", strerror(-r));
	put_tss_descriptor(vm, GUEST_GDT_GPA + GUEST_TSS_SEL, GUEST_TSS_GPA,
			   0x67);
	/* TSS: no stacks needed (no IST, no ring 3); no I/O bitmap. */
	memset(addr_gpa2hva(vm, GUEST_TSS_GPA), 0, 0x68);
	*(uint16_t *)addr_gpa2hva(vm, GUEST_TSS_GPA + 102) = 0x68;

	for (i = 0; i < 256; i++)
		put_interrupt_gate(vm, GUEST_IDT_GPA + i * 16, idt_stubs[i]);
}

static void set_seg(struct vessel_segment *s, uint16_t sel, uint64_t base,
		    uint32_t limit, uint16_t attrib)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->attrib = attrib;
}

/* VMX access rights: type | S << 4 | DPL << 5 | P << 7 | L << 13 | DB << 14 | G << 15 */
#define AR_CODE64	0xa09b
#define AR_DATA		0xc093
#define AR_TSS64_BUSY	0x008b

void vcpu_setup_long_mode(struct vcpu *vcpu, void *guest_code)
{
	struct vm *vm = vcpu->vm;
	uint64_t stack = GUEST_STACKS_GPA + vcpu->id * GUEST_STACK_SIZE;
	uint64_t block = stack + GUEST_STACK_SIZE - sizeof(struct guest_cpu);
	struct guest_cpu *cpu = addr_gpa2hva(vm, block);
	struct vessel_vcpu_state s;
	struct vessel_segs *segs = &s.segs;
	unsigned int i;

	memset(cpu, 0, sizeof(*cpu));
	cpu->id = vcpu->id;
	/* A return address, as if guest_code had been called. */
	put64(vm, block - 8, (uintptr_t)guest_code_returned);

	memset(&s, 0, sizeof(s));
	vcpu_state_get(vcpu, &s, VESSEL_STATE_ALL);

	for (i = 0; i < VESSEL_NR_SEGS; i++)
		set_seg(&segs->seg[i], VESSEL_GDT_SEL_DATA, 0, 0xffffffff,
			AR_DATA);
	set_seg(&segs->seg[VESSEL_SEG_CS], VESSEL_GDT_SEL_CODE64, 0,
		0xffffffff, AR_CODE64);
	set_seg(&segs->seg[VESSEL_SEG_LDTR], 0, 0, 0, 0);	/* unusable */
	set_seg(&segs->seg[VESSEL_SEG_TR], GUEST_TSS_SEL, GUEST_TSS_GPA, 0x67,
		AR_TSS64_BUSY);
	segs->gdt.base = GUEST_GDT_GPA;
	segs->gdt.limit = GUEST_GDT_LIMIT;
	segs->idt.base = GUEST_IDT_GPA;
	segs->idt.limit = 256 * 16 - 1;

	s.crs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_WP | X86_CR0_PG;
	s.crs.cr2 = 0;
	s.crs.cr3 = vm->pt.cr3;
	s.crs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	if (vm->has_xsave)
		s.crs.cr4 |= X86_CR4_OSXSAVE;
	s.crs.cr8 = 0;
	s.crs.efer = X86_EFER_LME | X86_EFER_LMA;
	s.crs.xcr0 = vm->xcr0;

	memset(&s.gprs, 0, sizeof(s.gprs));
	s.gprs.regs[VESSEL_GPR_RSP] = block - 8;
	s.gprs.regs[VESSEL_GPR_RDI] = vcpu->id;
	s.gprs.rip = (uintptr_t)guest_code;
	s.gprs.rflags = X86_RFLAGS_FIXED;

	memset(&s.events, 0, sizeof(s.events));
	vcpu_state_set(vcpu, &s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS |
			  VESSEL_STATE_CRS | VESSEL_STATE_EVENTS);
}
