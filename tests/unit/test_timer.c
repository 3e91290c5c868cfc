// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests for the device timers (user/vmm/timer.c): a real
 * timerfd, polled as the main loop polls it. Deadlines are checked as
 * hard lower bounds (CLOCK_MONOTONIC never fires early); upper bounds are
 * loose, since these tests run beside the test machines.
 */
#include <poll.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/timer.h"

#define MS		1000000ULL
/* However busy the host, a timer fires within this of its deadline. */
#define SLACK_MS	2000

static struct vmm_timers timers;
static struct vmm_timer a, b;
static unsigned int runs_a, runs_b;
static uint64_t ran_at_a;

static void run_a(void *opaque)
{
	if (opaque == &runs_a) {
		runs_a++;
		ran_at_a = vmm_timer_now();
	}
}

static void run_b(void *opaque)
{
	if (opaque == &runs_b)
		runs_b++;
}

/* Wait for the timerfd as the main loop does; then run what expired. */
static int wait_and_run(int timeout_ms)
{
	struct pollfd pfd = {
		.fd = vmm_timers_fd(&timers),
		.events = POLLIN,
	};

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	return vmm_timers_run(&timers);
}

static void setup(void)
{
	CHECK_EQ(vmm_timers_init(&timers), 0);
	vmm_timer_init(&timers, &a, run_a, &runs_a);
	vmm_timer_init(&timers, &b, run_b, &runs_b);
	runs_a = runs_b = 0;
}

static void test_once(void)
{
	uint64_t t0;

	setup();
	CHECK(!vmm_timer_armed(&a));
	t0 = vmm_timer_now();
	vmm_timer_arm(&a, 20 * MS, 0);
	CHECK(vmm_timer_armed(&a));
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_a, 1);
	CHECK(ran_at_a - t0 >= 20 * MS);
	CHECK(!vmm_timer_armed(&a));
	/* Nothing more: the timerfd is disarmed. */
	CHECK_EQ(wait_and_run(50), -1);
	CHECK_EQ(runs_b, 0);
	vmm_timers_free(&timers);
}

/* The earlier deadline first, and only it. */
static void test_order(void)
{
	setup();
	vmm_timer_arm(&a, 5000 * MS, 0);
	vmm_timer_arm(&b, 10 * MS, 0);
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_b, 1);
	CHECK_EQ(runs_a, 0);
	CHECK(vmm_timer_armed(&a));
	vmm_timer_arm(&a, 1 * MS, 0);
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_a, 1);
	vmm_timers_free(&timers);
}

/* Cancelled: never runs; re-armed: the new deadline counts. */
static void test_cancel_and_move(void)
{
	setup();
	vmm_timer_arm(&a, 10 * MS, 0);
	vmm_timer_cancel(&a);
	CHECK(!vmm_timer_armed(&a));
	CHECK_EQ(wait_and_run(100), -1);
	vmm_timer_arm(&b, 10 * MS, 0);
	vmm_timer_arm(&b, 5000 * MS, 0);	/* moved later */
	CHECK_EQ(wait_and_run(100), -1);
	CHECK_EQ(runs_b, 0);
	vmm_timer_arm(&b, 1 * MS, 0);	/* and earlier again */
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_b, 1);
	vmm_timers_free(&timers);
}

/* Periodic: again and again; a late run stands for all it missed. */
static void test_periodic(void)
{
	uint64_t t0, first, before, after;

	setup();
	t0 = vmm_timer_now();
	vmm_timer_arm(&a, 10 * MS, 10 * MS);
	first = a.deadline;
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_a, 2);
	CHECK(ran_at_a - t0 >= 20 * MS);
	CHECK(vmm_timer_armed(&a));
	/* Busy for five periods: one run, then the next deadline is ahead. */
	usleep(55 * 1000);
	before = vmm_timer_now();
	CHECK_EQ(vmm_timers_run(&timers), 1);
	after = vmm_timer_now();
	CHECK_EQ(runs_a, 3);
	/*
	 * The next deadline is the first period boundary after the run's own
	 * "now", which lies between before and after: bounding it by after,
	 * not before, keeps a descheduled test (a loaded host) from failing.
	 */
	CHECK(a.deadline > before);
	CHECK(a.deadline <= after + 10 * MS);
	CHECK_EQ((a.deadline - first) % (10 * MS), 0);
	vmm_timer_cancel(&a);
	CHECK_EQ(wait_and_run(50), -1);
	vmm_timers_free(&timers);
}

