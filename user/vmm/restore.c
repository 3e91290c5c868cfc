// SPDX-License-Identifier: GPL-2.0
/*
 * A machine built from a snapshot file (snapshot.h), and the file checked
 * on its own (`vessel snapshot check`).
 *
 * Order: the file first, all of it but memory's contents (snapfile.c's
 * parser: checksums, sizes, every field); with --eager all of memory too,
 * read into the VM's own RAM and held against its chunk checksums. Then
 * the board, its devices loaded from their records (each model checks its
 * own); /dev/vessel and its limits; a VM with the saved flags, provider
 * and interface version, whose default CPUID table says what this host's
 * module offers: every feature the guest was given must be in it, and the
 * TSC must run at the saved rate. Only then guest memory (without
 * --eager, a private mapping of the file: pages load on first touch, and
 * the guest's writes stay in this process), the vCPUs, their state, and
 * the power-on state a reset goes back to.
 *
 * The guest continues exactly where it stopped: its TSC is set to the
 * saved value, so kvmclock, Hyper-V's reference time and TSC page, and
 * every TSC deadline continue from where they were, and the local APIC's
 * timers and the synthetic timers are re-armed for the time they had
 * left. No guest time passes while a VM is saved. State is set in the
 * order the ABI asks (api.rst): the vCPUs' registers (which set the TSC),
 * local APICs and MP states, then the provider's VM state (its clock)
 * before the vCPUs' (their timers), then Hyper-V's message queues.
 */
#define _GNU_SOURCE	/* SEEK_DATA, SEEK_HOLE */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "internal.h"
#include "snapfile.h"
#include "snapshot.h"

/* The TSC rate a guest may be restored at: KVM's default tolerance. */
#define TSC_TOLERANCE_PPM	250
/* Reads of memory to check it: a chunk may be up to 1 GiB. */
#define CHECK_BUF		(1U << 20)

/* What a restored machine was built from, freed with it. */
struct vmm_restored {
	struct snap snap;
	uint8_t *state;		/* the file's state bytes: records point in */
	struct vm_module *modules;
};

void vmm_free_restored(struct vmm *vmm)
{
	struct vmm_restored *r = vmm->restored;

	if (!r)
		return;
	snap_free(&r->snap);
	free(r->state);
	free(r->modules);
	free(r);
	vmm->restored = NULL;
}

__printf(2, 3)
static void rs_error(const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmm_verror(name, fmt, ap);
	va_end(ap);
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;	/* the file shrank under us */
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

/*
 * Open @path and parse everything before memory into @r. Returns the
 * file's descriptor, or -1 after one line.
 */
static int snap_open(const char *name, const char *path,
		     struct vmm_restored *r)
{
	uint8_t head[SNAP_HEADER_SIZE];
	uint64_t state_end;
	struct stat st;
	char err[256];
	size_t n;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rs_error(name, "%s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rs_error(name, "%s: %s", path, errno ? strerror(errno) :
			 "not a regular file");
		goto err_close;
	}
	n = (uint64_t)st.st_size < sizeof(head) ? (size_t)st.st_size :
						  sizeof(head);
	e = pread_all(fd, head, n, 0);
	if (!e && snap_parse_header(head, n, st.st_size, &r->snap.h, &state_end,
				    err, sizeof(err)))
		goto err_parse;
	if (e) {
		rs_error(name, "%s: %s", path, strerror(-e));
		goto err_close;
	}
	/* At most SNAP_MAX_STATE: the header was checked. */
	r->state = malloc(state_end);
	if (!r->state) {
		rs_error(name, "%s: out of memory", path);
		goto err_close;
	}
	e = pread_all(fd, r->state, state_end, 0);
	if (e) {
		rs_error(name, "%s: %s", path, strerror(-e));
		goto err_close;
	}
	if (!snap_parse(r->state, state_end, st.st_size, &r->snap, err,
			sizeof(err)))
		return fd;
err_parse:
	rs_error(name, "%s: %s", path, err);
err_close:
	close(fd);
	return -1;
}

