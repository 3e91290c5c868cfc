// SPDX-License-Identifier: GPL-2.0
/*
 * pic_mb: a guest that takes COM1's interrupt through the 8259 PIC pair of
 * a VM with a local APIC, end to end: the UART raises IRQ 4, the userspace
 * PIC sends it as an ExtINT message (VESSEL_SIGNAL_MSI), and the boot
 * processor's local APIC, left in virtual-wire mode by `vessel run` (LINT0
 * ExtINT), passes it to the CPU. The guest does not touch its local APIC:
 * it programs both PICs (master vectors 0x20-0x27, slave 0x28-0x2f),
 * unmasks IRQ 4 only and makes the UART raise its THR-empty interrupt. The
 * handler checks that the APIC has no ISR bit for the vector (ExtINT
 * bypasses IRR and ISR), acknowledges the UART and sends the PIC a
 * non-specific EOI. On success it prints
 *   "IRQ 4 through the PIC: vector 0x24\n"
 * and exits with 42 (status 85). No interrupt within about 10^7 loop
 * iterations exits with 0x14 (status 41); any other vector, or an APIC ISR
 * bit set, with 0x15 (status 43).
 */
#include "apic.h"
#include "pic.h"
#include "uart.h"

#define EXIT_NO_IRQ		0x14
#define PIC1_BASE		0x20
#define PIC2_BASE		0x28
#define UART_VECTOR		(PIC1_BASE + UART_IRQ)
#define WAIT_LOOPS		10000000

const char *const guest_name = "pic_mb";

static uint32_t got_irq;

static void uart_handler(void)
{
	if (lapic_in_service(UART_VECTOR))
		fail(EXIT_UNEXPECTED, "the local APIC has vector %x in service: not ExtINT",
		     UART_VECTOR);
	uart_irq_quiet();
	pic_eoi();
	got_irq++;
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	set_irq_handler(UART_VECTOR, uart_handler);
	pic_init(PIC1_BASE, PIC2_BASE, (uint8_t)~(1 << UART_IRQ), 0xff);
	uart_irq_enable(UART_IER_THRI);

	if (!sti_wait(&got_irq, 1, WAIT_LOOPS))
		fail(EXIT_NO_IRQ, "no interrupt from the UART");
	printf("IRQ 4 through the PIC: vector 0x24\n");
	return EXIT_OK;
}
