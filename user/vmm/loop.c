// SPDX-License-Identifier: GPL-2.0
/*
 * The running machine's main thread: it starts a thread per vCPU, feeds
 * stdin to the UART, runs the device timers (timer.h), takes SIGINT and
 * SIGTERM, serves the control socket (control.c) and waits for the end.
 *
 * The devices and the terminal are shared: one lock, vmm->lock, covers
 * all of them and is held only while an exit is handled, never while a
 * vCPU is in the guest. The first vCPU to end the VM (debug-exit port,
 * triple fault, error) or a signal sets the exit status and kicks every
 * vCPU out of VESSEL_RUN.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <json-c/json.h>

#include "internal.h"

/* Make the main thread look again: the VM stopped, or the UART has room. */
void vmm_wake_main(struct vmm *vmm)
{
	uint64_t one = 1;

	/* Only fails when the counter is full: then it is readable anyway. */
	if (write(vmm->wake_fd, &one, sizeof(one)) < 0)
		return;
}

/*
 * End the VM with @status, unless it is already ending: the first reason
 * wins. Every vCPU is kicked out of VESSEL_RUN (a kick before it enters
 * RUN counts too) and its thread ends; the main thread is woken to join
 * them. Called with vmm->lock held.
 */
void vmm_stop_locked(struct vmm *vmm, int status)
{
	struct json_object *d;
	unsigned int i;
	char err[128];

	if (vmm->stopping)
		return;
	vmm->status = status;
	vmm->stopping = true;
	/* Powered off, from any state: the watchers learn the status. */
	d = json_object_new_object();
	if (d)
		json_object_object_add(d, "status", json_object_new_int(status));
	vmm_transition_locked(vmm, VMM_POWER_OFF, d, err, sizeof(err));
	for (i = 0; i < vmm->nr_vcpus; i++)
		vessel_vcpu_kick(&vmm->vcpus[i]);
	hv_debug_cancel(&vmm->hv_debug);
	pthread_cond_broadcast(&vmm->input_cond);
	pthread_cond_broadcast(&vmm->pause_cond);
	vmm_wake_main(vmm);
}

