// SPDX-License-Identifier: GPL-2.0
/*
 * vessel stat: a live view of VM exits and hypercalls per second, as
 * kvm_stat gives one for KVM. With a PATH, one VM, through its control
 * socket (the "stats" request); without, every VM on the host, from the
 * files the module keeps in debugfs for each:
 * /sys/kernel/debug/vessel/PID-FD/counters and paravirt, "name value"
 * lines under the same names the socket uses (Documentation/
 * lifecycle.rst). --once prints one table, for scripts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmd.h"
#include "compiler.h"
#include "lib/libvessel.h"
#include "vmm/protocol.h"

#define STAT_NAME	"vessel stat"
#define DEBUGFS_DIR	"/sys/kernel/debug/vessel"
#define NAME_MAX_LEN	48

__printf(1, 2)
static void stat_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(STAT_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

struct counter {
	char name[NAME_MAX_LEN];
	uint64_t value;
	double rate;		/* per second since the last sample */
};

/* One VM's counters at one moment. */
struct vm_sample {
	char vm[NAME_MAX_LEN];
	struct counter *c;
	unsigned int n, cap;
};

struct sample {
	struct vm_sample *vms;
	unsigned int n;
	uint64_t at_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sample_free(struct sample *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		free(s->vms[i].c);
	free(s->vms);
	memset(s, 0, sizeof(*s));
}

static struct vm_sample *sample_add_vm(struct sample *s, const char *vm)
{
	struct vm_sample *p = realloc(s->vms, (s->n + 1) * sizeof(*p));

	if (!p)
		return NULL;
	s->vms = p;
	p = &s->vms[s->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->vm, sizeof(p->vm), "%s", vm);
	return p;
}

/* The metadata among the counters: shown in no row. */
static bool not_a_counter(const char *name)
{
	return !strcmp(name, "provider") || !strcmp(name, "version");
}

static int vm_add_counter(struct vm_sample *v, const char *name, uint64_t val)
{
	struct counter *p;

	if (not_a_counter(name) || strlen(name) >= NAME_MAX_LEN)
		return 0;
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 64;
		p = realloc(v->c, v->cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		v->c = p;
	}
	p = &v->c[v->n++];
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->value = val;
	return 0;
}

/* ---- One VM, through its control socket ------------------------------ */

struct stat_conn {
	const char *path;
	FILE *f;
	int fd;
};

static int conn_open(struct stat_conn *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->path = path;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		stat_error("%s: longer than a socket path may be", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		stat_error("%s: %s", path, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		return -1;
	}
	c->f = fdopen(c->fd, "r");
	if (!c->f) {
		close(c->fd);
		return -1;
	}
	return 0;
}

/* Ask for the counters; 0, or -1 once the VM has gone (said once). */
static int conn_sample(struct stat_conn *c, struct sample *s)
{
	static const char req[] = "{\"request\":\"stats\"}\n";
	struct json_object *obj = NULL, *ok, *ctr, *vm;
	struct vm_sample *v;
	char *line = NULL;
	size_t cap = 0;
	int r = -1;

	if (send(c->fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)sizeof(req) - 1 || getline(&line, &cap, c->f) <= 0) {
		stat_error("%s: the VM has gone", c->path);
		goto out;
	}
	obj = json_tokener_parse(line);
	if (!obj || !json_object_object_get_ex(obj, "ok", &ok) ||
	    !json_object_get_boolean(ok) ||
	    !json_object_object_get_ex(obj, "counters", &ctr) ||
	    !json_object_object_get_ex(obj, "vm", &vm)) {
		struct json_object *m;

		stat_error("%s: %s", c->path, obj &&
			   json_object_object_get_ex(obj, "message", &m) ?
			   json_object_get_string(m) : "no counters in the reply");
		goto out;
	}
	v = sample_add_vm(s, json_object_get_string(vm));
	if (!v)
		goto out;
	r = 0;
	json_object_object_foreach(ctr, key, val)
		if (vm_add_counter(v, key, json_object_get_int64(val)))
			r = -1;
out:
	json_object_put(obj);
	free(line);
	return r;
}

/* ---- Every VM, through debugfs --------------------------------------- */

static int read_counter_file(struct vm_sample *v, const char *path)
{
	char line[128], name[NAME_MAX_LEN];
	unsigned long long val;
	FILE *f = fopen(path, "r");

	if (!f)
		return errno == ENOENT ? 0 : -errno;	/* gone meanwhile */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%47s %llu", name, &val) == 2 &&
		    vm_add_counter(v, name, val)) {
			fclose(f);
			return -ENOMEM;
		}
	fclose(f);
	return 0;
}

static int debugfs_sample(struct sample *s)
{
	char path[sizeof(DEBUGFS_DIR) + NAME_MAX_LEN + 16];
	struct vm_sample *v;
	struct dirent *e;
	DIR *d = opendir(DEBUGFS_DIR);

	if (!d) {
		stat_error("%s: %s (vessel.ko loaded, debugfs mounted - mount -t debugfs none /sys/kernel/debug - and root?)",
			   DEBUGFS_DIR, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		/* The VMs' directories are PID-FD; the rest are knobs. */
		if (e->d_name[0] < '0' || e->d_name[0] > '9' ||
		    strlen(e->d_name) >= NAME_MAX_LEN)
			continue;
		v = sample_add_vm(s, e->d_name);
		if (!v)
			break;
		snprintf(path, sizeof(path), DEBUGFS_DIR "/%s/counters", e->d_name);
		read_counter_file(v, path);
		snprintf(path, sizeof(path), DEBUGFS_DIR "/%s/paravirt", e->d_name);
		read_counter_file(v, path);
		/* A VM that went between readdir() and here: not shown. */
		if (!v->n) {
			free(v->c);
			s->n--;
		}
	}
	closedir(d);
	return 0;
}

/* ---- The table ------------------------------------------------------- */

/* "exit.30" -> "exit.io_instruction", "user_exit.1" -> "user_exit.io". */
static void display_name(const char *name, char *buf, size_t len)
{
	unsigned int n;

	if (sscanf(name, "exit.%u", &n) == 1)
		snprintf(buf, len, "exit.%s", vmm_vmx_exit_name(n));
	else if (sscanf(name, "user_exit.%u", &n) == 1)
		snprintf(buf, len, "user_exit.%s", vessel_exit_name(n));
	else if (sscanf(name, "hypercall.%u", &n) == 1)
		snprintf(buf, len, "hypercall.%#x", n);
	else
		snprintf(buf, len, "%s", name);
}

static const struct counter *find(const struct vm_sample *v, const char *name)
{
	unsigned int i;

	for (i = 0; v && i < v->n; i++)
		if (!strcmp(v->c[i].name, name))
			return &v->c[i];
	return NULL;
}

static const struct vm_sample *find_vm(const struct sample *s, const char *vm)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->vms[i].vm, vm))
			return &s->vms[i];
	return NULL;
}

