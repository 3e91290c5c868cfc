/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Vessel: the ioctl ABI of /dev/vessel.
 *
 * Conventions (Documentation/api.rst has the full text):
 *  - only fixed-width __u types, user pointers as __u64, no enums, bitfields
 *    or implicit padding; every layout is asserted in the module and in the
 *    selftests;
 *  - every non-trivial struct carries a flags word and a reserved tail that
 *    the kernel checks is zero; unknown flag bits give EINVAL;
 *  - structs grow by carving fields out of the reserved tail behind a new
 *    flag or capability bit, or by a new ioctl number, never by overloading.
 */
#ifndef _UAPI_VESSEL_H
#define _UAPI_VESSEL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Bumped only for incompatible changes.  Userspace refuses a module whose
 * version is older than the one it needs, rather than demanding equality.
 */
#define VESSEL_API_VERSION	1

/* Registered in no table yet; free in ioctl-number.rst (6.1). */
#define VESSEL_IO		0xB8

/* Capability bits of vessel_caps.flags. */
#define VESSEL_CAP_EPT			(1ULL << 0)	/* always set */
#define VESSEL_CAP_UNRESTRICTED_GUEST	(1ULL << 1)	/* always set */
#define VESSEL_CAP_VPID			(1ULL << 2)
#define VESSEL_CAP_EPT_AD		(1ULL << 3)
#define VESSEL_CAP_EPT_2M		(1ULL << 4)
#define VESSEL_CAP_EPT_1G		(1ULL << 5)
#define VESSEL_CAP_TPR_SHADOW		(1ULL << 6)
#define VESSEL_CAP_APIC_ACCESS		(1ULL << 7)
#define VESSEL_CAP_X2APIC_VIRT		(1ULL << 8)
#define VESSEL_CAP_PREEMPTION_TIMER	(1ULL << 9)
#define VESSEL_CAP_XSAVES		(1ULL << 10)
#define VESSEL_CAP_RDTSCP		(1ULL << 11)
#define VESSEL_CAP_INVPCID		(1ULL << 12)
#define VESSEL_CAP_TSC_SCALING		(1ULL << 13)
#define VESSEL_CAP_PML			(1ULL << 14)
#define VESSEL_CAP_SHADOW_VMCS		(1ULL << 15)
#define VESSEL_CAP_MSR_BITMAP		(1ULL << 16)
/* In-kernel local APIC (VESSEL_VM_LAPIC), its timer, IPIs, MSIs, HLT. */
#define VESSEL_CAP_LAPIC		(1ULL << 17)
/* vessel_run.flags carries VESSEL_RUN_PENDING. */
#define VESSEL_CAP_RUN_PENDING		(1ULL << 18)
/* Paravirtual providers VESSEL_CREATE_VM accepts (bits 24-31). */
#define VESSEL_CAP_PV_MINIMAL		(1ULL << 24)
#define VESSEL_CAP_PV_KVM		(1ULL << 25)
#define VESSEL_CAP_PV_HYPERV		(1ULL << 26)

/**
 * struct vessel_caps - what this module and this host can do
 * @api_version:	VESSEL_API_VERSION of the module
 * @flags:		VESSEL_CAP_* bits
 * @vmcs_revision:	from IA32_VMX_BASIC, for diagnostics
 * @nr_cpus:		host CPUs on which VMX was verified at load
 * @max_vcpus:		vCPUs per VM
 * @max_mem_slots:	memory slots per VM
 * @max_mem_bytes:	guest memory bytes per VM, all slots together
 * @vmx_basic:		raw IA32_VMX_BASIC
 * @vmx_pinbased:	raw IA32_VMX_TRUE_PINBASED_CTLS (or the non-true MSR)
 * @vmx_procbased:	raw IA32_VMX_TRUE_PROCBASED_CTLS
 * @vmx_procbased2:	raw IA32_VMX_PROCBASED_CTLS2
 * @vmx_exit:		raw IA32_VMX_TRUE_EXIT_CTLS
 * @vmx_entry:		raw IA32_VMX_TRUE_ENTRY_CTLS
 * @vmx_misc:		raw IA32_VMX_MISC
 * @vmx_ept_vpid:	raw IA32_VMX_EPT_VPID_CAP
 * @reserved:		zero
 */
struct vessel_caps {
	__u32 api_version;
	__u32 vmcs_revision;
	__u64 flags;
	__u32 nr_cpus;
	__u32 max_vcpus;
	__u32 max_mem_slots;
	__u32 pad0;
	__u64 max_mem_bytes;
	__u64 vmx_basic;
	__u64 vmx_pinbased;
	__u64 vmx_procbased;
	__u64 vmx_procbased2;
	__u64 vmx_exit;
	__u64 vmx_entry;
	__u64 vmx_misc;
	__u64 vmx_ept_vpid;
	__u64 reserved[19];
};

