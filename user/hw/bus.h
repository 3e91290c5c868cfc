/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port-I/O and MMIO dispatch, as in kvmtool: devices register a handler
 * for a range of ports or guest-physical addresses, and each exit to
 * userspace is routed to the handler whose range holds the access.
 *
 * Ranges never overlap. An access belongs to a range only if it lies in it
 * entirely; anything else is unclaimed, as on a bus where nothing decodes
 * the address: reads return all-ones, writes are dropped, and both are
 * counted so that `vessel run --stats` can show what a guest probed.
 */
#ifndef VESSEL_HW_BUS_H
#define VESSEL_HW_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IO_PORT_LAST	0xffffU		/* x86 has 64 Ki ports */

/*
 * One guest access of @len bytes (1..8) at @offset from the start of the
 * handler's range. @data is little-endian, as the guest sees memory: a
 * write's value, or room for a read's, which the handler must fill.
 */
typedef void (*io_handler_fn)(void *opaque, uint64_t offset, bool is_write,
			      uint8_t *data, uint32_t len);

struct io_range {
	uint64_t base;
	uint64_t last;		/* inclusive, so a range may end at 2^64 - 1 */
	io_handler_fn handler;
	void *opaque;
};

/* One address space: ports or guest-physical memory. */
struct io_space {
	uint64_t last;		/* highest address in the space */
	struct io_range *ranges;	/* sorted by base, disjoint */
	size_t nr;
	size_t max;
	uint64_t unclaimed_reads;
	uint64_t unclaimed_writes;
};

struct io_bus {
	struct io_space port;
	struct io_space mmio;
};

void io_bus_init(struct io_bus *bus);
void io_bus_free(struct io_bus *bus);

/*
 * Claim [@base, @base + @len) for @handler. Returns 0, -EINVAL for an
 * empty range or one beyond the space, -EEXIST if it overlaps a range
 * already registered, or -ENOMEM.
 */
int io_register_port(struct io_bus *bus, uint16_t base, uint32_t len,
		     io_handler_fn handler, void *opaque);
int io_register_mmio(struct io_bus *bus, uint64_t gpa, uint64_t len,
		     io_handler_fn handler, void *opaque);

/*
 * Route one access of @len bytes at @data (see io_handler_fn). Returns
 * whether a handler claimed it.
 */
bool io_port_dispatch(struct io_bus *bus, uint16_t port, bool is_write,
		      uint32_t len, uint8_t *data);
bool io_mmio_dispatch(struct io_bus *bus, uint64_t gpa, bool is_write,
		      uint32_t len, uint8_t *data);

#endif /* VESSEL_HW_BUS_H */
