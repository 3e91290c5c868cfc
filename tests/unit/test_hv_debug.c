// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the Hyper-V debugger link (hw/hv_debug.c): the
 * guest's blocks in a buffer standing for guest memory, real files, and a
 * real UDP peer on 127.0.0.1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hw/hv_debug.h"
#include "state_check.h"
#include "tap.h"

#define IN_GPA		0x1000
#define OUT_GPA		0x2000
#define RAM_SIZE	0x3000
#define MS		10000ULL	/* 100 ns units */

static uint8_t ram[RAM_SIZE] __aligned(4096);
static char err[160];

static uint32_t rd32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

static uint16_t post(struct hv_debug *d, const char *data, uint32_t count)
{
	memset(ram, 0xcc, sizeof(ram));
	memcpy(ram + IN_GPA, &count, 4);
	memset(ram + IN_GPA + 4, 0, 4);
	memcpy(ram + IN_GPA + 8, data, count);
	return hv_debug_call(d, ram, RAM_SIZE, HV_DEBUG_POST, IN_GPA, OUT_GPA);
}

static uint16_t retrieve(struct hv_debug *d, uint32_t count, uint64_t timeout)
{
	memset(ram, 0xcc, sizeof(ram));
	memcpy(ram + IN_GPA, &count, 4);
	memset(ram + IN_GPA + 4, 0, 4);
	memcpy(ram + IN_GPA + 8, &timeout, 8);
	return hv_debug_call(d, ram, RAM_SIZE, HV_DEBUG_RETRIEVE, IN_GPA,
			     OUT_GPA);
}

static bool retrieved_is(const char *want)
{
	return rd32(OUT_GPA) == strlen(want) &&
	       !memcmp(ram + OUT_GPA + 8, want, strlen(want));
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* A temporary file holding @text; its path in @path. */
static void make_file(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/vessel-hv-debug-XXXXXX");
	fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			path[0] = '\0';
		close(fd);
	}
}

static void test_none_drops_and_has_nothing(void)
{
	struct hv_debug d;

	CHECK_EQ(hv_debug_open(&d, NULL, err, sizeof(err)), 0);
	CHECK_EQ(post(&d, "hello", 5), HV_DEBUG_OK);
	CHECK_EQ(rd32(OUT_GPA), 0);		/* nothing pending */
	CHECK_EQ(d.dropped, 5);
	CHECK_EQ(retrieve(&d, 16, 0), HV_DEBUG_NO_DATA);
	CHECK_EQ(rd32(OUT_GPA), 0);
	CHECK_EQ(rd32(OUT_GPA + 4), 0);
	hv_debug_close(&d);
}

static void test_file_out_and_in(void)
{
	char out[64], in[64], spec[160], buf[16] = { 0 };
	struct hv_debug d;
	int fd;

	make_file(out, "stale");
	make_file(in, "hello world");
	snprintf(spec, sizeof(spec), "file:%s:%s", out, in);
	CHECK_EQ(hv_debug_open(&d, spec, err, sizeof(err)), 0);
	CHECK_EQ(d.kind, HV_DEBUG_FILE);
	/* A chunk at a time; the remaining count is what the file still has. */
	CHECK_EQ(retrieve(&d, 5, 0), HV_DEBUG_OK);
	CHECK(retrieved_is("hello"));
	CHECK_EQ(rd32(OUT_GPA + 4), 6);
	CHECK_EQ(retrieve(&d, 5, 0), HV_DEBUG_OK);
	CHECK(retrieved_is(" worl"));
	CHECK_EQ(rd32(OUT_GPA + 4), 1);
	CHECK_EQ(retrieve(&d, 5, 0), HV_DEBUG_OK);
	CHECK(retrieved_is("d"));
	CHECK_EQ(rd32(OUT_GPA + 4), 0);
	CHECK_EQ(retrieve(&d, 5, 0), HV_DEBUG_NO_DATA);
	CHECK_EQ(rd32(OUT_GPA), 0);
	/* A zero count retrieves nothing and is no error. */
	CHECK_EQ(retrieve(&d, 0, 0), HV_DEBUG_OK);

	CHECK_EQ(post(&d, "abc", 3), HV_DEBUG_OK);
	CHECK_EQ(post(&d, "de", 2), HV_DEBUG_OK);
	CHECK_EQ(rd32(OUT_GPA), 0);
	CHECK_EQ(d.bytes_out, 5);
	CHECK_EQ(d.bytes_in, 11);
	hv_debug_close(&d);
	fd = open(out, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 5);	/* truncated at open */
	close(fd);
	CHECK_STR_EQ(buf, "abcde");
	unlink(out);
	unlink(in);
}

