/* SPDX-License-Identifier: GPL-2.0 */
/*
 * COM1, the 16550 that `vessel run` connects to its stdin and stdout.
 * Its interrupt is ISA IRQ 4: I/O APIC input 4, or the master PIC's IR4.
 */
#ifndef GUEST_UART_H
#define GUEST_UART_H

#include "guest.h"

#define COM1			0x3f8
#define UART_RBR		0
#define UART_THR		0
#define UART_IER		1
#define UART_IIR		2
#define UART_MCR		4
#define UART_LSR		5
#define UART_IER_RDI		0x01	/* received data available */
#define UART_IER_THRI		0x02	/* transmitter holding register empty */
#define UART_MCR_OUT2		0x08	/* gates the UART's IRQ line on a PC */
#define UART_LSR_DR		0x01
#define UART_LSR_THRE		0x20
#define UART_IRQ		4

/* Let COM1 drive its IRQ line (MCR OUT2) and raise it for @ier. */
static inline void uart_irq_enable(uint8_t ier)
{
	outb(UART_MCR_OUT2, COM1 + UART_MCR);
	outb(ier, COM1 + UART_IER);
}

/*
 * In a handler of THR empty: reading IIR acknowledges it and clearing IER
 * keeps it from coming again, so COM1 drops its line.
 */
static inline void uart_irq_quiet(void)
{
	inb(COM1 + UART_IIR);
	outb(0, COM1 + UART_IER);
}

/* The next received byte, or -1 if there is none. */
static inline int uart_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & UART_LSR_DR))
		return -1;
	return inb(COM1 + UART_RBR);
}

#endif /* GUEST_UART_H */
