// SPDX-License-Identifier: GPL-2.0
/*
 * snap_mb: a guest for save and restore (selftests/snapshot_test.c). Every
 * CPU computes a known sequence in rounds while its timers run and it
 * watches its clocks; the output is the same whether or not the VM was
 * saved and restored in between, and where.
 *
 * Each of ROUNDS rounds: the BSP lets every CPU compute STEPS steps of its
 * sequence (a hash of the previous value, the step and the CPU's index),
 * waits until each has and until its own timer ticked TICKS more times
 * (each AP also waits for TICKS ticks of its own), then prints
 *   "snap_mb: round R: V0 V1 ...\n"
 * (each value 8 hex digits). At the end it prints
 *   "snap_mb: result H\n"
 * (a hash of all values) and exits with 42 (status 85). First it prints
 *   "snap_mb: N CPUs, provider NAME\n".
 *
 * Timers: the BSP's local APIC timer alternates by round between periodic
 * mode and TSC-deadline mode, where each tick re-arms the deadline and
 * checks it did not fire before it; each AP's is periodic. Under Hyper-V
 * (with a local APIC) the BSP also runs synthetic timer 0 (periodic,
 * messages to SINT 2 in the SynIC message page, each one checked not
 * early against the reference time) and timer 1 (periodic, direct mode),
 * and each round waits for both to tick too.
 *
 * Clocks, on every CPU, read in each round and each tick: the TSC, and
 * kvmclock (KVM) or the reference TSC page and TIME_REF_COUNT (Hyper-V);
 * none may go back. A failure prints a line and exits with its code:
 * 0x20 a clock went back, 0x21 a timer fired early, 0x22 a timer stopped
 * ticking, 0x13 an APIC ID of MAX_CPUS or above.
 *
 * A VM without a local APIC (vessel run --irqchip none) has no ACPI
 * tables: then the BSP alone computes its rounds, without timers.
 */
#include "acpi.h"
#include "apic.h"
#include "hyperv.h"
#include "smp.h"

#define EXIT_TOO_MANY		0x13
#define EXIT_CLOCK_BACK		0x20
#define EXIT_EARLY		0x21
#define EXIT_STOPPED		0x22

#define ROUNDS			16
#define STEPS			20000
#define TICKS			3
/* How long a round waits for ticks: loops of HLT, each woken by a tick. */
#define WAIT_LIMIT		200000

#define TICK_VECTOR		0x40
#define STIMER_VECTOR		0x50
#define STIMER_DIRECT_VECTOR	0x51
#define TICK_US			500
#define DEADLINE_CYCLES		200000

#define MSR_TSC_DEADLINE	0x6e0
#define APIC_LVT_TSC_DEADLINE	(2 << 17)

#define KVM_CPUID_FEATURES	0x40000001
#define KVM_FEATURE_CLOCKSOURCE2	(1 << 3)
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01

#define HV_MSR_TIME_REF_COUNT	0x40000020
#define HV_MSR_REFERENCE_TSC	0x40000021
#define HV_MSR_SCONTROL		0x40000080
#define HV_MSR_SIMP		0x40000083
#define HV_MSR_EOM		0x40000084
#define HV_MSR_SINT(n)		(0x40000090 + (n))
#define HV_MSR_STIMER_CONFIG(n)	(0x400000b0 + 2 * (n))
#define HV_MSR_STIMER_COUNT(n)	(0x400000b1 + 2 * (n))
#define HV_REF_COUNTER		(1 << 1)
#define HV_SYNIC		(1 << 2)
#define HV_STIMERS		(1 << 3)
#define HV_REF_TSC		(1 << 9)
#define HV_STIMER_DIRECT	(1 << 19)	/* CPUID 0x40000003 EDX */
#define STIMER_ENABLE		(1 << 0)
#define STIMER_PERIODIC		(1 << 1)
#define STIMER_DIRECT		(1 << 12)
#define STIMER_SINT		2
#define HVMSG_TIMER_EXPIRED	0x80000010
/* Reference time is in 100 ns: 0.5 ms and 0.7 ms. */
#define STIMER0_PERIOD		5000
#define STIMER1_PERIOD		7000

const char *const guest_name = "snap_mb";

enum provider { PV_NONE, PV_KVM, PV_HYPERV, PV_OTHER };

static enum provider provider;
static bool have_apic, have_stimers, have_ref_tsc, have_ref_count;
static uint32_t nr_cpus;
static uint8_t cpu_apic[MAX_CPUS];

/* What each CPU computes, and the BSP's go-ahead (round + 1). */
static uint32_t value[MAX_CPUS], done[MAX_CPUS], go;
static uint32_t ticks[MAX_CPUS], stimer_ticks[2];
static bool deadline_mode;
static uint64_t deadline;

struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
	uint8_t pad[2];
};

struct tsc_page {
	uint32_t sequence;
	uint32_t reserved;
	uint64_t scale;
	int64_t offset;
};

struct hv_message {
	uint32_t type;
	uint8_t size;
	uint8_t flags;
	uint16_t reserved;
	uint64_t sender;
	uint32_t timer;
	uint32_t pad;
	uint64_t expiration;
	uint64_t delivery;
	uint8_t rest[256 - 40];
};

static struct pvclock pvti[MAX_CPUS] __aligned(64);
static struct tsc_page tsc_page __aligned(4096);
static struct hv_message simp[16] __aligned(4096);
_Static_assert(sizeof(struct hv_message) == 256, "a message slot");

/* Per CPU: the last reading of each clock. */
static uint64_t last_tsc[MAX_CPUS], last_kvm[MAX_CPUS];
static uint64_t last_ref[MAX_CPUS], last_ref_msr[MAX_CPUS];

static inline uint64_t rdtsc(void)
{
	uint64_t v;

	asm volatile("rdtsc" : "=A"(v));
	return v;
}

static inline void barrier(void)
{
	asm volatile("" : : : "memory");
}

/* The high 64 bits of @a * @b, in 32-bit pieces. */
static uint64_t mul_hi64(uint64_t a, uint64_t b)
{
	uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;

	return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* kvmclock, as pvclock_clocksource_read() reads it (0: not yet valid). */
static uint64_t kvmclock_ns(unsigned int cpu)
{
	const struct pvclock *p = &pvti[cpu];
	uint64_t delta, ns;
	uint32_t version;
	int8_t shift;

	do {
		version = READ_ONCE(p->version);
		barrier();
		delta = rdtsc() - p->tsc_timestamp;
		shift = p->shift;
		if (shift < 0)
			delta >>= -shift;
		else
			delta <<= shift;
		ns = p->system_time + (((uint64_t)(uint32_t)delta * p->mul) >> 32) +
		     (delta >> 32) * p->mul;
		barrier();
	} while ((version & 1) || version != READ_ONCE(p->version));
	return ns;
}

/* The reference time from the TSC page; 0 while it is invalid. */
static uint64_t tsc_page_ref(void)
{
	uint32_t seq;
	uint64_t ref;

	do {
		seq = READ_ONCE(tsc_page.sequence);
		if (!seq)
			return 0;
		barrier();
		ref = mul_hi64(rdtsc(), tsc_page.scale) + tsc_page.offset;
		barrier();
	} while (seq != READ_ONCE(tsc_page.sequence));
	return ref;
}

/* @now must not be below *@last; then it is the new last. */
static void monotonic(const char *clock, unsigned int cpu, uint64_t *last,
		      uint64_t now)
{
	if (now < *last)
		fail(EXIT_CLOCK_BACK, "CPU %u: %s went back from %x%08x to %x%08x",
		     cpu, clock, (uint32_t)(*last >> 32), (uint32_t)*last,
		     (uint32_t)(now >> 32), (uint32_t)now);
	*last = now;
}

/* Every clock of @cpu, read once; with interrupts off. */
static void check_clocks(unsigned int cpu)
{
	uint64_t ref;

	monotonic("the TSC", cpu, &last_tsc[cpu], rdtsc());
	if (provider == PV_KVM)
		monotonic("kvmclock", cpu, &last_kvm[cpu], kvmclock_ns(cpu));
	if (have_ref_tsc) {
		ref = tsc_page_ref();
		if (ref)
			monotonic("the reference TSC page", cpu, &last_ref[cpu], ref);
	}
	if (have_ref_count)
		monotonic("TIME_REF_COUNT", cpu, &last_ref_msr[cpu],
			  rdmsr(HV_MSR_TIME_REF_COUNT));
}

/* The index of the CPU we run on, from its APIC ID. */
static unsigned int this_cpu(void)
{
	uint32_t id, i;

	if (!have_apic)
		return 0;
	id = lapic_id();
	for (i = 0; i < nr_cpus; i++)
		if (cpu_apic[i] == id)
			return i;
	return 0;
}

static uint32_t step(uint32_t v, uint32_t n, uint32_t cpu)
{
	v ^= n * 0x9e3779b9u + cpu;
	v *= 0x85ebca6bu;
	v ^= v >> 13;
	v *= 0xc2b2ae35u;
	return v ^ (v >> 16);
}

static void compute(unsigned int cpu, uint32_t round)
{
	uint32_t v = value[cpu], n;

	for (n = 0; n < STEPS; n++)
		v = step(v, round * STEPS + n, cpu);
	value[cpu] = v;
	cli();
	check_clocks(cpu);
}

/* ---- Timers ----------------------------------------------------------- */

static void tick_handler(void)
{
	unsigned int cpu = this_cpu();
	uint64_t now;

	if (cpu == 0 && deadline_mode) {
		now = rdtsc();
		if (now < deadline)
			fail(EXIT_EARLY, "the TSC deadline fired %u cycles early",
			     (uint32_t)(deadline - now));
		deadline = now + DEADLINE_CYCLES;
		wrmsr(MSR_TSC_DEADLINE, deadline);
	}
	check_clocks(cpu);
	WRITE_ONCE(ticks[cpu], ticks[cpu] + 1);
	lapic_eoi();
}

static void timer_periodic(void)
{
	lapic_timer_periodic(TICK_VECTOR, TICK_US);
}

static void timer_deadline(void)
{
	lapic_write(APIC_LVT_TIMER, APIC_LVT_TSC_DEADLINE | TICK_VECTOR);
	deadline = rdtsc() + DEADLINE_CYCLES;
	wrmsr(MSR_TSC_DEADLINE, deadline);
}

/* Synthetic timer 0's message: checked, then its slot freed (TLFS). */
static void stimer_handler(void)
{
	struct hv_message *m = &simp[STIMER_SINT];
	uint64_t ref = rdmsr(HV_MSR_TIME_REF_COUNT);

	if (READ_ONCE(m->type) == HVMSG_TIMER_EXPIRED) {
		if (m->timer != 0 || ref < m->expiration ||
		    m->delivery < m->expiration)
			fail(EXIT_EARLY, "synthetic timer %u: expiry %x%08x, delivered %x%08x, now %x%08x",
			     m->timer, (uint32_t)(m->expiration >> 32),
			     (uint32_t)m->expiration, (uint32_t)(m->delivery >> 32),
			     (uint32_t)m->delivery, (uint32_t)(ref >> 32), (uint32_t)ref);
		WRITE_ONCE(stimer_ticks[0], stimer_ticks[0] + 1);
		WRITE_ONCE(m->type, 0);
		__sync_synchronize();
		if (READ_ONCE(m->flags) & 1)
			wrmsr(HV_MSR_EOM, 0);
	}
	check_clocks(0);
	lapic_eoi();
}

static void stimer_direct_handler(void)
{
	WRITE_ONCE(stimer_ticks[1], stimer_ticks[1] + 1);
	check_clocks(0);
	lapic_eoi();
}

static void stimers_start(void)
{
	set_irq_handler(STIMER_VECTOR, stimer_handler);
	set_irq_handler(STIMER_DIRECT_VECTOR, stimer_direct_handler);
	wrmsr(HV_MSR_SIMP, (uint32_t)simp | 1);
	wrmsr(HV_MSR_SINT(STIMER_SINT), STIMER_VECTOR);
	wrmsr(HV_MSR_SCONTROL, 1);
	wrmsr(HV_MSR_STIMER_COUNT(0), STIMER0_PERIOD);
	wrmsr(HV_MSR_STIMER_CONFIG(0), STIMER_ENABLE | STIMER_PERIODIC |
	      ((uint64_t)STIMER_SINT << 16));
	wrmsr(HV_MSR_STIMER_COUNT(1), STIMER1_PERIOD);
	wrmsr(HV_MSR_STIMER_CONFIG(1), STIMER_ENABLE | STIMER_PERIODIC |
	      STIMER_DIRECT | (STIMER_DIRECT_VECTOR << 4));
}

/* Halt until *@count reaches @n; fail if that takes WAIT_LIMIT wake-ups. */
static void wait_ticks(const uint32_t *count, uint32_t n, const char *what)
{
	uint32_t loops = 0;

	for (cli(); READ_ONCE(*count) < n; cli()) {
		if (++loops == WAIT_LIMIT)
			fail(EXIT_STOPPED, "%s stopped ticking", what);
		safe_halt();
	}
}

/* ---- Set-up ----------------------------------------------------------- */

static void provider_init(void)
{
	uint32_t a, sig[3], d, eax, ebx;

	cpuid(0x40000000, &a, &sig[0], &sig[1], &sig[2]);
	if (!memcmp(sig, "KVMKVMKVM\0\0\0", 12)) {
		cpuid(KVM_CPUID_FEATURES, &a, &sig[0], &sig[1], &d);
		provider = (a & KVM_FEATURE_CLOCKSOURCE2) ? PV_KVM : PV_OTHER;
	} else if (hv_features(&eax, &ebx)) {
		provider = PV_HYPERV;
		have_ref_tsc = eax & HV_REF_TSC;
		have_ref_count = eax & HV_REF_COUNTER;
		cpuid(0x40000003, &a, &ebx, &sig[0], &d);
		have_stimers = (eax & HV_SYNIC) && (eax & HV_STIMERS) &&
			       (d & HV_STIMER_DIRECT);
		wrmsr(HV_MSR_GUEST_OS_ID, HV_OS_ID_OPEN_SOURCE);
		if (have_ref_tsc)
			wrmsr(HV_MSR_REFERENCE_TSC, (uint32_t)&tsc_page | 1);
	} else if (a >= 0x40000000) {
		provider = PV_OTHER;
	}
}

/* Per CPU: kvmclock, the APIC and its timer. */
static void cpu_init(unsigned int cpu)
{
	if (provider == PV_KVM)
		wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint32_t)&pvti[cpu] | 1);
	if (have_apic)
		lapic_enable();
}