/* ---------------------------------------------------------------- VMs */

/*
 * vessel_vm_create.flags: a local APIC per vCPU in the kernel (xAPIC and
 * x2APIC, timer, IPIs, in-kernel HLT; application processors start in
 * wait-for-SIPI).  Needs VESSEL_CAP_LAPIC.
 */
#define VESSEL_VM_LAPIC		(1U << 0)

/* Paravirtual interface providers, vessel_vm_create.pv_provider. */
#define VESSEL_PV_NONE		0
#define VESSEL_PV_MINIMAL	1
#define VESSEL_PV_HYPERV	2
#define VESSEL_PV_KVM		3

/**
 * struct vessel_vm_create - argument of VESSEL_CREATE_VM
 * @flags:	VESSEL_VM_*
 * @reserved0:	zero
 * @pv_provider: VESSEL_PV_*, fixed for the VM's life
 * @pv_version:	interface version of the provider; 0 = the newest.  The
 *		version chosen is read back with VESSEL_PV_GET_INFO.
 * @reserved:	zero
 */
struct vessel_vm_create {
	__u32 flags;
	__u32 reserved0;
	__u32 pv_provider;
	__u32 pv_version;
	__u64 reserved[6];
};

#define VESSEL_MEM_READONLY	(1U << 0)

/**
 * struct vessel_memory_region - argument of VESSEL_SET_MEMORY_REGION
 * @slot:		0 .. max_mem_slots - 1
 * @flags:		VESSEL_MEM_*
 * @guest_phys_addr:	page aligned
 * @size:		page aligned; 0 deletes the slot
 * @userspace_addr:	page aligned; memory of the calling process
 * @reserved:		zero
 */
struct vessel_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 size;
	__u64 userspace_addr;
	__u64 reserved[4];
};

#define VESSEL_CPUID_SIGNIFICANT_INDEX	(1U << 0)

struct vessel_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;		/* VESSEL_CPUID_* */
	__u32 eax;
	__u32 ebx;
	__u32 ecx;
	__u32 edx;
	__u32 reserved;
};

/**
 * struct vessel_cpuid - argument of VESSEL_SET_CPUID and VESSEL_GET_CPUID
 * @nr:		entries at @entries (GET: in, room; out, used)
 * @flags:	must be 0
 * @entries:	user pointer to struct vessel_cpuid_entry[@nr]
 * @reserved:	zero
 */
struct vessel_cpuid {
	__u32 nr;
	__u32 flags;
	__u64 entries;
	__u64 reserved[2];
};

#define VESSEL_MAX_CPUID_ENTRIES	256

/**
 * struct vessel_user_msrs - argument of VESSEL_SET_USER_MSRS
 * @nr:		indices at @indices, at most VESSEL_MAX_USER_MSRS; 0 clears
 * @flags:	must be 0
 * @indices:	user pointer to __u32[@nr]: MSRs whose RDMSR/WRMSR exit to
 *		userspace (VESSEL_EXIT_MSR) instead of raising #GP or being
 *		handled in the kernel.  Only until a vCPU of the VM
 *		first runs (EBUSY after).
 * @reserved:	zero
 */
struct vessel_user_msrs {
	__u32 nr;
	__u32 flags;
	__u64 indices;
	__u64 reserved[2];
};

#define VESSEL_MAX_USER_MSRS	64

/* Indices of vessel_counters.user_exits are VESSEL_EXIT_* values. */
#define VESSEL_NR_VMX_EXIT_REASONS	80
#define VESSEL_NR_USER_EXITS		16

/**
 * struct vessel_counters - VESSEL_GET_COUNTERS, on a VM fd (sum over its
 * vCPUs, including those already closed) or on a vCPU fd
 * @flags:		must be 0
 * @runs:		VESSEL_RUN calls
 * @entries:		VM entries
 * @vmx_exits:		VM exits by basic exit reason (SDM Appendix C)
 * @user_exits:		returns to userspace by VESSEL_EXIT_* reason
 * @injected:		events injected: [0] interrupts, [1] NMIs,
 *			[2] exceptions, [3] re-injections of an event whose
 *			delivery a VM exit interrupted
 * @reserved:		zero
 */
struct vessel_counters {
	__u32 flags;
	__u32 reserved0;
	__u64 runs;
	__u64 entries;
	__u64 vmx_exits[VESSEL_NR_VMX_EXIT_REASONS];
	__u64 user_exits[VESSEL_NR_USER_EXITS];
	__u64 injected[4];
	__u64 tlb_flushes;	/* guest TLB flushed before an entry */
	__u64 reserved[24];
};

/* ------------------------------------------------------------- vCPUs */

