// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the saturating time arithmetic (kmod/timemath.h):
 * exact where the result fits, checked against 128-bit arithmetic, and
 * the largest value (never a trap or a wrap) where it does not, at the
 * extreme inputs 0, 1, 2^32-1, 2^63 and 2^64-1 and at the TSC rates of
 * slow emulators and fast CPUs.
 */
#include "timemath.h"
#include "tap.h"

static const u64 extremes[] = { 0, 1, 0xffffffffULL, 1ULL << 62, 1ULL << 63,
				~0ULL };
/* kHz: 1 MHz, Bochs-like, 1 GHz, a 5 GHz CPU, the largest u32. */
static const u32 rates[] = { 1000, 49999, 1000000, 5000000, 0xffffffffU };

/* The exact value, saturated, from 128-bit arithmetic. */
static u64 ref_mul_div(u64 a, u32 mul, u32 div, bool up)
{
	unsigned __int128 p = (unsigned __int128)a * mul;
	unsigned __int128 q = (p + (up ? div - 1 : 0)) / div;

	return q >> 64 ? ~0ULL : (u64)q;
}

static void test_add_mul(void)
{
	CHECK_EQ(vessel_add_sat(1, 2), 3);
	CHECK_EQ(vessel_add_sat(~0ULL, 0), ~0ULL);
	CHECK_EQ(vessel_add_sat(~0ULL, 1), ~0ULL);
	CHECK_EQ(vessel_add_sat(1ULL << 63, 1ULL << 63), ~0ULL);
	CHECK_EQ(vessel_add_sat((1ULL << 63) - 1, 1ULL << 63), ~0ULL);
	CHECK_EQ(vessel_mul_sat(0, ~0ULL), 0);
	CHECK_EQ(vessel_mul_sat(0xffffffffULL, 0xffffffffULL),
		 0xfffffffe00000001ULL);
	CHECK_EQ(vessel_mul_sat(1ULL << 32, 1ULL << 32), ~0ULL);
	/* The Hyper-V reference time's 100 ns units. */
	CHECK_EQ(vessel_mul_sat(1ULL << 63, 100), ~0ULL);
	CHECK_EQ(vessel_mul_sat(~0ULL / 100, 100), ~0ULL / 100 * 100);
	CHECK_EQ(vessel_mul_sat(~0ULL / 100 + 1, 100), ~0ULL);
}

static void test_conversions(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(extremes); i++) {
		for (j = 0; j < ARRAY_SIZE(rates); j++) {
			u64 v = extremes[i];
			u32 khz = rates[j];

			CHECK_EQ(vessel_ns_to_tsc(v, khz),
				 ref_mul_div(v, khz, 1000000, false));
			CHECK_EQ(vessel_tsc_to_ns(v, khz),
				 ref_mul_div(v, 1000000, khz, true));
			CHECK_EQ(vessel_tsc_to_ns(v + 12345, khz),
				 ref_mul_div(v + 12345, 1000000, khz, true));
		}
	}
	/* The case: 2^62 ticks at 50 MHz do not fit in ns. */
	CHECK_EQ(vessel_tsc_to_ns(1ULL << 62, 50000), ~0ULL);
	/* Rounded up: one tick is never 0 ns, 1 ns of TSC is 0 ticks at 1 MHz. */
	CHECK_EQ(vessel_tsc_to_ns(1, 5000000), 1);
	CHECK_EQ(vessel_ns_to_tsc(1, 1000), 0);
	CHECK_EQ(vessel_tsc_to_ns(3, 1000000), 3);
	CHECK_EQ(vessel_ns_to_tsc(~0ULL, 5000000), ~0ULL);
	/* An unknown rate (0 kHz) is no #DE: the wait is "never". */
	CHECK_EQ(vessel_tsc_to_ns(1, 0), ~0ULL);
	CHECK_EQ(vessel_ns_to_tsc(1, 0), 0);
}

static void test_ktime_after(void)
{
	const s64 max = VESSEL_KTIME_MAX;

	CHECK_EQ(vessel_ktime_after_ns(0, 0), 0);
	CHECK_EQ(vessel_ktime_after_ns(1000, 1), 1001);
	CHECK_EQ(vessel_ktime_after_ns(1000, 1ULL << 63), max);
	CHECK_EQ(vessel_ktime_after_ns(1000, ~0ULL), max);
	CHECK_EQ(vessel_ktime_after_ns(1000, (u64)max - 1000), max);
	CHECK_EQ(vessel_ktime_after_ns(1000, (u64)max - 1001), max - 1);
	CHECK_EQ(vessel_ktime_after_ns(max, 1), max);
	CHECK_EQ(vessel_ktime_after_ns(max - 1, 0xffffffffULL), max);
	CHECK(vessel_ktime_after_ns(1ULL << 40, 1) > (s64)(1ULL << 40));
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_add_mul),
		TAP_TEST(test_conversions),
		TAP_TEST(test_ktime_after),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
