// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the 16550A UART model, driven the way a guest driver
 * would: register reads and writes through uart_io() only.
 */
#include "hw/bus.h"
#include "hw/uart16550.h"
#include "state_check.h"
#include "tap.h"

static struct uart uart;
static uint8_t tx_buf[64];
static size_t tx_len;

static void tx_record(void *opaque, uint8_t byte)
{
	CHECK(opaque == &tx_len);
	if (tx_len < sizeof(tx_buf))
		tx_buf[tx_len++] = byte;
}

static void reset(void)
{
	uart_init(&uart, tx_record, &tx_len);
	tx_len = 0;
}

static uint8_t rd(unsigned int offset)
{
	uint8_t val = 0;

	uart_io(&uart, offset, false, &val);
	return val;
}

static void wr(unsigned int offset, uint8_t val)
{
	uart_io(&uart, offset, true, &val);
}

static void test_reset_state(void)
{
	reset();
	CHECK_EQ(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	CHECK_EQ(rd(UART_IIR), UART_IIR_NO_INT);
	CHECK_EQ(rd(UART_IER), 0);
	CHECK_EQ(rd(UART_LCR), 0);
	CHECK_EQ(rd(UART_MCR), 0);
	CHECK_EQ(rd(UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	CHECK(!uart_irq_pending(&uart));
	CHECK_EQ(uart_rx_space(&uart), UART_RX_FIFO_SIZE);
}

static void test_dlab_divisor(void)
{
	reset();
	wr(UART_IER, UART_IER_RDI);
	wr(UART_LCR, UART_LCR_DLAB | 0x03);	/* 8N1 with DLAB */
	wr(UART_DLL, 0x01);			/* 115200 baud */
	wr(UART_DLM, 0x02);
	CHECK_EQ(rd(UART_DLL), 0x01);
	CHECK_EQ(rd(UART_DLM), 0x02);
	CHECK_EQ(tx_len, 0);			/* DLL write is not output */

	wr(UART_LCR, 0x03);
	CHECK_EQ(rd(UART_IER), UART_IER_RDI);	/* DLM write left IER alone */
	CHECK_EQ(rd(UART_LCR), 0x03);
	CHECK(uart_rx_push(&uart, 'q'));
	CHECK_EQ(rd(UART_RBR), 'q');

	/* The latch survives DLAB toggling. */
	wr(UART_LCR, UART_LCR_DLAB);
	CHECK_EQ(rd(UART_DLL), 0x01);
	CHECK_EQ(rd(UART_DLM), 0x02);
}

static void test_thr_output(void)
{
	const char *msg = "hello\n";
	size_t i;

	reset();
	for (i = 0; msg[i]; i++) {
		CHECK(rd(UART_LSR) & UART_LSR_THRE);
		wr(UART_THR, msg[i]);
		CHECK_EQ(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	}
	CHECK_EQ(tx_len, strlen(msg));
	CHECK(!memcmp(tx_buf, msg, tx_len));
}

static void test_tx_without_callback(void)
{
	uart_init(&uart, NULL, NULL);
	wr(UART_THR, 'x');
	CHECK_EQ(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
}

static void test_rx_queue(void)
{
	reset();
	CHECK(uart_rx_push(&uart, 'a'));
	CHECK(uart_rx_push(&uart, 'b'));
	CHECK_EQ(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	CHECK_EQ(rd(UART_RBR), 'a');
	CHECK_EQ(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	CHECK_EQ(rd(UART_RBR), 'b');
	CHECK_EQ(rd(UART_LSR) & UART_LSR_DR, 0);
	CHECK_EQ(rd(UART_RBR), 0);
}

static void test_rx_full_holds_back(void)
{
	unsigned int i;

	reset();
	for (i = 0; i < UART_RX_FIFO_SIZE; i++)
		CHECK(uart_rx_push(&uart, i));
	CHECK(!uart_rx_push(&uart, 0xee));
	CHECK_EQ(uart_rx_space(&uart), 0);
	CHECK_EQ(rd(UART_RBR), 0);
	CHECK_EQ(uart_rx_space(&uart), 1);
	/* Wrap the ring and check order survives it. */
	CHECK(uart_rx_push(&uart, 0xee));
	for (i = 1; i < UART_RX_FIFO_SIZE; i++)
		CHECK_EQ(rd(UART_RBR), i);
	CHECK_EQ(rd(UART_RBR), 0xee);
	CHECK_EQ(rd(UART_LSR) & UART_LSR_DR, 0);
}

static void test_rx_interrupt(void)
{
	reset();
	CHECK(uart_rx_push(&uart, 'z'));
	CHECK(!uart_irq_pending(&uart));	/* not enabled yet */
	wr(UART_IER, UART_IER_RDI);
	CHECK(uart_irq_pending(&uart));
	CHECK_EQ(rd(UART_IIR), UART_IIR_RDI);
	CHECK_EQ(rd(UART_IIR), UART_IIR_RDI);	/* level: reading IIR keeps it */
	CHECK_EQ(rd(UART_RBR), 'z');
	CHECK_EQ(rd(UART_IIR), UART_IIR_NO_INT);
	CHECK(!uart_irq_pending(&uart));
}

static void test_thre_interrupt(void)
{
	reset();
	wr(UART_IER, UART_IER_THRI);
	/* Enabling THRI with THR empty raises it at once. */
	CHECK(uart_irq_pending(&uart));
	CHECK_EQ(rd(UART_IIR), UART_IIR_THRI);
	/* Reading IIR acknowledged it. */
	CHECK_EQ(rd(UART_IIR), UART_IIR_NO_INT);
	CHECK(!uart_irq_pending(&uart));
	wr(UART_THR, 'x');
	CHECK_EQ(rd(UART_IIR), UART_IIR_THRI);

	/* Received data outranks THR empty. */
	wr(UART_THR, 'y');
	wr(UART_IER, UART_IER_THRI | UART_IER_RDI);
	CHECK(uart_rx_push(&uart, 'r'));
	CHECK_EQ(rd(UART_IIR), UART_IIR_RDI);
	CHECK_EQ(rd(UART_RBR), 'r');
	CHECK_EQ(rd(UART_IIR), UART_IIR_THRI);
	CHECK_EQ(rd(UART_IIR), UART_IIR_NO_INT);

	/* Disabling THRI masks a pending THR-empty condition. */
	wr(UART_THR, 'z');
	wr(UART_IER, 0);
	CHECK(!uart_irq_pending(&uart));
}

static void test_ier_reserved_bits(void)
{
	reset();
	wr(UART_IER, 0xff);
	CHECK_EQ(rd(UART_IER), 0x0f);
	wr(UART_MCR, 0xff);
	CHECK_EQ(rd(UART_MCR), 0x1f);
}

static void test_fifo_control(void)
{
	reset();
	wr(UART_FCR, UART_FCR_ENABLE);
	CHECK_EQ(rd(UART_IIR), UART_IIR_FIFO_ENABLED | UART_IIR_NO_INT);
	CHECK(uart_rx_push(&uart, 'a'));
	CHECK(uart_rx_push(&uart, 'b'));
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
	CHECK_EQ(rd(UART_LSR) & UART_LSR_DR, 0);
	/* The clear bits self-clear; enable and trigger level stick. */
	wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_TX | 0xc0);
	CHECK_EQ(uart.st.fcr, UART_FCR_ENABLE | 0xc0);
	CHECK(uart_rx_push(&uart, 'c'));
	wr(UART_FCR, 0);
	CHECK_EQ(rd(UART_IIR), UART_IIR_NO_INT);
	CHECK_EQ(rd(UART_LSR) & UART_LSR_DR, 0);	/* mode change emptied it */
}

static void test_scratch_register(void)
{
	reset();
	wr(UART_SCR, 0x5a);
	CHECK_EQ(rd(UART_SCR), 0x5a);
	wr(UART_SCR, 0xa5);
	CHECK_EQ(rd(UART_SCR), 0xa5);
}

/* Linux's 8250 probe: MCR = LOOP | OUT2 | RTS must read back MSR 0x90. */
static void test_loopback(void)
{
	reset();
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	CHECK_EQ(rd(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_CTS);
	wr(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1 | UART_MCR_DTR);
	CHECK_EQ(rd(UART_MSR) & 0xf0, UART_MSR_RI | UART_MSR_DSR);

	wr(UART_THR, 'L');
	CHECK_EQ(tx_len, 0);
	CHECK(!uart_rx_push(&uart, 'h'));	/* host input disconnected */
	CHECK_EQ(uart_rx_space(&uart), 0);
	CHECK_EQ(rd(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	CHECK_EQ(rd(UART_RBR), 'L');

	wr(UART_MCR, 0);
	wr(UART_THR, 'O');
	CHECK_EQ(tx_len, 1);
	CHECK_EQ(tx_buf[0], 'O');
	CHECK(uart_rx_push(&uart, 'h'));
}

static void test_read_only_and_unknown_ports(void)
{
	reset();
	wr(UART_LSR, 0);
	wr(UART_MSR, 0);
	CHECK_EQ(rd(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	CHECK_EQ(rd(UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	wr(UART_NR_PORTS, 0x12);
	CHECK_EQ(rd(UART_NR_PORTS), 0xff);
	CHECK_EQ(tx_len, 0);
}

/*
 * A UART a driver has been using: divisor, line and modem settings,
 * FIFOs on, both interrupts enabled and pending, and a receive ring that
 * has wrapped, with 13 bytes waiting.
 */
static void make_busy(struct uart *u)
{
	struct uart saved = uart;
	unsigned int i;

	uart = *u;
	wr(UART_LCR, UART_LCR_DLAB | 0x03);
	wr(UART_DLL, 0x01);
	wr(UART_DLM, 0x02);
	wr(UART_LCR, 0x1b);
	wr(UART_FCR, UART_FCR_ENABLE | 0x80);
	wr(UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
	wr(UART_SCR, 0x5a);
	for (i = 0; i < 10; i++)
		uart_rx_push(&uart, 'a' + i);
	for (i = 0; i < 7; i++)
		rd(UART_RBR);
	for (i = 0; i < 10; i++)
		uart_rx_push(&uart, 'A' + i);
	wr(UART_IER, UART_IER_RDI | UART_IER_THRI);
	*u = uart;
	uart = saved;
}

/* Every register read, then the whole FIFO, as a guest would see them. */
static void read_all(struct uart *u, uint8_t *seen, size_t n)
{
	struct uart saved = uart;
	size_t i = 0;

	uart = *u;
	seen[i++] = rd(UART_IER);
	seen[i++] = rd(UART_LCR);
	seen[i++] = rd(UART_MCR);
	seen[i++] = rd(UART_LSR);
	seen[i++] = rd(UART_MSR);
	seen[i++] = rd(UART_SCR);
	seen[i++] = rd(UART_IIR);
	while (i < n)
		seen[i++] = rd(UART_RBR);
	wr(UART_LCR, UART_LCR_DLAB);
	seen[n - 2] = rd(UART_DLL);
	seen[n - 1] = rd(UART_DLM);
	*u = uart;
	uart = saved;
}

static void test_state_round_trip(void)
{
	struct uart busy, copy;
	uint8_t a[32], b[32];

	uart_init(&busy, tx_record, &tx_len);
	make_busy(&busy);
	CHECK_EQ(busy.st.rx_count, 13);
	CHECK(busy.st.rx_head != 0);
	uart_init(&copy, tx_record, &tx_len);
	check_state_round_trip(&uart_device_ops, &busy, &copy);
	if (tap_failed)
		return;
	/* The guest cannot tell the two apart. */
	read_all(&busy, a, sizeof(a));
	read_all(&copy, b, sizeof(b));
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK_EQ(a[sizeof(a) - 2], 0x01);
	CHECK_EQ(a[sizeof(a) - 1], 0x02);
}

/* A load keeps the wiring: output still goes where it went. */
static void test_state_load_keeps_wiring(void)
{
	struct uart busy;

	reset();
	uart_init(&busy, NULL, NULL);
	make_busy(&busy);
	check_state_round_trip(&uart_device_ops, &busy, &uart);
	if (tap_failed)
		return;
	wr(UART_LCR, 0x03);
	wr(UART_THR, '!');
	CHECK_EQ(tx_len, 1);
	CHECK_EQ(tx_buf[0], '!');
}

/* Reset is power-on, whatever came before. */
static void test_state_reset(void)
{
	struct uart busy, fresh;
	size_t len = 0;
	uint8_t *rec;

	uart_init(&fresh, NULL, NULL);
	uart_init(&busy, tx_record, &tx_len);
	make_busy(&busy);
	uart_device_ops.reset(&busy);
	rec = state_save(&uart_device_ops, &fresh, &len);
	CHECK(rec);
	CHECK_EQ(len, HW_STATE_HEADER_SIZE + 25);
	CHECK(state_saves_as(&uart_device_ops, &busy, rec, len));
	CHECK(busy.tx == tx_record);
	free(rec);
}

static void test_state_truncated(void)
{
	struct uart busy, scratch;

	uart_init(&busy, NULL, NULL);
	make_busy(&busy);
	uart_init(&scratch, NULL, NULL);
	check_state_truncated(&uart_device_ops, &busy, &scratch);
}

static void test_state_bit_flips(void)
{
	struct uart busy, scratch;
	size_t accepted;

	uart_init(&busy, NULL, NULL);
	make_busy(&busy);
	uart_init(&scratch, NULL, NULL);
	check_state_bit_flips(&uart_device_ops, &busy, &scratch, &accepted);
	/* LCR, SCR, DLL, DLM and the 13 bytes waiting take any value. */
	CHECK(accepted >= 8 * 17);
}

/* Values no guest could have left: refused, each with its reason. */
static void test_state_bad_values(void)
{
	static const struct {
		size_t offset;
		uint8_t val;
	} bad[] = {
		{ 24, 0x10 },	/* IER bit 4 */
		{ 26, 0x20 },	/* MCR bit 5 */
		{ 27, 0x02 },	/* FCR: a clear bit that self-clears */
		{ 31, 2 },	/* THR-empty pending: not a flag */
		{ 32, 17 },	/* 17 bytes in the FIFO */
		{ 32, 255 },
		{ 48, 'x' },	/* the last slot, unused with 13 waiting */
	};
	struct uart busy, scratch;
	size_t i;

	uart_init(&busy, NULL, NULL);
	make_busy(&busy);
	uart_init(&scratch, NULL, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		check_state_refuses_byte(&uart_device_ops, &busy, &scratch,
					 bad[i].offset, bad[i].val);
		if (tap_failed) {
			printf("# (byte %zu = %#x)\n", bad[i].offset, bad[i].val);
			return;
		}
	}
}

/* What the bus side of the UART reported: the output's changes, rooms. */
static bool irq_levels[8];
static unsigned int nr_irq_changes, nr_rooms;

static void irq_record(void *opaque, bool level)
{
	if (opaque == &nr_irq_changes && nr_irq_changes < ARRAY_SIZE(irq_levels))
		irq_levels[nr_irq_changes++] = level;
}

static void room_record(void *opaque)
{
	if (opaque == &nr_irq_changes)
		nr_rooms++;
}

static void outp(struct io_bus *bus, uint16_t port, uint32_t val,
		 uint32_t len)
{
	uint8_t b[4];

	memcpy(b, &val, 4);
	io_port_dispatch(bus, port, true, len, b);
}

static uint8_t inp(struct io_bus *bus, uint16_t port)
{
	uint8_t b = 0;

	io_port_dispatch(bus, port, false, 1, &b);
	return b;
}

/*
 * On the bus as COM1: a word write reaches two registers, the output
 * reaches the bus only with OUT2, and emptying a full FIFO says so.
 */
static void test_bus_attach(void)
{
	struct io_bus bus;
	unsigned int i;

	reset();
	nr_irq_changes = nr_rooms = 0;
	io_bus_init(&bus);
	CHECK_EQ(uart_attach(&uart, &bus, 0x3f8, irq_record, room_record,
			     &nr_irq_changes), 0);
	/* LCR = 8N1 and MCR = DTR | RTS in one outw at LCR. */
	outp(&bus, 0x3fb, 0x0303, 2);
	CHECK_EQ(inp(&bus, 0x3fb), 0x03);
	CHECK_EQ(inp(&bus, 0x3fc), 0x03);
	CHECK_EQ(inp(&bus, 0x3ff + 1), 0xff);	/* past the UART: nobody */

	/* Pending, but not on the bus without OUT2. */
	outp(&bus, 0x3f9, UART_IER_RDI, 1);
	CHECK(uart_rx_push(&uart, 'a'));
	uart_update_irq(&uart);
	CHECK(uart_irq_pending(&uart));
	CHECK_EQ(nr_irq_changes, 0);
	outp(&bus, 0x3fc, UART_MCR_OUT2, 1);
	CHECK_EQ(nr_irq_changes, 1);
	CHECK(irq_levels[0]);
	/* Reading the byte lowers it; nothing more while it stays low. */
	CHECK_EQ(inp(&bus, 0x3f8), 'a');
	CHECK_EQ(nr_irq_changes, 2);
	CHECK(!irq_levels[1]);
	CHECK_EQ(inp(&bus, 0x3f8), 0);
	CHECK_EQ(nr_irq_changes, 2);

	/* A full FIFO, then one read: room. Reads that follow: no news. */
	for (i = 0; i < UART_RX_FIFO_SIZE; i++)
		CHECK(uart_rx_push(&uart, i));
	uart_update_irq(&uart);
	CHECK_EQ(nr_irq_changes, 3);
	CHECK_EQ(nr_rooms, 0);
	CHECK_EQ(inp(&bus, 0x3f8), 0);
	CHECK_EQ(nr_rooms, 1);
	CHECK_EQ(inp(&bus, 0x3f8), 1);
	CHECK_EQ(nr_rooms, 1);

	/* A reset lowers the output it had raised. */
	uart_reset(&uart);
	CHECK_EQ(nr_irq_changes, 4);
	CHECK(!irq_levels[3]);
	CHECK_EQ(inp(&bus, 0x3fc), 0);
	io_bus_free(&bus);
}

/* A load takes the output's level from the state, and drives nothing. */
static void test_bus_load_sets_level(void)
{
	struct uart busy;
	struct io_bus bus;

	uart_init(&busy, NULL, NULL);
	make_busy(&busy);	/* RDI and OUT2 set, bytes waiting */
	reset();
	nr_irq_changes = 0;
	io_bus_init(&bus);
	CHECK_EQ(uart_attach(&uart, &bus, 0x3f8, irq_record, room_record,
			     &nr_irq_changes), 0);
	check_state_round_trip(&uart_device_ops, &busy, &uart);
	CHECK_EQ(nr_irq_changes, 0);
	CHECK(uart.irq_level);
	/* Emptying the FIFO lowers it: the change is seen. */
	while (inp(&bus, 0x3fd) & UART_LSR_DR)
		inp(&bus, 0x3f8);
	CHECK_EQ(nr_irq_changes, 0);	/* THRE still pending */
	inp(&bus, 0x3fa);		/* IIR read acknowledges it */
	CHECK_EQ(nr_irq_changes, 1);
	CHECK(!irq_levels[0]);
	io_bus_free(&bus);
}

static const struct tap_test tests[] = {
	TAP_TEST(test_reset_state),
	TAP_TEST(test_dlab_divisor),
	TAP_TEST(test_thr_output),
	TAP_TEST(test_tx_without_callback),
	TAP_TEST(test_rx_queue),
	TAP_TEST(test_rx_full_holds_back),
	TAP_TEST(test_rx_interrupt),
	TAP_TEST(test_thre_interrupt),
	TAP_TEST(test_ier_reserved_bits),
	TAP_TEST(test_fifo_control),
	TAP_TEST(test_scratch_register),
	TAP_TEST(test_loopback),
	TAP_TEST(test_read_only_and_unknown_ports),
	TAP_TEST(test_state_round_trip),
	TAP_TEST(test_state_load_keeps_wiring),
	TAP_TEST(test_state_reset),
	TAP_TEST(test_state_truncated),
	TAP_TEST(test_state_bit_flips),
	TAP_TEST(test_state_bad_values),
	TAP_TEST(test_bus_attach),
	TAP_TEST(test_bus_load_sets_level),
};

int main(void)
{
	return tap_run(tests, TAP_COUNT(tests));
}
