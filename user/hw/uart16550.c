// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART model. Register behaviour follows the National Semiconductor
 * PC16550D datasheet; see uart16550.h for what is deliberately left out.
 */
#include <string.h>

#include "bus.h"
#include "state.h"
#include "uart16550.h"

/* 115200 / 12 = 9600 baud: a sane divisor where the datasheet leaves it undefined. */
#define UART_RESET_DIVISOR	12

/* The bits of each register a guest can set; the rest read as 0. */
#define UART_IER_MASK		(UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | \
				 UART_IER_MSI)
#define UART_MCR_MASK		(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1 | \
				 UART_MCR_OUT2 | UART_MCR_LOOP)
#define UART_FCR_MASK		(UART_FCR_ENABLE | UART_FCR_TRIGGER_MASK)

#define UART_STATE_NAME		"uart16550"
#define UART_STATE_VERSION	1

/* What a connected terminal drives: carrier, data set ready, clear to send. */
#define UART_MSR_CONNECTED	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

void uart_reset(struct uart *u)
{
	memset(&u->st, 0, sizeof(u->st));
	u->st.dll = UART_RESET_DIVISOR;
	uart_update_irq(u);
}

void uart_init(struct uart *u, uart_tx_fn tx, void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->tx = tx;
	u->opaque = opaque;
	uart_reset(u);
}

static bool uart_dlab(const struct uart *u)
{
	return u->st.lcr & UART_LCR_DLAB;
}

static bool uart_loopback(const struct uart *u)
{
	return u->st.mcr & UART_MCR_LOOP;
}

static void uart_rx_clear(struct uart *u)
{
	u->st.rx_head = 0;
	u->st.rx_count = 0;
}

static bool uart_rx_enqueue(struct uart *u, uint8_t byte)
{
	if (u->st.rx_count == UART_RX_FIFO_SIZE)
		return false;
	u->st.rx[(u->st.rx_head + u->st.rx_count) % UART_RX_FIFO_SIZE] = byte;
	u->st.rx_count++;
	return true;
}

/* An empty RBR reads as 0; real parts return stale data, nobody relies on it. */
static uint8_t uart_rx_dequeue(struct uart *u)
{
	uint8_t byte;

	if (!u->st.rx_count)
		return 0;
	byte = u->st.rx[u->st.rx_head];
	u->st.rx_head = (u->st.rx_head + 1) % UART_RX_FIFO_SIZE;
	u->st.rx_count--;
	return byte;
}

bool uart_rx_push(struct uart *u, uint8_t byte)
{
	return !uart_loopback(u) && uart_rx_enqueue(u, byte);
}

unsigned int uart_rx_space(const struct uart *u)
{
	return uart_loopback(u) ? 0 : UART_RX_FIFO_SIZE - u->st.rx_count;
}

/* Highest-priority enabled source; line status and modem never fire here. */
static uint8_t uart_irq_source(const struct uart *u)
{
	if ((u->st.ier & UART_IER_RDI) && u->st.rx_count)
		return UART_IIR_RDI;
	if ((u->st.ier & UART_IER_THRI) && u->st.thre_pending)
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
	u->st.thre_pending = true;
}

/*
 * Enabling THRI while THR is empty raises the interrupt at once: drivers
 * (Linux's 8250 among them) kick off transmission that way.
 */
static void uart_write_ier(struct uart *u, uint8_t val)
{
	uint8_t enabled = val & ~u->st.ier;

	u->st.ier = val & UART_IER_MASK;
	if (enabled & UART_IER_THRI)
		u->st.thre_pending = true;
}

/* Toggling FIFO mode empties the FIFOs, as on the real part. */
static void uart_write_fcr(struct uart *u, uint8_t val)
{
	if ((val ^ u->st.fcr) & UART_FCR_ENABLE || val & UART_FCR_CLEAR_RX)
		uart_rx_clear(u);
	u->st.fcr = val & UART_FCR_MASK;
}

/* Reading IIR acknowledges a THR-empty interrupt it reports. */
static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t source = uart_irq_source(u);

	if (source == UART_IIR_THRI)
		u->st.thre_pending = false;
	if (u->st.fcr & UART_FCR_ENABLE)
		source |= UART_IIR_FIFO_ENABLED;
	return source;
}

static uint8_t uart_read_lsr(const struct uart *u)
{
	return UART_LSR_THRE | UART_LSR_TEMT | (u->st.rx_count ? UART_LSR_DR : 0);
}

/*
 * In loopback the modem outputs feed the inputs: RTS->CTS, DTR->DSR,
 * OUT1->RI, OUT2->DCD. Linux's 8250 probe checks exactly this.
 */