/* VESSEL_RUN: why it returned, in vessel_run.exit_reason. */
#define VESSEL_EXIT_NONE		0
#define VESSEL_EXIT_IO			1
#define VESSEL_EXIT_MMIO		2
#define VESSEL_EXIT_HLT			3
#define VESSEL_EXIT_SHUTDOWN		4	/* triple fault */
#define VESSEL_EXIT_MSR			5
#define VESSEL_EXIT_INTR		6	/* signal, kick, immediate_exit */
#define VESSEL_EXIT_INTERNAL_ERROR	7
#define VESSEL_EXIT_EOI			8	/* EOI of a level-triggered vector */
/* Paravirtual providers (12-15): vessel_run.paravirt says more. */
#define VESSEL_EXIT_PV_RESET		12	/* the guest asked for a reset */
#define VESSEL_EXIT_PV_CRASH		13	/* the guest reported a crash */
#define VESSEL_EXIT_PV_DEBUG		14	/* synthetic debugger I/O */

/*
 * vessel_run.internal.suberror, and what internal.data holds:
 * ENTRY_FAILED		[0] exit reason (bit 31 set), or 0 when VMLAUNCH or
 *			VMRESUME failed; [1] exit qualification, or the
 *			VM-instruction error
 * UNEXPECTED_EXIT	[0] exit reason, [1] exit qualification
 * EMULATION		[0] guest-physical address, [1] RIP, [2..3] the
 *			instruction bytes that could not be emulated
 * MEMORY_FAULT		[0] guest-physical address whose backing memory in
 *			the VMM cannot be used (unmapped or protected)
 */
#define VESSEL_INTERNAL_ENTRY_FAILED	1
#define VESSEL_INTERNAL_UNEXPECTED_EXIT	2
#define VESSEL_INTERNAL_EMULATION	3
#define VESSEL_INTERNAL_MEMORY_FAULT	4

#define VESSEL_IO_IN		0
#define VESSEL_IO_OUT		1
#define VESSEL_IO_STRING	(1U << 0)
#define VESSEL_IO_REP		(1U << 1)

/*
 * vessel_run.flags: the exit VESSEL_RUN returned leaves an instruction half
 * done, which the next VESSEL_RUN completes (with the IN, MMIO-read or
 * RDMSR data userspace filled in) before anything else.  Clear: the vCPU
 * is at an instruction boundary, and its state is what the guest would
 * see next.
 */
#define VESSEL_RUN_PENDING	(1U << 0)

/* Where string and REP I/O data lives in the run page. */
#define VESSEL_RUN_DATA_OFFSET	1024
#define VESSEL_RUN_DATA_SIZE	3072

/**
 * struct vessel_run - the page mmap'ed from a vCPU fd at offset 0
 * @immediate_exit:	in: non-zero makes VESSEL_RUN return -EINTR
 *			(VESSEL_EXIT_INTR) before entering the guest
 * @exit_reason:	out: VESSEL_EXIT_*
 * @flags:		out: VESSEL_RUN_* (VESSEL_CAP_RUN_PENDING)
 * @io:			VESSEL_EXIT_IO.  @count elements of @size bytes at
 *			@data_offset in this page: OUT data to consume, or IN
 *			data to fill before the next VESSEL_RUN, which
 *			completes the instruction.
 * @mmio:		VESSEL_EXIT_MMIO.  A write carries @data; for a read,
 *			fill @data before the next VESSEL_RUN.
 * @msr:		VESSEL_EXIT_MSR.  For RDMSR fill @data; set @error to
 *			make the instruction raise #GP instead.
 * @internal:		VESSEL_EXIT_INTERNAL_ERROR.
 * @eoi:		VESSEL_EXIT_EOI.  The guest's in-kernel APIC ended
 *			the level-triggered interrupt @vector (its TMR bit
 *			was set): a userspace IOAPIC clears Remote IRR.
 *			The EOI is complete; just call VESSEL_RUN again.
 * @paravirt:		VESSEL_EXIT_PV_*.  @data holds @ndata values (see
 *			Documentation/paravirt.rst per exit and provider);
 *			@ret is the result the guest sees on the next
 *			VESSEL_RUN where the exit completes an instruction
 *			that returns one (VESSEL_EXIT_PV_DEBUG).
 */
