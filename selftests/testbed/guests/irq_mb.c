// SPDX-License-Identifier: GPL-2.0
/*
 * irq_mb: a guest that takes COM1's interrupt through the I/O APIC of a
 * VM with a local APIC, end to end: it enables its local APIC, routes I/O
 * APIC input 4 (ISA IRQ 4) to vector 0x24 on APIC 0, edge, and makes the
 * UART raise its THR-empty interrupt. The handler acknowledges the UART
 * and the local APIC (EOI). On success it prints
 *   "IRQ 4 through the I/O APIC: vector 0x24\n"
 * and exits with 42 (status 85). No interrupt within about 10^7 loop
 * iterations exits with 0x14 (status 41); any other vector with 0x15
 * (status 43).
 */
#include "apic.h"
#include "uart.h"

#define EXIT_NO_IRQ		0x14
#define UART_VECTOR		0x24
#define WAIT_LOOPS		10000000

const char *const guest_name = "irq_mb";

static uint32_t got_irq;

static void uart_handler(void)
{
	uart_irq_quiet();
	lapic_eoi();
	got_irq++;
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	set_irq_handler(UART_VECTOR, uart_handler);
	lapic_enable();
	ioapic_route(UART_IRQ, UART_VECTOR);	/* fixed, edge, unmasked */
	uart_irq_enable(UART_IER_THRI);

	if (!sti_wait(&got_irq, 1, WAIT_LOOPS))
		fail(EXIT_NO_IRQ, "no interrupt from the UART");
	printf("IRQ 4 through the I/O APIC: vector 0x24\n");
	return EXIT_OK;
}
