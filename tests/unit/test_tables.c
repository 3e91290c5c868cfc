// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the MP and ACPI tables: write them into a buffer
 * standing for guest RAM with vessel_boot_write_tables(), then find and
 * parse them the way a guest does (scan for the signatures on 16-byte
 * boundaries, verify every checksum, walk the entries by their sizes),
 * reading raw little-endian bytes rather than the writers' structs.
 */
#include <errno.h>
#include <stdlib.h>

#include "boot/acpi.h"
#include "boot/boot.h"
#include "boot/mptable.h"
#include "tap.h"

#define RAM_SIZE	(2U << 20)

static uint8_t *ram;

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* What a guest learns from the tables. */
struct found {
	unsigned int nr_cpus;
	unsigned int nr_bsp;
	uint64_t cpu_ids;	/* bit n: APIC ID n listed and enabled (n < 64) */
	uint32_t lapic;
	uint32_t ioapic;
	int ioapic_id;
	int irq_pin[16];	/* ISA IRQ -> I/O APIC input, -1 if none */
	int extint_pin;
	int lint_extint;	/* LINT that gets ExtINT, -1 if none */
	int lint_nmi;
	bool pcat;
	/* From the FADT and the DSDT. */
	uint32_t fadt_flags;
	uint16_t boot_arch;
	uint8_t century;
	uint64_t reset_port, sleep_ctl_port, sleep_sts_port;
	uint8_t reset_value;
	int s5_typ;		/* \_S5's SLP_TYPa, -1 if none */
	/* The DSDT's devices: hardware ID, I/O range, IRQ (-1: none). */
	unsigned int nr_devices;
	struct {
		char hid[9];	/* "QEMU0001", or "PNP0501" from an EISA ID */
		int io, io_len, irq;
	} dev[4];
};

static void found_init(struct found *f)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->ioapic_id = -1;
	f->extint_pin = -1;
	f->lint_extint = -1;
	f->lint_nmi = -1;
	for (i = 0; i < 16; i++)
		f->irq_pin[i] = -1;
}

static void add_cpu(struct found *f, unsigned int id, bool bsp)
{
	f->nr_cpus++;
	f->nr_bsp += bsp;
	if (id < 64)
		f->cpu_ids |= 1ULL << id;
}

/* MP spec 1.4 4.1: the floating pointer in the BIOS area. */
static const uint8_t *mp_find(void)
{
	uint32_t a;

	for (a = 0xf0000; a < 0x100000; a += 16)
		if (!memcmp(ram + a, "_MP_", 4) && ram[a + 8] == 1 &&
		    !sum(ram + a, 16))
			return ram + a;
	return NULL;
}

/* Returns 0 or the line of the first inconsistency. */
static int mp_parse(struct found *f)
{
	const uint8_t *fps = mp_find(), *cfg, *e, *end;
	unsigned int i, entries;

	found_init(f);
	if (!fps || fps[9] != 4 || fps[11] != 0)
		return __LINE__;
	if (le32(fps + 4) + 44U > RAM_SIZE)
		return __LINE__;
	cfg = ram + le32(fps + 4);
	if (memcmp(cfg, "PCMP", 4) || cfg[6] != 4 || sum(cfg, le16(cfg + 4)))
		return __LINE__;
	if (le16(cfg + 40) || le32(cfg + 28))	/* no extended table, OEM table */
		return __LINE__;
	f->lapic = le32(cfg + 36);
	entries = le16(cfg + 34);
	e = cfg + 44;
	end = cfg + le16(cfg + 4);
	for (i = 0; i < entries; i++) {
		if (e >= end)
			return __LINE__;
		switch (e[0]) {
		case 0:
			if (!(e[3] & 1) || e[2] != 0x14)
				return __LINE__;
			add_cpu(f, e[1], e[3] & 2);
			e += 20;
			break;
		case 1:
			if (e[1] != 0 || memcmp(e + 2, "ISA   ", 6))
				return __LINE__;
			e += 8;
			break;
		case 2:
			if (!(e[3] & 1) || e[2] != 0x11)
				return __LINE__;
			f->ioapic_id = e[1];
			f->ioapic = le32(e + 4);
			e += 8;
			break;
		case 3:
			if (e[4] != 0 || e[6] != f->ioapic_id || le16(e + 2))
				return __LINE__;
			if (e[1] == 3)
				f->extint_pin = e[7];
			else if (e[1] == 0 && e[5] < 16)
				f->irq_pin[e[5]] = e[7];
			else
				return __LINE__;
			e += 8;
			break;
		case 4:
			if (e[6] != 0xff)
				return __LINE__;
			if (e[1] == 3)
				f->lint_extint = e[7];
			else if (e[1] == 1)
				f->lint_nmi = e[7];
			else
				return __LINE__;
			e += 8;
			break;
		default:
			return __LINE__;
		}
	}
	return e == end ? 0 : __LINE__;
}

