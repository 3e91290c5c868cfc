/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The documented layout of every uapi struct, as one table: the selftests
 * check it against the binaries built for the test machine and the host
 * unit tests against the host compiler.
 */
#ifndef VESSEL_UAPI_LAYOUT_H
#define VESSEL_UAPI_LAYOUT_H

#include <stddef.h>
#include <vessel.h>

#include "compiler.h"

struct uapi_layout {
	const char *what;
	size_t actual;
	size_t expected;
};

#define LAYOUT_SIZE(type, size) \
	{ "sizeof(" #type ")", sizeof(type), size }
#define LAYOUT_FIELD(type, field, off) \
	{ #type "." #field, offsetof(type, field), off }
#define LAYOUT_IOCTL(cmd, type) \
	{ "_IOC_SIZE(" #cmd ")", _IOC_SIZE(cmd), sizeof(type) }

static const struct uapi_layout uapi_layout[] = {
	LAYOUT_SIZE(struct vessel_caps, 256),
	LAYOUT_FIELD(struct vessel_caps, api_version, 0),
	LAYOUT_FIELD(struct vessel_caps, vmcs_revision, 4),
	LAYOUT_FIELD(struct vessel_caps, flags, 8),
	LAYOUT_FIELD(struct vessel_caps, nr_cpus, 16),
	LAYOUT_FIELD(struct vessel_caps, max_vcpus, 20),
	LAYOUT_FIELD(struct vessel_caps, max_mem_slots, 24),
	LAYOUT_FIELD(struct vessel_caps, pad0, 28),
	LAYOUT_FIELD(struct vessel_caps, max_mem_bytes, 32),
	LAYOUT_FIELD(struct vessel_caps, vmx_basic, 40),
	LAYOUT_FIELD(struct vessel_caps, vmx_ept_vpid, 96),
	LAYOUT_FIELD(struct vessel_caps, reserved, 104),
	LAYOUT_IOCTL(VESSEL_GET_CAPS, struct vessel_caps),
	{ "_IOC_TYPE(VESSEL_GET_CAPS)", _IOC_TYPE(VESSEL_GET_CAPS), 0xB8 },
	{ "_IOC_DIR(VESSEL_GET_CAPS)", _IOC_DIR(VESSEL_GET_CAPS), _IOC_READ },
	{ "_IOC_DIR(VESSEL_GET_API_VERSION)", _IOC_DIR(VESSEL_GET_API_VERSION),
	  _IOC_NONE },
};

#define UAPI_LAYOUT_COUNT ARRAY_SIZE(uapi_layout)

#endif /* VESSEL_UAPI_LAYOUT_H */