struct vessel_run {
	__u8 immediate_exit;
	__u8 pad0[3];
	__u32 exit_reason;
	__u32 flags;
	__u32 pad1;
	__u64 reserved[6];
	union {
		struct {
			__u8 direction;
			__u8 size;
			__u8 flags;
			__u8 pad;
			__u16 port;
			__u16 pad2;
			__u32 count;
			__u32 data_offset;
		} io;
		struct {
			__u64 gpa;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		struct {
			__u32 index;
			__u8 is_write;
			__u8 error;
			__u16 pad;
			__u64 data;
		} msr;
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		struct {
			__u8 vector;
			__u8 pad[7];
		} eoi;
		struct {
			__u32 provider;
			__u32 ndata;
			__u64 ret;
			__u64 data[8];
		} paravirt;
		__u8 padding[256];
	};
};

/* Parts of struct vessel_vcpu_state, in vessel_vcpu_state.flags. */
#define VESSEL_STATE_GPRS	(1ULL << 0)
#define VESSEL_STATE_SEGS	(1ULL << 1)
#define VESSEL_STATE_CRS	(1ULL << 2)
#define VESSEL_STATE_DRS	(1ULL << 3)
#define VESSEL_STATE_MSRS	(1ULL << 4)
#define VESSEL_STATE_FPU	(1ULL << 5)
#define VESSEL_STATE_EVENTS	(1ULL << 6)
#define VESSEL_STATE_ALL	((1ULL << 7) - 1)

/* Indices of vessel_gprs.regs (the hardware's register numbering). */
#define VESSEL_GPR_RAX		0
#define VESSEL_GPR_RCX		1
#define VESSEL_GPR_RDX		2
#define VESSEL_GPR_RBX		3
#define VESSEL_GPR_RSP		4
#define VESSEL_GPR_RBP		5
#define VESSEL_GPR_RSI		6
#define VESSEL_GPR_RDI		7
#define VESSEL_GPR_R8		8
#define VESSEL_GPR_R15		15
#define VESSEL_NR_GPRS		16

struct vessel_gprs {
	__u64 regs[VESSEL_NR_GPRS];
	__u64 rip;
	__u64 rflags;
};

/*
 * A segment register.  @attrib is the VMX access-rights format (type, S,
 * DPL, P, AVL, L, D/B, G); a segment with P clear is unusable.
 */
struct vessel_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 attrib;
};

struct vessel_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

/* Indices of vessel_segs.seg: the VMCS order. */
#define VESSEL_SEG_ES		0
#define VESSEL_SEG_CS		1
#define VESSEL_SEG_SS		2
#define VESSEL_SEG_DS		3
#define VESSEL_SEG_FS		4
#define VESSEL_SEG_GS		5
#define VESSEL_SEG_LDTR		6
#define VESSEL_SEG_TR		7
#define VESSEL_NR_SEGS		8

struct vessel_segs {
	struct vessel_segment seg[VESSEL_NR_SEGS];
	struct vessel_dtable gdt;
	struct vessel_dtable idt;
};

struct vessel_crs {
	__u64 cr0;
	__u64 cr2;
	__u64 cr3;
	__u64 cr4;
	__u64 cr8;
	__u64 efer;
	__u64 xcr0;
	__u64 reserved;
};

struct vessel_drs {
	__u64 dr[4];
	__u64 dr6;
	__u64 dr7;
	__u64 reserved[2];
};

/* Indices of vessel_vcpu_state.msrs. */
#define VESSEL_MSR_SYSENTER_CS		0
#define VESSEL_MSR_SYSENTER_ESP		1
#define VESSEL_MSR_SYSENTER_EIP		2
#define VESSEL_MSR_STAR			3
#define VESSEL_MSR_LSTAR		4
#define VESSEL_MSR_CSTAR		5
#define VESSEL_MSR_SFMASK		6
#define VESSEL_MSR_KERNEL_GS_BASE	7
#define VESSEL_MSR_PAT			8
#define VESSEL_MSR_TSC			9
#define VESSEL_MSR_TSC_AUX		10
#define VESSEL_MSR_MISC_ENABLE		11
#define VESSEL_MSR_TSC_ADJUST		12
#define VESSEL_NR_MSRS			13
#define VESSEL_MSR_SLOTS		32

/* vessel_events.flags */
#define VESSEL_EV_EXCEPTION_PENDING	(1U << 0)
#define VESSEL_EV_EXCEPTION_HAS_ERROR	(1U << 1)
#define VESSEL_EV_EXCEPTION_HAS_PAYLOAD	(1U << 2)
#define VESSEL_EV_NMI_PENDING		(1U << 3)
#define VESSEL_EV_IRQ_PENDING		(1U << 4)

/* vessel_events.interruptibility: the VMX guest interruptibility bits. */
#define VESSEL_INTR_STI			(1U << 0)
#define VESSEL_INTR_MOV_SS		(1U << 1)
#define VESSEL_INTR_NMI			(1U << 3)

/* vessel_events.activity */
#define VESSEL_ACTIVITY_ACTIVE		0
#define VESSEL_ACTIVITY_HLT		1

/**
 * struct vessel_events - events not yet delivered, and what blocks them
 * @flags:		VESSEL_EV_*
 * @interruptibility:	VESSEL_INTR_*
 * @activity:		VESSEL_ACTIVITY_*
 * @exception_vector:	with VESSEL_EV_EXCEPTION_PENDING
 * @irq_vector:		with VESSEL_EV_IRQ_PENDING
 * @exception_error_code: with VESSEL_EV_EXCEPTION_HAS_ERROR
 * @exception_payload:	CR2 of a #PF, DR6 bits of a #DB, with
 *			VESSEL_EV_EXCEPTION_HAS_PAYLOAD
 * @injected_info:	an event whose delivery a VM exit interrupted, in the
 *			VMX IDT-vectoring information format (bit 31 valid);
 *			it is delivered again on the next entry (bit 11,
 *			deliver error code, set by the module where the mode
 *			at delivery wants it)
 * @injected_error_code: its error code
 * @injected_insn_len:	its instruction length (software interrupts)
 */
