// SPDX-License-Identifier: GPL-2.0
/*
 * hello_mb: the smallest multiboot guest that proves `vessel run` works
 * end to end. It checks the boot magic, prints
 *   "Hello from a multiboot guest: <cmdline>\n"
 * on COM1 and exits with 42 (status 85). A wrong magic exits with 0x10
 * (status 33).
 */
#include "guest.h"

#define EXIT_BAD_MAGIC		0x10

const char *const guest_name = "hello_mb";

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	if (magic != MB_BOOT_MAGIC)
		fail(EXIT_BAD_MAGIC, "bad multiboot magic in EAX: %x", magic);
	printf("Hello from a multiboot guest: %s\n", mb_cmdline(mbi));
	return EXIT_OK;
}
