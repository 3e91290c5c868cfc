/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the runtime's assembly (entry.S, trampoline.S) and its C share: the
 * GDT's selectors, a flat 4 GiB code and data segment loaded by _start
 * and by every AP's trampoline, and the symbols that cross between them.
 */
#ifndef GUEST_ENTRY_H
#define GUEST_ENTRY_H

#define CODE_SEL	0x08
#define DATA_SEL	0x10
#define GDT_LIMIT	(3 * 8 - 1)	/* null, code, data */

#ifndef __ASSEMBLER__
#include "guest.h"

/* What entry.S's stubs and interrupt_common leave on the stack. */
struct irq_frame {
	uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;	/* PUSHAL */
	uint32_t vector, error_code;
	uint32_t eip, cs, eflags;
};

/* entry.S: each vector's stub. */
extern const uint32_t interrupt_stubs[256];
/* trampoline.S: the real-mode code a STARTUP IPI runs, and its end. */
extern const char trampoline[], trampoline_end[];

/* The C that the assembly calls. */
__noreturn void guest_start(uint32_t magic, const struct mb_info *mbi);
void interrupt_dispatch(struct irq_frame *f);
__noreturn void ap_entry(uint32_t apic_id);
#endif

#endif /* GUEST_ENTRY_H */
