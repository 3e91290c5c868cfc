/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: saturating time arithmetic, for every timer whose inputs a guest
 * or the VMM controls (the local APIC timer, the Hyper-V synthetic timers).
 *
 * A deadline, count or period from outside can be any 64-bit value.  The
 * conversions here never trap (no DIV whose quotient can overflow: the
 * kernel's mul_u64_u32_div() is MUL;DIV on x86-64 and raises #DE) and
 * never wrap: a result too large to represent becomes the largest value,
 * which as a timer expiry means "never" (KTIME_MAX is 292 years of uptime).
 * Pure logic, also built into a host unit test (tests/unit/test_timemath.c).
 */
#ifndef VESSEL_TIMEMATH_H
#define VESSEL_TIMEMATH_H

#include "pure_types.h"

#define VESSEL_TIME_MAX		(~0ULL)
/* KTIME_MAX, for the host test too. */
#define VESSEL_KTIME_MAX	((s64)(~0ULL >> 1))

/*
 * A periodic timer faster than this would keep a host CPU busy delivering
 * it: the APIC timer's and the synthetic timers' shortest period.
 */
#define VESSEL_MIN_PERIOD_NS	100000ULL

static inline u64 vessel_add_sat(u64 a, u64 b)
{
	u64 r;

	return __builtin_add_overflow(a, b, &r) ? VESSEL_TIME_MAX : r;
}

static inline u64 vessel_mul_sat(u64 a, u64 b)
{
	u64 r;

	return __builtin_mul_overflow(a, b, &r) ? VESSEL_TIME_MAX : r;
}

/*
 * @a * @mul / @div, rounded down (or up with @up), or VESSEL_TIME_MAX when
 * it does not fit (or @div is 0).  As (q * div + r) * mul / div with
 * q = a / div: q * mul exactly, plus r * mul / div, which cannot overflow
 * as r < div and both are 32-bit.
 */
static inline u64 __vessel_mul_div_sat(u64 a, u32 mul, u32 div, bool up)
{
	u64 q, r;

	if (!div)
		return VESSEL_TIME_MAX;
	q = a / div;
	r = a % div;
	return vessel_add_sat(vessel_mul_sat(q, mul),
			      (r * mul + (up ? div - 1 : 0)) / div);
}

/* Host TSC ticks in @ns at @khz; rounded down. */
static inline u64 vessel_ns_to_tsc(u64 ns, u32 khz)
{
	return __vessel_mul_div_sat(ns, khz, 1000000, false);
}

/*
 * Nanoseconds for @tsc ticks at @khz, rounded up: a timer armed for them
 * does not expire before the TSC has moved @tsc ticks.
 */
static inline u64 vessel_tsc_to_ns(u64 tsc, u32 khz)
{
	return __vessel_mul_div_sat(tsc, 1000000, khz, true);
}

/*
 * The absolute expiry @ns after @now (a ktime_t, not negative), at most
 * KTIME_MAX: unlike ktime_add_ns(), it never wraps into the past.
 */
static inline s64 vessel_ktime_after_ns(s64 now, u64 ns)
{
	if (ns >= (u64)(VESSEL_KTIME_MAX - now))
		return VESSEL_KTIME_MAX;
	return now + (s64)ns;
}

#endif /* VESSEL_TIMEMATH_H */