struct vessel_events {
	__u32 flags;
	__u32 interruptibility;
	__u32 activity;
	__u8 exception_vector;
	__u8 irq_vector;
	__u16 pad0;
	__u32 exception_error_code;
	__u32 pad1;
	__u64 exception_payload;
	__u32 injected_info;
	__u32 injected_error_code;
	__u32 injected_insn_len;
	__u32 pad2;
	__u64 reserved[4];
};

/* The XSAVE area, standard (non-compacted) format. */
struct vessel_fpu {
	__u8 xsave[4096];
};

/**
 * struct vessel_vcpu_state - VESSEL_GET_STATE / VESSEL_SET_STATE
 * @flags:	VESSEL_STATE_* parts to get or set; others are untouched
 *		(GET leaves them as they were in the caller's buffer)
 */
struct vessel_vcpu_state {
	__u64 flags;
	__u64 reserved0[7];
	struct vessel_gprs gprs;
	struct vessel_segs segs;
	struct vessel_crs crs;
	struct vessel_drs drs;
	__u64 msrs[VESSEL_MSR_SLOTS];
	struct vessel_events events;
	__u64 reserved1[24];
	struct vessel_fpu fpu;
};

/* vessel_event.type */
#define VESSEL_EVENT_IRQ	0
#define VESSEL_EVENT_NMI	1
#define VESSEL_EVENT_EXCEPTION	2

#define VESSEL_EVENT_HAS_ERROR_CODE	(1U << 0)
#define VESSEL_EVENT_HAS_PAYLOAD	(1U << 1)

/**
 * struct vessel_event - VESSEL_INJECT: queue an event for the guest
 * @type:	VESSEL_EVENT_*
 * @vector:	IRQ: 16..255, delivered once the guest is interruptible;
 *		EXCEPTION: 0..31 except 2
 * @flags:	VESSEL_EVENT_HAS_*
 * @error_code:	exceptions that push one (#DF, #TS, #NP, #SS, #GP, #PF,
 *		#AC, #CP) must have it, others must not
 * @payload:	CR2 for #PF, DR6 for #DB
 */
struct vessel_event {
	__u32 type;
	__u32 vector;
	__u32 flags;
	__u32 error_code;
	__u64 payload;
	__u64 reserved[5];
};

/**
 * struct vessel_msi - VESSEL_SIGNAL_MSI: a message-signalled interrupt
 * @address:	x86 MSI address: 0xFEE in bits 31:20, destination APIC ID in
 *		19:12, redirection hint in bit 3, destination mode in bit 2
 *		(1 = logical); bits 63:32 must be 0
 * @data:	vector in bits 7:0, delivery mode in 10:8 (fixed, lowest
 *		priority, SMI, NMI, INIT, ExtINT), level in bit 14, trigger
 *		mode in bit 15 (1 = level); bits 31:16 must be 0
 * @flags:	must be 0
 * @reserved:	zero
 */
struct vessel_msi {
	__u64 address;
	__u32 data;
	__u32 flags;
	__u64 reserved[2];
};

/**
 * struct vessel_lapic_info - VESSEL_GET_LAPIC_INFO: clocks of the in-kernel
 * APIC, for firmware tables and paravirtual clock/timer leaves
 * @flags:	must be 0
 * @timer_hz:	APIC timer input clock (the bus clock before the divider)
 * @tsc_hz:	guest TSC frequency (TSC-deadline mode counts it)
 * @reserved:	zero
 */
struct vessel_lapic_info {
	__u32 flags;
	__u32 reserved0;
	__u64 timer_hz;
	__u64 tsc_hz;
	__u64 reserved[5];
};

/* Bytes of APIC registers in struct vessel_lapic_state (xAPIC layout). */
#define VESSEL_LAPIC_REGS_SIZE	1024
/*
 * The longest a one-shot or periodic count can run: 2^32-1 ticks of the
 * 1 GHz timer clock at divide-by-128 (about 550 s).  A larger timer_ns is
 * refused (VESSEL_SET_LAPIC).
 */
#define VESSEL_LAPIC_MAX_TIMER_NS	(0xffffffffULL * 128)

