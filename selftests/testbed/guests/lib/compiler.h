/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel-style helpers the guests use, so that they read like the
 * module (scripts/checkpatch lets this file spell the attributes out).
 */
#ifndef GUEST_COMPILER_H
#define GUEST_COMPILER_H

#define __noreturn	__attribute__((noreturn))
#define __packed	__attribute__((packed))
#define __aligned(x)	__attribute__((aligned(x)))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Single accesses the compiler may neither tear, merge nor drop. */
#define READ_ONCE(x)		(*(const __volatile__ __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(__volatile__ __typeof__(x) *)&(x) = (val))

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#endif /* GUEST_COMPILER_H */
