// SPDX-License-Identifier: GPL-2.0
/*
 * Device timers on one timerfd (see timer.h). A machine has a handful of
 * timers, so a list searched in full beats a heap for size and speed.
 */
#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "timer.h"

#define NSEC_PER_SEC	1000000000ULL

uint64_t vmm_timer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int vmm_timers_init(struct vmm_timers *ts)
{
	memset(ts, 0, sizeof(*ts));
	ts->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	return ts->fd < 0 ? -errno : 0;
}

void vmm_timers_free(struct vmm_timers *ts)
{
	while (ts->list)
		vmm_timer_del(ts->list);
	if (ts->fd >= 0)
		close(ts->fd);
	ts->fd = -1;
}

/* Arm the timerfd for the earliest deadline, or disarm it. */
static void timers_program(struct vmm_timers *ts)
{
	struct itimerspec its = { 0 };
	uint64_t next = 0;
	struct vmm_timer *t;

	/* Paused: nothing may fire; vmm_timers_resume() programs it. */
	if (!ts->paused_at)
		for (t = ts->list; t; t = t->next)
			if (t->deadline && (!next || t->deadline < next))
				next = t->deadline;
	if (next == ts->programmed)
		return;
	/* An absolute deadline: one already past fires at once. */
	its.it_value.tv_sec = next / NSEC_PER_SEC;
	its.it_value.tv_nsec = next % NSEC_PER_SEC;
	/* Cannot fail with a valid descriptor and a normalised time. */
	if (!timerfd_settime(ts->fd, TFD_TIMER_ABSTIME, &its, NULL))
		ts->programmed = next;
}

void vmm_timer_init(struct vmm_timers *ts, struct vmm_timer *t,
		    vmm_timer_fn fn, void *opaque)
{
	memset(t, 0, sizeof(*t));
	t->owner = ts;
	t->fn = fn;
	t->opaque = opaque;
	t->next = ts->list;
	ts->list = t;
}

void vmm_timer_del(struct vmm_timer *t)
{
	struct vmm_timer **p;

	vmm_timer_cancel(t);
	for (p = &t->owner->list; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->next = NULL;
}

void vmm_timer_arm_at(struct vmm_timer *t, uint64_t deadline_ns,
		      uint64_t period_ns)
{
	/* 0 means "not armed": the clock's first nanosecond is long past. */
	t->deadline = deadline_ns ? deadline_ns : 1;
	t->period = period_ns;
	timers_program(t->owner);
}

void vmm_timer_arm(struct vmm_timer *t, uint64_t delay_ns,
		   uint64_t period_ns)
{
	uint64_t now = t->owner->paused_at ?: vmm_timer_now();

	/* Saturate: a guest may ask for the end of time. */
	vmm_timer_arm_at(t, delay_ns > UINT64_MAX - now ? UINT64_MAX :
			 now + delay_ns, period_ns);
}

void vmm_timer_cancel(struct vmm_timer *t)
{
	t->deadline = 0;
	t->period = 0;
	timers_program(t->owner);
}

/* The first timer due at @now that has not run in this pass, or NULL. */
static struct vmm_timer *timers_due(struct vmm_timers *ts, uint64_t now)
{
	struct vmm_timer *t;

	for (t = ts->list; t; t = t->next)
		if (t->deadline && t->deadline <= now && t->pass != ts->pass)
			return t;
	return NULL;
}

unsigned int vmm_timers_run(struct vmm_timers *ts)
{
	uint64_t expirations, now, missed, step;
	struct vmm_timer *t;
	unsigned int ran = 0;

	/* Only clears the readiness; EAGAIN (nothing expired) is fine. */
	if (read(ts->fd, &expirations, sizeof(expirations)) < 0)
		expirations = 0;
	/* The timerfd is disarmed once it fired; it is set again below. */
	ts->programmed = 0;
	if (ts->paused_at)
		return 0;
	ts->pass++;
	now = vmm_timer_now();
	/*
	 * Look again after each callback: it may arm or cancel timers. The
	 * pass number runs each at most once, even one that re-arms itself
	 * for a deadline already past.
	 */
	while ((t = timers_due(ts, now))) {
		t->pass = ts->pass;
		if (t->period) {
			/* The first deadline after now; saturating: never. */
			missed = (now - t->deadline) / t->period;
			if (__builtin_mul_overflow(missed + 1, t->period, &step) ||
			    __builtin_add_overflow(t->deadline, step, &t->deadline))
				t->deadline = UINT64_MAX;
		} else {
			t->deadline = 0;
		}
		t->fn(t->opaque);
		ran++;
	}
	timers_program(ts);
	return ran;
}

void vmm_timers_pause(struct vmm_timers *ts)
{
	if (ts->paused_at)
		return;
	ts->paused_at = vmm_timer_now();
	timers_program(ts);
}

void vmm_timers_resume(struct vmm_timers *ts)
{
	uint64_t paused;
	struct vmm_timer *t;

	if (!ts->paused_at)
		return;
	paused = vmm_timer_now() - ts->paused_at;
	ts->paused_at = 0;
	for (t = ts->list; t; t = t->next)
		if (t->deadline &&
		    __builtin_add_overflow(t->deadline, paused, &t->deadline))
			t->deadline = UINT64_MAX;
	timers_program(ts);
}
