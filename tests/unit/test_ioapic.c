// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the I/O APIC model, driven the way a guest would:
 * IOREGSEL/IOWIN accesses through ioapic_mmio(), lines from devices and
 * EOIs from the local APIC. Every MSI the model sends is recorded.
 */
#include <errno.h>

#include "hw/bus.h"
#include "hw/ioapic.h"
#include "state_check.h"
#include "tap.h"

static struct ioapic io;
static struct vessel_msi sent[16];
static unsigned int nr_sent;
static int deliver_ret;

static int record(void *opaque, const struct vessel_msi *msi)
{
	if (opaque == &nr_sent && nr_sent < ARRAY_SIZE(sent))
		sent[nr_sent++] = *msi;
	return deliver_ret;
}

static void reset(void)
{
	ioapic_init(&io, 3, record, &nr_sent);
	nr_sent = 0;
	deliver_ret = 0;
}

static void wr32(uint64_t offset, uint32_t val)
{
	uint8_t b[4];

	memcpy(b, &val, 4);
	ioapic_mmio(&io, offset, true, b, 4);
}

static uint32_t rd32(uint64_t offset)
{
	uint32_t val;
	uint8_t b[4];

	ioapic_mmio(&io, offset, false, b, 4);
	memcpy(&val, b, 4);
	return val;
}

static uint32_t reg_read(uint8_t reg)
{
	wr32(IOAPIC_REGSEL, reg);
	return rd32(IOAPIC_WIN);
}

static int reg_write(uint8_t reg, uint32_t val)
{
	uint8_t b[4];

	wr32(IOAPIC_REGSEL, reg);
	memcpy(b, &val, 4);
	return ioapic_mmio(&io, IOAPIC_WIN, true, b, 4);
}

static void rte_write(unsigned int pin, uint64_t rte)
{
	reg_write(IOAPIC_REG_REDTBL + 2 * pin + 1, rte >> 32);
	reg_write(IOAPIC_REG_REDTBL + 2 * pin, (uint32_t)rte);
}

static uint64_t rte_read(unsigned int pin)
{
	return (uint64_t)reg_read(IOAPIC_REG_REDTBL + 2 * pin + 1) << 32 |
	       reg_read(IOAPIC_REG_REDTBL + 2 * pin);
}

static void test_id_version_arbitration(void)
{
	reset();
	CHECK_EQ(reg_read(IOAPIC_REG_ID), 3U << 24);
	/* 24 entries: maximum redirection entry 23 in bits 23:16. */
	CHECK_EQ(reg_read(IOAPIC_REG_VER), 0x00170011);
	CHECK_EQ(reg_read(IOAPIC_REG_ARB), 3U << 24);
	CHECK_EQ(reg_write(IOAPIC_REG_ID, 0xf5000000), 0);
	CHECK_EQ(reg_read(IOAPIC_REG_ID), 5U << 24);	/* 4-bit ID */
	reg_write(IOAPIC_REG_VER, 0);
	CHECK_EQ(reg_read(IOAPIC_REG_VER), 0x00170011);
	reg_write(IOAPIC_REG_ARB, 0);
	CHECK_EQ(reg_read(IOAPIC_REG_ARB), 5U << 24);
	/* IOREGSEL reads back; unimplemented registers read 0. */
	wr32(IOAPIC_REGSEL, 0x42);
	CHECK_EQ(rd32(IOAPIC_REGSEL), 0x42);
	CHECK_EQ(rd32(IOAPIC_WIN), 0);
	CHECK_EQ(reg_read(0x10 + 2 * 24), 0);
	CHECK_EQ(nr_sent, 0);
}

