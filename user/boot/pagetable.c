// SPDX-License-Identifier: GPL-2.0
/*
 * Identity-mapped x86-64 page tables and the flat GDT, built in guest RAM.
 *
 * Layout written by vessel_pagetable_build() at @gpa, one 4 KiB page each:
 *
 *	PML4 | PDPT 0 .. PDPT n-1 | PD 0 .. PD m-1
 *
 * Keeping the PDPTs and PDs contiguous lets each level be filled by one
 * linear loop: entry i of "all PDPTs" points at PD i, entry i of "all PDs"
 * maps 2 MiB page i.
 */
#include <errno.h>
#include <string.h>

#include "pagetable.h"

#define PTE_PRESENT		(1ULL << 0)
#define PTE_WRITABLE		(1ULL << 1)
#define PTE_HUGE		(1ULL << 7)	/* PS: 2 MiB page in a PD */

#define PT_ENTRIES		512ULL
#define PD_SPAN			(PT_ENTRIES * VESSEL_HUGE_PAGE_SIZE)	/* 1 GiB */
#define PDPT_SPAN		(PT_ENTRIES * PD_SPAN)			/* 512 GiB */
#define PML4_SPAN		(PT_ENTRIES * PDPT_SPAN)		/* 256 TiB */

static uint64_t div_round_up(uint64_t n, uint64_t d)
{
	return n / d + (n % d != 0);
}

/* memcpy keeps this safe for any host buffer alignment. */
static void put_le64(void *ram, uint64_t gpa, uint64_t val)
{
	memcpy((uint8_t *)ram + gpa, &val, sizeof(val));
}

uint64_t vessel_pagetable_size(uint64_t map_bytes)
{
	if (!map_bytes || map_bytes > PML4_SPAN)
		return 0;
	return (1 + div_round_up(map_bytes, PDPT_SPAN) +
		div_round_up(map_bytes, PD_SPAN)) * VESSEL_PAGE_SIZE;
}

uint64_t vessel_pagetable_span(uint64_t ram_size)
{
	const uint64_t four_gib = 4ULL << 30;

	return ram_size > four_gib ? ram_size : four_gib;
}

int vessel_pagetable_build(void *ram, uint64_t ram_size, uint64_t gpa,
			   uint64_t map_bytes, struct vessel_pagetable *pt)
{
	uint64_t size = vessel_pagetable_size(map_bytes);
	uint64_t nr_pdpt = div_round_up(map_bytes, PDPT_SPAN);
	uint64_t nr_pd = div_round_up(map_bytes, PD_SPAN);
	uint64_t nr_huge = div_round_up(map_bytes, VESSEL_HUGE_PAGE_SIZE);
	uint64_t pdpt = gpa + VESSEL_PAGE_SIZE;
	uint64_t pd = pdpt + nr_pdpt * VESSEL_PAGE_SIZE;
	uint64_t i;

	if (!size || gpa % VESSEL_PAGE_SIZE)
		return -EINVAL;
	if (!vessel_guest_range_ok(gpa, size, ram_size))
		return -ENOSPC;

	/* Unused tail entries of the last PDPT and PD must be not-present. */
	memset((uint8_t *)ram + gpa, 0, size);
	for (i = 0; i < nr_pdpt; i++)
		put_le64(ram, gpa + i * 8, (pdpt + i * VESSEL_PAGE_SIZE) |
			 PTE_PRESENT | PTE_WRITABLE);
	for (i = 0; i < nr_pd; i++)
		put_le64(ram, pdpt + i * 8, (pd + i * VESSEL_PAGE_SIZE) |
			 PTE_PRESENT | PTE_WRITABLE);
	for (i = 0; i < nr_huge; i++)
		put_le64(ram, pd + i * 8, (i * VESSEL_HUGE_PAGE_SIZE) |
			 PTE_PRESENT | PTE_WRITABLE | PTE_HUGE);

	pt->cr3 = gpa;
	pt->size = size;
	return 0;
}

/*
 * Base 0, limit 4 GiB (G=1), present, DPL 0. The accessed bit is preset in
 * every type so the CPU never writes the table back, and so the descriptor
 * matches what VM entry demands of the cached CS/DS access rights.
 *   code64: type 0xB (exec/read/accessed), L=1, D=0
 *   code32: type 0xB, L=0, D=1
 *   data:   type 0x3 (read/write/accessed), B=1
 */
static const uint64_t gdt_table[VESSEL_GDT_SIZE / 8] = {
	[VESSEL_GDT_SEL_NULL / 8]	= 0,
	[VESSEL_GDT_SEL_CODE64 / 8]	= 0x00af9b000000ffffULL,
	[VESSEL_GDT_SEL_CODE32 / 8]	= 0x00cf9b000000ffffULL,
	[VESSEL_GDT_SEL_DATA / 8]	= 0x00cf93000000ffffULL,
};

uint64_t vessel_gdt_descriptor(uint16_t selector)
{
	unsigned int index = selector >> 3;

	/* Bit 2 (TI) selects the LDT, which we never provide. */
	if (selector & 4 || index >= VESSEL_GDT_SIZE / 8)
		return 0;
	return gdt_table[index];
}

int vessel_gdt_build(void *ram, uint64_t ram_size, uint64_t gpa,
		     struct vessel_gdt *gdt)
{
	if (gpa % 8)
		return -EINVAL;
	if (!vessel_guest_range_ok(gpa, sizeof(gdt_table), ram_size))
		return -ENOSPC;

	memcpy((uint8_t *)ram + gpa, gdt_table, sizeof(gdt_table));
	gdt->base = gpa;
	gdt->limit = sizeof(gdt_table) - 1;
	gdt->code64 = VESSEL_GDT_SEL_CODE64;
	gdt->code32 = VESSEL_GDT_SEL_CODE32;
	gdt->data = VESSEL_GDT_SEL_DATA;
	return 0;
}
