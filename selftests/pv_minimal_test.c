// SPDX-License-Identifier: GPL-2.0
/*
 * The paravirtual core and the None and Minimal providers: the choice at
 * VM creation, its version read back, the leaves each provider shows (and
 * does not), VMCALL staying #UD, provider state and counters ioctls.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(err, errno) TH_LOG("%s: %s", #call, strerror(errno));	\
} while (0)

static int create_vm(struct vessel_sys *sys, uint32_t provider,
		     uint32_t version)
{
	struct vessel_vm_create c = {
		.pv_provider = provider, .pv_version = version,
	};

	return ioctl(sys->fd, VESSEL_CREATE_VM, &c);
}

TEST(caps_list_the_providers)
{
	struct vessel_caps caps;

	ASSERT_EQ(0, vessel_caps_read(&caps));
	EXPECT_TRUE(caps.flags & VESSEL_CAP_PV_MINIMAL);
}

TEST(create_unknown_provider_or_version)
{
	struct vessel_pv_info info = { 0 };
	struct vessel_sys sys;
	char err[128];
	int fd;

	ASSERT_EQ(0, vessel_sys_open(&sys, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_ERRNO(EINVAL, create_vm(&sys, 4, 0));
	EXPECT_ERRNO(EINVAL, create_vm(&sys, 0xffffffff, 0));
	EXPECT_ERRNO(EINVAL, create_vm(&sys, VESSEL_PV_NONE, 2));
	EXPECT_ERRNO(EINVAL, create_vm(&sys, VESSEL_PV_MINIMAL, 2));
	EXPECT_ERRNO(EINVAL, create_vm(&sys, VESSEL_PV_MINIMAL, 0xffffffff));

	/* Version 0 is the newest, and reads back as the number it is. */
	fd = create_vm(&sys, VESSEL_PV_MINIMAL, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, VESSEL_PV_GET_INFO, &info));
	EXPECT_EQ(VESSEL_PV_MINIMAL, info.provider);
	EXPECT_EQ(1, info.version);
	EXPECT_EQ(1, info.newest);
	close(fd);
	fd = create_vm(&sys, VESSEL_PV_MINIMAL, 1);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, VESSEL_PV_GET_INFO, &info));
	EXPECT_EQ(1, info.version);
	close(fd);
	vessel_sys_close(&sys);
}

TEST(info_bad_args)
{
	struct vm *vm = vm_create_barebones(0);
	struct vessel_pv_info info = { 0 };

	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_INFO, &info));
	EXPECT_EQ(VESSEL_PV_NONE, info.provider);
	EXPECT_EQ(1, info.version);
	info.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_GET_INFO, &info));
	info.flags = 0;
	info.reserved[5] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_GET_INFO, &info));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, VESSEL_PV_GET_INFO, NULL));
	/* Unused numbers of the paravirt ranges. */
	EXPECT_ERRNO(ENOTTY, ioctl(vm->fd, _IO(VESSEL_IO, 0x37), 0));
	vm_free(vm);
}

/* ------------------------------------------------------------ guests */

static void guest_leaves(void)
{
	uint32_t a, b, c, d;
	uint64_t ec;
	uint8_t v;

	GUEST_ASSERT(cpuid_ecx(1) & CPUID_1_ECX_HYPERVISOR);
	cpuid_count(0x40000000, 0, &a, &b, &c, &d);
	GUEST_SYNC_ARGS(5, 0x40000000, a, b, c, d);
	cpuid_count(0x40000010, 0, &a, &b, &c, &d);
	GUEST_SYNC_ARGS(5, 0x40000010, a, b, c, d);
	cpuid_count(0x40000001, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a | b | c | d, 0);

	/* No provider here claims VMCALL: #UD as without VMX. */
	asm volatile(ASM_SAFE("vmcall") : ASM_SAFE_OUTPUTS(v, ec)
		     : : ASM_SAFE_CLOBBERS, "memory");
	GUEST_ASSERT_EQ(v, UD_VECTOR);
	GUEST_DONE();
}

