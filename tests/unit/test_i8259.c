// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the 8259A pair, programmed the way Linux and BIOSes
 * do through pic_io(); every ExtINT the master sends is recorded.
 */
#include <errno.h>

#include "hw/bus.h"
#include "hw/i8259.h"
#include "state_check.h"
#include "tap.h"

static struct pic pic;
static struct vessel_msi sent[32];
static unsigned int nr_sent;
static int deliver_ret;

static int record(void *opaque, const struct vessel_msi *msi)
{
	if (opaque == &nr_sent && nr_sent < ARRAY_SIZE(sent))
		sent[nr_sent++] = *msi;
	return deliver_ret;
}

static int outb(uint16_t port, uint8_t val)
{
	return pic_io(&pic, port, true, &val);
}

static uint8_t inb(uint16_t port)
{
	uint8_t val = 0;

	pic_io(&pic, port, false, &val);
	return val;
}

/* The vector of the @n-th ExtINT, checking it is an ExtINT to APIC 0. */
static int vec(unsigned int n)
{
	if (n >= nr_sent || sent[n].address != 0xfee00000ULL ||
	    (sent[n].data & 0xff00) != 0x4700 || sent[n].flags)
		return -1;
	return sent[n].data & 0xff;
}

/* Linux's init_8259A(): vectors 0x30/0x38, cascade on IR2. */
static void linux_init(uint8_t icw4)
{
	outb(PIC_MASTER_CMD, 0x11);
	outb(PIC_MASTER_DATA, 0x30);
	outb(PIC_MASTER_DATA, 0x04);
	outb(PIC_MASTER_DATA, icw4);
	outb(PIC_SLAVE_CMD, 0x11);
	outb(PIC_SLAVE_DATA, 0x38);
	outb(PIC_SLAVE_DATA, 0x02);
	outb(PIC_SLAVE_DATA, icw4);
}

static void reset(void)
{
	pic_init(&pic, record, &nr_sent);
	nr_sent = 0;
	deliver_ret = 0;
}

static void eoi(uint16_t cmd)
{
	outb(cmd, PIC_OCW2_EOI);
}

static uint8_t read_isr(uint16_t cmd)
{
	outb(cmd, PIC_OCW3 | PIC_OCW3_RR | PIC_OCW3_RIS);
	return inb(cmd);
}

static uint8_t read_irr(uint16_t cmd)
{
	outb(cmd, PIC_OCW3 | PIC_OCW3_RR);
	return inb(cmd);
}

static void test_reset_is_masked(void)
{
	unsigned int irq;

	reset();
	CHECK_EQ(inb(PIC_MASTER_DATA), 0xff);
	CHECK_EQ(inb(PIC_SLAVE_DATA), 0xff);
	for (irq = 0; irq < 16; irq++)
		pic_set_irq(&pic, irq, true);
	CHECK_EQ(nr_sent, 0);
	CHECK(!pic_output(&pic));
	/* The BIOS vectors: unmasking IRQ 1 gives vector 0x09. */
	outb(PIC_MASTER_DATA, 0xfd);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(vec(0), 0x09);
	/* Unclaimed ports read as an empty bus. */
	CHECK_EQ(inb(0x22), 0xff);
}

static void test_init_sequence_and_delivery(void)
{
	reset();
	linux_init(0x01);
	/* ICW1 cleared the masks; the ICWs did not land in IMR. */
	CHECK_EQ(inb(PIC_MASTER_DATA), 0x00);
	CHECK_EQ(inb(PIC_SLAVE_DATA), 0x00);
	CHECK_EQ(nr_sent, 0);
	CHECK_EQ(pic_set_irq(&pic, 1, true), 0);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(sent[0].data, 0x4731);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x02);
	CHECK_EQ(read_irr(PIC_MASTER_CMD), 0x00);	/* edge: taken */
	/* Still high, no new edge: nothing more after EOI. */
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x00);
	CHECK_EQ(nr_sent, 1);
	pic_set_irq(&pic, 1, false);
	pic_set_irq(&pic, 1, true);
	CHECK_EQ(vec(1), 0x31);
}

