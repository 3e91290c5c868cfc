// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: VMCS setup, and which CPU a vCPU's VMCS is current on.
 *
 * Every control is adjusted against its capability MSR: bits the CPU
 * requires (allowed-0 settings, low half) are forced on, bits we want are
 * kept only where the CPU allows them (allowed-1 settings, high half).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include <asm/tsc.h>
#include <asm/trapnr.h>
#include <asm/tlbflush.h>
#include <asm/vmx.h>

#include "irq/lapic.h"
#include "vmx/vmx.h"

atomic_t vessel_vmx_failures = ATOMIC_INIT(0);

/* The VMCS current on each CPU, and every VMCS active there. */
static DEFINE_PER_CPU(struct vessel_vcpu *, current_vcpu_vmcs);
static DEFINE_PER_CPU(struct list_head, loaded_vcpus);

/*
 * A VMX instruction failed: the VMs in use can no longer be trusted (the
 * run loop and the vCPU ioctls see the count move and mark theirs dead).
 * A real failure is a host bug and warned about once; a failure injected
 * by a test (fault_inject.c) takes the same path without the warning.
 */
void __vessel_vmx_insn_failed(const char *insn, unsigned long field,
			      bool injected)
{
	atomic_inc(&vessel_vmx_failures);
	if (injected)
		pr_info_ratelimited("injected %s failure, for a test\n", insn);
	else
		WARN_ONCE(1, "vessel: %s of field %#lx failed\n", insn, field);
}

static u32 vmx_adjust(u64 cap, u32 want)
{
	return (want | (u32)cap) & (u32)(cap >> 32);
}

static int vmx_vmclear(void *vmcs)
{
	u64 pa = __pa(vmcs);

	asm goto("vmclear %[pa]\n\t"
		 "jna %l[fail]"
		 : : [pa] "m"(pa) : "cc", "memory" : fail);
	return 0;
fail:
	vessel_vmx_insn_failed("vmclear", 0);
	return -EIO;
}

static int vmx_vmptrld(void *vmcs)
{
	u64 pa = __pa(vmcs);

	asm goto("vmptrld %[pa]\n\t"
		 "jna %l[fail]"
		 : : [pa] "m"(pa) : "cc", "memory" : fail);
	return 0;
fail:
	vessel_vmx_insn_failed("vmptrld", 0);
	return -EIO;
}

/* VMCLEAR this vCPU's VMCS on the CPU it is active on (that CPU, IRQs off). */
static void vmcs_clear_local(struct vessel_vcpu *vcpu)
{
	int cpu = smp_processor_id();

	if (vcpu->cpu != cpu)
		return;
	vmx_vmclear(vcpu->vmcs);
	if (per_cpu(current_vcpu_vmcs, cpu) == vcpu)
		per_cpu(current_vcpu_vmcs, cpu) = NULL;
	list_del(&vcpu->loaded_link);
	/* Ordered before cpu = -1 so a loader elsewhere sees a clean VMCS. */
	smp_wmb();
	vcpu->launched = false;
	WRITE_ONCE(vcpu->cpu, -1);
}

static void vmcs_clear_ipi(void *arg)
{
	vmcs_clear_local(arg);
}

/* Make the VMCS inactive wherever it is, so it may be loaded elsewhere. */
void vessel_vmcs_clear(struct vessel_vcpu *vcpu)
{
	int cpu = READ_ONCE(vcpu->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmcs_clear_ipi, vcpu, 1);
}

/*
 * Before a CPU leaves VMX operation (offline, reboot, last VM gone) every
 * VMCS active on it is cleared, so its contents reach memory.
 */
void vessel_vmcs_clear_all_local(void)
{
	struct list_head *head = this_cpu_ptr(&loaded_vcpus);
	struct vessel_vcpu *vcpu, *tmp;

	if (!head->next)
		return;
	list_for_each_entry_safe(vcpu, tmp, head, loaded_link)
		vmcs_clear_local(vcpu);
}