static void test_rte_reset_and_readback(void)
{
	unsigned int pin;

	reset();
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++)
		CHECK_EQ(rte_read(pin), IOAPIC_RTE_MASKED);
	/* Reserved bits 55:17 and the read-only bits 12 and 14 do not stick. */
	rte_write(7, 0xffffffffffffffffULL);
	CHECK_EQ(rte_read(7), 0xff0000000001afffULL);
	rte_write(7, 0x1200000000000931ULL);
	CHECK_EQ(rte_read(7), 0x1200000000000931ULL);
	CHECK_EQ(rte_read(6), IOAPIC_RTE_MASKED);
	CHECK_EQ(rte_read(8), IOAPIC_RTE_MASKED);
	CHECK_EQ(nr_sent, 0);
}

static void test_byte_access(void)
{
	uint8_t b = IOAPIC_REG_VER, out[2];

	reset();
	ioapic_mmio(&io, IOAPIC_REGSEL, true, &b, 1);
	ioapic_mmio(&io, IOAPIC_WIN + 2, false, out, 2);
	CHECK_EQ(out[0], 0x17);
	CHECK_EQ(out[1], 0x00);
	/* A byte write to the low byte of an RTE keeps the rest. */
	rte_write(1, 0x0100000000010020ULL);
	b = IOAPIC_REG_REDTBL + 2;
	ioapic_mmio(&io, IOAPIC_REGSEL, true, &b, 1);
	b = 0x41;
	ioapic_mmio(&io, IOAPIC_WIN, true, &b, 1);
	CHECK_EQ(rte_read(1), 0x0100000000010041ULL);
}

static void test_msi_encoding(void)
{
	struct vessel_msi msi;

	/* Fixed, physical, edge, vector 0x31 to APIC 0x12. */
	ioapic_rte_to_msi(0x1200000000000031ULL, &msi);
	CHECK_EQ(msi.address, 0xfee12000ULL);
	CHECK_EQ(msi.data, 0x4031);
	CHECK_EQ(msi.flags, 0);
	CHECK_EQ(msi.reserved[0] | msi.reserved[1], 0);
	/* Lowest priority, logical, level, active low, vector 0xa9 to 0x0f. */
	ioapic_rte_to_msi(0x0f0000000000a9a9ULL, &msi);
	CHECK_EQ(msi.address, 0xfee0f004ULL);
	CHECK_EQ(msi.data, 0xc1a9);
	/* NMI is edge even if the entry says level. */
	ioapic_rte_to_msi(0x000000000000c402ULL, &msi);
	CHECK_EQ(msi.data, 0x4402);
	/* ExtINT keeps the entry's trigger mode. */
	ioapic_rte_to_msi(0x0000000000000700ULL, &msi);
	CHECK_EQ(msi.data, 0x4700);
}

static void test_edge(void)
{
	reset();
	rte_write(4, 0x0100000000000024ULL);		/* edge, unmasked */
	CHECK_EQ(ioapic_set_irq(&io, 4, true), 0);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent[0].address, 0xfee01000ULL);
	CHECK_EQ(sent[0].data, 0x4024);
	/* Staying high is not a new edge. */
	ioapic_set_irq(&io, 4, true);
	CHECK_EQ(nr_sent, 1);
	ioapic_set_irq(&io, 4, false);
	CHECK_EQ(nr_sent, 1);
	ioapic_set_irq(&io, 4, true);
	CHECK_EQ(nr_sent, 2);
	/* No Remote IRR for edge, and EOI does nothing. */
	CHECK_EQ(rte_read(4) & IOAPIC_RTE_REMOTE_IRR, 0);
	ioapic_eoi(&io, 0x24);
	CHECK_EQ(nr_sent, 2);
	/* Out-of-range pins are ignored. */
	CHECK_EQ(ioapic_set_irq(&io, 24, true), 0);
	CHECK_EQ(nr_sent, 2);
}

static void test_edge_masked_is_lost(void)
{
	reset();
	rte_write(3, IOAPIC_RTE_MASKED | 0x33);
	ioapic_set_irq(&io, 3, true);
	CHECK_EQ(nr_sent, 0);
	rte_write(3, 0x33);			/* unmask while high */
	CHECK_EQ(nr_sent, 0);
	ioapic_set_irq(&io, 3, false);
	ioapic_set_irq(&io, 3, true);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent[0].data & 0xff, 0x33);
}

