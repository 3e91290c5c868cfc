/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vessel_fuzz: a fuzzer of /dev/vessel that runs in the test machine
 * (Documentation/testing.rst, "The fuzzer").
 *
 * One process, the supervisor, watches the kernel log and a heartbeat; a
 * second one, the worker, runs iterations.  Iteration I of seed S is a pure
 * function of (S, I) up to thread scheduling: its random streams are seeded
 * from both, so "--seed S --start I --iterations 1" replays it.
 *
 * Files:
 *	main.c		options, supervisor, worker loop, the report
 *	ioctls.c	the description table: every ioctl, its fd type and
 *			its argument's fields; valid arguments and one-field
 *			mutations
 *	guest.c		hostile guest programs (real, protected, long mode)
 *	episode.c	VMs that run them: exits, run-page writes, racing
 *			threads, memory changed under the vCPU, the oracles
 */
#ifndef VESSEL_FUZZ_H
#define VESSEL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <compiler.h>
#include <vessel.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* ----------------------------------------------------------- random */

struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* 0 .. @n - 1 (0 when @n is 0). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* True with probability @pct percent. */
bool rng_chance(struct rng *r, unsigned int pct);
/* A boundary value of @bytes (1, 2, 4, 8) bytes: 0, 1, max, 2^(n-1), ... */
uint64_t rng_boundary(struct rng *r, unsigned int bytes);
/* Mostly boundary values, near them, powers of two; some random bits. */
uint64_t rng_value(struct rng *r, unsigned int bytes);
uint64_t pick_of(struct rng *r, const uint64_t *v, unsigned int n);
/* One of the values listed, with equal chances. */
#define PICK(r, ...) ({							\
	const uint64_t _v[] = { __VA_ARGS__ };						\
	pick_of(r, _v, ARRAY_SIZE(_v));					\
})
/* Mix of two numbers, for seeding one stream from (seed, iteration). */
uint64_t mix64(uint64_t a, uint64_t b);

/* --------------------------------------------------- shared statistics */

#define NR_ERRNO	134
#define MAX_THREADS	8
/* VESSEL_EXIT_* values and one slot for RUN errors. */
#define NR_EXIT_SLOTS	17

struct ioctl_stats {
	uint64_t calls;
	uint64_t ok;
	uint64_t err[NR_ERRNO];
};

/* What a worker thread is doing, for the supervisor's report of a hang. */
struct thread_slot {
	uint64_t since_ns;		/* 0: not in a call */
	uint64_t iteration;
	uint32_t desc;			/* index into the table, or OP_* */
	uint32_t active;
};

/* Pseudo entries after the ioctl table, for the statistics. */
enum {
	OP_UNKNOWN_CMD,			/* numbers no table entry has */
	OP_WRONG_FD,			/* a vessel ioctl on another fd type */
	OP_CLOSED_FD,
	OP_MEMORY,			/* munmap, mprotect, madvise, ... */
	OP_FORK,
	NR_PSEUDO_OPS,
};

#define MAX_DESCS	64

/* Guest modes and providers of the hostile-guest episodes. */
#define NR_MODES	3
#define NR_PROVIDERS	4

struct shared {
	uint64_t seed;
	uint64_t start;
	uint64_t iteration;		/* the one in progress */
	uint64_t iterations_done;
	uint64_t heartbeat;		/* bumped by every call */
	int done;
	int failed;			/* the worker found something */
	char failure[512];
	struct thread_slot threads[MAX_THREADS];
	struct ioctl_stats ops[MAX_DESCS + NR_PSEUDO_OPS];
	uint64_t exits[NR_EXIT_SLOTS];
	uint64_t episodes[NR_MODES][NR_PROVIDERS];
	uint64_t runs;
	uint64_t run_page_writes;
	uint64_t completion_checks;
	uint64_t contract_checks;
	uint64_t races;
	uint64_t memory_changes;
	uint64_t forks;
};

extern struct shared *sh;

static inline void stat_add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

uint64_t now_ns(void);

/* A finding: recorded once in @sh, printed, and the worker stops. */
void fuzz_fail(const char *fmt, ...) __printf(1, 2);

/* ------------------------------------------------------------ targets */

enum fd_type {
	FD_SYS,				/* /dev/vessel */
	FD_VM,
	FD_VCPU,
	FD_FOREIGN,			/* a pipe, /dev/null, a memfd, an eventfd */
	FD_CLOSED,
	NR_FD_TYPES,
};

/* What a VM was made with, as the descriptions need to know it. */
struct vm_info {
	int fd;
	uint32_t flags;			/* VESSEL_VM_* */
	uint32_t provider;
	bool ran;
};

struct vcpu_info {
	int fd;
	uint32_t id;
	struct vm_info *vm;
	struct vessel_run *run;
};

