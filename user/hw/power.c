// SPDX-License-Identifier: GPL-2.0
/*
 * The machine's power controls: ACPI sleep control and reset registers,
 * and the 8042's reset line (see power.h).
 */
#include "bus.h"
#include "power.h"

void power_io(struct power *pw, uint16_t port, bool is_write, uint8_t *data)
{
	uint8_t v = *data;

	if (!is_write) {
		*data = port == I8042_CMD_PORT ? I8042_STATUS_SYS : 0;
		return;
	}
	if (port == I8042_CMD_PORT) {
		if (v == I8042_CMD_RESET)
			pw->fn(pw->opaque, POWER_EVENT_RESET);
		return;
	}
	if (port == pw->base + POWER_SLEEP_CTL) {
		if ((v & POWER_SLP_EN) &&
		    (v & POWER_SLP_TYP_MASK) >> POWER_SLP_TYP_SHIFT == POWER_S5_TYP)
			pw->fn(pw->opaque, POWER_EVENT_OFF);
	} else if (port == pw->base + POWER_RESET) {
		if (v == POWER_RESET_VALUE)
			pw->fn(pw->opaque, POWER_EVENT_RESET);
	}
	/* The sleep status and the 8042's data port take nothing. */
}

/* Byte registers: a wider access reaches the next ones, as on ISA. */
static void power_range_io(struct power *pw, uint16_t first, uint64_t offset,
			   bool is_write, uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		power_io(pw, first + offset + i, is_write, &data[i]);
}

static void power_acpi_io(void *opaque, uint64_t offset, bool is_write,
			  uint8_t *data, uint32_t len)
{
	struct power *pw = opaque;

	power_range_io(pw, pw->base, offset, is_write, data, len);
}

static void power_i8042_data_io(void *opaque, uint64_t offset, bool is_write,
				uint8_t *data, uint32_t len)
{
	power_range_io(opaque, I8042_DATA_PORT, offset, is_write, data, len);
}

static void power_i8042_cmd_io(void *opaque, uint64_t offset, bool is_write,
			       uint8_t *data, uint32_t len)
{
	power_range_io(opaque, I8042_CMD_PORT, offset, is_write, data, len);
}

int power_attach(struct power *pw, struct io_bus *bus, uint16_t base,
		 power_fn fn, void *opaque)
{
	int r;

	pw->base = base;
	pw->fn = fn;
	pw->opaque = opaque;
	r = io_register_port(bus, base, POWER_NR_PORTS, power_acpi_io, pw);
	if (!r)
		r = io_register_port(bus, I8042_DATA_PORT, 1,
				     power_i8042_data_io, pw);
	if (!r)
		r = io_register_port(bus, I8042_CMD_PORT, 1, power_i8042_cmd_io,
				     pw);
	return r;
}
