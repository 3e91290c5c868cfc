/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host end of the Hyper-V synthetic debugger's hypercalls
 * (HvPostDebugData, HvRetrieveDebugData, HvResetDebugSession; TLFS
 * "Debugging"), which vessel.ko hands to userspace as VESSEL_EXIT_PV_DEBUG.
 *
 * A link carries the guest's bytes to the host and back:
 *  - none: posted bytes are dropped and retrieval finds nothing, as when no
 *    debugger listens;
 *  - a file: posted bytes are written to OUT, retrieved ones read from IN
 *    (a regular file, a FIFO or a character device);
 *  - a UDP peer, as VirtualBox and QEMU bridge the synthetic debugger for
 *    KDNET: each post is one datagram to HOST:PORT, retrieval takes the
 *    datagrams the peer sends back, a large one over several calls.
 *
 * hv_debug_call() reads the call's blocks from guest memory and writes its
 * answer there. It reads every count again itself: another vCPU may have
 * changed the input since the kernel checked it.
 */
#ifndef VESSEL_HV_DEBUG_H
#define VESSEL_HV_DEBUG_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"

/* Call codes and statuses (TLFS), as the guest sees them. */
#define HV_DEBUG_POST			0x69
#define HV_DEBUG_RETRIEVE		0x6a
#define HV_DEBUG_RESET			0x6b
#define HV_DEBUG_OK			0x00
#define HV_DEBUG_INVALID_CODE		0x02
#define HV_DEBUG_INVALID_INPUT		0x03
#define HV_DEBUG_INVALID_PARAMETER	0x05
#define HV_DEBUG_INSUFFICIENT_BUFFERS	0x13
#define HV_DEBUG_NO_DATA		0x1b

#define HV_DEBUG_PAGE_SIZE	4096
#define HV_DEBUG_HEADER		8	/* count + options; the outputs' too */
#define HV_DEBUG_MAX_DATA	(HV_DEBUG_PAGE_SIZE - HV_DEBUG_HEADER)
#define HV_DEBUG_RESET_OUT	24	/* HvResetDebugSession's output */
/* The largest UDP payload: a datagram is never cut. */
#define HV_DEBUG_DATAGRAM_MAX	65535

enum hv_debug_kind {
	HV_DEBUG_NONE,
	HV_DEBUG_FILE,
	HV_DEBUG_UDP,
};

/*
 * What the guest has yet to see: the part of the last datagram a UDP
 * link received that no retrieval has taken (bytes [rx_off, rx_len)).
 */
struct hv_debug_state {
	uint32_t rx_len, rx_off;
	uint8_t rx[HV_DEBUG_DATAGRAM_MAX];
};

struct hv_debug {
	struct hv_debug_state st;
	/* The link: set up by hv_debug_open(), kept by load. */
	enum hv_debug_kind kind;
	int out_fd;		/* posted bytes go here; -1: dropped */
	int in_fd;		/* retrieved bytes come from here; -1: none */
	int cancel_fd;		/* eventfd: hv_debug_cancel() ends any wait */
	struct sockaddr_in peer;	/* UDP: the debugger */
	struct sockaddr_in self;	/* UDP: our end */
	/* For --stats, not state: what went over the link. */
	uint64_t bytes_out, bytes_in, dropped;
	/* vCPUs call in parallel; a retrieval may wait with it held. */
	pthread_mutex_t lock;
};

/*
 * hv_debug_open() - set up the link SPEC names: NULL or "none", "file:OUT"
 * or "file:OUT:IN", "udp:HOST:PORT". Returns 0, or -errno with a one-line
 * reason in @err (without the option's name).
 */
int hv_debug_open(struct hv_debug *d, const char *spec, char *err,
		  size_t errlen);
void hv_debug_close(struct hv_debug *d);

/*
 * End any retrieval waiting now or later (the VM is stopping or being
 * reset), until hv_debug_resume() lets retrievals wait again.
 */
void hv_debug_cancel(struct hv_debug *d);
void hv_debug_resume(struct hv_debug *d);

/*
 * Save and load the state in the record format of state.h ("hv_debug",
 * version 1; the fields in Documentation/userspace-devices.rst). Bytes
 * waiting for the guest load only into a UDP link, the only kind that
 * holds any. A load that fails returns -EINVAL with one line in @err and
 * changes nothing.
 *
 * There is no reset: the link is the host's, as the terminal is, and a
 * machine reset keeps it with what it holds; a guest that starts a new
 * debugging session drops that with HvResetDebugSession.
 */
struct hw_state_out;
int hv_debug_save(struct hv_debug *d, struct hw_state_out *out);
int hv_debug_load(struct hv_debug *d, const void *buf, size_t len,
		  char *err, size_t errlen);

/* Save and load for the machine's device table. */
extern const struct hw_device_ops hv_debug_device_ops;

/*
 * hv_debug_call() - complete call @code with its input block at @in_gpa
 * and output block at @out_gpa in guest memory [@ram, @ram + @ram_size).
 * Returns the hypercall status the guest gets.
 */
uint16_t hv_debug_call(struct hv_debug *d, uint8_t *ram, uint64_t ram_size,
		       uint64_t code, uint64_t in_gpa, uint64_t out_gpa);

#endif /* VESSEL_HV_DEBUG_H */