/* Per-thread fuzzing context. */
struct fctx {
	struct rng rng;
	unsigned int thread;		/* slot in sh->threads */
	uint64_t iteration;
	struct vessel_caps caps;
	/*
	 * Whether another thread has closed @fd, asked after a call that
	 * failed with EBADF; NULL where no other thread closes our fds.
	 * Such a close keeps the number (close_keep_number() in episode.c):
	 * no other object can take it, so an fd is always of the type the
	 * caller says, and a call on it either runs on that file or, after
	 * the close, fails with EBADF.
	 */
	bool (*closed)(void *arg, int fd);
	void *closed_arg;
	/* Scratch memory the generators point into. */
	uint8_t *scratch;		/* 64 KiB read-write */
	uint8_t *scratch_ro;		/* one read-only page */
	uint8_t *unmapped;		/* one page, PROT_NONE */
};

/* ioctl() with the bookkeeping: statistics, heartbeat, thread slot. */
long fz_ioctl(struct fctx *c, int fd, unsigned long cmd, unsigned long arg,
	      unsigned int stat);

/* ----------------------------------------------------- ioctls.c */

/* The number of table entries, and the name of entry or pseudo op @i. */
unsigned int desc_count(void);
const char *desc_name(unsigned int i);
/* The table entry of ioctl number @cmd on fd type @type, or -1. */
int desc_find(unsigned long cmd, enum fd_type type);

/*
 * One fuzzed call on @fd (of @type): a table entry of that type (or
 * another: wrong fd types), with a valid argument or one with a field
 * mutated, or a bad pointer, or an unknown number.  Checks the contract
 * (exact errnos where the ABI fixes them).  Returns the ioctl's result.
 * @vm and @vcpu describe the target when it is one.
 */
long fuzz_ioctl_on(struct fctx *c, int fd, enum fd_type type,
		   struct vm_info *vm, struct vcpu_info *vcpu, int *which);
/*
 * A fuzzed call on a fd of no vessel type, or a closed one; checks the
 * errno (ENOTTY, EBADF).
 */
void fuzz_foreign_ioctl(struct fctx *c, int fd, enum fd_type type);
/* The arena storms register as guest memory. */
int ioctls_init(void);

/* ----------------------------------------------------- guest.c */

enum guest_mode {
	MODE_REAL,
	MODE_PROT,
	MODE_LONG,
};

extern const char *const mode_names[NR_MODES];
extern const char *const provider_names[NR_PROVIDERS];

/* Guest-physical layout of a hostile guest's RAM (slot 0, at GPA 0). */
#define G_RAM_SIZE	0x40000ULL	/* 256 KiB */
#define G_GDT		0x0500ULL
#define G_TSS		0x0600ULL
#define G_RESUME	0x0700ULL	/* where a faulting gadget resumes */
#define G_HANDLER	0x0800ULL	/* the exception handler */
#define G_IDT		0x1000ULL
#define G_PML4		0x2000ULL	/* then PDPT, 4 PDs */
#define G_STACK_TOP	0x8ff0ULL
#define G_DATA		0x9000ULL	/* descriptors, hypercall input */
#define G_CODE		0x10000ULL
#define G_CODE_SIZE	0x10000ULL
#define G_BUF		0x20000ULL	/* string I/O buffers */
/* A read-only slot right after RAM (writes exit as MMIO). */
#define G_ROM		G_RAM_SIZE
#define G_ROM_SIZE	0x10000ULL
/* Unbacked: MMIO exits. */
#define G_MMIO		0xc0000000ULL
#define G_APIC		0xfee00000ULL

struct guest_prog {
	enum guest_mode mode;
	uint32_t provider;		/* VESSEL_PV_* */
	bool lapic;
	unsigned int len;		/* code bytes at G_CODE */
	unsigned int gadgets;
};

/*
 * Writes a hostile program for @p->mode and @p->provider into @ram (the
 * whole slot 0, G_RAM_SIZE bytes): tables, handler, gadgets.  Fills @st
 * with the vCPU state that enters it (flags set to the parts to load).
 */
void guest_build(struct rng *r, struct guest_prog *p, uint8_t *ram,
		 struct vessel_vcpu_state *st);

/* MSR indices the tables know, for SET_USER_MSRS. */
uint32_t guest_pick_msr(struct rng *r);

/* ----------------------------------------------------- episode.c */

struct options {
	uint64_t seed;
	uint64_t start;
	uint64_t iterations;		/* 0: until @seconds */
	double seconds;
	unsigned int verbose;
	int only;			/* 0 all kinds, 1 guest, 2 race, 3 storm */
	bool trace;
	double progress_every;		/* seconds between console lines */
};

extern struct options opt;

/* One iteration: a hostile-guest episode, an ioctl storm, or a race. */
void run_iteration(uint64_t iteration);
/* Set up once per worker: scratch memory, signal handling, caps. */
int episode_init(void);

#endif /* VESSEL_FUZZ_H */
