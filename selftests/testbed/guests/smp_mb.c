// SPDX-License-Identifier: GPL-2.0
/*
 * smp_mb: a guest that brings up its application processors the way an SMP
 * kernel does, for `vessel run --cpus N`:
 *  - finds the MADT (ACPI), takes the local APIC address from it and
 *    lists the enabled Processor Local APIC entries;
 *  - starts every processor but itself with INIT-SIPI-SIPI, without
 *    waiting for one AP before starting the next, so that the APs run at
 *    the same time;
 *  - each AP enables its APIC, checks in (a locked add) and waits for the
 *    BSP's go-ahead, as Linux's APs wait in smp_callin();
 *  - once all have checked in (4 s at most) the BSP lets them go at once;
 *    each prints
 *      "smp_mb: AP with APIC ID n up\n"
 *    (printf() holds a spinlock: a line is several port writes, and lines
 *    of different APs must not mix), counts itself with a locked add and
 *    halts with interrupts off;
 *  - the BSP waits up to 4 s for the count to reach the number of APs,
 *    prints "smp_mb: K of M APs up\n" and exits with K (status 2K + 1).
 * The BSP waits with HLT between ticks of its APIC timer (periodic, 1 ms),
 * as a kernel sleeps, so that its host CPU is free for the APs and they
 * really print at the same time.
 * First it prints "smp_mb: N CPUs in the MADT\n". No MADT: 0x12 (37);
 * an APIC ID of MAX_CPUS or above: 0x13 (39); an unexpected interrupt or
 * exception: 0x15 (43).
 *
 * With the command line "crash", the AP with APIC ID 1 triple-faults after
 * its line instead of counting itself, so that the VMM must stop the whole
 * VM for one vCPU's shutdown while the BSP still waits.
 */
#include "acpi.h"
#include "apic.h"
#include "smp.h"

#define EXIT_NO_ACPI		0x12
#define EXIT_TOO_MANY		0x13

#define TIMER_VECTOR		0x40
#define AP_WAIT_MS		4000
#define CRASH_APIC_ID		1

const char *const guest_name = "smp_mb";

static bool crash_mode;
static uint32_t nr_aps, ap_arrived, ap_go, ap_count, ticks;

/* The enabled processor after @cpu in the MADT (the first if NULL). */
static const struct madt_lapic *next_cpu(const struct madt *madt,
					 const struct madt_lapic *cpu)
{
	const struct madt_entry *e = cpu ? &cpu->entry : NULL;

	while ((e = madt_next(madt, e))) {
		cpu = (const void *)e;
		if (e->type == MADT_LAPIC && e->length >= sizeof(*cpu) &&
		    (cpu->flags & MADT_LAPIC_ENABLED))
			return cpu;
	}
	return NULL;
}

#define for_each_cpu(cpu, madt) \
	for (cpu = next_cpu(madt, NULL); cpu; cpu = next_cpu(madt, cpu))

static void timer_handler(void)
{
	ticks++;
	lapic_eoi();
}

/* Sleep until *@counter reaches nr_aps, AP_WAIT_MS at most. */
static void wait_for_aps(const uint32_t *counter)
{
	ticks = 0;
	lapic_timer_periodic(TIMER_VECTOR, 1000);
	for (cli(); READ_ONCE(*counter) != nr_aps && ticks < AP_WAIT_MS; cli())
		safe_halt();
	lapic_timer_stop();
}

/* An IDT with limit 0, then INT3: #GP, #DF, shutdown. */
static __noreturn void triple_fault(void)
{
	static const struct {
		uint16_t limit;
		uint32_t base;
	} __packed null_idt;

	asm volatile("lidt %0; int3" : : "m"(null_idt));
	__builtin_unreachable();
}

void ap_main(uint32_t apic_id)
{
	lapic_enable();
	__atomic_fetch_add(&ap_arrived, 1, __ATOMIC_SEQ_CST);
	while (!READ_ONCE(ap_go))
		cpu_relax();
	printf("smp_mb: AP with APIC ID %u up\n", apic_id);
	if (crash_mode && apic_id == CRASH_APIC_ID)
		triple_fault();
	__atomic_fetch_add(&ap_count, 1, __ATOMIC_SEQ_CST);
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	const struct madt_lapic *cpu;
	const struct madt *madt;
	uint32_t nr_cpus = 0, bsp_id;

	crash_mode = !strcmp(mb_cmdline(mbi), "crash");
	set_irq_handler(TIMER_VECTOR, timer_handler);
	madt = acpi_find_madt();
	if (!madt)
		fail(EXIT_NO_ACPI, "no valid ACPI MADT");
	lapic_base = madt->lapic_addr;
	for_each_cpu(cpu, madt) {
		if (cpu->apic_id >= MAX_CPUS)
			fail(EXIT_TOO_MANY, "APIC ID %u: more than it can take",
			     cpu->apic_id);
		nr_cpus++;
	}
	printf("smp_mb: %u CPUs in the MADT\n", nr_cpus);

	lapic_enable();
	bsp_id = lapic_id();
	smp_init();
	for_each_cpu(cpu, madt) {
		if (cpu->apic_id == bsp_id)
			continue;
		nr_aps++;
		ap_start(cpu->apic_id);
	}

	/* Wait for them to check in, then let them all go at once. */
	wait_for_aps(&ap_arrived);
	WRITE_ONCE(ap_go, 1);
	wait_for_aps(&ap_count);
	printf("smp_mb: %u of %u APs up\n", READ_ONCE(ap_count), nr_aps);
	return READ_ONCE(ap_count);
}