static void test_level_remote_irr_eoi(void)
{
	reset();
	rte_write(10, IOAPIC_RTE_LEVEL | 0x5a);
	ioapic_set_irq(&io, 10, true);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent[0].data, 0xc05a);
	CHECK(rte_read(10) & IOAPIC_RTE_REMOTE_IRR);
	/* Held by the local APIC: a re-assert or a new level sends nothing. */
	ioapic_set_irq(&io, 10, true);
	CHECK_EQ(nr_sent, 1);
	/* EOI of another vector leaves it alone. */
	ioapic_eoi(&io, 0x5b);
	CHECK(rte_read(10) & IOAPIC_RTE_REMOTE_IRR);
	CHECK_EQ(nr_sent, 1);
	/* EOI while still asserted: sent again. */
	ioapic_eoi(&io, 0x5a);
	CHECK_EQ(nr_sent, 2);
	CHECK(rte_read(10) & IOAPIC_RTE_REMOTE_IRR);
	/* Line drops, then EOI: Remote IRR clears, nothing is sent. */
	ioapic_set_irq(&io, 10, false);
	ioapic_eoi(&io, 0x5a);
	CHECK_EQ(nr_sent, 2);
	CHECK_EQ(rte_read(10) & IOAPIC_RTE_REMOTE_IRR, 0);
	/* Remote IRR cannot be written by the guest. */
	rte_write(10, IOAPIC_RTE_LEVEL | IOAPIC_RTE_REMOTE_IRR | 0x5a);
	CHECK_EQ(rte_read(10) & IOAPIC_RTE_REMOTE_IRR, 0);
}

static void test_level_masking(void)
{
	reset();
	rte_write(11, IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | 0x61);
	ioapic_set_irq(&io, 11, true);
	CHECK_EQ(nr_sent, 0);
	/* Unmasking a pin that is still asserted sends it at once. */
	rte_write(11, IOAPIC_RTE_LEVEL | 0x61);
	CHECK_EQ(nr_sent, 1);
	/* Masked again with the line high: EOI clears Remote IRR only. */
	rte_write(11, IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | 0x61);
	ioapic_eoi(&io, 0x61);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(rte_read(11) & IOAPIC_RTE_REMOTE_IRR, 0);
	rte_write(11, IOAPIC_RTE_LEVEL | 0x61);
	CHECK_EQ(nr_sent, 2);
}

static void test_level_to_edge_clears_remote_irr(void)
{
	reset();
	rte_write(9, IOAPIC_RTE_LEVEL | 0x49);
	ioapic_set_irq(&io, 9, true);
	ioapic_set_irq(&io, 9, false);
	CHECK(rte_read(9) & IOAPIC_RTE_REMOTE_IRR);
	/* Linux's workaround for IOAPICs without an EOI register. */
	rte_write(9, IOAPIC_RTE_MASKED | 0x49);
	CHECK_EQ(rte_read(9) & IOAPIC_RTE_REMOTE_IRR, 0);
	rte_write(9, IOAPIC_RTE_LEVEL | 0x49);
	CHECK_EQ(nr_sent, 1);
	ioapic_set_irq(&io, 9, true);
	CHECK_EQ(nr_sent, 2);
}

static void test_eoi_all_matching_pins(void)
{
	reset();
	rte_write(16, IOAPIC_RTE_LEVEL | 0x70);
	rte_write(17, IOAPIC_RTE_LEVEL | 0x70);
	ioapic_set_irq(&io, 16, true);
	ioapic_set_irq(&io, 17, true);
	CHECK_EQ(nr_sent, 2);
	ioapic_set_irq(&io, 16, false);
	ioapic_eoi(&io, 0x70);
	/* Both cleared; only the pin still high comes back. */
	CHECK_EQ(nr_sent, 3);
	CHECK_EQ(rte_read(16) & IOAPIC_RTE_REMOTE_IRR, 0);
	CHECK(rte_read(17) & IOAPIC_RTE_REMOTE_IRR);
}

