// SPDX-License-Identifier: GPL-2.0
/*
 * 8259A PIC pair. Behaviour follows the Intel 8259A Programmable Interrupt
 * Controller datasheet (order no. 231468); ELCR as in the Intel PIIX4 and
 * ICH datasheets. See i8259.h for what is left out.
 */
#include <string.h>

#include "bus.h"
#include "compiler.h"
#include "i8259.h"
#include "state.h"

#define PIC_MASTER		0
#define PIC_SLAVE		1
#define PIC_NO_IRQ		(-1)
#define PIC_PRIORITIES		8	/* get_priority(): none pending */
#define PIC_SPURIOUS_IR		7
/* IRQ 0-2 (timer, keyboard, cascade) and 8, 13 (RTC, FPU) are edge only. */
#define PIC_ELCR1_MASK		0xf8
#define PIC_ELCR2_MASK		0xde
#define PIC_BIOS_MASTER_BASE	0x08
#define PIC_BIOS_SLAVE_BASE	0x70

#define PIC_STATE_NAME		"i8259"
#define PIC_STATE_VERSION	1
/* The chip's booleans, as one u16 in saved state. */
#define PIC_FLAG_NEED_ICW4	(1U << 0)
#define PIC_FLAG_SINGLE		(1U << 1)
#define PIC_FLAG_LTIM		(1U << 2)
#define PIC_FLAG_AEOI		(1U << 3)
#define PIC_FLAG_SFNM		(1U << 4)
#define PIC_FLAG_ROTATE_AEOI	(1U << 5)
#define PIC_FLAG_SPECIAL_MASK	(1U << 6)
#define PIC_FLAG_READ_ISR	(1U << 7)
#define PIC_FLAG_POLL		(1U << 8)
#define PIC_FLAGS		0x1ffU

static void chip_reset(struct pic_chip *c, uint8_t base)
{
	memset(c, 0, sizeof(*c));
	c->base = base;
	c->imr = 0xff;
	c->lowest = 7;
}

void pic_reset(struct pic *pic)
{
	memset(&pic->st, 0, sizeof(pic->st));
	chip_reset(&pic->st.chip[PIC_MASTER], PIC_BIOS_MASTER_BASE);
	chip_reset(&pic->st.chip[PIC_SLAVE], PIC_BIOS_SLAVE_BASE);
	pic->st.chip[PIC_MASTER].icw3 = 1 << PIC_CASCADE_IR;
	pic->st.chip[PIC_SLAVE].icw3 = PIC_CASCADE_IR;
}

void pic_init(struct pic *pic, msi_fn deliver, void *opaque)
{
	memset(pic, 0, sizeof(*pic));
	pic->deliver = deliver;
	pic->opaque = opaque;
	pic_reset(pic);
}

static bool chip_is_level(const struct pic_chip *c, unsigned int ir)
{
	return c->ltim || (c->elcr & (1U << ir));
}

/* Rank of the highest-priority input in @mask: 0 (highest) to 7, or 8. */
static unsigned int chip_priority(const struct pic_chip *c, uint8_t mask)
{
	unsigned int p;

	for (p = 0; p < PIC_PRIORITIES; p++)
		if (mask & (1U << ((p + c->lowest + 1) & 7)))
			return p;
	return PIC_PRIORITIES;
}

static unsigned int chip_ir(const struct pic_chip *c, unsigned int prio)
{
	return (prio + c->lowest + 1) & 7;
}

/* The input the chip would raise INT for, or PIC_NO_IRQ. */
static int chip_pending(const struct pic_chip *c, bool master)
{
	unsigned int req, cur;
	uint8_t in_service = c->isr;

	req = chip_priority(c, c->irr & ~c->imr);
	if (req == PIC_PRIORITIES)
		return PIC_NO_IRQ;
	/* Special mask mode: masked in-service levels block nothing. */
	if (c->special_mask)
		in_service &= ~c->imr;
	cur = chip_priority(c, in_service);
	if (req < cur)
		return chip_ir(c, req);
	/*
	 * Special fully nested mode: a slave in service may interrupt again
	 * with a higher-priority request of its own, which reaches the
	 * master as the same IR2.
	 */
	if (master && c->sfnm && req == cur && chip_ir(c, req) == PIC_CASCADE_IR)
		return PIC_CASCADE_IR;
	return PIC_NO_IRQ;
}

