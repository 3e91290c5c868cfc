// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket (vessel run --control PATH): a UNIX stream socket,
 * mode 0600, served by the machine's main loop (loop.c), several clients
 * at once. Each connection's peer is checked with SO_PEERCRED: anyone but
 * the VM's owner (this process's effective uid) and root gets one
 * not-permitted reply and is closed. Requests and replies are JSON lines
 * (protocol.h); the requests act through the lifecycle (suspend.c,
 * power.c, ...), and state changes go to the clients that asked to watch.
 *
 * Nothing here may block the main loop: every socket is non-blocking, a
 * client's output waits in its own buffer until poll() says it can go,
 * and a client that lets more than CTL_OUT_MAX bytes pile up (a watcher
 * that does not read) is dropped. Everything runs with the device lock
 * held: events come from vCPU threads too (a guest reset), under it.
 */
#define _GNU_SOURCE	/* accept4(), struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "internal.h"
#include "protocol.h"

#define CTL_MAX_CLIENTS		VMM_CONTROL_MAX_CLIENTS
/* Output a client may leave unread before it is dropped. */
#define CTL_OUT_MAX		(1U << 20)
/* At the end, how long the last replies and events may take to go out. */
#define CTL_FINISH_MS		1000

struct ctl_client {
	int fd;
	uid_t uid;
	bool watch;		/* gets the state events */
	bool closing;		/* close once the output is out */
	bool dead;		/* closed: swept at the end of the round */
	int pfd;		/* its slot in this round's pollfd array, or -1 */
	size_t in_len;
	char in[CTL_LINE_MAX];
	char *out;
	size_t out_len, out_cap;
};

struct vmm_control {
	int listen_fd;
	char *path;
	dev_t dev;		/* the socket we bound, to unlink only it */
	ino_t ino;
	int listen_pfd;
	struct ctl_client *clients[CTL_MAX_CLIENTS];
	unsigned int nr;
};

/* ---- Opening and closing --------------------------------------------- */

/*
 * Refuse a path in use: a socket another process listens on, or anything
 * that is not a socket. A socket nobody listens on is left from a VM that
 * did not clean up (killed): it is removed, as QEMU does.
 */
static int ctl_clear_path(struct vmm *vmm, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		vmm_error(vmm, "--control %s: exists and is not a socket",
			  sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (!r) {
		vmm_error(vmm, "--control %s: in use by another VM",
			  sa->sun_path);
		return -EADDRINUSE;
	}
	if (errno != ECONNREFUSED)
		return 0;	/* bind() will say what is wrong */
	return unlink(sa->sun_path) ? -errno : 0;
}

int vmm_control_open(struct vmm *vmm)
{
	const char *path = vmm->cfg.control;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vmm_control *ctl;
	struct stat st;
	mode_t old;
	int r;

	if (!path)
		return 0;
	if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		vmm_error(vmm, "--control '%s': a socket path has 1 to %zu bytes",
			  path, sizeof(sa.sun_path) - 1);
		return VESSEL_EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	ctl = calloc(1, sizeof(*ctl));
	if (ctl)
		ctl->path = strdup(path);
	if (!ctl || !ctl->path) {
		vmm_error(vmm, "out of memory");
		goto err_free;
	}
	ctl->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
				SOCK_CLOEXEC, 0);
	if (ctl->listen_fd < 0) {
		vmm_error(vmm, "--control %s: socket: %s", path, strerror(errno));
		goto err_free;
	}
	r = ctl_clear_path(vmm, &sa);
	if (r == -EEXIST || r == -EADDRINUSE)
		goto err_close;
	/* 0600 from the start: no moment in which others could connect. */
	old = umask(0177);
	r = bind(ctl->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r || listen(ctl->listen_fd, CTL_MAX_CLIENTS) ||
	    chmod(path, 0600) || stat(path, &st)) {
		vmm_error(vmm, "--control %s: %s", path, strerror(errno));
		goto err_close;
	}
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	vmm->control = ctl;
	return 0;

err_close:
	close(ctl->listen_fd);
err_free:
	if (ctl)
		free(ctl->path);
	free(ctl);
	return VESSEL_EXIT_FAILURE;
}

static void ctl_client_free(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c);
}