/* ACPI 6.4 5.2.5.1: the RSDP in 0xE0000-0xFFFFF. */
static const uint8_t *rsdp_find(void)
{
	uint32_t a;

	for (a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp(ram + a, "RSD PTR ", 8) && !sum(ram + a, 20))
			return ram + a;
	return NULL;
}

/* A table at @gpa with signature @sig, its checksum verified, or NULL. */
static const uint8_t *sdt_at(uint64_t gpa, const char *sig)
{
	const uint8_t *t;

	if (gpa + 36 > RAM_SIZE)
		return NULL;
	t = ram + gpa;
	if (memcmp(t, sig, 4) || le32(t + 4) < 36 ||
	    gpa + le32(t + 4) > RAM_SIZE || sum(t, le32(t + 4)))
		return NULL;
	return t;
}

static int madt_parse(const uint8_t *madt, struct found *f)
{
	const uint8_t *e = madt + 44, *end = madt + le32(madt + 4);

	f->lapic = le32(madt + 36);
	f->pcat = le32(madt + 40) & 1;
	while (e < end) {
		if (e[1] < 2 || e + e[1] > end)
			return __LINE__;
		switch (e[0]) {
		case 0:
			if (e[1] != 8 || e[2] != e[3] || !(le32(e + 4) & 1))
				return __LINE__;
			add_cpu(f, e[3], false);
			break;
		case 1:
			if (e[1] != 12 || le32(e + 8) != 0)
				return __LINE__;
			f->ioapic_id = e[2];
			f->ioapic = le32(e + 4);
			break;
		case 2:
			if (e[1] != 10 || e[2] != 0 || e[3] >= 16 || le16(e + 8))
				return __LINE__;
			f->irq_pin[e[3]] = le32(e + 4);
			break;
		case 4:
			if (e[1] != 6 || e[2] != 0xff)
				return __LINE__;
			f->lint_nmi = e[5];
			break;
		default:
			return __LINE__;
		}
		e += e[1];
	}
	return 0;
}

/* A byte register in I/O space (GAS, ACPI 6.4 5.2.3.2): its port. */
static int64_t gas_io_byte(const uint8_t *g)
{
	if (g[0] != 1 || g[1] != 8 || g[2] != 0 || g[3] != 1)
		return -1;
	return le64(g + 4);
}

/*
 * The DSDT's AML, as an interpreter reads it (ACPI 6.4 chapter 20): a
 * root scope of Name and Device objects. Only the forms the table uses
 * are known; anything else fails. Every PkgLength must end exactly where
 * its object does.
 */
static int aml_pkglen(const uint8_t *p, const uint8_t *end, size_t *len)
{
	/* One-byte PkgLength only: bits 7:6 (more bytes) must be clear. */
	if (p >= end || p[0] & 0xc0 || p + p[0] > end)
		return __LINE__;
	*len = p[0];
	return 0;
}

/* An EISA ID (a DWordConst) as the string EisaId() was given. */
static void eisa_id(const uint8_t *p, char *hid)
{
	uint16_t v = p[0] << 8 | p[1];

	hid[0] = '@' + (v >> 10 & 31);
	hid[1] = '@' + (v >> 5 & 31);
	hid[2] = '@' + (v & 31);
	snprintf(hid + 3, 5, "%02X%02X", p[2], p[3]);
}

