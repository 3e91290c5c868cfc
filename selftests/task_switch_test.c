// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware task switches in a 32-bit protected-mode guest: JMP, CALL and
 * IRET to a TSS, INT n and an exception through an IDT task gate, a 16-bit
 * TSS, a CR3 switch under PAE paging, the T flag, and the faults of a bad
 * TSS.  VMX exits on each of them (TASK_SWITCH) and vessel.ko emulates the
 * switch (kmod/emulate/task_switch.c); the guest and the host check the result.
 *
 * The guest code is the .code32 assembly below, part of this binary and
 * so loaded by vm_create() at its link address (below 4 GiB).  It records
 * what it sees in ts_rec[] and stops with HLT.
 */
#include <stdint.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "vessel_util.h"
#include "task_switch_guest.h"

#define X86_CR0_TS	(1ULL << 3)
#define X86_CR0_PG_	(1ULL << 31)
#define EFLAGS_NT	(1U << 14)

/* GDT selectors. */
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_TSS_A	0x18	/* the first task (TR at start) */
#define SEL_TSS_B	0x20
#define SEL_TSS_C	0x28	/* INT 0x80's task */
#define SEL_TSS_D	0x30	/* #GP's task */
#define SEL_TSS_E	0x38	/* 16-bit */
#define SEL_TSS_NP	0x40	/* not present */
#define SEL_TSS_SHORT	0x48	/* limit 0x50 */
#define SEL_CODE_NP	0x50	/* a code segment, not present */
#define GDT_LIMIT	0x5f

/* Offsets in the area from vm_alloc(). */
#define AREA_SIZE	0x10000
#define OFF_GDT		0x0000
#define OFF_IDT		0x1000
#define OFF_TSS(n)	(0x2000 + 0x100 * (n))	/* A=0, B=1, ... */
#define OFF_STACK(n)	(0x4000 + 0x1000 * (n))	/* top of task n's stack */
#define OFF_PDPT_A	0xa000
#define OFF_PDPT_B	0xa020
#define OFF_PD0		0xb000
#define OFF_PD_A1	0xc000
#define OFF_PD_B1	0xd000

/* The 16-bit task's code runs at a 16-bit IP: copied down here. */
#define T16_CODE_GPA	0x9000
#define T16_STACK	0x8ff0

/* Shared with the guest (its copy is read through addr_gva2hva). */
uint32_t ts_rec[32];
uint32_t ts_area;
uint32_t ts_resume;
uint32_t ts_nrec;

