// SPDX-License-Identifier: GPL-2.0
/*
 * vessel run: load a guest image and run it, with a 16550 UART on the
 * terminal and QEMU's isa-debug-exit port for an exit status. When the
 * module gives the VM a local APIC, the VM also gets an I/O APIC, a pair of
 * 8259 PICs and MP and ACPI tables (see lib/platform.h), the UART
 * interrupts through them, and it may have several vCPUs: vCPU 0 starts at
 * the image's entry, the others wait in the kernel for the INIT/SIPI the
 * guest sends them, as on a PC.
 *
 * Threads: one per vCPU, each only calling VESSEL_RUN and handling its own
 * exits, and the main thread, which feeds stdin to the UART, takes SIGINT
 * and SIGTERM, and waits for the end. The devices and the terminal are
 * shared: one lock, vmm->lock, covers all of them and is held only while
 * an exit is handled, never while a vCPU is in the guest. The first vCPU
 * to end the VM (debug-exit port, triple fault, error) or a signal sets
 * the exit status and kicks every vCPU out of VESSEL_RUN.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "boot/loader.h"
#include "boot/platform.h"
#include "internal.h"

void run_verror(const char *fmt, va_list ap)
{
	fputs("vessel run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__printf(1, 2)
void run_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	run_verror(fmt, ap);
	va_end(ap);
}

/* ---- Command line ------------------------------------------------------ */

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
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++) {
		if (!strcmp(arg, formats[i].name)) {
			*format = formats[i].format;
			return 0;
		}
	}
	run_error("--format '%s': not one of auto, flat, elf32, elf64, multiboot",
		  arg);
	return -EINVAL;
}

static int parse_irqchip(const char *arg, enum run_irqchip *irqchip)
{
	static const char * const names[] = {
		[IRQCHIP_AUTO] = "auto",
		[IRQCHIP_KERNEL] = "kernel",
		[IRQCHIP_NONE] = "none",
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

static const struct {
	const char *name;
	uint32_t provider;
	uint64_t cap;
} pv_providers[] = {
	{ "none", VESSEL_PV_NONE, 0 },
	{ "minimal", VESSEL_PV_MINIMAL, VESSEL_CAP_PV_MINIMAL },
	{ "hyperv", VESSEL_PV_HYPERV, VESSEL_CAP_PV_HYPERV },
	{ "kvm", VESSEL_PV_KVM, VESSEL_CAP_PV_KVM },
};

/* PROVIDER[:VERSION] */
static int parse_paravirt(const char *arg, struct run_opts *o)
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
	for (i = 0; i < ARRAY_SIZE(pv_providers); i++) {
		if (strlen(pv_providers[i].name) == len &&
		    !strncmp(arg, pv_providers[i].name, len)) {
			o->pv_provider = pv_providers[i].provider;
			o->pv_version = v;
			return 0;
		}
	}
	run_error("--paravirt '%s': not one of none, minimal, hyperv, kvm", arg);
	return -EINVAL;
}

/* FILE[=CMDLINE]: the first '=' separates the two. */
static void parse_module(char *arg, struct run_module *mod)
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
	{ NULL, 0, NULL, 0 },
};