/* A resource template (6.4 chapter 6.4): I/O ranges, IRQs, the end tag. */
static int res_parse(const uint8_t *p, const uint8_t *end, int *io,
		     int *io_len, int *irq)
{
	while (p < end) {
		switch (p[0]) {
		case 0x47:	/* I/O port: decode16, min = max, align 1 */
			if (end - p < 8 || p[1] != 1 ||
			    le16(p + 2) != le16(p + 4) || p[6] != 1)
				return __LINE__;
			*io = le16(p + 2);
			*io_len = p[7];
			p += 8;
			break;
		case 0x22:	/* IRQ mask: exactly one */
			if (end - p < 3 || !le16(p + 1) ||
			    (le16(p + 1) & (le16(p + 1) - 1)))
				return __LINE__;
			*irq = __builtin_ctz(le16(p + 1));
			p += 3;
			break;
		case 0x79:	/* end tag, last */
			return end - p == 2 ? 0 : __LINE__;
		default:
			return __LINE__;
		}
	}
	return __LINE__;
}

static int aml_parse(const uint8_t *p, const uint8_t *end, struct found *f,
		     bool in_device)
{
	unsigned int d = f->nr_devices - 1;
	size_t len;
	int r;

	while (p < end) {
		if (p[0] == 0x08 && p + 5 < end) {		/* NameOp */
			const uint8_t *name = p + 1;

			p += 5;
			if (!memcmp(name, "_S5_", 4) && !in_device) {
				/* Package (4) { BytePrefix n, ... } */
				if (p[0] != 0x12 || aml_pkglen(p + 1, end, &len) ||
				    len != 8 || p[2] != 4 || p[3] != 0x0a)
					return __LINE__;
				f->s5_typ = p[4];
				p += 1 + len;
			} else if (!memcmp(name, "_HID", 4) && in_device) {
				if (p[0] == 0x0c && end - p >= 5) {
					eisa_id(p + 1, f->dev[d].hid);
					p += 5;
				} else if (p[0] == 0x0d && end - p >= 10 &&
					   !p[9]) {
					memcpy(f->dev[d].hid, p + 1, 9);
					p += 10;
				} else {
					return __LINE__;
				}
			} else if (!memcmp(name, "_CRS", 4) && in_device) {
				/* Buffer (BytePrefix size) { resources } */
				if (p[0] != 0x11 || aml_pkglen(p + 1, end, &len) ||
				    p[2] != 0x0a || p[3] != len - 3)
					return __LINE__;
				r = res_parse(p + 4, p + 1 + len, &f->dev[d].io,
					      &f->dev[d].io_len, &f->dev[d].irq);
				if (r)
					return r;
				p += 1 + len;
			} else {
				return __LINE__;
			}
		} else if (p[0] == 0x5b && p + 2 < end && p[1] == 0x82 &&
			   !in_device) {
			/* DeviceOp PkgLength NameSeg TermList */
			r = aml_pkglen(p + 2, end, &len);
			if (r || len < 5)
				return r ? r : __LINE__;
			if (f->nr_devices == 4)
				return __LINE__;
			d = f->nr_devices++;
			f->dev[d].io = f->dev[d].irq = -1;
			r = aml_parse(p + 7, p + 2 + len, f, true);
			if (r)
				return r;
			p += 2 + len;
		} else {
			return __LINE__;
		}
	}
	return p == end ? 0 : __LINE__;
}

/* The DSDT device with hardware ID @hid, or NULL. */
static int device_index(const struct found *f, const char *hid)
{
	unsigned int i;

	for (i = 0; i < f->nr_devices; i++)
		if (!strcmp(f->dev[i].hid, hid))
			return i;
	return -1;
}

static int fadt_parse(const uint8_t *fadt, struct found *f)
{
	const uint8_t *dsdt;

	/* Revision 6: 276 bytes, the sleep registers at 244 and 256. */
	if (fadt[8] != 6 || le32(fadt + 4) != 276)
		return __LINE__;
	f->fadt_flags = le32(fadt + 112);
	f->boot_arch = le16(fadt + 109);
	f->century = fadt[108];
	f->reset_port = gas_io_byte(fadt + 116);
	f->reset_value = fadt[128];
	f->sleep_ctl_port = gas_io_byte(fadt + 244);
	f->sleep_sts_port = gas_io_byte(fadt + 256);
	/* DSDT and X_DSDT: the same table, or Linux warns of a mismatch. */
	if (le32(fadt + 40) != le64(fadt + 140))
		return __LINE__;
	dsdt = sdt_at(le32(fadt + 40), "DSDT");
	if (!dsdt || dsdt[8] != 2)
		return __LINE__;
	return aml_parse(dsdt + 36, dsdt + le32(dsdt + 4), f, false);
}

