// SPDX-License-Identifier: GPL-2.0
/*
 * The VM and vCPU ioctls' ABI: every bad request gets its exact errno,
 * objects outlive what they should, and every uapi struct has its layout.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "processor.h"
#include "uapi_layout.h"
#include "ucall.h"
#include "vessel_util.h"

#define PAGE	4096UL

/* One raw ioctl that must fail with @err. */
#define EXPECT_ERRNO(err, call) do {					\
	errno = 0;							\
	EXPECT_EQ(-1, (call));						\
	EXPECT_EQ(err, errno) TH_LOG("%s: %s", #call, strerror(errno));	\
} while (0)

FIXTURE(vm) {
	struct vm *vm;
	struct vessel_caps *caps;
	void *mem;		/* 16 pages, page aligned */
};

FIXTURE_SETUP(vm)
{
	self->vm = vm_create_barebones(0);
	self->caps = &self->vm->sys.caps;
	self->mem = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(vm)
{
	vm_free(self->vm);
	munmap(self->mem, 16 * PAGE);
}

static int set_region(struct vm *vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, uint64_t hva)
{
	struct vessel_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.size = size, .userspace_addr = hva,
	};

	return __vm_ioctl(vm, VESSEL_SET_MEMORY_REGION, &r);
}

TEST(create_vm_bad_args)
{
	struct vessel_vm_create arg;
	struct vessel_sys sys;
	char err[128];

	ASSERT_EQ(0, vessel_sys_open(&sys, err, sizeof(err))) TH_LOG("%s", err);

	memset(&arg, 0, sizeof(arg));
	arg.flags = VESSEL_VM_LAPIC << 1;	/* the first undefined flag */
	EXPECT_ERRNO(EINVAL, ioctl(sys.fd, VESSEL_CREATE_VM, &arg));
	memset(&arg, 0, sizeof(arg));
	arg.reserved0 = 1;
	EXPECT_ERRNO(EINVAL, ioctl(sys.fd, VESSEL_CREATE_VM, &arg));
	memset(&arg, 0, sizeof(arg));
	arg.reserved[5] = 1;
	EXPECT_ERRNO(EINVAL, ioctl(sys.fd, VESSEL_CREATE_VM, &arg));
	EXPECT_ERRNO(EFAULT, ioctl(sys.fd, VESSEL_CREATE_VM, NULL));
	vessel_sys_close(&sys);
}

TEST_F(vm, memory_region_alignment)
{
	uint64_t hva = (uintptr_t)self->mem;

	EXPECT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0x800, PAGE, hva));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0, PAGE + 8, hva));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0, PAGE, hva + 16));
	/* And a good one, to show the bad ones failed for their reason. */
	EXPECT_EQ(0, set_region(self->vm, 0, 0, 0, PAGE, hva));
}

TEST_F(vm, memory_region_range)
{
	struct vessel_memory_region r = {
		.size = PAGE, .userspace_addr = (uintptr_t)self->mem,
	};
	uint64_t hva = (uintptr_t)self->mem;
	uint64_t too_big = self->caps->max_mem_bytes + PAGE;
	void *big;

	/* gpa + size wraps around. */
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 0, 0, -PAGE, 2 * PAGE, hva));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, self->caps->max_mem_slots, 0,
					0, PAGE, hva));
	EXPECT_ERRNO(EINVAL, set_region(self->vm, 0, 1U << 31, 0, PAGE, hva));
	r.reserved[3] = 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_SET_MEMORY_REGION, &r));

	/* A real (if inaccessible) mapping, so only the size is wrong. */
	big = mmap(NULL, too_big, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (big != MAP_FAILED) {
		EXPECT_ERRNO(EINVAL, set_region(self->vm, 0, 0, 0, too_big,
						(uintptr_t)big));
		munmap(big, too_big);
	} else {
		TH_LOG("cannot reserve %#lx bytes: size check skipped",
		       (unsigned long)too_big);
	}
}

TEST_F(vm, memory_region_overlap_and_delete)
{
	uint64_t hva = (uintptr_t)self->mem;

	ASSERT_EQ(0, set_region(self->vm, 0, 0, 0x100000, 8 * PAGE, hva));
	EXPECT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0x100000 + 4 * PAGE,
					8 * PAGE, hva + 8 * PAGE));
	EXPECT_ERRNO(EEXIST, set_region(self->vm, 1, 0, 0x100000 - PAGE,
					2 * PAGE, hva + 8 * PAGE));
	/* Adjacent is fine. */
	EXPECT_EQ(0, set_region(self->vm, 1, 0, 0x100000 + 8 * PAGE, PAGE,
				hva + 8 * PAGE));
	/* Deleting an empty slot; then deleting a real one works. */
	EXPECT_ERRNO(ENOENT, set_region(self->vm, 2, 0, 0, 0, 0));
	EXPECT_EQ(0, set_region(self->vm, 1, 0, 0, 0, 0));
	EXPECT_ERRNO(ENOENT, set_region(self->vm, 1, 0, 0, 0, 0));
}