/* @arg: the argument getopt_long() stopped at, for messages. */
static int run_parse_opt(int opt, const char *arg, struct run_opts *o)
{
	switch (opt) {
	case OPT_MEM:
		return parse_mem(optarg, &o->mem);
	case OPT_CPUS:
		return parse_cpus(optarg, &o->cpus);
	case OPT_FORMAT:
		return parse_format(optarg, &o->format);
	case OPT_CMDLINE:
		o->cmdline = optarg;
		return 0;
	case OPT_MODULE:
		parse_module(optarg, &o->modules[o->nr_modules++]);
		return 0;
	case OPT_IRQCHIP:
		return parse_irqchip(optarg, &o->irqchip);
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_PARAVIRT:
		return parse_paravirt(optarg, o);
	case OPT_HV_DEBUG:
		o->hv_debug = optarg;
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
	o->mem = RUN_MEM_DEFAULT;
	o->cpus = 1;
	/* Every argument could be a --module. */
	o->modules = calloc(argc, sizeof(*o->modules));
	if (!o->modules) {
		run_error("out of memory");
		return VESSEL_EXIT_FAILURE;
	}
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
	o->image = argv[optind];
	if (o->hv_debug && o->pv_provider != VESSEL_PV_HYPERV) {
		run_error("--hv-debug: the debugger's hypercalls are Hyper-V's: it needs --paravirt hyperv");
		return VESSEL_EXIT_USAGE;
	}
	if (o->cpus > 1 && o->irqchip == IRQCHIP_NONE) {
		run_error("--cpus %u: vCPUs other than 0 start only by INIT/SIPI from a local APIC, which --irqchip none leaves out",
			  o->cpus);
		return VESSEL_EXIT_USAGE;
	}
	return 0;
}

/* ---- Setup ------------------------------------------------------------ */

/*
 * Read all of @path, refusing more than @max bytes (a guest cannot use a
 * file larger than its memory; this also stops /dev/zero). Returns a
 * malloc'ed buffer, or NULL after a one-line message.
 */
static void *read_file(const char *path, uint64_t max, size_t *size)
{
	size_t len = 0, room = 0;
	uint8_t *buf = NULL, *p;
	ssize_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		run_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len == room) {
			room = room ? 2 * room : 1 << 16;
			p = realloc(buf, room);
			if (!p) {
				run_error("%s: out of memory", path);
				goto err;
			}
			buf = p;
		}
		n = fread(buf + len, 1, room - len, f);
		len += n;
		if (len > max) {
			run_error("%s: larger than the guest's %" PRIu64 " MiB of memory (--mem)",
				  path, max / MIB);
			goto err;
		}
	} while (n > 0);
	if (ferror(f)) {
		run_error("%s: %s", path, strerror(errno));
		goto err;
	}
	fclose(f);
	*size = len;
	return buf;

err:
	free(buf);
	fclose(f);
	return NULL;
}

/* Open /dev/vessel and hold the options against what it allows. */
static int vmm_open(struct vmm *vmm, const struct run_opts *o)
{
	const struct vessel_caps *caps = &vmm->sys.caps;
	char err[256];

	if (vessel_sys_open(&vmm->sys, err, sizeof(err))) {
		run_error("%s", err);
		return VESSEL_EXIT_NODEV;
	}
	if (o->mem > caps->max_mem_bytes) {
		run_error("--mem: %" PRIu64 " MiB is more than the %" PRIu64
			  " MiB per VM that %s allows", o->mem / MIB,
			  (uint64_t)caps->max_mem_bytes / MIB, VESSEL_DEVICE);
		goto err_close;
	}
	if (o->cpus > caps->max_vcpus) {
		run_error("--cpus: %u is more than the %u vCPUs per VM that %s allows",
			  o->cpus, caps->max_vcpus, VESSEL_DEVICE);
		goto err_close;
	}
	if (o->pv_provider != VESSEL_PV_NONE &&
	    !(caps->flags & pv_providers[o->pv_provider].cap)) {
		run_error("--paravirt %s: not offered by this %s",
			  pv_providers[o->pv_provider].name, VESSEL_DEVICE);
		goto err_close;
	}
	return 0;

err_close:
	vessel_sys_close(&vmm->sys);
	return VESSEL_EXIT_USAGE;
}

static void free_modules(struct vessel_load_module *mods, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		free((void *)mods[i].data);
	free(mods);
}