asm(".pushsection .text\n"
	".code32\n"

    /* JMP to task B; B records its registers; a T-flag #DB first. */
	"g_jmp_main:\n"
	"	mov $0x11111111, %eax\n"
	"	mov $0x22222222, %ebx\n"
	"	mov $0x33333333, %ecx\n"
	"	mov $0x44444444, %edx\n"
	"	mov $0x55555555, %esi\n"
	"	mov $0x66666666, %edi\n"
	"	mov $0x77777777, %ebp\n"
	"	ljmp $0x20, $0\n"
	"g_jmp_after:\n"
	"	hlt\n"
	"g_task_b:\n"
	"	mov %eax, ts_rec+0\n"
	"	mov %ebx, ts_rec+4\n"
	"	mov %ecx, ts_rec+8\n"
	"	mov %edx, ts_rec+12\n"
	"	mov %esi, ts_rec+16\n"
	"	mov %edi, ts_rec+20\n"
	"	mov %ebp, ts_rec+24\n"
	"	mov %esp, ts_rec+28\n"
	"	pushf\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+32\n"
	"	str %ax\n"
	"	movzwl %ax, %eax\n"
	"	mov %eax, ts_rec+36\n"
	"	mov %cr0, %eax\n"
	"	mov %eax, ts_rec+40\n"
	"	movl $1, ts_rec+48\n"
	"	hlt\n"

    /* CALL task B, which IRETs back. */
	"g_call_main:\n"
	"	mov $0x12345678, %eax\n"
	"	lcall $0x20, $0\n"
	"	mov %eax, ts_rec+16\n"
	"	pushf\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+20\n"
	"	str %ax\n"
	"	movzwl %ax, %eax\n"
	"	mov %eax, ts_rec+24\n"
	"	hlt\n"
	"g_task_b_call:\n"
	"	pushf\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+0\n"
	"	mov ts_area, %ebx\n"
	"	movzwl 0x2100(%ebx), %eax\n"	/* B's previous task link */
	"	mov %eax, ts_rec+4\n"
	"	movzbl 0x1d(%ebx), %eax\n"	/* type byte of A's descriptor */
	"	mov %eax, ts_rec+8\n"
	"	movzbl 0x25(%ebx), %eax\n"	/* and of B's */
	"	mov %eax, ts_rec+12\n"
	"	mov $0xb0b0b0b0, %eax\n"
	"	iret\n"
	"	hlt\n"

    /* INT 0x80 through a task gate to task C, which IRETs back. */
	"g_int_main:\n"
	"	mov $0xabcdef01, %esi\n"
	"	int $0x80\n"
	"	mov %esi, ts_rec+16\n"
	"	movl $0x600d, ts_rec+20\n"
	"	hlt\n"
	"g_task_c:\n"
	"	pushf\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+0\n"
	"	mov ts_area, %ebx\n"
	"	movzwl 0x2200(%ebx), %eax\n"
	"	mov %eax, ts_rec+4\n"
	"	mov %esp, ts_rec+8\n"
	"	mov $0, %esi\n"
	"	iret\n"
	"	hlt\n"

    /* An external interrupt (injected) through a task gate to task C. */
	"g_irq_main:\n"
	"	mov $0x5a5a5a5a, %esi\n"
	"	sti\n"
	"	nop\n"
	"	mov %esi, ts_rec+16\n"
	"	movl $0x600d, ts_rec+20\n"
	"	hlt\n"

    /* #GP(0xf8) through a task gate to task D, error code on its stack. */
	"g_exc_main:\n"
	"	mov $0xf8, %eax\n"
	"g_exc_fault:\n"
	"	mov %ax, %ds\n"
	"	hlt\n"
	"g_task_d:\n"
	"	mov %esp, ts_rec+0\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+4\n"
	"	pushf\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+8\n"
	"	mov ts_area, %ebx\n"
	"	movzwl 0x2300(%ebx), %eax\n"
	"	mov %eax, ts_rec+12\n"
	"	mov 0x2020(%ebx), %eax\n"	/* A's saved EIP */
	"	mov %eax, ts_rec+16\n"
	"	hlt\n"

    /* CALL a 16-bit TSS; its code (copied below 64 KiB) IRETs back. */
	"g_t16_main:\n"
	"	mov $0x12345678, %eax\n"
	"	lcall $0x38, $0\n"
	"	mov %eax, ts_rec+16\n"
	"	pushf\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+20\n"
	"	hlt\n"
	"g_t16_code:\n"
	"	mov %eax, ts_rec+0\n"
	"	pushf\n"
	"	pop %eax\n"
	"	mov %eax, ts_rec+4\n"
	"	mov %esp, ts_rec+8\n"
	"	mov %ebx, ts_rec+12\n"
	"	mov $0x4321, %eax\n"
	"g_t16_iret:\n"
	"	iret\n"
	"	hlt\n"
	"g_t16_end:\n"

    /* Bad targets: each fault's handler records it and resumes. */
	"g_neg_main:\n"
	"	movl $1f, ts_resume\n"
	"	ljmp $0x40, $0\n"		/* not present: #NP(0x40) */
	"1:	movl $2f, ts_resume\n"
	"	lcall $0x18, $0\n"		/* busy (the current task): #GP(0x18) */
	"2:	movl $3f, ts_resume\n"
	"	ljmp $0x48, $0\n"		/* limit 0x50: #TS(0x48) */
	"3:	str %ax\n"
	"	movzwl %ax, %eax\n"
	"	mov %eax, ts_rec+60\n"
	"	hlt\n"
	"g_fault_resume:\n"
	"	str %ax\n"
	"	movzwl %ax, %eax\n"
	"	mov %eax, ts_rec+60\n"
	"	hlt\n"
	"g_handler_np:\n"
	"	push $11\n"
	"	jmp 4f\n"
	"g_handler_gp:\n"
	"	push $13\n"
	"	jmp 4f\n"
	"g_handler_ts:\n"
	"	push $10\n"
	"	jmp 4f\n"
	"g_handler_ss:\n"
	"	push $12\n"
	"4:	push %eax\n"		/* vector, error, EIP, CS, EFLAGS above */
	"	push %ebx\n"
	"	mov ts_nrec, %ebx\n"
	"	mov 8(%esp), %eax\n"
	"	mov %eax, ts_rec(,%ebx,8)\n"
	"	mov 12(%esp), %eax\n"
	"	mov %eax, ts_rec+4(,%ebx,8)\n"
	"	incl ts_nrec\n"
	"	mov ts_resume, %eax\n"
	"	mov %eax, 16(%esp)\n"
	"	movl $0x08, 20(%esp)\n"	/* CS may be the bad one */
	"	pop %ebx\n"
	"	pop %eax\n"
	"	add $8, %esp\n"
	"	iret\n"

    /* The T flag's #DB, taken in task B before its first instruction. */
	"g_handler_db:\n"
	"	push %eax\n"
	"	mov %dr6, %eax\n"
	"	mov %eax, ts_rec+52\n"
	"	mov 4(%esp), %eax\n"
	"	mov %eax, ts_rec+56\n"
	"	pop %eax\n"
	"	iret\n"

    /* PAE paging: tasks A and B map linear 1 GiB to different pages. */
	"g_pae_main:\n"
	"	mov 0x40000000, %eax\n"
	"	mov %eax, ts_rec+0\n"
	"	ljmp $0x20, $0\n"
	"	hlt\n"
	"g_task_b_pae:\n"
	"	mov 0x40000000, %eax\n"
	"	mov %eax, ts_rec+4\n"
	"	mov %cr3, %eax\n"
	"	mov %eax, ts_rec+8\n"
	"	hlt\n"

	".code64\n"
	".popsection\n");

