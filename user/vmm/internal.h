/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the machine's files share. vmm.c builds and takes apart;
 * devices.c is the board; loop.c the main thread; vcpu.c the vCPU
 * threads and exits.c their exit handlers; pause.c stops them all at a
 * known point; power.c the power-on state and the reset; timer.c the
 * device timers; console.c the terminal behind the UART; stats.c --stats.
 */
#ifndef VESSEL_VMM_INTERNAL_H
#define VESSEL_VMM_INTERNAL_H

#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <termios.h>
#include <time.h>

#include "boot/boot.h"
#include "compiler.h"
#include "hw/bus.h"
#include "hw/debug_exit.h"
#include "hw/device.h"
#include "hw/hv_debug.h"
#include "hw/i8259.h"
#include "hw/ioapic.h"
#include "hw/power.h"
#include "hw/pvpanic.h"
#include "hw/rtc.h"
#include "hw/uart16550.h"
#include "lib/libvessel.h"
#include "lifecycle.h"
#include "protocol.h"
#include "timer.h"
#include "vmm.h"

#define MIB			(UINT64_C(1) << 20)

/* xAPIC register offsets and values (SDM Vol. 3A 11.4.1, 11.5.1). */
#define APIC_SPIV_OFFSET	0xf0
#define APIC_LVT0_OFFSET	0x350
#define APIC_LVT1_OFFSET	0x360
#define APIC_SVR_SW_ENABLE	0x100
#define APIC_LVT_EXTINT		0x700
#define APIC_LVT_NMI		0x400

#ifndef VESSEL_VM_LAPIC
/*
 * vessel_vm_create.flags bit 0, from the in-kernel APIC work; until the
 * module defines it, it refuses the bit with EINVAL like any unknown flag.
 */
#define VESSEL_VM_LAPIC		(1U << 0)
#endif

#define COM1_BASE		PLATFORM_COM1_PORT
#define COM1_IRQ		PLATFORM_COM1_IRQ

#define RFLAGS_IF		(1ULL << 9)
/* How long a halted guest waits for input before it is re-entered. */
#define HLT_WAIT_MS		100
/* What an exit handler returns to go on; anything else is an exit status. */
#define RUN_AGAIN		(-1)

/* The terminal side of the UART. */
struct console {
	const char *name;	/* the messages' prefix */
	bool in_open;		/* false once stdin is at EOF or fails */
	bool tty_raw;
	bool out_broken;	/* stdout failed: drop guest output */
	bool mid_line;		/* the guest's last byte was not '\n' */
	struct termios saved;
	uint8_t out[512];
	size_t out_len;
};

struct vmm;

/* A device model and its instance, as the machine holds them. */
struct vmm_device {
	const struct hw_device_ops *ops;
	void *dev;
};

/* --cpu-cap: one vCPU thread's budget in the current period (cap.c). */
struct vcpu_cap {
	bool timer_ok;		/* @timer exists */
	timer_t timer;		/* on the thread's CPU clock: the budget's end */
	uint64_t period_end;	/* CLOCK_MONOTONIC ns; 0: no period yet */
	uint64_t cpu_end;	/* thread CPU time at which the budget ends */
};

/* A vCPU and the thread that runs it. */
struct vcpu_thread {
	struct vmm *vmm;
	struct vessel_vcpu *vcpu;
	unsigned int id;
	pthread_t tid;
	bool started;
	struct vcpu_cap cap;
};

struct vmm_clock;
struct vmm_control;
struct ctl_client;
struct json_object;

/* power.c: what a reset puts back into one vCPU. */
struct vmm_power_on {
	struct vessel_vcpu_state state;
	struct vessel_lapic_state lapic;
	struct vessel_mp_state mp;
};

struct vmm_restored;

