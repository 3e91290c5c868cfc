// SPDX-License-Identifier: GPL-2.0
/*
 * irqlevel_mb: a guest that takes COM1's interrupt through the I/O APIC
 * level-triggered, as a PCI INTx line would be, to check the EOI path:
 * in-kernel local APIC EOI -> VESSEL_EXIT_EOI -> ioapic_eoi().
 *
 * The 16550's INTR output is a level: it stays high while an enabled
 * interrupt condition is pending (here THR empty, gated by MCR OUT2). The
 * guest routes I/O APIC input 4 to vector 0x24 on APIC 0, level-triggered,
 * active high, and lets the UART raise the line:
 *  - first interrupt: the handler sees Remote IRR set in the redirection
 *    entry and EOIs without quietening the UART, so the line stays high;
 *    the EOI clears Remote IRR and the I/O APIC must send it again;
 *  - second interrupt: Remote IRR set again; the handler acknowledges the
 *    UART (the line drops) and EOIs;
 *  - then no third interrupt, and Remote IRR reads clear.
 * On success it prints
 *   "level IRQ 4: 2 interrupts, Remote IRR set in the handler, clear after EOI\n"
 * and exits with 42 (status 85). Failures: no interrupt 0x14 (41), only
 * one (the EOI did not re-deliver) 0x16 (45), Remote IRR clear in the
 * handler 0x17 (47), Remote IRR still set at the end 0x18 (49), a third
 * interrupt 0x19 (51), another vector 0x15 (43).
 */
#include "apic.h"
#include "uart.h"

#define EXIT_NO_IRQ		0x14
#define EXIT_NO_REDELIVERY	0x16
#define EXIT_NO_REMOTE_IRR	0x17
#define EXIT_STUCK_REMOTE_IRR	0x18
#define EXIT_TOO_MANY		0x19

#define UART_VECTOR		0x24
#define WAIT_LOOPS		10000000
#define SETTLE_LOOPS		1000000

const char *const guest_name = "irqlevel_mb";

static uint32_t nr_irqs, remote_irr_missed;

static bool remote_irr(void)
{
	return ioapic_read(IOAPIC_REDTBL_LO(UART_IRQ)) & IOAPIC_RTE_REMOTE_IRR;
}

static void uart_handler(void)
{
	nr_irqs++;
	/* In service, a level entry has Remote IRR set until the EOI. */
	if (!remote_irr())
		remote_irr_missed++;
	/* The first time, leave the UART asserting its line. */
	if (nr_irqs > 1)
		uart_irq_quiet();
	lapic_eoi();
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	set_irq_handler(UART_VECTOR, uart_handler);
	lapic_enable();
	ioapic_route(UART_IRQ, IOAPIC_RTE_LEVEL | UART_VECTOR);	/* active high */
	uart_irq_enable(UART_IER_THRI);

	if (!sti_wait(&nr_irqs, 2, WAIT_LOOPS)) {
		if (!nr_irqs)
			fail(EXIT_NO_IRQ, "no interrupt from the UART");
		fail(EXIT_NO_REDELIVERY,
		     "one interrupt only: the EOI did not re-deliver the asserted line");
	}
	/* Two came: give a third, which must not come, time to arrive. */
	if (sti_wait(&nr_irqs, 3, SETTLE_LOOPS))
		fail(EXIT_TOO_MANY, "an interrupt after the line dropped");
	if (remote_irr_missed)
		fail(EXIT_NO_REMOTE_IRR, "Remote IRR clear in the handler");
	if (remote_irr())
		fail(EXIT_STUCK_REMOTE_IRR,
		     "Remote IRR still set after the last EOI");
	printf("level IRQ 4: 2 interrupts, Remote IRR set in the handler, clear after EOI\n");
	return EXIT_OK;
}