/* A guest label's address, below 4 GiB (a static, non-PIE binary). */
static uint32_t addr32(void (*label)(void))
{
	return (uint32_t)(uintptr_t)label;
}

struct ts_vm {
	struct vm *vm;
	struct vcpu *vcpu;
	uint32_t area;		/* GPA (= linear address) */
	uint8_t *hva;
	uint32_t *rec;		/* the guest's ts_rec */
};

static void set_desc(struct ts_vm *t, uint16_t sel, uint32_t base,
		     uint32_t limit, uint8_t access, uint8_t flags)
{
	uint8_t *d = t->hva + OFF_GDT + (sel & ~7);

	d[0] = limit;
	d[1] = limit >> 8;
	d[2] = base;
	d[3] = base >> 8;
	d[4] = base >> 16;
	d[5] = access;
	d[6] = ((limit >> 16) & 0xf) | (flags << 4);
	d[7] = base >> 24;
}

static uint8_t desc_access(struct ts_vm *t, uint16_t sel)
{
	return t->hva[OFF_GDT + (sel & ~7) + 5];
}

/* @type 0x85: task gate (selector only); 0x8e: 32-bit interrupt gate. */
static void set_gate(struct ts_vm *t, uint8_t vector, uint16_t sel,
		     uint32_t off, uint8_t type)
{
	uint8_t *g = t->hva + OFF_IDT + vector * 8;

	g[0] = off;
	g[1] = off >> 8;
	g[2] = sel;
	g[3] = sel >> 8;
	g[4] = 0;
	g[5] = type;
	g[6] = off >> 16;
	g[7] = off >> 24;
}

static uint32_t *tss32(struct ts_vm *t, unsigned int n)
{
	return (uint32_t *)(t->hva + OFF_TSS(n));
}

/* A 32-bit TSS: flat segments, EAX..EDI = 0xt0000001.., the given rest. */
static void tss32_init(struct ts_vm *t, unsigned int n, void (*eip)(void),
		       uint32_t eflags, uint32_t cr3)
{
	uint32_t *w = tss32(t, n);
	unsigned int i;

	memset(w, 0, 0x68);
	w[0x1c / 4] = cr3;
	w[0x20 / 4] = addr32(eip);
	w[0x24 / 4] = eflags;
	for (i = 0; i < 8; i++)
		w[0x28 / 4 + i] = (0xa0 + n) << 24 | (i + 1);
	w[0x38 / 4] = t->area + OFF_STACK(n);	/* ESP */
	for (i = 0; i < 6; i++)
		w[0x48 / 4 + i] = i == 1 ? SEL_CODE : SEL_DATA;
	w[0x64 / 4] = 0x68 << 16;		/* no I/O bitmap */
}

/*
 * A VM whose vCPU runs @entry as task A in 32-bit protected mode, with the
 * GDT above, task gates for INT 0x80 (task C) and interrupt gates for #DB,
 * #TS, #NP, #SS and #GP.
 */
