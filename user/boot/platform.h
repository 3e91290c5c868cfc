/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC a VM with an in-kernel APIC is: what the MP and ACPI tables
 * describe and what `vessel run` builds, kept in one place so the two
 * cannot disagree.
 *
 *  - vCPU n has local APIC ID n; vCPU 0 is the boot processor. All local
 *    APICs are at the architectural base.
 *  - One I/O APIC with 24 inputs (GSIs 0-23) at IOAPIC_BASE.
 *  - ISA IRQ n reaches I/O APIC input n, except IRQ 0 which reaches input
 *    2 (every PC chipset does this; input 0 carries the 8259's ExtINT),
 *    all edge-triggered, active high. IRQ 2 is the 8259 cascade.
 *  - The 8259 pair drives the boot processor's LINT0 (ExtINT); LINT1 of
 *    every processor is NMI.
 */
#ifndef VESSEL_PLATFORM_H
#define VESSEL_PLATFORM_H

#include <stdint.h>

#define PLATFORM_LAPIC_BASE	0xfee00000U
#define PLATFORM_LAPIC_VERSION	0x14	/* integrated xAPIC */
#define PLATFORM_IOAPIC_GSIS	24
#define PLATFORM_ISA_IRQS	16
#define PLATFORM_IRQ0_GSI	2
/* APIC IDs are 8 bits in both tables; 0xff means "all". */
#define PLATFORM_MAX_CPUS	255

/*
 * The power controls the FADT and DSDT describe (hw/power.h): ACPI sleep
 * control, sleep status and reset registers; \_S5's sleep type; the reset
 * value. QEMU's pvpanic (hw/pvpanic.h), which the DSDT names QEMU0001.
 * The CMOS register holding the century (hw/rtc.h), which the FADT names.
 */
#define PLATFORM_POWER_PORT	0x600
#define PLATFORM_SLEEP_CTL	(PLATFORM_POWER_PORT + 0)
#define PLATFORM_SLEEP_STS	(PLATFORM_POWER_PORT + 1)
#define PLATFORM_RESET_REG	(PLATFORM_POWER_PORT + 2)
#define PLATFORM_RESET_VALUE	0x42
#define PLATFORM_S5_SLP_TYP	5
#define PLATFORM_PVPANIC_PORT	0x505
#define PLATFORM_RTC_CENTURY	0x32
/* The ISA devices the DSDT lists, with their ports and IRQs. */
#define PLATFORM_COM1_PORT	0x3f8
#define PLATFORM_COM1_IRQ	4
#define PLATFORM_RTC_PORT	0x70
#define PLATFORM_RTC_IRQ	8

/* Where the firmware tables go: the BIOS area, where guests scan. */
#define PLATFORM_TABLES_BASE	0xf0000ULL
#define PLATFORM_TABLES_END	0x100000ULL
/* f000:fff0, where a CPU starts after reset: the tables end below it. */
#define PLATFORM_RESET_VECTOR	0xffff0ULL

struct vessel_platform {
	unsigned int nr_cpus;	/* 1..PLATFORM_MAX_CPUS */
	uint8_t ioapic_id;
	uint32_t ioapic_base;
};

/* The I/O APIC input ISA IRQ @irq (0..15) is wired to. */
static inline unsigned int platform_isa_gsi(unsigned int irq)
{
	return irq == 0 ? PLATFORM_IRQ0_GSI : irq;
}

#endif /* VESSEL_PLATFORM_H */