/* ---- Memory ----------------------------------------------------------- */

static uint64_t chunk_len(const struct snap_ram *m, uint64_t c,
			  uint64_t chunk_size)
{
	return m->size - c < chunk_size ? m->size - c : chunk_size;
}

__printf(4, 5)
static int chunk_bad(const char *name, const char *path, uint64_t gpa,
		     const char *fmt, ...)
{
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rs_error(name, "%s: guest memory at %#" PRIx64 ": %s", path, gpa, what);
	return VESSEL_EXIT_FAILURE;
}

/* Every memory chunk of the file, read from it, against its checksum. */
static int verify_file_memory(const char *name, const char *path, int fd,
			      const struct snap *s, uint64_t *data)
{
	const struct snap_header *h = &s->h;
	XXH3_state_t *xs = XXH3_createState();
	uint8_t *buf = malloc(CHECK_BUF);
	uint64_t k = 0, c, p, len, n;
	unsigned int i;
	int e, status = VESSEL_EXIT_FAILURE;

	*data = 0;
	if (!xs || !buf) {
		rs_error(name, "out of memory");
		goto out;
	}
	for (i = 0; i < h->nr_ram; i++) {
		const struct snap_ram *m = &h->ram[i];

		for (c = 0; c < m->size; c += h->chunk_size, k++) {
			len = chunk_len(m, c, h->chunk_size);
			XXH3_64bits_reset(xs);
			for (p = 0; p < len; p += n) {
				n = len - p < CHECK_BUF ? len - p : CHECK_BUF;
				e = pread_all(fd, buf, n, m->offset + c + p);
				if (e) {
					rs_error(name, "%s: %s", path, strerror(-e));
					goto out;
				}
				XXH3_64bits_update(xs, buf, n);
			}
			if (XXH3_64bits_digest(xs) != s->chunk_sums[k]) {
				chunk_bad(name, path, m->gpa + c,
					  "the checksum of its chunk does not match: it is corrupt");
				goto out;
			}
		}
		/* How much of it is data rather than holes, for the summary. */
		for (p = m->offset; p < m->offset + m->size; ) {
			off_t d = lseek(fd, p, SEEK_DATA), hole;

			if (d < 0 || (uint64_t)d >= m->offset + m->size)
				break;
			hole = lseek(fd, d, SEEK_HOLE);
			if (hole < 0 || (uint64_t)hole > m->offset + m->size)
				hole = m->offset + m->size;
			*data += hole - d;
			p = hole;
		}
	}
	status = 0;
out:
	free(buf);
	XXH3_freeState(xs);
	return status;
}

/*
 * --eager: anonymous RAM, the file's data read into it (its holes are
 * already zero, so only the data is read), every chunk checked.
 */
static int restore_memory_eager(struct vmm *vmm, const char *path, int fd)
{
	const struct snap *s = &vmm->restored->snap;
	const struct snap_ram *m = &s->h.ram[0];
	uint64_t end = m->offset + m->size, p, c, k;
	uint8_t *ram;
	int status, e;

	status = vmm_map_ram(vmm, m->size);
	if (status)
		return status;
	ram = vmm->ram;
	for (p = m->offset; p < end; ) {
		off_t d = lseek(fd, p, SEEK_DATA), hole;

		if (d < 0 && errno == ENXIO)
			break;		/* holes to the end */
		if (d < 0) {
			rs_error(vmm->cfg.name, "%s: %s", path, strerror(errno));
			return VESSEL_EXIT_FAILURE;
		}
		if ((uint64_t)d >= end)
			break;
		hole = lseek(fd, d, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > end)
			hole = end;
		e = pread_all(fd, ram + (d - m->offset), hole - d, d);
		if (e) {
			rs_error(vmm->cfg.name, "%s: %s", path, strerror(-e));
			return VESSEL_EXIT_FAILURE;
		}
		p = hole;
	}
	for (c = 0, k = 0; c < m->size; c += s->h.chunk_size, k++)
		if (snap_checksum(ram + c, chunk_len(m, c, s->h.chunk_size)) !=
		    s->chunk_sums[k])
			return chunk_bad(vmm->cfg.name, path, m->gpa + c,
					 "the checksum of its chunk does not match: it is corrupt");
	return 0;
}