/* Stop listening, and remove the socket if it is still ours. */
static void ctl_unlisten(struct vmm_control *ctl)
{
	struct stat st;

	if (ctl->listen_fd < 0)
		return;
	close(ctl->listen_fd);
	ctl->listen_fd = -1;
	if (!stat(ctl->path, &st) && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
}

void vmm_control_close(struct vmm *vmm)
{
	struct vmm_control *ctl = vmm->control;
	unsigned int i;

	if (!ctl)
		return;
	ctl_unlisten(ctl);
	for (i = 0; i < ctl->nr; i++)
		ctl_client_free(ctl->clients[i]);
	free(ctl->path);
	free(ctl);
	vmm->control = NULL;
}

/* ---- Output ------------------------------------------------------------ */

static void ctl_drop(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->dead = true;
}

/* Write what the socket takes now; drop the client on an error. */
static void ctl_flush(struct ctl_client *c)
{
	ssize_t n;

	while (c->out_len && !c->dead) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				ctl_drop(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - n);
		c->out_len -= n;
	}
	if (!c->out_len && c->closing)
		ctl_drop(c);
}

static void ctl_queue(struct ctl_client *c, const char *line, size_t len)
{
	size_t cap;
	char *p;

	if (c->dead)
		return;
	if (c->out_len + len > CTL_OUT_MAX) {
		/* It does not read: keeping up with it would cost unbounded memory. */
		ctl_drop(c);
		return;
	}
	if (c->out_len + len > c->out_cap) {
		cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p) {
			ctl_drop(c);
			return;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	/* Most replies go out at once; the rest waits for POLLOUT. */
	ctl_flush(c);
}

/* Send @obj (released) to @c as one line. */
static void ctl_send(struct ctl_client *c, struct json_object *obj)
{
	size_t len;
	char *line = ctl_json_line(obj, &len);

	if (line)
		ctl_queue(c, line, len);
	else
		ctl_drop(c);	/* out of memory: it would miss a reply */
	free(line);
}

void vmm_control_event_locked(struct vmm *vmm, struct json_object *ev,
			      struct ctl_client *also)
{
	struct vmm_control *ctl = vmm->control;
	unsigned int i;
	size_t len;
	char *line;

	if (!ctl) {
		json_object_put(ev);
		return;
	}
	line = ctl_json_line(ev, &len);
	if (!line)
		return;
	for (i = 0; i < ctl->nr; i++) {
		struct ctl_client *c = ctl->clients[i];

		if (!c->watch && c != also)
			continue;
		ctl_queue(c, line, len);
		/*
		 * What did not go out waits for POLLOUT, which the main loop
		 * asks for only once it looks again: from a vCPU thread (a
		 * guest's reset), make it look.
		 */
		if (c->out_len)
			vmm_wake_main(vmm);
	}
	free(line);
}

/* ---- Requests ---------------------------------------------------------- */

static void add(struct json_object *obj, const char *key,
		struct json_object *v)
{
	if (obj && v)
		json_object_object_add(obj, key, v);
	else
		json_object_put(v);
}

/* A name, or null: a reason never given. */
static void add_name(struct json_object *obj, const char *key,
		     const char *name)
{
	if (!obj)
		return;
	if (name)
		add(obj, key, json_object_new_string(name));
	else
		json_object_object_add(obj, key, NULL);
}

static struct json_object *ctl_info(struct vmm *vmm,
				    const struct ctl_request *req)
{
	struct json_object *r = ctl_reply_new(req, true);
	const struct vmm_lifecycle *lc = &vmm->lc;
	uint64_t up = vmm->started_ns ? vmm_timer_now() - vmm->started_ns : 0;
	char name[48], num[32];

	add(r, "state", json_object_new_string(vmm_state_name(lc->state)));
	add_name(r, "suspend_reason",
		 vmm_suspend_reason_name(lc->suspend_reason));
	add_name(r, "resume_reason", vmm_resume_reason_name(lc->resume_reason));
	add(r, "vcpus", json_object_new_int(vmm->nr_vcpus));
	add(r, "memory", json_object_new_int64(vmm->ram_size));
	add(r, "provider",
	    json_object_new_string(vm_pv_providers[vmm->pv_provider].name));
	add(r, "provider_version", json_object_new_int(vmm->pv_version));
	add(r, "soft_resets", json_object_new_int64(lc->soft_resets));
	add(r, "hard_resets", json_object_new_int64(lc->hard_resets));
	/* Milliseconds are enough, and read better than 17 digits. */
	snprintf(num, sizeof(num), "%.3f", up / 1e9);
	add(r, "uptime", json_object_new_double_s(up / 1e9, num));
	add(r, "cpu_cap", json_object_new_int(atomic_load(&vmm->cpu_cap)));
	add(r, "power_off_instead_of_reset",
	    json_object_new_boolean(vmm->cfg.power_off_on_reset));
	add(r, "pid", json_object_new_int(getpid()));
	vmm_debugfs_name(vmm, name, sizeof(name));
	add(r, "vm", json_object_new_string(name));
	return r;
}

static struct json_object *ctl_stats(struct vmm *vmm,
				     const struct ctl_request *req)
{
	struct json_object *counters = vmm_counters_json(vmm);
	struct json_object *r;
	char name[48];

	if (!counters)
		return ctl_reply_error(req, CTL_ERR_FAILED,
				       "cannot read the VM's counters");
	r = ctl_reply_new(req, true);
	vmm_debugfs_name(vmm, name, sizeof(name));
	add(r, "vm", json_object_new_string(name));
	add(r, "counters", counters);
	return r;
}

/* The result of a lifecycle request: ok, or the error it gave. */
static struct json_object *ctl_result(const struct ctl_request *req, int r,
				      enum ctl_error code, const char *err)
{
	if (!r)
		return ctl_reply_new(req, true);
	return ctl_reply_error(req, code, err);
}

static struct json_object *ctl_dispatch(struct vmm *vmm, struct ctl_client *c,
					const struct ctl_request *req)
{
	enum ctl_error code = CTL_ERR_INVALID_STATE;
	char err[256] = "";
	int r = 0;

	switch (req->verb) {
	case CTL_INFO:
		return ctl_info(vmm, req);
	case CTL_STATS:
		return ctl_stats(vmm, req);
	case CTL_WATCH:
		c->watch = true;
		return ctl_info(vmm, req);
	case CTL_SUSPEND:
		r = vmm_suspend_locked(vmm, req->reason, &code, err,
				       sizeof(err));
		break;
	case CTL_RESUME:
		r = vmm_resume_user_locked(vmm, VMM_RESUME_USER, &code, err,
					   sizeof(err));
		break;
	case CTL_RESET:
		r = vmm_user_reset_locked(vmm, req->hard, &code, err,
					  sizeof(err));
		break;
	case CTL_POWER_BUTTON:
		r = vmm_power_button_locked(vmm, &code, err, sizeof(err));
		break;
	case CTL_POWEROFF:
		r = vmm_poweroff_locked(vmm, &code, err, sizeof(err));
		break;
	case CTL_CAP:
		atomic_store(&vmm->cpu_cap, req->percent);
		break;
	case CTL_SAVE:
		r = vmm_save_user_locked(vmm, c, req->file, req->cont, &code,
					 err, sizeof(err));
		break;
	case CTL_NR_VERBS:
		break;
	}
	return ctl_result(req, r, code, err);
}

/* One line from @c, without its newline. */
static void ctl_line(struct vmm *vmm, struct ctl_client *c, char *line,
		     size_t len)
{
	struct ctl_request req;
	enum ctl_error code;
	char err[256];

	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return;		/* blank lines are allowed and ignored */
	if (ctl_parse_request(line, len, &req, &code, err, sizeof(err))) {
		ctl_send(c, ctl_reply_error(&req, code, err));
		return;
	}
	ctl_send(c, ctl_dispatch(vmm, c, &req));
}

/* Read what @c sent and act on each whole line. */
static void ctl_read(struct vmm *vmm, struct ctl_client *c)
{
	ssize_t n;
	char *nl;
	size_t used;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/*
		 * It sent all it will: answer what came, then close (a script
		 * may write its request and shut its side down).
		 */
		c->closing = true;
		ctl_flush(c);
		return;
	}
	c->in_len += n;
	while (!c->dead && !c->closing &&
	       (nl = memchr(c->in, '\n', c->in_len))) {
		*nl = '\0';
		used = nl - c->in + 1;
		ctl_line(vmm, c, c->in, nl - c->in);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	if (c->in_len == sizeof(c->in) && !c->closing && !c->dead) {
		/* No newline in a full buffer: no way to find the next line. */
		ctl_send(c, ctl_reply_error(NULL, CTL_ERR_TOO_LONG,
					    "a request line is at most 4095 bytes and a newline"));
		c->closing = true;
		ctl_flush(c);
	}
}

/* ---- Accepting --------------------------------------------------------- */

/* Refuse @fd with one reply, and close it once that is out (or dropped). */
static void ctl_refuse(struct ctl_client *c, enum ctl_error code,
		       const char *msg)
{
	ctl_send(c, ctl_reply_error(NULL, code, msg));
	c->closing = true;
	ctl_flush(c);
}

static void ctl_accept(struct vmm *vmm)
{
	struct vmm_control *ctl = vmm->control;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct ctl_client *c;
	char msg[160];
	int fd;

	fd = accept4(ctl->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;		/* EAGAIN, or a client that went away */
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->pfd = -1;
	if (ctl->nr == CTL_MAX_CLIENTS) {
		snprintf(msg, sizeof(msg), "too many clients: at most %d at once",
			 CTL_MAX_CLIENTS);
		ctl_refuse(c, CTL_ERR_BUSY, msg);
		/* It has no slot: whatever did not go out now is lost. */
		ctl_client_free(c);
		return;
	}
	ctl->clients[ctl->nr++] = c;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		ctl_refuse(c, CTL_ERR_NOT_PERMITTED,
			   "cannot tell who you are (SO_PEERCRED failed)");
		return;
	}
	c->uid = cred.uid;
	if (cred.uid != geteuid() && cred.uid != 0) {
		snprintf(msg, sizeof(msg),
			 "uid %u may not control this VM: only its owner (uid %u) and root may",
			 (unsigned int)cred.uid, (unsigned int)geteuid());
		ctl_refuse(c, CTL_ERR_NOT_PERMITTED, msg);
	}
}

/* ---- The main loop's side -------------------------------------------- */

unsigned int vmm_control_pollfds(struct vmm *vmm, struct pollfd *pfd,
				 unsigned int room)
{
	struct vmm_control *ctl = vmm->control;
	unsigned int i, n = 0;

	if (!ctl || ctl->listen_fd < 0 || !room)
		return 0;
	ctl->listen_pfd = n;
	pfd[n].fd = ctl->listen_fd;
	pfd[n++].events = POLLIN;
	for (i = 0; i < ctl->nr; i++) {
		struct ctl_client *c = ctl->clients[i];

		c->pfd = -1;
		if (c->dead || n == room)
			continue;
		c->pfd = n;
		pfd[n].fd = c->fd;
		pfd[n].events = (c->closing ? 0 : POLLIN) |
				(c->out_len ? POLLOUT : 0);
		pfd[n++].revents = 0;
	}
	return n;
}

/* Free the clients that were dropped or have finished. */
static void ctl_sweep(struct vmm_control *ctl)
{
	unsigned int i, n = 0;

	for (i = 0; i < ctl->nr; i++) {
		if (ctl->clients[i]->dead)
			ctl_client_free(ctl->clients[i]);
		else
			ctl->clients[n++] = ctl->clients[i];
	}
	ctl->nr = n;
}

void vmm_control_handle(struct vmm *vmm, const struct pollfd *pfd,
			unsigned int n)
{
	struct vmm_control *ctl = vmm->control;
	unsigned int i, nr;

	if (!ctl || !n)
		return;
	/* Clients accepted now are not in @pfd: only the first nr are. */
	nr = ctl->nr;
	for (i = 0; i < nr; i++) {
		struct ctl_client *c = ctl->clients[i];
		short ev;

		if (c->pfd < 0 || (unsigned int)c->pfd >= n || c->dead)
			continue;
		ev = pfd[c->pfd].revents;
		if (ev & POLLOUT)
			ctl_flush(c);
		if ((ev & (POLLIN | POLLHUP | POLLERR)) && !c->dead) {
			if (c->closing)
				ctl_drop(c);
			else
				ctl_read(vmm, c);
		}
	}
	if (pfd[ctl->listen_pfd].revents & POLLIN)
		ctl_accept(vmm);
	ctl_sweep(ctl);
}

/*
 * Flush every client without waiting: a save's progress events go out
 * while the main thread is busy saving.
 */
void vmm_control_flush_locked(struct vmm *vmm)
{
	struct vmm_control *ctl = vmm->control;
	unsigned int i;

	for (i = 0; ctl && i < ctl->nr; i++)
		ctl_flush(ctl->clients[i]);
}

/*
 * The machine has ended: nobody new may connect, and the last replies and
 * events (powered-off) get CTL_FINISH_MS to go out before every client is
 * closed. Called without the lock, after the vCPU threads have ended.
 */
void vmm_control_finish(struct vmm *vmm)
{
	struct vmm_control *ctl = vmm->control;
	struct pollfd pfd[CTL_MAX_CLIENTS];
	uint64_t end = vmm_timer_now() + CTL_FINISH_MS * 1000000ULL;
	unsigned int i, n;
	uint64_t now;

	if (!ctl)
		return;
	ctl_unlisten(ctl);
	for (;;) {
		n = 0;
		for (i = 0; i < ctl->nr; i++) {
			struct ctl_client *c = ctl->clients[i];

			if (c->dead || !c->out_len)
				continue;
			pfd[n].fd = c->fd;
			pfd[n++].events = POLLOUT;
		}
		now = vmm_timer_now();
		if (!n || now >= end)
			break;
		if (poll(pfd, n, (end - now) / 1000000 + 1) < 0 && errno != EINTR)
			break;
		for (i = 0; i < ctl->nr; i++)
			ctl_flush(ctl->clients[i]);
	}
	for (i = 0; i < ctl->nr; i++)
		ctl_drop(ctl->clients[i]);
	ctl_sweep(ctl);
}