static void chip_set_line(struct pic_chip *c, unsigned int ir, bool level)
{
	uint8_t bit = 1U << ir;

	if (chip_is_level(c, ir)) {
		if (level)
			c->irr |= bit;
		else
			c->irr &= ~bit;
	} else if (level && !(c->lines & bit)) {
		c->irr |= bit;	/* edge: latched until acknowledged */
	}
	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
}

/* The INTA cycle for input @ir: IRR to ISR, or straight out with AEOI. */
static void chip_ack(struct pic_chip *c, unsigned int ir)
{
	uint8_t bit = 1U << ir;

	/* A level request stays in IRR while its line is high. */
	if (!chip_is_level(c, ir))
		c->irr &= ~bit;
	if (c->aeoi) {
		if (c->rotate_aeoi)
			c->lowest = ir;
	} else {
		c->isr |= bit;
	}
}

static void pic_update_cascade(struct pic *pic)
{
	chip_set_line(&pic->st.chip[PIC_MASTER], PIC_CASCADE_IR,
		      chip_pending(&pic->st.chip[PIC_SLAVE], false) != PIC_NO_IRQ);
}

bool pic_output(const struct pic *pic)
{
	return chip_pending(&pic->st.chip[PIC_MASTER], true) != PIC_NO_IRQ;
}

/*
 * The CPU's INTA cycle: the vector the PICs put on the bus. With nothing
 * pending (the request went away) a PIC answers with its IR7 vector and
 * sets no ISR bit: the spurious interrupt guests know to ignore.
 */
static uint8_t pic_intack(struct pic *pic)
{
	struct pic_chip *m = &pic->st.chip[PIC_MASTER];
	struct pic_chip *s = &pic->st.chip[PIC_SLAVE];
	int ir = chip_pending(m, true), sir;
	uint8_t vector;

	if (ir == PIC_NO_IRQ)
		return m->base | PIC_SPURIOUS_IR;
	if (ir == PIC_CASCADE_IR) {
		sir = chip_pending(s, false);
		if (sir == PIC_NO_IRQ) {
			vector = s->base | PIC_SPURIOUS_IR;
		} else {
			chip_ack(s, sir);
			vector = s->base | sir;
		}
	} else {
		vector = m->base | ir;
	}
	chip_ack(m, ir);
	pic_update_cascade(pic);
	return vector;
}

static int pic_send(struct pic *pic, uint8_t vector)
{
	struct vessel_msi msi = {
		.address = MSI_ADDR_BASE,	/* physical, APIC ID 0 */
		.data = vector | IOAPIC_DM_EXTINT << MSI_DATA_DELMODE_SHIFT |
			MSI_DATA_ASSERT,
	};

	return pic->deliver ? pic->deliver(pic->opaque, &msi) : 0;
}

/*
 * Re-evaluate INT after any change. A rising INT is acknowledged and
 * delivered; requests pending after that (possible only with auto-EOI)
 * follow, but one vector at most once per call.
 */
static int pic_update(struct pic *pic)
{
	int sent[PIC_NR_IRQS + 1], nr = 0, i, r, ret = 0;
	bool out;

	pic_update_cascade(pic);
	out = pic_output(pic);
	/*
	 * A guest that polls has interrupts disabled and takes the request
	 * with its read, so no INTA cycle happens while a poll is pending.
	 */
	if (pic->st.chip[0].poll)
		out = false;
	if (!out || pic->st.output) {
		pic->st.output = out;
		return 0;
	}
	while (out && nr < (int)ARRAY_SIZE(sent)) {
		int vector = pic_intack(pic);

		for (i = 0; i < nr; i++)
			if (sent[i] == vector)
				break;
		if (i < nr)
			break;
		sent[nr++] = vector;
		r = pic_send(pic, vector);
		if (r && !ret)
			ret = r;
		out = pic_output(pic);
	}
	pic->st.output = out;
	return ret;
}

int pic_set_irq(struct pic *pic, unsigned int irq, bool level)
{
	if (irq >= PIC_NR_IRQS || irq == PIC_CASCADE_IR)
		return 0;
	chip_set_line(&pic->st.chip[irq / 8], irq % 8, level);
	return pic_update(pic);
}