static void test_delivery_error_is_returned(void)
{
	reset();
	deliver_ret = -ENOTTY;
	rte_write(4, 0x24);
	CHECK_EQ(ioapic_set_irq(&io, 4, true), -ENOTTY);
	rte_write(5, IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | 0x25);
	ioapic_set_irq(&io, 5, true);
	CHECK_EQ(reg_write(IOAPIC_REG_REDTBL + 10, IOAPIC_RTE_LEVEL | 0x25),
		 -ENOTTY);
	CHECK_EQ(nr_sent, 2);
}

/*
 * An I/O APIC a guest has programmed: a new ID, an edge entry, a level
 * entry holding Remote IRR, a masked logical one with its line high, an
 * NMI entry left with Remote IRR from its level days, and IOREGSEL
 * pointing at a redirection entry.
 */
static void make_busy(struct ioapic *out)
{
	reset();
	reg_write(IOAPIC_REG_ID, 9U << 24);
	rte_write(4, 0x0100000000000024ULL);
	ioapic_set_irq(&io, 4, true);
	rte_write(10, IOAPIC_RTE_LEVEL | 0x5a);
	ioapic_set_irq(&io, 10, true);
	rte_write(17, 0x0f00000000000000ULL | IOAPIC_RTE_MASKED |
		  IOAPIC_RTE_LEVEL | IOAPIC_RTE_DESTMODE | 0x1a9);
	ioapic_set_irq(&io, 17, true);
	rte_write(20, IOAPIC_RTE_LEVEL | 0x30);
	ioapic_set_irq(&io, 20, true);
	ioapic_set_irq(&io, 20, false);
	reg_write(IOAPIC_REG_REDTBL + 40, IOAPIC_RTE_LEVEL | 0x430);
	wr32(IOAPIC_REGSEL, IOAPIC_REG_REDTBL + 21);
	*out = io;
	nr_sent = 0;
}

/* IOREGSEL, then every register, as the guest reads them. */
static void read_all(struct ioapic *dev, uint32_t *seen)
{
	struct ioapic saved = io;
	unsigned int reg;

	io = *dev;
	seen[0] = rd32(IOAPIC_REGSEL);
	for (reg = 0; reg < IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS; reg++)
		seen[1 + reg] = reg_read(reg);
	*dev = io;
	io = saved;
}

static void test_state_round_trip(void)
{
	uint32_t a[1 + 0x40], b[1 + 0x40];
	struct ioapic busy, copy;

	make_busy(&busy);
	CHECK(busy.st.rte[10] & IOAPIC_RTE_REMOTE_IRR);
	CHECK(busy.st.rte[20] & IOAPIC_RTE_REMOTE_IRR);
	ioapic_init(&copy, 0, record, &nr_sent);
	check_state_round_trip(&ioapic_device_ops, &busy, &copy);
	if (tap_failed)
		return;
	CHECK_EQ(nr_sent, 0);		/* a load sends nothing */
	read_all(&busy, a);
	read_all(&copy, b);
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK_EQ(a[0], IOAPIC_REG_REDTBL + 21);
	CHECK_EQ(a[1 + IOAPIC_REG_ID], 9U << 24);
	/* And it goes on as the original would: the EOI sends again. */
	CHECK_EQ(ioapic_eoi(&copy, 0x5a), 0);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent[0].data, 0xc05a);
	/* The edge line is still high: no new edge. */
	ioapic_set_irq(&copy, 4, true);
	CHECK_EQ(nr_sent, 1);
}

/* Reset goes back to the ID given at init, everything else power-on. */
static void test_state_reset(void)
{
	struct ioapic busy, fresh;
	size_t len = 0;
	uint8_t *rec;

	make_busy(&busy);
	ioapic_device_ops.reset(&busy);
	ioapic_init(&fresh, 3, NULL, NULL);
	rec = state_save(&ioapic_device_ops, &fresh, &len);
	CHECK(rec);
	CHECK_EQ(len, HW_STATE_HEADER_SIZE + 198);
	CHECK(state_saves_as(&ioapic_device_ops, &busy, rec, len));
	CHECK(busy.deliver == record);
	free(rec);
}

