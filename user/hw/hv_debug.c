// SPDX-License-Identifier: GPL-2.0
/*
 * The host end of the Hyper-V synthetic debugger's hypercalls: see
 * hv_debug.h. The guest's blocks (TLFS "Debugging"):
 *
 *   HvPostDebugData      in:  u32 count, u32 options, u8 data[count]
 *                        out: u32 pending count, u32 reserved
 *   HvRetrieveDebugData  in:  u32 count, u32 options, u64 timeout (100 ns)
 *                        out: u32 retrieved, u32 remaining, u8 data[]
 *   HvResetDebugSession  in:  u32 options
 *                        out: u32 host IP, u32 target IP, u16 host port,
 *                             u16 target port, u8 host MAC[6],
 *                             u8 target MAC[6]
 *
 * Addresses and ports are in network byte order, as on the wire.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_debug.h"
#include "state.h"

/* The timeout is in 100 ns units; poll() takes milliseconds. */
#define HV_DEBUG_UNITS_PER_MS	10000

#define HV_DEBUG_STATE_NAME	"hv_debug"
#define HV_DEBUG_STATE_VERSION	1

static void hv_debug_init(struct hv_debug *d)
{
	memset(d, 0, sizeof(*d));
	d->kind = HV_DEBUG_NONE;
	d->out_fd = -1;
	d->in_fd = -1;
	d->cancel_fd = -1;
	pthread_mutex_init(&d->lock, NULL);
}

