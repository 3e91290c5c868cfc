// SPDX-License-Identifier: GPL-2.0
/*
 * The machine: the exits VESSEL_RUN returns to userspace, one handler each,
 * found through one table.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * Exit handlers run on the vCPU's thread with vmm->lock held and return
 * RUN_AGAIN or the exit status that ends the VM.
 */

/* A message about one vCPU; in a VM with several, it says which. */
__printf(2, 3)
void vcpu_error(struct vcpu_thread *t, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->vmm->nr_vcpus > 1)
		console_error(&t->vmm->con, "vCPU %u: %s", t->id, msg);
	else
		console_error(&t->vmm->con, "%s", msg);
}

static int run_exit_io(struct vcpu_thread *t)
{
	struct vessel_run *run = t->vcpu->run;
	uint64_t page = sysconf(_SC_PAGESIZE);
	uint64_t bytes = (uint64_t)run->io.count * run->io.size;
	struct vmm *vmm = t->vmm;
	uint8_t *data;
	uint32_t i;

	/* The kernel is trusted, but a bad offset would corrupt our memory. */
	if ((run->io.size != 1 && run->io.size != 2 && run->io.size != 4) ||
	    run->io.data_offset > page || bytes > page - run->io.data_offset) {
		vcpu_error(t, "malformed I/O exit: port %#x, %u x %u bytes at offset %u",
			   run->io.port, run->io.count, run->io.size,
			   run->io.data_offset);
		return VESSEL_EXIT_FAILURE;
	}
	data = (uint8_t *)run + run->io.data_offset;
	/*
	 * String and REP I/O: one access per element, all at the same port;
	 * none after one that ended the VM (the debug-exit port).
	 */
	for (i = 0; i < run->io.count && !vmm->stopping; i++)
		io_port_dispatch(&vmm->bus, run->io.port,
				 run->io.direction == VESSEL_IO_OUT,
				 run->io.size, data + i * run->io.size);
	return RUN_AGAIN;
}

static int run_exit_mmio(struct vcpu_thread *t)
{
	struct vessel_run *run = t->vcpu->run;

	if (!run->mmio.len || run->mmio.len > sizeof(run->mmio.data)) {
		vcpu_error(t, "malformed MMIO exit: %u bytes at %#" PRIx64,
			   run->mmio.len, (uint64_t)run->mmio.gpa);
		return VESSEL_EXIT_FAILURE;
	}
	io_mmio_dispatch(&t->vmm->bus, run->mmio.gpa, run->mmio.is_write,
			 run->mmio.len, run->mmio.data);
	return RUN_AGAIN;
}

/*
 * Only a VM without an in-kernel APIC (one vCPU) sees HLT. With interrupts
 * disabled nothing can wake the guest: it has hung, as guests do on
 * purpose after a panic. Otherwise it waits for an interrupt we cannot
 * send (no interrupt controller), so give it what it most likely waits
 * for, input, and re-enter when some comes (the main thread signals
 * input_cond), or after HLT_WAIT_MS as if it had.
 */
