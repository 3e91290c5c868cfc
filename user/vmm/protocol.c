// SPDX-License-Identifier: GPL-2.0
/*
 * The control protocol's requests, replies and events (protocol.h,
 * Documentation/lifecycle.rst). A request line comes from a client that
 * passed the owner check, but it is still bytes from outside the
 * machine: parsed strictly (json-c's strict mode, a nesting limit, one
 * object and nothing after it, every member known and of its type), and
 * never trusted further than the struct it fills.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "compiler.h"
#include "protocol.h"

/* A request is flat: the object and its members, nothing deeper. */
#define CTL_JSON_DEPTH	4

static const char *const verb_names[CTL_NR_VERBS] = {
	[CTL_INFO] = "info",
	[CTL_SUSPEND] = "suspend",
	[CTL_RESUME] = "resume",
	[CTL_RESET] = "reset",
	[CTL_POWER_BUTTON] = "power-button",
	[CTL_POWEROFF] = "poweroff",
	[CTL_WATCH] = "watch",
	[CTL_CAP] = "cap",
	[CTL_STATS] = "stats",
	[CTL_SAVE] = "save",
};

static const char *const error_names[CTL_NR_ERRORS] = {
	[CTL_ERR_BAD_JSON] = "bad-json",
	[CTL_ERR_BAD_REQUEST] = "bad-request",
	[CTL_ERR_UNKNOWN_REQUEST] = "unknown-request",
	[CTL_ERR_INVALID_STATE] = "invalid-state",
	[CTL_ERR_NOT_PERMITTED] = "not-permitted",
	[CTL_ERR_UNSUPPORTED] = "unsupported",
	[CTL_ERR_FAILED] = "failed",
	[CTL_ERR_TOO_LONG] = "too-long",
	[CTL_ERR_BUSY] = "busy",
};

/* Which members each verb takes besides "request" and "id". */
enum {
	M_REASON = 1 << 0,
	M_HARD = 1 << 1,
	M_PERCENT = 1 << 2,
	M_FILE = 1 << 3,
	M_CONTINUE = 1 << 4,
};

static const unsigned int verb_members[CTL_NR_VERBS] = {
	[CTL_SUSPEND] = M_REASON,
	[CTL_RESET] = M_HARD,
	[CTL_CAP] = M_PERCENT,
	[CTL_SAVE] = M_FILE | M_CONTINUE,
};

const char *ctl_verb_name(enum ctl_verb verb)
{
	return (unsigned int)verb < CTL_NR_VERBS ? verb_names[verb] : NULL;
}

int ctl_verb_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < CTL_NR_VERBS; i++)
		if (!strcmp(verb_names[i], name))
			return i;
	return -1;
}

const char *ctl_error_name(enum ctl_error code)
{
	return (unsigned int)code < CTL_NR_ERRORS ? error_names[code] : NULL;
}

/* Where a parse error goes: its code and its one line. */
struct ctl_err {
	enum ctl_error *code;
	char *buf;
	size_t len;
};

