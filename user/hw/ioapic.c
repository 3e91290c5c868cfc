// SPDX-License-Identifier: GPL-2.0
/*
 * I/O APIC model. Register behaviour follows the Intel 82093AA I/O Advanced
 * Programmable Interrupt Controller datasheet (order no. 290566); see
 * ioapic.h for what deliberately differs.
 */
#include <string.h>

#include "ioapic.h"

#define IOAPIC_ID_SHIFT		24
#define IOAPIC_ID_MASK		0xfU	/* the 82093AA has a 4-bit ID */
#define IOAPIC_VER_MAXREDIR_SHIFT 16

void ioapic_init(struct ioapic *io, uint8_t id, msi_fn deliver, void *opaque)
{
	unsigned int pin;

	memset(io, 0, sizeof(*io));
	io->deliver = deliver;
	io->opaque = opaque;
	io->id = id & IOAPIC_ID_MASK;
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++)
		io->rte[pin] = IOAPIC_RTE_MASKED;
}

static unsigned int rte_delmode(uint64_t rte)
{
	return (rte & IOAPIC_RTE_DELMODE) >> IOAPIC_RTE_DELMODE_SHIFT;
}

/* SMI, NMI and INIT are edge-triggered whatever the trigger bit says. */
static bool rte_is_level(uint64_t rte)
{
	switch (rte_delmode(rte)) {
	case IOAPIC_DM_SMI:
	case IOAPIC_DM_NMI:
	case IOAPIC_DM_INIT:
		return false;
	default:
		return rte & IOAPIC_RTE_LEVEL;
	}
}

void ioapic_rte_to_msi(uint64_t rte, struct vessel_msi *msi)
{
	uint64_t dest = rte >> IOAPIC_RTE_DEST_SHIFT;

	memset(msi, 0, sizeof(*msi));
	msi->address = MSI_ADDR_BASE | dest << MSI_ADDR_DEST_SHIFT;
	if (rte & IOAPIC_RTE_DESTMODE)
		msi->address |= MSI_ADDR_DESTMODE;
	msi->data = (rte & IOAPIC_RTE_VECTOR) |
		    rte_delmode(rte) << MSI_DATA_DELMODE_SHIFT |
		    MSI_DATA_ASSERT;
	if (rte_is_level(rte))
		msi->data |= MSI_DATA_LEVEL;
}

static int ioapic_send(struct ioapic *io, unsigned int pin)
{
	struct vessel_msi msi;

	ioapic_rte_to_msi(io->rte[pin], &msi);
	/*
	 * Remote IRR says a local APIC holds the level interrupt; it is set
	 * even if delivery fails, so a broken callback cannot cause a storm.
	 */
	if (rte_is_level(io->rte[pin]))
		io->rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	return io->deliver ? io->deliver(io->opaque, &msi) : 0;
}

/*
 * A level-triggered pin sends while it is asserted, unmasked and not
 * already held by a local APIC. Edges are handled in ioapic_set_irq().
 */
static int ioapic_service_level(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->rte[pin];

	if (!(io->lines & (1U << pin)) || !rte_is_level(rte) ||
	    rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR))
		return 0;
	return ioapic_send(io, pin);
}

int ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	uint32_t bit;
	bool rising;

	if (pin >= IOAPIC_NR_PINS)
		return 0;
	bit = 1U << pin;
	rising = level && !(io->lines & bit);
	if (level)
		io->lines |= bit;
	else
		io->lines &= ~bit;

	if (rte_is_level(io->rte[pin]))
		return ioapic_service_level(io, pin);
	/* An edge that arrives while the pin is masked is lost. */
	if (rising && !(io->rte[pin] & IOAPIC_RTE_MASKED))
		return ioapic_send(io, pin);
	return 0;
}

int ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	unsigned int pin;
	int r, ret = 0;

	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		uint64_t rte = io->rte[pin];

		if (!(rte & IOAPIC_RTE_REMOTE_IRR) ||
		    (rte & IOAPIC_RTE_VECTOR) != vector)
			continue;
		io->rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		/* Still asserted: the device wants service again. */
		r = ioapic_service_level(io, pin);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

