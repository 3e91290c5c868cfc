// SPDX-License-Identifier: GPL-2.0
/*
 * asuser: run a command as another user, for the tests of who may use a
 * control socket. The test machine has no /etc/passwd and busybox's su
 * needs one; this needs only numbers.
 *
 * Usage: asuser UID COMMAND [ARGS...]
 * Drops every supplementary group, takes GID and UID = UID (real,
 * effective and saved), then execs COMMAND. Exit status: 126 when it
 * cannot, else the command's.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long uid;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: asuser UID COMMAND [ARGS...]\n");
		return 126;
	}
	errno = 0;
	uid = strtoul(argv[1], &end, 10);
	if (*end || errno || !uid || uid > 65534) {
		fprintf(stderr, "asuser: '%s': not a uid from 1 to 65534\n",
			argv[1]);
		return 126;
	}
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid)) {
		fprintf(stderr, "asuser: %s\n", strerror(errno));
		return 126;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "asuser: %s: %s\n", argv[2], strerror(errno));
	return 126;
}
