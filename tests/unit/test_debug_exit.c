// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for QEMU's isa-debug-exit (user/hw/debug_exit.c), on a
 * bus as the machine puts it.
 */
#include "hw/bus.h"
#include "hw/debug_exit.h"
#include "tap.h"

static int statuses[8];
static unsigned int nr_statuses;

static void record(void *opaque, int status)
{
	if (opaque == &nr_statuses && nr_statuses < ARRAY_SIZE(statuses))
		statuses[nr_statuses++] = status;
}

static bool out(struct io_bus *bus, uint16_t port, uint32_t val,
		uint32_t len)
{
	uint8_t b[4];

	memcpy(b, &val, 4);
	return io_port_dispatch(bus, port, true, len, b);
}

static void test_codes(void)
{
	struct debug_exit d;
	struct io_bus bus;
	uint8_t b[4] = { 1, 2, 3, 4 };

	io_bus_init(&bus);
	CHECK_EQ(debug_exit_attach(&d, &bus, DEBUG_EXIT_PORT, record,
				   &nr_statuses), 0);
	/* outb, outw and outl of 42 all give 85. */
	CHECK(out(&bus, 0xf4, 42, 1));
	CHECK(out(&bus, 0xf4, 42, 2));
	CHECK(out(&bus, 0xf4, 42, 4));
	/* Modulo 256: 0x1ff << 1 | 1 is 0x3ff. */
	CHECK(out(&bus, 0xf4, 0x1ff, 2));
	/* A byte at 0xf5 is bits 15:8 of the register: CODE 0x100. */
	CHECK(out(&bus, 0xf5, 1, 1));
	CHECK_EQ(nr_statuses, 5);
	CHECK_EQ(statuses[0], 85);
	CHECK_EQ(statuses[1], 85);
	CHECK_EQ(statuses[2], 85);
	CHECK_EQ(statuses[3], 0xff);
	CHECK_EQ(statuses[4], 1);
	/* Reads are 0 and end nothing; the port after is not ours. */
	CHECK(io_port_dispatch(&bus, 0xf4, false, 4, b));
	CHECK_EQ(b[0] | b[1] | b[2] | b[3], 0);
	CHECK(!out(&bus, 0xf8, 1, 1));
	CHECK(!out(&bus, 0xf7, 1, 2));	/* straddles the end */
	CHECK_EQ(nr_statuses, 5);
	io_bus_free(&bus);
}

static const struct tap_test tests[] = {
	TAP_TEST(test_codes),
};

int main(void)
{
	return tap_run(tests, TAP_COUNT(tests));
}
