// SPDX-License-Identifier: GPL-2.0
/*
 * libvessel: VM and vCPU objects, one thin function per ioctl.
 *
 * Every call returns 0 (or the value said in libvessel.h) or -errno with
 * errno left set, so callers can use either style; nothing here prints.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "compiler.h"
#include "internal.h"
#include "libvessel.h"

static int vessel_fail(int err)
{
	errno = err;
	return -err;
}

int vessel_vm_create(struct vessel_sys *sys, struct vessel_vm *vm,
		     uint32_t flags)
{
	return vessel_vm_create_pv(sys, vm, flags, VESSEL_PV_NONE, 0);
}

int vessel_vm_create_pv(struct vessel_sys *sys, struct vessel_vm *vm,
			uint32_t flags, uint32_t provider, uint32_t version)
{
	struct vessel_vm_create arg = {
		.flags = flags,
		.pv_provider = provider,
		.pv_version = version,
	};
	int fd;

	vm->fd = -1;
	vm->sys = sys;
	fd = vessel_ioctl(sys->fd, VESSEL_CREATE_VM, &arg);
	if (fd < 0)
		return fd;
	vm->fd = fd;
	return 0;
}

void vessel_vm_close(struct vessel_vm *vm)
{
	if (vm->fd >= 0)
		close(vm->fd);
	vm->fd = -1;
}

int vessel_vm_set_memory(struct vessel_vm *vm, uint32_t slot, uint32_t flags,
			 uint64_t gpa, uint64_t size, void *hva)
{
	struct vessel_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	int r = vessel_ioctl(vm->fd, VESSEL_SET_MEMORY_REGION, &region);

	return r < 0 ? r : 0;
}

int vessel_vm_get_cpuid(struct vessel_vm *vm,
			struct vessel_cpuid_entry *entries, uint32_t *nr)
{
	struct vessel_cpuid arg = {
		.nr = *nr,
		.entries = (uintptr_t)entries,
	};
	int r = vessel_ioctl(vm->fd, VESSEL_GET_CPUID, &arg);

	/* On E2BIG the kernel reports how many entries it needs. */
	if (r >= 0 || r == -E2BIG)
		*nr = arg.nr;
	return r < 0 ? r : 0;
}

int vessel_vm_set_cpuid(struct vessel_vm *vm,
			const struct vessel_cpuid_entry *entries, uint32_t nr)
{
	struct vessel_cpuid arg = {
		.nr = nr,
		.entries = (uintptr_t)entries,
	};
	int r = vessel_ioctl(vm->fd, VESSEL_SET_CPUID, &arg);

	return r < 0 ? r : 0;
}

int vessel_vm_set_user_msrs(struct vessel_vm *vm, const uint32_t *indices,
			    uint32_t nr)
{
	struct vessel_user_msrs arg = {
		.nr = nr,
		.indices = (uintptr_t)indices,
	};
	int r = vessel_ioctl(vm->fd, VESSEL_SET_USER_MSRS, &arg);

	return r < 0 ? r : 0;
}

/* VM and vCPU fds answer the same ioctl. */
static int vessel_get_counters(int fd, struct vessel_counters *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	r = vessel_ioctl(fd, VESSEL_GET_COUNTERS, c);
	return r < 0 ? r : 0;
}

int vessel_vm_get_counters(struct vessel_vm *vm, struct vessel_counters *c)
{
	return vessel_get_counters(vm->fd, c);
}

int vessel_vcpu_create(struct vessel_vm *vm, uint32_t id,
		       struct vessel_vcpu *vcpu)
{
	long page = sysconf(_SC_PAGESIZE);
	void *run;
	int fd, err;

	vcpu->fd = -1;
	vcpu->id = id;
	vcpu->vm = vm;
	vcpu->run = NULL;
	/* _IO: the id travels as the argument itself, as in KVM. */
	fd = vessel_ioctl(vm->fd, VESSEL_CREATE_VCPU, (void *)(uintptr_t)id);
	if (fd < 0)
		return fd;
	run = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		err = errno;
		close(fd);
		return vessel_fail(err);
	}
	vcpu->fd = fd;
	vcpu->run = run;
	return 0;
}

void vessel_vcpu_close(struct vessel_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, sysconf(_SC_PAGESIZE));
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

int vessel_vcpu_run(struct vessel_vcpu *vcpu)
{
	int r = vessel_ioctl(vcpu->fd, VESSEL_RUN, NULL);

	return r < 0 ? r : 0;
}

int vessel_vcpu_get_state(struct vessel_vcpu *vcpu,
			  struct vessel_vcpu_state *state, uint64_t parts)
{
	int r;

	state->flags = parts;
	r = vessel_ioctl(vcpu->fd, VESSEL_GET_STATE, state);
	return r < 0 ? r : 0;
}

int vessel_vcpu_set_state(struct vessel_vcpu *vcpu,
			  struct vessel_vcpu_state *state, uint64_t parts)
{
	int r;

	state->flags = parts;
	r = vessel_ioctl(vcpu->fd, VESSEL_SET_STATE, state);
	return r < 0 ? r : 0;
}

int vessel_vcpu_inject(struct vessel_vcpu *vcpu, const struct vessel_event *ev)
{
	/* The ioctl only reads it; the cast is for ioctl()'s prototype. */
	int r = vessel_ioctl(vcpu->fd, VESSEL_INJECT, (void *)ev);

	return r < 0 ? r : 0;
}

int vessel_vcpu_kick(struct vessel_vcpu *vcpu)
{
	int r = vessel_ioctl(vcpu->fd, VESSEL_KICK, NULL);

	return r < 0 ? r : 0;
}

int vessel_vcpu_get_counters(struct vessel_vcpu *vcpu,
			     struct vessel_counters *c)
{
	return vessel_get_counters(vcpu->fd, c);
}

const char *vessel_exit_name(uint32_t reason)
{
	static const char * const names[] = {
		[VESSEL_EXIT_NONE] = "none",
		[VESSEL_EXIT_IO] = "io",
		[VESSEL_EXIT_MMIO] = "mmio",
		[VESSEL_EXIT_HLT] = "hlt",
		[VESSEL_EXIT_SHUTDOWN] = "shutdown",
		[VESSEL_EXIT_MSR] = "msr",
		[VESSEL_EXIT_INTR] = "intr",
		[VESSEL_EXIT_INTERNAL_ERROR] = "internal_error",
		[VESSEL_EXIT_EOI] = "eoi",
		[VESSEL_EXIT_PV_RESET] = "pv_reset",
		[VESSEL_EXIT_PV_CRASH] = "pv_crash",
		[VESSEL_EXIT_PV_DEBUG] = "pv_debug",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "unknown";
}
