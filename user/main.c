// SPDX-License-Identifier: GPL-2.0
/*
 * vessel: run virtual machines on /dev/vessel.  One file per subcommand,
 * found through the table below.
 */
#include <stdio.h>
#include <string.h>

#include "compiler.h"
#include "cmd/cmd.h"

static const struct vessel_cmd commands[] = {
	{ "info", "print the module's API version and capabilities",
	  "vessel info [--raw]\n"
	  "  --raw   also print the raw VMX capability MSRs\n",
	  vessel_cmd_info },
	{ "run", "run a guest image (ELF, multiboot or flat binary)",
	  "vessel run [OPTIONS] IMAGE\n"
	  "Load IMAGE into a new VM and run it from vCPU 0, one thread per vCPU,\n"
	  "with its serial port on this terminal: guest output to stdout, stdin\n"
	  "to the guest.\n"
	  "\n"
	  "  --mem SIZE          guest memory, suffix K, M or G (default 64M); at\n"
	  "                      least 2M, page aligned, at most the module's limit\n"
	  "                      per VM (see vessel info)\n"
	  "  --cpus N            vCPUs (default 1), described to the guest by MP\n"
	  "                      and ACPI tables; vCPU 0 starts at the image's\n"
	  "                      entry, the others wait for the guest's INIT/SIPI.\n"
	  "                      More than 1 needs a local APIC (see --irqchip)\n"
	  "  --format FORMAT     auto (default: ELF or multiboot, by content),\n"
	  "                      flat (real mode at 1000:0000), elf32, elf64 or\n"
	  "                      multiboot\n"
	  "  --cmdline STRING    the multiboot command line\n"
	  "  --module FILE[=CMDLINE]\n"
	  "                      a multiboot module and its command line (after\n"
	  "                      the first '='); repeat for more, kept in order\n"
	  "  --irqchip MODE      auto (default): a local APIC in the module, with\n"
	  "                      an I/O APIC and 8259 PICs here, if the module\n"
	  "                      has one and --mem is at most 4076M, else none;\n"
	  "                      kernel: the same or fail; none: no interrupt\n"
	  "                      controller\n"
	  "  --stats             at the end, print exit counts and unclaimed I/O\n"
	  "                      to stderr\n"
	  "  --paravirt PROVIDER[:VERSION]\n"
	  "                      the paravirtual interface the guest sees: none\n"
	  "                      (default), minimal, hyperv or kvm; VERSION 0 or\n"
	  "                      absent is the newest (Documentation/paravirt.rst)\n"
	  "  --hv-debug LINK     where the Hyper-V synthetic debugger's bytes go\n"
	  "                      (with --paravirt hyperv): none (default: posted\n"
	  "                      bytes dropped, nothing to retrieve), file:OUT or\n"
	  "                      file:OUT:IN (posted bytes written to OUT, retrieved\n"
	  "                      ones read from IN), udp:ADDRESS:PORT (a datagram\n"
	  "                      per post to that IPv4 peer, whose datagrams the\n"
	  "                      guest retrieves)\n"
	  "\n"
	  "A guest that writes Hyper-V's RESET MSR is reset: memory, devices, vCPUs\n"
	  "and provider start again from power-on (Documentation/userspace-devices.rst).\n"
	  "\n"
	  "Devices: a 16550A UART (COM1) at ports 0x3f8-0x3ff and QEMU's\n"
	  "isa-debug-exit at port 0xf4: an OUT of CODE, of any size, from any\n"
	  "vCPU ends the VM. With a local APIC the VM also has an I/O APIC at 0xfec00000,\n"
	  "8259 PICs at ports 0x20, 0xa0 and 0x4d0 (masked until the guest\n"
	  "programs them), the UART on IRQ 4 and MP and ACPI tables in\n"
	  "0xf0000-0xfffff. Other ports and MMIO read as all-ones and ignore\n"
	  "writes. Without a local APIC there is no interrupt controller: a guest\n"
	  "that halts with interrupts enabled is re-entered when input arrives\n"
	  "or after 100 ms; one that halts with them disabled has hung and is\n"
	  "stopped. On a terminal, keys go to the guest unechoed; ^C stops the\n"
	  "VM.\n"
	  "\n"
	  "Exit status:\n"
	  "  0                 --help\n"
	  "  1                 an error, or the guest failed on any vCPU: triple\n"
	  "                    fault, halt with interrupts disabled (no local\n"
	  "                    APIC), internal error, an interrupt the module\n"
	  "                    could not deliver\n"
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