/* SIGINT or SIGTERM arrived through the signalfd. */
static void vmm_on_signal(struct vmm *vmm, int sig_fd)
{
	struct signalfd_siginfo si;

	if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	pthread_mutex_lock(&vmm->lock);
	if (!vmm->stopping) {
		console_error(&vmm->con, "stopped by %s",
			      si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		vmm_stop_locked(vmm, 128 + si.ssi_signo);
	}
	pthread_mutex_unlock(&vmm->lock);
}

/*
 * stdin has input and the UART had @room bytes of room: move it there. The
 * UART's interrupt wakes a halted vCPU (in the kernel, through the
 * APICs); without an APIC, vCPU 0 waits for input_cond.
 */
static void vmm_on_input(struct vmm *vmm, unsigned int room)
{
	uint8_t buf[UART_RX_FIFO_SIZE];
	size_t n, i;

	n = console_read(&vmm->con, buf, room < sizeof(buf) ? room : sizeof(buf));
	pthread_mutex_lock(&vmm->lock);
	for (i = 0; i < n; i++)
		uart_rx_push(&vmm->uart, buf[i]);
	if (n) {
		uart_update_irq(&vmm->uart);
		pthread_cond_broadcast(&vmm->input_cond);
	}
	if (vmm->irq_error && !vmm->stopping)
		vmm_stop_locked(vmm, run_irq_failed(vmm));
	pthread_mutex_unlock(&vmm->lock);
}

/*
 * Device timers expired: run them, under the lock, as an exit handler
 * would change the devices. A failed interrupt ends the VM as it does
 * there.
 */
static void vmm_on_timers(struct vmm *vmm)
{
	pthread_mutex_lock(&vmm->lock);
	vmm_timers_run(&vmm->timers);
	console_flush(&vmm->con);
	if (vmm->irq_error && !vmm->stopping)
		vmm_stop_locked(vmm, run_irq_failed(vmm));
	pthread_mutex_unlock(&vmm->lock);
}

/* The main loop's own descriptors, before the control socket's. */
enum { PFD_SIGNAL, PFD_WAKE, PFD_TIMERS, PFD_STDIN, PFD_NR };

/*
 * Until the VM stops: wait for a signal, for a device timer, for input
 * when the UART has room for it, for a vCPU to say the VM stopped or the
 * FIFO has room again, and for the control socket's clients. A suspended
 * machine takes no input: it waits where it is until the resume.
 */
static void vmm_main_loop(struct vmm *vmm, int sig_fd)
{
	struct pollfd pfd[PFD_NR + VMM_CONTROL_MAX_FDS] = {
		[PFD_SIGNAL] = { .fd = sig_fd, .events = POLLIN },
		[PFD_WAKE] = { .fd = vmm->wake_fd, .events = POLLIN },
		[PFD_TIMERS] = { .fd = vmm_timers_fd(&vmm->timers), .events = POLLIN },
		[PFD_STDIN] = { .fd = STDIN_FILENO, .events = POLLIN },
	};
	unsigned int room, nctl;
	uint64_t wakes;

	for (;;) {
		pthread_mutex_lock(&vmm->lock);
		room = vmm->con.in_open && !vmm->held ?
		       uart_rx_space(&vmm->uart) : 0;
		vmm->rx_wanted = vmm->con.in_open && !vmm->held && !room;
		nctl = vmm_control_pollfds(vmm, pfd + PFD_NR,
					   VMM_CONTROL_MAX_FDS);
		pthread_mutex_unlock(&vmm->lock);
		if (vmm->stopping)
			return;
		/* A negative fd is skipped by poll(). */
		pfd[PFD_STDIN].fd = room ? STDIN_FILENO : -1;
		if (poll(pfd, PFD_NR + nctl, -1) < 0) {
			if (errno == EINTR)
				continue;
			pthread_mutex_lock(&vmm->lock);
			console_error(&vmm->con, "poll: %s", strerror(errno));
			vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
			pthread_mutex_unlock(&vmm->lock);
			return;
		}
		if (pfd[PFD_SIGNAL].revents)
			vmm_on_signal(vmm, sig_fd);
		if (pfd[PFD_WAKE].revents &&
		    read(vmm->wake_fd, &wakes, sizeof(wakes)) < 0)
			wakes = 0;	/* a counter: nothing to lose */
		if (pfd[PFD_TIMERS].revents)
			vmm_on_timers(vmm);
		if (pfd[PFD_STDIN].revents)
			vmm_on_input(vmm, room);
		if (nctl) {
			pthread_mutex_lock(&vmm->lock);
			vmm_control_handle(vmm, pfd + PFD_NR, nctl);
			pthread_mutex_unlock(&vmm->lock);
		}
	}
}

/*
 * Start a thread per vCPU, with SIGINT and SIGTERM blocked (inherited from
 * the caller): those are read by the main thread through @sig_fd.
 */
static void vmm_start_vcpus(struct vmm *vmm)
{
	struct vcpu_thread *t;
	unsigned int i;
	int r;

	for (i = 0; i < vmm->nr_vcpus; i++) {
		t = &vmm->threads[i];
		t->vmm = vmm;
		t->vcpu = &vmm->vcpus[i];
		t->id = i;
		r = pthread_create(&t->tid, NULL, vmm_vcpu_thread, t);
		if (r) {
			pthread_mutex_lock(&vmm->lock);
			console_error(&vmm->con, "cannot start the thread of vCPU %u: %s",
				      i, strerror(r));
			vmm_stop_locked(vmm, VESSEL_EXIT_FAILURE);
			pthread_mutex_unlock(&vmm->lock);
			return;
		}
		t->started = true;
	}
}

int vmm_run(struct vmm *vmm)
{
	sigset_t stop_sigs, old_mask;
	unsigned int i;
	int sig_fd, status;
	char err[128];

	vmm->threads = calloc(vmm->nr_vcpus, sizeof(*vmm->threads));
	if (!vmm->threads) {
		vmm_error(vmm, "out of memory");
		return VESSEL_EXIT_FAILURE;
	}

	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_mask);
	sig_fd = signalfd(-1, &stop_sigs, SFD_CLOEXEC);
	if (sig_fd < 0) {
		vmm_error(vmm, "signalfd: %s", strerror(errno));
		status = VESSEL_EXIT_FAILURE;
		goto out_restore_mask;
	}
	/* A reader going away must not kill us with the terminal still raw. */
	signal(SIGPIPE, SIG_IGN);

	if (vmm_cap_setup()) {
		vmm_error(vmm, "--cpu-cap: cannot install its signal: %s",
			  strerror(errno));
		status = VESSEL_EXIT_FAILURE;
		goto out_close_sig;
	}

	console_open(&vmm->con);
	vmm->ran = true;
	pthread_mutex_lock(&vmm->lock);
	vmm->started_ns = vmm_timer_now();
	if (vmm->lc.state == VMM_RESTORING)
		vmm_restored_start_locked(vmm);
	else
		vmm_transition_locked(vmm, VMM_POWER_ON, NULL, err, sizeof(err));
	pthread_mutex_unlock(&vmm->lock);
	vmm_start_vcpus(vmm);
	if (vmm->start_held) {
		pthread_mutex_lock(&vmm->lock);
		vmm_restored_hold_locked(vmm);
		pthread_mutex_unlock(&vmm->lock);
	}
	vmm_main_loop(vmm, sig_fd);
	for (i = 0; i < vmm->nr_vcpus; i++)
		if (vmm->threads[i].started)
			pthread_join(vmm->threads[i].tid, NULL);
	/* The last events (powered-off) to the clients, then no more. */
	vmm_control_finish(vmm);
	console_close(&vmm->con);
	status = vmm->status;
out_close_sig:
	close(sig_fd);
out_restore_mask:
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	free(vmm->threads);
	vmm->threads = NULL;
	return status;
}