__printf(3, 4)
static int bad(struct ctl_err *e, enum ctl_error c, const char *fmt, ...)
{
	va_list ap;

	*e->code = c;
	va_start(ap, fmt);
	vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * A name from the request, quoted in an error message: at most 64 bytes,
 * and every byte that is not printable ASCII (a newline, an escape
 * sequence for the terminal vessel ctl prints on) as '?'.
 */
static const char *quote(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i < len - 1 && i < 64; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* A string member without NUL bytes, at most @max bytes. */
static const char *member_string(struct json_object *v, size_t max)
{
	const char *s;
	int len;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	len = json_object_get_string_len(v);
	if (!s || len < 0 || (size_t)len > max || strlen(s) != (size_t)len)
		return NULL;
	return s;
}

static int parse_id(struct json_object *v, struct ctl_request *req,
		    struct ctl_err *e)
{
	const char *s;

	if (json_object_is_type(v, json_type_int)) {
		/*
		 * JSON's safe integers: json-c saturates larger ones without
		 * a word, and the id must come back as it was sent.
		 */
		req->id = json_object_get_int64(v);
		if (req->id < -CTL_ID_INT_MAX || req->id > CTL_ID_INT_MAX)
			return bad(e, CTL_ERR_BAD_REQUEST,
				   "'id' must be an integer from -2^53 to 2^53 or a string of at most %d bytes",
				   CTL_ID_MAX);
		req->has_id = true;
		return 0;
	}
	s = member_string(v, CTL_ID_MAX);
	if (!s)
		return bad(e, CTL_ERR_BAD_REQUEST,
			   "'id' must be an integer from -2^53 to 2^53 or a string of at most %d bytes",
			   CTL_ID_MAX);
	strcpy(req->id_string, s);
	req->has_id = true;
	req->id_is_string = true;
	return 0;
}

static int parse_bool(struct json_object *v, const char *key, bool *out,
		      struct ctl_err *e)
{
	if (!json_object_is_type(v, json_type_boolean))
		return bad(e, CTL_ERR_BAD_REQUEST,
			   "'%s' must be true or false", key);
	*out = json_object_get_boolean(v);
	return 0;
}

/* One member of a @verb request other than "request" and "id". */
static int parse_member(const char *key, struct json_object *v,
			struct ctl_request *req, struct ctl_err *e)
{
	unsigned int takes = verb_members[req->verb];
	const char *s;
	char q[65];
	int64_t n;
	int r;

	if (!strcmp(key, "reason") && (takes & M_REASON)) {
		s = member_string(v, 64);
		r = s ? vmm_suspend_reason_find(s) : -1;
		if (r < 0)
			return bad(e, CTL_ERR_BAD_REQUEST,
				   "'reason' must be one of user, reconfiguration, runtime-error, host-suspend");
		req->reason = r;
		return 0;
	}
	if (!strcmp(key, "hard") && (takes & M_HARD))
		return parse_bool(v, key, &req->hard, e);
	if (!strcmp(key, "percent") && (takes & M_PERCENT)) {
		/* json-c saturates: out of range either way. */
		n = json_object_is_type(v, json_type_int) ?
		    json_object_get_int64(v) : 0;
		if (n < 1 || n > 100)
			return bad(e, CTL_ERR_BAD_REQUEST,
				   "'percent' must be an integer from 1 to 100");
		req->percent = n;
		return 0;
	}
	if (!strcmp(key, "file") && (takes & M_FILE)) {
		/*
		 * Absolute: the machine's working directory is not the
		 * client's, and vessel ctl makes a relative one absolute.
		 */
		s = member_string(v, CTL_FILE_MAX);
		if (!s || s[0] != '/')
			return bad(e, CTL_ERR_BAD_REQUEST,
				   "'file' must be an absolute path of at most %d bytes",
				   CTL_FILE_MAX);
		strcpy(req->file, s);
		return 0;
	}
	if (!strcmp(key, "continue") && (takes & M_CONTINUE))
		return parse_bool(v, key, &req->cont, e);
	return bad(e, CTL_ERR_BAD_REQUEST,
		   "the %s request has no member '%s'", verb_names[req->verb],
		   quote(key, q, sizeof(q)));
}

/* The object's members, once "request" has named the verb. */
static int parse_members(struct json_object *obj, struct ctl_request *req,
			 struct ctl_err *e)
{
	struct json_object_iterator it = json_object_iter_begin(obj);
	struct json_object_iterator end = json_object_iter_end(obj);
	int r;

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *key = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);

		if (!strcmp(key, "request") || !strcmp(key, "id"))
			continue;
		r = parse_member(key, v, req, e);
		if (r)
			return r;
	}
	if (req->verb == CTL_CAP && !req->percent)
		return bad(e, CTL_ERR_BAD_REQUEST,
			   "a cap request needs 'percent'");
	if (req->verb == CTL_SAVE && !req->file[0])
		return bad(e, CTL_ERR_BAD_REQUEST,
			   "a save request needs 'file'");
	return 0;
}

static int parse_object(struct json_object *obj, struct ctl_request *req,
			struct ctl_err *e)
{
	struct json_object *v;
	const char *name;
	char q[65];
	int verb, r;

	if (!json_object_is_type(obj, json_type_object))
		return bad(e, CTL_ERR_BAD_JSON,
			   "a request is one JSON object");
	/* The id first, so that even a refused request can be matched. */
	if (json_object_object_get_ex(obj, "id", &v)) {
		r = parse_id(v, req, e);
		if (r)
			return r;
	}
	if (!json_object_object_get_ex(obj, "request", &v))
		return bad(e, CTL_ERR_BAD_REQUEST,
			   "no 'request' member");
	name = member_string(v, 64);
	if (!name)
		return bad(e, CTL_ERR_BAD_REQUEST,
			   "'request' must be a string");
	verb = ctl_verb_find(name);
	if (verb < 0)
		return bad(e, CTL_ERR_UNKNOWN_REQUEST,
			   "unknown request '%s' (one of info, suspend, resume, reset, power-button, poweroff, watch, cap, stats, save)",
			   quote(name, q, sizeof(q)));
	req->verb = verb;
	return parse_members(obj, req, e);
}

