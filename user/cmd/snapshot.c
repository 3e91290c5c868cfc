// SPDX-License-Identifier: GPL-2.0
/*
 * vessel snapshot check: a snapshot file checked through and through,
 * without /dev/vessel (vmm/snapshot.h).
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "vmm/snapshot.h"
#include "vmm/vmm.h"

#define SNAPSHOT_NAME	"vessel snapshot"

static int snapshot_main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "check") || argv[2][0] == '-') {
		fprintf(stderr, SNAPSHOT_NAME ": usage: vessel snapshot check FILE\n");
		return VESSEL_EXIT_USAGE;
	}
	return vmm_snapshot_check(SNAPSHOT_NAME " check", argv[2]);
}

const struct vessel_cmd vessel_cmd_snapshot = {
	.name = "snapshot",
	.summary = "check a snapshot file",
	.usage =
		"vessel snapshot check FILE\n"
		"Check all of the snapshot FILE: its header, every section and every\n"
		"chunk of guest memory against their checksums, every size and field,\n"
		"and each device's saved state, as a restore would, without /dev/vessel.\n"
		"Prints one line: what FILE holds (stdout), or what is wrong with it\n"
		"(stderr). The CPU and TSC a restore needs are checked by vessel\n"
		"restore, against the host it runs on.\n"
		"\n"
		"Exit status: 0 the file is good, 1 it is not, 2 bad command line.\n",
	.run = snapshot_main,
};
