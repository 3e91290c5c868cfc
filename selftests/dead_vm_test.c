// SPDX-License-Identifier: GPL-2.0
/*
 * A VM the module has marked dead (a VMX instruction failed): every ioctl
 * on it and its vCPUs gives EIO, the fds close cleanly, and other VMs work.
 * No guest or userspace action can make a VMX instruction fail, so the
 * failure is injected through /sys/kernel/debug/vessel/fail_vmx_insn
 * (kmod/vmx/fault_inject.c): the next VMCS load fails as a failed VMPTRLD
 * does, through the real failure path without its warning.  Run alone:
 * the armed failure hits whichever vCPU loads its VMCS next.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define FAULT_KNOB	DEBUGFS "/vessel/fail_vmx_insn"

static void guest_sync_loop(void)
{
	for (;;)
		GUEST_SYNC(7);
}

/* The knob, with debugfs mounted first if /init did not. */
static int knob_open(int flags)
{
	if (access(FAULT_KNOB, F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	return open(FAULT_KNOB, flags);
}

static void knob_write(struct __test_metadata *_metadata, const char *val)
{
	int fd = knob_open(O_WRONLY);

	/*
	 * The failure logs a kernel error, which the console prints at once,
	 * in the middle of any line still queued on a slow serial console:
	 * let ours go out first (not a tty: nothing to wait for).
	 */
	fflush(stdout);
	tcdrain(STDOUT_FILENO);

	ASSERT_LE(0, fd) TH_LOG("%s: %s", FAULT_KNOB, strerror(errno));
	ASSERT_EQ((ssize_t)strlen(val), write(fd, val, strlen(val)));
	ASSERT_EQ(0, close(fd));
}

static long knob_read(struct __test_metadata *_metadata)
{
	char buf[32] = { 0 };
	int fd = knob_open(O_RDONLY);

	EXPECT_LE(0, fd);
	EXPECT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	return strtol(buf, NULL, 10);
}

#define EXPECT_EIO(call) do {						\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(EIO, errno) TH_LOG("%s", #call);			\
} while (0)

/* Every VM and vCPU ioctl, valid arguments or not: EIO first. */
static void expect_all_eio(struct __test_metadata *_metadata, struct vm *vm,
			   struct vcpu *vcpu)
{
	struct vessel_memory_region region = { .slot = 5, .size = 0 };
	struct vessel_cpuid_entry entries[4];
	struct vessel_cpuid cpuid = { .nr = 4, .entries = (uintptr_t)entries };
	uint32_t idx = 0x10;
	struct vessel_user_msrs msrs = { .nr = 1, .indices = (uintptr_t)&idx };
	struct vessel_counters counters = { 0 };
	struct vessel_msi msi = { 0 };
	struct vessel_vcpu_state *st = calloc(1, sizeof(*st));
	struct vessel_event ev = { .type = VESSEL_EVENT_NMI };

	EXPECT_EIO(__vm_ioctl(vm, VESSEL_SET_MEMORY_REGION, &region));
	EXPECT_EIO(__vm_ioctl(vm, VESSEL_CREATE_VCPU, 1));
	EXPECT_EIO(__vm_ioctl(vm, VESSEL_SET_CPUID, &cpuid));
	EXPECT_EIO(__vm_ioctl(vm, VESSEL_GET_CPUID, &cpuid));
	EXPECT_EIO(__vm_ioctl(vm, VESSEL_SET_USER_MSRS, &msrs));
	EXPECT_EIO(__vm_ioctl(vm, VESSEL_GET_COUNTERS, &counters));
	EXPECT_EIO(__vm_ioctl(vm, VESSEL_SIGNAL_MSI, &msi));
	EXPECT_EIO(__vm_ioctl(vm, VESSEL_RUN, 0));	/* wrong fd type */

	st->flags = VESSEL_STATE_GPRS;
	EXPECT_EIO(__vcpu_run(vcpu));
	EXPECT_EIO(__vcpu_ioctl(vcpu, VESSEL_GET_STATE, st));
	EXPECT_EIO(__vcpu_ioctl(vcpu, VESSEL_SET_STATE, st));
	EXPECT_EIO(__vcpu_ioctl(vcpu, VESSEL_INJECT, &ev));
	EXPECT_EIO(__vcpu_ioctl(vcpu, VESSEL_KICK, 0));
	EXPECT_EIO(__vcpu_ioctl(vcpu, VESSEL_GET_COUNTERS, &counters));
	EXPECT_EIO(__vcpu_ioctl(vcpu, VESSEL_CREATE_VCPU, 2));
	free(st);
}

/* A fresh VM still runs guest code: the module and VMX are fine. */
static void expect_new_vm_works(struct __test_metadata *_metadata)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync_loop);

	vcpu_run_expect_sync(vcpu, 7);
	vcpu_run_expect_sync(vcpu, 7);
	vm_free(vm);
}

TEST(knob_off_by_default)
{
	EXPECT_EQ(0, knob_read(_metadata));
	expect_new_vm_works(_metadata);
}

/* The failure hits RUN's VMCS load: RUN returns EIO. */
TEST(run_fails_then_eio)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync_loop);

	vcpu_run_expect_sync(vcpu, 7);
	knob_write(_metadata, "1");
	EXPECT_EIO(__vcpu_run(vcpu));
	EXPECT_EQ(0, knob_read(_metadata));
	expect_all_eio(_metadata, vm, vcpu);
	/* Still EIO on a second round: the VM stays dead. */
	EXPECT_EIO(__vcpu_run(vcpu));
	vm_free(vm);
	expect_new_vm_works(_metadata);
}

/* A failure under a state ioctl kills the VM just the same. */
TEST(get_state_fails_then_eio)
{
	struct vessel_vcpu_state *st = calloc(1, sizeof(*st));
	struct vcpu *vcpu, *other;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync_loop);

	other = vm_vcpu_add(vm, 1, guest_sync_loop);
	vcpu_run_expect_sync(vcpu, 7);
	knob_write(_metadata, "1");
	st->flags = VESSEL_STATE_GPRS;
	EXPECT_EIO(__vcpu_ioctl(vcpu, VESSEL_GET_STATE, st));
	EXPECT_EQ(0, knob_read(_metadata));
	expect_all_eio(_metadata, vm, vcpu);
	/* The VM's other vCPU is dead too. */
	expect_all_eio(_metadata, vm, other);
	/* Close the VM fd before its vCPUs: still clean. */
	EXPECT_EQ(0, close(vm->fd));
	vm->fd = -1;
	vm_free(vm);
	free(st);
	expect_new_vm_works(_metadata);
}

/* Armed failures that were never used are disarmed by writing 0. */
TEST(disarm)
{
	knob_write(_metadata, "3");
	EXPECT_EQ(3, knob_read(_metadata));
	knob_write(_metadata, "0");
	EXPECT_EQ(0, knob_read(_metadata));
	expect_new_vm_works(_metadata);
}

TEST_HARNESS_MAIN
