// SPDX-License-Identifier: GPL-2.0
/*
 * The selftest library, host side: VMs, vCPUs, memory and the test binary
 * as guest image.  The layout is described in vessel_util.h.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((uint64_t)(a) - 1))

void test_assert_fail(const char *file, int line, const char *expr,
		      const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "==== Test Assertion Failure ====\n  %s:%d: %s\n  ",
		file, line, expr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	fflush(stderr);
	exit(1);
}

int __ioctl_assert(int ret, const char *name, const char *file, int line)
{
	if (ret < 0)
		test_assert_fail(file, line, name, "%s failed: %s (errno %d)",
				 name, strerror(errno), errno);
	return ret;
}

int vessel_caps_read(struct vessel_caps *caps)
{
	struct vessel_sys sys;
	char err[128];
	int r;

	r = vessel_sys_open(&sys, err, sizeof(err));
	if (r)
		return r;
	*caps = sys.caps;
	vessel_sys_close(&sys);
	return 0;
}

static void *mmap_anon(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_ASSERT(p != MAP_FAILED, "mmap %#lx bytes: %s", (unsigned long)size,
		    strerror(errno));
	return p;
}

void *vm_mem_add(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, void *hva)
{
	struct vm_slot *s;
	int r;

	TEST_ASSERT(slot < VM_MAX_SLOTS && !vm->slots[slot].size,
		    "slot %u out of range or in use", slot);
	s = &vm->slots[slot];
	s->owned = !hva;
	s->hva = hva ? hva : mmap_anon(size);
	r = vessel_vm_set_memory(&vm->v, slot, flags, gpa, size, s->hva);
	TEST_ASSERT(!r, "VESSEL_SET_MEMORY_REGION slot %u gpa %#lx size %#lx: %s",
		    slot, (unsigned long)gpa, (unsigned long)size, strerror(-r));
	s->flags = flags;
	s->gpa = gpa;
	s->size = size;
	return s->hva;
}

void *addr_gpa2hva(struct vm *vm, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < VM_MAX_SLOTS; i++) {
		struct vm_slot *s = &vm->slots[i];

		if (s->size && gpa >= s->gpa && gpa - s->gpa < s->size)
			return (uint8_t *)s->hva + (gpa - s->gpa);
	}
	TEST_FAIL("guest address %#lx is in no slot", (unsigned long)gpa);
}

uint64_t vm_alloc(struct vm *vm, uint64_t size)
{
	uint64_t gpa = vm->alloc_next;

	size = ALIGN_UP(size, VESSEL_PAGE_SIZE);
	TEST_ASSERT(size <= vm->mem_size && gpa <= vm->mem_size - size,
		    "guest memory full: %#lx more bytes wanted",
		    (unsigned long)size);
	vm->alloc_next += size;
	return gpa;
}

/*
 * Copy this process's PT_LOAD segments to the same addresses in guest
 * memory.  The live image, not /proc/self/exe: it has the IFUNC-resolved
 * GOT and the globals the test set up before vm_create().
 */
static void vm_load_image(struct vm *vm)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long i, n = getauxval(AT_PHNUM);
	uint64_t end = 0;

	TEST_ASSERT(ph && n, "no program headers in the auxiliary vector");
	for (i = 0; i < n; i++) {
		uint64_t start = ph[i].p_vaddr, size = ph[i].p_memsz;

		if (ph[i].p_type != PT_LOAD)
			continue;
		TEST_ASSERT(start >= GUEST_IMAGE_GPA && size <= vm->mem_size &&
			    start <= vm->mem_size - size,
			    "segment %#lx+%#lx does not fit guest memory of %#lx (is the test static and non-PIE?)",
			    (unsigned long)start, (unsigned long)size,
			    (unsigned long)vm->mem_size);
		memcpy(vm->mem + start, (void *)(uintptr_t)start, size);
		if (start + size > end)
			end = start + size;
	}
	vm->alloc_next = ALIGN_UP(end, VESSEL_HUGE_PAGE_SIZE);
}

uint32_t vm_cpuid_get(struct vm *vm, struct vessel_cpuid_entry *e)
{
	uint32_t nr = VESSEL_MAX_CPUID_ENTRIES;
	int r;

	r = vessel_vm_get_cpuid(&vm->v, e, &nr);
	TEST_ASSERT(!r, "VESSEL_GET_CPUID: %s", strerror(-r));
	return nr;
}

