// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables, laid out per the ACPI Specification 6.4: RSDP (5.2.5),
 * system description table header (5.2.6), RSDT (5.2.7), XSDT (5.2.8) and
 * MADT (5.2.12).
 */
#include <errno.h>
#include <string.h>

#include "acpi.h"
#include "compiler.h"

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;	/* of the first 20 bytes (ACPI 1.0) */
	char oem_id[6];
	uint8_t revision;	/* 2: the fields below are valid */
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;	/* of all 36 bytes */
	uint8_t reserved[3];
} __packed;

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __packed;

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic;
	uint32_t flags;
} __packed;

struct madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t uid;		/* ACPI processor UID */
	uint8_t apic_id;
	uint32_t flags;
} __packed;

struct madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __packed;

struct madt_iso {
	uint8_t type;
	uint8_t length;
	uint8_t bus;		/* 0: ISA */
	uint8_t source;		/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;		/* 0: conforms to the bus (edge, high) */
} __packed;

struct madt_lapic_nmi {
	uint8_t type;
	uint8_t length;
	uint8_t uid;
	uint16_t flags;
	uint8_t lint;
} __packed;

#define ACPI_RSDP_REVISION	2
#define ACPI_RSDT_REVISION	1
#define ACPI_XSDT_REVISION	1
#define ACPI_MADT_REVISION	3
#define ACPI_OEM_ID		"VESSEL"
#define ACPI_OEM_TABLE_ID	"VESSELVM"
#define ACPI_CREATOR_ID		"VSSL"
#define ACPI_LINT1		1

static size_t acpi_madt_size(unsigned int nr_cpus)
{
	return sizeof(struct acpi_madt) + nr_cpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + sizeof(struct madt_iso) +
	       sizeof(struct madt_lapic_nmi);
}

/* Each table starts 16-byte aligned, as firmware usually leaves them. */
static size_t acpi_align(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

#define ACPI_RSDT_SIZE	(ACPI_HEADER_SIZE + 4)
#define ACPI_XSDT_SIZE	(ACPI_HEADER_SIZE + 8)

size_t vessel_acpi_size(unsigned int nr_cpus)
{
	return acpi_align(sizeof(struct acpi_rsdp)) +
	       acpi_align(ACPI_RSDT_SIZE) + acpi_align(ACPI_XSDT_SIZE) +
	       acpi_madt_size(nr_cpus);
}

static uint8_t acpi_checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

/* Fill a header for a table of @length bytes; checksum it last. */
static void acpi_header_init(struct acpi_header *h, const char *sig,
			     uint32_t length, uint8_t revision)
{
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = 1;
}

static void acpi_header_sum(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static void acpi_write_madt(uint8_t *buf, const struct vessel_platform *p)
{
	struct acpi_madt *madt = (struct acpi_madt *)buf;
	uint8_t *e = buf + sizeof(*madt);
	struct madt_ioapic ioapic = {
		.type = ACPI_MADT_IOAPIC,
		.length = sizeof(ioapic),
		.id = p->ioapic_id,
		.address = p->ioapic_base,
	};
	struct madt_iso iso = {
		.type = ACPI_MADT_ISO,
		.length = sizeof(iso),
		.source = 0,
		.gsi = platform_isa_gsi(0),
	};
	struct madt_lapic_nmi nmi = {
		.type = ACPI_MADT_LAPIC_NMI,
		.length = sizeof(nmi),
		.uid = ACPI_ALL_PROCESSORS,
		.lint = ACPI_LINT1,
	};
	unsigned int i;

	acpi_header_init(&madt->h, "APIC", acpi_madt_size(p->nr_cpus),
			 ACPI_MADT_REVISION);
	madt->lapic = PLATFORM_LAPIC_BASE;
	madt->flags = ACPI_MADT_PCAT_COMPAT;
	for (i = 0; i < p->nr_cpus; i++) {
		struct madt_lapic lapic = {
			.type = ACPI_MADT_LAPIC,
			.length = sizeof(lapic),
			.uid = i,
			.apic_id = i,
			.flags = ACPI_MADT_ENABLED,
		};

		memcpy(e, &lapic, sizeof(lapic));
		e += sizeof(lapic);
	}
	memcpy(e, &ioapic, sizeof(ioapic));
	e += sizeof(ioapic);
	memcpy(e, &iso, sizeof(iso));
	e += sizeof(iso);
	memcpy(e, &nmi, sizeof(nmi));
	acpi_header_sum(&madt->h);
}

ssize_t vessel_acpi_write(void *buf, size_t room, uint64_t gpa,
			  const struct vessel_platform *p)
{
	size_t off_rsdt = acpi_align(sizeof(struct acpi_rsdp));
	size_t off_xsdt = off_rsdt + acpi_align(ACPI_RSDT_SIZE);
	size_t off_madt = off_xsdt + acpi_align(ACPI_XSDT_SIZE);
	struct acpi_rsdp *rsdp = buf;
	struct acpi_header *rsdt, *xsdt;
	uint8_t *base = buf;
	uint32_t madt_gpa;
	uint64_t madt_gpa64;
	size_t size;

	if (!p->nr_cpus || p->nr_cpus > PLATFORM_MAX_CPUS || gpa % 16)
		return -EINVAL;
	size = vessel_acpi_size(p->nr_cpus);
	if (gpa > UINT32_MAX || size > UINT32_MAX - gpa)
		return -EINVAL;	/* the RSDT holds 32-bit addresses */
	if (room < size)
		return -ENOSPC;
	memset(buf, 0, size);
	madt_gpa = gpa + off_madt;
	madt_gpa64 = madt_gpa;

	acpi_write_madt(base + off_madt, p);

	rsdt = (struct acpi_header *)(base + off_rsdt);
	acpi_header_init(rsdt, "RSDT", ACPI_RSDT_SIZE, ACPI_RSDT_REVISION);
	memcpy(rsdt + 1, &madt_gpa, sizeof(madt_gpa));
	acpi_header_sum(rsdt);

	xsdt = (struct acpi_header *)(base + off_xsdt);
	acpi_header_init(xsdt, "XSDT", ACPI_XSDT_SIZE, ACPI_XSDT_REVISION);
	memcpy(xsdt + 1, &madt_gpa64, sizeof(madt_gpa64));
	acpi_header_sum(xsdt);

	memcpy(rsdp->signature, ACPI_RSDP_SIGNATURE, 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, sizeof(rsdp->oem_id));
	rsdp->revision = ACPI_RSDP_REVISION;
	rsdp->rsdt = gpa + off_rsdt;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt = gpa + off_xsdt;
	rsdp->checksum = acpi_checksum(rsdp, ACPI_RSDP_V1_SIZE);
	rsdp->ext_checksum = acpi_checksum(rsdp, sizeof(*rsdp));
	return size;
}
