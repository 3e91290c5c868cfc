// SPDX-License-Identifier: GPL-2.0
/*
 * vessel ctl PATH VERB: one request to a VM's control socket (vessel run
 * --control PATH), its reply printed, for people or, with --json, as the
 * raw JSON lines for scripts; watch prints the state changes until the VM
 * ends. The protocol is vmm/protocol.h's (Documentation/lifecycle.rst).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"
#include "compiler.h"
#include "vmm/protocol.h"

#define CTL_NAME	"vessel ctl"

__printf(1, 2)
static void ctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(CTL_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

struct ctl_opts {
	bool json;
	const char *path;
	struct ctl_request req;
};

static int ctl_usage_error(const char *msg)
{
	ctl_error("%s (see vessel ctl --help)", msg);
	return VESSEL_EXIT_USAGE;
}

/*
 * @path made absolute against our working directory, which the VM's is
 * not, into @buf. Returns 0 or -1 (said why).
 */
static int ctl_absolute(const char *path, char *buf, size_t len)
{
	char cwd[CTL_FILE_MAX + 1];
	int n;

	cwd[0] = '\0';
	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
		ctl_error("save: cannot find the current directory: %s",
			  strerror(errno));
		return -1;
	}
	/* "/" as the directory adds no second slash. */
	n = snprintf(buf, len, "%s%s%s", cwd, cwd[0] && cwd[1] ? "/" : "",
		     path);
	if (n < 0 || (size_t)n >= len) {
		ctl_error("save '%s': the path is longer than %d bytes", path,
			  CTL_FILE_MAX);
		return -1;
	}
	return 0;
}

/* The verb's own arguments, after it. Returns 0 or an exit status. */
static int ctl_parse_verb_args(int argc, char **argv, struct ctl_request *req)
{
	char *end;
	long v;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (req->verb == CTL_SUSPEND && !strcmp(a, "--reason") &&
		    i + 1 < argc) {
			int r = vmm_suspend_reason_find(argv[++i]);

			if (r < 0) {
				ctl_error("--reason '%s': not one of user, reconfiguration, runtime-error, host-suspend",
					  argv[i]);
				return VESSEL_EXIT_USAGE;
			}
			req->reason = r;
		} else if (req->verb == CTL_RESET && !strcmp(a, "--hard")) {
			req->hard = true;
		} else if (req->verb == CTL_SAVE && !strcmp(a, "--continue")) {
			req->cont = true;
		} else if (req->verb == CTL_SAVE && !req->file[0] && *a &&
			   (*a != '-' || !a[1])) {
			if (ctl_absolute(a, req->file, sizeof(req->file)))
				return VESSEL_EXIT_USAGE;
		} else if (req->verb == CTL_CAP && !req->percent) {
			errno = 0;
			v = strtol(a, &end, 10);
			if (*a < '0' || *a > '9' || *end || errno || v < 1 ||
			    v > 100) {
				ctl_error("cap '%s': not a percentage from 1 to 100",
					  a);
				return VESSEL_EXIT_USAGE;
			}
			req->percent = v;
		} else {
			ctl_error("%s: unexpected argument '%s' (see vessel ctl --help)",
				  ctl_verb_name(req->verb), a);
			return VESSEL_EXIT_USAGE;
		}
	}
	if (req->verb == CTL_CAP && !req->percent)
		return ctl_usage_error("cap needs a PERCENT");
	if (req->verb == CTL_SAVE && !req->file[0])
		return ctl_usage_error("save needs a FILE");
	return 0;
}

