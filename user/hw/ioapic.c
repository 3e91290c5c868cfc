// SPDX-License-Identifier: GPL-2.0
/*
 * I/O APIC model. Register behaviour follows the Intel 82093AA I/O Advanced
 * Programmable Interrupt Controller datasheet (order no. 290566); see
 * ioapic.h for what deliberately differs.
 */
#include <string.h>

#include "bus.h"
#include "ioapic.h"
#include "state.h"

#define IOAPIC_ID_SHIFT		24
#define IOAPIC_ID_MASK		0xfU	/* the 82093AA has a 4-bit ID */
#define IOAPIC_VER_MAXREDIR_SHIFT 16
#define IOAPIC_LINES_MASK	((1U << IOAPIC_NR_PINS) - 1)

#define IOAPIC_STATE_NAME	"ioapic"
#define IOAPIC_STATE_VERSION	1

void ioapic_reset(struct ioapic *io)
{
	unsigned int pin;

	memset(&io->st, 0, sizeof(io->st));
	io->st.id = io->reset_id;
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++)
		io->st.rte[pin] = IOAPIC_RTE_MASKED;
}

void ioapic_init(struct ioapic *io, uint8_t id, msi_fn deliver, void *opaque)
{
	memset(io, 0, sizeof(*io));
	io->deliver = deliver;
	io->opaque = opaque;
	io->reset_id = id & IOAPIC_ID_MASK;
	ioapic_reset(io);
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

	ioapic_rte_to_msi(io->st.rte[pin], &msi);
	/*
	 * Remote IRR says a local APIC holds the level interrupt; it is set
	 * even if delivery fails, so a broken callback cannot cause a storm.
	 */
	if (rte_is_level(io->st.rte[pin]))
		io->st.rte[pin] |= IOAPIC_RTE_REMOTE_IRR;
	return io->deliver ? io->deliver(io->opaque, &msi) : 0;
}

/*
 * A level-triggered pin sends while it is asserted, unmasked and not
 * already held by a local APIC. Edges are handled in ioapic_set_irq().
 */
static int ioapic_service_level(struct ioapic *io, unsigned int pin)
{
	uint64_t rte = io->st.rte[pin];

	if (!(io->st.lines & (1U << pin)) || !rte_is_level(rte) ||
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
	rising = level && !(io->st.lines & bit);
	if (level)
		io->st.lines |= bit;
	else
		io->st.lines &= ~bit;

	if (rte_is_level(io->st.rte[pin]))
		return ioapic_service_level(io, pin);
	/* An edge that arrives while the pin is masked is lost. */
	if (rising && !(io->st.rte[pin] & IOAPIC_RTE_MASKED))
		return ioapic_send(io, pin);
	return 0;
}

int ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	unsigned int pin;
	int r, ret = 0;

	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		uint64_t rte = io->st.rte[pin];

		if (!(rte & IOAPIC_RTE_REMOTE_IRR) ||
		    (rte & IOAPIC_RTE_VECTOR) != vector)
			continue;
		io->st.rte[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
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
		return (uint32_t)io->st.id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VER:
		return (IOAPIC_NR_PINS - 1) << IOAPIC_VER_MAXREDIR_SHIFT |
		       IOAPIC_VERSION;
	case IOAPIC_REG_ARB:
		/* The arbitration ID is loaded from the APIC ID at reset. */
		return (uint32_t)io->st.id << IOAPIC_ID_SHIFT;
	}
	if (reg < IOAPIC_REG_REDTBL ||
	    reg >= IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS)
		return 0;	/* the datasheet leaves these undefined */
	pin = (reg - IOAPIC_REG_REDTBL) / 2;
	if (reg & 1)
		return io->st.rte[pin] >> 32;
	return (uint32_t)io->st.rte[pin];
}

static int ioapic_write_rte(struct ioapic *io, unsigned int pin, bool high,
			    uint32_t val)
{
	uint64_t old = io->st.rte[pin], rte;

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
	io->st.rte[pin] = rte;
	/* Unmasking an asserted level pin sends it at once. */
	return ioapic_service_level(io, pin);
}

