/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftest library, host side: VMs and vCPUs that run the test binary's
 * own C functions as guest code (in the manner of KVM's kvm_util.h).
 *
 * Guest memory layout of vm_create(): one slot (0) at GPA 0, and guest
 * virtual == guest physical everywhere, through identity page tables that
 * map the low 4 GiB with 2 MiB pages (memory beyond the slots is mapped too,
 * so a guest access there is an MMIO exit, not a #PF):
 *
 *	0x000000  first page, unused
 *	0x001000  GDT: null, code64, code32, data, 64-bit TSS (selector 0x20)
 *	0x002000  IDT: 256 interrupt gates into lib/handlers.S
 *	0x003000  TSS
 *	0x010000  page tables (PML4, PDPT, 4 PDs)
 *	0x200000  vCPU stacks, GUEST_STACK_SIZE each; the top of each stack
 *		  holds that vCPU's struct guest_cpu (id and ucall block)
 *	0x400000  the test binary: its PT_LOAD segments, copied from this
 *		  process at their link addresses, so a function or global
 *		  has the same address in the guest as in the host
 *	after it  free memory, from vm_alloc(), 2 MiB aligned start
 *
 * Tests are linked static and non-PIE (see Makefile), so the binary lies at
 * 0x400000 and the copy taken at vm_create() time carries every resolved
 * IFUNC and every global the host set before.  Afterwards, guest and host
 * copies of a global are separate: use sync_global_to_guest() and
 * sync_global_from_guest().
 */
#ifndef SELFTEST_VESSEL_UTIL_H
#define SELFTEST_VESSEL_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <libvessel.h>
#include <compiler.h>
#include <pagetable.h>

#define GUEST_GDT_GPA		0x1000ULL
#define GUEST_TSS_SEL		VESSEL_GDT_SIZE		/* after the flat GDT */
#define GUEST_GDT_LIMIT		(VESSEL_GDT_SIZE + 16 - 1)
#define GUEST_IDT_GPA		0x2000ULL
#define GUEST_TSS_GPA		0x3000ULL
#define GUEST_PT_GPA		0x10000ULL
#define GUEST_PT_SPAN		(4ULL << 30)
#define GUEST_STACKS_GPA	0x200000ULL
#define GUEST_STACK_SIZE	0x10000ULL
#define VM_MAX_VCPUS		32
#define GUEST_IMAGE_GPA		0x400000ULL

/* Default size of slot 0: room for the binary and some free memory. */
#define VM_DEFAULT_MEM		(16ULL << 20)
#define VM_MAX_SLOTS		8

/* Below 4 GiB, mapped by the page tables, backed by no slot. */
#define GUEST_MMIO_GPA		0xc0000000ULL

/* Fail the current test (exit status 1) with the caller's file:line. */
_Noreturn void test_assert_fail(const char *file, int line, const char *expr,
				const char *fmt, ...) __printf(4, 5);

/*
 * Accesses the compiler must not merge, drop or cache: memory shared by
 * guest and host, or by guest code and its interrupt handlers.
 */
#ifndef READ_ONCE
#define READ_ONCE(x)		(*(const __volatile__ __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(__volatile__ __typeof__(x) *)&(x) = (val))
#endif

#define TEST_ASSERT(cond, fmt, ...) do {				\
	if (!(cond))							\
		test_assert_fail(__FILE__, __LINE__, #cond, fmt, ##__VA_ARGS__); \
} while (0)

#define TEST_FAIL(fmt, ...) \
	test_assert_fail(__FILE__, __LINE__, "failure", fmt, ##__VA_ARGS__)

struct vm;

struct vcpu {
	struct vessel_vcpu v;		/* fd, id, run page */
	struct vm *vm;
	uint32_t id;
	int fd;				/* == v.fd */
	struct vessel_run *run;		/* == v.run */
};

struct vm_slot {
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
	bool owned;			/* mmap'ed by us: unmapped by vm_free */
};

struct vm {
	struct vessel_sys sys;
	struct vessel_vm v;
	int fd;				/* == v.fd; -1 once closed */
	uint8_t *mem;			/* slot 0 */
	uint64_t mem_size;
	uint64_t alloc_next;		/* vm_alloc() */
	struct vm_slot slots[VM_MAX_SLOTS];
	struct vcpu *vcpus[VM_MAX_VCPUS];
	struct vessel_pagetable pt;
	uint64_t xcr0;			/* what new vCPUs get */
	bool has_xsave;
	uint32_t pv_provider;		/* VESSEL_PV_*, kept by vm_restart() */
	uint32_t pv_version;
};

/*
 * A VM in the layout above, with @nr_vcpus vCPUs (ids 0..) in 64-bit mode at
 * @guest_code(id).  @mem_size 0 means VM_DEFAULT_MEM.
 */
struct vm *vm_create(unsigned int nr_vcpus, uint64_t mem_size,
		     void *guest_code);
/* VESSEL_VM_* flags for the VMs created from now on (default 0). */
extern uint32_t vm_create_flags;
struct vm *vm_create_with_one_vcpu(struct vcpu **vcpu, void *guest_code);
/* vm_create() with paravirtual provider @provider (VESSEL_PV_*), @version. */
struct vm *vm_create_pv(unsigned int nr_vcpus, uint32_t provider,
			uint32_t version, void *guest_code);
/* Only the VM and (if @mem_size) slot 0 of fresh memory: no tables, no image. */
struct vm *vm_create_barebones(uint64_t mem_size);
/* Closes every vCPU, the VM and the device; unmaps the memory we mapped. */
void vm_free(struct vm *vm);
/*
 * state_test's "destroy and recreate": close every vCPU and the VM, create
 * a new VM and register the same memory (contents kept).  vCPUs are then
 * made with vm_vcpu_add_raw() and loaded with vcpu_state_set().
 */
void vm_restart(struct vm *vm);

/* A vCPU in the architectural reset state (as VESSEL_CREATE_VCPU makes it). */
struct vcpu *vm_vcpu_add_raw(struct vm *vm, uint32_t id);
/* A vCPU in 64-bit mode at @guest_code, RDI = @id, on its own stack. */
struct vcpu *vm_vcpu_add(struct vm *vm, uint32_t id, void *guest_code);

/* Register a further slot; @hva NULL maps fresh anonymous memory. */
void *vm_mem_add(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		 uint64_t size, void *hva);
/* Page-aligned memory from the free area (slot 0); returns its GPA (== GVA). */
uint64_t vm_alloc(struct vm *vm, uint64_t size);

/* Host pointer to guest-physical @gpa in any slot; fails the test if none. */
void *addr_gpa2hva(struct vm *vm, uint64_t gpa);
#define addr_gva2hva(vm, gva)	addr_gpa2hva(vm, (uint64_t)(uintptr_t)(gva))

#define sync_global_to_guest(vm, g) \
	memcpy(addr_gva2hva(vm, &(g)), &(g), sizeof(g))
#define sync_global_from_guest(vm, g) \
	memcpy(&(g), addr_gva2hva(vm, &(g)), sizeof(g))
/* Write or read one guest copy of a global without touching the host's. */
#define guest_global(vm, g)	(*(__typeof__(g) *)addr_gva2hva(vm, &(g)))

/* The raw ioctl result, for negative tests: 0/value, or -1 with errno. */
#define __vm_ioctl(vm, cmd, arg)	ioctl((vm)->fd, cmd, arg)
#define __vcpu_ioctl(vcpu, cmd, arg)	ioctl((vcpu)->fd, cmd, arg)

int __ioctl_assert(int ret, const char *name, const char *file, int line);
/* Asserting forms: the test fails naming the ioctl and errno. */
#define vm_ioctl(vm, cmd, arg) \
	__ioctl_assert(__vm_ioctl(vm, cmd, arg), #cmd, __FILE__, __LINE__)
#define vcpu_ioctl(vcpu, cmd, arg) \
	__ioctl_assert(__vcpu_ioctl(vcpu, cmd, arg), #cmd, __FILE__, __LINE__)

/* VESSEL_RUN: raw, and asserting that it returned 0. */
#define __vcpu_run(vcpu)	__vcpu_ioctl(vcpu, VESSEL_RUN, 0)
void vcpu_run(struct vcpu *vcpu);

void vcpu_state_get(struct vcpu *vcpu, struct vessel_vcpu_state *s,
		    uint64_t parts);
void vcpu_state_set(struct vcpu *vcpu, struct vessel_vcpu_state *s,
		    uint64_t parts);
/* Set up to 6 integer arguments of guest_code (RDI, RSI, RDX, RCX, R8, R9). */
void vcpu_args_set(struct vcpu *vcpu, unsigned int n, ...);
void vcpu_inject(struct vcpu *vcpu, uint32_t type, uint32_t vector,
		 uint32_t flags, uint32_t error_code, uint64_t payload);

/* Entry @function/@index of the VM's CPUID table, or NULL. */
struct vessel_cpuid_entry *cpuid_find(struct vessel_cpuid_entry *e,
				      uint32_t nr, uint32_t function,
				      uint32_t index);
/* The VM's table into @e (room for VESSEL_MAX_CPUID_ENTRIES); returns nr. */
uint32_t vm_cpuid_get(struct vm *vm, struct vessel_cpuid_entry *e);
uint64_t vm_module_tsc_khz(void);

/* Fail unless the last exit was @reason; says why (guest assert, ...). */
void __assert_exit_reason(struct vcpu *vcpu, uint32_t reason,
			  const char *file, int line);
#define TEST_ASSERT_EXIT_REASON(vcpu, reason) \
	__assert_exit_reason(vcpu, reason, __FILE__, __LINE__)

/* An I/O exit on @port of @size bytes, @direction, one element. */
void __assert_io_exit(struct vcpu *vcpu, uint16_t port, uint8_t size,
		      uint8_t direction, const char *file, int line);
#define TEST_ASSERT_IO_EXIT(vcpu, port, size, dir) \
	__assert_io_exit(vcpu, port, size, dir, __FILE__, __LINE__)
/* Pointer to the data of the current I/O exit in the run page. */
static inline void *vcpu_io_data(struct vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

/* /dev/vessel's capabilities, for skip decisions before making a VM. */
int vessel_caps_read(struct vessel_caps *caps);

#endif /* SELFTEST_VESSEL_UTIL_H */