static int ctl_parse_args(int argc, char **argv, struct ctl_opts *o)
{
	int i = 1, verb;

	memset(o, 0, sizeof(*o));
	o->req.reason = VMM_SUSPEND_USER;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (!strcmp(argv[i], "--json"))
			o->json = true;
		else
			return ctl_usage_error("unknown option");
	}
	if (argc - i < 2)
		return ctl_usage_error("give a socket PATH and a request");
	o->path = argv[i++];
	verb = ctl_verb_find(argv[i]);
	if (verb < 0) {
		ctl_error("unknown request '%s' (see vessel ctl --help)", argv[i]);
		return VESSEL_EXIT_USAGE;
	}
	o->req.verb = verb;
	return ctl_parse_verb_args(argc - i - 1, argv + i + 1, &o->req);
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		ctl_error("%s: longer than a socket path may be", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ctl_error("%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static const char *str_member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t int_member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return -1;
	return json_object_get_int64(v);
}

static void print_info(struct json_object *r)
{
	struct json_object *v;
	int64_t mem = int_member(r, "memory");
	double up = 0;

	if (json_object_object_get_ex(r, "uptime", &v))
		up = json_object_get_double(v);
	printf("state:          %s\n", str_member(r, "state") ?: "?");
	printf("suspend reason: %s\n", str_member(r, "suspend_reason") ?: "-");
	printf("resume reason:  %s\n", str_member(r, "resume_reason") ?: "-");
	printf("vcpus:          %lld\n", (long long)int_member(r, "vcpus"));
	printf("memory:         %lld MiB\n", (long long)(mem >> 20));
	printf("provider:       %s, version %lld\n",
	       str_member(r, "provider") ?: "?",
	       (long long)int_member(r, "provider_version"));
	printf("resets:         %lld soft, %lld hard\n",
	       (long long)int_member(r, "soft_resets"),
	       (long long)int_member(r, "hard_resets"));
	printf("uptime:         %.1f s\n", up);
	printf("cpu cap:        %lld%%\n", (long long)int_member(r, "cpu_cap"));
	printf("pid:            %lld (vm %s)\n", (long long)int_member(r, "pid"),
	       str_member(r, "vm") ?: "?");
}

/* The counters of a stats reply, one "name value" line each. */
static void print_counters(struct json_object *r)
{
	struct json_object *c;

	if (!json_object_object_get_ex(r, "counters", &c) ||
	    !json_object_is_type(c, json_type_object))
		return;
	json_object_object_foreach(c, key, v)
		printf("%s %lld\n", key, (long long)json_object_get_int64(v));
}

/* One event, for people: a state change or a progress report. */
static void print_event(struct json_object *ev)
{
	const char *name = str_member(ev, "event");
	const char *reason = str_member(ev, "reason");
	const char *reset = str_member(ev, "reset");
	struct json_object *v;

	if (name && !strcmp(name, "progress") &&
	    json_object_object_get_ex(ev, "percent", &v)) {
		int percent = json_object_get_int(v);
		const char *op = str_member(ev, "operation") ?: "?";

		/* A terminal sees one line count up; a pipe only the end. */
		if (isatty(STDOUT_FILENO))
			printf("\r%s: %d%%%s", op, percent,
			       percent >= 100 ? "\n" : "");
		else if (percent >= 100)
			printf("%s: 100%%\n", op);
		return;
	}
	if (!name || strcmp(name, "state")) {
		printf("%s\n", json_object_to_json_string_ext(ev,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		return;
	}
	printf("%s -> %s", str_member(ev, "previous") ?: "?",
	       str_member(ev, "state") ?: "?");
	if (reason)
		printf(" (reason %s)", reason);
	if (reset)
		printf(" (%s reset by %s)", reset, str_member(ev, "by") ?: "?");
	if (json_object_object_get_ex(ev, "status", &v))
		printf(" (exit status %d)", json_object_get_int(v));
	putchar('\n');
}

/*
 * Read replies and events from @f until the reply, or for watch until
 * the VM ends. Returns the exit status.
 */
static int ctl_converse(const struct ctl_opts *o, FILE *f)
{
	bool watch = o->req.verb == CTL_WATCH, replied = false;
	struct json_object *obj, *ok;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int status = VESSEL_EXIT_FAILURE;

	while ((n = getline(&line, &cap, f)) > 0) {
		obj = json_tokener_parse(line);
		if (!obj || !json_object_is_type(obj, json_type_object)) {
			ctl_error("%s: the VM sent something that is not a JSON object",
				  o->path);
			json_object_put(obj);
			break;
		}
		if (o->json) {
			fputs(line, stdout);
			fflush(stdout);
		}
		if (json_object_object_get_ex(obj, "event", NULL)) {
			if (!o->json)
				print_event(obj);
			fflush(stdout);
			json_object_put(obj);
			continue;
		}
		replied = true;
		if (!json_object_object_get_ex(obj, "ok", &ok) ||
		    !json_object_get_boolean(ok)) {
			ctl_error("%s", str_member(obj, "message") ?: "the request failed");
			json_object_put(obj);
			status = VESSEL_EXIT_FAILURE;
			break;
		}
		status = VESSEL_EXIT_OK;
		if (!o->json) {
			if (watch)
				printf("state: %s\n", str_member(obj, "state") ?: "?");
			else if (o->req.verb == CTL_INFO)
				print_info(obj);
			else if (o->req.verb == CTL_STATS)
				print_counters(obj);
			fflush(stdout);
		}
		json_object_put(obj);
		if (!watch)
			break;
	}
	free(line);
	if (!replied) {
		ctl_error("%s: the VM closed the connection without a reply",
			  o->path);
		status = VESSEL_EXIT_FAILURE;
	}
	return status;
}

static int ctl_main(int argc, char **argv)
{
	struct ctl_opts o;
	char *line;
	size_t len;
	FILE *f;
	int fd, status;

	status = ctl_parse_args(argc, argv, &o);
	if (status)
		return status;
	line = ctl_json_line(ctl_request_json(&o.req), &len);
	if (!line) {
		ctl_error("out of memory");
		return VESSEL_EXIT_FAILURE;
	}
	fd = ctl_connect(o.path);
	if (fd < 0) {
		free(line);
		return VESSEL_EXIT_FAILURE;
	}
	/* A refused client may be closed before its request is read. */
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len &&
	    errno != EPIPE && errno != ECONNRESET) {
		ctl_error("%s: %s", o.path, strerror(errno));
		free(line);
		close(fd);
		return VESSEL_EXIT_FAILURE;
	}
	free(line);
	f = fdopen(fd, "r");
	if (!f) {
		ctl_error("out of memory");
		close(fd);
		return VESSEL_EXIT_FAILURE;
	}
	status = ctl_converse(&o, f);
	fclose(f);
	return status;
}

const struct vessel_cmd vessel_cmd_ctl = {
	.name = "ctl",
	.summary = "control a running VM through its socket (vessel run --control)",
	.usage =
		"vessel ctl [--json] PATH REQUEST [ARGS]\n"
		"Send REQUEST to the VM whose control socket is PATH (vessel run\n"
		"--control PATH) and print the reply. Only the VM's owner and root may.\n"
		"\n"
		"Requests:\n"
		"  info                its state, the last suspend and resume reasons,\n"
		"                      vCPUs, memory, provider, soft and hard resets,\n"
		"                      uptime, cpu cap\n"
		"  suspend             pause every vCPU at an instruction boundary and\n"
		"                      stop the guest's time (see --reason)\n"
		"  resume              let a suspended VM run on\n"
		"  reset               reset the VM, keeping RAM (see --hard); a\n"
		"                      suspended VM stays suspended\n"
		"  power-button        press the guest's ACPI power button\n"
		"  poweroff            end the VM now (vessel run exits with 0)\n"
		"  watch               print every state change until the VM ends\n"
		"  cap PERCENT         let each vCPU use at most PERCENT (1-100) of a\n"
		"                      host CPU\n"
		"  stats               the VM's exit and hypercall counters (see vessel\n"
		"                      stat)\n"
		"  save FILE           write the VM's state to FILE, a snapshot, and\n"
		"                      leave it suspended (see --continue)\n"
		"\n"
		"Options:\n"
		"  --json              print the JSON lines the VM sent, one object per\n"
		"                      line (Documentation/lifecycle.rst), instead of text;\n"
		"                      before PATH\n"
		"  --reason REASON     after suspend: user (default), reconfiguration,\n"
		"                      runtime-error or host-suspend\n"
		"  --hard              after reset: clear RAM too, as a power cycle\n"
		"  --continue          after save: let the VM run on once saved\n"
		"\n"
		"Exit status: 0 the VM did it (watch: the VM ended); 1 it refused\n"
		"(the message says why: a request the VM's state does not allow, a\n"
		"client that is not its owner, ...) or cannot be reached; 2 bad\n"
		"command line.\n",
	.run = ctl_main,
};
