// SPDX-License-Identifier: GPL-2.0
/*
 * The run page is userspace's to write, all of it, at any time.  The next
 * RUN reads back only what the last exit asked userspace to supply (IN and
 * MMIO read data, an RDMSR result, a user MSR's error, a hypercall status)
 * and immediate_exit; whatever else completing an exit needs the kernel
 * kept for itself (Documentation/api.rst, "What RUN reads from the run
 * page").
 *
 * The first test is issue 12's leak: a string flag set on a plain IN made
 * RUN copy 12 KiB from the run page, and the kernel memory after it, into
 * the guest.  The others fill the whole page with garbage after every exit
 * of each kind that reaches userspace, write only what the ABI asks for,
 * now and then set immediate_exit to a non-zero garbage byte as well, and
 * the guest checks that it sees exactly the defined result.
 */
#include <errno.h>
#include <stdint.h>

#include "kselftest_harness.h"
#include "apic.h"
#include "flags.h"
#include "hypercall.h"
#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

#define PORT		0x5e0
#define PAGE		4096
#define MMIO_SIZE	256
#define USER_MSR	0x10000001	/* a register this process keeps */
#define USER_MSR_GP	0x10000002	/* every access refused */

/* asm/hyperv-tlfs.h is not uapi: what the Hyper-V test needs. */
#define HV_MSR_GUEST_OS_ID	0x40000000
#define HV_MSR_HYPERCALL	0x40000001
#define HV_MSR_RESET		0x40000003
#define HV_MSR_CRASH_P0		0x40000100
#define HV_MSR_CRASH_CTL	0x40000105
#define HV_CRASH_NOTIFY		(1ULL << 63)
#define HVCALL_POST_DEBUG	0x0069
#define HVCALL_RETRIEVE_DEBUG	0x006a
#define HVCALL_RESET_DEBUG	0x006b
#define LINUX_OS_ID		0x8100000000060100ULL

/* The bytes userspace supplies (IN, MMIO reads) and the guest sends (OUT). */
static uint8_t in_byte(uint64_t k)
{
	return (k * 3 + 5) ^ (k >> 8);
}

static uint8_t out_byte(uint64_t k)
{
	return k * 7 + 1;
}

/* What the MMIO device (memory in this process) holds at first. */
static uint8_t mmio_init(uint64_t off)
{
	return off * 13 + 0x5b;
}

/* The status userspace gives each debugging hypercall (bits 15:0 count). */
static uint16_t hv_status_of(uint64_t code)
{
	return code == HVCALL_POST_DEBUG ? 0x13 :
	       code == HVCALL_RETRIEVE_DEBUG ? 0 : 5;
}

/* ------------------------------------------------------ the guest side */

struct gregs {
	uint64_t rax, rcx, rdx, rsi, rdi;
};

/* Runs @insn with RAX, RCX, RDX, RSI and RDI from @r, back into @r. */
#define GUEST_INSN(insn, r) ({						\
	asm volatile(insn : "+a"((r).rax), "+c"((r).rcx), "+d"((r).rdx),	\
		     "+S"((r).rsi), "+D"((r).rdi) : : "cc", "memory");	\
})

#define GUEST_REGS_EQ(r, w) do {					\
	GUEST_ASSERT_EQ((r).rax, (w).rax);				\
	GUEST_ASSERT_EQ((r).rcx, (w).rcx);				\
	GUEST_ASSERT_EQ((r).rdx, (w).rdx);				\
	GUEST_ASSERT_EQ((r).rsi, (w).rsi);				\
	GUEST_ASSERT_EQ((r).rdi, (w).rdi);				\
} while (0)

/* Registers with every byte telling, DX the port. */
static const struct gregs regs0 = {
	.rax = 0xa1a2a3a4a5a6a7a8ULL, .rcx = 0xc1c2c3c4c5c6c7c8ULL,
	.rdx = 0xd1d2d3d400000000ULL | PORT, .rsi = 0x5152535455565758ULL,
	.rdi = 0xd9dadbdcdddedfd0ULL,
};

/* The guest's count of port bytes, as the host's. */
static uint64_t g_in_k, g_out_k;

/* The next @n port bytes, little-endian. */
static uint64_t next_in(unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)in_byte(g_in_k++) << (8 * i);
	return v;
}