TEST_F(vm, create_vcpu_ids)
{
	int fd;

	EXPECT_ERRNO(EINVAL, ioctl(self->vm->fd, VESSEL_CREATE_VCPU,
				   (unsigned long)self->caps->max_vcpus));
	EXPECT_ERRNO(EINVAL, ioctl(self->vm->fd, VESSEL_CREATE_VCPU, -1UL));
	fd = ioctl(self->vm->fd, VESSEL_CREATE_VCPU, 0UL);
	ASSERT_GE(fd, 0) TH_LOG("VESSEL_CREATE_VCPU 0: %s", strerror(errno));
	EXPECT_ERRNO(EBUSY, ioctl(self->vm->fd, VESSEL_CREATE_VCPU, 0UL));
	close(fd);
}

TEST_F(vm, unknown_and_misdirected_ioctls)
{
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vessel_memory_region r = { 0 };
	struct vcpu *vcpu = vm_vcpu_add_raw(self->vm, 0);
	struct vessel_vm_create c = { 0 };

	EXPECT_ERRNO(ENOTTY, __vm_ioctl(self->vm, _IO(VESSEL_IO, 0x7f), 0));
	EXPECT_ERRNO(ENOTTY, __vcpu_ioctl(vcpu, _IO(VESSEL_IO, 0x7f), 0));
	/* A known number with a wrong size encoded. */
	EXPECT_ERRNO(ENOTTY, __vm_ioctl(self->vm,
					_IOW(VESSEL_IO, 0x10, uint64_t), &r));
	/* VM ioctls on a vCPU fd, vCPU and system ioctls on a VM fd. */
	EXPECT_ERRNO(ENOTTY, __vcpu_ioctl(vcpu, VESSEL_SET_MEMORY_REGION, &r));
	EXPECT_ERRNO(ENOTTY, __vcpu_ioctl(vcpu, VESSEL_CREATE_VCPU, 1UL));
	EXPECT_ERRNO(ENOTTY, __vm_ioctl(self->vm, VESSEL_RUN, 0));
	EXPECT_ERRNO(ENOTTY, __vm_ioctl(self->vm, VESSEL_GET_STATE, s));
	EXPECT_ERRNO(ENOTTY, __vm_ioctl(self->vm, VESSEL_CREATE_VM, &c));
	EXPECT_ERRNO(ENOTTY, __vcpu_ioctl(vcpu, VESSEL_CREATE_VM, &c));
	free(s);
}

TEST_F(vm, cpuid_bad_args)
{
	struct vessel_cpuid_entry *e = calloc(VESSEL_MAX_CPUID_ENTRIES + 1,
					      sizeof(*e));
	struct vessel_cpuid c = { .entries = (uintptr_t)e };
	uint32_t needed;

	c.nr = VESSEL_MAX_CPUID_ENTRIES + 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_SET_CPUID, &c));
	c.nr = 1;
	c.flags = 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_SET_CPUID, &c));
	c.flags = 0;
	c.reserved[1] = 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_SET_CPUID, &c));
	c.reserved[1] = 0;
	c.entries = 8;
	EXPECT_ERRNO(EFAULT, __vm_ioctl(self->vm, VESSEL_SET_CPUID, &c));
	EXPECT_ERRNO(EFAULT, __vm_ioctl(self->vm, VESSEL_SET_CPUID, NULL));

	/* GET with too little room: E2BIG, and nr says how much is needed. */
	c.entries = (uintptr_t)e;
	c.nr = 1;
	EXPECT_ERRNO(E2BIG, __vm_ioctl(self->vm, VESSEL_GET_CPUID, &c));
	needed = c.nr;
	EXPECT_GT(needed, 1);
	EXPECT_LE(needed, VESSEL_MAX_CPUID_ENTRIES);
	EXPECT_EQ(0, __vm_ioctl(self->vm, VESSEL_GET_CPUID, &c));
	EXPECT_EQ(needed, c.nr);
	c.flags = 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_GET_CPUID, &c));
	free(e);
}

