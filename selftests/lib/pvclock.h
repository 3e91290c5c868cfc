/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvclock structures kvmclock shares with the guest, and the guest's
 * read of them.  asm/pvclock-abi.h is not uapi: the same layouts here.
 */
#ifndef SELFTEST_PVCLOCK_H
#define SELFTEST_PVCLOCK_H

#include <stdint.h>

#include "processor.h"
#include "vessel_util.h"

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __packed;

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __packed;

static inline uint64_t pvclock_scale(uint64_t delta, uint32_t mul,
				     int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((__uint128_t)delta * mul) >> 32);
}

/* Linux's pvclock_clocksource_read; *@tsc (if given) gets the TSC used. */
static inline uint64_t pvclock_read(const struct pvclock_vcpu_time_info *p,
				    uint64_t *tsc)
{
	uint64_t ns, t;
	uint32_t v;

	do {
		v = READ_ONCE(p->version);
		asm volatile("" ::: "memory");
		t = rdtsc();
		ns = READ_ONCE(p->system_time) +
		     pvclock_scale(t - READ_ONCE(p->tsc_timestamp),
				   READ_ONCE(p->tsc_to_system_mul),
				   READ_ONCE(p->tsc_shift));
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != READ_ONCE(p->version));
	if (tsc)
		*tsc = t;
	return ns;
}

#endif /* SELFTEST_PVCLOCK_H */
