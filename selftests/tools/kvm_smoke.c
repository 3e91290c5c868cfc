// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_smoke: prove that KVM works in the test machine (the peer the
 * benchmarks compare against, and the other user of VMX that vessel.ko must
 * coexist with).  A real-mode guest writes 42 to port 0xf4 and halts.
 *
 * Usage: kvm_smoke [--hold SECONDS]
 *   --hold  keep the VM (and so VMX operation) alive for SECONDS afterwards
 * Prints TAP; exit status 0 when the guest did what it should.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE	0x10000
#define CODE_ADDR	0x1000

static int fail(const char *what)
{
	printf("not ok 1 - kvm_smoke: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	/* mov al, 42; out 0xf4, al; hlt */
	static const unsigned char code[] = { 0xb0, 0x2a, 0xe6, 0xf4, 0xf4 };
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, hold = 0;
	unsigned char *mem;
	long run_size;

	if (argc == 3 && !strcmp(argv[1], "--hold"))
		hold = atoi(argv[2]);
	printf("1..1\n");
	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		return fail("open /dev/kvm");
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return fail("KVM_GET_API_VERSION");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem + CODE_ADDR, code, sizeof(code));
	region = (struct kvm_userspace_memory_region) {
		.slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs))
		return fail("KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_ADDR;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");

	if (ioctl(vcpu, KVM_RUN, 0))
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0xf4 ||
	    *((unsigned char *)run + run->io.data_offset) != 42) {
		printf("not ok 1 - kvm_smoke: exit %u, expected OUT 42 to 0xf4\n",
		       run->exit_reason);
		return 1;
	}
	if (ioctl(vcpu, KVM_RUN, 0))
		return fail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_HLT) {
		printf("not ok 1 - kvm_smoke: exit %u, expected HLT\n",
		       run->exit_reason);
		return 1;
	}
	printf("ok 1 - kvm_smoke: real-mode guest ran on KVM\n");
	fflush(stdout);
	if (hold)
		sleep(hold);
	return 0;
}
