/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's side of the providers' hypercalls, for the paravirtual
 * tests: KVM's VMCALL with its register convention, and a call through a
 * Hyper-V hypercall page (64-bit convention: RCX input value, RDX input
 * GPA or first fast input, R8 output GPA or second; status in RAX).
 */
#ifndef SELFTEST_HYPERCALL_H
#define SELFTEST_HYPERCALL_H

#include <stdint.h>

/* KVM: number in RAX, arguments RBX, RCX, RDX, RSI; result in RAX. */
static inline long kvm_hypercall4(uint64_t nr, uint64_t a0, uint64_t a1,
				  uint64_t a2, uint64_t a3)
{
	long ret;

	asm volatile("vmcall" : "=a"(ret)
		     : "a"(nr), "b"(a0), "c"(a1), "d"(a2), "S"(a3)
		     : "memory");
	return ret;
}

/* Hyper-V: the guest's enabled hypercall page at @page. */
static inline uint64_t hv_hypercall_page(const void *page, uint64_t control,
					 uint64_t in, uint64_t out)
{
	register uint64_t r8 asm("r8") = out;
	uint64_t status;

	asm volatile("call *%[pg]"
		     : "=a"(status), "+c"(control), "+d"(in), "+r"(r8)
		     : [pg] "r"((uint64_t)page)
		     : "memory", "cc", "r9", "r10", "r11");
	return status;
}

#endif /* SELFTEST_HYPERCALL_H */
