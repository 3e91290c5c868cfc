// SPDX-License-Identifier: GPL-2.0
/*
 * vessel run: load a guest image and run it on vCPU 0, with a 16550 UART
 * on the terminal and QEMU's isa-debug-exit port for an exit status.
 *
 * The kernel runs the guest until it needs a device; everything a device
 * does happens here, one exit at a time, on the thread that runs the vCPU.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "io.h"
#include "lib/boot.h"
#include "lib/compiler.h"
#include "lib/libvessel.h"
#include "lib/loader.h"
#include "lib/uart16550.h"
#include "vessel.h"

#define MIB			(UINT64_C(1) << 20)
#define RUN_MEM_DEFAULT		(64 * MIB)
/* Below 1 MiB sits the legacy hole; multiboot kernels load at 1 MiB. */
#define RUN_MEM_MIN		(2 * MIB)

#define COM1_BASE		0x3f8
#define DEBUG_EXIT_PORT		0xf4
#define DEBUG_EXIT_LEN		4	/* room for an outl */

#define RFLAGS_IF		(1ULL << 9)
/* How long a halted guest waits for input before it is re-entered. */
#define HLT_WAIT_MS		100
#define RUN_AGAIN		(-1)

struct run_module {
	const char *path;
	const char *cmdline;
};

struct run_opts {
	uint64_t mem;
	unsigned int cpus;
	enum vessel_image_format format;
	const char *cmdline;
	const char *image;
	struct run_module *modules;
	unsigned int nr_modules;
	bool stats;
	uint32_t pv_provider;	/* VESSEL_PV_* */
	uint32_t pv_version;	/* 0: the newest */
};

/* The terminal side of the UART. */
struct console {
	bool in_open;		/* false once stdin is at EOF or fails */
	bool tty_raw;
	bool out_broken;	/* stdout failed: drop guest output */
	bool mid_line;		/* the guest's last byte was not '\n' */
	struct termios saved;
	uint8_t out[512];
	size_t out_len;
};

struct vmm {
	struct vessel_sys sys;
	struct vessel_vm vm;
	struct vessel_vcpu *vcpus;
	unsigned int nr_vcpus;
	void *ram;
	uint64_t ram_size;
	struct vessel_boot boot;
	struct io_bus bus;
	struct uart uart;
	struct console con;
	int status;		/* set by the debug-exit port, else RUN_AGAIN */
	struct vessel_vcpu_state state;	/* scratch, for RFLAGS at HLT */
};

/*
 * Shared with the signal handler: the signal that asks us to stop, and the
 * run page whose immediate_exit closes the race with entering the guest.
 * Lock-free C11 atomics are safe to touch from a handler.
 */
static _Atomic int run_stop_signal;
static struct vessel_run *_Atomic run_page;

static void run_verror(const char *fmt, va_list ap)
{
	fputs("vessel run: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__printf(1, 2)
static void run_error(const char *fmt, ...)
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
	OPT_STATS,
	OPT_PARAVIRT,
};

static const struct option run_options[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "paravirt", required_argument, NULL, OPT_PARAVIRT },
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
	case OPT_STATS:
		o->stats = true;
		return 0;
	case OPT_PARAVIRT:
		return parse_paravirt(optarg, o);
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
static int vmm_load_image(struct vmm *vmm, const struct run_opts *o)
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
 * Create @cpus vCPUs. Only vCPU 0 is given the boot state and run: the
 * others wait for an INIT/SIPI that nothing can send until the kernel
 * has a local APIC.
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
	return 0;

err_close:
	vmm_close_vcpus(vmm);
	return VESSEL_EXIT_FAILURE;
}