static uint64_t next_out(unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)out_byte(g_out_k++) << (8 * i);
	return v;
}

/* String I/O goes here; @want is what it must hold. */
static uint8_t buf[4 * PAGE] __aligned(PAGE);
static uint8_t want[4 * PAGE];

static void buf_reset(void)
{
	uint64_t i;

	for (i = 0; i < sizeof(buf); i++) {
		buf[i] = 0xcc;
		want[i] = 0xcc;
	}
}

/* The first byte of buf that differs from want, or -1. */
static uint64_t buf_first_wrong(void)
{
	uint64_t i;

	for (i = 0; i < sizeof(buf); i++)
		if (buf[i] != want[i])
			return i;
	return -1ULL;
}

/* @n elements of @size coming in at buf + @off, going down with @down. */
static void want_in(uint64_t off, unsigned int size, unsigned int n, bool down)
{
	unsigned int e, i;

	for (e = 0; e < n; e++) {
		uint64_t v = next_in(size);
		uint64_t at = down ? off - (uint64_t)e * size : off + (uint64_t)e * size;

		for (i = 0; i < size; i++)
			want[at + i] = v >> (8 * i);
	}
}

/* Lay out @n elements of @size to go out from buf + @off. */
static void put_out(uint64_t off, unsigned int size, unsigned int n, bool down)
{
	unsigned int e, i;

	for (e = 0; e < n; e++) {
		uint64_t v = next_out(size);
		uint64_t at = down ? off - (uint64_t)e * size : off + (uint64_t)e * size;

		for (i = 0; i < size; i++) {
			buf[at + i] = v >> (8 * i);
			want[at + i] = buf[at + i];
		}
	}
}

/* ---------------------------------------------------------- host side */

struct host {
	uint64_t rng;
	uint64_t in_k, out_k;		/* port bytes supplied / checked */
	uint8_t mmio[MMIO_SIZE];	/* the MMIO device's memory */
	uint64_t msr;			/* USER_MSR */
	bool interrupt;			/* immediate_exit between exits */
	unsigned int exits[VESSEL_NR_USER_EXITS];
	unsigned int intr;		/* RUNs that immediate_exit ended */
	/* A GUEST_SYNC(arg) to act on, or NULL. */
	void (*sync)(struct __test_metadata *_metadata, struct vcpu *vcpu,
		     uint64_t arg);
};

static void host_init(struct host *h, uint64_t seed)
{
	unsigned int i;

	memset(h, 0, sizeof(*h));
	h->rng = seed;
	for (i = 0; i < MMIO_SIZE; i++)
		h->mmio[i] = mmio_init(i);
}

static uint64_t rnd(struct host *h)
{
	h->rng ^= h->rng << 13;
	h->rng ^= h->rng >> 7;
	h->rng ^= h->rng << 17;
	return h->rng;
}

/* Garbage over the whole page; the exit's fields were read before. */
static void scribble(struct host *h, struct vessel_run *run)
{
	uint64_t *p = (uint64_t *)run;
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++)
		p[i] = rnd(h);
	run->immediate_exit = 0;
}

static void handle_io(struct __test_metadata *_metadata, struct host *h,
		      struct vcpu *vcpu)
{
	struct vessel_run *run = vcpu->run;
	uint8_t dir = run->io.direction, size = run->io.size;
	uint8_t flags = run->io.flags;
	uint32_t count = run->io.count, off = run->io.data_offset, i, n;
	uint8_t *data = (uint8_t *)run + VESSEL_RUN_DATA_OFFSET;

	ASSERT_EQ(PORT, run->io.port);
	ASSERT_TRUE(size == 1 || size == 2 || size == 4) TH_LOG("size %u", size);
	ASSERT_EQ(VESSEL_RUN_DATA_OFFSET, off);
	ASSERT_EQ(0, flags & ~(VESSEL_IO_STRING | VESSEL_IO_REP));
	ASSERT_GE(count, 1);
	if (!(flags & VESSEL_IO_STRING))
		ASSERT_EQ(1, count);
	n = count * size;
	ASSERT_LE(n, VESSEL_RUN_DATA_SIZE);
	if (dir == VESSEL_IO_OUT) {
		for (i = 0; i < n; i++)
			ASSERT_EQ(out_byte(h->out_k + i), data[i])
				TH_LOG("OUT byte %lu", (unsigned long)(h->out_k + i));
		h->out_k += n;
		scribble(h, run);
		return;
	}
	ASSERT_EQ(VESSEL_IO_IN, dir);
	scribble(h, run);
	for (i = 0; i < n; i++)
		data[i] = in_byte(h->in_k + i);
	h->in_k += n;
}