/*
 * Without --eager: a private mapping of the file. The module's EPT faults
 * take pages through get_user_pages() as from any memory of the process,
 * which reads them from the file and copies each on its first touch.
 */
static int restore_memory_lazy(struct vmm *vmm, const char *path, int fd)
{
	const struct snap_ram *m = &vmm->restored->snap.h.ram[0];
	void *ram;

	ram = mmap(NULL, m->size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_NORESERVE, fd, m->offset);
	if (ram == MAP_FAILED) {
		rs_error(vmm->cfg.name, "%s: cannot map guest memory: %s", path,
			 strerror(errno));
		return VESSEL_EXIT_FAILURE;
	}
	vmm->ram = ram;
	vmm->ram_size = m->size;
	vmm->ram_file = true;
	return 0;
}

/* ---- Devices ---------------------------------------------------------- */

/*
 * Every device of the board from its record: each device with state has
 * exactly one (unless the file's format predates the device), and there
 * is none for a device the board lacks. A model's load checks every value
 * and changes nothing when it fails.
 */
static int restore_devices(struct vmm *vmm, const struct snap *s,
			   const char *path)
{
	bool used[SNAP_MAX_DEVICES] = { false };
	char err[256];
	unsigned int i, j;

	for (i = 0; i < vmm->nr_devices; i++) {
		const struct hw_device_ops *ops = vmm->devices[i].ops;

		if (!ops->load)
			continue;
		for (j = 0; j < s->nr_devices; j++)
			if (!strcmp(s->devices[j].name, ops->name))
				break;
		if (j == s->nr_devices && s->h.minor < ops->snap_since_minor)
			continue;
		if (j == s->nr_devices) {
			rs_error(vmm->cfg.name, "%s: no state for device %s of this machine",
				 path, ops->name);
			return VESSEL_EXIT_FAILURE;
		}
		if (ops->load(vmm->devices[i].dev, s->devices[j].record,
			      s->devices[j].len, err, sizeof(err))) {
			rs_error(vmm->cfg.name, "%s: %s", path, err);
			return VESSEL_EXIT_FAILURE;
		}
		used[j] = true;
	}
	for (j = 0; j < s->nr_devices; j++) {
		if (!used[j]) {
			rs_error(vmm->cfg.name, "%s: state for a device %s this machine does not have",
				 path, s->devices[j].name);
			return VESSEL_EXIT_FAILURE;
		}
	}
	return 0;
}

/* The board of the saved machine, on a bus of its own, loaded. */
static int restore_board(struct vmm *vmm, const struct snap *s,
			 const char *path)
{
	int status;

	io_bus_init(&vmm->bus);
	status = vmm_add_devices(vmm);
	if (!status)
		status = restore_devices(vmm, s, path);
	return status;
}

/* ---- The host ---------------------------------------------------------- */

static int check_caps(struct vmm *vmm, const struct snap *s)
{
	const struct vessel_caps *caps = &vmm->sys.caps;
	char err[256];

	if (vessel_sys_open(&vmm->sys, err, sizeof(err))) {
		vmm_error(vmm, "%s", err);
		return VESSEL_EXIT_NODEV;
	}
	if (s->h.ram_size > caps->max_mem_bytes || s->h.nr_vcpus > caps->max_vcpus) {
		vmm_error(vmm, "the snapshot has %" PRIu64 " MiB and %u vCPUs; %s allows %" PRIu64 " MiB and %u",
			  s->h.ram_size / MIB, s->h.nr_vcpus, VESSEL_DEVICE,
			  (uint64_t)caps->max_mem_bytes / MIB, caps->max_vcpus);
		return VESSEL_EXIT_FAILURE;
	}
	if (s->h.provider != VESSEL_PV_NONE &&
	    !(caps->flags & vm_pv_providers[s->h.provider].cap)) {
		vmm_error(vmm, "the snapshot's paravirtual provider %s is not offered by this %s",
			  snap_provider_name(s->h.provider), VESSEL_DEVICE);
		return VESSEL_EXIT_FAILURE;
	}
	if ((s->h.flags & SNAP_F_LAPIC) && !(caps->flags & VESSEL_CAP_LAPIC)) {
		vmm_error(vmm, "the snapshot's VM has an in-kernel local APIC, which this %s lacks",
			  VESSEL_DEVICE);
		return VESSEL_EXIT_FAILURE;
	}
	return 0;
}