void ap_main(uint32_t apic_id)
{
	unsigned int cpu = this_cpu();
	uint32_t r;

	cpu_init(cpu);
	timer_periodic();
	for (r = 0; r < ROUNDS; r++) {
		while (READ_ONCE(go) <= r)
			cpu_relax();
		compute(cpu, r);
		wait_ticks(&ticks[cpu], READ_ONCE(ticks[cpu]) + TICKS, "an AP's APIC timer");
		__atomic_store_n(&done[cpu], r + 1, __ATOMIC_RELEASE);
	}
	lapic_timer_stop();
}

static void find_cpus(void)
{
	const struct madt *madt = acpi_find_madt();
	const struct madt_entry *e = NULL;
	const struct madt_lapic *l;

	nr_cpus = 1;
	if (!madt)
		return;
	have_apic = true;
	nr_cpus = 0;
	lapic_base = madt->lapic_addr;
	while ((e = madt_next(madt, e))) {
		l = (const void *)e;
		if (e->type != MADT_LAPIC || e->length < sizeof(*l) ||
		    !(l->flags & MADT_LAPIC_ENABLED))
			continue;
		if (l->apic_id >= MAX_CPUS)
			fail(EXIT_TOO_MANY, "APIC ID %u: more than it can take",
			     l->apic_id);
		cpu_apic[nr_cpus++] = l->apic_id;
	}
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	static const char *const names[] = { "none", "kvm", "hyperv", "other" };
	uint32_t r, i, result = 0;

	set_irq_handler(TICK_VECTOR, tick_handler);
	find_cpus();
	/* The BSP is the CPU we run on: index 0. */
	for (i = 0; have_apic && i < nr_cpus; i++) {
		if (cpu_apic[i] == lapic_id()) {
			cpu_apic[i] = cpu_apic[0];
			cpu_apic[0] = lapic_id();
		}
	}
	provider_init();
	printf("snap_mb: %u CPUs, provider %s\n", nr_cpus, names[provider]);
	cpu_init(0);
	smp_init();
	for (i = 1; i < nr_cpus; i++)
		ap_start(cpu_apic[i]);
	if (have_stimers && have_apic)
		stimers_start();
	if (have_apic)
		timer_periodic();

	for (r = 0; r < ROUNDS; r++) {
		uint32_t t0 = READ_ONCE(ticks[0]);
		uint32_t s0 = READ_ONCE(stimer_ticks[0]);
		uint32_t s1 = READ_ONCE(stimer_ticks[1]);

		WRITE_ONCE(go, r + 1);
		compute(0, r);
		if (have_apic)
			wait_ticks(&ticks[0], t0 + TICKS, "the BSP's APIC timer");
		if (have_stimers && have_apic) {
			wait_ticks(&stimer_ticks[0], s0 + TICKS, "synthetic timer 0");
			wait_ticks(&stimer_ticks[1], s1 + TICKS, "synthetic timer 1");
		}
		for (i = 1; i < nr_cpus; i++)
			while (__atomic_load_n(&done[i], __ATOMIC_ACQUIRE) != r + 1)
				safe_halt();
		/* The next round on the other kind of APIC timer. */
		cli();
		deadline_mode = have_apic && !deadline_mode;
		if (deadline_mode)
			timer_deadline();
		else if (have_apic)
			timer_periodic();
		printf("snap_mb: round %u:", r);
		for (i = 0; i < nr_cpus; i++) {
			printf(" %08x", value[i]);
			result = step(result, value[i], i);
		}
		printf("\n");
	}
	if (have_apic)
		lapic_timer_stop();
	printf("snap_mb: result %08x\n", result);
	return EXIT_OK;
}