struct vmm {
	struct vm_config cfg;	/* a copy; its strings are the caller's */
	struct vessel_sys sys;
	struct vessel_vm vm;
	struct vessel_vcpu *vcpus;
	struct vcpu_thread *threads;
	unsigned int nr_vcpus;
	void *ram;
	uint64_t ram_size;
	struct vessel_boot boot;
	struct io_bus bus;
	/*
	 * The device lock: it covers the bus above (its devices' handlers)
	 * and every field from here to @stopping.
	 */
	pthread_mutex_t lock;
	struct uart uart;
	struct console con;
	struct debug_exit debug_exit;
	struct rtc rtc;
	struct power power;
	struct pvpanic pvpanic;
	/* A device asked for a reset: the vCPU whose exit it was does it. */
	bool reset_requested;
	/* Every device with state, for reset (and save and load). */
	struct vmm_device devices[8];
	unsigned int nr_devices;
	/* With an in-kernel local APIC only: */
	bool lapic;
	struct ioapic ioapic;
	struct pic pic;
	int irq_error;		/* first failed VESSEL_SIGNAL_MSI, -errno */
	/* Without one: a halted vCPU 0 waits here for input (or the end). */
	pthread_cond_t input_cond;
	bool rx_wanted;		/* stdin waits for room in the UART's FIFO */
	int status;		/* the exit status, once stopping */
	struct vessel_vcpu_state state;	/* scratch, for RFLAGS at HLT */
	/* Has its own lock: a retrieval waits without the device lock. */
	struct hv_debug hv_debug;
	/* power.c: what a reset puts back. */
	struct vmm_power_on *power_on;	/* per vCPU */
	uint32_t pv_provider, pv_version;	/* as the module has them */
	uint64_t resets;	/* the guest's, for --stats */
	uint64_t reset_gen;	/* every reset: a waiting one sees it done */
	/* The lifecycle (suspend.c): its state, held by the main thread. */
	struct vmm_lifecycle lc;
	bool held;		/* suspended (or saving): vCPUs paused */
	struct vmm_clock *clock;	/* guest time, while held */
	struct vmm_control *control;	/* --control, or NULL */
	uint64_t started_ns;	/* CLOCK_MONOTONIC at power-on */
	atomic_uint cpu_cap;	/* --cpu-cap, cap: percent, 1-100 */
	/* pause.c: the rendezvous. */
	pthread_cond_t pause_cond;	/* parked threads, the pauser */
	unsigned int parked;		/* vCPU threads waiting out a pause */
	atomic_bool pausing;		/* read without the lock too */

	/* Device timers: armed and run under the lock, on the main thread. */
	struct vmm_timers timers;

	bool ran;		/* vmm_run() got as far as the vCPU threads */

	/*
	 * restore.c: guest RAM is a private mapping of a snapshot file (a
	 * reset maps fresh memory instead), and what the machine was built
	 * from. The times are CLOCK_MONOTONIC ns, for --stats: the restore's
	 * start, and the first VESSEL_RUN of any vCPU thread.
	 */
	bool ram_file;
	struct vmm_restored *restored;
	bool start_held;	/* restored --paused: held before it runs */
	uint64_t restore_start_ns, restore_built_ns;
	uint64_t restore_step_ns[4];	/* file, board, VM, vCPUs: when done */
	atomic_ullong first_run_ns;

	/* Read without the lock; set once, under it, by vmm_stop_locked(). */
	atomic_bool stopping;
	int wake_fd;		/* eventfd: wakes the main thread's poll() */
};

/* vmm.c */
void vmm_verror(const char *name, const char *fmt, va_list ap);
__printf(2, 3) void vmm_error(struct vmm *vmm, const char *fmt, ...);
uint8_t vmm_ioapic_id(unsigned int cpus);
int vmm_load_image(struct vmm *vmm);
int vmm_write_tables(struct vmm *vmm, unsigned int cpus);
/* The steps of building a machine that a restore shares; exit statuses. */
int vmm_open(struct vmm *vmm);
int vmm_map_ram(struct vmm *vmm, uint64_t size);
void vmm_close_vcpus(struct vmm *vmm);
int vmm_open_hv_debug(struct vmm *vmm);
int vmm_sync_init(struct vmm *vmm);
void vmm_sync_free(struct vmm *vmm);

/* restore.c */
void vmm_free_restored(struct vmm *vmm);

/* stats.c */
void vmm_print_restore_stats(struct vmm *vmm);

/* loop.c */
void vmm_wake_main(struct vmm *vmm);
void vmm_stop_locked(struct vmm *vmm, int status);

/* vcpu.c */
void *vmm_vcpu_thread(void *arg);

/* console.c */
void console_flush(struct console *con);
void console_tx(void *opaque, uint8_t byte);
__printf(2, 3) void console_error(struct console *con, const char *fmt, ...);
void console_open(struct console *con);
void console_close(struct console *con);
size_t console_read(struct console *con, uint8_t *buf, size_t room);

/* devices.c */
int run_irq_failed(struct vmm *vmm);
int vmm_add_devices(struct vmm *vmm);
void vmm_reset_devices(struct vmm *vmm);

