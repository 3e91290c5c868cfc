/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's CMOS real-time clock (Motorola MC146818A), at ports 0x70
 * (index; bit 7 is the NMI mask, kept and otherwise ignored) and 0x71
 * (data): the host's wall clock for the guest's, in UTC, as PCs keep it
 * for Linux, which reads it at boot (mc146818_get_time()) and with
 * hwclock.
 *
 *  - Registers 0-9 and the century (0x32, which the FADT names) are read
 *    from the host's CLOCK_REALTIME plus an offset, in BCD or binary and
 *    in 24- or 12-hour form as register B says. Setting the time moves
 *    the offset: a write while B.SET is set stages the registers, which
 *    take effect when SET is cleared; a write without SET takes effect at
 *    once. The alarm registers (1, 3, 5) are plain storage.
 *  - Register A: the divider and rate bits are kept; UIP reads 0: a read
 *    never straddles an update, since every read computes the time.
 *  - Register C reads 0 and register D 0x80 (valid RAM and time; Linux's
 *    mc146818_get_time() warns if bit 6 is set).
 *  - No interrupt ever fires (periodic, alarm, update): IRQ 8 is not
 *    driven. Linux reads the time at boot and keeps its own.
 *  - 0x0e-0x7f are the battery-backed NVRAM.
 *
 * The clock is battery-backed too: a machine reset keeps the time, the
 * NVRAM and the format, and clears only the interrupt enables (and C), as
 * the chip's RESET pin does.
 */
#ifndef VESSEL_HW_RTC_H
#define VESSEL_HW_RTC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

#define RTC_NR_PORTS		2
#define RTC_NR_REGS		128

#define RTC_SECONDS		0x00
#define RTC_SECONDS_ALARM	0x01
#define RTC_MINUTES		0x02
#define RTC_MINUTES_ALARM	0x03
#define RTC_HOURS		0x04
#define RTC_HOURS_ALARM		0x05
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32	/* the FADT's century field */

#define RTC_A_UIP		0x80
#define RTC_B_SET		0x80
#define RTC_B_PIE		0x40
#define RTC_B_AIE		0x20
#define RTC_B_UIE		0x10
#define RTC_B_SQWE		0x08
#define RTC_B_DM_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_B_DSE		0x01
#define RTC_D_VRT		0x80
#define RTC_HOUR_PM		0x80	/* 12-hour form */

#define RTC_A_POWER_ON		0x26	/* 32.768 kHz time base, 1024 Hz rate */
#define RTC_B_POWER_ON		RTC_B_24H	/* BCD, 24-hour, as BIOSes leave it */

#define RTC_STATE_NAME		"rtc"
#define RTC_STATE_VERSION	1

/* The host's wall clock, in ns since the epoch. */
typedef int64_t (*rtc_clock_fn)(void *opaque);

/* The saved state: plain data (Documentation/userspace-devices.rst). */
struct rtc_state {
	uint8_t index;			/* port 0x70 as last written */
	uint8_t reg[RTC_NR_REGS];	/* 0-9 and 0x32: staged while SET */
	int64_t offset_ns;		/* guest time - host time */
};

struct rtc {
	struct rtc_state st;
	/* The wiring: set by rtc_init(), kept by reset and load. */
	rtc_clock_fn clock;
	void *opaque;
};

/* Power-on: the host's time, BCD and 24-hour, empty NVRAM. */
void rtc_init(struct rtc *rtc, rtc_clock_fn clock, void *opaque);

/* The machine's reset: the clock keeps time and NVRAM (see above). */
void rtc_reset(struct rtc *rtc);

/* One byte at port 0x70 + @port (0 or 1). */
void rtc_io(struct rtc *rtc, unsigned int port, bool is_write, uint8_t *data);

/* The guest's wall clock now, in seconds since the epoch (for tests). */
int64_t rtc_guest_time(const struct rtc *rtc);

struct io_bus;
/* Put the two ports on @bus at @port. 0 or io_register_port()'s error. */
int rtc_attach(struct rtc *rtc, struct io_bus *bus, uint16_t port);

/*
 * Save and load in the record format of state.h ("rtc", version 1: the
 * index, the 128 registers, the offset as a signed 64-bit count of ns). A
 * load refuses what the chip could not hold: UIP or any flag of C set, or
 * anything stored for D (which is read-only and always reads 0x80).
 */
int rtc_save(const struct rtc *rtc, struct hw_state_out *out);
int rtc_load(struct rtc *rtc, const void *buf, size_t len, char *err,
	     size_t errlen);

extern const struct hw_device_ops rtc_device_ops;

#endif /* VESSEL_HW_RTC_H */
