/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks every device model's save and load must pass, through its
 * struct hw_device_ops (user/hw/device.h):
 *
 *  - round trip: save a device, load the bytes into another, save that:
 *    the same bytes;
 *  - truncation: every shorter prefix of a record fails with -EINVAL and a
 *    message, and leaves the device it was loaded into as it was;
 *  - corruption: every single-bit flip of a record either fails like that
 *    or loads, and then saves back to exactly the flipped bytes (the
 *    encoding is canonical: nothing a load accepts is lost or changed).
 *
 * They run under ASan and UBSan, so a load that reads past the record or
 * overflows fails the test even where no CHECK would notice.
 *
 * Like CHECK, each helper returns early after a failure, with tap_failed
 * set: callers check it before going on.
 */
#ifndef VESSEL_STATE_CHECK_H
#define VESSEL_STATE_CHECK_H

#include <errno.h>
#include <stdlib.h>

#include "hw/device.h"
#include "hw/state.h"
#include "tap.h"

/* @dev's record in a malloc'ed buffer of *@len bytes, or NULL. */
static inline uint8_t *state_save(const struct hw_device_ops *ops, void *dev,
				  size_t *len)
{
	struct hw_state_out out;

	hw_state_out_init(&out);
	if (ops->save(dev, &out)) {
		hw_state_out_free(&out);
		return NULL;
	}
	*len = out.len;
	return out.buf;
}

/* Does @dev save to exactly [@rec, @rec + @len)? */
static inline bool state_saves_as(const struct hw_device_ops *ops, void *dev,
				  const uint8_t *rec, size_t len)
{
	size_t now_len = 0;
	uint8_t *now = state_save(ops, dev, &now_len);
	bool same = now && now_len == len && !memcmp(now, rec, len);

	free(now);
	return same;
}

/* Save @dev, load that into @other, save again: the same bytes. */
static inline void check_state_round_trip(const struct hw_device_ops *ops,
					  void *dev, void *other)
{
	char err[160] = "";
	size_t len = 0;
	uint8_t *rec = state_save(ops, dev, &len);
	int r;

	CHECK(rec);
	r = ops->load(other, rec, len, err, sizeof(err));
	if (r)
		printf("# %s\n", err);
	CHECK_EQ(r, 0);
	CHECK_STR_EQ(err, "");
	CHECK(state_saves_as(ops, other, rec, len));
	free(rec);
}

/*
 * Load [@rec, @rec + @len) into @scratch, expecting a clean failure:
 * -EINVAL, a message naming the device, @scratch unchanged. Its record
 * before the attempt is [@before, @before + @before_len).
 */
static inline void check_state_refused(const struct hw_device_ops *ops,
				       void *scratch, const uint8_t *rec, size_t len,
				       const uint8_t *before, size_t before_len)
{
	char err[160] = "";

	CHECK_EQ(ops->load(scratch, rec, len, err, sizeof(err)), -EINVAL);
	CHECK(!strncmp(err, ops->name, strlen(ops->name)));
	CHECK_CONTAINS(err, " state: ");
	CHECK(state_saves_as(ops, scratch, before, before_len));
}

/* Every proper prefix of @dev's record is refused by @scratch. */
static inline void check_state_truncated(const struct hw_device_ops *ops,
					 void *dev, void *scratch)
{
	size_t len = 0, before_len = 0, n;
	uint8_t *rec = state_save(ops, dev, &len);
	uint8_t *before = state_save(ops, scratch, &before_len);
	uint8_t *copy;

	CHECK(rec && before);
	for (n = 0; n < len; n++) {
		/* Its own allocation, so ASan sees a read past the end. */
		copy = malloc(n ? n : 1);
		CHECK(copy);
		memcpy(copy, rec, n);
		check_state_refused(ops, scratch, copy, n, before, before_len);
		free(copy);
		if (tap_failed) {
			printf("# (a record cut to %zu of %zu bytes)\n", n, len);
			return;
		}
	}
	free(rec);
	free(before);
}

/*
 * Every single-bit flip of @dev's record, loaded into @scratch (which is
 * put back after each flip that loaded): refused cleanly, or saved back
 * as the flipped bytes. Returns how many flips loaded in *@accepted.
 */
static inline void check_state_bit_flips(const struct hw_device_ops *ops,
					 void *dev, void *scratch, size_t *accepted)
{
	size_t len = 0, before_len = 0, i;
	uint8_t *rec = state_save(ops, dev, &len);
	uint8_t *before = state_save(ops, scratch, &before_len);
	char err[160];
	unsigned int bit;
	int r;

	*accepted = 0;
	CHECK(rec && before);
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			rec[i] ^= 1U << bit;
			r = ops->load(scratch, rec, len, err, sizeof(err));
			if (r) {
				check_state_refused(ops, scratch, rec, len,
						    before, before_len);
			} else {
				(*accepted)++;
				CHECK(state_saves_as(ops, scratch, rec, len));
				CHECK_EQ(ops->load(scratch, before, before_len,
						   err, sizeof(err)), 0);
			}
			rec[i] ^= 1U << bit;
			if (tap_failed) {
				printf("# (bit %u of byte %zu flipped)\n", bit, i);
				return;
			}
		}
	}
	free(rec);
	free(before);
}

/* A record of @dev with its byte at @offset replaced by @val. */
static inline void check_state_refuses_byte(const struct hw_device_ops *ops,
					    void *dev, void *scratch, size_t offset,
					    uint8_t val)
{
	size_t len = 0, before_len = 0;
	uint8_t *rec = state_save(ops, dev, &len);
	uint8_t *before = state_save(ops, scratch, &before_len);

	CHECK(rec && before);
	CHECK(offset < len);
	rec[offset] = val;
	check_state_refused(ops, scratch, rec, len, before, before_len);
	free(rec);
	free(before);
}

#endif /* VESSEL_STATE_CHECK_H */