static void handle_mmio(struct __test_metadata *_metadata, struct host *h,
			struct vcpu *vcpu)
{
	struct vessel_run *run = vcpu->run;
	uint64_t gpa = run->mmio.gpa, off = gpa - GUEST_MMIO_GPA;
	uint32_t len = run->mmio.len;
	uint8_t is_write = run->mmio.is_write;

	ASSERT_TRUE(gpa >= GUEST_MMIO_GPA && off + len <= MMIO_SIZE)
		TH_LOG("MMIO at %#lx", (unsigned long)gpa);
	ASSERT_TRUE(len == 1 || len == 2 || len == 4 || len == 8);
	ASSERT_TRUE(is_write == 0 || is_write == 1);
	if (is_write)
		memcpy(h->mmio + off, run->mmio.data, len);
	scribble(h, run);
	if (!is_write)
		memcpy(run->mmio.data, h->mmio + off, len);
}

static void handle_msr(struct __test_metadata *_metadata, struct host *h,
		       struct vcpu *vcpu)
{
	struct vessel_run *run = vcpu->run;
	uint32_t index = run->msr.index;
	uint8_t is_write = run->msr.is_write;
	uint64_t data = run->msr.data;

	ASSERT_TRUE(index == USER_MSR || index == USER_MSR_GP)
		TH_LOG("MSR %#x", index);
	scribble(h, run);
	if (index == USER_MSR_GP) {
		/* Any non-zero error is a #GP. */
		if (!run->msr.error)
			run->msr.error = 0x80;
		return;
	}
	run->msr.error = 0;
	if (is_write)
		h->msr = data;
	else
		run->msr.data = h->msr;
}

static void handle_pv(struct __test_metadata *_metadata, struct host *h,
		      struct vcpu *vcpu)
{
	struct vessel_run *run = vcpu->run;
	uint32_t reason = run->exit_reason;
	uint64_t code = run->paravirt.data[0];

	ASSERT_EQ(VESSEL_PV_HYPERV, run->paravirt.provider);
	if (reason == VESSEL_EXIT_PV_CRASH) {
		ASSERT_EQ(6, run->paravirt.ndata);
		EXPECT_EQ(0x1234, run->paravirt.data[0]);
		EXPECT_EQ(HV_CRASH_NOTIFY, run->paravirt.data[5]);
	}
	scribble(h, run);
	/* Bits 63:16 of ret are garbage too: only the status counts. */
	if (reason == VESSEL_EXIT_PV_DEBUG)
		run->paravirt.ret = (rnd(h) << 16) | hv_status_of(code);
}

/* Runs the guest to GUEST_DONE, answering every exit as the ABI says. */
static void run_guest(struct __test_metadata *_metadata, struct host *h,
		      struct vcpu *vcpu)
{
	struct vessel_run *run = vcpu->run;
	struct ucall uc;
	uint32_t reason;
	int r;

	for (;;) {
		r = __vcpu_run(vcpu);
		if (r == -1 && errno == EINTR) {
			ASSERT_EQ(VESSEL_EXIT_INTR, run->exit_reason);
			h->intr++;
			scribble(h, run);
			continue;
		}
		ASSERT_EQ(0, r) TH_LOG("RUN: %s", strerror(errno));
		reason = run->exit_reason;
		if (reason >= VESSEL_NR_USER_EXITS)
			TEST_FAIL("exit reason %u", reason);
		h->exits[reason]++;
		switch (reason) {
		case VESSEL_EXIT_IO:
			if (run->io.port != UCALL_PORT) {
				handle_io(_metadata, h, vcpu);
				break;
			}
			switch (get_ucall(vcpu, &uc)) {
			case UCALL_DONE:
				return;
			case UCALL_SYNC:
				if (h->sync)
					h->sync(_metadata, vcpu, uc.args[0]);
				break;
			default:
				ucall_report(&uc);
			}
			scribble(h, run);
			break;
		case VESSEL_EXIT_MMIO:
			handle_mmio(_metadata, h, vcpu);
			break;
		case VESSEL_EXIT_MSR:
			handle_msr(_metadata, h, vcpu);
			break;
		case VESSEL_EXIT_PV_DEBUG:
		case VESSEL_EXIT_PV_RESET:
		case VESSEL_EXIT_PV_CRASH:
			handle_pv(_metadata, h, vcpu);
			break;
		case VESSEL_EXIT_HLT:
		case VESSEL_EXIT_EOI:
			scribble(h, run);
			break;
		default:
			TEST_FAIL("unexpected exit %u", reason);
		}
		/* Any non-zero byte: RUN completes the exit, then returns. */
		if (h->interrupt && (rnd(h) & 1))
			run->immediate_exit = rnd(h) | 1;
	}
}

