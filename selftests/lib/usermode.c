// SPDX-License-Identifier: GPL-2.0
/*
 * CPL 3 in the selftest guest.  The user function is reached by IRETQ and
 * ends with HLT, which faults (#GP) at CPL 3; the #GP handler then IRETs
 * back to ring 0 where guest_run_user() left off.
 */
#include <string.h>

#include "processor.h"
#include "usermode.h"

#define SEL_USER_CODE64		0x33	/* GDT entry 6, RPL 3 */
#define SEL_USER_DATA		0x3b	/* GDT entry 7, RPL 3 */
#define GDT_USER_OFFSET		0x30
#define PTE_USER		(1ULL << 2)
#define PTE_PRESENT		(1ULL << 0)
#define PTE_HUGE		(1ULL << 7)

/* Guest state of one guest_run_user() call. */
static uint64_t ring0_rsp;
static uint8_t user_stack[8192] __aligned(16);

/* Ring 3: call fn(arg) (RSI, RDI), then HLT, which #GPs back to ring 0. */
asm(".pushsection .text\n"
	".globl usermode_tramp\n"
	"usermode_tramp:\n\t"
	"call *%rsi\n\t"
	"hlt\n\t"
	".globl usermode_return\n"
	"usermode_return:\n\t"
	"ret\n"
	".popsection\n");

static void usermode_gp(struct ex_regs *regs)
{
	if ((regs->cs & 3) != 3 || regs->rip != (uint64_t)usermode_tramp + 2)
		ucall(UCALL_UNHANDLED, 4, regs->vector, regs->error_code,
		      regs->rip, 0);
	/* Back to ring 0, into guest_run_user()'s frame; RAX is the result. */
	regs->rip = (uint64_t)usermode_return;
	regs->cs = VESSEL_GDT_SEL_CODE64;
	regs->ss = VESSEL_GDT_SEL_DATA;
	regs->rsp = ring0_rsp;
}

uint64_t guest_run_user(uint64_t (*fn)(uint64_t), uint64_t arg)
{
	uint64_t ret;

	asm volatile("push %%rbp\n\t"
		     "lea 1f(%%rip), %%rax\n\t"
		     "push %%rax\n\t"		/* usermode_return's RET target */
		     "mov %%rsp, %[save]\n\t"
		     "pushq %[ss]\n\t"
		     "pushq %[usp]\n\t"
		     "pushq $2\n\t"		/* RFLAGS: IF=0 */
		     "pushq %[cs]\n\t"
		     "lea usermode_tramp(%%rip), %%rax\n\t"
		     "push %%rax\n\t"
		     "iretq\n"
		     "1:\n\t"
		     "pop %%rbp\n\t"
		     : "=&a"(ret), [save] "=m"(ring0_rsp)
		     : "D"(arg), "S"(fn), [ss] "i"(SEL_USER_DATA),
		       [cs] "i"(SEL_USER_CODE64),
		       [usp] "r"((uint64_t)(user_stack + sizeof(user_stack)))
		     : "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12",
		       "r13", "r14", "r15", "memory", "cc");
	return ret;
}

static void set_user_bits(struct vm *vm, uint64_t table, int level)
{
	uint64_t *e = addr_gpa2hva(vm, table);
	unsigned int i;

	for (i = 0; i < 512; i++) {
		if (!(e[i] & PTE_PRESENT))
			continue;
		e[i] |= PTE_USER;
		if (level > 1 && !(e[i] & PTE_HUGE))
			set_user_bits(vm, e[i] & 0x000ffffffffff000ULL, level - 1);
	}
}

void vm_enable_usermode(struct vm *vm, struct vcpu *vcpu)
{
	uint64_t *gdt = addr_gpa2hva(vm, GUEST_GDT_GPA + GDT_USER_OFFSET);
	uint64_t rsp0 = GUEST_STACKS_GPA + vcpu->id * GUEST_STACK_SIZE +
			GUEST_STACK_SIZE / 2;
	struct vessel_vcpu_state s;

	set_user_bits(vm, vm->pt.cr3, 4);
	gdt[0] = 0x00affb000000ffffULL;		/* code64, DPL 3 */
	gdt[1] = 0x00cff3000000ffffULL;		/* data, DPL 3 */
	/* Exceptions from CPL 3 switch to RSP0: within this vCPU's stack. */
	memcpy(addr_gpa2hva(vm, GUEST_TSS_GPA + 4), &rsp0, sizeof(rsp0));
	memset(&s, 0, sizeof(s));
	vcpu_state_get(vcpu, &s, VESSEL_STATE_SEGS);
	s.segs.gdt.limit = GDT_USER_OFFSET + 16 - 1;
	vcpu_state_set(vcpu, &s, VESSEL_STATE_SEGS);
	vm_install_exception_handler(vm, GP_VECTOR, usermode_gp);
}