/*
 * ICW1 (datasheet, "Initialization Command Words"): IMR and ISR cleared,
 * IR7 lowest priority, special mask mode off, reads return IRR, and the
 * edge-sense latches reset so that an input must rise again to request.
 */
static void chip_write_icw1(struct pic_chip *c, uint8_t val)
{
	c->imr = 0;
	c->isr = 0;
	c->lowest = 7;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->rotate_aeoi = false;
	c->need_icw4 = val & PIC_ICW1_IC4;
	c->single = val & PIC_ICW1_SNGL;
	c->ltim = val & PIC_ICW1_LTIM;
	c->irr &= c->ltim ? 0xff : c->elcr;
	if (!c->need_icw4) {
		c->aeoi = false;
		c->sfnm = false;
	}
	c->init_step = 2;
}

static void chip_write_ocw2(struct pic_chip *c, uint8_t val)
{
	unsigned int ir = val & 7, prio;

	switch (val & 0xe0) {
	case PIC_OCW2_ROTATE_AEOI_CLEAR:
		c->rotate_aeoi = false;
		break;
	case PIC_OCW2_ROTATE_AEOI_SET:
		c->rotate_aeoi = true;
		break;
	case PIC_OCW2_EOI:
	case PIC_OCW2_ROTATE_EOI:
		prio = chip_priority(c, c->isr);
		if (prio == PIC_PRIORITIES)
			break;
		ir = chip_ir(c, prio);
		c->isr &= ~(1U << ir);
		if ((val & 0xe0) == PIC_OCW2_ROTATE_EOI)
			c->lowest = ir;
		break;
	case PIC_OCW2_SPECIFIC_EOI:
		c->isr &= ~(1U << ir);
		break;
	case PIC_OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~(1U << ir);
		c->lowest = ir;
		break;
	case PIC_OCW2_SET_PRIORITY:
		c->lowest = ir;
		break;
	default:
		break;	/* no operation */
	}
}

static void chip_write_ocw3(struct pic_chip *c, uint8_t val)
{
	if (val & PIC_OCW3_POLL)
		c->poll = true;
	if (val & PIC_OCW3_RR)
		c->read_isr = val & PIC_OCW3_RIS;
	if (val & PIC_OCW3_ESMM)
		c->special_mask = val & PIC_OCW3_SMM;
}

static void chip_write_cmd(struct pic_chip *c, uint8_t val)
{
	if (val & PIC_ICW1)
		chip_write_icw1(c, val);
	else if (val & PIC_OCW3)
		chip_write_ocw3(c, val);
	else
		chip_write_ocw2(c, val);
}

static void chip_write_data(struct pic_chip *c, uint8_t val)
{
	switch (c->init_step) {
	case 2:
		c->base = val & 0xf8;	/* 8086 mode: T7-T3 */
		if (!c->single)
			c->init_step = 3;
		else
			c->init_step = c->need_icw4 ? 4 : 0;
		break;
	case 3:
		c->icw3 = val;
		c->init_step = c->need_icw4 ? 4 : 0;
		break;
	case 4:
		c->aeoi = val & PIC_ICW4_AEOI;
		c->sfnm = val & PIC_ICW4_SFNM;
		c->init_step = 0;
		break;
	default:
		c->imr = val;	/* OCW1 */
		break;
	}
}

/*
 * A poll is an INTA cycle the CPU does by a read: bit 7 says whether a
 * request was pending, bits 2:0 which; the request goes in service.
 */
static uint8_t pic_poll(struct pic *pic, unsigned int which)
{
	struct pic_chip *c = &pic->st.chip[which];
	int ir = chip_pending(c, which == PIC_MASTER);

	c->poll = false;
	if (ir == PIC_NO_IRQ)
		return 0;
	chip_ack(c, ir);
	return 0x80 | ir;
}

static uint8_t pic_read(struct pic *pic, uint16_t port)
{
	unsigned int which = port == PIC_SLAVE_CMD || port == PIC_SLAVE_DATA;
	struct pic_chip *c = &pic->st.chip[which];

	switch (port) {
	case PIC_ELCR1:
		return pic->st.chip[PIC_MASTER].elcr;
	case PIC_ELCR2:
		return pic->st.chip[PIC_SLAVE].elcr;
	case PIC_MASTER_CMD:
	case PIC_SLAVE_CMD:
		if (c->poll)
			return pic_poll(pic, which);
		return c->read_isr ? c->isr : c->irr;
	case PIC_MASTER_DATA:
	case PIC_SLAVE_DATA:
		if (c->poll)
			return pic_poll(pic, which);
		return c->imr;
	default:
		return 0xff;
	}
}

