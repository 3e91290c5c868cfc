// SPDX-License-Identifier: GPL-2.0
/*
 * Saved device state: the record format of state.h, written into a
 * growing buffer and read back through getters that check every length.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

#define HW_STATE_VERSION_OFFSET	16
#define HW_STATE_SIZE_OFFSET	20
#define HW_STATE_FIRST_ROOM	256

void hw_state_out_init(struct hw_state_out *out)
{
	memset(out, 0, sizeof(*out));
}

void hw_state_out_free(struct hw_state_out *out)
{
	free(out->buf);
	hw_state_out_init(out);
}

/* Room for @n more bytes; false (and out->error) if there is none. */
static bool out_reserve(struct hw_state_out *out, size_t n)
{
	size_t room = out->room;
	uint8_t *buf;

	if (out->error)
		return false;
	if (n <= out->room - out->len)
		return true;
	if (n > SIZE_MAX / 2 - out->len) {
		out->error = -ENOMEM;
		return false;
	}
	if (!room)
		room = HW_STATE_FIRST_ROOM;
	while (room - out->len < n)
		room *= 2;
	buf = realloc(out->buf, room);
	if (!buf) {
		out->error = -ENOMEM;
		return false;
	}
	out->buf = buf;
	out->room = room;
	return true;
}

/* Little-endian, byte by byte: the same bytes on any host. */
static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_int(struct hw_state_out *out, uint64_t v, unsigned int n)
{
	if (!out_reserve(out, n))
		return;
	put_le(out->buf + out->len, v, n);
	out->len += n;
}

void hw_put_u8(struct hw_state_out *out, uint8_t v)
{
	put_int(out, v, 1);
}

void hw_put_u16(struct hw_state_out *out, uint16_t v)
{
	put_int(out, v, 2);
}

void hw_put_u32(struct hw_state_out *out, uint32_t v)
{
	put_int(out, v, 4);
}

void hw_put_u64(struct hw_state_out *out, uint64_t v)
{
	put_int(out, v, 8);
}

void hw_put_bool(struct hw_state_out *out, bool v)
{
	put_int(out, v ? 1 : 0, 1);
}

void hw_put_bytes(struct hw_state_out *out, const void *p, size_t n)
{
	if (!n || !out_reserve(out, n))
		return;
	memcpy(out->buf + out->len, p, n);
	out->len += n;
}

void hw_state_begin(struct hw_state_out *out, const char *name,
		    uint32_t version)
{
	uint8_t field[HW_STATE_NAME_SIZE] = { 0 };

	/* Names are ours, all well under 16 bytes; NUL padding follows. */
	memcpy(field, name, strnlen(name, sizeof(field) - 1));
	out->record = out->len;
	hw_put_bytes(out, field, sizeof(field));
	hw_put_u32(out, version);
	hw_put_u32(out, 0);	/* the size, once known */
}

int hw_state_end(struct hw_state_out *out)
{
	size_t size;

	if (out->error)
		return out->error;
	size = out->len - out->record - HW_STATE_HEADER_SIZE;
	if (size > UINT32_MAX) {
		out->error = -ENOMEM;
		return out->error;
	}
	put_le(out->buf + out->record + HW_STATE_SIZE_OFFSET, size, 4);
	return 0;
}

/* The first fault wins: it is the one that explains the rest. */
static int in_vfail(struct hw_state_in *in, const char *fmt, va_list ap)
{
	int n;

	if (in->error)
		return in->error;
	in->error = -EINVAL;
	if (!in->errlen)
		return in->error;
	n = snprintf(in->err, in->errlen, "%s state: ", in->name);
	if (n >= 0 && (size_t)n < in->errlen)
		vsnprintf(in->err + n, in->errlen - n, fmt, ap);
	return in->error;
}

__printf(2, 3)
int hw_state_invalid(struct hw_state_in *in, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = in_vfail(in, fmt, ap);
	va_end(ap);
	return r;
}

int hw_state_open(struct hw_state_in *in, const void *buf, size_t len,
		  const char *name, uint32_t max_version, uint32_t *version,
		  char *err, size_t errlen)
{
	uint8_t want[HW_STATE_NAME_SIZE] = { 0 };
	const uint8_t *p = buf;
	uint32_t size;

	memset(in, 0, sizeof(*in));
	in->name = name;
	in->err = err;
	in->errlen = errlen;
	if (errlen)
		err[0] = '\0';
	*version = 0;
	if (!p || len < HW_STATE_HEADER_SIZE)
		return hw_state_invalid(in, "%zu bytes, fewer than the %u of a record's header",
					p ? len : 0, HW_STATE_HEADER_SIZE);
	memcpy(want, name, strnlen(name, sizeof(want) - 1));
	if (memcmp(p, want, sizeof(want)))
		return hw_state_invalid(in, "the record is not one of this device");
	*version = get_le(p + HW_STATE_VERSION_OFFSET, 4);
	if (!*version || *version > max_version)
		return hw_state_invalid(in, "layout version %u, this vessel reads 1 to %u",
					*version, max_version);
	size = get_le(p + HW_STATE_SIZE_OFFSET, 4);
	if (size != len - HW_STATE_HEADER_SIZE)
		return hw_state_invalid(in, "the header gives %u bytes of payload, but %zu follow",
					size, len - HW_STATE_HEADER_SIZE);
	in->p = p + HW_STATE_HEADER_SIZE;
	in->left = size;
	return 0;
}

/* The next @n payload bytes, or NULL (and a fault) if they are not there. */
static const uint8_t *in_take(struct hw_state_in *in, size_t n)
{
	const uint8_t *p;

	if (in->error)
		return NULL;
	if (n > in->left) {
		hw_state_invalid(in, "the payload ends inside a field");
		return NULL;
	}
	p = in->p;
	in->p += n;
	in->left -= n;
	return p;
}

static uint64_t get_int(struct hw_state_in *in, unsigned int n)
{
	const uint8_t *p = in_take(in, n);

	return p ? get_le(p, n) : 0;
}

uint8_t hw_get_u8(struct hw_state_in *in)
{
	return get_int(in, 1);
}

uint16_t hw_get_u16(struct hw_state_in *in)
{
	return get_int(in, 2);
}

uint32_t hw_get_u32(struct hw_state_in *in)
{
	return get_int(in, 4);
}

uint64_t hw_get_u64(struct hw_state_in *in)
{
	return get_int(in, 8);
}

bool hw_get_bool(struct hw_state_in *in)
{
	uint8_t v = hw_get_u8(in);

	if (v > 1)
		hw_state_invalid(in, "a flag byte of %u, not 0 or 1", v);
	return v == 1;
}

void hw_get_bytes(struct hw_state_in *in, void *dst, size_t n)
{
	const uint8_t *p = in_take(in, n);

	if (p)
		memcpy(dst, p, n);
	else if (n)
		memset(dst, 0, n);
}

const uint8_t *hw_get_span(struct hw_state_in *in, size_t n)
{
	return in_take(in, n);
}

int hw_state_close(struct hw_state_in *in)
{
	if (!in->error && in->left)
		hw_state_invalid(in, "bytes left after the last field: %zu", in->left);
	return in->error;
}
