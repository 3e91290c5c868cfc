// SPDX-License-Identifier: GPL-2.0
/*
 * vessel_fuzz: iterations.
 *
 *  - guest: a VM (every provider, with or without the in-kernel APIC)
 *    runs a hostile program (guest.c) in real, protected or long mode.
 *    Between exits userspace answers (IN data, MMIO reads, MSR values,
 *    hypercall results) and scribbles on the run page: every field, most
 *    often those of the exit just taken (io.flags on an I/O exit).
 *  - race: the same, while other threads call the state, APIC, inject,
 *    kick, memory and close ioctls on the VM, change its memory under it
 *    (munmap, mprotect, MAP_FIXED, madvise) and fork.
 *  - storm: ioctls on every fd type from the description table, with
 *    valid, one-field-mutated and bad-pointer arguments, on one to three
 *    threads; RUN now and then.
 *
 * The completion oracle (guest and storm iterations without other
 * threads): after an I/O or MSR exit, RUN with immediate_exit set
 * completes the instruction and returns without entering the guest.  The
 * registers and guest memory must then have changed as the exit the
 * kernel announced says, whatever userspace wrote into the run page: an
 * IN that was not a string instruction changes RAX and nothing else.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

/* Fds of no vessel type, for wrong-fd-type calls. */
static int foreign[6];
static unsigned int nr_foreign;
static struct vessel_caps caps;
/* An O_PATH fd, whose copies stand in for fds closed under other threads. */
static int placeholder = -1;

/* ------------------------------------------------------------ timers */

/*
 * A RUN must come back: a guest may halt with interrupts off, or loop
 * without exits.  Each thread has a timer that sends it SIGUSR1 (a
 * handler that does nothing, no SA_RESTART): RUN returns EINTR.
 */
static __thread timer_t thread_timer;
static __thread bool timer_ok;

static void on_sigusr1(int sig)
{
	(void)sig;
}

static void timer_init(void)
{
	struct sigevent ev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
	};

	ev._sigev_un._tid = syscall(SYS_gettid);
	timer_ok = !timer_create(CLOCK_MONOTONIC, &ev, &thread_timer);
}

/* First signal in @us, then every 2 ms until disarmed. */
static void timer_arm(unsigned int us)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000 },
		.it_interval = { .tv_nsec = 2000000 },
	};

	if (timer_ok)
		timer_settime(thread_timer, 0, &its, NULL);
}

static void timer_disarm(void)
{
	struct itimerspec its = { 0 };

	if (timer_ok)
		timer_settime(thread_timer, 0, &its, NULL);
}

/* ------------------------------------------------------- bookkeeping */

static int trace_fd = -1;

/*
 * --trace: every call, before it is made, as a KERN_EMERG line, which the
 * console prints at once: the last one before a machine hangs is in the
 * serial log.  Slow; for replaying one iteration.
 */
static void trace_call(struct fctx *c, const char *what, int fd,
		       unsigned long cmd, unsigned long arg)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "<0>vessel-fuzz: trace [%u] it %llu %s fd %d cmd %#lx arg %#lx\n",
		     c->thread, (unsigned long long)c->iteration, what, fd, cmd, arg);
	if (write(trace_fd, line, n) < 0)
		trace_fd = -1;
}

long fz_ioctl(struct fctx *c, int fd, unsigned long cmd, unsigned long arg,
	      unsigned int stat)
{
	struct thread_slot *slot = &sh->threads[c->thread];
	struct ioctl_stats *s;
	long ret;
	int err;

	if (stat >= MAX_DESCS + NR_PSEUDO_OPS)
		stat = MAX_DESCS + OP_UNKNOWN_CMD;
	slot->desc = stat;
	slot->iteration = c->iteration;
	if (trace_fd >= 0)
		trace_call(c, desc_name(stat), fd, cmd, arg);
	__atomic_store_n(&slot->since_ns, now_ns(), __ATOMIC_RELAXED);
	ret = ioctl(fd, cmd, arg);
	err = errno;
	__atomic_store_n(&slot->since_ns, 0, __ATOMIC_RELAXED);
	stat_add(&sh->heartbeat, 1);
	if (opt.verbose >= 2)
		fprintf(stderr, "[%u] %s fd %d cmd %#lx arg %#lx: %ld %s\n",
			c->thread, desc_name(stat), fd, cmd, arg, ret,
			ret < 0 ? strerror(err) : "");
	s = &sh->ops[stat];
	stat_add(&s->calls, 1);
	if (ret >= 0)
		stat_add(&s->ok, 1);
	else
		stat_add(&s->err[err < NR_ERRNO ? err : 0], 1);
	errno = err;
	return ret;
}

static void note_op(struct fctx *c, unsigned int op, int ret, int err)
{
	struct ioctl_stats *s = &sh->ops[MAX_DESCS + op];

	if (trace_fd >= 0)
		trace_call(c, desc_name(MAX_DESCS + op), -1, 0, ret);
	stat_add(&s->calls, 1);
	if (ret >= 0)
		stat_add(&s->ok, 1);
	else
		stat_add(&s->err[err < NR_ERRNO ? err : 0], 1);
	stat_add(&sh->heartbeat, 1);
}

static int stat_of(unsigned long cmd, enum fd_type type)
{
	int i = desc_find(cmd, type);

	return i < 0 ? MAX_DESCS + OP_UNKNOWN_CMD : i;
}

static void fctx_init(struct fctx *c, uint64_t iteration, unsigned int thread)
{
	c->rng.s[0] = 0;
	rng_seed(&c->rng, mix64(mix64(opt.seed, iteration), thread + 1));
	c->iteration = iteration;
	c->thread = thread;
	c->caps = caps;
	c->closed = NULL;
	c->closed_arg = NULL;
	sh->threads[thread].iteration = iteration;
}

