// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the port-I/O and MMIO registry of `vessel run`:
 * overlap rejection, lookup at the very edges of ranges and of the address
 * spaces, and what happens to accesses nobody claims.
 */
#include <errno.h>

#include "tap.h"
#include "hw/bus.h"

/* The last access a handler saw. */
struct access {
	unsigned int calls;
	uint64_t offset;
	bool is_write;
	uint32_t len;
	uint8_t data[8];
};

static void record(void *opaque, uint64_t offset, bool is_write,
		   uint8_t *data, uint32_t len)
{
	struct access *a = opaque;

	a->calls++;
	a->offset = offset;
	a->is_write = is_write;
	a->len = len;
	if (is_write)
		memcpy(a->data, data, len);
	else
		memset(data, 0x5a, len);	/* a device answering reads */
}

static struct io_bus bus;
static struct access dev_a, dev_b;

static void reset(void)
{
	io_bus_free(&bus);
	io_bus_init(&bus);
	memset(&dev_a, 0, sizeof(dev_a));
	memset(&dev_b, 0, sizeof(dev_b));
}

static bool port_read(uint16_t port, uint32_t len, uint64_t *val)
{
	uint8_t data[8] = { 0 };
	bool claimed = io_port_dispatch(&bus, port, false, len, data);

	*val = 0;
	memcpy(val, data, len);		/* x86 hosts: little-endian */
	return claimed;
}

static void test_lookup_at_range_edges(void)
{
	uint64_t val;

	reset();
	CHECK_EQ(io_register_port(&bus, 0x3f8, 8, record, &dev_a), 0);
	CHECK(port_read(0x3f8, 1, &val));
	CHECK_EQ(dev_a.offset, 0);
	CHECK_EQ(val, 0x5a);
	CHECK(port_read(0x3ff, 1, &val));
	CHECK_EQ(dev_a.offset, 7);
	CHECK(port_read(0x3fc, 4, &val));	/* the last four bytes */
	CHECK_EQ(dev_a.offset, 4);
	CHECK_EQ(dev_a.len, 4);
	CHECK_EQ(val, 0x5a5a5a5a);
	CHECK_EQ(dev_a.calls, 3);
	CHECK(!port_read(0x3f7, 1, &val));	/* one below */
	CHECK(!port_read(0x400, 1, &val));	/* one above */
	CHECK_EQ(dev_a.calls, 3);
}

static void test_straddling_access_is_unclaimed(void)
{
	uint64_t val;

	reset();
	CHECK_EQ(io_register_port(&bus, 0x3f8, 8, record, &dev_a), 0);
	CHECK(!port_read(0x3ff, 2, &val));
	CHECK_EQ(val, 0xffff);
	CHECK(!port_read(0x3f6, 4, &val));
	CHECK_EQ(dev_a.calls, 0);
}

static void test_write_reaches_handler(void)
{
	uint8_t data[4] = { 0x2a, 0, 0, 0 };

	reset();
	CHECK_EQ(io_register_port(&bus, 0xf4, 4, record, &dev_a), 0);
	CHECK(io_port_dispatch(&bus, 0xf4, true, 4, data));
	CHECK_EQ(dev_a.calls, 1);
	CHECK(dev_a.is_write);
	CHECK_EQ(dev_a.len, 4);
	CHECK_EQ(dev_a.data[0], 0x2a);
	CHECK_EQ(bus.port.unclaimed_writes, 0);
}

static void test_overlap_rejected(void)
{
	reset();
	CHECK_EQ(io_register_port(&bus, 0x10, 0x10, record, &dev_a), 0);
	CHECK_EQ(io_register_port(&bus, 0x1f, 1, record, &dev_b), -EEXIST);
	CHECK_EQ(io_register_port(&bus, 0x0f, 2, record, &dev_b), -EEXIST);
	CHECK_EQ(io_register_port(&bus, 0x12, 2, record, &dev_b), -EEXIST);
	CHECK_EQ(io_register_port(&bus, 0x00, 0x100, record, &dev_b), -EEXIST);
	CHECK_EQ(io_register_port(&bus, 0x10, 0x10, record, &dev_b), -EEXIST);
	/* Touching is not overlapping. */
	CHECK_EQ(io_register_port(&bus, 0x20, 4, record, &dev_b), 0);
	CHECK_EQ(io_register_port(&bus, 0x0c, 4, record, &dev_b), 0);
	CHECK_EQ(bus.port.nr, 3);
}

