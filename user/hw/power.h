/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine's power controls: the registers a hardware-reduced ACPI
 * platform's FADT names, three bytes at a base port (the board puts them
 * at 0x600, as QEMU's generic event device lays them out), and the PC's
 * oldest way to reset, the 8042 keyboard controller's reset line:
 *
 *  - base + 0, the ACPI sleep control register (ACPI 6.4 4.8.3.7): writing
 *    SLP_EN (bit 5) with SLP_TYP (bits 4:2) POWER_S5_TYP, the value the
 *    DSDT's \_S5 gives, powers the machine off. No other sleep state
 *    exists (the DSDT offers none): such writes are ignored.
 *  - base + 1, the sleep status register: reads 0 (no wake event); writes
 *    (WAK_STS, to clear it) are ignored.
 *  - base + 2, the ACPI reset register: writing POWER_RESET_VALUE (the
 *    FADT's RESET_VALUE) resets the machine; other values are ignored.
 *  - Port 0x64, the 8042's command port: command 0xfe pulses the CPU's
 *    reset line. Status reads say "nothing to read, room to write", so a
 *    loop that waits for room (Linux's kb_wait()) goes on at once; port
 *    0x60 reads 0. There is no keyboard, and the FADT says there is no
 *    8042, so drivers leave it alone: only reboot paths (Linux's fallback
 *    after the ACPI register, boot loaders, DOS) use the command.
 *
 * It holds no state: nothing to reset, save or load.
 */
#ifndef VESSEL_HW_POWER_H
#define VESSEL_HW_POWER_H

#include <stdbool.h>
#include <stdint.h>

#define POWER_NR_PORTS		3
#define POWER_SLEEP_CTL		0	/* offsets from the base port */
#define POWER_SLEEP_STS		1
#define POWER_RESET		2
#define POWER_SLP_TYP_SHIFT	2
#define POWER_SLP_TYP_MASK	0x1c
#define POWER_SLP_EN		0x20
#define POWER_S5_TYP		5	/* soft off: \_S5's SLP_TYPa */
#define POWER_RESET_VALUE	0x42

#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64
#define I8042_STATUS_SYS	0x04	/* self-test passed; buffers empty */
#define I8042_CMD_RESET		0xfe

enum power_event {
	POWER_EVENT_OFF,
	POWER_EVENT_RESET,
};

/* The guest asked for @event; the machine acts on it. */
typedef void (*power_fn)(void *opaque, enum power_event event);

struct power {
	uint16_t base;
	power_fn fn;
	void *opaque;
};

struct io_bus;
/*
 * Put the ACPI registers at @base and the 8042's two ports on @bus.
 * Returns 0 or io_register_port()'s error.
 */
int power_attach(struct power *pw, struct io_bus *bus, uint16_t base,
		 power_fn fn, void *opaque);

/* One byte at @port (the bus's handlers call it; so do tests). */
void power_io(struct power *pw, uint16_t port, bool is_write, uint8_t *data);

#endif /* VESSEL_HW_POWER_H */
