/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the loader tests (test_loader.c, test_linux.c) share to build an
 * image byte by byte and to read back what the loader left in guest RAM:
 * values, strings and the page tables.
 *
 * The including file defines RAM_SIZE and `ram`, its guest RAM, first.
 * Reads outside RAM return 0 (or a string saying so), so a broken table
 * fails a check, not the run.
 */
#ifndef VESSEL_IMAGE_BUILD_H
#define VESSEL_IMAGE_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boot/pagetable.h"

static inline void put16(uint8_t *buf, uint64_t off, uint16_t val)
{
	memcpy(buf + off, &val, sizeof(val));
}

static inline void put32(uint8_t *buf, uint64_t off, uint32_t val)
{
	memcpy(buf + off, &val, sizeof(val));
}

static inline void put64(uint8_t *buf, uint64_t off, uint64_t val)
{
	memcpy(buf + off, &val, sizeof(val));
}

static inline uint32_t guest32(uint64_t gpa)
{
	uint32_t val = 0;

	if (gpa <= RAM_SIZE - sizeof(val))
		memcpy(&val, ram + gpa, sizeof(val));
	return val;
}

static inline uint64_t guest64(uint64_t gpa)
{
	uint64_t val = 0;

	if (gpa <= RAM_SIZE - sizeof(val))
		memcpy(&val, ram + gpa, sizeof(val));
	return val;
}

static inline const char *guest_str(uint64_t gpa)
{
	if (gpa >= RAM_SIZE || !memchr(ram + gpa, 0, RAM_SIZE - gpa))
		return "<not a string in guest RAM>";
	return (const char *)ram + gpa;
}

static inline bool overlaps(uint64_t a, uint64_t alen, uint64_t b,
			    uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/*
 * Walks the guest's 4-level tables as the MMU would; the loaders map with
 * 2 MiB pages only.
 */
static inline bool translate(uint64_t cr3, uint64_t va, uint64_t *pa)
{
	const uint64_t addr_mask = 0x000ffffffffff000ULL;
	uint64_t e;

	e = guest64(cr3 + ((va >> 39) & 511) * 8);
	if (!(e & 1))
		return false;
	e = guest64((e & addr_mask) + ((va >> 30) & 511) * 8);
	if (!(e & 1))
		return false;
	e = guest64((e & addr_mask) + ((va >> 21) & 511) * 8);
	if (!(e & 1) || !(e & 0x80) || !(e & 2))
		return false;
	*pa = (e & addr_mask & ~(VESSEL_HUGE_PAGE_SIZE - 1)) |
	      (va & (VESSEL_HUGE_PAGE_SIZE - 1));
	return true;
}

#endif