static void ts_setup(struct ts_vm *t, void (*entry)(void))
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	unsigned int i;

	t->vm = vm_create(1, 0, g_jmp_main);
	t->vcpu = t->vm->vcpus[0];
	t->area = vm_alloc(t->vm, AREA_SIZE);
	t->hva = addr_gpa2hva(t->vm, t->area);
	t->rec = addr_gva2hva(t->vm, ts_rec);
	TEST_ASSERT(t->area + AREA_SIZE < (1U << 30), "area at %#x", t->area);
	memset(t->hva, 0, AREA_SIZE);
	guest_global(t->vm, ts_area) = t->area;

	set_desc(t, SEL_CODE, 0, 0xfffff, 0x9b, 0xc);
	set_desc(t, SEL_DATA, 0, 0xfffff, 0x93, 0xc);
	set_desc(t, SEL_TSS_A, t->area + OFF_TSS(0), 0x67, 0x8b, 0);
	set_desc(t, SEL_TSS_B, t->area + OFF_TSS(1), 0x67, 0x89, 0);
	set_desc(t, SEL_TSS_C, t->area + OFF_TSS(2), 0x67, 0x89, 0);
	set_desc(t, SEL_TSS_D, t->area + OFF_TSS(3), 0x67, 0x89, 0);
	set_desc(t, SEL_TSS_E, t->area + OFF_TSS(4), 0x2b, 0x81, 0);
	set_desc(t, SEL_TSS_NP, t->area + OFF_TSS(5), 0x67, 0x09, 0);
	set_desc(t, SEL_TSS_SHORT, t->area + OFF_TSS(6), 0x50, 0x89, 0);
	set_desc(t, SEL_CODE_NP, 0, 0xfffff, 0x1b, 0xc);
	tss32_init(t, 0, NULL, 0x2, 0);
	tss32_init(t, 1, g_task_b, 0x2, 0);
	tss32_init(t, 2, g_task_c, 0x2, 0);
	tss32_init(t, 3, g_task_d, 0x2, 0);
	tss32_init(t, 5, g_task_b, 0x2, 0);
	tss32_init(t, 6, g_task_b, 0x2, 0);

	set_gate(t, 0x80, SEL_TSS_C, 0, 0x85);
	set_gate(t, DB_VECTOR, SEL_CODE, addr32(g_handler_db), 0x8e);
	set_gate(t, 10, SEL_CODE, addr32(g_handler_ts), 0x8e);
	set_gate(t, 11, SEL_CODE, addr32(g_handler_np), 0x8e);
	set_gate(t, 12, SEL_CODE, addr32(g_handler_ss), 0x8e);
	set_gate(t, GP_VECTOR, SEL_CODE, addr32(g_handler_gp), 0x8e);

	vcpu_state_get(t->vcpu, s, VESSEL_STATE_ALL);
	for (i = VESSEL_SEG_ES; i <= VESSEL_SEG_GS; i++)
		s->segs.seg[i] = (struct vessel_segment) {
			.selector = SEL_DATA, .limit = 0xffffffff, .attrib = 0xc093 };
	s->segs.seg[VESSEL_SEG_CS].selector = SEL_CODE;
	s->segs.seg[VESSEL_SEG_CS].attrib = 0xc09b;
	s->segs.seg[VESSEL_SEG_TR] = (struct vessel_segment) {
		.selector = SEL_TSS_A, .base = t->area + OFF_TSS(0),
		.limit = 0x67, .attrib = 0x8b };
	s->segs.seg[VESSEL_SEG_LDTR] = (struct vessel_segment) { .attrib = 0x82 };
	s->segs.gdt.base = t->area + OFF_GDT;
	s->segs.gdt.limit = GDT_LIMIT;
	s->segs.idt.base = t->area + OFF_IDT;
	s->segs.idt.limit = 0x7ff;
	s->crs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->crs.cr4 = 0;
	s->crs.efer = 0;
	s->gprs.rip = addr32(entry);
	s->gprs.regs[VESSEL_GPR_RSP] = t->area + OFF_STACK(0);
	s->gprs.rflags = X86_RFLAGS_FIXED;
	vcpu_state_set(t->vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS |
			  VESSEL_STATE_CRS);
	free(s);
}

/* VMX exit reason 9: the task switches vessel.ko emulated. */
#define EXIT_REASON_TASK_SWITCH	9

static uint64_t ts_switches(struct ts_vm *t)
{
	struct vessel_counters c = { 0 };

	vcpu_ioctl(t->vcpu, VESSEL_GET_COUNTERS, &c);
	return c.vmx_exits[EXIT_REASON_TASK_SWITCH];
}

