/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Timers for device models (a PIT, an RTC, a watchdog): one timerfd on
 * CLOCK_MONOTONIC that the machine's main loop polls, armed for the
 * earliest deadline of all of them, as QEMU's timer lists do on one
 * descriptor. Expired timers run on the main thread.
 *
 * Every call, and every callback, is under the lock of whoever owns the
 * timers (the device lock, vmm->lock): a vCPU thread handling a guest's
 * write to a timer register arms it directly, and the callback that runs
 * later sees the device as that thread left it. A callback may arm and
 * cancel any timer, itself too, but not delete one.
 *
 * A periodic timer that fell behind (the host was busy) fires once for
 * all the periods it missed and goes on from now: devices that count
 * ticks read the clock, as hardware counters do, rather than count calls.
 */
#ifndef VESSEL_VMM_TIMER_H
#define VESSEL_VMM_TIMER_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*vmm_timer_fn)(void *opaque);

struct vmm_timers;

struct vmm_timer {
	struct vmm_timers *owner;
	struct vmm_timer *next;		/* the owner's list of all timers */
	uint64_t deadline;		/* CLOCK_MONOTONIC ns; 0: not armed */
	uint64_t period;		/* ns; 0: once */
	uint64_t pass;			/* vmm_timers_run() pass it last ran in */
	vmm_timer_fn fn;
	void *opaque;
};

struct vmm_timers {
	int fd;				/* the timerfd, non-blocking */
	struct vmm_timer *list;
	uint64_t programmed;		/* the timerfd's deadline; 0: none */
	uint64_t pass;
	uint64_t paused_at;		/* vmm_timers_pause(); 0: running */
};

/* Returns 0, or -errno when no timerfd can be had. */
int vmm_timers_init(struct vmm_timers *ts);
void vmm_timers_free(struct vmm_timers *ts);

/* The descriptor to poll for POLLIN: some timer has expired. */
static inline int vmm_timers_fd(const struct vmm_timers *ts)
{
	return ts->fd;
}

/*
 * Run every expired timer, each at most once, after reading the timerfd;
 * then arm it for the next deadline. Returns how many ran.
 */
unsigned int vmm_timers_run(struct vmm_timers *ts);

/* CLOCK_MONOTONIC now, in nanoseconds: the clock deadlines are on. */
uint64_t vmm_timer_now(void);

/*
 * Stop the devices' time while the machine is suspended: no timer runs
 * (the timerfd is disarmed) until vmm_timers_resume(), which moves every
 * armed deadline later by the time paused, so a timer fires as long
 * after the resume as it had left before the pause. A timer armed while
 * paused counts from the moment of the pause. Pausing twice, or resuming
 * timers that run, does nothing.
 */
void vmm_timers_pause(struct vmm_timers *ts);
void vmm_timers_resume(struct vmm_timers *ts);

/* Add @t, unarmed, to @ts; @fn(@opaque) is what it runs. */
void vmm_timer_init(struct vmm_timers *ts, struct vmm_timer *t,
		    vmm_timer_fn fn, void *opaque);
/* Cancel @t and take it off its owner's list. */
void vmm_timer_del(struct vmm_timer *t);

/*
 * Arm @t to run @delay_ns from now and then, if @period_ns is not 0,
 * every @period_ns; or at the absolute @deadline_ns (vmm_timer_now()'s
 * clock; one in the past runs at once). Arming an armed timer moves it.
 */
void vmm_timer_arm(struct vmm_timer *t, uint64_t delay_ns,
		   uint64_t period_ns);
void vmm_timer_arm_at(struct vmm_timer *t, uint64_t deadline_ns,
		      uint64_t period_ns);
void vmm_timer_cancel(struct vmm_timer *t);

static inline bool vmm_timer_armed(const struct vmm_timer *t)
{
	return t->deadline != 0;
}

#endif /* VESSEL_VMM_TIMER_H */
