/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI tables of a VM with an in-kernel APIC: RSDP (revision 2), RSDT
 * and XSDT, each pointing to
 *
 *  - a MADT with a Processor Local APIC entry per vCPU, the I/O APIC, the
 *    ISA IRQ 0 -> GSI 2 interrupt source override and LINT1 as NMI;
 *  - a FADT (revision 6) for a hardware-reduced ACPI platform (ACPI 6.4
 *    4.1): no SCI, PM timer, PM1 or GPE blocks, which nothing emulates,
 *    and which Linux then does not look for (acpi_reduced_hw_init() also
 *    skips the PIT and the 8259s, which a VM with APICs and known
 *    frequencies needs neither of); the sleep control and status
 *    registers and the reset register (platform.h); the boot flags (ISA
 *    devices present: COM1, the RTC; no 8042, no VGA, no MSI); the CMOS
 *    century register;
 *  - through the FADT, a DSDT whose AML is \_S5 (the sleep type of soft
 *    off, for the sleep control register), COM1 and the RTC with their
 *    ports and IRQs, and the pvpanic device (QEMU0001 at its port), which
 *    Linux's pvpanic driver binds to.
 *
 * Documentation/linux.rst says what Linux does with each.
 */
#ifndef VESSEL_ACPI_H
#define VESSEL_ACPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform.h"

#define ACPI_RSDP_SIGNATURE	"RSD PTR "
#define ACPI_RSDP_V1_SIZE	20	/* what the first checksum covers */
#define ACPI_RSDP_SIZE		36
#define ACPI_HEADER_SIZE	36

/* MADT (ACPI 6.4 5.2.12) */
#define ACPI_MADT_PCAT_COMPAT	1	/* dual 8259s present */
#define ACPI_MADT_LAPIC		0
#define ACPI_MADT_IOAPIC	1
#define ACPI_MADT_ISO		2
#define ACPI_MADT_LAPIC_NMI	4
#define ACPI_MADT_ENABLED	1
#define ACPI_ALL_PROCESSORS	0xff

/* Bytes vessel_acpi_write() needs for @nr_cpus processors. */
size_t vessel_acpi_size(unsigned int nr_cpus);

/*
 * Write the RSDP at @buf, which the guest sees at @gpa (16-byte aligned,
 * below 4 GiB, as guests scan for it on 16-byte boundaries), and the other
 * tables after it. Returns the bytes written, -EINVAL for a bad platform
 * or address, or -ENOSPC if @room is too small.
 */
ssize_t vessel_acpi_write(void *buf, size_t room, uint64_t gpa,
			  const struct vessel_platform *p);

#endif /* VESSEL_ACPI_H */
