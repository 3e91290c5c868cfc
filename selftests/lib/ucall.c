// SPDX-License-Identifier: GPL-2.0
/*
 * ucall: the guest side (port I/O carrying the address of a struct ucall)
 * and the host side that decodes it.  See ucall.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "processor.h"
#include "ucall.h"
#include "vessel_util.h"

/* Guest code from here: no libc, no TLS. */

static void ucall_fill(struct ucall *uc, uint64_t cmd, int nr_args,
		       va_list ap)
{
	int i;

	uc->cmd = cmd;
	uc->nr_args = nr_args;
	for (i = 0; i < UCALL_MAX_ARGS; i++)
		uc->args[i] = i < nr_args ? va_arg(ap, uint64_t) : 0;
}

static void ucall_out(struct ucall *uc)
{
	asm volatile("outl %%eax, %w1"
		     : : "a"((uint32_t)(uintptr_t)uc), "Nd"(UCALL_PORT)
		     : "memory");
}

void ucall(uint64_t cmd, int nr_args, ...)
{
	struct ucall *uc = &guest_cpu()->ucall;
	va_list ap;

	va_start(ap, nr_args);
	ucall_fill(uc, cmd, nr_args, ap);
	va_end(ap);
	uc->file = 0;
	uc->line = 0;
	uc->expr = 0;
	ucall_out(uc);
}

void ucall_assert(const char *file, int line, const char *expr,
		  int nr_args, ...)
{
	struct ucall *uc = &guest_cpu()->ucall;
	va_list ap;

	va_start(ap, nr_args);
	ucall_fill(uc, UCALL_ABORT, nr_args, ap);
	va_end(ap);
	uc->file = (uintptr_t)file;
	uc->line = line;
	uc->expr = (uintptr_t)expr;
	/* The host fails the test; should it resume us anyway, stay here. */
	for (;;) {
		ucall_out(uc);
		asm volatile("hlt");
	}
}

/* Host code from here. */

static void guest_strcpy(struct vm *vm, char *dst, size_t size, uint64_t gva)
{
	size_t i;

	for (i = 0; i + 1 < size; i++) {
		dst[i] = *(char *)addr_gpa2hva(vm, gva + i);
		if (!dst[i])
			return;
	}
	dst[i] = 0;
}

uint64_t get_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	struct vessel_run *run = vcpu->run;
	struct ucall tmp;
	char file[96], expr[128];
	uint32_t gpa;

	if (!uc)
		uc = &tmp;
	memset(uc, 0, sizeof(*uc));
	if (run->exit_reason != VESSEL_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != VESSEL_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1)
		return UCALL_NONE;

	memcpy(&gpa, vcpu_io_data(vcpu), sizeof(gpa));
	memcpy(uc, addr_gpa2hva(vcpu->vm, gpa), offsetof(struct ucall, msg));
	if (uc->file) {
		guest_strcpy(vcpu->vm, file, sizeof(file), uc->file);
		guest_strcpy(vcpu->vm, expr, sizeof(expr), uc->expr);
		snprintf(uc->msg, sizeof(uc->msg), "%s:%lu: %s", file,
			 (unsigned long)uc->line, expr);
	}
	return uc->cmd;
}

void ucall_report(const struct ucall *uc)
{
	if (uc->cmd == UCALL_UNHANDLED)
		TEST_FAIL("guest: unhandled exception %lu, error code %#lx, rip %#lx, cr2 %#lx",
			  (unsigned long)uc->args[0], (unsigned long)uc->args[1],
			  (unsigned long)uc->args[2], (unsigned long)uc->args[3]);
	if (uc->nr_args == 2)
		TEST_FAIL("guest assertion failed: %s: %#lx vs %#lx", uc->msg,
			  (unsigned long)uc->args[0],
			  (unsigned long)uc->args[1]);
	TEST_FAIL("guest assertion failed: %s", uc->msg);
}

uint64_t vcpu_run_ucall(struct vcpu *vcpu, struct ucall *uc)
{
	struct ucall tmp;

	if (!uc)
		uc = &tmp;
	vcpu_run(vcpu);
	switch (get_ucall(vcpu, uc)) {
	case UCALL_SYNC:
	case UCALL_DONE:
		return uc->cmd;
	case UCALL_ABORT:
	case UCALL_UNHANDLED:
		ucall_report(uc);
	}
	/* Not a ucall: say what it was. */
	TEST_ASSERT_EXIT_REASON(vcpu, VESSEL_EXIT_IO);
	TEST_FAIL("vCPU %u: wanted a ucall, got io port %#x size %u", vcpu->id,
		  vcpu->run->io.port, vcpu->run->io.size);
}

void vcpu_run_expect_sync(struct vcpu *vcpu, uint64_t arg)
{
	struct ucall uc;

	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC,
		    "vCPU %u: wanted GUEST_SYNC(%#lx), got GUEST_DONE", vcpu->id,
		    (unsigned long)arg);
	TEST_ASSERT(uc.args[0] == arg, "vCPU %u: wanted GUEST_SYNC(%#lx), got %#lx",
		    vcpu->id, (unsigned long)arg, (unsigned long)uc.args[0]);
}

void vcpu_run_expect_done(struct vcpu *vcpu)
{
	struct ucall uc;

	TEST_ASSERT(vcpu_run_ucall(vcpu, &uc) == UCALL_DONE,
		    "vCPU %u: wanted GUEST_DONE, got GUEST_SYNC(%#lx)", vcpu->id,
		    (unsigned long)uc.args[0]);
}