static void test_bad_ranges_rejected(void)
{
	reset();
	CHECK_EQ(io_register_port(&bus, 0x80, 0, record, &dev_a), -EINVAL);
	CHECK_EQ(io_register_port(&bus, 0xffff, 2, record, &dev_a), -EINVAL);
	CHECK_EQ(io_register_port(&bus, 0, 0x10001, record, &dev_a), -EINVAL);
	CHECK_EQ(io_register_port(&bus, 0xffff, 1, record, &dev_a), 0);
	CHECK_EQ(io_register_mmio(&bus, UINT64_MAX, 2, record, &dev_b), -EINVAL);
	CHECK_EQ(io_register_mmio(&bus, 0x1000, 0, record, &dev_b), -EINVAL);
	CHECK_EQ(bus.mmio.nr, 0);
}

static void test_port_space_top(void)
{
	uint64_t val;

	reset();
	CHECK_EQ(io_register_port(&bus, 0xfffc, 4, record, &dev_a), 0);
	CHECK(port_read(0xffff, 1, &val));
	CHECK_EQ(dev_a.offset, 3);
	CHECK(!port_read(0xffff, 2, &val));	/* would run past the space */
}

static void test_mmio_space_top(void)
{
	uint8_t data[8] = { 0 };

	reset();
	CHECK_EQ(io_register_mmio(&bus, UINT64_MAX - 0xfff, 0x1000, record,
				  &dev_a), 0);
	CHECK(io_mmio_dispatch(&bus, UINT64_MAX, false, 1, data));
	CHECK_EQ(dev_a.offset, 0xfff);
	CHECK(!io_mmio_dispatch(&bus, UINT64_MAX, false, 2, data));
	CHECK(io_mmio_dispatch(&bus, UINT64_MAX - 7, true, 8, data));
	CHECK_EQ(dev_a.offset, 0xff8);
	CHECK_EQ(dev_a.len, 8);
}

static void test_unclaimed_counted_per_direction(void)
{
	uint8_t data[8];

	reset();
	CHECK_EQ(io_register_mmio(&bus, 0xfee00000, 0x1000, record, &dev_a), 0);

	memset(data, 0, sizeof(data));
	CHECK(!io_port_dispatch(&bus, 0x80, false, 4, data));
	CHECK_EQ(data[0] & data[1] & data[2] & data[3], 0xff);
	CHECK_EQ(data[4], 0);			/* nothing past the access */
	CHECK(!io_port_dispatch(&bus, 0x80, true, 1, data));
	CHECK(!io_port_dispatch(&bus, 0x81, true, 2, data));
	CHECK_EQ(bus.port.unclaimed_reads, 1);
	CHECK_EQ(bus.port.unclaimed_writes, 2);

	memset(data, 0x11, sizeof(data));
	CHECK(!io_mmio_dispatch(&bus, 0xfedfffff, true, 1, data));
	CHECK_EQ(data[0], 0x11);		/* writes leave data alone */
	CHECK(!io_mmio_dispatch(&bus, 0xfee01000, false, 8, data));
	CHECK_EQ(data[7], 0xff);
	CHECK_EQ(bus.mmio.unclaimed_reads, 1);
	CHECK_EQ(bus.mmio.unclaimed_writes, 1);

	/* Spaces are separate, and claimed accesses are not counted. */
	CHECK_EQ(bus.port.unclaimed_reads, 1);
	CHECK(io_mmio_dispatch(&bus, 0xfee00000, false, 4, data));
	CHECK_EQ(bus.mmio.unclaimed_reads, 1);
	CHECK_EQ(dev_a.calls, 1);
}

/* Registration in any order must still find every range (sorting, growth). */
static void test_many_ranges_any_order(void)
{
	static struct access devs[40];
	uint8_t data[2];
	unsigned int i, slot;

	reset();
	memset(devs, 0, sizeof(devs));
	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		slot = (i * 7) % ARRAY_SIZE(devs);	/* 7 is coprime to 40 */
		CHECK_EQ(io_register_port(&bus, 0x100 + slot * 4, 4, record,
					  &devs[slot]), 0);
	}
	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		CHECK(io_port_dispatch(&bus, 0x100 + i * 4 + 2, false, 2, data));
		CHECK_EQ(devs[i].calls, 1);
		CHECK_EQ(devs[i].offset, 2);
	}
}

static const struct tap_test tests[] = {
	TAP_TEST(test_lookup_at_range_edges),
	TAP_TEST(test_straddling_access_is_unclaimed),
	TAP_TEST(test_write_reaches_handler),
	TAP_TEST(test_overlap_rejected),
	TAP_TEST(test_bad_ranges_rejected),
	TAP_TEST(test_port_space_top),
	TAP_TEST(test_mmio_space_top),
	TAP_TEST(test_unclaimed_counted_per_direction),
	TAP_TEST(test_many_ranges_any_order),
};

int main(void)
{
	int r;

	io_bus_init(&bus);
	r = tap_run(tests, TAP_COUNT(tests));
	io_bus_free(&bus);
	return r;
}