/* Through the RSDT, and the XSDT must agree: the FADT, then the MADT. */
static int acpi_parse(struct found *f)
{
	const uint8_t *rsdp = rsdp_find(), *rsdt, *xsdt, *madt, *fadt;
	int r;

	found_init(f);
	f->s5_typ = -1;
	f->nr_devices = 0;
	if (!rsdp || rsdp[15] != 2 || le32(rsdp + 20) != 36 ||
	    sum(rsdp, 36))
		return __LINE__;
	rsdt = sdt_at(le32(rsdp + 16), "RSDT");
	xsdt = sdt_at(le64(rsdp + 24), "XSDT");
	if (!rsdt || !xsdt || le32(rsdt + 4) != 44 || le32(xsdt + 4) != 52)
		return __LINE__;
	if (le32(rsdt + 36) != le64(xsdt + 36) ||
	    le32(rsdt + 40) != le64(xsdt + 44))
		return __LINE__;
	fadt = sdt_at(le32(rsdt + 36), "FACP");
	madt = sdt_at(le32(rsdt + 40), "APIC");
	if (!fadt || !madt)
		return __LINE__;
	r = fadt_parse(fadt, f);
	return r ? r : madt_parse(madt, f);
}

static int write_tables(unsigned int cpus)
{
	struct vessel_platform p = {
		.nr_cpus = cpus,
		.ioapic_id = cpus < 15 ? cpus : 15,
		.ioapic_base = 0xfec00000,
	};
	struct vessel_boot boot = {
		.image_start = 0x100000,
		.image_end = 0x180000,
	};
	char err[160];

	memset(ram, 0, RAM_SIZE);
	return vessel_boot_write_tables(ram, RAM_SIZE, &boot, &p, err,
					sizeof(err));
}

static void check_mp(unsigned int cpus)
{
	struct found f;
	unsigned int irq;

	CHECK_EQ(write_tables(cpus), 0);
	CHECK_EQ(mp_parse(&f), 0);
	CHECK_EQ(f.nr_cpus, cpus);
	CHECK_EQ(f.nr_bsp, 1);
	CHECK_EQ(f.cpu_ids, cpus >= 64 ? ~0ULL : (1ULL << cpus) - 1);
	CHECK_EQ(f.lapic, 0xfee00000);
	CHECK_EQ(f.ioapic, 0xfec00000);
	CHECK_EQ(f.ioapic_id, cpus < 15 ? cpus : 15);
	CHECK_EQ(f.extint_pin, 0);
	CHECK_EQ(f.irq_pin[0], 2);
	CHECK_EQ(f.irq_pin[2], -1);
	for (irq = 1; irq < 16; irq++)
		if (irq != 2)
			CHECK_EQ(f.irq_pin[irq], irq);
	CHECK_EQ(f.lint_extint, 0);
	CHECK_EQ(f.lint_nmi, 1);
}