/* Read the image and modules and load them into vmm->ram. */
int vmm_load_image(struct vmm *vmm, const struct run_opts *o)
{
	struct vessel_load_opts lo = {
		.format = o->format,
		.cmdline = o->cmdline,
		.nr_modules = o->nr_modules,
	};
	struct vessel_load_module *mods;
	unsigned int i;
	size_t len;
	char err[256];
	void *img;
	int r = VESSEL_EXIT_FAILURE;

	mods = calloc(o->nr_modules + 1, sizeof(*mods));	/* never calloc(0) */
	if (!mods) {
		run_error("out of memory");
		return r;
	}
	for (i = 0; i < o->nr_modules; i++) {
		mods[i].name = o->modules[i].path;
		mods[i].cmdline = o->modules[i].cmdline;
		mods[i].data = read_file(mods[i].name, vmm->ram_size,
					 &mods[i].size);
		if (!mods[i].data)
			goto out_free_modules;
	}
	lo.modules = mods;

	img = read_file(o->image, vmm->ram_size, &len);
	if (!img)
		goto out_free_modules;
	if (vessel_image_load(vmm->ram, vmm->ram_size, img, len, &lo,
			      &vmm->boot, err, sizeof(err)))
		run_error("%s: %s", o->image, err);
	else
		r = 0;
	free(img);
out_free_modules:
	free_modules(mods, o->nr_modules);
	return r;
}

