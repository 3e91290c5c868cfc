// SPDX-License-Identifier: GPL-2.0
/*
 * vessel info: what the loaded module and this host can do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "compiler.h"
#include "lib/libvessel.h"

static void info_print_caps(const struct vessel_caps *c)
{
	int bit;

	printf("capabilities:");
	for (bit = 0; bit < 64; bit++) {
		const char *name;

		if (!(c->flags & (1ULL << bit)))
			continue;
		name = vessel_cap_name(1ULL << bit);
		if (name)
			printf(" %s", name);
		else
			printf(" bit%d", bit);
	}
	printf("\n");
}

static void info_print_raw(const struct vessel_caps *c)
{
	const struct {
		const char *name;
		uint64_t val;
	} raw[] = {
		{ "IA32_VMX_BASIC", c->vmx_basic },
		{ "pin-based controls", c->vmx_pinbased },
		{ "processor-based controls", c->vmx_procbased },
		{ "secondary controls", c->vmx_procbased2 },
		{ "exit controls", c->vmx_exit },
		{ "entry controls", c->vmx_entry },
		{ "IA32_VMX_MISC", c->vmx_misc },
		{ "IA32_VMX_EPT_VPID_CAP", c->vmx_ept_vpid },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(raw); i++)
		printf("%-26s %#018" PRIx64 "\n", raw[i].name, raw[i].val);
}

static int info_main(int argc, char **argv)
{
	struct vessel_sys sys;
	char err[256];
	int raw = 0, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--raw")) {
			raw = 1;
		} else {
			fprintf(stderr, "vessel info: unknown option '%s'\n", argv[i]);
			return VESSEL_EXIT_USAGE;
		}
	}
	if (vessel_sys_open(&sys, err, sizeof(err))) {
		fprintf(stderr, "vessel info: %s\n", err);
		return VESSEL_EXIT_NODEV;
	}
	printf("api version:   %d\n", sys.api_version);
	printf("vmcs revision: %#x\n", sys.caps.vmcs_revision);
	printf("host cpus:     %u\n", sys.caps.nr_cpus);
	printf("limits:        %u vcpus, %u memory slots, %" PRIu64 " MiB per VM\n",
	       sys.caps.max_vcpus, sys.caps.max_mem_slots,
	       (uint64_t)(sys.caps.max_mem_bytes >> 20));
	info_print_caps(&sys.caps);
	if (raw)
		info_print_raw(&sys.caps);
	vessel_sys_close(&sys);
	return VESSEL_EXIT_OK;
}

const struct vessel_cmd vessel_cmd_info = {
	.name = "info",
	.summary = "print the module's API version and capabilities",
	.usage =
		"vessel info [--raw]\n"
		"  --raw   also print the raw VMX capability MSRs\n",
	.run = info_main,
};
