// SPDX-License-Identifier: GPL-2.0
/*
 * vessel_fuzz: the description table, in the spirit of syzkaller's
 * descriptions but small.
 *
 * Every ioctl has an entry: its number, the fd type it belongs to, the
 * direction of its argument and, per field of the argument struct, what
 * the field is (flags with their defined bits, reserved, a count, a user
 * pointer, a plain value) and whether the kernel checks it.  A generator
 * makes a valid argument (often from the matching GET); a call then uses
 * it as it is, or with exactly one field set to a boundary value, or with
 * a bad pointer for the whole argument.
 *
 * The contract checked on every call (Documentation/api.rst, the errno map):
 *  - a reserved field or an undefined flag bit that is not zero: EINVAL;
 *  - an argument the kernel cannot read or write: EFAULT (or the error a
 *    call gives before it reads its argument, listed per entry);
 *  - an ioctl of another fd type, or an unknown number: ENOTTY; a closed
 *    fd: EBADF;
 *  - after a successful call, output fields the ABI says are zero are zero;
 *  - EIO is always allowed: the VM may have been marked dead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

enum fkind {
	K_INT,		/* any value the generator picked */
	K_FLAGS,	/* @arg: the defined bits */
	K_RSVD,		/* must be zero */
	K_COUNT,	/* a count, @arg its maximum */
	K_UPTR,		/* a user pointer */
	K_TIME,		/* nanoseconds, TSC values: boundary values */
};

/* Field attributes. */
#define IN_CHECKED	(1U << 0)	/* non-zero input is refused: EINVAL */
#define OUT_ZERO	(1U << 1)	/* zero in the output of a success */

struct field {
	const char *name;
	uint16_t off;
	uint16_t size;
	uint8_t kind;
	uint8_t attr;
	uint8_t weight;			/* how often mutated; 0 means 1 */
	uint64_t arg;
};

enum dir { D_NONE, D_IN, D_OUT, D_INOUT };

struct target {
	int fd;
	enum fd_type type;
	struct vm_info *vm;
	struct vcpu_info *vcpu;
};

struct desc;
typedef void (*gen_fn)(struct fctx *c, const struct target *t, void *arg);

struct desc {
	const char *name;
	unsigned long cmd;
	enum fd_type type;
	enum dir dir;
	uint32_t size;
	const struct field *fields;
	unsigned int nfields;
	gen_fn gen;
	/* errnos a call may give before it reads its argument */
	uint64_t pre;
};

