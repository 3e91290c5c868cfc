/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Firmware tables, found as a kernel without firmware calls finds them:
 * a signature on a 16-byte boundary in the BIOS area, then pointers, each
 * table checked against its checksum (ACPI 6.5 ch. 5.2, MP spec 1.4).
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include "guest.h"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;

struct madt {
	struct acpi_header header;
	uint32_t lapic_addr;
	uint32_t flags;
} __packed;

struct madt_entry {
	uint8_t type;
	uint8_t length;
} __packed;

#define MADT_LAPIC		0	/* Processor Local APIC */
#define MADT_LAPIC_ENABLED	1

struct madt_lapic {
	struct madt_entry entry;
	uint8_t acpi_id;
	uint8_t apic_id;
	uint32_t flags;
} __packed;

/*
 * The first structure from @start up to 1 MiB, on a 16-byte boundary,
 * that begins with the @sig_len bytes of @sig and whose first @sum_len
 * bytes sum to 0; NULL if there is none.
 */
const void *bios_find(uint32_t start, const char *sig, size_t sig_len,
		      size_t sum_len);

/*
 * The MADT, through the RSDP and the RSDT, all three checksummed and its
 * entries' lengths checked; NULL if it is missing or corrupt.
 */
const struct madt *acpi_find_madt(void);

/* The MADT entry after @e (the first if @e is NULL); NULL at the end. */
const struct madt_entry *madt_next(const struct madt *madt,
				   const struct madt_entry *e);

#endif /* GUEST_ACPI_H */