/* /dev/full takes nothing: every byte stays pending with the guest. */
static void test_file_full_keeps_bytes_pending(void)
{
	struct hv_debug d;

	CHECK_EQ(hv_debug_open(&d, "file:/dev/full", err, sizeof(err)), 0);
	CHECK_EQ(post(&d, "abcd", 4), HV_DEBUG_INSUFFICIENT_BUFFERS);
	CHECK_EQ(rd32(OUT_GPA), 4);
	CHECK_EQ(rd32(OUT_GPA + 4), 0);
	CHECK_EQ(d.bytes_out, 0);
	/* No IN: nothing to retrieve. */
	CHECK_EQ(retrieve(&d, 4, 0), HV_DEBUG_NO_DATA);
	hv_debug_close(&d);
}

static int udp_peer(struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &len))
		return -1;
	return fd;
}

static void test_udp_datagrams(void)
{
	struct sockaddr_in peer, from;
	socklen_t len = sizeof(from);
	char spec[64], buf[64];
	struct hv_debug d;
	uint16_t port;
	int fd = udp_peer(&peer);

	CHECK(fd >= 0);
	snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u", ntohs(peer.sin_port));
	CHECK_EQ(hv_debug_open(&d, spec, err, sizeof(err)), 0);
	CHECK_EQ(d.kind, HV_DEBUG_UDP);

	/* Each post is one datagram, from our end. */
	CHECK_EQ(post(&d, "ping", 4), HV_DEBUG_OK);
	CHECK_EQ(post(&d, "pong!", 5), HV_DEBUG_OK);
	CHECK_EQ(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			  &len), 4);
	CHECK(!memcmp(buf, "ping", 4));
	CHECK_EQ(from.sin_port, d.self.sin_port);
	CHECK_EQ(recv(fd, buf, sizeof(buf), 0), 5);

	/* A datagram larger than the guest asks for comes over two calls. */
	CHECK_EQ(sendto(fd, "0123456789", 10, 0, (struct sockaddr *)&from,
			sizeof(from)), 10);
	CHECK_EQ(sendto(fd, "next", 4, 0, (struct sockaddr *)&from,
			sizeof(from)), 4);
	CHECK_EQ(retrieve(&d, 6, 1000 * MS), HV_DEBUG_OK);
	CHECK(retrieved_is("012345"));
	CHECK_EQ(rd32(OUT_GPA + 4), 4);
	CHECK_EQ(retrieve(&d, 6, 1000 * MS), HV_DEBUG_OK);
	CHECK(retrieved_is("6789"));
	CHECK_EQ(rd32(OUT_GPA + 4), 0);
	CHECK_EQ(retrieve(&d, 64, 1000 * MS), HV_DEBUG_OK);
	CHECK(retrieved_is("next"));

	/* The reset drops what is queued and names both ends. */
	CHECK_EQ(sendto(fd, "old", 3, 0, (struct sockaddr *)&from,
			sizeof(from)), 3);
	usleep(10000);
	memset(ram, 0xcc, sizeof(ram));
	memset(ram + IN_GPA, 0, 4);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_RESET, IN_GPA,
			       OUT_GPA), HV_DEBUG_OK);
	CHECK_EQ(rd32(OUT_GPA), htonl(INADDR_LOOPBACK));
	CHECK_EQ(rd32(OUT_GPA + 4), htonl(INADDR_LOOPBACK));
	memcpy(&port, ram + OUT_GPA + 8, 2);
	CHECK_EQ(port, peer.sin_port);
	memcpy(&port, ram + OUT_GPA + 10, 2);
	CHECK_EQ(port, d.self.sin_port);
	CHECK(!memcmp(ram + OUT_GPA + 12, "\0\0\0\0\0\0\0\0\0\0\0\0", 12));
	CHECK_EQ(ram[OUT_GPA + 24], 0xcc);
	CHECK_EQ(retrieve(&d, 64, 10 * MS), HV_DEBUG_NO_DATA);
	CHECK_EQ(d.bytes_in, 14);
	hv_debug_close(&d);
	close(fd);
}

