// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the control protocol (user/vmm/protocol.c): every
 * request parsed with its members and defaults; every way a line can be
 * wrong refused with its error code and a message; requests written by
 * vessel ctl's side read back the same; replies and events as one line
 * of JSON that json-c reads back.
 */
#include <errno.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "tap.h"
#include "vmm/protocol.h"

static struct ctl_request req;
static enum ctl_error code;
static char err[256];

static int parse(const char *line)
{
	code = CTL_NR_ERRORS;
	err[0] = '\0';
	return ctl_parse_request(line, strlen(line), &req, &code, err,
				 sizeof(err));
}

/* @line is refused with @c, and the message holds @text. */
static bool refused(const char *line, enum ctl_error c, const char *text)
{
	if (parse(line) != -EINVAL || code != c || !strstr(err, text)) {
		printf("# '%s': code %s, message '%s'\n", line,
		       ctl_error_name(code) ?: "none", err);
		return false;
	}
	return true;
}

static void test_verbs(void)
{
	CHECK_EQ(parse("{\"request\":\"info\"}"), 0);
	CHECK_EQ(req.verb, CTL_INFO);
	CHECK(!req.has_id);
	CHECK_EQ(parse("{\"request\":\"suspend\"}"), 0);
	CHECK_EQ(req.verb, CTL_SUSPEND);
	CHECK_EQ(req.reason, VMM_SUSPEND_USER);	/* the default */
	CHECK_EQ(parse("{\"request\":\"suspend\",\"reason\":\"runtime-error\"}"), 0);
	CHECK_EQ(req.reason, VMM_SUSPEND_RUNTIME_ERROR);
	CHECK_EQ(parse("{\"reason\":\"reconfiguration\",\"request\":\"suspend\"}"), 0);
	CHECK_EQ(req.reason, VMM_SUSPEND_RECONFIGURATION);
	CHECK_EQ(parse("{\"request\":\"resume\"}"), 0);
	CHECK_EQ(req.verb, CTL_RESUME);
	CHECK_EQ(parse("{\"request\":\"reset\"}"), 0);
	CHECK_EQ(req.verb, CTL_RESET);
	CHECK(!req.hard);
	CHECK_EQ(parse("{\"request\":\"reset\",\"hard\":true}"), 0);
	CHECK(req.hard);
	CHECK_EQ(parse("{\"request\":\"power-button\"}"), 0);
	CHECK_EQ(req.verb, CTL_POWER_BUTTON);
	CHECK_EQ(parse("{\"request\":\"poweroff\"}"), 0);
	CHECK_EQ(req.verb, CTL_POWEROFF);
	CHECK_EQ(parse("{\"request\":\"watch\"}"), 0);
	CHECK_EQ(req.verb, CTL_WATCH);
	CHECK_EQ(parse("{\"request\":\"stats\"}"), 0);
	CHECK_EQ(req.verb, CTL_STATS);
	CHECK_EQ(parse("{\"request\":\"cap\",\"percent\":1}"), 0);
	CHECK_EQ(req.verb, CTL_CAP);
	CHECK_EQ(req.percent, 1);
	CHECK_EQ(parse("{\"request\":\"cap\",\"percent\":100}"), 0);
	CHECK_EQ(req.percent, 100);
	/* Whitespace around and inside; a CR before the newline is the caller's. */
	CHECK_EQ(parse(" { \"request\" : \"info\" } \t\r"), 0);
}

static void test_ids(void)
{
	CHECK_EQ(parse("{\"request\":\"info\",\"id\":7}"), 0);
	CHECK(req.has_id && !req.id_is_string);
	CHECK_EQ(req.id, 7);
	CHECK_EQ(parse("{\"id\":-9007199254740992,\"request\":\"info\"}"), 0);
	CHECK_EQ(req.id, -(1LL << 53));
	CHECK_EQ(parse("{\"id\":9007199254740992,\"request\":\"info\"}"), 0);
	CHECK_EQ(req.id, 1LL << 53);
	CHECK(refused("{\"id\":9007199254740993,\"request\":\"info\"}",
		      CTL_ERR_BAD_REQUEST, "'id' must be an integer from -2^53 to 2^53"));
	CHECK(refused("{\"id\":-9223372036854775809,\"request\":\"info\"}",
		      CTL_ERR_BAD_REQUEST, "'id'"));
	CHECK_EQ(parse("{\"id\":\"abc\",\"request\":\"info\"}"), 0);
	CHECK(req.has_id && req.id_is_string);
	CHECK_STR_EQ(req.id_string, "abc");
	CHECK_EQ(parse("{\"id\":\"\",\"request\":\"info\"}"), 0);
	CHECK(req.id_is_string);
	CHECK(refused("{\"id\":9223372036854775808,\"request\":\"info\"}",
		      CTL_ERR_BAD_REQUEST, "'id'"));
	CHECK(refused("{\"id\":1.5,\"request\":\"info\"}", CTL_ERR_BAD_REQUEST,
		      "'id' must be an integer"));
	CHECK(refused("{\"id\":[1],\"request\":\"info\"}", CTL_ERR_BAD_REQUEST,
		      "'id'"));
	CHECK(refused("{\"id\":\"0123456789012345678901234567890123456789012345678901234567890123X\",\"request\":\"info\"}",
		      CTL_ERR_BAD_REQUEST, "at most 64 bytes"));
	/* The id comes back even when the request is refused. */
	CHECK(refused("{\"id\":5,\"request\":\"nope\"}", CTL_ERR_UNKNOWN_REQUEST,
		      "unknown request 'nope'"));
	CHECK(req.has_id);
	CHECK_EQ(req.id, 5);
}