/* Scratch memory per thread: 64 KiB, then a PROT_NONE page; a RO page. */
static int fctx_memory(struct fctx *c)
{
	uint8_t *p = mmap(NULL, 0x12000, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	c->scratch = p;
	c->unmapped = p + 0x10000;
	c->scratch_ro = p + 0x11000;
	mprotect(c->unmapped, 0x1000, PROT_NONE);
	mprotect(c->scratch_ro, 0x1000, PROT_READ);
	return 0;
}

/* ----------------------------------------------------------- objects */

static int sys_open(void)
{
	return open("/dev/vessel", O_RDWR | O_CLOEXEC);
}

/*
 * Closes @fd where other threads may be about to call on it, and keeps the
 * number: dup2() puts a copy of an O_PATH fd in its place, dropping the
 * vessel file as close() does (its release runs when a call in flight on
 * it returns), and ioctl() and mmap() on an O_PATH fd fail with EBADF as
 * on a closed one.  A plain close() would free the number for the next
 * fd the kernel hands out (a VM or vCPU another thread creates, a memfd),
 * and a thread that picked the number before the close would then call a
 * different object: a "vCPU fd" that takes VM ioctls.  The caller marks
 * the fd closed before this, so that a call that failed with EBADF finds
 * the mark (fctx.closed).
 */
static void close_keep_number(int fd)
{
	if (dup2(placeholder, fd) < 0)
		fuzz_fail("fuzzer: dup2 over fd %d: %s", fd, strerror(errno));
}

static int vm_create(struct fctx *c, int sys, uint32_t flags, uint32_t provider)
{
	struct vessel_vm_create v = { .flags = flags, .pv_provider = provider };

	return fz_ioctl(c, sys, VESSEL_CREATE_VM, (unsigned long)&v,
			stat_of(VESSEL_CREATE_VM, FD_SYS));
}

static int set_memory(struct fctx *c, int vm, uint32_t slot, uint32_t flags,
		      uint64_t gpa, uint64_t size, void *hva)
{
	struct vessel_memory_region m = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.size = size, .userspace_addr = (uintptr_t)hva,
	};

	return fz_ioctl(c, vm, VESSEL_SET_MEMORY_REGION, (unsigned long)&m,
			stat_of(VESSEL_SET_MEMORY_REGION, FD_VM));
}

static struct vessel_run *map_run(int fd)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void count_exit(long ret, const struct vessel_run *run)
{
	stat_add(&sh->runs, 1);
	if (ret < 0)
		stat_add(&sh->exits[NR_EXIT_SLOTS - 1], 1);
	else
		stat_add(&sh->exits[run->exit_reason < NR_EXIT_SLOTS - 1 ?
				    run->exit_reason : NR_EXIT_SLOTS - 1], 1);
}

static long vcpu_run(struct fctx *c, int fd, struct vessel_run *run,
		     unsigned int timeout_us)
{
	long ret;

	timer_arm(timeout_us);
	ret = fz_ioctl(c, fd, VESSEL_RUN, 0, stat_of(VESSEL_RUN, FD_VCPU));
	timer_disarm();
	if (run)
		count_exit(ret, run);
	return ret;
}

/* -------------------------------------------------- run-page writes */

enum { W_ANY, W_IO, W_MMIO, W_MSR, W_PV, W_INTERNAL };

struct rfield {
	const char *name;
	uint16_t off;
	uint16_t size;
	uint8_t when;
	uint8_t weight;
};

#define RF(m, w, wt)	{ #m, offsetof(struct vessel_run, m), \
			  sizeof(((struct vessel_run *)0)->m), w, wt }

static const struct rfield rfields[] = {
	RF(immediate_exit, W_ANY, 1),
	RF(pad0, W_ANY, 1),
	RF(exit_reason, W_ANY, 2),
	RF(flags, W_ANY, 1),
	RF(pad1, W_ANY, 1),
	RF(reserved, W_ANY, 1),
	RF(io.direction, W_IO, 4),
	RF(io.size, W_IO, 4),
	RF(io.flags, W_IO, 16),
	RF(io.pad, W_IO, 1),
	RF(io.port, W_IO, 2),
	RF(io.pad2, W_IO, 1),
	RF(io.count, W_IO, 6),
	RF(io.data_offset, W_IO, 4),
	RF(mmio.gpa, W_MMIO, 2),
	RF(mmio.data, W_MMIO, 2),
	RF(mmio.len, W_MMIO, 4),
	RF(mmio.is_write, W_MMIO, 4),
	RF(mmio.pad, W_MMIO, 1),
	RF(msr.index, W_MSR, 3),
	RF(msr.is_write, W_MSR, 4),
	RF(msr.error, W_MSR, 3),
	RF(msr.pad, W_MSR, 1),
	RF(msr.data, W_MSR, 3),
	RF(internal.suberror, W_INTERNAL, 1),
	RF(internal.ndata, W_INTERNAL, 1),
	RF(internal.data, W_INTERNAL, 1),
	RF(eoi.vector, W_ANY, 1),
	RF(eoi.pad, W_ANY, 1),
	RF(paravirt.provider, W_PV, 2),
	RF(paravirt.ndata, W_PV, 3),
	RF(paravirt.ret, W_PV, 3),
	RF(paravirt.data, W_PV, 2),
	RF(padding, W_ANY, 2),
};

static unsigned int exit_kind(uint32_t reason)
{
	switch (reason) {
	case VESSEL_EXIT_IO:
		return W_IO;
	case VESSEL_EXIT_MMIO:
		return W_MMIO;
	case VESSEL_EXIT_MSR:
		return W_MSR;
	case VESSEL_EXIT_INTERNAL_ERROR:
		return W_INTERNAL;
	case VESSEL_EXIT_PV_RESET:
	case VESSEL_EXIT_PV_CRASH:
	case VESSEL_EXIT_PV_DEBUG:
		return W_PV;
	default:
		return W_ANY;
	}
}

/*
 * Userspace writes 1-3 fields of the run page, favouring those of the exit
 * just taken; or bytes of the data area.
 */