/*
 * A callback that arms itself and another timer in the past: each runs
 * once per pass, not forever, and the other one in the same pass.
 */
static void rearm_a(void *opaque)
{
	(void)opaque;
	runs_a++;
	vmm_timer_arm_at(&a, 1, 0);
	vmm_timer_arm_at(&b, 1, 0);
}

static void test_callback_arms(void)
{
	CHECK_EQ(vmm_timers_init(&timers), 0);
	vmm_timer_init(&timers, &a, rearm_a, NULL);
	vmm_timer_init(&timers, &b, run_b, &runs_b);
	runs_a = runs_b = 0;
	vmm_timer_arm_at(&a, 1, 0);		/* long past: at once */
	CHECK_EQ(wait_and_run(SLACK_MS), 2);	/* a, then the b it armed */
	CHECK_EQ(runs_a, 1);
	CHECK_EQ(runs_b, 1);
	CHECK(vmm_timer_armed(&a));
	CHECK(!vmm_timer_armed(&b));
	CHECK_EQ(wait_and_run(SLACK_MS), 2);
	CHECK_EQ(runs_a, 2);
	CHECK_EQ(runs_b, 2);
	vmm_timer_del(&a);
	CHECK_EQ(wait_and_run(50), -1);		/* b ran: nothing is armed */
	CHECK(!timers.list->next);		/* only b is left */
	vmm_timers_free(&timers);
	CHECK(!timers.list);
}

/* Deadlines and periods at the end of time saturate: never. */
/*
 * A pause stops the devices' time: nothing fires while paused, and a
 * timer fires as long after the resume as it had left at the pause. One
 * armed while paused counts from the pause.
 */
static void test_pause(void)
{
	uint64_t t0, t_paused, t_resume;

	setup();
	t0 = vmm_timer_now();
	vmm_timer_arm(&a, 100 * MS, 0);
	vmm_timers_pause(&timers);
	t_paused = vmm_timer_now();
	vmm_timers_pause(&timers);	/* twice: one pause */
	vmm_timer_arm(&b, 10 * MS, 0);
	/* Both deadlines pass while paused: nothing fires. */
	CHECK_EQ(wait_and_run(250), -1);
	CHECK_EQ(runs_a + runs_b, 0);
	CHECK_EQ(vmm_timers_run(&timers), 0);
	t_resume = vmm_timer_now();
	vmm_timers_resume(&timers);
	vmm_timers_resume(&timers);	/* running: nothing */
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_b, 1);
	CHECK_EQ(runs_a, 0);
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_a, 1);
	/* What a had left at the pause, it waited after the resume. */
	CHECK(ran_at_a - t_resume >= 100 * MS - (t_paused - t0));
	/* Its 100 ms and the 250 ms paused at least. */
	CHECK(ran_at_a - t0 >= 350 * MS);
	vmm_timers_free(&timers);
}

static void test_saturation(void)
{
	setup();
	vmm_timer_arm(&a, UINT64_MAX, 0);
	CHECK_EQ(a.deadline, UINT64_MAX);
	vmm_timer_arm_at(&b, 1, UINT64_MAX);
	CHECK_EQ(wait_and_run(SLACK_MS), 1);
	CHECK_EQ(runs_b, 1);
	CHECK_EQ(b.deadline, UINT64_MAX);
	CHECK_EQ(wait_and_run(50), -1);
	vmm_timers_free(&timers);
}

static const struct tap_test tests[] = {
	TAP_TEST(test_once),
	TAP_TEST(test_order),
	TAP_TEST(test_cancel_and_move),
	TAP_TEST(test_periodic),
	TAP_TEST(test_callback_arms),
	TAP_TEST(test_saturation),
	TAP_TEST(test_pause),
};

int main(void)
{
	return tap_run(tests, TAP_COUNT(tests));
}