static int create_vm(struct vmm *vmm, const struct snap *s)
{
	uint32_t flags = (s->h.flags & SNAP_F_LAPIC) ? VESSEL_VM_LAPIC : 0;

	if (!vessel_vm_create_pv(&vmm->sys, &vmm->vm, flags, s->h.provider,
				 s->h.provider_version)) {
		vmm->lapic = flags;
		return 0;
	}
	if (errno == EINVAL)
		vmm_error(vmm, "the snapshot needs paravirtual provider %s version %u, which this %s does not have",
			  snap_provider_name(s->h.provider),
			  s->h.provider_version, VESSEL_DEVICE);
	else
		vmm_error(vmm, "cannot create a VM: %s", strerror(errno));
	return VESSEL_EXIT_FAILURE;
}

/*
 * The guest's CPU against this host's: the vendor, every feature the
 * guest was given and the XSAVE components, held against the table the
 * module gives a new VM of the same kind here; and the TSC's rate.
 */
static int check_host(struct vmm *vmm, const struct snap *s)
{
	struct vessel_cpuid_entry *e;
	struct vessel_lapic_info info;
	struct snap_header host = { 0 };
	uint32_t nr = VESSEL_MAX_CPUID_ENTRIES;
	uint64_t diff;
	unsigned int i;
	int status = VESSEL_EXIT_FAILURE;

	e = calloc(nr, sizeof(*e));
	if (!e) {
		vmm_error(vmm, "out of memory");
		return status;
	}
	if (vessel_vm_get_cpuid(&vmm->vm, e, &nr) ||
	    snap_header_cpu(&host, e, nr)) {
		vmm_error(vmm, "cannot read this host's CPUID table: %s",
			  strerror(errno));
		goto out;
	}
	if (memcmp(host.vendor, s->h.vendor, 12)) {
		vmm_error(vmm, "the guest ran on a %.12s CPU, this host's is %.12s",
			  s->h.vendor, host.vendor);
		goto out;
	}
	for (i = 0; i < SNAP_NR_FEATURES; i++) {
		uint32_t missing = s->h.features[i] & ~host.features[i];

		if (missing) {
			vmm_error(vmm, "the guest was given CPU features this host lacks: %s bits %#x",
				  snap_feature_words[i].name, missing);
			goto out;
		}
	}
	if (s->h.xcr0 & ~host.xcr0) {
		vmm_error(vmm, "the guest was given XSAVE components this host lacks: XCR0 bits %#" PRIx64,
			  s->h.xcr0 & ~host.xcr0);
		goto out;
	}
	if (vessel_vm_get_lapic_info(&vmm->vm, &info)) {
		vmm_error(vmm, "cannot read this host's TSC frequency: %s",
			  strerror(errno));
		goto out;
	}
	diff = info.tsc_hz > s->h.tsc_hz ? info.tsc_hz - s->h.tsc_hz :
					   s->h.tsc_hz - info.tsc_hz;
	if (diff > s->h.tsc_hz / 1000000 * TSC_TOLERANCE_PPM) {
		vmm_error(vmm, "the guest's TSC ran at %" PRIu64 " kHz, this host's runs at %" PRIu64
			  " kHz, and Vessel cannot scale it",
			  s->h.tsc_hz / 1000, (uint64_t)info.tsc_hz / 1000);
		goto out;
	}
	if (vessel_vm_set_cpuid(&vmm->vm, s->cpuid, s->nr_cpuid)) {
		vmm_error(vmm, "cannot give the VM its CPUID table: %s",
			  strerror(errno));
		goto out;
	}
	status = 0;
out:
	free(e);
	return status;
}

