// SPDX-License-Identifier: GPL-2.0
/*
 * --stats: what the module counted for each vCPU, and what the machine
 * counted itself (unclaimed I/O, the debugger link, resets). And the
 * VM's counters for `vessel stat` through the control socket, under the
 * names the module's debugfs files give them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "internal.h"

/* Reasons SDM Vol. 3 Appendix C names, for --stats and vessel stat. */
const char *vmm_vmx_exit_name(unsigned int reason)
{
	static const char * const names[] = {
		[0] = "exception_nmi", [1] = "external_interrupt",
		[2] = "triple_fault", [3] = "init", [4] = "sipi",
		[7] = "interrupt_window", [8] = "nmi_window",
		[9] = "task_switch", [10] = "cpuid", [12] = "hlt",
		[13] = "invd", [14] = "invlpg", [15] = "rdpmc",
		[16] = "rdtsc", [18] = "vmcall", [28] = "cr_access",
		[29] = "dr_access", [30] = "io_instruction", [31] = "rdmsr",
		[32] = "wrmsr", [33] = "invalid_guest_state",
		[34] = "msr_load_fail", [36] = "mwait", [37] = "mtf",
		[39] = "monitor", [40] = "pause", [43] = "tpr_below_threshold",
		[44] = "apic_access", [45] = "eoi_induced",
		[46] = "gdtr_idtr", [47] = "ldtr_tr", [48] = "ept_violation",
		[49] = "ept_misconfig", [50] = "invept", [51] = "rdtscp",
		[52] = "preemption_timer", [53] = "invvpid", [54] = "wbinvd",
		[55] = "xsetbv", [56] = "apic_write", [57] = "rdrand",
		[58] = "invpcid", [61] = "rdseed", [62] = "pml_full",
		[63] = "xsaves", [64] = "xrstors",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "other";
}

/* The exit counts of all vCPUs added up, and each vCPU's entries. */
void vmm_print_stats(struct vmm *vmm)
{
	struct vessel_counters c, sum = { 0 };
	unsigned int i, v;

	/* A machine that never got to run has nothing to report. */
	if (!vmm->ran)
		return;
	for (v = 0; v < vmm->nr_vcpus; v++) {
		if (vessel_vcpu_get_counters(&vmm->vcpus[v], &c)) {
			vmm_error(vmm, "cannot read the exit counters of vCPU %u: %s",
				       v, strerror(errno));
			return;
		}
		if (vmm->nr_vcpus > 1)
			fprintf(stderr, "vCPU %u: runs %" PRIu64 ", VM entries %" PRIu64 "\n",
				v, (uint64_t)c.runs, (uint64_t)c.entries);
		sum.runs += c.runs;
		sum.entries += c.entries;
		for (i = 0; i < VESSEL_NR_USER_EXITS; i++)
			sum.user_exits[i] += c.user_exits[i];
		for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++)
			sum.vmx_exits[i] += c.vmx_exits[i];
	}
	fprintf(stderr, "runs %" PRIu64 ", VM entries %" PRIu64 "\n",
		(uint64_t)sum.runs, (uint64_t)sum.entries);
	for (i = 0; i < VESSEL_NR_USER_EXITS; i++)
		if (sum.user_exits[i])
			fprintf(stderr, "  exit to userspace %-20s %" PRIu64 "\n",
				vessel_exit_name(i), (uint64_t)sum.user_exits[i]);
	for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++)
		if (sum.vmx_exits[i])
			fprintf(stderr, "  vmx exit %2u %-20s %" PRIu64 "\n",
				i, vmm_vmx_exit_name(i), (uint64_t)sum.vmx_exits[i]);
	fprintf(stderr, "unclaimed port I/O: %" PRIu64 " reads, %" PRIu64 " writes\n",
		vmm->bus.port.unclaimed_reads, vmm->bus.port.unclaimed_writes);
	fprintf(stderr, "unclaimed MMIO:     %" PRIu64 " reads, %" PRIu64 " writes\n",
		vmm->bus.mmio.unclaimed_reads, vmm->bus.mmio.unclaimed_writes);
	if (vmm->hv_debug.kind != HV_DEBUG_NONE || vmm->hv_debug.dropped)
		fprintf(stderr, "Hyper-V debugger: %" PRIu64 " bytes out, %" PRIu64
			" in, %" PRIu64 " dropped\n", vmm->hv_debug.bytes_out,
			vmm->hv_debug.bytes_in, vmm->hv_debug.dropped);
	fprintf(stderr, "guest resets: %" PRIu64 "\n", vmm->resets);
	if (vmm->restore_start_ns)
		vmm_print_restore_stats(vmm);
}

