// SPDX-License-Identifier: GPL-2.0
/*
 * vessel run: the devices (COM1, the debug-exit port) and, with an
 * in-kernel local APIC, the I/O APIC and the 8259 pair they interrupt through.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/platform.h"
#include "internal.h"

/* ---- Interrupt controllers ------------------------------------------- */

/* Keep the first failure: the run loop reports it and stops. */
void vmm_irq_result(struct vmm *vmm, int r)
{
	if (r && !vmm->irq_error)
		vmm->irq_error = r;
}

/*
 * Every interrupt the I/O APIC or the PICs send: one VESSEL_SIGNAL_MSI.
 * A module without it answers ENOTTY, which run_irq_failed() explains.
 */
static int vmm_signal_msi(void *opaque, const struct vessel_msi *msi)
{
	struct vmm *vmm = opaque;

	return vessel_vm_signal_msi(&vmm->vm, msi);
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
	vmm_irq_result(vmm, pic_set_irq(&vmm->pic, irq, level));
	vmm_irq_result(vmm, ioapic_set_irq(&vmm->ioapic,
					   platform_isa_gsi(irq), level));
}

/*
 * COM1's IRQ line. On a PC the UART's interrupt output reaches the bus
 * only while MCR OUT2 is set, which is why drivers set it.
 */
void vmm_update_uart_irq(struct vmm *vmm)
{
	bool level = uart_irq_pending(&vmm->uart) &&
		     (vmm->uart.st.mcr & UART_MCR_OUT2);

	if (!vmm->lapic || level == vmm->uart_irq)
		return;
	vmm->uart_irq = level;
	vmm_set_isa_irq(vmm, COM1_IRQ, level);
}

static void ioapic_mmio_io(void *opaque, uint64_t offset, bool is_write,
			   uint8_t *data, uint32_t len)
{
	struct vmm *vmm = opaque;

	vmm_irq_result(vmm, ioapic_mmio(&vmm->ioapic, offset, is_write, data,
					len));
}

/* The PIC ports are byte registers; wider accesses reach the next port. */
static void pic_ports_io(struct vmm *vmm, uint16_t port, bool is_write,
			 uint8_t *data, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		vmm_irq_result(vmm, pic_io(&vmm->pic, port + i, is_write,
					   &data[i]));
}

static void pic_master_io(void *opaque, uint64_t offset, bool is_write,
			  uint8_t *data, uint32_t len)
{
	pic_ports_io(opaque, PIC_MASTER_CMD + offset, is_write, data, len);
}

static void pic_slave_io(void *opaque, uint64_t offset, bool is_write,
			 uint8_t *data, uint32_t len)
{
	pic_ports_io(opaque, PIC_SLAVE_CMD + offset, is_write, data, len);
}

static void pic_elcr_io(void *opaque, uint64_t offset, bool is_write,
			uint8_t *data, uint32_t len)
{
	pic_ports_io(opaque, PIC_ELCR1 + offset, is_write, data, len);
}

static int vmm_add_irqchips(struct vmm *vmm)
{
	int r;

	r = io_register_mmio(&vmm->bus, IOAPIC_BASE, IOAPIC_MMIO_SIZE,
			     ioapic_mmio_io, vmm);
	if (!r)
		r = io_register_port(&vmm->bus, PIC_MASTER_CMD, 2,
				     pic_master_io, vmm);
	if (!r)
		r = io_register_port(&vmm->bus, PIC_SLAVE_CMD, 2,
				     pic_slave_io, vmm);
	if (!r)
		r = io_register_port(&vmm->bus, PIC_ELCR1, 2, pic_elcr_io, vmm);
	return r;
}

/* ---- Devices ---------------------------------------------------------- */

/* Wider accesses reach consecutive registers, as on an 8-bit ISA device. */
static void com1_io(void *opaque, uint64_t offset, bool is_write,
		    uint8_t *data, uint32_t len)
{
	struct vmm *vmm = opaque;
	uint32_t i;

	for (i = 0; i < len; i++)
		uart_io(&vmm->uart, offset + i, is_write, &data[i]);
	vmm_update_uart_irq(vmm);
	/* The guest read from a full receive FIFO: stdin may go on. */
	if (vmm->rx_wanted && uart_rx_space(&vmm->uart)) {
		vmm->rx_wanted = false;
		vmm_wake_main(vmm);
	}
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
	vmm_stop_locked(vmm, ((code << 1) | 1) & 0xff);
}

/* The devices' power-on state: at set-up and at every reset. */
void vmm_reset_devices(struct vmm *vmm)
{
	uart_init(&vmm->uart, console_tx, &vmm->con);
	vmm->uart_irq = false;
	if (!vmm->lapic)
		return;
	ioapic_init(&vmm->ioapic, vmm_ioapic_id(vmm->nr_vcpus),
		    vmm_signal_msi, vmm);
	pic_init(&vmm->pic, vmm_signal_msi, vmm);
}

int vmm_add_devices(struct vmm *vmm)
{
	int r;

	vmm_reset_devices(vmm);
	r = io_register_port(&vmm->bus, COM1_BASE, UART_NR_PORTS, com1_io,
			     vmm);
	if (!r && vmm->lapic)
		r = vmm_add_irqchips(vmm);
	if (!r)
		r = io_register_port(&vmm->bus, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN,
				     debug_exit_io, vmm);
	if (r) {
		run_error("cannot register the devices: %s", strerror(-r));
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}
