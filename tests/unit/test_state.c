// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the saved-state record format (user/hw/state.c):
 * the bytes a save writes, and every way a load must refuse a record.
 */
#include <errno.h>
#include <stdlib.h>

#include "hw/state.h"
#include "tap.h"

/* A record of "test", version 2, with one of each field type. */
static size_t make_record(struct hw_state_out *out)
{
	hw_state_out_init(out);
	hw_state_begin(out, "test", 2);
	hw_put_u8(out, 0x81);
	hw_put_u16(out, 0x8283);
	hw_put_u32(out, 0x84858687);
	hw_put_u64(out, 0x88898a8b8c8d8e8fULL);
	hw_put_bool(out, true);
	hw_put_bytes(out, "xyz", 3);
	if (hw_state_end(out))
		return 0;
	return out->len;
}

static void test_layout(void)
{
	static const uint8_t want[] = {
		't', 'e', 's', 't', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		2, 0, 0, 0,		/* version */
		19, 0, 0, 0,		/* payload size */
		0x81,
		0x83, 0x82,
		0x87, 0x86, 0x85, 0x84,
		0x8f, 0x8e, 0x8d, 0x8c, 0x8b, 0x8a, 0x89, 0x88,
		1,
		'x', 'y', 'z',
	};
	struct hw_state_out out;

	CHECK_EQ(make_record(&out), sizeof(want));
	CHECK(!memcmp(out.buf, want, sizeof(want)));
	hw_state_out_free(&out);
}

static void test_read_back(void)
{
	struct hw_state_out out;
	struct hw_state_in in;
	uint32_t version;
	char err[128];
	char bytes[3];
	size_t len = make_record(&out);

	CHECK_EQ(hw_state_open(&in, out.buf, len, "test", 2, &version, err,
			       sizeof(err)), 0);
	CHECK_EQ(version, 2);
	CHECK_EQ(hw_get_u8(&in), 0x81);
	CHECK_EQ(hw_get_u16(&in), 0x8283);
	CHECK_EQ(hw_get_u32(&in), 0x84858687);
	CHECK_EQ(hw_get_u64(&in), 0x88898a8b8c8d8e8fULL);
	CHECK(hw_get_bool(&in));
	hw_get_bytes(&in, bytes, sizeof(bytes));
	CHECK(!memcmp(bytes, "xyz", 3));
	CHECK_EQ(hw_state_close(&in), 0);
	CHECK_STR_EQ(err, "");
	hw_state_out_free(&out);
}

/* Two records in one buffer: each is sized on its own. */
static void test_two_records(void)
{
	struct hw_state_out out;
	struct hw_state_in in;
	uint32_t version;
	size_t first;

	hw_state_out_init(&out);
	hw_state_begin(&out, "a", 1);
	hw_put_u32(&out, 7);
	CHECK_EQ(hw_state_end(&out), 0);
	first = out.len;
	hw_state_begin(&out, "b", 1);
	hw_put_u8(&out, 9);
	CHECK_EQ(hw_state_end(&out), 0);
	CHECK_EQ(out.len, first + HW_STATE_HEADER_SIZE + 1);

	CHECK_EQ(hw_state_open(&in, out.buf, first, "a", 1, &version, NULL, 0),
		 0);
	CHECK_EQ(hw_get_u32(&in), 7);
	CHECK_EQ(hw_state_close(&in), 0);
	CHECK_EQ(hw_state_open(&in, out.buf + first, out.len - first, "b", 1,
			       &version, NULL, 0), 0);
	CHECK_EQ(hw_get_u8(&in), 9);
	CHECK_EQ(hw_state_close(&in), 0);
	hw_state_out_free(&out);
}

/* Open @rec as device "test" reading versions 1-2, expecting @msg. */
static void check_open_fails(const uint8_t *rec, size_t len, const char *msg)
{
	struct hw_state_in in;
	uint32_t version;
	char err[128];

	CHECK_EQ(hw_state_open(&in, rec, len, "test", 2, &version, err,
			       sizeof(err)), -EINVAL);
	CHECK_CONTAINS(err, "test state: ");
	CHECK_CONTAINS(err, msg);
	/* And the reads that follow find nothing. */
	CHECK_EQ(hw_get_u64(&in), 0);
	CHECK_EQ(hw_state_close(&in), -EINVAL);
}