struct vessel_cpuid_entry *cpuid_find(struct vessel_cpuid_entry *e,
				      uint32_t nr, uint32_t function,
				      uint32_t index)
{
	uint32_t i;

	for (i = 0; i < nr; i++)
		if (e[i].function == function &&
		    (!(e[i].flags & VESSEL_CPUID_SIGNIFICANT_INDEX) ||
		     e[i].index == index))
			return &e[i];
	return NULL;
}

/* XCR0 for new vCPUs: x87|SSE, and AVX where the guest's CPUID has it. */
static void vm_pick_xcr0(struct vm *vm)
{
	struct vessel_cpuid_entry e[VESSEL_MAX_CPUID_ENTRIES];
	struct vessel_cpuid_entry *leaf1, *leafd;
	uint32_t nr = vm_cpuid_get(vm, e);

	leaf1 = cpuid_find(e, nr, 1, 0);
	leafd = cpuid_find(e, nr, 0xd, 0);
	vm->has_xsave = leaf1 && (leaf1->ecx & CPUID_1_ECX_XSAVE);
	vm->xcr0 = XFEATURE_X87;
	if (!vm->has_xsave)
		return;
	vm->xcr0 |= XFEATURE_SSE;
	if ((leaf1->ecx & CPUID_1_ECX_AVX) && leafd &&
	    (leafd->eax & XFEATURE_AVX))
		vm->xcr0 |= XFEATURE_AVX;
}

uint32_t vm_create_flags;
/* The provider the next vm_create_barebones() asks for (vm_create_pv()). */
static uint32_t next_pv_provider, next_pv_version;

struct vm *vm_create_barebones(uint64_t mem_size)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	char err[160];
	int r;

	TEST_ASSERT(vm, "out of memory");
	vm->fd = -1;
	r = vessel_sys_open(&vm->sys, err, sizeof(err));
	TEST_ASSERT(!r, "%s", err);
	vm->pv_provider = next_pv_provider;
	vm->pv_version = next_pv_version;
	r = vessel_vm_create_pv(&vm->sys, &vm->v, vm_create_flags,
				vm->pv_provider, vm->pv_version);
	TEST_ASSERT(!r, "VESSEL_CREATE_VM: %s", strerror(-r));
	vm->fd = vm->v.fd;
	if (mem_size) {
		vm->mem = vm_mem_add(vm, 0, 0, 0, mem_size, NULL);
		vm->mem_size = mem_size;
	}
	return vm;
}

struct vm *vm_create(unsigned int nr_vcpus, uint64_t mem_size,
		     void *guest_code)
{
	struct vm *vm;
	unsigned int i;

	TEST_ASSERT(nr_vcpus <= VM_MAX_VCPUS, "at most %d vCPUs", VM_MAX_VCPUS);
	vm = vm_create_barebones(mem_size ? mem_size : VM_DEFAULT_MEM);
	vm_pick_xcr0(vm);
	vm_load_image(vm);
	vm_setup_tables(vm);
	for (i = 0; i < nr_vcpus; i++)
		vm_vcpu_add(vm, i, guest_code);
	return vm;
}

struct vm *vm_create_pv(unsigned int nr_vcpus, uint32_t provider,
			uint32_t version, void *guest_code)
{
	struct vm *vm;

	next_pv_provider = provider;
	next_pv_version = version;
	vm = vm_create(nr_vcpus, 0, guest_code);
	next_pv_provider = 0;
	next_pv_version = 0;
	return vm;
}

struct vm *vm_create_with_one_vcpu(struct vcpu **vcpu, void *guest_code)
{
	struct vm *vm = vm_create(1, 0, guest_code);

	*vcpu = vm->vcpus[0];
	return vm;
}

struct vcpu *vm_vcpu_add_raw(struct vm *vm, uint32_t id)
{
	struct vcpu *vcpu;
	int r;

