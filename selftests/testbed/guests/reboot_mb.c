// SPDX-License-Identifier: GPL-2.0
/*
 * reboot_mb: a guest that resets its machine through Hyper-V's RESET MSR,
 * for `vessel run --paravirt hyperv`. Each boot checks that it starts from
 * power-on:
 *  - the multiboot magic in EAX (vCPU 0's registers are the boot state);
 *  - marker holds the value in the image (memory was loaded again: the
 *    last boot changed it);
 *  - HV_X64_MSR_GUEST_OS_ID reads 0 (the provider was reset: the last boot
 *    set it),
 * prints "reboot_mb: boot", then changes all three and polls COM1: 'r'
 * writes 1 to HV_X64_MSR_RESET, 'q' exits with 42 (status 85), anything
 * else is ignored. Failures print a line and exit with 0x11 no reset MSR,
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
		}
	}
}