/**
 * struct vessel_lapic_state - VESSEL_GET_LAPIC / VESSEL_SET_LAPIC
 * @flags:	must be 0
 * @apic_base:	IA32_APIC_BASE
 * @tsc_deadline: IA32_TSC_DEADLINE (guest TSC), 0 when not armed
 * @timer_ns:	one-shot or periodic timer: nanoseconds to its next expiry,
 *		0 when it is not running; at most VESSEL_LAPIC_MAX_TIMER_NS
 * @extint:	ExtINT vectors the APIC passed on (LINT0 in ExtINT mode, or
 *		hardware-disabled) that the CPU has not taken yet: bit n of
 *		word n / 64 for vector n
 * @reserved:	zero
 * @regs:	the registers at their xAPIC offsets (0x20 ID ... 0x3e0
 *		divide configuration); in x2APIC mode too
 */
struct vessel_lapic_state {
	__u32 flags;
	__u32 reserved0;
	__u64 apic_base;
	__u64 tsc_deadline;
	__u64 timer_ns;
	__u64 extint[4];
	__u64 reserved[8];
	__u8 regs[VESSEL_LAPIC_REGS_SIZE];
};

/* vessel_mp_state.mp_state */
#define VESSEL_MP_STATE_RUNNABLE	0
#define VESSEL_MP_STATE_HALTED		1	/* HLT: waits for an interrupt */
#define VESSEL_MP_STATE_WAIT_SIPI	2	/* after INIT: waits for a SIPI */

/**
 * struct vessel_mp_state - VESSEL_GET_MP_STATE / VESSEL_SET_MP_STATE
 * @mp_state:	VESSEL_MP_STATE_*
 * @flags:	must be 0
 * @reserved:	zero
 */
struct vessel_mp_state {
	__u32 mp_state;
	__u32 flags;
	__u64 reserved[3];
};

/*
 * Number ranges, so that work in flight does not collide:
 *   VM ioctls 0x10-0x1f (0x16- in-kernel interrupts), 0x30-0x37 paravirt;
 *   vCPU ioctls 0x20-0x2f (0x25- in-kernel interrupts), 0x38-0x3f paravirt;
 *   VESSEL_CAP_* bits 17-23 in-kernel interrupts, 24-31 paravirt;
 *   VESSEL_EXIT_* 8-11 in-kernel interrupts, 12-15 paravirt.
 */

/* System ioctls, on the /dev/vessel fd. */
#define VESSEL_GET_API_VERSION	_IO(VESSEL_IO, 0x00)
#define VESSEL_GET_CAPS		_IOR(VESSEL_IO, 0x01, struct vessel_caps)
#define VESSEL_CREATE_VM	_IOW(VESSEL_IO, 0x02, struct vessel_vm_create)

/* VM ioctls, on a VM fd. */
#define VESSEL_SET_MEMORY_REGION _IOW(VESSEL_IO, 0x10, struct vessel_memory_region)
#define VESSEL_CREATE_VCPU	_IO(VESSEL_IO, 0x11)
#define VESSEL_SET_CPUID	_IOW(VESSEL_IO, 0x12, struct vessel_cpuid)
#define VESSEL_GET_CPUID	_IOWR(VESSEL_IO, 0x13, struct vessel_cpuid)
#define VESSEL_SET_USER_MSRS	_IOW(VESSEL_IO, 0x14, struct vessel_user_msrs)
#define VESSEL_GET_COUNTERS	_IOWR(VESSEL_IO, 0x15, struct vessel_counters)
#define VESSEL_SIGNAL_MSI	_IOW(VESSEL_IO, 0x16, struct vessel_msi)
#define VESSEL_GET_LAPIC_INFO	_IOWR(VESSEL_IO, 0x17, struct vessel_lapic_info)

/* vCPU ioctls, on a vCPU fd (VESSEL_GET_COUNTERS too). */
#define VESSEL_RUN		_IO(VESSEL_IO, 0x20)
#define VESSEL_GET_STATE	_IOWR(VESSEL_IO, 0x21, struct vessel_vcpu_state)
#define VESSEL_SET_STATE	_IOW(VESSEL_IO, 0x22, struct vessel_vcpu_state)
#define VESSEL_INJECT		_IOW(VESSEL_IO, 0x23, struct vessel_event)
#define VESSEL_KICK		_IO(VESSEL_IO, 0x24)
#define VESSEL_GET_LAPIC	_IOWR(VESSEL_IO, 0x25, struct vessel_lapic_state)
#define VESSEL_SET_LAPIC	_IOW(VESSEL_IO, 0x26, struct vessel_lapic_state)
#define VESSEL_GET_MP_STATE	_IOWR(VESSEL_IO, 0x27, struct vessel_mp_state)
#define VESSEL_SET_MP_STATE	_IOW(VESSEL_IO, 0x28, struct vessel_mp_state)

/* ------------------------------------------------------------ paravirt */

/**
 * struct vessel_pv_info - VESSEL_PV_GET_INFO: the VM's provider
 * @flags:	must be 0
 * @provider:	out: VESSEL_PV_*
 * @version:	out: the interface version in use (never 0)
 * @newest:	out: the newest version of that provider this module has
 * @reserved:	zero on input
 */
