/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest set of ACPI tables that tells a guest its processors and
 * interrupt controllers: RSDP (revision 2), RSDT and XSDT, each pointing to
 * one MADT with a Processor Local APIC entry per vCPU, the I/O APIC, the
 * ISA IRQ 0 -> GSI 2 interrupt source override and LINT1 as NMI.
 *
 * No FADT or DSDT: there is no ACPI hardware (PM timer, SCI, power
 * buttons) to describe. Linux's acpi_boot_init() parses the MADT whether
 * or not a FADT is present; what a guest makes of the missing FADT later
 * (no ACPI interpreter, no power button) is up to it.
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