static void check_acpi(unsigned int cpus)
{
	struct found f;
	int i;

	CHECK_EQ(write_tables(cpus), 0);
	CHECK_EQ(acpi_parse(&f), 0);
	CHECK_EQ(f.nr_cpus, cpus);
	CHECK_EQ(f.cpu_ids, cpus >= 64 ? ~0ULL : (1ULL << cpus) - 1);
	CHECK_EQ(f.lapic, 0xfee00000);
	CHECK(f.pcat);
	CHECK_EQ(f.ioapic, 0xfec00000);
	CHECK_EQ(f.ioapic_id, cpus < 15 ? cpus : 15);
	CHECK_EQ(f.irq_pin[0], 2);	/* the one override */
	CHECK_EQ(f.irq_pin[1], -1);
	CHECK_EQ(f.lint_nmi, 1);
	/*
	 * Hardware-reduced, with a reset register; COM1 and the RTC are ISA
	 * devices; no 8042, no VGA, no MSI.
	 */
	CHECK_EQ(f.fadt_flags & (1U << 20), 1U << 20);
	CHECK_EQ(f.fadt_flags & (1U << 10), 1U << 10);
	CHECK_EQ(f.boot_arch, 0x0d);
	CHECK_EQ(f.century, PLATFORM_RTC_CENTURY);
	CHECK_EQ(f.reset_port, PLATFORM_RESET_REG);
	CHECK_EQ(f.reset_value, PLATFORM_RESET_VALUE);
	CHECK_EQ(f.sleep_ctl_port, PLATFORM_SLEEP_CTL);
	CHECK_EQ(f.sleep_sts_port, PLATFORM_SLEEP_STS);
	CHECK_EQ(f.s5_typ, PLATFORM_S5_SLP_TYP);
	/* COM1, the RTC and pvpanic, where the devices are. */
	CHECK_EQ(f.nr_devices, 3);
	i = device_index(&f, "PNP0501");
	CHECK(i >= 0);
	CHECK_EQ(f.dev[i].io, 0x3f8);
	CHECK_EQ(f.dev[i].io_len, 8);
	CHECK_EQ(f.dev[i].irq, 4);
	i = device_index(&f, "PNP0B00");
	CHECK(i >= 0);
	CHECK_EQ(f.dev[i].io, 0x70);
	CHECK_EQ(f.dev[i].io_len, 2);
	CHECK_EQ(f.dev[i].irq, 8);
	i = device_index(&f, "QEMU0001");
	CHECK(i >= 0);
	CHECK_EQ(f.dev[i].io, PLATFORM_PVPANIC_PORT);
	CHECK_EQ(f.dev[i].io_len, 1);
	CHECK_EQ(f.dev[i].irq, -1);
}

static void test_mp_1_cpu(void)
{
	check_mp(1);
}

static void test_mp_2_cpus(void)
{
	check_mp(2);
}

static void test_mp_255_cpus(void)
{
	check_mp(255);
}

static void test_acpi_1_cpu(void)
{
	check_acpi(1);
}

static void test_acpi_4_cpus(void)
{
	check_acpi(4);
}

static void test_acpi_255_cpus(void)
{
	check_acpi(255);
}

/* The parsers really check: a flipped byte anywhere is caught. */
static void test_corruption_is_detected(void)
{
	const uint8_t *p;
	struct found f;
	size_t off;

	CHECK_EQ(write_tables(2), 0);
	p = mp_find();
	CHECK(p);
	ram[le32(p + 4) + 50] ^= 1;		/* inside the first CPU entry */
	CHECK(mp_parse(&f) != 0);
	CHECK_EQ(write_tables(2), 0);
	ram[p - ram + 12] ^= 0x80;		/* a feature byte */
	CHECK(!mp_find());
	CHECK_EQ(write_tables(2), 0);
	p = rsdp_find();
	CHECK(p);
	off = le32(p + 16);			/* RSDT */
	ram[le32(ram + off + 40) + 45] ^= 1;	/* first LAPIC entry */
	CHECK(acpi_parse(&f) != 0);
	CHECK_EQ(write_tables(2), 0);
	ram[p - ram + 30] ^= 1;		/* XSDT address: extended sum */
	CHECK(acpi_parse(&f) != 0);
	CHECK_EQ(write_tables(2), 0);
	ram[le32(ram + off + 36) + 130] ^= 1;	/* a FADT field */
	CHECK(acpi_parse(&f) != 0);
	CHECK_EQ(write_tables(2), 0);
	off = le32(ram + le32(ram + off + 36) + 40);	/* DSDT */
	ram[off + 40] ^= 1;			/* in the AML */
	CHECK(acpi_parse(&f) != 0);
}

/*
 * f000:fff0 holds code that writes the ACPI reset register: a guest that
 * reboots through the BIOS (Linux without EFI on a hardware-reduced ACPI
 * machine) resets the VM. Decoded by hand, so a changed register or value
 * in platform.h cannot slip past.
 */
