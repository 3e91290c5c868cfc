// SPDX-License-Identifier: GPL-2.0
/*
 * Boot state: turn a loader's struct vessel_boot into vCPU registers.
 *
 * Segment registers are built in the VMX access-rights format the ABI uses
 * (type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15). Outside real
 * mode they are decoded from the very descriptors the loader wrote into the
 * guest's GDT, so the hidden parts match what a reload by the guest would
 * give: VM entry does not check that, but a guest that reloads a segment
 * register must not see it change under its feet.
 */
#include <errno.h>
#include <string.h>

#include "boot.h"
#include "compiler.h"
#include "pagetable.h"

#define SEG_ATTR_CODE16		0x9b	/* present, exec/read, accessed */
#define SEG_ATTR_DATA16		0x93	/* present, read/write, accessed */
#define SEG_ATTR_TSS_BUSY	0x8b	/* present, busy 32/64-bit TSS */
#define SEG_ATTR_UNUSABLE	0	/* P clear */
#define SEG_REAL_LIMIT		0xffff
#define TSS_LIMIT		0x67	/* the smallest TSS VM entry accepts */
#define IDT_REAL_LIMIT		0xffff	/* the IVT, as after reset */

#define DESC_G			(1ULL << 55)

/* A real-mode segment: base = value << 4, 64 KiB limit. */
static struct vessel_segment seg_real(uint16_t value, uint16_t attrib)
{
	return (struct vessel_segment) {
		.base = (uint64_t)value << 4,
		.limit = SEG_REAL_LIMIT,
		.selector = value,
		.attrib = attrib,
	};
}

/* Decode the loader's GDT descriptor for @selector (SDM Vol. 3 3.4.5). */
static int seg_from_gdt(const struct vessel_boot *boot, uint16_t selector,
			struct vessel_segment *seg)
{
	unsigned int index = selector >> 3;
	uint32_t limit;
	uint64_t d;

	/* Bit 2 (TI) selects the LDT, which loaders never provide. */
	if (selector & 4 || index >= VESSEL_BOOT_GDT_ENTRIES)
		return -EINVAL;
	d = boot->gdt[index];
	if (!d)
		return -EINVAL;
	limit = (d & 0xffff) | ((d >> 32) & 0xf0000);
	if (d & DESC_G)
		limit = (limit << 12) | 0xfff;
	seg->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	seg->limit = limit;
	seg->selector = selector;
	/* Bits 47:40 and 55:52 of a descriptor are bits 7:0 and 15:12 here. */
	seg->attrib = (d >> 40) & 0xf0ff;
	return 0;
}

/* CS, SS and DS, with DS copied to ES, FS and GS. */
static int boot_code_data_segs(const struct vessel_boot *boot,
			       struct vessel_segment *seg)
{
	static const int data_copies[] = {
		VESSEL_SEG_ES, VESSEL_SEG_FS, VESSEL_SEG_GS,
	};
	size_t i;
	int r = 0;

	if (boot->mode == VESSEL_CPU_REAL16) {
		seg[VESSEL_SEG_CS] = seg_real(boot->cs, SEG_ATTR_CODE16);
		seg[VESSEL_SEG_SS] = seg_real(boot->ss, SEG_ATTR_DATA16);
		seg[VESSEL_SEG_DS] = seg_real(boot->ds, SEG_ATTR_DATA16);
	} else {
		r = seg_from_gdt(boot, boot->cs, &seg[VESSEL_SEG_CS]);
		if (!r)
			r = seg_from_gdt(boot, boot->ss, &seg[VESSEL_SEG_SS]);
		if (!r)
			r = seg_from_gdt(boot, boot->ds, &seg[VESSEL_SEG_DS]);
	}
	for (i = 0; i < ARRAY_SIZE(data_copies); i++)
		seg[data_copies[i]] = seg[VESSEL_SEG_DS];
	return r;
}

static int boot_segs(const struct vessel_boot *boot, struct vessel_segs *segs)
{
	int r;

	memset(segs, 0, sizeof(*segs));
	r = boot_code_data_segs(boot, segs->seg);
	if (r)
		return r;
	/* VM entry wants a usable, busy TR in every mode, but no LDT. */
	segs->seg[VESSEL_SEG_TR].limit = TSS_LIMIT;
	segs->seg[VESSEL_SEG_TR].attrib = SEG_ATTR_TSS_BUSY;
	segs->seg[VESSEL_SEG_LDTR].attrib = SEG_ATTR_UNUSABLE;
	segs->gdt.base = boot->gdt_base;
	segs->gdt.limit = boot->gdt_limit;
	/*
	 * Real mode gets the reset IVT. Elsewhere an empty IDT turns any
	 * early exception into a triple fault, which the VMM reports, rather
	 * than a jump through whatever the guest's memory holds.
	 */
	segs->idt.limit = boot->mode == VESSEL_CPU_REAL16 ? IDT_REAL_LIMIT : 0;
	return 0;
}

int vessel_boot_cpu_state(const struct vessel_boot *boot,
			  struct vessel_vcpu_state *state)
{
	struct vessel_segs segs;
	int r = boot_segs(boot, &segs);

	if (r)
		return r;
	state->segs = segs;

	/* struct vessel_boot: registers not listed are 0. */
	memset(&state->gprs, 0, sizeof(state->gprs));
	state->gprs.regs[VESSEL_GPR_RAX] = boot->rax;
	state->gprs.regs[VESSEL_GPR_RBX] = boot->rbx;
	state->gprs.regs[VESSEL_GPR_RSI] = boot->rsi;
	state->gprs.regs[VESSEL_GPR_RSP] = boot->rsp;
	state->gprs.rip = boot->rip;
	state->gprs.rflags = boot->rflags;

	/*
	 * The architectural values; the kernel adds what VMX forces on. CR2,
	 * CR8 and XCR0 keep what the caller read from the kernel.
	 */
	state->crs.cr0 = boot->cr0;
	state->crs.cr3 = boot->cr3;
	state->crs.cr4 = boot->cr4;
	state->crs.efer = boot->efer;
	return 0;
}