static void test_bad_json(void)
{
	static const char *const lines[] = {
		"", "{", "}", "{\"request\":\"info\"", "request",
		"{\"request\":'info'}", "{\"request\":\"info\",}",
		"{request:\"info\"}", "{\"request\":\"info\"} {}",
		"{\"request\":\"info\"}x", "[{\"request\":\"info\"}]",
		"\"info\"", "42", "null", "{\"request\":\"in\\x6fo\"}",
	};
	char nul[] = "{\"request\":\"info\"}";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lines); i++)
		CHECK(refused(lines[i], CTL_ERR_BAD_JSON, ""));
	CHECK(refused("[1]", CTL_ERR_BAD_JSON, "a request is one JSON object"));
	/* A NUL byte inside the line. */
	nul[5] = '\0';
	code = CTL_NR_ERRORS;
	CHECK_EQ(ctl_parse_request(nul, sizeof(nul) - 1, &req, &code, err,
				   sizeof(err)), -EINVAL);
	CHECK_EQ(code, CTL_ERR_BAD_JSON);
	/* Deeper than a flat request: refused by the tokener's limit. */
	CHECK(refused("{\"request\":\"info\",\"x\":[[[[[[1]]]]]]}",
		      CTL_ERR_BAD_JSON, ""));
}

static void test_bad_requests(void)
{
	CHECK(refused("{}", CTL_ERR_BAD_REQUEST, "no 'request' member"));
	CHECK(refused("{\"id\":1}", CTL_ERR_BAD_REQUEST, "no 'request'"));
	CHECK(refused("{\"request\":1}", CTL_ERR_BAD_REQUEST,
		      "'request' must be a string"));
	CHECK(refused("{\"request\":null}", CTL_ERR_BAD_REQUEST, "string"));
	CHECK(refused("{\"request\":\"INFO\"}", CTL_ERR_UNKNOWN_REQUEST,
		      "unknown request 'INFO'"));
	CHECK(refused("{\"request\":\"snapshot\"}", CTL_ERR_UNKNOWN_REQUEST,
		      "unknown request"));
	CHECK(refused("{\"request\":\"info\",\"hard\":true}",
		      CTL_ERR_BAD_REQUEST, "the info request has no member 'hard'"));
	CHECK(refused("{\"request\":\"suspend\",\"percent\":5}",
		      CTL_ERR_BAD_REQUEST, "the suspend request has no member 'percent'"));
	CHECK(refused("{\"request\":\"resume\",\"reason\":\"user\"}",
		      CTL_ERR_BAD_REQUEST, "no member 'reason'"));
	CHECK(refused("{\"request\":\"suspend\",\"reason\":\"nap\"}",
		      CTL_ERR_BAD_REQUEST, "'reason' must be one of"));
	CHECK(refused("{\"request\":\"suspend\",\"reason\":1}",
		      CTL_ERR_BAD_REQUEST, "'reason'"));
	CHECK(refused("{\"request\":\"suspend\",\"reason\":\"user\\u0000x\"}",
		      CTL_ERR_BAD_REQUEST, "'reason'"));
	CHECK(refused("{\"request\":\"reset\",\"hard\":1}", CTL_ERR_BAD_REQUEST,
		      "'hard' must be true or false"));
	CHECK(refused("{\"request\":\"reset\",\"hard\":\"true\"}",
		      CTL_ERR_BAD_REQUEST, "'hard'"));
	CHECK(refused("{\"request\":\"cap\"}", CTL_ERR_BAD_REQUEST,
		      "a cap request needs 'percent'"));
	CHECK(refused("{\"request\":\"cap\",\"percent\":0}", CTL_ERR_BAD_REQUEST,
		      "'percent' must be an integer from 1 to 100"));
	CHECK(refused("{\"request\":\"cap\",\"percent\":101}",
		      CTL_ERR_BAD_REQUEST, "'percent'"));
	CHECK(refused("{\"request\":\"cap\",\"percent\":-5}", CTL_ERR_BAD_REQUEST,
		      "'percent'"));
	CHECK(refused("{\"request\":\"cap\",\"percent\":50.0}",
		      CTL_ERR_BAD_REQUEST, "'percent'"));
	CHECK(refused("{\"request\":\"cap\",\"percent\":\"50\"}",
		      CTL_ERR_BAD_REQUEST, "'percent'"));
	CHECK(refused("{\"request\":\"cap\",\"percent\":18446744073709551666}",
		      CTL_ERR_BAD_REQUEST, "'percent'"));
	/* Names quoted in a message stay one printable line. */
	CHECK(refused("{\"request\":\"a\\nb\\u001b[2J\"}",
		      CTL_ERR_UNKNOWN_REQUEST, "unknown request 'a?b?[2J'"));
	CHECK(refused("{\"request\":\"info\",\"\\r\\n\":1}",
		      CTL_ERR_BAD_REQUEST, "no member '\?\?'"));
	/* A long key is cut in the message, never overrun. */
	CHECK(refused("{\"request\":\"info\",\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\":1}",
		      CTL_ERR_BAD_REQUEST, "no member"));
}