static int vmm_map_ram(struct vmm *vmm, uint64_t size)
{
	/* NORESERVE: a 4G guest that touches 10M should cost 10M. */
	vmm->ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmm->ram == MAP_FAILED) {
		vmm->ram = NULL;
		run_error("cannot map %" PRIu64 " MiB of guest memory: %s",
			  size / MIB, strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	vmm->ram_size = size;
	/* Only a hint: fewer EPT and TLB misses where THP is enabled. */
	madvise(vmm->ram, size, MADV_HUGEPAGE);
	return 0;
}

static void vmm_close_vcpus(struct vmm *vmm)
{
	while (vmm->nr_vcpus)
		vessel_vcpu_close(&vmm->vcpus[--vmm->nr_vcpus]);
	free(vmm->vcpus);
	vmm->vcpus = NULL;
}

/*
 * What a PC BIOS leaves in the boot processor's local APIC: virtual-wire
 * mode (MP spec 1.4, 3.6.2.2), APIC software-enabled, LINT0 ExtINT so the
 * 8259's INTR reaches the CPU, LINT1 NMI. The module's APIC comes out of
 * reset with every LVT masked (SDM 11.4.7.1), as hardware does.
 */
static int vmm_virtual_wire(struct vessel_vcpu *bsp)
{
	static struct vessel_lapic_state ls;
	uint32_t *svr = (uint32_t *)&ls.regs[APIC_SPIV_OFFSET];
	int r = vessel_vcpu_get_lapic(bsp, &ls);

	if (r)
		return r;
	*svr |= APIC_SVR_SW_ENABLE;
	*(uint32_t *)&ls.regs[APIC_LVT0_OFFSET] = APIC_LVT_EXTINT;
	*(uint32_t *)&ls.regs[APIC_LVT1_OFFSET] = APIC_LVT_NMI;
	return vessel_vcpu_set_lapic(bsp, &ls);
}

/*
 * Create @cpus vCPUs. Only vCPU 0, the boot processor, is given the boot
 * state: the in-kernel APIC keeps the others waiting for the INIT/SIPI
 * with which the guest starts them.
 */
static int vmm_create_vcpus(struct vmm *vmm, unsigned int cpus)
{
	vmm->vcpus = calloc(cpus, sizeof(*vmm->vcpus));
	if (!vmm->vcpus) {
		run_error("out of memory");
		return VESSEL_EXIT_FAILURE;
	}
	for (; vmm->nr_vcpus < cpus; vmm->nr_vcpus++) {
		if (vessel_vcpu_create(&vmm->vm, vmm->nr_vcpus,
				       &vmm->vcpus[vmm->nr_vcpus])) {
			run_error("cannot create vCPU %u: %s", vmm->nr_vcpus,
				  strerror(errno));
			goto err_close;
		}
	}
	if (vessel_vcpu_set_boot_state(&vmm->vcpus[0], &vmm->boot)) {
		run_error("cannot set the boot state of vCPU 0: %s",
			  strerror(errno));
		goto err_close;
	}
	if (vmm->lapic) {
		int r = vmm_virtual_wire(&vmm->vcpus[0]);

		if (r) {
			run_error("cannot put vCPU 0's local APIC in virtual-wire mode: %s",
				  strerror(-r));
			goto err_close;
		}
	}
	return 0;

err_close:
	vmm_close_vcpus(vmm);
	return VESSEL_EXIT_FAILURE;
}

/*
 * The I/O APIC's ID follows the local APIC IDs 0..cpus-1, as firmware
 * numbers them; the 82093AA has 4 ID bits, and xAPIC systems keep the two
 * ID spaces apart anyway, so larger VMs share 15.
 */
uint8_t vmm_ioapic_id(unsigned int cpus)
{
	return cpus < 15 ? cpus : 15;
}

/* VESSEL_CREATE_VM with @flags and the provider the options ask for. */
static int vmm_vm_create(struct vmm *vmm, uint32_t flags,
			 const struct run_opts *o)
{
	return vessel_vm_create_pv(&vmm->sys, &vmm->vm, flags, o->pv_provider,
				   o->pv_version);
}

/*
 * A VM with an in-kernel local APIC if @irqchip allows and the module has
 * one; a module without it refuses the flag with EINVAL. RAM is one slot
 * from 0, so a guest with more than ~4 GiB would have RAM where the I/O
 * APIC goes: auto then keeps the APIC-less machine it had before. That
 * machine has one vCPU: nothing could ever start a second.
 */
static int vmm_create_vm_fd(struct vmm *vmm, const struct run_opts *o)
{
	enum run_irqchip irqchip = o->irqchip;
	unsigned int cpus = o->cpus;

	if (vmm->ram_size > IOAPIC_BASE) {
		if (irqchip == IRQCHIP_KERNEL) {
			run_error("--irqchip kernel: guest RAM would cover the I/O APIC at %#llx; give --mem %lluM at most",
				  IOAPIC_BASE, IOAPIC_BASE / MIB);
			return VESSEL_EXIT_USAGE;
		}
		if (cpus > 1) {
			run_error("--cpus %u needs a local APIC and an I/O APIC, but guest RAM would cover the I/O APIC at %#llx; give --mem %lluM at most",
				  cpus, IOAPIC_BASE, IOAPIC_BASE / MIB);
			return VESSEL_EXIT_USAGE;
		}
		irqchip = IRQCHIP_NONE;
	}
	if (irqchip != IRQCHIP_NONE) {
		if (!vmm_vm_create(vmm, VESSEL_VM_LAPIC, o)) {
			vmm->lapic = true;
			return 0;
		}
		if (errno != EINVAL || irqchip == IRQCHIP_KERNEL) {
			run_error("cannot create a VM with an in-kernel local APIC: %s%s",
				  strerror(errno), errno == EINVAL ?
				  " (this vessel.ko has none: try --irqchip none)" : "");
			return VESSEL_EXIT_FAILURE;
		}
		if (cpus > 1) {
			run_error("--cpus %u: this vessel.ko has no local APIC, so vCPUs other than 0 could never be started (INIT/SIPI); use --cpus 1",
				  cpus);
			return VESSEL_EXIT_FAILURE;
		}
	}
	if (vmm_vm_create(vmm, 0, o)) {
		if (errno == EINVAL && o->pv_version)
			run_error("--paravirt %s:%u: no such interface version",
				  pv_providers[o->pv_provider].name,
				  o->pv_version);
		else
			run_error("cannot create a VM: %s", strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}

/*
 * The MP and ACPI tables, for guests to find the vCPUs and the I/O APIC.
 * Only a VM with a local APIC gets them: they describe APICs.
 */
int vmm_write_tables(struct vmm *vmm, unsigned int cpus)
{
	struct vessel_platform p = {
		.nr_cpus = cpus,
		.ioapic_id = vmm_ioapic_id(cpus),
		.ioapic_base = IOAPIC_BASE,
	};
	char err[256];

	if (vessel_boot_write_tables(vmm->ram, vmm->ram_size, &vmm->boot, &p,
				     err, sizeof(err))) {
		run_error("--cpus %u: %s", cpus, err);
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}

static int vmm_create_vm(struct vmm *vmm, const struct run_opts *o)
{
	unsigned int cpus = o->cpus;
	int status = vmm_create_vm_fd(vmm, o);

	if (status)
		return status;
	if (vmm->lapic) {
		status = vmm_write_tables(vmm, cpus);
		if (status)
			goto err_close_vm_status;
	}
	/* One slot for all of RAM: the legacy hole is only a loader rule. */
	if (vessel_vm_set_memory(&vmm->vm, 0, 0, 0, vmm->ram_size, vmm->ram)) {
		run_error("cannot give the VM its %" PRIu64 " MiB of memory: %s",
			  vmm->ram_size / MIB, strerror(errno));
		goto err_close_vm;
	}
	if (vmm_create_vcpus(vmm, o->cpus))
		goto err_close_vm;
	return 0;

err_close_vm:
	status = VESSEL_EXIT_FAILURE;
err_close_vm_status:
	vessel_vm_close(&vmm->vm);
	return status;
}

/* ---- Stopping -------------------------------------------------------- */

/* Make the main thread look again: the VM stopped, or the UART has room. */
void vmm_wake_main(struct vmm *vmm)
{
	uint64_t one = 1;

	/* Only fails when the counter is full: then it is readable anyway. */
	if (write(vmm->wake_fd, &one, sizeof(one)) < 0)
		return;
}

/*
 * End the VM with @status, unless it is already ending: the first reason
 * wins. Every vCPU is kicked out of VESSEL_RUN (a kick before it enters
 * RUN counts too) and its thread ends; the main thread is woken to join
 * them. Called with vmm->lock held.
 */
void vmm_stop_locked(struct vmm *vmm, int status)
{
	unsigned int i;

	if (vmm->stopping)
		return;
	vmm->status = status;
	vmm->stopping = true;
	for (i = 0; i < vmm->nr_vcpus; i++)
		vessel_vcpu_kick(&vmm->vcpus[i]);
	hv_debug_cancel(&vmm->hv_debug);
	pthread_cond_broadcast(&vmm->input_cond);
	pthread_cond_broadcast(&vmm->reset_cond);
	vmm_wake_main(vmm);
}

/*
 * One vCPU's run loop, until the VM stops. The lock is taken only after
 * VESSEL_RUN returns with an exit for userspace: vCPUs run the guest and
 * handle in-kernel exits in parallel. A kick (vmm_stop_locked()) makes
 * RUN return VESSEL_EXIT_INTR, even if it comes before RUN is entered.
 */
static void *vcpu_thread_fn(void *arg)
{
	struct vcpu_thread *t = arg;
	struct vmm *vmm = t->vmm;
	int r;

	while (!vmm->stopping) {
		if (vmm->resetting) {
			pthread_mutex_lock(&vmm->lock);
			vcpu_park_locked(t);
			pthread_mutex_unlock(&vmm->lock);
			continue;
		}
		r = vessel_vcpu_run(t->vcpu);
		/* EINTR: a kick, or a stop/continue signal: look again. */
		if (r == -EINTR || (!r && t->vcpu->run->exit_reason ==
				    VESSEL_EXIT_INTR))
			continue;
		pthread_mutex_lock(&vmm->lock);
		if (!r) {
			r = run_exit(t);
		} else if (!vmm->stopping) {
			vcpu_error(t, "VESSEL_RUN failed: %s", strerror(-r));
			r = VESSEL_EXIT_FAILURE;
		}
		console_flush(&vmm->con);
		if (r != RUN_AGAIN)
			vmm_stop_locked(vmm, r);
		pthread_mutex_unlock(&vmm->lock);
	}
	return NULL;
}

/* ---- The main thread: stdin, signals, the end ------------------------- */

/* SIGINT or SIGTERM arrived through the signalfd. */
static void vmm_on_signal(struct vmm *vmm, int sig_fd)
{
	struct signalfd_siginfo si;

	if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	pthread_mutex_lock(&vmm->lock);
	if (!vmm->stopping) {
		console_error(&vmm->con, "stopped by %s",
			      si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		vmm_stop_locked(vmm, 128 + si.ssi_signo);
	}
	pthread_mutex_unlock(&vmm->lock);
}

/*
 * stdin has input and the UART had @room bytes of room: move it there. The
 * UART's interrupt wakes a halted vCPU (in the kernel, through the
 * APICs); without an APIC, vCPU 0 waits for input_cond.
 */
static void vmm_on_input(struct vmm *vmm, unsigned int room)
{
	uint8_t buf[UART_RX_FIFO_SIZE];
	size_t n, i;

	n = console_read(&vmm->con, buf, room < sizeof(buf) ? room : sizeof(buf));
	pthread_mutex_lock(&vmm->lock);
	for (i = 0; i < n; i++)
		uart_rx_push(&vmm->uart, buf[i]);
	if (n) {
		uart_update_irq(&vmm->uart);
		pthread_cond_broadcast(&vmm->input_cond);
	}
	if (vmm->irq_error && !vmm->stopping)
		vmm_stop_locked(vmm, run_irq_failed(vmm));
	pthread_mutex_unlock(&vmm->lock);
}

/*
 * Until the VM stops: wait for a signal, for input when the UART has room
 * for it, or for a vCPU to say the VM stopped or the FIFO has room again.
 */
static void vmm_main_loop(struct vmm *vmm, int sig_fd)
{
	struct pollfd pfd[3] = {
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = vmm->wake_fd, .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	unsigned int room;
	uint64_t wakes;

	for (;;) {
		pthread_mutex_lock(&vmm->lock);
		room = vmm->con.in_open ? uart_rx_space(&vmm->uart) : 0;
		vmm->rx_wanted = vmm->con.in_open && !room;
		pthread_mutex_unlock(&vmm->lock);
		if (vmm->stopping)
			return;
		/* A negative fd is skipped by poll(). */
		pfd[2].fd = room ? STDIN_FILENO : -1;
		if (poll(pfd, ARRAY_SIZE(pfd), -1) < 0) {
			if (errno == EINTR)
				continue;
			pthread_mutex_lock(&vmm->lock);
			console_error(&vmm->con, "poll: %s", strerror(errno));
			vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
			pthread_mutex_unlock(&vmm->lock);
			return;
		}
		if (pfd[0].revents)
			vmm_on_signal(vmm, sig_fd);
		if (pfd[1].revents && read(vmm->wake_fd, &wakes, sizeof(wakes)) < 0)
			wakes = 0;	/* a counter: nothing to lose */
		if (pfd[2].revents)
			vmm_on_input(vmm, room);
	}
}

/* Reasons SDM Vol. 3 Appendix C names, for --stats. */
static const char *vmx_exit_name(unsigned int reason)
{
	static const char * const names[] = {
		[0] = "exception_nmi", [1] = "external_interrupt",
		[2] = "triple_fault", [3] = "init", [4] = "sipi",
		[7] = "interrupt_window", [8] = "nmi_window",
		[9] = "task_switch", [10] = "cpuid", [12] = "hlt",
		[13] = "invd", [14] = "invlpg", [15] = "rdpmc",
		[16] = "rdtsc", [18] = "vmcall", [28] = "cr_access",
		[29] = "dr_access", [30] = "io_instruction", [31] = "rdmsr",
		[32] = "wrmsr", [33] = "invalid_guest_state",
		[34] = "msr_load_fail", [36] = "mwait", [37] = "mtf",
		[39] = "monitor", [40] = "pause", [43] = "tpr_below_threshold",
		[44] = "apic_access", [45] = "eoi_induced",
		[46] = "gdtr_idtr", [47] = "ldtr_tr", [48] = "ept_violation",
		[49] = "ept_misconfig", [50] = "invept", [51] = "rdtscp",
		[52] = "preemption_timer", [53] = "invvpid", [54] = "wbinvd",
		[55] = "xsetbv", [56] = "apic_write", [57] = "rdrand",
		[58] = "invpcid", [61] = "rdseed", [62] = "pml_full",
		[63] = "xsaves", [64] = "xrstors",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "other";
}

/* The exit counts of all vCPUs added up, and each vCPU's entries. */
static void run_print_stats(struct vmm *vmm)
{
	struct vessel_counters c, sum = { 0 };
	unsigned int i, v;

	for (v = 0; v < vmm->nr_vcpus; v++) {
		if (vessel_vcpu_get_counters(&vmm->vcpus[v], &c)) {
			run_error("cannot read the exit counters of vCPU %u: %s",
				  v, strerror(errno));
			return;
		}
		if (vmm->nr_vcpus > 1)
			fprintf(stderr, "vCPU %u: runs %" PRIu64 ", VM entries %" PRIu64 "\n",
				v, (uint64_t)c.runs, (uint64_t)c.entries);
		sum.runs += c.runs;
		sum.entries += c.entries;
		for (i = 0; i < VESSEL_NR_USER_EXITS; i++)
			sum.user_exits[i] += c.user_exits[i];
		for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++)
			sum.vmx_exits[i] += c.vmx_exits[i];
	}
	fprintf(stderr, "runs %" PRIu64 ", VM entries %" PRIu64 "\n",
		(uint64_t)sum.runs, (uint64_t)sum.entries);
	for (i = 0; i < VESSEL_NR_USER_EXITS; i++)
		if (sum.user_exits[i])
			fprintf(stderr, "  exit to userspace %-20s %" PRIu64 "\n",
				vessel_exit_name(i), (uint64_t)sum.user_exits[i]);
	for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++)
		if (sum.vmx_exits[i])
			fprintf(stderr, "  vmx exit %2u %-20s %" PRIu64 "\n",
				i, vmx_exit_name(i), (uint64_t)sum.vmx_exits[i]);
	fprintf(stderr, "unclaimed port I/O: %" PRIu64 " reads, %" PRIu64 " writes\n",
		vmm->bus.port.unclaimed_reads, vmm->bus.port.unclaimed_writes);
	fprintf(stderr, "unclaimed MMIO:     %" PRIu64 " reads, %" PRIu64 " writes\n",
		vmm->bus.mmio.unclaimed_reads, vmm->bus.mmio.unclaimed_writes);
	if (vmm->hv_debug.kind != HV_DEBUG_NONE || vmm->hv_debug.dropped)
		fprintf(stderr, "Hyper-V debugger: %" PRIu64 " bytes out, %" PRIu64
			" in, %" PRIu64 " dropped\n", vmm->hv_debug.bytes_out,
			vmm->hv_debug.bytes_in, vmm->hv_debug.dropped);
	fprintf(stderr, "guest resets: %" PRIu64 "\n", vmm->resets);
}

/* The lock, the condition variable and the eventfd; 0 or an exit status. */
static int vmm_sync_init(struct vmm *vmm)
{
	pthread_condattr_t attr;

	vmm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vmm->wake_fd < 0) {
		run_error("eventfd: %s", strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	pthread_mutex_init(&vmm->lock, NULL);
	/* Timed waits on the monotonic clock: the wall clock may jump. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vmm->input_cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&vmm->reset_cond, NULL);
	return 0;
}

static void vmm_sync_free(struct vmm *vmm)
{
	pthread_cond_destroy(&vmm->input_cond);
	pthread_cond_destroy(&vmm->reset_cond);
	pthread_mutex_destroy(&vmm->lock);
	close(vmm->wake_fd);
}

/*
 * Start a thread per vCPU, with SIGINT and SIGTERM blocked (inherited from
 * the caller): those are read by the main thread through @sig_fd.
 */
static void vmm_start_vcpus(struct vmm *vmm)
{
	struct vcpu_thread *t;
	unsigned int i;
	int r;

	for (i = 0; i < vmm->nr_vcpus; i++) {
		t = &vmm->threads[i];
		t->vmm = vmm;
		t->vcpu = &vmm->vcpus[i];
		t->id = i;
		r = pthread_create(&t->tid, NULL, vcpu_thread_fn, t);
		if (r) {
			pthread_mutex_lock(&vmm->lock);
			console_error(&vmm->con, "cannot start the thread of vCPU %u: %s",
				      i, strerror(r));
			vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
			pthread_mutex_unlock(&vmm->lock);
			return;
		}
		t->started = true;
	}
}

static int vmm_run(struct vmm *vmm, bool stats)
{
	sigset_t stop_sigs, old_mask;
	unsigned int i;
	int sig_fd, status;

	vmm->threads = calloc(vmm->nr_vcpus, sizeof(*vmm->threads));
	if (!vmm->threads) {
		run_error("out of memory");
		return VESSEL_EXIT_FAILURE;
	}
	status = vmm_sync_init(vmm);
	if (status)
		goto out_free_threads;
	io_bus_init(&vmm->bus);
	status = vmm_add_devices(vmm);
	if (status)
		goto out_free_bus;

	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_mask);
	sig_fd = signalfd(-1, &stop_sigs, SFD_CLOEXEC);
	if (sig_fd < 0) {
		run_error("signalfd: %s", strerror(errno));
		status = VESSEL_EXIT_FAILURE;
		goto out_restore_mask;
	}
	/* A reader going away must not kill us with the terminal still raw. */
	signal(SIGPIPE, SIG_IGN);

	console_open(&vmm->con);
	vmm_start_vcpus(vmm);
	vmm_main_loop(vmm, sig_fd);
	for (i = 0; i < vmm->nr_vcpus; i++)
		if (vmm->threads[i].started)
			pthread_join(vmm->threads[i].tid, NULL);
	console_close(&vmm->con);
	status = vmm->status;

	if (stats)
		run_print_stats(vmm);
	close(sig_fd);
out_restore_mask:
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
out_free_bus:
	io_bus_free(&vmm->bus);
	vmm_sync_free(vmm);
out_free_threads:
	free(vmm->threads);
	vmm->threads = NULL;
	return status;
}

/* Before anything else is set up: a bad link is the user's to fix first. */
static int vmm_open_hv_debug(struct vmm *vmm, const struct run_opts *o)
{
	char err[160];
	int r;

	r = hv_debug_open(&vmm->hv_debug, o->hv_debug, err, sizeof(err));
	if (!r)
		return 0;
	if (o->hv_debug)
		run_error("--hv-debug %s: %s", o->hv_debug, err);
	else
		run_error("%s", err);
	return r == -EINVAL ? VESSEL_EXIT_USAGE : VESSEL_EXIT_FAILURE;
}

int vessel_cmd_run(int argc, char **argv)
{
	struct run_opts opts;
	struct vmm *vmm;
	int status;

	status = run_parse_args(argc, argv, &opts);
	if (status)
		goto out_free_opts;
	/* Holds a whole vCPU state: too big for the stack. */
	vmm = calloc(1, sizeof(*vmm));
	if (!vmm) {
		run_error("out of memory");
		status = VESSEL_EXIT_FAILURE;
		goto out_free_opts;
	}
	status = vmm_open_hv_debug(vmm, &opts);
	if (status)
		goto out_free_vmm;
	status = vmm_open(vmm, &opts);
	if (status)
		goto out_close_hv_debug;
	status = vmm_map_ram(vmm, opts.mem);
	if (status)
		goto out_close_sys;
	status = vmm_load_image(vmm, &opts);
	if (status)
		goto out_unmap_ram;
	status = vmm_create_vm(vmm, &opts);
	if (status)
		goto out_unmap_ram;
	vmm->opts = &opts;
	status = vmm_save_power_on(vmm);
	if (!status)
		status = vmm_run(vmm, opts.stats);

	vmm_free_power_on(vmm);
	vmm_close_vcpus(vmm);
	vessel_vm_close(&vmm->vm);
out_unmap_ram:
	munmap(vmm->ram, vmm->ram_size);
out_close_sys:
	vessel_sys_close(&vmm->sys);
out_close_hv_debug:
	hv_debug_close(&vmm->hv_debug);
out_free_vmm:
	free(vmm);
out_free_opts:
	free(opts.modules);
	return status;
}
