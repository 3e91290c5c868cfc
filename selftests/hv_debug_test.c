// SPDX-License-Identifier: GPL-2.0
/*
 * `vessel run --paravirt hyperv --hv-debug udp:...` end to end: this test
 * is the debugger. It listens on 127.0.0.1, starts the tool on the
 * hvdebug_mb guest (selftests/testbed/guests/hvdebug_mb.c), checks what
 * HvResetDebugSession told the guest about both ends and the guest's
 * hello, sends it a datagram and gets every byte back, in the guest's
 * chunks, before the guest finds nothing more to retrieve and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define TOOL		"./vessel"
#define GUEST		"./hvdebug_mb.elf"
#define OUT		"/tmp/hv_debug_test.out"
#define HELLO		"hvdebug_mb: hello, debugger\n"
#define PING		"ping from the debugger, in one datagram\n"
#define GUEST_CHUNK	5
/* The guest runs in an emulator: allow it a minute per datagram. */
#define RECV_TIMEOUT_S	60

/* hvdebug_mb exits through the debug port with 42: (42 << 1) | 1. */
#define GUEST_OK	85

FIXTURE(debugger) {
	int fd;
	struct sockaddr_in addr;
	pid_t tool;
};

FIXTURE_SETUP(debugger)
{
	struct timeval tv = { .tv_sec = RECV_TIMEOUT_S };
	socklen_t len = sizeof(self->addr);

	self->tool = -1;
	self->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->fd);
	memset(&self->addr, 0, sizeof(self->addr));
	self->addr.sin_family = AF_INET;
	self->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(0, bind(self->fd, (struct sockaddr *)&self->addr,
			  sizeof(self->addr))) {
		TH_LOG("bind 127.0.0.1: %s (is lo up?)", strerror(errno));
	}
	ASSERT_EQ(0, getsockname(self->fd, (struct sockaddr *)&self->addr,
				 &len));
	ASSERT_EQ(0, setsockopt(self->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
}

FIXTURE_TEARDOWN(debugger)
{
	if (self->tool > 0) {
		kill(self->tool, SIGKILL);
		waitpid(self->tool, NULL, 0);
	}
	close(self->fd);
}

/* Start `vessel run` with the guest's output in OUT. */
static pid_t start_tool(const char *link)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = open(OUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
		_exit(127);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		_exit(127);
	execl(TOOL, TOOL, "run", "--paravirt", "hyperv", "--hv-debug", link,
	      GUEST, (char *)NULL);
	_exit(127);
}

/* The tool's exit status, or -1 if it did not exit normally. */
static int wait_tool(pid_t *pid)
{
	int status;

	if (waitpid(*pid, &status, 0) != *pid)
		return -1;
	*pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void read_out(char *buf, size_t size)
{
	int fd = open(OUT, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

TEST_F(debugger, reset_hello_and_echo)
{
	struct sockaddr_in tool;
	socklen_t len = sizeof(tool);
	uint8_t buf[128], echo[sizeof(PING)];
	size_t got = 0;
	char link[64], out[128];
	uint16_t port;
	uint32_t ip;
	ssize_t n;

	snprintf(link, sizeof(link), "udp:127.0.0.1:%u",
		 ntohs(self->addr.sin_port));
	self->tool = start_tool(link);
	ASSERT_LT(0, self->tool);

	/* 1. The reset's answer: our address and port, then the tool's. */
	n = recvfrom(self->fd, buf, sizeof(buf), 0, (struct sockaddr *)&tool,
		     &len);
	ASSERT_EQ(24, n) {
		TH_LOG("no reset answer from the guest: %s", strerror(errno));
	}
	memcpy(&ip, buf, 4);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), ip);
	memcpy(&ip, buf + 4, 4);
	EXPECT_EQ(tool.sin_addr.s_addr, ip);
	memcpy(&port, buf + 8, 2);
	EXPECT_EQ(self->addr.sin_port, port);
	memcpy(&port, buf + 10, 2);
	EXPECT_EQ(tool.sin_port, port);
	EXPECT_EQ(0, memcmp(buf + 12, "\0\0\0\0\0\0\0\0\0\0\0\0", 12));

	/* 2. Hello, from the same port. */
	n = recv(self->fd, buf, sizeof(buf), 0);
	ASSERT_EQ(strlen(HELLO), n);
	EXPECT_EQ(0, memcmp(buf, HELLO, n));

	/* 3. One datagram out; it comes back in the guest's chunks. */
	ASSERT_EQ(strlen(PING), sendto(self->fd, PING, strlen(PING), 0,
				       (struct sockaddr *)&tool, len));
	while (got < strlen(PING)) {
		n = recv(self->fd, buf, sizeof(buf), 0);
		ASSERT_LT(0, n) {
			TH_LOG("echo stopped after %zu bytes: %s", got,
			       strerror(errno));
		}
		ASSERT_GE(GUEST_CHUNK, n);
		ASSERT_GE(strlen(PING), got + n);
		memcpy(echo + got, buf, n);
		got += n;
	}
	EXPECT_EQ(0, memcmp(echo, PING, got));

	ASSERT_EQ(GUEST_OK, wait_tool(&self->tool));
	read_out(out, sizeof(out));
	snprintf((char *)buf, sizeof(buf), "hvdebug_mb: echoed %zu bytes\n",
		 strlen(PING));
	EXPECT_STREQ((char *)buf, out);
}

/* Nobody listens: the posts are lost on the wire, nothing comes back. */
TEST_F(debugger, nobody_listening)
{
	char link[64], out[128];

	snprintf(link, sizeof(link), "udp:127.0.0.1:%u",
		 ntohs(self->addr.sin_port));
	close(self->fd);
	self->fd = -1;
	self->tool = start_tool(link);
	ASSERT_LT(0, self->tool);
	ASSERT_EQ(GUEST_OK, wait_tool(&self->tool));
	read_out(out, sizeof(out));
	EXPECT_STREQ("hvdebug_mb: echoed 0 bytes\n", out);
}

TEST_HARNESS_MAIN