/* exits.c */
__printf(2, 3) void vcpu_error(struct vcpu_thread *t, const char *fmt, ...);
int run_exit(struct vcpu_thread *t);

/* power.c */
int vmm_save_power_on(struct vmm *vmm);
void vmm_free_power_on(struct vmm *vmm);
int vmm_reset_locked(struct vcpu_thread *t);

/* suspend.c */
int vmm_transition_locked(struct vmm *vmm, enum vmm_action action,
			  struct json_object *detail, char *err, size_t errlen);
int vmm_hold_locked(struct vmm *vmm, char *err, size_t errlen);
int vmm_release_locked(struct vmm *vmm, char *err, size_t errlen);
int vmm_suspend_locked(struct vmm *vmm, enum vmm_suspend_reason reason,
		       enum ctl_error *code, char *err, size_t errlen);
int vmm_resume_user_locked(struct vmm *vmm, enum vmm_resume_reason reason,
			   enum ctl_error *code, char *err, size_t errlen);
int vmm_poweroff_locked(struct vmm *vmm, enum ctl_error *code, char *err,
			size_t errlen);
int vmm_save_user_locked(struct vmm *vmm, struct ctl_client *c,
			 const char *file, bool cont, enum ctl_error *code,
			 char *err, size_t errlen);
/* loop.c, at the start: a restored machine goes on, or is held (--paused). */
void vmm_restored_start_locked(struct vmm *vmm);
void vmm_restored_hold_locked(struct vmm *vmm);

/* power.c, for the control socket */
int vmm_user_reset_locked(struct vmm *vmm, bool hard, enum ctl_error *code,
			  char *err, size_t errlen);
int vmm_power_button_locked(struct vmm *vmm, enum ctl_error *code, char *err,
			    size_t errlen);

/* clock.c: the guest's time stopped and started again; 0 or -errno. */
int vmm_clock_stop(struct vmm *vmm);
int vmm_clock_start(struct vmm *vmm);
void vmm_clock_free(struct vmm *vmm);
/* What they said when held, for a save; false when not held. */
bool vmm_clock_held_tsc(const struct vmm *vmm, uint64_t *tsc);
bool vmm_clock_held_vm(const struct vmm *vmm, struct vessel_pv_state *pv);
bool vmm_clock_held_vcpu(const struct vmm *vmm, unsigned int id,
			 struct vessel_pv_state *pv,
			 struct vessel_lapic_state *lapic);

/* control.c: the control socket, on the main thread */
#define VMM_CONTROL_MAX_CLIENTS	16
#define VMM_CONTROL_MAX_FDS	(1 + VMM_CONTROL_MAX_CLIENTS)
int vmm_control_open(struct vmm *vmm);
void vmm_control_close(struct vmm *vmm);
unsigned int vmm_control_pollfds(struct vmm *vmm, struct pollfd *pfd,
				 unsigned int room);
void vmm_control_handle(struct vmm *vmm, const struct pollfd *pfd,
			unsigned int n);
void vmm_control_flush_locked(struct vmm *vmm);
void vmm_control_finish(struct vmm *vmm);
/* To the watchers, and to @also (may be NULL); @ev is released. */
void vmm_control_event_locked(struct vmm *vmm, struct json_object *ev,
			      struct ctl_client *also);

/* stats.c: the names `vessel stat` and debugfs use */
struct json_object *vmm_counters_json(struct vmm *vmm);
void vmm_debugfs_name(const struct vmm *vmm, char *buf, size_t len);

/* cap.c: --cpu-cap on the vCPU threads */
int vmm_cap_setup(void);
void vcpu_cap_init(struct vcpu_thread *t);
void vcpu_cap_free(struct vcpu_thread *t);
void vcpu_cap_before_run(struct vcpu_thread *t);
void vcpu_cap_after_run(struct vcpu_thread *t);

/*
 * pause.c: with the device lock held, stop every vCPU thread but @self
 * (the caller's, or NULL on the main thread) at a known point. Returns 0,
 * paused until vmm_resume_locked(); -EBUSY after waiting out another
 * pause (parked, if @self); -ECANCELED when the VM is stopping.
 */
int vmm_pause_locked(struct vmm *vmm, struct vcpu_thread *self);
void vmm_resume_locked(struct vmm *vmm);
void vcpu_park_locked(struct vcpu_thread *t);

#endif /* VESSEL_VMM_INTERNAL_H */
