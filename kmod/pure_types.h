/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Vessel: the types of the pure-logic files (emulate.c, guest_walk.c),
 * which build both into the module and into host unit tests.
 */
#ifndef VESSEL_PURE_TYPES_H
#define VESSEL_PURE_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int32_t s32;
typedef int64_t s64;
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#endif

#endif /* VESSEL_PURE_TYPES_H */
