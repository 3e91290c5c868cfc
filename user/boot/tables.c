// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware tables of a VM with an in-kernel APIC: MP (mptable.c),
 * then ACPI (acpi.c), in the BIOS area (platform.h), where guests scan.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "acpi.h"
#include "boot.h"
#include "compiler.h"
#include "mptable.h"

__printf(4, 5)
static int tables_error(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

int vessel_boot_write_tables(void *ram, uint64_t ram_size,
			     const struct vessel_boot *boot,
			     const struct vessel_platform *p,
			     char *err, size_t errlen)
{
	const uint64_t base = PLATFORM_TABLES_BASE;
	const size_t room = PLATFORM_TABLES_END - PLATFORM_TABLES_BASE;
	uint64_t acpi, end;
	ssize_t n;

	if (!p->nr_cpus || p->nr_cpus > PLATFORM_MAX_CPUS)
		return tables_error(err, errlen, -EINVAL,
				    "%u vCPUs: the MP and ACPI tables describe 1 to %u",
				    p->nr_cpus, PLATFORM_MAX_CPUS);
	if (ram_size < PLATFORM_TABLES_END)
		return tables_error(err, errlen, -ENOSPC,
				    "guest RAM ends below 1 MiB, where the MP and ACPI tables go");
	/* Both writers check @room; the area holds 255 vCPUs with room to spare. */
	acpi = base + ((vessel_mptable_size(p->nr_cpus) + 15) & ~15ULL);
	end = acpi + vessel_acpi_size(p->nr_cpus);
	if (end > PLATFORM_TABLES_END)
		return tables_error(err, errlen, -ENOSPC,
				    "MP and ACPI tables for %u vCPUs do not fit below 1 MiB",
				    p->nr_cpus);
	if (boot && boot->image_start < end && boot->image_end > base)
		return tables_error(err, errlen, -ENOSPC,
				    "the image (%#" PRIx64 "-%#" PRIx64 ") covers %#" PRIx64 "-%#" PRIx64 ", where the MP and ACPI tables go",
				    boot->image_start, boot->image_end, base,
				    end);

	n = vessel_mptable_write((uint8_t *)ram + base, room, base, p);
	if (n >= 0)
		n = vessel_acpi_write((uint8_t *)ram + acpi,
				      PLATFORM_TABLES_END - acpi, acpi, p);
	if (n < 0)
		return tables_error(err, errlen, n,
				    "cannot write the MP and ACPI tables: %s",
				    strerror(-n));
	return 0;
}
