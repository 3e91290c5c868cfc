/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest helper: the status flags an instruction leaves, so that a test can
 * compare an instruction the kernel emulates (on MMIO) with the same one
 * the CPU executes (on RAM).
 */
#ifndef SELFTEST_FLAGS_H
#define SELFTEST_FLAGS_H

#include <stdint.h>

/* What ALU instructions write (SDM Vol. 1 3.4.3.1). */
#define X86_EFLAGS_CF	(1ULL << 0)
#define X86_EFLAGS_PF	(1ULL << 2)
#define X86_EFLAGS_AF	(1ULL << 4)
#define X86_EFLAGS_ZF	(1ULL << 6)
#define X86_EFLAGS_SF	(1ULL << 7)
#define X86_EFLAGS_OF	(1ULL << 11)
#define STATUS_FLAGS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)

/*
 * Runs @insn (named operands in @...) with every status flag set first, so
 * that one an emulator forgets to clear shows, and returns them after it.
 */
#define GUEST_STATUS_FLAGS(insn, ...)					\
({									\
	uint64_t f_;							\
									\
	asm volatile("pushfq\n\t"					\
		     "orq %[set_], (%%rsp)\n\t"				\
		     "popfq\n\t"					\
		     insn "\n\t"					\
		     "pushfq\n\t"					\
		     "popq %[f_]"					\
		     : [f_] "=&r"(f_)					\
		     : [set_] "i"(STATUS_FLAGS), __VA_ARGS__		\
		     : "cc", "memory");					\
	f_ & STATUS_FLAGS;						\
})

#endif /* SELFTEST_FLAGS_H */
