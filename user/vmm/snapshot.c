// SPDX-License-Identifier: GPL-2.0
/*
 * Saving a paused machine to a snapshot file (snapshot.h; the format is
 * snapfile.h's, Documentation/snapshot.rst).
 *
 * Everything but memory is read first: the CPUID table the guest was
 * given, each vCPU's state groups, local APIC, MP state and provider
 * state, the devices' records, the power-on state a reset goes back to,
 * the provider's VM state, and last the guest TSC. Last, because the
 * local APIC's timer is saved as the time left until it fires when it is
 * read: with the TSC read after every such value, a restore that starts
 * the guest's TSC at the saved value can only make a timer fire later
 * than it would have, never earlier. Each vCPU's IA32_TSC is saved as that
 * one value (the VM has one TSC). A suspended machine (the control
 * socket's suspend, or its save, which suspends first) has its guest time
 * stopped: its TSC, provider clocks and timers are saved as the suspend
 * took them (clock.c), so a restore continues from the suspend.
 *
 * Then memory, chunk by chunk, each chunk's checksum taken and its
 * non-zero pages written where the layout put them; zero pages are not
 * written at all, and stay holes of the sparse file. The state goes to
 * the file's start at the end, with the chunk checksums.
 */
#define _GNU_SOURCE	/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "snapfile.h"
#include "snapshot.h"

__printf(4, 5)
static int save_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r < 0 ? r : -EIO;
}

static int save_cpuid(struct vmm *vmm, struct snap_writer *w, char *err,
		      size_t errlen)
{
	uint32_t nr = VESSEL_MAX_CPUID_ENTRIES;
	struct vessel_cpuid_entry *e;
	int r;

	e = calloc(nr, sizeof(*e));
	if (!e)
		return save_fail(err, errlen, -ENOMEM, "out of memory");
	r = vessel_vm_get_cpuid(&vmm->vm, e, &nr);
	if (r)
		r = save_fail(err, errlen, r, "cannot read the VM's CPUID table: %s",
			      strerror(-r));
	else if (snap_header_cpu(&w->h, e, nr))
		r = save_fail(err, errlen, -EINVAL, "the VM's CPUID table has no leaf 0 or 1");
	else
		snap_put_cpuid(snap_section(w, SNAP_SEC_CPUID, 0), e, nr);
	free(e);
	return r;
}

/*
 * The absolute path of @path, for a reset of the restored machine started
 * from anywhere: malloc'ed, or a copy of @path if it is gone (the reset
 * will then say so). NULL when out of memory.
 */
static char *abs_path(const char *path)
{
	char *p = realpath(path, NULL);

	return p ? p : strdup(path);
}

static void save_config(struct vmm *vmm, struct snap_writer *w)
{
	const struct vm_config *o = &vmm->cfg;
	struct snap_config c = {
		.mem = vmm->ram_size,
		.cpus = vmm->nr_vcpus,
		.irqchip = o->irqchip,
		.format = o->format,
		.image = abs_path(o->image),
		.cmdline = (char *)o->cmdline,
		.hv_debug = (char *)o->hv_debug,
		.nr_modules = o->nr_modules,
	};
	unsigned int i;

	/* One more than needed: never calloc(0). */
	c.module_paths = calloc(o->nr_modules + 1, sizeof(char *));
	c.module_cmdlines = calloc(o->nr_modules + 1, sizeof(char *));
	if (!c.image || !c.module_paths || !c.module_cmdlines) {
		w->error = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c.nr_modules; i++) {
		c.module_paths[i] = abs_path(o->modules[i].path);
		c.module_cmdlines[i] = (char *)o->modules[i].cmdline;
		if (!c.module_paths[i])
			w->error = -ENOMEM;
	}
	if (!w->error)
		snap_put_config(snap_section(w, SNAP_SEC_CONFIG, 0), &c);
out:
	for (i = 0; c.module_paths && i < c.nr_modules; i++)
		free(c.module_paths[i]);
	free(c.module_paths);
	free(c.module_cmdlines);
	free(c.image);
}

/* One vCPU's state groups, local APIC, MP and provider state. */
static int save_vcpu(struct vmm *vmm, unsigned int id, struct snap_vcpu *v)
{
	struct vessel_vcpu *vcpu = &vmm->vcpus[id];
	int r;

	r = vessel_vcpu_get_state(vcpu, &v->cpu.state, VESSEL_STATE_ALL);
	if (!r && vmm->lapic)
		r = vessel_vcpu_get_lapic(vcpu, &v->cpu.lapic);
	if (!r && vmm->lapic)
		r = vessel_vcpu_get_mp_state(vcpu, &v->cpu.mp);
	if (!r && (vmm->pv_provider == VESSEL_PV_KVM ||
		   vmm->pv_provider == VESSEL_PV_HYPERV))
		r = vessel_vcpu_get_pv_state(vcpu, &v->pv);
	if (!r && vmm->pv_provider == VESSEL_PV_HYPERV)
		r = vessel_vcpu_get_hv_msg_queue(vcpu, &v->msgq);
	/* Suspended: its timers as they were at the suspend (clock.c). */
	if (!r)
		vmm_clock_held_vcpu(vmm, id, &v->pv, &v->cpu.lapic);
	return r;
}