static int run_exit_hlt(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;
	struct timespec until;

	if (vessel_vcpu_get_state(t->vcpu, &vmm->state, VESSEL_STATE_GPRS)) {
		vcpu_error(t, "cannot read the registers of vCPU %u: %s",
			   t->id, strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	if (!(vmm->state.gprs.rflags & RFLAGS_IF)) {
		vcpu_error(t, "guest halted with interrupts disabled at rip %#" PRIx64,
			   (uint64_t)vmm->state.gprs.rip);
		return VESSEL_EXIT_FAILURE;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += HLT_WAIT_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&vmm->input_cond, &vmm->lock, &until);
	return RUN_AGAIN;
}

static int run_exit_shutdown(struct vcpu_thread *t)
{
	vcpu_error(t, "guest triple-faulted (shutdown)");
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

static int run_exit_internal(struct vcpu_thread *t)
{
	struct vessel_run *run = t->vcpu->run;
	uint32_t i, n = run->internal.ndata;
	char data[16 * 20] = "", *p = data;

	if (n > ARRAY_SIZE(run->internal.data))
		n = ARRAY_SIZE(run->internal.data);
	for (i = 0; i < n; i++)
		p += sprintf(p, " %#" PRIx64, (uint64_t)run->internal.data[i]);
	vcpu_error(t, "internal error %u (%s), data:%s",
		   run->internal.suberror,
		   internal_error_name(run->internal.suberror), data);
	return VESSEL_EXIT_FAILURE;
}

/* We register no user MSRs, so the kernel has broken its word. */
static int run_exit_msr(struct vcpu_thread *t)
{
	struct vessel_run *run = t->vcpu->run;

	vcpu_error(t, "internal error: %s of MSR %#x exited to userspace, but none were asked for",
		   run->msr.is_write ? "WRMSR" : "RDMSR", run->msr.index);
	return VESSEL_EXIT_FAILURE;
}

/*
 * The guest's local APIC ended a level-triggered vector: the I/O APIC
 * clears Remote IRR of the entries with that vector and sends again those
 * whose line is still asserted. The kernel has already completed the EOI.
 */
static int run_exit_eoi(struct vcpu_thread *t)
{
	ioapic_eoi(&t->vmm->ioapic, t->vcpu->run->eoi.vector);
	return RUN_AGAIN;
}

/* Hyper-V RESET MSR: the whole machine starts again from power-on. */
static int run_exit_pv_reset(struct vcpu_thread *t)
{
	return vmm_reset_locked(t);
}

/* Hyper-V crash MSRs: P0-P4 and CRASH_CTL, as the guest left them. */
static int run_exit_pv_crash(struct vcpu_thread *t)
{
	const __u64 *d = t->vcpu->run->paravirt.data;

	vcpu_error(t, "guest crashed: %#" PRIx64 " %#" PRIx64 " %#" PRIx64
		   " %#" PRIx64 " %#" PRIx64, (uint64_t)d[0], (uint64_t)d[1],
		   (uint64_t)d[2], (uint64_t)d[3], (uint64_t)d[4]);
	return VESSEL_EXIT_FAILURE;
}

#define HV_POST_MESSAGE		0x5c
#define HV_SIGNAL_EVENT		0x5d
#define HV_STATUS_INVALID_CONNECTION_ID	18

/*
 * Hyper-V's debugger calls go over the --hv-debug link (hw/hv_debug.h);
 * a retrieval may wait for the debugger, so without the device lock.
 * Messages and events to IDs the kernel does not route: no device here.
 */
static int run_exit_pv_debug(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;
	struct vessel_run *run = t->vcpu->run;
	uint64_t code = run->paravirt.data[0];

	if (code == HV_POST_MESSAGE || code == HV_SIGNAL_EVENT) {
		run->paravirt.ret = HV_STATUS_INVALID_CONNECTION_ID;
		return RUN_AGAIN;
	}
	pthread_mutex_unlock(&vmm->lock);
	run->paravirt.ret = hv_debug_call(&vmm->hv_debug, vmm->ram,
					  vmm->ram_size, code,
					  run->paravirt.data[1],
					  run->paravirt.data[2]);
	pthread_mutex_lock(&vmm->lock);
	return RUN_AGAIN;
}

typedef int (*run_exit_fn)(struct vcpu_thread *t);

static const run_exit_fn run_exit_handlers[] = {
	[VESSEL_EXIT_IO] = run_exit_io,
	[VESSEL_EXIT_MMIO] = run_exit_mmio,
	[VESSEL_EXIT_HLT] = run_exit_hlt,
	[VESSEL_EXIT_SHUTDOWN] = run_exit_shutdown,
	[VESSEL_EXIT_MSR] = run_exit_msr,
	[VESSEL_EXIT_INTERNAL_ERROR] = run_exit_internal,
	[VESSEL_EXIT_EOI] = run_exit_eoi,
	[VESSEL_EXIT_PV_RESET] = run_exit_pv_reset,
	[VESSEL_EXIT_PV_CRASH] = run_exit_pv_crash,
	[VESSEL_EXIT_PV_DEBUG] = run_exit_pv_debug,
};

/* ---- The vCPU threads ------------------------------------------------- */

/* Handle the exit in t->vcpu->run, with the lock held. */
int run_exit(struct vcpu_thread *t)
{
	uint32_t reason = t->vcpu->run->exit_reason;
	int r;

	/* Another vCPU ended the VM while we waited for the lock. */
	if (t->vmm->stopping)
		return RUN_AGAIN;
	if (reason >= ARRAY_SIZE(run_exit_handlers) ||
	    !run_exit_handlers[reason]) {
		vcpu_error(t, "unknown exit reason %u from VESSEL_RUN", reason);
		return VESSEL_EXIT_FAILURE;
	}
	r = run_exit_handlers[reason](t);
	/* A device asked for a reset (power.c's registers, the 8042). */
	if (r == RUN_AGAIN && t->vmm->reset_requested) {
		t->vmm->reset_requested = false;
		r = vmm_reset_locked(t);
	}
	if (r == RUN_AGAIN && t->vmm->irq_error)
		r = run_irq_failed(t->vmm);
	return r;
}
