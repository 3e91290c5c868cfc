// SPDX-License-Identifier: GPL-2.0
/*
 * The machine: built from a struct vm_config (vmm.h), and taken apart.
 * A 16550 UART on the terminal and QEMU's isa-debug-exit port for an exit
 * status; when the module gives the VM a local APIC, also an I/O APIC, a
 * pair of 8259 PICs and MP and ACPI tables (see boot/platform.h), the
 * UART interrupting through them, and possibly several vCPUs: vCPU 0
 * starts at the image's entry, the others wait in the kernel for the
 * INIT/SIPI the guest sends them, as on a PC.
 *
 * Building: the Hyper-V debugger link and the control socket first (a
 * bad one is the user's to fix), /dev/vessel and its limits, guest RAM, the image, the VM with its
 * firmware tables, memory and vCPUs, the power-on state (power.c), then
 * the locks, the timers, the bus and the board (devices.c). Running is
 * loop.c's and vcpu.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "boot/loader.h"
#include "boot/platform.h"
#include "internal.h"

const struct vm_pv_provider vm_pv_providers[VM_NR_PV_PROVIDERS] = {
	{ "none", VESSEL_PV_NONE, 0 },
	{ "minimal", VESSEL_PV_MINIMAL, VESSEL_CAP_PV_MINIMAL },
	{ "hyperv", VESSEL_PV_HYPERV, VESSEL_CAP_PV_HYPERV },
	{ "kvm", VESSEL_PV_KVM, VESSEL_CAP_PV_KVM },
};

void vmm_verror(const char *name, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

__printf(2, 3)
void vmm_error(struct vmm *vmm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmm_verror(vmm->cfg.name, fmt, ap);
	va_end(ap);
}

/*
 * Read all of @path, refusing more than @max bytes (a guest cannot use a
 * file larger than its memory; this also stops /dev/zero). Returns a
 * malloc'ed buffer, or NULL after a one-line message.
 */
