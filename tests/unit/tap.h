/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP test runner for the host unit tests.
 *
 * A test is a void function; the CHECK macros print a diagnostic and return
 * from it on the first failure, so a failing test cannot cascade into
 * crashes further down. tap_run() prints "ok N - name" / "not ok N - name"
 * and returns the process exit status.
 */
#ifndef VESSEL_TAP_H
#define VESSEL_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "compiler.h"

struct tap_test {
	const char *name;
	void (*fn)(void);
};

#define TAP_TEST(fn)	{ #fn, fn }
#define TAP_COUNT(arr)	ARRAY_SIZE(arr)

static bool tap_failed;
static const char *tap_skip_reason;

/*
 * Skip the rest of the test, saying why: only for what the host lacks
 * (a file a test reads), never for what the code under test does.
 */
#define TAP_SKIP(reason)						\
	do {								\
		tap_skip_reason = (reason);				\
		return;							\
	} while (0)

__printf(3, 4)
static void tap_diag(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_failed = true;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			tap_diag(__FILE__, __LINE__, "CHECK(%s)", #cond); \
			return;						\
		}							\
	} while (0)

/* Compares as 64-bit integers; prints both in decimal and hex. */
#define CHECK_EQ(a, b)							\
	do {								\
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);	\
		if (a_ != b_) {						\
			tap_diag(__FILE__, __LINE__,			\
				 "%s == %s: %" PRId64 " (0x%" PRIx64 ") != %" PRId64 " (0x%" PRIx64 ")", \
				 #a, #b, (int64_t)a_, a_, (int64_t)b_, b_); \
			return;						\
		}							\
	} while (0)

#define CHECK_STR_EQ(a, b)						\
	do {								\
		const char *a_ = (a), *b_ = (b);			\
		if (strcmp(a_, b_)) {					\
			tap_diag(__FILE__, __LINE__, "%s: \"%s\" != \"%s\"", \
				 #a, a_, b_);				\
			return;						\
		}							\
	} while (0)

#define CHECK_CONTAINS(haystack, needle)				\
	do {								\
		const char *h_ = (haystack), *n_ = (needle);		\
		if (!strstr(h_, n_)) {					\
			tap_diag(__FILE__, __LINE__,			\
				 "%s: \"%s\" does not contain \"%s\"",	\
				 #haystack, h_, n_);			\
			return;						\
		}							\
	} while (0)

static int tap_run(const struct tap_test *tests, size_t nr)
{
	size_t i, failed = 0;

	printf("1..%zu\n", nr);
	for (i = 0; i < nr; i++) {
		tap_failed = false;
		tap_skip_reason = NULL;
		tests[i].fn();
		printf("%sok %zu - %s", tap_failed ? "not " : "", i + 1,
		       tests[i].name);
		if (tap_skip_reason && !tap_failed)
			printf(" # SKIP %s", tap_skip_reason);
		printf("\n");
		fflush(stdout);
		failed += tap_failed;
	}
	if (failed)
		printf("# %zu of %zu tests failed\n", failed, nr);
	return failed ? 1 : 0;
}

#endif /* VESSEL_TAP_H */
