/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel MultiProcessor Specification 1.4 tables: the MP floating pointer
 * structure followed by the MP configuration table, describing a struct
 * vessel_platform (processors, the ISA bus, the I/O APIC and how ISA
 * interrupts and LINT0/1 are wired). Guests that predate ACPI, and Linux
 * booted with acpi=off, learn the CPU count from it.
 */
#ifndef VESSEL_MPTABLE_H
#define VESSEL_MPTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform.h"

#define MP_FPS_SIGNATURE	"_MP_"
#define MP_CONFIG_SIGNATURE	"PCMP"
#define MP_SPEC_REV		4	/* 1.4 */

/* Configuration table entry types and their sizes. */
#define MP_ENTRY_PROCESSOR	0
#define MP_ENTRY_BUS		1
#define MP_ENTRY_IOAPIC		2
#define MP_ENTRY_IOINT		3
#define MP_ENTRY_LOCALINT	4

#define MP_INT_INT		0
#define MP_INT_NMI		1
#define MP_INT_EXTINT		3

#define MP_CPU_ENABLED		0x01
#define MP_CPU_BSP		0x02
#define MP_IOAPIC_ENABLED	0x01
#define MP_ALL_LAPICS		0xff

/* Bytes vessel_mptable_write() needs for @nr_cpus processors. */
size_t vessel_mptable_size(unsigned int nr_cpus);

/*
 * Write the floating pointer at @buf, which the guest sees at @gpa (16-byte
 * aligned, below 4 GiB), and the configuration table right after it.
 * Returns the bytes written, -EINVAL for a bad platform or address, or
 * -ENOSPC if @room is too small.
 */
ssize_t vessel_mptable_write(void *buf, size_t room, uint64_t gpa,
			     const struct vessel_platform *p);

#endif /* VESSEL_MPTABLE_H */