static uint8_t uart_read_msr(const struct uart *u)
{
	if (!uart_loopback(u))
		return UART_MSR_CONNECTED;
	return (u->st.mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
	       (u->st.mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
	       (u->st.mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
	       (u->st.mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
}

static uint8_t uart_read(struct uart *u, unsigned int offset)
{
	switch (offset) {
	case UART_RBR:
		return uart_dlab(u) ? u->st.dll : uart_rx_dequeue(u);
	case UART_IER:
		return uart_dlab(u) ? u->st.dlm : u->st.ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->st.lcr;
	case UART_MCR:
		return u->st.mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		return uart_read_msr(u);
	case UART_SCR:
		return u->st.scr;
	default:
		return 0xff;	/* what an unclaimed ISA port reads */
	}
}

static void uart_write(struct uart *u, unsigned int offset, uint8_t val)
{
	switch (offset) {
	case UART_THR:
		if (uart_dlab(u))
			u->st.dll = val;
		else
			uart_transmit(u, val);
		break;
	case UART_IER:
		if (uart_dlab(u))
			u->st.dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->st.lcr = val;
		break;
	case UART_MCR:
		u->st.mcr = val & UART_MCR_MASK;
		break;
	case UART_SCR:
		u->st.scr = val;
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

/* The output as a PC board passes it on: gated by MCR OUT2. */
static bool uart_bus_level(const struct uart *u)
{
	return uart_irq_pending(u) && (u->st.mcr & UART_MCR_OUT2);
}

void uart_update_irq(struct uart *u)
{
	bool level = uart_bus_level(u);

	if (!u->irq || level == u->irq_level)
		return;
	u->irq_level = level;
	u->irq(u->bus_opaque, level);
}

/* Wider accesses reach consecutive registers, as on an 8-bit ISA device. */
static void uart_port_io(void *opaque, uint64_t offset, bool is_write,
			 uint8_t *data, uint32_t len)
{
	struct uart *u = opaque;
	bool full = !uart_rx_space(u);
	uint32_t i;

	for (i = 0; i < len; i++)
		uart_io(u, offset + i, is_write, &data[i]);
	uart_update_irq(u);
	if (full && uart_rx_space(u) && u->room)
		u->room(u->bus_opaque);
}

int uart_attach(struct uart *u, struct io_bus *bus, uint16_t base,
		uart_irq_fn irq, uart_room_fn room, void *opaque)
{
	u->irq = irq;
	u->room = room;
	u->bus_opaque = opaque;
	u->irq_level = false;
	return io_register_port(bus, base, UART_NR_PORTS, uart_port_io, u);
}

/*
 * Version 1: IER, LCR, MCR, FCR, SCR, DLL, DLM (u8 each), THR-empty
 * pending (bool), the number of bytes in the receive FIFO (u8, 0-16) and
 * the FIFO's 16 bytes, oldest first, unused ones 0. The FIFO is saved from
 * its head, so where the ring started is not part of the state.
 */
int uart_save(const struct uart *u, struct hw_state_out *out)
{
	const struct uart_state *st = &u->st;
	uint8_t fifo[UART_RX_FIFO_SIZE] = { 0 };
	unsigned int i;

	for (i = 0; i < st->rx_count; i++)
		fifo[i] = st->rx[(st->rx_head + i) % UART_RX_FIFO_SIZE];
	hw_state_begin(out, UART_STATE_NAME, UART_STATE_VERSION);
	hw_put_u8(out, st->ier);
	hw_put_u8(out, st->lcr);
	hw_put_u8(out, st->mcr);
	hw_put_u8(out, st->fcr);
	hw_put_u8(out, st->scr);
	hw_put_u8(out, st->dll);
	hw_put_u8(out, st->dlm);
	hw_put_bool(out, st->thre_pending);
	hw_put_u8(out, st->rx_count);
	hw_put_bytes(out, fifo, sizeof(fifo));
	return hw_state_end(out);
}

/* Bits a guest could never have set are corruption, not state. */
static int uart_check_reg(struct hw_state_in *in, const char *reg,
			  uint8_t val, uint8_t mask)
{
	if (val & ~mask)
		return hw_state_invalid(in, "%s %#x has bits outside %#x", reg,
					val, mask);
	return 0;
}

int uart_load(struct uart *u, const void *buf, size_t len, char *err,
	      size_t errlen)
{
	struct uart_state st = { 0 };
	struct hw_state_in in;
	uint32_t version;
	unsigned int i;
	int r;

	r = hw_state_open(&in, buf, len, UART_STATE_NAME, UART_STATE_VERSION,
			  &version, err, errlen);
	if (r)
		return r;
	st.ier = hw_get_u8(&in);
	st.lcr = hw_get_u8(&in);
	st.mcr = hw_get_u8(&in);
	st.fcr = hw_get_u8(&in);
	st.scr = hw_get_u8(&in);
	st.dll = hw_get_u8(&in);
	st.dlm = hw_get_u8(&in);
	st.thre_pending = hw_get_bool(&in);
	st.rx_count = hw_get_u8(&in);
	hw_get_bytes(&in, st.rx, sizeof(st.rx));
	r = hw_state_close(&in);
	if (r)
		return r;
	if (uart_check_reg(&in, "IER", st.ier, UART_IER_MASK) ||
	    uart_check_reg(&in, "MCR", st.mcr, UART_MCR_MASK) ||
	    uart_check_reg(&in, "FCR", st.fcr, UART_FCR_MASK))
		return in.error;
	if (st.rx_count > UART_RX_FIFO_SIZE)
		return hw_state_invalid(&in, "%u bytes in a %u-byte FIFO",
					st.rx_count, UART_RX_FIFO_SIZE);
	for (i = st.rx_count; i < UART_RX_FIFO_SIZE; i++)
		if (st.rx[i])
			return hw_state_invalid(&in, "FIFO slot %u is unused but not 0",
						i);
	u->st = st;
	u->irq_level = u->irq && uart_bus_level(u);
	return 0;
}

static void uart_dev_reset(void *dev)
{
	uart_reset(dev);
}

static int uart_dev_save(void *dev, struct hw_state_out *out)
{
	return uart_save(dev, out);
}

static int uart_dev_load(void *dev, const void *buf, size_t len, char *err,
			 size_t errlen)
{
	return uart_load(dev, buf, len, err, errlen);
}

const struct hw_device_ops uart_device_ops = {
	.name = UART_STATE_NAME,
	.reset = uart_dev_reset,
	.save = uart_dev_save,
	.load = uart_dev_load,
};