/*
 * Run to the guest's HLT, which must come after @switches task-switch
 * exits (-1: any number); on another exit say where it stopped.
 */
static void ts_run(struct __test_metadata *_metadata, struct ts_vm *t,
		   int switches)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));

	vcpu_run(t->vcpu);
	if (t->vcpu->run->exit_reason != VESSEL_EXIT_HLT) {
		vcpu_state_get(t->vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS);
		TH_LOG("exit %u at %#llx, TR %#x", t->vcpu->run->exit_reason,
		       (unsigned long long)s->gprs.rip,
		       s->segs.seg[VESSEL_SEG_TR].selector);
	}
	free(s);
	ASSERT_EQ(VESSEL_EXIT_HLT, t->vcpu->run->exit_reason);
	if (switches >= 0)
		ASSERT_EQ(switches, ts_switches(t)) TH_LOG("task-switch exits");
}

static void ts_get(struct ts_vm *t, struct vessel_vcpu_state *s)
{
	vcpu_state_get(t->vcpu, s, VESSEL_STATE_ALL);
}

/* Where g_task_b records each register, in VESSEL_GPR_* order. */
static const unsigned int rec_of_gpr[8] = { 0, 2, 3, 1, 7, 6, 4, 5 };

TEST(jmp)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct ts_vm t;
	uint32_t *a, *b;
	unsigned int i;

	ts_setup(&t, g_jmp_main);
	a = tss32(&t, 0);
	b = tss32(&t, 1);
	b[0x64 / 4] |= 1;	/* T: #DB on entering B */
	/* L0 and G1 armed: the switch clears only the local enables. */
	ts_get(&t, s);
	s->drs.dr7 = 0x400 | 0x1 | 0x8;
	s->drs.dr[0] = s->drs.dr[1] = 0x1000;
	vcpu_state_set(t.vcpu, s, VESSEL_STATE_DRS);

	ts_run(_metadata, &t, 1);
	/* B starts with its TSS's registers (the #DB handler keeps them). */
	for (i = 0; i < 8; i++) {
		if (i == VESSEL_GPR_RSP)
			continue;
		EXPECT_EQ(b[0x28 / 4 + i], t.rec[rec_of_gpr[i]])
			TH_LOG("register %u", i);
	}
	EXPECT_EQ(t.area + OFF_STACK(1), t.rec[7]);
	EXPECT_EQ(0, t.rec[8] & EFLAGS_NT);	/* JMP does not nest */
	EXPECT_EQ(SEL_TSS_B, t.rec[9]);
	EXPECT_EQ(X86_CR0_TS, t.rec[10] & X86_CR0_TS);
	EXPECT_EQ(1, t.rec[12]);
	/* The T flag: #DB with DR6.BT, before B's first instruction. */
	EXPECT_EQ(0x8000, t.rec[13] & 0x8000);
	EXPECT_EQ(addr32(g_task_b), t.rec[14]);

	/* A's state was saved in A's TSS: EIP after the JMP. */
	EXPECT_EQ(addr32(g_jmp_after), a[0x20 / 4]);
	EXPECT_EQ(0x11111111, a[0x28 / 4]);
	EXPECT_EQ(0x33333333, a[0x2c / 4]);
	EXPECT_EQ(0x44444444, a[0x30 / 4]);
	EXPECT_EQ(0x22222222, a[0x34 / 4]);
	EXPECT_EQ(t.area + OFF_STACK(0), a[0x38 / 4]);
	EXPECT_EQ(0x77777777, a[0x3c / 4]);
	EXPECT_EQ(0x55555555, a[0x40 / 4]);
	EXPECT_EQ(0x66666666, a[0x44 / 4]);
	EXPECT_EQ(SEL_DATA, a[0x48 / 4]);
	EXPECT_EQ(SEL_CODE, a[0x4c / 4]);
	EXPECT_EQ(SEL_DATA, a[0x5c / 4]);
	EXPECT_EQ(0, a[0x24 / 4] & EFLAGS_NT);
	/* JMP: the old task is no longer busy, the new one is; no link. */
	EXPECT_EQ(0x89, desc_access(&t, SEL_TSS_A));
	EXPECT_EQ(0x8b, desc_access(&t, SEL_TSS_B));
	EXPECT_EQ(0, b[0] & 0xffff);

	ts_get(&t, s);
	EXPECT_EQ(SEL_TSS_B, s->segs.seg[VESSEL_SEG_TR].selector);
	EXPECT_EQ(t.area + OFF_TSS(1), s->segs.seg[VESSEL_SEG_TR].base);
	EXPECT_EQ(0x8b, s->segs.seg[VESSEL_SEG_TR].attrib & 0xff);
	EXPECT_EQ(0x400 | 0x8, s->drs.dr7);
	/* Segments were loaded from the GDT, accessed bit set. */
	EXPECT_EQ(0xc09b, s->segs.seg[VESSEL_SEG_CS].attrib);
	EXPECT_EQ(0xc093, s->segs.seg[VESSEL_SEG_SS].attrib);
	EXPECT_EQ(0xffffffff, s->segs.seg[VESSEL_SEG_DS].limit);
	vm_free(t.vm);
	free(s);
}

