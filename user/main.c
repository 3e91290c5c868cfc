// SPDX-License-Identifier: GPL-2.0
/*
 * vessel: run virtual machines on /dev/vessel.  One file per subcommand,
 * found through the table below.
 */
#include <stdio.h>
#include <string.h>

#include "lib/compiler.h"
#include "vessel.h"

static const struct vessel_cmd commands[] = {
	{ "info", "print the module's API version and capabilities",
	  "vessel info [--raw]\n"
	  "  --raw   also print the raw VMX capability MSRs\n",
	  vessel_cmd_info },
	{ "run", "run a guest image (ELF, multiboot or flat binary)",
	  "vessel run [OPTIONS] IMAGE\n"
	  "Load IMAGE into a new VM and run it on vCPU 0, with its serial port on\n"
	  "this terminal: guest output to stdout, stdin to the guest.\n"
	  "\n"
	  "  --mem SIZE          guest memory, suffix K, M or G (default 64M); at\n"
	  "                      least 2M, page aligned, at most the module's limit\n"
	  "                      per VM (see vessel info)\n"
	  "  --cpus N            vCPUs to create (default 1); only vCPU 0 runs, as\n"
	  "                      the others cannot be started before the module\n"
	  "                      has a local APIC to send them INIT and SIPI\n"
	  "  --format FORMAT     auto (default: ELF or multiboot, by content),\n"
	  "                      flat (real mode at 1000:0000), elf32, elf64 or\n"
	  "                      multiboot\n"
	  "  --cmdline STRING    the multiboot command line\n"
	  "  --module FILE[=CMDLINE]\n"
	  "                      a multiboot module and its command line (after\n"
	  "                      the first '='); repeat for more, kept in order\n"
	  "  --stats             at the end, print exit counts and unclaimed I/O\n"
	  "                      to stderr\n"
	  "  --paravirt PROVIDER[:VERSION]\n"
	  "                      the paravirtual interface the guest sees: none\n"
	  "                      (default), minimal, hyperv or kvm; VERSION 0 or\n"
	  "                      absent is the newest (Documentation/paravirt.rst)\n"
	  "\n"
	  "Devices: a 16550A UART (COM1) at ports 0x3f8-0x3ff, polled only, and\n"
	  "QEMU's isa-debug-exit at port 0xf4: an OUT of CODE, of any size, ends\n"
	  "the VM. Other ports and MMIO read as all-ones and ignore writes. There\n"
	  "is no interrupt controller and no timer yet: a guest that halts with\n"
	  "interrupts enabled is re-entered when input arrives or after 100 ms;\n"
	  "one that halts with them disabled has hung and is stopped. On a\n"
	  "terminal, keys go to the guest unechoed; ^C stops the VM.\n"
	  "\n"
	  "Exit status:\n"
	  "  0                 --help\n"
	  "  1                 an error, or the guest failed: triple fault, halt\n"
	  "                    with interrupts disabled, internal error\n"
	  "  2                 bad command line\n"
	  "  3                 no usable /dev/vessel\n"
	  "  (CODE << 1) | 1   the guest wrote CODE to port 0xf4 (modulo 256:\n"
	  "                    42 gives 85), the way a test guest reports\n"
	  "  130, 143          stopped by SIGINT, SIGTERM\n",
	  vessel_cmd_run },
};

#define NR_COMMANDS ARRAY_SIZE(commands)

static void print_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: vessel COMMAND [ARGS]   (vessel COMMAND --help for more)\n\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

int vessel_cmd_wants_help(const struct vessel_cmd *cmd, int argc, char **argv)
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
		if (strcmp(argv[1], commands[i].name))
			continue;
		if (vessel_cmd_wants_help(&commands[i], argc - 1, argv + 1))
			return VESSEL_EXIT_OK;
		return commands[i].run(argc - 1, argv + 1);
	}
	fprintf(stderr, "vessel: unknown command '%s'\n", argv[1]);
	print_usage(stderr);
	return VESSEL_EXIT_USAGE;
}