static int vmm_create_vm(struct vmm *vmm, const struct run_opts *o)
{
	if (vessel_vm_create_pv(&vmm->sys, &vmm->vm, 0, o->pv_provider,
				o->pv_version)) {
		if (errno == EINVAL && o->pv_version)
			run_error("--paravirt %s:%u: no such interface version",
				  pv_providers[o->pv_provider].name,
				  o->pv_version);
		else
			run_error("cannot create a VM: %s", strerror(errno));
		return VESSEL_EXIT_FAILURE;
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
	vessel_vm_close(&vmm->vm);
	return VESSEL_EXIT_FAILURE;
}

/* ---- Console: the terminal behind the UART ---------------------------- */

static void console_flush(struct console *con)
{
	size_t done = 0;
	ssize_t n;

	while (done < con->out_len && !con->out_broken) {
		n = write(STDOUT_FILENO, con->out + done, con->out_len - done);
		if (n < 0 && errno != EINTR)
			con->out_broken = true;	/* e.g. EPIPE: nobody reads */
		else if (n > 0)
			done += n;
	}
	con->out_len = 0;
}

static void console_tx(void *opaque, uint8_t byte)
{
	struct console *con = opaque;

	if (con->out_len == sizeof(con->out))
		console_flush(con);
	con->out[con->out_len++] = byte;
	con->mid_line = byte != '\n';
}

/*
 * A message while the guest runs: after the guest's output so far, and on
 * a line of its own where both go to the same terminal.
 */
__printf(2, 3)
static void console_error(struct console *con, const char *fmt, ...)
{
	va_list ap;

	console_flush(con);
	if (con->mid_line && isatty(STDERR_FILENO))
		fputc('\n', stderr);
	con->mid_line = false;
	va_start(ap, fmt);
	run_verror(fmt, ap);
	va_end(ap);
}

/*
 * A terminal hands over each key as it is typed, unechoed and untranslated
 * (Enter stays '\r', as on a serial line). ISIG stays on, so ^C still
 * stops vessel rather than reaching the guest.
 */
static void console_open(struct console *con)
{
	struct termios t;

	con->in_open = true;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &con->saved))
		return;
	t = con->saved;
	t.c_lflag &= ~(ICANON | ECHO | ECHONL | IEXTEN);
	t.c_iflag &= ~(ICRNL | INLCR | IGNCR | IXON);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	con->tty_raw = !tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void console_close(struct console *con)
{
	console_flush(con);
	if (con->tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &con->saved);
	con->tty_raw = false;
}

/*
 * Move what stdin has, up to what the UART can queue, into the UART,
 * waiting up to @timeout_ms for it. With nothing to read from, just wait:
 * a halted guest must not turn into a busy loop.
 */
static void console_input(struct console *con, struct uart *uart,
			  int timeout_ms)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	unsigned int room = uart_rx_space(uart), i;
	uint8_t buf[UART_RX_FIFO_SIZE];
	ssize_t n;

	if (!con->in_open || !room) {
		if (timeout_ms)
			poll(NULL, 0, timeout_ms);
		return;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return;
	n = read(STDIN_FILENO, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n <= 0) {
		if (!n || errno != EINTR)
			con->in_open = false;
		return;
	}
	for (i = 0; i < (unsigned int)n; i++)
		uart_rx_push(uart, buf[i]);
}

/* ---- Devices ---------------------------------------------------------- */

/* Wider accesses reach consecutive registers, as on an 8-bit ISA device. */
static void com1_io(void *opaque, uint64_t offset, bool is_write,
		    uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		uart_io(opaque, offset + i, is_write, &data[i]);
}

/*
 * QEMU's isa-debug-exit: writing CODE makes the exit status (CODE << 1) | 1,
 * odd so that no guest can fake a clean 0. The port is a 32-bit register
 * whose unwritten bytes read as 0, so outb, outw and outl of CODE at 0xf4
 * all mean the same. Reads return 0.
 */
static void debug_exit_io(void *opaque, uint64_t offset, bool is_write,
			  uint8_t *data, uint32_t len)
{
	struct vmm *vmm = opaque;
	uint32_t code = 0;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	/* The bus only hands us accesses inside our 4 bytes. */
	memcpy((uint8_t *)&code + offset, data, len);
	vmm->status = ((code << 1) | 1) & 0xff;
}

