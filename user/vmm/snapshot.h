/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Save a machine to a snapshot file, build one from such a file, check a
 * file. The format is snapfile.h's (Documentation/snapshot.rst).
 */
#ifndef VESSEL_VMM_SNAPSHOT_H
#define VESSEL_VMM_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmm;

/* @done of @total bytes of guest memory are written. */
typedef void (*vmm_progress_fn)(void *opaque, uint64_t done, uint64_t total);

/**
 * vmm_save() - write the paused machine to @path
 *
 * The caller holds the device lock and has paused every vCPU
 * (vmm_pause_locked()); the machine is left as it was, paused. The file
 * is written beside @path under a temporary name and renamed to @path
 * once complete and synced, so @path is either the old file or the whole
 * new one. @progress (may be NULL) is called as memory is written, at
 * least once at 0 and once at the total.
 *
 * Returns 0, or -errno with one line in @err (@errlen bytes); then no
 * file is left behind (ENOSPC included) and the VM has lost nothing.
 */
int vmm_save(struct vmm *vmm, const char *path, vmm_progress_fn progress,
	     void *opaque, char *err, size_t errlen);

struct vmm_restore_opts {
	const char *name;	/* the prefix of every message */
	const char *path;
	/*
	 * Read all of memory into the VM's own RAM and verify every chunk
	 * first, instead of mapping the file for pages to load on first
	 * touch.
	 */
	bool eager;
	/* vessel run --control's socket, or NULL (Documentation/lifecycle.rst) */
	const char *control;
	/* Start suspended: vCPUs held before they run, until a resume. */
	bool paused;
};

/*
 * vmm_restore() - build the machine saved in @o->path, ready for
 * vmm_run() to continue where it stopped. Every check of the file (its
 * checksums and sizes, the CPU and the module it needs) passes before any
 * guest memory or vCPU is made; a file that fails one gets one line on
 * stderr naming what is wrong, and no machine. Returns 0 with *@vmm set,
 * or an exit status (VESSEL_EXIT_*).
 */
int vmm_restore(const struct vmm_restore_opts *o, struct vmm **vmm);

/*
 * vmm_snapshot_check() - check all of the snapshot @path, guest memory's
 * chunks too, without /dev/vessel. Prints one line: what the file holds,
 * to stdout, or what is wrong with it, to stderr. Returns an exit status.
 */
int vmm_snapshot_check(const char *name, const char *path);

#endif /* VESSEL_VMM_SNAPSHOT_H */
