// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART model. Register behaviour follows the National Semiconductor
 * PC16550D datasheet; see uart16550.h for what is deliberately left out.
 */
#include <string.h>

#include "uart16550.h"

/* 115200 / 12 = 9600 baud: a sane divisor where the datasheet leaves it undefined. */
#define UART_RESET_DIVISOR	12

/* What a connected terminal drives: carrier, data set ready, clear to send. */
#define UART_MSR_CONNECTED	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

void uart_init(struct uart *u, uart_tx_fn tx, void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->tx = tx;
	u->opaque = opaque;
	u->dll = UART_RESET_DIVISOR;
}

static bool uart_dlab(const struct uart *u)
{
	return u->lcr & UART_LCR_DLAB;
}

static bool uart_loopback(const struct uart *u)
{
	return u->mcr & UART_MCR_LOOP;
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

static bool uart_rx_enqueue(struct uart *u, uint8_t byte)
{
	if (u->rx_count == UART_RX_FIFO_SIZE)
		return false;
	u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

/* An empty RBR reads as 0; real parts return stale data, nobody relies on it. */
static uint8_t uart_rx_dequeue(struct uart *u)
{
	uint8_t byte;

	if (!u->rx_count)
		return 0;
	byte = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

bool uart_rx_push(struct uart *u, uint8_t byte)
{
	return !uart_loopback(u) && uart_rx_enqueue(u, byte);
}

unsigned int uart_rx_space(const struct uart *u)
{
	return uart_loopback(u) ? 0 : UART_RX_FIFO_SIZE - u->rx_count;
}

/* Highest-priority enabled source; line status and modem never fire here. */
static uint8_t uart_irq_source(const struct uart *u)
{
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

bool uart_irq_pending(const struct uart *u)
{
	return uart_irq_source(u) != UART_IIR_NO_INT;
}

/* The byte leaves at once, so THR is empty again before the guest looks. */
static void uart_transmit(struct uart *u, uint8_t byte)
{
	if (uart_loopback(u))
		uart_rx_enqueue(u, byte);
	else if (u->tx)
		u->tx(u->opaque, byte);
	u->thre_pending = true;
}

/*
 * Enabling THRI while THR is empty raises the interrupt at once: drivers
 * (Linux's 8250 among them) kick off transmission that way.
 */
static void uart_write_ier(struct uart *u, uint8_t val)
{
	uint8_t enabled = val & ~u->ier;

	u->ier = val & (UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI |
			UART_IER_MSI);
	if (enabled & UART_IER_THRI)
		u->thre_pending = true;
}

/* Toggling FIFO mode empties the FIFOs, as on the real part. */
static void uart_write_fcr(struct uart *u, uint8_t val)
{
	if ((val ^ u->fcr) & UART_FCR_ENABLE || val & UART_FCR_CLEAR_RX)
		uart_rx_clear(u);
	u->fcr = val & (UART_FCR_ENABLE | UART_FCR_TRIGGER_MASK);
}

/* Reading IIR acknowledges a THR-empty interrupt it reports. */
static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t source = uart_irq_source(u);

	if (source == UART_IIR_THRI)
		u->thre_pending = false;
	if (u->fcr & UART_FCR_ENABLE)
		source |= UART_IIR_FIFO_ENABLED;
	return source;
}

static uint8_t uart_read_lsr(const struct uart *u)
{
	return UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0);
}

/*
 * In loopback the modem outputs feed the inputs: RTS->CTS, DTR->DSR,
 * OUT1->RI, OUT2->DCD. Linux's 8250 probe checks exactly this.
 */
static uint8_t uart_read_msr(const struct uart *u)
{
	if (!uart_loopback(u))
		return UART_MSR_CONNECTED;
	return (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
	       (u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
	       (u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
	       (u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
}

static uint8_t uart_read(struct uart *u, unsigned int offset)
{
	switch (offset) {
	case UART_RBR:
		return uart_dlab(u) ? u->dll : uart_rx_dequeue(u);
	case UART_IER:
		return uart_dlab(u) ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		return uart_read_msr(u);
	case UART_SCR:
		return u->scr;
	default:
		return 0xff;	/* what an unclaimed ISA port reads */
	}
}

static void uart_write(struct uart *u, unsigned int offset, uint8_t val)
{
	switch (offset) {
	case UART_THR:
		if (uart_dlab(u))
			u->dll = val;
		else
			uart_transmit(u, val);
		break;
	case UART_IER:
		if (uart_dlab(u))
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & (UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1 |
				UART_MCR_OUT2 | UART_MCR_LOOP);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default:
		break;	/* LSR, MSR and anything past SCR ignore writes */
	}
}

void uart_io(struct uart *u, unsigned int offset, bool is_write, uint8_t *val)
{
	if (is_write)
		uart_write(u, offset, *val);
	else
		*val = uart_read(u, offset);
}