static void test_reset_vector(void)
{
	static const unsigned int cpus[] = { 1, 4, 255 };
	const uint8_t *v = ram + 0xffff0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpus); i++) {
		CHECK_EQ(write_tables(cpus[i]), 0);
		CHECK_EQ(v[0], 0xba);			/* mov dx, imm16 */
		CHECK_EQ(v[1] | v[2] << 8, PLATFORM_RESET_REG);
		CHECK_EQ(v[3], 0xb0);			/* mov al, imm8 */
		CHECK_EQ(v[4], PLATFORM_RESET_VALUE);
		CHECK_EQ(v[5], 0xee);			/* out dx, al */
		CHECK_EQ(v[6], 0xf4);			/* hlt */
		CHECK_EQ(v[7], 0xeb);			/* jmp to the hlt */
		CHECK_EQ((int8_t)v[8], -3);
		/* The tables for 255 vCPUs stay below it: the rest is zero. */
		CHECK_EQ(v[-1], 0);
	}
	CHECK_EQ(PLATFORM_RESET_REG, 0x602);
	CHECK_EQ(PLATFORM_RESET_VALUE, 0x42);
}

static void test_errors(void)
{
	struct vessel_platform p = { .nr_cpus = 2, .ioapic_base = 0xfec00000 };
	struct vessel_boot flat = {
		.image_start = 0x10000,
		.image_end = 0xf0001,
	};
	char err[160] = "";
	uint8_t small[64];

	memset(ram, 0, RAM_SIZE);
	CHECK_EQ(vessel_boot_write_tables(ram, 0xfffff, NULL, &p, err,
					  sizeof(err)), -ENOSPC);
	CHECK_CONTAINS(err, "below 1 MiB");
	CHECK_EQ(vessel_boot_write_tables(ram, RAM_SIZE, &flat, &p, err,
					  sizeof(err)), -ENOSPC);
	CHECK_CONTAINS(err, "0x10000-0xf0001");
	CHECK(!mp_find());
	flat.image_start = 0xfffff;		/* the reset vector's last byte */
	flat.image_end = 0x100000;
	CHECK_EQ(vessel_boot_write_tables(ram, RAM_SIZE, &flat, &p, err,
					  sizeof(err)), -ENOSPC);
	CHECK_CONTAINS(err, "reset vector");
	flat.image_start = 0x10000;
	flat.image_end = 0xf0000;		/* just below: fine */
	CHECK_EQ(vessel_boot_write_tables(ram, RAM_SIZE, &flat, &p, err,
					  sizeof(err)), 0);
	p.nr_cpus = 0;
	CHECK_EQ(vessel_boot_write_tables(ram, RAM_SIZE, NULL, &p, err,
					  sizeof(err)), -EINVAL);
	p.nr_cpus = 256;
	CHECK_EQ(vessel_boot_write_tables(ram, RAM_SIZE, NULL, &p, NULL, 0),
		 -EINVAL);
	p.nr_cpus = 1;
	CHECK_EQ(vessel_mptable_write(small, sizeof(small), 0xf0000, &p),
		 -ENOSPC);
	CHECK_EQ(vessel_acpi_write(small, sizeof(small), 0xf0000, &p),
		 -ENOSPC);
	CHECK_EQ(vessel_mptable_write(ram, RAM_SIZE, 0xf0008, &p), -EINVAL);
	CHECK_EQ(vessel_acpi_write(ram, RAM_SIZE, 0xf0008, &p), -EINVAL);
	CHECK_EQ(vessel_acpi_write(ram, RAM_SIZE, 0xfffffff0ULL, &p), -EINVAL);
	CHECK_EQ(vessel_mptable_write(ram, RAM_SIZE, 0xf0000, &p),
		 vessel_mptable_size(1));
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_mp_1_cpu),
		TAP_TEST(test_mp_2_cpus),
		TAP_TEST(test_mp_255_cpus),
		TAP_TEST(test_acpi_1_cpu),
		TAP_TEST(test_acpi_4_cpus),
		TAP_TEST(test_acpi_255_cpus),
		TAP_TEST(test_corruption_is_detected),
		TAP_TEST(test_reset_vector),
		TAP_TEST(test_errors),
	};
	int r;

	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 1;
	r = tap_run(tests, TAP_COUNT(tests));
	free(ram);
	return r;
}
