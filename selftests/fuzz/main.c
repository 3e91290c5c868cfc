// SPDX-License-Identifier: GPL-2.0
/*
 * vessel_fuzz: options, the supervisor, the worker and the report.
 *
 * The supervisor forks the worker and then only watches:
 *  - /dev/kmsg, for an oops, WARN, BUG, soft or hard lockup, RCU stall or
 *    hung task: the run fails with the first such line and the seed and
 *    iteration the worker was in;
 *  - the worker's heartbeat (every ioctl bumps it): no progress for
 *    --hang seconds is a hang, reported with what each thread was doing;
 *  - the worker's own findings (contract or completion violations).
 * It writes a progress line ("vessel-fuzz: seed S iteration I ...") to
 * the kernel log at KERN_EMERG every --progress seconds: the console
 * prints it at once, so the last one before a machine dies is in the
 * serial log.  At the end it prints the per-ioctl call counts, errno
 * distributions, exits and episodes.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct shared *sh;
struct options opt = {
	.seconds = 60,
	.progress_every = 2,
};
static double hang_seconds = 60;
static int kmsg_w = -1;

/* ------------------------------------------------------------ random */

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t mix64(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b * 0xd1342543de82ef95ULL);

	return splitmix(&x);
}

void rng_seed(struct rng *r, uint64_t seed)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** */
uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

bool rng_chance(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

uint64_t pick_of(struct rng *r, const uint64_t *v, unsigned int n)
{
	return v[rng_below(r, n)];
}

static uint64_t mask_of(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

uint64_t rng_boundary(struct rng *r, unsigned int bytes)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 0xf, 0x10, 0x1f, 0x20, 0x3f, 0x40, 0x7f,
		0x80, 0xff, 0x100, 0x3ff, 0x400, 0xfff, 0x1000, 0x7fff, 0x8000,
		0xffff, 0x10000, 0xfffff, 0x100000, 0x7fffffff, 0x80000000,
		0xfffffffe, 0xffffffff, 0x100000000ULL, 0x100000001ULL,
		0x7fffffffffffULL, 0x800000000000ULL, 0xffff800000000000ULL,
		1ULL << 52, 1ULL << 56, 1ULL << 60, 1ULL << 62,
		0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0x8000000000000001ULL, ~0ULL - 1, ~0ULL,
	};
	uint64_t m = mask_of(bytes), x;

	/* The top values of the width, not only of 64 bits. */
	switch (rng_below(r, 8)) {
	case 0:
		x = m;
		break;
	case 1:
		x = m >> 1;
		break;
	case 2:
		x = (m >> 1) + 1;
		break;
	default:
		x = v[rng_below(r, ARRAY_SIZE(v))];
		break;
	}
	return x & m;
}

uint64_t rng_value(struct rng *r, unsigned int bytes)
{
	uint64_t m = mask_of(bytes);

	switch (rng_below(r, 10)) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
		return rng_boundary(r, bytes);
	case 5:
		/* Near a boundary. */
		return (rng_boundary(r, bytes) + rng_below(r, 17) - 8) & m;
	case 6:
		return (1ULL << rng_below(r, 8 * (bytes > 8 ? 8 : bytes))) & m;
	case 7:
		return rng_below(r, 0x1000) & m;
	default:
		return rng_next(r) & m;
	}
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --------------------------------------------------------- findings */

void fuzz_fail(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST))
		return;
	snprintf(sh->failure, sizeof(sh->failure), "%s", msg);
}

/* A line to the console at once (KERN_EMERG) and into the kernel log. */
static void console_line(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "<0>");
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	/* The newline ends the record: the console prints only ended ones. */
	n = strlen(line);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = 0;
	if (kmsg_w < 0 || write(kmsg_w, line, n) < 0)
		fprintf(stderr, "%s", line + 3);
}

/* ------------------------------------------------------------ worker */

