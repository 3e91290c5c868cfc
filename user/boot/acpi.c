// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables, laid out per the ACPI Specification 6.4: RSDP (5.2.5),
 * system description table header (5.2.6), RSDT (5.2.7), XSDT (5.2.8),
 * FADT (5.2.9), DSDT (5.2.11.1, its AML per chapter 20) and MADT (5.2.12).
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

/* Generic Address Structure (5.2.3.2): a byte register in I/O space. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;

/* FADT, revision 6 (5.2.9, Table 5.9). */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm_blocks[8];		/* PM1a/b EVT, PM1a/b CNT, PM2, TMR, GPE0/1 */
	uint8_t pm_lengths[6];		/* PM1 EVT, PM1 CNT, PM2, TMR, GPE0, GPE1 */
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_revision;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm_blocks[8];
	struct acpi_gas sleep_control;
	struct acpi_gas sleep_status;
	uint64_t hypervisor_id;
} __packed;

_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 layout");
_Static_assert(offsetof(struct acpi_fadt, century) == 108, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 244, "FADT layout");

#define ACPI_GAS_SYSTEM_IO	1
#define ACPI_GAS_BYTE_ACCESS	1

/* FADT flags (Table 5.10) and IA-PC boot architecture flags (Table 5.11). */
#define ACPI_FADT_WBINVD	(1U << 0)
#define ACPI_FADT_PWR_BUTTON	(1U << 4)	/* no fixed power button */
#define ACPI_FADT_SLP_BUTTON	(1U << 5)	/* no fixed sleep button */
#define ACPI_FADT_RESET_REG_SUP	(1U << 10)
#define ACPI_FADT_HW_REDUCED	(1U << 20)
#define ACPI_BOOT_LEGACY_DEVICES (1U << 0)
#define ACPI_BOOT_VGA_NOT_PRESENT (1U << 2)
#define ACPI_BOOT_MSI_NOT_SUPPORTED (1U << 3)

/*
 * The DSDT's AML (chapter 20), in the root scope:
 *
 *   Name (_S5, Package (4) { 5, 5, 0, 0 })
 *   Device (COM1) {
 *       Name (_HID, EisaId ("PNP0501"))
 *       Name (_CRS, ResourceTemplate () {
 *           IO (Decode16, 0x3f8, 0x3f8, 1, 8)  IRQNoFlags () { 4 } })
 *   }
 *   Device (RTC) {
 *       Name (_HID, EisaId ("PNP0B00"))
 *       Name (_CRS, ResourceTemplate () {
 *           IO (Decode16, 0x70, 0x70, 1, 2)  IRQNoFlags () { 8 } })
 *   }
 *   Device (PEVT) {
 *       Name (_HID, "QEMU0001")
 *       Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505, 0x505, 1, 1) })
 *   }
 *
 * \_S5's first value is the SLP_TYP a guest writes to the sleep control
 * register to power off. COM1 and the RTC are there because a
 * hardware-reduced Linux gives ISA IRQs dynamic numbers (its I/O APIC
 * domain is not the legacy one with no legacy PIC): a driver that assumes
 * IRQ 4 or 8 gets nothing, one bound through ACPI gets the IRQ the
 * description gives. Each PkgLength (20.2.4) is one byte: it counts itself
 * and what follows it in its package.
 */
#define AML_NAME		0x08
#define AML_BYTE		0x0a
#define AML_DWORD		0x0c
#define AML_STRING		0x0d
#define AML_BUFFER		0x11
#define AML_PACKAGE		0x12
#define AML_EXT			0x5b
#define AML_DEVICE		0x82
#define AML_ZERO		0x00
#define RES_IRQ			0x22	/* small resource: IRQ mask, 2 bytes */
#define RES_IO			0x47	/* small resource: I/O port, 7 bytes */
#define RES_IO_DECODE16		0x01
#define RES_END			0x79	/* end tag; checksum 0: not checked */

/* EISA IDs, as EisaId() compresses them: "PNP" then the product number. */
#define EISA_PNP0501		0x0105d041U
#define EISA_PNP0B00		0x000bd041U

/* The AML is put together byte by byte: @n counts what was (or would be) written. */
struct aml {
	uint8_t *buf;		/* NULL: count only */
	size_t n;
};