static void test_save(void)
{
	char line[CTL_FILE_MAX + 64];
	char path[CTL_FILE_MAX + 2];

	CHECK_EQ(parse("{\"request\":\"save\",\"file\":\"/tmp/vm.snap\"}"), 0);
	CHECK_EQ(req.verb, CTL_SAVE);
	CHECK_STR_EQ(req.file, "/tmp/vm.snap");
	CHECK(!req.cont);	/* the default: suspended once saved */
	CHECK_EQ(parse("{\"continue\":true,\"request\":\"save\",\"file\":\"/a b\"}"), 0);
	CHECK(req.cont);
	CHECK_STR_EQ(req.file, "/a b");
	CHECK(refused("{\"request\":\"save\"}", CTL_ERR_BAD_REQUEST,
		      "a save request needs 'file'"));
	CHECK(refused("{\"request\":\"save\",\"continue\":false}",
		      CTL_ERR_BAD_REQUEST, "needs 'file'"));
	/* The machine's working directory is not the client's. */
	CHECK(refused("{\"request\":\"save\",\"file\":\"vm.snap\"}",
		      CTL_ERR_BAD_REQUEST, "'file' must be an absolute path"));
	CHECK(refused("{\"request\":\"save\",\"file\":\"\"}",
		      CTL_ERR_BAD_REQUEST, "'file'"));
	CHECK(refused("{\"request\":\"save\",\"file\":7}",
		      CTL_ERR_BAD_REQUEST, "'file'"));
	CHECK(refused("{\"request\":\"save\",\"file\":\"/a\\u0000b\"}",
		      CTL_ERR_BAD_REQUEST, "'file'"));
	CHECK(refused("{\"request\":\"save\",\"file\":\"/a\",\"continue\":1}",
		      CTL_ERR_BAD_REQUEST, "'continue' must be true or false"));
	CHECK(refused("{\"request\":\"info\",\"file\":\"/a\"}",
		      CTL_ERR_BAD_REQUEST, "the info request has no member 'file'"));
	/* CTL_FILE_MAX bytes are a path; one more is not. */
	memset(path, 'p', sizeof(path));
	path[0] = '/';
	path[CTL_FILE_MAX] = '\0';
	snprintf(line, sizeof(line), "{\"request\":\"save\",\"file\":\"%s\"}", path);
	CHECK_EQ(parse(line), 0);
	CHECK_EQ(strlen(req.file), CTL_FILE_MAX);
	path[CTL_FILE_MAX] = 'p';
	path[CTL_FILE_MAX + 1] = '\0';
	snprintf(line, sizeof(line), "{\"request\":\"save\",\"file\":\"%s\"}", path);
	CHECK(refused(line, CTL_ERR_BAD_REQUEST, "at most 1024 bytes"));
}

static void test_too_long(void)
{
	char *line = malloc(CTL_LINE_MAX + 1);
	size_t n = CTL_LINE_MAX;

	CHECK(line);
	memset(line, ' ', n);
	memcpy(line, "{\"request\":\"info\"}", 18);
	line[n] = '\0';
	CHECK(refused(line, CTL_ERR_TOO_LONG, "at most 4095 bytes"));
	/* One byte less is a line: spaces after the object are allowed. */
	line[n - 1] = '\0';
	CHECK_EQ(parse(line), 0);
	free(line);
}

