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

	LAYOUT_SIZE(struct vessel_vm_create, 64),
	LAYOUT_FIELD(struct vessel_vm_create, flags, 0),
	LAYOUT_FIELD(struct vessel_vm_create, reserved0, 4),
	LAYOUT_FIELD(struct vessel_vm_create, reserved, 8),
	LAYOUT_IOCTL(VESSEL_CREATE_VM, struct vessel_vm_create),

	LAYOUT_SIZE(struct vessel_memory_region, 64),
	LAYOUT_FIELD(struct vessel_memory_region, slot, 0),
	LAYOUT_FIELD(struct vessel_memory_region, flags, 4),
	LAYOUT_FIELD(struct vessel_memory_region, guest_phys_addr, 8),
	LAYOUT_FIELD(struct vessel_memory_region, size, 16),
	LAYOUT_FIELD(struct vessel_memory_region, userspace_addr, 24),
	LAYOUT_FIELD(struct vessel_memory_region, reserved, 32),
	LAYOUT_IOCTL(VESSEL_SET_MEMORY_REGION, struct vessel_memory_region),

	LAYOUT_SIZE(struct vessel_cpuid_entry, 32),
	LAYOUT_FIELD(struct vessel_cpuid_entry, function, 0),
	LAYOUT_FIELD(struct vessel_cpuid_entry, index, 4),
	LAYOUT_FIELD(struct vessel_cpuid_entry, flags, 8),
	LAYOUT_FIELD(struct vessel_cpuid_entry, eax, 12),
	LAYOUT_FIELD(struct vessel_cpuid_entry, ebx, 16),
	LAYOUT_FIELD(struct vessel_cpuid_entry, ecx, 20),
	LAYOUT_FIELD(struct vessel_cpuid_entry, edx, 24),
	LAYOUT_FIELD(struct vessel_cpuid_entry, reserved, 28),

	LAYOUT_SIZE(struct vessel_cpuid, 32),
	LAYOUT_FIELD(struct vessel_cpuid, nr, 0),
	LAYOUT_FIELD(struct vessel_cpuid, flags, 4),
	LAYOUT_FIELD(struct vessel_cpuid, entries, 8),
	LAYOUT_FIELD(struct vessel_cpuid, reserved, 16),
	LAYOUT_IOCTL(VESSEL_SET_CPUID, struct vessel_cpuid),
	LAYOUT_IOCTL(VESSEL_GET_CPUID, struct vessel_cpuid),

	LAYOUT_SIZE(struct vessel_user_msrs, 32),
	LAYOUT_FIELD(struct vessel_user_msrs, nr, 0),
	LAYOUT_FIELD(struct vessel_user_msrs, flags, 4),
	LAYOUT_FIELD(struct vessel_user_msrs, indices, 8),
	LAYOUT_FIELD(struct vessel_user_msrs, reserved, 16),
	LAYOUT_IOCTL(VESSEL_SET_USER_MSRS, struct vessel_user_msrs),

	LAYOUT_SIZE(struct vessel_counters, 1024),
	LAYOUT_FIELD(struct vessel_counters, flags, 0),
	LAYOUT_FIELD(struct vessel_counters, reserved0, 4),
	LAYOUT_FIELD(struct vessel_counters, runs, 8),
	LAYOUT_FIELD(struct vessel_counters, entries, 16),
	LAYOUT_FIELD(struct vessel_counters, vmx_exits, 24),
	LAYOUT_FIELD(struct vessel_counters, user_exits, 664),
	LAYOUT_FIELD(struct vessel_counters, injected, 792),
	LAYOUT_FIELD(struct vessel_counters, reserved, 824),
	LAYOUT_IOCTL(VESSEL_GET_COUNTERS, struct vessel_counters),

	LAYOUT_SIZE(struct vessel_run, 320),
	LAYOUT_FIELD(struct vessel_run, immediate_exit, 0),
	LAYOUT_FIELD(struct vessel_run, exit_reason, 4),
	LAYOUT_FIELD(struct vessel_run, flags, 8),
	LAYOUT_FIELD(struct vessel_run, reserved, 16),
	LAYOUT_FIELD(struct vessel_run, io, 64),
	LAYOUT_FIELD(struct vessel_run, io.direction, 64),
	LAYOUT_FIELD(struct vessel_run, io.size, 65),
	LAYOUT_FIELD(struct vessel_run, io.flags, 66),
	LAYOUT_FIELD(struct vessel_run, io.port, 68),
	LAYOUT_FIELD(struct vessel_run, io.count, 72),
	LAYOUT_FIELD(struct vessel_run, io.data_offset, 76),
	LAYOUT_FIELD(struct vessel_run, mmio.gpa, 64),
	LAYOUT_FIELD(struct vessel_run, mmio.data, 72),
	LAYOUT_FIELD(struct vessel_run, mmio.len, 80),
	LAYOUT_FIELD(struct vessel_run, mmio.is_write, 84),
	LAYOUT_FIELD(struct vessel_run, msr.index, 64),
	LAYOUT_FIELD(struct vessel_run, msr.is_write, 68),
	LAYOUT_FIELD(struct vessel_run, msr.error, 69),
	LAYOUT_FIELD(struct vessel_run, msr.data, 72),
	LAYOUT_FIELD(struct vessel_run, internal.suberror, 64),
	LAYOUT_FIELD(struct vessel_run, internal.ndata, 68),
	LAYOUT_FIELD(struct vessel_run, internal.data, 72),
	LAYOUT_FIELD(struct vessel_run, padding, 64),

	LAYOUT_SIZE(struct vessel_gprs, 144),
	LAYOUT_FIELD(struct vessel_gprs, rip, 128),
	LAYOUT_FIELD(struct vessel_gprs, rflags, 136),
	LAYOUT_SIZE(struct vessel_segment, 16),
	LAYOUT_FIELD(struct vessel_segment, base, 0),
	LAYOUT_FIELD(struct vessel_segment, limit, 8),
	LAYOUT_FIELD(struct vessel_segment, selector, 12),
	LAYOUT_FIELD(struct vessel_segment, attrib, 14),
	LAYOUT_SIZE(struct vessel_dtable, 16),
	LAYOUT_FIELD(struct vessel_dtable, base, 0),
	LAYOUT_FIELD(struct vessel_dtable, limit, 8),
	LAYOUT_SIZE(struct vessel_segs, 160),
	LAYOUT_FIELD(struct vessel_segs, gdt, 128),
	LAYOUT_FIELD(struct vessel_segs, idt, 144),
	LAYOUT_SIZE(struct vessel_crs, 64),
	LAYOUT_FIELD(struct vessel_crs, cr0, 0),
	LAYOUT_FIELD(struct vessel_crs, cr2, 8),
	LAYOUT_FIELD(struct vessel_crs, cr3, 16),
	LAYOUT_FIELD(struct vessel_crs, cr4, 24),
	LAYOUT_FIELD(struct vessel_crs, cr8, 32),
	LAYOUT_FIELD(struct vessel_crs, efer, 40),
	LAYOUT_FIELD(struct vessel_crs, xcr0, 48),
	LAYOUT_SIZE(struct vessel_drs, 64),
	LAYOUT_FIELD(struct vessel_drs, dr6, 32),
	LAYOUT_FIELD(struct vessel_drs, dr7, 40),
	LAYOUT_SIZE(struct vessel_events, 80),
	LAYOUT_FIELD(struct vessel_events, flags, 0),
	LAYOUT_FIELD(struct vessel_events, interruptibility, 4),
	LAYOUT_FIELD(struct vessel_events, activity, 8),
	LAYOUT_FIELD(struct vessel_events, exception_vector, 12),
	LAYOUT_FIELD(struct vessel_events, irq_vector, 13),
	LAYOUT_FIELD(struct vessel_events, exception_error_code, 16),
	LAYOUT_FIELD(struct vessel_events, exception_payload, 24),
	LAYOUT_FIELD(struct vessel_events, injected_info, 32),
	LAYOUT_FIELD(struct vessel_events, injected_error_code, 36),
	LAYOUT_FIELD(struct vessel_events, injected_insn_len, 40),
	LAYOUT_FIELD(struct vessel_events, reserved, 48),
	LAYOUT_SIZE(struct vessel_fpu, 4096),

	LAYOUT_SIZE(struct vessel_vcpu_state, 5120),
	LAYOUT_FIELD(struct vessel_vcpu_state, flags, 0),
	LAYOUT_FIELD(struct vessel_vcpu_state, reserved0, 8),
	LAYOUT_FIELD(struct vessel_vcpu_state, gprs, 64),
	LAYOUT_FIELD(struct vessel_vcpu_state, segs, 208),
	LAYOUT_FIELD(struct vessel_vcpu_state, crs, 368),
	LAYOUT_FIELD(struct vessel_vcpu_state, drs, 432),
	LAYOUT_FIELD(struct vessel_vcpu_state, msrs, 496),
	LAYOUT_FIELD(struct vessel_vcpu_state, events, 752),
	LAYOUT_FIELD(struct vessel_vcpu_state, reserved1, 832),
	LAYOUT_FIELD(struct vessel_vcpu_state, fpu, 1024),
	LAYOUT_IOCTL(VESSEL_GET_STATE, struct vessel_vcpu_state),
	LAYOUT_IOCTL(VESSEL_SET_STATE, struct vessel_vcpu_state),

	LAYOUT_SIZE(struct vessel_event, 64),
	LAYOUT_FIELD(struct vessel_event, type, 0),
	LAYOUT_FIELD(struct vessel_event, vector, 4),
	LAYOUT_FIELD(struct vessel_event, flags, 8),
	LAYOUT_FIELD(struct vessel_event, error_code, 12),
	LAYOUT_FIELD(struct vessel_event, payload, 16),
	LAYOUT_FIELD(struct vessel_event, reserved, 24),
	LAYOUT_IOCTL(VESSEL_INJECT, struct vessel_event),

	/* In-kernel interrupts. */
	LAYOUT_SIZE(struct vessel_msi, 32),
	LAYOUT_FIELD(struct vessel_msi, address, 0),
	LAYOUT_FIELD(struct vessel_msi, data, 8),
	LAYOUT_FIELD(struct vessel_msi, flags, 12),
	LAYOUT_FIELD(struct vessel_msi, reserved, 16),
	LAYOUT_IOCTL(VESSEL_SIGNAL_MSI, struct vessel_msi),
	LAYOUT_SIZE(struct vessel_lapic_info, 64),
	LAYOUT_FIELD(struct vessel_lapic_info, timer_hz, 8),
	LAYOUT_FIELD(struct vessel_lapic_info, tsc_hz, 16),
	LAYOUT_FIELD(struct vessel_lapic_info, reserved, 24),
	LAYOUT_IOCTL(VESSEL_GET_LAPIC_INFO, struct vessel_lapic_info),
	LAYOUT_SIZE(struct vessel_lapic_state, 1152),
	LAYOUT_FIELD(struct vessel_lapic_state, apic_base, 8),
	LAYOUT_FIELD(struct vessel_lapic_state, tsc_deadline, 16),
	LAYOUT_FIELD(struct vessel_lapic_state, timer_ns, 24),
	LAYOUT_FIELD(struct vessel_lapic_state, reserved, 32),
	LAYOUT_FIELD(struct vessel_lapic_state, regs, 128),
	LAYOUT_IOCTL(VESSEL_GET_LAPIC, struct vessel_lapic_state),
	LAYOUT_IOCTL(VESSEL_SET_LAPIC, struct vessel_lapic_state),
	LAYOUT_SIZE(struct vessel_mp_state, 32),
	LAYOUT_FIELD(struct vessel_mp_state, flags, 4),
	LAYOUT_FIELD(struct vessel_mp_state, reserved, 8),
	LAYOUT_IOCTL(VESSEL_GET_MP_STATE, struct vessel_mp_state),
	LAYOUT_IOCTL(VESSEL_SET_MP_STATE, struct vessel_mp_state),
	LAYOUT_FIELD(struct vessel_run, eoi.vector, 64),

	/* Argument-less ioctls encode no size. */
	{ "_IOC_SIZE(VESSEL_CREATE_VCPU)", _IOC_SIZE(VESSEL_CREATE_VCPU), 0 },
	{ "_IOC_SIZE(VESSEL_RUN)", _IOC_SIZE(VESSEL_RUN), 0 },
	{ "_IOC_SIZE(VESSEL_KICK)", _IOC_SIZE(VESSEL_KICK), 0 },
	{ "_IOC_DIR(VESSEL_GET_STATE)", _IOC_DIR(VESSEL_GET_STATE),
	  _IOC_READ | _IOC_WRITE },
	{ "_IOC_DIR(VESSEL_SET_STATE)", _IOC_DIR(VESSEL_SET_STATE), _IOC_WRITE },
};

#define UAPI_LAYOUT_COUNT ARRAY_SIZE(uapi_layout)

#endif /* VESSEL_UAPI_LAYOUT_H */