/*
 * How long each step of a restore took, in microseconds: the file read
 * and checked (with --eager, memory too), the board and its devices, the
 * VM and the host's checks, memory and the vCPUs' state; then from the
 * start to the first VESSEL_RUN.
 */
void vmm_print_restore_stats(struct vmm *vmm)
{
	const uint64_t *t = vmm->restore_step_ns;

	fprintf(stderr, "restore: file %" PRIu64 " us, board %" PRIu64 " us, VM and host checks %" PRIu64
		" us, memory and vCPUs %" PRIu64 " us; first VESSEL_RUN %" PRIu64 " us after the start\n",
		(t[0] - vmm->restore_start_ns) / 1000, (t[1] - t[0]) / 1000,
		(t[2] - t[1]) / 1000, (t[3] - t[2]) / 1000,
		((uint64_t)vmm->first_run_ns - vmm->restore_start_ns) / 1000);
}

/* The name of the VM's directory in the module's debugfs: PID-FD. */
void vmm_debugfs_name(const struct vmm *vmm, char *buf, size_t len)
{
	snprintf(buf, len, "%d-%d", (int)getpid(), vmm->vm.fd);
}

static void put(struct json_object *obj, const char *key, uint64_t v)
{
	struct json_object *n = json_object_new_int64(v > INT64_MAX ?
						      INT64_MAX : (int64_t)v);

	if (n)
		json_object_object_add(obj, key, n);
}

/*
 * The VM's counters (VESSEL_GET_COUNTERS, VESSEL_PV_GET_COUNTERS) under
 * the names of /sys/kernel/debug/vessel/PID-FD/counters and paravirt
 * (kmod/vm.c, kmod/paravirt.c): the same table whichever way `vessel
 * stat` reads it. NULL when the module cannot tell.
 */
struct json_object *vmm_counters_json(struct vmm *vmm)
{
	static const char * const injected[] = {
		"interrupt", "nmi", "exception", "reinjected",
	};
	struct vessel_counters c = { 0 };
	struct vessel_pv_counters pv = { 0 };
	struct json_object *obj;
	uint64_t total = 0;
	char key[40];
	unsigned int i;

	if (vessel_vm_get_counters(&vmm->vm, &c) ||
	    vessel_vm_get_pv_counters(&vmm->vm, &pv))
		return NULL;
	obj = json_object_new_object();
	if (!obj)
		return NULL;
	for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++)
		total += c.vmx_exits[i];
	put(obj, "runs", c.runs);
	put(obj, "entries", c.entries);
	put(obj, "exits", total);
	put(obj, "tlb_flushes", c.tlb_flushes);
	for (i = 0; i < VESSEL_NR_VMX_EXIT_REASONS; i++) {
		if (!c.vmx_exits[i])
			continue;
		snprintf(key, sizeof(key), "exit.%u", i);
		put(obj, key, c.vmx_exits[i]);
	}
	for (i = 0; i < VESSEL_NR_USER_EXITS; i++) {
		if (!c.user_exits[i])
			continue;
		snprintf(key, sizeof(key), "user_exit.%u", i);
		put(obj, key, c.user_exits[i]);
	}
	for (i = 0; i < ARRAY_SIZE(injected); i++) {
		if (!c.injected[i])
			continue;
		snprintf(key, sizeof(key), "injected.%s", injected[i]);
		put(obj, key, c.injected[i]);
	}
	total = 0;
	for (i = 0; i < VESSEL_PV_NR_HC; i++)
		total += pv.hypercalls[i];
	put(obj, "provider", pv.provider);
	put(obj, "version", vmm->pv_version);
	put(obj, "hypercalls", total);
	for (i = 0; i < VESSEL_PV_NR_HC; i++) {
		if (!pv.hypercalls[i])
			continue;
		snprintf(key, sizeof(key), "hypercall.%u", i);
		put(obj, key, pv.hypercalls[i]);
	}
	put(obj, "pv_msr_reads", pv.msr_reads);
	put(obj, "pv_msr_writes", pv.msr_writes);
	put(obj, "pv_msr_faults", pv.msr_faults);
	put(obj, "pv_clock_updates", pv.clock_updates);
	put(obj, "pv_user_exits", pv.user_exits);
	put(obj, "pv_debug_bytes_out", pv.debug_bytes[0]);
	put(obj, "pv_debug_bytes_in", pv.debug_bytes[1]);
	put(obj, "pv_timer_expirations", pv.timer_expirations);
	return obj;
}
