/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Application processors, started as an SMP kernel starts them: INIT and
 * STARTUP IPIs to a real-mode trampoline below 1 MiB (MP spec B.4).
 */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#define MAX_CPUS		16	/* APIC IDs 0..15: a stack each */
#define AP_STACK_SIZE		4096

#ifndef __ASSEMBLER__
#include "guest.h"

/* Copy the trampoline where a STARTUP IPI can point. */
void smp_init(void);

/*
 * Start the AP @apic_id (below MAX_CPUS): INIT, INIT de-assert, 10 ms,
 * STARTUP, 200 us, STARTUP, 200 us. It does not wait for the AP, so that
 * several can start at once.
 */
void ap_start(uint32_t apic_id);

/*
 * The guest's code for each AP, on a stack of its own, with the GDT and
 * the IDT loaded and interrupts off. When it returns the AP halts for good.
 */
void ap_main(uint32_t apic_id);
#endif

#endif /* GUEST_SMP_H */
