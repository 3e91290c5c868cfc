/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QEMU's isa-debug-exit: the port a test guest writes its result to.
 * Writing CODE ends the machine with exit status (CODE << 1) | 1, odd so
 * that no guest can fake a clean 0. The port is a 32-bit register whose
 * unwritten bytes read as 0, so outb, outw and outl of CODE all mean the
 * same. Reads return 0.
 *
 * It holds no state: nothing to reset, save or load.
 */
#ifndef VESSEL_DEBUG_EXIT_H
#define VESSEL_DEBUG_EXIT_H

#include <stdint.h>

#define DEBUG_EXIT_PORT		0xf4
#define DEBUG_EXIT_LEN		4	/* room for an outl */

/* The guest asked to end with @status (0-255). */
typedef void (*debug_exit_fn)(void *opaque, int status);

struct debug_exit {
	debug_exit_fn exit;
	void *opaque;
};

/* Put the port on @bus at @port. Returns 0 or io_register_port()'s error. */
struct io_bus;
int debug_exit_attach(struct debug_exit *d, struct io_bus *bus, uint16_t port,
		      debug_exit_fn exit, void *opaque);

#endif /* VESSEL_DEBUG_EXIT_H */