static void *read_file(struct vmm *vmm, const char *path, uint64_t max,
		       size_t *size)
{
	size_t len = 0, room = 0;
	uint8_t *buf = NULL, *p;
	ssize_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		vmm_error(vmm, "%s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (len == room) {
			room = room ? 2 * room : 1 << 16;
			p = realloc(buf, room);
			if (!p) {
				vmm_error(vmm, "%s: out of memory", path);
				goto err;
			}
			buf = p;
		}
		n = fread(buf + len, 1, room - len, f);
		len += n;
		if (len > max) {
			vmm_error(vmm, "%s: larger than the guest's %" PRIu64 " MiB of memory (--mem)",
				       path, max / MIB);
			goto err;
		}
	} while (n > 0);
	if (ferror(f)) {
		vmm_error(vmm, "%s: %s", path, strerror(errno));
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

/* Open /dev/vessel and hold the config against what it allows. */
int vmm_open(struct vmm *vmm)
{
	const struct vm_config *o = &vmm->cfg;
	const struct vessel_caps *caps = &vmm->sys.caps;
	char err[256];

	if (vessel_sys_open(&vmm->sys, err, sizeof(err))) {
		vmm_error(vmm, "%s", err);
		return VESSEL_EXIT_NODEV;
	}
	if (o->mem > caps->max_mem_bytes) {
		vmm_error(vmm, "--mem: %" PRIu64 " MiB is more than the %" PRIu64
			       " MiB per VM that %s allows", o->mem / MIB,
			       (uint64_t)caps->max_mem_bytes / MIB, VESSEL_DEVICE);
		goto err_close;
	}
	if (o->cpus > caps->max_vcpus) {
		vmm_error(vmm, "--cpus: %u is more than the %u vCPUs per VM that %s allows",
			       o->cpus, caps->max_vcpus, VESSEL_DEVICE);
		goto err_close;
	}
	if (o->pv_provider != VESSEL_PV_NONE &&
	    !(caps->flags & vm_pv_providers[o->pv_provider].cap)) {
		vmm_error(vmm, "--paravirt %s: not offered by this %s",
			       vm_pv_providers[o->pv_provider].name, VESSEL_DEVICE);
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
int vmm_load_image(struct vmm *vmm)
{
	const struct vm_config *o = &vmm->cfg;
	struct vessel_load_opts lo = {
		.format = o->format,
		.cmdline = o->cmdline,
		.nr_modules = o->nr_modules,
	};
	struct vessel_load_module *mods, initrd = { .name = o->initrd };
	unsigned int i;
	size_t len;
	char err[256];
	void *img;
	int r = VESSEL_EXIT_FAILURE;

	mods = calloc(o->nr_modules + 1, sizeof(*mods));	/* never calloc(0) */
	if (!mods) {
		vmm_error(vmm, "out of memory");
		return r;
	}
	for (i = 0; i < o->nr_modules; i++) {
		mods[i].name = o->modules[i].path;
		mods[i].cmdline = o->modules[i].cmdline;
		mods[i].data = read_file(vmm, mods[i].name, vmm->ram_size,
					 &mods[i].size);
		if (!mods[i].data)
			goto out_free_modules;
	}
	lo.modules = mods;
	if (o->initrd) {
		initrd.data = read_file(vmm, o->initrd, vmm->ram_size,
					&initrd.size);
		if (!initrd.data)
			goto out_free_modules;
		lo.initrd = &initrd;
	}

	img = read_file(vmm, o->image, vmm->ram_size, &len);
	if (!img)
		goto out_free_modules;
	if (vessel_image_load(vmm->ram, vmm->ram_size, img, len, &lo,
			      &vmm->boot, err, sizeof(err)))
		vmm_error(vmm, "%s: %s", o->image, err);
	else
		r = 0;
	free(img);
out_free_modules:
	free((void *)initrd.data);
	free_modules(mods, o->nr_modules);
	return r;
}

int vmm_map_ram(struct vmm *vmm, uint64_t size)
{
	/* NORESERVE: a 4G guest that touches 10M should cost 10M. */
	vmm->ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmm->ram == MAP_FAILED) {
		vmm->ram = NULL;
		vmm_error(vmm, "cannot map %" PRIu64 " MiB of guest memory: %s",
			       size / MIB, strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	vmm->ram_size = size;
	/* Only a hint: fewer EPT and TLB misses where THP is enabled. */
	madvise(vmm->ram, size, MADV_HUGEPAGE);
	return 0;
}

void vmm_close_vcpus(struct vmm *vmm)
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
 * The registers @boot describes, on top of what the kernel gave the new
 * vCPU for the rest (CR2, CR8, XCR0, MSRs, FPU). Returns 0 or -errno,
 * with errno set.
 */
static int vmm_set_boot_state(struct vessel_vcpu *vcpu,
			      const struct vessel_boot *boot)
{
	const uint64_t parts = VESSEL_STATE_GPRS | VESSEL_STATE_SEGS |
			       VESSEL_STATE_CRS;
	struct vessel_vcpu_state state;
	int r;

	/* Start from the kernel's values for CR2, CR8, XCR0 and the rest. */
	memset(&state, 0, sizeof(state));
	r = vessel_vcpu_get_state(vcpu, &state, parts);
	if (r)
		return r;
	r = vessel_boot_cpu_state(boot, &state);
	if (r) {
		errno = -r;
		return r;
	}
	return vessel_vcpu_set_state(vcpu, &state, parts);
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
		vmm_error(vmm, "out of memory");
		return VESSEL_EXIT_FAILURE;
	}
	for (; vmm->nr_vcpus < cpus; vmm->nr_vcpus++) {
		if (vessel_vcpu_create(&vmm->vm, vmm->nr_vcpus,
				       &vmm->vcpus[vmm->nr_vcpus])) {
			vmm_error(vmm, "cannot create vCPU %u: %s", vmm->nr_vcpus,
				       strerror(errno));
			goto err_close;
		}
	}
	if (vmm_set_boot_state(&vmm->vcpus[0], &vmm->boot)) {
		vmm_error(vmm, "cannot set the boot state of vCPU 0: %s",
			       strerror(errno));
		goto err_close;
	}
	if (vmm->lapic) {
		int r = vmm_virtual_wire(&vmm->vcpus[0]);

		if (r) {
			vmm_error(vmm, "cannot put vCPU 0's local APIC in virtual-wire mode: %s",
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

/* VESSEL_CREATE_VM with @flags and the provider the config asks for. */
static int vmm_vm_create(struct vmm *vmm, uint32_t flags)
{
	return vessel_vm_create_pv(&vmm->sys, &vmm->vm, flags,
				   vmm->cfg.pv_provider, vmm->cfg.pv_version);
}

/*
 * A VM with an in-kernel local APIC if @irqchip allows and the module has
 * one; a module without it refuses the flag with EINVAL. RAM is one slot
 * from 0, so a guest with more than ~4 GiB would have RAM where the I/O
 * APIC goes: auto then keeps the APIC-less machine it had before. That
 * machine has one vCPU: nothing could ever start a second.
 */
static int vmm_create_vm_fd(struct vmm *vmm)
{
	const struct vm_config *o = &vmm->cfg;
	enum vm_irqchip irqchip = o->irqchip;
	unsigned int cpus = o->cpus;

	if (vmm->ram_size > IOAPIC_BASE) {
		if (irqchip == VM_IRQCHIP_KERNEL) {
			vmm_error(vmm, "--irqchip kernel: guest RAM would cover the I/O APIC at %#llx; give --mem %lluM at most",
				       IOAPIC_BASE, IOAPIC_BASE / MIB);
			return VESSEL_EXIT_USAGE;
		}
		if (cpus > 1) {
			vmm_error(vmm, "--cpus %u needs a local APIC and an I/O APIC, but guest RAM would cover the I/O APIC at %#llx; give --mem %lluM at most",
				       cpus, IOAPIC_BASE, IOAPIC_BASE / MIB);
			return VESSEL_EXIT_USAGE;
		}
		irqchip = VM_IRQCHIP_NONE;
	}
	if (irqchip != VM_IRQCHIP_NONE) {
		if (!vmm_vm_create(vmm, VESSEL_VM_LAPIC)) {
			vmm->lapic = true;
			return 0;
		}
		if (errno != EINVAL || irqchip == VM_IRQCHIP_KERNEL) {
			vmm_error(vmm, "cannot create a VM with an in-kernel local APIC: %s%s",
				       strerror(errno), errno == EINVAL ?
				       " (this vessel.ko has none: try --irqchip none)" : "");
			return VESSEL_EXIT_FAILURE;
		}
		if (cpus > 1) {
			vmm_error(vmm, "--cpus %u: this vessel.ko has no local APIC, so vCPUs other than 0 could never be started (INIT/SIPI); use --cpus 1",
				       cpus);
			return VESSEL_EXIT_FAILURE;
		}
	}
	if (vmm_vm_create(vmm, 0)) {
		if (errno == EINVAL && o->pv_version)
			vmm_error(vmm, "--paravirt %s:%u: no such interface version",
				       vm_pv_providers[o->pv_provider].name,
				       o->pv_version);
		else
			vmm_error(vmm, "cannot create a VM: %s", strerror(errno));
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
		vmm_error(vmm, "--cpus %u: %s", cpus, err);
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}

static int vmm_create_vm(struct vmm *vmm)
{
	unsigned int cpus = vmm->cfg.cpus;
	int status = vmm_create_vm_fd(vmm);

	if (status)
		return status;
	if (vmm->lapic) {
		status = vmm_write_tables(vmm, cpus);
		if (status)
			goto err_close_vm_status;
	}
	/* One slot for all of RAM: the legacy hole is only a loader rule. */
	if (vessel_vm_set_memory(&vmm->vm, 0, 0, 0, vmm->ram_size, vmm->ram)) {
		vmm_error(vmm, "cannot give the VM its %" PRIu64 " MiB of memory: %s",
			       vmm->ram_size / MIB, strerror(errno));
		goto err_close_vm;
	}
	if (vmm_create_vcpus(vmm, cpus))
		goto err_close_vm;
	return 0;

err_close_vm:
	status = VESSEL_EXIT_FAILURE;
err_close_vm_status:
	vessel_vm_close(&vmm->vm);
	return status;
}

/* Before anything else is set up: a bad link is the user's to fix first. */
int vmm_open_hv_debug(struct vmm *vmm)
{
	const struct vm_config *o = &vmm->cfg;
	char err[160];
	int r;

	r = hv_debug_open(&vmm->hv_debug, o->hv_debug, err, sizeof(err));
	if (!r)
		return 0;
	if (o->hv_debug)
		vmm_error(vmm, "--hv-debug %s: %s", o->hv_debug, err);
	else
		vmm_error(vmm, "%s", err);
	return r == -EINVAL ? VESSEL_EXIT_USAGE : VESSEL_EXIT_FAILURE;
}

/* The lock, the condition variable and the eventfd; 0 or an exit status. */
int vmm_sync_init(struct vmm *vmm)
{
	pthread_condattr_t attr;

	vmm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vmm->wake_fd < 0) {
		vmm_error(vmm, "eventfd: %s", strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	pthread_mutex_init(&vmm->lock, NULL);
	/* Timed waits on the monotonic clock: the wall clock may jump. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&vmm->input_cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&vmm->pause_cond, NULL);
	return 0;
}

void vmm_sync_free(struct vmm *vmm)
{
	pthread_cond_destroy(&vmm->input_cond);
	pthread_cond_destroy(&vmm->pause_cond);
	pthread_mutex_destroy(&vmm->lock);
	close(vmm->wake_fd);
}

int vmm_create(const struct vm_config *cfg, struct vmm **out)
{
	struct vmm *vmm;
	int status, r;

	/* Holds a whole vCPU state: too big for the stack. */
	vmm = calloc(1, sizeof(*vmm));
	if (!vmm) {
		fprintf(stderr, "%s: out of memory\n", cfg->name);
		return VESSEL_EXIT_FAILURE;
	}
	vmm->cfg = *cfg;
	vmm->con.name = cfg->name;
	vmm_lc_init(&vmm->lc);
	atomic_init(&vmm->cpu_cap, cfg->cpu_cap ? cfg->cpu_cap : 100);
	status = vmm_open_hv_debug(vmm);
	if (status)
		goto err_free_vmm;
	status = vmm_control_open(vmm);
	if (status)
		goto err_close_hv_debug;
	status = vmm_open(vmm);
	if (status)
		goto err_close_control;
	status = vmm_map_ram(vmm, cfg->mem);
	if (status)
		goto err_close_sys;
	status = vmm_load_image(vmm);
	if (status)
		goto err_unmap_ram;
	status = vmm_create_vm(vmm);
	if (status)
		goto err_unmap_ram;
	status = vmm_save_power_on(vmm);
	if (status)
		goto err_close_vm;
	status = vmm_sync_init(vmm);
	if (status)
		goto err_free_power_on;
	r = vmm_timers_init(&vmm->timers);
	if (r) {
		vmm_error(vmm, "timerfd: %s", strerror(-r));
		status = VESSEL_EXIT_FAILURE;
		goto err_free_sync;
	}
	io_bus_init(&vmm->bus);
	status = vmm_add_devices(vmm);
	if (status)
		goto err_free_bus;
	*out = vmm;
	return 0;

err_free_bus:
	io_bus_free(&vmm->bus);
	vmm_timers_free(&vmm->timers);
err_free_sync:
	vmm_sync_free(vmm);
err_free_power_on:
	vmm_free_power_on(vmm);
err_close_vm:
	vmm_close_vcpus(vmm);
	vessel_vm_close(&vmm->vm);
err_unmap_ram:
	munmap(vmm->ram, vmm->ram_size);
err_close_sys:
	vessel_sys_close(&vmm->sys);
err_close_control:
	vmm_control_close(vmm);
err_close_hv_debug:
	hv_debug_close(&vmm->hv_debug);
err_free_vmm:
	free(vmm);
	return status;
}

void vmm_destroy(struct vmm *vmm)
{
	vmm_control_close(vmm);
	vmm_clock_free(vmm);
	io_bus_free(&vmm->bus);
	vmm_timers_free(&vmm->timers);
	vmm_sync_free(vmm);
	vmm_free_power_on(vmm);
	vmm_close_vcpus(vmm);
	vessel_vm_close(&vmm->vm);
	munmap(vmm->ram, vmm->ram_size);
	vessel_sys_close(&vmm->sys);
	hv_debug_close(&vmm->hv_debug);
	vmm_free_restored(vmm);
	free(vmm);
}