static void run_page_scribble(struct fctx *c, struct vessel_run *run,
			      uint32_t reason)
{
	struct rng *r = &c->rng;
	unsigned int kind = exit_kind(reason), n = 1 + rng_below(r, 3);

	stat_add(&sh->run_page_writes, 1);
	while (n--) {
		unsigned int i, total = 0, pick, w;
		const struct rfield *f;
		uint64_t v;

		if (rng_chance(r, 10)) {
			uint8_t *d = (uint8_t *)run + VESSEL_RUN_DATA_OFFSET;
			unsigned int off = rng_below(r, VESSEL_RUN_DATA_SIZE - 8);

			v = rng_value(r, 8);
			memcpy(d + off, &v, 8);
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(rfields); i++)
			total += rfields[i].weight * (rfields[i].when == kind ? 8 : 1);
		pick = rng_below(r, total);
		for (i = 0; i < ARRAY_SIZE(rfields); i++) {
			w = rfields[i].weight * (rfields[i].when == kind ? 8 : 1);
			if (pick < w)
				break;
			pick -= w;
		}
		f = &rfields[i];
		w = f->size > 8 ? 8 : f->size;
		v = rng_value(r, w);
		if (!strcmp(f->name, "io.flags") && rng_chance(r, 70))
			v = PICK(r, VESSEL_IO_STRING, VESSEL_IO_STRING | VESSEL_IO_REP,
				 VESSEL_IO_REP, 0xff);
		else if (!strcmp(f->name, "immediate_exit") && rng_chance(r, 70))
			v = 0;
		memcpy((uint8_t *)run + f->off +
		       (f->size > 8 ? rng_below(r, f->size / 8) * 8 : 0), &v, w);
	}
}

/* Answer an exit as a VMM would, with boundary-heavy data. */
static void answer_exit(struct fctx *c, struct vessel_run *run)
{
	struct rng *r = &c->rng;
	uint64_t v;

	switch (run->exit_reason) {
	case VESSEL_EXIT_IO:
		if (run->io.direction == VESSEL_IO_IN) {
			uint8_t *d = (uint8_t *)run + VESSEL_RUN_DATA_OFFSET;
			unsigned int i;

			for (i = 0; i < VESSEL_RUN_DATA_SIZE; i += 8) {
				v = rng_chance(r, 80) ? 0x5a5a5a5a5a5a5a5aULL ^ i :
				    rng_value(r, 8);
				memcpy(d + i, &v, 8);
			}
		}
		break;
	case VESSEL_EXIT_MMIO:
		if (!run->mmio.is_write) {
			v = rng_value(r, 8);
			memcpy(run->mmio.data, &v, 8);
		}
		break;
	case VESSEL_EXIT_MSR:
		run->msr.data = rng_value(r, 8);
		run->msr.error = rng_chance(r, 20);
		break;
	case VESSEL_EXIT_PV_DEBUG:
	case VESSEL_EXIT_PV_RESET:
	case VESSEL_EXIT_PV_CRASH:
		run->paravirt.ret = rng_value(r, 8);
		break;
	}
}

/* ------------------------------------------------------ the oracle */

struct announced {
	uint32_t reason;
	uint8_t dir, size, flags;
	uint16_t port;
	uint32_t count;
	uint32_t msr;
	uint8_t msr_write;
};

static void announce(const struct vessel_run *run, struct announced *a)
{
	a->reason = run->exit_reason;
	a->dir = run->io.direction;
	a->size = run->io.size;
	a->flags = run->io.flags;
	a->port = run->io.port;
	a->count = run->io.count;
	a->msr = run->msr.index;
	a->msr_write = run->msr.is_write;
}

/* @after is @before stepped by @delta in one of the address sizes. */
static bool stepped(uint64_t before, uint64_t after, int64_t delta)
{
	static const uint64_t masks[] = { 0xffff, 0xffffffff, ~0ULL };
	unsigned int i;

	if (after == before)
		return true;
	for (i = 0; i < ARRAY_SIZE(masks); i++)
		if (after == ((before & ~masks[i]) | ((before + delta) & masks[i])))
			return true;
	return false;
}

static const char *const gpr_names[VESSEL_NR_GPRS] = {
	"RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
	"R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
};

/*
 * Registers and memory after the completion of exit @a: what changed must
 * be what that exit can change.  Returns false (after fuzz_fail) if not.
 */
static bool completion_ok(const struct announced *a,
			  const struct vessel_gprs *b,
			  const struct vessel_gprs *x, const uint8_t *ram_before,
			  const uint8_t *ram, uint32_t data_msr_lo,
			  uint32_t data_msr_hi, bool msr_error)
{
	bool string = a->flags & VESSEL_IO_STRING, rep = a->flags & VESSEL_IO_REP;
	uint64_t changed = 0, allowed_bytes = 0;
	unsigned int i;
	char what[160];

	for (i = 0; i < VESSEL_NR_GPRS; i++) {
		uint64_t d = b->regs[i] ^ x->regs[i];
		bool ok = !d;

		if (ok)
			continue;
		if (a->reason == VESSEL_EXIT_IO) {
			int64_t step = (int64_t)a->count * a->size;

			if (i == 0 && a->dir == VESSEL_IO_IN && !string)
				ok = a->size == 4 ? !(d >> 32) || x->regs[0] >> 32 == 0 :
				     !(d >> (8 * a->size));
			else if (i == 1 && string && rep)
				ok = stepped(b->regs[1], x->regs[1], -(int64_t)a->count);
			else if (i == 7 && string && a->dir == VESSEL_IO_IN)
				ok = stepped(b->regs[7], x->regs[7], step) ||
				     stepped(b->regs[7], x->regs[7], -step);
			else if (i == 6 && string && a->dir == VESSEL_IO_OUT)
				ok = stepped(b->regs[6], x->regs[6], step) ||
				     stepped(b->regs[6], x->regs[6], -step);
		} else if (a->reason == VESSEL_EXIT_MSR && !a->msr_write && !msr_error) {
			if (i == 0)
				ok = x->regs[0] == data_msr_lo;
			else if (i == 2)
				ok = x->regs[2] == data_msr_hi;
		}
		if (!ok) {
			if (a->reason == VESSEL_EXIT_IO)
				snprintf(what, sizeof(what), "%s port %#x size %u count %u%s%s",
					 a->dir == VESSEL_IO_IN ? "IN" : "OUT", a->port,
					 a->size, a->count, string ? " string" : " (not a string instruction)",
					 rep ? " rep" : "");
			else
				snprintf(what, sizeof(what), "%s of MSR %#x",
					 a->msr_write ? "WRMSR" : "RDMSR", a->msr);
			fuzz_fail("completion: after the exit for %s, %s went from %#llx to %#llx (userspace's run-page writes steered the kernel?)",
				  what, gpr_names[i], (unsigned long long)b->regs[i],
				  (unsigned long long)x->regs[i]);
			return false;
		}
	}
	if (!ram_before)
		return true;
	for (i = 0; i < G_RAM_SIZE; i++)
		changed += ram[i] != ram_before[i];
	if (a->reason == VESSEL_EXIT_IO && string && a->dir == VESSEL_IO_IN)
		allowed_bytes = (uint64_t)a->count * a->size;
	if (changed > allowed_bytes) {
		fuzz_fail("completion: after the exit for %s port %#x size %u count %u%s, %llu bytes of guest memory changed, at most %llu may (kernel memory copied into the guest?)",
			  a->reason != VESSEL_EXIT_IO ? "MSR" :
			  a->dir == VESSEL_IO_IN ? "IN" : "OUT", a->port,
			  a->size, a->count, string ? " string" : "",
			  (unsigned long long)changed, (unsigned long long)allowed_bytes);
		return false;
	}
	return true;
}