	TEST_ASSERT(id < VM_MAX_VCPUS && !vm->vcpus[id], "vCPU id %u", id);
	vcpu = calloc(1, sizeof(*vcpu));
	TEST_ASSERT(vcpu, "out of memory");
	r = vessel_vcpu_create(&vm->v, id, &vcpu->v);
	TEST_ASSERT(!r, "VESSEL_CREATE_VCPU %u: %s", id, strerror(-r));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = vcpu->v.fd;
	vcpu->run = vcpu->v.run;
	vm->vcpus[id] = vcpu;
	return vcpu;
}

struct vcpu *vm_vcpu_add(struct vm *vm, uint32_t id, void *guest_code)
{
	struct vcpu *vcpu = vm_vcpu_add_raw(vm, id);
	struct vessel_mp_state mp = { .mp_state = VESSEL_MP_STATE_RUNNABLE };

	vcpu_setup_long_mode(vcpu, guest_code);
	/* With an in-kernel APIC, APs would wait for a SIPI: start them here. */
	if (vm_create_flags & VESSEL_VM_LAPIC)
		vcpu_ioctl(vcpu, VESSEL_SET_MP_STATE, &mp);
	return vcpu;
}

static void vm_close_vcpus(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < VM_MAX_VCPUS; i++) {
		if (!vm->vcpus[i])
			continue;
		vessel_vcpu_close(&vm->vcpus[i]->v);
		free(vm->vcpus[i]);
		vm->vcpus[i] = NULL;
	}
}

void vm_restart(struct vm *vm)
{
	unsigned int i;
	int r;

	vm_close_vcpus(vm);
	if (vm->fd >= 0)
		vessel_vm_close(&vm->v);
	r = vessel_vm_create_pv(&vm->sys, &vm->v, vm_create_flags,
				vm->pv_provider, vm->pv_version);
	TEST_ASSERT(!r, "VESSEL_CREATE_VM: %s", strerror(-r));
	vm->fd = vm->v.fd;
	for (i = 0; i < VM_MAX_SLOTS; i++) {
		struct vm_slot *s = &vm->slots[i];

		if (!s->size)
			continue;
		r = vessel_vm_set_memory(&vm->v, i, s->flags, s->gpa, s->size,
					 s->hva);
		TEST_ASSERT(!r, "re-adding slot %u: %s", i, strerror(-r));
	}
}

void vm_free(struct vm *vm)
{
	unsigned int i;

	if (!vm)
		return;
	vm_close_vcpus(vm);
	if (vm->fd >= 0)
		vessel_vm_close(&vm->v);
	for (i = 0; i < VM_MAX_SLOTS; i++)
		if (vm->slots[i].owned)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	vessel_sys_close(&vm->sys);
	free(vm);
}

static void exit_describe(struct vcpu *vcpu, char *buf, size_t size)
{
	struct vessel_run *run = vcpu->run;
	uint64_t mmio = 0;

	switch (run->exit_reason) {
	case VESSEL_EXIT_IO:
		snprintf(buf, size, "io: port %#x %s size %u count %u flags %#x",
			 run->io.port, run->io.direction ? "out" : "in",
			 run->io.size, run->io.count, run->io.flags);
		break;
	case VESSEL_EXIT_MMIO:
		memcpy(&mmio, run->mmio.data, sizeof(mmio));
		snprintf(buf, size, "mmio: gpa %#llx len %u %s data %#lx",
			 (unsigned long long)run->mmio.gpa, run->mmio.len,
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long)mmio);
		break;
	case VESSEL_EXIT_MSR:
		snprintf(buf, size, "msr: %#x %s data %#llx", run->msr.index,
			 run->msr.is_write ? "write" : "read",
			 (unsigned long long)run->msr.data);
		break;
	case VESSEL_EXIT_INTERNAL_ERROR:
		snprintf(buf, size,
			 "internal error: suberror %u data %#llx %#llx %#llx %#llx",
			 run->internal.suberror,
			 (unsigned long long)run->internal.data[0],
			 (unsigned long long)run->internal.data[1],
			 (unsigned long long)run->internal.data[2],
			 (unsigned long long)run->internal.data[3]);
		break;
	default:
		snprintf(buf, size, "%s (%u)", vessel_exit_name(run->exit_reason),
			 run->exit_reason);
	}
}

