// SPDX-License-Identifier: GPL-2.0
/*
 * Vessel: port I/O and MMIO, which userspace emulates.
 *
 * Port I/O: the exit qualification says everything (SDM Table 28-5).  IN,
 * OUT and their string and REP forms exit to userspace with the data in the
 * run page; the next VESSEL_RUN completes the instruction (writes the
 * register or guest memory, advances RSI/RDI/RCX and RIP).  A REP string
 * instruction is done in batches that fit the run page and one guest page;
 * RIP stays on it until RCX reaches zero, so the guest re-executes it.
 * Everything the completion needs is kept in vcpu->pio (and for MMIO in
 * vcpu->mmio_insn) at the exit: the run page is userspace's to rewrite, and
 * the next RUN reads from it only the data an IN or an MMIO read supplies,
 * within the size the exit set (Documentation/api.rst).
 *
 * MMIO: an EPT violation outside guest RAM (or a write to a read-only
 * slot).  VMX gives the guest-physical address but not the instruction, so
 * it is fetched through the guest's page tables and decoded in the kernel
 * (emulate.c: the MOV family and STOS, TEST, CMP, the ALU instructions,
 * XCHG).
 * Decoding here keeps the exit to userspace as simple as a port write -
 * address, size, data - and the kernel completes loads into the right
 * register and the status flags into RFLAGS on the next RUN.  A
 * read-modify-write (orl $1, (mmio), XCHG) is a read exit, then a write
 * exit, then the instruction retires.  REP STOS is one element per exit.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "emulate/emulate.h"
#include "emulate/exits.h"
#include "irq/lapic.h"

/* A guest page fault found while emulating: deliver it as the CPU would. */
static int inject_pf(struct vessel_vcpu *vcpu, u64 gva, u32 error)
{
	vessel_queue_exception(vcpu, X86_TRAP_PF, true, error);
	vcpu->ev.exception_has_payload = true;
	vcpu->ev.exception_payload = gva;
	return 1;
}

/* ------------------------------------------------------------ port I/O */