/* ---------------------------------------------- issue 12: the leak */

#define LEAK_IN_VALUE	0x11223344

static void guest_string_then_in(void)
{
	struct gregs r = regs0, w;
	uint64_t i, leaked = 0;

	buf_reset();
	r.rdi = (uint64_t)buf;
	r.rcx = VESSEL_RUN_DATA_SIZE;
	w = r;
	w.rdi += VESSEL_RUN_DATA_SIZE;
	w.rcx = 0;
	want_in(0, 1, VESSEL_RUN_DATA_SIZE, false);
	GUEST_INSN("rep insb", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);

	/* Userspace sets the string flag on this one. */
	w.rax = LEAK_IN_VALUE;
	GUEST_INSN("inl %%dx, %%eax", r);
	/* Bytes past the 3 KiB the first IN filled came from the kernel. */
	for (i = VESSEL_RUN_DATA_SIZE; i < sizeof(buf); i++)
		leaked += buf[i] != want[i];
	GUEST_ASSERT_EQ(leaked, 0);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);
	GUEST_REGS_EQ(r, w);
	GUEST_DONE();
}

TEST(string_flag_on_plain_in_leaks_nothing)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_string_then_in);
	struct vessel_run *run = vcpu->run;
	uint32_t v = LEAK_IN_VALUE, i;
	uint8_t *data = (uint8_t *)run + VESSEL_RUN_DATA_OFFSET;
	struct ucall uc;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_IO);
	ASSERT_EQ(VESSEL_IO_IN, run->io.direction);
	ASSERT_EQ(1, run->io.size);
	ASSERT_EQ(VESSEL_IO_STRING | VESSEL_IO_REP, run->io.flags);
	/* buf is page aligned: one exit takes all of it. */
	ASSERT_EQ(VESSEL_RUN_DATA_SIZE, run->io.count);
	for (i = 0; i < VESSEL_RUN_DATA_SIZE; i++)
		data[i] = in_byte(i);

	vcpu_run(vcpu);
	TEST_ASSERT_IO_EXIT(vcpu, PORT, 4, VESSEL_IO_IN);
	ASSERT_EQ(0, run->io.flags);
	memcpy(data, &v, 4);
	run->io.flags = VESSEL_IO_STRING | VESSEL_IO_REP;

	/* A kernel that believed the flag may repeat the IN: answer it. */
	for (i = 0; i < 4; i++) {
		vcpu_run(vcpu);
		if (get_ucall(vcpu, NULL) != UCALL_NONE)
			break;
		TEST_ASSERT_IO_EXIT(vcpu, PORT, 4, VESSEL_IO_IN);
		memcpy(data, &v, 4);
	}
	switch (get_ucall(vcpu, &uc)) {
	case UCALL_DONE:
		break;
	case UCALL_NONE:
		TEST_FAIL("the IN never completed");
	default:
		ucall_report(&uc);
	}
	vm_free(vm);
}

/* ------------------------------------------------------------ port I/O */

