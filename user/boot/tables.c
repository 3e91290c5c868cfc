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

/*
 * The reset vector's code (real mode, at f000:fff0, the last 16 bytes
 * below 1 MiB): write the ACPI reset register, as a PC's firmware resets
 * the machine when it is entered there again. Linux on a hardware-reduced
 * ACPI platform reboots by EFI, and without EFI by jumping to the BIOS
 * (reboot_init(): efi_reboot_required(), then machine_real_restart()),
 * as do old kernels and boot loaders.
 *
 *   mov dx, PLATFORM_RESET_REG; mov al, PLATFORM_RESET_VALUE; out dx, al
 *   1: hlt; jmp 1b
 */
static const uint8_t reset_stub[] = {
	0xba, PLATFORM_RESET_REG & 0xff, PLATFORM_RESET_REG >> 8,
	0xb0, PLATFORM_RESET_VALUE,
	0xee,
	0xf4,
	0xeb, 0xfd,
};

int vessel_boot_write_tables(void *ram, uint64_t ram_size,
			     const struct vessel_boot *boot,
			     const struct vessel_platform *p,
			     char *err, size_t errlen)
{
	const uint64_t base = PLATFORM_TABLES_BASE;
	const size_t room = PLATFORM_RESET_VECTOR - PLATFORM_TABLES_BASE;
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
	if (end > PLATFORM_RESET_VECTOR)
		return tables_error(err, errlen, -ENOSPC,
				    "MP and ACPI tables for %u vCPUs do not fit below the reset vector",
				    p->nr_cpus);
	if (boot && boot->image_start < PLATFORM_TABLES_END &&
	    boot->image_end > base)
		return tables_error(err, errlen, -ENOSPC,
				    "the image (%#" PRIx64 "-%#" PRIx64 ") covers %#" PRIx64 "-%#" PRIx64 ", where the MP and ACPI tables and the reset vector go",
				    boot->image_start, boot->image_end, base,
				    (uint64_t)PLATFORM_TABLES_END);

	n = vessel_mptable_write((uint8_t *)ram + base, room, base, p);
	if (n >= 0)
		n = vessel_acpi_write((uint8_t *)ram + acpi,
				      PLATFORM_RESET_VECTOR - acpi, acpi, p);
	if (n < 0)
		return tables_error(err, errlen, n,
				    "cannot write the MP and ACPI tables: %s",
				    strerror(-n));
	memcpy((uint8_t *)ram + PLATFORM_RESET_VECTOR, reset_stub,
	       sizeof(reset_stub));
	/* A Linux guest is told where the RSDP is rather than left to scan. */
	if (boot && vessel_image_set_rsdp(ram, ram_size, boot, acpi))
		return tables_error(err, errlen, -EINVAL,
				    "the Linux boot parameters at %#" PRIx64 " lie outside guest RAM",
				    boot->linux_params);
	return 0;
}
