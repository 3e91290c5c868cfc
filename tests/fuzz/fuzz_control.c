// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the control socket's request parser (control_SRCS in
 * the Makefile: user/vmm/protocol.c), which reads every line a client of
 * `vessel run --control` sends.
 *
 * Input: one request line, as the machine hands it over (without its
 * newline; any bytes, NUL included).
 *
 * Checks, besides the sanitizers (the line is a heap block of exactly its
 * size): the result is 0 or -EINVAL; an error has a code in range and a
 * message that is one line, NUL-terminated inside its buffer; a parsed
 * request names a verb, keeps its members in range (a save's file
 * absolute and bounded), and reads back the same once written as a line
 * again (what vessel ctl sends).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/protocol.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req, again;
	enum ctl_error code = CTL_NR_ERRORS;
	char err[160], *line, *copy;
	size_t len;
	int r;

	line = malloc(size ? size : 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	memset(err, 'x', sizeof(err));
	r = ctl_parse_request(line, size, &req, &code, err, sizeof(err));
	free(line);
	if (r) {
		CHECK(r == -EINVAL);
		CHECK(code < CTL_NR_ERRORS);
		CHECK(memchr(err, '\0', sizeof(err)));
		CHECK(!strchr(err, '\n'));
		/* The error reply is a line too, whatever the id was. */
		copy = ctl_json_line(ctl_reply_error(&req, code, err), &len);
		CHECK(copy && len && copy[len - 1] == '\n');
		free(copy);
		return 0;
	}
	CHECK(req.verb < CTL_NR_VERBS);
	CHECK(req.reason > VMM_SUSPEND_NONE &&
	      req.reason < VMM_NR_SUSPEND_REASONS);
	CHECK(req.verb != CTL_CAP || (req.percent >= 1 && req.percent <= 100));
	CHECK(!req.id_is_string || strlen(req.id_string) <= CTL_ID_MAX);
	CHECK(req.verb != CTL_SAVE ||
	      (req.file[0] == '/' && strlen(req.file) <= CTL_FILE_MAX));
	CHECK(req.verb == CTL_SAVE || (!req.file[0] && !req.cont));
	copy = ctl_json_line(ctl_request_json(&req), &len);
	CHECK(copy);
	CHECK(!ctl_parse_request(copy, len - 1, &again, &code, err,
				 sizeof(err)));
	CHECK(again.verb == req.verb && again.has_id == req.has_id &&
	      again.id == req.id && again.hard == req.hard &&
	      again.percent == req.percent && again.cont == req.cont &&
	      !strcmp(again.id_string, req.id_string) &&
	      !strcmp(again.file, req.file));
	CHECK(req.verb != CTL_SUSPEND || again.reason == req.reason);
	free(copy);
	return 0;
}
