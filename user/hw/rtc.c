// SPDX-License-Identifier: GPL-2.0
/*
 * The CMOS real-time clock (see rtc.h). The time registers are not kept
 * counting: each read computes them from the host's clock and the offset,
 * so the guest's clock runs exactly as fast as the host's, costs nothing
 * while nobody reads it, and a saved offset restores it anywhere.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "rtc.h"
#include "state.h"

#define NSEC_PER_SEC		1000000000LL
#define RTC_B_IRQ_ENABLES	(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE)

static bool rtc_is_clock_reg(unsigned int reg)
{
	switch (reg) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
		return true;
	default:
		return false;
	}
}

/* Floor division: times before the epoch round down too. */
static int64_t rtc_floor_sec(int64_t ns)
{
	return ns / NSEC_PER_SEC - (ns % NSEC_PER_SEC < 0);
}

int64_t rtc_guest_time(const struct rtc *rtc)
{
	int64_t host = rtc->clock(rtc->opaque);

	/* Saturate: an offset from a bad guest write must not overflow. */
	if (rtc->st.offset_ns > 0 && host > INT64_MAX - rtc->st.offset_ns)
		return rtc_floor_sec(INT64_MAX);
	if (rtc->st.offset_ns < 0 && host < INT64_MIN - rtc->st.offset_ns)
		return rtc_floor_sec(INT64_MIN);
	return rtc_floor_sec(host + rtc->st.offset_ns);
}

static uint8_t rtc_encode(const struct rtc *rtc, unsigned int v)
{
	if (rtc->st.reg[RTC_REG_B] & RTC_B_DM_BINARY)
		return v;
	return (v / 10) << 4 | v % 10;
}