/* Per-CPU host state: the TSS, GDT and SYSENTER stack differ by CPU. */
static void vmcs_host_percpu(int cpu)
{
	unsigned long sysenter_esp;

	vmcs_writel(HOST_TR_BASE, (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_writel(HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	vmcs_writel(HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_IA32_SYSENTER_ESP, sysenter_esp);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, sysenter_esp);
}

/**
 * vessel_vmcs_load() - make the vCPU's VMCS current on this CPU
 * @vcpu:	the vCPU
 *
 * Called with preemption disabled.  A VMCS active on another CPU is cleared
 * there first: a VMCS may be active on one CPU only (SDM 25.11.1).
 *
 * Return: 0, or -EIO when VMCLEAR or VMPTRLD failed.
 */
int vessel_vmcs_load(struct vessel_vcpu *vcpu)
{
	int cpu = smp_processor_id();
	unsigned long flags;

	/* A test's injected failure: as if VMPTRLD failed (fault_inject.c). */
	if (vessel_vmx_fault_injected()) {
		__vessel_vmx_insn_failed("vmptrld", 0, true);
		return -EIO;
	}
	if (per_cpu(current_vcpu_vmcs, cpu) == vcpu)
		return 0;
	if (vcpu->cpu != cpu) {
		vessel_vmcs_clear(vcpu);
		/* Pairs with the smp_wmb() in vmcs_clear_local(). */
		smp_rmb();
		local_irq_save(flags);
		if (!this_cpu_ptr(&loaded_vcpus)->next)
			INIT_LIST_HEAD(this_cpu_ptr(&loaded_vcpus));
		list_add(&vcpu->loaded_link, this_cpu_ptr(&loaded_vcpus));
		vcpu->cpu = cpu;
		local_irq_restore(flags);
	}
	if (vmx_vmptrld(vcpu->vmcs))
		return -EIO;
	per_cpu(current_vcpu_vmcs, cpu) = vcpu;
	if (vcpu->host_cpu != cpu) {
		vmcs_host_percpu(cpu);
		vcpu->host_cpu = cpu;
		/* Another CPU may hold stale guest translations for this VPID. */
		vcpu->flush_on_entry = true;
	}
	return 0;
}

/*
 * A backstop for emulators: Bochs 2.7 re-evaluates interrupt masking on VM
 * entry only when RFLAGS.IF changes, before it marks the CPU as in the
 * guest, so a guest entered with IF clear is never interrupted by the
 * host's timer despite external-interrupt exiting.  With this set (the test
 * machine does), the VMX-preemption timer forces an exit after that many
 * microseconds of guest time.  Real hardware needs no such thing.
 */
static unsigned int irq_backstop_us;
module_param(irq_backstop_us, uint, 0444);
MODULE_PARM_DESC(irq_backstop_us,
		 "force a VM exit after this many us in the guest (0: off; for emulators)");

/* The VMX-preemption timer value for irq_backstop_us, or 0 when unused. */
u32 vessel_backstop_ticks __read_mostly;

/*
 * PAUSE-loop exiting (SDM 25.1.3): a guest at CPL 0 whose PAUSEs come at
 * most ple_gap TSC ticks apart exits once the loop has lasted ple_window
 * ticks.  A vCPU spinning on a lock whose holder's thread waits for our
 * host CPU would otherwise keep that CPU until the next tick; the exit
 * yields it (exits.c).  KVM's defaults.  Read when a vCPU is created;
 * set to 0 at load when the CPU has no PAUSE-loop exiting.
 */
static unsigned int ple_gap = 128;
module_param(ple_gap, uint, 0444);
MODULE_PARM_DESC(ple_gap,
		 "PAUSE-loop exiting: most TSC ticks between two PAUSEs of one loop (0: off; default 128)");

static unsigned int ple_window = 4096;
module_param(ple_window, uint, 0444);
MODULE_PARM_DESC(ple_window,
		 "PAUSE-loop exiting: TSC ticks a loop spins before it exits (0: off; default 4096)");

void vessel_vmcs_init(void)
{
	u64 ticks;

	/* Off, so that the parameters say what vCPUs get. */
	if (!ple_gap || !ple_window ||
	    !((vessel_vmx.procbased2 >> 32) & SECONDARY_EXEC_PAUSE_LOOP_EXITING))
		ple_gap = ple_window = 0;
	if (!irq_backstop_us || !(vessel_vmx.flags & VESSEL_CAP_PREEMPTION_TIMER))
		return;
	/* The timer counts TSC ticks >> IA32_VMX_MISC[4:0] (SDM 25.5.1). */
	ticks = (u64)irq_backstop_us * tsc_khz / 1000;
	ticks >>= vmx_misc_preemption_timer_rate(vessel_vmx.misc);
	vessel_backstop_ticks = clamp_t(u64, ticks, 1, U32_MAX);
}

/* The controls Vessel runs every guest with; see each line for why. */
static void vmcs_setup_controls(struct vessel_vcpu *vcpu)
{
	const struct vessel_vmx_config *c = &vessel_vmx;
	u32 pin, proc, proc2, exit, entry;

	pin = vmx_adjust(c->pinbased,
			 PIN_BASED_EXT_INTR_MASK |	/* host keeps its IRQs */
			 PIN_BASED_NMI_EXITING |	/* and its NMIs */
			 PIN_BASED_VIRTUAL_NMIS |	/* guest NMI blocking */
			 (vessel_backstop_ticks ?
			  PIN_BASED_VMX_PREEMPTION_TIMER : 0));
	proc = vmx_adjust(c->procbased,
			  CPU_BASED_HLT_EXITING |	/* userspace sees HLT */
			  CPU_BASED_MWAIT_EXITING |	/* hidden: #UD */
			  CPU_BASED_MONITOR_EXITING |
			  CPU_BASED_RDPMC_EXITING |	/* no PMU: #GP */
			  CPU_BASED_USE_TSC_OFFSETTING |	/* per-VM TSC */
			  CPU_BASED_CR8_LOAD_EXITING |	/* TPR is ours, */
			  CPU_BASED_CR8_STORE_EXITING |	/* not the host's */
			  CPU_BASED_UNCOND_IO_EXITING |	/* all port I/O */
			  CPU_BASED_MOV_DR_EXITING |	/* DRs emulated */
			  CPU_BASED_USE_MSR_BITMAPS |
			  CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	/* With EPT the guest owns CR3: no exits for it. */
	proc &= ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
		  CPU_BASED_INVLPG_EXITING);
	proc2 = vmx_adjust(c->procbased2,
			   SECONDARY_EXEC_ENABLE_EPT |
			   SECONDARY_EXEC_UNRESTRICTED_GUEST |
			   (vcpu->vpid ? SECONDARY_EXEC_ENABLE_VPID : 0) |
			   SECONDARY_EXEC_ENABLE_RDTSCP |
			   /* CPUID offers it (cpuid.c); without it, #UD */
			   SECONDARY_EXEC_ENABLE_INVPCID |
			   SECONDARY_EXEC_WBINVD_EXITING |	/* not the host's */
			   /* a spinning vCPU lets others run; never every PAUSE */
			   (ple_gap ? SECONDARY_EXEC_PAUSE_LOOP_EXITING : 0));
	exit = vmx_adjust(c->exit,
			  VM_EXIT_HOST_ADDR_SPACE_SIZE |	/* 64-bit host */
			  VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
			  VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |
			  VM_EXIT_SAVE_DEBUG_CONTROLS);
	entry = vmx_adjust(c->entry,
			   VM_ENTRY_LOAD_IA32_PAT | VM_ENTRY_LOAD_IA32_EFER |
			   VM_ENTRY_LOAD_DEBUG_CONTROLS);
	/* IA-32e mode follows the guest's EFER.LMA, set on every state change. */
	entry &= ~VM_ENTRY_IA32E_MODE;

	vcpu->ctl_pin = pin;
	vcpu->ctl_proc = proc;
	vcpu->ctl_proc2 = proc2;
	vcpu->ctl_entry = entry;
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, proc2);
	vmcs_write32(VM_EXIT_CONTROLS, exit);
	vmcs_write32(VM_ENTRY_CONTROLS, entry);

	/*
	 * Machine checks belong to the host (forwarded on exit).  #DB and #AC
	 * exit to be reflected (exits.c): a guest can make either raise
	 * itself again while it is being delivered - a data breakpoint on the
	 * stack the delivery writes, a misaligned CPL 3 stack - and the CPU
	 * then loops in the delivery without ever reaching an instruction
	 * boundary, where host interrupts and the preemption timer would exit
	 * (Xen XSA-156; CVE-2015-8104, CVE-2015-5307 for KVM).
	 */
	vmcs_write32(EXCEPTION_BITMAP, BIT(X86_TRAP_MC) | BIT(X86_TRAP_DB) |
		     BIT(X86_TRAP_AC));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write64(VMCS_LINK_POINTER, -1ULL);
	vmcs_write64(EPT_POINTER, vessel_mem_eptp(vcpu->vm));
	if (vcpu->vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vcpu->vpid);
	if (proc2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING) {
		vmcs_write32(PLE_GAP, ple_gap);
		vmcs_write32(PLE_WINDOW, ple_window);
	}
	vmcs_write64(MSR_BITMAP, __pa(vcpu->msr_bitmap));
	vcpu->tsc_offset = vcpu->vm->tsc_offset;
	vmcs_write64(TSC_OFFSET, vcpu->tsc_offset);

	/*
	 * No MSR load/store areas: the MSRs without a VMCS field are
	 * switched on the way to userspace or at a schedule (uret.c).
	 */
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);

	vmcs_writel(CR0_GUEST_HOST_MASK, VESSEL_CR0_HOST_OWNED);
	vmcs_writel(CR4_GUEST_HOST_MASK, VESSEL_CR4_HOST_OWNED);
}

