// SPDX-License-Identifier: GPL-2.0
/*
 * The execution cap (--cpu-cap, `vessel ctl PATH cap`), as VirtualBox's
 * VMR3SetCpuExecutionCap: each vCPU gets at most that share of a host
 * CPU, enforced by its own thread without cgroups.
 *
 * Time is cut into periods of CAP_PERIOD_NS. In each, a vCPU thread may
 * use cap% of the period in CPU time - its own, CLOCK_THREAD_CPUTIME_ID,
 * which counts the time in VESSEL_RUN, guest included, and not the time
 * asleep in a halted guest. A POSIX timer on that clock sends the thread
 * CAP_SIGNAL when the budget is spent, which makes VESSEL_RUN return
 * (EINTR) however long the guest would have run; the thread then waits
 * for the period's end, unless a pause or the end of the machine wakes it
 * first. A cap of 100 costs nothing: no timer is armed, no clock read.
 */
#define _GNU_SOURCE	/* gettid(), SIGEV_THREAD_ID */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define NSEC_PER_SEC	1000000000ULL
/* Long enough for a host timer tick's granularity, short for a user. */
#define CAP_PERIOD_NS	(100 * 1000 * 1000ULL)
#define CAP_SIGNAL	(SIGRTMIN + 1)
#ifndef sigev_notify_thread_id	/* glibc names it from 2.38 on */
#define sigev_notify_thread_id	_sigev_un._tid
#endif

/* Delivered only to interrupt VESSEL_RUN: nothing to do here. */
static void cap_signal(int sig)
{
	(void)sig;
}

/*
 * Once, before the vCPU threads start: the handler, without SA_RESTART,
 * so the signal ends VESSEL_RUN with EINTR.
 */
int vmm_cap_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cap_signal;
	sigemptyset(&sa.sa_mask);
	return sigaction(CAP_SIGNAL, &sa, NULL) ? -errno : 0;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts_ns(&ts);
}

/* On the vCPU's thread: a timer on its CPU clock, signalling it alone. */
void vcpu_cap_init(struct vcpu_thread *t)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = CAP_SIGNAL;
	sev.sigev_notify_thread_id = gettid();
	t->cap.timer_ok = !timer_create(CLOCK_THREAD_CPUTIME_ID, &sev,
					&t->cap.timer);
	t->cap.period_end = 0;
}

void vcpu_cap_free(struct vcpu_thread *t)
{
	if (t->cap.timer_ok)
		timer_delete(t->cap.timer);
	t->cap.timer_ok = false;
}

static void cap_timer_set(struct vcpu_thread *t, uint64_t cpu_ns)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = cpu_ns / NSEC_PER_SEC;
	its.it_value.tv_nsec = cpu_ns % NSEC_PER_SEC;
	timer_settime(t->cap.timer, TIMER_ABSTIME, &its, NULL);
}

/* Before VESSEL_RUN: start a period when the last one is over. */
void vcpu_cap_before_run(struct vcpu_thread *t)
{
	unsigned int cap = atomic_load(&t->vmm->cpu_cap);
	uint64_t now;

	if (cap >= 100 || !t->cap.timer_ok) {
		if (t->cap.period_end) {
			cap_timer_set(t, 0);	/* disarmed: the cap was lifted */
			t->cap.period_end = 0;
		}
		return;
	}
	now = vmm_timer_now();
	if (now < t->cap.period_end)
		return;
	t->cap.period_end = now + CAP_PERIOD_NS;
	t->cap.cpu_end = thread_cpu_ns() + CAP_PERIOD_NS * cap / 100;
	cap_timer_set(t, t->cap.cpu_end);
}

/*
 * After VESSEL_RUN: with the budget spent, wait for the period's end,
 * on the condition a pause and the end of the machine broadcast.
 */
void vcpu_cap_after_run(struct vcpu_thread *t)
{
	struct vmm *vmm = t->vmm;
	struct timespec until;

	if (!t->cap.period_end || thread_cpu_ns() < t->cap.cpu_end)
		return;
	until.tv_sec = t->cap.period_end / NSEC_PER_SEC;
	until.tv_nsec = t->cap.period_end % NSEC_PER_SEC;
	pthread_mutex_lock(&vmm->lock);
	while (!vmm->stopping && !vmm->pausing &&
	       vmm_timer_now() < t->cap.period_end)
		pthread_cond_timedwait(&vmm->input_cond, &vmm->lock, &until);
	pthread_mutex_unlock(&vmm->lock);
}
