// SPDX-License-Identifier: GPL-2.0
/*
 * Create and destroy many VMs, each with a vCPU and 1 MiB of memory its
 * guest touched: the kernel's free memory must come back to its baseline.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define NR_VMS		1000
#define VM_MEM		(1ULL << 20)
#define CODE_GPA	0x1000
#define MARGIN_KB	1024	/* one page leaked per VM would be 4000 kB */

/*
 * Real mode, CS = 0: write one byte into each 4 KiB page of the first MiB
 * (DS steps by 0x100 until it wraps to 0), then HLT.
 */
static const uint8_t touch_code[] = {
	0x31, 0xc0,			/* xor ax, ax */
	0x8e, 0xd8,			/* mov ds, ax */
	0xc6, 0x06, 0x00, 0x08, 0xaa,	/* 1: mov byte [0x800], 0xaa */
	0x05, 0x00, 0x01,		/* add ax, 0x100 (next 4 KiB) */
	0x8e, 0xd8,			/* mov ds, ax */
	0x85, 0xc0,			/* test ax, ax (wrapped: 1 MiB done) */
	0x75, 0xf2,			/* jne 1b */
	0xf4,				/* hlt */
};

/* As selftests/testbed/module_test.sh: free pages plus per-CPU lists. */
static long free_kb(void)
{
	char line[256];
	long f = 0, p = 0, v;
	FILE *fp;

	sync();
	fp = fopen("/proc/sys/vm/drop_caches", "w");
	if (fp) {
		fputs("3\n", fp);
		fclose(fp);
	}
	fp = fopen("/proc/zoneinfo", "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		if (sscanf(line, " nr_free_pages %ld", &v) == 1)
			f += v;
		else if (sscanf(line, " count: %ld", &v) == 1)
			p += v;
	}
	fclose(fp);
	return (f + p) * 4;
}

static void one_vm(void)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vm *vm = vm_create_barebones(VM_MEM);
	struct vcpu *vcpu = vm_vcpu_add_raw(vm, 0);

	memcpy(vm->mem + CODE_GPA, touch_code, sizeof(touch_code));
	vcpu_state_get(vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS);
	s->segs.seg[VESSEL_SEG_CS].selector = 0;
	s->segs.seg[VESSEL_SEG_CS].base = 0;
	s->gprs.rip = CODE_GPA;
	vcpu_state_set(vcpu, s, VESSEL_STATE_GPRS | VESSEL_STATE_SEGS);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_HLT);
	TEST_ASSERT(vm->mem[VM_MEM - 0x800] == 0xaa, "last page not touched");
	vm_free(vm);
	free(s);
}

/* The harness of 6.1 has timeouts only for fixture tests. */
FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, many_vms_leak_nothing, 600)
{
	struct timespec t0, t1;
	long before, after;
	int i;

	/* Warm up slab caches and this process's own allocations. */
	for (i = 0; i < 10; i++)
		one_vm();
	before = free_kb();
	ASSERT_GT(before, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NR_VMS; i++)
		one_vm();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	after = free_kb();
	TH_LOG("%d VMs in %.1f s; free memory %ld kB before, %ld kB after, %ld kB lost",
	       NR_VMS, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	       before, after, before - after);
	EXPECT_LT(before - after, MARGIN_KB);
}

TEST_HARNESS_MAIN
