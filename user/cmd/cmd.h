/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vessel tool's subcommands: one file each in cmd/, which owns its
 * options and usage; main.c holds the table of them.
 */
#ifndef VESSEL_CMD_H
#define VESSEL_CMD_H

#include "vmm/vmm.h"	/* the exit statuses, VESSEL_EXIT_* */

struct vessel_cmd {
	const char *name;
	const char *summary;
	const char *usage;	/* printed after "usage: " by --help */
	int (*run)(int argc, char **argv);	/* argv[0] is the name */
};

extern const struct vessel_cmd vessel_cmd_ctl;
extern const struct vessel_cmd vessel_cmd_info;
extern const struct vessel_cmd vessel_cmd_run;
extern const struct vessel_cmd vessel_cmd_restore;
extern const struct vessel_cmd vessel_cmd_snapshot;
extern const struct vessel_cmd vessel_cmd_stat;

#endif /* VESSEL_CMD_H */