static void pic_write(struct pic *pic, uint16_t port, uint8_t val)
{
	switch (port) {
	case PIC_MASTER_CMD:
		chip_write_cmd(&pic->st.chip[PIC_MASTER], val);
		break;
	case PIC_MASTER_DATA:
		chip_write_data(&pic->st.chip[PIC_MASTER], val);
		break;
	case PIC_SLAVE_CMD:
		chip_write_cmd(&pic->st.chip[PIC_SLAVE], val);
		break;
	case PIC_SLAVE_DATA:
		chip_write_data(&pic->st.chip[PIC_SLAVE], val);
		break;
	case PIC_ELCR1:
		pic->st.chip[PIC_MASTER].elcr = val & PIC_ELCR1_MASK;
		break;
	case PIC_ELCR2:
		pic->st.chip[PIC_SLAVE].elcr = val & PIC_ELCR2_MASK;
		break;
	default:
		break;
	}
}

int pic_io(struct pic *pic, uint16_t port, bool is_write, uint8_t *val)
{
	if (is_write)
		pic_write(pic, port, *val);
	else
		*val = pic_read(pic, port);
	/* Any access may change INT: an EOI, a mask, a poll. */
	return pic_update(pic);
}

/* The ports are byte registers; wider accesses reach the next port. */
static void pic_ports_io(struct pic *pic, uint16_t port, bool is_write,
			 uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		pic_io(pic, port + i, is_write, &data[i]);
}

static void pic_master_io(void *opaque, uint64_t offset, bool is_write,
			  uint8_t *data, uint32_t len)
{
	pic_ports_io(opaque, PIC_MASTER_CMD + offset, is_write, data, len);
}

static void pic_slave_io(void *opaque, uint64_t offset, bool is_write,
			 uint8_t *data, uint32_t len)
{
	pic_ports_io(opaque, PIC_SLAVE_CMD + offset, is_write, data, len);
}

static void pic_elcr_io(void *opaque, uint64_t offset, bool is_write,
			uint8_t *data, uint32_t len)
{
	pic_ports_io(opaque, PIC_ELCR1 + offset, is_write, data, len);
}

int pic_attach(struct pic *pic, struct io_bus *bus)
{
	int r;

	r = io_register_port(bus, PIC_MASTER_CMD, 2, pic_master_io, pic);
	if (!r)
		r = io_register_port(bus, PIC_SLAVE_CMD, 2, pic_slave_io, pic);
	if (!r)
		r = io_register_port(bus, PIC_ELCR1, 2, pic_elcr_io, pic);
	return r;
}

static uint16_t chip_flags(const struct pic_chip *c)
{
	return (c->need_icw4 ? PIC_FLAG_NEED_ICW4 : 0) |
	       (c->single ? PIC_FLAG_SINGLE : 0) |
	       (c->ltim ? PIC_FLAG_LTIM : 0) |
	       (c->aeoi ? PIC_FLAG_AEOI : 0) |
	       (c->sfnm ? PIC_FLAG_SFNM : 0) |
	       (c->rotate_aeoi ? PIC_FLAG_ROTATE_AEOI : 0) |
	       (c->special_mask ? PIC_FLAG_SPECIAL_MASK : 0) |
	       (c->read_isr ? PIC_FLAG_READ_ISR : 0) |
	       (c->poll ? PIC_FLAG_POLL : 0);
}

static void chip_set_flags(struct pic_chip *c, uint16_t f)
{
	c->need_icw4 = f & PIC_FLAG_NEED_ICW4;
	c->single = f & PIC_FLAG_SINGLE;
	c->ltim = f & PIC_FLAG_LTIM;
	c->aeoi = f & PIC_FLAG_AEOI;
	c->sfnm = f & PIC_FLAG_SFNM;
	c->rotate_aeoi = f & PIC_FLAG_ROTATE_AEOI;
	c->special_mask = f & PIC_FLAG_SPECIAL_MASK;
	c->read_isr = f & PIC_FLAG_READ_ISR;
	c->poll = f & PIC_FLAG_POLL;
}