/* No data: the call waits the guest's timeout, no less; a cancel ends it. */
static void test_udp_timeout_and_cancel(void)
{
	struct sockaddr_in peer;
	struct hv_debug d;
	char spec[64];
	uint64_t t0;
	int fd = udp_peer(&peer);

	CHECK(fd >= 0);
	snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u", ntohs(peer.sin_port));
	CHECK_EQ(hv_debug_open(&d, spec, err, sizeof(err)), 0);
	t0 = now_ms();
	CHECK_EQ(retrieve(&d, 8, 50 * MS), HV_DEBUG_NO_DATA);
	CHECK(now_ms() - t0 >= 50);
	hv_debug_cancel(&d);
	t0 = now_ms();
	CHECK_EQ(retrieve(&d, 8, 60000 * MS), HV_DEBUG_NO_DATA);
	CHECK(now_ms() - t0 < 30000);
	hv_debug_close(&d);
	close(fd);
}

/* The kernel checked these, but another vCPU may have changed them since. */
static void test_bad_blocks(void)
{
	uint32_t big = HV_DEBUG_MAX_DATA + 1, one = 1;
	struct hv_debug d;

	CHECK_EQ(hv_debug_open(&d, NULL, err, sizeof(err)), 0);
	memcpy(ram + IN_GPA, &big, 4);
	memset(ram + IN_GPA + 4, 0, 4);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_POST, IN_GPA,
			       OUT_GPA), HV_DEBUG_INVALID_PARAMETER);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_RETRIEVE, IN_GPA,
			       OUT_GPA), HV_DEBUG_INVALID_PARAMETER);
	/* Options are reserved. */
	memcpy(ram + IN_GPA, &one, 4);
	memcpy(ram + IN_GPA + 4, &one, 4);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_POST, IN_GPA,
			       OUT_GPA), HV_DEBUG_INVALID_PARAMETER);
	/* Data past the input page; output past the output page. */
	memcpy(ram + IN_GPA + 4088, &one, 4);
	memset(ram + IN_GPA + 4092, 0, 4);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_POST,
			       IN_GPA + 4088, OUT_GPA),
		 HV_DEBUG_INVALID_INPUT);
	memcpy(ram + IN_GPA, &one, 4);
	memset(ram + IN_GPA + 4, 0, 12);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_RETRIEVE, IN_GPA,
			       OUT_GPA + 4088), HV_DEBUG_INVALID_INPUT);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_RESET, IN_GPA,
			       OUT_GPA + 4080), HV_DEBUG_INVALID_INPUT);
	/* Outside guest memory. */
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_POST, RAM_SIZE - 4,
			       OUT_GPA), HV_DEBUG_INVALID_INPUT);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, HV_DEBUG_RETRIEVE, IN_GPA,
			       UINT64_MAX - 4), HV_DEBUG_INVALID_INPUT);
	CHECK_EQ(hv_debug_call(&d, ram, RAM_SIZE, 0x5c, IN_GPA, OUT_GPA),
		 HV_DEBUG_INVALID_CODE);
	hv_debug_close(&d);
}

