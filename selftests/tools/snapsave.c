// SPDX-License-Identifier: GPL-2.0
/*
 * snapsave: run a guest as `vessel run` would and save it to a snapshot
 * file once its output holds a given text, then stop it. For making the
 * stored snapshots of tests/snapshots/ and for the save figures, until a
 * script can ask a running `vessel run` for a save through its control
 * socket; it drives the VMM library as that socket's save does
 * (vmm_pause_locked(), vmm_save()).
 *
 *   snapsave [--mem MIB] [--cpus N] [--paravirt NAME] [--after TEXT]
 *            IMAGE FILE
 *
 * The guest's output goes to stdout (a file, which --after reads); at the
 * end one line to stderr: the save's time, the memory's size and the
 * rate. Exit status 0 when saved, 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/internal.h"
#include "vmm/snapshot.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *runner(void *arg)
{
	return (void *)(intptr_t)vmm_run(arg);
}

/* Whether the file behind stdout holds @text yet. */
static bool printed(const char *text)
{
	static char buf[1 << 16];
	int fd = open("/proc/self/fd/1", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return true;	/* not a file: do not wait */
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n < 0)
		return true;
	buf[n] = '\0';
	return strstr(buf, text);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "paravirt", required_argument, NULL, 'p' },
		{ "after", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config cfg = {
		.name = "snapsave", .mem = 64 << 20, .cpus = 1,
		.irqchip = VM_IRQCHIP_AUTO,
	};
	const char *after = NULL;
	uint64_t t0, t1, i;
	struct vmm *vmm;
	pthread_t thread;
	char err[256];
	int opt, r;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			cfg.mem = strtoull(optarg, NULL, 0) << 20;
			break;
		case 'c':
			cfg.cpus = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			for (i = 0; i < VM_NR_PV_PROVIDERS; i++)
				if (!strcmp(optarg, vm_pv_providers[i].name))
					cfg.pv_provider = vm_pv_providers[i].provider;
			break;
		case 'a':
			after = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 2) {
		fprintf(stderr, "usage: snapsave [--mem MIB] [--cpus N] [--paravirt NAME] [--after TEXT] IMAGE FILE\n");
		return 2;
	}
	cfg.image = argv[optind];
	if (vmm_create(&cfg, &vmm))
		return 1;
	pthread_create(&thread, NULL, runner, vmm);
	while (after && !printed(after) && !vmm->stopping)
		usleep(1000);
	pthread_mutex_lock(&vmm->lock);
	r = vmm_pause_locked(vmm, NULL);
	t0 = now_ns();
	if (!r)
		r = vmm_save(vmm, argv[optind + 1], NULL, NULL, err, sizeof(err));
	t1 = now_ns();
	if (r)
		fprintf(stderr, "snapsave: %s\n", r == -ECANCELED ?
			"the guest ended first" : err);
	else
		fprintf(stderr, "snapsave: saved %llu MiB of memory in %llu ms: %llu MB/s\n",
			(unsigned long long)(cfg.mem >> 20),
			(unsigned long long)(t1 - t0) / 1000000,
			(unsigned long long)(cfg.mem * 1000 / (t1 - t0 + 1)));
	vmm_stop_locked(vmm, 0);
	pthread_mutex_unlock(&vmm->lock);
	pthread_join(thread, NULL);
	vmm_destroy(vmm);
	return r ? 1 : 0;
}