/* Whether the host kernel lists @flag in /proc/cpuinfo's first flags line. */
static bool host_has_flag(const char *flag)
{
	char line[4096], *tok, *save;
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		tok = strchr(line, ':');
		for (tok = strtok_r(tok ? tok + 1 : line, "\n ", &save); tok;
		     tok = strtok_r(NULL, "\n ", &save))
			if (!strcmp(tok, flag))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

static const struct vessel_cpuid_entry *
find_entry(const struct vessel_cpuid_entry *e, uint32_t nr, uint32_t fn,
	   uint32_t index)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		if (e[i].function == fn && e[i].index == index)
			return &e[i];
	return NULL;
}

/*
 * The VM's CPUID offers XSAVE and the features whose state needs it only
 * where the host kernel enabled them: Debian's 6.1 turns XSAVE off on
 * Bochs' Skylake-X, and a guest told of XSAVE or AVX then could not
 * enable them (SET_STATE refused CR4.OSXSAVE).
 */
TEST_F(vm, cpuid_offers_xsave_only_where_the_host_has_it)
{
	static const struct {
		uint32_t fn;
		int reg;	/* 2 = ECX, 1 = EBX */
		int bit;
		const char *flag;
	} feats[] = {
		{ 1, 2, 12, "fma" }, { 1, 2, 26, "xsave" },
		{ 1, 2, 28, "avx" }, { 1, 2, 29, "f16c" },
		{ 7, 1, 5, "avx2" }, { 7, 1, 16, "avx512f" },
	};
	struct vessel_cpuid_entry *e = calloc(VESSEL_MAX_CPUID_ENTRIES,
					      sizeof(*e));
	struct vessel_cpuid c = {
		.nr = VESSEL_MAX_CPUID_ENTRIES, .entries = (uintptr_t)e,
	};
	const struct vessel_cpuid_entry *x, *xd;
	unsigned int i;

	ASSERT_EQ(0, __vm_ioctl(self->vm, VESSEL_GET_CPUID, &c));
	for (i = 0; i < ARRAY_SIZE(feats); i++) {
		uint32_t reg;

		x = find_entry(e, c.nr, feats[i].fn, 0);
		ASSERT_NE(NULL, x);
		reg = feats[i].reg == 2 ? x->ecx : x->ebx;
		if (reg & (1U << feats[i].bit))
			EXPECT_TRUE(host_has_flag(feats[i].flag))
				TH_LOG("CPUID offers %s; the host kernel has it off",
				       feats[i].flag);
	}
	x = find_entry(e, c.nr, 1, 0);
	xd = find_entry(e, c.nr, 0xd, 0);
	ASSERT_NE(NULL, x);
	if (x->ecx & (1U << 26)) {
		ASSERT_NE(NULL, xd);
		EXPECT_EQ(3, xd->eax & 3);	/* x87 and SSE at least */
	} else if (xd) {
		EXPECT_EQ(0, xd->eax | xd->ebx | xd->ecx | xd->edx);
	}
	free(e);
}

TEST_F(vm, user_msrs_and_counters_bad_args)
{
	uint32_t idx[VESSEL_MAX_USER_MSRS + 1] = { 0 };
	struct vessel_user_msrs m = { .indices = (uintptr_t)idx };
	struct vessel_counters c;
	struct vcpu *vcpu = vm_vcpu_add_raw(self->vm, 0);

	m.nr = VESSEL_MAX_USER_MSRS + 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_SET_USER_MSRS, &m));
	m.nr = 1;
	m.flags = 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_SET_USER_MSRS, &m));
	m.flags = 0;
	m.indices = 8;
	EXPECT_ERRNO(EFAULT, __vm_ioctl(self->vm, VESSEL_SET_USER_MSRS, &m));

	memset(&c, 0, sizeof(c));
	c.flags = 1;
	EXPECT_ERRNO(EINVAL, __vm_ioctl(self->vm, VESSEL_GET_COUNTERS, &c));
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_GET_COUNTERS, &c));
	c.flags = 0;
	EXPECT_EQ(0, __vm_ioctl(self->vm, VESSEL_GET_COUNTERS, &c));
	EXPECT_EQ(0, __vcpu_ioctl(vcpu, VESSEL_GET_COUNTERS, &c));
}