/* ---- vCPUs ------------------------------------------------------------ */

static int set_vcpus(struct vmm *vmm, const struct snap *s)
{
	struct vessel_vcpu_state *st;
	unsigned int i;
	int r = 0;

	st = malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (i = 0; !r && i < vmm->nr_vcpus; i++) {
		*st = s->vcpus[i].cpu.state;
		st->msrs[VESSEL_MSR_TSC] = s->tsc;
		r = vessel_vcpu_set_state(&vmm->vcpus[i], st, SNAP_STATE_PARTS);
	}
	free(st);
	for (i = 0; !r && vmm->lapic && i < vmm->nr_vcpus; i++) {
		r = vessel_vcpu_set_lapic(&vmm->vcpus[i], &s->vcpus[i].cpu.lapic);
		if (!r)
			r = vessel_vcpu_set_mp_state(&vmm->vcpus[i],
						     &s->vcpus[i].cpu.mp);
	}
	if (r || (s->h.provider != VESSEL_PV_KVM &&
		  s->h.provider != VESSEL_PV_HYPERV))
		return r;
	r = vessel_vm_set_pv_state(&vmm->vm, &s->pv_vm);
	for (i = 0; !r && i < vmm->nr_vcpus; i++) {
		r = vessel_vcpu_set_pv_state(&vmm->vcpus[i], &s->vcpus[i].pv);
		if (!r && s->h.provider == VESSEL_PV_HYPERV)
			r = vessel_vcpu_set_hv_msg_queue(&vmm->vcpus[i],
							 &s->vcpus[i].msgq);
	}
	return r;
}

static int restore_vcpus(struct vmm *vmm, const struct snap *s)
{
	unsigned int i, cpus = s->h.nr_vcpus;
	int r;

	vmm->vcpus = calloc(cpus, sizeof(*vmm->vcpus));
	vmm->power_on = calloc(cpus, sizeof(*vmm->power_on));
	if (!vmm->vcpus || !vmm->power_on) {
		vmm_error(vmm, "out of memory");
		return VESSEL_EXIT_FAILURE;
	}
	for (; vmm->nr_vcpus < cpus; vmm->nr_vcpus++) {
		if (vessel_vcpu_create(&vmm->vm, vmm->nr_vcpus,
				       &vmm->vcpus[vmm->nr_vcpus])) {
			vmm_error(vmm, "cannot create vCPU %u: %s", vmm->nr_vcpus,
				  strerror(errno));
			return VESSEL_EXIT_FAILURE;
		}
	}
	r = set_vcpus(vmm, s);
	if (r) {
		/* The file passed every check of ours: the CPU refused it. */
		vmm_error(vmm, "the module refused the saved vCPU state: %s",
			  strerror(-r));
		return VESSEL_EXIT_FAILURE;
	}
	for (i = 0; i < cpus; i++) {
		vmm->power_on[i].state = s->power_on[i].state;
		vmm->power_on[i].lapic = s->power_on[i].lapic;
		vmm->power_on[i].mp = s->power_on[i].mp;
	}
	return 0;
}

/* ---- The machine ------------------------------------------------------ */

/* The config the saved machine was built from, its strings in @r. */
static int restore_config(struct vmm *vmm, struct vmm_restored *r,
			  const char *name)
{
	const struct snap_config *c = &r->snap.cfg;
	struct vm_config *o = &vmm->cfg;
	uint32_t i;

	r->modules = calloc(c->nr_modules + 1, sizeof(*r->modules));
	if (!r->modules)
		return -ENOMEM;
	for (i = 0; i < c->nr_modules; i++) {
		r->modules[i].path = c->module_paths[i];
		r->modules[i].cmdline = c->module_cmdlines[i];
	}
	o->name = name;
	o->mem = c->mem;
	o->cpus = c->cpus;
	o->image = c->image;
	o->format = c->format;
	o->cmdline = c->cmdline;
	o->modules = r->modules;
	o->nr_modules = c->nr_modules;
	o->irqchip = c->irqchip;
	o->pv_provider = r->snap.h.provider;
	o->pv_version = r->snap.h.provider_version;
	o->hv_debug = c->hv_debug;
	vmm->con.name = name;
	vmm->lapic = r->snap.h.flags & SNAP_F_LAPIC;
	vmm->pv_provider = r->snap.h.provider;
	vmm->pv_version = r->snap.h.provider_version;
	return 0;
}

