// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's pvpanic device (see pvpanic.h).
 */
#include "bus.h"
#include "pvpanic.h"

static void pvpanic_io(void *opaque, uint64_t offset, bool is_write,
		       uint8_t *data, uint32_t len)
{
	struct pvpanic *pp = opaque;

	/* One byte register: the bus hands over only accesses to it. */
	if (offset || len != 1)
		return;
	if (!is_write)
		*data = PVPANIC_EVENTS;
	else if (*data & PVPANIC_PANICKED)
		pp->panicked(pp->opaque);
}

int pvpanic_attach(struct pvpanic *pp, struct io_bus *bus, uint16_t port,
		   pvpanic_fn fn, void *opaque)
{
	pp->panicked = fn;
	pp->opaque = opaque;
	return io_register_port(bus, port, 1, pvpanic_io, pp);
}