int ctl_parse_request(const char *line, size_t len, struct ctl_request *req,
		      enum ctl_error *code, char *err, size_t errlen)
{
	struct ctl_err e = { code, err, errlen };
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;
	int r;

	memset(req, 0, sizeof(*req));
	req->verb = CTL_NR_VERBS;	/* not known yet */
	req->reason = VMM_SUSPEND_USER;
	if (len >= CTL_LINE_MAX)
		return bad(&e, CTL_ERR_TOO_LONG,
			   "a request line is at most %d bytes", CTL_LINE_MAX - 1);
	if (memchr(line, '\0', len))
		return bad(&e, CTL_ERR_BAD_JSON,
			   "a request line holds no NUL byte");
	tok = json_tokener_new_ex(CTL_JSON_DEPTH);
	if (!tok)
		return bad(&e, CTL_ERR_FAILED, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, len);
	if (!obj) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		json_tokener_free(tok);
		return bad(&e, CTL_ERR_BAD_JSON, "not JSON: %s",
			   je == json_tokener_continue ? "it ends too soon" :
			   json_tokener_error_desc(je));
	}
	/* Whitespace may follow the object; nothing else. */
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r", line[end]))
		end++;
	if (end != len) {
		json_object_put(obj);
		return bad(&e, CTL_ERR_BAD_JSON,
			   "one JSON object per line, and nothing after it");
	}
	r = parse_object(obj, req, &e);
	json_object_put(obj);
	return r;
}

/* json-c's adders fail only without memory; then the whole line does. */
static void add(struct json_object *obj, const char *key,
		struct json_object *v)
{
	if (obj && v)
		json_object_object_add(obj, key, v);
	else
		json_object_put(v);
}

static void add_id(struct json_object *obj, const struct ctl_request *req)
{
	if (!req || !req->has_id)
		return;
	add(obj, "id", req->id_is_string ?
	    json_object_new_string(req->id_string) :
	    json_object_new_int64(req->id));
}

struct json_object *ctl_request_json(const struct ctl_request *req)
{
	struct json_object *obj = json_object_new_object();
	unsigned int takes = verb_members[req->verb];

	add(obj, "request", json_object_new_string(verb_names[req->verb]));
	add_id(obj, req);
	if ((takes & M_REASON) && req->reason != VMM_SUSPEND_NONE)
		add(obj, "reason", json_object_new_string(
			vmm_suspend_reason_name(req->reason)));
	if (takes & M_HARD)
		add(obj, "hard", json_object_new_boolean(req->hard));
	if (takes & M_PERCENT)
		add(obj, "percent", json_object_new_int(req->percent));
	if (takes & M_FILE)
		add(obj, "file", json_object_new_string(req->file));
	if (takes & M_CONTINUE)
		add(obj, "continue", json_object_new_boolean(req->cont));
	return obj;
}

struct json_object *ctl_reply_new(const struct ctl_request *req, bool ok)
{
	struct json_object *obj = json_object_new_object();

	if (req && (unsigned int)req->verb < CTL_NR_VERBS)
		add(obj, "reply", json_object_new_string(verb_names[req->verb]));
	add_id(obj, req);
	add(obj, "ok", json_object_new_boolean(ok));
	return obj;
}

struct json_object *ctl_reply_error(const struct ctl_request *req,
				    enum ctl_error code, const char *msg)
{
	struct json_object *obj = ctl_reply_new(req, false);

	add(obj, "error", json_object_new_string(error_names[code]));
	add(obj, "message", json_object_new_string(msg));
	return obj;
}

struct json_object *ctl_event_new(const char *name)
{
	struct json_object *obj = json_object_new_object();

	add(obj, "event", json_object_new_string(name));
	return obj;
}

char *ctl_json_line(struct json_object *obj, size_t *len)
{
	const char *s;
	size_t n;
	char *line = NULL;

	if (!obj)
		return NULL;
	s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s) {
		line = malloc(n + 2);
		if (line) {
			memcpy(line, s, n);
			line[n] = '\n';
			line[n + 1] = '\0';
			*len = n + 1;
		}
	}
	json_object_put(obj);
	return line;
}