static int ioapic_write_reg(struct ioapic *io, uint8_t reg, uint32_t val)
{
	switch (reg) {
	case IOAPIC_REG_ID:
		io->st.id = (val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
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
		return io->st.regsel;
	case IOAPIC_WIN:
		return ioapic_read_reg(io, io->st.regsel);
	default:
		return 0;
	}
}

static int ioapic_write_dword(struct ioapic *io, uint64_t offset,
			      uint32_t val)
{
	switch (offset) {
	case IOAPIC_REGSEL:
		io->st.regsel = val;	/* an 8-bit register */
		return 0;
	case IOAPIC_WIN:
		return ioapic_write_reg(io, io->st.regsel, val);
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

static void ioapic_bus_io(void *opaque, uint64_t offset, bool is_write,
			  uint8_t *data, uint32_t len)
{
	ioapic_mmio(opaque, offset, is_write, data, len);
}

int ioapic_attach(struct ioapic *io, struct io_bus *bus, uint64_t base)
{
	return io_register_mmio(bus, base, IOAPIC_MMIO_SIZE, ioapic_bus_io, io);
}

/*
 * Version 1: IOREGSEL (u8), the ID (u8, 0-15), the input levels (u32, bit
 * n for pin n, 0-23) and the 24 redirection entries (u64 each), with
 * Remote IRR.
 */
int ioapic_save(const struct ioapic *io, struct hw_state_out *out)
{
	unsigned int pin;

	hw_state_begin(out, IOAPIC_STATE_NAME, IOAPIC_STATE_VERSION);
	hw_put_u8(out, io->st.regsel);
	hw_put_u8(out, io->st.id);
	hw_put_u32(out, io->st.lines);
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++)
		hw_put_u64(out, io->st.rte[pin]);
	return hw_state_end(out);
}

/*
 * An entry holds what a guest can write, and Remote IRR only while its
 * trigger mode is level: writing edge clears it (ioapic_write_rte()).
 */
static int ioapic_check_rte(struct hw_state_in *in, unsigned int pin,
			    uint64_t rte)
{
	if (rte & ~(IOAPIC_RTE_WRITABLE | IOAPIC_RTE_REMOTE_IRR))
		return hw_state_invalid(in, "redirection entry %u (%#llx) has reserved bits set",
					pin, (unsigned long long)rte);
	if ((rte & IOAPIC_RTE_REMOTE_IRR) && !(rte & IOAPIC_RTE_LEVEL))
		return hw_state_invalid(in, "redirection entry %u has Remote IRR set but is edge-triggered",
					pin);
	return 0;
}

int ioapic_load(struct ioapic *io, const void *buf, size_t len, char *err,
		size_t errlen)
{
	struct ioapic_state st = { 0 };
	struct hw_state_in in;
	uint32_t version;
	unsigned int pin;
	int r;

	r = hw_state_open(&in, buf, len, IOAPIC_STATE_NAME,
			  IOAPIC_STATE_VERSION, &version, err, errlen);
	if (r)
		return r;
	st.regsel = hw_get_u8(&in);
	st.id = hw_get_u8(&in);
	st.lines = hw_get_u32(&in);
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++)
		st.rte[pin] = hw_get_u64(&in);
	r = hw_state_close(&in);
	if (r)
		return r;
	if (st.id & ~IOAPIC_ID_MASK)
		return hw_state_invalid(&in, "ID %u does not fit in 4 bits",
					st.id);
	if (st.lines & ~IOAPIC_LINES_MASK)
		return hw_state_invalid(&in, "input levels %#x name pins above %u",
					st.lines, IOAPIC_NR_PINS - 1);
	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		r = ioapic_check_rte(&in, pin, st.rte[pin]);
		if (r)
			return r;
	}
	io->st = st;
	return 0;
}

static void ioapic_dev_reset(void *dev)
{
	ioapic_reset(dev);
}

static int ioapic_dev_save(void *dev, struct hw_state_out *out)
{
	return ioapic_save(dev, out);
}

static int ioapic_dev_load(void *dev, const void *buf, size_t len,
			   char *err, size_t errlen)
{
	return ioapic_load(dev, buf, len, err, errlen);
}

const struct hw_device_ops ioapic_device_ops = {
	.name = IOAPIC_STATE_NAME,
	.reset = ioapic_dev_reset,
	.save = ioapic_dev_save,
	.load = ioapic_dev_load,
};