static void test_priority_nesting(void)
{
	reset();
	linux_init(0x01);
	pic_set_irq(&pic, 3, true);
	CHECK_EQ(vec(0), 0x33);
	/* Lower priority waits; higher priority nests. */
	pic_set_irq(&pic, 5, true);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(read_irr(PIC_MASTER_CMD), 0x20);
	pic_set_irq(&pic, 0, true);
	CHECK_EQ(vec(1), 0x30);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x09);
	/* Non-specific EOI ends the highest in service: IRQ 0. */
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x08);
	CHECK_EQ(nr_sent, 2);
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(nr_sent, 3);
	CHECK_EQ(vec(2), 0x35);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x20);
}

static void test_imr_masks(void)
{
	reset();
	linux_init(0x01);
	outb(PIC_MASTER_DATA, 0x10);
	pic_set_irq(&pic, 4, true);
	CHECK_EQ(nr_sent, 0);
	CHECK_EQ(read_irr(PIC_MASTER_CMD), 0x10);	/* latched, masked */
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(0), 0x34);
}

static void test_cascade(void)
{
	reset();
	linux_init(0x01);
	outb(PIC_MASTER_DATA, 0x04);	/* cascade masked */
	pic_set_irq(&pic, 12, true);
	CHECK_EQ(nr_sent, 0);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(0), 0x3c);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x04);
	CHECK_EQ(read_isr(PIC_SLAVE_CMD), 0x10);
	/* While IR2 is in service a higher slave input waits (not SFNM). */
	pic_set_irq(&pic, 9, true);
	CHECK_EQ(nr_sent, 1);
	/* Slave then master EOI, as Linux does: IRQ 9 comes through. */
	eoi(PIC_SLAVE_CMD);
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(vec(1), 0x39);
	/* Cascaded IRQs rank at IR2: IRQ 1 is higher, IRQ 3 lower. */
	pic_set_irq(&pic, 3, true);
	CHECK_EQ(nr_sent, 2);
	pic_set_irq(&pic, 1, true);
	CHECK_EQ(vec(2), 0x31);
}

/*
 * IR2 latched at the master while the slave's request goes away: the INTA
 * finds nothing on the slave, which answers with its IR7 vector (IRQ 15)
 * and sets no ISR bit; the master's IR2 does go in service.
 */
static void test_spurious_slave(void)
{
	reset();
	linux_init(0x01);
	outb(PIC_MASTER_DATA, 0x04);
	pic_set_irq(&pic, 12, true);
	outb(PIC_SLAVE_DATA, 0x10);
	CHECK_EQ(nr_sent, 0);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(0), 0x3f);
	CHECK_EQ(read_isr(PIC_SLAVE_CMD), 0x00);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x04);
}

static void test_special_fully_nested(void)
{
	reset();
	linux_init(0x11);		/* SFNM on both */
	pic_set_irq(&pic, 12, true);
	CHECK_EQ(vec(0), 0x3c);
	/* Slave's higher-priority IRQ 9 interrupts slave's IRQ 12. */
	pic_set_irq(&pic, 9, true);
	CHECK_EQ(vec(1), 0x39);
	/* But the master's lower IR3 stays blocked by IR2. */
	pic_set_irq(&pic, 3, true);
	CHECK_EQ(nr_sent, 2);
}