TEST(call_and_iret)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct ts_vm t;
	uint32_t *b;

	ts_setup(&t, g_call_main);
	b = tss32(&t, 1);
	b[0x20 / 4] = addr32(g_task_b_call);
	ts_run(_metadata, &t, 2);

	/* In B: NT set, the link names A, both descriptors busy. */
	EXPECT_EQ(EFLAGS_NT, t.rec[0] & EFLAGS_NT);
	EXPECT_EQ(SEL_TSS_A, t.rec[1]);
	EXPECT_EQ(0x8b, t.rec[2]);
	EXPECT_EQ(0x8b, t.rec[3]);
	/* Back in A: its registers as they were, not nested, TR is A. */
	EXPECT_EQ(0x12345678, t.rec[4]);
	EXPECT_EQ(0, t.rec[5] & EFLAGS_NT);
	EXPECT_EQ(SEL_TSS_A, t.rec[6]);
	/* IRET: B not busy any more, its saved EFLAGS not nested. */
	EXPECT_EQ(0x8b, desc_access(&t, SEL_TSS_A));
	EXPECT_EQ(0x89, desc_access(&t, SEL_TSS_B));
	EXPECT_EQ(0, b[0x24 / 4] & EFLAGS_NT);
	EXPECT_EQ(0xb0b0b0b0, b[0x28 / 4]);
	EXPECT_EQ(SEL_TSS_A, b[0] & 0xffff);
	ts_get(&t, s);
	EXPECT_EQ(SEL_TSS_A, s->segs.seg[VESSEL_SEG_TR].selector);
	vm_free(t.vm);
	free(s);
}

TEST(int_task_gate)
{
	struct ts_vm t;
	uint32_t *c;

	ts_setup(&t, g_int_main);
	c = tss32(&t, 2);
	ts_run(_metadata, &t, 2);

	EXPECT_EQ(EFLAGS_NT, t.rec[0] & EFLAGS_NT);
	EXPECT_EQ(SEL_TSS_A, t.rec[1]);
	/* No error code: C's stack is untouched. */
	EXPECT_EQ(t.area + OFF_STACK(2), t.rec[2]);
	/* A resumed after INT 0x80 with its own ESI. */
	EXPECT_EQ(0xabcdef01, t.rec[4]);
	EXPECT_EQ(0x600d, t.rec[5]);
	EXPECT_EQ(0x89, desc_access(&t, SEL_TSS_C));
	EXPECT_EQ(0, c[0x40 / 4]);	/* C's saved ESI */
	vm_free(t.vm);
}

/* Not a software interrupt: the old task resumes where it was stopped. */
TEST(irq_task_gate)
{
	struct ts_vm t;

	ts_setup(&t, g_irq_main);
	set_gate(&t, 0x81, SEL_TSS_C, 0, 0x85);
	vcpu_inject(t.vcpu, VESSEL_EVENT_IRQ, 0x81, 0, 0, 0);
	ts_run(_metadata, &t, 2);

	EXPECT_EQ(EFLAGS_NT, t.rec[0] & EFLAGS_NT);
	EXPECT_EQ(SEL_TSS_A, t.rec[1]);
	EXPECT_EQ(t.area + OFF_STACK(2), t.rec[2]);	/* no error code */
	EXPECT_EQ(0x5a5a5a5a, t.rec[4]);
	EXPECT_EQ(0x600d, t.rec[5]);
	EXPECT_EQ(0x89, desc_access(&t, SEL_TSS_C));
	vm_free(t.vm);
}

