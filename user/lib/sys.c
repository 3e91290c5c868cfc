// SPDX-License-Identifier: GPL-2.0
/*
 * libvessel: the system object (/dev/vessel), its version and capabilities.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "compiler.h"
#include "libvessel.h"

int vessel_sys_open(struct vessel_sys *sys, char *err, size_t errlen)
{
	int r;

	memset(sys, 0, sizeof(*sys));
	sys->fd = open(VESSEL_DEVICE, O_RDWR | O_CLOEXEC);
	if (sys->fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s%s", VESSEL_DEVICE,
			 strerror(errno),
			 errno == ENOENT ? " (is vessel.ko loaded?)" : "");
		return r;
	}
	sys->api_version = ioctl(sys->fd, VESSEL_GET_API_VERSION, 0);
	if (sys->api_version < LIBVESSEL_MIN_API) {
		r = sys->api_version < 0 ? -errno : -EPROTO;
		snprintf(err, errlen,
			 "%s speaks API version %d, this tool needs %d or newer",
			 VESSEL_DEVICE, sys->api_version, LIBVESSEL_MIN_API);
		goto err_close;
	}
	if (ioctl(sys->fd, VESSEL_GET_CAPS, &sys->caps) < 0) {
		r = -errno;
		snprintf(err, errlen, "VESSEL_GET_CAPS failed: %s",
			 strerror(errno));
		goto err_close;
	}
	return 0;

err_close:
	close(sys->fd);
	sys->fd = -1;
	return r;
}

void vessel_sys_close(struct vessel_sys *sys)
{
	if (sys->fd >= 0)
		close(sys->fd);
	sys->fd = -1;
}

const char *vessel_cap_name(uint64_t bit)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ VESSEL_CAP_EPT, "ept" },
		{ VESSEL_CAP_UNRESTRICTED_GUEST, "unrestricted_guest" },
		{ VESSEL_CAP_VPID, "vpid" },
		{ VESSEL_CAP_EPT_AD, "ept_ad" },
		{ VESSEL_CAP_EPT_2M, "ept_2m" },
		{ VESSEL_CAP_EPT_1G, "ept_1g" },
		{ VESSEL_CAP_TPR_SHADOW, "tpr_shadow" },
		{ VESSEL_CAP_APIC_ACCESS, "apic_access" },
		{ VESSEL_CAP_X2APIC_VIRT, "x2apic_virt" },
		{ VESSEL_CAP_PREEMPTION_TIMER, "preemption_timer" },
		{ VESSEL_CAP_XSAVES, "xsaves" },
		{ VESSEL_CAP_RDTSCP, "rdtscp" },
		{ VESSEL_CAP_INVPCID, "invpcid" },
		{ VESSEL_CAP_TSC_SCALING, "tsc_scaling" },
		{ VESSEL_CAP_PML, "pml" },
		{ VESSEL_CAP_SHADOW_VMCS, "shadow_vmcs" },
		{ VESSEL_CAP_MSR_BITMAP, "msr_bitmap" },
		{ VESSEL_CAP_LAPIC, "lapic" },
		{ VESSEL_CAP_RUN_PENDING, "run_pending" },
		{ VESSEL_CAP_PV_MINIMAL, "pv_minimal" },
		{ VESSEL_CAP_PV_KVM, "pv_kvm" },
		{ VESSEL_CAP_PV_HYPERV, "pv_hyperv" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].bit == bit)
			return names[i].name;
	return NULL;
}
