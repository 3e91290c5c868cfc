/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A pair of Intel 8259A PICs as wired in a PC, as a pure state machine.
 *
 * The master answers at ports 0x20-0x21, the slave at 0xa0-0xa1 and
 * cascades into the master's IR2; the edge/level control registers (ELCR)
 * of PIIX/ICH chipsets sit at 0x4d0-0x4d1. ISA IRQ n is the master's IRn
 * for n < 8 and the slave's IR(n - 8) otherwise.
 *
 * The master's INT output reaches the boot processor's LINT0 as ExtINT.
 * When it rises, the model runs the interrupt-acknowledge cycle at once
 * (IRR to ISR, as the CPU's INTA would) and hands the vector the PIC gives
 * to the callback as an MSI with delivery mode ExtINT, destination APIC 0.
 * With auto-EOI, a second request already pending after that cycle is
 * delivered in the same call; a level request left asserted is not sent
 * twice in one call (there is no CPU to hold off the storm). While a poll
 * command is pending on the master, no INTA cycle is run: the guest's read
 * is the acknowledge.
 *
 * Reset state is what a PC BIOS leaves: initialised in 8086 mode with
 * vectors 0x08 (master) and 0x70 (slave), cascade on IR2, and every input
 * masked, so nothing reaches a guest until it programs the PICs.
 *
 * Not modelled: 8080/8085 mode (ICW4 bit 0 clear is treated as 8086
 * mode), buffered mode (ICW4 BUF and M/S are stored only) and the
 * spurious-interrupt timing of a request that drops before INTA (a
 * request stays in IRR until acknowledged).
 */
#ifndef VESSEL_I8259_H
#define VESSEL_I8259_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "ioapic.h"	/* msi_fn */

#define PIC_MASTER_CMD		0x20
#define PIC_MASTER_DATA		0x21
#define PIC_SLAVE_CMD		0xa0
#define PIC_SLAVE_DATA		0xa1
#define PIC_ELCR1		0x4d0
#define PIC_ELCR2		0x4d1
#define PIC_CASCADE_IR		2
#define PIC_NR_IRQS		16

#define PIC_ICW1		0x10	/* command port, bit 4: ICW1 */
#define PIC_ICW1_IC4		0x01
#define PIC_ICW1_SNGL		0x02
#define PIC_ICW1_LTIM		0x08
#define PIC_ICW4_AEOI		0x02
#define PIC_ICW4_SFNM		0x10
#define PIC_OCW3		0x08	/* command port, bits 4:3 = 01 */
#define PIC_OCW3_RIS		0x01
#define PIC_OCW3_RR		0x02
#define PIC_OCW3_POLL		0x04
#define PIC_OCW3_SMM		0x20
#define PIC_OCW3_ESMM		0x40
/* OCW2 commands, bits 7:5. */
#define PIC_OCW2_ROTATE_AEOI_CLEAR	0x00
#define PIC_OCW2_EOI			0x20
#define PIC_OCW2_NOP			0x40
#define PIC_OCW2_SPECIFIC_EOI		0x60
#define PIC_OCW2_ROTATE_AEOI_SET	0x80
#define PIC_OCW2_ROTATE_EOI		0xa0
#define PIC_OCW2_SET_PRIORITY		0xc0
#define PIC_OCW2_ROTATE_SPECIFIC_EOI	0xe0

struct pic_chip {
	uint8_t irr;
	uint8_t isr;
	uint8_t imr;
	uint8_t lines;		/* input levels, for edge detection */
	uint8_t elcr;
	uint8_t base;		/* ICW2: vector of IR0 */
	uint8_t icw3;
	uint8_t lowest;		/* the input with the lowest priority */
	uint8_t init_step;	/* 0, or the ICW (2..4) the chip waits for */
	bool need_icw4;
	bool single;
	bool ltim;		/* ICW1: every input level-triggered */
	bool aeoi;
	bool sfnm;		/* special fully nested mode */
	bool rotate_aeoi;
	bool special_mask;
	bool read_isr;		/* OCW3 RR/RIS: command port reads ISR */
	bool poll;		/* OCW3 P: next read is a poll */
};

/* What the pair holds. */
struct pic_state {
	struct pic_chip chip[2];	/* master, slave */
	bool output;		/* master INT as last seen */
};

struct pic {
	struct pic_state st;
	/* The wiring: set by pic_init(), kept by reset and load. */
	msi_fn deliver;
	void *opaque;
};

/* Wire the pair to @deliver and reset it. */
void pic_init(struct pic *pic, msi_fn deliver, void *opaque);

/*
 * Put the pair on @bus at its ports: master, slave and ELCR, two each.
 * They are byte registers: a wider access reaches the next port too.
 * What delivery returns is not passed back to the bus: the callback given
 * to pic_init() sees every failure first. Returns 0 or what
 * io_register_port() returned.
 */
struct io_bus;
int pic_attach(struct pic *pic, struct io_bus *bus);

/* Power-on state: what a PC BIOS leaves (see above). */
void pic_reset(struct pic *pic);

/*
 * Save and load the state in the record format of state.h ("i8259",
 * version 1; the fields in Documentation/userspace-devices.rst). A load
 * sends nothing; one that fails returns -EINVAL with one line in @err
 * and changes nothing.
 */
struct hw_state_out;
int pic_save(const struct pic *pic, struct hw_state_out *out);
int pic_load(struct pic *pic, const void *buf, size_t len, char *err,
	     size_t errlen);

/* Reset, save and load for the machine's device table. */
extern const struct hw_device_ops pic_device_ops;

/*
 * One byte-wide guest access to @port (one of the six above; others read
 * 0xff). Returns 0 or what delivery returned.
 */
int pic_io(struct pic *pic, uint16_t port, bool is_write, uint8_t *val);

/* Drive ISA IRQ @irq (0..15, except the cascade 2). Returns as pic_io(). */
int pic_set_irq(struct pic *pic, unsigned int irq, bool level);

/* Level of the master's INT output. */
bool pic_output(const struct pic *pic);

#endif /* VESSEL_I8259_H */