static void guest_pio(void)
{
	struct gregs r, w;

	buf_reset();
	/* OUT: nothing comes back. */
	r = regs0;
	r.rax = (r.rax & ~0xffULL) | next_out(1);
	w = r;
	GUEST_INSN("outb %%al, %%dx", r);
	GUEST_REGS_EQ(r, w);
	r.rax = (r.rax & ~0xffffULL) | next_out(2);
	w = r;
	GUEST_INSN("outw %%ax, %%dx", r);
	GUEST_REGS_EQ(r, w);
	r.rax = (r.rax & ~0xffffffffULL) | next_out(4);
	w = r;
	GUEST_INSN("outl %%eax, %%dx", r);
	GUEST_REGS_EQ(r, w);

	/* IN: 8 and 16 bits merge into RAX, 32 bits zero-extend. */
	r = regs0;
	w = r;
	w.rax = (r.rax & ~0xffULL) | next_in(1);
	GUEST_INSN("inb %%dx, %%al", r);
	GUEST_REGS_EQ(r, w);
	w.rax = (r.rax & ~0xffffULL) | next_in(2);
	GUEST_INSN("inw %%dx, %%ax", r);
	GUEST_REGS_EQ(r, w);
	w.rax = next_in(4);
	GUEST_INSN("inl %%dx, %%eax", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);
	GUEST_DONE();
}

static void guest_string_pio(void)
{
	struct gregs r, w;

	buf_reset();
	/* INSW, OUTSB without REP: one element, RCX untouched. */
	r = regs0;
	r.rdi = (uint64_t)buf + 10;
	w = r;
	w.rdi += 2;
	want_in(10, 2, 1, false);
	GUEST_INSN("insw", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);
	r.rsi = (uint64_t)buf + 20;
	put_out(20, 1, 1, false);
	w = r;
	w.rsi += 1;
	GUEST_INSN("outsb", r);
	GUEST_REGS_EQ(r, w);

	/* REP INSL of 4000 bytes: two exits (the run page holds 3 KiB). */
	r.rdi = (uint64_t)buf + 2 * PAGE;
	r.rcx = 1000;
	w = r;
	w.rdi += 4000;
	w.rcx = 0;
	want_in(2 * PAGE, 4, 1000, false);
	GUEST_INSN("rep insl", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);

	/* REP INSB across a page boundary: one exit per page. */
	r.rdi = (uint64_t)buf + PAGE - 6;
	r.rcx = 20;
	w = r;
	w.rdi += 20;
	w.rcx = 0;
	want_in(PAGE - 6, 1, 20, false);
	GUEST_INSN("rep insb", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);

	/* DF set: REP INSW downwards, elements in execution order. */
	r.rdi = (uint64_t)buf + 200;
	r.rcx = 5;
	w = r;
	w.rdi -= 10;
	w.rcx = 0;
	want_in(200, 2, 5, true);
	GUEST_INSN("std; rep insw; cld", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);

	/* REP OUTSB of 3500 bytes up, REP OUTSW of 4 words down. */
	r.rsi = (uint64_t)buf + PAGE;
	r.rcx = 3500;
	put_out(PAGE, 1, 3500, false);
	w = r;
	w.rsi += 3500;
	w.rcx = 0;
	GUEST_INSN("rep outsb", r);
	GUEST_REGS_EQ(r, w);
	r.rsi = (uint64_t)buf + 300;
	r.rcx = 4;
	put_out(300, 2, 4, true);
	w = r;
	w.rsi -= 8;
	w.rcx = 0;
	GUEST_INSN("std; rep outsw; cld", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(buf_first_wrong(), -1ULL);
	GUEST_DONE();
}

/* Runs @guest under garbage, without and then with immediate_exit. */
static void run_both_ways(struct __test_metadata *_metadata, void *guest,
			  void (*setup)(struct vm *vm, struct vcpu *vcpu),
			  unsigned int exit_reason, unsigned int min_exits)
{
	struct host h;
	struct vcpu *vcpu;
	struct vm *vm;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		vm = vm_create_with_one_vcpu(&vcpu, guest);
		if (setup)
			setup(vm, vcpu);
		host_init(&h, 0x9e3779b97f4a7c15ULL + pass);
		h.interrupt = pass;
		run_guest(_metadata, &h, vcpu);
		EXPECT_LE(min_exits, h.exits[exit_reason])
			TH_LOG("pass %d: %u exits of reason %u", pass,
			       h.exits[exit_reason], exit_reason);
		if (pass)
			EXPECT_LT(0, h.intr);
		vm_free(vm);
	}
}

TEST(pio_under_garbage)
{
	run_both_ways(_metadata, guest_pio, NULL, VESSEL_EXIT_IO, 6);
}

TEST(string_pio_under_garbage)
{
	run_both_ways(_metadata, guest_string_pio, NULL, VESSEL_EXIT_IO, 10);
}