static int open_file_link(struct hv_debug *d, char *arg, char *err,
			  size_t errlen)
{
	char *in = strchr(arg, ':');

	if (in)
		*in++ = '\0';
	if (!*arg || (in && !*in)) {
		snprintf(err, errlen, "a file link is file:OUT or file:OUT:IN");
		return -EINVAL;
	}
	d->out_fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (d->out_fd < 0) {
		snprintf(err, errlen, "%s: %s", arg, strerror(errno));
		return -errno;
	}
	if (!in)
		return 0;
	/* Non-blocking: opening a FIFO must not wait for its writer. */
	d->in_fd = open(in, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (d->in_fd < 0) {
		snprintf(err, errlen, "%s: %s", in, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * HOST is an IPv4 address: the static tool has no name service, and the
 * reset reports IPv4 addresses to the guest.
 */
static int open_udp_link(struct hv_debug *d, char *arg, char *err,
			 size_t errlen)
{
	char *port = strrchr(arg, ':');
	socklen_t len = sizeof(d->self);
	unsigned long p;
	char *end;
	int fd;

	if (!port || port == arg || !port[1]) {
		snprintf(err, errlen, "a UDP link is udp:HOST:PORT");
		return -EINVAL;
	}
	*port++ = '\0';
	d->peer.sin_family = AF_INET;
	if (inet_pton(AF_INET, arg, &d->peer.sin_addr) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv4 address", arg);
		return -EINVAL;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end || errno || !p || p > 65535) {
		snprintf(err, errlen, "'%s' is not a port (1-65535)", port);
		return -EINVAL;
	}
	d->peer.sin_port = htons(p);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	d->out_fd = d->in_fd = fd;
	/* Connected: sends go to the peer, and only its datagrams arrive. */
	if (connect(fd, (struct sockaddr *)&d->peer, sizeof(d->peer)) ||
	    getsockname(fd, (struct sockaddr *)&d->self, &len)) {
		snprintf(err, errlen, "%s:%s: %s", arg, port, strerror(errno));
		return -errno;
	}
	return 0;
}

static int hv_debug_parse(struct hv_debug *d, char *spec, char *err,
			  size_t errlen)
{
	if (!strcmp(spec, "none"))
		return 0;
	if (!strncmp(spec, "file:", 5)) {
		d->kind = HV_DEBUG_FILE;
		return open_file_link(d, spec + 5, err, errlen);
	}
	if (!strncmp(spec, "udp:", 4)) {
		d->kind = HV_DEBUG_UDP;
		return open_udp_link(d, spec + 4, err, errlen);
	}
	snprintf(err, errlen, "not one of none, file:OUT[:IN], udp:HOST:PORT");
	return -EINVAL;
}

int hv_debug_open(struct hv_debug *d, const char *spec, char *err,
		  size_t errlen)
{
	char *copy;
	int r;

	hv_debug_init(d);
	d->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->cancel_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -errno;
	}
	if (!spec)
		return 0;
	copy = strdup(spec);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		hv_debug_close(d);
		return -ENOMEM;
	}
	r = hv_debug_parse(d, copy, err, errlen);
	free(copy);
	if (r)
		hv_debug_close(d);
	return r;
}

void hv_debug_close(struct hv_debug *d)
{
	if (d->in_fd >= 0 && d->in_fd != d->out_fd)
		close(d->in_fd);
	if (d->out_fd >= 0)
		close(d->out_fd);
	if (d->cancel_fd >= 0)
		close(d->cancel_fd);
	pthread_mutex_destroy(&d->lock);
	d->in_fd = d->out_fd = d->cancel_fd = -1;
}

void hv_debug_cancel(struct hv_debug *d)
{
	uint64_t one = 1;

	/* Until read back by a resume, every later wait ends at once too. */
	if (write(d->cancel_fd, &one, sizeof(one)) < 0)
		return;
}

void hv_debug_resume(struct hv_debug *d)
{
	uint64_t n;

	/* Non-blocking: nothing to read means nothing was cancelled. */
	if (read(d->cancel_fd, &n, sizeof(n)) < 0)
		return;
}

/* The host address of guest range [gpa, gpa + len), or NULL. */
static uint8_t *guest_range(uint8_t *ram, uint64_t ram_size, uint64_t gpa,
			    uint64_t len)
{
	if (gpa > ram_size || len > ram_size - gpa)
		return NULL;
	return ram + gpa;
}

/* Does [gpa, gpa + len) stay in gpa's page, as hypercall blocks must? */
static bool in_one_page(uint64_t gpa, uint64_t len)
{
	return len <= HV_DEBUG_PAGE_SIZE - (gpa & (HV_DEBUG_PAGE_SIZE - 1));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Bytes the link still holds for the guest after a retrieval. */
static uint32_t link_remaining(struct hv_debug *d)
{
	struct stat st;
	off_t pos;

	if (d->kind == HV_DEBUG_UDP)
		return d->st.rx_len - d->st.rx_off;
	if (d->in_fd < 0 || fstat(d->in_fd, &st) || !S_ISREG(st.st_mode))
		return 0;
	pos = lseek(d->in_fd, 0, SEEK_CUR);
	if (pos < 0 || st.st_size <= pos)
		return 0;
	return st.st_size - pos > UINT32_MAX ? UINT32_MAX : st.st_size - pos;
}

/*
 * Wait up to @timeout (100 ns units) for the link's input. Returns true
 * when there is something to read (or an error or end to find out about).
 */
static bool link_wait(struct hv_debug *d, uint64_t timeout)
{
	struct pollfd pfd[2] = {
		{ .fd = d->in_fd, .events = POLLIN },
		{ .fd = d->cancel_fd, .events = POLLIN },
	};
	uint64_t ms = (timeout + HV_DEBUG_UNITS_PER_MS - 1) /
		      HV_DEBUG_UNITS_PER_MS;

	if (poll(pfd, 2, ms > INT_MAX ? INT_MAX : (int)ms) <= 0)
		return false;
	return !(pfd[1].revents & POLLIN) && pfd[0].revents;
}

/* Read up to @count bytes into @buf; 0 when the link has none. */
static uint32_t link_read(struct hv_debug *d, uint8_t *buf, uint32_t count,
			  uint64_t timeout)
{
	ssize_t n;

	if (d->in_fd < 0)
		return 0;
	if (d->kind == HV_DEBUG_UDP && d->st.rx_off == d->st.rx_len) {
		if (!link_wait(d, timeout))
			return 0;
		n = recv(d->in_fd, d->st.rx, HV_DEBUG_DATAGRAM_MAX, 0);
		d->st.rx_off = 0;
		d->st.rx_len = n > 0 ? n : 0;
	}
	if (d->kind == HV_DEBUG_UDP) {
		n = d->st.rx_len - d->st.rx_off < count ? d->st.rx_len - d->st.rx_off : count;
		memcpy(buf, d->st.rx + d->st.rx_off, n);
		d->st.rx_off += n;
		return n;
	}
	if (!link_wait(d, timeout))
		return 0;
	n = read(d->in_fd, buf, count);
	return n > 0 ? n : 0;
}

/*
 * Send @count bytes. Returns how many the link did not take: those stay
 * with the guest (the pending count), which posts them again. A datagram
 * goes whole or not at all.
 */
static uint32_t link_write(struct hv_debug *d, const uint8_t *buf,
			   uint32_t count)
{
	ssize_t n;

	if (d->out_fd < 0 || !count) {
		d->dropped += count;
		return 0;
	}
	if (d->kind == HV_DEBUG_UDP) {
		n = send(d->out_fd, buf, count, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return count;
		/* Nobody listening (ICMP unreachable) drops it, as a wire. */
		if (n < 0) {
			d->dropped += count;
			return 0;
		}
		return 0;
	}
	while (count) {
		n = write(d->out_fd, buf, count);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf += n;
		count -= n;
	}
	return count;
}

static uint16_t hv_debug_post(struct hv_debug *d, uint8_t *ram,
			      uint64_t ram_size, uint64_t in_gpa,
			      uint64_t out_gpa)
{
	uint8_t *in = guest_range(ram, ram_size, in_gpa, HV_DEBUG_HEADER);
	uint8_t *out = guest_range(ram, ram_size, out_gpa, HV_DEBUG_HEADER);
	uint32_t count, pending;

	if (!in || !out)
		return HV_DEBUG_INVALID_INPUT;
	count = get32(in);
	if (count > HV_DEBUG_MAX_DATA || get32(in + 4))
		return HV_DEBUG_INVALID_PARAMETER;
	if (!in_one_page(in_gpa, HV_DEBUG_HEADER + count) ||
	    !guest_range(ram, ram_size, in_gpa, HV_DEBUG_HEADER + count))
		return HV_DEBUG_INVALID_INPUT;
	pending = link_write(d, in + HV_DEBUG_HEADER, count);
	d->bytes_out += count - pending;
	put32(out, pending);
	put32(out + 4, 0);
	return pending ? HV_DEBUG_INSUFFICIENT_BUFFERS : HV_DEBUG_OK;
}

static uint16_t hv_debug_retrieve(struct hv_debug *d, uint8_t *ram,
				  uint64_t ram_size, uint64_t in_gpa,
				  uint64_t out_gpa)
{
	uint8_t *in = guest_range(ram, ram_size, in_gpa, 16);
	uint8_t *out;
	uint32_t count, got;
	uint64_t timeout;

	if (!in)
		return HV_DEBUG_INVALID_INPUT;
	count = get32(in);
	memcpy(&timeout, in + 8, sizeof(timeout));
	if (count > HV_DEBUG_MAX_DATA || get32(in + 4))
		return HV_DEBUG_INVALID_PARAMETER;
	out = guest_range(ram, ram_size, out_gpa, HV_DEBUG_HEADER + count);
	if (!out || !in_one_page(out_gpa, HV_DEBUG_HEADER + count))
		return HV_DEBUG_INVALID_INPUT;
	got = count ? link_read(d, out + HV_DEBUG_HEADER, count, timeout) : 0;
	d->bytes_in += got;
	put32(out, got);
	put32(out + 4, link_remaining(d));
	return got || !count ? HV_DEBUG_OK : HV_DEBUG_NO_DATA;
}

/* Drop what the debugger sent and the guest has not retrieved. */
static void link_purge(struct hv_debug *d)
{
	d->st.rx_off = d->st.rx_len;
	if (d->kind != HV_DEBUG_UDP)
		return;
	while (recv(d->in_fd, d->st.rx, HV_DEBUG_DATAGRAM_MAX, MSG_DONTWAIT) >= 0)
		;
}

static uint16_t hv_debug_reset(struct hv_debug *d, uint8_t *ram,
			       uint64_t ram_size, uint64_t out_gpa)
{
	uint8_t *out = guest_range(ram, ram_size, out_gpa, HV_DEBUG_RESET_OUT);

	if (!out || !in_one_page(out_gpa, HV_DEBUG_RESET_OUT))
		return HV_DEBUG_INVALID_INPUT;
	link_purge(d);
	/* The MACs stay zero: there is no Ethernet between us. */
	memset(out, 0, HV_DEBUG_RESET_OUT);
	if (d->kind == HV_DEBUG_UDP) {
		memcpy(out, &d->peer.sin_addr.s_addr, 4);
		memcpy(out + 4, &d->self.sin_addr.s_addr, 4);
		memcpy(out + 8, &d->peer.sin_port, 2);
		memcpy(out + 10, &d->self.sin_port, 2);
	}
	return HV_DEBUG_OK;
}

uint16_t hv_debug_call(struct hv_debug *d, uint8_t *ram, uint64_t ram_size,
		       uint64_t code, uint64_t in_gpa, uint64_t out_gpa)
{
	uint16_t status;

	pthread_mutex_lock(&d->lock);
	switch (code) {
	case HV_DEBUG_POST:
		status = hv_debug_post(d, ram, ram_size, in_gpa, out_gpa);
		break;
	case HV_DEBUG_RETRIEVE:
		status = hv_debug_retrieve(d, ram, ram_size, in_gpa, out_gpa);
		break;
	case HV_DEBUG_RESET:
		status = hv_debug_reset(d, ram, ram_size, out_gpa);
		break;
	default:
		status = HV_DEBUG_INVALID_CODE;
		break;
	}
	pthread_mutex_unlock(&d->lock);
	return status;
}

/*
 * Version 1: how many bytes wait for the guest (u32, at most 65535), then
 * those bytes. Where in the datagram they started is not state.
 */
int hv_debug_save(struct hv_debug *d, struct hw_state_out *out)
{
	uint32_t n;
	int r;

	pthread_mutex_lock(&d->lock);
	n = d->st.rx_len - d->st.rx_off;
	hw_state_begin(out, HV_DEBUG_STATE_NAME, HV_DEBUG_STATE_VERSION);
	hw_put_u32(out, n);
	hw_put_bytes(out, d->st.rx + d->st.rx_off, n);
	r = hw_state_end(out);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int hv_debug_load(struct hv_debug *d, const void *buf, size_t len,
		  char *err, size_t errlen)
{
	struct hw_state_in in;
	const uint8_t *data;
	uint32_t version, n;
	int r;

	r = hw_state_open(&in, buf, len, HV_DEBUG_STATE_NAME,
			  HV_DEBUG_STATE_VERSION, &version, err, errlen);
	if (r)
		return r;
	n = hw_get_u32(&in);
	if (n > HV_DEBUG_DATAGRAM_MAX)
		return hw_state_invalid(&in, "%u bytes waiting, more than a %u-byte datagram",
					n, HV_DEBUG_DATAGRAM_MAX);
	if (n && d->kind != HV_DEBUG_UDP)
		return hw_state_invalid(&in, "%u bytes waiting for the guest, but only a udp link holds any",
					n);
	/* Read in place, and copied only once all of the record is good. */
	data = hw_get_span(&in, n);
	r = hw_state_close(&in);
	if (r)
		return r;
	pthread_mutex_lock(&d->lock);
	memcpy(d->st.rx, data, n);
	d->st.rx_off = 0;
	d->st.rx_len = n;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static int hv_debug_dev_save(void *dev, struct hw_state_out *out)
{
	return hv_debug_save(dev, out);
}

static int hv_debug_dev_load(void *dev, const void *buf, size_t len,
			     char *err, size_t errlen)
{
	return hv_debug_load(dev, buf, len, err, errlen);
}

const struct hw_device_ops hv_debug_device_ops = {
	.name = HV_DEBUG_STATE_NAME,
	.reset = NULL,		/* the link is kept: see hv_debug.h */
	.save = hv_debug_dev_save,
	.load = hv_debug_dev_load,
};
