/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An Intel 82093AA I/O APIC as a pure state machine: no I/O, no threads.
 *
 * The VMM maps ioapic_mmio() at IOAPIC_BASE, devices drive the input pins
 * with ioapic_set_irq(), and every interrupt the IOAPIC sends becomes one
 * x86 MSI (struct vessel_msi, the format VESSEL_SIGNAL_MSI takes) handed to
 * the caller's callback, which delivers it to the local APICs.
 *
 * The run loop calls ioapic_eoi() when a local APIC reports an EOI of a
 * level-triggered vector: that clears Remote IRR and, if the line is still
 * asserted, sends the interrupt again.
 *
 * Departures from the datasheet, all as in other VMMs:
 *  - The destination field is the full 8 bits 63:56 in physical mode too
 *    (the 82093AA decodes only 59:56), so APIC IDs up to 255 are reachable.
 *  - Input levels are logical (true = asserted); the polarity bit is stored
 *    and read back but does not invert the line.
 *  - Delivery is immediate, so Delivery Status (bit 12) always reads 0.
 *  - SMI, NMI and INIT are always edge-triggered (the datasheet requires
 *    edge for them); ExtINT follows the trigger-mode bit.
 */
#ifndef VESSEL_IOAPIC_H
#define VESSEL_IOAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vessel.h>

#include "device.h"

#define IOAPIC_BASE		0xfec00000ULL
#define IOAPIC_MMIO_SIZE	0x1000ULL
#define IOAPIC_NR_PINS		24
#define IOAPIC_VERSION		0x11	/* 82093AA */

/* MMIO offsets: the index register and the data window. */
#define IOAPIC_REGSEL		0x00
#define IOAPIC_WIN		0x10

/* Indirect registers, selected through IOREGSEL. */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDTBL	0x10	/* pin n: 0x10 + 2n low, + 2n + 1 high */

/* Redirection table entry bits. */
#define IOAPIC_RTE_VECTOR	0xffULL
#define IOAPIC_RTE_DELMODE_SHIFT 8
#define IOAPIC_RTE_DELMODE	(7ULL << IOAPIC_RTE_DELMODE_SHIFT)
#define IOAPIC_RTE_DESTMODE	(1ULL << 11)	/* 1 = logical */
#define IOAPIC_RTE_DELIVS	(1ULL << 12)	/* read-only */
#define IOAPIC_RTE_POLARITY	(1ULL << 13)	/* 1 = active low */
#define IOAPIC_RTE_REMOTE_IRR	(1ULL << 14)	/* read-only */
#define IOAPIC_RTE_LEVEL	(1ULL << 15)	/* trigger mode: 1 = level */
#define IOAPIC_RTE_MASKED	(1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT	56
/* What a guest may write; bits 55:17 are reserved. */
#define IOAPIC_RTE_WRITABLE	(IOAPIC_RTE_VECTOR | IOAPIC_RTE_DELMODE | \
				 IOAPIC_RTE_DESTMODE | IOAPIC_RTE_POLARITY | \
				 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | \
				 (0xffULL << IOAPIC_RTE_DEST_SHIFT))

/* Delivery modes, the same in a redirection entry and in MSI data. */
#define IOAPIC_DM_FIXED		0
#define IOAPIC_DM_LOWEST	1
#define IOAPIC_DM_SMI		2
#define IOAPIC_DM_NMI		4
#define IOAPIC_DM_INIT		5
#define IOAPIC_DM_EXTINT	7

/* The x86 MSI format (SDM Vol. 3 11.11). */
#define MSI_ADDR_BASE		0xfee00000ULL
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DESTMODE	(1ULL << 2)	/* 1 = logical */
#define MSI_DATA_DELMODE_SHIFT	8
#define MSI_DATA_ASSERT		(1U << 14)
#define MSI_DATA_LEVEL		(1U << 15)

/*
 * Deliver @msi. Returns 0, or a negative errno that the IOAPIC hands back
 * to whoever caused the delivery, leaving its state as if it had been sent.
 */
typedef int (*msi_fn)(void *opaque, const struct vessel_msi *msi);

/* What the I/O APIC holds. */
struct ioapic_state {
	uint8_t regsel;
	uint8_t id;		/* bits 27:24 of the ID register */
	uint32_t lines;		/* bit n: pin n asserted */
	uint64_t rte[IOAPIC_NR_PINS];
};

struct ioapic {
	struct ioapic_state st;
	/* The wiring: set by ioapic_init(), kept by reset and load. */
	msi_fn deliver;
	void *opaque;
	uint8_t reset_id;	/* the ID at power-on */
};

/* Wire the I/O APIC, with ID @id at power-on, and reset it. */
void ioapic_init(struct ioapic *io, uint8_t id, msi_fn deliver, void *opaque);

/*
 * Map the I/O APIC's registers on @bus at guest-physical @base (4 KiB,
 * ioapic_mmio()). What delivery returns is not passed back to the bus:
 * the callback given to ioapic_init() sees every failure first. Returns 0
 * or what io_register_mmio() returned.
 */
struct io_bus;
int ioapic_attach(struct ioapic *io, struct io_bus *bus, uint64_t base);

/*
 * Power-on state: the ID given to ioapic_init(), every pin masked, edge,
 * fixed, vector 0, no input asserted.
 */
void ioapic_reset(struct ioapic *io);

/*
 * Save and load the state in the record format of state.h ("ioapic",
 * version 1; the fields in Documentation/userspace-devices.rst). A load
 * sends nothing: it restores what the guest and the devices left, lines
 * included. One that fails returns -EINVAL with one line in @err and
 * changes nothing.
 */
struct hw_state_out;
int ioapic_save(const struct ioapic *io, struct hw_state_out *out);
int ioapic_load(struct ioapic *io, const void *buf, size_t len, char *err,
		size_t errlen);

/* Reset, save and load for the machine's device table. */
extern const struct hw_device_ops ioapic_device_ops;

/*
 * One guest access of @len bytes at @offset into the MMIO page, with the
 * signature of io_handler_fn. Returns what delivery returned, or 0.
 */
int ioapic_mmio(struct ioapic *io, uint64_t offset, bool is_write,
		uint8_t *data, uint32_t len);

/* Drive input @pin (0..23; others are ignored). Returns as ioapic_mmio(). */
int ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level);

/* A local APIC EOI'd level-triggered @vector. Returns as ioapic_mmio(). */
int ioapic_eoi(struct ioapic *io, uint8_t vector);

/* The MSI that redirection entry @rte sends. */
void ioapic_rte_to_msi(uint64_t rte, struct vessel_msi *msi);

#endif /* VESSEL_IOAPIC_H */
