/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvessel: a thin wrapper around the /dev/vessel ioctl ABI, shared by the
 * vessel tool and the selftests.
 */
#ifndef LIBVESSEL_H
#define LIBVESSEL_H

#include <stdint.h>
#include <vessel.h>

#define VESSEL_DEVICE	"/dev/vessel"

/* The oldest module API this library can drive. */
#define LIBVESSEL_MIN_API	1

struct vessel_sys {
	int fd;
	int api_version;
	struct vessel_caps caps;
};

/*
 * Open /dev/vessel, check the API version and read the capabilities.
 * Returns 0 or -errno; on error @err (if non-NULL) holds one line for the user.
 */
int vessel_sys_open(struct vessel_sys *sys, char *err, size_t errlen);
void vessel_sys_close(struct vessel_sys *sys);

/* Name of a VESSEL_CAP_* bit, or NULL. */
const char *vessel_cap_name(uint64_t bit);

#endif /* LIBVESSEL_H */
