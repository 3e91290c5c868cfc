// SPDX-License-Identifier: GPL-2.0
/*
 * Port-I/O and MMIO dispatch: a sorted array of disjoint ranges per address
 * space, searched by bisection. A VM has a handful of devices, so an array
 * beats a tree for both code size and speed.
 *
 * All range ends are inclusive so that no sum can wrap, even for an MMIO
 * range that ends at the top of the 64-bit space.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

static void io_space_init(struct io_space *space, uint64_t last)
{
	memset(space, 0, sizeof(*space));
	space->last = last;
}

void io_bus_init(struct io_bus *bus)
{
	io_space_init(&bus->port, IO_PORT_LAST);
	io_space_init(&bus->mmio, UINT64_MAX);
}

void io_bus_free(struct io_bus *bus)
{
	free(bus->port.ranges);
	free(bus->mmio.ranges);
	io_bus_init(bus);
}

/* Index of the first range whose base is above @addr (0..nr). */
static size_t io_space_upper(const struct io_space *space, uint64_t addr)
{
	size_t lo = 0, hi = space->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (space->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int io_space_grow(struct io_space *space)
{
	size_t max = space->max ? 2 * space->max : 8;
	struct io_range *ranges;

	ranges = realloc(space->ranges, max * sizeof(*ranges));
	if (!ranges)
		return -ENOMEM;
	space->ranges = ranges;
	space->max = max;
	return 0;
}

static int io_space_register(struct io_space *space, uint64_t base,
			     uint64_t len, io_handler_fn handler, void *opaque)
{
	uint64_t last;
	size_t i;
	int r;

	if (!len || base > space->last || len - 1 > space->last - base)
		return -EINVAL;
	last = base + (len - 1);

	/* Only the neighbours on either side of the slot can overlap. */
	i = io_space_upper(space, base);
	if (i > 0 && space->ranges[i - 1].last >= base)
		return -EEXIST;
	if (i < space->nr && space->ranges[i].base <= last)
		return -EEXIST;

	if (space->nr == space->max) {
		r = io_space_grow(space);
		if (r)
			return r;
	}
	memmove(&space->ranges[i + 1], &space->ranges[i],
		(space->nr - i) * sizeof(space->ranges[0]));
	space->ranges[i] = (struct io_range) {
		.base = base,
		.last = last,
		.handler = handler,
		.opaque = opaque,
	};
	space->nr++;
	return 0;
}

int io_register_port(struct io_bus *bus, uint16_t base, uint32_t len,
		     io_handler_fn handler, void *opaque)
{
	return io_space_register(&bus->port, base, len, handler, opaque);
}

int io_register_mmio(struct io_bus *bus, uint64_t gpa, uint64_t len,
		     io_handler_fn handler, void *opaque)
{
	return io_space_register(&bus->mmio, gpa, len, handler, opaque);
}

/* The range holding all of [addr, addr + len), or NULL. */
static const struct io_range *io_space_find(const struct io_space *space,
					    uint64_t addr, uint32_t len)
{
	const struct io_range *r;
	size_t i = io_space_upper(space, addr);

	if (!i || !len)
		return NULL;
	r = &space->ranges[i - 1];
	if (addr > r->last || len - 1 > r->last - addr)
		return NULL;
	return r;
}

static bool io_space_dispatch(struct io_space *space, uint64_t addr,
			      bool is_write, uint32_t len, uint8_t *data)
{
	const struct io_range *r = io_space_find(space, addr, len);

	if (r) {
		r->handler(r->opaque, addr - r->base, is_write, data, len);
		return true;
	}
	if (is_write) {
		space->unclaimed_writes++;
	} else {
		space->unclaimed_reads++;
		memset(data, 0xff, len);	/* an undriven bus floats high */
	}
	return false;
}

bool io_port_dispatch(struct io_bus *bus, uint16_t port, bool is_write,
		      uint32_t len, uint8_t *data)
{
	return io_space_dispatch(&bus->port, port, is_write, len, data);
}

bool io_mmio_dispatch(struct io_bus *bus, uint64_t gpa, bool is_write,
		      uint32_t len, uint8_t *data)
{
	return io_space_dispatch(&bus->mmio, gpa, is_write, len, data);
}
