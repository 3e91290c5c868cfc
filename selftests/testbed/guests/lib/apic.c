// SPDX-License-Identifier: GPL-2.0
/*
 * Local APIC and I/O APIC helpers. The APIC timer counts at 1 GHz in
 * Vessel (VESSEL_GET_LAPIC_INFO) with divide-by-1; a kernel would measure
 * it instead.
 */
#include "apic.h"

#define TIMER_NS_PER_US		1000

#define IOAPIC_REGSEL		IOAPIC_BASE
#define IOAPIC_WIN		(IOAPIC_BASE + 0x10)

uint32_t lapic_base = LAPIC_DEFAULT_BASE;

/* Software-enable it, with a spurious vector that needs no EOI. */
void lapic_enable(void)
{
	set_irq_handler(APIC_SPURIOUS_VECTOR, irq_ignore);
	lapic_write(APIC_SVR, APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR);
}

/* Send @icr to @apic_id and wait until the APIC has sent it. */
void lapic_send_ipi(uint32_t apic_id, uint32_t icr)
{
	lapic_write(APIC_ICR_HI, apic_id << 24);
	lapic_write(APIC_ICR_LO, icr);
	while (lapic_read(APIC_ICR_LO) & APIC_ICR_BUSY)
		cpu_relax();
}

/* Busy-wait @us microseconds on the timer, one-shot and masked. */
void lapic_udelay(uint32_t us)
{
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(APIC_TDCR, APIC_TDCR_DIV1);
	lapic_write(APIC_TMICT, us * TIMER_NS_PER_US);
	while (lapic_read(APIC_TMCCT))
		cpu_relax();
}

/* Interrupt on @vector every @us microseconds. */
void lapic_timer_periodic(uint8_t vector, uint32_t us)
{
	lapic_write(APIC_LVT_TIMER, APIC_LVT_PERIODIC | vector);
	lapic_write(APIC_TDCR, APIC_TDCR_DIV1);
	lapic_write(APIC_TMICT, us * TIMER_NS_PER_US);
}

void lapic_timer_stop(void)
{
	lapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	lapic_write(APIC_TMICT, 0);
}

uint32_t ioapic_read(uint32_t reg)
{
	writel(reg, IOAPIC_REGSEL);
	return readl(IOAPIC_WIN);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	writel(reg, IOAPIC_REGSEL);
	writel(v, IOAPIC_WIN);
}

/* The destination goes first, so that the entry is never live half-written. */
void ioapic_route(unsigned int pin, uint32_t low)
{
	ioapic_write(IOAPIC_REDTBL_HI(pin), 0);
	ioapic_write(IOAPIC_REDTBL_LO(pin), low);
}