#define F(type, m, k, at, a)						\
	{ #m, offsetof(type, m), sizeof(((type *)0)->m), k, at, 1, a }
#define FW(type, m, k, at, a, w)					\
	{ #m, offsetof(type, m), sizeof(((type *)0)->m), k, at, w, a }
#define FIELDS(a)	.fields = a, .nfields = ARRAY_SIZE(a)
#define BIT64(e)	(1ULL << (e))

/* ------------------------------------------------------------ fields */

static const struct field f_vm_create[] = {
	F(struct vessel_vm_create, flags, K_FLAGS, IN_CHECKED, VESSEL_VM_LAPIC),
	F(struct vessel_vm_create, reserved0, K_RSVD, IN_CHECKED, 0),
	F(struct vessel_vm_create, pv_provider, K_INT, 0, 0),
	F(struct vessel_vm_create, pv_version, K_INT, 0, 0),
	F(struct vessel_vm_create, reserved, K_RSVD, IN_CHECKED, 0),
};

static const struct field f_caps[] = {
	F(struct vessel_caps, pad0, K_RSVD, OUT_ZERO, 0),
	F(struct vessel_caps, reserved, K_RSVD, OUT_ZERO, 0),
};

static const struct field f_mem[] = {
	F(struct vessel_memory_region, slot, K_INT, 0, 0),
	F(struct vessel_memory_region, flags, K_FLAGS, IN_CHECKED, VESSEL_MEM_READONLY),
	F(struct vessel_memory_region, guest_phys_addr, K_INT, 0, 0),
	F(struct vessel_memory_region, size, K_INT, 0, 0),
	F(struct vessel_memory_region, userspace_addr, K_UPTR, 0, 0),
	F(struct vessel_memory_region, reserved, K_RSVD, IN_CHECKED, 0),
};

static const struct field f_cpuid[] = {
	F(struct vessel_cpuid, nr, K_COUNT, 0, VESSEL_MAX_CPUID_ENTRIES),
	F(struct vessel_cpuid, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_cpuid, entries, K_UPTR, 0, 0),
	F(struct vessel_cpuid, reserved, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
};

static const struct field f_user_msrs[] = {
	F(struct vessel_user_msrs, nr, K_COUNT, 0, VESSEL_MAX_USER_MSRS),
	F(struct vessel_user_msrs, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_user_msrs, indices, K_UPTR, 0, 0),
	F(struct vessel_user_msrs, reserved, K_RSVD, IN_CHECKED, 0),
};

static const struct field f_counters[] = {
	F(struct vessel_counters, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_counters, reserved0, K_INT, OUT_ZERO, 0),
	F(struct vessel_counters, reserved, K_INT, OUT_ZERO, 0),
};

static const struct field f_msi[] = {
	FW(struct vessel_msi, address, K_INT, 0, 0, 2),
	FW(struct vessel_msi, data, K_INT, 0, 0, 2),
	F(struct vessel_msi, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_msi, reserved, K_RSVD, IN_CHECKED, 0),
};

static const struct field f_lapic_info[] = {
	F(struct vessel_lapic_info, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_lapic_info, reserved0, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
	F(struct vessel_lapic_info, reserved, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
};

#define ST struct vessel_vcpu_state
static const struct field f_state_get[] = {
	F(ST, flags, K_FLAGS, IN_CHECKED, VESSEL_STATE_ALL),
	F(ST, reserved0, K_RSVD, OUT_ZERO, 0),
	F(ST, reserved1, K_RSVD, OUT_ZERO, 0),
};

static const struct field f_state_set[] = {
	F(ST, flags, K_FLAGS, IN_CHECKED, VESSEL_STATE_ALL),
	F(ST, reserved0, K_RSVD, IN_CHECKED, 0),
	F(ST, gprs.regs, K_INT, 0, 0),
	F(ST, gprs.rip, K_INT, 0, 0),
	FW(ST, gprs.rflags, K_INT, 0, 0, 2),
	FW(ST, segs.seg, K_INT, 0, 0, 4),
	F(ST, segs.gdt, K_INT, 0, 0),
	F(ST, segs.idt, K_INT, 0, 0),
	FW(ST, crs.cr0, K_INT, 0, 0, 2),
	F(ST, crs.cr2, K_INT, 0, 0),
	F(ST, crs.cr3, K_INT, 0, 0),
	FW(ST, crs.cr4, K_INT, 0, 0, 2),
	F(ST, crs.cr8, K_INT, 0, 0),
	FW(ST, crs.efer, K_INT, 0, 0, 2),
	F(ST, crs.xcr0, K_INT, 0, 0),
	F(ST, crs.reserved, K_INT, 0, 0),
	F(ST, drs.dr, K_INT, 0, 0),
	F(ST, drs.dr6, K_INT, 0, 0),
	F(ST, drs.dr7, K_INT, 0, 0),
	F(ST, drs.reserved, K_INT, 0, 0),
	FW(ST, msrs, K_TIME, 0, 0, 3),
	F(ST, events.flags, K_INT, 0, 0),
	F(ST, events.interruptibility, K_INT, 0, 0),
	F(ST, events.activity, K_INT, 0, 0),
	F(ST, events.exception_vector, K_INT, 0, 0),
	F(ST, events.irq_vector, K_INT, 0, 0),
	F(ST, events.pad0, K_INT, 0, 0),
	F(ST, events.exception_error_code, K_INT, 0, 0),
	F(ST, events.pad1, K_INT, 0, 0),
	F(ST, events.exception_payload, K_INT, 0, 0),
	F(ST, events.injected_info, K_INT, 0, 0),
	F(ST, events.injected_error_code, K_INT, 0, 0),
	F(ST, events.injected_insn_len, K_INT, 0, 0),
	F(ST, events.pad2, K_INT, 0, 0),
	F(ST, events.reserved, K_INT, 0, 0),
	F(ST, reserved1, K_RSVD, IN_CHECKED, 0),
	FW(ST, fpu.xsave, K_INT, 0, 0, 2),
};
#undef ST

static const struct field f_event[] = {
	F(struct vessel_event, type, K_INT, 0, 0),
	F(struct vessel_event, vector, K_INT, 0, 0),
	F(struct vessel_event, flags, K_FLAGS, IN_CHECKED,
	  VESSEL_EVENT_HAS_ERROR_CODE | VESSEL_EVENT_HAS_PAYLOAD),
	F(struct vessel_event, error_code, K_INT, 0, 0),
	F(struct vessel_event, payload, K_INT, 0, 0),
	F(struct vessel_event, reserved, K_RSVD, IN_CHECKED, 0),
};

#define LS struct vessel_lapic_state
static const struct field f_lapic_get[] = {
	F(LS, flags, K_FLAGS, IN_CHECKED, 0),
	F(LS, reserved0, K_RSVD, OUT_ZERO, 0),
	F(LS, reserved, K_RSVD, OUT_ZERO, 0),
};

static const struct field f_lapic_set[] = {
	F(LS, flags, K_FLAGS, IN_CHECKED, 0),
	F(LS, reserved0, K_RSVD, IN_CHECKED, 0),
	FW(LS, apic_base, K_INT, 0, 0, 2),
	FW(LS, tsc_deadline, K_TIME, 0, 0, 4),
	FW(LS, timer_ns, K_TIME, 0, 0, 4),
	F(LS, extint, K_INT, 0, 0),
	F(LS, reserved, K_RSVD, IN_CHECKED, 0),
	FW(LS, regs, K_INT, 0, 0, 4),
};
#undef LS

static const struct field f_mp_get[] = {
	F(struct vessel_mp_state, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_mp_state, reserved, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
};

static const struct field f_mp_set[] = {
	F(struct vessel_mp_state, mp_state, K_INT, 0, 0),
	F(struct vessel_mp_state, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_mp_state, reserved, K_RSVD, IN_CHECKED, 0),
};

static const struct field f_pv_info[] = {
	F(struct vessel_pv_info, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_pv_info, reserved, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
};

#define PS struct vessel_pv_state
static const struct field f_pv_get[] = {
	F(PS, flags, K_FLAGS, IN_CHECKED, 0),
	F(PS, pad0, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
	F(PS, reserved, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
};

static const struct field f_pv_vm_set[] = {
	F(PS, flags, K_FLAGS, IN_CHECKED, VESSEL_PV_STATE_RESET),
	F(PS, provider, K_INT, 0, 0),
	F(PS, version, K_INT, 0, 0),
	F(PS, pad0, K_RSVD, IN_CHECKED, 0),
	F(PS, reserved, K_RSVD, IN_CHECKED, 0),
	FW(PS, kvm_vm.clock_tsc, K_TIME, 0, 0, 3),
	FW(PS, kvm_vm.clock_ns, K_TIME, 0, 0, 3),
	F(PS, kvm_vm.wall_clock_msr, K_INT, 0, 0),
	F(PS, hv_vm.guest_os_id, K_INT, 0, 0),
	F(PS, hv_vm.hypercall, K_INT, 0, 0),
	FW(PS, hv_vm.reference_tsc, K_INT, 0, 0, 2),
	FW(PS, hv_vm.clock_ref, K_TIME, 0, 0, 3),
	F(PS, hv_vm.crash, K_INT, 0, 0),
	F(PS, hv_vm.crash_ctl, K_INT, 0, 0),
	F(PS, data, K_INT, 0, 0),
};

static const struct field f_pv_vcpu_set[] = {
	F(PS, flags, K_FLAGS, IN_CHECKED, VESSEL_PV_STATE_RESET),
	F(PS, provider, K_INT, 0, 0),
	F(PS, version, K_INT, 0, 0),
	F(PS, pad0, K_RSVD, IN_CHECKED, 0),
	F(PS, reserved, K_RSVD, IN_CHECKED, 0),
	F(PS, kvm_vcpu.system_time_msr, K_INT, 0, 0),
	F(PS, kvm_vcpu.steal_time_msr, K_INT, 0, 0),
	F(PS, kvm_vcpu.poll_control_msr, K_INT, 0, 0),
	FW(PS, kvm_vcpu.steal_ns, K_TIME, 0, 0, 2),
	F(PS, kvm_vcpu.pv_eoi_msr, K_INT, 0, 0),
	F(PS, kvm_vcpu.flags, K_INT, 0, 0),
	FW(PS, hv_vcpu.vp_runtime, K_TIME, 0, 0, 2),
	F(PS, hv_vcpu.vp_assist, K_INT, 0, 0),
	F(PS, hv_vcpu.scontrol, K_INT, 0, 0),
	F(PS, hv_vcpu.siefp, K_INT, 0, 0),
	F(PS, hv_vcpu.simp, K_INT, 0, 0),
	F(PS, hv_vcpu.sint, K_INT, 0, 0),
	FW(PS, hv_vcpu.stimer_config, K_INT, 0, 0, 2),
	FW(PS, hv_vcpu.stimer_count, K_TIME, 0, 0, 3),
	FW(PS, hv_vcpu.stimer_exp, K_TIME, 0, 0, 3),
	F(PS, hv_vcpu.stimer_pending, K_INT, 0, 0),
	F(PS, data, K_INT, 0, 0),
};
#undef PS

static const struct field f_pv_counters[] = {
	F(struct vessel_pv_counters, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_pv_counters, reserved, K_RSVD, OUT_ZERO, 0),
};

static const struct field f_hv_conn[] = {
	F(struct vessel_pv_hv_connection, flags, K_FLAGS, 0,
	  VESSEL_PV_HV_CONN_MESSAGE | VESSEL_PV_HV_CONN_EVENT | VESSEL_PV_HV_CONN_DELETE),
	F(struct vessel_pv_hv_connection, conn_id, K_INT, 0, 0),
	F(struct vessel_pv_hv_connection, vcpu, K_INT, 0, 0),
	F(struct vessel_pv_hv_connection, sint, K_INT, 0, 0),
	F(struct vessel_pv_hv_connection, flag_base, K_INT, 0, 0),
	F(struct vessel_pv_hv_connection, flag_count, K_INT, 0, 0),
	F(struct vessel_pv_hv_connection, reserved, K_RSVD, IN_CHECKED, 0),
};

static const struct field f_msgq_get[] = {
	F(struct vessel_pv_hv_msg_queue, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_pv_hv_msg_queue, reserved, K_RSVD, IN_CHECKED | OUT_ZERO, 0),
};

static const struct field f_msgq_set[] = {
	F(struct vessel_pv_hv_msg_queue, flags, K_FLAGS, IN_CHECKED, 0),
	F(struct vessel_pv_hv_msg_queue, queued, K_FLAGS, IN_CHECKED, 0xffff),
	F(struct vessel_pv_hv_msg_queue, reserved, K_RSVD, IN_CHECKED, 0),
	FW(struct vessel_pv_hv_msg_queue, msg, K_INT, 0, 0, 3),
};

/* -------------------------------------------------------- generators */

/* The guest memory storms register: one arena per worker. */
static uint8_t *arena;
#define ARENA_SIZE	(4ULL << 20)

static void gen_vm_create(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_vm_create *v = arg;

	v->flags = rng_chance(&c->rng, 50) ? VESSEL_VM_LAPIC : 0;
	v->pv_provider = rng_below(&c->rng, NR_PROVIDERS);
	v->pv_version = rng_chance(&c->rng, 80) ? 0 : 1;
}

static void gen_mem(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_memory_region *m = arg;
	struct rng *r = &c->rng;

	m->slot = rng_below(r, c->caps.max_mem_slots + 1);
	m->flags = rng_chance(r, 20) ? VESSEL_MEM_READONLY : 0;
	m->guest_phys_addr = rng_chance(r, 80) ? rng_below(r, 16) << 20 :
			     rng_below(r, 1 << 20) << 12;
	m->size = rng_chance(r, 15) ? 0 : (1 + rng_below(r, 64)) << 12;
	m->userspace_addr = (uintptr_t)arena +
			    (rng_below(r, ARENA_SIZE >> 12) << 12);
	if (m->userspace_addr + m->size > (uintptr_t)arena + ARENA_SIZE)
		m->userspace_addr = (uintptr_t)arena;
}

static void gen_cpuid(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_cpuid *q = arg;
	struct vessel_cpuid_entry *e = (void *)(c->scratch + 0x8000);
	struct vessel_cpuid get = {
		.nr = VESSEL_MAX_CPUID_ENTRIES,
		.entries = (uintptr_t)e,
	};
	unsigned int i, n;

	if (fz_ioctl(c, t->fd, VESSEL_GET_CPUID, (unsigned long)&get,
		     desc_find(VESSEL_GET_CPUID, FD_VM)) < 0)
		get.nr = 0;
	q->nr = get.nr;
	q->entries = (uintptr_t)e;
	/* Change a few values, now and then add a leaf. */
	n = rng_below(&c->rng, 4);
	for (i = 0; i < n && q->nr; i++) {
		struct vessel_cpuid_entry *x = &e[rng_below(&c->rng, q->nr)];
		uint32_t *w = &x->eax + rng_below(&c->rng, 4);

		*w = rng_chance(&c->rng, 50) ? *w ^ (1U << rng_below(&c->rng, 32)) :
		     (uint32_t)rng_value(&c->rng, 4);
	}
	if (q->nr < VESSEL_MAX_CPUID_ENTRIES && rng_chance(&c->rng, 20)) {
		memset(&e[q->nr], 0, sizeof(e[0]));
		e[q->nr].function = rng_value(&c->rng, 4);
		e[q->nr].eax = rng_value(&c->rng, 4);
		q->nr++;
	}
}

static void gen_get_cpuid(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_cpuid *q = arg;

	q->nr = rng_chance(&c->rng, 80) ? VESSEL_MAX_CPUID_ENTRIES :
		rng_below(&c->rng, 32);
	q->entries = (uintptr_t)(c->scratch + 0x8000);
}

static void gen_user_msrs(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_user_msrs *u = arg;
	uint32_t *idx = (void *)(c->scratch + 0x8000);
	unsigned int i;

	u->nr = rng_below(&c->rng, 9);
	for (i = 0; i < u->nr; i++)
		idx[i] = guest_pick_msr(&c->rng);
	u->indices = (uintptr_t)idx;
}

static void gen_msi(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_msi *m = arg;
	struct rng *r = &c->rng;

	m->address = 0xfee00000 | rng_below(r, 4) << 12 |
		     (rng_chance(r, 20) ? 0xff << 12 : 0) |
		     (rng_chance(r, 20) ? 8 : 0) | (rng_chance(r, 20) ? 4 : 0);
	m->data = (16 + rng_below(r, 240)) |
		  (rng_chance(r, 70) ? 0 : rng_below(r, 8) << 8) |
		  (rng_chance(r, 20) ? 1 << 14 : 0) | (rng_chance(r, 20) ? 1 << 15 : 0);
}

static void gen_state_get(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_vcpu_state *s = arg;

	s->flags = rng_chance(&c->rng, 50) ? VESSEL_STATE_ALL :
		   rng_below(&c->rng, VESSEL_STATE_ALL + 1);
}

static void gen_state_set(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_vcpu_state *s = arg;

	s->flags = VESSEL_STATE_ALL;
	fz_ioctl(c, t->fd, VESSEL_GET_STATE, (unsigned long)s,
		 desc_find(VESSEL_GET_STATE, FD_VCPU));
	s->flags = rng_chance(&c->rng, 30) ? VESSEL_STATE_ALL :
		   rng_below(&c->rng, VESSEL_STATE_ALL + 1);
}

static void gen_event(struct fctx *c, const struct target *t, void *arg)
{
	static const uint8_t with_error[] = { 8, 10, 11, 12, 13, 14, 17, 21 };
	struct vessel_event *e = arg;
	struct rng *r = &c->rng;

	e->type = rng_below(r, 3);
	switch (e->type) {
	case VESSEL_EVENT_IRQ:
		e->vector = 16 + rng_below(r, 240);
		break;
	case VESSEL_EVENT_NMI:
		break;
	default:
		e->vector = rng_below(r, 32);
		if (e->vector == 2)
			e->vector = 3;
		if (memchr(with_error, e->vector, sizeof(with_error))) {
			e->flags = VESSEL_EVENT_HAS_ERROR_CODE;
			e->error_code = rng_value(r, 2);
		}
		if (e->vector == 14 || e->vector == 1) {
			e->flags |= VESSEL_EVENT_HAS_PAYLOAD;
			e->payload = rng_value(r, 8);
		}
		break;
	}
}

static void gen_lapic_set(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_lapic_state *s = arg;
	struct rng *r = &c->rng;
	uint32_t *lvtt = (uint32_t *)(s->regs + 0x320);

	fz_ioctl(c, t->fd, VESSEL_GET_LAPIC, (unsigned long)s,
		 desc_find(VESSEL_GET_LAPIC, FD_VCPU));
	/* A valid timer set-up of each mode, some of them running. */
	if (rng_chance(r, 70)) {
		*lvtt = (uint32_t)PICK(r, 0x40000, 0x20000, 0) | 0x30;
		*(uint32_t *)(s->regs + 0x380) = rng_chance(r, 50) ?
			rng_below(r, 3) : (uint32_t)rng_value(r, 4);
		*(uint32_t *)(s->regs + 0x3e0) = rng_below(r, 16);
		*(uint32_t *)(s->regs + 0xf0) = rng_chance(r, 80) ? 0x1ff : 0xff;
		s->timer_ns = rng_chance(r, 50) ? 0 : rng_below(r, 1000000);
		s->tsc_deadline = rng_chance(r, 50) ? 0 : rng_below(r, 1 << 30);
	}
	if (rng_chance(r, 30))
		s->apic_base = rng_chance(r, 50) ? 0xfee00d00 : 0xfee00900;
}

static void gen_mp_set(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_mp_state *m = arg;

	m->mp_state = rng_below(&c->rng, 3);
}

/* SET of a provider state: the GET of it, then maybe one value changed. */
static void gen_pv_set(struct fctx *c, const struct target *t, void *arg,
		       unsigned long get)
{
	struct vessel_pv_state *s = arg;

	fz_ioctl(c, t->fd, get, (unsigned long)s, desc_find(get, t->type));
	if (rng_chance(&c->rng, 10)) {
		memset(s->data, 0, sizeof(s->data));
		s->flags = VESSEL_PV_STATE_RESET;
	} else if (rng_chance(&c->rng, 50)) {
		s->data[rng_below(&c->rng, 24)] = rng_value(&c->rng, 8);
	}
}

static void gen_pv_vm_set(struct fctx *c, const struct target *t, void *arg)
{
	gen_pv_set(c, t, arg, VESSEL_PV_GET_VM_STATE);
}

static void gen_pv_vcpu_set(struct fctx *c, const struct target *t, void *arg)
{
	gen_pv_set(c, t, arg, VESSEL_PV_GET_VCPU_STATE);
}

static void gen_hv_conn(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_pv_hv_connection *h = arg;
	struct rng *r = &c->rng;

	if (rng_chance(r, 25)) {
		h->flags = VESSEL_PV_HV_CONN_DELETE;
		h->conn_id = rng_below(r, 8);
		return;
	}
	h->flags = 1 + rng_below(r, 3);
	h->conn_id = rng_below(r, 8);
	h->vcpu = rng_below(r, 2);
	h->sint = rng_below(r, 16);
	if (h->flags & VESSEL_PV_HV_CONN_EVENT) {
		h->flag_base = rng_below(r, 2048);
		h->flag_count = 1 + rng_below(r, 2048 - h->flag_base);
	}
}

static void gen_msgq_set(struct fctx *c, const struct target *t, void *arg)
{
	struct vessel_pv_hv_msg_queue *q = arg;
	struct rng *r = &c->rng;
	unsigned int i;

	fz_ioctl(c, t->fd, VESSEL_PV_HV_GET_MSG_QUEUE, (unsigned long)q,
		 desc_find(VESSEL_PV_HV_GET_MSG_QUEUE, FD_VCPU));
	if (rng_chance(r, 50)) {
		i = rng_below(r, 16);
		q->queued |= 1U << i;
		*(uint32_t *)q->msg[i] = 1 + rng_below(r, 0x100);	/* type */
		q->msg[i][4] = rng_chance(r, 80) ? rng_below(r, 241) :
			       rng_value(r, 1);			/* size */
	}
}

/* ------------------------------------------------------------- table */

#define E(n, t, d, s, ...) { .name = #n, .cmd = VESSEL_##n, .type = t, \
			     .dir = d, .size = s, __VA_ARGS__ }

static const struct desc descs[] = {
	E(GET_API_VERSION, FD_SYS, D_NONE, 0),
	E(GET_CAPS, FD_SYS, D_OUT, sizeof(struct vessel_caps), FIELDS(f_caps)),
	E(CREATE_VM, FD_SYS, D_IN, sizeof(struct vessel_vm_create),
	  FIELDS(f_vm_create), .gen = gen_vm_create),

	E(SET_MEMORY_REGION, FD_VM, D_IN, sizeof(struct vessel_memory_region),
	  FIELDS(f_mem), .gen = gen_mem),
	E(CREATE_VCPU, FD_VM, D_NONE, 0),
	E(SET_CPUID, FD_VM, D_IN, sizeof(struct vessel_cpuid),
	  FIELDS(f_cpuid), .gen = gen_cpuid),
	E(GET_CPUID, FD_VM, D_INOUT, sizeof(struct vessel_cpuid),
	  FIELDS(f_cpuid), .gen = gen_get_cpuid),
	E(SET_USER_MSRS, FD_VM, D_IN, sizeof(struct vessel_user_msrs),
	  FIELDS(f_user_msrs), .gen = gen_user_msrs),
	E(GET_COUNTERS, FD_VM, D_INOUT, sizeof(struct vessel_counters),
	  FIELDS(f_counters)),
	E(SIGNAL_MSI, FD_VM, D_IN, sizeof(struct vessel_msi), FIELDS(f_msi),
	  .gen = gen_msi),
	E(GET_LAPIC_INFO, FD_VM, D_INOUT, sizeof(struct vessel_lapic_info),
	  FIELDS(f_lapic_info)),
	E(PV_GET_INFO, FD_VM, D_INOUT, sizeof(struct vessel_pv_info),
	  FIELDS(f_pv_info)),
	E(PV_GET_VM_STATE, FD_VM, D_INOUT, sizeof(struct vessel_pv_state),
	  FIELDS(f_pv_get)),
	E(PV_SET_VM_STATE, FD_VM, D_IN, sizeof(struct vessel_pv_state),
	  FIELDS(f_pv_vm_set), .gen = gen_pv_vm_set),
	E(PV_GET_COUNTERS, FD_VM, D_INOUT, sizeof(struct vessel_pv_counters),
	  FIELDS(f_pv_counters)),
	E(PV_HV_SET_CONNECTION, FD_VM, D_IN,
	  sizeof(struct vessel_pv_hv_connection), FIELDS(f_hv_conn),
	  .gen = gen_hv_conn),

	E(RUN, FD_VCPU, D_NONE, 0),
	E(GET_STATE, FD_VCPU, D_INOUT, sizeof(struct vessel_vcpu_state),
	  FIELDS(f_state_get), .gen = gen_state_get),
	E(SET_STATE, FD_VCPU, D_IN, sizeof(struct vessel_vcpu_state),
	  FIELDS(f_state_set), .gen = gen_state_set),
	E(INJECT, FD_VCPU, D_IN, sizeof(struct vessel_event), FIELDS(f_event),
	  .gen = gen_event),
	E(KICK, FD_VCPU, D_NONE, 0),
	E(GET_COUNTERS, FD_VCPU, D_INOUT, sizeof(struct vessel_counters),
	  FIELDS(f_counters)),
	E(GET_LAPIC, FD_VCPU, D_INOUT, sizeof(struct vessel_lapic_state),
	  FIELDS(f_lapic_get)),
	E(SET_LAPIC, FD_VCPU, D_IN, sizeof(struct vessel_lapic_state),
	  FIELDS(f_lapic_set), .gen = gen_lapic_set),
	E(GET_MP_STATE, FD_VCPU, D_INOUT, sizeof(struct vessel_mp_state),
	  FIELDS(f_mp_get)),
	E(SET_MP_STATE, FD_VCPU, D_IN, sizeof(struct vessel_mp_state),
	  FIELDS(f_mp_set), .gen = gen_mp_set),
	E(PV_GET_VCPU_STATE, FD_VCPU, D_INOUT, sizeof(struct vessel_pv_state),
	  FIELDS(f_pv_get)),
	E(PV_SET_VCPU_STATE, FD_VCPU, D_IN, sizeof(struct vessel_pv_state),
	  FIELDS(f_pv_vcpu_set), .gen = gen_pv_vcpu_set),
	/* Refused with EINVAL on a VM of another provider, unread. */
	E(PV_HV_GET_MSG_QUEUE, FD_VCPU, D_INOUT,
	  sizeof(struct vessel_pv_hv_msg_queue), FIELDS(f_msgq_get),
	  .pre = BIT64(EINVAL)),
	E(PV_HV_SET_MSG_QUEUE, FD_VCPU, D_IN,
	  sizeof(struct vessel_pv_hv_msg_queue), FIELDS(f_msgq_set),
	  .gen = gen_msgq_set, .pre = BIT64(EINVAL)),
};

_Static_assert(ARRAY_SIZE(descs) <= MAX_DESCS, "raise MAX_DESCS");

static const char *const pseudo_names[NR_PSEUDO_OPS] = {
	"(unknown number)", "(wrong fd type)", "(closed fd)",
	"(memory change)", "(fork)",
};

unsigned int desc_count(void)
{
	return ARRAY_SIZE(descs);
}

const char *desc_name(unsigned int i)
{
	static char buf[MAX_DESCS][40];

	if (i >= MAX_DESCS)
		return pseudo_names[i - MAX_DESCS];
	if (i >= ARRAY_SIZE(descs))
		return "?";
	if (!buf[i][0])
		snprintf(buf[i], sizeof(buf[i]), "%s%s", descs[i].name,
			 descs[i].cmd == VESSEL_GET_COUNTERS ?
			 (descs[i].type == FD_VM ? "(vm)" : "(vcpu)") : "");
	return buf[i];
}

int desc_find(unsigned long cmd, enum fd_type type)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(descs); i++)
		if (descs[i].cmd == cmd && descs[i].type == type)
			return i;
	return -1;
}

/* ---------------------------------------------------------- mutation */

/* Where in the scratch area the argument goes, and a few bad places. */
enum arg_place {
	P_GOOD,
	P_NULL,
	P_ONE,
	P_KERNEL,
	P_NONCANON,
	P_UNMAPPED,
	P_STRADDLE,	/* runs into the PROT_NONE page */
	P_READONLY,	/* bad for output only */
	NR_PLACES,
};

static uint8_t *arg_at(struct fctx *c, enum arg_place p, uint32_t size,
		       unsigned long *uarg)
{
	/* The scratch area's last page is followed by the PROT_NONE page. */
	uint8_t *end = c->scratch + 0x10000;
	uint8_t *good;

	/* Valid: mostly just before the unmapped page, so over-reads fault. */
	good = rng_chance(&c->rng, 50) ? end - size :
	       c->scratch + rng_below(&c->rng, 64);
	switch (p) {
	case P_NULL:
		*uarg = 0;
		break;
	case P_ONE:
		*uarg = 1;
		break;
	case P_KERNEL:
		*uarg = rng_chance(&c->rng, 50) ? 0xffff888000000000ULL :
			0xffffffff81000000ULL;
		break;
	case P_NONCANON:
		*uarg = 0x8000000000000000ULL;
		break;
	case P_UNMAPPED:
		*uarg = (uintptr_t)c->unmapped;
		break;
	case P_STRADDLE:
		*uarg = (uintptr_t)(end - size + 1 + rng_below(&c->rng, size ? size : 1));
		break;
	case P_READONLY:
		*uarg = (uintptr_t)c->scratch_ro;
		return NULL;
	default:
		*uarg = (uintptr_t)good;
		return good;
	}
	return NULL;
}

/* Write @v into @size bytes at @p. */
static void put_value(uint8_t *p, unsigned int size, uint64_t v)
{
	memcpy(p, &v, size < 8 ? size : 8);
}

/*
 * Mutates one field of @buf.  Returns the errno the call must give (0:
 * none in particular).
 */
static int mutate_field(struct fctx *c, const struct desc *d, uint8_t *buf,
			unsigned int *which)
{
	struct rng *r = &c->rng;
	const struct field *f;
	unsigned int i, total = 0, pick, w, off;
	uint64_t v;

	for (i = 0; i < d->nfields; i++)
		total += d->fields[i].weight ? d->fields[i].weight : 1;
	pick = rng_below(r, total);
	for (i = 0; i < d->nfields; i++) {
		w = d->fields[i].weight ? d->fields[i].weight : 1;
		if (pick < w)
			break;
		pick -= w;
	}
	f = &d->fields[i];
	*which = i;
	/* A slot of a natural width inside the field (arrays, structs). */
	w = f->size >= 8 ? 8 : f->size >= 4 ? 4 : f->size >= 2 ? 2 : 1;
	if (f->size > 8 && rng_chance(r, 30))
		w = 1 << rng_below(r, 4);
	off = rng_below(r, f->size / w) * w;

	switch (f->kind) {
	case K_RSVD:
		v = rng_value(r, w);
		if (!v)
			v = 1ULL << rng_below(r, w * 8);
		put_value(buf + f->off + off, w, v);
		return f->attr & IN_CHECKED ? EINVAL : 0;
	case K_FLAGS:
		if (rng_chance(r, 70) && f->arg != (~0ULL >> (64 - 8 * f->size))) {
			/* An undefined bit. */
			do {
				v = 1ULL << rng_below(r, f->size * 8);
			} while (v & f->arg);
			put_value(buf + f->off, f->size,
				  (rng_chance(r, 50) ? rng_next(r) & f->arg : 0) | v);
			return f->attr & IN_CHECKED ? EINVAL : 0;
		}
		put_value(buf + f->off, f->size, rng_next(r) & f->arg);
		return 0;
	case K_COUNT:
		v = rng_chance(r, 20) ? rng_value(r, f->size) :
		    PICK(r, 0, 1, f->arg - 1, f->arg, f->arg + 1, 2 * f->arg,
			 0xffff, 0x7fffffff, 0xffffffff);
		put_value(buf + f->off, f->size, v);
		return 0;
	case K_UPTR:
		v = PICK(r, 0, 1, (uintptr_t)c->unmapped, (uintptr_t)c->scratch_ro,
			 0xffff888000000000ULL, 0x8000000000000000ULL,
			 (uintptr_t)c->scratch + 1, (uintptr_t)c->scratch + 0xfff0);
		put_value(buf + f->off, f->size, v);
		return 0;
	case K_TIME:
		v = PICK(r, 0, 1, 2, 0xffffffff, 1ULL << 32, 1ULL << 40,
			 1ULL << 52, 1ULL << 60, 1ULL << 62, (1ULL << 63) - 1,
			 1ULL << 63, ~0ULL - 1, ~0ULL, 1000000000ULL);
		if (rng_chance(r, 20))
			v = rng_value(r, 8);
		put_value(buf + f->off + off, w, v);
		return 0;
	default:
		put_value(buf + f->off + off, w, rng_value(r, w));
		return 0;
	}
}

/* ----------------------------------------------------------- checks */

/*
 * Whether a failure with @err of a call on @fd meets the contract's @want:
 * EIO is always allowed (the VM may be dead); so are the entry's @pre
 * errnos; and EBADF where another thread closed @fd before the call took
 * its file.  Nothing else: a close keeps the number, so @fd is never
 * another object, whatever the other threads do.
 */
static bool failed_with(struct fctx *c, int fd, long ret, int err, int want,
			uint64_t pre)
{
	if (ret >= 0)
		return false;
	if (err == want || err == EIO || (pre & BIT64(err)))
		return true;
	return err == EBADF && c->closed && c->closed(c->closed_arg, fd);
}

static void violation(struct fctx *c, const char *what, const struct desc *d,
		      const char *field, long ret, int err)
{
	fuzz_fail("contract: %s %s%s%s returned %ld (%s), %s", d->name,
		  field ? "with field " : "", field ? field : "",
		  field ? " mutated" : "", ret, ret < 0 ? strerror(err) : "success",
		  what);
}

/* The /proc/self/maps line of the mapping holding @addr, for a finding. */
static void mapping_of(unsigned long addr, char *out, size_t len)
{
	unsigned long lo, hi;
	char line[256], found[130] = "no mapping";
	unsigned int n = 0;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && addr >= lo && addr < hi) {
			line[strcspn(line, "\n")] = 0;
			snprintf(found, sizeof(found), "%.120s", line);
		}
	}
	fclose(f);
	snprintf(out, len, "%s; %u mappings", found, n);
}

/* What @fd is now, for a finding: "anon_inode:vessel-vm", "pipe:[...]". */
static const char *fd_name(int fd, char *out, size_t len)
{
	char link[32];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	out[n > 0 ? n : 0] = 0;
	return n > 0 ? out : "not open";
}

static const char *const place_names[] = {
	"valid", "NULL", "1", "a kernel address", "a non-canonical address",
	"an unmapped page", "one running into an unmapped page",
	"a read-only page",
};

static void check_out_zero(struct fctx *c, const struct desc *d,
			   const uint8_t *buf)
{
	unsigned int i, j;

	for (i = 0; i < d->nfields; i++) {
		const struct field *f = &d->fields[i];

		if (!(f->attr & OUT_ZERO))
			continue;
		for (j = 0; j < f->size; j++)
			if (buf[f->off + j]) {
				fuzz_fail("contract: %s succeeded with %s byte %u = %#x, which the ABI says is zero (a kernel leak?)",
					  d->name, f->name, j, buf[f->off + j]);
				return;
			}
	}
}

/*
 * One call of entry @d on @t.  @variant: 0 valid, 1 one field mutated,
 * 2 a bad argument pointer.
 */
static long call_desc(struct fctx *c, const struct desc *d,
		      const struct target *t, unsigned int stat)
{
	struct rng *r = &c->rng;
	unsigned int variant = rng_below(r, 100) < 45 ? 0 :
			       rng_below(r, 100) < 75 ? 1 : 2;
	uint8_t *tmp = c->scratch + 0xc000;	/* 16 KiB before the end */
	unsigned int which = 0;
	unsigned long uarg = 0;
	int expect = 0, err;
	uint8_t *buf;
	long ret;

	if (d->dir == D_NONE) {
		/* Integer arguments: 0 (or a vCPU id), else a boundary value. */
		uarg = d->cmd == VESSEL_CREATE_VCPU ? rng_below(r, 4) : 0;
		if (variant) {
			uarg = rng_value(r, 8);
			if (uarg && d->cmd != VESSEL_CREATE_VCPU)
				expect = EINVAL;
			if (d->cmd == VESSEL_CREATE_VCPU &&
			    uarg >= c->caps.max_vcpus)
				expect = EINVAL;
		}
		if (d->cmd == VESSEL_RUN)
			return -2;	/* the caller runs it, with a timer */
		ret = fz_ioctl(c, t->fd, d->cmd, uarg, stat);
		err = errno;
		if (expect && !failed_with(c, t->fd, ret, err, expect, 0))
			violation(c, "wanted EINVAL for a bad integer argument",
				  d, NULL, ret, err);
		errno = err;
		return ret;
	}

	memset(tmp, 0, d->size);
	if (d->gen)
		d->gen(c, t, tmp);
	if (variant == 1 && d->nfields && d->dir != D_OUT) {
		expect = mutate_field(c, d, tmp, &which);
	} else if (variant == 2) {
		enum arg_place p = 1 + rng_below(r, NR_PLACES - 1);

		buf = arg_at(c, p, d->size, &uarg);
		ret = fz_ioctl(c, t->fd, d->cmd, uarg, stat);
		err = errno;
		stat_add(&sh->contract_checks, 1);
		if (p == P_READONLY) {
			/*
			 * Zeros, readable: valid input for most.  Never writable,
			 * so an output cannot succeed; the call may fail for
			 * another reason before it writes.
			 */
			if (d->dir != D_IN && ret >= 0)
				violation(c, "succeeded with a read-only output buffer",
					  d, NULL, ret, err);
		} else if (p == P_STRADDLE) {
			/* Its head is readable: it may fail otherwise first. */
			if (ret >= 0)
				violation(c, "succeeded with an argument that runs into an unmapped page",
					  d, NULL, ret, err);
		} else if (!failed_with(c, t->fd, ret, err, EFAULT, d->pre)) {
			char what[256], map[160];

			mapping_of(uarg, map, sizeof(map));
			snprintf(what, sizeof(what),
				 "wanted EFAULT for an argument at %s (%#lx; %s)",
				 place_names[p], uarg, map);
			violation(c, what, d, NULL, ret, err);
		}
		errno = err;
		return ret;
	}
	buf = arg_at(c, P_GOOD, d->size, &uarg);
	memcpy(buf, tmp, d->size);
	ret = fz_ioctl(c, t->fd, d->cmd, uarg, stat);
	err = errno;
	if (expect) {
		stat_add(&sh->contract_checks, 1);
		if (!failed_with(c, t->fd, ret, err, expect, 0))
			violation(c, "wanted EINVAL (reserved field or undefined flag)",
				  d, d->fields[which].name, ret, err);
	}
	if (ret >= 0 && d->dir != D_IN && variant == 0)
		check_out_zero(c, d, buf);
	/* Keep what the call made, for the caller (CREATE_*). */
	errno = err;
	return ret;
}

/* A number no entry of @type has: VESSEL_IO or KVM's magic. */
static unsigned long unknown_cmd(struct fctx *c, enum fd_type type)
{
	static const uint32_t sizes[] = {
		0, 1, 4, 8, 16, 24, 32, 64, 128, 256, 1152, 4096, 0x3fff,
		sizeof(struct vessel_vcpu_state), sizeof(struct vessel_pv_state),
	};
	struct rng *r = &c->rng;
	unsigned long cmd;

	do {
		unsigned int dir = rng_below(r, 4);
		unsigned int nr = rng_chance(r, 70) ? rng_below(r, 0x40) :
				  rng_below(r, 0x100);
		uint32_t size = sizes[rng_below(r, ARRAY_SIZE(sizes))];

		if (!dir)
			size = 0;
		cmd = _IOC(dir, rng_chance(r, 90) ? VESSEL_IO : 0xAE, nr, size);
	} while (desc_find(cmd, type) >= 0);
	return cmd;
}

long fuzz_ioctl_on(struct fctx *c, int fd, enum fd_type type,
		   struct vm_info *vm, struct vcpu_info *vcpu, int *which)
{
	struct target t = { .fd = fd, .type = type, .vm = vm, .vcpu = vcpu };
	struct rng *r = &c->rng;
	unsigned int i, n = 0, pick;
	unsigned long uarg;
	char name[64];
	long ret;
	int err;

	*which = -1;
	if (rng_chance(r, 6)) {
		unsigned long cmd = unknown_cmd(c, type);

		arg_at(c, P_GOOD, 256, &uarg);
		ret = fz_ioctl(c, fd, cmd, rng_chance(r, 50) ? uarg : rng_value(r, 8),
			       MAX_DESCS + OP_UNKNOWN_CMD);
		err = errno;
		stat_add(&sh->contract_checks, 1);
		if (!failed_with(c, fd, ret, err, ENOTTY, 0))
			fuzz_fail("contract: unknown ioctl %#lx on a %s fd (%d, %s) returned %ld (%s), wanted ENOTTY",
				  cmd, type == FD_SYS ? "system" : type == FD_VM ? "VM" : "vCPU",
				  fd, fd_name(fd, name, sizeof(name)),
				  ret, ret < 0 ? strerror(err) : "success");
		return ret;
	}
	if (rng_chance(r, 6)) {
		/* An entry of another fd type. */
		const struct desc *d;

		do {
			d = &descs[rng_below(r, ARRAY_SIZE(descs))];
		} while (d->type == type);
		if (desc_find(d->cmd, type) >= 0)
			return 0;
		arg_at(c, P_GOOD, d->size ? d->size : 8, &uarg);
		memset((void *)uarg, 0, d->size);
		ret = fz_ioctl(c, fd, d->cmd, d->size ? uarg : 0,
			       MAX_DESCS + OP_WRONG_FD);
		err = errno;
		stat_add(&sh->contract_checks, 1);
		if (!failed_with(c, fd, ret, err, ENOTTY, 0))
			fuzz_fail("contract: %s on a %s fd (%d, %s) returned %ld (%s), wanted ENOTTY",
				  d->name, type == FD_SYS ? "system" : type == FD_VM ? "VM" : "vCPU",
				  fd, fd_name(fd, name, sizeof(name)),
				  ret, ret < 0 ? strerror(err) : "success");
		return ret;
	}
	for (i = 0; i < ARRAY_SIZE(descs); i++)
		n += descs[i].type == type;
	pick = rng_below(r, n);
	for (i = 0; i < ARRAY_SIZE(descs); i++) {
		if (descs[i].type != type)
			continue;
		if (!pick--)
			break;
	}
	*which = i;
	return call_desc(c, &descs[i], &t, i);
}

void fuzz_foreign_ioctl(struct fctx *c, int fd, enum fd_type type)
{
	const struct desc *d = &descs[rng_below(&c->rng, ARRAY_SIZE(descs))];
	unsigned long uarg, cmd = rng_chance(&c->rng, 80) ? d->cmd :
				 unknown_cmd(c, FD_FOREIGN);
	int want = type == FD_CLOSED ? EBADF : ENOTTY;
	long ret;
	int err;

	arg_at(c, P_GOOD, 256, &uarg);
	ret = fz_ioctl(c, fd, cmd, uarg, MAX_DESCS +
		       (type == FD_CLOSED ? OP_CLOSED_FD : OP_WRONG_FD));
	err = errno;
	stat_add(&sh->contract_checks, 1);
	if (!(ret < 0 && err == want))
		fuzz_fail("contract: ioctl %#lx on a %s fd returned %ld (%s), wanted %s",
			  cmd, type == FD_CLOSED ? "closed" : "non-vessel", ret,
			  ret < 0 ? strerror(err) : "success", strerror(want));
}

int ioctls_init(void)
{
	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return arena == MAP_FAILED ? -1 : 0;
}