static uint32_t ioapic_read_reg(const struct ioapic *io, uint8_t reg)
{
	unsigned int pin;

	switch (reg) {
	case IOAPIC_REG_ID:
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VER:
		return (IOAPIC_NR_PINS - 1) << IOAPIC_VER_MAXREDIR_SHIFT |
		       IOAPIC_VERSION;
	case IOAPIC_REG_ARB:
		/* The arbitration ID is loaded from the APIC ID at reset. */
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	}
	if (reg < IOAPIC_REG_REDTBL ||
	    reg >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS)
		return 0;	/* the datasheet leaves these undefined */
	pin = (reg - IOAPIC_REG_REDTBL) / 2;
	if (reg & 1)
		return io->rte[pin] >> 32;
	return (uint32_t)io->rte[pin];
}

static int ioapic_write_rte(struct ioapic *io, unsigned int pin, bool high,
			    uint32_t val)
{
	uint64_t old = io->rte[pin], rte;

	if (high)
		rte = (old & 0xffffffffULL) | (uint64_t)val << 32;
	else
		rte = (old & ~0xffffffffULL) | val;
	rte = (rte & IOAPIC_RTE_WRITABLE) | (old & IOAPIC_RTE_REMOTE_IRR);
	/*
	 * Remote IRR means nothing for edge mode, and Linux clears a stuck
	 * one on IOAPICs without an EOI register by switching the pin to
	 * edge and back: do what that relies on.
	 */
	if (!(rte & IOAPIC_RTE_LEVEL))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->rte[pin] = rte;
	/* Unmasking an asserted level pin sends it at once. */
	return ioapic_service_level(io, pin);
}

static int ioapic_write_reg(struct ioapic *io, uint8_t reg, uint32_t val)
{
	switch (reg) {
	case IOAPIC_REG_ID:
		io->id = (val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
		return 0;
	case IOAPIC_REG_VER:
	case IOAPIC_REG_ARB:
		return 0;	/* read-only */
	}
	if (reg < IOAPIC_REG_REDTBL ||
	    reg >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS)
		return 0;
	return ioapic_write_rte(io, (reg - IOAPIC_REG_REDTBL) / 2, reg & 1,
				val);
}

/* The 32-bit register at dword-aligned @offset, as the guest reads it. */
static uint32_t ioapic_read_dword(const struct ioapic *io, uint64_t offset)
{
	switch (offset) {
	case IOAPIC_REGSEL:
		return io->regsel;
	case IOAPIC_WIN:
		return ioapic_read_reg(io, io->regsel);
	default:
		return 0;
	}
}

static int ioapic_write_dword(struct ioapic *io, uint64_t offset,
			      uint32_t val)
{
	switch (offset) {
	case IOAPIC_REGSEL:
		io->regsel = val;	/* an 8-bit register */
		return 0;
	case IOAPIC_WIN:
		return ioapic_write_reg(io, io->regsel, val);
	default:
		return 0;
	}
}

/*
 * Software must use aligned dword accesses; anything else is split into
 * the dwords it touches, and a partial write merges into what the
 * register reads, so a byte write to IOREGSEL still selects a register.
 */
int ioapic_mmio(struct ioapic *io, uint64_t offset, bool is_write,
		uint8_t *data, uint32_t len)
{
	int r, ret = 0;

	while (len) {
		uint64_t dword = offset & ~3ULL;
		unsigned int skip = offset & 3;
		unsigned int n = 4 - skip < len ? 4 - skip : len;
		uint32_t val = ioapic_read_dword(io, dword);
		uint8_t bytes[4];

		memcpy(bytes, &val, 4);	/* x86 is little-endian */
		if (is_write) {
			memcpy(bytes + skip, data, n);
			memcpy(&val, bytes, 4);
			r = ioapic_write_dword(io, dword, val);
			if (r && !ret)
				ret = r;
		} else {
			memcpy(data, bytes + skip, n);
		}
		offset += n;
		data += n;
		len -= n;
	}
	return ret;
}