static void test_bad_headers(void)
{
	struct hw_state_out out;
	size_t len = make_record(&out);
	uint8_t *rec = out.buf;
	size_t n;

	check_open_fails(NULL, 0, "fewer than the 24");
	/* Every cut inside the header. */
	for (n = 0; n < HW_STATE_HEADER_SIZE; n++) {
		check_open_fails(rec, n, "fewer than the 24");
		if (tap_failed)
			return;
	}
	/* Every cut inside the payload: the size no longer matches. */
	for (n = HW_STATE_HEADER_SIZE; n < len; n++) {
		check_open_fails(rec, n, "but");
		if (tap_failed)
			return;
	}

	rec[0] = 'T';			/* another device */
	check_open_fails(rec, len, "not one of this device");
	rec[0] = 't';
	rec[5] = 'x';			/* "test" with junk in its padding */
	check_open_fails(rec, len, "not one of this device");
	rec[5] = 0;
	rec[16] = 0;			/* version 0 */
	check_open_fails(rec, len, "layout version 0, this vessel reads 1 to 2");
	rec[16] = 3;			/* newer than this reader */
	check_open_fails(rec, len, "layout version 3");
	rec[16] = 2;
	rec[23] = 0x80;			/* a 2 GiB payload */
	check_open_fails(rec, len, "but 19 follow");
	rec[23] = 0;
	rec[20] = 18;			/* one byte short of the buffer */
	check_open_fails(rec, len, "gives 18 bytes of payload, but 19 follow");
	hw_state_out_free(&out);
}

/* A payload shorter than its fields, or longer: never read past it. */
static void test_payload_faults(void)
{
	struct hw_state_out out;
	struct hw_state_in in;
	uint32_t version;
	char err[128];
	uint8_t bytes[4] = { 1, 2, 3, 4 };

	hw_state_out_init(&out);
	hw_state_begin(&out, "test", 1);
	hw_put_u16(&out, 5);
	CHECK_EQ(hw_state_end(&out), 0);

	/* A u32 where only two bytes are: refused, read as 0. */
	CHECK_EQ(hw_state_open(&in, out.buf, out.len, "test", 1, &version, err,
			       sizeof(err)), 0);
	CHECK_EQ(hw_get_u32(&in), 0);
	hw_get_bytes(&in, bytes, sizeof(bytes));
	CHECK_EQ(bytes[0] | bytes[3], 0);
	CHECK_EQ(hw_state_close(&in), -EINVAL);
	CHECK_STR_EQ(err, "test state: the payload ends inside a field");

	/* A u8 where two bytes are: one left over. */
	CHECK_EQ(hw_state_open(&in, out.buf, out.len, "test", 1, &version, err,
			       sizeof(err)), 0);
	CHECK_EQ(hw_get_u8(&in), 5);
	CHECK_EQ(hw_state_close(&in), -EINVAL);
	CHECK_STR_EQ(err, "test state: bytes left after the last field: 1");

	/* A flag byte of 5; then the first fault is the one reported. */
	CHECK_EQ(hw_state_open(&in, out.buf, out.len, "test", 1, &version, err,
			       sizeof(err)), 0);
	CHECK(!hw_get_bool(&in));
	CHECK_EQ(hw_state_invalid(&in, "later"), -EINVAL);
	CHECK_EQ(hw_state_close(&in), -EINVAL);
	CHECK_STR_EQ(err, "test state: a flag byte of 5, not 0 or 1");

	/* A value check by the device, with a message too long for err. */
	CHECK_EQ(hw_state_open(&in, out.buf, out.len, "test", 1, &version, err,
			       12), 0);
	CHECK_EQ(hw_state_invalid(&in, "%s", "a rather long complaint"),
		 -EINVAL);
	CHECK_STR_EQ(err, "test state:");
	/* And with no room for a message at all. */
	CHECK_EQ(hw_state_open(&in, out.buf, out.len, "test", 1, &version,
			       NULL, 0), 0);
	CHECK_EQ(hw_state_invalid(&in, "x"), -EINVAL);
	hw_state_out_free(&out);
}

/* A buffer grows as records are added; every byte stays. */
static void test_growth(void)
{
	struct hw_state_out out;
	struct hw_state_in in;
	uint32_t version, i;

	hw_state_out_init(&out);
	hw_state_begin(&out, "big", 1);
	for (i = 0; i < 100000; i++)
		hw_put_u32(&out, i);
	CHECK_EQ(hw_state_end(&out), 0);
	CHECK_EQ(out.len, HW_STATE_HEADER_SIZE + 400000);
	CHECK_EQ(hw_state_open(&in, out.buf, out.len, "big", 1, &version,
			       NULL, 0), 0);
	for (i = 0; i < 100000; i++)
		if (hw_get_u32(&in) != i)
			break;
	CHECK_EQ(i, 100000);
	CHECK_EQ(hw_state_close(&in), 0);
	hw_state_out_free(&out);
	CHECK(!out.buf);
}

static const struct tap_test tests[] = {
	TAP_TEST(test_layout),
	TAP_TEST(test_read_back),
	TAP_TEST(test_two_records),
	TAP_TEST(test_bad_headers),
	TAP_TEST(test_payload_faults),
	TAP_TEST(test_growth),
};

int main(void)
{
	return tap_run(tests, TAP_COUNT(tests));
}