static int worker(void)
{
	uint64_t i, end = opt.iterations ? opt.start + opt.iterations : ~0ULL;
	uint64_t deadline = opt.iterations ? ~0ULL :
			    now_ns() + (uint64_t)(opt.seconds * 1e9);

	if (episode_init())
		return 2;
	for (i = opt.start; i < end && !sh->failed; i++) {
		if (!opt.iterations && now_ns() >= deadline)
			break;
		__atomic_store_n(&sh->iteration, i, __ATOMIC_SEQ_CST);
		run_iteration(i);
		__atomic_store_n(&sh->iterations_done, i - opt.start + 1,
				 __ATOMIC_SEQ_CST);
	}
	sh->done = 1;
	return sh->failed ? 1 : 0;
}

/* -------------------------------------------------------- supervisor */

/* What the kernel logs when it is in trouble (as selftests/testbed/init). */
static const char *const bad_words[] = {
	"Oops", "WARNING:", "BUG:", "general protection", "soft lockup",
	"hard LOCKUP", "KASAN", "Call Trace", "Kernel panic", "divide error",
	"invalid opcode:", "double fault", "stack segment", "kernel BUG",
	"rcu: INFO", "self-detected stall", "detected stall",
	"rcu_sched kthread starved", "blocked for more than", "hung_task",
};

static int bad_words_compile(regex_t *re)
{
	char pattern[512] = "";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad_words); i++) {
		if (i)
			strcat(pattern, "|");
		strcat(pattern, bad_words[i]);
	}
	return regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
}

/* One record of /dev/kmsg: "prio,seq,usec,flags;text", continuations after. */
static const char *kmsg_text(char *rec)
{
	char *t = strchr(rec, ';'), *nl;

	if (!t)
		return rec;
	t++;
	nl = strchr(t, '\n');
	if (nl)
		*nl = 0;
	return t;
}

static void print_stats(FILE *f)
{
	static const char *const exit_names[NR_EXIT_SLOTS] = {
		"NONE", "IO", "MMIO", "HLT", "SHUTDOWN", "MSR", "INTR",
		"INTERNAL_ERROR", "EOI", "9", "10", "11", "PV_RESET", "PV_CRASH",
		"PV_DEBUG", "15", "(RUN failed)",
	};
	unsigned int i, e, m, p;

	fprintf(f, "# per-ioctl calls, successes and errnos:\n");
	for (i = 0; i < MAX_DESCS + NR_PSEUDO_OPS; i++) {
		const struct ioctl_stats *s = &sh->ops[i];
		char line[600];
		int n;

		if (i < MAX_DESCS && i >= desc_count())
			continue;
		n = snprintf(line, sizeof(line), "#   %-22s %8llu calls %8llu ok",
			     desc_name(i), (unsigned long long)s->calls,
			     (unsigned long long)s->ok);
		for (e = 0; e < NR_ERRNO && n < (int)sizeof(line) - 40; e++)
			if (s->err[e])
				n += snprintf(line + n, sizeof(line) - n, " %s:%llu",
					      e ? strerrorname_np(e) : "E?",
					      (unsigned long long)s->err[e]);
		fprintf(f, "%s\n", line);
	}
	fprintf(f, "# RUN results by exit reason:");
	for (i = 0; i < NR_EXIT_SLOTS; i++)
		if (sh->exits[i])
			fprintf(f, " %s:%llu", exit_names[i],
				(unsigned long long)sh->exits[i]);
	fprintf(f, "\n# guest episodes by mode and provider:");
	for (m = 0; m < NR_MODES; m++)
		for (p = 0; p < NR_PROVIDERS; p++)
			fprintf(f, " %s/%s:%llu", mode_names[m], provider_names[p],
				(unsigned long long)sh->episodes[m][p]);
	fprintf(f, "\n# %llu RUNs, %llu run-page writes, %llu completion checks, %llu contract checks, %llu races, %llu memory changes, %llu forks\n",
		(unsigned long long)sh->runs,
		(unsigned long long)sh->run_page_writes,
		(unsigned long long)sh->completion_checks,
		(unsigned long long)sh->contract_checks,
		(unsigned long long)sh->races,
		(unsigned long long)sh->memory_changes,
		(unsigned long long)sh->forks);
}