static void test_bad_specs(void)
{
	static const struct {
		const char *spec;
		int ret;
		const char *msg;
	} cases[] = {
		{ "serial", -EINVAL, "not one of none, file:OUT[:IN], udp:HOST:PORT" },
		{ "file:", -EINVAL, "file:OUT or file:OUT:IN" },
		{ "file:/tmp/x:", -EINVAL, "file:OUT or file:OUT:IN" },
		{ "file:/nonexistent/out", -ENOENT, "/nonexistent/out: No such file" },
		{ "file:/dev/null:/nonexistent/in", -ENOENT, "/nonexistent/in: No such file" },
		{ "udp:127.0.0.1", -EINVAL, "udp:HOST:PORT" },
		{ "udp:localhost:50000", -EINVAL, "'localhost' is not an IPv4 address" },
		{ "udp:10.0.0:50000", -EINVAL, "'10.0.0' is not an IPv4 address" },
		{ "udp:127.0.0.1:0", -EINVAL, "'0' is not a port" },
		{ "udp:127.0.0.1:65536", -EINVAL, "'65536' is not a port" },
		{ "udp:127.0.0.1:-1", -EINVAL, "'-1' is not a port" },
		{ "udp::50000", -EINVAL, "udp:HOST:PORT" },
	};
	struct hv_debug d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		err[0] = '\0';
		CHECK_EQ(hv_debug_open(&d, cases[i].spec, err, sizeof(err)),
			 cases[i].ret);
		CHECK_CONTAINS(err, cases[i].msg);
	}
	CHECK_EQ(hv_debug_open(&d, "none", err, sizeof(err)), 0);
	CHECK_EQ(d.kind, HV_DEBUG_NONE);
	hv_debug_close(&d);
}

/* Two UDP links to one peer, for state to go from the first to the second. */
static struct hv_debug udp_a, udp_b;

/*
 * Open both on a new peer: the debugger sends @sent to the first, whose
 * guest retrieves @taken bytes of it. Returns the peer's socket, or -1.
 */
static int open_udp_pair(const char *sent, uint32_t taken)
{
	struct sockaddr_in peer;
	char spec[64];
	int fd = udp_peer(&peer);

	if (fd < 0)
		return -1;
	snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u", ntohs(peer.sin_port));
	if (hv_debug_open(&udp_a, spec, err, sizeof(err)) ||
	    hv_debug_open(&udp_b, spec, err, sizeof(err)))
		return -1;
	if (sendto(fd, sent, strlen(sent), 0, (struct sockaddr *)&udp_a.self,
		   sizeof(udp_a.self)) != (ssize_t)strlen(sent) ||
	    retrieve(&udp_a, taken, 1000 * MS) != HV_DEBUG_OK)
		return -1;
	return fd;
}

static void close_udp_pair(int fd)
{
	hv_debug_close(&udp_a);
	hv_debug_close(&udp_b);
	close(fd);
}

/* The rest of a datagram goes with the state, and only it. */
static void test_state_round_trip(void)
{
	int fd = open_udp_pair("0123456789", 4);

	CHECK(fd >= 0);
	CHECK(retrieved_is("0123"));
	check_state_round_trip(&hv_debug_device_ops, &udp_a, &udp_b);
	if (tap_failed)
		return;
	CHECK_EQ(retrieve(&udp_b, 64, 0), HV_DEBUG_OK);
	CHECK(retrieved_is("456789"));
	CHECK_EQ(rd32(OUT_GPA + 4), 0);
	/* Nothing is left in the copy now; the original still has it. */
	CHECK_EQ(retrieve(&udp_b, 64, 0), HV_DEBUG_NO_DATA);
	CHECK_EQ(retrieve(&udp_a, 3, 0), HV_DEBUG_OK);
	CHECK(retrieved_is("456"));
	close_udp_pair(fd);
}

/* Bytes waiting for the guest: refused by a link that cannot hold them. */
static void check_refused_by(struct hv_debug *d, const char *msg)
{
	size_t len = 0, before_len = 0;
	uint8_t *rec = state_save(&hv_debug_device_ops, &udp_a, &len);
	uint8_t *before = state_save(&hv_debug_device_ops, d, &before_len);

	CHECK(rec && before);
	CHECK_EQ(hv_debug_load(d, rec, len, err, sizeof(err)), -EINVAL);
	CHECK_STR_EQ(err, msg);
	check_state_refused(&hv_debug_device_ops, d, rec, len, before,
			    before_len);
	free(rec);
	free(before);
}

