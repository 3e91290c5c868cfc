// SPDX-License-Identifier: GPL-2.0
/*
 * touch_mb: a guest for the save and restore figures
 * (selftests/testbed/snapshot_bench.cmds). It fills FILL_MIB of its memory
 * from FILL_BASE with data (no page of it zero), prints
 *   "touch_mb: filled\n"
 * and waits about WAIT_CYCLES of its TSC, long enough to be saved there.
 * Then it reads one word of each of the first TOUCH_PAGES pages of that
 * memory, twice, timing each read with the TSC, and prints
 *   "touch_mb: first touch A cycles (max M), second touch B cycles\n"
 * (averages per page) and exits with 42 (status 85). Run straight, the
 * first touch costs what the second does: the pages are mapped. After a
 * lazy restore, each first touch reads its page from the snapshot file;
 * after an eager one, it maps a page already read in.
 */
#include "guest.h"

#define FILL_BASE	0x02000000	/* 32 MiB */
#define FILL_MIB	192
#define TOUCH_PAGES	4096		/* 16 MiB, a power of two */
#define PAGE_SIZE	4096
#define WAIT_CYCLES	50000000ULL

const char *const guest_name = "touch_mb";

static inline uint64_t rdtsc_ordered(void)
{
	uint64_t v;

	asm volatile("lfence; rdtsc" : "=A"(v) : : "memory");
	return v;
}

/* Average and largest cycles to read a word of each page. */
static void touch(uint32_t *avg, uint32_t *max)
{
	uint64_t sum = 0, t0, t;
	uint32_t i;

	*max = 0;
	for (i = 0; i < TOUCH_PAGES; i++) {
		t0 = rdtsc_ordered();
		(void)READ_ONCE(*(uint32_t *)(FILL_BASE + i * PAGE_SIZE));
		t = rdtsc_ordered() - t0;
		sum += t;
		if (t > *max)
			*max = t > 0xffffffffu ? 0xffffffffu : t;
	}
	*avg = sum >> 12;	/* TOUCH_PAGES */
}

int guest_main(uint32_t magic, const struct mb_info *mbi)
{
	uint32_t first, first_max, second, second_max, n;
	uint64_t t0;

	n = FILL_MIB << 18;	/* words */
	asm volatile("rep stosl" : "+D"((uint32_t){ FILL_BASE }), "+c"(n)
		     : "a"(0x5a5a5a5a) : "memory");
	printf("touch_mb: filled\n");
	t0 = rdtsc_ordered();
	while (rdtsc_ordered() - t0 < WAIT_CYCLES)
		cpu_relax();
	touch(&first, &first_max);
	touch(&second, &second_max);
	printf("touch_mb: first touch %u cycles (max %u), second touch %u cycles\n",
	       first, first_max, second);
	return EXIT_OK;
}