static void test_specific_eoi_and_rotation(void)
{
	reset();
	linux_init(0x01);
	pic_set_irq(&pic, 0, true);
	pic_set_irq(&pic, 6, true);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x01);
	/* Specific EOI of IR6 (not in service) leaves IR0 in service. */
	outb(PIC_MASTER_CMD, PIC_OCW2_SPECIFIC_EOI | 6);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x01);
	/* Rotate on non-specific EOI: IR0 becomes lowest, IR6 is served. */
	outb(PIC_MASTER_CMD, PIC_OCW2_ROTATE_EOI);
	CHECK_EQ(vec(1), 0x36);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x40);
	outb(PIC_MASTER_CMD, PIC_OCW2_SPECIFIC_EOI | 6);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x00);
	/* With IR0 lowest, IR7 wins over IR0. */
	outb(PIC_MASTER_DATA, 0xff);
	pic_set_irq(&pic, 0, false);
	pic_set_irq(&pic, 0, true);
	pic_set_irq(&pic, 7, true);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(2), 0x37);
	/* Set priority: IR4 lowest, so IR5 beats IR0... after IR7's EOI. */
	outb(PIC_MASTER_CMD, PIC_OCW2_SET_PRIORITY | 4);
	outb(PIC_MASTER_DATA, 0xff);
	pic_set_irq(&pic, 5, true);
	outb(PIC_MASTER_CMD, PIC_OCW2_ROTATE_SPECIFIC_EOI | 4);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x80);
	outb(PIC_MASTER_CMD, PIC_OCW2_SPECIFIC_EOI | 7);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(3), 0x35);
}

static void test_auto_eoi(void)
{
	reset();
	linux_init(0x03);
	outb(PIC_MASTER_DATA, 0xff);
	pic_set_irq(&pic, 3, true);
	pic_set_irq(&pic, 4, true);
	outb(PIC_MASTER_DATA, 0x00);
	/* Both go in one call, in priority order, nothing in service. */
	CHECK_EQ(nr_sent, 2);
	CHECK_EQ(vec(0), 0x33);
	CHECK_EQ(vec(1), 0x34);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x00);
	/* Rotate in AEOI mode: the served input becomes lowest. */
	outb(PIC_MASTER_CMD, PIC_OCW2_ROTATE_AEOI_SET);
	outb(PIC_MASTER_DATA, 0xff);
	pic_set_irq(&pic, 3, false);
	pic_set_irq(&pic, 4, false);
	pic_set_irq(&pic, 1, true);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(2), 0x31);
	outb(PIC_MASTER_DATA, 0xff);
	pic_set_irq(&pic, 1, false);
	pic_set_irq(&pic, 1, true);
	pic_set_irq(&pic, 2 + 1, true);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(3), 0x33);		/* IR1 now ranks last */
	CHECK_EQ(vec(4), 0x31);
	/* ICW1 without IC4 zeroes the ICW4 functions: AEOI off. */
	outb(PIC_MASTER_CMD, 0x10);
	outb(PIC_MASTER_DATA, 0x40);
	outb(PIC_MASTER_DATA, 0x04);
	pic_set_irq(&pic, 6, true);
	CHECK_EQ(vec(5), 0x46);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x40);
}

static void test_single_mode_skips_icw3(void)
{
	reset();
	outb(PIC_MASTER_CMD, 0x13);	/* single, IC4 */
	outb(PIC_MASTER_DATA, 0x50);
	outb(PIC_MASTER_DATA, 0x01);	/* ICW4, not ICW3 */
	outb(PIC_MASTER_DATA, 0xfe);	/* OCW1 */
	CHECK_EQ(inb(PIC_MASTER_DATA), 0xfe);
	pic_set_irq(&pic, 0, true);
	CHECK_EQ(vec(0), 0x50);
}

