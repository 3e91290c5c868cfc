// SPDX-License-Identifier: GPL-2.0
/*
 * echo_mb: a guest that sleeps until the VMM's stdin reaches it, for a VM
 * with a local APIC. It routes I/O APIC input 4 (COM1) to vector 0x24 on
 * APIC 0, edge, enables the UART's received-data interrupt and halts
 * ("sti; hlt") whenever it has nothing to do. Its handler drains the
 * receive buffer into a line; at '\n' (or 63 bytes) the guest prints
 *   "echo_mb: LINE\n"
 * and exits with 42 (status 85). The halted vCPU sleeps in the kernel, so
 * only the UART's interrupt, raised when the VMM feeds it input, can wake
 * it: nothing polls.
 */
#include "apic.h"
#include "uart.h"

#define UART_VECTOR		0x24
#define LINE_MAX		64

const char *const guest_name = "echo_mb";

static char line[LINE_MAX];	/* zeroed: the last byte stays NUL */
static uint32_t line_len;
static bool line_done;

/* Everything the UART has goes into the line; bytes after it are dropped. */
static void uart_handler(void)
{
	int c;

	while ((c = uart_getc()) >= 0) {
		if (line_done)
			continue;
		if (c != '\n')
			line[line_len++] = c;
		line_done = c == '\n' || line_len == LINE_MAX - 1;
	}
	lapic_eoi();
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	set_irq_handler(UART_VECTOR, uart_handler);
	lapic_enable();
	ioapic_route(UART_IRQ, UART_VECTOR);	/* fixed, edge, unmasked */
	uart_irq_enable(UART_IER_RDI);

	for (cli(); !READ_ONCE(line_done); cli())
		safe_halt();
	printf("echo_mb: %s\n", line);
	return EXIT_OK;
}
