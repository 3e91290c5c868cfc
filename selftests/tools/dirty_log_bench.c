// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of dirty logging: a guest rewrites a region of memory, one
 * 8-byte store per page, pass after pass, for a fixed time, first with
 * logging off and then with logging on while the host does what a live
 * migration's pre-copy does (GET, CLEAR, copy the dirty pages) round after
 * round.  Prints "bench dirty_log ..." lines; never fails on speed.
 *
 *   dirty_log_bench [MIB [SECONDS [ROUND_MS [VCPUS]]]]
 *
 * Defaults: 16 MiB, 2 s per mode, a round every 20 ms, 1 vCPU.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define PAGE		4096ULL
#define SLOT		1
#define GPA		0x40000000ULL
#define MAX_VCPUS	8

static uint64_t nr_pages;
static uint64_t stop;
/* Pages each vCPU has written, in guest memory, read by the host. */
static uint64_t written[MAX_VCPUS];

static void guest_rewrite(uint64_t id, uint64_t nr)
{
	uint64_t pass, pg, pages = READ_ONCE(nr_pages);

	for (pass = 1; !READ_ONCE(stop); pass++) {
		for (pg = id; pg < pages; pg += nr)
			WRITE_ONCE(*(uint64_t *)(GPA + pg * PAGE), pass);
		WRITE_ONCE(written[id], READ_ONCE(written[id]) +
			   (pages - id + nr - 1) / nr);
	}
	GUEST_DONE();
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void *vcpu_thread(void *arg)
{
	vcpu_run_expect_done(arg);
	return NULL;
}

static uint64_t total_written(struct vm *vm, unsigned int nr)
{
	uint64_t *w = addr_gva2hva(vm, &written[0]), sum = 0;
	unsigned int i;

	for (i = 0; i < nr; i++)
		sum += READ_ONCE(w[i]);
	return sum;
}

static int dirty_ioctl(struct vm *vm, unsigned long cmd, uint64_t *bitmap)
{
	struct vessel_dirty_log d = {
		.slot = SLOT, .num_pages = nr_pages,
		.bitmap = (uintptr_t)bitmap,
	};

	return __vm_ioctl(vm, cmd, &d);
}

struct result {
	double pages_per_s;
	unsigned int rounds;
	double dirty_per_round;
	double round_us;
	uint64_t dirty_faults;
};

/* One mode: @log 0 off, 1 on with rounds. */
static void measure(uint64_t mib, double seconds, unsigned int round_ms,
		    unsigned int nr, bool log, struct result *res)
{
	uint64_t words = (nr_pages + 63) / 64, pg, w0, w1, dirty = 0;
	uint64_t *bitmap = calloc(words, 8);
	uint8_t *copy = malloc(nr_pages * PAGE), *mem;
	pthread_t threads[MAX_VCPUS];
	struct vessel_counters c;
	double t0, t1, t, spent = 0;
	struct vm *vm;
	unsigned int i;

	TEST_ASSERT(bitmap && copy, "out of memory");
	vm = vm_create(nr, 0, guest_rewrite);
	guest_global(vm, nr_pages) = nr_pages;
	mem = vm_mem_add(vm, SLOT, log ? VESSEL_MEM_LOG_DIRTY : 0, GPA,
			 nr_pages * PAGE, NULL);
	for (i = 0; i < nr; i++) {
		vcpu_args_set(vm->vcpus[i], 2, (uint64_t)i, (uint64_t)nr);
		TEST_ASSERT(!pthread_create(&threads[i], NULL, vcpu_thread,
					    vm->vcpus[i]), "pthread_create");
	}
	/* Until every page has been written once: the faults that map. */
	while (total_written(vm, nr) < nr_pages)
		usleep(1000);
	memset(res, 0, sizeof(*res));
	t0 = now();
	w0 = total_written(vm, nr);
	do {
		usleep(round_ms * 1000);
		if (!log)
			continue;
		t = now();
		TEST_ASSERT(!dirty_ioctl(vm, VESSEL_GET_DIRTY_LOG, bitmap),
			    "GET: %s", strerror(errno));
		TEST_ASSERT(!dirty_ioctl(vm, VESSEL_CLEAR_DIRTY_LOG, bitmap),
			    "CLEAR: %s", strerror(errno));
		for (pg = 0; pg < nr_pages; pg++) {
			if (!(bitmap[pg / 64] & (1ULL << (pg % 64))))
				continue;
			memcpy(copy + pg * PAGE, mem + pg * PAGE, PAGE);
			dirty++;
		}
		spent += now() - t;
		res->rounds++;
	} while (now() - t0 < seconds);
	w1 = total_written(vm, nr);
	t1 = now();
	guest_global(vm, stop) = 1;
	for (i = 0; i < nr; i++)
		pthread_join(threads[i], NULL);
	memset(&c, 0, sizeof(c));
	vm_ioctl(vm, VESSEL_GET_COUNTERS, &c);

	res->pages_per_s = (w1 - w0) / (t1 - t0);
	if (res->rounds) {
		res->dirty_per_round = (double)dirty / res->rounds;
		res->round_us = spent / res->rounds * 1e6;
	}
	res->dirty_faults = c.dirty_faults;
	vm_free(vm);
	free(bitmap);
	free(copy);
	(void)mib;
}

int main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 0) : 16;
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 2;
	unsigned int round_ms = argc > 3 ? strtoul(argv[3], NULL, 0) : 20;
	unsigned int nr = argc > 4 ? strtoul(argv[4], NULL, 0) : 1;
	struct result off, on;

	if (!mib || mib > 1024 || seconds <= 0 || !round_ms || !nr ||
	    nr > MAX_VCPUS) {
		fprintf(stderr, "usage: %s [MIB [SECONDS [ROUND_MS [VCPUS]]]]\n",
			argv[0]);
		return 2;
	}
	nr_pages = mib << 20 >> 12;
	measure(mib, seconds, round_ms, nr, false, &off);
	measure(mib, seconds, round_ms, nr, true, &on);
	printf("bench dirty_log region %lu MiB, %u vCPU(s), %.1f s per mode, a round every %u ms\n",
	       (unsigned long)mib, nr, seconds, round_ms);
	printf("bench dirty_log off: %.0f pages/s rewritten\n", off.pages_per_s);
	printf("bench dirty_log on:  %.0f pages/s rewritten, %u rounds, %.0f dirty pages and %.0f us (GET, CLEAR, copy) per round, %lu write faults\n",
	       on.pages_per_s, on.rounds, on.dirty_per_round, on.round_us,
	       (unsigned long)on.dirty_faults);
	printf("bench dirty_log overhead: the guest rewrites %.1f%% slower with logging on\n",
	       off.pages_per_s > 0 ?
	       100.0 * (1 - on.pages_per_s / off.pages_per_s) : 0.0);
	return 0;
}
