/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvessel: a thin wrapper around the /dev/vessel ioctl ABI, shared by the
 * vessel tool and the selftests.  Every ioctl has its function here, and
 * nothing else of the tool calls ioctl() on a vessel fd.
 */
#ifndef LIBVESSEL_H
#define LIBVESSEL_H

#include <stdint.h>
#include <vessel.h>

#define VESSEL_DEVICE	"/dev/vessel"

/* The oldest module API this library can drive. */
#define LIBVESSEL_MIN_API	1

struct vessel_sys {
	int fd;
	int api_version;
	struct vessel_caps caps;
};

/*
 * Open /dev/vessel, check the API version and read the capabilities.
 * Returns 0 or -errno; on error @err (if non-NULL) holds one line for the user.
 */
int vessel_sys_open(struct vessel_sys *sys, char *err, size_t errlen);
void vessel_sys_close(struct vessel_sys *sys);

/* Name of a VESSEL_CAP_* bit, or NULL. */
const char *vessel_cap_name(uint64_t bit);

/*
 * VMs and vCPUs.  Every function returns 0 (or a value >= 0 where said)
 * or -errno, with errno also set, so callers may use either.
 */
struct vessel_vm {
	int fd;
	struct vessel_sys *sys;
};

struct vessel_vcpu {
	int fd;
	uint32_t id;
	struct vessel_vm *vm;
	struct vessel_run *run;		/* the mmap'ed run page */
};

int vessel_vm_create(struct vessel_sys *sys, struct vessel_vm *vm,
		     uint32_t flags);
/* With a paravirtual provider (VESSEL_PV_*) and its version (0: newest). */
int vessel_vm_create_pv(struct vessel_sys *sys, struct vessel_vm *vm,
			uint32_t flags, uint32_t provider, uint32_t version);
void vessel_vm_close(struct vessel_vm *vm);
int vessel_vm_set_memory(struct vessel_vm *vm, uint32_t slot, uint32_t flags,
			 uint64_t gpa, uint64_t size, void *hva);
/* *nr: in, room at @entries; out, entries used. */
int vessel_vm_get_cpuid(struct vessel_vm *vm, struct vessel_cpuid_entry *entries,
			uint32_t *nr);
int vessel_vm_set_cpuid(struct vessel_vm *vm,
			const struct vessel_cpuid_entry *entries, uint32_t nr);
int vessel_vm_set_user_msrs(struct vessel_vm *vm, const uint32_t *indices,
			    uint32_t nr);
int vessel_vm_get_counters(struct vessel_vm *vm, struct vessel_counters *c);

int vessel_vcpu_create(struct vessel_vm *vm, uint32_t id,
		       struct vessel_vcpu *vcpu);
void vessel_vcpu_close(struct vessel_vcpu *vcpu);
/* One VESSEL_RUN: 0 with vcpu->run->exit_reason set, or -errno (-EINTR). */
int vessel_vcpu_run(struct vessel_vcpu *vcpu);
/* @parts: VESSEL_STATE_* bits. */
int vessel_vcpu_get_state(struct vessel_vcpu *vcpu,
			  struct vessel_vcpu_state *state, uint64_t parts);
int vessel_vcpu_set_state(struct vessel_vcpu *vcpu,
			  struct vessel_vcpu_state *state, uint64_t parts);
int vessel_vcpu_inject(struct vessel_vcpu *vcpu, const struct vessel_event *ev);
int vessel_vcpu_kick(struct vessel_vcpu *vcpu);
int vessel_vcpu_get_counters(struct vessel_vcpu *vcpu,
			     struct vessel_counters *c);

/*
 * In-kernel interrupts (VESSEL_CAP_LAPIC; lib/irq.c). The getters clear
 * the struct first, so its input fields are zero.
 */
int vessel_vm_signal_msi(struct vessel_vm *vm, const struct vessel_msi *msi);
int vessel_vm_get_lapic_info(struct vessel_vm *vm,
			     struct vessel_lapic_info *info);
int vessel_vcpu_get_lapic(struct vessel_vcpu *vcpu,
			  struct vessel_lapic_state *ls);
int vessel_vcpu_set_lapic(struct vessel_vcpu *vcpu,
			  const struct vessel_lapic_state *ls);
int vessel_vcpu_get_mp_state(struct vessel_vcpu *vcpu,
			     struct vessel_mp_state *mp);
int vessel_vcpu_set_mp_state(struct vessel_vcpu *vcpu,
			     const struct vessel_mp_state *mp);

/* Paravirtual providers (lib/pv.c); the getters clear the struct first. */
int vessel_vm_get_pv_info(struct vessel_vm *vm, struct vessel_pv_info *info);
int vessel_vm_get_pv_state(struct vessel_vm *vm, struct vessel_pv_state *st);
int vessel_vm_set_pv_state(struct vessel_vm *vm,
			   const struct vessel_pv_state *st);
int vessel_vcpu_get_pv_state(struct vessel_vcpu *vcpu,
			     struct vessel_pv_state *st);
int vessel_vcpu_set_pv_state(struct vessel_vcpu *vcpu,
			     const struct vessel_pv_state *st);
int vessel_vm_get_pv_counters(struct vessel_vm *vm,
			      struct vessel_pv_counters *c);
int vessel_vm_set_hv_connection(struct vessel_vm *vm,
				const struct vessel_pv_hv_connection *conn);
int vessel_vcpu_get_hv_msg_queue(struct vessel_vcpu *vcpu,
				 struct vessel_pv_hv_msg_queue *q);
int vessel_vcpu_set_hv_msg_queue(struct vessel_vcpu *vcpu,
				 const struct vessel_pv_hv_msg_queue *q);

/* Name of a VESSEL_EXIT_* reason, for messages ("io", "mmio", ...). */
const char *vessel_exit_name(uint32_t reason);

#endif /* LIBVESSEL_H */
