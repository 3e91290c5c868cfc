// SPDX-License-Identifier: GPL-2.0
/*
 * clockcheck SECONDS: does CLOCK_MONOTONIC ever go backwards across CPUs?
 *
 * One thread per online CPU, each pinned to its CPU. They share the
 * largest value any of them has read. Each round a thread loads that
 * value, then reads its own clock: the load happened before the read, and
 * the value was read before it was published, so a monotonic clock can
 * only give at least as much. A smaller reading means the clock of this
 * CPU is behind a reading another CPU (or this one) already made. Then
 * the shared value is raised to the new reading.
 *
 * Prints one line: "clockcheck: CPUS cpus, READS reads, BACK backwards
 * (worst NS ns)" and exits 0 if BACK is 0, 1 if not, 2 on a set-up error.
 * Runs inside the Linux guest, so static and without the project's headers.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS	64

static _Atomic uint64_t last;
static _Atomic int stop;

struct worker {
	pthread_t tid;
	int cpu;
	uint64_t reads;
	uint64_t backwards;
	uint64_t worst;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t prev, t;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("clockcheck: sched_setaffinity");
		exit(2);
	}
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		prev = atomic_load(&last);
		t = now_ns();
		w->reads++;
		if (t < prev) {
			w->backwards++;
			if (prev - t > w->worst)
				w->worst = prev - t;
			continue;
		}
		while (t > prev && !atomic_compare_exchange_weak(&last, &prev, t))
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker w[MAX_CPUS] = { 0 };
	uint64_t reads = 0, back = 0, worst = 0;
	cpu_set_t online;
	int seconds, n = 0, cpu, i;

	seconds = argc > 1 ? atoi(argv[1]) : 10;
	if (seconds <= 0 || sched_getaffinity(0, sizeof(online), &online)) {
		fprintf(stderr, "usage: clockcheck SECONDS\n");
		return 2;
	}
	atomic_store(&last, now_ns());
	for (cpu = 0; cpu < CPU_SETSIZE && n < MAX_CPUS; cpu++) {
		if (!CPU_ISSET(cpu, &online))
			continue;
		w[n].cpu = cpu;
		if (pthread_create(&w[n].tid, NULL, work, &w[n])) {
			fprintf(stderr, "clockcheck: cannot start a thread\n");
			return 2;
		}
		n++;
	}
	sleep(seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++) {
		pthread_join(w[i].tid, NULL);
		reads += w[i].reads;
		back += w[i].backwards;
		if (w[i].worst > worst)
			worst = w[i].worst;
	}
	printf("clockcheck: %d cpus, %llu reads, %llu backwards (worst %llu ns)\n",
	       n, (unsigned long long)reads, (unsigned long long)back,
	       (unsigned long long)worst);
	return back ? 1 : 0;
}
