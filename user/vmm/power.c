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
 * (pause.c), so nothing runs while the machine changes; one the control
 * socket asks for runs on the main thread the same way. The devices go
 * back through their reset functions (devices.c). A hard reset is a power
 * cycle (RAM cleared); a soft one keeps RAM, as a PC's reset line does
 * (Documentation/lifecycle.rst).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <json-c/json.h>

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

/*
 * The image and tables again, as firmware would load them after a reset:
 * on fresh zero pages after a hard reset (a power cycle); over what the
 * guest left in RAM after a soft one, as RAM keeps its contents across a
 * PC's reset line.
 */
static int vmm_reload_memory(struct vmm *vmm, bool hard)
{
	int status;

	if (hard && vmm_clear_ram(vmm)) {
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

/*
 * The whole machine back to power-on, every other vCPU parked; RAM
 * cleared first by a hard reset. Returns RUN_AGAIN or the exit status
 * that ends the VM.
 */
static int vmm_power_on(struct vmm *vmm, bool hard)
{
	unsigned int i;
	int r, status;

	status = vmm_reload_memory(vmm, hard);
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
	vmm->reset_gen++;
	if (hard)
		vmm->lc.hard_resets++;
	else
		vmm->lc.soft_resets++;
	/* The UART's FIFO is empty again: stdin may go on. */
	vmm_wake_main(vmm);
	return RUN_AGAIN;
}

/* Into resetting, telling the watchers which reset and who asked. */
static void vmm_resetting_locked(struct vmm *vmm, bool hard, const char *by)
{
	struct json_object *d = json_object_new_object();
	char err[128];

	if (d) {
		json_object_object_add(d, "reset",
				       json_object_new_string(hard ? "hard" : "soft"));
		json_object_object_add(d, "by", json_object_new_string(by));
	}
	vmm_transition_locked(vmm, VMM_RESET, d, err, sizeof(err));
}

/**
 * vmm_reset_locked() - the guest asked for a reset (Hyper-V's RESET MSR,
 * the ACPI reset register, the 8042's reset command)
 *
 * On the thread of vCPU @t, which has completed the WRMSR: a hard reset,
 * or, with --power-off-instead-of-reset, the end of the machine (exit
 * status 0), as VirtualBox's PowerOffInsteadOfReset. Returns RUN_AGAIN,
 * or the exit status that ends the VM when the reset failed. A reset
 * asked for while another is under way waits for it, and is done by it;
 * one asked for while the machine is being suspended waits out the
 * suspend, parked here, and is done after the resume.
 */
int vmm_reset_locked(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;
	uint64_t gen = vmm->reset_gen;
	char err[128];
	int r, status;

	if (vmm->cfg.power_off_on_reset) {
		console_error(&vmm->con, "the guest reset the machine: powered off instead (--power-off-instead-of-reset)");
		return VESSEL_EXIT_OK;
	}
	while ((r = vmm_pause_locked(vmm, t)) == -EBUSY)
		if (vmm->reset_gen != gen)
			return RUN_AGAIN;
	if (r)
		return RUN_AGAIN;	/* the VM is stopping */
	vmm->resets++;
	vmm_resetting_locked(vmm, true, "guest");
	status = vmm_power_on(vmm, true);
	if (status == RUN_AGAIN)
		vmm_transition_locked(vmm, VMM_DONE, NULL, err, sizeof(err));
	vmm_resume_locked(vmm);
	return status;
}

/**
 * vmm_user_reset_locked() - a reset the control socket asked for
 *
 * Soft (RAM kept) or @hard, from running or suspended, back in the state
 * it came from: a suspended machine is reset with its clocks stopped and
 * stays suspended. On the main thread. Returns 0, or -errno with @code
 * and @err set; a reset that failed has ended the machine.
 */
int vmm_user_reset_locked(struct vmm *vmm, bool hard, enum ctl_error *code,
			  char *err, size_t errlen)
{
	struct vmm_lifecycle lc = vmm->lc;
	bool was_held = vmm->held;
	int r, status;

	*code = CTL_ERR_INVALID_STATE;
	r = vmm_lc_apply(&lc, VMM_RESET, err, errlen);
	if (r)
		return r;
	*code = CTL_ERR_FAILED;
	if (!was_held) {
		while ((r = vmm_pause_locked(vmm, NULL)) == -EBUSY)
			;
		if (r) {
			snprintf(err, errlen, "the VM is stopping");
			return r;
		}
	}
	vmm_resetting_locked(vmm, hard, "user");
	status = vmm_power_on(vmm, hard);
	if (status != RUN_AGAIN) {
		snprintf(err, errlen, "the reset failed: the VM is powered off");
		if (!was_held)
			vmm_resume_locked(vmm);
		vmm_stop_locked(vmm, status);
		return -EIO;
	}
	/* Suspended: the clocks stay stopped, now at their power-on values. */
	if (was_held && vmm_clock_stop(vmm)) {
		snprintf(err, errlen, "cannot read the guest's clocks after the reset: the VM is powered off");
		vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
		return -EIO;
	}
	vmm_transition_locked(vmm, VMM_DONE, NULL, err, errlen);
	if (!was_held)
		vmm_resume_locked(vmm);
	return 0;
}

/**
 * vmm_power_button_locked() - press the guest's ACPI power button
 *
 * A Linux guest powers off cleanly on it. It needs the ACPI fixed power
 * button: the PM1 event block and the SCI, which this machine's
 * hardware-reduced ACPI (boot/acpi.c) does not have: -ENODEV, saying so.
 */
int vmm_power_button_locked(struct vmm *vmm, enum ctl_error *code, char *err,
			    size_t errlen)
{
	struct vmm_lifecycle lc = vmm->lc;
	int r;

	*code = CTL_ERR_INVALID_STATE;
	r = vmm_lc_apply(&lc, VMM_POWER_BUTTON, err, errlen);
	if (r)
		return r;
	*code = CTL_ERR_UNSUPPORTED;
	snprintf(err, errlen, "no ACPI power button on this machine");
	return -ENODEV;
}