static int save_devices(struct vmm *vmm, struct snap_writer *w, char *err,
			size_t errlen)
{
	unsigned int i, n = 0;
	int r;

	for (i = 0; i < vmm->nr_devices; i++) {
		const struct hw_device_ops *ops = vmm->devices[i].ops;

		if (!ops->save)
			continue;
		r = ops->save(vmm->devices[i].dev, snap_section(w, SNAP_SEC_DEVICE, n++));
		if (r)
			return save_fail(err, errlen, r, "cannot save device %s: %s",
					 ops->name, strerror(-r));
	}
	return 0;
}

/* Everything but memory, into @w; the header's fields but the layout. */
static int save_state(struct vmm *vmm, struct snap_writer *w, char *err,
		      size_t errlen)
{
	struct vessel_lapic_info info;
	struct vessel_vcpu_state *tsc_state;
	struct vessel_pv_state pv_vm;
	struct snap_vcpu *v;
	struct snap_cpu po;
	unsigned int i;
	uint64_t tsc;
	int r;

	w->h.flags = vmm->lapic ? SNAP_F_LAPIC : 0;
	w->h.provider = vmm->pv_provider;
	w->h.provider_version = vmm->pv_version;
	w->h.nr_vcpus = vmm->nr_vcpus;
	w->h.chunk_size = SNAP_CHUNK_SIZE;
	w->h.nr_ram = 1;
	w->h.ram[0].gpa = 0;
	w->h.ram[0].size = vmm->ram_size;
	r = vessel_vm_get_lapic_info(&vmm->vm, &info);
	if (r)
		return save_fail(err, errlen, r, "cannot read the TSC frequency: %s",
				 strerror(-r));
	w->h.tsc_hz = info.tsc_hz;

	save_config(vmm, w);
	r = save_cpuid(vmm, w, err, errlen);
	if (r)
		return r;

	v = calloc(vmm->nr_vcpus, sizeof(*v));
	tsc_state = calloc(1, sizeof(*tsc_state));
	if (!v || !tsc_state) {
		r = save_fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < vmm->nr_vcpus; i++) {
		r = save_vcpu(vmm, i, &v[i]);
		if (r) {
			r = save_fail(err, errlen, r, "cannot read the state of vCPU %u: %s",
				      i, strerror(-r));
			goto out;
		}
	}
	r = save_devices(vmm, w, err, errlen);
	if (r)
		goto out;
	for (i = 0; i < vmm->nr_vcpus; i++) {
		po.state = vmm->power_on[i].state;
		po.lapic = vmm->power_on[i].lapic;
		po.mp = vmm->power_on[i].mp;
		snap_put_cpu(snap_section(w, SNAP_SEC_POWER_ON, i), &po,
			     vmm->lapic);
	}
	r = vessel_vm_get_pv_state(&vmm->vm, &pv_vm);
	/* Last: the guest TSC after every timer was read (see the top). */
	if (!r)
		r = vessel_vcpu_get_state(&vmm->vcpus[0], tsc_state,
					  VESSEL_STATE_MSRS);
	if (r) {
		r = save_fail(err, errlen, r, "cannot read the VM's provider state or TSC: %s",
			      strerror(-r));
		goto out;
	}
	tsc = tsc_state->msrs[VESSEL_MSR_TSC];
	/*
	 * A suspended machine's guest time stopped at the suspend: its TSC
	 * and provider clock are the ones taken then, with the timers above.
	 */
	vmm_clock_held_tsc(vmm, &tsc);
	vmm_clock_held_vm(vmm, &pv_vm);
	snap_put_vm(snap_section(w, SNAP_SEC_VM, 0), tsc, vmm->pv_provider,
		    &pv_vm);
	for (i = 0; i < vmm->nr_vcpus; i++) {
		struct hw_state_out *o = snap_section(w, SNAP_SEC_VCPU, i);

		v[i].cpu.state.msrs[VESSEL_MSR_TSC] = tsc;
		snap_put_cpu(o, &v[i].cpu, vmm->lapic);
		snap_put_vcpu_pv(o, vmm->pv_provider, &v[i].pv, &v[i].msgq);
	}
	r = snap_layout(w);
	if (r)
		r = save_fail(err, errlen, r, "cannot lay the file out: %s",
			      strerror(-r));
out:
	free(tsc_state);
	free(v);
	return r;
}

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[SNAP_PAGE_SIZE];

	return !memcmp(p, zero, SNAP_PAGE_SIZE);
}