struct vessel_pv_info {
	__u32 flags;
	__u32 provider;
	__u32 version;
	__u32 newest;
	__u64 reserved[6];
};

/* vessel_pv_state.flags */
#define VESSEL_PV_STATE_RESET	(1U << 0)	/* SET: back to power-on */

/*
 * Provider state, per VM (VESSEL_PV_GET_VM_STATE) and per vCPU
 * (VESSEL_PV_GET_VCPU_STATE).  Values are the guest-visible ones, so that a
 * VM restored on another host sees the same MSRs; clocks are re-derived
 * from the guest TSC on the next entry.
 */
struct vessel_pv_kvm_vm_state {
	__u64 clock_tsc;	/* guest TSC at which kvmclock read ... */
	__u64 clock_ns;		/* ... this many nanoseconds */
	__u64 wall_clock_msr;	/* last MSR_KVM_WALL_CLOCK(_NEW) write */
	__u64 reserved[5];
};

struct vessel_pv_kvm_vcpu_state {
	__u64 system_time_msr;	/* MSR_KVM_SYSTEM_TIME(_NEW) */
	__u64 steal_time_msr;	/* MSR_KVM_STEAL_TIME */
	__u64 poll_control_msr;	/* MSR_KVM_POLL_CONTROL */
	__u64 steal_ns;		/* steal time reported so far */
	__u64 pv_eoi_msr;	/* MSR_KVM_PV_EOI_EN (VMs with VESSEL_VM_LAPIC) */
	__u64 flags;		/* VESSEL_PV_KVM_* below */
	__u64 reserved[2];
};

/*
 * A KVM_HC_KICK_CPU the vCPU has not used up yet: its next HLT returns at
 * once (VMs with VESSEL_VM_LAPIC).  A vCPU halted when kicked is not
 * flagged: VESSEL_GET_MP_STATE already calls it runnable.
 */
#define VESSEL_PV_KVM_PV_UNHALT	(1ULL << 0)

struct vessel_pv_hv_vm_state {
	__u64 guest_os_id;	/* HV_X64_MSR_GUEST_OS_ID */
	__u64 hypercall;	/* HV_X64_MSR_HYPERCALL */
	__u64 reference_tsc;	/* HV_X64_MSR_REFERENCE_TSC */
	__u64 clock_tsc;	/* guest TSC at which TIME_REF_COUNT read ... */
	__u64 clock_ref;	/* ... this many 100 ns units */
	__u64 crash[5];		/* HV_X64_MSR_CRASH_P0..P4 */
	__u64 crash_ctl;	/* HV_X64_MSR_CRASH_CTL */
	__u64 reserved[5];
};

/*
 * The SynIC and synthetic timers (in-kernel APIC only; zero otherwise).
 * @stimer_exp is the reference time (100 ns) of a timer's next expiry,
 * 0 when it is not running; bit n of @stimer_pending: timer n expired and
 * its message waits for a free slot.  Set the VM's state first: timers
 * are re-armed against its reference time.
 */
struct vessel_pv_hv_vcpu_state {
	__u64 vp_runtime;	/* HV_X64_MSR_VP_RUNTIME, 100 ns units */
	__u64 vp_assist;	/* HV_X64_MSR_VP_ASSIST_PAGE */
	__u64 scontrol;
	__u64 siefp;
	__u64 simp;
	__u64 sint[16];
	__u64 stimer_config[4];
	__u64 stimer_count[4];
	__u64 stimer_exp[4];
	__u64 stimer_pending;
	__u64 reserved[6];
};

/**
 * struct vessel_pv_state - provider state get/set
 * @flags:	VESSEL_PV_STATE_*
 * @provider:	GET: out; SET: must be the VM's
 * @version:	GET: out; SET: must be the VM's
 * @reserved:	zero
 * @kvm_vm, @kvm_vcpu, @hv_vm, @hv_vcpu: per provider and object; the
 *		unused rest of @data is zero
 */
struct vessel_pv_state {
	__u32 flags;
	__u32 provider;
	__u32 version;
	__u32 pad0;
	__u64 reserved[2];
	union {
		struct vessel_pv_kvm_vm_state kvm_vm;
		struct vessel_pv_kvm_vcpu_state kvm_vcpu;
		struct vessel_pv_hv_vm_state hv_vm;
		struct vessel_pv_hv_vcpu_state hv_vcpu;
		__u64 data[60];
	};
};

/*
 * Indices of vessel_pv_counters.hypercalls: the call code for codes below
 * VESSEL_PV_HC_EXTENDED; Hyper-V extended calls (0x8001-) and every other
 * code count in the last two slots.
 */
#define VESSEL_PV_NR_HC		128
#define VESSEL_PV_HC_EXTENDED	126
#define VESSEL_PV_HC_OTHER	127

