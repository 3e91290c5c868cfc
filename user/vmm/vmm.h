/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The machine, as a library: build it from a struct vm_config, run it
 * until it stops, print what it counted, destroy it. Nothing here knows
 * a command line; `vessel run` (cmd/run.c) fills the config from its
 * options, and so can any later command that builds a machine.
 *
 * Messages go to stderr, one line each, prefixed with the config's name
 * ("vessel run: ..."); they name a setting by the option that sets it
 * (--mem, --cpus, ...), which is what a user can change.
 */
#ifndef VESSEL_VMM_H
#define VESSEL_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <vessel.h>

#include "boot/loader.h"

/* Exit statuses a machine (and the tool) ends with; scripts rely on them. */
#define VESSEL_EXIT_OK		0
#define VESSEL_EXIT_FAILURE	1	/* the command failed */
#define VESSEL_EXIT_USAGE	2	/* bad command line */
#define VESSEL_EXIT_NODEV	3	/* no usable /dev/vessel */

/* Who emulates the interrupt controllers. */
enum vm_irqchip {
	VM_IRQCHIP_AUTO,	/* the module's APIC if it has one, else none */
	VM_IRQCHIP_KERNEL,	/* the module's APIC, or fail */
	VM_IRQCHIP_NONE,	/* no interrupt controller: the UART is polled */
};

/* A multiboot module: a file and the command line the guest sees. */
struct vm_module {
	const char *path;
	const char *cmdline;	/* NULL: none */
};

/*
 * What to build. The strings and @modules are the caller's and must
 * outlive the machine: a reset reads the image and modules again.
 */
struct vm_config {
	const char *name;	/* the prefix of every message */
	uint64_t mem;		/* bytes of RAM, page aligned */
	unsigned int cpus;
	const char *image;
	enum vessel_image_format format;
	const char *cmdline;	/* Linux or multiboot; NULL: none */
	const char *initrd;	/* Linux's initial ramdisk file, or NULL */
	const struct vm_module *modules;
	unsigned int nr_modules;
	enum vm_irqchip irqchip;
	uint32_t pv_provider;	/* VESSEL_PV_* */
	uint32_t pv_version;	/* 0: the newest */
	const char *hv_debug;	/* the Hyper-V debugger's link, or NULL */
	/* Lifecycle (Documentation/lifecycle.rst): */
	const char *control;	/* the control socket's path, or NULL */
	unsigned int cpu_cap;	/* % of a host CPU per vCPU, 1-100; 0: 100 */
	bool power_off_on_reset;	/* a guest reset powers off instead */
};

/* The paravirtual providers by name, in VESSEL_PV_* order. */
struct vm_pv_provider {
	const char *name;
	uint32_t provider;
	uint64_t cap;		/* the VESSEL_CAP_* that offers it */
};

#define VM_NR_PV_PROVIDERS	4
extern const struct vm_pv_provider vm_pv_providers[VM_NR_PV_PROVIDERS];

struct vmm;

/*
 * vmm_create() - open /dev/vessel and build the machine @cfg describes,
 * with its image loaded and its vCPUs at power-on, ready to run.
 * Returns 0 with *@vmm set, or an exit status after saying what is wrong
 * (VESSEL_EXIT_USAGE when the config asks for what cannot be had).
 */
int vmm_create(const struct vm_config *cfg, struct vmm **vmm);

/*
 * vmm_run() - run the machine until it stops: from vCPU 0's entry, one
 * thread per vCPU, the UART on this terminal, the control socket if the
 * config has one, until the guest ends it, a vCPU fails, a client powers
 * it off or SIGINT/SIGTERM arrives. Returns the exit status. Once per
 * machine.
 */
int vmm_run(struct vmm *vmm);

/*
 * What the module and the machine counted, to stderr (--stats); nothing
 * if vmm_run() failed before the machine ran.
 */
void vmm_print_stats(struct vmm *vmm);

void vmm_destroy(struct vmm *vmm);

/* The name of a basic VM-exit reason (SDM Vol. 3 Appendix C), or "other". */
const char *vmm_vmx_exit_name(unsigned int reason);

#endif /* VESSEL_VMM_H */