int vmm_restore(const struct vmm_restore_opts *o, struct vmm **out)
{
	uint64_t start = vmm_timer_now();
	struct vmm_restored *r;
	struct snap *s;
	struct vmm *vmm;
	char err[128];
	int fd = -1, fd_r, status = VESSEL_EXIT_FAILURE;

	vmm = calloc(1, sizeof(*vmm));
	r = calloc(1, sizeof(*r));
	if (!vmm || !r) {
		rs_error(o->name, "out of memory");
		goto err_free;
	}
	vmm->sys.fd = vmm->vm.fd = -1;
	vmm->restore_start_ns = start;
	/* As vmm_create(): the lifecycle from created, no execution cap. */
	vmm_lc_init(&vmm->lc);
	atomic_init(&vmm->cpu_cap, 100);
	fd = snap_open(o->name, o->path, r);
	if (fd < 0)
		goto err_free;
	vmm->restored = r;
	s = &r->snap;
	if (restore_config(vmm, r, o->name)) {
		rs_error(o->name, "out of memory");
		goto err_close_fd;
	}
	vmm->cfg.control = o->control;
	vmm->start_held = o->paused;
	if (s->h.nr_ram != 1 || s->h.ram[0].gpa) {
		vmm_error(vmm, "%s: memory in %u ranges from %#" PRIx64 ": this vessel builds machines with one range from 0",
			  o->path, s->h.nr_ram, s->h.ram[0].gpa);
		goto err_close_fd;
	}
	if (o->eager) {
		status = restore_memory_eager(vmm, o->path, fd);
		if (status)
			goto err_unmap;
	}
	vmm->restore_step_ns[0] = vmm_timer_now();
	status = vmm_open_hv_debug(vmm);
	if (status)
		goto err_unmap;
	status = vmm_sync_init(vmm);
	if (status)
		goto err_close_hv_debug;
	fd_r = vmm_timers_init(&vmm->timers);
	if (fd_r) {
		vmm_error(vmm, "timerfd: %s", strerror(-fd_r));
		status = VESSEL_EXIT_FAILURE;
		goto err_free_sync;
	}
	status = restore_board(vmm, s, o->path);
	if (status)
		goto err_free_bus;
	vmm->restore_step_ns[1] = vmm_timer_now();

	/* The file holds together: now the host. */
	status = check_caps(vmm, s);
	if (status)
		goto err_close_sys;
	status = create_vm(vmm, s);
	if (status)
		goto err_close_sys;
	status = check_host(vmm, s);
	if (status)
		goto err_close_vm;
	vmm->restore_step_ns[2] = vmm_timer_now();
	if (!o->eager) {
		status = restore_memory_lazy(vmm, o->path, fd);
		if (status)
			goto err_close_vm;
	}
	status = VESSEL_EXIT_FAILURE;
	if (vessel_vm_set_memory(&vmm->vm, 0, 0, 0, vmm->ram_size, vmm->ram)) {
		vmm_error(vmm, "cannot give the VM its %" PRIu64 " MiB of memory: %s",
			  vmm->ram_size / MIB, strerror(errno));
		goto err_close_vm;
	}
	status = restore_vcpus(vmm, s);
	if (status)
		goto err_close_vcpus;
	/* Last: a client may connect once it exists, to a whole machine. */
	status = vmm_control_open(vmm);
	if (status)
		goto err_close_vcpus;
	/* No thread or client yet: nobody to race or to tell. */
	vmm_transition_locked(vmm, VMM_RESTORE, NULL, err, sizeof(err));
	close(fd);
	vmm->restore_built_ns = vmm->restore_step_ns[3] = vmm_timer_now();
	*out = vmm;
	return 0;

err_close_vcpus:
	vmm_close_vcpus(vmm);
err_close_vm:
	vessel_vm_close(&vmm->vm);
err_close_sys:
	vessel_sys_close(&vmm->sys);
err_free_bus:
	io_bus_free(&vmm->bus);
	vmm_timers_free(&vmm->timers);
err_free_sync:
	vmm_sync_free(vmm);
err_close_hv_debug:
	hv_debug_close(&vmm->hv_debug);
err_unmap:
	if (vmm->ram)
		munmap(vmm->ram, vmm->ram_size);
err_close_fd:
	close(fd);
err_free:
	if (vmm) {
		free(vmm->power_on);
		vmm->restored = NULL;
		free(vmm);
	}
	if (r) {
		snap_free(&r->snap);
		free(r->state);
		free(r->modules);
		free(r);
	}
	return status;
}