/* OUTS from memory that is not RAM: an internal error that leaves nothing. */
static void guest_outs_from_mmio(void)
{
	struct gregs r = regs0;

	r.rsi = GUEST_MMIO_GPA;
	r.rcx = 4;
	GUEST_INSN("rep outsb", r);
	GUEST_FAIL("the OUTS from MMIO completed");
}

TEST(string_out_from_mmio_completes_nothing)
{
	struct vcpu *vcpu;
	struct vm *vm = vm_create_with_one_vcpu(&vcpu, guest_outs_from_mmio);
	struct vessel_run *run = vcpu->run;
	struct host h;
	int i;

	host_init(&h, 0x4f1bbcdcbfa53e0bULL);
	/* The next RUN executes the instruction again: the same exit. */
	for (i = 0; i < 2; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_INTERNAL_ERROR);
		EXPECT_EQ(VESSEL_INTERNAL_EMULATION, run->internal.suberror);
		ASSERT_EQ(1, run->internal.ndata);
		EXPECT_EQ(GUEST_MMIO_GPA, run->internal.data[0]);
		scribble(&h, run);
	}
	vm_free(vm);
}

/* ---------------------------------------------------------------- MMIO */

/* The device's initial contents, in RAM: each access is done on both. */
static uint8_t mirror[MMIO_SIZE] __aligned(64);

/* A load from the device and from RAM into registers holding @init. */
#define MMIO_LOAD(insn, init) do {					\
	uint64_t d_ = (init), m_ = (init);				\
									\
	asm volatile(insn : [v] "+r"(d_)				\
		     : [p] "r"(GUEST_MMIO_GPA) : "memory");		\
	asm volatile(insn : [v] "+r"(m_) : [p] "r"(mirror) : "memory");	\
	GUEST_ASSERT_EQ(d_, m_);					\
} while (0)

/* The same instruction on the device and on RAM: the same flags. */
#define MMIO_FLAGS(insn, reg) do {					\
	uint64_t f1_ = GUEST_STATUS_FLAGS(insn,				\
		[p] "r"(GUEST_MMIO_GPA), [r] "r"((uint64_t)(reg)));	\
	uint64_t f2_ = GUEST_STATUS_FLAGS(insn,				\
		[p] "r"(mirror), [r] "r"((uint64_t)(reg)));		\
									\
	GUEST_ASSERT_EQ(f1_, f2_);					\
} while (0)

