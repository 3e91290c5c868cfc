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

/* Through the RSDT, and the XSDT must agree. */
static int acpi_parse(struct found *f)
{
	const uint8_t *rsdp = rsdp_find(), *rsdt, *xsdt, *madt;

	found_init(f);
	if (!rsdp || rsdp[15] != 2 || le32(rsdp + 20) != 36 ||
	    sum(rsdp, 36))
		return __LINE__;
	rsdt = sdt_at(le32(rsdp + 16), "RSDT");
	xsdt = sdt_at(le64(rsdp + 24), "XSDT");
	if (!rsdt || !xsdt || le32(rsdt + 4) != 40 || le32(xsdt + 4) != 44)
		return __LINE__;
	if (le32(rsdt + 36) != le64(xsdt + 36))
		return __LINE__;
	madt = sdt_at(le32(rsdt + 36), "APIC");
	if (!madt)
		return __LINE__;
	return madt_parse(madt, f);
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
	ram[le32(ram + off + 36) + 45] ^= 1;	/* first LAPIC entry */
	CHECK(acpi_parse(&f) != 0);
	CHECK_EQ(write_tables(2), 0);
	ram[p - ram + 30] ^= 1;		/* XSDT address: extended sum */
	CHECK(acpi_parse(&f) != 0);
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
