// SPDX-License-Identifier: GPL-2.0
/*
 * Save and restore, in the state_test style: the snap_mb guest computes a
 * known sequence while its timers and clocks run (its header says what it
 * checks); it is saved at several points, restored into a new process,
 * and must print exactly what an uninterrupted run prints. Under every
 * provider, with 1 vCPU (the check boot) and 4 (the smp boot).
 *
 * The machine that is saved is built with libvmm in a child process, as
 * `vessel run` builds it; the save is vmm_save() on the paused machine,
 * as the control socket's save will call it. The restore is `vessel
 * restore` run by fork and exec, or, to save a restored machine again,
 * vmm_restore() in another child. Bad files are restored with the tool
 * too: one line, a non-zero status, no guest.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmm/internal.h"
#include "vmm/snapfile.h"
#include "vmm/snapshot.h"

#define VESSEL		"/testbed/vessel"
#define GUEST		"/testbed/snap_mb.elf"
#define TDIR		"/tmp/snapshot_test"
#define SMALL_DIR	TDIR "/small"
/* Small: a save and an eager restore read all of it, in Bochs. */
#define MEM_MIB		16
#define MEM_ARG		"16M"
#define GUEST_OK	85	/* snap_mb's 42, through the debug-exit port */
/* The child that saves: its exit codes. */
#define SAVED		0
#define NOT_BUILT	10
#define GUEST_ENDED	11
#define SAVE_FAILED	12
#define NOT_LOST	13	/* a failed save, and the guest went on */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* Lines in @s. */
static unsigned int lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Run @argv with stdin from /dev/null, stdout to @out, stderr to @err. */
static int spawn(const char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();
	int status;

	if (!pid) {
		int in = open("/dev/null", O_RDONLY);
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The machine the tests save. */
static void config(struct vm_config *cfg, unsigned int cpus,
		   uint32_t provider, enum vm_irqchip irqchip)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->name = "snapshot_test";
	cfg->mem = MEM_MIB << 20;
	cfg->cpus = cpus;
	cfg->image = GUEST;
	cfg->irqchip = irqchip;
	cfg->pv_provider = provider;
}

/* `vessel run` with @cfg's options: the uninterrupted run. */
static int run_straight(const struct vm_config *cfg, const char *out)
{
	char cpus[16];
	const char *const argv[] = {
		VESSEL, "run", "--mem", MEM_ARG, "--cpus", cpus, "--paravirt",
		vm_pv_providers[cfg->pv_provider].name, "--irqchip",
		cfg->irqchip == VM_IRQCHIP_NONE ? "none" : "kernel", GUEST, NULL,
	};

	snprintf(cpus, sizeof(cpus), "%u", cfg->cpus);
	return spawn(argv, out, TDIR "/straight.err");
}

static int restore_tool(const char *file, bool eager, const char *out,
			const char *err)
{
	const char *const argv[] = { VESSEL, "restore", file, eager ? "--eager" : NULL,
			       NULL };

	return spawn(argv, out, err);
}

/* ---- The child that runs a machine and saves it ----------------------- */

struct progress {
	uint64_t calls, last, total;
	bool backwards;
};

static void on_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct progress *p = opaque;

	p->backwards |= done < p->last || (p->calls && total != p->total);
	p->calls++;
	p->last = done;
	p->total = total;
}

static void *runner(void *arg)
{
	return (void *)(intptr_t)vmm_run(arg);
}

/* Until @out has the line of round @round, or the guest ended. */
static bool wait_round(struct vmm *vmm, const char *out, int round)
{
	char want[48];
	char *s;
	bool found;

	snprintf(want, sizeof(want), "snap_mb: round %d:", round);
	for (;;) {
		s = slurp(out);
		found = strstr(s, want);
		free(s);
		if (found)
			return true;
		if (vmm->stopping)
			return false;
		usleep(2000);
	}
}

struct save_job {
	const struct vm_config *cfg;	/* or, if NULL: */
	const char *restore;		/* a file to restore first */
	int round;			/* save once this round printed */
	unsigned int delay_ms;		/* and this much later */
	const char *file;
	const char *out;
	bool expect_enospc;		/* then let the guest finish */
};

