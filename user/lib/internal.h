/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What libvessel's files share: the one place that calls ioctl().
 */
#ifndef LIBVESSEL_INTERNAL_H
#define LIBVESSEL_INTERNAL_H

#include <errno.h>
#include <sys/ioctl.h>

/* ioctl() returns -1 with errno; turn that into -errno, keeping errno. */
static inline int vessel_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

/* 0 for any success: for ioctls whose positive result means nothing. */
static inline int vessel_ioctl0(int fd, unsigned long req, void *arg)
{
	int r = vessel_ioctl(fd, req, arg);

	return r < 0 ? r : 0;
}

#endif /* LIBVESSEL_INTERNAL_H */