/*
 * One chunk of guest memory at @ram (@len bytes) to file offset @off: its
 * runs of non-zero pages, each with one write; the zero pages between
 * them are holes.
 */
static int save_chunk(int fd, const uint8_t *ram, uint64_t len, uint64_t off)
{
	uint64_t p = 0, run;
	int r;

	while (p < len) {
		while (p < len && page_is_zero(ram + p))
			p += SNAP_PAGE_SIZE;
		run = p;
		while (p < len && !page_is_zero(ram + p))
			p += SNAP_PAGE_SIZE;
		if (p > run) {
			r = pwrite_all(fd, ram + run, p - run, off + run);
			if (r)
				return r;
		}
	}
	return 0;
}

static int save_memory(struct vmm *vmm, int fd, const struct snap_header *h,
		       uint64_t *sums, vmm_progress_fn progress, void *opaque)
{
	const uint8_t *ram = vmm->ram;
	uint64_t done = 0, len, k = 0;
	unsigned int i;
	int r;

	if (progress)
		progress(opaque, 0, h->ram_size);
	for (i = 0; i < h->nr_ram; i++) {
		const struct snap_ram *m = &h->ram[i];
		uint64_t c;

		for (c = 0; c < m->size; c += h->chunk_size) {
			len = m->size - c < h->chunk_size ? m->size - c :
							    h->chunk_size;
			sums[k++] = snap_checksum(ram + m->gpa + c, len);
			r = save_chunk(fd, ram + m->gpa + c, len, m->offset + c);
			if (r)
				return r;
			done += len;
			if (progress)
				progress(opaque, done, h->ram_size);
		}
	}
	return 0;
}

/* The directory entry of a rename lasts once its directory is synced. */
static void sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

static int save_file(struct vmm *vmm, struct snap_writer *w, const char *path,
		     vmm_progress_fn progress, void *opaque, char *err,
		     size_t errlen)
{
	const struct snap_header *h = &w->h;
	char tmp[PATH_MAX];
	uint64_t *sums = NULL, nr_sums = 0;
	uint8_t *state = NULL;
	size_t state_len;
	unsigned int i;
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return save_fail(err, errlen, -ENAMETOOLONG, "%s: %s", path,
				 strerror(ENAMETOOLONG));
	/* 0600: the file holds all of the guest's memory. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return save_fail(err, errlen, -errno, "cannot create a file beside %s: %s",
				 path, strerror(errno));
	for (i = 0; i < h->nr_ram; i++)
		nr_sums += snap_ram_chunks(&h->ram[i], h->chunk_size);
	sums = calloc(nr_sums, sizeof(*sums));
	if (!sums) {
		r = save_fail(err, errlen, -ENOMEM, "out of memory");
		goto err_unlink;
	}
	/* The whole size at once: what is never written stays a hole. */
	if (ftruncate(fd, h->file_size)) {
		r = save_fail(err, errlen, -errno, "%s: %s", tmp, strerror(errno));
		goto err_unlink;
	}
	r = save_memory(vmm, fd, h, sums, progress, opaque);
	if (r) {
		r = save_fail(err, errlen, r, "%s: writing guest memory: %s", tmp,
			      strerror(-r));
		goto err_unlink;
	}
	state = snap_encode(w, sums, &state_len);
	if (!state) {
		r = save_fail(err, errlen, -ENOMEM, "out of memory");
		goto err_unlink;
	}
	r = pwrite_all(fd, state, state_len, 0);
	if (!r && fsync(fd))
		r = -errno;
	if (r) {
		r = save_fail(err, errlen, r, "%s: %s", tmp, strerror(-r));
		goto err_unlink;
	}
	if (close(fd)) {
		fd = -1;
		r = save_fail(err, errlen, -errno, "%s: %s", tmp, strerror(errno));
		goto err_unlink;
	}
	fd = -1;
	if (rename(tmp, path)) {
		r = save_fail(err, errlen, -errno, "cannot rename %s to %s: %s",
			      tmp, path, strerror(errno));
		goto err_unlink;
	}
	sync_dir(path);
	free(state);
	free(sums);
	return 0;

err_unlink:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(state);
	free(sums);
	return r;
}

int vmm_save(struct vmm *vmm, const char *path, vmm_progress_fn progress,
	     void *opaque, char *err, size_t errlen)
{
	struct snap_writer *w;
	int r;

	if (errlen)
		err[0] = '\0';
	w = malloc(sizeof(*w));
	if (!w)
		return save_fail(err, errlen, -ENOMEM, "out of memory");
	snap_writer_init(w);
	r = save_state(vmm, w, err, errlen);
	if (!r)
		r = save_file(vmm, w, path, progress, opaque, err, errlen);
	snap_writer_free(w);
	free(w);
	return r;
}
