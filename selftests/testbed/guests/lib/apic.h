/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC (xAPIC, by MMIO at lapic_base) and the I/O APIC (through
 * its select and window registers at 0xfec00000), SDM Vol. 3A ch. 11 and
 * the 82093AA data sheet. Registers are read and written with MOV only.
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include "guest.h"

#define LAPIC_DEFAULT_BASE	0xfee00000
#define APIC_ID			0x20
#define APIC_EOI		0xb0
#define APIC_SVR		0xf0
#define APIC_ISR		0x100	/* eight registers, 32 vectors each */
#define APIC_ICR_LO		0x300
#define APIC_ICR_HI		0x310
#define APIC_LVT_TIMER		0x320
#define APIC_TMICT		0x380
#define APIC_TMCCT		0x390
#define APIC_TDCR		0x3e0

#define APIC_SVR_ENABLE		0x100
#define APIC_SPURIOUS_VECTOR	0xff
#define APIC_LVT_MASKED		0x10000
#define APIC_LVT_PERIODIC	0x20000
#define APIC_TDCR_DIV1		0xb
#define APIC_ICR_BUSY		0x1000
#define APIC_ICR_INIT_ASSERT	0xc500	/* level, assert, INIT */
#define APIC_ICR_INIT_DEASSERT	0x8500	/* level, de-assert, INIT */
#define APIC_ICR_STARTUP	0x0600

#define IOAPIC_BASE		0xfec00000
#define IOAPIC_REG_VER		1
#define IOAPIC_REDTBL_LO(pin)	(0x10 + 2 * (pin))
#define IOAPIC_REDTBL_HI(pin)	(0x11 + 2 * (pin))
#define IOAPIC_RTE_REMOTE_IRR	0x4000
#define IOAPIC_RTE_LEVEL	0x8000

/* Where the local APIC is: the default, unless the MADT says otherwise. */
extern uint32_t lapic_base;

static inline uint32_t lapic_read(uint32_t reg)
{
	return readl(lapic_base + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t v)
{
	writel(v, lapic_base + reg);
}

static inline void lapic_eoi(void)
{
	lapic_write(APIC_EOI, 0);
}

static inline uint32_t lapic_id(void)
{
	return lapic_read(APIC_ID) >> 24;
}

/* Whether @vector's bit is set in the in-service register. */
static inline bool lapic_in_service(uint8_t vector)
{
	return lapic_read(APIC_ISR + (vector / 32) * 0x10) &
	       (1U << (vector % 32));
}

void lapic_enable(void);
void lapic_send_ipi(uint32_t apic_id, uint32_t icr);
void lapic_udelay(uint32_t us);
void lapic_timer_periodic(uint8_t vector, uint32_t us);
void lapic_timer_stop(void);

uint32_t ioapic_read(uint32_t reg);
/* Route I/O APIC input @pin to APIC 0 with the low word @low. */
void ioapic_route(unsigned int pin, uint32_t low);

#endif /* GUEST_APIC_H */
