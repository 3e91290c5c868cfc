// SPDX-License-Identifier: GPL-2.0
/*
 * life_mb: a guest for the lifecycle tests (lifecycle_test.sh): it keeps
 * its vCPU busy with what a suspend must stop cleanly, and reports what a
 * suspend, resume or reset did to it. At boot it prints
 *   "life_mb: boot cold"  RAM was clear (power-on, hard reset), or
 *   "life_mb: boot warm"  RAM kept the marker an earlier boot left at
 *                         16 MiB, above the image (a soft reset),
 * sets the marker, and loops: it reads the TSC, keeping the longest gap
 * between two reads; it does a read-modify-write of the I/O APIC's
 * IOREGSEL (ORL 0: two MMIO exits, the value unchanged) and polls COM1
 * (IN exits). Input:
 *   'g'  print "life_mb: gap K" - the longest gap, in units of 1024 TSC
 *        ticks, since boot or the last 'g' - and start again;
 *   's'  spin in a loop without exits until the VM ends (the cap bench);
 *   'q'  exit with 42 (status 85).
 * The TSC gap tells whether guest time stopped while the VM was
 * suspended: it did if no gap is longer than the guest's own running.
 */
#include "apic.h"
#include "uart.h"

#define MARKER_ADDR	0x1000000
#define MARKER_MAGIC	0x11fec7c1

const char *const guest_name = "life_mb";

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Two MMIO exits, a read then a write of what was read. */
static inline void mmio_rmw(uint32_t addr)
{
	asm volatile("orl $0, %0" : "+m"(*(__volatile__ uint32_t *)addr)
		     : : "memory");
}

static __noreturn void spin(void)
{
	static uint32_t count;

	for (;;)
		WRITE_ONCE(count, READ_ONCE(count) + 1);
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t *marker = (uint32_t *)MARKER_ADDR;
	uint64_t now, last, max = 0, k;

	printf("life_mb: boot %s\n",
	       READ_ONCE(*marker) == MARKER_MAGIC ? "warm" : "cold");
	WRITE_ONCE(*marker, MARKER_MAGIC);
	last = rdtsc();
	for (;;) {
		now = rdtsc();
		if (now - last > max)
			max = now - last;
		last = now;
		mmio_rmw(IOAPIC_BASE);
		switch (uart_getc()) {
		case 'q':
			return EXIT_OK;
		case 'g':
			k = max >> 10;
			printf("life_mb: gap %u\n",
			       k > 0xffffffffULL ? 0xffffffffU : (uint32_t)k);
			max = 0;
			last = rdtsc();
			break;
		case 's':
			spin();
		}
	}
}
