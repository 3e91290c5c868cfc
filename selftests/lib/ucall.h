/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucall: how guest code talks to the host (as KVM's x86 ucall).
 *
 * The guest fills the struct ucall at the top of its stack and executes
 * "out %eax, $UCALL_PORT" with EAX = the struct's guest-physical address.
 * The host finds that address in the I/O exit's data and reads the struct
 * from guest memory: no register access, no extra ioctl.  The file and
 * expression strings stay in the guest's copy of the binary; the host
 * copies them into @msg.
 */
#ifndef SELFTEST_UCALL_H
#define SELFTEST_UCALL_H

#include <stdint.h>

#define UCALL_PORT		0xe0
#define UCALL_MAX_ARGS		6
#define UCALL_MSG_SIZE		256

#define UCALL_NONE		0	/* the exit was not a ucall */
#define UCALL_SYNC		1
#define UCALL_DONE		2
#define UCALL_ABORT		3	/* GUEST_ASSERT* failed */
#define UCALL_UNHANDLED		4	/* exception: vector, error, rip, cr2 */

struct ucall {
	uint64_t cmd;
	uint64_t nr_args;
	uint64_t args[UCALL_MAX_ARGS];
	uint64_t file;		/* guest address of __FILE__ */
	uint64_t line;
	uint64_t expr;		/* guest address of the failed expression */
	char msg[UCALL_MSG_SIZE];	/* host: "file:line: expr" */
};

/* Guest side. */
void ucall(uint64_t cmd, int nr_args, ...);
_Noreturn void ucall_assert(const char *file, int line, const char *expr,
			    int nr_args, ...);

#define GUEST_SYNC(arg)		ucall(UCALL_SYNC, 1, (uint64_t)(arg))
#define GUEST_SYNC_ARGS(n, ...)	ucall(UCALL_SYNC, n, __VA_ARGS__)
#define GUEST_DONE()		ucall(UCALL_DONE, 0)

#define GUEST_ASSERT(cond) do {						\
	if (!(cond))							\
		ucall_assert(__FILE__, __LINE__, #cond, 0);		\
} while (0)

#define GUEST_ASSERT_EQ(a, b) do {					\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (__a != __b)							\
		ucall_assert(__FILE__, __LINE__, #a " == " #b, 2, __a, __b); \
} while (0)

#define GUEST_ASSERT_NE(a, b) do {					\
	uint64_t __a = (uint64_t)(a), __b = (uint64_t)(b);		\
	if (__a == __b)							\
		ucall_assert(__FILE__, __LINE__, #a " != " #b, 2, __a, __b); \
} while (0)

#define GUEST_FAIL(what)	ucall_assert(__FILE__, __LINE__, what, 0)

/*
 * Host side.  get_ucall() decodes the vCPU's last exit: the ucall's cmd, or
 * UCALL_NONE if it was not one.  @uc may be NULL.
 */
struct vcpu;
uint64_t get_ucall(struct vcpu *vcpu, struct ucall *uc);

/*
 * Run to the next ucall.  A guest assertion or unhandled exception, or any
 * exit that is not a ucall, fails the test with the guest's file:line and
 * values.  Returns UCALL_SYNC or UCALL_DONE.
 */
uint64_t vcpu_run_ucall(struct vcpu *vcpu, struct ucall *uc);
/* Run; the guest must GUEST_SYNC(@arg). */
void vcpu_run_expect_sync(struct vcpu *vcpu, uint64_t arg);
/* Run; the guest must GUEST_DONE(). */
void vcpu_run_expect_done(struct vcpu *vcpu);
/* Fail the test with what an ABORT/UNHANDLED ucall says. */
_Noreturn void ucall_report(const struct ucall *uc);

#endif /* SELFTEST_UCALL_H */