/*
 * Version 1: per chip, master then slave, IRR, ISR, IMR, the input
 * levels, ELCR, the vector base (ICW2), ICW3, the lowest-priority input,
 * the initialisation step (u8 each) and the modes as one u16 of flags
 * (PIC_FLAG_*); then the master's INT as last seen (bool).
 */
int pic_save(const struct pic *pic, struct hw_state_out *out)
{
	unsigned int i;

	hw_state_begin(out, PIC_STATE_NAME, PIC_STATE_VERSION);
	for (i = 0; i < ARRAY_SIZE(pic->st.chip); i++) {
		const struct pic_chip *c = &pic->st.chip[i];

		hw_put_u8(out, c->irr);
		hw_put_u8(out, c->isr);
		hw_put_u8(out, c->imr);
		hw_put_u8(out, c->lines);
		hw_put_u8(out, c->elcr);
		hw_put_u8(out, c->base);
		hw_put_u8(out, c->icw3);
		hw_put_u8(out, c->lowest);
		hw_put_u8(out, c->init_step);
		hw_put_u16(out, chip_flags(c));
	}
	hw_put_bool(out, pic->st.output);
	return hw_state_end(out);
}

/* What the chip's registers could hold, each as the guest can set it. */
static int chip_check(struct hw_state_in *in, const char *which,
		      const struct pic_chip *c, uint8_t elcr_mask,
		      uint16_t flags)
{
	if (c->elcr & ~elcr_mask)
		return hw_state_invalid(in, "%s ELCR %#x makes an edge-only input level",
					which, c->elcr);
	if (c->base & 7)
		return hw_state_invalid(in, "%s vector base %#x is not a multiple of 8",
					which, c->base);
	if (c->lowest > 7)
		return hw_state_invalid(in, "%s lowest-priority input %u of 0-7",
					which, c->lowest);
	if (c->init_step == 1 || c->init_step > 4)
		return hw_state_invalid(in, "%s waits for ICW%u", which,
					c->init_step);
	if (flags & ~PIC_FLAGS)
		return hw_state_invalid(in, "%s flags %#x outside %#x", which,
					flags, PIC_FLAGS);
	return 0;
}

int pic_load(struct pic *pic, const void *buf, size_t len, char *err,
	     size_t errlen)
{
	static const char * const names[] = { "master", "slave" };
	static const uint8_t elcr_masks[] = { PIC_ELCR1_MASK, PIC_ELCR2_MASK };
	struct pic_state st = { 0 };
	uint16_t flags[ARRAY_SIZE(st.chip)];
	struct hw_state_in in;
	uint32_t version;
	unsigned int i;
	int r;

	r = hw_state_open(&in, buf, len, PIC_STATE_NAME, PIC_STATE_VERSION,
			  &version, err, errlen);
	if (r)
		return r;
	for (i = 0; i < ARRAY_SIZE(st.chip); i++) {
		struct pic_chip *c = &st.chip[i];

		c->irr = hw_get_u8(&in);
		c->isr = hw_get_u8(&in);
		c->imr = hw_get_u8(&in);
		c->lines = hw_get_u8(&in);
		c->elcr = hw_get_u8(&in);
		c->base = hw_get_u8(&in);
		c->icw3 = hw_get_u8(&in);
		c->lowest = hw_get_u8(&in);
		c->init_step = hw_get_u8(&in);
		flags[i] = hw_get_u16(&in);
		chip_set_flags(c, flags[i]);
	}
	st.output = hw_get_bool(&in);
	r = hw_state_close(&in);
	for (i = 0; !r && i < ARRAY_SIZE(st.chip); i++)
		r = chip_check(&in, names[i], &st.chip[i], elcr_masks[i],
			       flags[i]);
	if (r)
		return r;
	pic->st = st;
	return 0;
}

static void pic_dev_reset(void *dev)
{
	pic_reset(dev);
}

static int pic_dev_save(void *dev, struct hw_state_out *out)
{
	return pic_save(dev, out);
}

static int pic_dev_load(void *dev, const void *buf, size_t len, char *err,
			size_t errlen)
{
	return pic_load(dev, buf, len, err, errlen);
}

const struct hw_device_ops pic_device_ops = {
	.name = PIC_STATE_NAME,
	.reset = pic_dev_reset,
	.save = pic_dev_save,
	.load = pic_dev_load,
};
