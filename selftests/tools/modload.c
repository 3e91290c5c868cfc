// SPDX-License-Identifier: GPL-2.0
/*
 * modload: load a module with exactly one finit_module() call and report
 * the exact errno.  busybox insmod retries a failed finit_module() with
 * init_module(), which makes a refused module load (and log) twice.
 *
 * Usage: modload FILE [PARAMS...]
 * Exit status: 0 when loaded, else the errno (and one line on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char params[1024] = "";
	int fd, i, err;

	if (argc < 2) {
		fprintf(stderr, "usage: modload FILE [PARAMS...]\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (strlen(params) + strlen(argv[i]) + 2 > sizeof(params)) {
			fprintf(stderr, "modload: parameters too long\n");
			return 2;
		}
		strcat(params, argv[i]);
		strcat(params, " ");
	}
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "modload: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (syscall(SYS_finit_module, fd, params, 0)) {
		err = errno;
		fprintf(stderr, "modload: %s: %s (errno %d)\n", argv[1],
			strerror(err), err);
		return err;
	}
	return 0;
}
