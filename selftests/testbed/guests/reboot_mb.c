// SPDX-License-Identifier: GPL-2.0
/*
 * reboot_mb: a guest that resets its machine, for `vessel run --paravirt
 * hyperv`: through Hyper-V's RESET MSR, the ACPI reset register or the
 * 8042's reset command, and that powers it off through the ACPI sleep
 * control register (the ports the FADT names, Documentation/linux.rst).
 * Each boot checks that it starts from power-on:
 *  - the multiboot magic in EAX (vCPU 0's registers are the boot state);
 *  - marker holds the value in the image (memory was loaded again: the
 *    last boot changed it);
 *  - HV_X64_MSR_GUEST_OS_ID reads 0 (the provider was reset: the last boot
 *    set it),
 * prints "reboot_mb: boot", then changes all three and polls COM1: 'r'
 * writes 1 to HV_X64_MSR_RESET, 'a' 0x42 to the ACPI reset register
 * (0x602), 'k' 0xfe to the 8042 (0x64), 'o' soft off (SLP_TYP 5 with
 * SLP_EN) to the ACPI sleep control register (0x600), 'q' exits with 42
 * (status 85), anything else is ignored. Failures print a line and exit
 * with 0x11 no reset MSR,
 * 0x12 registers, 0x13 memory, 0x14 provider not at power-on, 0x16 the
 * reset did not happen.
 */
#include "hyperv.h"
#include "uart.h"

#define HV_RESET_AVAILABLE	(1 << 7)	/* EAX: HV_X64_MSR_RESET */
#define MARKER_IMAGE		0x1badcafe
#define MARKER_RUNNING		0x600dcafe

#define EXIT_NO_RESET		0x11
#define EXIT_REGISTERS		0x12
#define EXIT_MEMORY		0x13
#define EXIT_PROVIDER		0x14
#define EXIT_NOT_RESET		0x16

#define ACPI_SLEEP_CTL		0x600
#define ACPI_RESET_REG		0x602
#define ACPI_RESET_VALUE	0x42
#define ACPI_SLP_EN		0x20
#define ACPI_S5_TYP		5
#define I8042_CMD		0x64
#define I8042_RESET		0xfe

const char *const guest_name = "reboot_mb";

static uint32_t marker = MARKER_IMAGE;

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t features, privileges;

	if (magic != MB_BOOT_MAGIC)
		fail(EXIT_REGISTERS, "EAX %x at entry: not at power-on", magic);
	if (!hv_features(&features, &privileges) ||
	    !(features & HV_RESET_AVAILABLE))
		fail(EXIT_NO_RESET, "no Hyper-V reset MSR");
	if (READ_ONCE(marker) != MARKER_IMAGE)
		fail(EXIT_MEMORY, "marker %x: memory not at power-on", marker);
	if (rdmsr(HV_MSR_GUEST_OS_ID))
		fail(EXIT_PROVIDER, "guest OS ID set: provider not at power-on");
	printf("reboot_mb: boot\n");

	/* What the next boot must find undone. */
	WRITE_ONCE(marker, MARKER_RUNNING);
	wrmsr(HV_MSR_GUEST_OS_ID, HV_OS_ID_OPEN_SOURCE);
	for (;;) {
		switch (uart_getc()) {
		case 'q':
			return EXIT_OK;
		case 'r':
			wrmsr(HV_MSR_RESET, 1);
			/* Not reached: the machine starts again at _start. */
			fail(EXIT_NOT_RESET, "still running after the reset");
		case 'a':
			outb(ACPI_RESET_VALUE, ACPI_RESET_REG);
			fail(EXIT_NOT_RESET, "still running after the ACPI reset");
		case 'k':
			/* As Linux's kb_wait(): room in the input buffer first. */
			while (inb(I8042_CMD) & 0x02)
				cpu_relax();
			outb(I8042_RESET, I8042_CMD);
			fail(EXIT_NOT_RESET, "still running after the 8042 reset");
		case 'o':
			outb(ACPI_S5_TYP << 2 | ACPI_SLP_EN, ACPI_SLEEP_CTL);
			fail(EXIT_NOT_RESET, "still running after soft off");
		}
	}
}