static unsigned int rtc_decode(const struct rtc *rtc, uint8_t v)
{
	if (rtc->st.reg[RTC_REG_B] & RTC_B_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t rtc_encode_hour(const struct rtc *rtc, unsigned int h)
{
	unsigned int h12 = h % 12 ? h % 12 : 12;

	if (rtc->st.reg[RTC_REG_B] & RTC_B_24H)
		return rtc_encode(rtc, h);
	return rtc_encode(rtc, h12) | (h >= 12 ? RTC_HOUR_PM : 0);
}

static unsigned int rtc_decode_hour(const struct rtc *rtc, uint8_t v)
{
	if (rtc->st.reg[RTC_REG_B] & RTC_B_24H)
		return rtc_decode(rtc, v);
	return rtc_decode(rtc, v & ~RTC_HOUR_PM) % 12 +
	       (v & RTC_HOUR_PM ? 12 : 0);
}

/* The clock registers for the guest's time @t, into @reg. */
static void rtc_fill(const struct rtc *rtc, int64_t t, uint8_t *reg)
{
	time_t tt = t;
	struct tm tm;

	if ((int64_t)tt != t || !gmtime_r(&tt, &tm))
		memset(&tm, 0, sizeof(tm));	/* beyond any calendar */
	reg[RTC_SECONDS] = rtc_encode(rtc, tm.tm_sec);
	reg[RTC_MINUTES] = rtc_encode(rtc, tm.tm_min);
	reg[RTC_HOURS] = rtc_encode_hour(rtc, tm.tm_hour);
	reg[RTC_DAY_OF_WEEK] = rtc_encode(rtc, tm.tm_wday + 1);
	reg[RTC_DAY_OF_MONTH] = rtc_encode(rtc, tm.tm_mday);
	reg[RTC_MONTH] = rtc_encode(rtc, tm.tm_mon + 1);
	reg[RTC_YEAR] = rtc_encode(rtc, (tm.tm_year + 1900) % 100);
	reg[RTC_CENTURY] = rtc_encode(rtc, ((tm.tm_year + 1900) / 100) % 100);
}

/* The time the clock registers in @reg say, as the chip counts from them. */
static int64_t rtc_parse(const struct rtc *rtc, const uint8_t *reg)
{
	struct tm tm = { 0 };

	tm.tm_sec = rtc_decode(rtc, reg[RTC_SECONDS]);
	tm.tm_min = rtc_decode(rtc, reg[RTC_MINUTES]);
	tm.tm_hour = rtc_decode_hour(rtc, reg[RTC_HOURS]);
	tm.tm_mday = rtc_decode(rtc, reg[RTC_DAY_OF_MONTH]);
	tm.tm_mon = (int)rtc_decode(rtc, reg[RTC_MONTH]) - 1;
	tm.tm_year = rtc_decode(rtc, reg[RTC_CENTURY]) * 100 +
		     rtc_decode(rtc, reg[RTC_YEAR]) - 1900;
	/* Out-of-range fields (a guest's garbage) are normalised, as timegm does. */
	return timegm(&tm);
}

/*
 * The guest set the clock to @t: it runs on from there. A time beyond
 * what the offset can hold (a guest's garbage) saturates.
 */
static void rtc_set_time(struct rtc *rtc, int64_t t)
{
	int64_t host = rtc_floor_sec(rtc->clock(rtc->opaque)), diff, ns;

	if (__builtin_sub_overflow(t, host, &diff) ||
	    __builtin_mul_overflow(diff, NSEC_PER_SEC, &ns))
		ns = t < host ? INT64_MIN : INT64_MAX;
	rtc->st.offset_ns = ns;
}

static uint8_t rtc_read(struct rtc *rtc, unsigned int reg)
{
	uint8_t now[RTC_NR_REGS];
	uint8_t v;

	if (rtc_is_clock_reg(reg) && !(rtc->st.reg[RTC_REG_B] & RTC_B_SET)) {
		rtc_fill(rtc, rtc_guest_time(rtc), now);
		return now[reg];
	}
	switch (reg) {
	case RTC_REG_A:
		return rtc->st.reg[reg] & ~RTC_A_UIP;
	case RTC_REG_C:
		v = rtc->st.reg[reg];
		rtc->st.reg[reg] = 0;	/* reading clears the flags */
		return v;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return rtc->st.reg[reg];
	}
}

static void rtc_write_b(struct rtc *rtc, uint8_t v)
{
	uint8_t old = rtc->st.reg[RTC_REG_B];

	if ((v & RTC_B_SET) && !(old & RTC_B_SET)) {
		/* Updates stop: freeze the time in the new format. */
		rtc->st.reg[RTC_REG_B] = v;
		rtc_fill(rtc, rtc_guest_time(rtc), rtc->st.reg);
		return;
	}
	rtc->st.reg[RTC_REG_B] = v;
	if (!(v & RTC_B_SET) && (old & RTC_B_SET))
		rtc_set_time(rtc, rtc_parse(rtc, rtc->st.reg));
}

static void rtc_write(struct rtc *rtc, unsigned int reg, uint8_t v)
{
	uint8_t now[RTC_NR_REGS];

	if (rtc_is_clock_reg(reg)) {
		if (rtc->st.reg[RTC_REG_B] & RTC_B_SET) {
			rtc->st.reg[reg] = v;
			return;
		}
		/* A running clock takes the field at once. */
		rtc_fill(rtc, rtc_guest_time(rtc), now);
		now[reg] = v;
		rtc_set_time(rtc, rtc_parse(rtc, now));
		return;
	}
	switch (reg) {
	case RTC_REG_A:
		rtc->st.reg[reg] = v & ~RTC_A_UIP;
		break;
	case RTC_REG_B:
		rtc_write_b(rtc, v);
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;		/* read-only */
	default:
		rtc->st.reg[reg] = v;
		break;
	}
}

void rtc_io(struct rtc *rtc, unsigned int port, bool is_write, uint8_t *data)
{
	unsigned int reg = rtc->st.index & (RTC_NR_REGS - 1);

	if (port == 0) {
		/* The index port is write-only on a PC; reads float. */
		if (is_write)
			rtc->st.index = *data;
		else
			*data = 0xff;
		return;
	}
	if (is_write)
		rtc_write(rtc, reg, *data);
	else
		*data = rtc_read(rtc, reg);
}

void rtc_init(struct rtc *rtc, rtc_clock_fn clock, void *opaque)
{
	memset(rtc, 0, sizeof(*rtc));
	rtc->clock = clock;
	rtc->opaque = opaque;
	rtc->st.reg[RTC_REG_A] = RTC_A_POWER_ON;
	rtc->st.reg[RTC_REG_B] = RTC_B_POWER_ON;
}

void rtc_reset(struct rtc *rtc)
{
	rtc->st.reg[RTC_REG_B] &= ~RTC_B_IRQ_ENABLES;
	rtc->st.reg[RTC_REG_C] = 0;
}

static void rtc_port_io(void *opaque, uint64_t offset, bool is_write,
			uint8_t *data, uint32_t len)
{
	uint32_t i;

	/* A wider access reaches the next port, as on an 8-bit ISA device. */
	for (i = 0; i < len; i++)
		rtc_io(opaque, (offset + i) & 1, is_write, &data[i]);
}

int rtc_attach(struct rtc *rtc, struct io_bus *bus, uint16_t port)
{
	return io_register_port(bus, port, RTC_NR_PORTS, rtc_port_io, rtc);
}

int rtc_save(const struct rtc *rtc, struct hw_state_out *out)
{
	hw_state_begin(out, RTC_STATE_NAME, RTC_STATE_VERSION);
	hw_put_u8(out, rtc->st.index);
	hw_put_bytes(out, rtc->st.reg, RTC_NR_REGS);
	hw_put_u64(out, (uint64_t)rtc->st.offset_ns);
	return hw_state_end(out);
}

int rtc_load(struct rtc *rtc, const void *buf, size_t len, char *err,
	     size_t errlen)
{
	struct rtc_state st = { 0 };
	struct hw_state_in in;
	uint32_t version;
	int r;

	r = hw_state_open(&in, buf, len, RTC_STATE_NAME, RTC_STATE_VERSION,
			  &version, err, errlen);
	if (r)
		return r;
	st.index = hw_get_u8(&in);
	hw_get_bytes(&in, st.reg, RTC_NR_REGS);
	st.offset_ns = (int64_t)hw_get_u64(&in);
	r = hw_state_close(&in);
	if (r)
		return r;
	if (st.reg[RTC_REG_A] & RTC_A_UIP)
		return hw_state_invalid(&in, "register A %#x has UIP set",
					st.reg[RTC_REG_A]);
	if (st.reg[RTC_REG_C])
		return hw_state_invalid(&in, "register C %#x: no interrupt is ever flagged",
					st.reg[RTC_REG_C]);
	if (st.reg[RTC_REG_D] != 0)
		return hw_state_invalid(&in, "register D %#x is not stored",
					st.reg[RTC_REG_D]);
	rtc->st = st;
	return 0;
}

static void rtc_dev_reset(void *dev)
{
	rtc_reset(dev);
}

static int rtc_dev_save(void *dev, struct hw_state_out *out)
{
	return rtc_save(dev, out);
}

static int rtc_dev_load(void *dev, const void *buf, size_t len, char *err,
			size_t errlen)
{
	return rtc_load(dev, buf, len, err, errlen);
}

const struct hw_device_ops rtc_device_ops = {
	.name = RTC_STATE_NAME,
	.reset = rtc_dev_reset,
	.save = rtc_dev_save,
	.load = rtc_dev_load,
	.snap_since_minor = 1,
};