TEST(exception_task_gate)
{
	struct ts_vm t;

	ts_setup(&t, g_exc_main);
	set_gate(&t, GP_VECTOR, SEL_TSS_D, 0, 0x85);
	ts_run(_metadata, &t, 1);

	/* #GP(0xf8)'s error code is the one dword on D's new stack. */
	EXPECT_EQ(t.area + OFF_STACK(3) - 4, t.rec[0]);
	EXPECT_EQ(0xf8, t.rec[1]);
	EXPECT_EQ(EFLAGS_NT, t.rec[2] & EFLAGS_NT);
	EXPECT_EQ(SEL_TSS_A, t.rec[3]);
	/* A fault: the old task resumes at the faulting instruction. */
	EXPECT_EQ(addr32(g_exc_fault), t.rec[4]);
	EXPECT_EQ(0x8b, desc_access(&t, SEL_TSS_A));
	EXPECT_EQ(0x8b, desc_access(&t, SEL_TSS_D));
	vm_free(t.vm);
}

TEST(tss_16bit)
{
	struct ts_vm t;
	uint16_t *e;
	uint32_t *a;

	ts_setup(&t, g_t16_main);
	memcpy(addr_gpa2hva(t.vm, T16_CODE_GPA), (void *)g_t16_code,
	       (char *)g_t16_end - (char *)g_t16_code);
	e = (uint16_t *)(t.hva + OFF_TSS(4));
	memset(e, 0, 0x2c);
	e[0x0e / 2] = T16_CODE_GPA;		/* IP */
	e[0x10 / 2] = 0x0002;			/* FLAGS */
	e[0x12 / 2] = 0x1234;			/* AX */
	e[0x18 / 2] = 0xbbbb;			/* BX */
	e[0x1a / 2] = T16_STACK;		/* SP */
	e[0x22 / 2] = SEL_DATA;			/* ES */
	e[0x24 / 2] = SEL_CODE;			/* CS */
	e[0x26 / 2] = SEL_DATA;			/* SS */
	e[0x28 / 2] = SEL_DATA;			/* DS */
	ts_run(_metadata, &t, 2);

	/* In E: 16-bit registers, nested. */
	EXPECT_EQ(0x1234, t.rec[0] & 0xffff);
	EXPECT_EQ(EFLAGS_NT, t.rec[1] & EFLAGS_NT);
	EXPECT_EQ(T16_STACK, t.rec[2] & 0xffff);
	EXPECT_EQ(0xbbbb, t.rec[3] & 0xffff);
	/* Back in A, which CALLed E. */
	EXPECT_EQ(0x12345678, t.rec[4]);
	EXPECT_EQ(0, t.rec[5] & EFLAGS_NT);
	/* E's TSS holds its state as IRET left it: IP after IRET, AX. */
	EXPECT_EQ(SEL_TSS_A, e[0]);
	EXPECT_EQ(T16_CODE_GPA + ((char *)g_t16_iret - (char *)g_t16_code) + 1, e[0x0e / 2]);
	EXPECT_EQ(0x4321, e[0x12 / 2]);
	EXPECT_EQ(0, e[0x10 / 2] & EFLAGS_NT);
	EXPECT_EQ(SEL_CODE, e[0x24 / 2]);
	EXPECT_EQ(0x81, desc_access(&t, SEL_TSS_E));
	a = tss32(&t, 0);
	EXPECT_EQ(0x12345678, a[0x28 / 4]);
	vm_free(t.vm);
}

TEST(bad_tss_faults)
{
	struct ts_vm t;

	ts_setup(&t, g_neg_main);
	ts_run(_metadata, &t, -1);

	ASSERT_EQ(3, guest_global(t.vm, ts_nrec));
	EXPECT_EQ(11, t.rec[0]);		/* not present: #NP(sel) */
	EXPECT_EQ(SEL_TSS_NP, t.rec[1]);
	EXPECT_EQ(13, t.rec[2]);		/* busy: #GP(sel) */
	EXPECT_EQ(SEL_TSS_A, t.rec[3]);
	EXPECT_EQ(10, t.rec[4]);		/* limit < 0x67: #TS(sel) */
	EXPECT_EQ(SEL_TSS_SHORT, t.rec[5]);
	/* Nothing switched. */
	EXPECT_EQ(SEL_TSS_A, t.rec[15]);
	EXPECT_EQ(0x8b, desc_access(&t, SEL_TSS_A));
	EXPECT_EQ(0x09, desc_access(&t, SEL_TSS_NP));
	EXPECT_EQ(0x89, desc_access(&t, SEL_TSS_SHORT));
	vm_free(t.vm);
}