static u64 size_mask(unsigned int size)
{
	return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/*
 * How many elements of a string I/O fit the run page and stay within the
 * guest page of the first one (in the direction DF says).
 */
static u32 string_batch(u64 gva, unsigned int size, u64 count, bool down)
{
	u64 room = down ? (gva & ~PAGE_MASK) / size + 1 :
			  (PAGE_SIZE - (gva & ~PAGE_MASK)) / size;

	room = max_t(u64, room, 1);
	return min3(count, room, (u64)(VESSEL_RUN_DATA_SIZE / size));
}

/* The address-size mask of RSI/RDI/RCX: VMX instruction info bits 9:7. */
static u64 string_addr_mask(struct vessel_vcpu *vcpu)
{
	switch ((vessel_vmx_exit_insn_info(vcpu) >> 7) & 7) {
	case 0:
		return 0xffff;
	case 1:
		return 0xffffffff;
	default:
		return ~0ULL;
	}
}

/*
 * OUTS: the elements go to the run page in execution order.  With DF set
 * that is from the highest address down: they are read a few at a time
 * and laid out reversed, so that the kernel never reads the shared page
 * back.  *@at: where a failed read began.
 */
static int io_string_read(const struct vessel_walk_env *env, u32 access,
			  u64 start, u8 *data, u32 n, unsigned int size,
			  bool down, u64 *at, u32 *pferr)
{
	u8 buf[64];
	u32 done, k, i;
	int r;

	*at = start;
	if (!down)
		return vessel_guest_read_virt(env, start, data, n * size,
					      access, pferr);
	for (done = 0; done < n; done += k) {
		k = min_t(u32, n - done, sizeof(buf) / size);
		/* Elements done .. done + k - 1, the last one lowest. */
		*at = start + (u64)(n - done - k) * size;
		r = vessel_guest_read_virt(env, *at, buf, k * size, access,
					   pferr);
		if (r)
			return r;
		for (i = 0; i < k; i++)
			memcpy(data + (done + i) * size, buf + (k - 1 - i) * size,
			       size);
	}
	return 0;
}

static int io_string(struct vessel_vcpu *vcpu, bool in, unsigned int size,
		     bool rep)
{
	struct vessel_run *run = vcpu->run;
	struct vessel_pio *pio = &vcpu->pio;
	u8 *data = (u8 *)run + VESSEL_RUN_DATA_OFFSET;
	u64 mask = string_addr_mask(vcpu);
	bool down = vessel_vmx_guest_rflags(vcpu) & X86_EFLAGS_DF;
	u64 gva = vessel_vmx_exit_gla(vcpu);
	u64 count = rep ? vcpu->regs[VESSEL_GPR_RCX] & mask : 1;
	struct vessel_walk_env env;
	u64 pdptrs[4], start, at;
	u32 n, pferr;
	int r;

	if (!count) {
		vessel_skip_insn(vcpu);
		return 1;
	}
	n = string_batch(gva, size, count, down);
	/* Elements are laid out upwards in the buffer whatever DF says. */
	start = down ? gva - (u64)(n - 1) * size : gva;
	if (!in) {
		vessel_walk_env_init(vcpu, &env, pdptrs);
		r = io_string_read(&env, vessel_walk_cpl_access(vcpu), start,
				   data, n, size, down, &at, &pferr);
		if (r == -EFAULT)
			return inject_pf(vcpu, at, pferr);
		/* Nothing is left to complete: RUN again retries. */
		if (r)
			return vessel_exit_internal(vcpu, VESSEL_INTERNAL_EMULATION,
						    1, &at);
	}
	pio->string = true;
	pio->rep = rep;
	pio->down = down;
	pio->count = n;
	pio->start = start;
	pio->addr_mask = mask;
	run->io.flags = VESSEL_IO_STRING | (rep ? VESSEL_IO_REP : 0);
	run->io.count = n;
	vcpu->pending = in ? VESSEL_PENDING_IO_IN : VESSEL_PENDING_IO_OUT;
	return 0;
}

int vessel_exit_io(struct vessel_vcpu *vcpu)
{
	unsigned long qual = vessel_vmx_exit_qual(vcpu);
	unsigned int size = (qual & 7) + 1;
	bool in = qual & 8, string = qual & 16, rep = qual & 32;
	struct vessel_run *run = vcpu->run;

	/* The data never reaches past the page (string_batch()). */
	BUILD_BUG_ON(VESSEL_RUN_DATA_OFFSET + VESSEL_RUN_DATA_SIZE > PAGE_SIZE);
	vcpu->pio = (struct vessel_pio){
		.size = size,
		.insn_len = vcpu->exit_insn_len,
	};
	vessel_run_exit(vcpu, VESSEL_EXIT_IO);
	run->io.direction = in ? VESSEL_IO_IN : VESSEL_IO_OUT;
	run->io.size = size;
	run->io.port = qual >> 16;
	run->io.data_offset = VESSEL_RUN_DATA_OFFSET;
	run->io.flags = 0;
	run->io.count = 1;
	if (string)
		return io_string(vcpu, in, size, rep);
	if (!in) {
		u64 val = vcpu->regs[VESSEL_GPR_RAX] & size_mask(size);

		memcpy((u8 *)run + VESSEL_RUN_DATA_OFFSET, &val, size);
	}
	vcpu->pending = in ? VESSEL_PENDING_IO_IN : VESSEL_PENDING_IO_OUT;
	return 0;
}

/*
 * Copy IN data to guest memory, in execution order: each byte of the run
 * page is read once, as the exit laid them out.
 */
static int io_string_in_complete(struct vessel_vcpu *vcpu, const u8 *data)
{
	const struct vessel_pio *pio = &vcpu->pio;
	struct vessel_walk_env env;
	u64 pdptrs[4], gpa;
	u32 pferr, i;

	vessel_walk_env_init(vcpu, &env, pdptrs);
	for (i = 0; i < pio->count; i++) {
		u64 gva = pio->start + (u64)(pio->down ? pio->count - 1 - i : i) *
			  pio->size;

		if (vessel_gva_to_gpa(&env, gva, VESSEL_WALK_WRITE |
				      vessel_walk_cpl_access(vcpu), &gpa, &pferr))
			return inject_pf(vcpu, gva, pferr);
		/* Outside RAM, the element is lost as on a bus without a device. */
		vessel_mem_write(vcpu->vm, gpa, data + i * pio->size, pio->size);
	}
	return 0;
}

static void io_string_complete(struct vessel_vcpu *vcpu, bool in)
{
	const struct vessel_pio *pio = &vcpu->pio;
	u8 *data = (u8 *)vcpu->run + VESSEL_RUN_DATA_OFFSET;
	unsigned int idx = in ? VESSEL_GPR_RDI : VESSEL_GPR_RSI;
	u64 mask = pio->addr_mask, step = (u64)pio->count * pio->size, v;

	if (in && io_string_in_complete(vcpu, data))
		return;
	v = vcpu->regs[idx];
	v = (v & ~mask) | ((pio->down ? v - step : v + step) & mask);
	vcpu->regs[idx] = v;
	if (pio->rep) {
		v = vcpu->regs[VESSEL_GPR_RCX];
		v = (v & ~mask) | ((v - pio->count) & mask);
		vcpu->regs[VESSEL_GPR_RCX] = v;
		/* Not done: RIP stays and the guest repeats the instruction. */
		if (v & mask)
			return;
	}
	vessel_skip_insn(vcpu);
}

/* ---------------------------------------------------------------- MMIO */

static int mmio_failed(struct vessel_vcpu *vcpu, u64 gpa, const u8 *insn)
{
	u64 data[4] = { gpa, vessel_vmx_guest_rip(vcpu), 0, 0 };

	memcpy(&data[2], insn, 16);
	return vessel_exit_internal(vcpu, VESSEL_INTERNAL_EMULATION, 4, data);
}

/*
 * Retires an MMIO instruction: RIP past it.  A REP STOS with a count left
 * keeps RIP, so that the guest executes it again, one element per exit.
 * Inline: every MMIO instruction ends here.
 */
static __always_inline void mmio_retire(struct vessel_vcpu *vcpu,
					const struct vessel_mmio_insn *insn)
{
	if (insn->flags & VESSEL_MMIO_STRING) {
		u64 rdi = vcpu->regs[VESSEL_GPR_RDI];
		u64 rcx = vcpu->regs[VESSEL_GPR_RCX];
		bool done;

		done = vessel_mmio_string_step(insn, vessel_vmx_guest_rflags(vcpu) &
					       X86_EFLAGS_DF, &rdi, &rcx);
		vcpu->regs[VESSEL_GPR_RDI] = rdi;
		vcpu->regs[VESSEL_GPR_RCX] = rcx;
		if (!done)
			return;
	}
	vcpu->exit_insn_len = insn->length;
	vessel_skip_insn(vcpu);
}

/*
 * Executes the decoded instruction on the value @mem that memory read
 * (ignored for a plain store) and returns the value it writes.  With
 * @commit, updates its register, RFLAGS and RIP: the instruction is done.
 */
static u64 mmio_execute(struct vessel_vcpu *vcpu,
			const struct vessel_mmio_insn *insn, u64 mem, bool commit)
{
	u64 reg = vessel_gpr_read(vcpu, insn->reg), rflags = 0, data;
	bool alu = insn->op != VESSEL_MMIO_OP_MOV &&
		   insn->op != VESSEL_MMIO_OP_XCHG;

	if (alu)
		rflags = vessel_vmx_guest_rflags(vcpu);
	data = vessel_mmio_execute(insn, mem, &reg, &rflags);
	if (!commit)
		return data;
	if (insn->dst_size)
		vessel_gpr_write(vcpu, insn->reg, reg);
	if (alu)
		vessel_vmx_set_guest_rflags(vcpu, rflags);
	mmio_retire(vcpu, insn);
	return data;
}

/*
 * The vCPU's own APIC page (vessel_lapic_mmio_page()) is emulated here,
 * without an exit: a read-modify-write is a register read and a register
 * write.
 */
static int mmio_lapic(struct vessel_vcpu *vcpu, u64 gpa,
		      const struct vessel_mmio_insn *insn)
{
	u64 data = 0;

	if (insn->is_write && !(insn->flags & VESSEL_MMIO_RMW)) {
		data = vessel_mmio_store_data(insn, vessel_gpr_read(vcpu, insn->reg));
		vessel_lapic_mmio(vcpu, gpa, insn->size, true, &data);
		mmio_retire(vcpu, insn);
		return 1;
	}
	vessel_lapic_mmio(vcpu, gpa, insn->size, false, &data);
	data = mmio_execute(vcpu, insn, data, true);
	if (insn->is_write)
		vessel_lapic_mmio(vcpu, gpa, insn->size, true, &data);
	return 1;
}

/*
 * An MMIO exit to userspace: a read, or a write of @data.  Inline, as the
 * code it replaced was: it is on the path of every MMIO exit.
 */
static __always_inline int mmio_exit(struct vessel_vcpu *vcpu,
				     const struct vessel_mmio_insn *insn,
				     bool is_write, u64 data)
{
	struct vessel_run *run = vcpu->run;

	vessel_run_exit(vcpu, VESSEL_EXIT_MMIO);
	run->mmio.gpa = insn->gpa;
	run->mmio.len = insn->size;
	run->mmio.is_write = is_write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (is_write)
		memcpy(run->mmio.data, &data, insn->size);
	vcpu->pending = is_write ? VESSEL_PENDING_MMIO_WRITE :
				   VESSEL_PENDING_MMIO_READ;
	return 0;
}

static int mmio_emulate(struct vessel_vcpu *vcpu, u64 gpa)
{
	struct vessel_mmio_insn *insn = &vcpu->mmio_insn;
	u8 bytes[16] = { 0 };
	unsigned int bits = vessel_vmx_guest_code_bits(vcpu);
	struct vessel_walk_env env;
	u64 pdptrs[4], rip;
	u32 pferr;
	int r;

	vessel_walk_env_init(vcpu, &env, pdptrs);
	rip = vessel_vmx_guest_cs_base(vcpu) + vessel_vmx_guest_rip(vcpu);
	if (bits != 64)
		rip = (u32)rip;
	r = vessel_guest_read_virt(&env, rip, bytes, VESSEL_INSN_MAX_LEN,
				   VESSEL_WALK_FETCH | vessel_walk_cpl_access(vcpu), &pferr);
	/* The tail may lie on an unmapped page: decode what we have. */
	if (r)
		r = vessel_guest_read_virt(&env, rip, bytes,
					   PAGE_SIZE - (rip & ~PAGE_MASK) < VESSEL_INSN_MAX_LEN ?
					   PAGE_SIZE - (rip & ~PAGE_MASK) : VESSEL_INSN_MAX_LEN,
					   VESSEL_WALK_FETCH | vessel_walk_cpl_access(vcpu), &pferr);
	if (r)
		return mmio_failed(vcpu, gpa, bytes);
	/*
	 * LOCK is valid on a read-modify-write only (else #UD before any
	 * access); REPNE is not defined for STOS.
	 */
	if (vessel_decode_mmio(bytes, VESSEL_INSN_MAX_LEN, bits, insn) ||
	    (insn->flags & VESSEL_MMIO_REPNE) ||
	    ((insn->flags & VESSEL_MMIO_LOCK) && !(insn->flags & VESSEL_MMIO_RMW)))
		return mmio_failed(vcpu, gpa, bytes);

	vcpu->exit_insn_len = insn->length;
	if (vessel_lapic_mmio_page(vcpu, gpa))
		return mmio_lapic(vcpu, gpa, insn);
	insn->gpa = gpa;
	/* Not a read-modify-write: a load, a compare, or a MOV or STOS store. */
	if (!(insn->flags & VESSEL_MMIO_RMW))
		return mmio_exit(vcpu, insn, insn->is_write, insn->is_write ?
				 vessel_mmio_store_data(insn,
					vessel_gpr_read(vcpu, insn->reg)) : 0);
	/*
	 * A read-modify-write: in a read-only slot the kernel reads the
	 * memory and only the write exits; elsewhere a read exit comes first
	 * and the next RUN turns it into the write exit (mmio_complete()).
	 */
	if (!vessel_mem_read(vcpu->vm, gpa, &insn->mem, insn->size))
		return mmio_exit(vcpu, insn, true,
				 mmio_execute(vcpu, insn, insn->mem, false));
	return mmio_exit(vcpu, insn, false, 0);
}

/* Exit qualification for EPT violations: SDM Table 28-7. */
int vessel_exit_ept_violation(struct vessel_vcpu *vcpu)
{
	unsigned long qual = vessel_vmx_exit_qual(vcpu);
	u64 gpa = vessel_vmx_exit_gpa(vcpu);
	int r;

	/* A fault during IRET re-blocks NMIs before re-entry (SDM 27.2.3). */
	if ((qual & BIT(12)) && !(vcpu->ev.injected_info & INTR_INFO_VALID_MASK))
		vessel_vmx_block_nmi(vcpu);
	r = vessel_mem_fault(vcpu->vm, gpa, qual & BIT(1), qual & BIT(2));
	if (r == 0 || r == -EINTR)	/* mapped, or a signal to look at */
		return 1;
	if (r == VESSEL_MEM_MMIO) {
		/* Executing from MMIO cannot be emulated. */
		if (qual & BIT(2)) {
			u8 none[16] = { 0 };

			return mmio_failed(vcpu, gpa, none);
		}
		return mmio_emulate(vcpu, gpa);
	}
	if (r == -EFAULT) {
		/* The VMM's memory behind the slot is gone or protected. */
		return vessel_exit_internal(vcpu, VESSEL_INTERNAL_MEMORY_FAULT,
					    1, &gpa);
	}
	return r;
}

/*
 * The RUN after an MMIO exit.  A read completes the instruction, except the
 * read of a read-modify-write, which becomes its write exit (0: back to
 * userspace); the register, RFLAGS and RIP change only after the write.
 */
static int mmio_complete(struct vessel_vcpu *vcpu)
{
	struct vessel_mmio_insn *insn = &vcpu->mmio_insn;
	u64 data = 0;

	if (vcpu->pending == VESSEL_PENDING_MMIO_READ) {
		memcpy(&data, vcpu->run->mmio.data, insn->size);
		/* The common case, a MOV load, without the general path. */
		if (insn->op == VESSEL_MMIO_OP_MOV) {
			vessel_gpr_write(vcpu, insn->reg,
					 vessel_mmio_load_result(insn,
						vessel_gpr_read(vcpu, insn->reg), data));
			vcpu->exit_insn_len = insn->length;
			vessel_skip_insn(vcpu);
			return 1;
		}
		if (!(insn->flags & VESSEL_MMIO_RMW)) {
			mmio_execute(vcpu, insn, data, true);
			return 1;
		}
		insn->mem = data;
		return mmio_exit(vcpu, insn, true,
				 mmio_execute(vcpu, insn, data, false));
	}
	if (insn->flags & VESSEL_MMIO_RMW)
		mmio_execute(vcpu, insn, insn->mem, true);
	else
		mmio_retire(vcpu, insn);
	return 1;
}

/*
 * The next RUN after an I/O or MMIO exit finishes the instruction.  Returns
 * >0 to enter the guest, 0 when a new exit to userspace is pending.
 */
int vessel_io_complete(struct vessel_vcpu *vcpu)
{
	u8 *data = (u8 *)vcpu->run + VESSEL_RUN_DATA_OFFSET;

	switch (vcpu->pending) {
	case VESSEL_PENDING_MMIO_READ:
	case VESSEL_PENDING_MMIO_WRITE:
		return mmio_complete(vcpu);
	case VESSEL_PENDING_IO_IN:
	case VESSEL_PENDING_IO_OUT:
		break;
	default:
		return 1;
	}
	vcpu->exit_insn_len = vcpu->pio.insn_len;
	if (vcpu->pio.string) {
		io_string_complete(vcpu, vcpu->pending == VESSEL_PENDING_IO_IN);
		return 1;
	}
	if (vcpu->pending == VESSEL_PENDING_IO_IN) {
		u64 val = 0, rax = vcpu->regs[VESSEL_GPR_RAX];

		memcpy(&val, data, vcpu->pio.size);
		/* 8/16-bit IN merge into RAX; 32-bit zero-extends (SDM 3.4.1.1). */
		if (vcpu->pio.size == 4)
			rax = val;
		else
			rax = (rax & ~size_mask(vcpu->pio.size)) | val;
		vcpu->regs[VESSEL_GPR_RAX] = rax;
	}
	vessel_skip_insn(vcpu);
	return 1;
}
