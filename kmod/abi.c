// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: the ioctl ABI's layout (uapi/vessel.h), checked at build time
 * in this one place: the size of every struct, the offset of every field
 * (those of vessel_run's union members too) and every ioctl number.  The
 * numbers are written out rather than derived, so that a layout change
 * cannot happen by accident: it fails the build until this file changes
 * with it, and with it the userspace table the selftests and the host
 * unit tests check the same layout against (selftests/lib/uapi_layout.h).
 * tests/unit/test_kmod_layers.sh checks that both cover every struct and
 * field.
 */
#include <linux/build_bug.h>
#include <linux/init.h>
#include <linux/ioctl.h>
#include <linux/stddef.h>
#include <vessel.h>

#include "internal.h"

#define ABI_SIZE(type, size)		BUILD_BUG_ON(sizeof(type) != (size))
#define ABI_FIELD(type, field, off)	BUILD_BUG_ON(offsetof(type, field) != (off))
#define ABI_IOCTL(cmd, number)		BUILD_BUG_ON((cmd) != (number))

/* Generates no code; called once so that the compiler sees it. */
void __init vessel_abi_check(void)
{
	/* struct vessel_caps: VESSEL_GET_CAPS */
	ABI_SIZE(struct vessel_caps, 256);
	ABI_FIELD(struct vessel_caps, api_version, 0);
	ABI_FIELD(struct vessel_caps, vmcs_revision, 4);
	ABI_FIELD(struct vessel_caps, flags, 8);
	ABI_FIELD(struct vessel_caps, nr_cpus, 16);
	ABI_FIELD(struct vessel_caps, max_vcpus, 20);
	ABI_FIELD(struct vessel_caps, max_mem_slots, 24);
	ABI_FIELD(struct vessel_caps, pad0, 28);
	ABI_FIELD(struct vessel_caps, max_mem_bytes, 32);
	ABI_FIELD(struct vessel_caps, vmx_basic, 40);
	ABI_FIELD(struct vessel_caps, vmx_pinbased, 48);
	ABI_FIELD(struct vessel_caps, vmx_procbased, 56);
	ABI_FIELD(struct vessel_caps, vmx_procbased2, 64);
	ABI_FIELD(struct vessel_caps, vmx_exit, 72);
	ABI_FIELD(struct vessel_caps, vmx_entry, 80);
	ABI_FIELD(struct vessel_caps, vmx_misc, 88);
	ABI_FIELD(struct vessel_caps, vmx_ept_vpid, 96);
	ABI_FIELD(struct vessel_caps, reserved, 104);

	/* struct vessel_vm_create: VESSEL_CREATE_VM */
	ABI_SIZE(struct vessel_vm_create, 64);
	ABI_FIELD(struct vessel_vm_create, flags, 0);
	ABI_FIELD(struct vessel_vm_create, reserved0, 4);
	ABI_FIELD(struct vessel_vm_create, pv_provider, 8);
	ABI_FIELD(struct vessel_vm_create, pv_version, 12);
	ABI_FIELD(struct vessel_vm_create, reserved, 16);

	/* struct vessel_memory_region: VESSEL_SET_MEMORY_REGION */
	ABI_SIZE(struct vessel_memory_region, 64);
	ABI_FIELD(struct vessel_memory_region, slot, 0);
	ABI_FIELD(struct vessel_memory_region, flags, 4);
	ABI_FIELD(struct vessel_memory_region, guest_phys_addr, 8);
	ABI_FIELD(struct vessel_memory_region, size, 16);
	ABI_FIELD(struct vessel_memory_region, userspace_addr, 24);
	ABI_FIELD(struct vessel_memory_region, reserved, 32);

	/* struct vessel_dirty_log: VESSEL_GET_DIRTY_LOG, VESSEL_CLEAR_DIRTY_LOG */
	ABI_SIZE(struct vessel_dirty_log, 64);
	ABI_FIELD(struct vessel_dirty_log, slot, 0);
	ABI_FIELD(struct vessel_dirty_log, flags, 4);
	ABI_FIELD(struct vessel_dirty_log, first_page, 8);
	ABI_FIELD(struct vessel_dirty_log, num_pages, 16);
	ABI_FIELD(struct vessel_dirty_log, bitmap, 24);
	ABI_FIELD(struct vessel_dirty_log, reserved, 32);

	/* struct vessel_cpuid_entry */
	ABI_SIZE(struct vessel_cpuid_entry, 32);
	ABI_FIELD(struct vessel_cpuid_entry, function, 0);
	ABI_FIELD(struct vessel_cpuid_entry, index, 4);
	ABI_FIELD(struct vessel_cpuid_entry, flags, 8);
	ABI_FIELD(struct vessel_cpuid_entry, eax, 12);
	ABI_FIELD(struct vessel_cpuid_entry, ebx, 16);
	ABI_FIELD(struct vessel_cpuid_entry, ecx, 20);
	ABI_FIELD(struct vessel_cpuid_entry, edx, 24);
	ABI_FIELD(struct vessel_cpuid_entry, reserved, 28);

	/* struct vessel_cpuid: VESSEL_SET_CPUID, VESSEL_GET_CPUID */
	ABI_SIZE(struct vessel_cpuid, 32);
	ABI_FIELD(struct vessel_cpuid, nr, 0);
	ABI_FIELD(struct vessel_cpuid, flags, 4);
	ABI_FIELD(struct vessel_cpuid, entries, 8);
	ABI_FIELD(struct vessel_cpuid, reserved, 16);

	/* struct vessel_user_msrs: VESSEL_SET_USER_MSRS */
	ABI_SIZE(struct vessel_user_msrs, 32);
	ABI_FIELD(struct vessel_user_msrs, nr, 0);
	ABI_FIELD(struct vessel_user_msrs, flags, 4);
	ABI_FIELD(struct vessel_user_msrs, indices, 8);
	ABI_FIELD(struct vessel_user_msrs, reserved, 16);

	/* struct vessel_counters: VESSEL_GET_COUNTERS */
	ABI_SIZE(struct vessel_counters, 1024);
	ABI_FIELD(struct vessel_counters, flags, 0);
	ABI_FIELD(struct vessel_counters, reserved0, 4);
	ABI_FIELD(struct vessel_counters, runs, 8);
	ABI_FIELD(struct vessel_counters, entries, 16);
	ABI_FIELD(struct vessel_counters, vmx_exits, 24);
	ABI_FIELD(struct vessel_counters, user_exits, 664);
	ABI_FIELD(struct vessel_counters, injected, 792);
	ABI_FIELD(struct vessel_counters, tlb_flushes, 824);
	ABI_FIELD(struct vessel_counters, ept_leaves_4k, 832);
	ABI_FIELD(struct vessel_counters, ept_leaves_2m, 840);
	ABI_FIELD(struct vessel_counters, dirty_faults, 848);
	ABI_FIELD(struct vessel_counters, reserved, 856);

	/* struct vessel_run */
	ABI_SIZE(struct vessel_run, 320);
	ABI_FIELD(struct vessel_run, immediate_exit, 0);
	ABI_FIELD(struct vessel_run, pad0, 1);
	ABI_FIELD(struct vessel_run, exit_reason, 4);
	ABI_FIELD(struct vessel_run, flags, 8);
	ABI_FIELD(struct vessel_run, pad1, 12);
	ABI_FIELD(struct vessel_run, reserved, 16);
	ABI_FIELD(struct vessel_run, io, 64);
	ABI_FIELD(struct vessel_run, io.direction, 64);
	ABI_FIELD(struct vessel_run, io.size, 65);
	ABI_FIELD(struct vessel_run, io.flags, 66);
	ABI_FIELD(struct vessel_run, io.pad, 67);
	ABI_FIELD(struct vessel_run, io.port, 68);
	ABI_FIELD(struct vessel_run, io.pad2, 70);
	ABI_FIELD(struct vessel_run, io.count, 72);
	ABI_FIELD(struct vessel_run, io.data_offset, 76);
	ABI_FIELD(struct vessel_run, mmio, 64);
	ABI_FIELD(struct vessel_run, mmio.gpa, 64);
	ABI_FIELD(struct vessel_run, mmio.data, 72);
	ABI_FIELD(struct vessel_run, mmio.len, 80);
	ABI_FIELD(struct vessel_run, mmio.is_write, 84);
	ABI_FIELD(struct vessel_run, mmio.pad, 85);
	ABI_FIELD(struct vessel_run, msr, 64);
	ABI_FIELD(struct vessel_run, msr.index, 64);
	ABI_FIELD(struct vessel_run, msr.is_write, 68);
	ABI_FIELD(struct vessel_run, msr.error, 69);
	ABI_FIELD(struct vessel_run, msr.pad, 70);
	ABI_FIELD(struct vessel_run, msr.data, 72);
	ABI_FIELD(struct vessel_run, internal, 64);
	ABI_FIELD(struct vessel_run, internal.suberror, 64);
	ABI_FIELD(struct vessel_run, internal.ndata, 68);
	ABI_FIELD(struct vessel_run, internal.data, 72);
	ABI_FIELD(struct vessel_run, eoi, 64);
	ABI_FIELD(struct vessel_run, eoi.vector, 64);
	ABI_FIELD(struct vessel_run, eoi.pad, 65);
	ABI_FIELD(struct vessel_run, paravirt, 64);
	ABI_FIELD(struct vessel_run, paravirt.provider, 64);
	ABI_FIELD(struct vessel_run, paravirt.ndata, 68);
	ABI_FIELD(struct vessel_run, paravirt.ret, 72);
	ABI_FIELD(struct vessel_run, paravirt.data, 80);
	ABI_FIELD(struct vessel_run, padding, 64);

	/* struct vessel_gprs */
	ABI_SIZE(struct vessel_gprs, 144);
	ABI_FIELD(struct vessel_gprs, regs, 0);
	ABI_FIELD(struct vessel_gprs, rip, 128);
	ABI_FIELD(struct vessel_gprs, rflags, 136);

	/* struct vessel_segment */
	ABI_SIZE(struct vessel_segment, 16);
	ABI_FIELD(struct vessel_segment, base, 0);
	ABI_FIELD(struct vessel_segment, limit, 8);
	ABI_FIELD(struct vessel_segment, selector, 12);
	ABI_FIELD(struct vessel_segment, attrib, 14);

	/* struct vessel_dtable */
	ABI_SIZE(struct vessel_dtable, 16);
	ABI_FIELD(struct vessel_dtable, base, 0);
	ABI_FIELD(struct vessel_dtable, limit, 8);
	ABI_FIELD(struct vessel_dtable, pad, 10);

	/* struct vessel_segs */
	ABI_SIZE(struct vessel_segs, 160);
	ABI_FIELD(struct vessel_segs, seg, 0);
	ABI_FIELD(struct vessel_segs, gdt, 128);
	ABI_FIELD(struct vessel_segs, idt, 144);

	/* struct vessel_crs */
	ABI_SIZE(struct vessel_crs, 64);
	ABI_FIELD(struct vessel_crs, cr0, 0);
	ABI_FIELD(struct vessel_crs, cr2, 8);
	ABI_FIELD(struct vessel_crs, cr3, 16);
	ABI_FIELD(struct vessel_crs, cr4, 24);
	ABI_FIELD(struct vessel_crs, cr8, 32);
	ABI_FIELD(struct vessel_crs, efer, 40);
	ABI_FIELD(struct vessel_crs, xcr0, 48);
	ABI_FIELD(struct vessel_crs, reserved, 56);

	/* struct vessel_drs */
	ABI_SIZE(struct vessel_drs, 64);
	ABI_FIELD(struct vessel_drs, dr, 0);
	ABI_FIELD(struct vessel_drs, dr6, 32);
	ABI_FIELD(struct vessel_drs, dr7, 40);
	ABI_FIELD(struct vessel_drs, reserved, 48);

	/* struct vessel_events */
	ABI_SIZE(struct vessel_events, 80);
	ABI_FIELD(struct vessel_events, flags, 0);
	ABI_FIELD(struct vessel_events, interruptibility, 4);
	ABI_FIELD(struct vessel_events, activity, 8);
	ABI_FIELD(struct vessel_events, exception_vector, 12);
	ABI_FIELD(struct vessel_events, irq_vector, 13);
	ABI_FIELD(struct vessel_events, pad0, 14);
	ABI_FIELD(struct vessel_events, exception_error_code, 16);
	ABI_FIELD(struct vessel_events, pad1, 20);
	ABI_FIELD(struct vessel_events, exception_payload, 24);
	ABI_FIELD(struct vessel_events, injected_info, 32);
	ABI_FIELD(struct vessel_events, injected_error_code, 36);
	ABI_FIELD(struct vessel_events, injected_insn_len, 40);
	ABI_FIELD(struct vessel_events, pad2, 44);
	ABI_FIELD(struct vessel_events, reserved, 48);

	/* struct vessel_fpu */
	ABI_SIZE(struct vessel_fpu, 4096);
	ABI_FIELD(struct vessel_fpu, xsave, 0);

	/* struct vessel_vcpu_state: VESSEL_GET_STATE, VESSEL_SET_STATE */
	ABI_SIZE(struct vessel_vcpu_state, 5120);
	ABI_FIELD(struct vessel_vcpu_state, flags, 0);
	ABI_FIELD(struct vessel_vcpu_state, reserved0, 8);
	ABI_FIELD(struct vessel_vcpu_state, gprs, 64);
	ABI_FIELD(struct vessel_vcpu_state, segs, 208);
	ABI_FIELD(struct vessel_vcpu_state, crs, 368);
	ABI_FIELD(struct vessel_vcpu_state, drs, 432);
	ABI_FIELD(struct vessel_vcpu_state, msrs, 496);
	ABI_FIELD(struct vessel_vcpu_state, events, 752);
	ABI_FIELD(struct vessel_vcpu_state, reserved1, 832);
	ABI_FIELD(struct vessel_vcpu_state, fpu, 1024);

	/* struct vessel_event: VESSEL_INJECT */
	ABI_SIZE(struct vessel_event, 64);
	ABI_FIELD(struct vessel_event, type, 0);
	ABI_FIELD(struct vessel_event, vector, 4);
	ABI_FIELD(struct vessel_event, flags, 8);
	ABI_FIELD(struct vessel_event, error_code, 12);
	ABI_FIELD(struct vessel_event, payload, 16);
	ABI_FIELD(struct vessel_event, reserved, 24);

	/* struct vessel_msi: VESSEL_SIGNAL_MSI */
	ABI_SIZE(struct vessel_msi, 32);
	ABI_FIELD(struct vessel_msi, address, 0);
	ABI_FIELD(struct vessel_msi, data, 8);
	ABI_FIELD(struct vessel_msi, flags, 12);
	ABI_FIELD(struct vessel_msi, reserved, 16);

	/* struct vessel_lapic_info: VESSEL_GET_LAPIC_INFO */
	ABI_SIZE(struct vessel_lapic_info, 64);
	ABI_FIELD(struct vessel_lapic_info, flags, 0);
	ABI_FIELD(struct vessel_lapic_info, reserved0, 4);
	ABI_FIELD(struct vessel_lapic_info, timer_hz, 8);
	ABI_FIELD(struct vessel_lapic_info, tsc_hz, 16);
	ABI_FIELD(struct vessel_lapic_info, reserved, 24);

	/* struct vessel_lapic_state: VESSEL_GET_LAPIC, VESSEL_SET_LAPIC */
	ABI_SIZE(struct vessel_lapic_state, 1152);
	ABI_FIELD(struct vessel_lapic_state, flags, 0);
	ABI_FIELD(struct vessel_lapic_state, reserved0, 4);
	ABI_FIELD(struct vessel_lapic_state, apic_base, 8);
	ABI_FIELD(struct vessel_lapic_state, tsc_deadline, 16);
	ABI_FIELD(struct vessel_lapic_state, timer_ns, 24);
	ABI_FIELD(struct vessel_lapic_state, extint, 32);
	ABI_FIELD(struct vessel_lapic_state, reserved, 64);
	ABI_FIELD(struct vessel_lapic_state, regs, 128);

	/* struct vessel_mp_state: VESSEL_GET_MP_STATE, VESSEL_SET_MP_STATE */
	ABI_SIZE(struct vessel_mp_state, 32);
	ABI_FIELD(struct vessel_mp_state, mp_state, 0);
	ABI_FIELD(struct vessel_mp_state, flags, 4);
	ABI_FIELD(struct vessel_mp_state, reserved, 8);

	/* struct vessel_pv_info: VESSEL_PV_GET_INFO */
	ABI_SIZE(struct vessel_pv_info, 64);
	ABI_FIELD(struct vessel_pv_info, flags, 0);
	ABI_FIELD(struct vessel_pv_info, provider, 4);
	ABI_FIELD(struct vessel_pv_info, version, 8);
	ABI_FIELD(struct vessel_pv_info, newest, 12);
	ABI_FIELD(struct vessel_pv_info, reserved, 16);

	/* struct vessel_pv_kvm_vm_state */
	ABI_SIZE(struct vessel_pv_kvm_vm_state, 64);
	ABI_FIELD(struct vessel_pv_kvm_vm_state, clock_tsc, 0);
	ABI_FIELD(struct vessel_pv_kvm_vm_state, clock_ns, 8);
	ABI_FIELD(struct vessel_pv_kvm_vm_state, wall_clock_msr, 16);
	ABI_FIELD(struct vessel_pv_kvm_vm_state, reserved, 24);

	/* struct vessel_pv_kvm_vcpu_state */
	ABI_SIZE(struct vessel_pv_kvm_vcpu_state, 64);
	ABI_FIELD(struct vessel_pv_kvm_vcpu_state, system_time_msr, 0);
	ABI_FIELD(struct vessel_pv_kvm_vcpu_state, steal_time_msr, 8);
	ABI_FIELD(struct vessel_pv_kvm_vcpu_state, poll_control_msr, 16);
	ABI_FIELD(struct vessel_pv_kvm_vcpu_state, steal_ns, 24);
	ABI_FIELD(struct vessel_pv_kvm_vcpu_state, pv_eoi_msr, 32);
	ABI_FIELD(struct vessel_pv_kvm_vcpu_state, flags, 40);
	ABI_FIELD(struct vessel_pv_kvm_vcpu_state, reserved, 48);

	/* struct vessel_pv_hv_vm_state */
	ABI_SIZE(struct vessel_pv_hv_vm_state, 128);
	ABI_FIELD(struct vessel_pv_hv_vm_state, guest_os_id, 0);
	ABI_FIELD(struct vessel_pv_hv_vm_state, hypercall, 8);
	ABI_FIELD(struct vessel_pv_hv_vm_state, reference_tsc, 16);
	ABI_FIELD(struct vessel_pv_hv_vm_state, clock_tsc, 24);
	ABI_FIELD(struct vessel_pv_hv_vm_state, clock_ref, 32);
	ABI_FIELD(struct vessel_pv_hv_vm_state, crash, 40);
	ABI_FIELD(struct vessel_pv_hv_vm_state, crash_ctl, 80);
	ABI_FIELD(struct vessel_pv_hv_vm_state, reserved, 88);

	/* struct vessel_pv_hv_vcpu_state */
	ABI_SIZE(struct vessel_pv_hv_vcpu_state, 320);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, vp_runtime, 0);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, vp_assist, 8);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, scontrol, 16);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, siefp, 24);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, simp, 32);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, sint, 40);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, stimer_config, 168);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, stimer_count, 200);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, stimer_exp, 232);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, stimer_pending, 264);
	ABI_FIELD(struct vessel_pv_hv_vcpu_state, reserved, 272);

	/* struct vessel_pv_state: VESSEL_PV_GET_VM_STATE, VESSEL_PV_SET_VM_STATE, VESSEL_PV_GET_VCPU_STATE, VESSEL_PV_SET_VCPU_STATE */
	ABI_SIZE(struct vessel_pv_state, 512);
	ABI_FIELD(struct vessel_pv_state, flags, 0);
	ABI_FIELD(struct vessel_pv_state, provider, 4);
	ABI_FIELD(struct vessel_pv_state, version, 8);
	ABI_FIELD(struct vessel_pv_state, pad0, 12);
	ABI_FIELD(struct vessel_pv_state, reserved, 16);
	ABI_FIELD(struct vessel_pv_state, kvm_vm, 32);
	ABI_FIELD(struct vessel_pv_state, kvm_vcpu, 32);
	ABI_FIELD(struct vessel_pv_state, hv_vm, 32);
	ABI_FIELD(struct vessel_pv_state, hv_vcpu, 32);
	ABI_FIELD(struct vessel_pv_state, data, 32);

	/* struct vessel_pv_counters: VESSEL_PV_GET_COUNTERS */
	ABI_SIZE(struct vessel_pv_counters, 1216);
	ABI_FIELD(struct vessel_pv_counters, flags, 0);
	ABI_FIELD(struct vessel_pv_counters, provider, 4);
	ABI_FIELD(struct vessel_pv_counters, hypercalls, 8);
	ABI_FIELD(struct vessel_pv_counters, msr_reads, 1032);
	ABI_FIELD(struct vessel_pv_counters, msr_writes, 1040);
	ABI_FIELD(struct vessel_pv_counters, msr_faults, 1048);
	ABI_FIELD(struct vessel_pv_counters, clock_updates, 1056);
	ABI_FIELD(struct vessel_pv_counters, user_exits, 1064);
	ABI_FIELD(struct vessel_pv_counters, debug_bytes, 1072);
	ABI_FIELD(struct vessel_pv_counters, timer_expirations, 1088);
	ABI_FIELD(struct vessel_pv_counters, reserved, 1096);

	/* struct vessel_pv_hv_connection: VESSEL_PV_HV_SET_CONNECTION */
	ABI_SIZE(struct vessel_pv_hv_connection, 64);
	ABI_FIELD(struct vessel_pv_hv_connection, flags, 0);
	ABI_FIELD(struct vessel_pv_hv_connection, conn_id, 4);
	ABI_FIELD(struct vessel_pv_hv_connection, vcpu, 8);
	ABI_FIELD(struct vessel_pv_hv_connection, sint, 12);
	ABI_FIELD(struct vessel_pv_hv_connection, flag_base, 16);
	ABI_FIELD(struct vessel_pv_hv_connection, flag_count, 20);
	ABI_FIELD(struct vessel_pv_hv_connection, reserved, 24);

	/* struct vessel_pv_hv_msg_queue: VESSEL_PV_HV_GET_MSG_QUEUE, VESSEL_PV_HV_SET_MSG_QUEUE */
	ABI_SIZE(struct vessel_pv_hv_msg_queue, 4128);
	ABI_FIELD(struct vessel_pv_hv_msg_queue, flags, 0);
	ABI_FIELD(struct vessel_pv_hv_msg_queue, queued, 4);
	ABI_FIELD(struct vessel_pv_hv_msg_queue, reserved, 8);
	ABI_FIELD(struct vessel_pv_hv_msg_queue, msg, 32);

	/* The ioctl numbers: direction, size, type 0xB8, number. */
	ABI_IOCTL(VESSEL_GET_API_VERSION, 0xb800);
	ABI_IOCTL(VESSEL_GET_CAPS, 0x8100b801);
	ABI_IOCTL(VESSEL_CREATE_VM, 0x4040b802);
	ABI_IOCTL(VESSEL_SET_MEMORY_REGION, 0x4040b810);
	ABI_IOCTL(VESSEL_CREATE_VCPU, 0xb811);
	ABI_IOCTL(VESSEL_SET_CPUID, 0x4020b812);
	ABI_IOCTL(VESSEL_GET_CPUID, 0xc020b813);
	ABI_IOCTL(VESSEL_SET_USER_MSRS, 0x4020b814);
	ABI_IOCTL(VESSEL_GET_COUNTERS, 0xc400b815);
	ABI_IOCTL(VESSEL_SIGNAL_MSI, 0x4020b816);
	ABI_IOCTL(VESSEL_GET_LAPIC_INFO, 0xc040b817);
	ABI_IOCTL(VESSEL_GET_DIRTY_LOG, 0x4040b840);
	ABI_IOCTL(VESSEL_CLEAR_DIRTY_LOG, 0x4040b841);
	ABI_IOCTL(VESSEL_RUN, 0xb820);
	ABI_IOCTL(VESSEL_GET_STATE, 0xd400b821);
	ABI_IOCTL(VESSEL_SET_STATE, 0x5400b822);
	ABI_IOCTL(VESSEL_INJECT, 0x4040b823);
	ABI_IOCTL(VESSEL_KICK, 0xb824);
	ABI_IOCTL(VESSEL_GET_LAPIC, 0xc480b825);
	ABI_IOCTL(VESSEL_SET_LAPIC, 0x4480b826);
	ABI_IOCTL(VESSEL_GET_MP_STATE, 0xc020b827);
	ABI_IOCTL(VESSEL_SET_MP_STATE, 0x4020b828);
	ABI_IOCTL(VESSEL_PV_GET_INFO, 0xc040b830);
	ABI_IOCTL(VESSEL_PV_GET_VM_STATE, 0xc200b831);
	ABI_IOCTL(VESSEL_PV_SET_VM_STATE, 0x4200b832);
	ABI_IOCTL(VESSEL_PV_GET_COUNTERS, 0xc4c0b833);
	ABI_IOCTL(VESSEL_PV_HV_SET_CONNECTION, 0x4040b837);
	ABI_IOCTL(VESSEL_PV_GET_VCPU_STATE, 0xc200b838);
	ABI_IOCTL(VESSEL_PV_SET_VCPU_STATE, 0x4200b839);
	ABI_IOCTL(VESSEL_PV_HV_GET_MSG_QUEUE, 0xd020b83a);
	ABI_IOCTL(VESSEL_PV_HV_SET_MSG_QUEUE, 0x5020b83b);
}
