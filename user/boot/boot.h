/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a loaded image needs besides its bytes in RAM: the boot CPU's
 * registers, and the firmware tables that describe the machine. Pure
 * functions of their arguments, as all of boot/ is: the machine (vmm/)
 * reads and writes the vCPU.
 */
#ifndef VESSEL_BOOT_H
#define VESSEL_BOOT_H

#include <stddef.h>
#include <vessel.h>

#include "loader.h"
#include "platform.h"

/*
 * Replace the general-purpose, segment and control registers in @state
 * (VESSEL_STATE_GPRS, SEGS and CRS) with those @boot describes: real
 * mode, 32-bit flat protected mode or long mode (see struct vessel_boot).
 * CR2, CR8 and XCR0 keep what @state holds, which should be what the
 * kernel gave the new vCPU. Returns 0, or -EINVAL (and @state unchanged)
 * when @boot names a selector its GDT does not have.
 */
int vessel_boot_cpu_state(const struct vessel_boot *boot,
			  struct vessel_vcpu_state *state);

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