/* What vessel ctl writes is what the machine reads. */
static void test_round_trip(void)
{
	struct ctl_request in = { 0 }, out;
	enum ctl_error c;
	unsigned int v;
	size_t len;
	char *line;

	for (v = 0; v < CTL_NR_VERBS; v++) {
		memset(&in, 0, sizeof(in));
		in.verb = v;
		in.reason = VMM_SUSPEND_HOST_SUSPEND;
		in.hard = v == CTL_RESET;
		in.percent = v == CTL_CAP ? 37 : 0;
		if (v == CTL_SAVE)
			strcpy(in.file, "/var/tmp/\"quoted\"\\vm.snap");
		in.cont = v == CTL_SAVE;
		in.has_id = true;
		in.id = 1000 + v;
		line = ctl_json_line(ctl_request_json(&in), &len);
		CHECK(line);
		CHECK_EQ(line[len - 1], '\n');
		CHECK_EQ(strlen(line), len);
		CHECK_EQ(ctl_parse_request(line, len - 1, &out, &c, err,
					   sizeof(err)), 0);
		CHECK_EQ(out.verb, v);
		CHECK_EQ(out.id, 1000 + v);
		CHECK_EQ(out.hard, in.hard);
		CHECK_EQ(out.percent, in.percent);
		CHECK_STR_EQ(out.file, in.file);
		CHECK_EQ(out.cont, in.cont);
		if (v == CTL_SUSPEND)
			CHECK_EQ(out.reason, VMM_SUSPEND_HOST_SUSPEND);
		free(line);
	}
}

static void test_replies(void)
{
	struct json_object *obj, *v;
	size_t len;
	char *line;

	CHECK_EQ(parse("{\"request\":\"resume\",\"id\":\"x/y\"}"), 0);
	line = ctl_json_line(ctl_reply_new(&req, true), &len);
	CHECK(line);
	CHECK_STR_EQ(line, "{\"reply\":\"resume\",\"id\":\"x/y\",\"ok\":true}\n");
	free(line);

	line = ctl_json_line(ctl_reply_error(&req, CTL_ERR_INVALID_STATE,
					     "cannot resume: the VM is running"),
			     &len);
	CHECK(line);
	obj = json_tokener_parse(line);
	free(line);
	CHECK(obj);
	CHECK(json_object_object_get_ex(obj, "ok", &v));
	CHECK(!json_object_get_boolean(v));
	CHECK(json_object_object_get_ex(obj, "error", &v));
	CHECK_STR_EQ(json_object_get_string(v), "invalid-state");
	CHECK(json_object_object_get_ex(obj, "message", &v));
	CHECK_STR_EQ(json_object_get_string(v), "cannot resume: the VM is running");
	json_object_put(obj);

	/* A request too broken to name: no "reply", no "id". */
	line = ctl_json_line(ctl_reply_error(NULL, CTL_ERR_BAD_JSON, "not JSON"),
			     &len);
	CHECK(line);
	CHECK_STR_EQ(line, "{\"ok\":false,\"error\":\"bad-json\",\"message\":\"not JSON\"}\n");
	free(line);

	line = ctl_json_line(ctl_event_new("state"), &len);
	CHECK(line);
	CHECK_STR_EQ(line, "{\"event\":\"state\"}\n");
	free(line);
	CHECK(!ctl_json_line(NULL, &len));
}

static void test_names(void)
{
	unsigned int i;

	for (i = 0; i < CTL_NR_VERBS; i++)
		CHECK_EQ(ctl_verb_find(ctl_verb_name(i)), i);
	for (i = 0; i < CTL_NR_ERRORS; i++)
		CHECK(ctl_error_name(i));
	CHECK(!ctl_verb_name(CTL_NR_VERBS));
	CHECK(!ctl_error_name(CTL_NR_ERRORS));
	CHECK_EQ(ctl_verb_find("power_button"), -1);
	CHECK_STR_EQ(ctl_error_name(CTL_ERR_NOT_PERMITTED), "not-permitted");
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_verbs),
		TAP_TEST(test_ids),
		TAP_TEST(test_bad_json),
		TAP_TEST(test_bad_requests),
		TAP_TEST(test_save),
		TAP_TEST(test_too_long),
		TAP_TEST(test_round_trip),
		TAP_TEST(test_replies),
		TAP_TEST(test_names),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
