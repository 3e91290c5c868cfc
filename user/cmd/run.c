// SPDX-License-Identifier: GPL-2.0
/*
 * vessel run: its options, read into a struct vm_config, and the machine
 * built from it (vmm/vmm.h), run and destroyed. Everything a guest sees
 * is the machine's; this file owns the command line alone.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "compiler.h"
#include "vmm/vmm.h"

#define RUN_NAME		"vessel run"
#define MIB			(UINT64_C(1) << 20)
#define RUN_MEM_DEFAULT		(64 * MIB)
/* Below 1 MiB sits the legacy hole; multiboot kernels load at 1 MiB. */
#define RUN_MEM_MIN		(2 * MIB)

/* The options: the machine's config and what only the command uses. */
struct run_opts {
	struct vm_config cfg;
	struct vm_module *modules;	/* cfg.modules, ours to fill */
	bool stats;
};

__printf(1, 2)
static void run_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(RUN_NAME ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* "64M", "2G", "4096K", "2097152": a byte count with an optional suffix. */
static int parse_size(const char *s, uint64_t *bytes)
{
	static const char suffixes[] = "KMG";
	unsigned long long v;
	const char *unit;
	char *end;
	int shift;

	if (*s < '0' || *s > '9')	/* strtoull would take "-1" */
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (!*end) {
		*bytes = v;
		return 0;
	}
	unit = strchr(suffixes, toupper((unsigned char)*end));
	if (!unit || !*unit || end[1])
		return -EINVAL;
	shift = 10 * (unit - suffixes + 1);
	if (v > UINT64_MAX >> shift)
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
	return 0;
}

static int parse_mem(const char *arg, uint64_t *mem)
{
	if (parse_size(arg, mem)) {
		run_error("--mem '%s': not a size (try 64M or 1G)", arg);
		return -EINVAL;
	}
	if (*mem < RUN_MEM_MIN) {
		run_error("--mem %s: guests need at least 2M", arg);
		return -EINVAL;
	}
	if (*mem % sysconf(_SC_PAGESIZE)) {
		run_error("--mem %s: not a multiple of the %ld-byte page size",
			  arg, sysconf(_SC_PAGESIZE));
		return -EINVAL;
	}
	return 0;
}

static int parse_cpus(const char *arg, unsigned int *cpus)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg < '1' || *arg > '9' || *end || errno || v > UINT_MAX) {
		run_error("--cpus '%s': not a vCPU count", arg);
		return -EINVAL;
	}
	*cpus = v;
	return 0;
}

static int parse_format(const char *arg, enum vessel_image_format *format)
{
	static const struct {
		const char *name;
		enum vessel_image_format format;
	} formats[] = {
		{ "auto", VESSEL_IMAGE_AUTO },
		{ "flat", VESSEL_IMAGE_FLAT },
		{ "elf32", VESSEL_IMAGE_ELF32 },
		{ "elf64", VESSEL_IMAGE_ELF64 },
		{ "multiboot", VESSEL_IMAGE_MULTIBOOT },
		{ "bzimage", VESSEL_IMAGE_BZIMAGE },
		{ "pvh", VESSEL_IMAGE_PVH },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		if (!strcmp(arg, formats[i].name)) {
			*format = formats[i].format;
			return 0;
		}
	}
	run_error("--format '%s': not one of auto, bzimage, pvh, flat, elf32, elf64, multiboot",
		  arg);
	return -EINVAL;
}

static int parse_irqchip(const char *arg, enum vm_irqchip *irqchip)
{
	static const char * const names[] = {
		[VM_IRQCHIP_AUTO] = "auto",
		[VM_IRQCHIP_KERNEL] = "kernel",
		[VM_IRQCHIP_NONE] = "none",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(arg, names[i])) {
			*irqchip = i;
			return 0;
		}
	}
	run_error("--irqchip '%s': not one of auto, kernel, none", arg);
	return -EINVAL;
}

