/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control protocol (Documentation/lifecycle.rst): one JSON object per
 * line each way, with json-c. A client sends requests; the machine sends
 * one reply per request and, to the clients that asked (watch), events.
 * This file parses a request line into a struct (the only code that
 * reads a client's bytes: a host unit test and a libFuzzer harness feed
 * it), writes a struct back as a request line (vessel ctl), and starts
 * replies and events, so both ends use the same names.
 */
#ifndef VESSEL_VMM_PROTOCOL_H
#define VESSEL_VMM_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lifecycle.h"

struct json_object;

/* The longest request line, newline included; longer ones are refused. */
#define CTL_LINE_MAX		4096
/* An id, if a string: at most this many bytes; if a number, in +-2^53. */
#define CTL_ID_MAX		64
#define CTL_ID_INT_MAX		(1LL << 53)
/* A save's file: an absolute path of at most this many bytes. */
#define CTL_FILE_MAX		1024

enum ctl_verb {
	CTL_INFO,
	CTL_SUSPEND,
	CTL_RESUME,
	CTL_RESET,
	CTL_POWER_BUTTON,
	CTL_POWEROFF,
	CTL_WATCH,
	CTL_CAP,
	CTL_STATS,
	CTL_SAVE,
	CTL_NR_VERBS,
};

/* The "error" member of a failed reply: what a script tests. */
enum ctl_error {
	CTL_ERR_BAD_JSON,	/* not one JSON object */
	CTL_ERR_BAD_REQUEST,	/* a member missing, unknown or wrong */
	CTL_ERR_UNKNOWN_REQUEST,
	CTL_ERR_INVALID_STATE,	/* the lifecycle table says no */
	CTL_ERR_NOT_PERMITTED,	/* not the VM's owner or root */
	CTL_ERR_UNSUPPORTED,	/* this machine cannot do it */
	CTL_ERR_FAILED,		/* tried, and it failed */
	CTL_ERR_TOO_LONG,	/* a line longer than CTL_LINE_MAX */
	CTL_ERR_BUSY,		/* too many clients */
	CTL_NR_ERRORS,
};

struct ctl_request {
	enum ctl_verb verb;
	bool has_id;
	bool id_is_string;
	int64_t id;
	char id_string[CTL_ID_MAX + 1];
	/* suspend: the reason (VMM_SUSPEND_USER by default). */
	enum vmm_suspend_reason reason;
	/* reset */
	bool hard;
	/* cap: 1 to 100 */
	unsigned int percent;
	/* save: the file (absolute), and whether the VM runs on after it */
	char file[CTL_FILE_MAX + 1];
	bool cont;
};

/*
 * Parse one request line of @len bytes (without its newline; NUL bytes
 * are data, and refused). Returns 0, or -EINVAL with *@code and one line
 * in @err. What could be read of the id and verb before an error is in
 * @req, so the error reply can carry them.
 */
int ctl_parse_request(const char *line, size_t len, struct ctl_request *req,
		      enum ctl_error *code, char *err, size_t errlen);

/* A request as a JSON object, to send: the inverse of the parser. */
struct json_object *ctl_request_json(const struct ctl_request *req);

/*
 * The start of a reply to @req (NULL: a request too broken to name):
 * "reply", "id" and "ok". Add members, then ctl_json_line().
 */
struct json_object *ctl_reply_new(const struct ctl_request *req, bool ok);
/* A failed reply: "error" is @code's name, "message" @msg. */
struct json_object *ctl_reply_error(const struct ctl_request *req,
				    enum ctl_error code, const char *msg);
/* An event: {"event": @name, ...}. */
struct json_object *ctl_event_new(const char *name);

/*
 * @obj as one line with its newline, malloc'ed (*@len without the NUL),
 * and @obj released. NULL when out of memory.
 */
char *ctl_json_line(struct json_object *obj, size_t *len);

const char *ctl_verb_name(enum ctl_verb verb);
int ctl_verb_find(const char *name);
const char *ctl_error_name(enum ctl_error code);

#endif /* VESSEL_VMM_PROTOCOL_H */