static int get_gprs(struct fctx *c, int fd, struct vessel_vcpu_state *st)
{
	st->flags = VESSEL_STATE_GPRS;
	return fz_ioctl(c, fd, VESSEL_GET_STATE, (unsigned long)st,
			stat_of(VESSEL_GET_STATE, FD_VCPU));
}

/*
 * Complete the pending exit with immediate_exit set, and check what
 * changed.  Returns false when the episode should stop.
 */
static bool complete_and_check(struct fctx *c, int fd, struct vessel_run *run,
			       const struct announced *a, const uint8_t *ram,
			       uint8_t *ram_copy, struct vessel_vcpu_state *st)
{
	struct vessel_gprs before;
	uint32_t lo = run->msr.data, hi = run->msr.data >> 32;
	bool err = run->msr.error;
	long ret;

	if (get_gprs(c, fd, st) < 0)
		return false;
	before = st->gprs;
	if (ram_copy)
		memcpy(ram_copy, ram, G_RAM_SIZE);
	run->immediate_exit = 1;
	ret = vcpu_run(c, fd, run, 20000);
	run->immediate_exit = 0;
	if (ret == 0 || errno != EINTR)
		return ret == 0;	/* a new exit (or dead): no verdict */
	stat_add(&sh->completion_checks, 1);
	if (get_gprs(c, fd, st) < 0)
		return false;
	return completion_ok(a, &before, &st->gprs, ram_copy, ram, lo, hi, err);
}

/* ---------------------------------------------------- guest episodes */

struct episode {
	struct fctx *c;
	int sys, vm, vcpu[2];
	unsigned int nr_vcpus;
	struct vessel_run *run[2];
	uint8_t *ram, *rom;
	uint64_t ram_owned;		/* bit per 4 KiB page still ours */
	pthread_mutex_t ram_lock;	/* ram_owned and the changes to RAM */
	uint32_t provider;
	bool lapic;
	bool racing;
	/* By a racing thread, their numbers kept (close_keep_number()). */
	bool vm_closed, sys_closed;
	bool stop;			/* read and written atomically */
	uint64_t deadline;
};

/* Unmap what is still ours of the guest RAM (a race may have left holes). */
static void ram_release(struct episode *e)
{
	unsigned int i, start = 0;
	bool in = false;

	for (i = 0; i <= G_RAM_SIZE / 4096; i++) {
		bool own = i < G_RAM_SIZE / 4096 && (e->ram_owned >> i & 1);

		if (own && !in)
			start = i, in = true;
		if (!own && in) {
			munmap(e->ram + start * 4096, (i - start) * 4096);
			in = false;
		}
	}
}