/* Nothing waiting loads into any link; something only into a UDP one. */
static void test_state_link_kinds(void)
{
	static const char msg[] = "hv_debug state: 2 bytes waiting for the guest, but only a udp link holds any";
	struct hv_debug none, file;
	char path[64], spec[80];
	int fd = open_udp_pair("abc", 64);

	CHECK(fd >= 0);
	CHECK(!hv_debug_device_ops.reset);	/* the link is kept */
	make_file(path, "");
	snprintf(spec, sizeof(spec), "file:%s", path);
	CHECK_EQ(hv_debug_open(&file, spec, err, sizeof(err)), 0);
	CHECK_EQ(hv_debug_open(&none, NULL, err, sizeof(err)), 0);
	check_state_round_trip(&hv_debug_device_ops, &udp_a, &none);
	check_state_round_trip(&hv_debug_device_ops, &udp_a, &file);
	check_state_round_trip(&hv_debug_device_ops, &none, &udp_b);
	if (tap_failed)
		return;

	CHECK_EQ(sendto(fd, "xyz", 3, 0, (struct sockaddr *)&udp_a.self,
			sizeof(udp_a.self)), 3);
	CHECK_EQ(retrieve(&udp_a, 1, 1000 * MS), HV_DEBUG_OK);
	check_state_round_trip(&hv_debug_device_ops, &udp_a, &udp_b);
	check_refused_by(&file, msg);
	check_refused_by(&none, msg);
	hv_debug_close(&none);
	hv_debug_close(&file);
	unlink(path);
	close_udp_pair(fd);
}

static void test_state_truncated(void)
{
	int fd = open_udp_pair("0123456789", 4);

	CHECK(fd >= 0);
	check_state_truncated(&hv_debug_device_ops, &udp_a, &udp_b);
	close_udp_pair(fd);
}

static void test_state_bit_flips(void)
{
	size_t accepted;
	int fd = open_udp_pair("0123456789", 4);

	CHECK(fd >= 0);
	check_state_bit_flips(&hv_debug_device_ops, &udp_a, &udp_b, &accepted);
	/* Every bit of the six bytes waiting, and nothing else. */
	CHECK_EQ(accepted, 6 * 8);
	close_udp_pair(fd);
}

/* Counts that do not match the payload, or no datagram could have. */
static void test_state_bad_counts(void)
{
	static const struct {
		uint32_t count;
		const char *msg;
	} bad[] = {
		{ 5, "bytes left after the last field: 1" },
		{ 7, "the payload ends inside a field" },
		{ 65536, "65536 bytes waiting, more than a 65535-byte datagram" },
		{ UINT32_MAX, "more than a 65535-byte datagram" },
	};
	size_t len = 0, i;
	uint8_t *rec;
	int fd = open_udp_pair("0123456789", 4);

	CHECK(fd >= 0);
	rec = state_save(&hv_debug_device_ops, &udp_a, &len);
	CHECK(rec);
	CHECK_EQ(len, HW_STATE_HEADER_SIZE + 4 + 6);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memcpy(rec + HW_STATE_HEADER_SIZE, &bad[i].count, 4);
		CHECK_EQ(hv_debug_load(&udp_b, rec, len, err, sizeof(err)),
			 -EINVAL);
		CHECK_CONTAINS(err, bad[i].msg);
	}
	CHECK_EQ(retrieve(&udp_b, 64, 0), HV_DEBUG_NO_DATA);
	free(rec);
	close_udp_pair(fd);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_none_drops_and_has_nothing),
		TAP_TEST(test_file_out_and_in),
		TAP_TEST(test_file_full_keeps_bytes_pending),
		TAP_TEST(test_udp_datagrams),
		TAP_TEST(test_udp_timeout_and_cancel),
		TAP_TEST(test_bad_blocks),
		TAP_TEST(test_bad_specs),
		TAP_TEST(test_state_round_trip),
		TAP_TEST(test_state_link_kinds),
		TAP_TEST(test_state_truncated),
		TAP_TEST(test_state_bit_flips),
		TAP_TEST(test_state_bad_counts),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
