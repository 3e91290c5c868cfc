// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the power controls (ACPI sleep and reset registers,
 * the 8042's reset line) and pvpanic, through the bus as a guest's port
 * accesses reach them.
 */
#include "hw/bus.h"
#include "hw/power.h"
#include "hw/pvpanic.h"
#include "tap.h"

#define BASE	0x600
#define PVPANIC	0x505

static struct io_bus bus;
static struct power power;
static struct pvpanic pvpanic;
static unsigned int offs, resets, panics;

static void on_power(void *opaque, enum power_event event)
{
	(void)opaque;
	if (event == POWER_EVENT_OFF)
		offs++;
	else
		resets++;
}

static void on_panic(void *opaque)
{
	(void)opaque;
	panics++;
}

static bool out8(uint16_t port, uint8_t v)
{
	return io_port_dispatch(&bus, port, true, 1, &v);
}

static uint8_t in8(uint16_t port)
{
	uint8_t v = 0x5a;

	io_port_dispatch(&bus, port, false, 1, &v);
	return v;
}

static void setup(void)
{
	io_bus_free(&bus);
	io_bus_init(&bus);
	offs = resets = panics = 0;
	if (power_attach(&power, &bus, BASE, on_power, NULL) ||
	    pvpanic_attach(&pvpanic, &bus, PVPANIC, on_panic, NULL))
		tap_diag(__FILE__, __LINE__, "attach failed");
}

/* SLP_EN with SLP_TYP 5 (\_S5) is soft off; nothing else is. */
static void test_sleep_control(void)
{
	unsigned int typ;

	setup();
	for (typ = 0; typ < 8; typ++) {
		CHECK(out8(BASE, typ << 2));		/* no SLP_EN */
		if (typ != POWER_S5_TYP)
			CHECK(out8(BASE, typ << 2 | POWER_SLP_EN));
	}
	CHECK_EQ(offs, 0);
	CHECK(out8(BASE, POWER_S5_TYP << 2 | POWER_SLP_EN));
	CHECK_EQ(offs, 1);
	/* Bits outside SLP_TYP and SLP_EN do not matter. */
	CHECK(out8(BASE, POWER_S5_TYP << 2 | POWER_SLP_EN | 0xc3));
	CHECK_EQ(offs, 2);
	CHECK_EQ(resets, 0);
	/* Status reads 0; writing WAK_STS to clear it does nothing. */
	CHECK_EQ(in8(BASE + POWER_SLEEP_STS), 0);
	CHECK(out8(BASE + POWER_SLEEP_STS, 0x80));
	CHECK_EQ(in8(BASE), 0);
	CHECK_EQ(offs, 2);
}

static void test_reset_register(void)
{
	setup();
	CHECK(out8(BASE + POWER_RESET, 0x41));
	CHECK(out8(BASE + POWER_RESET, 0x06));	/* 0xcf9's, not ours */
	CHECK_EQ(resets, 0);
	CHECK(out8(BASE + POWER_RESET, POWER_RESET_VALUE));
	CHECK_EQ(resets, 1);
	CHECK_EQ(offs, 0);
	/* A word write reaches two registers, byte by byte. */
	{
		uint8_t w[2] = { 0, POWER_RESET_VALUE };

		CHECK(io_port_dispatch(&bus, BASE + 1, true, 2, w));
		CHECK_EQ(resets, 2);
	}
	CHECK(!out8(BASE + POWER_NR_PORTS, POWER_RESET_VALUE));
}

/* The 8042: room to write, nothing to read, and 0xfe resets. */
static void test_i8042_reset(void)
{
	setup();
	CHECK_EQ(in8(I8042_CMD_PORT) & 0x03, 0);
	CHECK_EQ(in8(I8042_DATA_PORT), 0);
	CHECK(out8(I8042_CMD_PORT, 0xaa));	/* self-test: ignored */
	CHECK(out8(I8042_DATA_PORT, 0xfe));	/* data, not a command */
	CHECK_EQ(resets, 0);
	CHECK(out8(I8042_CMD_PORT, I8042_CMD_RESET));
	CHECK_EQ(resets, 1);
	CHECK(!out8(0x61, 0));			/* the neighbours are not ours */
	CHECK(!out8(0x65, 0));
}

/* pvpanic: reads the events it takes; PANICKED ends, CRASH_LOADED not. */
static void test_pvpanic(void)
{
	setup();
	CHECK_EQ(in8(PVPANIC), PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	CHECK(out8(PVPANIC, PVPANIC_CRASH_LOADED));
	CHECK(out8(PVPANIC, 0));
	CHECK_EQ(panics, 0);
	CHECK(out8(PVPANIC, PVPANIC_PANICKED));
	CHECK_EQ(panics, 1);
	/* A word straddles the one-byte port: nothing claims it. */
	{
		uint8_t w[2] = { 1, 0 };

		CHECK(!io_port_dispatch(&bus, PVPANIC, true, 2, w));
		CHECK_EQ(panics, 1);
	}
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_sleep_control),
		TAP_TEST(test_reset_register),
		TAP_TEST(test_i8042_reset),
		TAP_TEST(test_pvpanic),
	};
	int r;

	io_bus_init(&bus);
	r = tap_run(tests, TAP_COUNT(tests));
	io_bus_free(&bus);
	return r;
}
