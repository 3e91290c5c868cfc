/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vessel tool: its subcommands.
 */
#ifndef VESSEL_TOOL_H
#define VESSEL_TOOL_H

struct vessel_cmd {
	const char *name;
	const char *summary;
	const char *usage;
	int (*run)(int argc, char **argv);
};

/* Exit codes scripts can rely on. */
#define VESSEL_EXIT_OK		0
#define VESSEL_EXIT_FAILURE	1	/* the command failed */
#define VESSEL_EXIT_USAGE	2	/* bad command line */
#define VESSEL_EXIT_NODEV	3	/* no usable /dev/vessel */

int vessel_cmd_info(int argc, char **argv);
int vessel_cmd_run(int argc, char **argv);

/* Whether argv holds -h/--help; prints the command's usage if so. */
int vessel_cmd_wants_help(const struct vessel_cmd *cmd, int argc, char **argv);

#endif /* VESSEL_TOOL_H */