static void guest_mmio(void)
{
	uint8_t *p = (uint8_t *)GUEST_MMIO_GPA;
	uint64_t i, a, b, rdi1, rdi2, rcx1, rcx2;

	for (i = 0; i < MMIO_SIZE; i++)
		mirror[i] = mmio_init(i);

	/* Stores. */
	WRITE_ONCE(p[1], 0x5a);
	mirror[1] = 0x5a;
	WRITE_ONCE(*(uint16_t *)(p + 2), 0x1234);
	*(uint16_t *)(mirror + 2) = 0x1234;
	WRITE_ONCE(*(uint32_t *)(p + 4), 0x89abcdef);
	*(uint32_t *)(mirror + 4) = 0x89abcdef;
	WRITE_ONCE(*(uint64_t *)(p + 8), 0x0123456789abcdefULL);
	*(uint64_t *)(mirror + 8) = 0x0123456789abcdefULL;

	/* Loads: the garbage beyond the access must not show. */
	MMIO_LOAD("movb 16(%[p]), %b[v]", ~0ULL);
	MMIO_LOAD("movw 18(%[p]), %w[v]", ~0ULL);
	MMIO_LOAD("movl 20(%[p]), %k[v]", ~0ULL);
	MMIO_LOAD("movq 24(%[p]), %q[v]", ~0ULL);
	MMIO_LOAD("movzbl 33(%[p]), %k[v]", ~0ULL);
	MMIO_LOAD("movzwq 34(%[p]), %q[v]", ~0ULL);
	MMIO_LOAD("movsbq 39(%[p]), %q[v]", 0);
	MMIO_LOAD("movswl 40(%[p]), %k[v]", ~0ULL);

	/* Compare, test, read-modify-write: the flags and the memory. */
	MMIO_FLAGS("cmpq %[r], 48(%[p])", 0x8000000000000000ULL);
	MMIO_FLAGS("testb $0x81, 56(%[p])", 0);
	MMIO_FLAGS("orl $0x100, 60(%[p])", 0);
	MMIO_FLAGS("addw %w[r], 64(%[p])", 0xffff);
	MMIO_FLAGS("lock subq %[r], 72(%[p])", 0x7fffffffffffffffULL);
	MMIO_FLAGS("negb 80(%[p])", 0);

	/* XCHG: a read exit and a write exit. */
	a = 0x1122334455667788ULL;
	b = a;
	asm volatile("xchg %0, 88(%1)" : "+r"(a) : "r"(p) : "memory");
	asm volatile("xchg %0, 88(%1)" : "+r"(b) : "r"(mirror) : "memory");
	GUEST_ASSERT_EQ(a, b);

	/* REP STOSL up, STOSB down: one write exit per element. */
	rdi1 = (uint64_t)p + 96;
	rdi2 = (uint64_t)mirror + 96;
	rcx1 = 3;
	rcx2 = 3;
	asm volatile("rep stosl" : "+D"(rdi1), "+c"(rcx1) : "a"(0x5a5a5a5a)
		     : "memory");
	asm volatile("rep stosl" : "+D"(rdi2), "+c"(rcx2) : "a"(0x5a5a5a5a)
		     : "memory");
	GUEST_ASSERT_EQ(rdi1 - (uint64_t)p, rdi2 - (uint64_t)mirror);
	GUEST_ASSERT_EQ(rcx1, 0);
	GUEST_ASSERT_EQ(rcx2, 0);
	asm volatile("std; stosb; cld" : "+D"(rdi1) : "a"(0x77) : "memory");
	asm volatile("std; stosb; cld" : "+D"(rdi2) : "a"(0x77) : "memory");
	GUEST_ASSERT_EQ(rdi1 - (uint64_t)p, rdi2 - (uint64_t)mirror);

	/* The device holds what the same stores did to RAM. */
	for (i = 0; i < MMIO_SIZE; i += 8)
		GUEST_ASSERT_EQ(READ_ONCE(*(uint64_t *)(p + i)),
				*(uint64_t *)(mirror + i));
	GUEST_DONE();
}

TEST(mmio_under_garbage)
{
	run_both_ways(_metadata, guest_mmio, NULL, VESSEL_EXIT_MMIO, 40);
}

/* ----------------------------------------------------------------- MSRs */

