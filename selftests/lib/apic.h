/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side local APIC access for the selftests (SDM Vol. 3A ch. 11):
 * xAPIC registers by MMIO, x2APIC registers by MSR, at the xAPIC offsets.
 */
#ifndef SELFTEST_APIC_H
#define SELFTEST_APIC_H

#include <stdint.h>

#include "processor.h"

#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define APICBASE_BSP		(1ULL << 8)
#define APICBASE_EXTD		(1ULL << 10)
#define APICBASE_EN		(1ULL << 11)
#define APIC_DEFAULT_GPA	0xfee00000ULL
#define X2APIC_MSR(off)		(0x800 + ((off) >> 4))

#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TASKPRI	0x80
#define APIC_PROCPRI	0xa0
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SPIV	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVT0	0x350
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0

#define APIC_SW_ENABLE		(1U << 8)
#define APIC_LVT_MASKED		(1U << 16)
#define APIC_TIMER_PERIODIC	(1U << 17)
#define APIC_TIMER_DEADLINE	(2U << 17)
#define APIC_DM_FIXED		0x000
#define APIC_DM_LOWEST		0x100
#define APIC_DM_NMI		0x400
#define APIC_DM_INIT		0x500
#define APIC_DM_STARTUP		0x600
#define APIC_DEST_LOGICAL	0x800
#define APIC_INT_ASSERT		0x4000
#define APIC_DEST_SELF		0x40000
#define APIC_DEST_ALLINC	0x80000
#define APIC_DEST_ALLBUT	0xc0000
#define APIC_VERSION_VESSEL	0x00050014

static inline uint32_t xapic_read(uint32_t off)
{
	return READ_ONCE(*(uint32_t *)(uintptr_t)(APIC_DEFAULT_GPA + off));
}

static inline void xapic_write(uint32_t off, uint32_t val)
{
	WRITE_ONCE(*(uint32_t *)(uintptr_t)(APIC_DEFAULT_GPA + off), val);
}

static inline uint64_t x2apic_read(uint32_t off)
{
	return rdmsr(X2APIC_MSR(off));
}

static inline void x2apic_write(uint32_t off, uint64_t val)
{
	wrmsr(X2APIC_MSR(off), val);
}

/* Whether @vec is set in the ISR, TMR or IRR at @base (xAPIC). */
static inline int xapic_vec_set(uint32_t base, uint8_t vec)
{
	return (xapic_read(base + (vec >> 5) * 0x10) >> (vec & 31)) & 1;
}

/* Sleep until *@flag is non-zero; STI;HLT has no window for a lost wake-up. */
static inline void wait_flag_hlt(uint64_t *flag)
{
	asm volatile("cli");
	while (!READ_ONCE(*flag))
		asm volatile("sti; hlt; cli" ::: "memory");
	asm volatile("sti");
}

#endif /* SELFTEST_APIC_H */
