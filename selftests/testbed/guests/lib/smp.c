// SPDX-License-Identifier: GPL-2.0
#include "apic.h"
#include "entry.h"
#include "smp.h"

#define TRAMPOLINE		0x8000	/* below 1 MiB, page aligned */
#define SIPI_VECTOR		(TRAMPOLINE >> 12)

/* The APs' stacks, by APIC ID: trampoline.S picks its own. */
uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __aligned(16);

void smp_init(void)
{
	memcpy((void *)TRAMPOLINE, trampoline, trampoline_end - trampoline);
}

void ap_start(uint32_t apic_id)
{
	lapic_send_ipi(apic_id, APIC_ICR_INIT_ASSERT);
	lapic_send_ipi(apic_id, APIC_ICR_INIT_DEASSERT);
	lapic_udelay(10000);
	lapic_send_ipi(apic_id, APIC_ICR_STARTUP | SIPI_VECTOR);
	lapic_udelay(200);
	lapic_send_ipi(apic_id, APIC_ICR_STARTUP | SIPI_VECTOR);
	lapic_udelay(200);
}

/* Called by the trampoline in protected mode, on the AP's stack. */
__noreturn void ap_entry(uint32_t apic_id)
{
	idt_load();
	ap_main(apic_id);
	for (;;) {
		cli();
		asm volatile("hlt");
	}
}
