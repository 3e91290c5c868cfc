// SPDX-License-Identifier: GPL-2.0
/*
 * The machine's power-on state, and the reset that puts it back.
 *
 * Power-on is what set-up made: the image, its modules and the firmware
 * tables in RAM, the devices as initialised, each vCPU's registers, local
 * APIC and MP state as they were before the first VESSEL_RUN (vCPU 0 at the
 * image's entry, the others waiting for INIT/SIPI), the paravirtual
 * provider at its reset values. The registers, APICs and MP states are
 * read back from the module once, before any vCPU runs; memory and devices
 * are made again, as firmware would make them after a reset.
 *
 * A reset (Hyper-V's RESET MSR) runs on the thread of the vCPU that asked
 * for it, with the device lock held, while every other vCPU is paused
 * (pause.c), so nothing runs while the machine changes. The devices go
 * back through their reset functions (devices.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

/* The provider, as the module names it (version 0 asked for the newest). */
static int vmm_save_provider(struct vmm *vmm)
{
	struct vessel_pv_state st;
	int r = vessel_vm_get_pv_state(&vmm->vm, &st);

	if (r)
		return r;
	vmm->pv_provider = st.provider;
	vmm->pv_version = st.version;
	return 0;
}

static int vcpu_save_power_on(struct vessel_vcpu *vcpu, bool lapic,
			      struct vmm_power_on *p)
{
	int r = vessel_vcpu_get_state(vcpu, &p->state, VESSEL_STATE_ALL);

	if (r)
		return r;
	if (!lapic)
		return 0;
	r = vessel_vcpu_get_lapic(vcpu, &p->lapic);
	if (!r)
		r = vessel_vcpu_get_mp_state(vcpu, &p->mp);
	return r;
}

int vmm_save_power_on(struct vmm *vmm)
{
	unsigned int i;
	int r;

	vmm->power_on = calloc(vmm->nr_vcpus, sizeof(*vmm->power_on));
	if (!vmm->power_on) {
		vmm_error(vmm, "out of memory");
		return VESSEL_EXIT_FAILURE;
	}
	r = vmm_save_provider(vmm);
	for (i = 0; !r && i < vmm->nr_vcpus; i++)
		r = vcpu_save_power_on(&vmm->vcpus[i], vmm->lapic,
				       &vmm->power_on[i]);
	if (r) {
		vmm_error(vmm, "cannot read the power-on state of the VM: %s",
			       strerror(-r));
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}

void vmm_free_power_on(struct vmm *vmm)
{
	free(vmm->power_on);
	vmm->power_on = NULL;
}

/*
 * Fresh zero pages: dropped pages of anonymous memory read as zero again;
 * RAM restored from a snapshot is a private mapping of the file, whose
 * dropped pages would read the file again, so it is replaced by
 * anonymous memory at the same address (the module's MMU notifier drops
 * the guest's view of the old pages).
 */
static int vmm_clear_ram(struct vmm *vmm)
{
	void *p;

	if (!vmm->ram_file)
		return madvise(vmm->ram, vmm->ram_size, MADV_DONTNEED);
	p = mmap(vmm->ram, vmm->ram_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	vmm->ram_file = false;
	madvise(vmm->ram, vmm->ram_size, MADV_HUGEPAGE);
	return 0;
}

/* Fresh zero pages, then the image and tables again, as on first boot. */
static int vmm_reload_memory(struct vmm *vmm)
{
	int status;

	if (vmm_clear_ram(vmm)) {
		console_error(&vmm->con, "reset: cannot clear guest memory: %s",
			      strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	console_flush(&vmm->con);
	status = vmm_load_image(vmm);
	if (!status && vmm->lapic)
		status = vmm_write_tables(vmm, vmm->nr_vcpus);
	return status;
}

static int vmm_reset_provider(struct vmm *vmm)
{
	struct vessel_pv_state st = {
		.flags = VESSEL_PV_STATE_RESET,
		.provider = vmm->pv_provider,
		.version = vmm->pv_version,
	};
	unsigned int i;
	int r = vessel_vm_set_pv_state(&vmm->vm, &st);

	for (i = 0; !r && i < vmm->nr_vcpus; i++)
		r = vessel_vcpu_set_pv_state(&vmm->vcpus[i], &st);
	return r;
}

/* Registers first: setting them also drops an exit left to complete. */
static int vcpu_restore_power_on(struct vessel_vcpu *vcpu, bool lapic,
				 struct vmm_power_on *p)
{
	int r = vessel_vcpu_set_state(vcpu, &p->state, VESSEL_STATE_ALL);

	if (r)
		return r;
	if (!lapic)
		return 0;
	r = vessel_vcpu_set_lapic(vcpu, &p->lapic);
	if (!r)
		r = vessel_vcpu_set_mp_state(vcpu, &p->mp);
	return r;
}

/* The whole machine back to power-on; every other vCPU is parked. */
static int vmm_power_on(struct vmm *vmm)
{
	unsigned int i;
	int r, status;

	status = vmm_reload_memory(vmm);
	if (status)
		return status;
	vmm_reset_devices(vmm);
	r = vmm_reset_provider(vmm);
	for (i = 0; !r && i < vmm->nr_vcpus; i++)
		r = vcpu_restore_power_on(&vmm->vcpus[i], vmm->lapic,
					  &vmm->power_on[i]);
	if (r) {
		console_error(&vmm->con, "reset: cannot put the vCPUs back to power-on: %s",
			      strerror(-r));
		return VESSEL_EXIT_FAILURE;
	}
	vmm->resets++;
	/* The UART's FIFO is empty again: stdin may go on. */
	vmm_wake_main(vmm);
	return RUN_AGAIN;
}

/**
 * vmm_reset_locked() - reset the machine for vCPU thread @t
 *
 * Returns RUN_AGAIN, or the exit status that ends the VM when the reset
 * failed. A reset asked for while another is under way waits for it, and
 * is done by it.
 */
int vmm_reset_locked(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;
	uint64_t resets = vmm->resets;
	int r, status;

	while ((r = vmm_pause_locked(vmm, t)) == -EBUSY)
		if (vmm->resets != resets)
			return RUN_AGAIN;
	if (r)
		return RUN_AGAIN;	/* the VM is stopping */
	status = vmm_power_on(vmm);
	vmm_resume_locked(vmm);
	return status;
}
