// SPDX-License-Identifier: GPL-2.0
/*
 * vessel: run virtual machines on /dev/vessel.  One file per subcommand,
 * found through the table below.
 */
#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "cmd/cmd.h"

/* Each command's options, usage and code are in cmd/, one file each. */
static const struct vessel_cmd *const commands[] = {
	&vessel_cmd_ctl,
	&vessel_cmd_info,
	&vessel_cmd_run,
	&vessel_cmd_restore,
	&vessel_cmd_snapshot,
	&vessel_cmd_stat,
};

#define NR_COMMANDS ARRAY_SIZE(commands)

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vessel COMMAND [ARGS]   (vessel COMMAND --help for more)\n\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name,
			commands[i]->summary);
}

/* Whether argv holds -h/--help; prints the command's usage if so. */
static int wants_help(const struct vessel_cmd *cmd, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: %s", cmd->usage);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		print_usage(stderr);
		return VESSEL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return VESSEL_EXIT_OK;
	}
	for (i = 0; i < NR_COMMANDS; i++) {
		if (strcmp(argv[1], commands[i]->name))
			continue;
		if (wants_help(commands[i], argc - 1, argv + 1))
			return VESSEL_EXIT_OK;
		return commands[i]->run(argc - 1, argv + 1);
	}
	fprintf(stderr, "vessel: unknown command '%s'\n", argv[1]);
	print_usage(stderr);
	return VESSEL_EXIT_USAGE;
}
