// SPDX-License-Identifier: GPL-2.0
/*
 * The uapi layout table checked against the host compiler, so an ABI slip
 * shows up in seconds, before any test machine boots.
 */
#include <sys/ioctl.h>

#include "tap.h"
#include "uapi_layout.h"

static void test_uapi_layout(void)
{
	size_t i;

	for (i = 0; i < UAPI_LAYOUT_COUNT; i++) {
		if (uapi_layout[i].actual != uapi_layout[i].expected)
			tap_diag(__FILE__, __LINE__, "%s is %zu, documented %zu",
				 uapi_layout[i].what, uapi_layout[i].actual,
				 uapi_layout[i].expected);
	}
}

/* Reserved tails are whole 64-bit words, so no implicit padding hides. */
static void test_caps_no_padding(void)
{
	struct vessel_caps c;
	size_t fields = sizeof(c.api_version) + sizeof(c.vmcs_revision) +
			sizeof(c.flags) + sizeof(c.nr_cpus) +
			sizeof(c.max_vcpus) + sizeof(c.max_mem_slots) +
			sizeof(c.pad0) + sizeof(c.max_mem_bytes) +
			8 * sizeof(c.vmx_basic) + sizeof(c.reserved);

	CHECK_EQ(sizeof(c), fields);
}

int main(void)
{
	static const struct tap_test tests[] = {
		TAP_TEST(test_uapi_layout),
		TAP_TEST(test_caps_no_padding),
	};

	return tap_run(tests, TAP_COUNT(tests));
}
