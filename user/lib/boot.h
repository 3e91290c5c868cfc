/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Put a vCPU into the state a guest image loader asked for.  Kept apart
 * from libvessel.h so that users of the bare ioctl wrappers need not pull
 * in the loader.
 */
#ifndef VESSEL_BOOT_H
#define VESSEL_BOOT_H

#include "libvessel.h"
#include "loader.h"

/*
 * Read @vcpu's state, replace its general-purpose, segment and control
 * registers with those @boot describes (real mode, 32-bit flat protected
 * mode or long mode; see struct vessel_boot) and write them back. Other
 * parts (MSRs, FPU, ...) keep what the kernel gave the new vCPU.
 * Returns 0 or -errno, with errno set.
 */
int vessel_vcpu_set_boot_state(struct vessel_vcpu *vcpu,
			       const struct vessel_boot *boot);

#endif /* VESSEL_BOOT_H */