static void guest_msrs(void)
{
	uint64_t a = ~0ULL, d = ~0ULL, v;

	wrmsr(USER_MSR, 0x1122334455667788ULL);
	asm volatile("rdmsr" : "+a"(a), "+d"(d) : "c"(USER_MSR));
	GUEST_ASSERT_EQ(a, 0x55667788);
	GUEST_ASSERT_EQ(d, 0x11223344);
	GUEST_ASSERT_EQ(rdmsr_safe(USER_MSR_GP, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(USER_MSR_GP, 1), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(USER_MSR, 5), 0);
	GUEST_ASSERT_EQ(rdmsr_safe(USER_MSR, &v), 0);
	GUEST_ASSERT_EQ(v, 5);
	GUEST_DONE();
}

static void user_msrs(struct vm *vm, struct vcpu *vcpu)
{
	static const uint32_t msrs[] = { USER_MSR, USER_MSR_GP };

	TEST_ASSERT(!vessel_vm_set_user_msrs(&vm->v, msrs, 2),
		    "VESSEL_SET_USER_MSRS");
}

TEST(msr_under_garbage)
{
	run_both_ways(_metadata, guest_msrs, user_msrs, VESSEL_EXIT_MSR, 6);
}

/* ------------------------------------------------------------------ HLT */

static void guest_hlt(void)
{
	struct gregs r = regs0, w = regs0;

	GUEST_INSN("hlt", r);
	GUEST_REGS_EQ(r, w);
	GUEST_INSN("hlt", r);
	GUEST_REGS_EQ(r, w);
	GUEST_DONE();
}

TEST(hlt_under_garbage)
{
	run_both_ways(_metadata, guest_hlt, NULL, VESSEL_EXIT_HLT, 2);
}

/* ------------------------------------------- Hyper-V's exits, and EOI */

static uint8_t hcall_page[PAGE] __aligned(PAGE);
static uint64_t hv_in[PAGE / 8] __aligned(PAGE);
static uint64_t hv_out[PAGE / 8] __aligned(PAGE);

static void guest_hyperv(void)
{
	uint64_t in = (uint64_t)hv_in, out = (uint64_t)hv_out;

	wrmsr(HV_MSR_GUEST_OS_ID, LINUX_OS_ID);
	wrmsr(HV_MSR_HYPERCALL, (uint64_t)hcall_page | 1);
	/* Debugging calls: the status is userspace's ret, bits 15:0. */
	hv_in[0] = 5;
	memcpy(&hv_in[1], "hello", 5);
	GUEST_ASSERT_EQ(hv_hypercall_page(hcall_page, HVCALL_POST_DEBUG, in, out),
			hv_status_of(HVCALL_POST_DEBUG));
	hv_in[0] = 16;
	hv_in[1] = 0;
	GUEST_ASSERT_EQ(hv_hypercall_page(hcall_page, HVCALL_RETRIEVE_DEBUG, in,
					  out),
			hv_status_of(HVCALL_RETRIEVE_DEBUG));
	hv_in[0] = 0;
	GUEST_ASSERT_EQ(hv_hypercall_page(hcall_page, HVCALL_RESET_DEBUG, in, out),
			hv_status_of(HVCALL_RESET_DEBUG));
	/* A crash notification and a reset: the WRMSR is done. */
	wrmsr(HV_MSR_CRASH_P0, 0x1234);
	wrmsr(HV_MSR_CRASH_CTL, HV_CRASH_NOTIFY);
	GUEST_ASSERT_EQ(rdmsr(HV_MSR_CRASH_P0), 0x1234);
	wrmsr(HV_MSR_RESET, 1);
	GUEST_DONE();
}

TEST(hyperv_exits_under_garbage)
{
	struct host h;
	struct vm *vm;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		vm = vm_create_pv(1, VESSEL_PV_HYPERV, 0, guest_hyperv);
		host_init(&h, 0x5851f42d4c957f2dULL + pass);
		h.interrupt = pass;
		run_guest(_metadata, &h, vm->vcpus[0]);
		EXPECT_EQ(3, h.exits[VESSEL_EXIT_PV_DEBUG]);
		EXPECT_EQ(1, h.exits[VESSEL_EXIT_PV_CRASH]);
		EXPECT_EQ(1, h.exits[VESSEL_EXIT_PV_RESET]);
		vm_free(vm);
	}
}

static uint64_t eoi_irqs;

static void eoi_handler(struct ex_regs *regs)
{
	WRITE_ONCE(eoi_irqs, eoi_irqs + 1);
	xapic_write(APIC_EOI, 0);
}

static void guest_eoi(void)
{
	struct gregs r = regs0, w = regs0;

	xapic_write(APIC_SPIV, APIC_SW_ENABLE | 0xff);
	GUEST_SYNC(1);			/* a level-triggered MSI comes */
	wait_flag_hlt(&eoi_irqs);
	/* The EOI exit came and went: the guest goes on where it was. */
	GUEST_INSN("nop", r);
	GUEST_REGS_EQ(r, w);
	GUEST_ASSERT_EQ(READ_ONCE(eoi_irqs), 1);
	GUEST_DONE();
}

static void send_level_msi(struct __test_metadata *_metadata,
			   struct vcpu *vcpu, uint64_t arg)
{
	struct vessel_msi msi = {
		.address = APIC_DEFAULT_GPA,
		.data = 0x52 | (1U << 15) | (1U << 14),
	};

	ASSERT_EQ(1, arg);
	ASSERT_EQ(1, ioctl(vcpu->vm->fd, VESSEL_SIGNAL_MSI, &msi));
}

TEST(eoi_under_garbage)
{
	struct host h;
	struct vcpu *vcpu;
	struct vm *vm;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		vm_create_flags = VESSEL_VM_LAPIC;
		vm = vm_create_with_one_vcpu(&vcpu, guest_eoi);
		vm_create_flags = 0;
		vm_install_exception_handler(vm, 0x52, eoi_handler);
		host_init(&h, 0x2545f4914f6cdd1dULL + pass);
		h.interrupt = pass;
		h.sync = send_level_msi;
		run_guest(_metadata, &h, vcpu);
		EXPECT_EQ(1, h.exits[VESSEL_EXIT_EOI]);
		vm_free(vm);
	}
}

TEST_HARNESS_MAIN