static int vmm_add_devices(struct vmm *vmm)
{
	int r;

	uart_init(&vmm->uart, console_tx, &vmm->con);
	r = io_register_port(&vmm->bus, COM1_BASE, UART_NR_PORTS, com1_io,
			     &vmm->uart);
	if (!r)
		r = io_register_port(&vmm->bus, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN,
				     debug_exit_io, vmm);
	if (r) {
		run_error("cannot register the devices: %s", strerror(-r));
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}

/* ---- Exits ------------------------------------------------------------ */

static int run_exit_io(struct vmm *vmm)
{
	struct vessel_run *run = vmm->vcpus[0].run;
	uint64_t page = sysconf(_SC_PAGESIZE);
	uint64_t bytes = (uint64_t)run->io.count * run->io.size;
	uint8_t *data;
	uint32_t i;

	/* The kernel is trusted, but a bad offset would corrupt our memory. */
	if ((run->io.size != 1 && run->io.size != 2 && run->io.size != 4) ||
	    run->io.data_offset > page || bytes > page - run->io.data_offset) {
		console_error(&vmm->con,
			      "malformed I/O exit: port %#x, %u x %u bytes at offset %u",
			      run->io.port, run->io.count, run->io.size,
			      run->io.data_offset);
		return VESSEL_EXIT_FAILURE;
	}
	data = (uint8_t *)run + run->io.data_offset;
	/* String and REP I/O: one access per element, all at the same port. */
	for (i = 0; i < run->io.count; i++)
		io_port_dispatch(&vmm->bus, run->io.port,
				 run->io.direction == VESSEL_IO_OUT,
				 run->io.size, data + i * run->io.size);
	return vmm->status >= 0 ? vmm->status : RUN_AGAIN;
}

static int run_exit_mmio(struct vmm *vmm)
{
	struct vessel_run *run = vmm->vcpus[0].run;

	if (!run->mmio.len || run->mmio.len > sizeof(run->mmio.data)) {
		console_error(&vmm->con,
			      "malformed MMIO exit: %u bytes at %#" PRIx64,
			      run->mmio.len, (uint64_t)run->mmio.gpa);
		return VESSEL_EXIT_FAILURE;
	}
	io_mmio_dispatch(&vmm->bus, run->mmio.gpa, run->mmio.is_write,
			 run->mmio.len, run->mmio.data);
	return RUN_AGAIN;
}

/*
 * With interrupts disabled nothing can wake the guest: it has hung, as
 * guests do on purpose after a panic. Otherwise it waits for an interrupt
 * we cannot send yet (no interrupt controller), so give it what it most
 * likely waits for, input, and re-enter as if one had come.
 */
static int run_exit_hlt(struct vmm *vmm)
{
	if (vessel_vcpu_get_state(&vmm->vcpus[0], &vmm->state,
				  VESSEL_STATE_GPRS)) {
		console_error(&vmm->con,
			      "cannot read the registers of vCPU 0: %s",
			      strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	if (!(vmm->state.gprs.rflags & RFLAGS_IF)) {
		console_error(&vmm->con,
			      "guest halted with interrupts disabled at rip %#" PRIx64,
			      (uint64_t)vmm->state.gprs.rip);
		return VESSEL_EXIT_FAILURE;
	}
	console_input(&vmm->con, &vmm->uart, HLT_WAIT_MS);
	return RUN_AGAIN;
}

static int run_exit_shutdown(struct vmm *vmm)
{
	console_error(&vmm->con, "guest triple-faulted (shutdown)");
	return VESSEL_EXIT_FAILURE;
}

static const char *internal_error_name(uint32_t suberror)
{
	static const char * const names[] = {
		[VESSEL_INTERNAL_ENTRY_FAILED] = "VM entry failed",
		[VESSEL_INTERNAL_UNEXPECTED_EXIT] = "unexpected VM exit",
		[VESSEL_INTERNAL_EMULATION] = "instruction not emulated",
		[VESSEL_INTERNAL_MEMORY_FAULT] = "guest memory unusable",
	};

	if (suberror < ARRAY_SIZE(names) && names[suberror])
		return names[suberror];
	return "unknown";
}

static int run_exit_internal(struct vmm *vmm)
{
	struct vessel_run *run = vmm->vcpus[0].run;
	uint32_t i, n = run->internal.ndata;
	char data[16 * 20] = "", *p = data;

	if (n > ARRAY_SIZE(run->internal.data))
		n = ARRAY_SIZE(run->internal.data);
	for (i = 0; i < n; i++)
		p += sprintf(p, " %#" PRIx64, (uint64_t)run->internal.data[i]);
	console_error(&vmm->con, "internal error %u (%s), data:%s",
		      run->internal.suberror,
		      internal_error_name(run->internal.suberror), data);
	return VESSEL_EXIT_FAILURE;
}

/* We register no user MSRs, so the kernel has broken its word. */
static int run_exit_msr(struct vmm *vmm)
{
	struct vessel_run *run = vmm->vcpus[0].run;

	console_error(&vmm->con,
		      "internal error: %s of MSR %#x exited to userspace, but none were asked for",
		      run->msr.is_write ? "WRMSR" : "RDMSR", run->msr.index);
	return VESSEL_EXIT_FAILURE;
}

/* Hyper-V RESET MSR: there is no reboot here, so the VM ends. */
static int run_exit_pv_reset(struct vmm *vmm)
{
	console_error(&vmm->con, "guest asked for a reset; stopping the VM");
	return VESSEL_EXIT_OK;
}

/* Hyper-V crash MSRs: P0-P4 and CRASH_CTL, as the guest left them. */
static int run_exit_pv_crash(struct vmm *vmm)
{
	const __u64 *d = vmm->vcpus[0].run->paravirt.data;

	console_error(&vmm->con,
		      "guest crashed: %#" PRIx64 " %#" PRIx64 " %#" PRIx64
		      " %#" PRIx64 " %#" PRIx64, (uint64_t)d[0], (uint64_t)d[1],
		      (uint64_t)d[2], (uint64_t)d[3], (uint64_t)d[4]);
	return VESSEL_EXIT_FAILURE;
}

#define HV_POST_DEBUG_DATA	0x69
#define HV_STATUS_INVALID_PARAMETER	5

/*
 * Hyper-V debugging hypercalls: data the guest posts goes to stderr; no
 * debugger sends anything back, so retrieval returns no bytes.
 */
static int run_exit_pv_debug(struct vmm *vmm)
{
	struct vessel_run *run = vmm->vcpus[0].run;
	uint64_t in = run->paravirt.data[1], out = run->paravirt.data[2];
	uint8_t *ram = vmm->ram;
	uint32_t count;

	if (in > vmm->ram_size - 8 || out > vmm->ram_size - 8) {
		run->paravirt.ret = HV_STATUS_INVALID_PARAMETER;
		return RUN_AGAIN;
	}
	memset(ram + out, 0, 8);
	if (run->paravirt.data[0] == HV_POST_DEBUG_DATA) {
		memcpy(&count, ram + in, sizeof(count));
		if (count > vmm->ram_size - in - 8) {
			run->paravirt.ret = HV_STATUS_INVALID_PARAMETER;
			return RUN_AGAIN;
		}
		if (fwrite(ram + in + 8, 1, count, stderr) != count)
			count = 0;
	}
	run->paravirt.ret = 0;
	return RUN_AGAIN;
}

typedef int (*run_exit_fn)(struct vmm *vmm);

static const run_exit_fn run_exit_handlers[] = {
	[VESSEL_EXIT_IO] = run_exit_io,
	[VESSEL_EXIT_MMIO] = run_exit_mmio,
	[VESSEL_EXIT_HLT] = run_exit_hlt,
	[VESSEL_EXIT_SHUTDOWN] = run_exit_shutdown,
	[VESSEL_EXIT_MSR] = run_exit_msr,
	[VESSEL_EXIT_INTERNAL_ERROR] = run_exit_internal,
	[VESSEL_EXIT_PV_RESET] = run_exit_pv_reset,
	[VESSEL_EXIT_PV_CRASH] = run_exit_pv_crash,
	[VESSEL_EXIT_PV_DEBUG] = run_exit_pv_debug,
};

/* ---- The run loop ----------------------------------------------------- */

static void run_on_signal(int sig)
{
	struct vessel_run *run = run_page;

	run_stop_signal = sig;
	/* Caught between our check and VESSEL_RUN, the signal still stops it. */
	if (run)
		run->immediate_exit = 1;
}

static void run_signals_setup(struct vessel_run *run)
{
	struct sigaction sa = { .sa_handler = run_on_signal };

	/* No SA_RESTART: VESSEL_RUN must return EINTR so we can stop. */
	sigemptyset(&sa.sa_mask);
	run_page = run;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A reader going away must not kill us with the terminal still raw. */
	signal(SIGPIPE, SIG_IGN);
}

static void run_signals_restore(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	run_page = NULL;
}

/* VESSEL_RUN came back without a guest exit: a signal or a kick. */
static int run_interrupted(struct vmm *vmm)
{
	if (run_stop_signal) {
		console_error(&vmm->con, "stopped by %s",
			      run_stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
		return 128 + run_stop_signal;
	}
	vmm->vcpus[0].run->immediate_exit = 0;
	return RUN_AGAIN;
}

static int run_one(struct vmm *vmm, struct vessel_vcpu *vcpu)
{
	struct vessel_run *run = vcpu->run;
	uint32_t reason;
	int r;

	console_flush(&vmm->con);
	console_input(&vmm->con, &vmm->uart, 0);
	if (run_stop_signal)
		return run_interrupted(vmm);
	r = vessel_vcpu_run(vcpu);
	if (r == -EINTR)
		return run_interrupted(vmm);
	if (r) {
		console_error(&vmm->con, "VESSEL_RUN failed: %s", strerror(-r));
		return VESSEL_EXIT_FAILURE;
	}
	reason = run->exit_reason;
	if (reason == VESSEL_EXIT_INTR)
		return run_interrupted(vmm);
	if (reason >= ARRAY_SIZE(run_exit_handlers) ||
	    !run_exit_handlers[reason]) {
		console_error(&vmm->con,
			      "unknown exit reason %u from VESSEL_RUN", reason);
		return VESSEL_EXIT_FAILURE;
	}
	return run_exit_handlers[reason](vmm);
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

static void run_print_stats(struct vmm *vmm)
{
	struct vessel_counters c;
	unsigned int i;

	if (vessel_vcpu_get_counters(&vmm->vcpus[0], &c)) {
		run_error("cannot read the exit counters: %s", strerror(errno));
	} else {
		fprintf(stderr, "runs %" PRIu64 ", VM entries %" PRIu64 "\n",
			(uint64_t)c.runs, (uint64_t)c.entries);
		for (i = 0; i < VESSEL_NR_USER_EXITS; i++)
			if (c.user_exits[i])
				fprintf(stderr, "  exit to userspace %-20s %" PRIu64 "\n",
					vessel_exit_name(i),
					(uint64_t)c.user_exits[i]);
		for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++)
			if (c.vmx_exits[i])
				fprintf(stderr, "  vmx exit %2u %-20s %" PRIu64 "\n",
					i, vmx_exit_name(i),
					(uint64_t)c.vmx_exits[i]);
	}
	fprintf(stderr, "unclaimed port I/O: %" PRIu64 " reads, %" PRIu64 " writes\n",
		vmm->bus.port.unclaimed_reads, vmm->bus.port.unclaimed_writes);
	fprintf(stderr, "unclaimed MMIO:     %" PRIu64 " reads, %" PRIu64 " writes\n",
		vmm->bus.mmio.unclaimed_reads, vmm->bus.mmio.unclaimed_writes);
}

static int vmm_run(struct vmm *vmm, bool stats)
{
	struct vessel_vcpu *vcpu = &vmm->vcpus[0];
	int status;

	io_bus_init(&vmm->bus);
	vmm->status = RUN_AGAIN;
	status = vmm_add_devices(vmm);
	if (status)
		goto out_free_bus;

	console_open(&vmm->con);
	run_signals_setup(vcpu->run);
	do {
		status = run_one(vmm, vcpu);
	} while (status == RUN_AGAIN);
	run_signals_restore();
	console_close(&vmm->con);

	if (stats)
		run_print_stats(vmm);
out_free_bus:
	io_bus_free(&vmm->bus);
	return status;
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
	status = vmm_open(vmm, &opts);
	if (status)
		goto out_free_vmm;
	status = vmm_map_ram(vmm, opts.mem);
	if (status)
		goto out_close_sys;
	status = vmm_load_image(vmm, &opts);
	if (status)
		goto out_unmap_ram;
	status = vmm_create_vm(vmm, &opts);
	if (status)
		goto out_unmap_ram;

	status = vmm_run(vmm, opts.stats);

	vmm_close_vcpus(vmm);
	vessel_vm_close(&vmm->vm);
out_unmap_ram:
	munmap(vmm->ram, vmm->ram_size);
out_close_sys:
	vessel_sys_close(&vmm->sys);
out_free_vmm:
	free(vmm);
out_free_opts:
	free(opts.modules);
	return status;
}
