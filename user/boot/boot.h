/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Put a vCPU into the state a guest image loader asked for.  Kept apart
 * from libvessel.h so that users of the bare ioctl wrappers need not pull
 * in the loader.
 */
#ifndef VESSEL_BOOT_H
#define VESSEL_BOOT_H

#include <stddef.h>

#include "lib/libvessel.h"
#include "loader.h"
#include "platform.h"

/*
 * Read @vcpu's state, replace its general-purpose, segment and control
 * registers with those @boot describes (real mode, 32-bit flat protected
 * mode or long mode; see struct vessel_boot) and write them back. Other
 * parts (MSRs, FPU, ...) keep what the kernel gave the new vCPU.
 * Returns 0 or -errno, with errno set.
 */
int vessel_vcpu_set_boot_state(struct vessel_vcpu *vcpu,
			       const struct vessel_boot *boot);

/*
 * Firmware tables for a VM with an in-kernel APIC: write the MP tables
 * (floating pointer first) and then the ACPI tables (RSDP first), both
 * describing @p, into the BIOS area at PLATFORM_TABLES_BASE, where guests
 * scan for them. Loaders never put boot data there; @boot (the image as
 * loaded) is checked not to overlap. Returns 0, or -EINVAL (bad @p),
 * -ENOSPC (RAM ends below 1 MiB, or the image is in the way) with one line
 * in @err (@errlen bytes, may be 0).
 */
int vessel_boot_write_tables(void *ram, uint64_t ram_size,
			     const struct vessel_boot *boot,
			     const struct vessel_platform *p,
			     char *err, size_t errlen);

#endif /* VESSEL_BOOT_H */