/*
 * Faults after the commit point: the switch to B completes (TR is B) and
 * the exception is delivered in B, before its first instruction.  The
 * processor checked only the TSS descriptor before exiting: these checks
 * are vessel.ko's.
 */
TEST(fault_in_new_task)
{
	static const struct {
		unsigned int field;	/* byte offset in the TSS */
		uint16_t sel;
		uint32_t vector;
	} cases[] = {
		{ 0x50, SEL_CODE, 10 },		/* SS not writable data: #TS */
		{ 0x60, SEL_DATA, 10 },		/* LDT not an LDT: #TS */
		{ 0x4c, SEL_CODE_NP, 11 },	/* CS not present: #NP */
		{ 0x48, SEL_CODE_NP, 11 },	/* ES not present: #NP */
		{ 0x50, SEL_DATA | 3, 10 },	/* SS RPL 3 at CPL 0: #TS */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ts_vm t;
		uint16_t *b;

		ts_setup(&t, g_jmp_main);
		b = (uint16_t *)tss32(&t, 1);
		b[cases[i].field / 2] = cases[i].sel;
		guest_global(t.vm, ts_resume) = addr32(g_fault_resume);
		ts_run(_metadata, &t, 1);
		ASSERT_EQ(1, guest_global(t.vm, ts_nrec)) TH_LOG("case %u", i);
		EXPECT_EQ(cases[i].vector, t.rec[0]) TH_LOG("case %u", i);
		EXPECT_EQ(cases[i].sel & 0xfffc, t.rec[1]) TH_LOG("case %u", i);
		EXPECT_EQ(SEL_TSS_B, t.rec[15]) TH_LOG("case %u", i);
		EXPECT_EQ(0x89, desc_access(&t, SEL_TSS_A));
		EXPECT_EQ(0x8b, desc_access(&t, SEL_TSS_B));
		vm_free(t.vm);
	}
}

/*
 * PAE paging: linear 1 GiB maps GPA 0x200000 in task A and GPA 0 in task
 * B.  B sees its own page only if the switch loaded CR3 and, with EPT, the
 * VMCS PDPTEs (and flushed A's translation).
 */
TEST(pae_cr3)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct ts_vm t;
	uint64_t *pdpt_a, *pdpt_b, *pd0, *pd_a1, *pd_b1;
	unsigned int i;

	ts_setup(&t, g_pae_main);
	pdpt_a = (uint64_t *)(t.hva + OFF_PDPT_A);
	pdpt_b = (uint64_t *)(t.hva + OFF_PDPT_B);
	pd0 = (uint64_t *)(t.hva + OFF_PD0);
	pd_a1 = (uint64_t *)(t.hva + OFF_PD_A1);
	pd_b1 = (uint64_t *)(t.hva + OFF_PD_B1);
	for (i = 0; i < 512; i++)
		pd0[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB, P, RW */
	pd_a1[0] = 0x200000 | 0x83;
	pd_b1[0] = 0x000000 | 0x83;
	pdpt_a[0] = pdpt_b[0] = (t.area + OFF_PD0) | 1;
	pdpt_a[1] = (t.area + OFF_PD_A1) | 1;
	pdpt_b[1] = (t.area + OFF_PD_B1) | 1;
	*(uint32_t *)addr_gpa2hva(t.vm, 0x200000) = 0xaaaa0001;
	*(uint32_t *)addr_gpa2hva(t.vm, 0) = 0xbbbb0002;
	tss32_init(&t, 1, g_task_b_pae, 0x2, t.area + OFF_PDPT_B);

	ts_get(&t, s);
	s->crs.cr3 = t.area + OFF_PDPT_A;
	s->crs.cr4 = X86_CR4_PAE;
	s->crs.cr0 |= X86_CR0_PG_;
	vcpu_state_set(t.vcpu, s, VESSEL_STATE_CRS);
	ts_run(_metadata, &t, 1);

	EXPECT_EQ(0xaaaa0001, t.rec[0]);
	EXPECT_EQ(0xbbbb0002, t.rec[1]);
	EXPECT_EQ(t.area + OFF_PDPT_B, t.rec[2]);
	ts_get(&t, s);
	EXPECT_EQ(t.area + OFF_PDPT_B, s->crs.cr3);
	vm_free(t.vm);
	free(s);
}

TEST_HARNESS_MAIN
