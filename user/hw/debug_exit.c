// SPDX-License-Identifier: GPL-2.0
/*
 * QEMU's isa-debug-exit (see debug_exit.h).
 */
#include <string.h>

#include "bus.h"
#include "debug_exit.h"

static void debug_exit_io(void *opaque, uint64_t offset, bool is_write,
			  uint8_t *data, uint32_t len)
{
	struct debug_exit *d = opaque;
	uint32_t code = 0;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	/* The bus only hands us accesses inside our 4 bytes. */
	memcpy((uint8_t *)&code + offset, data, len);
	d->exit(d->opaque, ((code << 1) | 1) & 0xff);
}

int debug_exit_attach(struct debug_exit *d, struct io_bus *bus, uint16_t port,
		      debug_exit_fn exit, void *opaque)
{
	d->exit = exit;
	d->opaque = opaque;
	return io_register_port(bus, port, DEBUG_EXIT_LEN, debug_exit_io, d);
}
