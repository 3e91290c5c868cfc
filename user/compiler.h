/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel-style helpers userspace code uses, so it reads like the
 * module (and checkpatch.pl holds it to the same style).
 */
#ifndef VESSEL_COMPILER_H
#define VESSEL_COMPILER_H

#ifndef ARRAY_SIZE	/* kselftest.h has its own */
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#define __packed		__attribute__((packed))
#define __aligned(x)		__attribute__((aligned(x)))

#endif /* VESSEL_COMPILER_H */
