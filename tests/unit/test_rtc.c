// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the CMOS RTC model: the time it reads in every
 * format, setting it (staged under SET and at once), NVRAM, what a reset
 * keeps, register D, and its save/load, with a clock the test controls.
 */
#include <time.h>

#include "hw/bus.h"
#include "hw/rtc.h"
#include "state_check.h"
#include "tap.h"

#define NS		1000000000LL
/* 2026-12-07 18:26:07 UTC, a Monday. */
#define T0		1796667967LL

static int64_t host_ns;

static int64_t fake_clock(void *opaque)
{
	return *(int64_t *)opaque;
}

static struct rtc rtc;

static uint8_t rd(unsigned int reg)
{
	uint8_t v = reg;

	rtc_io(&rtc, 0, true, &v);
	rtc_io(&rtc, 1, false, &v);
	return v;
}

static void wr(unsigned int reg, uint8_t val)
{
	uint8_t v = reg;

	rtc_io(&rtc, 0, true, &v);
	v = val;
	rtc_io(&rtc, 1, true, &v);
}

static void setup(void)
{
	host_ns = T0 * NS + 123456789;
	rtc_init(&rtc, fake_clock, &host_ns);
}

static void test_power_on(void)
{
	setup();
	CHECK_EQ(rd(RTC_REG_A), RTC_A_POWER_ON);
	CHECK_EQ(rd(RTC_REG_B), RTC_B_24H);
	CHECK_EQ(rd(RTC_REG_C), 0);
	/* Valid RAM and time; Linux warns if bit 6 is set. */
	CHECK_EQ(rd(RTC_REG_D), RTC_D_VRT);
	CHECK_EQ(rtc_guest_time(&rtc), T0);
}

/* BCD, 24-hour: the host's time in UTC. */
static void test_reads_host_time_bcd(void)
{
	setup();
	CHECK_EQ(rd(RTC_SECONDS), 0x07);
	CHECK_EQ(rd(RTC_MINUTES), 0x26);
	CHECK_EQ(rd(RTC_HOURS), 0x18);
	CHECK_EQ(rd(RTC_DAY_OF_WEEK), 2);	/* Monday; Sunday is 1 */
	CHECK_EQ(rd(RTC_DAY_OF_MONTH), 0x07);
	CHECK_EQ(rd(RTC_MONTH), 0x12);
	CHECK_EQ(rd(RTC_YEAR), 0x26);
	CHECK_EQ(rd(RTC_CENTURY), 0x20);
	/* It runs with the host's clock, and never shows an update. */
	host_ns += 61 * NS;
	CHECK_EQ(rd(RTC_SECONDS), 0x08);
	CHECK_EQ(rd(RTC_MINUTES), 0x27);
	CHECK_EQ(rd(RTC_REG_A) & RTC_A_UIP, 0);
}

static void test_reads_binary_12h(void)
{
	setup();
	wr(RTC_REG_B, RTC_B_DM_BINARY);		/* binary, 12-hour */
	CHECK_EQ(rd(RTC_SECONDS), 7);
	CHECK_EQ(rd(RTC_MINUTES), 26);
	CHECK_EQ(rd(RTC_HOURS), RTC_HOUR_PM | 6);
	CHECK_EQ(rd(RTC_MONTH), 12);
	CHECK_EQ(rd(RTC_YEAR), 26);
	host_ns -= 18 * 3600 * NS;		/* 00:26: 12 AM */
	CHECK_EQ(rd(RTC_HOURS), 12);
	host_ns += 12 * 3600 * NS;		/* 12:26: 12 PM */
	CHECK_EQ(rd(RTC_HOURS), RTC_HOUR_PM | 12);
	wr(RTC_REG_B, 0);			/* BCD, 12-hour */
	CHECK_EQ(rd(RTC_HOURS), RTC_HOUR_PM | 0x12);
}

/* Set under SET, as Linux's mc146818_set_time() does. */
static void test_set_time_staged(void)
{
	setup();
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
	/* Frozen while SET: the registers hold what was there. */
	host_ns += 5 * NS;
	CHECK_EQ(rd(RTC_SECONDS), 0x07);
	wr(RTC_YEAR, 0x30);
	wr(RTC_MONTH, 0x01);
	wr(RTC_DAY_OF_MONTH, 0x02);
	wr(RTC_HOURS, 0x03);
	wr(RTC_MINUTES, 0x04);
	wr(RTC_SECONDS, 0x05);
	CHECK_EQ(rd(RTC_SECONDS), 0x05);
	wr(RTC_REG_B, RTC_B_24H);
	/* 2030-01-02 03:04:05 UTC, running from now on. */
	CHECK_EQ(rtc_guest_time(&rtc), 1893553445LL);
	host_ns += 10 * NS;
	CHECK_EQ(rd(RTC_SECONDS), 0x15);
	CHECK_EQ(rd(RTC_YEAR), 0x30);
	CHECK_EQ(rd(RTC_DAY_OF_WEEK), 4);	/* a Wednesday */
}

static void test_set_field_running(void)
{
	setup();
	wr(RTC_MINUTES, 0x59);			/* 18:59:07 */
	CHECK_EQ(rtc_guest_time(&rtc), T0 + 33 * 60);
	CHECK_EQ(rd(RTC_HOURS), 0x18);
	host_ns += 60 * NS;
	CHECK_EQ(rd(RTC_HOURS), 0x19);
	CHECK_EQ(rd(RTC_MINUTES), 0x00);
}

