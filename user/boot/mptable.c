// SPDX-License-Identifier: GPL-2.0
/*
 * MP tables, laid out per the Intel MultiProcessor Specification 1.4,
 * chapter 4 ("MP Configuration Table").
 */
#include <errno.h>
#include <string.h>

#include "compiler.h"
#include "mptable.h"

struct mp_fps {
	char signature[4];
	uint32_t config;	/* physical address of the config table */
	uint8_t length;		/* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];	/* 0: a config table is present; IMCRP clear */
} __packed;

struct mp_config {
	char signature[4];
	uint16_t length;	/* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entries;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __packed;

struct mp_processor {
	uint8_t type;
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __packed;

struct mp_bus {
	uint8_t type;
	uint8_t id;
	char name[6];
} __packed;

struct mp_ioapic {
	uint8_t type;
	uint8_t id;
	uint8_t version;
	uint8_t flags;
	uint32_t address;
} __packed;

/* I/O and local interrupt assignment entries share one layout. */
struct mp_int {
	uint8_t type;
	uint8_t int_type;
	uint16_t flags;		/* 0: polarity and trigger conform to the bus */
	uint8_t bus;
	uint8_t bus_irq;
	uint8_t dest_id;
	uint8_t dest_pin;
} __packed;

#define MP_ISA_BUS		0
#define MP_IOAPIC_VERSION	0x11
/* Family 6 with an on-chip FPU and APIC: what the processor entries claim. */
#define MP_CPU_SIGNATURE	0x600
#define MP_CPU_FEATURES		((1U << 0) | (1U << 9))
#define MP_LINT0		0
#define MP_LINT1		1
/* ExtINT on input 0, then ISA IRQs 0, 1 and 3-15. */
#define MP_NR_IOINTS		(1 + PLATFORM_ISA_IRQS - 1)
#define MP_NR_LOCALINTS		2

size_t vessel_mptable_size(unsigned int nr_cpus)
{
	return sizeof(struct mp_fps) + sizeof(struct mp_config) +
	       nr_cpus * sizeof(struct mp_processor) + sizeof(struct mp_bus) +
	       sizeof(struct mp_ioapic) +
	       (MP_NR_IOINTS + MP_NR_LOCALINTS) * sizeof(struct mp_int);
}

static uint8_t mp_checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return -sum;
}

/* Appends entries to a buffer already known to be large enough. */
struct mp_writer {
	uint8_t *p;
	uint16_t entries;
};

static void mp_put(struct mp_writer *w, const void *entry, size_t len)
{
	memcpy(w->p, entry, len);
	w->p += len;
	w->entries++;
}

static void mp_put_int(struct mp_writer *w, uint8_t type, uint8_t int_type,
		       uint8_t bus_irq, uint8_t dest_id, uint8_t dest_pin)
{
	struct mp_int e = {
		.type = type,
		.int_type = int_type,
		.bus = MP_ISA_BUS,
		.bus_irq = bus_irq,
		.dest_id = dest_id,
		.dest_pin = dest_pin,
	};

	mp_put(w, &e, sizeof(e));
}

static void mp_put_processors(struct mp_writer *w,
			      const struct vessel_platform *p)
{
	unsigned int i;

	for (i = 0; i < p->nr_cpus; i++) {
		struct mp_processor e = {
			.type = MP_ENTRY_PROCESSOR,
			.apic_id = i,
			.apic_version = PLATFORM_LAPIC_VERSION,
			.flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.signature = MP_CPU_SIGNATURE,
			.features = MP_CPU_FEATURES,
		};

		mp_put(w, &e, sizeof(e));
	}
}

static void mp_put_interrupts(struct mp_writer *w,
			      const struct vessel_platform *p)
{
	unsigned int irq;

	mp_put_int(w, MP_ENTRY_IOINT, MP_INT_EXTINT, 0, p->ioapic_id, 0);
	for (irq = 0; irq < PLATFORM_ISA_IRQS; irq++) {
		if (irq == 2)
			continue;	/* the 8259 cascade */
		mp_put_int(w, MP_ENTRY_IOINT, MP_INT_INT, irq, p->ioapic_id,
			   platform_isa_gsi(irq));
	}
	mp_put_int(w, MP_ENTRY_LOCALINT, MP_INT_EXTINT, 0, MP_ALL_LAPICS,
		   MP_LINT0);
	mp_put_int(w, MP_ENTRY_LOCALINT, MP_INT_NMI, 0, MP_ALL_LAPICS,
		   MP_LINT1);
}

ssize_t vessel_mptable_write(void *buf, size_t room, uint64_t gpa,
			     const struct vessel_platform *p)
{
	struct mp_fps *fps = buf;
	struct mp_config *cfg = (struct mp_config *)(fps + 1);
	struct mp_bus bus = { .type = MP_ENTRY_BUS, .id = MP_ISA_BUS };
	struct mp_ioapic ioapic = {
		.type = MP_ENTRY_IOAPIC,
		.id = p->ioapic_id,
		.version = MP_IOAPIC_VERSION,
		.flags = MP_IOAPIC_ENABLED,
		.address = p->ioapic_base,
	};
	struct mp_writer w;
	size_t size;

	if (!p->nr_cpus || p->nr_cpus > PLATFORM_MAX_CPUS || gpa % 16 ||
	    gpa > UINT32_MAX - sizeof(*fps))
		return -EINVAL;
	size = vessel_mptable_size(p->nr_cpus);
	if (room < size)
		return -ENOSPC;
	memset(buf, 0, size);

	w.p = (uint8_t *)(cfg + 1);
	w.entries = 0;
	mp_put_processors(&w, p);
	memcpy(bus.name, "ISA   ", sizeof(bus.name));
	mp_put(&w, &bus, sizeof(bus));
	mp_put(&w, &ioapic, sizeof(ioapic));
	mp_put_interrupts(&w, p);

	memcpy(cfg->signature, MP_CONFIG_SIGNATURE, 4);
	cfg->length = w.p - (uint8_t *)cfg;
	cfg->spec_rev = MP_SPEC_REV;
	memcpy(cfg->oem, "VESSEL  ", sizeof(cfg->oem));
	memcpy(cfg->product, "VESSEL VM   ", sizeof(cfg->product));
	cfg->entries = w.entries;
	cfg->lapic = PLATFORM_LAPIC_BASE;
	cfg->checksum = mp_checksum(cfg, cfg->length);

	memcpy(fps->signature, MP_FPS_SIGNATURE, 4);
	fps->config = gpa + sizeof(*fps);
	fps->length = sizeof(*fps) / 16;
	fps->spec_rev = MP_SPEC_REV;
	fps->checksum = mp_checksum(fps, sizeof(*fps));
	return size;
}
