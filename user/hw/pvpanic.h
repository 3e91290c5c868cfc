/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's pvpanic device, one byte port (the board puts it at 0x505, its
 * ISA place, and the DSDT describes it as ACPI device QEMU0001, which
 * Linux's pvpanic-mmio driver binds to): reading gives the events it
 * takes, PANICKED (bit 0) and CRASH_LOADED (bit 1); the guest writes one
 * from its panic notifier (Linux's drivers/misc/pvpanic: PANICKED, or
 * CRASH_LOADED when a kdump kernel will take over). Vessel ends the machine
 * on PANICKED, after the guest has printed its panic; CRASH_LOADED is
 * ignored: the crash kernel runs. No state.
 */
#ifndef VESSEL_HW_PVPANIC_H
#define VESSEL_HW_PVPANIC_H

#include <stdint.h>

#define PVPANIC_PANICKED	(1U << 0)
#define PVPANIC_CRASH_LOADED	(1U << 1)
#define PVPANIC_EVENTS		(PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

typedef void (*pvpanic_fn)(void *opaque);

struct pvpanic {
	pvpanic_fn panicked;
	void *opaque;
};

struct io_bus;
/* Put the port on @bus at @port. 0 or io_register_port()'s error. */
int pvpanic_attach(struct pvpanic *pp, struct io_bus *bus, uint16_t port,
		   pvpanic_fn fn, void *opaque);

#endif /* VESSEL_HW_PVPANIC_H */
