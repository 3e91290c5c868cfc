// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the 16550A UART model, driven the way a guest driver
 * would: register reads and writes through uart_io() only.
 */
#include "tap.h"
#include "hw/uart16550.h"

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
	CHECK_EQ(uart.fcr, UART_FCR_ENABLE | 0xc0);
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
};

int main(void)
{
	return tap_run(tests, TAP_COUNT(tests));
}