/* PROVIDER[:VERSION] */
static int parse_paravirt(const char *arg, struct vm_config *cfg)
{
	const char *colon = strchr(arg, ':');
	size_t len = colon ? (size_t)(colon - arg) : strlen(arg);
	unsigned long v = 0;
	char *end;
	size_t i;

	if (colon) {
		errno = 0;
		v = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || v > UINT32_MAX ||
		    colon[1] < '0' || colon[1] > '9') {
			run_error("--paravirt '%s': VERSION is not a number", arg);
			return -EINVAL;
		}
	}
	for (i = 0; i < VM_NR_PV_PROVIDERS; i++) {
		if (strlen(vm_pv_providers[i].name) == len &&
		    !strncmp(arg, vm_pv_providers[i].name, len)) {
			cfg->pv_provider = vm_pv_providers[i].provider;
			cfg->pv_version = v;
			return 0;
		}
	}
	run_error("--paravirt '%s': not one of none, minimal, hyperv, kvm", arg);
	return -EINVAL;
}

/* PERCENT of a host CPU per vCPU, 1 to 100. */
static int parse_cpu_cap(const char *arg, unsigned int *cap)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg < '1' || *arg > '9' || *end || errno || v > 100) {
		run_error("--cpu-cap '%s': not a percentage from 1 to 100", arg);
		return -EINVAL;
	}
	*cap = v;
	return 0;
}

/* FILE[=CMDLINE]: the first '=' separates the two. */
static void parse_module(char *arg, struct vm_module *mod)
{
	char *eq = strchr(arg, '=');

	mod->path = arg;
	mod->cmdline = NULL;
	if (eq) {
		*eq = '\0';
		mod->cmdline = eq + 1;
	}
}

enum {
	OPT_MEM = 0x100,	/* long options only: above any character */
	OPT_CPUS,
	OPT_FORMAT,
	OPT_CMDLINE,
	OPT_MODULE,
	OPT_IRQCHIP,
	OPT_STATS,
	OPT_PARAVIRT,
	OPT_HV_DEBUG,
	OPT_INITRD,
	OPT_CONTROL,
	OPT_CPU_CAP,
	OPT_POWER_OFF_ON_RESET,
};

static const struct option run_options[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "paravirt", required_argument, NULL, OPT_PARAVIRT },
	{ "hv-debug", required_argument, NULL, OPT_HV_DEBUG },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "cpu-cap", required_argument, NULL, OPT_CPU_CAP },
	{ "power-off-instead-of-reset", no_argument, NULL,
	  OPT_POWER_OFF_ON_RESET },
	{ NULL, 0, NULL, 0 },
};

/* @arg: the argument getopt_long() stopped at, for messages. */
static int run_parse_opt(int opt, const char *arg, struct run_opts *o)
{
	switch (opt) {
	case OPT_MEM:
		return parse_mem(optarg, &o->cfg.mem);
	case OPT_CPUS:
		return parse_cpus(optarg, &o->cfg.cpus);
	case OPT_FORMAT:
		return parse_format(optarg, &o->cfg.format);
	case OPT_CMDLINE:
		o->cfg.cmdline = optarg;
		return 0;
	case OPT_MODULE:
		parse_module(optarg, &o->modules[o->cfg.nr_modules++]);
		return 0;
	case OPT_IRQCHIP:
		return parse_irqchip(optarg, &o->cfg.irqchip);
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_PARAVIRT:
		return parse_paravirt(optarg, &o->cfg);
	case OPT_HV_DEBUG:
		o->cfg.hv_debug = optarg;
		return 0;
	case OPT_INITRD:
		o->cfg.initrd = optarg;
		return 0;
	case OPT_CONTROL:
		o->cfg.control = optarg;
		return 0;
	case OPT_CPU_CAP:
		return parse_cpu_cap(optarg, &o->cfg.cpu_cap);
	case OPT_POWER_OFF_ON_RESET:
		o->cfg.power_off_on_reset = true;
		return 0;
	case ':':
		run_error("option '%s' needs an argument", arg);
		return -EINVAL;
	default:
		run_error("unknown option '%s'", arg);
		return -EINVAL;
	}
}