/* Host state that is the same on every CPU and for every entry. */
static void vmcs_setup_host(void)
{
	struct desc_ptr idt;
	u64 v;

	vmcs_writel(HOST_CR0, read_cr0() & ~X86_CR0_TS);
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_writel(HOST_IDTR_BASE, idt.address);
	vmcs_writel(HOST_RIP, (unsigned long)vessel_vmx_vmexit);
	/* A 32-bit field: the MSR's high half is reserved. */
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write32(HOST_IA32_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write64(HOST_IA32_PAT, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write64(HOST_IA32_EFER, v);
}

/*
 * With an in-kernel APIC and the TPR shadow, CR8 reads and writes stay in
 * the guest: the APIC's register page is the virtual-APIC page, whose TPR
 * CR8 is.
 */
static void vmcs_setup_tpr_shadow(struct vessel_vcpu *vcpu)
{
	u32 cr8_exits = CPU_BASED_CR8_LOAD_EXITING | CPU_BASED_CR8_STORE_EXITING;

	if (!vcpu->lapic || !(vessel_vmx.flags & VESSEL_CAP_TPR_SHADOW))
		return;
	vcpu->ctl_proc |= CPU_BASED_TPR_SHADOW;
	/* Unless the CPU insists on them (allowed-0 settings). */
	vcpu->ctl_proc &= ~(cr8_exits & ~(u32)vessel_vmx.procbased);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vcpu->ctl_proc);
	vmcs_write64(VIRTUAL_APIC_PAGE_ADDR, __pa(vcpu->lapic->regs));
	vmcs_write32(TPR_THRESHOLD, 0);
	vcpu->tpr_threshold = 0;
}

/**
 * vessel_vmcs_setup() - write a fresh VMCS for a new vCPU
 * @vcpu:	the new vCPU
 *
 * Called with preemption disabled, right after the first vessel_vmcs_load().
 */
void vessel_vmcs_setup(struct vessel_vcpu *vcpu)
{
	vmcs_setup_controls(vcpu);
	vmcs_setup_tpr_shadow(vcpu);
	vmcs_setup_host();
	vmcs_host_percpu(smp_processor_id());
	vcpu->host_cpu = smp_processor_id();
	/* Written before each entry when they differ from these. */
	vcpu->host_cr3 = vcpu->host_cr4 = vcpu->host_fs_base = -1UL;
}

/* Allocate a VMCS region stamped with the revision identifier. */
void *vessel_vmcs_alloc(void)
{
	u32 *vmcs = (u32 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (vmcs)
		vmcs[0] = vessel_vmx.revision;
	return vmcs;
}
