/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's saved state: the bytes its save function writes and its load
 * function reads back. Reset, snapshots and teleport use the same
 * functions, so one record format serves them all:
 *
 *   offset  bytes  field
 *   0       16     name: the device's, ASCII, NUL-padded ("uart16550")
 *   16      4      version of the payload layout, from 1
 *   20      4      size: bytes of payload after the header
 *   24      size   payload: the device's fields in the order its save
 *                  function writes them (Documentation/userspace-devices.rst)
 *
 * Integers are little-endian, booleans one byte, 0 or 1. Nothing is
 * padded or left to the compiler's layout.
 *
 * A record may come from a file or from a peer on the network, so a load
 * trusts none of it: it reads the header and every field through the
 * checked getters below, which never go past the end; the device then
 * checks every value against what the hardware could hold, and only a
 * record that passes all of it changes the device. Anything else fails
 * with -EINVAL and one line naming the device and the fault. The encoding
 * is canonical: a record a load accepts saves back to the same bytes.
 */
#ifndef VESSEL_HW_STATE_H
#define VESSEL_HW_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define HW_STATE_NAME_SIZE	16
#define HW_STATE_HEADER_SIZE	24

/* A growing buffer that save functions append records to. */
struct hw_state_out {
	uint8_t *buf;
	size_t len;
	size_t room;
	size_t record;		/* offset of the open record's header */
	int error;		/* -ENOMEM: a write was dropped */
};

void hw_state_out_init(struct hw_state_out *out);
void hw_state_out_free(struct hw_state_out *out);

/* Start a record of device @name (shorter than 16 bytes), layout @version. */
void hw_state_begin(struct hw_state_out *out, const char *name,
		    uint32_t version);
/* Finish it: fill in its size. Returns 0, or -ENOMEM if a write failed. */
int hw_state_end(struct hw_state_out *out);

void hw_put_u8(struct hw_state_out *out, uint8_t v);
void hw_put_u16(struct hw_state_out *out, uint16_t v);
void hw_put_u32(struct hw_state_out *out, uint32_t v);
void hw_put_u64(struct hw_state_out *out, uint64_t v);
void hw_put_bool(struct hw_state_out *out, bool v);
void hw_put_bytes(struct hw_state_out *out, const void *p, size_t n);

/* One record being read. The first fault is kept; later reads yield 0. */
struct hw_state_in {
	const uint8_t *p;
	size_t left;		/* payload bytes not yet read */
	const char *name;
	char *err;
	size_t errlen;
	int error;
};

/*
 * hw_state_open() - start reading the record in [@buf, @buf + @len), which
 * must be exactly one record of device @name with a version from 1 to
 * @max_version. Returns 0 with *@version set, or -EINVAL with one line in
 * @err (@errlen bytes, may be 0).
 */
int hw_state_open(struct hw_state_in *in, const void *buf, size_t len,
		  const char *name, uint32_t max_version, uint32_t *version,
		  char *err, size_t errlen);

uint8_t hw_get_u8(struct hw_state_in *in);
uint16_t hw_get_u16(struct hw_state_in *in);
uint32_t hw_get_u32(struct hw_state_in *in);
uint64_t hw_get_u64(struct hw_state_in *in);
/* A byte that must be 0 or 1. */
bool hw_get_bool(struct hw_state_in *in);
/* @n bytes into @dst (zeroes after a fault). */
void hw_get_bytes(struct hw_state_in *in, void *dst, size_t n);
/* The next @n bytes where they are in the record, or NULL after a fault. */
const uint8_t *hw_get_span(struct hw_state_in *in, size_t n);

/*
 * Record that a value is out of range: "NAME state: " and the message go
 * to the caller's @err unless an earlier fault is there. Returns -EINVAL.
 */
__printf(2, 3)
int hw_state_invalid(struct hw_state_in *in, const char *fmt, ...);

/*
 * The end of the payload: returns 0 if every byte was read and no fault
 * was found, else the fault's -EINVAL (with its message).
 */
int hw_state_close(struct hw_state_in *in);

#endif /* VESSEL_HW_STATE_H */
