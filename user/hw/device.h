/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every device model offers the machine that holds it: reset, save
 * and load, through one table per model, so that the VMM resets, saves
 * and restores its devices in one loop without knowing them.
 *
 * A model keeps its state in a plain struct of its own (no pointers, no
 * host resources), which save and load serialise in the record format of
 * state.h; the wiring (callbacks, the bus, links to the host) is set up
 * once and kept by all three.
 */
#ifndef VESSEL_HW_DEVICE_H
#define VESSEL_HW_DEVICE_H

#include <stddef.h>

#include "state.h"

struct hw_device_ops {
	/* The record name in saved state, under 16 bytes. */
	const char *name;
	/* Back to power-on. NULL: a reset leaves the device as it is. */
	void (*reset)(void *dev);
	/* Append the state as one record. Returns 0 or -ENOMEM. */
	int (*save)(void *dev, struct hw_state_out *out);
	/*
	 * Replace the state with the record in [@buf, @buf + @len). Returns
	 * 0, or -EINVAL with one line in @err and the device unchanged.
	 */
	int (*load)(void *dev, const void *buf, size_t len, char *err,
		    size_t errlen);
	/*
	 * The snapshot format minor that first saved this device (0: since
	 * 1.0). A file of an older minor has no record for it, and the
	 * device keeps its power-on state.
	 */
	unsigned int snap_since_minor;
};

#endif /* VESSEL_HW_DEVICE_H */
