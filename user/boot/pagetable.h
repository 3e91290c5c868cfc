/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page tables and GDT, written straight into guest RAM.
 *
 * Shared by the image loader (64-bit ELF boot) and the selftest library, so
 * the API only knows about "a host buffer that is guest-physical 0..size".
 */
#ifndef VESSEL_PAGETABLE_H
#define VESSEL_PAGETABLE_H

#include <stdbool.h>
#include <stdint.h>

#define VESSEL_PAGE_SIZE	0x1000ULL
#define VESSEL_HUGE_PAGE_SIZE	0x200000ULL

/* Architectural control-register bits a loader or selftest needs. */
#define VESSEL_CR0_PE		(1ULL << 0)
#define VESSEL_CR0_ET		(1ULL << 4)
#define VESSEL_CR0_PG		(1ULL << 31)
#define VESSEL_CR4_PAE		(1ULL << 5)
#define VESSEL_EFER_LME		(1ULL << 8)
#define VESSEL_EFER_LMA		(1ULL << 10)

/* Does [gpa, gpa + size) lie inside guest RAM, without wrapping? */
static inline bool vessel_guest_range_ok(uint64_t gpa, uint64_t size,
					 uint64_t ram_size)
{
	return size <= ram_size && gpa <= ram_size - size;
}

/* Result of vessel_pagetable_build(): tables occupy [cr3, cr3 + size). */
struct vessel_pagetable {
	uint64_t cr3;
	uint64_t size;
};

/*
 * Bytes of 4-level tables needed to identity-map [0, map_bytes), or 0 if
 * @map_bytes is 0 or beyond what 4-level paging can address (256 TiB).
 */
uint64_t vessel_pagetable_size(uint64_t map_bytes);

/* The span the loader maps: the larger of 4 GiB and guest RAM. */
uint64_t vessel_pagetable_span(uint64_t ram_size);

/*
 * Identity-map [0, map_bytes) with 2 MiB pages, writing PML4, PDPTs and PDs
 * contiguously at guest-physical @gpa (4 KiB aligned). Returns 0, or
 * -EINVAL for a misaligned @gpa or an empty or beyond-48-bit span, -ENOSPC
 * if the tables do not fit in guest RAM.
 */
int vessel_pagetable_build(void *ram, uint64_t ram_size, uint64_t gpa,
			   uint64_t map_bytes, struct vessel_pagetable *pt);

/*
 * The flat GDT: null, 64-bit code, 32-bit code, data (4 GiB, base 0). One
 * table serves both 32-bit protected mode and long mode.
 */
#define VESSEL_GDT_SEL_NULL	0x00
#define VESSEL_GDT_SEL_CODE64	0x08
#define VESSEL_GDT_SEL_CODE32	0x10
#define VESSEL_GDT_SEL_DATA	0x18
#define VESSEL_GDT_SIZE		0x20

struct vessel_gdt {
	uint64_t base;
	uint16_t limit;
	uint16_t code64;
	uint16_t code32;
	uint16_t data;
};

/* The raw descriptor behind @selector, or 0 for null/out of range. */
uint64_t vessel_gdt_descriptor(uint16_t selector);

/*
 * Write the GDT at guest-physical @gpa (8-byte aligned). Returns 0, or
 * -EINVAL if misaligned, -ENOSPC if it does not fit in guest RAM.
 */
int vessel_gdt_build(void *ram, uint64_t ram_size, uint64_t gpa,
		     struct vessel_gdt *gdt);

#endif /* VESSEL_PAGETABLE_H */