void __assert_exit_reason(struct vcpu *vcpu, uint32_t reason,
			  const char *file, int line)
{
	struct ucall uc;
	char what[160];

	if (vcpu->run->exit_reason == reason)
		return;
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_ABORT:
	case UCALL_UNHANDLED:
		ucall_report(&uc);
	}
	exit_describe(vcpu, what, sizeof(what));
	test_assert_fail(file, line, "exit reason",
			 "vCPU %u: wanted exit %s (%u), got %s", vcpu->id,
			 vessel_exit_name(reason), reason, what);
}

void __assert_io_exit(struct vcpu *vcpu, uint16_t port, uint8_t size,
		      uint8_t direction, const char *file, int line)
{
	struct vessel_run *run = vcpu->run;
	char what[160];

	__assert_exit_reason(vcpu, VESSEL_EXIT_IO, file, line);
	if (run->io.port == port && run->io.size == size &&
	    run->io.direction == direction && run->io.count == 1)
		return;
	exit_describe(vcpu, what, sizeof(what));
	test_assert_fail(file, line, "io exit",
			 "vCPU %u: wanted io port %#x %s size %u, got %s",
			 vcpu->id, port, direction ? "out" : "in", size, what);
}

void vcpu_run(struct vcpu *vcpu)
{
	if (__vcpu_run(vcpu))
		TEST_FAIL("vCPU %u: VESSEL_RUN: %s (errno %d), exit %s", vcpu->id,
			  strerror(errno), errno,
			  vessel_exit_name(vcpu->run->exit_reason));
}

void vcpu_state_get(struct vcpu *vcpu, struct vessel_vcpu_state *s,
		    uint64_t parts)
{
	int r = vessel_vcpu_get_state(&vcpu->v, s, parts);

	TEST_ASSERT(!r, "VESSEL_GET_STATE %#lx: %s", (unsigned long)parts,
		    strerror(-r));
}

void vcpu_state_set(struct vcpu *vcpu, struct vessel_vcpu_state *s,
		    uint64_t parts)
{
	int r = vessel_vcpu_set_state(&vcpu->v, s, parts);

	TEST_ASSERT(!r, "VESSEL_SET_STATE %#lx: %s", (unsigned long)parts,
		    strerror(-r));
}

void vcpu_args_set(struct vcpu *vcpu, unsigned int n, ...)
{
	static const int regs[] = {
		VESSEL_GPR_RDI, VESSEL_GPR_RSI, VESSEL_GPR_RDX,
		VESSEL_GPR_RCX, VESSEL_GPR_R8, VESSEL_GPR_R8 + 1,
	};
	struct vessel_vcpu_state s;
	unsigned int i;
	va_list ap;

	TEST_ASSERT(n <= ARRAY_SIZE(regs), "at most 6 arguments");
	memset(&s, 0, sizeof(s));
	vcpu_state_get(vcpu, &s, VESSEL_STATE_GPRS);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		s.gprs.regs[regs[i]] = va_arg(ap, uint64_t);
	va_end(ap);
	vcpu_state_set(vcpu, &s, VESSEL_STATE_GPRS);
}

void vcpu_inject(struct vcpu *vcpu, uint32_t type, uint32_t vector,
		 uint32_t flags, uint32_t error_code, uint64_t payload)
{
	struct vessel_event ev = {
		.type = type,
		.vector = vector,
		.flags = flags,
		.error_code = error_code,
		.payload = payload,
	};
	int r = vessel_vcpu_inject(&vcpu->v, &ev);

	TEST_ASSERT(!r, "VESSEL_INJECT type %u vector %u: %s", type, vector,
		    strerror(-r));
}

/* The TSC rate the module reports (the Minimal provider's leaf 0x40000010). */
uint64_t vm_module_tsc_khz(void)
{
	struct vessel_cpuid_entry e[VESSEL_MAX_CPUID_ENTRIES], *l;
	struct vm *vm = vm_create_pv(0, VESSEL_PV_MINIMAL, 0, NULL);
	uint32_t nr = vm_cpuid_get(vm, e);
	uint64_t khz;

	l = cpuid_find(e, nr, 0x40000010, 0);
	TEST_ASSERT(l && l->eax, "no TSC rate in leaf 0x40000010");
	khz = l->eax;
	vm_free(vm);
	return khz;
}
