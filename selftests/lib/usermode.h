/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Running a guest function at CPL 3, for tests of what the hypervisor
 * refuses to user mode (paravirtual hypercalls).
 */
#ifndef SELFTEST_USERMODE_H
#define SELFTEST_USERMODE_H

#include <stdint.h>

#include "vessel_util.h"

/*
 * Host: make vm_create()'s layout usable from CPL 3 for @vcpu: user bits
 * in every page-table entry, a ring-3 code and data descriptor, a ring-0
 * stack in the TSS, and a #GP handler that ends a guest_run_user() call.
 */
void vm_enable_usermode(struct vm *vm, struct vcpu *vcpu);

/*
 * Guest: run @fn(@arg) at CPL 3 and return what it returned.  The
 * function may only compute, read and write memory and execute
 * instructions allowed at CPL 3 (or whose exits are the point).
 */
uint64_t guest_run_user(uint64_t (*fn)(uint64_t), uint64_t arg);

/* The ring-3 trampoline and the ring-0 way back (assembly, usermode.c). */
void usermode_tramp(void);
void usermode_return(void);

#endif /* SELFTEST_USERMODE_H */