/* Garbage in the time registers: normalised, never undefined. */
static void test_garbage_time(void)
{
	setup();
	wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
	wr(RTC_MONTH, 0xff);
	wr(RTC_DAY_OF_MONTH, 0xff);
	wr(RTC_HOURS, 0xff);
	wr(RTC_CENTURY, 0xff);
	wr(RTC_REG_B, RTC_B_24H);
	CHECK(rd(RTC_SECONDS) <= 0x59);
}

static void test_registers_and_nvram(void)
{
	unsigned int r;

	setup();
	for (r = 0x0e; r < RTC_NR_REGS; r++)
		if (r != RTC_CENTURY)
			wr(r, r ^ 0x5a);
	for (r = 0x0e; r < RTC_NR_REGS; r++)
		if (r != RTC_CENTURY)
			CHECK_EQ(rd(r), r ^ 0x5a);
	/* Alarms are storage; C and D are read-only; UIP cannot be set. */
	wr(RTC_HOURS_ALARM, 0x77);
	CHECK_EQ(rd(RTC_HOURS_ALARM), 0x77);
	wr(RTC_REG_C, 0xf0);
	CHECK_EQ(rd(RTC_REG_C), 0);
	wr(RTC_REG_D, 0);
	CHECK_EQ(rd(RTC_REG_D), RTC_D_VRT);
	wr(RTC_REG_A, 0xa6);
	CHECK_EQ(rd(RTC_REG_A), 0x26);
	/* Bit 7 of the index is the NMI mask: the register is bits 6:0. */
	wr(0x80 | 0x20, 0x99);
	CHECK_EQ(rd(0x20), 0x99);
	/* The index port reads as nothing drives it. */
	{
		uint8_t v = 0;

		rtc_io(&rtc, 0, false, &v);
		CHECK_EQ(v, 0xff);
	}
}

/* A reset keeps the time, the NVRAM and the format; clears enables. */
static void test_reset_keeps_time(void)
{
	setup();
	wr(RTC_MINUTES, 0x00);
	wr(0x40, 0x12);
	wr(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY | RTC_B_PIE | RTC_B_UIE);
	rtc_reset(&rtc);
	CHECK_EQ(rd(RTC_MINUTES), 0);
	CHECK_EQ(rd(0x40), 0x12);
	CHECK_EQ(rd(RTC_REG_B), RTC_B_24H | RTC_B_DM_BINARY);
}

/* The ports on the bus: two, a word access reaches both. */
static void test_bus(void)
{
	struct io_bus bus;
	uint8_t d[2] = { RTC_YEAR, 0 };

	setup();
	io_bus_init(&bus);
	CHECK_EQ(rtc_attach(&rtc, &bus, 0x70), 0);
	CHECK(io_port_dispatch(&bus, 0x70, true, 1, d));
	CHECK(io_port_dispatch(&bus, 0x71, false, 1, &d[1]));
	CHECK_EQ(d[1], 0x26);
	/* A word at 0x70: index, then data, as two ISA byte cycles. */
	d[0] = RTC_MONTH;
	d[1] = 0;
	CHECK(io_port_dispatch(&bus, 0x70, true, 1, d));
	CHECK(io_port_dispatch(&bus, 0x70, false, 2, d));
	CHECK_EQ(d[0], 0xff);
	CHECK_EQ(d[1], 0x12);
	CHECK(!io_port_dispatch(&bus, 0x72, false, 1, d));
	io_bus_free(&bus);
}

static void test_state_round_trip(void)
{
	struct rtc copy;

	setup();
	wr(RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	wr(0x50, 0x33);
	wr(RTC_MINUTES, 3);			/* a non-zero offset */
	wr(0x80 | RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
	rtc_init(&copy, fake_clock, &host_ns);
	check_state_round_trip(&rtc_device_ops, &rtc, &copy);
	CHECK(!tap_failed);
	CHECK_EQ(rtc_guest_time(&copy), rtc_guest_time(&rtc));
	CHECK_EQ(copy.st.index, 0x80 | RTC_REG_B);
}

static void test_state_refused(void)
{
	struct rtc scratch;
	size_t accepted;

	setup();
	wr(0x50, 0x33);
	rtc_init(&scratch, fake_clock, &host_ns);
	check_state_truncated(&rtc_device_ops, &rtc, &scratch);
	CHECK(!tap_failed);
	check_state_bit_flips(&rtc_device_ops, &rtc, &scratch, &accepted);
	CHECK(!tap_failed);
	/* Register A's UIP, register C, register D: never stored. */
	check_state_refuses_byte(&rtc_device_ops, &rtc, &scratch,
				 HW_STATE_HEADER_SIZE + 1 + RTC_REG_A, 0xa6);
	check_state_refuses_byte(&rtc_device_ops, &rtc, &scratch,
				 HW_STATE_HEADER_SIZE + 1 + RTC_REG_C, 0x80);
	check_state_refuses_byte(&rtc_device_ops, &rtc, &scratch,
				 HW_STATE_HEADER_SIZE + 1 + RTC_REG_D, 0x80);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_power_on),
		TAP_TEST(test_reads_host_time_bcd),
		TAP_TEST(test_reads_binary_12h),
		TAP_TEST(test_set_time_staged),
		TAP_TEST(test_set_field_running),
		TAP_TEST(test_garbage_time),
		TAP_TEST(test_registers_and_nvram),
		TAP_TEST(test_reset_keeps_time),
		TAP_TEST(test_bus),
		TAP_TEST(test_state_round_trip),
		TAP_TEST(test_state_refused),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