static void run_leaves(struct vcpu *vcpu, uint32_t leaf, uint32_t *r)
{
	struct ucall uc;

	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC, "no sync");
	TEST_ASSERT(uc.args[0] == leaf, "leaf %#lx", (unsigned long)uc.args[0]);
	r[0] = uc.args[1];
	r[1] = uc.args[2];
	r[2] = uc.args[3];
	r[3] = uc.args[4];
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* The TSC rate this process sees (the guest's is the same: no scaling). */
static double measure_tsc_khz(void)
{
	double t0 = now_ns(), t1;
	uint64_t c0 = rdtsc(), c1;

	usleep(200000);
	c1 = rdtsc();
	t1 = now_ns();
	return (c1 - c0) / (t1 - t0) * 1e6;
}

TEST(minimal_leaves)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_pv(1, VESSEL_PV_MINIMAL, 0, guest_leaves);
	uint32_t r[4];
	double khz;

	run_leaves(vcpu = vm->vcpus[0], 0x40000000, r);
	EXPECT_EQ(0x40000010, r[0]);
	EXPECT_EQ(0, memcmp(&r[1], "VesselVessel", 12));
	run_leaves(vcpu, 0x40000010, r);
	khz = measure_tsc_khz();
	EXPECT_TRUE(r[0] > khz * 0.95 && r[0] < khz * 1.05)
		TH_LOG("TSC kHz %u, measured %.0f", r[0], khz);
	EXPECT_EQ(1000000, r[1]);	/* the APIC timer: 1 GHz */
	EXPECT_EQ(0, r[2]);
	EXPECT_EQ(0, r[3]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST(none_has_no_leaves)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_NONE, 0, guest_leaves);
	uint32_t r[4];

	run_leaves(vm->vcpus[0], 0x40000000, r);
	EXPECT_EQ(0, r[0] | r[1] | r[2] | r[3]);
	run_leaves(vm->vcpus[0], 0x40000010, r);
	EXPECT_EQ(0, r[0] | r[1] | r[2] | r[3]);
	vcpu_run_expect_done(vm->vcpus[0]);
	vm_free(vm);
}

/* ---------------------------------------------------- state, counters */

TEST(state_minimal)
{
	struct vm *vm = vm_create_pv(1, VESSEL_PV_MINIMAL, 0, guest_leaves);
	struct vcpu *vcpu = vm->vcpus[0];
	struct vessel_pv_state st;
	struct vessel_pv_counters c;

	memset(&st, 0xaa, sizeof(st));
	st.flags = 0;
	st.pad0 = 0;
	memset(st.reserved, 0, sizeof(st.reserved));
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_VM_STATE, &st));
	EXPECT_EQ(VESSEL_PV_MINIMAL, st.provider);
	EXPECT_EQ(1, st.version);
	EXPECT_EQ(0, st.data[0] | st.data[59]);
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &st));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &st));
	ASSERT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));

	/* Minimal has no state: data must be zero. */
	st.data[3] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &st));
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.data[3] = 0;
	st.provider = VESSEL_PV_NONE;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &st));
	st.provider = VESSEL_PV_MINIMAL;
	st.version = 2;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.version = 1;
	st.flags = 2;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &st));
	st.flags = VESSEL_PV_STATE_RESET;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_GET_VM_STATE, &st));
	EXPECT_EQ(0, ioctl(vm->fd, VESSEL_PV_SET_VM_STATE, &st));
	EXPECT_EQ(0, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.flags = 0;
	st.reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_GET_VM_STATE, &st));
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, &st));
	st.reserved[1] = 0;
	st.pad0 = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, VESSEL_PV_GET_VCPU_STATE, &st));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, VESSEL_PV_GET_VM_STATE, NULL));
	EXPECT_ERRNO(EFAULT, ioctl(vcpu->fd, VESSEL_PV_SET_VCPU_STATE, NULL));
	EXPECT_ERRNO(ENOTTY, ioctl(vcpu->fd, _IO(VESSEL_IO, 0x3f), 0));

	memset(&c, 0, sizeof(c));
	ASSERT_EQ(0, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &c));
	EXPECT_EQ(VESSEL_PV_MINIMAL, c.provider);
	EXPECT_EQ(0, c.msr_reads + c.msr_writes + c.hypercalls[0]);
	c.flags = 1;
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, &c));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, VESSEL_PV_GET_COUNTERS, NULL));
	vm_free(vm);
}

TEST_HARNESS_MAIN