static void test_poll(void)
{
	reset();
	linux_init(0x01);
	outb(PIC_MASTER_CMD, PIC_OCW3 | PIC_OCW3_POLL);
	CHECK_EQ(inb(PIC_MASTER_CMD), 0x00);	/* nothing pending */
	/* A poll is one-shot: the next read is IRR again. */
	pic_set_irq(&pic, 5, true);
	CHECK_EQ(vec(0), 0x35);
	CHECK_EQ(inb(PIC_MASTER_CMD), 0x00);
	/* While a poll is pending the request waits for the read... */
	outb(PIC_MASTER_CMD, PIC_OCW2_SPECIFIC_EOI | 5);
	outb(PIC_MASTER_CMD, PIC_OCW3 | PIC_OCW3_POLL);
	pic_set_irq(&pic, 6, true);
	CHECK_EQ(nr_sent, 1);
	/* ...which acknowledges it like an INTA. */
	CHECK_EQ(inb(PIC_MASTER_DATA), 0x86);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x40);
	CHECK_EQ(nr_sent, 1);
	/* Priority applies: IR7 is blocked by IR6 in service. */
	outb(PIC_MASTER_CMD, PIC_OCW3 | PIC_OCW3_POLL);
	pic_set_irq(&pic, 7, true);
	CHECK_EQ(inb(PIC_MASTER_CMD), 0x00);
	/* After the EOI the poll is over, so IR7 interrupts as usual. */
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(vec(1), 0x37);
	eoi(PIC_MASTER_CMD);
	/* The slave polled on its own, its cascade masked at the master. */
	outb(PIC_MASTER_DATA, 0x04);
	pic_set_irq(&pic, 10, true);
	outb(PIC_SLAVE_CMD, PIC_OCW3 | PIC_OCW3_POLL);
	CHECK_EQ(inb(PIC_SLAVE_CMD), 0x82);
	CHECK_EQ(read_isr(PIC_SLAVE_CMD), 0x04);
	CHECK_EQ(nr_sent, 2);
}

static void test_elcr_level(void)
{
	reset();
	linux_init(0x01);
	outb(PIC_ELCR1, 0xff);
	outb(PIC_ELCR2, 0xff);
	CHECK_EQ(inb(PIC_ELCR1), 0xf8);	/* IRQ 0-2 edge only */
	CHECK_EQ(inb(PIC_ELCR2), 0xde);	/* IRQ 8 and 13 edge only */
	pic_set_irq(&pic, 5, true);
	CHECK_EQ(vec(0), 0x35);
	/* Level: still requested after INTA, and again after EOI. */
	CHECK_EQ(read_irr(PIC_MASTER_CMD), 0x20);
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(vec(1), 0x35);
	/* Line dropped: the request is gone, EOI sends nothing. */
	pic_set_irq(&pic, 5, false);
	CHECK_EQ(read_irr(PIC_MASTER_CMD), 0x00);
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(nr_sent, 2);
	/* A level line that drops before service is never delivered. */
	outb(PIC_MASTER_DATA, 0xff);
	pic_set_irq(&pic, 6, true);
	pic_set_irq(&pic, 6, false);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(nr_sent, 2);
	/* Edge (IRQ 0): a pulse while masked is latched. */
	outb(PIC_MASTER_DATA, 0xff);
	pic_set_irq(&pic, 0, true);
	pic_set_irq(&pic, 0, false);
	outb(PIC_MASTER_DATA, 0x00);
	CHECK_EQ(vec(2), 0x30);
}

static void test_special_mask_mode(void)
{
	reset();
	linux_init(0x01);
	pic_set_irq(&pic, 3, true);
	CHECK_EQ(vec(0), 0x33);
	pic_set_irq(&pic, 6, true);
	CHECK_EQ(nr_sent, 1);
	/* Mask IR3 and enter special mask mode: IR6 is let through. */
	outb(PIC_MASTER_DATA, 0x08);
	outb(PIC_MASTER_CMD, PIC_OCW3 | PIC_OCW3_ESMM | PIC_OCW3_SMM);
	CHECK_EQ(vec(1), 0x36);
	CHECK_EQ(read_isr(PIC_MASTER_CMD), 0x48);
}

