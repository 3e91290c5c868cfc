// SPDX-License-Identifier: GPL-2.0
/*
 * The board: which device sits at which port, address and IRQ. COM1, the
 * CMOS clock, the power controls (ACPI sleep and reset registers, the
 * 8042's reset line), pvpanic and the debug-exit port always; with an
 * in-kernel local APIC, the I/O APIC and the 8259 pair too, with COM1
 * interrupting through both. Each model
 * puts its own ranges on the bus (hw/); what is wired here is where, and
 * where its interrupts and its exit request go. Every device with state
 * also goes into the device table, through which the machine resets it
 * (and will save and load it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "boot/platform.h"
#include "internal.h"

/* ---- Interrupt controllers ------------------------------------------- */

/*
 * Every interrupt the I/O APIC or the PICs send: one VESSEL_SIGNAL_MSI.
 * The first failure is kept: the run loop reports it and stops. A module
 * without the ioctl answers ENOTTY, which run_irq_failed() explains.
 */
static int vmm_signal_msi(void *opaque, const struct vessel_msi *msi)
{
	struct vmm *vmm = opaque;
	int r = vessel_vm_signal_msi(&vmm->vm, msi);

	if (r && !vmm->irq_error)
		vmm->irq_error = r;
	return r;
}

int run_irq_failed(struct vmm *vmm)
{
	int err = -vmm->irq_error;

	if (err == ENOTTY)
		console_error(&vmm->con,
			      "cannot deliver an interrupt: this vessel.ko has no VESSEL_SIGNAL_MSI (ENOTTY), although it gave the VM a local APIC; run with --irqchip none");
	else
		console_error(&vmm->con,
			      "cannot deliver an interrupt: VESSEL_SIGNAL_MSI failed: %s",
			      strerror(err));
	return VESSEL_EXIT_FAILURE;
}

/* An ISA IRQ goes to both the PIC and its I/O APIC input, as on a PC. */
static void vmm_set_isa_irq(struct vmm *vmm, unsigned int irq, bool level)
{
	pic_set_irq(&vmm->pic, irq, level);
	ioapic_set_irq(&vmm->ioapic, platform_isa_gsi(irq), level);
}

/* ---- Devices ---------------------------------------------------------- */

static void com1_irq(void *opaque, bool level)
{
	vmm_set_isa_irq(opaque, COM1_IRQ, level);
}

/* The guest read from a full receive FIFO: stdin may go on. */
static void com1_room(void *opaque)
{
	struct vmm *vmm = opaque;

	if (vmm->rx_wanted) {
		vmm->rx_wanted = false;
		vmm_wake_main(vmm);
	}
}

static void debug_exit(void *opaque, int status)
{
	vmm_stop_locked(opaque, status);
}

/* The firmware tables (boot/) describe what the models (hw/) do. */
_Static_assert(PLATFORM_RTC_CENTURY == RTC_CENTURY, "FADT century");
_Static_assert(PLATFORM_S5_SLP_TYP == POWER_S5_TYP, "\\_S5 sleep type");
_Static_assert(PLATFORM_RESET_VALUE == POWER_RESET_VALUE, "FADT reset value");
_Static_assert(PLATFORM_SLEEP_CTL - PLATFORM_POWER_PORT == POWER_SLEEP_CTL &&
	       PLATFORM_SLEEP_STS - PLATFORM_POWER_PORT == POWER_SLEEP_STS &&
	       PLATFORM_RESET_REG - PLATFORM_POWER_PORT == POWER_RESET,
	       "FADT power registers");

/* The host's wall clock, which the CMOS clock shows the guest. */
static int64_t rtc_host_clock(void *opaque)
{
	struct timespec ts;

	(void)opaque;	/* one host clock for every machine */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * Soft off ends the machine with status 0, as a powered-off PC stays
 * off. A reset waits for the end of the exit that asked for it: the
 * vCPU thread that handles it puts the machine back (run_exit()).
 */
static void power_event(void *opaque, enum power_event event)
{
	struct vmm *vmm = opaque;

	if (event == POWER_EVENT_OFF)
		vmm_stop_locked(vmm, VESSEL_EXIT_OK);
	else
		vmm->reset_requested = true;
}

/* The guest has printed its panic: the machine ends, and says why. */
static void pvpanic_panicked(void *opaque)
{
	struct vmm *vmm = opaque;

	if (vmm->stopping)
		return;
	console_error(&vmm->con, "the guest panicked (pvpanic)");
	vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
}

static int vmm_add_device(struct vmm *vmm, const struct hw_device_ops *ops,
			  void *dev)
{
	if (vmm->nr_devices == ARRAY_SIZE(vmm->devices))
		return -ENOSPC;
	vmm->devices[vmm->nr_devices].ops = ops;
	vmm->devices[vmm->nr_devices].dev = dev;
	vmm->nr_devices++;
	return 0;
}

/* The devices' power-on state, at every reset. */
void vmm_reset_devices(struct vmm *vmm)
{
	unsigned int i;

	for (i = 0; i < vmm->nr_devices; i++)
		if (vmm->devices[i].ops->reset)
			vmm->devices[i].ops->reset(vmm->devices[i].dev);
}

/* The board, at power-on; the devices' order is the table's. */
static int vmm_add_board(struct vmm *vmm)
{
	int r;

	uart_init(&vmm->uart, console_tx, &vmm->con);
	r = uart_attach(&vmm->uart, &vmm->bus, COM1_BASE,
			vmm->lapic ? com1_irq : NULL, com1_room, vmm);
	if (!r)
		r = vmm_add_device(vmm, &uart_device_ops, &vmm->uart);
	if (!r && vmm->lapic) {
		ioapic_init(&vmm->ioapic, vmm_ioapic_id(vmm->cfg.cpus),
			    vmm_signal_msi, vmm);
		r = ioapic_attach(&vmm->ioapic, &vmm->bus, IOAPIC_BASE);
		if (!r)
			r = vmm_add_device(vmm, &ioapic_device_ops,
					   &vmm->ioapic);
		pic_init(&vmm->pic, vmm_signal_msi, vmm);
		if (!r)
			r = pic_attach(&vmm->pic, &vmm->bus);
		if (!r)
			r = vmm_add_device(vmm, &pic_device_ops, &vmm->pic);
	}
	if (!r) {
		rtc_init(&vmm->rtc, rtc_host_clock, NULL);
		r = rtc_attach(&vmm->rtc, &vmm->bus, PLATFORM_RTC_PORT);
	}
	if (!r)
		r = vmm_add_device(vmm, &rtc_device_ops, &vmm->rtc);
	if (!r)
		r = power_attach(&vmm->power, &vmm->bus, PLATFORM_POWER_PORT,
				 power_event, vmm);
	if (!r)
		r = pvpanic_attach(&vmm->pvpanic, &vmm->bus,
				   PLATFORM_PVPANIC_PORT, pvpanic_panicked, vmm);
	if (!r)
		r = debug_exit_attach(&vmm->debug_exit, &vmm->bus,
				      DEBUG_EXIT_PORT, debug_exit, vmm);
	if (!r)
		r = vmm_add_device(vmm, &hv_debug_device_ops, &vmm->hv_debug);
	return r;
}

int vmm_add_devices(struct vmm *vmm)
{
	int r = vmm_add_board(vmm);

	if (r) {
		vmm_error(vmm, "cannot register the devices: %s", strerror(-r));
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}