static void aml_bytes(struct aml *a, const void *src, size_t len)
{
	if (a->buf)
		memcpy(a->buf + a->n, src, len);
	a->n += len;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* Name (@name, ...): the value follows. */
static void aml_name(struct aml *a, const char name[4])
{
	aml_byte(a, AML_NAME);
	aml_bytes(a, name, 4);
}

/* IO (Decode16, port, port, 1, len): one fixed range, 8 bytes. */
static void aml_io(struct aml *a, uint16_t port, uint8_t len)
{
	const uint8_t io[] = {
		RES_IO, RES_IO_DECODE16, port & 0xff, port >> 8,
		port & 0xff, port >> 8, 1, len,
	};

	aml_bytes(a, io, sizeof(io));
}

/* Name (_CRS, ResourceTemplate () { IO (...) [IRQNoFlags () { irq }] }) */
static void aml_crs(struct aml *a, uint16_t port, uint8_t len, int irq)
{
	uint8_t size = 8 + (irq >= 0 ? 3 : 0) + 2;	/* + end tag */

	aml_name(a, "_CRS");
	aml_byte(a, AML_BUFFER);
	aml_byte(a, size + 3);		/* PkgLength: itself, the size, the bytes */
	aml_byte(a, AML_BYTE);
	aml_byte(a, size);
	aml_io(a, port, len);
	if (irq >= 0) {
		aml_byte(a, RES_IRQ);
		aml_byte(a, (1U << irq) & 0xff);
		aml_byte(a, (1U << irq) >> 8);
	}
	aml_byte(a, RES_END);
	aml_byte(a, 0);
}

/* Device (@name) { Name (_HID, EisaId (@eisa)) _CRS }: 38 bytes with an IRQ. */
static void aml_isa_device(struct aml *a, const char name[4], uint32_t eisa,
			   uint16_t port, uint8_t len, int irq)
{
	size_t pkg = a->n + 2;

	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	aml_byte(a, 0);			/* PkgLength, set below */
	aml_bytes(a, name, 4);
	aml_name(a, "_HID");
	aml_byte(a, AML_DWORD);
	aml_byte(a, eisa & 0xff);
	aml_byte(a, (eisa >> 8) & 0xff);
	aml_byte(a, (eisa >> 16) & 0xff);
	aml_byte(a, eisa >> 24);
	aml_crs(a, port, len, irq);
	if (a->buf)
		a->buf[pkg] = a->n - pkg;
}

/* Device (PEVT) { Name (_HID, "QEMU0001") _CRS }: no IRQ. */
static void aml_pvpanic(struct aml *a)
{
	size_t pkg = a->n + 2;

	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	aml_byte(a, 0);			/* PkgLength, set below */
	aml_bytes(a, "PEVT", 4);
	aml_name(a, "_HID");
	aml_byte(a, AML_STRING);
	aml_bytes(a, "QEMU0001", 9);	/* with its NUL */
	aml_crs(a, PLATFORM_PVPANIC_PORT, 1, -1);
	if (a->buf)
		a->buf[pkg] = a->n - pkg;
}

/* The DSDT's AML into @buf (NULL: nothing written); returns its size. */
static size_t dsdt_aml(uint8_t *buf)
{
	struct aml a = { .buf = buf };
	const uint8_t s5[] = {
		AML_PACKAGE, 8, 4,
		AML_BYTE, PLATFORM_S5_SLP_TYP, AML_BYTE, PLATFORM_S5_SLP_TYP,
		AML_ZERO, AML_ZERO,
	};

	aml_name(&a, "_S5_");
	aml_bytes(&a, s5, sizeof(s5));
	aml_isa_device(&a, "COM1", EISA_PNP0501, PLATFORM_COM1_PORT, 8,
		       PLATFORM_COM1_IRQ);
	aml_isa_device(&a, "RTC_", EISA_PNP0B00, PLATFORM_RTC_PORT, 2,
		       PLATFORM_RTC_IRQ);
	aml_pvpanic(&a);
	return a.n;
}

#define ACPI_RSDP_REVISION	2
#define ACPI_RSDT_REVISION	1
#define ACPI_XSDT_REVISION	1
#define ACPI_FADT_REVISION	6
#define ACPI_DSDT_REVISION	2	/* 64-bit integers */
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

/* The RSDT and XSDT each list the FADT and the MADT. */
#define ACPI_NR_TABLES	2
#define ACPI_RSDT_SIZE	(ACPI_HEADER_SIZE + 4 * ACPI_NR_TABLES)
#define ACPI_XSDT_SIZE	(ACPI_HEADER_SIZE + 8 * ACPI_NR_TABLES)
#define ACPI_DSDT_SIZE	(ACPI_HEADER_SIZE + dsdt_aml(NULL))

size_t vessel_acpi_size(unsigned int nr_cpus)
{
	return acpi_align(sizeof(struct acpi_rsdp)) +
	       acpi_align(ACPI_RSDT_SIZE) + acpi_align(ACPI_XSDT_SIZE) +
	       acpi_align(sizeof(struct acpi_fadt)) +
	       acpi_align(ACPI_DSDT_SIZE) + acpi_madt_size(nr_cpus);
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

static struct acpi_gas acpi_io_byte(uint16_t port)
{
	return (struct acpi_gas) {
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = 8,
		.access_size = ACPI_GAS_BYTE_ACCESS,
		.address = port,
	};
}

static void acpi_write_fadt(uint8_t *buf, uint32_t dsdt)
{
	struct acpi_fadt *f = (struct acpi_fadt *)buf;

	acpi_header_init(&f->h, "FACP", sizeof(*f), ACPI_FADT_REVISION);
	f->dsdt = dsdt;
	f->x_dsdt = dsdt;	/* the same: no "32/64X address mismatch" */
	f->century = PLATFORM_RTC_CENTURY;
	f->iapc_boot_arch = ACPI_BOOT_LEGACY_DEVICES |
			    ACPI_BOOT_VGA_NOT_PRESENT |
			    ACPI_BOOT_MSI_NOT_SUPPORTED;
	f->flags = ACPI_FADT_WBINVD | ACPI_FADT_PWR_BUTTON |
		   ACPI_FADT_SLP_BUTTON | ACPI_FADT_RESET_REG_SUP |
		   ACPI_FADT_HW_REDUCED;
	f->reset_reg = acpi_io_byte(PLATFORM_RESET_REG);
	f->reset_value = PLATFORM_RESET_VALUE;
	f->sleep_control = acpi_io_byte(PLATFORM_SLEEP_CTL);
	f->sleep_status = acpi_io_byte(PLATFORM_SLEEP_STS);
	acpi_header_sum(&f->h);
}

static void acpi_write_dsdt(uint8_t *buf)
{
	struct acpi_header *h = (struct acpi_header *)buf;

	acpi_header_init(h, "DSDT", ACPI_DSDT_SIZE, ACPI_DSDT_REVISION);
	dsdt_aml((uint8_t *)(h + 1));
	acpi_header_sum(h);
}

ssize_t vessel_acpi_write(void *buf, size_t room, uint64_t gpa,
			  const struct vessel_platform *p)
{
	size_t off_rsdt = acpi_align(sizeof(struct acpi_rsdp));
	size_t off_xsdt = off_rsdt + acpi_align(ACPI_RSDT_SIZE);
	size_t off_fadt = off_xsdt + acpi_align(ACPI_XSDT_SIZE);
	size_t off_dsdt = off_fadt + acpi_align(sizeof(struct acpi_fadt));
	size_t off_madt = off_dsdt + acpi_align(ACPI_DSDT_SIZE);
	struct acpi_rsdp *rsdp = buf;
	struct acpi_header *rsdt, *xsdt;
	uint8_t *base = buf;
	uint32_t tables[ACPI_NR_TABLES];
	uint64_t tables64[ACPI_NR_TABLES];
	unsigned int i;
	size_t size;

	if (!p->nr_cpus || p->nr_cpus > PLATFORM_MAX_CPUS || gpa % 16)
		return -EINVAL;
	size = vessel_acpi_size(p->nr_cpus);
	if (gpa > UINT32_MAX || size > UINT32_MAX - gpa)
		return -EINVAL;	/* the RSDT holds 32-bit addresses */
	if (room < size)
		return -ENOSPC;
	memset(buf, 0, size);
	tables[0] = gpa + off_fadt;
	tables[1] = gpa + off_madt;
	for (i = 0; i < ACPI_NR_TABLES; i++)
		tables64[i] = tables[i];

	acpi_write_dsdt(base + off_dsdt);
	acpi_write_fadt(base + off_fadt, gpa + off_dsdt);
	acpi_write_madt(base + off_madt, p);

	rsdt = (struct acpi_header *)(base + off_rsdt);
	acpi_header_init(rsdt, "RSDT", ACPI_RSDT_SIZE, ACPI_RSDT_REVISION);
	memcpy(rsdt + 1, tables, sizeof(tables));
	acpi_header_sum(rsdt);

	xsdt = (struct acpi_header *)(base + off_xsdt);
	acpi_header_init(xsdt, "XSDT", ACPI_XSDT_SIZE, ACPI_XSDT_REVISION);
	memcpy(xsdt + 1, tables64, sizeof(tables64));
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