static int child_save(const struct save_job *j)
{
	struct vmm_restore_opts ro = { .name = "snapshot_test", .path = j->restore };
	struct progress prog = { 0 };
	struct vmm *vmm;
	pthread_t thread;
	void *status;
	char err[256];
	int fd, r;

	fd = open(j->out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	dup2(fd, 0);
	close(fd);
	if (j->cfg ? vmm_create(j->cfg, &vmm) : vmm_restore(&ro, &vmm))
		return NOT_BUILT;
	pthread_create(&thread, NULL, runner, vmm);
	if (!wait_round(vmm, j->out, j->round)) {
		pthread_join(thread, NULL);
		return GUEST_ENDED;
	}
	usleep(j->delay_ms * 1000);
	pthread_mutex_lock(&vmm->lock);
	r = vmm_pause_locked(vmm, NULL);
	if (!r) {
		r = vmm_save(vmm, j->file, on_progress, &prog, err, sizeof(err));
		if (r)
			fprintf(stderr, "# vmm_save: %d: %s\n", r, err);
		if (!r && (prog.calls < 2 || prog.backwards ||
			   prog.last != prog.total || !prog.total)) {
			fprintf(stderr, "# progress: %llu calls, last %llu of %llu\n",
				(unsigned long long)prog.calls,
				(unsigned long long)prog.last,
				(unsigned long long)prog.total);
			r = -EPROTO;
		}
		if (j->expect_enospc && r == -ENOSPC && strstr(err, "No space")) {
			vmm_resume_locked(vmm);
			pthread_mutex_unlock(&vmm->lock);
			pthread_join(thread, &status);
			vmm_destroy(vmm);
			return (intptr_t)status == GUEST_OK ? NOT_LOST : SAVE_FAILED;
		}
	}
	vmm_stop_locked(vmm, 0);
	pthread_mutex_unlock(&vmm->lock);
	pthread_join(thread, NULL);
	vmm_destroy(vmm);
	return r ? SAVE_FAILED : SAVED;
}

static int save_in_child(const struct save_job *j)
{
	pid_t pid = fork();
	int status;

	if (!pid)
		_exit(child_save(j));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* @a then @b is @whole. */
static bool joined(const char *a, const char *b, const char *whole)
{
	size_t n = strlen(a);

	return !strncmp(a, whole, n) && !strcmp(b, whole + n);
}

/* ---- Save, restore, compare ------------------------------------------- */

FIXTURE(snap) {
	char *straight;
};

FIXTURE_VARIANT(snap) {
	unsigned int cpus;
	uint32_t provider;
	enum vm_irqchip irqchip;
};

#ifndef SNAPSHOT_SMP
FIXTURE_VARIANT_ADD(snap, none) {
	.cpus = 1, .provider = VESSEL_PV_NONE, .irqchip = VM_IRQCHIP_KERNEL,
};
FIXTURE_VARIANT_ADD(snap, no_apic) {
	.cpus = 1, .provider = VESSEL_PV_NONE, .irqchip = VM_IRQCHIP_NONE,
};
FIXTURE_VARIANT_ADD(snap, minimal) {
	.cpus = 1, .provider = VESSEL_PV_MINIMAL, .irqchip = VM_IRQCHIP_KERNEL,
};
FIXTURE_VARIANT_ADD(snap, kvm) {
	.cpus = 1, .provider = VESSEL_PV_KVM, .irqchip = VM_IRQCHIP_KERNEL,
};
FIXTURE_VARIANT_ADD(snap, hyperv) {
	.cpus = 1, .provider = VESSEL_PV_HYPERV, .irqchip = VM_IRQCHIP_KERNEL,
};
#else
FIXTURE_VARIANT_ADD(snap, none_4cpus) {
	.cpus = 4, .provider = VESSEL_PV_NONE, .irqchip = VM_IRQCHIP_KERNEL,
};
FIXTURE_VARIANT_ADD(snap, kvm_4cpus) {
	.cpus = 4, .provider = VESSEL_PV_KVM, .irqchip = VM_IRQCHIP_KERNEL,
};
FIXTURE_VARIANT_ADD(snap, hyperv_4cpus) {
	.cpus = 4, .provider = VESSEL_PV_HYPERV, .irqchip = VM_IRQCHIP_KERNEL,
};
#endif

FIXTURE_SETUP(snap)
{
	self->straight = NULL;
	mkdir(TDIR, 0700);
}

FIXTURE_TEARDOWN(snap)
{
	free(self->straight);
}

/*
 * Saved at a point, restored by `vessel restore` (and eagerly); and saved
 * at one point, restored and saved again at a later one, restored: the
 * output joined up is the uninterrupted run's.
 */
TEST_F_TIMEOUT(snap, continues_where_it_stopped, 1800)
{
	static const struct { int round; unsigned int delay_ms; } points[] = {
		{ 1, 0 }, { 9, 7 },
	};
	struct vm_config cfg;
	char *a, *b, *c;
	unsigned int i;

	config(&cfg, variant->cpus, variant->provider, variant->irqchip);
	ASSERT_EQ(run_straight(&cfg, TDIR "/straight.out"), GUEST_OK);
	self->straight = slurp(TDIR "/straight.out");
	ASSERT_TRUE(strstr(self->straight, "snap_mb: result ") != NULL);

	for (i = 0; i < ARRAY_SIZE(points); i++) {
		struct save_job j = {
			.cfg = &cfg, .round = points[i].round,
			.delay_ms = points[i].delay_ms, .file = TDIR "/f1",
			.out = TDIR "/a.out",
		};

		ASSERT_EQ(save_in_child(&j), SAVED);
		ASSERT_EQ(restore_tool(TDIR "/f1", i == 1, TDIR "/b.out",
				       TDIR "/b.err"), GUEST_OK);
		a = slurp(TDIR "/a.out");
		b = slurp(TDIR "/b.out");
		EXPECT_TRUE(joined(a, b, self->straight)) {
			TH_LOG("saved after round %d: before:\n%s\nafter:\n%s",
			       points[i].round, a, b);
		}
		EXPECT_EQ(0, lines(c = slurp(TDIR "/b.err")));
		free(a);
		free(b);
		free(c);
	}

	/* Saved, restored in another process and saved again, restored. */
	{
		struct save_job j1 = {
			.cfg = &cfg, .round = 3, .file = TDIR "/f1",
			.out = TDIR "/a.out",
		};
		struct save_job j2 = {
			.restore = TDIR "/f1", .round = 12, .delay_ms = 3,
			.file = TDIR "/f2", .out = TDIR "/b.out",
		};

		ASSERT_EQ(save_in_child(&j1), SAVED);
		ASSERT_EQ(save_in_child(&j2), SAVED);
		ASSERT_EQ(restore_tool(TDIR "/f2", false, TDIR "/c.out",
				       TDIR "/c.err"), GUEST_OK);
		a = slurp(TDIR "/a.out");
		b = slurp(TDIR "/b.out");
		c = slurp(TDIR "/c.out");
		b = realloc(b, strlen(b) + strlen(c) + 1);
		strcat(b, c);
		EXPECT_TRUE(joined(a, b, self->straight)) {
			TH_LOG("saved twice: before:\n%s\nafter:\n%s", a, b);
		}
		free(a);
		free(b);
		free(c);
	}
	unlink(TDIR "/f1");
	unlink(TDIR "/f2");
}

#ifndef SNAPSHOT_SMP
static void spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* ---- What a save must not lose ---------------------------------------- */

/*
 * A save into a file system that fills up: -ENOSPC with one line, no
 * file left, and the guest resumes and ends as if nothing happened.
 */
FIXTURE(slow) {
};

FIXTURE_SETUP(slow)
{
	mkdir(TDIR, 0700);
}

FIXTURE_TEARDOWN(slow)
{
}

TEST_F_TIMEOUT(slow, enospc_loses_nothing, 600)
{
	struct vm_config cfg;
	struct save_job j = {
		.cfg = &cfg, .round = 2, .file = SMALL_DIR "/f",
		.out = TDIR "/a.out", .expect_enospc = true,
	};
	char *a, *s;
	DIR *d;
	struct dirent *e;
	unsigned int files = 0;

	mkdir(TDIR, 0700);
	mkdir(SMALL_DIR, 0700);
	ASSERT_EQ(0, mount("tmpfs", SMALL_DIR, "tmpfs", 0, "size=16k"));
	config(&cfg, 1, VESSEL_PV_KVM, VM_IRQCHIP_KERNEL);
	ASSERT_EQ(run_straight(&cfg, TDIR "/straight.out"), GUEST_OK);
	/* The state alone is larger than 16 KiB. */
	EXPECT_EQ(save_in_child(&j), NOT_LOST);
	d = opendir(SMALL_DIR);
	ASSERT_TRUE(d != NULL);
	while ((e = readdir(d)))
		files += e->d_name[0] != '.';
	closedir(d);
	EXPECT_EQ(0, files);
	umount(SMALL_DIR);
	a = slurp(TDIR "/a.out");
	s = slurp(TDIR "/straight.out");
	EXPECT_STREQ(s, a);
	free(a);
	free(s);
}

/* ---- Bad files -------------------------------------------------------- */

static uint8_t *file_buf;
static size_t file_len;

/* A good file, saved early in a short run; kept for every case. */
static void good_file(struct __test_metadata *_metadata)
{
	struct vm_config cfg;
	struct save_job j = {
		.cfg = &cfg, .round = 0, .file = TDIR "/good",
		.out = TDIR "/a.out",
	};
	struct stat st;
	int fd;

	if (file_buf)
		return;
	mkdir(TDIR, 0700);
	config(&cfg, 1, VESSEL_PV_HYPERV, VM_IRQCHIP_KERNEL);
	ASSERT_EQ(save_in_child(&j), SAVED);
	fd = open(TDIR "/good", O_RDONLY);
	ASSERT_EQ(0, fstat(fd, &st));
	file_len = st.st_size;
	file_buf = malloc(file_len);
	ASSERT_EQ((ssize_t)file_len, pread(fd, file_buf, file_len, 0));
	close(fd);
}

static void fix_header(uint8_t *f)
{
	snap_put_le(f + SNAP_HEADER_SIZE - 8,
		    snap_checksum(f, SNAP_HEADER_SIZE - 8), 8);
}

static uint8_t *table_entry(uint8_t *f, unsigned int i)
{
	return f + SNAP_HEADER_SIZE + i * SNAP_SECTION_ENTRY;
}

/* Every checksum but the memory's right again after an edit. */
static void fix_all(uint8_t *f)
{
	uint32_t nr = snap_get_le(f + 100, 4), i;

	for (i = 0; i < nr; i++) {
		uint8_t *e = table_entry(f, i);

		snap_put_le(e + 24, snap_checksum(f + snap_get_le(e + 8, 8),
						  snap_get_le(e + 16, 8)), 8);
	}
	snap_put_le(f + 144, snap_checksum(table_entry(f, 0),
					   nr * SNAP_SECTION_ENTRY), 8);
	fix_header(f);
}

static unsigned int find_section(uint8_t *f, uint32_t type)
{
	uint32_t i;

	for (i = 0; snap_get_le(table_entry(f, i), 4) != type; i++)
		;
	return i;
}

/*
 * `vessel restore` of @buf (@len bytes) fails with status 1, one line on
 * stderr containing @text, and no guest output.
 */
static void refused(struct __test_metadata *_metadata, const void *buf,
		    size_t len, const char *text)
{
	char *out, *err;

	spit(TDIR "/bad", buf, len);
	EXPECT_EQ(1, restore_tool(TDIR "/bad", false, TDIR "/bad.out",
				  TDIR "/bad.err"));
	out = slurp(TDIR "/bad.out");
	err = slurp(TDIR "/bad.err");
	EXPECT_STREQ("", out);
	EXPECT_EQ(1, lines(err));
	EXPECT_TRUE(strstr(err, text) != NULL) {
		TH_LOG("wanted \"%s\" in: %s", text, err);
	}
	free(out);
	free(err);
}

TEST_F_TIMEOUT(slow, bad_files_are_refused, 600)
{
	uint8_t *f;
	uint64_t off;

	good_file(_metadata);
	f = malloc(file_len);

	refused(_metadata, f, 0, "an empty file, not a snapshot");

	memcpy(f, file_buf, file_len);
	f[1000] ^= 0x40;
	refused(_metadata, f, file_len, "checksum does not match: it is corrupt");

	refused(_metadata, file_buf, file_len - 4096, "truncated");
	refused(_metadata, file_buf, 300, "truncated: 300 bytes");

	memcpy(f, file_buf, file_len);
	snap_put_le(f + 8, SNAP_MAJOR + 1, 2);
	snap_put_le(f + 10, 0, 2);
	fix_header(f);
	refused(_metadata, f, file_len, "needs a vessel that reads format 2.0");

	memcpy(f, file_buf, file_len);
	snap_put_le(f + 16, 7, 4);
	fix_header(f);
	refused(_metadata, f, file_len, "architecture 7");

	/* The checksums are right, the sizes lie. */
	memcpy(f, file_buf, file_len);
	{
		uint8_t *e = table_entry(f, find_section(f, SNAP_SEC_VCPU));

		snap_put_le(e + 16, snap_get_le(e + 16, 8) - 16, 8);
	}
	fix_all(f);
	refused(_metadata, f, file_len, "a vCPU of this VM has");

	memcpy(f, file_buf, file_len);
	snap_put_le(f + 112, snap_get_le(f + 112, 8) + 4096, 8);
	fix_header(f);
	refused(_metadata, f, file_len, "the memory ranges hold");

	/* A device's state out of range: the model itself refuses it. */
	memcpy(f, file_buf, file_len);
	off = snap_get_le(table_entry(f, find_section(f, SNAP_SEC_DEVICE)) + 8, 8);
	ASSERT_EQ(0, memcmp(f + off, "uart16550", 9));
	f[off + HW_STATE_HEADER_SIZE] = 0xff;	/* IER: 4 bits exist */
	fix_all(f);
	refused(_metadata, f, file_len, "uart16550 state: IER");

	/* A CPU feature this host does not have (AVX-512F). */
	memcpy(f, file_buf, file_len);
	{
		uint32_t i, nr;

		off = snap_get_le(table_entry(f, find_section(f, SNAP_SEC_CPUID)) + 8, 8);
		nr = snap_get_le(f + off, 4);
		for (i = 0; i < nr; i++) {
			uint8_t *e = f + off + 8 + 32 * i;

			if (snap_get_le(e, 4) == 7)
				snap_put_le(e + 16, snap_get_le(e + 16, 4) | (1U << 16), 4);
		}
		snap_put_le(f + 48 + 4 * 2, snap_get_le(f + 48 + 4 * 2, 4) | (1U << 16), 4);
	}
	fix_all(f);
	refused(_metadata, f, file_len, "CPU features this host lacks: CPUID.7.0:EBX bits 0x10000");
	free(f);
}

/*
 * A corrupt memory chunk: `vessel snapshot check` and --eager find it; a
 * lazy restore cannot, and the guest, which never reads that page, ends
 * as it would have.
 */
TEST_F_TIMEOUT(slow, corrupt_memory, 600)
{
	const char *const check[] = { VESSEL, "snapshot", "check", TDIR "/bad", NULL };
	uint8_t *f;
	uint64_t mem;
	char *err, *out;

	good_file(_metadata);
	spit(TDIR "/bad", file_buf, file_len);
	EXPECT_EQ(0, spawn(check, TDIR "/check.out", TDIR "/check.err"));
	out = slurp(TDIR "/check.out");
	EXPECT_TRUE(strstr(out, ": ok\n") != NULL);
	free(out);

	f = malloc(file_len);
	memcpy(f, file_buf, file_len);
	mem = snap_get_le(f + 160 + 16, 8);	/* memory range 0's offset */
	f[mem + (12 << 20) + 123] = 0x5a;	/* 12 MiB: the guest never goes there */
	spit(TDIR "/bad", f, file_len);
	EXPECT_EQ(1, spawn(check, TDIR "/check.out", TDIR "/check.err"));
	err = slurp(TDIR "/check.err");
	EXPECT_EQ(1, lines(err));
	EXPECT_TRUE(strstr(err, "guest memory at 0xc00000: the checksum of its chunk does not match") != NULL);
	free(err);

	/* --eager reads all of memory first, and refuses the file. */
	EXPECT_EQ(1, restore_tool(TDIR "/bad", true, TDIR "/bad.out",
				  TDIR "/bad.err"));
	out = slurp(TDIR "/bad.out");
	err = slurp(TDIR "/bad.err");
	EXPECT_STREQ("", out);
	EXPECT_EQ(1, lines(err));
	EXPECT_TRUE(strstr(err, "guest memory at 0xc00000") != NULL);
	free(out);
	free(err);

	/* Lazily, nothing reads that page: the guest runs to its end. */
	EXPECT_EQ(GUEST_OK, restore_tool(TDIR "/bad", false, TDIR "/bad.out",
					 TDIR "/bad.err"));
	out = slurp(TDIR "/bad.out");
	EXPECT_TRUE(strstr(out, "snap_mb: result ") != NULL);
	free(out);
	free(f);
}

#endif /* SNAPSHOT_SMP */

TEST_HARNESS_MAIN
