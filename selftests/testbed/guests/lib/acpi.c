// SPDX-License-Identifier: GPL-2.0
#include "acpi.h"

#define RSDP_SIG		"RSD PTR "
#define RSDP_AREA		0xe0000
#define RSDP_V1_SIZE		20	/* what the ACPI 1.0 checksum covers */

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
} __packed;

const void *bios_find(uint32_t start, const char *sig, size_t sig_len,
		      size_t sum_len)
{
	uint32_t p;

	for (p = start; p < BIOS_AREA_END; p += 16)
		if (!memcmp((const void *)p, sig, sig_len) &&
		    checksum_ok((const void *)p, sum_len))
			return (const void *)p;
	return NULL;
}

/* The entries must tile the table: a zero length would loop forever. */
static bool madt_entries_ok(const struct madt *madt)
{
	uint32_t off = sizeof(*madt);
	const struct madt_entry *e;

	while (off < madt->header.length) {
		if (madt->header.length - off < sizeof(*e))
			return false;
		e = (const void *)madt + off;
		if (e->length < sizeof(*e) ||
		    e->length > madt->header.length - off)
			return false;
		off += e->length;
	}
	return true;
}

const struct madt *acpi_find_madt(void)
{
	const struct rsdp *rsdp = bios_find(RSDP_AREA, RSDP_SIG,
					    sizeof(rsdp->signature),
					    RSDP_V1_SIZE);
	const struct acpi_header *rsdt, *t;
	const uint32_t *entry;

	if (!rsdp)
		return NULL;
	rsdt = (const void *)rsdp->rsdt;
	if (rsdt->length < sizeof(*rsdt) || !checksum_ok(rsdt, rsdt->length))
		return NULL;
	for (entry = (const void *)(rsdt + 1);
	     (const void *)(entry + 1) <= (const void *)rsdt + rsdt->length;
	     entry++) {
		t = (const void *)*entry;
		if (memcmp(t->signature, "APIC", 4))
			continue;
		if (t->length < sizeof(struct madt) ||
		    !checksum_ok(t, t->length) ||
		    !madt_entries_ok((const void *)t))
			return NULL;
		return (const void *)t;
	}
	return NULL;
}

const struct madt_entry *madt_next(const struct madt *madt,
				   const struct madt_entry *e)
{
	const void *end = (const void *)madt + madt->header.length;

	e = e ? (const void *)e + e->length : (const void *)(madt + 1);
	return (const void *)e < end ? e : NULL;
}