/* Busiest first, then the largest totals, then by name. */
static int counter_cmp(const void *a, const void *b)
{
	const struct counter *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* The rates from @old to @now, into @now. */
static void rates(const struct sample *old, struct sample *now)
{
	double dt = (now->at_ns - old->at_ns) / 1e9;
	unsigned int i, j;

	for (i = 0; i < now->n; i++) {
		struct vm_sample *v = &now->vms[i];
		const struct vm_sample *o = find_vm(old, v->vm);

		for (j = 0; j < v->n; j++) {
			const struct counter *c = find(o, v->c[j].name);
			uint64_t before = c ? c->value : 0;

			v->c[j].rate = o && dt > 0 && v->c[j].value >= before ?
				       (v->c[j].value - before) / dt : 0;
		}
		qsort(v->c, v->n, sizeof(*v->c), counter_cmp);
	}
}

static void print_table(const struct sample *s, unsigned int max_rows)
{
	char name[NAME_MAX_LEN + 32];
	unsigned int i, j, rows = 0;

	printf("%-16s %-32s %14s %12s\n", "VM", "EVENT", "TOTAL", "PER SECOND");
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->vms[i].n; j++) {
			const struct counter *c = &s->vms[i].c[j];

			if (!c->value || (max_rows && rows == max_rows))
				continue;
			display_name(c->name, name, sizeof(name));
			printf("%-16s %-32s %14" PRIu64 " %12.0f\n", s->vms[i].vm,
			       name, c->value, c->rate);
			rows++;
		}
	}
}