static void report_threads(void)
{
	uint64_t now = now_ns();
	unsigned int i;

	for (i = 0; i < MAX_THREADS; i++) {
		const struct thread_slot *t = &sh->threads[i];
		uint64_t since = __atomic_load_n(&t->since_ns, __ATOMIC_RELAXED);

		if (!since)
			continue;
		console_line("vessel-fuzz: thread %u in %s for %.1f s (iteration %llu)",
			     i, desc_name(t->desc), (now - since) / 1e9,
			     (unsigned long long)t->iteration);
	}
}

static void help(FILE *f)
{
	fprintf(f,
"usage: vessel_fuzz [--seed N] [--start I] [--iterations N | --seconds S]\n"
"                   [--progress S] [--hang S] [--only KIND] [--trace] [--verbose]\n"
"Fuzzes /dev/vessel (vessel.ko must be loaded) and fails on a kernel oops,\n"
"WARN, lockup or stall, a hang, or a broken ABI contract, printing the seed\n"
"and iteration to replay: --seed S --start I --iterations 1.\n"
"  --seed N        random seed (default: from the clock; printed)\n"
"  --start I       first iteration (default 0)\n"
"  --iterations N  run N iterations (default: run for --seconds)\n"
"  --seconds S     run for S seconds (default 60)\n"
"  --progress S    a progress line on the console every S seconds (default 2)\n"
"  --hang S        no progress for S seconds is a hang (default 60)\n"
"  --only KIND     only iterations of KIND: guest, race or storm\n"
"  --trace         every call on the console before it is made (slow)\n"
"  --verbose       say more on stderr; twice: every call\n");
}