static void test_delivery_error_is_returned(void)
{
	reset();
	linux_init(0x01);
	deliver_ret = -ENOTTY;
	CHECK_EQ(pic_set_irq(&pic, 4, true), -ENOTTY);
	CHECK_EQ(vec(0), 0x34);
	/* Ignored inputs: the cascade and beyond 15. */
	CHECK_EQ(pic_set_irq(&pic, 2, true), 0);
	CHECK_EQ(pic_set_irq(&pic, 16, true), 0);
	CHECK_EQ(nr_sent, 1);
}

/*
 * A pair a guest has been using: Linux's initialisation, IRQ 10 level
 * through ELCR and asserted, IRQ 1 in service (which holds the cascade
 * back), IRQ 6 masked and pending, rotation and special mask mode on the
 * slave, ISR selected for reading on the master.
 */
static void make_busy(struct pic *out)
{
	reset();
	linux_init(0x01);
	outb(PIC_ELCR2, 0x04);
	outb(PIC_MASTER_DATA, 0x40);
	pic_set_irq(&pic, 1, true);
	pic_set_irq(&pic, 10, true);
	pic_set_irq(&pic, 6, true);
	outb(PIC_SLAVE_CMD, PIC_OCW2_SET_PRIORITY | 4);
	outb(PIC_SLAVE_CMD, PIC_OCW3 | PIC_OCW3_ESMM | PIC_OCW3_SMM);
	outb(PIC_MASTER_CMD, PIC_OCW3 | PIC_OCW3_RR | PIC_OCW3_RIS);
	*out = pic;
	nr_sent = 0;
}

/* What the guest reads, in an order that reads every register. */
static void read_all(struct pic *dev, uint8_t *seen)
{
	struct pic saved = pic;

	pic = *dev;
	seen[0] = inb(PIC_MASTER_CMD);
	seen[1] = read_irr(PIC_MASTER_CMD);
	seen[2] = inb(PIC_MASTER_DATA);
	seen[3] = read_isr(PIC_SLAVE_CMD);
	seen[4] = read_irr(PIC_SLAVE_CMD);
	seen[5] = inb(PIC_SLAVE_DATA);
	seen[6] = inb(PIC_ELCR1);
	seen[7] = inb(PIC_ELCR2);
	*dev = pic;
	pic = saved;
}

static void test_state_round_trip(void)
{
	struct pic busy, copy;
	uint8_t a[8], b[8];

	make_busy(&busy);
	pic_init(&copy, record, &nr_sent);
	check_state_round_trip(&pic_device_ops, &busy, &copy);
	if (tap_failed)
		return;
	CHECK_EQ(nr_sent, 0);		/* a load sends nothing */
	read_all(&busy, a);
	read_all(&copy, b);
	CHECK(!memcmp(a, b, sizeof(a)));
	CHECK_EQ(a[0], 0x02);		/* IRQ 1 in service */
	CHECK_EQ(a[1], 0x44);		/* the cascade and IRQ 6 wait */
	/* The EOI of IRQ 1 lets the slave's level IRQ 10 through. */
	pic = copy;
	eoi(PIC_MASTER_CMD);
	CHECK_EQ(nr_sent, 1);
	CHECK_EQ(vec(0), 0x3a);
}

static void test_state_reset(void)
{
	struct pic busy, fresh;
	size_t len = 0;
	uint8_t *rec;

	make_busy(&busy);
	pic_device_ops.reset(&busy);
	pic_init(&fresh, NULL, NULL);
	rec = state_save(&pic_device_ops, &fresh, &len);
	CHECK(rec);
	CHECK_EQ(len, HW_STATE_HEADER_SIZE + 23);
	CHECK(state_saves_as(&pic_device_ops, &busy, rec, len));
	CHECK(busy.deliver == record);
	free(rec);
}

static void test_state_truncated(void)
{
	struct pic busy, scratch;

	make_busy(&busy);
	pic_init(&scratch, NULL, NULL);
	check_state_truncated(&pic_device_ops, &busy, &scratch);
}