/* ---- The command ----------------------------------------------------- */

struct stat_opts {
	bool once;
	double interval;
	const char *path;
};

static int parse_args(int argc, char **argv, struct stat_opts *o)
{
	char *end;
	int i;

	memset(o, 0, sizeof(*o));
	o->interval = 1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--once")) {
			o->once = true;
		} else if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			errno = 0;
			o->interval = strtod(argv[++i], &end);
			if (*end || errno || !(o->interval >= 0.1 &&
					       o->interval <= 3600)) {
				stat_error("--interval '%s': not a number of seconds from 0.1 to 3600",
					   argv[i]);
				return VESSEL_EXIT_USAGE;
			}
		} else if (argv[i][0] == '-') {
			stat_error("unknown option '%s' (see vessel stat --help)",
				   argv[i]);
			return VESSEL_EXIT_USAGE;
		} else if (!o->path) {
			o->path = argv[i];
		} else {
			stat_error("one PATH only (see vessel stat --help)");
			return VESSEL_EXIT_USAGE;
		}
	}
	return 0;
}

static int take(const struct stat_opts *o, struct stat_conn *c,
		struct sample *s)
{
	memset(s, 0, sizeof(*s));
	s->at_ns = now_ns();
	return o->path ? conn_sample(c, s) : debugfs_sample(s);
}

/*
 * Sleep @s seconds with SIGINT and SIGTERM blocked: true when one of
 * them came instead (^C ends the view).
 */
static bool sleep_s(const sigset_t *stop, double s)
{
	struct timespec ts = {
		.tv_sec = (time_t)s,
		.tv_nsec = (long)((s - (time_t)s) * 1e9),
	};
	int r;

	do
		r = sigtimedwait(stop, NULL, &ts);
	while (r < 0 && errno == EINTR);
	return r > 0;
}

static int stat_main(int argc, char **argv)
{
	struct sample old, now;
	struct stat_opts o;
	struct stat_conn c = { 0 };
	sigset_t stop;
	int status;

	status = parse_args(argc, argv, &o);
	if (status)
		return status;
	if (o.path && conn_open(&c, o.path))
		return VESSEL_EXIT_FAILURE;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	status = VESSEL_EXIT_FAILURE;
	if (take(&o, &c, &old))
		goto out;
	for (;;) {
		if (sleep_s(&stop, o.interval)) {
			status = VESSEL_EXIT_OK;
			break;
		}
		if (take(&o, &c, &now)) {
			/* The VM ended: the view ends with it. */
			status = o.once ? VESSEL_EXIT_FAILURE : VESSEL_EXIT_OK;
			break;
		}
		rates(&old, &now);
		if (!o.once)
			fputs("\033[H\033[2J", stdout);	/* as top and kvm_stat */
		print_table(&now, o.once ? 0 : 40);
		fflush(stdout);
		sample_free(&old);
		old = now;
		if (o.once) {
			status = VESSEL_EXIT_OK;
			break;
		}
	}
	sample_free(&old);
out:
	if (c.f)
		fclose(c.f);
	return status;
}

const struct vessel_cmd vessel_cmd_stat = {
	.name = "stat",
	.summary = "VM exits and hypercalls per second, like kvm_stat",
	.usage =
		"vessel stat [--once] [--interval SECONDS] [PATH]\n"
		"Show exits and hypercalls per second, refreshed every interval\n"
		"(default 1 s) until ^C: of the VM whose control socket is PATH (vessel\n"
		"run --control PATH), or, without PATH, of every VM on this host, from\n"
		"the module's files in /sys/kernel/debug/vessel (root, debugfs mounted).\n"
		"Rows: VM (PID-FD), EVENT, TOTAL, PER SECOND, busiest first; events\n"
		"are runs, entries, exits, exit.REASON, user_exit.REASON, injected.KIND,\n"
		"tlb_flushes, hypercalls, hypercall.CODE and the provider's pv_*\n"
		"counters (Documentation/lifecycle.rst).\n"
		"\n"
		"  --once                one table, after one interval, for scripts\n"
		"  --interval SECONDS    0.1 to 3600\n"
		"\n"
		"Exit status: 0; 1 the VM or the module's files cannot be read (with\n"
		"--once: the VM ended first); 2 bad command line.\n",
	.run = stat_main,
};