/* Returns 0, or an exit status after saying what is wrong. */
static int run_parse_args(int argc, char **argv, struct run_opts *o)
{
	int opt;

	memset(o, 0, sizeof(*o));
	o->cfg.name = RUN_NAME;
	o->cfg.mem = RUN_MEM_DEFAULT;
	o->cfg.cpus = 1;
	/* Every argument could be a --module. */
	o->modules = calloc(argc, sizeof(*o->modules));
	if (!o->modules) {
		run_error("out of memory");
		return VESSEL_EXIT_FAILURE;
	}
	o->cfg.modules = o->modules;
	opterr = 0;	/* our messages name the command */
	while ((opt = getopt_long(argc, argv, ":", run_options, NULL)) != -1) {
		if (run_parse_opt(opt, argv[optind - 1], o))
			return VESSEL_EXIT_USAGE;
	}
	if (optind != argc - 1) {
		run_error(optind == argc ? "no IMAGE given (see vessel run --help)" :
			  "one IMAGE only (see vessel run --help)");
		return VESSEL_EXIT_USAGE;
	}
	o->cfg.image = argv[optind];
	if (o->cfg.hv_debug && o->cfg.pv_provider != VESSEL_PV_HYPERV) {
		run_error("--hv-debug: the debugger's hypercalls are Hyper-V's: it needs --paravirt hyperv");
		return VESSEL_EXIT_USAGE;
	}
	if (o->cfg.cpus > 1 && o->cfg.irqchip == VM_IRQCHIP_NONE) {
		run_error("--cpus %u: vCPUs other than 0 start only by INIT/SIPI from a local APIC, which --irqchip none leaves out",
			  o->cfg.cpus);
		return VESSEL_EXIT_USAGE;
	}
	return 0;
}

static int run_main(int argc, char **argv)
{
	struct run_opts opts;
	struct vmm *vmm;
	int status;

	status = run_parse_args(argc, argv, &opts);
	if (!status)
		status = vmm_create(&opts.cfg, &vmm);
	if (!status) {
		status = vmm_run(vmm);
		if (opts.stats)
			vmm_print_stats(vmm);
		vmm_destroy(vmm);
	}
	free(opts.modules);
	return status;
}

const struct vessel_cmd vessel_cmd_run = {
	.name = "run",
	.summary = "run a guest image (Linux, ELF, multiboot or flat binary)",
	.usage =
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
		"  --format FORMAT     auto (default: by content: a Linux bzImage, a\n"
		"                      vmlinux with a PVH note, multiboot or ELF),\n"
		"                      bzimage, pvh, flat (real mode at 1000:0000),\n"
		"                      elf32, elf64 or multiboot\n"
		"  --cmdline STRING    the kernel command line (Linux or multiboot)\n"
		"  --initrd FILE       Linux's initial ramdisk\n"
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
		"  --control PATH      serve a control socket at PATH (mode 0600, for\n"
		"                      this user and root): vessel ctl PATH suspends,\n"
		"                      resumes, resets and powers off the VM, watches it\n"
		"                      and caps it; vessel stat PATH shows its exits\n"
		"                      (Documentation/lifecycle.rst)\n"
		"  --cpu-cap PERCENT   let each vCPU use at most PERCENT (1-100, default\n"
		"                      100) of a host CPU; vessel ctl PATH cap changes it\n"
		"  --power-off-instead-of-reset\n"
		"                      a reset the guest asks for powers the VM off\n"
		"                      (exit status 0) instead\n"
		"\n"
		"A guest that resets the machine (the ACPI reset register, the 8042's\n"
		"reset command, Hyper-V's RESET MSR) is reset: memory, devices, vCPUs\n"
		"and provider start again from power-on (Documentation/userspace-devices.rst);\n"
		"one that powers off (ACPI S5) ends it with status 0.\n"
		"\n"
		"Devices: a 16550A UART (COM1) at ports 0x3f8-0x3ff, a CMOS clock\n"
		"showing the host's time at 0x70-0x71, the ACPI sleep and reset\n"
		"registers at 0x600-0x602, the 8042's reset command at 0x64, QEMU's\n"
		"pvpanic at 0x505 and isa-debug-exit at port 0xf4: an OUT of CODE, of\n"
		"any size, from any vCPU ends the VM (Documentation/linux.rst). With\n"
		"a local APIC the VM also has an I/O APIC at 0xfec00000,\n"
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
		"  0                 --help; the guest powered off; powered off\n"
		"                    through the control socket or, with\n"
		"                    --power-off-instead-of-reset, by a guest reset\n"
		"  1                 an error, or the guest failed on any vCPU: triple\n"
		"                    fault, halt with interrupts disabled (no local\n"
		"                    APIC), internal error, an interrupt the module\n"
		"                    could not deliver, a panic reported to pvpanic\n"
		"  2                 bad command line\n"
		"  3                 no usable /dev/vessel\n"
		"  (CODE << 1) | 1   the guest wrote CODE to port 0xf4 (modulo 256:\n"
		"                    42 gives 85), the way a test guest reports\n"
		"  130, 143          stopped by SIGINT, SIGTERM\n",
	.run = run_main,
};
