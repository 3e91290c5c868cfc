/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART as a pure state machine: no I/O, no threads, no timing.
 *
 * The VMM forwards guest port accesses at base+0..7 to uart_io(), queues
 * host input with uart_rx_push() and wires uart_irq_pending() to an
 * interrupt line. Transmission is instantaneous, so LSR always reports the
 * transmitter empty and a guest polling THRE never spins.
 *
 * Simplifications: no overrun (the caller holds input back while the
 * receive queue is full instead of losing it), no character timeout, no
 * modem-status deltas, and the same 16-byte receive queue serves both FIFO
 * and non-FIFO (16450) mode.
 */
#ifndef VESSEL_UART16550_H
#define VESSEL_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#define UART_NR_PORTS		8
#define UART_RX_FIFO_SIZE	16

/* Register offsets from the base port. */
#define UART_RBR		0	/* read, DLAB=0: receive buffer */
#define UART_THR		0	/* write, DLAB=0: transmit holding */
#define UART_DLL		0	/* DLAB=1: divisor latch low */
#define UART_IER		1	/* DLAB=0: interrupt enable */
#define UART_DLM		1	/* DLAB=1: divisor latch high */
#define UART_IIR		2	/* read: interrupt identification */
#define UART_FCR		2	/* write: FIFO control */
#define UART_LCR		3
#define UART_MCR		4
#define UART_LSR		5
#define UART_MSR		6
#define UART_SCR		7

#define UART_IER_RDI		0x01	/* received data available */
#define UART_IER_THRI		0x02	/* transmit holding register empty */
#define UART_IER_RLSI		0x04	/* receiver line status */
#define UART_IER_MSI		0x08	/* modem status */

#define UART_IIR_NO_INT		0x01
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_FIFO_ENABLED	0xc0

#define UART_FCR_ENABLE		0x01
#define UART_FCR_CLEAR_RX	0x02
#define UART_FCR_CLEAR_TX	0x04
#define UART_FCR_TRIGGER_MASK	0xc0

#define UART_LCR_DLAB		0x80

#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08
#define UART_MCR_LOOP		0x10

#define UART_LSR_DR		0x01	/* data ready */
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40

#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_RI		0x40
#define UART_MSR_DCD		0x80

/* Called once per byte the guest transmits. */
typedef void (*uart_tx_fn)(void *opaque, uint8_t byte);
/* The interrupt output, as it reaches the bus, changed to @level. */
typedef void (*uart_irq_fn)(void *opaque, bool level);
/* The guest made room in a receive FIFO that had none: input may go on. */
typedef void (*uart_room_fn)(void *opaque);

/* What the UART holds: its registers and receive FIFO. */
struct uart_state {
	uint8_t ier;
	uint8_t lcr;
	uint8_t mcr;
	uint8_t fcr;		/* enable and trigger bits; the rest self-clear */
	uint8_t scr;
	uint8_t dll;
	uint8_t dlm;
	bool thre_pending;	/* THR-empty interrupt not yet acknowledged */
	uint8_t rx[UART_RX_FIFO_SIZE];
	unsigned int rx_head;
	unsigned int rx_count;
};

struct uart {
	struct uart_state st;
	/* The wiring: set by uart_init() and uart_attach(), kept by load. */
	uart_tx_fn tx;
	void *opaque;
	uart_irq_fn irq;
	uart_room_fn room;
	void *bus_opaque;
	bool irq_level;		/* the output as last driven */
};

/* Wire the UART to @tx (NULL: output is discarded) and reset it. */
void uart_init(struct uart *u, uart_tx_fn tx, void *opaque);

/*
 * Put the UART on @bus at ports @base to @base + 7, as a PC's COM ports
 * are: accesses wider than a byte reach consecutive registers, and the
 * interrupt output reaches the bus only while MCR OUT2 is set, which is
 * why drivers set it. @irq (may be NULL) hears each change of that
 * output, @room (may be NULL) when the guest empties a full receive
 * FIFO; both get @opaque. Returns 0 or what io_register_port() returned.
 */
struct io_bus;
int uart_attach(struct uart *u, struct io_bus *bus, uint16_t base,
		uart_irq_fn irq, uart_room_fn room, void *opaque);

/* Drive the output anew after host input went into the FIFO. */
void uart_update_irq(struct uart *u);

/*
 * Power-on state: registers at their reset values, the FIFO empty, and
 * the interrupt output low (lowered through the callback if it was high).
 */
void uart_reset(struct uart *u);

/*
 * Save and load the state in the record format of state.h ("uart16550",
 * version 1; the fields in Documentation/userspace-devices.rst). A load
 * drives nothing: the interrupt controllers' state, loaded with the
 * machine's, already has the line at the level the UART's state gives.
 * One that fails returns -EINVAL with one line in @err and changes
 * nothing.
 */
struct hw_state_out;
int uart_save(const struct uart *u, struct hw_state_out *out);
int uart_load(struct uart *u, const void *buf, size_t len, char *err,
	      size_t errlen);

/* Reset, save and load for the machine's device table. */
extern const struct hw_device_ops uart_device_ops;

/* One guest access to register @offset (0..7; others read 0xff). */
void uart_io(struct uart *u, unsigned int offset, bool is_write, uint8_t *val);

/*
 * Queue a byte from the host side. Returns false, leaving the byte with the
 * caller to retry, if the queue is full or the guest has the UART in
 * loopback mode (its input disconnected).
 */
bool uart_rx_push(struct uart *u, uint8_t byte);

/* How many bytes uart_rx_push() would accept now. */
unsigned int uart_rx_space(const struct uart *u);

/* Level of the UART's interrupt output. */
bool uart_irq_pending(const struct uart *u);

#endif /* VESSEL_UART16550_H */
