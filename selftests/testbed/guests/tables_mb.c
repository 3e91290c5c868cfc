// SPDX-License-Identifier: GPL-2.0
/*
 * tables_mb: a guest that looks at the machine `vessel run` gives a VM with
 * a local APIC, the way firmware-less kernels do, and prints
 *   "MP cpus N, ACPI cpus N, IOAPIC VVVVVVVV, PIC IMR MM\n"
 * then exits with 42 (status 85):
 *  - MP: the floating pointer in 0xf0000-0xfffff, its configuration table
 *    ("PCMP"), both checksummed, processor entries counted;
 *  - ACPI: the MADT through the RSDP and the RSDT, Processor Local APIC
 *    entries counted, enabled or not;
 *  - the I/O APIC version register;
 *  - the master 8259's IMR.
 * A missing or corrupt table prints its name and exits with 0x11 (MP) or
 * 0x12 (ACPI) instead: statuses 35 and 37.
 */
#include "acpi.h"
#include "apic.h"
#include "pic.h"

#define EXIT_NO_MP		0x11
#define EXIT_NO_ACPI		0x12

#define MP_AREA			0xf0000
#define MP_PROCESSOR		0	/* entry type; processor entries are 20 bytes */
#define MP_PROCESSOR_SIZE	20
#define MP_OTHER_SIZE		8

struct mp_floating {
	char signature[4];
	uint32_t config;
	uint8_t length;
	uint8_t revision;
	uint8_t checksum;
	uint8_t features[5];
} __packed;

struct mp_config {
	char signature[4];
	uint16_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __packed;

const char *const guest_name = "tables_mb";

/* The processor entries of the MP table, or -1 if it is missing or corrupt. */
static int mp_cpus(void)
{
	const struct mp_floating *mpf = bios_find(MP_AREA, "_MP_", 4,
						  sizeof(*mpf));
	const struct mp_config *mpc;
	const uint8_t *e, *end;
	unsigned int i, size;
	int cpus = 0;

	if (!mpf)
		return -1;
	mpc = (const void *)mpf->config;
	if (memcmp(mpc->signature, "PCMP", 4) || mpc->length < sizeof(*mpc) ||
	    !checksum_ok(mpc, mpc->length))
		return -1;
	e = (const uint8_t *)(mpc + 1);
	end = (const uint8_t *)mpc + mpc->length;
	for (i = 0; i < mpc->entry_count; i++, e += size) {
		size = *e == MP_PROCESSOR ? MP_PROCESSOR_SIZE : MP_OTHER_SIZE;
		if ((size_t)(end - e) < size)
			return -1;
		cpus += *e == MP_PROCESSOR;
	}
	return cpus;
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	int mp = mp_cpus();
	const struct madt_entry *e = NULL;
	const struct madt *madt;
	uint32_t acpi = 0;

	if (mp < 0)
		fail(EXIT_NO_MP, "no valid MP table");
	madt = acpi_find_madt();
	if (!madt)
		fail(EXIT_NO_ACPI, "no valid ACPI MADT");
	while ((e = madt_next(madt, e)))
		acpi += e->type == MADT_LAPIC;
	printf("MP cpus %d, ACPI cpus %u, IOAPIC %08x, PIC IMR %02x\n", mp, acpi,
	       ioapic_read(IOAPIC_REG_VER), inb(PIC1_DATA));
	return EXIT_OK;
}
