// SPDX-License-Identifier: GPL-2.0
/*
 * vessel restore: a machine built from a snapshot file (vmm/snapshot.h)
 * and run on from where it was saved. This file owns the command line.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "compiler.h"
#include "vmm/snapshot.h"
#include "vmm/vmm.h"

#define RESTORE_NAME	"vessel restore"

enum {
	OPT_EAGER = 0x100,
	OPT_STATS,
	OPT_CONTROL,
	OPT_PAUSED,
};

static const struct option restore_options[] = {
	{ "eager", no_argument, NULL, OPT_EAGER },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "paused", no_argument, NULL, OPT_PAUSED },
	{ NULL, 0, NULL, 0 },
};

static int restore_main(int argc, char **argv)
{
	struct vmm_restore_opts o = { .name = RESTORE_NAME };
	bool stats = false;
	struct vmm *vmm;
	int opt, status;

	opterr = 0;	/* our messages name the command */
	while ((opt = getopt_long(argc, argv, ":", restore_options, NULL)) != -1) {
		switch (opt) {
		case OPT_EAGER:
			o.eager = true;
			break;
		case OPT_STATS:
			stats = true;
			break;
		case OPT_CONTROL:
			o.control = optarg;
			break;
		case OPT_PAUSED:
			o.paused = true;
			break;
		case ':':
			fprintf(stderr, RESTORE_NAME ": option '%s' needs a value\n",
				argv[optind - 1]);
			return VESSEL_EXIT_USAGE;
		default:
			fprintf(stderr, RESTORE_NAME ": unknown option '%s'\n",
				argv[optind - 1]);
			return VESSEL_EXIT_USAGE;
		}
	}
	if (o.paused && !o.control) {
		fprintf(stderr, RESTORE_NAME ": --paused needs --control: nothing else could resume the VM\n");
		return VESSEL_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		fprintf(stderr, RESTORE_NAME ": %s (see vessel restore --help)\n",
			optind == argc ? "no FILE given" : "one FILE only");
		return VESSEL_EXIT_USAGE;
	}
	o.path = argv[optind];
	status = vmm_restore(&o, &vmm);
	if (status)
		return status;
	status = vmm_run(vmm);
	if (stats)
		vmm_print_stats(vmm);
	vmm_destroy(vmm);
	return status;
}

const struct vessel_cmd vessel_cmd_restore = {
	.name = "restore",
	.summary = "continue a VM from a snapshot file",
	.usage =
		"vessel restore [OPTIONS] FILE\n"
		"Build the VM saved in FILE and run it on from where it stopped, as\n"
		"vessel run runs a new one: one thread per vCPU, its serial port on this\n"
		"terminal. FILE is checked first (checksums, sizes, the CPU features and\n"
		"TSC rate the guest needs); a bad one gets one line saying what is wrong,\n"
		"and no VM. Guest memory is mapped from FILE, each page read when the\n"
		"guest first touches it: FILE must stay as it is while the VM runs\n"
		"(Documentation/snapshot.rst).\n"
		"\n"
		"  --eager             read all of guest memory in first, and verify\n"
		"                      its checksums, instead of mapping FILE\n"
		"  --control PATH      serve a control socket at PATH, as vessel run\n"
		"                      --control does (see vessel ctl --help)\n"
		"  --paused            start suspended, every vCPU held before it runs,\n"
		"                      until vessel ctl PATH resume (needs --control)\n"
		"  --stats             at the end, print exit counts and how long the\n"
		"                      restore took to stderr\n"
		"\n"
		"Exit status: as vessel run's (see vessel run --help); 1 also for a\n"
		"file that cannot be restored.\n",
	.run = restore_main,
};