TEST_F(vm, inject_bad_args)
{
	struct vcpu *vcpu = vm_vcpu_add_raw(self->vm, 0);
	const struct vessel_event bad[] = {
		{ .type = 3, .vector = 32 },
		{ .type = VESSEL_EVENT_IRQ, .vector = 15 },
		{ .type = VESSEL_EVENT_IRQ, .vector = 256 },
		{ .type = VESSEL_EVENT_EXCEPTION, .vector = 2 },
		{ .type = VESSEL_EVENT_EXCEPTION, .vector = 32 },
		{ .type = VESSEL_EVENT_EXCEPTION, .vector = UD_VECTOR,
		  .flags = VESSEL_EVENT_HAS_ERROR_CODE },
		{ .type = VESSEL_EVENT_EXCEPTION, .vector = GP_VECTOR },
		{ .type = VESSEL_EVENT_IRQ, .vector = 32, .flags = 1U << 31 },
		{ .type = VESSEL_EVENT_IRQ, .vector = 32, .reserved[4] = 1 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_INJECT, &bad[i]))
			TH_LOG("event %u", i);
		EXPECT_EQ(EINVAL, errno) TH_LOG("event %u: %s", i,
						strerror(errno));
	}
	EXPECT_ERRNO(EFAULT, __vcpu_ioctl(vcpu, VESSEL_INJECT, NULL));
}

static void guest_sync_done(void)
{
	GUEST_SYNC(1);
	GUEST_DONE();
}

TEST(set_state_bad_args)
{
	static const uint32_t bad_injected[] = {
		0x80000820, 0x80000b06, 0x80000e03,
	};
	struct vessel_vcpu_state *s = calloc(1, sizeof(*s));
	struct vessel_vcpu_state *good = calloc(1, sizeof(*s));
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync_done);
	unsigned int i;

	vcpu_state_get(vcpu, good, VESSEL_STATE_ALL);

	*s = *good;
	s->flags = VESSEL_STATE_ALL + 1;
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_GET_STATE, s));
	s->flags = VESSEL_STATE_CRS;
	s->reserved0[0] = 1;
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));

	*s = *good;
	s->flags = VESSEL_STATE_CRS;
	s->crs.cr0 &= ~X86_CR0_PE;		/* PG without PE */
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));

	*s = *good;
	s->flags = VESSEL_STATE_CRS;
	s->crs.cr4 &= ~X86_CR4_PAE;		/* long mode without PAE */
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));

	*s = *good;
	s->flags = VESSEL_STATE_CRS;
	s->crs.cr4 |= 1ULL << 32;		/* reserved */
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));

	/*
	 * An error code where the event has none: VM entry would fail. Valid,
	 * deliver error code, then an external interrupt 32, a #UD, a #BP as
	 * a software exception.
	 */
	for (i = 0; i < ARRAY_SIZE(bad_injected); i++) {
		*s = *good;
		s->flags = VESSEL_STATE_EVENTS;
		s->events.injected_info = bad_injected[i];
		errno = 0;
		EXPECT_EQ(-1, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));
		EXPECT_EQ(EINVAL, errno) TH_LOG("injected %#x", bad_injected[i]);
	}
	/* A pending exception's error code, as VESSEL_INJECT checks it. */
	*s = *good;
	s->flags = VESSEL_STATE_EVENTS;
	s->events.flags = VESSEL_EV_EXCEPTION_PENDING |
			  VESSEL_EV_EXCEPTION_HAS_ERROR;
	s->events.exception_vector = UD_VECTOR;
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));
	s->events.flags = VESSEL_EV_EXCEPTION_PENDING;
	s->events.exception_vector = GP_VECTOR;
	EXPECT_ERRNO(EINVAL, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, s));

	EXPECT_ERRNO(EFAULT, __vcpu_ioctl(vcpu, VESSEL_SET_STATE, NULL));

	/* None of that changed anything: the guest still runs. */
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	free(s);
	free(good);
}

/* The vCPU holds its VM: closing the VM fd first leaves a working vCPU. */
TEST(vcpu_outlives_vm_fd)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sync_done);

	vessel_vm_close(&vm->v);
	vm->fd = -1;
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_F(vm, run_page_mmap)
{
	struct vcpu *vcpu = vm_vcpu_add_raw(self->vm, 0);
	struct vessel_run *run;

	run = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	ASSERT_NE(MAP_FAILED, run) TH_LOG("mmap: %s", strerror(errno));
	/* The same page as the library's mapping. */
	run->immediate_exit = 1;
	EXPECT_EQ(1, vcpu->run->immediate_exit);
	run->immediate_exit = 0;
	munmap(run, PAGE);
}

/* The layout is ABI: each field at its documented offset. */
TEST(layout_of_every_uapi_struct)
{
	unsigned int i;

	for (i = 0; i < UAPI_LAYOUT_COUNT; i++)
		EXPECT_EQ(uapi_layout[i].expected, uapi_layout[i].actual)
			TH_LOG("%s", uapi_layout[i].what);
}

TEST_HARNESS_MAIN
