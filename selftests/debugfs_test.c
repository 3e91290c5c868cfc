// SPDX-License-Identifier: GPL-2.0
/*
 * The per-VM counters in debugfs (Documentation/api.rst, "Counters in
 * debugfs"): /sys/kernel/debug/vessel/PID-FD/counters and paravirt, which
 * `vessel stat` reads for every VM on the host. Read-only, what the
 * counter ioctls give, there for as long as the VM lives (its fd or any
 * vCPU fd) and gone with it, however many VMs come and go.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm_para.h>

#include "kselftest_harness.h"
#include "hypercall.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define VESSEL_DIR	DEBUGFS "/vessel"
#define TEST_PORT	0x5e0
#define NR_CHURN	200

/* debugfs, mounted first if /init did not. */
static void mount_debugfs(struct __test_metadata *_metadata)
{
	if (access(VESSEL_DIR, F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	ASSERT_EQ(0, access(VESSEL_DIR, F_OK)) TH_LOG("%s: %s", VESSEL_DIR,
						     strerror(errno));
}

static void vm_dir(char *buf, size_t len, int vm_fd)
{
	snprintf(buf, len, VESSEL_DIR "/%d-%d", getpid(), vm_fd);
}

/* The value of @name in the "name value" file @path; -1 if absent. */
static long long counter(const char *path, const char *name)
{
	char line[128], key[96];
	long long v, found = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%95s %lld", key, &v) == 2 && !strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

/* Entries of /sys/kernel/debug/vessel other than "." and "..". */
static int nr_entries(void)
{
	DIR *d = opendir(VESSEL_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void guest_io(void)
{
	int i;

	for (i = 0; i < 5; i++)
		outb(TEST_PORT, i);
	GUEST_DONE();
}

TEST(counters_match_the_ioctl)
{
	struct vessel_counters c;
	char dir[128], path[192];
	struct vcpu *vcpu;
	struct vm *vm;
	struct stat st;
	int i, fd;

	mount_debugfs(_metadata);
	vm = vm_create_with_one_vcpu(&vcpu, guest_io);
	vm_dir(dir, sizeof(dir), vm->fd);
	ASSERT_EQ(0, stat(dir, &st)) TH_LOG("%s: %s", dir, strerror(errno));
	EXPECT_TRUE(S_ISDIR(st.st_mode));

	for (i = 0; i < 5; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_IO_EXIT(vcpu, TEST_PORT, 1, VESSEL_IO_OUT);
	}
	vcpu_run_expect_done(vcpu);
	ASSERT_EQ(0, vessel_vm_get_counters(&vm->v, &c));

	snprintf(path, sizeof(path), "%s/counters", dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	EXPECT_EQ((long long)c.runs, counter(path, "runs"));
	EXPECT_EQ((long long)c.entries, counter(path, "entries"));
	EXPECT_LE(6, counter(path, "runs"));
	/* Five OUTs and the ucall's, each a VMX exit and a user exit. */
	EXPECT_EQ((long long)c.vmx_exits[30], counter(path, "exit.30"));
	EXPECT_LE(6, counter(path, "exit.30"));
	EXPECT_EQ((long long)c.user_exits[VESSEL_EXIT_IO],
		  counter(path, "user_exit.1"));
	/* Zero counts by reason are left out. */
	EXPECT_EQ(-1, counter(path, "exit.4"));

	/* Counters only: nothing to write. */
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		errno = 0;
		EXPECT_EQ(-1, write(fd, "0\n", 2));
		EXPECT_EQ(EINVAL, errno);
		close(fd);
	} else {
		EXPECT_EQ(EACCES, errno);
	}

	snprintf(path, sizeof(path), "%s/paravirt", dir);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	EXPECT_EQ(VESSEL_PV_NONE, counter(path, "provider"));
	EXPECT_EQ(0, counter(path, "hypercalls"));
	vm_free(vm);
	EXPECT_EQ(-1, access(dir, F_OK));
	EXPECT_EQ(ENOENT, errno);
}

static void guest_kvm_hypercalls(void)
{
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SCHED_YIELD, 0, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_SCHED_YIELD, 1, 0, 0, 0), 0);
	GUEST_ASSERT_EQ(kvm_hypercall4(KVM_HC_VAPIC_POLL_IRQ, 0, 0, 0, 0), 0);
	GUEST_DONE();
}

TEST(hypercalls_by_code)
{
	struct vessel_pv_counters c;
	char dir[128], path[192], name[32];
	struct vm *vm;

	mount_debugfs(_metadata);
	vm = vm_create_pv(1, VESSEL_PV_KVM, 0, guest_kvm_hypercalls);
	vcpu_run_expect_done(vm->vcpus[0]);
	ASSERT_EQ(0, vessel_vm_get_pv_counters(&vm->v, &c));
	vm_dir(dir, sizeof(dir), vm->fd);
	snprintf(path, sizeof(path), "%s/paravirt", dir);
	EXPECT_EQ(VESSEL_PV_KVM, counter(path, "provider"));
	EXPECT_LE(1, counter(path, "version"));
	EXPECT_EQ(3, counter(path, "hypercalls"));
	snprintf(name, sizeof(name), "hypercall.%d", KVM_HC_SCHED_YIELD);
	EXPECT_EQ(2, counter(path, name));
	EXPECT_EQ((long long)c.hypercalls[KVM_HC_SCHED_YIELD], counter(path, name));
	snprintf(name, sizeof(name), "hypercall.%d", KVM_HC_VAPIC_POLL_IRQ);
	EXPECT_EQ(1, counter(path, name));
	EXPECT_EQ((long long)c.msr_writes, counter(path, "pv_msr_writes"));
	vm_free(vm);
}

/*
 * The directory lives as long as the VM: its vCPUs keep it after the VM
 * fd is closed. A new VM that gets the same fd number meanwhile gets a
 * directory of its own.
 */
TEST(outlives_the_vm_fd_with_its_vcpus)
{
	struct vessel_sys sys;
	struct vessel_vm a, b;
	struct vessel_vcpu vcpu;
	char dir_a[128], path[192];
	int fd_a, before;
	char err[160];
	DIR *d;
	struct dirent *e;
	bool seen_b = false;

	mount_debugfs(_metadata);
	before = nr_entries();
	ASSERT_LE(1, before);
	ASSERT_EQ(0, vessel_sys_open(&sys, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(0, vessel_vm_create(&sys, &a, 0));
	ASSERT_EQ(0, vessel_vcpu_create(&a, 0, &vcpu));
	fd_a = a.fd;
	vm_dir(dir_a, sizeof(dir_a), fd_a);
	vessel_vm_close(&a);
	EXPECT_EQ(0, access(dir_a, F_OK));
	snprintf(path, sizeof(path), "%s/counters", dir_a);
	EXPECT_EQ(0, counter(path, "runs"));

	/* The lowest free fd: the one VM a had. */
	ASSERT_EQ(0, vessel_vm_create(&sys, &b, 0));
	ASSERT_EQ(fd_a, b.fd);
	EXPECT_EQ(before + 2, nr_entries());
	d = opendir(VESSEL_DIR);
	ASSERT_NE(NULL, d);
	while ((e = readdir(d))) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%d-%d.", getpid(), fd_a);
		if (!strncmp(e->d_name, prefix, strlen(prefix)))
			seen_b = true;
	}
	closedir(d);
	EXPECT_TRUE(seen_b);

	vessel_vcpu_close(&vcpu);
	EXPECT_EQ(-1, access(dir_a, F_OK));
	EXPECT_EQ(before + 1, nr_entries());
	vessel_vm_close(&b);
	EXPECT_EQ(before, nr_entries());
	vessel_sys_close(&sys);
}

/* Many VMs come and go: no directory is left behind. */
TEST(none_left_behind)
{
	struct vessel_sys sys;
	struct vessel_vm vm;
	struct vessel_vcpu vcpu;
	char err[160];
	int i, before;

	mount_debugfs(_metadata);
	before = nr_entries();
	ASSERT_EQ(0, vessel_sys_open(&sys, err, sizeof(err))) TH_LOG("%s", err);
	for (i = 0; i < NR_CHURN; i++) {
		ASSERT_EQ(0, vessel_vm_create(&sys, &vm, 0));
		ASSERT_EQ(0, vessel_vcpu_create(&vm, 0, &vcpu));
		/* Every other VM goes away through its vCPU. */
		if (i & 1) {
			vessel_vm_close(&vm);
			vessel_vcpu_close(&vcpu);
		} else {
			vessel_vcpu_close(&vcpu);
			vessel_vm_close(&vm);
		}
	}
	EXPECT_EQ(before, nr_entries());
	vessel_sys_close(&sys);
}

TEST_HARNESS_MAIN