static void test_state_truncated(void)
{
	struct ioapic busy, scratch;

	make_busy(&busy);
	ioapic_init(&scratch, 0, NULL, NULL);
	check_state_truncated(&ioapic_device_ops, &busy, &scratch);
}

static void test_state_bit_flips(void)
{
	struct ioapic busy, scratch;
	size_t accepted;

	make_busy(&busy);
	ioapic_init(&scratch, 0, NULL, NULL);
	check_state_bit_flips(&ioapic_device_ops, &busy, &scratch, &accepted);
	/* IOREGSEL, and at least 22 writable bits of every entry. */
	CHECK(accepted >= 8 + 24 * 22);
}

static void test_state_bad_values(void)
{
	static const struct {
		size_t offset;
		uint8_t val;
	} bad[] = {
		{ 25, 0x10 },		/* a 5-bit ID */
		{ 29, 0x01 },		/* input 24 asserted */
		{ 30 + 2, 0x03 },	/* entry 0: reserved bit 17 */
		{ 30 + 6, 0x80 },	/* entry 0: reserved bit 55 */
		{ 30 + 32 + 1, 0x40 },	/* entry 4: Remote IRR, edge */
	};
	struct ioapic busy, scratch;
	size_t i;

	make_busy(&busy);
	ioapic_init(&scratch, 0, NULL, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		check_state_refuses_byte(&ioapic_device_ops, &busy, &scratch,
					 bad[i].offset, bad[i].val);
		if (tap_failed) {
			printf("# (byte %zu = %#x)\n", bad[i].offset, bad[i].val);
			return;
		}
	}
}

/* On the bus at its base: the page is its, the next byte is not. */
static void test_bus_attach(void)
{
	struct io_bus bus;
	uint8_t b[4];
	uint32_t v = IOAPIC_REG_VER;

	reset();
	io_bus_init(&bus);
	CHECK_EQ(ioapic_attach(&io, &bus, IOAPIC_BASE), 0);
	memcpy(b, &v, 4);
	CHECK(io_mmio_dispatch(&bus, IOAPIC_BASE + IOAPIC_REGSEL, true, 4, b));
	CHECK(io_mmio_dispatch(&bus, IOAPIC_BASE + IOAPIC_WIN, false, 4, b));
	memcpy(&v, b, 4);
	CHECK_EQ(v, 0x00170011);
	CHECK(io_mmio_dispatch(&bus, IOAPIC_BASE + 0xffc, false, 4, b));
	CHECK(!io_mmio_dispatch(&bus, IOAPIC_BASE + 0x1000, false, 1, b));
	/* A failed delivery goes to the callback only. */
	deliver_ret = -EIO;
	rte_write(4, 0x24);
	ioapic_set_irq(&io, 4, true);
	CHECK_EQ(nr_sent, 1);
	io_bus_free(&bus);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_id_version_arbitration),
		TAP_TEST(test_rte_reset_and_readback),
		TAP_TEST(test_byte_access),
		TAP_TEST(test_msi_encoding),
		TAP_TEST(test_edge),
		TAP_TEST(test_edge_masked_is_lost),
		TAP_TEST(test_level_remote_irr_eoi),
		TAP_TEST(test_level_masking),
		TAP_TEST(test_level_to_edge_clears_remote_irr),
		TAP_TEST(test_eoi_all_matching_pins),
		TAP_TEST(test_delivery_error_is_returned),
		TAP_TEST(test_state_round_trip),
		TAP_TEST(test_state_reset),
		TAP_TEST(test_state_truncated),
		TAP_TEST(test_state_bit_flips),
		TAP_TEST(test_state_bad_values),
		TAP_TEST(test_bus_attach),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