/* ---- vessel snapshot check -------------------------------------------- */

/* The kind of Hyper-V debugger link @spec names, without opening it. */
static enum hv_debug_kind link_kind(const char *spec)
{
	if (spec && !strncmp(spec, "udp:", 4))
		return HV_DEBUG_UDP;
	if (spec && !strncmp(spec, "file:", 5))
		return HV_DEBUG_FILE;
	return HV_DEBUG_NONE;
}

/* The devices' records, loaded into a board built for that alone. */
static int check_devices(const char *name, const char *path,
			 struct vmm_restored *r)
{
	struct vmm *vmm = calloc(1, sizeof(*vmm));
	char err[160];
	int status = VESSEL_EXIT_FAILURE;

	if (!vmm) {
		rs_error(name, "out of memory");
		return status;
	}
	/* A link of none: nothing is opened, the kind is the saved one's. */
	if (hv_debug_open(&vmm->hv_debug, NULL, err, sizeof(err))) {
		rs_error(name, "%s", err);
		free(vmm);
		return status;
	}
	vmm->hv_debug.kind = link_kind(r->snap.cfg.hv_debug);
	vmm->cfg.name = name;
	vmm->cfg.cpus = r->snap.h.nr_vcpus;
	vmm->con.name = name;
	vmm->lapic = r->snap.h.flags & SNAP_F_LAPIC;
	status = restore_board(vmm, &r->snap, path);
	io_bus_free(&vmm->bus);
	vmm->hv_debug.kind = HV_DEBUG_NONE;
	hv_debug_close(&vmm->hv_debug);
	free(vmm);
	return status;
}

int vmm_snapshot_check(const char *name, const char *path)
{
	struct vmm_restored *r = calloc(1, sizeof(*r));
	const struct snap_header *h;
	uint64_t data;
	int fd, status = VESSEL_EXIT_FAILURE;

	if (!r) {
		rs_error(name, "out of memory");
		return status;
	}
	fd = snap_open(name, path, r);
	if (fd < 0)
		goto out;
	h = &r->snap.h;
	status = check_devices(name, path, r);
	if (!status)
		status = verify_file_memory(name, path, fd, &r->snap, &data);
	if (!status)
		printf("%s: snapshot format %u.%u, %s family %u model %u stepping %u, %u vCPU%s, %" PRIu64
		       " MiB of memory (%" PRIu64 " KiB of data), provider %s %u, TSC %" PRIu64
		       " kHz, %u devices, image %s: ok\n",
		       path, h->major, h->minor, h->vendor, h->family, h->model,
		       h->stepping, h->nr_vcpus, h->nr_vcpus == 1 ? "" : "s",
		       h->ram_size / MIB, data / 1024,
		       snap_provider_name(h->provider), h->provider_version,
		       h->tsc_hz / 1000, r->snap.nr_devices, r->snap.cfg.image);
	close(fd);
	snap_free(&r->snap);
	free(r->state);
out:
	free(r);
	return status;
}