static void test_state_bit_flips(void)
{
	struct pic busy, scratch;
	size_t accepted;

	make_busy(&busy);
	pic_init(&scratch, NULL, NULL);
	check_state_bit_flips(&pic_device_ops, &busy, &scratch, &accepted);
	/* IRR, ISR, IMR, the levels and ICW3 of both chips take any value. */
	CHECK(accepted >= 2 * 5 * 8);
}

static void test_state_bad_values(void)
{
	static const struct {
		size_t offset;
		uint8_t val;
	} bad[] = {
		{ 28, 0x01 },		/* master ELCR: IRQ 0 level */
		{ 39, 0x01 },		/* slave ELCR: IRQ 8 level */
		{ 40, 0x39 },		/* slave vector base 0x39 */
		{ 31, 8 },		/* master lowest priority input 8 */
		{ 43, 1 },		/* slave waits for ICW1 */
		{ 43, 5 },
		{ 34, 0x02 },		/* master flag bit 9 */
		{ 46, 2 },		/* INT: not a flag */
	};
	struct pic busy, scratch;
	size_t i;

	make_busy(&busy);
	pic_init(&scratch, NULL, NULL);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		check_state_refuses_byte(&pic_device_ops, &busy, &scratch,
					 bad[i].offset, bad[i].val);
		if (tap_failed) {
			printf("# (byte %zu = %#x)\n", bad[i].offset, bad[i].val);
			return;
		}
	}
}

/*
 * On the bus: the three pairs of ports, each access byte by byte, so an
 * outw reaches two registers, as Linux's outb_p pairs and BIOSes expect.
 */
static void test_bus_attach(void)
{
	static const uint16_t ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	struct io_bus bus;
	uint8_t b[2];
	size_t i;

	reset();
	io_bus_init(&bus);
	CHECK_EQ(pic_attach(&pic, &bus), 0);
	for (i = 0; i < ARRAY_SIZE(ports); i++)
		CHECK(io_port_dispatch(&bus, ports[i], false, 1, b));
	CHECK(!io_port_dispatch(&bus, 0x22, false, 1, b));
	CHECK(!io_port_dispatch(&bus, 0x4d2, false, 1, b));
	/* A word at 0x4d0 is both ELCRs, each keeping its edge-only bits. */
	b[0] = 0xff;
	b[1] = 0xff;
	CHECK(io_port_dispatch(&bus, PIC_ELCR1, true, 2, b));
	CHECK_EQ(inb(PIC_ELCR1), 0xf8);
	CHECK_EQ(inb(PIC_ELCR2), 0xde);
	/* A word at the master's command port: OCW3, then OCW1 (IMR). */
	b[0] = 0x0b;	/* OCW3: read ISR */
	b[1] = 0x5a;
	CHECK(io_port_dispatch(&bus, PIC_MASTER_CMD, true, 2, b));
	CHECK_EQ(inb(PIC_MASTER_DATA), 0x5a);
	/* A word read at the slave's: its IRR, then its IMR as at reset. */
	CHECK(io_port_dispatch(&bus, PIC_SLAVE_CMD, false, 2, b));
	CHECK_EQ(b[0], 0);
	CHECK_EQ(b[1], 0xff);
	io_bus_free(&bus);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_reset_is_masked),
		TAP_TEST(test_init_sequence_and_delivery),
		TAP_TEST(test_priority_nesting),
		TAP_TEST(test_imr_masks),
		TAP_TEST(test_cascade),
		TAP_TEST(test_spurious_slave),
		TAP_TEST(test_special_fully_nested),
		TAP_TEST(test_specific_eoi_and_rotation),
		TAP_TEST(test_auto_eoi),
		TAP_TEST(test_single_mode_skips_icw3),
		TAP_TEST(test_poll),
		TAP_TEST(test_elcr_level),
		TAP_TEST(test_special_mask_mode),
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