/**
 * struct vessel_pv_counters - VESSEL_PV_GET_COUNTERS (VM: all vCPUs)
 * @flags:	must be 0
 * @provider:	out: VESSEL_PV_*
 * @hypercalls:	hypercalls by code (see above)
 * @msr_reads:	RDMSR of provider MSRs
 * @msr_writes:	WRMSR of provider MSRs
 * @msr_faults:	of those, the ones that raised #GP
 * @clock_updates: kvmclock / TSC page rewrites
 * @user_exits:	VESSEL_EXIT_PV_* returns to userspace
 * @debug_bytes: [0] to the debugger (HvPostDebugData), [1] from it
 * @timer_expirations: synthetic timer expirations delivered (Hyper-V)
 */
struct vessel_pv_counters {
	__u32 flags;
	__u32 provider;
	__u64 hypercalls[VESSEL_PV_NR_HC];
	__u64 msr_reads;
	__u64 msr_writes;
	__u64 msr_faults;
	__u64 clock_updates;
	__u64 user_exits;
	__u64 debug_bytes[2];
	__u64 timer_expirations;
	__u64 reserved[15];
};

#define VESSEL_PV_GET_INFO	_IOWR(VESSEL_IO, 0x30, struct vessel_pv_info)
#define VESSEL_PV_GET_VM_STATE	_IOWR(VESSEL_IO, 0x31, struct vessel_pv_state)
#define VESSEL_PV_SET_VM_STATE	_IOW(VESSEL_IO, 0x32, struct vessel_pv_state)
#define VESSEL_PV_GET_COUNTERS	_IOWR(VESSEL_IO, 0x33, struct vessel_pv_counters)
/*
 * struct vessel_pv_hv_connection - VESSEL_PV_HV_SET_CONNECTION (Hyper-V,
 * in-kernel APIC): route a connection ID of HvPostMessage / HvSignalEvent
 * to a vCPU's SINT in the kernel.  IDs not registered exit to userspace
 * (VESSEL_EXIT_PV_DEBUG with the call code in data[0]).
 * @flags:	VESSEL_PV_HV_CONN_MESSAGE and/or _EVENT to add @conn_id (an
 *		ID already there: EBUSY), or VESSEL_PV_HV_CONN_DELETE alone to
 *		remove it (not there: ENOENT)
 * @conn_id:	the connection ID, 24 bits
 * @vcpu:	the target vCPU id (VP index)
 * @sint:	the target SINT, 0-15
 * @flag_base:	events: the port's first event flag; the guest's flag
 *		number is relative to it
 * @flag_count:	events: the port's number of flags, 1 or more;
 *		@flag_base + @flag_count <= 2048.  Both 0 without _EVENT.
 * @reserved:	zero
 */
struct vessel_pv_hv_connection {
	__u32 flags;
	__u32 conn_id;
	__u32 vcpu;
	__u32 sint;
	__u32 flag_base;
	__u32 flag_count;
	__u64 reserved[5];
};

#define VESSEL_PV_HV_CONN_MESSAGE	(1U << 0)
#define VESSEL_PV_HV_CONN_EVENT		(1U << 1)
#define VESSEL_PV_HV_CONN_DELETE	(1U << 2)
#define VESSEL_PV_HV_MAX_CONNECTIONS	64

#define VESSEL_PV_HV_SET_CONNECTION _IOW(VESSEL_IO, 0x37, struct vessel_pv_hv_connection)
#define VESSEL_PV_GET_VCPU_STATE _IOWR(VESSEL_IO, 0x38, struct vessel_pv_state)
#define VESSEL_PV_SET_VCPU_STATE _IOW(VESSEL_IO, 0x39, struct vessel_pv_state)

/*
 * struct vessel_pv_hv_msg_queue - VESSEL_PV_HV_GET/SET_MSG_QUEUE (Hyper-V):
 * the messages HvPostMessage left waiting behind a busy slot of the vCPU's
 * message page (one per SINT, delivered at the guest's EOM), for
 * save/restore.  Set it after VESSEL_PV_SET_VCPU_STATE, which empties it.
 * @flags:	must be 0
 * @queued:	bit n: @msg[n] waits for SINT n's slot; bits 16-31 zero
 * @reserved:	zero
 * @msg:	each a struct hv_message (TLFS): a 16-byte header (type, not
 *		0; payload size, at most 240; flags; sender) and the
 *		payload; slots not in @queued are zero
 */
struct vessel_pv_hv_msg_queue {
	__u32 flags;
	__u32 queued;
	__u64 reserved[3];
	__u8 msg[16][256];
};

#define VESSEL_PV_HV_GET_MSG_QUEUE _IOWR(VESSEL_IO, 0x3a, struct vessel_pv_hv_msg_queue)
#define VESSEL_PV_HV_SET_MSG_QUEUE _IOW(VESSEL_IO, 0x3b, struct vessel_pv_hv_msg_queue)

#endif /* _UAPI_VESSEL_H */