static int parse(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "start", required_argument, NULL, 'S' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "progress", required_argument, NULL, 'p' },
		{ "hang", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "only", required_argument, NULL, 'o' },
		{ "trace", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool seeded = false;
	int o;

	while ((o = getopt_long(argc, argv, "s:n:t:v", longopts, NULL)) != -1) {
		switch (o) {
		case 's':
			opt.seed = strtoull(optarg, NULL, 0);
			seeded = true;
			break;
		case 'S':
			opt.start = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			opt.iterations = strtoull(optarg, NULL, 0);
			break;
		case 't':
			opt.seconds = strtod(optarg, NULL);
			break;
		case 'p':
			opt.progress_every = strtod(optarg, NULL);
			break;
		case 'H':
			hang_seconds = strtod(optarg, NULL);
			break;
		case 'v':
			opt.verbose++;
			break;
		case 'T':
			opt.trace = true;
			break;
		case 'o':
			opt.only = !strcmp(optarg, "guest") ? 1 :
				   !strcmp(optarg, "race") ? 2 :
				   !strcmp(optarg, "storm") ? 3 : -1;
			if (opt.only < 0) {
				help(stderr);
				return -1;
			}
			break;
		case 'h':
			help(stdout);
			exit(0);
		default:
			help(stderr);
			return -1;
		}
	}
	if (optind != argc || opt.seconds <= 0 || opt.progress_every <= 0) {
		help(stderr);
		return -1;
	}
	if (!seeded)
		opt.seed = now_ns() ^ ((uint64_t)getpid() << 32);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t t0, last_progress = 0, last_beat = 0, beat_at;
	char rec[2048], bad[512] = "";
	int kmsg, status = 0, rc = 0;
	bool exited = false;
	regex_t re;
	pid_t pid;

	if (parse(argc, argv))
		return 2;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("vessel_fuzz: mmap");
		return 2;
	}
	sh->seed = opt.seed;
	sh->start = opt.start;
	if (bad_words_compile(&re))
		return 2;
	/* Only what the kernel logs from now on. */
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	kmsg_w = open("/dev/kmsg", O_WRONLY);

	printf("# vessel_fuzz: seed %llu, iterations from %llu, %s %g\n",
	       (unsigned long long)opt.seed, (unsigned long long)opt.start,
	       opt.iterations ? "count" : "seconds",
	       opt.iterations ? (double)opt.iterations : opt.seconds);
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
	console_line("vessel-fuzz: start seed %llu iteration %llu",
		     (unsigned long long)opt.seed, (unsigned long long)opt.start);

	pid = fork();
	if (pid < 0) {
		perror("vessel_fuzz: fork");
		return 2;
	}
	if (pid == 0) {
		close(kmsg);
		_exit(worker());
	}

	t0 = now_ns();
	beat_at = t0;
	for (;;) {
		struct pollfd pfd = { .fd = kmsg, .events = POLLIN };
		uint64_t now;
		ssize_t n;

		poll(&pfd, kmsg >= 0, 100);
		while (kmsg >= 0 && (n = read(kmsg, rec, sizeof(rec) - 1)) != 0) {
			const char *text;

			if (n < 0) {
				if (errno == EPIPE)	/* overwritten: go on */
					continue;
				break;
			}
			rec[n] = 0;
			text = kmsg_text(rec);
			if (!bad[0] && !regexec(&re, text, 0, NULL, 0))
				snprintf(bad, sizeof(bad), "%.500s", text);
		}
		now = now_ns();
		if (bad[0])
			break;
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		if (exited)
			break;
		if (sh->failed)
			continue;	/* the worker is stopping */
		if (sh->heartbeat != last_beat) {
			last_beat = sh->heartbeat;
			beat_at = now;
		} else if (now - beat_at > hang_seconds * 1e9) {
			snprintf(bad, sizeof(bad), "no progress for %g s (a hang)",
				 hang_seconds);
			report_threads();
			break;
		}
		if (now - last_progress >= opt.progress_every * 1e9) {
			last_progress = now;
			console_line("vessel-fuzz: seed %llu iteration %llu (%llu done, %.0f s)",
				     (unsigned long long)opt.seed,
				     (unsigned long long)sh->iteration,
				     (unsigned long long)sh->iterations_done,
				     (now - t0) / 1e9);
		}
	}

	if (bad[0]) {
		/* Give the kernel a moment to finish the report, then stop. */
		usleep(500000);
		console_line("vessel-fuzz: FAIL: seed %llu iteration %llu after %.1f s (%llu iterations done): kernel: %s",
			     (unsigned long long)opt.seed,
			     (unsigned long long)sh->iteration, (now_ns() - t0) / 1e9,
			     (unsigned long long)sh->iterations_done, bad);
		/* The call the kernel died in is still marked as running. */
		report_threads();
		kill(pid, SIGKILL);
		rc = 1;
	} else if (sh->failed) {
		console_line("vessel-fuzz: FAIL: seed %llu iteration %llu after %.1f s (%llu iterations done): %s",
			     (unsigned long long)opt.seed,
			     (unsigned long long)sh->iteration, (now_ns() - t0) / 1e9,
			     (unsigned long long)sh->iterations_done, sh->failure);
		rc = 1;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		console_line("vessel-fuzz: FAIL: seed %llu iteration %llu: the worker %s %d",
			     (unsigned long long)opt.seed,
			     (unsigned long long)sh->iteration,
			     WIFSIGNALED(status) ? "died of signal" : "exited with",
			     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		rc = 1;
	}
	if (!exited) {
		/* A worker stuck in the kernel may never die: wait a little. */
		unsigned int i;

		for (i = 0; i < 50 && waitpid(pid, &status, WNOHANG) != pid; i++)
			usleep(100000);
	}
	if (rc)
		printf("# FAIL: replay with: vessel_fuzz --seed %llu --start %llu --iterations 1\n",
		       (unsigned long long)opt.seed, (unsigned long long)sh->iteration);
	print_stats(stdout);
	printf("# %llu iterations in %.1f s: %s\n",
	       (unsigned long long)sh->iterations_done, (now_ns() - t0) / 1e9,
	       rc ? "FAIL" : "pass");
	if (!rc)
		console_line("vessel-fuzz: pass: seed %llu, %llu iterations in %.0f s",
			     (unsigned long long)opt.seed,
			     (unsigned long long)sh->iterations_done,
			     (now_ns() - t0) / 1e9);
	return rc;
}