/* One memory change under the running vCPU. */
static void change_memory(struct fctx *c, struct episode *e)
{
	struct rng *r = &c->rng;
	unsigned int first = rng_below(r, G_RAM_SIZE / 4096);
	unsigned int pages = 1 + rng_below(r, G_RAM_SIZE / 4096 - first);
	uint8_t *p = e->ram + first * 4096;
	size_t len = pages * 4096ULL;
	uint64_t mask = (pages < 64 ? 1ULL << pages : 0) - 1;
	int ret = 0;
	void *q;

	/*
	 * Only pages still ours: another thread's mapping (a scratch area, a
	 * stack) may sit in a hole, and MAP_FIXED over it would corrupt that
	 * thread (its PROT_NONE page made readable, say). The lock keeps a
	 * second racer from checking the bits while the first has a hole open.
	 */
	pthread_mutex_lock(&e->ram_lock);
	if (((e->ram_owned >> first) & mask) != mask) {
		pthread_mutex_unlock(&e->ram_lock);
		return;
	}
	switch (rng_below(r, 7)) {
	case 0:
		ret = mprotect(p, len, PICK(r, PROT_NONE, PROT_READ,
					    PROT_READ | PROT_WRITE));
		break;
	case 1:
		ret = madvise(p, len, PICK(r, MADV_DONTNEED, MADV_FREE, MADV_COLD,
					   MADV_PAGEOUT, MADV_NOHUGEPAGE,
					   MADV_WIPEONFORK, MADV_DONTFORK));
		break;
	case 2:
		/* Replaced in place: the kernel must drop its old pages. */
		q = mmap(p, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ret = q == MAP_FAILED ? -1 : 0;
		break;
	case 3:
		/* Unmapped for a moment, then mapped again if nobody took it. */
		ret = munmap(p, len);
		usleep(rng_below(r, 2000));
		q = mmap(p, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (q == MAP_FAILED)
			e->ram_owned &= ~(mask << first);
		break;
	case 4: {
		/* A shared file mapping over it. */
		int fd = memfd_create("vessel-fuzz", 0);

		if (fd >= 0 && !ftruncate(fd, len)) {
			q = mmap(p, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, fd, 0);
			ret = q == MAP_FAILED ? -1 : 0;
		}
		if (fd >= 0)
			close(fd);
		break;
	}
	case 5:
		/* The slot moved, deleted, or made read-only. */
		ret = set_memory(c, e->vm, 0, rng_chance(r, 30) ? VESSEL_MEM_READONLY : 0,
				 rng_chance(r, 70) ? 0 : rng_below(r, 16) << 20,
				 rng_chance(r, 20) ? 0 : G_RAM_SIZE, e->ram);
		pthread_mutex_unlock(&e->ram_lock);
		return;
	default:
		ret = mprotect(p, len, PROT_READ | PROT_WRITE);
		break;
	}
	pthread_mutex_unlock(&e->ram_lock);
	stat_add(&sh->memory_changes, 1);
	note_op(c, OP_MEMORY, ret, errno);
}

/*
 * fork() with the VM's fds and memory: the child may not run the vCPU
 * (EIO) nor register its memory, may read state, writes the RAM (copy on
 * write) and exits.  Only system calls in the child: the parent has
 * threads.
 */
static void fork_child(struct fctx *c, struct episode *e)
{
	struct vessel_vcpu_state *st = (void *)c->scratch;
	int status;
	pid_t pid;

	stat_add(&sh->forks, 1);
	pid = fork();
	if (pid == 0) {
		long r;

		r = ioctl(e->vcpu[0], VESSEL_RUN, 0);
		if (!(r < 0 && (errno == EIO || errno == EBADF || errno == EBUSY)))
			_exit(3);
		st->flags = VESSEL_STATE_GPRS;
		ioctl(e->vcpu[0], VESSEL_GET_STATE, st);
		memset(e->ram + 0x20000, 0xcc, 0x1000);
		ioctl(e->vcpu[0], VESSEL_KICK, 0);
		close(e->vcpu[0]);
		close(e->vm);
		_exit(0);
	}
	if (pid < 0) {
		note_op(c, OP_FORK, -1, errno);
		return;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	note_op(c, OP_FORK, 0, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		fuzz_fail("contract: RUN in a forked child (another mm) did not fail with EIO");
}

struct chaos_arg {
	struct episode *e;
	unsigned int thread;
};

/* The vCPU fds stay open while other threads run; the VM's may not. */
static bool episode_closed(void *arg, int fd)
{
	struct episode *e = arg;

	return fd == e->vm && __atomic_load_n(&e->vm_closed, __ATOMIC_SEQ_CST);
}

/* Another thread, while the vCPU runs: ioctls, memory, fork, close. */
static void *chaos_thread(void *p)
{
	struct chaos_arg *a = p;
	struct episode *e = a->e;
	struct fctx c;
	long ret;
	int which;

	fctx_init(&c, e->c->iteration, a->thread);
	c.closed = episode_closed;
	c.closed_arg = e;
	if (fctx_memory(&c))
		return NULL;
	timer_init();
	while (!__atomic_load_n(&e->stop, __ATOMIC_RELAXED) &&
	       now_ns() < e->deadline) {
		struct rng *r = &c.rng;
		unsigned int op = rng_below(r, 100);

		if (op < 45) {
			fuzz_ioctl_on(&c, e->vcpu[rng_below(r, e->nr_vcpus)],
				      FD_VCPU, NULL, NULL, &which);
		} else if (op < 60) {
			fz_ioctl(&c, e->vcpu[0], VESSEL_KICK, 0,
				 stat_of(VESSEL_KICK, FD_VCPU));
		} else if (op < 72) {
			ret = fuzz_ioctl_on(&c, e->vm, FD_VM, NULL, NULL, &which);
			/* A new vCPU: not ours to keep (nor to leak). */
			if (ret >= 0 && which == stat_of(VESSEL_CREATE_VCPU, FD_VM))
				close(ret);
		} else if (op < 88) {
			change_memory(&c, e);
		} else if (op < 91) {
			fork_child(&c, e);
		} else if (op < 93) {
			/* RUN from a second thread: EBUSY while the first runs. */
			vcpu_run(&c, e->vcpu[0], NULL, 3000);
		} else if (op < 94 && rng_chance(r, 30)) {
			/* Close under the running vCPU: the fd, not the file. */
			bool vm = rng_chance(r, 50);

			if (!__atomic_exchange_n(vm ? &e->vm_closed : &e->sys_closed,
						 true, __ATOMIC_SEQ_CST))
				close_keep_number(vm ? e->vm : e->sys);
			note_op(&c, OP_CLOSED_FD, 0, 0);
		} else {
			usleep(rng_below(r, 1000));
		}
		if (sh->failed)
			break;
	}
	if (timer_ok)
		timer_delete(thread_timer);
	munmap(c.scratch, 0x12000);
	return NULL;
}

/* A vCPU whose state loads the program; false if the kernel refused it. */
static bool vcpu_load_program(struct fctx *c, struct episode *e,
			      struct guest_prog *p, struct vessel_vcpu_state *st,
			      int fd)
{
	st->flags = VESSEL_STATE_ALL;
	if (fz_ioctl(c, fd, VESSEL_GET_STATE, (unsigned long)st,
		     stat_of(VESSEL_GET_STATE, FD_VCPU)) < 0)
		return false;
	guest_build(&c->rng, p, e->ram, st);
	if (fz_ioctl(c, fd, VESSEL_SET_STATE, (unsigned long)st,
		     stat_of(VESSEL_SET_STATE, FD_VCPU)) < 0) {
		if (opt.verbose)
			fprintf(stderr, "fuzz: SET_STATE of a %s-mode program refused: %s\n",
				mode_names[p->mode], strerror(errno));
		return false;
	}
	return true;
}

static void guest_episode(struct fctx *c, bool racing)
{
	struct rng *r = &c->rng;
	struct vessel_vcpu_state *st = (void *)(c->scratch + 0x8000 - 0x1800);
	struct episode e = { .c = c, .racing = racing, .vcpu = { -1, -1 } };
	struct guest_prog prog = { 0 };
	pthread_t chaos[2];
	struct chaos_arg ca[2];
	unsigned int nr_chaos = 0, i, runs, max_runs, stuck = 0;
	static uint8_t *ram_copy;
	struct announced an;
	bool stop = false;

	_Static_assert(sizeof(struct vessel_vcpu_state) <= 0x1800, "scratch");
	prog.mode = rng_below(r, NR_MODES);
	prog.provider = rng_below(r, NR_PROVIDERS);
	prog.lapic = rng_chance(r, 55);
	e.provider = prog.provider;
	e.lapic = prog.lapic;
	stat_add(&sh->episodes[prog.mode][prog.provider], 1);
	if (!ram_copy)
		ram_copy = malloc(G_RAM_SIZE);

	e.sys = sys_open();
	if (e.sys < 0)
		return;
	e.vm = vm_create(c, e.sys, prog.lapic ? VESSEL_VM_LAPIC : 0, prog.provider);
	if (e.vm < 0)
		goto out_sys;
	e.ram = mmap(NULL, G_RAM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	e.rom = mmap(NULL, G_ROM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e.ram == MAP_FAILED || e.rom == MAP_FAILED)
		goto out_vm;
	e.ram_owned = ~0ULL;
	pthread_mutex_init(&e.ram_lock, NULL);
	for (i = 0; i < G_ROM_SIZE; i += 8)
		*(uint64_t *)(e.rom + i) = rng_value(r, 8);
	if (set_memory(c, e.vm, 0, 0, 0, G_RAM_SIZE, e.ram) < 0 ||
	    set_memory(c, e.vm, 1, VESSEL_MEM_READONLY, G_ROM, G_ROM_SIZE, e.rom) < 0)
		goto out_mem;
	if (rng_chance(r, 30)) {
		/* Some MSRs exit to userspace (VESSEL_EXIT_MSR). */
		uint32_t idx[8];
		struct vessel_user_msrs u = { .nr = 1 + rng_below(r, 8),
					      .indices = (uintptr_t)idx };

		for (i = 0; i < u.nr; i++)
			idx[i] = guest_pick_msr(r);
		fz_ioctl(c, e.vm, VESSEL_SET_USER_MSRS, (unsigned long)&u,
			 stat_of(VESSEL_SET_USER_MSRS, FD_VM));
	}
	e.nr_vcpus = prog.lapic && rng_chance(r, 25) ? 2 : 1;
	for (i = 0; i < e.nr_vcpus; i++) {
		e.vcpu[i] = fz_ioctl(c, e.vm, VESSEL_CREATE_VCPU, i,
				     stat_of(VESSEL_CREATE_VCPU, FD_VM));
		if (e.vcpu[i] < 0)
			goto out_vcpus;
		e.run[i] = map_run(e.vcpu[i]);
		if (!e.run[i])
			goto out_vcpus;
	}
	if (!vcpu_load_program(c, &e, &prog, st, e.vcpu[0]))
		goto out_vcpus;

	/* Race iterations: other threads at the VM while it runs. */
	e.deadline = now_ns() + (racing ? 150 : 100) * 1000000ULL +
		     rng_below(r, 200) * 1000000ULL;
	if (racing) {
		nr_chaos = 1 + rng_chance(r, 30);
		stat_add(&sh->races, 1);
		for (i = 0; i < nr_chaos; i++) {
			ca[i] = (struct chaos_arg){ &e, 1 + i };
			if (pthread_create(&chaos[i], NULL, chaos_thread, &ca[i]))
				nr_chaos = i;
		}
	}

	max_runs = 50 + rng_below(r, 400);
	for (runs = 0; runs < max_runs && !stop && now_ns() < e.deadline; runs++) {
		struct vessel_run *run = e.run[0];
		long ret;

		if (sh->failed)
			break;
		ret = vcpu_run(c, e.vcpu[0], run, 1000 + rng_below(r, 4000));
		/* A scribbled immediate_exit holds for one RUN only. */
		run->immediate_exit = 0;
		if (ret < 0) {
			/* EINTR: timer, kick; EBUSY: a racing RUN; else stop. */
			if (errno != EINTR && errno != EBUSY && errno != EAGAIN)
				stop = true;
			/* A guest stuck without exits: start it again. */
			if (errno == EINTR && ++stuck >= 3) {
				stuck = 0;
				if (racing || !vcpu_load_program(c, &e, &prog, st,
								 e.vcpu[0]))
					stop = true;
			}
			continue;
		}
		stuck = 0;
		announce(run, &an);
		answer_exit(c, run);
		switch (run->exit_reason) {
		case VESSEL_EXIT_SHUTDOWN:
		case VESSEL_EXIT_INTERNAL_ERROR:
			/* Going on after either must be safe too. */
			/* A racing thread may have unmapped the RAM: no rewrite. */
			if (rng_chance(r, 60))
				stop = true;
			else if (!racing && rng_chance(r, 50))
				vcpu_load_program(c, &e, &prog, st, e.vcpu[0]);
			break;
		case VESSEL_EXIT_HLT:
			if (rng_chance(r, 50)) {
				struct vessel_event ev = {
					.type = rng_chance(r, 80) ? VESSEL_EVENT_IRQ :
								    VESSEL_EVENT_NMI,
				};

				ev.vector = ev.type ? 0 : 32 + rng_below(r, 224);
				fz_ioctl(c, e.vcpu[0], VESSEL_INJECT, (unsigned long)&ev,
					 stat_of(VESSEL_INJECT, FD_VCPU));
			}
			break;
		case VESSEL_EXIT_PV_RESET:
			if (!racing && rng_chance(r, 50))
				vcpu_load_program(c, &e, &prog, st, e.vcpu[0]);
			break;
		}
		if (rng_chance(r, an.reason == VESSEL_EXIT_IO ? 50 : 25))
			run_page_scribble(c, run, an.reason);
		/* The oracle: only when no other thread touches the vCPU or RAM. */
		if (!racing && (an.reason == VESSEL_EXIT_IO ||
				an.reason == VESSEL_EXIT_MSR) &&
		    rng_chance(r, 35)) {
			bool mem = prog.provider <= VESSEL_PV_MINIMAL && ram_copy;

			if (!complete_and_check(c, e.vcpu[0], run, &an, e.ram,
						mem ? ram_copy : NULL, st))
				stop = true;
		}
		/* The second vCPU, now and then (APs wait for a SIPI). */
		if (e.nr_vcpus > 1 && rng_chance(r, 10))
			vcpu_run(c, e.vcpu[1], e.run[1], 2000);
		/* Small ioctl noise between runs, single-threaded. */
		if (!racing && rng_chance(r, 8)) {
			int which;

			fuzz_ioctl_on(c, e.vcpu[0], FD_VCPU, NULL, NULL, &which);
		}
	}

	__atomic_store_n(&e.stop, true, __ATOMIC_RELAXED);
	for (i = 0; i < nr_chaos; i++)
		pthread_join(chaos[i], NULL);
out_vcpus:
	for (i = 0; i < 2; i++) {
		if (e.run[i])
			munmap(e.run[i], 4096);
		if (e.vcpu[i] >= 0)
			close(e.vcpu[i]);
	}
out_mem:
	if (e.ram != MAP_FAILED && e.ram)
		ram_release(&e);
	if (e.rom != MAP_FAILED && e.rom)
		munmap(e.rom, G_ROM_SIZE);
	/* A closed one is a placeholder now, which keeps the number. */
out_vm:
	close(e.vm);
out_sys:
	close(e.sys);
}

/* ------------------------------------------------------------ storms */

#define POOL_MAX	24

struct pool {
	pthread_mutex_t lock;
	int fd[POOL_MAX];
	enum fd_type type[POOL_MAX];
	struct vessel_run *run[POOL_MAX];
	unsigned int n;
	unsigned int threads;
	uint64_t deadline;
};

static void pool_add(struct pool *p, int fd, enum fd_type type)
{
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	/*
	 * The number is open again (one thread only: with more, a close
	 * keeps the number): no longer a closed fd.
	 */
	for (i = 0; i < p->n; i++)
		if (p->fd[i] == fd && p->type[i] == FD_CLOSED)
			p->type[i] = NR_FD_TYPES;
	if (p->n < POOL_MAX) {
		p->fd[p->n] = fd;
		p->type[p->n] = type;
		p->run[p->n] = type == FD_VCPU ? map_run(fd) : NULL;
		p->n++;
	} else {
		close(fd);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Whether pool @arg's @fd is closed (a placeholder, with threads). */
static bool pool_closed(void *arg, int fd)
{
	struct pool *p = arg;
	bool closed = false;
	unsigned int i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->n; i++)
		if (p->fd[i] == fd && p->type[i] == FD_CLOSED)
			closed = true;
	pthread_mutex_unlock(&p->lock);
	return closed;
}

/* A pool entry of @type, or -1. */
static int pool_pick(struct pool *p, struct rng *r, enum fd_type type)
{
	unsigned int i, n = 0, k;
	int got = -1;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->n; i++)
		n += p->type[i] == type;
	if (n) {
		k = rng_below(r, n);
		for (i = 0; i < p->n; i++)
			if (p->type[i] == type && !k--) {
				got = i;
				break;
			}
	}
	pthread_mutex_unlock(&p->lock);
	return got;
}

static void storm_op(struct fctx *c, struct pool *p)
{
	struct rng *r = &c->rng;
	unsigned int t = rng_below(r, 100);
	enum fd_type type = t < 10 ? FD_SYS : t < 40 ? FD_VM : t < 88 ? FD_VCPU :
			    t < 94 ? FD_FOREIGN : FD_CLOSED;
	int i, which, fd;
	long ret;

	if (type == FD_FOREIGN) {
		fuzz_foreign_ioctl(c, foreign[rng_below(r, nr_foreign)], FD_FOREIGN);
		return;
	}
	if (type == FD_CLOSED) {
		/* A number we closed, or one never open. */
		i = pool_pick(p, r, FD_CLOSED);
		fuzz_foreign_ioctl(c, i < 0 ? 1000 + (int)rng_below(r, 24) : p->fd[i],
				   FD_CLOSED);
		return;
	}
	i = pool_pick(p, r, type);
	if (i < 0)
		return;
	fd = p->fd[i];
	if (rng_chance(r, 3)) {
		/*
		 * Close it; the number stays in the pool as a closed fd.  Marked
		 * first, so that a thread whose call failed with EBADF finds it.
		 */
		pthread_mutex_lock(&p->lock);
		if (p->type[i] == type) {
			p->type[i] = FD_CLOSED;
			if (p->threads > 1)
				close_keep_number(fd);
			else
				close(fd);
		}
		pthread_mutex_unlock(&p->lock);
		note_op(c, OP_CLOSED_FD, 0, 0);
		return;
	}
	if (type == FD_VCPU && rng_chance(r, 3)) {
		/* mmap of the run page with bad offsets, sizes, flags. */
		size_t len = PICK(r, 4096, 8192, 1);
		void *q = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       PICK(r, MAP_SHARED, MAP_PRIVATE), fd,
			       PICK(r, 0, 4096, 1ULL << 40));

		if (q != MAP_FAILED)
			munmap(q, len);
		return;
	}
	ret = fuzz_ioctl_on(c, fd, type, NULL, NULL, &which);
	if (ret == -2) {
		struct vessel_run *run = p->run[i];

		if (run) {
			run->immediate_exit = rng_chance(r, 40);
			if (rng_chance(r, 30))
				run_page_scribble(c, run, run->exit_reason);
		}
		vcpu_run(c, fd, run, 1000 + rng_below(r, 5000));
		return;
	}
	if (ret < 0 || which < 0)
		return;
	if (which == desc_find(VESSEL_CREATE_VM, FD_SYS))
		pool_add(p, ret, FD_VM);
	else if (which == desc_find(VESSEL_CREATE_VCPU, FD_VM))
		pool_add(p, ret, FD_VCPU);
}

struct storm_arg {
	struct pool *p;
	uint64_t iteration;
	unsigned int thread;
	unsigned int ops;
};

static void *storm_thread(void *arg)
{
	struct storm_arg *a = arg;
	struct fctx c;
	unsigned int i;

	fctx_init(&c, a->iteration, a->thread);
	c.closed = pool_closed;
	c.closed_arg = a->p;
	if (fctx_memory(&c))
		return NULL;
	timer_init();
	for (i = 0; i < a->ops && !sh->failed && now_ns() < a->p->deadline; i++)
		storm_op(&c, a->p);
	if (timer_ok)
		timer_delete(thread_timer);
	munmap(c.scratch, 0x12000);
	return NULL;
}

static void storm(struct fctx *c)
{
	struct rng *r = &c->rng;
	struct pool p = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct storm_arg a[3];
	pthread_t th[3];
	unsigned int i, k;
	int fd;

	/* A system fd, VMs of a few kinds, vCPUs with memory. */
	fd = sys_open();
	if (fd < 0)
		return;
	pool_add(&p, fd, FD_SYS);
	for (i = 0; i < 1 + rng_below(r, 3); i++) {
		int vm = vm_create(c, fd, rng_chance(r, 50) ? VESSEL_VM_LAPIC : 0,
				   rng_below(r, NR_PROVIDERS));

		if (vm < 0)
			continue;
		pool_add(&p, vm, FD_VM);
		for (k = 0; k < 1 + rng_below(r, 2); k++) {
			int v = fz_ioctl(c, vm, VESSEL_CREATE_VCPU, k,
					 stat_of(VESSEL_CREATE_VCPU, FD_VM));

			if (v >= 0)
				pool_add(&p, v, FD_VCPU);
		}
	}
	p.threads = 1 + (rng_chance(r, 40) ? 1 + rng_below(r, 2) : 0);
	if (p.threads > 1) {
		c->closed = pool_closed;
		c->closed_arg = &p;
	}
	p.deadline = now_ns() + 400 * 1000000ULL;
	for (i = 0; i < p.threads; i++) {
		a[i] = (struct storm_arg){ &p, c->iteration, i, 50 + rng_below(r, 250) };
		if (i == 0)
			continue;
		if (pthread_create(&th[i], NULL, storm_thread, &a[i]))
			p.threads = i;
	}
	for (k = 0; k < a[0].ops && !sh->failed && now_ns() < p.deadline; k++)
		storm_op(c, &p);
	for (i = 1; i < p.threads; i++)
		pthread_join(th[i], NULL);
	/*
	 * Every number once: with threads, a closed one is a placeholder;
	 * alone, a number closed and taken again is in the pool twice.
	 */
	for (i = 0; i < p.n; i++) {
		if (p.run[i])
			munmap(p.run[i], 4096);
		if ((p.type[i] == FD_CLOSED && p.threads > 1) ||
		    (p.type[i] != FD_CLOSED && p.type[i] != NR_FD_TYPES))
			close(p.fd[i]);
	}
}

/* ---------------------------------------------------------- iteration */

static struct fctx main_ctx;

int episode_init(void)
{
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	int fds[2], fd;

	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = sys_open();
	if (fd < 0) {
		fprintf(stderr, "fuzz: cannot open /dev/vessel: %s (vessel.ko loaded?)\n",
			strerror(errno));
		return -1;
	}
	if (ioctl(fd, VESSEL_GET_CAPS, &caps) < 0) {
		fprintf(stderr, "fuzz: VESSEL_GET_CAPS: %s\n", strerror(errno));
		return -1;
	}
	close(fd);
	if (!pipe(fds)) {
		foreign[nr_foreign++] = fds[0];
		foreign[nr_foreign++] = fds[1];
	}
	foreign[nr_foreign++] = open("/dev/null", O_RDWR);
	foreign[nr_foreign++] = memfd_create("vessel-fuzz-foreign", 0);
	foreign[nr_foreign++] = eventfd(0, 0);
	foreign[nr_foreign++] = open("/tmp/vessel-fuzz-file", O_RDWR | O_CREAT, 0600);
	placeholder = open("/", O_PATH | O_CLOEXEC);
	if (placeholder < 0) {
		fprintf(stderr, "fuzz: open / O_PATH: %s\n", strerror(errno));
		return -1;
	}
	if (ioctls_init() || fctx_memory(&main_ctx))
		return -1;
	if (opt.trace) {
		/* /dev/kmsg would drop all but 10 lines in 5 s otherwise. */
		fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY);
		if (fd >= 0 && write(fd, "on\n", 3) < 0)
			perror("fuzz: printk_devkmsg");
		if (fd >= 0)
			close(fd);
		trace_fd = open("/dev/kmsg", O_WRONLY);
	}
	timer_init();
	return 0;
}

void run_iteration(uint64_t iteration)
{
	struct fctx *c = &main_ctx;
	unsigned int kind;

	fctx_init(c, iteration, 0);
	kind = rng_below(&c->rng, 100);
	/* --only: the same decisions after this one, a fixed kind. */
	if (opt.only)
		kind = opt.only == 1 ? 0 : opt.only == 2 ? 55 : 75;
	if (kind < 55)
		guest_episode(c, false);
	else if (kind < 75)
		guest_episode(c, true);
	else
		storm(c);
}
